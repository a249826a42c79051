/*
 * test_cpu_sys.c - unit tests of the system half of the CPU (cpu/system.h)
 * called directly, without the interpreter: real-mode and protected-mode
 * far transfers, segment loads and their error codes, interrupt delivery
 * (IVT, gates, stack switch, v86), #DF and triple fault, task switches,
 * I/O bitmap, control/debug registers, MSRs, CPUID, SYSENTER/SYSEXIT.
 * Expected values come from the SDM (Vol. 3A ch. 5-7, 17, 20; Vol. 2).
 */
#include <string.h>
#include "sys_harness.h"

/* GDT layout used by the protected-mode tests. */
#define S_CODE0 0x08
#define S_DATA0 0x10
#define S_CODE3 0x1b
#define S_DATA3 0x23
#define S_TSS 0x28
#define S_TSS2 0x30
#define S_CGATE 0x38     /* 32-bit call gate, DPL 3 -> S_CODE0:0x5000, 2 params */
#define S_NP 0x40        /* data, DPL 3, not present */
#define S_LDT 0x48
#define S_TGATE 0x50     /* task gate, DPL 3 -> S_TSS2 */
#define S_CONF 0x60      /* conforming code, DPL 0 */
#define S_RO 0x68        /* read-only data, DPL 0 */
#define S_CGATE16 0x78   /* 16-bit call gate, DPL 3 -> S_CODE0:0x6000, 1 param */
#define GDT_LIMIT 0x7f

#define RING0_ESP 0x8800u
#define RING3_ESP 0x7000u

static struct sys_test T;
static struct cpu *cpu;

static void setup(void)
{
    st_init(&T);
    cpu = T.cpu;
}

static void teardown(void)
{
    st_fini(&T);
}

TestSuite(sys, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------ real mode */

static void real_setup(void)
{
    cpu_far_jmp(cpu, 0x1000, 0x0100, 2, 0);
    seg_load_real(cpu, SEG_SS, 0x2000);
    cpu->regs[R_ESP] = 0x100;
    cpu->idtr = (struct dtable){ 0, 0x3ff };
}

Test(sys, real_mode_int_and_iret)
{
    real_setup();
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x10000);
    cr_assert_eq(cpu->rip, 0x100);
    phys_write16(T.pm, 0x21 * 4, 0x1234);
    phys_write16(T.pm, 0x21 * 4 + 2, 0x3000);
    cpu_set_eflags(cpu, EFLAGS_IF | EFLAGS_TF | EFLAGS_CF);
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x21, INT_SOFTWARE, false, 0, 0x0102));
    cr_assert_eq(cpu->regs[R_ESP], 0xfa);
    cr_assert_eq(st_rd16(&T, 0x200fa), 0x0102);
    cr_assert_eq(st_rd16(&T, 0x200fc), 0x1000);
    cr_assert_eq(st_rd16(&T, 0x200fe), 0x0303);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x3000);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x30000);
    cr_assert_eq(cpu->rip, 0x1234);
    cr_assert_eq(cpu_get_eflags(cpu), EFLAGS_FIXED1 | EFLAGS_CF);

    ST_ASSERT_OK(cpu, cpu_iret(cpu, 2));
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x1000);
    cr_assert_eq(cpu->rip, 0x102);
    cr_assert_eq(cpu->regs[R_ESP], 0x100);
    cr_assert_eq(cpu_get_eflags(cpu), 0x0303);
}

Test(sys, real_mode_far_call_ret)
{
    real_setup();
    ST_ASSERT_OK(cpu, cpu_far_call(cpu, 0x4000, 0x10, 2, 0x105));
    cr_assert_eq(cpu->regs[R_ESP], 0xfc);
    cr_assert_eq(st_rd16(&T, 0x200fc), 0x105);
    cr_assert_eq(st_rd16(&T, 0x200fe), 0x1000);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x40000);
    cr_assert_eq(cpu->rip, 0x10);
    ST_ASSERT_OK(cpu, cpu_far_ret(cpu, 2, 4));
    cr_assert_eq(cpu->regs[R_ESP], 0x104);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x1000);
    cr_assert_eq(cpu->rip, 0x105);

    /* 32-bit operand size pushes dwords. */
    ST_ASSERT_OK(cpu, cpu_far_call(cpu, 0x4000, 0x20, 4, 0x12345));
    cr_assert_eq(cpu->regs[R_ESP], 0x104 - 8);
    cr_assert_eq(st_rd32(&T, 0x20100), 0x1000);
    cr_assert_eq(st_rd32(&T, 0x200fc), 0x12345);
}

Test(sys, real_mode_ivt_limit_gp_then_triple_fault)
{
    real_setup();
    /* IVT limit covers vector 13 but not 0x20: INT 20h -> #GP through IVT[13]. */
    cpu->idtr.limit = 13 * 4 + 3;
    phys_write16(T.pm, 13 * 4, 0x0777);
    phys_write16(T.pm, 13 * 4 + 2, 0x0050);
    cpu->priv.insn_rip = 0x1fe;   /* the INT 20h instruction */
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x20, INT_SOFTWARE, false, 0, 0x200));
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x50);
    cr_assert_eq(cpu->rip, 0x777);
    cr_assert_eq(st_rd16(&T, 0x200fa), 0x1fe);   /* #GP points at the INT */
    cr_assert(!cpu->shutdown);

    /* Nothing fits: #GP (contributory) -> #DF -> shutdown, state unchanged. */
    real_setup();
    cpu->idtr.limit = 7;
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, EXC_GP, INT_EXCEPTION, true, 0, 0x100));
    cr_assert(cpu->shutdown);
    cr_assert_eq(cpu->regs[R_ESP], 0x100);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x1000);
}

/* ------------------------------------------------------------- protected mode */

static void pm_setup(void)
{
    uint32_t g = ST_GDT;
    st_desc(&T, g, S_CODE0, 0, 0xfffff, ACC_CODE(0), FLAGS_32);
    st_desc(&T, g, S_DATA0, 0, 0xfffff, ACC_DATA(0), FLAGS_32);
    st_desc(&T, g, S_CODE3, 0, 0xfffff, ACC_CODE(3), FLAGS_32);
    st_desc(&T, g, S_DATA3, 0, 0xfffff, ACC_DATA(3), FLAGS_32);
    st_desc(&T, g, S_TSS, ST_TSS, 0x68 + 8, 0x89, 0);       /* available 32-bit TSS */
    st_desc(&T, g, S_TSS2, ST_TSS2, 0x67, 0x89, 0);
    st_gate(&T, g + S_CGATE, S_CODE0, 0x5000, 12, 3, 2, true);
    st_desc(&T, g, S_NP, 0, 0xfffff, ACC_DATA(3) & ~0x80u, FLAGS_32);
    st_desc(&T, g, S_LDT, ST_LDT, 0x17, 0x82, 0);
    st_gate(&T, g + S_TGATE, S_TSS2, 0, 5, 3, 0, true);
    st_desc(&T, g, S_CONF, 0, 0xfffff, 0x80 | 0x10 | 0xf, FLAGS_32);
    st_desc(&T, g, S_RO, 0, 0xfffff, 0x80 | 0x10 | 0x1, FLAGS_32);
    st_gate(&T, g + S_CGATE16, S_CODE0, 0x6000, 4, 3, 1, true);
    cpu->gdtr = (struct dtable){ ST_GDT, GDT_LIMIT };
    cpu->idtr = (struct dtable){ ST_IDT, 0x7ff };

    /* Ring-0 stack in the TSS; I/O bitmap of 8 bytes right after it. */
    phys_write32(T.pm, ST_TSS + 4, RING0_ESP);
    phys_write16(T.pm, ST_TSS + 8, S_DATA0);
    phys_write16(T.pm, ST_TSS + 0x66, 0x68);
    phys_write8(T.pm, ST_TSS + 0x68, 0x01);     /* port 0 denied */
    phys_write8(T.pm, ST_TSS + 0x6a, 0x01);     /* port 16 denied */

    cpu->cr0 |= CR0_PE;
    ST_ASSERT_OK(cpu, cpu_far_jmp(cpu, S_CODE0, 0x1000, 4, 0));
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_SS, S_DATA0));
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_DS, S_DATA0));
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_ES, S_DATA0));
    ST_ASSERT_OK(cpu, cpu_ltr(cpu, S_TSS));
    cpu->regs[R_ESP] = RING0_ESP - 0x100;
    cpu_set_eflags(cpu, EFLAGS_FIXED1);
}

static void push32(uint32_t v)
{
    cpu->regs[R_ESP] -= 4;
    phys_write32(T.pm, cpu->regs[R_ESP], v);
}

/* IRET from ring 0 to ring 3 at S_CODE3:0x2000 with IF=1. */
static void go_ring3(void)
{
    push32(S_DATA3);
    push32(RING3_ESP);
    push32(EFLAGS_FIXED1 | EFLAGS_IF);
    push32(S_CODE3);
    push32(0x2000);
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
}

Test(sys, pm_setup_loads_descriptors)
{
    pm_setup();
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CODE0);
    cr_assert_eq(cpu->seg[SEG_CS].limit, 0xffffffffu);
    cr_assert(cpu->seg[SEG_CS].flags & SEGF_DB);
    cr_assert_eq(cpu->rip, 0x1000);
    cr_assert_eq(cpu->cpl, 0);
    /* LTR marks the TSS busy in the GDT (type 9 -> 11). */
    cr_assert_eq((st_rd32(&T, ST_GDT + S_TSS + 4) >> 8) & 0xf, 11);
    cr_assert_eq(SEGF_TYPE(cpu->tr.flags), 11);
    cr_assert_eq(cpu->tr.base, ST_TSS);
    /* Loading sets the accessed bit in memory. */
    st_desc(&T, ST_GDT, 0x70, 0x12345678, 0xfff, 0x92, 0);
    cpu->gdtr.limit = 0x77;
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_FS, 0x70));
    cr_assert_eq(cpu->seg[SEG_FS].base, 0x12345678);
    cr_assert_eq(cpu->seg[SEG_FS].limit, 0xfff);
    cr_assert(st_rd32(&T, ST_GDT + 0x74) & 0x100);
}

Test(sys, seg_load_error_codes)
{
    pm_setup();
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_SS, 0), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_SS, S_DATA0 | 3), EXC_GP, S_DATA0);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_SS, S_RO), EXC_GP, S_RO);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_SS, S_DATA3 & ~3), EXC_GP, S_DATA3 & ~3);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_DS, S_NP), EXC_NP, S_NP & ~3);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_DS, S_TSS), EXC_GP, S_TSS);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_DS, 0x100), EXC_GP, 0x100);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_DS, 0x10c), EXC_GP, 0x10c);   /* LDT, none loaded */
    cr_assert_eq(cpu->seg[SEG_DS].sel, S_DATA0);   /* faults change nothing */
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_DS, 3));   /* null is fine in DS */
    cr_assert_eq(cpu->seg[SEG_DS].sel, 3);
    cr_assert(!(cpu->seg[SEG_DS].flags & SEGF_P));
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_ES, S_CONF));   /* readable code */

    /* An LDT descriptor visible through a TI=1 selector. */
    st_desc(&T, ST_LDT, 8, 0xabc000, 0xffff, ACC_DATA(3), 0);
    ST_ASSERT_OK(cpu, cpu_lldt(cpu, S_LDT));
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_GS, 0x0f));
    cr_assert_eq(cpu->seg[SEG_GS].base, 0xabc000);
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_GS, 0x1c), EXC_GP, 0x1c);  /* beyond LDT limit */
    ST_ASSERT_FAULT(cpu, cpu_lldt(cpu, S_DATA0), EXC_GP, S_DATA0);

    /* At CPL 3 a DPL 0 data segment is out of reach. */
    go_ring3();
    ST_ASSERT_FAULT(cpu, seg_load(cpu, SEG_DS, S_DATA0), EXC_GP, S_DATA0);
    ST_ASSERT_FAULT(cpu, cpu_lldt(cpu, 0), EXC_GP, 0);
}

Test(sys, iret_to_ring3_nulls_privileged_data_segments)
{
    pm_setup();
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_FS, S_DATA3));
    go_ring3();
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CODE3);
    cr_assert_eq(cpu->seg[SEG_SS].sel, S_DATA3);
    cr_assert_eq(cpu->regs[R_ESP], RING3_ESP);
    cr_assert_eq(cpu->rip, 0x2000);
    cr_assert_eq(cpu->seg[SEG_DS].sel, 0);
    cr_assert(!(cpu->seg[SEG_DS].flags & SEGF_P));
    cr_assert_eq(cpu->seg[SEG_FS].sel, S_DATA3);   /* DPL 3: kept */
    cr_assert(cpu->rflags & EFLAGS_IF);
}

Test(sys, call_gate_to_ring0_copies_params_and_returns)
{
    pm_setup();
    go_ring3();
    push32(0x11111111);
    push32(0x22222222);
    ST_ASSERT_OK(cpu, cpu_far_call(cpu, S_CGATE | 3, 0xdead, 4, 0x2005));
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CODE0);
    cr_assert_eq(cpu->rip, 0x5000);
    cr_assert_eq(cpu->seg[SEG_SS].sel, S_DATA0);
    cr_assert_eq(cpu->regs[R_ESP], RING0_ESP - 24);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 4), S_DATA3);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 8), RING3_ESP - 8);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 12), 0x11111111);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 16), 0x22222222);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 20), S_CODE3);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 24), 0x2005);

    /* RET 8 to ring 3 releases the parameters on the outer stack too. */
    ST_ASSERT_OK(cpu, cpu_far_ret(cpu, 4, 8));
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->rip, 0x2005);
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CODE3);
    cr_assert_eq(cpu->seg[SEG_SS].sel, S_DATA3);
    cr_assert_eq(cpu->regs[R_ESP], RING3_ESP);
}

Test(sys, call_gate_16bit_same_privilege)
{
    pm_setup();
    cpu->regs[R_ESP] = 0x6000;
    ST_ASSERT_OK(cpu, cpu_far_call(cpu, S_CGATE16, 0, 4, 0x1111));
    cr_assert_eq(cpu->rip, 0x6000);
    cr_assert_eq(cpu->regs[R_ESP], 0x6000 - 4);   /* 16-bit gate: word pushes */
    cr_assert_eq(st_rd16(&T, 0x5ffe), S_CODE0);
    cr_assert_eq(st_rd16(&T, 0x5ffc), 0x1111);
}

Test(sys, far_jmp_checks)
{
    pm_setup();
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, 0, 0, 4, 0), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, S_DATA0, 0, 4, 0), EXC_GP, S_DATA0);
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, S_CODE3, 0, 4, 0), EXC_GP, S_CODE3 & ~3);
    st_desc(&T, ST_GDT, 0x70, 0, 0xfff, ACC_CODE(0) & ~0x80u, 0);
    cpu->gdtr.limit = 0x77;
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, 0x70, 0, 4, 0), EXC_NP, 0x70);
    st_desc(&T, ST_GDT, 0x70, 0, 0xfff, ACC_CODE(0), 0);
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, 0x70, 0x1000, 4, 0), EXC_GP, 0);   /* beyond limit */
    ST_ASSERT_OK(cpu, cpu_far_jmp(cpu, 0x70, 0xfff, 4, 0));
    cr_assert(!(cpu->seg[SEG_CS].flags & SEGF_DB));

    /* Conforming DPL 0 code from CPL 3: CPL stays 3, CS.RPL = 3. */
    ST_ASSERT_OK(cpu, cpu_far_jmp(cpu, S_CODE0, 0x1000, 4, 0));
    go_ring3();
    ST_ASSERT_OK(cpu, cpu_far_jmp(cpu, S_CONF, 0x3000, 4, 0));
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CONF | 3);
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, S_CODE0, 0, 4, 0), EXC_GP, S_CODE0);
}

Test(sys, interrupt_gate_from_ring3_with_error_code)
{
    pm_setup();
    st_gate(&T, ST_IDT + EXC_GP * 8, S_CODE0, 0x5100, 14, 0, 0, true);
    go_ring3();
    uint32_t flags = cpu_get_eflags(cpu);
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, EXC_GP, INT_EXCEPTION, true, 0x1234, 0x2010));
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->rip, 0x5100);
    cr_assert_eq(cpu->regs[R_ESP], RING0_ESP - 24);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 4), S_DATA3);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 8), RING3_ESP);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 12), flags);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 16), S_CODE3);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 20), 0x2010);
    cr_assert_eq(st_rd32(&T, RING0_ESP - 24), 0x1234);
    cr_assert(!(cpu->rflags & EFLAGS_IF));

    cpu->regs[R_ESP] += 4;   /* the handler drops the error code */
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->rip, 0x2010);
    cr_assert_eq(cpu->regs[R_ESP], RING3_ESP);
    cr_assert(cpu->rflags & EFLAGS_IF);
}

Test(sys, int_n_through_dpl0_gate_gives_gp_with_idt_code)
{
    pm_setup();
    st_gate(&T, ST_IDT + 0x80 * 8, S_CODE0, 0x5300, 14, 0, 0, true);
    st_gate(&T, ST_IDT + EXC_GP * 8, S_CODE0, 0x5100, 15, 0, 0, true);   /* trap gate */
    go_ring3();
    cpu->priv.insn_rip = 0x2000;   /* the INT instruction (cpu_exec's checkpoint) */
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x80, INT_SOFTWARE, false, 0, 0x2002));
    cr_assert_eq(cpu->rip, 0x5100);
    /* IDT-relative error code, EXT = 0 (INT n is not external); the fault
     * points at the INT instruction. */
    cr_assert_eq(st_rd32(&T, cpu->regs[R_ESP]), 0x80 * 8 + 2);
    cr_assert_eq(st_rd32(&T, cpu->regs[R_ESP] + 4), 0x2000);
    cr_assert(cpu->rflags & EFLAGS_IF);   /* trap gate keeps IF */

    /* A DPL 3 gate works from ring 3. */
    pm_setup();
    st_gate(&T, ST_IDT + 0x80 * 8, S_CODE0, 0x5300, 14, 3, 0, true);
    go_ring3();
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x80, INT_SOFTWARE, false, 0, 0x2002));
    cr_assert_eq(cpu->rip, 0x5300);
    cr_assert_eq(cpu->regs[R_ESP], RING0_ESP - 20);
}

Test(sys, benign_then_np_is_serial_with_ext)
{
    pm_setup();
    st_gate(&T, ST_IDT + EXC_UD * 8, S_CODE0, 0x5000, 14, 0, 0, false);
    st_gate(&T, ST_IDT + EXC_NP * 8, S_CODE0, 0x5400, 14, 0, 0, true);
    uint32_t esp = cpu->regs[R_ESP];
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, EXC_UD, INT_EXCEPTION, false, 0, 0x1000));
    cr_assert_eq(cpu->rip, 0x5400);
    cr_assert_eq(cpu->regs[R_ESP], esp - 16);
    cr_assert_eq(st_rd32(&T, esp - 16), EXC_UD * 8 + 2 + 1);   /* IDT, EXT */
    cr_assert_eq(st_rd32(&T, esp - 12), 0x1000);
}

Test(sys, contributory_pair_gives_double_fault_then_shutdown)
{
    pm_setup();
    st_gate(&T, ST_IDT + EXC_GP * 8, S_CODE0, 0x5100, 14, 0, 0, false);
    st_gate(&T, ST_IDT + EXC_DF * 8, S_CODE0, 0x5800, 14, 0, 0, true);
    uint32_t esp = cpu->regs[R_ESP];
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, EXC_GP, INT_EXCEPTION, true, 0, 0x1000));
    cr_assert(!cpu->shutdown);
    cr_assert_eq(cpu->rip, 0x5800);
    cr_assert_eq(st_rd32(&T, esp - 16), 0);        /* #DF error code is 0 */
    cr_assert_eq(st_rd32(&T, esp - 12), 0x1000);

    /* #DF itself failing: triple fault, nothing delivered. */
    pm_setup();
    st_gate(&T, ST_IDT + EXC_GP * 8, S_CODE0, 0x5100, 14, 0, 0, false);
    st_gate(&T, ST_IDT + EXC_DF * 8, S_CODE0, 0x5800, 14, 0, 0, false);
    esp = cpu->regs[R_ESP];
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, EXC_GP, INT_EXCEPTION, true, 0, 0x1000));
    cr_assert(cpu->shutdown);
    cr_assert_eq(cpu->rip, 0x1000);
    cr_assert_eq(cpu->regs[R_ESP], esp);
}

Test(sys, stack_fault_on_inner_stack_is_ss_with_selector)
{
    pm_setup();
    st_gate(&T, ST_IDT + 0x40 * 8, S_CODE0, 0x5300, 14, 3, 0, true);
    st_gate(&T, ST_IDT + EXC_SS * 8, S_CODE0, 0x5500, 14, 0, 0, true);
    go_ring3();
    /* The ring-0 stack segment is too small for the frame. */
    st_desc(&T, ST_GDT, 0x70, 0, 0x10, ACC_DATA(0), 0x4);
    cpu->gdtr.limit = 0x77;
    phys_write16(T.pm, ST_TSS + 8, 0x70);
    phys_write32(T.pm, ST_TSS + 4, 0x0c);
    /* #SS(0x70) during INT n (benign) is delivered serially; its own
     * delivery faults the same way (contributory + contributory) -> #DF,
     * whose IDT entry is empty -> #GP during #DF: shutdown. */
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x40, INT_SOFTWARE, false, 0, 0x2002));
    cr_assert(cpu->shutdown);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->exc_vector, EXC_GP);
    cr_assert_eq(cpu->exc_error, EXC_DF * 8 + 2 + 1);
}

/* --------------------------------------------------------------------- tasks */

static void tss2_setup(uint32_t eip, uint32_t esp)
{
    phys_write32(T.pm, ST_TSS2 + 0x20, eip);
    phys_write32(T.pm, ST_TSS2 + 0x24, EFLAGS_FIXED1 | EFLAGS_CF);
    for (int i = 0; i < 8; i++)
        phys_write32(T.pm, ST_TSS2 + 0x28 + 4 * (uint32_t)i, 0xa0 + (uint32_t)i);
    phys_write32(T.pm, ST_TSS2 + 0x28 + 4 * R_ESP, esp);
    phys_write16(T.pm, ST_TSS2 + 0x48, S_DATA0);   /* ES */
    phys_write16(T.pm, ST_TSS2 + 0x4c, S_CODE0);   /* CS */
    phys_write16(T.pm, ST_TSS2 + 0x50, S_DATA0);   /* SS */
    phys_write16(T.pm, ST_TSS2 + 0x54, S_DATA0);   /* DS */
    phys_write16(T.pm, ST_TSS2 + 0x58, 0);
    phys_write16(T.pm, ST_TSS2 + 0x5c, 0);
    phys_write16(T.pm, ST_TSS2 + 0x60, 0);         /* no LDT */
}

static unsigned gdt_type(uint16_t sel) { return (st_rd32(&T, ST_GDT + sel + 4) >> 8) & 0xf; }

Test(sys, task_switch_by_far_jmp)
{
    pm_setup();
    tss2_setup(0x7777, 0x6800);
    cpu->regs[R_EAX] = 0x5a5a;
    ST_ASSERT_OK(cpu, cpu_far_jmp(cpu, S_TSS2, 0, 4, 0x1234));
    cr_assert_eq(cpu->tr.sel, S_TSS2);
    cr_assert_eq(cpu->rip, 0x7777);
    cr_assert_eq(cpu->regs[R_EAX], 0xa0);
    cr_assert_eq(cpu->regs[R_EDI], 0xa7);
    cr_assert_eq(cpu->regs[R_ESP], 0x6800);
    cr_assert_eq(cpu_get_eflags(cpu), EFLAGS_FIXED1 | EFLAGS_CF);
    cr_assert(cpu->cr0 & CR0_TS);
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CODE0);
    cr_assert_eq(cpu->seg[SEG_FS].sel, 0);
    /* Old task saved; busy bits moved; JMP writes no back link. */
    cr_assert_eq(st_rd32(&T, ST_TSS + 0x20), 0x1234);
    cr_assert_eq(st_rd32(&T, ST_TSS + 0x28), 0x5a5a);
    cr_assert_eq(gdt_type(S_TSS), 9);
    cr_assert_eq(gdt_type(S_TSS2), 11);
    cr_assert_eq(st_rd16(&T, ST_TSS2), 0);
    cr_assert(!(cpu->rflags & EFLAGS_NT));

    /* Jumping to a busy TSS is #GP(sel). */
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, S_TSS2, 0, 4, 0), EXC_GP, S_TSS2);
}

Test(sys, task_gate_call_and_iret_back)
{
    pm_setup();
    tss2_setup(0x7000, 0x6800);
    go_ring3();
    ST_ASSERT_OK(cpu, cpu_far_call(cpu, S_TGATE | 3, 0, 4, 0x2222));
    cr_assert_eq(cpu->tr.sel, S_TSS2);
    cr_assert_eq(cpu->cpl, 0);
    cr_assert(cpu->rflags & EFLAGS_NT);
    cr_assert_eq(st_rd16(&T, ST_TSS2), S_TSS);   /* back link */
    cr_assert_eq(gdt_type(S_TSS), 11);
    cr_assert_eq(gdt_type(S_TSS2), 11);

    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
    cr_assert_eq(cpu->tr.sel, S_TSS);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->rip, 0x2222);
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CODE3);
    cr_assert_eq(cpu->regs[R_ESP], RING3_ESP);
    cr_assert_eq(gdt_type(S_TSS2), 9);
    cr_assert_eq(gdt_type(S_TSS), 11);
    /* The task we left had NT cleared in its saved EFLAGS. */
    cr_assert(!(st_rd32(&T, ST_TSS2 + 0x24) & EFLAGS_NT));
}

Test(sys, exception_through_task_gate_pushes_error_code)
{
    pm_setup();
    tss2_setup(0x7100, 0x6800);
    st_gate(&T, ST_IDT + EXC_TS * 8, S_TSS2, 0, 5, 0, 0, true);
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, EXC_TS, INT_EXCEPTION, true, 0x28, 0x1000));
    cr_assert_eq(cpu->tr.sel, S_TSS2);
    cr_assert_eq(cpu->rip, 0x7100);
    cr_assert_eq(cpu->regs[R_ESP], 0x6800 - 4);
    cr_assert_eq(st_rd32(&T, 0x6800 - 4), 0x28);
    cr_assert(cpu->rflags & EFLAGS_NT);
    cr_assert_eq(st_rd32(&T, ST_TSS + 0x20), 0x1000);
}

Test(sys, task_switch_bad_new_cs_is_ts)
{
    pm_setup();
    tss2_setup(0x7000, 0x6800);
    phys_write16(T.pm, ST_TSS2 + 0x4c, S_DATA0);   /* CS names a data segment */
    ST_ASSERT_FAULT(cpu, cpu_far_jmp(cpu, S_TSS2, 0, 4, 0x1234), EXC_TS, S_DATA0);
    /* Past the commit point: the fault belongs to the new task, at its first
     * instruction, and cpu_exec's rollback point says so. */
    cr_assert_eq(cpu->tr.sel, S_TSS2);
    cr_assert_eq(cpu->rip, 0x7000);
    cr_assert_eq(cpu->priv.insn_rip, 0x7000);
    cr_assert_eq(cpu->priv.insn_rsp, 0x6800);
    cr_assert_eq(st_rd32(&T, ST_TSS + 0x20), 0x1234);
}

/* ------------------------------------------------------------------- v86 mode */

Test(sys, iret_to_vm86_and_interrupt_back_to_ring0)
{
    pm_setup();
    st_gate(&T, ST_IDT + 0x20 * 8, S_CODE0, 0x5200, 14, 0, 0, true);
    push32(0x7000); push32(0x6000); push32(0x5000); push32(0x4000);   /* GS FS DS ES */
    push32(0x3000); push32(0x0ffe);                                   /* SS ESP */
    push32(EFLAGS_VM | EFLAGS_IF | EFLAGS_FIXED1);
    push32(0x2000); push32(0x0100);                                   /* CS EIP */
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
    cr_assert(cpu_vm86(cpu));
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x20000);
    cr_assert_eq(cpu->seg[SEG_CS].limit, 0xffff);
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x50000);
    cr_assert_eq(cpu->seg[SEG_GS].base, 0x70000);
    cr_assert_eq(cpu->regs[R_ESP], 0x0ffe);
    cr_assert_eq(cpu->rip, 0x100);

    /* IOPL 0: IRET in v86 is #GP(0); I/O uses only the bitmap. */
    ST_ASSERT_FAULT(cpu, cpu_iret(cpu, 2), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_check_io(cpu, 0, 1), EXC_GP, 0);
    ST_ASSERT_OK(cpu, cpu_check_io(cpu, 1, 1));

    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x20, INT_EXTERNAL, false, 0, 0x0105));
    cr_assert(!cpu_vm86(cpu));
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->rip, 0x5200);
    cr_assert_eq(cpu->regs[R_ESP], RING0_ESP - 36);
    static const uint32_t frame[9] = {
        0x0105, 0x2000, EFLAGS_VM | EFLAGS_IF | EFLAGS_FIXED1, 0x0ffe, 0x3000,
        0x4000, 0x5000, 0x6000, 0x7000,
    };
    for (int i = 0; i < 9; i++)
        cr_assert_eq(st_rd32(&T, RING0_ESP - 36 + 4 * (uint32_t)i), frame[i], "slot %d", i);
    cr_assert_eq(cpu->seg[SEG_DS].sel, 0);
    cr_assert_eq(cpu->seg[SEG_GS].sel, 0);

    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
    cr_assert(cpu_vm86(cpu));
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x50000);
    cr_assert_eq(cpu->rip, 0x105);
    cr_assert_eq(cpu->regs[R_ESP], 0x0ffe);
}

Test(sys, vm86_software_int_needs_dpl3_gate_and_ring0_handler)
{
    pm_setup();
    st_gate(&T, ST_IDT + 0x21 * 8, S_CODE0, 0x5200, 14, 0, 0, true);
    st_gate(&T, ST_IDT + EXC_GP * 8, S_CODE0, 0x5100, 14, 0, 0, true);
    push32(0); push32(0); push32(0); push32(0);
    push32(0x3000); push32(0x0ffe);
    push32(EFLAGS_VM | EFLAGS_IOPL | EFLAGS_FIXED1);
    push32(0x2000); push32(0x0100);
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
    cr_assert(cpu_vm86(cpu));
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x21, INT_SOFTWARE, false, 0, 0x102));
    cr_assert_eq(cpu->rip, 0x5100);
    cr_assert_eq(st_rd32(&T, cpu->regs[R_ESP]), 0x21 * 8 + 2);

    /* With IOPL 3 an IRET inside v86 works and keeps IOPL and VM. */
    pm_setup();
    push32(0); push32(0); push32(0); push32(0);
    push32(0x3000); push32(0x0ff0);
    push32(EFLAGS_VM | EFLAGS_IOPL | EFLAGS_FIXED1);
    push32(0x2000); push32(0x0100);
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
    phys_write16(T.pm, 0x30ff0, 0x0200);             /* IP */
    phys_write16(T.pm, 0x30ff2, 0x2100);             /* CS */
    phys_write16(T.pm, 0x30ff4, EFLAGS_CF | EFLAGS_FIXED1);   /* FLAGS with IOPL 0 */
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 2));
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x21000);
    cr_assert_eq(cpu->rip, 0x200);
    cr_assert_eq(cpu_get_eflags(cpu), EFLAGS_VM | EFLAGS_IOPL | EFLAGS_CF | EFLAGS_FIXED1);
}

/* ------------------------------------------------------------------ I/O, CRs */

Test(sys, io_bitmap)
{
    pm_setup();
    ST_ASSERT_OK(cpu, cpu_check_io(cpu, 0, 1));   /* CPL 0 <= IOPL 0 */
    go_ring3();
    ST_ASSERT_FAULT(cpu, cpu_check_io(cpu, 0, 1), EXC_GP, 0);
    ST_ASSERT_OK(cpu, cpu_check_io(cpu, 1, 4));
    ST_ASSERT_OK(cpu, cpu_check_io(cpu, 0x0e, 2));
    ST_ASSERT_FAULT(cpu, cpu_check_io(cpu, 0x0f, 2), EXC_GP, 0);   /* covers port 16 */
    ST_ASSERT_OK(cpu, cpu_check_io(cpu, 0x38, 1));                 /* last byte in the map */
    ST_ASSERT_FAULT(cpu, cpu_check_io(cpu, 0x40, 1), EXC_GP, 0);   /* beyond the TSS limit */
}

Test(sys, control_registers)
{
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 0, CR0_PG | CR0_ET), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 0, CR0_PE | CR0_NW), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 4, CR4_VME), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 1, 0), EXC_UD, 0);
    ST_ASSERT_OK(cpu, cpu_write_cr(cpu, 4, CR4_PSE | CR4_PGE | CR4_OSFXSR));
    cr_assert_eq(cpu_read_cr(cpu, 4), CR4_PSE | CR4_PGE | CR4_OSFXSR);
    ST_ASSERT_OK(cpu, cpu_write_cr(cpu, 0, CR0_PE | CR0_TS));
    cr_assert_eq(cpu->cr0, CR0_PE | CR0_TS | CR0_ET);   /* ET is hardwired to 1 */
    ST_ASSERT_OK(cpu, cpu_write_cr(cpu, 3, 0x123000));
    cr_assert_eq(cpu_read_cr(cpu, 3), 0x123000);
    /* CLTS as the interpreter implements it. */
    ST_ASSERT_OK(cpu, cpu_write_cr(cpu, 0, cpu->cr0 & ~CR0_TS));
    cr_assert(!(cpu->cr0 & CR0_TS));
    pm_setup();
    go_ring3();
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 0, cpu->cr0 & ~CR0_TS), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_read_cr(cpu, 3), EXC_GP, 0);
}

/* CR8 (64-bit mode) is TPR[7:4] of the local APIC (SDM Vol. 3A 10.8.6.1):
 * a write of n sets TPR = n << 4, a read gives TPR >> 4 (TPR[3:0] dropped);
 * bits 63:4 of the source are reserved (#GP(0)). A stand-in APIC here; the
 * PC's wiring goes to lapic_reg_read/lapic_reg_write(0x80). */
static uint8_t fake_tpr;
static uint8_t fake_read_tpr(void *apic) { (void)apic; return fake_tpr; }
static void fake_write_tpr(void *apic, uint8_t v) { (void)apic; fake_tpr = v; }

Test(sys, cr8_is_the_task_priority)
{
    static const struct cpu_apic_ops ops = { .read_tpr = fake_read_tpr, .write_tpr = fake_write_tpr };
    const struct cpu_apic_ops *saved = cpu->apic_ops;
    cpu->apic_ops = &ops;
    fake_tpr = 0x3c;
    cr_assert_eq(cpu_read_cr(cpu, 8), 3);
    ST_ASSERT_OK(cpu, cpu_write_cr(cpu, 8, 0xa));
    cr_assert_eq(fake_tpr, 0xa0);
    cr_assert_eq(cpu_read_cr(cpu, 8), 0xa);
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 8, 0x10), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 8, 1ull << 63), EXC_GP, 0);
    cr_assert_eq(fake_tpr, 0xa0, "a faulting write leaves the TPR");
    cpu->apic_ops = saved;
}

Test(sys, debug_registers)
{
    ST_ASSERT_OK(cpu, cpu_write_dr(cpu, 0, 0x1000));
    /* L0, RW0 = 01 (write), LEN0 = 11 (4 bytes). */
    ST_ASSERT_OK(cpu, cpu_write_dr(cpu, 7, 0x1 | (1u << 16) | (3u << 18)));
    cr_assert_eq(cpu_read_dr(cpu, 7), 0x1 | (1u << 16) | (3u << 18) | 0x400);
    cr_assert_eq(cpu_read_dr(cpu, 5), cpu_read_dr(cpu, 7));   /* DR5 aliases DR7 */
    cr_assert(cpu_breakpoints_armed(cpu));
    cr_assert(!cpu_check_data_breakpoint(cpu, 0x1002, 1, false));
    cr_assert(!cpu_check_data_breakpoint(cpu, 0x1004, 4, true));
    cr_assert(cpu_check_data_breakpoint(cpu, 0x0fff, 2, true));
    cr_assert(cpu->priv.sys.db_trap_pending);
    cr_assert_eq(cpu_read_dr(cpu, 6) & 0xf, 1);

    /* Execute breakpoint on DR1: a fault unless RF. */
    ST_ASSERT_OK(cpu, cpu_write_dr(cpu, 1, 0x2000));
    ST_ASSERT_OK(cpu, cpu_write_dr(cpu, 7, 0x4));
    ST_ASSERT_OK(cpu, cpu_check_code_breakpoint(cpu, 0x2001));
    ST_ASSERT_FAULT(cpu, cpu_check_code_breakpoint(cpu, 0x2000), EXC_DB, 0);
    cr_assert_eq(cpu->dr[6] & 0xf, 2);
    cpu_set_eflags(cpu, EFLAGS_RF);
    ST_ASSERT_OK(cpu, cpu_check_code_breakpoint(cpu, 0x2000));

    /* GD: the next MOV DR faults with BD and clears GD. */
    ST_ASSERT_OK(cpu, cpu_write_dr(cpu, 7, 0x2000));
    ST_ASSERT_FAULT(cpu, cpu_read_dr(cpu, 0), EXC_DB, 0);
    cr_assert(cpu->dr[6] & 0x2000);
    ST_ASSERT_OK(cpu, cpu_read_dr(cpu, 0));

    cpu->cr4 |= CR4_DE;
    ST_ASSERT_FAULT(cpu, cpu_read_dr(cpu, 4), EXC_UD, 0);
}

/* ------------------------------------------------------- MSRs, CPUID, SYSENTER */

Test(sys, msrs)
{
    ST_ASSERT_FAULT(cpu, cpu_rdmsr(cpu, 0x12345), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0x12345, 0), EXC_GP, 0);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x174, 0x10));
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x175, 0xc0001000));
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x176, 0xc0100000));
    volatile uint64_t v = 0;   /* assigned between setjmp and longjmp */
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0x175));
    cr_assert_eq(v, 0xc0001000);
    /* No local APIC: globally disabled, and it cannot be enabled. */
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0x1b));
    cr_assert_eq(v, 0xfee00100);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x1b, 0xfee00900));
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0x1b));
    cr_assert_eq(v, 0xfee00100);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0x1b, 0xfee00001), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0x1b, 0xfee00c00), EXC_GP, 0);   /* no x2APIC */
    ST_ASSERT_FAULT(cpu, cpu_rdmsr(cpu, 0x6e0), EXC_GP, 0);   /* TSC_DEADLINE needs an APIC */
    /* PAT: power-on value; types 2 and 3 are reserved. */
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0x277));
    cr_assert_eq(v, 0x0007040600070406ull);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0x277, 0x0007040600070402ull), EXC_GP, 0);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x277, 0x0007010600070106ull));
    /* MTRRs. */
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0xfe));
    cr_assert_eq(v, 0x508);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0xfe, 0), EXC_GP, 0);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x200, 0x00000006));
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x201, 0xff0000800ull));
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0x200, 0x00000002), EXC_GP, 0);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x2ff, 0xc06));
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x250, 0x0606060606060606ull));
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0x250));
    cr_assert_eq(v, 0x0606060606060606ull);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x26f, 0x0505050505050505ull));
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0x251, 0), EXC_GP, 0);
    /* EFER: only NXE. */
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0xc0000080u, EFER_NXE));
    cr_assert_eq(cpu->efer, EFER_NXE);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0xc0000080u, 1u << 8), EXC_GP, 0);   /* LME */
    /* Privileged. */
    pm_setup();
    go_ring3();
    ST_ASSERT_FAULT(cpu, cpu_rdmsr(cpu, 0x10), EXC_GP, 0);
}

Test(sys, tsc_follows_icount_deterministically)
{
    cpu->icount = 1000;
    cr_assert_eq(cpu_rdtsc(cpu), 1000 * CPU_TSC_PER_INSN);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x10, 50000));
    cr_assert_eq(cpu_rdtsc(cpu), 50000);
    cpu->icount += 10;
    cr_assert_eq(cpu_rdtsc(cpu), 50000 + 10 * CPU_TSC_PER_INSN);
    cpu->cr4 |= CR4_TSD;
    pm_setup();
    cpu->cr4 |= CR4_TSD;
    go_ring3();
    ST_ASSERT_FAULT(cpu, cpu_rdtsc(cpu), EXC_GP, 0);
}

Test(sys, cpuid)
{
    uint32_t r[4];
    cpu_cpuid(cpu, 0, 0, r);
    char vendor[13] = { 0 };
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    cr_assert_str_eq(vendor, "GenuineIntel");
    cr_assert_eq(r[0], 1);
    cpu_cpuid(cpu, 1, 0, r);
    cr_assert_eq(r[0], 0x663, "family 6 model 6 stepping 3, as QEMU's qemu32");
    uint32_t must = (1u << 4) | (1u << 5) | (1u << 8) | (1u << 11) | (1u << 13) | (1u << 15);
    cr_assert_eq(r[3] & must, must);
    cr_assert_eq(r[3] & (1u << 9), 0, "no local APIC reported (none wired)");
    cr_assert_eq(r[2] & (1u << 24), 0, "no TSC-deadline without an APIC");
    cr_assert_eq(r[3] & (1u << 1), 0, "VME not implemented");
    cpu_cpuid(cpu, 0x80000000u, 0, r);
    cr_assert_eq(r[0], 0x80000004u);
    char brand[49] = { 0 };
    for (uint32_t i = 0; i < 3; i++) {
        cpu_cpuid(cpu, 0x80000002u + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    cr_assert_str_eq(brand, "softvm virtual CPU");
    cpu_cpuid(cpu, 0x1234, 0, r);
    cr_assert_eq(r[0] | r[1] | r[2] | r[3], 0);
}

Test(sys, sysenter_sysexit)
{
    ST_ASSERT_FAULT(cpu, cpu_sysenter(cpu), EXC_GP, 0);   /* real mode */
    pm_setup();
    go_ring3();
    ST_ASSERT_FAULT(cpu, cpu_sysenter(cpu), EXC_GP, 0);   /* SYSENTER_CS = 0 */
    cpu->cpl = 0;
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x174, S_CODE0));
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x175, 0x8000));
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x176, 0x5600));
    cpu->cpl = 3;
    ST_ASSERT_OK(cpu, cpu_sysenter(cpu));
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->seg[SEG_CS].sel, S_CODE0);
    cr_assert_eq(cpu->seg[SEG_SS].sel, S_CODE0 + 8);
    cr_assert_eq(cpu->regs[R_ESP], 0x8000);
    cr_assert_eq(cpu->rip, 0x5600);
    cr_assert(!(cpu->rflags & EFLAGS_IF));
    cpu->regs[R_ECX] = 0x6000;
    cpu->regs[R_EDX] = 0x2100;
    ST_ASSERT_OK(cpu, cpu_sysexit(cpu));
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_CS].sel, (S_CODE0 + 16) | 3);
    cr_assert_eq(cpu->seg[SEG_SS].sel, (S_CODE0 + 24) | 3);
    cr_assert_eq(cpu->regs[R_ESP], 0x6000);
    cr_assert_eq(cpu->rip, 0x2100);
    ST_ASSERT_FAULT(cpu, cpu_sysexit(cpu), EXC_GP, 0);
}

Test(sys, lar_lsl_verr_verw)
{
    uint32_t v = 0;
    ST_ASSERT_FAULT(cpu, cpu_lar(cpu, S_CODE0, &v), EXC_UD, 0);   /* real mode */
    pm_setup();
    cr_assert(cpu_lar(cpu, S_CODE3, &v));
    cr_assert_eq(v, 0x00cffb00);
    cr_assert(cpu_lsl(cpu, S_DATA0, &v));
    cr_assert_eq(v, 0xffffffffu);
    cr_assert(cpu_lsl(cpu, S_TSS, &v));
    cr_assert_eq(v, 0x70);
    cr_assert(!cpu_lsl(cpu, S_CGATE, &v));       /* gates have no limit */
    cr_assert(cpu_lar(cpu, S_CGATE, &v));
    cr_assert(!cpu_lar(cpu, 0, &v));
    cr_assert(!cpu_lar(cpu, 0x200, &v));         /* beyond the GDT */
    cr_assert(cpu_verr(cpu, S_CODE0));
    cr_assert(!cpu_verw(cpu, S_CODE0));
    cr_assert(cpu_verw(cpu, S_DATA0));
    cr_assert(cpu_verr(cpu, S_RO));
    cr_assert(!cpu_verw(cpu, S_RO));
    go_ring3();
    cr_assert(!cpu_verr(cpu, S_DATA0));          /* DPL 0 < CPL 3 */
    cr_assert(cpu_verr(cpu, S_CONF));            /* conforming: no privilege check */
    cr_assert(cpu_verw(cpu, S_DATA3));
    cr_assert(!cpu_lar(cpu, S_CODE0, &v));
}

/* ------------------------------------------------ NMI, EXT, 16-bit TSS */

Test(sys, nmi_blocked_until_iret)
{
    pm_setup();
    st_gate(&T, ST_IDT + EXC_NMI * 8, S_CODE0, 0x5600, 14, 0, 0, true);
    cr_assert(!cpu_nmi_blocked(cpu));
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, EXC_NMI, INT_NMI, false, 0, 0x1000));
    cr_assert_eq(cpu->rip, 0x5600);
    cr_assert(cpu_nmi_blocked(cpu));
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 4));
    cr_assert_eq(cpu->rip, 0x1000);
    cr_assert(!cpu_nmi_blocked(cpu));
}

Test(sys, external_interrupt_fault_sets_ext)
{
    pm_setup();
    st_gate(&T, ST_IDT + 0x50 * 8, S_CODE0, 0x5000, 14, 0, 0, false);
    st_gate(&T, ST_IDT + EXC_NP * 8, S_CODE0, 0x5400, 14, 0, 0, true);
    uint32_t esp = cpu->regs[R_ESP];
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x50, INT_EXTERNAL, false, 0, 0x1000));
    cr_assert_eq(cpu->rip, 0x5400);
    cr_assert_eq(st_rd32(&T, esp - 16), 0x50 * 8 + 2 + 1);
    /* A gate pointing at a null selector: #GP(EXT). */
    pm_setup();
    st_gate(&T, ST_IDT + 0x51 * 8, 0, 0x5000, 14, 0, 0, true);
    st_gate(&T, ST_IDT + EXC_GP * 8, S_CODE0, 0x5100, 14, 0, 0, true);
    esp = cpu->regs[R_ESP];
    ST_ASSERT_OK(cpu, cpu_deliver_interrupt(cpu, 0x51, INT_EXTERNAL, false, 0, 0x1000));
    cr_assert_eq(cpu->rip, 0x5100);
    cr_assert_eq(st_rd32(&T, esp - 16), 1);
}

Test(sys, task_switch_to_16bit_tss)
{
    pm_setup();
    st_desc(&T, ST_GDT, 0x70, ST_TSS16, 0x2b, 0x81, 0);   /* available 16-bit TSS */
    cpu->gdtr.limit = 0x77;
    phys_write16(T.pm, ST_TSS16 + 0x0e, 0x4321);          /* IP */
    phys_write16(T.pm, ST_TSS16 + 0x10, 0x0003);          /* FLAGS: CF */
    phys_write16(T.pm, ST_TSS16 + 0x12, 0xaaaa);          /* AX */
    phys_write16(T.pm, ST_TSS16 + 0x12 + 2 * R_ESP, 0x6000);
    phys_write16(T.pm, ST_TSS16 + 0x22, S_DATA0);         /* ES */
    phys_write16(T.pm, ST_TSS16 + 0x24, S_CODE0);         /* CS */
    phys_write16(T.pm, ST_TSS16 + 0x26, S_DATA0);         /* SS */
    phys_write16(T.pm, ST_TSS16 + 0x28, S_DATA0);         /* DS */
    cpu->regs[R_EAX] = 0x12345678;
    ST_ASSERT_OK(cpu, cpu_far_call(cpu, 0x70, 0, 4, 0x1111));
    cr_assert_eq(cpu->tr.sel, 0x70);
    cr_assert_eq(SEGF_TYPE(cpu->tr.flags), 3);            /* busy 16-bit TSS */
    cr_assert_eq(cpu->rip, 0x4321);
    cr_assert_eq(cpu->regs[R_EAX], 0x1234aaaa);           /* upper half kept */
    cr_assert_eq(cpu_get_eflags(cpu), EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_NT);
    cr_assert_eq(st_rd16(&T, ST_TSS16), S_TSS);           /* back link */
    ST_ASSERT_OK(cpu, cpu_iret(cpu, 2));
    cr_assert_eq(cpu->tr.sel, S_TSS);
    cr_assert_eq(cpu->rip, 0x1111);
    cr_assert_eq(cpu->regs[R_EAX], 0x12345678);
    cr_assert_eq(st_rd16(&T, ST_TSS16 + 0x0e), 0x4321);  /* the 16-bit task's IP saved */
    cr_assert_eq(gdt_type(0x70), 1);
}

/* ------------------------------------------------ more architected error codes */

Test(sys, call_gate_error_codes)
{
    pm_setup();
    go_ring3();
    /* Gate not present: #NP(gate selector). */
    st_gate(&T, ST_GDT + S_CGATE, S_CODE0, 0x5000, 12, 3, 2, false);
    ST_ASSERT_FAULT(cpu, cpu_far_call(cpu, S_CGATE | 3, 0, 4, 0), EXC_NP, S_CGATE);
    /* Gate DPL 0 < CPL 3: #GP(gate selector). */
    st_gate(&T, ST_GDT + S_CGATE, S_CODE0, 0x5000, 12, 0, 2, true);
    ST_ASSERT_FAULT(cpu, cpu_far_call(cpu, S_CGATE | 3, 0, 4, 0), EXC_GP, S_CGATE);
    /* Inner stack selector in the TSS is a code segment: #TS(SS selector). */
    st_gate(&T, ST_GDT + S_CGATE, S_CODE0, 0x5000, 12, 3, 2, true);
    phys_write16(T.pm, ST_TSS + 8, S_CODE0);
    ST_ASSERT_FAULT(cpu, cpu_far_call(cpu, S_CGATE | 3, 0, 4, 0), EXC_TS, S_CODE0);
    /* Inner stack not present: #SS(SS selector). */
    st_desc(&T, ST_GDT, 0x70, 0, 0xfffff, ACC_DATA(0) & ~0x80u, FLAGS_32);
    cpu->gdtr.limit = 0x77;
    phys_write16(T.pm, ST_TSS + 8, 0x70);
    ST_ASSERT_FAULT(cpu, cpu_far_call(cpu, S_CGATE | 3, 0, 4, 0), EXC_SS, 0x70);
    /* Nothing changed by the faults. */
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->regs[R_ESP], RING3_ESP);
    cr_assert_eq(cpu->seg[SEG_SS].sel, S_DATA3);
}

Test(sys, iret_nt_to_free_tss_is_ts)
{
    pm_setup();
    phys_write16(T.pm, ST_TSS, S_TSS2);            /* back link to a TSS that is not busy */
    cpu_set_eflags(cpu, EFLAGS_FIXED1 | EFLAGS_NT);
    ST_ASSERT_FAULT(cpu, cpu_iret(cpu, 4), EXC_TS, S_TSS2);
}

Test(sys, far_ret_checks)
{
    pm_setup();
    /* RET to a more privileged level: #GP(selector). */
    go_ring3();
    push32(S_CODE0);
    push32(0x1000);
    ST_ASSERT_FAULT(cpu, cpu_far_ret(cpu, 4, 0), EXC_GP, S_CODE0);
    /* The CS half of the frame beyond the stack limit: #SS(0). */
    st_desc(&T, ST_GDT, 0x70, 0, 0xfff, ACC_DATA(3), 0x4);
    cpu->gdtr.limit = 0x77;
    ST_ASSERT_OK(cpu, seg_load(cpu, SEG_SS, 0x73));
    cpu->regs[R_ESP] = 0xffc;
    ST_ASSERT_FAULT(cpu, cpu_far_ret(cpu, 4, 0), EXC_SS, 0);
}

/* CPUID leaf 7 features a model may offer (-cpu max): UMIP gates CR4 bit 11,
 * TSC_ADJUST follows TSC writes (SDM Vol. 3B 17.17.3). */
Test(sys, leaf7_umip_and_tsc_adjust)
{
    uint32_t r[4];
    cpu_cpuid(cpu, 7, 0, r);
    cr_assert_eq(r[0] | r[1] | r[2] | r[3], 0, "qemu32: no leaf 7");
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 4, CR4_UMIP), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_rdmsr(cpu, 0x3b), EXC_GP, 0);
    cpu->feat7_ebx = CPUID7_EBX_TSC_ADJUST;
    cpu->feat7_ecx = CPUID7_ECX_UMIP;
    cpu_cpuid(cpu, 0, 0, r);
    cr_assert_eq(r[0], 7);
    cpu_cpuid(cpu, 7, 0, r);
    cr_assert_eq(r[1], 1u << 1);
    cr_assert_eq(r[2], 1u << 2);
    ST_ASSERT_OK(cpu, cpu_write_cr(cpu, 4, CR4_UMIP));
    cr_assert_eq(cpu->cr4, CR4_UMIP);
    volatile uint64_t v = 0;
    cpu->icount = 1000;
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0x3b));
    cr_assert_eq(v, 0);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x10, 5000));      /* TSC 1000 -> 5000 */
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0x3b));
    cr_assert_eq(v, 4000);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0x3b, 1000));      /* TSC moves back by 3000 */
    cr_assert_eq(cpu_rdtsc(cpu), 2000);
}

/* SMEP and SMAP (CPUID.(EAX=7,ECX=0):EBX bits 7 and 20) gate CR4 bits 20
 * and 21 (SDM Vol. 3A 2.5: setting a reserved CR4 bit is #GP(0)); RDTSCP
 * (CPUID.80000001H:EDX bit 27) comes with IA32_TSC_AUX (0xC0000103), whose
 * bits 63:32 are reserved (SDM Vol. 4 table 2-2). */
Test(sys, smep_smap_cr4_and_tsc_aux)
{
    uint32_t r[4];
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 4, 1u << 20), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_write_cr(cpu, 4, 1u << 21), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_rdmsr(cpu, 0xc0000103), EXC_GP, 0);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0xc0000103, 1), EXC_GP, 0);
    cpu_cpuid(cpu, 0x80000001u, 0, r);
    cr_assert_eq(r[3] & (1u << 27), 0);

    cpu->feat7_ebx = (1u << 7) | (1u << 20);
    cpu->feat_rdtscp = true;
    cpu_cpuid(cpu, 0, 0, r);
    cr_assert_eq(r[0], 7);
    cpu_cpuid(cpu, 7, 0, r);
    cr_assert_eq(r[1], (1u << 7) | (1u << 20));
    cpu_cpuid(cpu, 0x80000001u, 0, r);
    cr_assert_eq(r[3] & (1u << 27), 1u << 27);
    ST_ASSERT_OK(cpu, cpu_write_cr(cpu, 4, (1u << 20) | (1u << 21)));
    cr_assert_eq(cpu->cr4, (1u << 20) | (1u << 21));
    volatile uint64_t v = 1;
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0xc0000103));
    cr_assert_eq(v, 0);
    ST_ASSERT_OK(cpu, cpu_wrmsr(cpu, 0xc0000103, 0xfedcba98));
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0xc0000103));
    cr_assert_eq(v, 0xfedcba98);
    ST_ASSERT_FAULT(cpu, cpu_wrmsr(cpu, 0xc0000103, 1ull << 32), EXC_GP, 0);
    ST_ASSERT_OK(cpu, v = cpu_rdmsr(cpu, 0xc0000103));
    cr_assert_eq(v, 0xfedcba98);
}
