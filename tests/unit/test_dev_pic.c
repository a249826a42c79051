/* test_dev_pic.c - the 8259A pair driven through its ports like a BIOS/OS. */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/pic.h"

struct pic_fixture { struct harness *h; struct pic pic; };

static struct pic_fixture *setup(void)
{
    struct pic_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    cr_assert_eq(pic_init(&f->pic, &f->h->bus, harness_cpu_intr, f->h), 0);
    f->h->bus.irq_route = pic_set_irq;
    f->h->bus.irq_opaque = &f->pic;
    return f;
}

static void teardown(struct pic_fixture *f) { free(f->h); free(f); }

/* The usual PC programming: master at 0x08 (BIOS) or 0x20, slave at 0x70/0x28. */
static void program(struct harness *h, uint8_t mbase, uint8_t sbase, uint8_t icw4)
{
    outb(h, 0x20, 0x11); outb(h, 0x21, mbase); outb(h, 0x21, 0x04); outb(h, 0x21, icw4);
    outb(h, 0xa0, 0x11); outb(h, 0xa1, sbase); outb(h, 0xa1, 0x02); outb(h, 0xa1, icw4);
    outb(h, 0x21, 0x00); outb(h, 0xa1, 0x00);
}

static void pulse(struct harness *h, int irq)
{
    irq_set(&h->bus, irq, true);
    irq_set(&h->bus, irq, false);
}

Test(pic, init_ack_eoi)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    cr_assert(!h->cpu_intr);
    pulse(h, 0);
    cr_assert(h->cpu_intr);
    cr_assert_eq(inb(h, 0x20), 0x01, "IRR shows IR0");
    cr_assert_eq(pic_intr_ack(&f->pic), 0x08);
    cr_assert(!h->cpu_intr);
    outb(h, 0x20, 0x0b);                 /* OCW3: read ISR */
    cr_assert_eq(inb(h, 0x20), 0x01);
    cr_assert_eq(inb(h, 0x21), 0x00, "IMR");
    outb(h, 0x20, 0x20);                 /* non-specific EOI */
    cr_assert_eq(inb(h, 0x20), 0x00);
    teardown(f);
}

Test(pic, priority_and_nesting)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x20, 0x28, 0x01);
    pulse(h, 3);
    pulse(h, 1);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x21, "IR1 beats IR3");
    cr_assert(!h->cpu_intr, "IR3 is blocked by IR1 in service");
    pulse(h, 0);
    cr_assert(h->cpu_intr, "IR0 nests over IR1");
    cr_assert_eq(pic_intr_ack(&f->pic), 0x20);
    outb(h, 0x20, 0x0b);
    cr_assert_eq(inb(h, 0x20), 0x03);
    outb(h, 0x20, 0x20);                 /* EOI ends IR0, the highest in service */
    cr_assert_eq(inb(h, 0x20), 0x02);
    cr_assert(!h->cpu_intr);
    outb(h, 0x20, 0x61);                 /* specific EOI for IR1 */
    cr_assert_eq(inb(h, 0x20), 0x00);
    cr_assert(h->cpu_intr);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x23);
    teardown(f);
}

Test(pic, masking)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    outb(h, 0x21, 0xfe);                 /* everything but IR0 masked */
    cr_assert_eq(inb(h, 0x21), 0xfe);
    pulse(h, 4);
    cr_assert(!h->cpu_intr);
    outb(h, 0x21, 0xee);
    cr_assert(h->cpu_intr);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x0c);
    teardown(f);
}

Test(pic, slave_cascade)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    pulse(h, 10);
    cr_assert(h->cpu_intr);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x72);
    outb(h, 0x20, 0x0b);
    outb(h, 0xa0, 0x0b);
    cr_assert_eq(inb(h, 0x20), 0x04, "master IR2 in service");
    cr_assert_eq(inb(h, 0xa0), 0x04, "slave IR2 in service");
    outb(h, 0xa0, 0x20);
    outb(h, 0x20, 0x20);
    cr_assert_eq(inb(h, 0x20), 0);
    cr_assert_eq(inb(h, 0xa0), 0);
    teardown(f);
}

Test(pic, spurious_irq7_and_irq15)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    pulse(h, 5);
    cr_assert(h->cpu_intr);
    outb(h, 0x21, 0x20);                 /* masked between INTR and INTA */
    cr_assert_eq(pic_intr_ack(&f->pic), 0x0f, "spurious IRQ7");
    outb(h, 0x20, 0x0b);
    cr_assert_eq(inb(h, 0x20), 0x00, "a spurious IRQ7 sets no ISR bit");

    /* A level request on the slave that goes away before INTA. */
    outb(h, 0x21, 0x00);
    outb(h, 0x4d1, 0x08);                /* IRQ11 level-triggered */
    cr_assert_eq(inb(h, 0x4d1), 0x08);
    irq_set(&h->bus, 11, true);
    cr_assert(h->cpu_intr);
    /* The master has latched the cascade edge; the slave request vanishes. */
    irq_set(&h->bus, 11, false);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x77, "spurious IRQ15");
    outb(h, 0xa0, 0x0b);
    cr_assert_eq(inb(h, 0xa0), 0x00);
    teardown(f);
}

Test(pic, level_triggered_reasserts_after_eoi)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    outb(h, 0x4d1, 0x02);                /* IRQ9 level */
    outb(h, 0x4d0, 0x07);                /* bits 0-2 don't exist */
    cr_assert_eq(inb(h, 0x4d0), 0x00);
    irq_set(&h->bus, 9, true);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x71);
    outb(h, 0xa0, 0x20);
    outb(h, 0x20, 0x20);
    cr_assert(h->cpu_intr, "still asserted: requests again");
    cr_assert_eq(pic_intr_ack(&f->pic), 0x71);
    irq_set(&h->bus, 9, false);
    outb(h, 0xa0, 0x20);
    outb(h, 0x20, 0x20);
    cr_assert(!h->cpu_intr);
    teardown(f);
}

Test(pic, edge_needs_new_rising_edge)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    irq_set(&h->bus, 3, true);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x0b);
    outb(h, 0x20, 0x20);
    cr_assert(!h->cpu_intr, "a held edge input does not request twice");
    irq_set(&h->bus, 3, false);
    irq_set(&h->bus, 3, true);
    cr_assert(h->cpu_intr);
    teardown(f);
}

Test(pic, poll_mode)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    outb(h, 0x20, 0x0c);
    cr_assert_eq(inb(h, 0x20), 0x00, "poll with nothing pending");
    pulse(h, 6);
    outb(h, 0x20, 0x0c);
    cr_assert_eq(inb(h, 0x20), 0x86);
    outb(h, 0x20, 0x0b);
    cr_assert_eq(inb(h, 0x20), 0x40, "poll acknowledged IR6");
    cr_assert_eq(inb(h, 0x20), 0x40, "no longer polling: ISR read");
    teardown(f);
}

Test(pic, auto_eoi)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x03);        /* ICW4: 8086 mode + AEOI */
    pulse(h, 1);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x09);
    outb(h, 0x20, 0x0b);
    cr_assert_eq(inb(h, 0x20), 0x00);
    pulse(h, 3);
    cr_assert(h->cpu_intr, "nothing in service blocks IR3");
    teardown(f);
}

Test(pic, rotation_on_nonspecific_eoi)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    pulse(h, 4);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x0c);
    outb(h, 0x20, 0xa0);                 /* rotate on non-specific EOI: IR4 now lowest */
    pulse(h, 4);
    pulse(h, 5);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x0d, "IR5 now has the highest priority");
    outb(h, 0x20, 0xc7);                 /* set priority: IR7 lowest again */
    outb(h, 0x20, 0x20);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x0c);
    teardown(f);
}

Test(pic, special_mask_mode)
{
    struct pic_fixture *f = setup();
    struct harness *h = f->h;
    program(h, 0x08, 0x70, 0x01);
    pulse(h, 1);
    cr_assert_eq(pic_intr_ack(&f->pic), 0x09);
    pulse(h, 5);
    cr_assert(!h->cpu_intr);
    outb(h, 0x21, 0x02);                 /* mask the in-service IR1 */
    outb(h, 0x20, 0x68);                 /* OCW3: set special mask */
    cr_assert(h->cpu_intr, "lower priority allowed under special mask");
    cr_assert_eq(pic_intr_ack(&f->pic), 0x0d);
    teardown(f);
}
