/*
 * i440fx.h - the Intel 82441FX PCI and memory controller (host bridge,
 * 8086:1237 at 00:00.0): its PAM registers 0x59-0x5F decide whether the
 * 0xC0000-0xFFFFF segments read/write RAM or go to the ROM/bus (shadowing),
 * and SMRAM at 0x72.
 *
 * Spec: Intel 440FX PCIset datasheet (82441FX), 3.2.18 PAM, 3.2.23 SMRAM.
 */
#ifndef SOFTVM_DEVICES_I440FX_H
#define SOFTVM_DEVICES_I440FX_H

#include "devices/pci.h"

struct phys_mem;

struct i440fx {
    struct pci_function pci;
    struct phys_mem *mem;
};

int i440fx_init(struct i440fx *h, struct pci_bus *bus, struct phys_mem *mem);
void i440fx_reset(struct i440fx *h);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc i440fx_vmstate;

#endif
