/*
 * chardev.c - host backends for guest character devices. See chardev.h.
 */
#include "frontend/chardev.h"

#include <errno.h>
#include <string.h>

int chardev_open(struct chardev *c, const struct vm_chardev *spec, struct console *con,
                 const char *what)
{
    memset(c, 0, sizeof(*c));
    c->kind = spec->kind;
    switch (spec->kind) {
    case VM_CHARDEV_FILE:
        c->file = fopen(spec->path, "wb");
        if (!c->file) {
            fprintf(stderr, "softvm: %s: cannot open '%s': %s\n", what, spec->path,
                    strerror(errno));
            return -1;
        }
        break;
    case VM_CHARDEV_STDIO:
        c->console = con;
        break;
    default:
        break;
    }
    return 0;
}

void chardev_close(struct chardev *c)
{
    chardev_flush(c);
    if (c->file)
        fclose(c->file);
    c->file = NULL;
}

void chardev_write(void *opaque, uint8_t byte)
{
    struct chardev *c = opaque;
    switch (c->kind) {
    case VM_CHARDEV_FILE: fputc(byte, c->file); break;
    case VM_CHARDEV_STDIO: console_putc(c->console, byte); break;
    default: break;
    }
}

void chardev_flush(struct chardev *c)
{
    if (c->kind == VM_CHARDEV_FILE && c->file)
        fflush(c->file);
    else if (c->kind == VM_CHARDEV_STDIO && c->console)
        console_flush(c->console);
}

