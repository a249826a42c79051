/*
 * iobus.c - the x86 I/O port space and the interrupt request lines.
 *
 * Each of the 65536 ports has at most one handler.  A multi-byte access to a
 * claimed port is handed to that handler whole (devices such as the PCI
 * configuration data port or the ACPI PM timer want 16/32-bit accesses);
 * unclaimed ports behave like an empty ISA bus: reads float high, writes vanish.
 */
#include "devices/iobus.h"

#include <string.h>

void io_bus_init(struct io_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

int io_register(struct io_bus *bus, uint16_t base, unsigned count,
                io_read_fn read, io_write_fn write, void *opaque)
{
    if (count == 0 || (uint32_t)base + count > IO_PORT_COUNT)
        return -1;
    for (unsigned i = 0; i < count; i++) {
        const struct io_handler *h = &bus->port[base + i];
        if (h->read || h->write)
            return -1;
    }
    for (unsigned i = 0; i < count; i++) {
        struct io_handler *h = &bus->port[base + i];
        h->read = read;
        h->write = write;
        h->opaque = opaque;
    }
    return 0;
}

void io_unregister(struct io_bus *bus, uint16_t base, unsigned count)
{
    for (unsigned i = 0; i < count && (uint32_t)base + i < IO_PORT_COUNT; i++)
        memset(&bus->port[base + i], 0, sizeof(bus->port[0]));
}

static uint32_t size_mask(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

uint32_t io_read(struct io_bus *bus, uint16_t port, unsigned size)
{
    const struct io_handler *h = &bus->port[port];
    if (h->read)
        return h->read(h->opaque, port, size) & size_mask(size);
    if (h->write || size == 1)
        return size_mask(size);     /* write-only port, or nobody home */
    /* Unclaimed first byte: assemble the access byte by byte, so a word read
     * straddling into a claimed port still reaches it. */
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= io_read(bus, (uint16_t)(port + i), 1) << (8 * i);
    return v;
}

void io_write(struct io_bus *bus, uint16_t port, uint32_t value, unsigned size)
{
    const struct io_handler *h = &bus->port[port];
    if (h->write) {
        h->write(h->opaque, port, value & size_mask(size), size);
        return;
    }
    if (h->read || size == 1)
        return;
    for (unsigned i = 0; i < size; i++)
        io_write(bus, (uint16_t)(port + i), (value >> (8 * i)) & 0xff, 1);
}

void irq_set(struct io_bus *bus, int line, bool level)
{
    if (line < 0 || line > 23 || !bus->irq_route)
        return;
    bus->irq_route(bus->irq_opaque, line, level);
}
