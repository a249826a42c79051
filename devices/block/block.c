/*
 * block.c - the generic half of the block layer: opening an image (format
 * probe, read-write lock), request checks, flush, the backing chain, and the
 * temporary overlay of -snapshot. The raw format driver is here too, being
 * a plain pass-through to the file. See block.h.
 */
#define _GNU_SOURCE
#include "devices/block/block_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QCOW2_MAGIC_BYTES "QFI\xfb"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int block_fd_pread(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0) {                     /* past the end of the file: zeros */
            memset(p, 0, len);
            return 0;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int block_fd_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- O_DIRECT (cache=none) ------------------------------------------------------ */

#define DIRECT_BOUNCE (1u << 20)          /* bytes per bounced transfer */
#define DIRECT_MEM_ALIGN 4096u            /* buffer alignment every device accepts */

/* One aligned transfer through the bounce buffer. A read that ends early
 * has reached the end of the file (O_DIRECT reads are short only there):
 * the rest reads as zeros, as without O_DIRECT. */
static int direct_io(struct block_dev *bd, bool write, uint8_t *mem, size_t len, uint64_t off)
{
    while (len) {
        ssize_t n = write ? pwrite(bd->fd, mem, len, (off_t)off)
                          : pread(bd->fd, mem, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0 || (!write && (size_t)n < len)) {
            if (write)
                return -EIO;
            memset(mem + n, 0, len - (size_t)n);
            return 0;
        }
        if ((size_t)n < len)              /* a short write: keep the rest aligned */
            memmove(mem, mem + n, len - (size_t)n);
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Any byte range through the bounce buffer in pieces of whole aligned
 * blocks: reads copy out the part asked for; writes first read the blocks
 * they cover only in part (head and tail), then write whole blocks. */
static int direct_rw(struct block_dev *bd, bool write, uint8_t *buf, size_t len, uint64_t off)
{
    uint64_t a = bd->align;
    while (len) {
        uint64_t start = off & ~(a - 1), skip = off - start;
        size_t n = len < DIRECT_BOUNCE - skip ? len : (size_t)(DIRECT_BOUNCE - skip);
        uint64_t end = (off + n + a - 1) & ~(a - 1);
        size_t span = (size_t)(end - start);
        int rc;
        if (!write) {
            if ((rc = direct_io(bd, false, bd->bounce, span, start)) != 0)
                return rc;
            memcpy(buf, bd->bounce + skip, n);
        } else {
            bool head = skip != 0, tail = ((off + n) & (a - 1)) != 0;
            if (head && (rc = direct_io(bd, false, bd->bounce, (size_t)a, start)) != 0)
                return rc;
            if (tail && !(head && span == a) &&
                (rc = direct_io(bd, false, bd->bounce + span - a, (size_t)a, end - a)) != 0)
                return rc;
            memcpy(bd->bounce + skip, buf, n);
            if ((rc = direct_io(bd, true, bd->bounce, span, start)) != 0)
                return rc;
        }
        buf += n;
        off += n;
        len -= n;
    }
    return 0;
}

int block_pread(struct block_dev *bd, void *buf, size_t len, uint64_t off)
{
    if (bd->bounce)
        return direct_rw(bd, false, buf, len, off);
    return block_fd_pread(bd->fd, buf, len, off);
}

int block_pwrite(struct block_dev *bd, const void *buf, size_t len, uint64_t off)
{
    if (bd->bounce)
        return direct_rw(bd, true, (uint8_t *)buf, len, off);
    return block_fd_pwrite(bd->fd, buf, len, off);
}

/* The file offset and length alignment O_DIRECT needs on this file: from
 * statx where the kernel reports it (Linux 6.1), else 4096, which every
 * logical block size up to 4 KiB divides. */
static uint64_t direct_alignment(int fd)
{
#ifdef STATX_DIOALIGN
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
        (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align &&
        sx.stx_dio_offset_align <= DIRECT_MEM_ALIGN &&
        !(sx.stx_dio_offset_align & (sx.stx_dio_offset_align - 1)) &&
        sx.stx_dio_mem_align <= DIRECT_MEM_ALIGN)
        return sx.stx_dio_offset_align < 512 ? 512 : sx.stx_dio_offset_align;
#endif
    return DIRECT_MEM_ALIGN;
}

/* cache=none: reopen the image with O_DIRECT, bypassing the host page
 * cache. A filesystem that refuses it (EINVAL) keeps the cached descriptor,
 * with a warning. 0, or -1 with err. */
static int open_direct(struct block_dev *bd, const char *path, int flags, char *err,
                       size_t errlen)
{
    int fd = open(path, flags | O_DIRECT);
    if (fd < 0 && errno == EINVAL) {
        fprintf(stderr, "softvm: warning: disk image '%s': the host filesystem refuses "
                "O_DIRECT, so cache=none uses the host page cache (flushes still reach "
                "the disk)\n", path);
        return 0;
    }
    if (fd < 0) {
        set_err(err, errlen, "cannot open with O_DIRECT (cache=none): %s", strerror(errno));
        return -1;
    }
    void *mem = NULL;
    if (posix_memalign(&mem, DIRECT_MEM_ALIGN, DIRECT_BOUNCE + DIRECT_MEM_ALIGN) != 0) {
        close(fd);
        set_err(err, errlen, "out of memory");
        return -1;
    }
    bd->bounce = mem;
    bd->align = direct_alignment(fd);
    close(bd->fd);                      /* the lock is taken on the direct descriptor */
    bd->fd = fd;
    return 0;
}

int block_sync(struct block_dev *bd)
{
    if (bd->cache == BLOCK_CACHE_UNSAFE || bd->readonly)
        return 0;
    while (fdatasync(bd->fd) != 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

int block_corrupt(struct block_dev *bd, const char *fmt, ...)
{
    if (!bd->reported) {
        bd->reported = true;
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "softvm: disk image '%s' is corrupt: ", bd->path);
        vfprintf(stderr, fmt, ap);
        fputs("; the request fails with an I/O error\n", stderr);
        va_end(ap);
    }
    return -EIO;
}

/* ---- raw ------------------------------------------------------------------------ */

static int raw_open(struct block_dev *bd, int depth, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(bd->fd, &st) != 0) {
        set_err(err, errlen, "cannot stat: %s", strerror(errno));
        return -1;
    }
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(bd->fd, 0, SEEK_END);
        if (end < 0) {
            set_err(err, errlen, "cannot find the size: %s", strerror(errno));
            return -1;
        }
        bd->size = (uint64_t)end;
    } else if (S_ISREG(st.st_mode)) {
        bd->size = (uint64_t)st.st_size;
    } else {
        set_err(err, errlen, "not a regular file or block device");
        return -1;
    }
    return 0;
}

static int raw_read(struct block_dev *bd, uint64_t off, void *buf, size_t len)
{
    return block_pread(bd, buf, len, off);
}

static int raw_write(struct block_dev *bd, uint64_t off, const void *buf, size_t len)
{
    return block_pwrite(bd, buf, len, off);
}

static int raw_flush(struct block_dev *bd)
{
    return block_sync(bd);
}

static void raw_close(struct block_dev *bd)
{
}

const struct block_driver block_raw_driver = {
    .name = "raw", .open = raw_open, .read = raw_read, .write = raw_write,
    .flush = raw_flush, .close = raw_close,
};

/* ---- opening ------------------------------------------------------------------- */

/* The read-write lock: an exclusive open-file-description lock on the whole
 * file. OFD locks conflict between two opens in one process too, and go
 * away with the descriptor (even on kill -9). */
static int take_write_lock(int fd)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    return fcntl(fd, F_OFD_SETLK, &fl);
}

static struct block_dev *open_file(const char *path, const struct block_options *opt,
                                   int depth, char *err, size_t errlen)
{
    if (depth > BLOCK_MAX_BACKING_DEPTH) {
        set_err(err, errlen, "backing chain deeper than %d images (a loop?)",
                BLOCK_MAX_BACKING_DEPTH);
        return NULL;
    }
    struct block_dev *bd = calloc(1, sizeof(*bd));
    if (!bd) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    bd->fd = -1;
    bd->readonly = opt->readonly;
    bd->cache = opt->cache;
    snprintf(bd->path, sizeof(bd->path), "%s", path);

    int flags = (opt->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    bd->fd = open(path, flags);
    if (bd->fd < 0) {
        if (errno == EACCES || errno == EROFS)
            set_err(err, errlen, "cannot open it for writing: %s (use readonly=on)",
                    strerror(errno));
        else
            set_err(err, errlen, "cannot open: %s", strerror(errno));
        goto fail;
    }
    struct stat st;
    if ((opt->cache == BLOCK_CACHE_NONE || opt->cache == BLOCK_CACHE_DIRECTSYNC) && fstat(bd->fd, &st) == 0 &&
        (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) &&
        open_direct(bd, path, flags, err, errlen) != 0)
        goto fail;
    if (!opt->readonly) {
        if (take_write_lock(bd->fd) != 0) {
            if (errno == EAGAIN || errno == EACCES)
                set_err(err, errlen, "is already open for writing (by this or another "
                        "process: the image is locked); use readonly=on or -snapshot");
            else
                set_err(err, errlen, "cannot lock it for writing: %s", strerror(errno));
            goto fail;
        }
        bd->locked = true;
    }

    enum block_format fmt = opt->format;
    if (fmt == BLOCK_FORMAT_AUTO) {
        char magic[4] = { 0 };
        if (block_pread(bd, magic, 4, 0) != 0) {
            set_err(err, errlen, "cannot read: %s", strerror(errno));
            goto fail;
        }
        fmt = memcmp(magic, QCOW2_MAGIC_BYTES, 4) ? BLOCK_FORMAT_RAW : BLOCK_FORMAT_QCOW2;
    }
    bd->drv = fmt == BLOCK_FORMAT_QCOW2 ? &block_qcow2_driver : &block_raw_driver;
    if (bd->drv->open(bd, depth, err, errlen) != 0) {
        bd->drv = NULL;
        goto fail;
    }
    return bd;
fail:
    block_close(bd);
    return NULL;
}

struct block_dev *block_open_backing(const char *path, enum block_format fmt, int depth,
                                     char *err, size_t errlen)
{
    struct block_options o = { .format = fmt, .readonly = true };
    char sub[BLOCK_ERR_MAX];
    struct block_dev *bd = open_file(path, &o, depth, sub, sizeof(sub));
    /* The innermost failure names its own file; pass it up unchanged. */
    if (!bd && !strncmp(sub, "backing ", 8))
        set_err(err, errlen, "%s", sub);
    else if (!bd)
        set_err(err, errlen, "backing file '%s': %s", path, sub);
    return bd;
}

/* -snapshot: an unlinked qcow2 file in $TMPDIR (or /var/tmp) over the image,
 * which is itself opened read-only so it stays byte-identical. */
static struct block_dev *open_snapshot(const char *path, const struct block_options *opt,
                                       char *err, size_t errlen)
{
    struct block_options ro = *opt;
    ro.readonly = true;
    ro.snapshot = false;
    struct block_dev *base = open_file(path, &ro, 0, err, errlen);
    if (!base)
        return NULL;

    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/var/tmp";
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s/softvm-snapshot-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        set_err(err, errlen, "-snapshot: cannot create a temporary file in %s: %s",
                dir, strerror(errno));
        block_close(base);
        return NULL;
    }
    close(fd);
    unlink(tmp);                         /* qcow2_create wants to make the file itself */
    char abs[PATH_MAX];
    const char *name = realpath(path, abs) ? abs : path;
    char sub[BLOCK_ERR_MAX];
    if (qcow2_create(tmp, base->size, 16, name, base->drv->name, sub, sizeof(sub)) != 0) {
        set_err(err, errlen, "-snapshot: temporary overlay: %s", sub);
        block_close(base);
        return NULL;
    }
    struct block_options rw = { .format = BLOCK_FORMAT_QCOW2, .cache = BLOCK_CACHE_UNSAFE };
    /* The overlay's own header names the base; open it without following
     * that name and attach the base opened above instead. */
    struct block_dev *top = calloc(1, sizeof(*top));
    if (!top) {
        unlink(tmp);
        block_close(base);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    top->cache = rw.cache;
    snprintf(top->path, sizeof(top->path), "%s", tmp);
    top->fd = open(tmp, O_RDWR | O_CLOEXEC);
    unlink(tmp);                         /* gone at exit, however softvm ends */
    top->backing = base;                 /* qcow2_open sees it and keeps it */
    top->drv = &block_qcow2_driver;
    if (top->fd < 0 || top->drv->open(top, 0, sub, sizeof(sub)) != 0) {
        set_err(err, errlen, "-snapshot: temporary overlay: %s",
                top->fd < 0 ? strerror(errno) : sub);
        top->drv = NULL;
        block_close(top);
        return NULL;
    }
    return top;
}

struct block_dev *block_open(const char *path, const struct block_options *opt,
                             char *err, size_t errlen)
{
    if (opt->snapshot && !opt->readonly)
        return open_snapshot(path, opt, err, errlen);
    return open_file(path, opt, 0, err, errlen);
}

void block_close(struct block_dev *bd)
{
    if (!bd)
        return;
    if (bd->drv) {
        if (!bd->readonly)
            bd->drv->flush(bd);
        bd->drv->close(bd);
    }
    if (bd->fd >= 0)
        close(bd->fd);                   /* drops the OFD lock */
    block_close(bd->backing);
    free(bd->bounce);
    free(bd);
}

uint64_t block_size(const struct block_dev *bd)
{
    return bd->size;
}

bool block_is_readonly(const struct block_dev *bd)
{
    return bd->readonly;
}

bool block_is_direct(const struct block_dev *bd)
{
    int fl = fcntl(bd->fd, F_GETFL);
    return fl >= 0 && (fl & O_DIRECT);
}

const char *block_format_name(const struct block_dev *bd)
{
    return bd->drv ? bd->drv->name : "?";
}

static bool in_range(const struct block_dev *bd, uint64_t off, size_t len)
{
    return off <= bd->size && len <= bd->size - off;
}

int block_read(struct block_dev *bd, uint64_t off, void *buf, size_t len)
{
    if (!in_range(bd, off, len))
        return -EINVAL;
    return len ? bd->drv->read(bd, off, buf, len) : 0;
}

int block_write(struct block_dev *bd, uint64_t off, const void *buf, size_t len)
{
    if (bd->readonly)
        return -EROFS;
    if (!in_range(bd, off, len))
        return -EINVAL;
    if (!len)
        return 0;
    int rc = bd->drv->write(bd, off, buf, len);
    if (rc == 0 && (bd->cache == BLOCK_CACHE_WRITETHROUGH || bd->cache == BLOCK_CACHE_DIRECTSYNC))
        rc = bd->drv->flush(bd);
    return rc;
}

int block_flush(struct block_dev *bd)
{
    if (bd->readonly)
        return 0;
    return bd->drv->flush(bd);
}
