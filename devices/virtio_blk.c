/*
 * virtio_blk.c - the virtio block device. See virtio_blk.h.
 */
#include "devices/virtio_blk.h"
#include "devices/vmstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/block.h"
#include "devices/vclock.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX  (1ull << 2)
#define VIRTIO_BLK_F_RO       (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH    (1ull << 9)

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VBLK_BUF (64u << 10)

/* Device configuration (5.2.4): capacity, size_max, seg_max, geometry,
 * blk_size; little-endian. */
static uint32_t config_read(void *dev, unsigned off, unsigned size)
{
    struct virtio_blk *b = dev;
    uint8_t cfg[24];
    memset(cfg, 0, sizeof(cfg));
    uint64_t cap = block_size(b->bd) / 512;
    for (int i = 0; i < 8; i++)
        cfg[i] = (uint8_t)(cap >> (8 * i));
    cfg[12] = VBLK_SEG_MAX;                   /* seg_max */
    cfg[20 + 1] = 512 >> 8;                   /* blk_size = 512 */
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        if (off + i < sizeof(cfg))
            v |= (uint32_t)cfg[off + i] << (8 * i);
    return v;
}

/* One request; returns the sectors it moved (for its time cost). */
static uint64_t serve(struct virtio_blk *b, struct vq_elem *e)
{
    struct phys_mem *mem = b->vp.mem;
    uint8_t hdr[16];
    uint8_t status = VIRTIO_BLK_S_OK;
    uint32_t written = 0;
    uint64_t sectors = 0;
    if (e->out_bytes < 16 || e->in_bytes < 1) {
        /* no room for the status byte: nothing can be reported but the length */
        if (e->in_bytes >= 1) {
            status = VIRTIO_BLK_S_IOERR;
            vq_write_in(mem, e, e->in_bytes - 1, &status, 1);
            written = 1;
        }
        vq_push(&b->vp.vq[0], mem, e, written);
        return 0;
    }
    vq_read_out(mem, e, 0, hdr, 16);
    uint32_t type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                    (uint32_t)hdr[3] << 24;
    uint64_t sector = 0;
    for (int i = 7; i >= 0; i--)
        sector = sector << 8 | hdr[8 + i];
    uint64_t disk = block_size(b->bd);
    uint64_t data_in = e->in_bytes - 1;       /* the status byte is the last one */
    uint64_t data_out = e->out_bytes - 16;
    switch (type) {
    case VIRTIO_BLK_T_IN: {
        if (data_in % 512 || sector > disk / 512 || data_in > disk - sector * 512) {
            status = VIRTIO_BLK_S_IOERR;
            break;
        }
        for (uint64_t done = 0; done < data_in;) {
            size_t n = data_in - done < VBLK_BUF ? (size_t)(data_in - done) : VBLK_BUF;
            if (block_read(b->bd, sector * 512 + done, b->buf, n) != 0) {
                status = VIRTIO_BLK_S_IOERR;
                break;
            }
            vq_write_in(mem, e, done, b->buf, n);
            done += n;
        }
        written = (uint32_t)data_in;
        sectors = data_in / 512;
        break;
    }
    case VIRTIO_BLK_T_OUT:
        if (block_is_readonly(b->bd) || data_out % 512 || sector > disk / 512 ||
            data_out > disk - sector * 512) {
            status = VIRTIO_BLK_S_IOERR;
            break;
        }
        for (uint64_t done = 0; done < data_out;) {
            size_t n = data_out - done < VBLK_BUF ? (size_t)(data_out - done) : VBLK_BUF;
            vq_read_out(mem, e, 16 + done, b->buf, n);
            if (block_write(b->bd, sector * 512 + done, b->buf, n) != 0) {
                status = VIRTIO_BLK_S_IOERR;
                break;
            }
            done += n;
        }
        sectors = data_out / 512;
        break;
    case VIRTIO_BLK_T_FLUSH:
        if (block_flush(b->bd) != 0)
            status = VIRTIO_BLK_S_IOERR;
        break;
    case VIRTIO_BLK_T_GET_ID: {
        uint8_t id[20];
        memset(id, 0, sizeof(id));
        memcpy(id, b->serial, strlen(b->serial));
        size_t n = data_in < 20 ? (size_t)data_in : 20;
        vq_write_in(mem, e, 0, id, n);
        written = (uint32_t)n;
        break;
    }
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    vq_write_in(mem, e, e->in_bytes - 1, &status, 1);
    vq_push(&b->vp.vq[0], mem, e, written + 1);
    return sectors;
}

static void blk_timer(void *opaque)
{
    struct virtio_blk *b = opaque;
    b->busy = false;
    if (!virtio_pci_running(&b->vp))
        return;
    struct vq_elem *e = malloc(sizeof(*e));
    if (!e)
        return;
    bool any = false;
    int rc;
    while ((rc = vq_pop(&b->vp.vq[0], b->vp.mem, e)) == VQ_GOT) {
        serve(b, e);
        any = true;
    }
    free(e);
    if (rc == VQ_MALFORMED) {
        virtio_pci_needs_reset(&b->vp);
        return;
    }
    if (any)
        virtio_pci_notify_used(&b->vp, 0);
}

static void blk_notify(void *dev, int q)
{
    struct virtio_blk *b = dev;
    if (b->busy)
        return;                              /* the armed timer takes these too */
    b->busy = true;
    vclock_timer_arm(b->clock, b->timer, vclock_now(b->clock) + VBLK_CMD_NS);
}

static void blk_reset(void *dev)
{
    struct virtio_blk *b = dev;
    vclock_timer_disarm(b->clock, b->timer);
    b->busy = false;
}

static const struct virtio_device_ops blk_ops = {
    .notify = blk_notify, .reset = blk_reset, .config_read = config_read,
};

int virtio_blk_init(struct virtio_blk *b, struct pci_bus *bus, struct io_bus *io,
                    struct phys_mem *mem, struct vclock *clock, int devfn,
                    struct block_dev *bd, const char *serial)
{
    memset(b, 0, sizeof(*b));
    b->bd = bd;
    b->clock = clock;
    snprintf(b->serial, sizeof(b->serial), "%s", serial ? serial : "");
    b->buf = malloc(VBLK_BUF);
    b->timer = vclock_timer_new(clock, blk_timer, b);
    if (!b->buf || b->timer < 0)
        return -1;
    uint64_t features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;
    if (block_is_readonly(bd))
        features |= VIRTIO_BLK_F_RO;
    return virtio_pci_init(&b->vp, bus, io, mem, devfn, VIRTIO_ID_BLOCK, 1, VBLK_QUEUE_SIZE,
                           features, &blk_ops, b);
}

void virtio_blk_reset(struct virtio_blk *b)
{
    virtio_pci_reset(&b->vp);
}

void virtio_blk_destroy(struct virtio_blk *b)
{
    block_close(b->bd);
    b->bd = NULL;
    free(b->buf);
    b->buf = NULL;
}

/* --- saved state (devices/vmstate.h) --- */

/* Requests are taken from the rings in guest RAM when the timer fires, and
 * buf only bounces one within that call: wiring. */
#define B struct virtio_blk
static const struct vms_field virtio_blk_fields[] = {
    VMS_S(B, vp, virtio_pci_vmstate), VMS_W(B, bd), VMS_W(B, clock), VMS_W(B, timer),
    VMS(B, busy), VMS_W(B, buf), VMS_CA(B, serial),
};
#undef B
const struct vms_desc virtio_blk_vmstate = {
    VMS_DESC(struct virtio_blk, "virtio_blk", 1, virtio_blk_fields)
};
