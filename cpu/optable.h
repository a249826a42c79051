/*
 * optable.h - THE opcode table: one row per opcode of the one-byte map and
 * the two-byte (0F xx) map, with group opcodes split by ModRM.reg.
 *
 * Every consumer reads the same rows: the decoder (operand form, precise
 * bits), the interpreter (handler), the TB builder (ends-block, near
 * branch) and the tests (validity, the x87/SIMD bits, and the flag masks in
 * test_cpu_native). The tracer prints Capstone's disassembly, not the name.
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
/* The register operand is in opcode bits 0-2 (extended by REX.B): the
 * decoder puts it in insn.rm (PUSH/POP/INC/DEC/XCHG/MOV/BSWAP r). */
#define OPF_OPREG       0x08000000u
/* With OPF_BYTE: only r/m is a byte register, reg is sized by opsize
 * (MOVZX/MOVSX r, r/m8), which matters for REX's byte-register rule. */
#define OPF_RM8         0x10000000u

/* 64-bit mode (struct op_desc.x64; SDM Vol. 2D table A-1 superscripts i64,
 * o64, d64, f64; Vol. 2A 2.2.1.7). Outside 64-bit mode only X64_O64 is read. */
#define X64_I64   0x01u   /* invalid in 64-bit mode: #UD */
#define X64_O64   0x02u   /* valid only in 64-bit mode: #UD elsewhere */
#define X64_D64   0x04u   /* default operand size 64; 66 selects 16; no 32-bit form */
#define X64_F64   0x08u   /* operand size 64 whatever 66 says (Intel: near branches) */
#define X64_IMM64 0x10u   /* with a 64-bit operand size the immediate is 64 bits (MOV r64, imm64) */

/*
 * Semantic ids: what a row does, independent of its operand form (which is
 * in form and the decoded insn). Code generators key their emitters by it.
 * Group aliases share the id of what they alias (SAL = SHL). SEM_IMUL is the
 * one-operand widening form, SEM_IMUL2 the two/three-operand one.
 */
enum op_sem {
    SEM_NONE, SEM_UD, SEM_ADD, SEM_OR, SEM_ADC, SEM_SBB, SEM_AND, SEM_SUB, SEM_XOR,
    SEM_CMP, SEM_TEST, SEM_INC, SEM_DEC, SEM_NOT, SEM_NEG, SEM_MUL, SEM_IMUL,
    SEM_IMUL2, SEM_DIV, SEM_IDIV, SEM_DAA, SEM_DAS, SEM_AAA, SEM_AAS, SEM_AAM,
    SEM_AAD, SEM_SALC, SEM_CBW, SEM_CWD, SEM_ROL, SEM_ROR, SEM_RCL, SEM_RCR,
    SEM_SHL, SEM_SHR, SEM_SAR, SEM_SHLD, SEM_SHRD, SEM_BT, SEM_BTS, SEM_BTR,
    SEM_BTC, SEM_BSF, SEM_BSR, SEM_SETCC, SEM_CMOVCC, SEM_BSWAP, SEM_MOV,
    SEM_MOV_FROM_SREG, SEM_MOV_TO_SREG, SEM_LEA, SEM_MOVZX, SEM_MOVSX, SEM_XCHG,
    SEM_XADD, SEM_CMPXCHG, SEM_CMPXCHG8B, SEM_LOAD_FAR_PTR, SEM_XLAT, SEM_LAHF,
    SEM_SAHF, SEM_NOP, SEM_PUSH, SEM_POP, SEM_PUSH_SREG, SEM_POP_SREG, SEM_PUSHA,
    SEM_POPA, SEM_PUSHF, SEM_POPF, SEM_ENTER, SEM_LEAVE, SEM_JCC, SEM_JMP, SEM_CALL,
    SEM_RET, SEM_JMPF, SEM_CALLF, SEM_RETF, SEM_IRET, SEM_LOOP, SEM_LOOPE,
    SEM_LOOPNE, SEM_JCXZ, SEM_INT3, SEM_INT, SEM_INTO, SEM_INT1, SEM_BOUND, SEM_CLC,
    SEM_STC, SEM_CMC, SEM_CLD, SEM_STD, SEM_CLI, SEM_STI, SEM_HLT, SEM_MOVS,
    SEM_CMPS, SEM_STOS, SEM_LODS, SEM_SCAS, SEM_INS, SEM_OUTS, SEM_IN, SEM_OUT,
    SEM_SLDT, SEM_STR, SEM_LLDT, SEM_LTR, SEM_VERR, SEM_VERW, SEM_SGDT, SEM_SIDT,
    SEM_LGDT, SEM_LIDT, SEM_SMSW, SEM_LMSW, SEM_INVLPG, SEM_LAR, SEM_LSL, SEM_CLTS,
    SEM_INVD, SEM_WBINVD, SEM_MOV_FROM_CR, SEM_MOV_TO_CR, SEM_MOV_FROM_DR,
    SEM_MOV_TO_DR, SEM_WRMSR, SEM_RDTSC, SEM_RDMSR, SEM_RDPMC, SEM_SYSENTER,
    SEM_SYSEXIT, SEM_CPUID, SEM_ARPL, SEM_FPU, SEM_SIMD, SEM_FWAIT,
    SEM_MOVSXD, SEM_SYSCALL, SEM_SYSRET, SEM_SWAPGS, SEM_CLAC_STAC,
    SEM_COUNT
};

/*
 * EFLAGS masks, the contract a code generator's flag liveness relies on
 * (checked against the host CPU by tests/unit/test_cpu_native.c):
 *  - flags_written: every flag the instruction may change, for some operands,
 *    on softvm or per the SDM (undefined ones included);
 *  - flags_undef: those of flags_written the SDM leaves undefined for some
 *    operands; softvm's value is the choice its handler file documents;
 *  - flags_read: every flag whose value before the instruction can affect
 *    softvm's result, including flags it leaves unchanged for some operands
 *    (a shift by a masked count of 0, REP CMPS with ECX = 0, DIV keeping
 *    them where the SDM leaves them undefined).
 */
struct op_desc {
    const char *name;       /* mnemonic (tests, listings) */
    op_handler fn;
    uint32_t form;          /* OPF_* */
    uint32_t flags_read;
    uint32_t flags_written;
    uint32_t flags_undef;
    uint16_t sem;           /* enum op_sem */
    const struct op_desc *group;  /* OPF_GROUP: 8 rows (16 with OPF_GROUP_MOD) */
    uint8_t x64;            /* X64_*: the row's 64-bit mode properties */
    const struct op_desc *alt64;  /* the row that replaces this one in 64-bit mode (63: MOVSXD) */
};

/* 0x000-0x0ff one-byte map, 0x100-0x1ff the 0F map. */
extern const struct op_desc op_table[512];

/* The row for an undefined encoding (raises #UD when executed). */
extern const struct op_desc op_desc_ud;

#endif
