/*
 * acpi_pm.h - the PIIX4 power-management function (8086:7113 at 00:01.3,
 * as on QEMU's "pc" machine) seen through ACPI: the PM1 event and control
 * registers and the 24-bit 3.579545 MHz PM timer at the guest-programmed
 * PM base (PMBA, config 0x40; enabled by PMREGMISC bit 0, config 0x80),
 * the GPE0 block at 0xAFE0, the APM control/status ports 0xB2/0xB3, and
 * the SCI on ISA IRQ 9.
 *
 * Spec: Intel 82371AB (PIIX4) datasheet, 7.2 PM I/O registers; ACPI 6.x
 * 4.8 (fixed hardware) and 7.4.2 (SLP_TYP). S5 here is SLP_TYP 0 (the
 * PIIX4 encoding, matching the \_S5 package in our DSDT).
 *
 * softvm has no SMM: the APM command port 0xB2 does directly what
 * SeaBIOS's SMI handler would (0xF1 sets SCI_EN, 0xF0 clears it), and
 * DEVACTB reports APMC_EN already set so firmware skips SMM setup.
 */
#ifndef SOFTVM_DEVICES_ACPI_PM_H
#define SOFTVM_DEVICES_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>
#include "devices/pci.h"

#define ACPI_PM_DEFAULT_BASE 0x600      /* where SeaBIOS puts it */
#define ACPI_GPE0_BASE       0xafe0
#define ACPI_PM_TIMER_HZ     3579545u
#define ACPI_SCI_IRQ         9

struct vclock;

struct acpi_pm {
    struct pci_function pci;
    struct io_bus *io;
    struct vclock *clock;
    uint16_t io_base;           /* mapped PM base, 0 = not decoding */
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint8_t apm_cmd, apm_sts;
    bool sci_level;
    int timer;                  /* TMR_STS: PM timer bit 23 toggles */
    void (*poweroff)(void *opaque, int status);     /* S5 */
    void *poweroff_opaque;
    void (*suspend)(void *opaque);                  /* S3 (SLP_TYP 1, as QEMU's PIIX4) */
    void *suspend_opaque;
};

int acpi_pm_init(struct acpi_pm *pm, struct pci_bus *bus, struct io_bus *io,
                 struct vclock *clock, void (*poweroff)(void *opaque, int status),
                 void *opaque);
void acpi_pm_reset(struct acpi_pm *pm);
/* What a BIOS would do: put the PM registers at `base` and enable them
 * (for direct kernel boot without firmware). */
void acpi_pm_set_base(struct acpi_pm *pm, uint16_t base);
/* S3 suspend-to-RAM: called when the guest writes SLP_EN with SLP_TYP 1. */
void acpi_pm_set_suspend(struct acpi_pm *pm, void (*suspend)(void *opaque), void *opaque);
/* The RTC raised IRQ8 while the board sleeps: RTC_STS is set; true if
 * RTC_EN makes it a wake event. */
bool acpi_pm_rtc_wake(struct acpi_pm *pm);
/* The fixed-feature power button was pressed (ACPI 4.8.3.1.1 PM1 status:
 * the FADT's PWR_BUTTON flag is clear): PWRBTN_STS is set, and the SCI is
 * raised while PWRBTN_EN is set. */
void acpi_pm_power_button(struct acpi_pm *pm);
/* After the wake-up reset: WAK_STS (and the wake event's status) read 1. */
void acpi_pm_set_woken(struct acpi_pm *pm);

/* The 24-bit PM timer value now. */
uint32_t acpi_pm_timer(const struct acpi_pm *pm);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc acpi_pm_vmstate;

#endif
