/*
 * optable.c - THE opcode table (see optable.h): the i686 one-byte map and
 * 0F map, SDM Vol. 2D appendix A tables, groups from table A-6.
 *
 * Rows not listed are zero, which the decoder treats as undefined (#UD):
 * the designated initializers below name every defined opcode.
 */
#include <stddef.h>

#include "cpu/optable.h"
#include "cpu/ops.h"

/* Flag masks. */
#define F_C   EFLAGS_CF
#define F_A6  EFLAGS_ARITH
#define F_NC  (EFLAGS_ARITH & ~EFLAGS_CF)   /* INC/DEC keep CF */
#define F_Z   EFLAGS_ZF
#define F_D   EFLAGS_DF
#define F_I   EFLAGS_IF
#define F_ALL 0x3f7fd5u                      /* every defined EFLAGS bit */
#define F_IO  (EFLAGS_IOPL | EFLAGS_VM)        /* I/O and IF privilege checks */
#define F_SZAP (EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF)
#define F_OSZP (EFLAGS_OF | EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF)
#define F_OAC  (EFLAGS_OF | EFLAGS_AF | EFLAGS_CF)
#define F_OSAP (EFLAGS_OF | EFLAGS_SF | EFLAGS_AF | EFLAGS_PF)
#define F_OSAPC (F_OSAP | EFLAGS_CF)

/* Form shorthands. */
#define M     OPF_MODRM
#define B     OPF_BYTE
#define I8    OPF_IMM8
#define I8S   OPF_IMM8S
#define IZ    OPF_IMMZ
#define L     OPF_LOCK
#define E     OPF_END_BB
#define S     OPF_STRING
#define P     OPF_PRECISE
#define PR    OPF_PRECISE_REG
#define NB    OPF_NEAR_BRANCH

/* A row: semantic id, mnemonic, handler, form, flags read, written, undefined. */
#define ROW(sm, nm, f, frm, rd, wr, ud) { nm, op_##f, (frm), (rd), (wr), (ud), SEM_##sm, NULL, 0, NULL }
/* The same with 64-bit mode properties (X64_*, optable.h). */
#define ROWX(sm, nm, f, frm, rd, wr, ud, x) { nm, op_##f, (frm), (rd), (wr), (ud), SEM_##sm, NULL, (x), NULL }
#define I64 X64_I64
#define D64 X64_D64
#define F64 X64_F64
#define GRP(nm, frm, g)         { nm, NULL, (frm) | OPF_GROUP | OPF_MODRM, 0, 0, 0, SEM_NONE, g, 0, NULL }
#define GRPX(nm, frm, g, x)     { nm, NULL, (frm) | OPF_GROUP | OPF_MODRM, 0, 0, 0, SEM_NONE, g, (x), NULL }
#define PFX(nm)                 { nm, NULL, OPF_PREFIX, 0, 0, 0, SEM_NONE, NULL, 0, NULL }
#define BAD                     { NULL, NULL, OPF_INVALID, 0, 0, 0, SEM_NONE, NULL, 0, NULL }

const struct op_desc op_desc_ud = { "(bad)", op_ud, OPF_INVALID | OPF_END_BB, 0, 0, 0, SEM_UD, NULL, 0, NULL };

/* 63 in 64-bit mode: MOVSXD r, r/m32 (ARPL elsewhere). */
static const struct op_desc movsxd_row = ROW(MOVSXD, "movsxd", movsxd, OPF_MODRM | OPF_PRECISE, 0, 0, 0);

/* Group 1 (80-83): ALU op by ModRM.reg. */
static const struct op_desc grp1[8] = {
    ROW(ADD, "add", alu_rm_imm, L | PR, 0, F_A6, 0), ROW(OR, "or", alu_rm_imm, L | PR, 0, F_A6, EFLAGS_AF),
    ROW(ADC, "adc", alu_rm_imm, L | PR, F_C, F_A6, 0), ROW(SBB, "sbb", alu_rm_imm, L | PR, F_C, F_A6, 0),
    ROW(AND, "and", alu_rm_imm, L | PR, 0, F_A6, EFLAGS_AF), ROW(SUB, "sub", alu_rm_imm, L | PR, 0, F_A6, 0),
    ROW(XOR, "xor", alu_rm_imm, L | PR, 0, F_A6, EFLAGS_AF), ROW(CMP, "cmp", alu_rm_imm, P, 0, F_A6, 0),
};
/* Group 2 (C0, C1, D0-D3): shifts and rotates. /6 is an undocumented alias
 * of SHL (SAL) on Intel processors. A masked count of 0 changes no flag, so
 * the imm8 and CL forms read every flag they write (ck = 1); by 1 they
 * don't. Undefined: OF for counts > 1, AF after a shift, CF of SHL/SHR by
 * the operand width or more. */
#define F_ROT (F_C | EFLAGS_OF)
#define SHIFT_GROUP(name, h, ck)                                                             \
    static const struct op_desc name[8] = {                                                  \
        ROW(ROL, "rol", h, PR, (ck) ? F_ROT : 0, F_ROT, (ck) ? EFLAGS_OF : 0),               \
        ROW(ROR, "ror", h, PR, (ck) ? F_ROT : 0, F_ROT, (ck) ? EFLAGS_OF : 0),               \
        ROW(RCL, "rcl", h, PR, (ck) ? F_ROT : F_C, F_ROT, (ck) ? EFLAGS_OF : 0),             \
        ROW(RCR, "rcr", h, PR, (ck) ? F_ROT : F_C, F_ROT, (ck) ? EFLAGS_OF : 0),             \
        ROW(SHL, "shl", h, PR, (ck) ? F_A6 : 0, F_A6, (ck) ? F_OAC : EFLAGS_AF),             \
        ROW(SHR, "shr", h, PR, (ck) ? F_A6 : 0, F_A6, (ck) ? F_OAC : EFLAGS_AF),             \
        ROW(SHL, "sal", h, PR, (ck) ? F_A6 : 0, F_A6, (ck) ? F_OAC : EFLAGS_AF),             \
        ROW(SAR, "sar", h, PR, (ck) ? F_A6 : 0, F_A6, (ck) ? F_OAC : EFLAGS_AF),             \
    }
SHIFT_GROUP(grp2_imm, shift_rm_imm, 1);
SHIFT_GROUP(grp2_1, shift_rm_1, 0);
SHIFT_GROUP(grp2_cl, shift_rm_cl, 1);
/* Group 3 (F6, F7). /1 is an undocumented alias of TEST. */
static const struct op_desc grp3_b[8] = {
    ROW(TEST, "test", test_rm_imm, I8 | P, 0, F_A6, EFLAGS_AF), ROW(TEST, "test", test_rm_imm, I8 | P, 0, F_A6, EFLAGS_AF),
    ROW(NOT, "not", not_rm, L | P, 0, 0, 0), ROW(NEG, "neg", neg_rm, L | PR, 0, F_A6, 0),
    ROW(MUL, "mul", mul_rm, P, 0, F_A6, F_SZAP), ROW(IMUL, "imul", imul_rm, P, 0, F_A6, F_SZAP),
    ROW(DIV, "div", div_rm, P, F_A6, F_A6, F_A6), ROW(IDIV, "idiv", idiv_rm, P, F_A6, F_A6, F_A6),
};
static const struct op_desc grp3_v[8] = {
    ROW(TEST, "test", test_rm_imm, IZ | P, 0, F_A6, EFLAGS_AF), ROW(TEST, "test", test_rm_imm, IZ | P, 0, F_A6, EFLAGS_AF),
    ROW(NOT, "not", not_rm, L | P, 0, 0, 0), ROW(NEG, "neg", neg_rm, L | PR, 0, F_A6, 0),
    ROW(MUL, "mul", mul_rm, P, 0, F_A6, F_SZAP), ROW(IMUL, "imul", imul_rm, P, 0, F_A6, F_SZAP),
    ROW(DIV, "div", div_rm, P, F_A6, F_A6, F_A6), ROW(IDIV, "idiv", idiv_rm, P, F_A6, F_A6, F_A6),
};
/* Group 4 (FE) and 5 (FF). */
static const struct op_desc grp4[8] = {
    ROW(INC, "inc", inc_rm, L | PR, 0, F_NC, 0), ROW(DEC, "dec", dec_rm, L | PR, 0, F_NC, 0),
    BAD, BAD, BAD, BAD, BAD, BAD,
};
static const struct op_desc grp5[8] = {
    ROW(INC, "inc", inc_rm, L | PR, 0, F_NC, 0), ROW(DEC, "dec", dec_rm, L | PR, 0, F_NC, 0),
    ROWX(CALL, "call", call_rm, E | NB, 0, 0, 0, F64), ROW(CALLF, "callf", callf_rm, OPF_MEM | E, F_ALL, F_ALL, 0),
    ROWX(JMP, "jmp", jmp_rm, E | NB, 0, 0, 0, F64), ROW(JMPF, "jmpf", jmpf_rm, OPF_MEM | E, F_ALL, F_ALL, 0),
    ROWX(PUSH, "push", push_rm, P, 0, 0, 0, D64), BAD,
};
/* Group 1A (8F) and 11 (C6, C7). */
static const struct op_desc grp1a[8] = { ROWX(POP, "pop", pop_rm, 0, 0, 0, 0, D64), BAD, BAD, BAD, BAD, BAD, BAD, BAD };
static const struct op_desc grp11_b[8] = { ROW(MOV, "mov", mov_rm_imm, I8 | P, 0, 0, 0), BAD, BAD, BAD, BAD, BAD, BAD, BAD };
static const struct op_desc grp11_v[8] = { ROW(MOV, "mov", mov_rm_imm, IZ | P, 0, 0, 0), BAD, BAD, BAD, BAD, BAD, BAD, BAD };
/* Group 6 (0F 00) and 7 (0F 01): descriptor tables, protected mode only
 * where the SDM says #UD in real/v86 mode. */
static const struct op_desc grp6[8] = {
    ROW(SLDT, "sldt", sldt, OPF_PM, 0, 0, 0), ROW(STR, "str", str, OPF_PM, 0, 0, 0),
    ROW(LLDT, "lldt", lldt, OPF_PM | E, 0, 0, 0), ROW(LTR, "ltr", ltr, OPF_PM | E, 0, 0, 0),
    ROW(VERR, "verr", verr, OPF_PM, 0, F_Z, 0), ROW(VERW, "verw", verw, OPF_PM, 0, F_Z, 0),
    BAD, BAD,
};
static const struct op_desc grp7[16] = {
    ROW(SGDT, "sgdt", sgdt, 0, 0, 0, 0), ROW(SIDT, "sidt", sidt, 0, 0, 0, 0),
    ROW(LGDT, "lgdt", lgdt, E, 0, 0, 0), ROW(LIDT, "lidt", lidt, E, 0, 0, 0),
    ROW(SMSW, "smsw", smsw, 0, 0, 0, 0), BAD, ROW(LMSW, "lmsw", lmsw, E, 0, 0, 0), ROW(INVLPG, "invlpg", invlpg, E, 0, 0, 0),
    /* mod = 3, the handlers pick by rm: reg 1 rm 2/3 CLAC/STAC (with SMAP);
     * reg 7 rm 0 SWAPGS (64-bit mode only), rm 1 RDTSCP (with the feature);
     * the other rm values (MONITOR/MWAIT, VMX, ...) are not built */
    BAD, ROW(CLAC_STAC, "clac/stac", clac_stac, E, 0, EFLAGS_AC, 0), BAD, BAD,
    ROW(SMSW, "smsw", smsw, 0, 0, 0, 0), BAD, ROW(LMSW, "lmsw", lmsw, E, 0, 0, 0),
    ROW(SWAPGS, "swapgs/rdtscp", swapgs_rdtscp, E, 0, 0, 0),
};
/* Group 8 (0F BA): BT* with imm8. */
static const struct op_desc grp8[8] = {
    BAD, BAD, BAD, BAD,
    ROW(BT, "bt", bt_grp_imm, P, F_OSAP, F_C | F_OSAP, F_OSAP), ROW(BTS, "bts", bt_grp_imm, L | PR, F_OSAP, F_C | F_OSAP, F_OSAP),
    ROW(BTR, "btr", bt_grp_imm, L | PR, F_OSAP, F_C | F_OSAP, F_OSAP), ROW(BTC, "btc", bt_grp_imm, L | PR, F_OSAP, F_C | F_OSAP, F_OSAP),
};
/* Group 9 (0F C7): CMPXCHG8B m64. */
static const struct op_desc grp9[8] = {
    /* /1: CMPXCHG8B, CMPXCHG16B with REX.W */
    BAD, ROW(CMPXCHG8B, "cmpxchg8b", cmpxchg8b, OPF_MEM | L, 0, F_Z, 0), BAD, BAD, BAD, BAD, BAD, BAD,
};

/* lk: LOCK allowed and the memory form writes (flags are set before the
 * write, so it needs the checkpoint); CMP only reads. */
#define ALU_ROWS(base, sm, nm, rdf, lk, ud)                                \
    [base + 0] = ROW(sm, nm, alu_rm_r, M | B | lk, rdf, F_A6, ud),        \
    [base + 1] = ROW(sm, nm, alu_rm_r, M | lk, rdf, F_A6, ud),            \
    [base + 2] = ROW(sm, nm, alu_r_rm, M | B | P, rdf, F_A6, ud),         \
    [base + 3] = ROW(sm, nm, alu_r_rm, M | P, rdf, F_A6, ud),             \
    [base + 4] = ROW(sm, nm, alu_acc_imm, B | IZ | P, rdf, F_A6, ud),     \
    [base + 5] = ROW(sm, nm, alu_acc_imm, IZ | P, rdf, F_A6, ud)

/* The same row for 8 or 16 consecutive opcodes (a row has commas, hence ...). */
#define X8(base, ...) [base] = __VA_ARGS__, [base + 1] = __VA_ARGS__, [base + 2] = __VA_ARGS__, \
    [base + 3] = __VA_ARGS__, [base + 4] = __VA_ARGS__, [base + 5] = __VA_ARGS__,             \
    [base + 6] = __VA_ARGS__, [base + 7] = __VA_ARGS__
#define X16(base, ...) X8(base, __VA_ARGS__), X8(base + 8, __VA_ARGS__)

#define JCC_READ (EFLAGS_ARITH & ~EFLAGS_AF)
#define FPU_ROW ROW(FPU, "fpu", fpu, M | OPF_FPU, 0, 0, 0)
#define F_ZPC (EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF)
#define FPU_ROW_FL(rd, wr) ROW(FPU, "fpu", fpu, M | OPF_FPU, rd, wr, 0)
#define SIMD_ROW ROW(SIMD, "simd", simd, M | OPF_SIMD, 0, 0, 0)
/* (U)COMISS/SD: ZF PF CF from the compare, OF SF AF cleared */
#define SIMD_ROW_COMI ROW(SIMD, "simd", simd, M | OPF_SIMD, 0, F_A6, 0)
#define SIMD_ROW_I8 ROW(SIMD, "simd", simd, M | I8 | OPF_SIMD, 0, 0, 0)

const struct op_desc op_table[512] = {
    ALU_ROWS(0x00, ADD, "add", 0, L | PR, 0),
    ALU_ROWS(0x08, OR, "or", 0, L | PR, EFLAGS_AF),
    ALU_ROWS(0x10, ADC, "adc", F_C, L | PR, 0),
    ALU_ROWS(0x18, SBB, "sbb", F_C, L | PR, 0),
    ALU_ROWS(0x20, AND, "and", 0, L | PR, EFLAGS_AF),
    ALU_ROWS(0x28, SUB, "sub", 0, L | PR, 0),
    ALU_ROWS(0x30, XOR, "xor", 0, L | PR, EFLAGS_AF),
    ALU_ROWS(0x38, CMP, "cmp", 0, P, 0),
    [0x06] = ROWX(PUSH_SREG, "push es", push_sreg, P, 0, 0, 0, I64), [0x07] = ROWX(POP_SREG, "pop es", pop_sreg, E, 0, 0, 0, I64),
    [0x0e] = ROWX(PUSH_SREG, "push cs", push_sreg, P, 0, 0, 0, I64),
    [0x16] = ROWX(PUSH_SREG, "push ss", push_sreg, P, 0, 0, 0, I64), [0x17] = ROWX(POP_SREG, "pop ss", pop_sreg, E, 0, 0, 0, I64),
    [0x1e] = ROWX(PUSH_SREG, "push ds", push_sreg, P, 0, 0, 0, I64), [0x1f] = ROWX(POP_SREG, "pop ds", pop_sreg, E, 0, 0, 0, I64),
    [0x26] = PFX("es"), [0x2e] = PFX("cs"), [0x36] = PFX("ss"), [0x3e] = PFX("ds"),
    [0x27] = ROWX(DAA, "daa", daa, P, F_C | EFLAGS_AF, F_A6, EFLAGS_OF, I64), [0x2f] = ROWX(DAS, "das", das, P, F_C | EFLAGS_AF, F_A6, EFLAGS_OF, I64),
    [0x37] = ROWX(AAA, "aaa", aaa, P, EFLAGS_AF, F_A6, F_OSZP, I64), [0x3f] = ROWX(AAS, "aas", aas, P, EFLAGS_AF, F_A6, F_OSZP, I64),
    /* 40-4F: REX prefixes in 64-bit mode (the decoder takes them first) */
    X8(0x40, ROW(INC, "inc", inc_r, OPF_OPREG | P, 0, F_NC, 0)),
    X8(0x48, ROW(DEC, "dec", dec_r, OPF_OPREG | P, 0, F_NC, 0)),
    X8(0x50, ROWX(PUSH, "push", push_r, OPF_OPREG | P, 0, 0, 0, D64)),
    X8(0x58, ROWX(POP, "pop", pop_r, OPF_OPREG | P, 0, 0, 0, D64)),
    [0x60] = ROWX(PUSHA, "pusha", pusha, 0, 0, 0, 0, I64), [0x61] = ROWX(POPA, "popa", popa, 0, 0, 0, 0, I64),
    [0x62] = ROWX(BOUND, "bound", bound, M | OPF_MEM | P, 0, 0, 0, I64),
    [0x63] = { "arpl", op_arpl, M | OPF_PM, 0, F_Z, 0, SEM_ARPL, NULL, 0, &movsxd_row },
    [0x64] = PFX("fs"), [0x65] = PFX("gs"), [0x66] = PFX("data16"), [0x67] = PFX("addr16"),
    [0x68] = ROWX(PUSH, "push", push_imm, IZ | P, 0, 0, 0, D64), [0x69] = ROW(IMUL2, "imul", imul_r_rm_imm, M | IZ | P, 0, F_A6, F_SZAP),
    [0x6a] = ROWX(PUSH, "push", push_imm, I8S | P, 0, 0, 0, D64), [0x6b] = ROW(IMUL2, "imul", imul_r_rm_imm, M | I8S | P, 0, F_A6, F_SZAP),
    [0x6c] = ROW(INS, "insb", ins, B | S | P, F_D | F_IO, 0, 0), [0x6d] = ROW(INS, "ins", ins, S | P, F_D | F_IO, 0, 0),
    [0x6e] = ROW(OUTS, "outsb", outs, B | S | P, F_D | F_IO, 0, 0), [0x6f] = ROW(OUTS, "outs", outs, S | P, F_D | F_IO, 0, 0),
    X16(0x70, ROWX(JCC, "jcc", jcc, OPF_REL8 | E | NB | P, JCC_READ, 0, 0, F64)),
    [0x80] = GRP("grp1", B | I8, grp1), [0x81] = GRP("grp1", IZ, grp1),
    [0x82] = GRPX("grp1", B | I8, grp1, I64), [0x83] = GRP("grp1", I8S, grp1),
    [0x84] = ROW(TEST, "test", test_rm_r, M | B | P, 0, F_A6, EFLAGS_AF), [0x85] = ROW(TEST, "test", test_rm_r, M | P, 0, F_A6, EFLAGS_AF),
    [0x86] = ROW(XCHG, "xchg", xchg_rm_r, M | B | L | P, 0, 0, 0), [0x87] = ROW(XCHG, "xchg", xchg_rm_r, M | L | P, 0, 0, 0),
    [0x88] = ROW(MOV, "mov", mov_rm_r, M | B | P, 0, 0, 0), [0x89] = ROW(MOV, "mov", mov_rm_r, M | P, 0, 0, 0),
    [0x8a] = ROW(MOV, "mov", mov_r_rm, M | B | P, 0, 0, 0), [0x8b] = ROW(MOV, "mov", mov_r_rm, M | P, 0, 0, 0),
    [0x8c] = ROW(MOV_FROM_SREG, "mov", mov_rm_sreg, M | P, 0, 0, 0), [0x8d] = ROW(LEA, "lea", lea, M | OPF_MEM | P, 0, 0, 0),
    [0x8e] = ROW(MOV_TO_SREG, "mov", mov_sreg_rm, M | E, 0, 0, 0), [0x8f] = GRPX("grp1a", 0, grp1a, D64),
    [0x90] = ROW(NOP, "nop", nop, P, 0, 0, 0),
    [0x91] = ROW(XCHG, "xchg", xchg_acc_r, OPF_OPREG | P, 0, 0, 0), [0x92] = ROW(XCHG, "xchg", xchg_acc_r, OPF_OPREG | P, 0, 0, 0),
    [0x93] = ROW(XCHG, "xchg", xchg_acc_r, OPF_OPREG | P, 0, 0, 0), [0x94] = ROW(XCHG, "xchg", xchg_acc_r, OPF_OPREG | P, 0, 0, 0),
    [0x95] = ROW(XCHG, "xchg", xchg_acc_r, OPF_OPREG | P, 0, 0, 0), [0x96] = ROW(XCHG, "xchg", xchg_acc_r, OPF_OPREG | P, 0, 0, 0),
    [0x97] = ROW(XCHG, "xchg", xchg_acc_r, OPF_OPREG | P, 0, 0, 0),
    [0x98] = ROW(CBW, "cbw", cbw, P, 0, 0, 0), [0x99] = ROW(CWD, "cwd", cwd, P, 0, 0, 0),
    [0x9a] = ROWX(CALLF, "callf", callf_ptr, OPF_FARPTR | E, F_ALL, F_ALL, 0, I64), [0x9b] = ROW(FWAIT, "fwait", fwait, OPF_FPU, 0, 0, 0),
    [0x9c] = ROWX(PUSHF, "pushf", pushf, P, F_ALL, 0, 0, D64), [0x9d] = ROWX(POPF, "popf", popf, E, F_ALL, F_ALL, 0, D64),
    [0x9e] = ROW(SAHF, "sahf", sahf, P, 0, F_A6 & ~EFLAGS_OF, 0), [0x9f] = ROW(LAHF, "lahf", lahf, P, F_A6 & ~EFLAGS_OF, 0, 0),
    [0xa0] = ROW(MOV, "mov", mov_acc_moffs, B | OPF_MOFFS | P, 0, 0, 0), [0xa1] = ROW(MOV, "mov", mov_acc_moffs, OPF_MOFFS | P, 0, 0, 0),
    [0xa2] = ROW(MOV, "mov", mov_moffs_acc, B | OPF_MOFFS | P, 0, 0, 0), [0xa3] = ROW(MOV, "mov", mov_moffs_acc, OPF_MOFFS | P, 0, 0, 0),
    [0xa4] = ROW(MOVS, "movsb", movs, B | S | P, F_D, 0, 0), [0xa5] = ROW(MOVS, "movs", movs, S | P, F_D, 0, 0),
    [0xa6] = ROW(CMPS, "cmpsb", cmps, B | S, F_D | F_A6, F_A6, 0), [0xa7] = ROW(CMPS, "cmps", cmps, S, F_D | F_A6, F_A6, 0),
    [0xa8] = ROW(TEST, "test", test_acc_imm, B | IZ | P, 0, F_A6, EFLAGS_AF), [0xa9] = ROW(TEST, "test", test_acc_imm, IZ | P, 0, F_A6, EFLAGS_AF),
    [0xaa] = ROW(STOS, "stosb", stos, B | S | P, F_D, 0, 0), [0xab] = ROW(STOS, "stos", stos, S | P, F_D, 0, 0),
    [0xac] = ROW(LODS, "lodsb", lods, B | S | P, F_D, 0, 0), [0xad] = ROW(LODS, "lods", lods, S | P, F_D, 0, 0),
    [0xae] = ROW(SCAS, "scasb", scas, B | S, F_D | F_A6, F_A6, 0), [0xaf] = ROW(SCAS, "scas", scas, S, F_D | F_A6, F_A6, 0),
    X8(0xb0, ROW(MOV, "mov", mov_r_imm, OPF_OPREG | B | IZ | P, 0, 0, 0)),
    X8(0xb8, ROWX(MOV, "mov", mov_r_imm, OPF_OPREG | IZ | P, 0, 0, 0, X64_IMM64)),
    [0xc0] = GRP("grp2", B | I8, grp2_imm), [0xc1] = GRP("grp2", I8, grp2_imm),
    [0xc2] = ROWX(RET, "ret", ret_imm, OPF_IMM16 | E | NB, 0, 0, 0, F64), [0xc3] = ROWX(RET, "ret", ret, E | NB, 0, 0, 0, F64),
    /* C4/C5 are VEX in 64-bit mode (not built) */
    [0xc4] = ROWX(LOAD_FAR_PTR, "les", les, M | OPF_MEM | E, 0, 0, 0, I64), [0xc5] = ROWX(LOAD_FAR_PTR, "lds", lds, M | OPF_MEM | E, 0, 0, 0, I64),
    [0xc6] = GRP("grp11", B, grp11_b), [0xc7] = GRP("grp11", 0, grp11_v),
    [0xc8] = ROWX(ENTER, "enter", enter, OPF_ENTER, 0, 0, 0, D64), [0xc9] = ROWX(LEAVE, "leave", leave, 0, 0, 0, 0, D64),
    [0xca] = ROW(RETF, "retf", retf_imm, OPF_IMM16 | E, F_ALL, F_ALL, 0), [0xcb] = ROW(RETF, "retf", retf, E, F_ALL, F_ALL, 0),
    [0xcc] = ROW(INT3, "int3", int3, E, F_ALL, F_ALL, 0), [0xcd] = ROW(INT, "int", int_imm, I8 | E, F_ALL, F_ALL, 0),
    [0xce] = ROWX(INTO, "into", into, E, F_ALL, F_ALL, 0, I64), [0xcf] = ROW(IRET, "iret", iret, E, F_ALL, F_ALL, 0),
    [0xd0] = GRP("grp2", B, grp2_1), [0xd1] = GRP("grp2", 0, grp2_1),
    [0xd2] = GRP("grp2", B, grp2_cl), [0xd3] = GRP("grp2", 0, grp2_cl),
    [0xd4] = ROWX(AAM, "aam", aam, I8, 0, F_A6, F_OAC, I64), [0xd5] = ROWX(AAD, "aad", aad, I8, 0, F_A6, F_OAC, I64),
    [0xd6] = ROWX(SALC, "salc", salc, P, F_C, 0, 0, I64), [0xd7] = ROW(XLAT, "xlat", xlat, P, 0, 0, 0),
    [0xd8] = FPU_ROW, [0xd9] = FPU_ROW, [0xda] = FPU_ROW_FL(F_ZPC, 0),
    [0xdb] = FPU_ROW_FL(F_ZPC | F_A6, F_A6), [0xdc] = FPU_ROW, [0xdd] = FPU_ROW, [0xde] = FPU_ROW,
    [0xdf] = FPU_ROW_FL(F_A6, F_A6),
    [0xe0] = ROWX(LOOPNE, "loopne", loopne, OPF_REL8 | E | NB | P, F_Z, 0, 0, F64), [0xe1] = ROWX(LOOPE, "loope", loope, OPF_REL8 | E | NB | P, F_Z, 0, 0, F64),
    [0xe2] = ROWX(LOOP, "loop", loop, OPF_REL8 | E | NB | P, 0, 0, 0, F64), [0xe3] = ROWX(JCXZ, "jcxz", jcxz, OPF_REL8 | E | NB | P, 0, 0, 0, F64),
    [0xe4] = ROW(IN, "in", in_imm, B | I8 | P, F_IO, 0, 0), [0xe5] = ROW(IN, "in", in_imm, I8 | P, F_IO, 0, 0),
    [0xe6] = ROW(OUT, "out", out_imm, B | I8 | P, F_IO, 0, 0), [0xe7] = ROW(OUT, "out", out_imm, I8 | P, F_IO, 0, 0),
    [0xe8] = ROWX(CALL, "call", call_rel, OPF_RELZ | E | NB, 0, 0, 0, F64), [0xe9] = ROWX(JMP, "jmp", jmp_rel, OPF_RELZ | E | NB | P, 0, 0, 0, F64),
    [0xea] = ROWX(JMPF, "jmpf", jmpf_ptr, OPF_FARPTR | E, F_ALL, F_ALL, 0, I64), [0xeb] = ROWX(JMP, "jmp", jmp_rel, OPF_REL8 | E | NB | P, 0, 0, 0, F64),
    [0xec] = ROW(IN, "in", in_dx, B | P, F_IO, 0, 0), [0xed] = ROW(IN, "in", in_dx, P, F_IO, 0, 0),
    [0xee] = ROW(OUT, "out", out_dx, B | P, F_IO, 0, 0), [0xef] = ROW(OUT, "out", out_dx, P, F_IO, 0, 0),
    [0xf0] = PFX("lock"), [0xf1] = ROW(INT1, "int1", int1, E, F_ALL, F_ALL, 0),
    [0xf2] = PFX("repne"), [0xf3] = PFX("rep"),
    [0xf4] = ROW(HLT, "hlt", hlt, E, 0, 0, 0), [0xf5] = ROW(CMC, "cmc", cmc, P, F_C, F_C, 0),
    [0xf6] = GRP("grp3", B, grp3_b), [0xf7] = GRP("grp3", 0, grp3_v),
    [0xf8] = ROW(CLC, "clc", clc, P, 0, F_C, 0), [0xf9] = ROW(STC, "stc", stc, P, 0, F_C, 0),
    [0xfa] = ROW(CLI, "cli", cli, P, F_IO, F_I, 0), [0xfb] = ROW(STI, "sti", sti, E, F_IO | F_I, F_I, 0),
    [0xfc] = ROW(CLD, "cld", cld, P, 0, F_D, 0), [0xfd] = ROW(STD, "std", std, P, 0, F_D, 0),
    [0xfe] = GRP("grp4", B, grp4), [0xff] = GRP("grp5", 0, grp5),

    /* --- two-byte map, 0F xx -------------------------------------------- */
    [0x100] = GRP("grp6", 0, grp6),
    [0x101] = { "grp7", NULL, M | OPF_GROUP | OPF_GROUP_MOD, 0, 0, 0, SEM_NONE, grp7 },
    [0x102] = ROW(LAR, "lar", lar, M | OPF_PM, 0, F_Z, 0), [0x103] = ROW(LSL, "lsl", lsl, M | OPF_PM, 0, F_Z, 0),
    [0x105] = ROWX(SYSCALL, "syscall", syscall, E, F_ALL, F_ALL, 0, X64_O64),
    [0x106] = ROW(CLTS, "clts", clts, E, 0, 0, 0),
    [0x107] = ROWX(SYSRET, "sysret", sysret, E, F_ALL, F_ALL, 0, X64_O64),
    [0x108] = ROW(INVD, "invd", invd, 0, 0, 0, 0), [0x109] = ROW(WBINVD, "wbinvd", wbinvd, 0, 0, 0, 0),
    [0x10b] = ROW(UD, "ud2", ud, E, 0, 0, 0),
    [0x10d] = SIMD_ROW,                                    /* prefetch hints */
    [0x110] = SIMD_ROW, [0x111] = SIMD_ROW, [0x112] = SIMD_ROW, [0x113] = SIMD_ROW,
    [0x114] = SIMD_ROW, [0x115] = SIMD_ROW, [0x116] = SIMD_ROW, [0x117] = SIMD_ROW,
    [0x118] = SIMD_ROW,                                    /* prefetchnta/t0/t1/t2 */
    [0x119] = ROW(NOP, "nop", nop_rm, M | P, 0, 0, 0), [0x11a] = ROW(NOP, "nop", nop_rm, M | P, 0, 0, 0),
    [0x11b] = ROW(NOP, "nop", nop_rm, M | P, 0, 0, 0), [0x11c] = ROW(NOP, "nop", nop_rm, M | P, 0, 0, 0),
    [0x11d] = ROW(NOP, "nop", nop_rm, M | P, 0, 0, 0), [0x11e] = ROW(NOP, "nop", nop_rm, M | P, 0, 0, 0),
    [0x11f] = ROW(NOP, "nop", nop_rm, M | P, 0, 0, 0),
    [0x120] = ROWX(MOV_FROM_CR, "mov", mov_r_cr, M | OPF_MODRM_ANY, 0, 0, 0, F64),
    [0x121] = ROWX(MOV_FROM_DR, "mov", mov_r_dr, M | OPF_MODRM_ANY, 0, 0, 0, F64),
    [0x122] = ROWX(MOV_TO_CR, "mov", mov_cr_r, M | OPF_MODRM_ANY | E, 0, 0, 0, F64),
    [0x123] = ROWX(MOV_TO_DR, "mov", mov_dr_r, M | OPF_MODRM_ANY | E, 0, 0, 0, F64),
    [0x128] = SIMD_ROW, [0x129] = SIMD_ROW, [0x12a] = SIMD_ROW, [0x12b] = SIMD_ROW,
    [0x12c] = SIMD_ROW, [0x12d] = SIMD_ROW, [0x12e] = SIMD_ROW_COMI, [0x12f] = SIMD_ROW_COMI,
    [0x130] = ROW(WRMSR, "wrmsr", wrmsr, E, 0, 0, 0), [0x131] = ROW(RDTSC, "rdtsc", rdtsc, 0, 0, 0, 0),
    [0x132] = ROW(RDMSR, "rdmsr", rdmsr, 0, 0, 0, 0), [0x133] = ROW(RDPMC, "rdpmc", rdpmc, 0, 0, 0, 0),
    [0x134] = ROW(SYSENTER, "sysenter", sysenter, E, F_ALL, F_ALL, 0), [0x135] = ROW(SYSEXIT, "sysexit", sysexit, E, F_ALL, F_ALL, 0),
    X16(0x140, ROW(CMOVCC, "cmovcc", cmovcc, M | P, JCC_READ, 0, 0)),
    X16(0x150, SIMD_ROW),
    X16(0x160, SIMD_ROW),
    [0x170] = SIMD_ROW_I8, [0x171] = SIMD_ROW_I8, [0x172] = SIMD_ROW_I8, [0x173] = SIMD_ROW_I8,
    [0x174] = SIMD_ROW, [0x175] = SIMD_ROW, [0x176] = SIMD_ROW,
    [0x177] = ROW(SIMD, "emms", simd, OPF_SIMD, 0, 0, 0),
    [0x17c] = SIMD_ROW, [0x17d] = SIMD_ROW, [0x17e] = SIMD_ROW, [0x17f] = SIMD_ROW,
    X16(0x180, ROWX(JCC, "jcc", jcc, OPF_RELZ | E | NB | P, JCC_READ, 0, 0, F64)),
    X16(0x190, ROW(SETCC, "setcc", setcc, M | B | P, JCC_READ, 0, 0)),
    [0x1a0] = ROWX(PUSH_SREG, "push fs", push_sreg, P, 0, 0, 0, D64), [0x1a1] = ROWX(POP_SREG, "pop fs", pop_sreg, 0, 0, 0, 0, D64),
    [0x1a2] = ROW(CPUID, "cpuid", cpuid, 0, 0, 0, 0), [0x1a3] = ROW(BT, "bt", bt_rm_r, M | P, F_OSAP, F_C | F_OSAP, F_OSAP),
    [0x1a4] = ROW(SHLD, "shld", shld_imm, M | I8 | PR, F_A6, F_A6, F_A6), [0x1a5] = ROW(SHLD, "shld", shld_cl, M | PR, F_A6, F_A6, F_A6),
    [0x1a8] = ROWX(PUSH_SREG, "push gs", push_sreg, P, 0, 0, 0, D64), [0x1a9] = ROWX(POP_SREG, "pop gs", pop_sreg, 0, 0, 0, 0, D64),
    [0x1ab] = ROW(BTS, "bts", bts_rm_r, M | L | PR, F_OSAP, F_C | F_OSAP, F_OSAP),
    [0x1ac] = ROW(SHRD, "shrd", shrd_imm, M | I8 | PR, F_A6, F_A6, F_A6), [0x1ad] = ROW(SHRD, "shrd", shrd_cl, M | PR, F_A6, F_A6, F_A6),
    [0x1ae] = ROW(SIMD, "grp15", simd, M | OPF_SIMD, 0, 0, 0),
    [0x1af] = ROW(IMUL2, "imul", imul_r_rm, M | P, 0, F_A6, F_SZAP),
    [0x1b0] = ROW(CMPXCHG, "cmpxchg", cmpxchg, M | B | L, 0, F_A6, 0), [0x1b1] = ROW(CMPXCHG, "cmpxchg", cmpxchg, M | L, 0, F_A6, 0),
    [0x1b2] = ROW(LOAD_FAR_PTR, "lss", lss, M | OPF_MEM | E, 0, 0, 0), [0x1b3] = ROW(BTR, "btr", btr_rm_r, M | L | PR, F_OSAP, F_C | F_OSAP, F_OSAP),
    [0x1b4] = ROW(LOAD_FAR_PTR, "lfs", lfs, M | OPF_MEM, 0, 0, 0), [0x1b5] = ROW(LOAD_FAR_PTR, "lgs", lgs, M | OPF_MEM, 0, 0, 0),
    [0x1b6] = ROW(MOVZX, "movzx", movzx, M | B | OPF_RM8 | P, 0, 0, 0), [0x1b7] = ROW(MOVZX, "movzx", movzx, M | P, 0, 0, 0),
    [0x1ba] = GRP("grp8", I8, grp8), [0x1bb] = ROW(BTC, "btc", btc_rm_r, M | L | PR, F_OSAP, F_C | F_OSAP, F_OSAP),
    [0x1bc] = ROW(BSF, "bsf", bsf, M | P, F_OSAPC, F_A6, F_OSAPC), [0x1bd] = ROW(BSR, "bsr", bsr, M | P, F_OSAPC, F_A6, F_OSAPC),
    [0x1be] = ROW(MOVSX, "movsx", movsx, M | B | OPF_RM8 | P, 0, 0, 0), [0x1bf] = ROW(MOVSX, "movsx", movsx, M | P, 0, 0, 0),
    [0x1c0] = ROW(XADD, "xadd", xadd, M | B | L, 0, F_A6, 0), [0x1c1] = ROW(XADD, "xadd", xadd, M | L, 0, F_A6, 0),
    [0x1c2] = SIMD_ROW_I8, [0x1c3] = SIMD_ROW, [0x1c4] = SIMD_ROW_I8, [0x1c5] = SIMD_ROW_I8,
    [0x1c6] = SIMD_ROW_I8, [0x1c7] = GRP("grp9", 0, grp9),
    X8(0x1c8, ROW(BSWAP, "bswap", bswap, OPF_OPREG | P, 0, 0, 0)),
    X16(0x1d0, SIMD_ROW), X16(0x1e0, SIMD_ROW),
    X8(0x1f0, SIMD_ROW), [0x1f8] = SIMD_ROW, [0x1f9] = SIMD_ROW, [0x1fa] = SIMD_ROW,
    [0x1fb] = SIMD_ROW, [0x1fc] = SIMD_ROW, [0x1fd] = SIMD_ROW, [0x1fe] = SIMD_ROW,
};
