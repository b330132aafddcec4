/* settings.h — every setting of the recorder, written once. The environment parser, the
 * defaults, xray_recorder_configure (core/lifecycle.c) and the check of the settings table in
 * README.md (tests/unit/test_config.c) all walk the list in settings.def (made a table here,
 * xrc_settings); settings.c checks at compile time that each entry has a field of its kind's
 * type in xray_config, and the settings test that the list covers xray_config field by field,
 * in order.
 *
 * One encoding for each meaning, the same in the environment, in xray_config and in xrc_cfg:
 * a count's "off" (never fold, stream by size, no minimum) is -1. In xray_config a zero or
 * NULL field means "leave this setting as it is", so 0 is never a value a field must carry. */
#ifndef XRC_SETTINGS_H
#define XRC_SETTINGS_H

#include "base/config.h"

#include <stddef.h>

#define XRC_MAX_COUNT 100000000 /* the largest count a setting takes */

typedef enum xrc_setting_kind {
    XRC_SET_SWITCH,          /* true/false (1/0); xray_switch; bool in xrc_cfg */
    XRC_SET_COUNT,           /* a whole number in [lo, hi], or -1 when `off` says what it means;
                                long in xray_config and in xrc_cfg */
    XRC_SET_ADDRESS,         /* the daemon address (xrc_cfg.udp and .tcp) */
    XRC_SET_NAME,            /* the service name */
    XRC_SET_RULES,           /* a sampling rules file's path */
    XRC_SET_EMITTERS,        /* an emitter list (xrc_cfg.emit) */
    XRC_SET_VERSION,         /* service.version */
    XRC_SET_PROPAGATORS,     /* a propagator list */
    XRC_SET_CONTEXT_MISSING, /* LOG_ERROR, RUNTIME_ERROR, IGNORE_ERROR */
    XRC_SET_LOG_LEVEL,       /* debug, info, warn (warning), error, off */
    XRC_SET_LOG_FN,          /* from code only: set with log_ctx */
    XRC_SET_LOG_CTX,
    XRC_SET_PLUGINS,         /* ec2, ecs, eks, elastic_beanstalk (xrc_cfg.plugins); "none" */
} xrc_setting_kind;

typedef struct xrc_setting {
    const char *field, *variable;
    xrc_setting_kind kind;
    long lo, hi;
    const char *off, *initial, *shown, *meaning;
    size_t offset, size, align;   /* of the field in xray_config */
    size_t cfg_offset;            /* of a count's or a switch's field in xrc_config */
} xrc_setting;

extern const xrc_setting xrc_settings[];
extern const size_t xrc_nsettings;

/* A setting's value, parsed. */
typedef struct xrc_value {
    long n;                       /* COUNT, CONTEXT_MISSING, LOG_LEVEL */
    bool on;                      /* SWITCH */
    const char *text;             /* NAME, RULES, VERSION: the text parsed (not copied) */
    xrc_addr udp, tcp;            /* ADDRESS */
    xrc_emitters emit;            /* EMITTERS */
    bool xray, w3c;               /* PROPAGATORS */
    unsigned plugins;             /* PLUGINS */
} xrc_value;

/* Parses `text` as setting s. On error returns XRAY_ERR_INVALID and says why in `why`, in
 * words that follow "VARIABLE=text " ("is not a whole number from 1 to 64"). */
xray_status xrc_setting_parse(const xrc_setting *s, const char *text, xrc_value *v, char *why,
                              size_t whylen);

/* Stores a parsed value in xrc_cfg (the log level in the logger). EMITTERS and RULES are stored
 * as they are: the emission and sampling layers act on a change (lifecycle.c tells them). */
void xrc_setting_store(const xrc_setting *s, const xrc_value *v);

/* Setting s as xray_config `c` holds it, spelled as in the environment (in buf, or pointing at
 * the field's own text). False when the field is unset (0, NULL, a _DEFAULT) or from code
 * only (LOG_FN, LOG_CTX). */
bool xrc_setting_text(const xrc_setting *s, const xray_config *c, char *buf, size_t n,
                      const char **text);

/* The current value of s for a message ("keeping 64"). */
const char *xrc_setting_show(const xrc_setting *s, char *buf, size_t n);

/* Parses `text` for setting s; when it is refused, says so in the log, naming `source` (the
 * variable, or "xray_config.FIELD") and the value that stays. */
xray_status xrc_setting_read(const xrc_setting *s, const char *source, const char *text,
                             xrc_value *v);

/* The setting for an xray_config field name, or NULL. */
const xrc_setting *xrc_setting_find(const char *field);

#endif
