/*
 * virtqueue.c - the device side of a virtio split virtqueue. See virtqueue.h.
 */
#include "devices/virtqueue.h"
#include "devices/vmstate.h"

#include <string.h>

#include "memory/memory.h"

void vq_reset(struct virtqueue *vq)
{
    uint16_t max = vq->max_size;
    memset(vq, 0, sizeof(*vq));
    vq->max_size = max;
    vq->size = max;
}

static uint16_t rd16(struct phys_mem *mem, uint64_t a)
{
    uint8_t b[2];
    dma_read(mem, a, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

int vq_pop(struct virtqueue *vq, struct phys_mem *mem, struct vq_elem *e)
{
    if (!vq->ready || !vq->size)
        return VQ_EMPTY;
    uint16_t avail_idx = rd16(mem, vq->avail + 2);
    uint16_t pending = (uint16_t)(avail_idx - vq->last_avail);
    if (pending == 0)
        return VQ_EMPTY;
    if (pending > vq->size)
        return VQ_MALFORMED;             /* the driver moved idx too far */
    uint16_t head = rd16(mem, vq->avail + 4 + 2u * (vq->last_avail % vq->size));
    if (head >= vq->size)
        return VQ_MALFORMED;
    e->head = head;
    e->nout = e->nin = 0;
    e->out_bytes = e->in_bytes = 0;
    uint16_t i = head;
    for (unsigned n = 0;; n++) {
        if (n >= vq->size)
            return VQ_MALFORMED;         /* a loop in the chain */
        uint8_t d[16];
        dma_read(mem, vq->desc + 16u * i, d, 16);
        uint64_t addr = 0;
        for (int k = 7; k >= 0; k--)
            addr = addr << 8 | d[k];
        uint32_t len = (uint32_t)d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 |
                       (uint32_t)d[11] << 24;
        uint16_t flags = (uint16_t)(d[12] | d[13] << 8);
        uint16_t next = (uint16_t)(d[14] | d[15] << 8);
        if (flags & VRING_DESC_F_INDIRECT)
            return VQ_MALFORMED;         /* not negotiated */
        if (addr + len < addr)
            return VQ_MALFORMED;
        if (flags & VRING_DESC_F_WRITE) {
            e->in[e->nin].addr = addr;
            e->in[e->nin++].len = len;
            e->in_bytes += len;
        } else {
            if (e->nin)
                return VQ_MALFORMED;     /* readable after writable (2.4.4.2) */
            e->out[e->nout].addr = addr;
            e->out[e->nout++].len = len;
            e->out_bytes += len;
        }
        if (!(flags & VRING_DESC_F_NEXT))
            break;
        if (next >= vq->size)
            return VQ_MALFORMED;
        i = next;
    }
    vq->last_avail++;
    return VQ_GOT;
}

static size_t copy_bufs(struct phys_mem *mem, const struct vq_buf *b, unsigned n,
                        uint64_t off, uint8_t *buf, size_t len, bool to_guest)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= b[i].len) {
            off -= b[i].len;
            continue;
        }
        size_t k = (size_t)(b[i].len - off);
        if (k > len - done)
            k = len - done;
        if (to_guest)
            dma_write(mem, b[i].addr + off, buf + done, k);
        else
            dma_read(mem, b[i].addr + off, buf + done, k);
        done += k;
        off = 0;
    }
    return done;
}

size_t vq_read_out(struct phys_mem *mem, const struct vq_elem *e, uint64_t off,
                   void *buf, size_t len)
{
    return copy_bufs(mem, e->out, e->nout, off, buf, len, false);
}

size_t vq_write_in(struct phys_mem *mem, const struct vq_elem *e, uint64_t off,
                   const void *buf, size_t len)
{
    return copy_bufs(mem, e->in, e->nin, off, (uint8_t *)buf, len, true);
}

void vq_push(struct virtqueue *vq, struct phys_mem *mem, const struct vq_elem *e,
             uint32_t written)
{
    uint8_t u[8];
    uint32_t id = e->head;
    for (int k = 0; k < 4; k++) {
        u[k] = (uint8_t)(id >> (8 * k));
        u[4 + k] = (uint8_t)(written >> (8 * k));
    }
    dma_write(mem, vq->used + 4 + 8u * (vq->used_idx % vq->size), u, 8);
    vq->used_idx++;
    uint8_t idx[2] = { (uint8_t)vq->used_idx, (uint8_t)(vq->used_idx >> 8) };
    dma_write(mem, vq->used + 2, idx, 2);
}

bool vq_has_avail(struct virtqueue *vq, struct phys_mem *mem)
{
    return vq->ready && vq->size && rd16(mem, vq->avail + 2) != vq->last_avail;
}

bool vq_wants_interrupt(struct virtqueue *vq, struct phys_mem *mem)
{
    return !(rd16(mem, vq->avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* --- saved state (devices/vmstate.h) --- */

/* A ring size the driver could not have set (tampered state) disables the queue. */
static void virtqueue_post_load(void *obj)
{
    struct virtqueue *q = obj;
    if (q->size > q->max_size || (q->size & (q->size - 1)))
        q->size = 0;
    if (!q->size)
        q->ready = false;
}
#define Q struct virtqueue
static const struct vms_field virtqueue_fields[] = {
    VMS(Q, size), VMS_C(Q, max_size), VMS(Q, ready), VMS(Q, desc), VMS(Q, avail), VMS(Q, used),
    VMS(Q, last_avail), VMS(Q, used_idx),
};
#undef Q
const struct vms_desc virtqueue_vmstate = {
    VMS_DESC(struct virtqueue, "virtqueue", 1, virtqueue_fields), .post_load = virtqueue_post_load,
};
