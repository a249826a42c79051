/*
 * stats.h - --stats: counters of what the emulator did, printed at exit and
 * whenever the process gets SIGUSR1.
 *
 * Most numbers already exist (cpu->icount, the TB cache's counters, the
 * virtual clock); the rest are counted by the trace hooks (cpu/trace_hooks.h),
 * which the CPU calls only while --stats is on: TB executions, interrupts and
 * exceptions by vector, softMMU slow-path accesses and TLB fills, and host
 * time spent inside port I/O handlers.
 */
#ifndef SOFTVM_FRONTEND_STATS_H
#define SOFTVM_FRONTEND_STATS_H

#include <stdint.h>
#include <stdio.h>

struct machine;

/* Event kinds, in enum int_kind order (cpu/system.h). */
enum { STATS_EXCEPTION, STATS_EXTERNAL, STATS_SOFTWARE, STATS_NMI, STATS_KINDS };

struct vm_stats {
    uint64_t tb_execs;           /* blocks looked up and entered */
    uint64_t no_tb;              /* instructions decoded alone (no TB: page-crossing) */
    uint64_t events[STATS_KINDS][256];   /* interrupts/exceptions delivered, by vector */
    uint64_t tlb_fills;          /* page walks that filled a TLB entry */
    uint64_t slow_accesses;      /* data accesses that missed the TLB fast path */
    uint64_t io_count;           /* port reads and writes */
    uint64_t io_ns;              /* host time inside port I/O handlers */
    uint64_t start_ns;           /* host CLOCK_MONOTONIC when counting started */
    int signal_fd;               /* signalfd for SIGUSR1, or -1 */
};

/* Start counting (installs the SIGUSR1 signalfd). */
void stats_start(struct vm_stats *s);
void stats_stop(struct vm_stats *s);
/* The one-line summary: instructions, virtual/idle/host time, MIPS, resets. */
void stats_print_summary(struct machine *m, FILE *out);
/* Print every counter of m (readable text, one topic per line). */
void stats_print(struct machine *m, FILE *out);
/* Cheap check at slice boundaries: print if SIGUSR1 arrived. */
void stats_poll_signal(struct machine *m);

#endif
