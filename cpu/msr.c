/*
 * msr.c - the model-specific registers softvm implements and the time
 * stamp counter. Any other MSR index raises #GP(0), as do writes of
 * reserved bits.
 *
 * Implemented: TSC (0x10), TSC_ADJUST (0x3B, when CPUID.7 offers it), APIC_BASE (0x1B, the local APIC's when there is
 * one), TSC_DEADLINE (0x6E0) and the x2APIC registers (0x800-0x8FF) with a
 * local APIC, SYSENTER_CS/ESP/EIP
 * (0x174-0x176), MTRRCAP (0xFE), MISC_ENABLE (0x1A0), the variable MTRRs
 * (0x200-0x20F), the fixed MTRRs (0x250, 0x258, 0x259, 0x268-0x26F),
 * MCG_CAP/MCG_STATUS (0x179/0x17A: no banks), PAT (0x277), MTRR_DEF_TYPE
 * (0x2FF), EFER (0xC0000080: NXE, SCE, and LME/LMA with long mode) and,
 * with long mode, STAR/LSTAR/CSTAR/FMASK and the FS/GS/KERNEL_GS bases;
 * TSC_AUX (0xC0000103, bits 31:0, with RDTSCP in the model).
 * The MTRRs and PAT are stored and validated but do not change how memory
 * behaves (softvm has no caches to model).
 *
 * Spec: Intel SDM Vol. 4 table 2-2 (architectural MSRs), Vol. 3A 11.11
 * (MTRRs), 11.12 (PAT), 10.4.4 (APIC_BASE), 17.17 (TSC).
 */
#include "cpu/sys_internal.h"
#include "devices/vclock.h"

enum {
    MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_TSC_ADJUST = 0x3b, MSR_MTRRCAP = 0xfe,
    MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
    MSR_MISC_ENABLE = 0x1a0, MSR_MTRR_PHYS0 = 0x200, MSR_MTRR_FIX64K = 0x250,
    MSR_MTRR_FIX16K_80000 = 0x258, MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K_C0000 = 0x268, MSR_MTRR_FIX4K_F8000 = 0x26f,
    MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_X2APIC_FIRST = 0x800, MSR_X2APIC_LAST = 0x8ff,
    MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff, MSR_TSC_DEADLINE = 0x6e0,
    MSR_TSC_AUX = 0xc0000103u,
    MSR_EFER = 0xc0000080u, MSR_STAR = 0xc0000081u, MSR_LSTAR = 0xc0000082u,
    MSR_CSTAR = 0xc0000083u, MSR_FMASK = 0xc0000084u, MSR_FS_BASE = 0xc0000100u,
    MSR_GS_BASE = 0xc0000101u, MSR_KERNEL_GS_BASE = 0xc0000102u,
};

/* Physical address bits beyond MAXPHYADDR (36, memory/mmu.h) are reserved. */
#define PHYS_RSVD (~((1ull << MMU_PHYS_ADDR_BITS) - 1))

/* IA32_APIC_BASE: BSP flag (bit 8), global enable (bit 11), base (bits 12+). */
#define APIC_BASE_BSP 0x100ull
#define APIC_BASE_EN  0x800ull
/* Bit 10 (x2APIC enable) is the APIC's to refuse when it has no x2APIC mode. */
#define APIC_BASE_EXTD 0x400ull
#define APIC_BASE_RSVD (0x2ffull | PHYS_RSVD)
/* MTRRCAP: 8 variable ranges, fixed ranges (bit 8), write-combining (bit 10). */
#define MTRRCAP_VALUE 0x508ull
/* MISC_ENABLE: fast strings (bit 0); BTS/PEBS unavailable (bits 11, 12) are read-only. */
#define MISC_ENABLE_RESET 0x1801ull
#define MISC_ENABLE_RO    0x1800ull
#define PAT_RESET 0x0007040600070406ull

void cpu_sys_reset(struct cpu *cpu)
{
    struct cpu_msrs *m = &cpu->priv.msr;
    *m = (struct cpu_msrs){ 0 };
    cpu->priv.sys = (struct cpu_sys){ 0 };
    cpu->priv.nmi_blocked = false;
    cpu->efer = 0;
    /* Without a local APIC (cpu->apic_ops NULL) the APIC reads as globally
     * disabled (EN = 0), as hardware reports after software disables it;
     * with one, the APIC device holds IA32_APIC_BASE. */
    m->apic_base = 0xfee00000ull | APIC_BASE_BSP;
    m->pat = PAT_RESET;
    m->misc_enable = MISC_ENABLE_RESET;
}

static bool mem_type_ok(unsigned t)   /* UC WC WT WP WB */
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool mtrr_fixed_ok(uint64_t v)
{
    for (int i = 0; i < 8; i++)
        if (!mem_type_ok((v >> (8 * i)) & 0xff))
            return false;
    return true;
}

static int mtrr_fixed_index(uint32_t index)
{
    if (index == MSR_MTRR_FIX64K) return 0;
    if (index == MSR_MTRR_FIX16K_80000) return 1;
    if (index == MSR_MTRR_FIX16K_A0000) return 2;
    if (index >= MSR_MTRR_FIX4K_C0000 && index <= MSR_MTRR_FIX4K_F8000)
        return 3 + (int)(index - MSR_MTRR_FIX4K_C0000);
    return -1;
}

static uint64_t tsc_raw(struct cpu *cpu)
{
    if (cpu->clock && cpu->clock->icount)
        return vclock_now(cpu->clock) * CPU_TSC_PER_NS;
    return cpu->icount * CPU_TSC_PER_INSN;
}

uint64_t cpu_rdtsc(struct cpu *cpu)
{
    if ((cpu->cr4 & CR4_TSD) && cpu_protected(cpu) && (cpu->cpl != 0 || cpu_vm86(cpu)))
        cpu_raise(cpu, EXC_GP, true, 0);
    return tsc_raw(cpu) + cpu->priv.msr.tsc_offset;
}

static void require_cpl0(struct cpu *cpu)
{
    if (cpu_protected(cpu) && (cpu->cpl != 0 || cpu_vm86(cpu)))
        cpu_raise(cpu, EXC_GP, true, 0);
}

uint64_t cpu_rdmsr(struct cpu *cpu, uint32_t index)
{
    struct cpu_msrs *m = &cpu->priv.msr;
    require_cpl0(cpu);
    switch (index) {
    case MSR_TSC: return tsc_raw(cpu) + m->tsc_offset;
    case MSR_TSC_ADJUST:
        if (!(cpu->feat7_ebx & CPUID7_EBX_TSC_ADJUST))
            break;
        return m->tsc_adjust;
    case MSR_TSC_AUX:
        if (!cpu->feat_rdtscp)
            break;
        return m->tsc_aux;
    case MSR_APIC_BASE:
        return cpu->apic_ops ? cpu->apic_ops->read_base(cpu->apic) : m->apic_base;
    case MSR_TSC_DEADLINE:
        if (!cpu->apic_ops)
            break;
        return cpu->apic_ops->read_tsc_deadline(cpu->apic);
    case MSR_MTRRCAP: return MTRRCAP_VALUE;
    case MSR_MCG_CAP: return 0;                 /* no machine-check banks */
    case MSR_MCG_STATUS: return 0;
    case MSR_SYSENTER_CS: return m->sysenter_cs;
    case MSR_SYSENTER_ESP: return m->sysenter_esp;
    case MSR_SYSENTER_EIP: return m->sysenter_eip;
    case MSR_MISC_ENABLE: return m->misc_enable;
    case MSR_PAT: return m->pat;
    case MSR_MTRR_DEF_TYPE: return m->mtrr_def_type;
    case MSR_EFER: return cpu->efer;
    }
    if (cpu->feat_lm) {
        switch (index) {
        case MSR_STAR: return m->star;
        case MSR_LSTAR: return m->lstar;
        case MSR_CSTAR: return m->cstar;
        case MSR_FMASK: return m->fmask;
        case MSR_FS_BASE: return cpu->seg[SEG_FS].base;
        case MSR_GS_BASE: return cpu->seg[SEG_GS].base;
        case MSR_KERNEL_GS_BASE: return m->kernel_gs_base;
        }
    }
    if (index >= MSR_MTRR_PHYS0 && index < MSR_MTRR_PHYS0 + 16)
        return m->mtrr_var[index - MSR_MTRR_PHYS0];
    uint64_t v;
    if (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST && cpu->apic_ops &&
        cpu->apic_ops->rdmsr(cpu->apic, index, &v))
        return v;
    int fi = mtrr_fixed_index(index);
    if (fi >= 0)
        return m->mtrr_fixed[fi];
    cpu_raise(cpu, EXC_GP, true, 0);
}

void cpu_wrmsr(struct cpu *cpu, uint32_t index, uint64_t value)
{
    struct cpu_msrs *m = &cpu->priv.msr;
    require_cpl0(cpu);
    switch (index) {
    case MSR_TSC: {
        /* IA32_TSC_ADJUST follows every write to the TSC (SDM Vol. 3B 17.17.3). */
        uint64_t old = tsc_raw(cpu) + m->tsc_offset;
        m->tsc_offset = value - tsc_raw(cpu);
        m->tsc_adjust += value - old;
        return;
    }
    case MSR_TSC_ADJUST:
        if (!(cpu->feat7_ebx & CPUID7_EBX_TSC_ADJUST))
            break;
        m->tsc_offset += value - m->tsc_adjust;   /* the TSC moves by the change */
        m->tsc_adjust = value;
        return;
    case MSR_TSC_AUX:
        if (!cpu->feat_rdtscp || (value >> 32))
            break;                      /* bits 63:32 are reserved */
        m->tsc_aux = (uint32_t)value;
        return;
    case MSR_APIC_BASE:
        if (value & APIC_BASE_RSVD)
            break;
        if (cpu->apic_ops) {
            if (!cpu->apic_ops->write_base(cpu->apic, value))
                break;
            return;
        }
        if (value & APIC_BASE_EXTD)
            break;
        /* Without a local APIC it can never be enabled. */
        m->apic_base = (value & ~(APIC_BASE_BSP | APIC_BASE_EN)) | (m->apic_base & APIC_BASE_BSP);
        return;
    case MSR_TSC_DEADLINE: {
        if (!cpu->apic_ops)
            break;
        /* The deadline in virtual time: TSC = ns * CPU_TSC_PER_NS + offset. */
        uint64_t raw = value - m->tsc_offset;
        uint64_t ns = (int64_t)raw < 0 ? 0 : raw / CPU_TSC_PER_NS;
        cpu->apic_ops->write_tsc_deadline(cpu->apic, value, ns);
        return;
    }
    case MSR_SYSENTER_CS: m->sysenter_cs = (uint32_t)value; return;
    case MSR_SYSENTER_ESP: m->sysenter_esp = (uint32_t)value; return;
    case MSR_SYSENTER_EIP: m->sysenter_eip = (uint32_t)value; return;
    case MSR_MISC_ENABLE:
        m->misc_enable = (value & ~MISC_ENABLE_RO) | MISC_ENABLE_RESET;
        m->misc_enable = (m->misc_enable & ~1ull) | (value & 1);
        return;
    case MSR_PAT:
        for (int i = 0; i < 8; i++) {
            unsigned t = (value >> (8 * i)) & 0xff;
            if (t > 7 || t == 2 || t == 3)
                cpu_raise(cpu, EXC_GP, true, 0);
        }
        m->pat = value;
        return;
    case MSR_MTRR_DEF_TYPE:
        if ((value & ~0xcffull) || !mem_type_ok(value & 0xff))
            break;
        m->mtrr_def_type = value;
        return;
    case MSR_EFER: {
        /* NXE, SCE (SYSCALL works only in 64-bit mode on Intel parts, SDM
         * Vol. 2B SYSCALL) and, with long mode in the model, LME. LMA is
         * read-only (CR0.PG sets it); LME cannot change while paging is on
         * (SDM Vol. 3A 9.8.5). */
        uint64_t lme = cpu->feat_lm ? EFER_LME : 0;
        if (value & ~(EFER_NXE | EFER_SCE | lme | EFER_LMA))
            break;
        if (((value ^ cpu->efer) & EFER_LME) && (cpu->cr0 & CR0_PG))
            break;
        cpu->efer = (value & ~EFER_LMA) | (cpu->efer & EFER_LMA);
        tlb_flush_all(cpu);
        return;
    }
    case MSR_STAR: if (!cpu->feat_lm) break; m->star = value; return;
    case MSR_FMASK: if (!cpu->feat_lm) break; m->fmask = (uint32_t)value; return;
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
        /* linear addresses: #GP(0) unless canonical */
        if (!cpu->feat_lm || !addr_canonical(value))
            break;
        if (index == MSR_LSTAR) m->lstar = value;
        else if (index == MSR_CSTAR) m->cstar = value;
        else if (index == MSR_FS_BASE) cpu->seg[SEG_FS].base = value;
        else if (index == MSR_GS_BASE) cpu->seg[SEG_GS].base = value;
        else m->kernel_gs_base = value;
        return;
    case MSR_MCG_STATUS:
        if (value)
            break;
        return;
    case MSR_MTRRCAP:
    case MSR_MCG_CAP:
        break;   /* read-only */
    default:
        if (index >= MSR_MTRR_PHYS0 && index < MSR_MTRR_PHYS0 + 16) {
            unsigned n = index - MSR_MTRR_PHYS0;
            bool is_mask = n & 1;
            uint64_t rsvd = PHYS_RSVD | (is_mask ? 0x7ffull : 0xf00ull);
            if ((value & rsvd) || (!is_mask && !mem_type_ok(value & 0xff)))
                break;
            m->mtrr_var[n] = value;
            return;
        }
        int fi = mtrr_fixed_index(index);
        if (fi >= 0 && mtrr_fixed_ok(value)) {
            m->mtrr_fixed[fi] = value;
            return;
        }
        if (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST && cpu->apic_ops &&
            cpu->apic_ops->wrmsr(cpu->apic, index, value))
            return;
        break;
    }
    cpu_raise(cpu, EXC_GP, true, 0);
}
