/*
 * ide.c - the PIIX3 IDE controller: ATA task-file protocol, PIO and
 * bus-master DMA, ATAPI PACKET transport. See ide.h.
 */
#include "devices/ide.h"
#include "devices/vmstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/block.h"
#include "devices/iobus.h"
#include "devices/vclock.h"
#include "memory/memory.h"

/* Status register (ATA-6 6.2.13). */
#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DSC  0x10
#define ST_DF   0x20
#define ST_DRDY 0x40
#define ST_BSY  0x80
/* Error register. */
#define ER_ABRT 0x04
#define ER_IDNF 0x10
#define ER_UNC  0x40
/* Device control register. */
#define CTL_NIEN 0x02
#define CTL_SRST 0x04
#define CTL_HOB  0x80
/* ATAPI interrupt reason (in the sector count register). */
#define IR_COD 0x01
#define IR_IO  0x02
/* Bus-master registers (PIIX3 2.7). */
#define BM_CMD_START 0x01
#define BM_CMD_READ  0x08        /* the engine writes memory (a disk read) */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR  0x02
#define BM_ST_INTR   0x04
#define BM_ST_CAP    0x60        /* drive 0/1 DMA capable (software's bits) */

#define IDE_BUF_BYTES (IDE_BUF_SECTORS * 512u)

static const uint16_t cmd_base[2] = { 0x1f0, 0x170 };
static const uint16_t ctl_port[2] = { 0x3f6, 0x376 };

static struct ide_drive *cur_drive(struct ide_channel *ch)
{
    return &ch->drive[ch->cur];
}

static bool channel_empty(const struct ide_channel *ch)
{
    return !ch->drive[0].present && !ch->drive[1].present;
}

static void update_irq(struct ide_channel *ch)
{
    irq_set(ch->ctl->io, ch->irq, ch->intrq && !(ch->control & CTL_NIEN));
}

static void raise_irq(struct ide_channel *ch)
{
    ch->intrq = true;
    update_irq(ch);
}

static void schedule(struct ide_channel *ch, enum ide_pending what, uint64_t ns)
{
    ch->pending = what;
    ch->tf.status = ST_BSY;
    vclock_timer_arm(ch->ctl->clock, ch->timer, vclock_now(ch->ctl->clock) + ns);
}

/* End the command with an error (status ERR, error register `err`). */
static void finish_error(struct ide_channel *ch, uint8_t err)
{
    ch->xfer = IDE_XFER_NONE;
    ch->pending = IDE_PEND_NONE;
    ch->dma = ch->dma_started = false;
    ch->tf.error = err;
    ch->tf.status = ST_DRDY | ST_DSC | ST_ERR;
    if (cur_drive(ch)->atapi)
        ch->tf.nsector = IR_IO | IR_COD;
    raise_irq(ch);
}

static void finish_ok(struct ide_channel *ch)
{
    ch->xfer = IDE_XFER_NONE;
    ch->pending = IDE_PEND_NONE;
    ch->dma = ch->dma_started = false;
    ch->tf.error = 0;
    ch->tf.status = ST_DRDY | ST_DSC;
    if (cur_drive(ch)->atapi)
        ch->tf.nsector = IR_IO | IR_COD;
    raise_irq(ch);
}

/* ---- signatures, reset, IDENTIFY ------------------------------------------------- */

static void set_signature(struct ide_channel *ch, int drive)
{
    struct ide_drive *d = &ch->drive[drive];
    ch->tf.nsector = 1;
    ch->tf.sector = 1;
    ch->tf.lcyl = d->atapi ? 0x14 : 0;
    ch->tf.hcyl = d->atapi ? 0xeb : 0;
    ch->tf.select = 0xa0 | (uint8_t)(drive << 4);
    ch->tf.error = 1;                         /* diagnostic: no error */
}

/* The READ/WRITE MULTIPLE block size a drive has before any SET MULTIPLE
 * MODE: IDENTIFY word 47's maximum. ATA/ATAPI-6 8.15.28 lets word 59 default
 * to the device's preferred value, and 8.31.8 (READ MULTIPLE EXT) says that
 * without a successful SET MULTIPLE the block is word 47's default; QEMU's
 * drive also starts at 16. */
#define IDE_DEFAULT_MULT 16

static void channel_reset(struct ide_channel *ch)
{
    vclock_timer_disarm(ch->ctl->clock, ch->timer);
    ch->pending = IDE_PEND_NONE;
    ch->xfer = IDE_XFER_NONE;
    ch->dma = ch->dma_started = false;
    ch->intrq = false;                        /* SRST clears a pending interrupt (ATA-6 5.2.9) */
    ch->cur = 0;
    set_signature(ch, 0);
    struct ide_drive *d = &ch->drive[0];
    ch->tf.status = d->present && !d->atapi ? ST_DRDY | ST_DSC : 0;
    /* A software reset takes the multiple mode back to its power-on
     * default, unless SET FEATURES 66h ("disable reverting to power-on
     * defaults", ATA/ATAPI-6 8.46) was given since the last hardware reset
     * (ide_reset clears it, CCh turns reverting back on). */
    for (int i = 0; i < 2; i++)
        if (!ch->drive[i].keep_mult_on_srst)
            ch->drive[i].mult = IDE_DEFAULT_MULT;
}

static void put_string(uint16_t *w, int first, int words, const char *s)
{
    /* ATA strings: two characters per word, the first in the high byte,
     * padded with spaces. */
    size_t n = strlen(s);
    for (int i = 0; i < words * 2; i++) {
        uint8_t c = (size_t)i < n ? (uint8_t)s[i] : ' ';
        if (i & 1)
            w[first + i / 2] |= c;
        else
            w[first + i / 2] = (uint16_t)(c << 8);
    }
}

static void put_le16(uint8_t *b, const uint16_t *w, int n)
{
    for (int i = 0; i < n; i++) {
        b[2 * i] = (uint8_t)w[i];
        b[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
}

/* IDENTIFY DEVICE (ATA-6 8.15). */
static void identify_ata(struct ide_channel *ch, struct ide_drive *d, int index)
{
    uint16_t w[256];
    memset(w, 0, sizeof(w));
    char serial[21];
    snprintf(serial, sizeof(serial), "SV%04d", index);
    w[0] = 0x0040;                            /* fixed device */
    w[1] = d->cyls;
    w[3] = d->heads;
    w[6] = d->spt;
    put_string(w, 10, 10, serial);
    put_string(w, 23, 4, "1.0");
    put_string(w, 27, 20, "SOFTVM HARDDISK");
    w[47] = 0x8000 | 16;                      /* READ/WRITE MULTIPLE: up to 16 */
    w[49] = 0x0300;                           /* LBA, DMA */
    w[50] = 0x4000;
    w[51] = 0x0200;                           /* PIO timing mode 2 */
    w[53] = 0x0007;                           /* words 54-58, 64-70, 88 valid */
    w[54] = d->cyls;
    w[55] = d->heads;
    w[56] = d->spt;
    uint32_t chs = (uint32_t)d->cyls * d->heads * d->spt;
    w[57] = (uint16_t)chs;
    w[58] = (uint16_t)(chs >> 16);
    if (d->mult)
        w[59] = 0x100 | d->mult;
    uint64_t lba28 = d->sectors < 0x0fffffff ? d->sectors : 0x0fffffff;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    /* multiword DMA 0-2 supported; the selected mode (SET FEATURES 03h) */
    w[63] = 0x0007;
    if ((d->xfer_mode & 0xf8) == 0x20)
        w[63] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    w[64] = 0x0003;                           /* PIO 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x007e;                           /* ATA-1 .. ATA-6 */
    w[82] = 0x4020;                           /* write cache */
    w[83] = 0x7400;                           /* LBA48, FLUSH CACHE (EXT) */
    w[84] = 0x4000;
    w[85] = d->write_cache ? 0x0020 : 0;
    w[86] = 0x3400;
    w[87] = 0x4000;
    w[88] = 0x003f;                           /* UDMA 0-5 supported */
    if ((d->xfer_mode & 0xf8) == 0x40)
        w[88] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    w[93] = 0x4000 | 0x2000 | 0x0001;         /* reset result; 80-wire cable */
    for (int i = 0; i < 4; i++)
        w[100 + i] = (uint16_t)(d->sectors >> (16 * i));
    put_le16(ch->buf, w, 256);
}

/* IDENTIFY PACKET DEVICE (ATA-6 8.16). */
static void identify_atapi(struct ide_channel *ch, int index)
{
    uint16_t w[256];
    memset(w, 0, sizeof(w));
    char serial[21];
    snprintf(serial, sizeof(serial), "SV%04d", index);
    w[0] = 0x85c0;            /* ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets */
    put_string(w, 10, 10, serial);
    put_string(w, 23, 4, "1.0");
    put_string(w, 27, 20, "SOFTVM DVD-ROM");
    w[49] = 0x0300;           /* LBA, DMA */
    w[53] = 0x0007;
    w[63] = 0x0007;
    w[64] = 0x0003;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[71] = 30;               /* typical time to release the bus after PACKET, ns */
    w[72] = 30;
    w[80] = 0x007e;
    w[82] = 0x4014;           /* PACKET, removable media */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = 0x0014;
    w[87] = 0x4000;
    w[88] = 0x003f;
    w[93] = 0x4000 | 0x2000 | 0x0001;
    put_le16(ch->buf, w, 256);
}

/* ---- addressing ------------------------------------------------------------------ */

/* The command's first sector; false if CHS with sector 0 (no such sector). */
static bool get_lba(struct ide_channel *ch, struct ide_drive *d, uint64_t *lba)
{
    struct ide_taskfile *t = &ch->tf;
    if (ch->lba48) {
        *lba = (uint64_t)t->sector | (uint64_t)t->lcyl << 8 | (uint64_t)t->hcyl << 16 |
               (uint64_t)t->hob_sector << 24 | (uint64_t)t->hob_lcyl << 32 |
               (uint64_t)t->hob_hcyl << 40;
    } else if (t->select & 0x40) {
        *lba = (uint64_t)t->sector | (uint64_t)t->lcyl << 8 | (uint64_t)t->hcyl << 16 |
               (uint64_t)(t->select & 0x0f) << 24;
    } else {
        unsigned cyl = t->lcyl | t->hcyl << 8, head = t->select & 0x0f;
        if (t->sector == 0 || !d->heads || !d->spt)
            return false;
        *lba = ((uint64_t)cyl * d->heads + head) * d->spt + t->sector - 1u;
    }
    return true;
}

/* Put the address of the last sector handled back in the task file (as a
 * drive does at the end of a command, and on an error). */
static void set_lba(struct ide_channel *ch, struct ide_drive *d, uint64_t lba)
{
    struct ide_taskfile *t = &ch->tf;
    if (ch->lba48) {
        t->sector = (uint8_t)lba; t->lcyl = (uint8_t)(lba >> 8); t->hcyl = (uint8_t)(lba >> 16);
        t->hob_sector = (uint8_t)(lba >> 24); t->hob_lcyl = (uint8_t)(lba >> 32);
        t->hob_hcyl = (uint8_t)(lba >> 40);
    } else if (t->select & 0x40) {
        t->sector = (uint8_t)lba; t->lcyl = (uint8_t)(lba >> 8); t->hcyl = (uint8_t)(lba >> 16);
        t->select = (uint8_t)((t->select & 0xf0) | ((lba >> 24) & 0x0f));
    } else if (d->heads && d->spt) {
        uint64_t cyl = lba / ((uint64_t)d->heads * d->spt);
        uint64_t rem = lba % ((uint64_t)d->heads * d->spt);
        t->lcyl = (uint8_t)cyl; t->hcyl = (uint8_t)(cyl >> 8);
        t->select = (uint8_t)((t->select & 0xf0) | (rem / d->spt));
        t->sector = (uint8_t)(rem % d->spt + 1);
    }
}

static uint32_t get_count(const struct ide_channel *ch)
{
    if (ch->lba48) {
        uint32_t n = ch->tf.nsector | (uint32_t)ch->tf.hob_nsector << 8;
        return n ? n : 65536;
    }
    return ch->tf.nsector ? ch->tf.nsector : 256;
}

/* ---- sector commands ------------------------------------------------------------- */

static uint32_t block_sectors(const struct ide_channel *ch)
{
    uint32_t n = ch->block < ch->remaining ? ch->block : ch->remaining;
    return n ? n : 1;
}

/* READ/WRITE SECTORS/MULTIPLE/DMA: check the range, then start. */
static void start_rw(struct ide_channel *ch, struct ide_drive *d, bool write, bool dma,
                     uint32_t per_block)
{
    uint64_t lba;
    uint32_t count = get_count(ch);
    if (!get_lba(ch, d, &lba) || lba >= d->sectors || count > d->sectors - lba) {
        finish_error(ch, ER_IDNF | ER_ABRT);
        return;
    }
    if (write && block_is_readonly(d->bd)) {
        finish_error(ch, ER_ABRT);
        return;
    }
    ch->lba = lba;
    ch->remaining = count;
    ch->block = per_block;
    ch->atapi_data = false;
    if (dma) {
        ch->dma = true;
        ch->dma_started = false;
        ch->tf.status = ST_DRDY | ST_DSC | ST_DRQ;
        if (ch->bm_cmd & BM_CMD_START) {
            ch->dma_started = true;
            schedule(ch, IDE_PEND_DMA, IDE_CMD_NS + IDE_SECTOR_NS * count);
        }
        return;
    }
    if (write) {
        ch->xfer = IDE_XFER_PIO_OUT;
        ch->pos = 0;
        ch->end = block_sectors(ch) * 512;
        ch->tf.status = ST_DRDY | ST_DSC | ST_DRQ;   /* first block: no interrupt */
    } else {
        schedule(ch, IDE_PEND_READ, IDE_CMD_NS + IDE_SECTOR_NS * block_sectors(ch));
    }
}

static void pio_read_block(struct ide_channel *ch)
{
    struct ide_drive *d = cur_drive(ch);
    uint32_t n = block_sectors(ch);
    if (block_read(d->bd, ch->lba * 512, ch->buf, n * 512u) != 0) {
        set_lba(ch, d, ch->lba);
        finish_error(ch, ER_UNC);
        return;
    }
    ch->xfer = IDE_XFER_PIO_IN;
    ch->pos = 0;
    ch->end = n * 512;
    ch->tf.status = ST_DRDY | ST_DSC | ST_DRQ;
    raise_irq(ch);
}

static void pio_write_block(struct ide_channel *ch)
{
    struct ide_drive *d = cur_drive(ch);
    uint32_t n = block_sectors(ch);
    if (block_write(d->bd, ch->lba * 512, ch->buf, n * 512u) != 0) {
        set_lba(ch, d, ch->lba);
        finish_error(ch, ER_ABRT);
        return;
    }
    ch->lba += n;
    ch->remaining -= n;
    if (ch->remaining == 0) {
        set_lba(ch, d, ch->lba - 1);
        finish_ok(ch);
        return;
    }
    ch->xfer = IDE_XFER_PIO_OUT;
    ch->pos = 0;
    ch->end = block_sectors(ch) * 512;
    ch->tf.status = ST_DRDY | ST_DSC | ST_DRQ;
    raise_irq(ch);
}

/* The guest has taken or given the whole PIO block. */
static void pio_block_done(struct ide_channel *ch)
{
    struct ide_drive *d = cur_drive(ch);
    if (ch->xfer == IDE_XFER_PIO_OUT) {
        ch->xfer = IDE_XFER_NONE;
        if (d->atapi) {                       /* the 12-byte packet */
            schedule(ch, IDE_PEND_PACKET, IDE_CMD_NS);
            return;
        }
        schedule(ch, IDE_PEND_WRITE, IDE_SECTOR_NS * block_sectors(ch));
        return;
    }
    ch->xfer = IDE_XFER_NONE;
    if (ch->atapi_data) {
        if (ch->pos < ch->atapi_len || atapi_stream_left(&d->atapi_state)) {
            /* the next DRQ chunk of the reply */
            schedule(ch, IDE_PEND_DATA_IN, IDE_SECTOR_NS);
            return;
        }
        finish_ok(ch);
        return;
    }
    if (ch->remaining == 0) {                 /* IDENTIFY and friends: one block */
        ch->tf.status = ST_DRDY | ST_DSC;
        return;
    }
    uint32_t n = block_sectors(ch);
    ch->lba += n;
    ch->remaining -= n;
    if (ch->remaining == 0) {
        set_lba(ch, d, ch->lba - 1);
        ch->tf.status = ST_DRDY | ST_DSC;     /* no interrupt after the last block */
        return;
    }
    schedule(ch, IDE_PEND_READ, IDE_SECTOR_NS * block_sectors(ch));
}

/* ---- ATAPI transport --------------------------------------------------------------- */

/* Present the next PIO chunk of an ATAPI reply (at most the byte limit). */
static void atapi_next_chunk(struct ide_channel *ch)
{
    struct ide_drive *d = cur_drive(ch);
    if (ch->pos >= ch->atapi_len) {
        int n = atapi_read_more(&d->atapi_state, ch->buf, IDE_BUF_BYTES);
        if (n < 0) {
            finish_error(ch, (uint8_t)(d->atapi_state.sense_key << 4));
            return;
        }
        ch->atapi_len = (uint32_t)n;
        ch->pos = 0;
        if (n == 0) {
            finish_ok(ch);
            return;
        }
    }
    uint32_t chunk = ch->atapi_len - ch->pos;
    if (chunk > ch->atapi_limit)
        chunk = ch->atapi_limit;
    ch->end = ch->pos + chunk;
    ch->tf.lcyl = (uint8_t)chunk;
    ch->tf.hcyl = (uint8_t)(chunk >> 8);
    ch->tf.nsector = IR_IO;
    ch->xfer = IDE_XFER_PIO_IN;
    ch->tf.status = ST_DRDY | ST_DSC | ST_DRQ;
    raise_irq(ch);
}

static void run_packet(struct ide_channel *ch)
{
    struct ide_drive *d = cur_drive(ch);
    uint8_t cdb[12];
    memcpy(cdb, ch->buf, 12);
    uint32_t len = 0;
    if (atapi_command(&d->atapi_state, cdb, ch->buf, IDE_BUF_BYTES, &len) != 0) {
        finish_error(ch, (uint8_t)(d->atapi_state.sense_key << 4));
        return;
    }
    if (len == 0 && !atapi_stream_left(&d->atapi_state)) {
        finish_ok(ch);
        return;
    }
    ch->atapi_data = true;
    ch->atapi_len = len;
    ch->pos = 0;
    if (ch->dma) {
        ch->tf.status = ST_DRDY | ST_DSC | ST_DRQ;
        ch->tf.nsector = IR_IO;
        if (ch->bm_cmd & BM_CMD_START) {
            ch->dma_started = true;
            uint64_t bytes = len + atapi_stream_left(&d->atapi_state);
            schedule(ch, IDE_PEND_DMA, IDE_CMD_NS + IDE_SECTOR_NS * (bytes / 512));
        }
        return;
    }
    atapi_next_chunk(ch);
}

/* ---- bus-master DMA ------------------------------------------------------------------ */

struct prd_walk {
    uint32_t index;
    uint32_t addr, left;            /* the current entry's remainder */
    bool eot;                       /* the current entry is the last */
};

/* Move the next n bytes between buf and guest memory along the PRD table.
 * Returns false if the table ends (or is malformed) first. */
static bool prd_copy(struct ide_controller *c, struct ide_channel *ch, struct prd_walk *w,
                     uint8_t *buf, uint32_t n, bool to_memory)
{
    while (n) {
        if (w->left == 0) {
            if (w->eot || w->index >= IDE_MAX_PRD)
                return false;
            uint8_t e[8];
            /* The table is dword-aligned and may not cross a 64 KiB boundary
             * (PIIX3 2.7.3): the index wraps inside its 64 KiB page. */
            uint32_t at = (ch->bm_prdt & ~0xffffu) | ((ch->bm_prdt + w->index * 8) & 0xffff);
            dma_read(c->mem, at, e, 8);
            w->index++;
            w->addr = ((uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 |
                       (uint32_t)e[3] << 24) & ~1u;
            uint32_t cnt = ((uint32_t)e[4] | (uint32_t)e[5] << 8) & 0xfffe;
            w->left = cnt ? cnt : 0x10000;
            w->eot = e[7] & 0x80;
        }
        uint32_t k = n < w->left ? n : w->left;
        if (to_memory)
            dma_write(c->mem, w->addr, buf, k);
        else
            dma_read(c->mem, w->addr, buf, k);
        w->addr += k;
        w->left -= k;
        buf += k;
        n -= k;
    }
    return true;
}

static void dma_finish(struct ide_channel *ch, const struct prd_walk *w, bool ok, uint8_t err)
{
    ch->bm_status |= BM_ST_INTR;
    /* A table longer than the transfer leaves the engine active (2.7.2). */
    if (!ok || (w->eot && w->left == 0))
        ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    if (ok)
        finish_ok(ch);
    else
        finish_error(ch, err);
}

/* The PRD table ended before the transfer did. SFF-8038i 3.1 (the status
 * table of the Bus Master IDE Status register): "Active 0, Interrupt 0,
 * Error 0" means the regions were smaller than the device's transfer. The
 * engine stops without an interrupt, and the drive, which never got to
 * the end, raises none either: the driver finds the stall by its timeout.
 * The drive is left idle rather than waiting on DRQ for ever (as QEMU
 * does), so that its next command or a reset recovers it. */
static void dma_prd_short(struct ide_channel *ch)
{
    ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    ch->xfer = IDE_XFER_NONE;
    ch->pending = IDE_PEND_NONE;
    ch->dma = ch->dma_started = false;
    ch->tf.status = ST_DRDY | ST_DSC;
}

static void run_dma(struct ide_channel *ch)
{
    struct ide_controller *c = ch->ctl;
    struct ide_drive *d = cur_drive(ch);
    struct prd_walk w = { 0 };
    if (ch->atapi_data) {
        if (!prd_copy(c, ch, &w, ch->buf, ch->atapi_len, true)) {
            dma_prd_short(ch);
            return;
        }
        while (atapi_stream_left(&d->atapi_state)) {
            int n = atapi_read_more(&d->atapi_state, ch->buf, IDE_BUF_BYTES);
            if (n <= 0) {
                dma_finish(ch, &w, false, (uint8_t)(d->atapi_state.sense_key << 4));
                return;
            }
            if (!prd_copy(c, ch, &w, ch->buf, (uint32_t)n, true)) {
                dma_prd_short(ch);
                return;
            }
        }
        dma_finish(ch, &w, true, 0);
        return;
    }
    bool write = ch->cmd == 0xca || ch->cmd == 0x35;
    while (ch->remaining) {
        uint32_t n = ch->remaining < IDE_BUF_SECTORS ? ch->remaining : IDE_BUF_SECTORS;
        bool ok;
        if (write) {
            ok = prd_copy(c, ch, &w, ch->buf, n * 512, false);
            if (ok && block_write(d->bd, ch->lba * 512, ch->buf, n * 512u) != 0) {
                set_lba(ch, d, ch->lba);
                dma_finish(ch, &w, false, ER_ABRT);
                return;
            }
        } else {
            if (block_read(d->bd, ch->lba * 512, ch->buf, n * 512u) != 0) {
                set_lba(ch, d, ch->lba);
                dma_finish(ch, &w, false, ER_UNC);
                return;
            }
            ok = prd_copy(c, ch, &w, ch->buf, n * 512, true);
        }
        if (!ok) {                            /* the PRD table is too short */
            set_lba(ch, d, ch->lba);
            dma_prd_short(ch);
            return;
        }
        ch->lba += n;
        ch->remaining -= n;
    }
    set_lba(ch, d, ch->lba - 1);
    dma_finish(ch, &w, true, 0);
}

/* ---- the timer ---------------------------------------------------------------------- */

static void ide_timer(void *opaque)
{
    struct ide_channel *ch = opaque;
    enum ide_pending what = ch->pending;
    ch->pending = IDE_PEND_NONE;
    switch (what) {
    case IDE_PEND_NONE:
        break;
    case IDE_PEND_DATA_IN:
        if (ch->atapi_data) {
            atapi_next_chunk(ch);
            break;
        }
        ch->xfer = IDE_XFER_PIO_IN;
        ch->tf.status = ST_DRDY | ST_DSC | ST_DRQ;
        raise_irq(ch);
        break;
    case IDE_PEND_READ:
        pio_read_block(ch);
        break;
    case IDE_PEND_WRITE:
        pio_write_block(ch);
        break;
    case IDE_PEND_DONE:
        if (ch->error_after)
            finish_error(ch, ER_ABRT);
        else
            finish_ok(ch);
        break;
    case IDE_PEND_DMA:
        run_dma(ch);
        break;
    case IDE_PEND_PACKET:
        run_packet(ch);
        break;
    }
}

/* ---- commands ------------------------------------------------------------------------- */

static void done_later(struct ide_channel *ch, bool error)
{
    ch->error_after = error;
    schedule(ch, IDE_PEND_DONE, IDE_CMD_NS);
}

static void data_in_later(struct ide_channel *ch, uint32_t bytes)
{
    ch->pos = 0;
    ch->end = bytes;
    ch->remaining = 0;
    ch->atapi_data = false;
    schedule(ch, IDE_PEND_DATA_IN, IDE_CMD_NS);
}

static void exec_atapi_cmd(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case 0xa0:                                /* PACKET */
        ch->dma = ch->tf.feature & 1;
        ch->dma_started = false;
        ch->atapi_limit = (uint32_t)(ch->tf.lcyl | ch->tf.hcyl << 8);
        if (ch->atapi_limit == 0 || ch->atapi_limit == 0xffff)
            ch->atapi_limit = 0xfffe;
        ch->atapi_limit &= ~1u;
        ch->tf.nsector = IR_COD;
        ch->xfer = IDE_XFER_PIO_OUT;
        ch->pos = 0;
        ch->end = 12;
        ch->tf.status = ST_DRDY | ST_DRQ;     /* DRQ within 50 us: no interrupt */
        break;
    case 0xa1:                                /* IDENTIFY PACKET DEVICE */
        identify_atapi(ch, ch->cur);
        data_in_later(ch, 512);
        break;
    case 0x08:                                /* DEVICE RESET */
        set_signature(ch, ch->cur);
        ch->tf.status = 0;
        break;
    case 0xec:                                /* IDENTIFY DEVICE: abort with the signature */
        set_signature(ch, ch->cur);
        finish_error(ch, ER_ABRT);
        break;
    case 0xef: case 0xe5: case 0x00: case 0xe0: case 0xe1: case 0xe2: case 0xe3:
        if (cmd == 0xe5)
            ch->tf.nsector = 0xff;
        if (cmd == 0xef && ch->tf.feature == 0x03)
            d->xfer_mode = ch->tf.nsector;
        done_later(ch, cmd == 0x00);          /* NOP always aborts */
        break;
    default:
        finish_error(ch, ER_ABRT);
        break;
    }
}

static void exec_cmd(struct ide_channel *ch, uint8_t cmd)
{
    struct ide_drive *d = cur_drive(ch);
    if (!d->present)
        return;                               /* nobody answers */
    if ((ch->tf.status & ST_BSY) && cmd != 0x08)
        return;                               /* ignored while busy */
    ch->cmd = cmd;
    ch->intrq = false;
    update_irq(ch);
    ch->lba48 = false;
    ch->dma = false;
    if (d->atapi) {
        exec_atapi_cmd(ch, d, cmd);
        return;
    }
    switch (cmd) {
    case 0xec:                                /* IDENTIFY DEVICE */
        identify_ata(ch, d, (int)(ch - ch->ctl->ch) * 2 + ch->cur);
        data_in_later(ch, 512);
        break;
    case 0x24: case 0x29: case 0x25:          /* READ SECTORS/MULTIPLE/DMA EXT */
    case 0x34: case 0x39: case 0x35:          /* WRITE SECTORS/MULTIPLE/DMA EXT */
        ch->lba48 = true;
        /* fall through */
    case 0x20: case 0x21: case 0xc4: case 0xc8: case 0xc9:
    case 0x30: case 0x31: case 0xc5: case 0xca: case 0xcb: {
        bool write = cmd == 0x30 || cmd == 0x31 || cmd == 0xc5 || cmd == 0xca ||
                     cmd == 0xcb || cmd == 0x34 || cmd == 0x39 || cmd == 0x35;
        bool dma = cmd == 0xc8 || cmd == 0xc9 || cmd == 0xca || cmd == 0xcb ||
                   cmd == 0x25 || cmd == 0x35;
        bool multiple = cmd == 0xc4 || cmd == 0xc5 || cmd == 0x29 || cmd == 0x39;
        if (multiple && !d->mult) {
            finish_error(ch, ER_ABRT);        /* SET MULTIPLE was not done */
            break;
        }
        if (cmd == 0xc9) ch->cmd = 0xc8;      /* without retries: the same */
        if (cmd == 0xcb) ch->cmd = 0xca;
        start_rw(ch, d, write, dma, multiple ? d->mult : 1);
        break;
    }
    case 0x40: case 0x41: case 0x42: {        /* READ VERIFY SECTORS (EXT) */
        ch->lba48 = cmd == 0x42;
        uint64_t lba;
        uint32_t count = get_count(ch);
        if (!get_lba(ch, d, &lba) || lba >= d->sectors || count > d->sectors - lba) {
            finish_error(ch, ER_IDNF | ER_ABRT);
            break;
        }
        set_lba(ch, d, lba + count - 1);
        done_later(ch, false);
        break;
    }
    case 0xc6:                                /* SET MULTIPLE MODE */
        if (ch->tf.nsector > 16 || (ch->tf.nsector & (ch->tf.nsector - 1))) {
            finish_error(ch, ER_ABRT);
            break;
        }
        d->mult = ch->tf.nsector;
        done_later(ch, false);
        break;
    case 0xe7: case 0xea:                     /* FLUSH CACHE (EXT) */
        done_later(ch, block_flush(d->bd) != 0);
        break;
    case 0xef:                                /* SET FEATURES */
        switch (ch->tf.feature) {
        case 0x03:                            /* transfer mode */
            d->xfer_mode = ch->tf.nsector;
            done_later(ch, false);
            break;
        case 0x02: case 0x82:                 /* write cache on/off */
            d->write_cache = ch->tf.feature == 0x02;
            done_later(ch, false);
            break;
        case 0x66: case 0xcc:                 /* disable/enable reverting to defaults */
            d->keep_mult_on_srst = ch->tf.feature == 0x66;
            done_later(ch, false);
            break;
        case 0xaa: case 0x55: case 0x05: case 0x85:
            done_later(ch, false);            /* look-ahead, APM: accepted */
            break;
        default:
            finish_error(ch, ER_ABRT);
            break;
        }
        break;
    case 0x91:                                /* INITIALIZE DEVICE PARAMETERS */
        if (ch->tf.nsector && ch->tf.nsector <= 63) {
            d->spt = ch->tf.nsector;
            d->heads = (uint16_t)((ch->tf.select & 0x0f) + 1);
        }
        done_later(ch, false);
        break;
    case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: case 0x15: case 0x16: case 0x17:
    case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
    case 0x70:                                /* RECALIBRATE, SEEK */
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe6:   /* power management */
        done_later(ch, false);
        break;
    case 0xe5:                                /* CHECK POWER MODE: active */
        ch->tf.nsector = 0xff;
        done_later(ch, false);
        break;
    case 0xf8: case 0x27: {                   /* READ NATIVE MAX ADDRESS (EXT) */
        ch->lba48 = cmd == 0x27;
        if (!ch->lba48)
            ch->tf.select |= 0x40;
        set_lba(ch, d, d->sectors - 1);
        done_later(ch, false);
        break;
    }
    case 0x90:                                /* EXECUTE DEVICE DIAGNOSTIC */
        set_signature(ch, ch->cur);
        ch->tf.status = ST_DRDY | ST_DSC;
        raise_irq(ch);
        break;
    default:                                  /* SMART, security, ...: not here */
        finish_error(ch, ER_ABRT);
        break;
    }
}

/* ---- ports ---------------------------------------------------------------------------- */

static uint16_t data_read16(struct ide_channel *ch)
{
    if (ch->xfer != IDE_XFER_PIO_IN || ch->pos + 2 > ch->end)
        return 0xffff;
    uint16_t v = (uint16_t)(ch->buf[ch->pos] | ch->buf[ch->pos + 1] << 8);
    ch->pos += 2;
    if (ch->pos >= ch->end)
        pio_block_done(ch);
    return v;
}

static void data_write16(struct ide_channel *ch, uint16_t v)
{
    if (ch->xfer != IDE_XFER_PIO_OUT || ch->pos + 2 > ch->end)
        return;
    ch->buf[ch->pos] = (uint8_t)v;
    ch->buf[ch->pos + 1] = (uint8_t)(v >> 8);
    ch->pos += 2;
    if (ch->pos >= ch->end)
        pio_block_done(ch);
}

static uint8_t status_of(struct ide_channel *ch)
{
    if (!cur_drive(ch)->present)
        return 0;
    return ch->tf.status;
}

static uint32_t cmd_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide_channel *ch = opaque;
    unsigned reg = port & 7;
    if (reg == 0) {
        uint32_t v = data_read16(ch);
        if (size == 4)
            v |= (uint32_t)data_read16(ch) << 16;
        return v;
    }
    if (channel_empty(ch))
        return 0;
    bool hob = ch->control & CTL_HOB;
    struct ide_taskfile *t = &ch->tf;
    switch (reg) {
    case 1: return cur_drive(ch)->present ? t->error : 0;
    case 2: return hob ? t->hob_nsector : t->nsector;
    case 3: return hob ? t->hob_sector : t->sector;
    case 4: return hob ? t->hob_lcyl : t->lcyl;
    case 5: return hob ? t->hob_hcyl : t->hcyl;
    case 6: return t->select;
    default:
        ch->intrq = false;                    /* reading status acknowledges INTRQ */
        update_irq(ch);
        return status_of(ch);
    }
}

static void cmd_write(void *opaque, uint16_t port, uint32_t v, unsigned size)
{
    struct ide_channel *ch = opaque;
    unsigned reg = port & 7;
    struct ide_taskfile *t = &ch->tf;
    if (reg == 0) {
        data_write16(ch, (uint16_t)v);
        if (size == 4)
            data_write16(ch, (uint16_t)(v >> 16));
        return;
    }
    uint8_t b = (uint8_t)v;
    if (reg != 7)
        ch->control &= (uint8_t)~CTL_HOB;     /* a register write clears HOB */
    switch (reg) {
    case 1: t->hob_feature = t->feature; t->feature = b; break;
    case 2: t->hob_nsector = t->nsector; t->nsector = b; break;
    case 3: t->hob_sector = t->sector; t->sector = b; break;
    case 4: t->hob_lcyl = t->lcyl; t->lcyl = b; break;
    case 5: t->hob_hcyl = t->hcyl; t->hcyl = b; break;
    case 6:
        t->select = b | 0xa0;
        ch->cur = (b >> 4) & 1;
        break;
    default:
        exec_cmd(ch, b);
        break;
    }
}

static uint32_t ctl_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide_channel *ch = opaque;
    if (channel_empty(ch))
        return 0;
    return status_of(ch);                     /* alternate status: no acknowledge */
}

static void ctl_write(void *opaque, uint16_t port, uint32_t v, unsigned size)
{
    struct ide_channel *ch = opaque;
    uint8_t old = ch->control;
    ch->control = (uint8_t)v;
    if ((v & CTL_SRST) && !(old & CTL_SRST)) {
        channel_reset(ch);
        ch->tf.status = ST_BSY;
    } else if (!(v & CTL_SRST) && (old & CTL_SRST)) {
        channel_reset(ch);                    /* signature, ready */
    }
    update_irq(ch);
}

/* Bus-master registers: channel n at BAR4 + 8n. */
static uint32_t bm_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide_controller *c = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = (unsigned)(port - c->bm_base) + i;
        struct ide_channel *ch = &c->ch[(off >> 3) & 1];
        uint8_t b;
        switch (off & 7) {
        case 0: b = ch->bm_cmd; break;
        case 2: b = ch->bm_status; break;
        case 4: case 5: case 6: case 7: b = (uint8_t)(ch->bm_prdt >> (8 * ((off & 7) - 4))); break;
        default: b = 0; break;
        }
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void bm_write_byte(struct ide_controller *c, unsigned off, uint8_t b)
{
    struct ide_channel *ch = &c->ch[(off >> 3) & 1];
    switch (off & 7) {
    case 0: {
        bool was = ch->bm_cmd & BM_CMD_START;
        ch->bm_cmd = b & (BM_CMD_START | BM_CMD_READ);
        if ((b & BM_CMD_START) && !was) {
            ch->bm_status |= BM_ST_ACTIVE;
            if (ch->dma && !ch->dma_started && !(ch->tf.status & ST_BSY)) {
                ch->dma_started = true;
                struct ide_drive *d = cur_drive(ch);
                uint64_t bytes = ch->atapi_data
                    ? ch->atapi_len + atapi_stream_left(&d->atapi_state)
                    : (uint64_t)ch->remaining * 512;
                schedule(ch, IDE_PEND_DMA, IDE_CMD_NS + IDE_SECTOR_NS * (bytes / 512));
            }
        } else if (!(b & BM_CMD_START) && was) {
            ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
            if (ch->dma && ch->dma_started && ch->pending == IDE_PEND_DMA) {
                /* stopped mid-transfer: the command is abandoned */
                vclock_timer_disarm(c->clock, ch->timer);
                finish_error(ch, ER_ABRT);
            }
        }
        break;
    }
    case 2:
        ch->bm_status = (uint8_t)((ch->bm_status & ~(BM_ST_CAP)) | (b & BM_ST_CAP));
        ch->bm_status &= (uint8_t)~(b & (BM_ST_INTR | BM_ST_ERROR));   /* write 1 to clear */
        break;
    case 4: case 5: case 6: case 7: {
        unsigned sh = 8 * ((off & 7) - 4);
        ch->bm_prdt = (ch->bm_prdt & ~(0xffu << sh)) | ((uint32_t)b << sh);
        ch->bm_prdt &= ~3u;
        break;
    }
    default:
        break;
    }
}

static void bm_write(void *opaque, uint16_t port, uint32_t v, unsigned size)
{
    struct ide_controller *c = opaque;
    for (unsigned i = 0; i < size; i++)
        bm_write_byte(c, (unsigned)(port - c->bm_base) + i, (uint8_t)(v >> (8 * i)));
}

static void remap_bm(struct ide_controller *c)
{
    uint32_t a = pci_bar_address(&c->pci, 4);
    uint16_t base = a == PCI_BAR_UNMAPPED || a > 0xfff0 ? 0 : (uint16_t)a;
    if (base == c->bm_base)
        return;
    if (c->bm_base)
        io_unregister(c->io, c->bm_base, 16);
    c->bm_base = 0;
    if (base && io_register(c->io, base, 16, bm_read, bm_write, c) == 0)
        c->bm_base = base;
}

static void ide_pci_write(void *opaque, unsigned offset, unsigned size)
{
    struct ide_controller *c = opaque;
    if (offset < PCI_BAR0 + 20 + 4 && offset + size > PCI_COMMAND)
        remap_bm(c);
}

/* ---- setup ------------------------------------------------------------------------------ */

int ide_init(struct ide_controller *c, struct pci_bus *bus, struct io_bus *io,
             struct phys_mem *mem, struct vclock *clock)
{
    memset(c, 0, sizeof(*c));
    c->io = io;
    c->mem = mem;
    c->clock = clock;
    /* class 01 (mass storage), 01 (IDE), prog-if 80: bus master, legacy ports */
    pci_function_init(&c->pci, 0x8086, 0x7010, 0x010180, 0x00);
    pci_set_bar(&c->pci, 4, 16, PCI_BAR_IO);
    for (int i = 0x40; i < 0x45; i++)          /* IDETIM, SIDETIM */
        c->pci.wmask[i] = 0xff;
    c->pci.write_hook = ide_pci_write;
    c->pci.opaque = c;
    for (int n = 0; n < 2; n++) {
        struct ide_channel *ch = &c->ch[n];
        ch->ctl = c;
        ch->irq = n ? 15 : 14;
        ch->buf = calloc(1, IDE_BUF_BYTES);
        ch->timer = vclock_timer_new(clock, ide_timer, ch);
        if (!ch->buf || ch->timer < 0)
            return -1;
        if (io_register(io, cmd_base[n], 8, cmd_read, cmd_write, ch) ||
            io_register(io, ctl_port[n], 1, ctl_read, ctl_write, ch))
            return -1;
    }
    if (pci_register(bus, &c->pci, PCI_DEVFN(1, 1)))
        return -1;
    ide_reset(c);
    return 0;
}

int ide_attach(struct ide_controller *c, int index, struct block_dev *bd, bool cdrom)
{
    if (index < 0 || index > 3 || (!bd && !cdrom))
        return -1;
    struct ide_channel *ch = &c->ch[index / 2];
    struct ide_drive *d = &ch->drive[index & 1];
    if (d->present)
        return -1;
    memset(d, 0, sizeof(*d));
    d->present = true;
    d->atapi = cdrom;
    d->bd = bd;
    d->write_cache = true;
    if (cdrom) {
        atapi_init(&d->atapi_state, bd);
    } else {
        d->sectors = block_size(bd) / 512;
        /* The usual translated geometry: 16 heads, 63 sectors a track. */
        uint64_t cyl = d->sectors / (16 * 63);
        d->cyls = (uint16_t)(cyl > 16383 ? 16383 : cyl ? cyl : 1);
        d->heads = 16;
        d->spt = 63;
    }
    channel_reset(ch);
    return 0;
}

int ide_change_media(struct ide_controller *c, int index, struct block_dev *bd)
{
    if (index < 0 || index > 3)
        return -1;
    struct ide_drive *d = &c->ch[index / 2].drive[index & 1];
    if (!d->present || !d->atapi)
        return -1;
    block_close(d->bd);
    d->bd = bd;
    atapi_change_media(&d->atapi_state, bd);
    return 0;
}

void ide_reset(struct ide_controller *c)
{
    for (int n = 0; n < 2; n++) {
        struct ide_channel *ch = &c->ch[n];
        ch->control = 0;
        ch->intrq = false;
        ch->bm_cmd = 0;
        ch->bm_status = 0;
        ch->bm_prdt = 0;
        channel_reset(ch);
        for (int i = 0; i < 2; i++) {
            ch->drive[i].xfer_mode = 0;
            ch->drive[i].write_cache = true;
            ch->drive[i].keep_mult_on_srst = false;
            ch->drive[i].mult = IDE_DEFAULT_MULT;
        }
        update_irq(ch);
    }
    c->pci.config[0x40] = c->pci.config[0x41] = 0;
    c->pci.config[0x42] = c->pci.config[0x43] = 0;
}

void ide_destroy(struct ide_controller *c)
{
    for (int n = 0; n < 2; n++) {
        for (int i = 0; i < 2; i++) {
            block_close(c->ch[n].drive[i].bd);
            c->ch[n].drive[i].bd = NULL;
        }
        free(c->ch[n].buf);
        c->ch[n].buf = NULL;
    }
}

/* --- saved state (devices/vmstate.h) --- */

#define D struct ide_drive
static const struct vms_field ide_drive_fields[] = {
    VMS_W(D, bd), VMS_C(D, present), VMS_C(D, atapi), VMS_C(D, sectors), VMS_C(D, cyls),
    VMS_C(D, heads), VMS_C(D, spt), VMS(D, mult), VMS(D, xfer_mode), VMS(D, write_cache),
    VMS_V(D, keep_mult_on_srst, 2), VMS_S(D, atapi_state, atapi_vmstate),
};
#undef D
static const struct vms_desc ide_drive_vmstate = {
    VMS_DESC(struct ide_drive, "ide_drive", 2, ide_drive_fields)
};
#define T struct ide_taskfile
static const struct vms_field ide_taskfile_fields[] = {
    VMS(T, feature), VMS(T, nsector), VMS(T, sector), VMS(T, lcyl), VMS(T, hcyl),
    VMS(T, hob_feature), VMS(T, hob_nsector), VMS(T, hob_sector), VMS(T, hob_lcyl),
    VMS(T, hob_hcyl), VMS(T, select), VMS(T, status), VMS(T, error),
};
#undef T
static const struct vms_desc ide_taskfile_vmstate = {
    VMS_DESC(struct ide_taskfile, "ide_taskfile", 1, ide_taskfile_fields)
};
/* The PIO pointers index buf: keep them inside it. */
static void ide_channel_post_load(void *obj)
{
    struct ide_channel *ch = obj;
    ch->cur &= 1;
    if (ch->end > IDE_BUF_BYTES)
        ch->end = IDE_BUF_BYTES;
    if (ch->pos > ch->end)
        ch->pos = ch->end;
    if (ch->atapi_len > IDE_BUF_BYTES)
        ch->atapi_len = IDE_BUF_BYTES;
}
/* A command in flight is its fields, its data in buf, and the channel
 * timer's deadline (saved with the clock). */
#define C struct ide_channel
static const struct vms_field ide_channel_fields[] = {
    VMS_W(C, ctl), VMS_SA(C, drive, ide_drive_vmstate), VMS_S(C, tf, ide_taskfile_vmstate),
    VMS(C, cur), VMS(C, control), VMS_C(C, irq), VMS(C, intrq), VMS(C, cmd), VMS(C, xfer),
    VMS(C, lba48), VMS(C, pending), VMS(C, error_after), VMS(C, dma), VMS(C, atapi_data),
    VMS(C, atapi_limit), VMS(C, atapi_len), VMS(C, dma_started), VMS(C, lba), VMS(C, remaining),
    VMS(C, block), VMS(C, pos), VMS(C, end), VMS_PB(C, buf, IDE_BUF_BYTES), VMS_W(C, timer),
    VMS(C, when_ns), VMS(C, bm_cmd), VMS(C, bm_status), VMS(C, bm_prdt),
};
#undef C
static const struct vms_desc ide_channel_vmstate = {
    VMS_DESC(struct ide_channel, "ide_channel", 1, ide_channel_fields),
    .post_load = ide_channel_post_load,
};
/* The bus-master block's ports follow BAR4 in the loaded config. */
static void ide_pre_load(void *obj)
{
    struct ide_controller *c = obj;
    if (c->io && c->bm_base)
        io_unregister(c->io, c->bm_base, 16);
    c->bm_base = 0;
}
static void ide_post_load(void *obj)
{
    struct ide_controller *c = obj;
    if (c->io)
        remap_bm(c);
}
#define K struct ide_controller
static const struct vms_field ide_controller_fields[] = {
    VMS_S(K, pci, pci_function_vmstate), VMS_SA(K, ch, ide_channel_vmstate), VMS_W(K, io),
    VMS_W(K, mem), VMS_W(K, clock), VMS_W(K, bm_base),
};
#undef K
const struct vms_desc ide_controller_vmstate = {
    VMS_DESC(struct ide_controller, "ide", 1, ide_controller_fields),
    .pre_load = ide_pre_load, .post_load = ide_post_load,
};
