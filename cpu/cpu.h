/*
 * cpu.h - the architectural state of one IA-32 (i686) processor and the
 * entry points the rest of softvm uses to drive it.
 *
 * Spec: Intel SDM Vol. 3A ch. 2 (system architecture), Vol. 1 ch. 3
 * (basic execution environment).
 *
 * Who uses what outside cpu/ (keep this list true when adding a user):
 *   memory/      cr0, cr3, cr4, efer, cpl, eflags, mem, tlb, trace_flags
 *   translator/  eip, seg[], cr0, cpl, eflags, req, icount, tlb, mem, trace_flags,
 *                priv.tbs (its own cache) and the precise-state fields of priv
 *   devices/     intr_ack/intr_opaque, cpu_nmi_pending(), icount, clock (the board);
 *                the direct-boot loaders write regs, eip, seg[], gdtr, cr0, cpl
 *   frontend/    reads the architectural state (regs, eip, seg[], ldtr, tr,
 *                gdtr, idtr, cr*, dr[], efer, cpl, halted, icount) for the
 *                register dump and the GDB stub, and sets trace/trace_flags.
 *                It also reads four fields of priv: insn_rip (the current
 *                instruction's address in log lines), inhibit_irq (the dump's
 *                "II="), fpu (GDB's x87 registers) and tbs (--stats counters;
 *                -one-insn-per-tb sets tbs->max_insns).
 * The rest of priv is cpu/'s own and may change without notice.
 *
 * The state is 64 bits wide (registers, RIP, RFLAGS, segment and
 * descriptor-table bases, control and debug registers, linear addresses)
 * so that long mode and the JIT need no second layout. Outside long mode
 * the upper halves are zero: 32-bit register writes zero-extend (as they
 * do in long mode), 8/16-bit writes keep the other bits, and linear
 * addresses wrap at 4 GiB (linear_addr below).
 */
#ifndef SOFTVM_CPU_CPU_H
#define SOFTVM_CPU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

struct machine;
struct phys_mem;
struct io_bus;
struct vclock;
struct trace;

/* General registers, in ModRM encoding order (SDM Vol. 2A table 2-2);
 * R8-R15 exist only in 64-bit mode (REX), and are unused until then. */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15, CPU_NREGS };
/* Segment registers, in ModRM sreg encoding order. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* EFLAGS bits (SDM Vol. 1 3.4.3). */
#define EFLAGS_CF   0x00000001u
#define EFLAGS_FIXED1 0x00000002u /* bit 1 always reads 1 */
#define EFLAGS_PF   0x00000004u
#define EFLAGS_AF   0x00000010u
#define EFLAGS_ZF   0x00000040u
#define EFLAGS_SF   0x00000080u
#define EFLAGS_TF   0x00000100u
#define EFLAGS_IF   0x00000200u
#define EFLAGS_DF   0x00000400u
#define EFLAGS_OF   0x00000800u
#define EFLAGS_IOPL 0x00003000u
#define EFLAGS_NT   0x00004000u
#define EFLAGS_RF   0x00010000u
#define EFLAGS_VM   0x00020000u
#define EFLAGS_AC   0x00040000u
#define EFLAGS_VIF  0x00080000u
#define EFLAGS_VIP  0x00100000u
#define EFLAGS_ID   0x00200000u
#define EFLAGS_ARITH (EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF)

/* CR0 / CR4 bits (SDM Vol. 3A 2.5). */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x00000001u
#define CR4_PVI 0x00000002u
#define CR4_TSD 0x00000004u
#define CR4_DE  0x00000008u
#define CR4_PSE 0x00000010u
#define CR4_PAE 0x00000020u
#define CR4_MCE 0x00000040u
#define CR4_PGE 0x00000080u
#define CR4_PCE 0x00000100u
#define CR4_OSFXSR 0x00000200u
#define CR4_OSXMMEXCPT 0x00000400u
#define CR4_UMIP 0x00000800u
#define CPUID7_EBX_TSC_ADJUST (1u << 1)
#define CPUID7_EBX_SMEP (1u << 7)
#define CPUID7_EBX_SMAP (1u << 20)
#define CPUID7_ECX_UMIP (1u << 2)
#define CR4_PCIDE 0x00020000u
#define CR4_SMEP 0x00100000u    /* supervisor-mode execution prevention (SDM Vol. 3A 4.6) */
#define CR4_SMAP 0x00200000u    /* supervisor-mode access prevention (SDM Vol. 3A 4.6) */
#define EFER_SCE (1ull << 0)    /* SYSCALL/SYSRET enable */
#define EFER_LME (1ull << 8)    /* IA-32e mode enable */
#define EFER_LMA (1ull << 10)   /* IA-32e mode active (read-only: CR0.PG with LME) */
#define EFER_NXE (1ull << 11)

/* Exception vectors (SDM Vol. 3A table 6-1). */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

/*
 * A segment register with its hidden descriptor cache (SDM Vol. 3A 3.4.3).
 * flags holds bits 8..23 of the descriptor's high dword, shifted down by 8:
 * bit 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 14 D/B, 15 G.
 */
struct segment {
    uint64_t base;
    uint32_t limit;     /* byte-granular, already expanded when G=1 */
    uint32_t flags;
    uint16_t sel;
};
#define SEGF_TYPE(f) ((f) & 0xf)
#define SEGF_S       0x0010u
#define SEGF_DPL(f)  (((f) >> 5) & 3)
#define SEGF_P       0x0080u
#define SEGF_L       0x2000u   /* CS.L: 64-bit code; kept in CS only while EFER.LMA */
#define SEGF_DB      0x4000u
#define SEGF_G       0x8000u

struct dtable {
    uint64_t base;
    uint16_t limit;
};

/* Bits of cpu->req. */
#define CPU_REQ_INTR 0x1u   /* INTR pin high (level, cpu_set_intr) */
#define CPU_REQ_NMI  0x2u   /* NMI latched (cpu_raise_nmi), cleared when taken */
#define CPU_REQ_EXIT 0x4u   /* cpu_request_exit: cpu_exec returns CPU_EXIT_REQUEST */
#define CPU_REQ_STOP 0x8u   /* leave the running block after this instruction (code
                               write into it, or a change of what it was decoded for) */

/* Why cpu_exec returned. */
enum cpu_exit {
    CPU_EXIT_BUDGET,     /* ran the requested number of instructions */
    CPU_EXIT_HALT,       /* HLT with interrupts not pending: wait for an event */
    CPU_EXIT_SHUTDOWN,   /* triple fault: the machine must reset */
    CPU_EXIT_REQUEST,    /* someone called cpu_request_exit (device, frontend, debugger) */
};

/* The local APIC's side of the MSRs it owns (IA32_APIC_BASE, IA32_TSC_DEADLINE,
 * the x2APIC registers),
 * set by the board when it wires one (devices/lapic.h). Reserved-bit #GPs are
 * the CPU's; the deadline also arrives as virtual time (the TSC is the CPU's). */
struct cpu_apic_ops {
    uint64_t (*read_base)(void *apic);
    bool (*write_base)(void *apic, uint64_t value);          /* false: #GP */
    uint64_t (*read_tsc_deadline)(void *apic);
    void (*write_tsc_deadline)(void *apic, uint64_t value, uint64_t deadline_ns);
    bool (*rdmsr)(void *apic, uint32_t index, uint64_t *value);   /* x2APIC 0x800-0x8FF */
    bool (*wrmsr)(void *apic, uint32_t index, uint64_t value);
    uint32_t (*cpuid_ecx)(void *apic);                        /* leaf 1 ECX bits */
    /* The task-priority register, which MOV CR8 reads and writes as
     * TPR[7:4] (SDM Vol. 3A 10.8.6.1) */
    uint8_t (*read_tpr)(void *apic);
    void (*write_tpr)(void *apic, uint8_t tpr);
};

#include "memory/tlb.h"        /* struct tlb: owned by memory/ */
#include "cpu/cpu_private.h"   /* struct cpu_private: lazy flags, decoder scratch, MSRs, FPU */

struct cpu {
    uint64_t regs[CPU_NREGS];   /* write through cpu_set_reg32/16 or reg_write (cpu/ops.h),
                                   never by arithmetic on the 64-bit value */
    uint64_t rip;
    uint64_t rflags;            /* EFLAGS in bits 0-31 (the rest reserved, 0); arithmetic bits
                                   are stale while lazy flags are live: read through cpu_get_eflags() */
    struct segment seg[SEG_COUNT];
    struct segment ldtr, tr;    /* tr.flags type: 9/11 = available/busy 32-bit TSS */
    struct dtable gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t dr[8];
    uint64_t efer;
    int cpl;                    /* current privilege level (CS.RPL in protected mode) */

    uint64_t icount;            /* instructions retired since power-on: drives the virtual clock */

    /* The interrupt-request word: one CPU_REQ_* bit per reason the running
     * code must stop at the next instruction boundary (the INTR pin, a latched
     * NMI, an exit request, a code write into the running block). Engines test
     * it for zero after every helper that can change it. Change it only with
     * cpu_req_set/cpu_req_clear. */
    volatile uint32_t req;
    int (*intr_ack)(void *opaque);   /* INTA cycle: returns the vector from the PIC */
    void *intr_opaque;
    bool halted;                /* HLT executed; cleared by an interrupt or NMI */
    bool shutdown;              /* triple fault: cpu_exec returns CPU_EXIT_SHUTDOWN */

    /* The exception being raised (cpu_raise fills these before unwinding to
     * exc_jmp; unit tests that call memory/ directly may setjmp on exc_jmp
     * themselves and inspect them). */
    int exc_vector;
    bool exc_has_error;
    uint32_t exc_error;

    struct cpu_private priv;    /* lazy flags, decoder/interpreter scratch, FPU, MSRs */
    struct tlb tlb;             /* softMMU translation cache (memory/mmu.h) */

    jmp_buf exc_jmp;            /* faults unwind here from deep inside helpers */

    struct machine *machine;    /* the owner, for code above the CPU; cpu/ never looks inside */
    struct phys_mem *mem;
    struct io_bus *io;
    const struct vclock *clock; /* RDTSC's time base, or NULL (cpu/system.h) */
    /* Features of CPUID leaf 7 the CPU model offers (-cpu max, +umip,
     * +tsc-adjust): 0 keeps the maximum basic leaf at 1. */
    uint32_t feat7_ebx, feat7_ecx;
    /* Long mode in the CPU model (-cpu qemu64, max, +lm): CPUID LM/LAHF_LM/
     * SYSCALL, EFER.LME and the IA-32e MSRs. Off: a 32-bit part. */
    bool feat_lm;
    /* RDTSCP and IA32_TSC_AUX in the CPU model (-cpu max, +rdtscp):
     * CPUID.80000001H:EDX[27]. */
    bool feat_rdtscp;
    const struct cpu_apic_ops *apic_ops;   /* NULL: no local APIC (CPUID.1:EDX.APIC = 0) */
    void *apic;

    /* Tracing, --stats and the debugger (cpu/trace_hooks.h): the hot paths
     * call a hook only for the TRACE_HOOK_* bits set here; 0 = all off. */
    uint32_t trace_flags;
    struct trace *trace;
};

/* Atomic read-modify-writes of cpu->req: a signal handler on the same thread
 * (or a device callback) may set bits while the CPU loop clears others. */
static inline void cpu_req_set(struct cpu *cpu, uint32_t bits)
{
    __atomic_fetch_or(&cpu->req, bits, __ATOMIC_RELAXED);
}
static inline void cpu_req_clear(struct cpu *cpu, uint32_t bits)
{
    __atomic_fetch_and(&cpu->req, ~bits, __ATOMIC_RELAXED);
}
static inline bool cpu_intr_line(const struct cpu *cpu) { return cpu->req & CPU_REQ_INTR; }
static inline bool cpu_nmi_pending(const struct cpu *cpu) { return cpu->req & CPU_REQ_NMI; }
/* --- register views -------------------------------------------------------
 * A 32-bit write zero-extends into the 64-bit register (the long-mode rule;
 * outside long mode the upper half is never seen), a 16-bit write keeps
 * bits 16-63. 8-bit registers (AH..BH) are in cpu/ops.h reg_write8. */
static inline uint32_t cpu_reg32(const struct cpu *cpu, int r) { return (uint32_t)cpu->regs[r]; }
static inline uint16_t cpu_reg16(const struct cpu *cpu, int r) { return (uint16_t)cpu->regs[r]; }
static inline void cpu_set_reg32(struct cpu *cpu, int r, uint32_t v) { cpu->regs[r] = v; }
static inline void cpu_set_reg16(struct cpu *cpu, int r, uint16_t v)
{
    cpu->regs[r] = (cpu->regs[r] & ~(uint64_t)0xffff) | v;
}

/* IA-32e mode (EFER.LMA) and its 64-bit submode (CS.L, which the segment
 * loads keep only while LMA is set, so CS.L alone says "64-bit code"). */
static inline bool cpu_long_mode(const struct cpu *cpu) { return cpu->efer & EFER_LMA; }
static inline bool cpu_code64(const struct cpu *cpu) { return cpu->seg[SEG_CS].flags & SEGF_L; }
/* Canonical: bits 63-47 all equal (48-bit linear addresses, SDM Vol. 1 3.3.7.1). */
static inline bool addr_canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* Linear address of base + off for an access by the running code: 64 bits
 * in 64-bit mode, else 32 bits wide, so it wraps at 4 GiB as on a 32-bit
 * processor (SDM Vol. 3A 3.4.4, 3.3.1; compatibility mode too). */
static inline uint64_t linear_addr(const struct cpu *cpu, uint64_t base, uint64_t off)
{
    uint64_t a = base + off;
    return cpu_code64(cpu) ? a : (uint32_t)a;
}
/* Linear address in a system table (GDT, LDT, IDT, TSS): their bases are
 * 64-bit whenever IA-32e mode is active, compatibility mode included. */
static inline uint64_t sys_linear(const struct cpu *cpu, uint64_t base, uint64_t off)
{
    uint64_t a = base + off;
    return cpu_long_mode(cpu) ? a : (uint32_t)a;
}

/* --- lifecycle ------------------------------------------------------------- */
void cpu_init(struct cpu *cpu, struct machine *m, struct phys_mem *mem, struct io_bus *io);
void cpu_reset(struct cpu *cpu);            /* power-on/RESET state, SDM Vol. 3A 9.1.1 */

/* Run until `budget` instructions have retired, HLT, shutdown or an exit request. */
enum cpu_exit cpu_exec(struct cpu *cpu, uint64_t budget);

/* INTR pin level from the interrupt controller. */
void cpu_set_intr(struct cpu *cpu, bool level);
void cpu_raise_nmi(struct cpu *cpu);
void cpu_request_exit(struct cpu *cpu);

/* Full EFLAGS with the lazily-kept arithmetic flags folded in. */
uint32_t cpu_get_eflags(struct cpu *cpu);
void cpu_set_eflags(struct cpu *cpu, uint32_t value);  /* raw write, no privilege checks */

/*
 * Raise a fault or trap from anywhere inside instruction execution: records
 * exc_vector/exc_has_error/exc_error and longjmps to exc_jmp; cpu_exec then
 * restores the state of the faulting instruction (precise exceptions) and
 * delivers the exception through the IDT/IVT. Never returns.
 * has_error selects whether error_code is pushed (SDM Vol. 3A 6.13).
 */
_Noreturn void cpu_raise(struct cpu *cpu, int vector, bool has_error, uint32_t error_code);
/* #PF: sets CR2 = linear, then cpu_raise(EXC_PF, error_code). */
_Noreturn void cpu_raise_pf(struct cpu *cpu, uint64_t linear, uint32_t error_code);

/* What of struct cpu is saved and what is wiring (cpu/cpu_state.c). */
struct vms_desc;
extern const struct vms_desc cpu_vmstate;

#endif
