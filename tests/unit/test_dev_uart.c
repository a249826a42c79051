/* test_dev_uart.c - a 16550A at COM1 driven like a serial driver would. */
#include <criterion/criterion.h>
#include <string.h>
#include "dev_harness.h"
#include "devices/uart.h"

#define COM1 0x3f8

struct uart_fixture {
    struct harness *h;
    struct uart u;
    uint8_t out[64];
    unsigned nout;
};

static void sink(void *opaque, uint8_t b)
{
    struct uart_fixture *f = opaque;
    if (f->nout < sizeof(f->out))
        f->out[f->nout++] = b;
}

static struct uart_fixture *setup(void)
{
    struct uart_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    cr_assert_eq(uart_init(&f->u, &f->h->bus, &f->h->clock, COM1, 4), 0);
    uart_set_sink(&f->u, sink, f);
    return f;
}

static void teardown(struct uart_fixture *f) { free(f->h); free(f); }

Test(uart, transmit_to_sink_and_reset_state)
{
    struct uart_fixture *f = setup();
    struct harness *h = f->h;
    cr_assert_eq(inb(h, COM1 + 5), 0x60, "THRE and TEMT after reset");
    cr_assert_eq(inb(h, COM1 + 2), 0x01, "no interrupt pending");
    outb(h, COM1, 'h');
    outb(h, COM1, 'i');
    cr_assert_eq(f->nout, 2);
    cr_assert(memcmp(f->out, "hi", 2) == 0);
    teardown(f);
}

Test(uart, divisor_latch_and_scratch)
{
    struct uart_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, COM1 + 3, 0x83);             /* DLAB, 8N1 */
    outb(h, COM1 + 0, 0x01);
    outb(h, COM1 + 1, 0x00);             /* 115200 baud */
    cr_assert_eq(inb(h, COM1 + 0), 0x01);
    cr_assert_eq(inb(h, COM1 + 1), 0x00);
    outb(h, COM1 + 3, 0x03);
    cr_assert_eq(inb(h, COM1 + 3), 0x03);
    cr_assert_eq(f->u.divisor, 1);
    outb(h, COM1 + 1, 0x0f);
    cr_assert_eq(inb(h, COM1 + 1), 0x0f, "IER again once DLAB is off");
    outb(h, COM1 + 7, 0x5a);
    cr_assert_eq(inb(h, COM1 + 7), 0x5a);
    cr_assert_eq(f->nout, 0, "divisor writes don't transmit");
    teardown(f);
}

Test(uart, loopback_data_and_modem_lines)
{
    struct uart_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, COM1 + 4, 0x10);             /* loopback, all outputs off */
    cr_assert_eq(inb(h, COM1 + 6) & 0xf0, 0x00);
    outb(h, COM1 + 4, 0x1f);             /* loopback + DTR RTS OUT1 OUT2 */
    cr_assert_eq(inb(h, COM1 + 6) & 0xf0, 0xf0, "outputs fed back to CTS DSR RI DCD");
    outb(h, COM1, 0xa5);
    cr_assert_eq(f->nout, 0, "loopback does not reach the wire");
    cr_assert_eq(inb(h, COM1 + 5) & 0x01, 0x01, "data ready");
    cr_assert_eq(inb(h, COM1), 0xa5);
    cr_assert_eq(inb(h, COM1 + 5) & 0x01, 0x00);
    cr_assert(!uart_can_receive(&f->u), "external input ignored in loopback");
    teardown(f);
}

Test(uart, fifo_holds_16_then_overruns)
{
    struct uart_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, COM1 + 2, 0x07);             /* FIFO on, clear both */
    cr_assert_eq(inb(h, COM1 + 2) & 0xc0, 0xc0, "FIFOs enabled in IIR");
    for (int i = 0; i < 16; i++) {
        cr_assert(uart_can_receive(&f->u));
        uart_receive_byte(&f->u, (uint8_t)(0x30 + i));
    }
    cr_assert(!uart_can_receive(&f->u));
    uart_receive_byte(&f->u, 0xee);
    cr_assert_eq(inb(h, COM1 + 5) & 0x03, 0x03, "data ready + overrun");
    cr_assert_eq(inb(h, COM1 + 5) & 0x02, 0x00, "overrun cleared by the LSR read");
    for (int i = 0; i < 16; i++)
        cr_assert_eq(inb(h, COM1), 0x30 + i);
    cr_assert_eq(inb(h, COM1 + 5) & 0x01, 0);
    teardown(f);
}

Test(uart, non_fifo_mode_holds_one)
{
    struct uart_fixture *f = setup();
    uart_receive_byte(&f->u, 1);
    cr_assert(!uart_can_receive(&f->u));
    teardown(f);
}

Test(uart, iir_priority_and_thre_interrupt)
{
    struct uart_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, COM1 + 1, 0x02);             /* enable THRE interrupt with THR empty */
    cr_assert(h->line[4], "THRE raises IRQ4 at once");
    cr_assert_eq(inb(h, COM1 + 2), 0x02);
    cr_assert(!h->line[4], "reading IIR cleared the THRE source");
    cr_assert_eq(inb(h, COM1 + 2), 0x01);
    outb(h, COM1, 'x');                  /* transmitted: THR empty again */
    cr_assert(h->line[4]);
    outb(h, COM1 + 1, 0x07);             /* + received data + line status */
    uart_receive_byte(&f->u, 'a');
    cr_assert_eq(inb(h, COM1 + 2), 0x04, "received data beats THRE");
    uart_receive_byte(&f->u, 'b');       /* non-FIFO: overrun */
    cr_assert_eq(inb(h, COM1 + 2), 0x06, "line status beats everything");
    cr_assert_eq(inb(h, COM1 + 5) & 0x03, 0x03);
    cr_assert_eq(inb(h, COM1 + 2), 0x04);
    cr_assert_eq(inb(h, COM1), 'a');
    cr_assert_eq(inb(h, COM1 + 2), 0x02, "then THRE");
    cr_assert_eq(inb(h, COM1 + 2), 0x01);
    cr_assert(!h->line[4]);
    teardown(f);
}

Test(uart, fifo_trigger_and_character_timeout)
{
    struct uart_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, COM1 + 3, 0x80); outb(h, COM1, 1); outb(h, COM1 + 1, 0); outb(h, COM1 + 3, 0x03);
    outb(h, COM1 + 2, 0x87);             /* FIFO, trigger level 8 */
    outb(h, COM1 + 1, 0x01);
    for (int i = 0; i < 3; i++)
        uart_receive_byte(&f->u, (uint8_t)i);
    cr_assert_eq(inb(h, COM1 + 2), 0xc1, "below the trigger level: nothing yet");
    cr_assert(!h->line[4]);
    /* 4 characters of 10 bits at 115200 baud = 347 us. */
    harness_advance_to(h, h->icount + 340000);
    cr_assert(!h->line[4]);
    harness_advance_to(h, h->icount + 10000);
    cr_assert(h->line[4], "character timeout");
    cr_assert_eq(inb(h, COM1 + 2), 0xcc);
    cr_assert_eq(inb(h, COM1), 0);
    cr_assert_eq(inb(h, COM1 + 2), 0xc1, "a read restarts the timeout");
    for (int i = 0; i < 8; i++)
        uart_receive_byte(&f->u, (uint8_t)i);
    cr_assert_eq(inb(h, COM1 + 2), 0xc4, "10 bytes >= trigger 8");
    teardown(f);
}

Test(uart, modem_status_interrupt)
{
    struct uart_fixture *f = setup();
    struct harness *h = f->h;
    outb(h, COM1 + 4, 0x10);
    inb(h, COM1 + 6);
    outb(h, COM1 + 1, 0x08);
    outb(h, COM1 + 4, 0x12);             /* RTS -> CTS changes */
    cr_assert_eq(inb(h, COM1 + 2), 0x00, "modem status pending");
    cr_assert_eq(inb(h, COM1 + 6), 0x11, "CTS with delta CTS");
    cr_assert_eq(inb(h, COM1 + 2), 0x01);
    teardown(f);
}
