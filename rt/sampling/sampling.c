/* sampling.c — local sampling rules. A rule takes its reservoir first (fixed_target segments
 * each second), then samples at `rate`. Decisions happen once per segment, at its start, and
 * never in a captured call. */
#include "sampling/sampling.h"
#include "model/id.h"
#include "model/thread.h"
#include "base/config.h"
#include "base/log.h"
#include "sampling/sampling_remote.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RULES_FILE (1024 * 1024)

typedef struct rule {
    char *description;
    char *service;   /* version 1 */
    char *host;      /* version 2 */
    char *method;
    char *path;
    long fixed_target;
    double rate;
    long long second; /* the second `taken` counts for */
    long taken;
} rule;

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static rule *rules;        /* in file order: the first match decides */
static size_t nrules;      /* entries in rules */
static rule fallback = {.fixed_target = 1, .rate = 0.05}; /* the "default" rule */

bool xrc_wildcard_match(const char *p, const char *t)
{
    const char *star = NULL, *resume = NULL;
    while (*t) {
        if (*p == '*') {
            star = p++;
            resume = t;
        } else if (*p && (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)*t))) {
            p++;
            t++;
        } else if (star) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static void free_rules(rule *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].description);
        free(v[i].service);
        free(v[i].host);
        free(v[i].method);
        free(v[i].path);
    }
    free(v);
}

static bool take_number(const cJSON *o, const char *key, bool integer, double lo, double hi,
                        double *out, char *err, size_t errlen, const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi || (integer && v->valuedouble != floor(v->valuedouble))) {
        snprintf(err, errlen, "%s: \"%s\" must be %s between %g and %g", where, key,
                 integer ? "a whole number" : "a number", lo, hi);
        return false;
    }
    *out = v->valuedouble;
    return true;
}

static bool take_string(const cJSON *o, const char *key, char **out, char *err, size_t errlen,
                        const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > 1024) {
        snprintf(err, errlen, "%s: \"%s\" must be a non-empty string", where, key);
        return false;
    }
    return (*out = strdup(v->valuestring)) != NULL;
}

static bool parse(const char *text, rule **out, size_t *nout, rule *def, char *err, size_t errlen)
{
    cJSON *root = cJSON_Parse(text);
    bool ok = false;
    rule *v = NULL;
    size_t n = 0;
    double d;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "not a JSON object");
        goto done;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsNumber(ver) || (ver->valuedouble != 1 && ver->valuedouble != 2)) {
        snprintf(err, errlen, "\"version\" must be 1 or 2");
        goto done;
    }
    int version = ver->valueint;
    const cJSON *dflt = cJSON_GetObjectItemCaseSensitive(root, "default");
    if (!cJSON_IsObject(dflt)) {
        snprintf(err, errlen, "\"default\" rule is missing");
        goto done;
    }
    static const char *not_in_default[] = {"host", "service_name", "http_method", "url_path"};
    for (size_t i = 0; i < 4; i++)
        if (cJSON_HasObjectItem(dflt, not_in_default[i])) {
            snprintf(err, errlen, "default: \"%s\" is not allowed in the default rule", not_in_default[i]);
            goto done;
        }
    if (!take_number(dflt, "fixed_target", true, 0, 1e9, &d, err, errlen, "default"))
        goto done;
    def->fixed_target = (long)d;
    if (!take_number(dflt, "rate", false, 0, 1, &def->rate, err, errlen, "default"))
        goto done;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "rules");
    if (list && !cJSON_IsArray(list)) {
        snprintf(err, errlen, "\"rules\" must be an array");
        goto done;
    }
    int count = cJSON_GetArraySize(list);
    if (count > 1000) {
        snprintf(err, errlen, "more than 1000 rules");
        goto done;
    }
    v = calloc((size_t)count + 1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, list) {
        char where[32];
        rule *x = &v[n++];
        snprintf(where, sizeof where, "rule %zu", n);
        if (!cJSON_IsObject(r)) {
            snprintf(err, errlen, "%s is not an object", where);
            goto done;
        }
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(r, "description");
        if (cJSON_IsString(desc))
            x->description = strdup(desc->valuestring);
        if (!take_string(r, version == 1 ? "service_name" : "host", version == 1 ? &x->service : &x->host,
                         err, errlen, where) ||
            !take_string(r, "http_method", &x->method, err, errlen, where) ||
            !take_string(r, "url_path", &x->path, err, errlen, where) ||
            !take_number(r, "fixed_target", true, 0, 1e9, &d, err, errlen, where))
            goto done;
        x->fixed_target = (long)d;
        if (!take_number(r, "rate", false, 0, 1, &x->rate, err, errlen, where))
            goto done;
    }
    ok = true;
done:
    cJSON_Delete(root);
    if (!ok) {
        free_rules(v, n);
        return false;
    }
    *out = v;
    *nout = n;
    return true;
}

static xray_status load_text(const char *text, const char *origin)
{
    rule *v = NULL, def = {.fixed_target = 1, .rate = 0.05};
    size_t n = 0;
    char err[200] = "";
    bool ok = text && parse(text, &v, &n, &def, err, sizeof err);
    if (!ok) {
        xrc_log(XRAY_LOG_ERROR, "sampling rules %s: %s; using the default rule (1 per second, "
                                "then 5%%)", origin, err[0] ? err : "empty");
        def = (rule){.fixed_target = 1, .rate = 0.05};
    }
    pthread_mutex_lock(&rules_lock);
    free_rules(rules, nrules);
    rules = v;
    nrules = n;
    fallback = def;
    pthread_mutex_unlock(&rules_lock);
    return ok ? XRAY_OK : XRAY_ERR_INVALID;
}

static xray_status load_file(const char *path)
{
    if (!path) {
        pthread_mutex_lock(&rules_lock);
        free_rules(rules, nrules);
        rules = NULL;
        nrules = 0;
        fallback = (rule){.fixed_target = 1, .rate = 0.05};
        pthread_mutex_unlock(&rules_lock);
        return XRAY_OK;
    }
    int saved = errno;
    char origin[300];
    snprintf(origin, sizeof origin, "file '%.250s'", path);
    FILE *f = fopen(path, "r");
    if (!f) {
        xrc_log(XRAY_LOG_ERROR, "sampling rules %s: cannot open: %s; using the default rule",
                origin, strerror(errno));
        errno = saved;
        load_file(NULL);
        return XRAY_ERR_INVALID;
    }
    char *text = malloc(MAX_RULES_FILE + 1);
    size_t n = text ? fread(text, 1, MAX_RULES_FILE + 1, f) : 0;
    fclose(f);
    xray_status st;
    if (n > MAX_RULES_FILE) {
        xrc_log(XRAY_LOG_ERROR, "sampling rules %s: larger than 1 MiB; using the default rule", origin);
        load_file(NULL);
        st = XRAY_ERR_INVALID;
    } else if (text) {
        text[n] = '\0';
        st = load_text(text, origin);
    } else {
        st = XRAY_ERR_NO_MEMORY;
    }
    free(text);
    errno = saved;
    return st;
}

/* The rules file named in the environment (AWS_XRAY_SAMPLING_RULES) is read before the first
 * decision or explicit load, so a later explicit load always wins. */
static pthread_once_t configured_once = PTHREAD_ONCE_INIT;

static void load_configured(void)
{
    xrc_init();
    if (xrc_cfg.sampling_rules[0])
        load_file(xrc_cfg.sampling_rules);
}

xray_status xrc_sampling_load_file(const char *path)
{
    pthread_once(&configured_once, load_configured);
    return load_file(path);
}

xray_status xrc_sampling_load_text(const char *text, const char *origin)
{
    pthread_once(&configured_once, load_configured);
    return load_text(text, origin);
}

static bool applies(const rule *r, const char *service, const char *host, const char *method,
                    const char *path)
{
    return (!service || !r->service || xrc_wildcard_match(r->service, service)) &&
           (!host || !r->host || xrc_wildcard_match(r->host, host)) &&
           (!method || !r->method || xrc_wildcard_match(r->method, method)) &&
           (!path || !r->path || xrc_wildcard_match(r->path, path));
}

static bool decide(rule *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (r->second != ts.tv_sec) {
        r->second = ts.tv_sec;
        r->taken = 0;
    }
    if (r->taken < r->fixed_target) {
        r->taken++;
        return true;
    }
    return (double)(xrc_rand64() >> 11) * 0x1.0p-53 < r->rate;
}

bool xrc_sampling_decide(const char *service, const char *host, const char *method,
                         const char *path, char rule_name[XRC_RULE_NAME_MAX])
{
    bool remote;
    pthread_once(&configured_once, load_configured);
    rule_name[0] = '\0';
    if (xrc_cfg.sampling_remote &&
        xrc_remote_decide(service, host, method, path, &remote, rule_name))
        return remote;
    pthread_mutex_lock(&rules_lock);
    rule *match = &fallback;
    for (size_t i = 0; i < nrules; i++)
        if (applies(&rules[i], service, host, method, path)) {
            match = &rules[i];
            break;
        }
    bool yes = decide(match);
    pthread_mutex_unlock(&rules_lock);
    return yes;
}
