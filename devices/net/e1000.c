/*
 * e1000.c - Intel 82540EM.  See e1000.h (8254x SDM section numbers below).
 */
#include "devices/net/e1000.h"
#include "devices/vmstate.h"

#include <string.h>
#include "memory/memory.h"

/* Registers (13.4), byte offsets into BAR 0. */
enum {
    CTRL = 0x0000, STATUS = 0x0008, EECD = 0x0010, EERD = 0x0014, CTRL_EXT = 0x0018,
    MDIC = 0x0020, ICR = 0x00c0, ITR = 0x00c4, ICS = 0x00c8, IMS = 0x00d0, IMC = 0x00d8,
    RCTL = 0x0100, TCTL = 0x0400, PBA = 0x1000,
    RDBAL = 0x2800, RDBAH = 0x2804, RDLEN = 0x2808, RDH = 0x2810, RDT = 0x2818,
    TDBAL = 0x3800, TDBAH = 0x3804, TDLEN = 0x3808, TDH = 0x3810, TDT = 0x3818,
    STATS_FIRST = 0x4000, STATS_LAST = 0x40fc,
    MTA = 0x5200, RAL0 = 0x5400, RAH0 = 0x5404,
};

#define CTRL_RST      (1u << 26)
#define CTRL_PHY_RST  (1u << 31)
#define STATUS_FD     0x01
#define STATUS_LU     0x02
#define STATUS_1000   0x80

#define EECD_SK   0x01
#define EECD_CS   0x02
#define EECD_DI   0x04
#define EECD_DO   0x08
#define EECD_REQ  0x40
#define EECD_GNT  0x80
#define EECD_PRES 0x100

#define EERD_START 0x01
#define EERD_DONE  0x10

#define MDIC_OP_WRITE (1u << 26)
#define MDIC_OP_READ  (2u << 26)
#define MDIC_READY    (1u << 28)
#define MDIC_ERROR    (1u << 30)

#define ICR_TXDW   0x0001
#define ICR_TXQE   0x0002
#define ICR_LSC    0x0004
#define ICR_RXDMT0 0x0010
#define ICR_RXO    0x0040
#define ICR_RXT0   0x0080

#define RCTL_EN    (1u << 1)
#define RCTL_UPE   (1u << 3)
#define RCTL_MPE   (1u << 4)
#define RCTL_LPE   (1u << 5)
#define RCTL_BAM   (1u << 15)
#define RCTL_BSEX  (1u << 25)
#define RCTL_SECRC (1u << 26)
#define TCTL_EN    (1u << 1)

/* Transmit descriptor command bits (3.3.3, 3.3.7). */
#define TXD_EOP  0x01
#define TXD_IFCS 0x02
#define TXD_IC   0x04       /* legacy: insert checksum */
#define TXD_TSE  0x04       /* data: TCP segmentation */
#define TXD_RS   0x08
#define TXD_DEXT 0x20
#define TXD_DD   0x01       /* status */
#define POPTS_IXSM 0x01
#define POPTS_TXSM 0x02
#define TUCMD_TCP 0x01
#define TUCMD_IP  0x02

#define RXD_DD   0x01
#define RXD_EOP  0x02
#define RXD_IXSM 0x04       /* ignore checksum indication */

#define PHY_M88E1011_ID1 0x0141
#define PHY_M88E1011_ID2 0x0c20

static inline uint32_t reg(const struct e1000 *e, unsigned off) { return e->regs[off >> 2]; }
static inline void set_reg(struct e1000 *e, unsigned off, uint32_t v) { e->regs[off >> 2] = v; }

static void update_irq(struct e1000 *e)
{
    pci_set_irq(&e->pci, (reg(e, ICR) & reg(e, IMS)) != 0);
}

static void raise_icr(struct e1000 *e, uint32_t bits)
{
    set_reg(e, ICR, reg(e, ICR) | bits);
    update_irq(e);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* Big-endian helpers for the packet headers. */
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* ---- EEPROM and PHY --------------------------------------------------------------- */

/* The 64-word EEPROM (5.6): MAC in words 0-2, PCI ids, and the checksum word
 * 0x3F making the sum 0xBABA (5.6.1). */
static void build_eeprom(struct e1000 *e, const uint8_t mac[6])
{
    uint16_t *w = e->eeprom;
    memset(w, 0, sizeof(e->eeprom));
    for (int i = 0; i < 3; i++)
        w[i] = (uint16_t)(mac[2 * i] | mac[2 * i + 1] << 8);
    w[0x0a] = 0x4000 | 0x0002;       /* init control 1: valid signature (01b in 15:14), load subsystem ids */
    w[0x0b] = 0x001e;                /* subsystem id */
    w[0x0c] = 0x8086;                /* subsystem vendor */
    w[0x0d] = 0x100e;                /* device id */
    w[0x0e] = 0x8086;                /* vendor */
    w[0x0f] = 0x3000;                /* init control 2: symmetric and asymmetric pause */
    uint16_t sum = 0;
    for (int i = 0; i < 0x3f; i++)
        sum = (uint16_t)(sum + w[i]);
    w[0x3f] = (uint16_t)(0xbaba - sum);
}

static void phy_reset(struct e1000 *e)
{
    memset(e->phy, 0, sizeof(e->phy));
    e->phy[0x00] = 0x1140;           /* control: autonegotiation on, full duplex, 1000 Mb/s */
    e->phy[0x01] = 0x796d;           /* status: link up, autonegotiation complete, abilities */
    e->phy[0x02] = PHY_M88E1011_ID1;
    e->phy[0x03] = PHY_M88E1011_ID2;
    e->phy[0x04] = 0x0de1;           /* our advertisement: 10/100 half/full, pause */
    e->phy[0x05] = 0x45e1;           /* link partner: the same, acknowledged */
    e->phy[0x06] = 0x0001;
    e->phy[0x09] = 0x0300;           /* 1000BASE-T control: advertise full and half */
    e->phy[0x0a] = 0x3c00;           /* 1000BASE-T status: partner full/half, local/remote OK */
    e->phy[0x0f] = 0x3000;           /* extended status: 1000BASE-T full/half */
    e->phy[0x10] = 0x0068;           /* M88 PHY specific control */
    e->phy[0x11] = 0xbc00;           /* M88 specific status: 1000, full duplex, resolved, link */
}

static void mdic_write(struct e1000 *e, uint32_t v)
{
    unsigned phyaddr = (v >> 21) & 0x1f, regno = (v >> 16) & 0x1f;
    uint32_t out = v & ~(MDIC_READY | MDIC_ERROR);
    if (phyaddr != 1) {
        out |= MDIC_ERROR;           /* nothing answers at that address */
    } else if ((v & (3u << 26)) == MDIC_OP_READ) {
        out = (out & ~0xffffu) | e->phy[regno];
    } else if ((v & (3u << 26)) == MDIC_OP_WRITE) {
        uint16_t d = (uint16_t)v;
        if (regno == 0x00) {
            if (d & 0x8000)          /* reset: back to defaults */
                d = 0x1140;
            d &= ~0x0200;            /* restart autonegotiation completes at once */
        }
        if (regno != 0x01 && regno != 0x02 && regno != 0x03 && regno != 0x11)
            e->phy[regno] = d;       /* status and id registers are read-only */
    }
    set_reg(e, MDIC, out | MDIC_READY);
}

static void eecd_write(struct e1000 *e, uint32_t v)
{
    uint32_t old = reg(e, EECD);
    uint32_t keep = v & (EECD_SK | EECD_CS | EECD_DI | EECD_REQ);
    if (!(v & EECD_CS)) {            /* deselected: the next command starts afresh */
        e->ee.count_in = 0;
        e->ee.bits_in = 0;
        e->ee.reading = false;
    } else if ((v & EECD_SK) && !(old & EECD_SK)) {   /* rising clock edge */
        if (e->ee.reading) {
            if (e->ee.bit_out > 0)
                e->ee.bit_out--;
        } else {
            e->ee.bits_in = (e->ee.bits_in << 1) | ((v & EECD_DI) ? 1 : 0);
            /* Microwire READ: start bit 1, opcode 10, then 6 address bits. */
            if (++e->ee.count_in == 9) {
                if ((e->ee.bits_in >> 6) == 0x6) {
                    e->ee.reading = true;
                    e->ee.word = e->eeprom[e->ee.bits_in & 0x3f];
                    e->ee.bit_out = 16;
                }
                e->ee.count_in = 0;
                e->ee.bits_in = 0;
            }
        }
    }
    uint32_t out = keep | EECD_PRES | ((v & EECD_REQ) ? EECD_GNT : 0);
    if (e->ee.reading && e->ee.bit_out < 16 && ((e->ee.word >> e->ee.bit_out) & 1))
        out |= EECD_DO;
    set_reg(e, EECD, out);
}

/* ---- transmit (3.3) --------------------------------------------------------------- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Insert a checksum: the ones'-complement sum of [css, cse] (cse 0: to the
 * end), complemented, at cso. The field's old value (e.g. a pseudo-header
 * sum the driver put there) takes part in the sum. */
static void insert_csum(uint8_t *p, uint32_t len, unsigned css, unsigned cso, unsigned cse)
{
    uint32_t end = cse ? cse + 1u : len;
    if (end > len)
        end = len;
    if (css >= end || cso + 2 > len)
        return;
    uint16_t sum = csum_fold(csum_add(0, p + css, end - css));
    put_be16(p + cso, (uint16_t)~sum);
}

static void tx_frame(struct e1000 *e, uint8_t *p, uint32_t len, uint8_t popts)
{
    const struct e1000_tx_context *c = &e->ctx;
    if (popts & POPTS_IXSM)
        insert_csum(p, len, c->ipcss, c->ipcso, c->ipcse);
    if (popts & POPTS_TXSM)
        insert_csum(p, len, c->tucss, c->tucso, c->tucse);
    net_port_send(&e->port, p, len);
}

/* TCP segmentation (3.5): split the gathered packet into header + MSS-sized
 * pieces, fixing the IP length and id, the TCP sequence number and flags, and
 * the pseudo-header length before the checksums go in. */
static void tx_segment(struct e1000 *e)
{
    const struct e1000_tx_context *c = &e->ctx;
    uint32_t hdr = c->hdrlen, mss = c->mss;
    if (hdr > e->tx_len || mss == 0 || hdr + 20u > 256 || c->tucss + 14u > hdr ||
        c->tucso + 2u > hdr || c->ipcss + 20u > hdr) {
        return;                              /* a context that cannot describe it: dropped */
    }
    uint8_t seg[256 + 0x10000];
    uint32_t payload = e->tx_len - hdr;
    uint16_t ip_id = be16(e->tx_buf + c->ipcss + 4);
    uint32_t seq = (uint32_t)be16(e->tx_buf + c->tucss + 4) << 16 | be16(e->tx_buf + c->tucss + 6);
    uint16_t phsum = be16(e->tx_buf + c->tucso);
    for (uint32_t off = 0, n = 0; off < payload || (payload == 0 && n == 0); n++) {
        uint32_t chunk = payload - off < mss ? payload - off : mss;
        bool last = off + chunk >= payload;
        memcpy(seg, e->tx_buf, hdr);
        memcpy(seg + hdr, e->tx_buf + hdr + off, chunk);
        uint32_t len = hdr + chunk;
        if (c->tucmd & TUCMD_IP) {           /* IPv4: total length, identification */
            put_be16(seg + c->ipcss + 2, (uint16_t)(len - c->ipcss));
            put_be16(seg + c->ipcss + 4, (uint16_t)(ip_id + n));
        } else {                             /* IPv6: payload length */
            put_be16(seg + c->ipcss + 4, (uint16_t)(len - c->ipcss - 40));
        }
        uint32_t l4len = len - c->tucss;
        if (c->tucmd & TUCMD_TCP) {
            uint32_t s = seq + off;
            put_be16(seg + c->tucss + 4, (uint16_t)(s >> 16));
            put_be16(seg + c->tucss + 6, (uint16_t)s);
            if (!last)
                seg[c->tucss + 13] &= (uint8_t)~0x09;   /* FIN and PSH only on the last */
        } else {
            put_be16(seg + c->tucss + 4, (uint16_t)l4len);   /* UDP length */
        }
        put_be16(seg + c->tucso, csum_fold((uint32_t)phsum + l4len));
        tx_frame(e, seg, len, e->tx_popts);
        off += chunk;
        if (payload == 0)
            break;
    }
}

static void tx_ring_process(struct e1000 *e)
{
    if (!(reg(e, TCTL) & TCTL_EN))
        return;
    uint32_t size = reg(e, TDLEN) / 16;
    if (size == 0 || (reg(e, TDLEN) & 0x7f))
        return;                              /* not a valid ring: the engine stays idle */
    uint64_t base = (uint64_t)reg(e, TDBAH) << 32 | (reg(e, TDBAL) & ~0xfu);
    uint32_t head = reg(e, TDH), tail = reg(e, TDT);
    if (head >= size || tail >= size)
        return;
    bool wrote_back = false;
    for (uint32_t n = 0; head != tail && n < size; n++) {
        uint8_t d[16];
        uint64_t addr = base + (uint64_t)head * 16;
        dma_read(e->mem, addr, d, 16);
        uint32_t cmdlen = get32(d + 8);
        uint8_t cmd = (uint8_t)(cmdlen >> 24);
        bool ext = cmd & TXD_DEXT;
        unsigned dtyp = (cmdlen >> 20) & 0xf;
        if (ext && dtyp == 0) {              /* context descriptor (3.3.6) */
            e->ctx.ipcss = d[0];
            e->ctx.ipcso = d[1];
            e->ctx.ipcse = get16(d + 2);
            e->ctx.tucss = d[4];
            e->ctx.tucso = d[5];
            e->ctx.tucse = get16(d + 6);
            e->ctx.paylen = cmdlen & 0xfffff;
            e->ctx.tucmd = cmd;
            e->ctx.hdrlen = d[13];
            e->ctx.mss = get16(d + 14);
        } else {
            uint64_t buf = get64(d);
            uint32_t len = ext ? (cmdlen & 0xfffff) : (cmdlen & 0xffff);
            if (!e->tx_started) {
                e->tx_started = true;
                e->tx_popts = ext ? d[13] : 0;
                e->tx_tse = ext && (cmd & TXD_TSE);
                e->tx_len = 0;
                e->tx_overflow = false;
            }
            if (len > E1000_MAX_PACKET - e->tx_len) {
                e->tx_overflow = true;      /* longer than any real frame: dropped at EOP */
            } else if (len) {
                dma_read(e->mem, buf, e->tx_buf + e->tx_len, len);
                e->tx_len += len;
            }
            if (cmd & TXD_EOP) {
                if (!e->tx_overflow && e->tx_len) {
                    if (e->tx_tse) {
                        tx_segment(e);
                    } else if (e->tx_len <= 16384) {
                        if (!ext && (cmd & TXD_IC))     /* legacy checksum: CSO/CSS */
                            insert_csum(e->tx_buf, e->tx_len, d[13], d[10], 0);
                        tx_frame(e, e->tx_buf, e->tx_len, ext ? e->tx_popts : 0);
                    }
                }
                e->tx_started = false;
            }
        }
        if (cmd & TXD_RS) {                  /* report status: DD in the status byte */
            uint8_t st = TXD_DD;
            dma_write(e->mem, addr + 12, &st, 1);
            wrote_back = true;
        }
        head = head + 1 == size ? 0 : head + 1;
    }
    set_reg(e, TDH, head);
    raise_icr(e, (wrote_back ? ICR_TXDW : 0) | (head == tail ? ICR_TXQE : 0));
}

/* ---- receive (3.2) ---------------------------------------------------------------- */

static uint32_t rx_buffer_size(const struct e1000 *e)
{
    uint32_t rctl = reg(e, RCTL);
    unsigned bsize = (rctl >> 16) & 3;
    if (rctl & RCTL_BSEX)
        return bsize == 1 ? 16384 : bsize == 2 ? 8192 : bsize == 3 ? 4096 : 2048;
    return 2048u >> bsize;
}

static bool rx_ring(const struct e1000 *e, uint32_t *size, uint32_t *head, uint32_t *tail)
{
    *size = reg(e, RDLEN) / 16;
    *head = reg(e, RDH);
    *tail = reg(e, RDT);
    return *size && !(reg(e, RDLEN) & 0x7f) && *head < *size && *tail < *size;
}

static bool e1000_can_receive(void *opaque)
{
    struct e1000 *e = opaque;
    uint32_t size, head, tail;
    if (!(reg(e, RCTL) & RCTL_EN) || !rx_ring(e, &size, &head, &tail))
        return true;                          /* not receiving: frames are dropped */
    /* Free descriptors: head up to (not including) tail. Enough for a full frame. */
    uint32_t free_desc = tail >= head ? tail - head : size - head + tail;
    return free_desc * rx_buffer_size(e) >= 1522 + 4;
}

static bool rx_accept(const struct e1000 *e, const uint8_t *dst)
{
    uint32_t rctl = reg(e, RCTL);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (!memcmp(dst, bcast, 6))
        return (rctl & RCTL_BAM) || (rctl & RCTL_MPE);
    if (dst[0] & 1) {
        if (rctl & RCTL_MPE)
            return true;
    } else if (rctl & RCTL_UPE) {
        return true;
    }
    for (int i = 0; i < 16; i++) {           /* exact filters RAL/RAH (13.4.x) */
        uint32_t hi = reg(e, RAH0 + 8 * i);
        if (!(hi & 0x80000000u))
            continue;
        uint32_t lo = reg(e, RAL0 + 8 * i);
        uint8_t a[6] = { (uint8_t)lo, (uint8_t)(lo >> 8), (uint8_t)(lo >> 16),
                         (uint8_t)(lo >> 24), (uint8_t)hi, (uint8_t)(hi >> 8) };
        if (!memcmp(a, dst, 6))
            return true;
    }
    if (dst[0] & 1) {                        /* multicast table: 12 bits chosen by RCTL.MO */
        static const unsigned shift[4] = { 4, 3, 2, 0 };
        unsigned mo = (rctl >> 12) & 3;
        uint32_t v = (uint32_t)dst[4] | (uint32_t)dst[5] << 8;
        uint32_t hash = (v >> shift[mo]) & 0xfff;
        return (reg(e, MTA + 4 * (hash >> 5)) >> (hash & 31)) & 1;
    }
    return false;
}

static void e1000_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct e1000 *e = opaque;
    uint32_t size, head, tail;
    if (!(reg(e, RCTL) & RCTL_EN) || len < 14 || len > 16384)
        return;
    if (!rx_ring(e, &size, &head, &tail))
        return;
    if (!rx_accept(e, frame))
        return;
    if (len > 1522 && !(reg(e, RCTL) & RCTL_LPE))
        return;                               /* long packets not enabled */
    uint8_t buf[16384 + 64];
    size_t n = len < 60 ? 60 : len;           /* pad runts; the FCS follows unless stripped */
    memcpy(buf, frame, len);
    memset(buf + len, 0, n - len);
    if (!(reg(e, RCTL) & RCTL_SECRC)) {
        uint32_t fcs = ~net_crc32_le(buf, n);
        for (int i = 0; i < 4; i++)
            buf[n + i] = (uint8_t)(fcs >> (8 * i));
        n += 4;
    }
    uint64_t base = (uint64_t)reg(e, RDBAH) << 32 | (reg(e, RDBAL) & ~0xfu);
    uint32_t bsize = rx_buffer_size(e);
    size_t done = 0;
    while (done < n) {
        if (head == tail) {                   /* out of descriptors mid-frame */
            raise_icr(e, ICR_RXO);
            break;
        }
        uint8_t d[16];
        uint64_t addr = base + (uint64_t)head * 16;
        dma_read(e->mem, addr, d, 16);
        size_t chunk = n - done < bsize ? n - done : bsize;
        dma_write(e->mem, get64(d), buf + done, chunk);
        done += chunk;
        put16(d + 8, (uint16_t)chunk);
        put16(d + 10, 0);
        d[12] = RXD_DD | RXD_IXSM | (done == n ? RXD_EOP : 0);
        d[13] = 0;
        put16(d + 14, 0);
        dma_write(e->mem, addr + 8, d + 8, 8);
        head = head + 1 == size ? 0 : head + 1;
    }
    set_reg(e, RDH, head);
    uint32_t free_desc = tail >= head ? tail - head : size - head + tail;
    unsigned rdmts = (reg(e, RCTL) >> 8) & 3;        /* threshold: 1/2, 1/4, 1/8 of the ring */
    raise_icr(e, ICR_RXT0 | (free_desc <= (size >> (rdmts + 1)) ? ICR_RXDMT0 : 0));
}

/* ---- register access -------------------------------------------------------------- */

static uint32_t reg_read(struct e1000 *e, unsigned off)
{
    off &= E1000_MMIO_SIZE - 4;
    switch (off) {
    case ICR: {
        uint32_t v = reg(e, ICR);            /* read to clear (13.4.17) */
        set_reg(e, ICR, 0);
        update_irq(e);
        return v;
    }
    case ICS: case IMC:
        return 0;                            /* write-only */
    default:
        if (off >= STATS_FIRST && off <= STATS_LAST) {
            uint32_t v = reg(e, off);        /* statistics clear on read */
            set_reg(e, off, 0);
            return v;
        }
        return reg(e, off);
    }
}

static void reg_write(struct e1000 *e, unsigned off, uint32_t v)
{
    off &= E1000_MMIO_SIZE - 4;
    switch (off) {
    case CTRL:
        if (v & CTRL_RST) {
            e1000_reset(e);
            return;
        }
        if (v & CTRL_PHY_RST)
            phy_reset(e);
        set_reg(e, CTRL, v & ~(CTRL_RST | CTRL_PHY_RST));
        return;
    case STATUS:
        return;                              /* read-only */
    case EECD: eecd_write(e, v); return;
    case EERD:
        if (v & EERD_START) {
            unsigned a = (v >> 8) & 0xff;
            uint16_t d = a < 64 ? e->eeprom[a] : 0xffff;
            set_reg(e, EERD, (uint32_t)d << 16 | (a << 8) | EERD_DONE);
        }
        return;
    case MDIC: mdic_write(e, v); return;
    case ICR: set_reg(e, ICR, reg(e, ICR) & ~v); update_irq(e); return;   /* write 1 clears */
    case ICS: raise_icr(e, v); return;
    case IMS: set_reg(e, IMS, reg(e, IMS) | v); update_irq(e); return;
    case IMC: set_reg(e, IMS, reg(e, IMS) & ~v); update_irq(e); return;
    case RDLEN: case TDLEN: set_reg(e, off, v & 0xfff80); return;
    case RDH: case RDT: case TDH: set_reg(e, off, v & 0xffff); return;
    case TDT:
        set_reg(e, TDT, v & 0xffff);
        tx_ring_process(e);
        return;
    case TCTL:
        set_reg(e, TCTL, v);
        tx_ring_process(e);
        return;
    default:
        set_reg(e, off, v);
        return;
    }
}

static uint64_t e1000_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    struct e1000 *e = opaque;
    uint32_t v = reg_read(e, (unsigned)addr & ~3u);
    unsigned shift = (unsigned)(addr & 3) * 8;
    if (size >= 4)
        return v;
    return (v >> shift) & ((1u << (8 * size)) - 1);
}

static void e1000_mmio_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    struct e1000 *e = opaque;
    unsigned off = (unsigned)addr & ~3u;
    uint32_t v = (uint32_t)value;
    if (size < 4) {                          /* merge a narrow write into the register */
        unsigned shift = (unsigned)(addr & 3) * 8;
        uint32_t mask = ((1u << (8 * size)) - 1) << shift;
        v = (reg(e, off & (E1000_MMIO_SIZE - 4)) & ~mask) | ((v << shift) & mask);
    }
    reg_write(e, off, v);
}

static const struct mmio_ops e1000_mmio_ops = { .read = e1000_mmio_read, .write = e1000_mmio_write };

/* BAR 1: IOADDR at 0 selects a register, IODATA at 4 reads/writes it (13.2.1). */
static uint32_t e1000_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct e1000 *e = opaque;
    unsigned off = (uint16_t)(port - pci_bar_address(&e->pci, 1)) & (E1000_IO_SIZE - 1);
    if (off == 0)
        return e->ioaddr;
    if (off == 4)
        return reg_read(e, e->ioaddr & 0x1fffc);
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void e1000_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct e1000 *e = opaque;
    (void)size;
    unsigned off = (uint16_t)(port - pci_bar_address(&e->pci, 1)) & (E1000_IO_SIZE - 1);
    if (off == 0)
        e->ioaddr = value;
    else if (off == 4)
        reg_write(e, e->ioaddr & 0x1fffc, value);
}

void e1000_reset(struct e1000 *e)
{
    memset(e->regs, 0, sizeof(e->regs));
    memset(&e->ee, 0, sizeof(e->ee));
    memset(&e->ctx, 0, sizeof(e->ctx));
    e->tx_started = false;
    e->tx_len = 0;
    set_reg(e, STATUS, STATUS_FD | STATUS_LU | STATUS_1000);
    set_reg(e, EECD, EECD_PRES);
    set_reg(e, PBA, 0x00100030);             /* 48 KiB receive, 16 KiB transmit */
    set_reg(e, CTRL, 0x00000040);            /* SLU */
    /* RAL0/RAH0 load from the EEPROM at reset (13.4.x), marked valid. */
    const uint16_t *w = e->eeprom;
    set_reg(e, RAL0, w[0] | (uint32_t)w[1] << 16);
    set_reg(e, RAH0, w[2] | 0x80000000u);
    phy_reset(e);
    update_irq(e);
}

int e1000_init(struct e1000 *e, struct pci_bus *bus, struct phys_mem *mem, int devfn,
               const uint8_t mac[6])
{
    memset(e, 0, sizeof(*e));
    e->mem = mem;
    pci_function_init(&e->pci, 0x8086, 0x100e, 0x020000, 0x03);
    pci_set_bar(&e->pci, 0, E1000_MMIO_SIZE, 0);
    pci_bar_set_mmio(&e->pci, 0, &e1000_mmio_ops, e);
    pci_set_bar(&e->pci, 1, E1000_IO_SIZE, PCI_BAR_IO);
    pci_bar_set_io(&e->pci, 1, e1000_io_read, e1000_io_write, e);
    pci_set_w(&e->pci, PCI_SUBSYSTEM_VENDOR_ID, 0x8086);
    pci_set_w(&e->pci, PCI_SUBSYSTEM_VENDOR_ID + 2, 0x001e);
    e->pci.config[PCI_INTERRUPT_PIN] = 1;
    build_eeprom(e, mac);
    memcpy(e->port.mac, mac, 6);
    e->port.can_receive = e1000_can_receive;
    e->port.receive = e1000_receive;
    e->port.nic = e;
    if (pci_register(bus, &e->pci, devfn))
        return -1;
    e1000_reset(e);
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

#define X struct e1000_tx_context
static const struct vms_field e1000_tx_context_fields[] = {
    VMS(X, ipcss), VMS(X, ipcso), VMS(X, tucss), VMS(X, tucso), VMS(X, ipcse), VMS(X, tucse),
    VMS(X, paylen), VMS(X, tucmd), VMS(X, hdrlen), VMS(X, mss),
};
#undef X
static const struct vms_desc e1000_tx_context_vmstate = {
    VMS_DESC(struct e1000_tx_context, "e1000_tx_context", 1, e1000_tx_context_fields)
};
typedef __typeof__(((struct e1000 *)0)->ee) e1000_eeprom_shift;
static const struct vms_field e1000_ee_fields[] = {
    VMS(e1000_eeprom_shift, bits_in), VMS(e1000_eeprom_shift, count_in),
    VMS(e1000_eeprom_shift, reading), VMS(e1000_eeprom_shift, bit_out),
    VMS(e1000_eeprom_shift, word),
};
static const struct vms_desc e1000_ee_vmstate = {
    VMS_DESC(e1000_eeprom_shift, "e1000_eeprom_shift", 1, e1000_ee_fields)
};
/* A packet half gathered from descriptors stays in tx_buf: state. */
static void e1000_post_load(void *obj)
{
    struct e1000 *e = obj;
    if (e->tx_len > E1000_MAX_PACKET)
        e->tx_len = E1000_MAX_PACKET;
}
#define E struct e1000
static const struct vms_field e1000_fields[] = {
    VMS_S(E, pci, pci_function_vmstate), VMS_S(E, port, net_port_vmstate), VMS_W(E, mem),
    VMS_A(E, regs), VMS(E, ioaddr), VMS_A(E, eeprom), VMS_A(E, phy), VMS_S(E, ee, e1000_ee_vmstate),
    VMS_S(E, ctx, e1000_tx_context_vmstate), VMS(E, tx_popts), VMS(E, tx_tse), VMS(E, tx_started),
    VMS(E, tx_overflow), VMS(E, tx_len), VMS_A(E, tx_buf),
};
#undef E
const struct vms_desc e1000_vmstate = {
    VMS_DESC(struct e1000, "e1000", 1, e1000_fields), .post_load = e1000_post_load,
};
