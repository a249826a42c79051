/*
 * lapic.h - the local APIC of the one CPU, in xAPIC mode: the 4 KiB register
 * page at the base IA32_APIC_BASE sets (0xFEE00000 after reset), global
 * enable through that MSR and software enable through the SVR, ID, version,
 * TPR/APR/PPR, EOI, ISR/TMR/IRR, LDR/DFR, ESR, the ICR, the local vector
 * table (timer, thermal, performance, LINT0, LINT1, error) and the timer in
 * one-shot, periodic and TSC-deadline modes on the virtual clock.
 *
 * Wiring as on a PC: the 8259's INTR output is the LINT0 input (virtual wire
 * mode: LINT0 in ExtINT mode passes it through and the INTA cycle goes to the
 * 8259), the I/O APIC sends messages with lapic_deliver, and an EOI for a
 * level-triggered vector is broadcast back to it. With the APIC globally
 * disabled the 8259 drives the CPU's INTR pin directly.
 *
 * With x2apic set at init (-cpu ...,+x2apic) the APIC also offers x2APIC
 * mode (SDM 11.12): IA32_APIC_BASE.EXTD switches the registers from the page
 * to MSRs 0x800-0x8FF, with the 64-bit ICR, the read-only logical ID and the
 * SELF IPI register; invalid mode transitions and accesses are #GP.
 *
 * There is one CPU: IPIs addressed to this APIC (by ID, logical destination,
 * broadcast or the self / all-including-self shorthands) are delivered to
 * it; IPIs that address no present CPU are dropped, as the bus drops them.
 *
 * Spec: Intel SDM Vol. 3A ch. 11 (APIC; 10 in older editions): 11.4 (base,
 * enable, ID, version), 11.5 (LVT, ESR, timer, TSC-deadline), 11.6 (ICR,
 * destinations), 11.8 (IRR/ISR/TMR, TPR/PPR, EOI), 11.9 (spurious vector).
 * The timer counts at 1 GHz before the divider, as QEMU's does; the version
 * register reads 0x00050014 (six LVT entries), like QEMU's.
 */
#ifndef SOFTVM_DEVICES_LAPIC_H
#define SOFTVM_DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct phys_mem;
struct vclock;

#define LAPIC_DEFAULT_BASE 0xfee00000ull
#define LAPIC_BASE_BSP 0x100ull      /* IA32_APIC_BASE bit 8 (read-only) */
#define LAPIC_BASE_EXTD 0x400ull     /* bit 10: x2APIC mode */
#define LAPIC_BASE_EN  0x800ull      /* bit 11: global enable */
#define LAPIC_VERSION  0x00050014u

/* Local vector table entries, in register order (0x320 + 0x10 * n). */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

/* Delivery modes (ICR, LVT, I/O APIC redirection entries). */
enum {
    APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
    APIC_DM_INIT = 5, APIC_DM_SIPI = 6, APIC_DM_EXTINT = 7,
};

/* ESR bits (SDM Vol. 3A 11.5.3). */
#define APIC_ESR_SEND_ILLEGAL 0x20u
#define APIC_ESR_RECV_ILLEGAL 0x40u
#define APIC_ESR_ILLEGAL_REG  0x80u

/* How the APIC reaches the rest of the machine (set by the board). */
struct lapic_wiring {
    void (*set_intr)(void *opaque, bool level);   /* the CPU's INTR pin */
    void (*nmi)(void *opaque);                    /* the CPU's NMI */
    void (*init)(void *opaque);                   /* INIT to this CPU (may be NULL) */
    void *cpu;
    int (*pic_ack)(void *opaque);                 /* INTA to the 8259 (ExtINT) */
    void *pic;
    void (*eoi)(void *opaque, int vector);        /* EOI broadcast to the I/O APIC */
    void *eoi_opaque;
    bool x2apic;                                  /* offer x2APIC mode */
};

struct lapic {
    uint64_t base_msr;          /* IA32_APIC_BASE */
    uint32_t id;                /* APIC ID register (ID in bits 31:24) */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr;               /* what reads of the ESR show */
    uint32_t esr_pending;       /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8];   /* 256-bit vectors, bit v = vector v */
    uint32_t timer_initial;     /* initial count */
    uint32_t timer_divide;      /* divide configuration register */
    uint64_t timer_start_ns;    /* when the count was last loaded */
    bool timer_running;         /* one-shot/periodic counting (not expired) */
    uint64_t tsc_deadline;      /* IA32_TSC_DEADLINE as written (0 = disarmed) */
    uint64_t deadline_ns;       /* its virtual time */
    bool extint_in;             /* the 8259's INTR on LINT0 */
    bool out;                   /* level driven on the CPU's INTR pin */

    struct phys_mem *mem;
    struct vclock *clock;
    int timer;                  /* vclock timer id */
    struct lapic_wiring w;
};

int lapic_init(struct lapic *l, struct phys_mem *mem, struct vclock *clock,
               const struct lapic_wiring *w);
/* Power-on/RESET: enabled at 0xFEE00000, software-disabled, LVTs masked
 * except LINT0 in ExtINT mode (the 8259 reaches the CPU, as QEMU sets up
 * the bootstrap processor). */
void lapic_reset(struct lapic *l);

/* IA32_APIC_BASE (the BSP bit is read-only; reserved bits are the caller's
 * #GP). Clearing EN unmaps the page and hands INTR to the 8259; setting it
 * again brings the APIC back in its INIT state. */
uint64_t lapic_read_base(struct lapic *l);
/* False: a transition the SDM forbids (x2APIC to xAPIC, disabled to x2APIC,
 * EXTD without x2APIC support): the CPU raises #GP. */
bool lapic_write_base(struct lapic *l, uint64_t value);
/* x2APIC registers as MSRs 0x800-0x8FF; false means #GP (not in x2APIC
 * mode, no such register, write-only/read-only, reserved bits). */
bool lapic_rdmsr(struct lapic *l, uint32_t index, uint64_t *value);
bool lapic_wrmsr(struct lapic *l, uint32_t index, uint64_t value);
/* CPUID.1:ECX bits the APIC brings: TSC-deadline, and x2APIC if offered. */
uint32_t lapic_cpuid_ecx(const struct lapic *l);
/* IA32_TSC_DEADLINE: value as written, deadline_ns its virtual time (the CPU
 * converts TSC to time). Armed only in TSC-deadline timer mode. */
uint64_t lapic_read_tsc_deadline(struct lapic *l);
void lapic_write_tsc_deadline(struct lapic *l, uint64_t value, uint64_t deadline_ns);

/* The register page, offset 0..0xFFF (tests and the MMIO handlers). */
uint32_t lapic_reg_read(struct lapic *l, uint32_t offset);
void lapic_reg_write(struct lapic *l, uint32_t offset, uint32_t value);

/* The 8259's INTR output changed (LINT0). */
void lapic_set_extint(struct lapic *l, bool level);
/* An interrupt message from the I/O APIC (or any bus agent). */
void lapic_deliver(struct lapic *l, uint8_t dest, bool logical, int mode, uint8_t vector,
                   bool level_triggered);
/* The CPU's INTA cycle: the vector to deliver, or -1 if nothing is pending. */
int lapic_intr_ack(void *opaque);
/* True if the APIC (not the 8259) has a vector the CPU would take now. */
bool lapic_has_interrupt(const struct lapic *l);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc lapic_vmstate;

#endif
