/*
 * socket.h - a network backend that is a stream socket to another softvm
 * (or QEMU): -netdev socket,listen=[127.0.0.1]:PORT | connect=HOST:PORT, or
 * listen=unix:PATH | connect=unix:PATH.
 *
 * On the wire each frame is a 4-byte big-endian length and the frame, the
 * framing QEMU's -netdev socket uses on streams, so the two interoperate.
 * The listening side accepts one peer at a time; frames sent while no peer
 * is connected are dropped (a cable with nobody at the other end). Output
 * is non-blocking with a bounded buffer: when the peer does not keep up,
 * frames are dropped as on a congested link (TCP in the guests recovers).
 */
#ifndef SOFTVM_DEVICES_NET_SOCKET_H
#define SOFTVM_DEVICES_NET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include "devices/net/net.h"

struct net_socket_config {
    bool listen;                  /* else connect */
    bool unix_path;               /* address is a path (AF_UNIX) */
    char address[256];            /* "127.0.0.1:5555" or a path */
};

struct net_backend *net_socket_create(const char *id, const struct net_socket_config *cfg,
                                      char *err, size_t err_size);

#endif
