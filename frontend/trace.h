/*
 * trace.h - seeing inside the emulator: QEMU-style -d logging (in_asm, exec,
 * cpu, int, mmu, ioport, unimp, guest_errors), the --stats counters and the
 * hooks the GDB stub needs, all behind one word of flags in struct cpu.
 *
 * The CPU, the translator and the softMMU see only cpu/trace_hooks.h: the
 * hook prototypes, the TRACE_HOOK_* bits of cpu->trace_flags and the port-I/O
 * entry. This file implements the hooks; trace_update_hooks() recomputes the
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
#include "cpu/trace_hooks.h"   /* the hooks this file implements, VM_LOG_* */
#include "frontend/stats.h"

struct vm_options;
struct gdbstub;

/* Extra -d items the tracer adds to the VM_LOG_* bits of cpu/trace_hooks.h. */
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
    size_t cs16, cs32, cs64;     /* Capstone handles (csh), 0 if not open */
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
bool trace_wanted(const struct trace *t, uint64_t lin, uint64_t icount);

/* --- the host side's slice hooks (frontend/host.c) ---------------------- */
struct machine;
/* Build m->trace if any of -d, -D, --stats, -one-insn-per-tb, -gdb/-s/-S is
 * given (else m->trace stays NULL and nothing is hooked). 0 or -1. */
int trace_machine_setup(struct machine *m);
void trace_machine_teardown(struct machine *m);
/* Around each cpu_exec slice: the debugger, the SIGUSR1 stats report. */
uint64_t trace_machine_before_slice(struct machine *m, uint64_t budget);
void trace_machine_after_slice(struct machine *m);

/* --- the pieces, for tests and the debugger -------------------------------- */
/* QEMU's register dump ("EAX=... EFL=... CS =f000 ..."; in IA-32e mode
 * qemu-system-x86_64's "RAX=... R8 =... RIP=... RFL=..." form). */
void trace_dump_cpu(struct cpu *cpu, FILE *out);
/* Disassemble up to max_insns instructions at linear address addr from
 * code[0..len) in QEMU's in_asm line format (16, 32 or 64-bit code by the
 * DECODE_* bits of mode; 64-bit code prints 16-digit addresses); returns
 * bytes consumed. */
size_t trace_disas(struct trace *t, FILE *out, uint64_t addr, const uint8_t *code,
                   size_t len, unsigned mode, unsigned max_insns);

#endif
