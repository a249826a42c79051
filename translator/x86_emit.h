/*
 * x86_emit.h - an x86-64 instruction encoder for the JIT backend: the host
 * instructions translated blocks are made of, written into a byte buffer.
 *
 * Encodings follow the Intel SDM Vol. 2 (2.1 instruction format, 2.2.1 REX
 * prefixes, table 2-2/2-3 ModRM and SIB, and each instruction's opcode
 * table). Memory operands are [base + index*scale + disp32] with any host
 * register as base (RSP/R12 need a SIB byte, RBP/R13 a displacement) or
 * X86_NOREG for none. Operand sizes are in bytes: 1, 2, 4 or 8. Byte
 * registers 4-7 mean SPL/BPL/SIL/DIL (a REX prefix is emitted), never AH-BH.
 *
 * The buffer never overflows: an instruction that does not fit sets
 * `overflow` and is dropped, so a caller checks once at the end.
 * tests/unit/test_jit_emit.c checks every emitter against Capstone.
 */
#ifndef SOFTVM_TRANSLATOR_X86_EMIT_H
#define SOFTVM_TRANSLATOR_X86_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum x86_hreg {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
    X86_NOREG = -1,
};

/* ALU group 1 operations, in their /digit order (SDM Vol. 2D A-6). */
enum x86_alu { X86_ADD, X86_OR, X86_ADC, X86_SBB, X86_AND, X86_SUB, X86_XOR, X86_CMP };
/* Shift group 2 operations, /digit order. */
enum x86_shift { X86_ROL, X86_ROR, X86_RCL, X86_RCR, X86_SHL, X86_SHR, X86_SAL, X86_SAR };
/* Condition codes tttn (SDM Vol. 1 appendix B). */
enum x86_cc {
    X86_CC_O, X86_CC_NO, X86_CC_B, X86_CC_AE, X86_CC_E, X86_CC_NE, X86_CC_BE, X86_CC_A,
    X86_CC_S, X86_CC_NS, X86_CC_P, X86_CC_NP, X86_CC_L, X86_CC_GE, X86_CC_LE, X86_CC_G,
};

/* A memory operand. */
struct x86_mem {
    int8_t base, index;     /* enum x86_hreg or X86_NOREG; index may not be RSP */
    uint8_t scale;          /* 1, 2, 4, 8 */
    int32_t disp;
};
static inline struct x86_mem x86_mem_at(int base, int32_t disp)
{
    return (struct x86_mem){ (int8_t)base, X86_NOREG, 1, disp };
}
static inline struct x86_mem x86_mem_sib(int base, int index, int scale, int32_t disp)
{
    return (struct x86_mem){ (int8_t)base, (int8_t)index, (uint8_t)scale, disp };
}

/* buf is where the bytes are written; exec is the address buf[0] runs at
 * (the code cache maps its memory twice: writable and executable), which
 * rel32 fields are computed from. */
struct x86_emit {
    uint8_t *buf;
    uintptr_t exec;
    size_t cap, len;
    bool overflow;
};

static inline void x86_emit_init(struct x86_emit *e, uint8_t *buf, uintptr_t exec, size_t cap)
{
    e->buf = buf;
    e->exec = exec;
    e->cap = cap;
    e->len = 0;
    e->overflow = false;
}
/* The execution address of the next byte. */
static inline uintptr_t x86_here(const struct x86_emit *e) { return e->exec + e->len; }

/* --- moves ------------------------------------------------------------------ */
void x86_mov_rr(struct x86_emit *e, int size, int dst, int src);
/* dst = imm, the shortest encoding (xor for 0 is NOT used: flags stay). */
void x86_mov_ri(struct x86_emit *e, int size, int dst, uint64_t imm);
/* Loads: size 1 and 2 zero-extend into the 32-bit register (MOVZX); 4 and 8 MOV. */
void x86_load(struct x86_emit *e, int size, int dst, struct x86_mem m);
/* Sign-extending load of 1, 2 or 4 bytes into a dst_size (4 or 8) register. */
void x86_load_sx(struct x86_emit *e, int size, int dst_size, int dst, struct x86_mem m);
void x86_store(struct x86_emit *e, int size, struct x86_mem m, int src);
/* Store an immediate (sign-extended imm32 for size 8). */
void x86_store_imm(struct x86_emit *e, int size, struct x86_mem m, int32_t imm);
void x86_movzx_rr(struct x86_emit *e, int src_size, int dst, int src);   /* into 32 bits */
void x86_movsx_rr(struct x86_emit *e, int src_size, int dst_size, int dst, int src);
void x86_lea(struct x86_emit *e, int size, int dst, struct x86_mem m);

/* --- arithmetic ------------------------------------------------------------ */
void x86_alu_rr(struct x86_emit *e, enum x86_alu op, int size, int dst, int src);
void x86_alu_ri(struct x86_emit *e, enum x86_alu op, int size, int dst, int32_t imm);
void x86_alu_rm(struct x86_emit *e, enum x86_alu op, int size, int dst, struct x86_mem m);  /* reg op= [m] */
void x86_alu_mr(struct x86_emit *e, enum x86_alu op, int size, struct x86_mem m, int src);  /* [m] op= reg */
void x86_alu_mi(struct x86_emit *e, enum x86_alu op, int size, struct x86_mem m, int32_t imm);
void x86_test_rr(struct x86_emit *e, int size, int a, int b);
void x86_test_ri(struct x86_emit *e, int size, int a, int32_t imm);
void x86_test_mi(struct x86_emit *e, int size, struct x86_mem m, int32_t imm);
void x86_inc_r(struct x86_emit *e, int size, int r);
void x86_dec_r(struct x86_emit *e, int size, int r);
void x86_inc_m(struct x86_emit *e, int size, struct x86_mem m);
void x86_neg_r(struct x86_emit *e, int size, int r);
void x86_not_r(struct x86_emit *e, int size, int r);
void x86_shift_ri(struct x86_emit *e, enum x86_shift op, int size, int r, uint8_t count);
void x86_shift_rcl(struct x86_emit *e, enum x86_shift op, int size, int r);   /* by CL */
void x86_imul_rr(struct x86_emit *e, int size, int dst, int src);             /* size 2/4/8 */
void x86_setcc(struct x86_emit *e, enum x86_cc cc, int r8);
void x86_cmovcc(struct x86_emit *e, enum x86_cc cc, int size, int dst, int src);
void x86_bswap(struct x86_emit *e, int size, int r);                          /* 4 or 8 */
void x86_pushfq(struct x86_emit *e);
void x86_popfq(struct x86_emit *e);
void x86_lahf(struct x86_emit *e);
void x86_sahf(struct x86_emit *e);
void x86_xchg_rr(struct x86_emit *e, int size, int a, int b);

/* --- stack and control flow ------------------------------------------------- */
void x86_push(struct x86_emit *e, int r);
void x86_pop(struct x86_emit *e, int r);
void x86_ret(struct x86_emit *e);
void x86_call_r(struct x86_emit *e, int r);
void x86_jmp_r(struct x86_emit *e, int r);
void x86_jmp_m(struct x86_emit *e, struct x86_mem m);
/* Call an absolute address: rel32 when it is in reach, else through RAX. */
void x86_call_abs(struct x86_emit *e, const void *target);
/* Branches with a rel32 field; they return the field's offset in the buffer
 * (for x86_patch_rel32), or (size_t)-1 on overflow. target NULL = patch later. */
size_t x86_jmp_rel32(struct x86_emit *e, const void *target);
size_t x86_jcc_rel32(struct x86_emit *e, enum x86_cc cc, const void *target);
/* Short forms: return the offset of the rel8 field for x86_patch_rel8. */
size_t x86_jmp_rel8(struct x86_emit *e);
size_t x86_jcc_rel8(struct x86_emit *e, enum x86_cc cc);
/* Point the rel32 field at buffer offset `at` to target. */
void x86_patch_rel32(struct x86_emit *e, size_t at, const void *target);
/* Point the rel8 field at buffer offset `at` here; false if out of reach. */
bool x86_patch_rel8_here(struct x86_emit *e, size_t at);
/* A rel32 field written through `field` that executes at field_exec. */
void x86_write_rel32(uint8_t *field, uintptr_t field_exec, const void *target);
void x86_nop(struct x86_emit *e, int len);   /* 1..9-byte recommended NOPs */
void x86_int3(struct x86_emit *e);

#endif
