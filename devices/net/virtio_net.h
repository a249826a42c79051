/*
 * virtio_net.h - the virtio network device (1af4:1041) on the virtio 1.0
 * modern PCI transport (devices/virtio_pci.h), the card Linux drives with
 * virtio_net.
 *
 * Spec: Virtual I/O Device (VIRTIO) 1.0, 5.1 (network device): queue 0 is
 * receiveq1, queue 1 transmitq1; every buffer starts with the 12-byte
 * struct virtio_net_hdr (5.1.6, VERSION_1 layout with num_buffers). Offered
 * features: MAC and STATUS (link up) only: no checksum offload, no GSO, no
 * mergeable buffers, no control queue; so every frame fits one receive
 * chain of header + 1514 bytes, and a transmitted header must ask for
 * nothing (flags and gso_type 0).
 *
 * The rings are the guest's: a malformed one (vq_pop) puts the device into
 * DEVICE_NEEDS_RESET; a transmit chain shorter than the header, or longer
 * than VIRTIO_NET_MAX_FRAME after it, is returned unsent; a receive chain
 * too small for the frame gets the frame's first bytes, as the length
 * written says.
 */
#ifndef SOFTVM_DEVICES_NET_VIRTIO_NET_H
#define SOFTVM_DEVICES_NET_VIRTIO_NET_H

#include "devices/net/net.h"
#include "devices/virtio_pci.h"

#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_MAX_FRAME 1514       /* no GSO: an Ethernet frame without FCS */
#define VIRTIO_NET_QUEUE_SIZE 256

struct virtio_net {
    struct virtio_pci vp;
    struct net_port port;
    uint8_t frame[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
    struct vq_elem elem;                 /* the chain being served */
    uint64_t tx_bad, rx_short;           /* chains refused / frames cut (statistics) */
};

int virtio_net_init(struct virtio_net *n, struct pci_bus *bus, struct io_bus *io,
                    struct phys_mem *mem, int devfn, const uint8_t mac[6]);
void virtio_net_reset(struct virtio_net *n);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc virtio_net_vmstate;

#endif
