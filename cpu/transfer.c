/*
 * transfer.c - far control transfers: JMP/CALL/RET far and IRET, in real
 * mode, virtual-8086 mode and protected mode (code segments, call gates with
 * the inter-privilege stack switch through the TSS, task gates and TSS
 * descriptors as targets, returns to outer levels, IRET to v86 and task
 * returns through the NT back link).
 *
 * Every check happens on local copies (struct stack, struct desc) and the
 * registers change only after the last thing that can fault, so a fault
 * leaves the CPU as it was before the instruction (precise exceptions).
 *
 * Spec: Intel SDM Vol. 2 JMP, CALL, RET, IRET pseudocode; Vol. 3A 5.8
 * (calling procedures through call gates), 6.12, 7.3, 20.3 (v86 IRET).
 */
#include "cpu/sys_internal.h"

static uint32_t trunc_off(uint32_t off, int opsize)
{
    return opsize == 2 ? off & 0xffff : off;
}

static bool real_or_vm86(struct cpu *cpu)
{
    return !cpu_protected(cpu) || cpu_vm86(cpu);
}

/* Checks shared by JMP and CALL to a code segment named directly. */
void check_direct_code(struct cpu *cpu, uint16_t sel, struct desc d)
{
    uint32_t code = sel & 0xfffcu;
    if (!desc_is_code(d))
        cpu_raise(cpu, EXC_GP, true, code);
    if (desc_conforming(d)) {
        if ((int)desc_dpl(d) > cpu->cpl)
            cpu_raise(cpu, EXC_GP, true, code);
    } else if ((int)(sel & 3) > cpu->cpl || (int)desc_dpl(d) != cpu->cpl) {
        cpu_raise(cpu, EXC_GP, true, code);
    }
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
}

/* A gate or TSS named by a far JMP/CALL: DPL >= CPL and DPL >= RPL, present. */
static void check_gate_access(struct cpu *cpu, uint16_t sel, struct desc d)
{
    uint32_t code = sel & 0xfffcu;
    if ((int)desc_dpl(d) < cpu->cpl || desc_dpl(d) < (sel & 3u))
        cpu_raise(cpu, EXC_GP, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
}

/* The code segment a call gate points to. */
static struct desc fetch_gate_target(struct cpu *cpu, uint16_t tsel)
{
    uint32_t code = tsel & 0xfffcu;
    struct desc td;
    if ((tsel & ~3u) == 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    if (!desc_fetch(cpu, tsel, &td) || !desc_is_code(td) || (int)desc_dpl(td) > cpu->cpl)
        cpu_raise(cpu, EXC_GP, true, code);
    if (!desc_present(td))
        cpu_raise(cpu, EXC_NP, true, code);
    return td;
}

struct desc fetch_task_gate_tss(struct cpu *cpu, uint16_t tss_sel, uint32_t ext)
{
    uint32_t code = (tss_sel & 0xfffcu) | ext;
    struct desc td;
    if ((tss_sel & 4) || !desc_fetch(cpu, tss_sel, &td) || desc_is_seg(td) ||
        (desc_type(td) != SYS_TSS16_AVAIL && desc_type(td) != SYS_TSS32_AVAIL))
        cpu_raise(cpu, EXC_GP, true, code);
    if (!desc_present(td))
        cpu_raise(cpu, EXC_NP, true, code);
    return td;
}

/* JMP/CALL to a task gate or TSS descriptor. */
static void far_to_task(struct cpu *cpu, uint16_t sel, struct desc d, enum task_reason why,
                        uint32_t next_eip)
{
    check_gate_access(cpu, sel, d);
    uint16_t tss_sel = sel;
    if (desc_type(d) == SYS_TASKGATE) {
        tss_sel = gate_sel(d);
        d = fetch_task_gate_tss(cpu, tss_sel, 0);
    }
    task_switch(cpu, tss_sel, d, why, next_eip, false, 0, 0);
}

/* The descriptor a far JMP/CALL names: #GP(0) for a null selector,
 * #GP(selector) when it lies outside the GDT/LDT (SDM Vol. 2A "JMP", "CALL"). */
static struct desc far_target(struct cpu *cpu, uint16_t sel)
{
    struct desc d;
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    if (!desc_fetch(cpu, sel, &d))
        cpu_raise(cpu, EXC_GP, true, sel & 0xfffcu);
    return d;
}

/* Through a call gate with JMP: never changes privilege, so a
 * non-conforming target needs DPL == CPL (SDM Vol. 2A "JMP"). */
static void jmp_gate(struct cpu *cpu, uint16_t sel, struct desc d)
{
    check_gate_access(cpu, sel, d);
    uint16_t tsel = gate_sel(d);
    struct desc td = fetch_gate_target(cpu, tsel);
    if (!desc_conforming(td) && (int)desc_dpl(td) != cpu->cpl)
        cpu_raise(cpu, EXC_GP, true, tsel & 0xfffcu);
    uint32_t target = gate_offset(d);
    if (target > desc_limit(td))
        cpu_raise(cpu, EXC_GP, true, 0);
    desc_set_accessed(cpu, tsel, &td);
    load_cs(cpu, tsel, td, cpu->cpl);
    cpu->rip = target;
}

/* Through a call gate with CALL (SDM Vol. 3A 5.8.5): st is the current
 * stack, nothing pushed yet. */
static void call_gate(struct cpu *cpu, uint16_t sel, struct desc d, struct stack st,
                      uint32_t next_eip)
{
    check_gate_access(cpu, sel, d);
    uint16_t tsel = gate_sel(d);
    struct desc td = fetch_gate_target(cpu, tsel);
    int gsize = desc_type(d) == SYS_CALLGATE32 ? 4 : 2;
    uint32_t target = gate_offset(d);
    int new_cpl = cpu->cpl;

    if (!desc_conforming(td) && (int)desc_dpl(td) < cpu->cpl) {
        /* More privileged: switch to the inner stack named by the TSS and
         * copy the gate's parameter count of words/dwords across. */
        new_cpl = (int)desc_dpl(td);
        uint16_t nss;
        uint32_t nesp;
        struct desc ssd;
        tss_inner_stack(cpu, new_cpl, &nss, &nesp, 0);
        seg_check_load_ss(cpu, nss, new_cpl, EXC_TS, 0, &ssd);
        struct stack ns;
        seg_set_cache(&ns.ss, nss, ssd);
        ns.esp = nesp;
        ns.sys = true;
        ns.err = nss & 0xfffcu;
        unsigned params = d.hi & 0x1f;
        stack_push(cpu, &ns, cpu->seg[SEG_SS].sel, gsize);
        stack_push(cpu, &ns, cpu_reg32(cpu, R_ESP), gsize);
        for (unsigned i = params; i-- > 0;)
            stack_push(cpu, &ns, stack_peek(cpu, &st, i * (unsigned)gsize, gsize), gsize);
        stack_push(cpu, &ns, cpu->seg[SEG_CS].sel, gsize);
        stack_push(cpu, &ns, next_eip, gsize);
        st = ns;
    } else {
        stack_push(cpu, &st, cpu->seg[SEG_CS].sel, gsize);
        stack_push(cpu, &st, next_eip, gsize);
    }
    if (target > desc_limit(td))
        cpu_raise(cpu, EXC_GP, true, 0);
    desc_set_accessed(cpu, tsel, &td);
    stack_commit(cpu, &st);
    load_cs(cpu, tsel, td, new_cpl);
    cpu->rip = target;
}

/*
 * Far JMP and far CALL share everything but what CALL pushes (CS and the
 * return EIP, before the target's limit is checked) and what a call gate
 * does: real/v86 mode, a code segment named directly, a call gate, a task
 * gate or TSS (SDM Vol. 2A "JMP", "CALL" pseudocode).
 */
static void far_transfer(struct cpu *cpu, uint16_t sel, uint32_t off, int opsize,
                         uint32_t next_eip, bool call)
{
    off = trunc_off(off, opsize);
    struct stack st;
    stack_current(cpu, &st);
    if (real_or_vm86(cpu)) {
        if (off > cpu->seg[SEG_CS].limit)
            cpu_raise(cpu, EXC_GP, true, 0);
        if (call) {
            stack_push(cpu, &st, cpu->seg[SEG_CS].sel, opsize);
            stack_push(cpu, &st, next_eip, opsize);
            stack_commit(cpu, &st);
        }
        seg_load_real(cpu, SEG_CS, sel);
        cpu->rip = off;
        return;
    }
    struct desc d = far_target(cpu, sel);

    if (desc_is_seg(d)) {
        check_direct_code(cpu, sel, d);
        if (call) {
            stack_push(cpu, &st, cpu->seg[SEG_CS].sel, opsize);
            stack_push(cpu, &st, next_eip, opsize);
        }
        if (off > desc_limit(d))
            cpu_raise(cpu, EXC_GP, true, 0);
        desc_set_accessed(cpu, sel, &d);
        if (call)
            stack_commit(cpu, &st);
        load_cs(cpu, sel, d, cpu->cpl);
        cpu->rip = off;
        return;
    }
    switch (desc_type(d)) {
    case SYS_CALLGATE16:
    case SYS_CALLGATE32:
        if (call)
            call_gate(cpu, sel, d, st, next_eip);
        else
            jmp_gate(cpu, sel, d);
        return;
    case SYS_TASKGATE:
    case SYS_TSS16_AVAIL:
    case SYS_TSS32_AVAIL:
        far_to_task(cpu, sel, d, call ? TASK_CALL : TASK_JMP, next_eip);
        return;
    default:
        cpu_raise(cpu, EXC_GP, true, sel & 0xfffcu);
    }
}

void cpu_far_jmp(struct cpu *cpu, uint16_t sel, uint64_t off, int opsize, uint64_t next_eip)
{
    if (cpu_code64(cpu))
        long_far_transfer(cpu, sel, off, opsize, next_eip, false);
    else
        far_transfer(cpu, sel, (uint32_t)off, opsize, (uint32_t)next_eip, false);
}

void cpu_far_call(struct cpu *cpu, uint16_t sel, uint64_t off, int opsize, uint64_t next_eip)
{
    if (cpu_code64(cpu))
        long_far_transfer(cpu, sel, off, opsize, next_eip, true);
    else
        far_transfer(cpu, sel, (uint32_t)off, opsize, (uint32_t)next_eip, true);
}

/* The CS a RET/IRET returns to, checked against the current CPL. */
struct desc check_return_cs(struct cpu *cpu, uint16_t cs)
{
    uint32_t code = cs & 0xfffcu;
    struct desc d;
    if ((cs & ~3u) == 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    if (!desc_fetch(cpu, cs, &d) || !desc_is_code(d))
        cpu_raise(cpu, EXC_GP, true, code);
    unsigned rpl = cs & 3;
    if ((int)rpl < cpu->cpl)
        cpu_raise(cpu, EXC_GP, true, code);
    if (desc_conforming(d) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)
        cpu_raise(cpu, EXC_GP, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
    return d;
}

/* Return to an outer privilege level: pop and check SS:ESP (still on the
 * inner stack in *st), then commit CS, SS, ESP. */
static void return_outer(struct cpu *cpu, struct stack *st, uint16_t cs, struct desc d,
                         uint32_t eip, int opsize, uint16_t pop_bytes)
{
    int rpl = cs & 3;
    uint32_t nesp = stack_pop(cpu, st, opsize);
    uint16_t nss = (uint16_t)stack_pop(cpu, st, opsize);
    struct desc ssd;
    seg_check_load_ss(cpu, nss, rpl, EXC_GP, 0, &ssd);
    if (eip > desc_limit(d))
        cpu_raise(cpu, EXC_GP, true, 0);
    desc_set_accessed(cpu, cs, &d);
    load_cs(cpu, cs, d, rpl);
    seg_set_cache(&cpu->seg[SEG_SS], nss, ssd);
    if (ssd.hi & 0x00400000u)   /* 32-bit stack */
        cpu_set_reg32(cpu, R_ESP, nesp + pop_bytes);
    else
        cpu_set_reg16(cpu, R_ESP, (uint16_t)(nesp + pop_bytes));
    cpu->rip = eip;
    seg_invalidate_outer(cpu);
}

static void stack_release(struct stack *st, uint32_t bytes)
{
    uint32_t mask = (st->ss.flags & SEGF_DB) ? 0xffffffffu : 0xffffu;
    st->esp = (st->esp & ~mask) | ((st->esp + bytes) & mask);
}

void cpu_far_ret(struct cpu *cpu, int opsize, uint16_t pop_bytes)
{
    if (cpu_code64(cpu)) {
        long_far_ret(cpu, opsize, pop_bytes);
        return;
    }
    struct stack st;
    stack_current(cpu, &st);
    uint32_t eip = stack_pop(cpu, &st, opsize);
    uint16_t cs = (uint16_t)stack_pop(cpu, &st, opsize);
    if (real_or_vm86(cpu)) {
        if (eip > cpu->seg[SEG_CS].limit)
            cpu_raise(cpu, EXC_GP, true, 0);
        stack_release(&st, pop_bytes);
        stack_commit(cpu, &st);
        seg_load_real(cpu, SEG_CS, cs);
        cpu->rip = eip;
        return;
    }
    struct desc d = check_return_cs(cpu, cs);
    stack_release(&st, pop_bytes);
    if ((cs & 3) == (unsigned)cpu->cpl) {
        if (eip > desc_limit(d))
            cpu_raise(cpu, EXC_GP, true, 0);
        desc_set_accessed(cpu, cs, &d);
        stack_commit(cpu, &st);
        load_cs(cpu, cs, d, cpu->cpl);
        cpu->rip = eip;
        return;
    }
    return_outer(cpu, &st, cs, d, eip, opsize, pop_bytes);
}

/* EFLAGS bits an IRET/POPF may write, by operand size. */
static uint32_t merge_flags(uint32_t old, uint32_t popped, uint32_t mask, int opsize)
{
    if (opsize == 2)
        mask &= 0xffff;
    return ((old & ~mask) | (popped & mask) | EFLAGS_FIXED1) & 0x003f7fd7u;
}

#define IRET_BASE_MASK (EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT | EFLAGS_RF | \
                        EFLAGS_AC | EFLAGS_ID)

/* IRET from protected mode into a virtual-8086 task (SDM Vol. 2 IRET, RETURN-TO-VIRTUAL-8086-MODE). */
static void iret_to_vm86(struct cpu *cpu, struct stack *st, uint32_t eip, uint16_t cs,
                         uint32_t flags)
{
    uint32_t esp = stack_pop(cpu, st, 4);
    uint16_t ss = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t es = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t ds = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t fs = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t gs = (uint16_t)stack_pop(cpu, st, 4);
    cpu_set_eflags(cpu, (flags & 0x003f7fd7u) | EFLAGS_FIXED1);
    seg_set_vm86(&cpu->seg[SEG_CS], cs);
    seg_set_vm86(&cpu->seg[SEG_SS], ss);
    seg_set_vm86(&cpu->seg[SEG_ES], es);
    seg_set_vm86(&cpu->seg[SEG_DS], ds);
    seg_set_vm86(&cpu->seg[SEG_FS], fs);
    seg_set_vm86(&cpu->seg[SEG_GS], gs);
    cpu_set_reg32(cpu, R_ESP, esp);
    cpu->rip = eip & 0xffff;
    cpu->cpl = 3;
}

/* IRET with NT=1: return to the task in the current TSS's back link. */
static void iret_task_return(struct cpu *cpu)
{
    uint16_t link = mmu_read16_sys(cpu, linear_addr(cpu, cpu->tr.base, 0));
    uint32_t code = link & 0xfffcu;
    struct desc d;
    if ((link & 4) || !desc_fetch(cpu, link, &d) || desc_is_seg(d) ||
        (desc_type(d) != SYS_TSS16_BUSY && desc_type(d) != SYS_TSS32_BUSY))
        cpu_raise(cpu, EXC_TS, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
    task_switch(cpu, link, d, TASK_IRET, cpu->rip, false, 0, 0);
}

void cpu_iret(struct cpu *cpu, int opsize)
{
    if (cpu_long_mode(cpu)) {
        long_iret(cpu, opsize);
        cpu->priv.nmi_blocked = false;
        return;
    }
    uint32_t old = cpu_get_eflags(cpu);
    struct stack st;

    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)   /* no CR4.VME: IRET is IOPL-sensitive */
        cpu_raise(cpu, EXC_GP, true, 0);
    if (cpu_protected(cpu) && !cpu_vm86(cpu) && (old & EFLAGS_NT)) {
        iret_task_return(cpu);
        cpu->priv.nmi_blocked = false;
        return;
    }

    stack_current(cpu, &st);
    uint32_t eip = stack_pop(cpu, &st, opsize);
    uint16_t cs = (uint16_t)stack_pop(cpu, &st, opsize);
    uint32_t flags = stack_pop(cpu, &st, opsize);

    if (real_or_vm86(cpu)) {
        uint32_t mask = IRET_BASE_MASK | EFLAGS_IF | EFLAGS_IOPL;
        if (cpu_vm86(cpu))   /* v86 keeps IOPL; VM/VIF/VIP never change here */
            mask &= ~EFLAGS_IOPL;
        if (eip > cpu->seg[SEG_CS].limit)
            cpu_raise(cpu, EXC_GP, true, 0);
        stack_commit(cpu, &st);
        seg_load_real(cpu, SEG_CS, cs);
        cpu->rip = eip;
        cpu_set_eflags(cpu, merge_flags(old, flags, mask, opsize));
        cpu->priv.nmi_blocked = false;
        return;
    }

    if (opsize == 4 && (flags & EFLAGS_VM) && cpu->cpl == 0) {
        iret_to_vm86(cpu, &st, eip, cs, flags);
        cpu->priv.nmi_blocked = false;
        return;
    }

    struct desc d = check_return_cs(cpu, cs);
    uint32_t mask = IRET_BASE_MASK;
    if (cpu->cpl <= (int)cpu_iopl(cpu))
        mask |= EFLAGS_IF;
    if (cpu->cpl == 0)
        mask |= EFLAGS_IOPL | EFLAGS_VIF | EFLAGS_VIP;
    uint32_t nflags = merge_flags(old, flags, mask, opsize);

    if ((cs & 3) == (unsigned)cpu->cpl) {
        if (eip > desc_limit(d))
            cpu_raise(cpu, EXC_GP, true, 0);
        desc_set_accessed(cpu, cs, &d);
        stack_commit(cpu, &st);
        load_cs(cpu, cs, d, cpu->cpl);
        cpu->rip = eip;
    } else {
        return_outer(cpu, &st, cs, d, eip, opsize, 0);
    }
    cpu_set_eflags(cpu, nflags);
    cpu->priv.nmi_blocked = false;
}
