/*
 * json.h - a small JSON (RFC 8259) value tree, parser and serializer for
 * the QMP monitor (frontend/qmp.h), plus the stream splitter that cuts a
 * byte stream into top-level values the way QEMU's json-streamer does.
 *
 * Input is untrusted (anyone who can reach the QMP socket): the parser
 * bounds nesting and size, validates UTF-8, and never reads past the given
 * length; tests/fuzz/fuzz_json.c fuzzes it. Like QEMU's parser it also
 * accepts single-quoted strings. Strings may not contain U+0000 (QEMU's
 * commands take C strings), so every string is NUL-terminated text.
 *
 * The serializer writes QEMU's layout: `{"a": 1, "b": [1, 2]}`, with every
 * character outside printable ASCII escaped.
 */
#ifndef SOFTVM_FRONTEND_JSON_H
#define SOFTVM_FRONTEND_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 128               /* nested arrays/objects */
#define JSON_MAX_MESSAGE (1u << 20)      /* bytes in one top-level value */

enum json_type { JSON_NULL, JSON_BOOL, JSON_INT, JSON_DOUBLE, JSON_STRING, JSON_ARRAY,
                 JSON_OBJECT };

struct json {
    enum json_type type;
    bool b;                      /* JSON_BOOL */
    int64_t i;                   /* JSON_INT: an integer literal that fits */
    double d;                    /* JSON_DOUBLE: any other number */
    char *s;                     /* JSON_STRING: UTF-8, NUL-terminated */
    size_t n, cap;               /* JSON_ARRAY / JSON_OBJECT: item count */
    struct json **item;
    char **key;                  /* JSON_OBJECT: item[k]'s name */
};

/* A growing byte buffer (always NUL-terminated once anything is added). */
struct strbuf {
    char *p;
    size_t len, cap;
    bool oom;                    /* an allocation failed: contents truncated */
};
void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_consume(struct strbuf *b, size_t n);   /* drop the first n bytes */
void strbuf_free(struct strbuf *b);

/* Parse exactly one value from buf[0..len) (surrounding white space
 * allowed). NULL on error, with a QEMU-style reason ("JSON parse error,
 * ...") in err. */
struct json *json_parse(const char *buf, size_t len, char *err, size_t err_size);
void json_free(struct json *v);

/* Builders: each returns NULL only when out of memory; the add/set calls
 * take ownership of v (freeing it if they fail) and return false then. */
struct json *json_null(void);
struct json *json_bool(bool b);
struct json *json_int(int64_t i);
struct json *json_string(const char *s);
struct json *json_array(void);
struct json *json_object(void);
bool json_append(struct json *arr, struct json *v);
bool json_set(struct json *obj, const char *key, struct json *v);
struct json *json_copy(const struct json *v);

/* The member named key of an object (the last one if repeated), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
const char *json_type_name(enum json_type t);

/* Append v's text to b. */
void json_write(struct strbuf *b, const struct json *v);

/*
 * The stream splitter: feed bytes; each complete top-level value (an
 * object or array when its brackets balance, or a lone scalar token) is
 * handed to the callback as raw text. A value longer than JSON_MAX_MESSAGE
 * is dropped, and the callback gets it with too_long set. A 0xFF byte
 * resets the splitter (QEMU's way for a client to resynchronise).
 */
struct json_splitter {
    struct strbuf buf;
    int depth;
    char quote;                  /* inside a string: its quote character */
    bool escape;                 /* the previous string byte was a backslash */
    bool scalar;                 /* inside a bare top-level token */
    bool too_long;
};
typedef void (*json_message_fn)(void *opaque, const char *text, size_t len, bool too_long);
void json_splitter_feed(struct json_splitter *sp, const uint8_t *data, size_t n,
                        json_message_fn fn, void *opaque);
void json_splitter_free(struct json_splitter *sp);

#endif
