/* test_dev_net.c - the NE2000 (RTL8029) and e1000 (82540EM) cards through
 * their registers, with a fake backend capturing what they send: PROM and
 * EEPROM contents, transmit and receive paths, checksum offload and TSO,
 * and malformed rings, which must stop or drop, never touch memory outside
 * the guest's RAM. Expected values come from the datasheets (ID bytes,
 * 0xBABA EEPROM sum, receive ring header layout), from the CRC-32 check and
 * residue values, and from checksums recomputed here independently. */
#include <criterion/criterion.h>
#include <string.h>
#include "dev_harness.h"
#include "devices/net/e1000.h"
#include "devices/net/ne2k_pci.h"
#include "devices/net/net.h"
#include "devices/pci.h"
#include "memory/memory.h"

#define RAM (16u << 20)

struct capture {
    struct net_backend b;
    uint8_t frame[8][2048];
    size_t len[8];
    int count;
};

static void cap_send(struct net_backend *b, const uint8_t *f, size_t len)
{
    struct capture *c = (struct capture *)b;
    if (c->count < 8 && len <= sizeof(c->frame[0])) {
        memcpy(c->frame[c->count], f, len);
        c->len[c->count] = len;
    }
    c->count++;
}
static int cap_fill(struct net_backend *b, struct pollfd *fds, int max, int *t) { return 0; }
static void cap_dispatch(struct net_backend *b, struct pollfd *fds, int n) {}
static void cap_destroy(struct net_backend *b) {}
static const struct net_backend_ops cap_ops = { "capture", cap_send, cap_fill, cap_dispatch,
                                                cap_destroy };

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

struct fixture {
    struct harness *h;
    struct phys_mem *mem;
    struct pci_bus bus;
    struct capture cap;
    struct ne2k_pci ne;
    struct e1000 e;
};

static struct fixture *setup(void)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    f->mem = phys_mem_create(RAM);
    cr_assert(f->mem);
    cr_assert_eq(pci_bus_init(&f->bus, &f->h->bus), 0);
    cr_assert_eq(pci_bus_attach_memory(&f->bus, f->mem), 0);
    f->cap.b.ops = &cap_ops;
    cr_assert_eq(ne2k_pci_init(&f->ne, &f->bus, PCI_DEVFN(3, 0), MAC), 0);
    cr_assert_eq(e1000_init(&f->e, &f->bus, f->mem, PCI_DEVFN(4, 0), MAC), 0);
    f->ne.port.peer = &f->cap.b;
    f->e.port.peer = &f->cap.b;
    /* BARs as firmware would place them, decoding on */
    pci_config_write(&f->bus, PCI_DEVFN(3, 0), PCI_BAR0, 0xc000, 4);
    pci_config_write(&f->bus, PCI_DEVFN(3, 0), PCI_COMMAND, PCI_COMMAND_IO, 2);
    pci_config_write(&f->bus, PCI_DEVFN(4, 0), PCI_BAR0, 0xfebc0000u, 4);
    pci_config_write(&f->bus, PCI_DEVFN(4, 0), PCI_BAR0 + 4, 0xc100, 4);
    pci_config_write(&f->bus, PCI_DEVFN(4, 0), PCI_COMMAND,
                     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    return f;
}

static void teardown(struct fixture *f)
{
    phys_mem_destroy(f->mem);
    free(f->h);
    free(f);
}

/* ---- shared helpers ---------------------------------------------------------- */

Test(net, crc32_check_values)
{
    const uint8_t check[] = "123456789";
    /* CRC-32 (IEEE) check value 0xCBF43926 is the register after the final inversion. */
    cr_assert_eq(~net_crc32_le(check, 9), 0xcbf43926u);
    /* The MSB-first register is the bit reversal of the reflected one. */
    uint32_t le = net_crc32_le(check, 9), be = net_crc32_be(check, 9), rev = 0;
    for (int i = 0; i < 32; i++)
        rev |= ((le >> i) & 1) << (31 - i);
    cr_assert_eq(be, rev);
    uint8_t mac[6];
    cr_assert(net_parse_mac("52:54:00:AB:cd:ef", mac));
    cr_assert_arr_eq(mac, MAC, 6);
    cr_assert_not(net_parse_mac("52:54:00:ab:cd", mac));
    cr_assert_not(net_parse_mac("52:54:00:ab:cd:ef:00", mac));
    cr_assert_not(net_parse_mac("g2:54:00:ab:cd:ef", mac));
}

/* ---- NE2000 ------------------------------------------------------------------- */

static void nout(struct fixture *f, unsigned reg, uint8_t v) { io_write(&f->h->bus, 0xc000 + reg, v, 1); }
static uint8_t nin(struct fixture *f, unsigned reg) { return (uint8_t)io_read(&f->h->bus, 0xc000 + reg, 1); }

static void ne_remote(struct fixture *f, uint16_t addr, uint16_t count, uint8_t cmd)
{
    nout(f, 0x00, 0x22);                 /* page 0, start, no DMA */
    nout(f, 0x0a, count & 0xff);
    nout(f, 0x0b, count >> 8);
    nout(f, 0x08, addr & 0xff);
    nout(f, 0x09, addr >> 8);
    nout(f, 0x00, cmd);
}

Test(ne2k, reset_ids_and_prom)
{
    struct fixture *f = setup();
    nin(f, 0x1f);                        /* reading the reset port resets */
    cr_assert(nin(f, 0x07) & 0x80, "ISR.RST after reset");
    nout(f, 0x00, 0x21);
    cr_assert_eq(nin(f, 0x0a), 0x50, "RTL8029AS ID 'P'");
    cr_assert_eq(nin(f, 0x0b), 0x43, "RTL8029AS ID 'C'");
    /* ne2k-pci's probe: word mode, remote read of 32 bytes at 0, 32 byte reads. */
    nout(f, 0x0e, 0x49);
    ne_remote(f, 0, 32, 0x0a);
    uint8_t prom[32];
    for (int i = 0; i < 32; i++)
        prom[i] = nin(f, 0x10);
    cr_assert_arr_eq(prom, MAC, 6, "the station address as the driver reads it");
    cr_assert_eq(prom[7], 0x57, "word-mode signature 'W' at PROM word 7");
    cr_assert(nin(f, 0x07) & 0x40, "remote DMA complete");
    teardown(f);
}

Test(ne2k, transmit_and_receive)
{
    struct fixture *f = setup();
    nout(f, 0x00, 0x21);
    nout(f, 0x0e, 0x49);
    uint8_t frame[64];
    for (int i = 0; i < 64; i++)
        frame[i] = (uint8_t)(i * 7 + 1);
    ne_remote(f, 0x4000, 64, 0x12);      /* remote write */
    for (int i = 0; i < 64; i += 4)
        io_write(&f->h->bus, 0xc010, frame[i] | frame[i + 1] << 8 | frame[i + 2] << 16 |
                 (uint32_t)frame[i + 3] << 24, 4);
    cr_assert(nin(f, 0x07) & 0x40);
    nout(f, 0x04, 0x40);
    nout(f, 0x05, 64);
    nout(f, 0x06, 0);
    nout(f, 0x00, 0x26);                 /* transmit */
    cr_assert_eq(f->cap.count, 1);
    cr_assert_eq(f->cap.len[0], 64);
    cr_assert_arr_eq(f->cap.frame[0], frame, 64);
    cr_assert(nin(f, 0x07) & 0x02, "ISR.PTX");

    /* receive ring 0x46..0x80, BNRY 0x46, CURR 0x47 (page 1) */
    nout(f, 0x01, 0x46);
    nout(f, 0x02, 0x80);
    nout(f, 0x03, 0x46);
    nout(f, 0x0c, 0x04);                 /* accept broadcast */
    nout(f, 0x00, 0x62);
    for (int i = 0; i < 6; i++)
        nout(f, 1 + i, MAC[i]);
    nout(f, 0x07, 0x47);
    nout(f, 0x00, 0x22);
    uint8_t rx[300];
    memcpy(rx, MAC, 6);
    for (int i = 6; i < 300; i++)
        rx[i] = (uint8_t)(i ^ 0x5a);
    cr_assert(f->ne.port.can_receive(&f->ne));
    f->ne.port.receive(&f->ne, rx, sizeof(rx));
    cr_assert(nin(f, 0x07) & 0x01, "ISR.PRX");
    /* 4-byte header at 0x4700: status, next page, count = 304 (header included) */
    nout(f, 0x0e, 0x48);                 /* byte mode for the read back */
    ne_remote(f, 0x4700, 308, 0x0a);
    uint8_t got[308];
    for (int i = 0; i < 308; i++)
        got[i] = (uint8_t)io_read(&f->h->bus, 0xc010, 1);   /* byte mode: one byte each */
    cr_assert_eq(got[0], 0x01);
    cr_assert_eq(got[1], 0x49, "304 bytes take pages 0x47 and 0x48");
    cr_assert_eq(got[2] | got[3] << 8, 304);
    cr_assert_arr_eq(got + 4, rx, 300);
    nout(f, 0x00, 0x62);
    cr_assert_eq(nin(f, 0x07), 0x49, "CURR");
    /* another unicast address is filtered */
    uint8_t other[60] = { 0x02, 0, 0, 0, 0, 1 };
    f->ne.port.receive(&f->ne, other, sizeof(other));
    cr_assert_eq(nin(f, 0x07), 0x49);
    teardown(f);
}

Test(ne2k, malformed_ring_and_dma)
{
    struct fixture *f = setup();
    nout(f, 0x00, 0x21);
    nout(f, 0x01, 0x00);                 /* PSTART in the PROM, PSTOP past the RAM */
    nout(f, 0x02, 0xff);
    nout(f, 0x03, 0x00);
    nout(f, 0x0c, 0x14);                 /* promiscuous, broadcast */
    nout(f, 0x00, 0x62);
    nout(f, 0x07, 0xf0);
    nout(f, 0x00, 0x22);
    nout(f, 0x07, 0xff);
    uint8_t rx[100] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    f->ne.port.receive(&f->ne, rx, sizeof(rx));
    cr_assert(nin(f, 0x07) & 0x10, "a ring outside the RAM overflows instead of writing");
    cr_assert_eq(nin(f, 0x07) & 0x01, 0);
    /* remote DMA around the top of the 64 KiB space reads the bus, wraps, never faults */
    ne_remote(f, 0xfffe, 4, 0x0a);
    for (int i = 0; i < 4; i++)
        (void)nin(f, 0x10);
    ne_remote(f, 0xfffe, 4, 0x12);
    for (int i = 0; i < 4; i++)
        nout(f, 0x10, 0xaa);
    /* transmit from the last page with a huge count sends only what exists */
    nout(f, 0x04, 0x7f);
    nout(f, 0x05, 0xff);
    nout(f, 0x06, 0xff);
    nout(f, 0x00, 0x26);
    cr_assert_eq(f->cap.count, 1);
    cr_assert_eq(f->cap.len[0], 256);
    teardown(f);
}

/* ---- e1000 -------------------------------------------------------------------- */

static void ew(struct fixture *f, uint32_t reg, uint32_t v) { phys_write32(f->mem, 0xfebc0000u + reg, v); }
static uint32_t er(struct fixture *f, uint32_t reg) { return phys_read32(f->mem, 0xfebc0000u + reg); }

Test(e1000, eeprom_phy_status)
{
    struct fixture *f = setup();
    uint16_t sum = 0, w[64];
    for (unsigned i = 0; i < 64; i++) {
        ew(f, 0x14, i << 8 | 1);
        uint32_t v = er(f, 0x14);
        cr_assert(v & 0x10, "EERD done");
        w[i] = (uint16_t)(v >> 16);
        sum = (uint16_t)(sum + w[i]);
    }
    cr_assert_eq(sum, 0xbaba, "EEPROM checksum (SDM 5.6.1)");
    cr_assert_eq(w[0], 0x5452);
    cr_assert_eq(w[1], 0xab00);
    cr_assert_eq(w[2], 0xefcd);
    /* Microwire read of word 1, as e1000_read_eeprom bit-bangs it */
    uint32_t eecd = er(f, 0x10) | 0x40;
    ew(f, 0x10, eecd);
    cr_assert(er(f, 0x10) & 0x80, "grant follows request");
    eecd |= 0x02;
    ew(f, 0x10, eecd);
    uint32_t bits = 0x6 << 6 | 1;        /* READ opcode 110b, address 1 */
    for (int i = 8; i >= 0; i--) {
        uint32_t di = ((bits >> i) & 1) ? 0x04 : 0;
        ew(f, 0x10, (eecd & ~0x04u) | di);
        ew(f, 0x10, (eecd & ~0x04u) | di | 0x01);
        ew(f, 0x10, (eecd & ~0x04u) | di);
    }
    uint16_t word = 0;
    for (int i = 0; i < 16; i++) {
        ew(f, 0x10, eecd | 0x01);
        word = (uint16_t)(word << 1 | ((er(f, 0x10) & 0x08) ? 1 : 0));
        ew(f, 0x10, eecd);
    }
    cr_assert_eq(word, w[1]);
    /* PHY id through MDIC: M88E1011 (the PHY Linux expects on an 82540) */
    ew(f, 0x20, 2u << 26 | 1u << 21 | 2u << 16);
    cr_assert_eq(er(f, 0x20) & 0x1000ffffu, 0x10000141u);
    ew(f, 0x20, 2u << 26 | 1u << 21 | 3u << 16);
    cr_assert_eq(er(f, 0x20) & 0xfff0u, 0x0c20);
    cr_assert_eq(er(f, 0x08) & 0x83, 0x83, "link up, full duplex, 1000 Mb/s");
    cr_assert_eq(er(f, 0x5400), 0x00005452 | 0xab000000u, "RAL0 from the EEPROM");
    teardown(f);
}

/* One descriptor at ring + 16 * i. */
static void put_desc(struct fixture *f, uint64_t ring, int i, uint64_t a, uint32_t w2, uint32_t w3)
{
    phys_write64(f->mem, ring + 16u * i, a);
    phys_write32(f->mem, ring + 16u * i + 8, w2);
    phys_write32(f->mem, ring + 16u * i + 12, w3);
}

Test(e1000, legacy_transmit_and_malformed_rings)
{
    struct fixture *f = setup();
    uint64_t ring = 0x100000, buf = 0x200000;
    uint8_t frame[100];
    for (int i = 0; i < 100; i++)
        frame[i] = (uint8_t)(0xc3 ^ i);
    dma_write(f->mem, buf, frame, sizeof(frame));
    ew(f, 0x3800, (uint32_t)ring);
    ew(f, 0x3808, 128);
    ew(f, 0x3810, 0);
    ew(f, 0x3818, 0);
    ew(f, 0x400, 2);                     /* TCTL.EN */
    ew(f, 0xd0, 0x01);                   /* IMS.TXDW */
    put_desc(f, ring, 0, buf, 100 | (0x0bu << 24), 0);   /* EOP | IFCS | RS */
    ew(f, 0x3818, 1);
    cr_assert_eq(f->cap.count, 1);
    cr_assert_eq(f->cap.len[0], 100);
    cr_assert_arr_eq(f->cap.frame[0], frame, 100);
    cr_assert_eq(phys_read8(f->mem, ring + 12) & 1, 1, "DD written back");
    cr_assert_eq(er(f, 0x3810), 1, "TDH");
    cr_assert(er(f, 0xc0) & 0x01, "ICR.TXDW (and reading clears it)");
    cr_assert_eq(er(f, 0xc0), 0);

    /* a buffer outside RAM: the bus gives 0xff, nothing faults */
    put_desc(f, ring, 1, 0xf0000000u, 60 | (0x0bu << 24), 0);
    ew(f, 0x3818, 2);
    cr_assert_eq(f->cap.count, 2);
    cr_assert_eq(f->cap.frame[1][0], 0xff);
    /* a tail beyond the ring: the engine stays put */
    ew(f, 0x3818, 9);
    cr_assert_eq(er(f, 0x3810), 2);
    cr_assert_eq(f->cap.count, 2);
    /* descriptors whose lengths add up past any packet, then EOP: dropped */
    ew(f, 0x3818, 2);
    for (int i = 2; i < 7; i++)
        put_desc(f, ring, i, buf, 0xffff | ((i == 6 ? 0x0bu : 0x08u) << 24), 0);
    ew(f, 0x3818, 7);
    cr_assert_eq(f->cap.count, 2, "an oversized packet is not sent");
    cr_assert_eq(er(f, 0x3810), 7);
    /* a ring base at the top of the address space */
    ew(f, 0x3800, 0xfffffff0u);
    ew(f, 0x3804, 0xffffffffu);
    ew(f, 0x3818, 0);
    cr_assert_eq(er(f, 0x3810), 0, "processed (all-ones descriptors), no crash");
    teardown(f);
}

static uint16_t fold(uint32_t s) { while (s >> 16) s = (s & 0xffff) + (s >> 16); return (uint16_t)s; }
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    return s;
}

Test(e1000, tso_segments_with_valid_checksums)
{
    struct fixture *f = setup();
    uint64_t ring = 0x100000, buf = 0x200000;
    /* Ethernet + IPv4 + TCP header, then 2500 bytes of payload */
    uint8_t pkt[54 + 2500];
    memset(pkt, 0, 54);
    memcpy(pkt, "\x52\x55\x0a\x00\x02\x02", 6);
    memcpy(pkt + 6, MAC, 6);
    pkt[12] = 0x08;
    uint8_t *ip = pkt + 14, *tcp = pkt + 34;
    ip[0] = 0x45; ip[8] = 64; ip[9] = 6;
    ip[4] = 0x12; ip[5] = 0x34;                       /* id 0x1234 */
    memcpy(ip + 12, "\x0a\x00\x02\x0f", 4);
    memcpy(ip + 16, "\x0a\x00\x02\x02", 4);
    tcp[0] = 0x30; tcp[1] = 0x39; tcp[2] = 0; tcp[3] = 80;
    tcp[4] = 0x01; tcp[5] = 0x02; tcp[6] = 0x03; tcp[7] = 0x04;   /* seq */
    tcp[12] = 0x50; tcp[13] = 0x19;                   /* FIN PSH ACK */
    /* the driver's seed: pseudo-header sum without the length */
    uint16_t ph = fold(sum16(ip + 12, 8, 6));
    tcp[16] = (uint8_t)(ph >> 8); tcp[17] = (uint8_t)ph;
    for (int i = 0; i < 2500; i++)
        pkt[54 + i] = (uint8_t)(i * 13);
    dma_write(f->mem, buf, pkt, sizeof(pkt));
    ew(f, 0x3800, (uint32_t)ring);
    ew(f, 0x3808, 128);
    ew(f, 0x400, 2);
    /* context: IPCSS 14, IPCSO 24, IPCSE 33; TUCSS 34, TUCSO 50; TSE|IP|TCP|DEXT; HDRLEN 54, MSS 1000 */
    put_desc(f, ring, 0, 14 | 24 << 8 | 33u << 16 | (uint64_t)(34 | 50 << 8) << 32,
             2500 | (0x27u << 24), 54u << 8 | 1000u << 16);
    /* data: DTYP 1, DCMD EOP|IFCS|TSE|RS|DEXT, POPTS IXSM|TXSM */
    put_desc(f, ring, 1, buf, (uint32_t)sizeof(pkt) | 1u << 20 | (0x2fu << 24), 0x03u << 8);
    ew(f, 0x3818, 2);
    cr_assert_eq(f->cap.count, 3);
    static const size_t want_len[3] = { 1054, 1054, 554 };
    for (int s = 0; s < 3; s++) {
        uint8_t *p = f->cap.frame[s];
        cr_assert_eq(f->cap.len[s], want_len[s]);
        uint8_t *sip = p + 14, *st = p + 34;
        cr_assert_eq(sip[2] << 8 | sip[3], (int)want_len[s] - 14, "IP total length");
        cr_assert_eq(sip[4] << 8 | sip[5], 0x1234 + s, "IP id");
        cr_assert_eq(fold(sum16(sip, 20, 0)), 0xffff, "IP header checksum");
        uint32_t seq = (uint32_t)st[4] << 24 | st[5] << 16 | st[6] << 8 | st[7];
        cr_assert_eq(seq, 0x01020304u + 1000u * s);
        cr_assert_eq(st[13], s == 2 ? 0x19 : 0x10, "FIN/PSH on the last segment only");
        uint32_t l4 = (uint32_t)want_len[s] - 34;
        uint32_t tsum = sum16(sip + 12, 8, 6 + l4);
        cr_assert_eq(fold(sum16(st, l4, tsum)), 0xffff, "TCP checksum");
        cr_assert_arr_eq(p + 54, pkt + 54 + 1000 * s, want_len[s] - 54);
    }
    teardown(f);
}

Test(e1000, receive_with_fcs_and_bad_rings)
{
    struct fixture *f = setup();
    uint64_t ring = 0x100000;
    for (int i = 0; i < 8; i++)
        put_desc(f, ring, i, 0x300000 + 0x800u * i, 0, 0);
    ew(f, 0x2800, (uint32_t)ring);
    ew(f, 0x2808, 128);
    ew(f, 0x2810, 0);
    ew(f, 0x2818, 7);
    ew(f, 0xd0, 0x80);                   /* IMS.RXT0 */
    ew(f, 0x100, 2 | 1u << 15);          /* EN, BAM; FCS kept */
    uint8_t frame[200];
    memcpy(frame, MAC, 6);
    for (int i = 6; i < 200; i++)
        frame[i] = (uint8_t)(i * 3);
    cr_assert(f->e.port.can_receive(&f->e));
    f->e.port.receive(&f->e, frame, sizeof(frame));
    cr_assert_eq(er(f, 0x2810), 1, "RDH");
    cr_assert_eq(phys_read16(f->mem, ring + 8), 204, "length includes the FCS");
    cr_assert_eq(phys_read8(f->mem, ring + 12) & 0x03, 0x03, "DD | EOP");
    uint8_t got[204];
    dma_read(f->mem, 0x300000, got, sizeof(got));
    cr_assert_arr_eq(got, frame, 200);
    /* the CRC over frame + FCS leaves the IEEE 802.3 residue 0xDEBB20E3 */
    cr_assert_eq(net_crc32_le(got, 204), 0xdebb20e3u, "(the catalogue's residue, before xorout)");
    cr_assert(f->h->line[11] || er(f, 0xc0) & 0x80, "RXT0");

    /* a frame for another station is filtered */
    uint8_t other[60] = { 0x02, 0, 0, 0, 0, 9 };
    f->e.port.receive(&f->e, other, sizeof(other));
    cr_assert_eq(er(f, 0x2810), 1);
    /* head past the ring: nothing is written */
    ew(f, 0x2810, 100);
    f->e.port.receive(&f->e, frame, sizeof(frame));
    cr_assert_eq(er(f, 0x2810), 100);
    /* buffers outside RAM: the writes are dropped, the descriptor still completes */
    ew(f, 0x2810, 1);
    put_desc(f, ring, 1, 0xfffffffffffff000ull, 0, 0);
    f->e.port.receive(&f->e, frame, sizeof(frame));
    cr_assert_eq(er(f, 0x2810), 2);
    teardown(f);
}

/* ---- virtio-net (virtio 1.0 5.1), driven as Linux's virtio_net does ---------------- */

#include "devices/net/virtio_net.h"

#define VN_IO 0xc200
#define VN_DEVFN PCI_DEVFN(5, 0)
#define VQS 8
/* queue q's rings at 0x100000 + q * 0x10000: desc, avail +0x1000, used +0x2000 */
#define VQ_BASE(q) (0x100000u + (q) * 0x10000u)

struct vnet_rig {
    struct harness *h;
    struct phys_mem *mem;
    struct pci_bus bus;
    struct capture cap;
    struct virtio_net n;
    uint16_t avail[2];
};

static struct vnet_rig *vnet_up(void)
{
    struct vnet_rig *r = calloc(1, sizeof(*r));
    r->h = harness_new();
    r->mem = phys_mem_create(RAM);
    cr_assert_eq(pci_bus_init(&r->bus, &r->h->bus), 0);
    r->cap.b.ops = &cap_ops;
    cr_assert_eq(virtio_net_init(&r->n, &r->bus, &r->h->bus, r->mem, VN_DEVFN, MAC), 0);
    r->n.port.peer = &r->cap.b;
    cr_assert_eq(pci_config_read(&r->bus, VN_DEVFN, PCI_DEVICE_ID, 2), 0x1041, "1040 + type 1");
    cr_assert_eq(pci_config_read(&r->bus, VN_DEVFN, PCI_CLASS_PROG + 1, 2), 0x0200, "Ethernet");
    pci_config_write(&r->bus, VN_DEVFN, PCI_BAR0, VN_IO, 4);
    pci_config_write(&r->bus, VN_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
    struct harness *h = r->h;
    outb(h, VN_IO + 0x14, 0);
    outb(h, VN_IO + 0x14, 1 | 2);
    outl(h, VN_IO + 0x00, 0);                      /* device_feature_select 0 */
    uint32_t f0 = inl(h, VN_IO + 0x04);
    cr_assert_eq(f0 & (1u << 5), 1u << 5, "VIRTIO_NET_F_MAC");
    cr_assert_eq(f0 & (1u << 16), 1u << 16, "VIRTIO_NET_F_STATUS");
    cr_assert_eq(f0 & ((1u << 0) | (1u << 15) | (1u << 7) | (1u << 11)), 0,
                 "no CSUM, MRG_RXBUF, GUEST_TSO4, HOST_TSO4");
    outl(h, VN_IO + 0x08, 0);
    outl(h, VN_IO + 0x0c, (1u << 5) | (1u << 16));
    outl(h, VN_IO + 0x08, 1);
    outl(h, VN_IO + 0x0c, 1);                      /* VERSION_1 */
    outb(h, VN_IO + 0x14, 1 | 2 | 8);
    cr_assert(inb(h, VN_IO + 0x14) & 8, "FEATURES_OK");
    for (int q = 0; q < 2; q++) {
        outw(h, VN_IO + 0x16, (uint16_t)q);
        outw(h, VN_IO + 0x18, VQS);
        outl(h, VN_IO + 0x20, VQ_BASE(q)); outl(h, VN_IO + 0x24, 0);
        outl(h, VN_IO + 0x28, VQ_BASE(q) + 0x1000); outl(h, VN_IO + 0x2c, 0);
        outl(h, VN_IO + 0x30, VQ_BASE(q) + 0x2000); outl(h, VN_IO + 0x34, 0);
        outw(h, VN_IO + 0x1c, 1);
    }
    outb(h, VN_IO + 0x14, 1 | 2 | 8 | 4);
    /* device config: the MAC, then status = LINK_UP */
    for (int i = 0; i < 6; i++)
        cr_assert_eq(inb(h, VN_IO + 0x80 + i), MAC[i]);
    cr_assert_eq(inw(h, VN_IO + 0x86), 1);
    return r;
}

static void vnet_free(struct vnet_rig *r)
{
    phys_mem_destroy(r->mem);
    free(r->h);
    free(r);
}

static void vq_desc(struct vnet_rig *r, int q, int i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t d[16];
    for (int k = 0; k < 8; k++)
        d[k] = (uint8_t)(addr >> (8 * k));
    for (int k = 0; k < 4; k++)
        d[8 + k] = (uint8_t)(len >> (8 * k));
    d[12] = (uint8_t)flags; d[13] = (uint8_t)(flags >> 8);
    d[14] = (uint8_t)next; d[15] = (uint8_t)(next >> 8);
    dma_write(r->mem, VQ_BASE(q) + 16u * i, d, 16);
}

/* Make chain `head` available on queue q (no notify). */
static void vq_offer(struct vnet_rig *r, int q, uint16_t head)
{
    uint8_t b[2] = { (uint8_t)head, (uint8_t)(head >> 8) };
    dma_write(r->mem, VQ_BASE(q) + 0x1000 + 4 + 2u * (r->avail[q] % VQS), b, 2);
    r->avail[q]++;
    uint8_t idx[2] = { (uint8_t)r->avail[q], (uint8_t)(r->avail[q] >> 8) };
    dma_write(r->mem, VQ_BASE(q) + 0x1000 + 2, idx, 2);
}

static uint32_t used_len(struct vnet_rig *r, int q, int slot, uint16_t *used_idx)
{
    uint8_t u[8], idx[2];
    dma_read(r->mem, VQ_BASE(q) + 0x2000 + 2, idx, 2);
    *used_idx = (uint16_t)(idx[0] | idx[1] << 8);
    dma_read(r->mem, VQ_BASE(q) + 0x2000 + 4 + 8u * slot, u, 8);
    return (uint32_t)u[4] | (uint32_t)u[5] << 8 | (uint32_t)u[6] << 16 | (uint32_t)u[7] << 24;
}

Test(virtio_net, transmit_and_receive)
{
    struct vnet_rig *r = vnet_up();
    /* transmit: header + 60-byte frame in two descriptors, as Linux may split it */
    uint8_t hdr[12] = { 0 }, frame[60];
    for (int i = 0; i < 60; i++)
        frame[i] = (uint8_t)(i * 7 + 1);
    dma_write(r->mem, 0x200000, hdr, 12);
    dma_write(r->mem, 0x201000, frame, 60);
    vq_desc(r, 1, 0, 0x200000, 12, VRING_DESC_F_NEXT, 1);
    vq_desc(r, 1, 1, 0x201000, 60, 0, 0);
    vq_offer(r, 1, 0);
    outw(r->h, VN_IO + 0x44, 1);                   /* notify transmitq1 */
    cr_assert_eq(r->cap.count, 1);
    cr_assert_eq(r->cap.len[0], 60);
    cr_assert_arr_eq(r->cap.frame[0], frame, 60);
    uint16_t uidx;
    cr_assert_eq(used_len(r, 1, 0, &uidx), 0);
    cr_assert_eq(uidx, 1);
    cr_assert_eq(inb(r->h, VN_IO + 0x40) & 1, 1, "ISR: used buffer");

    /* receive: nothing to receive into until the driver offers a buffer */
    cr_assert_not(r->n.port.can_receive(r->n.port.nic));
    vq_desc(r, 0, 0, 0x300000, 1526, VRING_DESC_F_WRITE, 0);
    vq_offer(r, 0, 0);
    cr_assert(r->n.port.can_receive(r->n.port.nic));
    r->n.port.receive(r->n.port.nic, frame, 60);
    cr_assert_eq(used_len(r, 0, 0, &uidx), 12 + 60);
    cr_assert_eq(uidx, 1);
    uint8_t got[72];
    dma_read(r->mem, 0x300000, got, 72);
    static const uint8_t want_hdr[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };  /* num_buffers 1 */
    cr_assert_arr_eq(got, want_hdr, 12);
    cr_assert_arr_eq(got + 12, frame, 60);
    cr_assert_not(r->n.port.can_receive(r->n.port.nic), "the one buffer is used");

    /* a buffer too small: the frame's first bytes, the length says so */
    vq_desc(r, 0, 1, 0x310000, 40, VRING_DESC_F_WRITE, 0);
    vq_offer(r, 0, 1);
    r->n.port.receive(r->n.port.nic, frame, 60);
    cr_assert_eq(used_len(r, 0, 1, &uidx), 40);
    cr_assert_eq(r->n.rx_short, 1);
    vnet_free(r);
}

Test(virtio_net, bad_transmit_chains_are_returned_unsent)
{
    struct vnet_rig *r = vnet_up();
    uint8_t hdr[12] = { 1 };                       /* NEEDS_CSUM, not negotiated */
    dma_write(r->mem, 0x200000, hdr, 12);
    vq_desc(r, 1, 0, 0x200000, 40, 0, 0);
    vq_desc(r, 1, 1, 0x200000, 8, 0, 0);          /* shorter than the header */
    vq_desc(r, 1, 2, 0x200000, 0x10000, 0, 0);    /* longer than a frame */
    /* the last guest byte onwards: DMA is bounded, the chain just too long */
    vq_desc(r, 1, 3, RAM - 16, 0xffffffffu, 0, 0);
    for (uint16_t i = 0; i < 4; i++)
        vq_offer(r, 1, i);
    outw(r->h, VN_IO + 0x44, 1);
    cr_assert_eq(r->cap.count, 0);
    cr_assert_eq(r->n.tx_bad, 4);
    uint16_t uidx;
    used_len(r, 1, 0, &uidx);
    cr_assert_eq(uidx, 4, "every chain given back");
    cr_assert_eq(inb(r->h, VN_IO + 0x14) & 0x40, 0, "not a ring error");
    vnet_free(r);
}

Test(virtio_net, malformed_rings_need_reset)
{
    static const struct { const char *what; int q; } cases[] = {
        { "transmit: avail idx 9 entries ahead of an 8-entry ring", 1 },
        { "receive: a head out of range", 0 },
        { "transmit: a descriptor loop", 1 },
    };
    for (int c = 0; c < 3; c++) {
        struct vnet_rig *r = vnet_up();
        uint8_t frame[60] = { 0 };
        if (c == 0) {
            uint8_t idx[2] = { 9, 0 };
            dma_write(r->mem, VQ_BASE(1) + 0x1000 + 2, idx, 2);
            outw(r->h, VN_IO + 0x44, 1);
        } else if (c == 1) {
            vq_offer(r, 0, 200);
            r->n.port.receive(r->n.port.nic, frame, 60);
        } else {
            vq_desc(r, 1, 0, 0x200000, 12, VRING_DESC_F_NEXT, 1);
            vq_desc(r, 1, 1, 0x200000, 12, VRING_DESC_F_NEXT, 0);
            vq_offer(r, 1, 0);
            outw(r->h, VN_IO + 0x44, 1);
        }
        cr_assert(inb(r->h, VN_IO + 0x14) & 0x40, "%s: DEVICE_NEEDS_RESET", cases[c].what);
        cr_assert_eq(r->cap.count, 0, "%s", cases[c].what);
        cr_assert_not(r->n.port.can_receive(r->n.port.nic), "%s: stopped", cases[c].what);
        /* a driver reset brings it back */
        outb(r->h, VN_IO + 0x14, 0);
        cr_assert_eq(inb(r->h, VN_IO + 0x14), 0, "%s", cases[c].what);
        vnet_free(r);
    }
}
