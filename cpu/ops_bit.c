/*
 * ops_bit.c - BT/BTS/BTR/BTC, BSF/BSR, SETcc, CMOVcc, BSWAP
 * (SDM Vol. 2A/2B per instruction).
 *
 * Undefined flags: BT* leave OF/SF/AF/PF unchanged; BSF/BSR leave
 * CF/OF/SF/AF/PF unchanged and, for a zero source, the destination too
 * (what Intel processors do); BSWAP of a 16-bit register clears it.
 */
#include "cpu/ops.h"

enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static inline uint64_t bt_apply(int kind, uint64_t v, uint64_t bit)
{
    switch (kind) {
    case BT_SET: return v | bit;
    case BT_RESET: return v & ~bit;
    case BT_COMPLEMENT: return v ^ bit;
    default: return v;
    }
}

static void set_cf(struct cpu *cpu, bool cf)
{
    flags_set(cpu, EFLAGS_CF, cf ? EFLAGS_CF : 0);
}

/* offset: for the register forms a signed bit offset that may reach beyond
 * the addressed operand (SDM Vol. 2A "BT": bit base addressing). */
static void bt_common(struct cpu *cpu, const struct insn *in, int kind, uint64_t offset, bool from_reg)
{
    int size = in->opsize, bits = size * 8;
    if (in->mod == 3) {
        uint64_t v = reg_read(cpu, in->rm, size);
        uint64_t bit = 1ull << (offset & (bits - 1));
        if (kind != BT_TEST)
            reg_write(cpu, in->rm, size, bt_apply(kind, v, bit));
        set_cf(cpu, v & bit);
        return;
    }
    uint64_t ea = insn_ea(cpu, in);
    if (from_reg) {
        int64_t soff = size == 2 ? (int16_t)offset : size == 4 ? (int32_t)offset : (int64_t)offset;
        int64_t words = soff >> (size == 2 ? 4 : size == 4 ? 5 : 6);   /* arithmetic: may be negative */
        ea += (uint64_t)words * (uint64_t)size;
        if (in->addrsize == 2)
            ea &= 0xffff;
        else if (in->addrsize == 4)
            ea = (uint32_t)ea;
    }
    uint64_t bit = 1ull << (offset & (bits - 1));
    uint64_t v = mem_read(cpu, in->seg, ea, size);
    if (kind != BT_TEST)
        mem_write(cpu, in->seg, ea, size, bt_apply(kind, v, bit));
    set_cf(cpu, v & bit);
}

OP(bt_rm_r) { bt_common(cpu, in, BT_TEST, reg_read(cpu, in->reg, in->opsize), true); }
OP(bts_rm_r) { bt_common(cpu, in, BT_SET, reg_read(cpu, in->reg, in->opsize), true); }
OP(btr_rm_r) { bt_common(cpu, in, BT_RESET, reg_read(cpu, in->reg, in->opsize), true); }
OP(btc_rm_r) { bt_common(cpu, in, BT_COMPLEMENT, reg_read(cpu, in->reg, in->opsize), true); }
/* 0F BA /4-/7 */
OP(bt_grp_imm) { bt_common(cpu, in, in->reg - 4, in->imm & 0xff, false); }

OP(bsf)
{
    int size = in->opsize;
    uint64_t src = rm_read(cpu, in, size);
    if (src == 0) {
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
        return;
    }
    flags_set(cpu, EFLAGS_ZF, 0);
    reg_write(cpu, in->reg, size, (uint64_t)__builtin_ctzll(src));
}

OP(bsr)
{
    int size = in->opsize;
    uint64_t src = rm_read(cpu, in, size);
    if (src == 0) {
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
        return;
    }
    flags_set(cpu, EFLAGS_ZF, 0);
    reg_write(cpu, in->reg, size, 63u - (uint64_t)__builtin_clzll(src));
}

OP(setcc)
{
    rm_write(cpu, in, 1, cond_eval(cpu, in->opcode & 0xf) ? 1 : 0);
}

/* The source is read (and may fault) even when the condition is false. */
OP(cmovcc)
{
    int size = in->opsize;
    uint64_t v = rm_read(cpu, in, size);
    if (cond_eval(cpu, in->opcode & 0xf))
        reg_write(cpu, in->reg, size, v);
    else if (size == 4)     /* a 32-bit destination is zero-extended even then (64-bit mode) */
        cpu_set_reg32(cpu, in->reg, cpu_reg32(cpu, in->reg));
}

OP(bswap)
{
    int r = in->rm;
    if (in->opsize == 8)
        cpu->regs[r] = __builtin_bswap64(cpu->regs[r]);
    else if (in->opsize == 2)
        reg_write(cpu, r, 2, 0);
    else
        cpu_set_reg32(cpu, r, __builtin_bswap32(cpu_reg32(cpu, r)));
}
