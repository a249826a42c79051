/*
 * net.h - the link between a NIC model and a network backend.
 *
 * A NIC embeds a struct net_port and fills in can_receive/receive; the
 * machine connects the port to a backend (struct net_backend: libslirp user
 * networking, a socket to another softvm). Frames are whole Ethernet frames
 * without the FCS.
 *
 *   guest -> host: the NIC calls net_port_send(); the frame goes straight to
 *                  the backend (output needs no logging).
 *   host -> guest: a backend hands each frame it got from the host to its
 *                  `deliver` callback. The machine points that at its one
 *                  input path (frontend/hostinput.h), which queues the frame
 *                  and gives it to the NIC (receive) at a slice boundary, so
 *                  the guest sees host input only at instants a record/replay
 *                  log can name.
 *
 * Backends also take part in the host event loop: fill() adds the file
 * descriptors they wait on (struct pollfd from <poll.h>) and shortens the
 * timeout to their next host timer; dispatch() handles what poll() found.
 */
#ifndef SOFTVM_DEVICES_NET_NET_H
#define SOFTVM_DEVICES_NET_NET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_FRAME_MAX 65536          /* largest frame a backend passes (virtio-net GSO off: 1514) */
#define NET_MAC_LEN 6

struct net_backend;

struct net_backend_ops {
    const char *kind;                 /* "user", "socket" */
    /* A frame from the guest. */
    void (*send)(struct net_backend *b, const uint8_t *frame, size_t len);
    /* Add fds to fds[0..max) (returns how many); *timeout_ms may only shrink
     * (-1 = no limit). */
    int (*fill)(struct net_backend *b, struct pollfd *fds, int max, int *timeout_ms);
    /* fds/n: what fill() added, with revents set (n = 0 after a poll error). */
    void (*dispatch)(struct net_backend *b, struct pollfd *fds, int n);
    void (*destroy)(struct net_backend *b);
};

struct net_backend {
    const struct net_backend_ops *ops;
    char id[32];                      /* -netdev id= */
    /* Set by the machine: host -> guest frames enter the input path here. */
    void (*deliver)(void *opaque, const uint8_t *frame, size_t len);
    void *deliver_opaque;
};

/* A NIC's side of the link. */
struct net_port {
    uint8_t mac[NET_MAC_LEN];
    /* Set by the NIC. */
    bool (*can_receive)(void *nic);
    void (*receive)(void *nic, const uint8_t *frame, size_t len);
    void *nic;
    /* Set by the machine: the peer backend (NULL: the cable is unplugged). */
    struct net_backend *peer;
    uint64_t tx_frames;               /* frames the card sent (host-side statistics) */
};

static inline void net_port_send(struct net_port *p, const uint8_t *frame, size_t len)
{
    p->tx_frames++;
    if (p->peer && len > 0 && len <= NET_FRAME_MAX)
        p->peer->ops->send(p->peer, frame, len);
}

static inline void net_backend_deliver(struct net_backend *b, const uint8_t *frame, size_t len)
{
    if (b->deliver && len > 0 && len <= NET_FRAME_MAX)
        b->deliver(b->deliver_opaque, frame, len);
}

/* Parse "52:54:00:12:34:56". */
bool net_parse_mac(const char *s, uint8_t mac[NET_MAC_LEN]);

/* The Ethernet CRC-32 register, MSB-first (the DP8390 multicast hash). */
uint32_t net_crc32_be(const uint8_t *p, size_t len);
/* The same CRC, LSB-first (reflected): ~net_crc32_le() is the frame's FCS,
 * sent least significant byte first. */
uint32_t net_crc32_le(const uint8_t *p, size_t len);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc net_port_vmstate;

#endif
