/*
 * mem_harness.h - helpers for the memory/ unit tests: a zeroed struct cpu
 * on a fresh physical map, page-table builders for 32-bit and PAE paging,
 * and a way to run an access and catch the exception it raises.
 */
#ifndef SOFTVM_TESTS_MEM_HARNESS_H
#define SOFTVM_TESTS_MEM_HARNESS_H

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include "cpu/cpu.h"
#include "memory/memory.h"
#include "memory/mmu.h"

#define MT_RAM (16u << 20)

/* Entry bits (SDM Vol. 3A 4.3/4.4). */
#define P_  0x001u
#define RW_ 0x002u
#define US_ 0x004u
#define A_  0x020u
#define D_  0x040u
#define PS_ 0x080u
#define G_  0x100u
#define XD_ (1ull << 63)

/* #PF error code bits. */
#define EC_P 1u
#define EC_W 2u
#define EC_U 4u
#define EC_RSVD 8u
#define EC_I 16u

static inline struct cpu *mt_cpu(struct phys_mem *pm)
{
    struct cpu *cpu = calloc(1, sizeof(*cpu));
    cr_assert(cpu);
    cpu->mem = pm;
    cpu->exc_vector = -1;
    return cpu;
}

/* Run stmt; evaluates to 1 if it raised an exception (exc_* filled), else 0. */
#define MT_FAULTS(cpu, stmt) ({                      \
    volatile int mt_faulted_ = 0;                    \
    (cpu)->exc_vector = -1;                          \
    if (setjmp((cpu)->exc_jmp) == 0) {               \
        stmt;                                        \
    } else {                                         \
        mt_faulted_ = 1;                             \
    }                                                \
    mt_faulted_; })

/* Assert stmt raises #PF with this error code and CR2. */
#define MT_ASSERT_PF(cpu, stmt, ec, lin) do {                                   \
    cr_assert(MT_FAULTS(cpu, stmt), "expected #PF from " #stmt);                \
    cr_assert_eq((cpu)->exc_vector, EXC_PF, "vector %d", (cpu)->exc_vector);    \
    cr_assert((cpu)->exc_has_error);                                            \
    cr_assert_eq((cpu)->exc_error, (uint32_t)(ec), "error code %#x want %#x",   \
                 (cpu)->exc_error, (uint32_t)(ec));                             \
    cr_assert_eq((cpu)->cr2, (uint32_t)(lin), "cr2 %#x want %#x",               \
                 (cpu)->cr2, (uint32_t)(lin));                                  \
} while (0)

#define MT_ASSERT_OK(cpu, stmt) \
    cr_assert(!MT_FAULTS(cpu, stmt), "unexpected exception %d (ec %#x) from " #stmt, \
              (cpu)->exc_vector, (cpu)->exc_error)

/* --- 32-bit paging: page directory at 0x10000, page tables from 0x11000 --- */
#define PD32 0x10000u

static inline uint32_t pt32_addr(uint32_t lin) { return 0x11000u + (lin >> 22) * 0x1000u; }

static inline void paging32_on(struct cpu *cpu)
{
    cpu->cr3 = PD32;
    cpu->cr0 |= CR0_PG | CR0_PE;
    tlb_flush_all(cpu);
}

/* Map one 4 KiB page with the given PDE and PTE flags. */
static inline void map32(struct cpu *cpu, uint32_t lin, uint32_t phys, uint32_t pde_flags, uint32_t pte_flags)
{
    phys_write32(cpu->mem, PD32 + (lin >> 22) * 4, pt32_addr(lin) | pde_flags);
    phys_write32(cpu->mem, pt32_addr(lin) + ((lin >> 12) & 0x3ff) * 4, (phys & ~0xfffu) | pte_flags);
}

static inline uint32_t pde32(struct cpu *cpu, uint32_t lin)
{
    return phys_read32(cpu->mem, PD32 + (lin >> 22) * 4);
}

static inline uint32_t pte32(struct cpu *cpu, uint32_t lin)
{
    return phys_read32(cpu->mem, pt32_addr(lin) + ((lin >> 12) & 0x3ff) * 4);
}

/* --- PAE paging: PDPT at 0x20000, directories from 0x21000, tables from 0x40000 --- */
#define PDPT 0x20000u

static inline uint32_t pd_pae_addr(uint32_t lin) { return 0x21000u + (lin >> 30) * 0x1000u; }
static inline uint32_t pt_pae_addr(uint32_t lin) { return 0x40000u + (lin >> 21) * 0x1000u; }

static inline void paging_pae_on(struct cpu *cpu, int nxe)
{
    for (uint32_t i = 0; i < 4; i++)
        phys_write64(cpu->mem, PDPT + i * 8, (0x21000u + i * 0x1000u) | P_);
    cpu->cr3 = PDPT;
    cpu->cr4 |= CR4_PAE;
    cpu->efer = nxe ? EFER_NXE : 0;
    cpu->cr0 |= CR0_PG | CR0_PE;
    tlb_flush_all(cpu);
}

static inline uint64_t pde_pae_loc(uint32_t lin) { return pd_pae_addr(lin) + ((lin >> 21) & 0x1ff) * 8; }
static inline uint64_t pte_pae_loc(uint32_t lin) { return pt_pae_addr(lin) + ((lin >> 12) & 0x1ff) * 8; }

static inline void map_pae(struct cpu *cpu, uint32_t lin, uint64_t phys, uint64_t pde_flags, uint64_t pte_flags)
{
    phys_write64(cpu->mem, pde_pae_loc(lin), pt_pae_addr(lin) | pde_flags);
    phys_write64(cpu->mem, pte_pae_loc(lin), (phys & ~0xfffull) | pte_flags);
}

#endif
