/*
 * json.c - the JSON value tree, parser, serializer and stream splitter of
 * the QMP monitor. See json.h; the grammar is RFC 8259's, with QEMU's
 * single-quoted strings added.
 */
#include "frontend/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- strbuf ------------------------------------------------------------------------ */

static bool strbuf_reserve(struct strbuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void strbuf_add(struct strbuf *b, const char *s, size_t n)
{
    if (!strbuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_add(b, s, strlen(s));
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        strbuf_add(b, small, (size_t)n);
        return;
    }
    if (!strbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void strbuf_consume(struct strbuf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->p, b->p + n, b->len - n);
        b->len -= n;
    }
    if (b->p)
        b->p[b->len] = '\0';
}

void strbuf_free(struct strbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- values ------------------------------------------------------------------------- */

static struct json *new_value(enum json_type t)
{
    struct json *v = calloc(1, sizeof(*v));
    if (v)
        v->type = t;
    return v;
}

struct json *json_null(void) { return new_value(JSON_NULL); }
struct json *json_array(void) { return new_value(JSON_ARRAY); }
struct json *json_object(void) { return new_value(JSON_OBJECT); }

struct json *json_bool(bool b)
{
    struct json *v = new_value(JSON_BOOL);
    if (v)
        v->b = b;
    return v;
}

struct json *json_int(int64_t i)
{
    struct json *v = new_value(JSON_INT);
    if (v)
        v->i = i;
    return v;
}

static struct json *json_string_n(const char *s, size_t n)
{
    struct json *v = new_value(JSON_STRING);
    if (!v)
        return NULL;
    v->s = malloc(n + 1);
    if (!v->s) {
        free(v);
        return NULL;
    }
    memcpy(v->s, s, n);
    v->s[n] = '\0';
    return v;
}

struct json *json_string(const char *s)
{
    return json_string_n(s, strlen(s));
}

void json_free(struct json *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        json_free(v->item[i]);
        if (v->key)
            free(v->key[i]);
    }
    free(v->item);
    free(v->key);
    free(v->s);
    free(v);
}

static bool grow_items(struct json *c)
{
    if (c->n < c->cap)
        return true;
    size_t cap = c->cap ? c->cap * 2 : 4;
    struct json **item = realloc(c->item, cap * sizeof(*item));
    if (!item)
        return false;
    c->item = item;
    if (c->type == JSON_OBJECT) {
        char **key = realloc(c->key, cap * sizeof(*key));
        if (!key)
            return false;
        c->key = key;
    }
    c->cap = cap;
    return true;
}

bool json_append(struct json *arr, struct json *v)
{
    if (!arr || !v || arr->type != JSON_ARRAY || !grow_items(arr)) {
        json_free(v);
        return false;
    }
    arr->item[arr->n++] = v;
    return true;
}

static bool set_n(struct json *obj, const char *key, size_t klen, struct json *v)
{
    char *k = NULL;
    if (!obj || !v || obj->type != JSON_OBJECT || !grow_items(obj) ||
        !(k = malloc(klen + 1))) {
        json_free(v);
        return false;
    }
    memcpy(k, key, klen);
    k[klen] = '\0';
    obj->key[obj->n] = k;
    obj->item[obj->n++] = v;
    return true;
}

bool json_set(struct json *obj, const char *key, struct json *v)
{
    return set_n(obj, key, strlen(key), v);
}

struct json *json_copy(const struct json *v)
{
    if (!v)
        return NULL;
    struct json *c;
    switch (v->type) {
    case JSON_STRING: return json_string(v->s);
    case JSON_ARRAY:
    case JSON_OBJECT:
        c = new_value(v->type);
        for (size_t i = 0; c && i < v->n; i++) {
            struct json *item = json_copy(v->item[i]);
            bool ok = v->type == JSON_ARRAY ? json_append(c, item) : json_set(c, v->key[i], item);
            if (!ok) {
                json_free(c);
                return NULL;
            }
        }
        return c;
    default:
        c = new_value(v->type);
        if (c)
            *c = *v;
        return c;
    }
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = obj->n; i-- > 0;)
        if (!strcmp(obj->key[i], key))
            return obj->item[i];
    return NULL;
}

const char *json_type_name(enum json_type t)
{
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "boolean";
    case JSON_INT: return "integer";
    case JSON_DOUBLE: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}

/* ---- the parser --------------------------------------------------------------------- */

struct parser {
    const char *p, *end;
    int depth;
    char *err;
    size_t err_size;
    bool failed;
};

static void perr(struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void perr(struct parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    if (!ps->err_size)
        return;
    int n = snprintf(ps->err, ps->err_size, "JSON parse error, ");
    if (n < 0 || (size_t)n >= ps->err_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->err_size - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(struct parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(ps->p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return true;
}

static void put_utf8(struct strbuf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp; n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3f)); n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); n = 4;
    }
    strbuf_add(b, u, n);
}

/* Decode one UTF-8 sequence at s (at most avail bytes): its length, or 0 if
 * invalid (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t avail, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; c &= 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; c &= 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

static struct json *parse_string(struct parser *ps)
{
    char quote = *ps->p++;
    struct strbuf b = { 0 };
    strbuf_add(&b, "", 0);
    while (!ps->failed) {
        if (ps->p >= ps->end) {
            perr(ps, "missing closing quote in string");
            break;
        }
        unsigned char c = (unsigned char)*ps->p;
        if (c == (unsigned char)quote) {
            ps->p++;
            struct json *v = b.oom ? NULL : json_string_n(b.p, b.len);
            if (!v)
                perr(ps, "out of memory");
            strbuf_free(&b);
            return v;
        }
        if (c < 0x20) {
            perr(ps, "control character 0x%02x in string", c);
            break;
        }
        if (c == '\\') {
            ps->p++;
            if (ps->p >= ps->end) {
                perr(ps, "missing closing quote in string");
                break;
            }
            char e = *ps->p++;
            switch (e) {
            case '"': case '\'': case '\\': case '/': strbuf_add(&b, &e, 1); break;
            case 'b': strbuf_add(&b, "\b", 1); break;
            case 'f': strbuf_add(&b, "\f", 1); break;
            case 'n': strbuf_add(&b, "\n", 1); break;
            case 'r': strbuf_add(&b, "\r", 1); break;
            case 't': strbuf_add(&b, "\t", 1); break;
            case 'u': {
                unsigned cp, lo;
                if (!read_hex4(ps, &cp)) {
                    perr(ps, "invalid \\u escape in string");
                    break;
                }
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                        (ps->p += 2, !read_hex4(ps, &lo)) || lo < 0xdc00 || lo > 0xdfff) {
                        perr(ps, "unpaired surrogate \\u%04X in string", cp);
                        break;
                    }
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    perr(ps, "unpaired surrogate \\u%04X in string", cp);
                    break;
                }
                if (cp == 0) {
                    perr(ps, "\\u0000 is not allowed in strings");
                    break;
                }
                put_utf8(&b, cp);
                break;
            }
            default:
                perr(ps, "invalid escape sequence '\\%c' in string",
                     e >= 0x20 && e < 0x7f ? e : '?');
                break;
            }
            continue;
        }
        unsigned cp;
        size_t n = utf8_decode((const unsigned char *)ps->p, (size_t)(ps->end - ps->p), &cp);
        if (!n) {
            perr(ps, "invalid UTF-8 sequence in string");
            break;
        }
        strbuf_add(&b, ps->p, n);
        ps->p += n;
    }
    strbuf_free(&b);
    return NULL;
}

/* Skip one or more decimal digits at *q; false if there is none. */
static bool digits(const struct parser *ps, const char **q)
{
    if (*q >= ps->end || **q < '0' || **q > '9')
        return false;
    while (*q < ps->end && **q >= '0' && **q <= '9')
        (*q)++;
    return true;
}

static struct json *parse_number(struct parser *ps)
{
    const char *s = ps->p;
    const char *q = s;
    bool is_int = true, ok;
    if (q < ps->end && *q == '-')
        q++;
    if (q < ps->end && *q == '0') {
        q++;                          /* no leading zeros: "01" ends after the 0 */
        ok = true;
    } else {
        ok = digits(ps, &q);
    }
    if (ok && q < ps->end && *q == '.') {
        is_int = false;
        q++;
        ok = digits(ps, &q);
    }
    if (ok && q < ps->end && (*q == 'e' || *q == 'E')) {
        is_int = false;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        ok = digits(ps, &q);
    }
    if (!ok) {
        perr(ps, "invalid number");
        return NULL;
    }
    size_t len = (size_t)(q - s);
    if (len > 400) {
        perr(ps, "number too long");
        return NULL;
    }
    char tmp[401];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    ps->p = q;
    struct json *v;
    if (is_int) {
        errno = 0;
        long long i = strtoll(tmp, NULL, 10);
        if (errno != ERANGE) {
            v = json_int(i);
            goto done;
        }
    }
    v = new_value(JSON_DOUBLE);   /* too big for int64, or a fraction */
    if (v)
        v->d = strtod(tmp, NULL);
done:
    if (!v)
        perr(ps, "out of memory");
    return v;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_container(struct parser *ps)
{
    bool object = *ps->p == '{';
    char close = object ? '}' : ']';
    ps->p++;
    if (++ps->depth > JSON_MAX_DEPTH) {
        perr(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    struct json *c = object ? json_object() : json_array();
    if (!c) {
        perr(ps, "out of memory");
        return NULL;
    }
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return c;
    }
    for (;;) {
        struct json *key = NULL;
        if (object) {
            skip_ws(ps);
            if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\'')) {
                perr(ps, "key is not a string in object");
                break;
            }
            key = parse_string(ps);
            if (!key)
                break;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                perr(ps, "missing : in object pair");
                json_free(key);
                break;
            }
            ps->p++;
        }
        struct json *v = parse_value(ps);
        if (!v) {
            json_free(key);
            break;
        }
        bool ok = object ? json_set(c, key->s, v) : json_append(c, v);
        json_free(key);
        if (!ok) {
            perr(ps, "out of memory");
            break;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            return c;
        }
        perr(ps, object ? "expected ',' or '}' in object" : "expected ',' or ']' in array");
        break;
    }
    json_free(c);
    return NULL;
}

static bool keyword(struct parser *ps, const char *kw)
{
    size_t n = strlen(kw);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, kw, n))
        return false;
    const char *after = ps->p + n;
    if (after < ps->end && ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
                            (*after >= '0' && *after <= '9') || *after == '_'))
        return false;
    ps->p = after;
    return true;
}

static struct json *parse_value(struct parser *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end) {
        perr(ps, "expecting value");
        return NULL;
    }
    char c = *ps->p;
    struct json *v = NULL;
    if (c == '{' || c == '[')
        return parse_container(ps);
    if (c == '"' || c == '\'')
        return parse_string(ps);
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(ps);
    if (keyword(ps, "true"))
        v = json_bool(true);
    else if (keyword(ps, "false"))
        v = json_bool(false);
    else if (keyword(ps, "null"))
        v = json_null();
    else {
        /* Name the bad token as QEMU does ("invalid keyword 'garbage'"). */
        const char *q = ps->p;
        while (q < ps->end && q - ps->p < 32 && *q > ' ' && *q < 0x7f && !strchr("{}[],:\"'", *q))
            q++;
        if (q > ps->p)
            perr(ps, "invalid keyword '%.*s'", (int)(q - ps->p), ps->p);
        else if (strchr("]},:", c) && c)
            perr(ps, "expecting value");
        else
            perr(ps, "unexpected character 0x%02x", (unsigned char)c);
        return NULL;
    }
    if (!v)
        perr(ps, "out of memory");
    return v;
}

struct json *json_parse(const char *buf, size_t len, char *err, size_t err_size)
{
    struct parser ps = { .p = buf, .end = buf + len, .err = err, .err_size = err_size };
    if (err_size)
        err[0] = '\0';
    if (len > JSON_MAX_MESSAGE) {
        perr(&ps, "input longer than %u bytes", JSON_MAX_MESSAGE);
        return NULL;
    }
    struct json *v = parse_value(&ps);
    if (!v)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        perr(&ps, "unexpected text after the value");
        json_free(v);
        return NULL;
    }
    return v;
}

/* ---- the serializer ----------------------------------------------------------------- */

static void write_string(struct strbuf *b, const char *s)
{
    strbuf_add(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        unsigned cp;
        size_t n = utf8_decode(p, left, &cp);
        if (!n) {                         /* not UTF-8 (guest bytes): U+FFFD */
            cp = 0xfffd;
            n = 1;
        }
        p += n;
        left -= n;
        switch (cp) {
        case '"': strbuf_add(b, "\\\"", 2); continue;
        case '\\': strbuf_add(b, "\\\\", 2); continue;
        case '\b': strbuf_add(b, "\\b", 2); continue;
        case '\f': strbuf_add(b, "\\f", 2); continue;
        case '\n': strbuf_add(b, "\\n", 2); continue;
        case '\r': strbuf_add(b, "\\r", 2); continue;
        case '\t': strbuf_add(b, "\\t", 2); continue;
        default: break;
        }
        if (cp >= 0x20 && cp < 0x7f) {
            char ch = (char)cp;
            strbuf_add(b, &ch, 1);
        } else if (cp < 0x10000) {
            strbuf_printf(b, "\\u%04X", cp);
        } else {
            cp -= 0x10000;
            strbuf_printf(b, "\\u%04X\\u%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        }
    }
    strbuf_add(b, "\"", 1);
}

void json_write(struct strbuf *b, const struct json *v)
{
    switch (v->type) {
    case JSON_NULL: strbuf_puts(b, "null"); return;
    case JSON_BOOL: strbuf_puts(b, v->b ? "true" : "false"); return;
    case JSON_INT: strbuf_printf(b, "%lld", (long long)v->i); return;
    case JSON_DOUBLE:
        if (isfinite(v->d)) {
            char num[40];
            snprintf(num, sizeof(num), "%.17g", v->d);
            /* keep it a non-integer literal, so it reads back as a double */
            strbuf_printf(b, strpbrk(num, ".eE") ? "%s" : "%s.0", num);
        } else
            strbuf_puts(b, "null");       /* JSON has no inf/nan */
        return;
    case JSON_STRING: write_string(b, v->s); return;
    case JSON_ARRAY:
    case JSON_OBJECT: {
        bool obj = v->type == JSON_OBJECT;
        strbuf_add(b, obj ? "{" : "[", 1);
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                strbuf_add(b, ", ", 2);
            if (obj) {
                write_string(b, v->key[i]);
                strbuf_add(b, ": ", 2);
            }
            json_write(b, v->item[i]);
        }
        strbuf_add(b, obj ? "}" : "]", 1);
        return;
    }
    }
}

/* ---- the stream splitter ------------------------------------------------------------ */

static bool token_delimiter(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '}' ||
           c == '[' || c == ']' || c == ',' || c == ':' || c == '"' || c == '\'';
}

static void splitter_reset(struct json_splitter *sp)
{
    sp->buf.len = 0;
    if (sp->buf.p)
        sp->buf.p[0] = '\0';
    sp->buf.oom = false;
    sp->depth = 0;
    sp->quote = 0;
    sp->escape = false;
    sp->scalar = false;
    sp->too_long = false;
}

static void emit(struct json_splitter *sp, json_message_fn fn, void *opaque)
{
    bool too_long = sp->too_long || sp->buf.oom;
    fn(opaque, sp->buf.p ? sp->buf.p : "", sp->buf.len, too_long);
    splitter_reset(sp);
}

static void keep(struct json_splitter *sp, uint8_t c)
{
    if (sp->too_long)
        return;
    if (sp->buf.len >= JSON_MAX_MESSAGE) {
        sp->too_long = true;            /* keep tracking the brackets, drop the text */
        return;
    }
    char ch = (char)c;
    strbuf_add(&sp->buf, &ch, 1);
}

void json_splitter_feed(struct json_splitter *sp, const uint8_t *data, size_t n,
                        json_message_fn fn, void *opaque)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data[i];
        if (c == 0xff) {
            splitter_reset(sp);
            continue;
        }
        if (sp->scalar && token_delimiter(c)) {
            emit(sp, fn, opaque);       /* a bare top-level token ended */
        }
        if (sp->quote) {
            keep(sp, c);
            if (sp->escape)
                sp->escape = false;
            else if (c == '\\')
                sp->escape = true;
            else if ((char)c == sp->quote) {
                sp->quote = 0;
                if (sp->depth == 0)
                    emit(sp, fn, opaque);
            }
            continue;
        }
        if (sp->scalar) {
            keep(sp, c);
            continue;
        }
        bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (sp->depth == 0 && ws)
            continue;                   /* between messages */
        keep(sp, c);
        if (c == '"' || c == '\'') {
            sp->quote = (char)c;
        } else if (c == '{' || c == '[') {
            if (sp->depth < INT32_MAX)
                sp->depth++;
        } else if (c == '}' || c == ']') {
            if (sp->depth <= 1)         /* balanced (or a stray closer): done */
                emit(sp, fn, opaque);
            else
                sp->depth--;
        } else if (sp->depth == 0 && !ws) {
            if (c == ',' || c == ':')
                emit(sp, fn, opaque);   /* a lone punctuation token */
            else
                sp->scalar = true;
        }
    }
}

void json_splitter_free(struct json_splitter *sp)
{
    strbuf_free(&sp->buf);
    memset(sp, 0, sizeof(*sp));
}
