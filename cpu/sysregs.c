/*
 * sysregs.c - control and debug registers: MOV to/from CR0/CR2/CR3/CR4
 * with the #GP rules and the TLB flushes they imply, DR0-DR7 with the
 * breakpoint helpers the interpreter calls, the I/O permission check
 * (IOPL and the TSS I/O bitmap) and SYSENTER/SYSEXIT.
 *
 * CR8 is the local APIC's task priority (through cpu_apic_ops).
 *
 * Spec: Intel SDM Vol. 3A 2.5 (control registers), 10.8.6.1 (CR8), 4.10.4 (TLB
 * invalidation), 17.2 (debug registers), 5.8.7 (SYSENTER/SYSEXIT);
 * Vol. 1 18.5 (I/O permission bit map); Vol. 2 MOV CR, MOV DR, CLTS.
 */
#include "cpu/sys_internal.h"

/* CR0 bits that exist on an i686; the rest read as 0 (ET reads as 1). */
#define CR0_VALID (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | \
                   CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* CR4 bits we implement; setting any other raises #GP(0). VME/PVI and MCE
 * are not implemented (and not reported by CPUID). */
#define CR4_VALID (CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | \
                   CR4_OSFXSR | CR4_OSXMMEXCPT)

/* MOV CR/DR, CLTS, RDMSR/WRMSR: CPL 0 only; #GP(0) from v86 mode (CPL 3). */
static void require_cpl0(struct cpu *cpu)
{
    if (cpu_protected(cpu) && (cpu->cpl != 0 || cpu_vm86(cpu)))
        cpu_raise(cpu, EXC_GP, true, 0);
}

void cpu_write_cr(struct cpu *cpu, int n, uint64_t value)
{
    require_cpl0(cpu);
    switch (n) {
    case 0: {
        if (value >> 32)
            cpu_raise(cpu, EXC_GP, true, 0);   /* bits 63:32 reserved (64-bit mode) */
        value = (value & CR0_VALID) | CR0_ET;
        if ((value & CR0_PG) && !(value & CR0_PE))
            cpu_raise(cpu, EXC_GP, true, 0);
        if ((value & CR0_NW) && !(value & CR0_CD))
            cpu_raise(cpu, EXC_GP, true, 0);
        uint64_t changed = cpu->cr0 ^ value;
        /* IA-32e activation (SDM Vol. 3A 9.8.5): paging turned on with
         * EFER.LME needs CR4.PAE and sets LMA; turning it off clears LMA,
         * which 64-bit code may not do (it must leave to compatibility
         * mode first). */
        if ((changed & CR0_PG) && (value & CR0_PG) && (cpu->efer & EFER_LME)) {
            if (!(cpu->cr4 & CR4_PAE))
                cpu_raise(cpu, EXC_GP, true, 0);
            cpu->efer |= EFER_LMA;
        } else if ((changed & CR0_PG) && !(value & CR0_PG) && (cpu->efer & EFER_LMA)) {
            if (cpu_code64(cpu))
                cpu_raise(cpu, EXC_GP, true, 0);
            cpu->efer &= ~EFER_LMA;
        }
        cpu->cr0 = value;
        /* Paging, protection or write-protect changes alter every translation. */
        if (changed & (CR0_PG | CR0_PE | CR0_WP))
            tlb_flush_all(cpu);
        return;
    }
    case 2:
        cpu->cr2 = value;
        return;
    case 3:
        /* in IA-32e mode bits above MAXPHYADDR are reserved; outside it the
         * register is 32 bits */
        if (cpu_long_mode(cpu) && (value >> MMU_PHYS_ADDR_BITS))
            cpu_raise(cpu, EXC_GP, true, 0);
        cpu->cr3 = cpu_long_mode(cpu) ? value : (uint32_t)value;
        tlb_flush_nonglobal(cpu);
        return;
    case 4: {
        uint32_t valid = CR4_VALID | (cpu->feat7_ecx & CPUID7_ECX_UMIP ? CR4_UMIP : 0) |
                         (cpu->feat7_ebx & CPUID7_EBX_SMEP ? CR4_SMEP : 0) |
                         (cpu->feat7_ebx & CPUID7_EBX_SMAP ? CR4_SMAP : 0);
        if (value & ~(uint64_t)valid)
            cpu_raise(cpu, EXC_GP, true, 0);
        if (cpu_long_mode(cpu) && !(value & CR4_PAE))
            cpu_raise(cpu, EXC_GP, true, 0);   /* PAE cannot be cleared in IA-32e mode */
        uint64_t changed = cpu->cr4 ^ value;
        cpu->cr4 = value;
        /* SMEP/SMAP change which cached supervisor translations are allowed. */
        if (changed & (CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP))
            tlb_flush_all(cpu);
        return;
    }
    case 8:
        /* CR8 (64-bit mode): the APIC's TPR[7:4]; bits 63:4 are reserved.
         * Without a local APIC there is no TPR: the write is dropped. */
        if (value >> 4)
            cpu_raise(cpu, EXC_GP, true, 0);
        if (cpu->apic_ops)
            cpu->apic_ops->write_tpr(cpu->apic, (uint8_t)(value << 4));
        return;
    default:
        cpu_raise(cpu, EXC_UD, false, 0);
    }
}

uint64_t cpu_read_cr(struct cpu *cpu, int n)
{
    require_cpl0(cpu);
    switch (n) {
    case 0: return cpu->cr0;
    case 2: return cpu->cr2;
    case 3: return cpu->cr3;
    case 4: return cpu->cr4;
    case 8: return cpu->apic_ops ? cpu->apic_ops->read_tpr(cpu->apic) >> 4 : 0;
    default: cpu_raise(cpu, EXC_UD, false, 0);
    }
}

/* ---- debug registers ------------------------------------------------------ */

#define DR6_FIXED1 0xffff0ff0u   /* reserved bits of DR6 read as 1 (P6 family) */
#define DR6_BD 0x2000u
#define DR6_BS 0x4000u
#define DR7_FIXED1 0x00000400u
#define DR7_GD 0x2000u
#define DR7_VALID 0xffff23ffu

/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD. */
static int dr_index(struct cpu *cpu, int n)
{
    if (n == 4 || n == 5) {
        if (cpu->cr4 & CR4_DE)
            cpu_raise(cpu, EXC_UD, false, 0);
        return n + 2;
    }
    if (n < 0 || n > 7)
        cpu_raise(cpu, EXC_UD, false, 0);
    return n;
}

/* DR7.GD: any MOV DR raises #DB (fault) with DR6.BD, and clears GD so the
 * handler can use the registers (SDM Vol. 3A 17.2.4). */
static void check_general_detect(struct cpu *cpu)
{
    if (cpu->dr[7] & DR7_GD) {
        cpu->dr[6] |= DR6_BD;
        cpu->dr[7] &= ~DR7_GD;
        cpu_raise(cpu, EXC_DB, false, 0);
    }
}

void cpu_write_dr(struct cpu *cpu, int n, uint64_t value)
{
    require_cpl0(cpu);
    n = dr_index(cpu, n);
    check_general_detect(cpu);
    if (n == 6)
        value = (value & ~DR6_FIXED1) | DR6_FIXED1;
    else if (n == 7)
        value = (value & DR7_VALID) | DR7_FIXED1;
    cpu->dr[n] = value;
}

uint64_t cpu_read_dr(struct cpu *cpu, int n)
{
    require_cpl0(cpu);
    n = dr_index(cpu, n);
    check_general_detect(cpu);
    return cpu->dr[n];
}

/* Breakpoint i covers [addr, addr+len) aligned down to its length. */
static bool bp_hits(struct cpu *cpu, int i, uint64_t lin, unsigned len)
{
    static const uint64_t bp_len[4] = { 1, 2, 8, 4 };   /* LEN encoding 00 01 10 11 */
    uint64_t blen = bp_len[(cpu->dr[7] >> (18 + 4 * i)) & 3];
    uint64_t bstart = cpu->dr[i] & ~(blen - 1);
    uint64_t bend = linear_addr(cpu, bstart, blen - 1), end = linear_addr(cpu, lin, len - 1);
    return lin <= bend && bstart <= end;
}

static bool bp_enabled(struct cpu *cpu, int i) { return (cpu->dr[7] >> (2 * i)) & 3; }
static unsigned bp_rw(struct cpu *cpu, int i) { return (cpu->dr[7] >> (16 + 4 * i)) & 3; }

void cpu_check_code_breakpoint(struct cpu *cpu, uint64_t lin)
{
    /* RF suppresses it; so does the MOV SS / POP SS shadow on Intel parts
     * (the instruction after them: inhibit_db still holds its value here). */
    if ((cpu->rflags & EFLAGS_RF) || cpu->priv.inhibit_db)
        return;
    uint32_t hits = 0;
    for (int i = 0; i < 4; i++)
        if (bp_enabled(cpu, i) && bp_rw(cpu, i) == 0 && cpu->dr[i] == lin)
            hits |= 1u << i;
    if (hits) {
        cpu->dr[6] = (cpu->dr[6] & ~0xfu) | hits;
        cpu_raise(cpu, EXC_DB, false, 0);
    }
}

bool cpu_check_data_breakpoint(struct cpu *cpu, uint64_t lin, unsigned len, bool write)
{
    uint32_t hits = 0;
    for (int i = 0; i < 4; i++) {
        unsigned rw = bp_rw(cpu, i);
        /* RW 01 = writes, 11 = reads or writes; 10 (I/O) needs CR4.DE and is not modelled. */
        if (!bp_enabled(cpu, i) || !(rw == 3 || (rw == 1 && write)))
            continue;
        if (bp_hits(cpu, i, lin, len))
            hits |= 1u << i;
    }
    if (!hits)
        return false;
    if (!cpu->priv.sys.db_trap_pending)
        cpu->dr[6] &= ~0xfu;
    cpu->dr[6] |= hits;
    cpu->priv.sys.db_trap_pending = true;
    return true;
}

/* ---- I/O permission --------------------------------------------------------- */

void cpu_check_io(struct cpu *cpu, uint16_t port, unsigned size)
{
    if (!cpu_protected(cpu))
        return;
    if (!cpu_vm86(cpu) && cpu->cpl <= (int)cpu_iopl(cpu))
        return;
    /* Only a 32-bit TSS has an I/O bitmap. */
    if (!(cpu->tr.flags & SEGF_P) || (SEGF_TYPE(cpu->tr.flags) & 9) != 9 ||
        cpu->tr.limit < 0x67)
        cpu_raise(cpu, EXC_GP, true, 0);
    uint32_t map = mmu_read16_sys(cpu, linear_addr(cpu, cpu->tr.base, 0x66));
    uint32_t at = map + port / 8;
    /* Two bytes are read so a multi-byte access straddling a byte boundary is covered. */
    if (at + 1 > cpu->tr.limit || at < map)
        cpu_raise(cpu, EXC_GP, true, 0);
    uint32_t bits = mmu_read16_sys(cpu, linear_addr(cpu, cpu->tr.base, at));
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask)
        cpu_raise(cpu, EXC_GP, true, 0);
}

/* ---- SYSENTER / SYSEXIT ---------------------------------------------------- */

/* Flat 4 GiB segments SYSENTER/SYSEXIT load without reading the GDT. */
#define FLAT_CODE(dpl) (SEGF_G | SEGF_DB | SEGF_P | SEGF_S | ((dpl) << 5) | 0xb)
#define FLAT_DATA(dpl) (SEGF_G | SEGF_DB | SEGF_P | SEGF_S | ((dpl) << 5) | 0x3)

static void set_flat(struct segment *s, uint16_t sel, uint32_t flags)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->flags = flags;
}

void cpu_sysenter(struct cpu *cpu)
{
    uint16_t cs = (uint16_t)cpu->priv.msr.sysenter_cs;
    if (!cpu_protected(cpu) || (cs & 0xfffc) == 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    cpu_set_eflags(cpu, cpu_get_eflags(cpu) & ~(EFLAGS_VM | EFLAGS_IF | EFLAGS_RF));
    set_flat(&cpu->seg[SEG_CS], cs & 0xfffc, FLAT_CODE(0u));
    set_flat(&cpu->seg[SEG_SS], (uint16_t)((cs & 0xfffc) + 8), FLAT_DATA(0u));
    cpu->cpl = 0;
    cpu_set_reg32(cpu, R_ESP, cpu->priv.msr.sysenter_esp);
    cpu->rip = cpu->priv.msr.sysenter_eip;
}

void cpu_sysexit(struct cpu *cpu)
{
    uint16_t cs = (uint16_t)cpu->priv.msr.sysenter_cs;
    if (!cpu_protected(cpu) || cpu_vm86(cpu) || cpu->cpl != 0 || (cs & 0xfffc) == 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    set_flat(&cpu->seg[SEG_CS], (uint16_t)((cs + 16) | 3), FLAT_CODE(3u));
    set_flat(&cpu->seg[SEG_SS], (uint16_t)((cs + 24) | 3), FLAT_DATA(3u));
    cpu->cpl = 3;
    cpu_set_reg32(cpu, R_ESP, cpu_reg32(cpu, R_ECX));
    cpu->rip = cpu_reg32(cpu, R_EDX);
}

/* ---- SYSCALL / SYSRET (SDM Vol. 2B, Vol. 3A 5.8.8) ------------------------- */

/* The flat segments SYSCALL/SYSRET load from IA32_STAR's selectors without
 * reading the GDT: 64-bit code (L=1, D=0), 32-bit code, and data. */
#define LONG_CODE(dpl) (SEGF_G | SEGF_L | SEGF_P | SEGF_S | ((dpl) << 5) | 0xb)

void cpu_syscall(struct cpu *cpu)
{
    struct cpu_msrs *m = &cpu->priv.msr;
    if (!(cpu->efer & EFER_SCE) || !cpu_code64(cpu))
        cpu_raise(cpu, EXC_UD, false, 0);
    uint16_t sel = (uint16_t)(m->star >> 32);
    uint32_t flags = cpu_get_eflags(cpu);
    cpu->regs[R_ECX] = cpu->rip;
    cpu->regs[R_R11] = flags & ~EFLAGS_RF;
    set_flat(&cpu->seg[SEG_CS], sel & 0xfffc, LONG_CODE(0u));
    set_flat(&cpu->seg[SEG_SS], (uint16_t)((sel & 0xfffc) + 8), FLAT_DATA(0u));
    cpu->cpl = 0;
    cpu_set_eflags(cpu, (flags & ~(uint32_t)m->fmask & ~EFLAGS_RF) | EFLAGS_FIXED1);
    cpu->rip = m->lstar;
}

void cpu_sysret(struct cpu *cpu, int opsize)
{
    struct cpu_msrs *m = &cpu->priv.msr;
    if (!(cpu->efer & EFER_SCE))
        cpu_raise(cpu, EXC_UD, false, 0);
    if (!cpu_code64(cpu) || cpu->cpl != 0)
        cpu_raise(cpu, EXC_GP, true, 0);
    uint16_t sel = (uint16_t)(m->star >> 48);
    uint64_t rip = cpu->regs[R_ECX];
    if (opsize == 8 && !addr_canonical(rip))
        cpu_raise(cpu, EXC_GP, true, 0);   /* Intel: the #GP is taken at CPL 0 */
    if (opsize == 8)
        set_flat(&cpu->seg[SEG_CS], (uint16_t)((sel + 16) | 3), LONG_CODE(3u));
    else
        set_flat(&cpu->seg[SEG_CS], (uint16_t)(sel | 3), FLAT_CODE(3u));
    /* SS keeps its flat attributes (SDM: the descriptor cache is loaded with
     * fixed values); only the selector comes from STAR */
    set_flat(&cpu->seg[SEG_SS], (uint16_t)((sel + 8) | 3), FLAT_DATA(3u));
    cpu->cpl = 3;
    cpu_set_eflags(cpu, ((uint32_t)cpu->regs[R_R11] & 0x3c7fd7u) | EFLAGS_FIXED1);
    cpu->rip = opsize == 8 ? rip : (uint32_t)rip;
}

