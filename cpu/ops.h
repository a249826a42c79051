/*
 * ops.h - what the instruction handlers (cpu/ops_*.c) share: register and
 * ModRM operand access, the stack, branch targets, and every handler's
 * declaration (the opcode table in optable.c names them).
 */
#ifndef SOFTVM_CPU_OPS_H
#define SOFTVM_CPU_OPS_H

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/optable.h"
#include "cpu/system.h"
#include "memory/mmu.h"

/* --- registers ------------------------------------------------------------ */

/* 8-bit registers (SDM Vol. 2A table 2-2, 3.4.1.1): numbers 0-3 are AL..BL,
 * 4-7 AH..BH, 8-15 R8B..R15B; with a REX prefix the decoder renumbers
 * SPL/BPL/SIL/DIL as 20-23 (REG8_REX + 4..7), so that numbering without REX
 * stays what 16/32-bit code has always used. */
#define REG8_REX 16
static inline uint8_t reg_read8(const struct cpu *cpu, int r)
{
    if ((unsigned)(r - 4) < 4u)
        return (uint8_t)(cpu->regs[r - 4] >> 8);
    return (uint8_t)cpu->regs[r & 15];
}
static inline void reg_write8(struct cpu *cpu, int r, uint8_t v)
{
    if ((unsigned)(r - 4) < 4u)
        cpu->regs[r - 4] = (cpu->regs[r - 4] & ~(uint64_t)0xff00) | ((uint32_t)v << 8);
    else
        cpu->regs[r & 15] = (cpu->regs[r & 15] & ~(uint64_t)0xff) | v;
}
/* Sizes 1, 2, 4, 8 (cpu.h: a 4-byte write zero-extends, 1/2 keep the rest). */
static inline uint64_t reg_read(const struct cpu *cpu, int r, int size)
{
    if (__builtin_expect(size == 4, 1))     /* the common case first */
        return cpu_reg32(cpu, r);
    if (size == 1)
        return reg_read8(cpu, r);
    return size == 2 ? cpu_reg16(cpu, r) : cpu->regs[r];
}
static inline void reg_write(struct cpu *cpu, int r, int size, uint64_t v)
{
    if (__builtin_expect(size == 4, 1))
        cpu_set_reg32(cpu, r, (uint32_t)v);
    else if (size == 1)
        reg_write8(cpu, r, (uint8_t)v);
    else if (size == 2)
        cpu_set_reg16(cpu, r, (uint16_t)v);
    else
        cpu->regs[r] = v;
}

/* --- memory operands ------------------------------------------------------- */

/*
 * Inline fast path of cpu_readN/cpu_writeN (cpu/access.c) for the access
 * almost every instruction makes: a present, expand-up data segment
 * (writable for a write), the offset inside the limit, no DR7 breakpoint
 * armed, and a TLB hit inside one page (memory/mmu.h). It returns the host
 * address, or NULL for everything else, which then goes through the full
 * checks of access.c. The segment test is only a shortcut: in real and v86
 * mode access.c checks just the limit, which is what is left to check here
 * when the flags pass, so the result is the same in every mode.
 */
static inline uint8_t *mem_fast_host(struct cpu *cpu, int seg, uint64_t off, int size, bool write)
{
    const struct segment *s = &cpu->seg[seg];
    if (__builtin_expect(cpu_code64(cpu), 0)) {
        /* 64-bit mode: no limit or type checks, only FS/GS have a base; a
         * non-canonical address misses the TLB and faults in access.c */
        if (cpu_breakpoints_armed(cpu))
            return NULL;
        uint64_t lin = (seg >= SEG_FS ? s->base : 0) + off;
        if ((lin & (uint32_t)(size - 1)) && (cpu->cr0 & CR0_AM))
            return NULL;
        return mmu_fast_host(cpu, lin, (unsigned)size, mmu_priv(cpu), write ? TLB_WRITE : TLB_READ);
    }
    /* P, data (bit 3 clear), expand-up (bit 2 clear), W (bit 1) for writes */
    uint32_t type_mask = SEGF_P | 0xc | (write ? 0x2 : 0);
    uint32_t type_want = SEGF_P | (write ? 0x2 : 0);
    if ((s->flags & type_mask) != type_want || off > s->limit
        || s->limit - off < (uint32_t)size - 1 || cpu_breakpoints_armed(cpu))
        return NULL;
    uint64_t lin = linear_addr(cpu, s->base, off);
    if ((lin & (uint32_t)(size - 1)) && (cpu->cr0 & CR0_AM))
        return NULL;    /* possibly #AC: the slow path decides */
    return mmu_fast_host(cpu, lin, (unsigned)size, mmu_priv(cpu), write ? TLB_WRITE : TLB_READ);
}

static inline uint64_t mem_read(struct cpu *cpu, int seg, uint64_t off, int size)
{
    uint8_t *h = mem_fast_host(cpu, seg, off, size, false);
    if (__builtin_expect(h != NULL, 1)) {
        if (size == 1)
            return *h;
        if (size == 2) {
            uint16_t v;
            memcpy(&v, h, 2);
            return v;
        }
        if (size == 4) {
            uint32_t v;
            memcpy(&v, h, 4);
            return v;
        }
        uint64_t v;
        memcpy(&v, h, 8);
        return v;
    }
    switch (size) {
    case 1: return cpu_read8(cpu, seg, off);
    case 2: return cpu_read16(cpu, seg, off);
    case 4: return cpu_read32(cpu, seg, off);
    default: return cpu_read64(cpu, seg, off);
    }
}
static inline void mem_write(struct cpu *cpu, int seg, uint64_t off, int size, uint64_t v)
{
    uint8_t *h = mem_fast_host(cpu, seg, off, size, true);
    if (__builtin_expect(h != NULL, 1)) {
        if (size == 1) {
            *h = (uint8_t)v;
        } else if (size == 2) {
            uint16_t w = (uint16_t)v;
            memcpy(h, &w, 2);
        } else if (size == 4) {
            uint32_t w = (uint32_t)v;
            memcpy(h, &w, 4);
        } else {
            memcpy(h, &v, 8);
        }
        return;
    }
    switch (size) {
    case 1: cpu_write8(cpu, seg, off, (uint8_t)v); break;
    case 2: cpu_write16(cpu, seg, off, (uint16_t)v); break;
    case 4: cpu_write32(cpu, seg, off, (uint32_t)v); break;
    default: cpu_write64(cpu, seg, off, v); break;
    }
}

/* The r/m operand: a register when mod = 3, else memory at insn_ea. */
static inline uint64_t rm_read(struct cpu *cpu, const struct insn *in, int size)
{
    if (in->mod == 3)
        return reg_read(cpu, in->rm, size);
    return mem_read(cpu, in->seg, insn_ea(cpu, in), size);
}
static inline void rm_write(struct cpu *cpu, const struct insn *in, int size, uint64_t v)
{
    if (in->mod == 3)
        reg_write(cpu, in->rm, size, v);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), size, v);
}

/* --- stack: RSP in 64-bit mode, else SS.B selects ESP or SP (SDM Vol. 1
 * 6.2.3, 6.14.2) ------------------------------------------------------------ */

static inline bool stack32(const struct cpu *cpu) { return cpu->seg[SEG_SS].flags & SEGF_DB; }

static inline uint64_t sp_mask(const struct cpu *cpu)
{
    if (__builtin_expect(cpu_code64(cpu), 0))
        return ~0ull;
    return stack32(cpu) ? 0xffffffffu : 0xffffu;
}
static inline uint64_t sp_get(const struct cpu *cpu) { return cpu->regs[R_ESP] & sp_mask(cpu); }
static inline void sp_set(struct cpu *cpu, uint64_t v)
{
    uint64_t m = sp_mask(cpu);
    if (m == 0xffffffffu)
        cpu->regs[R_ESP] = (uint32_t)v;
    else
        cpu->regs[R_ESP] = (cpu->regs[R_ESP] & ~m) | (v & m);
}

/* Push/pop of 2, 4 or 8 bytes: the memory access comes before ESP changes,
 * so a fault leaves ESP as it was. */
static inline void push(struct cpu *cpu, int size, uint64_t v)
{
    uint64_t sp = (sp_get(cpu) - size) & sp_mask(cpu);
    mem_write(cpu, SEG_SS, sp, size, v);
    sp_set(cpu, sp);
}
static inline uint64_t pop(struct cpu *cpu, int size)
{
    uint64_t sp = sp_get(cpu);
    uint64_t v = mem_read(cpu, SEG_SS, sp, size);
    sp_set(cpu, sp + size);
    return v;
}
/* Read the stack at offset `at` from the top without popping. */
static inline uint64_t stack_peek(struct cpu *cpu, int size, uint64_t at)
{
    return mem_read(cpu, SEG_SS, (sp_get(cpu) + at) & sp_mask(cpu), size);
}

/* --- control transfer ------------------------------------------------------ */

/* Near branch to target: truncated to the operand size, then #GP(0) past
 * the CS limit, or in 64-bit mode when not canonical (SDM Vol. 2A JMP). */
static inline void branch_to(struct cpu *cpu, uint64_t target, int opsize)
{
    if (opsize == 8) {
        if (!addr_canonical(target))
            cpu_raise(cpu, EXC_GP, true, 0);
        cpu->rip = target;
        return;
    }
    target &= opsize == 2 ? 0xffffu : 0xffffffffu;
    if (target > cpu->seg[SEG_CS].limit)
        cpu_raise(cpu, EXC_GP, true, 0);
    cpu->rip = target;
}

static inline bool cpu_pm(const struct cpu *cpu) { return (cpu->cr0 & CR0_PE) && !(cpu->rflags & EFLAGS_VM); }
static inline int cpu_iopl(const struct cpu *cpu) { return (cpu->rflags >> 12) & 3; }

static inline _Noreturn void raise_ud(struct cpu *cpu) { cpu_raise(cpu, EXC_UD, false, 0); }
static inline _Noreturn void raise_gp0(struct cpu *cpu) { cpu_raise(cpu, EXC_GP, true, 0); }

/* The address-size register view for string ops, LOOP, JCXZ. */
static inline uint64_t areg_get(const struct cpu *cpu, int r, int asize)
{
    return reg_read(cpu, r, asize);
}
static inline void areg_set(struct cpu *cpu, int r, int asize, uint64_t v)
{
    reg_write(cpu, r, asize, v);
}

/* --- handlers ----------------------------------------------------------------
 * Named op_<what>; each is a row's fn in optable.c. */
#define OP(name) void op_##name(struct cpu *cpu, const struct insn *in)

/* ops_alu.c */
OP(alu_rm_r); OP(alu_r_rm); OP(alu_acc_imm); OP(alu_rm_imm);
OP(test_rm_r); OP(test_acc_imm); OP(test_rm_imm);
OP(inc_r); OP(dec_r); OP(inc_rm); OP(dec_rm); OP(not_rm); OP(neg_rm);
OP(mul_rm); OP(imul_rm); OP(div_rm); OP(idiv_rm); OP(imul_r_rm); OP(imul_r_rm_imm);
OP(daa); OP(das); OP(aaa); OP(aas); OP(aam); OP(aad); OP(salc);
OP(cbw); OP(cwd);
/* ops_shift.c */
OP(shift_rm_1); OP(shift_rm_cl); OP(shift_rm_imm); OP(shld_imm); OP(shld_cl); OP(shrd_imm); OP(shrd_cl);
/* ops_bit.c */
OP(bt_rm_r); OP(bts_rm_r); OP(btr_rm_r); OP(btc_rm_r); OP(bt_grp_imm);
OP(bsf); OP(bsr); OP(setcc); OP(cmovcc); OP(bswap);
/* ops_mov.c */
OP(mov_rm_r); OP(mov_r_rm); OP(mov_r_imm); OP(mov_rm_imm); OP(mov_acc_moffs); OP(mov_moffs_acc);
OP(mov_rm_sreg); OP(mov_sreg_rm); OP(lea); OP(movzx); OP(movsx); OP(movsxd);
OP(xchg_rm_r); OP(xchg_acc_r); OP(xadd); OP(cmpxchg); OP(cmpxchg8b);
OP(les); OP(lds); OP(lss); OP(lfs); OP(lgs); OP(xlat); OP(lahf); OP(sahf);
OP(nop); OP(nop_rm);
/* ops_stack.c */
OP(push_r); OP(pop_r); OP(push_imm); OP(push_rm); OP(pop_rm); OP(push_sreg); OP(pop_sreg);
OP(pusha); OP(popa); OP(pushf); OP(popf); OP(enter); OP(leave);
/* ops_control.c */
OP(jcc); OP(jmp_rel); OP(call_rel); OP(jmp_rm); OP(call_rm); OP(ret); OP(ret_imm);
OP(jmpf_ptr); OP(callf_ptr); OP(jmpf_rm); OP(callf_rm); OP(retf); OP(retf_imm); OP(iret);
OP(loop); OP(loope); OP(loopne); OP(jcxz);
OP(int3); OP(int_imm); OP(into); OP(int1); OP(bound);
OP(clc); OP(stc); OP(cmc); OP(cld); OP(std); OP(cli); OP(sti); OP(hlt); OP(swapgs);
OP(ud); OP(fpu); OP(simd); OP(fwait);
/* ops_string.c */
OP(movs); OP(cmps); OP(stos); OP(lods); OP(scas); OP(ins); OP(outs);
/* ops_io.c */
OP(in_imm); OP(in_dx); OP(out_imm); OP(out_dx);
/* ops_system.c */
OP(sldt); OP(str); OP(lldt); OP(ltr); OP(verr); OP(verw);
OP(sgdt); OP(sidt); OP(lgdt); OP(lidt); OP(smsw); OP(lmsw); OP(invlpg);
OP(lar); OP(lsl); OP(clts); OP(invd); OP(wbinvd); OP(mov_r_cr); OP(mov_cr_r);
OP(mov_r_dr); OP(mov_dr_r); OP(wrmsr); OP(rdtsc); OP(rdmsr); OP(rdpmc);
OP(swapgs_rdtscp); OP(clac_stac);
OP(sysenter); OP(sysexit); OP(cpuid); OP(arpl); OP(syscall); OP(sysret);

#endif
