/*
 * test_jit_emit.c - the x86-64 encoder (translator/x86_emit.c) against an
 * independent oracle: Capstone disassembling each emitted instruction must
 * consume exactly the emitted bytes and print the intended instruction
 * (mnemonic, operands, operand size), for every host register, every
 * operand size and every addressing form (base, base+index*scale, no base,
 * disp 0/8/32, RSP/RBP/R12/R13 specials). Branch targets are checked by
 * the address Capstone computes. Finally a small emitted function is run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <capstone/capstone.h>
#include <criterion/criterion.h>

#include "translator/x86_emit.h"

static const char *const r64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const r32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                     "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const r16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                     "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const r8n[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                     "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const alu_names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };
static const char *const cc_names[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                          "s", "ns", "p", "np", "l", "ge", "le", "g" };
static const int sizes[4] = { 1, 2, 4, 8 };

static const char *reg(int r, int size)
{
    return size == 1 ? r8n[r] : size == 2 ? r16[r] : size == 4 ? r32[r] : r64[r];
}
static const char *ptr(int size)
{
    return size == 1 ? "byte" : size == 2 ? "word" : size == 4 ? "dword" : "qword";
}

/* Capstone's number format: decimal up to 9, else 0x hex; '-' for negatives. */
static void num(char *out, size_t n, int64_t v)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (a <= 9)
        snprintf(out, n, "%s%llu", v < 0 ? "-" : "", (unsigned long long)a);
    else
        snprintf(out, n, "%s0x%llx", v < 0 ? "-" : "", (unsigned long long)a);
}

/* "[base + index*scale + disp]" as Capstone prints it (64-bit addressing). */
static void memstr(char *out, size_t n, struct x86_mem m)
{
    char buf[96] = "";
    size_t l = 0;
    if (m.base != X86_NOREG)
        l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s", r64[m.base]);
    if (m.index != X86_NOREG)
        l += (size_t)snprintf(buf + l, sizeof(buf) - l, m.scale > 1 ? "%s%s*%d" : "%s%s",
                              l ? " + " : "", r64[m.index], m.scale);
    if (l == 0) {
        char d[32];
        num(d, sizeof(d), m.disp);
        snprintf(out, n, "[%s]", d);
        return;
    }
    if (m.disp) {
        char d[32];
        num(d, sizeof(d), m.disp < 0 ? -(int64_t)m.disp : m.disp);
        snprintf(buf + l, sizeof(buf) - l, " %c %s", m.disp < 0 ? '-' : '+', d);
    }
    snprintf(out, n, "[%s]", buf);
}

static csh cs;
static uint8_t buf[256];
static struct x86_emit em;
static uint64_t checked;

static void setup(void)
{
    cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
}
static void teardown(void) { cs_close(&cs); }

static void start(void) { x86_emit_init(&em, buf, 0x100000, sizeof(buf)); }

/* The buffer must hold exactly one instruction that prints as expected. */
static void expect(const char *fmt, ...)
{
    char want[160], got[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    cr_assert(!em.overflow);
    cr_assert_gt(em.len, 0, "nothing emitted for '%s'", want);
    cs_insn *insn;
    size_t count = cs_disasm(cs, buf, em.len, 0x100000, 0, &insn);
    char hex[64] = "";
    for (size_t i = 0; i < em.len && i < 20; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", buf[i]);
    cr_assert_geq(count, 1, "'%s': Capstone decodes nothing from %s", want, hex);
    snprintf(got, sizeof(got), "%s%s%s", insn[0].mnemonic, insn[0].op_str[0] ? " " : "", insn[0].op_str);
    size_t size = insn[0].size;
    cs_free(insn, count);
    cr_assert_eq(size, em.len, "'%s': Capstone takes %zu of %zu bytes (%s)", want, size, em.len, hex);
    cr_assert_str_eq(got, want, "emitted %s: Capstone says '%s', wanted '%s'", hex, got, want);
    checked++;
    start();
}

/* Addressing forms over every base and index register. */
static int mem_forms(struct x86_mem *out)
{
    static const int32_t disps[] = { 0, 8, -8, 0x1234, -0x12345 };
    int n = 0;
    for (int b = 0; b < 16; b++)
        for (size_t d = 0; d < sizeof(disps) / sizeof(disps[0]); d++)
            out[n++] = x86_mem_at(b, disps[d]);
    for (int b = 0; b < 16; b++)
        for (int i = 0; i < 16; i++) {
            if (i == X86_RSP)
                continue;       /* no index register RSP */
            int scale = 1 << ((b + i) & 3);
            out[n++] = x86_mem_sib(b, i, scale, (b & 1) ? 0x40 : 0);
        }
    out[n++] = x86_mem_sib(X86_NOREG, X86_RCX, 4, 0x10);
    out[n++] = x86_mem_sib(X86_NOREG, X86_R11, 8, -0x20);
    out[n++] = x86_mem_at(X86_NOREG, 0x1000);
    return n;
}

TestSuite(jit_emit, .init = setup, .fini = teardown);

Test(jit_emit, moves_register_forms)
{
    start();
    for (int s = 0; s < 4; s++) {
        int size = sizes[s];
        for (int d = 0; d < 16; d++)
            for (int r = 0; r < 16; r++) {
                x86_mov_rr(&em, size, d, r);
                expect("mov %s, %s", reg(d, size), reg(r, size));
                x86_xchg_rr(&em, size, d, r);
                /* Capstone prints XCHG with the ModRM.reg operand second... */
                expect("xchg %s, %s", reg(d, size), reg(r, size));
            }
    }
    for (int d = 0; d < 16; d++) {
        char n[32];
        x86_mov_ri(&em, 1, d, 0x7f);
        expect("mov %s, 0x7f", reg(d, 1));
        x86_mov_ri(&em, 2, d, 0x1234);
        expect("mov %s, 0x1234", reg(d, 2));
        x86_mov_ri(&em, 4, d, 0x89abcdef);
        expect("mov %s, 0x89abcdef", reg(d, 4));
        x86_mov_ri(&em, 8, d, 0x12345678);          /* mov r32: zero-extends */
        expect("mov %s, 0x12345678", reg(d, 4));
        x86_mov_ri(&em, 8, d, (uint64_t)-5);        /* C7 /0 sign-extended */
        expect("mov %s, -5", reg(d, 8));
        x86_mov_ri(&em, 8, d, 0x123456789abcdef0ull);
        num(n, sizeof(n), 0x123456789abcdef0ll);
        expect("movabs %s, %s", reg(d, 8), n);
        for (int r = 0; r < 16; r++) {
            x86_movzx_rr(&em, 1, d, r);
            expect("movzx %s, %s", reg(d, 4), reg(r, 1));
            x86_movzx_rr(&em, 2, d, r);
            expect("movzx %s, %s", reg(d, 4), reg(r, 2));
            x86_movsx_rr(&em, 1, 4, d, r);
            expect("movsx %s, %s", reg(d, 4), reg(r, 1));
            x86_movsx_rr(&em, 2, 8, d, r);
            expect("movsx %s, %s", reg(d, 8), reg(r, 2));
            x86_movsx_rr(&em, 4, 8, d, r);
            expect("movsxd %s, %s", reg(d, 8), reg(r, 4));
        }
        x86_bswap(&em, 4, d);
        expect("bswap %s", reg(d, 4));
        x86_bswap(&em, 8, d);
        expect("bswap %s", reg(d, 8));
        x86_push(&em, d);
        expect("push %s", reg(d, 8));
        x86_pop(&em, d);
        expect("pop %s", reg(d, 8));
        x86_call_r(&em, d);
        expect("call %s", reg(d, 8));
        x86_jmp_r(&em, d);
        expect("jmp %s", reg(d, 8));
    }
}

Test(jit_emit, moves_memory_forms)
{
    static struct x86_mem forms[512];
    int nf = mem_forms(forms);
    start();
    for (int f = 0; f < nf; f++) {
        char m[96];
        memstr(m, sizeof(m), forms[f]);
        for (int s = 0; s < 4; s++) {
            int size = sizes[s];
            int r = (f * 7 + s) & 15;
            x86_store(&em, size, forms[f], r);
            expect("mov %s ptr %s, %s", ptr(size), m, reg(r, size));
            x86_load(&em, size, r, forms[f]);
            if (size <= 2)
                expect("movzx %s, %s ptr %s", reg(r, 4), ptr(size), m);
            else
                expect("mov %s, %s ptr %s", reg(r, size), ptr(size), m);
            x86_store_imm(&em, size, forms[f], 0x5a);
            expect("mov %s ptr %s, 0x5a", ptr(size), m);
            if (size < 8) {
                x86_load_sx(&em, size, 8, r, forms[f]);
                expect("%s %s, %s ptr %s", size == 4 ? "movsxd" : "movsx", reg(r, 8), ptr(size), m);
            }
        }
        x86_store_imm(&em, 8, forms[f], -2);
        expect("mov qword ptr %s, -2", m);
        x86_store_imm(&em, 4, forms[f], 0x12345678);
        expect("mov dword ptr %s, 0x12345678", m);
        int r = f & 15;
        x86_lea(&em, 8, r, forms[f]);
        expect("lea %s, %s", reg(r, 8), m);
        x86_lea(&em, 4, r, forms[f]);
        expect("lea %s, %s", reg(r, 4), m);
        x86_jmp_m(&em, forms[f]);
        expect("jmp qword ptr %s", m);
        x86_inc_m(&em, 8, forms[f]);
        expect("inc qword ptr %s", m);
        x86_test_mi(&em, 1, forms[f], 0x40);
        expect("test byte ptr %s, 0x40", m);
    }
}

Test(jit_emit, alu_all_forms)
{
    static struct x86_mem forms[512];
    int nf = mem_forms(forms);
    start();
    for (int op = 0; op < 8; op++)
        for (int s = 0; s < 4; s++) {
            int size = sizes[s];
            for (int d = 0; d < 16; d++) {
                for (int r = 0; r < 16; r++) {
                    x86_alu_rr(&em, op, size, d, r);
                    expect("%s %s, %s", alu_names[op], reg(d, size), reg(r, size));
                }
                x86_alu_ri(&em, op, size, d, 0x11);                     /* imm8 form */
                expect("%s %s, 0x11", alu_names[op], reg(d, size));
                if (size > 1) {
                    x86_alu_ri(&em, op, size, d, 0x1234);               /* imm16/32 form */
                    expect("%s %s, 0x1234", alu_names[op], reg(d, size));
                    x86_alu_ri(&em, op, size, d, -3);                   /* 83: sign-extended */
                    /* Capstone prints the logic ops' immediates unsigned */
                    bool logic = op == X86_OR || op == X86_AND || op == X86_XOR;
                    char n[32];
                    uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
                    if (logic)
                        snprintf(n, sizeof(n), "0x%llx", (unsigned long long)((uint64_t)-3 & mask));
                    else
                        num(n, sizeof(n), -3);
                    expect("%s %s, %s", alu_names[op], reg(d, size), n);
                }
            }
            for (int f = 0; f < nf; f += 3) {
                char m[96];
                memstr(m, sizeof(m), forms[f]);
                int r = (f + op) & 15;
                x86_alu_rm(&em, op, size, r, forms[f]);
                expect("%s %s, %s ptr %s", alu_names[op], reg(r, size), ptr(size), m);
                x86_alu_mr(&em, op, size, forms[f], r);
                expect("%s %s ptr %s, %s", alu_names[op], ptr(size), m, reg(r, size));
                x86_alu_mi(&em, op, size, forms[f], 0x22);
                expect("%s %s ptr %s, 0x22", alu_names[op], ptr(size), m);
                if (size > 1) {
                    x86_alu_mi(&em, op, size, forms[f], 0x4321);
                    expect("%s %s ptr %s, 0x4321", alu_names[op], ptr(size), m);
                }
            }
        }
}

Test(jit_emit, unary_shift_test_setcc)
{
    start();
    for (int s = 0; s < 4; s++) {
        int size = sizes[s];
        for (int r = 0; r < 16; r++) {
            x86_inc_r(&em, size, r);
            expect("inc %s", reg(r, size));
            x86_dec_r(&em, size, r);
            expect("dec %s", reg(r, size));
            x86_neg_r(&em, size, r);
            expect("neg %s", reg(r, size));
            x86_not_r(&em, size, r);
            expect("not %s", reg(r, size));
            x86_test_ri(&em, size, r, 0x41);
            expect("test %s, 0x41", reg(r, size));
            for (int b = 0; b < 16; b++) {
                x86_test_rr(&em, size, r, b);
                expect("test %s, %s", reg(r, size), reg(b, size));
            }
            for (int op = 0; op < 8; op++) {
                x86_shift_ri(&em, op, size, r, 1);
                expect("%s %s, 1", shift_names[op], reg(r, size));
                x86_shift_ri(&em, op, size, r, 7);
                expect("%s %s, 7", shift_names[op], reg(r, size));
                x86_shift_rcl(&em, op, size, r);
                expect("%s %s, cl", shift_names[op], reg(r, size));
            }
            if (size > 1)
                for (int b = 0; b < 16; b++) {
                    x86_imul_rr(&em, size, r, b);
                    expect("imul %s, %s", reg(r, size), reg(b, size));
                    x86_cmovcc(&em, (enum x86_cc)((r + b) & 15), size, r, b);
                    expect("cmov%s %s, %s", cc_names[(r + b) & 15], reg(r, size), reg(b, size));
                }
        }
    }
    for (int cc = 0; cc < 16; cc++)
        for (int r = 0; r < 16; r++) {
            x86_setcc(&em, cc, r);
            expect("set%s %s", cc_names[cc], reg(r, 1));
        }
    x86_pushfq(&em);
    expect("pushfq");
    x86_popfq(&em);
    expect("popfq");
    x86_lahf(&em);
    expect("lahf");
    x86_sahf(&em);
    expect("sahf");
    x86_ret(&em);
    expect("ret");
    x86_int3(&em);
    expect("int3");
}

Test(jit_emit, branches_and_patching)
{
    char t[32];
    start();
    /* rel32 targets are relative to the execution address (0x100000 here),
     * not to where the bytes are written */
    x86_jmp_rel32(&em, (void *)0x123456);
    num(t, sizeof(t), 0x123456);
    expect("jmp %s", t);
    for (int cc = 0; cc < 16; cc++) {
        x86_jcc_rel32(&em, cc, (void *)0xff000);
        num(t, sizeof(t), 0xff000);
        expect("j%s %s", cc_names[cc], t);
        size_t at = x86_jcc_rel8(&em, cc);
        x86_nop(&em, 5);
        cr_assert(x86_patch_rel8_here(&em, at));
        cs_insn *insn;
        size_t n = cs_disasm(cs, buf, em.len, 0x100000, 0, &insn);
        cr_assert_eq(n, 2);
        num(t, sizeof(t), 0x100000 + 7);
        char jname[8];
        snprintf(jname, sizeof(jname), "j%s", cc_names[cc]);
        cr_assert_str_eq(insn[0].mnemonic, jname);
        cr_assert_str_eq(insn[0].op_str, t);
        cr_assert_eq(insn[1].size, 5);
        cs_free(insn, n);
        start();
    }
    x86_call_abs(&em, (void *)0x200000);            /* in reach: E8 rel32 */
    num(t, sizeof(t), 0x200000);
    expect("call %s", t);
    size_t field = x86_jmp_rel32(&em, NULL);
    x86_patch_rel32(&em, field, (void *)0x100400);
    num(t, sizeof(t), 0x100400);
    expect("jmp %s", t);
    /* the far form: movabs rax, target; call rax */
    x86_call_abs(&em, (void *)0x7f0000001000ull);
    cs_insn *insn;
    size_t n = cs_disasm(cs, buf, em.len, 0x100000, 0, &insn);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(insn[0].mnemonic, "movabs");
    cr_assert_str_eq(insn[0].op_str, "rax, 0x7f0000001000");
    cr_assert_str_eq(insn[1].mnemonic, "call");
    cr_assert_str_eq(insn[1].op_str, "rax");
    cs_free(insn, n);
    start();
    for (int l = 1; l <= 20; l++) {
        x86_nop(&em, l);
        cr_assert_eq(em.len, (size_t)l);
        n = cs_disasm(cs, buf, em.len, 0, 0, &insn);
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            cr_assert_str_eq(insn[i].mnemonic, "nop");
            total += insn[i].size;
        }
        cr_assert_eq(total, (size_t)l);
        cs_free(insn, n);
        start();
    }
}

Test(jit_emit, overflow_drops_whole_instructions)
{
    uint8_t small[6];
    struct x86_emit e;
    x86_emit_init(&e, small, (uintptr_t)small, sizeof(small));
    x86_mov_ri(&e, 4, X86_RAX, 1);        /* 5 bytes: fits */
    cr_assert_eq(e.len, 5);
    x86_mov_ri(&e, 4, X86_RCX, 2);        /* would not fit */
    cr_assert(e.overflow);
    cr_assert_eq(e.len, 5);
    x86_ret(&e);                          /* nothing after an overflow */
    cr_assert_eq(e.len, 5);
}

/* The encoder's output runs: a function computing (a + b*4 + 7) ^ a with
 * SysV arguments in RDI/RSI, and a counting loop with a patched rel8. */
Test(jit_emit, emitted_code_runs)
{
    uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(page != MAP_FAILED);
    struct x86_emit e;
    x86_emit_init(&e, page, (uintptr_t)page, 4096);
    x86_lea(&e, 8, X86_RAX, x86_mem_sib(X86_RDI, X86_RSI, 4, 7));
    x86_alu_rr(&e, X86_XOR, 8, X86_RAX, X86_RDI);
    x86_ret(&e);
    size_t f2 = e.len;
    /* rax = 0; do { rax += rsi; } while (--rdi) */
    x86_mov_ri(&e, 8, X86_RAX, 0);
    size_t loop = e.len;
    x86_alu_rr(&e, X86_ADD, 8, X86_RAX, X86_RSI);
    x86_dec_r(&e, 8, X86_RDI);
    size_t at = x86_jcc_rel8(&e, X86_CC_NE);
    e.buf[at] = (uint8_t)(int8_t)((int64_t)loop - (int64_t)(at + 1));
    x86_ret(&e);
    cr_assert(!e.overflow);
    cr_assert_eq(mprotect(page, 4096, PROT_READ | PROT_EXEC), 0);
    uint64_t (*fn)(uint64_t, uint64_t) = (uint64_t (*)(uint64_t, uint64_t))(void *)page;
    uint64_t (*fn2)(uint64_t, uint64_t) = (uint64_t (*)(uint64_t, uint64_t))(void *)(page + f2);
    cr_assert_eq(fn(100, 3), (100 + 12 + 7) ^ 100);
    cr_assert_eq(fn(0x100000000ull, 1), (0x100000000ull + 4 + 7) ^ 0x100000000ull);
    cr_assert_eq(fn2(10, 7), 70);
    munmap(page, 4096);
}
