/*
 * support_cpu.c - the CPU-only test machine (see support_cpu.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/support_cpu.h"
#include "translator/tb.h"

struct support_cpu *support_cpu_create(uint64_t ram_size)
{
    struct support_cpu *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->mem = phys_mem_create(ram_size);
    m->io = calloc(1, sizeof(*m->io));
    m->cpu = calloc(1, sizeof(*m->cpu));
    if (!m->mem || !m->io || !m->cpu) {
        support_cpu_destroy(m);
        return NULL;
    }
    io_bus_init(m->io);
    phys_mem_set_a20(m->mem, true);
    cpu_init(m->cpu, NULL, m->mem, m->io);
    struct cpu *c = m->cpu;
    for (int s = 0; s < SEG_COUNT; s++) {
        c->seg[s].sel = 0;
        c->seg[s].base = 0;
    }
    c->eip = 0;
    c->regs[R_ESP] = 0xfffe;
    return m;
}

void support_cpu_destroy(struct support_cpu *m)
{
    if (!m)
        return;
    if (m->cpu && m->cpu->priv.tbs)
        tb_cache_destroy(m->cpu);
    free(m->cpu);
    free(m->io);
    if (m->mem)
        phys_mem_destroy(m->mem);
    free(m);
}

void support_cpu_load(struct support_cpu *m, uint64_t addr, const void *data, size_t len)
{
    dma_write(m->mem, addr, data, len);
}

void support_cpu_flat32(struct support_cpu *m)
{
    struct cpu *c = m->cpu;
    c->cr0 |= CR0_PE;
    c->cpl = 0;
    for (int s = 0; s < SEG_COUNT; s++) {
        c->seg[s].sel = s == SEG_CS ? 0x08 : 0x10;
        c->seg[s].base = 0;
        c->seg[s].limit = 0xffffffffu;
        c->seg[s].flags = SEGF_S | SEGF_P | SEGF_DB | SEGF_G | (s == SEG_CS ? 0xb : 0x3);
    }
}

enum cpu_exit support_cpu_run(struct support_cpu *m, uint64_t budget)
{
    return cpu_exec(m->cpu, budget);
}
