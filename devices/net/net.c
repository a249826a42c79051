/*
 * net.c - helpers shared by the NICs and backends. See net.h.
 */
#include "devices/net/net.h"
#include "devices/vmstate.h"

#include <ctype.h>

bool net_parse_mac(const char *s, uint8_t mac[NET_MAC_LEN])
{
    for (int i = 0; i < NET_MAC_LEN; i++) {
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
            return false;
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = (char)tolower((unsigned char)s[k]);
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        mac[i] = (uint8_t)v;
        s += 2;
        if (i < NET_MAC_LEN - 1) {
            if (*s != ':' && *s != '-')
                return false;
            s++;
        }
    }
    return *s == '\0';
}

/* The Ethernet CRC-32 register as the MAC's hash filters see it (the form
 * Linux calls ether_crc): bits fed LSB first into an MSB-first register,
 * polynomial 0x04C11DB7, initial value all-ones, no final inversion
 * (IEEE 802.3 clause 3.2.9). */
uint32_t net_crc32_be(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        uint8_t octet = p[i];
        for (int b = 0; b < 8; b++, octet >>= 1) {
            uint32_t in = ((crc >> 31) ^ octet) & 1;
            crc = (crc << 1) ^ (in ? 0x04c11db7u : 0);
        }
    }
    return crc;
}

uint32_t net_crc32_le(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return crc;
}

/* --- saved state (devices/vmstate.h) --- */

/* The cable end: the MAC is the card's config; the peer, the callbacks and
 * the host-side counter are wiring. */
#define P struct net_port
static const struct vms_field net_port_fields[] = {
    VMS_CA(P, mac), VMS_W(P, can_receive), VMS_W(P, receive), VMS_W(P, nic), VMS_W(P, peer),
    VMS_W(P, tx_frames),
};
#undef P
const struct vms_desc net_port_vmstate = { VMS_DESC(struct net_port, "net_port", 1, net_port_fields) };
