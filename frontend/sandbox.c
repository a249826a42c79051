/*
 * sandbox.c - the seccomp allow-list of -sandbox on (see sandbox.h;
 * seccomp(2), libseccomp's seccomp_rule_add(3)).
 */
#define _GNU_SOURCE               /* CLONE_THREAD */
#include "frontend/sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>

/* What the run loop, the monitors, the block layer, the JIT and the C
 * library's allocator, stdio and signal handling call once set-up is done. */
static const int allowed[] = {
    /* descriptors */
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev),
    SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    SCMP_SYS(statx), SCMP_SYS(fcntl), SCMP_SYS(ioctl), SCMP_SYS(dup),
    SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(ftruncate), SCMP_SYS(fallocate),
    SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
    /* waiting */
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
    SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
    SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(sched_yield),
    /* the monitor sockets already listening */
    SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
    SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    /* memory */
    SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
    SCMP_SYS(brk), SCMP_SYS(madvise),
    /* time, identity, threads of libraries */
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(futex), SCMP_SYS(set_robust_list),
    SCMP_SYS(getrandom), SCMP_SYS(sysinfo), SCMP_SYS(uname),
    /* signals (the terminal is restored from a handler; abort raises) */
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(restart_syscall),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* User networking (libslirp) connects to the host for the guest. */
static const int network[] = {
    SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
};

int sandbox_enter(bool with_network, FILE *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx) {
        fprintf(err, "softvm: -sandbox on: cannot create the seccomp filter\n");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    for (size_t i = 0; with_network && i < sizeof(network) / sizeof(network[0]) && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, network[i], 0);
    /* Threads, never processes: clone only with CLONE_THREAD; clone3's flags
     * sit in memory a filter cannot read, so it gets ENOSYS and the C
     * library falls back to clone. */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (!rc)
        rc = seccomp_load(ctx);     /* sets no_new_privs first (SCMP_FLTATR_CTL_NNP) */
    seccomp_release(ctx);
    if (rc) {
        fprintf(err, "softvm: -sandbox on: cannot install the seccomp filter: %s\n",
                strerror(-rc));
        return -1;
    }
    return 0;
}
