/*
 * cpu.c - CPU lifecycle (power-on/RESET state, SDM Vol. 3A 9.1.1 and
 * table 9-1), EFLAGS access with lazy flags folded in, raising faults, and
 * the interrupt pins.
 */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/system.h"
#include "memory/mmu.h"
#include "translator/tb.h"

void cpu_init(struct cpu *cpu, struct machine *m, struct phys_mem *mem, struct io_bus *io)
{
    memset(cpu, 0, sizeof(*cpu));
    cpu->machine = m;
    cpu->mem = mem;
    cpu->io = io;
    tb_cache_init(cpu);
    cpu_reset(cpu);
}

static void seg_reset(struct segment *s, uint16_t sel, uint32_t base, uint32_t type)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xffff;
    s->flags = type | SEGF_S | SEGF_P;   /* DPL 0, 16-bit, byte granular */
}

void cpu_reset(struct cpu *cpu)
{
    memset(cpu->regs, 0, sizeof(cpu->regs));
    /* EDX holds the processor signature after RESET (family 6). */
    cpu->regs[R_EDX] = 0x00000633;
    cpu->rip = 0x0000fff0;
    cpu->rflags = EFLAGS_FIXED1;
    for (int i = 0; i < SEG_COUNT; i++)
        seg_reset(&cpu->seg[i], 0, 0, 0x3);       /* data read/write, accessed */
    seg_reset(&cpu->seg[SEG_CS], 0xf000, 0xffff0000u, 0xb);  /* code exec/read, accessed */
    cpu->ldtr = (struct segment){ .limit = 0xffff, .flags = 0x2 | SEGF_P };   /* LDT */
    cpu->tr = (struct segment){ .limit = 0xffff, .flags = 0xb | SEGF_P };     /* busy 32-bit TSS */
    cpu->gdtr = (struct dtable){ 0, 0xffff };
    cpu->idtr = (struct dtable){ 0, 0xffff };
    cpu->cr0 = CR0_ET | CR0_CD | CR0_NW;
    cpu->cr2 = cpu->cr3 = cpu->cr4 = 0;
    memset(cpu->dr, 0, sizeof(cpu->dr));
    cpu->dr[6] = 0xffff0ff0u;
    cpu->dr[7] = 0x00000400u;
    cpu->efer = 0;
    cpu->cpl = 0;

    cpu->halted = false;
    cpu->shutdown = false;
    cpu_req_clear(cpu, CPU_REQ_NMI | CPU_REQ_EXIT | CPU_REQ_STOP);  /* the INTR pin stays as driven */
    cpu->exc_vector = -1;

    struct cpu_private *p = &cpu->priv;
    p->lf_op = LF_NONE;
    p->inhibit_irq = false;
    p->inhibit_db = false;
    p->nmi_blocked = false;
    cpu_sys_reset(cpu);                /* MSRs, NMI blocking, EFER: cpu/msr.c */
    /* x87/SSE power-on state (SDM Vol. 3A table 9-1). */
    memset(&p->fpu, 0, sizeof(p->fpu));
    p->fpu.fcw = 0x0040;
    p->fpu.ftw = 0x5555;
    p->fpu.mxcsr = 0x1f80;

    tlb_flush_all(cpu);
    tb_flush_all(cpu);
}

uint32_t cpu_get_eflags(struct cpu *cpu)
{
    return (cpu->rflags & ~EFLAGS_ARITH) | flags_arith(cpu) | EFLAGS_FIXED1;
}

void cpu_set_eflags(struct cpu *cpu, uint32_t value)
{
    cpu->priv.lf_op = LF_NONE;
    /* Bits 3, 5 and 15 and 22-31 are reserved zero, bit 1 reserved one. */
    cpu->rflags = (value & 0x003f7fd5u) | EFLAGS_FIXED1;
}

_Noreturn void cpu_raise(struct cpu *cpu, int vector, bool has_error, uint32_t error_code)
{
    cpu->exc_vector = vector;
    cpu->exc_has_error = has_error;
    cpu->exc_error = error_code;
    longjmp(cpu->exc_jmp, 1);
}

_Noreturn void cpu_raise_pf(struct cpu *cpu, uint64_t linear, uint32_t error_code)
{
    cpu->cr2 = linear;
    cpu_raise(cpu, EXC_PF, true, error_code);
}

void cpu_set_intr(struct cpu *cpu, bool level)
{
    /* Sampled by cpu_exec at every instruction boundary. */
    if (level)
        cpu_req_set(cpu, CPU_REQ_INTR);
    else
        cpu_req_clear(cpu, CPU_REQ_INTR);
}

void cpu_raise_nmi(struct cpu *cpu)
{
    cpu_req_set(cpu, CPU_REQ_NMI);
}

void cpu_request_exit(struct cpu *cpu)
{
    cpu_req_set(cpu, CPU_REQ_EXIT);
}
