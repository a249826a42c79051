/*
 * ops_alu.c - integer arithmetic: ADD/OR/ADC/SBB/AND/SUB/XOR/CMP, TEST,
 * INC/DEC, NOT/NEG, MUL/IMUL/DIV/IDIV, the BCD adjustments, CBW/CWD.
 * SDM Vol. 2 per instruction; flags in Vol. 1 appendix A.
 *
 * Flags the SDM leaves undefined are set as Intel processors set them:
 * - AND/OR/XOR/TEST: AF = 0.
 * - MUL/IMUL: SF, ZF, PF from the low half of the result, AF = 0.
 * - DIV/IDIV: all arithmetic flags unchanged.
 * - BCD: see each handler.
 */
#include "cpu/ops.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* One ALU operation with its flags; the caller writes the result back
 * (except for CMP). */
static inline uint64_t alu(struct cpu *cpu, int op, int size, uint64_t dst, uint64_t src)
{
    uint64_t res, cf;
    uint64_t mask = size_mask(size);
    dst &= mask;
    src &= mask;
    switch (op) {
    case ALU_ADD:
        res = (dst + src) & mask;
        flags_lazy(cpu, LF_ADD, size, dst, src, res);
        return res;
    case ALU_OR:
        res = dst | src;
        flags_lazy(cpu, LF_LOGIC, size, dst, src, res);
        return res;
    case ALU_ADC:
        cf = flags_cf(cpu);
        res = (dst + src + cf) & mask;
        flags_lazy(cpu, cf ? LF_ADC : LF_ADD, size, dst, src, res);
        return res;
    case ALU_SBB:
        cf = flags_cf(cpu);
        res = (dst - src - cf) & mask;
        flags_lazy(cpu, cf ? LF_SBB : LF_SUB, size, dst, src, res);
        return res;
    case ALU_AND:
        res = dst & src;
        flags_lazy(cpu, LF_LOGIC, size, dst, src, res);
        return res;
    case ALU_XOR:
        res = dst ^ src;
        flags_lazy(cpu, LF_LOGIC, size, dst, src, res);
        return res;
    default: /* SUB, CMP */
        res = (dst - src) & mask;
        flags_lazy(cpu, LF_SUB, size, dst, src, res);
        return res;
    }
}

/* 00-3D: op r/m, reg (even rows 0/1) */
OP(alu_rm_r)
{
    int op = (in->opcode >> 3) & 7, size = in->size;
    uint64_t src = reg_read(cpu, in->reg, size);
    if (in->mod == 3) {
        uint64_t res = alu(cpu, op, size, reg_read(cpu, in->rm, size), src);
        if (op != ALU_CMP)
            reg_write(cpu, in->rm, size, res);
        return;
    }
    /* a faulting write restores the flags (cpu_exec keeps a copy) */
    uint64_t ea = insn_ea(cpu, in);
    uint64_t res = alu(cpu, op, size, mem_read(cpu, in->seg, ea, size), src);
    if (op != ALU_CMP)
        mem_write(cpu, in->seg, ea, size, res);
}

/* 02-3B: op reg, r/m */
OP(alu_r_rm)
{
    int op = (in->opcode >> 3) & 7, size = in->size;
    uint64_t src = rm_read(cpu, in, size);
    uint64_t res = alu(cpu, op, size, reg_read(cpu, in->reg, size), src);
    if (op != ALU_CMP)
        reg_write(cpu, in->reg, size, res);
}

/* 04-3D: op AL/AX/EAX, imm */
OP(alu_acc_imm)
{
    int op = (in->opcode >> 3) & 7, size = in->size;
    uint64_t res = alu(cpu, op, size, reg_read(cpu, R_EAX, size), in->imm);
    if (op != ALU_CMP)
        reg_write(cpu, R_EAX, size, res);
}

/* Read-modify-write of the r/m operand. If the write faults, cpu_exec puts
 * back the flags saved before the instruction (precise faults). */
#define RMW_BEGIN(size)                                                        \
    uint64_t ea_ = 0, dst_;                                                    \
    if (in->mod == 3)                                                          \
        dst_ = reg_read(cpu, in->rm, size);                                    \
    else {                                                                     \
        ea_ = insn_ea(cpu, in);                                                \
        dst_ = mem_read(cpu, in->seg, ea_, size);                              \
    }
#define RMW_END(size, res)                                                     \
    if (in->mod == 3)                                                          \
        reg_write(cpu, in->rm, size, res);                                     \
    else                                                                       \
        mem_write(cpu, in->seg, ea_, size, res);

/* 80-83 group 1 */
OP(alu_rm_imm)
{
    int op = in->reg, size = in->size;
    RMW_BEGIN(size);
    uint64_t res = alu(cpu, op, size, dst_, in->imm);
    if (op != ALU_CMP) {
        RMW_END(size, res);
    }
}

OP(test_rm_r)
{
    int size = in->size;
    uint64_t res = rm_read(cpu, in, size) & reg_read(cpu, in->reg, size);
    flags_lazy(cpu, LF_LOGIC, size, 0, 0, res);
}

OP(test_acc_imm)
{
    int size = in->size;
    uint64_t res = reg_read(cpu, R_EAX, size) & in->imm;
    flags_lazy(cpu, LF_LOGIC, size, 0, 0, res);
}

OP(test_rm_imm)
{
    int size = in->size;
    uint64_t res = rm_read(cpu, in, size) & in->imm;
    flags_lazy(cpu, LF_LOGIC, size, 0, 0, res);
}

OP(inc_r)
{
    int r = in->rm, size = in->opsize;
    uint64_t dst = reg_read(cpu, r, size), res = (dst + 1) & size_mask(size);
    flags_lazy_incdec(cpu, LF_INC, size, dst, res);
    reg_write(cpu, r, size, res);
}

OP(dec_r)
{
    int r = in->rm, size = in->opsize;
    uint64_t dst = reg_read(cpu, r, size), res = (dst - 1) & size_mask(size);
    flags_lazy_incdec(cpu, LF_DEC, size, dst, res);
    reg_write(cpu, r, size, res);
}

OP(inc_rm)
{
    int size = in->size;
    RMW_BEGIN(size);
    uint64_t res = (dst_ + 1) & size_mask(size);
    RMW_END(size, res);
    flags_lazy_incdec(cpu, LF_INC, size, dst_, res);
}

OP(dec_rm)
{
    int size = in->size;
    RMW_BEGIN(size);
    uint64_t res = (dst_ - 1) & size_mask(size);
    RMW_END(size, res);
    flags_lazy_incdec(cpu, LF_DEC, size, dst_, res);
}

OP(not_rm)
{
    int size = in->size;
    RMW_BEGIN(size);
    uint64_t res = ~dst_ & size_mask(size);
    RMW_END(size, res);
}

OP(neg_rm)
{
    int size = in->size;
    RMW_BEGIN(size);
    uint64_t res = (0 - dst_) & size_mask(size);
    RMW_END(size, res);
    flags_lazy(cpu, LF_SUB, size, 0, dst_, res);
}

/* --- multiply and divide ----------------------------------------------------- */

static void mul_flags(struct cpu *cpu, int size, uint64_t low, bool overflow)
{
    uint32_t f = flags_szp(low, size);
    if (overflow)
        f |= EFLAGS_CF | EFLAGS_OF;
    flags_set(cpu, EFLAGS_ARITH, f);
}

OP(mul_rm)
{
    int size = in->size;
    uint64_t src = rm_read(cpu, in, size);
    if (size == 8) {
        unsigned __int128 r = (unsigned __int128)cpu->regs[R_EAX] * src;
        cpu->regs[R_EAX] = (uint64_t)r;
        cpu->regs[R_EDX] = (uint64_t)(r >> 64);
        mul_flags(cpu, 8, (uint64_t)r, (r >> 64) != 0);
        return;
    }
    if (size == 1) {
        uint32_t r = (cpu_reg32(cpu, R_EAX) & 0xff) * src;
        reg_write(cpu, R_EAX, 2, r);
        mul_flags(cpu, 1, r, r >> 8);
    } else if (size == 2) {
        uint32_t r = (cpu_reg32(cpu, R_EAX) & 0xffff) * src;
        reg_write(cpu, R_EAX, 2, r);
        reg_write(cpu, R_EDX, 2, r >> 16);
        mul_flags(cpu, 2, r, r >> 16);
    } else {
        uint64_t r = (uint64_t)cpu_reg32(cpu, R_EAX) * src;
        cpu_set_reg32(cpu, R_EAX, (uint32_t)r);
        cpu_set_reg32(cpu, R_EDX, (uint32_t)(r >> 32));
        mul_flags(cpu, 4, (uint32_t)r, r >> 32);
    }
}

OP(imul_rm)
{
    int size = in->size;
    uint64_t src = rm_read(cpu, in, size);
    if (size == 8) {
        __int128 r = (__int128)(int64_t)cpu->regs[R_EAX] * (int64_t)src;
        cpu->regs[R_EAX] = (uint64_t)r;
        cpu->regs[R_EDX] = (uint64_t)((unsigned __int128)r >> 64);
        mul_flags(cpu, 8, (uint64_t)r, r != (int64_t)r);
        return;
    }
    if (size == 1) {
        int32_t r = (int8_t)cpu_reg32(cpu, R_EAX) * (int8_t)src;
        reg_write(cpu, R_EAX, 2, (uint32_t)r);
        mul_flags(cpu, 1, (uint32_t)r, r != (int8_t)r);
    } else if (size == 2) {
        int32_t r = (int16_t)cpu_reg32(cpu, R_EAX) * (int16_t)src;
        reg_write(cpu, R_EAX, 2, (uint32_t)r);
        reg_write(cpu, R_EDX, 2, (uint32_t)r >> 16);
        mul_flags(cpu, 2, (uint32_t)r, r != (int16_t)r);
    } else {
        int64_t r = (int64_t)(int32_t)cpu_reg32(cpu, R_EAX) * (int32_t)src;
        cpu_set_reg32(cpu, R_EAX, (uint32_t)r);
        cpu_set_reg32(cpu, R_EDX, (uint32_t)((uint64_t)r >> 32));
        mul_flags(cpu, 4, (uint32_t)r, r != (int32_t)r);
    }
}

static uint64_t imul2(struct cpu *cpu, int size, uint64_t a, uint64_t b)
{
    if (size == 8) {
        __int128 r = (__int128)(int64_t)a * (int64_t)b;
        mul_flags(cpu, 8, (uint64_t)r, r != (int64_t)r);
        return (uint64_t)r;
    }
    if (size == 2) {
        int32_t r = (int16_t)a * (int16_t)b;
        mul_flags(cpu, 2, (uint32_t)r, r != (int16_t)r);
        return (uint32_t)r & 0xffff;
    }
    int64_t r = (int64_t)(int32_t)a * (int32_t)b;
    mul_flags(cpu, 4, (uint32_t)r, r != (int32_t)r);
    return (uint32_t)r;
}

/* 0F AF: IMUL reg, r/m */
OP(imul_r_rm)
{
    int size = in->opsize;
    uint64_t src = rm_read(cpu, in, size);
    reg_write(cpu, in->reg, size, imul2(cpu, size, reg_read(cpu, in->reg, size), src));
}

/* 69, 6B: IMUL reg, r/m, imm */
OP(imul_r_rm_imm)
{
    int size = in->opsize;
    uint64_t src = rm_read(cpu, in, size);
    reg_write(cpu, in->reg, size, imul2(cpu, size, src, in->imm));
}

static _Noreturn void raise_de(struct cpu *cpu) { cpu_raise(cpu, EXC_DE, false, 0); }

OP(div_rm)
{
    int size = in->size;
    uint64_t src = rm_read(cpu, in, size);
    if (src == 0)
        raise_de(cpu);
    if (size == 8) {
        unsigned __int128 n = ((unsigned __int128)cpu->regs[R_EDX] << 64) | cpu->regs[R_EAX];
        unsigned __int128 q = n / src;
        if (q >> 64)
            raise_de(cpu);
        cpu->regs[R_EAX] = (uint64_t)q;
        cpu->regs[R_EDX] = (uint64_t)(n % src);
        return;
    }
    if (size == 1) {
        uint32_t n = cpu_reg32(cpu, R_EAX) & 0xffff, q = n / src;
        if (q > 0xff)
            raise_de(cpu);
        reg_write(cpu, R_EAX, 2, ((n % src) << 8) | q);
    } else if (size == 2) {
        uint32_t n = ((cpu_reg32(cpu, R_EDX) & 0xffff) << 16) | (cpu_reg32(cpu, R_EAX) & 0xffff);
        uint32_t q = n / src;
        if (q > 0xffff)
            raise_de(cpu);
        reg_write(cpu, R_EAX, 2, q);
        reg_write(cpu, R_EDX, 2, n % src);
    } else {
        uint64_t n = ((uint64_t)cpu_reg32(cpu, R_EDX) << 32) | cpu_reg32(cpu, R_EAX);
        uint64_t q = n / src;
        if (q > 0xffffffffull)
            raise_de(cpu);
        cpu_set_reg32(cpu, R_EAX, (uint32_t)q);
        cpu_set_reg32(cpu, R_EDX, (uint32_t)(n % src));
    }
}

OP(idiv_rm)
{
    int size = in->size;
    uint64_t src = rm_read(cpu, in, size);
    if (src == 0)
        raise_de(cpu);
    if (size == 8) {
        __int128 n = (__int128)(((unsigned __int128)cpu->regs[R_EDX] << 64) | cpu->regs[R_EAX]);
        __int128 d = (int64_t)src;
        /* INT128_MIN / -1 does not fit either: #DE before the host divides */
        if (d == -1 && n == (__int128)((unsigned __int128)1 << 127))
            raise_de(cpu);
        __int128 q = n / d, r = n % d;
        if (q != (int64_t)q)
            raise_de(cpu);
        cpu->regs[R_EAX] = (uint64_t)q;
        cpu->regs[R_EDX] = (uint64_t)r;
        return;
    }
    if (size == 1) {
        int32_t n = (int16_t)cpu_reg32(cpu, R_EAX), d = (int8_t)src;
        int32_t q = n / d, r = n % d;
        if (q != (int8_t)q)
            raise_de(cpu);
        reg_write(cpu, R_EAX, 2, ((uint32_t)(r & 0xff) << 8) | (q & 0xff));
    } else if (size == 2) {
        int32_t n = (int32_t)(((cpu_reg32(cpu, R_EDX) & 0xffff) << 16) | (cpu_reg32(cpu, R_EAX) & 0xffff));
        int32_t d = (int16_t)src;
        int64_t q = (int64_t)n / d, r = (int64_t)n % d;
        if (q != (int16_t)q)
            raise_de(cpu);
        reg_write(cpu, R_EAX, 2, (uint32_t)q);
        reg_write(cpu, R_EDX, 2, (uint32_t)r);
    } else {
        int64_t n = (int64_t)(((uint64_t)cpu_reg32(cpu, R_EDX) << 32) | cpu_reg32(cpu, R_EAX));
        int64_t d = (int32_t)src;
        /* INT64_MIN / -1 overflows the host too: that is a #DE anyway */
        if (n == INT64_MIN && d == -1)
            raise_de(cpu);
        int64_t q = n / d, r = n % d;
        if (q != (int32_t)q)
            raise_de(cpu);
        cpu_set_reg32(cpu, R_EAX, (uint32_t)q);
        cpu_set_reg32(cpu, R_EDX, (uint32_t)r);
    }
}

/* --- BCD (SDM Vol. 2A DAA/DAS/AAA/AAS/AAM/AAD) ------------------------------- */

/* DAA/DAS: OF is undefined; Intel processors set it from the signed
 * overflow of the adjustment add/sub (what the 80286/386 vectors show). */
OP(daa)
{
    uint32_t f = flags_arith(cpu);
    uint8_t al = cpu_reg32(cpu, R_EAX), old = al;
    bool cf = f & EFLAGS_CF, af = false;
    if ((al & 0xf) > 9 || (f & EFLAGS_AF)) {
        al += 6;
        af = true;
    }
    if (old > 0x99 || cf) {
        al += 0x60;
        cf = true;
    } else {
        cf = false;
    }
    reg_write8(cpu, R_EAX, al);
    uint32_t nf = flags_szp(al, 1) | (cf ? EFLAGS_CF : 0) | (af ? EFLAGS_AF : 0);
    if (((old ^ al) & (al ^ 0)) & 0x80 && !(old & 0x80))
        nf |= EFLAGS_OF;
    flags_set(cpu, EFLAGS_ARITH, nf);
}

OP(das)
{
    uint32_t f = flags_arith(cpu);
    uint8_t al = cpu_reg32(cpu, R_EAX), old = al;
    bool cf = f & EFLAGS_CF, af = false;
    bool newcf = false;
    if ((al & 0xf) > 9 || (f & EFLAGS_AF)) {
        newcf = cf || al < 6;
        al -= 6;
        af = true;
    }
    if (old > 0x99 || cf) {
        al -= 0x60;
        newcf = true;
    }
    reg_write8(cpu, R_EAX, al);
    uint32_t nf = flags_szp(al, 1) | (newcf ? EFLAGS_CF : 0) | (af ? EFLAGS_AF : 0);
    if ((old & 0x80) && !(al & 0x80))
        nf |= EFLAGS_OF;
    flags_set(cpu, EFLAGS_ARITH, nf);
}

/* AAA/AAS: OF, SF, ZF, PF undefined; set from the AL result (Intel). */
OP(aaa)
{
    uint32_t f = flags_arith(cpu);
    uint32_t ax = cpu_reg32(cpu, R_EAX) & 0xffff;
    bool adj = (ax & 0xf) > 9 || (f & EFLAGS_AF);
    if (adj) {
        ax = (ax + 0x106) & 0xffff;
    }
    ax &= 0xff0f;
    reg_write(cpu, R_EAX, 2, ax);
    flags_set(cpu, EFLAGS_ARITH, flags_szp(ax, 1) | (adj ? EFLAGS_AF | EFLAGS_CF : 0));
}

OP(aas)
{
    uint32_t f = flags_arith(cpu);
    uint32_t ax = cpu_reg32(cpu, R_EAX) & 0xffff;
    bool adj = (ax & 0xf) > 9 || (f & EFLAGS_AF);
    if (adj) {
        /* AX - 6 borrows from AH, then AH - 1 (SDM Vol. 2A "AAS", 386 and later) */
        ax = (ax - 6) & 0xffff;
        ax = (ax - 0x100) & 0xffff;
    }
    ax &= 0xff0f;
    reg_write(cpu, R_EAX, 2, ax);
    flags_set(cpu, EFLAGS_ARITH, flags_szp(ax, 1) | (adj ? EFLAGS_AF | EFLAGS_CF : 0));
}

/* AAM: SF, ZF, PF from AL; OF, AF, CF undefined: cleared (Intel). */
OP(aam)
{
    uint8_t base = in->imm;
    if (base == 0)
        cpu_raise(cpu, EXC_DE, false, 0);
    uint8_t al = cpu_reg32(cpu, R_EAX);
    uint32_t ax = ((uint32_t)(al / base) << 8) | (al % base);
    reg_write(cpu, R_EAX, 2, ax);
    flags_set(cpu, EFLAGS_ARITH, flags_szp(ax, 1));
}

/* AAD: SF, ZF, PF from AL; OF, AF, CF undefined: those of the 8-bit add
 * AL + AH * imm (Intel). */
OP(aad)
{
    uint8_t al = cpu_reg32(cpu, R_EAX), ah = cpu_reg32(cpu, R_EAX) >> 8;
    uint8_t t = (uint8_t)(ah * (uint8_t)in->imm);
    uint8_t r = al + t;
    reg_write(cpu, R_EAX, 2, r);
    flags_lazy(cpu, LF_ADD, 1, al, t, r);
}

/* D6 SALC (undocumented, all Intel processors): AL = CF ? FF : 00. */
OP(salc)
{
    reg_write8(cpu, R_EAX, flags_cf(cpu) ? 0xff : 0);
}

/* 98: CBW / CWDE / CDQE */
OP(cbw)
{
    if (in->opsize == 8)
        cpu->regs[R_EAX] = (uint64_t)(int64_t)(int32_t)cpu_reg32(cpu, R_EAX);
    else if (in->opsize == 2)
        reg_write(cpu, R_EAX, 2, (uint32_t)(int32_t)(int8_t)cpu_reg32(cpu, R_EAX));
    else
        cpu_set_reg32(cpu, R_EAX, (uint32_t)(int32_t)(int16_t)cpu_reg32(cpu, R_EAX));
}

/* 99: CWD / CDQ / CQO */
OP(cwd)
{
    if (in->opsize == 8)
        cpu->regs[R_EDX] = (cpu->regs[R_EAX] >> 63) ? ~0ull : 0;
    else if (in->opsize == 2)
        reg_write(cpu, R_EDX, 2, (cpu_reg32(cpu, R_EAX) & 0x8000) ? 0xffff : 0);
    else
        cpu_set_reg32(cpu, R_EDX, (cpu_reg32(cpu, R_EAX) & 0x80000000u) ? 0xffffffffu : 0);
}
