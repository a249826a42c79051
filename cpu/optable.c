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
#define F_ALL 0xffff

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

#define ROW(nm, f, frm, rd, wr) { nm, op_##f, (frm), (rd), (wr), NULL }
#define GRP(nm, frm, g)         { nm, NULL, (frm) | OPF_GROUP | OPF_MODRM, 0, 0, g }
#define PFX(nm)                 { nm, NULL, OPF_PREFIX, 0, 0, NULL }
#define BAD                     { NULL, NULL, OPF_INVALID, 0, 0, NULL }

const struct op_desc op_desc_ud = { "(bad)", op_ud, OPF_INVALID | OPF_END_BB, 0, 0, NULL };

/* Group 1 (80-83): ALU op by ModRM.reg. */
static const struct op_desc grp1[8] = {
    ROW("add", alu_rm_imm, L | PR, 0, F_A6), ROW("or", alu_rm_imm, L | PR, 0, F_A6),
    ROW("adc", alu_rm_imm, L | PR, F_C, F_A6), ROW("sbb", alu_rm_imm, L | PR, F_C, F_A6),
    ROW("and", alu_rm_imm, L | PR, 0, F_A6), ROW("sub", alu_rm_imm, L | PR, 0, F_A6),
    ROW("xor", alu_rm_imm, L | PR, 0, F_A6), ROW("cmp", alu_rm_imm, P, 0, F_A6),
};
/* Group 2 (C0, C1, D0-D3): shifts and rotates. /6 is an undocumented alias
 * of SHL (SAL) on Intel processors. */
#define SHIFT_GROUP(name, h, rd)                                                   \
    static const struct op_desc name[8] = {                                        \
        ROW("rol", h, PR, rd, F_C | EFLAGS_OF), ROW("ror", h, PR, rd, F_C | EFLAGS_OF), \
        ROW("rcl", h, PR, rd | F_C, F_C | EFLAGS_OF), ROW("rcr", h, PR, rd | F_C, F_C | EFLAGS_OF), \
        ROW("shl", h, PR, rd, F_A6), ROW("shr", h, PR, rd, F_A6),                     \
        ROW("sal", h, PR, rd, F_A6), ROW("sar", h, PR, rd, F_A6),                     \
    }
SHIFT_GROUP(grp2_imm, shift_rm_imm, 0);
SHIFT_GROUP(grp2_1, shift_rm_1, 0);
SHIFT_GROUP(grp2_cl, shift_rm_cl, 0);
/* Group 3 (F6, F7). /1 is an undocumented alias of TEST. */
static const struct op_desc grp3_b[8] = {
    ROW("test", test_rm_imm, I8 | P, 0, F_A6), ROW("test", test_rm_imm, I8 | P, 0, F_A6),
    ROW("not", not_rm, L | P, 0, 0), ROW("neg", neg_rm, L | PR, 0, F_A6),
    ROW("mul", mul_rm, P, 0, F_A6), ROW("imul", imul_rm, P, 0, F_A6),
    ROW("div", div_rm, P, 0, F_A6), ROW("idiv", idiv_rm, P, 0, F_A6),
};
static const struct op_desc grp3_v[8] = {
    ROW("test", test_rm_imm, IZ | P, 0, F_A6), ROW("test", test_rm_imm, IZ | P, 0, F_A6),
    ROW("not", not_rm, L | P, 0, 0), ROW("neg", neg_rm, L | PR, 0, F_A6),
    ROW("mul", mul_rm, P, 0, F_A6), ROW("imul", imul_rm, P, 0, F_A6),
    ROW("div", div_rm, P, 0, F_A6), ROW("idiv", idiv_rm, P, 0, F_A6),
};
/* Group 4 (FE) and 5 (FF). */
static const struct op_desc grp4[8] = {
    ROW("inc", inc_rm, L | PR, 0, F_NC), ROW("dec", dec_rm, L | PR, 0, F_NC),
    BAD, BAD, BAD, BAD, BAD, BAD,
};
static const struct op_desc grp5[8] = {
    ROW("inc", inc_rm, L | PR, 0, F_NC), ROW("dec", dec_rm, L | PR, 0, F_NC),
    ROW("call", call_rm, E | NB, 0, 0), ROW("callf", callf_rm, OPF_MEM | E, 0, F_ALL),
    ROW("jmp", jmp_rm, E | NB, 0, 0), ROW("jmpf", jmpf_rm, OPF_MEM | E, 0, F_ALL),
    ROW("push", push_rm, P, 0, 0), BAD,
};
/* Group 1A (8F) and 11 (C6, C7). */
static const struct op_desc grp1a[8] = { ROW("pop", pop_rm, 0, 0, 0), BAD, BAD, BAD, BAD, BAD, BAD, BAD };
static const struct op_desc grp11_b[8] = { ROW("mov", mov_rm_imm, I8 | P, 0, 0), BAD, BAD, BAD, BAD, BAD, BAD, BAD };
static const struct op_desc grp11_v[8] = { ROW("mov", mov_rm_imm, IZ | P, 0, 0), BAD, BAD, BAD, BAD, BAD, BAD, BAD };
/* Group 6 (0F 00) and 7 (0F 01): descriptor tables, protected mode only
 * where the SDM says #UD in real/v86 mode. */
static const struct op_desc grp6[8] = {
    ROW("sldt", sldt, OPF_PM, 0, 0), ROW("str", str, OPF_PM, 0, 0),
    ROW("lldt", lldt, OPF_PM | E, 0, 0), ROW("ltr", ltr, OPF_PM | E, 0, 0),
    ROW("verr", verr, OPF_PM, 0, F_Z), ROW("verw", verw, OPF_PM, 0, F_Z),
    BAD, BAD,
};
static const struct op_desc grp7[16] = {
    ROW("sgdt", sgdt, 0, 0, 0), ROW("sidt", sidt, 0, 0, 0),
    ROW("lgdt", lgdt, E, 0, 0), ROW("lidt", lidt, E, 0, 0),
    ROW("smsw", smsw, 0, 0, 0), BAD, ROW("lmsw", lmsw, E, 0, 0), ROW("invlpg", invlpg, E, 0, 0),
    /* mod = 3: MONITOR/MWAIT/VMX/SWAPGS/RDTSCP are not i686 */
    BAD, BAD, BAD, BAD,
    ROW("smsw", smsw, 0, 0, 0), BAD, ROW("lmsw", lmsw, E, 0, 0), BAD,
};
/* Group 8 (0F BA): BT* with imm8. */
static const struct op_desc grp8[8] = {
    BAD, BAD, BAD, BAD,
    ROW("bt", bt_grp_imm, P, 0, F_A6), ROW("bts", bt_grp_imm, L | PR, 0, F_A6),
    ROW("btr", bt_grp_imm, L | PR, 0, F_A6), ROW("btc", bt_grp_imm, L | PR, 0, F_A6),
};
/* Group 9 (0F C7): CMPXCHG8B m64. */
static const struct op_desc grp9[8] = {
    BAD, ROW("cmpxchg8b", cmpxchg8b, OPF_MEM | L, 0, F_Z), BAD, BAD, BAD, BAD, BAD, BAD,
};

/* lk: LOCK allowed and the memory form writes (flags are set before the
 * write, so it needs the checkpoint); CMP only reads. */
#define ALU_ROWS(base, nm, rdf, lk)                                   \
    [base + 0] = ROW(nm, alu_rm_r, M | B | lk, rdf, F_A6),            \
    [base + 1] = ROW(nm, alu_rm_r, M | lk, rdf, F_A6),                \
    [base + 2] = ROW(nm, alu_r_rm, M | B | P, rdf, F_A6),             \
    [base + 3] = ROW(nm, alu_r_rm, M | P, rdf, F_A6),                 \
    [base + 4] = ROW(nm, alu_acc_imm, B | IZ | P, rdf, F_A6),         \
    [base + 5] = ROW(nm, alu_acc_imm, IZ | P, rdf, F_A6)

/* The same row for 8 or 16 consecutive opcodes (a row has commas, hence ...). */
#define X8(base, ...) [base] = __VA_ARGS__, [base + 1] = __VA_ARGS__, [base + 2] = __VA_ARGS__, \
    [base + 3] = __VA_ARGS__, [base + 4] = __VA_ARGS__, [base + 5] = __VA_ARGS__,             \
    [base + 6] = __VA_ARGS__, [base + 7] = __VA_ARGS__
#define X16(base, ...) X8(base, __VA_ARGS__), X8(base + 8, __VA_ARGS__)

#define JCC_READ (EFLAGS_ARITH & ~EFLAGS_AF)
#define FPU_ROW ROW("fpu", fpu, M | OPF_FPU, 0, 0)
#define SIMD_ROW ROW("simd", simd, M | OPF_SIMD, 0, 0)
#define SIMD_ROW_I8 ROW("simd", simd, M | I8 | OPF_SIMD, 0, 0)

const struct op_desc op_table[512] = {
    ALU_ROWS(0x00, "add", 0, L | PR),
    ALU_ROWS(0x08, "or", 0, L | PR),
    ALU_ROWS(0x10, "adc", F_C, L | PR),
    ALU_ROWS(0x18, "sbb", F_C, L | PR),
    ALU_ROWS(0x20, "and", 0, L | PR),
    ALU_ROWS(0x28, "sub", 0, L | PR),
    ALU_ROWS(0x30, "xor", 0, L | PR),
    ALU_ROWS(0x38, "cmp", 0, P),
    [0x06] = ROW("push es", push_sreg, P, 0, 0), [0x07] = ROW("pop es", pop_sreg, E, 0, 0),
    [0x0e] = ROW("push cs", push_sreg, P, 0, 0),
    [0x16] = ROW("push ss", push_sreg, P, 0, 0), [0x17] = ROW("pop ss", pop_sreg, E, 0, 0),
    [0x1e] = ROW("push ds", push_sreg, P, 0, 0), [0x1f] = ROW("pop ds", pop_sreg, E, 0, 0),
    [0x26] = PFX("es"), [0x2e] = PFX("cs"), [0x36] = PFX("ss"), [0x3e] = PFX("ds"),
    [0x27] = ROW("daa", daa, P, F_C | EFLAGS_AF, F_A6), [0x2f] = ROW("das", das, P, F_C | EFLAGS_AF, F_A6),
    [0x37] = ROW("aaa", aaa, P, EFLAGS_AF, F_A6), [0x3f] = ROW("aas", aas, P, EFLAGS_AF, F_A6),
    X8(0x40, ROW("inc", inc_r, P, 0, F_NC)),
    X8(0x48, ROW("dec", dec_r, P, 0, F_NC)),
    X8(0x50, ROW("push", push_r, P, 0, 0)),
    X8(0x58, ROW("pop", pop_r, P, 0, 0)),
    [0x60] = ROW("pusha", pusha, 0, 0, 0), [0x61] = ROW("popa", popa, 0, 0, 0),
    [0x62] = ROW("bound", bound, M | OPF_MEM | P, 0, 0), [0x63] = ROW("arpl", arpl, M | OPF_PM, 0, F_Z),
    [0x64] = PFX("fs"), [0x65] = PFX("gs"), [0x66] = PFX("data16"), [0x67] = PFX("addr16"),
    [0x68] = ROW("push", push_imm, IZ | P, 0, 0), [0x69] = ROW("imul", imul_r_rm_imm, M | IZ | P, 0, F_A6),
    [0x6a] = ROW("push", push_imm, I8S | P, 0, 0), [0x6b] = ROW("imul", imul_r_rm_imm, M | I8S | P, 0, F_A6),
    [0x6c] = ROW("insb", ins, B | S | P, F_D, 0), [0x6d] = ROW("ins", ins, S | P, F_D, 0),
    [0x6e] = ROW("outsb", outs, B | S | P, F_D, 0), [0x6f] = ROW("outs", outs, S | P, F_D, 0),
    X16(0x70, ROW("jcc", jcc, OPF_REL8 | E | NB | P, JCC_READ, 0)),
    [0x80] = GRP("grp1", B | I8, grp1), [0x81] = GRP("grp1", IZ, grp1),
    [0x82] = GRP("grp1", B | I8, grp1), [0x83] = GRP("grp1", I8S, grp1),
    [0x84] = ROW("test", test_rm_r, M | B | P, 0, F_A6), [0x85] = ROW("test", test_rm_r, M | P, 0, F_A6),
    [0x86] = ROW("xchg", xchg_rm_r, M | B | L | P, 0, 0), [0x87] = ROW("xchg", xchg_rm_r, M | L | P, 0, 0),
    [0x88] = ROW("mov", mov_rm_r, M | B | P, 0, 0), [0x89] = ROW("mov", mov_rm_r, M | P, 0, 0),
    [0x8a] = ROW("mov", mov_r_rm, M | B | P, 0, 0), [0x8b] = ROW("mov", mov_r_rm, M | P, 0, 0),
    [0x8c] = ROW("mov", mov_rm_sreg, M | P, 0, 0), [0x8d] = ROW("lea", lea, M | OPF_MEM | P, 0, 0),
    [0x8e] = ROW("mov", mov_sreg_rm, M | E, 0, 0), [0x8f] = GRP("grp1a", 0, grp1a),
    [0x90] = ROW("nop", nop, P, 0, 0),
    [0x91] = ROW("xchg", xchg_acc_r, P, 0, 0), [0x92] = ROW("xchg", xchg_acc_r, P, 0, 0),
    [0x93] = ROW("xchg", xchg_acc_r, P, 0, 0), [0x94] = ROW("xchg", xchg_acc_r, P, 0, 0),
    [0x95] = ROW("xchg", xchg_acc_r, P, 0, 0), [0x96] = ROW("xchg", xchg_acc_r, P, 0, 0),
    [0x97] = ROW("xchg", xchg_acc_r, P, 0, 0),
    [0x98] = ROW("cbw", cbw, P, 0, 0), [0x99] = ROW("cwd", cwd, P, 0, 0),
    [0x9a] = ROW("callf", callf_ptr, OPF_FARPTR | E, 0, F_ALL), [0x9b] = ROW("fwait", fwait, OPF_FPU, 0, 0),
    [0x9c] = ROW("pushf", pushf, P, F_ALL, 0), [0x9d] = ROW("popf", popf, E, 0, F_ALL),
    [0x9e] = ROW("sahf", sahf, P, 0, F_A6 & ~EFLAGS_OF), [0x9f] = ROW("lahf", lahf, P, F_A6 & ~EFLAGS_OF, 0),
    [0xa0] = ROW("mov", mov_acc_moffs, B | OPF_MOFFS | P, 0, 0), [0xa1] = ROW("mov", mov_acc_moffs, OPF_MOFFS | P, 0, 0),
    [0xa2] = ROW("mov", mov_moffs_acc, B | OPF_MOFFS | P, 0, 0), [0xa3] = ROW("mov", mov_moffs_acc, OPF_MOFFS | P, 0, 0),
    [0xa4] = ROW("movsb", movs, B | S | P, F_D, 0), [0xa5] = ROW("movs", movs, S | P, F_D, 0),
    [0xa6] = ROW("cmpsb", cmps, B | S, F_D, F_A6), [0xa7] = ROW("cmps", cmps, S, F_D, F_A6),
    [0xa8] = ROW("test", test_acc_imm, B | IZ | P, 0, F_A6), [0xa9] = ROW("test", test_acc_imm, IZ | P, 0, F_A6),
    [0xaa] = ROW("stosb", stos, B | S | P, F_D, 0), [0xab] = ROW("stos", stos, S | P, F_D, 0),
    [0xac] = ROW("lodsb", lods, B | S | P, F_D, 0), [0xad] = ROW("lods", lods, S | P, F_D, 0),
    [0xae] = ROW("scasb", scas, B | S, F_D, F_A6), [0xaf] = ROW("scas", scas, S, F_D, F_A6),
    X8(0xb0, ROW("mov", mov_r_imm, B | IZ | P, 0, 0)),
    X8(0xb8, ROW("mov", mov_r_imm, IZ | P, 0, 0)),
    [0xc0] = GRP("grp2", B | I8, grp2_imm), [0xc1] = GRP("grp2", I8, grp2_imm),
    [0xc2] = ROW("ret", ret_imm, OPF_IMM16 | E | NB, 0, 0), [0xc3] = ROW("ret", ret, E | NB, 0, 0),
    [0xc4] = ROW("les", les, M | OPF_MEM | E, 0, 0), [0xc5] = ROW("lds", lds, M | OPF_MEM | E, 0, 0),
    [0xc6] = GRP("grp11", B, grp11_b), [0xc7] = GRP("grp11", 0, grp11_v),
    [0xc8] = ROW("enter", enter, OPF_ENTER, 0, 0), [0xc9] = ROW("leave", leave, 0, 0, 0),
    [0xca] = ROW("retf", retf_imm, OPF_IMM16 | E, 0, F_ALL), [0xcb] = ROW("retf", retf, E, 0, F_ALL),
    [0xcc] = ROW("int3", int3, E, 0, F_ALL), [0xcd] = ROW("int", int_imm, I8 | E, 0, F_ALL),
    [0xce] = ROW("into", into, E, EFLAGS_OF, F_ALL), [0xcf] = ROW("iret", iret, E, 0, F_ALL),
    [0xd0] = GRP("grp2", B, grp2_1), [0xd1] = GRP("grp2", 0, grp2_1),
    [0xd2] = GRP("grp2", B, grp2_cl), [0xd3] = GRP("grp2", 0, grp2_cl),
    [0xd4] = ROW("aam", aam, I8, 0, F_A6), [0xd5] = ROW("aad", aad, I8, 0, F_A6),
    [0xd6] = ROW("salc", salc, P, F_C, 0), [0xd7] = ROW("xlat", xlat, P, 0, 0),
    X8(0xd8, FPU_ROW),
    [0xe0] = ROW("loopne", loopne, OPF_REL8 | E | NB | P, F_Z, 0), [0xe1] = ROW("loope", loope, OPF_REL8 | E | NB | P, F_Z, 0),
    [0xe2] = ROW("loop", loop, OPF_REL8 | E | NB | P, 0, 0), [0xe3] = ROW("jcxz", jcxz, OPF_REL8 | E | NB | P, 0, 0),
    [0xe4] = ROW("in", in_imm, B | I8 | P, 0, 0), [0xe5] = ROW("in", in_imm, I8 | P, 0, 0),
    [0xe6] = ROW("out", out_imm, B | I8 | P, 0, 0), [0xe7] = ROW("out", out_imm, I8 | P, 0, 0),
    [0xe8] = ROW("call", call_rel, OPF_RELZ | E | NB, 0, 0), [0xe9] = ROW("jmp", jmp_rel, OPF_RELZ | E | NB | P, 0, 0),
    [0xea] = ROW("jmpf", jmpf_ptr, OPF_FARPTR | E, 0, F_ALL), [0xeb] = ROW("jmp", jmp_rel, OPF_REL8 | E | NB | P, 0, 0),
    [0xec] = ROW("in", in_dx, B | P, 0, 0), [0xed] = ROW("in", in_dx, P, 0, 0),
    [0xee] = ROW("out", out_dx, B | P, 0, 0), [0xef] = ROW("out", out_dx, P, 0, 0),
    [0xf0] = PFX("lock"), [0xf1] = ROW("int1", int1, E, 0, F_ALL),
    [0xf2] = PFX("repne"), [0xf3] = PFX("rep"),
    [0xf4] = ROW("hlt", hlt, E, 0, 0), [0xf5] = ROW("cmc", cmc, P, F_C, F_C),
    [0xf6] = GRP("grp3", B, grp3_b), [0xf7] = GRP("grp3", 0, grp3_v),
    [0xf8] = ROW("clc", clc, P, 0, F_C), [0xf9] = ROW("stc", stc, P, 0, F_C),
    [0xfa] = ROW("cli", cli, P, 0, F_I), [0xfb] = ROW("sti", sti, E, 0, F_I),
    [0xfc] = ROW("cld", cld, P, 0, F_D), [0xfd] = ROW("std", std, P, 0, F_D),
    [0xfe] = GRP("grp4", B, grp4), [0xff] = GRP("grp5", 0, grp5),

    /* --- two-byte map, 0F xx -------------------------------------------- */
    [0x100] = GRP("grp6", 0, grp6),
    [0x101] = { "grp7", NULL, M | OPF_GROUP | OPF_GROUP_MOD, 0, 0, grp7 },
    [0x102] = ROW("lar", lar, M | OPF_PM, 0, F_Z), [0x103] = ROW("lsl", lsl, M | OPF_PM, 0, F_Z),
    [0x106] = ROW("clts", clts, E, 0, 0),
    [0x108] = ROW("invd", invd, 0, 0, 0), [0x109] = ROW("wbinvd", wbinvd, 0, 0, 0),
    [0x10b] = ROW("ud2", ud, E, 0, 0),
    [0x10d] = SIMD_ROW,                                    /* prefetch hints */
    [0x110] = SIMD_ROW, [0x111] = SIMD_ROW, [0x112] = SIMD_ROW, [0x113] = SIMD_ROW,
    [0x114] = SIMD_ROW, [0x115] = SIMD_ROW, [0x116] = SIMD_ROW, [0x117] = SIMD_ROW,
    [0x118] = SIMD_ROW,                                    /* prefetchnta/t0/t1/t2 */
    [0x119] = ROW("nop", nop_rm, M | P, 0, 0), [0x11a] = ROW("nop", nop_rm, M | P, 0, 0),
    [0x11b] = ROW("nop", nop_rm, M | P, 0, 0), [0x11c] = ROW("nop", nop_rm, M | P, 0, 0),
    [0x11d] = ROW("nop", nop_rm, M | P, 0, 0), [0x11e] = ROW("nop", nop_rm, M | P, 0, 0),
    [0x11f] = ROW("nop", nop_rm, M | P, 0, 0),
    [0x120] = ROW("mov", mov_r_cr, M | OPF_MODRM_ANY, 0, 0),
    [0x121] = ROW("mov", mov_r_dr, M | OPF_MODRM_ANY, 0, 0),
    [0x122] = ROW("mov", mov_cr_r, M | OPF_MODRM_ANY | E, 0, 0),
    [0x123] = ROW("mov", mov_dr_r, M | OPF_MODRM_ANY | E, 0, 0),
    [0x128] = SIMD_ROW, [0x129] = SIMD_ROW, [0x12a] = SIMD_ROW, [0x12b] = SIMD_ROW,
    [0x12c] = SIMD_ROW, [0x12d] = SIMD_ROW, [0x12e] = SIMD_ROW, [0x12f] = SIMD_ROW,
    [0x130] = ROW("wrmsr", wrmsr, E, 0, 0), [0x131] = ROW("rdtsc", rdtsc, 0, 0, 0),
    [0x132] = ROW("rdmsr", rdmsr, 0, 0, 0), [0x133] = ROW("rdpmc", rdpmc, 0, 0, 0),
    [0x134] = ROW("sysenter", sysenter, E, 0, F_ALL), [0x135] = ROW("sysexit", sysexit, E, 0, F_ALL),
    X16(0x140, ROW("cmovcc", cmovcc, M | P, JCC_READ, 0)),
    X16(0x150, SIMD_ROW),
    X16(0x160, SIMD_ROW),
    [0x170] = SIMD_ROW_I8, [0x171] = SIMD_ROW_I8, [0x172] = SIMD_ROW_I8, [0x173] = SIMD_ROW_I8,
    [0x174] = SIMD_ROW, [0x175] = SIMD_ROW, [0x176] = SIMD_ROW,
    [0x177] = ROW("emms", simd, OPF_SIMD, 0, 0),
    [0x17c] = SIMD_ROW, [0x17d] = SIMD_ROW, [0x17e] = SIMD_ROW, [0x17f] = SIMD_ROW,
    X16(0x180, ROW("jcc", jcc, OPF_RELZ | E | NB | P, JCC_READ, 0)),
    X16(0x190, ROW("setcc", setcc, M | B | P, JCC_READ, 0)),
    [0x1a0] = ROW("push fs", push_sreg, P, 0, 0), [0x1a1] = ROW("pop fs", pop_sreg, 0, 0, 0),
    [0x1a2] = ROW("cpuid", cpuid, 0, 0, 0), [0x1a3] = ROW("bt", bt_rm_r, M | P, 0, F_A6),
    [0x1a4] = ROW("shld", shld_imm, M | I8 | PR, 0, F_A6), [0x1a5] = ROW("shld", shld_cl, M | PR, 0, F_A6),
    [0x1a8] = ROW("push gs", push_sreg, P, 0, 0), [0x1a9] = ROW("pop gs", pop_sreg, 0, 0, 0),
    [0x1ab] = ROW("bts", bts_rm_r, M | L | PR, 0, F_A6),
    [0x1ac] = ROW("shrd", shrd_imm, M | I8 | PR, 0, F_A6), [0x1ad] = ROW("shrd", shrd_cl, M | PR, 0, F_A6),
    [0x1ae] = ROW("grp15", simd, M | OPF_SIMD, 0, 0),
    [0x1af] = ROW("imul", imul_r_rm, M | P, 0, F_A6),
    [0x1b0] = ROW("cmpxchg", cmpxchg, M | B | L, 0, F_A6), [0x1b1] = ROW("cmpxchg", cmpxchg, M | L, 0, F_A6),
    [0x1b2] = ROW("lss", lss, M | OPF_MEM | E, 0, 0), [0x1b3] = ROW("btr", btr_rm_r, M | L | PR, 0, F_A6),
    [0x1b4] = ROW("lfs", lfs, M | OPF_MEM, 0, 0), [0x1b5] = ROW("lgs", lgs, M | OPF_MEM, 0, 0),
    [0x1b6] = ROW("movzx", movzx, M | B | P, 0, 0), [0x1b7] = ROW("movzx", movzx, M | P, 0, 0),
    [0x1ba] = GRP("grp8", I8, grp8), [0x1bb] = ROW("btc", btc_rm_r, M | L | PR, 0, F_A6),
    [0x1bc] = ROW("bsf", bsf, M | P, 0, F_A6), [0x1bd] = ROW("bsr", bsr, M | P, 0, F_A6),
    [0x1be] = ROW("movsx", movsx, M | B | P, 0, 0), [0x1bf] = ROW("movsx", movsx, M | P, 0, 0),
    [0x1c0] = ROW("xadd", xadd, M | B | L, 0, F_A6), [0x1c1] = ROW("xadd", xadd, M | L, 0, F_A6),
    [0x1c2] = SIMD_ROW_I8, [0x1c3] = SIMD_ROW, [0x1c4] = SIMD_ROW_I8, [0x1c5] = SIMD_ROW_I8,
    [0x1c6] = SIMD_ROW_I8, [0x1c7] = GRP("grp9", 0, grp9),
    X8(0x1c8, ROW("bswap", bswap, P, 0, 0)),
    X16(0x1d0, SIMD_ROW), X16(0x1e0, SIMD_ROW),
    X8(0x1f0, SIMD_ROW), [0x1f8] = SIMD_ROW, [0x1f9] = SIMD_ROW, [0x1fa] = SIMD_ROW,
    [0x1fb] = SIMD_ROW, [0x1fc] = SIMD_ROW, [0x1fd] = SIMD_ROW, [0x1fe] = SIMD_ROW,
};
