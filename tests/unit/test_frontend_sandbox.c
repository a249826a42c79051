/*
 * test_frontend_sandbox.c - -sandbox on (frontend/sandbox.h): after
 * sandbox_enter, the calls a running VM makes still work and the rest are
 * refused with EPERM, as seccomp(2)'s SECCOMP_RET_ERRNO defines. Each case
 * runs in a child process (the filter cannot be removed), which reports
 * one bit per failed expectation in its exit status.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/sandbox.h"

static int in_child(int (*body)(void))
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
        _exit(body());
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "the child died (status %#x): a call was killed, not refused",
              status);
    return WEXITSTATUS(status);
}

static bool refused(long rc)
{
    return rc == -1 && errno == EPERM;
}

static int without_network(void)
{
    if (sandbox_enter(false, stderr))
        return 0x80;
    int bad = 0;
    /* what a running VM does */
    char path[] = "/tmp/softvm-sandbox-XXXXXX";
    int fd = mkstemp(path);             /* openat(O_CREAT): screendump files */
    if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) != 0 || unlink(path) != 0)
        bad |= 0x01;
    void *p = malloc(1 << 20);          /* mmap */
    if (!p || getpid() <= 0)
        bad |= 0x02;
    free(p);
    /* what it never does */
    char *const argv[] = { "/bin/true", NULL };
    if (!refused(execve("/bin/true", argv, NULL)))
        bad |= 0x04;
    if (!refused(socket(AF_INET, SOCK_STREAM, 0)))
        bad |= 0x08;
    if (!refused(fork()))
        bad |= 0x10;
    if (!refused(ptrace(PTRACE_TRACEME, 0, NULL, NULL)))
        bad |= 0x20;
    if (!refused(chdir("/")))
        bad |= 0x40;
    return bad;
}

Test(sandbox, a_forbidden_call_is_refused)
{
    int bad = in_child(without_network);
    cr_assert_eq(bad, 0, "failed expectations %#x (0x01 files, 0x02 memory, 0x04 execve, "
                 "0x08 socket, 0x10 fork, 0x20 ptrace, 0x40 chdir, 0x80 no filter)", bad);
}

static int with_network(void)
{
    if (sandbox_enter(true, stderr))
        return 0x80;
    int bad = 0;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        bad |= 0x01;
    else
        close(s);
    char *const argv[] = { "/bin/true", NULL };
    if (!refused(execve("/bin/true", argv, NULL)))
        bad |= 0x04;
    return bad;
}

Test(sandbox, a_network_backend_may_open_sockets)
{
    int bad = in_child(with_network);
    cr_assert_eq(bad, 0, "failed expectations %#x (0x01 socket, 0x04 execve)", bad);
}
