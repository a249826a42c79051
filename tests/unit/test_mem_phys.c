/*
 * test_mem_phys.c - the physical address map: RAM, unassigned space, ROM,
 * MMIO dispatch widths, the A20 gate, i440FX PAM shadowing the way SeaBIOS
 * uses it (src/fw/shadow.c), DMA bounds, phys_ram_ptr and code-page tracking.
 */
#include <stddef.h>
#include <string.h>
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

TestSuite(mem_phys, .init = setup, .fini = teardown);

Test(mem_phys, ram_little_endian_widths)
{
    phys_write64(pm, 0x2000, 0x0807060504030201ull);
    cr_assert_eq(phys_read8(pm, 0x2000), 0x01);
    cr_assert_eq(phys_read16(pm, 0x2001), 0x0302);
    cr_assert_eq(phys_read32(pm, 0x2003), 0x07060504);
    cr_assert_eq(phys_read64(pm, 0x2000), 0x0807060504030201ull);
    phys_write16(pm, 0x2002, 0xaabb);
    cr_assert_eq(phys_read32(pm, 0x2000), 0xaabb0201);
    cr_assert_eq(phys_mem_ram_size(pm), MT_RAM);
}

Test(mem_phys, unassigned_reads_ones_and_ignores_writes)
{
    cr_assert_eq(phys_read32(pm, MT_RAM), 0xffffffffu);           /* past RAM */
    cr_assert_eq(phys_read64(pm, 0xfee00000), ~0ull);
    phys_write32(pm, MT_RAM + 4, 0);
    cr_assert_eq(phys_read32(pm, MT_RAM + 4), 0xffffffffu);
    /* The VGA window is not RAM unless a device claims it. */
    phys_write8(pm, 0xb8000, 0x41);
    cr_assert_eq(phys_read8(pm, 0xb8000), 0xff);
    /* A read straddling the end of RAM: RAM bytes, then all-ones. */
    phys_write16(pm, MT_RAM - 2, 0x1234);
    cr_assert_eq(phys_read32(pm, MT_RAM - 2), 0xffff1234u);
    /* Through the CPU too. */
    cr_assert_eq(mmu_read32(cpu, 0xc0000000), 0xffffffffu);
}

Test(mem_phys, rom_reads_and_ignores_writes)
{
    uint8_t rom[0x8000];
    for (unsigned i = 0; i < sizeof(rom); i++)
        rom[i] = (uint8_t)(i * 7);
    cr_assert_eq(phys_mem_add_rom(pm, 0xfffe0000, rom, sizeof(rom)), 0);
    cr_assert_eq(phys_read8(pm, 0xfffe0003), 21);
    cr_assert_eq(phys_read32(pm, 0xfffe0100), (uint32_t)(rom[0x100] | rom[0x101] << 8 |
                                                         rom[0x102] << 16 | (uint32_t)rom[0x103] << 24));
    phys_write32(pm, 0xfffe0100, 0);
    cr_assert_eq(phys_read8(pm, 0xfffe0100), rom[0x100]);
    /* CPU writes are ignored as well, fast-path reads work. */
    cr_assert_eq(mmu_read8(cpu, 0xfffe0005), 35);
    mmu_write8(cpu, 0xfffe0005, 0);
    cr_assert_eq(mmu_read8(cpu, 0xfffe0005), 35);
    /* The source buffer was copied. */
    rom[5] = 0;
    cr_assert_eq(phys_read8(pm, 0xfffe0005), 35);
}

/* --- MMIO ---------------------------------------------------------------- */

struct mmio_log {
    int reads, writes;
    uint64_t last_addr, last_value;
    unsigned last_size;
};

static uint64_t log_read(void *opaque, uint64_t addr, unsigned size)
{
    struct mmio_log *l = opaque;
    l->reads++;
    l->last_addr = addr;
    l->last_size = size;
    return 0x1122334455667788ull;
}

static void log_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    struct mmio_log *l = opaque;
    l->writes++;
    l->last_addr = addr;
    l->last_value = value;
    l->last_size = size;
}

static const struct mmio_ops log_ops = { .read = log_read, .write = log_write };

Test(mem_phys, mmio_dispatch_widths)
{
    struct mmio_log l = {0};
    cr_assert_eq(phys_mem_add_mmio(pm, 0xfebf0000, 0x1000, &log_ops, &l), 0);
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    for (int i = 0; i < 4; i++) {
        unsigned s = sizes[i];
        uint64_t v = s == 1 ? phys_read8(pm, 0xfebf0010) : s == 2 ? phys_read16(pm, 0xfebf0010)
                   : s == 4 ? phys_read32(pm, 0xfebf0010) : phys_read64(pm, 0xfebf0010);
        cr_assert_eq(l.last_size, s);
        cr_assert_eq(l.last_addr, 0x10);
        uint64_t mask = s == 8 ? ~0ull : (1ull << (8 * s)) - 1;
        cr_assert_eq(v, 0x1122334455667788ull & mask);
    }
    cr_assert_eq(l.reads, 4);
    phys_write8(pm, 0xfebf0001, 0xab);
    cr_assert_eq(l.last_size, 1); cr_assert_eq(l.last_value, 0xab); cr_assert_eq(l.last_addr, 1);
    phys_write16(pm, 0xfebf0002, 0xabcd);
    cr_assert_eq(l.last_size, 2); cr_assert_eq(l.last_value, 0xabcd);
    phys_write32(pm, 0xfebf0004, 0x89abcdef);
    cr_assert_eq(l.last_size, 4); cr_assert_eq(l.last_value, 0x89abcdef);
    phys_write64(pm, 0xfebf0008, 0x0123456789abcdefull);
    cr_assert_eq(l.last_size, 8); cr_assert_eq(l.last_value, 0x0123456789abcdefull);
    cr_assert_eq(l.writes, 4);

    /* CPU accesses reach the callbacks with their width, on every access. */
    mmu_write32(cpu, 0xfebf0020, 0x5a5a5a5a);
    mmu_write32(cpu, 0xfebf0024, 0x5a5a5a5b);
    cr_assert_eq(l.writes, 6);
    cr_assert_eq(l.last_size, 4); cr_assert_eq(l.last_addr, 0x24); cr_assert_eq(l.last_value, 0x5a5a5a5b);
    (void)mmu_read16(cpu, 0xfebf0030);
    (void)mmu_read16(cpu, 0xfebf0030);
    cr_assert_eq(l.reads, 6);
    cr_assert_eq(l.last_size, 2);
    /* An access straddling the end of the region is split into bytes. */
    (void)phys_read32(pm, 0xfebf0ffe);
    cr_assert_eq(l.last_size, 1);
    cr_assert_eq(l.last_addr, 0xfff);
}

Test(mem_phys, mmio_overrides_ram_and_vga_window)
{
    struct mmio_log l = {0};
    phys_write32(pm, 0x800000, 0x12345678);
    cr_assert_eq(mmu_read32(cpu, 0x800000), 0x12345678);       /* fills the TLB */
    cr_assert_eq(phys_mem_add_mmio(pm, 0x800000, 0x1000, &log_ops, &l), 0);
    cr_assert_eq(mmu_read32(cpu, 0x800000), 0x55667788, "map change flushes the TLB");
    cr_assert_eq(l.reads, 1);
    cr_assert_eq(phys_read32(pm, 0x801000), 0);                 /* next page still RAM */

    struct mmio_log v = {0};
    phys_mem_add_mmio(pm, 0xa0000, 0x20000, &log_ops, &v);
    mmu_write16(cpu, 0xb8000, 0x0741);
    cr_assert_eq(v.writes, 1);
    cr_assert_eq(v.last_addr, 0x18000);
    cr_assert_eq(v.last_value, 0x0741);
}

Test(mem_phys, dma_partial_outside_ram)
{
    uint8_t buf[300];
    memset(buf, 0x5a, sizeof(buf));
    /* 100 bytes of RAM, 200 past the end: only RAM is written. */
    cr_assert_eq(dma_write(pm, MT_RAM - 100, buf, sizeof(buf)), 100);
    cr_assert_eq(phys_read8(pm, MT_RAM - 1), 0x5a);
    cr_assert_eq(phys_read8(pm, MT_RAM - 100), 0x5a);
    cr_assert_eq(phys_read8(pm, MT_RAM - 101), 0);
    memset(buf, 0, sizeof(buf));
    cr_assert_eq(dma_read(pm, MT_RAM - 100, buf, sizeof(buf)), 100);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(buf[i], 0x5a);
    for (int i = 100; i < 300; i++)
        cr_assert_eq(buf[i], 0xff, "byte %d past RAM reads 0xff", i);
    /* Wildly out of range, and wrapping past 2^64: no RAM hit, nothing written. */
    cr_assert_eq(dma_write(pm, ~0ull - 10, buf, sizeof(buf)), 0);
    cr_assert_eq(phys_read8(pm, 0), 0, "no wrap to address 0");
    memset(buf, 0, sizeof(buf));
    cr_assert_eq(dma_read(pm, ~0ull - 10, buf, sizeof(buf)), 0);
    for (int i = 0; i < 300; i++)
        cr_assert_eq(buf[i], 0xff);
    cr_assert_eq(dma_read(pm, 0x123456789abcull, buf, 16), 0);
    /* A transfer across the VGA window hits only the RAM around it. */
    static uint8_t big[0x30000];
    memset(big, 1, sizeof(big));
    cr_assert_eq(dma_write(pm, 0x90000, big, sizeof(big)), 0x10000);
    cr_assert_eq(phys_read8(pm, 0x9ffff), 1);
    cr_assert_eq(phys_read8(pm, 0xa0000), 0xff);
}

Test(mem_phys, ram_ptr_bounds)
{
    uint8_t *p = phys_ram_ptr(pm, 0x1000, 16);
    cr_assert(p);
    p[0] = 0x77;
    cr_assert_eq(phys_read8(pm, 0x1000), 0x77);
    cr_assert_not_null(phys_ram_ptr(pm, MT_RAM - 16, 16));
    cr_assert_null(phys_ram_ptr(pm, MT_RAM - 16, 17));
    cr_assert_null(phys_ram_ptr(pm, MT_RAM, 1));
    cr_assert_null(phys_ram_ptr(pm, 0x9ff00, 0x200), "runs into the VGA window");
    cr_assert_null(phys_ram_ptr(pm, 0xf0000, 16), "PAM region reads ROM at reset");
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_READ_RAM | PAM_WRITE_RAM);
    cr_assert_not_null(phys_ram_ptr(pm, 0xf0000, 0x10000));
    cr_assert_null(phys_ram_ptr(pm, ~0ull - 4, 16));
}

Test(mem_phys, a20_gate_wraps_cpu_accesses)
{
    cr_assert(phys_mem_a20(pm));
    mmu_write8(cpu, 0x100005, 0xaa);              /* fills the TLB with A20 on */
    cr_assert_eq(phys_read8(pm, 0x100005), 0xaa);
    cr_assert_eq(phys_read8(pm, 0x5), 0);
    phys_mem_set_a20(pm, false);
    cr_assert_not(phys_mem_a20(pm));
    mmu_write8(cpu, 0x100005, 0xbb);              /* stale entry must be gone */
    cr_assert_eq(phys_read8(pm, 0x5), 0xbb);
    cr_assert_eq(phys_read8(pm, 0x100005), 0xaa);
    phys_write8(pm, 0x200005, 0xcc);
    cr_assert_eq(mmu_read8(cpu, 0x300005), 0xcc, "bit 20 masked: 0x300005 -> 0x200005");
    phys_mem_set_a20(pm, true);
    cr_assert_eq(mmu_read8(cpu, 0x100005), 0xaa);
}

/*
 * PAM the way SeaBIOS's make_bios_writable/make_bios_readonly use it: at
 * reset 0xE0000-0xFFFFF reads the BIOS ROM; the BIOS sets PAM to RAM
 * read/write, copies itself from the high alias below 4 GiB into the shadow
 * RAM, then sets read-only (RE=1, WE=0) so writes are dropped.
 */
Test(mem_phys, pam_shadowing_like_seabios)
{
    static uint8_t bios[0x20000];
    for (unsigned i = 0; i < sizeof(bios); i++)
        bios[i] = (uint8_t)(i ^ (i >> 8));
    cr_assert_eq(phys_mem_add_rom(pm, 0x100000000ull - sizeof(bios), bios, sizeof(bios)), 0);
    cr_assert_eq(phys_mem_add_rom(pm, 0xe0000, bios, sizeof(bios)), 0);

    /* Reset: reads hit ROM, writes go nowhere. */
    cr_assert_eq(phys_mem_pam(pm, 0xf0000), 0);
    cr_assert_eq(mmu_read8(cpu, 0xffff0), bios[0x1fff0]);
    mmu_write8(cpu, 0xf0000, (uint8_t)~bios[0x10000]);
    cr_assert_eq(mmu_read8(cpu, 0xf0000), bios[0x10000]);

    /* Writable shadow: RAM underneath is still zero until the copy. */
    phys_mem_set_pam(pm, 0xe0000, 0x10000, PAM_READ_RAM | PAM_WRITE_RAM);
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_READ_RAM | PAM_WRITE_RAM);
    cr_assert_eq(phys_mem_pam(pm, 0xf4000), PAM_READ_RAM | PAM_WRITE_RAM);
    cr_assert_eq(mmu_read8(cpu, 0xffff0), 0, "shadow RAM, not ROM");
    for (uint32_t off = 0; off < sizeof(bios); off += 4)
        mmu_write32(cpu, 0xe0000 + off, mmu_read32(cpu, 0xfffe0000u + off));
    cr_assert_eq(mmu_read8(cpu, 0xffff0), bios[0x1fff0]);
    mmu_write8(cpu, 0xf1234, 0x99);                  /* BIOS variables in the f-segment */
    cr_assert_eq(mmu_read8(cpu, 0xf1234), 0x99);

    /* Read-only: reads RAM, writes dropped (through a TLB filled while writable). */
    phys_mem_set_pam(pm, 0xe0000, 0x20000, PAM_READ_RAM);
    mmu_write8(cpu, 0xf1234, 0x11);
    phys_write8(pm, 0xe0010, 0x11);
    cr_assert_eq(mmu_read8(cpu, 0xf1234), 0x99);
    cr_assert_eq(phys_read8(pm, 0xe0010), bios[0x10]);

    /* Write-only (WE=1, RE=0): reads come from ROM, writes land in RAM. */
    phys_mem_set_pam(pm, 0xc0000, 0x4000, PAM_WRITE_RAM);
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_WRITE_RAM);
    mmu_write8(cpu, 0xf1234, 0x42);
    cr_assert_eq(mmu_read8(cpu, 0xf1234), bios[0x11234]);
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_READ_RAM);
    cr_assert_eq(mmu_read8(cpu, 0xf1234), 0x42);
    /* 0xC0000 with no ROM and RE=0 is the bus; writes reached RAM. */
    phys_write8(pm, 0xc0001, 0x66);
    cr_assert_eq(phys_read8(pm, 0xc0001), 0xff);
    phys_mem_set_pam(pm, 0xc0000, 0x4000, PAM_READ_RAM);
    cr_assert_eq(phys_read8(pm, 0xc0001), 0x66);
    /* Chunks are 16 KiB: the neighbour kept its mode. */
    cr_assert_eq(phys_mem_pam(pm, 0xc4000), 0);
}

/* --- the TLB slot layout (memory/tlb.h) ----------------------------------- */

/* Translated code indexes the entries: a tag per kind at 8 * kind, the
 * addend at 24, 32 bytes in all. */
Test(mem_phys, tlb_entry_layout)
{
    cr_assert_eq(sizeof(struct tlb_entry), 32);
    cr_assert_eq(offsetof(struct tlb_entry, tag[TLB_READ]), 0);
    cr_assert_eq(offsetof(struct tlb_entry, tag[TLB_WRITE]), 8);
    cr_assert_eq(offsetof(struct tlb_entry, tag[TLB_EXEC]), 16);
    cr_assert_eq(offsetof(struct tlb_entry, addend), 24);
    cr_assert_eq(tlb_index(0x12345678u), 0x345u);
}

/* One slot holds one linear page for all three kinds; another page that
 * maps to the same slot takes it over. */
Test(mem_phys, tlb_slot_holds_one_page_for_every_kind)
{
    const struct tlb_entry *e = &cpu->tlb.e[TLB_SUPER][5];
    phys_write32(pm, 0x5010, 0x11223344);
    mmu_write32(cpu, 0x5030, 0x55667788);
    cr_assert_eq(mmu_read32(cpu, 0x5010), 0x11223344);
    cr_assert_eq(mmu_fetch8(cpu, 0x5013), 0x11);
    cr_assert_eq(e->tag[TLB_READ], 0x5000u | TLB_VALID);
    cr_assert_eq(e->tag[TLB_WRITE], 0x5000u | TLB_VALID);
    cr_assert_eq(e->tag[TLB_EXEC], 0x5000u | TLB_VALID);
    cr_assert_eq(cpu->tlb.page[TLB_SUPER][5].paddr, 0x5000u);
    cr_assert_eq(phys_read32(pm, 0x5030), 0x55667788);

    uint64_t other = 0x5000u + (uint64_t)TLB_SIZE * 0x1000;     /* same slot */
    phys_write32(pm, other, 0xcafef00d);
    cr_assert_eq(mmu_read32(cpu, other), 0xcafef00d);
    cr_assert_eq(e->tag[TLB_READ], other | TLB_VALID);
    cr_assert_eq(e->tag[TLB_WRITE], 0);
    cr_assert_eq(e->tag[TLB_EXEC], 0);
    cr_assert_eq(mmu_read32(cpu, 0x5010), 0x11223344);         /* and back */
    cr_assert_eq(e->tag[TLB_READ], 0x5000u | TLB_VALID);
}

/* PAM write-only shadowing reads ROM and writes RAM within one page: the
 * two kinds have different host pages, so one of them goes slow and both
 * stay right, in any order. */
Test(mem_phys, tlb_slot_with_read_and_write_on_different_host_pages)
{
    static uint8_t bios[0x10000];
    for (unsigned i = 0; i < sizeof(bios); i++)
        bios[i] = (uint8_t)(i * 7);
    cr_assert_eq(phys_mem_add_rom(pm, 0xf0000, bios, sizeof(bios)), 0);
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_WRITE_RAM);
    const struct tlb_entry *e = &cpu->tlb.e[TLB_SUPER][tlb_index(0xf1000)];
    for (int round = 0; round < 3; round++) {
        mmu_write8(cpu, 0xf1234, (uint8_t)(0x40 + round));
        cr_assert_eq(mmu_read8(cpu, 0xf1234), bios[0x1234]);
        cr_assert_eq(mmu_read8(cpu, 0xf1235), bios[0x1235]);
    }
    cr_assert_eq(e->tag[TLB_WRITE], 0xf1000u | TLB_VALID);
    cr_assert_eq(e->tag[TLB_READ], 0xf1000u | TLB_VALID | TLB_SLOW);
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_READ_RAM);
    cr_assert_eq(mmu_read8(cpu, 0xf1234), 0x42);
}

/* --- code-page tracking ---------------------------------------------------- */

struct hook_log {
    int calls;
    uint64_t pages[8];
};

static void code_hook(void *opaque, uint64_t page)
{
    struct hook_log *h = opaque;
    if (h->calls < 8)
        h->pages[h->calls] = page;
    h->calls++;
}

Test(mem_phys, code_hook_on_cpu_write)
{
    struct hook_log h = {0};
    phys_set_code_write_hook(pm, code_hook, &h);
    mmu_write32(cpu, 0x5010, 1);                 /* fast write entry exists now */
    phys_mark_code_page(pm, 0x5000);
    mmu_write32(cpu, 0x5010, 2);
    cr_assert_eq(h.calls, 1);
    cr_assert_eq(h.pages[0], 0x5000);
    cr_assert_eq(phys_read32(pm, 0x5010), 2);
    /* The write entry went back to the fast path once the mark was cleared. */
    cr_assert_eq(cpu->tlb.e[TLB_SUPER][5].tag[TLB_WRITE], 0x5000u | TLB_VALID);
    mmu_write32(cpu, 0x5014, 3);                 /* mark cleared: no second call */
    cr_assert_eq(h.calls, 1);
    cr_assert_eq(phys_read32(pm, 0x5014), 3);
    /* Reads and fetches of a code page don't fire it. */
    phys_mark_code_page(pm, 0x5000);
    (void)mmu_read32(cpu, 0x5010);
    (void)mmu_fetch8(cpu, 0x5010);
    cr_assert_eq(h.calls, 1);
    /* A write crossing from one marked page into another fires for both. */
    phys_mark_code_page(pm, 0x6000);
    mmu_write32(cpu, 0x5ffe, 0xffffffff);
    cr_assert_eq(h.calls, 3);
    cr_assert_eq(h.pages[1], 0x5000);
    cr_assert_eq(h.pages[2], 0x6000);
    cr_assert_eq(phys_read32(pm, 0x5ffe), 0xffffffff);
    /* phys_write* too. */
    phys_write8(pm, 0x5000, 1);
    cr_assert_eq(h.calls, 3);
    phys_mark_code_page(pm, 0x5000);
    phys_write8(pm, 0x5000, 1);
    cr_assert_eq(h.calls, 4);
    cr_assert_eq(h.pages[3], 0x5000);
}

Test(mem_phys, code_hook_on_cpu_write_through_paging)
{
    struct hook_log h = {0};
    phys_set_code_write_hook(pm, code_hook, &h);
    paging32_on(cpu);
    map32(cpu, 0x80000000, 0x907000, P_ | RW_, P_ | RW_);
    mmu_write8(cpu, 0x80000000, 0x90);
    phys_mark_code_page(pm, mmu_translate_exec(cpu, 0x80000000) & ~0xfffull);
    mmu_write8(cpu, 0x80000001, 0xc3);
    cr_assert_eq(h.calls, 1);
    cr_assert_eq(h.pages[0], 0x907000);
}

Test(mem_phys, code_hook_on_dma_write)
{
    struct hook_log h = {0};
    phys_set_code_write_hook(pm, code_hook, &h);
    phys_mark_code_page(pm, 0x8000);
    phys_mark_code_page(pm, 0x9000);
    phys_mark_code_page(pm, 0xb000);
    uint8_t buf[0x1800];
    memset(buf, 0xcc, sizeof(buf));
    cr_assert_eq(dma_write(pm, 0x8800, buf, sizeof(buf)), sizeof(buf));
    cr_assert_eq(h.calls, 2);
    cr_assert_eq(h.pages[0], 0x8000);
    cr_assert_eq(h.pages[1], 0x9000);
    /* dma_read leaves marks alone. */
    dma_read(pm, 0xb000, buf, 16);
    cr_assert_eq(h.calls, 2);
    dma_write(pm, 0xbfff, buf, 1);
    cr_assert_eq(h.calls, 3);
    cr_assert_eq(h.pages[2], 0xb000);
}

Test(mem_phys, ram_above_4g)
{
    /* 3.5 GiB below the hole + 1 MiB above 4 GiB (host pages are untouched
     * until used: the mmap is MAP_NORESERVE). */
    struct phys_mem *big = phys_mem_create(0xe0000000ull + 0x100000);
    cr_assert(big);
    phys_write32(big, 0xdffffffc, 0x01020304);
    phys_write32(big, 0x100000000ull, 0x05060708);
    phys_write32(big, 0x1000ffffcull, 0x090a0b0c);
    cr_assert_eq(phys_read32(big, 0xdffffffc), 0x01020304);
    cr_assert_eq(phys_read32(big, 0xe0000000), 0xffffffffu);
    cr_assert_eq(phys_read32(big, 0x100000000ull), 0x05060708);
    cr_assert_eq(phys_read32(big, 0x1000ffffcull), 0x090a0b0c);
    cr_assert_eq(phys_read32(big, 0x100100000ull), 0xffffffffu);
    uint8_t b[8];
    cr_assert_eq(dma_read(big, 0x1000ffffcull, b, 8), 4);
    cr_assert_eq(b[4], 0xff);
    phys_mem_destroy(big);
}

Test(mem_phys, create_rejects_bad_sizes)
{
    cr_assert_null(phys_mem_create(0));
    cr_assert_null(phys_mem_create(4097));
}

Test(mem_phys, pam_read_switch_invalidates_translated_code)
{
    struct hook_log h = {0};
    phys_set_code_write_hook(pm, code_hook, &h);
    phys_mark_code_page(pm, 0xf3000);   /* code translated while reads hit ROM */
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_WRITE_RAM);
    cr_assert_eq(h.calls, 0, "reads still come from ROM");
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_READ_RAM | PAM_WRITE_RAM);
    cr_assert_eq(h.calls, 1);
    cr_assert_eq(h.pages[0], 0xf3000);
    /* An MMIO region laid over RAM holding code. */
    struct mmio_log l = {0};
    phys_mark_code_page(pm, 0x700000);
    phys_mem_add_mmio(pm, 0x6ff800, 0x1000, &log_ops, &l);
    cr_assert_eq(h.calls, 2);
    cr_assert_eq(h.pages[1], 0x700000);
}

Test(mem_phys, read_ptr_sees_rom_ram_and_pam)
{
    static uint8_t bios[0x20000];
    for (unsigned i = 0; i < sizeof(bios); i++)
        bios[i] = (uint8_t)(i * 13);
    phys_mem_add_rom(pm, 0xfffe0000, bios, sizeof(bios));
    phys_mem_add_rom(pm, 0xe0000, bios, sizeof(bios));
    const uint8_t *p = phys_read_ptr(pm, 0xffff0, 16);
    cr_assert_not_null(p);
    cr_assert_eq(memcmp(p, bios + 0x1fff0, 16), 0);
    cr_assert_not_null(phys_read_ptr(pm, 0xfffffff0, 16));
    cr_assert_null(phys_read_ptr(pm, 0xfffffff0, 17), "past the end of the ROM");
    cr_assert_null(phys_read_ptr(pm, 0xb8000, 1));
    cr_assert_null(phys_read_ptr(pm, MT_RAM, 1));
    phys_write8(pm, 0x3000, 0x42);
    p = phys_read_ptr(pm, 0x3000, 0x1000);
    cr_assert_not_null(p);
    cr_assert_eq(*p, 0x42);
    /* Read-only shadow RAM is readable code. */
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_READ_RAM | PAM_WRITE_RAM);
    phys_write8(pm, 0xffff0, 0xea);
    phys_mem_set_pam(pm, 0xf0000, 0x10000, PAM_READ_RAM);
    p = phys_read_ptr(pm, 0xffff0, 16);
    cr_assert_not_null(p);
    cr_assert_eq(*p, 0xea);
    cr_assert_null(phys_ram_ptr(pm, 0xffff0, 16), "not writable RAM");
}

Test(mem_phys, mmio_over_high_and_low_ram)
{
    struct phys_mem *big = phys_mem_create(0xe0000000ull + 0x100000);
    cr_assert(big);
    struct mmio_log l = {0};
    phys_write32(big, 0x100000000ull, 0x12345678);
    phys_write32(big, 0x1000, 0x9abcdef0);
    phys_mem_add_mmio(big, 0x100000000ull, 0x1000, &log_ops, &l);
    cr_assert_eq(phys_read32(big, 0x100000000ull), 0x55667788);
    cr_assert_eq(phys_read32(big, 0x100001000ull), 0);
    cr_assert_eq(phys_read32(big, 0x1000), 0x9abcdef0);
    phys_mem_add_mmio(big, 0x1000, 0x10, &log_ops, &l);
    cr_assert_eq(phys_read32(big, 0x1000), 0x55667788);
    cr_assert_eq(phys_read32(big, 0x1010), 0);
    cr_assert_eq(l.reads, 2);
    phys_mem_destroy(big);
}

/* --- device RAM (a framebuffer behind a PCI BAR) ------------------------------ */

Test(mem_phys, devram_maps_moves_and_unmaps)
{
    static uint8_t fb[0x4000];
    memset(fb, 0x5a, sizeof(fb));
    int id = phys_mem_add_devram(pm, fb, sizeof(fb));
    cr_assert_geq(id, 0);
    cr_assert_eq(phys_read8(pm, 0xfd000000), 0xff, "unmapped at first");
    phys_mem_map_devram(pm, id, 0xfd000000, true);
    cr_assert_eq(phys_read32(pm, 0xfd003ffc), 0x5a5a5a5a);
    cr_assert_eq(phys_read8(pm, 0xfd004000), 0xff, "ends with the region");
    cr_assert_eq(mmu_read8(cpu, 0xfd001000), 0x5a);
    mmu_write8(cpu, 0xfd001001, 0x11);
    cr_assert_eq(fb[0x1001], 0x11);

    /* Move it: the old translations go, the new address decodes it. */
    phys_mem_map_devram(pm, id, 0xfe000000, true);
    cr_assert_eq(cpu->tlb.e[TLB_SUPER][tlb_index(0xfd001000)].tag[TLB_READ], 0,
                 "the moved range's TLB entries are flushed");
    cr_assert_eq(mmu_read8(cpu, 0xfd001001), 0xff);
    cr_assert_eq(mmu_read8(cpu, 0xfe001001), 0x11);
    mmu_write8(cpu, 0xfd001002, 0x22);           /* to nowhere */
    cr_assert_eq(fb[0x1002], 0x5a);

    /* Decoding off: nothing there. */
    phys_mem_map_devram(pm, id, 0xfe000000, false);
    cr_assert_eq(mmu_read8(cpu, 0xfe001001), 0xff);
    mmu_write8(cpu, 0xfe001001, 0x33);
    cr_assert_eq(fb[0x1001], 0x11);

    /* RAM wins over a BAR placed on it (the host bridge decodes DRAM first),
     * and a range that would wrap 2^64 decodes nothing. */
    phys_write8(pm, 0x2000, 0x77);
    phys_mem_map_devram(pm, id, 0x2000, true);
    cr_assert_eq(phys_read8(pm, 0x2000), 0x77);
    phys_mem_map_devram(pm, id, 0xfffffffffffff000ull, true);
    cr_assert_eq(phys_read8(pm, 0xfffffffffffff000ull), 0xff);

    cr_assert_eq(phys_mem_add_devram(pm, fb, 100), -1, "whole pages only");
}

/* Writes set per-page dirty bits; a clean page's write entry is slow, so
 * the first store after the display took the bits sets them again, and
 * later stores go at RAM speed. */
Test(mem_phys, devram_dirty_tracking)
{
    static uint8_t fb[0x8000];
    int id = phys_mem_add_devram(pm, fb, sizeof(fb));
    phys_mem_map_devram(pm, id, 0xfd000000, true);
    cr_assert_not(phys_devram_take_dirty(pm, id, 0, sizeof(fb)));

    const struct tlb_entry *e = &cpu->tlb.e[TLB_SUPER][tlb_index(0xfd002000)];
    mmu_write32(cpu, 0xfd002010, 0xdeadbeef);
    cr_assert_eq(fb[0x2010], 0xef);
    cr_assert_eq(e->tag[TLB_WRITE], 0xfd002000u | TLB_VALID, "dirty now: fast");
    mmu_write32(cpu, 0xfd002020, 1);
    cr_assert_not(phys_devram_take_dirty(pm, id, 0x1000, 0x1000), "page 1 clean");
    cr_assert(phys_devram_take_dirty(pm, id, 0x2000, 1));
    cr_assert_eq(e->tag[TLB_WRITE], 0xfd002000u | TLB_VALID | TLB_SLOW, "clean again: slow");
    cr_assert_not(phys_devram_take_dirty(pm, id, 0, sizeof(fb)));
    mmu_write8(cpu, 0xfd002fff, 2);
    cr_assert(phys_devram_take_dirty(pm, id, 0x2fff, 1));

    /* A write crossing two pages marks both; DMA and device writes mark too. */
    mmu_write32(cpu, 0xfd003ffe, 0x01020304);
    uint8_t map[1];
    phys_devram_take_dirty_map(pm, id, map);
    cr_assert_eq(map[0], 0x18);
    uint8_t buf[16] = {1};
    dma_write(pm, 0xfd005ff8, buf, sizeof(buf));
    phys_devram_set_dirty(pm, id, 0x7000, 0x100000);  /* clipped to the region */
    phys_devram_take_dirty_map(pm, id, map);
    cr_assert_eq(map[0], 0xe0);
    cr_assert_eq(fb[0x5ff8], 1);
}
