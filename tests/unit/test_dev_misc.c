/* test_dev_misc.c - debug ports, port 0x92 and the 0xCF9 reset register. */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/debugport.h"
#include "devices/sysctl.h"

struct sink_buf { char s[32]; unsigned n; };

static void sink(void *opaque, uint8_t b)
{
    struct sink_buf *s = opaque;
    if (s->n < sizeof(s->s) - 1)
        s->s[s->n++] = (char)b;
}

Test(debugport, debugcon_and_exit_status)
{
    struct harness *h = harness_new();
    struct debug_ports d;
    struct sink_buf buf = { .n = 0 };
    cr_assert_eq(debug_ports_init(&d, &h->bus, harness_stop, h), 0);
    debug_ports_set_sink(&d, sink, &buf);
    cr_assert_eq(inb(h, 0x402), 0xe9);
    outb(h, 0x402, 'O');
    outb(h, 0xe9, 'K');
    cr_assert_str_eq(buf.s, "OK");
    outb(h, 0x80, 0x42);
    cr_assert_eq(inb(h, 0x80), 0x42);
    cr_assert_eq(h->stop_status, -1);
    outb(h, 0xf4, 0x21);
    cr_assert_eq(h->stop_status, 0x43);
    outb(h, 0xf4, 0x00);
    cr_assert_eq(h->stop_status, 1);
    free(h);
}

struct a20_state { bool a20; int calls; };
static void set_a20(void *opaque, bool on) { struct a20_state *s = opaque; s->a20 = on; s->calls++; }

Test(sysctl, fast_a20_and_resets)
{
    struct harness *h = harness_new();
    struct sys_ctrl s;
    struct a20_state a = { false, 0 };
    cr_assert_eq(sys_ctrl_init(&s, &h->bus, set_a20, &a, harness_reset, h), 0);
    outb(h, 0x92, 0x02);
    cr_assert(a.a20);
    cr_assert_eq(inb(h, 0x92), 0x02);
    outb(h, 0x92, 0x00);
    cr_assert(!a.a20);
    cr_assert_eq(h->resets, 0);
    outb(h, 0x92, 0x01);
    cr_assert_eq(h->resets, 1);
    outb(h, 0xcf9, 0x02);
    cr_assert_eq(h->resets, 1, "selecting hard reset alone does nothing");
    outb(h, 0xcf9, 0x06);
    cr_assert_eq(h->resets, 2);
    free(h);
}
