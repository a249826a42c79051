/*
 * user.c - the libslirp backend. See user.h; libslirp's API is
 * /usr/include/slirp/libslirp.h (SlirpConfig version 4).
 */
#include "devices/net/user.h"

#include <arpa/inet.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USER_MAX_TIMERS 8

struct user_timer {
    bool in_use, armed;
    int64_t expire_ms;
    SlirpTimerId id;
    void *cb_opaque;
    SlirpTimerCb cb;              /* the older timer_new form */
};

struct net_user {
    struct net_backend b;
    Slirp *slirp;
    struct user_timer timers[USER_MAX_TIMERS];
    /* The poll set slirp is filling or reading. */
    struct pollfd *fds;
    int nfds, max;
};

static int64_t host_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return host_clock_ns();
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_user *u = opaque;
    net_backend_deliver(&u->b, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    (void)msg;                    /* a guest sending odd frames is not a host error */
}

static struct user_timer *new_timer(struct net_user *u)
{
    for (int i = 0; i < USER_MAX_TIMERS; i++)
        if (!u->timers[i].in_use) {
            memset(&u->timers[i], 0, sizeof(u->timers[i]));
            u->timers[i].in_use = true;
            return &u->timers[i];
        }
    return NULL;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct user_timer *t = new_timer(opaque);
    if (t) {
        t->cb = cb;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct user_timer *t = new_timer(opaque);
    if (t) {
        t->id = id;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    if (timer)
        ((struct user_timer *)timer)->in_use = false;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    struct user_timer *t = timer;
    if (t) {
        t->armed = true;
        t->expire_ms = expire_ms;
    }
}

static void cb_register_poll_fd(int fd, void *opaque) { (void)fd; (void)opaque; }
static void cb_unregister_poll_fd(int fd, void *opaque) { (void)fd; (void)opaque; }
static void cb_notify(void *opaque) { (void)opaque; }

static const SlirpCb user_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the backend ---------------------------------------------------------------- */

static void user_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
    struct net_user *u = (struct net_user *)b;
    slirp_input(u->slirp, frame, (int)len);
}

static int to_slirp_events(short ev)
{
    int e = 0;
    if (ev & POLLIN) e |= SLIRP_POLL_IN;
    if (ev & POLLOUT) e |= SLIRP_POLL_OUT;
    if (ev & POLLPRI) e |= SLIRP_POLL_PRI;
    if (ev & POLLERR) e |= SLIRP_POLL_ERR;
    if (ev & POLLHUP) e |= SLIRP_POLL_HUP;
    return e;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
    struct net_user *u = opaque;
    if (u->nfds >= u->max)
        return -1;                           /* no room this round: slirp retries next time */
    short ev = 0;
    if (events & SLIRP_POLL_IN) ev |= POLLIN;
    if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
    u->fds[u->nfds] = (struct pollfd){ .fd = fd, .events = ev };
    return u->nfds++;
}

static int cb_get_revents(int idx, void *opaque)
{
    struct net_user *u = opaque;
    if (idx < 0 || idx >= u->nfds)
        return 0;
    return to_slirp_events(u->fds[idx].revents);
}

static int user_fill(struct net_backend *b, struct pollfd *fds, int max, int *timeout_ms)
{
    struct net_user *u = (struct net_user *)b;
    uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
    u->fds = fds;
    u->nfds = 0;
    u->max = max;
    slirp_pollfds_fill(u->slirp, &t, cb_add_poll, u);
    int64_t now_ms = host_clock_ns() / 1000000;
    for (int i = 0; i < USER_MAX_TIMERS; i++) {
        struct user_timer *tm = &u->timers[i];
        if (tm->in_use && tm->armed) {
            int64_t left = tm->expire_ms - now_ms;
            if (left < 0)
                left = 0;
            if ((uint64_t)left < t)
                t = (uint32_t)left;
        }
    }
    *timeout_ms = t == UINT32_MAX ? -1 : (int)(t > 0x7fffffff ? 0x7fffffff : t);
    return u->nfds;
}

static void user_dispatch(struct net_backend *b, struct pollfd *fds, int n)
{
    struct net_user *u = (struct net_user *)b;
    u->fds = fds;
    u->nfds = n;
    slirp_pollfds_poll(u->slirp, 0, cb_get_revents, u);
    int64_t now_ms = host_clock_ns() / 1000000;
    for (int i = 0; i < USER_MAX_TIMERS; i++) {
        struct user_timer *tm = &u->timers[i];
        if (tm->in_use && tm->armed && tm->expire_ms <= now_ms) {
            tm->armed = false;
            if (tm->cb)
                tm->cb(tm->cb_opaque);
            else
                slirp_handle_timer(u->slirp, tm->id, tm->cb_opaque);
        }
    }
}

static void user_destroy(struct net_backend *b)
{
    struct net_user *u = (struct net_user *)b;
    if (u->slirp)
        slirp_cleanup(u->slirp);
    free(u);
}

static const struct net_backend_ops user_ops = {
    .kind = "user",
    .send = user_send,
    .fill = user_fill,
    .dispatch = user_dispatch,
    .destroy = user_destroy,
};

static struct in_addr ip4(uint32_t host_order)
{
    struct in_addr a = { .s_addr = htonl(host_order) };
    return a;
}

#define USER_NET       0x0a000200u    /* 10.0.2.0 */
#define USER_MASK      0xffffff00u
#define USER_HOST      0x0a000202u    /* 10.0.2.2 */
#define USER_DNS       0x0a000203u    /* 10.0.2.3 */
#define USER_DHCP_FIRST 0x0a00020fu   /* 10.0.2.15 */

struct net_backend *net_user_create(const char *id, const struct net_user_config *cfg,
                                    char *err, size_t err_size)
{
    struct net_user *u = calloc(1, sizeof(*u));
    if (!u) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    u->b.ops = &user_ops;
    snprintf(u->b.id, sizeof(u->b.id), "%s", id ? id : "");

    SlirpConfig sc;
    memset(&sc, 0, sizeof(sc));
    sc.version = 4;
    sc.restricted = cfg->restrict_on;
    sc.in_enabled = true;
    sc.vnetwork = ip4(USER_NET);
    sc.vnetmask = ip4(USER_MASK);
    sc.vhost = ip4(USER_HOST);
    sc.in6_enabled = false;
    sc.vhostname = "softvm";
    sc.vdhcp_start = ip4(USER_DHCP_FIRST);
    sc.vnameserver = ip4(USER_DNS);
    sc.if_mtu = 1500;
    sc.if_mru = 1500;
    sc.disable_dns = !cfg->dns;
    u->slirp = slirp_new(&sc, &user_callbacks, u);
    if (!u->slirp) {
        snprintf(err, err_size, "libslirp could not start");
        free(u);
        return NULL;
    }
    for (int i = 0; i < cfg->nfwd; i++) {
        const struct net_user_fwd *f = &cfg->fwd[i];
        uint32_t guest = f->guest_addr ? f->guest_addr : USER_DHCP_FIRST;
        if (slirp_add_hostfwd(u->slirp, f->udp, ip4(f->host_addr), f->host_port, ip4(guest),
                              f->guest_port) < 0) {
            snprintf(err, err_size, "hostfwd %s port %u: cannot listen on the host "
                     "(port in use?)", f->udp ? "udp" : "tcp", f->host_port);
            user_destroy(&u->b);
            return NULL;
        }
    }
    return &u->b;
}
