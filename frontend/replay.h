/*
 * replay.h - deterministic record/replay on the one host input path
 * (-icount shift=N,rr=record|replay,rrfile=FILE, QEMU's spelling).
 *
 * softvm runs the same given the same options and host inputs, so recording
 * writes down only the host inputs host_feed() delivers (typed serial
 * bytes, network frames, key and mouse events, the monitors' reset,
 * power-button, quit and loadvm), each with the instruction count and
 * virtual time of its delivery, the RTC's starting reading, a checkpoint
 * hash every RR_CHECKPOINT_EVERY instructions and the final state. Replay
 * builds the same machine, ends slices exactly at the recorded counts,
 * delivers the recorded inputs there instead of any live ones, and stops
 * where the recording stopped; it reports the first point where the run
 * differs (an input the guest could not take, a checkpoint or the end state
 * that does not match) and exits nonzero. The log format is in
 * frontend/replay_log.h and docs/DETERMINISM.md.
 *
 * The host side (frontend/host.c) calls these from its hooks; nothing below
 * frontend/ knows about them.
 */
#ifndef SOFTVM_FRONTEND_REPLAY_H
#define SOFTVM_FRONTEND_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/machine/machine.h"

#define RR_CHECKPOINT_EVERY (1ull << 28)

struct rr;

/* A recorded monitor request to apply now (the host side owns them). */
typedef void (*rr_monitor_fn)(struct machine *m, int request, const char *path);

/* Before machine_init: for rr=replay, read and check the log, and set what
 * it fixes in the options (the RTC's starting reading); for rr=record, open
 * the log file. NULL with a sentence in err on failure (and for rr=none,
 * with err empty). */
struct rr *rr_open(struct vm_options *opt, char *err, size_t errlen);
/* Once the machine is built, attached and -loadvm'd: record writes the
 * header; replay checks it is the machine the log was recorded on. 0, or
 * -1 with a sentence in err. */
int rr_start(struct rr *rr, struct machine *m, rr_monitor_fn monitor, char *err, size_t errlen);
void rr_close(struct rr *rr);

bool rr_replaying(const struct rr *rr);
/* What a recording writes for each input host_feed delivers (the host side
 * calls it from its input log, host_set_input_log). */
void rr_record_input(void *opaque, struct machine *m, int kind, int unit,
                     const uint8_t *data, size_t len);

/* Before a slice: a checkpoint due now is written or compared, a replay
 * that reached the recording's end stops, and the budget is cut so the
 * slice ends at the next input, checkpoint or end. */
uint64_t rr_before_slice(struct rr *rr, struct machine *m, uint64_t budget);
/* Replay, at a slice boundary (in host_feed): deliver the inputs recorded
 * at this instruction count and virtual time; stop at the end. */
void rr_feed(struct rr *rr, struct machine *m);
/* Replay: an input (or the end) is due at this very point: a halted CPU
 * must not skip time now. */
bool rr_due(const struct rr *rr, const struct machine *m);
/* Replay: inputs or the end are still ahead. */
bool rr_pending(const struct rr *rr);
/* Replay: the CPU is halted with no timer armed, so time cannot move: the
 * next input must be due now, else the replay diverged (stops the run). */
void rr_stuck(struct rr *rr, struct machine *m);
/* The run ended: record writes the end record and closes the log; replay
 * compares the end with the recording's (a difference makes the exit
 * status 1). Prints its verdict on stderr. */
void rr_finish(struct rr *rr, struct machine *m);
/* Flush a recording's buffered records (the host side's flush hook). */
void rr_flush(struct rr *rr);

#endif
