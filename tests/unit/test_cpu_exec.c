/*
 * test_cpu_exec.c - the main loop: running guest code through the TB cache,
 * self-modifying code, HLT, exact instruction budgets, exceptions delivered
 * through the real-mode IVT, REP string resumption, RDTSCP and CLAC/STAC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "cpu/system.h"
#include "memory/memory.h"
#include "tests/unit/support_cpu.h"
#include "translator/tb.h"

static struct support_cpu *load_asm32(const char *name, uint32_t at)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.bin", SOFTVM_ASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "missing %s", path);
    static uint8_t buf[65536];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct support_cpu *m = support_cpu_create(16 << 20);
    cr_assert(m);
    support_cpu_flat32(m);
    support_cpu_load(m, at, buf, n);
    m->cpu->rip = at;
    m->cpu->regs[R_ESP] = 0x80000;
    return m;
}

Test(cpu_exec, self_modifying_code)
{
    struct support_cpu *m = load_asm32("cpu_smc", 0x1000);
    enum cpu_exit e = support_cpu_run(m, 10000);
    cr_assert_eq(e, CPU_EXIT_HALT);
    uint32_t base = 0x103c;   /* result1 (see the listing: align 4 after hlt) */
    cr_assert_eq(phys_read32(m->mem, base), 42);
    cr_assert_eq(phys_read32(m->mem, base + 4), 15);
    cr_assert_eq(phys_read32(m->mem, base + 8), 2);
    support_cpu_destroy(m);
}

/* Real mode: code at 0x7c00, a tight loop; the budget stops exactly. */
Test(cpu_exec, exact_budget)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0x31, 0xc0,         /* xor ax, ax */
        0x40,               /* inc ax        <- loop */
        0xeb, 0xfd,         /* jmp loop */
    };
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 1), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->icount, 1);
    cr_assert_eq(support_cpu_run(m, 1000), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->icount, 1001);
    /* 1000 instructions after xor: 500 incs */
    cr_assert_eq(m->cpu->regs[R_EAX] & 0xffff, 500);
    cr_assert_eq(m->cpu->rip, 0x7c02);
    support_cpu_destroy(m);
}

/* #DE in real mode goes through IVT entry 0 with the faulting IP pushed. */
Test(cpu_exec, divide_error_real_mode)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xb8, 0x34, 0x12,   /* mov ax, 0x1234 */
        0x31, 0xdb,         /* xor bx, bx */
        0xf7, 0xf3,         /* div bx        (at 0x7c05) */
        0xf4,
    };
    static const uint8_t handler[] = { 0xf4 };   /* hlt at 0x0500 */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    support_cpu_load(m, 0x500, handler, 1);
    phys_write16(m->mem, 0, 0x0500);     /* IVT[0] = 0000:0500 */
    phys_write16(m->mem, 2, 0x0000);
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(m->cpu->rip, 0x501);
    cr_assert_eq(m->cpu->regs[R_ESP] & 0xffff, 0xfffe - 6);
    cr_assert_eq(phys_read16(m->mem, 0xfff8), 0x7c05, "pushed IP %x", phys_read16(m->mem, 0xfff8));
    cr_assert_eq(m->cpu->regs[R_EAX] & 0xffff, 0x1234);
    support_cpu_destroy(m);
}

/* Each REP iteration retires as one instruction (SDM Vol. 2B REP: the
 * registers are updated per iteration and interrupts are taken between
 * them; QEMU's icount counts the same way), so cpu_exec's budget can stop
 * a REP between any two elements and the count is exact arithmetic. */
Test(cpu_exec, rep_movsb_resumes)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xfc,                   /* cld */
        0xb9, 0x00, 0x30,       /* mov cx, 0x3000 */
        0xbe, 0x00, 0x10,       /* mov si, 0x1000 */
        0xbf, 0x00, 0x80,       /* mov di, 0x8000 */
        0xf3, 0xa4,             /* rep movsb (at 0x7c0a) */
        0xf4,
    };
    for (uint32_t i = 0; i < 0x3000; i++)
        phys_write8(m->mem, 0x1000 + i, (uint8_t)(i * 7));
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 5), CPU_EXIT_BUDGET);   /* 4 + one element */
    cr_assert_eq(m->cpu->icount, 5);
    cr_assert_eq(m->cpu->rip, 0x7c0a);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 0x2fff);
    cr_assert_eq(m->cpu->regs[R_ESI] & 0xffff, 0x1001);
    cr_assert_eq(m->cpu->regs[R_EDI] & 0xffff, 0x8001);
    cr_assert_eq(support_cpu_run(m, 0x1000), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->icount, 0x1005);
    cr_assert_eq(m->cpu->rip, 0x7c0a);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 0x1fff);
    /* the 0x1fff elements left and the HLT */
    cr_assert_eq(support_cpu_run(m, 0x2001), CPU_EXIT_HALT);
    cr_assert_eq(m->cpu->icount, 0x3005);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 0);
    cr_assert_eq(m->cpu->regs[R_ESI] & 0xffff, 0x4000);
    cr_assert_eq(m->cpu->regs[R_EDI] & 0xffff, 0xb000);
    for (uint32_t i = 0; i < 0x3000; i++)
        cr_assert_eq(phys_read8(m->mem, 0x8000 + i), (uint8_t)(i * 7));
    support_cpu_destroy(m);
}

/* A REP inside a translation block run by the block fast path (the budget
 * covers the block's instruction count, not the REP's elements): the run
 * still stops exactly at the budget, and the instruction after the REP has
 * not run. */
Test(cpu_exec, rep_in_block_stops_at_budget)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xfc,                   /* cld */
        0xb9, 0x64, 0x00,       /* mov cx, 100 */
        0xbf, 0x00, 0x80,       /* mov di, 0x8000 */
        0xb0, 0x5a,             /* mov al, 0x5a */
        0xf3, 0xaa,             /* rep stosb (at 0x7c09) */
        0x43,                   /* inc bx */
        0xf4,
    };
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    m->cpu->rip = 0x7c00;
    m->cpu->regs[R_EBX] = 0;
    cr_assert_eq(support_cpu_run(m, 50), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->icount, 50);
    cr_assert_eq(m->cpu->rip, 0x7c09);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 100 - 46);
    cr_assert_eq(m->cpu->regs[R_EBX], 0);
    /* the rest of the elements exactly: the REP ends, INC has not run */
    cr_assert_eq(support_cpu_run(m, 54), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->icount, 104);
    cr_assert_eq(m->cpu->rip, 0x7c0b);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 0);
    cr_assert_eq(m->cpu->regs[R_EBX], 0);
    cr_assert_eq(support_cpu_run(m, 3), CPU_EXIT_HALT);
    cr_assert_eq(m->cpu->regs[R_EBX], 1);
    cr_assert_eq(m->cpu->icount, 106);
    for (uint32_t i = 0; i < 100; i++)
        cr_assert_eq(phys_read8(m->mem, 0x8000 + i), 0x5a);
    cr_assert_eq(phys_read8(m->mem, 0x8000 + 100), 0);
    support_cpu_destroy(m);
}

/* REP with CX = 0 runs no element and retires as one instruction. */
Test(cpu_exec, rep_count_zero_is_one_instruction)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = { 0x31, 0xc9, 0xf3, 0xa4, 0xf4 };   /* xor cx,cx; rep movsb; hlt */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(m->cpu->icount, 3);
    support_cpu_destroy(m);
}

/* A fault in the middle of a REP (real mode: a word at offset 0xFFFF crosses
 * the segment limit, #GP, SDM Vol. 2B STOS "Real-Address Mode Exceptions")
 * leaves CX/DI at the faulting element and pushes the REP's own IP; the
 * handler moves DI and IRETs, and the REP resumes with the rest. */
Test(cpu_exec, rep_fault_resumes)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xfc,                   /* cld */
        0xb9, 0x0a, 0x00,       /* mov cx, 10 */
        0xbf, 0xf5, 0xff,       /* mov di, 0xfff5 */
        0xb8, 0x34, 0x12,       /* mov ax, 0x1234 */
        0xf3, 0xab,             /* rep stosw (at 0x7c0a) */
        0xf4,
    };
    /* #GP handler at 0000:0600: mov [0x700], cx; mov [0x702], di;
     * mov di, 0x9000; iret */
    static const uint8_t gp[] = { 0x89, 0x0e, 0x00, 0x07, 0x89, 0x3e, 0x02, 0x07,
                                  0xbf, 0x00, 0x90, 0xcf };
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    support_cpu_load(m, 0x600, gp, sizeof(gp));
    phys_write16(m->mem, 13 * 4, 0x0600);
    phys_write16(m->mem, 13 * 4 + 2, 0);
    m->cpu->rip = 0x7c00;
    m->cpu->regs[R_ESP] = 0x7000;       /* the stores run to the top of the segment */
    cr_assert_eq(support_cpu_run(m, 1000), CPU_EXIT_HALT);
    cr_assert_eq(phys_read16(m->mem, 0x700), 5, "CX at the fault");
    cr_assert_eq(phys_read16(m->mem, 0x702), 0xffff, "DI at the fault");
    for (uint32_t a = 0xfff5; a < 0xffff; a += 2)
        cr_assert_eq(phys_read16(m->mem, a), 0x1234);
    for (uint32_t a = 0x9000; a < 0x900a; a += 2)
        cr_assert_eq(phys_read16(m->mem, a), 0x1234);
    cr_assert_eq(phys_read16(m->mem, 0x900a), 0);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 0);
    /* 4 + 5 elements + the fault + 4 handler insns + 5 elements + HLT */
    cr_assert_eq(m->cpu->icount, 4 + 5 + 1 + 4 + 5 + 1);
    support_cpu_destroy(m);
}

/* An undefined opcode raises #UD (IVT entry 6) with IP at the opcode. */
Test(cpu_exec, undefined_opcode)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = { 0x90, 0x0f, 0x0b };   /* nop; ud2 */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    phys_write8(m->mem, 0x600, 0xf4);
    phys_write16(m->mem, 6 * 4, 0x0600);
    phys_write16(m->mem, 6 * 4 + 2, 0);
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(phys_read16(m->mem, 0xfff8), 0x7c01);
    support_cpu_destroy(m);
}

/* --- external interrupts and single-step ------------------------------------ */

struct pic_stub {
    struct cpu *cpu;
    int acks;
};

static int ack_vector_0x20(void *opaque)
{
    struct pic_stub *p = opaque;
    p->acks++;
    cpu_set_intr(p->cpu, false);      /* edge delivered: the line drops */
    return 0x20;
}

/* IVT[0x20] -> 0000:0600: mov [0x700], ax; iret */
static void install_irq_handler(struct support_cpu *m)
{
    static const uint8_t h[] = { 0xa3, 0x00, 0x07, 0xcf };
    support_cpu_load(m, 0x600, h, sizeof(h));
    phys_write16(m->mem, 0x20 * 4, 0x0600);
    phys_write16(m->mem, 0x20 * 4 + 2, 0);
    phys_write16(m->mem, 0x700, 0xffff);
}

/* STI enables interrupts only after the next instruction (SDM Vol. 2B STI). */
Test(cpu_exec, sti_shadow)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = { 0xfb, 0x40, 0x40, 0x40, 0xf4 };   /* sti; inc ax x3; hlt */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    install_irq_handler(m);
    struct pic_stub pic = { m->cpu, 0 };
    m->cpu->intr_ack = ack_vector_0x20;
    m->cpu->intr_opaque = &pic;
    m->cpu->rip = 0x7c00;
    m->cpu->regs[R_EAX] = 0;
    cpu_set_intr(m->cpu, true);            /* pending from the start, IF = 0 */
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(pic.acks, 1);
    cr_assert_eq(phys_read16(m->mem, 0x700), 1, "handler saw AX=%d", phys_read16(m->mem, 0x700));
    cr_assert_eq(m->cpu->regs[R_EAX] & 0xffff, 3);
    support_cpu_destroy(m);
}

/* An interrupt raised while a REP is paused between elements is taken
 * there: the handler sees the remaining count, the REP's own IP is pushed,
 * and IRET resumes it. */
Test(cpu_exec, rep_interrupt_resumes)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xfb,                   /* sti */
        0xfc,                   /* cld */
        0xb9, 0xe8, 0x03,       /* mov cx, 1000 */
        0xbf, 0x00, 0x80,       /* mov di, 0x8000 */
        0xb0, 0x77,             /* mov al, 0x77 */
        0xf3, 0xaa,             /* rep stosb (at 0x7c0a) */
        0xf4,
    };
    /* IVT[0x20] -> 0000:0600: mov [0x700], cx; iret */
    static const uint8_t h[] = { 0x89, 0x0e, 0x00, 0x07, 0xcf };
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    support_cpu_load(m, 0x600, h, sizeof(h));
    phys_write16(m->mem, 0x20 * 4, 0x0600);
    phys_write16(m->mem, 0x20 * 4 + 2, 0);
    struct pic_stub pic = { m->cpu, 0 };
    m->cpu->intr_ack = ack_vector_0x20;
    m->cpu->intr_opaque = &pic;
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 5 + 300), CPU_EXIT_BUDGET);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 700);
    cpu_set_intr(m->cpu, true);
    cr_assert_eq(support_cpu_run(m, 10000), CPU_EXIT_HALT);
    cr_assert_eq(pic.acks, 1);
    cr_assert_eq(phys_read16(m->mem, 0x700), 700, "the handler ran between elements");
    cr_assert_eq(phys_read16(m->mem, 0xfff8), 0x7c0a, "pushed IP: the REP itself");
    for (uint32_t i = 0; i < 1000; i++)
        cr_assert_eq(phys_read8(m->mem, 0x8000 + i), 0x77);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 0);
    support_cpu_destroy(m);
}

/* HLT returns CPU_EXIT_HALT; a later interrupt wakes it and the handler's
 * IRET returns after the HLT. */
Test(cpu_exec, hlt_wakes_on_interrupt)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = { 0xfb, 0xf4, 0x41, 0xf4 };   /* sti; hlt; inc cx; hlt */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    install_irq_handler(m);
    struct pic_stub pic = { m->cpu, 0 };
    m->cpu->intr_ack = ack_vector_0x20;
    m->cpu->intr_opaque = &pic;
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(m->cpu->rip, 0x7c02);
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT, "still halted without an interrupt");
    cr_assert_eq(pic.acks, 0);
    cpu_set_intr(m->cpu, true);
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(pic.acks, 1);
    cr_assert_eq(m->cpu->regs[R_ECX] & 0xffff, 1);
    cr_assert_eq(m->cpu->rip, 0x7c04);
    support_cpu_destroy(m);
}

/* TF: a #DB trap after each instruction that starts with TF set. */
Test(cpu_exec, single_step)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0x9c, 0x58, 0x0d, 0x00, 0x01, 0x50, 0x9d,   /* pushf; pop ax; or ax, 0x100; push ax; popf */
        0x90, 0x90,                                 /* nop; nop        (traps 1, 2) */
        0x68, 0x02, 0x00, 0x9d,                     /* push 2; popf    (traps 3, 4) */
        0xf4,
    };
    static const uint8_t h[] = { 0xff, 0x06, 0x00, 0x07, 0xcf };   /* inc word [0x700]; iret */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    support_cpu_load(m, 0x600, h, sizeof(h));
    phys_write16(m->mem, 1 * 4, 0x0600);
    phys_write16(m->mem, 1 * 4 + 2, 0);
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 200), CPU_EXIT_HALT);
    cr_assert_eq(phys_read16(m->mem, 0x700), 4);
    cr_assert(m->cpu->dr[6] & 0x4000, "DR6.BS");
    cr_assert_not(m->cpu->rflags & EFLAGS_TF);
    support_cpu_destroy(m);
}

/* ENTER with a nesting level copies the enclosing frame pointers
 * (SDM Vol. 2A "ENTER"); LEAVE undoes it. No MOO vectors cover ENTER. */
Test(cpu_exec, enter_leave_nested)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    support_cpu_flat32(m);
    static const uint8_t code[] = {
        0xc8, 0x08, 0x00, 0x00,     /* enter 8, 0 */
        0xc8, 0x10, 0x00, 0x02,     /* enter 16, 2 */
        0xc9, 0xc9, 0xf4,           /* leave; leave; hlt */
    };
    support_cpu_load(m, 0x1000, code, sizeof(code));
    struct cpu *c = m->cpu;
    c->rip = 0x1000;
    c->regs[R_ESP] = 0x80000;
    c->regs[R_EBP] = 0x12345678;
    phys_write32(m->mem, 0x7fff8, 0xaaaa5555u);
    cr_assert_eq(support_cpu_run(m, 1), CPU_EXIT_BUDGET);
    cr_assert_eq(c->regs[R_EBP], 0x7fffc);
    cr_assert_eq(c->regs[R_ESP], 0x7fff4);
    cr_assert_eq(phys_read32(m->mem, 0x7fffc), 0x12345678);
    cr_assert_eq(support_cpu_run(m, 1), CPU_EXIT_BUDGET);
    cr_assert_eq(c->regs[R_EBP], 0x7fff0);
    cr_assert_eq(c->regs[R_ESP], 0x7ffd8);
    cr_assert_eq(phys_read32(m->mem, 0x7fff0), 0x7fffc);       /* saved EBP */
    cr_assert_eq(phys_read32(m->mem, 0x7ffec), 0xaaaa5555u);   /* copied from [EBP-4] */
    cr_assert_eq(phys_read32(m->mem, 0x7ffe8), 0x7fff0);       /* the new frame pointer */
    cr_assert_eq(support_cpu_run(m, 10), CPU_EXIT_HALT);
    cr_assert_eq(c->regs[R_EBP], 0x12345678);
    cr_assert_eq(c->regs[R_ESP], 0x80000);
    support_cpu_destroy(m);
}

/* MOV SS holds off the single-step trap until after the next instruction
 * (SDM Vol. 3A 6.8.3); STI does not. */
Test(cpu_exec, single_step_mov_ss_shadow)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0x9c, 0x58, 0x0d, 0x00, 0x01, 0x50, 0x9d,   /* TF on */
        0x8c, 0xd0,                                 /* mov ax, ss    trap 1 */
        0x8e, 0xd0,                                 /* mov ss, ax    (no trap) */
        0x90,                                       /* nop           trap 2 */
        0xfb,                                       /* sti           trap 3 */
        0x68, 0x02, 0x00, 0x9d,                     /* push 2; popf  traps 4, 5 */
        0xf4,
    };
    static const uint8_t h[] = { 0xff, 0x06, 0x00, 0x07, 0xcf };   /* inc word [0x700]; iret */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    support_cpu_load(m, 0x600, h, sizeof(h));
    phys_write16(m->mem, 1 * 4, 0x0600);
    phys_write16(m->mem, 1 * 4 + 2, 0);
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 200), CPU_EXIT_HALT);
    cr_assert_eq(phys_read16(m->mem, 0x700), 5, "traps: %d", phys_read16(m->mem, 0x700));
    support_cpu_destroy(m);
}

/* POP SS is sized by the stack it pops from: an o32 POP SS on a 16-bit stack
 * that loads a 32-bit SS advances SP by 4 with the OLD 16-bit wrap and keeps
 * ESP's upper half (test386 POST 09; SDM Vol. 2B "POP"). */
Test(cpu_exec, pop_ss_sized_by_old_stack)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    support_cpu_flat32(m);
    struct cpu *c = m->cpu;
    /* GDT at 0x500: 0x08 flat 32-bit code, 0x10 flat 32-bit data */
    phys_write64(m->mem, 0x508, 0x00cf9a000000ffffull);
    phys_write64(m->mem, 0x510, 0x00cf92000000ffffull);
    c->gdtr.base = 0x500;
    c->gdtr.limit = 0x17;
    c->seg[SEG_SS].flags &= ~(SEGF_DB | SEGF_G);   /* a 16-bit stack, limit 64K */
    c->seg[SEG_SS].limit = 0xffff;
    static const uint8_t code[] = { 0x17, 0xf4 };  /* pop ss (o32); hlt */
    support_cpu_load(m, 0x1000, code, sizeof(code));
    phys_write32(m->mem, 0xfffc, 0x10);
    c->rip = 0x1000;
    c->regs[R_ESP] = 0x2fffc;
    cr_assert_eq(support_cpu_run(m, 10), CPU_EXIT_HALT);
    cr_assert_eq(c->regs[R_ESP], 0x20000, "ESP %08x", c->regs[R_ESP]);
    cr_assert_eq(c->seg[SEG_SS].sel, 0x10);
    cr_assert(c->seg[SEG_SS].flags & SEGF_DB);
    support_cpu_destroy(m);
}

/* o32 ENTER on a 16-bit stack: FrameTemp is the whole ESP, upper half
 * included, as a real 386 pushes it (test386 POST 1A). */
Test(cpu_exec, enter_o32_on_16bit_stack)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = { 0x66, 0xc8, 0x08, 0x00, 0x01, 0xf4 };  /* o32 enter 8,1; hlt */
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    struct cpu *c = m->cpu;
    c->rip = 0x7c00;
    c->regs[R_ESP] = 0x10000;
    c->regs[R_EBP] = 0x1ffec;
    cr_assert_eq(support_cpu_run(m, 10), CPU_EXIT_HALT);
    cr_assert_eq(phys_read32(m->mem, 0xfffc), 0x1ffec);      /* old EBP */
    cr_assert_eq(phys_read32(m->mem, 0xfff8), 0x1fffc,       /* FrameTemp */
                 "frame %08x", phys_read32(m->mem, 0xfff8));
    cr_assert_eq(c->regs[R_EBP], 0x1fffc);
    cr_assert_eq(c->regs[R_ESP], 0x1fff0);
    support_cpu_destroy(m);
}

/*
 * The 64-bit register file: a 32-bit result is zero-extended into the
 * 64-bit register, an 8- or 16-bit result leaves the other bits alone
 * (SDM Vol. 1 3.4.1.1). Outside long mode the upper halves are never set
 * by the guest; the test plants them to check the write rules long mode
 * will rely on.
 */
Test(cpu_exec, register_writes_keep_or_zero_the_upper_bits)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    support_cpu_flat32(m);
    static const uint8_t code[] = {
        0x66, 0xb8, 0x34, 0x12,         /* mov ax, 0x1234 */
        0xb3, 0x56,                     /* mov bl, 0x56 */
        0xb7, 0x78,                     /* mov bh, 0x78 */
        0xb9, 0xf0, 0xde, 0xbc, 0x9a,   /* mov ecx, 0x9abcdef0 */
        0x66, 0x42,                     /* inc dx */
        0x83, 0xc6, 0x01,               /* add esi, 1 */
        0xf4,                           /* hlt */
    };
    support_cpu_load(m, 0x1000, code, sizeof(code));
    struct cpu *c = m->cpu;
    c->rip = 0x1000;
    c->regs[R_ESP] = 0x8000;
    c->regs[R_EAX] = 0xaaaaaaaabbbbbbbbull;
    c->regs[R_EBX] = 0x1111111122222222ull;
    c->regs[R_ECX] = 0x3333333344444444ull;
    c->regs[R_EDX] = 0x555555550000ffffull;
    c->regs[R_ESI] = 0x66666666ffffffffull;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(c->regs[R_EAX], 0xaaaaaaaabbbb1234ull);
    cr_assert_eq(c->regs[R_EBX], 0x1111111122227856ull);
    cr_assert_eq(c->regs[R_ECX], 0x000000009abcdef0ull);
    cr_assert_eq(c->regs[R_EDX], 0x5555555500000000ull);
    cr_assert_eq(c->regs[R_ESI], 0);
    cr_assert_eq(c->rip, 0x1000 + sizeof(code));
    support_cpu_destroy(m);
}

/* Linear addresses are 32 bits wide outside long mode: base + offset wraps
 * at 4 GiB (SDM Vol. 3A 3.4.4 "segment base + offset"; a 4 GiB limit
 * allows any offset). */
Test(cpu_exec, linear_address_wraps_at_4g)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    support_cpu_flat32(m);
    static const uint8_t code[] = {
        0xa1, 0x10, 0x20, 0x00, 0x00,   /* mov eax, [ds:0x2010] */
        0xc7, 0x05, 0x14, 0x20, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12,   /* mov dword [0x2014], 0x12345678 */
        0xf4,
    };
    support_cpu_load(m, 0x1000, code, sizeof(code));
    static const uint8_t marker[] = { 0xef, 0xbe, 0xad, 0xde };
    support_cpu_load(m, 0x1010, marker, sizeof(marker));
    struct cpu *c = m->cpu;
    c->seg[SEG_DS].base = 0xfffff000u;      /* 0xfffff000 + 0x2010 = 0x1'00001010 -> 0x1010 */
    c->rip = 0x1000;
    c->regs[R_ESP] = 0x8000;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(c->regs[R_EAX], 0xdeadbeefu);
    cr_assert_eq(phys_read32(m->mem, 0x1014), 0x12345678u);
    support_cpu_destroy(m);
}

/* --- RDTSCP, CLAC/STAC -------------------------------------------------------- */

/* RDTSCP: EDX:EAX = the TSC, ECX = IA32_TSC_AUX[31:0] (SDM Vol. 2B RDTSCP);
 * without a clock the TSC counts retired instructions (cpu/system.h), so
 * RDTSC as the 6th instruction reads 5 and RDTSCP as the 8th reads 7. */
Test(cpu_exec, rdtscp_reads_tsc_and_tsc_aux)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0x66, 0xb9, 0x03, 0x01, 0x00, 0xc0,     /* mov ecx, 0xc0000103 (IA32_TSC_AUX) */
        0x66, 0xb8, 0x78, 0x56, 0x34, 0x12,     /* mov eax, 0x12345678 */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0x31, 0xc9,                       /* xor ecx, ecx */
        0x0f, 0x31,                             /* rdtsc */
        0x66, 0x89, 0xc6,                       /* mov esi, eax */
        0x0f, 0x01, 0xf9,                       /* rdtscp */
        0xf4,                                   /* hlt */
    };
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    m->cpu->feat_rdtscp = true;
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq((uint32_t)m->cpu->regs[R_ECX], 0x12345678);
    cr_assert_eq((uint32_t)m->cpu->regs[R_ESI], 5 * CPU_TSC_PER_INSN);
    cr_assert_eq((uint32_t)m->cpu->regs[R_EAX], 7 * CPU_TSC_PER_INSN);
    cr_assert_eq((uint32_t)m->cpu->regs[R_EDX], 0);
    support_cpu_destroy(m);
}

/* Run code at 0000:7C00 in real mode with IVT[6] -> 0000:0600 (HLT): the
 * IP #UD pushed, or 0 if the code reached its own HLT. */
static uint16_t ud_ip(const uint8_t *code, size_t n, bool rdtscp, uint32_t feat7_ebx)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    support_cpu_load(m, 0x7c00, code, n);
    phys_write8(m->mem, 0x600, 0xf4);
    phys_write16(m->mem, 6 * 4, 0x0600);
    phys_write16(m->mem, 6 * 4 + 2, 0);
    m->cpu->feat_rdtscp = rdtscp;
    m->cpu->feat7_ebx = feat7_ebx;
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    uint16_t ip = m->cpu->rip == 0x601 ? phys_read16(m->mem, 0xfff8) : 0;
    support_cpu_destroy(m);
    return ip;
}

/* #UD where CPUID says the instruction is absent (SDM Vol. 2B RDTSCP,
 * STAC; Vol. 2A CLAC). */
Test(cpu_exec, rdtscp_clac_stac_ud_without_the_feature)
{
    static const uint8_t rdtscp[] = { 0x90, 0x0f, 0x01, 0xf9, 0xf4 };
    static const uint8_t stac[] = { 0x90, 0x0f, 0x01, 0xcb, 0xf4 };
    static const uint8_t clac[] = { 0x90, 0x0f, 0x01, 0xca, 0xf4 };
    cr_assert_eq(ud_ip(rdtscp, sizeof(rdtscp), false, 1u << 20), 0x7c01);
    cr_assert_eq(ud_ip(rdtscp, sizeof(rdtscp), true, 0), 0);
    cr_assert_eq(ud_ip(stac, sizeof(stac), true, 0), 0x7c01);
    cr_assert_eq(ud_ip(clac, sizeof(clac), true, 1u << 7), 0x7c01);     /* SMEP alone */
    cr_assert_eq(ud_ip(stac, sizeof(stac), false, 1u << 20), 0);
    cr_assert_eq(ud_ip(clac, sizeof(clac), false, 1u << 20), 0);
}

/* STAC sets EFLAGS.AC (bit 18), CLAC clears it, no other flag changes. */
Test(cpu_exec, stac_clac_set_and_clear_ac)
{
    struct support_cpu *m = support_cpu_create(1 << 20);
    static const uint8_t code[] = {
        0xf9,                   /* stc */
        0x0f, 0x01, 0xcb,       /* stac */
        0x66, 0x9c,             /* pushfd -> 0xfffa */
        0x0f, 0x01, 0xca,       /* clac */
        0x66, 0x9c,             /* pushfd -> 0xfff6 */
        0xf4,
    };
    support_cpu_load(m, 0x7c00, code, sizeof(code));
    m->cpu->feat7_ebx = 1u << 20;
    m->cpu->rip = 0x7c00;
    cr_assert_eq(support_cpu_run(m, 100), CPU_EXIT_HALT);
    cr_assert_eq(phys_read32(m->mem, 0xfffa), 0x00040003u, "EFLAGS after STAC %#x", phys_read32(m->mem, 0xfffa));
    cr_assert_eq(phys_read32(m->mem, 0xfff6), 0x00000003u, "EFLAGS after CLAC %#x", phys_read32(m->mem, 0xfff6));
    support_cpu_destroy(m);
}
