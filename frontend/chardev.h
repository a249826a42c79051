/*
 * chardev.h - where a guest character device (a UART, the 0x402 debug
 * console) sends its bytes on the host and where its input comes from:
 * the terminal (struct console), a file or nothing. (A test's
 * VM_CHARDEV_CALLBACK needs no host side: machine_init wires it.)
 */
#ifndef SOFTVM_FRONTEND_CHARDEV_H
#define SOFTVM_FRONTEND_CHARDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "frontend/console.h"
#include "devices/machine/options.h"

struct chardev {
    enum vm_chardev_kind kind;
    FILE *file;                          /* VM_CHARDEV_FILE */
    struct console *console;             /* VM_CHARDEV_STDIO */
};

/* Open the backend described by spec; `what` names it in errors ("-serial").
 * Returns 0, or prints why on stderr and returns -1. */
int chardev_open(struct chardev *c, const struct vm_chardev *spec, struct console *con,
                 const char *what);
void chardev_close(struct chardev *c);
/* Open a host file for output (created, truncated if regular) without
 * blocking: a FIFO with no reader is refused. NULL with *why set on error. */
FILE *chardev_open_output(const char *path, const char **why);
/* Output one byte; opaque is the struct chardev (fits device tx callbacks). */
void chardev_write(void *opaque, uint8_t byte);
void chardev_flush(struct chardev *c);

#endif
