/*
 * replay.c - record/replay on the one host input path (see replay.h; the
 * rules it relies on are docs/DETERMINISM.md's).
 *
 * A delivery point is named by (instruction count, virtual time): the count
 * alone does not name it, since a halted CPU may take inputs at several
 * virtual times without retiring an instruction between them.
 */
#define _GNU_SOURCE
#include "frontend/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/machine/machine_state.h"
#include "frontend/host.h"
#include "frontend/replay_log.h"
#include "memory/memory.h"

#ifndef SOFTVM_VERSION
#define SOFTVM_VERSION "0.0.0"
#endif

struct rr {
    enum vm_rr_mode mode;
    char path[VM_PATH_MAX];
    rr_monitor_fn monitor;
    uint64_t next_check;         /* icount of the next checkpoint (UINT64_MAX: none) */
    /* record */
    FILE *f;
    struct rr_writer w;
    uint64_t recorded;           /* inputs written */
    /* replay */
    uint8_t *buf;
    struct rr_log log;
    size_t next_ev, next_ck;
    bool started, ended, failed;
};

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The build that runs: a hash of this executable's bytes. */
static uint64_t build_id(void)
{
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    static const size_t chunk = 1 << 20;
    uint8_t *b = malloc(chunk);
    uint64_t h = 0;
    ssize_t k;
    while (b && (k = read(fd, b, chunk)) > 0)
        h = vms_hash64(h, b, (size_t)k);
    free(b);
    close(fd);
    return h;
}

static int read_file(const char *path, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    size_t len = 0, cap = 1 << 16;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) {
            fclose(f);
            return errf(err, errlen, "out of memory reading %s", path);
        }
        len += fread(b + len, 1, cap - len, f);
        if (len < cap)
            break;
        uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
        if (!nb)
            free(b);
        b = nb;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return errf(err, errlen, "cannot read %s", path);
    }
    *out = b;
    *outlen = len;
    return 0;
}

struct rr *rr_open(struct vm_options *opt, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (opt->rr_mode == VM_RR_NONE)
        return NULL;
    if (!opt->rr_file[0]) {
        errf(err, errlen, "-icount rr=%s needs rrfile=FILE",
             opt->rr_mode == VM_RR_RECORD ? "record" : "replay");
        return NULL;
    }
    if (opt->clock != VM_CLOCK_DETERMINISTIC) {
        errf(err, errlen, "-icount rr= needs the deterministic clock (drop -clock realtime): "
             "realtime idle skips are not recorded");
        return NULL;
    }
    struct rr *rr = calloc(1, sizeof(*rr));
    if (!rr) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    rr->mode = opt->rr_mode;
    rr->next_check = UINT64_MAX;
    snprintf(rr->path, sizeof(rr->path), "%s", opt->rr_file);
    if (rr->mode == VM_RR_RECORD) {
        rr->f = fopen(rr->path, "wb");
        if (!rr->f) {
            errf(err, errlen, "cannot create the replay log %s: %s", rr->path, strerror(errno));
            free(rr);
            return NULL;
        }
        return rr;
    }
    size_t len = 0;
    char e2[512];
    if (read_file(rr->path, &rr->buf, &len, e2, sizeof(e2)) ||
        rr_log_parse(rr->buf, len, &rr->log, e2, sizeof(e2))) {
        errf(err, errlen, "%s: %s", rr->path, e2);
        rr_close(rr);
        return NULL;
    }
    const struct rr_head *h = &rr->log.head;
    if (strcmp(h->version, SOFTVM_VERSION) || h->build_id != build_id()) {
        errf(err, errlen, "%s was recorded by another softvm build (version %s, build "
             "%016" PRIx64 "); replay needs the build that recorded it (this is %s, build "
             "%016" PRIx64 ")", rr->path, h->version, h->build_id, SOFTVM_VERSION, build_id());
        rr_close(rr);
        return NULL;
    }
    if (h->ns_per_insn != opt->ns_per_insn) {
        errf(err, errlen, "%s was recorded with -icount shift=%d; this run has shift=%d",
             rr->path, __builtin_ctzll(h->ns_per_insn | 1ull << 63),
             __builtin_ctzll(opt->ns_per_insn | 1ull << 63));
        rr_close(rr);
        return NULL;
    }
    /* The RTC's start was the host's clock when recording: use that one. */
    opt->rtc_base = VM_RTC_FIXED;
    opt->rtc_start = h->rtc_base;
    return rr;
}

void rr_close(struct rr *rr)
{
    if (!rr)
        return;
    if (rr->f)
        fclose(rr->f);
    rr_log_free(&rr->log);
    free(rr->buf);
    free(rr);
}

bool rr_replaying(const struct rr *rr)
{
    return rr && rr->mode == VM_RR_REPLAY;
}

static uint64_t cpu_hash(struct machine *m)
{
    return vms_hash(&cpu_vmstate, &m->cpu, 0);
}

static uint64_t dev_hash(struct machine *m)
{
    return vms_hash(&pc_devices_vmstate, &m->dev, vms_hash(&vclock_vmstate, &m->clock, 0));
}

/* The first checkpoint strictly after icount. */
static uint64_t checkpoint_after(uint64_t icount, uint64_t every)
{
    if (!every)
        return UINT64_MAX;
    uint64_t n = icount / every + 1;
    return n > UINT64_MAX / every ? UINT64_MAX : n * every;
}

/* (icount, vclock) lies after the machine's present point. */
static bool stamp_after_now(const struct machine *m, uint64_t icount, uint64_t vclock)
{
    uint64_t v = vclock_now(&m->clock);
    return icount > m->cpu.icount || (icount == m->cpu.icount && vclock > v);
}

int rr_start(struct rr *rr, struct machine *m, rr_monitor_fn monitor, char *err, size_t errlen)
{
    rr->monitor = monitor;
    uint64_t ram_size;
    phys_mem_ram(m->mem, &ram_size);
    uint64_t now = vclock_now(&m->clock);
    if (rr->mode == VM_RR_RECORD) {
        struct rr_head h = {
            .icount = m->cpu.icount, .vclock_ns = now, .ns_per_insn = m->opt.ns_per_insn,
            .ram_size = ram_size, .rom_hash = phys_mem_rom_hash(m->mem),
            .state_hash = machine_state_hash(m), .checkpoint_every = RR_CHECKPOINT_EVERY,
            .build_id = build_id(), .rtc_base = m->dev.rtc.base_secs,
        };
        snprintf(h.version, sizeof(h.version), "%s", SOFTVM_VERSION);
        rr_writer_start(&rr->w, rr->f, &h);
        rr->next_check = checkpoint_after(m->cpu.icount, RR_CHECKPOINT_EVERY);
        rr->started = true;
        return 0;
    }
    const struct rr_head *h = &rr->log.head;
    if (h->ram_size != ram_size)
        return errf(err, errlen, "%s was recorded on a machine with %" PRIu64 " MiB of RAM; "
                    "this one has %" PRIu64 " MiB (-m)", rr->path, h->ram_size >> 20,
                    ram_size >> 20);
    if (h->rom_hash != phys_mem_rom_hash(m->mem))
        return errf(err, errlen, "%s was recorded with other firmware or option ROMs than this "
                    "machine has (-bios, the VGA BIOS, -kernel through SeaBIOS)", rr->path);
    if (m->opt.loadvm && (m->cpu.icount > h->icount ||
                          (m->cpu.icount == h->icount && now > h->vclock_ns))) {
        /* A snapshot taken during this recording (by -snapshot-at in a
         * replay of it): replay the rest. Inputs at or before the snapshot's
         * point were delivered before it was taken (host_feed runs before
         * the slice hook that saves). The start cannot be checked against
         * the log; the checkpoints after it and the end state are. */
        if (m->cpu.icount > rr->log.end.icount)
            return errf(err, errlen, "the -loadvm snapshot is at instruction %" PRIu64 ", after "
                        "the end of %s (%" PRIu64 ")", m->cpu.icount, rr->path,
                        rr->log.end.icount);
        while (rr->next_ev < rr->log.nev &&
               !stamp_after_now(m, rr->log.ev[rr->next_ev].icount,
                                       rr->log.ev[rr->next_ev].vclock_ns))
            rr->next_ev++;
        while (rr->next_ck < rr->log.nck && rr->log.ck[rr->next_ck].icount < m->cpu.icount)
            rr->next_ck++;
        fprintf(stderr, "softvm: replaying %s from instruction %" PRIu64 " (the -loadvm "
                "snapshot): %zu inputs left\n", rr->path, m->cpu.icount,
                rr->log.nev - rr->next_ev);
        rr->next_check = rr->next_ck < rr->log.nck ? rr->log.ck[rr->next_ck].icount
                                                   : checkpoint_after(m->cpu.icount,
                                                                      h->checkpoint_every);
        rr->started = true;
        return 0;
    }
    if (h->icount != m->cpu.icount || h->vclock_ns != now)
        return errf(err, errlen, "%s starts at instruction %" PRIu64 "; this machine starts at "
                    "%" PRIu64 " (a different -loadvm snapshot, or none)", rr->path, h->icount,
                    m->cpu.icount);
    if (h->state_hash != machine_state_hash(m))
        return errf(err, errlen, "%s was recorded on a different machine: its starting state "
                    "differs from this one's (other options, kernel, initrd, devices or -loadvm "
                    "snapshot)", rr->path);
    rr->next_check = checkpoint_after(m->cpu.icount, h->checkpoint_every);
    rr->started = true;
    return 0;
}

/* ---- record ------------------------------------------------------------------- */

void rr_record_input(void *opaque, struct machine *m, int kind, int unit,
                     const uint8_t *data, size_t len)
{
    struct rr *rr = opaque;
    if (len > RR_MAX_EVENT_DATA) {
        fprintf(stderr, "softvm: rr: an input of %zu bytes is too large to record; the "
                "recording cannot be replayed past instruction %" PRIu64 "\n", len, m->cpu.icount);
        len = RR_MAX_EVENT_DATA;
    }
    struct rr_event e = { .icount = m->cpu.icount, .vclock_ns = vclock_now(&m->clock),
                          .kind = (uint8_t)kind, .unit = (uint8_t)unit, .len = (uint16_t)len,
                          .data = data };
    rr_write_event(&rr->w, &e);
    rr->recorded++;
}

void rr_flush(struct rr *rr)
{
    if (rr && rr->f)
        fflush(rr->f);
}

/* ---- replay -------------------------------------------------------------------- */

static bool stamp_is(const struct machine *m, uint64_t icount, uint64_t vclock)
{
    return m->cpu.icount == icount && vclock_now(&m->clock) == vclock;
}

static bool stamp_past(const struct machine *m, uint64_t icount, uint64_t vclock)
{
    uint64_t v = vclock_now(&m->clock);
    return m->cpu.icount > icount || (m->cpu.icount == icount && v > vclock);
}

static void diverged(struct rr *rr, struct machine *m, const char *fmt, ...)
{
    if (rr->failed)
        return;
    rr->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "\r\nsoftvm: replay of %s diverged at instruction %" PRIu64
            " (virtual time %" PRIu64 " ns): %s\r\n", rr->path, m->cpu.icount,
            vclock_now(&m->clock), msg);
    machine_request_stop(m, 1);
}

static bool at_end(const struct rr *rr, const struct machine *m)
{
    return rr->next_ev == rr->log.nev && stamp_is(m, rr->log.end.icount, rr->log.end.vclock_ns);
}

/* The recording stopped here: so does the replay, with the recording's status. */
static void check_end(struct rr *rr, struct machine *m)
{
    if (!rr->failed && !rr->ended && at_end(rr, m)) {
        rr->ended = true;
        machine_request_stop(m, rr->log.end.exit_status);
    } else if (!rr->failed && stamp_past(m, rr->log.end.icount, rr->log.end.vclock_ns)) {
        diverged(rr, m, "the recording ended at instruction %" PRIu64 " (virtual time %" PRIu64
                 " ns)", rr->log.end.icount, rr->log.end.vclock_ns);
    }
}

static void checkpoint(struct rr *rr, struct machine *m)
{
    if (m->cpu.icount < rr->next_check)
        return;
    uint64_t every = rr->mode == VM_RR_RECORD ? RR_CHECKPOINT_EVERY : rr->log.head.checkpoint_every;
    struct rr_check c = { .icount = m->cpu.icount, .vclock_ns = vclock_now(&m->clock),
                          .cpu_hash = cpu_hash(m), .dev_hash = dev_hash(m) };
    rr->next_check = checkpoint_after(m->cpu.icount, every);
    if (rr->mode == VM_RR_RECORD) {
        rr_write_check(&rr->w, &c);
        return;
    }
    if (rr->next_ck >= rr->log.nck) {
        diverged(rr, m, "the recording has no checkpoint here");
        return;
    }
    const struct rr_check *r = &rr->log.ck[rr->next_ck++];
    if (r->icount != c.icount || r->vclock_ns != c.vclock_ns)
        diverged(rr, m, "the recording's checkpoint is at instruction %" PRIu64
                 " (virtual time %" PRIu64 " ns)", r->icount, r->vclock_ns);
    else if (r->cpu_hash != c.cpu_hash)
        diverged(rr, m, "the CPU state differs from the recording's (checkpoint %zu)",
                 rr->next_ck - 1);
    else if (r->dev_hash != c.dev_hash)
        diverged(rr, m, "the device or clock state differs from the recording's (checkpoint "
                 "%zu)", rr->next_ck - 1);
}

static uint64_t cut(uint64_t budget, uint64_t icount, uint64_t target)
{
    return target > icount && target - icount < budget ? target - icount : budget;
}

uint64_t rr_before_slice(struct rr *rr, struct machine *m, uint64_t budget)
{
    if (!rr || !rr->started)
        return budget;
    checkpoint(rr, m);
    uint64_t ic = m->cpu.icount;
    budget = cut(budget, ic, rr->next_check);
    if (rr->mode == VM_RR_RECORD)
        return budget;
    check_end(rr, m);
    if (m->stop)
        return 0;
    if (rr->next_ev < rr->log.nev) {
        const struct rr_event *e = &rr->log.ev[rr->next_ev];
        if (stamp_past(m, e->icount, e->vclock_ns)) {
            diverged(rr, m, "the recording delivered a %s at instruction %" PRIu64 " (virtual "
                     "time %" PRIu64 " ns), which this run passed without taking it",
                     rr_event_kind_name(e->kind), e->icount, e->vclock_ns);
            return 0;
        }
        budget = cut(budget, ic, e->icount);
    }
    return cut(budget, ic, rr->log.end.icount);
}

static void deliver(struct rr *rr, struct machine *m, const struct rr_event *e)
{
    switch (e->kind) {
    case HOST_INPUT_SERIAL:
        if (!uart_can_receive(&m->dev.uart[e->unit])) {
            diverged(rr, m, "COM%d cannot take the recorded byte 0x%02x (its FIFO is full)",
                     e->unit + 1, e->data[0]);
            return;
        }
        uart_receive_byte(&m->dev.uart[e->unit], e->data[0]);
        return;
    case HOST_INPUT_FRAME: {
        struct net_port *p = e->unit < m->dev.nnic ? m->dev.nic_port[e->unit] : NULL;
        if (!p) {
            diverged(rr, m, "the recording has a frame for network card %d, which this machine "
                     "does not have", e->unit);
            return;
        }
        if (!p->can_receive(p->nic)) {
            diverged(rr, m, "network card %d cannot take the recorded %u-byte frame", e->unit,
                     e->len);
            return;
        }
        p->receive(p->nic, e->data, e->len);
        return;
    }
    case HOST_INPUT_KEY:
        i8042_key_event(&m->dev.kbc, e->data, e->len);
        return;
    case HOST_INPUT_MOUSE: {
        int16_t v[3];
        for (int i = 0; i < 3; i++)
            v[i] = (int16_t)(e->data[2 * i] | e->data[2 * i + 1] << 8);
        i8042_mouse_event(&m->dev.kbc, v[0], v[1], v[2], e->data[6]);
        return;
    }
    case HOST_INPUT_MONITOR: {
        char path[4096] = "";
        if (e->unit == HOST_REQ_LOADVM)
            snprintf(path, sizeof(path), "%.*s", (int)e->len, (const char *)e->data);
        rr->monitor(m, e->unit, path);
        return;
    }
    }
}

void rr_feed(struct rr *rr, struct machine *m)
{
    if (!rr_replaying(rr) || !rr->started || rr->failed)
        return;
    while (rr->next_ev < rr->log.nev && !rr->failed) {
        const struct rr_event *e = &rr->log.ev[rr->next_ev];
        if (!stamp_is(m, e->icount, e->vclock_ns))
            break;
        rr->next_ev++;
        deliver(rr, m, e);
    }
    check_end(rr, m);
}

bool rr_due(const struct rr *rr, const struct machine *m)
{
    if (!rr_replaying(rr) || rr->failed)
        return false;
    if (rr->next_ev < rr->log.nev)
        return stamp_is(m, rr->log.ev[rr->next_ev].icount, rr->log.ev[rr->next_ev].vclock_ns);
    return at_end(rr, m);
}

bool rr_pending(const struct rr *rr)
{
    return rr_replaying(rr) && !rr->failed && !rr->ended;
}

void rr_stuck(struct rr *rr, struct machine *m)
{
    if (rr_due(rr, m) || rr->failed || rr->ended)
        return;
    if (rr->next_ev < rr->log.nev)
        diverged(rr, m, "the CPU is halted with no timer armed, but the recording's next input "
                 "comes at instruction %" PRIu64, rr->log.ev[rr->next_ev].icount);
    else
        diverged(rr, m, "the CPU is halted with no timer armed, but the recording went on to "
                 "instruction %" PRIu64, rr->log.end.icount);
}

void rr_finish(struct rr *rr, struct machine *m)
{
    if (!rr || !rr->started)
        return;
    uint64_t ram = machine_ram_hash(m);
    struct rr_end e = { .icount = m->cpu.icount, .vclock_ns = vclock_now(&m->clock),
                        .state_hash = machine_state_hash(m), .cpu_hash = cpu_hash(m),
                        .dev_hash = dev_hash(m), .ram_hash = ram, .exit_status = m->exit_status };
    if (rr->mode == VM_RR_RECORD) {
        rr_write_end(&rr->w, &e);
        bool bad = rr->w.failed || fflush(rr->f) != 0;
        int en = rr->w.failed ? rr->w.error : errno;
        if (fclose(rr->f) && !bad) {
            bad = true;
            en = errno;
        }
        rr->f = NULL;
        if (bad) {
            fprintf(stderr, "softvm: cannot write the replay log %s: %s\n", rr->path,
                    strerror(en));
            m->exit_status = 1;
        } else {
            fprintf(stderr, "softvm: recorded %zu inputs to %s, ending at instruction %" PRIu64
                    "\n", (size_t)rr->recorded, rr->path,
                    e.icount);
        }
        return;
    }
    if (rr->failed) {
        m->exit_status = 1;
        return;
    }
    const struct rr_end *r = &rr->log.end;
    const char *what = NULL;
    if (rr->next_ev < rr->log.nev || !stamp_is(m, r->icount, r->vclock_ns))
        what = "the run ended before the recording did";
    else if (r->cpu_hash != e.cpu_hash)
        what = "the CPU state at the end differs from the recording's";
    else if (r->dev_hash != e.dev_hash)
        what = "the device or clock state at the end differs from the recording's";
    else if (r->ram_hash != e.ram_hash)
        what = "RAM at the end differs from the recording's";
    else if (r->state_hash != e.state_hash)
        what = "the machine state at the end differs from the recording's";
    if (what) {
        diverged(rr, m, "%s (the recording ended at instruction %" PRIu64 ")", what, r->icount);
        m->exit_status = 1;
        return;
    }
    fprintf(stderr, "softvm: replay of %s complete: %zu inputs, %zu checkpoints, end state "
            "%016" PRIx64 " at instruction %" PRIu64 " as recorded\n", rr->path, rr->log.nev,
            rr->log.nck, e.state_hash, e.icount);
}
