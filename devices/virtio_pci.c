/*
 * virtio_pci.c - the virtio 1.0 PCI transport. See virtio_pci.h.
 */
#include "devices/virtio_pci.h"
#include "devices/vmstate.h"

#include <string.h>

#include "devices/iobus.h"

#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_VNDR 0x09

/* Capability types (4.1.4). */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR    3
#define CAP_DEVICE 4
#define CAP_PCI    5

#define OFF_COMMON 0x00
#define LEN_COMMON 0x38
#define OFF_ISR    0x40
#define OFF_NOTIFY 0x44

#define VIRTIO_MSI_NO_VECTOR 0xffff

bool virtio_pci_running(const struct virtio_pci *v)
{
    return (v->status & VIRTIO_STATUS_DRIVER_OK) && !(v->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void update_irq(struct virtio_pci *v)
{
    pci_set_irq(&v->pci, v->isr != 0);
}

void virtio_pci_notify_used(struct virtio_pci *v, int q)
{
    if (q >= 0 && q < v->nqueues && !vq_wants_interrupt(&v->vq[q], v->mem))
        return;
    v->isr |= 1;
    update_irq(v);
}

void virtio_pci_config_changed(struct virtio_pci *v)
{
    v->config_generation++;
    v->isr |= 2;
    update_irq(v);
}

void virtio_pci_needs_reset(struct virtio_pci *v)
{
    if (v->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    v->status |= VIRTIO_STATUS_NEEDS_RESET;
    if (v->status & VIRTIO_STATUS_DRIVER_OK)
        virtio_pci_config_changed(v);
}

void virtio_pci_reset(struct virtio_pci *v)
{
    v->driver_features = 0;
    v->dfselect = v->gfselect = 0;
    v->status = 0;
    v->isr = 0;
    v->queue_select = 0;
    for (int i = 0; i < v->nqueues; i++)
        vq_reset(&v->vq[i]);
    update_irq(v);
    if (v->ops->reset)
        v->ops->reset(v->dev);
}

/* ---- common configuration ---------------------------------------------------------- */

static struct virtqueue *cur_vq(struct virtio_pci *v)
{
    return v->queue_select < v->nqueues ? &v->vq[v->queue_select] : NULL;
}

/* The value of the 16/32-bit-or-wider field at `off` (aligned start). */
static uint64_t common_field(struct virtio_pci *v, unsigned off, unsigned *width)
{
    struct virtqueue *q = cur_vq(v);
    *width = 4;
    switch (off) {
    case 0x00: return v->dfselect;
    case 0x04: return v->dfselect < 2 ? (uint32_t)(v->features >> (32 * v->dfselect)) : 0;
    case 0x08: return v->gfselect;
    case 0x0c: return v->gfselect < 2 ? (uint32_t)(v->driver_features >> (32 * v->gfselect)) : 0;
    case 0x10: *width = 2; return VIRTIO_MSI_NO_VECTOR;
    case 0x12: *width = 2; return (uint64_t)v->nqueues;
    case 0x14: *width = 1; return v->status;
    case 0x15: *width = 1; return v->config_generation;
    case 0x16: *width = 2; return v->queue_select;
    case 0x18: *width = 2; return q ? q->size : 0;
    case 0x1a: *width = 2; return VIRTIO_MSI_NO_VECTOR;
    case 0x1c: *width = 2; return q ? q->ready : 0;
    case 0x1e: *width = 2; return 0;      /* queue_notify_off: all queues at OFF_NOTIFY */
    case 0x20: *width = 8; return q ? q->desc : 0;
    case 0x28: *width = 8; return q ? q->avail : 0;
    case 0x30: *width = 8; return q ? q->used : 0;
    default: *width = 1; return 0;
    }
}

static unsigned field_start(unsigned off)
{
    static const uint8_t starts[] = { 0x00, 0x04, 0x08, 0x0c, 0x10, 0x12, 0x14, 0x15,
                                      0x16, 0x18, 0x1a, 0x1c, 0x1e, 0x20, 0x28, 0x30 };
    unsigned s = 0;
    for (size_t i = 0; i < sizeof(starts); i++)
        if (starts[i] <= off)
            s = starts[i];
    return s;
}

static uint32_t common_read(struct virtio_pci *v, unsigned off, unsigned size)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned o = off + i, w;
        if (o >= LEN_COMMON)
            break;
        unsigned s = field_start(o);
        uint64_t val = common_field(v, s, &w);
        if (o - s < w)
            r |= (uint32_t)((val >> (8 * (o - s))) & 0xff) << (8 * i);
    }
    return r;
}

static void set_status(struct virtio_pci *v, uint8_t s)
{
    if (s == 0) {
        virtio_pci_reset(v);
        return;
    }
    /* FEATURES_OK only sticks if the driver took a subset of ours with VERSION_1. */
    if ((s & VIRTIO_STATUS_FEATURES_OK) && !(v->status & VIRTIO_STATUS_FEATURES_OK)) {
        if ((v->driver_features & ~v->features) || !(v->driver_features & VIRTIO_F_VERSION_1))
            s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    }
    v->status = (uint8_t)((s & ~VIRTIO_STATUS_NEEDS_RESET) | (v->status & VIRTIO_STATUS_NEEDS_RESET));
}

static void common_write(struct virtio_pci *v, unsigned off, uint32_t val, unsigned size)
{
    struct virtqueue *q = cur_vq(v);
    unsigned s = field_start(off), w;
    uint64_t old = common_field(v, s, &w);
    if (off - s + size > w)
        return;                           /* straddles fields: ignored */
    unsigned sh = 8 * (off - s);
    uint64_t mask = (size >= 8 ? ~0ull : ((1ull << (8 * size)) - 1)) << sh;
    uint64_t nv = (old & ~mask) | (((uint64_t)val << sh) & mask);
    bool queue_locked = q && q->ready;    /* a live queue's layout is fixed */
    switch (s) {
    case 0x00: v->dfselect = (uint32_t)nv; break;
    case 0x08: v->gfselect = (uint32_t)nv; break;
    case 0x0c:
        if (v->gfselect < 2 && !(v->status & VIRTIO_STATUS_FEATURES_OK)) {
            unsigned fs = 32 * v->gfselect;
            v->driver_features = (v->driver_features & ~(0xffffffffull << fs)) |
                                 ((nv & 0xffffffffull) << fs);
        }
        break;
    case 0x14: set_status(v, (uint8_t)nv); break;
    case 0x16: v->queue_select = (uint16_t)nv; break;
    case 0x18:
        /* a power of two up to the maximum (2.4: queue size) */
        if (q && !queue_locked && nv && nv <= q->max_size && !(nv & (nv - 1)))
            q->size = (uint16_t)nv;
        break;
    case 0x1c:
        if (q && nv == 1 && q->size) {
            q->ready = true;
            q->last_avail = q->used_idx = 0;
        }
        break;
    case 0x20: if (q && !queue_locked) q->desc = nv; break;
    case 0x28: if (q && !queue_locked) q->avail = nv; break;
    case 0x30: if (q && !queue_locked) q->used = nv; break;
    default: break;                       /* read-only or MSI-X vectors */
    }
}

/* ---- BAR0 --------------------------------------------------------------------------- */

static uint32_t bar_read(void *opaque, uint16_t port, unsigned size)
{
    struct virtio_pci *v = opaque;
    unsigned off = (unsigned)(port - v->bar_base);
    if (off < LEN_COMMON)
        return common_read(v, off, size);
    if (off == OFF_ISR) {
        uint8_t isr = v->isr;            /* reading acknowledges (4.1.4.5) */
        v->isr = 0;
        update_irq(v);
        return isr;
    }
    if (off >= VIRTIO_DEVCFG_OFF && v->ops->config_read)
        return v->ops->config_read(v->dev, off - VIRTIO_DEVCFG_OFF, size);
    return 0;
}

static void bar_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct virtio_pci *v = opaque;
    unsigned off = (unsigned)(port - v->bar_base);
    if (off < LEN_COMMON) {
        common_write(v, off, val, size);
    } else if (off >= OFF_NOTIFY && off < OFF_NOTIFY + 4) {
        int q = (int)(val & 0xffff);
        if (q < v->nqueues && v->vq[q].ready && virtio_pci_running(v) && v->ops->notify)
            v->ops->notify(v->dev, q);
    } else if (off >= VIRTIO_DEVCFG_OFF && v->ops->config_write) {
        v->ops->config_write(v->dev, off - VIRTIO_DEVCFG_OFF, val, size);
    }
}

static void remap(struct virtio_pci *v)
{
    uint32_t a = pci_bar_address(&v->pci, 0);
    uint16_t base = a == PCI_BAR_UNMAPPED || a > 0x10000 - VIRTIO_BAR_SIZE ? 0 : (uint16_t)a;
    if (base == v->bar_base)
        return;
    if (v->bar_base)
        io_unregister(v->io, v->bar_base, VIRTIO_BAR_SIZE);
    v->bar_base = 0;
    if (base && io_register(v->io, base, VIRTIO_BAR_SIZE, bar_read, bar_write, v) == 0)
        v->bar_base = base;
}

static void config_hook(void *opaque, unsigned offset, unsigned size)
{
    struct virtio_pci *v = opaque;
    if (offset < PCI_BAR0 + 4 && offset + size > PCI_COMMAND)
        remap(v);
}

static void add_cap(struct virtio_pci *v, unsigned at, unsigned next, uint8_t type,
                    uint32_t off, uint32_t len, unsigned caplen)
{
    uint8_t *c = v->pci.config + at;
    c[0] = PCI_CAP_ID_VNDR;
    c[1] = (uint8_t)next;
    c[2] = (uint8_t)caplen;
    c[3] = type;
    c[4] = 0;                             /* BAR0 */
    pci_set_l(&v->pci, at + 8, off);
    pci_set_l(&v->pci, at + 12, len);
}

int virtio_pci_init(struct virtio_pci *v, struct pci_bus *bus, struct io_bus *io,
                    struct phys_mem *mem, int devfn, uint16_t type, int nqueues,
                    uint16_t qsize, uint64_t features,
                    const struct virtio_device_ops *ops, void *dev)
{
    if (nqueues < 1 || nqueues > VIRTIO_MAX_QUEUES || qsize == 0 || qsize > VQ_MAX_SIZE ||
        (qsize & (qsize - 1)))
        return -1;
    memset(v, 0, sizeof(*v));
    v->io = io;
    v->mem = mem;
    v->ops = ops;
    v->dev = dev;
    v->features = features | VIRTIO_F_VERSION_1;
    v->nqueues = nqueues;
    for (int i = 0; i < nqueues; i++) {
        v->vq[i].max_size = qsize;
        vq_reset(&v->vq[i]);
    }
    /* 4.1.2.1: device ID 0x1040 + type, revision 1 (modern only) */
    uint32_t class = type == VIRTIO_ID_BLOCK ? 0x010000 : type == VIRTIO_ID_NET ? 0x020000
                                                                                 : 0xff0000;
    pci_function_init(&v->pci, 0x1af4, (uint16_t)(0x1040 + type), class, 1);
    pci_set_w(&v->pci, PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
    pci_set_w(&v->pci, PCI_SUBSYSTEM_VENDOR_ID + 2, 0x1100);
    pci_set_bar(&v->pci, 0, VIRTIO_BAR_SIZE, PCI_BAR_IO);
    v->pci.config[PCI_INTERRUPT_PIN] = 1;
    pci_set_w(&v->pci, PCI_STATUS, PCI_STATUS_CAP_LIST);
    v->pci.config[PCI_CAP_PTR] = 0x40;
    add_cap(v, 0x40, 0x50, CAP_COMMON, OFF_COMMON, LEN_COMMON, 16);
    add_cap(v, 0x50, 0x60, CAP_ISR, OFF_ISR, 1, 16);
    add_cap(v, 0x60, 0x74, CAP_NOTIFY, OFF_NOTIFY, 4, 20);
    pci_set_l(&v->pci, 0x60 + 16, 0);    /* notify_off_multiplier: one address */
    add_cap(v, 0x74, 0, CAP_DEVICE, VIRTIO_DEVCFG_OFF, VIRTIO_DEVCFG_MAX, 16);
    v->pci.write_hook = config_hook;
    v->pci.opaque = v;
    return pci_register(bus, &v->pci, devfn);
}

/* --- saved state (devices/vmstate.h) --- */

/* BAR0's ports follow the loaded config. */
static void virtio_pci_pre_load(void *obj)
{
    struct virtio_pci *v = obj;
    if (v->io && v->bar_base)
        io_unregister(v->io, v->bar_base, VIRTIO_BAR_SIZE);
    v->bar_base = 0;
}
static void virtio_pci_post_load(void *obj)
{
    struct virtio_pci *v = obj;
    if (v->io)
        remap(v);
}
#define V struct virtio_pci
static const struct vms_field virtio_pci_fields[] = {
    VMS_S(V, pci, pci_function_vmstate), VMS_W(V, io), VMS_W(V, mem), VMS_W(V, ops), VMS_W(V, dev),
    VMS_C(V, features), VMS(V, driver_features), VMS(V, dfselect), VMS(V, gfselect),
    VMS(V, status), VMS(V, isr), VMS(V, config_generation), VMS(V, queue_select),
    VMS_C(V, nqueues), VMS_SA(V, vq, virtqueue_vmstate), VMS_W(V, bar_base),
};
#undef V
const struct vms_desc virtio_pci_vmstate = {
    VMS_DESC(struct virtio_pci, "virtio_pci", 1, virtio_pci_fields),
    .pre_load = virtio_pci_pre_load, .post_load = virtio_pci_post_load,
};
