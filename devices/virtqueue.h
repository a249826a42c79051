/*
 * virtqueue.h - a virtio split virtqueue seen from the device: take the
 * requests the driver made available, read and write their buffers in guest
 * memory, and hand them back as used.
 *
 * Spec: Virtual I/O Device (VIRTIO) 1.0, 2.4 (virtqueues), 2.4.5 (the
 * descriptor table), 2.4.6 (the available ring), 2.4.8 (the used ring).
 *
 * Every value the driver controls (ring index, descriptor index, chain
 * length, flags, buffer lengths) is checked: a malformed ring makes vq_pop
 * return VQ_MALFORMED, and the transport then puts the device into
 * DEVICE_NEEDS_RESET; nothing is ever read or written outside guest RAM
 * (memory/'s DMA helpers). Indirect descriptors and event-index suppression
 * are not offered, so their use is malformed too.
 */
#ifndef SOFTVM_DEVICES_VIRTQUEUE_H
#define SOFTVM_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct phys_mem;

#define VQ_MAX_SIZE 256

#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vq_buf {
    uint64_t addr;
    uint32_t len;
};

/* One request: a descriptor chain, device-readable buffers first. */
struct vq_elem {
    uint16_t head;
    unsigned nout, nin;
    uint64_t out_bytes, in_bytes;
    struct vq_buf out[VQ_MAX_SIZE], in[VQ_MAX_SIZE];
};

struct virtqueue {
    uint16_t size;              /* entries (a power of two, <= max_size) */
    uint16_t max_size;
    bool ready;                 /* queue_enable */
    uint64_t desc, avail, used; /* guest-physical addresses of the three parts */
    uint16_t last_avail;        /* next available-ring slot to take */
    uint16_t used_idx;          /* next used-ring slot to fill */
};

enum { VQ_EMPTY = 0, VQ_GOT = 1, VQ_MALFORMED = -1 };

void vq_reset(struct virtqueue *vq);
/* Take the next available chain into *e: VQ_GOT, VQ_EMPTY or VQ_MALFORMED. */
int vq_pop(struct virtqueue *vq, struct phys_mem *mem, struct vq_elem *e);
/* Copy between a host buffer and the chain's readable (out) or writable (in)
 * buffers, starting `off` bytes into them. Returns the bytes copied. */
size_t vq_read_out(struct phys_mem *mem, const struct vq_elem *e, uint64_t off,
                   void *buf, size_t len);
size_t vq_write_in(struct phys_mem *mem, const struct vq_elem *e, uint64_t off,
                   const void *buf, size_t len);
/* Give the chain back with `written` bytes written into its in buffers. */
void vq_push(struct virtqueue *vq, struct phys_mem *mem, const struct vq_elem *e,
             uint32_t written);
/* The driver has made a chain available (vq_pop would not say VQ_EMPTY). */
bool vq_has_avail(struct virtqueue *vq, struct phys_mem *mem);
/* False if the driver asked for no interrupt (VRING_AVAIL_F_NO_INTERRUPT). */
bool vq_wants_interrupt(struct virtqueue *vq, struct phys_mem *mem);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc virtqueue_vmstate;

#endif
