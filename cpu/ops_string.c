/*
 * ops_string.c - MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with the REP,
 * REPE and REPNE prefixes (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * SI/DI/CX are 16-, 32- or 64-bit by address size and wrap at that size.
 * Each iteration of a repeated instruction retires as one instruction
 * (the SDM lets interrupts and single-step traps in between iterations;
 * QEMU's icount counts them the same way), so virtual time follows the
 * work done. The loop pauses -- EIP stays on the instruction, which runs
 * again -- when cpu_exec's budget is spent, an interrupt, NMI or exit
 * request is waiting, or TF is set (a trap after each iteration).
 * Registers are updated after every element, so a fault in the middle
 * leaves them at the element that faulted: restarting resumes it.
 */
#include "cpu/ops.h"
#include "devices/iobus.h"
#include "cpu/trace_hooks.h"

enum str_kind { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

static inline void index_step(struct cpu *cpu, int r, int asize, int32_t delta)
{
    areg_set(cpu, r, asize, areg_get(cpu, r, asize) + (uint64_t)(int64_t)delta);
}

/* One element; returns false when a REPE/REPNE condition ends the loop. */
static inline void string_element(struct cpu *cpu, const struct insn *in, enum str_kind kind,
                                  int32_t delta)
{
    int size = in->size, asize = in->addrsize;
    if (kind >= STR_INS && size > 4)
        size = 4;                           /* REX.W does not widen port I/O */
    uint64_t si = areg_get(cpu, R_ESI, asize), di = areg_get(cpu, R_EDI, asize);
    uint64_t a, b;
    uint16_t port = cpu->regs[R_EDX] & 0xffff;
    switch (kind) {
    case STR_MOVS:
        a = mem_read(cpu, in->seg, si, size);
        mem_write(cpu, SEG_ES, di, size, a);
        index_step(cpu, R_ESI, asize, delta);
        index_step(cpu, R_EDI, asize, delta);
        break;
    case STR_CMPS:
        a = mem_read(cpu, in->seg, si, size);
        b = mem_read(cpu, SEG_ES, di, size);
        flags_lazy(cpu, LF_SUB, size, a, b, (a - b) & size_mask(size));
        index_step(cpu, R_ESI, asize, delta);
        index_step(cpu, R_EDI, asize, delta);
        break;
    case STR_STOS:
        mem_write(cpu, SEG_ES, di, size, reg_read(cpu, R_EAX, size));
        index_step(cpu, R_EDI, asize, delta);
        break;
    case STR_LODS:
        reg_write(cpu, R_EAX, size, mem_read(cpu, in->seg, si, size));
        index_step(cpu, R_ESI, asize, delta);
        break;
    case STR_SCAS:
        a = reg_read(cpu, R_EAX, size);
        b = mem_read(cpu, SEG_ES, di, size);
        flags_lazy(cpu, LF_SUB, size, a, b, (a - b) & size_mask(size));
        index_step(cpu, R_EDI, asize, delta);
        break;
    case STR_INS:
        /* the destination must be writable before the port is read */
        cpu_probe_write(cpu, SEG_ES, di, size);
        a = cpu_port_read(cpu, port, size);
        mem_write(cpu, SEG_ES, di, size, a);
        index_step(cpu, R_EDI, asize, delta);
        break;
    case STR_OUTS:
        a = mem_read(cpu, in->seg, si, size);
        cpu_port_write(cpu, port, (uint32_t)a, size);
        index_step(cpu, R_ESI, asize, delta);
        break;
    }
}

/* Something that must be looked at between two iterations. */
static inline bool string_should_pause(const struct cpu *cpu)
{
    uint32_t req = cpu->req;
    return (req & (CPU_REQ_EXIT | CPU_REQ_NMI)) || ((req & CPU_REQ_INTR) && (cpu->rflags & EFLAGS_IF));
}

static void string_op(struct cpu *cpu, const struct insn *in, enum str_kind kind)
{
    int32_t esize = (kind >= STR_INS && in->size > 4) ? 4 : in->size;
    int32_t delta = (cpu->rflags & EFLAGS_DF) ? -esize : esize;
    if (kind == STR_INS || kind == STR_OUTS)
        cpu_check_io(cpu, cpu->regs[R_EDX] & 0xffff, (unsigned)esize);
    if (!in->rep) {
        string_element(cpu, in, kind, delta);
        return;
    }
    int asize = in->addrsize;
    bool conditional = kind == STR_CMPS || kind == STR_SCAS;
    uint64_t count = areg_get(cpu, R_ECX, asize);
    if (count == 0)
        return;                             /* retires as one instruction */
    struct cpu_private *p = &cpu->priv;
    /* Elements this execution may run: cpu_exec never starts an
     * instruction with its budget spent, so room >= 1. */
    uint64_t room = p->icount_end > cpu->icount ? p->icount_end - cpu->icount : 1;
    if (cpu->rflags & EFLAGS_TF)
        room = 1;
    uint64_t done = 0;
    for (;;) {
        string_element(cpu, in, kind, delta);
        count--;
        areg_set(cpu, R_ECX, asize, count);
        done++;
        cpu->icount++;                      /* counted now: a fault in the next one keeps it */
        if (count == 0)
            break;
        if (conditional) {
            bool zf = flags_arith(cpu) & EFLAGS_ZF;
            if (in->rep == PFX_REP ? !zf : zf)
                break;
        }
        if (done == room || string_should_pause(cpu)) {
            cpu->rip = p->insn_rip;         /* more to do: run this instruction again */
            break;
        }
    }
    cpu->icount--;                          /* the caller counts the last element */
    /* The block loop reserved one count for this instruction: leave the
     * block so its budget is checked again. */
    if (done > 1)
        cpu_req_set(cpu, CPU_REQ_STOP);
}

OP(movs) { string_op(cpu, in, STR_MOVS); }
OP(cmps) { string_op(cpu, in, STR_CMPS); }
OP(stos) { string_op(cpu, in, STR_STOS); }
OP(lods) { string_op(cpu, in, STR_LODS); }
OP(scas) { string_op(cpu, in, STR_SCAS); }
OP(ins) { string_op(cpu, in, STR_INS); }
OP(outs) { string_op(cpu, in, STR_OUTS); }
