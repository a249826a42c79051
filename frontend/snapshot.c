/*
 * snapshot.c - the snapshot stream (snapshot.h; format in docs/SNAPSHOTS.md).
 *
 *   "SOFTVMSN" u32 format-version
 *   record*:  u32 tag, u64 length, payload, u64 check
 * check = vms_hash64 over tag, length and payload, seeded with the previous
 * record's check (the first with the format version), so a record changed,
 * dropped, repeated or moved breaks the chain. Records, in this order:
 *   INFO  once: icount, RAM size, ROM hash, engine, softvm version
 *   MACH  once: u64 length, then the machine's described state
 *         (devices/vmstate.h) as one zstd frame of that length
 *   RAM   per 1 MiB chunk with a nonzero page: offset, page count, a bitmap
 *         of the nonzero pages, and those pages as one zstd frame
 *   END   the number of records before it
 * All-zero chunks and pages are not stored: a load zeroes RAM first.
 */
#define _DEFAULT_SOURCE
#include "frontend/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "devices/machine/machine.h"
#include "devices/machine/machine_state.h"
#include "devices/block/block.h"
#include "memory/memory.h"

#ifndef SOFTVM_VERSION
#define SOFTVM_VERSION "0.0.0"
#endif

static const char magic[8] = { 'S', 'O', 'F', 'T', 'V', 'M', 'S', 'N' };

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_INFO TAG('I', 'N', 'F', 'O')
#define TAG_MACH TAG('M', 'A', 'C', 'H')
#define TAG_RAM  TAG('R', 'A', 'M', ' ')
#define TAG_END  TAG('E', 'N', 'D', ' ')

#define PAGE 4096u
#define CHUNK_PAGES 256u                /* 1 MiB per RAM record */
#define ZSTD_LEVEL 1                    /* fast: RAM is mostly code and zeros */

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t record_check(uint64_t chain, uint32_t tag, const uint8_t *payload, uint64_t len)
{
    uint8_t hdr[12];
    put32(hdr, tag);
    put64(hdr + 4, len);
    return vms_hash64(vms_hash64(chain, hdr, sizeof(hdr)), payload, len);
}

/* ---- writing ------------------------------------------------------------- */

struct writer {
    int fd;
    uint64_t chain;
    uint64_t records;
    uint64_t bytes;
    bool failed;
    int error;
};

static void write_all(struct writer *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n && !w->failed) {
        ssize_t k = write(w->fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->failed = true;
            w->error = k < 0 ? errno : EIO;
            return;
        }
        b += k;
        n -= (size_t)k;
        w->bytes += (uint64_t)k;
    }
}

/* One record from two pieces (a small header and a body). */
static void write_record2(struct writer *w, uint32_t tag, const void *a, size_t alen,
                          const void *b, size_t blen)
{
    uint8_t hdr[12];
    put32(hdr, tag);
    put64(hdr + 4, (uint64_t)alen + blen);
    uint64_t h = vms_hash64(w->chain, hdr, sizeof(hdr));
    /* The check covers the payload as one run of bytes. */
    if (blen) {
        uint8_t *joined = malloc(alen + blen);
        if (!joined) {
            w->failed = true;
            w->error = ENOMEM;
            return;
        }
        memcpy(joined, a, alen);
        memcpy(joined + alen, b, blen);
        h = vms_hash64(h, joined, alen + blen);
        write_all(w, hdr, sizeof(hdr));
        write_all(w, joined, alen + blen);
        free(joined);
    } else {
        h = vms_hash64(h, a, alen);
        write_all(w, hdr, sizeof(hdr));
        write_all(w, a, alen);
    }
    uint8_t c[8];
    put64(c, h);
    write_all(w, c, sizeof(c));
    w->chain = h;
    w->records++;
}

static bool page_is_zero(const uint8_t *p)
{
    uint64_t acc = 0;
    for (unsigned i = 0; i < PAGE; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        acc |= v;
    }
    return acc == 0;
}

/* A disk the guest can write, whose contents the stream does not carry. */
static const char *writable_disk(struct machine *m)
{
    struct pc_devices *d = &m->dev;
    for (int c = 0; c < 2; c++)
        for (int u = 0; u < 2; u++) {
            const struct ide_drive *dr = &d->ide.ch[c].drive[u];
            if (dr->bd && !block_is_readonly(dr->bd))
                return c == 0 ? (u == 0 ? "ide0 (primary master)" : "ide1 (primary slave)")
                              : (u == 0 ? "ide2 (secondary master)" : "ide3 (secondary slave)");
        }
    for (int i = 0; i < d->nvblk; i++)
        if (d->vblk[i].bd && !block_is_readonly(d->vblk[i].bd))
            return "a virtio-blk disk";
    return NULL;
}

int snapshot_save_fd(struct machine *m, int fd, char *err, size_t errlen)
{
    const char *disk = writable_disk(m);
    if (disk)
        return errf(err, errlen, "cannot snapshot: %s is writable and its contents are not "
                    "saved, so a restore would see a disk that moved on (use readonly=on, "
                    "or media=cdrom)", disk);
    uint64_t ram_size;
    uint8_t *ram = phys_mem_ram(m->mem, &ram_size);
    if (ram_size % PAGE)
        return errf(err, errlen, "cannot snapshot: RAM size is not whole pages");

    struct writer w = { .fd = fd, .chain = SNAPSHOT_FORMAT_VERSION };
    uint8_t head[12];
    memcpy(head, magic, 8);
    put32(head + 8, SNAPSHOT_FORMAT_VERSION);
    write_all(&w, head, sizeof(head));

    /* INFO */
    const char *ver = SOFTVM_VERSION;
    const char *engine = m->opt.accel == VM_ACCEL_JIT ? "jit" : "interp";
    uint8_t info[8 * 3 + 4 + 128];
    size_t vl = strlen(ver) > 60 ? 60 : strlen(ver), el = strlen(engine);
    put64(info, m->cpu.icount);
    put64(info + 8, ram_size);
    put64(info + 16, phys_mem_rom_hash(m->mem));
    info[24] = (uint8_t)vl;
    memcpy(info + 25, ver, vl);
    info[25 + vl] = (uint8_t)el;
    memcpy(info + 26 + vl, engine, el);
    write_record2(&w, TAG_INFO, info, 26 + vl + el, NULL, 0);

    /* MACH */
    struct vms_buf st = { 0 };
    if (vms_save(&machine_vmstate, m, &st, err, errlen)) {
        vms_buf_free(&st);
        return -1;
    }
    size_t mbound = ZSTD_compressBound(st.len);
    uint8_t *mz = malloc(mbound);
    if (!mz) {
        vms_buf_free(&st);
        return errf(err, errlen, "cannot snapshot: out of memory");
    }
    size_t mzl = ZSTD_compress(mz, mbound, st.data, st.len, ZSTD_LEVEL);
    uint8_t mlen[8];
    put64(mlen, st.len);
    if (!ZSTD_isError(mzl))
        write_record2(&w, TAG_MACH, mlen, sizeof(mlen), mz, mzl);
    free(mz);
    vms_buf_free(&st);
    if (ZSTD_isError(mzl))
        return errf(err, errlen, "cannot snapshot: zstd: %s", ZSTD_getErrorName(mzl));

    /* RAM */
    uint8_t *raw = malloc((size_t)CHUNK_PAGES * PAGE);
    size_t bound = ZSTD_compressBound((size_t)CHUNK_PAGES * PAGE);
    uint8_t *z = malloc(bound);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (!raw || !z || !cctx) {
        free(raw);
        free(z);
        ZSTD_freeCCtx(cctx);
        return errf(err, errlen, "cannot snapshot: out of memory");
    }
    for (uint64_t off = 0; off < ram_size && !w.failed; off += (uint64_t)CHUNK_PAGES * PAGE) {
        uint32_t npages = (uint32_t)((ram_size - off) / PAGE < CHUNK_PAGES ? (ram_size - off) / PAGE
                                                                           : CHUNK_PAGES);
        uint8_t hdr[12 + CHUNK_PAGES / 8];
        memset(hdr, 0, sizeof(hdr));
        size_t rawlen = 0;
        for (uint32_t p = 0; p < npages; p++) {
            const uint8_t *page = ram + off + (uint64_t)p * PAGE;
            if (page_is_zero(page))
                continue;
            hdr[12 + p / 8] |= (uint8_t)(1u << (p % 8));
            memcpy(raw + rawlen, page, PAGE);
            rawlen += PAGE;
        }
        if (!rawlen)
            continue;                   /* sparse: a load starts from zeroed RAM */
        put64(hdr, off);
        put32(hdr + 8, npages);
        size_t zl = ZSTD_compressCCtx(cctx, z, bound, raw, rawlen, ZSTD_LEVEL);
        if (ZSTD_isError(zl)) {
            free(raw);
            free(z);
            ZSTD_freeCCtx(cctx);
            return errf(err, errlen, "cannot snapshot: zstd: %s", ZSTD_getErrorName(zl));
        }
        write_record2(&w, TAG_RAM, hdr, 12 + (npages + 7) / 8, z, zl);
    }
    free(raw);
    free(z);
    ZSTD_freeCCtx(cctx);

    /* END */
    uint8_t end[8];
    put64(end, w.records);
    write_record2(&w, TAG_END, end, sizeof(end), NULL, 0);
    if (w.failed)
        return errf(err, errlen, "cannot write the snapshot: %s", strerror(w.error));
    return 0;
}

int snapshot_save(struct machine *m, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return errf(err, errlen, "snapshot file name too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    int rc = snapshot_save_fd(m, fd, err, errlen);
    if (close(fd) && rc == 0)
        rc = errf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path))
        rc = errf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

struct record {
    uint32_t tag;
    const uint8_t *p;
    uint64_t len;
};

static const char *tag_name(uint32_t tag, char buf[5])
{
    for (int i = 0; i < 4; i++) {
        uint8_t c = (uint8_t)(tag >> (8 * i));
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[4] = 0;
    return buf;
}

static unsigned popcount8(uint8_t b) { return (unsigned)__builtin_popcount(b); }

int snapshot_load_buf(struct machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    uint64_t ram_size;
    uint8_t *ram = phys_mem_ram(m->mem, &ram_size);
    if (len < 12 || memcmp(data, magic, 8))
        return errf(err, errlen, "not a softvm snapshot (no SOFTVMSN signature)");
    uint32_t fmt = get32(data + 8);
    if (fmt != SNAPSHOT_FORMAT_VERSION)
        return errf(err, errlen, "snapshot format version %" PRIu32 "; this build reads version %d",
                    fmt, SNAPSHOT_FORMAT_VERSION);

    /* Pass 1: the chain of checks, the record order, every header. */
    size_t pos = 12, nram = 0, cap = 0;
    struct record info = { 0 }, mach = { 0 }, *rams = NULL;
    uint64_t chain = SNAPSHOT_FORMAT_VERSION, records = 0, ram_next = 0;
    bool ended = false;
    int rc = 0;
    char tb[5];
    while (!ended) {
        if (len - pos < 12) {
            rc = errf(err, errlen, "snapshot truncated after %" PRIu64 " records (no end record)",
                      records);
            goto out;
        }
        struct record r = { .tag = get32(data + pos), .len = get64(data + pos + 4) };
        if (r.len > len - pos - 12 || len - pos - 12 - r.len < 8) {
            rc = errf(err, errlen, "snapshot truncated in record %" PRIu64 " (%s)", records,
                      tag_name(r.tag, tb));
            goto out;
        }
        r.p = data + pos + 12;
        uint64_t check = record_check(chain, r.tag, r.p, r.len);
        if (check != get64(r.p + r.len)) {
            rc = errf(err, errlen, "snapshot corrupt: record %" PRIu64 " (%s) fails its checksum",
                      records, tag_name(r.tag, tb));
            goto out;
        }
        chain = check;
        pos += 12 + r.len + 8;
        bool order_ok = records == 0 ? r.tag == TAG_INFO
                      : records == 1 ? r.tag == TAG_MACH
                      : r.tag == TAG_RAM || r.tag == TAG_END;
        if (!order_ok) {
            rc = errf(err, errlen, "snapshot malformed: record %" PRIu64 " is %s, out of order",
                      records, tag_name(r.tag, tb));
            goto out;
        }
        if (r.tag == TAG_INFO) {
            if (r.len < 26 || r.len < 26u + r.p[24] || r.len != 26u + r.p[24] + r.p[25 + r.p[24]]) {
                rc = errf(err, errlen, "snapshot malformed: bad INFO record");
                goto out;
            }
            info = r;
        } else if (r.tag == TAG_MACH) {
            if (r.len < 8 || get64(r.p) > (64u << 20) ||
                ZSTD_getFrameContentSize(r.p + 8, (size_t)r.len - 8) != get64(r.p)) {
                rc = errf(err, errlen, "snapshot malformed: bad machine state record");
                goto out;
            }
            mach = r;
        } else if (r.tag == TAG_RAM) {
            if (r.len < 12) {
                rc = errf(err, errlen, "snapshot malformed: short RAM record");
                goto out;
            }
            uint64_t off = get64(r.p);
            uint32_t np = get32(r.p + 8);
            if (np == 0 || np > CHUNK_PAGES || r.len < 12 + (np + 7) / 8 || off % PAGE ||
                off < ram_next || off > ram_size || (uint64_t)np * PAGE > ram_size - off) {
                rc = errf(err, errlen, "snapshot malformed: RAM record at 0x%" PRIx64
                          " (%" PRIu32 " pages) overlaps or lies outside the %" PRIu64 " MiB of RAM",
                          off, np, ram_size >> 20);
                goto out;
            }
            size_t set = 0;
            for (uint32_t i = 0; i < (np + 7) / 8; i++)
                set += popcount8(r.p[12 + i]);
            const uint8_t *zf = r.p + 12 + (np + 7) / 8;
            size_t zl = (size_t)(r.len - 12 - (np + 7) / 8);
            unsigned long long content = ZSTD_getFrameContentSize(zf, zl);
            if (set == 0 || (np % 8 && (r.p[12 + np / 8] >> (np % 8))) ||
                content != (unsigned long long)set * PAGE) {
                rc = errf(err, errlen, "snapshot malformed: RAM record at 0x%" PRIx64
                          " does not hold the pages its bitmap names", off);
                goto out;
            }
            ram_next = off + (uint64_t)np * PAGE;
            if (nram == cap) {
                cap = cap ? cap * 2 : 64;
                struct record *nr = realloc(rams, cap * sizeof(*nr));
                if (!nr) {
                    rc = errf(err, errlen, "out of memory reading the snapshot");
                    goto out;
                }
                rams = nr;
            }
            rams[nram++] = r;
        } else {
            if (r.len != 8 || get64(r.p) != records) {
                rc = errf(err, errlen, "snapshot malformed: the end record counts %" PRIu64
                          " records, the stream has %" PRIu64, r.len == 8 ? get64(r.p) : 0,
                          records);
                goto out;
            }
            ended = true;
        }
        records++;
    }
    if (pos != len) {
        rc = errf(err, errlen, "snapshot malformed: %zu bytes after the end record", len - pos);
        goto out;
    }

    /* Is it this machine? */
    uint64_t snap_ram = get64(info.p + 8);
    if (snap_ram != ram_size) {
        rc = errf(err, errlen, "the snapshot is of a machine with %" PRIu64 " MiB of RAM; this "
                  "one has %" PRIu64 " MiB (-m)", snap_ram >> 20, ram_size >> 20);
        goto out;
    }
    if (get64(info.p + 16) != phys_mem_rom_hash(m->mem)) {
        rc = errf(err, errlen, "the snapshot was taken with other firmware or option ROMs "
                  "than this machine has (-bios, -kernel through SeaBIOS, the VGA BIOS)");
        goto out;
    }

    /* Pass 2: the device state (checked whole before anything is written). */
    size_t blen = (size_t)get64(mach.p);
    uint8_t *blob = malloc(blen ? blen : 1);
    if (!blob) {
        rc = errf(err, errlen, "out of memory loading the snapshot");
        goto out;
    }
    size_t got = ZSTD_decompress(blob, blen, mach.p + 8, (size_t)mach.len - 8);
    if (ZSTD_isError(got) || got != blen) {
        free(blob);
        rc = errf(err, errlen, "snapshot corrupt: the machine state does not decompress (%s)",
                  ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
        goto out;
    }
    char verr[256];
    rc = vms_load(&machine_vmstate, m, blob, blen, verr, sizeof(verr));
    free(blob);
    if (rc) {
        rc = errf(err, errlen, "the snapshot's machine state does not fit this machine: %s", verr);
        goto out;
    }
    /* Then RAM: zero, and the stored pages. */
    memset(ram, 0, ram_size);
    uint8_t *raw = malloc((size_t)CHUNK_PAGES * PAGE);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!raw || !dctx) {
        free(raw);
        ZSTD_freeDCtx(dctx);
        rc = errf(err, errlen, "out of memory loading the snapshot");
        goto out;
    }
    for (size_t i = 0; i < nram && rc == 0; i++) {
        const struct record *r = &rams[i];
        uint64_t off = get64(r->p);
        uint32_t np = get32(r->p + 8);
        const uint8_t *bm = r->p + 12;
        const uint8_t *zf = bm + (np + 7) / 8;
        size_t zl = (size_t)(r->len - 12 - (np + 7) / 8);
        got = ZSTD_decompressDCtx(dctx, raw, (size_t)CHUNK_PAGES * PAGE, zf, zl);
        size_t want = 0;
        for (uint32_t k = 0; k < (np + 7) / 8; k++)
            want += popcount8(bm[k]);
        if (ZSTD_isError(got) || got != want * PAGE) {
            rc = errf(err, errlen, "the snapshot's RAM at 0x%" PRIx64 " is corrupt (%s); the "
                      "machine is half loaded", off,
                      ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
            break;
        }
        size_t k = 0;
        for (uint32_t p = 0; p < np; p++)
            if (bm[p / 8] & (1u << (p % 8)))
                memcpy(ram + off + (uint64_t)p * PAGE, raw + PAGE * k++, PAGE);
    }
    free(raw);
    ZSTD_freeDCtx(dctx);
out:
    free(rams);
    return rc;
}

int snapshot_load_fd(struct machine *m, int fd, char *err, size_t errlen)
{
    size_t len = 0, cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return errf(err, errlen, "out of memory reading the snapshot");
    for (;;) {
        if (len == cap) {
            uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return errf(err, errlen, "out of memory reading the snapshot");
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t k = read(fd, buf + len, cap - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            free(buf);
            return errf(err, errlen, "cannot read the snapshot: %s", strerror(e));
        }
        if (k == 0)
            break;
        len += (size_t)k;
    }
    int rc = snapshot_load_buf(m, buf, len, err, errlen);
    free(buf);
    return rc;
}

int snapshot_load(struct machine *m, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    char e2[512];
    int rc = snapshot_load_fd(m, fd, e2, sizeof(e2));
    close(fd);
    if (rc)
        errf(err, errlen, "%s: %s", path, e2);
    return rc;
}

/* ---- triggers ------------------------------------------------------------ */

uint64_t snapshot_trigger_budget(const struct snapshot_trigger *t, const struct machine *m,
                                 uint64_t budget)
{
    if (t->done || t->at_icount == UINT64_MAX || m->cpu.icount >= t->at_icount)
        return budget;
    uint64_t left = t->at_icount - m->cpu.icount;
    return budget < left ? budget : left;
}

static void save_reporting(struct machine *m, const char *path)
{
    if (m->host_ops && m->host_ops->flush)
        m->host_ops->flush(m);          /* the output before the snapshot is all out */
    char err[512];
    if (snapshot_save(m, path, err, sizeof(err)))
        fprintf(stderr, "softvm: %s\n", err);
    else
        fprintf(stderr, "softvm: snapshot at instruction %" PRIu64 " saved to %s\n",
                m->cpu.icount, path);
}

void snapshot_trigger_check(struct snapshot_trigger *t, struct machine *m)
{
    if (t->done || t->at_icount == UINT64_MAX || m->cpu.icount < t->at_icount)
        return;
    t->done = true;
    save_reporting(m, t->file);
}

void snapshot_save_now(struct snapshot_trigger *t, struct machine *m)
{
    char name[64];
    const char *path = t->file;
    if (!path) {
        snprintf(name, sizeof(name), "softvm-%" PRIu64 ".snap", m->cpu.icount);
        path = name;
    }
    save_reporting(m, path);
}
