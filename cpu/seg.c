/*
 * seg.c - segmentation: descriptor-table lookups, segment register loads
 * with every protected-mode check, LLDT/LTR and LAR/LSL/VERR/VERW, plus the
 * stack helpers the far-transfer and interrupt code build frames with.
 *
 * Spec: Intel SDM Vol. 3A 3.4 (segment selectors, registers, descriptors),
 * 5.5-5.10 (privilege checks), Vol. 2 MOV/POP/LDS, LLDT, LTR, LAR, LSL,
 * VERR/VERW. Error codes: SDM Vol. 3A 6.13 (selector with RPL cleared).
 */
#include "cpu/sys_internal.h"

bool desc_addr(struct cpu *cpu, uint16_t sel, uint64_t *addr)
{
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        /* An LDT selector with no usable LDT is outside every table. */
        if ((cpu->ldtr.sel & ~3u) == 0 || !(cpu->ldtr.flags & SEGF_P))
            return false;
        base = cpu->ldtr.base;
        limit = cpu->ldtr.limit;
    } else {
        base = cpu->gdtr.base;
        limit = cpu->gdtr.limit;
    }
    uint32_t off = sel & ~7u;
    if (off + 7 > limit)
        return false;
    *addr = sys_linear(cpu, base, off);
    return true;
}

bool desc_fetch(struct cpu *cpu, uint16_t sel, struct desc *d)
{
    uint64_t a;
    if (!desc_addr(cpu, sel, &a))
        return false;
    d->lo = mmu_read32_sys(cpu, a);
    d->hi = mmu_read32_sys(cpu, a + 4);
    return true;
}

void desc_set_accessed(struct cpu *cpu, uint16_t sel, struct desc *d)
{
    uint64_t a;
    if ((d->hi & 0x100) || !desc_addr(cpu, sel, &a))
        return;
    d->hi |= 0x100;
    mmu_write32_sys(cpu, a + 4, d->hi);
}

void seg_set_cache(struct segment *s, uint16_t sel, struct desc d)
{
    s->sel = sel;
    s->base = desc_base(d);
    s->limit = desc_limit(d);
    s->flags = desc_flags(d);
}

void seg_set_null(struct segment *s, uint16_t sel)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0;
    s->flags = 0;   /* not present: any access through it raises #GP(0) */
}

void seg_set_vm86(struct segment *s, uint16_t sel)
{
    s->sel = sel;
    s->base = (uint32_t)sel << 4;
    s->limit = 0xffff;
    /* SDM Vol. 3A 20.1.1: present, DPL 3, read/write, accessed, 16-bit. */
    s->flags = SEGF_P | SEGF_S | (3u << 5) | 0x3;
}

void load_cs(struct cpu *cpu, uint16_t sel, struct desc d, int cpl)
{
    struct segment *cs = &cpu->seg[SEG_CS];
    seg_set_cache(cs, (uint16_t)((sel & ~3u) | (unsigned)cpl), d);
    /* CS.L counts only in IA-32e mode: keep it only there, so that CS.L
     * alone means 64-bit code (cpu_code64); 64-bit code has base 0 */
    if (!cpu_long_mode(cpu))
        cs->flags &= ~SEGF_L;
    else if (cs->flags & SEGF_L)
        cs->base = 0;
    cpu->cpl = cpl;
}

/* In IA-32e mode LDT and TSS descriptors are 16 bytes: bits 63:32 of the
 * base are in the third dword (SDM Vol. 3A 7.2.3, 3.5). */
static uint64_t sys_desc_base_high(struct cpu *cpu, uint16_t sel, uint32_t code)
{
    uint64_t a;
    if (!cpu_long_mode(cpu))
        return 0;
    uint32_t limit = cpu->gdtr.limit;
    if ((uint32_t)(sel & ~7u) + 15 > limit || !desc_addr(cpu, sel, &a))
        cpu_raise(cpu, EXC_GP, true, code);
    return (uint64_t)mmu_read32_sys(cpu, a + 8) << 32;
}

void seg_invalidate_outer(struct cpu *cpu)
{
    static const int sregs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned i = 0; i < sizeof sregs / sizeof sregs[0]; i++) {
        struct segment *s = &cpu->seg[sregs[i]];
        bool conforming_code = (s->flags & SEGF_S) && (s->flags & 0xc) == 0xc;
        if ((s->flags & SEGF_P) && !conforming_code && (int)SEGF_DPL(s->flags) < cpu->cpl)
            seg_set_null(s, 0);
    }
}

/* ---- protected-mode loads ------------------------------------------------ */

void seg_check_load_ss(struct cpu *cpu, uint16_t sel, int cpl, int vector,
                       uint32_t ext, struct desc *out)
{
    uint32_t code = (sel & 0xfffcu) | ext;
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, vector, true, ext);
    if ((int)(sel & 3) != cpl)
        cpu_raise(cpu, vector, true, code);
    struct desc d;
    if (!desc_fetch(cpu, sel, &d))
        cpu_raise(cpu, vector, true, code);
    if (!desc_writable_data(d) || (int)desc_dpl(d) != cpl)
        cpu_raise(cpu, vector, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_SS, true, code);
    desc_set_accessed(cpu, sel, &d);
    *out = d;
}

void seg_check_load_data(struct cpu *cpu, int sreg, uint16_t sel, int cpl,
                         int vector, uint32_t ext)
{
    uint32_t code = (sel & 0xfffcu) | ext;
    if ((sel & ~3u) == 0) {
        seg_set_null(&cpu->seg[sreg], sel);
        return;
    }
    struct desc d;
    if (!desc_fetch(cpu, sel, &d))
        cpu_raise(cpu, vector, true, code);
    if (!desc_readable(d) || !desc_is_seg(d))
        cpu_raise(cpu, vector, true, code);
    /* Data and non-conforming code: DPL must be >= both CPL and RPL. */
    if (!desc_conforming(d) && ((int)desc_dpl(d) < cpl || desc_dpl(d) < (sel & 3u)))
        cpu_raise(cpu, vector, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
    desc_set_accessed(cpu, sel, &d);
    seg_set_cache(&cpu->seg[sreg], sel, d);
}

void seg_load(struct cpu *cpu, int sreg, uint16_t sel)
{
    if (!cpu_protected(cpu) || cpu_vm86(cpu)) {
        seg_load_real(cpu, sreg, sel);
        return;
    }
    if (sreg == SEG_CS)   /* MOV/POP CS do not exist; far transfers load CS */
        cpu_raise(cpu, EXC_UD, false, 0);
    if (sreg == SEG_SS) {
        struct desc d;
        /* 64-bit mode allows a null SS below CPL 3 (RPL = CPL), SDM Vol. 2B MOV */
        if (cpu_code64(cpu) && (sel & ~3u) == 0 && cpu->cpl != 3 && (int)(sel & 3) == cpu->cpl) {
            seg_set_null(&cpu->seg[SEG_SS], sel);
            cpu->seg[SEG_SS].flags = (uint32_t)cpu->cpl << 5;
            return;
        }
        seg_check_load_ss(cpu, sel, cpu->cpl, EXC_GP, 0, &d);
        seg_set_cache(&cpu->seg[SEG_SS], sel, d);
        return;
    }
    seg_check_load_data(cpu, sreg, sel, cpu->cpl, EXC_GP, 0);
}

void seg_load_real(struct cpu *cpu, int sreg, uint16_t sel)
{
    struct segment *s = &cpu->seg[sreg];
    if (cpu_vm86(cpu)) {
        seg_set_vm86(s, sel);
        return;
    }
    /* Real mode changes only selector and base: limit and attributes stay as
     * the last protected-mode load left them ("unreal" mode relies on it).
     * A register left null by protected mode becomes a usable data segment. */
    s->sel = sel;
    s->base = (uint32_t)sel << 4;
    if (!(s->flags & SEGF_P)) {
        s->flags = SEGF_P | SEGF_S | 0x3;
        s->limit = 0xffff;
    }
}

/* ---- LDTR and TR ---------------------------------------------------------- */

static void require_pm_cpl0(struct cpu *cpu)
{
    if (!cpu_protected(cpu) || cpu_vm86(cpu))
        cpu_raise(cpu, EXC_UD, false, 0);
    if (cpu->cpl != 0)
        cpu_raise(cpu, EXC_GP, true, 0);
}

void cpu_lldt(struct cpu *cpu, uint16_t sel)
{
    require_pm_cpl0(cpu);
    if ((sel & ~3u) == 0) {
        seg_set_null(&cpu->ldtr, sel);
        return;
    }
    uint32_t code = sel & 0xfffcu;
    struct desc d;
    if ((sel & 4) || !desc_fetch(cpu, sel, &d))
        cpu_raise(cpu, EXC_GP, true, code);
    if (desc_is_seg(d) || desc_type(d) != SYS_LDT)
        cpu_raise(cpu, EXC_GP, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
    uint64_t high = sys_desc_base_high(cpu, sel, code);
    seg_set_cache(&cpu->ldtr, sel, d);
    cpu->ldtr.base |= high;
}

void cpu_ltr(struct cpu *cpu, uint16_t sel)
{
    require_pm_cpl0(cpu);
    uint32_t code = sel & 0xfffcu;
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    struct desc d;
    uint64_t a;
    if ((sel & 4) || !desc_addr(cpu, sel, &a))
        cpu_raise(cpu, EXC_GP, true, code);
    desc_fetch(cpu, sel, &d);
    /* IA-32e mode has only the 64-bit TSS, as type 9 */
    if (desc_is_seg(d) || (desc_type(d) != SYS_TSS16_AVAIL && desc_type(d) != SYS_TSS32_AVAIL)
        || (cpu_long_mode(cpu) && desc_type(d) != SYS_TSS32_AVAIL))
        cpu_raise(cpu, EXC_GP, true, code);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, true, code);
    uint64_t high = sys_desc_base_high(cpu, sel, code);
    d.hi |= 0x200;   /* mark busy (SDM Vol. 2 LTR) */
    mmu_write32_sys(cpu, a + 4, d.hi);
    seg_set_cache(&cpu->tr, sel, d);
    cpu->tr.base |= high;
}

/* ---- LAR / LSL / VERR / VERW ---------------------------------------------- */

/* Fetch for the verify instructions: false (ZF=0) when null, outside the
 * table, or not visible at CPL/RPL. */
static bool verify_fetch(struct cpu *cpu, uint16_t sel, struct desc *d)
{
    if (!cpu_protected(cpu) || cpu_vm86(cpu))
        cpu_raise(cpu, EXC_UD, false, 0);
    if ((sel & ~3u) == 0 || !desc_fetch(cpu, sel, d))
        return false;
    if (desc_conforming(*d))
        return true;
    unsigned dpl = desc_dpl(*d);
    return dpl >= (unsigned)cpu->cpl && dpl >= (sel & 3u);
}

bool cpu_lar(struct cpu *cpu, uint16_t sel, uint32_t *out)
{
    struct desc d;
    if (!verify_fetch(cpu, sel, &d))
        return false;
    if (!desc_is_seg(d)) {
        switch (desc_type(d)) {
        case SYS_TSS16_AVAIL: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_CALLGATE16:
        case SYS_TASKGATE: case SYS_TSS32_AVAIL: case SYS_TSS32_BUSY: case SYS_CALLGATE32:
            break;
        default:
            return false;
        }
    }
    *out = d.hi & 0x00ffff00u;
    return true;
}

bool cpu_lsl(struct cpu *cpu, uint16_t sel, uint32_t *out)
{
    struct desc d;
    if (!verify_fetch(cpu, sel, &d))
        return false;
    if (!desc_is_seg(d)) {
        switch (desc_type(d)) {
        case SYS_TSS16_AVAIL: case SYS_LDT: case SYS_TSS16_BUSY:
        case SYS_TSS32_AVAIL: case SYS_TSS32_BUSY:
            break;
        default:
            return false;
        }
    }
    *out = desc_limit(d);
    return true;
}

bool cpu_verr(struct cpu *cpu, uint16_t sel)
{
    struct desc d;
    return verify_fetch(cpu, sel, &d) && desc_is_seg(d) && desc_readable(d);
}

bool cpu_verw(struct cpu *cpu, uint16_t sel)
{
    struct desc d;
    return verify_fetch(cpu, sel, &d) && desc_writable_data(d);
}

/* ---- stacks --------------------------------------------------------------- */

void stack_current(struct cpu *cpu, struct stack *st)
{
    st->ss = cpu->seg[SEG_SS];
    st->esp = cpu_reg32(cpu, R_ESP);
    st->sys = false;
    st->err = 0;
}

static bool stack_big(const struct stack *st) { return st->ss.flags & SEGF_DB; }

/* Offset check of [off, off+size) against the SS limit (expand-up or down). */
static void stack_check(struct cpu *cpu, const struct stack *st, uint32_t off, int size)
{
    uint32_t last = off + (uint32_t)size - 1;
    uint32_t top = stack_big(st) ? 0xffffffffu : 0xffffu;
    bool ok;
    if (SEGF_TYPE(st->ss.flags) & 4)   /* expand-down data */
        ok = off > st->ss.limit && last <= top && last >= off;
    else
        ok = last <= st->ss.limit && last >= off;
    if (!ok || (cpu_protected(cpu) && !cpu_vm86(cpu) && !(st->ss.flags & SEGF_P)))
        cpu_raise(cpu, EXC_SS, true, st->err);
}

static uint32_t stack_mask(const struct stack *st)
{
    return stack_big(st) ? 0xffffffffu : 0xffffu;
}

void stack_push(struct cpu *cpu, struct stack *st, uint32_t v, int size)
{
    uint32_t mask = stack_mask(st);
    uint32_t off = (st->esp - (uint32_t)size) & mask;
    stack_check(cpu, st, off, size);
    uint64_t lin = linear_addr(cpu, st->ss.base, off);
    if (size == 4) {
        if (st->sys) mmu_write32_sys(cpu, lin, v); else mmu_write32(cpu, lin, v);
    } else {
        if (st->sys) mmu_write16_sys(cpu, lin, (uint16_t)v); else mmu_write16(cpu, lin, (uint16_t)v);
    }
    st->esp = (st->esp & ~mask) | off;
}

uint32_t stack_peek(struct cpu *cpu, const struct stack *st, uint32_t at, int size)
{
    uint32_t off = (st->esp + at) & stack_mask(st);
    stack_check(cpu, st, off, size);
    uint64_t lin = linear_addr(cpu, st->ss.base, off);
    if (size == 4)
        return st->sys ? mmu_read32_sys(cpu, lin) : mmu_read32(cpu, lin);
    return st->sys ? mmu_read16_sys(cpu, lin) : mmu_read16(cpu, lin);
}

uint32_t stack_pop(struct cpu *cpu, struct stack *st, int size)
{
    uint32_t v = stack_peek(cpu, st, 0, size);
    uint32_t mask = stack_mask(st);
    st->esp = (st->esp & ~mask) | ((st->esp + (uint32_t)size) & mask);
    return v;
}

void stack_commit(struct cpu *cpu, const struct stack *st)
{
    /* Pushes and pops only ever changed the SP half of a 16-bit stack. */
    cpu->seg[SEG_SS] = st->ss;
    cpu_set_reg32(cpu, R_ESP, st->esp);
}
