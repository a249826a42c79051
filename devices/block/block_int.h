/*
 * block_int.h - what the block layer's format drivers share (private to
 * devices/block/): the open image and the small driver interface.
 *
 * A driver gets a block_dev whose file descriptor is open (read-only or
 * read-write as asked) and fills in size and its own state. Requests reach
 * it already checked against the image size and the read-only flag.
 */
#ifndef SOFTVM_DEVICES_BLOCK_BLOCK_INT_H
#define SOFTVM_DEVICES_BLOCK_BLOCK_INT_H

#include "devices/block/block.h"

#include <stdio.h>

#define BLOCK_MAX_BACKING_DEPTH 16
#define BLOCK_ERR_MAX 512

struct block_driver {
    const char *name;
    /* Parse the image; 0, or -1 with a reason in err. depth: backing-chain depth. */
    int (*open)(struct block_dev *bd, int depth, char *err, size_t errlen);
    int (*read)(struct block_dev *bd, uint64_t off, void *buf, size_t len);
    int (*write)(struct block_dev *bd, uint64_t off, const void *buf, size_t len);
    int (*flush)(struct block_dev *bd);
    void (*close)(struct block_dev *bd);
};

struct block_dev {
    const struct block_driver *drv;
    int fd;
    char path[4096];
    bool readonly;
    bool locked;                  /* holds the read-write lock */
    enum block_cache cache;
    uint64_t size;                /* guest-visible bytes */
    void *state;                  /* the driver's */
    struct block_dev *backing;    /* qcow2 backing file, or NULL */
    bool reported;                /* a runtime corruption was reported once */
    uint8_t *bounce;              /* cache=none (O_DIRECT): the aligned bounce buffer */
    uint64_t align;               /* O_DIRECT offset/length alignment */
};

extern const struct block_driver block_raw_driver;
extern const struct block_driver block_qcow2_driver;

/* Open `path` as a read-only backing image of the chain (format from the
 * qcow2 header extension, else probed). */
struct block_dev *block_open_backing(const char *path, enum block_format fmt, int depth,
                                     char *err, size_t errlen);

/* pread/pwrite of exactly len bytes of the image file at any offset
 * (retrying short transfers; with O_DIRECT through the aligned bounce
 * buffer); a read past the end of the file gives zeros. 0 or -errno. */
int block_pread(struct block_dev *bd, void *buf, size_t len, uint64_t off);
int block_pwrite(struct block_dev *bd, const void *buf, size_t len, uint64_t off);
/* The same on a plain descriptor (no O_DIRECT). */
int block_fd_pread(int fd, void *buf, size_t len, uint64_t off);
int block_fd_pwrite(int fd, const void *buf, size_t len, uint64_t off);
/* fdatasync unless the cache mode says not to. */
int block_sync(struct block_dev *bd);
/* Report a corruption found while the guest runs (once per image) and
 * return -EIO. */
int block_corrupt(struct block_dev *bd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
