/*
 * simd.h - MMX, SSE and SSE2 (plus the cheap SSE3 register forms): the
 * two-byte-map opcodes the opcode table sends to simd_execute() (cpu/insn.h).
 *
 * Spec: Intel SDM Vol. 1 ch. 9 (MMX), 10 (SSE), 11 (SSE2), 12 (SSE3);
 * Vol. 2 instruction pages; Vol. 3A 2.5 and 13.1-13.2 (CR0.EM/TS, CR4.OSFXSR,
 * CR4.OSXMMEXCPT, table 13-1); Vol. 2 exception tables of each instruction.
 *
 * Opcodes handled (0F xx; the mandatory prefix none/66/F3/F2 picks the form):
 *   0D, 18 prefetch hints (no-ops)       10-17, 28-2F, 50-7F, C2-C6, D0-FE
 *   77 EMMS                              AE group 15: FXSAVE, FXRSTOR,
 *   C3 MOVNTI                               LDMXCSR, STMXCSR, LFENCE, MFENCE,
 *                                           SFENCE, CLFLUSH
 * Immediates (imm8) are expected in insn.imm for 0F 70-73 and C2, C4-C6.
 *
 * Exception rules implemented (SDM Vol. 3A table 13-1, table 2-2):
 *   SSE/SSE2 forms: CR0.EM -> #UD, CR4.OSFXSR = 0 -> #UD, CR0.TS -> #NM;
 *     an unmasked SIMD FP exception -> #XM with CR4.OSXMMEXCPT, else #UD;
 *     misaligned 16-byte operands of the aligned forms -> #GP(0).
 *   MMX forms: CR0.EM -> #UD, CR0.TS -> #NM, pending x87 exception -> #MF.
 */
#ifndef SOFTVM_CPU_SIMD_H
#define SOFTVM_CPU_SIMD_H

#include "cpu/cpu.h"

/* MXCSR bits (SDM Vol. 1 10.2.3). */
#define MXCSR_FLAGS  0x003fu     /* IE DE ZE OE UE PE */
#define MXCSR_UE     0x0010u
#define MXCSR_UM     0x0800u
#define MXCSR_FZ     0x8000u
#define MXCSR_DAZ    0x0040u
#define MXCSR_MASKS  0x1f80u     /* IM DM ZM OM UM PM */

#endif
