/*
 * flags.h - lazy arithmetic flags (design brief "Lazy flags").
 *
 * The common flag setters (ADD, ADC, SUB, SBB, CMP, NEG, INC, DEC, AND, OR,
 * XOR, TEST) record the operation, its operands and its result in
 * cpu->priv.lf_*; CF/PF/AF/ZF/SF/OF are computed only when something reads
 * them (Jcc, SETcc, PUSHF, ...). Everything else (shifts, multiplies, BCD,
 * bit tests) computes its flags eagerly with flags_set().
 *
 * lf_op encodes kind << 2 | size (0 = 8, 1 = 16, 2 = 32, 3 = 64 bits).
 * The operands and result are stored 64 bits wide (zero-extended).
 * Flag definitions: SDM Vol. 1 3.4.3.1 and appendix A; each instruction's
 * "Flags Affected" in Vol. 2.
 */
#ifndef SOFTVM_CPU_FLAGS_H
#define SOFTVM_CPU_FLAGS_H

#include <stdint.h>
#include "cpu/cpu.h"

enum lazy_kind {
    LF_NONE = 0,  /* EFLAGS holds the arithmetic flags */
    LF_ADD,       /* res = dst + src */
    LF_ADC,       /* res = dst + src + 1 (ADC with CF=1; ADC with CF=0 is LF_ADD) */
    LF_SUB,       /* res = dst - src (also CMP, NEG with dst = 0) */
    LF_SBB,       /* res = dst - src - 1 */
    LF_LOGIC,     /* AND/OR/XOR/TEST: CF=OF=0; AF=0 as Intel hardware leaves it */
    LF_INC,       /* res = dst + 1, CF kept in EFLAGS */
    LF_DEC,       /* res = dst - 1, CF kept in EFLAGS */
};

/* Operand size in bytes (1, 2, 4, 8) -> size code 0-3 (log2). */
static inline uint32_t lf_size_code(int size) { return (uint32_t)__builtin_ctz((unsigned)size); }
/* By table: one load on the hot paths (a shift by 64 - 8 * size costs more). */
extern const uint64_t size_masks[9], size_signs[9];
static inline uint64_t size_mask(int size) { return size_masks[size]; }
static inline uint64_t size_sign(int size) { return size_signs[size]; }

/* Compute the six arithmetic flags of the lazily recorded operation. */
uint32_t flags_compute(const struct cpu *cpu);

static inline uint32_t flags_arith(const struct cpu *cpu)
{
    if (cpu->priv.lf_op == LF_NONE)
        return cpu->rflags & EFLAGS_ARITH;
    return flags_compute(cpu);
}

/* Fold the lazy flags into cpu->rflags. */
static inline void flags_materialize(struct cpu *cpu)
{
    if (cpu->priv.lf_op != LF_NONE) {
        cpu->rflags = (cpu->rflags & ~EFLAGS_ARITH) | flags_compute(cpu);
        cpu->priv.lf_op = LF_NONE;
    }
}

/* Set the flags in mask to value (eager flag setters). */
static inline void flags_set(struct cpu *cpu, uint32_t mask, uint32_t value)
{
    if ((mask & EFLAGS_ARITH) != EFLAGS_ARITH)
        flags_materialize(cpu);
    cpu->priv.lf_op = LF_NONE;
    cpu->rflags = (cpu->rflags & ~mask) | (value & mask);
}

static inline void flags_lazy(struct cpu *cpu, enum lazy_kind kind, int size,
                              uint64_t dst, uint64_t src, uint64_t res)
{
    cpu->priv.lf_op = ((uint64_t)kind << 2) | lf_size_code(size);
    cpu->priv.lf_dst = dst;
    cpu->priv.lf_src = src;
    cpu->priv.lf_res = res;
}

/* CF alone (INC/DEC, ADC/SBB need only it): one compare for the common
 * kinds instead of all six flags through flags_compute. Same rules as
 * flags_compute in flags.c. */
static inline uint32_t flags_cf_only(const struct cpu *cpu)
{
    const struct cpu_private *p = &cpu->priv;
    uint32_t op = (uint32_t)p->lf_op;
    uint64_t mask = size_mask(1 << (op & 3));
    switch (op >> 2) {
    case LF_NONE:
    case LF_INC:
    case LF_DEC:
        return cpu->rflags & EFLAGS_CF;
    case LF_ADD:
        return (p->lf_res & mask) < (p->lf_dst & mask) ? EFLAGS_CF : 0;
    case LF_SUB:
        return (p->lf_dst & mask) < (p->lf_src & mask) ? EFLAGS_CF : 0;
    case LF_LOGIC:
        return 0;
    default:
        return flags_compute(cpu) & EFLAGS_CF;
    }
}

/* INC/DEC keep CF: fold it into EFLAGS first. */
static inline void flags_lazy_incdec(struct cpu *cpu, enum lazy_kind kind, int size,
                                     uint64_t dst, uint64_t res)
{
    uint32_t cf = flags_cf_only(cpu);
    cpu->rflags = (cpu->rflags & ~EFLAGS_CF) | cf;
    flags_lazy(cpu, kind, size, dst, 1, res);
}

static inline bool flags_cf(const struct cpu *cpu) { return flags_cf_only(cpu); }

/* Parity flag of the low byte: set when the number of 1 bits is even. */
static inline uint32_t flag_pf(uint64_t res)
{
    return __builtin_parity(res & 0xff) ? 0 : EFLAGS_PF;
}
/* ZF, SF and PF of a result of `size` bytes. */
static inline uint32_t flags_szp(uint64_t res, int size)
{
    res &= size_mask(size);
    return (res == 0 ? EFLAGS_ZF : 0) | ((res & size_sign(size)) ? EFLAGS_SF : 0) | flag_pf(res);
}

/* Condition codes tttn (SDM Vol. 1 appendix B): 0 O, 1 NO, 2 B, 3 AE, 4 E,
 * 5 NE, 6 BE, 7 A, 8 S, 9 NS, A P, B NP, C L, D GE, E LE, F G. */
bool cond_eval_slow(const struct cpu *cpu, int cc);

/* Fast paths: ZF of any lazily recorded operation is "result == 0", and
 * after SUB/CMP the unsigned and signed comparisons read the operands. */
static inline bool cond_eval(const struct cpu *cpu, int cc)
{
    uint32_t op = (uint32_t)cpu->priv.lf_op;
    if (op != LF_NONE) {
        uint64_t mask = size_mask(1 << (op & 3));
        if ((cc >> 1) == 2)
            return ((cpu->priv.lf_res & mask) == 0) != (cc & 1);
        if ((op >> 2) == LF_SUB) {
            uint64_t d = cpu->priv.lf_dst & mask, s = cpu->priv.lf_src & mask;
            int sh = 64 - 8 * (1 << (op & 3));
            int64_t sd = (int64_t)(d << sh), ss = (int64_t)(s << sh);   /* sign in bit 63 */
            bool r;
            switch (cc >> 1) {
            case 1: r = d < s; break;                 /* B */
            case 3: r = d <= s; break;                /* BE */
            case 6: r = sd < ss; break;               /* L */
            case 7: r = sd <= ss; break;              /* LE */
            default: return cond_eval_slow(cpu, cc);
            }
            return r != (cc & 1);
        }
    }
    return cond_eval_slow(cpu, cc);
}

#endif
