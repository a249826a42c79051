/*
 * support_cpu.c - the CPU-only test machine (see support_cpu.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/support_cpu.h"
#include "translator/tb.h"
#include "translator/jit.h"

bool support_cpu_want_jit(void)
{
    const char *a = getenv("SOFTVM_TEST_ACCEL");
    return a && !strcmp(a, "jit");
}

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
    if (support_cpu_want_jit()) {
        const char *err = NULL;
        if (!jit_enable(m->cpu, NULL, &err)) {
            fprintf(stderr, "SOFTVM_TEST_ACCEL=jit: %s\n", err);
            abort();
        }
    }
    struct cpu *c = m->cpu;
    for (int s = 0; s < SEG_COUNT; s++) {
        c->seg[s].sel = 0;
        c->seg[s].base = 0;
    }
    c->rip = 0;
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
    free(m->vga_ram);
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

void support_cpu_flat64(struct support_cpu *m)
{
    struct cpu *c = m->cpu;
    support_cpu_flat32(m);
    c->feat_lm = true;
    c->efer |= EFER_LME | EFER_LMA;
    c->seg[SEG_CS].flags = (c->seg[SEG_CS].flags & ~SEGF_DB) | SEGF_L;
}

enum cpu_exit support_cpu_run(struct support_cpu *m, uint64_t budget)
{
    return cpu_exec(m->cpu, budget);
}

static uint64_t hole_read(void *opaque, uint64_t addr, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size && addr + i < 0x20000; i++)
        v |= (uint64_t)((uint8_t *)opaque)[addr + i] << (8 * i);
    return v;
}

static void hole_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size && addr + i < 0x20000; i++)
        ((uint8_t *)opaque)[addr + i] = (uint8_t)(value >> (8 * i));
}

void support_cpu_plain_low_mb(struct support_cpu *m)
{
    static const struct mmio_ops hole_ops = { hole_read, hole_write };
    phys_mem_set_pam(m->mem, 0xc0000, 0x40000, PAM_READ_RAM | PAM_WRITE_RAM);
    if (!m->vga_ram) {
        m->vga_ram = calloc(1, 0x20000);
        if (m->vga_ram)
            phys_mem_add_mmio(m->mem, 0xa0000, 0x20000, &hole_ops, m->vga_ram);
    }
}
