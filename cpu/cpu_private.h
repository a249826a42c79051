/*
 * cpu_private.h - CPU state that only cpu/ and translator/ look at:
 * lazy flags, MSRs, FPU/SSE registers, interpreter scratch.
 * Included by cpu.h; owned by cpu/.
 */
#ifndef SOFTVM_CPU_CPU_PRIVATE_H
#define SOFTVM_CPU_CPU_PRIVATE_H

#include <stdint.h>
#include "cpu/fpu_state.h"

struct cpu_private {
    /* Lazy flags (design brief): the last flag-setting operation. */
    uint32_t lf_op;
    uint32_t lf_dst, lf_src, lf_res;

    struct fpu_state fpu;       /* x87, MMX, SSE: cpu/fpu_state.h */
};

#endif
