/*
 * test_dev_ide.c - the PIIX3 IDE controller through its ports, as a driver
 * would use it: IDENTIFY (ATA-6 8.15 word layout), PIO reads and writes in
 * LBA28, LBA48 and CHS, READ/WRITE MULTIPLE, bus-master DMA through PRD
 * tables (PIIX3 2.7), status/error/interrupt semantics, soft reset
 * signatures, and the ATAPI PACKET protocol with MMC commands.
 *
 * Disk contents are a pattern the test writes itself; every transfer is
 * compared with the image file on the host.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev_harness.h"
#include "devices/block/block.h"
#include "devices/ide.h"
#include "devices/pci.h"
#include "memory/memory.h"

#define PRI 0x1f0
#define PRI_CTL 0x3f6
#define SEC 0x170
#define BM 0xc000

#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DSC 0x10
#define ST_DRDY 0x40
#define ST_BSY 0x80

struct rig {
    struct harness *h;
    struct phys_mem *mem;
    struct pci_bus pci;
    struct ide_controller ide;
    char disk[64], iso[64];
    size_t disk_len;
};

static void pattern(uint8_t *b, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 7;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        b[i] = (uint8_t)(x >> 3);
    }
}

static void make_file(const char *path, size_t len, uint32_t seed)
{
    uint8_t *b = malloc(len);
    pattern(b, len, seed);
    FILE *f = fopen(path, "wb");
    cr_assert(f && fwrite(b, 1, len, f) == len);
    fclose(f);
    free(b);
}

static void file_bytes(const char *path, uint64_t off, void *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseeko(f, (off_t)off, SEEK_SET);
    cr_assert_eq(fread(buf, 1, len, f), len);
    fclose(f);
}

static struct block_dev *open_img(const char *path, bool ro)
{
    char err[512];
    struct block_options o = { .readonly = ro, .format = BLOCK_FORMAT_RAW };
    struct block_dev *bd = block_open(path, &o, err, sizeof(err));
    cr_assert(bd, "%s", err);
    return bd;
}

/* A disk of 4 MiB as primary master, an ISO of 64 blocks as secondary master. */
static struct rig *rig_new(bool with_cd)
{
    struct rig *r = calloc(1, sizeof(*r));
    r->h = harness_new();
    r->mem = phys_mem_create(4u << 20);
    cr_assert(r->mem);
    cr_assert_eq(pci_bus_init(&r->pci, &r->h->bus), 0);
    cr_assert_eq(ide_init(&r->ide, &r->pci, &r->h->bus, r->mem, &r->h->clock), 0);
    strcpy(r->disk, "/tmp/softvm-ide-XXXXXX");
    int fd = mkstemp(r->disk);
    close(fd);
    r->disk_len = 4u << 20;
    make_file(r->disk, r->disk_len, 1);
    cr_assert_eq(ide_attach(&r->ide, 0, open_img(r->disk, false), false), 0);
    if (with_cd) {
        strcpy(r->iso, "/tmp/softvm-iso-XXXXXX");
        fd = mkstemp(r->iso);
        close(fd);
        make_file(r->iso, 64 * 2048, 2);
        cr_assert_eq(ide_attach(&r->ide, 2, open_img(r->iso, true), true), 0);
    }
    /* map BAR4 and enable I/O + bus mastering, as firmware does */
    pci_config_write(&r->pci, PCI_DEVFN(1, 1), PCI_BAR0 + 16, BM, 4);
    pci_config_write(&r->pci, PCI_DEVFN(1, 1), PCI_COMMAND, 0x5, 2);
    return r;
}

static void rig_free(struct rig *r)
{
    ide_destroy(&r->ide);
    phys_mem_destroy(r->mem);
    unlink(r->disk);
    if (r->iso[0])
        unlink(r->iso);
    free(r->h);
    free(r);
}


static uint8_t alt_status(struct rig *r, uint16_t base)
{
    return inb(r->h, base == PRI ? PRI_CTL : 0x376);
}

static void wait_not_busy(struct rig *r, uint16_t base)
{
    uint64_t end = r->h->icount + 10000000;
    while (alt_status(r, base) & ST_BSY) {
        cr_assert(r->h->icount < end, "the drive stays busy");
        harness_advance_to(r->h, r->h->icount + 1000);
    }
}

static void lba28(struct rig *r, uint16_t base, int dev, uint32_t lba, uint8_t count, uint8_t cmd)
{
    outb(r->h, base + 6, (uint8_t)(0xe0 | dev << 4 | ((lba >> 24) & 0xf)));
    outb(r->h, base + 2, count);
    outb(r->h, base + 3, (uint8_t)lba);
    outb(r->h, base + 4, (uint8_t)(lba >> 8));
    outb(r->h, base + 5, (uint8_t)(lba >> 16));
    outb(r->h, base + 7, cmd);
}

static void read_words(struct rig *r, uint16_t base, uint8_t *buf, size_t bytes)
{
    for (size_t i = 0; i < bytes; i += 2) {
        uint16_t w = inw(r->h, base);
        buf[i] = (uint8_t)w;
        buf[i + 1] = (uint8_t)(w >> 8);
    }
}

Test(ide, identify_device)
{
    struct rig *r = rig_new(false);
    outb(r->h, PRI + 6, 0xa0);
    outb(r->h, PRI + 7, 0xec);
    cr_assert(alt_status(r, PRI) & ST_BSY);
    cr_assert_not(r->h->line[14]);
    /* completes exactly IDE_CMD_NS later, with DRQ and IRQ 14 */
    harness_advance_to(r->h, IDE_CMD_NS - 1);
    cr_assert(alt_status(r, PRI) & ST_BSY);
    harness_advance_to(r->h, IDE_CMD_NS);
    cr_assert_eq(alt_status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
    cr_assert(r->h->line[14]);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC | ST_DRQ);   /* acknowledges */
    cr_assert_not(r->h->line[14]);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = inw(r->h, PRI);
    cr_assert_eq(alt_status(r, PRI), ST_DRDY | ST_DSC);
    uint32_t sectors = (4u << 20) / 512;
    cr_assert_eq(w[0], 0x0040);
    cr_assert_eq(w[49] & 0x0300, 0x0300);                 /* LBA and DMA */
    cr_assert_eq(w[60] | (uint32_t)w[61] << 16, sectors);
    cr_assert_eq(w[100] | (uint32_t)w[101] << 16, sectors);
    cr_assert_eq(w[102] | w[103], 0);
    cr_assert(w[83] & (1 << 10));                         /* LBA48 */
    cr_assert_eq(w[3], 16);
    cr_assert_eq(w[6], 63);
    cr_assert_eq(w[1], sectors / (16 * 63));
    /* model string: big-endian characters per word, space padded */
    char model[41];
    for (int i = 0; i < 20; i++) {
        model[2 * i] = (char)(w[27 + i] >> 8);
        model[2 * i + 1] = (char)w[27 + i];
    }
    model[40] = 0;
    cr_assert_str_eq(model, "SOFTVM HARDDISK                         ");
    rig_free(r);
}

/* IDENTIFY DEVICE word `word` of the primary master. */
static uint16_t identify_word(struct rig *r, int word)
{
    uint16_t w[256];
    outb(r->h, PRI + 6, 0xa0);
    outb(r->h, PRI + 7, 0xec);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC | ST_DRQ);
    for (int i = 0; i < 256; i++)
        w[i] = inw(r->h, PRI);
    return w[word];
}

static void ata_nondata(struct rig *r, uint8_t cmd, uint8_t feature, uint8_t count)
{
    outb(r->h, PRI + 6, 0xa0);
    outb(r->h, PRI + 1, feature);
    outb(r->h, PRI + 2, count);
    outb(r->h, PRI + 7, cmd);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC, "cmd %#x feature %#x", cmd, feature);
}

static void soft_reset(struct rig *r)
{
    outb(r->h, PRI_CTL, 0x04);
    outb(r->h, PRI_CTL, 0x00);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
}

/* READ MULTIPLE of 32 sectors from LBA 64: the data must be the disk's, and
 * the result is the number of interrupts, one per DRQ block (ATA/ATAPI-6
 * 9.5 PIO data-in). */
static unsigned read_multiple_irqs(struct rig *r)
{
    uint8_t got[32 * 512], want[32 * 512];
    unsigned irqs = 0;
    lba28(r, PRI, 0, 64, 32, 0xc4);
    for (size_t i = 0; i < sizeof(got); i += 2) {
        wait_not_busy(r, PRI);
        if (r->h->line[14]) {
            irqs++;
            inb(r->h, PRI + 7);                   /* acknowledge */
        }
        cr_assert(alt_status(r, PRI) & ST_DRQ, "no DRQ at byte %zu", i);
        uint16_t v = inw(r->h, PRI);
        got[i] = (uint8_t)v;
        got[i + 1] = (uint8_t)(v >> 8);
    }
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
    file_bytes(r->disk, 64 * 512, want, sizeof(want));
    cr_assert(memcmp(got, want, sizeof(want)) == 0);
    return irqs;
}

/*
 * The multiple mode across resets. Power-on: word 47's maximum, 16
 * (ATA/ATAPI-6 8.15.28: word 59 "may default to the preferred value";
 * 8.31.8: without a successful SET MULTIPLE the block size is word 47's
 * default; QEMU's drive starts at 16 and goes back to 16 at every reset).
 * A software reset reverts to that default (as the other settings that SET
 * FEATURES CCh/66h govern, ATA/ATAPI-6 8.46), unless 66h disabled
 * reverting; a hardware reset always does. Word 59: bit 8 valid, bits 7:0
 * the current block size.
 */
Test(ide, multiple_mode_across_resets)
{
    struct rig *r = rig_new(false);
    cr_assert_eq(identify_word(r, 47), 0x8010);
    cr_assert_eq(identify_word(r, 59), 0x0110);
    cr_assert_eq(read_multiple_irqs(r), 2);          /* 2 blocks of 16 */
    ata_nondata(r, 0xc6, 0, 4);                       /* SET MULTIPLE 4 */
    cr_assert_eq(identify_word(r, 59), 0x0104);
    cr_assert_eq(read_multiple_irqs(r), 8);
    soft_reset(r);                                    /* back to 16 */
    cr_assert_eq(identify_word(r, 59), 0x0110);
    cr_assert_eq(read_multiple_irqs(r), 2);
    ata_nondata(r, 0xef, 0x66, 0);                    /* disable reverting */
    ata_nondata(r, 0xc6, 0, 8);
    soft_reset(r);                                    /* 8 is kept */
    cr_assert_eq(identify_word(r, 59), 0x0108);
    cr_assert_eq(read_multiple_irqs(r), 4);
    ata_nondata(r, 0xc6, 0, 2);
    ata_nondata(r, 0xef, 0xcc, 0);                    /* enable reverting */
    soft_reset(r);
    cr_assert_eq(identify_word(r, 59), 0x0110);
    ata_nondata(r, 0xef, 0x66, 0);
    ata_nondata(r, 0xc6, 0, 1);
    ide_reset(&r->ide);                               /* hardware reset: 16, reverting on */
    pci_config_write(&r->pci, PCI_DEVFN(1, 1), PCI_BAR0 + 16, BM, 4);
    pci_config_write(&r->pci, PCI_DEVFN(1, 1), PCI_COMMAND, 0x5, 2);
    wait_not_busy(r, PRI);
    cr_assert_eq(identify_word(r, 59), 0x0110);
    ata_nondata(r, 0xc6, 0, 2);
    soft_reset(r);
    cr_assert_eq(identify_word(r, 59), 0x0110);
    rig_free(r);
}

Test(ide, absent_devices)
{
    struct rig *r = rig_new(false);
    /* slave of the primary channel: status 0, commands ignored */
    outb(r->h, PRI + 6, 0xb0);
    cr_assert_eq(inb(r->h, PRI + 7), 0);
    outb(r->h, PRI + 7, 0xec);
    harness_advance_to(r->h, 100000);
    cr_assert_eq(inb(r->h, PRI + 7), 0);
    cr_assert_not(r->h->line[14]);
    /* an empty channel reads 0 */
    cr_assert_eq(inb(r->h, SEC + 7), 0);
    cr_assert_eq(inb(r->h, SEC + 2), 0);
    rig_free(r);
}

Test(ide, pio_read_write_lba28_and_multiple)
{
    struct rig *r = rig_new(false);
    uint8_t got[8 * 512], want[8 * 512];
    /* READ SECTORS: 3 sectors from LBA 100, one interrupt per sector */
    lba28(r, PRI, 0, 100, 3, 0x20);
    for (int s = 0; s < 3; s++) {
        wait_not_busy(r, PRI);
        cr_assert(r->h->line[14]);
        cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC | ST_DRQ);
        read_words(r, PRI, got + s * 512, 512);
    }
    cr_assert_eq(alt_status(r, PRI), ST_DRDY | ST_DSC);
    file_bytes(r->disk, 100 * 512, want, 3 * 512);
    cr_assert(memcmp(got, want, 3 * 512) == 0);
    /* the task file ends at the last sector read */
    cr_assert_eq(inb(r->h, PRI + 3), 102);

    /* SET MULTIPLE 4, READ MULTIPLE 8: two blocks of four */
    outb(r->h, PRI + 2, 4);
    outb(r->h, PRI + 7, 0xc6);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
    lba28(r, PRI, 0, 7, 8, 0xc4);
    int irqs = 0;
    for (int b = 0; b < 2; b++) {
        wait_not_busy(r, PRI);
        irqs += r->h->line[14];
        inb(r->h, PRI + 7);
        for (int i = 0; i < 4 * 256; i += 2) {   /* 32-bit PIO */
            uint32_t v = inl(r->h, PRI);
            memcpy(got + b * 2048 + i * 2, &v, 4);
        }
    }
    cr_assert_eq(irqs, 2);
    file_bytes(r->disk, 7 * 512, want, 8 * 512);
    cr_assert(memcmp(got, want, 8 * 512) == 0);

    /* WRITE SECTORS 2 at LBA 5000 */
    pattern(want, 1024, 99);
    lba28(r, PRI, 0, 5000, 2, 0x30);
    cr_assert_eq(alt_status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);   /* no wait, no IRQ */
    cr_assert_not(r->h->line[14]);
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 512; i += 2)
            outw(r->h, PRI, (uint16_t)(want[s * 512 + i] | want[s * 512 + i + 1] << 8));
        cr_assert(alt_status(r, PRI) & ST_BSY);
        wait_not_busy(r, PRI);
        cr_assert(r->h->line[14]);
        inb(r->h, PRI + 7);
    }
    cr_assert_eq(alt_status(r, PRI), ST_DRDY | ST_DSC);
    outb(r->h, PRI + 7, 0xe7);                   /* FLUSH CACHE */
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
    file_bytes(r->disk, 5000 * 512, got, 1024);
    cr_assert(memcmp(got, want, 1024) == 0);
    rig_free(r);
}

Test(ide, lba48_and_chs)
{
    struct rig *r = rig_new(false);
    uint8_t got[512], want[512];
    /* READ SECTORS EXT, LBA 8000 = 0x1F40, count 1: high bytes first */
    outb(r->h, PRI + 6, 0x40);
    outb(r->h, PRI + 2, 0); outb(r->h, PRI + 2, 1);
    outb(r->h, PRI + 3, 0); outb(r->h, PRI + 3, 0x40);
    outb(r->h, PRI + 4, 0); outb(r->h, PRI + 4, 0x1f);
    outb(r->h, PRI + 5, 0); outb(r->h, PRI + 5, 0);
    outb(r->h, PRI + 7, 0x24);
    wait_not_busy(r, PRI);
    read_words(r, PRI, got, 512);
    file_bytes(r->disk, 8000 * 512, want, 512);
    cr_assert(memcmp(got, want, 512) == 0);
    /* HOB reads give the previous contents */
    outb(r->h, PRI_CTL, 0x80);
    cr_assert_eq(inb(r->h, PRI + 2), 0);
    outb(r->h, PRI_CTL, 0x00);
    /* a high LBA48 sector beyond the disk: IDNF */
    outb(r->h, PRI + 2, 0); outb(r->h, PRI + 2, 1);
    outb(r->h, PRI + 3, 1); outb(r->h, PRI + 3, 0);
    outb(r->h, PRI + 4, 0); outb(r->h, PRI + 4, 0);
    outb(r->h, PRI + 5, 0); outb(r->h, PRI + 5, 0);
    outb(r->h, PRI + 7, 0x24);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC | ST_ERR);
    cr_assert_eq(inb(r->h, PRI + 1), 0x14);      /* IDNF | ABRT */
    /* CHS: cylinder 2, head 3, sector 5 -> (2*16+3)*63+4 = 2209 */
    outb(r->h, PRI + 6, 0xa3);
    outb(r->h, PRI + 2, 1);
    outb(r->h, PRI + 3, 5);
    outb(r->h, PRI + 4, 2);
    outb(r->h, PRI + 5, 0);
    outb(r->h, PRI + 7, 0x20);
    wait_not_busy(r, PRI);
    read_words(r, PRI, got, 512);
    file_bytes(r->disk, 2209 * 512, want, 512);
    cr_assert(memcmp(got, want, 512) == 0);
    rig_free(r);
}

Test(ide, errors_and_reset)
{
    struct rig *r = rig_new(true);
    /* unknown command: ABRT at once */
    outb(r->h, PRI + 6, 0xa0);
    outb(r->h, PRI + 7, 0xb0);                   /* SMART */
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC | ST_ERR);
    cr_assert_eq(inb(r->h, PRI + 1), 0x04);
    /* last sector + 1 */
    lba28(r, PRI, 0, 8191, 2, 0x20);
    cr_assert(inb(r->h, PRI + 7) & ST_ERR);
    /* READ MULTIPLE after SET MULTIPLE 0 (multiple mode disabled) aborts */
    outb(r->h, PRI + 6, 0xa0);
    outb(r->h, PRI + 2, 0);
    outb(r->h, PRI + 7, 0xc6);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
    lba28(r, PRI, 0, 0, 1, 0xc4);
    cr_assert(inb(r->h, PRI + 7) & ST_ERR);
    cr_assert_eq(inb(r->h, PRI + 1), 0x04);
    /* nIEN masks the line, the pending interrupt stays */
    outb(r->h, PRI_CTL, 0x02);
    lba28(r, PRI, 0, 0, 1, 0x20);
    wait_not_busy(r, PRI);
    cr_assert_not(r->h->line[14]);
    outb(r->h, PRI_CTL, 0x00);
    cr_assert(r->h->line[14]);
    /* soft reset: BSY while SRST, then the ATA signature */
    outb(r->h, PRI_CTL, 0x04);
    cr_assert(alt_status(r, PRI) & ST_BSY);
    outb(r->h, PRI_CTL, 0x00);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
    cr_assert_eq(inb(r->h, PRI + 1), 0x01);
    cr_assert_eq(inb(r->h, PRI + 2), 1);
    cr_assert_eq(inb(r->h, PRI + 3), 1);
    cr_assert_eq(inb(r->h, PRI + 4), 0);
    cr_assert_eq(inb(r->h, PRI + 5), 0);
    /* the CD-ROM: ATAPI signature, and IDENTIFY DEVICE aborts with it */
    outb(r->h, 0x376, 0x04);
    outb(r->h, 0x376, 0x00);
    cr_assert_eq(inb(r->h, SEC + 4), 0x14);
    cr_assert_eq(inb(r->h, SEC + 5), 0xeb);
    outb(r->h, SEC + 7, 0xec);
    cr_assert(inb(r->h, SEC + 7) & ST_ERR);
    cr_assert_eq(inb(r->h, SEC + 4), 0x14);
    rig_free(r);
}

/* ---- bus-master DMA ---- */

static void prd(struct rig *r, uint32_t table, int i, uint32_t addr, uint32_t len, bool eot)
{
    phys_write32(r->mem, table + 8 * i, addr);
    phys_write32(r->mem, table + 8 * i + 4, (len & 0xffff) | (eot ? 0x80000000u : 0));
}

Test(ide, dma_read_write)
{
    struct rig *r = rig_new(false);
    uint8_t want[16 * 512], got[16 * 512];
    /* 16 sectors from LBA 300 into two buffers: 3000 bytes and the rest */
    prd(r, 0x1000, 0, 0x20000, 3000, false);
    prd(r, 0x1000, 1, 0x30000, 16 * 512 - 3000, true);
    outl(r->h, BM + 4, 0x1000);
    lba28(r, PRI, 0, 300, 16, 0xc8);
    outb(r->h, BM, 0x09);                        /* start, to memory */
    cr_assert(inb(r->h, BM + 2) & 1);
    harness_advance_to(r->h, r->h->icount + IDE_CMD_NS + 16 * IDE_SECTOR_NS - 1);
    cr_assert_not(inb(r->h, BM + 2) & 4);
    harness_advance_to(r->h, r->h->icount + 1);
    cr_assert_eq(inb(r->h, BM + 2) & 7, 4);      /* interrupt, not active */
    cr_assert(r->h->line[14]);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
    outb(r->h, BM + 2, 4);                       /* write 1 to clear */
    cr_assert_eq(inb(r->h, BM + 2) & 4, 0);
    outb(r->h, BM, 0);
    dma_read(r->mem, 0x20000, got, 3000);
    dma_read(r->mem, 0x30000, got + 3000, sizeof(got) - 3000);
    file_bytes(r->disk, 300 * 512, want, sizeof(want));
    cr_assert(memcmp(got, want, sizeof(want)) == 0);

    /* WRITE DMA of 2 sectors from one buffer; engine started first */
    pattern(want, 1024, 5);
    dma_write(r->mem, 0x40000, want, 1024);
    prd(r, 0x1000, 0, 0x40000, 1024, true);
    outb(r->h, BM, 0x01);
    lba28(r, PRI, 0, 600, 2, 0xca);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC);
    cr_assert_eq(inb(r->h, BM + 2) & 7, 4);
    outb(r->h, BM, 0);
    file_bytes(r->disk, 600 * 512, got, 1024);
    cr_assert(memcmp(got, want, 1024) == 0);
    rig_free(r);
}

Test(ide, dma_bad_prd_tables)
{
    struct rig *r = rig_new(false);
    /* too short a table: SFF-8038i "Active 0, Interrupt 0, Error 0" (the
     * regions were smaller than the transfer), and no interrupt */
    prd(r, 0x1000, 0, 0x20000, 512, true);
    outl(r->h, BM + 4, 0x1000);
    lba28(r, PRI, 0, 0, 4, 0xc8);
    outb(r->h, BM, 0x09);
    wait_not_busy(r, PRI);
    cr_assert_not(r->h->line[14]);
    cr_assert_eq(inb(r->h, BM + 2) & 7, 0);
    cr_assert_eq(inb(r->h, PRI + 7) & (ST_BSY | ST_ERR), 0);
    outb(r->h, BM, 0);
    outb(r->h, BM + 2, 6);
    /* a table longer than the transfer: INTR with the engine still active */
    prd(r, 0x1000, 0, 0x20000, 512, false);
    prd(r, 0x1000, 1, 0x21000, 512, true);
    lba28(r, PRI, 0, 0, 1, 0xc8);
    outb(r->h, BM, 0x09);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, BM + 2) & 5, 5);
    outb(r->h, BM, 0);
    outb(r->h, BM + 2, 6);
    /* addresses outside RAM, a table with no end, a table at the top of
     * the address space: no crash, the transfer ends */
    for (int i = 0; i < 8192 / 8; i++)
        prd(r, 0x10000, i, 0xfffff000u - (uint32_t)i * 4096, 0, false);
    outl(r->h, BM + 4, 0x10000);
    lba28(r, PRI, 0, 0, 255, 0xc8);
    outb(r->h, BM, 0x09);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7) & ST_BSY, 0);
    outb(r->h, BM, 0);
    outb(r->h, BM + 2, 6);
    outl(r->h, BM + 4, 0xfffffffc);
    lba28(r, PRI, 0, 0, 255, 0xca);
    outb(r->h, BM, 0x01);
    wait_not_busy(r, PRI);
    /* unmapped: the entry reads all-ones (EOT, 65534 bytes), too short */
    cr_assert_eq(inb(r->h, BM + 2) & 7, 0);
    cr_assert_not(r->h->line[14]);
    rig_free(r);
}

/* ---- ATAPI ---- */

/* Send a 12-byte packet; PIO, byte-count limit `limit`. */
static void packet(struct rig *r, const uint8_t cdb[12], uint16_t limit)
{
    outb(r->h, SEC + 6, 0xa0);
    outb(r->h, SEC + 1, 0);
    outb(r->h, SEC + 4, (uint8_t)limit);
    outb(r->h, SEC + 5, (uint8_t)(limit >> 8));
    outb(r->h, SEC + 7, 0xa0);
    cr_assert_eq(alt_status(r, SEC) & (ST_DRQ | ST_BSY), ST_DRQ);
    cr_assert_eq(inb(r->h, SEC + 2) & 3, 1);     /* CoD: command */
    for (int i = 0; i < 12; i += 2)
        outw(r->h, SEC, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
    wait_not_busy(r, SEC);
}

/* Read the whole reply; returns its length. */
static size_t reply(struct rig *r, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        wait_not_busy(r, SEC);
        uint8_t st = inb(r->h, SEC + 7);
        if (!(st & ST_DRQ))
            break;
        cr_assert_eq(inb(r->h, SEC + 2) & 3, 2);  /* IO: data to the host */
        size_t chunk = inb(r->h, SEC + 4) | (size_t)inb(r->h, SEC + 5) << 8;
        cr_assert(n + chunk <= cap);
        read_words(r, SEC, buf + n, chunk);
        n += chunk;
    }
    cr_assert_eq(inb(r->h, SEC + 2) & 3, 3);      /* completion */
    return n;
}

Test(ide, atapi_commands)
{
    struct rig *r = rig_new(true);
    uint8_t buf[70000], want[16 * 2048];
    outb(r->h, SEC + 6, 0xa0);
    outb(r->h, SEC + 7, 0xa1);                   /* IDENTIFY PACKET DEVICE */
    wait_not_busy(r, SEC);
    uint16_t w0 = inw(r->h, SEC);
    cr_assert_eq(w0, 0x85c0);
    for (int i = 1; i < 256; i++)
        inw(r->h, SEC);

    const uint8_t inquiry[12] = { 0x12, 0, 0, 0, 36 };
    packet(r, inquiry, 0xfffe);
    cr_assert(r->h->line[15]);
    cr_assert_eq(reply(r, buf, sizeof(buf)), 36);
    cr_assert_eq(buf[0], 0x05);
    cr_assert_eq(buf[1], 0x80);
    cr_assert(memcmp(buf + 8, "SOFTVM  DVD-ROM", 15) == 0);

    const uint8_t capacity[12] = { 0x25 };
    packet(r, capacity, 0xfffe);
    cr_assert_eq(reply(r, buf, sizeof(buf)), 8);
    cr_assert_eq(buf[3], 63);                     /* last block */
    cr_assert_eq(buf[6] << 8 | buf[7], 2048);

    /* READ(10) of 16 blocks from 3, in DRQ chunks of at most 6000 bytes */
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 16 };
    packet(r, rd, 6000);
    cr_assert_eq(reply(r, buf, sizeof(buf)), 16 * 2048);
    file_bytes(r->iso, 3 * 2048, want, sizeof(want));
    cr_assert(memcmp(buf, want, sizeof(want)) == 0);

    /* beyond the disc: CHECK CONDITION, ILLEGAL REQUEST / LBA out of range */
    const uint8_t bad[12] = { 0x28, 0, 0, 0, 0, 60, 0, 0, 5 };
    packet(r, bad, 0xfffe);
    uint8_t st = inb(r->h, SEC + 7);
    cr_assert(st & ST_ERR);
    cr_assert_eq(inb(r->h, SEC + 1) >> 4, 5);
    const uint8_t sense[12] = { 0x03, 0, 0, 0, 18 };
    packet(r, sense, 0xfffe);
    cr_assert_eq(reply(r, buf, sizeof(buf)), 18);
    cr_assert_eq(buf[2], 5);
    cr_assert_eq(buf[12], 0x21);

    /* READ TOC: one data track and the lead-out at block 64 */
    const uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 100 };
    packet(r, toc, 0xfffe);
    cr_assert_eq(reply(r, buf, sizeof(buf)), 20);
    cr_assert_eq(buf[1], 18);
    cr_assert_eq(buf[6], 1);
    cr_assert_eq(buf[14], 0xaa);
    cr_assert_eq(buf[19], 64);

    /* media change: unit attention once, then a media event */
    struct block_dev *nd = open_img(r->iso, true);
    cr_assert_eq(ide_change_media(&r->ide, 2, nd), 0);
    const uint8_t tur[12] = { 0x00 };
    packet(r, tur, 0xfffe);
    cr_assert(inb(r->h, SEC + 7) & ST_ERR);
    cr_assert_eq(inb(r->h, SEC + 1) >> 4, 6);
    packet(r, tur, 0xfffe);
    cr_assert_eq(inb(r->h, SEC + 7) & ST_ERR, 0);
    const uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
    packet(r, gesn, 0xfffe);
    cr_assert_eq(reply(r, buf, sizeof(buf)), 8);
    cr_assert_eq(buf[2], 4);
    cr_assert_eq(buf[4], 2);                      /* new media */
    cr_assert_eq(buf[5], 2);                      /* present */
    /* tray emptied: NOT READY, medium not present */
    cr_assert_eq(ide_change_media(&r->ide, 2, NULL), 0);
    packet(r, tur, 0xfffe);                       /* the unit attention */
    packet(r, tur, 0xfffe);
    cr_assert(inb(r->h, SEC + 7) & ST_ERR);
    cr_assert_eq(inb(r->h, SEC + 1) >> 4, 2);
    rig_free(r);
}

Test(ide, atapi_dma_read)
{
    struct rig *r = rig_new(true);
    uint8_t want[5 * 2048], got[5 * 2048];
    prd(r, 0x1000, 0, 0x50000, 5 * 2048, true);
    outl(r->h, BM + 8 + 4, 0x1000);
    outb(r->h, BM + 8, 0x09);
    const uint8_t rd[12] = { 0xa8, 0, 0, 0, 0, 10, 0, 0, 0, 5 };   /* READ(12) */
    outb(r->h, SEC + 6, 0xa0);
    outb(r->h, SEC + 1, 1);                       /* DMA */
    outb(r->h, SEC + 7, 0xa0);
    for (int i = 0; i < 12; i += 2)
        outw(r->h, SEC, (uint16_t)(rd[i] | rd[i + 1] << 8));
    wait_not_busy(r, SEC);
    cr_assert_eq(inb(r->h, SEC + 7) & (ST_ERR | ST_DRQ), 0);
    cr_assert_eq(inb(r->h, BM + 8 + 2) & 5, 4);
    dma_read(r->mem, 0x50000, got, sizeof(got));
    file_bytes(r->iso, 10 * 2048, want, sizeof(want));
    cr_assert(memcmp(got, want, sizeof(want)) == 0);
    rig_free(r);
}

/* ---- generated command variants --------------------------------------------------
 *
 * Every READ/WRITE SECTORS, MULTIPLE and DMA command, LBA28 and LBA48, over a
 * table of start addresses (inside, at the end, one past it, far beyond),
 * sector counts (odd ones, block-size multiples and not, 0 = 256 or 65536)
 * and MULTIPLE block sizes (none set, 1, 4, 16), each driven through the
 * whole protocol as a driver does. What must happen comes from the ATA
 * spec (ATA/ATAPI-6 8.x, 9.x), not from the device:
 *   - READ/WRITE MULTIPLE with the multiple mode disabled (SET MULTIPLE
 *     0): ERR with ABRT (8.25, 8.49); before any SET MULTIPLE: blocks of
 *     word 47's 16 (8.31.8);
 *   - a range not inside the disk: ERR with IDNF (6.2.2), no data moved;
 *   - otherwise: one DRQ block per interrupt (9.5/9.6 PIO data-in/out: none
 *     before the first written block), blocks of the MULTIPLE size with a
 *     short last one, DRDY|DSC at the end with no ERR and no DRQ, the disk
 *     holding exactly the sectors written and reads returning the disk.
 */

struct gen_cmd {
    uint8_t op;
    bool write, lba48, multiple, dma;
};

static const struct gen_cmd gen_cmds[] = {
    { 0x20, false, false, false, false }, { 0x24, false, true, false, false },
    { 0x30, true, false, false, false },  { 0x34, true, true, false, false },
    { 0xc4, false, false, true, false },  { 0x29, false, true, true, false },
    { 0xc5, true, false, true, false },   { 0x39, true, true, true, false },
    { 0xc8, false, false, false, true },  { 0x25, false, true, false, true },
    { 0xca, true, false, false, true },   { 0x35, true, true, false, true },
};

#define GEN_SECTORS 8192u                 /* the rig's 4 MiB disk */
#define GEN_PRDT 0x1000u
#define GEN_BUF 0x100000u                 /* DMA buffers: 1 MiB up */

/* Program the task file (LBA mode) and write the command. */
static void gen_issue(struct rig *r, const struct gen_cmd *c, uint64_t lba, uint32_t count_reg)
{
    if (c->lba48) {
        outb(r->h, PRI + 6, 0x40);
        outb(r->h, PRI + 2, (uint8_t)(count_reg >> 8)); outb(r->h, PRI + 2, (uint8_t)count_reg);
        outb(r->h, PRI + 3, (uint8_t)(lba >> 24)); outb(r->h, PRI + 3, (uint8_t)lba);
        outb(r->h, PRI + 4, (uint8_t)(lba >> 32)); outb(r->h, PRI + 4, (uint8_t)(lba >> 8));
        outb(r->h, PRI + 5, (uint8_t)(lba >> 40)); outb(r->h, PRI + 5, (uint8_t)(lba >> 16));
        outb(r->h, PRI + 7, c->op);
    } else {
        lba28(r, PRI, 0, (uint32_t)lba, (uint8_t)count_reg, c->op);
    }
}

static void gen_set_multiple(struct rig *r, unsigned mult)
{
    outb(r->h, PRI + 6, 0xa0);
    outb(r->h, PRI + 2, (uint8_t)mult);
    outb(r->h, PRI + 7, 0xc6);
    wait_not_busy(r, PRI);
    cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC, "SET MULTIPLE %u", mult);
}

/* The final status, read through the status register (acknowledging). */
static void gen_expect_end(struct rig *r, bool err, uint8_t need, const char *what)
{
    wait_not_busy(r, PRI);
    uint8_t st = inb(r->h, PRI + 7);
    if (err) {
        cr_assert_eq(st & (ST_BSY | ST_DRDY | ST_DRQ | ST_ERR), ST_DRDY | ST_ERR,
                     "%s: status %#x, want DRDY|ERR", what, st);
        uint8_t e = inb(r->h, PRI + 1);
        cr_assert_eq(e & need, need, "%s: error %#x lacks %#x", what, e, need);
    } else {
        cr_assert_eq(st, ST_DRDY | ST_DSC, "%s: status %#x, want DRDY|DSC", what, st);
    }
}

/* One variant, against `model`, what the whole disk must hold (updated
 * for a write). The sectors around the range are compared after each
 * variant; the caller compares the whole disk at the end. */
static void gen_run(struct rig *r, uint8_t *model, const struct gen_cmd *c, uint64_t lba,
                    uint32_t count_reg, unsigned mult, uint32_t seed)
{
    char what[128];
    snprintf(what, sizeof(what), "cmd %#x lba %llu count %u mult %u", c->op,
             (unsigned long long)lba, count_reg, mult);
    uint32_t count = count_reg ? count_reg : (c->lba48 ? 65536u : 256u);
    bool range_ok = lba < GEN_SECTORS && count <= GEN_SECTORS - lba;
    bool aborted = c->multiple && mult == 0;
    bool moves = range_ok && !aborted;
    size_t bytes = moves ? (size_t)count * 512 : 0;
    uint8_t *data = malloc(bytes ? bytes : 1);
    pattern(data, bytes, seed);

    if (c->dma && moves) {
        /* one PRD entry per 64 KiB (byte count 0), the rest in the last one */
        size_t left = bytes;
        for (int i = 0; left; i++) {
            uint32_t n = left > 65536 ? 65536 : (uint32_t)left;
            prd(r, GEN_PRDT, i, GEN_BUF + (uint32_t)i * 65536, n, left == n);
            left -= n;
        }
        if (c->write)
            dma_write(r->mem, GEN_BUF, data, bytes);
        else
            dma_fill(r->mem, GEN_BUF, 0x5a, bytes);
        outl(r->h, BM + 4, GEN_PRDT);
        outb(r->h, BM + 2, 6);
    }
    gen_issue(r, c, lba, count_reg);
    if (!moves) {
        gen_expect_end(r, true, aborted ? 0x04 : 0x10, what);
    } else if (c->dma) {
        outb(r->h, BM, c->write ? 0x01 : 0x09);
        wait_not_busy(r, PRI);
        cr_assert(r->h->line[14], "%s: no interrupt", what);
        cr_assert_eq(inb(r->h, BM + 2) & 7, 4, "%s: BM status %#x", what, inb(r->h, BM + 2));
        outb(r->h, BM, 0);
        gen_expect_end(r, false, 0, what);
        if (!c->write) {
            uint8_t *got = malloc(bytes);
            dma_read(r->mem, GEN_BUF, got, bytes);
            cr_assert(memcmp(got, model + lba * 512, bytes) == 0, "%s: data", what);
            free(got);
        }
    } else {
        uint32_t block = c->multiple ? mult : 1, done = 0;
        uint8_t *got = malloc(bytes);
        while (done < count) {
            uint32_t n = count - done < block ? count - done : block;
            if (c->write && done == 0) {
                cr_assert_eq(alt_status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ, "%s: first DRQ", what);
                cr_assert_not(r->h->line[14], "%s: interrupt before the first block", what);
            } else {
                wait_not_busy(r, PRI);
                cr_assert(r->h->line[14], "%s: no interrupt for the block at %u", what, done);
                cr_assert_eq(inb(r->h, PRI + 7), ST_DRDY | ST_DSC | ST_DRQ, "%s: DRQ at %u",
                             what, done);
            }
            /* 32-bit PIO for odd variants, 16-bit for even ones */
            unsigned step = seed & 1 ? 4 : 2;
            for (uint32_t i = 0; i < n * 512; i += step) {
                uint8_t *p = (c->write ? data : got) + (size_t)done * 512 + i;
                uint32_t v = 0;
                if (c->write) {
                    memcpy(&v, p, step);
                    if (step == 4)
                        outl(r->h, PRI, v);
                    else
                        outw(r->h, PRI, (uint16_t)v);
                } else {
                    v = step == 4 ? inl(r->h, PRI) : inw(r->h, PRI);
                    memcpy(p, &v, step);
                }
            }
            done += n;
        }
        if (c->write) {
            wait_not_busy(r, PRI);
            cr_assert(r->h->line[14], "%s: no interrupt after the last block", what);
        } else {
            cr_assert(memcmp(got, model + lba * 512, bytes) == 0, "%s: data", what);
        }
        gen_expect_end(r, false, 0, what);
        free(got);
    }
    if (c->write && moves)
        memcpy(model + lba * 512, data, bytes);
    /* the disk around the range (one sector either side) */
    uint64_t lo = lba > 0 && lba <= GEN_SECTORS ? lba - 1 : (lba ? GEN_SECTORS - 1 : 0);
    uint64_t hi = lba < GEN_SECTORS && count < GEN_SECTORS - lba ? lba + count + 1 : GEN_SECTORS;
    uint8_t *now = malloc((size_t)(hi - lo) * 512);
    file_bytes(r->disk, lo * 512, now, (size_t)(hi - lo) * 512);
    cr_assert(memcmp(now, model + lo * 512, (size_t)(hi - lo) * 512) == 0, "%s: disk contents",
              what);
    free(now);
    free(data);
}

static const uint64_t gen_lbas[] = { 0, 4095, GEN_SECTORS - 17, GEN_SECTORS - 1, GEN_SECTORS,
                                     GEN_SECTORS + 1, 0x0fffffff, 0x100000000ull,
                                     0xffffffffffffull };
static const uint32_t gen_counts[] = { 1, 2, 3, 7, 16, 17, 255, 0, 65535 };
/* GEN_MULT_UNSET: no SET MULTIPLE at all, the drive's default of 16. */
#define GEN_MULT_UNSET 255u
static const unsigned gen_mults[] = { 0, 1, 4, 16, GEN_MULT_UNSET };
#define GEN_NMULTS (sizeof(gen_mults) / sizeof(gen_mults[0]))

Test(ide, generated_rw_variants)
{
    unsigned runs = 0;
    for (size_t ci = 0; ci < sizeof(gen_cmds) / sizeof(gen_cmds[0]); ci++) {
        const struct gen_cmd *c = &gen_cmds[ci];
        for (size_t mi = 0; mi < (c->multiple ? GEN_NMULTS : 1u); mi++) {
            /* a fresh drive for each block size; mult 0 = SET MULTIPLE 0 (disabled) */
            struct rig *r = rig_new(false);
            uint8_t *model = malloc(r->disk_len);
            file_bytes(r->disk, 0, model, r->disk_len);
            unsigned mult = c->multiple ? gen_mults[mi] : 0;
            if (c->multiple && mult != GEN_MULT_UNSET)
                gen_set_multiple(r, mult);
            if (mult == GEN_MULT_UNSET)
                mult = 16;
            for (size_t li = 0; li < sizeof(gen_lbas) / sizeof(gen_lbas[0]); li++) {
                uint64_t lba = gen_lbas[li];
                if (!c->lba48 && lba > 0x0fffffff)
                    continue;
                for (size_t ni = 0; ni < sizeof(gen_counts) / sizeof(gen_counts[0]); ni++) {
                    uint32_t n = gen_counts[ni];
                    if (!c->lba48 && n > 255)
                        continue;
                    gen_run(r, model, c, lba, n, mult, runs++);
                }
            }
            uint8_t *now = malloc(r->disk_len);
            file_bytes(r->disk, 0, now, r->disk_len);
            cr_assert(memcmp(now, model, r->disk_len) == 0, "cmd %#x mult %u: the disk differs "
                      "from the model", c->op, mult);
            free(now);
            free(model);
            rig_free(r);
        }
    }
    cr_assert_geq(runs, 700, "only %u variants ran", runs);
}

/*
 * Generated bus-master variants (SFF-8038i 3.1, the Bus Master IDE Status
 * table) for READ/WRITE DMA (EXT): PRD tables of odd region sizes, regions
 * of 64 KiB (byte count 0), regions that end exactly, run past the transfer,
 * or stop short of it by 2 bytes, a sector, or all but 2 bytes; regions
 * outside RAM; a table that crosses a 64 KiB boundary. Expected:
 *   - regions == transfer: Interrupt 1, Active 0, the drive interrupts, ok;
 *   - regions  > transfer: Interrupt 1, Active 1 ("a valid completion");
 *   - regions  < transfer: Interrupt 0, Active 0, no interrupt at all;
 * and always: guest RAM outside the regions and the disk outside the
 * command's range are untouched; a short write leaves each sector old or
 * new; a complete read puts exactly the disk's bytes in the regions.
 */
enum prd_shape { PRD_EXACT, PRD_LONG, PRD_SHORT2, PRD_SHORT512, PRD_ONLY2, PRD_OUTSIDE,
                 PRD_WRAP, PRD_SHAPES };

#define GEN_RAM (4u << 20)
#define GEN_SENTINEL 0xa5

static void gen_dma_run(struct rig *r, uint8_t *model, const struct gen_cmd *c, uint64_t lba,
                        uint32_t count, enum prd_shape shape, uint32_t seed)
{
    char what[128];
    snprintf(what, sizeof(what), "cmd %#x lba %llu count %u shape %d seed %u", c->op,
             (unsigned long long)lba, count, shape, seed);
    size_t bytes = (size_t)count * 512;
    uint8_t *data = malloc(bytes);
    pattern(data, bytes, seed);
    /* the regions: odd even-sized pieces from a seeded sequence */
    uint32_t table = shape == PRD_WRAP ? 0x2fff8 : GEN_PRDT;
    size_t want = shape == PRD_SHORT2 ? bytes - 2 : shape == PRD_SHORT512 ? bytes - 512 :
                  shape == PRD_ONLY2 ? 2 : bytes;
    size_t extra = shape == PRD_LONG ? 4096 : 0, total = want + extra, have = 0;
    uint32_t addr[64], len[64], x = seed * 2654435761u + 1;
    int n = 0;
    uint32_t next = GEN_BUF;
    while (have < total) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        uint32_t l = (x % 8 == 0) ? 65536 : ((x >> 4) % 8192 + 2) & ~1u;
        if (l > total - have)
            l = (uint32_t)(total - have);
        addr[n] = shape == PRD_OUTSIDE ? 0xfff00000u + next - GEN_BUF : next;
        len[n] = l;
        next += l + 64;                       /* gaps between regions stay untouched */
        have += l;
        n++;
        cr_assert_lt(n, 64);
    }
    /* the table: entry i at table + 8i, wrapping inside its 64 KiB page */
    for (int i = 0; i < n; i++) {
        uint32_t at = (table & ~0xffffu) | ((table + 8u * (uint32_t)i) & 0xffff);
        phys_write32(r->mem, at, addr[i]);
        phys_write32(r->mem, at + 4, (len[i] & 0xffff) | (i == n - 1 ? 0x80000000u : 0));
    }
    dma_fill(r->mem, GEN_BUF, GEN_SENTINEL, GEN_RAM - GEN_BUF);
    if (c->write) {
        size_t off = 0;
        for (int i = 0; i < n && shape != PRD_OUTSIDE; i++) {
            size_t k = off + len[i] <= bytes ? len[i] : (off < bytes ? bytes - off : 0);
            dma_write(r->mem, addr[i], data + off, k);
            off += len[i];
        }
    }
    uint8_t *ram_before = malloc(GEN_RAM - GEN_BUF);
    dma_read(r->mem, GEN_BUF, ram_before, GEN_RAM - GEN_BUF);
    outl(r->h, BM + 4, table);
    outb(r->h, BM + 2, 6);
    gen_issue(r, c, lba, count);
    outb(r->h, BM, c->write ? 0x01 : 0x09);
    wait_not_busy(r, PRI);
    uint8_t bm = inb(r->h, BM + 2) & 7;
    bool irq = r->h->line[14];
    outb(r->h, BM, 0);
    bool complete = total >= bytes;
    if (!complete) {
        cr_assert_eq(bm, 0, "%s: BM status %#x, want Interrupt 0 Active 0", what, bm);
        cr_assert_not(irq, "%s: an interrupt for a stalled transfer", what);
    } else {
        cr_assert_eq(bm, extra ? 5 : 4, "%s: BM status %#x", what, bm);
        cr_assert(irq, "%s: no interrupt", what);
        gen_expect_end(r, false, 0, what);
    }
    /* guest RAM: outside the regions as before; a complete read fills them */
    uint8_t *ram = malloc(GEN_RAM - GEN_BUF);
    dma_read(r->mem, GEN_BUF, ram, GEN_RAM - GEN_BUF);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        if (addr[i] >= GEN_BUF && addr[i] < GEN_RAM) {
            size_t at = addr[i] - GEN_BUF;
            if (!c->write && complete) {
                size_t k = off + len[i] <= bytes ? len[i] : (off < bytes ? bytes - off : 0);
                cr_assert(memcmp(ram + at, model + lba * 512 + off, k) == 0,
                          "%s: region %d data", what, i);
                memcpy(ram_before + at, ram + at, k);
            } else if (!c->write) {
                memcpy(ram_before + at, ram + at, len[i]);   /* partly filled: either */
            }
        }
        off += len[i];
    }
    cr_assert(memcmp(ram, ram_before, GEN_RAM - GEN_BUF) == 0, "%s: RAM outside the regions "
              "changed", what);
    /* the disk: a complete write holds the data; a short one old or new per sector */
    uint8_t *now = malloc(bytes);
    file_bytes(r->disk, lba * 512, now, bytes);
    for (uint32_t s = 0; s < count; s++) {
        uint8_t *cur = now + (size_t)s * 512, *old = model + (lba + s) * 512;
        uint8_t *neu = data + (size_t)s * 512;
        if (!c->write)
            cr_assert(memcmp(cur, old, 512) == 0, "%s: a read changed sector %u", what, s);
        else if (complete && shape != PRD_OUTSIDE)
            cr_assert(memcmp(cur, neu, 512) == 0, "%s: sector %u not written", what, s);
        else
            cr_assert(memcmp(cur, old, 512) == 0 || memcmp(cur, neu, 512) == 0 ||
                      shape == PRD_OUTSIDE, "%s: sector %u is neither old nor new", what, s);
        memcpy(old, cur, 512);                /* the model follows what is there */
    }
    /* one sector either side untouched */
    uint8_t side[512];
    if (lba > 0) {
        file_bytes(r->disk, (lba - 1) * 512, side, 512);
        cr_assert(memcmp(side, model + (lba - 1) * 512, 512) == 0, "%s: sector before", what);
    }
    if (lba + count < GEN_SECTORS) {
        file_bytes(r->disk, (lba + count) * 512, side, 512);
        cr_assert(memcmp(side, model + (lba + count) * 512, 512) == 0, "%s: sector after", what);
    }
    free(now);
    free(ram);
    free(ram_before);
    free(data);
}

Test(ide, generated_dma_prd_variants)
{
    static const uint32_t counts[] = { 1, 3, 16, 129, 255 };
    static const uint64_t lbas[] = { 0, 777, GEN_SECTORS - 255 };
    struct rig *r = rig_new(false);
    uint8_t *model = malloc(r->disk_len);
    file_bytes(r->disk, 0, model, r->disk_len);
    unsigned runs = 0;
    for (size_t ci = 0; ci < sizeof(gen_cmds) / sizeof(gen_cmds[0]); ci++) {
        if (!gen_cmds[ci].dma)
            continue;
        for (int shape = 0; shape < PRD_SHAPES; shape++)
            for (size_t li = 0; li < sizeof(lbas) / sizeof(lbas[0]); li++)
                for (size_t ni = 0; ni < sizeof(counts) / sizeof(counts[0]); ni++) {
                    if (shape == PRD_SHORT512 && counts[ni] == 1)
                        continue;                 /* that is PRD_ONLY2's neighbour: 0 bytes */
                    gen_dma_run(r, model, &gen_cmds[ci], lbas[li], counts[ni],
                                (enum prd_shape)shape, runs++);
                }
    }
    cr_assert_geq(runs, 400, "only %u variants ran", runs);
    free(model);
    rig_free(r);
}

/*
 * Generated software resets in the middle of PIO commands (ATA/ATAPI-6
 * 9.2, the software reset protocol): after j of the command's blocks, with
 * the drive busy or waiting on DRQ, the host sets and clears SRST. Then
 * the drive is ready (DRDY, no BSY, DRQ or ERR), raises no interrupt, shows
 * the ATA signature (count 1, LBA low 1, LBA mid/high 0) and diagnostic
 * code 01h in the error register; the disk holds the old or new data per
 * sector of the range, only whole blocks that were handed over are new,
 * and nothing outside the range changed. The drive then works again.
 */
Test(ide, generated_resets_mid_command)
{
    static const struct { uint8_t op; bool write; unsigned mult; } cmds[] = {
        { 0x20, false, 0 }, { 0x30, true, 0 }, { 0xc4, false, 4 }, { 0xc5, true, 4 },
        { 0xc5, true, 16 },
    };
    static const uint32_t counts[] = { 2, 5, 17, 64 };
    struct rig *r = rig_new(false);
    uint8_t *model = malloc(r->disk_len);
    file_bytes(r->disk, 0, model, r->disk_len);
    unsigned runs = 0;
    for (size_t ci = 0; ci < sizeof(cmds) / sizeof(cmds[0]); ci++) {
        unsigned block = cmds[ci].mult ? cmds[ci].mult : 1;
        if (cmds[ci].mult)
            gen_set_multiple(r, cmds[ci].mult);
        for (size_t ni = 0; ni < sizeof(counts) / sizeof(counts[0]); ni++) {
            uint32_t count = counts[ni], blocks = (count + block - 1) / block;
            for (uint32_t j = 0; j < blocks; j++) {
                for (int busy = 0; busy < 2; busy++) {
                    char what[96];
                    snprintf(what, sizeof(what), "cmd %#x count %u mult %u after %u %s",
                             cmds[ci].op, count, cmds[ci].mult, j, busy ? "busy" : "DRQ");
                    uint32_t lba = 1000 + runs * 3 % 4000;
                    uint8_t *data = malloc((size_t)count * 512);
                    pattern(data, (size_t)count * 512, runs + 500);
                    lba28(r, PRI, 0, lba, (uint8_t)count, cmds[ci].op);
                    uint32_t handed = 0;
                    for (uint32_t b = 0; b < j; b++) {
                        uint32_t n = count - handed < block ? count - handed : block;
                        wait_not_busy(r, PRI);
                        inb(r->h, PRI + 7);
                        for (uint32_t i = 0; i < n * 512; i += 2) {
                            uint8_t *p = data + (size_t)handed * 512 + i;
                            if (cmds[ci].write)
                                outw(r->h, PRI, (uint16_t)(p[0] | p[1] << 8));
                            else
                                (void)inw(r->h, PRI);
                        }
                        handed += n;
                    }
                    if (!busy)
                        wait_not_busy(r, PRI);        /* DRQ for block j */
                    else if (!(alt_status(r, PRI) & ST_BSY))
                        busy = 2;                      /* a write's first block: never busy */
                    outb(r->h, PRI_CTL, 0x04);
                    cr_assert(alt_status(r, PRI) & ST_BSY, "%s: not busy during SRST", what);
                    outb(r->h, PRI_CTL, 0x00);
                    wait_not_busy(r, PRI);
                    harness_advance_to(r->h, r->h->icount + 1000000);   /* nothing late */
                    cr_assert_not(r->h->line[14], "%s: an interrupt after the reset", what);
                    cr_assert_eq(inb(r->h, PRI + 7) & (ST_BSY | ST_DRDY | ST_DRQ | ST_ERR),
                                 ST_DRDY, "%s: status after the reset", what);
                    cr_assert_eq(inb(r->h, PRI + 1), 0x01, "%s: diagnostic code", what);
                    cr_assert_eq(inb(r->h, PRI + 2), 1, "%s", what);
                    cr_assert_eq(inb(r->h, PRI + 3), 1, "%s", what);
                    cr_assert_eq(inb(r->h, PRI + 4), 0, "%s", what);
                    cr_assert_eq(inb(r->h, PRI + 5), 0, "%s", what);
                    uint8_t *now = malloc((size_t)(count + 2) * 512);
                    file_bytes(r->disk, (uint64_t)(lba - 1) * 512, now, (size_t)(count + 2) * 512);
                    cr_assert(memcmp(now, model + (size_t)(lba - 1) * 512, 512) == 0, "%s", what);
                    cr_assert(memcmp(now + (size_t)(count + 1) * 512,
                                     model + (size_t)(lba + count) * 512, 512) == 0, "%s", what);
                    for (uint32_t s = 0; s < count; s++) {
                        uint8_t *cur = now + (size_t)(s + 1) * 512;
                        bool old = !memcmp(cur, model + (size_t)(lba + s) * 512, 512);
                        bool neu = cmds[ci].write && !memcmp(cur, data + (size_t)s * 512, 512);
                        cr_assert(old || (neu && s < handed), "%s: sector %u", what, s);
                        memcpy(model + (size_t)(lba + s) * 512, cur, 512);
                    }
                    free(now);
                    free(data);
                    runs++;
                    if (cmds[ci].mult)                 /* SRST went back to 16 */
                        gen_set_multiple(r, cmds[ci].mult);
                    if (busy == 2)
                        break;
                }
            }
        }
        /* the drive works after all that */
        const struct gen_cmd rd = { 0x20, false, false, false, false };
        gen_run(r, model, &rd, 1000, 8, 0, runs);
    }
    cr_assert_geq(runs, 150, "only %u variants ran", runs);
    free(model);
    rig_free(r);
}
