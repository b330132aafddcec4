/* http_request.h — one HTTP/1.1 request read from the bytes a connection has sent so far, with
 * the limits a server on loopback still needs: local-api parses each connection's bytes again
 * as they arrive and answers a bad request with the status this returns. */
#ifndef XRAYCAP_HTTP_REQUEST_H
#define XRAYCAP_HTTP_REQUEST_H

#include <stddef.h>

#define HTTP_MAX_HEADER 16384     /* request line and header fields: beyond, 431 */
#define HTTP_MAX_BODY (6u << 20)  /* Lambda's synchronous payload limit: beyond, 413 */

typedef struct request {
    char method[16], path[1024], trace_header[600];
    char *body;       /* malloc'ed, NUL-terminated, chunked bodies decoded; NULL unless done */
    size_t body_len;
} request;

/* Parses buf[0..n). 0: incomplete, read more. 1: complete; *r is filled (free r->body) and
 * *used is how many bytes it took. Otherwise the HTTP status to answer with: 400 (malformed:
 * a method that is not a token of at most 15 characters, a bad path, version, header line,
 * Content-Length or chunk), 413 (body over max_body), 414 (path over 1,023 bytes), 431
 * (header section over HTTP_MAX_HEADER), 501 (a transfer coding other than chunked). */
int http_request_parse(const char *buf, size_t n, size_t max_body, request *r, size_t *used);

#endif
