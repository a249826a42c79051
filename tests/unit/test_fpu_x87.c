/*
 * test_fpu_x87.c - differential tests of every x87 instruction (D8-DF, 9B)
 * against the host CPU: random register stacks and memory operands covering
 * zeros, denormals, infinities, QNaN/SNaN, unsupported encodings, every
 * rounding and precision control, empty/full stacks (stack faults) and some
 * unmasked exceptions (deferred #MF state: ES/B set, no result). See
 * fpu_harness.h for how both sides run.
 */
#include "tests/unit/fpu_harness.h"

/* The register forms (mod = 3) that are defined, per SDM Vol. 2 tables
 * The reserved FSTP1/FSTP8/FSTP9 aliases are left out: with an
 * empty ST(0) hardware copies internal state no document describes. */
static bool reg_form_valid(uint8_t op, uint8_t modrm)
{
    int reg = (modrm >> 3) & 7, rm = modrm & 7;
    switch (op) {
    case 0xd8: case 0xdc: return true;
    case 0xd9:
        switch (reg) {
        case 2: return rm == 0;                         /* FNOP */
        case 3: return false;                           /* FSTP1 */
        case 4: return rm == 0 || rm == 1 || rm == 4 || rm == 5;
        case 5: return rm != 7;
        default: return true;
        }
    case 0xda: return reg < 4 || modrm == 0xe9;
    case 0xdb: return reg < 4 || modrm == 0xe2 || modrm == 0xe3 || reg == 5 || reg == 6;
    case 0xdd: return reg < 6;
    case 0xde: return reg != 3 || rm == 1;
    case 0xdf: return reg < 2 || modrm == 0xe0 || reg == 5 || reg == 6;
    }
    return false;
}

static bool mem_form_valid(uint8_t op, int reg)
{
    switch (op) {
    case 0xd9: return reg != 1;
    case 0xdb: return reg != 4 && reg != 6;
    case 0xdd: return reg != 5;
    default: return true;
    }
}

static void put_bcd(struct fh *h, uint8_t *p)
{
    for (int i = 0; i < 9; i++) {
        uint64_t r = fh_rand(h);
        uint8_t lo = r % 10, hi = (r >> 8) % 10;
        if ((r >> 16) % 50 == 0)
            hi = 0xa + (r >> 24) % 6;                   /* an invalid digit */
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    p[9] = (fh_rand(h) & 1) ? 0x80 : 0;
}

/* Fill the memory operand with a value of the type the instruction reads. */
static void fill_operand(struct fh *h, uint8_t op, int reg, uint8_t *mem)
{
    for (int i = 0; i < FH_MEM_SIZE; i++)
        mem[i] = (uint8_t)fh_rand(h);
    uint64_t r = fh_rand(h);
    switch (op) {
    case 0xd8: case 0xd9: {
        uint32_t v = fh_rand_f32(h);
        memcpy(mem, &v, 4);
        break;
    }
    case 0xdc: case 0xdd:
        if (reg < 4) {
            uint64_t v = fh_rand_f64(h);
            memcpy(mem, &v, 8);
        }
        break;
    case 0xda: case 0xdb:
        if (op == 0xdb && reg == 5) {
            fh_rand_f80(h, mem);
        } else if (r & 1) {
            int32_t v = (int32_t)(r >> 33) % 2000 - 1000;
            memcpy(mem, &v, 4);
        }
        break;
    case 0xde: case 0xdf:
        if (op == 0xdf && reg == 4)
            put_bcd(h, mem);
        else if (op == 0xdf && reg == 5 && (r & 1)) {
            int64_t v = (int64_t)(r >> (2 + (r >> 58) % 60));
            memcpy(mem, &v, 8);
        } else if (r & 1) {
            int16_t v = (int16_t)((int)(r >> 33) % 600 - 300);
            memcpy(mem, &v, 2);
        }
        break;
    }
}

struct tally {
    int cases, failures;
};

static void run_case(struct fh *h, struct fh_case *c, struct tally *t, int skip_lo, int skip_hi)
{
    struct fh_result native, guest;
    fh_run_native(h, c, &native);
    enum cpu_exit e = fh_run_guest(h, c, &guest);
    t->cases++;
    if (e != CPU_EXIT_HALT) {
        char ins[64];
        fh_hex(ins, sizeof ins, c->code, c->code_len);
        if (t->failures++ < 20)
            cr_log_error("insn %s: guest did not reach HLT (exit %d, vector %d)", ins, e,
                         h->m->cpu->exc_vector);
        return;
    }
    if (fh_compare(c, &native, &guest, skip_lo, skip_hi))
        t->failures++;
}

#define CASES_PER_FORM 60

Test(fpu_x87, register_forms_match_host)
{
    struct fh h;
    struct tally t = { 0, 0 };
    fh_init(&h, 0x1234567);
    static struct fh_case c;
    for (unsigned op = 0xd8; op <= 0xdf; op++)
        for (unsigned modrm = 0xc0; modrm <= 0xff; modrm++) {
            if (!reg_form_valid((uint8_t)op, (uint8_t)modrm))
                continue;
            for (int k = 0; k < CASES_PER_FORM && t.failures < 20; k++) {
                c.code[0] = (uint8_t)op;
                c.code[1] = (uint8_t)modrm;
                c.code_len = 2;
                fh_rand_fx(&h, c.fx, true);
                fh_rand_gprs(&h, &c);
                fill_operand(&h, (uint8_t)op, 0, c.mem);
                run_case(&h, &c, &t, 0, 0);
            }
        }
    fh_fini(&h);
    cr_assert_eq(t.failures, 0, "%d of %d cases differ from the host", t.failures, t.cases);
    cr_assert_gt(t.cases, 20000);
}

Test(fpu_x87, memory_forms_match_host)
{
    struct fh h;
    struct tally t = { 0, 0 };
    fh_init(&h, 0x7654321);
    static struct fh_case c;
    for (unsigned op = 0xd8; op <= 0xdf; op++)
        for (int reg = 0; reg < 8; reg++) {
            if (!mem_form_valid((uint8_t)op, reg))
                continue;
            /* Environment stores hold the host's code/data pointers. */
            bool env_store = (op == 0xd9 || op == 0xdd) && reg == 6;
            for (int wide = 0; wide < (env_store || ((op == 0xd9 || op == 0xdd) && reg == 4) ? 2 : 1); wide++)
                for (int k = 0; k < 4 * CASES_PER_FORM && t.failures < 20; k++) {
                    int n = 0;
                    if (wide)
                        c.code[n++] = 0x66;                 /* 16-bit environment format */
                    c.code[n++] = (uint8_t)op;
                    c.code[n++] = (uint8_t)(reg << 3 | 3);  /* [ebx] */
                    c.code_len = n;
                    fh_rand_fx(&h, c.fx, true);
                    fh_rand_gprs(&h, &c);
                    fill_operand(&h, (uint8_t)op, reg, c.mem);
                    if (env_store)
                        run_case(&h, &c, &t, wide ? 6 : 12, wide ? 14 : 28);
                    else
                        run_case(&h, &c, &t, 0, 0);
                }
        }
    fh_fini(&h);
    cr_assert_eq(t.failures, 0, "%d of %d cases differ from the host", t.failures, t.cases);
    cr_assert_gt(t.cases, 10000);
}

Test(fpu_x87, fwait_and_nowait_control)
{
    struct fh h;
    struct tally t = { 0, 0 };
    fh_init(&h, 99);
    static struct fh_case c;
    for (int k = 0; k < 200; k++) {
        c.code[0] = 0x9b;                       /* FWAIT (no pending exception) */
        c.code_len = 1;
        fh_rand_fx(&h, c.fx, false);
        fh_rand_gprs(&h, &c);
        run_case(&h, &c, &t, 0, 0);
    }
    fh_fini(&h);
    cr_assert_eq(t.failures, 0);
}

/*
 * FPREM's partial remainder: with exponents more than 63 apart one FPREM
 * only reduces the operand and sets C2; the classic loop repeats it until
 * C2 = 0. The guest runs the loop and must need several rounds, end with
 * exactly the host's remainder and quotient bits, and count the same
 * number of rounds.
 */
Test(fpu_x87, fprem_partial_remainder_loop)
{
    struct fh h;
    fh_init(&h, 5);
    struct cpu *cpu = h.m->cpu;
    /* fld tword [ebx+16]; fld tword [ebx]; L: fprem; inc ecx; fnstsw ax;
     * test ah, 4; jnz L; fstp tword [ebx+32]; fstp st0; hlt */
    static const uint8_t prog[] = {
        0xdb, 0x6b, 0x10, 0xdb, 0x2b,
        0xd9, 0xf8, 0x41, 0xdf, 0xe0, 0xf6, 0xc4, 0x04, 0x75, 0xf6,
        0xdb, 0x7b, 0x20, 0xdd, 0xd8, 0xf4,
    };
    for (int trial = 0; trial < 50; trial++) {
        uint8_t mem[64] = { 0 };
        uint64_t mant_a = fh_rand(&h) | (1ull << 63), mant_b = fh_rand(&h) | (1ull << 63);
        uint16_t exp_a = (uint16_t)(0x3fff + 200 + fh_rand(&h) % 3000), exp_b = (uint16_t)(0x3fff + fh_rand(&h) % 8);
        memcpy(mem, &mant_a, 8); memcpy(mem + 8, &exp_a, 2);
        memcpy(mem + 16, &mant_b, 8); memcpy(mem + 24, &exp_b, 2);

        /* host */
        uint16_t sw_host;
        uint32_t rounds_host = 0;
        uint8_t res_host[10];
        __asm__ volatile("fninit\n\t"
                         "fldt %[b]\n\t"
                         "fldt %[a]\n\t"
                         "1: fprem\n\t"
                         "incl %[n]\n\t"
                         "fnstsw %%ax\n\t"
                         "testb $4, %%ah\n\t"
                         "jnz 1b\n\t"
                         "movw %%ax, %[sw]\n\t"
                         "fstpt %[r]\n\t"
                         "fstp %%st(0)\n\t"
                         : [sw] "=m"(sw_host), [n] "+r"(rounds_host), [r] "=m"(res_host)
                         : [a] "m"(*(uint8_t(*)[10])mem), [b] "m"(*(uint8_t(*)[10])(mem + 16))
                         : "eax", "cc", "st", "st(1)", "memory");

        /* guest */
        support_cpu_load(h.m, FH_GUEST_CODE, prog, sizeof prog);
        support_cpu_load(h.m, FH_GUEST_MEM, mem, sizeof mem);
        tb_flush_all(cpu);
        cpu->regs[R_EBX] = FH_GUEST_MEM;
        cpu->regs[R_ECX] = 0;
        cpu->cr0 = (cpu->cr0 | CR0_NE) & ~(CR0_EM | CR0_TS);
        cpu->rip = FH_GUEST_CODE;
        cpu->halted = false;
        cpu->priv.fpu.fcw = 0x37f;
        cpu->priv.fpu.fsw = 0;
        cpu->priv.fpu.ftw = 0xffff;
        cr_assert_eq(cpu_exec(cpu, 100000), CPU_EXIT_HALT);
        uint8_t res_guest[10];
        dma_read(h.m->mem, FH_GUEST_MEM + 32, res_guest, 10);
        cr_assert_gt(rounds_host, 1, "the operands must need a partial remainder loop");
        cr_assert_eq(cpu->regs[R_ECX], rounds_host, "rounds: guest %u host %u", cpu->regs[R_ECX], rounds_host);
        cr_assert_eq(memcmp(res_guest, res_host, 10), 0, "remainder differs");
        cr_assert_eq(cpu->regs[R_EAX] & 0x4700, sw_host & 0x4700u, "C0-C3 (quotient bits) differ");
    }
    fh_fini(&h);
}
