/*
 * hostloop.h - the one host event loop of a softvm process: every host file
 * descriptor (the terminal, the gdb stub's sockets, libslirp's sockets, the
 * socket netdev, later QMP and the display) and every host timer is waited
 * on by one poll() here, instead of each component polling its own.
 *
 * A component registers
 *   - a file descriptor: hostloop_watch_fd(), with a callback run when
 *     poll() reports it ready (change the events with hostloop_set_events,
 *     remove it with hostloop_unwatch);
 *   - a source with a changing fd set (libslirp): hostloop_add_source(),
 *     whose fill() adds its pollfds and may shorten the timeout before each
 *     poll, and whose dispatch() reads the results;
 *   - a host timer: hostloop_timer_new() + hostloop_timer_arm() with a
 *     deadline on the host's CLOCK_MONOTONIC (hostloop_now_ns()).
 * Callbacks run inside hostloop_run(), never from a signal or a thread.
 *
 * Host timers and fds are host time: nothing the guest sees may depend on
 * them directly. Whatever a callback gets for the guest (typed bytes, a
 * received frame) must be queued and enter the guest only through the
 * host input path, host_feed() (frontend/host.h), at a slice boundary,
 * where record/replay can log it with the instruction count.
 */
#ifndef SOFTVM_FRONTEND_HOSTLOOP_H
#define SOFTVM_FRONTEND_HOSTLOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define HOSTLOOP_MAX_FDS 128      /* pollfds in one poll() */
#define HOSTLOOP_MAX_WATCHES 32
#define HOSTLOOP_MAX_SOURCES 8
#define HOSTLOOP_MAX_TIMERS 32
#define HOSTLOOP_NEVER UINT64_MAX

typedef void (*hostloop_fd_fn)(void *opaque, int fd, short revents);
typedef void (*hostloop_timer_fn)(void *opaque);
/* Add up to max pollfds to fds (returns how many); *timeout_ms may only
 * shrink (-1: no limit). */
typedef int (*hostloop_fill_fn)(void *opaque, struct pollfd *fds, int max, int *timeout_ms);
/* What fill() added, revents set (n is 0 after a failed poll). */
typedef void (*hostloop_dispatch_fn)(void *opaque, struct pollfd *fds, int n);

struct hostloop_watch {
    bool in_use;
    int fd;
    short events;
    hostloop_fd_fn fn;
    void *opaque;
};

struct hostloop_source {
    bool in_use;
    hostloop_fill_fn fill;
    hostloop_dispatch_fn dispatch;
    void *opaque;
    int first, count;             /* its pollfds in the current round */
};

struct hostloop_timer {
    bool in_use;
    uint64_t deadline_ns;         /* HOSTLOOP_NEVER: disarmed */
    hostloop_timer_fn fn;
    void *opaque;
};

struct hostloop {
    struct hostloop_watch watch[HOSTLOOP_MAX_WATCHES];
    struct hostloop_source source[HOSTLOOP_MAX_SOURCES];
    struct hostloop_timer timer[HOSTLOOP_MAX_TIMERS];
    struct pollfd fds[HOSTLOOP_MAX_FDS];
    uint64_t polls, events;       /* statistics */
};

void hostloop_init(struct hostloop *l);
uint64_t hostloop_now_ns(void);   /* CLOCK_MONOTONIC */

/* Returns an id >= 0, or -1 when the table is full. */
int hostloop_watch_fd(struct hostloop *l, int fd, short events, hostloop_fd_fn fn, void *opaque);
void hostloop_set_events(struct hostloop *l, int id, short events);   /* 0: not polled */
void hostloop_unwatch(struct hostloop *l, int id);

int hostloop_add_source(struct hostloop *l, hostloop_fill_fn fill, hostloop_dispatch_fn dispatch,
                        void *opaque);
void hostloop_remove_source(struct hostloop *l, int id);

int hostloop_timer_new(struct hostloop *l, hostloop_timer_fn fn, void *opaque);
void hostloop_timer_arm(struct hostloop *l, int id, uint64_t deadline_ns);
void hostloop_timer_disarm(struct hostloop *l, int id);
void hostloop_timer_free(struct hostloop *l, int id);

/* One round: poll every fd for at most timeout_ms (0: just look, -1: until
 * something happens; shortened to the next timer), run the callbacks of the
 * ready fds, the sources' dispatch and the expired timers. Returns how many
 * fds were ready plus how many timers fired. */
int hostloop_run(struct hostloop *l, int timeout_ms);

#endif
