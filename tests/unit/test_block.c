/*
 * test_block.c - the block layer (devices/block/) against qemu-img as the
 * oracle: images qemu-img made read right (raw, qcow2 v2/v3, compressed,
 * several cluster and refcount widths, backing chains); images softvm wrote
 * pass `qemu-img check` and convert back to the bytes written; overlays
 * leave their base byte-identical; locking; -snapshot; clear errors for
 * truncated, encrypted and unsupported images.
 *
 * Expected guest data is a pseudo-random pattern the test computes itself.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/block/block.h"

#define MiB (1u << 20)

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/softvm-block-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)!system(cmd);
}

TestSuite(block, .init = make_dir, .fini = remove_dir);

static const char *path(const char *name)
{
    static char buf[4][256];
    static int i;
    char *p = buf[i++ & 3];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

/* Run a shell command (in the test directory); returns its exit status. */
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
    vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        buf[i] = (uint8_t)(x >> 7);
    }
}

static void write_file(const char *p, const void *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static uint8_t *read_file(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f, "%s", p);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len ? *len : 1);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static struct block_dev *open_ok(const char *p, enum block_format fmt, bool ro)
{
    char err[512] = "";
    struct block_options o = { .format = fmt, .readonly = ro };
    struct block_dev *bd = block_open(p, &o, err, sizeof(err));
    cr_assert_not_null(bd, "open %s: %s", p, err);
    return bd;
}

/* Open must fail with a message containing `want`. */
static void open_fails(const char *p, bool ro, const char *want)
{
    char err[512] = "";
    struct block_options o = { .readonly = ro };
    struct block_dev *bd = block_open(p, &o, err, sizeof(err));
    cr_assert_null(bd, "open %s should fail", p);
    cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

/* The whole image read through softvm equals `want`. */
static void expect_contents(struct block_dev *bd, const uint8_t *want, size_t len)
{
    cr_assert_eq(block_size(bd), len);
    uint8_t *got = malloc(len);
    /* odd-sized, unaligned pieces cross cluster boundaries */
    size_t off = 0, step = 12345;
    while (off < len) {
        size_t n = len - off < step ? len - off : step;
        cr_assert_eq(block_read(bd, off, got + off, n), 0);
        off += n;
        step = step * 7 % 200000 + 1;
    }
    for (size_t i = 0; i < len; i++)
        if (got[i] != want[i])
            cr_assert_fail("byte %zu: got %#x, want %#x", i, got[i], want[i]);
    free(got);
}

/* What qemu-img says the image holds equals `want`. */
static void expect_qemu_contents(const char *img, const uint8_t *want, size_t len)
{
    cr_assert_eq(sh("qemu-img check -q '%s'", img), 0, "qemu-img check %s", img);
    cr_assert_eq(sh("rm -f out.raw && qemu-img convert -O raw '%s' out.raw", img), 0);
    size_t n;
    uint8_t *got = read_file(path("out.raw"), &n);
    cr_assert_eq(n, len);
    cr_assert(memcmp(got, want, len) == 0, "qemu-img convert of %s differs", img);
    free(got);
}

/* A pattern with holes of zeros, so sparse and compressed paths both show. */
static uint8_t *guest_data(size_t len, uint32_t seed)
{
    uint8_t *b = malloc(len);
    pattern(b, len, seed);
    for (size_t off = 0; off < len; off += 256 * 1024) {
        size_t n = 64 * 1024 + 4096;
        memset(b + off, 0, len - off < n ? len - off : n);
    }
    return b;
}

/* ---- raw ------------------------------------------------------------------------ */

Test(block, raw_read_write_bounds)
{
    size_t len = 1 * MiB;
    uint8_t *data = guest_data(len, 1);
    write_file(path("a.raw"), data, len);
    struct block_dev *bd = open_ok(path("a.raw"), BLOCK_FORMAT_RAW, false);
    cr_assert_str_eq(block_format_name(bd), "raw");
    expect_contents(bd, data, len);
    uint8_t s[512];
    memset(s, 0x5a, sizeof(s));
    cr_assert_eq(block_write(bd, 4096, s, 512), 0);
    memcpy(data + 4096, s, 512);
    cr_assert_eq(block_read(bd, len - 512, s, 512), 0);
    cr_assert_eq(block_read(bd, len - 511, s, 512), -EINVAL);
    cr_assert_eq(block_write(bd, len, s, 1), -EINVAL);
    cr_assert_eq(block_read(bd, UINT64_MAX - 10, s, 512), -EINVAL);
    cr_assert_eq(block_flush(bd), 0);
    block_close(bd);
    size_t n;
    uint8_t *back = read_file(path("a.raw"), &n);
    cr_assert(n == len && memcmp(back, data, len) == 0);

    bd = open_ok(path("a.raw"), BLOCK_FORMAT_AUTO, true);
    cr_assert(block_is_readonly(bd));
    cr_assert_eq(block_write(bd, 0, s, 512), -EROFS);
    block_close(bd);
    free(back);
    free(data);
}

Test(block, missing_file)
{
    open_fails(path("nope.img"), false, "No such file");
}

Test(block, lock_refuses_second_writer_allows_readers)
{
    uint8_t z[65536] = { 0 };
    write_file(path("l.raw"), z, sizeof(z));
    cr_assert_eq(sh("qemu-img create -q -f qcow2 l.qcow2 1M"), 0);
    for (int i = 0; i < 2; i++) {
        const char *p = path(i ? "l.qcow2" : "l.raw");
        struct block_dev *w = open_ok(p, BLOCK_FORMAT_AUTO, false);
        open_fails(p, false, "already open for writing");
        struct block_dev *r = open_ok(p, BLOCK_FORMAT_AUTO, true);
        /* another process is refused too */
        pid_t pid = fork();
        if (pid == 0) {
            char err[512];
            struct block_options o = { 0 };
            _exit(block_open(p, &o, err, sizeof(err)) ? 1 : 0);
        }
        int st;
        waitpid(pid, &st, 0);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a second process got the lock");
        /* qemu-img sees the lock as well (its own write lock conflicts) */
        cr_assert_neq(sh("qemu-io -c 'write 0 512' '%s' >/dev/null 2>&1", p), 0);
        block_close(r);
        block_close(w);
        struct block_dev *again = open_ok(p, BLOCK_FORMAT_AUTO, false);
        block_close(again);
    }
}

/* ---- qcow2 made by qemu-img, read by softvm ---------------------------------------- */

static void convert_and_read(const char *opts, uint32_t seed)
{
    size_t len = 3 * MiB + 512 * 7;
    uint8_t *data = guest_data(len, seed);
    write_file(path("src.raw"), data, len);
    cr_assert_eq(sh("rm -f c.qcow2 && qemu-img convert -f raw -O qcow2 %s src.raw c.qcow2", opts),
                 0, "qemu-img convert %s", opts);
    struct block_dev *bd = open_ok(path("c.qcow2"), BLOCK_FORMAT_AUTO, true);
    cr_assert_str_eq(block_format_name(bd), "qcow2");
    expect_contents(bd, data, len);
    block_close(bd);

    /* ...and softvm's writes into it survive qemu-img check and convert */
    bd = open_ok(path("c.qcow2"), BLOCK_FORMAT_QCOW2, false);
    static const struct { uint64_t off; size_t len; } w[] = {
        { 0, 512 }, { 65536 - 512, 1024 }, { 70000 & ~511u, 200 * 1024 },
        { 2 * MiB + 4096, 4096 }, { 3 * MiB, 512 * 7 }, { 300 * 1024, 64 * 1024 },
    };
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        pattern(data + w[i].off, w[i].len, seed * 100 + (uint32_t)i);
        cr_assert_eq(block_write(bd, w[i].off, data + w[i].off, w[i].len), 0);
    }
    expect_contents(bd, data, len);
    block_close(bd);
    expect_qemu_contents("c.qcow2", data, len);
    bd = open_ok(path("c.qcow2"), BLOCK_FORMAT_QCOW2, true);
    expect_contents(bd, data, len);
    block_close(bd);
    free(data);
}

Test(block, qcow2_v3_default) { convert_and_read("", 2); }
Test(block, qcow2_v2) { convert_and_read("-o compat=0.10", 3); }
Test(block, qcow2_compressed) { convert_and_read("-c", 4); }
Test(block, qcow2_compressed_small_clusters) { convert_and_read("-c -o cluster_size=4096", 5); }
Test(block, qcow2_512_byte_clusters) { convert_and_read("-o cluster_size=512", 6); }
Test(block, qcow2_2m_clusters) { convert_and_read("-o cluster_size=2M", 7); }
Test(block, qcow2_refcount_1_bit) { convert_and_read("-o refcount_bits=1", 8); }
Test(block, qcow2_refcount_64_bits) { convert_and_read("-o refcount_bits=64,cluster_size=4096", 9); }

Test(block, qcow2_zero_clusters)
{
    size_t len = 2 * MiB;
    uint8_t *data = malloc(len);
    memset(data, 0x11, len);
    cr_assert_eq(sh("qemu-img create -q -f qcow2 z.qcow2 2M && "
                    "qemu-io -c 'write -P 0x11 0 2M' -c 'write -z 64k 64k' "
                    "-c 'write -z -u 1M 128k' z.qcow2 >/dev/null"), 0);
    memset(data + 65536, 0, 65536);
    memset(data + MiB, 0, 128 * 1024);
    struct block_dev *bd = open_ok(path("z.qcow2"), BLOCK_FORMAT_AUTO, false);
    expect_contents(bd, data, len);
    pattern(data + 65536 + 512, 512, 77);                /* partial write into a zero cluster */
    cr_assert_eq(block_write(bd, 65536 + 512, data + 65536 + 512, 512), 0);
    pattern(data + MiB + 4096, 100, 78);
    cr_assert_eq(block_write(bd, MiB + 4096, data + MiB + 4096, 100), 0);
    expect_contents(bd, data, len);
    block_close(bd);
    expect_qemu_contents("z.qcow2", data, len);
    free(data);
}

/* ---- overlays and backing chains ----------------------------------------------------- */

Test(block, overlay_leaves_base_identical)
{
    size_t len = 2 * MiB;
    uint8_t *data = guest_data(len, 10);
    write_file(path("base.raw"), data, len);
    uint8_t *orig = malloc(len);
    memcpy(orig, data, len);
    cr_assert_eq(sh("qemu-img create -q -f qcow2 -b base.raw -F raw ov.qcow2"), 0);
    struct block_dev *bd = open_ok(path("ov.qcow2"), BLOCK_FORMAT_AUTO, false);
    expect_contents(bd, data, len);
    pattern(data + 1000 * 512, 3 * 512, 11);             /* partial cluster: rest from base */
    cr_assert_eq(block_write(bd, 1000 * 512, data + 1000 * 512, 3 * 512), 0);
    pattern(data + MiB, 65536, 12);
    cr_assert_eq(block_write(bd, MiB, data + MiB, 65536), 0);
    expect_contents(bd, data, len);
    block_close(bd);
    size_t n;
    uint8_t *base = read_file(path("base.raw"), &n);
    cr_assert(n == len && memcmp(base, orig, len) == 0, "the base changed");
    expect_qemu_contents("ov.qcow2", data, len);
    free(base);
    free(orig);
    free(data);
}

Test(block, backing_chain_of_two)
{
    /* base.qcow2 <- mid.qcow2 <- top.qcow2, each layer written by qemu-io */
    size_t len = 4 * MiB;
    uint8_t *want = calloc(1, len);
    cr_assert_eq(sh("qemu-img create -q -f qcow2 base.qcow2 4M && "
                    "qemu-io -c 'write -P 0xa1 0 2M' base.qcow2 >/dev/null && "
                    "qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2 && "
                    "qemu-io -c 'write -P 0xb2 1M 1536k' mid.qcow2 >/dev/null && "
                    "qemu-img create -q -f qcow2 -o cluster_size=4096 -b mid.qcow2 -F qcow2 top.qcow2 && "
                    "qemu-io -c 'write -P 0xc3 1536k 4k' -c 'write -P 0xd4 3M 512' top.qcow2 >/dev/null"),
                 0);
    memset(want, 0xa1, 2 * MiB);
    memset(want + MiB, 0xb2, 1536 * 1024);
    memset(want + 1536 * 1024, 0xc3, 4096);
    memset(want + 3 * MiB, 0xd4, 512);
    cr_assert_eq(sh("cp base.qcow2 base.orig && cp mid.qcow2 mid.orig"), 0);
    struct block_dev *bd = open_ok(path("top.qcow2"), BLOCK_FORMAT_AUTO, false);
    expect_contents(bd, want, len);
    pattern(want + 2 * MiB - 512, 1024, 20);             /* straddles base data and a hole */
    cr_assert_eq(block_write(bd, 2 * MiB - 512, want + 2 * MiB - 512, 1024), 0);
    expect_contents(bd, want, len);
    block_close(bd);
    expect_qemu_contents("top.qcow2", want, len);
    cr_assert_eq(sh("cmp -s base.qcow2 base.orig && cmp -s mid.qcow2 mid.orig"), 0);
    free(want);
}

Test(block, snapshot_discards_writes)
{
    size_t len = 1 * MiB;
    uint8_t *data = guest_data(len, 30);
    write_file(path("s.raw"), data, len);
    cr_assert_eq(sh("qemu-img convert -O qcow2 s.raw s.qcow2 && cp s.qcow2 s.orig"), 0);
    for (int i = 0; i < 2; i++) {
        const char *p = path(i ? "s.qcow2" : "s.raw");
        char err[512];
        struct block_options o = { .snapshot = true };
        struct block_dev *bd = block_open(p, &o, err, sizeof(err));
        cr_assert_not_null(bd, "%s", err);
        cr_assert(!block_is_readonly(bd));
        uint8_t *mod = malloc(len);
        memcpy(mod, data, len);
        pattern(mod + 5000, 70000, 31);
        cr_assert_eq(block_write(bd, 5000, mod + 5000, 70000), 0);
        expect_contents(bd, mod, len);
        /* the image itself stays writable by another opener meanwhile? no:
         * it is open read-only, so a writer may take the lock */
        struct block_dev *w = open_ok(p, BLOCK_FORMAT_AUTO, false);
        block_close(w);
        block_close(bd);
        free(mod);
    }
    size_t n;
    uint8_t *back = read_file(path("s.raw"), &n);
    cr_assert(n == len && memcmp(back, data, len) == 0);
    cr_assert_eq(sh("cmp -s s.qcow2 s.orig"), 0);
    /* no temporary file is left behind */
    free(back);
    free(data);
}

Test(block, created_image_passes_qemu_check)
{
    char err[512];
    cr_assert_eq(qcow2_create(path("new.qcow2"), 8 * MiB, 16, NULL, NULL, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(qcow2_create(path("new.qcow2"), 8 * MiB, 16, NULL, NULL, err, sizeof(err)), -1);
    cr_assert_eq(sh("qemu-img check -q new.qcow2"), 0);
    size_t len = 8 * MiB;
    uint8_t *data = calloc(1, len);
    struct block_dev *bd = open_ok(path("new.qcow2"), BLOCK_FORMAT_QCOW2, false);
    for (uint64_t off = 0; off < len; off += 3 * MiB / 2) {
        pattern(data + off, 128 * 1024 + 512, (uint32_t)off);
        cr_assert_eq(block_write(bd, off, data + off, 128 * 1024 + 512), 0);
    }
    block_close(bd);
    expect_qemu_contents("new.qcow2", data, len);

    /* an overlay made by softvm over a raw base, followed by qemu-img */
    write_file(path("b.raw"), data, len);
    cr_assert_eq(qcow2_create(path("o.qcow2"), len, 12, "b.raw", "raw", err, sizeof(err)), 0);
    cr_assert_eq(sh("qemu-img info o.qcow2 | grep -q 'backing file: b.raw'"), 0);
    bd = open_ok(path("o.qcow2"), BLOCK_FORMAT_AUTO, false);
    pattern(data + 100, 900, 40);
    cr_assert_eq(block_write(bd, 100, data + 100, 900), 0);
    block_close(bd);
    expect_qemu_contents("o.qcow2", data, len);
    free(data);
}

/* A refcount table that covers little (512-byte clusters, a small file)
 * makes softvm append refcount blocks as the file grows. */
Test(block, refcount_blocks_appended)
{
    cr_assert_eq(sh("qemu-img create -q -f qcow2 -o cluster_size=512 r.qcow2 4M"), 0);
    size_t len = 4 * MiB;
    uint8_t *data = calloc(1, len);
    pattern(data, 1 * MiB, 50);
    struct block_dev *bd = open_ok(path("r.qcow2"), BLOCK_FORMAT_AUTO, false);
    cr_assert_eq(block_write(bd, 0, data, 1 * MiB), 0);
    block_close(bd);
    expect_qemu_contents("r.qcow2", data, len);
    free(data);
}

static uint64_t header_field(const char *img, size_t off, int bytes)
{
    size_t n;
    uint8_t *h = read_file(path(img), &n);
    cr_assert_geq(n, off + (size_t)bytes);
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | h[off + (size_t)i];
    free(h);
    return v;
}

static struct block_dev *open_unsafe(const char *p)
{
    char err[512] = "";
    struct block_options o = { .cache = BLOCK_CACHE_UNSAFE };
    struct block_dev *bd = block_open(p, &o, err, sizeof(err));
    cr_assert_not_null(bd, "open %s: %s", p, err);
    return bd;
}

/*
 * An image that outgrows its refcount table: qemu-img gives a 512-byte
 * cluster image one table cluster, 64 refcount blocks of 256 (16-bit) or 64
 * (64-bit) clusters, so the table covers 8 MiB or 2 MiB of file. Writing
 * past that makes softvm move the table to a larger one; qemu-img check
 * stays clean, the contents convert back, and qemu-img map shows the old
 * table's cluster freed and reused for guest data. (cache=unsafe: the
 * fdatasync barriers do not change what is written, only how slowly.)
 */
static void refcount_table_grows(const char *opts, size_t written, uint32_t seed)
{
    cr_assert_eq(sh("rm -f g.qcow2 && qemu-img create -q -f qcow2 -o cluster_size=512%s "
                    "g.qcow2 64M", opts), 0);
    uint64_t old_rt = header_field("g.qcow2", 48, 8);
    cr_assert_eq(header_field("g.qcow2", 56, 4), 1);
    size_t len = 64 * MiB, piece = 16 * 1024, stride = len / (written / piece);
    uint8_t *data = calloc(1, len);
    struct block_dev *bd = open_unsafe(path("g.qcow2"));
    for (size_t off = 0; off + piece <= len; off += stride) {
        pattern(data + off, piece, seed + (uint32_t)(off / stride));
        cr_assert_eq(block_write(bd, off, data + off, piece), 0, "write at %zu", off);
    }
    expect_contents(bd, data, len);
    block_close(bd);
    cr_assert_neq(header_field("g.qcow2", 48, 8), old_rt, "the refcount table did not move");
    cr_assert_geq(header_field("g.qcow2", 56, 4), 2, "the refcount table did not grow");
    expect_qemu_contents("g.qcow2", data, len);
    cr_assert_eq(sh("qemu-img map --output=json g.qcow2 | grep -q '\"data\": true, "
                    "\"offset\": %llu}'", (unsigned long long)old_rt), 0,
                 "no guest data at the old table's cluster %#llx", (unsigned long long)old_rt);
    free(data);
}

Test(block, refcount_table_grows_16_bit) { refcount_table_grows("", 10 * MiB, 60); }
Test(block, refcount_table_grows_64_bit) { refcount_table_grows(",refcount_bits=64", 3 * MiB, 61); }

/* softvm's own images (qcow2_create) grow their table the same way. */
Test(block, refcount_table_grows_created_image)
{
    char err[512];
    cr_assert_eq(qcow2_create(path("c9.qcow2"), 12 * MiB, 9, NULL, NULL, err, sizeof(err)), 0,
                 "%s", err);
    size_t len = 12 * MiB;
    uint8_t *data = malloc(len);
    pattern(data, len, 62);
    struct block_dev *bd = open_unsafe(path("c9.qcow2"));
    for (size_t off = 0; off < len; off += MiB)
        cr_assert_eq(block_write(bd, off, data + off, MiB), 0);
    expect_contents(bd, data, len);
    block_close(bd);
    cr_assert_geq(header_field("c9.qcow2", 56, 4), 2);
    expect_qemu_contents("c9.qcow2", data, len);
    free(data);
}

/* Rewriting compressed clusters frees their host clusters (rewriting the
 * last guest cluster packed into one frees it), and later allocations reuse
 * them, in the same session and, after a reopen, found by the scan of the
 * refcounts on disk. The data (half random, half zeros per cluster) packs
 * about two guest clusters into each host cluster, so reuse saves about
 * half of the 2 MiB rewritten; without it every rewrite appends a cluster
 * and the file ends at its old size plus 2 MiB. qemu-img check finds no
 * leaks. */
Test(block, freed_compressed_clusters_reused)
{
    size_t len = 2 * MiB;
    uint8_t *data = malloc(len);
    memset(data, 0, len);
    for (size_t off = 0; off < len; off += 4096)
        pattern(data + off, 2048, 64 + (uint32_t)(off >> 12));
    write_file(path("z.raw"), data, len);
    cr_assert_eq(sh("qemu-img convert -c -O qcow2 -o cluster_size=4096 z.raw zc.qcow2"), 0);
    size_t before;
    free(read_file(path("zc.qcow2"), &before));
    pattern(data, len, 63);                   /* rewrite every cluster, uncompressed */
    for (size_t half = 0; half < 2; half++) {
        struct block_dev *bd = open_unsafe(path("zc.qcow2"));
        for (size_t off = half * len / 2; off < (half + 1) * len / 2; off += 4096)
            cr_assert_eq(block_write(bd, off, data + off, 4096), 0);
        block_close(bd);
    }
    size_t after;
    free(read_file(path("zc.qcow2"), &after));
    cr_assert_lt(after, before + len - len / 4, "the file grew from %zu to %zu: freed "
                 "clusters were not reused", before, after);
    expect_qemu_contents("zc.qcow2", data, len);
    free(data);
}

/* ---- cache=none: O_DIRECT -------------------------------------------------------- */

static struct block_dev *open_cache(const char *p, enum block_cache cache)
{
    char err[512] = "";
    struct block_options o = { .cache = cache };
    struct block_dev *bd = block_open(p, &o, err, sizeof(err));
    cr_assert_not_null(bd, "open %s: %s", p, err);
    return bd;
}

/* How many of the file's first `len` bytes' pages are in the host page cache. */
static size_t cached_pages(const char *p, size_t len)
{
    int fd = open(p, O_RDONLY);
    cr_assert_geq(fd, 0);
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    cr_assert_neq(m, MAP_FAILED);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (len + pg - 1) / pg, resident = 0;
    unsigned char *vec = malloc(n);
    cr_assert_eq(mincore(m, len, vec), 0);
    for (size_t i = 0; i < n; i++)
        resident += vec[i] & 1;
    free(vec);
    munmap(m, len);
    close(fd);
    return resident;
}

/* Unaligned pieces: inside one sector, across sectors, across the 1 MiB
 * bounce buffer, at the very end of the image. */
static void write_odd_pieces(struct block_dev *bd, uint8_t *data, size_t len)
{
    static const struct { size_t off, n; } w[] = {
        { 1, 100 }, { 510, 4 }, { 4096, 512 }, { 8191, 2 }, { 10000, (1u << 20) + 777 },
        { 3 * MiB - 5, 5 }, { 2 * MiB, 1 },
    };
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        cr_assert_leq(w[i].off + w[i].n, len);
        pattern(data + w[i].off, w[i].n, 70 + (uint32_t)i);
        cr_assert_eq(block_write(bd, w[i].off, data + w[i].off, w[i].n), 0, "piece %zu", i);
    }
}

/* A raw image with cache=none is open with O_DIRECT: odd writes land right
 * (read back through the page cache afterwards) and leave no page of the
 * file in the host page cache, while cache=writeback leaves them there. */
Test(block, cache_none_raw_uses_o_direct)
{
    size_t len = 3 * MiB;
    uint8_t *data = calloc(1, len);
    cr_assert_eq(sh("qemu-img create -q -f raw d.raw 3M && qemu-img create -q -f raw w.raw 3M"), 0);
    struct block_dev *bd = open_cache(path("d.raw"), BLOCK_CACHE_NONE);
    cr_assert(block_is_direct(bd));
    write_odd_pieces(bd, data, len);
    expect_contents(bd, data, len);
    cr_assert_eq(block_flush(bd), 0);
    block_close(bd);
    cr_assert_eq(cached_pages(path("d.raw"), len), 0, "cache=none left pages in the page cache");

    uint8_t *wdata = calloc(1, len);
    bd = open_cache(path("w.raw"), BLOCK_CACHE_WRITEBACK);
    cr_assert(!block_is_direct(bd));
    write_odd_pieces(bd, wdata, len);
    block_close(bd);
    cr_assert_gt(cached_pages(path("w.raw"), len), 256, "writeback did not use the page cache");

    size_t n;
    uint8_t *got = read_file(path("d.raw"), &n);
    cr_assert_eq(n, len);
    cr_assert(memcmp(got, data, len) == 0);
    free(got);
    free(wdata);
    free(data);
}

/* qcow2 with cache=none: every metadata access (8-byte L1/L2 entries, 2-byte
 * refcounts, the header) goes through the aligned bounce buffer; qemu-img
 * check and convert agree with what was written; a backing file reads.
 * directsync is O_DIRECT with an fdatasync after every write. */
static void direct_qcow2(enum block_cache cache)
{
    size_t len = 4 * MiB;
    uint8_t *data = guest_data(len, 72);
    write_file(path("b.raw"), data, len);
    cr_assert_eq(sh("qemu-img create -q -f qcow2 -o cluster_size=4096 -b b.raw -F raw dq.qcow2"), 0);
    struct block_dev *bd = open_cache(path("dq.qcow2"), cache);
    cr_assert(block_is_direct(bd));
    expect_contents(bd, data, len);
    write_odd_pieces(bd, data, len);
    expect_contents(bd, data, len);
    block_close(bd);
    expect_qemu_contents("dq.qcow2", data, len);
    free(data);
}

Test(block, cache_none_qcow2) { direct_qcow2(BLOCK_CACHE_NONE); }
Test(block, cache_directsync_qcow2) { direct_qcow2(BLOCK_CACHE_DIRECTSYNC); }

/* ---- bad images --------------------------------------------------------------------- */

Test(block, clear_errors)
{
    cr_assert_eq(sh("qemu-img create -q -f qcow2 g.qcow2 16M && "
                    "head -c 100 g.qcow2 > t1.qcow2 && head -c 1024 g.qcow2 > t2.qcow2"), 0);
    open_fails(path("t1.qcow2"), true, "truncated");
    open_fails(path("t2.qcow2"), true, "not inside the file");
    /* crypt_method (header offset 32) = 1, AES (qemu-img's own LUKS creation
     * times a key derivation, too slow and flaky for a unit test) */
    cr_assert_eq(sh("cp g.qcow2 e.qcow2 && printf '\\000\\000\\000\\001' | "
                    "dd of=e.qcow2 bs=1 seek=32 conv=notrunc status=none && "
                    "qemu-img info e.qcow2 2>&1 | grep -qi encrypt"), 0);
    open_fails(path("e.qcow2"), true, "encrypted");
    cr_assert_eq(sh("qemu-img create -q -f qcow2 -o data_file=d.raw x.qcow2 1M"), 0);
    open_fails(path("x.qcow2"), true, "external data file");
    cr_assert_eq(sh("qemu-img create -q -f qcow2 -o compression_type=zstd zs.qcow2 1M 2>/dev/null"
                    " || cp g.qcow2 zs.qcow2"), 0);
    cr_assert_eq(sh("qemu-img create -q -f qcow2 -u -b gone.raw -F raw nb.qcow2 1M"), 0);
    open_fails(path("nb.qcow2"), true, "backing file");
    /* a snapshot-bearing image opens read-only only */
    cr_assert_eq(sh("qemu-img snapshot -c snap g.qcow2"), 0);
    open_fails(path("g.qcow2"), false, "internal snapshot");
    block_close(open_ok(path("g.qcow2"), BLOCK_FORMAT_AUTO, true));
    /* a loop of backing files */
    cr_assert_eq(sh("qemu-img create -q -f qcow2 l1.qcow2 1M && "
                    "qemu-img create -q -f qcow2 -u -b l1.qcow2 -F qcow2 l2.qcow2 1M && "
                    "qemu-img rebase -u -f qcow2 -b l2.qcow2 -F qcow2 l1.qcow2"), 0);
    open_fails(path("l1.qcow2"), true, "deeper than");
}

/* Hundreds of malformed variants of a real image: each either fails to open
 * with a message, or opens and every request returns 0 or an error. Under
 * ASan this also shows no access goes astray. */
static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void exercise(const char *p)
{
    for (int ro = 1; ro >= 0; ro--) {
        char err[512] = "";
        struct block_options o = { .readonly = ro != 0, .cache = BLOCK_CACHE_UNSAFE };
        struct block_dev *bd = block_open(p, &o, err, sizeof(err));
        if (!bd) {
            cr_assert(err[0] != '\0', "failed open without a message");
            continue;
        }
        uint8_t buf[8192];
        uint64_t size = block_size(bd);
        for (uint64_t off = 0; off < size && off < 8 * MiB; off += 512 * 1021) {
            size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
            int rc = block_read(bd, off, buf, n);
            cr_assert(rc == 0 || rc == -EIO || rc == -ENOMEM, "read rc %d", rc);
            if (!ro) {
                rc = block_write(bd, off, buf, n);
                cr_assert(rc == 0 || rc == -EIO, "write rc %d", rc);
            }
        }
        block_close(bd);
    }
}

Test(block, malformed_images)
{
    cr_assert_not_null(freopen("/dev/null", "w", stderr));   /* one report per variant */
    size_t len = 2 * MiB;
    uint8_t *data = guest_data(len, 60);
    write_file(path("m.raw"), data, len);
    cr_assert_eq(sh("qemu-img convert -O qcow2 -o cluster_size=4096 m.raw m3.qcow2 && "
                    "qemu-img convert -c -O qcow2 -o cluster_size=4096,compat=0.10 m.raw m2.qcow2"), 0);
    int variants = 0;
    for (int v = 0; v < 2; v++) {
        size_t glen;
        uint8_t *good = read_file(path(v ? "m2.qcow2" : "m3.qcow2"), &glen);
        uint64_t l1 = 0, rt = 0;
        for (int i = 0; i < 8; i++) {
            l1 = l1 << 8 | good[40 + i];
            rt = rt << 8 | good[48 + i];
        }
        uint64_t l2 = 0;
        for (int i = 0; i < 8; i++)
            l2 = l2 << 8 | good[l1 + i];
        l2 &= 0x00fffffffffffe00ull;
        uint64_t rb = 0;
        for (int i = 0; i < 8; i++)
            rb = rb << 8 | good[rt + i];
        /* header fields and table entries, each set to interesting values */
        static const struct { int width; int where; uint64_t off; } fields[] = {
            { 4, 0, 4 }, { 8, 0, 8 }, { 4, 0, 16 }, { 4, 0, 20 }, { 8, 0, 24 }, { 4, 0, 32 },
            { 4, 0, 36 }, { 8, 0, 40 }, { 8, 0, 48 }, { 4, 0, 56 }, { 4, 0, 60 }, { 8, 0, 64 },
            { 8, 0, 72 }, { 8, 0, 88 }, { 4, 0, 96 }, { 4, 0, 100 }, { 4, 0, 104 }, { 4, 0, 108 },
            { 8, 1, 0 }, { 8, 1, 8 }, { 8, 2, 0 }, { 8, 2, 8 }, { 8, 2, 200 }, { 8, 3, 0 },
            { 8, 3, 8 }, { 2, 4, 0 }, { 2, 4, 2 }, { 2, 4, 40 },
        };
        static const uint64_t values[] = {
            0, 1, 2, 3, 4, 9, 22, 63, 64, 511, 512, 4096, 0x10000, 0x7fffffff, 0xffffffff,
            0x8000000000000000ull, 0x4000000000000000ull, 0x00fffffffffffe00ull,
            0xffffffffffffffffull, 0x8000000000001000ull, 0x4000000000001234ull,
        };
        for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
            uint64_t base = fields[f].where == 0 ? 0 : fields[f].where == 1 ? l1 :
                            fields[f].where == 2 ? l2 : fields[f].where == 3 ? rt : rb;
            uint64_t at = base + fields[f].off;
            if (at + (uint64_t)fields[f].width > glen)
                continue;
            for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
                uint8_t *bad = malloc(glen);
                memcpy(bad, good, glen);
                put_be(bad + at, values[k], fields[f].width);
                write_file(path("bad.qcow2"), bad, glen);
                exercise(path("bad.qcow2"));
                free(bad);
                variants++;
            }
        }
        /* truncations at every interesting length */
        for (size_t cut = 0; cut < glen; cut = cut * 2 + 50) {
            write_file(path("bad.qcow2"), good, cut);
            exercise(path("bad.qcow2"));
            variants++;
        }
        free(good);
    }
    cr_assert_geq(variants, 500);
    free(data);
}
