/*
 * lockstep.c - the JIT checked against the interpreter (see lockstep.h).
 * The twin has no host side attached (machine_host_ops): its console output
 * goes nowhere and it gets no host input, so a lockstep run is meant for
 * guests that run without typing (the test initramfs, the guest suite).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/machine/lockstep.h"
#include "devices/machine/machine.h"
#include "memory/memory.h"

#define RAM_CHECK_EVERY 64      /* slices between RAM comparisons */

static void dump(FILE *f, const char *who, struct cpu *c)
{
    fprintf(f, "  %-6s icount=%" PRIu64 " EIP=%08x EFL=%08x EAX=%08x ECX=%08x EDX=%08x EBX=%08x "
            "ESP=%08x EBP=%08x ESI=%08x EDI=%08x CS=%04x SS=%04x DS=%04x CR0=%08x CR3=%08x\n",
            who, c->icount, (unsigned)c->rip, cpu_get_eflags(c), (unsigned)c->regs[R_EAX],
            (unsigned)c->regs[R_ECX], (unsigned)c->regs[R_EDX], (unsigned)c->regs[R_EBX],
            (unsigned)c->regs[R_ESP], (unsigned)c->regs[R_EBP], (unsigned)c->regs[R_ESI],
            (unsigned)c->regs[R_EDI], c->seg[SEG_CS].sel, c->seg[SEG_SS].sel, c->seg[SEG_DS].sel,
            (unsigned)c->cr0, (unsigned)c->cr3);
}

/* The first architectural difference, or NULL. */
static const char *cpu_differs(struct cpu *a, struct cpu *b)
{
    if (a->icount != b->icount)
        return "instruction count";
    if (a->rip != b->rip)
        return "EIP";
    for (int r = 0; r < 8; r++)
        if (a->regs[r] != b->regs[r])
            return "a general register";
    if (cpu_get_eflags(a) != cpu_get_eflags(b))
        return "EFLAGS";
    for (int s = 0; s < SEG_COUNT; s++)
        if (a->seg[s].sel != b->seg[s].sel || a->seg[s].base != b->seg[s].base
            || a->seg[s].limit != b->seg[s].limit || a->seg[s].flags != b->seg[s].flags)
            return "a segment register";
    if (a->cr0 != b->cr0 || a->cr2 != b->cr2 || a->cr3 != b->cr3 || a->cr4 != b->cr4)
        return "a control register";
    if (a->halted != b->halted || a->cpl != b->cpl)
        return "the halted state or CPL";
    return NULL;
}

static const char *ram_differs(struct machine *a, struct machine *b, uint64_t *at)
{
    uint64_t size = phys_mem_ram_size(a->mem);
    if (size > 0xe0000000ull)
        size = 0xe0000000ull;
    const uint8_t *ra = phys_ram_ptr(a->mem, 0, (size_t)size);
    const uint8_t *rb = phys_ram_ptr(b->mem, 0, (size_t)size);
    if (!ra || !rb || !memcmp(ra, rb, (size_t)size))
        return NULL;
    for (uint64_t i = 0; i < size; i += 4096)
        if (memcmp(ra + i, rb + i, 4096)) {
            *at = i;
            return "guest RAM";
        }
    return NULL;
}

void lockstep_run(struct machine *m)
{
    if (m->opt.clock != VM_CLOCK_DETERMINISTIC) {
        fprintf(stderr, "softvm: -accel jit,lockstep=on needs the deterministic clock "
                "(-clock deterministic)\n");
        machine_request_stop(m, 3);
        return;
    }
    struct vm_options o = m->opt;
    o.accel = VM_ACCEL_INTERP;
    o.accel_lockstep = false;
    o.accel_tb_size = 0;
    o.gdb = false;
    o.start_stopped = false;
    o.log_mask = 0;
    o.log_file = NULL;
    o.stats = false;
    struct machine *twin = calloc(1, sizeof(*twin));
    if (!twin || machine_init(twin, &o) != 0) {
        fprintf(stderr, "softvm: lockstep: cannot build the interpreter twin\n");
        free(twin);
        machine_request_stop(m, 3);
        return;
    }
    uint64_t slices = 0;
    while (!m->stop) {
        uint64_t from = m->cpu.icount;
        machine_slice(m);
        machine_slice(twin);
        slices++;
        const char *what = cpu_differs(&m->cpu, &twin->cpu);
        uint64_t page = 0;
        if (!what && (m->stop || slices % RAM_CHECK_EVERY == 0))
            what = ram_differs(m, twin, &page);
        if (!what && m->stop != twin->stop)
            what = "whether the machine stopped";
        if (what) {
            fprintf(stderr, "softvm: lockstep: the JIT and the interpreter differ in %s "
                    "after the slice of instructions %" PRIu64 "..%" PRIu64, what, from,
                    twin->cpu.icount);
            if (!strcmp(what, "guest RAM"))
                fprintf(stderr, " (first differing page at 0x%" PRIx64 "; RAM is compared "
                        "every %d slices)", page, RAM_CHECK_EVERY);
            fprintf(stderr, "\n");
            dump(stderr, "jit", &m->cpu);
            dump(stderr, "interp", &twin->cpu);
            machine_request_stop(m, 3);
            break;
        }
    }
    machine_destroy(twin);
    free(twin);
}
