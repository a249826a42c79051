/*
 * lapic.c - the local APIC (xAPIC mode).  See lapic.h.
 *
 * Priorities (SDM Vol. 3A 11.8.3.1): the processor-priority class is the
 * larger of TPR[7:4] and the class of the highest in-service vector; a
 * requested vector is taken only when its class is above it. The INTR pin
 * is recomputed after every change, so it is high exactly when the CPU
 * would accept something: an IRR vector above the PPR (software-enabled
 * APIC), or the 8259's request through LINT0 in ExtINT mode.
 */
#include "devices/lapic.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/vclock.h"
#include "memory/memory.h"

#define SVR_ENABLE   0x100u
#define LVT_MASKED   0x10000u
#define LVT_MODE(v)  (((v) >> 8) & 7)
#define TIMER_MODE(v) (((v) >> 17) & 3)
enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };
#define ICR_BUSY     0x1000u
#define PAGE_SIZE    0x1000u

/* Writable bits of each LVT entry (delivery status and remote IRR are read-only). */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x000700ffu,   /* vector, mask, mode (one-shot/periodic/TSC-deadline) */
    [LVT_THERMAL] = 0x000107ffu,
    [LVT_PERF] = 0x000107ffu,
    [LVT_LINT0] = 0x0001a7ffu,   /* vector, mode, polarity, trigger, mask */
    [LVT_LINT1] = 0x0001a7ffu,
    [LVT_ERROR] = 0x000100ffu,
};

/* --- 256-bit vectors ---------------------------------------------------------- */

static void vec_set(uint32_t *v, int n) { v[n >> 5] |= 1u << (n & 31); }
static void vec_clear(uint32_t *v, int n) { v[n >> 5] &= ~(1u << (n & 31)); }
static bool vec_test(const uint32_t *v, int n) { return v[n >> 5] & (1u << (n & 31)); }

/* Highest set bit, or -1. */
static int vec_highest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

/* --- state queries ------------------------------------------------------------ */

static bool globally_enabled(const struct lapic *l) { return l->base_msr & LAPIC_BASE_EN; }
static bool x2apic_mode(const struct lapic *l) { return l->base_msr & LAPIC_BASE_EXTD; }
static bool sw_enabled(const struct lapic *l) { return l->svr & SVR_ENABLE; }

static uint32_t ppr(const struct lapic *l)
{
    int isrv = vec_highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

/* The IRR vector the CPU would take now, or -1. */
static int deliverable(const struct lapic *l)
{
    if (!globally_enabled(l) || !sw_enabled(l))
        return -1;
    int irrv = vec_highest(l->irr);
    if (irrv < 0 || ((uint32_t)irrv & 0xf0) <= (ppr(l) & 0xf0))
        return -1;
    return irrv;
}

/* Does the 8259's request reach the CPU? Through LINT0 in ExtINT mode, or
 * straight to INTR when the APIC is globally disabled. */
static bool extint_passes(const struct lapic *l)
{
    if (!globally_enabled(l))
        return true;
    uint32_t lint0 = l->lvt[LVT_LINT0];
    return !(lint0 & LVT_MASKED) && LVT_MODE(lint0) == APIC_DM_EXTINT;
}

bool lapic_has_interrupt(const struct lapic *l)
{
    return deliverable(l) >= 0;
}

static void update_intr(struct lapic *l)
{
    bool level = deliverable(l) >= 0 || (l->extint_in && extint_passes(l));
    l->out = level;
    if (l->w.set_intr)
        l->w.set_intr(l->w.cpu, level);
}

/* --- accepting interrupts ------------------------------------------------------ */

static void raise_error(struct lapic *l, uint32_t bits);

/* A fixed interrupt arrives: into the IRR, TMR set for level-triggered ones. */
static void accept(struct lapic *l, int vector, bool level_triggered)
{
    if (vector < 16) {
        raise_error(l, APIC_ESR_RECV_ILLEGAL);   /* vectors 0-15 are never accepted */
        return;
    }
    vec_set(l->irr, vector);
    if (level_triggered)
        vec_set(l->tmr, vector);
    else
        vec_clear(l->tmr, vector);
    update_intr(l);
}

/* Record an error; the error LVT entry signals it unless masked. */
static void raise_error(struct lapic *l, uint32_t bits)
{
    l->esr_pending |= bits;
    uint32_t e = l->lvt[LVT_ERROR];
    int vector = (int)(e & 0xff);
    if (!(e & LVT_MASKED) && vector >= 16) {
        vec_set(l->irr, vector);
        vec_clear(l->tmr, vector);
        update_intr(l);
    }
}

/* An interrupt from a local source (LVT entry n). */
static void local_interrupt(struct lapic *l, int n)
{
    uint32_t e = l->lvt[n];
    if (!globally_enabled(l) || (e & LVT_MASKED))
        return;
    switch (LVT_MODE(e)) {
    case APIC_DM_FIXED:
        accept(l, (int)(e & 0xff), false);
        break;
    case APIC_DM_NMI:
        if (l->w.nmi)
            l->w.nmi(l->w.cpu);
        break;
    default:        /* SMI, INIT: not modelled for local sources; ExtINT: LINT0 path */
        break;
    }
}

/* --- the timer (SDM Vol. 3A 11.5.4) -------------------------------------------- */

static unsigned timer_shift(const struct lapic *l)
{
    unsigned v = (l->timer_divide & 3) | ((l->timer_divide >> 1) & 4);
    return (v + 1) & 7;     /* 0 -> /2 ... 6 -> /128, 7 -> /1 */
}

static uint64_t timer_period_ns(const struct lapic *l)
{
    return (uint64_t)l->timer_initial << timer_shift(l);
}

static void timer_arm(struct lapic *l)
{
    uint32_t mode = TIMER_MODE(l->lvt[LVT_TIMER]);
    if (mode == TIMER_TSC_DEADLINE) {
        if (l->tsc_deadline)
            vclock_timer_arm(l->clock, l->timer, l->deadline_ns);
        else
            vclock_timer_disarm(l->clock, l->timer);
        return;
    }
    if (!l->timer_running || !l->timer_initial) {
        vclock_timer_disarm(l->clock, l->timer);
        return;
    }
    uint64_t period = timer_period_ns(l);
    uint64_t now = vclock_now(l->clock);
    uint64_t due = l->timer_start_ns + period;
    if (mode == TIMER_PERIODIC && now >= due)
        due = l->timer_start_ns + ((now - l->timer_start_ns) / period + 1) * period;
    vclock_timer_arm(l->clock, l->timer, due);
}

static void timer_fire(void *opaque)
{
    struct lapic *l = opaque;
    uint32_t mode = TIMER_MODE(l->lvt[LVT_TIMER]);
    if (mode == TIMER_TSC_DEADLINE) {
        if (!l->tsc_deadline)
            return;
        l->tsc_deadline = 0;    /* the MSR reads 0 once the deadline has passed */
    } else {
        if (!l->timer_running)
            return;
        if (mode != TIMER_PERIODIC)
            l->timer_running = false;
    }
    local_interrupt(l, LVT_TIMER);
    timer_arm(l);
}

static uint32_t timer_current(const struct lapic *l)
{
    uint32_t mode = TIMER_MODE(l->lvt[LVT_TIMER]);
    if (mode == TIMER_TSC_DEADLINE || !l->timer_running || !l->timer_initial)
        return 0;
    uint64_t ticks = (vclock_now(l->clock) - l->timer_start_ns) >> timer_shift(l);
    if (mode == TIMER_PERIODIC)
        return l->timer_initial - (uint32_t)(ticks % l->timer_initial);
    return ticks >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)ticks;
}

/* --- the ICR (SDM Vol. 3A 11.6.1) ------------------------------------------------ */

/* Does a message for (dest, logical) address this APIC? In x2APIC mode
 * destinations are 32 bits: logical ones are cluster (31:16) and member
 * bitmap (15:0), compared with the LDR the ID implies (SDM 11.12.10). */
static bool addressed32(const struct lapic *l, uint32_t dest, bool logical)
{
    if (dest == 0xffffffffu)
        return true;
    if (!logical)
        return dest == l->id;
    return (dest >> 16) == (l->ldr >> 16) && (dest & l->ldr & 0xffff);
}

static bool addressed(const struct lapic *l, uint8_t dest, bool logical)
{
    if (x2apic_mode(l))
        return addressed32(l, dest == 0xff ? 0xffffffffu : dest, logical);
    if (dest == 0xff)
        return true;                            /* broadcast, both models */
    if (!logical)
        return dest == (l->id >> 24);
    uint8_t ld = (uint8_t)(l->ldr >> 24);
    if ((l->dfr >> 28) == 0xf)
        return (ld & dest) != 0;                /* flat model */
    /* cluster model: cluster in bits 7:4, members in bits 3:0 */
    return ((dest >> 4) == 0xf || (dest >> 4) == (ld >> 4)) && (dest & ld & 0xf);
}

static void receive(struct lapic *l, int mode, uint8_t vector, bool level_triggered, bool level)
{
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:        /* one CPU: the lowest-priority one is this one */
        accept(l, vector, level_triggered);
        break;
    case APIC_DM_NMI:
        if (l->w.nmi)
            l->w.nmi(l->w.cpu);
        break;
    case APIC_DM_INIT:
        /* INIT level de-assert (level 0, level-triggered) only synchronizes
         * arbitration IDs. */
        if ((level || !level_triggered) && l->w.init)
            l->w.init(l->w.cpu);
        break;
    default:
        /* SMI (no SMM), SIPI (this CPU is not waiting for one: ignored, SDM
         * 8.4.4.1 / 11.6.1), ExtINT (reserved for IPIs). */
        break;
    }
}

static void send_ipi(struct lapic *l)
{
    uint32_t lo = l->icr_lo;
    uint8_t vector = lo & 0xff;
    int mode = (int)((lo >> 8) & 7);
    bool logical = lo & 0x800;
    bool level = lo & 0x4000;
    bool level_triggered = lo & 0x8000;
    bool to_self;
    switch ((lo >> 18) & 3) {
    case 1: to_self = mode == APIC_DM_FIXED; break;   /* self: fixed only */
    case 2: to_self = true; break;                    /* all including self */
    case 3: to_self = false; break;                   /* all excluding self: nobody */
    default:
        to_self = x2apic_mode(l) ? addressed32(l, l->icr_hi, logical)
                                 : addressed(l, (uint8_t)(l->icr_hi >> 24), logical);
        break;
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        raise_error(l, APIC_ESR_SEND_ILLEGAL);
        if (!to_self)
            return;
    }
    if (to_self)
        receive(l, mode, vector, level_triggered, level);
}

/* --- EOI ------------------------------------------------------------------------- */

static void eoi(struct lapic *l)
{
    int v = vec_highest(l->isr);
    if (v < 0)
        return;
    vec_clear(l->isr, v);
    if (vec_test(l->tmr, v) && l->w.eoi)
        l->w.eoi(l->w.eoi_opaque, v);           /* level-triggered: tell the I/O APIC */
    update_intr(l);
}

/* --- registers ------------------------------------------------------------------- */

static uint32_t apr(const struct lapic *l)
{
    int isrv = vec_highest(l->isr), irrv = vec_highest(l->irr);
    uint32_t top = (uint32_t)(isrv > irrv ? isrv : irrv);
    if (isrv < 0 && irrv < 0)
        top = 0;
    return (l->tpr & 0xf0) >= (top & 0xf0) ? l->tpr & 0xff : top & 0xf0;
}

uint32_t lapic_reg_read(struct lapic *l, uint32_t offset)
{
    uint32_t reg = (offset & 0xff0) >> 4;
    switch (reg) {
    case 0x02: return l->id;
    case 0x03: return LAPIC_VERSION;
    case 0x08: return l->tpr;
    case 0x09: return apr(l);
    case 0x0a: return ppr(l);
    case 0x0d: return l->ldr;
    case 0x0e: return l->dfr;
    case 0x0f: return l->svr;
    case 0x10 ... 0x17: return l->isr[reg - 0x10];
    case 0x18 ... 0x1f: return l->tmr[reg - 0x18];
    case 0x20 ... 0x27: return l->irr[reg - 0x20];
    case 0x28: return l->esr;
    case 0x30: return l->icr_lo & ~ICR_BUSY;   /* sent at once: never busy */
    case 0x31: return l->icr_hi;
    case 0x32 ... 0x37: return l->lvt[reg - 0x32];
    case 0x38: return l->timer_initial;
    case 0x39: return timer_current(l);
    case 0x3e: return l->timer_divide;
    default: return 0;          /* EOI and RRD read 0; reserved offsets too */
    }
}

static void write_lvt(struct lapic *l, int n, uint32_t value)
{
    uint32_t old = l->lvt[n];
    uint32_t v = value & lvt_writable[n];
    if (!sw_enabled(l))
        v |= LVT_MASKED;        /* software-disabled: masks cannot be cleared */
    l->lvt[n] = (old & ~lvt_writable[n]) | v;
    if (n == LVT_TIMER) {
        if (TIMER_MODE(old) != TIMER_MODE(l->lvt[n]) &&
            (TIMER_MODE(old) == TIMER_TSC_DEADLINE ||
             TIMER_MODE(l->lvt[n]) == TIMER_TSC_DEADLINE)) {
            /* Switching to or from TSC-deadline mode disarms the timer. */
            l->timer_running = false;
            l->timer_initial = 0;
            l->tsc_deadline = 0;
        }
        timer_arm(l);
    }
    update_intr(l);
}

void lapic_reg_write(struct lapic *l, uint32_t offset, uint32_t value)
{
    uint32_t reg = (offset & 0xff0) >> 4;
    switch (reg) {
    case 0x02:
        l->id = value & 0xff000000u;
        break;
    case 0x08:
        l->tpr = value & 0xff;
        update_intr(l);
        break;
    case 0x0b:
        eoi(l);
        break;
    case 0x0d:
        l->ldr = value & 0xff000000u;
        break;
    case 0x0e:
        l->dfr = value | 0x0fffffffu;
        break;
    case 0x0f:
        l->svr = value & 0x1ffu;
        if (!sw_enabled(l))
            for (int i = 0; i < LVT_COUNT; i++)
                l->lvt[i] |= LVT_MASKED;
        update_intr(l);
        break;
    case 0x28:
        /* A write makes the errors since the previous write readable. */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case 0x30:
        l->icr_lo = value & 0x000ccfffu & ~ICR_BUSY;
        send_ipi(l);
        break;
    case 0x31:
        l->icr_hi = value & 0xff000000u;
        break;
    case 0x32 ... 0x37:
        write_lvt(l, (int)(reg - 0x32), value);
        break;
    case 0x38:
        if (TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_TSC_DEADLINE)
            break;              /* ignored in TSC-deadline mode */
        l->timer_initial = value;
        l->timer_start_ns = vclock_now(l->clock);
        l->timer_running = value != 0;
        timer_arm(l);
        break;
    case 0x3e:
        l->timer_divide = value & 0xbu;
        timer_arm(l);
        break;
    case 0x03: case 0x09: case 0x0a: case 0x0c:
    case 0x10 ... 0x27: case 0x39:
        break;                  /* read-only */
    default:
        raise_error(l, APIC_ESR_ILLEGAL_REG);
        break;
    }
}

/* --- MMIO -------------------------------------------------------------------------- */

/* Registers are 32 bits at 16-byte boundaries; the other 12 bytes of each
 * slot read 0. Narrower reads see part of the register; writes other than
 * aligned 32-bit ones are dropped (the SDM leaves them undefined). */
static uint64_t mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    struct lapic *l = opaque;
    if ((addr & 0xf) >= 4)
        return 0;
    uint64_t v = lapic_reg_read(l, (uint32_t)addr & 0xff0) >> (8 * (addr & 3));
    return size >= 4 ? (uint32_t)v : v;
}

static void mmio_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    struct lapic *l = opaque;
    if (size < 4 || (addr & 0xf))
        return;
    lapic_reg_write(l, (uint32_t)addr, (uint32_t)value);
}

static const struct mmio_ops lapic_mmio = { .read = mmio_read, .write = mmio_write };

static void remap(struct lapic *l)
{
    uint64_t base = l->base_msr & ~0xfffull;
    bool mapped = globally_enabled(l) && !x2apic_mode(l);   /* x2APIC: MSRs only */
    phys_mem_move_mmio(l->mem, &lapic_mmio, l, base, mapped ? PAGE_SIZE : 0);
}

/* --- life cycle --------------------------------------------------------------------- */

/* The INIT state (SDM Vol. 3A 11.4.7.3): everything but the ID and the base. */
static void init_state(struct lapic *l)
{
    l->tpr = l->ldr = 0;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    l->esr = l->esr_pending = 0;
    l->icr_lo = l->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++)
        l->lvt[i] = LVT_MASKED;
    /* The BSP's LINT0 in ExtINT mode, unmasked: virtual wire mode, so the
     * 8259 interrupts the CPU as on a PC before the OS touches the APIC
     * (QEMU's reset state for the bootstrap processor). */
    l->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
    memset(l->irr, 0, sizeof(l->irr));
    memset(l->isr, 0, sizeof(l->isr));
    memset(l->tmr, 0, sizeof(l->tmr));
    l->timer_initial = l->timer_divide = 0;
    l->timer_running = false;
    l->tsc_deadline = 0;
    vclock_timer_disarm(l->clock, l->timer);
}

void lapic_reset(struct lapic *l)
{
    l->base_msr = LAPIC_DEFAULT_BASE | LAPIC_BASE_BSP | LAPIC_BASE_EN;
    l->id = 0;
    init_state(l);
    remap(l);
    update_intr(l);
}

uint64_t lapic_read_base(struct lapic *l)
{
    return l->base_msr;
}

/* The logical ID x2APIC mode derives from the APIC ID (SDM 11.12.10.2). */
static uint32_t x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 0xf));
}

bool lapic_write_base(struct lapic *l, uint64_t value)
{
    bool en = value & LAPIC_BASE_EN, extd = value & LAPIC_BASE_EXTD;
    bool was_enabled = globally_enabled(l), was_x2 = x2apic_mode(l);
    if (extd && (!l->w.x2apic || !en))
        return false;                   /* EXTD without EN (or support) is invalid */
    if (was_x2 && en && !extd)
        return false;                   /* x2APIC -> xAPIC: only through disabled */
    if (!was_enabled && extd)
        return false;                   /* disabled -> x2APIC: only through xAPIC */
    l->base_msr = (value & ~LAPIC_BASE_BSP) | (l->base_msr & LAPIC_BASE_BSP);
    if (!was_enabled && en)
        init_state(l);
    if (!was_x2 && extd) {
        l->id >>= 24;                   /* the x2APIC ID: 32 bits */
        l->ldr = x2apic_ldr(l->id);
    } else if (was_x2 && !extd) {
        l->id <<= 24;
        l->ldr = 0;
    }
    if (!en) {
        l->svr &= ~SVR_ENABLE;
        vclock_timer_disarm(l->clock, l->timer);
        l->timer_running = false;
    }
    remap(l);
    update_intr(l);
    return true;
}

uint32_t lapic_cpuid_ecx(const struct lapic *l)
{
    return (1u << 24) | (l->w.x2apic ? 1u << 21 : 0);   /* TSC-deadline, x2APIC */
}

/* x2APIC registers (SDM 11.12.1.2, table 11-6). */
bool lapic_rdmsr(struct lapic *l, uint32_t index, uint64_t *value)
{
    if (!x2apic_mode(l) || index < 0x800 || index > 0x8ff)
        return false;
    uint32_t reg = (index - 0x800) << 4;
    switch (reg) {
    case 0x20: case 0x30: case 0x80: case 0xa0: case 0xd0: case 0xf0:
    case 0x100 ... 0x270: case 0x280: case 0x320 ... 0x370:
    case 0x380: case 0x390: case 0x3e0:
        *value = lapic_reg_read(l, reg);
        return true;
    case 0x300:
        *value = ((uint64_t)l->icr_hi << 32) | (l->icr_lo & ~ICR_BUSY);
        return true;
    default:
        return false;                   /* EOI, SELF IPI: write-only; others absent */
    }
}

bool lapic_wrmsr(struct lapic *l, uint32_t index, uint64_t value)
{
    if (!x2apic_mode(l) || index < 0x800 || index > 0x8ff)
        return false;
    uint32_t reg = (index - 0x800) << 4;
    if (reg == 0x300) {
        if (value & 0xfff32000ull)      /* reserved low bits of the 64-bit ICR */
            return false;
        l->icr_hi = (uint32_t)(value >> 32);
        l->icr_lo = (uint32_t)value & 0x000ccfffu;
        send_ipi(l);
        return true;
    }
    if (value >> 32)
        return false;
    uint32_t v = (uint32_t)value;
    switch (reg) {
    case 0xb0:                          /* EOI: only 0 may be written */
    case 0x280:                         /* ESR: likewise */
        if (v)
            return false;
        lapic_reg_write(l, reg, 0);
        return true;
    case 0x3f0:                         /* SELF IPI: a fixed, edge IPI to self */
        if (v & ~0xffu)
            return false;
        l->icr_lo = 0x40000u | v;       /* as the self shorthand would send it */
        send_ipi(l);
        return true;
    case 0x80: case 0xf0: case 0x320 ... 0x370: case 0x380: case 0x3e0:
        lapic_reg_write(l, reg, v);
        return true;
    default:
        return false;                   /* read-only or absent */
    }
}

uint64_t lapic_read_tsc_deadline(struct lapic *l)
{
    return TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
}

void lapic_write_tsc_deadline(struct lapic *l, uint64_t value, uint64_t deadline_ns)
{
    if (TIMER_MODE(l->lvt[LVT_TIMER]) != TIMER_TSC_DEADLINE)
        return;                 /* writes in other modes are ignored */
    l->tsc_deadline = value;
    l->deadline_ns = deadline_ns;
    timer_arm(l);
}

void lapic_set_extint(struct lapic *l, bool level)
{
    l->extint_in = level;
    update_intr(l);
}

void lapic_deliver(struct lapic *l, uint8_t dest, bool logical, int mode, uint8_t vector,
                   bool level_triggered)
{
    if (!globally_enabled(l) || !addressed(l, dest, logical))
        return;
    receive(l, mode, vector, level_triggered, true);
}

int lapic_intr_ack(void *opaque)
{
    struct lapic *l = opaque;
    int v = deliverable(l);
    if (v >= 0) {
        vec_clear(l->irr, v);
        vec_set(l->isr, v);
        update_intr(l);
        return v;
    }
    if (l->extint_in && extint_passes(l) && l->w.pic_ack)
        return l->w.pic_ack(l->w.pic);   /* the 8259 answers INTA (and updates LINT0) */
    return -1;
}

int lapic_init(struct lapic *l, struct phys_mem *mem, struct vclock *clock,
               const struct lapic_wiring *w)
{
    memset(l, 0, sizeof(*l));
    l->mem = mem;
    l->clock = clock;
    l->w = *w;
    l->timer = vclock_timer_new(clock, timer_fire, l);
    if (l->timer < 0)
        return -1;
    if (phys_mem_add_mmio(mem, LAPIC_DEFAULT_BASE, PAGE_SIZE, &lapic_mmio, l))
        return -1;
    lapic_reset(l);
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

/* The xAPIC page sits where the loaded IA32_APIC_BASE puts it. */
static void lapic_post_load(void *obj)
{
    struct lapic *l = obj;
    if (l->mem)
        remap(l);
}
#define L struct lapic
static const struct vms_field lapic_fields[] = {
    VMS(L, base_msr), VMS(L, id), VMS(L, tpr), VMS(L, ldr), VMS(L, dfr), VMS(L, svr),
    VMS(L, esr), VMS(L, esr_pending), VMS(L, icr_lo), VMS(L, icr_hi), VMS_A(L, lvt),
    VMS_A(L, irr), VMS_A(L, isr), VMS_A(L, tmr), VMS(L, timer_initial), VMS(L, timer_divide),
    VMS(L, timer_start_ns), VMS(L, timer_running), VMS(L, tsc_deadline), VMS(L, deadline_ns),
    VMS(L, extint_in), VMS(L, out), VMS_W(L, mem), VMS_W(L, clock), VMS_W(L, timer),
    VMS_W(L, w),
};
#undef L
const struct vms_desc lapic_vmstate = {
    VMS_DESC(struct lapic, "lapic", 1, lapic_fields), .post_load = lapic_post_load,
};
