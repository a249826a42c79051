/*
 * vclock.h - the one virtual clock every timer runs on.
 *
 * Deterministic mode (default): virtual time is a pure function of retired
 * guest instructions (icount * ns_per_insn) plus time skipped while the CPU is
 * halted, so the same inputs give the same execution. The machine loop asks
 * vclock_insns_until_deadline() how far the CPU may run, runs it, then calls
 * vclock_run_timers(). Realtime mode (interactive) may follow the host clock.
 */
#ifndef SOFTVM_DEVICES_VCLOCK_H
#define SOFTVM_DEVICES_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define VCLOCK_MAX_TIMERS 32
#define VCLOCK_NEVER UINT64_MAX

struct vtimer {
    uint64_t deadline_ns;            /* VCLOCK_NEVER when disarmed */
    void (*fire)(void *opaque);      /* called once when now >= deadline */
    void *opaque;
    bool in_use;
};

struct vclock {
    const uint64_t *icount;          /* the CPU's retired-instruction counter */
    uint64_t ns_per_insn;            /* fixed virtual CPU speed */
    uint64_t idle_ns;                /* virtual time skipped while halted */
    struct vtimer timers[VCLOCK_MAX_TIMERS];
    /* Wiring, not state: while the CPU runs a slice, the virtual time it
     * ends at (else VCLOCK_NEVER), and whom to tell when a timer is armed
     * before that, so the slice can end early and the next one stop at the
     * new deadline (the machine: cpu_request_exit). */
    uint64_t slice_end_ns;
    void (*earlier_deadline)(void *opaque);
    void *earlier_opaque;
};

void vclock_init(struct vclock *c, const uint64_t *icount, uint64_t ns_per_insn);
static inline uint64_t vclock_now(const struct vclock *c)
{
    return *c->icount * c->ns_per_insn + c->idle_ns;
}
/* Returns a timer id (>= 0) or -1 when full. */
int vclock_timer_new(struct vclock *c, void (*fire)(void *opaque), void *opaque);
/* Arm (or re-arm) a timer. A deadline before the end of the running slice
 * calls earlier_deadline: the timer must not fire late by up to a slice. */
void vclock_timer_arm(struct vclock *c, int id, uint64_t deadline_ns);
void vclock_timer_disarm(struct vclock *c, int id);
uint64_t vclock_next_deadline(const struct vclock *c);
/* Instructions the CPU may retire before the next deadline (at least 1). */
uint64_t vclock_insns_until_deadline(const struct vclock *c);
/* Halted CPU: jump virtual time forward to the next deadline. */
void vclock_skip_to_next_deadline(struct vclock *c);
/* Fire every timer whose deadline has passed. */
void vclock_run_timers(struct vclock *c);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc vclock_vmstate;

#endif
