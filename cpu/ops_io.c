/*
 * ops_io.c - IN and OUT (SDM Vol. 2A "IN", Vol. 2B "OUT"). The permission
 * check (IOPL, then the TSS I/O bitmap) is cpu_check_io's; the port access
 * goes to the I/O bus (devices/iobus.h).
 */
#include "cpu/ops.h"
#include "devices/iobus.h"
#include "cpu/trace_hooks.h"

static void do_in(struct cpu *cpu, const struct insn *in, uint16_t port)
{
    cpu_check_io(cpu, port, in->size);
    int size = in->size > 4 ? 4 : in->size;     /* REX.W does not widen port I/O */
    reg_write(cpu, R_EAX, size, cpu_port_read(cpu, port, size));
}

static void do_out(struct cpu *cpu, const struct insn *in, uint16_t port)
{
    cpu_check_io(cpu, port, in->size);
    int size = in->size > 4 ? 4 : in->size;
    cpu_port_write(cpu, port, (uint32_t)reg_read(cpu, R_EAX, size), size);
}

OP(in_imm) { do_in(cpu, in, in->imm & 0xff); }
OP(in_dx) { do_in(cpu, in, cpu_reg32(cpu, R_EDX) & 0xffff); }
OP(out_imm) { do_out(cpu, in, in->imm & 0xff); }
OP(out_dx) { do_out(cpu, in, cpu_reg32(cpu, R_EDX) & 0xffff); }
