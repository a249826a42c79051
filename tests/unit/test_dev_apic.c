/*
 * test_dev_apic.c - the local APIC (devices/lapic.c) through its register
 * page, the I/O APIC (devices/ioapic.c) through IOREGSEL/IOWIN, and QEMU's
 * pc-testdev (devices/pc_testdev.c). Expected values are the SDM's (Vol. 3A
 * ch. 11: reset values, PPR rule, ICR destinations, timer arithmetic), the
 * 82093AA datasheet's and QEMU's documented register layouts.
 */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pc_testdev.h"
#include "memory/memory.h"

#define APIC 0xfee00000ull
enum {
    R_ID = 0x20, R_VER = 0x30, R_TPR = 0x80, R_APR = 0x90, R_PPR = 0xa0, R_EOI = 0xb0,
    R_LDR = 0xd0, R_DFR = 0xe0, R_SVR = 0xf0, R_ISR = 0x100, R_TMR = 0x180, R_IRR = 0x200,
    R_ESR = 0x280, R_ICR = 0x300, R_ICR2 = 0x310, R_LVT_TIMER = 0x320, R_LVT_LINT0 = 0x350,
    R_LVT_LINT1 = 0x360, R_LVT_ERR = 0x370, R_TIMER_INIT = 0x380, R_TIMER_CUR = 0x390,
    R_TIMER_DIV = 0x3e0,
};

struct fixture {
    struct harness *h;
    struct phys_mem *pm;
    struct lapic l;
    struct ioapic io;
    bool intr;
    int nmis, inits, pic_acks;
};

static void f_intr(void *o, bool level) { ((struct fixture *)o)->intr = level; }
static void f_nmi(void *o) { ((struct fixture *)o)->nmis++; }
static void f_init(void *o) { ((struct fixture *)o)->inits++; }
static int f_pic_ack(void *o) { ((struct fixture *)o)->pic_acks++; return 0x08; }

static struct fixture *setup(void)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    f->pm = phys_mem_create(1u << 20);
    cr_assert(f->pm);
    const struct lapic_wiring w = {
        .set_intr = f_intr, .nmi = f_nmi, .init = f_init, .cpu = f,
        .pic_ack = f_pic_ack, .pic = f, .eoi = ioapic_eoi, .eoi_opaque = &f->io,
    };
    cr_assert_eq(lapic_init(&f->l, f->pm, &f->h->clock, &w), 0);
    cr_assert_eq(ioapic_init(&f->io, f->pm, &f->l), 0);
    return f;
}

static void teardown(struct fixture *f)
{
    phys_mem_destroy(f->pm);
    free(f->h);
    free(f);
}

static uint32_t rd(struct fixture *f, uint32_t reg) { return phys_read32(f->pm, APIC + reg); }
static void wr(struct fixture *f, uint32_t reg, uint32_t v) { phys_write32(f->pm, APIC + reg, v); }
static bool irr(struct fixture *f, int v) { return rd(f, R_IRR + 0x10 * (v >> 5)) & (1u << (v & 31)); }
static bool isr(struct fixture *f, int v) { return rd(f, R_ISR + 0x10 * (v >> 5)) & (1u << (v & 31)); }
static bool tmr(struct fixture *f, int v) { return rd(f, R_TMR + 0x10 * (v >> 5)) & (1u << (v & 31)); }
static void self_ipi(struct fixture *f, int v) { wr(f, R_ICR, 0x40000u | (uint32_t)v); }

/* Software-enable the APIC with spurious vector 0xFF. */
static void enable(struct fixture *f) { wr(f, R_SVR, 0x1ff); }

static uint32_t ioapic_rd(struct fixture *f, uint8_t reg)
{
    phys_write32(f->pm, IOAPIC_BASE, reg);
    return phys_read32(f->pm, IOAPIC_BASE + 0x10);
}

static void ioapic_wr(struct fixture *f, uint8_t reg, uint32_t v)
{
    phys_write32(f->pm, IOAPIC_BASE, reg);
    phys_write32(f->pm, IOAPIC_BASE + 0x10, v);
}

/* --- local APIC ------------------------------------------------------------- */

Test(lapic, power_on_state)
{
    struct fixture *f = setup();
    cr_assert_eq(lapic_read_base(&f->l), 0xfee00900ull, "BSP, enabled, at 0xFEE00000");
    cr_assert_eq(rd(f, R_ID), 0);
    cr_assert_eq(rd(f, R_VER), 0x00050014u, "version 0x14, max LVT entry 5");
    cr_assert_eq(rd(f, R_SVR), 0xff, "software-disabled, spurious vector 0xFF");
    cr_assert_eq(rd(f, R_DFR), 0xffffffffu, "flat model");
    cr_assert_eq(rd(f, R_TPR) | rd(f, R_PPR) | rd(f, R_LDR), 0);
    cr_assert_eq(rd(f, R_LVT_TIMER), 0x10000u);
    cr_assert_eq(rd(f, R_LVT_LINT0), 0x700u, "ExtINT, unmasked (virtual wire)");
    cr_assert_eq(rd(f, R_LVT_LINT1), 0x10000u);
    cr_assert_eq(rd(f, R_LVT_ERR), 0x10000u);
    cr_assert_eq(phys_read32(f->pm, APIC + R_VER + 4), 0, "the rest of a 16-byte slot is 0");
    cr_assert_eq(phys_read8(f->pm, APIC + R_VER + 2), 0x05, "byte reads see part of a register");
    teardown(f);
}

Test(lapic, the_8259_reaches_the_cpu_through_lint0)
{
    struct fixture *f = setup();
    lapic_set_extint(&f->l, true);
    cr_assert(f->intr, "ExtINT on LINT0 passes INTR through");
    cr_assert_eq(lapic_intr_ack(&f->l), 0x08, "INTA goes to the 8259");
    cr_assert_eq(f->pic_acks, 1);
    enable(f);
    wr(f, R_LVT_LINT0, 0x10700);                /* masked */
    cr_assert(!f->intr);
    cr_assert_eq(lapic_intr_ack(&f->l), -1);
    /* Globally disabled: the APIC is out of the way. */
    lapic_write_base(&f->l, 0xfee00000ull);
    cr_assert(f->intr);
    cr_assert_eq(phys_read32(f->pm, APIC + R_VER), 0xffffffffu, "no register page");
    lapic_set_extint(&f->l, false);
    cr_assert(!f->intr);
    teardown(f);
}

Test(lapic, software_disabled_masks_lvts)
{
    struct fixture *f = setup();
    wr(f, R_LVT_TIMER, 0x40);                   /* mask cannot be cleared while disabled */
    cr_assert_eq(rd(f, R_LVT_TIMER), 0x10040u);
    enable(f);
    wr(f, R_LVT_TIMER, 0x40);
    cr_assert_eq(rd(f, R_LVT_TIMER), 0x40u);
    wr(f, R_LVT_LINT1, 0x400 | 0x1000 | 0x4000 | 0x2000);   /* status, remote IRR are read-only */
    cr_assert_eq(rd(f, R_LVT_LINT1), 0x2400u);
    wr(f, R_SVR, 0xff);                         /* software disable sets every mask */
    cr_assert_eq(rd(f, R_LVT_TIMER), 0x10040u);
    cr_assert_eq(rd(f, R_LVT_LINT0), 0x10700u);
    teardown(f);
}

Test(lapic, self_ipi_priorities_and_eoi)
{
    struct fixture *f = setup();
    self_ipi(f, 0x45);
    cr_assert(!f->intr, "software-disabled: nothing is delivered");
    enable(f);
    cr_assert(f->intr);
    cr_assert(irr(f, 0x45));
    cr_assert_eq(lapic_intr_ack(&f->l), 0x45);
    cr_assert(!irr(f, 0x45) && isr(f, 0x45));
    cr_assert_eq(rd(f, R_PPR), 0x40, "PPR = ISRV class when TPR is lower");
    self_ipi(f, 0x43);                          /* class 4: not above PPR */
    cr_assert(!f->intr);
    self_ipi(f, 0x51);                          /* class 5 interrupts class 4 */
    cr_assert(f->intr);
    cr_assert_eq(lapic_intr_ack(&f->l), 0x51);
    cr_assert_eq(rd(f, R_PPR), 0x50);
    wr(f, R_EOI, 0);                            /* EOI retires the highest in service */
    cr_assert(!isr(f, 0x51) && isr(f, 0x45));
    cr_assert(!f->intr, "0x43 still blocked by 0x45 in service");
    wr(f, R_EOI, 0);
    cr_assert(f->intr);
    wr(f, R_TPR, 0x4f);                         /* TPR class 4 blocks 0x43 too */
    cr_assert_eq(rd(f, R_PPR), 0x4f, "PPR = TPR when its class is higher");
    cr_assert(!f->intr);
    wr(f, R_TPR, 0x3f);
    cr_assert(f->intr);
    cr_assert_eq(lapic_intr_ack(&f->l), 0x43);
    cr_assert_eq(rd(f, R_PPR), 0x40);
    cr_assert_eq(rd(f, R_APR), 0x40);
    wr(f, R_EOI, 0);
    cr_assert_eq(rd(f, R_PPR), 0x3f);
    /* Fixed interrupts beat the 8259 (QEMU's order): with both pending the
     * APIC's vector is taken first. */
    lapic_set_extint(&f->l, true);
    self_ipi(f, 0x60);
    cr_assert_eq(lapic_intr_ack(&f->l), 0x60);
    wr(f, R_EOI, 0);
    cr_assert_eq(lapic_intr_ack(&f->l), 0x08);
    teardown(f);
}

Test(lapic, icr_destinations_and_modes)
{
    struct fixture *f = setup();
    enable(f);
    /* Physical: ID 0 matches, ID 1 does not exist, 0xFF is broadcast. */
    wr(f, R_ICR2, 0x01000000);
    wr(f, R_ICR, 0x31);
    cr_assert(!irr(f, 0x31), "an IPI to an absent CPU is dropped");
    cr_assert_eq(rd(f, R_ICR) & 0x1000, 0, "never busy");
    cr_assert_eq(rd(f, R_ICR), 0x31);
    cr_assert_eq(rd(f, R_ICR2), 0x01000000u);
    wr(f, R_ICR2, 0);
    wr(f, R_ICR, 0x32);
    cr_assert(irr(f, 0x32));
    wr(f, R_ICR2, 0xff000000);
    wr(f, R_ICR, 0x33);
    cr_assert(irr(f, 0x33));
    /* Logical, flat model: LDR bit 0. */
    wr(f, R_LDR, 0x01000000);
    wr(f, R_ICR2, 0x02000000);
    wr(f, R_ICR, 0x834);
    cr_assert(!irr(f, 0x34));
    wr(f, R_ICR2, 0x03000000);
    wr(f, R_ICR, 0x835);
    cr_assert(irr(f, 0x35));
    /* Cluster model: cluster 2, member bit 1. */
    wr(f, R_DFR, 0x0fffffff);
    cr_assert_eq(rd(f, R_DFR), 0x0fffffffu);
    wr(f, R_LDR, 0x22000000);
    wr(f, R_ICR2, 0x12000000);
    wr(f, R_ICR, 0x836);
    cr_assert(!irr(f, 0x36), "other cluster");
    wr(f, R_ICR2, 0x23000000);
    wr(f, R_ICR, 0x837);
    cr_assert(irr(f, 0x37));
    /* Shorthands: all-including-self delivers, all-excluding-self finds nobody. */
    wr(f, R_ICR, 0x80000 | 0x38);
    cr_assert(irr(f, 0x38));
    wr(f, R_ICR, 0xc0000 | 0x39);
    cr_assert(!irr(f, 0x39));
    /* INIT and SIPI to the other CPUs (the SMP start-up) are dropped. */
    wr(f, R_ICR, 0xc4500);
    wr(f, R_ICR, 0xc4608);
    cr_assert_eq(f->inits, 0);
    /* NMI to self; INIT to self; INIT level de-assert does nothing. */
    wr(f, R_ICR2, 0);
    wr(f, R_ICR, 0x400);
    cr_assert_eq(f->nmis, 1);
    wr(f, R_ICR, 0x8500);                       /* level-triggered, level 0: de-assert */
    cr_assert_eq(f->inits, 0);
    wr(f, R_ICR, 0x4500);
    cr_assert_eq(f->inits, 1);
    teardown(f);
}

Test(lapic, illegal_vectors_and_esr)
{
    struct fixture *f = setup();
    enable(f);
    wr(f, R_LVT_ERR, 0xfe);
    self_ipi(f, 0x05);
    cr_assert(!irr(f, 0x05));
    cr_assert_eq(rd(f, R_ESR), 0, "errors show after the next ESR write");
    wr(f, R_ESR, 0);
    cr_assert_eq(rd(f, R_ESR), 0x60, "send and receive illegal vector");
    cr_assert(irr(f, 0xfe), "the error LVT signalled it");
    wr(f, R_ESR, 0);
    cr_assert_eq(rd(f, R_ESR), 0);
    teardown(f);
}

Test(lapic, timer_one_shot)
{
    struct fixture *f = setup();
    enable(f);
    wr(f, R_TIMER_DIV, 0xb);                    /* divide by 1 */
    wr(f, R_LVT_TIMER, 0x60);
    harness_advance_to(f->h, 1000);
    wr(f, R_TIMER_INIT, 1000);
    harness_advance_to(f->h, 1400);
    cr_assert_eq(rd(f, R_TIMER_CUR), 600);
    cr_assert(!irr(f, 0x60));
    harness_advance_to(f->h, 1999);
    cr_assert(!irr(f, 0x60));
    harness_advance_to(f->h, 2000);
    cr_assert(irr(f, 0x60));
    cr_assert(!tmr(f, 0x60), "timer interrupts are edge-triggered");
    cr_assert_eq(rd(f, R_TIMER_CUR), 0);
    cr_assert_eq(lapic_intr_ack(&f->l), 0x60);
    wr(f, R_EOI, 0);
    harness_advance_to(f->h, 10000);
    cr_assert(!irr(f, 0x60), "one shot");
    /* Divide by 16 (DCR 0011): 100 counts = 1600 ns. */
    wr(f, R_TIMER_DIV, 0x3);
    wr(f, R_TIMER_INIT, 100);
    harness_advance_to(f->h, 10000 + 800);
    cr_assert_eq(rd(f, R_TIMER_CUR), 50);
    harness_advance_to(f->h, 10000 + 1599);
    cr_assert(!irr(f, 0x60));
    harness_advance_to(f->h, 10000 + 1600);
    cr_assert(irr(f, 0x60));
    /* Writing 0 stops it. */
    wr(f, R_TIMER_INIT, 500);
    wr(f, R_TIMER_INIT, 0);
    cr_assert_eq(vclock_next_deadline(&f->h->clock), VCLOCK_NEVER);
    teardown(f);
}

Test(lapic, timer_periodic_and_masked)
{
    struct fixture *f = setup();
    enable(f);
    wr(f, R_TIMER_DIV, 0xb);
    wr(f, R_LVT_TIMER, 0x20000 | 0x61);         /* periodic */
    wr(f, R_TIMER_INIT, 500);
    int fired = 0;
    for (uint64_t t = 0; t <= 2600; t += 50) {
        harness_advance_to(f->h, t);
        if (lapic_intr_ack(&f->l) == 0x61) {
            fired++;
            wr(f, R_EOI, 0);
        }
    }
    cr_assert_eq(fired, 5, "at 500, 1000, 1500, 2000, 2500");
    harness_advance_to(f->h, 2750);
    cr_assert_eq(rd(f, R_TIMER_CUR), 250);
    wr(f, R_LVT_TIMER, 0x30000 | 0x61);         /* masked: counts on, delivers nothing */
    harness_advance_to(f->h, 4000);
    cr_assert(!irr(f, 0x61));
    cr_assert_eq(rd(f, R_TIMER_CUR), 500);
    teardown(f);
}

Test(lapic, timer_tsc_deadline)
{
    struct fixture *f = setup();
    enable(f);
    lapic_write_tsc_deadline(&f->l, 1234, 5000);
    cr_assert_eq(lapic_read_tsc_deadline(&f->l), 0, "ignored outside TSC-deadline mode");
    wr(f, R_LVT_TIMER, 0x40000 | 0x62);
    wr(f, R_TIMER_INIT, 10);
    cr_assert_eq(rd(f, R_TIMER_INIT), 0, "initial count writes are ignored");
    lapic_write_tsc_deadline(&f->l, 1234, 5000);
    cr_assert_eq(lapic_read_tsc_deadline(&f->l), 1234);
    harness_advance_to(f->h, 4999);
    cr_assert(!irr(f, 0x62));
    harness_advance_to(f->h, 5000);
    cr_assert(irr(f, 0x62));
    cr_assert_eq(lapic_read_tsc_deadline(&f->l), 0, "reads 0 once it fired");
    /* Re-armed then cleared: writing 0 disarms. */
    lapic_write_tsc_deadline(&f->l, 99, 8000);
    lapic_write_tsc_deadline(&f->l, 0, 0);
    cr_assert_eq(vclock_next_deadline(&f->h->clock), VCLOCK_NEVER);
    /* Leaving TSC-deadline mode disarms the timer. */
    lapic_write_tsc_deadline(&f->l, 99, 9000);
    wr(f, R_LVT_TIMER, 0x62);
    cr_assert_eq(vclock_next_deadline(&f->h->clock), VCLOCK_NEVER);
    teardown(f);
}

Test(lapic, base_moves_and_reenable_is_init_state)
{
    struct fixture *f = setup();
    enable(f);
    wr(f, R_TPR, 0x20);
    lapic_write_base(&f->l, 0xfed00000ull | LAPIC_BASE_EN);
    cr_assert_eq(lapic_read_base(&f->l), 0xfed00900ull, "BSP bit kept");
    cr_assert_eq(phys_read32(f->pm, 0xfed00000ull + R_VER), 0x00050014u);
    cr_assert_eq(phys_read32(f->pm, APIC + R_VER), 0xffffffffu, "the old page is gone");
    cr_assert_eq(phys_read32(f->pm, 0xfed00000ull + R_TPR), 0x20, "state kept across a move");
    lapic_write_base(&f->l, 0xfee00000ull);      /* disable */
    lapic_write_base(&f->l, 0xfee00000ull | LAPIC_BASE_EN);
    cr_assert_eq(rd(f, R_TPR), 0, "re-enabled in its INIT state");
    cr_assert_eq(rd(f, R_SVR), 0xff);
    teardown(f);
}

/* --- I/O APIC ----------------------------------------------------------------- */

Test(ioapic, registers)
{
    struct fixture *f = setup();
    cr_assert_eq(ioapic_rd(f, 0x01), 0x00170020u, "24 entries, version 0x20");
    ioapic_wr(f, 0x00, 0xffffffffu);
    cr_assert_eq(ioapic_rd(f, 0x00), 0x0f000000u, "ID in bits 27:24");
    cr_assert_eq(ioapic_rd(f, 0x10), 0x00010000u, "entries start masked");
    ioapic_wr(f, 0x10, 0xffffffffu);
    cr_assert_eq(ioapic_rd(f, 0x10), 0x0001afffu, "delivery status, remote IRR read-only");
    ioapic_wr(f, 0x11, 0xffffffffu);
    cr_assert_eq(ioapic_rd(f, 0x11), 0xff000000u);
    cr_assert_eq(ioapic_isa_pin(0), 2);
    cr_assert_eq(ioapic_isa_pin(4), 4);
    teardown(f);
}

Test(ioapic, edge_to_the_local_apic)
{
    struct fixture *f = setup();
    enable(f);
    ioapic_wr(f, 0x10 + 2 * 2, 0x10030);        /* pin 2, vector 0x30, edge, masked */
    ioapic_wr(f, 0x11 + 2 * 2, 0);
    ioapic_set_pin(&f->io, 2, true);
    ioapic_set_pin(&f->io, 2, false);
    cr_assert(!irr(f, 0x30), "masked");
    ioapic_wr(f, 0x10 + 2 * 2, 0x30);           /* unmask: the held edge goes out */
    cr_assert(irr(f, 0x30));
    cr_assert(!tmr(f, 0x30));
    cr_assert_eq(lapic_intr_ack(&f->l), 0x30);
    wr(f, R_EOI, 0);
    ioapic_set_pin(&f->io, 2, true);
    cr_assert(irr(f, 0x30));
    lapic_intr_ack(&f->l);
    wr(f, R_EOI, 0);
    ioapic_set_pin(&f->io, 2, true);            /* no new edge while high */
    cr_assert(!irr(f, 0x30));
    /* Destination: logical 0x02 does not match LDR 0x01. */
    wr(f, R_LDR, 0x01000000);
    ioapic_wr(f, 0x10 + 2 * 3, 0x830);
    ioapic_wr(f, 0x11 + 2 * 3, 0x02000000);
    ioapic_set_pin(&f->io, 3, true);
    cr_assert(!irr(f, 0x30));
    teardown(f);
}

Test(ioapic, level_with_remote_irr_and_eoi_broadcast)
{
    struct fixture *f = setup();
    enable(f);
    ioapic_wr(f, 0x10 + 2 * 5, 0xa055);         /* pin 5: vector 0x55, level, active low */
    ioapic_set_pin(&f->io, 5, true);
    cr_assert(irr(f, 0x55));
    cr_assert(tmr(f, 0x55), "level-triggered: TMR set");
    cr_assert(ioapic_rd(f, 0x10 + 2 * 5) & 0x4000, "remote IRR set");
    cr_assert_eq(lapic_intr_ack(&f->l), 0x55);
    wr(f, R_EOI, 0);                            /* broadcast: remote IRR clears ... */
    cr_assert(irr(f, 0x55), "... and the pin, still asserted, is delivered again");
    cr_assert(ioapic_rd(f, 0x10 + 2 * 5) & 0x4000);
    cr_assert_eq(lapic_intr_ack(&f->l), 0x55);
    ioapic_set_pin(&f->io, 5, false);
    wr(f, R_EOI, 0);
    cr_assert(!irr(f, 0x55));
    cr_assert_eq(ioapic_rd(f, 0x10 + 2 * 5) & 0x4000, 0);
    /* While remote IRR is set the pin is not delivered again. */
    ioapic_set_pin(&f->io, 5, true);
    lapic_intr_ack(&f->l);
    ioapic_set_pin(&f->io, 5, false);
    ioapic_set_pin(&f->io, 5, true);
    cr_assert(!irr(f, 0x55));
    /* The version 0x20 EOI register clears remote IRR too. */
    ioapic_set_pin(&f->io, 5, true);
    phys_write32(f->pm, IOAPIC_BASE + 0x40, 0x55);
    cr_assert_eq(ioapic_rd(f, 0x10 + 2 * 5) & 0x4000, 0x4000, "redelivered at once");
    teardown(f);
}

/* --- pc-testdev ------------------------------------------------------------------ */

Test(pc_testdev, read_back_irq_lines_and_memory)
{
    struct harness *h = harness_new();
    struct phys_mem *pm = phys_mem_create(1u << 20);
    struct pc_testdev *t = calloc(1, sizeof(*t));
    cr_assert_eq(pc_testdev_init(t, &h->bus, pm), 0);
    outl(h, 0xe0, 0x12345678);
    cr_assert_eq(inl(h, 0xe0), 0x12345678u);
    cr_assert_eq(inb(h, 0xe1), 0x56);
    cr_assert_eq(inw(h, 0xe2), 0x1234);
    outb(h, 0xe3, 0xab);
    cr_assert_eq(inl(h, 0xe0), 0xab345678u);
    cr_assert_eq(inl(h, 0xe8), 0xab345678u, "0xE8-0xEB: the same register");
    outw(h, 0xe9, 0xcdef);
    cr_assert_eq(inl(h, 0xe0), 0xabcdef78u);
    outl(h, 0xe4, 0x1000);                      /* flush: accepted, no effect */
    cr_assert_eq(inl(h, 0xe0), 0xabcdef78u);
    outb(h, 0x2000 + 10, 1);
    cr_assert(h->line[10]);
    outb(h, 0x2000 + 10, 0);
    cr_assert(!h->line[10]);
    outb(h, 0x2000 + 23, 7);
    cr_assert(h->line[23]);
    phys_write32(pm, PC_TESTDEV_IOMEM_BASE + 0x100, 0xdeadbeef);
    cr_assert_eq(phys_read32(pm, PC_TESTDEV_IOMEM_BASE + 0x100), 0xdeadbeefu);
    cr_assert_eq(phys_read8(pm, PC_TESTDEV_IOMEM_BASE + 0x101), 0xbe);
    phys_write64(pm, PC_TESTDEV_IOMEM_BASE + 0xfff8, 0x0102030405060708ull);
    cr_assert_eq(phys_read64(pm, PC_TESTDEV_IOMEM_BASE + 0xfff8), 0x0102030405060708ull);
    cr_assert_eq(phys_read8(pm, PC_TESTDEV_IOMEM_BASE + 0x10000), 0xff, "64 KiB only");
    free(t);
    phys_mem_destroy(pm);
    free(h);
}

/* --- x2APIC mode (SDM Vol. 3A 11.12) ------------------------------------------- */

Test(lapic, x2apic_mode_msrs_and_transitions)
{
    struct fixture *f = setup();
    uint64_t v;
    cr_assert_eq(lapic_cpuid_ecx(&f->l), 1u << 24, "TSC-deadline; x2APIC not offered");
    cr_assert(!lapic_write_base(&f->l, 0xfee00c00ull), "EXTD needs x2APIC support");
    f->l.w.x2apic = true;
    cr_assert_eq(lapic_cpuid_ecx(&f->l), (1u << 24) | (1u << 21));
    cr_assert(!lapic_rdmsr(&f->l, 0x802, &v), "xAPIC mode: the MSRs #GP");
    cr_assert(!lapic_write_base(&f->l, 0xfee00400ull), "EXTD without EN is invalid");
    cr_assert(lapic_write_base(&f->l, 0xfee00c00ull));
    cr_assert_eq(phys_read32(f->pm, APIC + R_VER), 0xffffffffu, "no MMIO page in x2APIC mode");
    cr_assert(lapic_rdmsr(&f->l, 0x802, &v) && v == 0, "x2APIC ID");
    cr_assert(lapic_rdmsr(&f->l, 0x803, &v) && v == 0x00050014u);
    cr_assert(lapic_rdmsr(&f->l, 0x80d, &v) && v == 1, "logical ID: cluster 0, bit 0");
    cr_assert(!lapic_rdmsr(&f->l, 0x80e, &v), "no DFR");
    cr_assert(!lapic_rdmsr(&f->l, 0x831, &v), "no ICR2");
    cr_assert(!lapic_rdmsr(&f->l, 0x80b, &v), "EOI is write-only");
    cr_assert(!lapic_wrmsr(&f->l, 0x802, 5), "ID is read-only");
    cr_assert(lapic_wrmsr(&f->l, 0x80f, 0x1ff));
    cr_assert(lapic_wrmsr(&f->l, 0x83f, 0x50), "SELF IPI");
    cr_assert(lapic_rdmsr(&f->l, 0x822, &v) && (v & (1u << 16)), "IRR bit 0x50");
    cr_assert(!lapic_wrmsr(&f->l, 0x83f, 0x150), "SELF IPI bits 31:8 reserved");
    cr_assert_eq(lapic_intr_ack(&f->l), 0x50);
    cr_assert(!lapic_wrmsr(&f->l, 0x80b, 1), "EOI must be 0");
    cr_assert(lapic_wrmsr(&f->l, 0x80b, 0));
    cr_assert(lapic_rdmsr(&f->l, 0x812, &v) && v == 0, "ISR clear");
    /* 64-bit ICR: physical destination in bits 63:32. */
    cr_assert(lapic_wrmsr(&f->l, 0x830, (1ull << 32) | 0x51));
    cr_assert(lapic_rdmsr(&f->l, 0x822, &v) && !(v & (1u << 17)), "APIC 1 is absent");
    cr_assert(lapic_wrmsr(&f->l, 0x830, 0x52));
    cr_assert(lapic_rdmsr(&f->l, 0x822, &v) && (v & (1u << 18)));
    cr_assert(lapic_rdmsr(&f->l, 0x830, &v) && v == 0x52);
    cr_assert(!lapic_wrmsr(&f->l, 0x808, 1ull << 32), "bits 63:32 reserved");
    /* Transitions: x2APIC -> xAPIC is invalid; through disabled is fine. */
    cr_assert(!lapic_write_base(&f->l, 0xfee00800ull));
    cr_assert(lapic_write_base(&f->l, 0xfee00000ull));
    cr_assert(!lapic_write_base(&f->l, 0xfee00c00ull), "disabled -> x2APIC is invalid");
    cr_assert(lapic_write_base(&f->l, 0xfee00800ull));
    cr_assert_eq(rd(f, R_VER), 0x00050014u, "xAPIC again, page back");
    teardown(f);
}
