/*
 * test_mem_smc.c - self-modifying code as memory/ sees it: a guest program
 * that patches its own next instruction through another linear mapping of
 * the same page (the code-page mark must reach write TLB entries filled
 * before the page held code), and code patched by device DMA.
 */
#include <stdio.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "memory/memory.h"
#include "memory/mmu.h"
#include "tests/unit/support_cpu.h"

static size_t load_bin(const char *name, uint8_t *buf, size_t max)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.bin", SOFTVM_ASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "missing %s", path);
    size_t n = fread(buf, 1, max, f);
    fclose(f);
    return n;
}

Test(mem_smc, patch_through_alias_mapping)
{
    static uint8_t bin[0x3000];
    size_t n = load_bin("mem_smc_alias", bin, sizeof(bin));
    cr_assert_gt(n, 0x1000);
    struct support_cpu *m = support_cpu_create(16 << 20);
    cr_assert(m);
    support_cpu_flat32(m);
    support_cpu_load(m, 0x1000, bin, n);
    /* One page table identity-maps 0-4 MiB; PDE 0 and PDE 1 both use it. */
    for (uint32_t i = 0; i < 1024; i++)
        phys_write32(m->mem, 0x11000 + i * 4, (i << 12) | 3);
    phys_write32(m->mem, 0x10000, 0x11000 | 3);
    phys_write32(m->mem, 0x10004, 0x11000 | 3);
    struct cpu *cpu = m->cpu;
    cpu->cr3 = 0x10000;
    cpu->cr0 |= CR0_PG | CR0_PE;
    tlb_flush_all(cpu);
    cpu->rip = 0x1000;
    cpu->regs[R_ESP] = 0x80000;
    cr_assert_eq(support_cpu_run(m, 1000), CPU_EXIT_HALT);
    cr_assert_eq(cpu->regs[R_EAX], 42, "eax = %u: stale code ran", cpu->regs[R_EAX]);
    /* result is the first dword after hlt, aligned: find it from the binary's end. */
    cr_assert_eq(phys_read32(m->mem, 0x1000 + n - 8), 42);
    support_cpu_destroy(m);
}

Test(mem_smc, code_patched_by_dma)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    support_cpu_flat32(m);
    static const uint8_t code[] = {
        0xb8, 0x01, 0x00, 0x00, 0x00,   /* mov eax, 1 */
        0xf4,                           /* hlt */
    };
    support_cpu_load(m, 0x5000, code, sizeof(code));
    struct cpu *cpu = m->cpu;
    cpu->rip = 0x5000;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(cpu->regs[R_EAX], 1);
    /* A device overwrites the immediate; the cached block must not run again. */
    static const uint8_t seven = 7;
    cr_assert_eq(dma_write(m->mem, 0x5001, &seven, 1), 1);
    cpu->rip = 0x5000;
    cpu->halted = false;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(cpu->regs[R_EAX], 7, "eax = %u: stale translated code", cpu->regs[R_EAX]);
    /* And once more through a plain physical write (loader, debugger). */
    phys_write8(m->mem, 0x5001, 9);
    cpu->rip = 0x5000;
    cpu->halted = false;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(cpu->regs[R_EAX], 9);
    support_cpu_destroy(m);
}
