/*
 * gdb_packet.c - the framing layer of the GDB remote serial protocol
 * (GDB manual E.1 "Overview"): "$payload#cs" with a modulo-256 checksum in
 * two hex digits, '}' escapes (the next byte XOR 0x20), '+'/'-'
 * acknowledgements and a bare 0x03 for Ctrl-C.
 *
 * The parser takes one byte at a time and never trusts the peer: payloads
 * longer than GDB_PACKET_MAX are swallowed and answered '-', a bad checksum
 * is answered '-', and a '$' inside a packet starts over (resynchronising
 * after garbage). It touches nothing but struct gdb_rx.
 */
#include "frontend/gdbstub.h"

#include <stdio.h>

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void gdb_rx_init(struct gdb_rx *rx)
{
    rx->state = GDB_RX_IDLE;
    rx->len = 0;
    rx->overflow = false;
    rx->sum = 0;
    rx->want = 0;
    rx->buf[0] = '\0';
}

static void start_packet(struct gdb_rx *rx)
{
    rx->state = GDB_RX_DATA;
    rx->len = 0;
    rx->overflow = false;
    rx->sum = 0;
}

static void append(struct gdb_rx *rx, uint8_t b)
{
    if (rx->len < GDB_PACKET_MAX)
        rx->buf[rx->len++] = b;
    else
        rx->overflow = true;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t b)
{
    int h;
    switch (rx->state) {
    case GDB_RX_IDLE:
        if (b == '$') {
            start_packet(rx);
            return GDB_RX_NONE;
        }
        if (b == 0x03)
            return GDB_RX_INTERRUPT;
        if (b == '+')
            return GDB_RX_ACK;
        if (b == '-')
            return GDB_RX_NAK;
        return GDB_RX_NONE;            /* noise between packets */
    case GDB_RX_DATA:
        if (b == '$') {                /* a new packet: the old one was cut */
            start_packet(rx);
            return GDB_RX_NONE;
        }
        if (b == '#') {
            rx->state = GDB_RX_CSUM1;
            return GDB_RX_NONE;
        }
        rx->sum = (uint8_t)(rx->sum + b);
        if (b == '}')
            rx->state = GDB_RX_ESC;
        else
            append(rx, b);
        return GDB_RX_NONE;
    case GDB_RX_ESC:
        rx->sum = (uint8_t)(rx->sum + b);
        append(rx, b ^ 0x20);
        rx->state = GDB_RX_DATA;
        return GDB_RX_NONE;
    case GDB_RX_CSUM1:
        h = hex_value(b);
        if (h < 0) {
            rx->state = GDB_RX_IDLE;
            return GDB_RX_BADSUM;
        }
        rx->want = (uint8_t)(h << 4);
        rx->state = GDB_RX_CSUM2;
        return GDB_RX_NONE;
    case GDB_RX_CSUM2:
        rx->state = GDB_RX_IDLE;
        h = hex_value(b);
        if (h < 0 || rx->overflow || (uint8_t)(rx->want | h) != rx->sum)
            return GDB_RX_BADSUM;
        rx->buf[rx->len] = '\0';
        return GDB_RX_PACKET;
    }
    rx->state = GDB_RX_IDLE;
    return GDB_RX_NONE;
}

size_t gdb_frame(const uint8_t *payload, size_t len, char *out, size_t out_size)
{
    static const char hexd[] = "0123456789abcdef";
    size_t o = 0;
    uint8_t sum = 0;
    if (out_size < 5)
        return 0;
    out[o++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t b = payload[i];
        bool esc = b == '$' || b == '#' || b == '}' || b == '*';
        if (o + (esc ? 2 : 1) + 3 >= out_size)
            return 0;
        if (esc) {
            out[o++] = '}';
            sum = (uint8_t)(sum + '}');
            b ^= 0x20;
        }
        out[o++] = (char)b;
        sum = (uint8_t)(sum + b);
    }
    out[o++] = '#';
    out[o++] = hexd[sum >> 4];
    out[o++] = hexd[sum & 15];
    out[o] = '\0';
    return o;
}
