/*
 * e1000.h - an Intel 82540EM Gigabit Ethernet controller (8086:100e), the
 * card Linux drives with its e1000 module.
 *
 * Follows Intel's "PCI/PCI-X Family of Gigabit Ethernet Controllers Software
 * Developer's Manual" (8254x SDM, rev. 4.0): register map (13), legacy and
 * extended transmit descriptors with checksum offload and TCP segmentation
 * (3.3), receive descriptors and filtering (3.2), the Microwire EEPROM and
 * EERD (5, 13.4.3-4), MDIO to the M88E1011 PHY (13.4.10), and interrupts
 * (13.4.17-21). BAR 0: 128 KiB of registers; BAR 1: IOADDR/IODATA.
 *
 * Every ring index, length and buffer address is the guest's: rings must be
 * a whole number of 128-byte blocks and indices inside them, else the
 * engine stops on that ring (nothing is fetched); buffers go through the
 * bounds-checked DMA helpers; a frame is capped at E1000_MAX_PACKET and a
 * longer one is dropped.
 */
#ifndef SOFTVM_DEVICES_NET_E1000_H
#define SOFTVM_DEVICES_NET_E1000_H

#include <stdint.h>
#include "devices/net/net.h"
#include "devices/pci.h"

struct phys_mem;

#define E1000_MMIO_SIZE 0x20000
#define E1000_IO_SIZE   0x40
#define E1000_MAX_PACKET 0x10040        /* a TSO packet: 64 KiB payload + headers */

struct e1000_tx_context {
    uint8_t ipcss, ipcso, tucss, tucso;
    uint16_t ipcse, tucse;
    uint32_t paylen;
    uint8_t tucmd, hdrlen;
    uint16_t mss;
};

struct e1000 {
    struct pci_function pci;
    struct net_port port;
    struct phys_mem *mem;

    uint32_t regs[E1000_MMIO_SIZE / 4];
    uint32_t ioaddr;                     /* BAR 1 IOADDR */
    uint16_t eeprom[64];
    uint16_t phy[32];

    /* Microwire EEPROM shift state (EECD bit-banging). */
    struct { uint32_t bits_in; int count_in; bool reading; int bit_out; uint16_t word; }
        ee;

    /* Transmit: the packet being gathered from descriptors. */
    struct e1000_tx_context ctx;
    uint8_t tx_popts;                    /* IXSM/TXSM of the packet's first data descriptor */
    bool tx_tse, tx_started, tx_overflow;
    uint32_t tx_len;
    uint8_t tx_buf[E1000_MAX_PACKET];
};

int e1000_init(struct e1000 *e, struct pci_bus *bus, struct phys_mem *mem, int devfn,
               const uint8_t mac[6]);
void e1000_reset(struct e1000 *e);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc e1000_vmstate;

#endif
