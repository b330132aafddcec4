/* gzip.h — request bodies compressed for Content-Encoding: gzip (the OTLP emitter). */
#ifndef XRC_GZIP_H
#define XRC_GZIP_H

#include <stdbool.h>
#include <stddef.h>

/* Compresses n bytes of `in` into a malloc'd gzip member (*out, *out_len). False when zlib
 * cannot be loaded (said once in the log) or memory ran out: send the body as it is. */
bool xrc_gzip(const void *in, size_t n, unsigned char **out, size_t *out_len);

#endif
