/*
 * qmp.h - the QEMU Machine Protocol monitor (QEMU's docs/interop/qmp-spec
 * and the qapi schema): JSON over UNIX or TCP sockets, so QEMU's tools and
 * scripts can steer softvm unchanged.
 *
 * A session gets QEMU's greeting, must negotiate with qmp_capabilities
 * before any other command (CommandNotFound otherwise), and then sends
 * {"execute": NAME, "arguments": {...}, "id": ANY} and gets {"return": ...}
 * or {"error": {"class": ..., "desc": ...}} with the id echoed. Events
 * (STOP, RESUME, RESET, POWERDOWN, SHUTDOWN) go to every negotiated session
 * with a host wall-clock timestamp, as QEMU's do.
 *
 * The protocol core is independent of the transport: qmp_session_input
 * takes bytes and appends the reply bytes to the session's output buffer,
 * so it is unit-tested (and fuzzed through json.h) without sockets. The
 * sockets are polled by the host side (frontend/host.c) at slice
 * boundaries. Commands that change what the guest sees (system_reset,
 * system_powerdown, quit) are host inputs: they are queued on the host
 * side and applied at a slice boundary (host_vm_request), like typed keys.
 */
#ifndef SOFTVM_FRONTEND_QMP_H
#define SOFTVM_FRONTEND_QMP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/json.h"

struct machine;

#define QMP_MAX_LISTENERS 4
#define QMP_MAX_SESSIONS 16
#define QMP_OUT_MAX (8u << 20)   /* unsent bytes before a non-reading client is dropped */

/* -qmp unix:PATH[,server=on][,wait=off] or tcp:HOST:PORT[,...]. */
struct qmp_spec {
    bool tcp;
    char path[108];              /* unix: the socket path (sun_path) */
    char host[64];               /* tcp: an IPv4 address or "localhost" */
    uint16_t port;
    bool wait;                   /* wait=on: block at start until a client connects */
};
/* Parse a -qmp argument; false with a reason in err. */
bool qmp_parse_spec(const char *arg, struct qmp_spec *spec, char *err, size_t err_size);

struct qmp_session {
    int fd;                      /* the connection, or -1 (a test feeds bytes) */
    bool negotiated;             /* qmp_capabilities accepted */
    bool closing;                /* close once the output is sent */
    struct json_splitter sp;
    struct strbuf out;           /* reply and event bytes not yet sent */
};

struct qmp_listener {
    int fd;
    char unix_path[108];         /* unlinked at close; "" for TCP */
};

struct qmp_server {
    struct machine *m;
    struct qmp_listener lis[QMP_MAX_LISTENERS];
    int n_lis;
    struct qmp_session *sess[QMP_MAX_SESSIONS];
};

void qmp_server_init(struct qmp_server *srv, struct machine *m);
/* Listen as spec says (the path is removed first if it is a stale socket).
 * 0, or -1 with a reason in err. */
int qmp_server_listen(struct qmp_server *srv, const struct qmp_spec *spec, char *err,
                      size_t err_size);
/* A new session on fd (-1: in-memory, for tests); its output starts with
 * the greeting. NULL if the table is full. */
struct qmp_session *qmp_server_add_session(struct qmp_server *srv, int fd);
/* Feed bytes a client sent; replies go to s->out. */
void qmp_session_input(struct qmp_server *srv, struct qmp_session *s, const uint8_t *data,
                       size_t n);
/* Send an event to every negotiated session (data may be NULL; owned). */
void qmp_server_event(struct qmp_server *srv, const char *name, struct json *data);

/* Sockets: the fds to poll (listeners and sessions; returns how many were
 * written, at most max), then serve what poll reported. */
int qmp_server_pollfds(const struct qmp_server *srv, struct pollfd *pfd, int max);
void qmp_server_service(struct qmp_server *srv, const struct pollfd *pfd, int n);
/* Push pending output to the sockets (without blocking on a slow client,
 * unless final). */
void qmp_server_flush(struct qmp_server *srv, bool final);
bool qmp_server_active(const struct qmp_server *srv);   /* anything listening or connected */
/* Block until a client connects to a listener (wait=on). */
void qmp_server_wait_client(struct qmp_server *srv);
void qmp_server_close(struct qmp_server *srv);

#endif
