/*
 * task.c - hardware task switching: JMP/CALL to a TSS or task gate, INT
 * through a task gate and IRET with NT=1, for 16- and 32-bit TSSs. Saves the
 * outgoing task into its TSS, maintains the busy bits and the NT/back-link
 * nesting, loads CR3, the LDT and the new segment registers with the
 * task-switch checks (#TS/#NP/#SS), and sets CR0.TS.
 *
 * Spec: Intel SDM Vol. 3A ch. 7 (7.2 TSS layout, 7.3 task switching,
 * 7.4 task linking), Vol. 2 JMP/CALL/IRET "TASK-SWITCH".
 *
 * A fault after the commit point (a bad selector in the new TSS) is
 * delivered in the new task, at its first instruction (SDM Vol. 3A 7.3):
 * sys_task_committed moves the rollback points there. The segment
 * registers not yet loaded at that moment hold their selectors with
 * unusable caches.
 */
#include "cpu/sys_internal.h"

/* The state a TSS holds, in one format for both TSS sizes. */
struct tss_state {
    uint32_t cr3, eip, eflags, regs[8];
    uint16_t seg[SEG_COUNT], ldt;
};

/* TSS field offsets (SDM Vol. 3A figures 7-2 and 7-11). Segment order ES CS SS DS FS GS. */
#define TSS32_CR3 0x1c
#define TSS32_EIP 0x20
#define TSS32_EFLAGS 0x24
#define TSS32_REGS 0x28
#define TSS32_SEGS 0x48
#define TSS32_LDT 0x60
#define TSS16_IP 0x0e
#define TSS16_FLAGS 0x10
#define TSS16_REGS 0x12
#define TSS16_SEGS 0x22
#define TSS16_LDT 0x2a

static void tss_read(struct cpu *cpu, uint32_t base, bool is32, struct tss_state *t,
                     const struct cpu *cur)
{
    if (is32) {
        t->cr3 = mmu_read32_sys(cpu, base + TSS32_CR3);
        t->eip = mmu_read32_sys(cpu, base + TSS32_EIP);
        t->eflags = mmu_read32_sys(cpu, base + TSS32_EFLAGS);
        for (int i = 0; i < 8; i++)
            t->regs[i] = mmu_read32_sys(cpu, base + TSS32_REGS + 4 * (uint32_t)i);
        for (int i = 0; i < SEG_COUNT; i++)
            t->seg[i] = mmu_read16_sys(cpu, base + TSS32_SEGS + 4 * (uint32_t)i);
        t->ldt = mmu_read16_sys(cpu, base + TSS32_LDT);
    } else {
        /* A 16-bit TSS has no CR3 and only the low halves of the registers:
         * the upper halves keep their values. */
        t->cr3 = cur->cr3;
        t->eip = mmu_read16_sys(cpu, base + TSS16_IP);
        t->eflags = mmu_read16_sys(cpu, base + TSS16_FLAGS);
        for (int i = 0; i < 8; i++)
            t->regs[i] = (cpu_reg32(cur, i) & 0xffff0000u) |
                         mmu_read16_sys(cpu, base + TSS16_REGS + 2 * (uint32_t)i);
        for (int i = 0; i < 4; i++)   /* ES CS SS DS only */
            t->seg[i] = mmu_read16_sys(cpu, base + TSS16_SEGS + 2 * (uint32_t)i);
        t->seg[SEG_FS] = t->seg[SEG_GS] = 0;
        t->ldt = mmu_read16_sys(cpu, base + TSS16_LDT);
    }
}

/* Save the dynamic fields of the outgoing task. */
static void tss_save(struct cpu *cpu, uint32_t base, bool is32, uint32_t eip, uint32_t eflags)
{
    if (is32) {
        mmu_write32_sys(cpu, base + TSS32_EIP, eip);
        mmu_write32_sys(cpu, base + TSS32_EFLAGS, eflags);
        for (int i = 0; i < 8; i++)
            mmu_write32_sys(cpu, base + TSS32_REGS + 4 * (uint32_t)i, cpu_reg32(cpu, i));
        for (int i = 0; i < SEG_COUNT; i++)
            mmu_write16_sys(cpu, base + TSS32_SEGS + 4 * (uint32_t)i, cpu->seg[i].sel);
    } else {
        mmu_write16_sys(cpu, base + TSS16_IP, (uint16_t)eip);
        mmu_write16_sys(cpu, base + TSS16_FLAGS, (uint16_t)eflags);
        for (int i = 0; i < 8; i++)
            mmu_write16_sys(cpu, base + TSS16_REGS + 2 * (uint32_t)i, (uint16_t)cpu_reg32(cpu, i));
        for (int i = 0; i < 4; i++)
            mmu_write16_sys(cpu, base + TSS16_SEGS + 2 * (uint32_t)i, cpu->seg[i].sel);
    }
}

/* Set or clear the busy bit (type bit 1) of the TSS descriptor sel in the GDT. */
static void tss_set_busy(struct cpu *cpu, uint16_t sel, bool busy)
{
    uint64_t a;
    if (!desc_addr(cpu, sel & ~4u, &a))
        return;
    uint32_t hi = mmu_read32_sys(cpu, a + 4);
    hi = busy ? hi | 0x200 : hi & ~0x200u;
    mmu_write32_sys(cpu, a + 4, hi);
}

static void load_task_ldt(struct cpu *cpu, uint16_t sel, uint32_t ext)
{
    uint32_t code = (sel & 0xfffcu) | ext;
    if ((sel & ~3u) == 0) {
        seg_set_null(&cpu->ldtr, sel);
        return;
    }
    struct desc d;
    if ((sel & 4) || !desc_fetch(cpu, sel, &d) || desc_is_seg(d) || desc_type(d) != SYS_LDT)
        cpu_raise(cpu, EXC_TS, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_TS, true, code);
    seg_set_cache(&cpu->ldtr, sel, d);
}

static void load_task_cs(struct cpu *cpu, uint16_t sel, uint32_t ext)
{
    uint32_t code = (sel & 0xfffcu) | ext;
    struct desc d;
    if ((sel & ~3u) == 0 || !desc_fetch(cpu, sel, &d) || !desc_is_code(d))
        cpu_raise(cpu, EXC_TS, true, code);
    unsigned rpl = sel & 3;
    if (desc_conforming(d) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)
        cpu_raise(cpu, EXC_TS, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
    desc_set_accessed(cpu, sel, &d);
    load_cs(cpu, sel, d, (int)rpl);
}

void task_switch(struct cpu *cpu, uint16_t sel, struct desc d, enum task_reason why,
                 uint32_t next_eip, bool has_error, uint32_t error_code, uint32_t ext)
{
    uint32_t code = (sel & 0xfffcu) | ext;
    bool new32 = desc_type(d) & 8;
    uint32_t nbase = desc_base(d), nlimit = desc_limit(d);
    if (nlimit < (new32 ? 0x67u : 0x2bu))
        cpu_raise(cpu, EXC_TS, true, code);
    bool old32 = SEGF_TYPE(cpu->tr.flags) & 8;
    if (!(cpu->tr.flags & SEGF_P) || cpu->tr.limit < (old32 ? 0x67u : 0x2bu))
        cpu_raise(cpu, EXC_TS, true, (cpu->tr.sel & 0xfffcu) | ext);

    /* Read the whole incoming state first so a #PF leaves nothing changed. */
    struct tss_state t;
    tss_read(cpu, nbase, new32, &t, cpu);

    uint32_t eflags = cpu_get_eflags(cpu);
    if (why == TASK_IRET)
        eflags &= ~EFLAGS_NT;     /* the task we leave is no longer nested */
    tss_save(cpu, cpu->tr.base, old32, next_eip, eflags);

    if (why == TASK_JMP || why == TASK_IRET)
        tss_set_busy(cpu, cpu->tr.sel, false);
    if (why == TASK_CALL || why == TASK_INT) {
        mmu_write16_sys(cpu, nbase, cpu->tr.sel);   /* back link */
        t.eflags |= EFLAGS_NT;
    }
    if (why != TASK_IRET)
        tss_set_busy(cpu, sel, true);

    /* Commit point (SDM Vol. 3A 7.3 step 10): from here on we are in the new task. */
    d.hi |= 0x200;
    seg_set_cache(&cpu->tr, sel, d);
    cpu->cr0 |= CR0_TS;
    if (new32 && (cpu->cr0 & CR0_PG) && t.cr3 != cpu->cr3) {
        cpu->cr3 = t.cr3;
        tlb_flush_nonglobal(cpu);
    } else if (new32) {
        cpu->cr3 = t.cr3;
    }
    for (int i = 0; i < 8; i++)
        cpu_set_reg32(cpu, i, t.regs[i]);
    cpu->rip = t.eip;
    cpu_set_eflags(cpu, (t.eflags & 0x003f7fd7u) | EFLAGS_FIXED1);
    /* Selectors first, unusable, so a fault below reports them in the new task. */
    for (int i = 0; i < SEG_COUNT; i++)
        seg_set_null(&cpu->seg[i], t.seg[i]);
    sys_task_committed(cpu);

    load_task_ldt(cpu, t.ldt, ext);
    if (t.eflags & EFLAGS_VM) {
        for (int i = 0; i < SEG_COUNT; i++)
            seg_set_vm86(&cpu->seg[i], t.seg[i]);
        cpu->cpl = 3;
    } else {
        load_task_cs(cpu, t.seg[SEG_CS], ext);
        struct desc ssd;
        seg_check_load_ss(cpu, t.seg[SEG_SS], cpu->cpl, EXC_TS, ext, &ssd);
        seg_set_cache(&cpu->seg[SEG_SS], t.seg[SEG_SS], ssd);
        static const int data_segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
        for (unsigned i = 0; i < 4; i++)
            seg_check_load_data(cpu, data_segs[i], t.seg[data_segs[i]], cpu->cpl, EXC_TS, ext);
    }

    if (has_error) {
        struct stack st;
        stack_current(cpu, &st);
        st.sys = cpu->cpl < 3;
        st.err = ext;
        stack_push(cpu, &st, error_code, new32 ? 4 : 2);
        stack_commit(cpu, &st);
    }
    if (cpu->rip > cpu->seg[SEG_CS].limit)
        cpu_raise(cpu, EXC_GP, true, ext);
}
