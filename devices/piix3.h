/*
 * piix3.h - the PIIX3 PCI-to-ISA bridge (8086:7000 at 00:01.0) as the PCI
 * interrupt router: PIRQRC[A:D] at 0x60-0x63 steer the four PCI interrupt
 * lines to ISA IRQs (bit 7 = disabled).
 *
 * Spec: Intel 82371SB (PIIX3) datasheet, 2.2.11 PIRQRC.
 */
#ifndef SOFTVM_DEVICES_PIIX3_H
#define SOFTVM_DEVICES_PIIX3_H

#include "devices/pci.h"

struct piix3 {
    struct pci_function pci;
};

int piix3_init(struct piix3 *p, struct pci_bus *bus);
void piix3_reset(struct piix3 *p);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc piix3_vmstate;

#endif
