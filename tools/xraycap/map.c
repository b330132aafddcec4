/* map.c — see map.h. */
#include "map.h"
#include "html.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static map_edge *edge(trace_map *m, const char *from, const char *to)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->edges[i].from, from) && !strcmp(m->edges[i].to, to))
            return &m->edges[i];
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 16;
        map_edge *v = realloc(m->edges, sizeof *v * (size_t)cap);
        if (!v)
            return NULL;
        m->edges = v;
        m->cap = cap;
    }
    map_edge *e = &m->edges[m->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->from, sizeof e->from, "%s", from);
    snprintf(e->to, sizeof e->to, "%s", to);
    return e;
}

static const char *text(const cJSON *e, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* One call from `caller` (a segment, or NULL for the client) to `callee`. */
static void count(trace_map *m, const char *from, const char *to, const cJSON *caller, const cJSON *e)
{
    map_edge *x = edge(m, from, to);
    if (!x)
        return;
    if (!x->count) {
        snprintf(x->from_name, sizeof x->from_name, "%s", caller ? text(caller, "name") : "");
        snprintf(x->to_name, sizeof x->to_name, "%s", text(e, "name"));
        snprintf(x->to_type, sizeof x->to_type, "%s", text(e, "origin"));
    }
    durations_add(&x->calls, entity_duration(e));
    x->count++;
    x->total_s += entity_duration(e);
    x->errors += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "error")) ||
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "throttle"));
    x->faults += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fault"));
    x->throttles += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "throttle"));
}

static void service_node(const cJSON *seg, char *out, size_t len)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(seg, "name");
    const cJSON *origin = cJSON_GetObjectItemCaseSensitive(seg, "origin");
    if (cJSON_IsString(origin))
        snprintf(out, len, "%.100s (%.50s)", name->valuestring, origin->valuestring);
    else
        snprintf(out, len, "%.150s", cJSON_IsString(name) ? name->valuestring : "?");
}

typedef struct walk_ctx {
    trace_map *m;
    const trace *t;
} walk_ctx;

static const cJSON *find_id(const cJSON *e, const char *id)
{
    const cJSON *eid = cJSON_GetObjectItemCaseSensitive(e, "id"), *c;
    if (cJSON_IsString(eid) && !strcmp(eid->valuestring, id))
        return e;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(e, "subsegments")) {
        const cJSON *f = find_id(c, id);
        if (f)
            return f;
    }
    return NULL;
}

static void visit(const cJSON *e, int depth, const cJSON *seg, void *arg)
{
    walk_ctx *w = arg;
    char service[160];
    service_node(seg, service, sizeof service);
    if (depth == 0) {
        if (cJSON_HasObjectItem(e, "type"))
            return; /* a subsegment sent alone whose segment is not here (Lambda) */
        char caller[160] = "client";
        const cJSON *pid = cJSON_GetObjectItemCaseSensitive(e, "parent_id"), *r, *from = NULL;
        cJSON_ArrayForEach(r, w->t->roots) {
            if (r != e && cJSON_IsString(pid) && find_id(r, pid->valuestring)) {
                service_node(r, caller, sizeof caller);
                from = r;
            }
        }
        count(w->m, caller, service, from, e);
        return;
    }
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(e, "namespace");
    if (cJSON_IsString(ns) && (!strcmp(ns->valuestring, "aws") || !strcmp(ns->valuestring, "remote"))) {
        /* A call whose callee sent a segment of its own (API Gateway's Invoke of a traced
         * Lambda function) is drawn as the edge to that segment, not as a node of its own. */
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id"), *r;
        cJSON_ArrayForEach(r, w->t->roots) {
            const cJSON *pid = cJSON_GetObjectItemCaseSensitive(r, "parent_id");
            if (cJSON_IsString(id) && cJSON_IsString(pid) && !strcmp(pid->valuestring, id->valuestring) &&
                !cJSON_HasObjectItem(r, "type"))
                return;
        }
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        count(w->m, service, name->valuestring, seg, e);
    }
}

void map_add_trace(trace_map *m, const trace *t)
{
    walk_ctx w = {m, t};
    trace_walk(t, visit, &w);
}

void map_print_text(FILE *out, const trace_map *m)
{
    fprintf(out, "%-42s    %-42s %8s %10s %7s %7s %8s\n", "from", "to", "requests", "avg ms", "error", "fault",
            "throttle");
    for (int i = 0; i < m->n; i++) {
        const map_edge *e = &m->edges[i];
        fprintf(out, "%-42.42s -> %-42.42s %8ld %10.3f %6.1f%% %6.1f%% %7.1f%%\n", e->from, e->to, e->count,
                e->total_s / (double)e->count * 1000, 100.0 * (double)e->errors / (double)e->count,
                100.0 * (double)e->faults / (double)e->count, 100.0 * (double)e->throttles / (double)e->count);
    }
    if (!m->n)
        fprintf(out, "(no traces in this period)\n");
}

/* A DOT string: quotes and backslashes escaped, a line break as DOT's \n, other control
 * characters left out. */
static void dot_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '\n')
            fputs("\\n", out);
        else if ((unsigned char)*s < 0x20)
            continue;
        else {
            if (*s == '"' || *s == '\\')
                fputc('\\', out);
            fputc(*s, out);
        }
    }
    fputc('"', out);
}

map_health map_node_health(const trace_map *m, const char *node)
{
    map_health h = {0};
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->edges[i].to, node)) {
            h.count += m->edges[i].count;
            h.errors += m->edges[i].errors;
            h.faults += m->edges[i].faults;
            h.throttles += m->edges[i].throttles;
            h.total_s += m->edges[i].total_s;
        }
    return h;
}

/* A node's health as the console colours it. */
static const char *health_class(map_health h)
{
    if (!h.count)
        return "client";
    return h.faults ? "fault" : h.throttles ? "throttle" : h.errors ? "error" : "ok";
}

static void health_colours(const char *cls, const char **line, const char **fill)
{
    static const struct { const char *cls, *line, *fill; } colours[] = {
        {"ok", "#2f855a", "#c6f6d5"},    {"error", "#c05621", "#feebc8"},
        {"fault", "#c53030", "#fed7d7"}, {"throttle", "#6b46c1", "#e9d8fd"},
        {"client", "#4a5568", "#edf2f7"},
    };
    for (size_t i = 0; i < sizeof colours / sizeof colours[0]; i++)
        if (!strcmp(cls, colours[i].cls)) {
            *line = colours[i].line;
            *fill = colours[i].fill;
        }
}

int map_node_names(const trace_map *m, const char **names, int max)
{
    int n = 0;
    for (int i = 0; i < m->n; i++) {
        const char *ends[2] = {m->edges[i].from, m->edges[i].to};
        for (int k = 0; k < 2; k++) {
            int j = 0;
            while (j < n && strcmp(names[j], ends[k]))
                j++;
            if (j == n && n < max)
                names[n++] = ends[k];
        }
    }
    return n;
}

static int node_index(const char **names, int n, const char *name)
{
    for (int j = 0; j < n; j++)
        if (!strcmp(names[j], name))
            return j;
    return -1;
}

void map_print_dot(FILE *out, const trace_map *m)
{
    fputs("digraph xray {\n  rankdir=LR;\n  nodesep=0.5;\n  ranksep=1.2;\n"
          "  node [shape=box, style=\"rounded,filled\", penwidth=2, fontname=\"Helvetica,Arial,sans-serif\", "
          "fontsize=12];\n  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=10, color=\"#4a5568\"];\n", out);
    const char *names[MAP_MAX_NODES];
    int n = map_node_names(m, names, MAP_MAX_NODES);
    for (int j = 0; j < n; j++) {
        map_health h = map_node_health(m, names[j]);
        const char *cls = health_class(h), *line = "#4a5568", *fill = "#edf2f7";
        health_colours(cls, &line, &fill);
        char label[400];
        if (h.count)
            snprintf(label, sizeof label, "%.300s\n%ld req, %.1f ms avg", names[j], h.count,
                     h.total_s / (double)h.count * 1000);
        else
            snprintf(label, sizeof label, "%.300s", names[j]);
        /* The name is the node's id: Graphviz writes it as the SVG group's <title>. */
        fputs("  ", out);
        dot_string(out, names[j]);
        fprintf(out, " [id=\"node-%d\", class=\"%s\", color=\"%s\", fillcolor=\"%s\", label=", j, cls, line, fill);
        dot_string(out, label);
        fputs("];\n", out);
    }
    for (int i = 0; i < m->n; i++) {
        const map_edge *e = &m->edges[i];
        int a = node_index(names, n, e->from), b = node_index(names, n, e->to);
        if (a < 0 || b < 0)
            continue; /* beyond the 256 nodes drawn */
        char label[200];
        int len = snprintf(label, sizeof label, "%ld req, %.1f ms avg", e->count,
                           e->total_s / (double)e->count * 1000);
        if (e->errors || e->faults)
            len += snprintf(label + len, sizeof label - (size_t)len, "\n%.0f%% error, %.0f%% fault",
                            100.0 * (double)e->errors / (double)e->count, 100.0 * (double)e->faults / (double)e->count);
        if (e->throttles) /* among the errors, as the console counts them */
            snprintf(label + len, sizeof label - (size_t)len, ", %.0f%% throttle",
                     100.0 * (double)e->throttles / (double)e->count);
        fputs("  ", out);
        dot_string(out, names[a]);
        fputs(" -> ", out);
        dot_string(out, names[b]);
        fprintf(out, " [id=\"edge-%d\", label=", i);
        dot_string(out, label);
        fputs("];\n", out);
    }
    fputs("}\n", out);
}

/* Runs dot on the map; returns its SVG (malloc'd) or NULL when dot is missing or fails. */
static char *layout_with_dot(const trace_map *m)
{
    /* XRAYCAP_DOT names another dot; empty, none is run (the fuzzers stay in process). */
    const char *dot = getenv("XRAYCAP_DOT") ? getenv("XRAYCAP_DOT") : "dot";
    if (!*dot)
        return NULL;
    char path[] = "/tmp/xraycap-map-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        return NULL;
    }
    map_print_dot(f, m);
    fclose(f);
    char *svg = NULL;
    size_t len = 0;
    int pipefd[2], rc = -1;
    FILE *mem = open_memstream(&svg, &len);
    if (mem && pipe(pipefd) == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            dup2(pipefd[1], 1);
            close(pipefd[0]);
            close(pipefd[1]);
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0)
                dup2(null, 2);
            execlp(dot, dot, "-Tsvg", path, (char *)NULL);
            _exit(127);
        }
        close(pipefd[1]);
        char buf[8192];
        ssize_t got;
        while (pid > 0 && (got = read(pipefd[0], buf, sizeof buf)) > 0)
            fwrite(buf, 1, (size_t)got, mem);
        close(pipefd[0]);
        int status = 0;
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
            rc = WEXITSTATUS(status);
    }
    if (mem)
        fclose(mem);
    unlink(path);
    if (rc != 0 || !svg || !strstr(svg, "<svg")) {
        free(svg);
        return NULL;
    }
    return svg;
}

void map_print_svg(FILE *out, const trace_map *m)
{
    if (!m->n) {
        fputs("<p id=\"map-empty\">No traces in this period.</p>\n", out);
        return;
    }
    char *svg = layout_with_dot(m);
    if (!svg) {
        fputs("<p class=\"err\" id=\"map-unavailable\">The trace map is laid out by Graphviz, "
              "which is not installed here: <code>apt-get install graphviz</code>.</p>\n<pre>", out);
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (mem) {
            map_print_text(mem, m);
            fclose(mem);
            html_escape(out, text);
        }
        free(text);
        fputs("</pre>\n", out);
        return;
    }
    /* The XML prolog and doctype may not appear inside an HTML document. */
    fputs("<div class=\"map\">\n", out);
    fputs(strstr(svg, "<svg"), out);
    fputs("</div>\n", out);
    free(svg);
}

void map_free(trace_map *m)
{
    for (int i = 0; i < m->n; i++)
        durations_free(&m->edges[i].calls);
    free(m->edges);
    memset(m, 0, sizeof *m);
}
