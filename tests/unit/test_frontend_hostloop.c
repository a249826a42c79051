/* test_frontend_hostloop.c - the one host event loop: fd watches, sources
 * with a changing fd set, host timers (frontend/hostloop.h); pipes as fds,
 * CLOCK_MONOTONIC as the oracle for timer waits. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>
#include "frontend/hostloop.h"

struct seen { int calls; int fd; short revents; char buf[16]; };

static void on_fd(void *opaque, int fd, short revents)
{
    struct seen *s = opaque;
    s->calls++;
    s->fd = fd;
    s->revents = revents;
    ssize_t n = read(fd, s->buf, sizeof(s->buf) - 1);
    if (n > 0)
        s->buf[n] = 0;
}

Test(hostloop, watched_fd_ready_and_idle)
{
    static struct hostloop l;
    hostloop_init(&l);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    struct seen s = { 0 };
    int id = hostloop_watch_fd(&l, p[0], POLLIN, on_fd, &s);
    cr_assert_geq(id, 0);
    cr_assert_eq(hostloop_run(&l, 0), 0, "nothing written yet");
    cr_assert_eq(s.calls, 0);
    cr_assert_eq(write(p[1], "abc", 3), 3);
    cr_assert_eq(hostloop_run(&l, -1), 1);
    cr_assert_eq(s.calls, 1);
    cr_assert_eq(s.fd, p[0]);
    cr_assert(s.revents & POLLIN);
    cr_assert_str_eq(s.buf, "abc");
    /* events 0: not polled even when readable */
    cr_assert_eq(write(p[1], "d", 1), 1);
    hostloop_set_events(&l, id, 0);
    cr_assert_eq(hostloop_run(&l, 0), 0);
    hostloop_set_events(&l, id, POLLIN);
    cr_assert_eq(hostloop_run(&l, 0), 1);
    cr_assert_str_eq(s.buf, "d");
    hostloop_unwatch(&l, id);
    cr_assert_eq(write(p[1], "e", 1), 1);
    cr_assert_eq(hostloop_run(&l, 0), 0);
    cr_assert_eq(s.calls, 2);
    close(p[0]);
    close(p[1]);
}

struct tick { int fired; uint64_t at; };

static void on_timer(void *opaque)
{
    struct tick *t = opaque;
    t->fired++;
    t->at = hostloop_now_ns();
}

Test(hostloop, timer_bounds_the_wait_and_fires_once)
{
    static struct hostloop l;
    hostloop_init(&l);
    struct tick t = { 0 };
    int id = hostloop_timer_new(&l, on_timer, &t);
    cr_assert_geq(id, 0);
    uint64_t start = hostloop_now_ns();
    hostloop_timer_arm(&l, id, start + 30000000u);     /* 30 ms */
    /* -1 would block forever without the timer */
    while (!t.fired)
        hostloop_run(&l, -1);
    cr_assert_eq(t.fired, 1);
    cr_assert_geq(t.at - start, 30000000u, "never early");
    cr_assert_eq(hostloop_run(&l, 0), 0, "one-shot");
    cr_assert_eq(t.fired, 1);
    hostloop_timer_arm(&l, id, hostloop_now_ns() + 1000000000u);
    hostloop_timer_disarm(&l, id);
    cr_assert_eq(hostloop_run(&l, 0), 0);
    hostloop_timer_free(&l, id);
    cr_assert_eq(t.fired, 1);
}

/* A source that adds one pipe end, shortens the timeout, and counts dispatches. */
struct src { int fd; int fills, dispatches, last_n; short revents; int want_timeout; };

static int src_fill(void *opaque, struct pollfd *fds, int max, int *timeout_ms)
{
    struct src *s = opaque;
    s->fills++;
    if (*timeout_ms < 0 || *timeout_ms > s->want_timeout)
        *timeout_ms = s->want_timeout;
    if (max < 1)
        return 0;
    fds[0] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
    return 1;
}

static void src_dispatch(void *opaque, struct pollfd *fds, int n)
{
    struct src *s = opaque;
    s->dispatches++;
    s->last_n = n;
    s->revents = n ? fds[0].revents : 0;
}

Test(hostloop, source_fill_and_dispatch)
{
    static struct hostloop l;
    hostloop_init(&l);
    int p[2], q[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(pipe(q), 0);
    struct seen w = { 0 };
    cr_assert_geq(hostloop_watch_fd(&l, q[0], POLLIN, on_fd, &w), 0);
    struct src s = { .fd = p[0], .want_timeout = 20 };
    int id = hostloop_add_source(&l, src_fill, src_dispatch, &s);
    cr_assert_geq(id, 0);
    uint64_t t0 = hostloop_now_ns();
    cr_assert_eq(hostloop_run(&l, -1), 0, "the source's 20 ms timeout ends the wait");
    cr_assert_geq(hostloop_now_ns() - t0, 20000000u);
    cr_assert_eq(s.fills, 1);
    cr_assert_eq(s.dispatches, 1);
    cr_assert_eq(s.last_n, 0, "n is 0 when nothing was ready");
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(hostloop_run(&l, -1), 1);
    cr_assert_eq(s.last_n, 1);
    cr_assert(s.revents & POLLIN);
    cr_assert_eq(w.calls, 0, "the watched fd behind it was not ready");
    /* both at once */
    cr_assert_eq(write(q[1], "y", 1), 1);
    cr_assert_eq(hostloop_run(&l, 0), 2);
    cr_assert_eq(w.calls, 1);
    hostloop_remove_source(&l, id);
    cr_assert_eq(hostloop_run(&l, 0), 0);
    cr_assert_eq(s.dispatches, 3);
    for (int i = 0; i < 2; i++) {
        close(p[i]);
        close(q[i]);
    }
}

Test(hostloop, tables_fill_up)
{
    static struct hostloop l;
    hostloop_init(&l);
    struct seen s;
    for (int i = 0; i < HOSTLOOP_MAX_WATCHES; i++)
        cr_assert_eq(hostloop_watch_fd(&l, 0, POLLIN, on_fd, &s), i);
    cr_assert_eq(hostloop_watch_fd(&l, 0, POLLIN, on_fd, &s), -1);
    hostloop_unwatch(&l, 5);
    cr_assert_eq(hostloop_watch_fd(&l, 0, POLLIN, on_fd, &s), 5, "a freed slot is reused");
    struct tick t;
    for (int i = 0; i < HOSTLOOP_MAX_TIMERS; i++)
        cr_assert_geq(hostloop_timer_new(&l, on_timer, &t), 0);
    cr_assert_eq(hostloop_timer_new(&l, on_timer, &t), -1);
}
