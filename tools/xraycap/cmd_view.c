/* cmd_view.c — the commands that read the store: traces, show, map, export, html, serve. */
#include "filter.h"
#include "html.h"
#include "map.h"
#include "timeline.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct options {
    char db[4096];
    double since;           /* epoch seconds */
    const char *filter, *http, *trace_id;
    int verbose, dot;
} options;

/* "15m", "2h", "30s", "7d" → seconds; -1 when malformed. */
static double parse_duration(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    switch (*end) {
    case 's': case '\0': return v;
    case 'm': return v * 60;
    case 'h': return v * 3600;
    case 'd': return v * 86400;
    default: return -1;
    }
}

/* Common options; false (with a message) on a bad one. `positional` takes a TRACE_ID. */
static bool parse(int argc, char **argv, options *o, bool positional, const char *usage)
{
    memset(o, 0, sizeof *o);
    store_default_path(o->db, sizeof o->db);
    o->since = (double)time(NULL) - 15 * 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--db") && i + 1 < argc)
            snprintf(o->db, sizeof o->db, "%s", argv[++i]);
        else if (!strcmp(a, "--since") && i + 1 < argc) {
            double d = parse_duration(argv[++i]);
            if (d < 0) {
                fprintf(stderr, "xraycap: --since '%s' is not a duration like 15m, 2h, 30s\n", argv[i]);
                return false;
            }
            o->since = (double)time(NULL) - d;
        } else if (!strcmp(a, "--filter") && i + 1 < argc)
            o->filter = argv[++i];
        else if (!strcmp(a, "--http") && i + 1 < argc)
            o->http = argv[++i];
        else if (!strcmp(a, "-v"))
            o->verbose = 1;
        else if (!strcmp(a, "--dot"))
            o->dot = 1;
        else if (positional && a[0] != '-' && !o->trace_id)
            o->trace_id = a;
        else {
            fprintf(stderr, "xraycap: unexpected argument '%s'\nusage: %s\n", a, usage);
            return false;
        }
    }
    if (positional && !o->trace_id) {
        fprintf(stderr, "usage: %s\n", usage);
        return false;
    }
    return true;
}

static store *open_store(const options *o)
{
    char err[512];
    store *s = store_open(o->db, err, sizeof err);
    if (!s)
        fprintf(stderr, "xraycap: cannot open the store: %s\n", err);
    return s;
}

typedef struct list {
    store *s;
    const filter *f;
    trace *v;
    int n, cap;
} list;

static void collect_trace(const char *id, void *arg)
{
    list *l = arg;
    trace t;
    if (!trace_load(l->s, id, &t))
        return;
    if (!filter_match(l->f, &t) || l->n >= 10000) {
        trace_free(&t);
        return;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        trace *v = realloc(l->v, sizeof *v * (size_t)cap);
        if (!v) {
            trace_free(&t);
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = t;
}

static void free_list(list *l)
{
    for (int i = 0; i < l->n; i++)
        trace_free(&l->v[i]);
    free(l->v);
}

int cmd_traces(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o, false, "xraycap traces [--db FILE] [--since 15m] [--filter EXPR]"))
        return 2;
    char err[1024];
    filter *f = NULL;
    if (o.filter && !(f = filter_parse(o.filter, err, sizeof err))) {
        fprintf(stderr, "xraycap traces: %s\n", err);
        return 2;
    }
    store *s = open_store(&o);
    if (!s) {
        filter_free(f);
        return 1;
    }
    list l = {s, f, NULL, 0, 0};
    store_traces_since(s, o.since, collect_trace, &l);
    printf("%-35s  %-8s  %10s  %-6s  %-40s  %6s  %-15s  %s\n", "TRACE ID", "START", "DURATION", "METHOD",
           "URL", "STATUS", "FLAGS", "ANNOTATIONS");
    for (int i = 0; i < l.n; i++) {
        trace *t = &l.v[i];
        char when[16], fl[32] = "", status[8] = "";
        time_t sec = (time_t)t->start;
        strftime(when, sizeof when, "%H:%M:%S", localtime(&sec));
        snprintf(fl, sizeof fl, "%s%s%s", t->fault ? "fault " : "", t->error ? "error " : "", t->throttle ? "throttle" : "");
        if (t->status)
            snprintf(status, sizeof status, "%d", t->status);
        printf("%-35s  %-8s  %7.1f ms  %-6s  %-40.40s  %6s  %-15s ", t->id, when, (t->end - t->start) * 1000,
               t->method ? t->method : "", t->url ? t->url : "", status, fl);
        const cJSON *a;
        cJSON_ArrayForEach(a, t->annotations) {
            char *v = cJSON_PrintUnformatted(a);
            printf(" %s=%s", a->string, v);
            cJSON_free(v);
        }
        putchar('\n');
    }
    printf("%d trace(s)\n", l.n);
    free_list(&l);
    filter_free(f);
    store_close(s);
    return 0;
}

int cmd_show(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o, true, "xraycap show [--db FILE] [-v] TRACE_ID"))
        return 2;
    store *s = open_store(&o);
    if (!s)
        return 1;
    trace t;
    if (!trace_load(s, o.trace_id, &t)) {
        fprintf(stderr, "xraycap show: no trace %s in %s\n", o.trace_id, o.db);
        store_close(s);
        return 1;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, t.roots) timeline_print(stdout, r, 40, o.verbose);
    trace_free(&t);
    store_close(s);
    return 0;
}

static void build_map(store *s, double since, trace_map *m)
{
    list l = {s, NULL, NULL, 0, 0};
    store_traces_since(s, since, collect_trace, &l);
    for (int i = 0; i < l.n; i++)
        map_add_trace(m, &l.v[i]);
    free_list(&l);
}

int cmd_map(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o, false, "xraycap map [--db FILE] [--since 15m] [--dot]"))
        return 2;
    store *s = open_store(&o);
    if (!s)
        return 1;
    trace_map m = {0};
    build_map(s, o.since, &m);
    if (o.dot)
        map_print_dot(stdout, &m);
    else
        map_print_text(stdout, &m);
    map_free(&m);
    store_close(s);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o, true, "xraycap export [--db FILE] TRACE_ID"))
        return 2;
    store *s = open_store(&o);
    if (!s)
        return 1;
    trace t;
    cJSON *out = cJSON_CreateObject(), *traces = cJSON_AddArrayToObject(out, "Traces");
    cJSON *missing = cJSON_AddArrayToObject(out, "UnprocessedTraceIds");
    if (trace_load(s, o.trace_id, &t)) {
        cJSON *x = cJSON_CreateObject(), *segs;
        cJSON_AddStringToObject(x, "Id", t.id);
        cJSON_AddNumberToObject(x, "Duration", t.end - t.start);
        cJSON_AddBoolToObject(x, "LimitExceeded", 0);
        segs = cJSON_AddArrayToObject(x, "Segments");
        const cJSON *r;
        cJSON_ArrayForEach(r, t.roots) {
            cJSON *seg = cJSON_CreateObject();
            char *doc = cJSON_PrintUnformatted(r);
            cJSON_AddStringToObject(seg, "Id", cJSON_GetObjectItemCaseSensitive(r, "id")->valuestring);
            cJSON_AddStringToObject(seg, "Document", doc);
            cJSON_free(doc);
            cJSON_AddItemToArray(segs, seg);
        }
        cJSON_AddItemToArray(traces, x);
        trace_free(&t);
    } else {
        cJSON_AddItemToArray(missing, cJSON_CreateString(o.trace_id));
    }
    char *text = cJSON_Print(out);
    puts(text);
    cJSON_free(text);
    cJSON_Delete(out);
    store_close(s);
    return 0;
}

/* A page with everything about one trace: list row, timeline, map. */
static void trace_page(FILE *out, store *s, const char *id)
{
    trace t;
    html_begin(out, id);
    if (trace_load(s, id, &t)) {
        html_trace_list(out, &t, 1, NULL, NULL);
        html_timeline(out, &t);
        trace_map m = {0};
        map_add_trace(&m, &t);
        html_map(out, &m);
        map_free(&m);
        trace_free(&t);
    } else {
        fputs("<p class=\"err\">No such trace: ", out);
        html_escape(out, id);
        fputs("</p>", out);
    }
    html_end(out);
}

int cmd_html(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o, true, "xraycap html [--db FILE] TRACE_ID > page.html"))
        return 2;
    store *s = open_store(&o);
    if (!s)
        return 1;
    trace_page(stdout, s, o.trace_id);
    store_close(s);
    return 0;
}

/* ---- serve ------------------------------------------------------------------------------ */

static void url_decode(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in && *in != '&' && o + 1 < len; in++) {
        if (*in == '+')
            out[o++] = ' ';
        else if (*in == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
            char hex[3] = {in[1], in[2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            in += 2;
        } else
            out[o++] = *in;
    }
    out[o] = '\0';
}

static volatile sig_atomic_t serving = 1;
static void stop_serving(int sig) { (void)sig; serving = 0; }

static void handle(int c, store *s, const options *o)
{
    char req[8192];
    ssize_t n = recv(c, req, sizeof req - 1, 0);
    if (n <= 0)
        return;
    req[n] = '\0';
    char method[8] = "", path[4096] = "";
    sscanf(req, "%7s %4095s", method, path);
    char *body = NULL;
    size_t blen = 0;
    FILE *out = open_memstream(&body, &blen);
    int status = 200;
    if (strcmp(method, "GET")) {
        status = 405;
        fputs("GET only", out);
    } else if (!strncmp(path, "/trace/", 7)) {
        char id[64];
        url_decode(path + 7, id, sizeof id);
        trace_page(out, s, id);
    } else if (!strcmp(path, "/map")) {
        trace_map m = {0};
        build_map(s, o->since, &m);
        html_begin(out, "Trace map");
        html_map(out, &m);
        html_end(out);
        map_free(&m);
    } else if (!strcmp(path, "/") || !strncmp(path, "/?", 2)) {
        char text[1024] = "", err[1024];
        const char *q = strstr(path, "filter=");
        if (q)
            url_decode(q + 7, text, sizeof text);
        filter *f = text[0] ? filter_parse(text, err, sizeof err) : NULL;
        list l = {s, f, NULL, 0, 0};
        if (!text[0] || f)
            store_traces_since(s, o->since, collect_trace, &l);
        html_begin(out, "Traces");
        html_trace_list(out, l.v, l.n, text, text[0] && !f ? err : NULL);
        html_end(out);
        free_list(&l);
        filter_free(f);
    } else {
        status = 404;
        fputs("not found", out);
    }
    fclose(out);
    char head[256];
    int hn = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, status == 200 ? "OK" : "Error", blen);
    send(c, head, (size_t)hn, MSG_NOSIGNAL);
    send(c, body, blen, MSG_NOSIGNAL);
    free(body);
}

int cmd_serve(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o, false, "xraycap serve [--db FILE] [--since 15m] [--http 127.0.0.1:8080]"))
        return 2;
    const char *spec = o.http ? o.http : "127.0.0.1:8080";
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host) {
        fprintf(stderr, "xraycap serve: --http '%s' is not HOST:PORT\n", spec);
        return 2;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
    if (getaddrinfo(host, colon + 1, &hints, &res)) {
        fprintf(stderr, "xraycap serve: cannot resolve '%s'\n", spec);
        return 2;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 16)) {
        perror("xraycap serve: cannot listen");
        freeaddrinfo(res);
        return 1;
    }
    freeaddrinfo(res);
    store *s = open_store(&o);
    if (!s)
        return 1;
    /* No SA_RESTART: a signal must interrupt accept() so the loop can end. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_serving;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "xraycap serve: http://%s/\n", spec);
    while (serving) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {5, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        handle(c, s, &o);
        close(c);
    }
    close(fd);
    store_close(s);
    return 0;
}
