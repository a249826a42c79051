/*
 * optable.h - THE opcode table: one row per opcode of the one-byte map and
 * the two-byte (0F xx) map, with group opcodes split by ModRM.reg.
 *
 * Every consumer reads the same rows: the decoder (operand form: ModRM,
 * immediates), the interpreter (handler), the TB builder (ends-block) and
 * the tests (validity, the x87/SIMD bits). The name and the flag masks have
 * no reader yet (the tracer prints Capstone's disassembly).
 * Spec: SDM Vol. 2D appendix A (opcode map), Vol. 2 per-instruction pages.
 */
#ifndef SOFTVM_CPU_OPTABLE_H
#define SOFTVM_CPU_OPTABLE_H

#include <stdint.h>
#include "cpu/insn.h"

typedef void (*op_handler)(struct cpu *cpu, const struct insn *in);

/* Operand form and properties of a row. */
#define OPF_MODRM     0x00000001u  /* a ModRM byte (and SIB/displacement) follows */
#define OPF_BYTE      0x00000002u  /* 8-bit operands */
#define OPF_IMM8      0x00000004u  /* imm8, zero-extended */
#define OPF_IMM8S     0x00000008u  /* imm8, sign-extended to the operand size */
#define OPF_IMMZ      0x00000010u  /* imm16 or imm32 by operand size */
#define OPF_IMM16     0x00000020u  /* imm16 (RET imm16) */
#define OPF_ENTER     0x00000040u  /* imm16 then imm8 in imm2 (ENTER) */
#define OPF_FARPTR    0x00000080u  /* offset16/32 in imm, selector in imm2 */
#define OPF_MOFFS     0x00000100u  /* offset by address size, in disp (MOV A0-A3) */
#define OPF_REL8      0x00000200u  /* rel8, sign-extended in imm */
#define OPF_RELZ      0x00000400u  /* rel16/rel32 by operand size, in imm */
#define OPF_GROUP     0x00000800u  /* ModRM.reg picks a row of ->group */
#define OPF_PREFIX    0x00001000u  /* a prefix byte: the decoder consumes it */
#define OPF_INVALID   0x00002000u  /* undefined: #UD */
#define OPF_LOCK      0x00004000u  /* LOCK allowed (with a memory destination) */
#define OPF_MEM       0x00008000u  /* ModRM must name memory, else #UD */
#define OPF_REG       0x00010000u  /* ModRM must name a register (mod = 3) */
#define OPF_PM        0x00020000u  /* protected mode only: #UD in real and v86 mode */
#define OPF_END_BB    0x00040000u  /* ends a basic block (branch, mode or code change) */
#define OPF_STRING    0x00080000u  /* string instruction: REP prefixes apply */
#define OPF_FPU       0x00100000u  /* goes to x87_execute */
#define OPF_SIMD      0x00200000u  /* goes to simd_execute */
#define OPF_MODRM_ANY 0x00400000u  /* reg field names a control/debug register: mod ignored */
#define OPF_GROUP_MOD 0x00800000u  /* group rows differ for mod = 3: ->group[8..15] */
/* Precise without a checkpoint: the handler changes ESP, EFLAGS and the lazy
 * flags only after its last possible fault (general registers are always
 * written after it), so a fault needs only the instruction's EIP restored.
 * OPF_PRECISE_REG: the same, but only without a memory operand. The decoder
 * turns these into insn.ckpt. */
#define OPF_PRECISE     0x01000000u
#define OPF_PRECISE_REG 0x02000000u
/* A near branch (Jcc, JMP, CALL, RET, LOOP, JCXZ): it ends its block but
 * changes no input of the block state key, so the next block can be chained. */
#define OPF_NEAR_BRANCH 0x04000000u

struct op_desc {
    const char *name;       /* mnemonic for traces */
    op_handler fn;
    uint32_t form;          /* OPF_* */
    uint16_t flags_read;    /* EFLAGS bits read (for the JIT / tracer) */
    uint16_t flags_written; /* EFLAGS bits written, undefined ones included */
    const struct op_desc *group;  /* OPF_GROUP: 8 rows (16 with OPF_GROUP_MOD) */
};

/* 0x000-0x0ff one-byte map, 0x100-0x1ff the 0F map. */
extern const struct op_desc op_table[512];

/* The row for an undefined encoding (raises #UD when executed). */
extern const struct op_desc op_desc_ud;

#endif
