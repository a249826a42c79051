/*
 * interrupt.c - delivery of interrupts and exceptions: the real-mode IVT,
 * protected-mode interrupt/trap/task gates with the stack switch to an
 * inner level (and the extra segment pushes when leaving virtual-8086 mode),
 * error codes with the EXT bit, and the double-fault / triple-fault rules.
 *
 * A fault raised while delivering an event (bad gate, stack overflow, page
 * fault on the handler's stack) is caught here rather than in cpu_exec, the
 * CPU state is rolled back to what it was before delivery, and the pair of
 * exception classes decides between delivering the new fault, a #DF, or
 * shutting down (SDM Vol. 3A 6.15, table 6-5).
 *
 * Spec: Intel SDM Vol. 3A 6.4-6.15, 20.3 (v86 interrupts), Vol. 2 INT n.
 */
#include <inttypes.h>
#include <string.h>
#include "cpu/sys_internal.h"
#include "cpu/trace_hooks.h"

enum exc_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT, CLASS_DOUBLE_FAULT };

static enum exc_class exception_class(int vector, enum int_kind kind)
{
    if (kind != INT_EXCEPTION)
        return CLASS_BENIGN;
    switch (vector) {
    case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
        return CLASS_CONTRIBUTORY;
    case EXC_PF:
        return CLASS_PAGE_FAULT;
    case EXC_DF:
        return CLASS_DOUBLE_FAULT;
    default:
        return CLASS_BENIGN;
    }
}

static void deliver_real(struct cpu *cpu, int vector, uint32_t return_eip)
{
    uint32_t entry = (uint32_t)vector * 4;
    if (entry + 3 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, true, 0);
    uint16_t off = mmu_read16_sys(cpu, linear_addr(cpu, cpu->idtr.base, entry));
    uint16_t sel = mmu_read16_sys(cpu, linear_addr(cpu, cpu->idtr.base, entry + 2));
    uint32_t flags = cpu_get_eflags(cpu);
    struct stack st;
    stack_current(cpu, &st);
    stack_push(cpu, &st, flags, 2);
    stack_push(cpu, &st, cpu->seg[SEG_CS].sel, 2);
    stack_push(cpu, &st, return_eip, 2);
    stack_commit(cpu, &st);
    seg_load_real(cpu, SEG_CS, sel);
    cpu->rip = off;
    cpu_set_eflags(cpu, flags & ~(EFLAGS_IF | EFLAGS_TF | EFLAGS_AC | EFLAGS_RF));
}

void tss_inner_stack(struct cpu *cpu, int cpl, uint16_t *ss, uint32_t *esp, uint32_t ext)
{
    uint32_t tscode = (cpu->tr.sel & 0xfffcu) | ext;
    bool tss32 = SEGF_TYPE(cpu->tr.flags) & 8;
    uint32_t at = tss32 ? 4 + 8 * (uint32_t)cpl : 2 + 4 * (uint32_t)cpl;
    uint32_t len = tss32 ? 8 : 4;
    if (!(cpu->tr.flags & SEGF_P) || at + len - 1 > cpu->tr.limit)
        cpu_raise(cpu, EXC_TS, true, tscode);
    if (tss32) {
        *esp = mmu_read32_sys(cpu, linear_addr(cpu, cpu->tr.base, at));
        *ss = mmu_read16_sys(cpu, linear_addr(cpu, cpu->tr.base, at + 4));
    } else {
        *esp = mmu_read16_sys(cpu, linear_addr(cpu, cpu->tr.base, at));
        *ss = mmu_read16_sys(cpu, linear_addr(cpu, cpu->tr.base, at + 2));
    }
}

static void deliver_protected(struct cpu *cpu, int vector, enum int_kind kind,
                              bool has_error, uint32_t error_code, uint32_t return_eip)
{
    uint32_t ext = kind == INT_SOFTWARE ? 0 : 1;
    uint32_t idt_code = (uint32_t)vector * 8 + 2 + ext;
    uint32_t entry = (uint32_t)vector * 8;
    if (entry + 7 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, true, idt_code);
    struct desc g;
    g.lo = mmu_read32_sys(cpu, linear_addr(cpu, cpu->idtr.base, entry));
    g.hi = mmu_read32_sys(cpu, linear_addr(cpu, cpu->idtr.base, entry + 4));
    unsigned type = desc_type(g);
    if (desc_is_seg(g) || !(type == SYS_TASKGATE || type == SYS_INTGATE16 ||
                            type == SYS_TRAPGATE16 || type == SYS_INTGATE32 ||
                            type == SYS_TRAPGATE32))
        cpu_raise(cpu, EXC_GP, true, idt_code);
    /* INT n / INT3 / INTO may only use gates the current level can see. */
    if (kind == INT_SOFTWARE && (int)desc_dpl(g) < cpu->cpl)
        cpu_raise(cpu, EXC_GP, true, idt_code);
    if (!desc_present(g))
        cpu_raise(cpu, EXC_NP, true, idt_code);

    if (type == SYS_TASKGATE) {
        uint16_t tss_sel = gate_sel(g);
        struct desc td = fetch_task_gate_tss(cpu, tss_sel, ext);
        task_switch(cpu, tss_sel, td, TASK_INT, return_eip, has_error, error_code, ext);
        return;
    }

    uint16_t tsel = gate_sel(g);
    uint32_t tcode = (tsel & 0xfffcu) | ext;
    struct desc td;
    if ((tsel & ~3u) == 0)
        cpu_raise(cpu, EXC_GP, true, ext);
    if (!desc_fetch(cpu, tsel, &td) || !desc_is_code(td) || (int)desc_dpl(td) > cpu->cpl)
        cpu_raise(cpu, EXC_GP, true, tcode);
    if (!desc_present(td))
        cpu_raise(cpu, EXC_NP, true, tcode);

    int gsize = (type & 8) ? 4 : 2;
    uint32_t target = gate_offset(g);
    uint32_t flags = cpu_get_eflags(cpu);
    bool from_vm86 = flags & EFLAGS_VM;
    int new_cpl = cpu->cpl;
    struct stack st;

    if (!desc_conforming(td) && (int)desc_dpl(td) < cpu->cpl) {
        /* Inner level: new stack from the TSS (SDM Vol. 3A 6.12.1). */
        new_cpl = (int)desc_dpl(td);
        if (from_vm86 && new_cpl != 0)
            cpu_raise(cpu, EXC_GP, true, tcode);
        uint16_t nss;
        uint32_t nesp;
        struct desc ssd;
        tss_inner_stack(cpu, new_cpl, &nss, &nesp, ext);
        seg_check_load_ss(cpu, nss, new_cpl, EXC_TS, ext, &ssd);
        seg_set_cache(&st.ss, nss, ssd);
        st.esp = nesp;
        st.sys = true;
        st.err = (nss & 0xfffcu) | ext;
        if (from_vm86) {
            stack_push(cpu, &st, cpu->seg[SEG_GS].sel, gsize);
            stack_push(cpu, &st, cpu->seg[SEG_FS].sel, gsize);
            stack_push(cpu, &st, cpu->seg[SEG_DS].sel, gsize);
            stack_push(cpu, &st, cpu->seg[SEG_ES].sel, gsize);
        }
        stack_push(cpu, &st, cpu->seg[SEG_SS].sel, gsize);
        stack_push(cpu, &st, cpu_reg32(cpu, R_ESP), gsize);
    } else {
        /* Same level (or a conforming handler); never out of v86 mode. */
        if (from_vm86)
            cpu_raise(cpu, EXC_GP, true, tcode);
        stack_current(cpu, &st);
        st.err = ext;
    }
    stack_push(cpu, &st, flags, gsize);
    stack_push(cpu, &st, cpu->seg[SEG_CS].sel, gsize);
    stack_push(cpu, &st, return_eip, gsize);
    if (has_error)
        stack_push(cpu, &st, error_code, gsize);
    if (target > desc_limit(td))
        cpu_raise(cpu, EXC_GP, true, ext);

    /* Commit. */
    desc_set_accessed(cpu, tsel, &td);
    stack_commit(cpu, &st);
    load_cs(cpu, tsel, td, new_cpl);
    cpu->rip = target;
    if (from_vm86) {
        seg_set_null(&cpu->seg[SEG_ES], 0);
        seg_set_null(&cpu->seg[SEG_DS], 0);
        seg_set_null(&cpu->seg[SEG_FS], 0);
        seg_set_null(&cpu->seg[SEG_GS], 0);
    }
    flags &= ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
    if (type == SYS_INTGATE16 || type == SYS_INTGATE32)
        flags &= ~EFLAGS_IF;
    cpu_set_eflags(cpu, flags);
}

/* What delivery may change, to roll back when delivery itself faults. */
struct deliver_snapshot {
    uint64_t regs[CPU_NREGS], rip;
    uint32_t eflags;
    struct segment seg[SEG_COUNT], ldtr, tr;
    int cpl;
    uint64_t cr0, cr3;
};

static void snapshot_take(struct cpu *cpu, struct deliver_snapshot *s)
{
    memcpy(s->regs, cpu->regs, sizeof s->regs);
    s->rip = cpu->rip;
    s->eflags = cpu_get_eflags(cpu);
    memcpy(s->seg, cpu->seg, sizeof s->seg);
    s->ldtr = cpu->ldtr;
    s->tr = cpu->tr;
    s->cpl = cpu->cpl;
    s->cr0 = cpu->cr0;
    s->cr3 = cpu->cr3;
}

static void snapshot_restore(struct cpu *cpu, const struct deliver_snapshot *s)
{
    memcpy(cpu->regs, s->regs, sizeof s->regs);
    cpu->rip = s->rip;
    cpu_set_eflags(cpu, s->eflags);
    memcpy(cpu->seg, s->seg, sizeof s->seg);
    cpu->ldtr = s->ldtr;
    cpu->tr = s->tr;
    cpu->cpl = s->cpl;
    cpu->cr0 = s->cr0;
    if (cpu->cr3 != s->cr3) {
        cpu->cr3 = s->cr3;
        tlb_flush_all(cpu);
    }
}

/* The event in flight and what to roll back to if its delivery faults.
 * Lives on cpu_deliver_interrupt's stack; priv.sys.deliver_ctx points to it
 * so that a task switch can move the rollback point (sys_task_committed). */
struct deliver_ctx {
    struct deliver_snapshot snap;
    int vector;
    enum int_kind kind;
    bool has_error;
    uint32_t error_code;
    uint64_t return_eip;
};

void sys_task_committed(struct cpu *cpu)
{
    /* Faults after the commit point of a task switch belong to the new task
     * (SDM Vol. 3A 7.3): move cpu_exec's checkpoint there ... */
    struct cpu_private *p = &cpu->priv;
    p->insn_rip = cpu->rip;
    p->ckpt_valid = true;
    p->insn_rsp = cpu->regs[R_ESP];
    p->saved_rflags = cpu->rflags;
    p->saved_lf[0] = p->lf_op;
    p->saved_lf[1] = p->lf_dst;
    p->saved_lf[2] = p->lf_src;
    p->saved_lf[3] = p->lf_res;
    /* ... and the rollback point of a delivery through a task gate. */
    struct deliver_ctx *ctx = p->sys.deliver_ctx;
    if (ctx) {
        snapshot_take(cpu, &ctx->snap);
        ctx->return_eip = cpu->rip;
    }
}

void cpu_deliver_interrupt(struct cpu *cpu, int vector, enum int_kind kind,
                           bool has_error, uint32_t error_code, uint64_t return_eip)
{
    jmp_buf outer;
    memcpy(outer, cpu->exc_jmp, sizeof outer);
    /* volatile: changed between setjmp and longjmp. */
    struct deliver_ctx ctx_store = { .vector = vector, .kind = kind, .has_error = has_error,
                                     .error_code = error_code, .return_eip = return_eip };
    struct deliver_ctx *volatile ctx = &ctx_store;
    volatile bool nmi_delivered = false;
    snapshot_take(cpu, &ctx->snap);
    struct deliver_ctx *volatile outer_ctx = cpu->priv.sys.deliver_ctx;
    cpu->priv.sys.deliver_ctx = ctx;

    for (;;) {
        if (setjmp(cpu->exc_jmp) == 0) {
            cpu->halted = false;
            if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_INT))   /* -d int, --stats */
                trace_interrupt(cpu, ctx->vector, ctx->kind, ctx->has_error, ctx->error_code);
            if (!cpu_protected(cpu))
                deliver_real(cpu, ctx->vector, (uint32_t)ctx->return_eip);
            else if (cpu_long_mode(cpu))
                deliver_long(cpu, ctx->vector, ctx->kind, ctx->has_error,
                             ctx->error_code, ctx->return_eip);
            else
                deliver_protected(cpu, ctx->vector, ctx->kind, ctx->has_error,
                                  ctx->error_code, (uint32_t)ctx->return_eip);
            nmi_delivered = ctx->kind == INT_NMI;
            break;
        }
        /* Delivery faulted: undo it and pick the next event (table 6-5). */
        snapshot_restore(cpu, &ctx->snap);
        enum exc_class first = exception_class(ctx->vector, ctx->kind);
        enum exc_class second = exception_class(cpu->exc_vector, INT_EXCEPTION);
        bool serious = second == CLASS_CONTRIBUTORY || second == CLASS_PAGE_FAULT;
        if (first == CLASS_DOUBLE_FAULT && serious) {
            cpu->shutdown = true;   /* triple fault */
            trace_log(cpu, VM_LOG_GUEST_ERRORS, "guest_errors: triple fault at %04x:%08" PRIx64 " "
                      "(vector %d while delivering #DF): shutdown\n",
                      cpu->seg[SEG_CS].sel, cpu->rip, cpu->exc_vector);
            break;
        }
        if ((first == CLASS_CONTRIBUTORY && second == CLASS_CONTRIBUTORY) ||
            (first == CLASS_PAGE_FAULT && serious)) {
            ctx->vector = EXC_DF;
            ctx->has_error = true;
            ctx->error_code = 0;
        } else {
            ctx->vector = cpu->exc_vector;
            ctx->has_error = cpu->exc_has_error;
            ctx->error_code = cpu->exc_error;
        }
        /* A fault while delivering INT n/INT3/INTO belongs to that
         * instruction: report its address, not the trap's return address. */
        if (ctx->kind == INT_SOFTWARE)
            ctx->return_eip = cpu->priv.insn_rip;
        ctx->kind = INT_EXCEPTION;
    }

    cpu->priv.sys.deliver_ctx = outer_ctx;
    memcpy(cpu->exc_jmp, outer, sizeof outer);
    if (nmi_delivered)
        cpu->priv.nmi_blocked = true;   /* until the next IRET (SDM Vol. 3A 6.7.1) */
}
