/*
 * paging.h - the guest page-table walker (private to memory/).
 * SDM Vol. 3A ch. 4: 32-bit paging (4.3) with PSE/PSE-36 4 MiB pages,
 * PAE paging (4.4) with 2 MiB pages and execute-disable (EFER.NXE).
 */
#ifndef SOFTVM_MEMORY_PAGING_H
#define SOFTVM_MEMORY_PAGING_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/cpu.h"

/* Page-table entry bits (SDM Vol. 3A tables 4-4 .. 4-11). */
#define PTE_P    0x001u
#define PTE_RW   0x002u
#define PTE_US   0x004u
#define PTE_PWT  0x008u
#define PTE_PCD  0x010u
#define PTE_A    0x020u
#define PTE_D    0x040u
#define PTE_PS   0x080u
#define PTE_G    0x100u
#define PTE_XD   (1ull << 63)

/* #PF error code bits (SDM Vol. 3A 4.7, figure 4-12). */
#define PFEC_P    0x01u
#define PFEC_W    0x02u
#define PFEC_U    0x04u
#define PFEC_RSVD 0x08u
#define PFEC_I    0x10u

enum walk_access { WALK_READ, WALK_WRITE, WALK_EXEC };

struct walk_result {
    uint64_t paddr;        /* physical address of lin (before A20) */
    uint32_t page_size;    /* 4 KiB, 2 MiB or 4 MiB */
    bool global;           /* G=1 in the leaf and CR4.PGE=1 */
};

/*
 * Walk the page tables for lin. user: the access is a user-mode access
 * (CPL 3, not an implicit supervisor access). On success fills *out, sets the
 * Accessed bits of the entries used and, for writes, the leaf's Dirty bit;
 * returns 0. On failure returns the #PF error code with bit 31 set
 * (WALK_FAULT) and changes nothing.
 * With debug set: no permission checks and no A/D updates (tracer, gdb).
 */
#define WALK_FAULT 0x80000000u
uint32_t paging_walk(struct cpu *cpu, uint64_t lin, enum walk_access acc, bool user,
                     bool debug, struct walk_result *out);

#endif
