/*
 * console.h - the host terminal as the guest's console (COM1 with
 * -nographic / -serial stdio, or the debug console).
 *
 * When stdin is a terminal it is put in raw mode (no echo, no line editing,
 * no signals: Ctrl-C goes to the guest) and restored on every exit path:
 * console_close, exit() (atexit) and fatal signals. Ctrl-A is the escape key:
 *   Ctrl-A x  quit softvm        Ctrl-A h  print this help
 *   Ctrl-A a  send Ctrl-A        Ctrl-A c  switch between the guest and the
 *                                          human monitor (frontend/monitor.h)
 *   Ctrl-A s  save a snapshot (savevm) (frontend/snapshot.h)
 *   Ctrl-A p  screendump (PNG)
 * When stdin is not a terminal its bytes are passed through untouched (to
 * the monitor instead while monitor mode is on: -monitor stdio).
 */
#ifndef SOFTVM_FRONTEND_CONSOLE_H
#define SOFTVM_FRONTEND_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_INBUF 4096
#define CONSOLE_ESCAPE 0x01   /* Ctrl-A */

struct console {
    int in_fd, out_fd;
    bool open;
    bool tty;             /* in_fd is a terminal (raw mode, escapes active) */
    bool eof;             /* in_fd reached end of file */
    bool escape;          /* the previous byte was Ctrl-A */
    bool quit;            /* Ctrl-A x seen */
    bool screendump;      /* Ctrl-A p seen: the host writes a PNG */
    bool snapshot;        /* Ctrl-A s seen: the host side saves a snapshot */
    /* The human monitor: while monitor_mode is on, typed bytes go to
     * monitor(opaque, byte) instead of the guest; monitor(opaque, -1) says
     * the monitor was just entered. NULL: no monitor (Ctrl-A c says so). */
    bool monitor_mode;
    void (*monitor)(void *opaque, int byte);
    void *monitor_opaque;
    /* Bytes typed for the guest, not yet taken by the UART. */
    uint8_t in[CONSOLE_INBUF];
    size_t in_head, in_len;
    /* Guest output, written out in batches. */
    uint8_t out[4096];
    size_t out_len;
};

/* Use in_fd/out_fd (normally 0 and 1). Enters raw mode if in_fd is a tty. */
void console_open(struct console *c, int in_fd, int out_fd);
void console_close(struct console *c);

/* Read what is waiting on in_fd, waiting at most timeout_ms (0: don't wait,
 * -1: forever). Handles the Ctrl-A escapes. Returns true if it read anything. */
bool console_poll(struct console *c, int timeout_ms);
/* in_fd is readable (the event loop says so): read what is there. */
bool console_read(struct console *c);
/* Input may still come and there is room for it (poll in_fd for POLLIN). */
bool console_wants_input(const struct console *c);
/* Feed bytes to a pure function (tests): same escape handling as typing. */
void console_feed(struct console *c, const uint8_t *buf, size_t len);

/* Can console_poll read more now (open, not at end of file, room)? */
bool console_wants_input(const struct console *c);

/* Next byte for the guest; false if none. */
bool console_peek(const struct console *c, uint8_t *byte);
void console_pop(struct console *c);

void console_putc(struct console *c, uint8_t byte);
void console_flush(struct console *c);

#endif
