/*
 * monitor.h - the human monitor (QEMU's HMP): `-monitor stdio`, Ctrl-A c
 * at the console, and QMP's human-monitor-command.
 *
 * Commands (QEMU's names and output formats, hmp-commands.hx):
 *   help [CMD], info status|registers|tlb|version|name, x/FMT ADDR,
 *   xp/FMT ADDR (FMT = [count][x|d|u|o|c|i][b|h|w|g]), stop, cont (c),
 *   system_reset, system_powerdown, quit (q), savevm FILE, loadvm FILE
 *   (softvm's snapshots are files, frontend/snapshot.h: the tag is a path).
 * ADDR is a number (0x hex or decimal) or $REG (eax.. edi, eip, pc, esp,
 * ...), joined by + and -. x and xp only read guest RAM and ROM (no MMIO
 * side effects: the monitor never changes what the guest sees); x/i
 * disassembles at a linear address with Capstone, as QEMU does.
 *
 * Output lines end in "\r\n", as QEMU's monitor writes them.
 */
#ifndef SOFTVM_FRONTEND_MONITOR_H
#define SOFTVM_FRONTEND_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "frontend/json.h"

struct machine;

/* Run one command line (NULL or empty: nothing); append its output. */
void monitor_exec(struct machine *m, const char *line, struct strbuf *out);

/* The interactive monitor on a terminal: a line editor that echoes, runs
 * each line with monitor_exec and prints the prompt. */
struct monitor_term {
    int out_fd;
    struct strbuf line;
    bool started;                /* the banner was printed */
    bool last_cr;                /* the previous byte was \r (a \r\n pair is one end) */
};
void monitor_term_init(struct monitor_term *t, int out_fd);
/* Print the banner (once) and the prompt. */
void monitor_term_start(struct monitor_term *t);
/* One typed byte. */
void monitor_term_byte(struct monitor_term *t, struct machine *m, uint8_t b);
void monitor_term_free(struct monitor_term *t);

#endif
