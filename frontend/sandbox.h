/*
 * sandbox.h - `-sandbox on`: a seccomp filter (libseccomp) installed after
 * set-up, once every file, socket and terminal softvm needs is open. From
 * then on only the system calls a running VM makes are allowed: reading
 * and writing its descriptors, polling, accepting monitor clients, memory
 * management (the JIT's W^X code cache included), clocks, signals, and
 * opening files for the monitor's screendump. Everything else -- execve,
 * fork, ptrace, new sockets (unless the VM has a network backend), mount,
 * module loading, ... -- fails with EPERM (seccomp(2) SECCOMP_RET_ERRNO),
 * so a guest that takes over the emulator still cannot reach the host.
 * QEMU's -sandbox sub-options (obsolete=, elevateprivileges=, spawn=,
 * resourcecontrol=) are accepted with "deny", which the filter already does.
 */
#ifndef SOFTVM_FRONTEND_SANDBOX_H
#define SOFTVM_FRONTEND_SANDBOX_H

#include <stdbool.h>
#include <stdio.h>

/* Install the filter for this process (and its threads to come). network:
 * also allow socket/connect/bind and friends (user networking opens host
 * sockets for the guest's connections). 0, or -1 after one line on err. */
int sandbox_enter(bool network, FILE *err);

#endif
