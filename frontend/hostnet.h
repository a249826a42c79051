/*
 * hostnet.h - the host side of the network cards: opens each -netdev
 * backend (devices/net/user.h, socket.h), plugs it into its card's port,
 * puts its file descriptors and timers on the host event loop
 * (frontend/hostloop.h), and queues what it receives for the guest.
 *
 * Frames from the host never reach a card directly: the backend's deliver
 * callback (run inside the event loop, or inside slirp_input while the
 * guest transmits) only queues them; hostnet_feed(), called from the one
 * input path host_feed() at a slice boundary, hands them to the card as far
 * as it can take them. A backend whose queue is half full is not polled,
 * so the host side of the connection waits instead of frames being dropped.
 */
#ifndef SOFTVM_FRONTEND_HOSTNET_H
#define SOFTVM_FRONTEND_HOSTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/machine/machine.h"
#include "frontend/hostloop.h"

#define HOSTNET_QUEUE 256            /* frames waiting for one card */

struct hostnet_frame {
    uint8_t *data;
    size_t len;
};

struct hostnet_link {
    struct net_backend *backend;     /* NULL: the card's cable is unplugged */
    struct net_port *port;           /* NULL: a backend with no card */
    int card;                        /* the card's index (-nic/-device order), or -1 */
    struct hostnet_frame queue[HOSTNET_QUEUE];
    unsigned head, count;
    uint64_t dropped;                /* queue full */
    int source;                      /* hostloop source id */
};

struct hostnet {
    struct hostnet_link link[VM_MAX_NETDEV];
    int nlinks;
};

/* Open the backends of m->opt and cable them to the machine's cards.
 * 0, or prints why on stderr and returns -1 (hostnet_close cleans up). */
int hostnet_open(struct hostnet *n, struct machine *m, struct hostloop *loop);
void hostnet_close(struct hostnet *n, struct hostloop *loop);
bool hostnet_active(const struct hostnet *n);   /* any backend is open */
bool hostnet_pending(const struct hostnet *n);  /* frames wait for a card */

/* Called for each frame handed to a card (the record/replay hook). */
typedef void (*hostnet_fed_fn)(void *opaque, int card, const uint8_t *frame, size_t len);
/* Give queued frames to the cards as far as they take them. */
void hostnet_feed(struct hostnet *n, hostnet_fed_fn fed, void *opaque);

#endif
