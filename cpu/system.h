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
static inline bool cpu_vm86(const struct cpu *cpu) { return cpu->rflags & EFLAGS_VM; }

/* MOV/POP Sreg, LDS/LES/LFS/LGS/LSS: load with the mode's rules and checks. */
void seg_load(struct cpu *cpu, int sreg, uint16_t sel);
/* Real-mode / v86 load: base = sel << 4, limit and rights unchanged. */
void seg_load_real(struct cpu *cpu, int sreg, uint16_t sel);

/* Far transfers. opsize is 2 or 4; next_eip is the return address. */
void cpu_far_jmp(struct cpu *cpu, uint16_t sel, uint64_t off, int opsize, uint64_t next_eip);
void cpu_far_call(struct cpu *cpu, uint16_t sel, uint64_t off, int opsize, uint64_t next_eip);
void cpu_far_ret(struct cpu *cpu, int opsize, uint16_t pop_bytes);
void cpu_iret(struct cpu *cpu, int opsize);

/* Deliver an interrupt or exception now (real mode IVT, protected mode IDT
 * gates, v86). return_eip is what gets pushed. Handles #DF escalation and
 * triple fault (sets the shutdown state). */
enum int_kind { INT_EXCEPTION, INT_EXTERNAL, INT_SOFTWARE /* INT n, INT3, INTO */, INT_NMI };
void cpu_deliver_interrupt(struct cpu *cpu, int vector, enum int_kind kind,
                           bool has_error, uint32_t error_code, uint64_t return_eip);

/* System registers. */
void cpu_write_cr(struct cpu *cpu, int n, uint64_t value);   /* flushes the TLB as the SDM says */
uint64_t cpu_read_cr(struct cpu *cpu, int n);
void cpu_write_dr(struct cpu *cpu, int n, uint64_t value);
uint64_t cpu_read_dr(struct cpu *cpu, int n);
void cpu_lldt(struct cpu *cpu, uint16_t sel);
void cpu_ltr(struct cpu *cpu, uint16_t sel);
/* LAR/LSL/VERR/VERW: return true and set *out when the selector passes (ZF=1).
 * LAR's *out is the descriptor's high dword & 0x00FFFF00 (a 16-bit LAR keeps
 * its low 16 bits); LSL's is the byte-granular limit. */
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
/* SYSCALL/SYSRET through IA32_STAR/LSTAR/CSTAR/FMASK (SDM Vol. 2B). */
void cpu_syscall(struct cpu *cpu);
void cpu_sysret(struct cpu *cpu, int opsize);
void cpu_sysexit(struct cpu *cpu);

/* IN/OUT/INS/OUTS permission: IOPL, then the TSS I/O bitmap (SDM Vol. 1 18.5). */
void cpu_check_io(struct cpu *cpu, uint16_t port, unsigned size);

/* ---- additions by the system half (cpu/seg.c ... cpu/msr.c) ------------------
 *
 * Reset: cpu_reset must call cpu_sys_reset (MSRs to their power-on values,
 * NMI unblocked, EFER 0). */
void cpu_sys_reset(struct cpu *cpu);

/* The local APIC is a device (devices/lapic.h) reached through
 * cpu->apic_ops. Without one, IA32_APIC_BASE reads 0xFEE00100 (BSP,
 * globally disabled, EN cannot be set), CPUID.1:EDX.APIC is 0 and
 * IA32_TSC_DEADLINE raises #GP. */

/* RDTSC counts virtual nanoseconds (a 1 GHz TSC): vclock_now() of the
 * machine's clock (cpu->clock), which includes time skipped while halted, so
 * it is monotonic and deterministic. Without one (NULL: unit tests) it is
 * icount * CPU_TSC_PER_INSN. RDTSC raises #GP(0) at CPL>0 when CR4.TSD=1.
 * WRMSR 0x10 sets an offset. */
#define CPU_TSC_PER_NS 1u
#define CPU_TSC_PER_INSN 1u

/* CPUID: out[] = { EAX, EBX, ECX, EDX }. */

/* NMI blocking (SDM Vol. 3A 6.7.1): delivering an NMI (INT_NMI) sets it,
 * every IRET clears it. The interpreter delivers a pending NMI only when
 * !cpu_nmi_blocked(cpu). */
static inline bool cpu_nmi_blocked(const struct cpu *cpu) { return cpu->priv.nmi_blocked; }

/* Interrupt delivery also clears cpu->halted; on a triple fault it sets
 * cpu->shutdown and returns (cpu_exec must then return CPU_EXIT_SHUTDOWN).
 * A fault during delivery is handled inside cpu_deliver_interrupt (serially,
 * as #DF, or as a triple fault): it does not unwind to the caller.
 * Error codes carry EXT=1 for INT_EXCEPTION/INT_EXTERNAL/INT_NMI events.
 * A fault while delivering an INT_SOFTWARE event is reported at
 * priv.insn_rip (the INT instruction, from cpu_exec's checkpoint).
 * cpu_deliver_interrupt does NOT do the v86 IOPL check of INT n: the
 * interpreter raises #GP(0) for INT n (CD ib) when VM=1 and IOPL<3 (INT3
 * and INTO are not IOPL-sensitive; they go through the IDT with the gate
 * DPL check). */

/* Virtual-8086 mode (no CR4.VME): CLI, STI, PUSHF, POPF, INT n and IRET
 * raise #GP(0) when IOPL < 3 (cpu_iret checks this itself). IN/OUT/INS/OUTS
 * ignore IOPL in v86 and use only the I/O bitmap (cpu_check_io does this).
 * With IOPL=3, POPF/IRET in v86 never change IOPL (cpu_iret keeps it).
 * LLDT/LTR/LAR/LSL/VERR/VERW/ARPL raise #UD in real and v86 mode (the
 * cpu_* functions here do it too). Privileged instructions (MOV CR/DR,
 * CLTS, LMSW, LGDT/LIDT, HLT, INVLPG, RDMSR/WRMSR, WBINVD) raise #GP(0) in
 * v86 mode like at CPL 3; cpu_write_cr/cpu_read_cr/cpu_*_dr/cpu_*msr check
 * CPL themselves. SMSW is allowed at any CPL: read cpu->cr0 directly. */

/* Debug registers (SDM Vol. 3A 17.2-17.3). Call when DR7 & 0xff (any L/G
 * enable bit) is nonzero:
 * - cpu_check_code_breakpoint(cpu, lin): before executing the instruction at
 *   linear address lin; raises #DB (a fault, DR6.Bn set) unless EFLAGS.RF.
 *   The interpreter clears RF after each instruction that completes.
 * - cpu_check_data_breakpoint(cpu, lin, len, write): after a data access;
 *   sets DR6.Bn and priv.sys.db_trap_pending and returns true on a hit.
 *   At the end of the instruction, if db_trap_pending, the interpreter clears
 *   it and raises #DB as a trap (return address = next instruction). */
static inline bool cpu_breakpoints_armed(const struct cpu *cpu) { return cpu->dr[7] & 0xff; }
void cpu_check_code_breakpoint(struct cpu *cpu, uint64_t lin);
bool cpu_check_data_breakpoint(struct cpu *cpu, uint64_t lin, unsigned len, bool write);

#endif
