/* sanitize.h — what X-Ray accepts in names, annotation keys and strings, and how bad input is
 * made acceptable. Everything a user hands in passes through here before it is stored. */
#ifndef XRC_SANITIZE_H
#define XRC_SANITIZE_H

#include "xray_capture/limits.h"

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

#define XRC_NAME_MAX XRAY_NAME_MAX
#define XRC_ANNOTATION_KEY_MAX XRAY_ANNOTATION_KEY_MAX
#define XRC_ANNOTATION_VALUE_MAX XRAY_ANNOTATION_VALUE_MAX
#define XRC_HTTP_FIELD_MAX XRAY_HTTP_FIELD_MAX

/* True for a character the segment-document schema allows in names: Unicode letters and
 * digits, space separators, and _ . : / % & # = + - @. (The developer guide also lists the
 * backslash; the official JSON schema does not, so it is left out: the stricter rule wins.)
 * Everything else is removed from names, as the SDKs strip ? ; * ( ) ! $ ~ ^ < >. */
bool xrc_name_char_allowed(unsigned cp);

/* The code point of the valid UTF-8 sequence of n bytes at s (n from xrc_utf8_seq). */
unsigned xrc_utf8_decode(const unsigned char *s, size_t n);

#define XRC_NAME_BYTES (XRC_NAME_MAX * 4 + 1) /* a cleaned name, UTF-8, with its NUL */

/* Writes `name` as X-Ray accepts it into out: invalid UTF-8 and characters outside the
 * allowed set removed, cut to 200 characters, "unnamed" when nothing is left. */
void xrc_name_clean(const char *name, char out[XRC_NAME_BYTES]);

/* True when the name needs no cleaning (only allowed characters, valid UTF-8, at most 200
 * characters, not empty). */
bool xrc_name_is_clean(const char *name);

/* True for 1–500 characters of [A-Za-z0-9_]. */
bool xrc_annotation_key_ok(const char *key);

/* Length in bytes of the valid UTF-8 sequence at s (1–4), or 0 when s does not start one. */
size_t xrc_utf8_seq(const unsigned char *s, size_t avail);

/* A malloc'd copy of s as valid UTF-8 (bad bytes become U+FFFD), cut to max_chars characters
 * (0: no limit). NULL when out of memory. */
char *xrc_utf8_dup(const char *s, size_t max_chars);

/* The first `len` bytes of s as valid UTF-8, cut to max_chars characters (0: no limit), into
 * out, which has room for len * 3 + 1 bytes. Returns the bytes written, without the NUL. */
size_t xrc_utf8_copy(const char *s, size_t len, size_t max_chars, char *out);

/* Makes every string and key in a cJSON tree valid UTF-8, in place. False when out of memory. */
bool xrc_json_make_utf8(struct cJSON *item);

#endif
