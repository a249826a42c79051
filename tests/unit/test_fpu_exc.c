/*
 * test_fpu_exc.c - the exception rules of the x87/MMX/SSE units:
 * #NM from CR0.TS/EM (and FWAIT's MP+TS rule), #UD for SSE without
 * CR4.OSFXSR or with CR0.EM, the deferred #MF of an unmasked x87
 * exception (and FERR# instead when CR0.NE = 0), #XM vs #UD by
 * CR4.OSXMMEXCPT, #GP for reserved MXCSR bits and misaligned operands,
 * and the MMX <-> x87 aliasing (TOP, tags, exponent, EMMS).
 * Instructions are decoded and run one at a time (fh_exec_direct).
 */
#include "tests/unit/fpu_harness.h"

static struct support_cpu *make(void)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    support_cpu_flat32(m);
    struct cpu *cpu = m->cpu;
    cpu->cr0 = (cpu->cr0 | CR0_NE | CR0_ET | CR0_MP) & ~(CR0_EM | CR0_TS);
    cpu->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu->regs[R_EBX] = 0x2000;
    fpu_reset(&cpu->priv.fpu);
    fpu_finit(cpu);
    return m;
}

#define RUN(m, ...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; \
                       fh_exec_direct((m)->cpu, b_, (int)sizeof b_); })

static struct f80_bytes { uint8_t b[10]; } st(struct cpu *cpu, int i)
{
    struct f80_bytes r;
    struct fpu_state *f = &cpu->priv.fpu;
    memcpy(r.b, f->st[(fpu_top(f) + i) & 7], 10);
    return r;
}

static const uint8_t ONE[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };

Test(fpu_exc, x87_device_not_available)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    cpu->cr0 |= CR0_TS;
    cr_assert_eq(RUN(m, 0xd9, 0xe8), EXC_NM);           /* fld1 */
    cpu->cr0 = (cpu->cr0 & ~CR0_TS) | CR0_EM;
    cr_assert_eq(RUN(m, 0xd9, 0xe8), EXC_NM);
    cr_assert_eq(RUN(m, 0xdb, 0xe3), EXC_NM);           /* even fninit */
    cpu->cr0 &= ~CR0_EM;
    cr_assert_eq(RUN(m, 0xd9, 0xe8), -1);
    cr_assert_eq(memcmp(st(cpu, 0).b, ONE, 10), 0);
    support_cpu_destroy(m);
}

Test(fpu_exc, fwait_needs_mp_and_ts)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    cpu->cr0 = (cpu->cr0 & ~CR0_MP) | CR0_TS;
    cr_assert_eq(RUN(m, 0x9b), -1);                     /* TS alone: no #NM */
    cpu->cr0 |= CR0_MP;
    cr_assert_eq(RUN(m, 0x9b), EXC_NM);
    cpu->cr0 = (cpu->cr0 & ~(CR0_TS | CR0_MP)) | CR0_EM;
    cr_assert_eq(RUN(m, 0x9b), -1);                     /* EM does not matter */
    support_cpu_destroy(m);
}

Test(fpu_exc, sse_and_mmx_availability)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    cr_assert_eq(RUN(m, 0x0f, 0x58, 0xc1), -1);         /* addps xmm0, xmm1 */
    cpu->cr0 |= CR0_EM;
    cr_assert_eq(RUN(m, 0x0f, 0x58, 0xc1), EXC_UD);
    cr_assert_eq(RUN(m, 0x0f, 0xfc, 0xc1), EXC_UD);     /* paddb mm0, mm1 */
    cpu->cr0 = (cpu->cr0 & ~CR0_EM) | CR0_TS;
    cr_assert_eq(RUN(m, 0x0f, 0x58, 0xc1), EXC_NM);
    cr_assert_eq(RUN(m, 0x0f, 0xfc, 0xc1), EXC_NM);
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x03), EXC_NM);     /* fxsave [ebx] */
    cpu->cr0 &= ~CR0_TS;
    cpu->cr4 &= ~CR4_OSFXSR;
    cr_assert_eq(RUN(m, 0x0f, 0x58, 0xc1), EXC_UD);
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x13), EXC_UD);     /* ldmxcsr [ebx] */
    cr_assert_eq(RUN(m, 0x0f, 0xfc, 0xc1), -1);         /* MMX does not need OSFXSR */
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x03), -1);         /* nor does FXSAVE */
    support_cpu_destroy(m);
}

/* 1/0 with ZE unmasked: no result, ES/B set; #MF comes at the next
 * waiting instruction, not at FNSTSW; FNCLEX clears it. */
Test(fpu_exc, unmasked_exception_is_deferred_to_mf)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    struct fpu_state *f = &cpu->priv.fpu;
    f->fcw = 0x037b;                                    /* ZM = 0 */
    cr_assert_eq(RUN(m, 0xd9, 0xee), -1);               /* fldz */
    cr_assert_eq(RUN(m, 0xd9, 0xe8), -1);               /* fld1 */
    cr_assert_eq(RUN(m, 0xd8, 0xf1), -1);               /* fdiv st0, st1 */
    cr_assert_eq(memcmp(st(cpu, 0).b, ONE, 10), 0, "no result with #Z unmasked");
    cr_assert_eq(f->fsw & (FSW_ZE | FSW_ES | FSW_B), FSW_ZE | FSW_ES | FSW_B);
    cpu->regs[R_EAX] = 0xdead0000;
    cr_assert_eq(RUN(m, 0xdf, 0xe0), -1);               /* fnstsw ax: no-wait */
    cr_assert_eq(cpu->regs[R_EAX], 0xdead0000u | f->fsw);
    uint16_t fip = (uint16_t)f->fip;
    cr_assert_eq(RUN(m, 0xd9, 0xe8), EXC_MF);           /* next waiting insn */
    cr_assert_eq(RUN(m, 0x9b), EXC_MF);                 /* fwait too */
    cr_assert_eq(RUN(m, 0x0f, 0xfc, 0xc1), EXC_MF);     /* and MMX */
    cr_assert_eq((uint16_t)f->fip, fip, "FIP still names the faulting instruction");
    cr_assert_eq(RUN(m, 0xdb, 0xe2), -1);               /* fnclex */
    cr_assert_eq(f->fsw & (FSW_ZE | FSW_ES | FSW_B), 0);
    cr_assert_eq(RUN(m, 0xd9, 0xe8), -1);
    support_cpu_destroy(m);
}

struct ferr_log { int raised, lowered; };
static void ferr_hook(void *opaque, bool level)
{
    struct ferr_log *l = opaque;
    if (level) l->raised++; else l->lowered++;
}

Test(fpu_exc, ferr_instead_of_mf_without_ne)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    struct fpu_state *f = &cpu->priv.fpu;
    struct ferr_log log = { 0, 0 };
    f->ferr_hook = ferr_hook;
    f->ferr_opaque = &log;
    cpu->cr0 &= ~CR0_NE;
    f->fcw = 0x037e;                                    /* IM = 0 */
    cr_assert_eq(RUN(m, 0xd9, 0xe0), -1);               /* fchs of an empty reg: #IS */
    cr_assert(f->fsw & FSW_ES);
    cr_assert_eq(log.raised, 0, "FERR# waits for the next waiting instruction");
    cr_assert_eq(RUN(m, 0x9b), -1);                     /* fwait: FERR#, no #MF */
    cr_assert(f->ferr);
    cr_assert_eq(log.raised, 1);
    cr_assert_eq(RUN(m, 0x9b), -1);
    cr_assert_eq(log.raised, 1, "asserted once (a level)");
    fpu_clear_ferr(cpu);                                /* port 0xF0 write */
    cr_assert(!f->ferr);
    cr_assert_eq(log.lowered, 1);
    cr_assert_eq(RUN(m, 0xdb, 0xe2), -1);               /* fnclex */
    cr_assert_eq(RUN(m, 0x9b), -1);
    cr_assert_eq(log.raised, 1);
    support_cpu_destroy(m);
}

Test(fpu_exc, simd_fp_exception_xm_or_ud)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    struct fpu_state *f = &cpu->priv.fpu;
    static const float a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 0, 1, 1 };
    memcpy(f->xmm[0], a, 16);
    memcpy(f->xmm[1], b, 16);
    f->mxcsr = 0x1f80 & ~0x0200u;                       /* ZM = 0 */
    cr_assert_eq(RUN(m, 0x0f, 0x5e, 0xc1), EXC_XM);     /* divps xmm0, xmm1 */
    cr_assert_eq(memcmp(f->xmm[0], a, 16), 0, "no result on #XM");
    cr_assert_eq(f->mxcsr & 0x3f, 0x04, "ZE recorded");
    cpu->cr4 &= ~CR4_OSXMMEXCPT;
    cr_assert_eq(RUN(m, 0x0f, 0x5e, 0xc1), EXC_UD);
    f->mxcsr = 0x1f80;                                  /* masked: inf result, ZE sticky */
    cr_assert_eq(RUN(m, 0x0f, 0x5e, 0xc1), -1);
    float r[4];
    memcpy(r, f->xmm[0], 16);
    cr_assert(r[0] == 1 && __builtin_isinf(r[1]) && r[2] == 3 && r[3] == 4);
    cr_assert_eq(f->mxcsr, 0x1f84u);
    support_cpu_destroy(m);
}

Test(fpu_exc, mxcsr_reserved_bits_and_alignment)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    struct fpu_state *f = &cpu->priv.fpu;
    phys_write32(m->mem, 0x2000, 0x10000);
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x13), EXC_GP);     /* ldmxcsr [ebx] */
    cr_assert_eq(f->mxcsr, 0x1f80u);
    phys_write32(m->mem, 0x2000, 0x7f80 | 0x40 | 0x3);
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x13), -1);
    cr_assert_eq(f->mxcsr, 0x7fc3u);
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x1b), -1);         /* stmxcsr [ebx] */
    cr_assert_eq(phys_read32(m->mem, 0x2000), 0x7fc3u);

    /* FXRSTOR with a reserved MXCSR bit: #GP and nothing loaded. */
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x03), -1);         /* fxsave [ebx] */
    phys_write32(m->mem, 0x2000 + 24, 0x80000000u);
    phys_write16(m->mem, 0x2000, 0x0000);               /* FCW that would load */
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x0b), EXC_GP);     /* fxrstor [ebx] */
    cr_assert_eq(f->fcw, 0x037f);

    cpu->regs[R_EBX] = 0x2008;
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x03), EXC_GP);     /* misaligned fxsave */
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x0b), EXC_GP);
    cr_assert_eq(RUN(m, 0x0f, 0x28, 0x03), EXC_GP);     /* movaps xmm0, [ebx] */
    cr_assert_eq(RUN(m, 0x66, 0x0f, 0xfc, 0x03), EXC_GP);   /* paddb xmm0, [ebx] */
    cr_assert_eq(RUN(m, 0x0f, 0x10, 0x03), -1);         /* movups is fine */
    cr_assert_eq(RUN(m, 0xf3, 0x0f, 0x58, 0x03), -1);   /* so are scalar forms */
    support_cpu_destroy(m);
}

Test(fpu_exc, mmx_aliases_the_x87_stack)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    struct fpu_state *f = &cpu->priv.fpu;
    cr_assert_eq(RUN(m, 0xd9, 0xe8), -1);               /* fld1: TOP = 7 */
    cr_assert_eq(fpu_top(f), 7);
    phys_write64(m->mem, 0x2000, 0x1122334455667788ull);
    cr_assert_eq(RUN(m, 0x0f, 0x6f, 0x1b), -1);         /* movq mm3, [ebx] */
    cr_assert_eq(fpu_top(f), 0, "MMX sets TOP = 0");
    cr_assert_eq(f->ftw, 0, "and every tag valid");
    static const uint8_t want[10] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xff, 0xff };
    cr_assert_eq(memcmp(f->st[3], want, 10), 0, "MM3 is R3's significand, exponent all ones");
    cr_assert_eq(memcmp(f->st[7], ONE, 10), 0, "R7 still holds the 1.0");
    cr_assert_eq(RUN(m, 0x0f, 0x7e, 0xd8), -1);         /* movd eax, mm3 */
    cr_assert_eq(cpu->regs[R_EAX], 0x55667788u);
    cr_assert_eq(RUN(m, 0x0f, 0x77), -1);               /* emms */
    cr_assert_eq(f->ftw, 0xffff);
    cr_assert_eq(fpu_top(f), 0);
    support_cpu_destroy(m);
}

/* FCOMI family sets ZF/PF/CF (and clears OF/SF/AF) through cpu_set_eflags. */
Test(fpu_exc, fcomi_sets_eflags)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    cr_assert_eq(RUN(m, 0xd9, 0xe8), -1);               /* fld1 */
    cr_assert_eq(RUN(m, 0xd9, 0xee), -1);               /* fldz: st0 = 0, st1 = 1 */
    cpu_set_eflags(cpu, 0x2 | EFLAGS_OF | EFLAGS_SF | EFLAGS_AF | EFLAGS_ZF);
    cr_assert_eq(RUN(m, 0xdb, 0xf1), -1);               /* fcomi st0, st1: 0 < 1 */
    cr_assert_eq(cpu_get_eflags(cpu) & EFLAGS_ARITH, EFLAGS_CF);
    cr_assert_eq(RUN(m, 0xdf, 0xe9), -1);               /* fucomip st0, st1: pops */
    cr_assert_eq(RUN(m, 0xdb, 0xf0), -1);               /* fcomi st0, st0: equal */
    cr_assert_eq(cpu_get_eflags(cpu) & EFLAGS_ARITH, EFLAGS_ZF);
    support_cpu_destroy(m);
}

/* A fault on the memory operand leaves the FPU as it was: the instruction
 * restarts cleanly after the #GP/#PF is handled. */
Test(fpu_exc, faulting_operand_changes_nothing)
{
    struct support_cpu *m = make();
    struct cpu *cpu = m->cpu;
    struct fpu_state *f = &cpu->priv.fpu;
    cr_assert_eq(RUN(m, 0xd9, 0xe8), -1);               /* fld1 */
    struct fpu_state before = *f;
    cpu->seg[SEG_DS].limit = 0xfff;                     /* [ebx] = 0x2000 is past it */
    cr_assert_eq(RUN(m, 0x0f, 0xfc, 0x03), EXC_GP);     /* paddb mm0, [ebx] */
    cr_assert_eq(RUN(m, 0xdb, 0x3b), EXC_GP);           /* fstp tword [ebx] */
    cr_assert_eq(RUN(m, 0xdd, 0x33), EXC_GP);           /* fnsave [ebx] */
    cr_assert_eq(RUN(m, 0xd9, 0x03), EXC_GP);           /* fld dword [ebx] */
    cr_assert_eq(f->fsw, before.fsw, "TOP and flags unchanged");
    cr_assert_eq(f->ftw, before.ftw, "no MMX transition, no pop, no FNINIT");
    cr_assert_eq(f->fcw, before.fcw);
    support_cpu_destroy(m);
}

/* Through cpu_exec and the real-mode IVT: the #NM of CR0.TS is restartable
 * after CLTS (Linux's lazy FPU switch), and an unmasked #Z is delivered as
 * #MF at the next FWAIT with the FWAIT's address pushed. */
Test(fpu_exc, lazy_switch_and_mf_through_the_interpreter)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fpu_lazy.bin", SOFTVM_ASM_DIR);
    FILE *fp = fopen(path, "rb");
    cr_assert(fp, "missing %s", path);
    uint8_t buf[1024];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    support_cpu_load(m, 0x1000, buf, n);
    m->cpu->rip = 0x1000;
    cr_assert_eq(support_cpu_run(m, 10000), CPU_EXIT_HALT);
    cr_assert_eq(phys_read16(m->mem, 0x500), 1, "one #NM");
    cr_assert_eq(phys_read16(m->mem, 0x502), 1, "one #MF");
    cr_assert_eq(phys_read16(m->mem, 0x504), phys_read16(m->mem, 0x506), "#MF points at the FWAIT");
    uint16_t fsw = phys_read16(m->mem, 0x508);
    cr_assert_eq(fsw & (FSW_ZE | FSW_ES), FSW_ZE | FSW_ES);
    cr_assert_eq(phys_read32(m->mem, 0x50a), 0x3f800000u, "1.0 left undivided");
    cr_assert_eq(m->cpu->cr0 & CR0_TS, 0);
    support_cpu_destroy(m);
}
