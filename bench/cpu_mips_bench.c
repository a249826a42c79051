/*
 * cpu_mips_bench.c - guest MIPS of the interpreter (cpu_exec through the TB
 * cache), with no devices: a tight register loop and a memory-heavy loop,
 * each a flat 32-bit program run for a fixed instruction budget.
 * Build and run with bench/cpu_mips_bench.sh [build-dir] [millions].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cpu/cpu.h"
#include "translator/tb.h"
#include "devices/iobus.h"
#include "memory/memory.h"
#include "translator/jit.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* tight: 6 instructions per iteration, registers only */
static const uint8_t tight_loop[] = {
    0xb9, 0x00, 0x00, 0x00, 0x00,   /* mov ecx, 0 */
    0x01, 0xd8,                     /* loop: add eax, ebx */
    0x31, 0xc2,                     /*   xor edx, eax */
    0xc1, 0xc0, 0x03,               /*   rol eax, 3 */
    0x43,                           /*   inc ebx */
    0x49,                           /*   dec ecx */
    0x75, 0xf5,                     /*   jnz loop */
    0xeb, 0xee,                     /* jmp back to the start (never ends) */
};

/* memory: 7 instructions per iteration over a 64 KiB buffer at 1 MiB */
static const uint8_t mem_loop[] = {
    0xbe, 0x00, 0x00, 0x10, 0x00,   /* mov esi, 0x100000 */
    0xb9, 0x00, 0x40, 0x00, 0x00,   /* mov ecx, 0x4000 */
    0x8b, 0x06,                     /* loop: mov eax, [esi] */
    0x01, 0xc3,                     /*   add ebx, eax */
    0x89, 0x5e, 0x04,               /*   mov [esi+4], ebx */
    0x83, 0xc6, 0x04,               /*   add esi, 4 */
    0x31, 0x46, 0xfc,               /*   xor [esi-4], eax */
    0x49,                           /*   dec ecx */
    0x75, 0xf0,                     /*   jnz loop */
    0xeb, 0xe4,                     /* jmp to the start */
};

static double run(const char *name, const uint8_t *code, size_t len, uint64_t insns, bool jit)
{
    struct phys_mem *mem = phys_mem_create(64u << 20);
    struct io_bus *io = calloc(1, sizeof(*io));
    struct cpu *cpu = calloc(1, sizeof(*cpu));
    if (!mem || !io || !cpu) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    io_bus_init(io);
    phys_mem_set_a20(mem, true);    /* else the buffer at 1 MiB wraps onto the code */
    cpu_init(cpu, NULL, mem, io);
    const char *err = NULL;
    if (jit && !jit_enable(cpu, NULL, &err)) {
        fprintf(stderr, "no JIT: %s\n", err);
        exit(1);
    }
    dma_write(mem, 0x1000, code, len);
    cpu->cr0 |= CR0_PE;
    for (int s = 0; s < SEG_COUNT; s++) {
        cpu->seg[s].base = 0;
        cpu->seg[s].limit = 0xffffffffu;
        cpu->seg[s].flags = SEGF_S | SEGF_P | SEGF_DB | SEGF_G | (s == SEG_CS ? 0xb : 0x3);
    }
    cpu->rip = 0x1000;
    cpu->regs[R_ESP] = 0x80000;
    double t0 = now();
    uint64_t done = 0;
    while (done < insns) {
        uint64_t before = cpu->icount;
        cpu_exec(cpu, insns - done > 1000000 ? 1000000 : insns - done);   /* slices, like the machine loop */
        done += cpu->icount - before;
    }
    double dt = now() - t0;
    double mips = done / dt / 1e6;
    printf("%-6s %-8s %10llu instructions in %6.3f s: %7.1f MIPS\n", jit ? "jit" : "interp", name,
           (unsigned long long)done, dt, mips);
    const struct jit_stats *js = jit_get_stats(cpu);
    if (js)
        printf("       blocks %llu (TBs %llu made, %llu invalidated), chain hits %llu, helper calls %llu, "
               "inline %llu\n", (unsigned long long)js->blocks_translated,
               (unsigned long long)cpu->priv.tbs->n_built, (unsigned long long)cpu->priv.tbs->n_invalidated,
               (unsigned long long)js->chain_hits, (unsigned long long)js->helper_calls,
               (unsigned long long)js->inline_insns);
    tb_cache_destroy(cpu);
    phys_mem_destroy(mem);
    free(io);
    free(cpu);
    return mips;
}

int main(int argc, char **argv)
{
    uint64_t millions = argc > 1 ? strtoull(argv[1], NULL, 10) : 100;
    uint64_t n = millions * 1000000ull;
    printf("softvm guest MIPS per engine (no devices)\n");
    const char *only = argc > 2 ? argv[2] : "";    /* "interp" or "jit": that engine alone */
    for (int jit = 0; jit <= (jit_supported() ? 1 : 0); jit++) {
        if ((!strcmp(only, "interp") && jit) || (!strcmp(only, "jit") && !jit))
            continue;
        run("tight", tight_loop, sizeof(tight_loop), n, jit);
        run("memory", mem_loop, sizeof(mem_loop), n, jit);
    }
    return 0;
}
