/* cmd_serve.c — `xraycap serve`: the trace list, timelines and map over HTTP, for a browser on
 * this machine. GET only. A few workers, each with its own connection to the store, answer the
 * connections the listener queues; the queue, each request's time and each list's length are
 * bounded, so many viewers at once (or a slow one) cost time, not memory, and never a page. */
#include "commands.h"
#include "stop.h"
#include "view.h"
#include "hostport.h"
#include "html.h"
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

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

/* A query parameter's decoded value ("" when the URL has none): ?key=... or &key=... only, so
 * that "since" is not found inside "filter=...since=". */
static void query(const char *path, const char *key, char *out, size_t len)
{
    out[0] = '\0';
    const char *q = strchr(path, '?');
    size_t k = strlen(key);
    while (q) {
        q++;
        if (!strncmp(q, key, k) && q[k] == '=') {
            url_decode(q + k + 1, out, len);
            return;
        }
        q = strchr(q, '&');
    }
}

#define WORKERS 4
#define QUEUE_MAX 64          /* connections waiting for a worker; beyond, 503 at once */
#define REQUEST_TIME_S 5      /* the request line and headers must arrive in this time */

/* Reads a request's head within REQUEST_TIME_S: its length, or -1. */
static ssize_t read_head(int c, char *req, size_t len)
{
    struct timeval tv = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timespec start, t;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t got = recv(c, req + n, len - 1 - n, 0);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (got > 0) {
            n += (size_t)got;
            req[n] = '\0';
            if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
                break;
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
            break;
        }
        if (t.tv_sec - start.tv_sec >= REQUEST_TIME_S)
            return -1;
    }
    req[n] = '\0';
    return n ? (ssize_t)n : -1;
}

/* A time from a custom range's field: the browser's datetime-local ("2026-12-03T14:05", the
 * server's local time, seconds optional); -1 when it is not one. */
static double local_time(const char *text)
{
    struct tm tm = {0};
    const char *end = strptime(text, "%Y-%m-%dT%H:%M", &tm);
    if (end && *end == ':')
        end = strptime(end, ":%S", &tm);
    if (!end || *end)
        return -1;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return t == (time_t)-1 ? -1 : (double)t;
}

/* The time range a page asks for: from and to (an absolute range), else since (a duration, as
 * --since), else the server's --since. A bad value leaves the server's range and says why. */
static void range_of(const char *path, const options *o, double *since, double *until, char *err, size_t len)
{
    char v[64], from[64], to[64];
    *since = o->since;
    *until = 0;
    err[0] = '\0';
    query(path, "since", v, sizeof v);
    query(path, "from", from, sizeof from);
    query(path, "to", to, sizeof to);
    double f = from[0] ? local_time(from) : 0, t = to[0] ? local_time(to) : 0;
    if (f < 0 || t < 0 || (f > 0 && t > 0 && t <= f))
        snprintf(err, len, "'%s' to '%s' is not a range of times like 2026-12-03T14:05; the range is serve's --since.",
                 from, to);
    else if (f > 0 || t > 0) {
        *since = f > 0 ? f : 0;
        *until = t;
    } else if (v[0] && units_duration(v) < 0)
        snprintf(err, len, "'%s' is not a duration like 15m, 2h, 30s; the range is serve's --since.", v);
    else if (v[0])
        *since = (double)time(NULL) - units_duration(v);
}

/* What scopes the page, as query parameters for its links: its time range ("&since=1d",
 * "&from=...&to="; nothing for the server's default) and its group, values URL-encoded. */
static void scope_query(const char *path, char *out, size_t len)
{
    static const char *const keys[] = {"since", "from", "to", "group"};
    size_t n = 0;
    out[0] = '\0';
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        char v[64];
        query(path, keys[k], v, sizeof v);
        if (!v[0] || n + 8 >= len)
            continue;
        n += (size_t)snprintf(out + n, len - n, "&%s=", keys[k]);
        for (const unsigned char *c = (const unsigned char *)v; *c && n + 4 < len; c++)
            n += (size_t)snprintf(out + n, len - n, isalnum(*c) ? "%c" : "%%%02X", *c);
    }
}

/* "&group=...&filter=..." for a link that keeps the page's group and filter. */
static void put_filter(FILE *out, const char *group, const char *filter)
{
    if (group && *group) {
        fputs("&amp;group=", out);
        html_url_encode(out, group);
    }
    if (filter && *filter) {
        fputs("&amp;filter=", out);
        html_url_encode(out, filter);
    }
}

/* The groups as a choice above the list and the map (nothing when the store has none). */
typedef struct group_choice {
    FILE *out;
    const char *current;
} group_choice;

static void group_option(const char *name, const char *filter, void *ctx)
{
    group_choice *c = ctx;
    fprintf(c->out, "<option value=\"");
    html_escape(c->out, name);
    fprintf(c->out, "\"%s title=\"", strcmp(name, c->current) ? "" : " selected");
    html_escape(c->out, filter);
    fputs("\">", c->out);
    html_escape(c->out, name);
    fputs("</option>", c->out);
}

static void group_select(FILE *out, store *s, const char *page, const char *path, const char *group)
{
    char *options = NULL, since[32];
    size_t len = 0;
    FILE *mem = open_memstream(&options, &len);
    group_choice c = {mem, group};
    int n = mem ? store_groups(s, group_option, &c) : -1;
    if (mem)
        fclose(mem);
    if (n > 0) {
        query(path, "since", since, sizeof since);
        fprintf(out, "<form class=\"groups\" method=\"get\" action=\"%s\">Group: <select id=\"group\" "
                     "name=\"group\"><option value=\"\">All traces</option>%s</select>", page, options);
        html_hidden(out, "since", since);
        fputs(" <button>Show</button></form>\n", out);
    }
    free(options);
}

/* The filter a page applies: its group's (?group=) and its own (?filter=), both; NULL when it
 * has neither or when one is bad (err says why). */
static filter *page_filter(store *s, const char *group, const char *text, char *err, size_t len, bool *bad)
{
    char both[2400];
    *bad = false;
    if (!group[0] && !text[0])
        return NULL;
    /* a group's name is letters, digits, '-' and '_' (xraycap group): nothing else is read into
     * the expression */
    if (strspn(group, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(group)) {
        snprintf(err, len, "no such group: a group's name has letters, digits, '-' and '_' only");
        *bad = true;
        return NULL;
    }
    if (group[0] && text[0])
        snprintf(both, sizeof both, "group.name = \"%s\" AND (%s)", group, text);
    else if (group[0])
        snprintf(both, sizeof both, "group.name = \"%s\"", group);
    else
        snprintf(both, sizeof both, "%s", text);
    filter *f = view_filter(s, both, err, len);
    *bad = !f;
    return f;
}

/* The console's time range presets, each a link that keeps the filter; the current one bold. */
static void time_range(FILE *out, const options *o, const char *page, const char *path, const char *group,
                       const char *filter)
{
    static const char *const presets[][2] = {{"5m", "5 min"}, {"15m", "15 min"}, {"1h", "1 hour"}, {"6h", "6 hours"},
                                             {"1d", "1 day"}, {"7d", "7 days"}, {"30d", "30 days"}};
    char now[32], from[64], to[64], err[256];
    double since, until;
    query(path, "since", now, sizeof now);
    query(path, "from", from, sizeof from);
    query(path, "to", to, sizeof to);
    range_of(path, o, &since, &until, err, sizeof err);
    fputs("<p class=\"range\">Time range:", out);
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++) {
        bool on = !strcmp(now, presets[i][0]);
        fprintf(out, " %s<a href=\"%s?since=%s", on ? "<b>" : "", page, presets[i][0]);
        put_filter(out, group, filter);
        fprintf(out, "\">%s</a>%s", presets[i][1], on ? "</b>" : "");
    }
    /* a custom range: any duration --since takes, or from one time to another */
    fprintf(out, "</p><form class=\"range\" method=\"get\" action=\"%s\">Custom: last <input id=\"since\" name=\"since\" "
                 "size=\"8\" placeholder=\"90m, 36h, 3d\" value=\"", page);
    html_escape(out, now);
    fputs("\"> or from <input id=\"from\" name=\"from\" type=\"datetime-local\" value=\"", out);
    html_escape(out, from);
    fputs("\"> to <input id=\"to\" name=\"to\" type=\"datetime-local\" value=\"", out);
    html_escape(out, to);
    fputs("\">", out);
    html_hidden(out, "group", group);
    html_hidden(out, "filter", filter);
    fputs(" <button>Apply</button></form>\n", out);
    if (err[0]) {
        fputs("<p class=\"err\" id=\"range-error\">", out);
        html_escape(out, err);
        fputs("</p>\n", out);
    }
}

static void handle(int c, store *s, const options *o)
{
    char req[8192];
    if (read_head(c, req, sizeof req) < 0)
        return;
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
        if (!view_trace_page(out, s, id, "../"))
            status = 404;
    } else if (!strcmp(path, "/map") || !strncmp(path, "/map?", 5)) {
        char group[64], text[1024], err[1024];
        query(path, "group", group, sizeof group);
        query(path, "filter", text, sizeof text);
        bool bad;
        filter *f = page_filter(s, group, text, err, sizeof err, &bad);
        trace_map m = {0};
        double since, until;
        char range_err[256];
        range_of(path, o, &since, &until, range_err, sizeof range_err);
        if (!bad)
            view_build_map(s, since, until, f, &m);
        html_begin(out, "Trace map", "");
        time_range(out, o, "./map", path, group, text);
        group_select(out, s, "./map", path, group);
        if (bad) {
            fputs("<pre class=\"err\" id=\"filter-error\">", out);
            html_escape(out, err);
            fputs("</pre>\n", out);
        }
        char keep[256];
        scope_query(path, keep, sizeof keep);
        html_map(out, &m, &(html_links){"", keep});
        html_end(out);
        map_free(&m);
        filter_free(f);
    } else if (!strcmp(path, "/") || !strncmp(path, "/?", 2)) {
        char group[64], text[1024], err[1024], lim[24], since[32], from_text[64], to_text[64], keep[256];
        query(path, "group", group, sizeof group);
        query(path, "since", since, sizeof since);
        query(path, "from", from_text, sizeof from_text);
        query(path, "to", to_text, sizeof to_text);
        scope_query(path, keep, sizeof keep);
        query(path, "filter", text, sizeof text);
        query(path, "limit", lim, sizeof lim);
        bool bad;
        filter *f = page_filter(s, group, text, err, sizeof err, &bad);
        long limit = strtol(lim, NULL, 10);
        trace_list l = {.s = s, .f = f, .limit = limit >= 1 && limit <= VIEW_LIMIT_MAX ? (int)limit : o->limit,
                        .response_times = true};
        double from;
        char range_err[256];
        range_of(path, o, &from, &l.until, range_err, sizeof range_err);
        if (!bad)
            view_load(&l, from);
        html_begin(out, "Traces", "");
        time_range(out, o, "./", path, group, text);
        group_select(out, s, "./", path, group);
        html_histogram(out, l.rt.v, l.rt.n, text, keep);
        html_trace_list(out, l.v, l.n, &(html_form){text, group, since, from_text, to_text}, bad ? err : NULL, "");
        if (l.total > l.n) { /* the list stopped at its limit: say so, and how to see more */
            fprintf(out, "<p class=\"more\">%d shown of %ld; <a href=\"./?limit=%ld", l.n, l.total, l.total);
            html_escape(out, keep);
            put_filter(out, NULL, text);
            fputs("\">show all</a></p>", out);
        }
        html_end(out);
        view_list_free(&l);
        filter_free(f);
    } else {
        status = 404;
        fputs("not found", out);
    }
    fclose(out);
    char head[256];
    int hn = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Method Not Allowed", blen);
    send(c, head, (size_t)hn, MSG_NOSIGNAL);
    send(c, body, blen, MSG_NOSIGNAL);
    free(body);
}

/* The connections accepted and not yet answered. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    int fd[QUEUE_MAX];
    int head, n;
    bool done;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, false};

static bool enqueue(int c)
{
    pthread_mutex_lock(&queue.lock);
    bool ok = queue.n < QUEUE_MAX;
    if (ok) {
        queue.fd[(queue.head + queue.n++) % QUEUE_MAX] = c;
        pthread_cond_signal(&queue.ready);
    }
    pthread_mutex_unlock(&queue.lock);
    return ok;
}

/* The next connection, or -1 when serving ends. */
static int dequeue(void)
{
    pthread_mutex_lock(&queue.lock);
    while (!queue.n && !queue.done)
        pthread_cond_wait(&queue.ready, &queue.lock);
    int c = -1;
    if (queue.n) {
        c = queue.fd[queue.head];
        queue.head = (queue.head + 1) % QUEUE_MAX;
        queue.n--;
    }
    pthread_mutex_unlock(&queue.lock);
    return c;
}

static const options *serve_opts;

static void *worker(void *arg)
{
    (void)arg;
    store *s = view_open_store(serve_opts);
    for (int c; (c = dequeue()) >= 0; close(c)) {
        struct timeval tv = {REQUEST_TIME_S, 0};
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (s)
            handle(c, s, serve_opts);
    }
    store_close(s);
    return NULL;
}

static void too_busy(int c)
{
    static const char answer[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\nRetry-After: 1\r\n"
                                 "Connection: close\r\n\r\ntoo busy";
    send(c, answer, sizeof answer - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    close(c);
}

int cmd_serve(int argc, char **argv)
{
    options o;
    if (!view_parse(argc, argv, &o, false, "xraycap serve [--db FILE] [--since 15m] [--limit 1000] [--http 127.0.0.1:8080]"))
        return 2;
    const char *spec = o.http ? o.http : "127.0.0.1:8080";
    char why[600], bound[96];
    int fd = hostport_bind(spec, SOCK_STREAM, false, bound, sizeof bound, why, sizeof why);
    if (fd < 0) {
        fprintf(stderr, "xraycap serve: --http %s\n", why);
        return fd == -2 ? 2 : 1;
    }
    store *s = view_open_store(&o); /* said once here, if it cannot be opened */
    if (!s)
        return 1;
    store_close(s);
    serve_opts = &o;
    pthread_t workers[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, worker, NULL);
    stop_on_signals();
    fprintf(stderr, "xraycap serve: http://%s/\n", bound);
    while (!stop_asked) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c >= 0 && !enqueue(c))
            too_busy(c);
    }
    pthread_mutex_lock(&queue.lock);
    queue.done = true;
    pthread_cond_broadcast(&queue.ready);
    pthread_mutex_unlock(&queue.lock);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    close(fd);
    return 0;
}
