/*
 * mmu.h - the softMMU: linear-address accesses from the CPU, translated
 * through the guest page tables (SDM Vol. 3A ch. 4) and cached in the TLB.
 *
 * Linear addresses come from cpu/ after segmentation (base + offset, limit
 * checked). A failed translation raises #PF through cpu_raise_pf and does not
 * return. Accesses that cross a page are split, and check both pages before
 * writing either.
 *
 * The accessors below are the fast path: a TLB hit inside one page goes
 * straight to host memory. Everything else (misses, page-crossing accesses,
 * MMIO/ROM/code pages, alignment checks) goes to the slow path in mmu.c.
 *
 * Who flushes (cpu/ calls these, SDM Vol. 3A 4.10.4):
 *   MOV CR3                                   -> tlb_flush_nonglobal
 *   MOV CR0 changing PG/WP/PE, MOV CR4 changing PGE/PAE/PSE,
 *   WRMSR EFER changing NXE, task switch with a new CR3 (also nonglobal) -> tlb_flush_all
 *   INVLPG                                    -> tlb_flush_page
 * The physical map flushes by itself when PAM, MMIO, ROM or A20 change.
 */
#ifndef SOFTVM_MEMORY_MMU_H
#define SOFTVM_MEMORY_MMU_H

#include <stdint.h>
#include <string.h>
#include "cpu/cpu.h"

/* Physical address width the walker enforces in PAE entries (bits at and
 * above it are reserved, SDM Vol. 3A 4.4.2): CPUID 0x80000008 should agree. */
#define MMU_PHYS_ADDR_BITS 36

/* --- slow path (mmu.c) ---------------------------------------------------- */

#define MMU_SYS 1u   /* implicit supervisor access: ignores CPL, no #AC */
uint64_t mmu_read_slow(struct cpu *cpu, uint64_t lin, unsigned size, unsigned flags);
void mmu_write_slow(struct cpu *cpu, uint64_t lin, uint64_t v, unsigned size, unsigned flags);
uint8_t mmu_fetch_slow(struct cpu *cpu, uint64_t lin);

/* --- fast path ------------------------------------------------------------ */

#if defined(__GNUC__)
#define MMU_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define MMU_LIKELY(x) (x)
#endif

/* Host address of [lin, lin+size) if the TLB has a fast entry for it and the
 * access stays inside one page, else NULL. */
static inline uint8_t *mmu_fast_host(struct cpu *cpu, uint64_t lin, unsigned size,
                                     int priv, int kind)
{
    const struct tlb_entry *e = &cpu->tlb.e[priv][tlb_index(lin)];
    if (MMU_LIKELY(e->tag[kind] == ((lin & TLB_PAGE_MASK) | TLB_VALID) && (lin & 0xfffu) <= 0x1000u - size))
        return (uint8_t *)(uintptr_t)(lin + e->addend);
    return NULL;
}

/* Data accesses at the current CPL. A misaligned access with CR0.AM set
 * goes slow so the slow path can decide on #AC (EFLAGS.AC, CPL 3). */
static inline int mmu_priv(const struct cpu *cpu)
{
    return cpu->cpl == 3 ? TLB_USER : TLB_SUPER;
}

#define MMU_DEFINE_ACCESS(bits)                                                        \
static inline uint##bits##_t mmu_read##bits(struct cpu *cpu, uint64_t lin)            \
{                                                                                     \
    uint8_t *h = mmu_fast_host(cpu, lin, bits / 8, mmu_priv(cpu), TLB_READ);          \
    if (MMU_LIKELY(h && (!(lin & (bits / 8 - 1)) || !(cpu->cr0 & CR0_AM)))) {          \
        uint##bits##_t v;                                                             \
        memcpy(&v, h, sizeof(v));                                                     \
        return v;                                                                     \
    }                                                                                 \
    return (uint##bits##_t)mmu_read_slow(cpu, lin, bits / 8, 0);                      \
}                                                                                     \
static inline void mmu_write##bits(struct cpu *cpu, uint64_t lin, uint##bits##_t v)   \
{                                                                                     \
    uint8_t *h = mmu_fast_host(cpu, lin, bits / 8, mmu_priv(cpu), TLB_WRITE);         \
    if (MMU_LIKELY(h && (!(lin & (bits / 8 - 1)) || !(cpu->cr0 & CR0_AM)))) {          \
        memcpy(h, &v, sizeof(v));                                                     \
        return;                                                                       \
    }                                                                                 \
    mmu_write_slow(cpu, lin, v, bits / 8, 0);                                         \
}

MMU_DEFINE_ACCESS(8)
MMU_DEFINE_ACCESS(16)
MMU_DEFINE_ACCESS(32)
MMU_DEFINE_ACCESS(64)

/* Supervisor accesses regardless of CPL: descriptor tables, TSS, IDT
 * (SDM Vol. 3A 4.6 "implicit supervisor-mode accesses"). */
#define MMU_DEFINE_SYS_ACCESS(bits)                                                   \
static inline uint##bits##_t mmu_read##bits##_sys(struct cpu *cpu, uint64_t lin)      \
{                                                                                     \
    uint8_t *h = mmu_fast_host(cpu, lin, bits / 8, TLB_SUPER, TLB_READ);              \
    if (MMU_LIKELY(h != NULL)) {                                                      \
        uint##bits##_t v;                                                             \
        memcpy(&v, h, sizeof(v));                                                     \
        return v;                                                                     \
    }                                                                                 \
    return (uint##bits##_t)mmu_read_slow(cpu, lin, bits / 8, MMU_SYS);                \
}                                                                                     \
static inline void mmu_write##bits##_sys(struct cpu *cpu, uint64_t lin, uint##bits##_t v) \
{                                                                                     \
    uint8_t *h = mmu_fast_host(cpu, lin, bits / 8, TLB_SUPER, TLB_WRITE);             \
    if (MMU_LIKELY(h != NULL)) {                                                      \
        memcpy(h, &v, sizeof(v));                                                     \
        return;                                                                       \
    }                                                                                 \
    mmu_write_slow(cpu, lin, v, bits / 8, MMU_SYS);                                   \
}

MMU_DEFINE_SYS_ACCESS(8)
MMU_DEFINE_SYS_ACCESS(16)
MMU_DEFINE_SYS_ACCESS(32)
MMU_DEFINE_SYS_ACCESS(64)

/* Instruction fetch (execute permission, NX). */
static inline uint8_t mmu_fetch8(struct cpu *cpu, uint64_t lin)
{
    uint8_t *h = mmu_fast_host(cpu, lin, 1, mmu_priv(cpu), TLB_EXEC);
    if (MMU_LIKELY(h != NULL))
        return *h;
    return mmu_fetch_slow(cpu, lin);
}

/* Check a write to [lin, lin+len) would succeed (raising #PF if not) without
 * writing: for instructions that must fault before changing any state.
 * Uses the current CPL; sets Dirty bits like the write would. */
void mmu_probe_write(struct cpu *cpu, uint64_t lin, uint32_t len);
/* Same for reads (e.g. a multi-part load that must not fault half-way). */
void mmu_probe_read(struct cpu *cpu, uint64_t lin, uint32_t len);

/* Translate for the fetcher/translator: physical address of lin for execute
 * at the current CPL (may raise #PF). */
uint64_t mmu_translate_exec_slow(struct cpu *cpu, uint64_t lin);
static inline uint64_t mmu_translate_exec(struct cpu *cpu, uint64_t lin)
{
    int priv = mmu_priv(cpu);
    unsigned i = tlb_index(lin);
    const struct tlb_entry *e = &cpu->tlb.e[priv][i];
    if (MMU_LIKELY((e->tag[TLB_EXEC] & ~(uint64_t)TLB_SLOW) == ((lin & TLB_PAGE_MASK) | TLB_VALID)))
        return cpu->tlb.page[priv][i].paddr | (lin & 0xfffu);
    return mmu_translate_exec_slow(cpu, lin);
}
/* The exec-TLB hit of mmu_translate_exec alone: true and *phys when lin hits,
 * false (no walk, no fault) otherwise. Block chaining uses it to check that
 * a successor block is still what CS:EIP translates to. */
static inline bool mmu_exec_probe(const struct cpu *cpu, uint64_t lin, uint64_t *phys)
{
    int priv = mmu_priv(cpu);
    unsigned i = tlb_index(lin);
    const struct tlb_entry *e = &cpu->tlb.e[priv][i];
    if (MMU_LIKELY((e->tag[TLB_EXEC] & ~(uint64_t)TLB_SLOW) == ((lin & TLB_PAGE_MASK) | TLB_VALID))) {
        *phys = cpu->tlb.page[priv][i].paddr | (lin & 0xfffu);
        return true;
    }
    return false;
}
/* Translate without faulting or setting A/D (debugger, tracer): -1 if unmapped. */
int64_t mmu_translate_debug(struct cpu *cpu, uint64_t lin);

/* A CPU's TLB registers with cpu->mem at its first miss, so that map changes
 * (PAM, MMIO, ROM, A20, new code pages) can flush it. Call mmu_detach before
 * freeing a struct cpu whose phys_mem lives on (not needed when both go). */
void mmu_detach(struct cpu *cpu);

/* TLB maintenance (SDM Vol. 3A 4.10.4). */
void tlb_flush_all(struct cpu *cpu);              /* CR0/CR4 paging changes */
void tlb_flush_nonglobal(struct cpu *cpu);        /* MOV to CR3 */
void tlb_flush_page(struct cpu *cpu, uint64_t lin);/* INVLPG */

#endif
