/*
 * test_cpu_native.c - native differential tests: each integer instruction
 * runs on the host CPU (x86-64, through a tiny generated stub) and in
 * softvm's decoder + handler with the same random operands and input flags;
 * results and flags must agree. Flags the SDM leaves undefined for the case
 * are masked (the host may be AMD or Intel; softvm documents its choice in
 * cpu/ops_*.c), and so are results the SDM leaves undefined.
 *
 * The opcode table itself is checked the same way (opcode_table_flag_masks):
 * every row with a register form runs on the host, and the flags it changes,
 * reads and leaves undefined must be within the row's masks.
 *
 * BCD instructions are invalid in 64-bit mode: they are checked against
 * the test386 reference output captured on a real 386 (test data), and the
 * 80286 vectors of test_cpu_moo.c cover them too.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"
#include "tests/unit/support_cpu.h"

/* The state both sides start from and end in. */
struct nstate {
    uint32_t eax, ecx, edx, ebx;
    uint64_t flags;
};

#define ARITH 0x8d5u
#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u

/* --- the host side: a generated stub per instruction ---------------------- */

typedef void (*stub_fn)(struct nstate *s);

struct host_stub {
    uint8_t *page;
};

/* Emit: load eax/ecx/edx/ebx and flags from *rdi, run the instruction,
 * store them back. */
static stub_fn make_stub(struct host_stub *h, const uint8_t *insn, unsigned len)
{
    static const uint8_t pre[] = {
        0x53,                   /* push rbx */
        0x8b, 0x07,             /* mov eax, [rdi] */
        0x8b, 0x4f, 0x04,       /* mov ecx, [rdi+4] */
        0x8b, 0x57, 0x08,       /* mov edx, [rdi+8] */
        0x8b, 0x5f, 0x0c,       /* mov ebx, [rdi+12] */
        0xff, 0x77, 0x10,       /* push qword [rdi+16] */
        0x9d,                   /* popfq */
    };
    static const uint8_t post[] = {
        0x9c,                   /* pushfq */
        0xfc,                   /* cld: the C ABI wants DF = 0 back */
        0x8f, 0x47, 0x10,       /* pop qword [rdi+16] */
        0x89, 0x07,             /* mov [rdi], eax */
        0x89, 0x4f, 0x04,       /* mov [rdi+4], ecx */
        0x89, 0x57, 0x08,       /* mov [rdi+8], edx */
        0x89, 0x5f, 0x0c,       /* mov [rdi+12], ebx */
        0x5b,                   /* pop rbx */
        0xc3,                   /* ret */
    };
    uint8_t *p = h->page;
    memcpy(p, pre, sizeof(pre));
    p += sizeof(pre);
    memcpy(p, insn, len);
    p += len;
    memcpy(p, post, sizeof(post));
    __builtin___clear_cache((char *)h->page, (char *)p + sizeof(post));
    return (stub_fn)(void *)h->page;
}

/* --- the softvm side ---------------------------------------------------------- */

/* Returns false if softvm raised an exception (vector in *exc). */
static bool soft_run(struct cpu *cpu, const uint8_t *bytes, unsigned len, struct nstate *s, int *exc)
{
    struct insn ins[4];
    unsigned pos = 0;
    volatile unsigned count = 0;    /* read after setjmp */
    while (pos < len && count < 4) {   /* a case may be a short sequence */
        int n = decode_insn(bytes + pos, len - pos, DECODE_CODE32 | DECODE_PM, &ins[count]);
        cr_assert_gt(n, 0, "decode failed at %u", pos);
        ins[count].rip = pos;
        pos += (unsigned)n;
        count++;
    }
    cr_assert_eq(pos, len, "decode length %u != %u", pos, len);
    cpu->regs[R_EAX] = s->eax;
    cpu->regs[R_ECX] = s->ecx;
    cpu->regs[R_EDX] = s->edx;
    cpu->regs[R_EBX] = s->ebx;
    cpu_set_eflags(cpu, (uint32_t)s->flags);
    cpu->rip = len;
    if (setjmp(cpu->exc_jmp)) {
        *exc = cpu->exc_vector;
        return false;
    }
    for (unsigned i = 0; i < count; i++) {
        cpu->rip = ins[i].rip + ins[i].len;
        ins[i].desc->fn(cpu, &ins[i]);
    }
    s->eax = cpu->regs[R_EAX];
    s->ecx = cpu->regs[R_ECX];
    s->edx = cpu->regs[R_EDX];
    s->ebx = cpu->regs[R_EBX];
    s->flags = cpu_get_eflags(cpu);
    return true;
}

/* --- cases ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Operands that find edge cases more often than uniform random ones. */
static uint32_t operand(void)
{
    static const uint32_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000,
        0x7fffffff, 0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu, 0x0f, 0x10, 0x99, 0x9a,
    };
    uint32_t r = rnd();
    switch (r & 7) {
    case 0: return special[(r >> 3) % (sizeof(special) / sizeof(special[0]))];
    case 1: return (uint32_t)(int32_t)(int8_t)rnd();
    case 2: return (uint32_t)(int32_t)(int16_t)rnd();
    case 3: return rnd() & 0xff;
    default: return rnd() ^ (rnd() << 16);
    }
}

enum { M_NONE = 0 };
/* Which outputs the SDM leaves undefined for one input: a mask of EFLAGS
 * bits, and whether EAX/EDX may differ. */
struct undef {
    uint32_t flags;
    bool eax, edx;
};
typedef struct undef (*undef_fn)(const struct nstate *in, int size);
/* Inputs a case may reject (e.g. a division that would fault on the host). */
typedef bool (*accept_fn)(const struct nstate *in, int size);

struct ncase {
    const char *name;
    uint8_t bytes[8];
    unsigned len;
    int size;           /* operand size: 1, 2, 4 */
    undef_fn undef;
    accept_fn accept;
    uint32_t count_mask;   /* ECX (shift count) is limited to this, or 0 for a full operand */
};

static struct undef u_none(const struct nstate *in, int size) { (void)in; (void)size; return (struct undef){ .flags = 0 }; }
static struct undef u_logic(const struct nstate *in, int size) { (void)in; (void)size; return (struct undef){ .flags = F_AF }; }
static struct undef u_mul(const struct nstate *in, int size)
{
    (void)in; (void)size;
    return (struct undef){ .flags = F_SF | F_ZF | F_AF | F_PF };
}
static struct undef u_div(const struct nstate *in, int size) { (void)in; (void)size; return (struct undef){ .flags = ARITH }; }
static struct undef u_bt(const struct nstate *in, int size)
{
    (void)in; (void)size;
    return (struct undef){ .flags = F_OF | F_SF | F_AF | F_PF };
}
static struct undef u_bsx(const struct nstate *in, int size)
{
    uint32_t src = size == 2 ? (in->edx & 0xffff) : in->edx;
    return (struct undef){ .flags = F_CF | F_OF | F_SF | F_AF | F_PF, .eax = src == 0 };
}
/* SHL/SHR/SAR: AF undefined for a nonzero count, OF for counts > 1, CF
 * for SHL/SHR counts >= the operand width (SDM Vol. 2B SAL/SAR/SHL/SHR). */
static struct undef u_shift(const struct nstate *in, int size)
{
    unsigned c = in->ecx & 0x1f;
    struct undef u = { 0 };
    if (c)
        u.flags |= F_AF;
    if (c > 1)
        u.flags |= F_OF;
    if (c >= (unsigned)size * 8)
        u.flags |= F_CF;
    return u;
}
/* shift by 1 (D0/D1): only AF is undefined */
static struct undef u_shift1(const struct nstate *in, int size) { (void)in; (void)size; return (struct undef){ .flags = F_AF }; }
static struct undef u_rotate(const struct nstate *in, int size)
{
    (void)size;
    unsigned c = in->ecx & 0x1f;
    return (struct undef){ .flags = c > 1 ? F_OF : 0 };
}
/* SHLD/SHRD: count > width leaves result and flags undefined. */
static struct undef u_shxd(const struct nstate *in, int size)
{
    unsigned c = in->ecx & 0x1f;
    struct undef u = { 0 };
    if (c > (unsigned)size * 8)
        return (struct undef){ .flags = ARITH, .eax = true };
    if (c)
        u.flags |= F_AF;
    if (c > 1)
        u.flags |= F_OF;
    return u;
}

static bool accept_all(const struct nstate *in, int size) { (void)in; (void)size; return true; }

/* DIV r/m by ECX (CL/CX/ECX): no #DE on the host. */
static bool accept_div(const struct nstate *in, int size)
{
    if (size == 1) {
        uint32_t d = in->ecx & 0xff;
        return d && (in->eax & 0xffff) / d <= 0xff;
    }
    if (size == 2) {
        uint32_t d = in->ecx & 0xffff;
        uint32_t n = ((in->edx & 0xffff) << 16) | (in->eax & 0xffff);
        return d && n / d <= 0xffff;
    }
    uint64_t n = ((uint64_t)in->edx << 32) | in->eax;
    return in->ecx && n / in->ecx <= 0xffffffffull;
}
static bool accept_idiv(const struct nstate *in, int size)
{
    if (size == 1) {
        int32_t d = (int8_t)in->ecx, n = (int16_t)in->eax;
        if (!d)
            return false;
        int32_t q = n / d;
        return q >= -128 && q <= 127;
    }
    if (size == 2) {
        int32_t d = (int16_t)in->ecx;
        int32_t n = (int32_t)(((in->edx & 0xffff) << 16) | (in->eax & 0xffff));
        if (!d)
            return false;
        int64_t q = (int64_t)n / d;
        return q >= -32768 && q <= 32767;
    }
    int64_t n = (int64_t)(((uint64_t)in->edx << 32) | in->eax), d = (int32_t)in->ecx;
    if (!d || (n == INT64_MIN && d == -1))
        return false;
    int64_t q = n / d;
    return q >= INT32_MIN && q <= INT32_MAX;
}

#define C(nm, sz, u, acc, cm, ...) { nm, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), sz, u, acc, cm }

static const struct ncase cases[] = {
    /* ALU reg, reg: op eax, edx (ModRM D0) / op al, dl / op ax, dx; AH forms via E0 */
    C("add32", 4, u_none, accept_all, 0, 0x01, 0xd0), C("or32", 4, u_logic, accept_all, 0, 0x09, 0xd0),
    C("adc32", 4, u_none, accept_all, 0, 0x11, 0xd0), C("sbb32", 4, u_none, accept_all, 0, 0x19, 0xd0),
    C("and32", 4, u_logic, accept_all, 0, 0x21, 0xd0), C("sub32", 4, u_none, accept_all, 0, 0x29, 0xd0),
    C("xor32", 4, u_logic, accept_all, 0, 0x31, 0xd0), C("cmp32", 4, u_none, accept_all, 0, 0x39, 0xd0),
    C("add16", 2, u_none, accept_all, 0, 0x66, 0x01, 0xd0), C("adc16", 2, u_none, accept_all, 0, 0x66, 0x11, 0xd0),
    C("sbb16", 2, u_none, accept_all, 0, 0x66, 0x19, 0xd0), C("sub16", 2, u_none, accept_all, 0, 0x66, 0x2b, 0xc2),
    C("add8", 1, u_none, accept_all, 0, 0x00, 0xd0), C("adc8", 1, u_none, accept_all, 0, 0x10, 0xd0),
    C("sbb8", 1, u_none, accept_all, 0, 0x18, 0xd0), C("sub8", 1, u_none, accept_all, 0, 0x28, 0xd0),
    C("cmp8_ah", 1, u_none, accept_all, 0, 0x38, 0xf4), C("xor8_dh", 1, u_logic, accept_all, 0, 0x30, 0xf0),
    C("test32", 4, u_logic, accept_all, 0, 0x85, 0xd0), C("test8", 1, u_logic, accept_all, 0, 0x84, 0xd0),
    C("add_imm8s", 4, u_none, accept_all, 0, 0x83, 0xc0, 0x85), C("sbb_imm16", 2, u_none, accept_all, 0, 0x66, 0x81, 0xd8, 0x34, 0x82),
    C("cmp_imm8", 1, u_none, accept_all, 0, 0x80, 0xf8, 0x80),
    /* INC/DEC/NEG/NOT */
    C("inc32", 4, u_none, accept_all, 0, 0xff, 0xc0), C("dec32", 4, u_none, accept_all, 0, 0xff, 0xc8),
    C("inc16", 2, u_none, accept_all, 0, 0x66, 0xff, 0xc0), C("dec8", 1, u_none, accept_all, 0, 0xfe, 0xc8),
    C("neg32", 4, u_none, accept_all, 0, 0xf7, 0xd8), C("neg16", 2, u_none, accept_all, 0, 0x66, 0xf7, 0xd8),
    C("neg8", 1, u_none, accept_all, 0, 0xf6, 0xd8), C("not32", 4, u_none, accept_all, 0, 0xf7, 0xd0),
    /* shifts and rotates by CL: r/m = eax */
    C("rol32", 4, u_rotate, accept_all, 63, 0xd3, 0xc0), C("ror32", 4, u_rotate, accept_all, 63, 0xd3, 0xc8),
    C("rcl32", 4, u_rotate, accept_all, 63, 0xd3, 0xd0), C("rcr32", 4, u_rotate, accept_all, 63, 0xd3, 0xd8),
    C("shl32", 4, u_shift, accept_all, 63, 0xd3, 0xe0), C("shr32", 4, u_shift, accept_all, 63, 0xd3, 0xe8),
    C("sar32", 4, u_shift, accept_all, 63, 0xd3, 0xf8), C("sal32", 4, u_shift, accept_all, 63, 0xd3, 0xf0),
    C("rol16", 2, u_rotate, accept_all, 63, 0x66, 0xd3, 0xc0), C("ror16", 2, u_rotate, accept_all, 63, 0x66, 0xd3, 0xc8),
    C("rcl16", 2, u_rotate, accept_all, 63, 0x66, 0xd3, 0xd0), C("rcr16", 2, u_rotate, accept_all, 63, 0x66, 0xd3, 0xd8),
    C("shl16", 2, u_shift, accept_all, 63, 0x66, 0xd3, 0xe0), C("shr16", 2, u_shift, accept_all, 63, 0x66, 0xd3, 0xe8),
    C("sar16", 2, u_shift, accept_all, 63, 0x66, 0xd3, 0xf8),
    C("rol8", 1, u_rotate, accept_all, 63, 0xd2, 0xc0), C("ror8", 1, u_rotate, accept_all, 63, 0xd2, 0xc8),
    C("rcl8", 1, u_rotate, accept_all, 63, 0xd2, 0xd0), C("rcr8", 1, u_rotate, accept_all, 63, 0xd2, 0xd8),
    C("shl8", 1, u_shift, accept_all, 63, 0xd2, 0xe0), C("shr8", 1, u_shift, accept_all, 63, 0xd2, 0xe8),
    C("sar8", 1, u_shift, accept_all, 63, 0xd2, 0xf8), C("rcl8_ah", 1, u_rotate, accept_all, 63, 0xd2, 0xd4),
    C("shl1_32", 4, u_shift1, accept_all, 0, 0xd1, 0xe0), C("sar1_8", 1, u_shift1, accept_all, 0, 0xd0, 0xf8),
    C("shr1_16", 2, u_shift1, accept_all, 0, 0x66, 0xd1, 0xe8), C("rcr1_16", 2, u_none, accept_all, 0, 0x66, 0xd1, 0xd8),
    C("rol1_8", 1, u_none, accept_all, 0, 0xd0, 0xc0),
    C("shld32", 4, u_shxd, accept_all, 63, 0x0f, 0xa5, 0xd0), C("shrd32", 4, u_shxd, accept_all, 63, 0x0f, 0xad, 0xd0),
    C("shld16", 2, u_shxd, accept_all, 63, 0x66, 0x0f, 0xa5, 0xd0), C("shrd16", 2, u_shxd, accept_all, 63, 0x66, 0x0f, 0xad, 0xd0),
    /* multiply and divide */
    C("mul32", 4, u_mul, accept_all, 0, 0xf7, 0xe2), C("imul32", 4, u_mul, accept_all, 0, 0xf7, 0xea),
    C("mul16", 2, u_mul, accept_all, 0, 0x66, 0xf7, 0xe2), C("imul16", 2, u_mul, accept_all, 0, 0x66, 0xf7, 0xea),
    C("mul8", 1, u_mul, accept_all, 0, 0xf6, 0xe2), C("imul8", 1, u_mul, accept_all, 0, 0xf6, 0xea),
    C("imul_r32", 4, u_mul, accept_all, 0, 0x0f, 0xaf, 0xc2), C("imul_r16", 2, u_mul, accept_all, 0, 0x66, 0x0f, 0xaf, 0xc2),
    C("imul_imm8", 4, u_mul, accept_all, 0, 0x6b, 0xc2, 0x9c), C("imul_imm32", 4, u_mul, accept_all, 0, 0x69, 0xc2, 0x78, 0x56, 0x34, 0x92),
    C("div32", 4, u_div, accept_div, 0, 0xf7, 0xf1), C("idiv32", 4, u_div, accept_idiv, 0, 0xf7, 0xf9),
    C("div16", 2, u_div, accept_div, 0, 0x66, 0xf7, 0xf1), C("idiv16", 2, u_div, accept_idiv, 0, 0x66, 0xf7, 0xf9),
    C("div8", 1, u_div, accept_div, 0, 0xf6, 0xf1), C("idiv8", 1, u_div, accept_idiv, 0, 0xf6, 0xf9),
    /* bit instructions */
    C("bt32", 4, u_bt, accept_all, 0, 0x0f, 0xa3, 0xd0), C("bts32", 4, u_bt, accept_all, 0, 0x0f, 0xab, 0xd0),
    C("btr32", 4, u_bt, accept_all, 0, 0x0f, 0xb3, 0xd0), C("btc32", 4, u_bt, accept_all, 0, 0x0f, 0xbb, 0xd0),
    C("btc16", 2, u_bt, accept_all, 0, 0x66, 0x0f, 0xbb, 0xd0), C("bts_imm", 4, u_bt, accept_all, 0, 0x0f, 0xba, 0xe8, 0x23),
    C("bsf32", 4, u_bsx, accept_all, 0, 0x0f, 0xbc, 0xc2), C("bsr32", 4, u_bsx, accept_all, 0, 0x0f, 0xbd, 0xc2),
    C("bsf16", 2, u_bsx, accept_all, 0, 0x66, 0x0f, 0xbc, 0xc2), C("bsr16", 2, u_bsx, accept_all, 0, 0x66, 0x0f, 0xbd, 0xc2),
    C("bswap", 4, u_none, accept_all, 0, 0x0f, 0xc8),
    /* exchange, compare-exchange, conversions, conditionals */
    C("xadd32", 4, u_none, accept_all, 0, 0x0f, 0xc1, 0xd0), C("xadd8", 1, u_none, accept_all, 0, 0x0f, 0xc0, 0xd0),
    C("cmpxchg32", 4, u_none, accept_all, 0, 0x0f, 0xb1, 0xd1), C("cmpxchg8", 1, u_none, accept_all, 0, 0x0f, 0xb0, 0xd1),
    C("cbw", 2, u_none, accept_all, 0, 0x66, 0x98), C("cwde", 4, u_none, accept_all, 0, 0x98),
    C("cwd", 2, u_none, accept_all, 0, 0x66, 0x99), C("cdq", 4, u_none, accept_all, 0, 0x99),
    C("seto", 1, u_none, accept_all, 0, 0x0f, 0x90, 0xc0), C("setbe", 1, u_none, accept_all, 0, 0x0f, 0x96, 0xc0),
    C("setl", 1, u_none, accept_all, 0, 0x0f, 0x9c, 0xc0), C("setg", 1, u_none, accept_all, 0, 0x0f, 0x9f, 0xc0),
    C("setp", 1, u_none, accept_all, 0, 0x0f, 0x9a, 0xc0), C("setns", 1, u_none, accept_all, 0, 0x0f, 0x99, 0xc0),
    C("cmova", 4, u_none, accept_all, 0, 0x0f, 0x47, 0xc2), C("cmovle", 4, u_none, accept_all, 0, 0x0f, 0x4e, 0xc2),
    C("cmovge16", 2, u_none, accept_all, 0, 0x66, 0x0f, 0x4d, 0xc2),
    C("movzx8", 4, u_none, accept_all, 0, 0x0f, 0xb6, 0xc6), C("movsx16", 4, u_none, accept_all, 0, 0x0f, 0xbf, 0xc2),
    C("movsx8_16", 2, u_none, accept_all, 0, 0x66, 0x0f, 0xbe, 0xc2),
    C("lahf", 1, u_none, accept_all, 0, 0x9f), C("sahf", 1, u_none, accept_all, 0, 0x9e),
    C("cmc", 4, u_none, accept_all, 0, 0xf5),
    /* a lazily recorded compare read by SETcc (the fast condition paths) */
    C("cmp;setb", 4, u_none, accept_all, 0, 0x39, 0xd0, 0x0f, 0x92, 0xc1),
    C("cmp;setbe", 4, u_none, accept_all, 0, 0x39, 0xd0, 0x0f, 0x96, 0xc1),
    C("cmp;setl", 4, u_none, accept_all, 0, 0x39, 0xd0, 0x0f, 0x9c, 0xc1),
    C("cmp;setle", 4, u_none, accept_all, 0, 0x39, 0xd0, 0x0f, 0x9e, 0xc1),
    C("cmp;setg", 4, u_none, accept_all, 0, 0x39, 0xd0, 0x0f, 0x9f, 0xc1),
    C("cmp;setae", 4, u_none, accept_all, 0, 0x39, 0xd0, 0x0f, 0x93, 0xc1),
    C("cmp16;setl", 2, u_none, accept_all, 0, 0x66, 0x39, 0xd0, 0x0f, 0x9c, 0xc1),
    C("cmp8;setle", 1, u_none, accept_all, 0, 0x38, 0xd0, 0x0f, 0x9e, 0xc1),
    C("cmp8;seta", 1, u_none, accept_all, 0, 0x38, 0xd0, 0x0f, 0x97, 0xc1),
    C("sub;setz", 4, u_none, accept_all, 0, 0x29, 0xd0, 0x0f, 0x94, 0xc1),
    C("dec;setnz", 2, u_none, accept_all, 0, 0x66, 0xff, 0xc8, 0x0f, 0x95, 0xc1),
    C("and;setle", 4, u_logic, accept_all, 0, 0x21, 0xd0, 0x0f, 0x9e, 0xc1),
    C("adc;setl", 1, u_none, accept_all, 0, 0x10, 0xd0, 0x0f, 0x9c, 0xc1),
    C("sbb;setbe", 2, u_none, accept_all, 0, 0x66, 0x19, 0xd0, 0x0f, 0x96, 0xc1), C("xchg8", 1, u_none, accept_all, 0, 0x86, 0xf4),
};

#define ITERATIONS 30000

Test(cpu_native, differential, .timeout = 300)
{
    struct host_stub h;
    h.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h.page == MAP_FAILED)
        cr_skip("cannot map executable memory on this host");
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    support_cpu_flat32(m);
    uint64_t total = 0;

    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
        const struct ncase *c = &cases[ci];
        stub_fn run = make_stub(&h, c->bytes, c->len);
        for (int it = 0; it < ITERATIONS; it++) {
            struct nstate in = {
                .eax = operand(), .ecx = operand(), .edx = operand(), .ebx = operand(),
                .flags = 0x202 | (rnd() & ARITH),
            };
            if (c->count_mask)
                in.ecx = (in.ecx & ~0xffu) | (rnd() & c->count_mask);
            if (!c->accept(&in, c->size))
                continue;
            struct nstate hw = in, sw = in;
            run(&hw);
            int exc = -1;
            bool ok = soft_run(m->cpu, c->bytes, c->len, &sw, &exc);
            cr_assert(ok, "%s: softvm raised exception %d for eax=%08x ecx=%08x edx=%08x", c->name, exc,
                      in.eax, in.ecx, in.edx);
            struct undef u = c->undef(&in, c->size);
            uint32_t fmask = ARITH & ~u.flags;
            bool same = ((hw.flags ^ sw.flags) & fmask) == 0 && hw.ecx == sw.ecx && hw.ebx == sw.ebx &&
                        (u.eax || hw.eax == sw.eax) && (u.edx || hw.edx == sw.edx);
            if (!same)
                cr_assert_fail("%s: in eax=%08x ecx=%08x edx=%08x ebx=%08x fl=%03x\n"
                               "  host eax=%08x ecx=%08x edx=%08x ebx=%08x fl=%03x\n"
                               "  soft eax=%08x ecx=%08x edx=%08x ebx=%08x fl=%03x (compared flags %03x)",
                               c->name, in.eax, in.ecx, in.edx, in.ebx, (unsigned)in.flags & ARITH, hw.eax,
                               hw.ecx, hw.edx, hw.ebx, (unsigned)hw.flags & ARITH, sw.eax, sw.ecx, sw.edx, sw.ebx,
                               (unsigned)sw.flags & ARITH, fmask);
            total++;
        }
    }
    printf("native differential: %llu cases over %zu instruction forms agree\n", (unsigned long long)total,
           sizeof(cases) / sizeof(cases[0]));
    cr_assert_gt(total, 1000000);
    support_cpu_destroy(m);
    munmap(h.page, 4096);
}

/* Divide overflow and divide by zero raise #DE (the host would SIGFPE). */
Test(cpu_native, divide_errors)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    support_cpu_flat32(m);
    static const uint8_t div32[] = { 0xf7, 0xf1 }, idiv8[] = { 0xf6, 0xf9 }, idiv16[] = { 0x66, 0xf7, 0xf9 };
    int exc = -1;
    struct nstate s = { .eax = 5, .ecx = 0, .edx = 0, .flags = 0x202 };
    cr_assert_not(soft_run(m->cpu, div32, 2, &s, &exc));
    cr_assert_eq(exc, EXC_DE);
    s = (struct nstate){ .eax = 0, .ecx = 1, .edx = 1, .flags = 0x202 };
    cr_assert_not(soft_run(m->cpu, div32, 2, &s, &exc));
    cr_assert_eq(exc, EXC_DE);
    s = (struct nstate){ .eax = 0x8000, .ecx = 0xff, .flags = 0x202 };   /* -32768 / -1 */
    cr_assert_not(soft_run(m->cpu, idiv8, 2, &s, &exc));
    s = (struct nstate){ .eax = 0xff80, .ecx = 0xff, .flags = 0x202 };   /* -128 / -1 = 128: overflow */
    cr_assert_not(soft_run(m->cpu, idiv8, 2, &s, &exc));
    s = (struct nstate){ .eax = 0xff80, .ecx = 0x01, .flags = 0x202 };   /* -128 / 1 fits */
    cr_assert(soft_run(m->cpu, idiv8, 2, &s, &exc));
    cr_assert_eq(s.eax & 0xffff, 0x0080);
    s = (struct nstate){ .eax = 0, .edx = 0x8000, .ecx = 0xffff, .flags = 0x202 };   /* INT_MIN16:0 / -1 */
    cr_assert_not(soft_run(m->cpu, idiv16, 3, &s, &exc));
    support_cpu_destroy(m);
}

/* BCD: DAA/DAS/AAA/AAS/AAM/AAD against the test386 reference output of a
 * real 386 ("op EAX=in PS=in EAX=out PS=out", PS showing the defined flags). */
Test(cpu_native, bcd_test386_reference)
{
    char path[512], cmd[600];
    snprintf(path, sizeof(path), "%s/test386/test386-EE-reference.txt.gz", SOFTVM_TESTDATA_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        cr_skip("test data not found: %s", path);
    fclose(probe);
    snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
    FILE *f = popen(cmd, "r");
    cr_assert(f);
    struct support_cpu *m = support_cpu_create(1 << 20);
    support_cpu_flat32(m);
    char line[256];
    int checked = 0;
    while (fgets(line, sizeof(line), f)) {
        char op[8];
        unsigned eax_in, ps_in, eax_out, ps_out;
        if (sscanf(line, "%7s EAX=%x PS=%x EAX=%x PS=%x", op, &eax_in, &ps_in, &eax_out, &ps_out) != 5)
            continue;
        uint8_t b[2];
        unsigned len = 1;
        uint32_t defined;
        if (!strcmp(op, "daa")) { b[0] = 0x27; defined = F_SF | F_ZF | F_AF | F_PF | F_CF; }
        else if (!strcmp(op, "das")) { b[0] = 0x2f; defined = F_SF | F_ZF | F_AF | F_PF | F_CF; }
        else if (!strcmp(op, "aaa")) { b[0] = 0x37; defined = F_AF | F_CF; }
        else if (!strcmp(op, "aas")) { b[0] = 0x3f; defined = F_AF | F_CF; }
        else if (!strcmp(op, "aam")) { b[0] = 0xd4; b[1] = 10; len = 2; defined = F_SF | F_ZF | F_PF; }
        else if (!strcmp(op, "aad")) { b[0] = 0xd5; b[1] = 10; len = 2; defined = F_SF | F_ZF | F_PF; }
        else continue;
        /* BCD opcodes are valid only outside 64-bit mode; decode as 32-bit */
        struct nstate s = { .eax = eax_in, .flags = 0x202 | (ps_in & ARITH) };
        int exc;
        cr_assert(soft_run(m->cpu, b, len, &s, &exc), "%s raised %d", op, exc);
        cr_assert_eq(s.eax, eax_out, "%s EAX=%08x PS=%04x: got EAX=%08x want %08x", op, eax_in, ps_in, s.eax, eax_out);
        cr_assert_eq((uint32_t)s.flags & defined, ps_out & defined, "%s EAX=%08x PS=%04x: flags %03x want %03x", op,
                     eax_in, ps_in, (unsigned)s.flags & defined, ps_out & defined);
        checked++;
    }
    pclose(f);
    cr_assert_eq(checked, 44, "expected the 44 BCD lines, found %d", checked);
    support_cpu_destroy(m);
}

/* --- the opcode table as an executable spec ----------------------------------- */

#define FL_CHECKED (ARITH | 0x400u)     /* arithmetic flags and DF: what user mode can set */

/* Why a row cannot run on the host with register operands (NULL: it can).
 * The host runs the stub in 64-bit user mode. */
static const char *host_unrunnable(unsigned op, const struct op_desc *d, uint32_t form, int reg)
{
    if (form & (OPF_INVALID | OPF_PREFIX))
        return "not an instruction";
    if (form & (OPF_FPU | OPF_SIMD))
        return "x87/SSE: tests/unit/test_fpu_*.c";
    if (form & (OPF_END_BB | OPF_MEM | OPF_MOFFS | OPF_STRING | OPF_FARPTR | OPF_ENTER | OPF_PM | OPF_MODRM_ANY))
        return "control flow, memory-only, string, system or protected-mode-only";
    switch (op) {
    case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e: case 0x1f:
    case 0x27: case 0x2f: case 0x37: case 0x3f: case 0x60: case 0x61: case 0x62:
    case 0x82: case 0x9a: case 0xc4: case 0xc5: case 0xce: case 0xd4: case 0xd5: case 0xd6: case 0xea:
        return "invalid in 64-bit mode";
    }
    if (op >= 0x40 && op <= 0x4f)
        return "a REX prefix in 64-bit mode";
    if ((op >= 0x94 && op <= 0x97) || (op >= 0xbc && op <= 0xbf) || (op >= 0x1cc && op <= 0x1cf))
        return "names ESP/EBP/ESI/EDI, which the host stub needs";
    if ((op == 0xf6 || op == 0xf7) && reg == 1)
        return "undocumented TEST alias (the host may lack it)";
    if ((op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3)) && reg == 6)
        return "undocumented SAL alias (the host may lack it)";
    switch (d->sem) {
    case SEM_PUSH: case SEM_POP: case SEM_PUSH_SREG: case SEM_POP_SREG: case SEM_PUSHA: case SEM_POPA:
    case SEM_PUSHF: case SEM_POPF: case SEM_LEAVE:
        return "uses the host stack";
    case SEM_IN: case SEM_OUT: case SEM_CLI: case SEM_STI: case SEM_INVD: case SEM_WBINVD:
    case SEM_RDMSR: case SEM_WRMSR: case SEM_RDPMC: case SEM_SMSW: case SEM_SLDT: case SEM_STR:
        return "privileged or I/O";
    case SEM_XLAT:
        return "reads memory at [EBX+AL]";
    case SEM_CPUID: case SEM_RDTSC:
        return "host-specific results";
    }
    return NULL;
}

/* Rows that run in softvm with register operands but not on the host: the
 * table is still checked against softvm's own handler (values: test386 and
 * the 80286/386 vectors of test_cpu_moo.c). */
static bool soft_only(unsigned op)
{
    return op == 0x27 || op == 0x2f || op == 0x37 || op == 0x3f || op == 0xd4 || op == 0xd5
        || op == 0xd6 || op == 0x82 || (op >= 0x40 && op <= 0x4f);
}

/* Instruction bytes for the row with ModRM mod = 3, reg = `reg`, rm = EBX. */
static unsigned row_bytes(unsigned op, uint32_t form, int reg, uint32_t imm, uint8_t *b)
{
    unsigned n = 0;
    if (op >= 0x100)
        b[n++] = 0x0f;
    b[n++] = (uint8_t)op;
    if (form & OPF_MODRM)
        b[n++] = (uint8_t)(0xc0 | (reg << 3) | R_EBX);
    unsigned isz = 0;
    if (form & (OPF_IMM8 | OPF_IMM8S | OPF_REL8))
        isz = 1;
    else if (form & OPF_IMMZ)
        isz = (form & OPF_BYTE) ? 1 : 4;
    else if (form & OPF_IMM16)
        isz = 2;
    for (unsigned i = 0; i < isz; i++)
        b[n++] = (uint8_t)(imm >> (8 * i));
    return n;
}

/* DIV/IDIV by EBX (BL for the byte form) that the host can run without #DE. */
static bool divisor_ok(const struct op_desc *d, uint32_t form, const struct nstate *in)
{
    if (d->sem != SEM_DIV && d->sem != SEM_IDIV)
        return true;
    struct nstate t = *in;
    t.ecx = in->ebx;
    int size = (form & OPF_BYTE) ? 1 : 4;
    return d->sem == SEM_DIV ? accept_div(&t, size) : accept_idiv(&t, size);
}

#define ROW_ITERATIONS 2000

Test(cpu_native, opcode_table_flag_masks, .timeout = 300)
{
    struct host_stub h;
    h.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h.page == MAP_FAILED)
        cr_skip("cannot map executable memory on this host");
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    support_cpu_flat32(m);
    unsigned host_rows = 0, soft_rows = 0;

    for (unsigned op = 0; op < 512; op++) {
        const struct op_desc *top = &op_table[op];
        int nsub = (top->form & OPF_GROUP) ? 8 : 1;
        for (int r = 0; r < nsub; r++) {
            const struct op_desc *d = top;
            uint32_t form = top->form;
            int reg = R_EDX;
            if (top->form & OPF_GROUP) {
                d = &top->group[(top->form & OPF_GROUP_MOD) ? 8 + r : r];
                form = (top->form & ~(OPF_GROUP | OPF_GROUP_MOD)) | d->form;
                reg = r;
            }
            if (!d->fn)
                continue;
            bool on_host = host_unrunnable(op, d, form, reg) == NULL;
            if (!on_host && !(soft_only(op) && !(form & (OPF_INVALID | OPF_PREFIX))))
                continue;
            cr_assert_eq(d->flags_undef & ~d->flags_written, 0, "%03x/%d %s: undefined flags outside flags_written",
                         op, reg, d->name);
            for (int it = 0; it < ROW_ITERATIONS; it++) {
                uint32_t imm = operand();
                if (it % 4 == 0)
                    imm = rnd() % 40;          /* shift counts near 0 and the widths */
                if (op == 0xd4 || op == 0xd5)
                    imm = (imm & 0xff) ? imm : 10;  /* AAM 0 is #DE */
                uint8_t bytes[16];
                unsigned len = row_bytes(op, form, reg, imm, bytes);
                struct nstate in = {
                    .eax = operand(), .ecx = operand(), .edx = operand(), .ebx = operand(),
                    .flags = 0x202 | (rnd() & FL_CHECKED),
                };
                if (it % 4 == 1)
                    in.ecx = (in.ecx & ~0xffu) | (rnd() % 40);
                if (!divisor_ok(d, form, &in))
                    continue;
                /* the same input with flags outside flags_read toggled */
                uint32_t toggle = rnd() & FL_CHECKED & ~d->flags_read;
                struct nstate in2 = in;
                in2.flags ^= toggle;

                struct nstate sw = in, sw2 = in2;
                int exc = -1;
                for (int i = R_ESP; i <= R_EDI; i++)
                    m->cpu->regs[i] = 0x1000u * (uint32_t)i + 0x80;
                cr_assert(soft_run(m->cpu, bytes, len, &sw, &exc), "%03x/%d %s: softvm raised %d", op, reg,
                          d->name, exc);
                uint32_t hi_regs[4];
                memcpy(hi_regs, &m->cpu->regs[R_ESP], sizeof(hi_regs));
                for (int i = R_ESP; i <= R_EDI; i++)
                    m->cpu->regs[i] = 0x1000u * (uint32_t)i + 0x80;
                cr_assert(soft_run(m->cpu, bytes, len, &sw2, &exc));
                cr_assert_eq(memcmp(hi_regs, &m->cpu->regs[R_ESP], sizeof(hi_regs)), 0,
                             "%03x/%d %s: ESP..EDI depend on flags outside flags_read", op, reg, d->name);
                uint32_t sch = ((uint32_t)(sw.flags ^ in.flags)) & FL_CHECKED;
                cr_assert_eq(sch & ~d->flags_written, 0, "%03x/%d %s: softvm changed flags %03x outside "
                             "flags_written %03x", op, reg, d->name, sch, d->flags_written);
                /* flags_read: nothing outside it changes softvm's result, and
                 * the toggled flags it doesn't write pass through */
                cr_assert(sw.eax == sw2.eax && sw.ecx == sw2.ecx && sw.edx == sw2.edx && sw.ebx == sw2.ebx,
                          "%03x/%d %s: registers depend on flags %03x outside flags_read %03x", op, reg, d->name,
                          toggle, d->flags_read);
                cr_assert_eq((uint32_t)(sw.flags ^ sw2.flags) & FL_CHECKED, toggle & ~d->flags_written,
                             "%03x/%d %s: softvm flags depend on %03x outside flags_read %03x (fl %03x -> %03x, "
                             "%03x -> %03x)", op, reg, d->name, toggle, d->flags_read, (unsigned)in.flags & FL_CHECKED,
                             (unsigned)sw.flags & FL_CHECKED, (unsigned)in2.flags & FL_CHECKED,
                             (unsigned)sw2.flags & FL_CHECKED);
                if (!on_host)
                    continue;

                struct nstate hw = in, hw2 = in2;
                make_stub(&h, bytes, len)(&hw);
                make_stub(&h, bytes, len)(&hw2);
                uint32_t hch = ((uint32_t)(hw.flags ^ in.flags)) & FL_CHECKED;
                cr_assert_eq(hch & ~d->flags_written, 0, "%03x/%d %s: the host changed flags %03x outside "
                             "flags_written %03x (in fl=%03x)", op, reg, d->name, hch, d->flags_written,
                             (unsigned)in.flags & FL_CHECKED);
                uint32_t defined = FL_CHECKED & ~d->flags_undef;
                cr_assert_eq((uint32_t)(hw.flags ^ sw.flags) & defined, 0, "%03x/%d %s: defined flags differ: "
                             "host %03x softvm %03x (compared %03x; in eax=%08x ecx=%08x edx=%08x ebx=%08x fl=%03x)",
                             op, reg, d->name, (unsigned)hw.flags & defined, (unsigned)sw.flags & defined, defined,
                             in.eax, in.ecx, in.edx, in.ebx, (unsigned)in.flags & FL_CHECKED);
                cr_assert(hw.eax == hw2.eax && hw.ecx == hw2.ecx && hw.edx == hw2.edx && hw.ebx == hw2.ebx,
                          "%03x/%d %s: on the host the registers depend on flags %03x outside flags_read %03x",
                          op, reg, d->name, toggle, d->flags_read);
                cr_assert_eq((uint32_t)(hw.flags ^ hw2.flags) & defined, toggle & ~d->flags_written & defined,
                             "%03x/%d %s: on the host the flags depend on %03x outside flags_read %03x", op, reg,
                             d->name, toggle, d->flags_read);
            }
            if (on_host)
                host_rows++;
            else
                soft_rows++;
        }
    }
    printf("opcode table: %u rows checked on the host, %u against softvm only\n", host_rows, soft_rows);
    cr_assert_geq(host_rows, 150, "only %u rows ran on the host", host_rows);
    cr_assert_geq(soft_rows, 20);
    support_cpu_destroy(m);
    munmap(h.page, 4096);
}

/* --- 64-bit mode: the REX.W forms and 32/8-bit forms with REX ------------------
 * The same differential test for 64-bit operands: the host runs the
 * instruction with RAX, RCX, RDX, RBX, R8 and RFLAGS loaded; softvm decodes
 * it in 64-bit mode (DECODE_CODE64) on a CPU in 64-bit mode. The 32-bit
 * forms are here too: their result must be zero-extended to 64 bits, CMOV
 * with a false condition included. */
struct nstate64 {
    uint64_t r[5];          /* rax rcx rdx rbx r8 */
    uint64_t flags;
};

static stub_fn make_stub64(struct host_stub *h, const uint8_t *insn, unsigned len)
{
    static const uint8_t pre[] = {
        0x53,                           /* push rbx */
        0x48, 0x8b, 0x07,               /* mov rax, [rdi] */
        0x48, 0x8b, 0x4f, 0x08,         /* mov rcx, [rdi+8] */
        0x48, 0x8b, 0x57, 0x10,         /* mov rdx, [rdi+16] */
        0x48, 0x8b, 0x5f, 0x18,         /* mov rbx, [rdi+24] */
        0x4c, 0x8b, 0x47, 0x20,         /* mov r8, [rdi+32] */
        0xff, 0x77, 0x28,               /* push qword [rdi+40] */
        0x9d,                           /* popfq */
    };
    static const uint8_t post[] = {
        0x9c, 0xfc,                     /* pushfq; cld */
        0x8f, 0x47, 0x28,               /* pop qword [rdi+40] */
        0x48, 0x89, 0x07, 0x48, 0x89, 0x4f, 0x08, 0x48, 0x89, 0x57, 0x10,
        0x48, 0x89, 0x5f, 0x18, 0x4c, 0x89, 0x47, 0x20,
        0x5b, 0xc3,                     /* pop rbx; ret */
    };
    uint8_t *p = h->page;
    memcpy(p, pre, sizeof(pre));
    p += sizeof(pre);
    memcpy(p, insn, len);
    p += len;
    memcpy(p, post, sizeof(post));
    __builtin___clear_cache((char *)h->page, (char *)p + sizeof(post));
    return (stub_fn)(void *)h->page;
}

static const int regs64[5] = { R_EAX, R_ECX, R_EDX, R_EBX, R_R8 };

static bool soft_run64(struct cpu *cpu, const uint8_t *bytes, unsigned len, struct nstate64 *s, int *exc)
{
    struct insn ins[4];
    unsigned pos = 0;
    volatile unsigned count = 0;
    while (pos < len && count < 4) {
        int n = decode_insn(bytes + pos, len - pos, DECODE_CODE64 | DECODE_PM, &ins[count]);
        cr_assert_gt(n, 0, "decode failed at %u", pos);
        ins[count].rip = pos;
        pos += (unsigned)n;
        count++;
    }
    cr_assert_eq(pos, len, "decode length %u != %u", pos, len);
    for (int i = 0; i < 5; i++)
        cpu->regs[regs64[i]] = s->r[i];
    cpu_set_eflags(cpu, (uint32_t)s->flags);
    if (setjmp(cpu->exc_jmp)) {
        *exc = cpu->exc_vector;
        return false;
    }
    for (unsigned i = 0; i < count; i++) {
        cpu->rip = ins[i].rip + ins[i].len;
        ins[i].desc->fn(cpu, &ins[i]);
    }
    for (int i = 0; i < 5; i++)
        s->r[i] = cpu->regs[regs64[i]];
    s->flags = cpu_get_eflags(cpu);
    return true;
}

static uint64_t operand64(void)
{
    static const uint64_t special[] = {
        0, 1, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull, ~0ull, ~1ull,
        0xffffffffull, 0x100000000ull, 0x7fffffffull, 0x80000000ull, 0xffffffff80000000ull,
    };
    uint32_t r = rnd();
    switch (r & 3) {
    case 0: return special[(r >> 2) % (sizeof(special) / sizeof(special[0]))];
    case 1: return (uint64_t)(int64_t)(int32_t)operand();
    default: return ((uint64_t)operand() << 32) | operand();
    }
}

enum u64kind { U_NONE, U_LOGIC, U_MUL, U_DIV, U_BT, U_BSX, U_SHIFT, U_SHIFT1, U_SHIFTI, U_ROT, U_SHXD };
enum a64kind { A_ALL, A_DIV, A_IDIV };

struct ncase64 {
    const char *name;
    uint8_t bytes[8];
    unsigned len;
    int size;
    enum u64kind undef;
    enum a64kind accept;
    bool count;             /* CL is a shift count */
};

/* Undefined outputs (as in the 32-bit table; counts masked to 6 bits for 64-bit operands). */
static struct undef undef64(const struct ncase64 *c, const struct nstate64 *in)
{
    unsigned cmask = c->size == 8 ? 0x3f : 0x1f, n = (unsigned)in->r[1] & cmask;
    struct undef u = { 0 };
    switch (c->undef) {
    case U_LOGIC: u.flags = F_AF; break;
    case U_MUL: u.flags = F_SF | F_ZF | F_AF | F_PF; break;
    case U_DIV: u.flags = ARITH; break;
    case U_BT: u.flags = F_OF | F_SF | F_AF | F_PF; break;
    case U_BSX: u.flags = F_CF | F_OF | F_SF | F_AF | F_PF; u.eax = (in->r[2] & (c->size == 8 ? ~0ull : 0xffffffffull)) == 0; break;
    case U_SHIFT:
        u.flags = (n ? F_AF : 0) | (n > 1 ? F_OF : 0) | (n >= (unsigned)c->size * 8 ? F_CF : 0);
        break;
    case U_SHIFT1: u.flags = F_AF; break;
    case U_SHIFTI: u.flags = F_AF | F_OF; break;     /* by an immediate > 1 */
    case U_ROT: u.flags = n > 1 ? F_OF : 0; break;
    case U_SHXD: u.flags = (n ? F_AF : 0) | (n > 1 ? F_OF : 0); break;
    default: break;
    }
    return u;
}

static bool accept64(const struct ncase64 *c, const struct nstate64 *in)
{
    uint64_t d = in->r[1];
    if (c->accept == A_DIV)
        return d && in->r[2] < d;                       /* RDX:RAX / RCX fits in 64 bits */
    if (c->accept == A_IDIV) {
        if (!d)
            return false;
        __int128 n = (__int128)(((unsigned __int128)in->r[2] << 64) | in->r[0]);
        __int128 q;
        if ((int64_t)d == -1)
            return n != (__int128)((unsigned __int128)1 << 127) && -n >= INT64_MIN && -n <= INT64_MAX;
        q = n / (int64_t)d;
        return q >= INT64_MIN && q <= INT64_MAX;
    }
    return true;
}

#define C64(nm, sz, u, acc, cnt, ...) { nm, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), sz, u, acc, cnt }

static const struct ncase64 cases64[] = {
    C64("add64", 8, U_NONE, A_ALL, false, 0x48, 0x01, 0xd0), C64("or64", 8, U_LOGIC, A_ALL, false, 0x48, 0x09, 0xd0),
    C64("adc64", 8, U_NONE, A_ALL, false, 0x48, 0x11, 0xd0), C64("sbb64", 8, U_NONE, A_ALL, false, 0x48, 0x19, 0xd0),
    C64("and64", 8, U_LOGIC, A_ALL, false, 0x48, 0x21, 0xd0), C64("sub64", 8, U_NONE, A_ALL, false, 0x48, 0x29, 0xd0),
    C64("xor64", 8, U_LOGIC, A_ALL, false, 0x48, 0x31, 0xd0), C64("cmp64", 8, U_NONE, A_ALL, false, 0x48, 0x39, 0xd0),
    C64("test64", 8, U_LOGIC, A_ALL, false, 0x48, 0x85, 0xd0),
    C64("add_rax_r8", 8, U_NONE, A_ALL, false, 0x4c, 0x01, 0xc0),
    C64("sub_r8_imm8", 8, U_NONE, A_ALL, false, 0x49, 0x83, 0xe8, 0x85),
    C64("add_imm32", 8, U_NONE, A_ALL, false, 0x48, 0x05, 0x78, 0x56, 0x34, 0x92),
    C64("and_imm32", 8, U_LOGIC, A_ALL, false, 0x48, 0x25, 0x78, 0x56, 0x34, 0x92),
    C64("inc64", 8, U_NONE, A_ALL, false, 0x48, 0xff, 0xc0), C64("dec64", 8, U_NONE, A_ALL, false, 0x48, 0xff, 0xc8),
    C64("neg64", 8, U_NONE, A_ALL, false, 0x48, 0xf7, 0xd8), C64("not64", 8, U_NONE, A_ALL, false, 0x48, 0xf7, 0xd0),
    C64("rol64", 8, U_ROT, A_ALL, true, 0x48, 0xd3, 0xc0), C64("ror64", 8, U_ROT, A_ALL, true, 0x48, 0xd3, 0xc8),
    C64("rcl64", 8, U_ROT, A_ALL, true, 0x48, 0xd3, 0xd0), C64("rcr64", 8, U_ROT, A_ALL, true, 0x48, 0xd3, 0xd8),
    C64("shl64", 8, U_SHIFT, A_ALL, true, 0x48, 0xd3, 0xe0), C64("shr64", 8, U_SHIFT, A_ALL, true, 0x48, 0xd3, 0xe8),
    C64("sar64", 8, U_SHIFT, A_ALL, true, 0x48, 0xd3, 0xf8), C64("shl1_64", 8, U_SHIFT1, A_ALL, false, 0x48, 0xd1, 0xe0),
    C64("shr_imm63", 8, U_SHIFTI, A_ALL, false, 0x48, 0xc1, 0xe8, 0x3f),
    C64("shld64", 8, U_SHXD, A_ALL, true, 0x48, 0x0f, 0xa5, 0xd0), C64("shrd64", 8, U_SHXD, A_ALL, true, 0x48, 0x0f, 0xad, 0xd0),
    C64("mul64", 8, U_MUL, A_ALL, false, 0x48, 0xf7, 0xe2), C64("imul64", 8, U_MUL, A_ALL, false, 0x48, 0xf7, 0xea),
    C64("imul_r64", 8, U_MUL, A_ALL, false, 0x48, 0x0f, 0xaf, 0xc2),
    C64("imul_imm8", 8, U_MUL, A_ALL, false, 0x48, 0x6b, 0xc2, 0x9c),
    C64("imul_imm32", 8, U_MUL, A_ALL, false, 0x48, 0x69, 0xc2, 0x78, 0x56, 0x34, 0x92),
    C64("div64", 8, U_DIV, A_DIV, false, 0x48, 0xf7, 0xf1), C64("idiv64", 8, U_DIV, A_IDIV, false, 0x48, 0xf7, 0xf9),
    C64("bt64", 8, U_BT, A_ALL, false, 0x48, 0x0f, 0xa3, 0xd0), C64("bts64", 8, U_BT, A_ALL, false, 0x48, 0x0f, 0xab, 0xd0),
    C64("btr64", 8, U_BT, A_ALL, false, 0x48, 0x0f, 0xb3, 0xd0), C64("btc64", 8, U_BT, A_ALL, false, 0x48, 0x0f, 0xbb, 0xd0),
    C64("bts_imm59", 8, U_BT, A_ALL, false, 0x48, 0x0f, 0xba, 0xe8, 0x3b),
    C64("bsf64", 8, U_BSX, A_ALL, false, 0x48, 0x0f, 0xbc, 0xc2), C64("bsr64", 8, U_BSX, A_ALL, false, 0x48, 0x0f, 0xbd, 0xc2),
    C64("bswap64", 8, U_NONE, A_ALL, false, 0x48, 0x0f, 0xc8), C64("bswap_r8", 8, U_NONE, A_ALL, false, 0x49, 0x0f, 0xc8),
    C64("xadd64", 8, U_NONE, A_ALL, false, 0x48, 0x0f, 0xc1, 0xd0),
    C64("cmpxchg64", 8, U_NONE, A_ALL, false, 0x48, 0x0f, 0xb1, 0xd1),
    C64("cdqe", 8, U_NONE, A_ALL, false, 0x48, 0x98), C64("cqo", 8, U_NONE, A_ALL, false, 0x48, 0x99),
    C64("movsxd", 8, U_NONE, A_ALL, false, 0x48, 0x63, 0xc2), C64("movzx_r64", 8, U_NONE, A_ALL, false, 0x48, 0x0f, 0xb6, 0xc2),
    C64("movsx_bl", 4, U_NONE, A_ALL, false, 0x40, 0x0f, 0xbe, 0xc3),
    C64("cmova64", 8, U_NONE, A_ALL, false, 0x48, 0x0f, 0x47, 0xc2),
    C64("lea_sib_r8", 8, U_NONE, A_ALL, false, 0x4a, 0x8d, 0x04, 0x42),
    C64("xchg_r8_rax", 8, U_NONE, A_ALL, false, 0x49, 0x90),
    /* 32- and 8-bit forms in 64-bit mode: zero-extension, REX byte registers */
    C64("add32", 4, U_NONE, A_ALL, false, 0x01, 0xd0), C64("shl32", 4, U_SHIFT, A_ALL, true, 0xd3, 0xe0),
    C64("cmova32", 4, U_NONE, A_ALL, false, 0x0f, 0x47, 0xc2), C64("imul32", 4, U_MUL, A_ALL, false, 0xf7, 0xea),
    C64("add_r8b_al", 1, U_NONE, A_ALL, false, 0x41, 0x00, 0xc0), C64("add_al_r8b", 1, U_NONE, A_ALL, false, 0x44, 0x00, 0xc0),
    C64("sub16", 2, U_NONE, A_ALL, false, 0x66, 0x29, 0xd0),
    C64("cmp64;setl", 8, U_NONE, A_ALL, false, 0x48, 0x39, 0xd0, 0x0f, 0x9c, 0xc1),
    C64("cmp64;setbe", 8, U_NONE, A_ALL, false, 0x48, 0x39, 0xd0, 0x0f, 0x96, 0xc1),
    C64("sub64;setg", 8, U_NONE, A_ALL, false, 0x48, 0x29, 0xd0, 0x0f, 0x9f, 0xc1),
};

Test(cpu_native, differential_64bit, .timeout = 300)
{
    struct host_stub h;
    h.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h.page == MAP_FAILED)
        cr_skip("cannot map executable memory on this host");
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    support_cpu_flat64(m);
    struct cpu *cpu = m->cpu;
    uint64_t total = 0;
    for (size_t ci = 0; ci < sizeof(cases64) / sizeof(cases64[0]); ci++) {
        const struct ncase64 *c = &cases64[ci];
        stub_fn run = make_stub64(&h, c->bytes, c->len);
        for (int it = 0; it < ITERATIONS; it++) {
            struct nstate64 in;
            for (int i = 0; i < 5; i++)
                in.r[i] = operand64();
            in.flags = 0x202 | (rnd() & ARITH);
            if (c->count)
                in.r[1] = (in.r[1] & ~0xffull) | (rnd() & 0x7f);
            if (!accept64(c, &in))
                continue;
            struct nstate64 hw = in, sw = in;
            ((void (*)(struct nstate64 *))(void *)run)(&hw);
            int exc = -1;
            bool ok = soft_run64(cpu, c->bytes, c->len, &sw, &exc);
            cr_assert(ok, "%s: softvm raised exception %d for rax=%016llx rcx=%016llx rdx=%016llx", c->name, exc,
                      (unsigned long long)in.r[0], (unsigned long long)in.r[1], (unsigned long long)in.r[2]);
            struct undef u = undef64(c, &in);
            uint32_t fmask = ARITH & ~u.flags;
            bool same = ((hw.flags ^ sw.flags) & fmask) == 0 && (u.eax || hw.r[0] == sw.r[0]);
            for (int i = 1; i < 5; i++)
                same = same && hw.r[i] == sw.r[i];
            if (!same)
                cr_assert_fail("%s: in rax=%016llx rcx=%016llx rdx=%016llx rbx=%016llx r8=%016llx fl=%03x\n"
                               "  host rax=%016llx rcx=%016llx rdx=%016llx rbx=%016llx r8=%016llx fl=%03x\n"
                               "  soft rax=%016llx rcx=%016llx rdx=%016llx rbx=%016llx r8=%016llx fl=%03x",
                               c->name, (unsigned long long)in.r[0], (unsigned long long)in.r[1],
                               (unsigned long long)in.r[2], (unsigned long long)in.r[3], (unsigned long long)in.r[4],
                               (unsigned)in.flags & ARITH, (unsigned long long)hw.r[0], (unsigned long long)hw.r[1],
                               (unsigned long long)hw.r[2], (unsigned long long)hw.r[3], (unsigned long long)hw.r[4],
                               (unsigned)hw.flags & ARITH, (unsigned long long)sw.r[0], (unsigned long long)sw.r[1],
                               (unsigned long long)sw.r[2], (unsigned long long)sw.r[3], (unsigned long long)sw.r[4],
                               (unsigned)sw.flags & ARITH);
            total++;
        }
    }
    printf("native differential (64-bit mode): %llu cases over %zu instruction forms agree\n",
           (unsigned long long)total, sizeof(cases64) / sizeof(cases64[0]));
    cr_assert_gt(total, 1000000);
    support_cpu_destroy(m);
    munmap(h.page, 4096);
}
