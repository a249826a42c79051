/*
 * test_frontend_machine.c - the machine's run loop and the console:
 * HLT with interrupts off, triple fault with and without -no-reboot, reset
 * through port 0xCF9 (the kernel is loaded again), a timer interrupt waking
 * a halted CPU on the virtual clock, determinism of two identical runs, and
 * the console's Ctrl-A escapes. Uses tests/asm/multiboot_actions.asm.
 */
#define _XOPEN_SOURCE 700   /* posix_openpt, grantpt, unlockpt, ptsname */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/cmdline.h"
#include "frontend/console.h"
#include "frontend/host.h"

#define ACTIONS SOFTVM_ASM_DIR "/multiboot_actions.bin"

struct capture {
    char buf[1024];
    size_t len;
};

static void capture_byte(void *opaque, uint8_t byte)
{
    struct capture *c = opaque;
    if (c->len + 1 < sizeof(c->buf))
        c->buf[c->len++] = (char)byte;
}

/* Boot a Multiboot test kernel with `word` (deterministic clock, 1 ns per
 * instruction), run at most `slices` slices; COM1 goes to out. */
static struct machine *run_action_kernel(const char *kernel, const char *word, uint64_t ram,
                                         struct capture *out, uint64_t slices)
{
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = ram;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.ns_per_insn = 1;
    opt.kernel = kernel;
    opt.append = word;
    opt.no_reboot = true;
    opt.serial[0].kind = VM_CHARDEV_CALLBACK;
    opt.serial[0].write = capture_byte;
    opt.serial[0].opaque = out;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert(machine_run_slices(m, slices), "the machine did not stop; serial: '%.*s'",
              (int)out->len, out->buf);
    out->buf[out->len] = '\0';
    return m;
}

/* Boot multiboot_actions with `word`, run at most `slices` slices. */
static struct machine *run_action(const char *word, bool no_reboot, struct capture *out,
                                  uint64_t slices)
{
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 8u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.kernel = ACTIONS;
    opt.append = word;
    opt.no_reboot = no_reboot;
    opt.serial[0].kind = VM_CHARDEV_CALLBACK;
    opt.serial[0].write = capture_byte;
    opt.serial[0].opaque = out;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert(machine_run_slices(m, slices), "the machine did not stop; serial: '%.*s'",
              (int)out->len, out->buf);
    out->buf[out->len] = '\0';
    return m;
}

static void done(struct machine *m)
{
    machine_destroy(m);
    free(m);
}

static const char *stderr_text(void)
{
    static char buf[2048];
    fflush(stderr);
    size_t n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stderr());
    buf[n] = '\0';
    return buf;
}

Test(machine, hlt_with_interrupts_off_stops, .init = cr_redirect_stderr, .timeout = 60)
{
    struct capture out = {0};
    struct machine *m = run_action("halt", true, &out, 1000);
    cr_assert_eq(m->exit_status, 1);
    cr_assert(strstr(stderr_text(), "halted with interrupts disabled"));
    done(m);
}

Test(machine, triple_fault_no_reboot_exits, .init = cr_redirect_stderr, .timeout = 60)
{
    struct capture out = {0};
    struct machine *m = run_action("triple", true, &out, 1000);
    cr_assert_eq(m->exit_status, 0);
    cr_assert_eq(m->resets, 0);
    cr_assert(strstr(stderr_text(), "triple fault"));
    done(m);
}

Test(machine, reset_port_no_reboot_exits, .timeout = 60)
{
    struct capture out = {0};
    struct machine *m = run_action("reset", true, &out, 1000);
    cr_assert_str_eq(out.buf, "first boot\n");
    cr_assert_eq(m->exit_status, 0);
    cr_assert_eq(m->resets, 0);
    done(m);
}

Test(machine, reset_port_reboots_and_reloads_kernel, .timeout = 60)
{
    struct capture out = {0};
    struct machine *m = run_action("reset", false, &out, 1000);
    cr_assert_str_eq(out.buf, "first boot\nsecond boot\n");
    cr_assert_eq(m->exit_status, (7 << 1) | 1);
    cr_assert_eq(m->resets, 1);
    done(m);
}

Test(machine, timer_wakes_halted_cpu, .timeout = 60)
{
    struct capture out = {0};
    struct machine *m = run_action("timer", true, &out, 1000);
    cr_assert_str_eq(out.buf, "tick\n");
    cr_assert_eq(m->exit_status, (9 << 1) | 1);
    /* 1000 PIT ticks at 1.193182 MHz: the halt was skipped over on the
     * virtual clock, not run instruction by instruction */
    cr_assert_geq(vclock_now(&m->clock), 838000u);
    cr_assert_gt(m->clock.idle_ns, 0);
    cr_assert_lt(m->cpu.icount, 100000u);
    done(m);
}

Test(machine, deterministic_runs_are_identical, .timeout = 60)
{
    struct capture a = {0}, b = {0};
    struct machine *m1 = run_action("timer", true, &a, 1000);
    struct machine *m2 = run_action("timer", true, &b, 1000);
    cr_assert_str_eq(a.buf, b.buf);
    cr_assert_eq(m1->cpu.icount, m2->cpu.icount);
    cr_assert_eq(vclock_now(&m1->clock), vclock_now(&m2->clock));
    done(m1);
    done(m2);
}

Test(machine, request_stop_first_status_wins)
{
    struct capture out = {0};
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 8u << 20;
    opt.kernel = ACTIONS;
    opt.append = "timer";
    opt.serial[0].kind = VM_CHARDEV_CALLBACK;
    opt.serial[0].write = capture_byte;
    opt.serial[0].opaque = &out;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    machine_request_stop(m, 42);
    machine_request_stop(m, 3);
    cr_assert_eq(machine_run(m), 42);
    cr_assert_eq(out.len, 0, "nothing ran after the stop request");
    done(m);
}

/* ---- console ---- */

static void tty_console(struct console *c, int out_fd)
{
    console_open(c, -1, out_fd);
    c->tty = true;           /* escape handling as for a terminal */
    c->eof = false;
}

static size_t drain(struct console *c, char *buf, size_t size)
{
    size_t n = 0;
    uint8_t b;
    while (n + 1 < size && console_peek(c, &b)) {
        buf[n++] = (char)b;
        console_pop(c);
    }
    buf[n] = '\0';
    return n;
}

Test(console, escapes_on_a_terminal)
{
    struct console c;
    tty_console(&c, -1);
    char got[64];
    console_feed(&c, (const uint8_t *)"ab\x01" "acd", 6);
    cr_assert_eq(drain(&c, got, sizeof(got)), 5);
    cr_assert_str_eq(got, "ab\x01" "cd", "Ctrl-A a sends one Ctrl-A");
    cr_assert_not(c.quit);
    console_feed(&c, (const uint8_t *)"\x01", 1);      /* split across two reads */
    console_feed(&c, (const uint8_t *)"xz", 2);
    cr_assert(c.quit, "Ctrl-A x quits");
    drain(&c, got, sizeof(got));
    cr_assert_str_eq(got, "z");
    console_feed(&c, (const uint8_t *)"\x01q!", 3);    /* unknown escape: dropped */
    drain(&c, got, sizeof(got));
    cr_assert_str_eq(got, "!");
    console_close(&c);
}

/* Ctrl-A s saves a snapshot (issue 14's trigger; QEMU's Ctrl-A s is its
 * nearest kin, "save disk data"), Ctrl-A p writes the screen; neither byte
 * reaches the guest. */
Test(console, snapshot_and_screendump_escapes)
{
    struct console c;
    tty_console(&c, -1);
    char got[16];
    console_feed(&c, (const uint8_t *)"\x01s", 2);
    cr_assert(c.snapshot, "Ctrl-A s asks for a snapshot");
    cr_assert_not(c.screendump, "Ctrl-A s is not a screendump");
    console_feed(&c, (const uint8_t *)"\x01p", 2);
    cr_assert(c.screendump, "Ctrl-A p asks for a screendump");
    cr_assert_eq(drain(&c, got, sizeof(got)), 0, "the escapes reach no guest");
    console_close(&c);
}

Test(console, help_escape_prints_help)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    struct console c;
    tty_console(&c, p[1]);
    console_feed(&c, (const uint8_t *)"\x01h", 2);
    char buf[512] = {0};
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    cr_assert_gt(n, 0);
    cr_assert(strstr(buf, "x  quit softvm"), "help text: %s", buf);
    uint8_t b;
    cr_assert_not(console_peek(&c, &b), "the escape itself reaches no guest");
    console_close(&c);
    close(p[0]);
    close(p[1]);
}

Test(console, pipes_pass_every_byte)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    struct console c;
    console_open(&c, p[0], -1);
    cr_assert_not(c.tty);
    cr_assert_eq(write(p[1], "\x01x\x01h", 4), 4);
    close(p[1]);
    cr_assert(console_poll(&c, 1000));
    char got[16];
    cr_assert_eq(drain(&c, got, sizeof(got)), 4);
    cr_assert_eq(memcmp(got, "\x01x\x01h", 4), 0);
    cr_assert_not(c.quit);
    cr_assert_not(console_poll(&c, 1000));
    cr_assert(c.eof, "end of the pipe seen");
    console_close(&c);
    close(p[0]);
}

Test(console, output_is_batched_and_flushed)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    struct console c;
    console_open(&c, -1, p[1]);
    for (int i = 0; i < 5000; i++)                   /* more than the buffer */
        console_putc(&c, (uint8_t)('a' + i % 26));
    console_flush(&c);
    close(p[1]);
    char buf[8192];
    size_t total = 0;
    ssize_t n;
    while ((n = read(p[0], buf + total, sizeof(buf) - total)) > 0)
        total += (size_t)n;
    cr_assert_eq(total, 5000);
    cr_assert_eq(buf[4999], (char)('a' + 4999 % 26));
    console_close(&c);
    close(p[0]);
}

/* Console input reaches the guest's UART: stdin is a pipe here, so every
 * byte goes to COM1 (no escapes), and the echo kernel sends it back. */
Test(machine, console_input_reaches_uart, .init = cr_redirect_stdout, .timeout = 60)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int saved = dup(STDIN_FILENO);
    cr_assert_eq(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    cr_assert_eq(write(p[1], "hi\x01x\n", 5), 5);

    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 8u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.kernel = ACTIONS;
    opt.append = "echo";
    opt.serial[0].kind = VM_CHARDEV_STDIO;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(host_machine_init(m, &opt), 0);   /* the terminal is the host side's */
    bool stopped = machine_run_slices(m, 20000);
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(p[0]);
    close(p[1]);
    cr_assert(stopped, "the echo kernel never saw the newline");
    cr_assert_eq(m->exit_status, (11 << 1) | 1);
    done(m);
    fflush(stdout);
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stdout());
    cr_assert_eq(n, 5);
    cr_assert_eq(memcmp(buf, "hi\x01x\n", 5), 0);
}

/* ---- REP string instructions and the clock (tests/asm/multiboot_rep.asm) ---- */

#define REP_KERNEL SOFTVM_ASM_DIR "/multiboot_rep.bin"

/* Timer interrupts arrive on time inside one long REP: each iteration is
 * one instruction, 1 ns at -icount shift=0, so between two IRQ0s of a PIT
 * rate generator with divisor 11932 (8254 datasheet, mode 2: one period is
 * N input clocks at 1.193182 MHz) the REP runs one period in ns less the
 * 13 instructions of the handler. */
static void rep_timer_case(const char *word)
{
    struct capture out = {0};
    struct machine *m = run_action_kernel(REP_KERNEL, word, 16u << 20, &out, 100000);
    cr_assert_eq(m->exit_status, (5 << 1) | 1, "serial: %s", out.buf);
    uint32_t ecx[5];
    const char *p = strstr(out.buf, "rep go\n");
    cr_assert(p, "serial: %s", out.buf);
    for (int i = 0; i < 5; i++) {
        p = strstr(p, "ecx ");
        cr_assert(p, "sample %d missing: %s", i, out.buf);
        ecx[i] = (uint32_t)strtoul(p + 4, NULL, 16);
        p += 4;
    }
    double period_ns = 11932 * 1e9 / 1193182;
    for (int i = 1; i < 5; i++) {
        double elements = (double)(ecx[i - 1] - ecx[i]);
        cr_assert(elements > period_ns - 13 - 2 && elements < period_ns - 13 + 2,
                  "%s: %.0f elements between IRQ0 %d and %d, expected %.1f",
                  word, elements, i - 1, i, period_ns - 13);
    }
    done(m);
}

/* Ctrl-A x on a terminal stops the machine promptly while the guest is
 * inside one REP of 4 Gi elements (seconds of work even in Release): the
 * console is polled between REP iterations, so once the two bytes can be
 * read from the terminal the machine stops within one poll interval and
 * one slice of guest instructions (a bound in instructions, not host time,
 * so a loaded host or ASan cannot make it flaky). stdin is a
 * pseudo-terminal here. */
static void rep_ctrl_a_x_case(const char *word)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(master, 0);
    cr_assert_eq(grantpt(master), 0);
    cr_assert_eq(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    cr_assert_geq(slave, 0);
    int saved = dup(STDIN_FILENO);
    cr_assert_eq(dup2(slave, STDIN_FILENO), STDIN_FILENO);

    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 16u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.kernel = REP_KERNEL;
    opt.append = word;
    opt.serial[0].kind = VM_CHARDEV_STDIO;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(host_machine_init(m, &opt), 0);   /* raw mode on the pty */
    /* into the REP first: the slices before it are few and short */
    machine_run_slices(m, 3);
    cr_assert_not(m->stop);
    cr_assert_eq(write(master, "\x01x", 2), 2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int readable = 0;       /* the pty hands the bytes to the slave side asynchronously */
    while (ioctl(slave, FIONREAD, &readable) == 0 && readable < 2) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 20)
            break;
        usleep(1000);
    }
    uint64_t icount0 = m->cpu.icount;
    bool stopped = false;
    for (int i = 0; i < 100000 && !stopped; i++) {
        stopped = machine_run_slices(m, 1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 20)
            break;
    }
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    uint32_t ecx = m->cpu.regs[R_ECX];
    uint64_t ran = m->cpu.icount - icount0;
    done(m);
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(slave);
    close(master);
    cr_assert(stopped, "%s: Ctrl-A x not acted on within %.1f s", word, waited);
    cr_assert_geq(readable, 2, "%s: the pty never delivered Ctrl-A x", word);
    cr_assert_leq(ran, (uint64_t)MACHINE_POLL_INSNS + MACHINE_MAX_SLICE,
                  "%s: Ctrl-A x acted on after %llu instructions (%.2f s)", word,
                  (unsigned long long)ran, waited);
    cr_assert_neq(ecx, 0, "%s: stopped inside the REP", word);
}

Test(machine, rep_movsd_ctrl_a_x, .init = cr_redirect_stdout, .timeout = 60)
{
    rep_ctrl_a_x_case("movsd");
}

Test(machine, rep_outsb_ctrl_a_x, .init = cr_redirect_stdout, .timeout = 60)
{
    rep_ctrl_a_x_case("outsb");
}

Test(machine, rep_movsd_timer_on_time, .timeout = 120)
{
    rep_timer_case("movsd-timer");
}

Test(machine, rep_outsb_timer_on_time, .timeout = 120)
{
    rep_timer_case("outsb-timer");
}

/* ---- fw_cfg DMA past the top of the address space (multiboot_fwcfg_wrap) ---- */

/* A device that arms a timer from a port write inside a slice: the timer
 * must fire at its deadline (the write's icount + 5000 at 1 ns per
 * instruction), not when the slice (up to MACHINE_MAX_SLICE instructions)
 * would have ended. */
struct arm_probe {
    struct machine *m;
    int timer;
    uint64_t armed_at, fired_at;
};

static void arm_probe_fire(void *opaque)
{
    struct arm_probe *a = opaque;
    a->fired_at = a->m->cpu.icount;
    machine_request_stop(a->m, 0);
}

static uint32_t arm_probe_read(void *opaque, uint16_t port, unsigned size)
{
    return 0xff;
}

static void arm_probe_write(void *opaque, uint16_t port, uint32_t v, unsigned size)
{
    struct arm_probe *a = opaque;
    a->armed_at = a->m->cpu.icount;
    vclock_timer_arm(&a->m->clock, a->timer, vclock_now(&a->m->clock) + 5000);
}

Test(machine, timer_armed_inside_a_slice_fires_on_time, .timeout = 60)
{
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 8u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.ns_per_insn = 1;
    opt.kernel = SOFTVM_ASM_DIR "/multiboot_timer_arm.bin";
    opt.no_reboot = true;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    struct arm_probe a = { .m = m, .armed_at = 0, .fired_at = 0 };
    a.timer = vclock_timer_new(&m->clock, arm_probe_fire, &a);
    cr_assert_geq(a.timer, 0);
    cr_assert_eq(io_register(&m->io, 0x99, 1, arm_probe_read, arm_probe_write, &a), 0);
    cr_assert(machine_run_slices(m, 1000), "the timer never fired");
    cr_assert_neq(a.armed_at, 0, "the guest never wrote the port");
    /* the OUT retires after the write: icount counted it when it completes */
    cr_assert_eq(a.fired_at, a.armed_at + 5000, "armed at %llu, fired at %llu",
                 (unsigned long long)a.armed_at, (unsigned long long)a.fired_at);
    done(m);
}

Test(machine, fw_cfg_dma_does_not_wrap, .timeout = 60)
{
    struct capture out = {0};
    struct machine *m = run_action_kernel(SOFTVM_ASM_DIR "/multiboot_fwcfg_wrap.bin", "", 16u << 20,
                                          &out, 10000);
    /* nothing lands at 0; the buffer is not all memory: status ERROR (bit 0) */
    cr_assert_str_eq(out.buf, "len 00001000 changed 00000000 status 00000001\n"
                              "len ffffffff changed 00000000 status 00000001\n");
    cr_assert_eq(m->exit_status, (3 << 1) | 1);
    done(m);
}

/* ---- malformed rings on every network card (multiboot_nic_rings) ---- */

/* A backend that sends every frame straight back to its card. */
struct echo {
    struct net_backend b;
    struct net_port *port;
    int frames;
};

static void echo_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
    struct echo *e = (struct echo *)b;
    e->frames++;
    if (e->port->can_receive(e->port->nic))
        e->port->receive(e->port->nic, frame, len);
}
static int echo_fill(struct net_backend *b, struct pollfd *fds, int max, int *t)
{
    (void)b; (void)fds; (void)max; (void)t;
    return 0;
}
static void echo_dispatch(struct net_backend *b, struct pollfd *fds, int n)
{
    (void)b; (void)fds; (void)n;
}
static void echo_destroy(struct net_backend *b) { (void)b; }
static const struct net_backend_ops echo_ops = { "echo", echo_send, echo_fill, echo_dispatch,
                                                 echo_destroy };

Test(machine, nic_malformed_rings, .timeout = 120)
{
    struct capture out = {0};
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 16u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.kernel = SOFTVM_ASM_DIR "/multiboot_nic_rings.bin";
    opt.append = "";
    opt.no_reboot = true;
    opt.serial[0].kind = VM_CHARDEV_CALLBACK;
    opt.serial[0].write = capture_byte;
    opt.serial[0].opaque = &out;
    opt.nic_count = 3;
    opt.nic[0].model = VM_NIC_E1000;             /* 00:03.0 */
    opt.nic[1].model = VM_NIC_NE2K_PCI;          /* 00:04.0 */
    opt.nic[2].model = VM_NIC_VIRTIO_NET;        /* 00:09.0 */
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert_eq(m->dev.nnic, 3);
    struct echo echo[3];
    for (int i = 0; i < 3; i++) {
        echo[i] = (struct echo){ .b.ops = &echo_ops, .port = m->dev.nic_port[i] };
        m->dev.nic_port[i]->peer = &echo[i].b;
    }
    cr_assert(machine_run_slices(m, 100000), "the machine did not stop; serial: '%.*s'",
              (int)out.len, out.buf);
    out.buf[out.len] = '\0';
    /* e1000: the head reaches the tail whatever the descriptors hold (8254x
     * SDM 3.3.3); a TDLEN that is no multiple of 128 is no ring (13.4.38).
     * virtio: a buffer wrapping 2^64, an index jump and a loop are ring
     * errors (DEVICE_NEEDS_RESET, 2.1.2); a too-long buffer is only a bad
     * request, and so is a receive buffer outside RAM (writes go nowhere);
     * one wrapping 2^64 is a ring error again. */
    cr_assert_str_eq(out.buf,
                     "e1000 TDH 00000007\n"
                     "e1000 TDH 00000001\n"
                     "e1000 TDH 00000006\n"
                     "e1000 TDH 00000005\n"
                     "e1000 TDH 00000000\n"
                     "e1000 ok\n"
                     "ne2k ok\n"
                     "virtio-net 00000000 status 0000004f\n"
                     "virtio-net 00000001 status 0000004f\n"
                     "virtio-net 00000002 status 0000004f\n"
                     "virtio-net 00000003 status 0000000f\n"
                     "virtio-net 00000004 status 0000000f\n"
                     "virtio-net 00000005 status 0000004f\n");
    cr_assert_eq(m->exit_status, (3 << 1) | 1);
    cr_assert_geq(echo[0].frames, 3, "the e1000 sent its good frames");
    cr_assert_geq(echo[1].frames, 1, "the NE2000 sent its good frame");
    cr_assert_eq(echo[2].frames, 2, "virtio-net sent only the good frames");
    done(m);
}
