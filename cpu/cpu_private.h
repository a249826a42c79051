/*
 * cpu_private.h - CPU state that only cpu/ and translator/ look at:
 * lazy flags, MSRs, FPU/SSE registers, interpreter scratch.
 * Included by cpu.h; owned by cpu/.
 */
#ifndef SOFTVM_CPU_CPU_PRIVATE_H
#define SOFTVM_CPU_CPU_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/fpu_state.h"
#include "cpu/sys_state.h"

struct tb_cache;    /* translator/tb.h */

/* Model-specific registers kept by the system half (cpu/sysregs.c). */
struct cpu_msrs {
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t star, lstar, cstar, fmask;   /* SYSCALL/SYSRET (SDM Vol. 3A 5.8.8) */
    uint64_t kernel_gs_base;        /* SWAPGS exchanges it with GS.base */
    uint64_t apic_base;
    uint64_t pat;
    uint64_t misc_enable;
    uint64_t tsc_offset;            /* TSC = f(icount) + tsc_offset */
    uint64_t tsc_adjust;            /* IA32_TSC_ADJUST: the writes to the TSC so far */
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16];          /* base/mask pairs for 8 variable ranges */
    uint32_t tsc_aux;               /* IA32_TSC_AUX: what RDTSCP returns in ECX */
};

struct cpu_private {
    /* Lazy flags (design brief, cpu/flags.h): the last flag-setting operation.
     * lf_op == LF_NONE means EFLAGS holds the arithmetic flags itself. */
    uint64_t lf_op;             /* kind << 2 | size code (cpu/flags.h); 64-bit so the four
                                   fields are one 32-byte block (the checkpoint copies it) */
    uint64_t lf_dst, lf_src, lf_res;

    struct fpu_state fpu;       /* x87, MMX, SSE: cpu/fpu_state.h */
    struct cpu_sys sys;         /* system half: #DB trap, delivery state: cpu/sys_state.h */
    struct cpu_msrs msr;

    /* Interpreter scratch. */
    uint64_t insn_rip;          /* RIP of the instruction executing now */
    uint64_t insn_rsp;          /* RSP when it started: restored on a fault */
    uint64_t saved_rflags;      /* RFLAGS and lazy flags when it started: restored on a fault */
    uint64_t saved_lf[4];
    uint64_t icount_end;        /* cpu_exec stops when icount reaches this: REP pauses there */
    bool ckpt_valid;            /* insn_rsp..saved_lf belong to the instruction at insn_rip
                                   (else it is precise without them: insn.ckpt) */
    bool inhibit_irq;           /* interrupt shadow (STI, MOV SS, POP SS) over the next insn */
    bool inhibit_db;            /* MOV SS / POP SS also hold off debug traps (SDM Vol. 3A 6.8.3) */
    bool in_exec;               /* cpu_exec is running (exc_jmp is armed) */
    bool sw_int;                /* the insn was INT n/INT3/INTO/BOUND-fault: no single-step trap */
    bool nmi_blocked;           /* an NMI handler runs: NMIs wait for IRET */

    struct tb_cache *tbs;       /* translator/tb.c: decoded blocks */
};

#endif
