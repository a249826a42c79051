/*
 * paging.h - the guest page-table walker (private to memory/).
 * SDM Vol. 3A ch. 4: 32-bit paging (4.3) with PSE/PSE-36 4 MiB pages,
 * PAE paging (4.4) with 2 MiB pages and execute-disable (EFER.NXE), 4-level
 * paging (4.5); access rights with SMEP and SMAP (4.6).
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
    bool smap_user_page;   /* a supervisor data access to a user-mode address
                              under CR4.SMAP: allowed only with WALK_SMAP_OK */
};

/* Who makes the access (SDM Vol. 3A 4.6.1), paging_walk's who. 0: a
 * supervisor access that SMAP keeps off user-mode addresses (CPL < 3 with
 * EFLAGS.AC = 0, or an implicit supervisor access at any CPL). */
#define WALK_USER    1u    /* a user-mode access: CPL 3, not implicit */
#define WALK_SMAP_OK 2u    /* an explicit supervisor access with EFLAGS.AC = 1 */

/*
 * Walk the page tables for lin, for an access by who (WALK_*). On success
 * fills *out, sets the
 * Accessed bits of the entries used and, for writes, the leaf's Dirty bit;
 * returns 0. On failure returns the #PF error code with bit 31 set
 * (WALK_FAULT) and changes nothing.
 * With debug set: no permission checks and no A/D updates (tracer, gdb).
 */
#define WALK_FAULT 0x80000000u
uint32_t paging_walk(struct cpu *cpu, uint64_t lin, enum walk_access acc, unsigned who,
                     bool debug, struct walk_result *out);

#endif
