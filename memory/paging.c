/*
 * paging.c - the guest page-table walker: linear -> physical, with the
 * permission rules, Accessed/Dirty updates and #PF error codes of
 * Intel SDM Vol. 3A ch. 4 (4.3 32-bit paging, 4.4 PAE paging, 4.5 4-level
 * paging with 1 GiB, 2 MiB and 4 KiB pages in IA-32e mode, 4.6 access
 * rights with SMEP and SMAP, 4.7 page-fault exceptions, 4.8 accessed and
 * dirty flags).
 *
 * Simplification: the four PAE PDPTEs are read from memory at every walk
 * instead of being loaded into registers at MOV CR3 (SDM 4.4.1). Guests
 * that change a PDPTE without reloading CR3 see the change earlier than on
 * hardware; a PDPTE with reserved bits set gives #PF(RSVD) at the walk
 * instead of #GP at MOV CR3.
 */
#include "memory/paging.h"
#include "memory/mmu.h"
#include "memory/physmem.h"

/* Physical-address bits an entry may hold: 51..12 limited to MAXPHYADDR. */
#define PAE_ADDR_MASK (((1ull << MMU_PHYS_ADDR_BITS) - 1) & ~0xfffull)
/* Bits 62..MAXPHYADDR are reserved in every PAE entry (SDM table 4-8..4-11). */
#define PAE_RSVD_HIGH (((1ull << 63) - 1) & ~((1ull << MMU_PHYS_ADDR_BITS) - 1))
/* PAE PDPTE: bits 2:1 and 8:5 are reserved too (SDM table 4-8). */
#define PDPTE_RSVD    (PAE_RSVD_HIGH | PTE_XD | 0x1e6ull)
/* A 2 MiB PDE: bits 20:13 reserved (bit 12 is PAT). */
#define PDE2M_RSVD    0x1fe000ull
/* A 1 GiB PDPTE: bits 29:13 reserved; PS in a PML4E is reserved (table 4-15..4-17). */
#define PDPE1G_RSVD   0x3fffe000ull

static uint64_t read_entry(struct cpu *cpu, uint64_t addr, bool pae)
{
    addr &= cpu->mem->a20_mask;
    return pae ? phys_read64(cpu->mem, addr) : phys_read32(cpu->mem, addr);
}

/* Set bits in the low dword of an entry (A and D live there in both formats).
 * Hardware does this as a locked read-modify-write; there is one CPU here. */
static void set_entry_bits(struct cpu *cpu, uint64_t addr, uint64_t entry, uint32_t bits)
{
    if (((uint32_t)entry & bits) != bits)
        phys_write32(cpu->mem, addr & cpu->mem->a20_mask, (uint32_t)entry | bits);
}

/* id_bit: whether fetches report I/D, which they do only when CR4.SMEP is
 * set or execute-disable exists (PAE paging with EFER.NXE; SDM 4.7). */
static uint32_t fault(enum walk_access acc, bool user, bool id_bit, uint32_t bits)
{
    uint32_t ec = bits;
    if (acc == WALK_WRITE)
        ec |= PFEC_W;
    if (user)
        ec |= PFEC_U;
    if (acc == WALK_EXEC && id_bit)
        ec |= PFEC_I;
    return ec | WALK_FAULT;
}

uint32_t paging_walk(struct cpu *cpu, uint64_t lin, enum walk_access acc, unsigned who,
                     bool debug, struct walk_result *out)
{
    const bool user = who & WALK_USER;
    const bool pae = cpu->cr4 & CR4_PAE;
    const bool nxe = pae && (cpu->efer & EFER_NXE);
    const bool id_bit = nxe || (cpu->cr4 & CR4_SMEP);
    uint64_t ent_addr[4];   /* the entries used, top level first */
    uint64_t ent[4];
    int levels = 0;         /* how many of ent[] were used */
    uint64_t leaf;
    uint64_t paddr;
    uint32_t page_size;

    if (cpu->efer & EFER_LMA) {
        /* 4-level paging: PML4E, PDPTE (PS: 1 GiB), PDE (PS: 2 MiB), PTE;
         * 9 bits of the linear address per level from bit 39 down. */
        const uint64_t rsvd = PAE_RSVD_HIGH | (nxe ? 0 : PTE_XD);
        uint64_t table = cpu->cr3 & PAE_ADDR_MASK;
        page_size = 4096;
        for (;;) {
            int shift = 39 - 9 * levels;
            ent_addr[levels] = table + (((lin >> shift) & 0x1ff) << 3);
            uint64_t e = read_entry(cpu, ent_addr[levels], true);
            ent[levels++] = e;
            if (!(e & PTE_P))
                return fault(acc, user, id_bit, 0);
            bool ps = e & PTE_PS;
            if ((e & rsvd) || (ps && levels == 1) || (ps && levels == 2 && (e & PDPE1G_RSVD))
                || (ps && levels == 3 && (e & PDE2M_RSVD)))
                return fault(acc, user, id_bit, PFEC_P | PFEC_RSVD);
            if (levels == 4 || ps) {
                uint64_t low = (1ull << shift) - 1;
                page_size = (uint32_t)(low + 1);
                paddr = (e & PAE_ADDR_MASK & ~low) | (lin & low);
                break;
            }
            table = e & PAE_ADDR_MASK;
        }
    } else if (pae) {
        /* Reserved bits in PAE entries, including XD when NXE is off. */
        const uint64_t rsvd = PAE_RSVD_HIGH | (nxe ? 0 : PTE_XD);

        uint64_t pdpte_addr = (cpu->cr3 & 0xffffffe0u) + ((lin >> 30) << 3);
        uint64_t pdpte = read_entry(cpu, pdpte_addr, true);
        if (!(pdpte & PTE_P))
            return fault(acc, user, id_bit, 0);
        if (pdpte & PDPTE_RSVD)
            return fault(acc, user, id_bit, PFEC_P | PFEC_RSVD);

        ent_addr[0] = (pdpte & PAE_ADDR_MASK) + (((lin >> 21) & 0x1ff) << 3);
        ent[0] = read_entry(cpu, ent_addr[0], true);
        levels = 1;
        if (!(ent[0] & PTE_P))
            return fault(acc, user, id_bit, 0);
        if ((ent[0] & rsvd) || ((ent[0] & PTE_PS) && (ent[0] & PDE2M_RSVD)))
            return fault(acc, user, id_bit, PFEC_P | PFEC_RSVD);
        if (ent[0] & PTE_PS) {
            page_size = 2u << 20;
            paddr = (ent[0] & PAE_ADDR_MASK & ~0x1fffffull) | (lin & 0x1fffff);
        } else {
            ent_addr[1] = (ent[0] & PAE_ADDR_MASK) + (((lin >> 12) & 0x1ff) << 3);
            ent[1] = read_entry(cpu, ent_addr[1], true);
            levels = 2;
            if (!(ent[1] & PTE_P))
                return fault(acc, user, id_bit, 0);
            if (ent[1] & rsvd)
                return fault(acc, user, id_bit, PFEC_P | PFEC_RSVD);
            page_size = 4096;
            paddr = (ent[1] & PAE_ADDR_MASK) | (lin & 0xfff);
        }
    } else {
        ent_addr[0] = (cpu->cr3 & 0xfffff000u) + ((lin >> 22) << 2);
        ent[0] = read_entry(cpu, ent_addr[0], false);
        levels = 1;
        if (!(ent[0] & PTE_P))
            return fault(acc, user, id_bit, 0);
        if ((ent[0] & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
            /* 4 MiB page; PSE-36: PDE bits 20:13 are physical bits 39:32,
             * those at or above MAXPHYADDR and bit 21 are reserved (table 4-5). */
            uint64_t high = (ent[0] >> 13) & 0xff;
            if ((high >> (MMU_PHYS_ADDR_BITS - 32)) || (ent[0] & (1u << 21)))
                return fault(acc, user, id_bit, PFEC_P | PFEC_RSVD);
            page_size = 4u << 20;
            paddr = (ent[0] & 0xffc00000u) | (high << 32) | (lin & 0x3fffff);
        } else {
            ent_addr[1] = (ent[0] & 0xfffff000u) + (((lin >> 12) & 0x3ff) << 2);
            ent[1] = read_entry(cpu, ent_addr[1], false);
            levels = 2;
            if (!(ent[1] & PTE_P))
                return fault(acc, user, id_bit, 0);
            page_size = 4096;
            paddr = (ent[1] & 0xfffff000u) | (lin & 0xfff);
        }
    }
    leaf = ent[levels - 1];

    bool smap_user_page = false;
    if (!debug) {
        /* Access rights combine over the levels (SDM 4.6): writable and
         * user-accessible only if every level says so; XD if any level does. */
        bool rw = true, us = true, xd = false;
        for (int i = 0; i < levels; i++) {
            rw = rw && (ent[i] & PTE_RW);
            us = us && (ent[i] & PTE_US);
            xd = xd || (nxe && (ent[i] & PTE_XD));
        }
        bool ok = true;
        if (user && !us)
            ok = false;
        if (acc == WALK_WRITE && !rw && (user || (cpu->cr0 & CR0_WP)))
            ok = false;
        if (acc == WALK_EXEC && xd)
            ok = false;
        /* Supervisor accesses to user-mode addresses (U/S = 1 at every
         * level, 4.6.1): SMEP forbids fetches from them; SMAP forbids data
         * accesses to them unless the access is explicit with EFLAGS.AC = 1
         * (the caller says so with WALK_SMAP_OK). */
        if (!user && us && acc == WALK_EXEC && (cpu->cr4 & CR4_SMEP))
            ok = false;
        smap_user_page = !user && us && acc != WALK_EXEC && (cpu->cr4 & CR4_SMAP);
        if (smap_user_page && !(who & WALK_SMAP_OK))
            ok = false;
        if (!ok)
            return fault(acc, user, id_bit, PFEC_P);

        /* Accessed on every entry used, Dirty on the leaf for writes (4.8). */
        for (int i = 0; i < levels; i++) {
            uint32_t bits = PTE_A;
            if (i == levels - 1 && acc == WALK_WRITE)
                bits |= PTE_D;
            set_entry_bits(cpu, ent_addr[i], ent[i], bits);
        }
    }

    out->paddr = paddr;
    out->page_size = page_size;
    out->global = (cpu->cr4 & CR4_PGE) && (leaf & PTE_G);
    out->smap_user_page = smap_user_page;
    return 0;
}
