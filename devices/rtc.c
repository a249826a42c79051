/*
 * rtc.c - the MC146818 RTC and CMOS NVRAM.  See rtc.h.
 *
 * The time registers are not ticked: reading one computes the current time
 * from the base and the virtual clock.  The update-ended and alarm
 * interrupts come from a timer at every second boundary; the periodic one
 * from a timer at multiples of the programmed period (32.768 kHz divider).
 */
#include "devices/rtc.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"
#include "devices/vclock.h"

enum {
    RTC_SEC = 0x00, RTC_SEC_ALARM = 0x01, RTC_MIN = 0x02, RTC_MIN_ALARM = 0x03,
    RTC_HOUR = 0x04, RTC_HOUR_ALARM = 0x05, RTC_WDAY = 0x06, RTC_MDAY = 0x07,
    RTC_MONTH = 0x08, RTC_YEAR = 0x09,
    RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d,
    CMOS_CENTURY = 0x32,
};

#define REGA_UIP 0x80
#define REGB_SET 0x80
#define REGB_PIE 0x40
#define REGB_AIE 0x20
#define REGB_UIE 0x10
#define REGB_BINARY 0x04
#define REGB_24H 0x02
#define REGC_IRQF 0x80
#define REGC_PF 0x40
#define REGC_AF 0x20
#define REGC_UF 0x10

#define NS_PER_S 1000000000ull
/* The update cycle takes 1984 us; UIP rises 244 us before it starts. */
#define UIP_WINDOW_NS (244000ull + 1984000ull)

/* --- calendar arithmetic (days since 1970-01-01, Howard Hinnant's method) -- */

int64_t rtc_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rtc_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* --- register encoding ------------------------------------------------------ */

static bool binary_mode(const struct rtc *r) { return r->cmos[RTC_REG_B] & REGB_BINARY; }

static uint8_t to_reg(const struct rtc *r, int v)
{
    return binary_mode(r) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int from_reg(const struct rtc *r, uint8_t v)
{
    return binary_mode(r) ? v : ((v >> 4) & 0x0f) * 10 + (v & 0x0f);
}

static uint8_t hour_to_reg(const struct rtc *r, int h)
{
    if (r->cmos[RTC_REG_B] & REGB_24H)
        return to_reg(r, h);
    int h12 = h % 12 == 0 ? 12 : h % 12;
    return (uint8_t)(to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int hour_from_reg(const struct rtc *r, uint8_t v)
{
    if (r->cmos[RTC_REG_B] & REGB_24H)
        return from_reg(r, v);
    int h = from_reg(r, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

int64_t rtc_now_secs(struct rtc *r)
{
    uint64_t now = vclock_now(r->clock);
    return r->base_secs + (int64_t)((now - r->base_ns) / NS_PER_S);
}

/* Copy the running clock into the time registers. */
static void store_time(struct rtc *r)
{
    int64_t t = rtc_now_secs(r);
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t sod = t - days * 86400;
    int y, mo, d;
    rtc_civil_from_days(days, &y, &mo, &d);
    r->cmos[RTC_SEC] = to_reg(r, (int)(sod % 60));
    r->cmos[RTC_MIN] = to_reg(r, (int)(sod / 60 % 60));
    r->cmos[RTC_HOUR] = hour_to_reg(r, (int)(sod / 3600));
    r->cmos[RTC_WDAY] = to_reg(r, (int)(((days % 7) + 11) % 7) + 1);  /* 1 = Sunday; 1970-01-01 was a Thursday */
    r->cmos[RTC_MDAY] = to_reg(r, d);
    r->cmos[RTC_MONTH] = to_reg(r, mo);
    r->cmos[RTC_YEAR] = to_reg(r, y % 100);
    r->cmos[CMOS_CENTURY] = to_reg(r, y / 100);
}

/* The guest set the time (SET cleared): restart the clock from the registers. */
static void load_time(struct rtc *r)
{
    int y = from_reg(r, r->cmos[CMOS_CENTURY]) * 100 + from_reg(r, r->cmos[RTC_YEAR]);
    int mo = from_reg(r, r->cmos[RTC_MONTH]);
    int d = from_reg(r, r->cmos[RTC_MDAY]);
    if (mo < 1 || mo > 12) mo = 1;
    if (d < 1 || d > 31) d = 1;
    int64_t secs = rtc_days_from_civil(y, mo, d) * 86400 +
                   hour_from_reg(r, r->cmos[RTC_HOUR]) * 3600 +
                   from_reg(r, r->cmos[RTC_MIN]) * 60 + from_reg(r, r->cmos[RTC_SEC]);
    r->base_secs = secs;
    r->base_ns = vclock_now(r->clock);
}

/* --- interrupts ------------------------------------------------------------- */

static void update_irq(struct rtc *r)
{
    uint8_t c = r->cmos[RTC_REG_C] & (REGC_PF | REGC_AF | REGC_UF);
    uint8_t enabled = r->cmos[RTC_REG_B] & (REGB_PIE | REGB_AIE | REGB_UIE);
    /* PF/AF/UF line up with PIE/AIE/UIE shifted by 0. */
    bool level = (c & enabled) != 0;
    if (level)
        r->cmos[RTC_REG_C] |= REGC_IRQF;
    if (level != r->irq_level) {
        r->irq_level = level;
        irq_set(r->bus, 8, level);
    }
}

/* Periodic interrupt period in 32.768 kHz ticks, 0 if off (datasheet table 5). */
static uint32_t periodic_ticks(const struct rtc *r)
{
    unsigned rs = r->cmos[RTC_REG_A] & 0x0f;
    if (rs == 0)
        return 0;
    if (rs <= 2)
        rs += 7;                        /* rates 1 and 2 repeat 8 and 9 */
    return 1u << (rs - 1);
}

static uint64_t tick32k_to_ns(uint64_t tick)
{
    return (uint64_t)(((unsigned __int128)tick * NS_PER_S + 32767) / 32768);
}

static uint64_t ns_to_tick32k(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * 32768 / NS_PER_S);
}

static void arm_periodic(struct rtc *r)
{
    uint32_t period = periodic_ticks(r);
    if (!period || !(r->cmos[RTC_REG_B] & REGB_PIE)) {
        vclock_timer_disarm(r->clock, r->periodic_timer);
        return;
    }
    uint64_t tick = ns_to_tick32k(vclock_now(r->clock));
    vclock_timer_arm(r->clock, r->periodic_timer, tick32k_to_ns((tick / period + 1) * period));
}

static void periodic_fire(void *opaque)
{
    struct rtc *r = opaque;
    r->cmos[RTC_REG_C] |= REGC_PF;
    update_irq(r);
    arm_periodic(r);
}

static uint64_t next_second_ns(const struct rtc *r)
{
    uint64_t now = vclock_now(r->clock);
    return r->base_ns + ((now - r->base_ns) / NS_PER_S + 1) * NS_PER_S;
}

static void arm_second(struct rtc *r)
{
    if (r->cmos[RTC_REG_B] & REGB_SET)
        vclock_timer_disarm(r->clock, r->second_timer);
    else
        vclock_timer_arm(r->clock, r->second_timer, next_second_ns(r));
}

static bool alarm_field_matches(const struct rtc *r, int alarm_reg, int now_reg)
{
    uint8_t a = r->cmos[alarm_reg];
    return (a & 0xc0) == 0xc0 || a == r->cmos[now_reg];   /* 11xxxxxx = don't care */
}

static void second_fire(void *opaque)
{
    struct rtc *r = opaque;
    store_time(r);
    r->cmos[RTC_REG_C] |= REGC_UF;
    if (alarm_field_matches(r, RTC_SEC_ALARM, RTC_SEC) &&
        alarm_field_matches(r, RTC_MIN_ALARM, RTC_MIN) &&
        alarm_field_matches(r, RTC_HOUR_ALARM, RTC_HOUR))
        r->cmos[RTC_REG_C] |= REGC_AF;
    update_irq(r);
    arm_second(r);
}

/* --- ports ------------------------------------------------------------------ */

static bool is_time_reg(unsigned i)
{
    return i <= RTC_YEAR || i == CMOS_CENTURY;
}

static uint8_t cmos_read(struct rtc *r, unsigned i)
{
    switch (i) {
    case RTC_REG_A: {
        uint8_t a = r->cmos[RTC_REG_A] & ~REGA_UIP;
        if (!(r->cmos[RTC_REG_B] & REGB_SET)) {
            uint64_t to_next = next_second_ns(r) - vclock_now(r->clock);
            if (to_next <= UIP_WINDOW_NS)
                a |= REGA_UIP;
        }
        return a;
    }
    case RTC_REG_C: {
        uint32_t period = periodic_ticks(r);
        uint64_t now = vclock_now(r->clock);
        /* PF is set at each period boundary whether or not PIE is on. */
        if (period && ns_to_tick32k(now) / period != ns_to_tick32k(r->last_c_read_ns) / period)
            r->cmos[RTC_REG_C] |= REGC_PF;
        r->last_c_read_ns = now;
        uint8_t c = r->cmos[RTC_REG_C];
        r->cmos[RTC_REG_C] = 0;         /* reading C clears every flag */
        update_irq(r);
        return c;
    }
    case RTC_REG_D:
        return 0x80;                    /* valid RAM and time */
    default:
        if (is_time_reg(i) && !(r->cmos[RTC_REG_B] & REGB_SET))
            store_time(r);
        return r->cmos[i];
    }
}

static void cmos_write(struct rtc *r, unsigned i, uint8_t v)
{
    switch (i) {
    case RTC_REG_A:
        r->cmos[RTC_REG_A] = (v & ~REGA_UIP);
        arm_periodic(r);
        break;
    case RTC_REG_B: {
        uint8_t old = r->cmos[RTC_REG_B];
        if ((old & REGB_SET) == 0 && (v & REGB_SET))
            store_time(r);              /* freeze the registers at this reading */
        if (v & REGB_SET)
            v &= ~REGB_UIE;             /* SET clears UIE (datasheet) */
        r->cmos[RTC_REG_B] = v;
        if ((old & REGB_SET) && !(v & REGB_SET))
            load_time(r);
        arm_second(r);
        arm_periodic(r);
        update_irq(r);
        break;
    }
    case RTC_REG_C:
    case RTC_REG_D:
        break;                          /* read-only */
    default:
        if (is_time_reg(i) && !(r->cmos[RTC_REG_B] & REGB_SET)) {
            /* Writing one time register while running: adopt it at once. */
            store_time(r);
            r->cmos[i] = v;
            load_time(r);
            arm_second(r);
        } else {
            r->cmos[i] = v;
        }
        break;
    }
}

static uint32_t rtc_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct rtc *r = opaque;
    if (port == 0x70)
        return 0xff;                    /* the index register is write-only */
    return cmos_read(r, r->index);
}

static void rtc_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct rtc *r = opaque;
    if (port == 0x70) {
        r->index = value & 0x7f;
        r->nmi_disabled = value & 0x80;
        return;
    }
    cmos_write(r, r->index, (uint8_t)value);
}

/* --- NVRAM layout ------------------------------------------------------------- */

static uint8_t boot_code(char c)
{
    switch (c) {
    case 'a': return 1;                 /* floppy */
    case 'c': return 2;                 /* hard disk */
    case 'd': return 3;                 /* CD-ROM */
    case 'n': return 4;                 /* network */
    default:  return 0;
    }
}

void rtc_set_cmos_memory(struct rtc *r, uint64_t ram_below_4g, uint64_t ram_above_4g,
                         int ncpus, const char *boot_order)
{
    uint8_t *c = r->cmos;
    /* 0x15/0x16: base memory in KiB. */
    c[0x15] = 640 & 0xff;
    c[0x16] = 640 >> 8;
    /* 0x17/0x18 and 0x30/0x31: KiB above 1 MiB, capped at 0xFFFF (~64 MiB). */
    uint64_t ext_kb = ram_below_4g > (1u << 20) ? (ram_below_4g - (1u << 20)) / 1024 : 0;
    if (ext_kb > 0xffff)
        ext_kb = 0xffff;
    c[0x17] = c[0x30] = ext_kb & 0xff;
    c[0x18] = c[0x31] = (uint8_t)(ext_kb >> 8);
    /* 0x34/0x35: 64 KiB units above 16 MiB (below 4 GiB), as SeaBIOS reads. */
    uint64_t above16 = ram_below_4g > (16u << 20) ? (ram_below_4g - (16u << 20)) >> 16 : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    c[0x34] = above16 & 0xff;
    c[0x35] = (uint8_t)(above16 >> 8);
    /* 0x5b-0x5d: 64 KiB units above 4 GiB. */
    uint64_t above4g = ram_above_4g >> 16;
    c[0x5b] = above4g & 0xff;
    c[0x5c] = (uint8_t)(above4g >> 8);
    c[0x5d] = (uint8_t)(above4g >> 16);
    /* 0x5f: CPU count - 1. */
    c[0x5f] = (uint8_t)(ncpus > 0 ? ncpus - 1 : 0);
    /* 0x10: no floppy drives; 0x14 equipment: FPU present, PS/2 mouse, VGA. */
    c[0x10] = 0x00;
    c[0x14] = 0x06;
    /* Boot order (Bochs/QEMU): 0x3d bits 0-3 first, 4-7 second device; 0x38
     * bits 4-7 third device, bit 0 = skip the floppy boot-signature check. */
    const char *bo = (boot_order && *boot_order) ? boot_order : "cad";
    uint8_t b0 = boot_code(bo[0]);
    uint8_t b1 = bo[0] ? boot_code(bo[1]) : 0;
    uint8_t b2 = (bo[0] && bo[1]) ? boot_code(bo[2]) : 0;
    c[0x3d] = (uint8_t)(b1 << 4 | b0);
    c[0x38] = (uint8_t)(b2 << 4 | 0x01);
    /* 0x2d bit 5: boot from floppy first (the AT BIOS flag). */
    c[0x2d] = b0 == 1 ? 0x20 : 0x00;
    /* 0x2e/0x2f: checksum of 0x10-0x2d, big-endian. */
    uint16_t sum = 0;
    for (int i = 0x10; i <= 0x2d; i++)
        sum += c[i];
    c[0x2e] = (uint8_t)(sum >> 8);
    c[0x2f] = sum & 0xff;
}

/* --- life cycle --------------------------------------------------------------- */

void rtc_reset(struct rtc *r)
{
    /* Reset clears PIE/AIE/UIE and the flags; the time keeps running. */
    r->cmos[RTC_REG_B] &= ~(REGB_PIE | REGB_AIE | REGB_UIE);
    r->cmos[RTC_REG_C] = 0;
    update_irq(r);
    arm_periodic(r);
    arm_second(r);
}

int rtc_init(struct rtc *r, struct io_bus *bus, struct vclock *clock, int64_t base_secs)
{
    memset(r, 0, sizeof(*r));
    r->bus = bus;
    r->clock = clock;
    r->base_secs = base_secs;
    r->base_ns = vclock_now(clock);
    r->second_timer = vclock_timer_new(clock, second_fire, r);
    r->periodic_timer = vclock_timer_new(clock, periodic_fire, r);
    if (r->second_timer < 0 || r->periodic_timer < 0)
        return -1;
    r->cmos[RTC_REG_A] = 0x26;          /* 32.768 kHz divider, 1024 Hz rate */
    r->cmos[RTC_REG_B] = REGB_24H;      /* BCD, 24-hour */
    store_time(r);
    rtc_set_cmos_memory(r, 0, 0, 1, NULL);
    arm_second(r);
    return io_register(bus, 0x70, 2, rtc_io_read, rtc_io_write, r);
}

/* --- saved state (devices/vmstate.h) --- */

#define R struct rtc
static const struct vms_field rtc_fields[] = {
    VMS_A(R, cmos), VMS(R, index), VMS(R, nmi_disabled), VMS(R, base_secs), VMS(R, base_ns),
    VMS(R, last_c_read_ns), VMS_W(R, bus), VMS_W(R, clock), VMS_W(R, second_timer),
    VMS_W(R, periodic_timer), VMS(R, irq_level),
};
#undef R
const struct vms_desc rtc_vmstate = { VMS_DESC(struct rtc, "rtc", 1, rtc_fields) };
