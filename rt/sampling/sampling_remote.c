/* sampling_remote.c — centralized sampling, as the X-Ray SDKs do it. Rules come from
 * GetSamplingRules every 300 s; every 10 s the counts of each rule that matched are reported
 * to SamplingTargets, which answers with a fixed rate and a reservoir quota per rule. A rule
 * without a fresh quota may borrow one decision a second. When the daemon does not answer (or
 * answers nonsense) the known rules are kept until they are an hour old; without them, the
 * local rules decide. The poller never runs on a traced thread. */
#include "base/curl_api.h"
#include "sampling/sampling_remote.h"
#include "base/config.h"
#include "model/id.h"
#include "model/thread.h"
#include "base/log.h"
#include "sampling/sampling.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REMOTE_RULES 256
#define HTTP_TIMEOUT_MS 2000L
#define MAX_ANSWER (1024 * 1024)

typedef struct remote_rule {
    char name[65];
    int priority;
    double rate;
    long reservoir_size;
    char service[256], service_type[64], host[256], method[16], path[512];
    /* reservoir quota from SamplingTargets */
    long quota;                 /* -1: none yet */
    double quota_ttl;           /* epoch seconds the quota is good until */
    long long second;           /* the second the counters below count */
    long taken, borrowed;
    /* statistics since the last report */
    long requests, sampled_count, borrow_count;
} remote_rule;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static remote_rule rules[MAX_REMOTE_RULES]; /* centralized rules, by priority */
static int nrules;                           /* entries in rules */
static double rules_fetched_at;      /* epoch seconds of the last good GetSamplingRules */
static char client_id[25];           /* this process's ClientID in SamplingTargets */
static bool poller_running;          /* the poller thread exists */
static bool poller_stop;             /* asks it to end */
static pthread_t poller;             /* the thread polling the daemon's proxy */
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER; /* wakes it early (stop, fork) */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- HTTP to the daemon's proxy ---------------------------------------------------- */

/* POSTs body to the daemon's TCP address; the parsed JSON answer, or NULL with a log line. */
static cJSON *post(const char *path, const char *body)
{
    char url[256], host[200];
    const char *text = xrc_cfg.tcp.text;
    snprintf(host, sizeof host, "%s", text);
    snprintf(url, sizeof url, "http://%s%s", host, path);
    CURL *c = xrc_curl_load() ? xrc_curl.easy_init() : NULL;
    if (!c)
        return NULL;
    xrc_curl_body a = {.max = MAX_ANSWER};
    struct curl_slist *headers = xrc_curl.slist_append(NULL, "Content-Type: application/json");
    xrc_curl.easy_setopt(c, CURLOPT_URL, url);
    xrc_curl.easy_setopt(c, CURLOPT_POSTFIELDS, body);
    xrc_curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    xrc_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, xrc_curl_collect);
    xrc_curl.easy_setopt(c, CURLOPT_WRITEDATA, &a);
    xrc_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
    xrc_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HTTP_TIMEOUT_MS);
    xrc_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = xrc_curl.easy_perform(c);
    long status = 0;
    xrc_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    xrc_curl.slist_free_all(headers);
    xrc_curl.easy_cleanup(c);
    cJSON *json = NULL;
    if (rc != CURLE_OK)
        xrc_log(XRAY_LOG_DEBUG, "sampling: %s: %s; using the rules already known", url,
                xrc_curl.easy_strerror(rc));
    else if (status != 200)
        xrc_log(XRAY_LOG_WARN, "sampling: %s answered HTTP %ld", url, status);
    else if (!(json = a.p ? cJSON_Parse(a.p) : NULL) || !cJSON_IsObject(json)) {
        xrc_log(XRAY_LOG_WARN, "sampling: %s answered something that is not a JSON object", url);
        cJSON_Delete(json);
        json = NULL;
    }
    free(a.p);
    return json;
}

/* ---- GetSamplingRules ---------------------------------------------------------------- */

static bool copy_str(const cJSON *o, const char *key, char *out, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
        return false;
    strcpy(out, v->valuestring);
    return true;
}

static bool num(const cJSON *o, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return false;
    *out = v->valuedouble;
    return true;
}

/* Reads one SamplingRule; false for a rule the SDKs skip (unsupported or malformed). */
static bool read_rule(const cJSON *r, remote_rule *out)
{
    double d;
    char arn[16];
    memset(out, 0, sizeof *out);
    if (!copy_str(r, "RuleName", out->name, sizeof out->name) || !num(r, "Priority", 0, 1e9, &d))
        return false;
    out->priority = (int)d;
    if (!num(r, "FixedRate", 0, 1, &out->rate) || !num(r, "ReservoirSize", 0, 1e9, &d))
        return false;
    out->reservoir_size = (long)d;
    if (!copy_str(r, "ServiceName", out->service, sizeof out->service) ||
        !copy_str(r, "ServiceType", out->service_type, sizeof out->service_type) ||
        !copy_str(r, "Host", out->host, sizeof out->host) ||
        !copy_str(r, "HTTPMethod", out->method, sizeof out->method) ||
        !copy_str(r, "URLPath", out->path, sizeof out->path))
        return false;
    if (!num(r, "Version", 1, 1, &d))
        return false; /* only version 1 rules exist */
    if (!copy_str(r, "ResourceARN", arn, sizeof arn) || strcmp(arn, "*"))
        return false; /* the SDKs do not match on resources */
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(r, "Attributes");
    if (attrs && cJSON_GetArraySize(attrs) > 0)
        return false; /* rules on attributes are not supported by the SDKs either */
    out->quota = -1;
    return true;
}

static int by_priority(const void *a, const void *b)
{
    const remote_rule *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

static bool fetch_rules(void)
{
    cJSON *json = post("/GetSamplingRules", "{}");
    if (!json)
        return false;
    bool ok = xrc_remote_take_rules(json);
    cJSON_Delete(json);
    return ok;
}

bool xrc_remote_take_rules(const cJSON *json)
{
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(json, "SamplingRuleRecords");
    if (!cJSON_IsArray(records)) {
        xrc_log(XRAY_LOG_WARN, "sampling: GetSamplingRules answer has no SamplingRuleRecords");
        return false;
    }
    /* Per call: the poller and xrc_remote_poll_now may fetch at the same time. */
    remote_rule *fresh = malloc(sizeof *fresh * MAX_REMOTE_RULES);
    if (!fresh)
        return false;
    int n = 0, skipped = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(rec, "SamplingRule");
        if (n < MAX_REMOTE_RULES && cJSON_IsObject(r) && read_rule(r, &fresh[n]))
            n++;
        else
            skipped++;
    }
    if (skipped)
        xrc_log(XRAY_LOG_DEBUG, "sampling: skipped %d rule(s) that are malformed or unsupported", skipped);
    qsort(fresh, (size_t)n, sizeof fresh[0], by_priority);
    pthread_mutex_lock(&lock);
    /* keep quotas and counts of rules that are still there */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nrules; j++)
            if (!strcmp(fresh[i].name, rules[j].name)) {
                fresh[i].quota = rules[j].quota;
                fresh[i].quota_ttl = rules[j].quota_ttl;
                fresh[i].requests = rules[j].requests;
                fresh[i].sampled_count = rules[j].sampled_count;
                fresh[i].borrow_count = rules[j].borrow_count;
            }
    memcpy(rules, fresh, sizeof fresh[0] * (size_t)n);
    nrules = n;
    rules_fetched_at = now_s();
    pthread_mutex_unlock(&lock);
    free(fresh);
    return true;
}

/* ---- SamplingTargets ---------------------------------------------------------------- */

static bool report_targets(bool *refetch)
{
    *refetch = false;
    cJSON *body = cJSON_CreateObject(), *docs = cJSON_AddArrayToObject(body, "SamplingStatisticsDocuments");
    double now = now_s();
    pthread_mutex_lock(&lock);
    for (int i = 0; i < nrules; i++) {
        remote_rule *r = &rules[i];
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "RuleName", r->name);
        cJSON_AddStringToObject(d, "ClientID", client_id);
        cJSON_AddNumberToObject(d, "Timestamp", floor(now));
        cJSON_AddNumberToObject(d, "RequestCount", (double)r->requests);
        cJSON_AddNumberToObject(d, "SampledCount", (double)r->sampled_count);
        cJSON_AddNumberToObject(d, "BorrowCount", (double)r->borrow_count);
        cJSON_AddItemToArray(docs, d);
        r->requests = r->sampled_count = r->borrow_count = 0;
    }
    double fetched = rules_fetched_at;
    pthread_mutex_unlock(&lock);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    cJSON *json = text ? post("/SamplingTargets", text) : NULL;
    cJSON_free(text);
    if (!json)
        return false;
    bool ok = xrc_remote_take_targets(json, fetched, refetch);
    cJSON_Delete(json);
    return ok;
}

bool xrc_remote_take_targets(const cJSON *json, double fetched, bool *refetch)
{
    *refetch = false;
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(json, "SamplingTargetDocuments"), *t;
    const cJSON *modified = cJSON_GetObjectItemCaseSensitive(json, "LastRuleModification");
    if (cJSON_IsNumber(modified) && modified->valuedouble > fetched)
        *refetch = true;
    pthread_mutex_lock(&lock);
    cJSON_ArrayForEach(t, targets) {
        char name[65];
        double rate, quota, ttl;
        if (!copy_str(t, "RuleName", name, sizeof name) || !num(t, "FixedRate", 0, 1, &rate))
            continue;
        for (int i = 0; i < nrules; i++) {
            if (strcmp(rules[i].name, name))
                continue;
            rules[i].rate = rate;
            if (num(t, "ReservoirQuota", 0, 1e9, &quota) && num(t, "ReservoirQuotaTTL", 0, 1e12, &ttl)) {
                rules[i].quota = (long)quota;
                rules[i].quota_ttl = ttl;
            }
        }
    }
    pthread_mutex_unlock(&lock);
    bool ok = cJSON_IsArray(targets);
    if (!ok)
        xrc_log(XRAY_LOG_WARN, "sampling: SamplingTargets answer has no SamplingTargetDocuments");
    return ok;
}

bool xrc_remote_poll_now(void)
{
    bool refetch;
    bool ok = fetch_rules();
    if (ok && report_targets(&refetch) && refetch)
        fetch_rules();
    return ok;
}

/* ---- the poller ---------------------------------------------------------------------- */

static void *poll_loop(void *arg)
{
    (void)arg;
    xrc_thread_is_runtime();
    double next_rules = 0, next_targets = now_s() + XRC_TARGETS_INTERVAL_S;
    pthread_mutex_lock(&lock);
    while (!poller_stop) {
        double now = now_s();
        pthread_mutex_unlock(&lock);
        if (now >= next_rules) {
            fetch_rules();
            next_rules = now + XRC_RULES_INTERVAL_S + (double)(xrc_rand64() % 5000) / 1000;
        }
        if (now >= next_targets) {
            bool refetch;
            if (report_targets(&refetch) && refetch)
                fetch_rules();
            next_targets = now + XRC_TARGETS_INTERVAL_S + (double)(xrc_rand64() % 100) / 1000;
        }
        pthread_mutex_lock(&lock);
        double wait = (next_rules < next_targets ? next_rules : next_targets) - now_s();
        if (wait > 0 && !poller_stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += (time_t)wait;
            until.tv_nsec += (long)((wait - floor(wait)) * 1e9);
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&wake, &lock, &until);
        }
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Called with `lock` held. */
static void start_poller(void)
{
    if (poller_running)
        return;
    if (!client_id[0]) {
        char hex[17];
        xrc_hex16(hex, xrc_rand64());
        memcpy(client_id, hex, 16);
        xrc_hex16(hex, xrc_rand64());
        memcpy(client_id + 16, hex, 8);
        client_id[24] = '\0';
    }
    xrc_curl_load();
    /* The poller must not inherit the caller's signal mask quirks or block its exit. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    poller_stop = false;
    if (pthread_create(&poller, &attr, poll_loop, NULL) == 0)
        poller_running = true;
    else
        xrc_log(XRAY_LOG_WARN, "sampling: cannot start the rules poller; using local rules");
    pthread_attr_destroy(&attr);
}

void xrc_remote_stop(void)
{
    pthread_mutex_lock(&lock);
    bool running = poller_running;
    poller_stop = true;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    if (running)
        pthread_join(poller, NULL);
    pthread_mutex_lock(&lock);
    poller_running = false;
    pthread_mutex_unlock(&lock);
}

void xrc_remote_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&lock, &fresh, sizeof fresh);
    poller_running = false;
    poller_stop = false;
    for (int i = 0; i < nrules; i++)
        rules[i].requests = rules[i].sampled_count = rules[i].borrow_count = 0;
    client_id[0] = '\0';
}

void xrc_remote_reset(void)
{
    pthread_mutex_lock(&lock);
    nrules = 0;
    rules_fetched_at = 0;
    pthread_mutex_unlock(&lock);
}

/* ---- deciding ------------------------------------------------------------------------ */

static bool matches(const char *pattern, const char *text)
{
    if (!strcmp(pattern, "*"))
        return true;
    return text && xrc_wildcard_match(pattern, text);
}

bool xrc_remote_decide(const char *service, const char *host, const char *method,
                       const char *path, bool *sampled, char rule[XRC_RULE_NAME_MAX])
{
    double now = now_s();
    pthread_mutex_lock(&lock);
    start_poller();
    if (!nrules || now - rules_fetched_at > XRC_RULES_TTL_S) {
        pthread_mutex_unlock(&lock);
        return false;
    }
    remote_rule *r = NULL;
    for (int i = 0; i < nrules && !r; i++)
        if (matches(rules[i].service, service) && matches(rules[i].service_type, "") &&
            matches(rules[i].host, host) && matches(rules[i].method, method) &&
            matches(rules[i].path, path))
            r = &rules[i];
    if (!r) {
        pthread_mutex_unlock(&lock);
        return false;
    }
    long long sec = (long long)now;
    if (r->second != sec) {
        r->second = sec;
        r->taken = r->borrowed = 0;
    }
    bool yes;
    r->requests++;
    if (r->quota >= 0 && r->quota_ttl >= now) {
        yes = r->taken < r->quota;  /* a fresh quota: take from it */
        if (yes)
            r->taken++;
    } else if (r->reservoir_size > 0 && r->borrowed < 1) {
        yes = true;                 /* no quota yet (or expired): borrow one a second */
        r->borrowed++;
        r->borrow_count++;
    } else {
        yes = false;
    }
    if (!yes)
        yes = (double)(xrc_rand64() >> 11) * 0x1.0p-53 < r->rate;
    if (yes)
        r->sampled_count++;
    snprintf(rule, XRC_RULE_NAME_MAX, "%s", r->name);
    pthread_mutex_unlock(&lock);
    *sampled = yes;
    return true;
}
