/*
 * pci.h - a PCI bus (bus 0 only) with configuration mechanism #1
 * (CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC-0xCFF) and the small API
 * PCI functions plug into.
 *
 * Spec: PCI Local Bus Specification 3.0, 3.2.2.3.2 (mechanism #1), 6.1
 * (configuration header), 6.2.5 (BAR sizing).
 *
 * A device embeds a struct pci_function in its own struct, fills it with
 * pci_function_init / pci_set_bar, and registers it. Guest writes go
 * through the function's write mask (read-only bits stay put, so writing
 * all-ones to a BAR reads back its size); after a write the device's
 * write_hook sees what changed (to remap BARs, apply PAM, ...).
 *
 * BAR decoding (6.2.5.1): a device may leave a BAR's mapping to the bus.
 * pci_bar_set_io() gives an I/O BAR port handlers, which the bus registers
 * at the BAR's address whenever the guest moves it or toggles I/O decoding;
 * pci_bar_set_mmio() gives a memory BAR MMIO callbacks (offsets into the BAR),
 * which the bus's memory window (PCI_MEM_WINDOW_*, attached with
 * pci_bus_attach_memory) calls while the BAR is mapped and memory decoding is on.
 */
#ifndef SOFTVM_DEVICES_PCI_H
#define SOFTVM_DEVICES_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct io_bus;
struct phys_mem;
struct mmio_ops;

/* Configuration header offsets. */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_COMMAND_IO     0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_BAR_IO         0x01
#define PCI_BAR_MEM_PREFETCH 0x08
#define PCI_BAR_UNMAPPED   UINT32_MAX

#define PCI_DEVFN(slot, fn) (((slot) << 3) | (fn))

/* Where memory BARs may live: the PCI hole below the IOAPIC/HPET area. */
#define PCI_MEM_WINDOW_BASE 0xe0000000u
#define PCI_MEM_WINDOW_END  0xfec00000u

#define PCI_MAX_DECODED 32               /* functions with bus-decoded BARs */

typedef uint32_t (*pci_io_read_fn)(void *opaque, uint16_t port, unsigned size);
typedef void (*pci_io_write_fn)(void *opaque, uint16_t port, uint32_t value, unsigned size);

struct pci_bus;

struct pci_function {
    uint8_t config[256];
    uint8_t wmask[256];         /* 1 = guest-writable bit */
    uint32_t bar_size[6];       /* 0 = no BAR */
    int devfn;
    struct pci_bus *bus;
    bool irq_level;             /* the function's INTx# pin */
    /* Called after a guest configuration write of `size` bytes at `offset`. */
    void (*write_hook)(void *opaque, unsigned offset, unsigned size);
    void *opaque;
    /* Bus-decoded BARs (pci_bar_set_io / pci_bar_set_mmio). */
    pci_io_read_fn bar_io_read[6];
    pci_io_write_fn bar_io_write[6];
    const struct mmio_ops *bar_mmio[6];
    void *bar_opaque[6];
    uint32_t bar_io_mapped[6];          /* port base registered now, or PCI_BAR_UNMAPPED */
};

struct pci_bus {
    struct pci_function *fn[256];       /* by devfn */
    uint32_t config_address;
    struct io_bus *io;
    /* PCI interrupt router (the PIIX3): PIRQ A-D -> ISA IRQ or -1. */
    int (*route_pirq)(void *opaque, int pirq);
    void *router_opaque;
    int pirq_count[4];                  /* asserted INTx lines per PIRQ */
    int pirq_irq[4];                    /* ISA IRQ each PIRQ currently drives, -1 none */
    struct pci_function *decoded[PCI_MAX_DECODED];   /* functions with bus-decoded BARs */
    int ndecoded;
};

int pci_bus_init(struct pci_bus *bus, struct io_bus *io);
void pci_function_init(struct pci_function *f, uint16_t vendor, uint16_t device,
                       uint32_t class_code, uint8_t revision);
/* Declare BAR n of `size` bytes (a power of two); flags PCI_BAR_IO or memory flags. */
void pci_set_bar(struct pci_function *f, int n, uint32_t size, uint32_t flags);
int pci_register(struct pci_bus *bus, struct pci_function *f, int devfn);
/* Let the bus map BAR n (declared with pci_set_bar). Call before pci_register. */
void pci_bar_set_io(struct pci_function *f, int n, pci_io_read_fn read, pci_io_write_fn write,
                    void *opaque);
void pci_bar_set_mmio(struct pci_function *f, int n, const struct mmio_ops *ops, void *opaque);
/* Register the bus's memory window [PCI_MEM_WINDOW_BASE, PCI_MEM_WINDOW_END). */
int pci_bus_attach_memory(struct pci_bus *bus, struct phys_mem *mem);
/* Unmap every bus-decoded BAR and clear the BARs and command register to
 * their reset values (a device's reset calls it). */
void pci_function_reset_bars(struct pci_function *f);
/* The guest-assigned address of BAR n, or PCI_BAR_UNMAPPED while decoding is off. */
uint32_t pci_bar_address(const struct pci_function *f, int n);
/* Drive the function's INTx# pin (routed through its pin's PIRQ line). */
void pci_set_irq(struct pci_function *f, bool level);
/* The PIRQ routing changed: re-drive the ISA lines. */
void pci_update_irq_routing(struct pci_bus *bus);

/* Configuration space access as the host bridge does it (also for tests). */
uint32_t pci_config_read(struct pci_bus *bus, int devfn, unsigned offset, unsigned size);
void pci_config_write(struct pci_bus *bus, int devfn, unsigned offset, uint32_t value, unsigned size);

static inline uint16_t pci_get_w(const struct pci_function *f, unsigned off)
{
    return (uint16_t)(f->config[off] | f->config[off + 1] << 8);
}
static inline uint32_t pci_get_l(const struct pci_function *f, unsigned off)
{
    return (uint32_t)f->config[off] | (uint32_t)f->config[off + 1] << 8 |
           (uint32_t)f->config[off + 2] << 16 | (uint32_t)f->config[off + 3] << 24;
}
static inline void pci_set_w(struct pci_function *f, unsigned off, uint16_t v)
{
    f->config[off] = v & 0xff;
    f->config[off + 1] = v >> 8;
}
static inline void pci_set_l(struct pci_function *f, unsigned off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        f->config[off + i] = (v >> (8 * i)) & 0xff;
}

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc pci_function_vmstate;
extern const struct vms_desc pci_bus_vmstate;

#endif
