/*
 * fpu_state.h - x87 FPU, MMX and SSE register state (SDM Vol. 1 ch. 8, 9,
 * 10, 11). Owned by the FPU code in cpu/fpu*.c and cpu/simd*.c.
 *
 * Layout conventions (readers such as a gdbstub may rely on them):
 *  - st[] is in PHYSICAL order R0..R7; ST(i) is st[(TOP + i) & 7], TOP being
 *    fsw bits 13:11. Each register is the 10-byte memory image (64-bit
 *    significand little-endian, then the 16-bit sign+exponent).
 *  - ftw is the full 16-bit tag word, two bits per physical register
 *    (00 valid, 01 zero, 10 special, 11 empty), kept accurate at all times.
 *  - MMX register MMn is the significand of physical register Rn.
 *  - fip/fcs/fop and fdp/fds: last non-control x87 instruction and its
 *    memory operand (offset + selector), as FSTENV/FXSAVE store them.
 */
#ifndef SOFTVM_CPU_FPU_STATE_H
#define SOFTVM_CPU_FPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct fpu_state {
    uint16_t fcw, fsw, ftw;
    uint8_t st[8][10];          /* 80-bit registers, physical order */
    uint32_t mxcsr;
    uint8_t xmm[16][16];        /* XMM8-15 exist in 64-bit mode only (REX) */

    /* Last instruction/operand pointers (SDM Vol. 1 8.1.8-8.1.10): offsets,
     * 64 bits wide in 64-bit mode (FXSAVE64 stores them whole). */
    uint64_t fip, fdp;
    uint16_t fcs, fds;
    uint16_t fop;               /* 11-bit opcode: (first byte & 7) << 8 | modrm */

    /*
     * FERR# output (SDM Vol. 1 8.7, Vol. 3A 2.5 CR0.NE). With CR0.NE clear a
     * pending unmasked x87 exception is reported through the FERR# pin,
     * which a PC routes to IRQ13 (PIC2 line 5). fpu.c sets ferr when the
     * next waiting x87 instruction finds FSW.ES set, calls ferr_hook (if the
     * machine installed one) and carries on as if IGNNE# were asserted, as
     * QEMU does. The machine may either install the hook or poll ferr; a
     * write to port 0xF0 should call fpu_clear_ferr() (cpu/fpu.h).
     */
    bool ferr;
    void (*ferr_hook)(void *opaque, bool level);
    void *ferr_opaque;
};

#endif
