/*
 * virtio_pci.h - the virtio 1.0 ("modern") PCI transport: a PCI function
 * with the virtio vendor capabilities, the common configuration registers,
 * queue notification, the ISR status byte and the device-specific
 * configuration window, all in one I/O BAR (BAR0, 256 bytes). Device models
 * (virtio-blk, virtio-net) embed a struct virtio_pci and supply the
 * callbacks in struct virtio_device_ops.
 *
 * Spec: Virtual I/O Device (VIRTIO) 1.0, 2.1 (device status), 2.2 (feature
 * bits), 4.1 (virtio over PCI: 4.1.2 discovery, 4.1.4 capabilities, 4.1.4.3
 * common configuration, 4.1.4.4 notification, 4.1.4.5 ISR status).
 *
 * BAR0 layout: 0x00 common cfg (0x38 bytes), 0x40 ISR, 0x44 notify (one
 * address for every queue: the driver writes the queue index), 0x80 device
 * config. Interrupts are INTx (no MSI-X). A malformed ring (vq_pop ->
 * VQ_MALFORMED) is handled by virtio_pci_needs_reset: the device stops and
 * shows DEVICE_NEEDS_RESET until the driver resets it.
 */
#ifndef SOFTVM_DEVICES_VIRTIO_PCI_H
#define SOFTVM_DEVICES_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/virtqueue.h"

struct io_bus;
struct phys_mem;

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_BAR_SIZE   256
#define VIRTIO_DEVCFG_OFF 0x80
#define VIRTIO_DEVCFG_MAX (VIRTIO_BAR_SIZE - VIRTIO_DEVCFG_OFF)

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE  1
#define VIRTIO_STATUS_DRIVER       2
#define VIRTIO_STATUS_DRIVER_OK    4
#define VIRTIO_STATUS_FEATURES_OK  8
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

#define VIRTIO_F_VERSION_1 (1ull << 32)

/* Device types (5). */
#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2

struct virtio_device_ops {
    /* The driver notified queue q (only while DRIVER_OK and the queue is ready). */
    void (*notify)(void *dev, int q);
    /* The driver reset the device (status 0) or the machine reset. */
    void (*reset)(void *dev);
    /* Device config reads/writes, offset from its start, size 1/2/4. */
    uint32_t (*config_read)(void *dev, unsigned off, unsigned size);
    void (*config_write)(void *dev, unsigned off, uint32_t v, unsigned size);
};

struct virtio_pci {
    struct pci_function pci;
    struct io_bus *io;
    struct phys_mem *mem;
    const struct virtio_device_ops *ops;
    void *dev;
    uint64_t features;          /* what the device offers (VERSION_1 included) */
    uint64_t driver_features;   /* what the driver accepted */
    uint32_t dfselect, gfselect;
    uint8_t status;
    uint8_t isr;                /* bit 0 queue interrupt, bit 1 config change */
    uint8_t config_generation;
    uint16_t queue_select;
    int nqueues;
    struct virtqueue vq[VIRTIO_MAX_QUEUES];
    uint16_t bar_base;          /* BAR0 as mapped; 0 = unmapped */
};

/* Create the PCI function at devfn for device type `type` with nqueues
 * queues of at most qsize entries each. 0 or -1. */
int virtio_pci_init(struct virtio_pci *v, struct pci_bus *bus, struct io_bus *io,
                    struct phys_mem *mem, int devfn, uint16_t type, int nqueues,
                    uint16_t qsize, uint64_t features,
                    const struct virtio_device_ops *ops, void *dev);
void virtio_pci_reset(struct virtio_pci *v);
/* Used buffers are there: set ISR bit 0 and raise INTx (unless the queue's
 * driver suppressed interrupts). */
void virtio_pci_notify_used(struct virtio_pci *v, int q);
/* The device config changed (ISR bit 1). */
void virtio_pci_config_changed(struct virtio_pci *v);
/* The driver broke the ring: DEVICE_NEEDS_RESET and a config interrupt. */
void virtio_pci_needs_reset(struct virtio_pci *v);
/* True while the driver has the device running (DRIVER_OK, no reset needed). */
bool virtio_pci_running(const struct virtio_pci *v);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc virtio_pci_vmstate;

#endif
