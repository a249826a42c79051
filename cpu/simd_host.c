/*
 * simd_host.c - the host-instruction stubs declared in simd_host.h.
 * Every stub saves the host MXCSR, loads the one it is given, runs its
 * instruction on xmm0/xmm1 (or mm0/mm1), reads MXCSR back and restores the
 * host's, all inside one asm block so no compiler-generated code can run
 * under the guest's MXCSR.
 */
#include "cpu/simd_host.h"

#define XMM_STUB_BODY(text)                                                     \
    {                                                                           \
        uint32_t saved;                                                         \
        __asm__ volatile("stmxcsr %[sv]\n\t"                                    \
                         "ldmxcsr %[mx]\n\t"                                    \
                         "movdqu %[d], %%xmm0\n\t"                              \
                         "movdqu %[s], %%xmm1\n\t"                              \
                         text "\n\t"                                            \
                         "movdqu %%xmm0, %[d]\n\t"                              \
                         "stmxcsr %[mx]\n\t"                                    \
                         "ldmxcsr %[sv]"                                        \
                         : [d] "+m"(*(uint8_t(*)[16])d), [mx] "+m"(*mxcsr),     \
                           [sv] "=m"(saved)                                     \
                         : [s] "m"(*(const uint8_t(*)[16])s)                    \
                         : "xmm0", "xmm1", "eax", "mm0", "cc");                 \
    }

#define MMX_STUB_BODY(text)                                                     \
    {                                                                           \
        __asm__ volatile("movq %[d], %%mm0\n\t"                                 \
                         "movq %[s], %%mm1\n\t"                                 \
                         text "\n\t"                                            \
                         "movq %%mm0, %[d]\n\t"                                 \
                         "emms"                                                 \
                         : [d] "+m"(*(uint8_t(*)[8])d)                          \
                         : [s] "m"(*(const uint8_t(*)[8])s)                     \
                         : "mm0", "mm1");                                       \
        (void)mxcsr;                                                            \
    }

#define DEFINE_X(name) \
    void hx_##name(uint8_t *d, const uint8_t *s, uint32_t *mxcsr) XMM_STUB_BODY(#name " %%xmm1, %%xmm0")
#define DEFINE_M(name) \
    void hm_##name(uint8_t *d, const uint8_t *s, uint32_t *mxcsr) MMX_STUB_BODY(#name " %%mm1, %%mm0")
#define DEFINE_S(name, text) \
    void hx_##name(uint8_t *d, const uint8_t *s, uint32_t *mxcsr) XMM_STUB_BODY(text)

SIMD_INT_OPS(DEFINE_X)
SIMD_INT_OPS(DEFINE_M)
SIMD_XMM_OPS(DEFINE_X)
SIMD_SPECIAL_OPS(DEFINE_S)
