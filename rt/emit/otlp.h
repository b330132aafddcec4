/* otlp.h — X-Ray segment documents turned into an OTLP/HTTP trace export request: one tree in
 * the OTLP JSON mapping (otlp.c), written as JSON or as protobuf (otlp_proto.c). */
#ifndef XRC_OTLP_H
#define XRC_OTLP_H

#include <stddef.h>

/*
 * Builds an ExportTraceServiceRequest (OTLP JSON) from n queued entries, each an
 * xrc_otlp_tag (segment name, NUL, W3C trace id or nothing, NUL) then an X-Ray document, as
 * xrc_emit_doc queues them. One
 * span per segment and subsegment, in one resource per segment name (service.name), so the
 * streamed parts of a segment stay in its service. The mapping is the OpenTelemetry
 * Collector's (see docs/emitters.md for the table): trace ids as 32 hex digits (the X-Ray id
 * without "1-" and dashes), parentSpanId from the nesting or the document's parent_id,
 * annotations as attributes listed in aws.xray.annotations, metadata as one attribute per
 * namespace, aws.xray.metadata.<namespace>, holding that namespace's JSON; HTTP, AWS and SQL
 * fields as the stable semantic conventions; fault (and, on clients, error and throttle) as
 * an error status; exceptions as span events. Entities still in progress, and entries that do
 * not parse, are skipped and counted in *skipped. Returns the tree (free with cJSON_Delete)
 * and the span count in *spans, or NULL (no memory).
 */
struct cJSON *xrc_otlp_build(char *const *entries, const size_t *lens, size_t n, size_t *spans,
                             size_t *skipped);

/* Removes from the request the spans that start before from_ns or after to_ns (Unix time in
 * nanoseconds: X-Ray's OTLP endpoint refuses them); returns how many. */
size_t xrc_otlp_drop_outside(struct cJSON *request, long long from_ns, long long to_ns);

/* The request tree as an OTLP protobuf ExportTraceServiceRequest (malloc'd, *len bytes), or
 * NULL when memory ran out. */
unsigned char *xrc_otlp_protobuf(const struct cJSON *request, size_t *len);

#endif
