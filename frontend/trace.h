/*
 * trace.h - seeing inside the emulator: QEMU-style -d logging (in_asm, exec,
 * cpu, int, mmu, ioport, unimp, guest_errors), the --stats counters and the
 * hooks the GDB stub needs, all behind one word of flags in struct cpu.
 *
 * The CPU, the translator and the softMMU call into this file only when a
 * bit of cpu->trace_flags asks for it:
 *
 *     if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_TB)) trace_tb_exec(cpu, tb);
 *
 * so with tracing, statistics and the debugger off every hook costs one
 * predictable, never-taken branch. trace_update_hooks() recomputes the
 * flags whenever the log mask, --stats or the debugger's needs change.
 *
 * The output formats follow QEMU's (accel/tcg, target/i386) so that a log
 * can be diffed against `qemu-system-i386 -accel tcg -singlestep -d
 * in_asm,cpu,int` (see docs/TOUR.md): the disassembly is Capstone's, in
 * AT&T syntax like QEMU's.
 */
#ifndef SOFTVM_FRONTEND_TRACE_H
#define SOFTVM_FRONTEND_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "devices/iobus.h"
#include "frontend/stats.h"

struct tb;
struct insn;
struct vm_options;
struct gdbstub;

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

/* Extra -d items the tracer adds to the VM_LOG_* bits of options.h. */
#define TRACE_LOG_MMU (1u << 16)

#define TRACE_MAX_RANGES 8

struct trace_range {
    uint32_t lo, hi;             /* linear addresses, both inclusive */
};

struct trace {
    uint32_t log_mask;           /* VM_LOG_* | TRACE_LOG_* */
    FILE *out;                   /* stderr, or the -D file */
    bool own_out;                /* out was opened here */

    /* -dfilter: log blocks whose first instruction is in one of these. */
    int n_ranges;
    struct trace_range range[TRACE_MAX_RANGES];
    /* -dicount FROM..TO: log only while FROM <= icount < TO. */
    uint64_t win_from, win_to;

    bool one_insn_per_tb;        /* -one-insn-per-tb: each TB is one instruction */
    size_t cs16, cs32;           /* Capstone handles (csh), 0 if not open */
    bool cs_ok;

    uint64_t n_int_logged;       /* the sequence number of -d int lines */

    bool stats_on;               /* --stats */
    struct vm_stats stats;

    struct gdbstub *gdb;         /* the debugger's breakpoints and watchpoints, or NULL */
    struct cpu *cpu;             /* the CPU this trace is attached to */
};

/* Set up from the options (opens -D, parses -dfilter/-dicount, opens
 * Capstone). Returns 0, or prints why on err and returns -1. */
int trace_init(struct trace *t, const struct vm_options *opt, FILE *err);
/* A trace with only a log mask, writing to out (tests). */
void trace_init_simple(struct trace *t, uint32_t log_mask, FILE *out);
void trace_close(struct trace *t);
/* Connect to a CPU: sets cpu->trace and the hook flags. */
void trace_attach(struct trace *t, struct cpu *cpu);
/* Recompute cpu->trace_flags from the log mask, --stats and the debugger. */
void trace_update_hooks(struct trace *t);
/* Apply -one-insn-per-tb to the CPU's TB cache (flushes it). */
void trace_set_one_insn_per_tb(struct trace *t, bool on);

/* Parse "-dfilter" (START..END, START+SIZE, START-SIZE, comma-separated) and
 * "-dicount" (FROM..TO, FROM.., ..TO; decimal or 0x hex). False if bad. */
bool trace_parse_ranges(const char *s, struct trace_range *out, int *n);
bool trace_parse_window(const char *s, uint64_t *from, uint64_t *to);

/* Is linear address lin, at this instruction count, inside the filters? */
bool trace_wanted(const struct trace *t, uint32_t lin, uint64_t icount);

/* --- the machine loop's side (frontend/machine.c) ------------------------ */
struct machine;
/* Build m->trace if any of -d, -D, --stats, -one-insn-per-tb, -gdb/-s/-S is
 * given (else m->trace stays NULL and nothing is hooked). 0 or -1. */
int trace_machine_setup(struct machine *m);
void trace_machine_teardown(struct machine *m);
/* Around each cpu_exec slice: the debugger, the SIGUSR1 stats report. */
uint64_t trace_machine_before_slice(struct machine *m, uint64_t budget);
void trace_machine_after_slice(struct machine *m);

/* --- hooks called by cpu/, translator/ and memory/ ------------------------ */
void trace_tb_new(struct cpu *cpu, const struct tb *tb, const uint8_t *code);
void trace_tb_exec(struct cpu *cpu, const struct tb *tb);     /* tb may be NULL */
/* Returns true if execution must stop before this instruction (debugger). */
bool trace_insn(struct cpu *cpu, const struct insn *in);
void trace_interrupt(struct cpu *cpu, int vector, int kind, bool has_error, uint32_t error);
void trace_mem_access(struct cpu *cpu, uint32_t lin, unsigned size, bool write);
void trace_tlb_fill(struct cpu *cpu, uint32_t lin, int kind, uint64_t paddr);
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

/* -d unimp / guest_errors messages from anywhere (printf-style). */
void trace_log(struct cpu *cpu, uint32_t item, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- the pieces, for tests and the debugger -------------------------------- */
/* QEMU's register dump ("EAX=... EFL=... CS =f000 ..."). */
void trace_dump_cpu(struct cpu *cpu, FILE *out);
/* Disassemble up to max_insns instructions at linear address addr from
 * code[0..len) in QEMU's in_asm line format; returns bytes consumed. */
size_t trace_disas(struct trace *t, FILE *out, uint32_t addr, const uint8_t *code,
                   size_t len, bool code32, unsigned max_insns);

#endif
