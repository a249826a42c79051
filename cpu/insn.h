/*
 * insn.h - one decoded x86 instruction: what the decoder produces from the
 * opcode table and what the interpreter, the JIT, the tracer and the tests
 * consume. Owned by the decoder (cpu/decode.c); the fields below are the
 * contract other files rely on.
 */
#ifndef SOFTVM_CPU_INSN_H
#define SOFTVM_CPU_INSN_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct op_desc;     /* a row of the opcode table (cpu/optable.h) */

/* Prefix bits seen (SDM Vol. 2A 2.1.1). */
#define PFX_LOCK  0x01
#define PFX_REPNE 0x02   /* F2 */
#define PFX_REP   0x04   /* F3 */
#define PFX_OPSZ  0x08   /* 66 */
#define PFX_ADSZ  0x10   /* 67 */
#define PFX_SEG   0x20   /* a segment override was given (see seg) */
#define PFX_REX   0x40   /* a REX prefix (64-bit mode; its bits are in rex) */

#define INSN_BASE_RIP (-2)
/* REX bits (SDM Vol. 2A 2.2.1): W 64-bit operand, R ModRM.reg, X SIB.index, B r/m. */
#define REX_W 8
#define REX_R 4
#define REX_X 2
#define REX_B 1

struct insn {
    uint64_t rip;           /* offset in CS of the first byte */
    uint8_t len;            /* total length, prefixes included */
    uint16_t opcode;        /* 0x00-0xff one-byte map, 0x1xx = 0F xx two-byte map */
    uint8_t prefixes;       /* PFX_* */
    uint8_t opsize;         /* operand size in bytes: 2, 4 or 8 (1 for byte forms is in the table) */
    uint8_t addrsize;       /* address size in bytes: 2, 4 or 8 */
    uint8_t rex;            /* REX_* bits of a REX prefix, 0 without one */
    uint8_t seg;            /* segment of the memory operand: default or override (SEG_*) */
    uint8_t size;           /* operand size of this form: 1 for byte forms, else opsize */
    uint8_t rep;            /* 0, PFX_REP or PFX_REPNE: the last of F2/F3 given */

    bool has_modrm;
    uint8_t modrm, mod, reg, rm;

    /* Memory operand (mod != 3): offset = base + (index << scale) + disp,
     * truncated to addrsize. base/index are register numbers (0-15) or -1;
     * base INSN_BASE_RIP is RIP-relative (64-bit mode, the next RIP). */
    int8_t base, index;
    uint8_t scale;
    int64_t disp;           /* sign-extended; 64 bits for long mode's moffs64 */

    uint64_t imm;           /* first immediate (sign-extended to 32 bits where the table
                               says; 64 bits wide for long mode's MOV r64, imm64) */
    uint32_t imm2;          /* second immediate: ENTER level, far-pointer selector */

    const struct op_desc *desc;

    /* Precise-state metadata: the instruction may change ESP, EFLAGS or the
     * lazy flags before its last possible fault, so the engine must save
     * them before it runs (OPF_PRECISE / OPF_PRECISE_REG clear it). */
    bool ckpt;
};

/* Effective offset of the memory operand (before segmentation), truncated
 * to the address size (16 or 32 bits). */
uint64_t insn_ea(struct cpu *cpu, const struct insn *in);

/* Segmented data accesses: limit/type checks (#GP/#SS), then the softMMU. */
uint8_t  cpu_read8(struct cpu *cpu, int seg, uint64_t off);
uint16_t cpu_read16(struct cpu *cpu, int seg, uint64_t off);
uint32_t cpu_read32(struct cpu *cpu, int seg, uint64_t off);
uint64_t cpu_read64(struct cpu *cpu, int seg, uint64_t off);
void cpu_write8(struct cpu *cpu, int seg, uint64_t off, uint8_t v);
void cpu_write16(struct cpu *cpu, int seg, uint64_t off, uint16_t v);
void cpu_write32(struct cpu *cpu, int seg, uint64_t off, uint32_t v);
void cpu_write64(struct cpu *cpu, int seg, uint64_t off, uint64_t v);
/* Raise the fault a write of len bytes at seg:off would raise, without writing. */
void cpu_probe_write(struct cpu *cpu, int seg, uint64_t off, uint32_t len);

/* Entry points the opcode table names for the instruction families that
 * live in their own files (cpu/fpu*.c): they dispatch on in->opcode,
 * in->reg/modrm and the 66/F2/F3 prefixes themselves. */
void x87_execute(struct cpu *cpu, const struct insn *in);     /* D8-DF, 9B FWAIT */
void simd_execute(struct cpu *cpu, const struct insn *in);    /* MMX/SSE/SSE2 in 0F xx, 0F AE */

#endif
