/*
 * fpu_harness.h - differential testing of x87/MMX/SSE instructions: run one
 * instruction natively on the host CPU and in softvm (through cpu_exec on
 * the CPU-only machine of support_cpu.h) from the same register and memory
 * state, and compare the resulting FXSAVE image, GPRs, EFLAGS and memory.
 *
 * Native side: tests/asm/fpu_native.asm (x86-64) is loaded into a page of
 * this test process; the instruction bytes are copied to offset 0x800 of it
 * followed by RET. Both sides address the memory operand through [ebx]
 * (natively [rbx]: same encoding) and (E)DI points 32 bytes into it.
 * Guest side: "<insn>; hlt" at CODE in flat 32-bit protected mode with
 * CR0.NE and CR4.OSFXSR/OSXMMEXCPT set; the state is loaded before and
 * saved after with fpu_fxrstor/fpu_fxsave (the FXSAVE format checks of
 * test_fpu_state.c pin those down).
 */
#ifndef SOFTVM_TESTS_FPU_HARNESS_H
#define SOFTVM_TESTS_FPU_HARNESS_H

#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "memory/memory.h"
#include "tests/unit/support_cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"
#include "translator/tb.h"

#define FH_MEM_SIZE 512
#define FH_GUEST_MEM  0x2000u
#define FH_GUEST_IN   0x3000u
#define FH_GUEST_OUT  0x3400u
#define FH_GUEST_CODE 0x1000u

struct native_ctx {
    uint8_t fx_in[512];
    uint8_t fx_out[512];
    uint64_t mem;
    uint32_t gpr_in[8];
    uint32_t gpr_out[8];
    uint64_t eflags_in, eflags_out;
    uint32_t scratch;
} __attribute__((aligned(16)));
_Static_assert(offsetof(struct native_ctx, mem) == 1024, "layout");
_Static_assert(offsetof(struct native_ctx, gpr_in) == 1032, "layout");
_Static_assert(offsetof(struct native_ctx, gpr_out) == 1064, "layout");
_Static_assert(offsetof(struct native_ctx, eflags_in) == 1096, "layout");
_Static_assert(offsetof(struct native_ctx, scratch) == 1112, "layout");

/* One test case: an instruction and the state it starts from. */
struct fh_case {
    uint8_t code[16];
    int code_len;
    uint8_t fx[512] __attribute__((aligned(16)));
    uint8_t mem[FH_MEM_SIZE];
    uint32_t gpr[8];        /* EAX ECX EDX - - EBP ESI -: EBX/ESP/EDI are fixed */
    uint32_t eflags;        /* arithmetic flags only */
};

struct fh_result {
    uint8_t fx[512];
    uint8_t mem[FH_MEM_SIZE];
    uint32_t gpr[8];
    uint32_t eflags;
    int vector;             /* -1, or the exception raised (#XM natively = SIGFPE) */
};

/* Native SIMD exceptions: SIGFPE's handler keeps the FXSAVE image of the
 * moment of the fault (the signal frame's fpstate starts with it) and
 * jumps back out of the trampoline. */
static __thread sigjmp_buf fh_fpe_jmp;
static __thread uint8_t fh_fpe_fx[512];

static inline void fh_fpe_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    memcpy(fh_fpe_fx, uc->uc_mcontext.fpregs, 512);
    siglongjmp(fh_fpe_jmp, 1);
}

struct fh {
    uint8_t *page;          /* native trampoline page */
    struct support_cpu *m;
    uint64_t rng;
    bool direct;            /* decode and call x87_execute/simd_execute
                               directly instead of going through cpu_exec */
};

/*
 * Execute one instruction of code[] at FH_GUEST_CODE by decoding it and
 * calling the FPU/SIMD entry point the opcode table names, catching a
 * raised exception. Returns -1 if it completed, else the vector.
 */
static inline int fh_exec_direct(struct cpu *cpu, const uint8_t *code, int len)
{
    struct insn in;
    int n = decode_insn(code, (unsigned)len, DECODE_CODE32 | DECODE_PM, &in);
    cr_assert(n > 0, "decode failed");
    in.rip = cpu->rip;
    if (setjmp(cpu->exc_jmp) != 0)
        return cpu->exc_vector;
    if (in.desc && (in.desc->form & OPF_SIMD))
        simd_execute(cpu, &in);
    else
        x87_execute(cpu, &in);
    cpu->rip += (uint32_t)n;
    return -1;
}

static inline uint64_t fh_rand(struct fh *h)
{
    uint64_t x = h->rng;            /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    h->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static inline void fh_init(struct fh *h, uint64_t seed)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fpu_native.bin", SOFTVM_ASM_DIR);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "missing %s", path);
    h->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(h->page != MAP_FAILED);
    size_t n = fread(h->page, 1, 0x800, f);
    fclose(f);
    cr_assert(n > 0 && n < 0x800);
    h->m = support_cpu_create(1 << 20);
    cr_assert(h->m);
    support_cpu_flat32(h->m);
    /* SOFTVM_FPU_SEED varies the random cases (exploration); default fixed. */
    const char *env = getenv("SOFTVM_FPU_SEED");
    if (env)
        seed ^= strtoull(env, NULL, 0) * 0x9e3779b97f4a7c15ull;
    h->rng = seed ? seed : 1;
    h->direct = false;
}

static inline void fh_fini(struct fh *h)
{
    munmap(h->page, 4096);
    support_cpu_destroy(h->m);
}

static inline void fh_run_native(struct fh *h, const struct fh_case *c, struct fh_result *r)
{
    static __thread struct native_ctx ctx;
    static __thread uint8_t mem[FH_MEM_SIZE] __attribute__((aligned(16)));
    cr_assert(mprotect(h->page, 4096, PROT_READ | PROT_WRITE) == 0);
    memcpy(h->page + 0x800, c->code, c->code_len);
    h->page[0x800 + c->code_len] = 0xc3;                /* ret */
    cr_assert(mprotect(h->page, 4096, PROT_READ | PROT_EXEC) == 0);
    memset(&ctx, 0, sizeof ctx);
    memcpy(ctx.fx_in, c->fx, 512);
    memcpy(mem, c->mem, FH_MEM_SIZE);
    ctx.mem = (uint64_t)(uintptr_t)mem;
    memcpy(ctx.gpr_in, c->gpr, sizeof c->gpr);
    ctx.eflags_in = 0x2 | (c->eflags & EFLAGS_ARITH);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fh_fpe_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    cr_assert(sigaction(SIGFPE, &sa, &old) == 0);
    r->vector = -1;
    if (sigsetjmp(fh_fpe_jmp, 1) == 0) {
        ((void (*)(struct native_ctx *))(void *)h->page)(&ctx);
        memcpy(r->fx, ctx.fx_out, 512);
    } else {
        r->vector = EXC_XM;
        memcpy(r->fx, fh_fpe_fx, 512);
        __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"((uint32_t){ 0x1f80 }));
    }
    sigaction(SIGFPE, &old, NULL);
    memcpy(r->mem, mem, FH_MEM_SIZE);
    memcpy(r->gpr, ctx.gpr_out, sizeof r->gpr);
    r->eflags = (uint32_t)ctx.eflags_out & EFLAGS_ARITH;
}

/* Returns the cpu_exec exit reason; on HLT r holds the guest's result. */
static inline enum cpu_exit fh_run_guest(struct fh *h, const struct fh_case *c, struct fh_result *r)
{
    struct cpu *cpu = h->m->cpu;
    uint8_t code[40];
    int n = 0;
    memcpy(code + n, c->code, c->code_len); n += c->code_len;
    code[n++] = 0xf4;                                       /* hlt */
    support_cpu_load(h->m, FH_GUEST_CODE, code, n);
    support_cpu_load(h->m, FH_GUEST_IN, c->fx, 512);
    support_cpu_load(h->m, FH_GUEST_MEM, c->mem, FH_MEM_SIZE);
    tb_flush_all(cpu);
    for (int i = 0; i < 8; i++)
        cpu->regs[i] = c->gpr[i];
    cpu->regs[R_EBX] = FH_GUEST_MEM;
    cpu->regs[R_EDI] = FH_GUEST_MEM + 32;
    cpu->regs[R_ESP] = 0x80000;
    cpu->cr0 = (cpu->cr0 | CR0_NE | CR0_PE | CR0_ET) & ~(CR0_EM | CR0_TS | CR0_MP);
    cpu->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu_set_eflags(cpu, 0x2 | (c->eflags & EFLAGS_ARITH));
    cpu->rip = FH_GUEST_CODE;
    cpu->halted = false;
    /* The state goes in and out through this FPU's own FXRSTOR/FXSAVE. */
    fpu_fxrstor(cpu, SEG_DS, FH_GUEST_IN, false);
    enum cpu_exit e;
    r->vector = -1;
    if (h->direct) {
        int v = fh_exec_direct(cpu, c->code, c->code_len);
        e = v < 0 ? CPU_EXIT_HALT : CPU_EXIT_SHUTDOWN;
        if (v >= 0) {
            r->vector = v;
            fpu_fxsave(cpu, SEG_DS, FH_GUEST_OUT, false);
            dma_read(h->m->mem, FH_GUEST_OUT, r->fx, 512);
        }
    } else {
        e = cpu_exec(cpu, 2);
        if (e == CPU_EXIT_BUDGET)
            e = cpu_exec(cpu, 1);   /* the HLT */
    }
    if (e == CPU_EXIT_HALT)
        fpu_fxsave(cpu, SEG_DS, FH_GUEST_OUT, false);
    dma_read(h->m->mem, FH_GUEST_OUT, r->fx, 512);
    dma_read(h->m->mem, FH_GUEST_MEM, r->mem, FH_MEM_SIZE);
    for (int i = 0; i < 8; i++)
        r->gpr[i] = cpu_reg32(cpu, i);
    r->eflags = cpu_get_eflags(cpu) & EFLAGS_ARITH;
    return e;
}

static inline void fh_hex(char *out, size_t cap, const uint8_t *b, int n)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < n && k + 4 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02x ", b[i]);
}

/* Which FXSAVE bytes are compared: FCW, FSW, FTW, MXCSR, ST0-7, XMM0-7.
 * FOP/FIP/FDP (6-23) differ by design (host addresses, FOP deprecation)
 * and MXCSR_MASK is the host's. */
static inline bool fh_fx_compared(int i)
{
    return i < 6 || (i >= 24 && i < 28) || (i >= 32 && i < 288);
}

/* Compare; on a mismatch report the instruction and the first difference.
 * skip_mem_lo/hi: a memory range not compared (FNSTENV pointer fields). */
static inline int fh_compare(const struct fh_case *c, const struct fh_result *a,
                             const struct fh_result *b, int skip_lo, int skip_hi)
{
    char ins[64];
    fh_hex(ins, sizeof ins, c->code, c->code_len);
    for (int i = 0; i < 512; i++)
        if (fh_fx_compared(i) && a->fx[i] != b->fx[i]) {
            char in[200], na[200], gu[200];
            int base = i < 32 ? 0 : (i - 32) / 16 * 16 + 32;
            fh_hex(in, sizeof in, c->fx + base, 16);
            fh_hex(na, sizeof na, a->fx + base, 16);
            fh_hex(gu, sizeof gu, b->fx + base, 16);
            cr_log_error("insn %s: fxsave byte %d differs\n  in:     %s\n  native: %s\n  guest:  %s",
                         ins, i, in, na, gu);
            return 1;
        }
    for (int i = 0; i < FH_MEM_SIZE; i++)
        if ((i < skip_lo || i >= skip_hi) && a->mem[i] != b->mem[i]) {
            char na[200], gu[200];
            fh_hex(na, sizeof na, a->mem + (i & ~15), 16);
            fh_hex(gu, sizeof gu, b->mem + (i & ~15), 16);
            cr_log_error("insn %s: memory byte %d differs\n  native: %s\n  guest:  %s", ins, i, na, gu);
            return 1;
        }
    static const int gprs[] = { R_EAX, R_ECX, R_EDX, R_EBP, R_ESI };
    for (unsigned k = 0; k < sizeof gprs / sizeof gprs[0]; k++)
        if (a->gpr[gprs[k]] != b->gpr[gprs[k]]) {
            cr_log_error("insn %s: GPR %d native %08x guest %08x", ins, gprs[k],
                         a->gpr[gprs[k]], b->gpr[gprs[k]]);
            return 1;
        }
    if (a->eflags != b->eflags) {
        cr_log_error("insn %s: EFLAGS native %03x guest %03x", ins, a->eflags, b->eflags);
        return 1;
    }
    return 0;
}

/* ---- random operands ---------------------------------------------------------- */

/* An 80-bit value from a spread of classes: zeros, denormals, normals
 * (near 1.0 and anywhere), infinities, QNaNs, SNaNs, integers, and rarely
 * the unsupported encodings (unnormals, pseudo-denormals). */
static inline void fh_rand_f80(struct fh *h, uint8_t *out)
{
    uint64_t r = fh_rand(h), mant = fh_rand(h);
    uint16_t sign = (r & 1) ? 0x8000 : 0, exp;
    switch ((r >> 1) % 16) {
    case 0: exp = 0; mant = 0; break;
    case 1: exp = 0; mant >>= 1 + (r >> 8) % 63; break;                 /* denormal */
    case 2: exp = 0x7fff; mant = 1ull << 63; break;                       /* inf */
    case 3: exp = 0x7fff; mant |= 3ull << 62; break;                      /* QNaN */
    case 4: exp = 0x7fff; mant = (mant & ~(1ull << 62)) | (1ull << 63);  /* SNaN */
        if (mant == 1ull << 63) mant |= 1;
        break;
    case 5: {                                                             /* integer */
        int64_t v = (int64_t)(fh_rand(h) >> (1 + (r >> 8) % 63));
        int e = 63 - __builtin_clzll((uint64_t)v | 1);
        mant = v ? (uint64_t)v << (63 - e) : 0;
        exp = v ? (uint16_t)(0x3fff + e) : 0;
        break;
    }
    case 6: exp = (uint16_t)(1 + (r >> 8) % 0x7ffe); mant |= 1ull << 63; break;
    case 7: exp = (uint16_t)((r >> 8) % 64 == 0 ? 1 + (r >> 16) % 0x7ffe : 0x3fff); /* rare unnormal */
        mant &= ~(1ull << 63);
        if ((r >> 8) % 64 != 0) mant |= 1ull << 63;
        break;
    case 8: exp = (uint16_t)(0x3fff + 64 - (r >> 8) % 160); mant |= 1ull << 63;   /* big for trig */
        break;
    default: exp = (uint16_t)(0x3fff - 40 + (r >> 8) % 80); mant |= 1ull << 63; break;
    }
    memcpy(out, &mant, 8);
    exp |= sign;
    memcpy(out + 8, &exp, 2);
}

static inline uint32_t fh_rand_f32(struct fh *h)
{
    uint64_t r = fh_rand(h);
    uint32_t sign = (r & 1) << 31, m = (uint32_t)(r >> 32) & 0x7fffff;
    switch ((r >> 1) % 10) {
    case 0: return sign;
    case 1: return sign | (m ? m : 1);                                    /* denormal */
    case 2: return sign | 0x7f800000u;
    case 3: return sign | 0x7fc00000u | m;                                /* QNaN */
    case 4: return sign | 0x7f800000u | (m & 0x3fffff ? m & 0x3fffff : 1);/* SNaN */
    case 5: return sign | ((uint32_t)(1 + (r >> 8) % 254) << 23) | m;
    default: return sign | ((uint32_t)(127 - 20 + (r >> 8) % 40) << 23) | m;
    }
}

static inline uint64_t fh_rand_f64(struct fh *h)
{
    uint64_t r = fh_rand(h), m = fh_rand(h) & ((1ull << 52) - 1);
    uint64_t sign = (r & 1) << 63;
    switch ((r >> 1) % 10) {
    case 0: return sign;
    case 1: return sign | (m ? m : 1);
    case 2: return sign | 0x7ff0000000000000ull;
    case 3: return sign | 0x7ff8000000000000ull | m;
    case 4: { uint64_t q = m & ((1ull << 51) - 1); return sign | 0x7ff0000000000000ull | (q ? q : 1); }
    case 5: return sign | ((uint64_t)(1 + (r >> 8) % 2046) << 52) | m;
    default: return sign | ((uint64_t)(1023 - 30 + (r >> 8) % 60) << 52) | m;
    }
}

/* A random but loadable FXSAVE image: x87 registers and XMM from the value
 * classes above, random rounding/precision, FCW masks mostly all set,
 * MXCSR with every exception masked (so native runs never trap), no
 * pending x87 exception (flags only where masked). */
static inline void fh_rand_fx2(struct fh *h, uint8_t *fx, bool x87_unmasked_ok, bool sse_unmasked);
static inline void fh_rand_fx(struct fh *h, uint8_t *fx, bool x87_unmasked_ok)
{
    fh_rand_fx2(h, fx, x87_unmasked_ok, false);
}

static inline void fh_rand_fx2(struct fh *h, uint8_t *fx, bool x87_unmasked_ok, bool sse_unmasked)
{
    memset(fx, 0, 512);
    uint64_t r = fh_rand(h);
    uint16_t masks = (x87_unmasked_ok && r % 5 == 0) ? (uint16_t)((r >> 8) & 0x3f) : 0x3f;
    static const uint16_t pcs[3] = { 0, 2, 3 };
    uint16_t fcw = (uint16_t)(masks | 0x40 | (pcs[(r >> 16) % 3] << 8) | (((r >> 20) & 3) << 10));
    uint16_t fsw = (uint16_t)(((r >> 24) & 7) << 11);
    fsw |= (uint16_t)(r >> 32) & (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3);
    fsw |= (uint16_t)((r >> 40) & masks & 0x3f);
    uint8_t ftw = (r >> 48) % 4 == 0 ? (uint8_t)(r >> 52) : 0xff;
    memcpy(fx + 0, &fcw, 2);
    memcpy(fx + 2, &fsw, 2);
    fx[4] = ftw;
    for (int i = 0; i < 8; i++)
        fh_rand_f80(h, fx + 32 + 16 * i);
    uint32_t mxcsr = (uint32_t)(0x1f80 | ((fh_rand(h) & 3) << 13) | (fh_rand(h) & 1 ? 0x8000 : 0) |
                                (fh_rand(h) & 1 ? 0x40 : 0) | (fh_rand(h) & 0x3f));
    if (sse_unmasked)
        mxcsr &= ~(uint32_t)((fh_rand(h) & 0x3f) << 7);
    memcpy(fx + 24, &mxcsr, 4);
    for (int i = 0; i < 8; i++) {
        uint8_t *x = fx + 160 + 16 * i;
        switch (fh_rand(h) % 3) {
        case 0:
            for (int k = 0; k < 4; k++) { uint32_t v = fh_rand_f32(h); memcpy(x + 4 * k, &v, 4); }
            break;
        case 1:
            for (int k = 0; k < 2; k++) { uint64_t v = fh_rand_f64(h); memcpy(x + 8 * k, &v, 8); }
            break;
        default:
            for (int k = 0; k < 2; k++) { uint64_t v = fh_rand(h); memcpy(x + 8 * k, &v, 8); }
            break;
        }
    }
}

static inline void fh_rand_gprs(struct fh *h, struct fh_case *c)
{
    for (int i = 0; i < 8; i++) {
        uint64_t r = fh_rand(h);
        c->gpr[i] = (r & 3) == 0 ? (uint32_t)(r >> 40) % 70 - 35 : (uint32_t)(r >> 16);
    }
    c->eflags = (uint32_t)fh_rand(h) & EFLAGS_ARITH;
}

#endif
