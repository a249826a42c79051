/*
 * fpu_host.c - runs one x87 operation on the host x87 with the guest's FCW
 * (see fpu_host.h for why). Two asm frames:
 *
 * Exact frame, for every operation:
 *   FNSTCW host_cw; FLDENV start (guest FCW and C0-C3, empty stack);
 *   <load inputs>; <the instruction>; FNSAVE env; FLDCW host_cw
 * Loading 80-bit values raises nothing, so all exceptions come from the
 * instruction itself, and condition codes the instruction leaves alone
 * keep the guest's values. FNSAVE dumps the host stack whatever depth the
 * instruction left (e.g. FSINCOS with an out-of-range operand does not
 * push), resets the unit so the host stack is empty again as the ABI wants,
 * and drops any pending exception without taking it.
 *
 * Fast frame, for the common operations whose stack depth is fixed
 * (arithmetic, compares, loads, stores; FLDENV and FNSAVE cost about a
 * microsecond together):
 *   FNSTCW host_cw; FLDCW guest_cw; <load inputs>; <the instruction>;
 *   FNSTSW sw; FNCLEX; FSTP result; FFREE ST(0), ST(1); FLDCW host_cw
 * These instructions define C1 only (compares: C0-C3), so the guest's
 * other condition bits are simply kept. When the instruction raised an
 * unmasked exception (its depth or untouched bits are then less certain)
 * the operation is run again in the exact frame.
 */
#include <stdbool.h>
#include <string.h>
#include "cpu/fpu_host.h"

#define HX_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory"

#define HX_EXACT(loads, insn)                                               \
    __asm__ volatile("fnstcw %[hcw]\n\t"                                    \
                     "fldenv %[start]\n\t" loads insn "\n\t"               \
                     "fnsave %[env]\n\t"                                    \
                     "fldcw %[hcw]\n\t"                                     \
                     : [env] "=m"(env), [hcw] "=m"(hcw), [mem] "+m"(h->mem) \
                     : [a] "m"(h->in0), [b] "m"(h->in1), [start] "m"(start) \
                     : HX_CLOBBERS)

#define HX_FAST(loads, insn)                                                \
    __asm__ volatile("fnstcw %[hcw]\n\t"                                    \
                     "fldcw %[gcw]\n\t" loads insn "\n\t"                  \
                     "fnstsw %[sw]\n\t"                                     \
                     "fnclex\n\t"                                           \
                     "fstpt %[out]\n\t"                                     \
                     "ffree %%st(0)\n\t"                                    \
                     "ffree %%st(1)\n\t"                                    \
                     "fldcw %[hcw]\n\t"                                     \
                     : [out] "=m"(h->out[0]), [sw] "=m"(sw), [hcw] "=m"(hcw), \
                       [mem] "+m"(h->mem)                                   \
                     : [a] "m"(h->in0), [b] "m"(h->in1), [gcw] "m"(h->cw)   \
                     : HX_CLOBBERS)

#define LOAD0 ""
#define LOAD1 "fldt %[a]\n\t"
#define LOAD2 "fldt %[b]\n\t" "fldt %[a]\n\t"

/* How an operation may use the fast frame. */
enum { SLOW, FAST, FAST_CC /* defines C0/C2/C3 (compares, FXAM) */ };

/*
 * Every operation: X(op, kind, loads, instruction). The stores copy ST(0)
 * first where the instruction pops, so every store leaves one value.
 */
#define HX_MEM_ROW(X, base, add, mul, com, sub, subr, div, divr)          \
    X(base + 0, FAST, LOAD1, add " %[mem]")                                \
    X(base + 1, FAST, LOAD1, mul " %[mem]")                                \
    X(base + 2, FAST_CC, LOAD1, com " %[mem]")                             \
    X(base + 3, FAST_CC, LOAD1, com " %[mem]")                             \
    X(base + 4, FAST, LOAD1, sub " %[mem]")                                \
    X(base + 5, FAST, LOAD1, subr " %[mem]")                               \
    X(base + 6, FAST, LOAD1, div " %[mem]")                                \
    X(base + 7, FAST, LOAD1, divr " %[mem]")

#define HX_OPS(X)                                                           \
    X(HX_ADD, FAST, LOAD2, "fadd %%st(1), %%st")                           \
    X(HX_MUL, FAST, LOAD2, "fmul %%st(1), %%st")                           \
    X(HX_SUB, FAST, LOAD2, "fsub %%st(1), %%st")                           \
    X(HX_SUBR, FAST, LOAD2, "fsubr %%st(1), %%st")                         \
    X(HX_DIV, FAST, LOAD2, "fdiv %%st(1), %%st")                           \
    X(HX_DIVR, FAST, LOAD2, "fdivr %%st(1), %%st")                         \
    X(HX_COM, FAST_CC, LOAD2, "fcom %%st(1)")                              \
    X(HX_UCOM, FAST_CC, LOAD2, "fucom %%st(1)")                            \
    X(HX_TST, FAST_CC, LOAD1, "ftst")                                      \
    X(HX_XAM, FAST_CC, LOAD1, "fxam")                                      \
    X(HX_CHS, FAST, LOAD1, "fchs")                                         \
    X(HX_ABS, FAST, LOAD1, "fabs")                                         \
    X(HX_SQRT, FAST, LOAD1, "fsqrt")                                       \
    X(HX_RNDINT, FAST, LOAD1, "frndint")                                   \
    X(HX_F2XM1, SLOW, LOAD1, "f2xm1")                                      \
    X(HX_SIN, SLOW, LOAD1, "fsin")                                         \
    X(HX_COS, SLOW, LOAD1, "fcos")                                         \
    X(HX_SINCOS, SLOW, LOAD1, "fsincos")                                   \
    X(HX_PTAN, SLOW, LOAD1, "fptan")                                       \
    X(HX_XTRACT, SLOW, LOAD1, "fxtract")                                   \
    X(HX_PATAN, SLOW, LOAD2, "fpatan")                                     \
    X(HX_YL2X, SLOW, LOAD2, "fyl2x")                                       \
    X(HX_YL2XP1, SLOW, LOAD2, "fyl2xp1")                                   \
    X(HX_SCALE, SLOW, LOAD2, "fscale")                                     \
    X(HX_PREM, SLOW, LOAD2, "fprem")                                       \
    X(HX_PREM1, SLOW, LOAD2, "fprem1")                                     \
    X(HX_LD_F32, FAST, LOAD0, "flds %[mem]")                               \
    X(HX_LD_F64, FAST, LOAD0, "fldl %[mem]")                               \
    X(HX_LD_I16, FAST, LOAD0, "filds %[mem]")                              \
    X(HX_LD_I32, FAST, LOAD0, "fildl %[mem]")                              \
    X(HX_LD_I64, FAST, LOAD0, "fildll %[mem]")                             \
    X(HX_LD_BCD, FAST, LOAD0, "fbld %[mem]")                               \
    X(HX_LD_1, FAST, LOAD0, "fld1")                                        \
    X(HX_LD_L2T, FAST, LOAD0, "fldl2t")                                    \
    X(HX_LD_L2E, FAST, LOAD0, "fldl2e")                                    \
    X(HX_LD_PI, FAST, LOAD0, "fldpi")                                      \
    X(HX_LD_LG2, FAST, LOAD0, "fldlg2")                                    \
    X(HX_LD_LN2, FAST, LOAD0, "fldln2")                                    \
    X(HX_LD_Z, FAST, LOAD0, "fldz")                                        \
    X(HX_ST_F32, FAST, LOAD1, "fsts %[mem]")                               \
    X(HX_ST_F64, FAST, LOAD1, "fstl %[mem]")                               \
    X(HX_ST_I16, FAST, LOAD1, "fists %[mem]")                              \
    X(HX_ST_I32, FAST, LOAD1, "fistl %[mem]")                              \
    X(HX_ST_I64, FAST, LOAD1, "fld %%st(0)\n\tfistpll %[mem]")             \
    X(HX_STT_I16, FAST, LOAD1, "fld %%st(0)\n\tfisttps %[mem]")            \
    X(HX_STT_I32, FAST, LOAD1, "fld %%st(0)\n\tfisttpl %[mem]")            \
    X(HX_STT_I64, FAST, LOAD1, "fld %%st(0)\n\tfisttpll %[mem]")           \
    X(HX_ST_BCD, FAST, LOAD1, "fld %%st(0)\n\tfbstp %[mem]")               \
    HX_MEM_ROW(X, HX_MEM + 0, "fadds", "fmuls", "fcoms", "fsubs", "fsubrs", "fdivs", "fdivrs") \
    HX_MEM_ROW(X, HX_MEM + 8, "fiaddl", "fimull", "ficoml", "fisubl", "fisubrl", "fidivl", "fidivrl") \
    HX_MEM_ROW(X, HX_MEM + 16, "faddl", "fmull", "fcoml", "fsubl", "fsubrl", "fdivl", "fdivrl") \
    HX_MEM_ROW(X, HX_MEM + 24, "fiadds", "fimuls", "ficoms", "fisubs", "fisubrs", "fidivs", "fidivrs")

static void hx_run_exact(enum hx_op op, struct hx *h)
{
    uint8_t env[108];       /* FNSAVE image, 32-bit protected-mode format */
    uint16_t hcw;
    /* Starting environment (32-bit format): the guest FCW, an FSW holding
     * only the guest's condition codes (no exceptions, TOP 0), all
     * registers empty. */
    uint32_t start[7] = { 0xffff0000u | h->cw, 0xffff0000u | (h->cc & 0x4700u),
                          0xffffffffu, 0, 0, 0, 0xffff0000u };

    switch ((int)op) {
#define EXACT_CASE(o, kind, loads, insn) case o: HX_EXACT(loads, insn); break;
    HX_OPS(EXACT_CASE)
#undef EXACT_CASE
    default:
        h->sw = 0;
        h->depth = 0;
        return;
    }

    /* Parse the FNSAVE image: FSW at 4, full tag word at 8, ST(0) at 28. */
    uint16_t ftw;
    memcpy(&h->sw, env + 4, 2);
    memcpy(&ftw, env + 8, 2);
    h->depth = 0;
    for (int r = 0; r < 8; r++)
        if (((ftw >> (2 * r)) & 3) != 3)
            h->depth++;
    memset(h->out, 0, sizeof h->out);
    for (int i = 0; i < 2; i++) {
        memcpy(&h->out[i].mant, env + 28 + 10 * i, 8);
        memcpy(&h->out[i].sexp, env + 28 + 10 * i + 8, 2);
    }
}

/*
 * F2XM1 of +1 and -1: the only inputs in its domain besides zero whose
 * result (1 and -1/2) is representable, so the correctly rounded answer is
 * exact in every rounding mode and sets neither PE nor C1. Intel parts give
 * it; some AMD parts round 2^1 - 1 down to 1 - 2^-64 under RC=down/zero.
 * softvm models the Intel CPU it reports in CPUID, on any host.
 */
static void hx_f2xm1_exact(struct hx *h)
{
    bool neg = h->in0.sexp & 0x8000;
    h->out[0].mant = 0x8000000000000000ull;
    h->out[0].sexp = neg ? 0xbffe : 0x3fff;
    h->sw &= (uint16_t)~(0x0020 | 0x0200);              /* PE, C1 */
    if (!(h->sw & ~h->cw & 0x3f))
        h->sw &= (uint16_t)~(0x0080 | 0x8000);          /* ES, B */
}

void hx_run(enum hx_op op, struct hx *h)
{
    uint16_t sw, hcw;
    int kind;

    if (op == HX_F2XM1 && h->in0.mant == 0x8000000000000000ull &&
        (h->in0.sexp & 0x7fff) == 0x3fff) {
        hx_run_exact(op, h);
        hx_f2xm1_exact(h);
        return;
    }

    switch ((int)op) {
#define FAST_CASE(o, k, loads, insn) \
    case o: kind = k; if (k != SLOW) HX_FAST(loads, insn); break;
    HX_OPS(FAST_CASE)
#undef FAST_CASE
    default:
        kind = SLOW;
        break;
    }
    if (kind == SLOW || (sw & ~h->cw & 0x3f)) {
        hx_run_exact(op, h);
        return;
    }
    uint16_t cc_mask = kind == FAST_CC ? 0x4700 : 0x0200;      /* C0-C3 or just C1 */
    h->sw = (uint16_t)((sw & ~0x4700) | (sw & cc_mask) | (h->cc & 0x4700 & ~cc_mask));
    h->depth = 1;
    memset(&h->out[1], 0, sizeof h->out[1]);
}
