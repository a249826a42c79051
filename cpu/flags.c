/*
 * flags.c - computing the arithmetic flags of a lazily recorded operation
 * (see flags.h), and evaluating condition codes.
 *
 * SDM Vol. 1 3.4.3.1: CF carry/borrow out of the top bit, PF even parity of
 * the low byte, AF carry/borrow out of bit 3, ZF zero, SF top bit, OF signed
 * overflow.
 */
#include "cpu/flags.h"

const uint64_t size_masks[9] = { [1] = 0xff, [2] = 0xffff, [4] = 0xffffffffu, [8] = ~0ull };
const uint64_t size_signs[9] = { [1] = 0x80, [2] = 0x8000, [4] = 0x80000000u, [8] = 1ull << 63 };

uint32_t flags_compute(const struct cpu *cpu)
{
    uint32_t op = (uint32_t)cpu->priv.lf_op;
    int size = 1 << (op & 3);
    uint64_t mask = size_mask(size), sign = size_sign(size);
    uint64_t dst = cpu->priv.lf_dst & mask, src = cpu->priv.lf_src & mask;
    uint64_t res = cpu->priv.lf_res & mask;
    uint32_t f = flags_szp(res, size);

    switch (op >> 2) {
    case LF_ADD:
        f |= res < dst ? EFLAGS_CF : 0;
        f |= ((dst ^ src ^ res) & 0x10) ? EFLAGS_AF : 0;
        f |= ((dst ^ res) & (src ^ res) & sign) ? EFLAGS_OF : 0;
        break;
    case LF_ADC:
        f |= res <= dst ? EFLAGS_CF : 0;
        f |= ((dst ^ src ^ res) & 0x10) ? EFLAGS_AF : 0;
        f |= ((dst ^ res) & (src ^ res) & sign) ? EFLAGS_OF : 0;
        break;
    case LF_SUB:
        f |= dst < src ? EFLAGS_CF : 0;
        f |= ((dst ^ src ^ res) & 0x10) ? EFLAGS_AF : 0;
        f |= ((dst ^ src) & (dst ^ res) & sign) ? EFLAGS_OF : 0;
        break;
    case LF_SBB:
        f |= dst <= src ? EFLAGS_CF : 0;
        f |= ((dst ^ src ^ res) & 0x10) ? EFLAGS_AF : 0;
        f |= ((dst ^ src) & (dst ^ res) & sign) ? EFLAGS_OF : 0;
        break;
    case LF_LOGIC:
        break;
    case LF_INC:
        f |= cpu->rflags & EFLAGS_CF;
        f |= (res & 0xf) == 0 ? EFLAGS_AF : 0;
        f |= res == sign ? EFLAGS_OF : 0;
        break;
    case LF_DEC:
        f |= cpu->rflags & EFLAGS_CF;
        f |= (res & 0xf) == 0xf ? EFLAGS_AF : 0;
        f |= res == sign - 1 ? EFLAGS_OF : 0;
        break;
    default:
        return cpu->rflags & EFLAGS_ARITH;
    }
    return f;
}

bool cond_eval_slow(const struct cpu *cpu, int cc)
{
    uint32_t f = flags_arith(cpu);
    bool r;
    switch (cc >> 1) {
    case 0: r = f & EFLAGS_OF; break;
    case 1: r = f & EFLAGS_CF; break;
    case 2: r = f & EFLAGS_ZF; break;
    case 3: r = f & (EFLAGS_CF | EFLAGS_ZF); break;
    case 4: r = f & EFLAGS_SF; break;
    case 5: r = f & EFLAGS_PF; break;
    case 6: r = !(f & EFLAGS_SF) != !(f & EFLAGS_OF); break;
    default: r = (f & EFLAGS_ZF) || (!(f & EFLAGS_SF) != !(f & EFLAGS_OF)); break;
    }
    return (cc & 1) ? !r : r;
}
