/*
 * vclock.c - the virtual clock and its one-shot timers.
 *
 * Time is a pure function of the CPU's retired-instruction count plus the
 * time skipped while halted, so every timer fires at the same instruction in
 * every run.  Timers are one-shot: a periodic device re-arms from its fire
 * callback, computing the next deadline from the previous one (not from
 * "now"), so periods never drift with slice granularity.
 */
#include "devices/vclock.h"
#include "devices/vmstate.h"

#include <string.h>

void vclock_init(struct vclock *c, const uint64_t *icount, uint64_t ns_per_insn)
{
    memset(c, 0, sizeof(*c));
    c->icount = icount;
    c->ns_per_insn = ns_per_insn ? ns_per_insn : 1;
    c->slice_end_ns = VCLOCK_NEVER;
    for (int i = 0; i < VCLOCK_MAX_TIMERS; i++)
        c->timers[i].deadline_ns = VCLOCK_NEVER;
}

int vclock_timer_new(struct vclock *c, void (*fire)(void *opaque), void *opaque)
{
    for (int i = 0; i < VCLOCK_MAX_TIMERS; i++) {
        struct vtimer *t = &c->timers[i];
        if (!t->in_use) {
            t->in_use = true;
            t->fire = fire;
            t->opaque = opaque;
            t->deadline_ns = VCLOCK_NEVER;
            return i;
        }
    }
    return -1;
}

void vclock_timer_arm(struct vclock *c, int id, uint64_t deadline_ns)
{
    if (id < 0 || id >= VCLOCK_MAX_TIMERS)
        return;
    c->timers[id].deadline_ns = deadline_ns;
    if (c->slice_end_ns != VCLOCK_NEVER && deadline_ns < c->slice_end_ns && c->earlier_deadline)
        c->earlier_deadline(c->earlier_opaque);
}

void vclock_timer_disarm(struct vclock *c, int id)
{
    vclock_timer_arm(c, id, VCLOCK_NEVER);
}

uint64_t vclock_next_deadline(const struct vclock *c)
{
    uint64_t next = VCLOCK_NEVER;
    for (int i = 0; i < VCLOCK_MAX_TIMERS; i++)
        if (c->timers[i].in_use && c->timers[i].deadline_ns < next)
            next = c->timers[i].deadline_ns;
    return next;
}

uint64_t vclock_insns_until_deadline(const struct vclock *c)
{
    uint64_t next = vclock_next_deadline(c);
    uint64_t now = vclock_now(c);
    if (next == VCLOCK_NEVER)
        return UINT64_MAX / 2;
    if (next <= now)
        return 1;
    /* Round up: the slice must reach the deadline, not stop just short. */
    uint64_t n = (next - now + c->ns_per_insn - 1) / c->ns_per_insn;
    return n ? n : 1;
}

void vclock_skip_to_next_deadline(struct vclock *c)
{
    uint64_t next = vclock_next_deadline(c);
    uint64_t now = vclock_now(c);
    if (next != VCLOCK_NEVER && next > now)
        c->idle_ns += next - now;
}

void vclock_run_timers(struct vclock *c)
{
    /* A callback may re-arm its own or another timer; loop until nothing
     * due is left (bounded, so a timer re-armed in the past cannot hang us). */
    for (int round = 0; round < 64; round++) {
        bool fired = false;
        uint64_t now = vclock_now(c);
        for (int i = 0; i < VCLOCK_MAX_TIMERS; i++) {
            struct vtimer *t = &c->timers[i];
            if (t->in_use && t->deadline_ns <= now) {
                t->deadline_ns = VCLOCK_NEVER;
                fired = true;
                if (t->fire)
                    t->fire(t->opaque);
            }
        }
        if (!fired)
            break;
    }
}

/* --- saved state (devices/vmstate.h) --- */

/* Pending timers are their deadlines on the virtual clock; which device owns
 * timer n is wiring (machine_init allocates the ids in a fixed order, and
 * in_use, a config field, proves the load target allocated the same ones). */
static const struct vms_field vtimer_fields[] = {
    VMS(struct vtimer, deadline_ns), VMS_W(struct vtimer, fire), VMS_W(struct vtimer, opaque),
    VMS_C(struct vtimer, in_use),
};
static const struct vms_desc vtimer_vmstate = { VMS_DESC(struct vtimer, "vtimer", 1, vtimer_fields) };
static const struct vms_field vclock_fields[] = {
    VMS_W(struct vclock, icount), VMS_C(struct vclock, ns_per_insn), VMS(struct vclock, idle_ns),
    VMS_SA(struct vclock, timers, vtimer_vmstate),
    /* the running slice's end and its hook: only meaningful inside cpu_exec */
    VMS_W(struct vclock, slice_end_ns), VMS_W(struct vclock, earlier_deadline),
    VMS_W(struct vclock, earlier_opaque),
};
const struct vms_desc vclock_vmstate = { VMS_DESC(struct vclock, "vclock", 1, vclock_fields) };
