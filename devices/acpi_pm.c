/*
 * acpi_pm.c - PIIX4 ACPI power management.  See acpi_pm.h.
 */
#include "devices/acpi_pm.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"
#include "devices/vclock.h"

#define PMBA       0x40
#define DEVACTB    0x58
#define PMREGMISC  0x80

#define PM1_TMR    0x0001       /* PM1 status/enable bits */
#define PM1_GBL    0x0020
#define PM1_PWRBTN 0x0100
#define PM1_RTC    0x0400
#define PM1_WAK    0x8000
#define PM1_EVENTS (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)

#define CNT_SCI_EN 0x0001
#define CNT_SLP_EN 0x2000
#define CNT_SLP_TYP(v) (((v) >> 10) & 7)

#define PM_IO_SIZE 64

#define NS_PER_S 1000000000ull

uint32_t acpi_pm_timer(const struct acpi_pm *pm)
{
    uint64_t ns = vclock_now(pm->clock);
    return (uint32_t)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / NS_PER_S) & 0xffffff;
}

static void update_sci(struct acpi_pm *pm)
{
    bool level = (pm->pm1_sts & pm->pm1_en & PM1_EVENTS) || (pm->gpe_sts & pm->gpe_en);
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_set(pm->io, ACPI_SCI_IRQ, level);
    }
}

/* Arm the timer for the next toggle of PM timer bit 23 (TMR_STS). */
static void arm_tmr(struct acpi_pm *pm)
{
    if (!(pm->pm1_en & PM1_TMR)) {
        vclock_timer_disarm(pm->clock, pm->timer);
        return;
    }
    uint64_t ticks = (uint64_t)((unsigned __int128)vclock_now(pm->clock) * ACPI_PM_TIMER_HZ / NS_PER_S);
    uint64_t next = ((ticks >> 23) + 1) << 23;
    uint64_t ns = (uint64_t)(((unsigned __int128)next * NS_PER_S + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ);
    vclock_timer_arm(pm->clock, pm->timer, ns);
}

static void tmr_fire(void *opaque)
{
    struct acpi_pm *pm = opaque;
    pm->pm1_sts |= PM1_TMR;
    update_sci(pm);
    arm_tmr(pm);
}

static void write_pm1_cnt(struct acpi_pm *pm, uint16_t v)
{
    /* SLP_EN is write-only: it starts the sleep and never reads back. */
    pm->pm1_cnt = v & ~CNT_SLP_EN;
    if ((v & CNT_SLP_EN) && CNT_SLP_TYP(v) == 0 && pm->poweroff)
        pm->poweroff(pm->poweroff_opaque, 0);       /* S5: soft off */
    else if ((v & CNT_SLP_EN) && CNT_SLP_TYP(v) == 1 && pm->suspend)
        pm->suspend(pm->suspend_opaque);            /* S3: suspend to RAM */
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
    pm->pm1_sts |= PM1_PWRBTN;
    update_sci(pm);
}

void acpi_pm_set_suspend(struct acpi_pm *pm, void (*suspend)(void *opaque), void *opaque)
{
    pm->suspend = suspend;
    pm->suspend_opaque = opaque;
}

bool acpi_pm_rtc_wake(struct acpi_pm *pm)
{
    pm->pm1_sts |= PM1_RTC;
    return pm->pm1_en & PM1_RTC;
}

void acpi_pm_set_woken(struct acpi_pm *pm)
{
    pm->pm1_sts |= PM1_WAK | PM1_RTC;
}

/* --- PM I/O block ------------------------------------------------------------------ */

static uint32_t pm_reg_read(struct acpi_pm *pm, unsigned off)
{
    switch (off) {
    case 0x00: return pm->pm1_sts;
    case 0x02: return pm->pm1_en;
    case 0x04: return pm->pm1_cnt;
    case 0x08: return acpi_pm_timer(pm);
    default:   return 0;
    }
}

static uint32_t pm_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct acpi_pm *pm = opaque;
    unsigned off = port - pm->io_base;
    /* Registers are 16 or 32 bits wide; assemble narrower/misaligned reads. */
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned o = off + i;
        unsigned reg = o < 8 ? (o & ~1u) : (o & ~3u);
        v |= ((pm_reg_read(pm, reg) >> (8 * (o - reg))) & 0xff) << (8 * i);
    }
    return v;
}

static void pm_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct acpi_pm *pm = opaque;
    unsigned off = port - pm->io_base;
    if (size == 4 && off == 0) {                    /* PM1_STS + PM1_EN together */
        pm_io_write(opaque, port, value & 0xffff, 2);
        pm_io_write(opaque, (uint16_t)(port + 2), value >> 16, 2);
        return;
    }
    if (size == 1) {                                /* merge a byte into its register */
        unsigned reg = off & ~1u;
        if (reg <= 4) {
            uint32_t cur = reg == 0 ? 0 : pm_reg_read(pm, reg);    /* STS: write-1-to-clear */
            unsigned sh = 8 * (off - reg);
            uint32_t merged = (cur & ~(0xffu << sh)) | ((value & 0xff) << sh);
            if (reg == 4 && sh == 0)
                merged &= ~CNT_SLP_EN;              /* the low byte can't carry SLP_EN */
            off = reg;
            value = merged;
        }
    }
    switch (off) {
    case 0x00:
        pm->pm1_sts &= ~(uint16_t)value;
        break;
    case 0x02:
        pm->pm1_en = (uint16_t)value & PM1_EVENTS;
        arm_tmr(pm);
        break;
    case 0x04:
        write_pm1_cnt(pm, (uint16_t)value);
        break;
    default:
        break;
    }
    update_sci(pm);
}

static uint32_t gpe_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct acpi_pm *pm = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned o = (unsigned)(port - ACPI_GPE0_BASE) + i;
        uint16_t reg = o < 2 ? pm->gpe_sts : pm->gpe_en;
        v |= (uint32_t)((reg >> (8 * (o & 1))) & 0xff) << (8 * i);
    }
    return v;
}

static void gpe_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct acpi_pm *pm = opaque;
    for (unsigned i = 0; i < size; i++) {
        unsigned o = (unsigned)(port - ACPI_GPE0_BASE) + i;
        if (o >= 4)
            break;
        uint16_t b = (uint16_t)(((value >> (8 * i)) & 0xff) << (8 * (o & 1)));
        if (o < 2)
            pm->gpe_sts &= ~b;                      /* write-1-to-clear */
        else
            pm->gpe_en = (uint16_t)((pm->gpe_en & ~(0xff << (8 * (o & 1)))) | b);
    }
    update_sci(pm);
}

static uint32_t apm_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct acpi_pm *pm = opaque;
    return port == 0xb2 ? pm->apm_cmd : pm->apm_sts;
}

static void apm_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct acpi_pm *pm = opaque;
    if (port == 0xb3) {
        pm->apm_sts = (uint8_t)value;
        return;
    }
    pm->apm_cmd = (uint8_t)value;
    /* What the firmware's SMI handler does for the FADT's ACPI_ENABLE/DISABLE. */
    if (pm->apm_cmd == 0xf1)
        pm->pm1_cnt |= CNT_SCI_EN;
    else if (pm->apm_cmd == 0xf0)
        pm->pm1_cnt &= ~CNT_SCI_EN;
}

/* --- PCI side --------------------------------------------------------------------------- */

static void remap(struct acpi_pm *pm)
{
    uint16_t base = pci_get_l(&pm->pci, PMBA) & 0xffc0;
    bool on = pm->pci.config[PMREGMISC] & 1;
    uint16_t want = (on && base) ? base : 0;
    if (want == pm->io_base)
        return;
    if (pm->io_base)
        io_unregister(pm->io, pm->io_base, PM_IO_SIZE);
    pm->io_base = 0;
    if (want && io_register(pm->io, want, PM_IO_SIZE, pm_io_read, pm_io_write, pm) == 0)
        pm->io_base = want;
}

static void acpi_pm_write_hook(void *opaque, unsigned offset, unsigned size)
{
    struct acpi_pm *pm = opaque;
    if ((offset < PMBA + 4 && offset + size > PMBA) ||
        (offset <= PMREGMISC && offset + size > PMREGMISC))
        remap(pm);
}

void acpi_pm_set_base(struct acpi_pm *pm, uint16_t base)
{
    pci_set_l(&pm->pci, PMBA, (base & 0xffc0) | 1);
    pm->pci.config[PMREGMISC] |= 1;
    remap(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
    pm->pm1_sts = pm->pm1_en = pm->pm1_cnt = 0;
    pm->gpe_sts = pm->gpe_en = 0;
    pm->apm_cmd = pm->apm_sts = 0;
    pci_set_l(&pm->pci, PMBA, 1);
    pm->pci.config[PMREGMISC] = 0;
    pci_set_l(&pm->pci, DEVACTB, 1u << 25);         /* APMC_EN: "SMM already set up" */
    remap(pm);
    vclock_timer_disarm(pm->clock, pm->timer);
    update_sci(pm);
}

int acpi_pm_init(struct acpi_pm *pm, struct pci_bus *bus, struct io_bus *io,
                 struct vclock *clock, void (*poweroff)(void *opaque, int status),
                 void *opaque)
{
    memset(pm, 0, sizeof(*pm));
    pm->io = io;
    pm->clock = clock;
    pm->poweroff = poweroff;
    pm->poweroff_opaque = opaque;
    pm->timer = vclock_timer_new(clock, tmr_fire, pm);
    if (pm->timer < 0)
        return -1;
    pci_function_init(&pm->pci, 0x8086, 0x7113, 0x068000, 0x03);
    pm->pci.config[PCI_INTERRUPT_PIN] = 1;
    pm->pci.config[PCI_INTERRUPT_LINE] = ACPI_SCI_IRQ;
    pm->pci.wmask[PMBA] = 0xc0;                     /* 64-byte aligned I/O base */
    pm->pci.wmask[PMBA + 1] = 0xff;
    pm->pci.wmask[PMREGMISC] = 0x01;
    for (int i = 0; i < 4; i++)
        pm->pci.wmask[DEVACTB + i] = 0xff;
    for (int i = 0x90; i < 0x94; i++)               /* SMBus base: stored only */
        pm->pci.wmask[i] = 0xff;
    pm->pci.wmask[0xd2] = 0xff;
    pm->pci.write_hook = acpi_pm_write_hook;
    pm->pci.opaque = pm;
    if (pci_register(bus, &pm->pci, PCI_DEVFN(1, 3)))
        return -1;
    acpi_pm_reset(pm);
    if (io_register(io, ACPI_GPE0_BASE, 4, gpe_io_read, gpe_io_write, pm) ||
        io_register(io, 0xb2, 2, apm_io_read, apm_io_write, pm))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

/* The PM register block's port base follows PMBA/PMIOSE in the loaded config. */
static void acpi_pm_pre_load(void *obj)
{
    struct acpi_pm *pm = obj;
    if (pm->io && pm->io_base)
        io_unregister(pm->io, pm->io_base, PM_IO_SIZE);
    pm->io_base = 0;
}
static void acpi_pm_post_load(void *obj)
{
    struct acpi_pm *pm = obj;
    if (pm->io)
        remap(pm);
}
#define P struct acpi_pm
static const struct vms_field acpi_pm_fields[] = {
    VMS_S(P, pci, pci_function_vmstate), VMS_W(P, io), VMS_W(P, clock), VMS_W(P, io_base),
    VMS(P, pm1_sts), VMS(P, pm1_en), VMS(P, pm1_cnt), VMS(P, gpe_sts), VMS(P, gpe_en),
    VMS(P, apm_cmd), VMS(P, apm_sts), VMS(P, sci_level), VMS_W(P, timer),
    VMS_W(P, poweroff), VMS_W(P, poweroff_opaque), VMS_W(P, suspend), VMS_W(P, suspend_opaque),
};
#undef P
const struct vms_desc acpi_pm_vmstate = {
    VMS_DESC(struct acpi_pm, "acpi_pm", 1, acpi_pm_fields),
    .pre_load = acpi_pm_pre_load, .post_load = acpi_pm_post_load,
};
