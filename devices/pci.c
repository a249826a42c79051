/*
 * pci.c - PCI bus 0 and configuration mechanism #1.  See pci.h.
 */
#include "devices/pci.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"
#include "memory/memory.h"

void pci_function_init(struct pci_function *f, uint16_t vendor, uint16_t device,
                       uint32_t class_code, uint8_t revision)
{
    memset(f, 0, sizeof(*f));
    f->devfn = -1;
    pci_set_w(f, PCI_VENDOR_ID, vendor);
    pci_set_w(f, PCI_DEVICE_ID, device);
    f->config[PCI_REVISION_ID] = revision;
    f->config[PCI_CLASS_PROG] = class_code & 0xff;
    f->config[PCI_CLASS_PROG + 1] = (class_code >> 8) & 0xff;
    f->config[PCI_CLASS_PROG + 2] = (class_code >> 16) & 0xff;
    /* Command: I/O, memory, bus master, SERR#, INTx disable are writable. */
    f->wmask[PCI_COMMAND] = 0x07;
    f->wmask[PCI_COMMAND + 1] = 0x05;
    f->wmask[0x0c] = 0xff;              /* cache line size */
    f->wmask[0x0d] = 0xff;              /* latency timer */
    f->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

void pci_set_bar(struct pci_function *f, int n, uint32_t size, uint32_t flags)
{
    if (n < 0 || n > 5 || size == 0)
        return;
    unsigned off = PCI_BAR0 + 4 * n;
    uint32_t low_bits = (flags & PCI_BAR_IO) ? 0x3 : 0xf;
    uint32_t mask = ~(size - 1) & ~low_bits;
    f->bar_size[n] = size;
    pci_set_l(f, off, flags & low_bits);
    for (int i = 0; i < 4; i++)
        f->wmask[off + i] = (mask >> (8 * i)) & 0xff;
}

uint32_t pci_bar_address(const struct pci_function *f, int n)
{
    if (n < 0 || n > 5 || !f->bar_size[n])
        return PCI_BAR_UNMAPPED;
    uint32_t v = pci_get_l(f, PCI_BAR0 + 4 * n);
    uint16_t cmd = pci_get_w(f, PCI_COMMAND);
    if (v & PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO))
            return PCI_BAR_UNMAPPED;
        v &= ~0x3u;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY))
            return PCI_BAR_UNMAPPED;
        v &= ~0xfu;
    }
    return v ? v : PCI_BAR_UNMAPPED;
}

void pci_bar_set_io(struct pci_function *f, int n, pci_io_read_fn read, pci_io_write_fn write,
                    void *opaque)
{
    if (n < 0 || n > 5)
        return;
    f->bar_io_read[n] = read;
    f->bar_io_write[n] = write;
    f->bar_opaque[n] = opaque;
}

void pci_bar_set_mmio(struct pci_function *f, int n, const struct mmio_ops *ops, void *opaque)
{
    if (n < 0 || n > 5)
        return;
    f->bar_mmio[n] = ops;
    f->bar_opaque[n] = opaque;
}

static bool has_decoded_bars(const struct pci_function *f)
{
    for (int n = 0; n < 6; n++)
        if (f->bar_io_read[n] || f->bar_mmio[n])
            return true;
    return false;
}

/* Follow the I/O BARs to where the guest put them (after any config write). */
static void update_io_bars(struct pci_function *f)
{
    for (int n = 0; n < 6; n++) {
        if (!f->bar_io_read[n])
            continue;
        uint32_t want = pci_bar_address(f, n);
        uint32_t size = f->bar_size[n];
        /* A BAR that would wrap past port 0xFFFF stays unmapped. */
        if (want != PCI_BAR_UNMAPPED && want + size > 0x10000)
            want = PCI_BAR_UNMAPPED;
        if (want == f->bar_io_mapped[n])
            continue;
        if (f->bar_io_mapped[n] != PCI_BAR_UNMAPPED)
            io_unregister(f->bus->io, (uint16_t)f->bar_io_mapped[n], size);
        f->bar_io_mapped[n] = PCI_BAR_UNMAPPED;
        if (want != PCI_BAR_UNMAPPED &&
            io_register(f->bus->io, (uint16_t)want, size, f->bar_io_read[n],
                        f->bar_io_write[n], f->bar_opaque[n]) == 0)
            f->bar_io_mapped[n] = want;
        /* else: the ports are taken by a board device: this BAR decodes nothing */
    }
}

void pci_function_reset_bars(struct pci_function *f)
{
    for (int n = 0; n < 6; n++) {
        if (!f->bar_size[n])
            continue;
        unsigned off = PCI_BAR0 + 4 * n;
        pci_set_l(f, off, pci_get_l(f, off) & ((f->config[off] & PCI_BAR_IO) ? 0x3 : 0xf));
    }
    pci_set_w(f, PCI_COMMAND, 0);
    if (f->bus)
        update_io_bars(f);
}

/* The memory window: find the mapped memory BAR that holds addr. */
static struct pci_function *find_mem_bar(struct pci_bus *bus, uint64_t addr, int *bar,
                                         uint64_t *offset)
{
    for (int i = 0; i < bus->ndecoded; i++) {
        struct pci_function *f = bus->decoded[i];
        for (int n = 0; n < 6; n++) {
            if (!f->bar_mmio[n])
                continue;
            uint32_t base = pci_bar_address(f, n);
            if (base == PCI_BAR_UNMAPPED || addr < base || addr - base >= f->bar_size[n])
                continue;
            *bar = n;
            *offset = addr - base;
            return f;
        }
    }
    return NULL;
}

static uint64_t window_read(void *opaque, uint64_t addr, unsigned size)
{
    int n;
    uint64_t off;
    struct pci_function *f = find_mem_bar(opaque, PCI_MEM_WINDOW_BASE + addr, &n, &off);
    if (!f || off + size > f->bar_size[n])
        return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;    /* master abort */
    return f->bar_mmio[n]->read(f->bar_opaque[n], off, size);
}

static void window_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    int n;
    uint64_t off;
    struct pci_function *f = find_mem_bar(opaque, PCI_MEM_WINDOW_BASE + addr, &n, &off);
    if (f && off + size <= f->bar_size[n])
        f->bar_mmio[n]->write(f->bar_opaque[n], off, value, size);
}

static const struct mmio_ops window_ops = { .read = window_read, .write = window_write };

int pci_bus_attach_memory(struct pci_bus *bus, struct phys_mem *mem)
{
    return phys_mem_add_mmio(mem, PCI_MEM_WINDOW_BASE,
                             PCI_MEM_WINDOW_END - PCI_MEM_WINDOW_BASE, &window_ops, bus);
}

int pci_register(struct pci_bus *bus, struct pci_function *f, int devfn)
{
    if (devfn < 0 || devfn > 255 || bus->fn[devfn])
        return -1;
    for (int n = 0; n < 6; n++)
        f->bar_io_mapped[n] = PCI_BAR_UNMAPPED;
    if (has_decoded_bars(f)) {
        if (bus->ndecoded >= PCI_MAX_DECODED)
            return -1;
        bus->decoded[bus->ndecoded++] = f;
    }
    bus->fn[devfn] = f;
    f->devfn = devfn;
    f->bus = bus;
    /* A function other than 0 makes the device multi-function. */
    if ((devfn & 7) && bus->fn[devfn & ~7])
        bus->fn[devfn & ~7]->config[PCI_HEADER_TYPE] |= 0x80;
    return 0;
}

/* --- interrupts ------------------------------------------------------------------ */

void pci_update_irq_routing(struct pci_bus *bus)
{
    /* Several PIRQs may be steered to one ISA IRQ (SeaBIOS puts A and B on
     * 10): the line is the OR of them (the PIIX3 wires them together), so
     * each line is driven once, from all its PIRQs. */
    bool touched[24] = { false }, asserted[24] = { false };
    for (int p = 0; p < 4; p++) {
        int irq = bus->route_pirq ? bus->route_pirq(bus->router_opaque, p) : -1;
        if (irq > 23)
            irq = -1;
        if (bus->pirq_irq[p] >= 0)
            touched[bus->pirq_irq[p]] = true;     /* a line left by its PIRQ goes low */
        bus->pirq_irq[p] = irq;
        if (irq >= 0) {
            touched[irq] = true;
            asserted[irq] |= bus->pirq_count[p] > 0;
        }
    }
    for (int line = 0; line < 24; line++)
        if (touched[line])
            irq_set(bus->io, line, asserted[line]);
}

void pci_set_irq(struct pci_function *f, bool level)
{
    struct pci_bus *bus = f->bus;
    if (!bus || level == f->irq_level)
        return;
    f->irq_level = level;
    int pin = f->config[PCI_INTERRUPT_PIN];     /* 1 = INTA# .. 4 = INTD# */
    if (pin < 1 || pin > 4)
        return;
    /* The PIIX slot swizzle: slot s pin INTx goes to PIRQ (s + x - 1) mod 4. */
    int pirq = ((f->devfn >> 3) + pin - 1) & 3;
    bus->pirq_count[pirq] += level ? 1 : -1;
    pci_update_irq_routing(bus);
}

/* --- configuration access ------------------------------------------------------------ */

uint32_t pci_config_read(struct pci_bus *bus, int devfn, unsigned offset, unsigned size)
{
    struct pci_function *f = (devfn >= 0 && devfn < 256) ? bus->fn[devfn] : NULL;
    if (!f || offset + size > 256)
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;   /* master abort */
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)f->config[offset + i] << (8 * i);
    return v;
}

void pci_config_write(struct pci_bus *bus, int devfn, unsigned offset, uint32_t value, unsigned size)
{
    struct pci_function *f = (devfn >= 0 && devfn < 256) ? bus->fn[devfn] : NULL;
    if (!f || offset + size > 256)
        return;
    for (unsigned i = 0; i < size; i++) {
        uint8_t m = f->wmask[offset + i];
        uint8_t b = (value >> (8 * i)) & 0xff;
        f->config[offset + i] = (uint8_t)((f->config[offset + i] & ~m) | (b & m));
    }
    if (f->write_hook)
        f->write_hook(f->opaque, offset, size);
    if (offset < PCI_BAR0 + 24 && offset + size > PCI_COMMAND)
        update_io_bars(f);
}

static uint32_t pci_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct pci_bus *bus = opaque;
    if (port == 0xcf8)
        return size == 4 ? bus->config_address : 0xffffffffu;
    uint32_t a = bus->config_address;
    /* Enable bit, bus 0 only (no bridges behind the host bridge). */
    if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0)
        return 0xffffffffu;
    unsigned offset = (a & 0xfc) + (port & 3);
    if (offset + size > 256)
        size = 256 - offset;
    return pci_config_read(bus, (a >> 8) & 0xff, offset, size);
}

static void pci_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pci_bus *bus = opaque;
    if (port == 0xcf8) {
        /* Only dword accesses reach CONFIG_ADDRESS; bytes go to other
         * devices (0xCF9 is the reset control register). */
        if (size == 4)
            bus->config_address = value & 0x80fffffcu;
        return;
    }
    uint32_t a = bus->config_address;
    if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0)
        return;
    unsigned offset = (a & 0xfc) + (port & 3);
    if (offset + size > 256)
        size = 256 - offset;
    pci_config_write(bus, (a >> 8) & 0xff, offset, value, size);
}

int pci_bus_init(struct pci_bus *bus, struct io_bus *io)
{
    memset(bus, 0, sizeof(*bus));
    bus->io = io;
    for (int p = 0; p < 4; p++)
        bus->pirq_irq[p] = -1;
    if (io_register(io, 0xcf8, 1, pci_io_read, pci_io_write, bus) ||
        io_register(io, 0xcfc, 4, pci_io_read, pci_io_write, bus))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

/* Which ports an I/O BAR decodes follows from the configuration space:
 * before a load every mapped BAR is released (all of them, machine-wide,
 * so two BARs that trade places do not collide), after it they are mapped
 * again where the loaded BARs say. Memory BARs are decoded on each access. */
static void pci_function_pre_load(void *obj)
{
    struct pci_function *f = obj;
    for (int n = 0; n < 6; n++) {
        if (f->bus && f->bar_io_mapped[n] != PCI_BAR_UNMAPPED)
            io_unregister(f->bus->io, (uint16_t)f->bar_io_mapped[n], f->bar_size[n]);
        f->bar_io_mapped[n] = PCI_BAR_UNMAPPED;
    }
}
static void pci_function_post_load(void *obj)
{
    struct pci_function *f = obj;
    if (f->bus)
        update_io_bars(f);
}
#define F struct pci_function
static const struct vms_field pci_function_fields[] = {
    VMS_A(F, config), VMS_CA(F, wmask), VMS_CA(F, bar_size), VMS_C(F, devfn), VMS_W(F, bus),
    VMS(F, irq_level), VMS_W(F, write_hook), VMS_W(F, opaque), VMS_W(F, bar_io_read),
    VMS_W(F, bar_io_write), VMS_W(F, bar_mmio), VMS_W(F, bar_opaque), VMS_W(F, bar_io_mapped),
};
#undef F
const struct vms_desc pci_function_vmstate = {
    VMS_DESC(struct pci_function, "pci_function", 1, pci_function_fields),
    .pre_load = pci_function_pre_load, .post_load = pci_function_post_load,
};
#define B struct pci_bus
static const struct vms_field pci_bus_fields[] = {
    VMS_W(B, fn), VMS(B, config_address), VMS_W(B, io), VMS_W(B, route_pirq),
    VMS_W(B, router_opaque), VMS_A(B, pirq_count), VMS_A(B, pirq_irq), VMS_W(B, decoded),
    VMS_C(B, ndecoded),
};
#undef B
const struct vms_desc pci_bus_vmstate = { VMS_DESC(struct pci_bus, "pci_bus", 1, pci_bus_fields) };
