/*
 * trace_hooks.h - what the CPU, the translator and the softMMU call when
 * tracing, --stats or the debugger are on, and the CPU's port-I/O entry.
 *
 * The hot paths call a hook only when a bit of cpu->trace_flags asks for it:
 *
 *     if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_TB)) trace_tb_exec(cpu, tb);
 *
 * so with everything off each hook costs one never-taken branch. The hooks
 * are implemented by the tracer above the machine (frontend/trace.c), which
 * sets trace_flags; this header is all the code below it needs to know.
 */
#ifndef SOFTVM_CPU_TRACE_HOOKS_H
#define SOFTVM_CPU_TRACE_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "devices/iobus.h"

struct tb;
struct insn;

#if defined(__GNUC__)
#define TRACE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TRACE_UNLIKELY(x) (x)
#endif

/* Bits of cpu->trace_flags: which hooks the hot paths call. */
enum {
    TRACE_HOOK_TB    = 1u << 0,  /* trace_tb_exec before each block runs */
    TRACE_HOOK_NEWTB = 1u << 1,  /* trace_tb_new after a block is translated */
    TRACE_HOOK_INT   = 1u << 2,  /* trace_interrupt for every event delivered */
    TRACE_HOOK_INSN  = 1u << 3,  /* trace_insn before every instruction (breakpoints) */
    TRACE_HOOK_MEM   = 1u << 4,  /* trace_mem_access on softMMU slow-path data accesses */
    TRACE_HOOK_MMU   = 1u << 5,  /* trace_tlb_fill after each page walk that fills the TLB */
    TRACE_HOOK_IO    = 1u << 6,  /* port I/O goes through trace_io_read/trace_io_write */
};

/* -d LIST: trace categories (the command line, the tracer and trace_log's
 * callers agree on the bits). */
enum {
    VM_LOG_INT     = 1u << 0,   /* interrupts and exceptions */
    VM_LOG_EXEC    = 1u << 1,   /* every translation block executed */
    VM_LOG_IN_ASM  = 1u << 2,   /* guest code disassembled when translated */
    VM_LOG_CPU     = 1u << 3,   /* CPU registers before each block */
    VM_LOG_PCALL   = 1u << 4,   /* protected-mode far calls, task switches */
    VM_LOG_IOPORT  = 1u << 5,   /* port I/O */
    VM_LOG_UNIMP   = 1u << 6,   /* unimplemented features the guest tried */
    VM_LOG_GUEST_ERRORS = 1u << 7,  /* guest did something architecturally wrong */
    VM_LOG_RESET   = 1u << 8,   /* machine resets */
    VM_LOG_MMU     = 1u << 9,   /* page walks and TLB fills */
};

/* --- the hooks (frontend/trace.c) ------------------------------------------ */
void trace_tb_new(struct cpu *cpu, const struct tb *tb, const uint8_t *code);
void trace_tb_exec(struct cpu *cpu, const struct tb *tb);     /* tb may be NULL */
/* Returns true if execution must stop before this instruction (debugger). */
bool trace_insn(struct cpu *cpu, const struct insn *in);
void trace_interrupt(struct cpu *cpu, int vector, int kind, bool has_error, uint32_t error);
void trace_mem_access(struct cpu *cpu, uint64_t lin, unsigned size, bool write);
void trace_tlb_fill(struct cpu *cpu, uint64_t lin, int kind, uint64_t paddr);
uint32_t trace_io_read(struct cpu *cpu, uint16_t port, unsigned size);
void trace_io_write(struct cpu *cpu, uint16_t port, uint32_t value, unsigned size);

/* Port I/O from the CPU: straight to the bus unless -d ioport or --stats
 * wants to see it (time in device emulation). */
static inline uint32_t cpu_port_read(struct cpu *cpu, uint16_t port, unsigned size)
{
    if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_IO))
        return trace_io_read(cpu, port, size);
    return io_read(cpu->io, port, size);
}
static inline void cpu_port_write(struct cpu *cpu, uint16_t port, uint32_t value, unsigned size)
{
    if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_IO))
        trace_io_write(cpu, port, value, size);
    else
        io_write(cpu->io, port, value, size);
}

/* -d unimp / guest_errors messages from anywhere (printf-style); item is a
 * VM_LOG_* bit, logged only if -d asked for it. */
void trace_log(struct cpu *cpu, uint32_t item, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
