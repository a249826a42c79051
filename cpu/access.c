/*
 * access.c - effective addresses and segmented data accesses.
 *
 * Every data access an instruction makes goes through cpu_readN/cpu_writeN:
 * the segment's limit and type are checked here (SDM Vol. 3A 5.3 limit
 * checking, 5.4 type checking; #SS(0) for SS, #GP(0) otherwise), then the
 * linear address base + offset goes to the softMMU (memory/mmu.h).
 * With any DR7 breakpoint enabled, each access is also matched against the
 * data breakpoints (the #DB trap comes at the end of the instruction).
 */
#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "memory/mmu.h"
#include "cpu/system.h"

/* 64-bit address size, and RIP-relative addressing (base INSN_BASE_RIP:
 * the handler runs with cpu->rip at the next instruction, SDM Vol. 2A
 * 2.2.1.6; with a 67 prefix the sum wraps at 32 bits). */
static uint64_t insn_ea64(struct cpu *cpu, const struct insn *in)
{
    uint64_t ea = (uint64_t)in->disp;
    if (in->base >= 0)
        ea += cpu->regs[in->base];
    else if (in->base == INSN_BASE_RIP)
        ea += cpu->rip;
    if (in->index >= 0)
        ea += cpu->regs[in->index] << in->scale;
    return in->addrsize == 8 ? ea : (uint32_t)ea;
}

uint64_t insn_ea(struct cpu *cpu, const struct insn *in)
{
    if (__builtin_expect(in->addrsize == 8, 0))
        return insn_ea64(cpu, in);
    /* 16/32-bit address size: 32-bit arithmetic wraps exactly as the
     * address does */
    uint32_t ea = (uint32_t)in->disp;
    if (in->base >= 0)
        ea += cpu_reg32(cpu, in->base);
    else if (__builtin_expect(in->base == INSN_BASE_RIP, 0))
        return insn_ea64(cpu, in);
    if (in->index >= 0)
        ea += cpu_reg32(cpu, in->index) << in->scale;
    if (in->addrsize == 2)
        ea &= 0xffff;
    return ea;
}

static _Noreturn void seg_fault(struct cpu *cpu, int seg)
{
    cpu_raise(cpu, seg == SEG_SS ? EXC_SS : EXC_GP, true, 0);
}

/*
 * Limit and rights check of an access of `size` bytes at off. The common
 * case (expand-up, inside the limit, in real mode or with the right type)
 * costs two compares.
 */
static inline uint64_t seg_check(struct cpu *cpu, int seg, uint64_t off, unsigned size, bool write)
{
    const struct segment *s = &cpu->seg[seg];
    if (__builtin_expect(cpu_code64(cpu), 0)) {
        /* 64-bit mode (SDM Vol. 3A 3.2.4, 5.3.1): no limit or type checks,
         * bases only for FS and GS; a non-canonical address is #SS(0) for
         * SS-based accesses, #GP(0) otherwise. */
        uint64_t lin = (seg >= SEG_FS ? s->base : 0) + off;
        if (!addr_canonical(lin) || !addr_canonical(lin + size - 1))
            seg_fault(cpu, seg);
        return lin;
    }
    uint32_t f = s->flags;
    bool pm = (cpu->cr0 & CR0_PE) && !(cpu->rflags & EFLAGS_VM);
    if (pm) {
        if (!(f & SEGF_P))                      /* null or not-present (unusable) */
            seg_fault(cpu, seg);
        if (f & 0x8) {                          /* code: never writable, readable if R */
            if (write || !(f & 0x2))
                seg_fault(cpu, seg);
        } else if (write && !(f & 0x2)) {       /* data: writable if W */
            seg_fault(cpu, seg);
        }
        if ((f & 0xc) == 0x4) {                 /* expand-down data segment */
            uint32_t upper = (f & SEGF_DB) ? 0xffffffffu : 0xffffu;
            if (off <= s->limit || off > upper - (size - 1))
                seg_fault(cpu, seg);
            return linear_addr(cpu, s->base, off);
        }
    }
    if (off > s->limit || s->limit - off < size - 1)
        seg_fault(cpu, seg);
    return linear_addr(cpu, s->base, off);
}

/* cpu_readN / cpu_writeN: the segment check, the softMMU access of the
 * same width (memory/mmu.h), then the data breakpoints. */
#define CPU_DEFINE_ACCESS(bits)                                                     \
uint##bits##_t cpu_read##bits(struct cpu *cpu, int seg, uint64_t off)               \
{                                                                                   \
    uint64_t lin = seg_check(cpu, seg, off, bits / 8, false);                       \
    uint##bits##_t v = mmu_read##bits(cpu, lin);                                    \
    if (__builtin_expect(cpu_breakpoints_armed(cpu), 0))                            \
        cpu_check_data_breakpoint(cpu, lin, bits / 8, false);                       \
    return v;                                                                       \
}                                                                                   \
void cpu_write##bits(struct cpu *cpu, int seg, uint64_t off, uint##bits##_t v)      \
{                                                                                   \
    uint64_t lin = seg_check(cpu, seg, off, bits / 8, true);                        \
    mmu_write##bits(cpu, lin, v);                                                   \
    if (__builtin_expect(cpu_breakpoints_armed(cpu), 0))                            \
        cpu_check_data_breakpoint(cpu, lin, bits / 8, true);                        \
}

CPU_DEFINE_ACCESS(8)
CPU_DEFINE_ACCESS(16)
CPU_DEFINE_ACCESS(32)
CPU_DEFINE_ACCESS(64)

/* Check that a write of len bytes at seg:off would pass segmentation and
 * paging, without writing (multi-part writes that must be all-or-nothing). */
void cpu_probe_write(struct cpu *cpu, int seg, uint64_t off, uint32_t len)
{
    uint64_t lin = seg_check(cpu, seg, off, len, true);
    mmu_probe_write(cpu, lin, len);
}
