/*
 * user.h - user-mode networking with Debian's libslirp (-netdev user).
 *
 * The guest sees QEMU's usual network: 10.0.2.0/24, the host (gateway) at
 * 10.0.2.2, DHCP handing out 10.0.2.15 onwards, DNS at 10.0.2.3 (answered
 * only with dns=on: by default nothing leaves for a name server). Its TCP
 * and UDP to 10.0.2.2 reach the host's 127.0.0.1. restrict=on cuts the
 * guest off from everything but DHCP and hostfwd. hostfwd listens on the
 * host (127.0.0.1 unless an address is given) and connects to the guest.
 *
 * slirp's TCP timers run on the host clock: slirp is host-side, and what it
 * sends to the guest enters the machine's one input path like any frame.
 */
#ifndef SOFTVM_DEVICES_NET_USER_H
#define SOFTVM_DEVICES_NET_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devices/net/net.h"

#define NET_USER_MAX_FWD 8

struct net_user_fwd {
    bool udp;
    uint32_t host_addr;           /* IPv4, host byte order */
    uint16_t host_port;
    uint32_t guest_addr;          /* 0: the first DHCP address (10.0.2.15) */
    uint16_t guest_port;
};

struct net_user_config {
    bool restrict_on;
    bool dns;
    int nfwd;
    struct net_user_fwd fwd[NET_USER_MAX_FWD];
};

/* Returns the backend, or NULL with a reason in err. */
struct net_backend *net_user_create(const char *id, const struct net_user_config *cfg,
                                    char *err, size_t err_size);

#endif
