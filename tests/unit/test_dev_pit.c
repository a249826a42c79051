/* test_dev_pit.c - the 8254 counted in virtual time through its ports. */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/pit.h"

struct pit_fixture { struct harness *h; struct pit pit; };

static struct pit_fixture *setup(void)
{
    struct pit_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    cr_assert_eq(pit_init(&f->pit, &f->h->bus, &f->h->clock), 0);
    return f;
}

static void teardown(struct pit_fixture *f) { free(f->h); free(f); }

/* First virtual nanosecond at which the PIT has counted `ticks` (1 ns/insn). */
static uint64_t tick_ns(uint64_t ticks)
{
    return (ticks * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static uint16_t latch_read(struct harness *h, int ch)
{
    outb(h, 0x43, (uint8_t)(ch << 6));  /* counter latch command */
    uint8_t lo = inb(h, 0x40 + ch);
    uint8_t hi = inb(h, 0x40 + ch);
    return (uint16_t)(lo | hi << 8);
}

Test(pit, mode2_counts_down_and_reloads)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x43, 0x34);                 /* ch0, lohi, mode 2, binary */
    outb(h, 0x40, 1000 & 0xff);
    outb(h, 0x40, 1000 >> 8);
    cr_assert_eq(latch_read(h, 0), 1000);
    h->icount = tick_ns(250);
    cr_assert_eq(latch_read(h, 0), 750);
    h->icount = tick_ns(1000 + 10);
    cr_assert_eq(latch_read(h, 0), 990, "reloaded after one period");
    teardown(f);
}

Test(pit, latch_freezes_value)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x43, 0x34);
    outb(h, 0x40, 0x00);
    outb(h, 0x40, 0x10);                 /* 0x1000 */
    h->icount = tick_ns(0x10);
    outb(h, 0x43, 0x00);
    h->icount = tick_ns(0x100);          /* time passes after the latch */
    cr_assert_eq(inb(h, 0x40), 0xf0);
    cr_assert_eq(inb(h, 0x40), 0x0f);
    /* Latch consumed: now reads are live. */
    cr_assert_eq(inb(h, 0x40), 0x00);
    cr_assert_eq(inb(h, 0x40), 0x0f);
    teardown(f);
}

Test(pit, irq0_periodic_on_the_clock)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x43, 0x34);
    outb(h, 0x40, 1193 & 0xff);
    outb(h, 0x40, 1193 >> 8);
    cr_assert_eq(vclock_next_deadline(&h->clock), tick_ns(1193));
    harness_advance_to(h, tick_ns(1193) - 1);
    cr_assert_eq(h->rises[0], 0);
    harness_advance_to(h, tick_ns(1193));
    cr_assert_eq(h->rises[0], 1);
    cr_assert_eq(vclock_next_deadline(&h->clock), tick_ns(2 * 1193));
    harness_advance_to(h, tick_ns(10 * 1193));
    cr_assert_eq(h->rises[0], 10);
    teardown(f);
}

Test(pit, mode0_one_shot_irq)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x43, 0x30);                 /* ch0, lohi, mode 0 */
    outb(h, 0x40, 100);
    outb(h, 0x40, 0);
    harness_advance_to(h, tick_ns(5000));
    cr_assert_eq(h->rises[0], 1, "one interrupt on terminal count only");
    cr_assert_eq(vclock_next_deadline(&h->clock), VCLOCK_NEVER);
    teardown(f);
}

Test(pit, mode3_counts_by_two)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x43, 0x36);                 /* ch0, lohi, mode 3 */
    outb(h, 0x40, 100);
    outb(h, 0x40, 0);
    h->icount = tick_ns(10);
    cr_assert_eq(latch_read(h, 0), 80);
    harness_advance_to(h, tick_ns(1000));
    cr_assert_eq(h->rises[0], 10, "one rising edge per 100-tick period");
    teardown(f);
}

Test(pit, channel2_gate_and_out_via_port61)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    /* What Linux's PIT TSC calibration does. */
    outb(h, 0x61, (inb(h, 0x61) & ~0x02) | 0x01);
    outb(h, 0x43, 0xb0);                 /* ch2, lohi, mode 0 */
    outb(h, 0x42, 200);
    outb(h, 0x42, 0);
    cr_assert_eq(inb(h, 0x61) & 0x21, 0x01, "OUT2 low while counting, gate high");
    h->icount = tick_ns(199);
    cr_assert_eq(inb(h, 0x61) & 0x20, 0);
    h->icount = tick_ns(200);
    cr_assert_eq(inb(h, 0x61) & 0x20, 0x20, "OUT2 high at terminal count");
    teardown(f);
}

Test(pit, channel2_gate_low_stops_mode0)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x61, 0x00);                 /* gate 2 low */
    outb(h, 0x43, 0xb0);
    outb(h, 0x42, 200);
    outb(h, 0x42, 0);
    h->icount = tick_ns(500);
    cr_assert_eq(latch_read(h, 2), 200, "no counting with the gate low");
    outb(h, 0x61, 0x01);
    h->icount = tick_ns(550);
    cr_assert_eq(latch_read(h, 2), 150);
    teardown(f);
}

Test(pit, refresh_bit_toggles)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    uint8_t a = inb(h, 0x61) & 0x10;
    h->icount += 15085;
    uint8_t b = inb(h, 0x61) & 0x10;
    cr_assert_neq(a, b);
    teardown(f);
}

Test(pit, read_back_status_and_count)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x43, 0x74);                 /* ch1, lohi, mode 2 */
    cr_assert_eq((outb(h, 0x43, 0xe4), inb(h, 0x41)), 0x40 | 0x80 | 0x34,
                 "OUT high, null count, lohi, mode 2");
    outb(h, 0x41, 0x34);
    outb(h, 0x41, 0x12);
    h->icount = tick_ns(4);
    outb(h, 0x43, 0xc4);                 /* read-back: count and status of ch1 */
    cr_assert_eq(inb(h, 0x41), 0x80 | 0x34, "status first, count loaded");
    cr_assert_eq(inb(h, 0x41), 0x30);
    cr_assert_eq(inb(h, 0x41), 0x12);
    teardown(f);
}

Test(pit, lsb_only_and_bcd)
{
    struct pit_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x43, 0x15);                 /* ch0, lsb only, mode 2, BCD */
    outb(h, 0x40, 0x50);                 /* 50 decimal */
    h->icount = tick_ns(1);
    cr_assert_eq(inb(h, 0x40), 0x49);
    outb(h, 0x43, 0x35);                 /* lohi BCD, mode 2 */
    outb(h, 0x40, 0x00);
    outb(h, 0x40, 0x10);                 /* 1000 decimal */
    h->icount += tick_ns(3);
    uint16_t v = latch_read(h, 0);
    cr_assert(v == 0x0997 || v == 0x0998, "BCD count after ~3 ticks: %x", v);
    teardown(f);
}
