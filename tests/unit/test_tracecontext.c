/* test_tracecontext.c — W3C Trace Context Level 1, as the specification's own test suite
 * checks it: traceparent and tracestate read from an incoming request and passed on by every
 * outgoing call, through the public entry points and through a real libmicrohttpd server that
 * calls onwards with libcurl. The cases follow the suite's (versions, lengths, casing, all-zero
 * ids, optional white space, list limits, duplicated keys), sampled and unsampled. */
#include <netinet/in.h> /* before microhttpd.h, which needs sockaddr_in */

#include "fake_http.h"
#include "harness.h"
#include "core/trace_header.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <xray_capture/curl.h>

#define TRACE "12345678901234567890123456789012"
#define SPAN "1234567890123456"

/* The trace id a traceparent written for the current segment carries, or "" (new trace). */
static void continued_trace(const char *traceparent, char out[33])
{
    out[0] = '\0';
    xray_entity *seg = xray_begin_segment_from_header("w3c", traceparent);
    char tp[XRAY_TRACEPARENT_MAX];
    if (seg && xray_traceparent(seg, tp, sizeof tp) == XRAY_OK)
        snprintf(out, 33, "%.32s", tp + 3);
    xray_end_segment();
}

static void test_valid_traceparents_continue_the_trace(void)
{
    test_reset();
    const char *valid[] = {
        "00-" TRACE "-" SPAN "-01",
        "00-" TRACE "-" SPAN "-00",
        "  00-" TRACE "-" SPAN "-01",                    /* optional white space */
        "00-" TRACE "-" SPAN "-01 \t",
        "cc-" TRACE "-" SPAN "-01",                      /* a future version */
        "cc-" TRACE "-" SPAN "-01-what-the-future-will-be-like",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char got[33];
        continued_trace(valid[i], got);
        CU_ASSERT_STRING_EQUAL(got, TRACE);
        if (strcmp(got, TRACE))
            fprintf(stderr, "\n  not continued: '%s'\n", valid[i]);
    }
    collect();
}

static void test_invalid_traceparents_start_a_new_trace(void)
{
    test_reset();
    xray_config quiet = XRAY_CONFIG_INIT;
    quiet.log_level = XRAY_LOG_OFF;
    xray_recorder_configure(&quiet);
    const char *invalid[] = {
        "ff-" TRACE "-" SPAN "-01",                      /* version ff */
        "00-" TRACE "-" SPAN "-01-extra",                /* version 00 with more */
        "00-" TRACE "-" SPAN "-01, 00-" TRACE "-" SPAN "-01", /* two traceparent fields */
        "cc-" TRACE "-" SPAN "-01.what",                 /* a future version, not '-' after */
        "00-12345678901234567890123456789O12-" SPAN "-01",   /* illegal character */
        "00-ABCDEF78901234567890123456789012-" SPAN "-01",   /* upper case */
        "00-" TRACE "-ABCDEF7890123456-01",
        "00-" TRACE "-" SPAN "-0X",
        "00-00000000000000000000000000000000-" SPAN "-01",   /* all-zero trace id */
        "00-" TRACE "-0000000000000000-01",                  /* all-zero parent id */
        "00-1234567890123456789012345678901-" SPAN "-01",    /* trace id too short */
        "00-123456789012345678901234567890123-" SPAN "-01",  /* too long */
        "00-" TRACE "-123456789012345-01",                   /* parent id too short */
        "00-" TRACE "-12345678901234567-01",                 /* too long */
        "00-" TRACE "-" SPAN "-1",                           /* flags too short */
        "00-" TRACE "-" SPAN "-011",                         /* too long */
        "0-" TRACE "-" SPAN "-01",                           /* version too short */
        "",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        char got[33];
        continued_trace(invalid[i], got);
        CU_ASSERT_STRING_NOT_EQUAL(got, TRACE);
        CU_ASSERT_EQUAL(strlen(got), 32);
        if (!strcmp(got, TRACE))
            fprintf(stderr, "\n  accepted: '%s'\n", invalid[i]);
    }
    collect();
}

/* The sampled flag decides; the Level 2 random flag is passed on; the other bits, reserved,
 * are set to zero. */
static void test_flags_sampled_is_obeyed_and_random_passed_on(void)
{
    test_reset();
    const struct { const char *in, *out; int sampled; } cases[] = {
        {"01", "01", 1}, {"00", "00", 0}, {"03", "03", 1}, {"02", "02", 0}, {"05", "01", 1},
        {"ff", "03", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char in[80], tp[XRAY_TRACEPARENT_MAX];
        snprintf(in, sizeof in, "00-" TRACE "-" SPAN "-%s", cases[i].in);
        xray_entity *seg = xray_begin_segment_from_header("flags", in);
        CU_ASSERT_EQUAL(xray_is_sampled(), cases[i].sampled);
        xray_traceparent(seg, tp, sizeof tp);
        CU_ASSERT_STRING_EQUAL(tp + 53, cases[i].out);
        xray_end_segment();
    }
    collect();
}

/* Every outgoing call is its own span: three calls, three parent ids — sampled or not — and
 * one id across the formats of one call. */
static void test_each_outgoing_call_gets_its_own_parent_id(void)
{
    for (int sampled = 0; sampled <= 1; sampled++) {
        test_reset();
        char in[80];
        snprintf(in, sizeof in, "00-" TRACE "-" SPAN "-0%d", sampled);
        xray_begin_segment_from_header("calls", in);
        char ids[3][17];
        for (int i = 0; i < 3; i++) {
            xray_entity *call = xray_begin_subsegment("call");
            xray_outgoing o;
            CU_ASSERT_EQUAL(xray_outgoing_headers(call ? call : xray_current_segment(), &o), XRAY_OK);
            snprintf(ids[i], sizeof ids[i], "%.16s", o.traceparent + 36);
            CU_ASSERT_EQUAL(strncmp(o.traceparent, "00-" TRACE "-", 36), 0);
            const char *parent = strstr(o.x_amzn_trace_id, "Parent=");
            CU_ASSERT_TRUE_FATAL(parent != NULL);
            CU_ASSERT_EQUAL(strncmp(parent + 7, ids[i], 16), 0); /* the same id in both */
            CU_ASSERT_STRING_NOT_EQUAL(ids[i], SPAN);
            xray_end_subsegment();
        }
        CU_ASSERT_STRING_NOT_EQUAL(ids[0], ids[1]);
        CU_ASSERT_STRING_NOT_EQUAL(ids[1], ids[2]);
        CU_ASSERT_STRING_NOT_EQUAL(ids[0], ids[2]);
        xray_end_segment();
        collect();
    }
}

/* tracestate as the suite sends it: what comes back out, or NULL for "dropped". */
static void check_tracestate(const char *in, const char *want)
{
    char out[XRC_TRACESTATE_MAX + 1];
    const char *why = NULL;
    bool ok = xrc_tracestate_parse(in, out, &why);
    if (!want) {
        CU_ASSERT_FALSE(ok);
        if (ok)
            fprintf(stderr, "\n  accepted tracestate '%.80s'\n", in);
    } else {
        CU_ASSERT_TRUE(ok);
        CU_ASSERT_STRING_EQUAL(out, want);
        if (!ok || strcmp(out, want))
            fprintf(stderr, "\n  tracestate '%.80s' -> '%.80s' (%s), want '%.80s'\n", in, out,
                    why ? why : "ok", want);
    }
}

static void test_tracestate_is_checked_as_the_specification_says(void)
{
    check_tracestate("foo=1,bar=2", "foo=1,bar=2");
    check_tracestate(" foo=1 ,\tbar=2\t", "foo=1,bar=2");       /* optional white space */
    check_tracestate("foo=1,,bar=2,", "foo=1,bar=2");            /* empty members */
    check_tracestate("", "");
    check_tracestate("foo=1, foo=2", NULL);                      /* a key twice */
    check_tracestate("Foo=1", NULL);                             /* upper case key */
    check_tracestate("1foo=1", NULL);                            /* a simple key starts lcalpha */
    check_tracestate("1tenant@sys=1", "1tenant@sys=1");          /* a tenant may start with a digit */
    check_tracestate("tenant@1sys=1", NULL);                     /* the system may not */
    check_tracestate("foo.bar=1", NULL);                         /* illegal key character */
    check_tracestate("foo=bar=baz", NULL);                       /* '=' in a value */
    check_tracestate("foo=b\x7fr", NULL);                        /* a control character */
    check_tracestate("foo", NULL);                               /* no value */
    check_tracestate("foo=", NULL);                              /* empty value */
    char k[600], in[700];
    memset(k, 'k', 256);
    k[256] = '\0';
    snprintf(in, sizeof in, "%s=1", k);
    check_tracestate(in, in);                                    /* a 256-character key */
    snprintf(in, sizeof in, "x%s=1", k);
    check_tracestate(in, NULL);                                  /* 257 */
    memset(k, 't', 241);
    k[241] = '\0';
    snprintf(in, sizeof in, "%s@abcdefghijklmn=1", k);
    check_tracestate(in, in);                                    /* tenant 241, system 14 */
    snprintf(in, sizeof in, "%s@abcdefghijklmno=1", k);
    check_tracestate(in, NULL);                                  /* system 15 */
    char v[300];
    memset(v, 'v', 256);
    v[256] = '\0';
    snprintf(in, sizeof in, "foo=%s", v);
    check_tracestate(in, in);                                    /* a 256-character value */
    snprintf(in, sizeof in, "foo=x%s", v);
    check_tracestate(in, NULL);
    /* 32 members, then 33 */
    char list[1024] = "", want[1024] = "";
    for (int i = 0; i < 32; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%sk%d=%d", i ? "," : "", i, i);
    snprintf(want, sizeof want, "%s", list);
    check_tracestate(list, want);
    snprintf(list + strlen(list), sizeof list - strlen(list), ",k32=32");
    check_tracestate(list, NULL);
    /* past 512 characters: the members over 128 go first, then from the end */
    char big[2048];
    memset(v, 'v', 200);
    v[200] = '\0';
    snprintf(big, sizeof big, "a=1,long=%s,b=2", v);
    for (int i = 0; i < 4; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), ",m%d=%.100s", i, v);
    char out[XRC_TRACESTATE_MAX + 1];
    const char *why;
    CU_ASSERT_TRUE(xrc_tracestate_parse(big, out, &why));
    CU_ASSERT_TRUE(strlen(out) <= 512);
    CU_ASSERT_PTR_NULL(strstr(out, "long="));
    CU_ASSERT_EQUAL(strncmp(out, "a=1,b=2,m0=", 11), 0);
}

static void test_propagators_choose_the_formats(void)
{
    test_reset();
    const struct { const char *setting; int amzn, w3c; } cases[] = {
        {"xray", 1, 0}, {"tracecontext", 0, 1}, {"xray,tracecontext", 1, 1}, {"none", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xray_config c = XRAY_CONFIG_INIT;
        c.propagators = cases[i].setting;
        CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
        xray_entity *seg = xray_begin_segment("props");
        xray_outgoing o;
        xray_outgoing_headers(seg, &o);
        CU_ASSERT_EQUAL(o.x_amzn_trace_id[0] != '\0', cases[i].amzn);
        CU_ASSERT_EQUAL(o.traceparent[0] != '\0', cases[i].w3c);
        xray_end_segment();
    }
    xray_config c = XRAY_CONFIG_INIT;
    c.propagators = "b3";
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
    c.propagators = "xray,tracecontext";
    xray_recorder_configure(&c);
    collect();
}

/* ---- through a real server and client ------------------------------------------------------ */

static fake_http downstream;

typedef struct received {
    pthread_mutex_t lock;
    char traceparent[8][64], tracestate[8][600];
    int n, amzn, duplicates;
} received;

static received got;

static void header_value(const char *headers, const char *name, char *out, size_t n, int *count)
{
    out[0] = '\0';
    size_t len = strlen(name);
    for (const char *p = headers; *p;) {
        if (!strncasecmp(p, name, len) && p[len] == ':') {
            const char *v = p + len + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)strcspn(v, "\r\n"), v);
            (*count)++;
        }
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
}

static void record_call(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&got.lock);
    if (got.n < 8) {
        int tp = 0, ts = 0, amzn = 0;
        char scratch[600];
        header_value(req->headers, "traceparent", got.traceparent[got.n], 64, &tp);
        header_value(req->headers, "tracestate", got.tracestate[got.n], 600, &ts);
        header_value(req->headers, "X-Amzn-Trace-Id", scratch, sizeof scratch, &amzn);
        got.duplicates += (tp > 1) + (ts > 1) + (amzn > 1);
        got.amzn += amzn;
        got.n++;
    }
    pthread_mutex_unlock(&got.lock);
    resp->status = 200;
    snprintf(resp->body, sizeof resp->body, "ok");
}

/* Every value of a request header, joined with ", " (RFC 9110), as xray_header_lookup asks. */
typedef struct lookup_ctx {
    struct MHD_Connection *c;
    const char *name;
    char value[2048];
    int found;
} lookup_ctx;

static enum MHD_Result join_values(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    lookup_ctx *l = cls;
    if (strcasecmp(key, l->name))
        return MHD_YES;
    size_t used = strlen(l->value);
    snprintf(l->value + used, sizeof l->value - used, "%s%s", l->found++ ? ", " : "", value ? value : "");
    return MHD_YES;
}

static lookup_ctx lookups[8];
static int nlookups;

static const char *mhd_lookup(void *ctx, const char *name)
{
    if (nlookups == 8)
        return NULL;
    lookup_ctx *l = &lookups[nlookups++];
    memset(l, 0, sizeof *l);
    l->c = ctx;
    l->name = name;
    MHD_get_connection_values(l->c, MHD_HEADER_KIND, join_values, l);
    return l->found ? l->value : NULL;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p; (void)ctx;
    return size * n;
}

/* The service: continues the trace, then calls downstream three times with libcurl (the
 * patched functions), the third time with a traceparent of its own that must be replaced. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)cls; (void)version; (void)upload;
    if (!*state) {
        *state = c;
        return MHD_YES;
    }
    if (*upload_size) { /* the body: read and ignored */
        *upload_size = 0;
        return MHD_YES;
    }
    nlookups = 0;
    xray_begin_segment_from_http("w3c-service", method, url, mhd_lookup, c);
    char target[128];
    snprintf(target, sizeof target, "http://%s/next", downstream.address);
    for (int i = 0; i < 3; i++) {
        CURL *h = curl_easy_init();
        struct curl_slist *mine = i == 2 ? curl_slist_append(NULL, "traceparent: 00-" TRACE "-" SPAN "-01") : NULL;
        xray_curl_easy_setopt(h, CURLOPT_URL, target);
        xray_curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
        xray_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        if (mine)
            xray_curl_easy_setopt(h, CURLOPT_HTTPHEADER, mine);
        xray_curl_easy_perform(h);
        xray_curl_easy_cleanup(h);
        curl_slist_free_all(mine);
    }
    xray_end_segment();
    struct MHD_Response *r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* Sends one request to the service with the given header lines. */
static void call_service(int port, const char *const *headers)
{
    CURL *h = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct curl_slist *l = NULL;
    for (; *headers; headers++)
        l = curl_slist_append(l, *headers);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_OK); /* the plain one: this is the test client */
    curl_easy_cleanup(h);
    curl_slist_free_all(l);
}

/* The service (`handle`) on a port of its own, and the downstream server it calls; NULL when
 * either did not start. */
static struct MHD_Daemon *start_service(int *port)
{
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
                                            NULL, NULL, handle, NULL, MHD_OPTION_END);
    if (!d)
        return NULL;
    *port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    if (fake_http_start(&downstream, record_call, NULL) != 0) {
        MHD_stop_daemon(d);
        return NULL;
    }
    return d;
}

static void stop_service(struct MHD_Daemon *d)
{
    fake_http_stop(&downstream);
    MHD_stop_daemon(d);
}

static void test_a_real_server_passes_the_context_on_through_libcurl(void)
{
    test_reset();
    int port;
    struct MHD_Daemon *d = start_service(&port);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (int sampled = 0; sampled <= 1; sampled++) {
        memset(&got, 0, sizeof got);
        pthread_mutex_init(&got.lock, NULL);
        char tp[96];
        snprintf(tp, sizeof tp, "traceparent: 00-" TRACE "-" SPAN "-0%d ", sampled); /* OWS too */
        const char *headers[] = {tp, "tracestate: foo=1", "tracestate: bar=2", NULL};
        call_service(port, headers);
        pthread_mutex_lock(&got.lock);
        CU_ASSERT_EQUAL(got.n, 3);
        for (int i = 0; i < got.n; i++) {
            CU_ASSERT_EQUAL(strncmp(got.traceparent[i], "00-" TRACE "-", 36), 0);
            CU_ASSERT_STRING_NOT_EQUAL(got.traceparent[i] + 36, SPAN "-01");
            CU_ASSERT_EQUAL(got.traceparent[i][54] - '0', sampled);
            CU_ASSERT_STRING_EQUAL(got.tracestate[i], "foo=1,bar=2");
            for (int j = 0; j < i; j++)
                CU_ASSERT_STRING_NOT_EQUAL(got.traceparent[i], got.traceparent[j]);
        }
        CU_ASSERT_EQUAL(got.amzn, 3);
        CU_ASSERT_EQUAL(got.duplicates, 0); /* the caller's own traceparent was replaced */
        pthread_mutex_unlock(&got.lock);
    }
    /* an invalid traceparent: a new trace, and its tracestate is not passed on */
    memset(&got, 0, sizeof got);
    pthread_mutex_init(&got.lock, NULL);
    const char *bad[] = {"traceparent: 00-" TRACE "-" SPAN "-01, 00-" TRACE "-" SPAN "-01",
                         "tracestate: foo=1", NULL};
    call_service(port, bad);
    CU_ASSERT_EQUAL(got.n, 3);
    CU_ASSERT_NOT_EQUAL(strncmp(got.traceparent[0], "00-" TRACE, 35), 0);
    CU_ASSERT_STRING_EQUAL(got.tracestate[0], "");
    stop_service(d);
    collect();
}

/* The suite's strict tracestate tests, through the server and libcurl as above: an invalid
 * tracestate is dropped while the traceparent still continues the trace; a valid one,
 * vendor keys and the length limits included, is passed on as one list. */
static void test_strict_tracestate_cases_pass_through_a_real_server(void)
{
    char k256[257], t241[242], key256[400], key257[400], tenant241[400], tenant242[400];
    char members33[1024] = "tracestate: ";
    memset(k256, 'k', 256);
    k256[256] = '\0';
    memset(t241, 't', 241);
    t241[241] = '\0';
    snprintf(key256, sizeof key256, "tracestate: %s=1", k256);
    snprintf(key257, sizeof key257, "tracestate: x%s=1", k256);
    snprintf(tenant241, sizeof tenant241, "tracestate: %s@vendor=1", t241);
    snprintf(tenant242, sizeof tenant242, "tracestate: x%s@vendor=1", t241);
    for (int i = 0; i < 33; i++)
        snprintf(members33 + strlen(members33), sizeof members33 - strlen(members33), "%sk%d=%d",
                 i ? "," : "", i, i);
    const char *want256 = key256 + 12, *want241 = tenant241 + 12; /* past "tracestate: " */
    const struct {
        const char *lines[3];
        const char *want; /* "" for dropped */
    } cases[] = {
        {{"tracestate: foo=1,foo=2"}, ""},                     /* a key twice in one header */
        {{"tracestate: foo=1", "tracestate: foo=2"}, ""},      /* ... across two headers */
        {{"tracestate: foo=1", "tracestate: bar=2"}, "foo=1,bar=2"},
        {{"tracestate: tenant@system=1,1tenant@sys=2"}, "tenant@system=1,1tenant@sys=2"},
        {{"tracestate: tenant@1system=1"}, ""},                /* a system starts lcalpha */
        {{"tracestate: Foo=1"}, ""},                           /* upper case */
        {{"tracestate: foo.bar=1"}, ""},                       /* illegal key character */
        {{key256}, want256},                                   /* 256 characters: the limit */
        {{key257}, ""},
        {{tenant241}, want241},                                /* tenant 241: the limit */
        {{tenant242}, ""},
        {{members33}, ""},                                     /* 33 members */
    };
    test_reset();
    int port;
    struct MHD_Daemon *d = start_service(&port);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memset(&got, 0, sizeof got);
        pthread_mutex_init(&got.lock, NULL);
        const char *headers[5] = {"traceparent: 00-" TRACE "-" SPAN "-01"};
        for (int i = 0; i < 3 && cases[c].lines[i]; i++)
            headers[i + 1] = cases[c].lines[i];
        call_service(port, headers);
        pthread_mutex_lock(&got.lock);
        CU_ASSERT_EQUAL(got.n, 3);
        CU_ASSERT_EQUAL(strncmp(got.traceparent[0], "00-" TRACE "-", 36), 0); /* continued */
        CU_ASSERT_STRING_EQUAL(got.tracestate[0], cases[c].want);
        if (strcmp(got.tracestate[0], cases[c].want))
            fprintf(stderr, "\n    case %zu: passed on '%.60s', want '%.60s'\n", c,
                    got.tracestate[0], cases[c].want);
        pthread_mutex_unlock(&got.lock);
    }
    stop_service(d);
    collect();
}

void register_tracecontext(void)
{
    CU_pSuite s = CU_add_suite("tracecontext", NULL, NULL);
    ADD(s, test_valid_traceparents_continue_the_trace);
    ADD(s, test_invalid_traceparents_start_a_new_trace);
    ADD(s, test_flags_sampled_is_obeyed_and_random_passed_on);
    ADD(s, test_each_outgoing_call_gets_its_own_parent_id);
    ADD(s, test_tracestate_is_checked_as_the_specification_says);
    ADD(s, test_propagators_choose_the_formats);
    ADD(s, test_a_real_server_passes_the_context_on_through_libcurl);
    ADD(s, test_strict_tracestate_cases_pass_through_a_real_server);
}
