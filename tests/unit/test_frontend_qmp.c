/*
 * test_frontend_qmp.c - the QMP monitor's layers without sockets: the JSON
 * parser, serializer and stream splitter (frontend/json.h), a QMP session
 * fed bytes (frontend/qmp.h) on a real machine, and the human monitor
 * (frontend/monitor.h).
 *
 * The expected replies are what qemu-system-i386 7.2 (Debian bookworm)
 * sends for the same requests, recorded from its QMP socket; JSON texts
 * are RFC 8259's; memory dumps follow QEMU's memory_dump format with
 * values the test writes itself; info tlb's lines come from page tables
 * the test builds (addresses by arithmetic).
 * tests/qmp/test_qmp.py repeats the session checks over a real socket and
 * compares reply shapes with a running QEMU.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/machine/machine.h"
#include "frontend/cmdline.h"
#include "frontend/host.h"
#include "frontend/json.h"
#include "frontend/monitor.h"
#include "frontend/qmp.h"
#include "memory/memory.h"

#define ACTIONS SOFTVM_ASM_DIR "/multiboot_actions.bin"

/* ---- JSON ---------------------------------------------------------------------------- */

static char *roundtrip(const char *text)
{
    char err[160];
    struct json *v = json_parse(text, strlen(text), err, sizeof(err));
    cr_assert(v, "'%s' did not parse: %s", text, err);
    struct strbuf b = { 0 };
    json_write(&b, v);
    json_free(v);
    return b.p;
}

static void expect_roundtrip(const char *in, const char *out)
{
    char *got = roundtrip(in);
    cr_assert_str_eq(got, out, "%s", in);
    free(got);
}

Test(json, values_and_qemu_layout)
{
    expect_roundtrip("{\"a\":1,\"b\":[true,false,null],\"c\":{}}",
                     "{\"a\": 1, \"b\": [true, false, null], \"c\": {}}");
    expect_roundtrip(" [ ] ", "[]");
    expect_roundtrip("-9223372036854775808", "-9223372036854775808");
    expect_roundtrip("9223372036854775808", "9.2233720368547758e+18");   /* beyond int64 */
    expect_roundtrip("1.5e3", "1500.0");                                /* stays a double */
    expect_roundtrip("-0.0", "-0.0");
    expect_roundtrip("0.25", "0.25");
    expect_roundtrip("'single'", "\"single\"");                         /* QEMU's extension */
    expect_roundtrip("\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\"", "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\"");
    /* non-ASCII is escaped, astral characters as a surrogate pair */
    expect_roundtrip("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\\u00E9\\u20AC\\uD83D\\uDE00\"");
    expect_roundtrip("\"\\u00e9\\ud83d\\ude00\"", "\"\\u00E9\\uD83D\\uDE00\"");
    expect_roundtrip("\"\x7f\"", "\"\\u007F\"");
}

Test(json, lookups_take_the_last_duplicate)
{
    char err[100];
    struct json *v = json_parse("{\"k\": 1, \"k\": \"two\"}", 20, err, sizeof(err));
    cr_assert(v);
    const struct json *k = json_get(v, "k");
    cr_assert_eq(k->type, JSON_STRING);
    cr_assert_str_eq(k->s, "two");
    cr_assert_null(json_get(v, "x"));
    json_free(v);
}

static void expect_error(const char *text, size_t len, const char *why)
{
    char err[160];
    struct json *v = json_parse(text, len, err, sizeof(err));
    cr_assert_null(v, "'%.*s' parsed", (int)len, text);
    cr_assert(strstr(err, why), "'%.*s': '%s' does not say '%s'", (int)len, text, err, why);
    cr_assert(!strncmp(err, "JSON parse error, ", 18), "%s", err);
}

Test(json, bad_input_is_refused_with_a_reason)
{
    expect_error("garbage", 7, "invalid keyword 'garbage'");
    expect_error("{\"a\" 1}", 7, "missing :");
    expect_error("{1: 2}", 6, "key is not a string");
    expect_error("[1, 2", 5, "expected ',' or ']'");
    expect_error("[1,]", 4, "expecting value");
    expect_error("\"abc", 4, "missing closing quote");
    expect_error("\"a\nb\"", 5, "control character");
    expect_error("\"\\x\"", 4, "invalid escape");
    expect_error("\"\\u12\"", 6, "invalid \\u escape");
    expect_error("\"\\ud800\"", 8, "unpaired surrogate");
    expect_error("\"\\udc00x\"", 9, "unpaired surrogate");
    expect_error("\"\\u0000\"", 8, "\\u0000");
    expect_error("\"\xc0\x80\"", 4, "invalid UTF-8");                  /* overlong NUL */
    expect_error("\"\xed\xa0\x80\"", 5, "invalid UTF-8");              /* a surrogate */
    expect_error("\"\xf4\x90\x80\x80\"", 6, "invalid UTF-8");          /* beyond U+10FFFF */
    expect_error("\"\xe2\x82\"", 4, "invalid UTF-8");                  /* truncated */
    expect_error("01", 2, "unexpected text");
    expect_error("1.", 2, "invalid number");
    expect_error("-", 1, "invalid number");
    expect_error("1e", 2, "invalid number");
    expect_error("{} {}", 5, "unexpected text");
    expect_error("", 0, "expecting value");
    expect_error("nul", 3, "invalid keyword");
    expect_error("[\0]", 3, "unexpected character 0x00");
}

Test(json, nesting_is_bounded)
{
    static char deep[4 * JSON_MAX_DEPTH];
    size_t n = 0;
    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
        deep[n++] = '[';
    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
        deep[n++] = ']';
    expect_error(deep, n, "nesting deeper than");
    /* exactly the limit is fine */
    char err[100];
    struct json *v = json_parse(deep + 1, n - 2, err, sizeof(err));
    cr_assert(v, "%s", err);
    json_free(v);
}

/* ---- the splitter ---------------------------------------------------------------------- */

struct pieces {
    char text[8][64];
    bool too_long[8];
    int n;
};

static void collect(void *opaque, const char *text, size_t len, bool too_long)
{
    struct pieces *p = opaque;
    cr_assert_lt(p->n, 8);
    snprintf(p->text[p->n], sizeof(p->text[0]), "%.*s", (int)len, text);
    p->too_long[p->n++] = too_long;
}

Test(json, splitter_cuts_top_level_values)
{
    static const char in[] = "{\"a\": \"}{\"} [1,[2]]\n\"s}\" 12 true\r\n}{'x\\'}'}";
    struct pieces whole = { 0 }, bytes = { 0 };
    struct json_splitter sp = { 0 };
    json_splitter_feed(&sp, (const uint8_t *)in, sizeof(in) - 1, collect, &whole);
    json_splitter_free(&sp);
    for (size_t i = 0; i < sizeof(in) - 1; i++)         /* byte by byte: the same */
        json_splitter_feed(&sp, (const uint8_t *)in + i, 1, collect, &bytes);
    json_splitter_free(&sp);
    static const char *const want[] = { "{\"a\": \"}{\"}", "[1,[2]]", "\"s}\"", "12", "true",
                                        "}", "{'x\\'}'}" };
    cr_assert_eq(whole.n, 7);
    cr_assert_eq(bytes.n, 7);
    for (int i = 0; i < 7; i++) {
        cr_assert_str_eq(whole.text[i], want[i]);
        cr_assert_str_eq(bytes.text[i], want[i]);
    }
}

Test(json, splitter_drops_an_overlong_value_and_resyncs_on_0xff)
{
    struct pieces p = { 0 };
    struct json_splitter sp = { 0 };
    json_splitter_feed(&sp, (const uint8_t *)"[", 1, collect, &p);
    char *blob = malloc(JSON_MAX_MESSAGE + 10);
    memset(blob, '1', JSON_MAX_MESSAGE + 10);
    for (int i = 0; i < 3; i++)
        json_splitter_feed(&sp, (const uint8_t *)blob, JSON_MAX_MESSAGE + 10, collect, &p);
    free(blob);
    json_splitter_feed(&sp, (const uint8_t *)"]{}", 3, collect, &p);
    cr_assert_eq(p.n, 2);
    cr_assert(p.too_long[0]);
    cr_assert_str_eq(p.text[1], "{}");
    /* 0xFF throws away a half-received value */
    json_splitter_feed(&sp, (const uint8_t *)"{\"half\": \xff[3]", 13, collect, &p);
    cr_assert_eq(p.n, 3);
    cr_assert_str_eq(p.text[2], "[3]");
    json_splitter_free(&sp);
}

/* ---- a QMP session on a real machine --------------------------------------------------- */

static struct machine *vm(const char *word)
{
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 8u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.kernel = ACTIONS;
    opt.append = word;
    opt.serial[0].kind = VM_CHARDEV_NULL;
    snprintf(opt.name, sizeof(opt.name), "unit-vm");
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert_eq(host_attach(m), 0);
    return m;
}

static void done(struct machine *m)
{
    machine_destroy(m);
    free(m);
}

/* Send one request; return (and forget) everything the session sent. */
static char *ask(struct machine *m, struct qmp_session *s, const char *req)
{
    qmp_session_input(host_qmp(m), s, (const uint8_t *)req, strlen(req));
    char *out = strdup(s->out.p ? s->out.p : "");
    strbuf_consume(&s->out, s->out.len);
    return out;
}

static void expect(struct machine *m, struct qmp_session *s, const char *req, const char *reply)
{
    char *got = ask(m, s, req);
    cr_assert_str_eq(got, reply, "request %s", req);
    free(got);
}

/* An event line: a timestamp of host time, then the name and data. */
static const char *skip_event(const char *p, const char *name_and_data)
{
    cr_assert(!strncmp(p, "{\"timestamp\": {\"seconds\": ", 26), "not an event: %s", p);
    const char *tail = strstr(p, "}, \"event\": ");
    cr_assert(tail, "%s", p);
    tail += 3;
    size_t n = strlen(name_and_data);
    cr_assert(!strncmp(tail, name_and_data, n), "event '%s', wanted '%s'", tail, name_and_data);
    cr_assert(!strncmp(tail + n, "}\r\n", 3), "%s", tail);
    return tail + n + 3;
}

static struct qmp_session *negotiated(struct machine *m)
{
    struct qmp_session *s = qmp_server_add_session(host_qmp(m), -1);
    cr_assert(s);
    strbuf_consume(&s->out, s->out.len);
    expect(m, s, "{\"execute\": \"qmp_capabilities\"}", "{\"return\": {}}\r\n");
    return s;
}

Test(qmp, greeting_and_negotiation)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = qmp_server_add_session(host_qmp(m), -1);
    cr_assert_str_eq(s->out.p, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 1, "
                     "\"major\": 0}, \"package\": \"softvm " SOFTVM_VERSION "\"}, "
                     "\"capabilities\": []}}\r\n");
    strbuf_consume(&s->out, s->out.len);
    expect(m, s, "{\"execute\":\"query-status\"}",
           "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities "
           "negotiation with 'qmp_capabilities'\"}}\r\n");
    expect(m, s, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}",
           "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Capability 'oob' not "
           "available\"}}\r\n");
    expect(m, s, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":\"oob\"}}",
           "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter type for "
           "'enable', expected: array\"}}\r\n");
    expect(m, s, "{\"execute\":\"qmp_capabilities\",\"id\":1}", "{\"return\": {}, \"id\": 1}\r\n");
    expect(m, s, "{\"execute\":\"qmp_capabilities\"}",
           "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities negotiation "
           "is already complete, command ignored\"}}\r\n");
    done(m);
}

Test(qmp, queries)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = negotiated(m);
    expect(m, s, "{\"execute\":\"query-status\"}",
           "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\r\n");
    expect(m, s, "{\"execute\":\"query-name\"}", "{\"return\": {\"name\": \"unit-vm\"}}\r\n");
    expect(m, s, "{\"execute\":\"query-version\",\"id\":\"v\"}",
           "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 1, \"major\": 0}, \"package\": "
           "\"softvm " SOFTVM_VERSION "\"}, \"id\": \"v\"}\r\n");
    char *cpus = ask(m, s, "{\"execute\":\"query-cpus-fast\"}");
    cr_assert(!strncmp(cpus, "{\"return\": [{\"thread-id\": ", 26), "%s", cpus);
    cr_assert(strstr(cpus, ", \"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 0}, "
                     "\"qom-path\": \"/machine/unattached/device[0]\", \"cpu-index\": 0, "
                     "\"target\": \"i386\"}]}\r\n"), "%s", cpus);
    free(cpus);
    char *cmds = ask(m, s, "{\"execute\":\"query-commands\"}");
    static const char *const names[] = { "qmp_capabilities", "query-version", "query-status",
        "query-name", "query-cpus-fast", "query-commands", "stop", "cont", "system_reset",
        "system_powerdown", "quit", "human-monitor-command", "screendump", "migrate",
        "migrate-incoming", "query-migrate", "migrate_cancel", "snapshot-save", "snapshot-load" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "{\"name\": \"%s\"}", names[i]);
        cr_assert(strstr(cmds, want), "query-commands lacks %s", names[i]);
    }
    free(cmds);
    expect(m, s, "{\"execute\":\"query-migrate\"}", "{\"return\": {}}\r\n");
    done(m);
}

Test(qmp, malformed_requests_get_qemus_errors)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = negotiated(m);
    char *got;
#define GENERIC(d) "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" d "\"}}\r\n"
    expect(m, s, "[1,2]", GENERIC("QMP input must be a JSON object"));
    expect(m, s, "\"str\" ", GENERIC("QMP input must be a JSON object"));
    expect(m, s, "{\"foo\":1,\"id\":3}",
           "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'foo' is "
           "unexpected\"}, \"id\": 3}\r\n");
    expect(m, s, "{\"execute\":1}", GENERIC("QMP input member 'execute' must be a string"));
    expect(m, s, "{\"execute\":\"stop\",\"arguments\":[]}",
           GENERIC("QMP input member 'arguments' must be an object"));
    expect(m, s, "{\"execute\":\"stop\",\"arguments\":null}",
           GENERIC("QMP input member 'arguments' must be an object"));
    expect(m, s, "{}", GENERIC("QMP input lacks member 'execute'"));
    expect(m, s, "{\"arguments\":{}}", GENERIC("QMP input lacks member 'execute'"));
    expect(m, s, "{\"execute\":\"nosuch\",\"id\":{\"a\":[1]}}",
           "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nosuch has "
           "not been found\"}, \"id\": {\"a\": [1]}}\r\n");
    expect(m, s, "{\"execute\":\"stop\",\"arguments\":{\"x\":1}}",
           GENERIC("Parameter 'x' is unexpected"));
    expect(m, s, "{\"execute\":\"human-monitor-command\"}",
           GENERIC("Parameter 'command-line' is missing"));
    expect(m, s, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":1}}",
           GENERIC("Invalid parameter type for 'command-line', expected: string"));
    expect(m, s, "{garbage", "");                      /* waits for the value to close */
    got = ask(m, s, "}");
    cr_assert(!strncmp(got, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse "
                       "error, ", 62), "%s", got);
    free(got);
    expect(m, s, "garbage\n", GENERIC("JSON parse error, invalid keyword 'garbage'"));
    expect(m, s, "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"/x\","
           "\"format\":\"bmp\"}}", GENERIC("Parameter 'format' does not accept value 'bmp'"));
    got = ask(m, s, "{\"execute\":\"screendump\",\"arguments\":{\"filename\":"
              "\"/nonexistent-dir/x.ppm\"}}");
    cr_assert(strstr(got, "GenericError") && strstr(got, "/nonexistent-dir/x.ppm"), "%s", got);
    free(got);
    got = ask(m, s, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:1\"}}");
    cr_assert(strstr(got, "\"GenericError\"") && strstr(got, "not support"), "%s", got);
    free(got);
    /* still alive and answering */
    expect(m, s, "{\"execute\":\"query-status\"}",
           "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\r\n");
    done(m);
}

Test(qmp, stop_holds_the_cpu_and_cont_resumes, .init = cr_redirect_stderr, .timeout = 60)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = negotiated(m);
    machine_run_slices(m, 3);
    uint64_t before = m->cpu.icount;
    cr_assert_gt(before, 0);
    char *got = ask(m, s, "{\"execute\":\"stop\",\"id\":7}");
    const char *rest = skip_event(got, "\"event\": \"STOP\"");
    cr_assert_str_eq(rest, "{\"return\": {}, \"id\": 7}\r\n");
    free(got);
    expect(m, s, "{\"execute\":\"stop\"}", "{\"return\": {}}\r\n");   /* no second event */
    expect(m, s, "{\"execute\":\"query-status\"}",
           "{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}}\r\n");
    char *hmp = ask(m, s, "{\"execute\":\"human-monitor-command\",\"arguments\":"
                    "{\"command-line\":\"info status\"}}");
    cr_assert_str_eq(hmp, "{\"return\": \"VM status: paused\\r\\n\"}\r\n");
    free(hmp);
    got = ask(m, s, "{\"execute\":\"cont\",\"id\":\"x\"}");
    rest = skip_event(got, "\"event\": \"RESUME\"");
    cr_assert_str_eq(rest, "{\"return\": {}, \"id\": \"x\"}\r\n");
    free(got);
    machine_run_slices(m, 3);
    cr_assert_gt(m->cpu.icount, before, "cont lets the CPU run again");
    /* Stopped with no monitor that could continue it (a test session has
     * no socket): softvm says so and ends instead of hanging, and not one
     * instruction ran. */
    got = ask(m, s, "{\"execute\":\"stop\"}");
    free(got);
    uint64_t at_stop = m->cpu.icount;
    cr_assert(machine_run_slices(m, 5));
    cr_assert_eq(m->cpu.icount, at_stop);
    cr_assert_eq(m->exit_status, 1);
    done(m);
}

Test(qmp, system_reset_is_a_host_input_at_the_next_boundary, .timeout = 60)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = negotiated(m);
    machine_run_slices(m, 2);
    uint64_t resets = m->resets;
    char *got = ask(m, s, "{\"execute\":\"system_reset\"}");
    const char *rest = skip_event(got, "\"event\": \"RESET\", \"data\": {\"guest\": false, "
                                  "\"reason\": \"host-qmp-system-reset\"}");
    cr_assert_str_eq(rest, "{\"return\": {}}\r\n");
    free(got);
    cr_assert_eq(m->resets, resets, "nothing happens inside the command");
    machine_run_slices(m, 3);
    cr_assert_eq(m->resets, resets + 1);
    cr_assert_eq(s->out.len, 0, "no guest-reset event for the host's own reset");
    done(m);
}

Test(qmp, guest_reset_gets_a_guest_event, .timeout = 60)
{
    /* "reset" writes 0xCF9 on the first boot; the second boot writes 7 to
     * the debug-exit port: status (7 << 1) | 1. */
    struct machine *m = vm("reset");
    struct qmp_session *s = negotiated(m);
    cr_assert(machine_run_slices(m, 1000));
    cr_assert_eq(m->exit_status, 15);
    const char *rest = skip_event(s->out.p, "\"event\": \"RESET\", \"data\": {\"guest\": true, "
                                  "\"reason\": \"guest-reset\"}");
    cr_assert_str_eq(rest, "");
    done(m);
}

Test(qmp, system_powerdown_presses_the_acpi_power_button, .timeout = 60)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = negotiated(m);
    m->dev.pm.pm1_en = 0x0100;                  /* as an OS would: PWRBTN_EN */
    char *got = ask(m, s, "{\"execute\":\"system_powerdown\"}");
    const char *rest = skip_event(got, "\"event\": \"POWERDOWN\"");
    cr_assert_str_eq(rest, "{\"return\": {}}\r\n");
    free(got);
    cr_assert_eq(m->dev.pm.pm1_sts & 0x0100, 0);
    machine_run_slices(m, 1);
    cr_assert_eq(m->dev.pm.pm1_sts & 0x0100, 0x0100, "PWRBTN_STS");
    cr_assert(m->dev.pm.sci_level, "SCI raised");
    done(m);
}

Test(qmp, quit_sends_shutdown_then_stops, .timeout = 60)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = negotiated(m);
    char *got = ask(m, s, "{\"execute\":\"quit\"}");
    const char *rest = skip_event(got, "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, "
                                  "\"reason\": \"host-qmp-quit\"}");
    cr_assert_str_eq(rest, "{\"return\": {}}\r\n");
    free(got);
    cr_assert(machine_run_slices(m, 2));
    cr_assert_eq(m->exit_status, 0);
    done(m);
}

Test(qmp, a_thousand_commands)
{
    struct machine *m = vm("echo");
    struct qmp_session *s = negotiated(m);
    for (int i = 0; i < 1000; i++) {
        char req[96], want[160];
        snprintf(req, sizeof(req), "{\"execute\": \"query-name\", \"id\": %d}", i);
        snprintf(want, sizeof(want), "{\"return\": {\"name\": \"unit-vm\"}, \"id\": %d}\r\n", i);
        expect(m, s, req, want);
    }
    done(m);
}

/* ---- the human monitor ---------------------------------------------------------------- */

static char *hmp(struct machine *m, const char *line)
{
    struct strbuf out = { 0 };
    monitor_exec(m, line, &out);
    return out.p;
}

static void expect_hmp(struct machine *m, const char *line, const char *want)
{
    char *got = hmp(m, line);
    cr_assert_str_eq(got, want, "%s", line);
    free(got);
}

Test(monitor, memory_dumps_in_qemus_format)
{
    struct machine *m = vm("echo");
    static const uint8_t bytes[] = { 0xea, 0x5b, 0xe0, 0x00, 0xf0, 0x30, 0x36, 0x2f,
                                     0x32, 0x33, 0x2f, 0x39, 0x39, 0x00, 0xfc, 0xfe, 'A', 'b' };
    for (size_t i = 0; i < sizeof(bytes); i++)
        phys_write8(m->mem, 0x7000 + i, bytes[i]);
    /* The values are the little-endian words of the bytes above. */
    expect_hmp(m, "xp/4xw 0x7000",
               "0000000000007000: 0x00e05bea 0x2f3630f0 0x392f3332 0xfefc0039\r\n");
    expect_hmp(m, "xp/3dh 0x7000", "0000000000007000: 23530   224 12528\r\n");
    expect_hmp(m, "xp/2ub 0x700f", "000000000000700f: 254  65\r\n");
    expect_hmp(m, "xp/10xb 0x7000", "0000000000007000: 0xea 0x5b 0xe0 0x00 0xf0 0x30 0x36 0x2f\r\n"
                                    "0000000000007008: 0x32 0x33\r\n");
    expect_hmp(m, "xp/2c 0x7010", "0000000000007010: 'A' 'b'\r\n");
    expect_hmp(m, "xp/2c 0x700d", "000000000000700d: '\\x00' '\\xfc'\r\n");
    expect_hmp(m, "xp/1xg 0x7000", "0000000000007000: 0x2f3630f000e05bea\r\n");
    expect_hmp(m, "xp 0x7000", "0000000000007000: 0x00e05bea\r\n");
    /* x: a linear address; the multiboot kernel runs unpaged, so it is the same */
    expect_hmp(m, "x/2xb 0x7000", "00007000: 0xea 0x5b\r\n");
    expect_hmp(m, "x/2xb 0x6ff0+0x10", "00007000: 0xea 0x5b\r\n");
    /* nothing mapped there: all-ones, never an MMIO read */
    expect_hmp(m, "xp/1xw 0xfec00000", "00000000fec00000: 0xffffffff\r\n");
    expect_hmp(m, "x/2i", "unexpected end of expression\r\nTry \"help x\" for more information\r\n");
    expect_hmp(m, "xp/2z 0", "invalid char in format: 'z'\r\n");
    done(m);
}

Test(monitor, disassembly_at_pc)
{
    struct machine *m = vm("echo");
    static const uint8_t code[] = { 0xfa, 0xfc, 0x66, 0xc3 };    /* cli; cld; retw (32-bit) */
    for (size_t i = 0; i < sizeof(code); i++)
        phys_write8(m->mem, 0x8000 + i, code[i]);
    m->cpu.rip = 0x8000;                        /* flat 32-bit CS, base 0 */
    expect_hmp(m, "x/3i $pc", "0x00008000:  fa                       cli      \r\n"
                              "0x00008001:  fc                       cld      \r\n"
                              "0x00008002:  66 c3                    retw     \r\n");
    done(m);
}

Test(monitor, info_tlb_walks_the_page_tables)
{
    struct machine *m = vm("echo");
    expect_hmp(m, "info tlb", "PG disabled\r\n");
    /* 32-bit paging: PD at 0x10000; PDE 1 -> PT at 0x11000 mapping
     * 0x00401000 -> 0x00123000 (P W U A D); PDE 2 a 4 MiB page (CR4.PSE)
     * at 0x00800000 -> 0x00c00000 (P W G PS). */
    phys_write32(m->mem, 0x10000 + 1 * 4, 0x11000 | 0x007);
    phys_write32(m->mem, 0x11000 + 1 * 4, 0x123000 | 0x067);
    phys_write32(m->mem, 0x10000 + 2 * 4, 0xc00000 | 0x183);
    m->cpu.cr3 = 0x10000;
    m->cpu.cr4 |= 0x10;
    m->cpu.cr0 |= 0x80000001u;
    expect_hmp(m, "info tlb", "0000000000401000: 0000000000123000 ---DA--UW\r\n"
                              "0000000000800000: 0000000000c00000 -GP-----W\r\n");
    done(m);
}

Test(monitor, status_registers_help_and_unknowns)
{
    struct machine *m = vm("echo");
    expect_hmp(m, "info status", "VM status: running\r\n");
    expect_hmp(m, "info name", "unit-vm\r\n");
    expect_hmp(m, "bogus", "unknown command: 'bogus'\r\n");
    expect_hmp(m, "", "");
    expect_hmp(m, "help x", "x /fmt addr -- virtual memory dump starting at 'addr'\r\n");
    expect_hmp(m, "help q", "q|quit -- quit the emulator\r\n");
    char *regs = hmp(m, "info registers");
    char want[64];
    snprintf(want, sizeof(want), "\r\nEIP=%08x EFL=", (uint32_t)m->cpu.rip);
    cr_assert(!strncmp(regs, "\r\nCPU#0\r\nEAX=", 13), "%s", regs);
    cr_assert(strstr(regs, want), "%s", regs);
    cr_assert(strstr(regs, "\r\nCS =") && strstr(strstr(regs, "\r\nCS ="), " 00000000 ffffffff "),
              "Multiboot's flat CS: %s", regs);
    free(regs);
    char *help = hmp(m, "help");
    static const char *const cmds[] = { "cont|c", "help|?", "info", "q|quit", "stop",
                                        "system_powerdown", "system_reset", "x /fmt", "xp /fmt" };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        cr_assert(strstr(help, cmds[i]), "help lacks %s", cmds[i]);
    free(help);
    expect_hmp(m, "stop", "");
    expect_hmp(m, "info status", "VM status: paused\r\n");
    expect_hmp(m, "c", "");
    expect_hmp(m, "info status", "VM status: running\r\n");
    done(m);
}

Test(monitor, savevm_and_loadvm_go_back_in_time, .timeout = 60)
{
    struct machine *m = vm("echo");
    char path[] = "/tmp/softvm-qmp-savevm-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    machine_run_slices(m, 3);
    uint64_t saved = m->cpu.icount;
    char line[128];
    snprintf(line, sizeof(line), "savevm %s", path);
    expect_hmp(m, line, "");
    machine_run_slices(m, 5);
    uint64_t later = m->cpu.icount;
    uint64_t rip = m->cpu.rip;
    cr_assert_gt(later, saved);
    snprintf(line, sizeof(line), "loadvm %s", path);
    expect_hmp(m, line, "");
    cr_assert_eq(m->cpu.icount, saved, "back at the saved instruction count");
    machine_run_slices(m, 5);                   /* the same slices again: the same place */
    cr_assert_eq(m->cpu.icount, later);
    cr_assert_eq(m->cpu.rip, rip);
    unlink(path);
    char *got = hmp(m, "loadvm /nonexistent/x.snap");
    cr_assert(!strncmp(got, "Error: ", 7), "%s", got);
    free(got);
    expect_hmp(m, "savevm", "Error: savevm needs a file name (softvm's snapshots are files)\r\n");
    done(m);
}
