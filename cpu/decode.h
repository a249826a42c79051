/*
 * decode.h - the x86 instruction decoder: bytes -> struct insn, driven by
 * the opcode table (cpu/optable.h).
 *
 * decode_insn() is pure (no CPU state, no memory access): it decodes from a
 * byte buffer, so the interpreter, the TB builder, the tracer and the
 * Capstone comparison test all use the same code. Spec: SDM Vol. 2A ch. 2
 * (instruction format), Vol. 2D appendix A (opcode map).
 */
#ifndef SOFTVM_CPU_DECODE_H
#define SOFTVM_CPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/insn.h"

#define X86_MAX_INSN_LEN 15

/* Mode bits the decoding depends on. */
#define DECODE_CODE32 0x1   /* CS.D = 1: default operand and address size 32 */
#define DECODE_PM     0x2   /* protected mode, not v86: PM-only opcodes are valid */
#define DECODE_CODE64 0x800 /* 64-bit mode (EFER.LMA and CS.L): REX, 64-bit sizes;
                               the bit is translator/tb.h's TBK_CODE64 */

enum {
    DECODE_NEED_MORE = -1,  /* buffer ended before the instruction did */
    DECODE_TOO_LONG = -2,   /* more than 15 bytes: #GP(0) */
};

/*
 * Decode one instruction at buf[0..avail). Returns its length (1..15), or
 * DECODE_NEED_MORE / DECODE_TOO_LONG. Undefined encodings decode (with the
 * length the CPU would have consumed) to a row whose handler raises #UD.
 * in->rip is left for the caller to fill.
 */
int decode_insn(const uint8_t *buf, unsigned avail, unsigned mode, struct insn *in);

/*
 * Fetch and decode the instruction at CS:EIP through the softMMU (#PF, and
 * #GP(0) past the CS limit or for more than 15 bytes, raised as the fetch
 * needs the bytes).
 */
void decode_at(struct cpu *cpu, uint64_t eip, struct insn *in);

/* The decoder mode of the CPU now. */
unsigned decode_mode(const struct cpu *cpu);

#endif
