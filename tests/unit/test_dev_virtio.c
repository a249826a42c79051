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
