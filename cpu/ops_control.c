/*
 * ops_control.c - control transfer and flag-control instructions: Jcc,
 * JMP/CALL/RET near and far, IRET, LOOP/JCXZ, INT n/INT3/INTO/INT1,
 * BOUND, CLC/STC/CMC/CLD/STD/CLI/STI, HLT, UD2, and the hand-off to the
 * x87 and SIMD units. Far transfers, IRET and interrupt delivery are the
 * system half's (cpu/system.h); these handlers fetch operands and do the
 * privilege checks the SDM lists for the instruction itself.
 */
#include <inttypes.h>
#include "cpu/ops.h"
#include "cpu/trace_hooks.h"

OP(jcc)
{
    if (cond_eval(cpu, in->opcode & 0xf))
        branch_to(cpu, cpu->rip + in->imm, in->opsize);
}

OP(jmp_rel) { branch_to(cpu, cpu->rip + in->imm, in->opsize); }

/* Near CALL: the target is checked before anything is pushed. */
static void call_near(struct cpu *cpu, uint64_t target, int size)
{
    if (size == 8) {
        if (!addr_canonical(target))
            raise_gp0(cpu);
    } else {
        target &= size == 2 ? 0xffffu : 0xffffffffu;
        if (target > cpu->seg[SEG_CS].limit)
            raise_gp0(cpu);
    }
    push(cpu, size, cpu->rip);
    cpu->rip = target;
}

OP(call_rel) { call_near(cpu, cpu->rip + in->imm, in->opsize); }
OP(call_rm) { call_near(cpu, rm_read(cpu, in, in->opsize), in->opsize); }
OP(jmp_rm) { branch_to(cpu, rm_read(cpu, in, in->opsize), in->opsize); }

static void ret_near(struct cpu *cpu, int size, uint32_t extra)
{
    uint64_t target = stack_peek(cpu, size, 0);
    branch_to(cpu, target, size);
    sp_set(cpu, sp_get(cpu) + size + extra);
}
OP(ret) { ret_near(cpu, in->opsize, 0); }
OP(ret_imm) { ret_near(cpu, in->opsize, in->imm & 0xffff); }

OP(jmpf_ptr) { cpu_far_jmp(cpu, (uint16_t)in->imm2, in->imm, in->opsize, cpu->rip); }
OP(callf_ptr) { cpu_far_call(cpu, (uint16_t)in->imm2, in->imm, in->opsize, cpu->rip); }

/* FF /3, FF /5: m16:16, m16:32 or (REX.W) m16:64 */
static void read_far_ptr(struct cpu *cpu, const struct insn *in, uint16_t *sel, uint64_t *off)
{
    uint64_t ea = insn_ea(cpu, in);
    *off = mem_read(cpu, in->seg, ea, in->opsize);
    uint64_t sel_off = (ea + in->opsize) & size_mask(in->addrsize);
    *sel = cpu_read16(cpu, in->seg, sel_off);
}
OP(jmpf_rm)
{
    uint16_t sel;
    uint64_t off;
    read_far_ptr(cpu, in, &sel, &off);
    cpu_far_jmp(cpu, sel, off, in->opsize, cpu->rip);
}
OP(callf_rm)
{
    uint16_t sel;
    uint64_t off;
    read_far_ptr(cpu, in, &sel, &off);
    cpu_far_call(cpu, sel, off, in->opsize, cpu->rip);
}

OP(retf) { cpu_far_ret(cpu, in->opsize, 0); }
OP(retf_imm) { cpu_far_ret(cpu, in->opsize, (uint16_t)in->imm); }

OP(iret)
{
    flags_materialize(cpu);
    cpu_iret(cpu, in->opsize);
    cpu->priv.nmi_blocked = false;   /* IRET ends NMI blocking (SDM Vol. 3A 6.7.1) */
}

/* LOOP/LOOPE/LOOPNE/JCXZ: the counter is CX or ECX by address size. */
static bool loop_count(struct cpu *cpu, const struct insn *in)
{
    uint64_t c = (areg_get(cpu, R_ECX, in->addrsize) - 1) & size_mask(in->addrsize);
    areg_set(cpu, R_ECX, in->addrsize, c);
    return c != 0;
}
OP(loop)
{
    if (loop_count(cpu, in))
        branch_to(cpu, cpu->rip + in->imm, in->opsize);
}
OP(loope)
{
    if (loop_count(cpu, in) && (flags_arith(cpu) & EFLAGS_ZF))
        branch_to(cpu, cpu->rip + in->imm, in->opsize);
}
OP(loopne)
{
    if (loop_count(cpu, in) && !(flags_arith(cpu) & EFLAGS_ZF))
        branch_to(cpu, cpu->rip + in->imm, in->opsize);
}
OP(jcxz)
{
    if (areg_get(cpu, R_ECX, in->addrsize) == 0)
        branch_to(cpu, cpu->rip + in->imm, in->opsize);
}

/* Software interrupts: traps that push the next EIP. */
static void soft_int(struct cpu *cpu, int vector, enum int_kind kind)
{
    flags_materialize(cpu);
    cpu->priv.sw_int = true;
    cpu_deliver_interrupt(cpu, vector, kind, false, 0, cpu->rip);
}

OP(int3) { soft_int(cpu, EXC_BP, INT_SOFTWARE); }

/* INT n in v86 mode with IOPL < 3 is #GP(0) (SDM Vol. 3A 20.2.7, no VME). */
OP(int_imm)
{
    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)
        raise_gp0(cpu);
    soft_int(cpu, in->imm & 0xff, INT_SOFTWARE);
}

OP(into)
{
    if (flags_arith(cpu) & EFLAGS_OF)
        soft_int(cpu, EXC_OF, INT_SOFTWARE);
}

/* F1 INT1/ICEBP: a #DB trap without the IOPL and gate-DPL checks. */
OP(int1) { soft_int(cpu, EXC_DB, INT_EXCEPTION); }

/* BOUND r, m: #BR (a fault) when the signed index is outside [lower, upper]. */
OP(bound)
{
    int size = in->opsize;
    uint32_t ea = (uint32_t)insn_ea(cpu, in);
    uint32_t up_off = ea + size;
    if (in->addrsize == 2)
        up_off &= 0xffff;
    int32_t lower, upper, idx;
    if (size == 2) {
        lower = (int16_t)cpu_read16(cpu, in->seg, ea);
        upper = (int16_t)cpu_read16(cpu, in->seg, up_off);
        idx = (int16_t)cpu_reg32(cpu, in->reg);
    } else {
        lower = (int32_t)cpu_read32(cpu, in->seg, ea);
        upper = (int32_t)cpu_read32(cpu, in->seg, up_off);
        idx = (int32_t)cpu_reg32(cpu, in->reg);
    }
    if (idx < lower || idx > upper)
        cpu_raise(cpu, EXC_BR, false, 0);
}

OP(clc) { flags_set(cpu, EFLAGS_CF, 0); }
OP(stc) { flags_set(cpu, EFLAGS_CF, EFLAGS_CF); }
OP(cmc) { flags_set(cpu, EFLAGS_CF, flags_cf(cpu) ? 0 : EFLAGS_CF); }
OP(cld) { cpu->rflags &= ~EFLAGS_DF; }
OP(std) { cpu->rflags |= EFLAGS_DF; }

/* CLI/STI: IOPL-sensitive in protected mode (CPL > IOPL) and v86 mode
 * (IOPL < 3) -> #GP(0) (no VME/PVI here). */
static void check_if_access(struct cpu *cpu)
{
    if (cpu_vm86(cpu)) {
        if (cpu_iopl(cpu) < 3)
            raise_gp0(cpu);
    } else if (cpu_protected(cpu) && cpu->cpl > cpu_iopl(cpu)) {
        raise_gp0(cpu);
    }
}
OP(cli)
{
    check_if_access(cpu);
    cpu->rflags &= ~EFLAGS_IF;
}
/* STI: interrupts stay held off until after the next instruction when IF
 * was 0 (SDM Vol. 2B "STI"). */
OP(sti)
{
    check_if_access(cpu);
    if (!(cpu->rflags & EFLAGS_IF))
        cpu->priv.inhibit_irq = true;
    cpu->rflags |= EFLAGS_IF;
}

/* SWAPGS (0F 01 F8, 64-bit mode): exchange GS.base with IA32_KERNEL_GS_BASE;
 * CPL 0 only (SDM Vol. 2B "SWAPGS"). Reached through op_swapgs_rdtscp
 * (ops_system.c), which checks the mode; rm values other than 0 and 1 of
 * 0F 01 /7 with mod = 3 are not built. */
OP(swapgs)
{
    if ((in->modrm & 7) != 0)       /* the raw rm field: REX.B does not matter */
        raise_ud(cpu);
    if (cpu->cpl != 0)
        raise_gp0(cpu);
    uint64_t t = cpu->seg[SEG_GS].base;
    cpu->seg[SEG_GS].base = cpu->priv.msr.kernel_gs_base;
    cpu->priv.msr.kernel_gs_base = t;
}

/* HLT: privileged (CPL 0) in protected and v86 mode. */
OP(hlt)
{
    if (cpu_protected(cpu) && (cpu->cpl != 0 || cpu_vm86(cpu)))
        raise_gp0(cpu);
    cpu->halted = true;
}

/* UD2 and every encoding the opcode table leaves undefined. The latter are
 * either undefined on an i686 or not implemented here (e.g. the 0F 38 / 0F 3A
 * maps): -d unimp names them, so a guest dying of #UD is easy to diagnose. */
OP(ud)
{
    if (in->desc == &op_desc_ud)
        trace_log(cpu, VM_LOG_UNIMP, "unimp: undefined or unimplemented opcode %s%02x "
                  "at %04x:%08" PRIx64 " (#UD)\n", in->opcode >= 0x100 ? "0F " : "", in->opcode & 0xff,
                  cpu->seg[SEG_CS].sel, in->rip);
    raise_ud(cpu);
}

OP(fpu) { x87_execute(cpu, in); }
OP(fwait) { x87_execute(cpu, in); }
OP(simd) { simd_execute(cpu, in); }
