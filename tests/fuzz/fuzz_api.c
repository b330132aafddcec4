/* Random sequences of public API calls. Every document the runtime sends (over UDP to a
 * socket of this process) must be one the daemon accepts: within the size limit, valid UTF-8,
 * strict JSON, every field within the schema's limits (tools/xraycap/doccheck.c). */
#include "fuzz.h"

#include "doccheck.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xray_capture.h>

static int sock = -1;
static char dgram[DATAGRAM_MAX + 2];

/* Sites have static names, as the plugins make them; some are hostile. */
static const xray_site sites[] = {
    {"parse", "f", "f.c", 1, 0},
    {"query \xe2\x82\xac", "f", "f.c", 2, 0},
    {"bad\xff\xfename", "f", "f.c", 3, 0},
    {"", "f", "f.c", 4, 0},
    {"a-name-that-is-rather-long-a-name-that-is-rather-long-a-name-that-is-rather-long-"
     "a-name-that-is-rather-long-a-name-that-is-rather-long-a-name-that-is-rather-long-"
     "a-name-that-is-rather-long-a-name-that-is-rather-long", "f", "f.c", 5, 0},
    {"quote\"back\\slash<>&\x01", "f", "f.c", 6, 0},
};
#define NSITES (sizeof sites / sizeof sites[0])

typedef struct input {
    const uint8_t *p, *end;
    char *strs[64];   /* strings handed out for this input, freed after it */
    int nstrs;
} input;

static unsigned byte(input *in) { return in->p < in->end ? *in->p++ : 0; }

/* A string from the input: a length byte, then that many bytes (NUL bytes end it early). */
static const char *str(input *in)
{
    size_t n = byte(in);
    if (n == 255)
        return NULL;
    if (n > (size_t)(in->end - in->p))
        n = (size_t)(in->end - in->p);
    if (in->nstrs == 64)
        return "";
    char *s = malloc(n + 1);
    memcpy(s, in->p, n);
    s[n] = '\0';
    in->p += n;
    return in->strs[in->nstrs++] = s;
}

static double number(input *in)
{
    double d = 0;
    if (in->end - in->p >= (long)sizeof d) {
        memcpy(&d, in->p, sizeof d);
        in->p += sizeof d;
    }
    return d;
}

static long long integer(input *in)
{
    long long v = 0;
    if (in->end - in->p >= (long)sizeof v) {
        memcpy(&v, in->p, sizeof v);
        in->p += sizeof v;
    }
    return v;
}

static xray_entity *target(input *in)
{
    switch (byte(in) % 4) {
    case 0: return xray_current_segment();
    case 1: return xray_current_subsegment();
    case 2: return xray_context_get();
    default: return NULL;
    }
}

static cJSON *nested(input *in)
{
    unsigned depth = byte(in);
    cJSON *v = cJSON_CreateString("leaf");
    for (unsigned i = 0; i < depth && v; i++) {
        cJSON *o = i % 2 ? cJSON_CreateObject() : cJSON_CreateArray();
        if (cJSON_IsObject(o))
            cJSON_AddItemToObject(o, "k", v);
        else
            cJSON_AddItemToArray(o, v);
        v = o;
    }
    return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int size = 16 * 1024 * 1024;
    sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
        setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (sock < 0 || bind(sock, (struct sockaddr *)&a, alen) || getsockname(sock, (struct sockaddr *)&a, &alen))
        abort();
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(a.sin_port));
    setenv("AWS_XRAY_DAEMON_ADDRESS", addr, 1);
    setenv("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR", 1);
    setenv("XRAYCAP_LOG_LEVEL", "off", 1);
    setenv("XRAYCAP_SAMPLING", "false", 1);
    setenv("XRAYCAP_SAMPLING_REMOTE", "false", 1);
    setenv("XRAYCAP_FOLD_AFTER", "4", 1);   /* folding reached within a short input */
    return 0;
}

/* Every datagram sent so far must be accepted by the daemon's check. */
static void check_sent(void)
{
    ssize_t n;
    while ((n = recv(sock, dgram, sizeof dgram - 1, 0)) >= 0) {
        dgram[n] = '\0';
        const char *why = NULL;
        cJSON *doc = doc_from_datagram(dgram, (size_t)n, &why);
        if (!doc) {
            fprintf(stderr, "fuzz_api: the daemon refuses a document (%s): %.2000s\n", why, dgram);
            abort();
        }
        cJSON_Delete(doc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = {data, data + size, {0}, 0};
    xray_token tokens[512];
    int ntok = 0;
    char buf[600];
    xray_outgoing out;
    while (in.p < in.end) {
        switch (byte(&in) % 20) {
        case 0: xray_begin_segment(str(&in)); break;
        case 1: {
            const char *name = str(&in);
            xray_begin_segment_from_header(name, str(&in));
            break;
        }
        case 2: xray_begin_subsegment(str(&in)); break;
        case 3: xray_end_subsegment(); break;
        case 4: xray_end_segment(); break;
        case 5: {
            xray_entity *e = target(&in);
            const char *k = str(&in);
            xray_put_annotation_string(e, k, str(&in));
            break;
        }
        case 6: {
            xray_entity *e = target(&in);
            const char *k = str(&in);
            xray_put_annotation_number(e, k, number(&in));
            break;
        }
        case 7: {
            xray_entity *e = target(&in);
            xray_put_annotation_bool(e, str(&in), byte(&in) & 1);
            break;
        }
        case 8: {
            xray_entity *e = target(&in);
            const char *k = str(&in), *json = str(&in);
            xray_put_metadata_json(e, k, json, str(&in));
            break;
        }
        case 9: {
            xray_entity *e = target(&in);
            const char *k = str(&in);
            xray_put_metadata(e, k, nested(&in), str(&in));
            break;
        }
        case 10: {
            xray_entity *e = target(&in);
            const char *type = str(&in);
            xray_add_exception(e, type, str(&in), byte(&in) & 1);
            break;
        }
        case 11: {
            xray_entity *e = target(&in);
            const char *method = str(&in);
            xray_put_http_request(e, method, str(&in));
            break;
        }
        case 12: {
            xray_entity *e = target(&in);
            int status = (int)(byte(&in) << 8 | byte(&in)) - 1000;
            xray_put_http_response(e, status, integer(&in));
            break;
        }
        case 13: {
            xray_entity *e = target(&in);
            xray_set_user(e, str(&in));
            break;
        }
        case 14: {
            xray_entity *e = target(&in);
            xray_set_namespace(e, str(&in));
            break;
        }
        case 15: {
            xray_entity *e = target(&in);
            unsigned which = byte(&in) % 3;
            if (which == 0)
                xray_add_error_flag(e);
            else if (which == 1)
                xray_add_fault_flag(e);
            else
                xray_add_throttle_flag(e);
            break;
        }
        case 16:
            if (ntok < 512)
                tokens[ntok++] = __xraycap_enter(&sites[byte(&in) % NSITES]);
            break;
        case 17:
            if (ntok)
                __xraycap_exit(tokens[--ntok]);
            break;
        case 18:
            xray_trace_header(target(&in), buf, byte(&in) % sizeof buf);
            xray_traceparent(target(&in), buf, sizeof buf);
            xray_outgoing_headers(target(&in), &out);
            break;
        case 19:
            /* a loop of captured calls: enough to fold */
            for (unsigned i = 0, n = byte(&in); i < n; i++)
                __xraycap_exit(__xraycap_enter(&sites[i % 2]));
            break;
        }
    }
    while (ntok)
        __xraycap_exit(tokens[--ntok]);
    while (xray_current_segment())
        xray_end_segment();
    for (int i = 0; i < in.nstrs; i++)
        free(in.strs[i]);
    check_sent();
    return 0;
}
