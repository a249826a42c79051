/*
 * simd.c - MMX, SSE, SSE2 (and SSE3 register forms) instruction dispatch.
 *
 * Spec: see cpu/simd.h. One table, simd_table[opcode][prefix], gives for
 * every 0F xx opcode and mandatory prefix (none, 66, F3, F2) the row that
 * describes it: operand shape (flags), memory operand size, the host stub
 * that computes it (cpu/simd_host.c: the same instruction run on the host
 * with the guest MXCSR, which is bit-exact), or a handler for the shapes
 * the generic "dest = op(dest, src)" path does not fit (moves, shuffles
 * with immediates, shifts by immediate, mask extraction, group 15).
 *
 * Memory operands are read before, and written after, everything that may
 * fault, and registers change last, so faults leave the state untouched.
 */
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/fpu.h"
#include "cpu/simd.h"
#include "cpu/simd_host.h"

enum { P_NP, P_66, P_F3, P_F2 };

/* Row flags: the operand shape. */
#define F_FP      0x01  /* SIMD floating point: MXCSR flags, #XM */
#define F_ALIGN   0x02  /* a 16-byte memory operand must be 16-byte aligned */
#define F_MMX     0x04  /* MMX-class instruction: mm operands */
#define F_SRC_MM  0x08  /* register source is an MMX register */
#define F_SRC_GPR 0x10  /* register source is a 32-bit GPR */
#define F_DST_GPR 0x20  /* result (low 32 bits) goes to a GPR */
#define F_DST_MM  0x40  /* result (low 64 bits) goes to an MMX register */
#define F_EFLAGS  0x80  /* result is EFLAGS (COMISS & co, through LAHF) */
#define F_GPR64   0x100 /* the GPR operand is 64 bits (a REX.W form, simd_table_w) */

struct simd_row;
typedef void simd_handler(struct cpu *cpu, const struct insn *in, const struct simd_row *row);

struct simd_row {
    const char *name;
    simd_stub *stub;        /* host computation, or NULL */
    simd_handler *run;      /* special shape, or NULL for the generic path */
    uint8_t msize;          /* memory operand bytes */
    uint16_t flags;
};

static inline struct fpu_state *fpu_of(struct cpu *cpu) { return &cpu->priv.fpu; }

_Noreturn static void ud(struct cpu *cpu) { cpu_raise(cpu, EXC_UD, false, 0); }

/* ---- availability checks (SDM Vol. 3A 13.1, 2.5) ---------------------------- */

static void check_sse(struct cpu *cpu)
{
    if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
        ud(cpu);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, false, 0);
}

static void check_mmx(struct cpu *cpu)
{
    if (cpu->cr0 & CR0_EM)
        ud(cpu);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, false, 0);
    fpu_check_pending(cpu);
}

/* ---- operands ----------------------------------------------------------------- */

static uint64_t operand_off(struct cpu *cpu, const struct insn *in, unsigned size, bool align)
{
    uint64_t off = insn_ea(cpu, in);
    if (align && size == 16 && (fpu_linear(cpu, in->seg, off) & 15))
        cpu_raise(cpu, EXC_GP, true, 0);
    return off;
}

static void read_mem(struct cpu *cpu, const struct insn *in, uint8_t *buf, unsigned size, bool align)
{
    uint64_t off = operand_off(cpu, in, size, align);
    fpu_mem_read(cpu, in->seg, off, buf, size);
}

static void write_mem(struct cpu *cpu, const struct insn *in, const uint8_t *buf, unsigned size, bool align)
{
    uint64_t off = operand_off(cpu, in, size, align);
    fpu_mem_write(cpu, in->seg, off, buf, size);
}

static void mm_get(struct cpu *cpu, int n, uint8_t *b)
{
    uint64_t v = fpu_mmx_get(fpu_of(cpu), n);
    memcpy(b, &v, 8);
}

static void mm_put(struct cpu *cpu, int n, const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    fpu_mmx_set(fpu_of(cpu), n, v);
}

/* XMM8-15 are reached only through REX (64-bit mode): the decoder adds
 * REX.R to reg and REX.B to a register rm. */
static uint8_t *xmm(struct cpu *cpu, int n) { return fpu_of(cpu)->xmm[n & 15]; }

/* The GPR operand of a row: 32 bits (zero-extended into the 64-bit
 * register, as every 32-bit write is) or, with F_GPR64, all 64. */
static uint64_t gpr_get(struct cpu *cpu, int r, unsigned fl)
{
    return (fl & F_GPR64) ? cpu->regs[r] : cpu_reg32(cpu, r);
}

static void gpr_put(struct cpu *cpu, int r, unsigned fl, uint64_t v)
{
    cpu->regs[r] = (fl & F_GPR64) ? v : (uint32_t)v;
}

/* Record SIMD FP exception flags; an unmasked one raises #XM (or #UD when
 * the OS has not set CR4.OSXMMEXCPT) before any result is written. With an
 * unmasked pre-computation exception (I, D, Z) the post-computation flags
 * are not reported (SDM Vol. 1 11.5.2). Known gap: when #XM is raised, the
 * #P/#U flags recorded with it can differ from hardware's (which decides
 * lane by lane, e.g. not reporting the #P of a lane that raised an unmasked
 * #U); results and all masked-exception behaviour are exact. */
static void simd_fp_flags(struct cpu *cpu, uint32_t flags)
{
    struct fpu_state *f = fpu_of(cpu);
    flags &= MXCSR_FLAGS;
    uint32_t unmasked = flags & ~(f->mxcsr >> 7);
    if (unmasked & 0x7)
        flags &= 0x7;
    f->mxcsr |= flags;
    if (unmasked)
        cpu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, false, 0);
}

/* Run a host stub with the guest's rounding/DAZ/FTZ, all exceptions masked. */
static uint32_t run_stub(struct cpu *cpu, simd_stub *stub, uint8_t *d, const uint8_t *s)
{
    uint32_t mx = (fpu_of(cpu)->mxcsr | MXCSR_MASKS) & ~MXCSR_FLAGS & 0xffff;
    stub(d, s, &mx);
    return mx & MXCSR_FLAGS;
}

/* The generic shape: dest = op(dest, src), with the register classes and
 * memory size the row's flags give. */
static void gen_binary(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t d[16] = { 0 }, s[16] = { 0 };
    unsigned fl = row->flags;
    bool mm_dst = fl & (F_MMX | F_DST_MM);

    if (in->mod == 3) {
        if (fl & F_SRC_GPR) {
            uint64_t v = gpr_get(cpu, in->rm, fl);
            memcpy(s, &v, 8);
        } else if (fl & (F_MMX | F_SRC_MM)) {
            mm_get(cpu, in->rm, s);
        } else {
            memcpy(s, xmm(cpu, in->rm), 16);
        }
    } else {
        read_mem(cpu, in, s, row->msize, fl & F_ALIGN);
    }
    if (fl & (F_DST_GPR | F_EFLAGS))
        memcpy(d, xmm(cpu, in->reg), 16);   /* first operand of CVT/COMI: xmm0 = dest */
    else if (mm_dst)
        mm_get(cpu, in->reg, d);
    else
        memcpy(d, xmm(cpu, in->reg), 16);

    uint8_t d_in[16];
    memcpy(d_in, d, 16);
    uint32_t flags = run_stub(cpu, row->stub, d, s);
    if ((fl & F_FP) && !(fpu_of(cpu)->mxcsr & MXCSR_UM)) {
        /* With #U unmasked a tiny result signals #U even when exact (IEEE
         * 754's trapping underflow), which an all-masked run does not
         * report. Rerun with flush-to-zero, which flags every tiny result. */
        uint32_t mx = (fpu_of(cpu)->mxcsr | MXCSR_MASKS | MXCSR_FZ) & ~MXCSR_FLAGS & 0xffff;
        row->stub(d_in, s, &mx);
        flags |= mx & MXCSR_UE;
    }
    if (fl & F_FP)
        simd_fp_flags(cpu, flags);

    if (fl & F_EFLAGS) {
        /* LAHF image: bit 6 ZF, bit 2 PF, bit 0 CF; OF, SF, AF are cleared. */
        uint32_t e = cpu_get_eflags(cpu);
        e &= ~(EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_AF);
        e |= d[0] & (EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF);
        cpu_set_eflags(cpu, e);
    } else if (fl & F_DST_GPR) {
        uint64_t v;
        memcpy(&v, d, 8);
        gpr_put(cpu, in->reg, fl, v);
    } else if (mm_dst) {
        mm_put(cpu, in->reg, d);
    } else {
        memcpy(xmm(cpu, in->reg), d, 16);
    }
}

/* ---- moves ---------------------------------------------------------------------- */

/* MOVUPS/MOVAPS/MOVDQA/MOVDQU/LDDQU xmm, xmm/m128 */
static void h_load128(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[16];
    if (in->mod == 3)
        memcpy(b, xmm(cpu, in->rm), 16);
    else
        read_mem(cpu, in, b, 16, row->flags & F_ALIGN);
    memcpy(xmm(cpu, in->reg), b, 16);
}

/* MOVUPS/MOVAPS/MOVDQA/MOVDQU/MOVNTPS/MOVNTDQ xmm/m128, xmm */
static void h_store128(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    if (in->mod == 3) {
        if (row->msize == 0)                /* non-temporal stores: memory only */
            ud(cpu);
        memcpy(xmm(cpu, in->rm), xmm(cpu, in->reg), 16);
    } else {
        write_mem(cpu, in, xmm(cpu, in->reg), 16, row->flags & F_ALIGN);
    }
}

/* MOVSS/MOVSD xmm, xmm/m32/m64: a register source merges, memory zero-extends. */
static void h_load_scalar(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    if (in->mod == 3) {
        memmove(xmm(cpu, in->reg), xmm(cpu, in->rm), row->msize);
    } else {
        uint8_t b[16] = { 0 };
        read_mem(cpu, in, b, row->msize, false);
        memcpy(xmm(cpu, in->reg), b, 16);
    }
}

/* MOVSS/MOVSD xmm/m32/m64, xmm */
static void h_store_scalar(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    if (in->mod == 3)
        memmove(xmm(cpu, in->rm), xmm(cpu, in->reg), row->msize);
    else
        write_mem(cpu, in, xmm(cpu, in->reg), row->msize, false);
}

/* 0F 12 / 0F 16: MOVLPS/MOVLPD/MOVHPS/MOVHPD xmm, m64; MOVHLPS/MOVLHPS xmm, xmm.
 * row->msize encodes the half written: 0 low, 8 high. */
static void h_load_half(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[8];
    unsigned half = row->msize;
    if (in->mod == 3) {
        if (row->flags & F_ALIGN)           /* 66 forms have no register variant */
            ud(cpu);
        memcpy(b, xmm(cpu, in->rm) + (half ? 0 : 8), 8);    /* MOVLHPS : MOVHLPS */
    } else {
        read_mem(cpu, in, b, 8, false);
    }
    memcpy(xmm(cpu, in->reg) + half, b, 8);
}

/* 0F 13 / 0F 17: MOVLPS/MOVLPD/MOVHPS/MOVHPD m64, xmm */
static void h_store_half(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    if (in->mod == 3)
        ud(cpu);
    write_mem(cpu, in, xmm(cpu, in->reg) + row->msize, 8, false);
}

/* SSE3 MOVDDUP, MOVSLDUP, MOVSHDUP (msize 8 / 16 / 17 to tell them apart). */
static void h_dup(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t s[16], d[16];
    unsigned n = row->msize == 8 ? 8 : 16;
    if (in->mod == 3)
        memcpy(s, xmm(cpu, in->rm), 16);
    else
        read_mem(cpu, in, s, n, true);
    if (row->msize == 8) {
        memcpy(d, s, 8);
        memcpy(d + 8, s, 8);
    } else {
        unsigned odd = row->msize == 17 ? 4 : 0;
        for (int i = 0; i < 4; i += 2) {
            memcpy(d + 4 * i, s + 4 * i + odd, 4);
            memcpy(d + 4 * i + 4, s + 4 * i + odd, 4);
        }
    }
    memcpy(xmm(cpu, in->reg), d, 16);
}

/* MOVD mm/xmm, r/m32 (0F 6E); with REX.W MOVQ mm/xmm, r/m64 */
static void h_movd_load(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[16] = { 0 };
    if (in->mod == 3) {
        uint64_t v = gpr_get(cpu, in->rm, row->flags);
        memcpy(b, &v, 8);
    } else
        read_mem(cpu, in, b, row->msize, false);
    if (row->flags & F_MMX)
        mm_put(cpu, in->reg, b);
    else
        memcpy(xmm(cpu, in->reg), b, 16);
}

/* MOVD r/m32, mm/xmm (0F 7E); with REX.W MOVQ r/m64, mm/xmm */
static void h_movd_store(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[16];
    if (row->flags & F_MMX)
        mm_get(cpu, in->reg, b);
    else
        memcpy(b, xmm(cpu, in->reg), 16);
    if (in->mod == 3) {
        uint64_t v;
        memcpy(&v, b, 8);
        gpr_put(cpu, in->rm, row->flags, v);
    } else
        write_mem(cpu, in, b, row->msize, false);
}

/* MOVQ mm, mm/m64 (0F 6F) and MOVQ xmm, xmm/m64 (F3 0F 7E): zero-extends. */
static void h_movq_load(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[16] = { 0 };
    bool mmx = row->flags & F_MMX;
    if (in->mod == 3) {
        if (mmx)
            mm_get(cpu, in->rm, b);
        else
            memcpy(b, xmm(cpu, in->rm), 8);
    } else {
        read_mem(cpu, in, b, 8, false);
    }
    if (mmx)
        mm_put(cpu, in->reg, b);
    else
        memcpy(xmm(cpu, in->reg), b, 16);
}

/* MOVQ mm/m64, mm (0F 7F), MOVNTQ m64, mm (0F E7), MOVQ xmm/m64, xmm (66 0F D6). */
static void h_movq_store(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[16] = { 0 };
    bool mmx = row->flags & F_MMX;
    if (mmx)
        mm_get(cpu, in->reg, b);
    else
        memcpy(b, xmm(cpu, in->reg), 8);
    if (in->mod == 3) {
        if (row->msize == 0)                /* MOVNTQ: memory only */
            ud(cpu);
        if (mmx)
            mm_put(cpu, in->rm, b);
        else
            memcpy(xmm(cpu, in->rm), b, 16);
    } else {
        write_mem(cpu, in, b, 8, false);
    }
}

/* MOVQ2DQ xmm, mm (F3 0F D6) and MOVDQ2Q mm, xmm (F2 0F D6): register only. */
static void h_movq2dq(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[16] = { 0 };
    if (in->mod != 3)
        ud(cpu);
    if (row->flags & F_SRC_MM) {
        mm_get(cpu, in->rm, b);
        memcpy(xmm(cpu, in->reg), b, 16);
    } else {
        memcpy(b, xmm(cpu, in->rm), 8);
        mm_put(cpu, in->reg, b);
    }
}

/* MOVNTI m32, r32 (0F C3); with REX.W m64, r64 */
static void h_movnti(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    if (in->mod == 3)
        ud(cpu);
    if (row->flags & F_GPR64)
        cpu_write64(cpu, in->seg, insn_ea(cpu, in), cpu->regs[in->reg]);
    else
        cpu_write32(cpu, in->seg, insn_ea(cpu, in), cpu_reg32(cpu, in->reg));
}

/* MOVMSKPS/MOVMSKPD r32, xmm: the sign bits. */
static void h_movmsk(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    if (in->mod != 3)
        ud(cpu);
    const uint8_t *s = xmm(cpu, in->rm);
    unsigned lane = row->msize, mask = 0;
    for (unsigned i = 0; i < 16 / lane; i++)
        mask |= (unsigned)(s[lane * i + lane - 1] >> 7) << i;
    cpu_set_reg32(cpu, in->reg, mask);
}

/* PMOVMSKB r32, mm/xmm: the top bit of every byte. */
static void h_pmovmskb(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t s[16];
    unsigned n = (row->flags & F_MMX) ? 8 : 16, mask = 0;
    if (in->mod != 3)
        ud(cpu);
    if (n == 8)
        mm_get(cpu, in->rm, s);
    else
        memcpy(s, xmm(cpu, in->rm), 16);
    for (unsigned i = 0; i < n; i++)
        mask |= (unsigned)(s[i] >> 7) << i;
    cpu_set_reg32(cpu, in->reg, mask);
}

/* ---- shuffles, inserts, extracts (imm8) -------------------------------------- */

static void src_operand(struct cpu *cpu, const struct insn *in, const struct simd_row *row, uint8_t *s)
{
    if (in->mod != 3)
        read_mem(cpu, in, s, row->msize, row->flags & F_ALIGN);
    else if (row->flags & F_MMX)
        mm_get(cpu, in->rm, s);
    else
        memcpy(s, xmm(cpu, in->rm), 16);
}

/* PSHUFW (mm), PSHUFD, PSHUFHW, PSHUFLW: msize and the row name tell which. */
static void h_pshuf(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t s[16] = { 0 }, d[16];
    unsigned imm = in->imm & 0xff;
    src_operand(cpu, in, row, s);
    memcpy(d, s, 16);
    char kind = row->name[5];               /* pshuf[w|d|h|l]... */
    if (kind == 'd') {
        for (int i = 0; i < 4; i++)
            memcpy(d + 4 * i, s + 4 * ((imm >> (2 * i)) & 3), 4);
    } else {
        unsigned base = kind == 'h' ? 8 : 0;
        for (int i = 0; i < 4; i++)
            memcpy(d + base + 2 * i, s + base + 2 * ((imm >> (2 * i)) & 3), 2);
    }
    if (row->flags & F_MMX)
        mm_put(cpu, in->reg, d);
    else
        memcpy(xmm(cpu, in->reg), d, 16);
}

/* SHUFPS/SHUFPD: low half from dest, high half from source. */
static void h_shufp(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t s[16], d[16], *x = xmm(cpu, in->reg);
    unsigned imm = in->imm & 0xff;
    src_operand(cpu, in, row, s);
    if (row->name[5] == 's') {              /* shufps */
        memcpy(d + 0, x + 4 * (imm & 3), 4);
        memcpy(d + 4, x + 4 * ((imm >> 2) & 3), 4);
        memcpy(d + 8, s + 4 * ((imm >> 4) & 3), 4);
        memcpy(d + 12, s + 4 * ((imm >> 6) & 3), 4);
    } else {                                /* shufpd */
        memcpy(d + 0, x + 8 * (imm & 1), 8);
        memcpy(d + 8, s + 8 * ((imm >> 1) & 1), 8);
    }
    memcpy(x, d, 16);
}

/* PINSRW mm/xmm, r32/m16, imm8 */
static void h_pinsrw(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint16_t w;
    bool mmx = row->flags & F_MMX;
    if (in->mod == 3)
        w = (uint16_t)cpu_reg32(cpu, in->rm);
    else
        w = cpu_read16(cpu, in->seg, insn_ea(cpu, in));
    unsigned i = in->imm & (mmx ? 3 : 7);
    if (mmx) {
        uint8_t b[8];
        mm_get(cpu, in->reg, b);
        memcpy(b + 2 * i, &w, 2);
        mm_put(cpu, in->reg, b);
    } else {
        memcpy(xmm(cpu, in->reg) + 2 * i, &w, 2);
    }
}

/* PEXTRW r32, mm/xmm, imm8 */
static void h_pextrw(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t b[16];
    uint16_t w;
    bool mmx = row->flags & F_MMX;
    if (in->mod != 3)
        ud(cpu);
    if (mmx)
        mm_get(cpu, in->rm, b);
    else
        memcpy(b, xmm(cpu, in->rm), 16);
    memcpy(&w, b + 2 * (in->imm & (mmx ? 3 : 7)), 2);
    cpu_set_reg32(cpu, in->reg, w);
}

static int prefix_class(const struct insn *in)
{
    if (in->prefixes & PFX_REP)
        return P_F3;
    if (in->prefixes & PFX_REPNE)
        return P_F2;
    if (in->prefixes & PFX_OPSZ)
        return P_66;
    return P_NP;
}

/* CMPPS/CMPPD/CMPSS/CMPSD xmm, xmm/m, imm8: the predicate picks the stub. */
static simd_stub *const cmp_stubs[4][8] = {
    [P_NP] = { hx_cmpeqps, hx_cmpltps, hx_cmpleps, hx_cmpunordps,
               hx_cmpneqps, hx_cmpnltps, hx_cmpnleps, hx_cmpordps },
    [P_66] = { hx_cmpeqpd, hx_cmpltpd, hx_cmplepd, hx_cmpunordpd,
               hx_cmpneqpd, hx_cmpnltpd, hx_cmpnlepd, hx_cmpordpd },
    [P_F3] = { hx_cmpeqss, hx_cmpltss, hx_cmpless, hx_cmpunordss,
               hx_cmpneqss, hx_cmpnltss, hx_cmpnless, hx_cmpordss },
    [P_F2] = { hx_cmpeqsd, hx_cmpltsd, hx_cmplesd, hx_cmpunordsd,
               hx_cmpneqsd, hx_cmpnltsd, hx_cmpnlesd, hx_cmpordsd },
};

static void h_cmp(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    struct simd_row r = *row;
    r.stub = cmp_stubs[prefix_class(in)][in->imm & 7];
    gen_binary(cpu, in, &r);
}

/* Shift groups 0F 71/72/73 by imm8 (register only): the count-in-register
 * stub with the immediate as a 64-bit count; PSRLDQ/PSLLDQ shift bytes. */
static void h_shift_imm(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    static simd_stub *const mmx_ops[3][8] = {
        { [2] = hm_psrlw, [4] = hm_psraw, [6] = hm_psllw },
        { [2] = hm_psrld, [4] = hm_psrad, [6] = hm_pslld },
        { [2] = hm_psrlq, [6] = hm_psllq },
    };
    static simd_stub *const xmm_ops[3][8] = {
        { [2] = hx_psrlw, [4] = hx_psraw, [6] = hx_psllw },
        { [2] = hx_psrld, [4] = hx_psrad, [6] = hx_pslld },
        { [2] = hx_psrlq, [6] = hx_psllq },
    };
    int grp = (in->opcode & 0xff) - 0x71;
    bool mmx = row->flags & F_MMX;
    unsigned count = in->imm & 0xff;
    if (in->mod != 3)
        ud(cpu);
    if (!mmx && grp == 2 && (in->reg == 3 || in->reg == 7)) {   /* PSRLDQ / PSLLDQ */
        uint8_t *x = xmm(cpu, in->rm), d[16] = { 0 };
        unsigned n = count > 16 ? 16 : count;
        if (in->reg == 3)
            memcpy(d, x + n, 16 - n);
        else
            memcpy(d + n, x, 16 - n);
        memcpy(x, d, 16);
        return;
    }
    simd_stub *stub = (mmx ? mmx_ops : xmm_ops)[grp][in->reg];
    if (!stub)
        ud(cpu);
    uint8_t d[16], s[16] = { 0 };
    s[0] = (uint8_t)count;
    if (mmx) {
        mm_get(cpu, in->rm, d);
        run_stub(cpu, stub, d, s);
        mm_put(cpu, in->rm, d);
    } else {
        memcpy(d, xmm(cpu, in->rm), 16);
        run_stub(cpu, stub, d, s);
        memcpy(xmm(cpu, in->rm), d, 16);
    }
}

/* MASKMOVQ mm, mm / MASKMOVDQU xmm, xmm: byte-masked store to DS:(E)DI. */
static void h_maskmov(struct cpu *cpu, const struct insn *in, const struct simd_row *row)
{
    uint8_t v[16], m[16];
    unsigned n = (row->flags & F_MMX) ? 8 : 16;
    if (in->mod != 3)
        ud(cpu);
    if (n == 8) {
        mm_get(cpu, in->reg, v);
        mm_get(cpu, in->rm, m);
    } else {
        memcpy(v, xmm(cpu, in->reg), 16);
        memcpy(m, xmm(cpu, in->rm), 16);
    }
    int seg = (in->prefixes & PFX_SEG) ? in->seg : SEG_DS;
    uint64_t di = cpu->regs[R_EDI];     /* RDI, EDI or DI by address size */
    if (in->addrsize == 4)
        di = (uint32_t)di;
    else if (in->addrsize == 2)
        di &= 0xffff;
    for (unsigned i = 0; i < n; i++)
        if (m[i] & 0x80)
            cpu_write8(cpu, seg, di + i, v[i]);
}

/* ---- the table ------------------------------------------------------------------ */

#define ROW(nm, st, rn, sz, fl) { nm, st, rn, sz, fl }
/* Integer op on mm (no prefix) and xmm (66). */
#define INT2(nm) { [P_NP] = ROW(#nm, hm_##nm, NULL, 8, F_MMX), \
                   [P_66] = ROW(#nm, hx_##nm, NULL, 16, F_ALIGN) }
/* Floating-point op in its four forms ps/pd/ss/sd. */
#define FP4(nm) { [P_NP] = ROW(#nm "ps", hx_##nm##ps, NULL, 16, F_FP | F_ALIGN), \
                  [P_66] = ROW(#nm "pd", hx_##nm##pd, NULL, 16, F_FP | F_ALIGN), \
                  [P_F3] = ROW(#nm "ss", hx_##nm##ss, NULL, 4, F_FP), \
                  [P_F2] = ROW(#nm "sd", hx_##nm##sd, NULL, 8, F_FP) }
/* Packed-only op without FP exceptions (logic, unpack) in ps/pd forms. */
#define PS_PD(nm) { [P_NP] = ROW(#nm "ps", hx_##nm##ps, NULL, 16, F_ALIGN), \
                    [P_66] = ROW(#nm "pd", hx_##nm##pd, NULL, 16, F_ALIGN) }
#define XOP(nm, sz, fl) ROW(#nm, hx_##nm, NULL, sz, fl)
#define SPECIAL(nm, fn, sz, fl) ROW(#nm, NULL, fn, sz, fl)

static const struct simd_row simd_table[256][4] = {
    [0x10] = { [P_NP] = SPECIAL(movups, h_load128, 16, 0),
               [P_66] = SPECIAL(movupd, h_load128, 16, 0),
               [P_F3] = SPECIAL(movss, h_load_scalar, 4, 0),
               [P_F2] = SPECIAL(movsd, h_load_scalar, 8, 0) },
    [0x11] = { [P_NP] = SPECIAL(movups, h_store128, 16, 0),
               [P_66] = SPECIAL(movupd, h_store128, 16, 0),
               [P_F3] = SPECIAL(movss, h_store_scalar, 4, 0),
               [P_F2] = SPECIAL(movsd, h_store_scalar, 8, 0) },
    [0x12] = { [P_NP] = SPECIAL(movlps, h_load_half, 0, 0),
               [P_66] = SPECIAL(movlpd, h_load_half, 0, F_ALIGN),
               [P_F3] = SPECIAL(movsldup, h_dup, 16, 0),
               [P_F2] = SPECIAL(movddup, h_dup, 8, 0) },
    [0x13] = { [P_NP] = SPECIAL(movlps, h_store_half, 0, 0),
               [P_66] = SPECIAL(movlpd, h_store_half, 0, 0) },
    [0x14] = PS_PD(unpckl),
    [0x15] = PS_PD(unpckh),
    [0x16] = { [P_NP] = SPECIAL(movhps, h_load_half, 8, 0),
               [P_66] = SPECIAL(movhpd, h_load_half, 8, F_ALIGN),
               [P_F3] = SPECIAL(movshdup, h_dup, 17, 0) },
    [0x17] = { [P_NP] = SPECIAL(movhps, h_store_half, 8, 0),
               [P_66] = SPECIAL(movhpd, h_store_half, 8, 0) },
    [0x28] = { [P_NP] = SPECIAL(movaps, h_load128, 16, F_ALIGN),
               [P_66] = SPECIAL(movapd, h_load128, 16, F_ALIGN) },
    [0x29] = { [P_NP] = SPECIAL(movaps, h_store128, 16, F_ALIGN),
               [P_66] = SPECIAL(movapd, h_store128, 16, F_ALIGN) },
    [0x2a] = { [P_NP] = XOP(cvtpi2ps, 8, F_FP | F_SRC_MM),
               [P_66] = XOP(cvtpi2pd, 8, F_FP | F_SRC_MM),
               [P_F3] = XOP(cvtsi2ss, 4, F_FP | F_SRC_GPR),
               [P_F2] = XOP(cvtsi2sd, 4, F_FP | F_SRC_GPR) },
    [0x2b] = { [P_NP] = SPECIAL(movntps, h_store128, 0, F_ALIGN),
               [P_66] = SPECIAL(movntpd, h_store128, 0, F_ALIGN) },
    [0x2c] = { [P_NP] = XOP(cvttps2pi, 8, F_FP | F_DST_MM),
               [P_66] = XOP(cvttpd2pi, 16, F_FP | F_DST_MM | F_ALIGN),
               [P_F3] = XOP(cvttss2si, 4, F_FP | F_DST_GPR),
               [P_F2] = XOP(cvttsd2si, 8, F_FP | F_DST_GPR) },
    [0x2d] = { [P_NP] = XOP(cvtps2pi, 8, F_FP | F_DST_MM),
               [P_66] = XOP(cvtpd2pi, 16, F_FP | F_DST_MM | F_ALIGN),
               [P_F3] = XOP(cvtss2si, 4, F_FP | F_DST_GPR),
               [P_F2] = XOP(cvtsd2si, 8, F_FP | F_DST_GPR) },
    [0x2e] = { [P_NP] = XOP(ucomiss, 4, F_FP | F_EFLAGS),
               [P_66] = XOP(ucomisd, 8, F_FP | F_EFLAGS) },
    [0x2f] = { [P_NP] = XOP(comiss, 4, F_FP | F_EFLAGS),
               [P_66] = XOP(comisd, 8, F_FP | F_EFLAGS) },
    [0x50] = { [P_NP] = SPECIAL(movmskps, h_movmsk, 4, 0),
               [P_66] = SPECIAL(movmskpd, h_movmsk, 8, 0) },
    [0x51] = FP4(sqrt),
    [0x52] = { [P_NP] = XOP(rsqrtps, 16, F_FP | F_ALIGN), [P_F3] = XOP(rsqrtss, 4, F_FP) },
    [0x53] = { [P_NP] = XOP(rcpps, 16, F_FP | F_ALIGN), [P_F3] = XOP(rcpss, 4, F_FP) },
    [0x54] = PS_PD(and),
    [0x55] = PS_PD(andn),
    [0x56] = PS_PD(or),
    [0x57] = PS_PD(xor),
    [0x58] = FP4(add),
    [0x59] = FP4(mul),
    [0x5a] = { [P_NP] = XOP(cvtps2pd, 8, F_FP),
               [P_66] = XOP(cvtpd2ps, 16, F_FP | F_ALIGN),
               [P_F3] = XOP(cvtss2sd, 4, F_FP),
               [P_F2] = XOP(cvtsd2ss, 8, F_FP) },
    [0x5b] = { [P_NP] = XOP(cvtdq2ps, 16, F_FP | F_ALIGN),
               [P_66] = XOP(cvtps2dq, 16, F_FP | F_ALIGN),
               [P_F3] = XOP(cvttps2dq, 16, F_FP | F_ALIGN) },
    [0x5c] = FP4(sub),
    [0x5d] = FP4(min),
    [0x5e] = FP4(div),
    [0x5f] = FP4(max),
    [0x60] = INT2(punpcklbw), [0x61] = INT2(punpcklwd), [0x62] = INT2(punpckldq),
    [0x63] = INT2(packsswb), [0x64] = INT2(pcmpgtb), [0x65] = INT2(pcmpgtw),
    [0x66] = INT2(pcmpgtd), [0x67] = INT2(packuswb), [0x68] = INT2(punpckhbw),
    [0x69] = INT2(punpckhwd), [0x6a] = INT2(punpckhdq), [0x6b] = INT2(packssdw),
    [0x6c] = { [P_66] = XOP(punpcklqdq, 16, F_ALIGN) },
    [0x6d] = { [P_66] = XOP(punpckhqdq, 16, F_ALIGN) },
    [0x6e] = { [P_NP] = SPECIAL(movd, h_movd_load, 4, F_MMX),
               [P_66] = SPECIAL(movd, h_movd_load, 4, 0) },
    [0x6f] = { [P_NP] = SPECIAL(movq, h_movq_load, 8, F_MMX),
               [P_66] = SPECIAL(movdqa, h_load128, 16, F_ALIGN),
               [P_F3] = SPECIAL(movdqu, h_load128, 16, 0) },
    [0x70] = { [P_NP] = SPECIAL(pshufw, h_pshuf, 8, F_MMX),
               [P_66] = SPECIAL(pshufd, h_pshuf, 16, F_ALIGN),
               [P_F3] = SPECIAL(pshufhw, h_pshuf, 16, F_ALIGN),
               [P_F2] = SPECIAL(pshuflw, h_pshuf, 16, F_ALIGN) },
    [0x71] = { [P_NP] = SPECIAL(grp12, h_shift_imm, 0, F_MMX),
               [P_66] = SPECIAL(grp12, h_shift_imm, 0, 0) },
    [0x72] = { [P_NP] = SPECIAL(grp13, h_shift_imm, 0, F_MMX),
               [P_66] = SPECIAL(grp13, h_shift_imm, 0, 0) },
    [0x73] = { [P_NP] = SPECIAL(grp14, h_shift_imm, 0, F_MMX),
               [P_66] = SPECIAL(grp14, h_shift_imm, 0, 0) },
    [0x74] = INT2(pcmpeqb), [0x75] = INT2(pcmpeqw), [0x76] = INT2(pcmpeqd),
    [0x7c] = { [P_66] = XOP(haddpd, 16, F_FP | F_ALIGN), [P_F2] = XOP(haddps, 16, F_FP | F_ALIGN) },
    [0x7d] = { [P_66] = XOP(hsubpd, 16, F_FP | F_ALIGN), [P_F2] = XOP(hsubps, 16, F_FP | F_ALIGN) },
    [0x7e] = { [P_NP] = SPECIAL(movd, h_movd_store, 4, F_MMX),
               [P_66] = SPECIAL(movd, h_movd_store, 4, 0),
               [P_F3] = SPECIAL(movq, h_movq_load, 8, 0) },
    [0x7f] = { [P_NP] = SPECIAL(movq, h_movq_store, 8, F_MMX),
               [P_66] = SPECIAL(movdqa, h_store128, 16, F_ALIGN),
               [P_F3] = SPECIAL(movdqu, h_store128, 16, 0) },
    [0xc2] = { [P_NP] = SPECIAL(cmpps, h_cmp, 16, F_FP | F_ALIGN),
               [P_66] = SPECIAL(cmppd, h_cmp, 16, F_FP | F_ALIGN),
               [P_F3] = SPECIAL(cmpss, h_cmp, 4, F_FP),
               [P_F2] = SPECIAL(cmpsd, h_cmp, 8, F_FP) },
    [0xc3] = { [P_NP] = SPECIAL(movnti, h_movnti, 4, 0) },
    [0xc4] = { [P_NP] = SPECIAL(pinsrw, h_pinsrw, 2, F_MMX),
               [P_66] = SPECIAL(pinsrw, h_pinsrw, 2, 0) },
    [0xc5] = { [P_NP] = SPECIAL(pextrw, h_pextrw, 0, F_MMX),
               [P_66] = SPECIAL(pextrw, h_pextrw, 0, 0) },
    [0xc6] = { [P_NP] = SPECIAL(shufps, h_shufp, 16, F_ALIGN),
               [P_66] = SPECIAL(shufpd, h_shufp, 16, F_ALIGN) },
    [0xd0] = { [P_66] = XOP(addsubpd, 16, F_FP | F_ALIGN), [P_F2] = XOP(addsubps, 16, F_FP | F_ALIGN) },
    [0xd1] = INT2(psrlw), [0xd2] = INT2(psrld), [0xd3] = INT2(psrlq), [0xd4] = INT2(paddq),
    [0xd5] = INT2(pmullw),
    [0xd6] = { [P_66] = SPECIAL(movq, h_movq_store, 8, 0),
               [P_F3] = SPECIAL(movq2dq, h_movq2dq, 0, F_SRC_MM),
               [P_F2] = SPECIAL(movdq2q, h_movq2dq, 0, F_DST_MM) },
    [0xd7] = { [P_NP] = SPECIAL(pmovmskb, h_pmovmskb, 0, F_MMX),
               [P_66] = SPECIAL(pmovmskb, h_pmovmskb, 0, 0) },
    [0xd8] = INT2(psubusb), [0xd9] = INT2(psubusw), [0xda] = INT2(pminub), [0xdb] = INT2(pand),
    [0xdc] = INT2(paddusb), [0xdd] = INT2(paddusw), [0xde] = INT2(pmaxub), [0xdf] = INT2(pandn),
    [0xe0] = INT2(pavgb), [0xe1] = INT2(psraw), [0xe2] = INT2(psrad), [0xe3] = INT2(pavgw),
    [0xe4] = INT2(pmulhuw), [0xe5] = INT2(pmulhw),
    [0xe6] = { [P_66] = XOP(cvttpd2dq, 16, F_FP | F_ALIGN),
               [P_F3] = XOP(cvtdq2pd, 8, F_FP),
               [P_F2] = XOP(cvtpd2dq, 16, F_FP | F_ALIGN) },
    [0xe7] = { [P_NP] = SPECIAL(movntq, h_movq_store, 0, F_MMX),
               [P_66] = SPECIAL(movntdq, h_store128, 0, F_ALIGN) },
    [0xe8] = INT2(psubsb), [0xe9] = INT2(psubsw), [0xea] = INT2(pminsw), [0xeb] = INT2(por),
    [0xec] = INT2(paddsb), [0xed] = INT2(paddsw), [0xee] = INT2(pmaxsw), [0xef] = INT2(pxor),
    [0xf0] = { [P_F2] = SPECIAL(lddqu, h_load128, 16, 0) },
    [0xf1] = INT2(psllw), [0xf2] = INT2(pslld), [0xf3] = INT2(psllq), [0xf4] = INT2(pmuludq),
    [0xf5] = INT2(pmaddwd), [0xf6] = INT2(psadbw),
    [0xf7] = { [P_NP] = SPECIAL(maskmovq, h_maskmov, 0, F_MMX),
               [P_66] = SPECIAL(maskmovdqu, h_maskmov, 0, 0) },
    [0xf8] = INT2(psubb), [0xf9] = INT2(psubw), [0xfa] = INT2(psubd), [0xfb] = INT2(psubq),
    [0xfc] = INT2(paddb), [0xfd] = INT2(paddw), [0xfe] = INT2(paddd),
};

/* The forms REX.W changes (a 64-bit GPR operand, SDM Vol. 2 "MOVD/MOVQ",
 * "CVTSI2SD" ...); for every other row REX.W is ignored. */
static const struct simd_row simd_table_w[256][4] = {
    [0x2a] = { [P_F3] = XOP(cvtsi2ss64, 8, F_FP | F_SRC_GPR | F_GPR64),
               [P_F2] = XOP(cvtsi2sd64, 8, F_FP | F_SRC_GPR | F_GPR64) },
    [0x2c] = { [P_F3] = XOP(cvttss2si64, 4, F_FP | F_DST_GPR | F_GPR64),
               [P_F2] = XOP(cvttsd2si64, 8, F_FP | F_DST_GPR | F_GPR64) },
    [0x2d] = { [P_F3] = XOP(cvtss2si64, 4, F_FP | F_DST_GPR | F_GPR64),
               [P_F2] = XOP(cvtsd2si64, 8, F_FP | F_DST_GPR | F_GPR64) },
    [0x6e] = { [P_NP] = SPECIAL(movq, h_movd_load, 8, F_MMX | F_GPR64),
               [P_66] = SPECIAL(movq, h_movd_load, 8, F_GPR64) },
    [0x7e] = { [P_NP] = SPECIAL(movq, h_movd_store, 8, F_MMX | F_GPR64),
               [P_66] = SPECIAL(movq, h_movd_store, 8, F_GPR64) },
    [0xc3] = { [P_NP] = SPECIAL(movnti, h_movnti, 8, F_GPR64) },
};

/* ---- group 15, EMMS, dispatch -------------------------------------------------- */

static void group15(struct cpu *cpu, const struct insn *in)
{
    struct fpu_state *f = fpu_of(cpu);
    if (in->prefixes & (PFX_OPSZ | PFX_REP | PFX_REPNE))
        ud(cpu);
    if (in->mod == 3) {
        if (in->reg >= 5)
            return;                         /* LFENCE, MFENCE, SFENCE: one CPU, in order */
        ud(cpu);
    }
    switch (in->reg) {
    case 0:                                 /* FXSAVE, FXSAVE64 (REX.W) */
    case 1:                                 /* FXRSTOR, FXRSTOR64 */
        if (cpu->cr0 & (CR0_EM | CR0_TS))
            cpu_raise(cpu, EXC_NM, false, 0);
        if (in->reg == 0)
            fpu_fxsave(cpu, in->seg, insn_ea(cpu, in), in->rex & REX_W);
        else
            fpu_fxrstor(cpu, in->seg, insn_ea(cpu, in), in->rex & REX_W);
        return;
    case 2: {                               /* LDMXCSR */
        check_sse(cpu);
        uint32_t v = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
        if (v & ~MXCSR_MASK)
            cpu_raise(cpu, EXC_GP, true, 0);
        f->mxcsr = v;
        return;
    }
    case 3:                                 /* STMXCSR */
        check_sse(cpu);
        cpu_write32(cpu, in->seg, insn_ea(cpu, in), f->mxcsr);
        return;
    case 7:                                 /* CLFLUSH: there is no cache to flush.
                                               No access is made (a read could have
                                               side effects on MMIO), so the #PF/#GP
                                               a real CLFLUSH may raise are not. */
        return;
    }
    ud(cpu);                                /* XSAVE family: not offered */
}

void simd_execute(struct cpu *cpu, const struct insn *in)
{
    uint8_t op = in->opcode & 0xff;
    struct insn ext;

    /* In 0F 71-73 and 0F AE ModRM.reg is an opcode extension, which REX.R
     * does not extend (the decoder added it, as for a register operand). */
    if ((in->rex & REX_R) && ((op >= 0x71 && op <= 0x73) || op == 0xae)) {
        ext = *in;
        ext.reg &= 7;
        in = &ext;
    }

    switch (op) {
    case 0x0d: case 0x18:
        return;                             /* prefetch hints */
    case 0x77:                              /* EMMS: every register empty */
        check_mmx(cpu);
        fpu_of(cpu)->ftw = 0xffff;
        return;
    case 0xae:
        group15(cpu, in);
        return;
    }

    const struct simd_row *row = &simd_table[op][prefix_class(in)];
    if ((in->rex & REX_W) && (simd_table_w[op][prefix_class(in)].stub || simd_table_w[op][prefix_class(in)].run))
        row = &simd_table_w[op][prefix_class(in)];
    if (!row->stub && !row->run)
        ud(cpu);

    /* The switch to MMX state (TOP = 0, all tags valid). MMX instructions
     * make it once they complete, so a faulting memory operand leaves the
     * x87 state as it was. SSE conversions with an MMX register operand
     * (SDM Vol. 1 11.6.7; memory sources do not switch) make it before
     * they compute: the host shows TOP = 0 already when they raise #XM. */
    bool mmx_state = false;
    if (row->flags & F_MMX) {
        check_mmx(cpu);
        mmx_state = true;
    } else {
        check_sse(cpu);
        if ((row->flags & F_DST_MM) || ((row->flags & F_SRC_MM) && in->mod == 3)) {
            fpu_check_pending(cpu);
            fpu_mmx_enter(fpu_of(cpu));
        }
    }
    (row->run ? row->run : gen_binary)(cpu, in, row);
    if (mmx_state)
        fpu_mmx_enter(fpu_of(cpu));
}
