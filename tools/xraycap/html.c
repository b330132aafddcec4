/* html.c — see html.h. */
#include "html.h"
#include "timeline.h"
#include "map.h"

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

void html_begin(FILE *out, const char *title)
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
          ".bar{cursor:pointer}.err{color:#c53030}\n"
          "</style></head><body>\n<nav><a href=\"/\">Traces</a><a href=\"/map\">Trace map</a></nav>\n", out);
}

void html_end(FILE *out) { fputs("</body></html>\n", out); }

static void flags(FILE *out, const trace *t)
{
    if (t->fault) fputs("<span class=\"fault\">fault</span> ", out);
    if (t->error) fputs("<span class=\"error\">error</span> ", out);
    if (t->throttle) fputs("<span class=\"throttle\">throttle</span> ", out);
}

void html_trace_list(FILE *out, trace *traces, int n, const char *filter, const char *error)
{
    fputs("<h1>Traces</h1>\n<form method=\"get\" action=\"/\"><input id=\"filter\" name=\"filter\" "
          "size=\"60\" placeholder='annotation.user = \"alice\" AND responsetime &gt; 0.5' value=\"", out);
    html_escape(out, filter ? filter : "");
    fputs("\"> <button>Filter</button></form>\n", out);
    if (error) {
        fputs("<pre class=\"err\" id=\"filter-error\">", out);
        html_escape(out, error);
        fputs("</pre>\n", out);
    }
    fputs("<table id=\"traces\"><tr><th>Trace</th><th>Start</th><th>Duration</th><th>Method</th>"
          "<th>URL</th><th>Status</th><th>Flags</th><th>Annotations</th></tr>\n", out);
    for (int i = 0; i < n; i++) {
        const trace *t = &traces[i];
        char when[32], dur[32], status[16];
        time_t sec = (time_t)t->start;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&sec));
        snprintf(dur, sizeof dur, "%.1f ms", (t->end - t->start) * 1000);
        snprintf(status, sizeof status, "%d", t->status);
        fputs("<tr class=\"trace\"><td><a href=\"/trace/", out);
        html_escape(out, t->id);
        fputs("\">", out);
        html_escape(out, t->id);
        fprintf(out, "</a></td><td>%s</td><td>%s</td><td>", when, dur);
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

typedef struct svg_ctx {
    FILE *out;
    double t0, span;
    int row;
    cJSON *details;
} svg_ctx;

static void svg_row(const cJSON *e, int depth, const cJSON *seg, void *arg)
{
    (void)seg;
    svg_ctx *c = arg;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name"), *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "start_time");
    double start = cJSON_IsNumber(st) ? st->valuedouble : c->t0, dur = entity_duration(e);
    double x = 320 + (c->span > 0 ? (start - c->t0) / c->span * 600 : 0);
    double w = c->span > 0 ? dur / c->span * 600 : 600;
    if (w < 1)
        w = 1;
    const char *color = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fault")) ? "#e53e3e"
                        : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "error")) ? "#dd6b20" : "#3182ce";
    int y = 10 + c->row * 24;
    fprintf(c->out, "<g class=\"bar\" data-id=\"");
    html_escape(c->out, cJSON_IsString(id) ? id->valuestring : "");
    fprintf(c->out, "\" onclick=\"show(this.dataset.id)\"><text x=\"%d\" y=\"%d\" font-size=\"12\">", 10 + depth * 14, y + 13);
    char label[256];
    timeline_label(e, label, sizeof label); /* a summary: "hot ×999,936" */
    html_escape(c->out, label);
    (void)name;
    fprintf(c->out, "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.3f ms</text></g>\n",
            x, y, w, color, 930, y + 13, dur * 1000);
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

void html_timeline(FILE *out, const trace *t)
{
    int rows = 0;
    trace_walk(t, count_rows, &rows);
    fputs("<h1>Trace <span id=\"trace-id\">", out);
    html_escape(out, t->id);
    fprintf(out, "</span></h1>\n<p>%.3f ms</p>\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                 "width=\"1010\" height=\"%d\">\n", (t->end - t->start) * 1000, 20 + rows * 24);
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
