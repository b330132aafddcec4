/*
 * xray_capture/limits.h — the limits xraycap keeps, in one place: the runtime never writes a
 * document past them, and the xraycap daemon refuses what goes past them. Most come from the
 * official segment-document JSON schema and the X-Ray developer guide; the nesting limits are
 * xraycap's, chosen so that a document stays well inside what JSON parsers accept.
 */
#ifndef XRAY_CAPTURE_LIMITS_H
#define XRAY_CAPTURE_LIMITS_H

#define XRAY_MAX_NESTING 256          /* subsegments inside subsegments, below the segment */
#define XRAY_MAX_METADATA_DEPTH 64    /* nesting of one metadata value (objects and arrays) */
#define XRAY_MAX_DOCUMENT_BYTES 64000 /* one datagram, header line included */
#define XRAY_NAME_MAX 200             /* characters in a segment or subsegment name */
#define XRAY_ANNOTATION_KEY_MAX 500   /* characters of [A-Za-z0-9_] */
#define XRAY_ANNOTATION_VALUE_MAX 1000 /* characters in a string annotation */
#define XRAY_MAX_ANNOTATIONS 50       /* per segment or subsegment */
#define XRAY_HTTP_FIELD_MAX 250       /* http.request method, url, user_agent, client_ip; user */

#endif
