/* otlp.c — the X-Ray to OpenTelemetry mapping, done on the OTLP emitter's thread from the
 * documents the serializer already wrote (so the program's threads do the work once). Field
 * names follow the OpenTelemetry semantic conventions for HTTP, RPC (aws-api) and databases,
 * and the aws.xray.* names the OpenTelemetry Collector's X-Ray components use. */
#include "emit/otlp.h"
#include "emit/plugins.h"
#include "xray_capture.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_INTERNAL = 1, KIND_SERVER = 2, KIND_CLIENT = 3 };
enum { STATUS_ERROR = 2 };

typedef struct conv {
    cJSON *resources;        /* array of resourceSpans */
    size_t spans, skipped;
} conv;

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }
static const char *str(const cJSON *o, const char *k) { return cJSON_GetStringValue(get(o, k)); }

/* "1-5759e988-bd862e3fe1be46a994272793" -> "5759e988bd862e3fe1be46a994272793" */
static bool trace_id32(const char *x, char out[33])
{
    if (!x || strlen(x) != 35 || strncmp(x, "1-", 2) || x[10] != '-')
        return false;
    memcpy(out, x + 2, 8);
    memcpy(out + 8, x + 11, 24);
    out[32] = '\0';
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)out[i]))
            return false;
    return true;
}

static bool span_id(const char *x)
{
    if (!x || strlen(x) != 16)
        return false;
    for (int i = 0; i < 16; i++)
        if (!isxdigit((unsigned char)x[i]))
            return false;
    return true;
}

/* Epoch seconds (microsecond resolution in X-Ray documents) as a decimal nanosecond string. */
static void nanos(double seconds, char out[32])
{
    uint64_t us = (uint64_t)llround(seconds * 1e6);
    snprintf(out, 32, "%" PRIu64 "000", us);
}

static void attr(cJSON *attrs, const char *key, cJSON *value)
{
    if (!value)
        return;
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "key", key);
    cJSON_AddItemToObject(a, "value", value);
    cJSON_AddItemToArray(attrs, a);
}

static cJSON *v_str(const char *s)
{
    if (!s)
        return NULL;
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "stringValue", s);
    return v;
}

static cJSON *v_bool(bool b)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddBoolToObject(v, "boolValue", b);
    return v;
}

/* Whole numbers as intValue (a decimal string in OTLP JSON), others as doubleValue. */
static cJSON *v_num(double d)
{
    cJSON *v = cJSON_CreateObject();
    if (d == floor(d) && fabs(d) < 9e15) {
        char s[32];
        snprintf(s, sizeof s, "%.0f", d);
        cJSON_AddStringToObject(v, "intValue", s);
    } else {
        cJSON_AddNumberToObject(v, "doubleValue", d);
    }
    return v;
}

/* A JSON value as an attribute value: scalars as themselves, the rest as JSON text. */
static cJSON *v_json(const cJSON *j)
{
    if (cJSON_IsString(j))
        return v_str(j->valuestring);
    if (cJSON_IsBool(j))
        return v_bool(cJSON_IsTrue(j));
    if (cJSON_IsNumber(j))
        return v_num(j->valuedouble);
    char *text = cJSON_PrintUnformatted(j);
    cJSON *v = v_str(text ? text : "null");
    cJSON_free(text);
    return v;
}

static void put_string_field(cJSON *attrs, const cJSON *o, const char *field, const char *key)
{
    const char *s = str(o, field);
    if (s)
        attr(attrs, key, v_str(s));
}

static void put_number_field(cJSON *attrs, const cJSON *o, const char *field, const char *key)
{
    const cJSON *n = get(o, field);
    if (cJSON_IsNumber(n))
        attr(attrs, key, v_num(n->valuedouble));
}

/* scheme://host[:port]/path?query → its parts ("" for what is missing; port 0 for none). */
typedef struct url_parts {
    char scheme[16], host[256], path[2048];
    int port;
} url_parts;

static void split_url(const char *url, url_parts *u)
{
    memset(u, 0, sizeof *u);
    const char *p = url, *sep = strstr(url, "://");
    if (sep && (size_t)(sep - url) < sizeof u->scheme) {
        snprintf(u->scheme, sizeof u->scheme, "%.*s", (int)(sep - url), url);
        p = sep + 3;
        size_t hl = strcspn(p, "/?#");
        const char *at = memchr(p, '@', hl);
        if (at) {
            hl -= (size_t)(at + 1 - p);
            p = at + 1;
        }
        const char *colon = NULL;
        if (*p == '[') { /* [::1]:8080 */
            const char *close = memchr(p, ']', hl);
            if (close && close + 1 < p + hl && close[1] == ':')
                colon = close + 1;
        } else {
            colon = memchr(p, ':', hl);
        }
        size_t host_len = colon ? (size_t)(colon - p) : hl;
        snprintf(u->host, sizeof u->host, "%.*s", (int)host_len, p);
        if (colon)
            u->port = atoi(colon + 1);
        else
            u->port = !strcmp(u->scheme, "https") ? 443 : !strcmp(u->scheme, "http") ? 80 : 0;
        p += hl;
    }
    snprintf(u->path, sizeof u->path, "%.*s", (int)strcspn(p, "?#"), *p ? p : "/");
}

/* HTTP as the stable semantic conventions have it: a client span names the whole URL and the
 * server it called; a server span the path and scheme it was asked for. */
static void put_http(cJSON *attrs, const cJSON *http, bool server)
{
    const cJSON *rq = get(http, "request"), *rs = get(http, "response");
    const char *url = str(rq, "url");
    put_string_field(attrs, rq, "method", "http.request.method");
    if (url) {
        url_parts u;
        split_url(url, &u);
        if (server) {
            attr(attrs, "url.path", v_str(u.path));
            if (u.scheme[0])
                attr(attrs, "url.scheme", v_str(u.scheme));
        } else {
            attr(attrs, "url.full", v_str(url));
        }
        if (u.host[0])
            attr(attrs, "server.address", v_str(u.host));
        if (u.port > 0)
            attr(attrs, "server.port", v_num(u.port));
    }
    put_string_field(attrs, rq, "user_agent", "user_agent.original");
    put_string_field(attrs, rq, "client_ip", "client.address");
    if (cJSON_IsBool(get(rq, "x_forwarded_for")))
        attr(attrs, "aws.xray.x_forwarded_for", v_bool(cJSON_IsTrue(get(rq, "x_forwarded_for"))));
    if (cJSON_IsBool(get(rq, "traced")))
        attr(attrs, "aws.xray.traced", v_bool(cJSON_IsTrue(get(rq, "traced"))));
    put_number_field(attrs, rs, "status", "http.response.status_code");
    put_number_field(attrs, rs, "content_length", "http.response.body.size");
}

static void put_aws(cJSON *attrs, const cJSON *aws, const char *name, bool aws_call)
{
    if (aws_call) {
        attr(attrs, "rpc.system", v_str("aws-api"));
        attr(attrs, "rpc.service", v_str(name));
    }
    put_string_field(attrs, aws, "operation", "rpc.method");
    put_string_field(attrs, aws, "region", "cloud.region");
    put_string_field(attrs, aws, "request_id", "aws.request_id");
    put_number_field(attrs, aws, "retries", "aws.xray.retries");
    put_string_field(attrs, aws, "bucket_name", "aws.s3.bucket");
    put_string_field(attrs, aws, "key", "aws.s3.key");
    const char *table = str(aws, "table_name");
    if (table) {
        cJSON *v = cJSON_CreateObject(), *arr = cJSON_CreateObject(), *values = cJSON_CreateArray();
        cJSON_AddItemToArray(values, v_str(table));
        cJSON_AddItemToObject(arr, "values", values);
        cJSON_AddItemToObject(v, "arrayValue", arr);
        attr(attrs, "aws.dynamodb.table_names", v);
    }
}

static void put_sql(cJSON *attrs, const cJSON *sql)
{
    const char *type = str(sql, "database_type");
    if (type) {
        char sys[64];
        snprintf(sys, sizeof sys, "%s", !strncmp(type, "sqlite", 6) ? "sqlite" : type);
        for (char *p = sys; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        attr(attrs, "db.system", v_str(sys));
    }
    put_string_field(attrs, sql, "sanitized_query", "db.query.text");
    put_string_field(attrs, sql, "url", "db.namespace");
    put_string_field(attrs, sql, "database_version", "db.version");
    put_string_field(attrs, sql, "user", "db.user");
}

static void put_annotations(cJSON *attrs, const cJSON *ann)
{
    if (!cJSON_IsObject(ann) || !ann->child)
        return;
    cJSON *keys = cJSON_CreateArray();
    for (const cJSON *a = ann->child; a; a = a->next) {
        attr(attrs, a->string, v_json(a));
        cJSON_AddItemToArray(keys, v_str(a->string));
    }
    cJSON *v = cJSON_CreateObject(), *arr = cJSON_CreateObject();
    cJSON_AddItemToObject(arr, "values", keys);
    cJSON_AddItemToObject(v, "arrayValue", arr);
    attr(attrs, "aws.xray.annotations", v);
}

/* As the Collector's X-Ray receiver writes it, and its exporter reads it back: one attribute
 * per namespace, holding the namespace's object as JSON text. */
static void put_metadata(cJSON *attrs, const cJSON *meta)
{
    if (!cJSON_IsObject(meta))
        return;
    for (const cJSON *ns = meta->child; ns; ns = ns->next) {
        char key[300];
        snprintf(key, sizeof key, "aws.xray.metadata.%.250s", ns->string);
        char *text = cJSON_PrintUnformatted(ns);
        attr(attrs, key, v_str(text ? text : "{}"));
        cJSON_free(text);
    }
}

/* Exceptions of `cause` as OTel exception events at the span's end. */
static void put_exceptions(cJSON *span, const cJSON *cause, const char *end)
{
    const cJSON *list = get(cause, "exceptions");
    if (!cJSON_IsArray(list) || !list->child)
        return;
    cJSON *events = cJSON_AddArrayToObject(span, "events");
    for (const cJSON *x = list->child; x; x = x->next) {
        cJSON *ev = cJSON_CreateObject(), *attrs = cJSON_CreateArray();
        cJSON_AddStringToObject(ev, "timeUnixNano", end);
        cJSON_AddStringToObject(ev, "name", "exception");
        put_string_field(attrs, x, "type", "exception.type");
        put_string_field(attrs, x, "message", "exception.message");
        const cJSON *stack = get(x, "stack");
        if (cJSON_IsArray(stack) && stack->child) {
            size_t cap = 4096, len = 0;
            char *trace = malloc(cap);
            if (trace) {
                trace[0] = '\0';
                for (const cJSON *f = stack->child; f && len + 600 < cap; f = f->next) {
                    const cJSON *line = get(f, "line");
                    len += (size_t)snprintf(trace + len, cap - len, "at %.250s (%.300s:%d)\n",
                                            str(f, "label") ? str(f, "label") : "?",
                                            str(f, "path") ? str(f, "path") : "?",
                                            cJSON_IsNumber(line) ? line->valueint : 0);
                }
                attr(attrs, "exception.stacktrace", v_str(trace));
                free(trace);
            }
        }
        cJSON_AddItemToObject(ev, "attributes", attrs);
        cJSON_AddItemToArray(events, ev);
    }
}

/* The span's status and error.type. A fault is an error everywhere; an error or throttle
 * (4xx) is an error on a client span but leaves a server span's status unset: the server did
 * its job, the client asked wrongly. error.type: the status code, else the exception type. */
static void put_status(cJSON *span, cJSON *attrs, const cJSON *e, bool server)
{
    bool fault = cJSON_IsTrue(get(e, "fault")), throttle = cJSON_IsTrue(get(e, "throttle"));
    bool error = cJSON_IsTrue(get(e, "error"));
    if (!fault && !throttle && !error)
        return;
    const cJSON *status = get(get(get(e, "http"), "response"), "status");
    const cJSON *x = get(get(e, "cause"), "exceptions");
    const char *type = cJSON_IsArray(x) && x->child ? str(x->child, "type") : NULL;
    char code[16];
    if (cJSON_IsNumber(status)) {
        snprintf(code, sizeof code, "%d", status->valueint);
        type = code;
    }
    attr(attrs, "error.type", v_str(type ? type : "_OTHER"));
    if (server && !fault)
        return;
    cJSON *st = cJSON_AddObjectToObject(span, "status");
    cJSON_AddNumberToObject(st, "code", STATUS_ERROR);
    cJSON_AddStringToObject(st, "message", fault ? "fault" : throttle ? "throttle" : "error");
}

/* The platform's resource attributes (emit/plugins.c): cloud.*, host.*, aws.ecs.*, k8s.*. */
static void platform_attributes(const xrc_platform *p, void *ctx)
{
    for (const cJSON *a = p->resource ? p->resource->child : NULL; a; a = a->next)
        attr(ctx, a->string, v_str(a->valuestring));
}

/* The scopeSpans' span list of the resource named `service`, made on first use. */
static cJSON *span_list(conv *c, const char *service)
{
    for (cJSON *rs = c->resources->child; rs; rs = rs->next) {
        cJSON *attrs = cJSON_GetObjectItemCaseSensitive(get(rs, "resource"), "attributes");
        const char *name = str(get(attrs->child, "value"), "stringValue");
        if (name && !strcmp(name, service))
            return cJSON_GetObjectItemCaseSensitive(get(rs, "scopeSpans")->child, "spans");
    }
    cJSON *rs = cJSON_CreateObject(), *res = cJSON_AddObjectToObject(rs, "resource");
    cJSON *attrs = cJSON_AddArrayToObject(res, "attributes");
    attr(attrs, "service.name", v_str(service));
    attr(attrs, "telemetry.sdk.name", v_str("xraycap"));
    attr(attrs, "telemetry.sdk.language", v_str("cpp"));
    attr(attrs, "telemetry.sdk.version", v_str(XRAY_CAPTURE_VERSION));
    xrc_platform_with(platform_attributes, attrs);
    cJSON *scopes = cJSON_AddArrayToObject(rs, "scopeSpans"), *scope = cJSON_CreateObject();
    cJSON *sc = cJSON_AddObjectToObject(scope, "scope");
    cJSON_AddStringToObject(sc, "name", "xraycap");
    cJSON_AddStringToObject(sc, "version", XRAY_CAPTURE_VERSION);
    cJSON *spans = cJSON_AddArrayToObject(scope, "spans");
    cJSON_AddItemToArray(scopes, scope);
    cJSON_AddItemToArray(c->resources, rs);
    return spans;
}

static void convert(conv *c, cJSON *spans, const cJSON *e, const char *trace, const char *parent,
                    bool segment)
{
    const char *name = str(e, "name"), *id = str(e, "id");
    const cJSON *start = get(e, "start_time"), *end = get(e, "end_time");
    const cJSON *subs = get(e, "subsegments");
    bool usable = name && span_id(id) && cJSON_IsNumber(start) && cJSON_IsNumber(end);
    if (usable) {
        char t0[32], t1[32];
        nanos(start->valuedouble, t0);
        nanos(end->valuedouble, t1);
        const char *ns = str(e, "namespace");
        bool aws_call = ns && !strcmp(ns, "aws"), remote = ns && !strcmp(ns, "remote");
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "traceId", trace);
        cJSON_AddStringToObject(s, "spanId", id);
        if (parent)
            cJSON_AddStringToObject(s, "parentSpanId", parent);
        cJSON_AddStringToObject(s, "name", name);
        cJSON_AddNumberToObject(s, "kind", segment ? KIND_SERVER
                                                   : aws_call || remote ? KIND_CLIENT
                                                                        : KIND_INTERNAL);
        cJSON_AddStringToObject(s, "startTimeUnixNano", t0);
        cJSON_AddStringToObject(s, "endTimeUnixNano", t1);
        cJSON *attrs = cJSON_AddArrayToObject(s, "attributes");
        if (get(e, "http"))
            put_http(attrs, get(e, "http"), segment);
        if ((get(e, "aws") || aws_call) && !segment)
            put_aws(attrs, get(e, "aws"), name, aws_call);
        if (get(e, "sql"))
            put_sql(attrs, get(e, "sql"));
        put_string_field(attrs, e, "user", "enduser.id");
        put_string_field(attrs, e, "origin", "aws.xray.origin");
        put_annotations(attrs, get(e, "annotations"));
        put_metadata(attrs, get(e, "metadata"));
        put_status(s, attrs, e, segment);
        put_exceptions(s, get(e, "cause"), t1);
        cJSON_AddItemToArray(spans, s);
        c->spans++;
    } else {
        c->skipped++; /* in progress, or not an entity */
    }
    /* Children point at this id even when this span was skipped: it may come later. */
    const char *child_parent = span_id(id) ? id : parent;
    for (const cJSON *sub = cJSON_IsArray(subs) ? subs->child : NULL; sub; sub = sub->next)
        convert(c, spans, sub, trace, child_parent, false);
}

cJSON *xrc_otlp_build(char *const *entries, const size_t *lens, size_t n, size_t *spans,
                      size_t *skipped)
{
    conv c = {.resources = cJSON_CreateArray()};
    cJSON *root = cJSON_CreateObject();
    if (!root || !c.resources) {
        cJSON_Delete(root);
        cJSON_Delete(c.resources);
        return NULL;
    }
    cJSON_AddItemToObject(root, "resourceSpans", c.resources);
    for (size_t i = 0; i < n; i++) {
        const char *p = entries[i], *end = entries[i] + lens[i];
        const char *service = p;
        p += strnlen(p, (size_t)(end - p)) + 1;
        const char *w3c = p < end ? p : "";
        if (p < end)
            p += strnlen(p, (size_t)(end - p)) + 1;
        cJSON *d = p < end ? cJSON_ParseWithLength(p, (size_t)(end - p)) : NULL;
        char trace[33];
        if (d && strlen(w3c) == 32)
            memcpy(trace, w3c, 33); /* the W3C trace continued keeps its id */
        if (!d || (strlen(w3c) != 32 && !trace_id32(str(d, "trace_id"), trace))) {
            c.skipped++;
            cJSON_Delete(d);
            continue;
        }
        const char *type = str(d, "type");
        bool segment = !type || strcmp(type, "subsegment");
        const char *parent = str(d, "parent_id");
        convert(&c, span_list(&c, service), d, trace, span_id(parent) ? parent : NULL, segment);
        cJSON_Delete(d);
    }
    *spans = c.spans;
    *skipped = c.skipped;
    return root;
}

size_t xrc_otlp_drop_outside(cJSON *request, long long from_ns, long long to_ns)
{
    size_t dropped = 0;
    cJSON *rs, *ss;
    cJSON_ArrayForEach(rs, cJSON_GetObjectItemCaseSensitive(request, "resourceSpans"))
        cJSON_ArrayForEach(ss, cJSON_GetObjectItemCaseSensitive(rs, "scopeSpans")) {
            cJSON *spans = cJSON_GetObjectItemCaseSensitive(ss, "spans");
            for (cJSON *s = spans ? spans->child : NULL, *next; s; s = next) {
                next = s->next;
                const char *start = str(s, "startTimeUnixNano");
                long long t = start ? strtoll(start, NULL, 10) : 0;
                if (t < from_ns || t > to_ns) {
                    cJSON_Delete(cJSON_DetachItemViaPointer(spans, s));
                    dropped++;
                }
            }
        }
    return dropped;
}
