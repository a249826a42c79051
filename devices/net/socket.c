/*
 * socket.c - the stream-socket backend. See socket.h.
 */
#include "devices/net/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCK_TXBUF (1u << 20)
#define SOCK_RXBUF (NET_FRAME_MAX + 4)

struct net_socket {
    struct net_backend b;
    int listen_fd, fd;            /* -1 when closed */
    char unix_path[256];          /* a listening UNIX socket to unlink at the end */
    uint8_t tx[SOCK_TXBUF];
    size_t tx_len;
    uint8_t rx[SOCK_RXBUF];
    size_t rx_len;
};

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void drop_peer(struct net_socket *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->tx_len = s->rx_len = 0;
}

static void flush_tx(struct net_socket *s)
{
    size_t done = 0;
    while (done < s->tx_len && s->fd >= 0) {
        ssize_t n = send(s->fd, s->tx + done, s->tx_len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            drop_peer(s);
            return;
        }
        done += (size_t)n;
    }
    memmove(s->tx, s->tx + done, s->tx_len - done);
    s->tx_len -= done;
}

static void sock_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
    struct net_socket *s = (struct net_socket *)b;
    if (s->fd < 0 || len + 4 > SOCK_TXBUF - s->tx_len)
        return;                               /* no peer, or congested: dropped */
    uint8_t *p = s->tx + s->tx_len;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    memcpy(p + 4, frame, len);
    s->tx_len += len + 4;
    flush_tx(s);
}

static int sock_fill(struct net_backend *b, struct pollfd *fds, int max, int *timeout_ms)
{
    (void)timeout_ms;
    struct net_socket *s = (struct net_socket *)b;
    if (max < 1)
        return 0;
    if (s->fd >= 0) {
        fds[0] = (struct pollfd){ .fd = s->fd, .events = POLLIN | (s->tx_len ? POLLOUT : 0) };
        return 1;
    }
    if (s->listen_fd >= 0) {
        fds[0] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
        return 1;
    }
    return 0;
}

/* Hand every complete frame in rx to the guest side. */
static void deliver_frames(struct net_socket *s)
{
    size_t off = 0;
    while (s->rx_len - off >= 4) {
        const uint8_t *p = s->rx + off;
        uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (len == 0 || len > NET_FRAME_MAX) {
            fprintf(stderr, "softvm: -netdev socket %s: bad frame length %u from the peer; "
                    "disconnecting\n", s->b.id, len);
            drop_peer(s);
            return;
        }
        if (s->rx_len - off - 4 < len)
            break;
        net_backend_deliver(&s->b, p + 4, len);
        off += 4 + len;
    }
    memmove(s->rx, s->rx + off, s->rx_len - off);
    s->rx_len -= off;
}

static void sock_dispatch(struct net_backend *b, struct pollfd *fds, int n)
{
    struct net_socket *s = (struct net_socket *)b;
    if (n < 1 || !fds[0].revents)
        return;
    if (fds[0].fd == s->listen_fd && s->fd < 0) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd >= 0) {
            set_nonblock(fd);
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            s->fd = fd;
        }
        return;
    }
    if (fds[0].fd != s->fd)
        return;
    if (fds[0].revents & POLLOUT)
        flush_tx(s);
    if (s->fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        for (;;) {
            ssize_t got = recv(s->fd, s->rx + s->rx_len, SOCK_RXBUF - s->rx_len, 0);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (got <= 0) {
                drop_peer(s);              /* the peer went away; a listener waits again */
                break;
            }
            s->rx_len += (size_t)got;
            deliver_frames(s);
            if (s->fd < 0)
                break;
        }
    }
}

static void sock_destroy(struct net_backend *b)
{
    struct net_socket *s = (struct net_socket *)b;
    drop_peer(s);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->unix_path[0])
        unlink(s->unix_path);
    free(s);
}

static const struct net_backend_ops socket_ops = {
    .kind = "socket",
    .send = sock_send,
    .fill = sock_fill,
    .dispatch = sock_dispatch,
    .destroy = sock_destroy,
};

/* "HOST:PORT" or ":PORT" (HOST defaults to 127.0.0.1). */
static bool parse_inet(const char *addr, struct sockaddr_in *sa)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return false;
    char host[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof(host))
        return false;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535 || colon[1] == '\0')
        return false;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "") || !strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

struct net_backend *net_socket_create(const char *id, const struct net_socket_config *cfg,
                                      char *err, size_t err_size)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    if (cfg->unix_path) {
        struct sockaddr_un *su = (struct sockaddr_un *)&ss;
        if (strlen(cfg->address) >= sizeof(su->sun_path) || !cfg->address[0]) {
            snprintf(err, err_size, "UNIX socket path '%s' is empty or too long", cfg->address);
            return NULL;
        }
        su->sun_family = AF_UNIX;
        strcpy(su->sun_path, cfg->address);
        sl = sizeof(*su);
    } else {
        if (!parse_inet(cfg->address, (struct sockaddr_in *)&ss)) {
            snprintf(err, err_size, "'%s' is not HOST:PORT (an IPv4 address and a port)",
                     cfg->address);
            return NULL;
        }
        sl = sizeof(struct sockaddr_in);
    }
    struct net_socket *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    s->b.ops = &socket_ops;
    snprintf(s->b.id, sizeof(s->b.id), "%s", id ? id : "");
    s->fd = s->listen_fd = -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        free(s);
        return NULL;
    }
    if (cfg->listen) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (cfg->unix_path)
            unlink(cfg->address);              /* a stale socket file from an earlier run */
        if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1) != 0) {
            snprintf(err, err_size, "cannot listen on %s: %s", cfg->address, strerror(errno));
            close(fd);
            free(s);
            return NULL;
        }
        set_nonblock(fd);
        s->listen_fd = fd;
        if (cfg->unix_path)
            snprintf(s->unix_path, sizeof(s->unix_path), "%s", cfg->address);
    } else {
        if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
            snprintf(err, err_size, "cannot connect to %s: %s", cfg->address, strerror(errno));
            close(fd);
            free(s);
            return NULL;
        }
        set_nonblock(fd);
        if (!cfg->unix_path) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        s->fd = fd;
    }
    return &s->b;
}
