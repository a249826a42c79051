/*
 * hostnet.c - the network backends on the host side (see hostnet.h).
 */
#include "frontend/hostnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/net/socket.h"
#include "devices/net/user.h"

/* deliver callback of a backend: queue the frame for the card. */
static void link_deliver(void *opaque, const uint8_t *frame, size_t len)
{
    struct hostnet_link *l = opaque;
    if (!l->port || l->count >= HOSTNET_QUEUE) {
        l->dropped++;                           /* no card, or it cannot keep up */
        return;
    }
    uint8_t *copy = malloc(len);
    if (!copy) {
        l->dropped++;
        return;
    }
    memcpy(copy, frame, len);
    struct hostnet_frame *f = &l->queue[(l->head + l->count++) % HOSTNET_QUEUE];
    f->data = copy;
    f->len = len;
}

/* The backend as an event-loop source; not polled while its card is behind. */
static int link_fill(void *opaque, struct pollfd *fds, int max, int *timeout_ms)
{
    struct hostnet_link *l = opaque;
    if (l->count >= HOSTNET_QUEUE / 2)
        return 0;
    return l->backend->ops->fill(l->backend, fds, max, timeout_ms);
}

static void link_dispatch(void *opaque, struct pollfd *fds, int n)
{
    struct hostnet_link *l = opaque;
    l->backend->ops->dispatch(l->backend, fds, n);
}

static struct net_backend *open_backend(const struct vm_netdev *nd, char *err, size_t size)
{
    if (nd->kind == VM_NETDEV_USER)
        return net_user_create(nd->id, &nd->user, err, size);
    return net_socket_create(nd->id, &nd->socket, err, size);
}

int hostnet_open(struct hostnet *n, struct machine *m, struct hostloop *loop)
{
    memset(n, 0, sizeof(*n));
    for (int i = 0; i < m->opt.netdev_count; i++) {
        const struct vm_netdev *nd = &m->opt.netdev[i];
        struct hostnet_link *l = &n->link[n->nlinks++];
        l->card = -1;
        l->source = -1;
        for (int c = 0; c < m->opt.nic_count && c < m->dev.nnic; c++)
            if (!strcmp(m->opt.nic[c].netdev, nd->id))
                l->card = c;
        char err[256] = "";
        l->backend = open_backend(nd, err, sizeof(err));
        if (!l->backend) {
            fprintf(stderr, "softvm: -netdev %s,id=%s: %s\n",
                    nd->kind == VM_NETDEV_USER ? "user" : "socket",
                    nd->id[0] == '_' ? "(-nic)" : nd->id, err);
            return -1;
        }
        if (l->card < 0)
            fprintf(stderr, "softvm: warning: netdev %s has no network card\n", nd->id);
        else
            l->port = m->dev.nic_port[l->card];
        l->backend->deliver = link_deliver;
        l->backend->deliver_opaque = l;
        l->source = hostloop_add_source(loop, link_fill, link_dispatch, l);
        if (l->source < 0) {
            fprintf(stderr, "softvm: too many network backends for the event loop\n");
            return -1;
        }
        if (l->port)
            l->port->peer = l->backend;         /* the cable: guest -> host from now on */
    }
    return 0;
}

void hostnet_close(struct hostnet *n, struct hostloop *loop)
{
    for (int i = 0; i < n->nlinks; i++) {
        struct hostnet_link *l = &n->link[i];
        if (l->port)
            l->port->peer = NULL;
        if (l->source >= 0)
            hostloop_remove_source(loop, l->source);
        if (l->backend)
            l->backend->ops->destroy(l->backend);
        for (unsigned k = 0; k < l->count; k++)
            free(l->queue[(l->head + k) % HOSTNET_QUEUE].data);
    }
    n->nlinks = 0;
}

bool hostnet_active(const struct hostnet *n)
{
    return n->nlinks > 0;
}

bool hostnet_pending(const struct hostnet *n)
{
    for (int i = 0; i < n->nlinks; i++)
        if (n->link[i].count)
            return true;
    return false;
}

void hostnet_feed(struct hostnet *n, hostnet_fed_fn fed, void *opaque)
{
    for (int i = 0; i < n->nlinks; i++) {
        struct hostnet_link *l = &n->link[i];
        while (l->count && l->port->can_receive(l->port->nic)) {
            struct hostnet_frame *f = &l->queue[l->head];
            if (fed)
                fed(opaque, l->card, f->data, f->len);
            l->port->receive(l->port->nic, f->data, f->len);
            free(f->data);
            l->head = (l->head + 1) % HOSTNET_QUEUE;
            l->count--;
        }
    }
}
