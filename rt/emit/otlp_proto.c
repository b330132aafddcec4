/* otlp_proto.c — the OTLP export request as protobuf (application/x-protobuf), encoded from the
 * same tree as the JSON body (otlp.c), by the OTLP JSON mapping: field names in lowerCamelCase,
 * ids as hex, 64-bit integers as decimal strings, enums as numbers. The field numbers are the
 * ones of opentelemetry/proto/trace/v1/trace.proto, common.proto and resource.proto. */
#include "emit/otlp.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum kind { STRING, HEX_BYTES, FIXED64, FIXED32, VARINT, BOOL, INT64, DOUBLE, MESSAGE } kind;

typedef struct field field;

typedef struct message {
    const field *fields;
    size_t n;
} message;

struct field {
    const char *json;       /* the OTLP JSON name */
    unsigned number;
    kind kind;
    const message *type;    /* MESSAGE: its fields */
};

#define MSG(name, ...)                                                                        \
    static const field name##_fields[] = {__VA_ARGS__};                                       \
    static const message name = {name##_fields, sizeof name##_fields / sizeof name##_fields[0]}

static const message pb_any_value, pb_key_value;
MSG(pb_array_value, {"values", 1, MESSAGE, &pb_any_value});
MSG(pb_kvlist_value, {"values", 1, MESSAGE, &pb_key_value});
MSG(pb_any_value, {"stringValue", 1, STRING, NULL}, {"boolValue", 2, BOOL, NULL},
    {"intValue", 3, INT64, NULL}, {"doubleValue", 4, DOUBLE, NULL},
    {"arrayValue", 5, MESSAGE, &pb_array_value}, {"kvlistValue", 6, MESSAGE, &pb_kvlist_value});
MSG(pb_key_value, {"key", 1, STRING, NULL}, {"value", 2, MESSAGE, &pb_any_value});
MSG(pb_resource, {"attributes", 1, MESSAGE, &pb_key_value}, {"droppedAttributesCount", 2, VARINT, NULL});
MSG(pb_scope, {"name", 1, STRING, NULL}, {"version", 2, STRING, NULL},
    {"attributes", 3, MESSAGE, &pb_key_value});
MSG(pb_event, {"timeUnixNano", 1, FIXED64, NULL}, {"name", 2, STRING, NULL},
    {"attributes", 3, MESSAGE, &pb_key_value});
MSG(pb_status, {"message", 2, STRING, NULL}, {"code", 3, VARINT, NULL});
MSG(pb_link, {"traceId", 1, HEX_BYTES, NULL}, {"spanId", 2, HEX_BYTES, NULL},
    {"traceState", 3, STRING, NULL}, {"attributes", 4, MESSAGE, &pb_key_value});
MSG(pb_span, {"traceId", 1, HEX_BYTES, NULL}, {"spanId", 2, HEX_BYTES, NULL},
    {"traceState", 3, STRING, NULL}, {"parentSpanId", 4, HEX_BYTES, NULL},
    {"name", 5, STRING, NULL}, {"kind", 6, VARINT, NULL},
    {"startTimeUnixNano", 7, FIXED64, NULL}, {"endTimeUnixNano", 8, FIXED64, NULL},
    {"attributes", 9, MESSAGE, &pb_key_value}, {"droppedAttributesCount", 10, VARINT, NULL},
    {"events", 11, MESSAGE, &pb_event}, {"links", 13, MESSAGE, &pb_link},
    {"status", 15, MESSAGE, &pb_status}, {"flags", 16, FIXED32, NULL});
MSG(pb_scope_spans, {"scope", 1, MESSAGE, &pb_scope}, {"spans", 2, MESSAGE, &pb_span},
    {"schemaUrl", 3, STRING, NULL});
MSG(pb_resource_spans, {"resource", 1, MESSAGE, &pb_resource}, {"scopeSpans", 2, MESSAGE, &pb_scope_spans},
    {"schemaUrl", 3, STRING, NULL});
MSG(pb_export_request, {"resourceSpans", 1, MESSAGE, &pb_resource_spans});

/* A growing byte buffer; `failed` once memory ran out. */
typedef struct out {
    unsigned char *p;
    size_t len, cap;
    bool failed;
} out;

static void put(out *o, const void *data, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4096;
        while (cap < o->len + n)
            cap *= 2;
        unsigned char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, data, n);
    o->len += n;
}

static void put_varint(out *o, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;
    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    put(o, b, n);
}

static void put_tag(out *o, unsigned number, unsigned wire) { put_varint(o, (uint64_t)number << 3 | wire); }

static void put_fixed(out *o, uint64_t v, size_t bytes)
{
    unsigned char b[8];
    for (size_t i = 0; i < bytes; i++)
        b[i] = (unsigned char)(v >> (8 * i)); /* little-endian, as protobuf's fixed types */
    put(o, b, bytes);
}

static void put_len(out *o, unsigned number, const void *data, size_t n)
{
    put_tag(o, number, 2);
    put_varint(o, n);
    put(o, data, n);
}

/* A JSON number or decimal string as an unsigned or signed 64-bit value. */
static uint64_t integer(const cJSON *v)
{
    if (cJSON_IsString(v))
        return v->valuestring[0] == '-' ? (uint64_t)strtoll(v->valuestring, NULL, 10)
                                        : strtoull(v->valuestring, NULL, 10);
    return cJSON_IsNumber(v) ? (uint64_t)(int64_t)v->valuedouble : 0;
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void encode(out *o, const message *m, const cJSON *obj);

static void encode_value(out *o, const field *f, const cJSON *v)
{
    switch (f->kind) {
    case STRING:
        if (cJSON_IsString(v))
            put_len(o, f->number, v->valuestring, strlen(v->valuestring));
        break;
    case HEX_BYTES: {
        const char *s = cJSON_GetStringValue(v);
        unsigned char b[64];
        size_t n = 0;
        for (; s && s[0] && s[1] && n < sizeof b && hex(s[0]) >= 0 && hex(s[1]) >= 0; s += 2)
            b[n++] = (unsigned char)(hex(s[0]) << 4 | hex(s[1]));
        if (n)
            put_len(o, f->number, b, n);
        break;
    }
    case FIXED64:
        put_tag(o, f->number, 1);
        put_fixed(o, integer(v), 8);
        break;
    case FIXED32:
        put_tag(o, f->number, 5);
        put_fixed(o, integer(v), 4);
        break;
    case VARINT:
    case INT64:
        put_tag(o, f->number, 0);
        put_varint(o, integer(v));
        break;
    case BOOL:
        put_tag(o, f->number, 0);
        put_varint(o, cJSON_IsTrue(v));
        break;
    case DOUBLE: {
        double d = cJSON_GetNumberValue(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        put_tag(o, f->number, 1);
        put_fixed(o, bits, 8);
        break;
    }
    case MESSAGE: {
        /* Encoded in place, then moved up behind its length: no buffer of its own. */
        put_tag(o, f->number, 2);
        size_t start = o->len;
        encode(o, f->type, v);
        if (o->failed)
            break;
        size_t n = o->len - start, before = o->len;
        put_varint(o, n); /* appended, then rotated in front of the message */
        if (o->failed)
            break;
        size_t vlen = o->len - before;
        unsigned char varint[10];
        memcpy(varint, o->p + before, vlen);
        memmove(o->p + start + vlen, o->p + start, n);
        memcpy(o->p + start, varint, vlen);
        break;
    }
    }
}

/* The fields of obj that m knows, in m's order (a repeated field is a JSON array); others
 * are not part of the protobuf message and are left out. */
static void encode(out *o, const message *m, const cJSON *obj)
{
    for (size_t i = 0; i < m->n; i++) {
        const field *f = &m->fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->json), *item;
        if (!v)
            continue;
        if (cJSON_IsArray(v)) {
            cJSON_ArrayForEach(item, v)
                encode_value(o, f, item);
        } else {
            encode_value(o, f, v);
        }
    }
}

unsigned char *xrc_otlp_protobuf(const cJSON *request, size_t *len)
{
    out o = {0};
    encode(&o, &pb_export_request, request);
    if (!o.failed && !o.p) /* an empty request: no bytes at all */
        o.p = malloc(1);
    if (o.failed || !o.p) {
        free(o.p);
        return NULL;
    }
    *len = o.len;
    return o.p;
}
