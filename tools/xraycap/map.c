/* map.c — see map.h. */
#include "map.h"
#include "html.h"

#include <stdlib.h>
#include <string.h>

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

static void count(trace_map *m, const char *from, const char *to, const cJSON *e)
{
    map_edge *x = edge(m, from, to);
    if (!x)
        return;
    x->count++;
    x->total_s += entity_duration(e);
    x->errors += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "error")) ||
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "throttle"));
    x->faults += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fault"));
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
        const cJSON *pid = cJSON_GetObjectItemCaseSensitive(e, "parent_id"), *r;
        cJSON_ArrayForEach(r, w->t->roots) {
            if (r != e && cJSON_IsString(pid) && find_id(r, pid->valuestring))
                service_node(r, caller, sizeof caller);
        }
        count(w->m, caller, service, e);
        return;
    }
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(e, "namespace");
    if (cJSON_IsString(ns) && (!strcmp(ns->valuestring, "aws") || !strcmp(ns->valuestring, "remote"))) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        count(w->m, service, name->valuestring, e);
    }
}

void map_add_trace(trace_map *m, const trace *t)
{
    walk_ctx w = {m, t};
    trace_walk(t, visit, &w);
}

void map_print_text(FILE *out, const trace_map *m)
{
    fprintf(out, "%-30s    %-30s %8s %10s %7s %7s\n", "from", "to", "requests", "avg ms", "error", "fault");
    for (int i = 0; i < m->n; i++) {
        const map_edge *e = &m->edges[i];
        fprintf(out, "%-30.30s -> %-30.30s %8ld %10.3f %6.1f%% %6.1f%%\n", e->from, e->to, e->count,
                e->total_s / (double)e->count * 1000, 100.0 * (double)e->errors / (double)e->count,
                100.0 * (double)e->faults / (double)e->count);
    }
    if (!m->n)
        fprintf(out, "(no traces in this period)\n");
}

static void dot_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void map_print_dot(FILE *out, const trace_map *m)
{
    fprintf(out, "digraph xray {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (int i = 0; i < m->n; i++) {
        const map_edge *e = &m->edges[i];
        char label[200];
        snprintf(label, sizeof label, "%ld req, %.1f ms avg, %.0f%% error, %.0f%% fault", e->count,
                 e->total_s / (double)e->count * 1000, 100.0 * (double)e->errors / (double)e->count,
                 100.0 * (double)e->faults / (double)e->count);
        fputs("  ", out);
        dot_string(out, e->from);
        fputs(" -> ", out);
        dot_string(out, e->to);
        fputs(" [label=", out);
        dot_string(out, label);
        fputs("];\n", out);
    }
    fputs("}\n", out);
}

/* Column of a node: 0 for callers only, else one more than its deepest caller. */
static int column(const trace_map *m, const char *node, int guard)
{
    int best = 0;
    if (guard > 16)
        return 0;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->edges[i].to, node) && strcmp(m->edges[i].from, node)) {
            int c = column(m, m->edges[i].from, guard + 1) + 1;
            if (c > best)
                best = c;
        }
    return best;
}

void map_print_svg(FILE *out, const trace_map *m)
{
    const char *names[128];
    int cols[128], rows[128], n = 0, per_col[32] = {0};
    for (int i = 0; i < m->n && n < 126; i++) {
        const char *ends[2] = {m->edges[i].from, m->edges[i].to};
        for (int k = 0; k < 2; k++) {
            int j;
            for (j = 0; j < n && strcmp(names[j], ends[k]); j++)
                ;
            if (j == n) {
                names[n] = ends[k];
                cols[n] = column(m, ends[k], 0);
                if (cols[n] > 31)
                    cols[n] = 31;
                rows[n] = per_col[cols[n]]++;
                n++;
            }
        }
    }
    int maxc = 0, maxr = 0;
    for (int j = 0; j < n; j++) {
        if (cols[j] > maxc) maxc = cols[j];
        if (rows[j] > maxr) maxr = rows[j];
    }
    int w = 60 + (maxc + 1) * 260, h = 60 + (maxr + 1) * 110;
    fprintf(out, "<svg class=\"map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n"
                 "<defs><marker id=\"arrow\" markerWidth=\"10\" markerHeight=\"10\" refX=\"9\" refY=\"3\" "
                 "orient=\"auto\"><path d=\"M0,0 L0,6 L9,3 z\" fill=\"#555\"/></marker></defs>\n", w, h);
    for (int i = 0; i < m->n; i++) {
        int a = -1, b = -1;
        for (int j = 0; j < n; j++) {
            if (!strcmp(names[j], m->edges[i].from)) a = j;
            if (!strcmp(names[j], m->edges[i].to)) b = j;
        }
        const map_edge *e = &m->edges[i];
        int x1 = 40 + cols[a] * 260 + 180, y1 = 50 + rows[a] * 110 + 25;
        int x2 = 40 + cols[b] * 260, y2 = 50 + rows[b] * 110 + 25;
        fprintf(out, "<g class=\"edge\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" "
                     "marker-end=\"url(#arrow)\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%ld req, "
                     "%.1f ms, %.0f%% err, %.0f%% fault</text></g>\n",
                x1, y1, x2, y2, (x1 + x2) / 2 - 70, (y1 + y2) / 2 - 6, e->count,
                e->total_s / (double)e->count * 1000, 100.0 * (double)e->errors / (double)e->count,
                100.0 * (double)e->faults / (double)e->count);
    }
    for (int j = 0; j < n; j++) {
        int x = 40 + cols[j] * 260, y = 50 + rows[j] * 110;
        fprintf(out, "<g class=\"node\" data-name=\"");
        html_escape(out, names[j]);
        fprintf(out, "\"><rect x=\"%d\" y=\"%d\" width=\"180\" height=\"50\" rx=\"25\" fill=\"#e8f1fb\" "
                     "stroke=\"#2b6cb0\"/><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">",
                x, y, x + 90, y + 30);
        html_escape(out, names[j]);
        fprintf(out, "</text></g>\n");
    }
    fprintf(out, "</svg>\n");
}

void map_free(trace_map *m)
{
    free(m->edges);
    memset(m, 0, sizeof *m);
}
