/*
 * iobus.h - the one small interface devices use to attach to the machine:
 * I/O ports here, MMIO through memory/memory.h (phys_mem_add_mmio), and
 * interrupt request lines through irq_set().
 *
 * A device registers handlers for a range of ports with an opaque pointer to
 * its own struct; nothing outside the device touches that struct.
 */
#ifndef SOFTVM_DEVICES_IOBUS_H
#define SOFTVM_DEVICES_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

#define IO_PORT_COUNT 65536

/* size is 1, 2 or 4; port is the absolute port number. */
typedef uint32_t (*io_read_fn)(void *opaque, uint16_t port, unsigned size);
typedef void (*io_write_fn)(void *opaque, uint16_t port, uint32_t value, unsigned size);

struct io_handler {
    io_read_fn read;
    io_write_fn write;
    void *opaque;
};

struct io_bus {
    struct io_handler port[IO_PORT_COUNT];
    /* Interrupt request lines 0..23, routed by the machine to the PIC (and
     * later the IOAPIC). */
    void (*irq_route)(void *opaque, int line, bool level);
    void *irq_opaque;
};

void io_bus_init(struct io_bus *bus);
/* Claim ports [base, base+count). Returns -1 if one is already taken. */
int io_register(struct io_bus *bus, uint16_t base, unsigned count,
                io_read_fn read, io_write_fn write, void *opaque);

/* Release ports [base, base+count) (a PCI BAR or PM base moved). */
void io_unregister(struct io_bus *bus, uint16_t base, unsigned count);

/* Port accesses from the CPU. Unclaimed ports read all-ones; writes are dropped.
 * A 2/4-byte access to a port whose handler is registered is passed whole to it. */
uint32_t io_read(struct io_bus *bus, uint16_t port, unsigned size);
void io_write(struct io_bus *bus, uint16_t port, uint32_t value, unsigned size);

/* Drive an interrupt request line (level: true = asserted). Edge-triggered
 * devices pulse it: irq_set(bus, n, true); irq_set(bus, n, false). */
void irq_set(struct io_bus *bus, int line, bool level);

#endif
