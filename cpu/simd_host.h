/*
 * simd_host.h - MMX/SSE/SSE2 operations carried out by the same instruction
 * on the host (x86-64 hosts have SSE2, and SSE3 is checked by nothing here).
 *
 * Why: SSE arithmetic must follow MXCSR exactly (rounding, DAZ, FTZ, NaN
 * selection, sticky flags); running the identical host instruction with the
 * guest's MXCSR loaded (all exceptions masked) is bit-exact by construction.
 * Each stub takes the destination operand d (16 bytes; 8 for MMX stubs),
 * the source s (same size; a memory-form stub reads only what its
 * instruction reads), and *mxcsr: on entry the MXCSR to run with, on return
 * the host MXCSR afterwards (its low 6 bits are the exception flags raised).
 * XMM stubs run "op %xmm1, %xmm0" with xmm0 = d, xmm1 = s and store xmm0
 * back to d; MMX stubs do the same with mm0/mm1 and end with EMMS so the
 * host x87 stays empty.
 */
#ifndef SOFTVM_CPU_SIMD_HOST_H
#define SOFTVM_CPU_SIMD_HOST_H

#include <stdint.h>

typedef void simd_stub(uint8_t *d, const uint8_t *s, uint32_t *mxcsr);

/* Integer operations that exist on both MMX and XMM registers. */
#define SIMD_INT_OPS(X) \
    X(punpcklbw) X(punpcklwd) X(punpckldq) X(packsswb) X(pcmpgtb) X(pcmpgtw) \
    X(pcmpgtd) X(packuswb) X(punpckhbw) X(punpckhwd) X(punpckhdq) X(packssdw) \
    X(pcmpeqb) X(pcmpeqw) X(pcmpeqd) X(psrlw) X(psrld) X(psrlq) X(paddq) \
    X(pmullw) X(psubusb) X(psubusw) X(pminub) X(pand) X(paddusb) X(paddusw) \
    X(pmaxub) X(pandn) X(pavgb) X(psraw) X(psrad) X(pavgw) X(pmulhuw) \
    X(pmulhw) X(psubsb) X(psubsw) X(pminsw) X(por) X(paddsb) X(paddsw) \
    X(pmaxsw) X(pxor) X(psllw) X(pslld) X(psllq) X(pmuludq) X(pmaddwd) \
    X(psadbw) X(psubb) X(psubw) X(psubd) X(psubq) X(paddb) X(paddw) X(paddd)

/* XMM-only register-register operations "name %xmm1, %xmm0". */
#define SIMD_XMM_OPS(X) \
    X(punpcklqdq) X(punpckhqdq) \
    X(addps) X(addpd) X(addss) X(addsd) X(subps) X(subpd) X(subss) X(subsd) \
    X(mulps) X(mulpd) X(mulss) X(mulsd) X(divps) X(divpd) X(divss) X(divsd) \
    X(minps) X(minpd) X(minss) X(minsd) X(maxps) X(maxpd) X(maxss) X(maxsd) \
    X(sqrtps) X(sqrtpd) X(sqrtss) X(sqrtsd) X(rsqrtps) X(rsqrtss) X(rcpps) X(rcpss) \
    X(andps) X(andpd) X(andnps) X(andnpd) X(orps) X(orpd) X(xorps) X(xorpd) \
    X(unpcklps) X(unpcklpd) X(unpckhps) X(unpckhpd) \
    X(cvtps2pd) X(cvtpd2ps) X(cvtss2sd) X(cvtsd2ss) X(cvtdq2ps) X(cvtps2dq) \
    X(cvttps2dq) X(cvttpd2dq) X(cvtdq2pd) X(cvtpd2dq) \
    X(cmpeqps) X(cmpltps) X(cmpleps) X(cmpunordps) X(cmpneqps) X(cmpnltps) X(cmpnleps) X(cmpordps) \
    X(cmpeqpd) X(cmpltpd) X(cmplepd) X(cmpunordpd) X(cmpneqpd) X(cmpnltpd) X(cmpnlepd) X(cmpordpd) \
    X(cmpeqss) X(cmpltss) X(cmpless) X(cmpunordss) X(cmpneqss) X(cmpnltss) X(cmpnless) X(cmpordss) \
    X(cmpeqsd) X(cmpltsd) X(cmplesd) X(cmpunordsd) X(cmpneqsd) X(cmpnltsd) X(cmpnlesd) X(cmpordsd) \
    X(haddps) X(haddpd) X(hsubps) X(hsubpd) X(addsubps) X(addsubpd)

/* Operations with another shape, each with its own asm body:
 * the result (GPR, MMX or EFLAGS low byte via LAHF) is left in xmm0.
 * The ...64 conversions are the REX.W forms (a 64-bit integer operand). */
#define SIMD_SPECIAL_OPS(X) \
    X(comiss,    "comiss %%xmm1, %%xmm0\n\tlahf\n\tmovzbl %%ah, %%eax\n\tmovd %%eax, %%xmm0") \
    X(comisd,    "comisd %%xmm1, %%xmm0\n\tlahf\n\tmovzbl %%ah, %%eax\n\tmovd %%eax, %%xmm0") \
    X(ucomiss,   "ucomiss %%xmm1, %%xmm0\n\tlahf\n\tmovzbl %%ah, %%eax\n\tmovd %%eax, %%xmm0") \
    X(ucomisd,   "ucomisd %%xmm1, %%xmm0\n\tlahf\n\tmovzbl %%ah, %%eax\n\tmovd %%eax, %%xmm0") \
    X(cvtsi2ss,  "cvtsi2ssl %[s], %%xmm0") \
    X(cvtsi2sd,  "cvtsi2sdl %[s], %%xmm0") \
    X(cvtss2si,  "cvtss2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0") \
    X(cvttss2si, "cvttss2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0") \
    X(cvtsd2si,  "cvtsd2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0") \
    X(cvttsd2si, "cvttsd2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0") \
    X(cvtsi2ss64,  "cvtsi2ssq %[s], %%xmm0") \
    X(cvtsi2sd64,  "cvtsi2sdq %[s], %%xmm0") \
    X(cvtss2si64,  "cvtss2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0") \
    X(cvttss2si64, "cvttss2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0") \
    X(cvtsd2si64,  "cvtsd2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0") \
    X(cvttsd2si64, "cvttsd2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0") \
    X(cvtpi2ps,  "cvtpi2ps %[s], %%xmm0") \
    X(cvtpi2pd,  "cvtpi2pd %[s], %%xmm0") \
    X(cvtps2pi,  "cvtps2pi %%xmm1, %%mm0\n\tmovq2dq %%mm0, %%xmm0\n\temms") \
    X(cvttps2pi, "cvttps2pi %%xmm1, %%mm0\n\tmovq2dq %%mm0, %%xmm0\n\temms") \
    X(cvtpd2pi,  "cvtpd2pi %%xmm1, %%mm0\n\tmovq2dq %%mm0, %%xmm0\n\temms") \
    X(cvttpd2pi, "cvttpd2pi %%xmm1, %%mm0\n\tmovq2dq %%mm0, %%xmm0\n\temms")

#define SIMD_DECLARE_X(name) simd_stub hx_##name;
#define SIMD_DECLARE_M(name) simd_stub hm_##name;
#define SIMD_DECLARE_S(name, body) simd_stub hx_##name;
SIMD_INT_OPS(SIMD_DECLARE_X)
SIMD_INT_OPS(SIMD_DECLARE_M)
SIMD_XMM_OPS(SIMD_DECLARE_X)
SIMD_SPECIAL_OPS(SIMD_DECLARE_S)
#undef SIMD_DECLARE_X
#undef SIMD_DECLARE_M
#undef SIMD_DECLARE_S

#endif
