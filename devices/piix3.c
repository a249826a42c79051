/*
 * piix3.c - PIIX3 ISA bridge and PCI interrupt router.  See piix3.h.
 */
#include "devices/piix3.h"
#include "devices/vmstate.h"

#include <string.h>

#define PIIX_PIRQRC 0x60

static int piix3_route(void *opaque, int pirq)
{
    struct piix3 *p = opaque;
    uint8_t v = p->pci.config[PIIX_PIRQRC + (pirq & 3)];
    if (v & 0x80)
        return -1;
    v &= 0x0f;
    /* IRQ 0, 1, 2, 8 and 13 are reserved encodings. */
    if (v < 3 || v == 8 || v == 13)
        return -1;
    return v;
}

static void piix3_write_hook(void *opaque, unsigned offset, unsigned size)
{
    struct piix3 *p = opaque;
    if (offset < PIIX_PIRQRC + 4 && offset + size > PIIX_PIRQRC)
        pci_update_irq_routing(p->pci.bus);
}

void piix3_reset(struct piix3 *p)
{
    for (int i = 0; i < 4; i++)
        p->pci.config[PIIX_PIRQRC + i] = 0x80;
    if (p->pci.bus)
        pci_update_irq_routing(p->pci.bus);
}

int piix3_init(struct piix3 *p, struct pci_bus *bus)
{
    memset(p, 0, sizeof(*p));
    pci_function_init(&p->pci, 0x8086, 0x7000, 0x060100, 0x00);
    p->pci.config[PCI_HEADER_TYPE] = 0x80;          /* multi-function: IDE, PM follow */
    for (int i = 0; i < 4; i++)
        p->pci.wmask[PIIX_PIRQRC + i] = 0x8f;
    p->pci.write_hook = piix3_write_hook;
    p->pci.opaque = p;
    if (pci_register(bus, &p->pci, PCI_DEVFN(1, 0)))
        return -1;
    bus->route_pirq = piix3_route;
    bus->router_opaque = p;
    piix3_reset(p);
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

static const struct vms_field piix3_fields[] = { VMS_S(struct piix3, pci, pci_function_vmstate) };
const struct vms_desc piix3_vmstate = { VMS_DESC(struct piix3, "piix3", 1, piix3_fields) };
