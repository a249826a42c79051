/*
 * test_fpu_state.c - byte-exact layouts of the x87 environment and save
 * areas (SDM Vol. 1 figures 8-9 to 8-12, Vol. 2A FXSAVE legacy layout):
 * FNSTENV/FNSAVE in the 32- and 16-bit protected- and real-mode formats,
 * FRSTOR/FLDENV round trips, FSTENV's masking, FNSAVE's reinitialisation,
 * and the legacy FXSAVE image. Expected bytes are written out by hand.
 */
#include "tests/unit/fpu_harness.h"

#define RUN(m, ...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; \
                       fh_exec_direct((m)->cpu, b_, (int)sizeof b_); })

/*
 * A known state: FCW 0x037F, FSW 0x2101 (TOP 4, C0, IE masked),
 * R4 = 1.0 (valid), R5 = +0 (zero), R6 = +inf (special), others empty:
 * full tag word 11 10 01 00 11 11 11 11 = 0xE4FF. Last instruction:
 * FLD1 (FOP 0x1E8) at 0008:12345678, operand 0010:9ABCDEF0.
 */
static struct support_cpu *make_known(void)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    cr_assert(m);
    support_cpu_flat32(m);
    struct cpu *cpu = m->cpu;
    cpu->cr0 = (cpu->cr0 | CR0_NE | CR0_ET) & ~(CR0_EM | CR0_TS);
    cpu->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu->regs[R_EBX] = 0x2000;
    struct fpu_state *f = &cpu->priv.fpu;
    fpu_reset(f);
    f->fcw = 0x037f;
    f->fsw = 0x2101;
    f->ftw = 0xe4ff;
    static const uint8_t one[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
    static const uint8_t inf[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f };
    memset(f->st, 0, sizeof f->st);
    memcpy(f->st[4], one, 10);
    memcpy(f->st[6], inf, 10);
    f->fip = 0x12345678;
    f->fcs = 0x0008;
    f->fop = 0x1e8;
    f->fdp = 0x9abcdef0;
    f->fds = 0x0010;
    f->mxcsr = 0x1fa0;
    for (int i = 0; i < 16; i++)
        f->xmm[2][i] = (uint8_t)(0xa0 + i);
    return m;
}

static void expect_mem(struct support_cpu *m, uint32_t addr, const uint8_t *want, int n)
{
    uint8_t got[128];
    dma_read(m->mem, addr, got, (size_t)n);
    for (int i = 0; i < n; i++)
        cr_expect_eq(got[i], want[i], "byte %d: got %02x want %02x", i, got[i], want[i]);
}

Test(fpu_state, fnstenv_32bit_protected)
{
    struct support_cpu *m = make_known();
    static const uint8_t want[28] = {
        0x7f, 0x03, 0xff, 0xff,  0x01, 0x21, 0xff, 0xff,  0xff, 0xe4, 0xff, 0xff,
        0x78, 0x56, 0x34, 0x12,  0x08, 0x00, 0xe8, 0x01,  0xf0, 0xde, 0xbc, 0x9a,
        0x10, 0x00, 0xff, 0xff };
    cr_assert_eq(RUN(m, 0xd9, 0x33), -1);               /* fnstenv [ebx] */
    expect_mem(m, 0x2000, want, 28);
    cr_assert_eq(m->cpu->priv.fpu.fcw, 0x037f, "FSTENV masks all exceptions");
    support_cpu_destroy(m);
}

Test(fpu_state, fnstenv_16bit_protected)
{
    struct support_cpu *m = make_known();
    m->cpu->priv.fpu.fcw = 0x0360;
    static const uint8_t want[14] = {
        0x60, 0x03, 0x01, 0x21, 0xff, 0xe4, 0x78, 0x56, 0x08, 0x00, 0xf0, 0xde, 0x10, 0x00 };
    cr_assert_eq(RUN(m, 0x66, 0xd9, 0x33), -1);
    expect_mem(m, 0x2000, want, 14);
    cr_assert_eq(m->cpu->priv.fpu.fcw, 0x037f, "FSTENV masks all exceptions");
    support_cpu_destroy(m);
}

/* Real mode: 20/32-bit linear pointers (CS*16 + IP) split around FOP. */
Test(fpu_state, fnstenv_real_mode_formats)
{
    struct support_cpu *m = make_known();
    m->cpu->cr0 &= ~CR0_PE;
    /* IP = 0x80 + 0x12345678 = 0x123456F8, DP = 0x100 + 0x9ABCDEF0 = 0x9ABCDFF0 */
    static const uint8_t want32[28] = {
        0x7f, 0x03, 0xff, 0xff,  0x01, 0x21, 0xff, 0xff,  0xff, 0xe4, 0xff, 0xff,
        0xf8, 0x56, 0xff, 0xff,  0xe8, 0x41, 0x23, 0x01,  0xf0, 0xdf, 0xff, 0xff,
        0x00, 0xc0, 0xab, 0x09 };
    cr_assert_eq(RUN(m, 0xd9, 0x33), -1);
    expect_mem(m, 0x2000, want32, 28);
    static const uint8_t want16[14] = {
        0x7f, 0x03, 0x01, 0x21, 0xff, 0xe4, 0xf8, 0x56, 0xe8, 0x41, 0xf0, 0xdf, 0x00, 0xc0 };
    cr_assert_eq(RUN(m, 0x66, 0xd9, 0x33), -1);
    expect_mem(m, 0x2000, want16, 14);

    /* FLDENV reads the same format back: linear pointers survive. */
    struct fpu_state *f = &m->cpu->priv.fpu;
    f->fip = f->fdp = 0;
    cr_assert_eq(RUN(m, 0x66, 0xd9, 0x23), -1);         /* fldenv [ebx] (16-bit) */
    cr_assert_eq(f->fip, 0x456f8u, "20-bit linear IP");
    cr_assert_eq(f->fdp, 0xcdff0u);
    cr_assert_eq(f->fop, 0x1e8);
    cr_assert_eq(f->fsw, 0x2101);
    cr_assert_eq(f->ftw, 0xe4ff);
    support_cpu_destroy(m);
}

Test(fpu_state, fnsave_then_frstor_round_trip)
{
    struct support_cpu *m = make_known();
    struct fpu_state *f = &m->cpu->priv.fpu;
    struct fpu_state before = *f;
    cr_assert_eq(RUN(m, 0xdd, 0x33), -1);               /* fnsave [ebx] */
    /* registers follow the environment in ST order: ST0 = R4 = 1.0 ... */
    static const uint8_t regs[30] = {
        0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f,          /* ST0 = R4: 1.0 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                   /* ST1 = R5: +0 */
        0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f };        /* ST2 = R6: +inf */
    expect_mem(m, 0x2000 + 28, regs, 30);
    cr_assert_eq(f->fcw, 0x037f, "FNSAVE reinitialises");
    cr_assert_eq(f->fsw, 0);
    cr_assert_eq(f->ftw, 0xffff);
    cr_assert_eq(f->fip, 0);
    cr_assert_eq(RUN(m, 0xdd, 0x23), -1);               /* frstor [ebx] */
    cr_assert_eq(f->fcw, before.fcw);
    cr_assert_eq(f->fsw, before.fsw);
    cr_assert_eq(f->ftw, before.ftw);
    cr_assert_eq(f->fip, before.fip);
    cr_assert_eq(f->fcs, before.fcs);
    cr_assert_eq(f->fop, before.fop);
    cr_assert_eq(f->fdp, before.fdp);
    cr_assert_eq(f->fds, before.fds);
    for (int r = 4; r < 7; r++)
        cr_assert_eq(memcmp(f->st[r], before.st[r], 10), 0, "R%d", r);
    support_cpu_destroy(m);
}

/* 16-bit FNSAVE is 14 + 80 bytes. */
Test(fpu_state, fnsave_16bit_size)
{
    struct support_cpu *m = make_known();
    uint8_t fill[100];
    memset(fill, 0xcc, sizeof fill);
    support_cpu_load(m, 0x2000, fill, sizeof fill);
    cr_assert_eq(RUN(m, 0x66, 0xdd, 0x33), -1);
    uint8_t got[100];
    dma_read(m->mem, 0x2000, got, sizeof got);
    cr_assert_eq(got[14 + 7], 0x80, "ST0 right after the 14-byte environment");
    cr_assert_eq(got[14 + 9], 0x3f);
    cr_assert_eq(got[94], 0xcc, "nothing written past 94 bytes");
    support_cpu_destroy(m);
}

Test(fpu_state, fxsave_legacy_layout)
{
    struct support_cpu *m = make_known();
    uint8_t fill[512];
    memset(fill, 0xcc, sizeof fill);
    support_cpu_load(m, 0x2000, fill, sizeof fill);
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x03), -1);         /* fxsave [ebx] */
    static const uint8_t head[32] = {
        0x7f, 0x03, 0x01, 0x21, 0x70, 0x00, 0xe8, 0x01,   /* FCW FSW FTW(abridged) FOP */
        0x78, 0x56, 0x34, 0x12, 0x08, 0x00, 0x00, 0x00,   /* FIP FCS */
        0xf0, 0xde, 0xbc, 0x9a, 0x10, 0x00, 0x00, 0x00,   /* FDP FDS */
        0xa0, 0x1f, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00 }; /* MXCSR MXCSR_MASK */
    expect_mem(m, 0x2000, head, 32);
    static const uint8_t st0[16] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f, 0, 0, 0, 0, 0, 0 };
    expect_mem(m, 0x2000 + 32, st0, 16);
    static const uint8_t st2[16] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f, 0, 0, 0, 0, 0, 0 };
    expect_mem(m, 0x2000 + 64, st2, 16);
    uint8_t x2[16];
    for (int i = 0; i < 16; i++)
        x2[i] = (uint8_t)(0xa0 + i);
    expect_mem(m, 0x2000 + 160 + 32, x2, 16);
    uint8_t tail = phys_read8(m->mem, 0x2000 + 464);
    cr_assert_eq(tail, 0xcc, "bytes 464-511 belong to software");

    /* FXRSTOR puts back exactly what FXSAVE took, tags included. */
    struct fpu_state before = m->cpu->priv.fpu;
    cr_assert_eq(RUN(m, 0xdb, 0xe3), -1);               /* fninit */
    m->cpu->priv.fpu.mxcsr = 0x1f80;
    cr_assert_eq(RUN(m, 0x0f, 0xae, 0x0b), -1);         /* fxrstor [ebx] */
    struct fpu_state *f = &m->cpu->priv.fpu;
    cr_assert_eq(f->fsw, before.fsw);
    cr_assert_eq(f->ftw, before.ftw, "full tags recomputed from contents: %04x", f->ftw);
    cr_assert_eq(f->mxcsr, before.mxcsr);
    cr_assert_eq(memcmp(f->xmm, before.xmm, sizeof f->xmm), 0);
    support_cpu_destroy(m);
}
