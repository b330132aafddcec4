/* jsonbuf.h — a growable output buffer with a hard size limit, and the JSON pieces the
 * serializer writes by hand (for speed: cJSON would allocate a node per field). Once a write
 * would pass the limit the buffer is marked `over` and ignores further writes, so callers
 * check once at the end and can roll back to an earlier length. */
#ifndef XRC_JSONBUF_H
#define XRC_JSONBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xrc_buf {
    char *p;
    size_t len, cap, limit;
    bool over;  /* a write was refused for passing `limit` (or memory ran out) */
} xrc_buf;

void xrc_buf_init(xrc_buf *b, size_t limit);
void xrc_buf_free(xrc_buf *b);
void xrc_buf_rewind(xrc_buf *b, size_t len); /* back to `len`, clearing `over` */
void xrc_buf_put(xrc_buf *b, const char *s, size_t n);
void xrc_buf_puts(xrc_buf *b, const char *s);
void xrc_buf_putc(xrc_buf *b, char c);
/* A JSON string literal of s (valid UTF-8 assumed; control characters escaped). */
void xrc_buf_str(xrc_buf *b, const char *s);
/* A JSON string of s cleaned as an X-Ray name: forbidden characters dropped, bad UTF-8
 * replaced, cut to 200 characters; "unnamed" when nothing is left. */
void xrc_buf_name(xrc_buf *b, const char *s);
/* "0123456789abcdef" with quotes. */
void xrc_buf_hex16(xrc_buf *b, uint64_t id);
/* Epoch seconds with 6 decimals from nanoseconds. */
void xrc_buf_time(xrc_buf *b, int64_t epoch_ns);
void xrc_buf_llong(xrc_buf *b, long long v);
/* A finite double in the shortest of %.15g, %.16g, %.17g that reads back as the same value;
 * whole numbers below 2^53 as integers, without printf. */
void xrc_buf_double(xrc_buf *b, double v);

#endif
