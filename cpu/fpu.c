/*
 * fpu.c - the x87 FPU: register stack, tags, status and control words,
 * exceptions, environment save/restore, and the D8-DF / 9B instructions.
 *
 * Spec: Intel SDM Vol. 1 ch. 8 (x87 FPU), 4.8-4.9 (formats, exceptions);
 * Vol. 2 instruction pages; Vol. 3A 2.5 and table 2-2 (CR0.EM/MP/TS/NE, #NM).
 *
 * Design:
 *  - This file owns everything architectural: the stack (TOP, tags), stack
 *    faults (#IS), masking and ES/B, C0-C3, FIP/FDP/FOP, memory operands.
 *  - The arithmetic itself (every rounding, every NaN rule, every
 *    transcendental) runs on the host's x87 with the guest's FCW loaded
 *    (cpu/fpu_host.c), which makes it bit-exact with hardware.
 *  - An instruction reads all its memory operands before it changes any
 *    FPU state and writes memory before it changes FPU state, so a #PF or
 *    #GP in the middle restarts it cleanly (cpu_exec restores EIP/GPRs only).
 *  - Unmasked exceptions follow the x87's deferred model: the flags and
 *    ES/B are set and the instruction completes with the "unmasked
 *    response" (no result for #I/#D/#Z, no pop); the #MF (CR0.NE=1) or
 *    FERR# (CR0.NE=0) comes at the next waiting instruction.
 *  - FIP/FCS/FOP are recorded by every non-control instruction, FDP/FDS by
 *    those with a memory operand (Pentium 4 behaviour; newer CPUs may
 *    update them only on unmasked exceptions).
 */
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/system.h"
#include "cpu/fpu.h"
#include "cpu/fpu_host.h"

/* The "real indefinite" QNaN every masked invalid operation produces. */
static const struct f80 F80_INDEFINITE = { 0xc000000000000000ull, 0xffff };

static inline struct fpu_state *fpu_of(struct cpu *cpu) { return &cpu->priv.fpu; }

/* ---- registers, tags, stack ---------------------------------------------- */

/* Tag of a non-empty register from its contents (SDM Vol. 1 8.1.7). */
static unsigned tag_of(struct f80 v)
{
    unsigned exp = v.sexp & 0x7fff;
    if (exp == 0x7fff)
        return 2;                                   /* NaN, infinity */
    if (exp == 0)
        return v.mant == 0 ? 1 : 2;                 /* zero; denormal */
    return (v.mant >> 63) ? 0 : 2;                  /* valid; unnormal */
}

static struct f80 reg_get(const struct fpu_state *f, int phys)
{
    struct f80 v;
    memcpy(&v.mant, f->st[phys], 8);
    memcpy(&v.sexp, f->st[phys] + 8, 2);
    return v;
}

static void set_tag(struct fpu_state *f, int phys, unsigned tag)
{
    f->ftw = (uint16_t)((f->ftw & ~(3u << (2 * phys))) | (tag << (2 * phys)));
}

static void reg_put(struct fpu_state *f, int phys, struct f80 v)
{
    memcpy(f->st[phys], &v.mant, 8);
    memcpy(f->st[phys] + 8, &v.sexp, 2);
    set_tag(f, phys, tag_of(v));
}

static inline int st_phys(const struct fpu_state *f, int i) { return (fpu_top(f) + i) & 7; }
static inline bool st_empty(const struct fpu_state *f, int i)
{
    return ((f->ftw >> (2 * st_phys(f, i))) & 3) == 3;
}
static inline struct f80 st_get(const struct fpu_state *f, int i) { return reg_get(f, st_phys(f, i)); }
static inline void st_set(struct fpu_state *f, int i, struct f80 v) { reg_put(f, st_phys(f, i), v); }

static void set_top(struct fpu_state *f, int top)
{
    f->fsw = (uint16_t)((f->fsw & ~FSW_TOP) | ((top & 7) << 11));
}

static void fpu_pop(struct fpu_state *f)
{
    set_tag(f, st_phys(f, 0), 3);
    set_top(f, fpu_top(f) + 1);
}

static void fpu_push(struct fpu_state *f, struct f80 v)
{
    set_top(f, fpu_top(f) - 1);
    st_set(f, 0, v);
}

uint16_t fpu_full_tag_word(const struct fpu_state *f)
{
    uint16_t tw = 0;
    for (int r = 0; r < 8; r++) {
        unsigned t = ((f->ftw >> (2 * r)) & 3) == 3 ? 3 : tag_of(reg_get(f, r));
        tw |= (uint16_t)(t << (2 * r));
    }
    return tw;
}

/* ---- status word, exceptions ----------------------------------------------- */

static void set_cc(struct fpu_state *f, uint16_t bits, uint16_t mask)
{
    f->fsw = (uint16_t)((f->fsw & ~mask) | (bits & mask));
}

/* ES (and its copy B) = some exception flag is set and unmasked. */
static void update_es(struct fpu_state *f)
{
    if (f->fsw & FSW_EXC & ~f->fcw)
        f->fsw |= FSW_ES | FSW_B;
    else
        f->fsw &= (uint16_t)~(FSW_ES | FSW_B);
}

/* Record exception flags (sticky). Returns true if one of them is unmasked. */
static bool raise_flags(struct fpu_state *f, uint16_t flags)
{
    flags &= FSW_EXC | FSW_SF;
    f->fsw |= flags;
    update_es(f);
    return (flags & FSW_EXC & ~f->fcw) != 0;
}

/* Stack underflow / overflow (#IS, SDM Vol. 1 8.5.1.1): IE+SF, C1 = 0/1.
 * Return true when masked: the caller then produces the QNaN indefinite. */
static bool stack_underflow(struct fpu_state *f)
{
    f->fsw &= (uint16_t)~FSW_C1;
    return !raise_flags(f, FSW_IE | FSW_SF);
}

static bool stack_overflow(struct fpu_state *f)
{
    f->fsw |= FSW_C1;
    return !raise_flags(f, FSW_IE | FSW_SF);
}

/* Pushing needs ST(7) empty; else #IS, and a masked one pushes the indefinite. */
static bool push_ok(struct fpu_state *f)
{
    if (st_empty(f, 7))
        return true;
    if (stack_overflow(f))
        fpu_push(f, F80_INDEFINITE);
    return false;
}

/* Exceptions after which the x87 leaves its destination and stack alone. */
#define ABORT_ARITH (FSW_IE | FSW_DE | FSW_ZE)
#define ABORT_STORE (FSW_IE | FSW_DE | FSW_OE | FSW_UE)

/* Run an operation on the host with the guest FCW and condition codes. */
static void host(struct fpu_state *f, enum hx_op op, struct hx *h)
{
    h->cw = f->fcw;
    h->cc = f->fsw & FSW_CC;
    hx_run(op, h);
}

/* Merge the host's exception flags and condition codes (the host started
 * from the guest's, so "undefined" bits behave as on hardware) into the
 * guest FSW; returns true when the guest must abort (an unmasked exception
 * in abort_mask). */
static bool commit_flags(struct fpu_state *f, const struct hx *h, uint16_t abort_mask)
{
    raise_flags(f, h->sw & FSW_EXC);
    set_cc(f, h->sw, FSW_CC);
    return (h->sw & ~f->fcw & abort_mask) != 0;
}

void fpu_check_pending(struct cpu *cpu)
{
    struct fpu_state *f = fpu_of(cpu);
    if (!(f->fsw & FSW_ES))
        return;
    if (cpu->cr0 & CR0_NE)
        cpu_raise(cpu, EXC_MF, false, 0);
    if (!f->ferr) {
        f->ferr = true;
        if (f->ferr_hook)
            f->ferr_hook(f->ferr_opaque, true);
    }
}

void fpu_clear_ferr(struct cpu *cpu)
{
    struct fpu_state *f = fpu_of(cpu);
    if (f->ferr) {
        f->ferr = false;
        if (f->ferr_hook)
            f->ferr_hook(f->ferr_opaque, false);
    }
}

void fpu_check_nm(struct cpu *cpu)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        cpu_raise(cpu, EXC_NM, false, 0);
}

void fpu_reset(struct fpu_state *f)
{
    void (*hook)(void *, bool) = f->ferr_hook;
    void *opaque = f->ferr_opaque;
    memset(f, 0, sizeof *f);
    f->fcw = 0x0040;
    f->ftw = 0x5555;            /* all registers valid, holding +0 */
    f->mxcsr = MXCSR_RESET;
    f->ferr_hook = hook;
    f->ferr_opaque = opaque;
}

void fpu_finit(struct cpu *cpu)
{
    struct fpu_state *f = fpu_of(cpu);
    f->fcw = 0x037f;
    f->fsw = 0;
    f->ftw = 0xffff;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
    f->fop = 0;
    fpu_clear_ferr(cpu);
}

/* ---- memory operands --------------------------------------------------------- */

/* Offset off + i: 64 bits in 64-bit mode, else wrapping at 4 GiB. */
static inline uint64_t off_plus(const struct cpu *cpu, uint64_t off, unsigned i)
{
    return cpu_code64(cpu) ? off + i : (uint32_t)(off + i);
}

void fpu_mem_read(struct cpu *cpu, int seg, uint64_t off, uint8_t *buf, unsigned n)
{
    unsigned i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = cpu_read32(cpu, seg, off_plus(cpu, off, i));
        memcpy(buf + i, &v, 4);
    }
    for (; i < n; i++)
        buf[i] = cpu_read8(cpu, seg, off_plus(cpu, off, i));
}

void fpu_mem_write(struct cpu *cpu, int seg, uint64_t off, const uint8_t *buf, unsigned n)
{
    unsigned i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v;
        memcpy(&v, buf + i, 4);
        cpu_write32(cpu, seg, off_plus(cpu, off, i), v);
    }
    for (; i < n; i++)
        cpu_write8(cpu, seg, off_plus(cpu, off, i), buf[i]);
}

/* The linear address of seg:off for an alignment check (64-bit mode: only
 * FS/GS have a base). */
uint64_t fpu_linear(const struct cpu *cpu, int seg, uint64_t off)
{
    uint64_t base = (cpu_code64(cpu) && seg < SEG_FS) ? 0 : cpu->seg[seg].base;
    return linear_addr(cpu, base, off);
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Bytes of memory operand and host conversion per load/store kind. */
enum mem_kind { M_F32, M_F64, M_I16, M_I32, M_I64, M_BCD };
static const unsigned mem_size[] = { 4, 8, 2, 4, 8, 10 };
static const enum hx_op mem_load_op[] = {
    HX_LD_F32, HX_LD_F64, HX_LD_I16, HX_LD_I32, HX_LD_I64, HX_LD_BCD };

/* FLD/FILD/FBLD from memory. */
static void load_push(struct cpu *cpu, const struct insn *in, enum mem_kind k)
{
    struct fpu_state *f = fpu_of(cpu);
    struct hx h;
    memset(&h, 0, sizeof h);
    fpu_mem_read(cpu, in->seg, insn_ea(cpu, in), h.mem, mem_size[k]);
    if (!push_ok(f))
        return;
    host(f, mem_load_op[k], &h);
    /* Only #IA (SNaN source) stops a load; with #D unmasked the value is
     * still pushed (measured). */
    if (commit_flags(f, &h, FSW_IE))
        return;
    fpu_push(f, h.out[0]);
}

/* FST/FIST/FISTTP/FBSTP to memory; `op` is the host conversion. */
static void store_mem(struct cpu *cpu, const struct insn *in, enum hx_op op, unsigned size, bool pop)
{
    struct fpu_state *f = fpu_of(cpu);
    struct hx h;
    memset(&h, 0, sizeof h);
    uint64_t off = insn_ea(cpu, in);

    if (st_empty(f, 0)) {
        if (!(f->fcw & FSW_IE)) {               /* unmasked #IS: nothing stored */
            stack_underflow(f);
            return;
        }
        /* Masked #IS stores the indefinite in the destination format. */
        h.in0 = F80_INDEFINITE;
        h.cw = f->fcw | FSW_EXC;
        hx_run(op, &h);
        fpu_mem_write(cpu, in->seg, off, h.mem, size);
        stack_underflow(f);
        if (pop)
            fpu_pop(f);
        return;
    }
    h.in0 = st_get(f, 0);
    host(f, op, &h);
    bool aborted = (h.sw & ~f->fcw & ABORT_STORE) != 0;
    if (!aborted)
        fpu_mem_write(cpu, in->seg, off, h.mem, size);
    commit_flags(f, &h, 0);
    if (!aborted && pop)
        fpu_pop(f);
}

/* ---- arithmetic and compares ------------------------------------------------- */

/* Arithmetic ops by the ModRM reg field of D8 (dest = dest op src). */
static const enum hx_op arith_op[8] = {
    HX_ADD, HX_MUL, HX_COM, HX_COM, HX_SUB, HX_SUBR, HX_DIV, HX_DIVR };

/* ST(dest) = ST(dest) op src, src being ST(src_i) or, if src_i < 0, the
 * memory operand already in h->mem (hop is then an HX_MEM op). */
static void arith(struct fpu_state *f, enum hx_op hop, int dest, int src_i, struct hx *h, bool pop)
{
    if (st_empty(f, dest) || (src_i >= 0 && st_empty(f, src_i))) {
        if (stack_underflow(f)) {
            st_set(f, dest, F80_INDEFINITE);
            if (pop)
                fpu_pop(f);
        }
        return;
    }
    h->in0 = st_get(f, dest);
    if (src_i >= 0)
        h->in1 = st_get(f, src_i);
    host(f, hop, h);
    if (commit_flags(f, h, ABORT_ARITH))
        return;
    st_set(f, dest, h->out[0]);
    if (pop)
        fpu_pop(f);
}

/* FCOM/FUCOM/FICOM/FTST/FCOMI...: compare ST(0) with ST(src_i) or *srcv.
 * to_eflags: FCOMI family (ZF/PF/CF, SDM Vol. 2A FCOMI), else C0/C2/C3. */
static void compare(struct cpu *cpu, enum hx_op op, int src_i, struct hx *h, int pops, bool to_eflags)
{
    struct fpu_state *f = fpu_of(cpu);
    uint16_t cc, old_cc = f->fsw & FSW_CC;
    bool stack_fault = st_empty(f, 0) || (src_i >= 0 && st_empty(f, src_i));

    if (stack_fault) {
        /* #IS: "unordered" whether masked or not; no pops when unmasked. */
        if (!stack_underflow(f))
            pops = 0;
        cc = FSW_C0 | FSW_C2 | FSW_C3;
    } else {
        h->in0 = st_get(f, 0);
        if (src_i >= 0)
            h->in1 = st_get(f, src_i);
        host(f, op, h);
        /* The condition codes are set even with #IA unmasked (as the host
         * does); only the pops are skipped. */
        if (commit_flags(f, h, FSW_IE | FSW_DE))
            pops = 0;
        cc = h->sw & (FSW_C0 | FSW_C2 | FSW_C3);
    }
    if (to_eflags) {
        uint32_t fl = cpu_get_eflags(cpu);
        fl &= ~(EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_AF);
        if (cc & FSW_C3) fl |= EFLAGS_ZF;
        if (cc & FSW_C2) fl |= EFLAGS_PF;
        if (cc & FSW_C0) fl |= EFLAGS_CF;
        cpu_set_eflags(cpu, fl);
        /* FCOMI leaves C0-C3 alone (measured), except #IS's C1 = 0. */
        set_cc(f, old_cc, stack_fault ? FSW_C0 | FSW_C2 | FSW_C3 : FSW_CC);
    } else {
        set_cc(f, cc, FSW_CC);                  /* C1 = 0 */
    }
    while (pops-- > 0)
        fpu_pop(f);
}

/*
 * Operations on ST(0) (and ST(1)) that the host does whole: the n_in input
 * registers are replaced by whatever the host stack holds afterwards, which
 * covers pops (FPATAN, FYL2X), pushes (FSINCOS, FPTAN, FXTRACT), and the
 * unmasked responses (operands left in place) alike.
 * n_out: registers the instruction leaves (1, or 2 for FPREM/FSCALE and the
 * pushing ones); cc_mask: condition bits it defines besides C1.
 */
static void stack_op(struct fpu_state *f, enum hx_op op, int n_in, int n_out, uint16_t cc_mask)
{
    bool pushes = n_out > n_in;
    bool fault = false;

    if (st_empty(f, 0) || (n_in > 1 && st_empty(f, 1)))
        fault = true;
    else if (pushes && !st_empty(f, 7))
        fault = true;
    if (fault) {
        /* #IS clears C2 (C0/C3 stay); masked, the result register(s) get
         * the indefinite (measured: FPREM with ST(1) empty writes only
         * ST(0), FPTAN on a full stack replaces ST(0) and pushes). */
        set_cc(f, 0, cc_mask & FSW_C2);
        bool masked = st_empty(f, 0) || (n_in > 1 && st_empty(f, 1)) ? stack_underflow(f)
                                                                      : stack_overflow(f);
        if (!masked)
            return;
        if (n_out < n_in)
            fpu_pop(f);
        st_set(f, 0, F80_INDEFINITE);
        if (pushes)
            fpu_push(f, F80_INDEFINITE);
        return;
    }

    struct hx h;
    memset(&h, 0, sizeof h);
    h.in0 = st_get(f, 0);
    h.in1 = st_get(f, 1);
    host(f, op, &h);
    commit_flags(f, &h, 0);
    set_cc(f, h.sw, cc_mask);
    for (int i = 0; i < n_in; i++)
        fpu_pop(f);
    for (int i = h.depth - 1; i >= 0; i--)
        fpu_push(f, h.out[i]);
}

/* FLD1, FLDPI, ...: rounded per FCW.RC like the hardware does. */
static void load_const(struct fpu_state *f, enum hx_op op)
{
    if (!push_ok(f))
        return;
    struct hx h;
    memset(&h, 0, sizeof h);
    host(f, op, &h);
    commit_flags(f, &h, 0);
    fpu_push(f, h.out[0]);
}

/* FCMOVcc (SDM Vol. 2A): DA reg 0-3 = B, E, BE, U; DB = the negations. */
static void fcmov(struct cpu *cpu, int cond, bool negate, int i)
{
    struct fpu_state *f = fpu_of(cpu);
    uint32_t fl = cpu_get_eflags(cpu);
    bool take;
    switch (cond) {
    case 0: take = fl & EFLAGS_CF; break;
    case 1: take = fl & EFLAGS_ZF; break;
    case 2: take = fl & (EFLAGS_CF | EFLAGS_ZF); break;
    default: take = fl & EFLAGS_PF; break;
    }
    if (negate)
        take = !take;
    if (st_empty(f, 0) || st_empty(f, i)) {
        if (stack_underflow(f))
            st_set(f, 0, F80_INDEFINITE);
        return;
    }
    if (take)                                   /* C1 is left alone (measured) */
        st_set(f, 0, st_get(f, i));
}

static void fxch(struct fpu_state *f, int i)
{
    if (st_empty(f, 0) || st_empty(f, i)) {
        if (!stack_underflow(f))
            return;
        if (st_empty(f, 0)) st_set(f, 0, F80_INDEFINITE);
        if (st_empty(f, i)) st_set(f, i, F80_INDEFINITE);
    }
    struct f80 a = st_get(f, 0), b = st_get(f, i);
    st_set(f, 0, b);
    st_set(f, i, a);
    f->fsw &= (uint16_t)~FSW_C1;
}

/* FST/FSTP ST(i): a plain copy, no exceptions besides #IS. The reserved
 * aliases FSTP1 (D9 D8+i) and FSTP8/9 (DF D0+i, D8+i) also come here; with
 * an empty ST(0) real CPUs copy some internal value without a stack fault,
 * which this does not model. */
static void fst_reg(struct fpu_state *f, int i, bool pop)
{
    if (st_empty(f, 0)) {
        if (!stack_underflow(f))
            return;
        st_set(f, i, F80_INDEFINITE);
    } else {
        st_set(f, i, st_get(f, 0));
        f->fsw &= (uint16_t)~FSW_C1;
    }
    if (pop)
        fpu_pop(f);
}

/* FCHS/FABS: sign manipulation, never an arithmetic exception. */
static void sign_op(struct fpu_state *f, bool chs)
{
    if (st_empty(f, 0)) {
        if (stack_underflow(f))
            st_set(f, 0, F80_INDEFINITE);
        return;
    }
    struct f80 v = st_get(f, 0);
    v.sexp = chs ? v.sexp ^ 0x8000 : v.sexp & 0x7fff;
    st_set(f, 0, v);
    f->fsw &= (uint16_t)~FSW_C1;
}

static void fxam(struct fpu_state *f)
{
    struct f80 v = st_get(f, 0);
    if (st_empty(f, 0)) {
        uint16_t cc = FSW_C3 | FSW_C0 | ((v.sexp & 0x8000) ? FSW_C1 : 0);
        set_cc(f, cc, FSW_CC);
        return;
    }
    struct hx h;
    memset(&h, 0, sizeof h);
    h.in0 = v;
    host(f, HX_XAM, &h);
    set_cc(f, h.sw, FSW_CC);
}

/* ---- environment: FLDENV/FSTENV/FSAVE/FRSTOR (SDM Vol. 1 8.1.10, figs 8-9..8-12) */

static bool real_format(struct cpu *cpu)
{
    return !cpu_protected(cpu) || cpu_vm86(cpu);
}

static unsigned env_size(const struct insn *in) { return in->opsize == 4 ? 28 : 14; }

static void env_build(struct cpu *cpu, const struct insn *in, uint8_t *b)
{
    struct fpu_state *f = fpu_of(cpu);
    uint16_t tw = fpu_full_tag_word(f);
    uint32_t fop = f->fop & 0x7ff;
    if (real_format(cpu)) {
        /* Real/v86 formats hold 20/32-bit linear pointers, no selectors. */
        uint32_t ip = ((uint32_t)f->fcs << 4) + f->fip;
        uint32_t dp = ((uint32_t)f->fds << 4) + f->fdp;
        if (in->opsize == 4) {
            put32(b + 0, 0xffff0000u | f->fcw);
            put32(b + 4, 0xffff0000u | f->fsw);
            put32(b + 8, 0xffff0000u | tw);
            put32(b + 12, 0xffff0000u | (ip & 0xffff));
            put32(b + 16, ((ip >> 16) << 12) | fop);
            put32(b + 20, 0xffff0000u | (dp & 0xffff));
            put32(b + 24, (dp >> 16) << 12);
        } else {
            put16(b + 0, f->fcw);
            put16(b + 2, f->fsw);
            put16(b + 4, tw);
            put16(b + 6, (uint16_t)ip);
            put16(b + 8, (uint16_t)(((ip >> 16) & 0xf) << 12 | fop));
            put16(b + 10, (uint16_t)dp);
            put16(b + 12, (uint16_t)(((dp >> 16) & 0xf) << 12));
        }
    } else if (in->opsize == 4) {
        put32(b + 0, 0xffff0000u | f->fcw);
        put32(b + 4, 0xffff0000u | f->fsw);
        put32(b + 8, 0xffff0000u | tw);
        put32(b + 12, f->fip);
        put32(b + 16, fop << 16 | f->fcs);
        put32(b + 20, f->fdp);
        put32(b + 24, 0xffff0000u | f->fds);
    } else {
        put16(b + 0, f->fcw);
        put16(b + 2, f->fsw);
        put16(b + 4, tw);
        put16(b + 6, (uint16_t)f->fip);
        put16(b + 8, f->fcs);
        put16(b + 10, (uint16_t)f->fdp);
        put16(b + 12, f->fds);
    }
}

/* Load an environment image into f (the caller commits registers after). */
static void env_parse(struct cpu *cpu, const struct insn *in, const uint8_t *b, struct fpu_state *f)
{
    uint16_t tw;
    bool wide = in->opsize == 4;
    f->fcw = (uint16_t)((get16(b) & FCW_WRITABLE) | 0x40);
    f->fsw = get16(b + (wide ? 4 : 2));
    tw = get16(b + (wide ? 8 : 4));
    if (real_format(cpu)) {
        uint32_t ip, dp;
        if (wide) {
            ip = (get32(b + 12) & 0xffff) | ((get32(b + 16) >> 12 & 0xffff) << 16);
            f->fop = get32(b + 16) & 0x7ff;
            dp = (get32(b + 20) & 0xffff) | ((get32(b + 24) >> 12 & 0xffff) << 16);
        } else {
            ip = get16(b + 6) | (uint32_t)(get16(b + 8) >> 12) << 16;
            f->fop = get16(b + 8) & 0x7ff;
            dp = get16(b + 10) | (uint32_t)(get16(b + 12) >> 12) << 16;
        }
        f->fip = ip;
        f->fdp = dp;
        f->fcs = f->fds = 0;
    } else if (wide) {
        f->fip = get32(b + 12);
        f->fcs = get16(b + 16);
        f->fop = (get32(b + 16) >> 16) & 0x7ff;
        f->fdp = get32(b + 20);
        f->fds = get16(b + 24);
    } else {
        f->fip = get16(b + 6);
        f->fcs = get16(b + 8);
        f->fop = 0;
        f->fdp = get16(b + 10);
        f->fds = get16(b + 12);
    }
    /* Only "empty" is taken from the image; other tags follow the contents. */
    f->ftw = tw;
}

static void retag(struct fpu_state *f)
{
    for (int r = 0; r < 8; r++)
        if (((f->ftw >> (2 * r)) & 3) != 3)
            set_tag(f, r, tag_of(reg_get(f, r)));
    update_es(f);
}

static void fldenv_frstor(struct cpu *cpu, const struct insn *in, bool regs)
{
    struct fpu_state *f = fpu_of(cpu);
    uint8_t b[28 + 80];
    unsigned es = env_size(in);
    uint64_t off = insn_ea(cpu, in);
    fpu_mem_read(cpu, in->seg, off, b, es + (regs ? 80 : 0));

    struct fpu_state t = *f;
    env_parse(cpu, in, b, &t);
    if (regs)
        for (int i = 0; i < 8; i++)
            memcpy(t.st[(fpu_top(&t) + i) & 7], b + es + 10 * i, 10);
    retag(&t);
    *f = t;
}

static void fstenv_fsave(struct cpu *cpu, const struct insn *in, bool regs)
{
    struct fpu_state *f = fpu_of(cpu);
    uint8_t b[28 + 80];
    unsigned es = env_size(in);
    env_build(cpu, in, b);
    if (regs)
        for (int i = 0; i < 8; i++)
            memcpy(b + es + 10 * i, f->st[st_phys(f, i)], 10);
    fpu_mem_write(cpu, in->seg, insn_ea(cpu, in), b, es + (regs ? 80 : 0));
    if (regs) {
        fpu_finit(cpu);
    } else {
        f->fcw |= FSW_EXC;      /* FSTENV masks all exceptions after storing */
        update_es(f);
    }
}

/* ---- FXSAVE / FXRSTOR (SDM Vol. 2A FXSAVE, Vol. 1 10.5.1 tables 10-2, 10-3) -- */

static void check_fx_alignment(struct cpu *cpu, int seg, uint64_t off)
{
    if (fpu_linear(cpu, seg, off) & 15)
        cpu_raise(cpu, EXC_GP, true, 0);
}

/* Bytes of the image an FXSAVE writes: 160 + 16 per XMM register. */
static unsigned fx_size(struct cpu *cpu) { return cpu_code64(cpu) ? 416 : 288; }

void fpu_fxsave(struct cpu *cpu, int seg, uint64_t off, bool rex_w)
{
    struct fpu_state *f = fpu_of(cpu);
    uint8_t b[416];
    unsigned n = fx_size(cpu);
    check_fx_alignment(cpu, seg, off);
    memset(b, 0, sizeof b);
    put16(b + 0, f->fcw);
    put16(b + 2, f->fsw);
    for (int r = 0; r < 8; r++)         /* abridged tag: 1 = not empty */
        if (((f->ftw >> (2 * r)) & 3) != 3)
            b[4] |= (uint8_t)(1u << r);
    put16(b + 6, f->fop & 0x7ff);
    if (rex_w) {
        memcpy(b + 8, &f->fip, 8);
        memcpy(b + 16, &f->fdp, 8);
    } else {
        put32(b + 8, (uint32_t)f->fip);
        put16(b + 12, f->fcs);
        put32(b + 16, (uint32_t)f->fdp);
        put16(b + 20, f->fds);
    }
    put32(b + 24, f->mxcsr);
    put32(b + 28, MXCSR_MASK);
    for (int i = 0; i < 8; i++)
        memcpy(b + 32 + 16 * i, f->st[st_phys(f, i)], 10);
    memcpy(b + 160, f->xmm, n - 160);
    fpu_mem_write(cpu, seg, off, b, n);
}

void fpu_fxrstor(struct cpu *cpu, int seg, uint64_t off, bool rex_w)
{
    struct fpu_state *f = fpu_of(cpu);
    uint8_t b[416];
    unsigned n = fx_size(cpu);
    check_fx_alignment(cpu, seg, off);
    fpu_mem_read(cpu, seg, off, b, n);
    uint32_t mxcsr = get32(b + 24);
    if (mxcsr & ~MXCSR_MASK)
        cpu_raise(cpu, EXC_GP, true, 0);

    struct fpu_state t = *f;
    t.fcw = (uint16_t)((get16(b) & FCW_WRITABLE) | 0x40);
    t.fsw = get16(b + 2);
    t.ftw = 0;
    for (int r = 0; r < 8; r++)
        if (!(b[4] & (1u << r)))
            t.ftw |= (uint16_t)(3u << (2 * r));
    t.fop = get16(b + 6) & 0x7ff;
    if (rex_w) {
        memcpy(&t.fip, b + 8, 8);
        memcpy(&t.fdp, b + 16, 8);
        t.fcs = t.fds = 0;
    } else {
        t.fip = get32(b + 8);
        t.fcs = get16(b + 12);
        t.fdp = get32(b + 16);
        t.fds = get16(b + 20);
    }
    t.mxcsr = mxcsr;
    for (int i = 0; i < 8; i++)
        memcpy(t.st[(fpu_top(&t) + i) & 7], b + 32 + 16 * i, 10);
    memcpy(t.xmm, b + 160, n - 160);
    retag(&t);
    *f = t;
}

/* ---- dispatch ---------------------------------------------------------------- */

_Noreturn static void ud(struct cpu *cpu) { cpu_raise(cpu, EXC_UD, false, 0); }

/* Control instructions (SDM Vol. 1 8.3.12) do not update FIP/FOP; the
 * FN- forms among them do not check for pending exceptions either. */
enum ctl_kind { CTL_NONE, CTL_WAIT, CTL_NOWAIT };

static enum ctl_kind control_kind(const struct insn *in)
{
    uint8_t op = in->opcode & 0xff;
    if (in->mod != 3) {
        if (op == 0xd9 && in->reg >= 6) return CTL_NOWAIT;      /* FNSTENV, FNSTCW */
        if (op == 0xd9 && in->reg >= 4) return CTL_WAIT;        /* FLDENV, FLDCW */
        if (op == 0xdd && in->reg >= 6) return CTL_NOWAIT;      /* FNSAVE, FNSTSW */
        if (op == 0xdd && in->reg == 4) return CTL_WAIT;        /* FRSTOR */
        return CTL_NONE;
    }
    if (op == 0xdb && in->modrm >= 0xe0 && in->modrm <= 0xe4)
        return CTL_NOWAIT;                                      /* FNCLEX, FNINIT, FENI.. */
    if (op == 0xdf && in->modrm == 0xe0)
        return CTL_NOWAIT;                                      /* FNSTSW AX */
    return CTL_NONE;
}

static void exec_mem(struct cpu *cpu, const struct insn *in)
{
    struct fpu_state *f = fpu_of(cpu);
    uint8_t op = in->opcode & 0xff;
    int reg = in->reg;
    struct f80 v;

    switch (op) {
    case 0xd8: case 0xda: case 0xdc: case 0xde: {
        /* m32real, m32int, m64real, m16int: the host runs the very memory
         * form, so exception priorities between the operands stay exact. */
        static const enum mem_kind kind[4] = { M_F32, M_I32, M_F64, M_I16 };
        int type = (op - 0xd8) / 2;
        struct hx h;
        memset(&h, 0, sizeof h);
        fpu_mem_read(cpu, in->seg, insn_ea(cpu, in), h.mem, mem_size[kind[type]]);
        enum hx_op hop = (enum hx_op)(HX_MEM + type * 8 + reg);
        if (reg == 2 || reg == 3)
            compare(cpu, hop, -1, &h, reg == 3, false);
        else
            arith(f, hop, 0, -1, &h, false);
        return;
    }
    case 0xd9:
        switch (reg) {
        case 0: load_push(cpu, in, M_F32); return;
        case 2: store_mem(cpu, in, HX_ST_F32, 4, false); return;
        case 3: store_mem(cpu, in, HX_ST_F32, 4, true); return;
        case 4: fldenv_frstor(cpu, in, false); return;
        case 5: {
            uint16_t cw = cpu_read16(cpu, in->seg, insn_ea(cpu, in));
            f->fcw = (uint16_t)((cw & FCW_WRITABLE) | 0x40);
            update_es(f);
            return;
        }
        case 6: fstenv_fsave(cpu, in, false); return;
        case 7: cpu_write16(cpu, in->seg, insn_ea(cpu, in), f->fcw); return;
        }
        break;
    case 0xdb:
        switch (reg) {
        case 0: load_push(cpu, in, M_I32); return;
        case 1: store_mem(cpu, in, HX_STT_I32, 4, true); return;
        case 2: store_mem(cpu, in, HX_ST_I32, 4, false); return;
        case 3: store_mem(cpu, in, HX_ST_I32, 4, true); return;
        case 5: {                                   /* FLD m80: exact, no exceptions */
            uint8_t b[10];
            fpu_mem_read(cpu, in->seg, insn_ea(cpu, in), b, 10);
            if (!push_ok(f))
                return;
            memcpy(&v.mant, b, 8);
            memcpy(&v.sexp, b + 8, 2);
            fpu_push(f, v);
            f->fsw &= (uint16_t)~FSW_C1;
            return;
        }
        case 7: {                                   /* FSTP m80 */
            uint8_t b[10];
            bool empty = st_empty(f, 0);
            if (empty && (f->fcw & FSW_IE) == 0) {
                stack_underflow(f);
                return;
            }
            v = empty ? F80_INDEFINITE : st_get(f, 0);
            memcpy(b, &v.mant, 8);
            memcpy(b + 8, &v.sexp, 2);
            fpu_mem_write(cpu, in->seg, insn_ea(cpu, in), b, 10);
            if (empty)
                stack_underflow(f);
            else
                f->fsw &= (uint16_t)~FSW_C1;
            fpu_pop(f);
            return;
        }
        }
        break;
    case 0xdd:
        switch (reg) {
        case 0: load_push(cpu, in, M_F64); return;
        case 1: store_mem(cpu, in, HX_STT_I64, 8, true); return;
        case 2: store_mem(cpu, in, HX_ST_F64, 8, false); return;
        case 3: store_mem(cpu, in, HX_ST_F64, 8, true); return;
        case 4: fldenv_frstor(cpu, in, true); return;
        case 6: fstenv_fsave(cpu, in, true); return;
        case 7: cpu_write16(cpu, in->seg, insn_ea(cpu, in), f->fsw); return;
        }
        break;
    case 0xdf:
        switch (reg) {
        case 0: load_push(cpu, in, M_I16); return;
        case 1: store_mem(cpu, in, HX_STT_I16, 2, true); return;
        case 2: store_mem(cpu, in, HX_ST_I16, 2, false); return;
        case 3: store_mem(cpu, in, HX_ST_I16, 2, true); return;
        case 4: load_push(cpu, in, M_BCD); return;
        case 5: load_push(cpu, in, M_I64); return;
        case 6: store_mem(cpu, in, HX_ST_BCD, 10, true); return;
        case 7: store_mem(cpu, in, HX_ST_I64, 8, true); return;
        }
        break;
    }
    ud(cpu);
}

/* In the DC/DE register forms the "reverse" encodings swap (SDM Vol. 2A
 * FSUB/FSUBR: DC E8+i is FSUB ST(i),ST(0) = ST(i) - ST(0)). */
static int swap_reverse(int reg) { return reg >= 4 ? reg ^ 1 : reg; }

static void exec_d9_reg(struct cpu *cpu, const struct insn *in)
{
    struct fpu_state *f = fpu_of(cpu);
    int i = in->rm;
    switch (in->reg) {
    case 0: {                                       /* FLD ST(i) */
        if (st_empty(f, i)) {
            /* #IS on the source: the indefinite is pushed, C1 = 0, with no
             * overflow check (as the hardware does). */
            if (stack_underflow(f))
                fpu_push(f, F80_INDEFINITE);
            return;
        }
        struct f80 v = st_get(f, i);
        if (push_ok(f)) {
            fpu_push(f, v);
            f->fsw &= (uint16_t)~FSW_C1;
        }
        return;
    }
    case 1: fxch(f, i); return;
    case 2: if (i == 0) return; break;             /* FNOP */
    case 3: fst_reg(f, i, true); return;           /* FSTP1 (reserved alias) */
    case 4:
        switch (i) {
        case 0: sign_op(f, true); return;
        case 1: sign_op(f, false); return;
        case 4: {                                   /* FTST */
            struct hx h;
            memset(&h, 0, sizeof h);
            compare(cpu, HX_TST, -1, &h, 0, false);
            return;
        }
        case 5: fxam(f); return;
        }
        break;
    case 5: {
        static const enum hx_op consts[7] = { HX_LD_1, HX_LD_L2T, HX_LD_L2E, HX_LD_PI,
                                              HX_LD_LG2, HX_LD_LN2, HX_LD_Z };
        if (i < 7) {
            load_const(f, consts[i]);
            return;
        }
        break;
    }
    case 6:
        switch (i) {
        case 0: stack_op(f, HX_F2XM1, 1, 1, 0); return;
        case 1: stack_op(f, HX_YL2X, 2, 1, 0); return;
        case 2: stack_op(f, HX_PTAN, 1, 2, FSW_C2); return;
        case 3: stack_op(f, HX_PATAN, 2, 1, 0); return;
        case 4: stack_op(f, HX_XTRACT, 1, 2, 0); return;
        case 5: stack_op(f, HX_PREM1, 2, 2, FSW_CC); return;
        case 6: set_top(f, fpu_top(f) - 1); f->fsw &= (uint16_t)~FSW_C1; return;
        case 7: set_top(f, fpu_top(f) + 1); f->fsw &= (uint16_t)~FSW_C1; return;
        }
        break;
    case 7:
        switch (i) {
        case 0: stack_op(f, HX_PREM, 2, 2, FSW_CC); return;
        case 1: stack_op(f, HX_YL2XP1, 2, 1, 0); return;
        case 2: stack_op(f, HX_SQRT, 1, 1, 0); return;
        case 3: stack_op(f, HX_SINCOS, 1, 2, FSW_C2); return;
        case 4: stack_op(f, HX_RNDINT, 1, 1, 0); return;
        case 5: stack_op(f, HX_SCALE, 2, 2, 0); return;
        case 6: stack_op(f, HX_SIN, 1, 1, FSW_C2); return;
        case 7: stack_op(f, HX_COS, 1, 1, FSW_C2); return;
        }
        break;
    }
    ud(cpu);
}

static void exec_reg(struct cpu *cpu, const struct insn *in)
{
    struct fpu_state *f = fpu_of(cpu);
    uint8_t op = in->opcode & 0xff;
    int reg = in->reg, i = in->rm;
    struct hx h;
    memset(&h, 0, sizeof h);

    switch (op) {
    case 0xd8:
        if (reg == 2 || reg == 3)
            compare(cpu, HX_COM, i, &h, reg == 3, false);
        else
            arith(f, arith_op[reg], 0, i, &h, false);
        return;
    case 0xd9:
        exec_d9_reg(cpu, in);
        return;
    case 0xda:
        if (reg < 4) {
            fcmov(cpu, reg, false, i);
            return;
        }
        if (in->modrm == 0xe9) {                    /* FUCOMPP */
            compare(cpu, HX_UCOM, 1, &h, 2, false);
            return;
        }
        break;
    case 0xdb:
        if (reg < 4) {
            fcmov(cpu, reg, true, i);
            return;
        }
        switch (in->modrm) {
        case 0xe0: case 0xe1: case 0xe4: return;    /* FENI, FDISI, FSETPM: no-ops since the 387 */
        case 0xe2:                                  /* FNCLEX */
            f->fsw &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
            fpu_clear_ferr(cpu);
            return;
        case 0xe3: fpu_finit(cpu); return;          /* FNINIT */
        }
        if (reg == 5) { compare(cpu, HX_UCOM, i, &h, 0, true); return; }  /* FUCOMI */
        if (reg == 6) { compare(cpu, HX_COM, i, &h, 0, true); return; }   /* FCOMI */
        break;
    case 0xdc:
    case 0xde: {
        bool pop = op == 0xde;
        if (reg == 2) {                             /* FCOM2 / FCOMP5 aliases */
            compare(cpu, HX_COM, i, &h, pop ? 1 : 0, false);
            return;
        }
        if (reg == 3) {
            if (!pop) {                             /* FCOMP3 alias */
                compare(cpu, HX_COM, i, &h, 1, false);
                return;
            }
            if (i == 1) {                           /* FCOMPP */
                compare(cpu, HX_COM, 1, &h, 2, false);
                return;
            }
            break;
        }
        arith(f, arith_op[swap_reverse(reg)], i, 0, &h, pop);
        return;
    }
    case 0xdd:
        switch (reg) {
        case 0:                                                 /* FFREE: C1 = 0 (measured) */
            set_tag(f, st_phys(f, i), 3);
            f->fsw &= (uint16_t)~FSW_C1;
            return;
        case 1: fxch(f, i); return;                             /* FXCH4 alias */
        case 2: fst_reg(f, i, false); return;
        case 3: fst_reg(f, i, true); return;
        case 4: compare(cpu, HX_UCOM, i, &h, 0, false); return;
        case 5: compare(cpu, HX_UCOM, i, &h, 1, false); return;
        }
        break;
    case 0xdf:
        switch (reg) {
        case 0:                                                     /* FFREEP */
            set_tag(f, st_phys(f, i), 3);
            fpu_pop(f);
            f->fsw &= (uint16_t)~FSW_C1;
            return;
        case 1: fxch(f, i); return;                                 /* FXCH7 alias */
        case 2: case 3: fst_reg(f, i, true); return;                /* FSTP8/9 aliases */
        case 4:
            if (i == 0) {                                           /* FNSTSW AX */
                cpu_set_reg16(cpu, R_EAX, f->fsw);
                return;
            }
            break;
        case 5: compare(cpu, HX_UCOM, i, &h, 1, true); return;   /* FUCOMIP */
        case 6: compare(cpu, HX_COM, i, &h, 1, true); return;    /* FCOMIP */
        }
        break;
    }
    ud(cpu);
}

void x87_execute(struct cpu *cpu, const struct insn *in)
{
    struct fpu_state *f = fpu_of(cpu);

    if ((in->opcode & 0xff) == 0x9b) {
        /* FWAIT: #NM only when MP and TS are both set (SDM Vol. 3A table 2-2). */
        if ((cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
            cpu_raise(cpu, EXC_NM, false, 0);
        fpu_check_pending(cpu);
        return;
    }
    fpu_check_nm(cpu);

    enum ctl_kind kind = control_kind(in);
    if (kind != CTL_NOWAIT)
        fpu_check_pending(cpu);
    if (kind == CTL_NONE) {
        f->fip = in->rip;
        f->fcs = cpu->seg[SEG_CS].sel;
        f->fop = (uint16_t)(((in->opcode & 7) << 8) | in->modrm);
        if (in->mod != 3) {
            f->fdp = insn_ea(cpu, in);
            f->fds = cpu->seg[in->seg].sel;
        }
    }
    if (in->mod == 3)
        exec_reg(cpu, in);
    else
        exec_mem(cpu, in);
}
