/*
 * host.c - the host side of one machine (see host.h): the one host event
 * loop (frontend/hostloop.h), the terminal (frontend/console.h), files and
 * null sinks (frontend/chardev.h) behind COM1..COM4 and port 0x402, the
 * network backends (frontend/hostnet.h), the SDL window, the one host input
 * path host_feed(), and the tracer's slice hooks.
 */
#include "frontend/host.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/machine/machine_state.h"
#include "frontend/chardev.h"
#include "frontend/console.h"
#include "frontend/hostloop.h"
#include "frontend/hostnet.h"
#include "frontend/screendump.h"
#include "frontend/sdl.h"
#include "frontend/snapshot.h"
#include "frontend/stats.h"
#include "frontend/trace.h"

struct host {
    struct hostloop loop;        /* every host fd and timer of this machine */
    struct hostnet net;          /* -netdev backends, queued frames */
    host_input_log_fn input_log; /* record/replay: sees every input fed */
    void *input_log_opaque;
    int console_watch;           /* loop watch id of stdin, or -1 */
    struct console console;      /* the host terminal (stdio backends) */
    bool console_used;           /* some backend is VM_CHARDEV_STDIO */
    struct chardev serial[PC_NUM_UARTS];   /* COM1..COM4 host sides */
    struct chardev debugcon;     /* port 0x402 host side */
    struct sdl_display *sdl;     /* -display sdl window, or NULL */
    unsigned screendumps;        /* Ctrl-A s count, for the file names */
    int term_fd;                 /* with -screendump: SIGTERM/SIGINT/SIGHUP stop the run, or -1 */
    struct snapshot_trigger snap;   /* -snapshot-at, Ctrl-A v */
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

/* With -screendump a terminating signal ends the run the normal way (as
 * QEMU's "terminating on signal"), so the picture is still written. */
static void host_poll_term(struct machine *m)
{
    struct host *h = host_of(m);
    struct signalfd_siginfo si;
    if (h->term_fd >= 0 && read(h->term_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        fprintf(stderr, "softvm: terminating on signal %u\n", si.ssi_signo);
        machine_request_stop(m, 0);
    }
}

/* stdin is readable. */
static void console_ready(void *opaque, int fd, short revents)
{
    (void)fd; (void)revents;
    console_read(opaque);
}

/* The signalfd of -screendump is readable. */
static void term_ready(void *opaque, int fd, short revents)
{
    (void)fd; (void)revents;
    host_poll_term(opaque);
}

/* One round of the event loop; true if any host input arrived. (The SDL
 * window has its own event queue: it is waited on after the loop looked.) */
static bool host_poll(struct machine *m, int timeout_ms)
{
    struct host *h = host_of(m);
    if (h->console_watch >= 0)
        hostloop_set_events(&h->loop, h->console_watch,
                            console_wants_input(&h->console) ? POLLIN : 0);
    size_t typed = h->console.in_len;
    int events = hostloop_run(&h->loop, h->sdl ? 0 : timeout_ms);
    bool got = events > 0 && (h->console.in_len != typed || h->console.quit ||
                              h->console.eof || hostnet_pending(&h->net));
    if (!h->sdl)
        return got;
    return sdl_display_poll(h->sdl, m, got ? 0 : timeout_ms) || got;
}

static void log_frame(void *opaque, int card, const uint8_t *frame, size_t len)
{
    struct machine *m = opaque;
    struct host *h = host_of(m);
    if (h->input_log)
        h->input_log(h->input_log_opaque, m, HOST_INPUT_FRAME, card, frame, len);
}

/* Ctrl-A s: the screen now, as -screendump's file (or softvm-screen-N.png). */
static void host_screendump(struct machine *m)
{
    struct host *h = host_of(m);
    char name[64];
    const char *path = m->opt.screendump;
    if (!path) {
        snprintf(name, sizeof(name), "softvm-screen-%u.png", h->screendumps);
        path = name;
    }
    h->screendumps++;
    console_flush(&h->console);
    if (screendump_machine(m, path, stderr) == 0)
        fprintf(stderr, "\r\nsoftvm: screen written to %s\r\n", path);
}

/*
 * The one path by which host input enters the guest, at slice boundaries
 * only: queued frames into their cards, the window's keys and mouse, typed
 * bytes into the console's UART (as far as its FIFO takes them), Ctrl-A x
 * as a stop request. Frames and typed bytes are shown to the input log
 * (record/replay) as they are delivered.
 */
void host_feed(struct machine *m)
{
    struct host *h = host_of(m);
    if (!h)
        return;
    if (h->net.nlinks)
        hostnet_feed(&h->net, log_frame, m);
    if (h->sdl)
        sdl_display_feed(h->sdl, m);
    if (h->console_used && h->console.screendump) {
        h->console.screendump = false;
        host_screendump(m);
    }
    if (h->console_used && h->console.snapshot) {   /* Ctrl-A v: between slices: the state is whole */
        h->console.snapshot = false;
        snapshot_save_now(&h->snap, m);
    }
    if (!h->console_used || (!h->console.in_len && !h->console.quit))
        return;
    int u = console_uart(h);
    uint8_t b;
    if (u < 0) {
        while (console_peek(&h->console, &b))   /* nobody listens: discard */
            console_pop(&h->console);
    } else {
        while (uart_can_receive(&m->dev.uart[u]) && console_peek(&h->console, &b)) {
            if (h->input_log)
                h->input_log(h->input_log_opaque, m, HOST_INPUT_SERIAL, u, &b, 1);
            uart_receive_byte(&m->dev.uart[u], b);
            console_pop(&h->console);
        }
    }
    if (h->console.quit) {
        h->console.quit = false;
        machine_request_stop(m, 0);
    }
}

void host_set_input_log(struct machine *m, host_input_log_fn fn, void *opaque)
{
    struct host *h = host_of(m);
    h->input_log = fn;
    h->input_log_opaque = opaque;
}

struct hostloop *host_loop(struct machine *m)
{
    struct host *h = host_of(m);
    return h ? &h->loop : NULL;
}

/* The CPU is halted in deterministic mode. With a network, wait (host
 * time) for host input up to the virtual time to the next timer, at most
 * HOST_IDLE_WAIT_MS, so a guest waiting for the network does not outrun
 * it; guest-visible time stays on the virtual clock either way. */
#define HOST_IDLE_WAIT_MS 100
static bool host_wait_input(struct machine *m, uint64_t max_ns)
{
    struct host *h = host_of(m);
    if (!hostnet_active(&h->net))
        return false;
    if (hostnet_pending(&h->net))
        return true;
    uint64_t ms = max_ns / 1000000u;
    return host_poll(m, (int)(ms < HOST_IDLE_WAIT_MS ? ms : HOST_IDLE_WAIT_MS));
}

static bool host_input_possible(const struct machine *m)
{
    const struct host *h = host_of(m);
    return h->sdl || (h->console_used && !h->console.eof && console_uart(h) >= 0) ||
           hostnet_active(&h->net);
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
    struct host *h = host_of(m);
    snapshot_trigger_check(&h->snap, m);
    budget = snapshot_trigger_budget(&h->snap, m, budget);   /* end a slice at -snapshot-at */
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
    if (m->opt.screendump)
        screendump_machine(m, m->opt.screendump, stderr);
    if (m->opt.stats) {
        stats_print_summary(m, stderr);
        stats_print(m, stderr);
    }
    if (m->opt.state_hash)
        fprintf(stderr, "softvm: state hash %016" PRIx64 " at instruction %" PRIu64 "\n",
                machine_state_hash(m), m->cpu.icount);
}

static void host_detach(struct machine *m)
{
    struct host *h = host_of(m);
    trace_machine_teardown(m);
    hostnet_close(&h->net, &h->loop);
    sdl_display_close(h->sdl);
    h->sdl = NULL;
    if (h->term_fd >= 0)
        close(h->term_fd);
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
    .wait_input = host_wait_input,
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
    hostloop_init(&h->loop);
    h->console_watch = -1;
    h->term_fd = -1;
    if (m->opt.screendump) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) == 0)
            h->term_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (h->term_fd >= 0)
            hostloop_watch_fd(&h->loop, h->term_fd, POLLIN, term_ready, m);
    }
    h->snap.at_icount = m->opt.snapshot_at;
    h->snap.file = m->opt.snapshot_file[0] ? m->opt.snapshot_file : NULL;

    bool use_console = m->opt.debugcon.kind == VM_CHARDEV_STDIO;
    for (int i = 0; i < PC_NUM_UARTS; i++)
        use_console |= m->opt.serial[i].kind == VM_CHARDEV_STDIO;
    if (use_console) {
        console_open(&h->console, STDIN_FILENO, STDOUT_FILENO);
        h->console_used = true;
        h->console_watch = hostloop_watch_fd(&h->loop, STDIN_FILENO, POLLIN, console_ready,
                                             &h->console);
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
    if (m->opt.display == VM_DISPLAY_SDL)
        h->sdl = sdl_display_open(m, stderr);   /* NULL: said why, runs headless */
    if (hostnet_open(&h->net, m, &h->loop))
        return -1;
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
    if (opt->loadvm) {
        char err[1024];
        if (snapshot_load(m, opt->loadvm, err, sizeof(err))) {
            fprintf(stderr, "softvm: -loadvm: %s\n", err);
            machine_destroy(m);
            return 1;
        }
        struct host *h = host_of(m);
        if (h->snap.at_icount != UINT64_MAX && h->snap.at_icount < m->cpu.icount) {
            fprintf(stderr, "softvm: -snapshot-at %" PRIu64 ": the snapshot loaded is already "
                    "at instruction %" PRIu64 "; no snapshot will be taken\n",
                    h->snap.at_icount, m->cpu.icount);
            h->snap.done = true;
        }
    }
    return 0;
}
