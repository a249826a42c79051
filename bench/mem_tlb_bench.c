/*
 * mem_tlb_bench.c - guest load/store throughput through the softMMU fast
 * path (memory/mmu.h), in guest accesses per second.
 *
 * Runs mmu_read32/mmu_write32 over working sets that fit the TLB (the fast
 * path), that fill it exactly, and that overflow it (every access a TLB miss
 * and a page walk), with paging off and with 32-bit paging on.
 * Build and run with bench/mem_tlb_bench.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "cpu/cpu.h"
#include "memory/memory.h"
#include "memory/mmu.h"

#define RAM (64u << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Identity-map the first 32 MiB with 4 KiB pages: directory at 0x10000,
 * tables from 0x11000 (the working sets start at 16 MiB, up to 24 MiB). */
static void paging_on(struct cpu *cpu)
{
    struct phys_mem *pm = cpu->mem;
    for (uint32_t pde = 0; pde < 8; pde++) {
        uint32_t table = 0x11000 + pde * 0x1000;
        phys_write32(pm, 0x10000 + pde * 4, table | 7);
        for (uint32_t i = 0; i < 1024; i++)
            phys_write32(pm, table + i * 4, ((pde << 22) | (i << 12)) | 7);
    }
    cpu->cr3 = 0x10000;
    cpu->cr0 |= CR0_PG | CR0_PE;
    tlb_flush_all(cpu);
}

/* One pass = n accesses (half loads, half stores) striding through
 * `span` bytes starting at 16 MiB. Returns accesses per second. */
static double run(struct cpu *cpu, uint32_t span, uint32_t stride, uint64_t n)
{
    const uint32_t base = 16u << 20;
    uint32_t off = 0, sum = 0;
    double t0 = now();
    for (uint64_t i = 0; i < n; i += 2) {
        uint32_t a = base + off;
        sum += mmu_read32(cpu, a);
        mmu_write32(cpu, a, sum);
        off += stride;
        if (off >= span)
            off = 0;
    }
    double dt = now() - t0;
    if (sum == 0x12345678)
        printf("(unlikely)\n");
    return n / dt;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 200000000ull;
    struct phys_mem *pm = phys_mem_create(RAM);
    struct cpu *cpu = calloc(1, sizeof(*cpu));
    if (!pm || !cpu)
        return 1;
    cpu->mem = pm;

    struct { const char *name; uint32_t span, stride; uint64_t n; } cases[] = {
        { "64 KiB set, 4-byte stride (TLB hits)",  64u << 10, 4,    n },
        { "TLB-sized set, 256-byte stride (TLB full)", TLB_SIZE * 4096u, 256, n },
        { "2x TLB-sized set, 4 KiB stride (misses)", TLB_SIZE * 8192u, 4096, n / 10 },
    };
    for (int paging = 0; paging < 2; paging++) {
        if (paging)
            paging_on(cpu);
        for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
            run(cpu, cases[c].span, cases[c].stride, cases[c].n / 20);   /* warm up */
            double r = run(cpu, cases[c].span, cases[c].stride, cases[c].n);
            printf("%-8s %-44s %8.1f M accesses/s\n", paging ? "paging" : "flat",
                   cases[c].name, r / 1e6);
        }
    }
    free(cpu);
    phys_mem_destroy(pm);
    return 0;
}
