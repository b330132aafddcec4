/* html_map.c — the trace map page's parts (see html.h): the map laid out by Graphviz (map.c),
 * a legend, zoom buttons, a hidden panel per node and edge, and the health counts as JSON for
 * the rings the page's script draws around each node. */
#include "html.h"
#include "map.h"

#include <stdlib.h>
#include <string.h>

/* A filter's string literal: quotes and backslashes escaped, as filter.c reads them. */
static void quoted(char *out, size_t len, const char *s)
{
    size_t n = 0;
    if (len < 3)
        return;
    out[n++] = '"';
    for (; *s && n + 3 < len; s++) {
        if (*s == '"' || *s == '\\')
            out[n++] = '\\';
        out[n++] = *s;
    }
    out[n++] = '"';
    out[n] = '\0';
}

/* The filter that finds a node's traces: by name, and by type when it has an origin. */
static void node_filter(const map_edge *into, char *out, size_t len)
{
    char name[340], type[140];
    quoted(name, sizeof name, into->to_name);
    if (into->to_type[0]) {
        quoted(type, sizeof type, into->to_type);
        snprintf(out, len, "service(id(name: %s, type: %s))", name, type);
    } else {
        snprintf(out, len, "service(%s)", name);
    }
}

static void edge_filter(const map_edge *e, char *out, size_t len)
{
    if (!e->from_name[0]) { /* from the client: the traces that entered the service */
        node_filter(e, out, len);
        return;
    }
    char from[340], to[340];
    quoted(from, sizeof from, e->from_name);
    quoted(to, sizeof to, e->to_name);
    snprintf(out, len, "edge(%s, %s)", from, to);
}

static double share(long part, long whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* The console's health breakdown: OK, error (4xx), fault (5xx), throttle (429). The map counts
 * throttles among errors, so they are taken out of the error line. */
static void health_table(FILE *out, map_health h)
{
    long ok = h.count - h.errors - h.faults, errors = h.errors - h.throttles;
    ok = ok < 0 ? 0 : ok;
    fprintf(out, "<table class=\"health\"><tr><th>Requests</th><td class=\"requests\">%ld</td></tr>"
                 "<tr><th>Average</th><td>%.3f ms</td></tr>"
                 "<tr><th>OK</th><td class=\"ok\">%ld (%.0f%%)</td></tr>"
                 "<tr><th>Error (4xx)</th><td class=\"error\">%ld (%.0f%%)</td></tr>"
                 "<tr><th>Fault (5xx)</th><td class=\"fault\">%ld (%.0f%%)</td></tr>"
                 "<tr><th>Throttle (429)</th><td class=\"throttle\">%ld (%.0f%%)</td></tr></table>\n",
            h.count, h.count ? h.total_s / (double)h.count * 1000 : 0, ok, share(ok, h.count), errors,
            share(errors, h.count), h.faults, share(h.faults, h.count), h.throttles, share(h.throttles, h.count));
}

/* The panel's histogram and "View traces": a bucket narrows the node's (or edge's) own calls,
 * filter { responsetime ... }. */
static void panel_end(FILE *out, const double *values, int n, const char *filter, const html_links *links)
{
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%.1000s { ", filter);
    if (n)
        fputs("<h4>Response time distribution</h4>\n", out);
    html_histogram_of(out, values, n, links, prefix, " }");
    if (links) {
        fputs("<p><a class=\"view-traces\" href=\"", out);
        html_list_url(out, links, filter);
        fputs("\">View traces</a></p>\n", out);
    }
    fputs("</div>\n", out);
}

static void node_panel(FILE *out, const trace_map *m, int j, const char *name, const html_links *links)
{
    map_health h = map_node_health(m, name);
    fprintf(out, "<div class=\"panel\" id=\"panel-node-%d\" hidden><h3>", j);
    html_escape(out, name);
    fputs("</h3>\n", out);
    if (!h.count) {
        fputs("<p>The callers of the traced services.</p></div>\n", out);
        return;
    }
    health_table(out, h);
    double *values = malloc(sizeof *values * (size_t)h.count);
    int n = 0;
    const map_edge *into = NULL;
    for (int i = 0; i < m->n; i++) {
        if (strcmp(m->edges[i].to, name))
            continue;
        into = &m->edges[i];
        for (long k = 0; values && k < into->calls.n && n < h.count; k++)
            values[n++] = into->calls.v[k];
    }
    char filter[1024];
    node_filter(into, filter, sizeof filter);
    panel_end(out, values, n, filter, links);
    free(values);
}

static void edge_panel(FILE *out, const map_edge *e, int i, const html_links *links)
{
    fprintf(out, "<div class=\"panel\" id=\"panel-edge-%d\" hidden><h3>", i);
    html_escape(out, e->from);
    fputs(" \u2192 ", out);
    html_escape(out, e->to);
    fputs("</h3>\n", out);
    health_table(out, (map_health){e->count, e->errors, e->faults, e->throttles, e->total_s});
    char filter[1024];
    edge_filter(e, filter, sizeof filter);
    panel_end(out, e->calls.v, (int)e->calls.n, filter, links);
}

static void legend(FILE *out)
{
    static const char *const items[][2] = {{"#38a169", "OK"}, {"#dd6b20", "Error (4xx)"},
                                           {"#e53e3e", "Fault (5xx)"}, {"#805ad5", "Throttle (429)"}};
    fputs("<p class=\"legend\">", out);
    for (size_t i = 0; i < sizeof items / sizeof *items; i++)
        fprintf(out, "<span class=\"key\"><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"5\" "
                     "fill=\"%s\"/></svg> %s</span> ", items[i][0], items[i][1]);
    fputs("<span class=\"hint\">The ring around a node: its calls by health. Click a node or an edge for "
          "its details; wheel or buttons to zoom, drag to pan.</span></p>\n", out);
}

void html_map(FILE *out, const trace_map *m, const html_links *links)
{
    fputs("<h1>Trace map</h1>\n", out);
    if (m->n) {
        legend(out);
        fputs("<p class=\"zoom\"><button id=\"zoom-in\">+</button> <button id=\"zoom-out\">\u2212</button> "
              "<button id=\"zoom-reset\">Reset</button></p>\n", out);
    }
    map_print_svg(out, m);
    if (!m->n)
        return;
    const char *names[MAP_MAX_NODES];
    int n = map_node_names(m, names, MAP_MAX_NODES);
    fputs("<div id=\"panels\">\n", out);
    cJSON *health = cJSON_CreateObject();
    for (int j = 0; j < n; j++) {
        node_panel(out, m, j, names[j], links);
        map_health h = map_node_health(m, names[j]);
        cJSON *ring = cJSON_CreateObject();
        long ok = h.count - h.errors - h.faults;
        cJSON_AddNumberToObject(ring, "ok", (double)(ok < 0 ? 0 : ok));
        cJSON_AddNumberToObject(ring, "error", (double)(h.errors - h.throttles));
        cJSON_AddNumberToObject(ring, "fault", (double)h.faults);
        cJSON_AddNumberToObject(ring, "throttle", (double)h.throttles);
        char id[32];
        snprintf(id, sizeof id, "node-%d", j);
        cJSON_AddItemToObject(health, id, ring);
    }
    for (int i = 0; i < m->n; i++)
        edge_panel(out, &m->edges[i], i, links);
    fputs("</div>\n<script type=\"application/json\" id=\"map-health\">", out);
    html_script_json(out, health);
    fputs("</script>\n", out);
    cJSON_Delete(health);
}
