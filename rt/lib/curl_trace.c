/* curl_trace.c — libcurl transfers as subsegments. The per-handle record (header list, SigV4
 * parameters, body) comes from the setopt wrapper, because libcurl cannot be asked for them;
 * the user's header list is never changed: a copy with X-Amzn-Trace-Id is set for the
 * transfer and the user's list put back afterwards. */
#define CURL_DISABLE_TYPECHECK
#include "lib/curl_opt.h"
#include "base/config.h"
#include "model/attrs.h"
#include "lib/aws_call.h"
#include "core/context.h"
#include "core/facade.h"
#include "emit/emit.h"
#include "core/trace_header.h"
#include "base/log.h"
#include "xray_capture/curl.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BUCKETS 251
#define BODY_KEEP 65536   /* bodies larger than this are not read for AWS fields */

/* What we know of one easy handle. */
typedef struct handle_info {
    CURL *h;
    struct curl_slist *user_headers;   /* as last set by the user (not ours) */
    char *sigv4;                       /* CURLOPT_AWS_SIGV4, copied */
    const char *body;                  /* CURLOPT_POSTFIELDS (the user's memory) */
    char *body_copy;                   /* CURLOPT_COPYPOSTFIELDS, copied when small */
    long long body_len;                /* CURLOPT_POSTFIELDSIZE(_LARGE), -1 unknown */
    /* a curl_multi transfer in flight */
    bool pending;
    struct curl_slist *our_headers;
    xrc_segment *seg;
    unsigned long gen;
    xray_entity *parent;
    unsigned streams;              /* parent's segment had streamed this often */
    uint64_t id;
    int64_t start_ns;
    struct handle_info *next;
} handle_info;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the table */
static handle_info *table[BUCKETS];   /* what each easy handle carries, hashed by handle */

static size_t slot(CURL *h) { return ((uintptr_t)h >> 4) % BUCKETS; }

/* Finds (or makes) the record of h; the caller holds table_lock. */
static handle_info *find(CURL *h, bool create)
{
    handle_info *i;
    for (i = table[slot(h)]; i; i = i->next)
        if (i->h == h)
            return i;
    if (!create || !(i = calloc(1, sizeof *i)))
        return NULL;
    i->h = h;
    i->body_len = -1;
    i->next = table[slot(h)];
    table[slot(h)] = i;
    return i;
}

static void drop(CURL *h)
{
    pthread_mutex_lock(&table_lock);
    for (handle_info **p = &table[slot(h)]; *p; p = &(*p)->next)
        if ((*p)->h == h) {
            handle_info *i = *p;
            *p = i->next;
            free(i->sigv4);
            free(i->body_copy);
            curl_slist_free_all(i->our_headers);
            free(i);
            break;
        }
    pthread_mutex_unlock(&table_lock);
}

static void remember(CURL *h, CURLoption opt, void *value)
{
    if (opt != CURLOPT_HTTPHEADER && opt != CURLOPT_AWS_SIGV4 && opt != CURLOPT_POSTFIELDS &&
        opt != CURLOPT_COPYPOSTFIELDS)
        return;
    pthread_mutex_lock(&table_lock);
    handle_info *i = find(h, true);
    if (i) {
        if (opt == CURLOPT_HTTPHEADER) {
            i->user_headers = value;
        } else if (opt == CURLOPT_AWS_SIGV4) {
            free(i->sigv4);
            i->sigv4 = value ? strdup(value) : NULL;
        } else {
            free(i->body_copy);
            i->body_copy = NULL;
            i->body = NULL;
            if (opt == CURLOPT_COPYPOSTFIELDS && value && strlen(value) < BODY_KEEP)
                i->body_copy = strdup(value);
            else if (opt == CURLOPT_POSTFIELDS)
                i->body = value;
        }
    }
    pthread_mutex_unlock(&table_lock);
}

/* The request body's length the program gave, for http.request.content_length. */
static void note_body_len(CURL *h, long long len)
{
    pthread_mutex_lock(&table_lock);
    handle_info *i = find(h, true);
    if (i)
        i->body_len = len;
    pthread_mutex_unlock(&table_lock);
}

CURLcode xray_curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    va_list ap;
    va_start(ap, opt);
    xrc_curl_opt_arg a;
    xrc_curl_opt_arg_read(opt, &ap, &a);
    va_end(ap);
    xrc_tls.lib_inside++;
    CURLcode rc = xrc_curl_setopt_with(curl_easy_setopt, h, opt, &a);
    if (rc == CURLE_OK && opt == CURLOPT_POSTFIELDSIZE)
        note_body_len(h, a.l);
    else if (rc == CURLE_OK && opt == CURLOPT_POSTFIELDSIZE_LARGE)
        note_body_len(h, (long long)a.o);
    else if (rc == CURLE_OK && opt >= CURLOPTTYPE_OBJECTPOINT && opt < CURLOPTTYPE_FUNCTIONPOINT)
        remember(h, opt, a.p); /* URL, headers, SigV4 and the like */
    xrc_tls.lib_inside--;
    return rc;
}

void xray_curl_easy_cleanup(CURL *h)
{
    drop(h);
    xrc_tls.lib_inside++;
    curl_easy_cleanup(h);
    xrc_tls.lib_inside--;
}

void xray_curl_easy_reset(CURL *h)
{
    drop(h);
    xrc_tls.lib_inside++;
    curl_easy_reset(h);
    xrc_tls.lib_inside--;
}

CURL *xray_curl_easy_duphandle(CURL *h)
{
    xrc_tls.lib_inside++;
    CURL *copy = curl_easy_duphandle(h);
    xrc_tls.lib_inside--;
    if (!copy)
        return NULL;
    pthread_mutex_lock(&table_lock);
    handle_info *from = find(h, false), *to = from ? find(copy, true) : NULL;
    if (to) {
        to->user_headers = from->user_headers;
        to->sigv4 = from->sigv4 ? strdup(from->sigv4) : NULL;
        to->body = from->body;
        to->body_copy = from->body_copy ? strdup(from->body_copy) : NULL;
        to->body_len = from->body_len;
    }
    pthread_mutex_unlock(&table_lock);
    return copy;
}

/* ---- one call ------------------------------------------------------------------------ */

typedef struct call {
    struct curl_slist *user_headers, *our_headers;
    bool aws;
    xrc_aws_call a;
    char name[256];
} call;

/* The value of header `name` ("X-Amz-Target") in the program's list, or NULL. */
static const char *header_value(const struct curl_slist *l, const char *name)
{
    size_t n = strlen(name);
    for (; l; l = l->next)
        if (!strncasecmp(l->data, name, n) && l->data[n] == ':') {
            const char *v = l->data + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
    return NULL;
}

/* Where a URL's host begins and ends, past any user:password@ — also in a URL libcurl itself
 * refuses, whose password holds '@', '/', '?' or '#': nothing of a password may reach a name
 * or a recorded URL. *host_end is where the kept part of the authority ends (the host and a
 * numeric port), *rest where the path, query or fragment begins. */
static void url_authority(const char *url, size_t *host, size_t *host_end, size_t *rest)
{
    const char *scheme = strstr(url, "://");
    size_t auth = scheme ? (size_t)(scheme - url) + 3 : 0;
    size_t end = auth + strcspn(url + auth, "/?#");
    const char *at = NULL;
    for (const char *c = url + auth; c < url + end; c++)
        if (*c == '@')
            at = c; /* the last one: a password may hold '@' */
    *host = at ? (size_t)(at - url) + 1 : auth;
    *host_end = *rest = end;
    const char *colon = at || url[auth] == '[' ? NULL : memchr(url + auth, ':', end - auth);
    bool port = colon && colon + 1 < url + end;
    for (const char *c = colon ? colon + 1 : NULL; c && c < url + end; c++)
        port &= isdigit((unsigned char)*c) != 0;
    if (!colon || port)
        return;
    /* "user:pa/ss@host" (or "user:secret" and no host at all): what follows ':' is no port */
    const char *later = strchr(url + end, '@');
    if (later) {
        *host = (size_t)(later - url) + 1;
        *host_end = *rest = *host + strcspn(later + 1, "/?#");
    } else {
        *host = auth;
        *host_end = (size_t)(colon - url);
    }
}

/* The host of a URL, for the subsegment name. */
static void url_host(const char *url, char *out, size_t len)
{
    size_t host, host_end, rest;
    url = url ? url : "";
    url_authority(url, &host, &host_end, &rest);
    const char *p = url + host;
    if (*p == '[') { /* [::1]:8080 */
        size_t n = strcspn(p, "]");
        snprintf(out, len, "%.*s", (int)n + 1, p);
        return;
    }
    size_t n = strcspn(p, "/?#:");
    snprintf(out, len, "%.*s", (int)(n < host_end - host ? n : host_end - host), p);
    if (!*out)
        snprintf(out, len, "remote");
}

/* The URL as recorded: without user:password@, and without a presigned query. */
static void clean_url(const char *url, char *out, size_t len)
{
    if (!url) {
        out[0] = '\0';
        return;
    }
    size_t host, host_end, rest;
    url_authority(url, &host, &host_end, &rest);
    const char *scheme = strstr(url, "://");
    size_t prefix = scheme ? (size_t)(scheme - url) + 3 : 0;
    snprintf(out, len, "%.*s%.*s%s", (int)prefix, url, (int)(host_end - host), url + host, url + rest);
    char *q = strchr(out, '?');
    if (q && (strstr(q, "X-Amz-") || strstr(q, "x-amz-") || strstr(q, "Signature=")))
        *q = '\0';
}

/* Works out the call and builds the header list with X-Amzn-Trace-Id for `traced`. */
static void prepare(CURL *h, call *c, const char *url, const char *method)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_lock(&table_lock);
    handle_info *i = find(h, false);
    c->user_headers = i ? i->user_headers : NULL;
    const char *body = i ? (i->body_copy ? i->body_copy : i->body) : NULL;
    const char *auth = header_value(c->user_headers, "Authorization");
    xrc_aws_request req = {
        .url = url, .method = method, .sigv4 = i ? i->sigv4 : NULL,
        .authorization = auth && strstr(auth, "AWS4-HMAC-SHA256") ? auth : NULL,
        .target = header_value(c->user_headers, "X-Amz-Target"),
        .invocation_type = header_value(c->user_headers, "X-Amz-Invocation-Type"),
        .body = body,
        .body_len = body ? (i->body_len >= 0 ? (size_t)i->body_len : strlen(body)) : 0,
    };
    c->aws = xrc_aws_recognise(&req, &c->a);
    pthread_mutex_unlock(&table_lock);
    if (c->aws)
        snprintf(c->name, sizeof c->name, "%s", c->a.service);
    else
        url_host(url, c->name, sizeof c->name);
}

/* True when header line `line` is the field `name` ("Name:" at its start, any case). */
static bool is_field(const char *line, const char *name)
{
    size_t n = strlen(name);
    return !strncasecmp(line, name, n) && line[n] == ':';
}

/* A copy of the user's headers with ours added: the trace header fields the user set
 * themselves are replaced by ours (never sent twice), the rest kept in order. */
static struct curl_slist *with_trace_headers(const struct curl_slist *user, const xray_outgoing *o)
{
    const struct { const char *name, *value; } ours[] = {
        {"X-Amzn-Trace-Id", o->x_amzn_trace_id},
        {"traceparent", o->traceparent},
        {"tracestate", o->tracestate},
    };
    struct curl_slist *l = NULL, *next;
    for (; user; user = user->next) {
        bool replaced = false;
        for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
            replaced = replaced || (ours[i].value[0] && is_field(user->data, ours[i].name));
        if (replaced)
            continue;
        if (!(next = curl_slist_append(l, user->data)))
            goto fail;
        l = next;
    }
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
        if (!ours[i].value[0])
            continue;
        char line[XRAY_TRACE_HEADER_MAX + 32];
        snprintf(line, sizeof line, "%s: %s", ours[i].name, ours[i].value);
        if (!(next = curl_slist_append(l, line)))
            goto fail;
        l = next;
    }
    return l;
fail:
    curl_slist_free_all(l);
    return NULL;
}

/* Records request, response, flags and AWS fields on `e` after the transfer. */
static void record(CURL *h, xray_entity *e, const call *c, CURLcode rc)
{
    char *url = NULL, *method = NULL;
    long status = 0;
    curl_off_t length = -1;
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_METHOD, &method);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    char clean[4096];
    clean_url(url, clean, sizeof clean);
    xray_put_http_request(e, method ? method : "GET", clean);
    /* `traced` makes the console wait for the callee's own segment: only when the user says
     * the callees are traced (XRAYCAP_DOWNSTREAM_TRACED), as Node's captureHTTPsGlobal(.., true) */
    if (xrc_cfg.downstream_traced)
        xrc_put_field(e, "http", "request", "traced", cJSON_CreateTrue());
    xray_set_namespace(e, c->aws ? "aws" : "remote");
    if (rc == CURLE_OK && status >= 100 && status <= 599)
        xray_put_http_response(e, (int)status, length >= 0 ? (long long)length : -1);
    if (rc != CURLE_OK) {
        char type[32];
        snprintf(type, sizeof type, "CURLcode %d", (int)rc);
        xray_add_exception(e, type, curl_easy_strerror(rc), true);
    }
    if (!c->aws)
        return;
    if (c->a.operation[0])
        xrc_put_field(e, "aws", NULL, "operation", xrc_json_string(c->a.operation, 64));
    if (c->a.region[0])
        xrc_put_field(e, "aws", NULL, "region", xrc_json_string(c->a.region, 32));
    for (cJSON *f = c->a.fields ? c->a.fields->child : NULL; f; f = c->a.fields->child) {
        char key[64];
        snprintf(key, sizeof key, "%s", f->string);
        xrc_put_field(e, "aws", NULL, key, cJSON_DetachItemViaPointer(c->a.fields, f));
    }
    struct curl_header *hd = NULL;
    if (curl_easy_header(h, "x-amzn-RequestId", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK ||
        curl_easy_header(h, "x-amz-request-id", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK)
        xrc_put_field(e, "aws", NULL, "request_id", xrc_json_string(hd->value, 256));
}

/* Frees what prepare() made. */
static void call_done(call *c)
{
    cJSON_Delete(c->a.fields);
    c->a.fields = NULL;
}

/* Inside a segment, before a transfer: marks the thread as inside a wrapper (its own libcurl
 * calls go straight through) and works out the call from the handle's URL. */
static void begin_call(CURL *h, call *c)
{
    xrc_tls.lib_inside++;
    char *url = NULL;
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
    prepare(h, c, url, NULL);
}

CURLcode xray_curl_easy_perform(CURL *h)
{
    xrc_thread *t = &xrc_tls;
    if (xrc_tls.lib_inside || !t->seg) {
        xrc_tls.lib_inside++;
        CURLcode rc = curl_easy_perform(h);
        xrc_tls.lib_inside--;
        return rc;
    }
    int saved = errno;
    call c;
    begin_call(h, &c);
    xray_token tok = 0;
    xray_entity *e = NULL;
    if (t->recording) {
        char *name = xrc_copy_name(t, c.name);
        tok = name ? xrc_open(t, name, 0) : 0;
        e = tok ? t->recording : NULL;
    }
    /* The call's own parent id: its subsegment's; not sampled, a new one for this call; past
     * a limit (sampled, not recorded), the entity it was made from, which exists. */
    xray_outgoing out;
    xray_entity *from = xrc_context_entity(t);
    xrc_outgoing_write(t->seg, e ? e->id : xrc_outgoing_id(from), &out);
    c.our_headers = with_trace_headers(c.user_headers, &out);
    if (c.our_headers)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c.our_headers);
    errno = saved;
    CURLcode rc = curl_easy_perform(h);
    saved = errno;
    if (c.our_headers) {
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c.user_headers);
        curl_slist_free_all(c.our_headers);
    }
    if (e) {
        /* the method is known only now; S3's operation depends on it */
        char *method = NULL, *eff = NULL;
        curl_easy_getinfo(h, CURLINFO_EFFECTIVE_METHOD, &method);
        curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
        if (c.aws && !strcmp(c.a.service, "S3")) {
            call_done(&c);
            prepare(h, &c, eff, method);
        }
        record(h, e, &c, rc);
        __xraycap_exit(tok);
    }
    call_done(&c);
    xrc_tls.lib_inside--;
    errno = saved;
    return rc;
}

/* ---- curl_multi ---------------------------------------------------------------------- */

CURLMcode xray_curl_multi_add_handle(CURLM *m, CURL *h)
{
    xrc_thread *t = &xrc_tls;
    if (xrc_tls.lib_inside || !t->seg) {
        xrc_tls.lib_inside++;
        CURLMcode rc = curl_multi_add_handle(m, h);
        xrc_tls.lib_inside--;
        return rc;
    }
    int saved = errno;
    call c;
    begin_call(h, &c);
    /* the subsegment is made when the transfer completes; its id is needed now */
    uint64_t id = t->recording ? xrc_rand64() : 0;
    xray_entity *ctx = xrc_context_entity(t);
    xray_outgoing out;
    xrc_outgoing_write(t->seg, id ? id : xrc_outgoing_id(ctx), &out);
    struct curl_slist *ours = with_trace_headers(c.user_headers, &out);
    if (ours)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, ours);
    pthread_mutex_lock(&table_lock);
    handle_info *i = find(h, true);
    if (i) {
        curl_slist_free_all(i->our_headers);
        i->our_headers = ours;
        i->pending = id != 0;
        i->seg = t->seg;
        i->gen = t->gen;
        i->parent = ctx;
        i->streams = t->seg->streams;
        i->id = id;
        i->start_ns = xrc_mono_ns() - t->seg->mono_base_ns;
    } else {
        curl_slist_free_all(ours);
    }
    pthread_mutex_unlock(&table_lock);
    call_done(&c);
    errno = saved;
    CURLMcode rc = curl_multi_add_handle(m, h);
    xrc_tls.lib_inside--;
    return rc;
}

/* A multi transfer is over: its subsegment, after the fact, if its segment is still here. */
static void finish_pending(CURL *h, CURLcode rc, bool aborted)
{
    xrc_thread *t = &xrc_tls;
    pthread_mutex_lock(&table_lock);
    handle_info *i = find(h, false);
    handle_info snapshot;
    bool pending = i && i->pending;
    if (i) {
        snapshot = *i;
        i->pending = false;
    }
    pthread_mutex_unlock(&table_lock);
    if (!i)
        return;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, snapshot.user_headers);
    if (!pending)
        return;
    if (t->seg != snapshot.seg || t->gen != snapshot.gen) {
        atomic_fetch_add(&xrc_stats.subsegments_dropped, 1);
        xrc_log(XRAY_LOG_WARN, "a curl_multi transfer finished after its segment ended; not recorded");
        return;
    }
    char *url = NULL, *method = NULL;
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_METHOD, &method);
    call c;
    prepare(h, &c, url, method);
    char *name = xrc_copy_name(t, c.name);
    xray_entity *parent = xrc_parent_alive(t->seg, snapshot.parent, snapshot.streams);
    xray_entity *e = name ? xrc_add_closed(t, parent, name, snapshot.id, snapshot.start_ns) : NULL;
    if (e)
        record(h, e, &c, rc);
    call_done(&c);
    if (!e)
        return;
    if (aborted) {
        xray_add_fault_flag(e);
        xrc_put_field(e, "metadata", "xraycap", "curl_multi",
                      cJSON_CreateString("removed from the multi handle before it completed"));
    }
    xrc_stream_if_due(t);
}

CURLMsg *xray_curl_multi_info_read(CURLM *m, int *msgs_in_queue)
{
    xrc_tls.lib_inside++;
    CURLMsg *msg = curl_multi_info_read(m, msgs_in_queue);
    if (msg && msg->msg == CURLMSG_DONE) {
        int saved = errno;
        finish_pending(msg->easy_handle, msg->data.result, false);
        errno = saved;
    }
    xrc_tls.lib_inside--;
    return msg;
}

CURLMcode xray_curl_multi_remove_handle(CURLM *m, CURL *h)
{
    xrc_tls.lib_inside++;
    int saved = errno;
    pthread_mutex_lock(&table_lock);
    handle_info *i = find(h, false);
    bool pending = i && i->pending;
    pthread_mutex_unlock(&table_lock);
    if (pending) {
        /* Removed without curl_multi_info_read having reported it: done if it got an answer
         * (a loop on curl_multi_perform until nothing runs), cut short otherwise. */
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        finish_pending(h, CURLE_OK, status == 0);
    } else if (i)
        finish_pending(h, CURLE_OK, false); /* puts the user's header list back */
    errno = saved;
    CURLMcode rc = curl_multi_remove_handle(m, h);
    pthread_mutex_lock(&table_lock);
    i = find(h, false);
    if (i) {
        curl_slist_free_all(i->our_headers);
        i->our_headers = NULL;
    }
    pthread_mutex_unlock(&table_lock);
    xrc_tls.lib_inside--;
    return rc;
}
