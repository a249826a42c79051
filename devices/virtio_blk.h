/*
 * virtio_blk.h - a virtio block device (virtio 1.0, 5.2) on the virtio PCI
 * transport, over an image from the block layer. One request queue.
 *
 * Requests (5.2.6): a 16-byte header (type, reserved, sector), the data
 * buffers, and a status byte the device writes last. IN, OUT, FLUSH and
 * GET_ID are served; others get VIRTIO_BLK_S_UNSUPP. A request outside the
 * disk or malformed in its layout gets VIRTIO_BLK_S_IOERR; a broken ring puts
 * the device in DEVICE_NEEDS_RESET.
 *
 * The queue is served on the virtual clock: a notify arms a timer
 * VBLK_CMD_NS later, and everything the driver made available by then is
 * done at that instant, with one interrupt. Nothing depends on host I/O
 * speed.
 */
#ifndef SOFTVM_DEVICES_VIRTIO_BLK_H
#define SOFTVM_DEVICES_VIRTIO_BLK_H

#include "devices/virtio_pci.h"

struct vclock;
struct block_dev;

#define VBLK_CMD_NS    10000ull
#define VBLK_QUEUE_SIZE 256
#define VBLK_SEG_MAX   (VBLK_QUEUE_SIZE - 2)

struct virtio_blk {
    struct virtio_pci vp;
    struct block_dev *bd;
    struct vclock *clock;
    int timer;
    bool busy;                   /* the timer is armed */
    uint8_t *buf;                /* bounce buffer */
    char serial[21];
};

int virtio_blk_init(struct virtio_blk *b, struct pci_bus *bus, struct io_bus *io,
                    struct phys_mem *mem, struct vclock *clock, int devfn,
                    struct block_dev *bd, const char *serial);
void virtio_blk_reset(struct virtio_blk *b);
/* Close the image (flushing it). */
void virtio_blk_destroy(struct virtio_blk *b);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc virtio_blk_vmstate;

#endif
