/*
 * ops_mov.c - data movement: MOV (all forms incl. segment registers), LEA,
 * MOVZX/MOVSX, XCHG, XADD, CMPXCHG, CMPXCHG8B, LDS/LES/LFS/LGS/LSS, XLAT,
 * LAHF/SAHF, NOPs. SDM Vol. 2 per instruction.
 */
#include "cpu/ops.h"

OP(mov_rm_r) { rm_write(cpu, in, in->size, reg_read(cpu, in->reg, in->size)); }
OP(mov_r_rm) { reg_write(cpu, in->reg, in->size, rm_read(cpu, in, in->size)); }
OP(mov_r_imm) { reg_write(cpu, in->rm, in->size, in->imm); }
OP(mov_rm_imm) { rm_write(cpu, in, in->size, in->imm); }
/* A0/A1: MOV AL/eAX, moffs */
static inline uint64_t moffs(const struct insn *in)
{
    return in->addrsize == 8 ? (uint64_t)in->disp : (uint32_t)in->disp;
}
OP(mov_acc_moffs)
{
    uint64_t off = moffs(in);
    reg_write(cpu, R_EAX, in->size, mem_read(cpu, in->seg, off, in->size));
}
OP(mov_moffs_acc)
{
    uint64_t off = moffs(in);
    mem_write(cpu, in->seg, off, in->size, reg_read(cpu, R_EAX, in->size));
}

static inline uint16_t sreg_value(const struct cpu *cpu, int s) { return cpu->seg[s].sel; }

/* 8C: MOV r/m16, Sreg. To a register with 32-bit operand size the upper
 * half is zeroed (Pentium Pro and later, SDM Vol. 2B "MOV"). */
OP(mov_rm_sreg)
{
    if (in->reg >= SEG_COUNT)
        raise_ud(cpu);
    uint16_t v = sreg_value(cpu, in->reg);
    if (in->mod == 3)
        reg_write(cpu, in->rm, in->opsize, v);
    else
        cpu_write16(cpu, in->seg, insn_ea(cpu, in), v);
}

/* 8E: MOV Sreg, r/m16. MOV to CS is #UD; MOV SS holds off interrupts and
 * debug traps until after the next instruction (SDM Vol. 3A 6.8.3). */
OP(mov_sreg_rm)
{
    if (in->reg >= SEG_COUNT || in->reg == SEG_CS)
        raise_ud(cpu);
    uint16_t sel = rm_read(cpu, in, 2);
    seg_load(cpu, in->reg, sel);
    if (in->reg == SEG_SS) {
        cpu->priv.inhibit_irq = true;
        cpu->priv.inhibit_db = true;
    }
}

OP(lea)
{
    reg_write(cpu, in->reg, in->opsize, insn_ea(cpu, in));
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX: source is a byte for B6/BE, a word for B7/BF. */
OP(movzx)
{
    int src_size = (in->opcode & 1) ? 2 : 1;
    reg_write(cpu, in->reg, in->opsize, rm_read(cpu, in, src_size));
}
OP(movsx)
{
    uint64_t v;
    if (in->opcode & 1)
        v = (uint64_t)(int64_t)(int16_t)rm_read(cpu, in, 2);
    else
        v = (uint64_t)(int64_t)(int8_t)rm_read(cpu, in, 1);
    reg_write(cpu, in->reg, in->opsize, v);
}

/* 63 in 64-bit mode: MOVSXD r, r/m32 (without REX.W it moves 32 bits). */
OP(movsxd)
{
    uint64_t v = (uint64_t)(int64_t)(int32_t)rm_read(cpu, in, 4);
    reg_write(cpu, in->reg, in->opsize, v);
}

OP(xchg_rm_r)
{
    int size = in->size;
    uint64_t r = reg_read(cpu, in->reg, size);
    if (in->mod == 3) {
        uint64_t v = reg_read(cpu, in->rm, size);
        reg_write(cpu, in->rm, size, r);
        reg_write(cpu, in->reg, size, v);
        return;
    }
    uint64_t ea = insn_ea(cpu, in);
    uint64_t v = mem_read(cpu, in->seg, ea, size);
    mem_write(cpu, in->seg, ea, size, r);
    reg_write(cpu, in->reg, size, v);
}

/* 91-97: XCHG eAX, reg (90 is NOP) */
OP(xchg_acc_r)
{
    int r = in->rm, size = in->opsize;
    uint64_t a = reg_read(cpu, R_EAX, size), b = reg_read(cpu, r, size);
    reg_write(cpu, R_EAX, size, b);
    reg_write(cpu, r, size, a);
}

OP(xadd)
{
    int size = in->size;
    uint64_t src = reg_read(cpu, in->reg, size);
    uint64_t ea = 0, dst;
    if (in->mod == 3) {
        dst = reg_read(cpu, in->rm, size);
    } else {
        ea = insn_ea(cpu, in);
        dst = mem_read(cpu, in->seg, ea, size);
    }
    uint64_t res = (dst + src) & size_mask(size);
    if (in->mod == 3) {
        reg_write(cpu, in->reg, size, dst);
        reg_write(cpu, in->rm, size, res);
    } else {
        mem_write(cpu, in->seg, ea, size, res);
        reg_write(cpu, in->reg, size, dst);
    }
    flags_lazy(cpu, LF_ADD, size, dst, src, res);
}

/* CMPXCHG r/m, reg: compare with the accumulator. A memory destination is
 * written in both cases (the old value back on failure), SDM Vol. 2A. */
OP(cmpxchg)
{
    int size = in->size;
    uint64_t acc = reg_read(cpu, R_EAX, size);
    uint64_t src = reg_read(cpu, in->reg, size);
    uint64_t ea = 0, dst;
    if (in->mod == 3) {
        dst = reg_read(cpu, in->rm, size);
    } else {
        ea = insn_ea(cpu, in);
        dst = mem_read(cpu, in->seg, ea, size);
    }
    bool equal = acc == dst;
    if (in->mod == 3) {
        if (equal)
            reg_write(cpu, in->rm, size, src);
    } else {
        mem_write(cpu, in->seg, ea, size, equal ? src : dst);
    }
    if (!equal)
        reg_write(cpu, R_EAX, size, dst);
    flags_lazy(cpu, LF_SUB, size, acc, dst, (acc - dst) & size_mask(size));
}

/* CMPXCHG16B m128 (REX.W): #GP(0) unless 16-byte aligned (SDM Vol. 2A). */
static void cmpxchg16b(struct cpu *cpu, const struct insn *in)
{
    uint64_t ea = insn_ea(cpu, in);
    if (linear_addr(cpu, in->seg >= SEG_FS ? cpu->seg[in->seg].base : 0, ea) & 15)
        raise_gp0(cpu);
    uint64_t lo = cpu_read64(cpu, in->seg, ea), hi = cpu_read64(cpu, in->seg, ea + 8);
    if (lo == cpu->regs[R_EAX] && hi == cpu->regs[R_EDX]) {
        cpu_probe_write(cpu, in->seg, ea, 16);
        cpu_write64(cpu, in->seg, ea, cpu->regs[R_EBX]);
        cpu_write64(cpu, in->seg, ea + 8, cpu->regs[R_ECX]);
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
    } else {
        cpu_probe_write(cpu, in->seg, ea, 16);
        cpu_write64(cpu, in->seg, ea, lo);
        cpu_write64(cpu, in->seg, ea + 8, hi);
        cpu->regs[R_EAX] = lo;
        cpu->regs[R_EDX] = hi;
        flags_set(cpu, EFLAGS_ZF, 0);
    }
}

OP(cmpxchg8b)
{
    if (in->opsize == 8) {
        cmpxchg16b(cpu, in);
        return;
    }
    uint64_t ea = insn_ea(cpu, in);
    uint64_t m = cpu_read64(cpu, in->seg, ea);
    uint64_t cmp = ((uint64_t)cpu_reg32(cpu, R_EDX) << 32) | cpu_reg32(cpu, R_EAX);
    if (m == cmp) {
        cpu_write64(cpu, in->seg, ea, ((uint64_t)cpu_reg32(cpu, R_ECX) << 32) | cpu_reg32(cpu, R_EBX));
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
    } else {
        cpu_write64(cpu, in->seg, ea, m);
        cpu_set_reg32(cpu, R_EAX, (uint32_t)m);
        cpu_set_reg32(cpu, R_EDX, (uint32_t)(m >> 32));
        flags_set(cpu, EFLAGS_ZF, 0);
    }
}

/* LDS/LES/LFS/LGS/LSS: offset then selector from memory. The segment load
 * comes first so that a fault leaves the register unchanged. */
static void load_far_pointer(struct cpu *cpu, const struct insn *in, int sreg)
{
    uint64_t ea = insn_ea(cpu, in);
    int size = in->opsize;
    uint64_t off = mem_read(cpu, in->seg, ea, size);
    uint64_t sel_off = ea + size;
    if (in->addrsize == 2)
        sel_off &= 0xffff;
    else if (in->addrsize == 4)
        sel_off = (uint32_t)sel_off;
    uint16_t sel = cpu_read16(cpu, in->seg, sel_off);
    seg_load(cpu, sreg, sel);
    reg_write(cpu, in->reg, size, off);
}
OP(les) { load_far_pointer(cpu, in, SEG_ES); }
OP(lds) { load_far_pointer(cpu, in, SEG_DS); }
OP(lss) { load_far_pointer(cpu, in, SEG_SS); }
OP(lfs) { load_far_pointer(cpu, in, SEG_FS); }
OP(lgs) { load_far_pointer(cpu, in, SEG_GS); }

OP(xlat)
{
    uint64_t off = (areg_get(cpu, R_EBX, in->addrsize) + (cpu_reg32(cpu, R_EAX) & 0xff))
                 & size_mask(in->addrsize);
    reg_write8(cpu, R_EAX, cpu_read8(cpu, in->seg, off));
}

/* LAHF: AH = SF ZF 0 AF 0 PF 1 CF */
OP(lahf)
{
    uint32_t f = flags_arith(cpu);
    reg_write8(cpu, 4, (uint8_t)((f & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF | EFLAGS_CF)) | 2));
}

OP(sahf)
{
    uint32_t ah = (cpu_reg32(cpu, R_EAX) >> 8) & 0xff;
    uint32_t m = EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF | EFLAGS_CF;
    flags_set(cpu, m, ah);
}

/* 90 NOP (F3 90 PAUSE is the same here) */
OP(nop) { }
/* 0F 19-1F: hint NOPs with a ModRM operand that is not accessed */
OP(nop_rm) { }
