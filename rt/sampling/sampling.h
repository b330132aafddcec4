/* sampling.h — which segments are recorded: local rules (a file in the SDKs' version 1 or 2
 * format, else the default of 1 per second then 5%). */
#ifndef XRC_SAMPLING_H
#define XRC_SAMPLING_H

#include "xray_capture.h"

#include <stdbool.h>

/* The decision for a new segment. NULL fields match every rule, as in the SDKs. `rule` gets
 * the name of the centralized rule that decided, or "" when the local rules did. */
bool xrc_sampling_decide(const char *service, const char *host, const char *method,
                         const char *path, char rule[65]);

/* Replaces the local rules with those in the file at `path` (NULL: the default rule). On any
 * error keeps the default rule, logs what is wrong and returns XRAY_ERR_INVALID. */
xray_status xrc_sampling_load_file(const char *path);

/* Parses rules from JSON text; `origin` names it in messages. Same contract as above. */
xray_status xrc_sampling_load_text(const char *text, const char *origin);

/* '*' matches any run of characters, '?' one; case-insensitive, as the SDKs match. */
bool xrc_wildcard_match(const char *pattern, const char *text);

#endif
