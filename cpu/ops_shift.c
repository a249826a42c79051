/*
 * ops_shift.c - ROL/ROR/RCL/RCR/SHL/SHR/SAL/SAR and SHLD/SHRD
 * (SDM Vol. 2B "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD").
 *
 * The count is masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes nothing, not
 * even flags. Where the SDM leaves a flag undefined, we follow Intel parts:
 * - OF for counts > 1 uses the count-1 formula on the final result
 *   (SHL: MSB(res) ^ CF; SHR: MSB of the operand shifted count-1 times ^
 *   MSB(res); SAR: 0; ROL: MSB(res) ^ CF; ROR/RCR: the two top bits of res
 *   differ; RCL: MSB(res) ^ CF).
 * - AF after shifts: cleared.
 * - CF of SHL/SHR by counts beyond the operand width: the bit the
 *   operand would shift out past its width, i.e. 0.
 * - SHLD/SHRD 16-bit with count > 16: the operand is taken as
 *   dst:src:dst (48 bits), which is what Intel processors return.
 */
#include "cpu/ops.h"

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* Returns the result and updates flags. count is already masked, != 0
 * (at most 31, or 63 for 64-bit operands). */
static uint64_t shift(struct cpu *cpu, int op, int size, uint64_t dst, unsigned count)
{
    int bits = size * 8;
    uint64_t mask = size_mask(size), sign = size_sign(size);
    uint32_t f = flags_arith(cpu);
    uint64_t res;
    uint32_t cf, of;
    dst &= mask;

    switch (op) {
    case SH_ROL: {
        unsigned c = count & (bits - 1);
        res = c ? ((dst << c) | (dst >> (bits - c))) & mask : dst;
        cf = res & 1;
        of = !!(res & sign) ^ cf;
        flags_set(cpu, EFLAGS_CF | EFLAGS_OF, (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0));
        return res;
    }
    case SH_ROR: {
        unsigned c = count & (bits - 1);
        res = c ? ((dst >> c) | (dst << (bits - c))) & mask : dst;
        cf = !!(res & sign);
        of = cf ^ !!(res & (sign >> 1));
        flags_set(cpu, EFLAGS_CF | EFLAGS_OF, (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0));
        return res;
    }
    case SH_RCL: {
        unsigned c = count % (bits + 1);
        unsigned __int128 all = ((unsigned __int128)2 << bits) - 1;
        unsigned __int128 v = ((unsigned __int128)((f & EFLAGS_CF) ? 1 : 0) << bits) | dst;   /* CF:dst */
        if (c)
            v = ((v << c) | (v >> (bits + 1 - c))) & all;
        res = (uint64_t)v & mask;
        cf = (uint32_t)(v >> bits) & 1;
        of = !!(res & sign) ^ cf;
        flags_set(cpu, EFLAGS_CF | EFLAGS_OF, (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0));
        return res;
    }
    case SH_RCR: {
        unsigned c = count % (bits + 1);
        unsigned __int128 all = ((unsigned __int128)2 << bits) - 1;
        unsigned __int128 v = ((unsigned __int128)((f & EFLAGS_CF) ? 1 : 0) << bits) | dst;
        if (c)
            v = ((v >> c) | (v << (bits + 1 - c))) & all;
        res = (uint64_t)v & mask;
        cf = (uint32_t)(v >> bits) & 1;
        of = !!(res & sign) ^ !!(res & (sign >> 1));
        flags_set(cpu, EFLAGS_CF | EFLAGS_OF, (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0));
        return res;
    }
    case SH_SHL:
    case SH_SAL: {
        if (size == 8) {
            res = dst << count;
            cf = (dst >> (64 - count)) & 1;
        } else {
            uint64_t v = dst << count;      /* count <= 31: bit `bits` is the last out */
            res = v & mask;
            cf = (uint32_t)(v >> bits) & 1;
        }
        of = !!(res & sign) ^ cf;
        break;
    }
    case SH_SHR: {
        uint64_t t = dst >> (count - 1);
        res = t >> 1;
        cf = t & 1;
        of = !!(t & sign) ^ !!(res & sign);
        break;
    }
    default: { /* SAR */
        int64_t sx = (int64_t)(dst << (64 - bits)) >> (64 - bits);   /* sign-extend */
        int64_t t = sx >> (count - 1);
        res = (uint64_t)(t >> 1) & mask;
        cf = t & 1;
        of = 0;
        break;
    }
    }
    flags_set(cpu, EFLAGS_ARITH, flags_szp(res, size) | (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0));
    return res;
}

/* The count mask: 5 bits, 6 for 64-bit operands (SDM Vol. 2B "SAL/SAR/SHL/SHR"). */
static inline unsigned count_mask(int size) { return size == 8 ? 0x3f : 0x1f; }

static void shift_rm(struct cpu *cpu, const struct insn *in, unsigned count)
{
    int size = in->size;
    count &= count_mask(size);
    if (in->mod == 3) {
        if (count)
            reg_write(cpu, in->rm, size, shift(cpu, in->reg, size, reg_read(cpu, in->rm, size), count));
        else if (size == 4)     /* by 0: still a 32-bit write, zero-extending in 64-bit mode */
            cpu_set_reg32(cpu, in->rm, cpu_reg32(cpu, in->rm));
        return;
    }
    uint64_t ea = insn_ea(cpu, in);
    uint64_t dst = mem_read(cpu, in->seg, ea, size);
    if (!count)
        return;
    mem_write(cpu, in->seg, ea, size, shift(cpu, in->reg, size, dst, count));
}

OP(shift_rm_1) { shift_rm(cpu, in, 1); }
OP(shift_rm_cl) { shift_rm(cpu, in, cpu_reg32(cpu, R_ECX) & 0xff); }
OP(shift_rm_imm) { shift_rm(cpu, in, in->imm & 0xff); }

/* SHLD/SHRD: dst is r/m, src is reg. */
static uint64_t shxd(struct cpu *cpu, bool left, int size, uint64_t dst, uint64_t src, unsigned count)
{
    uint64_t res;
    uint32_t cf;
    uint64_t sign = size_sign(size), mask = size_mask(size);
    int bits = size * 8;
    if (size == 2) {
        uint64_t v = (dst << 32) | (src << 16) | dst;
        if (left) {
            res = (v >> (32 - count)) & 0xffff;
            cf = (uint32_t)(v >> (48 - count)) & 1;
        } else {
            res = (v >> count) & 0xffff;
            cf = (uint32_t)(v >> (count - 1)) & 1;
        }
    } else if (left) {
        res = ((dst << count) | (src >> (bits - count))) & mask;
        cf = (dst >> (bits - count)) & 1;
    } else {
        res = ((dst >> count) | (src << (bits - count))) & mask;
        cf = (dst >> (count - 1)) & 1;
    }
    uint32_t of = !!((res ^ dst) & sign);
    flags_set(cpu, EFLAGS_ARITH, flags_szp(res, size) | (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0));
    return res;
}

static void shxd_rm(struct cpu *cpu, const struct insn *in, bool left, unsigned count)
{
    int size = in->opsize;
    count &= count_mask(size);
    uint64_t src = reg_read(cpu, in->reg, size);
    if (in->mod == 3) {
        if (count)
            reg_write(cpu, in->rm, size, shxd(cpu, left, size, reg_read(cpu, in->rm, size), src, count));
        else if (size == 4)
            cpu_set_reg32(cpu, in->rm, cpu_reg32(cpu, in->rm));
        return;
    }
    uint64_t ea = insn_ea(cpu, in);
    uint64_t dst = mem_read(cpu, in->seg, ea, size);
    if (!count)
        return;
    mem_write(cpu, in->seg, ea, size, shxd(cpu, left, size, dst, src, count));
}

OP(shld_imm) { shxd_rm(cpu, in, true, in->imm); }
OP(shld_cl) { shxd_rm(cpu, in, true, cpu_reg32(cpu, R_ECX)); }
OP(shrd_imm) { shxd_rm(cpu, in, false, in->imm); }
OP(shrd_cl) { shxd_rm(cpu, in, false, cpu_reg32(cpu, R_ECX)); }
