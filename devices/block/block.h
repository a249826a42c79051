/*
 * block.h - the block layer every disk device (IDE, ATAPI, virtio-blk) reads
 * and writes through: one open image, addressed in bytes, in one of the
 * formats behind it (raw, qcow2), with an optional backing chain and a
 * temporary overlay for -snapshot.
 *
 * Images are opened before the guest starts; every problem found then (a
 * missing, truncated, corrupt, locked, encrypted or unsupported image) comes
 * back as one clear sentence in the caller's buffer. Requests made while the
 * guest runs return 0 or a negative errno and never abort the host; a
 * corruption found then is reported once on stderr and the request fails
 * with -EIO (the device turns that into its own error status).
 *
 * Requests are synchronous host calls; the devices decide when the guest
 * sees them complete (on the virtual clock), so host I/O speed never shows.
 *
 * Locking: a read-write open takes an exclusive OFD lock (fcntl) on the
 * image, so a second read-write open of the same file, from this or another
 * process, is refused. Read-only opens take no lock and may sit beside it.
 * Durability: block_flush reaches the host disk (fdatasync) unless the
 * cache mode is "unsafe"; block_close flushes too.
 */
#ifndef SOFTVM_DEVICES_BLOCK_BLOCK_H
#define SOFTVM_DEVICES_BLOCK_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum block_format {
    BLOCK_FORMAT_AUTO,       /* qcow2 if the file starts with its magic, else raw */
    BLOCK_FORMAT_RAW,
    BLOCK_FORMAT_QCOW2,
};

enum block_cache {
    BLOCK_CACHE_WRITEBACK,   /* host page cache; flushes reach the disk (default) */
    BLOCK_CACHE_NONE,        /* O_DIRECT (bypasses the host page cache); flushes reach the disk */
    BLOCK_CACHE_WRITETHROUGH,/* every write is followed by fdatasync */
    BLOCK_CACHE_UNSAFE,      /* flushes are ignored */
    BLOCK_CACHE_DIRECTSYNC,  /* O_DIRECT, and every write is followed by fdatasync */
};

struct block_options {
    enum block_format format;
    bool readonly;
    bool snapshot;           /* writes go to a temporary qcow2 overlay, deleted at close */
    enum block_cache cache;
};

struct block_dev;

/* Open an image. Returns NULL with a one-line reason in err (no trailing
 * newline, no "softvm:" prefix) on failure. */
struct block_dev *block_open(const char *path, const struct block_options *opt,
                             char *err, size_t errlen);
/* Flush (unless read-only) and close, with the backing chain. NULL is fine. */
void block_close(struct block_dev *bd);

/* The guest-visible size in bytes. */
uint64_t block_size(const struct block_dev *bd);
/* True if writes are refused (readonly=on, or a CD-ROM). */
bool block_is_readonly(const struct block_dev *bd);
/* True if the image file is open with O_DIRECT (cache=none, where the host
 * filesystem allows it). */
bool block_is_direct(const struct block_dev *bd);
const char *block_format_name(const struct block_dev *bd);

/* Read or write len bytes at offset; offset+len must lie inside the image.
 * Returns 0 or a negative errno (-EROFS for a write to a read-only image,
 * -EINVAL outside the image, -EIO for a corrupt image or host error). */
int block_read(struct block_dev *bd, uint64_t offset, void *buf, size_t len);
int block_write(struct block_dev *bd, uint64_t offset, const void *buf, size_t len);
/* Make every completed write durable (fdatasync). 0 or -errno. */
int block_flush(struct block_dev *bd);

/*
 * Create a qcow2 v3 image of `size` bytes with 2^cluster_bits byte clusters
 * (9..21; 16 is qemu-img's default), 16-bit refcounts, and optionally a
 * backing file (its name as it goes into the header, and "raw"/"qcow2" or
 * NULL). Refuses to overwrite an existing file. Returns 0, or -1 with err.
 */
int qcow2_create(const char *path, uint64_t size, unsigned cluster_bits,
                 const char *backing, const char *backing_format, char *err, size_t errlen);

#endif
