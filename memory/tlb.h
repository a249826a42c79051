/*
 * tlb.h - the softMMU translation cache embedded in struct cpu.
 * Owned by memory/ (see mmu.h for how it is used).
 *
 * One direct-mapped table per privilege (supervisor, user), indexed by the
 * low bits of the linear page number (tlb_index). A slot is one 32-byte
 * struct tlb_entry for one linear page: a tag per access kind (read, write,
 * execute) and the addend the kinds share. That is the layout translated
 * code indexes: &cpu->tlb.e[priv][tlb_index(lin)], the tag of a kind at
 * offset 8 * kind, the addend at 24 (the idea of QEMU's CPUTLBEntry).
 *
 * A kind's tag equal to the 4 KiB-aligned linear page | TLB_VALID is a fast
 * hit: the host address is lin + addend. Kinds that need the slow path
 * (MMIO, ROM writes, code pages, unassigned, debugger watchpoints) also set
 * TLB_SLOW, so the fast compare misses while the slow path can still reuse
 * the translation (page[][].paddr) without a page walk. A tag of 0 misses.
 *
 * Filling one kind of a slot for another linear page (or another physical
 * page, or another G bit) clears the other kinds' tags; filling it for the
 * same page keeps them. When the new kind's host address differs from the
 * one the other fast tags use (PAM: reads from ROM, writes to RAM), those
 * tags turn slow, so one addend always serves every fast tag.
 *
 * The write tag is only filled by a write walk, which sets the Dirty bit:
 * so a page that is not dirty yet always misses for writes. A write walk
 * also fills the read tag (it proved the page readable and set A/D).
 */
#ifndef SOFTVM_MEMORY_TLB_H
#define SOFTVM_MEMORY_TLB_H

#include <stdint.h>

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)

/* Low tag bits (a linear page has them all zero). An all-zero entry is
 * invalid, so a zeroed struct cpu starts with an empty TLB. */
#define TLB_VALID   0x001u   /* the entry holds a translation */
#define TLB_SLOW    0x002u   /* translation valid, but use the slow path */
#define TLB_PAGE_MASK (~(uint64_t)0xfff)   /* the linear page of an address */

/* Entry flags. */
#define TLBF_GLOBAL 0x01u    /* from a G=1 leaf with CR4.PGE: survives MOV CR3 */
/* A supervisor data translation of a user-mode address under CR4.SMAP
 * (made for an explicit access with EFLAGS.AC = 1): its tags are slow, and
 * the slow path lets only accesses that SMAP allows use it. */
#define TLBF_SMAP   0x02u

enum { TLB_READ, TLB_WRITE, TLB_EXEC, TLB_KINDS };
enum { TLB_SUPER, TLB_USER, TLB_PRIVS };

/* What translated code looks at: 32 bytes, one linear page. */
struct tlb_entry {
    uint64_t tag[TLB_KINDS];    /* per kind: linear page | TLB_VALID [| TLB_SLOW], or 0 */
    uint64_t addend;            /* host address = linear address + addend (fast tags) */
};
_Static_assert(sizeof(struct tlb_entry) == 32, "translated code indexes 32-byte TLB entries");

/* The rest of a slot, which only the slow path reads; meaningful while one
 * of the slot's tags is nonzero. */
struct tlb_page {
    uint64_t paddr;             /* physical page address (A20 applied) */
    uint32_t flags;             /* TLBF_* */
};

static inline unsigned tlb_index(uint64_t lin) { return (unsigned)(lin >> 12) & (TLB_SIZE - 1); }

struct tlb {
    struct tlb_entry e[TLB_PRIVS][TLB_SIZE];
    struct tlb_page page[TLB_PRIVS][TLB_SIZE];
    /* Linear range covering every large (2/4 MiB) page entered since the last
     * full flush: INVLPG inside it must flush everything (SDM 4.10.4.1). */
    uint64_t large_base, large_mask;
    int has_large;
    /* Nonzero while the debugger has watchpoints (frontend/gdbstub.c): data
     * entries are filled slow, so every read and write reaches the slow
     * path, where the watchpoint check is. Changing it needs a flush. */
    int force_slow;
};

/* Invalidate every entry (used by the tlb_flush_* functions and phys_mem). */
void tlb_invalidate(struct tlb *tlb);
/* Make write entries for the physical page slow (it became a code page). */
void tlb_slow_down_writes(struct tlb *tlb, uint64_t paddr_page);
/* The same for every physical page in [lo, hi) (device RAM pages turned
 * clean again), in one pass over the table. */
void tlb_slow_down_writes_range(struct tlb *tlb, uint64_t lo, uint64_t hi);
/* Drop every entry whose physical page lies in [lo, hi) (the range was
 * remapped: a device RAM region moved). */
void tlb_flush_phys_range(struct tlb *tlb, uint64_t lo, uint64_t hi);

#endif
