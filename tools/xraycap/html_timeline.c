/* html_timeline.c — a trace's segments timeline as SVG (see html.h). The rows carry their
 * depth and order (data-depth, data-row) so the page's script can fold a subtree and close
 * the gap; the entities themselves go into the page as JSON for the details panel. */
#include "html.h"
#include "timeline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TL_LABEL_W 340  /* the names' column */
#define TL_BAR_W 600    /* the time scale */
#define TL_TOP 28       /* the time axis above the rows */
#define TL_ROW 24
#define TL_STATUS_X (TL_LABEL_W + TL_BAR_W + 90)

typedef struct svg_ctx {
    FILE *out;
    double t0, span;
    int row;
    cJSON *details;
} svg_ctx;

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

static bool flag(const cJSON *e, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, name));
}

/* The status column: the HTTP status when there is one, else the entity's flag, else OK. */
static void row_status(const cJSON *e, char *out, size_t len)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "http"), "response"), "status");
    const char *word = flag(e, "fault") ? "Fault" : flag(e, "throttle") ? "Throttle" : flag(e, "error") ? "Error" : "OK";
    if (cJSON_IsNumber(st))
        snprintf(out, len, "%d %s", st->valueint, word);
    else
        snprintf(out, len, "%s", word);
}

static void svg_row(svg_ctx *c, const cJSON *e, int depth)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "start_time");
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(e, "subsegments");
    double start = cJSON_IsNumber(st) ? st->valuedouble : c->t0, dur = entity_duration(e);
    double x = TL_LABEL_W + (c->span > 0 ? (start - c->t0) / c->span * TL_BAR_W : 0);
    double w = c->span > 0 ? dur / c->span * TL_BAR_W : TL_BAR_W;
    if (w < 1)
        w = 1;
    const char *color = flag(e, "fault") ? "#e53e3e" : flag(e, "throttle") ? "#805ad5"
                      : flag(e, "error") ? "#dd6b20" : "#3182ce";
    int y = TL_TOP + 6 + c->row * TL_ROW;
    fprintf(c->out, "<g class=\"bar\" data-row=\"%d\" data-depth=\"%d\" data-id=\"", c->row, depth);
    html_escape(c->out, cJSON_IsString(id) ? id->valuestring : "");
    char label[512], full[512], status[64];
    row_label(e, full, sizeof full);
    snprintf(label, sizeof label, "%s", full);
    fit(label, 46 - 2 * (depth > 10 ? 10 : depth));
    row_status(e, status, sizeof status);
    fputs("\"><title>", c->out);
    html_escape(c->out, full);
    fputs("</title>", c->out);
    if (cJSON_GetArraySize(kids) > 0) /* its subtree folds */
        fprintf(c->out, "<text class=\"toggle\" x=\"%d\" y=\"%d\" font-size=\"12\">\u25be</text>", 2 + depth * 12,
                y + 13);
    fprintf(c->out, "<text class=\"label\" x=\"%d\" y=\"%d\" font-size=\"12\">", 14 + depth * 12, y + 13);
    html_escape(c->out, label);
    fprintf(c->out, "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.3f ms</text>"
                    "<text class=\"status\" x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text></g>\n",
            x, y, w, color, TL_LABEL_W + TL_BAR_W + 10, y + 13, dur * 1000, TL_STATUS_X, y + 13,
            strcmp(color, "#3182ce") ? color : "#2f855a", status);
    cJSON *d = cJSON_Duplicate(e, 1);
    cJSON_DeleteItemFromObject(d, "subsegments");
    cJSON_AddItemToObject(c->details, cJSON_IsString(id) ? id->valuestring : "?", d);
    c->row++;
    int n;
    const cJSON **v = timeline_in_start_order(kids, &n);
    for (int i = 0; i < n; i++)
        svg_row(c, v[i], depth + 1);
    free(v);
}

/* A segment's group: a header row with its name and origin, as the console labels it. */
static void svg_group(svg_ctx *c, const cJSON *seg)
{
    char label[320];
    timeline_group_label(seg, label, sizeof label);
    int y = TL_TOP + 6 + c->row * TL_ROW;
    fprintf(c->out, "<g class=\"group\" data-row=\"%d\" data-depth=\"-1\"><rect x=\"0\" y=\"%d\" width=\"%d\" "
                    "height=\"20\" fill=\"#edf2f7\"/><text class=\"group-label\" x=\"4\" y=\"%d\" font-size=\"12\" "
                    "font-weight=\"bold\">", c->row, y - 1, TL_STATUS_X + 80, y + 13);
    html_escape(c->out, label);
    fputs("</text></g>\n", c->out);
    c->row++;
}

static void count_rows(const cJSON *e, int depth, const cJSON *seg, void *arg)
{
    (void)e;
    (void)depth;
    (*(int *)arg) += e == seg ? 2 : 1; /* a segment has its group's header row too */
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
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\" font-weight=\"bold\">Status</text>\n", TL_STATUS_X,
            TL_TOP - 10);
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
                 "width=\"%d\" height=\"%d\" data-row-height=\"%d\">\n", (t->end - t->start) * 1000,
            TL_STATUS_X + 90, height, TL_ROW);
    time_axis(out, t->end - t->start, height);
    svg_ctx c = {out, t->start, t->end - t->start, 0, cJSON_CreateObject()};
    int n;
    const cJSON **segs = timeline_in_start_order(t->roots, &n);
    for (int i = 0; i < n; i++) {
        svg_group(&c, segs[i]);
        svg_row(&c, segs[i], 0);
    }
    free(segs);
    fputs("</svg>\n<h2>Details</h2>\n<div id=\"details-panel\"><nav class=\"tabs\">", out);
    static const char *const tabs[][2] = {{"overview", "Overview"}, {"resources", "Resources"},
                                          {"annotations", "Annotations"}, {"metadata", "Metadata"},
                                          {"exceptions", "Exceptions"}, {"raw", "Raw data"}};
    for (size_t i = 0; i < sizeof tabs / sizeof *tabs; i++)
        fprintf(out, "<button class=\"tab%s\" data-tab=\"%s\">%s</button>", i ? "" : " on", tabs[i][0], tabs[i][1]);
    fputs("</nav><div id=\"details\">Click a row.</div></div>\n"
          "<script type=\"application/json\" id=\"entities\">", out);
    html_script_json(out, c.details);
    fputs("</script>\n", out);
    cJSON_Delete(c.details);
}
