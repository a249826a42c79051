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
#include "translator/jit.h"

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
    r->m->cpu->rip = LOAD_AT;
    r->m->cpu->regs[R_ESP] = 0x7000;
    r->m->cpu->feat_lm = true;      /* a CPU model with long mode (-cpu qemu64) */

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
    fprintf(stderr, "  exit %d, eip %#x, cs %#x, icount %llu\n", r->exit, (uint32_t)r->m->cpu->rip,
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

#define RING3_STACK 0x2e000u
#define RING0_STACK 0x2f000u

Test(modes, ring3)
{
    struct mode_run *r = run_program("mode_ring3");
    static const uint32_t want[] = {
        0x1111,
        0,                          /* DS nulled on the return to ring 3 */
        3, 0x23, RING3_STACK,       /* CPL, SS, ESP after IRET */
        13, 0,                      /* CLI */
        13, 0,                      /* OUT to a port the bitmap denies */
        13, 0,                      /* HLT */
        13, 0,                      /* MOV from CR0 */
        13, 0x10,                   /* MOV FS, DPL 0 data */
        13, 0x20 * 8 + 2,           /* INT 20h through a DPL 0 gate */
        0x11, 0x11,                 /* SMSW at CPL 3: CR0 low word (reset 0x60000010 | PE) */
        0, 0xabcd1234, RING3_STACK - 4, 0x23,   /* call gate target: CPL, param, caller SS:ESP */
        RING3_STACK, 3,             /* back in ring 3, parameter released */
        0, 0x1b, 0x200, 0, RING3_STACK, 0x23, RING0_STACK - 24,   /* INT 30h handler */
        0x3030,
        0x08, RING0_STACK,          /* SYSENTER */
        0x1b, 0x23, RING3_STACK,    /* SYSEXIT */
        0xbacc,
    };
    expect_log(r, want, (int)(sizeof(want) / sizeof(want[0])));
    cr_assert(r->ports.done);
    free_run(r);
}

Test(modes, v86)
{
    struct mode_run *r = run_program("mode_v86");
    static const uint32_t want[] = {
        0x1111,
        0x8601,                     /* running in v86, OUT allowed by the bitmap */
        13, 0,                      /* CLI with IOPL 0 */
        13, 0,                      /* INT 31h with IOPL 0 */
        13, 0,                      /* PUSHF with IOPL 0 */
        0x20000, 0x300, 0x600, 0xffe,   /* INT3 frame: EFLAGS.VM, DS, SS, ESP */
        0, 0x08,                    /* DS nulled, CS = ring-0 code */
        0xbeef,                     /* the v86 store went to 0x300:0x10 */
        0x3002,                     /* PUSHF with IOPL 3 */
        0, 0x20000,                 /* INT 31h handler: v86 CS, VM */
        0x1235,                     /* IRET back into v86 with EAX changed */
        0x300,                      /* DS restored by the IRET */
        0x8699,
    };
    expect_log(r, want, (int)(sizeof(want) / sizeof(want[0])));
    cr_assert(r->ports.done);
    free_run(r);
}

Test(modes, tasks)
{
    struct mode_run *r = run_program("mode_task");
    static const uint32_t want[] = {
        0x1111,
        0x11111111, 0xb01, 0x30, 0, 9,   /* task 1 by JMP: EAX, TR, NT=0, TSS0 free */
        0xa01, 0x22222222, 0x28, 9,      /* back by JMP: EBX kept, TR, TSS1 free */
        0xb02, 0x4000, 0x28, 11,         /* CALL via task gate: NT, back link, TSS0 busy */
        0xa02, 0, 9,                     /* IRET back: NT clear, TSS1 free */
        0xb03, 0x4000,                   /* INT 40h via task gate */
        0xa03,
        0xb04, 0xff8,                    /* #GP via task gate, error code on task 1's stack */
        0xa04,
    };
    expect_log(r, want, (int)(sizeof(want) / sizeof(want[0])));
    cr_assert(r->ports.done);
    free_run(r);
}

Test(modes, triple_fault)
{
    struct mode_run *r = run_program("mode_triple");
    static const uint32_t want[] = { 0x1111, 0x7001 };
    expect_log(r, want, 2);
    cr_assert_eq(r->exit, CPU_EXIT_SHUTDOWN);
    cr_assert(r->m->cpu->shutdown);
    cr_assert(!r->ports.done);
    free_run(r);
}

Test(modes, paging_double_fault)
{
    struct mode_run *r = run_program("mode_paging");
    static const uint32_t want[] = {
        0x1111,
        14, 0x5,                    /* user read of a supervisor page: P | U */
        14, 0x7,                    /* user write: P | W | U */
        0x100010,                   /* CR2, read by the INT 30h handler */
        0x3030,
        0xdf00, 0,                  /* #DF task entered, error code 0 */
        0x3f0ffc,                   /* CR2: the first push on the unmapped ring-0 stack */
        0x28, 0x1b,                 /* back link to TSS0, which was in ring 3 */
        0x4000,                     /* NT */
    };
    expect_log(r, want, (int)(sizeof(want) / sizeof(want[0])));
    cr_assert(r->ports.done);
    free_run(r);
}

/* Real -> protected -> IA-32e mode and back to compatibility mode and out
 * (tests/asm/mode_long.asm). Expected values from the SDM: EFER.LMA set by
 * CR0.PG with LME (Vol. 3A 9.8.5) and cleared with it; #GP(0) / #SS(0) for
 * non-canonical addresses (Vol. 3A 6.14.5 ... 5.3.1); the 64-bit frame
 * aligned to 16 bytes (6.14.2) and IST (6.14.5); SYSCALL/SYSRET selectors
 * from IA32_STAR and RFLAGS through R11 and FMASK (5.8.8). */
Test(modes, long_mode)
{
    struct mode_run *r = run_program("mode_long");
    static const uint32_t want[] = {
        0x1111,
        0x501,                          /* EFER: LMA | LME | SCE in compatibility mode */
        0x6464,                         /* 64-bit code */
        0x12345678, 0xfffffffd, 2,      /* R9 = RAX >> 32; 3 * (2^64 - 1) = 2:FFFF...FFFD */
        0, 0xffffffff, 0xffffffff,      /* MOV r32 zero-extends; MOVSXD; PUSH imm8 */
        0x5a,                           /* SIL from R12B */
        0, 0xc0de64, 0xc0de64,          /* RIP-relative; through the 1 GiB page alias */
        13, 0,                          /* non-canonical: #GP(0) */
        12, 0,                          /* non-canonical through RBP: #SS(0) */
        14, 0,                          /* not-present PML4 entry: #PF(0) */
        6, NO_ERROR,                    /* PUSHA: #UD */
        0x68, 0x3efc8, 0x3eff8,         /* INT 40h: CS, the aligned frame, the old RSP */
        0x3eff8,                        /* RSP after IRETQ */
        0x4ffd8,                        /* INT 41h on IST1 */
        1, 3, 4,                        /* CMPXCHG16B equal: ZF, memory */
        3, 4, 0,                        /* not equal: RDX:RAX loaded, ZF = 0 */
        0xabcd, 0x5000,                 /* SWAPGS */
        0x8b, 0x83,                     /* ring 3 after SYSRETQ: STAR[63:48] + 16, + 8 */
        0x77, 0, 0x400, 0, 0x68, 0x70,  /* SYSCALL: RCX, R11.DF, FMASK, STAR[47:32] */
        0xc0c0, 2,                      /* compatibility mode: 40 is INC */
        0x101,                          /* paging off: LMA clear */
    };
    expect_log(r, want, (int)(sizeof(want) / sizeof(want[0])));
    cr_assert(r->ports.done);
    const struct jit_stats *js = jit_get_stats(r->m->cpu);
    if (js) {
        /* under -accel jit: the 16/32-bit code was compiled, the 64-bit code
         * left to the interpreter (translator/jit.c) */
        cr_assert_gt(js->blocks_translated, 0);
        cr_assert_gt(js->declined_code64, 0);
    }
    free_run(r);
}

/* The same bytes at the same physical address run as compatibility-mode
 * code and then as 64-bit code: the TB state key tells the two apart
 * (TBK_CODE64), so the second run decodes again. 48 83 C0 01 is DEC EAX;
 * ADD EAX, 1 in 32-bit code (EAX unchanged) and ADD RAX, 1 in 64-bit code.
 * Under SOFTVM_TEST_ACCEL=jit the 64-bit block must be declined. */
Test(modes, tb_key_code64)
{
    struct support_cpu *m = support_cpu_create(1u << 20);
    cr_assert(m);
    struct cpu *c = m->cpu;
    c->feat_lm = true;
    support_cpu_flat32(m);
    static const uint8_t code[] = { 0x48, 0x83, 0xc0, 0x01, 0xf4 };
    support_cpu_load(m, 0x1000, code, sizeof(code));
    uint64_t pml4e = 0x11000 | 7, pdpte = 0x12000 | 7, pde = 0x87;
    support_cpu_load(m, 0x10000, &pml4e, 8);
    support_cpu_load(m, 0x11000, &pdpte, 8);
    support_cpu_load(m, 0x12000, &pde, 8);
    c->cr3 = 0x10000;
    c->cr4 |= CR4_PAE;
    c->efer = EFER_LME | EFER_LMA;
    c->cr0 |= CR0_PG;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            c->seg[SEG_CS].flags = (c->seg[SEG_CS].flags & ~SEGF_DB) | SEGF_L;
            c->halted = false;
        }
        c->regs[R_EAX] = 0x100000005ull;
        c->rip = 0x1000;
        for (int i = 0; i < 4 && !c->halted; i++)
            cpu_exec(c, 1000);
        cr_assert(c->halted, "pass %d: no HLT", pass);
        cr_assert_eq(c->rip, 0x1005);
        cr_assert_eq(c->regs[R_EAX], pass == 0 ? 0x5ull : 0x100000006ull,
                     "pass %d: RAX %#llx", pass, (unsigned long long)c->regs[R_EAX]);
    }
    const struct jit_stats *js = jit_get_stats(c);
    if (js)
        cr_assert_gt(js->declined_code64, 0);
    support_cpu_destroy(m);
}
