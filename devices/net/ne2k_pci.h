/*
 * ne2k_pci.h - an NE2000-compatible PCI Ethernet card: the Realtek RTL8029AS
 * (10ec:8029), a DP8390 core with 16 KiB of packet memory behind a
 * programmed-I/O "remote DMA" data port. Linux drives it with ne2k-pci.
 *
 * Follows the National Semiconductor DP8390D datasheet (registers, pages,
 * the receive ring and remote DMA) and the RTL8029AS datasheet (PCI
 * configuration, the 0x50/0x43 ID bytes, 16/32-bit data port, reset port).
 *
 * I/O BAR 0 (32 ports): 0x00-0x0f the 8390 registers (page chosen by CR),
 * 0x10-0x17 the data port, 0x18-0x1f the reset port (a read resets).
 */
#ifndef SOFTVM_DEVICES_NET_NE2K_PCI_H
#define SOFTVM_DEVICES_NET_NE2K_PCI_H

#include <stdint.h>
#include "devices/net/net.h"
#include "devices/pci.h"

#define NE2K_MEM_SIZE   0x8000      /* 0x0000-0x3fff PROM (32 bytes, mirrored), 0x4000-0x7fff RAM */
#define NE2K_RAM_START  0x4000

struct ne2k_pci {
    struct pci_function pci;
    struct net_port port;

    uint8_t cmd;                     /* CR */
    uint8_t pstart, pstop, bnry, tpsr, isr, imr, rcr, tcr, dcr, tsr, rsr, curr;
    uint16_t tbcr, rsar, rbcr;
    uint8_t par[6], mar[8];
    uint8_t prom[32];
    uint8_t mem[NE2K_MEM_SIZE];
};

int ne2k_pci_init(struct ne2k_pci *n, struct pci_bus *bus, int devfn, const uint8_t mac[6]);
void ne2k_pci_reset(struct ne2k_pci *n);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc ne2k_pci_vmstate;

#endif
