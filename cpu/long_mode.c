/*
 * long_mode.c - the system side of IA-32e mode: interrupt and exception
 * delivery through 64-bit IDT gates (with the interrupt stack table of the
 * 64-bit TSS), IRET in IA-32e mode (IRETQ), and far JMP/CALL/RET from 64-bit
 * code to code segments. SYSCALL/SYSRET are in sysregs.c, SWAPGS in
 * ops_control.c, the 4-level page walk in memory/paging.c.
 *
 * Frames are built at local copies of RSP and the registers change only
 * after the last access that can fault, as in transfer.c; a fault during
 * delivery is rolled back by cpu_deliver_interrupt (interrupt.c).
 *
 * Not built: 64-bit call gates (a far JMP/CALL through a gate in IA-32e mode
 * raises #GP with the selector), and far transfers to task gates, which
 * IA-32e mode does not have.
 *
 * Spec: Intel SDM Vol. 3A 6.14 (64-bit mode exception and interrupt
 * handling), 7.7 (the 64-bit TSS), 5.8.3.1 / 3.4.5 (code-segment L and D),
 * Vol. 2 IRET, RET, JMP, CALL pseudocode (IA-32e branches).
 */
#include "cpu/sys_internal.h"
#include "cpu/insn.h"

/* A 64-bit code segment: L = 1, D = 0 (L = 1 with D = 1 is reserved). */
static bool desc_code64(struct desc d) { return (d.hi & 0x00600000u) == 0x00200000u; }

/* 8-byte stack accesses at an explicit RSP (the new stack of a delivery is
 * not SS:RSP yet): #SS(err) when the address is not canonical. */
static void push64(struct cpu *cpu, uint64_t *rsp, uint64_t v, bool sys, uint32_t err)
{
    uint64_t a = *rsp - 8;
    if (!addr_canonical(a))
        cpu_raise(cpu, EXC_SS, true, err);
    if (sys)
        mmu_write64_sys(cpu, a, v);
    else
        mmu_write64(cpu, a, v);
    *rsp = a;
}

/* Pop `size` bytes (2, 4 or 8) at *rsp, which advances. */
static uint64_t pop_n(struct cpu *cpu, uint64_t *rsp, int size, bool code64)
{
    uint64_t a = *rsp;
    if (!code64) {
        /* compatibility mode: SS:ESP through the segment checks */
        uint64_t v = size == 2 ? cpu_read16(cpu, SEG_SS, (uint32_t)a) : cpu_read32(cpu, SEG_SS, (uint32_t)a);
        *rsp = (uint32_t)(a + size);
        return v;
    }
    if (!addr_canonical(a) || !addr_canonical(a + size - 1))
        cpu_raise(cpu, EXC_SS, true, 0);
    uint64_t v = size == 8 ? mmu_read64(cpu, a) : size == 4 ? mmu_read32(cpu, a) : mmu_read16(cpu, a);
    *rsp = a + size;
    return v;
}

/* RSPn (n < 3) or ISTn (ist 1-7) from the 64-bit TSS (SDM Vol. 3A figure 7-11). */
static uint64_t tss64_stack(struct cpu *cpu, int cpl, unsigned ist, uint32_t ext)
{
    uint32_t at = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * (uint32_t)cpl;
    if (!(cpu->tr.flags & SEGF_P) || at + 7 > cpu->tr.limit)
        cpu_raise(cpu, EXC_TS, true, (cpu->tr.sel & 0xfffcu) | ext);
    uint64_t lo = mmu_read32_sys(cpu, sys_linear(cpu, cpu->tr.base, at));
    uint64_t hi = mmu_read32_sys(cpu, sys_linear(cpu, cpu->tr.base, at + 4));
    return lo | hi << 32;
}

void deliver_long(struct cpu *cpu, int vector, enum int_kind kind, bool has_error,
                  uint32_t error_code, uint64_t return_rip)
{
    uint32_t ext = kind == INT_SOFTWARE ? 0 : 1;
    uint32_t idt_code = (uint32_t)vector * 8 + 2 + ext;
    uint32_t entry = (uint32_t)vector * 16;
    if (entry + 15 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, true, idt_code);
    struct desc g;
    g.lo = mmu_read32_sys(cpu, sys_linear(cpu, cpu->idtr.base, entry));
    g.hi = mmu_read32_sys(cpu, sys_linear(cpu, cpu->idtr.base, entry + 4));
    uint64_t off_high = mmu_read32_sys(cpu, sys_linear(cpu, cpu->idtr.base, entry + 8));
    unsigned type = desc_type(g);
    /* only 64-bit interrupt and trap gates (types 14, 15) exist here */
    if (desc_is_seg(g) || (type != SYS_INTGATE32 && type != SYS_TRAPGATE32))
        cpu_raise(cpu, EXC_GP, true, idt_code);
    if (kind == INT_SOFTWARE && (int)desc_dpl(g) < cpu->cpl)
        cpu_raise(cpu, EXC_GP, true, idt_code);
    if (!desc_present(g))
        cpu_raise(cpu, EXC_NP, true, idt_code);

    uint16_t tsel = gate_sel(g);
    uint32_t tcode = (tsel & 0xfffcu) | ext;
    struct desc td;
    if ((tsel & ~3u) == 0)
        cpu_raise(cpu, EXC_GP, true, ext);
    if (!desc_fetch(cpu, tsel, &td) || !desc_is_code(td) || !desc_code64(td)
        || (int)desc_dpl(td) > cpu->cpl)
        cpu_raise(cpu, EXC_GP, true, tcode);
    if (!desc_present(td))
        cpu_raise(cpu, EXC_NP, true, tcode);
    uint64_t target = (g.lo & 0xffff) | (g.hi & 0xffff0000u) | off_high << 32;
    if (!addr_canonical(target))
        cpu_raise(cpu, EXC_GP, true, ext);

    unsigned ist = g.hi & 7;
    int new_cpl = desc_conforming(td) ? cpu->cpl : (int)desc_dpl(td);
    uint64_t rsp = cpu->regs[R_ESP];
    if (new_cpl < cpu->cpl || ist)
        rsp = tss64_stack(cpu, new_cpl, ist, ext);
    rsp &= ~0xfull;     /* the frame is 16-byte aligned (SDM 6.14.2) */

    uint32_t flags = cpu_get_eflags(cpu);
    uint64_t old_rsp = cpu->regs[R_ESP];
    push64(cpu, &rsp, cpu->seg[SEG_SS].sel, true, ext);
    push64(cpu, &rsp, old_rsp, true, ext);
    push64(cpu, &rsp, flags, true, ext);
    push64(cpu, &rsp, cpu->seg[SEG_CS].sel, true, ext);
    push64(cpu, &rsp, return_rip, true, ext);
    if (has_error)
        push64(cpu, &rsp, error_code, true, ext);

    /* Commit. */
    desc_set_accessed(cpu, tsel, &td);
    if (new_cpl != cpu->cpl) {
        /* a privilege change loads a null SS with RPL = the new CPL */
        seg_set_null(&cpu->seg[SEG_SS], (uint16_t)new_cpl);
        cpu->seg[SEG_SS].flags = (uint32_t)new_cpl << 5;
    }
    load_cs(cpu, tsel, td, new_cpl);
    cpu->regs[R_ESP] = rsp;
    cpu->rip = target;
    flags &= ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
    if (type == SYS_INTGATE32)
        flags &= ~EFLAGS_IF;
    cpu_set_eflags(cpu, flags);
}

/* The new SS of a return to 64-bit code or to an outer level. In 64-bit
 * mode a null SS is allowed when the new CPL is not 3 (RPL = CPL). */
static void load_return_ss(struct cpu *cpu, uint16_t ss, int cpl, bool to64, struct segment *out)
{
    if (to64 && (ss & ~3u) == 0 && cpl != 3 && (int)(ss & 3) == cpl) {
        seg_set_null(out, ss);
        out->flags = (uint32_t)cpl << 5;
        return;
    }
    struct desc d;
    seg_check_load_ss(cpu, ss, cpl, EXC_GP, 0, &d);
    seg_set_cache(out, ss, d);
}

/* The end of IRET and far RET: check RIP against the new CS, then commit
 * CS, SS, RSP, RIP; a return to an outer level nulls the data segments the
 * new CPL may not use. */
static void commit_return(struct cpu *cpu, uint16_t cs, struct desc d, const struct segment *ss,
                          uint64_t rsp, uint64_t rip)
{
    int rpl = cs & 3;
    bool to64 = desc_code64(d);
    if (to64 ? !addr_canonical(rip) : (rip & ~0xffffffffull) || rip > desc_limit(d))
        cpu_raise(cpu, EXC_GP, true, 0);
    desc_set_accessed(cpu, cs, &d);
    bool outer = rpl > cpu->cpl;
    load_cs(cpu, cs, d, rpl);
    cpu->seg[SEG_SS] = *ss;
    cpu->regs[R_ESP] = to64 ? rsp : (uint32_t)rsp;
    cpu->rip = rip;
    if (outer)
        seg_invalidate_outer(cpu);
}

/* IRET in IA-32e mode (SDM Vol. 2A IRET, IA-32e-MODE): the frame is RIP,
 * CS, RFLAGS, and (always from 64-bit mode, else on a privilege change)
 * RSP, SS, each of the operand size. Task returns (NT) are #GP(0). */
void long_iret(struct cpu *cpu, int opsize)
{
    uint32_t old = cpu_get_eflags(cpu);
    if (old & EFLAGS_NT)
        cpu_raise(cpu, EXC_GP, true, 0);
    bool code64 = cpu_code64(cpu);
    uint64_t rsp = code64 ? cpu->regs[R_ESP] : (uint32_t)cpu->regs[R_ESP];
    uint64_t rip = pop_n(cpu, &rsp, opsize, code64);
    uint16_t cs = (uint16_t)pop_n(cpu, &rsp, opsize, code64);
    uint32_t flags = (uint32_t)pop_n(cpu, &rsp, opsize, code64);
    if (flags & EFLAGS_VM)
        cpu_raise(cpu, EXC_GP, true, 0);    /* no virtual-8086 mode in IA-32e mode */

    struct desc d = check_return_cs(cpu, cs);
    int rpl = cs & 3;
    bool to64 = desc_code64(d);
    uint64_t nrsp = rsp;
    struct segment ss = cpu->seg[SEG_SS];
    if (code64 || rpl != cpu->cpl) {
        nrsp = pop_n(cpu, &rsp, opsize, code64);
        uint16_t nss = (uint16_t)pop_n(cpu, &rsp, opsize, code64);
        load_return_ss(cpu, nss, rpl, to64, &ss);
    }

    uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT | EFLAGS_RF | EFLAGS_AC | EFLAGS_ID;
    if (cpu->cpl <= (int)((old >> 12) & 3))
        mask |= EFLAGS_IF;
    if (cpu->cpl == 0)
        mask |= EFLAGS_IOPL | EFLAGS_VIF | EFLAGS_VIP;
    if (opsize == 2)
        mask &= 0xffff;
    uint32_t nflags = ((old & ~mask) | (flags & mask) | EFLAGS_FIXED1) & 0x003f7fd7u;

    commit_return(cpu, cs, d, &ss, nrsp, rip);
    cpu_set_eflags(cpu, nflags);
}

/* Far RET from 64-bit code (RETF, REX.W RETF): same or outer level. */
void long_far_ret(struct cpu *cpu, int opsize, uint16_t pop_bytes)
{
    uint64_t rsp = cpu->regs[R_ESP];
    uint64_t rip = pop_n(cpu, &rsp, opsize, true);
    uint16_t cs = (uint16_t)pop_n(cpu, &rsp, opsize, true);
    struct desc d = check_return_cs(cpu, cs);
    int rpl = cs & 3;
    bool to64 = desc_code64(d);
    rsp += pop_bytes;
    struct segment ss = cpu->seg[SEG_SS];
    if (rpl != cpu->cpl) {
        uint64_t nrsp = pop_n(cpu, &rsp, opsize, true);
        uint16_t nss = (uint16_t)pop_n(cpu, &rsp, opsize, true);
        load_return_ss(cpu, nss, rpl, to64, &ss);
        rsp = nrsp + pop_bytes;
    }
    commit_return(cpu, cs, d, &ss, rsp, rip);
}

/* Far JMP/CALL from 64-bit code to a code segment (m16:16/32/64). */
void long_far_transfer(struct cpu *cpu, uint16_t sel, uint64_t off, int opsize,
                       uint64_t next_rip, bool call)
{
    struct desc d;
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    if (!desc_fetch(cpu, sel, &d) || !desc_is_seg(d))
        cpu_raise(cpu, EXC_GP, true, sel & 0xfffcu);   /* gates: not built (see above) */
    check_direct_code(cpu, sel, d);
    bool to64 = desc_code64(d);
    if (!to64)
        off &= opsize == 2 ? 0xffffu : 0xffffffffu;
    if (to64 ? !addr_canonical(off) : off > desc_limit(d))
        cpu_raise(cpu, EXC_GP, true, 0);
    uint64_t rsp = cpu->regs[R_ESP];
    if (call) {
        uint64_t a = rsp - 2 * (uint64_t)opsize;
        if (!addr_canonical(a))
            cpu_raise(cpu, EXC_SS, true, 0);
        if (opsize == 8) {
            mmu_write64(cpu, a + 8, cpu->seg[SEG_CS].sel);
            mmu_write64(cpu, a, next_rip);
        } else if (opsize == 4) {
            mmu_write32(cpu, a + 4, cpu->seg[SEG_CS].sel);
            mmu_write32(cpu, a, (uint32_t)next_rip);
        } else {
            mmu_write16(cpu, a + 2, cpu->seg[SEG_CS].sel);
            mmu_write16(cpu, a, (uint16_t)next_rip);
        }
        rsp = a;
    }
    desc_set_accessed(cpu, sel, &d);
    load_cs(cpu, sel, d, cpu->cpl);
    cpu->regs[R_ESP] = rsp;
    cpu->rip = off;
}
