/*
 * ops_system.c - system instructions: operand fetching and the privilege
 * checks of each instruction's SDM page; the semantics are the system
 * half's (cpu/system.h). Descriptor-table registers (LGDT/SGDT/...) are
 * plain register moves and live here.
 */
#include "cpu/ops.h"
#include "memory/mmu.h"

/* CPL 0 only: #GP(0) at CPL > 0 and in v86 mode (real mode is CPL 0). */
static void require_cpl0(struct cpu *cpu)
{
    if (cpu_protected(cpu) && (cpu->cpl != 0 || cpu_vm86(cpu)))
        raise_gp0(cpu);
}

/* Store a selector-like 16-bit value: zero-extended to a 32-bit register,
 * 16 bits to memory. */
static void store_sel(struct cpu *cpu, const struct insn *in, uint16_t v)
{
    if (in->mod == 3)
        reg_write(cpu, in->rm, in->opsize, v);
    else
        cpu_write16(cpu, in->seg, insn_ea(cpu, in), v);
}

/* CR4.UMIP: SGDT, SIDT, SLDT, STR and SMSW are CPL 0 only (SDM Vol. 3A 2.5). */
static void umip_check(struct cpu *cpu)
{
    if ((cpu->cr4 & CR4_UMIP) && cpu_protected(cpu) && (cpu->cpl != 0 || cpu_vm86(cpu)))
        raise_gp0(cpu);
}

OP(sldt) { umip_check(cpu); store_sel(cpu, in, cpu->ldtr.sel); }
OP(str) { umip_check(cpu); store_sel(cpu, in, cpu->tr.sel); }

OP(lldt)
{
    require_cpl0(cpu);
    cpu_lldt(cpu, rm_read(cpu, in, 2));
}

OP(ltr)
{
    require_cpl0(cpu);
    cpu_ltr(cpu, rm_read(cpu, in, 2));
}

OP(verr)
{
    uint16_t sel = rm_read(cpu, in, 2);
    flags_set(cpu, EFLAGS_ZF, cpu_verr(cpu, sel) ? EFLAGS_ZF : 0);
}

OP(verw)
{
    uint16_t sel = rm_read(cpu, in, 2);
    flags_set(cpu, EFLAGS_ZF, cpu_verw(cpu, sel) ? EFLAGS_ZF : 0);
}

/* SGDT/SIDT store the 16-bit limit and the full 32-bit base; in 64-bit
 * mode the base is 64 bits whatever the operand size (SDM Vol. 2B SGDT). */
static void store_dtable(struct cpu *cpu, const struct insn *in, const struct dtable *t)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t ea2 = (ea + 2) & size_mask(in->addrsize);
    bool b64 = cpu_code64(cpu);
    cpu_probe_write(cpu, in->seg, ea, b64 ? 10 : 6);
    cpu_write16(cpu, in->seg, ea, t->limit);
    if (b64)
        cpu_write64(cpu, in->seg, ea2, t->base);
    else
        cpu_write32(cpu, in->seg, ea2, (uint32_t)t->base);
}

/* LGDT/LIDT: with 16-bit operand size only 24 bits of base are loaded; in
 * 64-bit mode 64 bits, which must be canonical (#GP(0)). */
static void load_dtable(struct cpu *cpu, const struct insn *in, struct dtable *t)
{
    require_cpl0(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint64_t ea2 = (ea + 2) & size_mask(in->addrsize);
    uint16_t limit = cpu_read16(cpu, in->seg, ea);
    uint64_t base;
    if (cpu_code64(cpu)) {
        base = cpu_read64(cpu, in->seg, ea2);
        if (!addr_canonical(base))
            raise_gp0(cpu);
    } else {
        base = cpu_read32(cpu, in->seg, ea2);
        if (in->opsize == 2)
            base &= 0x00ffffffu;
    }
    t->limit = limit;
    t->base = base;
}

OP(sgdt) { umip_check(cpu); store_dtable(cpu, in, &cpu->gdtr); }
OP(sidt) { umip_check(cpu); store_dtable(cpu, in, &cpu->idtr); }
OP(lgdt) { load_dtable(cpu, in, &cpu->gdtr); }
OP(lidt) { load_dtable(cpu, in, &cpu->idtr); }

/* SMSW: to a register the whole CR0 (operand size), to memory 16 bits.
 * Allowed at any CPL unless CR4.UMIP is set (SDM Vol. 2B SMSW). */
OP(smsw)
{
    umip_check(cpu);
    uint64_t cr0 = cpu->cr0;
    if (in->mod == 3)
        reg_write(cpu, in->rm, in->opsize, cr0);
    else
        cpu_write16(cpu, in->seg, insn_ea(cpu, in), (uint16_t)cr0);
}

/* LMSW: loads PE, MP, EM, TS; cannot clear PE. */
OP(lmsw)
{
    require_cpl0(cpu);
    uint32_t v = rm_read(cpu, in, 2) & 0xf;
    uint32_t cr0 = cpu->cr0;
    uint32_t n = (cr0 & ~0xeu) | (v & 0xe) | ((cr0 | v) & CR0_PE);
    cpu_write_cr(cpu, 0, n);
    cpu_req_set(cpu, CPU_REQ_STOP);
}

OP(invlpg)
{
    require_cpl0(cpu);
    uint64_t base = cpu_code64(cpu) && in->seg < SEG_FS ? 0 : cpu->seg[in->seg].base;
    tlb_flush_page(cpu, linear_addr(cpu, base, insn_ea(cpu, in)));
}

OP(lar)
{
    uint32_t out;
    uint16_t sel = rm_read(cpu, in, 2);
    if (cpu_lar(cpu, sel, &out)) {
        reg_write(cpu, in->reg, in->opsize, out);
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
    } else {
        flags_set(cpu, EFLAGS_ZF, 0);
    }
}

OP(lsl)
{
    uint32_t out;
    uint16_t sel = rm_read(cpu, in, 2);
    if (cpu_lsl(cpu, sel, &out)) {
        reg_write(cpu, in->reg, in->opsize, out);
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
    } else {
        flags_set(cpu, EFLAGS_ZF, 0);
    }
}

OP(clts)
{
    require_cpl0(cpu);
    cpu->cr0 &= ~CR0_TS;
}

OP(invd) { require_cpl0(cpu); }
OP(wbinvd) { require_cpl0(cpu); }

/* MOV r32, CRn / MOV CRn, r32: ModRM.mod is ignored (always a register).
 * CR1, CR5-CR7 are #UD, and CR8 (REX.R) outside 64-bit mode, CR9-CR15. */
static void check_cr(struct cpu *cpu, int n)
{
    if (n == 1 || (n > 4 && !(n == 8 && cpu_code64(cpu))))
        raise_ud(cpu);
    require_cpl0(cpu);
}

OP(mov_r_cr)
{
    check_cr(cpu, in->reg);
    reg_write(cpu, in->rm, in->opsize == 8 ? 8 : 4, cpu_read_cr(cpu, in->reg));
}

OP(mov_cr_r)
{
    check_cr(cpu, in->reg);
    cpu_write_cr(cpu, in->reg, cpu->regs[in->rm]);
    cpu_req_set(cpu, CPU_REQ_STOP);
}

OP(mov_r_dr)
{
    require_cpl0(cpu);
    reg_write(cpu, in->rm, in->opsize == 8 ? 8 : 4, cpu_read_dr(cpu, in->reg));
}

OP(mov_dr_r)
{
    require_cpl0(cpu);
    cpu_write_dr(cpu, in->reg, reg_read(cpu, in->rm, in->opsize == 8 ? 8 : 4));
}

OP(wrmsr)
{
    require_cpl0(cpu);
    cpu_wrmsr(cpu, cpu_reg32(cpu, R_ECX), ((uint64_t)cpu_reg32(cpu, R_EDX) << 32) | cpu_reg32(cpu, R_EAX));
}

OP(rdmsr)
{
    require_cpl0(cpu);
    uint64_t v = cpu_rdmsr(cpu, cpu_reg32(cpu, R_ECX));
    cpu_set_reg32(cpu, R_EAX, (uint32_t)v);
    cpu_set_reg32(cpu, R_EDX, (uint32_t)(v >> 32));
}

/* RDTSC: #GP(0) when CR4.TSD is set and CPL > 0. */
OP(rdtsc)
{
    if ((cpu->cr4 & CR4_TSD) && cpu_protected(cpu) && (cpu->cpl != 0 || cpu_vm86(cpu)))
        raise_gp0(cpu);
    uint64_t v = cpu_rdtsc(cpu);
    cpu_set_reg32(cpu, R_EAX, (uint32_t)v);
    cpu_set_reg32(cpu, R_EDX, (uint32_t)(v >> 32));
}

/* RDTSCP (0F 01 F9): EDX:EAX = the TSC, ECX = IA32_TSC_AUX[31:0]; #UD
 * without CPUID.80000001H:EDX.RDTSCP, #GP(0) as RDTSC with CR4.TSD (SDM
 * Vol. 2B RDTSCP). SWAPGS (0F 01 F8) shares the row: #UD outside 64-bit
 * mode, on Intel (SDM Vol. 2B SWAPGS). */
OP(swapgs_rdtscp)
{
    if ((in->modrm & 7) == 1) {
        if (!cpu->feat_rdtscp)
            raise_ud(cpu);
        uint64_t v = cpu_rdtsc(cpu);
        cpu_set_reg32(cpu, R_EAX, (uint32_t)v);
        cpu_set_reg32(cpu, R_EDX, (uint32_t)(v >> 32));
        cpu_set_reg32(cpu, R_ECX, cpu->priv.msr.tsc_aux);
        return;
    }
    if (!cpu_code64(cpu))
        raise_ud(cpu);
    op_swapgs(cpu, in);
}

/* CLAC (0F 01 CA) and STAC (0F 01 CB): clear or set EFLAGS.AC, which lets
 * CPL 0-2 reach user-mode pages under CR4.SMAP (SDM Vol. 2A CLAC, Vol. 2B
 * STAC): #UD without CPUID.(EAX=7,ECX=0):EBX.SMAP and at CPL > 0 (so in
 * virtual-8086 mode). */
OP(clac_stac)
{
    unsigned rm = in->modrm & 7;
    if ((rm != 2 && rm != 3) || !(cpu->feat7_ebx & CPUID7_EBX_SMAP) || cpu->cpl != 0)
        raise_ud(cpu);
    if (rm == 3)
        cpu->rflags |= EFLAGS_AC;
    else
        cpu->rflags &= ~EFLAGS_AC;
}

/* RDPMC: no performance counters are implemented: #GP(0). */
OP(rdpmc) { raise_gp0(cpu); }

OP(sysenter)
{
    flags_materialize(cpu);
    cpu_sysenter(cpu);
}

OP(sysexit)
{
    flags_materialize(cpu);
    cpu_sysexit(cpu);
}

OP(cpuid)
{
    uint32_t out[4];
    cpu_cpuid(cpu, cpu_reg32(cpu, R_EAX), cpu_reg32(cpu, R_ECX), out);
    cpu_set_reg32(cpu, R_EAX, out[0]);
    cpu_set_reg32(cpu, R_EBX, out[1]);
    cpu_set_reg32(cpu, R_ECX, out[2]);
    cpu_set_reg32(cpu, R_EDX, out[3]);
}

/* ARPL r/m16, r16: raise the RPL of the destination to the source's. */
OP(arpl)
{
    uint32_t ea = 0;
    uint16_t dst;
    if (in->mod == 3) {
        dst = reg_read(cpu, in->rm, 2);
    } else {
        ea = insn_ea(cpu, in);
        dst = cpu_read16(cpu, in->seg, ea);
    }
    uint16_t src = reg_read(cpu, in->reg, 2);
    if ((dst & 3) < (src & 3)) {
        dst = (dst & ~3) | (src & 3);
        if (in->mod == 3)
            reg_write(cpu, in->rm, 2, dst);
        else
            cpu_write16(cpu, in->seg, ea, dst);
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
    } else {
        flags_set(cpu, EFLAGS_ZF, 0);
    }
}

/* SYSCALL/SYSRET (0F 05 / 0F 07, 64-bit mode): cpu/sysregs.c. */
OP(syscall) { cpu_syscall(cpu); }
OP(sysret) { cpu_sysret(cpu, in->opsize); }
