/*
 * host.c - the host side of one machine (see host.h): the terminal
 * (frontend/console.h), files and null sinks (frontend/chardev.h) behind
 * COM1..COM4 and port 0x402, typed input into the UART at slice boundaries,
 * and the tracer's slice hooks.
 */
#include "frontend/host.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/chardev.h"
#include "frontend/console.h"
#include "frontend/stats.h"
#include "frontend/trace.h"

struct host {
    struct console console;      /* the host terminal (stdio backends) */
    bool console_used;           /* some backend is VM_CHARDEV_STDIO */
    struct chardev serial[PC_NUM_UARTS];   /* COM1..COM4 host sides */
    struct chardev debugcon;     /* port 0x402 host side */
};

static struct host *host_of(const struct machine *m)
{
    return m->host;
}

/* Index of the UART whose input is the terminal, or -1. */
static int console_uart(const struct host *h)
{
    for (int i = 0; i < PC_NUM_UARTS; i++)
        if (h->serial[i].kind == VM_CHARDEV_STDIO)
            return i;
    return -1;
}

static bool host_poll(struct machine *m, int timeout_ms)
{
    struct host *h = host_of(m);
    return h->console_used && console_poll(&h->console, timeout_ms);
}

/* Move typed bytes into the UART as far as its FIFO takes them. */
static void host_feed(struct machine *m)
{
    struct host *h = host_of(m);
    if (!h->console_used || (!h->console.in_len && !h->console.quit))
        return;
    int u = console_uart(h);
    uint8_t b;
    if (u < 0) {
        while (console_peek(&h->console, &b))   /* nobody listens: discard */
            console_pop(&h->console);
    } else {
        while (uart_can_receive(&m->dev.uart[u]) && console_peek(&h->console, &b)) {
            uart_receive_byte(&m->dev.uart[u], b);
            console_pop(&h->console);
        }
    }
    if (h->console.quit) {
        h->console.quit = false;
        machine_request_stop(m, 0);
    }
}

static bool host_input_possible(const struct machine *m)
{
    const struct host *h = host_of(m);
    return h->console_used && !h->console.eof && console_uart(h) >= 0;
}

static void host_flush(struct machine *m)
{
    struct host *h = host_of(m);
    for (int i = 0; i < PC_NUM_UARTS; i++)
        chardev_flush(&h->serial[i]);
    chardev_flush(&h->debugcon);
}

static uint64_t host_before_slice(struct machine *m, uint64_t budget)
{
    return m->trace ? trace_machine_before_slice(m, budget) : budget;
}

static void host_after_slice(struct machine *m)
{
    if (m->trace)
        trace_machine_after_slice(m);
}

static void host_run_finished(struct machine *m)
{
    struct host *h = host_of(m);
    if (h->console_used)
        console_close(&h->console);   /* the terminal back to normal before any message */
    if (m->opt.stats) {
        stats_print_summary(m, stderr);
        stats_print(m, stderr);
    }
}

static void host_detach(struct machine *m)
{
    struct host *h = host_of(m);
    trace_machine_teardown(m);
    for (int i = 0; i < PC_NUM_UARTS; i++)
        chardev_close(&h->serial[i]);
    chardev_close(&h->debugcon);
    if (h->console_used)
        console_close(&h->console);
    free(h);
    m->host = NULL;
}

static const struct machine_host_ops host_ops = {
    .poll = host_poll,
    .feed = host_feed,
    .input_possible = host_input_possible,
    .flush = host_flush,
    .before_slice = host_before_slice,
    .after_slice = host_after_slice,
    .run_finished = host_run_finished,
    .detach = host_detach,
};

/* A backend the host provides (the machine wires test callbacks itself). */
static bool host_backend(enum vm_chardev_kind kind)
{
    return kind != VM_CHARDEV_DEFAULT && kind != VM_CHARDEV_NONE &&
           kind != VM_CHARDEV_CALLBACK;
}

int host_attach(struct machine *m)
{
    struct host *h = calloc(1, sizeof(*h));
    if (!h) {
        fprintf(stderr, "softvm: out of memory\n");
        return -1;
    }
    m->host = h;
    m->host_ops = &host_ops;

    bool use_console = m->opt.debugcon.kind == VM_CHARDEV_STDIO;
    for (int i = 0; i < PC_NUM_UARTS; i++)
        use_console |= m->opt.serial[i].kind == VM_CHARDEV_STDIO;
    if (use_console) {
        console_open(&h->console, STDIN_FILENO, STDOUT_FILENO);
        h->console_used = true;
    }
    for (int i = 0; i < PC_NUM_UARTS; i++) {
        if (!host_backend(m->opt.serial[i].kind))
            continue;
        if (chardev_open(&h->serial[i], &m->opt.serial[i], &h->console, "-serial"))
            return -1;
        uart_set_sink(&m->dev.uart[i], chardev_write, &h->serial[i]);
    }
    if (host_backend(m->opt.debugcon.kind)) {
        if (chardev_open(&h->debugcon, &m->opt.debugcon, &h->console, "-debugcon"))
            return -1;
        debug_ports_set_sink(&m->dev.debug, chardev_write, &h->debugcon);
    }
    return trace_machine_setup(m);       /* -d, -D, --stats, -gdb/-s/-S */
}

int host_machine_init(struct machine *m, const struct vm_options *opt)
{
    int rc = machine_init(m, opt);
    if (rc)
        return rc;
    if (host_attach(m)) {
        machine_destroy(m);
        return 1;
    }
    return 0;
}
