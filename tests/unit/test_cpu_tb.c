/*
 * test_cpu_tb.c - the engine seams of the translation-block cache: the state
 * key a block is translated for, chaining through the incoming-jump lists
 * (undone when a successor is invalidated), precise faults from the
 * per-instruction metadata, the interrupt-request word, and code in ROM and
 * read-only shadow RAM being cached and dropped when PAM changes.
 * Expected values are worked out by hand from the SDM's definitions.
 */
#include <string.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "memory/memory.h"
#include "tests/unit/support_cpu.h"
#include "translator/tb.h"

Test(cpu_tb, state_key_of_real_and_flat_protected_mode)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    /* real mode after reset: 16-bit CS and SS, limit 64 KiB: no bit set */
    cr_assert_eq(tb_state_key(m->cpu), 0);
    support_cpu_flat32(m);
    cr_assert_eq(tb_state_key(m->cpu), TBK_CODE32 | TBK_PM | TBK_PE | TBK_SS32 | TBK_FLAT);
    m->cpu->cpl = 3;
    m->cpu->cr0 |= CR0_AM | CR0_WP;
    m->cpu->rflags |= EFLAGS_AC;
    cr_assert_eq(tb_state_key(m->cpu), TBK_CODE32 | TBK_PM | TBK_PE | TBK_SS32 | TBK_FLAT
                 | (3u << TBK_CPL_SHIFT) | TBK_AC | TBK_WP);
    m->cpu->seg[SEG_DS].base = 0x1000;      /* DS not flat any more */
    cr_assert_eq(tb_state_key(m->cpu) & TBK_FLAT, 0);
    support_cpu_destroy(m);
}

/* The same bytes at the same physical address and EIP run once as 16-bit
 * and once as 32-bit code: two blocks (the key differs), each decoded right. */
Test(cpu_tb, key_separates_blocks_by_code_size)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xb8, 0x34, 0x12, 0x00, 0x00,   /* 32-bit: mov eax, 0x1234; 16-bit: mov ax, 0x1234; add [bx+si], al; ... */
        0xf4,                           /* hlt */
    };
    support_cpu_load(m, 0x1000, code, sizeof(code));
    support_cpu_flat32(m);
    m->cpu->rip = 0x1000;
    m->cpu->regs[R_EAX] = 0xffffffffu;
    cr_assert_eq(support_cpu_run(m, 10), CPU_EXIT_HALT);
    cr_assert_eq(m->cpu->regs[R_EAX], 0x1234);
    cr_assert_eq(m->cpu->icount, 2);
    /* 16-bit CS, same base: B8 34 12 is mov ax, 0x1234, then 00 00 is
     * add [bx+si], al (DS:0 += AL = 0x34), then hlt */
    m->cpu->seg[SEG_CS].flags &= ~SEGF_DB;
    m->cpu->rip = 0x1000;
    m->cpu->regs[R_EAX] = 0xffff0000u;
    m->cpu->regs[R_EBX] = m->cpu->regs[R_ESI] = 0;
    m->cpu->halted = false;
    uint8_t before = phys_read8(m->mem, 0);
    cr_assert_eq(support_cpu_run(m, 10), CPU_EXIT_HALT);
    cr_assert_eq(m->cpu->regs[R_EAX], 0xffff1234u);
    cr_assert_eq(phys_read8(m->mem, 0), (uint8_t)(before + 0x34));
    cr_assert_eq(m->cpu->icount, 5);
    support_cpu_destroy(m);
}

/* Two blocks on two pages jumping to each other run chained; rewriting the
 * second (a DMA write into its page) undoes the chain into it, and the new
 * code runs from the next iteration on. The budget still stops exactly. */
Test(cpu_tb, chaining_and_unchaining_on_invalidation)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t a[] = {
        0x40,                           /* 0x1000: inc eax */
        0xe9, 0xfa, 0x0f, 0x00, 0x00,   /* jmp 0x2000 (0x2000 - 0x1006) */
    };
    static const uint8_t b[] = {
        0x83, 0xc3, 0x01,               /* 0x2000: add ebx, 1 */
        0xe9, 0xf8, 0xef, 0xff, 0xff,   /* jmp 0x1000 (0x1000 - 0x2008) */
    };
    support_cpu_load(m, 0x1000, a, sizeof(a));
    support_cpu_load(m, 0x2000, b, sizeof(b));
    support_cpu_flat32(m);
    m->cpu->rip = 0x1000;
    struct tb_cache *c = m->cpu->priv.tbs;
    /* 4 instructions an iteration: 1000 iterations, then one more inc */
    cr_assert_eq(cpu_exec(m->cpu, 4001), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->regs[R_EAX], 1001);
    cr_assert_eq(m->cpu->regs[R_EBX], 1000);
    cr_assert_eq(m->cpu->rip, 0x1001);
    cr_assert_eq(c->n_built, 2);
    cr_assert_eq(c->n_chained, 2, "A->B and B->A chained once each");
    uint64_t invalidated = c->n_invalidated;

    /* add ebx, 1 -> add ebx, 2 */
    uint8_t two = 2;
    dma_write(m->mem, 0x2002, &two, 1);
    cr_assert_eq(c->n_invalidated, invalidated + 1);
    /* the jmp of the first block is still to run: then 1000 iterations
     * from 0x2000 (add, jmp, inc, jmp) and add, jmp, inc: 1 + 4000 + 3 */
    cr_assert_eq(cpu_exec(m->cpu, 4004), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->regs[R_EAX], 1001 + 1001, "eax %u", m->cpu->regs[R_EAX]);
    cr_assert_eq(m->cpu->regs[R_EBX], 1000 + 2 * 1001, "ebx %u", m->cpu->regs[R_EBX]);
    cr_assert_eq(m->cpu->rip, 0x1001);
    /* new blocks: the jmp alone at 0x1001 (the budget ended between the two
     * instructions of A) and B'; new chains: 1001->B', B'->A, and A->B' (the
     * chain A->B was undone with B) */
    cr_assert_eq(c->n_built, 4);
    cr_assert_eq(c->n_chained, 5);
    support_cpu_destroy(m);
}

/* A precise instruction (no checkpoint before it) faulting right after a
 * flag-setting one in the same block: the exception sees that instruction's
 * IP, the flags of the ADD before it, and SP as it was. Real mode: a word
 * read at DS:FFFF crosses the 64 KiB limit: #GP (SDM Vol. 3A 20.1.3). */
Test(cpu_tb, precise_fault_without_checkpoint)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xb8, 0x34, 0x12,       /* 7c00: mov ax, 0x1234 */
        0x05, 0xf0, 0x7f,       /* 7c03: add ax, 0x7ff0 -> 0x9224: OF SF PF, no CF ZF AF */
        0xbb, 0xff, 0xff,       /* 7c06: mov bx, 0xffff */
        0x8b, 0x0f,             /* 7c09: mov cx, [bx]   #GP(0) */
        0xf4,
    };
    static const uint8_t handler[] = { 0xf4 };  /* 0x600: hlt */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    support_cpu_load(m, 0x600, handler, sizeof(handler));
    uint8_t ivt[4] = { 0x00, 0x06, 0x00, 0x00 };   /* 0000:0600 */
    support_cpu_load(m, 13 * 4, ivt, 4);
    m->cpu->rip = 0x7c00;
    m->cpu->regs[R_ESP] = 0x8000;
    m->cpu->regs[R_ECX] = 0x5555;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    /* the frame: IP, CS, FLAGS */
    cr_assert_eq(m->cpu->regs[R_ESP], 0x8000 - 6);
    cr_assert_eq(phys_read16(m->mem, 0x8000 - 6), 0x7c09);
    cr_assert_eq(phys_read16(m->mem, 0x8000 - 4), 0);
    uint16_t fl = phys_read16(m->mem, 0x8000 - 2);
    cr_assert_eq(fl & 0x8d5, EFLAGS_OF | EFLAGS_SF | EFLAGS_PF, "flags %#x", fl);
    cr_assert_eq(m->cpu->regs[R_EAX] & 0xffff, 0x9224);
    cr_assert_eq(m->cpu->regs[R_ECX], 0x5555);
    support_cpu_destroy(m);
}

/* The same with a read-modify-write that needs the checkpoint: ADD [mem], reg
 * sets the flags before its write; here the read already faults, and the
 * flags seen are still those of the instruction before. */
Test(cpu_tb, fault_with_checkpoint_restores_flags)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0x31, 0xc0,             /* 7c00: xor ax, ax -> ZF PF */
        0xbb, 0xff, 0xff,       /* 7c02: mov bx, 0xffff */
        0x01, 0x07,             /* 7c05: add [bx], ax  #GP(0) */
        0xf4,
    };
    static const uint8_t handler[] = { 0xf4 };
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    support_cpu_load(m, 0x600, handler, sizeof(handler));
    uint8_t ivt[4] = { 0x00, 0x06, 0x00, 0x00 };
    support_cpu_load(m, 13 * 4, ivt, 4);
    m->cpu->rip = 0x7c00;
    m->cpu->regs[R_ESP] = 0x8000;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(phys_read16(m->mem, 0x8000 - 6), 0x7c05);
    uint16_t fl = phys_read16(m->mem, 0x8000 - 2);
    cr_assert_eq(fl & 0x8d5, EFLAGS_ZF | EFLAGS_PF, "flags %#x", fl);
    support_cpu_destroy(m);
}

/* The interrupt-request word: the INTR pin, NMI and exit requests are its
 * bits; an exit request stops cpu_exec at the next instruction boundary. */
Test(cpu_tb, interrupt_request_word)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    struct cpu *cpu = m->cpu;
    cr_assert_eq(cpu->req, 0);
    cpu_set_intr(cpu, true);
    cr_assert_eq(cpu->req, CPU_REQ_INTR);
    cr_assert(cpu_intr_line(cpu));
    cpu_raise_nmi(cpu);
    cr_assert_eq(cpu->req, CPU_REQ_INTR | CPU_REQ_NMI);
    cpu_set_intr(cpu, false);
    cr_assert_eq(cpu->req, CPU_REQ_NMI);
    cpu_reset(cpu);
    cr_assert_eq(cpu->req, 0, "reset drops a latched NMI");
    cpu_request_exit(cpu);
    cr_assert_eq(cpu->req, CPU_REQ_EXIT);
    cpu->rip = 0x7c00;
    cr_assert_eq(cpu_exec(cpu, 100), CPU_EXIT_REQUEST);
    cr_assert_eq(cpu->icount, 0);
    cr_assert_eq(cpu->req, 0);
    support_cpu_destroy(m);
}

static void set_code(struct support_cpu *m, uint64_t at, const uint8_t *code, size_t n)
{
    for (size_t i = 0; i < n; i++)
        phys_write8(m->mem, at + i, code[i]);
}

/* Code in the BIOS area runs from translated blocks whether reads come from
 * ROM or from shadow RAM, and a PAM switch of what reads see drops them:
 * the next run decodes what is visible now (i440FX datasheet 3.2.18). */
Test(cpu_tb, rom_and_shadow_code_cached_and_dropped_on_pam_change)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t rom_code[] = { 0xb8, 0x01, 0x00, 0xf4 };  /* mov ax, 1; hlt */
    static const uint8_t ram_code[] = { 0xb8, 0x02, 0x00, 0xf4 };  /* mov ax, 2; hlt */
    static uint8_t rom[0x10000];
    memcpy(rom, rom_code, sizeof(rom_code));
    cr_assert_eq(phys_mem_add_rom(m->mem, 0xf0000, rom, sizeof(rom)), 0);
    phys_mem_set_pam(m->mem, 0xf0000, 0x10000, PAM_WRITE_RAM);   /* reads ROM, writes RAM */
    set_code(m, 0xf0000, ram_code, sizeof(ram_code));
    struct tb_cache *c = m->cpu->priv.tbs;
    struct cpu *cpu = m->cpu;
    cpu->seg[SEG_CS].sel = 0xf000;
    cpu->seg[SEG_CS].base = 0xf0000;

    struct { unsigned pam; uint32_t ax; uint64_t built; } steps[] = {
        { PAM_WRITE_RAM, 1, 1 },                    /* ROM code, one block */
        { PAM_WRITE_RAM, 1, 1 },                    /* found again, not rebuilt */
        { PAM_READ_RAM | PAM_WRITE_RAM, 2, 2 },     /* shadow RAM now */
        { PAM_READ_RAM, 2, 2 },                     /* read-only shadow: the same block */
        { 0, 1, 3 },                                /* back to ROM */
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        phys_mem_set_pam(m->mem, 0xf0000, 0x10000, steps[i].pam);
        cpu->rip = 0;
        cpu->halted = false;
        cpu->regs[R_EAX] = 0;
        cr_assert_eq(cpu_exec(cpu, 10), CPU_EXIT_HALT, "step %zu", i);
        cr_assert_eq(cpu->regs[R_EAX], steps[i].ax, "step %zu", i);
        cr_assert_eq(c->n_built, steps[i].built, "step %zu: %llu blocks", i,
                     (unsigned long long)c->n_built);
    }
    support_cpu_destroy(m);
}
