/* html.c — see html.h. */
#include "html.h"
#include "timeline.h"
#include "map.h"

#include <ctype.h>
#include <limits.h>
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

void html_script_json(FILE *out, const cJSON *v)
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
          "#details{font-size:12px;background:#f7fafc;border:1px solid #ddd;padding:8px;min-height:4em}\n"
          "#details pre{white-space:pre-wrap;font-family:monospace}.stack{color:#4a5568}\n"
          ".tabs button{border:0;background:none;padding:6px 10px;cursor:pointer}"
          ".tabs button.on{border-bottom:2px solid #3182ce;font-weight:bold}\n"
          ".toggle{cursor:pointer;fill:#4a5568}.panel{border:1px solid #ddd;padding:8px;margin:8px 0}"
          ".legend .key{margin-right:1em}.hint{color:#4a5568;font-size:12px}\n"
          /* a wide map fits the window; zooming shows its parts */
          ".map svg{max-width:100%;height:auto;border:1px solid #edf2f7}\n"
          ".bar{cursor:pointer}.err{color:#c53030}.tick line{stroke:#e2e8f0}.tick text{fill:#4a5568}\n"
          "</style></head><body>\n", out);
    /* Relative links, so a saved page and one served under a prefix work as well. */
    if (root)
        fprintf(out, "<nav><a href=\"%s./\">Traces</a><a href=\"%smap\">Trace map</a></nav>\n", root, root);
}

void html_end(FILE *out)
{
    html_script(out);
    fputs("</body></html>\n", out);
}

static void flags(FILE *out, const trace *t)
{
    if (t->fault) fputs("<span class=\"fault\">fault</span> ", out);
    if (t->error) fputs("<span class=\"error\">error</span> ", out);
    if (t->throttle) fputs("<span class=\"throttle\">throttle</span> ", out);
}

void html_trace_list(FILE *out, trace *traces, int n, const html_form *form, const char *error,
                     const char *root)
{
    fputs("<h1>Traces</h1>\n", out);
    if (form) {
        fputs("<form method=\"get\" action=\"./\"><input id=\"filter\" name=\"filter\" size=\"60\" "
              "placeholder='annotation.user = \"alice\" AND responsetime &gt; 0.5' value=\"", out);
        html_escape(out, form->filter);
        fputs("\">", out);
        /* the group and the time range stay as they are when the filter changes */
        html_hidden(out, "group", form->group);
        html_hidden(out, "since", form->since);
        html_hidden(out, "from", form->from);
        html_hidden(out, "to", form->to);
        fputs(" <button>Filter</button></form>\n", out);
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

void html_hidden(FILE *out, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    fprintf(out, "<input type=\"hidden\" name=\"%s\" value=\"", name);
    html_escape(out, value);
    fputs("\">", out);
}

void html_list_url(FILE *out, const html_links *links, const char *filter)
{
    html_escape(out, links->root);
    fputs("./?filter=", out);
    html_url_encode(out, filter);
    html_escape(out, links->range);
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

void html_histogram_of(FILE *out, const double *values, int n, const html_links *links, const char *prefix,
                       const char *suffix)
{
    enum { BUCKETS = 10, W = 600, H = 80 };
    double top = 0;
    for (int i = 0; i < n; i++)
        top = values[i] > top ? values[i] : top;
    if (!n || !(top > 0))
        return;
    double upper = nice_ceiling(top * 1.000001), width = upper / BUCKETS;
    int count[BUCKETS] = {0}, most = 1;
    for (int i = 0; i < n; i++) {
        int b = (int)(values[i] / width);
        count[b < 0 ? 0 : b >= BUCKETS ? BUCKETS - 1 : b]++;
    }
    for (int b = 0; b < BUCKETS; b++)
        most = count[b] > most ? count[b] : most;
    /* the prefix and suffix let the page's script build the filter of a dragged range */
    fprintf(out, "<svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\"",
            W + 20, H + 30);
    if (links) {
        fputs(" data-root=\"", out);
        html_escape(out, links->root);
        fputs("\" data-range=\"", out);
        html_escape(out, links->range);
        fputs("\" data-prefix=\"", out);
        html_escape(out, prefix);
        fputs("\" data-suffix=\"", out);
        html_escape(out, suffix);
        fputs("\"", out);
    }
    fputs(">\n", out);
    for (int b = 0; b < BUCKETS; b++) {
        double from = b * width, to = (b + 1) * width;
        int h = count[b] * H / most, x = 10 + b * W / BUCKETS;
        /* a bucket is a link (where there is a server): the list narrowed to its range */
        fprintf(out, "<a class=\"bucket\" data-count=\"%d\" data-from=\"%g\" data-to=\"%g\"", count[b], from, to);
        if (links) {
            char range[1400];
            snprintf(range, sizeof range, "%sresponsetime >= %g AND responsetime < %g%s", prefix, from, to, suffix);
            fputs(" href=\"", out);
            html_list_url(out, links, range);
            fputs("\"", out);
        }
        fprintf(out, "><title>%d in %g to %g ms</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                     "height=\"%d\" fill=\"#3182ce\"/><rect class=\"hit\" x=\"%d\" y=\"10\" width=\"%d\" "
                     "height=\"%d\" fill=\"transparent\"/></a>\n", count[b], from * 1000, to * 1000, x, 10 + H - h,
                W / BUCKETS - 4, h > 0 ? h : 0, x, W / BUCKETS, H);
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%g</text>\n", x, H + 24, from * 1000);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%g ms</text></svg>\n", 10 + W - 20, H + 24, upper * 1000);
}

void html_histogram(FILE *out, const double *rt, long n, const char *filter, const char *range)
{
    char prefix[1100] = "";
    if (filter && *filter)
        snprintf(prefix, sizeof prefix, "(%.1000s) AND ", filter);
    fputs("<h2>Response time distribution</h2>\n", out);
    html_histogram_of(out, rt, n > INT_MAX ? INT_MAX : (int)n, &(html_links){"", range}, prefix, "");
}
