/*
 * jit.h - tier 2 of the translator: translation blocks compiled to x86-64
 * host code (x86-64 Linux hosts; elsewhere softvm runs the interpreter).
 *
 * A compiled block does exactly what cpu/exec.c's block fast path does,
 * instruction by instruction: the same checkpoint before each instruction
 * (so faults stay precise), the same retired-instruction count, the same
 * stop tests after each instruction (interrupt lines, code writes, exit
 * requests, a changed EIP). Instructions the backend knows are emitted
 * inline; every other one calls its interpreter handler from the opcode
 * table, so the JIT never needs an instruction the interpreter lacks.
 *
 * Blocks that end in a direct branch (or fall through to the next block)
 * are chained: once the successor is known, the exit becomes a patched
 * jump to it (same physical page and decoder mode only). A chained entry
 * re-checks what cpu_exec would check between blocks (the instruction
 * budget, the CS limit), so chaining never changes where execution stops.
 * Chains into a block are undone when it is invalidated; a full code-cache
 * flush drops everything. docs/JIT.md has the details.
 */
#ifndef SOFTVM_TRANSLATOR_JIT_H
#define SOFTVM_TRANSLATOR_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpu;
struct tb;

struct jit_options {
    size_t code_size;       /* code cache bytes (0 = default) */
    bool no_chain;          /* every block returns to cpu_exec (for -d exec tracing) */
    bool no_inline;         /* call a handler for every instruction (tests, bisection) */
};

struct jit_stats {
    uint64_t blocks_translated;
    uint64_t blocks_failed;     /* could not be compiled (interpreted instead): a backend bug */
    uint64_t chain_hits;        /* block entries through a patched jump */
    uint64_t chains_made, chains_undone;
    uint64_t indirect_hits;     /* indirect-branch cache hits (not built yet: 0) */
    uint64_t helper_calls;      /* instructions run by calling their handler */
    uint64_t inline_insns;      /* instructions translated inline (static count) */
    uint64_t code_flushes;
    uint64_t translate_ns;
    uint64_t code_bytes;        /* in the cache now */
    uint64_t declined_code64;   /* blocks of 64-bit code left to the interpreter */
};

/* Give cpu a JIT (cpu_exec then runs compiled blocks). False with *err set
 * when the host cannot (no memfd, not x86-64). */
bool jit_enable(struct cpu *cpu, const struct jit_options *opt, const char **err);
void jit_disable(struct cpu *cpu);
static inline bool jit_supported(void)
{
#if defined(__x86_64__) && defined(__linux__)
    return true;
#else
    return false;
#endif
}
const struct jit_stats *jit_get_stats(const struct cpu *cpu);   /* NULL without a JIT */

/* cpu_exec's hook: run tb (whose fast-path conditions hold, with the
 * budget ending at icount `end`) and whatever is chained to it. False if
 * the block could not be compiled: the caller interprets it. */
bool jit_run(struct cpu *cpu, struct tb *tb, uint64_t end);

/* From the TB cache: tb is being dropped / everything is. */
void jit_tb_invalidated(struct cpu *cpu, struct tb *tb);
void jit_flush(struct cpu *cpu);

#endif
