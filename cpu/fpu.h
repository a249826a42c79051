/*
 * fpu.h - the x87 FPU (SDM Vol. 1 ch. 8; instruction pages in Vol. 2) and
 * the pieces of it the MMX/SSE code (cpu/simd.c) shares: the device-not-
 * available rules, pending-exception checks, FXSAVE/FXRSTOR, reset.
 *
 * Entry point for instructions: x87_execute() in cpu/insn.h.
 *
 * FERR#/IRQ13: see struct fpu_state (cpu/fpu_state.h). With CR0.NE = 1 a
 * pending unmasked exception raises #MF at the next waiting instruction;
 * with CR0.NE = 0 it asserts FERR# instead (fpu_state.ferr, ferr_hook) and
 * the machine should raise IRQ13; a write to port 0xF0 (IGNNE#) should call
 * fpu_clear_ferr(). FNINIT/FNCLEX also drop FERR#.
 */
#ifndef SOFTVM_CPU_FPU_H
#define SOFTVM_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/cpu.h"

/* FSW bits (SDM Vol. 1 8.1.3). */
#define FSW_IE  0x0001u
#define FSW_DE  0x0002u
#define FSW_ZE  0x0004u
#define FSW_OE  0x0008u
#define FSW_UE  0x0010u
#define FSW_PE  0x0020u
#define FSW_SF  0x0040u
#define FSW_ES  0x0080u
#define FSW_C0  0x0100u
#define FSW_C1  0x0200u
#define FSW_C2  0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3  0x4000u
#define FSW_B   0x8000u
#define FSW_EXC 0x003fu          /* the six exception flags */
#define FSW_CC  (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* FCW (SDM Vol. 1 8.1.5): masks in bits 0-5 match the FSW flags. */
#define FCW_PC_SHIFT 8
#define FCW_RC_SHIFT 10
#define FCW_WRITABLE 0x1f3fu     /* FLDCW keeps these; bit 6 always reads 1 */

#define MXCSR_RESET 0x1f80u
#define MXCSR_MASK  0xffffu      /* all of bits 0-15 supported (incl. DAZ) */

/* Power-on state (SDM Vol. 3A table 9-1): FCW 0x40, FTW 0x5555, MXCSR 0x1F80. */
void fpu_reset(struct fpu_state *f);
/* FNINIT: FCW 0x37F, FSW 0, all registers empty, pointers cleared. */
void fpu_finit(struct cpu *cpu);
/* IGNNE# (port 0xF0 write): drop FERR#. */
void fpu_clear_ferr(struct cpu *cpu);

/* Checks at the start of an instruction (SDM Vol. 3A 2.5, table 2-2):
 * x87: CR0.EM or CR0.TS -> #NM. */
void fpu_check_nm(struct cpu *cpu);
/* A waiting instruction found FSW.ES set: #MF with CR0.NE, else FERR#. */
void fpu_check_pending(struct cpu *cpu);

/* 512-byte FXSAVE image (SDM Vol. 2A FXSAVE, tables 10-2 and 10-3) at
 * seg:off; both check the 16-byte alignment (#GP(0)), FXRSTOR the MXCSR
 * reserved bits (#GP(0)). All memory is read/written before state changes.
 * In 64-bit mode the image holds XMM0-15 (bytes 160-415), else XMM0-7;
 * rex_w (FXSAVE64/FXRSTOR64, 64-bit mode) selects the 64-bit FPU IP/DP
 * fields at bytes 8 and 16 instead of offset32 + selector. */
void fpu_fxsave(struct cpu *cpu, int seg, uint64_t off, bool rex_w);
void fpu_fxrstor(struct cpu *cpu, int seg, uint64_t off, bool rex_w);

/* Byte-wise guest memory access through cpu_read32/cpu_write32 (seg:off). */
void fpu_mem_read(struct cpu *cpu, int seg, uint64_t off, uint8_t *buf, unsigned n);
uint64_t fpu_linear(const struct cpu *cpu, int seg, uint64_t off);
void fpu_mem_write(struct cpu *cpu, int seg, uint64_t off, const uint8_t *buf, unsigned n);

/* Full tag word computed from the register contents (00 valid, 01 zero,
 * 10 special, 11 empty), as FSTENV/FSAVE store it. */
uint16_t fpu_full_tag_word(const struct fpu_state *f);

static inline int fpu_top(const struct fpu_state *f) { return (f->fsw >> 11) & 7; }

/* MMX view (SDM Vol. 1 9.5): MMn is the significand of physical Rn. Any MMX
 * instruction but EMMS sets TOP = 0 and marks every register valid; a write
 * also sets the exponent+sign field to all ones. */
static inline void fpu_mmx_enter(struct fpu_state *f)
{
    f->fsw &= ~FSW_TOP;
    f->ftw = 0;
}
static inline uint64_t fpu_mmx_get(const struct fpu_state *f, int n)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | f->st[n & 7][i];
    return v;
}
static inline void fpu_mmx_set(struct fpu_state *f, int n, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        f->st[n & 7][i] = (uint8_t)(v >> (8 * i));
    f->st[n & 7][8] = 0xff;
    f->st[n & 7][9] = 0xff;
}

#endif
