/*
 * hostloop.c - the one host event loop (see hostloop.h): a poll() over the
 * watched fds and the sources' fds, bounded by the nearest host timer.
 */
#include "frontend/hostloop.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void hostloop_init(struct hostloop *l)
{
    memset(l, 0, sizeof(*l));
}

uint64_t hostloop_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int hostloop_watch_fd(struct hostloop *l, int fd, short events, hostloop_fd_fn fn, void *opaque)
{
    for (int i = 0; i < HOSTLOOP_MAX_WATCHES; i++) {
        struct hostloop_watch *w = &l->watch[i];
        if (!w->in_use) {
            *w = (struct hostloop_watch){ .in_use = true, .fd = fd, .events = events,
                                          .fn = fn, .opaque = opaque };
            return i;
        }
    }
    return -1;
}

void hostloop_set_events(struct hostloop *l, int id, short events)
{
    if (id >= 0 && id < HOSTLOOP_MAX_WATCHES && l->watch[id].in_use)
        l->watch[id].events = events;
}

void hostloop_unwatch(struct hostloop *l, int id)
{
    if (id >= 0 && id < HOSTLOOP_MAX_WATCHES)
        l->watch[id].in_use = false;
}

int hostloop_add_source(struct hostloop *l, hostloop_fill_fn fill, hostloop_dispatch_fn dispatch,
                        void *opaque)
{
    for (int i = 0; i < HOSTLOOP_MAX_SOURCES; i++) {
        struct hostloop_source *s = &l->source[i];
        if (!s->in_use) {
            *s = (struct hostloop_source){ .in_use = true, .fill = fill, .dispatch = dispatch,
                                           .opaque = opaque };
            return i;
        }
    }
    return -1;
}

void hostloop_remove_source(struct hostloop *l, int id)
{
    if (id >= 0 && id < HOSTLOOP_MAX_SOURCES)
        l->source[id].in_use = false;
}

int hostloop_timer_new(struct hostloop *l, hostloop_timer_fn fn, void *opaque)
{
    for (int i = 0; i < HOSTLOOP_MAX_TIMERS; i++) {
        struct hostloop_timer *t = &l->timer[i];
        if (!t->in_use) {
            *t = (struct hostloop_timer){ .in_use = true, .deadline_ns = HOSTLOOP_NEVER,
                                          .fn = fn, .opaque = opaque };
            return i;
        }
    }
    return -1;
}

void hostloop_timer_arm(struct hostloop *l, int id, uint64_t deadline_ns)
{
    if (id >= 0 && id < HOSTLOOP_MAX_TIMERS && l->timer[id].in_use)
        l->timer[id].deadline_ns = deadline_ns;
}

void hostloop_timer_disarm(struct hostloop *l, int id)
{
    hostloop_timer_arm(l, id, HOSTLOOP_NEVER);
}

void hostloop_timer_free(struct hostloop *l, int id)
{
    if (id >= 0 && id < HOSTLOOP_MAX_TIMERS)
        l->timer[id].in_use = false;
}

/* Shorten *timeout_ms to the nearest armed timer (rounded up to a whole ms,
 * so a wake-up is never early). */
static void bound_by_timers(const struct hostloop *l, int *timeout_ms, uint64_t now)
{
    for (int i = 0; i < HOSTLOOP_MAX_TIMERS; i++) {
        const struct hostloop_timer *t = &l->timer[i];
        if (!t->in_use || t->deadline_ns == HOSTLOOP_NEVER)
            continue;
        uint64_t left = t->deadline_ns > now ? t->deadline_ns - now : 0;
        uint64_t ms = (left + 999999u) / 1000000u;
        if (ms > 0x7fffffff)
            ms = 0x7fffffff;
        if (*timeout_ms < 0 || (uint64_t)*timeout_ms > ms)
            *timeout_ms = (int)ms;
    }
}

static int run_timers(struct hostloop *l)
{
    int fired = 0;
    uint64_t now = hostloop_now_ns();
    for (int i = 0; i < HOSTLOOP_MAX_TIMERS; i++) {
        struct hostloop_timer *t = &l->timer[i];
        if (t->in_use && t->deadline_ns != HOSTLOOP_NEVER && t->deadline_ns <= now) {
            t->deadline_ns = HOSTLOOP_NEVER;    /* one-shot: the callback re-arms */
            t->fn(t->opaque);
            fired++;
        }
    }
    return fired;
}

int hostloop_run(struct hostloop *l, int timeout_ms)
{
    int n = 0;
    int watch_at[HOSTLOOP_MAX_WATCHES];
    for (int i = 0; i < HOSTLOOP_MAX_WATCHES; i++) {
        struct hostloop_watch *w = &l->watch[i];
        watch_at[i] = -1;
        if (w->in_use && w->events && w->fd >= 0 && n < HOSTLOOP_MAX_FDS) {
            watch_at[i] = n;
            l->fds[n++] = (struct pollfd){ .fd = w->fd, .events = w->events };
        }
    }
    for (int i = 0; i < HOSTLOOP_MAX_SOURCES; i++) {
        struct hostloop_source *s = &l->source[i];
        if (!s->in_use)
            continue;
        s->first = n;
        s->count = s->fill(s->opaque, l->fds + n, HOSTLOOP_MAX_FDS - n, &timeout_ms);
        n += s->count;
    }
    bound_by_timers(l, &timeout_ms, hostloop_now_ns());
    l->polls++;
    int ready = poll(l->fds, (nfds_t)n, timeout_ms);
    if (ready < 0) {
        ready = 0;                      /* EINTR (a signal): nothing is ready */
        for (int i = 0; i < n; i++)
            l->fds[i].revents = 0;
    }
    for (int i = 0; i < HOSTLOOP_MAX_WATCHES; i++) {
        struct hostloop_watch *w = &l->watch[i];
        int at = watch_at[i];
        /* in_use again: an earlier callback may have removed this watch */
        if (at >= 0 && w->in_use && l->fds[at].revents)
            w->fn(w->opaque, l->fds[at].fd, l->fds[at].revents);
    }
    for (int i = 0; i < HOSTLOOP_MAX_SOURCES; i++) {
        struct hostloop_source *s = &l->source[i];
        if (s->in_use)
            s->dispatch(s->opaque, l->fds + s->first, ready > 0 ? s->count : 0);
    }
    int fired = run_timers(l);
    l->events += (uint64_t)ready + (uint64_t)fired;
    return ready + fired;
}
