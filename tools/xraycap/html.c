/* html.c — see html.h. */
#include "html.h"
#include "timeline.h"
#include "map.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

void html_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* JSON inside <script>: "<" written as \u003c so no "</script>" can close it early. */
static void script_json(FILE *out, const cJSON *v)
{
    char *text = cJSON_PrintUnformatted(v);
    for (const char *p = text; p && *p; p++) {
        if (*p == '<')
            fputs("\\u003c", out);
        else
            fputc(*p, out);
    }
    cJSON_free(text);
}

void html_begin(FILE *out, const char *title, const char *root)
{
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", out);
    html_escape(out, title);
    fputs("</title><style>\n"
          "body{font-family:system-ui,sans-serif;margin:1.5em;color:#1a202c}\n"
          "nav a{margin-right:1em}table{border-collapse:collapse}td,th{padding:4px 10px;"
          "border-bottom:1px solid #ddd;text-align:left;font-size:13px}\n"
          ".fault{color:#c53030}.error{color:#b7791f}.throttle{color:#6b46c1}\n"
          "#details{white-space:pre-wrap;font-family:monospace;font-size:12px;background:#f7fafc;"
          "border:1px solid #ddd;padding:8px;min-height:4em}\n"
          ".bar{cursor:pointer}.err{color:#c53030}.tick line{stroke:#e2e8f0}.tick text{fill:#4a5568}\n"
          "</style></head><body>\n", out);
    /* Relative links, so a saved page and one served under a prefix work as well. */
    if (root)
        fprintf(out, "<nav><a href=\"%s./\">Traces</a><a href=\"%smap\">Trace map</a></nav>\n", root, root);
}

void html_end(FILE *out) { fputs("</body></html>\n", out); }

static void flags(FILE *out, const trace *t)
{
    if (t->fault) fputs("<span class=\"fault\">fault</span> ", out);
    if (t->error) fputs("<span class=\"error\">error</span> ", out);
    if (t->throttle) fputs("<span class=\"throttle\">throttle</span> ", out);
}

void html_trace_list(FILE *out, trace *traces, int n, const char *filter, const char *error,
                     const char *root)
{
    fputs("<h1>Traces</h1>\n", out);
    if (filter) {
        fputs("<form method=\"get\" action=\"./\"><input id=\"filter\" name=\"filter\" size=\"60\" "
              "placeholder='annotation.user = \"alice\" AND responsetime &gt; 0.5' value=\"", out);
        html_escape(out, filter);
        fputs("\"> <button>Filter</button></form>\n", out);
    }
    if (error) {
        fputs("<pre class=\"err\" id=\"filter-error\">", out);
        html_escape(out, error);
        fputs("</pre>\n", out);
    }
    fputs("<table id=\"traces\"><tr><th>Trace</th><th>Name</th><th>Start</th><th>Duration</th><th>Method</th>"
          "<th>URL</th><th>Status</th><th>Flags</th><th>Annotations</th></tr>\n", out);
    for (int i = 0; i < n; i++) {
        const trace *t = &traces[i];
        char when[32], dur[32], status[16];
        time_t sec = (time_t)t->start;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&sec));
        snprintf(dur, sizeof dur, "%.1f ms", (t->end - t->start) * 1000);
        snprintf(status, sizeof status, "%d", t->status);
        fputs("<tr class=\"trace\"><td>", out);
        if (root) {
            fprintf(out, "<a href=\"%strace/", root);
            html_escape(out, t->id);
            fputs("\">", out);
        }
        html_escape(out, t->id);
        fputs(root ? "</a>" : "", out);
        fputs("</td><td class=\"name\">", out);
        const cJSON *name = t->root ? cJSON_GetObjectItemCaseSensitive(t->root, "name") : NULL;
        html_escape(out, cJSON_IsString(name) ? name->valuestring : "");
        fprintf(out, "</td><td>%s</td><td>%s</td><td>", when, dur);
        html_escape(out, t->method ? t->method : "");
        fputs("</td><td>", out);
        html_escape(out, t->url ? t->url : "");
        fprintf(out, "</td><td>%s</td><td>", t->status ? status : "");
        flags(out, t);
        fputs("</td><td>", out);
        const cJSON *a;
        cJSON_ArrayForEach(a, t->annotations) {
            char *v = cJSON_PrintUnformatted(a);
            html_escape(out, a->string);
            fputs("=", out);
            html_escape(out, v);
            fputs(" ", out);
            cJSON_free(v);
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

void html_url_encode(FILE *out, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        fprintf(out, isalnum(*c) ? "%c" : "%%%02X", *c);
}

/* The next 1, 2 or 5 times a power of ten at or above x (seconds). */
static double nice_ceiling(double x)
{
    double p = 1e-6;
    while (p * 10 <= x)
        p *= 10;
    return x <= p ? p : x <= 2 * p ? 2 * p : x <= 5 * p ? 5 * p : 10 * p;
}

void html_histogram(FILE *out, const trace *traces, int n, const char *filter)
{
    enum { BUCKETS = 10, W = 600, H = 80 };
    double top = 0;
    for (int i = 0; i < n; i++) {
        double rt = entity_duration(traces[i].root);
        top = rt > top ? rt : top;
    }
    if (!n || !(top > 0))
        return;
    double upper = nice_ceiling(top * 1.000001), width = upper / BUCKETS;
    int count[BUCKETS] = {0}, most = 1;
    for (int i = 0; i < n; i++) {
        int b = (int)(entity_duration(traces[i].root) / width);
        count[b < 0 ? 0 : b >= BUCKETS ? BUCKETS - 1 : b]++;
    }
    for (int b = 0; b < BUCKETS; b++)
        most = count[b] > most ? count[b] : most;
    fprintf(out, "<h2>Response time distribution</h2>\n<svg id=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" "
                 "width=\"%d\" height=\"%d\">\n", W + 20, H + 30);
    for (int b = 0; b < BUCKETS; b++) {
        double from = b * width, to = (b + 1) * width;
        int h = count[b] * H / most, x = 10 + b * W / BUCKETS;
        /* a bucket is a link: the list narrowed to its response times, the filter kept */
        fprintf(out, "<a class=\"bucket\" data-count=\"%d\" data-from=\"%g\" data-to=\"%g\" href=\"./?filter=", count[b],
                from, to);
        char range[1400];
        if (filter && *filter)
            snprintf(range, sizeof range, "(%s) AND responsetime >= %g AND responsetime < %g", filter, from, to);
        else
            snprintf(range, sizeof range, "responsetime >= %g AND responsetime < %g", from, to);
        html_url_encode(out, range);
        fprintf(out, "\"><title>%d trace(s), %g to %g ms</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                     "height=\"%d\" fill=\"#3182ce\"/></a>\n", count[b], from * 1000, to * 1000, x, 10 + H - h,
                W / BUCKETS - 4, h > 0 ? h : 0);
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%g</text>\n", x, H + 24, from * 1000);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%g ms</text></svg>\n", 10 + W - 20, H + 24, upper * 1000);
}

typedef struct svg_ctx {
    FILE *out;
    double t0, span;
    int row;
    cJSON *details;
} svg_ctx;

#define TL_LABEL_W 340  /* the names' column */
#define TL_BAR_W 600    /* the time scale */
#define TL_TOP 28       /* the time axis above the rows */
#define TL_ROW 24

static const char *string_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A row's name as the console shows a call: an AWS call with its operation and resource, an
 * HTTP call with its method and URL, anything else by its name (a summary of folded calls with
 * their count). */
static void row_label(const cJSON *e, char *out, size_t len)
{
    char base[256];
    timeline_label(e, base, sizeof base);
    const char *op = string_at(e, "aws", "operation");
    const char *resource = string_at(e, "aws", "table_name");
    if (!resource)
        resource = string_at(e, "aws", "bucket_name");
    if (!resource)
        resource = string_at(e, "aws", "function_name");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "http"), "request");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method"), *url = cJSON_GetObjectItemCaseSensitive(req, "url");
    bool subsegment = cJSON_HasObjectItem(e, "namespace");
    if (op)
        snprintf(out, len, "%s %s%s%s", base, op, resource ? " " : "", resource ? resource : "");
    else if (subsegment && cJSON_IsString(url))
        snprintf(out, len, "%s %s %s", base, cJSON_IsString(method) ? method->valuestring : "",
                 url->valuestring);
    else
        snprintf(out, len, "%s", base);
}

/* Cuts a label to `max` characters (not bytes), with an ellipsis. */
static void fit(char *s, int max)
{
    int chars = 0;
    for (char *p = s; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > max) {
            strcpy(p, "\u2026");
            return;
        }
    }
}

static void svg_row(const cJSON *e, int depth, const cJSON *seg, void *arg)
{
    (void)seg;
    svg_ctx *c = arg;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "start_time");
    double start = cJSON_IsNumber(st) ? st->valuedouble : c->t0, dur = entity_duration(e);
    double x = TL_LABEL_W + (c->span > 0 ? (start - c->t0) / c->span * TL_BAR_W : 0);
    double w = c->span > 0 ? dur / c->span * TL_BAR_W : TL_BAR_W;
    if (w < 1)
        w = 1;
    const char *color = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fault")) ? "#e53e3e"
                        : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "throttle")) ? "#805ad5"
                        : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "error")) ? "#dd6b20" : "#3182ce";
    int y = TL_TOP + 6 + c->row * TL_ROW;
    fprintf(c->out, "<g class=\"bar\" data-id=\"");
    html_escape(c->out, cJSON_IsString(id) ? id->valuestring : "");
    char label[512], full[512];
    row_label(e, full, sizeof full);
    snprintf(label, sizeof label, "%s", full);
    fit(label, 48 - 2 * (depth > 10 ? 10 : depth));
    fprintf(c->out, "\" onclick=\"show(this.dataset.id)\"><title>");
    html_escape(c->out, full);
    fprintf(c->out, "</title><text class=\"label\" x=\"%d\" y=\"%d\" font-size=\"12\">", 10 + depth * 12, y + 13);
    html_escape(c->out, label);
    fprintf(c->out, "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.3f ms</text></g>\n",
            x, y, w, color, TL_LABEL_W + TL_BAR_W + 10, y + 13, dur * 1000);
    cJSON *d = cJSON_Duplicate(e, 1);
    cJSON_DeleteItemFromObject(d, "subsegments");
    cJSON_AddItemToObject(c->details, cJSON_IsString(id) ? id->valuestring : "?", d);
    c->row++;
}

static void count_rows(const cJSON *e, int depth, const cJSON *seg, void *arg)
{
    (void)e;
    (void)depth;
    (void)seg;
    (*(int *)arg)++;
}

/* A tick every 1, 2 or 5 times a power of ten milliseconds, five to ten across the trace. */
static double tick_step_ms(double span_ms)
{
    double step = 1e-3;
    while (span_ms / step > 10) {
        if (span_ms / (step * 2) <= 10)
            return step * 2;
        if (span_ms / (step * 5) <= 10)
            return step * 5;
        step *= 10;
    }
    return step;
}

static void time_axis(FILE *out, double span_s, int height)
{
    double span_ms = span_s * 1000;
    if (!(span_ms > 0))
        return;
    double step = tick_step_ms(span_ms);
    fputs("<g class=\"axis\">\n", out);
    for (int i = 0; i * step <= span_ms * (1 + 1e-9) && i <= 20; i++) {
        double x = TL_LABEL_W + i * step / span_ms * TL_BAR_W;
        fprintf(out, "<g class=\"tick\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
                     "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%g ms</text></g>\n",
                x, TL_TOP - 4, x, height, x, TL_TOP - 10, i * step);
    }
    fputs("</g>\n", out);
}

void html_timeline(FILE *out, const trace *t)
{
    int rows = 0;
    trace_walk(t, count_rows, &rows);
    int height = TL_TOP + 12 + rows * TL_ROW;
    fputs("<h1>Trace <span id=\"trace-id\">", out);
    html_escape(out, t->id);
    fprintf(out, "</span></h1>\n<p>%.3f ms</p>\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                 "width=\"%d\" height=\"%d\">\n", (t->end - t->start) * 1000,
            TL_LABEL_W + TL_BAR_W + 90, height);
    time_axis(out, t->end - t->start, height);
    svg_ctx c = {out, t->start, t->end - t->start, 0, cJSON_CreateObject()};
    trace_walk(t, svg_row, &c);
    fputs("</svg>\n<h2>Details</h2><div id=\"details\">Click a row.</div>\n"
          "<script type=\"application/json\" id=\"entities\">", out);
    script_json(out, c.details);
    fputs("</script>\n<script>\nconst entities = JSON.parse(document.getElementById('entities')"
          ".textContent);\nfunction show(id) { document.getElementById('details').textContent = "
          "JSON.stringify(entities[id], null, 2); }\n</script>\n", out);
    cJSON_Delete(c.details);
}

void html_map(FILE *out, const trace_map *m)
{
    fputs("<h1>Trace map</h1>\n", out);
    map_print_svg(out, m);
}
