/*
 * fuzz_json.c - libFuzzer target for the QMP monitor's JSON layer
 * (frontend/json.h): the input is a byte stream as a QMP client would send
 * it; the splitter cuts it into values and each is parsed. A value that
 * parses must serialize to text that parses again to the same text (the
 * serializer only writes what the parser reads), and the parser must agree
 * with itself whether the stream came in one piece or byte by byte. Any
 * crash, leak, sanitizer report or abort() is a bug. Built and run by
 * tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/json.h"

struct digest {
    struct strbuf all;           /* every value's outcome, in order */
};

static void check_value(void *opaque, const char *text, size_t len, bool too_long)
{
    struct digest *d = opaque;
    char err[160];
    struct json *v = too_long ? NULL : json_parse(text, len, err, sizeof(err));
    if (!v) {
        strbuf_add(&d->all, "E\n", 2);
        return;
    }
    struct strbuf a = { 0 }, b = { 0 };
    json_write(&a, v);
    struct json *again = json_parse(a.p, a.len, err, sizeof(err));
    if (!again)
        abort();                 /* the serializer wrote something the parser refuses */
    json_write(&b, again);
    if (a.len != b.len || memcmp(a.p, b.p, a.len))
        abort();                 /* not stable under a second round */
    struct json *copy = json_copy(v);
    struct strbuf c = { 0 };
    if (copy)
        json_write(&c, copy);
    if (copy && (c.len != a.len || memcmp(c.p, a.p, a.len)))
        abort();                 /* json_copy lost something */
    strbuf_add(&d->all, a.p, a.len);
    strbuf_add(&d->all, "\n", 1);
    strbuf_free(&a);
    strbuf_free(&b);
    strbuf_free(&c);
    json_free(copy);
    json_free(again);
    json_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct digest whole = { 0 }, bytes = { 0 };
    struct json_splitter sp = { 0 };
    json_splitter_feed(&sp, data, size, check_value, &whole);
    json_splitter_free(&sp);
    for (size_t i = 0; i < size; i++)
        json_splitter_feed(&sp, data + i, 1, check_value, &bytes);
    json_splitter_free(&sp);
    if (whole.all.len != bytes.all.len ||
        (whole.all.len && memcmp(whole.all.p, bytes.all.p, whole.all.len)))
        abort();                 /* the splitter depends on how the bytes arrived */
    /* The raw input as one value, too (no splitter). */
    char err[160];
    json_free(json_parse((const char *)data, size, err, sizeof(err)));
    strbuf_free(&whole.all);
    strbuf_free(&bytes.all);
    return 0;
}
