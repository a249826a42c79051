/*
 * test_dev_virtio.c - the virtio 1.0 PCI transport, the split virtqueue and
 * virtio-blk, driven as a driver would (virtio 1.0 spec 3.1.1 init sequence,
 * 4.1.4 capabilities, 2.4 rings, 5.2.6 block requests): capability list,
 * feature negotiation, queue setup, reads/writes/flush/GET_ID against the
 * image file, interrupt and ISR semantics, and malformed rings (index jumps,
 * out-of-range heads, loops, readable-after-writable, indirect) that must
 * give DEVICE_NEEDS_RESET and nothing else.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev_harness.h"
#include "devices/block/block.h"
#include "devices/pci.h"
#include "devices/piix3.h"
#include "devices/virtio_blk.h"
#include "memory/memory.h"

#define IO 0xc000
#define DEVFN PCI_DEVFN(5, 0)
/* rings at fixed guest addresses */
#define DESC  0x10000
#define AVAIL 0x11000
#define USED  0x12000
#define QSIZE 8

struct rig {
    struct harness *h;
    struct phys_mem *mem;
    struct pci_bus pci;
    struct piix3 isa;
    struct virtio_blk blk;
    char path[64];
    uint16_t avail_idx;
    int irq;
};

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 3;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        b[i] = (uint8_t)(x >> 5);
    }
}

static void file_bytes(const char *path, uint64_t off, void *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseeko(f, (off_t)off, SEEK_SET);
    cr_assert_eq(fread(buf, 1, len, f), len);
    fclose(f);
}

static struct rig *rig_new(bool readonly)
{
    struct rig *r = calloc(1, sizeof(*r));
    r->h = harness_new();
    r->mem = phys_mem_create(4u << 20);
    cr_assert_eq(pci_bus_init(&r->pci, &r->h->bus), 0);
    cr_assert_eq(piix3_init(&r->isa, &r->pci), 0);
    strcpy(r->path, "/tmp/softvm-vblk-XXXXXX");
    int fd = mkstemp(r->path);
    uint8_t *b = malloc(1 << 20);
    fill(b, 1 << 20, 9);
    cr_assert_eq(write(fd, b, 1 << 20), 1 << 20);
    close(fd);
    free(b);
    char err[256];
    struct block_options o = { .format = BLOCK_FORMAT_RAW, .readonly = readonly };
    struct block_dev *bd = block_open(r->path, &o, err, sizeof(err));
    cr_assert(bd, "%s", err);
    cr_assert_eq(virtio_blk_init(&r->blk, &r->pci, &r->h->bus, r->mem, &r->h->clock, DEVFN,
                                 bd, "serial-0"), 0);
    /* slot 5 pin A -> PIRQ (5 + 0) & 3 = B; route it to IRQ 11 */
    pci_config_write(&r->pci, PCI_DEVFN(1, 0), 0x61, 11, 1);
    r->irq = 11;
    pci_config_write(&r->pci, DEVFN, PCI_BAR0, IO, 4);
    pci_config_write(&r->pci, DEVFN, PCI_COMMAND, 0x5, 2);
    return r;
}

static void rig_free(struct rig *r)
{
    virtio_blk_destroy(&r->blk);
    phys_mem_destroy(r->mem);
    unlink(r->path);
    free(r->h);
    free(r);
}

/* Bring the device up (3.1.1) with one queue of QSIZE; returns the status. */
static uint8_t bring_up(struct rig *r, uint64_t accept)
{
    outb(r->h, IO + 0x14, 0);
    outb(r->h, IO + 0x14, 1 | 2);                 /* ACKNOWLEDGE | DRIVER */
    outl(r->h, IO + 0x08, 0);
    outl(r->h, IO + 0x0c, (uint32_t)accept);
    outl(r->h, IO + 0x08, 1);
    outl(r->h, IO + 0x0c, (uint32_t)(accept >> 32));
    outb(r->h, IO + 0x14, 1 | 2 | 8);             /* FEATURES_OK */
    uint8_t st = inb(r->h, IO + 0x14);
    if (!(st & 8))
        return st;
    outw(r->h, IO + 0x16, 0);
    cr_assert_eq(inw(r->h, IO + 0x18), 256);      /* maximum size */
    outw(r->h, IO + 0x18, QSIZE);
    outl(r->h, IO + 0x20, DESC); outl(r->h, IO + 0x24, 0);
    outl(r->h, IO + 0x28, AVAIL); outl(r->h, IO + 0x2c, 0);
    outl(r->h, IO + 0x30, USED); outl(r->h, IO + 0x34, 0);
    outw(r->h, IO + 0x1c, 1);
    outb(r->h, IO + 0x14, 1 | 2 | 8 | 4);         /* DRIVER_OK */
    r->avail_idx = 0;
    return inb(r->h, IO + 0x14);
}

static void desc(struct rig *r, int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    phys_write64(r->mem, DESC + 16 * i, addr);
    phys_write32(r->mem, DESC + 16 * i + 8, len);
    phys_write16(r->mem, DESC + 16 * i + 12, flags);
    phys_write16(r->mem, DESC + 16 * i + 14, next);
}

static void kick(struct rig *r, uint16_t head)
{
    phys_write16(r->mem, AVAIL + 4 + 2 * (r->avail_idx % QSIZE), head);
    r->avail_idx++;
    phys_write16(r->mem, AVAIL + 2, r->avail_idx);
    outw(r->h, IO + 0x44, 0);
    harness_advance_to(r->h, r->h->icount + VBLK_CMD_NS);
}

/* A request: header at 0x20000, data at 0x30000 (len), status at 0x2f000. */
static uint8_t request(struct rig *r, uint32_t type, uint64_t sector, uint32_t len, bool in)
{
    phys_write32(r->mem, 0x20000, type);
    phys_write32(r->mem, 0x20004, 0);
    phys_write64(r->mem, 0x20008, sector);
    phys_write8(r->mem, 0x2f000, 0xee);
    desc(r, 0, 0x20000, 16, VRING_DESC_F_NEXT, 1);
    if (len) {
        desc(r, 1, 0x30000, len, VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0), 2);
        desc(r, 2, 0x2f000, 1, VRING_DESC_F_WRITE, 0);
    } else {
        desc(r, 0, 0x20000, 16, VRING_DESC_F_NEXT, 2);
        desc(r, 2, 0x2f000, 1, VRING_DESC_F_WRITE, 0);
    }
    kick(r, 0);
    return phys_read8(r->mem, 0x2f000);
}

Test(virtio, capabilities_and_features)
{
    struct rig *r = rig_new(false);
    cr_assert_eq(pci_config_read(&r->pci, DEVFN, PCI_VENDOR_ID, 2), 0x1af4);
    cr_assert_eq(pci_config_read(&r->pci, DEVFN, PCI_DEVICE_ID, 2), 0x1042);
    cr_assert_eq(pci_config_read(&r->pci, DEVFN, PCI_REVISION_ID, 1), 1);
    cr_assert(pci_config_read(&r->pci, DEVFN, PCI_STATUS, 2) & 0x10);
    /* walk the capability list: common, ISR, notify, device, all in BAR0 */
    unsigned types = 0, at = pci_config_read(&r->pci, DEVFN, 0x34, 1);
    for (int n = 0; at && n < 8; n++) {
        cr_assert_eq(pci_config_read(&r->pci, DEVFN, at, 1), 0x09);
        unsigned type = pci_config_read(&r->pci, DEVFN, at + 3, 1);
        cr_assert_eq(pci_config_read(&r->pci, DEVFN, at + 4, 1), 0);
        types |= 1u << type;
        at = pci_config_read(&r->pci, DEVFN, at + 1, 1);
    }
    cr_assert_eq(types, 0x1e);
    outl(r->h, IO + 0x00, 1);
    cr_assert_eq(inl(r->h, IO + 0x04), 1);         /* VERSION_1 */
    outl(r->h, IO + 0x00, 0);
    uint32_t f = inl(r->h, IO + 0x04);
    cr_assert(f & (1u << 9));                      /* FLUSH */
    cr_assert_not(f & (1u << 5));                  /* not read-only */
    cr_assert_eq(inw(r->h, IO + 0x12), 1);         /* one queue */
    /* capacity in 512-byte sectors */
    cr_assert_eq(inl(r->h, IO + 0x80), (1u << 20) / 512);
    cr_assert_eq(inl(r->h, IO + 0x84), 0);
    /* a feature the device lacks: FEATURES_OK does not stick */
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 28)) & 8, 0);
    /* without VERSION_1 neither */
    cr_assert_eq(bring_up(r, 1ull << 9) & 8, 0);
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 9)), 0x0f);
    rig_free(r);
}

Test(virtio, block_requests)
{
    struct rig *r = rig_new(false);
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 9)), 0x0f);
    uint8_t got[4096], want[4096];
    /* IN: 8 sectors from sector 100 */
    cr_assert_eq(request(r, 0, 100, 4096, true), 0);
    dma_read(r->mem, 0x30000, got, 4096);
    file_bytes(r->path, 100 * 512, want, 4096);
    cr_assert(memcmp(got, want, 4096) == 0);
    cr_assert_eq(phys_read16(r->mem, USED + 2), 1);
    cr_assert_eq(phys_read32(r->mem, USED + 4), 0);            /* id: head 0 */
    cr_assert_eq(phys_read32(r->mem, USED + 8), 4097);         /* written */
    cr_assert(r->h->line[r->irq]);
    cr_assert_eq(inb(r->h, IO + 0x40), 1);                     /* ISR, then clear */
    cr_assert_not(r->h->line[r->irq]);
    cr_assert_eq(inb(r->h, IO + 0x40), 0);
    /* OUT: 2 sectors at sector 2000, then FLUSH */
    fill(want, 1024, 77);
    dma_write(r->mem, 0x30000, want, 1024);
    cr_assert_eq(request(r, 1, 2000, 1024, false), 0);
    cr_assert_eq(request(r, 4, 0, 0, false), 0);
    file_bytes(r->path, 2000 * 512, got, 1024);
    cr_assert(memcmp(got, want, 1024) == 0);
    /* GET_ID: the serial, NUL-padded */
    cr_assert_eq(request(r, 8, 0, 20, true), 0);
    dma_read(r->mem, 0x30000, got, 20);
    cr_assert(memcmp(got, "serial-0\0\0\0\0", 12) == 0);
    /* beyond the disk, odd lengths, unknown types */
    cr_assert_eq(request(r, 0, 2047, 1024, true), 1);          /* IOERR */
    cr_assert_eq(request(r, 0, 0, 100, true), 1);
    cr_assert_eq(request(r, 1, UINT64_MAX / 256, 512, false), 1);
    cr_assert_eq(request(r, 11, 0, 512, true), 2);             /* UNSUPP (discard) */
    /* interrupt suppression: no interrupt while the driver says so */
    inb(r->h, IO + 0x40);
    phys_write16(r->mem, AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
    cr_assert_eq(request(r, 0, 0, 512, true), 0);
    cr_assert_not(r->h->line[r->irq]);
    cr_assert_eq(inb(r->h, IO + 0x14) & 0x40, 0);
    rig_free(r);
}

Test(virtio, read_only_disk)
{
    struct rig *r = rig_new(true);
    outl(r->h, IO + 0x00, 0);
    cr_assert(inl(r->h, IO + 0x04) & (1u << 5));              /* VIRTIO_BLK_F_RO */
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 5)), 0x0f);
    cr_assert_eq(request(r, 1, 0, 512, false), 1);
    rig_free(r);
}

/* Each malformed ring: DEVICE_NEEDS_RESET and a config interrupt; after a
 * reset the device works again. */
static void expect_needs_reset(struct rig *r)
{
    cr_assert(inb(r->h, IO + 0x14) & 0x40, "no DEVICE_NEEDS_RESET");
    cr_assert(inb(r->h, IO + 0x40) & 2);
    /* further notifies are ignored */
    outw(r->h, IO + 0x44, 0);
    harness_advance_to(r->h, r->h->icount + VBLK_CMD_NS);
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 9)), 0x0f);
    cr_assert_eq(request(r, 0, 1, 512, true), 0);
}

Test(virtio, malformed_rings)
{
    struct rig *r = rig_new(false);
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 9)), 0x0f);
    /* avail idx more than a queue ahead */
    phys_write16(r->mem, AVAIL + 2, QSIZE + 1);
    outw(r->h, IO + 0x44, 0);
    harness_advance_to(r->h, r->h->icount + VBLK_CMD_NS);
    expect_needs_reset(r);
    /* a head index beyond the table */
    phys_write16(r->mem, AVAIL + 4 + 2 * (r->avail_idx % QSIZE), QSIZE);
    phys_write16(r->mem, AVAIL + 2, ++r->avail_idx);
    outw(r->h, IO + 0x44, 0);
    harness_advance_to(r->h, r->h->icount + VBLK_CMD_NS);
    expect_needs_reset(r);
    /* a chain that loops */
    desc(r, 0, 0x20000, 16, VRING_DESC_F_NEXT, 1);
    desc(r, 1, 0x30000, 512, VRING_DESC_F_NEXT, 0);
    kick(r, 0);
    expect_needs_reset(r);
    /* next beyond the table */
    desc(r, 0, 0x20000, 16, VRING_DESC_F_NEXT, 200);
    kick(r, 0);
    expect_needs_reset(r);
    /* readable after writable */
    desc(r, 0, 0x20000, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
    desc(r, 1, 0x30000, 512, 0, 0);
    kick(r, 0);
    expect_needs_reset(r);
    /* an indirect table (not offered) */
    desc(r, 0, 0x20000, 16, VRING_DESC_F_INDIRECT, 0);
    kick(r, 0);
    expect_needs_reset(r);
    /* buffers outside RAM, wrapping addresses: the request fails or reads
     * all-ones, but nothing breaks */
    phys_write32(r->mem, 0x20000, 0);
    phys_write64(r->mem, 0x20008, 0);
    desc(r, 0, 0x20000, 16, VRING_DESC_F_NEXT, 1);
    desc(r, 1, 0xfffffffffffff000ull, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    desc(r, 2, 0x2f000, 1, VRING_DESC_F_WRITE, 0);
    kick(r, 0);
    cr_assert(inb(r->h, IO + 0x14) & 0x40);        /* addr + len wraps: malformed */
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 9)), 0x0f);
    desc(r, 1, 0xf0000000ull, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    kick(r, 0);
    cr_assert_eq(phys_read8(r->mem, 0x2f000), 0);  /* served; the data went nowhere */
    /* a header too short for the request */
    desc(r, 0, 0x20000, 8, VRING_DESC_F_NEXT, 2);
    kick(r, 0);
    cr_assert_eq(phys_read8(r->mem, 0x2f000), 1);
    /* rings placed outside RAM: reads give all-ones, an index far ahead */
    outb(r->h, IO + 0x14, 0);
    outb(r->h, IO + 0x14, 3);
    outl(r->h, IO + 0x08, 1); outl(r->h, IO + 0x0c, 1);
    outb(r->h, IO + 0x14, 11);
    outw(r->h, IO + 0x16, 0);
    outl(r->h, IO + 0x20, 0xfff00000); outl(r->h, IO + 0x28, 0xfff10000);
    outl(r->h, IO + 0x30, 0xfff20000);
    outw(r->h, IO + 0x1c, 1);
    outb(r->h, IO + 0x14, 15);
    outw(r->h, IO + 0x44, 0);
    harness_advance_to(r->h, r->h->icount + VBLK_CMD_NS);
    cr_assert(inb(r->h, IO + 0x14) & 0x40);
    rig_free(r);
}

/*
 * Generated virtio-blk requests (virtio 1.0 5.2.6): every request type (IN,
 * OUT, FLUSH, GET_ID, and types the device does not offer: DISCARD, WRITE
 * ZEROES, 99) x start sectors (0, inside, at the end, one past it, 2^63) x
 * data lengths (0, 1, 511, 512, 513, 4 KiB, 64 KiB) x descriptor layouts
 * (the header split over two descriptors, the data in one to three pieces
 * of odd sizes, the status byte alone or as the last byte of a larger
 * writable descriptor; 2.4.4: the device may not assume a layout). Expected
 * from the spec: IN/OUT inside the disk with a multiple of 512 bytes: OK
 * and the data moved; otherwise IOERR and nothing moved; FLUSH: OK;
 * GET_ID: OK and the serial (at most 20 bytes); others: UNSUPP. The used
 * element's length is the bytes written into the chain (data + status).
 * Guest RAM outside the writable buffers and the disk outside the range
 * never change; the device never needs a reset.
 */
#define GEN_CAP ((1u << 20) / 512)          /* the rig's disk in sectors */
#define GEN_DATA 0x40000u                   /* data pieces from here, 4 KiB gaps */
#define GEN_HDR 0x20000u
#define GEN_ST 0x2f000u

static void gen_vblk_run(struct rig *r, uint8_t *model, uint32_t type, uint64_t sector,
                         uint32_t len, int layout, uint32_t seed)
{
    char what[128];
    snprintf(what, sizeof(what), "type %u sector %llu len %u layout %d", type,
             (unsigned long long)sector, len, layout);
    bool in = type == 0 || type == 8;         /* the device writes the data */
    bool range = sector <= GEN_CAP && len <= (GEN_CAP - sector) * 512ull;
    uint8_t want_status = type == 0 || type == 1 ? (range && len % 512 == 0 ? 0 : 1) :
                          type == 4 || type == 8 ? 0 : 2;
    /* data pieces */
    uint32_t piece[3], npieces = layout % 3 + 1;
    if (npieces == 1 || len < 8) {
        npieces = len ? 1 : 0;
        piece[0] = len;
    } else if (npieces == 2) {
        piece[0] = 7; piece[1] = len - 7;
    } else {
        piece[0] = len / 3 + 5; piece[1] = 505 < len - piece[0] ? 505 : 1;
        piece[2] = len - piece[0] - piece[1];
    }
    bool split_hdr = layout & 4, status_in_data = (layout & 8) && in && npieces;
    uint8_t *data = malloc(len ? len : 1);
    fill(data, len, seed);
    dma_fill(r->mem, GEN_DATA, 0x5a, 0x40000);
    phys_write32(r->mem, GEN_HDR, type);
    phys_write32(r->mem, GEN_HDR + 4, 0);
    phys_write64(r->mem, GEN_HDR + 8, sector);
    phys_write8(r->mem, GEN_ST, 0xee);
    int d = 0;
    if (split_hdr) {
        desc(r, d, GEN_HDR, 5, VRING_DESC_F_NEXT, (uint16_t)(d + 1)); d++;
        desc(r, d, GEN_HDR + 5, 11, VRING_DESC_F_NEXT, (uint16_t)(d + 1)); d++;
    } else {
        desc(r, d, GEN_HDR, 16, VRING_DESC_F_NEXT, (uint16_t)(d + 1)); d++;
    }
    uint32_t at[3], off = 0;
    for (uint32_t i = 0; i < npieces; i++) {
        at[i] = GEN_DATA + i * 0x11000u;
        if (!in)
            dma_write(r->mem, at[i], data + off, piece[i]);
        bool last = i == npieces - 1;
        uint32_t l = piece[i] + (last && status_in_data ? 1 : 0);
        uint16_t fl = (uint16_t)((in ? VRING_DESC_F_WRITE : 0) |
                                 (last && status_in_data ? 0 : VRING_DESC_F_NEXT));
        desc(r, d, at[i], l, fl, (uint16_t)(d + 1));
        d++;
        off += piece[i];
    }
    if (!status_in_data) {
        desc(r, d, GEN_ST, 1, VRING_DESC_F_WRITE, 0);
        d++;
    }
    cr_assert_leq(d, QSIZE);
    uint8_t *ram_before = malloc(0x40000);
    dma_read(r->mem, GEN_DATA, ram_before, 0x40000);
    uint16_t used_before = phys_read16(r->mem, USED + 2);
    kick(r, 0);
    cr_assert_eq(inb(r->h, IO + 0x14) & 0x40, 0, "%s: DEVICE_NEEDS_RESET", what);
    cr_assert_eq(phys_read16(r->mem, USED + 2), (uint16_t)(used_before + 1), "%s: not used", what);
    uint32_t slot = (uint32_t)(used_before % QSIZE);
    uint8_t status = status_in_data ? phys_read8(r->mem, at[npieces - 1] + piece[npieces - 1])
                                    : phys_read8(r->mem, GEN_ST);
    cr_assert_eq(status, want_status, "%s: status %u, want %u", what, status, want_status);
    uint32_t want_len = 1;
    if (type == 0 && want_status == 0)
        want_len += len;
    if (type == 8)
        want_len += len < 20 ? len : 20;
    cr_assert_eq(phys_read32(r->mem, USED + 8 + 8 * slot), want_len, "%s: used length", what);
    /* guest RAM: a good IN filled the pieces with the disk, GET_ID with the
     * serial; every other byte is as before */
    uint8_t *ram = malloc(0x40000);
    dma_read(r->mem, GEN_DATA, ram, 0x40000);
    off = 0;
    for (uint32_t i = 0; i < npieces; i++) {
        uint8_t *p = ram + (at[i] - GEN_DATA);
        if (type == 0 && want_status == 0) {
            cr_assert(memcmp(p, model + sector * 512 + off, piece[i]) == 0, "%s: data", what);
            memcpy(ram_before + (at[i] - GEN_DATA), p, piece[i]);
        } else if (type == 8) {
            static const char serial[20] = "serial-0";
            uint32_t k = off < 20 ? (20 - off < piece[i] ? 20 - off : piece[i]) : 0;
            cr_assert(memcmp(p, serial + off, k) == 0, "%s: serial", what);
            memcpy(ram_before + (at[i] - GEN_DATA), p, k);
        }
        if (i == npieces - 1 && status_in_data)
            ram_before[at[i] - GEN_DATA + piece[i]] = status;
        off += piece[i];
    }
    cr_assert(memcmp(ram, ram_before, 0x40000) == 0, "%s: RAM outside the buffers", what);
    /* the disk: a good OUT wrote the range; nothing else changed */
    if (type == 1 && want_status == 0)
        memcpy(model + sector * 512, data, len);
    uint8_t *disk = malloc(1u << 20);
    file_bytes(r->path, 0, disk, 1u << 20);
    cr_assert(memcmp(disk, model, 1u << 20) == 0, "%s: the disk", what);
    free(disk);
    free(ram);
    free(ram_before);
    free(data);
}

Test(virtio, generated_requests)
{
    static const uint32_t types[] = { 0, 1, 4, 8, 11, 13, 99 };
    static const uint64_t sectors[] = { 0, 700, GEN_CAP - 128, GEN_CAP - 1, GEN_CAP,
                                        GEN_CAP + 1, 1ull << 63 };
    static const uint32_t lens[] = { 0, 1, 511, 512, 513, 4096, 65536 };
    struct rig *r = rig_new(false);
    cr_assert_eq(bring_up(r, (1ull << 32) | (1ull << 9)), 0x0f);
    uint8_t *model = malloc(1u << 20);
    file_bytes(r->path, 0, model, 1u << 20);
    unsigned runs = 0;
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++)
        for (size_t si = 0; si < sizeof(sectors) / sizeof(sectors[0]); si++)
            for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
                for (int layout = 0; layout < 16; layout += (types[ti] == 0 || types[ti] == 1) ? 1 : 5) {
                    if ((types[ti] == 4 || types[ti] > 8) && (si > 0 || li > 3))
                        continue;                 /* their sector and length do not matter */
                    gen_vblk_run(r, model, types[ti], sectors[si], lens[li], layout, runs++);
                }
    cr_assert_geq(runs, 600, "only %u variants ran", runs);
    free(model);
    rig_free(r);
}
