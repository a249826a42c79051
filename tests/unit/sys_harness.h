/*
 * sys_harness.h - helpers for the unit tests of the system half of the CPU
 * (cpu/system.h): a CPU on a fresh physical map with paging off, builders
 * for GDT/IDT/TSS entries, and a way to catch the exception a call raises.
 */
#ifndef SOFTVM_TESTS_SYS_HARNESS_H
#define SOFTVM_TESTS_SYS_HARNESS_H

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include "cpu/cpu.h"
#include "cpu/system.h"
#include "devices/iobus.h"
#include "memory/memory.h"
#include "memory/mmu.h"
#include "translator/tb.h"

#define ST_RAM (4u << 20)

/* Fixed layout of the test machine (paging off: linear = physical). */
#define ST_GDT 0x1000u
#define ST_IDT 0x2000u
#define ST_TSS 0x3000u      /* current 32-bit TSS */
#define ST_TSS2 0x3200u     /* second 32-bit TSS */
#define ST_TSS16 0x3400u    /* a 16-bit TSS */
#define ST_LDT 0x4000u

/* Access bytes: P | DPL | S | type. */
#define ACC_CODE(dpl) (0x80u | ((dpl) << 5) | 0x10u | 0xbu)   /* exec/read, accessed */
#define ACC_DATA(dpl) (0x80u | ((dpl) << 5) | 0x10u | 0x3u)   /* read/write, accessed */
#define FLAGS_32 0xcu                                         /* G=1, D/B=1 */

struct sys_test {
    struct phys_mem *pm;
    struct io_bus *io;
    struct cpu *cpu;
};

static inline void st_init(struct sys_test *t)
{
    t->pm = phys_mem_create(ST_RAM);
    cr_assert(t->pm);
    t->io = calloc(1, sizeof(*t->io));
    cr_assert(t->io);
    io_bus_init(t->io);
    t->cpu = calloc(1, sizeof(*t->cpu));
    cr_assert(t->cpu);
    cpu_init(t->cpu, NULL, t->pm, t->io);
    cpu_sys_reset(t->cpu);
}

static inline void st_fini(struct sys_test *t)
{
    tb_cache_destroy(t->cpu);
    free(t->cpu);
    free(t->io);
    phys_mem_destroy(t->pm);
}

static inline void st_desc(struct sys_test *t, uint32_t table, uint16_t sel, uint32_t base,
                           uint32_t limit, uint32_t access, uint32_t flags4)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) |
                  (flags4 << 20) | (base & 0xff000000u);
    phys_write32(t->pm, table + (sel & ~7u), lo);
    phys_write32(t->pm, table + (sel & ~7u) + 4, hi);
}

/* A gate: type 4/12 call, 5 task, 6/14 interrupt, 7/15 trap. */
static inline void st_gate(struct sys_test *t, uint32_t addr, uint16_t sel, uint32_t off,
                           unsigned type, unsigned dpl, unsigned params, bool present)
{
    uint32_t lo = (off & 0xffff) | ((uint32_t)sel << 16);
    uint32_t hi = (off & 0xffff0000u) | ((present ? 0x80u : 0) | (dpl << 5) | type) << 8 | params;
    phys_write32(t->pm, addr, lo);
    phys_write32(t->pm, addr + 4, hi);
}

static inline uint32_t st_rd32(struct sys_test *t, uint32_t a) { return phys_read32(t->pm, a); }
static inline uint16_t st_rd16(struct sys_test *t, uint32_t a) { return phys_read16(t->pm, a); }

/* Run stmt; evaluates to 1 if it raised an exception (exc_* filled), else 0. */
#define ST_FAULTS(cpu, stmt) ({                      \
    volatile int st_faulted_ = 0;                    \
    (cpu)->exc_vector = -1;                          \
    if (setjmp((cpu)->exc_jmp) == 0) {               \
        stmt;                                        \
    } else {                                         \
        st_faulted_ = 1;                             \
    }                                                \
    st_faulted_; })

#define ST_ASSERT_FAULT(cpu, stmt, vec, ec) do {                                    \
    cr_assert(ST_FAULTS(cpu, stmt), "expected exception %d from " #stmt, (int)(vec)); \
    cr_assert_eq((cpu)->exc_vector, (vec), "vector %d want %d", (cpu)->exc_vector, (int)(vec)); \
    cr_assert_eq((cpu)->exc_error, (uint32_t)(ec), "error code %#x want %#x",      \
                 (cpu)->exc_error, (uint32_t)(ec));                                 \
} while (0)

#define ST_ASSERT_OK(cpu, stmt) \
    cr_assert(!ST_FAULTS(cpu, stmt), "unexpected exception %d (ec %#x) from " #stmt, \
              (cpu)->exc_vector, (cpu)->exc_error)

#endif
