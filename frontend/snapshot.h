/*
 * snapshot.h - the snapshot stream: a whole machine (CPU, RAM, every
 * device, pending timers) saved to one versioned, checksummed stream that
 * is written and read front to back, never seeking, so it can go to a
 * pipe or a socket as well as a file. docs/SNAPSHOTS.md gives the format.
 *
 * Saving is only done between slices (the state is then complete: no
 * instruction is half done). A load goes into a machine that machine_init
 * built from the same options as the saved one; anything that differs
 * (RAM size, devices, firmware, a newer format) is refused with a sentence
 * saying what, before the machine is touched.
 */
#ifndef SOFTVM_FRONTEND_SNAPSHOT_H
#define SOFTVM_FRONTEND_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define SNAPSHOT_FORMAT_VERSION 1

/* Write m to fd / to the file path (created or truncated). 0, or -1 with a
 * sentence in err. Refuses while a writable disk is attached: its contents
 * are not in the stream, so a restore would see a disk that moved on. */
int snapshot_save_fd(struct machine *m, int fd, char *err, size_t errlen);
int snapshot_save(struct machine *m, const char *path, char *err, size_t errlen);

/* Read a whole stream from fd / path, check it, and load it into m. 0, or
 * -1 with a sentence in err (m is untouched when the stream is malformed
 * or of another machine). */
int snapshot_load_fd(struct machine *m, int fd, char *err, size_t errlen);
int snapshot_load(struct machine *m, const char *path, char *err, size_t errlen);
/* The same from bytes in memory (the fuzz target). */
int snapshot_load_buf(struct machine *m, const uint8_t *data, size_t len,
                      char *err, size_t errlen);

/* -snapshot-at N,file=F and Ctrl-A s, driven from the host side's slice
 * hooks. */
struct snapshot_trigger {
    uint64_t at_icount;      /* save when icount reaches this (UINT64_MAX: never) */
    const char *file;        /* where (-snapshot-at's file=, else snapshot_default_name) */
    bool done;
};
/* Shorten a slice's budget so it ends exactly at the trigger's count. */
uint64_t snapshot_trigger_budget(const struct snapshot_trigger *t, const struct machine *m,
                                 uint64_t budget);
/* At a slice boundary: save if the count is reached. */
void snapshot_trigger_check(struct snapshot_trigger *t, struct machine *m);
/* Ctrl-A s: save now, to t->file or softvm-<icount>.snap. */
void snapshot_save_now(struct snapshot_trigger *t, struct machine *m);

#endif
