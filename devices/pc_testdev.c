/*
 * pc_testdev.c - QEMU's pc-testdev.  See pc_testdev.h.
 */
#include "devices/pc_testdev.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"
#include "memory/memory.h"

/* The read-back register: an access of size bytes at byte (port & 3) sees
 * those bytes of it; bytes past the register's end are not there. */
static uint32_t field_mask(uint16_t port, unsigned size, unsigned *shift)
{
    unsigned start = port & 3;
    if (size > 4 - start)
        size = 4 - start;
    *shift = 8 * start;
    return (size == 4 ? 0xffffffffu : ((1u << (8 * size)) - 1)) << *shift;
}

static uint32_t data_read(void *opaque, uint16_t port, unsigned size)
{
    struct pc_testdev *t = opaque;
    unsigned shift;
    uint32_t mask = field_mask(port, size, &shift);
    return (t->ioport_data & mask) >> shift;
}

static void data_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pc_testdev *t = opaque;
    unsigned shift;
    uint32_t mask = field_mask(port, size, &shift);
    t->ioport_data = (t->ioport_data & ~mask) | ((value << shift) & mask);
}

static uint32_t flush_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque; (void)port; (void)size;
    return 0xffffffffu;
}

static void flush_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    (void)opaque; (void)port; (void)value; (void)size;   /* nothing cached to drop */
}

static uint32_t irq_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque; (void)port; (void)size;
    return 0xffffffffu;     /* write-only */
}

static void irq_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pc_testdev *t = opaque;
    (void)size;
    irq_set(t->bus, port - 0x2000, (value & 0xff) != 0);
}

static uint64_t iomem_read(void *opaque, uint64_t addr, unsigned size)
{
    struct pc_testdev *t = opaque;
    uint64_t v = 0;
    if (addr + size <= PC_TESTDEV_IOMEM_SIZE)
        memcpy(&v, t->iomem + addr, size);   /* little-endian host */
    return v;
}

static void iomem_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    struct pc_testdev *t = opaque;
    if (addr + size <= PC_TESTDEV_IOMEM_SIZE)
        memcpy(t->iomem + addr, &value, size);
}

static const struct mmio_ops iomem_ops = { .read = iomem_read, .write = iomem_write };

int pc_testdev_init(struct pc_testdev *t, struct io_bus *bus, struct phys_mem *mem)
{
    memset(t, 0, sizeof(*t));
    t->bus = bus;
    if (io_register(bus, 0xe0, 4, data_read, data_write, t) ||
        io_register(bus, 0xe4, 4, flush_read, flush_write, t) ||
        io_register(bus, 0xe8, 4, data_read, data_write, t) ||
        io_register(bus, 0x2000, 24, irq_read, irq_write, t))
        return -1;
    return phys_mem_add_mmio(mem, PC_TESTDEV_IOMEM_BASE, PC_TESTDEV_IOMEM_SIZE, &iomem_ops, t);
}

/* --- saved state (devices/vmstate.h) --- */

static const struct vms_field pc_testdev_fields[] = {
    VMS(struct pc_testdev, ioport_data), VMS_A(struct pc_testdev, iomem),
    VMS_W(struct pc_testdev, bus),
};
const struct vms_desc pc_testdev_vmstate = {
    VMS_DESC(struct pc_testdev, "pc_testdev", 1, pc_testdev_fields)
};
