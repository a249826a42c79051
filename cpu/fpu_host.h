/*
 * fpu_host.h - x87 arithmetic carried out on the host's own x87 unit.
 *
 * Why: the guest's x87 must give the results real hardware gives, bit for
 * bit, including 80-bit rounding under every FCW precision/rounding control,
 * NaN propagation, denormals and the transcendental instructions, whose
 * exact results are only defined by the silicon. softvm runs on x86-64
 * hosts, and every such host has an x87, so each guest operation is run as
 * the same host instruction on the guest's operands with the guest's FCW
 * loaded (exception masks included: with a guest exception unmasked, the
 * host instruction also gives the "unmasked response" - e.g. it leaves the
 * destination untouched for #I/#Z/#D and rebiases the exponent for #O/#U).
 * The host never takes the resulting pending exception: the sequence ends
 * with FNSAVE (a non-waiting instruction that also reinitialises the unit),
 * then reloads the host FCW. The guest's status-word bits are then merged by
 * cpu/fpu.c, which also owns the stack, tags and the masking rules for the
 * stack faults it detects itself. A portable soft-float can replace this
 * file later with the same interface.
 */
#ifndef SOFTVM_CPU_FPU_HOST_H
#define SOFTVM_CPU_FPU_HOST_H

#include <stdint.h>

/* An 80-bit value as it lies in memory: significand, then sign+exponent. */
struct f80 {
    uint64_t mant;
    uint16_t sexp;
};

/* Operations: ST(0) is in0, ST(1) is in1 at the start (where used). */
enum hx_op {
    /* two stack inputs, result in ST(0): st0 = st0 op st1 */
    HX_ADD, HX_MUL, HX_SUB, HX_SUBR, HX_DIV, HX_DIVR,
    /* compares: condition codes only */
    HX_COM, HX_UCOM, HX_TST, HX_XAM,
    /* one input, replaced (or pushed onto for SINCOS, PTAN, XTRACT) */
    HX_CHS, HX_ABS, HX_SQRT, HX_RNDINT, HX_F2XM1, HX_SIN, HX_COS,
    HX_SINCOS, HX_PTAN, HX_XTRACT,
    /* two inputs, ST(0) and ST(1), as the instruction defines */
    HX_PATAN, HX_YL2X, HX_YL2XP1, HX_SCALE, HX_PREM, HX_PREM1,
    /* loads from mem[] onto the empty stack */
    HX_LD_F32, HX_LD_F64, HX_LD_I16, HX_LD_I32, HX_LD_I64, HX_LD_BCD,
    HX_LD_1, HX_LD_L2T, HX_LD_L2E, HX_LD_PI, HX_LD_LG2, HX_LD_LN2, HX_LD_Z,
    /* stores of in0 to mem[] */
    HX_ST_F32, HX_ST_F64, HX_ST_I16, HX_ST_I32, HX_ST_I64,
    HX_STT_I16, HX_STT_I32, HX_STT_I64, HX_ST_BCD,
    /* ST(0) op memory operand, as D8/DA/DC/DE with a memory ModRM: eight
     * ops (by ModRM.reg; FCOMP is run as FCOM, the caller pops) for each
     * of m32real, m32int, m64real, m16int. Index: HX_MEM + type * 8 + reg. */
    HX_MEM,
    HX_OP_COUNT = HX_MEM + 32
};

struct hx {
    /* inputs */
    uint16_t cw;            /* the guest FCW */
    uint16_t cc;            /* the guest's C0-C3, the host starts from them */
    struct f80 in0, in1;
    uint8_t mem[16];        /* memory operand image (loads and stores) */
    /* outputs */
    uint16_t sw;            /* host FSW after the operation */
    int depth;              /* how many values the host stack holds after it */
    struct f80 out[2];      /* ST(0), ST(1) after it */
};

/* Run one operation on the host x87. */
void hx_run(enum hx_op op, struct hx *h);

#endif
