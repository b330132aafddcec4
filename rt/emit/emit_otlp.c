/* emit_otlp.c — OTLP/HTTP export, to an OpenTelemetry Collector or straight to AWS: documents
 * are queued as for the X-Ray API and turned into spans on the emitter's thread. The request is
 * set up as the OpenTelemetry SDKs set theirs up, from the same variables
 * (OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL, _COMPRESSION, _HEADERS, _TIMEOUT): protobuf by default,
 * JSON on request, gzip when asked. Sent to X-Ray's OTLP endpoint (xray.REGION.amazonaws.com)
 * each request is signed with SigV4 (service xray), with the credentials the X-Ray API emitter
 * uses; AWS_ENDPOINT_URL_XRAY sends it elsewhere, still signed for that region. */
#include "base/curl_api.h"
#include "base/config.h"
#include "base/log.h"
#include "emit/aws_signer.h"
#include "emit/emit.h"
#include "emit/gzip.h"
#include "emit/http_queue.h"
#include "emit/otlp.h"
#include "model/clock.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BATCH 50
#define MAX_SPANS 10000                 /* the X-Ray OTLP endpoint's limits per request */
#define MAX_BYTES (5 * 1024 * 1024)
#define WINDOW_PAST_NS (14LL * 24 * 3600 * 1000000000)  /* ... and the span times it takes */
#define WINDOW_AHEAD_NS (2LL * 3600 * 1000000000)

typedef struct otlp_ctx {
    char url[1024];
    bool protobuf, gzip;
    long timeout_ms;
    char headers[2048];                 /* OTEL_EXPORTER_OTLP_HEADERS, as "Name: value" lines */
    bool sign;                          /* X-Ray's OTLP endpoint: SigV4 */
    xrc_signer signer;                  /* "aws:amz:REGION:xray" and the credentials */
} otlp_ctx;

/* partialSuccess of an answer (JSON, or protobuf: ExportTraceServiceResponse field 1 holding
 * rejected_spans = 1, error_message = 2): rejected spans, logged, as documents refused (a fair
 * approximation: a request carries whole documents). */
static size_t rejected(xrc_http_queue *q, size_t n, bool protobuf)
{
    double spans = 0;
    char msg[256] = "";
    const unsigned char *p = (const unsigned char *)xrc_http_answer(q);
    size_t len = xrc_http_answer_len(q);
    if (protobuf && len > 2 && p[0] == 0x0a) { /* field 1, length-delimited */
        size_t end = 2u + p[1] < len ? 2u + p[1] : len;
        for (size_t i = 2; i < end;) {
            unsigned tag = p[i++];
            if (tag == 0x08) { /* rejected_spans: a varint */
                unsigned long long v = 0;
                for (int shift = 0; i < end && shift < 64; shift += 7) {
                    v |= (unsigned long long)(p[i] & 0x7f) << shift;
                    if (!(p[i++] & 0x80))
                        break;
                }
                spans = (double)v;
            } else if (tag == 0x12 && i < end) { /* error_message */
                size_t m = p[i++];
                snprintf(msg, sizeof msg, "%.*s", (int)(m < end - i ? m : end - i), (const char *)p + i);
                i += m;
            } else {
                break;
            }
        }
    } else if (!protobuf) {
        cJSON *r = cJSON_Parse((const char *)p);
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(r, "partialSuccess");
        const cJSON *rej = cJSON_GetObjectItemCaseSensitive(ps, "rejectedSpans");
        spans = cJSON_IsNumber(rej) ? rej->valuedouble
              : cJSON_IsString(rej) ? strtod(rej->valuestring, NULL) : 0;
        const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ps, "errorMessage"));
        snprintf(msg, sizeof msg, "%s", m ? m : "");
        cJSON_Delete(r);
    }
    if (spans > 0)
        xrc_http_fail_log(q, "the endpoint rejected %.0f span(s): %.200s", spans, msg);
    return spans > 0 ? (spans < (double)n ? (size_t)spans : n) : 0;
}

/* One request for docs[0..n): split in two while it is over the endpoint's span or byte limit. */
static xrc_post_result post(xrc_http_queue *q, CURL *curl, char **docs, const size_t *lens,
                            size_t n, size_t *refused)
{
    otlp_ctx *c = q->ctx;
    if (!c)
        return XRC_POST_REJECTED;
    size_t spans = 0, skipped = 0, len = 0;
    cJSON *tree = xrc_otlp_build(docs, lens, n, &spans, &skipped);
    if (tree && c->sign) { /* the endpoint refuses spans outside its window */
        long long now = xrc_real_ns();
        size_t out = xrc_otlp_drop_outside(tree, now - WINDOW_PAST_NS, now + WINDOW_AHEAD_NS);
        if (out) {
            atomic_fetch_add(&xrc_stats.subsegments_dropped, out);
            xrc_http_fail_log(q, "%zu span(s) not sent: they start outside the window X-Ray's OTLP "
                                 "endpoint takes (14 days past, 2 hours ahead)", out);
        }
    }
    unsigned char *body = NULL;
    if (tree && c->protobuf)
        body = xrc_otlp_protobuf(tree, &len);
    else if (tree && (body = (unsigned char *)cJSON_PrintUnformatted(tree)))
        len = strlen((char *)body);
    cJSON_Delete(tree);
    if (!body) {
        xrc_http_fail_log(q, "out of memory for a request body");
        return XRC_POST_REJECTED;
    }
    if ((spans > MAX_SPANS || len > MAX_BYTES) && n > 1) {
        free(body);
        size_t half = n / 2, r1 = 0, r2 = 0;
        xrc_post_result a = post(q, curl, docs, lens, half, &r1);
        xrc_post_result b = a == XRC_POST_OK ? post(q, curl, docs + half, lens + half, n - half, &r2) : a;
        *refused = r1 + r2;
        return b;
    }
    if (skipped)
        xrc_log(XRAY_LOG_DEBUG, "otlp emitter: %zu entities in progress or unreadable, not sent",
                skipped);
    unsigned char *zipped = NULL;
    size_t zipped_len = 0;
    bool gzipped = c->gzip && xrc_gzip(body, len, &zipped, &zipped_len);
    struct curl_slist *headers = xrc_curl.slist_append(
        NULL, c->protobuf ? "Content-Type: application/x-protobuf" : "Content-Type: application/json");
    if (gzipped)
        headers = xrc_curl.slist_append(headers, "Content-Encoding: gzip");
    for (char *line = c->headers, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        headers = xrc_curl.slist_append(headers, line);
        *nl = '\n';
    }
    xrc_curl.easy_reset(curl);
    xrc_http_setup(q, curl);
    if (c->sign && !xrc_signer_apply(&c->signer, q, curl, &headers)) {
        xrc_curl.slist_free_all(headers);
        free(body);
        free(zipped);
        return XRC_POST_REJECTED;
    }
    xrc_curl.easy_setopt(curl, CURLOPT_URL, c->url);
    xrc_curl.easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    xrc_curl.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    xrc_curl.easy_setopt(curl, CURLOPT_POSTFIELDS, gzipped ? zipped : body);
    xrc_curl.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(gzipped ? zipped_len : len));
    long status;
    xrc_post_result r = xrc_http_perform(q, curl, c->url, &status);
    xrc_curl.slist_free_all(headers);
    free(body);
    free(zipped);
    if (r == XRC_POST_OK)
        *refused = rejected(q, n, c->protobuf);
    if (c->sign)
        xrc_signer_answered(&c->signer, status);
    return r;
}

xrc_http_queue xrc_otlp_queue = {.what = "otlp", .batch = BATCH, .post = post,
                          .lock = PTHREAD_MUTEX_INITIALIZER};

/* The traces variable, else the general one (as the OpenTelemetry SDKs read them). */
static const char *otel_var(const char *traces, const char *general)
{
    const char *v = getenv(traces);
    return v && *v ? v : (v = getenv(general)) && *v ? v : NULL;
}

/* "k1=v1,k2=v2" (values URL-encoded) as "k1: v1\n" lines; false (and why, which never quotes a
 * value) for a malformed list, a name that is not a header token, or a value with a control
 * character. */
static bool parse_headers(const char *text, char *out, size_t n, char *why, size_t whylen)
{
    size_t used = 0;
    int entry = 0;
    out[0] = '\0';
    for (const char *p = text; *p; entry++) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        while (p < end && *p == ' ')
            p++;
        if (p == end) {
            p = comma ? comma + 1 : end;
            continue;
        }
        if (!eq || eq == p) {
            /* said by position: the entry may be a secret without its name */
            snprintf(why, whylen, "entry %d is not name=value", entry + 1);
            return false;
        }
        const char *name_end = eq;
        while (name_end > p && name_end[-1] == ' ')
            name_end--;
        for (const char *c = p; c < name_end; c++)
            if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-.^_`|~", *c)) {
                snprintf(why, whylen, "'%.*s' is not a header name", (int)(name_end - p), p);
                return false;
            }
        char value[1024];
        size_t v = 0;
        const char *first = eq + 1, *last = end; /* spaces around the value are not part of it */
        while (first < last && *first == ' ')
            first++;
        while (last > first && last[-1] == ' ')
            last--;
        for (const char *c = first; c < last && v + 1 < sizeof value; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch == '%' && c + 2 < last && isxdigit((unsigned char)c[1]) && isxdigit((unsigned char)c[2])) {
                char hex[3] = {c[1], c[2], 0};
                ch = (unsigned char)strtol(hex, NULL, 16);
                c += 2;
            }
            if (ch < 0x20 || ch == 0x7f) {
                snprintf(why, whylen, "the value of '%.*s' holds a control character", (int)(name_end - p), p);
                return false;
            }
            value[v++] = (char)ch;
        }
        value[v] = '\0';
        int w = snprintf(out + used, n - used, "%.*s: %s\n", (int)(name_end - p), p, value);
        if (w < 0 || (size_t)w >= n - used) {
            snprintf(why, whylen, "the headers are longer than %zu characters", n - 1);
            return false;
        }
        used += (size_t)w;
        p = comma ? comma + 1 : end;
    }
    return true;
}

/* X-Ray's OTLP endpoint: signed for service xray in the host's region; AWS_ENDPOINT_URL_XRAY,
 * as the AWS SDKs read it, sends the request there instead. */
static void aws_endpoint(otlp_ctx *c)
{
    const char *host = strstr(c->url, "://");
    host = host ? host + 3 : c->url;
    size_t hl = strcspn(host, "/:?#");
    char region[64];
    if (strncmp(host, "xray.", 5) || hl <= 5 ||
        (!(hl > 19 && !strncmp(host + hl - 14, ".amazonaws.com", 14)) &&
         !(hl > 22 && !strncmp(host + hl - 17, ".amazonaws.com.cn", 17))))
        return;
    size_t rl = strcspn(host + 5, ".");
    snprintf(region, sizeof region, "%.*s", (int)(rl < sizeof region - 1 ? rl : sizeof region - 1), host + 5);
    c->sign = true;
    snprintf(c->signer.sigv4, sizeof c->signer.sigv4, "aws:amz:%s:xray", region);
    const char *other = getenv("AWS_ENDPOINT_URL_XRAY");
    if (other && *other) {
        size_t ol = strlen(other);
        while (ol && other[ol - 1] == '/')
            ol--;
        char path[512];
        snprintf(path, sizeof path, "%s", host + strcspn(host, "/?#"));
        snprintf(c->url, sizeof c->url, "%.*s%s", (int)ol, other, path);
    }
}

void xrc_otlp_set(const char *url)
{
    otlp_ctx *c = NULL;
    if (url[0] && (c = calloc(1, sizeof *c))) {
        char region[64];
        if (!strcmp(url, "xray") && !xrc_aws_region(region, sizeof region)) {
            xrc_log(XRAY_LOG_ERROR, "otlp:xray: no AWS region (AWS_REGION, AWS_DEFAULT_REGION or "
                                    "the profile's); using us-east-1");
            snprintf(region, sizeof region, "us-east-1");
        }
        if (!strcmp(url, "xray")) /* the shortcut: X-Ray's OTLP endpoint in the region */
            snprintf(c->url, sizeof c->url, "https://xray.%s.amazonaws.com/v1/traces", region);
        else
            snprintf(c->url, sizeof c->url, "%s", url);
        const char *v = otel_var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
        c->protobuf = !v || strcmp(v, "http/json");
        if (v && strcmp(v, "http/json") && strcmp(v, "http/protobuf"))
            xrc_log(XRAY_LOG_ERROR, "OTEL_EXPORTER_OTLP_PROTOCOL=%.40s: only http/protobuf and "
                                    "http/json are spoken; sending http/protobuf", v);
        v = otel_var("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION");
        c->gzip = v && !strcmp(v, "gzip");
        if (v && strcmp(v, "gzip") && strcmp(v, "none"))
            xrc_log(XRAY_LOG_ERROR, "OTEL_EXPORTER_OTLP_COMPRESSION=%.40s is not gzip or none; "
                                    "sending uncompressed", v);
        c->timeout_ms = 10000;
        v = otel_var("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT");
        char *end;
        long ms = v ? strtol(v, &end, 10) : 0;
        if (v && (!isdigit((unsigned char)*v) || *end || ms < 1 || ms > 600000))
            xrc_log(XRAY_LOG_ERROR, "OTEL_EXPORTER_OTLP_TIMEOUT=%.40s is not a number of "
                                    "milliseconds from 1 to 600000; using 10000", v);
        else if (v)
            c->timeout_ms = ms;
        v = otel_var("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS");
        char why[200];
        if (v && !parse_headers(v, c->headers, sizeof c->headers, why, sizeof why)) {
            xrc_log(XRAY_LOG_ERROR, "OTEL_EXPORTER_OTLP_HEADERS: %s; sending no extra header", why);
            c->headers[0] = '\0';
        }
        aws_endpoint(c);
    }
    xrc_http_queue_stop(&xrc_otlp_queue, c, free);
}
