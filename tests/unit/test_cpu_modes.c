/*
 * test_cpu_modes.c - the mode test programs (tests/asm/mode_*.asm) run on a
 * minimal machine: RAM, an I/O bus with the report ports, one CPU. Each
 * program starts in real mode at 0000:8000, switches modes itself and
 * reports values through port 0xF0; the tests assert the exact log
 * (vectors, error codes, registers). See tests/asm/mode_common.inc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "devices/iobus.h"
#include "memory/memory.h"
#include "tests/unit/support_cpu.h"

#define LOAD_AT 0x8000u
#define NO_ERROR 0xffffffffu
#define MAX_LOG 256

struct report_ports {
    uint32_t log[MAX_LOG];
    int n;
    bool done;
    struct cpu *cpu;
};

static void report_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct report_ports *r = opaque;
    if (port == 0xf0 && r->n < MAX_LOG)
        r->log[r->n++] = value;
    if (port == 0xf4) {
        r->done = true;
        cpu_request_exit(r->cpu);
    }
}

static uint32_t report_read(void *opaque, uint16_t port, unsigned size)
{
    return 0xffffffffu;
}

struct mode_run {
    struct support_cpu *m;
    struct report_ports ports;
    enum cpu_exit exit;
};

/* Load tests/asm/NAME.bin at 0x8000, start it in real mode, run until it
 * reports done, halts, shuts down or runs 2 million instructions. */
static struct mode_run *run_program(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.bin", SOFTVM_ASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "missing %s", path);
    static uint8_t buf[0x8000];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    struct mode_run *r = calloc(1, sizeof(*r));
    cr_assert(r);
    r->m = support_cpu_create(8u << 20);
    cr_assert(r->m);
    r->ports.cpu = r->m->cpu;
    cr_assert_eq(io_register(r->m->io, 0xf0, 8, report_read, report_write, &r->ports), 0);
    support_cpu_load(r->m, LOAD_AT, buf, n);
    r->m->cpu->eip = LOAD_AT;
    r->m->cpu->regs[R_ESP] = 0x7000;

    uint64_t start = r->m->cpu->icount;
    do {
        r->exit = cpu_exec(r->m->cpu, 100000);
    } while (r->exit == CPU_EXIT_BUDGET && r->m->cpu->icount - start < 2000000);
    return r;
}

static void free_run(struct mode_run *r)
{
    support_cpu_destroy(r->m);
    free(r);
}

static void dump_log(const struct mode_run *r)
{
    for (int i = 0; i < r->ports.n; i++)
        fprintf(stderr, "  log[%d] = %#x\n", i, r->ports.log[i]);
    fprintf(stderr, "  exit %d, eip %#x, cs %#x, icount %llu\n", r->exit, r->m->cpu->eip,
            r->m->cpu->seg[SEG_CS].sel, (unsigned long long)r->m->cpu->icount);
}

static void expect_log(const struct mode_run *r, const uint32_t *want, int n)
{
    bool ok = r->ports.n == n;
    for (int i = 0; ok && i < n; i++)
        ok = r->ports.log[i] == want[i];
    if (!ok) {
        dump_log(r);
        for (int i = 0; i < n; i++) {
            if (i >= r->ports.n || r->ports.log[i] != want[i]) {
                cr_assert_fail("log[%d] = %#x, want %#x (got %d entries, want %d)", i,
                               i < r->ports.n ? r->ports.log[i] : 0, want[i], r->ports.n, n);
            }
        }
        cr_assert_fail("log has %d entries, want %d", r->ports.n, n);
    }
}

Test(modes, exceptions)
{
    struct mode_run *r = run_program("mode_exc");
    static const uint32_t want[] = {
        0x1111,
        0x60000011,             /* CR0: PE + the reset value's CD NW ET */
        0x2222,                 /* paging on */
        0, NO_ERROR,            /* #DE */
        6, NO_ERROR,            /* #UD */
        13, 0x0ff8,             /* #GP(selector) */
        11, 0x38,               /* #NP(selector) */
        12, 0x38,               /* #SS(selector) */
        10, 0x60,               /* #TS(selector) */
        5, NO_ERROR,            /* #BR */
        4, NO_ERROR,            /* #OF */
        3, NO_ERROR,            /* #BP */
        14, 0, 0x300010,        /* #PF read, not present; CR2 */
        14, 2, 0x300ffc,        /* #PF write; CR2 */
        8, 0,                   /* #GP -> #NP -> #DF(0) */
        0x3333,
    };
    expect_log(r, want, (int)(sizeof(want) / sizeof(want[0])));
    cr_assert(r->ports.done);
    free_run(r);
}
