/*
 * sys_state.h - system-side CPU state that is not in struct cpu's contract
 * fields: the pending data-breakpoint trap and the bookkeeping of
 * exception delivery. Lives in struct cpu_private as `sys`; owned by
 * cpu/seg.c, interrupt.c, task.c, sysregs.c. (The MSRs are in
 * struct cpu_msrs, cpu_private.h, kept by cpu/msr.c.)
 *
 * (NMI blocking is priv.nmi_blocked, shared with cpu/exec.c.)
 *
 * Spec: Intel SDM Vol. 3A 17.2 (debug traps), 6.15 table 6-5 (#DF).
 */
#ifndef SOFTVM_CPU_SYS_STATE_H
#define SOFTVM_CPU_SYS_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_sys {
    /* Data breakpoint hit during this instruction: #DB trap due at its end. */
    bool db_trap_pending;
    /* The delivery in progress (interrupt.c struct deliver_ctx), or NULL. */
    void *deliver_ctx;
};

#endif
