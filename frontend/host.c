/*
 * host.c - the host side of one machine (see host.h): the one host event
 * loop (frontend/hostloop.h), the terminal (frontend/console.h), files and
 * null sinks (frontend/chardev.h) behind COM1..COM4 and port 0x402, the
 * network backends (frontend/hostnet.h), the SDL window, the monitors (QMP
 * sockets, the human monitor) with the VM's run state, the one host input
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
#include "frontend/monitor.h"
#include "frontend/qmp.h"
#include "frontend/replay.h"
#include "frontend/sandbox.h"
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
    unsigned screendumps;        /* Ctrl-A p count, for the file names */
    int term_fd;                 /* with -screendump: SIGTERM/SIGINT/SIGHUP stop the run, or -1 */
    struct snapshot_trigger snap;   /* -snapshot-at, Ctrl-A s */
    struct rr *rr;               /* -icount rr=record|replay, or NULL */

    struct qmp_server qmp;       /* -qmp sockets (and test sessions), a loop source */
    bool qmp_input;              /* a QMP client sent something this loop round */
    struct monitor_term mon;     /* the human monitor on the terminal */
    bool mon_used;               /* -monitor stdio: Ctrl-A c reaches it */
    enum host_vm_state state;    /* running, paused (stop), prelaunch (-S) */
    unsigned pending;            /* 1 << HOST_REQ_*: host inputs for the next boundary */
    bool host_quit;              /* quit came from a monitor (SHUTDOWN already sent) */
    uint64_t resets_seen;        /* m->resets already reported as RESET events */
    uint64_t resets_expected;    /* resets asked for by a monitor (no guest event) */
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

/* The QMP sockets as an event-loop source: replies go out before each wait. */
static int qmp_fill(void *opaque, struct pollfd *fds, int max, int *timeout_ms)
{
    struct host *h = opaque;
    (void)timeout_ms;
    qmp_server_flush(&h->qmp, false);
    return qmp_server_pollfds(&h->qmp, fds, max);
}

static void qmp_dispatch(void *opaque, struct pollfd *fds, int n)
{
    struct host *h = opaque;
    for (int i = 0; i < n; i++)
        h->qmp_input |= (fds[i].revents & ~POLLOUT) != 0;
    qmp_server_service(&h->qmp, fds, n);
}

/* One round of the event loop; true if any host input arrived. (The SDL
 * window has its own event queue: it is waited on after the loop looked.) */
static bool host_poll(struct machine *m, int timeout_ms)
{
    struct host *h = host_of(m);
    if (h->console_watch >= 0)
        hostloop_set_events(&h->loop, h->console_watch,
                            console_wants_input(&h->console) ? POLLIN : 0);
    if (timeout_ms != 0 && rr_replaying(h->rr) && h->state == HOST_VM_RUNNING) {
        /* The halted CPU waits for input with no timer armed: in a replay
         * only the log has input, and it must be due now. */
        rr_stuck(h->rr, m);
        timeout_ms = 0;
    }
    size_t typed = h->console.in_len;
    h->qmp_input = false;
    int events = hostloop_run(&h->loop, h->sdl ? 0 : timeout_ms);
    bool got = events > 0 && (h->console.in_len != typed || h->console.quit ||
                              h->console.eof || hostnet_pending(&h->net) || h->qmp_input ||
                              h->console.monitor_mode);
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

static void log_window_input(struct machine *m, int kind, const uint8_t *data, size_t len)
{
    struct host *h = host_of(m);
    if (h->input_log)
        h->input_log(h->input_log_opaque, m, (enum host_input_kind)kind, 0, data, len);
}

/* Ctrl-A p: the screen now, as -screendump's file (or softvm-screen-N.png). */
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

/* Apply the host inputs the monitors queued (we are at a slice boundary). */
static void apply_requests(struct machine *m, struct host *h)
{
    unsigned p = h->pending;
    h->pending = 0;
    if (rr_replaying(h->rr)) {
        /* A replay takes its inputs from the log: live ones would change the run. */
        if (p & ~(1u << HOST_REQ_QUIT))
            fprintf(stderr, "softvm: replay: a monitor's reset or power-button request is "
                    "ignored (the recording's own are replayed)\n");
        p &= 1u << HOST_REQ_QUIT;
    }
    for (int r = HOST_REQ_RESET; r <= HOST_REQ_QUIT; r++)
        if ((p & (1u << r)) && h->input_log)
            h->input_log(h->input_log_opaque, m, HOST_INPUT_MONITOR, r, NULL, 0);
    if (p & (1u << HOST_REQ_RESET)) {
        h->resets_expected++;
        machine_request_reset(m);
    }
    if (p & (1u << HOST_REQ_POWERDOWN))
        acpi_pm_power_button(&m->dev.pm);
    if (p & (1u << HOST_REQ_QUIT))
        machine_request_stop(m, 0);
}

/* Move typed bytes into the UART as far as its FIFO takes them. */
/*
 * The one path by which host input enters the guest, at slice boundaries
 * only: the monitors' requests (reset, power button, quit), queued frames
 * into their cards, the window's keys and mouse, typed bytes into the
 * console's UART (as far as its FIFO takes them), Ctrl-A x as a stop request. Frames and typed bytes are shown to the input log
 * (record/replay) as they are delivered.
 */
void host_feed(struct machine *m)
{
    struct host *h = host_of(m);
    if (!h)
        return;
    bool replay = rr_replaying(h->rr);
    if (replay)
        rr_feed(h->rr, m);               /* the recorded inputs due at this point */
    if (h->pending)
        apply_requests(m, h);
    if (h->net.nlinks)
        hostnet_feed(&h->net, log_frame, m);
    if (h->sdl && !replay)
        sdl_display_feed(h->sdl, m, log_window_input);
    if (h->console_used && h->console.screendump) {
        h->console.screendump = false;
        host_screendump(m);
    }
    if (h->console_used && h->console.snapshot) {   /* Ctrl-A s: between slices: the state is whole */
        h->console.snapshot = false;
        snapshot_save_now(&h->snap, m);
    }
    if (!h->console_used || (!h->console.in_len && !h->console.quit))
        return;
    int u = replay ? -1 : console_uart(h);   /* a replay drops typed bytes */
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
        if (!h->host_quit) {             /* Ctrl-A x: QEMU's SHUTDOWN cause host-ui */
            h->host_quit = true;
            struct json *d = json_object();
            json_set(d, "guest", json_bool(false));
            json_set(d, "reason", json_string("host-ui"));
            qmp_server_event(&h->qmp, "SHUTDOWN", d);
        }
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
    if (rr_replaying(h->rr))
        return rr_due(h->rr, m);
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
    if (rr_replaying(h->rr))
        return rr_pending(h->rr);
    return h->sdl ||
           (h->console_used && !h->console.eof && (console_uart(h) >= 0 || h->mon_used)) ||
           hostnet_active(&h->net) || qmp_server_active(&h->qmp);
}

static void host_flush(struct machine *m)
{
    struct host *h = host_of(m);
    for (int i = 0; i < PC_NUM_UARTS; i++)
        chardev_flush(&h->serial[i]);
    chardev_flush(&h->debugcon);
    qmp_server_flush(&h->qmp, false);
    rr_flush(h->rr);
}

static struct json *reset_data(bool guest)
{
    struct json *d = json_object();
    json_set(d, "guest", json_bool(guest));
    json_set(d, "reason", json_string(guest ? "guest-reset" : "host-qmp-system-reset"));
    return d;
}

/* Resets the board did since the last look: the guest's own get an event
 * (a monitor's had theirs when asked for). */
static void notice_resets(struct machine *m, struct host *h)
{
    while (h->resets_seen < m->resets) {
        h->resets_seen++;
        if (h->resets_expected)
            h->resets_expected--;
        else
            qmp_server_event(&h->qmp, "RESET", reset_data(true));
    }
}

/* Before each slice: hold the CPU while the VM is stopped. Nothing runs,
 * so the virtual clock stands still and the guest cannot tell. */
static uint64_t host_before_slice(struct machine *m, uint64_t budget)
{
    struct host *h = host_of(m);
    notice_resets(m, h);
    while (h->state != HOST_VM_RUNNING && !m->stop) {
        host_flush(m);
        if (h->pending & (1u << HOST_REQ_QUIT)) {
            apply_requests(m, h);
            break;
        }
        if (!host_input_possible(m)) {
            fprintf(stderr, "softvm: the VM is stopped and no monitor is left to continue "
                    "it: exiting\n");
            machine_request_stop(m, 1);
            break;
        }
        host_poll(m, -1);
    }
    if (m->stop)
        return 0;
    snapshot_trigger_check(&h->snap, m);
    budget = snapshot_trigger_budget(&h->snap, m, budget);   /* end a slice at -snapshot-at */
    budget = rr_before_slice(h->rr, m, budget);   /* and at the next recorded input */
    if (m->stop)
        return 0;
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
    if (!h->host_quit) {
        /* The guest ended the run (ACPI power-off, the exit port, an error). */
        struct json *d = json_object();
        json_set(d, "guest", json_bool(true));
        json_set(d, "reason", json_string("guest-shutdown"));
        qmp_server_event(&h->qmp, "SHUTDOWN", d);
    }
    h->state = HOST_VM_SHUTDOWN;
    qmp_server_flush(&h->qmp, true);
    if (h->console_used)
        console_close(&h->console);   /* the terminal back to normal before any message */
    if (m->opt.screendump)
        screendump_machine(m, m->opt.screendump, stderr);
    if (m->opt.stats) {
        stats_print_summary(m, stderr);
        stats_print(m, stderr);
    }
    rr_finish(h->rr, m);
    if (m->opt.state_hash)
        fprintf(stderr, "softvm: state hash %016" PRIx64 " at instruction %" PRIu64 "\n",
                machine_state_hash(m), m->cpu.icount);
}

static void host_detach(struct machine *m)
{
    struct host *h = host_of(m);
    trace_machine_teardown(m);
    qmp_server_close(&h->qmp);
    monitor_term_free(&h->mon);
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
    rr_close(h->rr);
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

/* The console's monitor hook: -1 on entering monitor mode, else a byte. */
static void monitor_input(void *opaque, int byte)
{
    struct machine *m = opaque;
    struct host *h = host_of(m);
    if (byte < 0)
        monitor_term_start(&h->mon);
    else
        monitor_term_byte(&h->mon, m, (uint8_t)byte);
}

/* -qmp sockets; wait=on blocks here until a client connects (as QEMU). */
static int open_monitors(struct machine *m, struct host *h)
{
    bool wait = false;
    for (int i = 0; i < m->opt.qmp_count; i++) {
        struct qmp_spec spec;
        char err[256];
        if (!qmp_parse_spec(m->opt.qmp[i], &spec, err, sizeof(err)) ||
            qmp_server_listen(&h->qmp, &spec, err, sizeof(err)) != 0) {
            fprintf(stderr, "softvm: -qmp: %s\n", err);
            return -1;
        }
        wait |= spec.wait;
    }
    if (m->opt.qmp_count &&
        hostloop_add_source(&h->loop, qmp_fill, qmp_dispatch, h) < 0) {
        fprintf(stderr, "softvm: -qmp: the host event loop is full\n");
        return -1;
    }
    if (wait) {
        fprintf(stderr, "softvm: waiting for a QMP client (-qmp ...,wait=on)\n");
        qmp_server_wait_client(&h->qmp);
    }
    if (m->opt.start_stopped && (m->opt.qmp_count || m->opt.monitor_stdio))
        h->state = HOST_VM_PRELAUNCH;      /* -S with a monitor: wait for cont */
    return 0;
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
    qmp_server_init(&h->qmp, m);
    monitor_term_init(&h->mon, STDOUT_FILENO);
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

    bool use_console = m->opt.debugcon.kind == VM_CHARDEV_STDIO || m->opt.monitor_stdio;
    for (int i = 0; i < PC_NUM_UARTS; i++)
        use_console |= m->opt.serial[i].kind == VM_CHARDEV_STDIO;
    if (use_console) {
        console_open(&h->console, STDIN_FILENO, STDOUT_FILENO);
        h->console_used = true;
        h->console_watch = hostloop_watch_fd(&h->loop, STDIN_FILENO, POLLIN, console_ready,
                                             &h->console);
        /* Ctrl-A c always reaches the human monitor; -monitor stdio starts in it. */
        h->mon_used = m->opt.monitor_stdio;
        h->console.monitor = monitor_input;
        h->console.monitor_opaque = m;
        if (m->opt.monitor_stdio) {
            h->console.monitor_mode = true;
            monitor_term_start(&h->mon);
        }
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
    /* A replay's frames come from the log: no backend, guest frames go nowhere. */
    if (m->opt.rr_mode != VM_RR_REPLAY && hostnet_open(&h->net, m, &h->loop))
        return -1;
    if (open_monitors(m, h))
        return -1;
    if (trace_machine_setup(m))          /* -d, -D, --stats, -gdb/-s/-S */
        return -1;
    /* Everything is open: from here on only what a running VM needs. */
    return m->opt.sandbox ? sandbox_enter(m->opt.netdev_count > 0, stderr) : 0;
}

/* ---- the run state, for the monitors ------------------------------------------------ */

enum host_vm_state host_vm_state(const struct machine *m)
{
    const struct host *h = host_of(m);
    if (m->stop || h->state == HOST_VM_SHUTDOWN)
        return HOST_VM_SHUTDOWN;
    if (h->state == HOST_VM_RUNNING && m->dev.asleep)
        return HOST_VM_SUSPENDED;
    return h->state;
}

const char *host_vm_state_name(enum host_vm_state s)
{
    switch (s) {
    case HOST_VM_RUNNING: return "running";
    case HOST_VM_PAUSED: return "paused";
    case HOST_VM_PRELAUNCH: return "prelaunch";
    case HOST_VM_SUSPENDED: return "suspended";
    case HOST_VM_SHUTDOWN: return "shutdown";
    }
    return "?";
}

void host_vm_stop(struct machine *m)
{
    struct host *h = host_of(m);
    if (h->state != HOST_VM_RUNNING)
        return;
    h->state = HOST_VM_PAUSED;
    cpu_request_exit(&m->cpu);           /* end the slice if one is running */
    qmp_server_event(&h->qmp, "STOP", NULL);
}

void host_vm_cont(struct machine *m)
{
    struct host *h = host_of(m);
    if (h->state == HOST_VM_RUNNING || h->state == HOST_VM_SHUTDOWN)
        return;
    h->state = HOST_VM_RUNNING;
    qmp_server_event(&h->qmp, "RESUME", NULL);
}

void host_vm_request(struct machine *m, enum host_request r)
{
    struct host *h = host_of(m);
    h->pending |= 1u << r;
    /* QEMU's events, sent when the command is taken (before its reply). */
    if (r == HOST_REQ_RESET) {
        qmp_server_event(&h->qmp, "RESET", reset_data(false));
    } else if (r == HOST_REQ_POWERDOWN) {
        qmp_server_event(&h->qmp, "POWERDOWN", NULL);
    } else if (r == HOST_REQ_QUIT && !h->host_quit) {
        h->host_quit = true;
        struct json *d = json_object();
        json_set(d, "guest", json_bool(false));
        json_set(d, "reason", json_string("host-qmp-quit"));
        qmp_server_event(&h->qmp, "SHUTDOWN", d);
    }
    cpu_request_exit(&m->cpu);
}

int host_vm_loadvm(struct machine *m, const char *path, char *err, size_t errlen)
{
    struct host *h = host_of(m);
    if (rr_replaying(h->rr)) {
        snprintf(err, errlen, "loadvm is refused during a replay (it would change the run; "
                 "the recording's own loadvm is replayed)");
        return -1;
    }
    /* Logged first, at the count where it happens (a load moves the count). */
    if (h->input_log)
        h->input_log(h->input_log_opaque, m, HOST_INPUT_MONITOR, HOST_REQ_LOADVM,
                     (const uint8_t *)path, strlen(path));
    if (snapshot_load(m, path, err, errlen))
        return -1;
    h->resets_seen = m->resets;          /* the loaded machine's resets are not events */
    h->resets_expected = 0;
    return 0;
}

struct qmp_server *host_qmp(struct machine *m)
{
    return &host_of(m)->qmp;
}

/* The input log of -icount rr=record. */
static void record_input(void *opaque, struct machine *m, enum host_input_kind kind, int unit,
                         const uint8_t *data, size_t len)
{
    rr_record_input(opaque, m, (int)kind, unit, data, len);
}

/* A monitor request the replay log holds: applied as apply_requests and
 * host_vm_loadvm would have (but not logged again, and loadvm not refused). */
static void replay_request(struct machine *m, int r, const char *path)
{
    struct host *h = host_of(m);
    if (r == HOST_REQ_RESET) {
        h->resets_expected++;
        machine_request_reset(m);
    } else if (r == HOST_REQ_POWERDOWN) {
        acpi_pm_power_button(&m->dev.pm);
    } else if (r == HOST_REQ_QUIT) {
        machine_request_stop(m, 0);
    } else if (r == HOST_REQ_LOADVM) {
        char err[1024];
        if (snapshot_load(m, path, err, sizeof(err))) {
            fprintf(stderr, "softvm: replay: loadvm: %s\n", err);
            return;
        }
        h->resets_seen = m->resets;
        h->resets_expected = 0;
    }
}

int host_machine_init(struct machine *m, const struct vm_options *opt_in)
{
    /* A replay fixes some options from its log (the RTC's start), so the
     * machine is built from a copy. */
    struct vm_options *opt = malloc(sizeof(*opt));
    if (!opt) {
        fprintf(stderr, "softvm: out of memory\n");
        return 1;
    }
    *opt = *opt_in;
    char rerr[1024];
    struct rr *rr = rr_open(opt, rerr, sizeof(rerr));
    if (!rr && rerr[0]) {
        fprintf(stderr, "softvm: -icount: %s\n", rerr);
        free(opt);
        return 1;
    }
    int rc = machine_init(m, opt);
    free(opt);
    if (rc) {
        rr_close(rr);
        return rc;
    }
    if (host_attach(m)) {
        rr_close(rr);
        machine_destroy(m);
        return 1;
    }
    struct host *h = host_of(m);
    h->rr = rr;                          /* inert until rr_start */
    if (m->opt.loadvm) {
        char err[1024];
        if (snapshot_load(m, m->opt.loadvm, err, sizeof(err))) {
            fprintf(stderr, "softvm: -loadvm: %s\n", err);
            machine_destroy(m);
            return 1;
        }
        if (h->snap.at_icount != UINT64_MAX && h->snap.at_icount < m->cpu.icount) {
            fprintf(stderr, "softvm: -snapshot-at %" PRIu64 ": the snapshot loaded is already "
                    "at instruction %" PRIu64 "; no snapshot will be taken\n",
                    h->snap.at_icount, m->cpu.icount);
            h->snap.done = true;
        }
    }
    if (rr && rr_start(rr, m, replay_request, rerr, sizeof(rerr))) {
        fprintf(stderr, "softvm: -icount rr=replay: %s\n", rerr);
        machine_destroy(m);
        return 1;
    }
    if (rr && !rr_replaying(rr))
        host_set_input_log(m, record_input, rr);
    return 0;
}
