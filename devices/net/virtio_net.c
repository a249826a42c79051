/*
 * virtio_net.c - the virtio network device. See virtio_net.h.
 */
#include "devices/net/virtio_net.h"
#include "devices/vmstate.h"

#include <string.h>

#define VIRTIO_NET_F_MAC    (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_S_LINK_UP 1

enum { RXQ = 0, TXQ = 1 };

/* Device configuration (5.1.4): mac[6], then status (le16). */
static uint32_t config_read(void *dev, unsigned off, unsigned size)
{
    struct virtio_net *n = dev;
    uint8_t cfg[8];
    memcpy(cfg, n->port.mac, 6);
    cfg[6] = VIRTIO_NET_S_LINK_UP;
    cfg[7] = 0;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        if (off + i < sizeof(cfg))
            v |= (uint32_t)cfg[off + i] << (8 * i);
    return v;
}

/* Send every frame the driver queued on transmitq1. */
static void transmit(struct virtio_net *n)
{
    struct virtio_pci *vp = &n->vp;
    struct virtqueue *vq = &vp->vq[TXQ];
    bool any = false;
    int rc;
    while ((rc = vq_pop(vq, vp->mem, &n->elem)) == VQ_GOT) {
        uint64_t len = n->elem.out_bytes;
        if (len >= VIRTIO_NET_HDR_LEN && len <= sizeof(n->frame)) {
            vq_read_out(vp->mem, &n->elem, 0, n->frame, (size_t)len);
            /* flags (NEEDS_CSUM) and gso_type: nothing was negotiated to ask for */
            if (n->frame[0] == 0 && n->frame[1] == 0)
                net_port_send(&n->port, n->frame + VIRTIO_NET_HDR_LEN,
                              (size_t)len - VIRTIO_NET_HDR_LEN);
            else
                n->tx_bad++;
        } else {
            n->tx_bad++;
        }
        vq_push(vq, vp->mem, &n->elem, 0);
        any = true;
    }
    if (rc == VQ_MALFORMED) {
        virtio_pci_needs_reset(vp);
        return;
    }
    if (any)
        virtio_pci_notify_used(vp, TXQ);
}

static void net_notify(void *dev, int q)
{
    if (q == TXQ)
        transmit(dev);
    /* receiveq1: new buffers; hostnet_feed tries again at the next boundary */
}

static void net_reset(void *dev)
{
    (void)dev;
}

static const struct virtio_device_ops net_ops = {
    .notify = net_notify, .reset = net_reset, .config_read = config_read,
};

static bool vnet_can_receive(void *opaque)
{
    struct virtio_net *n = opaque;
    return virtio_pci_running(&n->vp) && vq_has_avail(&n->vp.vq[RXQ], n->vp.mem);
}

static void vnet_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct virtio_net *n = opaque;
    struct virtio_pci *vp = &n->vp;
    if (!virtio_pci_running(vp))
        return;
    int rc = vq_pop(&vp->vq[RXQ], vp->mem, &n->elem);
    if (rc == VQ_MALFORMED) {
        virtio_pci_needs_reset(vp);
        return;
    }
    if (rc != VQ_GOT)
        return;                              /* no buffer: the frame is lost */
    if (len > VIRTIO_NET_MAX_FRAME)
        len = VIRTIO_NET_MAX_FRAME;
    /* the header: no flags, no GSO, one buffer (num_buffers = 1) */
    memset(n->frame, 0, VIRTIO_NET_HDR_LEN);
    n->frame[10] = 1;
    memcpy(n->frame + VIRTIO_NET_HDR_LEN, frame, len);
    size_t total = VIRTIO_NET_HDR_LEN + len;
    if (n->elem.in_bytes < total) {
        n->rx_short++;
        total = (size_t)n->elem.in_bytes;
    }
    size_t written = vq_write_in(vp->mem, &n->elem, 0, n->frame, total);
    vq_push(&vp->vq[RXQ], vp->mem, &n->elem, (uint32_t)written);
    virtio_pci_notify_used(vp, RXQ);
}

int virtio_net_init(struct virtio_net *n, struct pci_bus *bus, struct io_bus *io,
                    struct phys_mem *mem, int devfn, const uint8_t mac[6])
{
    memset(n, 0, sizeof(*n));
    memcpy(n->port.mac, mac, 6);
    n->port.can_receive = vnet_can_receive;
    n->port.receive = vnet_receive;
    n->port.nic = n;
    return virtio_pci_init(&n->vp, bus, io, mem, devfn, VIRTIO_ID_NET, 2, VIRTIO_NET_QUEUE_SIZE,
                           VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS, &net_ops, n);
}

void virtio_net_reset(struct virtio_net *n)
{
    virtio_pci_reset(&n->vp);
}

/* --- saved state (devices/vmstate.h) --- */

/* frame and elem hold one chain while a transmit or receive call serves
 * it (scratch: wiring); the counters are host-side statistics. */
#define V struct virtio_net
static const struct vms_field virtio_net_fields[] = {
    VMS_S(V, vp, virtio_pci_vmstate), VMS_S(V, port, net_port_vmstate), VMS_W(V, frame),
    VMS_W(V, elem), VMS_W(V, tx_bad), VMS_W(V, rx_short),
};
#undef V
const struct vms_desc virtio_net_vmstate = {
    VMS_DESC(struct virtio_net, "virtio_net", 1, virtio_net_fields)
};
