/*
 * ops_stack.c - PUSH/POP (registers, memory, immediates, segment
 * registers), PUSHA/POPA, PUSHF/POPF with the IOPL and VM rules,
 * ENTER/LEAVE. SDM Vol. 2B per instruction.
 *
 * Memory is accessed before ESP changes; if anything faults cpu_exec puts
 * ESP back, so every stack instruction is restartable.
 */
#include "cpu/ops.h"

OP(push_r) { push(cpu, in->opsize, reg_read(cpu, in->rm, in->opsize)); }

OP(pop_r)
{
    uint64_t v = pop(cpu, in->opsize);
    reg_write(cpu, in->rm, in->opsize, v);   /* POP eSP: the popped value wins */
}

OP(push_imm) { push(cpu, in->opsize, in->imm); }

OP(push_rm) { push(cpu, in->opsize, rm_read(cpu, in, in->opsize)); }

/* 8F /0: POP r/m. An ESP-based address is computed after ESP is
 * incremented (SDM Vol. 2B "POP"). */
OP(pop_rm)
{
    int size = in->opsize;
    uint64_t v = stack_peek(cpu, size, 0);
    sp_set(cpu, sp_get(cpu) + size);
    rm_write(cpu, in, size, v);
}

static int sreg_of(const struct insn *in)
{
    switch (in->opcode) {
    case 0x1a0: case 0x1a1: return SEG_FS;
    case 0x1a8: case 0x1a9: return SEG_GS;
    default: return (in->opcode >> 3) & 3;   /* 06 ES, 0E CS, 16 SS, 1E DS */
    }
}

/* PUSH Sreg with 32-bit operand size moves ESP by 4 but writes only the
 * low 16 bits (Intel processors since the Pentium Pro). */
OP(push_sreg)
{
    uint16_t sel = cpu->seg[sreg_of(in)].sel;
    if (in->opsize == 2) {
        push(cpu, 2, sel);
        return;
    }
    uint64_t sp = (sp_get(cpu) - in->opsize) & sp_mask(cpu);
    cpu_write16(cpu, SEG_SS, sp, sel);
    sp_set(cpu, sp);
}

OP(pop_sreg)
{
    int s = sreg_of(in);
    uint16_t sel = stack_peek(cpu, in->opsize, 0);
    /* The pop is sized by the OLD stack: compute ESP before POP SS changes
     * SS.B (test386 POST 09: o32 pop ss from a 16-bit stack). */
    uint64_t mask = sp_mask(cpu);
    uint64_t rsp = cpu->regs[R_ESP];
    uint64_t nsp = (rsp & ~mask) | ((rsp + in->opsize) & mask);
    seg_load(cpu, s, sel);
    if (mask == ~0ull)
        cpu->regs[R_ESP] = nsp;
    else
        cpu_set_reg32(cpu, R_ESP, (uint32_t)nsp);
    if (s == SEG_SS) {
        cpu->priv.inhibit_irq = true;
        cpu->priv.inhibit_db = true;
    }
}

OP(pusha)
{
    int size = in->opsize;
    uint32_t sp0 = reg_read(cpu, R_ESP, size);
    for (int r = R_EAX; r <= R_EDI; r++)
        push(cpu, size, r == R_ESP ? sp0 : reg_read(cpu, r, size));
}

OP(popa)
{
    int size = in->opsize;
    uint32_t v[8];
    for (int i = 0; i < 8; i++)
        v[7 - i] = stack_peek(cpu, size, (uint32_t)(i * size));
    for (int r = R_EAX; r <= R_EDI; r++)
        if (r != R_ESP)
            reg_write(cpu, r, size, v[r]);
    sp_set(cpu, sp_get(cpu) + 8 * size);
}

/* PUSHF: #GP(0) in v86 mode with IOPL < 3; VM and RF read as 0 in the image. */
OP(pushf)
{
    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)
        raise_gp0(cpu);
    uint32_t f = cpu_get_eflags(cpu) & ~(EFLAGS_VM | EFLAGS_RF);
    push(cpu, in->opsize, f);
}

/* POPF (SDM Vol. 2B "POPF"): in real mode and at CPL 0 everything but VM,
 * RF, VIF, VIP may change; IOPL only at CPL 0; IF only when CPL <= IOPL;
 * in v86 mode (IOPL 3) IOPL stays. */
OP(popf)
{
    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)
        raise_gp0(cpu);
    int size = in->opsize;
    uint32_t v = (uint32_t)stack_peek(cpu, size, 0);
    uint32_t changeable = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT | EFLAGS_IF | EFLAGS_IOPL;
    if (size >= 4)
        changeable |= EFLAGS_AC | EFLAGS_ID;
    if (cpu_vm86(cpu)) {
        changeable &= ~EFLAGS_IOPL;
    } else if (cpu_protected(cpu)) {
        if (cpu->cpl > 0)
            changeable &= ~EFLAGS_IOPL;
        if (cpu->cpl > cpu_iopl(cpu))
            changeable &= ~EFLAGS_IF;
    }
    sp_set(cpu, sp_get(cpu) + size);
    flags_materialize(cpu);
    cpu->rflags = ((cpu->rflags & ~changeable) | (v & changeable)) & ~EFLAGS_RF;
    cpu->rflags |= EFLAGS_FIXED1;
}

/* ENTER imm16, imm8 (SDM Vol. 2A "ENTER"): the level is taken mod 32. */
OP(enter)
{
    int size = in->opsize;
    uint64_t mask = sp_mask(cpu);
    int ssize = mask == ~0ull ? 8 : mask == 0xffffffffu ? 4 : 2;   /* stack address size */
    uint64_t alloc = in->imm & 0xffff;
    unsigned level = in->imm2 & 31;
    uint64_t sp = sp_get(cpu);
    uint64_t bp = cpu->regs[R_EBP] & mask;

    sp = (sp - size) & mask;
    mem_write(cpu, SEG_SS, sp, size, reg_read(cpu, R_EBP, size));
    /* FrameTemp is the whole ESP: on a 16-bit stack its upper half is kept,
     * as a real 386 does (test386 POST 1A: o32 enter on a 16-bit stack). */
    uint64_t frame = ssize == 8 ? sp : (uint32_t)((cpu->regs[R_ESP] & ~mask) | sp);
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - size) & mask;
            uint64_t v = mem_read(cpu, SEG_SS, bp, size);
            sp = (sp - size) & mask;
            mem_write(cpu, SEG_SS, sp, size, v);
        }
        sp = (sp - size) & mask;
        mem_write(cpu, SEG_SS, sp, size, frame);
    }
    sp = (sp - alloc) & mask;
    /* the new stack top must be writable: #SS/#PF now, not at the next push */
    if (alloc)
        cpu_probe_write(cpu, SEG_SS, sp, 1);
    reg_write(cpu, R_EBP, ssize, frame);
    sp_set(cpu, sp);
}

/* LEAVE: eSP = eBP, then pop eBP. */
OP(leave)
{
    int size = in->opsize;
    uint64_t bp = cpu->regs[R_EBP] & sp_mask(cpu);
    uint64_t v = mem_read(cpu, SEG_SS, bp, size);
    sp_set(cpu, bp + size);
    reg_write(cpu, R_EBP, size, v);
}
