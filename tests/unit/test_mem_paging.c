/*
 * test_mem_paging.c - the softMMU page walker and TLB: 32-bit paging with
 * PSE, PAE with NX, U/S and R/W rules with CR0.WP at CPL 0 and 3, #PF error
 * codes and CR2, Accessed/Dirty updates, TLB flush semantics, page-crossing
 * accesses and #AC, SMEP and SMAP (SDM Vol. 3A ch. 4 and 6.15).
 */
#include "mem_harness.h"

static struct phys_mem *pm;
static struct cpu *cpu;

static void setup(void)
{
    pm = phys_mem_create(MT_RAM);
    cr_assert(pm);
    cpu = mt_cpu(pm);
}

static void teardown(void)
{
    free(cpu);
    phys_mem_destroy(pm);
}

TestSuite(mem_paging, .init = setup, .fini = teardown);

Test(mem_paging, paging_off_is_identity)
{
    MT_ASSERT_OK(cpu, mmu_write32(cpu, 0x1234, 0xdeadbeef));
    cr_assert_eq(phys_read32(pm, 0x1234), 0xdeadbeef);
    phys_write16(pm, 0x5ffe, 0xabcd);
    cr_assert_eq(mmu_read16(cpu, 0x5ffe), 0xabcd);
    cr_assert_eq(mmu_translate_debug(cpu, 0x777), 0x777);
}

Test(mem_paging, map32_4k_read_write_and_ad_bits)
{
    paging32_on(cpu);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_);
    phys_write32(pm, 0x900010, 0x11223344);

    cr_assert_eq(mmu_read32(cpu, 0x00400010), 0x11223344);
    cr_assert(pde32(cpu, 0x400000) & A_, "PDE accessed after a read");
    cr_assert(pte32(cpu, 0x400000) & A_, "PTE accessed after a read");
    cr_assert_not(pte32(cpu, 0x400000) & D_, "a read does not set dirty");

    /* The read filled the TLB; the write still has to set D (write walk). */
    mmu_write32(cpu, 0x00400020, 0x55667788);
    cr_assert_eq(phys_read32(pm, 0x900020), 0x55667788);
    cr_assert(pte32(cpu, 0x400000) & D_, "PTE dirty after a write");
    cr_assert_not(pde32(cpu, 0x400000) & D_, "D is only set in the leaf");

    cr_assert_eq(mmu_translate_debug(cpu, 0x00400abc), 0x900abc);
    cr_assert_eq(mmu_translate_debug(cpu, 0x00800000), -1);
}

Test(mem_paging, debug_translate_sets_no_accessed_bit)
{
    paging32_on(cpu);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_);
    cr_assert_eq(mmu_translate_debug(cpu, 0x00400004), 0x900004);
    cr_assert_not(pte32(cpu, 0x400000) & A_);
    cr_assert_not(pde32(cpu, 0x400000) & A_);
}

Test(mem_paging, not_present_error_codes_and_cr2)
{
    paging32_on(cpu);
    /* PDE not present. */
    MT_ASSERT_PF(cpu, mmu_read8(cpu, 0x00c00123), 0, 0x00c00123);
    MT_ASSERT_PF(cpu, mmu_write8(cpu, 0x00c00124, 1), EC_W, 0x00c00124);
    cpu->cpl = 3;
    MT_ASSERT_PF(cpu, mmu_read16(cpu, 0x00c00126), EC_U, 0x00c00126);
    MT_ASSERT_PF(cpu, mmu_write32(cpu, 0x00c00128, 1), EC_U | EC_W, 0x00c00128);
    /* Implicit supervisor accesses at CPL 3 report U/S = 0. */
    MT_ASSERT_PF(cpu, mmu_read32_sys(cpu, 0x00c00100), 0, 0x00c00100);
    MT_ASSERT_PF(cpu, mmu_write16_sys(cpu, 0x00c00102, 1), EC_W, 0x00c00102);
    /* PTE not present under a present PDE. */
    map32(cpu, 0x00400000, 0x900000, P_ | RW_ | US_, 0);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00400fff), EC_U, 0x00400fff);
    cpu->cpl = 0;
    MT_ASSERT_PF(cpu, mmu_translate_exec(cpu, 0x00400001), 0, 0x00400001);
    /* A fault leaves the accessed bits alone. */
    cr_assert_not(pde32(cpu, 0x400000) & A_);
}

/* The SDM 4.6 rules, written independently of the walker. */
static bool expect_allowed(bool user, bool write, bool wp, bool us_all, bool rw_all)
{
    if (user && !us_all)
        return false;
    if (write && !rw_all && (user || wp))
        return false;
    return true;
}

/* One byte access; returns 1 if it raised (kept out of the loop's frame so
 * the loop variables are not live across setjmp). */
static __attribute__((noinline)) int try_access(uint32_t a, bool write, bool sys, uint8_t v)
{
    if (sys)
        return MT_FAULTS(cpu, write ? mmu_write8_sys(cpu, a, v) : (void)mmu_read8_sys(cpu, a));
    return MT_FAULTS(cpu, write ? mmu_write8(cpu, a, v) : (void)mmu_read8(cpu, a));
}

/* Paging on (PAE without NXE, or 32-bit) with lin -> 0x900000. */
static void paging_on_with_page(bool pae, uint32_t lin, uint32_t pdef, uint32_t ptef)
{
    if (pae) {
        paging_pae_on(cpu, 0);
        map_pae(cpu, lin, 0x900000, pdef, ptef);
    } else {
        paging32_on(cpu);
        map32(cpu, lin, 0x900000, pdef, ptef);
    }
}

/* Every U/S and R/W combination at both levels, CPL 0/3, WP 0/1, read/write. */
static void permission_matrix(bool pae)
{
    const uint32_t lin = 0x00403000;
    for (int combo = 0; combo < 64; combo++) {
        bool pde_us = combo & 1, pde_rw = combo & 2, pte_us = combo & 4, pte_rw = combo & 8;
        bool wp = combo & 16, user = combo & 32;
        uint32_t pdef = P_ | (pde_us ? US_ : 0) | (pde_rw ? RW_ : 0);
        uint32_t ptef = P_ | (pte_us ? US_ : 0) | (pte_rw ? RW_ : 0);
        cpu->cpl = 0;
        cpu->cr0 = CR0_PE | (wp ? CR0_WP : 0);
        cpu->cr4 = 0;
        paging_on_with_page(pae, lin, pdef, ptef);
        cpu->cpl = user ? 3 : 0;
        for (int write = 0; write < 2; write++) {
            tlb_flush_all(cpu);
            bool ok = expect_allowed(user, write, wp, pde_us && pte_us, pde_rw && pte_rw);
            uint32_t a = lin + 0x10 + write;
            int faulted = try_access(a, write, false, 0x5a);
            cr_assert_eq(faulted, !ok, "pae=%d combo=%#x write=%d: faulted=%d", pae, combo, write, faulted);
            if (faulted) {
                cr_assert_eq(cpu->exc_vector, EXC_PF);
                cr_assert_eq(cpu->exc_error, EC_P | (write ? EC_W : 0) | (user ? EC_U : 0),
                             "pae=%d combo=%#x write=%d: ec %#x", pae, combo, write, cpu->exc_error);
                cr_assert_eq(cpu->cr2, a);
            } else if (write) {
                cr_assert_eq(phys_read8(pm, 0x900000 + (a & 0xfff)), 0x5a);
            }
            /* Supervisor implicit accesses ignore CPL: only WP matters. */
            tlb_flush_all(cpu);
            bool sys_ok = expect_allowed(false, write, wp, true, pde_rw && pte_rw);
            faulted = try_access(a, write, true, 0x33);
            cr_assert_eq(faulted, !sys_ok, "sys pae=%d combo=%#x write=%d", pae, combo, write);
            if (faulted)
                cr_assert_eq(cpu->exc_error, EC_P | (write ? EC_W : 0));
        }
    }
}

Test(mem_paging, permissions_32bit) { permission_matrix(false); }
Test(mem_paging, permissions_pae) { permission_matrix(true); }

Test(mem_paging, tlb_entry_for_user_does_not_leak_to_supervisor_and_back)
{
    paging32_on(cpu);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_ | US_, P_ | RW_);   /* supervisor page */
    cpu->cpl = 0;
    MT_ASSERT_OK(cpu, mmu_write32(cpu, 0x00400000, 1));           /* fills supervisor entries */
    cpu->cpl = 3;
    MT_ASSERT_PF(cpu, mmu_read32(cpu, 0x00400000), EC_P | EC_U, 0x00400000);
    MT_ASSERT_PF(cpu, mmu_write32(cpu, 0x00400000, 2), EC_P | EC_U | EC_W, 0x00400000);
    cr_assert_eq(phys_read32(pm, 0x900000), 1);
}

Test(mem_paging, pse_4m_pages)
{
    paging32_on(cpu);
    cpu->cr4 |= CR4_PSE;
    tlb_flush_all(cpu);
    /* 4 MiB page at linear 0x00800000 -> physical 0x00400000. */
    phys_write32(pm, PD32 + 2 * 4, 0x00400000 | PS_ | P_ | RW_);
    phys_write32(pm, 0x00400000 + 0x12345, 0xcafef00d);
    cr_assert_eq(mmu_read32(cpu, 0x00812345), 0xcafef00d);
    cr_assert(pde32(cpu, 0x00800000) & A_);
    cr_assert_not(pde32(cpu, 0x00800000) & D_);
    mmu_write32(cpu, 0x00bffffc, 0x0badf00d);
    cr_assert_eq(phys_read32(pm, 0x007ffffc), 0x0badf00d);
    cr_assert(pde32(cpu, 0x00800000) & D_, "D set in the 4 MiB PDE");

    /* PSE-36: PDE bits 16:13 are physical bits 35:32. */
    phys_write32(pm, PD32 + 3 * 4, 0x00400000 | (0x5u << 13) | PS_ | P_);
    cr_assert_eq(mmu_translate_debug(cpu, 0x00c00010), 0x500400010ll);
    /* Bit 21 and PSE-36 bits beyond MAXPHYADDR (36) are reserved. */
    phys_write32(pm, PD32 + 4 * 4, 0x00400000 | (1u << 21) | PS_ | P_);
    MT_ASSERT_PF(cpu, mmu_read8(cpu, 0x01000000), EC_P | EC_RSVD, 0x01000000);
    phys_write32(pm, PD32 + 5 * 4, 0x00400000 | (1u << 17) | PS_ | P_);
    MT_ASSERT_PF(cpu, mmu_write8(cpu, 0x01400000, 0), EC_P | EC_RSVD | EC_W, 0x01400000);
}

Test(mem_paging, ps_bit_ignored_without_cr4_pse)
{
    paging32_on(cpu);
    /* PS set but CR4.PSE clear: the PDE points at a page table. */
    map32(cpu, 0x00400000, 0x900000, P_ | RW_ | PS_, P_ | RW_);
    phys_write32(pm, 0x900008, 0x12345678);
    cr_assert_eq(mmu_read32(cpu, 0x00400008), 0x12345678);
}

Test(mem_paging, pae_4k_2m_and_above_4g)
{
    paging_pae_on(cpu, 0);
    map_pae(cpu, 0x40001000, 0x901000, P_ | RW_, P_ | RW_);
    phys_write32(pm, 0x901ffc, 0xa5a5a5a5);
    cr_assert_eq(mmu_read32(cpu, 0x40001ffc), 0xa5a5a5a5);
    cr_assert(phys_read64(pm, pde_pae_loc(0x40001000)) & A_);
    mmu_write8(cpu, 0x40001000, 7);
    cr_assert(phys_read64(pm, pte_pae_loc(0x40001000)) & D_);
    cr_assert_not(phys_read64(pm, pde_pae_loc(0x40001000)) & D_);

    /* 2 MiB page at 0xC0200000 -> 0x00600000. */
    phys_write64(pm, pde_pae_loc(0xc0200000), 0x00600000 | PS_ | P_ | RW_);
    phys_write32(pm, 0x006abcd0, 0x01020304);
    cr_assert_eq(mmu_read32(cpu, 0xc02abcd0), 0x01020304);
    mmu_write8(cpu, 0xc03fffff, 9);
    cr_assert_eq(phys_read8(pm, 0x007fffff), 9);
    cr_assert(phys_read64(pm, pde_pae_loc(0xc0200000)) & D_);

    /* A 4 KiB page above 4 GiB (36-bit physical). */
    map_pae(cpu, 0x40002000, 0x345678000ull, P_ | RW_, P_);
    cr_assert_eq(mmu_translate_debug(cpu, 0x40002123), 0x345678123ll);
    /* Unassigned physical memory reads all-ones through the MMU. */
    cr_assert_eq(mmu_read32(cpu, 0x40002000), 0xffffffffu);
}

Test(mem_paging, pae_reserved_bits)
{
    paging_pae_on(cpu, 0);
    /* XD is reserved when EFER.NXE = 0. */
    map_pae(cpu, 0x00401000, 0x901000, P_ | RW_, P_ | RW_ | XD_);
    MT_ASSERT_PF(cpu, mmu_read8(cpu, 0x00401000), EC_P | EC_RSVD, 0x00401000);
    /* Physical address bits at/above MAXPHYADDR in a PTE. */
    map_pae(cpu, 0x00402000, 0x901000 | (1ull << 40), P_ | RW_, P_ | RW_);
    cpu->cpl = 3;
    MT_ASSERT_PF(cpu, mmu_write8(cpu, 0x00402004, 1), EC_P | EC_RSVD | EC_W | EC_U, 0x00402004);
    cpu->cpl = 0;
    /* ... and in a PDE. */
    phys_write64(pm, pde_pae_loc(0x00800000), pt_pae_addr(0x00800000) | (1ull << 50) | P_ | RW_);
    MT_ASSERT_PF(cpu, mmu_read8(cpu, 0x00800000), EC_P | EC_RSVD, 0x00800000);
    /* A 2 MiB PDE with bits 20:13 set. */
    phys_write64(pm, pde_pae_loc(0x00a00000), 0x00600000 | (1u << 13) | PS_ | P_);
    MT_ASSERT_PF(cpu, mmu_read8(cpu, 0x00a00000), EC_P | EC_RSVD, 0x00a00000);
    /* A PDPTE with a reserved bit (bit 1 = R/W is reserved there). */
    phys_write64(pm, PDPT + 3 * 8, 0x24000 | P_ | RW_);
    tlb_flush_all(cpu);
    MT_ASSERT_PF(cpu, mmu_read8(cpu, 0xc0000000), EC_P | EC_RSVD, 0xc0000000);
    /* A non-present PDPTE. */
    phys_write64(pm, PDPT + 2 * 8, 0);
    MT_ASSERT_PF(cpu, mmu_write8(cpu, 0x80000000, 1), EC_W, 0x80000000);
}

Test(mem_paging, nx_execute_disable)
{
    paging_pae_on(cpu, 1);
    map_pae(cpu, 0x00401000, 0x901000, P_ | RW_ | US_, P_ | RW_ | US_ | XD_);
    phys_write8(pm, 0x901000, 0x90);
    /* Data accesses are fine; fetches fault with I/D set. */
    cr_assert_eq(mmu_read8(cpu, 0x00401000), 0x90);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00401000), EC_P | EC_I, 0x00401000);
    cpu->cpl = 3;
    MT_ASSERT_PF(cpu, mmu_translate_exec(cpu, 0x00401001), EC_P | EC_I | EC_U, 0x00401001);
    /* XD in the PDE applies to every page under it. */
    map_pae(cpu, 0x00801000, 0x902000, P_ | RW_ | US_ | XD_, P_ | RW_ | US_);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00801000), EC_P | EC_I | EC_U, 0x00801000);
    /* A non-present page fetched with NXE on: I/D set, P clear. */
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00c01000), EC_I | EC_U, 0x00c01000);
    /* Executable page. */
    map_pae(cpu, 0x00402000, 0x903000, P_ | RW_ | US_, P_ | US_);
    phys_write8(pm, 0x903005, 0xc3);
    cr_assert_eq(mmu_fetch8(cpu, 0x00402005), 0xc3);
    cr_assert_eq(mmu_translate_exec(cpu, 0x00402005), 0x903005);
}

Test(mem_paging, no_id_bit_without_nx)
{
    /* 32-bit paging: instruction fetch faults never set I/D. */
    paging32_on(cpu);
    cpu->efer = EFER_NXE;
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_);
    cpu->cpl = 3;
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00400000), EC_P | EC_U, 0x00400000);
    /* PAE without NXE: neither. */
    cpu->cpl = 0;
    cpu->efer = 0;
    paging_pae_on(cpu, 0);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00401000), 0, 0x00401000);
}

Test(mem_paging, flushes_drop_stale_mappings)
{
    paging32_on(cpu);
    phys_write32(pm, 0x900000, 0xaaaaaaaa);
    phys_write32(pm, 0x901000, 0xbbbbbbbb);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_);
    map32(cpu, 0x00401000, 0x900000, P_ | RW_, P_ | RW_);
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0xaaaaaaaa);
    cr_assert_eq(mmu_read32(cpu, 0x00401000), 0xaaaaaaaa);
    /* Remap both in memory: the TLB still holds the old translation... */
    map32(cpu, 0x00400000, 0x901000, P_ | RW_, P_ | RW_);
    map32(cpu, 0x00401000, 0x901000, P_ | RW_, P_ | RW_);
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0xaaaaaaaa, "TLB caches until flushed");
    /* ...until INVLPG of that page, which leaves the other page alone. */
    tlb_flush_page(cpu, 0x00400abc);
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0xbbbbbbbb);
    cr_assert_eq(mmu_read32(cpu, 0x00401000), 0xaaaaaaaa);
    /* MOV CR3 drops non-global translations. */
    tlb_flush_nonglobal(cpu);
    cr_assert_eq(mmu_read32(cpu, 0x00401000), 0xbbbbbbbb);
    /* Unmapping + flush: the access faults instead of using the old entry. */
    map32(cpu, 0x00401000, 0x901000, P_ | RW_, 0);
    tlb_flush_all(cpu);
    MT_ASSERT_PF(cpu, mmu_write32(cpu, 0x00401000, 0), EC_W, 0x00401000);
    /* Also for the write and fetch tables. */
    mmu_write32(cpu, 0x00400004, 1);
    (void)mmu_fetch8(cpu, 0x00400004);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, 0);
    tlb_flush_page(cpu, 0x00400000);
    MT_ASSERT_PF(cpu, mmu_write32(cpu, 0x00400004, 0), EC_W, 0x00400004);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00400004), 0, 0x00400004);
}

Test(mem_paging, global_pages_survive_cr3_but_not_pge_toggle)
{
    paging32_on(cpu);
    cpu->cr4 |= CR4_PGE;
    tlb_flush_all(cpu);
    phys_write32(pm, 0x900000, 0x11111111);
    phys_write32(pm, 0x901000, 0x22222222);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_ | G_);   /* global */
    map32(cpu, 0x00401000, 0x900000, P_ | RW_, P_ | RW_);        /* not global */
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x11111111);
    cr_assert_eq(mmu_read32(cpu, 0x00401000), 0x11111111);
    map32(cpu, 0x00400000, 0x901000, P_ | RW_, P_ | RW_ | G_);
    map32(cpu, 0x00401000, 0x901000, P_ | RW_, P_ | RW_);
    tlb_flush_nonglobal(cpu);                                   /* MOV CR3 */
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x11111111, "global entry survives CR3");
    cr_assert_eq(mmu_read32(cpu, 0x00401000), 0x22222222, "non-global entry is gone");
    tlb_flush_all(cpu);                                         /* CR4.PGE toggle */
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x22222222, "PGE toggle drops globals");
    /* INVLPG drops a global page too. */
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_ | G_);
    tlb_flush_page(cpu, 0x00400000);
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x11111111);
}

Test(mem_paging, g_bit_ignored_without_pge)
{
    paging32_on(cpu);
    phys_write32(pm, 0x900000, 0x11111111);
    phys_write32(pm, 0x901000, 0x22222222);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_ | G_);
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x11111111);
    map32(cpu, 0x00400000, 0x901000, P_ | RW_, P_ | RW_ | G_);
    tlb_flush_nonglobal(cpu);
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x22222222);
}

Test(mem_paging, invlpg_anywhere_in_a_large_page)
{
    paging32_on(cpu);
    cpu->cr4 |= CR4_PSE;
    tlb_flush_all(cpu);
    phys_write32(pm, PD32 + 2 * 4, 0x00400000 | PS_ | P_ | RW_);
    phys_write32(pm, 0x00400000, 0x11111111);
    phys_write32(pm, 0x00c00000, 0x33333333);
    cr_assert_eq(mmu_read32(cpu, 0x00800000), 0x11111111);
    phys_write32(pm, PD32 + 2 * 4, 0x00c00000 | PS_ | P_ | RW_);
    tlb_flush_page(cpu, 0x00bff000);   /* another 4 KiB page of the same 4 MiB page */
    cr_assert_eq(mmu_read32(cpu, 0x00800000), 0x33333333);
}

Test(mem_paging, cross_page_write_faulting_on_second_page_changes_nothing)
{
    paging32_on(cpu);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_ | US_, P_ | RW_ | US_);
    map32(cpu, 0x00401000, 0x905000, P_ | RW_ | US_, P_ | US_);     /* read-only */
    phys_write32(pm, 0x900ffc, 0x44332211);
    phys_write32(pm, 0x905000, 0x88776655);
    cpu->cpl = 3;
    /* Reads combine both pages. */
    cr_assert_eq(mmu_read32(cpu, 0x00400ffe), 0x66554433);
    cr_assert_eq(mmu_read64(cpu, 0x00400ffc), 0x8877665544332211ull);
    /* A write across into the read-only page faults with CR2 = second page. */
    MT_ASSERT_PF(cpu, mmu_write32(cpu, 0x00400ffe, 0xdeadbeef), EC_P | EC_W | EC_U, 0x00401000);
    cr_assert_eq(phys_read32(pm, 0x900ffc), 0x44332211, "first page unchanged");
    cr_assert_eq(phys_read32(pm, 0x905000), 0x88776655);
    /* Not-present second page. */
    map32(cpu, 0x00401000, 0x905000, P_ | RW_ | US_, 0);
    tlb_flush_page(cpu, 0x00401000);
    MT_ASSERT_PF(cpu, mmu_write64(cpu, 0x00400ff9, ~0ull), EC_W | EC_U, 0x00401000);
    cr_assert_eq(phys_read32(pm, 0x900ffc), 0x44332211);
    MT_ASSERT_PF(cpu, mmu_read16(cpu, 0x00400fff), EC_U, 0x00401000);
    /* Writable second page: the write lands split across two physical pages. */
    map32(cpu, 0x00401000, 0x905000, P_ | RW_ | US_, P_ | RW_ | US_);
    tlb_flush_page(cpu, 0x00401000);
    MT_ASSERT_OK(cpu, mmu_write32(cpu, 0x00400ffe, 0xdeadbeef));
    cr_assert_eq(phys_read16(pm, 0x900ffe), 0xbeef);
    cr_assert_eq(phys_read16(pm, 0x905000), 0xdead);
    cr_assert(pte32(cpu, 0x00401000) & D_);
}

Test(mem_paging, cross_page_sys_access_paging_off)
{
    /* Paging off: accesses at 0xffe and 0x1fff end in the next page. */
    phys_write32(pm, 0xffe, 0x04030201);
    cr_assert_eq(mmu_read32_sys(cpu, 0xffe), 0x04030201);
    mmu_write16_sys(cpu, 0x1fff, 0xbeef);
    cr_assert_eq(phys_read8(pm, 0x1fff), 0xef);
    cr_assert_eq(phys_read8(pm, 0x2000), 0xbe);
}

Test(mem_paging, probe_write_faults_without_writing)
{
    paging32_on(cpu);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_, P_ | RW_);
    map32(cpu, 0x00401000, 0x901000, P_ | RW_, P_ | RW_);
    map32(cpu, 0x00402000, 0x902000, P_ | RW_, P_);
    cpu->cr0 |= CR0_WP;
    tlb_flush_all(cpu);
    MT_ASSERT_OK(cpu, mmu_probe_write(cpu, 0x00400800, 0x1000));
    cr_assert(pte32(cpu, 0x00401000) & D_, "probe sets D like the write would");
    MT_ASSERT_PF(cpu, mmu_probe_write(cpu, 0x00400800, 0x2000), EC_P | EC_W, 0x00402000);
    MT_ASSERT_OK(cpu, mmu_probe_read(cpu, 0x00400800, 0x2000));
}

Test(mem_paging, alignment_check)
{
    phys_write32(pm, 0x1000, 0x12345678);
    cpu->cr0 = CR0_PE | CR0_AM;
    cpu->rflags = EFLAGS_FIXED1 | EFLAGS_AC;
    cpu->cpl = 3;
    /* Fill the TLB first so the check is on the fast path too. */
    cr_assert_eq(mmu_read32(cpu, 0x1000), 0x12345678);
    cr_assert(MT_FAULTS(cpu, mmu_read32(cpu, 0x1001)));
    cr_assert_eq(cpu->exc_vector, EXC_AC);
    cr_assert(cpu->exc_has_error);
    cr_assert_eq(cpu->exc_error, 0);
    cr_assert(MT_FAULTS(cpu, mmu_write16(cpu, 0x1003, 1)));
    cr_assert_eq(cpu->exc_vector, EXC_AC);
    cr_assert(MT_FAULTS(cpu, mmu_read64(cpu, 0x1004)));
    cr_assert_eq(cpu->exc_vector, EXC_AC);
    cr_assert_eq(phys_read32(pm, 0x1000), 0x12345678);
    MT_ASSERT_OK(cpu, mmu_read8(cpu, 0x1001));        /* bytes are always aligned */
    MT_ASSERT_OK(cpu, mmu_read32(cpu, 0x1004));
    MT_ASSERT_OK(cpu, mmu_read32_sys(cpu, 0x1001));   /* supervisor accesses: no #AC */
    cpu->cpl = 0;
    MT_ASSERT_OK(cpu, mmu_read32(cpu, 0x1001));
    cpu->cpl = 3;
    cpu->rflags = EFLAGS_FIXED1;
    MT_ASSERT_OK(cpu, mmu_read32(cpu, 0x1001));
    cpu->rflags = EFLAGS_FIXED1 | EFLAGS_AC;
    cpu->cr0 = CR0_PE;
    MT_ASSERT_OK(cpu, mmu_write32(cpu, 0x1001, 0xaabbccdd));
    cr_assert_eq(phys_read32(pm, 0x1001), 0xaabbccdd);
}

Test(mem_paging, large_page_rights_come_from_the_pde)
{
    /* 4 MiB pages (32-bit PSE): U/S and R/W of the PDE alone decide. */
    paging32_on(cpu);
    cpu->cr4 |= CR4_PSE;
    cpu->cr0 |= CR0_WP;
    tlb_flush_all(cpu);
    phys_write32(pm, PD32 + 2 * 4, 0x00400000 | PS_ | P_ | US_);        /* user, read-only */
    phys_write32(pm, PD32 + 3 * 4, 0x00400000 | PS_ | P_ | RW_);        /* supervisor */
    cpu->cpl = 3;
    MT_ASSERT_OK(cpu, mmu_read8(cpu, 0x00812345));
    MT_ASSERT_PF(cpu, mmu_write8(cpu, 0x00812345, 1), EC_P | EC_W | EC_U, 0x00812345);
    MT_ASSERT_PF(cpu, mmu_read8(cpu, 0x00c00000), EC_P | EC_U, 0x00c00000);
    cpu->cpl = 0;
    MT_ASSERT_PF(cpu, mmu_write8(cpu, 0x00812345, 1), EC_P | EC_W, 0x00812345);  /* WP=1 */
    MT_ASSERT_OK(cpu, mmu_write8(cpu, 0x00c00000, 1));
    cpu->cr0 &= ~CR0_WP;
    tlb_flush_all(cpu);
    MT_ASSERT_OK(cpu, mmu_write8(cpu, 0x00812345, 2));
    cr_assert_eq(phys_read8(pm, 0x00412345), 2);

    /* 2 MiB pages (PAE) with XD in the PDE. */
    cpu->cr0 |= CR0_WP;
    paging_pae_on(cpu, 1);
    phys_write64(pm, pde_pae_loc(0x00600000), 0x00600000 | PS_ | P_ | US_ | XD_);
    cpu->cpl = 3;
    MT_ASSERT_OK(cpu, mmu_read8(cpu, 0x00612345));
    MT_ASSERT_PF(cpu, mmu_write8(cpu, 0x00612345, 1), EC_P | EC_W | EC_U, 0x00612345);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00612345), EC_P | EC_I | EC_U, 0x00612345);
}

/* --- SMEP and SMAP (SDM Vol. 3A 4.6.1, 4.7) ------------------------------ */

enum smx_kind { SMX_READ, SMX_WRITE, SMX_FETCH };
enum smx_who { SMX_CPL0, SMX_CPL3, SMX_IMPLICIT0, SMX_IMPLICIT3 };

/* The SDM 4.6.1 rules with CR4.SMEP/SMAP, written from the text, not from
 * the walker: a user-mode address has U/S = 1 at every level; explicit
 * supervisor accesses are those at CPL < 3 that are not implicit. */
static bool smx_allowed(enum smx_kind k, enum smx_who who, bool ac, bool wp, bool smep,
                        bool smap, bool us_all, bool rw_all)
{
    if (who == SMX_CPL3) {          /* user-mode access */
        if (!us_all)
            return false;
        return k != SMX_WRITE || rw_all;
    }
    bool explicit_ac = who == SMX_CPL0 && ac;
    if (k == SMX_FETCH)             /* "If CR4.SMEP = 1, instructions may not be fetched
                                       from any user-mode address" */
        return !(smep && us_all);
    if (us_all && smap && !explicit_ac)   /* "If EFLAGS.AC = 0 or the access is implicit,
                                             data may not be read/written from/to any
                                             user-mode address" */
        return false;
    if (k == SMX_WRITE && wp && !rw_all)
        return false;
    return true;
}

static __attribute__((noinline)) int smx_try(uint32_t a, enum smx_kind k, enum smx_who who)
{
    bool sys = who == SMX_IMPLICIT0 || who == SMX_IMPLICIT3;
    if (k == SMX_FETCH)
        return MT_FAULTS(cpu, (void)mmu_fetch8(cpu, a));
    return try_access(a, k == SMX_WRITE, sys, 0x77);
}

/* Every U/S and R/W combination of PDE and PTE, with CR0.WP, CR4.SMEP,
 * CR4.SMAP and EFLAGS.AC each 0 and 1, for explicit accesses at CPL 0 and 3
 * and implicit supervisor accesses at CPL 0 and 3: reads, writes, fetches. */
static void smep_smap_matrix(bool pae)
{
    const uint32_t lin = 0x00405000;
    for (int combo = 0; combo < 256; combo++) {
        bool pde_us = combo & 1, pde_rw = combo & 2, pte_us = combo & 4, pte_rw = combo & 8;
        bool wp = combo & 16, smep = combo & 32, smap = combo & 64, ac = combo & 128;
        uint32_t pdef = P_ | (pde_us ? US_ : 0) | (pde_rw ? RW_ : 0);
        uint32_t ptef = P_ | (pte_us ? US_ : 0) | (pte_rw ? RW_ : 0);
        cpu->cpl = 0;
        cpu->cr0 = CR0_PE | (wp ? CR0_WP : 0);
        cpu->cr4 = (smep ? CR4_SMEP : 0) | (smap ? CR4_SMAP : 0);
        cpu->rflags = EFLAGS_FIXED1 | (ac ? EFLAGS_AC : 0);
        paging_on_with_page(pae, lin, pdef, ptef);
        for (int who = SMX_CPL0; who <= SMX_IMPLICIT3; who++) {
            for (int k = SMX_READ; k <= SMX_FETCH; k++) {
                bool implicit = who == SMX_IMPLICIT0 || who == SMX_IMPLICIT3;
                if (implicit && k == SMX_FETCH)
                    continue;       /* fetches are never implicit */
                cpu->cpl = (who == SMX_CPL3 || who == SMX_IMPLICIT3) ? 3 : 0;
                tlb_flush_all(cpu);
                bool ok = smx_allowed(k, who, ac, wp, smep, smap, pde_us && pte_us, pde_rw && pte_rw);
                uint32_t a = lin + 0x20 + (uint32_t)(who * 3 + k);
                int faulted = smx_try(a, k, who);
                cr_assert_eq(faulted, !ok, "pae=%d combo=%#x who=%d kind=%d: faulted=%d",
                             pae, combo, who, k, faulted);
                if (faulted) {
                    /* P=1 (a protection fault), W for writes, U for user-mode
                     * accesses, I/D for fetches when SMEP is on (no NXE here). */
                    uint32_t ec = EC_P | (k == SMX_WRITE ? EC_W : 0) | (who == SMX_CPL3 ? EC_U : 0) |
                                  (k == SMX_FETCH && smep ? EC_I : 0);
                    cr_assert_eq(cpu->exc_vector, EXC_PF);
                    cr_assert_eq(cpu->exc_error, ec, "pae=%d combo=%#x who=%d kind=%d: ec %#x want %#x",
                                 pae, combo, who, k, cpu->exc_error, ec);
                    cr_assert_eq(cpu->cr2, a);
                } else if (k == SMX_WRITE) {
                    cr_assert_eq(phys_read8(pm, 0x900000 + (a & 0xfff)), 0x77);
                }
            }
        }
    }
}

Test(mem_paging, smep_smap_32bit) { smep_smap_matrix(false); }
Test(mem_paging, smep_smap_pae) { smep_smap_matrix(true); }

/* EFLAGS.AC changes without a TLB flush (STAC/CLAC, POPF): a translation
 * an AC = 1 access cached must not serve a later AC = 0 or implicit access. */
Test(mem_paging, smap_follows_ac_without_a_flush)
{
    paging32_on(cpu);
    map32(cpu, 0x00400000, 0x900000, P_ | RW_ | US_, P_ | RW_ | US_);   /* user page */
    phys_write32(pm, 0x900000, 0x12345678);
    cpu->cr4 = CR4_SMAP;
    cpu->cpl = 0;
    cpu->rflags = EFLAGS_FIXED1 | EFLAGS_AC;
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x12345678);
    MT_ASSERT_OK(cpu, mmu_write32(cpu, 0x00400004, 0xcafe));
    cpu->rflags = EFLAGS_FIXED1;                  /* CLAC */
    MT_ASSERT_PF(cpu, mmu_read32(cpu, 0x00400000), EC_P, 0x00400000);
    MT_ASSERT_PF(cpu, mmu_write32(cpu, 0x00400004, 1), EC_P | EC_W, 0x00400004);
    MT_ASSERT_PF(cpu, mmu_read16(cpu, 0x00400ffe), EC_P, 0x00400ffe);   /* the crossing half */
    cr_assert_eq(phys_read32(pm, 0x900004), 0xcafe);
    cpu->rflags = EFLAGS_FIXED1 | EFLAGS_AC;      /* STAC */
    cr_assert_eq(mmu_read32(cpu, 0x00400004), 0xcafe);
    /* Implicit supervisor accesses ignore AC. */
    MT_ASSERT_PF(cpu, mmu_read32_sys(cpu, 0x00400000), EC_P, 0x00400000);
    MT_ASSERT_PF(cpu, mmu_write32_sys(cpu, 0x00400000, 1), EC_P | EC_W, 0x00400000);
    /* CPL 3 reads its own page whatever AC says. */
    cpu->cpl = 3;
    cpu->rflags = EFLAGS_FIXED1;
    cr_assert_eq(mmu_read32(cpu, 0x00400000), 0x12345678);
    /* A supervisor page stays reachable at CPL 0 with AC = 0. */
    cpu->cpl = 0;
    map32(cpu, 0x00401000, 0x901000, P_ | RW_ | US_, P_ | RW_);
    MT_ASSERT_OK(cpu, mmu_write32(cpu, 0x00401000, 5));
    cr_assert_eq(phys_read32(pm, 0x901000), 5);
}

/* SMEP sets I/D in fetch faults under 32-bit paging too (SDM 4.7), and a
 * 4 MiB user page is a user-mode address by its PDE alone. */
Test(mem_paging, smep_id_bit_and_large_pages)
{
    paging32_on(cpu);
    cpu->cr4 = CR4_PSE | CR4_SMEP;
    phys_write32(pm, PD32 + (0x00800000u >> 22) * 4, 0x00c00000u | P_ | RW_ | US_ | PS_);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00812345), EC_P | EC_I, 0x00812345);
    MT_ASSERT_PF(cpu, mmu_fetch8(cpu, 0x00c00000), EC_I, 0x00c00000);   /* not present */
    cr_assert_eq(mmu_read8(cpu, 0x00812345), 0);                       /* data: fine without SMAP */
    cpu->cpl = 3;
    phys_write8(pm, 0x00c12345, 0x90);
    cr_assert_eq(mmu_fetch8(cpu, 0x00812345), 0x90);                    /* user fetches are fine */
}
