/*
 * replay_log.c - the record/replay log format (replay_log.h; the layout is
 * in docs/DETERMINISM.md):
 *
 *   "SOFTVMRR" u32 format-version
 *   record*:  u32 tag, u32 length, payload, u64 check
 *
 * check = vms_hash64 over tag, length and payload seeded with the previous
 * record's check (the first with the format version), the chain the
 * snapshot stream uses: a record changed, dropped, repeated or moved, or a
 * cut anywhere, is found. HEAD comes first, END last, EVNT and CHCK between
 * in the order of their stamps. All integers little-endian.
 */
#include "frontend/replay_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vmstate.h"
#include "frontend/host.h"

static const char magic[8] = { 'S', 'O', 'F', 'T', 'V', 'M', 'R', 'R' };

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_HEAD TAG('H', 'E', 'A', 'D')
#define TAG_EVNT TAG('E', 'V', 'N', 'T')
#define TAG_CHCK TAG('C', 'H', 'C', 'K')
#define TAG_END  TAG('E', 'N', 'D', ' ')

#define HEAD_FIXED (8 * 9 + 1)        /* nine u64/i64, then the version's length byte */
#define EVNT_FIXED (8 * 2 + 2)        /* icount, vclock, kind, unit, then the data */
#define CHCK_LEN (8 * 4)
#define END_LEN (8 * 6 + 4 + 8)
#define MAX_PATH_DATA 4095u

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

static uint64_t record_check(uint64_t chain, uint32_t tag, const uint8_t *payload, uint32_t len)
{
    uint8_t hdr[8];
    put32(hdr, tag);
    put32(hdr + 4, len);
    return vms_hash64(vms_hash64(chain, hdr, sizeof(hdr)), payload, len);
}

const char *rr_event_kind_name(unsigned kind)
{
    switch (kind) {
    case HOST_INPUT_SERIAL: return "serial byte";
    case HOST_INPUT_FRAME: return "network frame";
    case HOST_INPUT_MONITOR: return "monitor request";
    case HOST_INPUT_KEY: return "key event";
    case HOST_INPUT_MOUSE: return "mouse event";
    }
    return "unknown input";
}

/* ---- writing --------------------------------------------------------------- */

static void write_bytes(struct rr_writer *w, const void *p, size_t n)
{
    if (w->failed || !n)
        return;
    if (fwrite(p, 1, n, w->f) != n) {
        w->failed = true;
        w->error = errno ? errno : EIO;
    }
}

static void write_record(struct rr_writer *w, uint32_t tag, const uint8_t *payload, uint32_t len)
{
    uint8_t hdr[8], c[8];
    put32(hdr, tag);
    put32(hdr + 4, len);
    w->chain = record_check(w->chain, tag, payload, len);
    put64(c, w->chain);
    write_bytes(w, hdr, sizeof(hdr));
    write_bytes(w, payload, len);
    write_bytes(w, c, sizeof(c));
    w->records++;
}

void rr_writer_start(struct rr_writer *w, FILE *f, const struct rr_head *h)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
    w->chain = RR_FORMAT_VERSION;
    uint8_t sig[12];
    memcpy(sig, magic, 8);
    put32(sig + 8, RR_FORMAT_VERSION);
    write_bytes(w, sig, sizeof(sig));

    uint8_t p[HEAD_FIXED + RR_VERSION_MAX];
    size_t vl = strnlen(h->version, RR_VERSION_MAX);
    put64(p, h->icount);
    put64(p + 8, h->vclock_ns);
    put64(p + 16, h->ns_per_insn);
    put64(p + 24, h->ram_size);
    put64(p + 32, h->rom_hash);
    put64(p + 40, h->state_hash);
    put64(p + 48, h->checkpoint_every);
    put64(p + 56, h->build_id);
    put64(p + 64, (uint64_t)h->rtc_base);
    p[72] = (uint8_t)vl;
    memcpy(p + HEAD_FIXED, h->version, vl);
    write_record(w, TAG_HEAD, p, (uint32_t)(HEAD_FIXED + vl));
}

void rr_write_event(struct rr_writer *w, const struct rr_event *e)
{
    uint8_t p[EVNT_FIXED + RR_MAX_EVENT_DATA];
    put64(p, e->icount);
    put64(p + 8, e->vclock_ns);
    p[16] = e->kind;
    p[17] = e->unit;
    if (e->len)
        memcpy(p + EVNT_FIXED, e->data, e->len);
    write_record(w, TAG_EVNT, p, (uint32_t)(EVNT_FIXED + e->len));
}

void rr_write_check(struct rr_writer *w, const struct rr_check *c)
{
    uint8_t p[CHCK_LEN];
    put64(p, c->icount);
    put64(p + 8, c->vclock_ns);
    put64(p + 16, c->cpu_hash);
    put64(p + 24, c->dev_hash);
    write_record(w, TAG_CHCK, p, sizeof(p));
}

void rr_write_end(struct rr_writer *w, const struct rr_end *e)
{
    uint8_t p[END_LEN];
    put64(p, e->icount);
    put64(p + 8, e->vclock_ns);
    put64(p + 16, e->state_hash);
    put64(p + 24, e->cpu_hash);
    put64(p + 32, e->dev_hash);
    put64(p + 40, e->ram_hash);
    put32(p + 48, (uint32_t)e->exit_status);
    put64(p + 52, w->records);
    write_record(w, TAG_END, p, sizeof(p));
}

/* ---- reading --------------------------------------------------------------- */

/* Is this event's payload what its kind carries? NULL if so, else why not. */
static const char *event_shape(const struct rr_event *e)
{
    switch (e->kind) {
    case HOST_INPUT_SERIAL:
        if (e->unit >= PC_NUM_UARTS)
            return "a serial byte for a UART that does not exist";
        return e->len == 1 ? NULL : "a serial input that is not one byte";
    case HOST_INPUT_FRAME:
        if (e->unit >= VM_MAX_NICS)
            return "a frame for a network card that does not exist";
        return e->len ? NULL : "an empty network frame";
    case HOST_INPUT_MONITOR:
        if (e->unit == HOST_REQ_LOADVM) {
            if (!e->len || e->len > MAX_PATH_DATA || memchr(e->data, 0, e->len))
                return "a loadvm request without a usable file name";
            return NULL;
        }
        if (e->unit > HOST_REQ_QUIT)
            return "an unknown monitor request";
        return e->len ? "a monitor request with data" : NULL;
    case HOST_INPUT_KEY:
        return e->unit == 0 && e->len >= 1 && e->len <= 8 ? NULL : "a malformed key event";
    case HOST_INPUT_MOUSE:
        return e->unit == 0 && e->len == 7 ? NULL : "a malformed mouse event";
    }
    return "an input of unknown kind";
}

/* Stamps never go back: (icount, vclock) in lexicographic order. */
static bool stamp_before(uint64_t ia, uint64_t va, uint64_t ib, uint64_t vb)
{
    return ia < ib || (ia == ib && va < vb);
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

int rr_log_parse(const uint8_t *data, size_t len, struct rr_log *log, char *err, size_t errlen)
{
    memset(log, 0, sizeof(*log));
    if (len < 12 || memcmp(data, magic, 8))
        return errf(err, errlen, "not a softvm replay log (no SOFTVMRR signature)");
    uint32_t fmt = get32(data + 8);
    if (fmt != RR_FORMAT_VERSION)
        return errf(err, errlen, "replay log format version %" PRIu32 "; this build reads "
                    "version %d", fmt, RR_FORMAT_VERSION);
    size_t pos = 12, evcap = 0, ckcap = 0;
    uint64_t chain = RR_FORMAT_VERSION, records = 0, last_i = 0, last_v = 0;
    bool ended = false;
    int rc = 0;
    while (!ended) {
        if (len - pos < 8) {
            rc = len == pos
                ? errf(err, errlen, "replay log truncated: it stops after %" PRIu64 " records "
                       "(instruction %" PRIu64 ") without its end record; the recording did not "
                       "finish", records, last_i)
                : errf(err, errlen, "replay log truncated in the header of record %" PRIu64,
                       records);
            goto fail;
        }
        uint32_t tag = get32(data + pos), rl = get32(data + pos + 4);
        if (rl > len - pos - 8 || len - pos - 8 - rl < 8) {
            rc = errf(err, errlen, "replay log truncated in record %" PRIu64 " (instruction "
                      "%" PRIu64 ")", records, last_i);
            goto fail;
        }
        const uint8_t *p = data + pos + 8;
        uint64_t check = record_check(chain, tag, p, rl);
        if (check != get64(p + rl)) {
            rc = errf(err, errlen, "replay log corrupt: record %" PRIu64 " fails its checksum "
                      "(changed, or records dropped or moved)", records);
            goto fail;
        }
        chain = check;
        pos += 8 + (size_t)rl + 8;
        if ((records == 0) != (tag == TAG_HEAD)) {
            rc = errf(err, errlen, records == 0 ? "replay log malformed: it does not start with "
                      "its header record" : "replay log malformed: a second header record "
                      "(record %" PRIu64 ")", records);
            goto fail;
        }
        if (tag == TAG_HEAD) {
            if (rl < HEAD_FIXED || rl != HEAD_FIXED + (uint32_t)p[72] || p[72] > RR_VERSION_MAX) {
                rc = errf(err, errlen, "replay log malformed: bad header record");
                goto fail;
            }
            struct rr_head *h = &log->head;
            h->icount = get64(p);
            h->vclock_ns = get64(p + 8);
            h->ns_per_insn = get64(p + 16);
            h->ram_size = get64(p + 24);
            h->rom_hash = get64(p + 32);
            h->state_hash = get64(p + 40);
            h->checkpoint_every = get64(p + 48);
            h->build_id = get64(p + 56);
            h->rtc_base = (int64_t)get64(p + 64);
            memcpy(h->version, p + HEAD_FIXED, p[72]);
            h->version[p[72]] = 0;
            last_i = h->icount;
            last_v = h->vclock_ns;
        } else if (tag == TAG_EVNT || tag == TAG_CHCK) {
            uint64_t ic = rl >= 16 ? get64(p) : 0, vc = rl >= 16 ? get64(p + 8) : 0;
            if (rl >= 16 && stamp_before(ic, vc, last_i, last_v)) {
                rc = errf(err, errlen, "replay log malformed: record %" PRIu64 " is stamped "
                          "instruction %" PRIu64 ", before the one ahead of it (%" PRIu64 ")",
                          records, ic, last_i);
                goto fail;
            }
            if (tag == TAG_EVNT) {
                if (rl < EVNT_FIXED || rl - EVNT_FIXED > RR_MAX_EVENT_DATA) {
                    rc = errf(err, errlen, "replay log malformed: bad input record %" PRIu64,
                              records);
                    goto fail;
                }
                struct rr_event e = { .icount = ic, .vclock_ns = vc, .kind = p[16],
                                      .unit = p[17], .len = (uint16_t)(rl - EVNT_FIXED),
                                      .data = p + EVNT_FIXED };
                const char *why = event_shape(&e);
                if (why) {
                    rc = errf(err, errlen, "replay log malformed: record %" PRIu64 " (instruction "
                              "%" PRIu64 ") is %s", records, ic, why);
                    goto fail;
                }
                if (grow((void **)&log->ev, &evcap, log->nev, sizeof(e))) {
                    rc = errf(err, errlen, "out of memory reading the replay log");
                    goto fail;
                }
                log->ev[log->nev++] = e;
            } else {
                if (rl != CHCK_LEN) {
                    rc = errf(err, errlen, "replay log malformed: bad checkpoint record %" PRIu64,
                              records);
                    goto fail;
                }
                struct rr_check c = { .icount = ic, .vclock_ns = vc, .cpu_hash = get64(p + 16),
                                      .dev_hash = get64(p + 24) };
                if (grow((void **)&log->ck, &ckcap, log->nck, sizeof(c))) {
                    rc = errf(err, errlen, "out of memory reading the replay log");
                    goto fail;
                }
                log->ck[log->nck++] = c;
            }
            last_i = ic;
            last_v = vc;
        } else if (tag == TAG_END) {
            if (rl != END_LEN || get64(p + 52) != records) {
                rc = errf(err, errlen, "replay log malformed: the end record is bad or counts "
                          "other records than the log has (%" PRIu64 ")", records);
                goto fail;
            }
            struct rr_end *e = &log->end;
            e->icount = get64(p);
            e->vclock_ns = get64(p + 8);
            e->state_hash = get64(p + 16);
            e->cpu_hash = get64(p + 24);
            e->dev_hash = get64(p + 32);
            e->ram_hash = get64(p + 40);
            e->exit_status = (int32_t)get32(p + 48);
            e->records = records;
            if (stamp_before(e->icount, e->vclock_ns, last_i, last_v)) {
                rc = errf(err, errlen, "replay log malformed: it ends at instruction %" PRIu64
                          ", before its last input (%" PRIu64 ")", e->icount, last_i);
                goto fail;
            }
            ended = true;
        } else {
            char t[5];
            for (int i = 0; i < 4; i++) {
                uint8_t c = (uint8_t)(tag >> (8 * i));
                t[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
            }
            t[4] = 0;
            rc = errf(err, errlen, "replay log malformed: record %" PRIu64 " has the unknown "
                      "tag '%s'", records, t);
            goto fail;
        }
        records++;
    }
    if (pos != len) {
        rc = errf(err, errlen, "replay log malformed: %zu bytes after its end record", len - pos);
        goto fail;
    }
    return 0;
fail:
    rr_log_free(log);
    return rc;
}

void rr_log_free(struct rr_log *log)
{
    free(log->ev);
    free(log->ck);
    memset(log, 0, sizeof(*log));
}
