/*
 * replay_log.h - the record/replay log format (docs/DETERMINISM.md, "The
 * replay log"): what -icount rr=record writes and rr=replay reads. softvm's
 * execution is a function of its options and its host inputs, so the log
 * holds only the host inputs, each stamped with the instruction count and
 * virtual time at which host_feed() delivered it, plus periodic state
 * hashes that let a replay name the first point where it diverged.
 *
 * The stream is written front to back while the machine runs (a recording
 * cut short leaves a log with no end record, which is refused as
 * truncated). Everything here is plain data: no machine, so the parser can
 * be fuzzed alone (tests/fuzz/fuzz_replay_log.c).
 */
#ifndef SOFTVM_FRONTEND_REPLAY_LOG_H
#define SOFTVM_FRONTEND_REPLAY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RR_FORMAT_VERSION 1
#define RR_MAX_EVENT_DATA 65535u      /* an Ethernet frame, a path: well below */
#define RR_VERSION_MAX 63

/* The recording's circumstances: a replay must be started the same way. */
struct rr_head {
    uint64_t icount;             /* the count at which recording started (after -loadvm) */
    uint64_t vclock_ns;          /* the virtual time then */
    uint64_t ns_per_insn;        /* -icount shift= */
    uint64_t ram_size;
    uint64_t rom_hash;           /* firmware and option ROMs */
    uint64_t state_hash;         /* the whole machine (RAM too) when recording started */
    uint64_t checkpoint_every;   /* instructions between CHCK records */
    uint64_t build_id;           /* hash of the softvm binary that wrote it */
    int64_t rtc_base;            /* the RTC's starting reading: a host value the guest sees */
    char version[RR_VERSION_MAX + 1];   /* softvm's version string */
};

/* One host input. kind and unit are enum host_input_kind and its unit
 * (frontend/host.h); data points into the parsed buffer. */
struct rr_event {
    uint64_t icount, vclock_ns;
    uint8_t kind, unit;
    uint16_t len;
    const uint8_t *data;
};

/* A checkpoint: hashes of the CPU and of the devices and clock (not RAM:
 * that is in the end record) at an instruction count. */
struct rr_check {
    uint64_t icount, vclock_ns;
    uint64_t cpu_hash, dev_hash;
};

/* Where and how the recording ended. */
struct rr_end {
    uint64_t icount, vclock_ns;
    uint64_t state_hash;         /* machine_state_hash: what -state-hash prints */
    uint64_t cpu_hash, dev_hash, ram_hash;
    int32_t exit_status;
    uint64_t records;            /* records before this one */
};

struct rr_log {
    struct rr_head head;
    struct rr_event *ev;         /* in stream order (nondecreasing icount, vclock) */
    size_t nev;
    struct rr_check *ck;
    size_t nck;
    struct rr_end end;
};

/* Parse and check a whole log: signature, version, the chain of record
 * checks, record order and sizes, the stamps' order, each event's kind,
 * unit and length, and the end record. 0, or -1 with one sentence in err
 * naming what is wrong (log is then empty). log->ev[i].data points into
 * data, which must outlive log. */
int rr_log_parse(const uint8_t *data, size_t len, struct rr_log *log, char *err, size_t errlen);
void rr_log_free(struct rr_log *log);

/* Writing, record by record, to a stdio stream. A failed write is
 * remembered (failed, error) and later writes do nothing. */
struct rr_writer {
    FILE *f;
    uint64_t chain;
    uint64_t records;
    bool failed;
    int error;
};
void rr_writer_start(struct rr_writer *w, FILE *f, const struct rr_head *h);
void rr_write_event(struct rr_writer *w, const struct rr_event *e);
void rr_write_check(struct rr_writer *w, const struct rr_check *c);
void rr_write_end(struct rr_writer *w, const struct rr_end *e);   /* e->records is filled in */

/* The event kind's name, for messages ("serial byte", "network frame"...). */
const char *rr_event_kind_name(unsigned kind);

#endif
