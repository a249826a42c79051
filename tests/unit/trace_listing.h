/*
 * trace_listing.h - for the tracer and GDB-stub tests: assemble a test
 * program with `nasm -l` and read its listing (instruction offsets, bytes,
 * mnemonics, labels, %defines), so expectations come from the program's own
 * listing rather than from copies of our output.
 */
#ifndef SOFTVM_TESTS_TRACE_LISTING_H
#define SOFTVM_TESTS_TRACE_LISTING_H

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LST_MAX_INSNS 512
#define LST_MAX_LABELS 64

struct lst_insn {
    int line;                    /* source line number */
    uint32_t off;                /* offset in the image */
    uint8_t bytes[16];
    int n;
    char mnem[16];               /* Intel mnemonic, lower case */
};

struct listing {
    struct lst_insn insn[LST_MAX_INSNS];
    int n;
    struct { char name[64]; uint32_t off; bool pending; } label[LST_MAX_LABELS];
    int n_labels;
    char bin_path[256];          /* the image assembled with the listing */
    char dir[64];
};

static inline int lst_hex(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Append the hex digits of a listing byte field ("66EA[1B000F00]0800-"). */
static inline void lst_add_bytes(struct lst_insn *in, const char *field)
{
    for (const char *p = field; *p && *p != ' '; p++) {
        if (!isxdigit((unsigned char)p[0]))
            continue;
        if (!isxdigit((unsigned char)p[1]))
            break;
        if (in->n < 16)
            in->bytes[in->n++] = (uint8_t)(lst_hex(p[0]) * 16 + lst_hex(p[1]));
        p++;
    }
}

static inline bool lst_is_data(const char *src)
{
    static const char *const data[] = { "db", "dw", "dd", "dq", "times", NULL };
    for (int i = 0; data[i]; i++) {
        size_t n = strlen(data[i]);
        if (!strncmp(src, data[i], n) && (src[n] == ' ' || src[n] == '\0'))
            return true;
    }
    return false;
}

/* Assemble SOFTVM_SOURCE_DIR/tests/asm/<name>.asm with a listing; parse it. */
static inline bool listing_load(struct listing *l, const char *name)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->dir, sizeof(l->dir), "/tmp/softvm-lst-XXXXXX");
    if (!mkdtemp(l->dir))
        return false;
    char cmd[1024], lst[256];
    snprintf(lst, sizeof(lst), "%s/%s.lst", l->dir, name);
    snprintf(l->bin_path, sizeof(l->bin_path), "%s/%s.bin", l->dir, name);
    snprintf(cmd, sizeof(cmd), "nasm -f bin -I%s/tests/asm/ -l %s -o %s %s/tests/asm/%s.asm",
             SOFTVM_SOURCE_DIR, lst, l->bin_path, SOFTVM_SOURCE_DIR, name);
    if (system(cmd) != 0)
        return false;
    FILE *f = fopen(lst, "r");
    if (!f)
        return false;
    char buf[512];
    int last_line = -1;
    while (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\n")] = '\0';
        int line;
        unsigned off;
        char bytes[64];
        int consumed = 0;
        if (sscanf(buf, "%d %8x %63s %n", &line, &off, bytes, &consumed) >= 3 &&
            strlen(buf) > 15 && isxdigit((unsigned char)buf[7])) {
            const char *src = consumed ? buf + consumed : "";
            if (strstr(bytes, "<rep"))
                continue;
            if (line == last_line && l->n > 0 && *src == '\0') {
                lst_add_bytes(&l->insn[l->n - 1], bytes);   /* continuation */
                continue;
            }
            if (lst_is_data(src) || l->n >= LST_MAX_INSNS)
                continue;
            struct lst_insn *in = &l->insn[l->n++];
            in->line = line;
            in->off = off;
            lst_add_bytes(in, bytes);
            int k = 0;
            while (src[k] && !isspace((unsigned char)src[k]) && k < 15) {
                in->mnem[k] = (char)tolower((unsigned char)src[k]);
                k++;
            }
            in->mnem[k] = '\0';
            for (int i = 0; i < l->n_labels; i++)
                if (l->label[i].pending) {
                    l->label[i].off = off;
                    l->label[i].pending = false;
                }
            last_line = line;
            continue;
        }
        /* a line without code: maybe "label:" */
        char word[64];
        if (sscanf(buf, "%d %63s", &line, word) == 2) {
            size_t n = strlen(word);
            if (n > 1 && word[n - 1] == ':' && l->n_labels < LST_MAX_LABELS) {
                word[n - 1] = '\0';
                snprintf(l->label[l->n_labels].name, sizeof(l->label[0].name), "%s", word);
                l->label[l->n_labels].pending = true;
                l->n_labels++;
            }
        }
    }
    fclose(f);
    return l->n > 0;
}

static inline uint32_t listing_label(const struct listing *l, const char *name)
{
    for (int i = 0; i < l->n_labels; i++)
        if (!strcmp(l->label[i].name, name))
            return l->label[i].off;
    fprintf(stderr, "listing: no label %s\n", name);
    abort();
}

/* Instructions with offsets in [from, to). */
static inline int listing_count(const struct listing *l, uint32_t from, uint32_t to)
{
    int n = 0;
    for (int i = 0; i < l->n; i++)
        n += l->insn[i].off >= from && l->insn[i].off < to;
    return n;
}

/* The value of "%define NAME value" in the source. */
static inline long listing_define(const char *name)
{
    char path[512], buf[256], want[64];
    snprintf(path, sizeof(path), "%s/tests/asm/gdb_target.asm", SOFTVM_SOURCE_DIR);
    snprintf(want, sizeof(want), "%%define %s ", name);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(buf, sizeof(buf), f))
        if (!strncmp(buf, want, strlen(want)))
            v = strtol(buf + strlen(want), NULL, 0);
    if (f)
        fclose(f);
    return v;
}

static inline void listing_cleanup(struct listing *l)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", l->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "listing: could not remove %s\n", l->dir);
}

#endif
