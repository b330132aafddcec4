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
    char root[XRC_TRACE_ID_LEN + 1];   /* "" when the header has no Root */
    char parent[17];                   /* "" when none */
    int sampled;                       /* XRC_SAMPLED_*; '?' is UNKNOWN (the callee decides) */
    char extra[XRC_HEADER_EXTRA_MAX];  /* e.g. "Lineage=a87bd80c:0" */
} xrc_trace_header;

/* Parses either header form. Returns true, or false with *why saying what is wrong (out is
 * then cleared). */
bool xrc_trace_header_parse(const char *text, xrc_trace_header *out, const char **why);

#endif
