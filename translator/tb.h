/*
 * tb.h - tier 1 of the translator: the translation-block (TB) cache.
 *
 * A TB is a basic block decoded once into an array of struct insn, found
 * again by (physical address of CS:EIP, EIP, state key). The key records the
 * CPU state the block was translated for (tb_state_key); every instruction
 * that can change an input of the key ends its block (OPF_END_BB), so code in
 * a block may rely on the key at each of its instructions. Blocks never
 * cross a page, so invalidating the TBs of one physical page when memory/
 * reports a write to it (phys_set_code_write_hook) keeps self-modifying code
 * correct. Keying by physical address means CR0/CR3/CR4 changes need no flush.
 */
#ifndef SOFTVM_TRANSLATOR_TB_H
#define SOFTVM_TRANSLATOR_TB_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/insn.h"
#include "memory/mmu.h"

struct jit;

/* State-key bits (struct tb.key). The low two are the decoder mode. */
#define TBK_CODE32 0x001u   /* CS.D: 32-bit default operand/address size */
#define TBK_PM     0x002u   /* CR0.PE and not v86: PM-only opcodes valid */
#define TBK_VM86   0x004u   /* EFLAGS.VM */
#define TBK_CPL_SHIFT 3     /* CPL in bits 3-4 */
#define TBK_CPL    0x018u
#define TBK_SS32   0x020u   /* SS.B: the stack pointer is ESP */
#define TBK_PG     0x040u   /* CR0.PG */
#define TBK_WP     0x080u   /* CR0.WP */
#define TBK_AC     0x100u   /* CR0.AM and EFLAGS.AC: alignment checks at CPL 3 */
#define TBK_FLAT   0x200u   /* CS, SS, DS, ES: base 0, limit 4 GiB, present; data
                               ones writable expand-up, CS code */
#define TBK_PE     0x400u   /* CR0.PE */
#define TBK_CODE64 0x800u   /* CS.L (kept only while EFER.LMA): 64-bit code */
#define TBK_DECODE (TBK_CODE32 | TBK_PM | TBK_CODE64)
_Static_assert(TBK_CODE32 == DECODE_CODE32 && TBK_PM == DECODE_PM && TBK_CODE64 == DECODE_CODE64,
               "the decoder mode bits are the key's");

_Static_assert(SEGF_DB == 1u << 14 && SEGF_L == 1u << 13 && TBK_CODE64 == 1u << 11 && CR0_PG == 1u << 31 && CR0_WP == 1u << 16 && CR0_AM == 1u << 18
               && EFLAGS_AC == 1u << 18 && EFLAGS_VM == 1u << 17 && CR0_PE == 1 && TBK_SS32 == 1u << 5
               && TBK_PG == 1u << 6 && TBK_WP == 1u << 7 && TBK_AC == 1u << 8 && TBK_PE == 1u << 10
               && TBK_VM86 == 1u << 2, "the bit positions tb_state_key shifts by");
/* The state key of the CPU now (see TBK_*). Branch-free: it is computed at
 * every lookup. */
static inline uint32_t tb_state_key(const struct cpu *cpu)
{
    const struct segment *cs = &cpu->seg[SEG_CS], *ss = &cpu->seg[SEG_SS];
    const struct segment *ds = &cpu->seg[SEG_DS], *es = &cpu->seg[SEG_ES];
    uint32_t cr0 = cpu->cr0, fl = cpu->rflags;
    uint32_t pe = cr0 & CR0_PE, vm = (fl >> 17) & pe;      /* EFLAGS.VM counts only with PE */
    uint32_t k = ((cs->flags >> 14) & 1)                    /* TBK_CODE32 */
               | ((pe & ~vm) << 1)                          /* TBK_PM */
               | (vm << 2)                                  /* TBK_VM86 */
               | ((uint32_t)(cpu->cpl & 3) << TBK_CPL_SHIFT)
               | (((ss->flags >> 14) & 1) << 5)             /* TBK_SS32 */
               | (((cr0 >> 31) & 1) << 6)                   /* TBK_PG */
               | (((cr0 >> 16) & 1) << 7)                   /* TBK_WP */
               | ((((cr0 & fl) >> 18) & 1) << 8)            /* TBK_AC: CR0.AM and EFLAGS.AC */
               | (pe << 10)                                 /* TBK_PE */
               | (((cs->flags >> 13) & 1) << 11);           /* TBK_CODE64: CS.L */
    /* flat: bases 0, limits 4 GiB; present, S; data: not code, expand-up,
     * writable (type bits 3:1 = 001); CS: code (bit 3) */
    const uint32_t dmask = SEGF_P | SEGF_S | 0xe, dwant = SEGF_P | SEGF_S | 0x2;
    const uint32_t cmask = SEGF_P | SEGF_S | 0x8;
    uint32_t off = (cs->base | ss->base | ds->base | es->base)
                 | ~(cs->limit & ss->limit & ds->limit & es->limit)
                 | ((cs->flags & cmask) ^ cmask) | ((ss->flags & dmask) ^ dwant)
                 | ((ds->flags & dmask) ^ dwant) | ((es->flags & dmask) ^ dwant);
    return k | (off == 0 ? TBK_FLAT : 0);
}

#define TB_MAX_INSNS 32         /* instructions per block at most */
#define TB_HASH_SIZE 32768      /* buckets, keyed by physical address */
#define TB_FAST_SIZE 4096       /* direct-mapped front cache of the lookup */
#define TB_PAGE_HASH_SIZE 1024  /* buckets, keyed by physical page */
#define TB_POOL_SIZE 16384      /* blocks before a full flush */
#define TB_INSN_POOL_SIZE (TB_POOL_SIZE * 8)

struct tb {
    uint64_t phys_pc;           /* physical address of the first byte */
    uint64_t rip;               /* CS offset of the first byte */
    uint64_t end_rip;           /* CS offset just past the last instruction */
    uint32_t key;               /* tb_state_key when it was translated */
    uint32_t mode;              /* DECODE_* bits it was decoded with (key & TBK_DECODE) */
    uint16_t n_insns;
    bool valid;
    bool chain_ok;              /* its last instruction keeps the state key (not
                                   OPF_END_BB, or OPF_NEAR_BRANCH): a successor
                                   with the same key may be chained */
    struct tb *hash_next;       /* chain in the lookup bucket */
    struct tb *page_next;       /* chain in the page bucket */
    struct insn *insns;
    /* Chaining. Exit 0 leaves at end_rip (fall-through, branch not taken),
     * exit 1 anywhere else (branch taken, call, return). jmp_dest[n] is the
     * block last found after exit n; edges into a block are listed from its
     * jmp_first through the jmp_next[] of their sources, each entry a tagged
     * pointer (uintptr_t)source | n, so invalidating a block can undo every
     * chain into it (tb_unchain). */
    struct tb *jmp_dest[2];
    uintptr_t jmp_next[2];
    uintptr_t jmp_first;
};

/* One entry of the front cache: the key next to the pointer, so a hit costs
 * one cache line and no chain walk. */
struct tb_fast_entry {
    uint64_t phys_pc;
    uint64_t rip;
    uint32_t key;
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
    /* Called when the chain from exit n of `from` is removed (its successor
     * is invalidated or the exit is re-linked): a code generator that patched
     * a direct jump there resets it. NULL for the interpreter. */
    void (*unchain_hook)(void *opaque, struct tb *from, int n);
    void *unchain_opaque;
    /* statistics */
    uint64_t n_built, n_invalidated, n_flushes, n_chained;
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

/* Exit n of tb (see struct tb) for a block that left with EIP = eip. */
static inline int tb_exit_of(const struct tb *tb, uint64_t eip) { return eip != tb->end_rip; }
/* Record `to` as the successor after exit n of `from` (replacing the old one). */
void tb_add_jump(struct tb_cache *c, struct tb *from, int n, struct tb *to);
/* Undo every chain into tb and out of it. */
void tb_unchain(struct tb_cache *c, struct tb *tb);

/*
 * The block chained after `tb`, which just ran to its end with the state key
 * unchanged (tb->chain_ok), if it is exactly what tb_lookup would return for
 * CS:EIP now: same EIP, same key, CS:EIP still translating (exec-TLB hit, no
 * walk) to its physical address, inside the CS limit. NULL otherwise: the
 * caller then does the full lookup.
 */
static inline struct tb *tb_chained_next(const struct cpu *cpu, const struct tb *tb)
{
    uint64_t eip = cpu->rip;
    struct tb *next = tb->jmp_dest[tb_exit_of(tb, eip)];
    if (!next || next->rip != eip || next->key != tb->key)
        return NULL;
    const struct segment *cs = &cpu->seg[SEG_CS];
    uint64_t phys;
    if ((next->end_rip - 1 > cs->limit && !(tb->key & TBK_CODE64))
        || !mmu_exec_probe(cpu, linear_addr(cpu, cs->base, eip), &phys)
        || phys != next->phys_pc)
        return NULL;
    return next;
}

#endif
