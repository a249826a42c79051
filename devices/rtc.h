/*
 * rtc.h - the Motorola MC146818 real-time clock and its CMOS NVRAM
 * (index port 0x70 with the NMI-disable bit 7, data port 0x71), IRQ8.
 *
 * Spec: Motorola MC146818A datasheet (registers A-D, update cycle,
 * periodic rates, alarm); the NVRAM layout is the PC/AT one plus the
 * Bochs/QEMU extensions SeaBIOS reads (see rtc_set_cmos_memory).
 *
 * Time = base (seconds since 1970, UTC; an input chosen by the frontend:
 * host clock or a fixed -rtc base) + elapsed virtual time, so the clock
 * the guest sees is deterministic given the base.
 */
#ifndef SOFTVM_DEVICES_RTC_H
#define SOFTVM_DEVICES_RTC_H

#include <stdbool.h>
#include <stdint.h>

struct io_bus;
struct vclock;

struct rtc {
    uint8_t cmos[128];
    uint8_t index;
    bool nmi_disabled;          /* bit 7 of the last write to 0x70 */

    int64_t base_secs;          /* clock reading at virtual time base_ns */
    uint64_t base_ns;
    uint64_t last_c_read_ns;    /* for the lazily computed periodic flag */

    struct io_bus *bus;
    struct vclock *clock;
    int second_timer;           /* update cycle: every second boundary */
    int periodic_timer;         /* periodic interrupt (PIE) */
    bool irq_level;
};

/* base_secs: the RTC's reading at virtual time 0 (seconds since 1970, UTC). */
int rtc_init(struct rtc *r, struct io_bus *bus, struct vclock *clock, int64_t base_secs);
void rtc_reset(struct rtc *r);
/*
 * Fill the NVRAM the BIOS reads: memory sizes (ram_below_4g includes the
 * first MiB), CPU count, and boot order (QEMU letters: 'a' floppy, 'c' disk,
 * 'd' CD-ROM, 'n' network; first tried first; NULL or "" = "cad").
 */
void rtc_set_cmos_memory(struct rtc *r, uint64_t ram_below_4g, uint64_t ram_above_4g,
                         int ncpus, const char *boot_order);
/* The clock's current reading in seconds since 1970 (for tests/logging). */
int64_t rtc_now_secs(struct rtc *r);

/* Date helpers (proleptic Gregorian, UTC), exposed for tests. */
int64_t rtc_days_from_civil(int y, int m, int d);
void rtc_civil_from_days(int64_t days, int *y, int *m, int *d);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc rtc_vmstate;

#endif
