/* test_dev_rtc.c - the MC146818 RTC/CMOS through ports 0x70/0x71. */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/rtc.h"

#define S 1000000000ull

struct rtc_fixture { struct harness *h; struct rtc rtc; };

static struct rtc_fixture *setup(void)
{
    struct rtc_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    int64_t base = rtc_days_from_civil(2026, 1, 1) * 86400;   /* 2026-01-01T00:00:00Z */
    cr_assert_eq(rtc_init(&f->rtc, &f->h->bus, &f->h->clock, base), 0);
    return f;
}

static void teardown(struct rtc_fixture *f) { free(f->h); free(f); }

static uint8_t cmos(struct harness *h, uint8_t i) { outb(h, 0x70, i); return inb(h, 0x71); }
static void cmos_w(struct harness *h, uint8_t i, uint8_t v) { outb(h, 0x70, i); outb(h, 0x71, v); }

Test(rtc, calendar_helpers)
{
    cr_assert_eq(rtc_days_from_civil(1970, 1, 1), 0);
    cr_assert_eq(rtc_days_from_civil(2000, 3, 1), 11017);
    int y, m, d;
    rtc_civil_from_days(11016, &y, &m, &d);
    cr_assert(y == 2000 && m == 2 && d == 29, "%d-%d-%d", y, m, d);
}

Test(rtc, bcd_time_from_base_plus_virtual_time)
{
    struct rtc_fixture *f = setup();
    struct harness *h = f->h;
    cr_assert_eq(cmos(h, 0x0b), 0x02, "BCD, 24 h");
    cr_assert_eq(cmos(h, 0x00), 0x00);
    cr_assert_eq(cmos(h, 0x07), 0x01);
    cr_assert_eq(cmos(h, 0x08), 0x01);
    cr_assert_eq(cmos(h, 0x09), 0x26);
    cr_assert_eq(cmos(h, 0x32), 0x20);
    cr_assert_eq(cmos(h, 0x06), 0x05, "2026-01-01 is a Thursday (Sunday = 1)");
    h->icount = (13 * 3600 + 59 * 60 + 58) * S + 5;
    cr_assert_eq(cmos(h, 0x04), 0x13);
    cr_assert_eq(cmos(h, 0x02), 0x59);
    cr_assert_eq(cmos(h, 0x00), 0x58);
    cr_assert_eq(cmos(h, 0x0d), 0x80);
    teardown(f);
}

Test(rtc, binary_and_12_hour_modes)
{
    struct rtc_fixture *f = setup();
    struct harness *h = f->h;
    h->icount = (13 * 3600 + 7 * 60 + 45) * S;
    cmos_w(h, 0x0b, 0x06);               /* binary, 24 h */
    cr_assert_eq(cmos(h, 0x00), 45);
    cr_assert_eq(cmos(h, 0x04), 13);
    cmos_w(h, 0x0b, 0x00);               /* BCD, 12 h */
    cr_assert_eq(cmos(h, 0x04), 0x81, "1 PM");
    cmos_w(h, 0x0b, 0x04);               /* binary, 12 h */
    cr_assert_eq(cmos(h, 0x04), 0x81);
    h->icount = 30 * 60 * S;             /* 00:30 -> 12 AM */
    cr_assert_eq(cmos(h, 0x04), 12);
    teardown(f);
}

Test(rtc, set_time_with_set_bit)
{
    struct rtc_fixture *f = setup();
    struct harness *h = f->h;
    h->icount = 10 * S;
    cmos_w(h, 0x0b, 0x82);               /* SET: updates stop */
    cmos_w(h, 0x04, 0x12);
    cmos_w(h, 0x02, 0x34);
    cmos_w(h, 0x00, 0x56);
    h->icount = 20 * S;
    cr_assert_eq(cmos(h, 0x00), 0x56, "frozen while SET");
    cmos_w(h, 0x0b, 0x02);
    h->icount = 22 * S;
    cr_assert_eq(cmos(h, 0x04), 0x12);
    cr_assert_eq(cmos(h, 0x02), 0x34);
    cr_assert_eq(cmos(h, 0x00), 0x58);
    teardown(f);
}

Test(rtc, periodic_interrupt_timing)
{
    struct rtc_fixture *f = setup();
    struct harness *h = f->h;
    cr_assert_eq(cmos(h, 0x0a), 0x26);
    cmos_w(h, 0x0b, 0x42);               /* PIE */
    /* 1024 Hz: first at 976562.5 ns. */
    harness_advance_to(h, 976562);
    cr_assert(!h->line[8]);
    harness_advance_to(h, 976563);
    cr_assert(h->line[8]);
    cr_assert_eq(cmos(h, 0x0c), 0xc0, "IRQF + PF");
    cr_assert(!h->line[8], "reading C drops IRQ8");
    cr_assert_eq(cmos(h, 0x0c), 0x00);
    harness_advance_to(h, 10 * 976563);
    cr_assert_eq(h->rises[8], 2, "line held until C is read");
    cmos(h, 0x0c);
    cmos_w(h, 0x0a, 0x2f);               /* rate 15: 2 Hz */
    uint64_t t0 = h->icount;
    harness_advance_to(h, S / 2 - 1);
    cr_assert(!h->line[8] || t0 >= S / 2);
    harness_advance_to(h, S / 2);
    cr_assert(h->line[8]);
    teardown(f);
}

Test(rtc, update_ended_and_alarm)
{
    struct rtc_fixture *f = setup();
    struct harness *h = f->h;
    cmos_w(h, 0x0b, 0x12);               /* UIE */
    harness_advance_to(h, S - 1);
    cr_assert(!h->line[8]);
    harness_advance_to(h, S);
    cr_assert(h->line[8]);
    cr_assert_eq(cmos(h, 0x0c) & 0xb0, 0x90, "IRQF + UF (PF runs too at 1024 Hz)");
    cmos_w(h, 0x0b, 0x22);               /* AIE only */
    cmos_w(h, 0x01, 0x05);
    cmos_w(h, 0x03, 0xc0);
    cmos_w(h, 0x05, 0xc0);
    harness_advance_to(h, 4 * S);
    cr_assert(!h->line[8]);
    harness_advance_to(h, 5 * S);
    cr_assert(h->line[8]);
    cr_assert_eq(cmos(h, 0x0c) & 0xa0, 0xa0);
    teardown(f);
}

Test(rtc, update_in_progress_window)
{
    struct rtc_fixture *f = setup();
    struct harness *h = f->h;
    h->icount = S / 2;
    cr_assert_eq(cmos(h, 0x0a) & 0x80, 0);
    h->icount = S - 1000;
    cr_assert_eq(cmos(h, 0x0a) & 0x80, 0x80);
    /* MC146818A: UIP rises 244 us before the update cycle, which lasts
     * 1984 us and ends with the new time in the registers and UIP low. */
    h->icount = S - 244000 - 1984000 - 1;
    cr_assert_eq(cmos(h, 0x0a) & 0x80, 0);
    h->icount = S - 244000 - 1984000;
    cr_assert_eq(cmos(h, 0x0a) & 0x80, 0x80);
    h->icount = S - 1;
    cr_assert_eq(cmos(h, 0x0a) & 0x80, 0x80);
    h->icount = S;
    cr_assert_eq(cmos(h, 0x0a) & 0x80, 0);
    cr_assert_eq(cmos(h, 0x00), 0x01, "the update that ended shows the next second");
    /* A guest polling for the rising then the falling edge sees both. */
    int rises = 0, falls = 0;
    bool was = false;
    for (h->icount = 3 * S / 2; h->icount < 3 * S + S / 10; h->icount += 1000) {
        bool uip = cmos(h, 0x0a) & 0x80;
        rises += uip && !was;
        falls += !uip && was;
        was = uip;
    }
    cr_assert_eq(rises, 2);
    cr_assert_eq(falls, 2);
    /* SET stops updates: UIP stays low. */
    cmos_w(h, 0x0b, 0x82);
    h->icount = 4 * S - 1000;
    cr_assert_eq(cmos(h, 0x0a) & 0x80, 0);
    teardown(f);
}

Test(rtc, nvram_layout_for_seabios)
{
    struct rtc_fixture *f = setup();
    struct harness *h = f->h;
    rtc_set_cmos_memory(&f->rtc, 128ull << 20, 1ull << 30, 1, "dc");
    cr_assert_eq(cmos(h, 0x15) | cmos(h, 0x16) << 8, 640);
    cr_assert_eq(cmos(h, 0x17) | cmos(h, 0x18) << 8, 0xffff);
    cr_assert_eq(cmos(h, 0x30) | cmos(h, 0x31) << 8, 0xffff);
    cr_assert_eq(cmos(h, 0x34) | cmos(h, 0x35) << 8, (112 << 20) >> 16);
    cr_assert_eq(cmos(h, 0x5b) | cmos(h, 0x5c) << 8 | cmos(h, 0x5d) << 16, (1 << 30) >> 16);
    cr_assert_eq(cmos(h, 0x5f), 0);
    cr_assert_eq(cmos(h, 0x3d), 0x23, "CD-ROM then disk");
    cr_assert_eq(cmos(h, 0x38) & 0xf0, 0x00);
    rtc_set_cmos_memory(&f->rtc, 8ull << 20, 0, 2, NULL);
    cr_assert_eq(cmos(h, 0x17) | cmos(h, 0x18) << 8, 7 * 1024);
    cr_assert_eq(cmos(h, 0x34), 0);
    cr_assert_eq(cmos(h, 0x5f), 1);
    cmos_w(h, 0x40, 0x99);
    cr_assert_eq(cmos(h, 0x40), 0x99, "plain NVRAM byte");
    outb(h, 0x70, 0x80 | 0x40);
    cr_assert(f->rtc.nmi_disabled);
    cr_assert_eq(inb(h, 0x71), 0x99);
    teardown(f);
}
