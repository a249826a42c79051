/*
 * ne2k_pci.c - RTL8029AS / DP8390 NE2000 PCI card.  See ne2k_pci.h.
 *
 * Every guest-controlled value is checked: remote-DMA addresses are taken
 * modulo the card's 64 KiB address space and land in the 16 KiB RAM or the
 * PROM, or nowhere; a receive ring whose PSTART/PSTOP/CURR do not describe
 * RAM drops the frame (counted as a missed packet) instead of writing.
 */
#include "devices/net/ne2k_pci.h"
#include "devices/vmstate.h"

#include <string.h>

/* CR bits (DP8390D, "Command Register"). */
#define CR_STP   0x01
#define CR_STA   0x02
#define CR_TXP   0x04
#define CR_RD    0x38               /* remote DMA command */
#define CR_RD_READ  0x08
#define CR_RD_WRITE 0x10
#define CR_RD_SEND  0x18
#define CR_PS    0xc0               /* register page */

/* ISR bits. */
#define ISR_PRX  0x01
#define ISR_PTX  0x02
#define ISR_RXE  0x04
#define ISR_TXE  0x08
#define ISR_OVW  0x10
#define ISR_CNT  0x20
#define ISR_RDC  0x40
#define ISR_RST  0x80

/* RCR bits. */
#define RCR_AB   0x04               /* accept broadcast */
#define RCR_AM   0x08               /* accept multicast (hashed) */
#define RCR_PRO  0x10               /* promiscuous */
#define RCR_MON  0x20               /* monitor: check but do not store */

#define DCR_WTS  0x01               /* word transfer select */

#define RSR_PRX  0x01
#define RSR_PHY  0x20               /* multicast/broadcast address */
#define TSR_PTX  0x01

#define PAGE_SIZE_8390 256
#define RAM_FIRST_PAGE (NE2K_RAM_START >> 8)
#define RAM_END_PAGE   (NE2K_MEM_SIZE >> 8)

static void update_irq(struct ne2k_pci *n)
{
    pci_set_irq(&n->pci, (n->isr & n->imr & 0x7f) != 0);
}

static uint16_t port_base(const struct ne2k_pci *n)
{
    return (uint16_t)pci_bar_address(&n->pci, 0);
}

/* ---- the card's local memory ------------------------------------------------ */

static uint8_t mem_read(const struct ne2k_pci *n, uint16_t addr)
{
    if (addr < NE2K_RAM_START)
        return n->prom[addr & 31];
    if (addr < NE2K_MEM_SIZE)
        return n->mem[addr];
    return 0xff;                     /* nothing decodes there */
}

static void mem_write(struct ne2k_pci *n, uint16_t addr, uint8_t v)
{
    if (addr >= NE2K_RAM_START && addr < NE2K_MEM_SIZE)
        n->mem[addr] = v;
}

/* One remote-DMA byte: advance RSAR (wrapping from PSTOP to PSTART, as the
 * 8390 does for reads out of the ring) and count RBCR down. */
static void dma_step(struct ne2k_pci *n)
{
    n->rsar++;
    if (n->pstop > n->pstart && n->rsar == (uint16_t)(n->pstop << 8))
        n->rsar = (uint16_t)(n->pstart << 8);
    if (n->rbcr > 0 && --n->rbcr == 0) {
        n->isr |= ISR_RDC;
        update_irq(n);
    }
}

static uint32_t data_read(struct ne2k_pci *n, unsigned size)
{
    /* In word mode every access moves at least a word; a byte read gets its low half. */
    unsigned count = size == 1 && (n->dcr & DCR_WTS) ? 2 : size;
    uint32_t v = 0;
    for (unsigned i = 0; i < count; i++) {
        v |= (uint32_t)mem_read(n, n->rsar) << (8 * i);
        dma_step(n);
    }
    return size == 1 ? (v & 0xff) : v;
}

static void data_write(struct ne2k_pci *n, uint32_t v, unsigned size)
{
    unsigned count = size == 1 && (n->dcr & DCR_WTS) ? 2 : size;
    for (unsigned i = 0; i < count; i++) {
        mem_write(n, n->rsar, (uint8_t)(v >> (8 * i)));
        dma_step(n);
    }
}

/* ---- transmit and receive -------------------------------------------------- */

static void transmit(struct ne2k_pci *n)
{
    uint8_t frame[NE2K_MEM_SIZE];
    size_t len = n->tbcr;
    uint32_t start = (uint32_t)n->tpsr << 8;
    if (start + len > NE2K_MEM_SIZE)       /* beyond the RAM: send only what exists */
        len = start < NE2K_MEM_SIZE ? NE2K_MEM_SIZE - start : 0;
    for (size_t i = 0; i < len; i++)
        frame[i] = mem_read(n, (uint16_t)(start + i));
    /* TCR loopback modes (bits 1-2) keep the frame on the card. */
    if (len > 0 && !(n->tcr & 0x06))
        net_port_send(&n->port, frame, len);
    n->tsr = TSR_PTX;
    n->isr |= ISR_PTX;
    n->cmd &= ~CR_TXP;
    update_irq(n);
}

static bool ring_valid(const struct ne2k_pci *n)
{
    return n->pstart >= RAM_FIRST_PAGE && n->pstop <= RAM_END_PAGE && n->pstart < n->pstop &&
           n->curr >= n->pstart && n->curr < n->pstop && n->bnry >= n->pstart &&
           n->bnry < n->pstop;
}

/* Free pages between CURR and BNRY. */
static unsigned ring_free_pages(const struct ne2k_pci *n)
{
    if (n->curr < n->bnry)
        return n->bnry - n->curr;
    return (unsigned)(n->pstop - n->pstart) - (n->curr - n->bnry);
}

static bool ne2k_can_receive(void *opaque)
{
    struct ne2k_pci *n = opaque;
    if ((n->cmd & CR_STP) || !ring_valid(n))
        return true;                     /* receiving is off: the frame is dropped */
    /* Room for the largest frame, so nothing is ever half written. */
    return ring_free_pages(n) > (1518 + 4 + PAGE_SIZE_8390 - 1) / PAGE_SIZE_8390;
}

static bool address_accepted(const struct ne2k_pci *n, const uint8_t *dst)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (n->rcr & RCR_PRO)
        return true;
    if (!memcmp(dst, bcast, 6))
        return (n->rcr & RCR_AB) != 0;
    if (dst[0] & 1) {
        if (!(n->rcr & RCR_AM))
            return false;
        /* The top six bits of the CRC index the 64-bit MAR filter. */
        unsigned bit = net_crc32_be(dst, 6) >> 26;
        return (n->mar[bit >> 3] >> (bit & 7)) & 1;
    }
    return !memcmp(dst, n->par, 6);
}

static void ne2k_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct ne2k_pci *n = opaque;
    if ((n->cmd & CR_STP) || len < 6 || len > 1518)
        return;
    if (!ring_valid(n)) {
        n->isr |= ISR_OVW;               /* a ring that is not RAM cannot take it */
        update_irq(n);
        return;
    }
    if (!address_accepted(n, frame) || (n->rcr & RCR_MON))
        return;
    uint8_t buf[60];
    if (len < 60) {                      /* the sender pads runts to the minimum */
        memset(buf, 0, sizeof(buf));
        memcpy(buf, frame, len);
        frame = buf;
        len = 60;
    }
    unsigned total = (unsigned)len + 4;
    unsigned pages = (total + PAGE_SIZE_8390 - 1) / PAGE_SIZE_8390;
    if (pages >= ring_free_pages(n)) {
        n->isr |= ISR_OVW;
        update_irq(n);
        return;
    }
    unsigned next = n->curr + pages;
    if (next >= n->pstop)
        next -= (unsigned)(n->pstop - n->pstart);
    uint8_t status = RSR_PRX | ((frame[0] & 1) ? RSR_PHY : 0);
    uint8_t hdr[4] = { status, (uint8_t)next, (uint8_t)total, (uint8_t)(total >> 8) };
    uint16_t addr = (uint16_t)(n->curr << 8);
    uint16_t stop = (uint16_t)(n->pstop << 8), start = (uint16_t)(n->pstart << 8);
    for (unsigned i = 0; i < total; i++) {
        mem_write(n, addr, i < 4 ? hdr[i] : frame[i - 4]);
        if (++addr == stop)
            addr = start;
    }
    n->curr = (uint8_t)next;
    n->rsr = status;
    n->isr |= ISR_PRX;
    update_irq(n);
}

/* ---- registers ------------------------------------------------------------- */

static void write_cr(struct ne2k_pci *n, uint8_t v)
{
    n->cmd = v;
    if (v & CR_STP) {
        n->isr |= ISR_RST;               /* stopped: the reset state */
        return;
    }
    n->isr &= ~ISR_RST;
    unsigned rd = v & CR_RD;
    /* A remote read or write of zero bytes completes at once. */
    if ((rd == CR_RD_READ || rd == CR_RD_WRITE) && n->rbcr == 0) {
        n->isr |= ISR_RDC;
        update_irq(n);
    }
    if ((v & CR_TXP) && (v & CR_STA))
        transmit(n);
}

static uint8_t reg_read(struct ne2k_pci *n, unsigned off)
{
    if (off == 0)
        return n->cmd;
    switch (n->cmd & CR_PS) {
    case 0x00:
        switch (off) {
        case 0x03: return n->bnry;
        case 0x04: return n->tsr;
        case 0x07: return n->isr;
        case 0x08: return (uint8_t)n->rsar;
        case 0x09: return (uint8_t)(n->rsar >> 8);
        case 0x0a: return 0x50;          /* RTL8029AS ID: 'P' */
        case 0x0b: return 0x43;          /*               'C' */
        case 0x0c: return n->rsr;
        default: return 0;               /* CLDA, NCR, FIFO, tally counters: 0 */
        }
    case 0x40:
        if (off <= 6)
            return n->par[off - 1];
        if (off == 7)
            return n->curr;
        return n->mar[off - 8];
    case 0x80:
        switch (off) {
        case 0x01: return n->pstart;
        case 0x02: return n->pstop;
        case 0x04: return n->tpsr;
        case 0x0c: return n->rcr;
        case 0x0d: return n->tcr;
        case 0x0e: return n->dcr;
        case 0x0f: return n->imr;
        default: return 0;
        }
    default:
        return 0;                        /* page 3: RTL8029 configuration, all zero */
    }
}

static void reg_write(struct ne2k_pci *n, unsigned off, uint8_t v)
{
    if (off == 0) {
        write_cr(n, v);
        return;
    }
    switch (n->cmd & CR_PS) {
    case 0x00:
        switch (off) {
        case 0x01: n->pstart = v; break;
        case 0x02: n->pstop = v; break;
        case 0x03: n->bnry = v; break;
        case 0x04: n->tpsr = v; break;
        case 0x05: n->tbcr = (uint16_t)((n->tbcr & 0xff00) | v); break;
        case 0x06: n->tbcr = (uint16_t)((n->tbcr & 0x00ff) | v << 8); break;
        case 0x07: n->isr &= ~(v & 0x7f); update_irq(n); break;   /* RST is status only */
        case 0x08: n->rsar = (uint16_t)((n->rsar & 0xff00) | v); break;
        case 0x09: n->rsar = (uint16_t)((n->rsar & 0x00ff) | v << 8); break;
        case 0x0a: n->rbcr = (uint16_t)((n->rbcr & 0xff00) | v); break;
        case 0x0b: n->rbcr = (uint16_t)((n->rbcr & 0x00ff) | v << 8); break;
        case 0x0c: n->rcr = v; break;
        case 0x0d: n->tcr = v; break;
        case 0x0e: n->dcr = v; break;
        case 0x0f: n->imr = v; update_irq(n); break;
        }
        break;
    case 0x40:
        if (off <= 6)
            n->par[off - 1] = v;
        else if (off == 7)
            n->curr = v;
        else
            n->mar[off - 8] = v;
        break;
    default:
        break;                           /* pages 2 and 3 are read-only here */
    }
}

static uint32_t ne2k_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct ne2k_pci *n = opaque;
    unsigned off = (uint16_t)(port - port_base(n)) & 0x1f;
    if (off < 0x10) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size && off + i < 0x10; i++)
            v |= (uint32_t)reg_read(n, off + i) << (8 * i);
        return v;
    }
    if (off < 0x18)
        return data_read(n, size);
    ne2k_pci_reset(n);                   /* reading the reset port resets the card */
    return 0;
}

static void ne2k_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct ne2k_pci *n = opaque;
    unsigned off = (uint16_t)(port - port_base(n)) & 0x1f;
    if (off < 0x10) {
        for (unsigned i = 0; i < size && off + i < 0x10; i++)
            reg_write(n, off + i, (uint8_t)(value >> (8 * i)));
    } else if (off < 0x18) {
        data_write(n, value, size);
    }
    /* writes to the reset port do nothing */
}

void ne2k_pci_reset(struct ne2k_pci *n)
{
    n->cmd = CR_STP | 0x20;              /* stopped, remote DMA aborted */
    n->isr = ISR_RST;
    n->imr = 0;
    n->dcr = 0;
    n->rcr = 0;
    n->tcr = 0;
    n->tsr = n->rsr = 0;
    n->rbcr = n->tbcr = n->rsar = 0;
    n->pstart = n->pstop = n->bnry = n->curr = n->tpsr = 0;
    update_irq(n);
}

int ne2k_pci_init(struct ne2k_pci *n, struct pci_bus *bus, int devfn, const uint8_t mac[6])
{
    memset(n, 0, sizeof(*n));
    pci_function_init(&n->pci, 0x10ec, 0x8029, 0x020000, 0x00);
    pci_set_bar(&n->pci, 0, 0x20, PCI_BAR_IO);
    pci_bar_set_io(&n->pci, 0, ne2k_io_read, ne2k_io_write, n);
    n->pci.config[PCI_INTERRUPT_PIN] = 1;
    pci_set_w(&n->pci, PCI_SUBSYSTEM_VENDOR_ID, 0x10ec);
    pci_set_w(&n->pci, PCI_SUBSYSTEM_VENDOR_ID + 2, 0x8029);
    /* The station-address PROM in word layout: each byte twice, then 'W' 'W'
     * at 0x0e/0x0f (NE2000 word-mode signature). */
    for (int i = 0; i < 6; i++)
        n->prom[2 * i] = n->prom[2 * i + 1] = mac[i];
    n->prom[14] = n->prom[15] = 0x57;
    memcpy(n->port.mac, mac, 6);
    n->port.can_receive = ne2k_can_receive;
    n->port.receive = ne2k_receive;
    n->port.nic = n;
    if (pci_register(bus, &n->pci, devfn))
        return -1;
    ne2k_pci_reset(n);
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

#define N struct ne2k_pci
static const struct vms_field ne2k_pci_fields[] = {
    VMS_S(N, pci, pci_function_vmstate), VMS_S(N, port, net_port_vmstate), VMS(N, cmd),
    VMS(N, pstart), VMS(N, pstop), VMS(N, bnry), VMS(N, tpsr), VMS(N, isr), VMS(N, imr),
    VMS(N, rcr), VMS(N, tcr), VMS(N, dcr), VMS(N, tsr), VMS(N, rsr), VMS(N, curr), VMS(N, tbcr),
    VMS(N, rsar), VMS(N, rbcr), VMS_A(N, par), VMS_A(N, mar), VMS_CA(N, prom), VMS_A(N, mem),
};
#undef N
const struct vms_desc ne2k_pci_vmstate = { VMS_DESC(struct ne2k_pci, "ne2k_pci", 1, ne2k_pci_fields) };
