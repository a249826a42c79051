/*
 * mmu.c - the softMMU slow path: TLB fills from page walks (paging.c), page
 * crossing accesses, accesses to MMIO/ROM/code pages, alignment checks (#AC,
 * SDM Vol. 3A 6.15 "Interrupt 17"), and TLB maintenance (SDM Vol. 3A 4.10).
 */
#include "memory/mmu.h"
#include "memory/paging.h"
#include "memory/physmem.h"
#include "cpu/trace_hooks.h"

#include <string.h>

/* --- TLB maintenance ------------------------------------------------------ */

void tlb_invalidate(struct tlb *tlb)
{
    memset(tlb->e, 0, sizeof(tlb->e));      /* page[] means nothing without a tag */
    tlb->has_large = 0;
}

/* The linear page a slot holds (all its nonzero tags name the same one). */
static inline uint64_t slot_page(const struct tlb_entry *e)
{
    return (e->tag[TLB_READ] | e->tag[TLB_WRITE] | e->tag[TLB_EXEC]) & TLB_PAGE_MASK;
}

void tlb_slow_down_writes_range(struct tlb *tlb, uint64_t lo, uint64_t hi)
{
    for (int p = 0; p < TLB_PRIVS; p++)
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            struct tlb_entry *e = &tlb->e[p][i];
            uint64_t pa = tlb->page[p][i].paddr;
            if ((e->tag[TLB_WRITE] & TLB_VALID) && pa >= lo && pa < hi)
                e->tag[TLB_WRITE] |= TLB_SLOW;
        }
}

void tlb_slow_down_writes(struct tlb *tlb, uint64_t paddr_page)
{
    tlb_slow_down_writes_range(tlb, paddr_page, paddr_page + PHYS_PAGE_SIZE);
}

void tlb_flush_phys_range(struct tlb *tlb, uint64_t lo, uint64_t hi)
{
    for (int p = 0; p < TLB_PRIVS; p++)
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            struct tlb_entry *e = &tlb->e[p][i];
            uint64_t pa = tlb->page[p][i].paddr;
            if ((e->tag[TLB_READ] | e->tag[TLB_WRITE] | e->tag[TLB_EXEC]) && pa >= lo && pa < hi)
                memset(e, 0, sizeof(*e));
        }
}

void mmu_detach(struct cpu *cpu)
{
    if (cpu->mem)
        phys_unregister_tlb(cpu->mem, &cpu->tlb);
    tlb_invalidate(&cpu->tlb);
}

void tlb_flush_all(struct cpu *cpu)
{
    tlb_invalidate(&cpu->tlb);
}

void tlb_flush_nonglobal(struct cpu *cpu)
{
    struct tlb *tlb = &cpu->tlb;
    for (int p = 0; p < TLB_PRIVS; p++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (!(tlb->page[p][i].flags & TLBF_GLOBAL))
                memset(&tlb->e[p][i], 0, sizeof(tlb->e[p][i]));
}

void tlb_flush_page(struct cpu *cpu, uint64_t lin)
{
    struct tlb *tlb = &cpu->tlb;
    /* A large page is cached as many 4 KiB entries: INVLPG anywhere in it
     * must drop them all (SDM 4.10.4.1), so flush everything in that case. */
    if (tlb->has_large && (lin & tlb->large_mask) == tlb->large_base) {
        tlb_invalidate(tlb);
        return;
    }
    unsigned idx = tlb_index(lin);
    for (int p = 0; p < TLB_PRIVS; p++) {
        struct tlb_entry *e = &tlb->e[p][idx];
        if (slot_page(e) == (lin & TLB_PAGE_MASK))
            memset(e, 0, sizeof(*e));
    }
}

/* Grow the linear range that covers every large page in the TLB. */
static void note_large_page(struct tlb *tlb, uint64_t lin, uint32_t page_size)
{
    uint64_t mask = ~((uint64_t)page_size - 1);
    if (!tlb->has_large) {
        tlb->has_large = 1;
        tlb->large_mask = mask;
        tlb->large_base = lin & mask;
        return;
    }
    while (mask && ((lin ^ tlb->large_base) & mask & tlb->large_mask))
        mask <<= 1;
    tlb->large_mask &= mask;
    tlb->large_base &= tlb->large_mask;
}

/* --- filling the TLB ------------------------------------------------------ */

static const enum walk_access walk_kind[TLB_KINDS] = {
    [TLB_READ] = WALK_READ, [TLB_WRITE] = WALK_WRITE, [TLB_EXEC] = WALK_EXEC,
};

/* Fill the tag of one kind for the 4 KiB linear page of lin from a
 * physical page (tlb.h says what happens to the slot's other tags). */
static struct tlb_entry *tlb_set(struct cpu *cpu, uint64_t lin, int priv, int kind,
                                 uint64_t paddr_page, uint32_t flags)
{
    struct phys_mem *pm = cpu->mem;
    unsigned idx = tlb_index(lin);
    struct tlb_entry *e = &cpu->tlb.e[priv][idx];
    struct tlb_page *pg = &cpu->tlb.page[priv][idx];
    uint64_t page = lin & TLB_PAGE_MASK;
    struct phys_target t;

    phys_resolve(pm, paddr_page, kind == TLB_WRITE, &t);
    bool fast = t.avail >= PHYS_PAGE_SIZE &&
                (t.kind == PHYS_RAM || t.kind == PHYS_DEVRAM ||
                 (t.kind == PHYS_ROM && kind != TLB_WRITE));
    if (fast && kind == TLB_WRITE && t.kind == PHYS_RAM &&
        phys_code_marked(pm, (uint64_t)(t.host - pm->ram)))
        fast = false;     /* writes must reach phys_note_code_write */
    if (fast && kind == TLB_WRITE && t.kind == PHYS_DEVRAM &&
        !phys_devram_page_dirty(t.devram, t.host))
        fast = false;     /* the first write to a clean page sets its dirty bit */
    if (fast && kind != TLB_EXEC && cpu->tlb.force_slow)
        fast = false;     /* debugger watchpoints are checked on the slow path */
    if (flags & TLBF_SMAP)
        fast = false;     /* EFLAGS.AC decides at each access (tlb_get) */

    bool same = (e->tag[TLB_READ] | e->tag[TLB_WRITE] | e->tag[TLB_EXEC]) != 0 &&
                slot_page(e) == page && pg->paddr == paddr_page && pg->flags == flags;
    if (!same)
        memset(e, 0, sizeof(*e));
    e->tag[kind] = page | TLB_VALID | (fast ? 0 : TLB_SLOW);
    if (fast) {
        uint64_t addend = (uint64_t)(uintptr_t)t.host - page;
        if (addend != e->addend)
            for (int k = 0; k < TLB_KINDS; k++)
                if (k != kind && e->tag[k])
                    e->tag[k] |= TLB_SLOW;  /* another host page: one addend serves all */
        e->addend = addend;
    }
    pg->paddr = paddr_page;
    pg->flags = flags;
    return e;
}

/*
 * The TLB slot for lin with a valid tag for this kind and privilege,
 * walking the page tables on a miss. who (paging.h WALK_*) selects the U/S
 * and SMAP rules and the U bit of the error code. A slot that SMAP lets
 * only WALK_SMAP_OK accesses use (TLBF_SMAP) makes any other access walk
 * again, and so fault. Raises #PF and does not return on a fault.
 */
static struct tlb_entry *tlb_get(struct cpu *cpu, uint64_t lin, int kind, unsigned who)
{
    int priv = (who & WALK_USER) ? TLB_USER : TLB_SUPER;
    struct tlb_entry *e = &cpu->tlb.e[priv][tlb_index(lin)];
    if ((e->tag[kind] & ~(uint64_t)TLB_SLOW) == ((lin & TLB_PAGE_MASK) | TLB_VALID) &&
        (!(cpu->tlb.page[priv][tlb_index(lin)].flags & TLBF_SMAP) || (who & WALK_SMAP_OK)))
        return e;

    phys_register_tlb(cpu->mem, &cpu->tlb);
    uint64_t paddr;
    uint32_t flags = 0;
    if (!(cpu->cr0 & CR0_PG)) {
        paddr = lin;
    } else {
        struct walk_result w;
        uint32_t ec = paging_walk(cpu, lin, walk_kind[kind], who, false, &w);
        if (ec & WALK_FAULT)
            cpu_raise_pf(cpu, lin, ec & ~WALK_FAULT);
        paddr = w.paddr;
        flags = (w.global ? TLBF_GLOBAL : 0) | (w.smap_user_page ? TLBF_SMAP : 0);
        if (w.page_size > 4096)
            note_large_page(&cpu->tlb, lin, w.page_size);
    }
    uint64_t paddr_page = (paddr & cpu->mem->a20_mask) & PHYS_PAGE_MASK;
    if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_MMU))    /* -d mmu, --stats */
        trace_tlb_fill(cpu, lin, kind, paddr_page | (lin & 0xfffu));
    /* A write walk also proved the page readable (and set A/D). */
    if (kind == TLB_WRITE)
        tlb_set(cpu, lin, priv, TLB_READ, paddr_page, flags);
    return tlb_set(cpu, lin, priv, kind, paddr_page, flags);
}

/* One kind's translation, copied out of its slot (a later fill may reuse
 * the slot, e.g. for the second page of a crossing access). */
struct xlat {
    uint64_t tag, addend, paddr;
    uint32_t flags;
};

static struct xlat xlat_get(struct cpu *cpu, uint64_t lin, int kind, unsigned who)
{
    const struct tlb_entry *e = tlb_get(cpu, lin, kind, who);
    const struct tlb_page *pg = &cpu->tlb.page[(who & WALK_USER) ? TLB_USER : TLB_SUPER][tlb_index(lin)];
    return (struct xlat){ e->tag[kind], e->addend, pg->paddr, pg->flags };
}

/* --- slow-path accesses --------------------------------------------------- */

/* Who makes a data access (SDM Vol. 3A 4.6.1): implicit supervisor
 * accesses (MMU_SYS) at any CPL; user-mode ones at CPL 3; explicit
 * supervisor ones, which EFLAGS.AC = 1 lets past SMAP, below it. */
static unsigned data_who(const struct cpu *cpu, unsigned flags)
{
    if (flags & MMU_SYS)
        return 0;
    if (cpu->cpl == 3)
        return WALK_USER;
    return (cpu->rflags & EFLAGS_AC) ? WALK_SMAP_OK : 0;
}

/* Instruction fetches: user-mode at CPL 3 (SMAP does not apply). */
static unsigned fetch_who(const struct cpu *cpu)
{
    return cpu->cpl == 3 ? WALK_USER : 0;
}

/* #AC: CR0.AM, EFLAGS.AC, CPL 3 and a misaligned data access (SDM 6.15). */
static void check_alignment(struct cpu *cpu, uint64_t lin, unsigned size, unsigned flags)
{
    if ((lin & (size - 1)) && !(flags & MMU_SYS) && cpu->cpl == 3 &&
        (cpu->cr0 & CR0_AM) && (cpu->rflags & EFLAGS_AC))
        cpu_raise(cpu, EXC_AC, true, 0);
}

static uint64_t read_via(struct cpu *cpu, const struct xlat *x, uint64_t lin, unsigned size)
{
    if (!(x->tag & TLB_SLOW)) {
        uint64_t v = 0;
        memcpy(&v, (const uint8_t *)(uintptr_t)(lin + x->addend), size);
        return v;
    }
    return phys_read_n(cpu->mem, x->paddr | (lin & 0xfff), size);
}

static void write_via(struct cpu *cpu, const struct xlat *x, uint64_t lin,
                      uint64_t v, unsigned size)
{
    if (!(x->tag & TLB_SLOW)) {
        memcpy((uint8_t *)(uintptr_t)(lin + x->addend), &v, size);
        return;
    }
    phys_write_n(cpu->mem, x->paddr | (lin & 0xfff), v, size);
}

uint64_t mmu_read_slow(struct cpu *cpu, uint64_t lin, unsigned size, unsigned flags)
{
    if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_MEM))    /* watchpoints, --stats */
        trace_mem_access(cpu, lin, size, false);
    check_alignment(cpu, lin, size, flags);
    unsigned who = data_who(cpu, flags);
    unsigned first = 0x1000 - (lin & 0xfff);
    if (first >= size) {
        struct xlat x = xlat_get(cpu, lin, TLB_READ, who);
        return read_via(cpu, &x, lin, size);
    }

    /* Crosses a page: translate both before reading either (both may fault). */
    uint64_t lin2 = sys_linear(cpu, lin, first);
    struct xlat x1 = xlat_get(cpu, lin, TLB_READ, who);
    struct xlat x2 = xlat_get(cpu, lin2, TLB_READ, who);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = sys_linear(cpu, lin, i);
        v |= read_via(cpu, i < first ? &x1 : &x2, a, 1) << (8 * i);
    }
    return v;
}

void mmu_write_slow(struct cpu *cpu, uint64_t lin, uint64_t v, unsigned size, unsigned flags)
{
    if (TRACE_UNLIKELY(cpu->trace_flags & TRACE_HOOK_MEM))    /* watchpoints, --stats */
        trace_mem_access(cpu, lin, size, true);
    check_alignment(cpu, lin, size, flags);
    unsigned who = data_who(cpu, flags);
    unsigned first = 0x1000 - (lin & 0xfff);
    if (first >= size) {
        int priv = (who & WALK_USER) ? TLB_USER : TLB_SUPER;
        struct xlat x = xlat_get(cpu, lin, TLB_WRITE, who);
        write_via(cpu, &x, lin, v, size);
        /* A page that was slow only because it held code is plain RAM again
         * once the write cleared its mark (a clean device RAM page is dirty
         * after it): let the next writes go fast (if the code-write hook did
         * not flush this entry meanwhile). */
        const struct tlb_entry *e = &cpu->tlb.e[priv][tlb_index(lin)];
        if ((x.tag & TLB_SLOW) && e->tag[TLB_WRITE] == ((lin & TLB_PAGE_MASK) | TLB_VALID | TLB_SLOW))
            tlb_set(cpu, lin, priv, TLB_WRITE, x.paddr, x.flags);
        return;
    }
    /* Both pages must be writable before the first byte is stored. */
    uint64_t lin2 = sys_linear(cpu, lin, first);
    struct xlat x1 = xlat_get(cpu, lin, TLB_WRITE, who);
    struct xlat x2 = xlat_get(cpu, lin2, TLB_WRITE, who);
    for (unsigned i = 0; i < size; i++)
        write_via(cpu, i < first ? &x1 : &x2, sys_linear(cpu, lin, i), (v >> (8 * i)) & 0xff, 1);
}

uint8_t mmu_fetch_slow(struct cpu *cpu, uint64_t lin)
{
    struct xlat x = xlat_get(cpu, lin, TLB_EXEC, fetch_who(cpu));
    return (uint8_t)read_via(cpu, &x, lin, 1);
}

static void probe(struct cpu *cpu, uint64_t lin, uint32_t len, int kind)
{
    if (len == 0)
        return;
    unsigned who = data_who(cpu, 0);
    /* Every page in [lin, lin + len - 1], stepping by pages (the range
     * wraps where linear addresses do, at 4 GiB outside long mode). */
    uint64_t page = lin & TLB_PAGE_MASK;
    uint64_t npages = (((lin & 0xfff) + len - 1) >> 12) + 1;
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t a = i == 0 ? lin : sys_linear(cpu, page, i * 0x1000);
        tlb_get(cpu, a, kind, who);
    }
}

void mmu_probe_write(struct cpu *cpu, uint64_t lin, uint32_t len)
{
    probe(cpu, lin, len, TLB_WRITE);
}

void mmu_probe_read(struct cpu *cpu, uint64_t lin, uint32_t len)
{
    probe(cpu, lin, len, TLB_READ);
}

uint64_t mmu_translate_exec_slow(struct cpu *cpu, uint64_t lin)
{
    return xlat_get(cpu, lin, TLB_EXEC, fetch_who(cpu)).paddr | (lin & 0xfff);
}

int64_t mmu_translate_debug(struct cpu *cpu, uint64_t lin)
{
    uint64_t paddr = lin;
    if (cpu->cr0 & CR0_PG) {
        struct walk_result w;
        if (paging_walk(cpu, lin, WALK_READ, 0, true, &w) & WALK_FAULT)
            return -1;
        paddr = w.paddr;
    }
    return (int64_t)(paddr & cpu->mem->a20_mask);
}
