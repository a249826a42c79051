/*
 * fpu_state.h - x87 FPU, MMX and SSE register state (SDM Vol. 1 ch. 8, 10, 11).
 * Owned by the FPU code in cpu/fpu*.c.
 */
#ifndef SOFTVM_CPU_FPU_STATE_H
#define SOFTVM_CPU_FPU_STATE_H

#include <stdint.h>

struct fpu_state {
    uint16_t fcw, fsw, ftw;
    uint8_t st[8][10];          /* 80-bit registers, physical order */
    uint32_t mxcsr;
    uint8_t xmm[8][16];
};

#endif
