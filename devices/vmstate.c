/*
 * vmstate.c - save, load, compare, hash and coverage check of described
 * state (vmstate.h). One recursive walk over a description serves all five,
 * so they cannot disagree about what the state is.
 *
 * Blob layout, per struct instance: u16 version, u64 layout hash (of the
 * names, kinds, roles and sizes of the fields that version has), then each
 * state/config field in table order: integers little-endian, bools as one
 * byte, embedded structs recursively, a pointed-to struct recursively, a
 * pointed-to buffer as a presence byte and its bytes.
 */
#include "devices/vmstate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- hash ---------------------------------------------------------------- */

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

uint64_t vms_hash64(uint64_t seed, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
    size_t n = len;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = rotl64(h ^ (w * 0x87c37b91114253d5ull), 31) * 0x4cf5ad432745937full;
        p += 8;
        n -= 8;
    }
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t |= (uint64_t)p[i] << (8 * i);
    h = rotl64(h ^ (t * 0x87c37b91114253d5ull), 31) * 0x4cf5ad432745937full;
    return fmix64(h ^ len);
}

/* ---- buffer -------------------------------------------------------------- */

void vms_buf_put(struct vms_buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void vms_buf_free(struct vms_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* ---- the walk ------------------------------------------------------------ */

enum walk_op { W_SAVE, W_CHECK, W_APPLY, W_EQUAL };

struct walk {
    enum walk_op op;
    struct vms_buf *out;
    const uint8_t *in;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
    char path[256];
    size_t plen;
    char fail_path[256];            /* path when the walk failed */
};

static void fail(struct walk *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    w->failed = true;
    memcpy(w->fail_path, w->path, sizeof(w->path));
    if (!w->err || !w->errlen)
        return;
    int n = snprintf(w->err, w->errlen, "%s: ", w->plen ? w->path + (w->path[0] == '.') : "state");
    if (n < 0 || (size_t)n >= w->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Path bookkeeping: push ".name" or "[i]", pop back to a saved length. */
static size_t path_push(struct walk *w, const char *fmt, ...)
{
    size_t old = w->plen;
    if (w->plen < sizeof(w->path) - 1) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(w->path + w->plen, sizeof(w->path) - w->plen, fmt, ap);
        va_end(ap);
        if (n > 0)
            w->plen += (size_t)n;
        if (w->plen > sizeof(w->path) - 1)
            w->plen = sizeof(w->path) - 1;
    }
    return old;
}

static void path_pop(struct walk *w, size_t old)
{
    w->plen = old;
    w->path[old] = 0;
}

static const uint8_t *take(struct walk *w, size_t n)
{
    if (w->failed)
        return NULL;
    if (w->len - w->pos < n) {
        fail(w, "the saved state ends early (truncated)");
        return NULL;
    }
    const uint8_t *p = w->in + w->pos;
    w->pos += n;
    return p;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_le(struct vms_buf *b, uint64_t v, unsigned n)
{
    uint8_t t[8];
    for (unsigned i = 0; i < n; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    vms_buf_put(b, t, n);
}

/* Host-order integer of n bytes at p. */
static uint64_t load_int(const void *p, unsigned n)
{
    switch (n) {
    case 1: { uint8_t v; memcpy(&v, p, 1); return v; }
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void store_int(void *p, uint64_t v, unsigned n)
{
    switch (n) {
    case 1: { uint8_t t = (uint8_t)v; memcpy(p, &t, 1); break; }
    case 2: { uint16_t t = (uint16_t)v; memcpy(p, &t, 2); break; }
    case 4: { uint32_t t = (uint32_t)v; memcpy(p, &t, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static bool field_in_version(const struct vms_field *f, unsigned version)
{
    return f->role != VMS_WIRING && (f->since ? f->since : 1) <= version;
}

static uint64_t layout_hash(const struct vms_desc *d, unsigned version)
{
    uint64_t h = vms_hash64(0, d->name, strlen(d->name));
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct vms_field *f = &d->fields[i];
        if (!field_in_version(f, version))
            continue;
        uint32_t shape[4] = { f->kind, f->role, f->elem, f->elem ? f->size / f->elem : 0 };
        if (f->kind == VMS_PSTRUCT || f->kind == VMS_PBYTES)
            shape[3] = 1;
        h = vms_hash64(h, f->name, strlen(f->name));
        h = vms_hash64(h, shape, sizeof(shape));
        if (f->sub)
            h = vms_hash64(h, f->sub->name, strlen(f->sub->name));
    }
    return h;
}

static void walk_struct(struct walk *w, const struct vms_desc *d, void *obj, const void *other);

/* One integer or bool element. */
static void walk_scalar(struct walk *w, const struct vms_field *f, uint8_t *p, const uint8_t *q)
{
    unsigned n = f->kind == VMS_BOOL ? 1 : f->elem;
    switch (w->op) {
    case W_SAVE:
        put_le(w->out, load_int(p, n), n);
        break;
    case W_EQUAL:
        if (memcmp(p, q, n))
            fail(w, "differs");
        break;
    case W_CHECK:
    case W_APPLY: {
        const uint8_t *s = take(w, n);
        if (!s)
            return;
        uint64_t v = get_le(s, n);
        if (f->kind == VMS_BOOL && v > 1) {
            fail(w, "saved bool is %llu, not 0 or 1", (unsigned long long)v);
            return;
        }
        if (f->role == VMS_CONFIG) {
            uint64_t here = load_int(p, n);
            if (here != v)
                fail(w, "the snapshot is of a differently configured machine "
                     "(0x%llx there, 0x%llx here)", (unsigned long long)v,
                     (unsigned long long)here);
        } else if (w->op == W_APPLY) {
            store_int(p, v, n);
        }
        break;
    }
    }
}

static void walk_field(struct walk *w, const struct vms_field *f, uint8_t *base, const uint8_t *obase)
{
    uint8_t *p = base + f->offset;
    const uint8_t *q = obase ? obase + f->offset : NULL;
    size_t old = path_push(w, ".%s", f->name);
    switch (f->kind) {
    case VMS_INT:
    case VMS_BOOL: {
        unsigned count = f->size / f->elem;
        if (w->op == W_EQUAL && memcmp(p, q, f->size) == 0)
            break;
        if (f->kind == VMS_INT && f->elem == 1 && w->op == W_SAVE) {
            vms_buf_put(w->out, p, f->size);        /* byte arrays in one go */
            break;
        }
        if (f->kind == VMS_INT && f->elem == 1 && w->op != W_EQUAL && f->role == VMS_STATE) {
            const uint8_t *s = take(w, f->size);
            if (s && w->op == W_APPLY)
                memcpy(p, s, f->size);
            break;
        }
        for (unsigned i = 0; i < count && !w->failed; i++) {
            size_t o2 = count > 1 ? path_push(w, "[%u]", i) : w->plen;
            walk_scalar(w, f, p + (size_t)i * f->elem, q ? q + (size_t)i * f->elem : NULL);
            path_pop(w, o2);
        }
        break;
    }
    case VMS_STRUCT: {
        unsigned count = f->size / f->elem;
        for (unsigned i = 0; i < count && !w->failed; i++) {
            size_t o2 = count > 1 ? path_push(w, "[%u]", i) : w->plen;
            walk_struct(w, f->sub, p + (size_t)i * f->elem, q ? q + (size_t)i * f->elem : NULL);
            path_pop(w, o2);
        }
        break;
    }
    case VMS_PSTRUCT: {
        void *ptr, *optr = NULL;
        memcpy(&ptr, p, sizeof(ptr));
        if (q)
            memcpy(&optr, q, sizeof(optr));
        if (!ptr || (w->op == W_EQUAL && !optr)) {
            fail(w, "is absent (NULL)");
            break;
        }
        walk_struct(w, f->sub, ptr, optr);
        break;
    }
    case VMS_PBYTES: {
        uint8_t *ptr, *optr = NULL;
        memcpy(&ptr, p, sizeof(ptr));
        if (q)
            memcpy(&optr, q, sizeof(optr));
        if (w->op == W_SAVE) {
            uint8_t present = ptr != NULL;
            vms_buf_put(w->out, &present, 1);
            if (ptr)
                vms_buf_put(w->out, ptr, f->elem);
        } else if (w->op == W_EQUAL) {
            if (!ptr != !optr || (ptr && memcmp(ptr, optr, f->elem)))
                fail(w, "differs");
        } else {
            const uint8_t *s = take(w, 1);
            if (!s)
                break;
            if (*s > 1) {
                fail(w, "bad presence byte %u", *s);
                break;
            }
            if (!*s) {
                if (ptr && w->op == W_APPLY)
                    memset(ptr, 0, f->elem);
                break;
            }
            const uint8_t *data = take(w, f->elem);
            if (!data)
                break;
            if (!ptr)
                fail(w, "the snapshot has a buffer this machine does not");
            else if (w->op == W_APPLY)
                memcpy(ptr, data, f->elem);
        }
        break;
    }
    default:
        break;
    }
    path_pop(w, old);
}

static void walk_struct(struct walk *w, const struct vms_desc *d, void *obj, const void *other)
{
    unsigned version = d->version;
    if (w->op == W_SAVE) {
        put_le(w->out, d->version, 2);
        put_le(w->out, layout_hash(d, d->version), 8);
    } else if (w->op == W_CHECK || w->op == W_APPLY) {
        const uint8_t *s = take(w, 10);
        if (!s)
            return;
        version = (unsigned)get_le(s, 2);
        if (version == 0 || version > d->version) {
            fail(w, "%s state version %u is not one this build reads (1..%u)",
                 d->name, version, d->version);
            return;
        }
        if (get_le(s + 2, 8) != layout_hash(d, version)) {
            fail(w, "%s state version %u has another field layout than this build's",
                 d->name, version);
            return;
        }
    }
    for (unsigned i = 0; i < d->nfields && !w->failed; i++)
        if (field_in_version(&d->fields[i], version))
            walk_field(w, &d->fields[i], obj, other);
}

enum hook { H_PRE_SAVE, H_PRE_LOAD, H_POST_LOAD };

/* The hooks, children before parents. */
static void run_hooks(const struct vms_desc *d, void *obj, enum hook which)
{
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct vms_field *f = &d->fields[i];
        if (f->role == VMS_WIRING)
            continue;
        uint8_t *p = (uint8_t *)obj + f->offset;
        if (f->kind == VMS_STRUCT) {
            for (unsigned k = 0; k < f->size / f->elem; k++)
                run_hooks(f->sub, p + (size_t)k * f->elem, which);
        } else if (f->kind == VMS_PSTRUCT) {
            void *ptr;
            memcpy(&ptr, p, sizeof(ptr));
            if (ptr)
                run_hooks(f->sub, ptr, which);
        }
    }
    void (*hook)(void *) = which == H_PRE_SAVE ? d->pre_save :
                           which == H_PRE_LOAD ? d->pre_load : d->post_load;
    if (hook)
        hook(obj);
}

int vms_save(const struct vms_desc *d, void *obj, struct vms_buf *out,
             char *err, size_t errlen)
{
    struct walk w = { .op = W_SAVE, .out = out, .err = err, .errlen = errlen };
    run_hooks(d, obj, H_PRE_SAVE);
    walk_struct(&w, d, obj, NULL);
    if (!w.failed && out->oom)
        fail(&w, "out of memory");
    return w.failed ? -1 : 0;
}

int vms_load(const struct vms_desc *d, void *obj, const uint8_t *data, size_t len,
             char *err, size_t errlen)
{
    struct walk w = { .op = W_CHECK, .in = data, .len = len, .err = err, .errlen = errlen };
    walk_struct(&w, d, obj, NULL);
    if (!w.failed && w.pos != w.len)
        fail(&w, "%zu bytes follow the saved state", w.len - w.pos);
    if (w.failed)
        return -1;
    run_hooks(d, obj, H_PRE_LOAD);
    w = (struct walk){ .op = W_APPLY, .in = data, .len = len, .err = err, .errlen = errlen };
    walk_struct(&w, d, obj, NULL);
    run_hooks(d, obj, H_POST_LOAD);
    return w.failed ? -1 : 0;      /* cannot fail after a clean check */
}

uint64_t vms_hash(const struct vms_desc *d, void *obj, uint64_t seed)
{
    struct vms_buf b = { 0 };
    char err[8];
    uint64_t h = seed;
    if (vms_save(d, obj, &b, err, sizeof(err)) == 0)
        h = vms_hash64(seed, b.data, b.len);
    vms_buf_free(&b);
    return h;
}

bool vms_equal(const struct vms_desc *d, void *a, void *b, char *path, size_t pathlen)
{
    struct walk w = { .op = W_EQUAL };
    run_hooks(d, a, H_PRE_SAVE);
    run_hooks(d, b, H_PRE_SAVE);
    walk_struct(&w, d, a, b);
    if (w.failed && path && pathlen)
        snprintf(path, pathlen, "%s", w.fail_path[0] ? w.fail_path + (w.fail_path[0] == '.') : d->name);
    return !w.failed;
}

/* ---- coverage ------------------------------------------------------------ */

static int check_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }

int vms_check(const struct vms_desc *d, char *err, size_t errlen)
{
    uint64_t end = 0;
    if (!d->name || !d->version)
        return check_fail(err, errlen, "a description has no name or version 0");
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct vms_field *f = &d->fields[i];
        if (f->offset < end)
            return check_fail(err, errlen, "%s.%s: overlaps the field before it or is out of "
                              "offset order", d->name, f->name);
        if (f->offset > end && f->offset != align_up(end, f->align))
            return check_fail(err, errlen, "%s: bytes %llu..%llu (before .%s) are in no field: "
                              "a member without a description?", d->name,
                              (unsigned long long)end, (unsigned long long)f->offset - 1, f->name);
        if ((f->since ? f->since : 1) > d->version)
            return check_fail(err, errlen, "%s.%s: added in version %u, after the table's %u",
                              d->name, f->name, f->since, d->version);
        switch (f->kind) {
        case VMS_INT:
            if (f->elem != 1 && f->elem != 2 && f->elem != 4 && f->elem != 8)
                return check_fail(err, errlen, "%s.%s: integer of %u bytes", d->name, f->name, f->elem);
            /* fallthrough */
        case VMS_BOOL:
            if (f->size % f->elem)
                return check_fail(err, errlen, "%s.%s: size is not whole elements", d->name, f->name);
            break;
        case VMS_STRUCT:
            if (!f->sub || f->elem != f->sub->size || f->size % f->elem)
                return check_fail(err, errlen, "%s.%s: its description (%s) is not of its type's "
                                  "size", d->name, f->name, f->sub ? f->sub->name : "none");
            /* fallthrough */
        case VMS_PSTRUCT:
            if (!f->sub)
                return check_fail(err, errlen, "%s.%s: no description", d->name, f->name);
            if (vms_check(f->sub, err, errlen))
                return -1;
            break;
        default:
            break;
        }
        end = f->offset + (uint64_t)f->size;
    }
    if (d->size != align_up(end, d->align))
        return check_fail(err, errlen, "%s: bytes %llu..%u are in no field: a member without "
                          "a description?", d->name, (unsigned long long)end, d->size - 1);
    return 0;
}
