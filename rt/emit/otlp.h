/* otlp.h — X-Ray segment documents turned into an OTLP/HTTP JSON trace export request. */
#ifndef XRC_OTLP_H
#define XRC_OTLP_H

#include <stddef.h>

/*
 * Builds an ExportTraceServiceRequest (OTLP JSON) from n X-Ray documents: one span per
 * segment and subsegment, trace ids as 32 hex digits (the X-Ray id without "1-" and dashes),
 * parentSpanId from the nesting or the document's parent_id, annotations and metadata as
 * attributes (aws.xray.annotations lists the annotation keys, metadata goes under
 * aws.xray.metadata.), HTTP, AWS and SQL fields as semantic-convention attributes,
 * fault/error/throttle as an error status, exceptions as span events. Entities still in
 * progress, and documents that do not parse, are skipped and counted in *skipped.
 * `service` names the resource of subsegment documents (a segment names its own).
 * Returns the text (free with cJSON_free) and the span count in *spans, or NULL (no memory).
 */
char *xrc_otlp_request(char *const *docs, const size_t *lens, size_t n, const char *service,
                       size_t *spans, size_t *skipped);

#endif
