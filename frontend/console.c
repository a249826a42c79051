/*
 * console.c - the host terminal as the guest's console: raw mode, the
 * Ctrl-A escapes, batched output. See console.h.
 *
 * The terminal is a process-wide resource, so the saved terminal settings
 * are the one piece of static state here: the atexit and signal handlers
 * that restore them cannot be given a pointer.
 */
#include "frontend/console.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_termios;
static volatile sig_atomic_t saved_fd = -1;      /* -1: nothing to restore */
static volatile sig_atomic_t handlers_installed;

static void restore_terminal(void)
{
    int fd = saved_fd;
    if (fd >= 0) {
        tcsetattr(fd, TCSANOW, &saved_termios);
        saved_fd = -1;
    }
}

static void restore_on_signal(int sig)
{
    restore_terminal();
    signal(sig, SIG_DFL);      /* then die the way the signal meant */
    raise(sig);
}

static void enter_raw_mode(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0)
        return;
    saved_termios = t;
    saved_fd = fd;
    if (!handlers_installed) {
        handlers_installed = 1;
        atexit(restore_terminal);
        static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV,
                                    SIGBUS, SIGFPE, SIGILL };
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = restore_on_signal;
            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
    /* Like cfmakeraw, but keep output processing (\n -> \r\n) so host-side
     * messages still line up; the guest's own \r\n passes through fine. */
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &t);
}

void console_open(struct console *c, int in_fd, int out_fd)
{
    memset(c, 0, sizeof(*c));
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    c->open = true;
    c->tty = in_fd >= 0 && isatty(in_fd);
    if (c->tty)
        enter_raw_mode(in_fd);
    if (in_fd < 0)
        c->eof = true;
}

void console_close(struct console *c)
{
    if (!c->open)
        return;
    console_flush(c);
    if (c->tty && saved_fd == c->in_fd)
        restore_terminal();
    c->open = false;
}

static void queue_input(struct console *c, uint8_t b)
{
    if (c->in_len == CONSOLE_INBUF)
        return;                      /* the guest is not reading: drop, as a UART would */
    c->in[(c->in_head + c->in_len) % CONSOLE_INBUF] = b;
    c->in_len++;
}

static void print_help(struct console *c)
{
    static const char help[] =
        "\r\nsoftvm console escapes (Ctrl-A then):\r\n"
        "  x  quit softvm\r\n"
        "  h  this help\r\n"
        "  a  send Ctrl-A to the guest\r\n"
        "  s  save a snapshot of the machine (-snapshot-at's file=, else softvm-N.snap)\r\n"
        "  p  write the screen as a PNG (the -screendump file, or softvm-screen-N.png)\r\n"
        "  c  switch between the console and the monitor\r\n";
    console_flush(c);
    if (c->out_fd >= 0 && write(c->out_fd, help, sizeof(help) - 1) < 0)
        return;
}

void console_feed(struct console *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = buf[i];
        if (!c->tty) {               /* pipes and files: every byte is for the guest */
            if (c->monitor_mode && c->monitor)
                c->monitor(c->monitor_opaque, b);
            else
                queue_input(c, b);
            continue;
        }
        if (c->escape) {
            c->escape = false;
            switch (b) {
            case 'x': case 'X': c->quit = true; break;
            case 's': case 'S': c->snapshot = true; break;
            case 'h': case 'H': case '?': print_help(c); break;
            case 'a': case CONSOLE_ESCAPE: queue_input(c, CONSOLE_ESCAPE); break;
            case 'p': case 'P': c->screendump = true; break;
            case 'c': case 'C': {
                console_flush(c);
                if (c->monitor) {
                    c->monitor_mode = !c->monitor_mode;
                    if (c->monitor_mode)
                        c->monitor(c->monitor_opaque, -1);
                    else if (c->out_fd >= 0 && write(c->out_fd, "\r\n", 2) < 0)
                        break;
                    break;
                }
                static const char msg[] = "\r\nsoftvm: no monitor\r\n";
                if (c->out_fd >= 0 && write(c->out_fd, msg, sizeof(msg) - 1) < 0)
                    break;
                break;
            }
            default: break;          /* unknown escape: ignored */
            }
        } else if (b == CONSOLE_ESCAPE) {
            c->escape = true;
        } else if (c->monitor_mode && c->monitor) {
            c->monitor(c->monitor_opaque, b);
        } else {
            queue_input(c, b);
        }
    }
}

bool console_read(struct console *c)
{
    if (!c->open || c->eof || c->in_fd < 0)
        return false;
    /* Read only what fits, so the guest is not flooded with dropped bytes. */
    size_t room = CONSOLE_INBUF - c->in_len;
    if (room == 0)
        return false;
    uint8_t buf[256];
    ssize_t got = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        c->eof = true;
        return false;
    }
    if (got < 0)
        return false;
    console_feed(c, buf, (size_t)got);
    return true;
}

bool console_wants_input(const struct console *c)
{
    return c->open && !c->eof && c->in_fd >= 0 && c->in_len < CONSOLE_INBUF;
}

bool console_poll(struct console *c, int timeout_ms)
{
    if (!console_wants_input(c))
        return false;
    struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) <= 0)
        return false;
    return console_read(c);
}

bool console_peek(const struct console *c, uint8_t *byte)
{
    if (c->in_len == 0)
        return false;
    *byte = c->in[c->in_head];
    return true;
}

void console_pop(struct console *c)
{
    if (c->in_len == 0)
        return;
    c->in_head = (c->in_head + 1) % CONSOLE_INBUF;
    c->in_len--;
}

void console_flush(struct console *c)
{
    size_t done = 0;
    while (done < c->out_len && c->out_fd >= 0) {
        ssize_t n = write(c->out_fd, c->out + done, c->out_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;                   /* terminal gone: drop the output */
        done += (size_t)n;
    }
    c->out_len = 0;
}

void console_putc(struct console *c, uint8_t byte)
{
    if (c->out_len == sizeof(c->out))
        console_flush(c);
    c->out[c->out_len++] = byte;
}
