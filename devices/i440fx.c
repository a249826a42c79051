/*
 * i440fx.c - the 82441FX host bridge.  See i440fx.h.
 */
#include "devices/i440fx.h"
#include "devices/vmstate.h"

#include <string.h>
#include "memory/memory.h"

#define I440FX_PAM0  0x59
#define I440FX_SMRAM 0x72

/* Push every PAM register's segments to the memory map. */
static void apply_pam(struct i440fx *h)
{
    if (!h->mem)
        return;
    /* PAM0 bits 5:4 cover the 64 KiB BIOS segment 0xF0000. */
    phys_mem_set_pam(h->mem, 0xf0000, 0x10000, (h->pci.config[I440FX_PAM0] >> 4) & 3);
    /* PAM1-PAM6: two 16 KiB segments each, low nibble first, from 0xC0000. */
    for (int r = 1; r <= 6; r++) {
        uint8_t v = h->pci.config[I440FX_PAM0 + r];
        uint32_t base = 0xc0000 + (uint32_t)(r - 1) * 0x8000;
        phys_mem_set_pam(h->mem, base, 0x4000, v & 3);
        phys_mem_set_pam(h->mem, base + 0x4000, 0x4000, (v >> 4) & 3);
    }
}

static void i440fx_write_hook(void *opaque, unsigned offset, unsigned size)
{
    struct i440fx *h = opaque;
    if (offset < I440FX_PAM0 + 7 && offset + size > I440FX_PAM0)
        apply_pam(h);
}

void i440fx_reset(struct i440fx *h)
{
    memset(&h->pci.config[I440FX_PAM0], 0, 7);   /* reads and writes go to the bus */
    h->pci.config[I440FX_SMRAM] = 0x02;
    apply_pam(h);
}

int i440fx_init(struct i440fx *h, struct pci_bus *bus, struct phys_mem *mem)
{
    memset(h, 0, sizeof(*h));
    h->mem = mem;
    pci_function_init(&h->pci, 0x8086, 0x1237, 0x060000, 0x02);
    h->pci.wmask[I440FX_PAM0] = 0x30;
    for (int r = 1; r <= 6; r++)
        h->pci.wmask[I440FX_PAM0 + r] = 0x33;
    h->pci.wmask[I440FX_SMRAM] = 0x78;          /* D_OPEN, D_CLS, D_LCK, G_SMRAME */
    h->pci.write_hook = i440fx_write_hook;
    h->pci.opaque = h;
    i440fx_reset(h);
    return pci_register(bus, &h->pci, PCI_DEVFN(0, 0));
}

/* --- saved state (devices/vmstate.h) --- */

/* The PAM registers' effect is the memory map's (saved with it). */
static const struct vms_field i440fx_fields[] = {
    VMS_S(struct i440fx, pci, pci_function_vmstate), VMS_W(struct i440fx, mem),
};
const struct vms_desc i440fx_vmstate = { VMS_DESC(struct i440fx, "i440fx", 1, i440fx_fields) };
