/* doccheck.h — what the X-Ray daemon accepts: the header line, the size, JSON, the fields. */
#ifndef XRAYCAP_DOCCHECK_H
#define XRAYCAP_DOCCHECK_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define DATAGRAM_MAX 65536 /* the daemon reads at most 64 KiB, header line included */

/* Parses and checks one datagram. Returns the document, or NULL with *why set to a short,
 * stable reason ("no header line", "bad header", "too large", "not JSON", "invalid UTF-8",
 * "missing name", ...), usable as a counter's name. */
cJSON *doc_from_datagram(const char *data, size_t len, const char **why);

/* Checks a document already parsed (also for `import`). NULL when valid, else the reason. */
const char *doc_problem(const cJSON *doc);

bool valid_utf8(const char *s, size_t len);

#endif
