/* settings.c — the settings list (settings.h) made into a table, and the one way a setting is
 * read: as text, the environment's spelling, whether it comes from the environment, from the
 * list's initial value or from an xray_config field. */
#include "base/settings.h"
#include "base/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The type each kind has in xray_config. */
#define PUBLIC_TYPE_SWITCH xray_switch
#define PUBLIC_TYPE_COUNT long
#define PUBLIC_TYPE_ADDRESS const char *
#define PUBLIC_TYPE_NAME const char *
#define PUBLIC_TYPE_RULES const char *
#define PUBLIC_TYPE_EMITTERS const char *
#define PUBLIC_TYPE_VERSION const char *
#define PUBLIC_TYPE_PROPAGATORS const char *
#define PUBLIC_TYPE_CONTEXT_MISSING xray_context_missing
#define PUBLIC_TYPE_LOG_LEVEL xray_log_level
#define PUBLIC_TYPE_LOG_FN xray_log_fn
#define PUBLIC_TYPE_LOG_CTX void *
#define PUBLIC_TYPE_PLUGINS const char *

/* Counts and switches are stored in xrc_config under the field's own name. */
#define CFG_OFFSET_SWITCH(f) offsetof(xrc_config, f)
#define CFG_OFFSET_COUNT(f) offsetof(xrc_config, f)
#define CFG_OFFSET_ADDRESS(f) 0
#define CFG_OFFSET_NAME(f) 0
#define CFG_OFFSET_RULES(f) 0
#define CFG_OFFSET_EMITTERS(f) 0
#define CFG_OFFSET_VERSION(f) 0
#define CFG_OFFSET_PROPAGATORS(f) 0
#define CFG_OFFSET_CONTEXT_MISSING(f) 0
#define CFG_OFFSET_LOG_LEVEL(f) 0
#define CFG_OFFSET_LOG_FN(f) 0
#define CFG_OFFSET_LOG_CTX(f) 0
#define CFG_OFFSET_PLUGINS(f) 0

#define FIELD_OF(type, f) (((type *)0)->f)

#define CHECK_TYPE(field, variable, kind, lo, hi, off, initial, shown, meaning)                    \
    _Static_assert(__builtin_types_compatible_p(__typeof__(FIELD_OF(xray_config, field)),         \
                                                PUBLIC_TYPE_##kind),                              \
                   "xray_config." #field " must have the type of a " #kind " setting");
#define X CHECK_TYPE
#include "base/settings.def"
#undef X

#define ROW(field, variable, kind, lo, hi, off, initial, shown, meaning)                           \
    {#field, variable, XRC_SET_##kind, lo, hi, off, initial, shown, meaning,                      \
     offsetof(xray_config, field), sizeof FIELD_OF(xray_config, field),                           \
     _Alignof(__typeof__(FIELD_OF(xray_config, field))), CFG_OFFSET_##kind(field)},
const xrc_setting xrc_settings[] = {
#define X ROW
#include "base/settings.def"
#undef X
};
const size_t xrc_nsettings = sizeof xrc_settings / sizeof xrc_settings[0];

static long *count_at(const xrc_setting *s) { return (long *)((char *)&xrc_cfg + s->cfg_offset); }
static bool *switch_at(const xrc_setting *s) { return (bool *)((char *)&xrc_cfg + s->cfg_offset); }

static xray_status parse_count(const xrc_setting *s, const char *text, long *out, char *why,
                               size_t whylen)
{
    if (s->off && !strcmp(text, "-1")) {
        *out = -1;
        return XRAY_OK;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (!isdigit((unsigned char)*text) || *end || errno || n < (unsigned long long)s->lo ||
        n > (unsigned long long)s->hi) {
        int w = snprintf(why, whylen, "is not a whole number from %ld to %ld", s->lo, s->hi);
        if (s->off && w >= 0 && (size_t)w < whylen)
            snprintf(why + w, whylen - (size_t)w, " or -1 (%s)", s->off);
        return XRAY_ERR_INVALID;
    }
    *out = (long)n;
    return XRAY_OK;
}

/* "ec2,ecs" (commas or spaces), "none" or "": the XRC_PLUGIN_* set. */
static xray_status parse_plugins(const char *text, unsigned *out, char *why, size_t whylen)
{
    static const struct { const char *name; unsigned bit; } known[] = {
        {"ec2", XRC_PLUGIN_EC2}, {"ecs", XRC_PLUGIN_ECS}, {"eks", XRC_PLUGIN_EKS},
        {"elastic_beanstalk", XRC_PLUGIN_ELASTIC_BEANSTALK}, {"none", 0},
    };
    unsigned set = 0;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, ", \t");
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] &&
               (strlen(known[i].name) != n || strncasecmp(p, known[i].name, n)))
            i++;
        if (n && i == sizeof known / sizeof known[0]) {
            snprintf(why, whylen, "names '%.*s', not one of ec2, ecs, eks, elastic_beanstalk, none",
                     (int)(n > 40 ? 40 : n), p);
            return XRAY_ERR_INVALID;
        }
        if (n)
            set |= known[i].bit;
        p += n;
        p += strspn(p, ", \t");
    }
    *out = set;
    return XRAY_OK;
}

xray_status xrc_setting_parse(const xrc_setting *s, const char *text, xrc_value *v, char *why,
                              size_t whylen)
{
    switch (s->kind) {
    case XRC_SET_SWITCH:
        if (!strcasecmp(text, "true") || !strcmp(text, "1"))
            v->on = true;
        else if (!strcasecmp(text, "false") || !strcmp(text, "0"))
            v->on = false;
        else {
            snprintf(why, whylen, "is neither true nor false");
            return XRAY_ERR_INVALID;
        }
        return XRAY_OK;
    case XRC_SET_COUNT:
        return parse_count(s, text, &v->n, why, whylen);
    case XRC_SET_ADDRESS:
        if (xrc_parse_daemon_address(text, &v->udp, &v->tcp) != XRAY_OK) {
            snprintf(why, whylen, "is not host:port or 'tcp:host:port udp:host:port'");
            return XRAY_ERR_INVALID;
        }
        return XRAY_OK;
    case XRC_SET_NAME:
    case XRC_SET_VERSION:
        v->text = text;
        return XRAY_OK;
    case XRC_SET_RULES:
        if (strlen(text) >= sizeof xrc_cfg.sampling_rules) {
            snprintf(why, whylen, "is longer than %zu characters", sizeof xrc_cfg.sampling_rules - 1);
            return XRAY_ERR_INVALID;
        }
        v->text = text;
        return XRAY_OK;
    case XRC_SET_EMITTERS:
    case XRC_SET_PROPAGATORS: {
        char reason[200];
        xray_status st = s->kind == XRC_SET_EMITTERS
                             ? xrc_parse_emitters(text, &v->emit, reason, sizeof reason)
                             : xrc_parse_propagators(text, &v->xray, &v->w3c, reason, sizeof reason);
        if (st != XRAY_OK)
            snprintf(why, whylen, "is refused: %s", reason);
        return st;
    }
    case XRC_SET_CONTEXT_MISSING:
    case XRC_SET_LOG_LEVEL: {
        bool strategy = s->kind == XRC_SET_CONTEXT_MISSING;
        v->n = strategy ? (long)xrc_parse_context_missing(text) : (long)xrc_parse_log_level(text);
        if (v->n != (strategy ? (long)XRAY_CONTEXT_MISSING_DEFAULT : (long)XRAY_LOG_DEFAULT))
            return XRAY_OK;
        snprintf(why, whylen, "is not %s", strategy ? "LOG_ERROR, RUNTIME_ERROR or IGNORE_ERROR"
                                                    : "one of debug, info, warn, error, off");
        return XRAY_ERR_INVALID;
    }
    case XRC_SET_PLUGINS:
        return parse_plugins(text, &v->plugins, why, whylen);
    case XRC_SET_LOG_FN:
    case XRC_SET_LOG_CTX:
        break;
    }
    snprintf(why, whylen, "is set from code only");
    return XRAY_ERR_INVALID;
}

void xrc_setting_store(const xrc_setting *s, const xrc_value *v)
{
    switch (s->kind) {
    case XRC_SET_SWITCH: *switch_at(s) = v->on; break;
    case XRC_SET_COUNT: *count_at(s) = v->n; break;
    case XRC_SET_ADDRESS: xrc_cfg.udp = v->udp; xrc_cfg.tcp = v->tcp; break;
    case XRC_SET_NAME:
        snprintf(xrc_cfg.service_name, sizeof xrc_cfg.service_name, "%s", v->text);
        break;
    case XRC_SET_RULES:
        snprintf(xrc_cfg.sampling_rules, sizeof xrc_cfg.sampling_rules, "%s", v->text);
        break;
    case XRC_SET_EMITTERS: xrc_cfg.emit = v->emit; break;
    case XRC_SET_VERSION: xrc_cfg_set_version(v->text); break;
    case XRC_SET_PROPAGATORS:
        xrc_cfg.propagate_xray = v->xray;
        xrc_cfg.propagate_w3c = v->w3c;
        break;
    case XRC_SET_CONTEXT_MISSING: xrc_cfg.context_missing = (xray_context_missing)v->n; break;
    case XRC_SET_LOG_LEVEL: xrc_log_set_level((xray_log_level)v->n); break;
    case XRC_SET_PLUGINS: xrc_cfg.plugins = v->plugins; break;
    case XRC_SET_LOG_FN:
    case XRC_SET_LOG_CTX: break;
    }
}

bool xrc_setting_text(const xrc_setting *s, const xray_config *c, char *buf, size_t n,
                      const char **text)
{
    const void *field = (const char *)c + s->offset;
    switch (s->kind) {
    case XRC_SET_SWITCH: {
        xray_switch sw = *(const xray_switch *)field;
        if (sw == XRAY_SWITCH_DEFAULT)
            return false;
        *text = sw == XRAY_SWITCH_ON ? "true" : sw == XRAY_SWITCH_OFF ? "false" : "(not a switch)";
        return true;
    }
    case XRC_SET_COUNT: {
        long v = *(const long *)field;
        if (!v)
            return false;
        snprintf(buf, n, "%ld", v);
        *text = buf;
        return true;
    }
    case XRC_SET_CONTEXT_MISSING: {
        static const char *names[] = {"", "LOG_ERROR", "RUNTIME_ERROR", "IGNORE_ERROR"};
        xray_context_missing cm = *(const xray_context_missing *)field;
        if (cm == XRAY_CONTEXT_MISSING_DEFAULT)
            return false;
        *text = (unsigned)cm < 4 ? names[cm] : "(not a strategy)";
        return true;
    }
    case XRC_SET_LOG_LEVEL: {
        static const char *names[] = {"", "debug", "info", "warn", "error", "off"};
        xray_log_level l = *(const xray_log_level *)field;
        if (l == XRAY_LOG_DEFAULT)
            return false;
        *text = (unsigned)l < 6 ? names[l] : "(not a level)";
        return true;
    }
    case XRC_SET_LOG_FN:
    case XRC_SET_LOG_CTX:
        return false;
    default:
        *text = *(const char *const *)field;
        /* "" names nothing: the default name stays (a "" for the others is refused) */
        return *text != NULL && (s->kind != XRC_SET_NAME || **text);
    }
}

const char *xrc_setting_show(const xrc_setting *s, char *buf, size_t n)
{
    switch (s->kind) {
    case XRC_SET_SWITCH: return *switch_at(s) ? "true" : "false";
    case XRC_SET_COUNT:
        if (*count_at(s) == -1 && s->off)
            return s->off;
        snprintf(buf, n, "%ld", *count_at(s));
        return buf;
    case XRC_SET_ADDRESS: return xrc_cfg.udp.text;
    case XRC_SET_NAME: return xrc_cfg.service_name;
    case XRC_SET_CONTEXT_MISSING: {
        static const char *names[] = {"", "LOG_ERROR", "RUNTIME_ERROR", "IGNORE_ERROR"};
        return names[xrc_cfg.context_missing & 3];
    }
    default: return "the value it had";
    }
}

xray_status xrc_setting_read(const xrc_setting *s, const char *source, const char *text,
                             xrc_value *v)
{
    char why[300], shown[48];
    if (xrc_setting_parse(s, text, v, why, sizeof why) == XRAY_OK)
        return XRAY_OK;
    xrc_log(XRAY_LOG_ERROR, "%s=%.200s %s; keeping %s", source, text, why,
            xrc_setting_show(s, shown, sizeof shown));
    return XRAY_ERR_INVALID;
}

/* Reads and stores text for s, as the environment gives it. */
static void read_and_store(const xrc_setting *s, const char *source, const char *text)
{
    xrc_value v;
    if (xrc_setting_read(s, source, text, &v) == XRAY_OK)
        xrc_setting_store(s, &v);
}

const xrc_setting *xrc_setting_find(const char *field)
{
    for (size_t i = 0; i < xrc_nsettings; i++)
        if (!strcmp(xrc_settings[i].field, field))
            return &xrc_settings[i];
    return NULL;
}

static void default_service_name(void)
{
    extern char *program_invocation_short_name;
    snprintf(xrc_cfg.service_name, sizeof xrc_cfg.service_name, "%s",
             program_invocation_short_name && *program_invocation_short_name
                 ? program_invocation_short_name : "xraycap");
}

void xrc_config_read(void)
{
    int saved = errno;
    const char *v;
    memset(&xrc_cfg, 0, sizeof xrc_cfg);
    xrc_cfg_set_version(NULL);
    default_service_name();
    xrc_cfg.lambda = (v = getenv("LAMBDA_TASK_ROOT")) && *v;
    for (size_t i = 0; i < xrc_nsettings; i++) {
        const xrc_setting *s = &xrc_settings[i];
        if (s->initial)
            read_and_store(s, "(initial value)", s->initial);
    }
    /* The log level first, so that what the others say is written or not as asked. */
    const xrc_setting *level = xrc_setting_find("log_level");
    if ((v = getenv(level->variable)) && *v)
        read_and_store(level, level->variable, v);
    if ((v = getenv("AWS_XRAY_DEBUG_MODE")) && (!strcasecmp(v, "true") || !strcmp(v, "1")))
        xrc_log_set_level(XRAY_LOG_DEBUG);
    for (size_t i = 0; i < xrc_nsettings; i++) {
        const xrc_setting *s = &xrc_settings[i];
        if (s != level && s->variable && (v = getenv(s->variable)) && *v)
            read_and_store(s, s->variable, v);
    }
    errno = saved;
}
