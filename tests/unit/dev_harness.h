/*
 * dev_harness.h - a bare board for device unit tests: an I/O bus, a virtual
 * clock driven by a fake instruction counter (1 ns per instruction, so
 * icount is virtual nanoseconds), and IRQ lines recorded instead of routed
 * (or routed to a real PIC when a test wants one).
 */
#ifndef SOFTVM_TESTS_DEV_HARNESS_H
#define SOFTVM_TESTS_DEV_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "devices/iobus.h"
#include "devices/vclock.h"

struct harness {
    struct io_bus bus;
    struct vclock clock;
    uint64_t icount;
    bool line[24];          /* last level of each IRQ line */
    int rises[24];          /* rising edges seen per line */
    bool cpu_intr;          /* the fake CPU's INTR pin */
    int stop_status;        /* last exit status requested, -1 if none */
    int resets;             /* reset requests */
};

static void harness_irq(void *opaque, int line, bool level)
{
    struct harness *h = opaque;
    if (level && !h->line[line])
        h->rises[line]++;
    h->line[line] = level;
}

static inline void harness_cpu_intr(void *opaque, bool level)
{
    ((struct harness *)opaque)->cpu_intr = level;
}

static inline void harness_stop(void *opaque, int status)
{
    ((struct harness *)opaque)->stop_status = status;
}

static inline void harness_reset(void *opaque)
{
    ((struct harness *)opaque)->resets++;
}

static inline struct harness *harness_new(void)
{
    struct harness *h = calloc(1, sizeof(*h));
    io_bus_init(&h->bus);
    vclock_init(&h->clock, &h->icount, 1);
    h->bus.irq_route = harness_irq;
    h->bus.irq_opaque = h;
    h->stop_status = -1;
    return h;
}

/* Move virtual time to `ns` and fire whatever timers came due, in order,
 * the way the machine loop does (slices ending at each deadline). */
static inline void harness_advance_to(struct harness *h, uint64_t ns)
{
    for (;;) {
        uint64_t next = vclock_next_deadline(&h->clock);
        if (next > ns)
            break;
        if (next > h->icount)
            h->icount = next;
        vclock_run_timers(&h->clock);
    }
    h->icount = ns;
    vclock_run_timers(&h->clock);
}

static inline void outb(struct harness *h, uint16_t port, uint8_t v) { io_write(&h->bus, port, v, 1); }
static inline uint8_t inb(struct harness *h, uint16_t port) { return (uint8_t)io_read(&h->bus, port, 1); }
static inline void outl(struct harness *h, uint16_t port, uint32_t v) { io_write(&h->bus, port, v, 4); }
static inline uint32_t inl(struct harness *h, uint16_t port) { return io_read(&h->bus, port, 4); }
static inline void outw(struct harness *h, uint16_t port, uint16_t v) { io_write(&h->bus, port, v, 2); }
static inline uint16_t inw(struct harness *h, uint16_t port) { return (uint16_t)io_read(&h->bus, port, 2); }

#endif
