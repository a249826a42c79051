/*
 * system.h - the system side of the CPU: segmentation and descriptor loads,
 * far control transfers, interrupt/exception delivery, task switches,
 * control/debug registers, MSRs, CPUID, SYSENTER/SYSEXIT and I/O permission.
 * Implemented in cpu/seg.c, cpu/interrupt.c, cpu/task.c, cpu/sysregs.c,
 * cpu/cpuid.c; called by the instruction handlers.
 *
 * Spec: Intel SDM Vol. 3A ch. 3 (segmentation), 5 (protection),
 * 6 (interrupts), 7 (tasks), 20 (virtual-8086); Vol. 2 for each instruction.
 * Every function raises the architected fault itself (cpu_raise) on error.
 */
#ifndef SOFTVM_CPU_SYSTEM_H
#define SOFTVM_CPU_SYSTEM_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/cpu.h"

static inline bool cpu_protected(const struct cpu *cpu) { return cpu->cr0 & CR0_PE; }
static inline bool cpu_vm86(const struct cpu *cpu) { return cpu->eflags & EFLAGS_VM; }

/* MOV/POP Sreg, LDS/LES/LFS/LGS/LSS: load with the mode's rules and checks. */
void seg_load(struct cpu *cpu, int sreg, uint16_t sel);
/* Real-mode / v86 load: base = sel << 4, limit and rights unchanged. */
void seg_load_real(struct cpu *cpu, int sreg, uint16_t sel);

/* Far transfers. opsize is 2 or 4; next_eip is the return address. */
void cpu_far_jmp(struct cpu *cpu, uint16_t sel, uint32_t off, int opsize, uint32_t next_eip);
void cpu_far_call(struct cpu *cpu, uint16_t sel, uint32_t off, int opsize, uint32_t next_eip);
void cpu_far_ret(struct cpu *cpu, int opsize, uint16_t pop_bytes);
void cpu_iret(struct cpu *cpu, int opsize);

/* Deliver an interrupt or exception now (real mode IVT, protected mode IDT
 * gates, v86). return_eip is what gets pushed. Handles #DF escalation and
 * triple fault (sets the shutdown state). */
enum int_kind { INT_EXCEPTION, INT_EXTERNAL, INT_SOFTWARE /* INT n, INT3, INTO */, INT_NMI };
void cpu_deliver_interrupt(struct cpu *cpu, int vector, enum int_kind kind,
                           bool has_error, uint32_t error_code, uint32_t return_eip);

/* System registers. */
void cpu_write_cr(struct cpu *cpu, int n, uint32_t value);   /* flushes the TLB as the SDM says */
uint32_t cpu_read_cr(struct cpu *cpu, int n);
void cpu_write_dr(struct cpu *cpu, int n, uint32_t value);
uint32_t cpu_read_dr(struct cpu *cpu, int n);
void cpu_lldt(struct cpu *cpu, uint16_t sel);
void cpu_ltr(struct cpu *cpu, uint16_t sel);
/* LAR/LSL/VERR/VERW: return true and set *out when the selector passes (ZF=1). */
bool cpu_lar(struct cpu *cpu, uint16_t sel, uint32_t *out);
bool cpu_lsl(struct cpu *cpu, uint16_t sel, uint32_t *out);
bool cpu_verr(struct cpu *cpu, uint16_t sel);
bool cpu_verw(struct cpu *cpu, uint16_t sel);

/* MSRs: raise #GP for unimplemented ones. */
uint64_t cpu_rdmsr(struct cpu *cpu, uint32_t index);
void cpu_wrmsr(struct cpu *cpu, uint32_t index, uint64_t value);
void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
uint64_t cpu_rdtsc(struct cpu *cpu);
void cpu_sysenter(struct cpu *cpu);
void cpu_sysexit(struct cpu *cpu);

/* IN/OUT/INS/OUTS permission: IOPL, then the TSS I/O bitmap (SDM Vol. 1 18.5). */
void cpu_check_io(struct cpu *cpu, uint16_t port, unsigned size);

#endif
