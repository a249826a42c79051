/*
 * stats.c - the --stats report (see stats.h).
 *
 * SIGUSR1 is read through a signalfd polled at slice boundaries, so no
 * global flag is needed and the report is printed from the run loop, where
 * every counter is consistent.
 */
#include "frontend/stats.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/machine/machine.h"
#include "frontend/trace.h"
#include "translator/tb.h"
#include "translator/jit.h"

static uint64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stats_start(struct vm_stats *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    s->signal_fd = -1;
    s->start_ns = host_now_ns();
    if (sigprocmask(SIG_BLOCK, &set, NULL) == 0)
        s->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

void stats_stop(struct vm_stats *s)
{
    if (s->signal_fd >= 0) {
        close(s->signal_fd);
        s->signal_fd = -1;
    }
}

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS", "#NP",
    "#SS", "#GP", "#PF", "(15)", "#MF", "#AC", "#MC", "#XM",
};

/* One line per event kind: "vector name count" pairs, busiest first is
 * not needed: vectors in order read naturally. */
static void print_events(FILE *out, const char *title, const uint64_t *counts, bool names)
{
    uint64_t total = 0;
    for (int v = 0; v < 256; v++)
        total += counts[v];
    fprintf(out, "  %-22s %" PRIu64, title, total);
    if (total) {
        const char *sep = ": ";
        for (int v = 0; v < 256; v++) {
            if (!counts[v])
                continue;
            if (names && v < 32 && exception_names[v])
                fprintf(out, "%s%s(%d) %" PRIu64, sep, exception_names[v], v, counts[v]);
            else
                fprintf(out, "%s0x%02x %" PRIu64, sep, v, counts[v]);
            sep = ", ";
        }
    }
    fputc('\n', out);
}

void stats_print_summary(struct machine *m, FILE *out)
{
    double host_s = (double)(host_now_ns() - m->host_start_ns) / 1e9;
    double virt_s = (double)vclock_now(&m->clock) / 1e9;
    fprintf(out, "softvm: stats: %" PRIu64 " instructions, %.3f s virtual "
            "(%.3f s idle), %.3f s host, %.1f MIPS, %" PRIu64 " resets, exit status %d\n",
            m->cpu.icount, virt_s, (double)m->clock.idle_ns / 1e9, host_s,
            host_s > 0 ? (double)m->cpu.icount / host_s / 1e6 : 0.0, m->resets,
            m->exit_status);
}

void stats_print(struct machine *m, FILE *out)
{
    struct cpu *cpu = &m->cpu;
    const struct vm_stats *s = m->trace ? &m->trace->stats : NULL;
    uint64_t start = s && s->start_ns ? s->start_ns : m->host_start_ns;
    uint64_t host_ns = host_now_ns() - start;
    double host_s = (double)host_ns / 1e9;
    fprintf(out, "softvm statistics:\n");
    fprintf(out, "  %-22s %" PRIu64 "\n", "instructions retired", cpu->icount);
    fprintf(out, "  %-22s %.3f s host, %.1f guest MIPS\n", "run time", host_s,
            host_s > 0 ? (double)cpu->icount / host_s / 1e6 : 0.0);
    fprintf(out, "  %-22s %.6f s (%.6f s of it skipped while halted)\n", "virtual time",
            (double)vclock_now(&m->clock) / 1e9, (double)m->clock.idle_ns / 1e9);
    const struct tb_cache *c = cpu->priv.tbs;
    if (c) {
        fprintf(out, "  %-22s %" PRIu64 " made, %" PRIu64 " invalidated, %" PRIu64
                " full flushes\n", "translation blocks", c->n_built, c->n_invalidated,
                c->n_flushes);
        fprintf(out, "  %-22s %u blocks, %u instructions (%zu KiB of %zu)\n", "TB cache size",
                c->n_tbs, c->n_insns,
                ((size_t)c->n_tbs * sizeof(struct tb) + (size_t)c->n_insns * sizeof(struct insn)) >> 10,
                sizeof(*c) >> 10);
    }
    if (s) {
        uint64_t lookups = s->tb_execs;
        uint64_t built = c ? c->n_built : 0;
        fprintf(out, "  %-22s %" PRIu64 " blocks run, %.2f%% found in the cache, "
                "%.1f instructions per block, %" PRIu64 " instructions run outside blocks\n",
                "TB lookups", lookups, lookups ? percent(lookups > built ? lookups - built : 0,
                                                         lookups) : 0.0,
                lookups ? (double)(cpu->icount - s->no_tb) / (double)lookups : 0.0, s->no_tb);
        const struct jit_stats *js = jit_get_stats(cpu);
        if (!js)
            fprintf(out, "  %-22s none (the interpreter does not chain blocks)\n", "TB chain hits");
        uint64_t accesses_est = s->slow_accesses;
        fprintf(out, "  %-22s %" PRIu64 " fills (page walks), %" PRIu64 " slow-path data "
                "accesses, %.3f fills per 1000 instructions\n", "softMMU TLB", s->tlb_fills,
                accesses_est, cpu->icount ? 1000.0 * (double)s->tlb_fills / (double)cpu->icount
                                          : 0.0);
        fprintf(out, "  %-22s %" PRIu64 " port accesses, %.3f ms host (%.2f%% of run time)\n",
                "device emulation", s->io_count, (double)s->io_ns / 1e6,
                percent(s->io_ns, host_ns));
        print_events(out, "exceptions", s->events[STATS_EXCEPTION], true);
        print_events(out, "hardware interrupts", s->events[STATS_EXTERNAL], false);
        print_events(out, "software interrupts", s->events[STATS_SOFTWARE], false);
        print_events(out, "NMIs", s->events[STATS_NMI], false);
    }
    const struct jit_stats *js = jit_get_stats(cpu);
    if (js) {
        fprintf(out, "  %-22s %" PRIu64 " blocks translated in %.3f s (%" PRIu64 " failed), %" PRIu64
                " KiB of code now, %" PRIu64 " code-cache flushes\n", "JIT", js->blocks_translated,
                (double)js->translate_ns / 1e9, js->blocks_failed, js->code_bytes >> 10, js->code_flushes);
        fprintf(out, "  %-22s %" PRIu64 " chain hits (%" PRIu64 " chains made, %" PRIu64 " undone), "
                "%" PRIu64 " indirect-cache hits\n", "JIT chaining", js->chain_hits, js->chains_made,
                js->chains_undone, js->indirect_hits);
        fprintf(out, "  %-22s %" PRIu64 " helper calls, %" PRIu64 " instructions translated inline\n",
                "JIT code", js->helper_calls, js->inline_insns);
    } else {
        fprintf(out, "  %-22s off (-accel interp)\n", "JIT");
    }
    fprintf(out, "  %-22s %" PRIu64 "\n", "machine resets", m->resets);
    fflush(out);
}

void stats_poll_signal(struct machine *m)
{
    if (!m->trace || m->trace->stats.signal_fd < 0)
        return;
    struct signalfd_siginfo si;
    bool got = false;
    while (read(m->trace->stats.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        got = true;
    if (got)
        stats_print(m, stderr);
}
