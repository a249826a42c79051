/*
 * exec.c - cpu_exec, the main loop: instruction boundaries, interrupts,
 * exceptions, the retired-instruction count.
 *
 * At each instruction boundary (SDM Vol. 3A 6.9 priorities, simplified to
 * what a single i686 without SMI sees): a pending NMI, then INTR when IF=1,
 * both held off for one instruction by the STI / MOV SS shadow. Faults
 * unwind with longjmp to here; the faulting instruction's EIP and ESP are
 * restored (precise exceptions) and the exception is delivered through
 * cpu_deliver_interrupt. Traps (INT n, single-step) push the next EIP.
 *
 * cpu->icount counts retired instructions plus delivered faults (one
 * each; each iteration of a REP string instruction is one); it is the
 * virtual clock, and cpu_exec stops exactly when it has advanced by the
 * budget.
 */
#include <stddef.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/optable.h"
#include "cpu/system.h"
#include "translator/tb.h"
#include "cpu/trace_hooks.h"
#include "translator/jit.h"

/* Remember what a fault must put back: RIP, RSP, RFLAGS and lazy flags
 * as they are at this instruction boundary. */
static inline void checkpoint(struct cpu *cpu)
{
    struct cpu_private *p = &cpu->priv;
    p->insn_rip = cpu->rip;
    p->ckpt_valid = true;
    p->insn_rsp = cpu->regs[R_ESP];
    p->saved_rflags = cpu->rflags;
    /* lf_op..lf_res are four adjacent uint64_t: one 32-byte copy (this runs
     * before every instruction; field by field it compiled to shuffles) */
    _Static_assert(offsetof(struct cpu_private, lf_res) - offsetof(struct cpu_private, lf_op)
                   == 3 * sizeof(uint64_t), "lazy-flag fields must be adjacent");
    memcpy(p->saved_lf, &p->lf_op, sizeof(p->saved_lf));
}

/*
 * What the block fast path stores before each instruction instead (the
 * guest-instruction boundary map, QEMU's insn_start): the instruction's EIP,
 * and the rest of the checkpoint only when its metadata says a fault could
 * find ESP, EFLAGS or the lazy flags already changed (insn.ckpt).
 */
static inline void insn_start(struct cpu *cpu, const struct insn *in)
{
    if (__builtin_expect(in->ckpt, 0)) {
        checkpoint(cpu);
        return;
    }
    cpu->priv.insn_rip = in->rip;
    cpu->priv.ckpt_valid = false;
}

/* Debug traps due after the instruction: single-step (TF at its start,
 * SDM Vol. 3A 17.3.1.4) and data breakpoints hit during it (17.2.4).
 * MOV SS / POP SS hold them off like interrupts. */
static void debug_traps(struct cpu *cpu, bool tf)
{
    struct cpu_private *p = &cpu->priv;
    bool data = p->sys.db_trap_pending;
    p->sys.db_trap_pending = false;
    if (p->sw_int || p->inhibit_db)
        return;
    if (tf)
        cpu->dr[6] |= 0x4000;   /* BS */
    if (tf || data) {
        checkpoint(cpu);
        cpu_deliver_interrupt(cpu, EXC_DB, INT_EXCEPTION, false, 0, cpu->rip);
    }
}

/* Execute one decoded instruction: the handler sees cpu->rip = next EIP. */
static inline void exec_insn(struct cpu *cpu, const struct insn *in)
{
    struct cpu_private *p = &cpu->priv;
    bool tf = cpu->rflags & EFLAGS_TF;
    cpu->rip = in->rip;
    checkpoint(cpu);
    if (__builtin_expect(cpu_breakpoints_armed(cpu), 0))
        cpu_check_code_breakpoint(cpu, linear_addr(cpu, cpu->seg[SEG_CS].base, in->rip));   /* #DB fault */
    /* the next RIP wraps at 64 KiB in 16-bit code, 4 GiB in 32-bit code */
    uint64_t next = in->rip + in->len;
    uint32_t csf = cpu->seg[SEG_CS].flags;
    if (!(csf & (SEGF_DB | SEGF_L)))
        next &= 0xffff;
    else if (!(csf & SEGF_L))
        next = (uint32_t)next;
    cpu->rip = next;
    p->sw_int = false;
    p->inhibit_db = false;
    in->desc->fn(cpu, in);
    cpu->icount++;
    cpu->rflags &= ~EFLAGS_RF;      /* RF lasts one completed instruction */
    if (__builtin_expect(tf || p->sys.db_trap_pending, 0))
        debug_traps(cpu, tf);
}

/*
 * Fast path: run a whole translation block when nothing at its start needs
 * per-instruction care. The careful loop in cpu_exec tests, around every
 * instruction, the single-step flag, RF, the DR7 breakpoints, the debugger
 * hook and the budget; here they are tested once per block instead:
 *  - TF, RF, armed DR7 breakpoints and the per-instruction trace hook are
 *    off when the block starts (tb_fast_ok). Only instructions that end a
 *    block (OPF_END_BB: POPF, IRET, MOV DRn, task switches, STI, MOV/POP SS,
 *    HLT) can turn TF/RF/DR7, the interrupt shadow or `halted` on, so those
 *    are looked at once, after the block's last instruction;
 *  - the budget covers every instruction of the block, so icount cannot
 *    reach the end of the slice inside it.
 * What any memory or I/O access can change (the interrupt lines through a
 * device, CPU_REQ_STOP through a code write, an exit request) is all in one
 * word, cpu->req, tested after every instruction, so interrupts are taken at
 * the same instruction boundary as in the careful loop. Exceptions stay
 * precise through insn_start: EIP always, the rest when insn.ckpt says so.
 */
static inline bool tb_fast_ok(const struct cpu *cpu, const struct tb *tb, uint64_t end)
{
    return !(cpu->rflags & (EFLAGS_TF | EFLAGS_RF)) && !cpu_breakpoints_armed(cpu)
        && !(cpu->trace_flags & TRACE_HOOK_INSN) && cpu->icount + tb->n_insns <= end;
}

/* The end-of-instruction work of exec_insn after a fast block, whose
 * instructions all started with TF = 0; true when there was none. */
static inline bool tb_fast_done(struct cpu *cpu)
{
    struct cpu_private *p = &cpu->priv;
    if (__builtin_expect((cpu->rflags & (EFLAGS_TF | EFLAGS_RF)) || p->sys.db_trap_pending, 0)) {
        cpu->rflags &= ~EFLAGS_RF;
        if (p->sys.db_trap_pending)
            debug_traps(cpu, false);
        return false;
    }
    return true;
}

/* Runs the block; true when it ended as the outer loop would find nothing to
 * do before the next lookup (no request, no debug trap), so the next block
 * may be chained. */
static bool run_tb_fast(struct cpu *cpu, const struct tb *tb)
{
    struct cpu_private *p = &cpu->priv;
    /* next-EIP wraps at 64 KiB in 16-bit code, 4 GiB in 32-bit code; the
     * block's mode says which */
    uint64_t ip_mask = (tb->mode & DECODE_CODE64) ? ~0ull : (tb->mode & DECODE_CODE32) ? 0xffffffffu : 0xffffu;
    const struct insn *in = tb->insns, *last = in + tb->n_insns;
    for (;;) {
        insn_start(cpu, in);
        cpu->rip = (in->rip + in->len) & ip_mask;
        p->sw_int = false;
        p->inhibit_db = false;
        in->desc->fn(cpu, in);
        cpu->icount++;
        if (++in == last || cpu->req || cpu->rip != in->rip)
            break;
    }
    return tb_fast_done(cpu) && cpu->req == 0;
}

/*
 * Block chaining in the interpreter: after a block that ran to its end
 * through the fast path, the next one is taken from its exit's jmp_dest
 * without going back through the loop in cpu_exec, when that loop would have
 * done nothing but look the same block up and run it fast: the key cannot
 * have changed (tb->chain_ok), no request is pending (run_tb_fast checked
 * cpu->req; HLT and the STI/MOV SS shadow come only from instructions that
 * are not chain_ok), no per-block trace hook is armed, and the budget covers
 * the whole next block. tb_chained_next checks the rest of what tb_lookup
 * would check. (With the JIT on, its compiled chains do this instead.)
 */
static inline struct tb *chain_next(struct cpu *cpu, const struct tb *tb, uint64_t end)
{
    if (!tb->chain_ok || (cpu->trace_flags & (TRACE_HOOK_TB | TRACE_HOOK_INSN)) || cpu->priv.tbs->jit)
        return NULL;
    struct tb *next = tb_chained_next(cpu, tb);
    if (!next || !tb_fast_ok(cpu, next, end))
        return NULL;
    return next;
}

/* After a longjmp from cpu_raise: restore and deliver. */
static void deliver_exception(struct cpu *cpu)
{
    struct cpu_private *p = &cpu->priv;
    int vector = cpu->exc_vector;
    bool has_error = cpu->exc_has_error;
    uint32_t error = cpu->exc_error;
    cpu->rip = p->insn_rip;
    if (p->ckpt_valid) {
        /* else the instruction is precise without it (insn.ckpt = 0): ESP,
         * EFLAGS and the lazy flags are still as it found them */
        cpu->regs[R_ESP] = p->insn_rsp;
        cpu->rflags = p->saved_rflags;
        p->lf_op = p->saved_lf[0];
        p->lf_dst = p->saved_lf[1];
        p->lf_src = p->saved_lf[2];
        p->lf_res = p->saved_lf[3];
    }
    p->inhibit_irq = false;
    if (cpu->req & CPU_REQ_STOP)
        cpu_req_clear(cpu, CPU_REQ_STOP);
    /* A fault during delivery never unwinds to here: cpu_deliver_interrupt
     * catches it itself and escalates to #DF or a triple fault. */
    cpu_deliver_interrupt(cpu, vector, INT_EXCEPTION, has_error, error, cpu->rip);
}

/* NMI or INTR at an instruction boundary; true if one was delivered. */
static bool check_interrupts(struct cpu *cpu)
{
    struct cpu_private *p = &cpu->priv;
    if (p->inhibit_irq) {
        p->inhibit_irq = false;
        return false;
    }
    if (cpu_nmi_pending(cpu) && !p->nmi_blocked) {
        cpu_req_clear(cpu, CPU_REQ_NMI);    /* delivery sets nmi_blocked */
        cpu->halted = false;
        checkpoint(cpu);
        cpu_deliver_interrupt(cpu, EXC_NMI, INT_NMI, false, 0, cpu->rip);
        return true;
    }
    if (cpu_intr_line(cpu) && (cpu->rflags & EFLAGS_IF) && cpu->intr_ack) {
        cpu->halted = false;
        int vector = cpu->intr_ack(cpu->intr_opaque);
        if (vector < 0)
            return false;   /* spurious: nothing to deliver */
        checkpoint(cpu);
        cpu_deliver_interrupt(cpu, vector & 0xff, INT_EXTERNAL, false, 0, cpu->rip);
        return true;
    }
    return false;
}

enum cpu_exit cpu_exec(struct cpu *cpu, uint64_t budget)
{
    struct cpu_private *p = &cpu->priv;
    uint64_t end = cpu->icount + budget;
    p->icount_end = end;

    if (setjmp(cpu->exc_jmp)) {
        p->tbs->running_page = ~0ull;
        deliver_exception(cpu);
        /* A delivered fault takes the time of one instruction: icount
         * advances, so a guest stuck in a fault loop still reaches the
         * budget and virtual time still moves (deterministically). */
        cpu->icount++;
    }

    /* the block that just ran to its end with no successor chained yet */
    struct tb *prev = NULL;
    int prev_exit = 0;
    uint64_t prev_flushes = 0;

    for (;;) {
        if (cpu->shutdown)
            return CPU_EXIT_SHUTDOWN;
        if (cpu->req & CPU_REQ_EXIT) {
            cpu_req_clear(cpu, CPU_REQ_EXIT);
            return CPU_EXIT_REQUEST;
        }
        if (cpu->icount >= end)
            return CPU_EXIT_BUDGET;
        if (p->inhibit_irq || (cpu->req & (CPU_REQ_NMI | CPU_REQ_INTR))) {
            if (check_interrupts(cpu))
                prev = NULL;
        }
        if (cpu->halted)
            return CPU_EXIT_HALT;

        /* A fetch fault (#PF, #GP on the CS limit) in tb_lookup or decode_at
         * belongs to the instruction at cpu->rip: checkpoint it first. */
        checkpoint(cpu);
        struct tb *tb = tb_lookup(cpu);
        if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_TB))
            trace_tb_exec(cpu, tb);     /* -d exec,cpu; --stats */
        if (prev) {
            /* (a lookup that filled the pool flushed it: prev is gone) */
            if (tb && tb->key == prev->key && prev->valid && p->tbs->n_flushes == prev_flushes)
                tb_add_jump(p->tbs, prev, prev_exit, tb);
            prev = NULL;
        }
        if (!tb) {
            struct insn in;
            decode_at(cpu, cpu->rip, &in);
            if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_INSN) && trace_insn(cpu, &in))
                continue;               /* debugger breakpoint: stop before it */
            exec_insn(cpu, &in);
            continue;
        }
        struct tb_cache *c = p->tbs;
        c->running_page = tb->phys_pc & ~0xfffull;
        if (cpu->req & CPU_REQ_STOP)
            cpu_req_clear(cpu, CPU_REQ_STOP);
        const struct insn *in = tb->insns, *last = in + tb->n_insns;
        if (tb_fast_ok(cpu, tb, end)) {
            /* tier 2 when enabled: the compiled block and its chain */
            if (c->jit && jit_run(cpu, tb, end)) {
                tb_fast_done(cpu);
            } else while (run_tb_fast(cpu, tb)) {
                struct tb *next = chain_next(cpu, tb, end);
                if (!next) {
                    if (tb->chain_ok) {
                        prev = tb;
                        prev_exit = tb_exit_of(tb, cpu->rip);
                        prev_flushes = c->n_flushes;
                    }
                    break;
                }
                tb = next;
                c->running_page = tb->phys_pc & ~0xfffull;
            }
        } else for (;;) {
            if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_INSN) && trace_insn(cpu, in))
                break;                  /* debugger breakpoint: stop before it */
            exec_insn(cpu, in);
            uint32_t req = cpu->req;
            if (++in == last || (req & (CPU_REQ_STOP | CPU_REQ_NMI | CPU_REQ_EXIT))
                || cpu->icount >= end || cpu->halted
                || ((req & CPU_REQ_INTR) && (cpu->rflags & EFLAGS_IF)) || p->inhibit_irq
                || cpu->rip != in->rip)
                break;
        }
        c->running_page = ~0ull;
    }
}
