/*
 * tb.h - tier 1 of the translator: the translation-block (TB) cache.
 *
 * A TB is a basic block decoded once into an array of struct insn, found
 * again by (physical address of CS:EIP, EIP, decoder mode). Blocks never
 * cross a page, so invalidating the TBs of one physical page when memory/
 * reports a write to it (phys_set_code_write_hook) keeps self-modifying code
 * correct. Keying by physical address means CR0/CR3/CR4 changes need no flush.
 */
#ifndef SOFTVM_TRANSLATOR_TB_H
#define SOFTVM_TRANSLATOR_TB_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/insn.h"

struct cpu;
struct jit;

#define TB_MAX_INSNS 32         /* instructions per block at most */
#define TB_HASH_SIZE 32768      /* buckets, keyed by physical address */
#define TB_FAST_SIZE 4096       /* direct-mapped front cache of the lookup */
#define TB_PAGE_HASH_SIZE 1024  /* buckets, keyed by physical page */
#define TB_POOL_SIZE 16384      /* blocks before a full flush */
#define TB_INSN_POOL_SIZE (TB_POOL_SIZE * 8)

struct tb {
    uint64_t phys_pc;           /* physical address of the first byte */
    uint32_t eip;               /* CS offset of the first byte */
    uint32_t mode;              /* DECODE_* bits it was decoded with */
    uint32_t end_eip;           /* CS offset just past the last instruction */
    uint16_t n_insns;
    bool valid;
    struct tb *hash_next;       /* chain in the lookup bucket */
    struct tb *page_next;       /* chain in the page bucket */
    struct insn *insns;
};

/* One entry of the front cache: the key next to the pointer, so a hit costs
 * one cache line and no chain walk. */
struct tb_fast_entry {
    uint64_t phys_pc;
    uint32_t eip, mode;
    struct tb *tb;
};

struct tb_cache {
    struct tb_fast_entry fast[TB_FAST_SIZE];
    struct tb *hash[TB_HASH_SIZE];
    struct tb *page_hash[TB_PAGE_HASH_SIZE];
    struct tb pool[TB_POOL_SIZE];
    unsigned n_tbs;
    struct insn insn_pool[TB_INSN_POOL_SIZE];
    unsigned n_insns;
    uint64_t running_page;      /* physical page of the TB being executed, or ~0 */
    unsigned max_insns;         /* instructions per block at most: 0 = TB_MAX_INSNS,
                                   1 = -one-insn-per-tb (frontend/trace.c) */
    /* statistics */
    uint64_t n_built, n_invalidated, n_flushes;
    struct jit *jit;            /* tier 2 (translator/jit.h), or NULL: interpret */
};

void tb_cache_init(struct cpu *cpu);      /* allocates; called by cpu_init */
void tb_cache_destroy(struct cpu *cpu);
void tb_flush_all(struct cpu *cpu);
/* Drop every TB decoded from physical page page_addr (code was written). */
void tb_invalidate_page(struct cpu *cpu, uint64_t page_addr);
/*
 * The TB for CS:EIP now, decoding it on a miss; NULL when the code is not in
 * RAM or the first instruction crosses a page (the caller then decodes one
 * instruction with decode_at). Fetch faults of the first instruction are
 * raised here.
 */
struct tb *tb_lookup(struct cpu *cpu);

#endif
