/* test_dev_i8042.c - the keyboard controller as a BIOS and Linux drive it. */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/i8042.h"

struct kbc_fixture { struct harness *h; struct i8042 k; bool a20; int a20_calls; };

static void set_a20(void *opaque, bool on)
{
    struct kbc_fixture *f = opaque;
    f->a20 = on;
    f->a20_calls++;
}

static struct kbc_fixture *setup(void)
{
    struct kbc_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    f->a20 = true;
    cr_assert_eq(i8042_init(&f->k, &f->h->bus, set_a20, f, harness_reset, f->h), 0);
    return f;
}

static void teardown(struct kbc_fixture *f) { free(f->h); free(f); }

/* Read the output buffer, insisting it is full. */
static uint8_t read_data(struct harness *h)
{
    cr_assert(inb(h, 0x64) & 0x01, "output buffer full");
    return inb(h, 0x60);
}

Test(i8042, self_test_and_interface_tests)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    cr_assert_eq(inb(h, 0x64) & 0x01, 0);
    outb(h, 0x64, 0xaa);
    cr_assert_eq(read_data(h), 0x55);
    cr_assert(inb(h, 0x64) & 0x04, "system flag after self-test");
    cr_assert(inb(h, 0x64) & 0x08, "last write was a command");
    outb(h, 0x64, 0xab);
    cr_assert_eq(read_data(h), 0x00);
    outb(h, 0x64, 0xa9);
    cr_assert_eq(read_data(h), 0x00);
    cr_assert_eq(inb(h, 0x64) & 0x01, 0);
    teardown(f);
}

Test(i8042, command_byte_and_irq1)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x64, 0x20);
    cr_assert(h->line[1], "controller replies also raise IRQ1 when enabled");
    cr_assert_eq(read_data(h), 0x43);
    cr_assert(!(inb(h, 0x64) & 1) && !h->line[1]);
    outb(h, 0x64, 0x60);
    outb(h, 0x60, 0x40);                 /* interrupts off, translation on */
    outb(h, 0x64, 0x20);
    cr_assert(!h->line[1]);
    cr_assert_eq(read_data(h), 0x40);
    teardown(f);
}

Test(i8042, a20_through_output_port)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x64, 0xd0);
    cr_assert_eq(read_data(h) & 0x03, 0x03, "A20 on, not in reset");
    outb(h, 0x64, 0xd1);
    outb(h, 0x60, 0xdd);                 /* A20 off */
    cr_assert(!f->a20);
    outb(h, 0x64, 0xd1);
    outb(h, 0x60, 0xdf);                 /* A20 on (the classic HIMEM sequence) */
    cr_assert(f->a20);
    cr_assert_eq(f->a20_calls, 2);
    cr_assert_eq(h->resets, 0);
    outb(h, 0x64, 0xdd);
    cr_assert(!f->a20);
    teardown(f);
}

Test(i8042, reset_line)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x64, 0xfe);                 /* pulse the reset line */
    cr_assert_eq(h->resets, 1);
    outb(h, 0x64, 0xff);                 /* pulse nothing */
    cr_assert_eq(h->resets, 1);
    teardown(f);
}

Test(i8042, keyboard_reset_and_commands)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x60, 0xff);
    cr_assert_eq(read_data(h), 0xfa);
    cr_assert_eq(read_data(h), 0xaa);
    outb(h, 0x60, 0xed);
    cr_assert_eq(read_data(h), 0xfa);
    outb(h, 0x60, 0x07);
    cr_assert_eq(read_data(h), 0xfa);
    cr_assert_eq(f->k.kbd_leds, 7);
    int rises = h->rises[1];
    outb(h, 0x60, 0xf2);                 /* identify, translated: AB 83 -> AB 41 */
    cr_assert_eq(read_data(h), 0xfa);
    cr_assert_eq(read_data(h), 0xab);
    cr_assert_eq(read_data(h), 0x41);
    /* Each byte raised IRQ1 anew (the line drops on every read): an
     * edge-triggered 8259 sees all three, as Linux's atkbd needs. */
    cr_assert_eq(h->rises[1] - rises, 3);
    cr_assert(!h->line[1]);
    outb(h, 0x60, 0xee);
    cr_assert_eq(read_data(h), 0xee);
    teardown(f);
}

Test(i8042, scancode_translation)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    static const uint8_t a_down[] = { 0x1c }, a_up[] = { 0xf0, 0x1c };
    static const uint8_t rctrl_up[] = { 0xe0, 0xf0, 0x14 };
    i8042_key_event(&f->k, a_down, 1);
    i8042_key_event(&f->k, a_up, 2);
    i8042_key_event(&f->k, rctrl_up, 3);
    cr_assert_eq(read_data(h), 0x1e);
    cr_assert_eq(read_data(h), 0x9e);
    cr_assert_eq(read_data(h), 0xe0);
    cr_assert_eq(read_data(h), 0x9d);
    /* Translation off: raw set 2. */
    outb(h, 0x64, 0x60);
    outb(h, 0x60, 0x01);
    i8042_key_event(&f->k, a_up, 2);
    cr_assert_eq(read_data(h), 0xf0);
    cr_assert_eq(read_data(h), 0x1c);
    /* Scancode set query. */
    outb(h, 0x60, 0xf0);
    cr_assert_eq(read_data(h), 0xfa);
    outb(h, 0x60, 0x00);
    cr_assert_eq(read_data(h), 0xfa);
    cr_assert_eq(read_data(h), 0x02);
    teardown(f);
}

Test(i8042, keyboard_disabled_port_holds_bytes)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    static const uint8_t esc[] = { 0x76 };
    outb(h, 0x64, 0xad);
    i8042_key_event(&f->k, esc, 1);
    cr_assert_eq(inb(h, 0x64) & 1, 0);
    outb(h, 0x64, 0xae);
    cr_assert_eq(read_data(h), 0x01);
    teardown(f);
}

Test(i8042, mouse_commands_and_irq12)
{
    struct kbc_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, 0x64, 0xa8);
    outb(h, 0x64, 0xd4);
    outb(h, 0x60, 0xff);
    cr_assert(inb(h, 0x64) & 0x20, "aux byte");
    cr_assert(h->line[12]);
    cr_assert_eq(read_data(h), 0xfa);
    cr_assert_eq(read_data(h), 0xaa);
    cr_assert_eq(read_data(h), 0x00);
    static const uint8_t rates[] = { 200, 100, 80 };
    for (int i = 0; i < 3; i++) {
        outb(h, 0x64, 0xd4); outb(h, 0x60, 0xf3);
        cr_assert_eq(read_data(h), 0xfa);
        outb(h, 0x64, 0xd4); outb(h, 0x60, rates[i]);
        cr_assert_eq(read_data(h), 0xfa);
    }
    outb(h, 0x64, 0xd4); outb(h, 0x60, 0xf2);
    cr_assert_eq(read_data(h), 0xfa);
    cr_assert_eq(read_data(h), 0x03, "IntelliMouse after the knock");
    outb(h, 0x64, 0xd4); outb(h, 0x60, 0xf4);
    cr_assert_eq(read_data(h), 0xfa);
    i8042_mouse_event(&f->k, 5, -3, 1, 0x01);
    cr_assert_eq(read_data(h), 0x29);
    cr_assert_eq(read_data(h), 5);
    cr_assert_eq(read_data(h), 0xfd);
    cr_assert_eq(read_data(h), 0x01);
    cr_assert(!h->line[12]);
    teardown(f);
}
