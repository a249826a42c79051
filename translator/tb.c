/*
 * tb.c - the translation-block cache (see tb.h): lookup, building a block
 * with the table-driven decoder, and invalidation on code writes.
 */
#include <stdlib.h>
#include <string.h>

#include "translator/tb.h"
#include "translator/jit.h"
#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"
#include "cpu/trace_hooks.h"
#include "memory/memory.h"
#include "memory/mmu.h"

#define PAGE_SIZE 4096u

static void code_write_hook(void *opaque, uint64_t page_addr)
{
    tb_invalidate_page(opaque, page_addr);
}

void tb_cache_init(struct cpu *cpu)
{
    struct tb_cache *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->running_page = ~0ull;
    cpu->priv.tbs = c;
    if (cpu->mem)
        phys_set_code_write_hook(cpu->mem, code_write_hook, cpu);
}

void tb_cache_destroy(struct cpu *cpu)
{
    jit_disable(cpu);
    free(cpu->priv.tbs);
    cpu->priv.tbs = NULL;
}

void tb_flush_all(struct cpu *cpu)
{
    struct tb_cache *c = cpu->priv.tbs;
    if (!c)
        return;
    memset(c->fast, 0, sizeof(c->fast));
    memset(c->hash, 0, sizeof(c->hash));
    memset(c->page_hash, 0, sizeof(c->page_hash));
    c->n_tbs = 0;
    c->n_insns = 0;
    c->n_flushes++;
    jit_flush(cpu);
}

/* --- chaining: the incoming-edge lists ----------------------------------- */

#define EDGE(tb, n) ((uintptr_t)(tb) | (uintptr_t)(n))
#define EDGE_TB(e)  ((struct tb *)((e) & ~(uintptr_t)1))
#define EDGE_N(e)   ((int)((e) & 1))

/* Take exit n of `from` out of its successor's incoming list. */
static void unlink_exit(struct tb_cache *c, struct tb *from, int n)
{
    struct tb *to = from->jmp_dest[n];
    if (!to)
        return;
    uintptr_t *pp = &to->jmp_first;
    while (*pp) {
        uintptr_t e = *pp;
        if (EDGE_TB(e) == from && EDGE_N(e) == n) {
            *pp = from->jmp_next[n];
            break;
        }
        pp = &EDGE_TB(e)->jmp_next[EDGE_N(e)];
    }
    from->jmp_dest[n] = NULL;
    from->jmp_next[n] = 0;
    if (c->unchain_hook)
        c->unchain_hook(c->unchain_opaque, from, n);
}

void tb_add_jump(struct tb_cache *c, struct tb *from, int n, struct tb *to)
{
    if (from->jmp_dest[n] == to)
        return;
    unlink_exit(c, from, n);
    from->jmp_dest[n] = to;
    from->jmp_next[n] = to->jmp_first;
    to->jmp_first = EDGE(from, n);
    c->n_chained++;
}

void tb_unchain(struct tb_cache *c, struct tb *tb)
{
    /* edges into tb */
    while (tb->jmp_first) {
        uintptr_t e = tb->jmp_first;
        struct tb *from = EDGE_TB(e);
        int n = EDGE_N(e);
        tb->jmp_first = from->jmp_next[n];
        from->jmp_dest[n] = NULL;
        from->jmp_next[n] = 0;
        if (c->unchain_hook)
            c->unchain_hook(c->unchain_opaque, from, n);
    }
    /* edges out of it */
    unlink_exit(c, tb, 0);
    unlink_exit(c, tb, 1);
}

static inline unsigned hash_pc(uint64_t phys)
{
    return (unsigned)((phys * 0x9e3779b97f4a7c15ull) >> 40) & (TB_HASH_SIZE - 1);
}
static inline unsigned hash_fast(uint64_t phys) { return (unsigned)(phys ^ (phys >> 12)) & (TB_FAST_SIZE - 1); }
static inline unsigned hash_page(uint64_t page) { return (unsigned)((page >> 12) & (TB_PAGE_HASH_SIZE - 1)); }

void tb_invalidate_page(struct cpu *cpu, uint64_t page_addr)
{
    struct tb_cache *c = cpu->priv.tbs;
    if (!c)
        return;
    page_addr &= ~(uint64_t)(PAGE_SIZE - 1);
    struct tb **pp = &c->page_hash[hash_page(page_addr)];
    while (*pp) {
        struct tb *tb = *pp;
        if ((tb->phys_pc & ~(uint64_t)(PAGE_SIZE - 1)) != page_addr) {
            pp = &tb->page_next;
            continue;
        }
        *pp = tb->page_next;
        /* unlink from the lookup chain; the memory stays until a full flush,
         * so a block that is running now can finish its instruction */
        struct tb **hp = &c->hash[hash_pc(tb->phys_pc)];
        while (*hp && *hp != tb)
            hp = &(*hp)->hash_next;
        if (*hp)
            *hp = tb->hash_next;
        tb->valid = false;
        jit_tb_invalidated(cpu, tb);
        tb_unchain(c, tb);
        struct tb_fast_entry *fe = &c->fast[hash_fast(tb->phys_pc)];
        if (fe->tb == tb)
            fe->tb = NULL;
        c->n_invalidated++;
    }
    /* a write into the block being executed: stop after this instruction */
    if (c->running_page == page_addr)
        cpu_req_set(cpu, CPU_REQ_STOP);
}

static struct tb *tb_build(struct cpu *cpu, uint64_t phys, uint64_t eip, uint32_t key,
                           const uint8_t *code, unsigned avail)
{
    unsigned mode = key & TBK_DECODE;
    struct tb_cache *c = cpu->priv.tbs;
    if (c->n_tbs >= TB_POOL_SIZE || c->n_insns + TB_MAX_INSNS > TB_INSN_POOL_SIZE)
        tb_flush_all(cpu);
    struct tb *tb = &c->pool[c->n_tbs];
    struct insn *insns = &c->insn_pool[c->n_insns];
    unsigned pos = 0, n = 0;
    unsigned max = c->max_insns ? c->max_insns : TB_MAX_INSNS;
    while (n < max) {
        struct insn *in = &insns[n];
        int len = decode_insn(code + pos, avail - pos, mode, in);
        if (len <= 0)
            break;      /* crosses the page or the CS limit, or too long: next time alone */
        in->rip = eip + pos;
        pos += len;
        n++;
        if (in->desc->form & OPF_END_BB)
            break;
        if (!(mode & (DECODE_CODE32 | DECODE_CODE64)) && eip + pos > 0xffff)
            break;      /* IP wraps */
    }
    if (n == 0)
        return NULL;
    c->n_tbs++;
    c->n_insns += n;
    tb->phys_pc = phys;
    tb->rip = eip;
    tb->key = key;
    tb->mode = mode;
    tb->end_rip = (mode & DECODE_CODE64) ? eip + pos : (uint32_t)(eip + pos);
    tb->n_insns = n;
    tb->valid = true;
    const struct insn *last = &insns[n - 1];
    tb->chain_ok = !(last->desc->form & OPF_END_BB) || (last->desc->form & OPF_NEAR_BRANCH);
    tb->jmp_dest[0] = tb->jmp_dest[1] = NULL;
    tb->jmp_next[0] = tb->jmp_next[1] = 0;
    tb->jmp_first = 0;
    tb->insns = insns;
    unsigned h = hash_pc(phys);
    tb->hash_next = c->hash[h];
    c->hash[h] = tb;
    uint64_t page = phys & ~(uint64_t)(PAGE_SIZE - 1);
    unsigned ph = hash_page(page);
    tb->page_next = c->page_hash[ph];
    c->page_hash[ph] = tb;
    phys_mark_code_page(cpu->mem, page);
    c->n_built++;
    if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_NEWTB))
        trace_tb_new(cpu, tb, code);    /* -d in_asm */
    return tb;
}

struct tb *tb_lookup(struct cpu *cpu)
{
    struct tb_cache *c = cpu->priv.tbs;
    const struct segment *cs = &cpu->seg[SEG_CS];
    /* 16/32-bit code: EIP is 32 bits, checked against the CS limit; 64-bit
     * code: RIP is 64 bits (canonical, branches check it), no limit, base 0 */
    bool code64 = cpu_code64(cpu);
    uint64_t eip = code64 ? cpu->rip : (uint32_t)cpu->rip;
    uint64_t limit = code64 ? ~0ull : cs->limit;
    if (eip > limit || (code64 && !addr_canonical(eip)))
        cpu_raise(cpu, EXC_GP, true, 0);
    uint64_t phys = mmu_translate_exec(cpu, code64 ? eip : linear_addr(cpu, cs->base, eip));
    uint32_t key = tb_state_key(cpu);
    struct tb_fast_entry *fe = &c->fast[hash_fast(phys)];
    if (fe->tb && fe->phys_pc == phys && fe->rip == eip && fe->key == key) {
        if (fe->tb->end_rip - 1 > limit)
            return NULL;
        return fe->tb;
    }
    for (struct tb *tb = c->hash[hash_pc(phys)]; tb; tb = tb->hash_next) {
        if (tb->phys_pc == phys && tb->rip == eip && tb->key == key) {
            if (tb->end_rip - 1 > limit)
                return NULL;    /* the limit shrank: decode one by one, faulting right */
            *fe = (struct tb_fast_entry){ phys, eip, key, tb };
            return tb;
        }
    }
    /* Miss: decode from RAM up to the page end and the CS limit. */
    unsigned avail = PAGE_SIZE - (unsigned)(phys & (PAGE_SIZE - 1));
    uint64_t to_limit = limit - eip;       /* bytes after the first one */
    if (to_limit < avail - 1)
        avail = to_limit + 1;
    /* RAM, ROM or read-only shadow RAM, as reads see it now (PAM applied):
     * PAM changes that switch what reads see drop the blocks through the
     * code-page marks (memory/physmem.c, phys_mem_set_pam) */
    const uint8_t *code = phys_read_ptr(cpu->mem, phys, avail);
    if (!code)
        return NULL;
    struct tb *tb = tb_build(cpu, phys, eip, key, code, avail);
    if (tb)
        *fe = (struct tb_fast_entry){ phys, eip, key, tb };
    return tb;
}
