/* trace_header.h — the X-Amzn-Trace-Id and W3C traceparent headers: parsing what arrives,
 * writing what goes out. */
#ifndef XRC_TRACE_HEADER_H
#define XRC_TRACE_HEADER_H

#include "model/id.h"

#include <stdbool.h>
#include <stddef.h>

#define XRC_HEADER_MAX 2048        /* longer input is refused outright */
#define XRC_HEADER_EXTRA_MAX 256   /* other Key=Value pairs kept for propagation */

enum { XRC_SAMPLED_UNKNOWN = -1, XRC_SAMPLED_NO = 0, XRC_SAMPLED_YES = 1 };

typedef struct xrc_trace_header {
    char root[XRC_TRACE_ID_LEN + 1];   /* "" when the header has no Root; from a traceparent,
                                          the X-Ray id its trace id maps to */
    char w3c_trace[33];                /* from a traceparent: its trace id when the X-Ray id
                                          could not keep it (see xrc_w3c_to_xray), else "" */
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

/* Parses either header form. Returns true, or false with *why saying what is wrong (out is
 * then cleared). */
bool xrc_trace_header_parse(const char *text, xrc_trace_header *out, const char **why);

#endif
