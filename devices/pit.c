/*
 * pit.c - the 8254 interval timer.  See pit.h.
 */
#include "devices/pit.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"
#include "devices/vclock.h"

#define NS_PER_S 1000000000ull

static uint64_t ns_to_ticks(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * PIT_HZ / NS_PER_S);
}

/* First virtual ns at which `tick` has been reached (rounded up). */
static uint64_t tick_to_ns(uint64_t tick)
{
    return (uint64_t)(((unsigned __int128)tick * NS_PER_S + PIT_HZ - 1) / PIT_HZ);
}

static uint64_t now_ticks(const struct pit *p)
{
    return ns_to_ticks(vclock_now(p->clock));
}

/* Ticks the channel has counted since its count was loaded. */
static uint64_t elapsed(const struct pit *p, const struct pit_channel *c)
{
    if (!c->counting)
        return 0;
    /* Modes 0 and 4 stop counting while GATE is low. */
    if (!c->gate && (c->mode == 0 || c->mode == 4))
        return c->frozen_elapsed;
    return now_ticks(p) - c->load_tick;
}

static uint16_t count_at(const struct pit_channel *c, uint64_t d)
{
    uint32_t n = c->reload;
    uint32_t v;
    if (!c->counting)
        return (uint16_t)n;
    switch (c->mode) {
    case 2:
        v = n - (uint32_t)(d % n);
        break;
    case 3:
        /* Decrements by two each tick; both half periods look alike to a
         * reader (an odd count's extra tick is ignored). */
        v = n - (uint32_t)((2 * d) % n);
        break;
    default:                            /* 0, 1, 4, 5: count down and wrap */
        if (c->bcd)
            v = (uint32_t)((n + 10000 - d % 10000) % 10000);
        else
            v = (uint32_t)((n - d) & 0xffff);
        break;
    }
    return (uint16_t)v;    /* 0x10000 reads as 0 */
}

static bool out_at(const struct pit_channel *c, uint64_t d)
{
    uint32_t n = c->reload;
    if (!c->counting)
        return c->mode != 0;             /* mode 0 waits low, others high */
    switch (c->mode) {
    case 0: return d >= n;               /* interrupt on terminal count */
    case 1: return d >= n;               /* one-shot: low during the count */
    case 2: return n == 1 || (d % n) != n - 1;   /* low for the count's last tick */
    case 3: return (d % n) < (n + 1) / 2;         /* square wave, high first */
    case 4:
    case 5: return d != n;               /* strobe: low for one tick */
    }
    return true;
}

/* Elapsed ticks of channel 0's next rising OUT edge after d, or UINT64_MAX. */
static uint64_t next_rising_edge(const struct pit_channel *c, uint64_t d)
{
    uint32_t n = c->reload;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : UINT64_MAX;
    case 2:
    case 3:
        return (d / n + 1) * n;
    case 4:
    case 5:
        return d < n + 1 ? n + 1 : UINT64_MAX;
    }
    return UINT64_MAX;
}

/* Arm the vclock for channel 0's next rising edge (IRQ0). */
static void schedule_irq0(struct pit *p)
{
    struct pit_channel *c = &p->ch[0];
    if (!c->counting || !c->gate) {
        vclock_timer_disarm(p->clock, p->timer);
        return;
    }
    uint64_t d = elapsed(p, c);
    uint64_t e = next_rising_edge(c, d);
    if (e == UINT64_MAX)
        vclock_timer_disarm(p->clock, p->timer);
    else
        vclock_timer_arm(p->clock, p->timer, tick_to_ns(c->load_tick + e));
}

static void irq0_fire(void *opaque)
{
    struct pit *p = opaque;
    /* The PIC latches the rising edge; the pulse keeps the line ready for
     * the next one. */
    irq_set(p->bus, 0, true);
    irq_set(p->bus, 0, false);
    schedule_irq0(p);
}

static uint16_t to_bcd(uint16_t v)
{
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | ((v / 100) % 10) << 8 | ((v / 10) % 10) << 4 | v % 10);
}

static uint32_t from_bcd(uint16_t v)
{
    return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

static uint16_t current_count(struct pit *p, int i)
{
    struct pit_channel *c = &p->ch[i];
    uint16_t v = count_at(c, elapsed(p, c));
    return c->bcd ? to_bcd(v) : v;
}

uint16_t pit_read_count(struct pit *p, int channel)
{
    return current_count(p, channel);
}

bool pit_out(struct pit *p, int channel)
{
    struct pit_channel *c = &p->ch[channel];
    return out_at(c, elapsed(p, c));
}

static void load_count(struct pit *p, int i, uint16_t raw)
{
    struct pit_channel *c = &p->ch[i];
    uint32_t n = c->bcd ? from_bcd(raw) : raw;
    if (n == 0)
        n = c->bcd ? 10000 : 0x10000;
    c->reload = n;
    c->null_count = false;
    c->load_tick = now_ticks(p);
    c->frozen_elapsed = 0;
    /* Modes 1 and 5 start on a gate trigger; on channels 0/1 the gate is
     * tied high, so treat the load as the trigger there. */
    c->counting = !(c->mode == 1 || c->mode == 5) || i != 2 || c->gate;
    if (i == 0)
        schedule_irq0(p);
}

static void write_control(struct pit *p, uint8_t v)
{
    int sel = v >> 6;
    if (sel == 3) {
        /* Read-back command (8254 datasheet): bit 5 = 0 latches the count,
         * bit 4 = 0 latches the status, bits 1-3 select the counters. */
        for (int i = 0; i < 3; i++) {
            if (!(v & (2u << i)))
                continue;
            struct pit_channel *c = &p->ch[i];
            if (!(v & 0x20) && !c->count_latched) {
                c->latch = current_count(p, i);
                c->count_latched = true;
                c->latch_msb_next = false;
            }
            if (!(v & 0x10) && !c->status_latched) {
                c->status = (uint8_t)((pit_out(p, i) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
                            c->access << 4 | c->mode << 1 | (c->bcd ? 1 : 0));
                c->status_latched = true;
            }
        }
        return;
    }
    struct pit_channel *c = &p->ch[sel];
    int access = (v >> 4) & 3;
    if (access == 0) {                  /* counter latch command */
        if (!c->count_latched) {
            c->latch = current_count(p, sel);
            c->count_latched = true;
            c->latch_msb_next = false;
        }
        return;
    }
    c->access = (uint8_t)access;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;                   /* 6 and 7 are aliases of 2 and 3 */
    c->bcd = v & 1;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->null_count = true;
    /* A control word stops the counter until a new count is written;
     * mode 0's OUT goes low at once, the others' go high. */
    c->counting = false;
    if (sel == 0)
        schedule_irq0(p);
}

static uint8_t read_counter(struct pit *p, int i)
{
    struct pit_channel *c = &p->ch[i];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->count_latched) {
        uint8_t v;
        if (c->access == 2 || (c->access == 3 && c->latch_msb_next)) {
            v = c->latch >> 8;
            c->count_latched = false;
        } else {
            v = c->latch & 0xff;
            if (c->access == 3)
                c->latch_msb_next = true;
            else
                c->count_latched = false;
        }
        return v;
    }
    uint16_t count = current_count(p, i);
    switch (c->access) {
    case 1: return count & 0xff;
    case 2: return count >> 8;
    default:
        c->read_msb_next = !c->read_msb_next;
        return c->read_msb_next ? (count & 0xff) : (count >> 8);
    }
}

static void write_counter(struct pit *p, int i, uint8_t v)
{
    struct pit_channel *c = &p->ch[i];
    switch (c->access) {
    case 1:
        load_count(p, i, v);
        break;
    case 2:
        load_count(p, i, (uint16_t)(v << 8));
        break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = v;
            c->write_msb_next = true;
            /* Mode 0: writing the first byte stops the count. */
            if (c->mode == 0) {
                c->counting = false;
                if (i == 0)
                    schedule_irq0(p);
            }
        } else {
            c->write_msb_next = false;
            load_count(p, i, (uint16_t)(c->write_lsb | v << 8));
        }
        break;
    }
}

static void set_gate(struct pit *p, int i, bool gate)
{
    struct pit_channel *c = &p->ch[i];
    if (gate == c->gate)
        return;
    if (!gate) {
        if (c->mode == 0 || c->mode == 4)
            c->frozen_elapsed = elapsed(p, c);
        c->gate = false;
        return;
    }
    c->gate = true;
    uint64_t now = now_ticks(p);
    switch (c->mode) {
    case 0:
    case 4:                             /* resume where it stopped */
        c->load_tick = now - c->frozen_elapsed;
        break;
    default:                            /* 1, 2, 3, 5: a rising gate restarts the count */
        if (c->reload) {
            c->load_tick = now;
            c->counting = true;
        }
        break;
    }
    if (i == 0)
        schedule_irq0(p);
}

static uint32_t pit_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct pit *p = opaque;
    if (port == 0x61) {
        /* Bit 4 toggles with every DRAM refresh request (~15.085 us); bit 5
         * is channel 2's OUT. */
        uint64_t refresh = (vclock_now(p->clock) / 15085) & 1;
        return p->port61 | (uint8_t)(refresh << 4) | (pit_out(p, 2) ? 0x20 : 0);
    }
    if (port == 0x43)
        return 0xff;                    /* the control register is write-only */
    return read_counter(p, port & 3);
}

static void pit_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pit *p = opaque;
    uint8_t v = (uint8_t)value;
    if (port == 0x61) {
        p->port61 = v & 0x0f;
        set_gate(p, 2, v & 1);
        return;
    }
    if (port == 0x43)
        write_control(p, v);
    else
        write_counter(p, port & 3, v);
}

void pit_reset(struct pit *p)
{
    for (int i = 0; i < 3; i++) {
        struct pit_channel *c = &p->ch[i];
        memset(c, 0, sizeof(*c));
        c->mode = 3;
        c->access = 3;
        c->reload = 0x10000;
        c->gate = i != 2;
    }
    p->port61 = 0;
    vclock_timer_disarm(p->clock, p->timer);
}

int pit_init(struct pit *p, struct io_bus *bus, struct vclock *clock)
{
    memset(p, 0, sizeof(*p));
    p->bus = bus;
    p->clock = clock;
    p->timer = vclock_timer_new(clock, irq0_fire, p);
    if (p->timer < 0)
        return -1;
    pit_reset(p);
    if (io_register(bus, 0x40, 4, pit_io_read, pit_io_write, p) ||
        io_register(bus, 0x61, 1, pit_io_read, pit_io_write, p))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

#define C struct pit_channel
static const struct vms_field pit_channel_fields[] = {
    VMS(C, reload), VMS(C, load_tick), VMS(C, counting), VMS(C, mode), VMS(C, bcd),
    VMS(C, access), VMS(C, write_msb_next), VMS(C, write_lsb), VMS(C, read_msb_next),
    VMS(C, count_latched), VMS(C, latch), VMS(C, latch_msb_next), VMS(C, status_latched),
    VMS(C, status), VMS(C, null_count), VMS(C, gate), VMS(C, frozen_elapsed),
};
#undef C
static const struct vms_desc pit_channel_vmstate = {
    VMS_DESC(struct pit_channel, "pit_channel", 1, pit_channel_fields)
};
/* Channel 0's pending IRQ0 edge is the timer's deadline (saved with the clock). */
static const struct vms_field pit_fields[] = {
    VMS_SA(struct pit, ch, pit_channel_vmstate),
    VMS_W(struct pit, clock), VMS_W(struct pit, bus), VMS_W(struct pit, timer),
    VMS(struct pit, port61),
};
const struct vms_desc pit_vmstate = { VMS_DESC(struct pit, "pit", 1, pit_fields) };
