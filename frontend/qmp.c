/*
 * qmp.c - the QMP monitor: sessions, command dispatch with QEMU's argument
 * checks and error classes, events, and the listening sockets. See qmp.h.
 *
 * The messages follow QEMU 7.2's monitor/qmp.c and qapi/qmp-dispatch.c as
 * seen on the wire (tests/qmp/ compares against qemu-system-i386).
 */
#define _GNU_SOURCE               /* accept4 */
#include "frontend/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/machine/machine.h"
#include "frontend/host.h"
#include "frontend/monitor.h"
#include "frontend/screendump.h"

/* ---- -qmp SPEC -------------------------------------------------------------------- */

static bool onoff(const char *v, size_t n, bool *out)
{
    if ((n == 2 && !strncmp(v, "on", 2)) || (n == 3 && !strncmp(v, "yes", 3))) {
        *out = true;
        return true;
    }
    if ((n == 3 && !strncmp(v, "off", 3)) || (n == 2 && !strncmp(v, "no", 2))) {
        *out = false;
        return true;
    }
    return false;
}

bool qmp_parse_spec(const char *arg, struct qmp_spec *spec, char *err, size_t err_size)
{
    memset(spec, 0, sizeof(*spec));
    size_t main_len = strcspn(arg, ",");
    bool server = false;
    spec->wait = true;            /* QEMU's default for a server socket */
    if (!strncmp(arg, "unix:", 5)) {
        size_t n = main_len - 5;
        if (n == 0 || n >= sizeof(spec->path)) {
            snprintf(err, err_size, "'%s': the socket path is empty or longer than %zu bytes",
                     arg, sizeof(spec->path) - 1);
            return false;
        }
        memcpy(spec->path, arg + 5, n);
    } else if (!strncmp(arg, "tcp:", 4)) {
        spec->tcp = true;
        const char *hp = arg + 4;
        size_t n = main_len - 4;
        const char *colon = memchr(hp, ':', n);
        if (!colon) {
            snprintf(err, err_size, "'%s': expected tcp:HOST:PORT", arg);
            return false;
        }
        size_t hn = (size_t)(colon - hp);
        if (hn >= sizeof(spec->host)) {
            snprintf(err, err_size, "'%s': host name too long", arg);
            return false;
        }
        memcpy(spec->host, hp, hn);
        if (!hn || !strcmp(spec->host, "localhost"))
            snprintf(spec->host, sizeof(spec->host), "127.0.0.1");
        struct in_addr a;
        if (inet_pton(AF_INET, spec->host, &a) != 1) {
            snprintf(err, err_size, "'%s': '%s' is not an IPv4 address", arg, spec->host);
            return false;
        }
        char *end;
        unsigned long port = strtoul(colon + 1, &end, 10);
        if (end == colon + 1 || end != hp + n || port == 0 || port > 65535) {
            snprintf(err, err_size, "'%s': the port must be 1-65535", arg);
            return false;
        }
        spec->port = (uint16_t)port;
    } else {
        snprintf(err, err_size, "'%s': use unix:PATH,server=on,wait=off or "
                 "tcp:HOST:PORT,server=on,wait=off", arg);
        return false;
    }
    for (const char *p = arg + main_len; *p == ',';) {
        p++;
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        const char *v = eq ? eq + 1 : "on";
        size_t vlen = eq ? len - klen - 1 : 2;
        bool b;
        if (klen == 6 && !strncmp(p, "server", 6) && onoff(v, vlen, &b)) {
            server = b;
        } else if (klen == 4 && !strncmp(p, "wait", 4) && onoff(v, vlen, &b)) {
            spec->wait = b;
        } else if (klen == 6 && !strncmp(p, "nowait", 6) && !eq) {
            spec->wait = false;
        } else {
            snprintf(err, err_size, "'%s': unknown or malformed property '%.*s' "
                     "(server=on|off, wait=on|off)", arg, (int)len, p);
            return false;
        }
        p += len;
    }
    if (!server) {
        snprintf(err, err_size, "'%s': only server sockets are implemented (add server=on)", arg);
        return false;
    }
    return true;
}

/* ---- replies ------------------------------------------------------------------------- */

struct qmp_error {
    const char *cls;             /* NULL: no error */
    char desc[256];
};

static void set_error(struct qmp_error *e, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(struct qmp_error *e, const char *cls, const char *fmt, ...)
{
    e->cls = cls;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->desc, sizeof(e->desc), fmt, ap);
    va_end(ap);
}

static void send_value(struct qmp_session *s, struct json *v)
{
    if (!v)
        return;
    if (s->out.len < QMP_OUT_MAX) {
        json_write(&s->out, v);
        strbuf_add(&s->out, "\r\n", 2);
    }
    json_free(v);
}

static void send_error(struct qmp_session *s, const struct qmp_error *e, const struct json *id)
{
    struct json *r = json_object(), *err = json_object();
    json_set(err, "class", json_string(e->cls));
    json_set(err, "desc", json_string(e->desc));
    json_set(r, "error", err);
    if (id)
        json_set(r, "id", json_copy(id));
    send_value(s, r);
}

static struct json *version_object(void)
{
    unsigned major = 0, minor = 0, micro = 0;
    sscanf(SOFTVM_VERSION, "%u.%u.%u", &major, &minor, &micro);
    struct json *q = json_object();
    json_set(q, "micro", json_int(micro));
    json_set(q, "minor", json_int(minor));
    json_set(q, "major", json_int(major));
    struct json *v = json_object();
    json_set(v, "qemu", q);
    json_set(v, "package", json_string("softvm " SOFTVM_VERSION));
    return v;
}

/* ---- commands ------------------------------------------------------------------------ */

struct qmp_call {
    struct qmp_server *srv;
    struct qmp_session *s;
    struct machine *m;
    const struct json *args;     /* an object (empty if none were given) */
    struct qmp_error *err;
};

typedef struct json *(*qmp_fn)(struct qmp_call *c);

static struct json *empty(void) { return json_object(); }

static const char *str_arg(const struct qmp_call *c, const char *name)
{
    const struct json *v = json_get(c->args, name);
    return v && v->type == JSON_STRING ? v->s : NULL;
}

static struct json *cmd_capabilities(struct qmp_call *c)
{
    const struct json *en = json_get(c->args, "enable");
    for (size_t i = 0; en && i < en->n; i++) {
        const struct json *cap = en->item[i];
        if (cap->type != JSON_STRING) {
            set_error(c->err, "GenericError", "Invalid parameter type for 'enable', "
                      "expected: string");
            return NULL;
        }
        /* QEMU's QAPI enum check; softvm offers no capability (no OOB). */
        if (strcmp(cap->s, "oob"))
            set_error(c->err, "GenericError", "Parameter 'null' does not accept value '%s'",
                      cap->s);
        else
            set_error(c->err, "GenericError", "Capability 'oob' not available");
        return NULL;
    }
    c->s->negotiated = true;
    return empty();
}

static struct json *cmd_query_version(struct qmp_call *c)
{
    (void)c;
    return version_object();
}

static struct json *cmd_query_status(struct qmp_call *c)
{
    enum host_vm_state st = host_vm_state(c->m);
    struct json *r = json_object();
    json_set(r, "status", json_string(host_vm_state_name(st)));
    json_set(r, "singlestep", json_bool(false));
    json_set(r, "running", json_bool(st == HOST_VM_RUNNING));
    return r;
}

static struct json *cmd_query_name(struct qmp_call *c)
{
    struct json *r = json_object();
    if (c->m->opt.name[0])
        json_set(r, "name", json_string(c->m->opt.name));
    return r;
}

static struct json *cmd_query_cpus_fast(struct qmp_call *c)
{
    (void)c;
    struct json *props = json_object();
    json_set(props, "core-id", json_int(0));
    json_set(props, "thread-id", json_int(0));
    json_set(props, "socket-id", json_int(0));
    struct json *cpu = json_object();
    json_set(cpu, "thread-id", json_int((int64_t)syscall(SYS_gettid)));   /* the one vCPU thread */
    json_set(cpu, "props", props);
    json_set(cpu, "qom-path", json_string("/machine/unattached/device[0]"));
    json_set(cpu, "cpu-index", json_int(0));
    json_set(cpu, "target", json_string("i386"));
    struct json *list = json_array();
    json_append(list, cpu);
    return list;
}

static struct json *cmd_stop(struct qmp_call *c)
{
    host_vm_stop(c->m);
    return empty();
}

static struct json *cmd_cont(struct qmp_call *c)
{
    host_vm_cont(c->m);
    return empty();
}

static struct json *cmd_system_reset(struct qmp_call *c)
{
    host_vm_request(c->m, HOST_REQ_RESET);
    return empty();
}

static struct json *cmd_system_powerdown(struct qmp_call *c)
{
    host_vm_request(c->m, HOST_REQ_POWERDOWN);
    return empty();
}

static struct json *cmd_quit(struct qmp_call *c)
{
    host_vm_request(c->m, HOST_REQ_QUIT);
    return empty();
}

static struct json *cmd_hmp(struct qmp_call *c)
{
    const struct json *idx = json_get(c->args, "cpu-index");
    if (idx && idx->i != 0) {
        set_error(c->err, "GenericError", "Parameter 'cpu-index' expects a CPU index (0)");
        return NULL;
    }
    struct strbuf out = { 0 };
    monitor_exec(c->m, str_arg(c, "command-line"), &out);
    struct json *r = json_string(out.p ? out.p : "");
    strbuf_free(&out);
    return r;
}

static struct json *cmd_query_migrate(struct qmp_call *c)
{
    (void)c;
    return empty();               /* no migration has run (QEMU's answer then) */
}

static struct json *cmd_migrate_cancel(struct qmp_call *c)
{
    (void)c;
    return empty();               /* nothing to cancel */
}

static struct json *cmd_not_yet(struct qmp_call *c)
{
    set_error(c->err, "GenericError", "softvm does not support this yet (migration, and "
              "snapshots inside disk images; savevm FILE and loadvm FILE work through "
              "human-monitor-command)");
    return NULL;
}

/* QEMU's ImageFormat: ppm (the default) or png; the picture is the VGA's. */
static struct json *cmd_screendump(struct qmp_call *c)
{
    const char *file = str_arg(c, "filename"), *format = str_arg(c, "format");
    const struct json *head = json_get(c->args, "head");
    const char *device = str_arg(c, "device");
    if (format && strcmp(format, "ppm") && strcmp(format, "png")) {
        set_error(c->err, "GenericError", "Parameter 'format' does not accept value '%s'",
                  format);
        return NULL;
    }
    if ((device && strcmp(device, "video0")) || (head && head->i != 0)) {
        set_error(c->err, "GenericError", "There is no console %s%s", device ? device : "",
                  head && head->i ? " with that head" : "");
        return NULL;
    }
    char *why = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&why, &len);
    if (!err) {
        set_error(c->err, "GenericError", "out of memory");
        return NULL;
    }
    int rc = format && !strcmp(format, "png") ? screendump_machine(c->m, file, err)
                                              : screendump_machine_ppm(c->m, file, err);
    fclose(err);
    if (rc) {
        const char *msg = why && !strncmp(why, "softvm: ", 8) ? why + 8 : why ? why : "";
        set_error(c->err, "GenericError", "%.*s", (int)strcspn(msg, "\n"), msg);
    }
    free(why);
    return rc ? NULL : empty();
}

static struct json *cmd_query_commands(struct qmp_call *c);

/* Arguments: "name:T" (required) or "?name:T" (optional), comma-separated;
 * T is s (string), i (integer), b (boolean), a (array), o (object). */
static const struct qmp_command {
    const char *name;
    const char *args;
    qmp_fn fn;
} commands[] = {
    { "qmp_capabilities", "?enable:a", cmd_capabilities },
    { "query-version", "", cmd_query_version },
    { "query-status", "", cmd_query_status },
    { "query-name", "", cmd_query_name },
    { "query-cpus-fast", "", cmd_query_cpus_fast },
    { "query-commands", "", cmd_query_commands },
    { "stop", "", cmd_stop },
    { "cont", "", cmd_cont },
    { "system_reset", "", cmd_system_reset },
    { "system_powerdown", "", cmd_system_powerdown },
    { "quit", "", cmd_quit },
    { "human-monitor-command", "command-line:s,?cpu-index:i", cmd_hmp },
    { "screendump", "filename:s,?device:s,?head:i,?format:s", cmd_screendump },
    { "query-migrate", "", cmd_query_migrate },
    { "migrate_cancel", "", cmd_migrate_cancel },
    { "migrate", "uri:s,?blk:b,?inc:b,?detach:b,?resume:b", cmd_not_yet },
    { "migrate-incoming", "uri:s", cmd_not_yet },
    { "snapshot-save", "job-id:s,tag:s,vmstate:s,devices:a", cmd_not_yet },
    { "snapshot-load", "job-id:s,tag:s,vmstate:s,devices:a", cmd_not_yet },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static struct json *cmd_query_commands(struct qmp_call *c)
{
    (void)c;
    struct json *list = json_array();
    for (size_t i = 0; i < N_COMMANDS; i++) {
        struct json *e = json_object();
        json_set(e, "name", json_string(commands[i].name));
        json_append(list, e);
    }
    return list;
}

static bool type_ok(char t, const struct json *v)
{
    switch (t) {
    case 's': return v->type == JSON_STRING;
    case 'i': return v->type == JSON_INT;
    case 'b': return v->type == JSON_BOOL;
    case 'a': return v->type == JSON_ARRAY;
    case 'o': return v->type == JSON_OBJECT;
    }
    return false;
}

static const char *type_word(char t)
{
    switch (t) {
    case 's': return "string";
    case 'i': return "integer";
    case 'b': return "boolean";
    case 'a': return "array";
    case 'o': return "object";
    }
    return "?";
}

/* QEMU's visitor order: each declared parameter (missing, wrong type), then
 * anything left over (unexpected). */
static bool check_args(const char *spec, const struct json *args, struct qmp_error *e)
{
    for (const char *p = spec; *p;) {
        bool optional = *p == '?';
        if (optional)
            p++;
        const char *colon = strchr(p, ':');
        char name[40];
        size_t n = (size_t)(colon - p);
        memcpy(name, p, n);
        name[n] = '\0';
        char t = colon[1];
        p = colon + 2;
        if (*p == ',')
            p++;
        const struct json *v = json_get(args, name);
        if (!v) {
            if (!optional) {
                set_error(e, "GenericError", "Parameter '%s' is missing", name);
                return false;
            }
            continue;
        }
        if (!type_ok(t, v)) {
            set_error(e, "GenericError", "Invalid parameter type for '%s', expected: %s",
                      name, type_word(t));
            return false;
        }
    }
    for (size_t i = 0; i < args->n; i++) {
        const char *k = args->key[i];
        size_t kn = strlen(k);
        bool known = false;
        for (const char *p = spec; *p && !known;) {
            if (*p == '?')
                p++;
            const char *colon = strchr(p, ':');
            known = (size_t)(colon - p) == kn && !strncmp(p, k, kn);
            p = colon + 2;
            if (*p == ',')
                p++;
        }
        if (!known) {
            set_error(e, "GenericError", "Parameter '%s' is unexpected", k);
            return false;
        }
    }
    return true;
}

static void dispatch(struct qmp_server *srv, struct qmp_session *s, const struct json *req)
{
    struct qmp_error e = { 0 };
    if (req->type != JSON_OBJECT) {
        set_error(&e, "GenericError", "QMP input must be a JSON object");
        send_error(s, &e, NULL);
        return;
    }
    const struct json *id = json_get(req, "id");
    const struct json *exec = NULL, *args = NULL;
    for (size_t i = 0; i < req->n; i++) {
        const char *k = req->key[i];
        const struct json *v = req->item[i];
        if (!strcmp(k, "execute")) {
            if (v->type != JSON_STRING) {
                set_error(&e, "GenericError", "QMP input member 'execute' must be a string");
                break;
            }
            exec = v;
        } else if (!strcmp(k, "arguments")) {
            if (v->type != JSON_OBJECT) {
                set_error(&e, "GenericError", "QMP input member 'arguments' must be an object");
                break;
            }
            args = v;
        } else if (strcmp(k, "id")) {
            set_error(&e, "GenericError", "QMP input member '%s' is unexpected", k);
            break;
        }
    }
    if (!e.cls && !exec)
        set_error(&e, "GenericError", "QMP input lacks member 'execute'");
    if (e.cls) {
        send_error(s, &e, id);
        return;
    }
    const char *name = exec->s;
    bool caps = !strcmp(name, "qmp_capabilities");
    if (!s->negotiated && !caps) {
        set_error(&e, "CommandNotFound",
                  "Expecting capabilities negotiation with 'qmp_capabilities'");
        send_error(s, &e, id);
        return;
    }
    if (s->negotiated && caps) {
        set_error(&e, "CommandNotFound",
                  "Capabilities negotiation is already complete, command ignored");
        send_error(s, &e, id);
        return;
    }
    const struct qmp_command *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS && !cmd; i++)
        if (!strcmp(commands[i].name, name))
            cmd = &commands[i];
    if (!cmd) {
        set_error(&e, "CommandNotFound", "The command %s has not been found", name);
        send_error(s, &e, id);
        return;
    }
    struct json *no_args = NULL;
    if (!args)
        args = no_args = json_object();
    struct json *ret = NULL;
    if (!args) {
        set_error(&e, "GenericError", "out of memory");
    } else if (check_args(cmd->args, args, &e)) {
        struct qmp_call call = { .srv = srv, .s = s, .m = srv->m, .args = args, .err = &e };
        ret = cmd->fn(&call);
        if (!ret && !e.cls)
            set_error(&e, "GenericError", "out of memory");
    }
    json_free(no_args);
    if (e.cls) {
        json_free(ret);
        send_error(s, &e, id);
        return;
    }
    struct json *r = json_object();
    json_set(r, "return", ret);
    if (id)
        json_set(r, "id", json_copy(id));
    send_value(s, r);
}

struct message_ctx {
    struct qmp_server *srv;
    struct qmp_session *s;
};

static void on_message(void *opaque, const char *text, size_t len, bool too_long)
{
    struct message_ctx *mc = opaque;
    struct qmp_error e = { 0 };
    if (too_long) {
        set_error(&e, "GenericError", "JSON parse error, message longer than %u bytes",
                  JSON_MAX_MESSAGE);
        send_error(mc->s, &e, NULL);
        return;
    }
    char why[160];
    struct json *req = json_parse(text, len, why, sizeof(why));
    if (!req) {
        set_error(&e, "GenericError", "%s", why);
        send_error(mc->s, &e, NULL);
        return;
    }
    dispatch(mc->srv, mc->s, req);
    json_free(req);
}

void qmp_session_input(struct qmp_server *srv, struct qmp_session *s, const uint8_t *data,
                       size_t n)
{
    struct message_ctx mc = { srv, s };
    json_splitter_feed(&s->sp, data, n, on_message, &mc);
}

/* ---- events ---------------------------------------------------------------------------- */

void qmp_server_event(struct qmp_server *srv, const char *name, struct json *data)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    for (int i = 0; i < QMP_MAX_SESSIONS; i++) {
        struct qmp_session *s = srv->sess[i];
        if (!s || !s->negotiated)
            continue;
        struct json *ts = json_object();
        json_set(ts, "seconds", json_int(tv.tv_sec));
        json_set(ts, "microseconds", json_int(tv.tv_usec));
        struct json *ev = json_object();
        json_set(ev, "timestamp", ts);
        json_set(ev, "event", json_string(name));
        if (data)
            json_set(ev, "data", json_copy(data));
        send_value(s, ev);
    }
    json_free(data);
}

/* ---- sessions and sockets --------------------------------------------------------------- */

void qmp_server_init(struct qmp_server *srv, struct machine *m)
{
    memset(srv, 0, sizeof(*srv));
    srv->m = m;
}

struct qmp_session *qmp_server_add_session(struct qmp_server *srv, int fd)
{
    for (int i = 0; i < QMP_MAX_SESSIONS; i++) {
        if (srv->sess[i])
            continue;
        struct qmp_session *s = calloc(1, sizeof(*s));
        if (!s)
            return NULL;
        s->fd = fd;
        struct json *g = json_object(), *q = json_object();
        json_set(q, "version", version_object());
        json_set(q, "capabilities", json_array());
        json_set(g, "QMP", q);
        send_value(s, g);
        srv->sess[i] = s;
        return s;
    }
    return NULL;
}

static void free_session(struct qmp_server *srv, int i)
{
    struct qmp_session *s = srv->sess[i];
    if (s->fd >= 0)
        close(s->fd);
    json_splitter_free(&s->sp);
    strbuf_free(&s->out);
    free(s);
    srv->sess[i] = NULL;
}

int qmp_server_listen(struct qmp_server *srv, const struct qmp_spec *spec, char *err,
                      size_t err_size)
{
    if (srv->n_lis >= QMP_MAX_LISTENERS) {
        snprintf(err, err_size, "at most %d -qmp sockets", QMP_MAX_LISTENERS);
        return -1;
    }
    struct qmp_listener *l = &srv->lis[srv->n_lis];
    memset(l, 0, sizeof(*l));
    int fd;
    if (spec->tcp) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            snprintf(err, err_size, "socket: %s", strerror(errno));
            return -1;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(spec->port) };
        inet_pton(AF_INET, spec->host, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
            snprintf(err, err_size, "cannot listen on %s:%u: %s", spec->host, spec->port,
                     strerror(errno));
            close(fd);
            return -1;
        }
    } else {
        struct stat st;
        /* A socket left by a softvm that died is in the way: QEMU removes it too. */
        if (lstat(spec->path, &st) == 0) {
            if (!S_ISSOCK(st.st_mode)) {
                snprintf(err, err_size, "'%s' exists and is not a socket", spec->path);
                return -1;
            }
            unlink(spec->path);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            snprintf(err, err_size, "socket: %s", strerror(errno));
            return -1;
        }
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        memcpy(sa.sun_path, spec->path, strlen(spec->path));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
            snprintf(err, err_size, "cannot listen on '%s': %s", spec->path, strerror(errno));
            close(fd);
            return -1;
        }
        snprintf(l->unix_path, sizeof(l->unix_path), "%s", spec->path);
    }
    l->fd = fd;
    srv->n_lis++;
    return 0;
}

bool qmp_server_active(const struct qmp_server *srv)
{
    if (srv->n_lis)
        return true;
    for (int i = 0; i < QMP_MAX_SESSIONS; i++)
        if (srv->sess[i] && srv->sess[i]->fd >= 0)
            return true;
    return false;
}

int qmp_server_pollfds(const struct qmp_server *srv, struct pollfd *pfd, int max)
{
    int n = 0;
    for (int i = 0; i < srv->n_lis && n < max; i++)
        pfd[n++] = (struct pollfd){ .fd = srv->lis[i].fd, .events = POLLIN };
    for (int i = 0; i < QMP_MAX_SESSIONS && n < max; i++) {
        const struct qmp_session *s = srv->sess[i];
        if (s && s->fd >= 0)
            pfd[n++] = (struct pollfd){ .fd = s->fd,
                                        .events = (short)(POLLIN | (s->out.len ? POLLOUT : 0)) };
    }
    return n;
}

static void accept_clients(struct qmp_server *srv, int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* fails on UNIX: fine */
        if (!qmp_server_add_session(srv, fd))
            close(fd);                 /* table full */
    }
}

/* Send what the socket takes now. False if the peer is gone. */
static bool send_some(struct qmp_session *s)
{
    while (s->out.len) {
        ssize_t n = send(s->fd, s->out.p, s->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return s->out.len < QMP_OUT_MAX;   /* a client that never reads is dropped */
        if (n <= 0)
            return false;
        strbuf_consume(&s->out, (size_t)n);
    }
    return true;
}

static void serve_session(struct qmp_server *srv, int i)
{
    struct qmp_session *s = srv->sess[i];
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            s->closing = true;
            break;
        }
        qmp_session_input(srv, s, buf, (size_t)n);
        if (!srv->sess[i])
            return;
    }
}

void qmp_server_service(struct qmp_server *srv, const struct pollfd *pfd, int n)
{
    for (int k = 0; k < n; k++) {
        if (!pfd[k].revents)
            continue;
        for (int i = 0; i < srv->n_lis; i++)
            if (srv->lis[i].fd == pfd[k].fd)
                accept_clients(srv, pfd[k].fd);
        for (int i = 0; i < QMP_MAX_SESSIONS; i++)
            if (srv->sess[i] && srv->sess[i]->fd == pfd[k].fd)
                serve_session(srv, i);
    }
    qmp_server_flush(srv, false);
}

void qmp_server_flush(struct qmp_server *srv, bool final)
{
    for (int i = 0; i < QMP_MAX_SESSIONS; i++) {
        struct qmp_session *s = srv->sess[i];
        if (!s || s->fd < 0)
            continue;
        if (final && s->out.len) {
            /* The last replies and SHUTDOWN: give the client a moment. */
            for (int tries = 0; tries < 100 && s->out.len; tries++) {
                if (!send_some(s))
                    break;
                if (s->out.len) {
                    struct pollfd p = { .fd = s->fd, .events = POLLOUT };
                    poll(&p, 1, 10);
                }
            }
        }
        if (!send_some(s) || s->closing)   /* closing: the peer hung up */
            free_session(srv, i);
    }
}

void qmp_server_wait_client(struct qmp_server *srv)
{
    struct pollfd pfd[QMP_MAX_LISTENERS];
    for (int i = 0; i < srv->n_lis; i++)
        pfd[i] = (struct pollfd){ .fd = srv->lis[i].fd, .events = POLLIN };
    while (srv->n_lis && poll(pfd, (nfds_t)srv->n_lis, -1) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < srv->n_lis; i++)
        if (pfd[i].revents)
            accept_clients(srv, pfd[i].fd);
    qmp_server_flush(srv, false);
}

void qmp_server_close(struct qmp_server *srv)
{
    qmp_server_flush(srv, true);
    for (int i = 0; i < QMP_MAX_SESSIONS; i++)
        if (srv->sess[i])
            free_session(srv, i);
    for (int i = 0; i < srv->n_lis; i++) {
        close(srv->lis[i].fd);
        if (srv->lis[i].unix_path[0])
            unlink(srv->lis[i].unix_path);
    }
    srv->n_lis = 0;
}
