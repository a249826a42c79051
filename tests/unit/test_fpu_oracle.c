/*
 * test_fpu_oracle.c - x87, SSE and MMX arithmetic against values that do
 * not come from the host. softvm runs these instructions on the host CPU
 * (cpu/fpu_host.c, cpu/simd_host.c), so the differential tests of
 * test_fpu_x87.c and test_fpu_simd.c check only the state around them;
 * these check the results themselves:
 *  - exact rational cases (sums, products, quotients, square roots and
 *    conversions of representable values) whose correctly rounded result
 *    is known in every rounding mode: ties, values just off a tie, and
 *    exact results, each run with RC/MXCSR.RC = nearest, down, up, zero;
 *  - the special values the SDM defines bit for bit (MIN/MAX with zeros
 *    and NaNs, RCP/RSQRT of 0, infinity and negatives, the integer
 *    indefinite 80000000, COMISS flag patterns, FPREM's quotient bits);
 *  - the published x87 constants (SDM Vol. 1 8.3.8: FLDPI gives
 *    C90FDAA22168C235 rounding to nearest or up, ...C234 down or toward
 *    zero; the other constants likewise correctly rounded);
 *  - integer MMX results computed lane by lane from the SDM's definitions.
 * The tables were written from exact rational arithmetic (Python
 * fractions), not by running any FPU. Each arithmetic instruction softvm
 * hands to the host appears at least once.
 */
#include "tests/unit/fpu_harness.h"

/* Table rows leave the memory fields of register-only cases zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum { RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO, RC_COUNT };
static const char *const rc_name[RC_COUNT] = { "nearest", "down", "up", "toward zero" };

struct f80 {
    uint16_t se;                 /* sign and biased exponent */
    uint64_t m;                  /* significand with the explicit integer bit */
};

/* x87: ST0 = in[0], ST1 = in[1] (TOP = 0), optionally a memory operand at
 * [EBX]; ST0 (and ST1) or the memory bytes checked per rounding mode, and
 * the FSW condition bits under cc_mask. */
struct x87_case {
    const char *what;
    uint8_t code[2];
    int nin;
    struct f80 in[2];
    int nout;
    struct f80 want[RC_COUNT][2];
    uint16_t cc_mask, cc_want;
    uint8_t mem[10];
    int nmem_out;                /* > 0: check these memory bytes, not the stack */
    uint8_t mem_want[RC_COUNT][10];
};

static const struct x87_case x87_cases[] = {
    { "fadd: 1 + 2^-64, the tie between 1 and 1+2^-63", { 0xd8, 0xc1 }, 2, { { 0x3fff, 0x8000000000000000ull }, { 0x3fbf, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000001ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "fadd: -1 + -2^-64", { 0xd8, 0xc1 }, 2, { { 0xbfff, 0x8000000000000000ull }, { 0xbfbf, 0x8000000000000000ull } }, 1, { { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000001ull } }, { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "fsub: 1 - 2^-65, the tie below 1", { 0xd8, 0xe1 }, 2, { { 0x3fff, 0x8000000000000000ull }, { 0x3fbe, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3ffe, 0xffffffffffffffffull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3ffe, 0xffffffffffffffffull } } }, 0x0000, 0x0000 },
    { "fsubr: 1 - 2^-65 (st1 - st0)", { 0xd8, 0xe9 }, 2, { { 0x3fbe, 0x8000000000000000ull }, { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3ffe, 0xffffffffffffffffull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3ffe, 0xffffffffffffffffull } } }, 0x0000, 0x0000 },
    { "fmul: (1+2^-63)^2 = 1+2^-62+2^-126", { 0xd8, 0xc9 }, 2, { { 0x3fff, 0x8000000000000001ull }, { 0x3fff, 0x8000000000000001ull } }, 1, { { { 0x3fff, 0x8000000000000002ull } }, { { 0x3fff, 0x8000000000000002ull } }, { { 0x3fff, 0x8000000000000003ull } }, { { 0x3fff, 0x8000000000000002ull } } }, 0x0000, 0x0000 },
    { "fdiv: 1/3", { 0xd8, 0xf1 }, 2, { { 0x3fff, 0x8000000000000000ull }, { 0x4000, 0xc000000000000000ull } }, 1, { { { 0x3ffd, 0xaaaaaaaaaaaaaaabull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaaaull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaabull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaaaull } } }, 0x0000, 0x0000 },
    { "fdiv: -1/3", { 0xd8, 0xf1 }, 2, { { 0xbfff, 0x8000000000000000ull }, { 0x4000, 0xc000000000000000ull } }, 1, { { { 0xbffd, 0xaaaaaaaaaaaaaaabull } }, { { 0xbffd, 0xaaaaaaaaaaaaaaabull } }, { { 0xbffd, 0xaaaaaaaaaaaaaaaaull } }, { { 0xbffd, 0xaaaaaaaaaaaaaaaaull } } }, 0x0000, 0x0000 },
    { "fdivr: 1/3 (st1 / st0)", { 0xd8, 0xf9 }, 2, { { 0x4000, 0xc000000000000000ull }, { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x3ffd, 0xaaaaaaaaaaaaaaabull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaaaull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaabull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaaaull } } }, 0x0000, 0x0000 },
    { "fsqrt: sqrt 2", { 0xd9, 0xfa }, 1, { { 0x4000, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0xb504f333f9de6484ull } }, { { 0x3fff, 0xb504f333f9de6484ull } }, { { 0x3fff, 0xb504f333f9de6485ull } }, { { 0x3fff, 0xb504f333f9de6484ull } } }, 0x0000, 0x0000 },
    { "fsqrt: sqrt 2.25 = 1.5 exactly", { 0xd9, 0xfa }, 1, { { 0x4000, 0x9000000000000000ull } }, 1, { { { 0x3fff, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull } } }, 0x0000, 0x0000 },
    { "fprem: 7 rem 2 = 1, quotient 3 in C0 C3 C1", { 0xd9, 0xf8 }, 2, { { 0x4001, 0xe000000000000000ull }, { 0x4000, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x4700, 0x4200 },
    { "fprem1: 7 rem 2 = -1, quotient 4 (nearest even)", { 0xd9, 0xf5 }, 2, { { 0x4001, 0xe000000000000000ull }, { 0x4000, 0x8000000000000000ull } }, 1, { { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000000ull } } }, 0x4700, 0x0100 },
    { "frndint: 2.5", { 0xd9, 0xfc }, 1, { { 0x4000, 0xa000000000000000ull } }, 1, { { { 0x4000, 0x8000000000000000ull } }, { { 0x4000, 0x8000000000000000ull } }, { { 0x4000, 0xc000000000000000ull } }, { { 0x4000, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "frndint: -2.5", { 0xd9, 0xfc }, 1, { { 0xc000, 0xa000000000000000ull } }, 1, { { { 0xc000, 0x8000000000000000ull } }, { { 0xc000, 0xc000000000000000ull } }, { { 0xc000, 0x8000000000000000ull } }, { { 0xc000, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "fscale: 1.5 * 2^3", { 0xd9, 0xfd }, 2, { { 0x3fff, 0xc000000000000000ull }, { 0x4000, 0xc000000000000000ull } }, 1, { { { 0x4002, 0xc000000000000000ull } }, { { 0x4002, 0xc000000000000000ull } }, { { 0x4002, 0xc000000000000000ull } }, { { 0x4002, 0xc000000000000000ull } } }, 0x0000, 0x0000 },
    { "fxtract: 12 = 1.5 * 2^3", { 0xd9, 0xf4 }, 1, { { 0x4002, 0xc000000000000000ull } }, 2, { { { 0x3fff, 0xc000000000000000ull }, { 0x4000, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull }, { 0x4000, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull }, { 0x4000, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull }, { 0x4000, 0xc000000000000000ull } } }, 0x0000, 0x0000 },
    { "f2xm1: 2^1 - 1", { 0xd9, 0xf0 }, 1, { { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "f2xm1: 2^-1 - 1", { 0xd9, 0xf0 }, 1, { { 0xbfff, 0x8000000000000000ull } }, 1, { { { 0xbffe, 0x8000000000000000ull } }, { { 0xbffe, 0x8000000000000000ull } }, { { 0xbffe, 0x8000000000000000ull } }, { { 0xbffe, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "fyl2x: 1.5 * log2 8", { 0xd9, 0xf1 }, 2, { { 0x4002, 0x8000000000000000ull }, { 0x3fff, 0xc000000000000000ull } }, 1, { { { 0x4001, 0x9000000000000000ull } }, { { 0x4001, 0x9000000000000000ull } }, { { 0x4001, 0x9000000000000000ull } }, { { 0x4001, 0x9000000000000000ull } } }, 0x0000, 0x0000 },
    { "fyl2xp1: 1 * log2(1 + 0) = +0", { 0xd9, 0xf9 }, 2, { { 0x0000, 0x0000000000000000ull }, { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000 },
    { "fptan: tan +0 = +0, then 1.0 pushed", { 0xd9, 0xf2 }, 1, { { 0x0000, 0x0000000000000000ull } }, 2, { { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000 },
    { "fpatan: atan(+0 / 1) = +0", { 0xd9, 0xf3 }, 2, { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000 },
    { "fpatan: atan(1 / +0) = pi/2 (SDM FPATAN special cases)", { 0xd9, 0xf3 }, 2, { { 0x0000, 0x0000000000000000ull }, { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0xc90fdaa22168c235ull } }, { { 0x3fff, 0xc90fdaa22168c234ull } }, { { 0x3fff, 0xc90fdaa22168c235ull } }, { { 0x3fff, 0xc90fdaa22168c234ull } } }, 0x0000, 0x0000 },
    { "fsin: sin +0 = +0", { 0xd9, 0xfe }, 1, { { 0x0000, 0x0000000000000000ull } }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000 },
    { "fcos: cos +0 = 1", { 0xd9, 0xff }, 1, { { 0x0000, 0x0000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "fsincos: +0 gives cos 1 in ST0, sin +0 in ST1", { 0xd9, 0xfb }, 1, { { 0x0000, 0x0000000000000000ull } }, 2, { { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull }, { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000 },
    { "fabs: |-1.5|", { 0xd9, 0xe1 }, 1, { { 0xbfff, 0xc000000000000000ull } }, 1, { { { 0x3fff, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull } }, { { 0x3fff, 0xc000000000000000ull } } }, 0x0000, 0x0000 },
    { "fchs: -(1.5)", { 0xd9, 0xe0 }, 1, { { 0x3fff, 0xc000000000000000ull } }, 1, { { { 0xbfff, 0xc000000000000000ull } }, { { 0xbfff, 0xc000000000000000ull } }, { { 0xbfff, 0xc000000000000000ull } }, { { 0xbfff, 0xc000000000000000ull } } }, 0x0000, 0x0000 },
    { "fldpi (SDM Vol. 1 8.3.8: C235 nearest/up, C234 down/zero)", { 0xd9, 0xeb }, 0, {  }, 1, { { { 0x4000, 0xc90fdaa22168c235ull } }, { { 0x4000, 0xc90fdaa22168c234ull } }, { { 0x4000, 0xc90fdaa22168c235ull } }, { { 0x4000, 0xc90fdaa22168c234ull } } }, 0x0000, 0x0000 },
    { "fldl2e", { 0xd9, 0xea }, 0, {  }, 1, { { { 0x3fff, 0xb8aa3b295c17f0bcull } }, { { 0x3fff, 0xb8aa3b295c17f0bbull } }, { { 0x3fff, 0xb8aa3b295c17f0bcull } }, { { 0x3fff, 0xb8aa3b295c17f0bbull } } }, 0x0000, 0x0000 },
    { "fldl2t", { 0xd9, 0xe9 }, 0, {  }, 1, { { { 0x4000, 0xd49a784bcd1b8afeull } }, { { 0x4000, 0xd49a784bcd1b8afeull } }, { { 0x4000, 0xd49a784bcd1b8affull } }, { { 0x4000, 0xd49a784bcd1b8afeull } } }, 0x0000, 0x0000 },
    { "fldlg2", { 0xd9, 0xec }, 0, {  }, 1, { { { 0x3ffd, 0x9a209a84fbcff799ull } }, { { 0x3ffd, 0x9a209a84fbcff798ull } }, { { 0x3ffd, 0x9a209a84fbcff799ull } }, { { 0x3ffd, 0x9a209a84fbcff798ull } } }, 0x0000, 0x0000 },
    { "fldln2", { 0xd9, 0xed }, 0, {  }, 1, { { { 0x3ffe, 0xb17217f7d1cf79acull } }, { { 0x3ffe, 0xb17217f7d1cf79abull } }, { { 0x3ffe, 0xb17217f7d1cf79acull } }, { { 0x3ffe, 0xb17217f7d1cf79abull } } }, 0x0000, 0x0000 },
    { "fld1", { 0xd9, 0xe8 }, 0, {  }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x0000, 0x0000 },
    { "fldz", { 0xd9, 0xee }, 0, {  }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000 },
    { "fcom: 1 < 2 sets C0", { 0xd8, 0xd1 }, 2, { { 0x3fff, 0x8000000000000000ull }, { 0x4000, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x4500, 0x0100 },
    { "fcom: 2 = 2 sets C3", { 0xd8, 0xd1 }, 2, { { 0x4000, 0x8000000000000000ull }, { 0x4000, 0x8000000000000000ull } }, 1, { { { 0x4000, 0x8000000000000000ull } }, { { 0x4000, 0x8000000000000000ull } }, { { 0x4000, 0x8000000000000000ull } }, { { 0x4000, 0x8000000000000000ull } } }, 0x4500, 0x4000 },
    { "fucom: unordered with a QNaN sets C3 C2 C0", { 0xdd, 0xe1 }, 2, { { 0x3fff, 0x8000000000000000ull }, { 0x7fff, 0xc000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x4500, 0x4500 },
    { "ftst: -1 < 0 sets C0", { 0xd9, 0xe4 }, 1, { { 0xbfff, 0x8000000000000000ull } }, 1, { { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000000ull } }, { { 0xbfff, 0x8000000000000000ull } } }, 0x4500, 0x0100 },
    { "faddp: 1 + 2, popped", { 0xde, 0xc1 }, 2, { { 0x3fff, 0x8000000000000000ull }, { 0x4000, 0x8000000000000000ull } }, 1, { { { 0x4000, 0xc000000000000000ull } }, { { 0x4000, 0xc000000000000000ull } }, { { 0x4000, 0xc000000000000000ull } }, { { 0x4000, 0xc000000000000000ull } } }, 0x0000, 0x0000 },
    { "fmulp: 1.5 * 1.5, popped", { 0xde, 0xc9 }, 2, { { 0x3fff, 0xc000000000000000ull }, { 0x3fff, 0xc000000000000000ull } }, 1, { { { 0x4000, 0x9000000000000000ull } }, { { 0x4000, 0x9000000000000000ull } }, { { 0x4000, 0x9000000000000000ull } }, { { 0x4000, 0x9000000000000000ull } } }, 0x0000, 0x0000 },
    { "fiadd m32: 1 + 2", { 0xda, 0x03 }, 1, { { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x4000, 0xc000000000000000ull } }, { { 0x4000, 0xc000000000000000ull } }, { { 0x4000, 0xc000000000000000ull } }, { { 0x4000, 0xc000000000000000ull } } }, 0x0000, 0x0000, { 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { "fild m32: -5", { 0xdb, 0x03 }, 0, {  }, 1, { { { 0xc001, 0xa000000000000000ull } }, { { 0xc001, 0xa000000000000000ull } }, { { 0xc001, 0xa000000000000000ull } }, { { 0xc001, 0xa000000000000000ull } } }, 0x0000, 0x0000, { 0xfb, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { "fistp m32: 2.5 by the rounding mode", { 0xdb, 0x1b }, 1, { { 0x4000, 0xa000000000000000ull } }, 1, { { { 0x4000, 0xa000000000000000ull } }, { { 0x4000, 0xa000000000000000ull } }, { { 0x4000, 0xa000000000000000ull } }, { { 0x4000, 0xa000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 4, { { 0x02, 0x00, 0x00, 0x00 }, { 0x02, 0x00, 0x00, 0x00 }, { 0x03, 0x00, 0x00, 0x00 }, { 0x02, 0x00, 0x00, 0x00 } } },
    { "fbld: -987654321", { 0xdf, 0x23 }, 0, {  }, 1, { { { 0xc01c, 0xeb79a2c400000000ull } }, { { 0xc01c, 0xeb79a2c400000000ull } }, { { 0xc01c, 0xeb79a2c400000000ull } }, { { 0xc01c, 0xeb79a2c400000000ull } } }, 0x0000, 0x0000, { 0x21, 0x43, 0x65, 0x87, 0x09, 0x00, 0x00, 0x00, 0x00, 0x80 } },
    { "fbstp: 1234567.5 by the rounding mode", { 0xdf, 0x33 }, 1, { { 0x4013, 0x96b43c0000000000ull } }, 1, { { { 0x4013, 0x96b43c0000000000ull } }, { { 0x4013, 0x96b43c0000000000ull } }, { { 0x4013, 0x96b43c0000000000ull } }, { { 0x4013, 0x96b43c0000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 10, { { 0x68, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, { 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, { 0x68, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, { 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } } },
    { "fst m32: 1 + 2^-24 rounded to single", { 0xd9, 0x13 }, 1, { { 0x3fff, 0x8000008000000000ull } }, 1, { { { 0x3fff, 0x8000008000000000ull } }, { { 0x3fff, 0x8000008000000000ull } }, { { 0x3fff, 0x8000008000000000ull } }, { { 0x3fff, 0x8000008000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 4, { { 0x00, 0x00, 0x80, 0x3f }, { 0x00, 0x00, 0x80, 0x3f }, { 0x01, 0x00, 0x80, 0x3f }, { 0x00, 0x00, 0x80, 0x3f } } },
    { "fst m64: 1 + 2^-53 rounded to double", { 0xdd, 0x13 }, 1, { { 0x3fff, 0x8000000000000400ull } }, 1, { { { 0x3fff, 0x8000000000000400ull } }, { { 0x3fff, 0x8000000000000400ull } }, { { 0x3fff, 0x8000000000000400ull } }, { { 0x3fff, 0x8000000000000400ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 8, { { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f }, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f }, { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f }, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f } } },
    { "fist m16: 2.5", { 0xdf, 0x13 }, 1, { { 0x4000, 0xa000000000000000ull } }, 1, { { { 0x4000, 0xa000000000000000ull } }, { { 0x4000, 0xa000000000000000ull } }, { { 0x4000, 0xa000000000000000ull } }, { { 0x4000, 0xa000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 2, { { 0x02, 0x00 }, { 0x02, 0x00 }, { 0x03, 0x00 }, { 0x02, 0x00 } } },
    { "fistp m64: -2.5", { 0xdf, 0x3b }, 1, { { 0xc000, 0xa000000000000000ull } }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 8, { { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } } },
    { "fisttp m16: -2.7 truncates in every mode", { 0xdf, 0x0b }, 1, { { 0xc000, 0xaccccccccccccccdull } }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 2, { { 0xfe, 0xff }, { 0xfe, 0xff }, { 0xfe, 0xff }, { 0xfe, 0xff } } },
    { "fisttp m32: 2.7", { 0xdb, 0x0b }, 1, { { 0x4000, 0xaccccccccccccccdull } }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 4, { { 0x02, 0x00, 0x00, 0x00 }, { 0x02, 0x00, 0x00, 0x00 }, { 0x02, 0x00, 0x00, 0x00 }, { 0x02, 0x00, 0x00, 0x00 } } },
    { "fisttp m64: -2.7", { 0xdd, 0x0b }, 1, { { 0xc000, 0xaccccccccccccccdull } }, 1, { { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } }, { { 0x0000, 0x0000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 8, { { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } } },
    { "fld m32: 0.1f exactly", { 0xd9, 0x03 }, 0, {  }, 1, { { { 0x3ffb, 0xcccccd0000000000ull } }, { { 0x3ffb, 0xcccccd0000000000ull } }, { { 0x3ffb, 0xcccccd0000000000ull } }, { { 0x3ffb, 0xcccccd0000000000ull } } }, 0x0000, 0x0000, { 0xcd, 0xcc, 0xcc, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { "fld m64: 0.1 exactly", { 0xdd, 0x03 }, 0, {  }, 1, { { { 0x3ffb, 0xccccccccccccd000ull } }, { { 0x3ffb, 0xccccccccccccd000ull } }, { { 0x3ffb, 0xccccccccccccd000ull } }, { { 0x3ffb, 0xccccccccccccd000ull } } }, 0x0000, 0x0000, { 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f, 0x00, 0x00 } },
    { "fild m16: -32768", { 0xdf, 0x03 }, 0, {  }, 1, { { { 0xc00e, 0x8000000000000000ull } }, { { 0xc00e, 0x8000000000000000ull } }, { { 0xc00e, 0x8000000000000000ull } }, { { 0xc00e, 0x8000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { "fild m64: -2^63", { 0xdf, 0x2b }, 0, {  }, 1, { { { 0xc03e, 0x8000000000000000ull } }, { { 0xc03e, 0x8000000000000000ull } }, { { 0xc03e, 0x8000000000000000ull } }, { { 0xc03e, 0x8000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00 } },
    { "fadd m32: 1 + 2^-64 is a tie", { 0xd8, 0x03 }, 1, { { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000000ull } }, { { 0x3fff, 0x8000000000000001ull } }, { { 0x3fff, 0x8000000000000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x80, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { "fmul m64: (1+2^-52) * (1+2^-52)", { 0xdc, 0x0b }, 1, { { 0x3fff, 0x8000000000000800ull } }, 1, { { { 0x3fff, 0x8000000000001000ull } }, { { 0x3fff, 0x8000000000001000ull } }, { { 0x3fff, 0x8000000000001001ull } }, { { 0x3fff, 0x8000000000001000ull } } }, 0x0000, 0x0000, { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00 } },
    { "fidiv m16: 1 / 3", { 0xde, 0x33 }, 1, { { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0x3ffd, 0xaaaaaaaaaaaaaaabull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaaaull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaabull } }, { { 0x3ffd, 0xaaaaaaaaaaaaaaaaull } } }, 0x0000, 0x0000, { 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { "fisub m32: 1 - 2^30", { 0xda, 0x23 }, 1, { { 0x3fff, 0x8000000000000000ull } }, 1, { { { 0xc01c, 0xfffffffc00000000ull } }, { { 0xc01c, 0xfffffffc00000000ull } }, { { 0xc01c, 0xfffffffc00000000ull } }, { { 0xc01c, 0xfffffffc00000000ull } } }, 0x0000, 0x0000, { 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
    { "fxam: -0 is C3, C1 = sign", { 0xd9, 0xe5 }, 1, { { 0x8000, 0x0000000000000000ull } }, 1, { { { 0x8000, 0x0000000000000000ull } }, { { 0x8000, 0x0000000000000000ull } }, { { 0x8000, 0x0000000000000000ull } }, { { 0x8000, 0x0000000000000000ull } } }, 0x4700, 0x4200 },
};

/* SSE/MMX: XMM0/XMM1 (or MM0/MM1, the x87 register slots) and EAX in; one
 * place out. */
enum out_kind { O_XMM0, O_EAX, O_FLAGS, O_MM0 };
struct simd_case {
    const char *what;
    uint8_t code[6];
    int len;
    uint64_t a[2], b[2];         /* XMM0 or MM0, XMM1 or MM1 */
    uint32_t eax;
    bool mmx_src;                /* b goes to MM1 */
    bool mmx_dst;                /* a goes to MM0 */
    enum out_kind out;
    uint64_t want[RC_COUNT][2];
};

static const struct simd_case simd_cases[] = {
    { "addss: 1 + 2^-24, a tie", { 0xf3, 0x0f, 0x58, 0xc1 }, 4, { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x0000000033800000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x555555553f800001ull, 0x5555555555555555ull }, { 0x555555553f800000ull, 0x5555555555555555ull } } },
    { "addsd: 1 + 2^-53, a tie", { 0xf2, 0x0f, 0x58, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3ca0000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3ff0000000000001ull, 0x5555555555555555ull }, { 0x3ff0000000000000ull, 0x5555555555555555ull } } },
    { "addps: ties up and down, exact", { 0x0f, 0x58, 0xc1 }, 3, { 0xbf8000003f800000ull, 0x3f00000040400000ull }, { 0xb380000033800000ull, 0x3e8000003f800000ull }, 0x00000000, false, false, O_XMM0, { { 0xbf8000003f800000ull, 0x3f40000040800000ull }, { 0xbf8000013f800000ull, 0x3f40000040800000ull }, { 0xbf8000003f800001ull, 0x3f40000040800000ull }, { 0xbf8000003f800000ull, 0x3f40000040800000ull } } },
    { "addpd: ties of both signs", { 0x66, 0x0f, 0x58, 0xc1 }, 4, { 0x3ff0000000000000ull, 0xbff0000000000000ull }, { 0x3ca0000000000000ull, 0xbca0000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff0000000000000ull, 0xbff0000000000000ull }, { 0x3ff0000000000000ull, 0xbff0000000000001ull }, { 0x3ff0000000000001ull, 0xbff0000000000000ull }, { 0x3ff0000000000000ull, 0xbff0000000000000ull } } },
    { "subss: 1 - 2^-25, the tie below 1", { 0xf3, 0x0f, 0x5c, 0xc1 }, 4, { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x0000000033000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x555555553f7fffffull, 0x5555555555555555ull }, { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x555555553f7fffffull, 0x5555555555555555ull } } },
    { "subsd: 1 - 2^-54", { 0xf2, 0x0f, 0x5c, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3c90000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3fefffffffffffffull, 0x5555555555555555ull }, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3fefffffffffffffull, 0x5555555555555555ull } } },
    { "subps", { 0x0f, 0x5c, 0xc1 }, 3, { 0xbf8000003f800000ull, 0x0000000040a00000ull }, { 0xb300000033000000ull, 0x3e00000040e00000ull }, 0x00000000, false, false, O_XMM0, { { 0xbf8000003f800000ull, 0xbe000000c0000000ull }, { 0xbf8000003f7fffffull, 0xbe000000c0000000ull }, { 0xbf7fffff3f800000ull, 0xbe000000c0000000ull }, { 0xbf7fffff3f7fffffull, 0xbe000000c0000000ull } } },
    { "subpd", { 0x66, 0x0f, 0x5c, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x4008000000000000ull }, { 0x3c90000000000000ull, 0x3fe0000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff0000000000000ull, 0x4004000000000000ull }, { 0x3fefffffffffffffull, 0x4004000000000000ull }, { 0x3ff0000000000000ull, 0x4004000000000000ull }, { 0x3fefffffffffffffull, 0x4004000000000000ull } } },
    { "mulss: (1+2^-23)^2", { 0xf3, 0x0f, 0x59, 0xc1 }, 4, { 0x555555553f800001ull, 0x5555555555555555ull }, { 0x000000003f800001ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x555555553f800002ull, 0x5555555555555555ull }, { 0x555555553f800002ull, 0x5555555555555555ull }, { 0x555555553f800003ull, 0x5555555555555555ull }, { 0x555555553f800002ull, 0x5555555555555555ull } } },
    { "mulsd: (1+2^-52)^2", { 0xf2, 0x0f, 0x59, 0xc1 }, 4, { 0x3ff0000000000001ull, 0x5555555555555555ull }, { 0x3ff0000000000001ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff0000000000002ull, 0x5555555555555555ull }, { 0x3ff0000000000002ull, 0x5555555555555555ull }, { 0x3ff0000000000003ull, 0x5555555555555555ull }, { 0x3ff0000000000002ull, 0x5555555555555555ull } } },
    { "mulps", { 0x0f, 0x59, 0xc1 }, 3, { 0xbf8000013f800001ull, 0x3f00000040400000ull }, { 0x3f8000013f800001ull, 0xc080000040a00000ull }, 0x00000000, false, false, O_XMM0, { { 0xbf8000023f800002ull, 0xc000000041700000ull }, { 0xbf8000033f800002ull, 0xc000000041700000ull }, { 0xbf8000023f800003ull, 0xc000000041700000ull }, { 0xbf8000023f800002ull, 0xc000000041700000ull } } },
    { "mulpd", { 0x66, 0x0f, 0x59, 0xc1 }, 4, { 0x3ff0000000000001ull, 0x3ff8000000000000ull }, { 0xbff0000000000001ull, 0x3ff8000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0xbff0000000000002ull, 0x4002000000000000ull }, { 0xbff0000000000003ull, 0x4002000000000000ull }, { 0xbff0000000000002ull, 0x4002000000000000ull }, { 0xbff0000000000002ull, 0x4002000000000000ull } } },
    { "divss: 1/3", { 0xf3, 0x0f, 0x5e, 0xc1 }, 4, { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x0000000040400000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x555555553eaaaaabull, 0x5555555555555555ull }, { 0x555555553eaaaaaaull, 0x5555555555555555ull }, { 0x555555553eaaaaabull, 0x5555555555555555ull }, { 0x555555553eaaaaaaull, 0x5555555555555555ull } } },
    { "divsd: 1/3", { 0xf2, 0x0f, 0x5e, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x4008000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3fd5555555555555ull, 0x5555555555555555ull }, { 0x3fd5555555555555ull, 0x5555555555555555ull }, { 0x3fd5555555555556ull, 0x5555555555555555ull }, { 0x3fd5555555555555ull, 0x5555555555555555ull } } },
    { "divps", { 0x0f, 0x5e, 0xc1 }, 3, { 0xbf8000003f800000ull, 0x3f80000041100000ull }, { 0x4040000040400000ull, 0x4100000040400000ull }, 0x00000000, false, false, O_XMM0, { { 0xbeaaaaab3eaaaaabull, 0x3e00000040400000ull }, { 0xbeaaaaab3eaaaaaaull, 0x3e00000040400000ull }, { 0xbeaaaaaa3eaaaaabull, 0x3e00000040400000ull }, { 0xbeaaaaaa3eaaaaaaull, 0x3e00000040400000ull } } },
    { "divpd", { 0x66, 0x0f, 0x5e, 0xc1 }, 4, { 0x3ff0000000000000ull, 0xc000000000000000ull }, { 0x4008000000000000ull, 0x4008000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3fd5555555555555ull, 0xbfe5555555555555ull }, { 0x3fd5555555555555ull, 0xbfe5555555555556ull }, { 0x3fd5555555555556ull, 0xbfe5555555555555ull }, { 0x3fd5555555555555ull, 0xbfe5555555555555ull } } },
    { "sqrtss: sqrt 2", { 0xf3, 0x0f, 0x51, 0xc1 }, 4, { 0x5555555540e00000ull, 0x5555555555555555ull }, { 0x0000000040000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x555555553fb504f3ull, 0x5555555555555555ull }, { 0x555555553fb504f3ull, 0x5555555555555555ull }, { 0x555555553fb504f4ull, 0x5555555555555555ull }, { 0x555555553fb504f3ull, 0x5555555555555555ull } } },
    { "sqrtsd: sqrt 2", { 0xf2, 0x0f, 0x51, 0xc1 }, 4, { 0x401c000000000000ull, 0x5555555555555555ull }, { 0x4000000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff6a09e667f3bcdull, 0x5555555555555555ull }, { 0x3ff6a09e667f3bccull, 0x5555555555555555ull }, { 0x3ff6a09e667f3bcdull, 0x5555555555555555ull }, { 0x3ff6a09e667f3bccull, 0x5555555555555555ull } } },
    { "sqrtps: sqrt 2, 2.25, 3, 4", { 0x0f, 0x51, 0xc1 }, 3, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x4010000040000000ull, 0x4080000040400000ull }, 0x00000000, false, false, O_XMM0, { { 0x3fc000003fb504f3ull, 0x400000003fddb3d7ull }, { 0x3fc000003fb504f3ull, 0x400000003fddb3d7ull }, { 0x3fc000003fb504f4ull, 0x400000003fddb3d8ull }, { 0x3fc000003fb504f3ull, 0x400000003fddb3d7ull } } },
    { "sqrtpd: sqrt 2, 3", { 0x66, 0x0f, 0x51, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x4000000000000000ull, 0x4008000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff6a09e667f3bcdull, 0x3ffbb67ae8584caaull }, { 0x3ff6a09e667f3bccull, 0x3ffbb67ae8584caaull }, { 0x3ff6a09e667f3bcdull, 0x3ffbb67ae8584cabull }, { 0x3ff6a09e667f3bccull, 0x3ffbb67ae8584caaull } } },
    { "minps: +0,-0 and NaN,3 give the source", { 0x0f, 0x5d, 0xc1 }, 3, { 0x3f80000000000000ull, 0x40a000007fc00000ull }, { 0x4000000080000000ull, 0xc0a0000040400000ull }, 0x00000000, false, false, O_XMM0, { { 0x3f80000080000000ull, 0xc0a0000040400000ull }, { 0x3f80000080000000ull, 0xc0a0000040400000ull }, { 0x3f80000080000000ull, 0xc0a0000040400000ull }, { 0x3f80000080000000ull, 0xc0a0000040400000ull } } },
    { "maxps: +0,-0 and NaN,3 give the source", { 0x0f, 0x5f, 0xc1 }, 3, { 0x3f80000000000000ull, 0x40a000007fc00000ull }, { 0x4000000080000000ull, 0xc0a0000040400000ull }, 0x00000000, false, false, O_XMM0, { { 0x4000000080000000ull, 0x40a0000040400000ull }, { 0x4000000080000000ull, 0x40a0000040400000ull }, { 0x4000000080000000ull, 0x40a0000040400000ull }, { 0x4000000080000000ull, 0x40a0000040400000ull } } },
    { "minss: NaN first gives the source", { 0xf3, 0x0f, 0x5d, 0xc1 }, 4, { 0x555555557fc00000ull, 0x5555555555555555ull }, { 0x00000000c0e00000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x55555555c0e00000ull, 0x5555555555555555ull }, { 0x55555555c0e00000ull, 0x5555555555555555ull }, { 0x55555555c0e00000ull, 0x5555555555555555ull }, { 0x55555555c0e00000ull, 0x5555555555555555ull } } },
    { "maxss: -0,+0 gives the source", { 0xf3, 0x0f, 0x5f, 0xc1 }, 4, { 0x5555555580000000ull, 0x5555555555555555ull }, { 0x0000000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x5555555500000000ull, 0x5555555555555555ull } } },
    { "minpd: zeros and NaN give the source", { 0x66, 0x0f, 0x5d, 0xc1 }, 4, { 0x0000000000000000ull, 0x7ff8000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x8000000000000000ull, 0x4008000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull } } },
    { "maxpd: zeros and NaN give the source", { 0x66, 0x0f, 0x5f, 0xc1 }, 4, { 0x0000000000000000ull, 0x7ff8000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x8000000000000000ull, 0x4008000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull }, { 0x8000000000000000ull, 0x4008000000000000ull } } },
    { "minsd: 1 vs 2", { 0xf2, 0x0f, 0x5d, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x4000000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x3ff0000000000000ull, 0x5555555555555555ull } } },
    { "maxsd: 1 vs 2", { 0xf2, 0x0f, 0x5f, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x5555555555555555ull }, { 0x4000000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x4000000000000000ull, 0x5555555555555555ull }, { 0x4000000000000000ull, 0x5555555555555555ull }, { 0x4000000000000000ull, 0x5555555555555555ull }, { 0x4000000000000000ull, 0x5555555555555555ull } } },
    { "rcpps: +0, -0, +inf, -inf", { 0x0f, 0x53, 0xc1 }, 3, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x8000000000000000ull, 0xff8000007f800000ull }, 0x00000000, false, false, O_XMM0, { { 0xff8000007f800000ull, 0x8000000000000000ull }, { 0xff8000007f800000ull, 0x8000000000000000ull }, { 0xff8000007f800000ull, 0x8000000000000000ull }, { 0xff8000007f800000ull, 0x8000000000000000ull } } },
    { "rcpss: -0", { 0xf3, 0x0f, 0x53, 0xc1 }, 4, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x0000000080000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x55555555ff800000ull, 0x5555555555555555ull }, { 0x55555555ff800000ull, 0x5555555555555555ull }, { 0x55555555ff800000ull, 0x5555555555555555ull }, { 0x55555555ff800000ull, 0x5555555555555555ull } } },
    { "rsqrtps: +0, -0, +inf, -1", { 0x0f, 0x52, 0xc1 }, 3, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x8000000000000000ull, 0xbf8000007f800000ull }, 0x00000000, false, false, O_XMM0, { { 0xff8000007f800000ull, 0xffc0000000000000ull }, { 0xff8000007f800000ull, 0xffc0000000000000ull }, { 0xff8000007f800000ull, 0xffc0000000000000ull }, { 0xff8000007f800000ull, 0xffc0000000000000ull } } },
    { "rsqrtss: +inf", { 0xf3, 0x0f, 0x52, 0xc1 }, 4, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x000000007f800000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x5555555500000000ull, 0x5555555555555555ull } } },
    { "cvtsi2ss: 2^24 + 1", { 0xf3, 0x0f, 0x2a, 0xc0 }, 4, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x0000000000000000ull, 0x0000000000000000ull }, 0x01000001, false, false, O_XMM0, { { 0x555555554b800000ull, 0x5555555555555555ull }, { 0x555555554b800000ull, 0x5555555555555555ull }, { 0x555555554b800001ull, 0x5555555555555555ull }, { 0x555555554b800000ull, 0x5555555555555555ull } } },
    { "cvtsi2sd: -7", { 0xf2, 0x0f, 0x2a, 0xc0 }, 4, { 0x0000000000000000ull, 0x5555555555555555ull }, { 0x0000000000000000ull, 0x0000000000000000ull }, 0xfffffff9, false, false, O_XMM0, { { 0xc01c000000000000ull, 0x5555555555555555ull }, { 0xc01c000000000000ull, 0x5555555555555555ull }, { 0xc01c000000000000ull, 0x5555555555555555ull }, { 0xc01c000000000000ull, 0x5555555555555555ull } } },
    { "cvtss2si: 2.5", { 0xf3, 0x0f, 0x2d, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x0000000040200000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_EAX, { { 0x0000000000000002ull, 0x0000000000000000ull }, { 0x0000000000000002ull, 0x0000000000000000ull }, { 0x0000000000000003ull, 0x0000000000000000ull }, { 0x0000000000000002ull, 0x0000000000000000ull } } },
    { "cvtss2si: 3e9 is out of range: 80000000", { 0xf3, 0x0f, 0x2d, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x000000004f32d05eull, 0x0000000000000000ull }, 0x00000000, false, false, O_EAX, { { 0x0000000080000000ull, 0x0000000000000000ull }, { 0x0000000080000000ull, 0x0000000000000000ull }, { 0x0000000080000000ull, 0x0000000000000000ull }, { 0x0000000080000000ull, 0x0000000000000000ull } } },
    { "cvttss2si: -2.7 truncates", { 0xf3, 0x0f, 0x2c, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x00000000c02ccccdull, 0x0000000000000000ull }, 0x00000000, false, false, O_EAX, { { 0x00000000fffffffeull, 0x0000000000000000ull }, { 0x00000000fffffffeull, 0x0000000000000000ull }, { 0x00000000fffffffeull, 0x0000000000000000ull }, { 0x00000000fffffffeull, 0x0000000000000000ull } } },
    { "cvtsd2si: -3.5", { 0xf2, 0x0f, 0x2d, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0xc00c000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_EAX, { { 0x00000000fffffffcull, 0x0000000000000000ull }, { 0x00000000fffffffcull, 0x0000000000000000ull }, { 0x00000000fffffffdull, 0x0000000000000000ull }, { 0x00000000fffffffdull, 0x0000000000000000ull } } },
    { "cvttsd2si: 1e10 is out of range", { 0xf2, 0x0f, 0x2c, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x4202a05f20000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_EAX, { { 0x0000000080000000ull, 0x0000000000000000ull }, { 0x0000000080000000ull, 0x0000000000000000ull }, { 0x0000000080000000ull, 0x0000000000000000ull }, { 0x0000000080000000ull, 0x0000000000000000ull } } },
    { "cvtss2sd: 1/3f exactly", { 0xf3, 0x0f, 0x5a, 0xc1 }, 4, { 0x0000000000000000ull, 0x5555555555555555ull }, { 0x000000003eaaaaabull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3fd5555560000000ull, 0x5555555555555555ull }, { 0x3fd5555560000000ull, 0x5555555555555555ull }, { 0x3fd5555560000000ull, 0x5555555555555555ull }, { 0x3fd5555560000000ull, 0x5555555555555555ull } } },
    { "cvtsd2ss: 1 + 2^-24", { 0xf2, 0x0f, 0x5a, 0xc1 }, 4, { 0x5555555500000000ull, 0x5555555555555555ull }, { 0x3ff0000010000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x555555553f800001ull, 0x5555555555555555ull }, { 0x555555553f800000ull, 0x5555555555555555ull } } },
    { "cvtps2pd: 1/3f, -2.5f exactly", { 0x0f, 0x5a, 0xc1 }, 3, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0xc02000003eaaaaabull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x3fd5555560000000ull, 0xc004000000000000ull }, { 0x3fd5555560000000ull, 0xc004000000000000ull }, { 0x3fd5555560000000ull, 0xc004000000000000ull }, { 0x3fd5555560000000ull, 0xc004000000000000ull } } },
    { "cvtpd2ps: +-(1 + 2^-24)", { 0x66, 0x0f, 0x5a, 0xc1 }, 4, { 0x5555555555555555ull, 0x5555555555555555ull }, { 0x3ff0000010000000ull, 0xbff0000010000000ull }, 0x00000000, false, false, O_XMM0, { { 0xbf8000003f800000ull, 0x0000000000000000ull }, { 0xbf8000013f800000ull, 0x0000000000000000ull }, { 0xbf8000003f800001ull, 0x0000000000000000ull }, { 0xbf8000003f800000ull, 0x0000000000000000ull } } },
    { "cvtdq2ps: +-(2^24+1), 3, 0", { 0x0f, 0x5b, 0xc1 }, 3, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0xfeffffff01000001ull, 0x0000000000000003ull }, 0x00000000, false, false, O_XMM0, { { 0xcb8000004b800000ull, 0x0000000040400000ull }, { 0xcb8000014b800000ull, 0x0000000040400000ull }, { 0xcb8000004b800001ull, 0x0000000040400000ull }, { 0xcb8000004b800000ull, 0x0000000040400000ull } } },
    { "cvtps2dq: 2.5, -2.5, 3.5, 1e10", { 0x66, 0x0f, 0x5b, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0xc020000040200000ull, 0x501502f940600000ull }, 0x00000000, false, false, O_XMM0, { { 0xfffffffe00000002ull, 0x8000000000000004ull }, { 0xfffffffd00000002ull, 0x8000000000000003ull }, { 0xfffffffe00000003ull, 0x8000000000000004ull }, { 0xfffffffe00000002ull, 0x8000000000000003ull } } },
    { "cvttps2dq: 2.7, -2.7, 0.5, -0.5", { 0xf3, 0x0f, 0x5b, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0xc02ccccd402ccccdull, 0xbf0000003f000000ull }, 0x00000000, false, false, O_XMM0, { { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull } } },
    { "cvtdq2pd: -1, 2^31-1", { 0xf3, 0x0f, 0xe6, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x7fffffffffffffffull, 0x0000000700000007ull }, 0x00000000, false, false, O_XMM0, { { 0xbff0000000000000ull, 0x41dfffffffc00000ull }, { 0xbff0000000000000ull, 0x41dfffffffc00000ull }, { 0xbff0000000000000ull, 0x41dfffffffc00000ull }, { 0xbff0000000000000ull, 0x41dfffffffc00000ull } } },
    { "cvtpd2dq: 2.5, -0.5", { 0xf2, 0x0f, 0xe6, 0xc1 }, 4, { 0x5555555555555555ull, 0x5555555555555555ull }, { 0x4004000000000000ull, 0xbfe0000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x0000000000000002ull, 0x0000000000000000ull }, { 0xffffffff00000002ull, 0x0000000000000000ull }, { 0x0000000000000003ull, 0x0000000000000000ull }, { 0x0000000000000002ull, 0x0000000000000000ull } } },
    { "cvttpd2dq: -2.7, 2.7", { 0x66, 0x0f, 0xe6, 0xc1 }, 4, { 0x5555555555555555ull, 0x5555555555555555ull }, { 0xc00599999999999aull, 0x400599999999999aull }, 0x00000000, false, false, O_XMM0, { { 0x00000002fffffffeull, 0x0000000000000000ull }, { 0x00000002fffffffeull, 0x0000000000000000ull }, { 0x00000002fffffffeull, 0x0000000000000000ull }, { 0x00000002fffffffeull, 0x0000000000000000ull } } },
    { "cvtpi2ps: 2^24+1, 1 from MM1", { 0x0f, 0x2a, 0xc1 }, 3, { 0x0000000000000000ull, 0x5555555555555555ull }, { 0x0000000101000001ull, 0x0000000000000000ull }, 0x00000000, true, false, O_XMM0, { { 0x3f8000004b800000ull, 0x5555555555555555ull }, { 0x3f8000004b800000ull, 0x5555555555555555ull }, { 0x3f8000004b800001ull, 0x5555555555555555ull }, { 0x3f8000004b800000ull, 0x5555555555555555ull } } },
    { "cvtpi2pd: -1, 3 from MM1", { 0x66, 0x0f, 0x2a, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x00000003ffffffffull, 0x0000000000000000ull }, 0x00000000, true, false, O_XMM0, { { 0xbff0000000000000ull, 0x4008000000000000ull }, { 0xbff0000000000000ull, 0x4008000000000000ull }, { 0xbff0000000000000ull, 0x4008000000000000ull }, { 0xbff0000000000000ull, 0x4008000000000000ull } } },
    { "cvtps2pi: 2.5, -2.5 to MM0", { 0x0f, 0x2d, 0xc1 }, 3, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0xc020000040200000ull, 0x0000000000000000ull }, 0x00000000, false, true, O_MM0, { { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffd00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000003ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull } } },
    { "cvttps2pi: 2.7, -2.7", { 0x0f, 0x2c, 0xc1 }, 3, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0xc02ccccd402ccccdull, 0x0000000000000000ull }, 0x00000000, false, true, O_MM0, { { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull } } },
    { "cvtpd2pi: 2.5, 3.5", { 0x66, 0x0f, 0x2d, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x4004000000000000ull, 0x400c000000000000ull }, 0x00000000, false, true, O_MM0, { { 0x0000000400000002ull, 0x0000000000000000ull }, { 0x0000000300000002ull, 0x0000000000000000ull }, { 0x0000000400000003ull, 0x0000000000000000ull }, { 0x0000000300000002ull, 0x0000000000000000ull } } },
    { "cvttpd2pi: 2.9, -2.9", { 0x66, 0x0f, 0x2c, 0xc1 }, 4, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x4007333333333333ull, 0xc007333333333333ull }, 0x00000000, false, true, O_MM0, { { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull }, { 0xfffffffe00000002ull, 0x0000000000000000ull } } },
    { "comiss: 1 < 2 sets CF", { 0x0f, 0x2f, 0xc1 }, 3, { 0x000000003f800000ull, 0x0000000000000000ull }, { 0x0000000040000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_FLAGS, { { 0x0000000000000001ull, 0x0000000000000000ull }, { 0x0000000000000001ull, 0x0000000000000000ull }, { 0x0000000000000001ull, 0x0000000000000000ull }, { 0x0000000000000001ull, 0x0000000000000000ull } } },
    { "ucomiss: unordered with a QNaN sets ZF PF CF", { 0x0f, 0x2e, 0xc1 }, 3, { 0x000000003f800000ull, 0x0000000000000000ull }, { 0x000000007fc00000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_FLAGS, { { 0x0000000000000045ull, 0x0000000000000000ull }, { 0x0000000000000045ull, 0x0000000000000000ull }, { 0x0000000000000045ull, 0x0000000000000000ull }, { 0x0000000000000045ull, 0x0000000000000000ull } } },
    { "comisd: 2 = 2 sets ZF", { 0x66, 0x0f, 0x2f, 0xc1 }, 4, { 0x4000000000000000ull, 0x0000000000000000ull }, { 0x4000000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_FLAGS, { { 0x0000000000000040ull, 0x0000000000000000ull }, { 0x0000000000000040ull, 0x0000000000000000ull }, { 0x0000000000000040ull, 0x0000000000000000ull }, { 0x0000000000000040ull, 0x0000000000000000ull } } },
    { "ucomisd: 3 > 2 clears all", { 0x66, 0x0f, 0x2e, 0xc1 }, 4, { 0x4008000000000000ull, 0x0000000000000000ull }, { 0x4000000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_FLAGS, { { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x0000000000000000ull, 0x0000000000000000ull }, { 0x0000000000000000ull, 0x0000000000000000ull } } },
    { "cmpltss: 1 < 2", { 0xf3, 0x0f, 0xc2, 0xc1, 0x01 }, 5, { 0x555555553f800000ull, 0x5555555555555555ull }, { 0x0000000040000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x55555555ffffffffull, 0x5555555555555555ull }, { 0x55555555ffffffffull, 0x5555555555555555ull }, { 0x55555555ffffffffull, 0x5555555555555555ull }, { 0x55555555ffffffffull, 0x5555555555555555ull } } },
    { "cmpunordps: a NaN lane", { 0x0f, 0xc2, 0xc1, 0x03 }, 4, { 0x7fc000003f800000ull, 0x3f8000003f800000ull }, { 0x4000000040000000ull, 0x3f8000007fc00000ull }, 0x00000000, false, false, O_XMM0, { { 0xffffffff00000000ull, 0x00000000ffffffffull }, { 0xffffffff00000000ull, 0x00000000ffffffffull }, { 0xffffffff00000000ull, 0x00000000ffffffffull }, { 0xffffffff00000000ull, 0x00000000ffffffffull } } },
    { "cmplesd: 2 <= 2", { 0xf2, 0x0f, 0xc2, 0xc1, 0x02 }, 5, { 0x4000000000000000ull, 0x5555555555555555ull }, { 0x4000000000000000ull, 0x0000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0xffffffffffffffffull, 0x5555555555555555ull }, { 0xffffffffffffffffull, 0x5555555555555555ull }, { 0xffffffffffffffffull, 0x5555555555555555ull }, { 0xffffffffffffffffull, 0x5555555555555555ull } } },
    { "cmpneqpd: 1 != 1, 1 != 2", { 0x66, 0x0f, 0xc2, 0xc1, 0x04 }, 5, { 0x3ff0000000000000ull, 0x3ff0000000000000ull }, { 0x3ff0000000000000ull, 0x4000000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x0000000000000000ull, 0xffffffffffffffffull }, { 0x0000000000000000ull, 0xffffffffffffffffull }, { 0x0000000000000000ull, 0xffffffffffffffffull }, { 0x0000000000000000ull, 0xffffffffffffffffull } } },
    { "haddps", { 0xf2, 0x0f, 0x7c, 0xc1 }, 4, { 0x400000003f800000ull, 0x4080000040400000ull }, { 0x40c0000040a00000ull, 0x4100000040e00000ull }, 0x00000000, false, false, O_XMM0, { { 0x40e0000040400000ull, 0x4170000041300000ull }, { 0x40e0000040400000ull, 0x4170000041300000ull }, { 0x40e0000040400000ull, 0x4170000041300000ull }, { 0x40e0000040400000ull, 0x4170000041300000ull } } },
    { "hsubps", { 0xf2, 0x0f, 0x7d, 0xc1 }, 4, { 0x400000003f800000ull, 0x40a0000040400000ull }, { 0x40e0000040a00000ull, 0x4100000040e00000ull }, 0x00000000, false, false, O_XMM0, { { 0xc0000000bf800000ull, 0xbf800000c0000000ull }, { 0xc0000000bf800000ull, 0xbf800000c0000000ull }, { 0xc0000000bf800000ull, 0xbf800000c0000000ull }, { 0xc0000000bf800000ull, 0xbf800000c0000000ull } } },
    { "addsubps", { 0xf2, 0x0f, 0xd0, 0xc1 }, 4, { 0x400000003f800000ull, 0x4080000040400000ull }, { 0x40c0000040a00000ull, 0x4100000040e00000ull }, 0x00000000, false, false, O_XMM0, { { 0x41000000c0800000ull, 0x41400000c0800000ull }, { 0x41000000c0800000ull, 0x41400000c0800000ull }, { 0x41000000c0800000ull, 0x41400000c0800000ull }, { 0x41000000c0800000ull, 0x41400000c0800000ull } } },
    { "haddpd", { 0x66, 0x0f, 0x7c, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x4000000000000000ull }, { 0x4014000000000000ull, 0x401c000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0x4008000000000000ull, 0x4028000000000000ull }, { 0x4008000000000000ull, 0x4028000000000000ull }, { 0x4008000000000000ull, 0x4028000000000000ull }, { 0x4008000000000000ull, 0x4028000000000000ull } } },
    { "hsubpd", { 0x66, 0x0f, 0x7d, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x4000000000000000ull }, { 0x4014000000000000ull, 0x401c000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0xbff0000000000000ull, 0xc000000000000000ull }, { 0xbff0000000000000ull, 0xc000000000000000ull }, { 0xbff0000000000000ull, 0xc000000000000000ull }, { 0xbff0000000000000ull, 0xc000000000000000ull } } },
    { "addsubpd", { 0x66, 0x0f, 0xd0, 0xc1 }, 4, { 0x3ff0000000000000ull, 0x4000000000000000ull }, { 0x4014000000000000ull, 0x401c000000000000ull }, 0x00000000, false, false, O_XMM0, { { 0xc010000000000000ull, 0x4022000000000000ull }, { 0xc010000000000000ull, 0x4022000000000000ull }, { 0xc010000000000000ull, 0x4022000000000000ull }, { 0xc010000000000000ull, 0x4022000000000000ull } } },
    { "paddb: wraps", { 0x0f, 0xfc, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x8001fe8110101010ull, 0 }, { 0x8001fe8110101010ull, 0 }, { 0x8001fe8110101010ull, 0 }, { 0x8001fe8110101010ull, 0 } } },
    { "paddw: wraps", { 0x0f, 0xfd, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x8101fe8111101110ull, 0 }, { 0x8101fe8111101110ull, 0 }, { 0x8101fe8111101110ull, 0 }, { 0x8101fe8111101110ull, 0 } } },
    { "paddd: wraps", { 0x0f, 0xfe, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x8102fe8111111110ull, 0 }, { 0x8102fe8111111110ull, 0 }, { 0x8102fe8111111110ull, 0 }, { 0x8102fe8111111110ull, 0 } } },
    { "paddq: wraps", { 0x0f, 0xd4, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x8102fe8211111110ull, 0 }, { 0x8102fe8211111110ull, 0 }, { 0x8102fe8211111110ull, 0 }, { 0x8102fe8211111110ull, 0 } } },
    { "psubb: wraps", { 0x0f, 0xf8, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7eff008114589ce0ull, 0 }, { 0x7eff008114589ce0ull, 0 }, { 0x7eff008114589ce0ull, 0 }, { 0x7eff008114589ce0ull, 0 } } },
    { "psubw: wraps", { 0x0f, 0xf9, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7dffff8113589be0ull, 0 }, { 0x7dffff8113589be0ull, 0 }, { 0x7dffff8113589be0ull, 0 }, { 0x7dffff8113589be0ull, 0 } } },
    { "psubd: wraps", { 0x0f, 0xfa, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7dfeff8113579be0ull, 0 }, { 0x7dfeff8113579be0ull, 0 }, { 0x7dfeff8113579be0ull, 0 }, { 0x7dfeff8113579be0ull, 0 } } },
    { "psubq: wraps", { 0x0f, 0xfb, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7dfeff8013579be0ull, 0 }, { 0x7dfeff8013579be0ull, 0 }, { 0x7dfeff8013579be0ull, 0 }, { 0x7dfeff8013579be0ull, 0 } } },
    { "paddsb: saturation/ordering edges", { 0x0f, 0xec, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7f80fe8110101010ull, 0 }, { 0x7f80fe8110101010ull, 0 }, { 0x7f80fe8110101010ull, 0 }, { 0x7f80fe8110101010ull, 0 } } },
    { "paddsb", { 0x0f, 0xec, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0xff00ffff0005fefdull, 0 }, { 0xff00ffff0005fefdull, 0 }, { 0xff00ffff0005fefdull, 0 }, { 0xff00ffff0005fefdull, 0 } } },
    { "paddsw: saturation/ordering edges", { 0x0f, 0xed, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7ffffe8111101110ull, 0 }, { 0x7ffffe8111101110ull, 0 }, { 0x7ffffe8111101110ull, 0 }, { 0x7ffffe8111101110ull, 0 } } },
    { "paddsw", { 0x0f, 0xed, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000ffff0005fffdull, 0 }, { 0x0000ffff0005fffdull, 0 }, { 0x0000ffff0005fffdull, 0 }, { 0x0000ffff0005fffdull, 0 } } },
    { "paddusb: saturation/ordering edges", { 0x0f, 0xdc, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x80ffff81ffffffffull, 0 }, { 0x80ffff81ffffffffull, 0 }, { 0x80ffff81ffffffffull, 0 }, { 0x80ffff81ffffffffull, 0 } } },
    { "paddusb", { 0x0f, 0xdc, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0xffffffff0005ffffull, 0 }, { 0xffffffff0005ffffull, 0 }, { 0xffffffff0005ffffull, 0 }, { 0xffffffff0005ffffull, 0 } } },
    { "paddusw: saturation/ordering edges", { 0x0f, 0xdd, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x8101ffffffffffffull, 0 }, { 0x8101ffffffffffffull, 0 }, { 0x8101ffffffffffffull, 0 }, { 0x8101ffffffffffffull, 0 } } },
    { "paddusw", { 0x0f, 0xdd, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0xffffffff0005ffffull, 0 }, { 0xffffffff0005ffffull, 0 }, { 0xffffffff0005ffffull, 0 }, { 0xffffffff0005ffffull, 0 } } },
    { "psubsb: saturation/ordering edges", { 0x0f, 0xe8, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7eff007f14587f7full, 0 }, { 0x7eff007f14587f7full, 0 }, { 0x7eff007f14587f7full, 0 }, { 0x7eff007f14587f7full, 0 } } },
    { "psubsb", { 0x0f, 0xe8, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x80027fff00ff00ffull, 0 }, { 0x80027fff00ff00ffull, 0 }, { 0x80027fff00ff00ffull, 0 }, { 0x80027fff00ff00ffull, 0 } } },
    { "psubsw: saturation/ordering edges", { 0x0f, 0xe9, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7dffff8113587fffull, 0 }, { 0x7dffff8113587fffull, 0 }, { 0x7dffff8113587fffull, 0 }, { 0x7dffff8113587fffull, 0 } } },
    { "psubsw", { 0x0f, 0xe9, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x80007fffffffffffull, 0 }, { 0x80007fffffffffffull, 0 }, { 0x80007fffffffffffull, 0 }, { 0x80007fffffffffffull, 0 } } },
    { "psubusb: saturation/ordering edges", { 0x0f, 0xd8, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7e00000000000000ull, 0 }, { 0x7e00000000000000ull, 0 }, { 0x7e00000000000000ull, 0 }, { 0x7e00000000000000ull, 0 } } },
    { "psubusb", { 0x0f, 0xd8, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x010000ff00000000ull, 0 }, { 0x010000ff00000000ull, 0 }, { 0x010000ff00000000ull, 0 }, { 0x010000ff00000000ull, 0 } } },
    { "psubusw: saturation/ordering edges", { 0x0f, 0xd9, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7dff000000000000ull, 0 }, { 0x7dff000000000000ull, 0 }, { 0x7dff000000000000ull, 0 }, { 0x7dff000000000000ull, 0 } } },
    { "psubusw", { 0x0f, 0xd9, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0002000000000000ull, 0 }, { 0x0002000000000000ull, 0 }, { 0x0002000000000000ull, 0 }, { 0x0002000000000000ull, 0 } } },
    { "pminub: saturation/ordering edges", { 0x0f, 0xda, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0180ff0112345678ull, 0 }, { 0x0180ff0112345678ull, 0 }, { 0x0180ff0112345678ull, 0 }, { 0x0180ff0112345678ull, 0 } } },
    { "pminub", { 0x0f, 0xda, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7f017f000002fffeull, 0 }, { 0x7f017f000002fffeull, 0 }, { 0x7f017f000002fffeull, 0 }, { 0x7f017f000002fffeull, 0 } } },
    { "pmaxub: saturation/ordering edges", { 0x0f, 0xde, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7f81ff80fedcba98ull, 0 }, { 0x7f81ff80fedcba98ull, 0 }, { 0x7f81ff80fedcba98ull, 0 }, { 0x7f81ff80fedcba98ull, 0 } } },
    { "pmaxub", { 0x0f, 0xde, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x80ff80ff0003ffffull, 0 }, { 0x80ff80ff0003ffffull, 0 }, { 0x80ff80ff0003ffffull, 0 }, { 0x80ff80ff0003ffffull, 0 } } },
    { "pminsw: saturation/ordering edges", { 0x0f, 0xea, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0181ff01fedcba98ull, 0 }, { 0x0181ff01fedcba98ull, 0 }, { 0x0181ff01fedcba98ull, 0 }, { 0x0181ff01fedcba98ull, 0 } } },
    { "pminsw", { 0x0f, 0xea, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x800180000002fffeull, 0 }, { 0x800180000002fffeull, 0 }, { 0x800180000002fffeull, 0 }, { 0x800180000002fffeull, 0 } } },
    { "pmaxsw: saturation/ordering edges", { 0x0f, 0xee, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7f80ff8012345678ull, 0 }, { 0x7f80ff8012345678ull, 0 }, { 0x7f80ff8012345678ull, 0 }, { 0x7f80ff8012345678ull, 0 } } },
    { "pmaxsw", { 0x0f, 0xee, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7fff7fff0003ffffull, 0 }, { 0x7fff7fff0003ffffull, 0 }, { 0x7fff7fff0003ffffull, 0 }, { 0x7fff7fff0003ffffull, 0 } } },
    { "pavgb: saturation/ordering edges", { 0x0f, 0xe0, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x4081ff4188888888ull, 0 }, { 0x4081ff4188888888ull, 0 }, { 0x4081ff4188888888ull, 0 }, { 0x4081ff4188888888ull, 0 } } },
    { "pavgb", { 0x0f, 0xe0, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x808080800003ffffull, 0 }, { 0x808080800003ffffull, 0 }, { 0x808080800003ffffull, 0 }, { 0x808080800003ffffull, 0 } } },
    { "pavgw: saturation/ordering edges", { 0x0f, 0xe3, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x4081ff4188888888ull, 0 }, { 0x4081ff4188888888ull, 0 }, { 0x4081ff4188888888ull, 0 }, { 0x4081ff4188888888ull, 0 } } },
    { "pavgw", { 0x0f, 0xe3, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x800080000003ffffull, 0 }, { 0x800080000003ffffull, 0 }, { 0x800080000003ffffull, 0 }, { 0x800080000003ffffull, 0 } } },
    { "pcmpeqb: saturation/ordering edges", { 0x0f, 0x74, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000ff0000000000ull, 0 }, { 0x0000ff0000000000ull, 0 }, { 0x0000ff0000000000ull, 0 }, { 0x0000ff0000000000ull, 0 } } },
    { "pcmpeqb", { 0x0f, 0x74, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x00000000ff00ff00ull, 0 }, { 0x00000000ff00ff00ull, 0 }, { 0x00000000ff00ff00ull, 0 }, { 0x00000000ff00ff00ull, 0 } } },
    { "pcmpeqw: saturation/ordering edges", { 0x0f, 0x75, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "pcmpeqw", { 0x0f, 0x75, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "pcmpeqd: saturation/ordering edges", { 0x0f, 0x76, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "pcmpeqd", { 0x0f, 0x76, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "pcmpgtb: saturation/ordering edges", { 0x0f, 0x64, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0xff0000ffffffffffull, 0 }, { 0xff0000ffffffffffull, 0 }, { 0xff0000ffffffffffull, 0 }, { 0xff0000ffffffffffull, 0 } } },
    { "pcmpgtb", { 0x0f, 0x64, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x00ffff0000000000ull, 0 }, { 0x00ffff0000000000ull, 0 }, { 0x00ffff0000000000ull, 0 }, { 0x00ffff0000000000ull, 0 } } },
    { "pcmpgtw: saturation/ordering edges", { 0x0f, 0x65, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0xffff0000ffffffffull, 0 }, { 0xffff0000ffffffffull, 0 }, { 0xffff0000ffffffffull, 0 }, { 0xffff0000ffffffffull, 0 } } },
    { "pcmpgtw", { 0x0f, 0x65, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000ffff00000000ull, 0 }, { 0x0000ffff00000000ull, 0 }, { 0x0000ffff00000000ull, 0 }, { 0x0000ffff00000000ull, 0 } } },
    { "pcmpgtd: saturation/ordering edges", { 0x0f, 0x66, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0xffffffffffffffffull, 0 }, { 0xffffffffffffffffull, 0 }, { 0xffffffffffffffffull, 0 }, { 0xffffffffffffffffull, 0 } } },
    { "pcmpgtd", { 0x0f, 0x66, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "pmullw: low 16 bits of each product", { 0x0f, 0xd5, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0xffff800000060002ull, 0 }, { 0xffff800000060002ull, 0 }, { 0xffff800000060002ull, 0 }, { 0xffff800000060002ull, 0 } } },
    { "pmulhw: high 16 bits, signed", { 0x0f, 0xe5, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0xc000c00000000000ull, 0 }, { 0xc000c00000000000ull, 0 }, { 0xc000c00000000000ull, 0 }, { 0xc000c00000000000ull, 0 } } },
    { "pmulhuw: high 16 bits, unsigned", { 0x0f, 0xe4, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x3fff3fff0000fffdull, 0 }, { 0x3fff3fff0000fffdull, 0 }, { 0x3fff3fff0000fffdull, 0 }, { 0x3fff3fff0000fffdull, 0 } } },
    { "pmuludq: low dwords, 64-bit product", { 0x0f, 0xf4, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x121fa00a35068740ull, 0 }, { 0x121fa00a35068740ull, 0 }, { 0x121fa00a35068740ull, 0 }, { 0x121fa00a35068740ull, 0 } } },
    { "pmaddwd: -32768*-32768 twice wraps to 80000000", { 0x0f, 0xf5, 0xc1 }, 3, { 0x8000800080008000ull, 0 }, { 0x8000800080008000ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x8000000080000000ull, 0 }, { 0x8000000080000000ull, 0 }, { 0x8000000080000000ull, 0 }, { 0x8000000080000000ull, 0 } } },
    { "pmaddwd", { 0x0f, 0xf5, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x80017fff00000008ull, 0 }, { 0x80017fff00000008ull, 0 }, { 0x80017fff00000008ull, 0 }, { 0x80017fff00000008ull, 0 } } },
    { "psadbw: sum of byte differences", { 0x0f, 0xf6, 0xc1 }, 3, { 0x7f80ff0112345678ull, 0 }, { 0x0181ff80fedcba98ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000316ull, 0 }, { 0x0000000000000316ull, 0 }, { 0x0000000000000316ull, 0 }, { 0x0000000000000316ull, 0 } } },
    { "packsswb", { 0x0f, 0x63, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7f8003ff807f02feull, 0 }, { 0x7f8003ff807f02feull, 0 }, { 0x7f8003ff807f02feull, 0 }, { 0x7f8003ff807f02feull, 0 } } },
    { "packssdw", { 0x0f, 0x6b, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0x7fff7fff80007fffull, 0 }, { 0x7fff7fff80007fffull, 0 }, { 0x7fff7fff80007fffull, 0 }, { 0x7fff7fff80007fffull, 0 } } },
    { "packuswb", { 0x0f, 0x67, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x7fff80000003ffffull, 0 }, 0x00000000, true, true, O_MM0, { { 0xff00030000ff0200ull, 0 }, { 0xff00030000ff0200ull, 0 }, { 0xff00030000ff0200ull, 0 }, { 0xff00030000ff0200ull, 0 } } },
    { "psllw by 5", { 0x0f, 0xf1, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0020ffe00040ffc0ull, 0 }, { 0x0020ffe00040ffc0ull, 0 }, { 0x0020ffe00040ffc0ull, 0 }, { 0x0020ffe00040ffc0ull, 0 } } },
    { "psllw by 16", { 0x0f, 0xf1, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000010ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "pslld by 5", { 0x0f, 0xf2, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x002fffe0005fffc0ull, 0 }, { 0x002fffe0005fffc0ull, 0 }, { 0x002fffe0005fffc0ull, 0 }, { 0x002fffe0005fffc0ull, 0 } } },
    { "pslld by 32", { 0x0f, 0xf2, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000020ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "psllq by 5", { 0x0f, 0xf3, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x002fffe0005fffc0ull, 0 }, { 0x002fffe0005fffc0ull, 0 }, { 0x002fffe0005fffc0ull, 0 }, { 0x002fffe0005fffc0ull, 0 } } },
    { "psllq by 64", { 0x0f, 0xf3, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000040ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "psrlw by 5", { 0x0f, 0xd1, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x040003ff000007ffull, 0 }, { 0x040003ff000007ffull, 0 }, { 0x040003ff000007ffull, 0 }, { 0x040003ff000007ffull, 0 } } },
    { "psrlw by 16", { 0x0f, 0xd1, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000010ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "psrld by 5", { 0x0f, 0xd2, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x04000bff000017ffull, 0 }, { 0x04000bff000017ffull, 0 }, { 0x04000bff000017ffull, 0 }, { 0x04000bff000017ffull, 0 } } },
    { "psrld by 32", { 0x0f, 0xd2, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000020ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "psrlq by 5", { 0x0f, 0xd3, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x04000bfff80017ffull, 0 }, { 0x04000bfff80017ffull, 0 }, { 0x04000bfff80017ffull, 0 }, { 0x04000bfff80017ffull, 0 } } },
    { "psrlq by 64", { 0x0f, 0xd3, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000040ull, 0 }, 0x00000000, true, true, O_MM0, { { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
    { "psraw by 5", { 0x0f, 0xe1, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0xfc0003ff0000ffffull, 0 }, { 0xfc0003ff0000ffffull, 0 }, { 0xfc0003ff0000ffffull, 0 }, { 0xfc0003ff0000ffffull, 0 } } },
    { "psraw by 16", { 0x0f, 0xe1, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000010ull, 0 }, 0x00000000, true, true, O_MM0, { { 0xffff00000000ffffull, 0 }, { 0xffff00000000ffffull, 0 }, { 0xffff00000000ffffull, 0 }, { 0xffff00000000ffffull, 0 } } },
    { "psrad by 5", { 0x0f, 0xe2, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000005ull, 0 }, 0x00000000, true, true, O_MM0, { { 0xfc000bff000017ffull, 0 }, { 0xfc000bff000017ffull, 0 }, { 0xfc000bff000017ffull, 0 }, { 0xfc000bff000017ffull, 0 } } },
    { "psrad by 32", { 0x0f, 0xe2, 0xc1 }, 3, { 0x80017fff0002fffeull, 0 }, { 0x0000000000000020ull, 0 }, 0x00000000, true, true, O_MM0, { { 0xffffffff00000000ull, 0 }, { 0xffffffff00000000ull, 0 }, { 0xffffffff00000000ull, 0 }, { 0xffffffff00000000ull, 0 } } },
    { "cmpeqps", { 0x0f, 0xc2, 0xc1, 0x00 }, 4, { 0x400000003f800000ull, 0x3f80000000000000ull }, { 0x404000003f800000ull, 0x7fc0000080000000ull }, 0x00000000, false, false, O_XMM0, { { 0x00000000ffffffffull, 0x00000000ffffffffull }, { 0x00000000ffffffffull, 0x00000000ffffffffull }, { 0x00000000ffffffffull, 0x00000000ffffffffull }, { 0x00000000ffffffffull, 0x00000000ffffffffull } } },
    { "cmpnltps: not less, NaN gives true", { 0x0f, 0xc2, 0xc1, 0x05 }, 4, { 0x400000003f800000ull, 0x3f80000040400000ull }, { 0x404000003f800000ull, 0x7fc0000040000000ull }, 0x00000000, false, false, O_XMM0, { { 0x00000000ffffffffull, 0xffffffffffffffffull }, { 0x00000000ffffffffull, 0xffffffffffffffffull }, { 0x00000000ffffffffull, 0xffffffffffffffffull }, { 0x00000000ffffffffull, 0xffffffffffffffffull } } },
    { "cmpnleps: not less or equal", { 0x0f, 0xc2, 0xc1, 0x06 }, 4, { 0x400000003f800000ull, 0x3f80000040400000ull }, { 0x404000003f800000ull, 0x7fc0000040000000ull }, 0x00000000, false, false, O_XMM0, { { 0x0000000000000000ull, 0xffffffffffffffffull }, { 0x0000000000000000ull, 0xffffffffffffffffull }, { 0x0000000000000000ull, 0xffffffffffffffffull }, { 0x0000000000000000ull, 0xffffffffffffffffull } } },
    { "cmpordps: ordered", { 0x0f, 0xc2, 0xc1, 0x07 }, 4, { 0x7fc000003f800000ull, 0x3f8000003f800000ull }, { 0x4000000040000000ull, 0x3f8000007fc00000ull }, 0x00000000, false, false, O_XMM0, { { 0x00000000ffffffffull, 0xffffffff00000000ull }, { 0x00000000ffffffffull, 0xffffffff00000000ull }, { 0x00000000ffffffffull, 0xffffffff00000000ull }, { 0x00000000ffffffffull, 0xffffffff00000000ull } } },
    { "paddb xmm: the 128-bit form wraps", { 0x66, 0x0f, 0xfc, 0xc1 }, 4, { 0x7f80ff0112345678ull, 0xff00ff00ff00ff00ull }, { 0x0181ff80fedcba98ull, 0x0101010101010101ull }, 0x00000000, false, false, O_XMM0, { { 0x8001fe8110101010ull, 0x0001000100010001ull }, { 0x8001fe8110101010ull, 0x0001000100010001ull }, { 0x8001fe8110101010ull, 0x0001000100010001ull }, { 0x8001fe8110101010ull, 0x0001000100010001ull } } },
    { "pmaddwd xmm: -32768*-32768 twice wraps", { 0x66, 0x0f, 0xf5, 0xc1 }, 4, { 0x0002000100020001ull, 0x8000800080008000ull }, { 0x0004000300040003ull, 0x8000800080008000ull }, 0x00000000, false, false, O_XMM0, { { 0x0000000b0000000bull, 0x8000000080000000ull }, { 0x0000000b0000000bull, 0x8000000080000000ull }, { 0x0000000b0000000bull, 0x8000000080000000ull }, { 0x0000000b0000000bull, 0x8000000080000000ull } } },
};

static void put_f80(uint8_t *p, struct f80 v)
{
    memcpy(p, &v.m, 8);
    memcpy(p + 8, &v.se, 2);
}

static struct f80 get_f80(const uint8_t *p)
{
    struct f80 v;
    memcpy(&v.m, p, 8);
    memcpy(&v.se, p + 8, 2);
    return v;
}

/* A clean FXSAVE image: TOP = 0, nothing pending, every exception masked,
 * extended precision, the given rounding mode for both x87 and SSE. */
static void base_state(struct fh_case *c, int rc)
{
    memset(c, 0, sizeof(*c));
    uint16_t fcw = (uint16_t)(0x037f | rc << 10);
    uint32_t mxcsr = 0x1f80u | (uint32_t)rc << 13;
    memcpy(c->fx, &fcw, 2);
    memcpy(c->fx + 24, &mxcsr, 4);
}

static enum cpu_exit run(struct fh *h, struct fh_case *c, const uint8_t *code, int len, struct fh_result *r)
{
    memcpy(c->code, code, (size_t)len);
    c->code_len = len;
    return fh_run_guest(h, c, r);
}

Test(fpu_oracle, x87_arithmetic)
{
    struct fh h;
    fh_init(&h, 1);
    static struct fh_case c;
    static struct fh_result r;
    for (size_t i = 0; i < sizeof(x87_cases) / sizeof(x87_cases[0]); i++) {
        const struct x87_case *t = &x87_cases[i];
        for (int rc = 0; rc < RC_COUNT; rc++) {
            base_state(&c, rc);
            for (int k = 0; k < t->nin; k++) {
                put_f80(c.fx + 32 + 16 * k, t->in[k]);
                c.fx[4] |= (uint8_t)(1u << k);          /* abridged tag: R0, R1 valid */
            }
            memcpy(c.mem, t->mem, sizeof(t->mem));
            cr_assert_eq(run(&h, &c, t->code, 2, &r), CPU_EXIT_HALT, "%s: no HLT", t->what);
            cr_assert_eq(r.vector, -1, "%s: exception %d", t->what, r.vector);
            if (t->nmem_out) {
                for (int b = 0; b < t->nmem_out; b++)
                    cr_assert_eq(r.mem[b], t->mem_want[rc][b], "%s, rounding %s: memory byte %d is %02x, want %02x",
                                 t->what, rc_name[rc], b, r.mem[b], t->mem_want[rc][b]);
            } else {
                for (int k = 0; k < t->nout; k++) {
                    struct f80 got = get_f80(r.fx + 32 + 16 * k);
                    struct f80 want = t->want[rc][k];
                    cr_assert(got.se == want.se && got.m == want.m,
                              "%s, rounding %s: ST%d is %04x %016llx, want %04x %016llx", t->what,
                              rc_name[rc], k, got.se, (unsigned long long)got.m, want.se,
                              (unsigned long long)want.m);
                }
            }
            uint16_t fsw;
            memcpy(&fsw, r.fx + 2, 2);
            cr_assert_eq(fsw & t->cc_mask, t->cc_want, "%s: FSW %04x, condition bits want %04x", t->what,
                         fsw, t->cc_want);
        }
    }
    fh_fini(&h);
}

Test(fpu_oracle, sse_and_mmx_arithmetic)
{
    struct fh h;
    fh_init(&h, 1);
    static struct fh_case c;
    static struct fh_result r;
    for (size_t i = 0; i < sizeof(simd_cases) / sizeof(simd_cases[0]); i++) {
        const struct simd_case *t = &simd_cases[i];
        for (int rc = 0; rc < RC_COUNT; rc++) {
            base_state(&c, rc);
            if (t->mmx_dst || t->mmx_src) {
                c.fx[4] = 0xff;                         /* MMX state: every tag valid */
                c.fx[32 + 8] = c.fx[32 + 9] = 0xff;     /* MMn writes set exponent bits to 1s */
            }
            memcpy(t->mmx_dst ? c.fx + 32 : c.fx + 160, t->a, t->mmx_dst ? 8 : 16);
            memcpy(t->mmx_src ? c.fx + 48 : c.fx + 176, t->b, t->mmx_src ? 8 : 16);
            c.gpr[R_EAX] = t->eax;
            cr_assert_eq(run(&h, &c, t->code, t->len, &r), CPU_EXIT_HALT, "%s: no HLT", t->what);
            cr_assert_eq(r.vector, -1, "%s: exception %d", t->what, r.vector);
            uint64_t got[2] = { 0, 0 };
            switch (t->out) {
            case O_XMM0: memcpy(got, r.fx + 160, 16); break;
            case O_MM0: memcpy(got, r.fx + 32, 8); break;
            case O_EAX: got[0] = r.gpr[R_EAX]; break;
            case O_FLAGS: got[0] = r.eflags & (EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_AF); break;
            }
            cr_assert(got[0] == t->want[rc][0] && got[1] == t->want[rc][1],
                      "%s, rounding %s: %016llx %016llx, want %016llx %016llx", t->what, rc_name[rc],
                      (unsigned long long)got[1], (unsigned long long)got[0],
                      (unsigned long long)t->want[rc][1], (unsigned long long)t->want[rc][0]);
        }
    }
    fh_fini(&h);
}

/* RCPSS/RSQRTSS are approximations: |relative error| <= 1.5 * 2^-12 (SDM
 * Vol. 2B RCPSS, RSQRTSS), checked against the exact 1/x and 1/sqrt(x) of
 * x = 4, 3, 0.1 (1/4, 1/2 exactly; the others as fractions). */
Test(fpu_oracle, rcp_rsqrt_error_bound)
{
    struct fh h;
    fh_init(&h, 1);
    static struct fh_case c;
    static struct fh_result r;
    static const struct { uint8_t code[4]; float x; double exact; } cases[] = {
        { { 0xf3, 0x0f, 0x53, 0xc1 }, 4.0f, 0.25 },
        { { 0xf3, 0x0f, 0x53, 0xc1 }, 3.0f, 1.0 / 3.0 },
        { { 0xf3, 0x0f, 0x52, 0xc1 }, 4.0f, 0.5 },
        { { 0xf3, 0x0f, 0x52, 0xc1 }, 3.0f, 0.57735026918962576 },   /* 1/sqrt(3) */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        base_state(&c, RC_NEAREST);
        memcpy(c.fx + 176, &cases[i].x, 4);
        cr_assert_eq(run(&h, &c, cases[i].code, 4, &r), CPU_EXIT_HALT);
        float got;
        memcpy(&got, r.fx + 160, 4);
        double err = (got - cases[i].exact) / cases[i].exact;
        cr_assert(err <= 1.5 / 4096 && err >= -1.5 / 4096, "case %zu: %.9g, relative error %g", i, got, err);
    }
    fh_fini(&h);
}
