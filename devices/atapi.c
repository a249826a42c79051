/*
 * atapi.c - the MMC command set of the ATAPI CD-ROM. See atapi.h.
 */
#include "devices/atapi.h"
#include "devices/vmstate.h"

#include <string.h>

#include "devices/block/block.h"

/* Additional sense codes (SPC-3 annex D). */
#define ASC_INVALID_OPCODE    0x20
#define ASC_LBA_OUT_OF_RANGE  0x21
#define ASC_INVALID_FIELD     0x24
#define ASC_MEDIUM_CHANGED    0x28
#define ASC_UNRECOVERED_READ  0x11
#define ASC_NO_MEDIUM         0x3a

static void set_sense(struct atapi *a, uint8_t key, uint8_t asc, uint8_t ascq)
{
    a->sense_key = key;
    a->asc = asc;
    a->ascq = ascq;
}

static int check(struct atapi *a, uint8_t key, uint8_t asc)
{
    set_sense(a, key, asc, 0);
    a->read_left = 0;
    return -1;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void atapi_init(struct atapi *a, struct block_dev *bd)
{
    memset(a, 0, sizeof(*a));
    a->bd = bd;
    a->blocks = bd ? (uint32_t)(block_size(bd) / ATAPI_BLOCK) : 0;
    a->media_event = bd != NULL;
}

void atapi_change_media(struct atapi *a, struct block_dev *bd)
{
    a->bd = bd;
    a->blocks = bd ? (uint32_t)(block_size(bd) / ATAPI_BLOCK) : 0;
    a->unit_attention = true;
    a->media_event = true;
    a->locked = false;
    a->read_left = 0;
}

/* LBA to MSF (MMC-5 table 5: 75 frames a second, 2 seconds of lead-in). */
static void put_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = 0;
    p[1] = (uint8_t)(lba / (75 * 60));
    p[2] = (uint8_t)(lba / 75 % 60);
    p[3] = (uint8_t)(lba % 75);
}

static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf)
        put_msf(p, lba);
    else
        put32(p, lba);
}

/* READ TOC/PMA/ATIP (MMC-5 6.34), formats 0 (TOC) and 1 (session info). */
static int read_toc(struct atapi *a, const uint8_t *cdb, uint8_t *buf, uint32_t *len)
{
    bool msf = cdb[1] & 2;
    unsigned format = cdb[2] & 0x0f;
    if (!format)
        format = cdb[9] >> 6;                 /* the older encoding */
    uint32_t n;
    memset(buf, 0, 32);
    if (format == 0) {
        unsigned track = cdb[6];
        if (track > 1 && track != 0xaa)
            return check(a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        buf[2] = 1;                           /* first track */
        buf[3] = 1;                           /* last track */
        n = 4;
        if (track <= 1) {
            buf[n + 1] = 0x14;                /* ADR 1, data track */
            buf[n + 2] = 1;
            put_addr(buf + n + 4, 0, msf);
            n += 8;
        }
        buf[n + 1] = 0x14;
        buf[n + 2] = 0xaa;                    /* lead-out */
        put_addr(buf + n + 4, a->blocks, msf);
        n += 8;
    } else if (format == 1) {
        buf[2] = 1;
        buf[3] = 1;
        buf[5] = 0x14;
        buf[6] = 1;
        put_addr(buf + 8, 0, msf);
        n = 12;
    } else {
        return check(a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    put16(buf, n - 2);
    *len = n;
    return 0;
}

/* MODE SENSE(6)/(10): pages 01h (error recovery), 2Ah (capabilities), 3Fh. */
static int mode_sense(struct atapi *a, const uint8_t *cdb, uint8_t *buf, uint32_t *len, bool ten)
{
    unsigned page = cdb[2] & 0x3f, pc = cdb[2] >> 6;
    if (pc == 3)                              /* saved values: not supported */
        return check(a, SENSE_ILLEGAL_REQUEST, 0x39);
    unsigned hdr = ten ? 8 : 4, n = hdr;
    memset(buf, 0, 64);
    if (page == 0x01 || page == 0x3f) {
        buf[n] = 0x01;
        buf[n + 1] = 0x0a;
        buf[n + 3] = 5;                       /* read retry count */
        n += 12;
    }
    if (page == 0x2a || page == 0x3f) {
        uint8_t *p = buf + n;
        p[0] = 0x2a;
        p[1] = 0x12;
        p[4] = 0x71;                          /* audio play, mode 2 forms 1/2, multisession */
        p[5] = 0x03;                          /* CD-DA commands, accurate stream */
        p[6] = 0x29 | (a->locked ? 0x02 : 0); /* lock, eject, tray loader */
        put16(p + 8, 706);                    /* 4x, kB/s */
        put16(p + 10, 2);                     /* volume levels */
        put16(p + 12, 512);                   /* buffer, KiB */
        put16(p + 14, 706);
        n += 20;
    }
    if (n == hdr)
        return check(a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    if (ten) {
        put16(buf, n - 2);
        buf[2] = a->bd ? 0x01 : 0x70;         /* medium type: data CD / no disc */
    } else {
        buf[0] = (uint8_t)(n - 1);
        buf[1] = a->bd ? 0x01 : 0x70;
    }
    *len = n;
    return 0;
}

int atapi_command(struct atapi *a, const uint8_t cdb[12], uint8_t *buf, uint32_t cap,
                  uint32_t *len)
{
    uint8_t op = cdb[0];
    uint32_t alloc = 0xffffffffu, n = 0;
    *len = 0;
    a->read_left = 0;

    /* A new disc is reported once, to the first command that is not one of
     * these (SPC-3 5.8.6). */
    if (a->unit_attention && op != 0x12 && op != 0x03 && op != 0x4a) {
        a->unit_attention = false;
        return check(a, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED);
    }
    bool needs_media = op == 0x00 || op == 0x25 || op == 0x28 || op == 0xa8 ||
                       op == 0x43 || op == 0x2b;
    if (needs_media && !a->bd)
        return check(a, SENSE_NOT_READY, ASC_NO_MEDIUM);

    switch (op) {
    case 0x00:                                /* TEST UNIT READY */
    case 0x2b:                                /* SEEK(10) */
    case 0x1b:                                /* START STOP UNIT */
        break;
    case 0x1e:                                /* PREVENT ALLOW MEDIUM REMOVAL */
        a->locked = cdb[4] & 1;
        break;
    case 0x03:                                /* REQUEST SENSE (fixed format) */
        alloc = cdb[4];
        memset(buf, 0, 18);
        buf[0] = 0x70;
        buf[2] = a->sense_key;
        buf[7] = 10;
        buf[12] = a->asc;
        buf[13] = a->ascq;
        n = 18;
        set_sense(a, SENSE_NONE, 0, 0);
        break;
    case 0x12:                                /* INQUIRY */
        alloc = get16(cdb + 3);
        if (cdb[1] & 1)                       /* vital product data: none */
            return check(a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        memset(buf, 0, 36);
        buf[0] = 0x05;                        /* CD/DVD device */
        buf[1] = 0x80;                        /* removable */
        buf[2] = 0x05;                        /* SPC-3 */
        buf[3] = 0x32;                        /* response data format 2 */
        buf[4] = 31;
        memcpy(buf + 8, "SOFTVM  ", 8);
        memcpy(buf + 16, "DVD-ROM         ", 16);
        memcpy(buf + 32, "1.0 ", 4);
        n = 36;
        break;
    case 0x25:                                /* READ CAPACITY */
        put32(buf, a->blocks ? a->blocks - 1 : 0);
        put32(buf + 4, ATAPI_BLOCK);
        n = 8;
        break;
    case 0x28: case 0xa8: {                   /* READ(10), READ(12) */
        uint32_t lba = get32(cdb + 2);
        uint32_t count = op == 0x28 ? get16(cdb + 7) : get32(cdb + 6);
        if (lba > a->blocks || count > a->blocks - lba)
            return check(a, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        a->read_lba = lba;
        a->read_left = count;
        int r = count ? atapi_read_more(a, buf, cap) : 0;
        if (r < 0)
            return -1;
        *len = (uint32_t)r;
        return 0;
    }
    case 0x43:                                /* READ TOC/PMA/ATIP */
        alloc = get16(cdb + 7);
        if (read_toc(a, cdb, buf, &n))
            return -1;
        break;
    case 0x1a: case 0x5a:                     /* MODE SENSE(6)/(10) */
        alloc = op == 0x1a ? cdb[4] : get16(cdb + 7);
        if (mode_sense(a, cdb, buf, &n, op == 0x5a))
            return -1;
        break;
    case 0x46: {                              /* GET CONFIGURATION */
        alloc = get16(cdb + 7);
        uint16_t profile = a->bd ? 0x0008 : 0;   /* CD-ROM */
        memset(buf, 0, 16);
        put16(buf + 6, profile);
        /* feature 0000h, the profile list: CD-ROM, current if a disc is in */
        buf[8 + 2] = 0x03;                    /* persistent, current */
        buf[8 + 3] = 4;
        put16(buf + 12, 0x0008);
        buf[14] = a->bd ? 1 : 0;
        n = 16;
        unsigned rt = cdb[1] & 3, start = get16(cdb + 2);
        if (rt == 2 && start != 0)
            n = 8;                            /* only that feature, and we lack it */
        put32(buf, n - 4);
        break;
    }
    case 0x4a: {                              /* GET EVENT STATUS NOTIFICATION */
        alloc = get16(cdb + 7);
        if (!(cdb[1] & 1))                    /* only polled operation */
            return check(a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        memset(buf, 0, 8);
        buf[3] = 0x10;                        /* supported: media class */
        if (cdb[4] & 0x10) {
            buf[2] = 0x04;                    /* media class */
            put16(buf, 6);
            buf[4] = a->media_event ? (a->bd ? 2 : 3) : 0;   /* new media / removal */
            buf[5] = a->bd ? 0x02 : 0;        /* media present */
            a->media_event = false;
            n = 8;
        } else {
            buf[2] = 0x80;                    /* no event available */
            put16(buf, 2);
            n = 4;
        }
        break;
    }
    case 0xbd:                                /* MECHANISM STATUS */
        alloc = get16(cdb + 8);
        memset(buf, 0, 8);
        n = 8;
        break;
    default:
        return check(a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
    }
    if (n > alloc)
        n = alloc;
    if (n > cap)
        n = cap;
    *len = n;
    set_sense(a, SENSE_NONE, 0, 0);
    return 0;
}

int atapi_read_more(struct atapi *a, uint8_t *buf, uint32_t cap)
{
    uint32_t n = a->read_left;
    if (n > cap / ATAPI_BLOCK)
        n = cap / ATAPI_BLOCK;
    if (n == 0)
        return 0;
    if (!a->bd || block_read(a->bd, a->read_lba * ATAPI_BLOCK, buf,
                             (size_t)n * ATAPI_BLOCK) != 0) {
        set_sense(a, a->bd ? SENSE_MEDIUM_ERROR : SENSE_NOT_READY,
                  a->bd ? ASC_UNRECOVERED_READ : ASC_NO_MEDIUM, 0);
        a->read_left = 0;
        return -1;
    }
    a->read_lba += n;
    a->read_left -= n;
    return (int)(n * ATAPI_BLOCK);
}

/* --- saved state (devices/vmstate.h) --- */

#define A struct atapi
static const struct vms_field atapi_fields[] = {
    VMS_W(A, bd), VMS_C(A, blocks), VMS(A, sense_key), VMS(A, asc), VMS(A, ascq),
    VMS(A, unit_attention), VMS(A, media_event), VMS(A, locked), VMS(A, read_lba),
    VMS(A, read_left),
};
#undef A
const struct vms_desc atapi_vmstate = { VMS_DESC(struct atapi, "atapi", 1, atapi_fields) };
