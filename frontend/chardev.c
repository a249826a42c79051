/*
 * chardev.c - host backends for guest character devices. See chardev.h.
 */
#include "frontend/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *chardev_open_output(const char *path, const char **why)
{
    /* O_NONBLOCK: a FIFO nobody reads fails at once (ENXIO) instead of
     * blocking the open until a reader comes. */
    int fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0) {
        *why = errno == ENXIO ? "it is a FIFO and nothing is reading it" : strerror(errno);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = strerror(errno);
        close(fd);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
        *why = strerror(errno);
        close(fd);
        return NULL;
    }
    /* From here on writes may wait for a slow reader, as on a pipe. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        *why = strerror(errno);
        close(fd);
    }
    return f;
}

int chardev_open(struct chardev *c, const struct vm_chardev *spec, struct console *con,
                 const char *what)
{
    memset(c, 0, sizeof(*c));
    c->kind = spec->kind;
    switch (spec->kind) {
    case VM_CHARDEV_FILE:
    {
        const char *why = NULL;
        c->file = chardev_open_output(spec->path, &why);
        if (!c->file) {
            fprintf(stderr, "softvm: %s: cannot open '%s': %s\n", what, spec->path, why);
            return -1;
        }
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

