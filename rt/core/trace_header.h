/* trace_header.h — the trace headers: X-Amzn-Trace-Id (trace_header.c) and W3C traceparent and
 * tracestate (tracecontext.c), parsing what arrives, writing what goes out. */
#ifndef XRC_TRACE_HEADER_H
#define XRC_TRACE_HEADER_H

#include "model/entity.h"
#include "model/id.h"

#include <stdbool.h>
#include <stddef.h>

#define XRC_HEADER_MAX 2048        /* longer input is refused outright */
#define XRC_HEADER_EXTRA_MAX 256   /* other Key=Value pairs kept for propagation */
#define XRC_TRACESTATE_MAX 512     /* tracestate characters passed on */
#define XRC_W3C_SAMPLED 0x01       /* traceparent flags */
#define XRC_W3C_RANDOM 0x02        /* Level 2: the trace id's last 7 bytes are random */

enum { XRC_SAMPLED_UNKNOWN = -1, XRC_SAMPLED_NO = 0, XRC_SAMPLED_YES = 1 };

typedef struct xrc_trace_header {
    char root[XRC_TRACE_ID_LEN + 1];   /* "" when the header has no Root; from a traceparent,
                                          the X-Ray id its trace id maps to */
    char w3c_trace[33];                /* from a traceparent: its trace id when the X-Ray id
                                          could not keep it (see xrc_w3c_to_xray), else "" */
    char w3c_received[33];             /* from a traceparent: its trace id, always */
    bool from_w3c;                     /* parsed from a traceparent */
    unsigned char w3c_flags;           /* its flags that are passed on (random), sampled apart */
    char parent[17];                   /* "" when none */
    int sampled;                       /* XRC_SAMPLED_*; '?' is UNKNOWN (the callee decides) */
    char extra[XRC_HEADER_EXTRA_MAX];  /* e.g. "Lineage=a87bd80c:0" */
} xrc_trace_header;

/* The X-Ray trace id for a W3C trace id (32 hex digits) at `now` (epoch seconds). The X-Ray
 * service takes the first 8 digits for the trace's start time and refuses traces older than
 * 30 days, so when they read as a time from the last 29 days up to 5 minutes ahead (an
 * X-Ray-compatible generator made them) the id maps bit for bit, 8 + 24 digits, and true is
 * returned; otherwise (a random W3C id) the time part is replaced by `now`, the 24 random
 * digits are kept, and false says the W3C id must be remembered beside it. */
bool xrc_w3c_to_xray(const char *w3c, long long now, char out[XRC_TRACE_ID_LEN + 1]);

/* traceparent: parses `text` (optional white space around it allowed) into out, whose other
 * fields the caller cleared. False with *why when it is not a valid traceparent. */
bool xrc_traceparent_parse(const char *text, xrc_trace_header *out, const char **why);

/* tracestate: checks `text` (every tracestate field, comma-joined) as W3C Trace Context
 * Level 1 asks — at most 32 members, keys and values of the specified forms, no key twice,
 * empty members and optional white space allowed — and writes the members joined by "," into
 * out, cut to 512 characters (members over 128 characters first, then from the end). False
 * (out "") when it is invalid: then no tracestate is passed on. */
bool xrc_tracestate_parse(const char *text, char out[XRC_TRACESTATE_MAX + 1], const char **why);

/* Writes the traceparent for a call from segment s with parent id `id`; returns as snprintf. */
int xrc_traceparent_write(char *buf, size_t len, const xrc_segment *s, uint64_t id);

/* Fills the headers for an outgoing call from segment s with parent id `id`, in the formats
 * the propagators setting asks for. */
void xrc_outgoing_write(const xrc_segment *s, uint64_t id, xray_outgoing *out);

/* The parent id for an outgoing call from e: its own when recorded, a new one for each call
 * when the segment is not sampled (nothing is recorded, yet every call is its own span). */
uint64_t xrc_outgoing_id(const xray_entity *e);

/* Parses either header form. Returns true, or false with *why saying what is wrong (out is
 * then cleared). */
bool xrc_trace_header_parse(const char *text, xrc_trace_header *out, const char **why);

#endif
