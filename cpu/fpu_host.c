/*
 * fpu_host.c - runs one x87 operation on the host x87 with the guest's FCW
 * (see fpu_host.h for why). Each operation is one small asm block built
 * from the same frame:
 *
 *   FNSTCW host_cw; FLDENV start (guest FCW and C0-C3, empty stack);
 *   <load inputs>; <the instruction>; FNSAVE env; FLDCW host_cw
 *
 * Loading 80-bit values raises nothing, so all exceptions come from the
 * instruction itself, and condition codes the instruction leaves alone
 * keep the guest's values. FNSAVE dumps the host stack whatever depth the
 * instruction left (e.g. FSINCOS with an out-of-range operand does not
 * push), resets the unit so the host stack is empty again as the ABI wants,
 * and drops any pending exception without taking it.
 */
#include <string.h>
#include "cpu/fpu_host.h"

#define HX_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory"

#define HX_FRAME(loads, insn)                                               \
    __asm__ volatile("fnstcw %[hcw]\n\t"                                    \
                     "fldenv %[start]\n\t" loads insn "\n\t"               \
                     "fnsave %[env]\n\t"                                    \
                     "fldcw %[hcw]\n\t"                                     \
                     : [env] "=m"(env), [hcw] "=m"(hcw), [mem] "+m"(h->mem) \
                     : [a] "m"(h->in0), [b] "m"(h->in1), [start] "m"(start) \
                     : HX_CLOBBERS)

#define LOAD0 ""
#define LOAD1 "fldt %[a]\n\t"
#define LOAD2 "fldt %[b]\n\t" "fldt %[a]\n\t"

#define HX_CASE(op, loads, insn) case op: HX_FRAME(loads, insn); break;

void hx_run(enum hx_op op, struct hx *h)
{
    uint8_t env[108];       /* FNSAVE image, 32-bit protected-mode format */
    uint16_t hcw;
    /* Starting environment (32-bit format): the guest FCW, an FSW holding
     * only the guest's condition codes (no exceptions, TOP 0), all
     * registers empty. Loading 80-bit operands raises nothing. */
    uint32_t start[7] = { 0xffff0000u | h->cw, 0xffff0000u | (h->cc & 0x4700u),
                          0xffffffffu, 0, 0, 0, 0xffff0000u };

    switch ((int)op) {
    HX_CASE(HX_ADD, LOAD2, "fadd %%st(1), %%st")
    HX_CASE(HX_MUL, LOAD2, "fmul %%st(1), %%st")
    HX_CASE(HX_SUB, LOAD2, "fsub %%st(1), %%st")
    HX_CASE(HX_SUBR, LOAD2, "fsubr %%st(1), %%st")
    HX_CASE(HX_DIV, LOAD2, "fdiv %%st(1), %%st")
    HX_CASE(HX_DIVR, LOAD2, "fdivr %%st(1), %%st")
    HX_CASE(HX_COM, LOAD2, "fcom %%st(1)")
    HX_CASE(HX_UCOM, LOAD2, "fucom %%st(1)")
    HX_CASE(HX_TST, LOAD1, "ftst")
    HX_CASE(HX_XAM, LOAD1, "fxam")
    HX_CASE(HX_CHS, LOAD1, "fchs")
    HX_CASE(HX_ABS, LOAD1, "fabs")
    HX_CASE(HX_SQRT, LOAD1, "fsqrt")
    HX_CASE(HX_RNDINT, LOAD1, "frndint")
    HX_CASE(HX_F2XM1, LOAD1, "f2xm1")
    HX_CASE(HX_SIN, LOAD1, "fsin")
    HX_CASE(HX_COS, LOAD1, "fcos")
    HX_CASE(HX_SINCOS, LOAD1, "fsincos")
    HX_CASE(HX_PTAN, LOAD1, "fptan")
    HX_CASE(HX_XTRACT, LOAD1, "fxtract")
    HX_CASE(HX_PATAN, LOAD2, "fpatan")
    HX_CASE(HX_YL2X, LOAD2, "fyl2x")
    HX_CASE(HX_YL2XP1, LOAD2, "fyl2xp1")
    HX_CASE(HX_SCALE, LOAD2, "fscale")
    HX_CASE(HX_PREM, LOAD2, "fprem")
    HX_CASE(HX_PREM1, LOAD2, "fprem1")
    HX_CASE(HX_LD_F32, LOAD0, "flds %[mem]")
    HX_CASE(HX_LD_F64, LOAD0, "fldl %[mem]")
    HX_CASE(HX_LD_I16, LOAD0, "filds %[mem]")
    HX_CASE(HX_LD_I32, LOAD0, "fildl %[mem]")
    HX_CASE(HX_LD_I64, LOAD0, "fildll %[mem]")
    HX_CASE(HX_LD_BCD, LOAD0, "fbld %[mem]")
    HX_CASE(HX_LD_1, LOAD0, "fld1")
    HX_CASE(HX_LD_L2T, LOAD0, "fldl2t")
    HX_CASE(HX_LD_L2E, LOAD0, "fldl2e")
    HX_CASE(HX_LD_PI, LOAD0, "fldpi")
    HX_CASE(HX_LD_LG2, LOAD0, "fldlg2")
    HX_CASE(HX_LD_LN2, LOAD0, "fldln2")
    HX_CASE(HX_LD_Z, LOAD0, "fldz")
    HX_CASE(HX_ST_F32, LOAD1, "fsts %[mem]")
    HX_CASE(HX_ST_F64, LOAD1, "fstl %[mem]")
    HX_CASE(HX_ST_I16, LOAD1, "fists %[mem]")
    HX_CASE(HX_ST_I32, LOAD1, "fistl %[mem]")
    HX_CASE(HX_ST_I64, LOAD1, "fld %%st(0)\n\tfistpll %[mem]")
    HX_CASE(HX_STT_I16, LOAD1, "fld %%st(0)\n\tfisttps %[mem]")
    HX_CASE(HX_STT_I32, LOAD1, "fld %%st(0)\n\tfisttpl %[mem]")
    HX_CASE(HX_STT_I64, LOAD1, "fld %%st(0)\n\tfisttpll %[mem]")
    HX_CASE(HX_ST_BCD, LOAD1, "fld %%st(0)\n\tfbstp %[mem]")
#define HX_MEM_ROW(base, add, mul, com, sub, subr, div, divr)                  \
    HX_CASE(base + 0, LOAD1, add " %[mem]") HX_CASE(base + 1, LOAD1, mul " %[mem]") \
    HX_CASE(base + 2, LOAD1, com " %[mem]") HX_CASE(base + 3, LOAD1, com " %[mem]") \
    HX_CASE(base + 4, LOAD1, sub " %[mem]") HX_CASE(base + 5, LOAD1, subr " %[mem]") \
    HX_CASE(base + 6, LOAD1, div " %[mem]") HX_CASE(base + 7, LOAD1, divr " %[mem]")
    HX_MEM_ROW(HX_MEM + 0, "fadds", "fmuls", "fcoms", "fsubs", "fsubrs", "fdivs", "fdivrs")
    HX_MEM_ROW(HX_MEM + 8, "fiaddl", "fimull", "ficoml", "fisubl", "fisubrl", "fidivl", "fidivrl")
    HX_MEM_ROW(HX_MEM + 16, "faddl", "fmull", "fcoml", "fsubl", "fsubrl", "fdivl", "fdivrl")
    HX_MEM_ROW(HX_MEM + 24, "fiadds", "fimuls", "ficoms", "fisubs", "fisubrs", "fidivs", "fidivrs")
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
