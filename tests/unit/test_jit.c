/*
 * test_jit.c - the JIT backend (translator/jit*.c) against the interpreter
 * and against values fixed by the SDM and arithmetic:
 *  - random instruction streams run in lockstep on both engines, compared
 *    (registers, EIP, EFLAGS, icount, memory) after every slice of a
 *    random budget, so instruction counts at slice ends are checked too;
 *  - a #PF on every kind of memory operand in the middle of a block
 *    (tests/asm/jit_faults.asm): faulting EIP, CR2, the registers and
 *    flags as the instruction found them, partial REP progress;
 *  - self-modifying code: a write into the running block, a write into a
 *    chained block from another page (the chain must be undone);
 *  - the code cache filling up (flushes, results unchanged).
 * Code written through an alias mapping and through DMA is covered by
 * test_mem_smc, which ctest also runs with SOFTVM_TEST_ACCEL=jit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "devices/iobus.h"
#include "memory/memory.h"
#include "translator/jit.h"
#include "tests/unit/support_cpu.h"

static struct support_cpu *make(bool jit, size_t code_size)
{
    struct support_cpu *m = support_cpu_create(16u << 20);
    cr_assert(m);
    jit_disable(m->cpu);        /* whatever SOFTVM_TEST_ACCEL said: this test picks */
    if (jit) {
        struct jit_options o = { .code_size = code_size };
        const char *err = NULL;
        cr_assert(jit_enable(m->cpu, &o, &err), "jit_enable: %s", err);
    }
    return m;
}

static void flat_at(struct support_cpu *m, const uint8_t *code, size_t n, uint32_t at)
{
    support_cpu_flat32(m);
    support_cpu_load(m, at, code, n);
    m->cpu->rip = at;
    m->cpu->regs[R_ESP] = 0x80000;
}

/* --- random streams in lockstep --------------------------------------------- */

static uint64_t rng;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Destinations: never ESP (the stack) or EBX (points at the data area). */
static const int dsts[6] = { 0, 1, 2, 5, 6, 7 };
static const int bdsts[6] = { 0, 1, 2, 4, 5, 6 };  /* AL CL DL AH CH DH */
static int rdst(void) { return dsts[rnd() % 6]; }
static int rreg(void) { return (int)(rnd() % 8); }

struct prog {
    uint8_t b[8192];
    size_t n;
};
static void put(struct prog *p, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        p->b[p->n++] = (uint8_t)va_arg(ap, int);
    va_end(ap);
}
static void put32(struct prog *p, uint32_t v)
{
    memcpy(&p->b[p->n], &v, 4);
    p->n += 4;
}

/* One register ALU op r, r (2 bytes). */
static void alu_rr(struct prog *p, int dst)
{
    int op = (int)(rnd() % 8);
    put(p, 2, op * 8 + 1, 0xc0 | (rreg() << 3) | dst);
}

static void gen_insn(struct prog *p, int depth)
{
    int op;
    switch (rnd() % 37) {
    case 0: case 1: alu_rr(p, rdst()); break;
    case 2: op = (int)(rnd() % 8); put(p, 3, 0x83, 0xc0 | (op << 3) | rdst(), rnd() & 0xff); break;
    case 3: op = (int)(rnd() % 8); put(p, 2, 0x81, 0xc0 | (op << 3) | rdst()); put32(p, rnd() * 7919u); break;
    case 4: op = (int)(rnd() % 8); put(p, 3, 0x66, op * 8 + 1, 0xc0 | (rreg() << 3) | rdst()); break;
    case 5: op = (int)(rnd() % 8); put(p, 2, op * 8, 0xc0 | (rreg() << 3) | bdsts[rnd() % 6]); break;
    case 6: put(p, 1, (rnd() & 1 ? 0x40 : 0x48) + rdst()); break;
    case 7: put(p, 1, 0xb8 + rdst()); put32(p, rnd() | (rnd() << 16)); break;
    case 8: put(p, 2, 0x89, 0xc0 | (rreg() << 3) | rdst()); break;
    case 9: {       /* lea r, [base + index*s + disp8] */
        int index = rreg();
        if (index == 4)
            index = 0;
        put(p, 4, 0x8d, 0x44 | (rdst() << 3), ((rnd() % 4) << 6) | (index << 3) | rreg(), rnd() & 0xff);
        break;
    }
    case 10: op = (int)(rnd() % 8); put(p, 3, 0xc1, 0xc0 | (op << 3) | rdst(), rnd() % 40); break;
    case 11: op = (int)(rnd() % 8); put(p, 2, 0xd3, 0xc0 | (op << 3) | rdst()); break;
    case 12: {      /* memory: [ebx + disp8] */
        static const uint8_t ops[] = { 0x89, 0x8b, 0x01, 0x03, 0x31, 0x29, 0x85, 0x87 };
        uint8_t o = ops[rnd() % sizeof(ops)];
        int r = (o == 0x89 || o == 0x01 || o == 0x31 || o == 0x29 || o == 0x85) ? rreg() : rdst();
        put(p, 3, o, 0x43 | (r << 3), (rnd() % 32) * 4);
        break;
    }
    case 13:        /* push r; something; pop r */
        put(p, 1, 0x50 + rreg());
        if (depth < 2)
            gen_insn(p, depth + 1);
        put(p, 1, 0x58 + rdst());
        break;
    case 14:        /* jcc over a 2-byte instruction */
        put(p, 2, 0x70 + (rnd() % 16), 2);
        alu_rr(p, rdst());
        break;
    case 15: put(p, 3, 0x0f, 0x90 + (rnd() % 16), 0xc0 | bdsts[rnd() % 6]); break;   /* setcc */
    case 16: put(p, 3, 0x0f, 0x40 + (rnd() % 16), 0xc0 | (rdst() << 3) | rreg()); break; /* cmovcc */
    case 17: put(p, 3, 0x0f, 0xaf, 0xc0 | (rdst() << 3) | rreg()); break;           /* imul r, r */
    case 18: put(p, 2, 0xf7, 0xc0 | ((2 + rnd() % 4) << 3) | rdst()); break;        /* not neg mul imul */
    case 19:        /* a counted loop: mov ecx, k; L: op; dec ecx; jnz L */
        if (depth < 1) {
            put(p, 1, 0xb9);
            put32(p, 1 + rnd() % 5);
            size_t loop = p->n;
            int d = rdst();
            alu_rr(p, d == 1 ? 0 : d);
            put(p, 1, 0x49);
            put(p, 2, 0x75, (uint8_t)(loop - (p->n + 2)));
        }
        break;
    case 20: put(p, 3, 0x0f, rnd() & 1 ? 0xc1 : 0xb1, 0xc0 | (rdst() << 3) | rdst()); break; /* xadd, cmpxchg */
    case 21: put(p, 3, 0x8d, 0x7b, 0x40); put(p, 1, 0xab); break;   /* lea edi, [ebx+0x40]; stosd */
    case 22: put(p, 2, 0x9c, 0x58 + rdst()); break;                 /* pushfd; pop r */
    case 23: put(p, 1, (uint8_t[]){ 0xf5, 0xf8, 0xf9, 0x9f, 0x9e, 0x98, 0x99, 0x90 }[rnd() % 8]); break;
    case 25: {      /* mov eax, moffs / mov moffs, eax; push imm; pop r */
        put(p, 1, rnd() & 1 ? 0xa1 : 0xa3);
        put32(p, 0x100000u + (rnd() % 32) * 4);
        if (rnd() & 1) {
            put(p, 1, 0x68);
            put32(p, rnd() * 2654435761u);
        } else {
            put(p, 2, 0x6a, rnd() & 0xff);
        }
        put(p, 1, 0x58 + rdst());
        break;
    }
    case 26: {      /* mov r, next; jmp r */
        int r = rdst();
        put(p, 1, 0xb8 + r);
        put32(p, 0x1000u + (uint32_t)p->n + 4 + 2);
        put(p, 2, 0xff, 0xe0 | r);
        break;
    }
    case 27: {      /* mov r, f; call r; jmp over; f: op; ret; over: */
        int r = rdst();
        put(p, 1, 0xb8 + r);
        put32(p, 0x1000u + (uint32_t)p->n + 4 + 2 + 2);
        put(p, 2, 0xff, 0xd0 | r);
        put(p, 2, 0xeb, 0x03);
        alu_rr(p, rdst());
        put(p, 1, 0xc3);
        break;
    }
    case 28:        /* shift/rotate by 1: 32-bit, 8-bit (AH..DH too) */
        op = (int)(rnd() % 8);
        if (rnd() & 1)
            put(p, 2, 0xd1, 0xc0 | (op << 3) | rdst());
        else
            put(p, 2, 0xd0, 0xc0 | (op << 3) | bdsts[rnd() % 6]);
        break;
    case 29:        /* 8- and 16-bit shift/rotate by imm (counts past the width too) */
        op = (int)(rnd() % 8);
        if (rnd() & 1)
            put(p, 3, 0xc0, 0xc0 | (op << 3) | bdsts[rnd() % 6], rnd() % 34);
        else
            put(p, 4, 0x66, 0xc1, 0xc0 | (op << 3) | rdst(), rnd() % 34);
        break;
    case 30: {      /* shift/rotate of [ebx + disp8] by 1 or imm, 8/16/32-bit */
        op = (int)(rnd() % 8);
        int disp = (int)(rnd() % 32) * 4, k = (int)(rnd() % 4);
        if (k == 0)
            put(p, 3, 0xd1, 0x43 | (op << 3), disp);
        else if (k == 1)
            put(p, 4, 0xc1, 0x43 | (op << 3), disp, rnd() % 34);
        else if (k == 2)
            put(p, 4, 0xc0, 0x43 | (op << 3), disp + (int)(rnd() % 4), rnd() % 12);
        else
            put(p, 5, 0x66, 0xc1, 0x43 | (op << 3), disp, rnd() % 20);
        break;
    }
    case 31:        /* a flag setter, a shift/rotate, then a flag reader */
        alu_rr(p, rdst());
        op = (int)(rnd() % 8);
        put(p, 3, 0xc1, 0xc0 | (op << 3) | rdst(), rnd() % 34);
        if (rnd() & 1)
            put(p, 3, 0x0f, 0x90 + (rnd() % 16), 0xc0 | bdsts[rnd() % 6]);
        else
            put(p, 2, 0x9c, 0x58 + rdst());
        break;
    case 32: {      /* imul r, r/m (16/32-bit), imul r, r/m, imm8/imm32; memory [ebx + disp8] */
        int d = rdst(), k = (int)(rnd() % 5), disp = (int)(rnd() % 32) * 4;
        if (k == 0)
            put(p, 4, 0x0f, 0xaf, 0x43 | (d << 3), disp);
        else if (k == 1)
            put(p, 4, 0x66, 0x0f, 0xaf, 0xc0 | (d << 3) | rreg());
        else if (k == 2)
            put(p, 3, 0x6b, 0xc0 | (d << 3) | rreg(), rnd() & 0xff);
        else if (k == 3)
            put(p, 4, 0x6b, 0x43 | (d << 3), disp, rnd() & 0xff);
        else {
            put(p, 2, 0x69, 0xc0 | (d << 3) | rreg());
            put32(p, rnd() * 40503u);
        }
        break;
    }
    case 33: {      /* inc/dec/not/neg of [ebx + disp8], 8/16/32-bit */
        static const uint8_t ext[4] = { 0, 1, 2, 3 };      /* FE/FF /0 /1, F6/F7 /2 /3 */
        int k = (int)(rnd() % 4), disp = (int)(rnd() % 32) * 4 + (int)(rnd() % 4);
        int grp = k < 2 ? 0xfe : 0xf6, w = (int)(rnd() % 3);
        if (w == 2)
            put(p, 1, 0x66);
        put(p, 3, grp | (w ? 1 : 0), 0x43 | (ext[k] << 3), disp);
        break;
    }
    case 34:        /* not/neg of a register, 8/32-bit, then a flag reader */
        if (rnd() & 1)
            put(p, 2, 0xf7, 0xc0 | ((2 + rnd() % 2) << 3) | rdst());
        else
            put(p, 2, 0xf6, 0xc0 | ((2 + rnd() % 2) << 3) | bdsts[rnd() % 6]);
        put(p, 2, 0x9c, 0x58 + rdst());
        break;
    case 35:        /* a flag setter, then cmovcc r, [ebx + disp8] (16/32-bit) */
        alu_rr(p, rdst());
        if (rnd() & 1)
            put(p, 1, 0x66);
        put(p, 4, 0x0f, 0x40 + (rnd() % 16), 0x43 | (rdst() << 3), (rnd() % 32) * 4);
        break;
    case 36:        /* adc/sbb al/ax/eax, imm; then a shift by CL and a flag reader */
        if (rnd() & 1) {
            put(p, 2, rnd() & 1 ? 0x14 : 0x1c, rnd() & 0xff);
        } else {
            put(p, 1, rnd() & 1 ? 0x15 : 0x1d);
            put32(p, rnd() * 2246822519u);
        }
        put(p, 2, 0xd3, 0xc0 | ((int)(rnd() % 8) << 3) | rdst());
        put(p, 3, 0x0f, 0x90 + (rnd() % 16), 0xc0 | bdsts[rnd() % 6]);
        break;
    case 24:        /* call f; jmp over; f: op; ret; over: */
        put(p, 5, 0xe8, 0x02, 0x00, 0x00, 0x00);
        put(p, 2, 0xeb, 0x03);
        alu_rr(p, rdst());
        put(p, 1, 0xc3);
        break;
    }
}

static void compare(struct support_cpu *a, struct support_cpu *b, int prog, int step)
{
    struct cpu *x = a->cpu, *y = b->cpu;
    cr_assert_eq(x->icount, y->icount, "program %d step %d: icount %llu vs %llu", prog, step,
                 (unsigned long long)x->icount, (unsigned long long)y->icount);
    cr_assert_eq(x->rip, y->rip, "program %d step %d: EIP %#x vs %#x", prog, step,
                 (unsigned)x->rip, (unsigned)y->rip);
    for (int r = 0; r < 8; r++)
        cr_assert_eq(x->regs[r], y->regs[r], "program %d step %d: reg %d %#x vs %#x", prog, step, r,
                     (unsigned)x->regs[r], (unsigned)y->regs[r]);
    cr_assert_eq(cpu_get_eflags(x), cpu_get_eflags(y), "program %d step %d: EFLAGS %#x vs %#x", prog,
                 step, cpu_get_eflags(x), cpu_get_eflags(y));
    cr_assert_eq(x->halted, y->halted);
    uint8_t *da = phys_ram_ptr(a->mem, 0x100000, 0x100), *db = phys_ram_ptr(b->mem, 0x100000, 0x100);
    uint8_t *sa = phys_ram_ptr(a->mem, 0x7f000, 0x1000), *sb = phys_ram_ptr(b->mem, 0x7f000, 0x1000);
    cr_assert(!memcmp(da, db, 0x100), "program %d step %d: data area differs", prog, step);
    cr_assert(!memcmp(sa, sb, 0x1000), "program %d step %d: stack differs", prog, step);
}

Test(jit, random_streams_in_lockstep)
{
    rng = 0x9e3779b97f4a7c15ull;
    uint64_t helper = 0, blocks = 0, jit_insns = 0, indirect = 0, chained = 0;
    static struct prog p;
    for (int prog = 0; prog < 300; prog++) {
        p.n = 0;
        int n = 50 + (int)(rnd() % 150);
        for (int i = 0; i < n && p.n < sizeof(p.b) - 64; i++)
            gen_insn(&p, 0);
        put(&p, 1, 0xf4);       /* hlt */
        struct support_cpu *a = make(false, 0), *b = make(true, 0);
        flat_at(a, p.b, p.n, 0x1000);
        flat_at(b, p.b, p.n, 0x1000);
        for (int r = 0; r < 8; r++) {
            uint32_t v = r == R_ESP ? 0x80000u : r == R_EBX ? 0x100000u : rnd() | (rnd() << 16);
            a->cpu->regs[r] = b->cpu->regs[r] = v;
        }
        for (int step = 0; step < 10000; step++) {
            uint64_t budget = 1 + rnd() % (step & 1 ? 8 : 64);
            enum cpu_exit ea = cpu_exec(a->cpu, budget), eb = cpu_exec(b->cpu, budget);
            cr_assert_eq(ea, eb, "program %d step %d: exit %d vs %d", prog, step, ea, eb);
            compare(a, b, prog, step);
            if (ea == CPU_EXIT_HALT)
                break;
        }
        cr_assert(a->cpu->halted, "program %d did not reach its HLT (EIP %#x, length %zu, icount %llu)", prog, (unsigned)a->cpu->rip, p.n, (unsigned long long)a->cpu->icount);
        const struct jit_stats *s = jit_get_stats(b->cpu);
        helper += s->helper_calls;
        indirect += s->indirect_hits;
        chained += s->chain_hits;
        blocks += s->blocks_translated;
        cr_assert_eq(s->blocks_failed, 0, "program %d: %llu blocks failed to compile", prog,
                     (unsigned long long)s->blocks_failed);
        jit_insns += b->cpu->icount;
        support_cpu_destroy(a);
        support_cpu_destroy(b);
    }
    cr_assert_gt(blocks, 1000, "the JIT compiled only %llu blocks", (unsigned long long)blocks);
    cr_assert_gt(chained, 100, "only %llu chain hits", (unsigned long long)chained);
    (void)helper;
    (void)jit_insns;
}

/* --- faults inside translated code ------------------------------------------ */

#define LOAD_AT 0x8000u
#define NO_ERROR 0xffffffffu

struct ports {
    uint32_t log[1024];
    int n;
    bool done;
    struct cpu *cpu;
};
static void port_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct ports *r = opaque;
    if (port == 0xf0 && r->n < 1024)
        r->log[r->n++] = value;
    if (port == 0xf4) {
        r->done = true;
        cpu_request_exit(r->cpu);
    }
}
static uint32_t port_read(void *opaque, uint16_t port, unsigned size) { return 0xffffffffu; }

static void run_asm(const char *name, bool jit, struct ports *r, uint64_t *icount, uint64_t *blocks)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.bin", SOFTVM_ASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "missing %s", path);
    static uint8_t buf[0x8000];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct support_cpu *m = make(jit, 0);
    memset(r, 0, sizeof(*r));
    r->cpu = m->cpu;
    cr_assert_eq(io_register(m->io, 0xf0, 8, port_read, port_write, r), 0);
    support_cpu_load(m, LOAD_AT, buf, n);
    m->cpu->rip = LOAD_AT;
    m->cpu->regs[R_ESP] = 0x7000;
    for (int i = 0; i < 100 && !r->done; i++)
        if (cpu_exec(m->cpu, 100000) != CPU_EXIT_BUDGET && !r->done)
            break;
    cr_assert(r->done, "%s did not finish (EIP %#x)", name, (unsigned)m->cpu->rip);
    *icount = m->cpu->icount;
    const struct jit_stats *s = jit_get_stats(m->cpu);
    *blocks = s ? s->blocks_translated : 0;
    if (s)
        cr_assert_eq(s->blocks_failed, 0, "%s: %llu blocks failed to compile", name,
                     (unsigned long long)s->blocks_failed);
    support_cpu_destroy(m);
}

#define HOLE 0x300000u
struct fault_case {
    const char *name;
    uint32_t err;           /* NO_ERROR: a read-modify-write, 0 or 2 (not asserted) */
    uint32_t cr2;
    uint32_t eax, ecx, edx, edi, esi;
};
/* The registers SETUP leaves (jit_faults.asm), and its ADD's flags CF|PF. */
#define R0 0x01111111u, 0x22222222u, 0x33333333u, 0x44444444u, 0x55555555u
#define FLAGS0 0x005u

Test(jit, faults_on_memory_operands_are_precise)
{
    static const struct fault_case cases[] = {
        { "load", 0, HOLE + 0x10, R0 },
        { "store", 2, HOLE + 0x10, R0 },
        { "alu load", 0, HOLE + 0x10, R0 },
        { "alu rmw", NO_ERROR, HOLE + 0x10, R0 },
        { "inc m", NO_ERROR, HOLE + 0x10, R0 },
        { "movzx", 0, HOLE + 0x12, R0 },
        { "movsx8 base+index", 0, HOLE + 0x10, R0 },
        { "sib scaled", 0, HOLE + 0x10, R0 },
        { "store8", 2, HOLE + 0x11, R0 },
        { "store16", 2, HOLE + 0x12, R0 },
        { "store imm", 2, HOLE + 0x10, R0 },
        { "cmp m", 0, HOLE + 0x10, R0 },
        { "test m", 0, HOLE + 0x10, R0 },
        { "xchg m", NO_ERROR, HOLE + 0x10, R0 },
        { "cmpxchg m", NO_ERROR, HOLE + 0x10, R0 },
        { "xadd m", NO_ERROR, HOLE + 0x10, R0 },
        { "bts m", NO_ERROR, HOLE + 0x10, R0 },
        { "shl m", NO_ERROR, HOLE + 0x10, R0 },
        { "rol m imm", NO_ERROR, HOLE + 0x10, R0 },
        { "sar m8 imm", NO_ERROR, HOLE + 0x13, R0 },
        { "imul r, m", 0, HOLE + 0x10, R0 },
        { "imul r, m, imm", 0, HOLE + 0x10, R0 },
        { "dec m16", NO_ERROR, HOLE + 0x12, R0 },
        { "not m8", NO_ERROR, HOLE + 0x11, R0 },
        { "neg m", NO_ERROR, HOLE + 0x10, R0 },
        { "cmovcc m (false)", 0, HOLE + 0x10, R0 },
        { "cmovcc m (true)", 0, HOLE + 0x10, R0 },
        { "push m", 0, HOLE + 0x10, R0 },
        { "pop m", 2, HOLE + 0x10, R0 },
        { "call m", 0, HOLE + 0x10, R0 },
        { "jmp m", 0, HOLE + 0x10, R0 },
        { "page-crossing load", 0, HOLE, R0 },
        { "moffs", 0, HOLE + 0x20, R0 },
        { "fld m32", 0, HOLE + 0x10, R0 },
        { "16-bit address", 0, 0x5565, R0 },
        { "rep stosd", 2, HOLE, 0x01111111u, 3, 0x33333333u, HOLE, 0x55555555u },
        { "rep movsd", 0, HOLE, 0x01111111u, 3, 0x33333333u, 0x100004u, HOLE },
        { "lodsb", 0, HOLE, 0x01111111u, 0x22222222u, 0x33333333u, 0x44444444u, HOLE },
    };
    const int ncases = (int)(sizeof(cases) / sizeof(cases[0]));
    static struct ports ri, rj;
    uint64_t ii, ij, bi, bj;
    run_asm("jit_faults", false, &ri, &ii, &bi);
    run_asm("jit_faults", true, &rj, &ij, &bj);
    cr_assert_gt(bj, 10, "the JIT ran only %llu blocks", (unsigned long long)bj);
    if (ri.n != 1 + ncases * 10)
        for (int i = 0; i < ri.n; i++)
            fprintf(stderr, "log[%d] = %#x\n", i, ri.log[i]);
    /* the first entry is mode_common.inc's "alive in real mode" */
    cr_assert_eq(ri.n, 1 + ncases * 10, "interpreter log has %d entries", ri.n);
    cr_assert_eq(ri.log[0], 0x1111);
    cr_assert_eq(rj.n, ri.n, "JIT log has %d entries, interpreter %d", rj.n, ri.n);
    for (int i = 0; i < ri.n; i++)
        cr_assert_eq(rj.log[i], ri.log[i], "case %s, entry %d: JIT %#x, interpreter %#x",
                     i ? cases[(i - 1) / 10].name : "start", i ? (i - 1) % 10 : 0, rj.log[i], ri.log[i]);
    cr_assert_eq(ij, ii, "icount: JIT %llu, interpreter %llu", (unsigned long long)ij,
                 (unsigned long long)ii);
    for (int c = 0; c < ncases; c++) {
        const uint32_t *l = &rj.log[1 + c * 10];
        const struct fault_case *k = &cases[c];
        cr_assert_eq(l[0], 14, "%s: vector %u", k->name, l[0]);
        if (k->err != NO_ERROR)
            cr_assert_eq(l[1], k->err, "%s: error code %#x", k->name, l[1]);
        else
            cr_assert(l[1] == 0 || l[1] == 2, "%s: error code %#x", k->name, l[1]);
        cr_assert_eq(l[2], 0, "%s: #PF pushed EIP %+d from the faulting instruction", k->name, (int)l[2]);
        cr_assert_eq(l[3], k->cr2, "%s: CR2 %#x, want %#x", k->name, l[3], k->cr2);
        const uint32_t want[6] = { k->eax, k->ecx, k->edx, k->edi, k->esi, FLAGS0 };
        static const char *const what[6] = { "EAX", "ECX", "EDX", "EDI", "ESI", "flags" };
        for (int r = 0; r < 6; r++)
            cr_assert_eq(l[4 + r], want[r], "%s: %s %#x, want %#x", k->name, what[r], l[4 + r], want[r]);
    }
}

/* --- self-modifying code ------------------------------------------------------ */

/* Each iteration stores CL into the immediate of the next instruction of
 * the same block, which must then run with it (SDM Vol. 3A 11.6). */
Test(jit, smc_write_into_the_running_block)
{
    static const uint8_t code[] = {
        0xb9, 0x03, 0x00, 0x00, 0x00,               /* mov ecx, 3 */
        0x31, 0xd2,                                 /* xor edx, edx */
        0x88, 0x0d, 0x0e, 0x10, 0x00, 0x00,         /* L (0x1007): mov [0x100e], cl */
        0xb8, 0x99, 0x00, 0x00, 0x00,               /* 0x100d: mov eax, 0x99 */
        0x01, 0xc2,                                 /* add edx, eax */
        0x49,                                       /* dec ecx */
        0x75, 0xf0,                                 /* jnz L */
        0xf4,                                       /* hlt */
    };
    for (int jit = 0; jit <= 1; jit++) {
        struct support_cpu *m = make(jit, 0);
        flat_at(m, code, sizeof(code), 0x1000);
        cr_assert_eq(cpu_exec(m->cpu, 10000), CPU_EXIT_HALT);
        cr_assert_eq(m->cpu->regs[R_EDX], 3 + 2 + 1, "%s: edx %u", jit ? "jit" : "interp",
                     (unsigned)m->cpu->regs[R_EDX]);
        support_cpu_destroy(m);
    }
}

/* Block A (page 0x2000) ends in a jump to block B in the same page: the
 * JIT chains them. Code in page 0x1000 rewrites B's immediate halfway;
 * the chain into B must be undone and the new B run. */
Test(jit, smc_write_into_a_chained_block)
{
    static uint8_t page[0x2000];
    memset(page, 0xcc, sizeof(page));
    static const uint8_t q[] = {
        0xb9, 0x64, 0x00, 0x00, 0x00,               /* 0x1000 mov ecx, 100 */
        0x31, 0xd2,                                 /* 0x1005 xor edx, edx */
        0xe9, 0xf6, 0x0f, 0x00, 0x00,               /* 0x1007 L: jmp 0x2002 (A) */
        0x83, 0xf9, 0x32,                           /* 0x100c back: cmp ecx, 50 */
        0x75, 0x0a,                                 /* 0x100f jne skip */
        0xc7, 0x05, 0x11, 0x20, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, /* 0x1011 mov dword [0x2011], 9 */
        0x49,                                       /* 0x101b skip: dec ecx */
        0x75, 0xe9,                                 /* 0x101c jnz L */
        0xf4,                                       /* 0x101e hlt */
    };
    static const uint8_t a[] = {
        0x46,                                       /* 0x2002 A: inc esi */
        0xeb, 0x0b,                                 /* 0x2003 jmp B (0x2010) */
    };
    static const uint8_t bb[] = {
        0xb8, 0x07, 0x00, 0x00, 0x00,               /* 0x2010 B: mov eax, 7 */
        0x01, 0xc2,                                 /* add edx, eax */
        0xe9, 0xf0, 0xef, 0xff, 0xff,               /* 0x2017 jmp back (0x100c) */
    };
    memcpy(page, q, sizeof(q));
    memcpy(page + 0x1002, a, sizeof(a));
    memcpy(page + 0x1010, bb, sizeof(bb));
    for (int jit = 0; jit <= 1; jit++) {
        struct support_cpu *m = make(jit, 0);
        flat_at(m, page, sizeof(page), 0x1000);
        m->cpu->regs[R_ESI] = 0;
        cr_assert_eq(cpu_exec(m->cpu, 100000), CPU_EXIT_HALT);
        cr_assert_eq(m->cpu->regs[R_ESI], 100);
        cr_assert_eq(m->cpu->regs[R_EDX], 51 * 7 + 49 * 9, "%s: edx %u", jit ? "jit" : "interp",
                     (unsigned)m->cpu->regs[R_EDX]);
        if (jit) {
            const struct jit_stats *s = jit_get_stats(m->cpu);
            cr_assert_geq(s->chains_made, 1);
            cr_assert_geq(s->chains_undone, 1);
            cr_assert_gt(s->chain_hits, 40);
        }
        support_cpu_destroy(m);
    }
}

/* --- the indirect-branch cache ------------------------------------------------------ */

/* A loop calls a function 100 times: each RET finds the block after the
 * CALL through the indirect-branch cache (after the first), and the result
 * and icount match the interpreter's. */
Test(jit, ret_through_the_indirect_branch_cache)
{
    static const uint8_t code[] = {
        0xb9, 0x64, 0x00, 0x00, 0x00,   /* 0x1000 mov ecx, 100 */
        0x31, 0xc0,                     /* 0x1005 xor eax, eax */
        0xe8, 0x06, 0x00, 0x00, 0x00,   /* 0x1007 L: call f (0x1012) */
        0x49,                           /* 0x100c dec ecx */
        0x75, 0xf8,                     /* 0x100d jnz L */
        0xf4,                           /* 0x100f hlt */
        0x90, 0x90,
        0x01, 0xc8,                     /* 0x1012 f: add eax, ecx */
        0xc3,                           /* ret */
    };
    uint64_t icount[2];
    for (int jit = 0; jit <= 1; jit++) {
        struct support_cpu *m = make(jit, 0);
        flat_at(m, code, sizeof(code), 0x1000);
        cr_assert_eq(cpu_exec(m->cpu, 100000), CPU_EXIT_HALT);
        cr_assert_eq(m->cpu->regs[R_EAX], 5050);
        cr_assert_eq(m->cpu->regs[R_ESP], 0x80000);
        icount[jit] = m->cpu->icount;
        if (jit)
            cr_assert_geq(jit_get_stats(m->cpu)->indirect_hits, 90, "%llu indirect hits",
                          (unsigned long long)jit_get_stats(m->cpu)->indirect_hits);
        support_cpu_destroy(m);
    }
    cr_assert_eq(icount[0], icount[1]);
    cr_assert_eq(icount[0], 2 + 100 * 5 + 1);
}

/* --- the code cache filling up -------------------------------------------------- */

/* 3000 blocks of "add eax, imm32; jmp +0", run three times through a 64 KiB
 * code cache: it must flush (several times) and the sum stay right. */
Test(jit, code_cache_fills_and_flushes)
{
    static struct prog p;
    p.n = 0;
    put(&p, 1, 0xb9);
    put32(&p, 3);                       /* mov ecx, 3 */
    put(&p, 2, 0x31, 0xc0);             /* xor eax, eax */
    size_t loop = p.n;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t imm = i * 2654435761u;
        put(&p, 1, 0x05);
        put32(&p, imm);                 /* add eax, imm */
        put(&p, 2, 0xeb, 0x00);         /* jmp +0: ends the block */
        sum += imm;
    }
    put(&p, 1, 0x49);                   /* dec ecx */
    put(&p, 2, 0x0f, 0x85);             /* jnz rel32 loop */
    put32(&p, (uint32_t)(loop - (p.n + 4)));
    put(&p, 1, 0xf4);
    uint64_t icount[2];
    for (int jit = 0; jit <= 1; jit++) {
        struct support_cpu *m = make(jit, 64u << 10);
        flat_at(m, p.b, p.n, 0x1000);
        for (int i = 0; i < 100 && cpu_exec(m->cpu, 100000) == CPU_EXIT_BUDGET; i++)
            ;
        cr_assert(m->cpu->halted);
        cr_assert_eq(m->cpu->regs[R_EAX], 3 * sum, "%s: eax %#x, want %#x", jit ? "jit" : "interp",
                     (unsigned)m->cpu->regs[R_EAX], 3 * sum);
        icount[jit] = m->cpu->icount;
        if (jit) {
            const struct jit_stats *s = jit_get_stats(m->cpu);
            cr_assert_geq(s->code_flushes, 3, "only %llu flushes", (unsigned long long)s->code_flushes);
            cr_assert_geq(s->blocks_translated, 3000);
        }
        support_cpu_destroy(m);
    }
    cr_assert_eq(icount[0], icount[1]);
    cr_assert_eq(icount[0], 2 + 3 * (1000 * 2 + 2) + 1);
}

/* --- interrupts raised inside a block ------------------------------------------- */

struct irq_dev {
    struct cpu *cpu;
    int acks;
};
static void irq_port_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct irq_dev *d = opaque;
    cpu_set_intr(d->cpu, true);     /* the device raises INTR as the OUT completes */
}
static uint32_t irq_port_read(void *opaque, uint16_t port, unsigned size) { return 0xff; }
static int irq_ack(void *opaque)
{
    struct irq_dev *d = opaque;
    d->acks++;
    cpu_set_intr(d->cpu, false);
    return 0x20;
}

/* An OUT in the middle of a block raises INTR: the interrupt is taken at the
 * next instruction boundary (SDM Vol. 3A 6.6), before the INCs that follow
 * it in the same block (inline code on the JIT). The handler stores AX. */
Test(jit, interrupt_raised_mid_block_is_taken_at_the_next_boundary)
{
    static const uint8_t code[] = {
        0xfb,                   /* sti */
        0x90,                   /* nop */
        0xb8, 0x05, 0x00,       /* mov ax, 5 */
        0xe6, 0x80,             /* out 0x80, al: INTR goes high */
        0x40, 0x40, 0x40,       /* inc ax x3 */
        0xf4,                   /* hlt */
    };
    static const uint8_t handler[] = { 0xa3, 0x00, 0x07, 0xcf };   /* mov [0x700], ax; iret */
    uint64_t icount[2];
    for (int jit = 0; jit <= 1; jit++) {
        struct support_cpu *m = support_cpu_create(1 << 20);
        cr_assert(m);
        jit_disable(m->cpu);
        if (jit) {
            const char *err;
            cr_assert(jit_enable(m->cpu, NULL, &err));
        }
        struct irq_dev d = { m->cpu, 0 };
        cr_assert_eq(io_register(m->io, 0x80, 1, irq_port_read, irq_port_write, &d), 0);
        m->cpu->intr_ack = irq_ack;
        m->cpu->intr_opaque = &d;
        support_cpu_load(m, 0x7c00, code, sizeof(code));
        support_cpu_load(m, 0x600, handler, sizeof(handler));
        phys_write16(m->mem, 0x20 * 4, 0x0600);
        phys_write16(m->mem, 0x20 * 4 + 2, 0);
        m->cpu->rip = 0x7c00;
        /* run it twice so the second run is compiled */
        for (int pass = 0; pass < 2; pass++) {
            m->cpu->rip = 0x7c00;
            m->cpu->halted = false;
            phys_write16(m->mem, 0x700, 0xffff);
            cr_assert_eq(cpu_exec(m->cpu, 1000), CPU_EXIT_HALT);
            cr_assert_eq(d.acks, pass + 1);
            cr_assert_eq(phys_read16(m->mem, 0x700), 5, "%s pass %d: the handler saw AX=%d",
                         jit ? "jit" : "interp", pass, phys_read16(m->mem, 0x700));
            cr_assert_eq(m->cpu->regs[R_EAX] & 0xffff, 8);
        }
        icount[jit] = m->cpu->icount;
        if (jit)
            cr_assert_gt(jit_get_stats(m->cpu)->blocks_translated, 0);
        support_cpu_destroy(m);
    }
    cr_assert_eq(icount[0], icount[1]);
}
