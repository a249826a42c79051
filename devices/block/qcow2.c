/*
 * qcow2.c - the qcow2 image format, versions 2 and 3, read-write, with
 * backing files; compressed clusters are read (deflate, zlib) and rewritten
 * uncompressed when the guest writes them.
 *
 * Spec: QEMU's docs/interop/qcow2.txt ("qcow2 image format").
 *
 * Layout in brief: guest offset -> L1 entry (an L2 table's host offset) ->
 * L2 entry (a data cluster's host offset, or "compressed", or "reads as
 * zeros", or 0 = unallocated: read the backing file or zeros). Every host
 * cluster in use has a reference count in the refcount blocks, which the
 * refcount table points to.
 *
 * Crash consistency: new clusters are always appended at the end of the
 * file, and nothing is made to point at a cluster before its contents and
 * its refcount are on disk (a write barrier, fdatasync, sits in between). So
 * at any crash point the image is consistent; at worst clusters whose
 * refcount was raised but that nothing points to yet are leaked, which
 * `qemu-img check` reports as leaks only.
 *
 * Everything read from the file is checked before use (alignment, bounds,
 * sizes), so a malformed image gives a clear error at open or -EIO later,
 * never a wild host access or a huge allocation.
 */
#define _GNU_SOURCE
#include "devices/block/block_int.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define QCOW2_MAGIC 0x514649fbu            /* "QFI\xfb" */

#define QCOW2_OFLAG_COPIED     (1ull << 63)  /* refcount is exactly 1 */
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO       1ull          /* v3: the cluster reads as zeros */
#define QCOW2_OFFSET_MASK      0x00fffffffffffe00ull
#define QCOW2_L2_RESERVED      0x3f000000000001feull  /* standard L2 entry: must be 0 */
#define QCOW2_L1_RESERVED      0x7f000000000001ffull
#define QCOW2_RT_OFFSET_MASK   0xfffffffffffffe00ull

#define QCOW2_INCOMPAT_DIRTY       (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN       0x1full

#define QCOW2_EXT_END          0x00000000u
#define QCOW2_EXT_BACKING_FMT  0xe2792acau
#define QCOW2_EXT_DATA_FILE    0x44415441u

#define QCOW2_MAX_L1_BYTES     (32u << 20)   /* as QEMU: bounds the L1 allocation */
#define QCOW2_MAX_RT_BYTES     (8u << 20)
#define QCOW2_MAX_SIZE         (1ull << 56)  /* host offsets have 56 bits */
#define QCOW2_L2_CACHE         16
#define QCOW2_V2_HEADER        72
#define QCOW2_V3_HEADER        104

struct l2_slot {
    uint64_t offset;                 /* host offset of the table; 0 = empty slot */
    uint64_t used;                   /* LRU tick */
    uint64_t *table;                 /* big-endian entries, as on disk */
};

struct qcow2 {
    uint32_t version;
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint32_t l2_bits;                /* log2(entries per L2 table) */
    uint64_t *l1;                    /* host byte order */
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *rt;                    /* refcount table, host byte order */
    uint64_t rt_entries;
    uint64_t rt_offset;
    uint32_t refcount_bits;
    uint64_t rb_entries;             /* refcounts per refcount block */
    uint64_t incompat;
    uint32_t nb_snapshots;
    uint64_t alloc_next;             /* the end of the file, in whole clusters */
    uint64_t free_hint;              /* no free cluster below this index */
    bool free_unsynced;              /* a cluster was freed since the last barrier */
    struct l2_slot l2c[QCOW2_L2_CACHE];
    uint64_t tick;
    uint8_t *buf;                    /* one cluster: copy-on-write and decompression */
    uint8_t *zbuf;                   /* compressed bytes (up to two clusters) */
    uint8_t *rbuf;                   /* one refcount block, for the free-cluster scan */
};

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

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}
static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static uint64_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* ---- refcounts -------------------------------------------------------------------- */

/* Byte offset and bit shift of cluster index c's refcount within its block. */
static void refcount_pos(const struct qcow2 *q, uint64_t c, uint64_t *byte, unsigned *shift)
{
    uint64_t j = c % q->rb_entries;
    if (q->refcount_bits >= 8) {
        *byte = j * (q->refcount_bits / 8);
        *shift = 0;
    } else {
        *byte = j * q->refcount_bits / 8;
        *shift = (unsigned)(j % (8 / q->refcount_bits)) * q->refcount_bits;
    }
}

static int refblock_offset(struct block_dev *bd, uint64_t c, uint64_t *out)
{
    struct qcow2 *q = bd->state;
    uint64_t idx = c / q->rb_entries;
    if (idx >= q->rt_entries) {
        *out = 0;
        return 0;
    }
    uint64_t off = q->rt[idx] & QCOW2_RT_OFFSET_MASK;
    if (off & (q->cluster_size - 1))
        return block_corrupt(bd, "refcount block %#llx is not cluster-aligned",
                             (unsigned long long)off);
    *out = off;
    return 0;
}

/* The bytes that hold one refcount (the one byte it shares for widths below
 * 8). At most 8: qcow2_open rejects refcount_order > 6. The bound is spelled
 * out here as well because the callers read and write an 8-byte buffer, and
 * GCC cannot see the check in qcow2_open from them (a -O3 ASan build once
 * failed with -Werror=stringop-overflow on that buffer). */
static unsigned refcount_bytes(const struct qcow2 *q)
{
    unsigned n = q->refcount_bits >= 8 ? q->refcount_bits / 8 : 1;
    return n < 8 ? n : 8;
}

/* A refcount's value from its bytes p (shift: its bit position for widths
 * below 8), and the reverse. Widths of 8 bits and more are big-endian. */
static uint64_t refcount_decode(const struct qcow2 *q, const uint8_t *p, unsigned shift)
{
    if (q->refcount_bits < 8)
        return (p[0] >> shift) & ((1u << q->refcount_bits) - 1);
    uint64_t v = 0;
    for (unsigned i = 0; i < refcount_bytes(q); i++)
        v = v << 8 | p[i];
    return v;
}

static void refcount_encode(const struct qcow2 *q, uint8_t *p, unsigned shift, uint64_t value)
{
    if (q->refcount_bits < 8) {
        uint8_t mask = (uint8_t)(((1u << q->refcount_bits) - 1) << shift);
        p[0] = (uint8_t)((p[0] & ~mask) | ((value << shift) & mask));
        return;
    }
    unsigned n = refcount_bytes(q);
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(value >> (8 * (n - 1 - i)));
}

static int refcount_get(struct block_dev *bd, uint64_t c, uint64_t *value)
{
    struct qcow2 *q = bd->state;
    uint64_t blk = 0;
    int rc = refblock_offset(bd, c, &blk);
    if (rc)
        return rc;
    *value = 0;
    if (!blk)
        return 0;
    uint64_t byte;
    unsigned shift;
    refcount_pos(q, c, &byte, &shift);
    uint8_t b[8];
    unsigned n = refcount_bytes(q);
    if ((rc = block_pread(bd, b, n, blk + byte)) != 0)
        return rc;
    *value = refcount_decode(q, b, shift);
    return 0;
}

/* Store a refcount into a block that exists (write only the bytes it has). */
static int refcount_store(struct block_dev *bd, uint64_t blk, uint64_t c, uint64_t value)
{
    struct qcow2 *q = bd->state;
    uint64_t byte;
    unsigned shift;
    refcount_pos(q, c, &byte, &shift);
    uint8_t b[8];
    unsigned n = refcount_bytes(q);
    int rc;
    if (q->refcount_bits < 8 && (rc = block_pread(bd, b, 1, blk + byte)) != 0)
        return rc;
    refcount_encode(q, b, shift, value);
    return block_pwrite(bd, b, n, blk + byte);
}

static int refcount_release(struct block_dev *bd, uint64_t c);

/* The refcount block of table entry i (0: none, or beyond the table). */
static uint64_t refblock_at(const struct qcow2 *q, uint64_t i)
{
    return i < q->rt_entries ? q->rt[i] & QCOW2_RT_OFFSET_MASK : 0;
}

/*
 * Grow the refcount table so that it has an entry `need` (qcow2.txt: the
 * table may be grown, and moved). A new table, at least twice as large, is
 * appended at the end of the file, followed by the refcount blocks its own
 * clusters need that do not exist yet; the old entries are copied over.
 * All of that is written and made durable before the header is switched to
 * it in one 12-byte write (table offset and size, adjacent fields); only
 * then are the old table's clusters freed. At any crash point the header
 * names one complete table, and the other one's clusters are at worst
 * leaked.
 */
static int grow_refcount_table(struct block_dev *bd, uint64_t need)
{
    struct qcow2 *q = bd->state;
    uint64_t cs = q->cluster_size, per_cluster = cs / 8, rbe = q->rb_entries;
    uint64_t s = q->alloc_next >> q->cluster_bits;  /* the first new cluster */
    uint64_t tbl = 0, nrb = 0;
    /* Sizes by fixed point: the table must cover the blocks it and the new
     * blocks live in, and those blocks cover the table. Both only grow. */
    for (int iter = 0;; iter++) {
        if (iter > 16)
            return block_corrupt(bd, "cannot size a grown refcount table");
        uint64_t end = s + tbl + nrb;
        uint64_t entries = need + 1;
        if (end > s && (end - 1) / rbe + 1 > entries)
            entries = (end - 1) / rbe + 1;
        if (entries < 2 * q->rt_entries)
            entries = 2 * q->rt_entries;
        uint64_t ntbl = (entries + per_cluster - 1) / per_cluster;
        uint64_t nend = s + ntbl + nrb, nnrb = 0;
        for (uint64_t i = s / rbe; i <= (nend - 1) / rbe; i++)
            nnrb += !refblock_at(q, i);
        if (ntbl == tbl && nnrb == nrb)
            break;
        tbl = ntbl;
        nrb = nnrb;
    }
    if (tbl * cs > QCOW2_MAX_RT_BYTES)
        return block_corrupt(bd, "the refcount table would grow past %u MiB",
                             QCOW2_MAX_RT_BYTES >> 20);
    uint64_t end = s + tbl + nrb, entries = tbl * per_cluster;
    uint64_t *nt = calloc(entries, 8);
    uint8_t *blk = calloc(1, cs);
    uint8_t *raw = malloc(tbl * cs);
    int rc = 0;
    if (!nt || !blk || !raw) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(nt, q->rt, q->rt_entries * 8);
    /* The new blocks, each with the refcounts of the new clusters it covers. */
    uint64_t next = s + tbl;
    for (uint64_t i = s / rbe; i <= (end - 1) / rbe && !rc; i++) {
        uint64_t lo = i * rbe > s ? i * rbe : s, hi = (i + 1) * rbe < end ? (i + 1) * rbe : end;
        uint64_t at = refblock_at(q, i);
        if (at) {                           /* an old block: count them in place */
            for (uint64_t c = lo; c < hi && !rc; c++)
                rc = refcount_store(bd, at, c, 1);
            continue;
        }
        memset(blk, 0, cs);
        for (uint64_t c = lo; c < hi; c++) {
            uint64_t byte;
            unsigned shift;
            refcount_pos(q, c, &byte, &shift);
            refcount_encode(q, blk + byte, shift, 1);
        }
        nt[i] = next << q->cluster_bits;
        rc = block_pwrite(bd, blk, cs, nt[i]);
        next++;
    }
    if (rc)
        goto out;
    for (uint64_t i = 0; i < entries; i++)
        put_be64(raw + i * 8, nt[i]);
    uint8_t h[12];
    put_be64(h, s << q->cluster_bits);
    put_be32(h + 8, (uint32_t)tbl);
    if ((rc = block_pwrite(bd, raw, tbl * cs, s << q->cluster_bits)) != 0 ||
        (rc = block_sync(bd)) != 0 ||
        (rc = block_pwrite(bd, h, 12, 48)) != 0 ||
        (rc = block_sync(bd)) != 0)
        goto out;
    uint64_t old = q->rt_offset >> q->cluster_bits;
    uint64_t old_clusters = q->rt_entries / per_cluster;
    free(q->rt);
    q->rt = nt;
    nt = NULL;
    q->rt_entries = entries;
    q->rt_offset = s << q->cluster_bits;
    q->alloc_next = end << q->cluster_bits;
    for (uint64_t c = old; c < old + old_clusters && !rc; c++)
        rc = refcount_release(bd, c);
out:
    free(nt);
    free(blk);
    free(raw);
    return rc;
}

static int refcount_set(struct block_dev *bd, uint64_t c, uint64_t value);

/*
 * Make sure cluster index c has a refcount block, appending one if needed.
 * The new block is written (counting itself if it covers itself) and made
 * durable before the refcount table points to it.
 */
static int ensure_refblock(struct block_dev *bd, uint64_t c, int depth)
{
    struct qcow2 *q = bd->state;
    uint64_t idx = c / q->rb_entries;
    int rc;
    if (idx >= q->rt_entries && (rc = grow_refcount_table(bd, idx)) != 0)
        return rc;
    if (q->rt[idx] & QCOW2_RT_OFFSET_MASK)
        return 0;
    if (depth > 4)
        return block_corrupt(bd, "cannot place a refcount block");
    uint64_t r = q->alloc_next;
    q->alloc_next += q->cluster_size;
    uint64_t rc_idx = r >> q->cluster_bits;
    memset(q->buf, 0, q->cluster_size);
    bool self = rc_idx / q->rb_entries == idx;
    if ((rc = block_pwrite(bd, q->buf, q->cluster_size, r)) != 0)
        return rc;
    if (self) {
        if ((rc = refcount_store(bd, r, rc_idx, 1)) != 0)
            return rc;
    } else {
        /* The new block lies in the next block's range: count it there. */
        if ((rc = ensure_refblock(bd, rc_idx, depth + 1)) != 0 ||
            (rc = refcount_set(bd, rc_idx, 1)) != 0)
            return rc;
    }
    if ((rc = block_sync(bd)) != 0)
        return rc;
    uint8_t e[8];
    put_be64(e, r);
    if ((rc = block_pwrite(bd, e, 8, q->rt_offset + idx * 8)) != 0)
        return rc;
    q->rt[idx] = r;
    return 0;
}

static int refcount_set(struct block_dev *bd, uint64_t c, uint64_t value)
{
    int rc = ensure_refblock(bd, c, 0);
    if (rc)
        return rc;
    uint64_t blk = 0;
    if ((rc = refblock_offset(bd, c, &blk)) != 0)
        return rc;
    return refcount_store(bd, blk, c, value);
}

/* Drop one reference to cluster c. A cluster whose count reaches 0 is free
 * for reuse, but only after a barrier: until then what pointed at it may
 * still be on disk. A count that is already 0 is left alone: that is a
 * corruption qemu-img check reports, not one to make worse. */
static int refcount_release(struct block_dev *bd, uint64_t c)
{
    struct qcow2 *q = bd->state;
    uint64_t v;
    int rc = refcount_get(bd, c, &v);
    if (rc || v == 0)
        return rc;
    if ((rc = refcount_set(bd, c, v - 1)) != 0)
        return rc;
    if (v == 1) {
        if (c < q->free_hint)
            q->free_hint = c;
        q->free_unsynced = true;
    }
    return 0;
}

/* The lowest free cluster (refcount 0) below the end of the file, at or
 * after free_hint, or 0 if there is none. Reads whole refcount blocks. */
static int find_free_cluster(struct block_dev *bd, uint64_t *host)
{
    struct qcow2 *q = bd->state;
    uint64_t limit = q->alloc_next >> q->cluster_bits;
    *host = 0;
    for (uint64_t c = q->free_hint; c < limit;) {
        uint64_t i = c / q->rb_entries, blk = 0;
        int rc = refblock_offset(bd, c, &blk);
        if (rc)
            return rc;
        if (!blk) {                        /* no block: nothing here is counted */
            q->free_hint = c + 1;
            *host = c << q->cluster_bits;
            return 0;
        }
        if ((rc = block_pread(bd, q->rbuf, q->cluster_size, blk)) != 0)
            return rc;
        uint64_t stop = (i + 1) * q->rb_entries < limit ? (i + 1) * q->rb_entries : limit;
        for (; c < stop; c++) {
            uint64_t byte;
            unsigned shift;
            refcount_pos(q, c, &byte, &shift);
            if (refcount_decode(q, q->rbuf + byte, shift) == 0) {
                q->free_hint = c + 1;
                *host = c << q->cluster_bits;
                return 0;
            }
        }
    }
    q->free_hint = limit;
    return 0;
}

/* Place one cluster (a freed one if there is one, else at the end of the
 * file): write its contents, then its refcount. The caller issues the
 * barrier before anything points to it. */
static int alloc_cluster(struct block_dev *bd, const void *data, uint64_t *host)
{
    struct qcow2 *q = bd->state;
    uint64_t h;
    int rc = find_free_cluster(bd, &h);
    if (rc)
        return rc;
    if (h && q->free_unsynced) {
        if ((rc = block_sync(bd)) != 0)
            return rc;
        q->free_unsynced = false;
    }
    if (!h) {
        h = q->alloc_next;
        if (h >= QCOW2_MAX_SIZE)
            return block_corrupt(bd, "the file would grow past 2^56 bytes");
        q->alloc_next += q->cluster_size;
    }
    if ((rc = block_pwrite(bd, data, q->cluster_size, h)) != 0 ||
        (rc = refcount_set(bd, h >> q->cluster_bits, 1)) != 0)
        return rc;
    *host = h;
    return 0;
}

/* ---- L2 tables ----------------------------------------------------------------------- */

static int l2_load(struct block_dev *bd, uint64_t off, struct l2_slot **out)
{
    struct qcow2 *q = bd->state;
    *out = NULL;                    /* on an error too */
    struct l2_slot *victim = &q->l2c[0];
    for (int i = 0; i < QCOW2_L2_CACHE; i++) {
        struct l2_slot *s = &q->l2c[i];
        if (s->offset == off) {
            s->used = ++q->tick;
            *out = s;
            return 0;
        }
        if (s->used < victim->used)
            victim = s;
    }
    if (off & (q->cluster_size - 1))
        return block_corrupt(bd, "L2 table offset %#llx is not cluster-aligned",
                             (unsigned long long)off);
    if (off + q->cluster_size > file_size(bd->fd) || off < q->cluster_size)
        return block_corrupt(bd, "L2 table offset %#llx is outside the file",
                             (unsigned long long)off);
    victim->offset = 0;
    int rc = block_pread(bd, victim->table, q->cluster_size, off);
    if (rc)
        return rc;
    victim->offset = off;
    victim->used = ++q->tick;
    *out = victim;
    return 0;
}

/* The L2 entry of guest cluster vc (host order; 0 if its L2 table does not
 * exist). slot/index say where it lives when it does. */
static int l2_entry(struct block_dev *bd, uint64_t vc, uint64_t *entry,
                    struct l2_slot **slot, uint64_t *index)
{
    struct qcow2 *q = bd->state;
    uint64_t l1i = vc >> q->l2_bits;
    *entry = 0;
    if (slot)
        *slot = NULL;
    if (l1i >= q->l1_size)
        return block_corrupt(bd, "guest cluster %llu is beyond the L1 table",
                             (unsigned long long)vc);
    uint64_t l1e = q->l1[l1i];
    if (l1e & QCOW2_L1_RESERVED)
        return block_corrupt(bd, "L1 entry %llu has reserved bits set (%#llx)",
                             (unsigned long long)l1i, (unsigned long long)l1e);
    uint64_t off = l1e & QCOW2_OFFSET_MASK;
    if (!off)
        return 0;
    struct l2_slot *s;
    int rc = l2_load(bd, off, &s);
    if (rc)
        return rc;
    uint64_t i = vc & ((1ull << q->l2_bits) - 1);
    *entry = be64toh(s->table[i]);
    if (slot)
        *slot = s;
    if (index)
        *index = i;
    return 0;
}

/* ---- reading ----------------------------------------------------------------------- */

static int read_backing(struct block_dev *bd, uint64_t off, void *buf, size_t len)
{
    struct block_dev *b = bd->backing;
    if (!b || off >= b->size) {
        memset(buf, 0, len);
        return 0;
    }
    size_t n = len;
    if (n > b->size - off)
        n = (size_t)(b->size - off);
    memset((uint8_t *)buf + n, 0, len - n);
    return b->drv->read(b, off, buf, n);
}

/* Inflate a compressed cluster into q->buf. */
static int read_compressed(struct block_dev *bd, uint64_t entry)
{
    struct qcow2 *q = bd->state;
    unsigned x = 62 - (q->cluster_bits - 8);
    uint64_t off = entry & ((1ull << x) - 1);
    uint64_t sectors = (entry >> x) & ((1ull << (q->cluster_bits - 8)) - 1);
    size_t csize = (size_t)((sectors + 1) * 512 - (off & 511));
    uint64_t fsize = file_size(bd->fd);
    if (off >= fsize)
        return block_corrupt(bd, "compressed cluster at %#llx is outside the file",
                             (unsigned long long)off);
    if (csize > fsize - off)
        csize = (size_t)(fsize - off);
    int rc = block_pread(bd, q->zbuf, csize, off);
    if (rc)
        return rc;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -12) != Z_OK)
        return -ENOMEM;
    z.next_in = q->zbuf;
    z.avail_in = (uInt)csize;
    z.next_out = q->buf;
    z.avail_out = (uInt)q->cluster_size;
    int zr = inflate(&z, Z_FINISH);
    bool ok = (zr == Z_STREAM_END || zr == Z_BUF_ERROR || zr == Z_OK) && z.avail_out == 0;
    inflateEnd(&z);
    if (!ok)
        return block_corrupt(bd, "compressed cluster at %#llx does not inflate",
                             (unsigned long long)off);
    return 0;
}

/* Check a standard (uncompressed) L2 entry; returns its host offset. */
static int standard_host(struct block_dev *bd, uint64_t entry, uint64_t *host)
{
    struct qcow2 *q = bd->state;
    uint64_t reserved = QCOW2_L2_RESERVED;
    if (q->version < 3)
        reserved |= QCOW2_OFLAG_ZERO;   /* v2 has no zero flag: bit 0 is reserved */
    if (entry & reserved)
        return block_corrupt(bd, "L2 entry %#llx has reserved bits set",
                             (unsigned long long)entry);
    *host = entry & QCOW2_OFFSET_MASK;
    if (*host & (q->cluster_size - 1))
        return block_corrupt(bd, "data cluster offset %#llx is not cluster-aligned",
                             (unsigned long long)*host);
    return 0;
}

/* Read [in, in+n) of guest cluster vc whose L2 entry is `entry`. */
static int read_in_cluster(struct block_dev *bd, uint64_t vc, uint64_t entry,
                           uint64_t in, uint8_t *buf, size_t n)
{
    struct qcow2 *q = bd->state;
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        int rc = read_compressed(bd, entry);
        if (rc)
            return rc;
        memcpy(buf, q->buf + in, n);
        return 0;
    }
    uint64_t host = 0;
    int rc = standard_host(bd, entry, &host);
    if (rc)
        return rc;
    if (entry & QCOW2_OFLAG_ZERO) {
        memset(buf, 0, n);
        return 0;
    }
    if (!host)
        return read_backing(bd, (vc << q->cluster_bits) + in, buf, n);
    return block_pread(bd, buf, n, host + in);
}

static int qcow2_read(struct block_dev *bd, uint64_t off, void *vbuf, size_t len)
{
    struct qcow2 *q = bd->state;
    uint8_t *buf = vbuf;
    while (len) {
        uint64_t vc = off >> q->cluster_bits, in = off & (q->cluster_size - 1);
        size_t n = (size_t)(q->cluster_size - in);
        if (n > len)
            n = len;
        uint64_t e;
        int rc = l2_entry(bd, vc, &e, NULL, NULL);
        if (rc == 0)
            rc = read_in_cluster(bd, vc, e, in, buf, n);
        if (rc)
            return rc;
        buf += n;
        off += n;
        len -= n;
    }
    return 0;
}

/* ---- writing ----------------------------------------------------------------------- */

static int set_l1(struct block_dev *bd, uint64_t l1i, uint64_t value)
{
    struct qcow2 *q = bd->state;
    uint8_t e[8];
    put_be64(e, value);
    int rc = block_pwrite(bd, e, 8, q->l1_offset + l1i * 8);
    if (rc == 0)
        q->l1[l1i] = value;
    return rc;
}

/* Release the host clusters a compressed entry used (after nothing points
 * at them any more). */
static int release_compressed(struct block_dev *bd, uint64_t entry)
{
    struct qcow2 *q = bd->state;
    unsigned x = 62 - (q->cluster_bits - 8);
    uint64_t off = entry & ((1ull << x) - 1);
    uint64_t sectors = (entry >> x) & ((1ull << (q->cluster_bits - 8)) - 1);
    uint64_t end = (off & ~511ull) + (sectors + 1) * 512;
    for (uint64_t c = off >> q->cluster_bits; c <= (end - 1) >> q->cluster_bits; c++) {
        int rc = refcount_release(bd, c);
        if (rc)
            return rc;
    }
    return 0;
}

static int write_in_cluster(struct block_dev *bd, uint64_t vc, uint64_t in,
                            const uint8_t *buf, size_t n)
{
    struct qcow2 *q = bd->state;
    uint64_t e, idx = 0;
    struct l2_slot *slot;
    int rc = l2_entry(bd, vc, &e, &slot, &idx);
    if (rc)
        return rc;

    uint64_t host = 0;
    if (!(e & QCOW2_OFLAG_COMPRESSED)) {
        if ((rc = standard_host(bd, e, &host)) != 0)
            return rc;
        if (host && !(e & QCOW2_OFLAG_ZERO)) {
            /* An allocated cluster: in place if this image alone uses it. */
            uint64_t refs = 1;
            if (!(e & QCOW2_OFLAG_COPIED) && (rc = refcount_get(bd, host >> q->cluster_bits, &refs)))
                return rc;
            if (refs == 1)
                return block_pwrite(bd, buf, n, host + in);
            return block_corrupt(bd, "data cluster %#llx is shared (internal snapshot)",
                                 (unsigned long long)host);
        }
    }

    /* No L2 table yet: append a zeroed one, then point the L1 entry at it. */
    uint64_t l1i = vc >> q->l2_bits;
    if (!slot) {
        uint64_t l2 = 0;
        memset(q->buf, 0, q->cluster_size);
        if ((rc = alloc_cluster(bd, q->buf, &l2)) != 0 ||
            (rc = block_sync(bd)) != 0 ||
            (rc = set_l1(bd, l1i, l2 | QCOW2_OFLAG_COPIED)) != 0 ||
            (rc = l2_entry(bd, vc, &e, &slot, &idx)) != 0)
            return rc;
        if (!slot)
            return -EIO;
    } else if (!(q->l1[l1i] & QCOW2_OFLAG_COPIED)) {
        uint64_t refs;
        if ((rc = refcount_get(bd, (q->l1[l1i] & QCOW2_OFFSET_MASK) >> q->cluster_bits, &refs)))
            return rc;
        if (refs != 1)
            return block_corrupt(bd, "L2 table %#llx is shared (internal snapshot)",
                                 (unsigned long long)(q->l1[l1i] & QCOW2_OFFSET_MASK));
    }

    /* The whole new cluster: the old contents around the written part. */
    if (n < q->cluster_size) {
        if (e & QCOW2_OFLAG_COMPRESSED) {
            if ((rc = read_compressed(bd, e)) != 0)
                return rc;
        } else if (e & QCOW2_OFLAG_ZERO) {
            memset(q->buf, 0, q->cluster_size);
        } else if ((rc = read_backing(bd, vc << q->cluster_bits, q->buf, q->cluster_size)) != 0) {
            return rc;
        }
    }
    memcpy(q->buf + in, buf, n);

    uint64_t newhost = 0;
    if (host && (e & QCOW2_OFLAG_ZERO) && (e & QCOW2_OFLAG_COPIED)) {
        /* A preallocated zero cluster of ours: fill it, then clear the flag. */
        newhost = host;
        rc = block_pwrite(bd, q->buf, q->cluster_size, host);
    } else {
        rc = alloc_cluster(bd, q->buf, &newhost);
    }
    if (rc || (rc = block_sync(bd)) != 0)
        return rc;
    uint64_t ne = newhost | QCOW2_OFLAG_COPIED;
    uint8_t be[8];
    put_be64(be, ne);
    if ((rc = block_pwrite(bd, be, 8, slot->offset + idx * 8)) != 0)
        return rc;
    slot->table[idx] = htobe64(ne);
    if (e & QCOW2_OFLAG_COMPRESSED)
        return release_compressed(bd, e);
    return 0;
}

static int qcow2_write(struct block_dev *bd, uint64_t off, const void *vbuf, size_t len)
{
    struct qcow2 *q = bd->state;
    const uint8_t *buf = vbuf;
    while (len) {
        uint64_t vc = off >> q->cluster_bits, in = off & (q->cluster_size - 1);
        size_t n = (size_t)(q->cluster_size - in);
        if (n > len)
            n = len;
        int rc = write_in_cluster(bd, vc, in, buf, n);
        if (rc)
            return rc;
        buf += n;
        off += n;
        len -= n;
    }
    return 0;
}

static int qcow2_flush(struct block_dev *bd)
{
    return block_sync(bd);
}

static void qcow2_close(struct block_dev *bd)
{
    struct qcow2 *q = bd->state;
    if (!q)
        return;
    for (int i = 0; i < QCOW2_L2_CACHE; i++)
        free(q->l2c[i].table);
    free(q->l1);
    free(q->rt);
    free(q->buf);
    free(q->zbuf);
    free(q->rbuf);
    free(q);
    bd->state = NULL;
}

/* ---- opening ---------------------------------------------------------------------- */

/* The backing file's name resolved against the image's directory. */
static void backing_path(const char *image, const char *name, char *out, size_t size)
{
    if (name[0] == '/') {
        snprintf(out, size, "%s", name);
        return;
    }
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", image);
    snprintf(out, size, "%s/%s", dirname(tmp), name);
}

static int qcow2_open(struct block_dev *bd, int depth, char *err, size_t errlen)
{
    uint8_t h[QCOW2_V3_HEADER];
    uint64_t fsize = file_size(bd->fd);
    if (fsize < QCOW2_V2_HEADER) {
        set_err(err, errlen, "qcow2: the file is truncated (%llu bytes, shorter than "
                "the header)", (unsigned long long)fsize);
        return -1;
    }
    memset(h, 0, sizeof(h));
    if (block_pread(bd, h, sizeof(h), 0) != 0) {
        set_err(err, errlen, "qcow2: cannot read the header: %s", strerror(errno));
        return -1;
    }
    if (get_be32(h) != QCOW2_MAGIC) {
        set_err(err, errlen, "not a qcow2 image (bad magic)");
        return -1;
    }
    uint32_t version = get_be32(h + 4);
    if (version != 2 && version != 3) {
        set_err(err, errlen, "qcow2 version %u is not supported (2 and 3 are)", version);
        return -1;
    }
    uint64_t backing_off = get_be64(h + 8);
    uint32_t backing_len = get_be32(h + 16);
    uint32_t cluster_bits = get_be32(h + 20);
    uint64_t size = get_be64(h + 24);
    uint32_t crypt = get_be32(h + 32);
    uint32_t l1_size = get_be32(h + 36);
    uint64_t l1_off = get_be64(h + 40);
    uint64_t rt_off = get_be64(h + 48);
    uint32_t rt_clusters = get_be32(h + 56);
    uint32_t nb_snapshots = get_be32(h + 60);
    uint64_t incompat = 0, autoclear = 0;
    uint32_t refcount_order = 4, header_len = QCOW2_V2_HEADER;
    if (version == 3) {
        if (fsize < QCOW2_V3_HEADER) {
            set_err(err, errlen, "qcow2: the file is truncated (shorter than the v3 header)");
            return -1;
        }
        incompat = get_be64(h + 72);
        autoclear = get_be64(h + 88);
        refcount_order = get_be32(h + 96);
        header_len = get_be32(h + 100);
    }

    if (cluster_bits < 9 || cluster_bits > 21) {
        set_err(err, errlen, "qcow2: cluster size 2^%u is not supported (512 B to 2 MiB)",
                cluster_bits);
        return -1;
    }
    uint64_t cs = 1ull << cluster_bits;
    if (crypt != 0) {
        set_err(err, errlen, "encrypted qcow2 images are not supported (encryption "
                "method %u); decrypt it with qemu-img convert", crypt);
        return -1;
    }
    if (incompat & ~QCOW2_INCOMPAT_KNOWN) {
        set_err(err, errlen, "qcow2: unknown incompatible features %#llx",
                (unsigned long long)(incompat & ~QCOW2_INCOMPAT_KNOWN));
        return -1;
    }
    if (incompat & QCOW2_INCOMPAT_DATA_FILE) {
        set_err(err, errlen, "qcow2 images with an external data file are not supported");
        return -1;
    }
    if (incompat & QCOW2_INCOMPAT_EXTL2) {
        set_err(err, errlen, "qcow2 images with extended L2 entries (subclusters) are "
                "not supported");
        return -1;
    }
    if (version == 3 && (header_len < QCOW2_V3_HEADER || header_len > cs ||
                         header_len % 8 != 0)) {
        set_err(err, errlen, "qcow2: bad header length %u", header_len);
        return -1;
    }
    if (incompat & QCOW2_INCOMPAT_COMPRESSION) {
        uint8_t type = 0;
        if (header_len < QCOW2_V3_HEADER + 1 ||
            block_pread(bd, &type, 1, QCOW2_V3_HEADER) != 0 || type != 0) {
            set_err(err, errlen, "qcow2: compression type %u is not supported (only zlib)",
                    type);
            return -1;
        }
    }
    if (!bd->readonly && (incompat & QCOW2_INCOMPAT_CORRUPT)) {
        set_err(err, errlen, "qcow2: the image is marked corrupt; repair it with "
                "qemu-img check -r all, or open it with readonly=on");
        return -1;
    }
    if (!bd->readonly && (incompat & QCOW2_INCOMPAT_DIRTY)) {
        set_err(err, errlen, "qcow2: the image is dirty (lazy refcounts not written "
                "back); repair it with qemu-img check -r all, or open it with readonly=on");
        return -1;
    }
    if (!bd->readonly && nb_snapshots) {
        set_err(err, errlen, "qcow2: the image has %u internal snapshot(s); softvm "
                "writes only images without them (use readonly=on or -snapshot)",
                nb_snapshots);
        return -1;
    }
    if (refcount_order > 6) {
        set_err(err, errlen, "qcow2: refcount width 2^%u bits is not supported (at most 64)",
                refcount_order);
        return -1;
    }
    if (size > QCOW2_MAX_SIZE) {
        set_err(err, errlen, "qcow2: virtual size %llu is too large",
                (unsigned long long)size);
        return -1;
    }
    uint32_t l2_bits = cluster_bits - 3;
    uint64_t per_l1 = cs << l2_bits;          /* guest bytes one L2 table maps */
    uint64_t l1_needed = (size + per_l1 - 1) / per_l1;
    if (l1_size < l1_needed) {
        set_err(err, errlen, "qcow2: the L1 table (%u entries) is too small for the "
                "virtual size %llu", l1_size, (unsigned long long)size);
        return -1;
    }
    if ((uint64_t)l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        set_err(err, errlen, "qcow2: the L1 table is too large (%u entries)", l1_size);
        return -1;
    }
    if (l1_size && ((l1_off & (cs - 1)) || l1_off == 0 || l1_off > fsize ||
                    (uint64_t)l1_size * 8 > fsize - l1_off)) {
        set_err(err, errlen, "qcow2: the L1 table at %#llx (%u entries) is not inside "
                "the file (truncated?)", (unsigned long long)l1_off, l1_size);
        return -1;
    }
    if (rt_clusters == 0 || (uint64_t)rt_clusters * cs > QCOW2_MAX_RT_BYTES) {
        set_err(err, errlen, "qcow2: bad refcount table size (%u clusters)", rt_clusters);
        return -1;
    }
    if ((rt_off & (cs - 1)) || rt_off == 0 || rt_off > fsize ||
        (uint64_t)rt_clusters * cs > fsize - rt_off) {
        set_err(err, errlen, "qcow2: the refcount table at %#llx is not inside the file "
                "(truncated?)", (unsigned long long)rt_off);
        return -1;
    }

    struct qcow2 *q = calloc(1, sizeof(*q));
    if (!q) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    bd->state = q;
    q->version = version;
    q->cluster_bits = cluster_bits;
    q->cluster_size = cs;
    q->l2_bits = l2_bits;
    q->l1_size = l1_size;
    q->l1_offset = l1_off;
    q->rt_offset = rt_off;
    q->rt_entries = (uint64_t)rt_clusters * cs / 8;
    q->refcount_bits = 1u << refcount_order;
    q->rb_entries = cs * 8 / q->refcount_bits;
    q->incompat = incompat;
    q->nb_snapshots = nb_snapshots;
    q->alloc_next = (fsize + cs - 1) & ~(cs - 1);
    q->buf = malloc(cs);
    q->zbuf = malloc(2 * cs);
    q->rbuf = malloc(cs);
    q->l1 = calloc(l1_size ? l1_size : 1, 8);
    q->rt = calloc(q->rt_entries, 8);
    bool oom = !q->buf || !q->zbuf || !q->rbuf || !q->l1 || !q->rt;
    for (int i = 0; i < QCOW2_L2_CACHE && !oom; i++)
        oom = !(q->l2c[i].table = malloc(cs));
    if (oom) {
        set_err(err, errlen, "out of memory for the qcow2 tables");
        goto fail;
    }
    if (block_pread(bd, q->l1, (size_t)l1_size * 8, l1_off) != 0 ||
        block_pread(bd, q->rt, (size_t)(q->rt_entries * 8), rt_off) != 0) {
        set_err(err, errlen, "qcow2: cannot read the tables: %s", strerror(errno));
        goto fail;
    }
    for (uint32_t i = 0; i < l1_size; i++)
        q->l1[i] = be64toh(q->l1[i]);
    for (uint64_t i = 0; i < q->rt_entries; i++) {
        q->rt[i] = be64toh(q->rt[i]);
        uint64_t r = q->rt[i] & QCOW2_RT_OFFSET_MASK;
        if ((q->rt[i] & ~QCOW2_RT_OFFSET_MASK) || (r & (cs - 1)) ||
            (r && (r > fsize || cs > fsize - r))) {
            set_err(err, errlen, "qcow2: refcount table entry %llu (%#llx) is invalid",
                    (unsigned long long)i, (unsigned long long)q->rt[i]);
            goto fail;
        }
    }

    /* Header extensions: between the header and the end of the first cluster
     * (v2: from byte 72; v3: from header_length), until the end marker. */
    char backing_fmt[16] = "";
    uint64_t ext = header_len;
    uint64_t ext_end = backing_off && backing_off < cs ? backing_off : cs;
    while (ext + 8 <= ext_end) {
        uint8_t eh[8];
        if (block_pread(bd, eh, 8, ext) != 0)
            break;
        uint32_t type = get_be32(eh), len = get_be32(eh + 4);
        if (type == QCOW2_EXT_END)
            break;
        if (len > ext_end - ext - 8) {
            set_err(err, errlen, "qcow2: header extension %#x overruns the first cluster",
                    type);
            goto fail;
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            size_t n = len < sizeof(backing_fmt) - 1 ? len : sizeof(backing_fmt) - 1;
            if (block_pread(bd, backing_fmt, n, ext + 8) != 0)
                break;
            backing_fmt[n] = '\0';
        } else if (type == QCOW2_EXT_DATA_FILE) {
            set_err(err, errlen, "qcow2 images with an external data file are not supported");
            goto fail;
        }
        ext += 8 + (((uint64_t)len + 7) & ~7ull);
    }

    if (backing_off && !bd->backing) {
        if (backing_len == 0 || backing_len > 1023 || backing_off >= cs ||
            backing_len > cs - backing_off) {
            set_err(err, errlen, "qcow2: bad backing file name (offset %#llx, length %u)",
                    (unsigned long long)backing_off, backing_len);
            goto fail;
        }
        char name[1024], full[PATH_MAX + 1024];
        if (block_pread(bd, name, backing_len, backing_off) != 0) {
            set_err(err, errlen, "qcow2: cannot read the backing file name");
            goto fail;
        }
        name[backing_len] = '\0';
        if (strlen(name) != backing_len) {
            set_err(err, errlen, "qcow2: the backing file name has a NUL byte");
            goto fail;
        }
        enum block_format bf = BLOCK_FORMAT_AUTO;
        if (!strcmp(backing_fmt, "raw"))
            bf = BLOCK_FORMAT_RAW;
        else if (!strcmp(backing_fmt, "qcow2"))
            bf = BLOCK_FORMAT_QCOW2;
        else if (backing_fmt[0]) {
            set_err(err, errlen, "qcow2: backing file format '%s' is not supported",
                    backing_fmt);
            goto fail;
        }
        backing_path(bd->path, name, full, sizeof(full));
        bd->backing = block_open_backing(full, bf, depth + 1, err, errlen);
        if (!bd->backing)
            goto fail;
    }

    /* Autoclear features this writer does not maintain must be cleared. */
    if (!bd->readonly && autoclear) {
        uint8_t z[8] = { 0 };
        if (block_pwrite(bd, z, 8, 88) != 0) {
            set_err(err, errlen, "qcow2: cannot update the header: %s", strerror(errno));
            goto fail;
        }
    }
    bd->size = size;
    return 0;
fail:
    qcow2_close(bd);
    return -1;
}

const struct block_driver block_qcow2_driver = {
    .name = "qcow2", .open = qcow2_open, .read = qcow2_read, .write = qcow2_write,
    .flush = qcow2_flush, .close = qcow2_close,
};

/* ---- creating -------------------------------------------------------------------- */

int qcow2_create(const char *path, uint64_t size, unsigned cluster_bits,
                 const char *backing, const char *backing_format, char *err, size_t errlen)
{
    if (cluster_bits < 9 || cluster_bits > 21 || size > QCOW2_MAX_SIZE) {
        set_err(err, errlen, "qcow2: bad cluster size or virtual size");
        return -1;
    }
    uint64_t cs = 1ull << cluster_bits;
    uint64_t per_l1 = cs << (cluster_bits - 3);
    uint64_t l1_size = (size + per_l1 - 1) / per_l1;
    uint64_t l1_clusters = (l1_size * 8 + cs - 1) / cs;
    if (l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        set_err(err, errlen, "qcow2: virtual size too large for this cluster size");
        return -1;
    }
    size_t blen = backing ? strlen(backing) : 0;
    size_t flen = backing_format ? strlen(backing_format) : 0;
    if (blen > 1023 || QCOW2_V3_HEADER + 16 + flen + 8 + blen > cs) {
        set_err(err, errlen, "qcow2: backing file name too long");
        return -1;
    }
    /* Clusters: 0 header, 1 refcount table, 2 refcount block, 3.. L1. */
    uint64_t nclusters = 3 + l1_clusters;
    uint64_t rb_entries = cs * 8 / 16;
    if (nclusters > rb_entries) {
        set_err(err, errlen, "qcow2: virtual size too large for this cluster size");
        return -1;
    }
    uint8_t *img = calloc(nclusters, cs);
    if (!img) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    uint8_t *h = img;
    put_be32(h, QCOW2_MAGIC);
    put_be32(h + 4, 3);
    put_be32(h + 20, cluster_bits);
    put_be64(h + 24, size);
    put_be32(h + 36, (uint32_t)l1_size);
    put_be64(h + 40, 3 * cs);
    put_be64(h + 48, cs);
    put_be32(h + 56, 1);
    put_be32(h + 96, 4);
    put_be32(h + 100, QCOW2_V3_HEADER);
    uint64_t p = QCOW2_V3_HEADER;
    if (backing && backing_format && flen) {
        put_be32(h + p, QCOW2_EXT_BACKING_FMT);
        put_be32(h + p + 4, (uint32_t)flen);
        memcpy(h + p + 8, backing_format, flen);
        p += 8 + ((flen + 7) & ~7ull);
    }
    p += 8;                                /* end-of-extensions marker (zeros) */
    if (backing && blen) {
        put_be64(h + 8, p);
        put_be32(h + 16, (uint32_t)blen);
        memcpy(h + p, backing, blen);
    }
    put_be64(img + cs, 2 * cs);            /* refcount table -> block */
    for (uint64_t c = 0; c < nclusters; c++)   /* 16-bit refcounts of 1 */
        img[2 * cs + c * 2 + 1] = 1;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        set_err(err, errlen, "cannot create '%s': %s", path, strerror(errno));
        free(img);
        return -1;
    }
    int rc = block_fd_pwrite(fd, img, nclusters * cs, 0);
    free(img);
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc) {
        set_err(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
        unlink(path);
        return -1;
    }
    return 0;
}
