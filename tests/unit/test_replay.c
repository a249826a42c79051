/*
 * test_replay.c - record/replay (frontend/replay.h) and its log format
 * (frontend/replay_log.h).
 *
 * The format: a written log parses back to the same records; every
 * one-byte change and every truncation is refused with the sentence that
 * names it; a log of another format version or build is refused.
 *
 * Exact delivery: the echo action of the Multiboot test kernel (it copies
 * COM1 input to COM1 output until a newline, then exits with status 23)
 * is fed bytes at chosen instruction counts while recording; the replay,
 * given no input, must deliver each byte at the very instruction count and
 * virtual time the recorder chose (the recorder's own bookkeeping is the
 * oracle, not the log), print the same bytes and end in the same state
 * hash. A log whose stamps are moved is reported as a divergence.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/machine/machine.h"
#include "devices/machine/machine_state.h"
#include "frontend/cmdline.h"
#include "frontend/host.h"
#include "frontend/replay.h"
#include "frontend/replay_log.h"

#define ACTIONS SOFTVM_ASM_DIR "/multiboot_actions.bin"

/* ---- the format ---------------------------------------------------------------- */

static uint8_t *write_log(size_t *len, uint32_t build, int nev)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    cr_assert(f);
    struct rr_writer w;
    struct rr_head h = { .icount = 5, .vclock_ns = 5, .ns_per_insn = 1, .ram_size = 8 << 20,
                         .rom_hash = 0x1234, .state_hash = 0x5678, .checkpoint_every = 100,
                         .build_id = build, .rtc_base = 1700000000 };
    strcpy(h.version, "9.9");
    rr_writer_start(&w, f, &h);
    for (int i = 0; i < nev; i++) {
        uint8_t b = (uint8_t)('a' + i);
        struct rr_event e = { .icount = 10 + 40u * (unsigned)i, .vclock_ns = 10 + 40u * (unsigned)i,
                              .kind = HOST_INPUT_SERIAL, .unit = 0, .len = 1, .data = &b };
        rr_write_event(&w, &e);
        if (i == 2) {
            struct rr_check c = { .icount = 100, .vclock_ns = 100, .cpu_hash = 1, .dev_hash = 2 };
            rr_write_check(&w, &c);
        }
    }
    struct rr_end e = { .icount = 500, .vclock_ns = 600, .state_hash = 7, .cpu_hash = 8,
                        .dev_hash = 9, .ram_hash = 10, .exit_status = 23 };
    rr_write_end(&w, &e);
    cr_assert(!w.failed);
    fclose(f);
    return (uint8_t *)buf;
}

Test(replay_log, round_trip)
{
    size_t len;
    uint8_t *b = write_log(&len, 42, 4);
    struct rr_log log;
    char err[256];
    cr_assert_eq(rr_log_parse(b, len, &log, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(log.head.icount, 5);
    cr_assert_eq(log.head.build_id, 42);
    cr_assert_eq(log.head.rtc_base, 1700000000);
    cr_assert_eq(log.head.checkpoint_every, 100);
    cr_assert_str_eq(log.head.version, "9.9");
    cr_assert_eq(log.nev, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(log.ev[i].icount, 10 + 40 * i);
        cr_assert_eq(log.ev[i].len, 1);
        cr_assert_eq(log.ev[i].data[0], 'a' + i);
    }
    cr_assert_eq(log.nck, 1);
    cr_assert_eq(log.ck[0].icount, 100);
    cr_assert_eq(log.ck[0].dev_hash, 2);
    cr_assert_eq(log.end.icount, 500);
    cr_assert_eq(log.end.vclock_ns, 600);
    cr_assert_eq(log.end.exit_status, 23);
    cr_assert_eq(log.end.records, 6);          /* HEAD, 4 EVNT, CHCK */
    rr_log_free(&log);
    free(b);
}

Test(replay_log, every_byte_changed_is_refused)
{
    size_t len;
    uint8_t *b = write_log(&len, 42, 3);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (uint8_t)(1u << bit);
            struct rr_log log;
            char err[256] = "";
            cr_assert_eq(rr_log_parse(b, len, &log, err, sizeof(err)), -1,
                         "byte %zu bit %d accepted", i, bit);
            cr_assert(strstr(err, "corrupt") || strstr(err, "truncated") ||
                      strstr(err, "signature") || strstr(err, "version") ||
                      strstr(err, "malformed"), "byte %zu: %s", i, err);
            cr_assert_eq(log.nev, 0);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(b);
}

Test(replay_log, every_truncation_is_refused)
{
    size_t len;
    uint8_t *b = write_log(&len, 42, 3);
    for (size_t n = 0; n < len; n++) {
        struct rr_log log;
        char err[256] = "";
        cr_assert_eq(rr_log_parse(b, n, &log, err, sizeof(err)), -1, "%zu bytes accepted", n);
        if (n >= 12)
            cr_assert(strstr(err, "truncated"), "%zu bytes: %s", n, err);
    }
    /* Cut at a record boundary: the recording did not finish. */
    struct rr_log log;
    char err[256];
    cr_assert_eq(rr_log_parse(b, len - (8 + 60 + 8), &log, err, sizeof(err)), -1);
    cr_assert(strstr(err, "without its end record"), "%s", err);
    /* Bytes after the end. */
    uint8_t *more = malloc(len + 1);
    memcpy(more, b, len);
    more[len] = 0;
    cr_assert_eq(rr_log_parse(more, len + 1, &log, err, sizeof(err)), -1);
    cr_assert(strstr(err, "after its end record"), "%s", err);
    free(more);
    /* Another format version. */
    b[8] = 2;
    cr_assert_eq(rr_log_parse(b, len, &log, err, sizeof(err)), -1);
    cr_assert(strstr(err, "format version 2"), "%s", err);
    free(b);
}

/* An input the format forbids, written with valid checks, is still refused. */
Test(replay_log, malformed_inputs_are_refused)
{
    static const struct { uint8_t kind, unit; uint16_t len; const char *why; } bad[] = {
        { HOST_INPUT_SERIAL, 4, 1, "UART that does not exist" },
        { HOST_INPUT_SERIAL, 0, 2, "not one byte" },
        { HOST_INPUT_FRAME, 0, 0, "empty network frame" },
        { HOST_INPUT_MOUSE, 0, 6, "malformed mouse" },
        { HOST_INPUT_MONITOR, 9, 0, "unknown monitor request" },
        { 77, 0, 1, "unknown kind" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *buf = NULL;
        size_t len;
        FILE *f = open_memstream(&buf, &len);
        struct rr_writer w;
        struct rr_head h = { .ns_per_insn = 1 };
        rr_writer_start(&w, f, &h);
        uint8_t data[8] = { 0 };
        struct rr_event e = { .icount = 1, .kind = bad[i].kind, .unit = bad[i].unit,
                              .len = bad[i].len, .data = data };
        rr_write_event(&w, &e);
        struct rr_end end = { .icount = 2 };
        rr_write_end(&w, &end);
        fclose(f);
        struct rr_log log;
        char err[256] = "";
        cr_assert_eq(rr_log_parse((uint8_t *)buf, len, &log, err, sizeof(err)), -1, "%zu", i);
        cr_assert(strstr(err, bad[i].why), "%zu: %s", i, err);
        free(buf);
    }
}

/* ---- exact delivery ------------------------------------------------------------ */

struct capture {
    char buf[256];
    size_t len;
};

static void capture_byte(void *opaque, uint8_t byte)
{
    struct capture *c = opaque;
    if (c->len + 1 < sizeof(c->buf))
        c->buf[c->len++] = (char)byte;
}

static void echo_options(struct vm_options *opt, struct capture *out, const char *log,
                         enum vm_rr_mode mode)
{
    options_default(opt);
    opt->ram_size = 8u << 20;
    opt->clock = VM_CLOCK_DETERMINISTIC;
    opt->kernel = ACTIONS;
    opt->append = "echo";
    opt->no_reboot = true;
    opt->serial[0].kind = VM_CHARDEV_CALLBACK;
    opt->serial[0].write = capture_byte;
    opt->serial[0].opaque = out;
    opt->rr_mode = mode;
    snprintf(opt->rr_file, sizeof(opt->rr_file), "%s", log);
}

/* The test's host side: one struct rr and what it delivered where. */
static struct rr *the_rr;
static struct {
    const char *bytes;            /* record: what to type, and when */
    const uint64_t *at;
    size_t n, next;
    uint64_t icount[8], vclock[8];   /* where each byte entered the UART */
    size_t fed;
    size_t rx_seen;
} typing;

static uint64_t rec_before(struct machine *m, uint64_t budget)
{
    budget = rr_before_slice(the_rr, m, budget);
    if (typing.next < typing.n && typing.at[typing.next] > m->cpu.icount &&
        typing.at[typing.next] - m->cpu.icount < budget)
        budget = typing.at[typing.next] - m->cpu.icount;
    return budget;
}

/* Record: type the next byte once its count is reached, through the log. */
static void rec_feed(struct machine *m)
{
    while (typing.next < typing.n && m->cpu.icount >= typing.at[typing.next] &&
           uart_can_receive(&m->dev.uart[0])) {
        uint8_t b = (uint8_t)typing.bytes[typing.next];
        rr_record_input(the_rr, m, HOST_INPUT_SERIAL, 0, &b, 1);
        uart_receive_byte(&m->dev.uart[0], b);
        typing.icount[typing.fed] = m->cpu.icount;
        typing.vclock[typing.fed++] = vclock_now(&m->clock);
        typing.next++;
    }
}

static uint64_t rep_before(struct machine *m, uint64_t budget)
{
    return rr_before_slice(the_rr, m, budget);
}

/* Replay: no typing; what the log delivers is noted by the UART's count. */
static uint64_t rep_icount[8], rep_vclock[8];
static size_t rep_fed;
static void rep_feed(struct machine *m)
{
    uint64_t before = m->dev.uart[0].rx_count;
    rr_feed(the_rr, m);
    for (uint64_t k = before; k < m->dev.uart[0].rx_count && rep_fed < 8; k++) {
        rep_icount[rep_fed] = m->cpu.icount;
        rep_vclock[rep_fed++] = vclock_now(&m->clock);
    }
}
static bool rep_due(struct machine *m, uint64_t max_ns) { (void)max_ns; return rr_due(the_rr, m); }
static bool rep_possible(const struct machine *m) { (void)m; return rr_pending(the_rr); }
static void finish(struct machine *m) { rr_finish(the_rr, m); }

static const struct machine_host_ops rec_ops = { .before_slice = rec_before, .feed = rec_feed,
                                                 .run_finished = finish };
static const struct machine_host_ops rep_ops = { .before_slice = rep_before, .feed = rep_feed,
                                                 .wait_input = rep_due,
                                                 .input_possible = rep_possible,
                                                 .run_finished = finish };

static void noop_monitor(struct machine *m, int r, const char *path) { (void)m; (void)r; (void)path; }

/* Record typing "hi!\n" at the given counts; returns the final state hash. */
static uint64_t record(const char *log, const uint64_t at[4], struct capture *out)
{
    struct vm_options opt;
    echo_options(&opt, out, log, VM_RR_RECORD);
    char err[512];
    the_rr = rr_open(&opt, err, sizeof(err));
    cr_assert(the_rr, "%s", err);
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert_eq(rr_start(the_rr, m, noop_monitor, err, sizeof(err)), 0, "%s", err);
    memset(&typing, 0, sizeof(typing));
    typing.bytes = "hi!\n";
    typing.at = at;
    typing.n = 4;
    m->host_ops = &rec_ops;
    cr_assert_eq(machine_run(m), 23);
    uint64_t h = machine_state_hash(m);
    rr_close(the_rr);
    machine_destroy(m);
    free(m);
    return h;
}

/* Replay log with no input; returns the exit status, *hash the end state. */
static int replay(const char *log, struct capture *out, uint64_t *hash, char *err, size_t errlen)
{
    struct vm_options opt;
    echo_options(&opt, out, log, VM_RR_REPLAY);
    opt.rtc_base = VM_RTC_UTC;            /* the log must fix it */
    the_rr = rr_open(&opt, err, errlen);
    if (!the_rr)
        return -1;
    cr_assert_eq(opt.rtc_base, VM_RTC_FIXED);
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    int rc = rr_start(the_rr, m, noop_monitor, err, errlen);
    if (rc == 0) {
        rep_fed = 0;
        m->host_ops = &rep_ops;
        rc = machine_run(m);
        *hash = machine_state_hash(m);
    }
    rr_close(the_rr);
    machine_destroy(m);
    free(m);
    return rc;
}

static char *temp_log(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/test_replay.%d.rr", (int)getpid());
    return path;
}

Test(replay, inputs_arrive_at_the_recorded_counts)
{
    static const uint64_t at[4] = { 1000, 1733, 5000, 12007 };
    char *log = temp_log();
    struct capture rec_out = { 0 }, rep_out = { 0 };
    uint64_t rec_hash = record(log, at, &rec_out);
    cr_assert_str_eq(rec_out.buf, "hi!\n");
    /* The recorder typed each byte at the first boundary at or after its
     * count, which it cut the slices to reach exactly. */
    for (int i = 0; i < 4; i++)
        cr_assert_eq(typing.icount[i], at[i], "byte %d typed at %llu", i,
                     (unsigned long long)typing.icount[i]);

    uint64_t rep_hash = 0;
    char err[512] = "";
    cr_assert_eq(replay(log, &rep_out, &rep_hash, err, sizeof(err)), 23, "%s", err);
    cr_assert_str_eq(rep_out.buf, "hi!\n");
    cr_assert_eq(rep_fed, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(rep_icount[i], typing.icount[i], "byte %d", i);
        cr_assert_eq(rep_vclock[i], typing.vclock[i], "byte %d", i);
    }
    cr_assert_eq(rep_hash, rec_hash);

    /* The newline typed ten instructions later (past a few turns of the
     * guest's polling loop) ends the run later: the hash sees it. */
    static const uint64_t later[4] = { 1000, 1733, 5000, 12017 };
    struct capture o2 = { 0 };
    cr_assert_neq(record(log, later, &o2), rec_hash);
    unlink(log);
}

/* Rewrite log with one stamp moved: a replay must report the divergence. */
Test(replay, a_moved_input_is_reported)
{
    static const uint64_t at[4] = { 1000, 1733, 5000, 12007 };
    char *log = temp_log();
    struct capture out = { 0 };
    record(log, at, &out);
    FILE *f = fopen(log, "rb");
    static uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct rr_log parsed;
    char err[512];
    cr_assert_eq(rr_log_parse(buf, len, &parsed, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(parsed.nev, 4);
    f = fopen(log, "wb");
    struct rr_writer w;
    rr_writer_start(&w, f, &parsed.head);
    for (size_t i = 0; i < parsed.nev; i++) {
        struct rr_event e = parsed.ev[i];
        if (i == 3) {
            e.icount += 10;               /* the newline ten instructions late */
            e.vclock_ns += 10;
        }
        rr_write_event(&w, &e);
    }
    rr_write_end(&w, &parsed.end);
    fclose(f);
    rr_log_free(&parsed);

    struct capture o2 = { 0 };
    uint64_t h;
    cr_assert_eq(replay(log, &o2, &h, err, sizeof(err)), 1);
    cr_assert_str_eq(o2.buf, "hi!\n");     /* the same output: only the state tells */
    unlink(log);
}

Test(replay, another_build_or_machine_is_refused)
{
    static const uint64_t at[4] = { 1000, 1733, 5000, 12007 };
    char *log = temp_log();
    struct capture out = { 0 };
    record(log, at, &out);
    FILE *f = fopen(log, "rb");
    static uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct rr_log parsed;
    char err[512];
    cr_assert_eq(rr_log_parse(buf, len, &parsed, err, sizeof(err)), 0, "%s", err);

    /* Another build: the header says so (with valid checks). */
    struct rr_head h = parsed.head;
    h.build_id ^= 1;
    f = fopen(log, "wb");
    struct rr_writer w;
    rr_writer_start(&w, f, &h);
    rr_write_end(&w, &parsed.end);
    fclose(f);
    struct capture o = { 0 };
    uint64_t hash;
    cr_assert_eq(replay(log, &o, &hash, err, sizeof(err)), -1);
    cr_assert(strstr(err, "another softvm build"), "%s", err);

    /* Another machine: the starting state differs. */
    h = parsed.head;
    h.state_hash ^= 1;
    f = fopen(log, "wb");
    rr_writer_start(&w, f, &h);
    rr_write_end(&w, &parsed.end);
    fclose(f);
    cr_assert_eq(replay(log, &o, &hash, err, sizeof(err)), -1);
    cr_assert(strstr(err, "recorded on a different machine"), "%s", err);

    /* Corrupt on disk: refused before any machine is built. */
    buf[len / 2] ^= 0x40;
    f = fopen(log, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    cr_assert_eq(replay(log, &o, &hash, err, sizeof(err)), -1);
    cr_assert(strstr(err, "corrupt"), "%s", err);
    rr_log_free(&parsed);
    unlink(log);
}
