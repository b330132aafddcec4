/* aws_credentials.c — AWS credentials by the SDKs' default chain (environment, web identity,
 * shared file, container endpoint, EC2 instance profile over IMDSv2) and the region. Values
 * are checked before use: they end up in HTTP headers, so a stray newline or control character
 * would let a file or an endpoint inject a header. */
#include "emit/aws_credentials.h"
#include "base/curl_api.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Printable ASCII without spaces: what key ids, secrets and tokens consist of. */
static bool clean_value(const char *v)
{
    if (!*v)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return false;
    return true;
}

static bool copy_checked(char *dst, size_t n, const char *v, const char *what, const char *src,
                         char *why, size_t whylen)
{
    if (strlen(v) >= n) {
        snprintf(why, whylen, "%s from %s is longer than %zu characters", what, src, n - 1);
        return false;
    }
    if (!clean_value(v)) {
        snprintf(why, whylen, "%s from %s is empty or holds spaces or control characters", what,
                 src);
        return false;
    }
    strcpy(dst, v);
    return true;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static void home_file(char *out, size_t n, const char *env, const char *rel)
{
    const char *v = getenv(env), *home = getenv("HOME");
    if (v && *v)
        snprintf(out, n, "%s", v);
    else
        snprintf(out, n, "%s/%s", home && *home ? home : ".", rel);
}

/* Calls fn(key, value) for each `key = value` line in section `section` of an INI file; the
 * config file names sections "profile NAME" except for "default". False: no such file. */
static bool ini_section(const char *path, const char *section, bool config_style,
                        void (*fn)(const char *key, const char *value, void *ctx), void *ctx,
                        bool *found)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char line[8192], want[300];
    if (config_style && strcmp(section, "default"))
        snprintf(want, sizeof want, "profile %s", section);
    else
        snprintf(want, sizeof want, "%s", section);
    bool in = false;
    *found = false;
    while (fgets(line, sizeof line, f)) {
        char *l = trim(line);
        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end) {
                *end = '\0';
                in = !strcmp(trim(l + 1), want);
                *found |= in;
            }
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in || !eq)
            continue;
        *eq = '\0';
        fn(trim(l), trim(eq + 1), ctx);
    }
    fclose(f);
    return true;
}

typedef struct cred_lines {
    char key_id[sizeof((xrc_aws_credentials *)0)->key_id + 1];
    char secret[sizeof((xrc_aws_credentials *)0)->secret + 1];
    char token[sizeof((xrc_aws_credentials *)0)->token + 1];
    char region[64];
} cred_lines;

static void take_line(const char *key, const char *value, void *ctx)
{
    cred_lines *c = ctx;
    if (!strcmp(key, "aws_access_key_id"))
        snprintf(c->key_id, sizeof c->key_id, "%s", value);
    else if (!strcmp(key, "aws_secret_access_key"))
        snprintf(c->secret, sizeof c->secret, "%s", value);
    else if (!strcmp(key, "aws_session_token"))
        snprintf(c->token, sizeof c->token, "%s", value);
    else if (!strcmp(key, "region"))
        snprintf(c->region, sizeof c->region, "%s", value);
}

static const char *profile(void)
{
    const char *p = getenv("AWS_PROFILE");
    return p && *p ? p : "default";
}

/* ---- the sources, in the SDKs' order: each returns FOUND, ABSENT (not set up here) or FAILED,
 * with what happened in `why` ---------------------------------------------------------- */

typedef enum { FOUND, ABSENT, FAILED } outcome;

static outcome from_environment(xrc_aws_credentials *c, char *why, size_t whylen)
{
    const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (!id || !*id) {
        snprintf(why, whylen, "AWS_ACCESS_KEY_ID is not set");
        return ABSENT;
    }
    if (!secret || !*secret) {
        snprintf(why, whylen, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
        return FAILED;
    }
    const char *token = getenv("AWS_SESSION_TOKEN");
    snprintf(c->source, sizeof c->source, "environment variables");
    return copy_checked(c->key_id, sizeof c->key_id, id, "AWS_ACCESS_KEY_ID", c->source, why, whylen) &&
                   copy_checked(c->secret, sizeof c->secret, secret, "AWS_SECRET_ACCESS_KEY",
                                c->source, why, whylen) &&
                   (!token || !*token || copy_checked(c->token, sizeof c->token, token,
                                                      "AWS_SESSION_TOKEN", c->source, why, whylen))
               ? FOUND : FAILED;
}

static outcome from_profile(xrc_aws_credentials *c, char *why, size_t whylen)
{
    char path[1024];
    home_file(path, sizeof path, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    cred_lines l;
    memset(&l, 0, sizeof l);
    bool found;
    if (!ini_section(path, profile(), false, take_line, &l, &found)) {
        snprintf(why, whylen, "no credentials file at %.900s", path);
        return ABSENT;
    }
    snprintf(c->source, sizeof c->source, "profile [%.100s] of %.200s", profile(), path);
    if (!found) {
        snprintf(why, whylen, "%s: no such profile", c->source);
        return ABSENT;
    }
    if (!l.key_id[0] || !l.secret[0]) {
        snprintf(why, whylen, "%s lacks aws_access_key_id or aws_secret_access_key "
                              "(source_profile and role_arn are not followed)", c->source);
        return FAILED;
    }
    return copy_checked(c->key_id, sizeof c->key_id, l.key_id, "aws_access_key_id", c->source,
                        why, whylen) &&
                   copy_checked(c->secret, sizeof c->secret, l.secret, "aws_secret_access_key",
                                c->source, why, whylen) &&
                   (!l.token[0] || copy_checked(c->token, sizeof c->token, l.token,
                                                "aws_session_token", c->source, why, whylen))
               ? FOUND : FAILED;
}

/* "2026-12-03T13:00:00Z" as Unix time; 0 when it is not that form. */
static long long iso_time(const char *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = t ? strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    return end ? (long long)timegm(&tm) : 0;
}

/* Credentials from a JSON answer (container endpoint, IMDS): AccessKeyId, SecretAccessKey,
 * Token, Expiration. */
static outcome take_json(xrc_aws_credentials *c, const char *text, char *why, size_t whylen)
{
    cJSON *j = cJSON_Parse(text);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "AccessKeyId"));
    const char *secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "SecretAccessKey"));
    const char *token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "Token"));
    const char *expires = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "Expiration"));
    outcome o = FAILED;
    if (!id || !secret)
        snprintf(why, whylen, "%s: the answer holds no AccessKeyId and SecretAccessKey", c->source);
    else if (copy_checked(c->key_id, sizeof c->key_id, id, "AccessKeyId", c->source, why, whylen) &&
             copy_checked(c->secret, sizeof c->secret, secret, "SecretAccessKey", c->source, why, whylen) &&
             (!token || copy_checked(c->token, sizeof c->token, token, "Token", c->source, why, whylen)))
        o = FOUND;
    c->expires = iso_time(expires);
    cJSON_Delete(j);
    return o;
}

/* The text of <tag>...</tag> in an XML answer, or false. */
static bool xml_text(const char *xml, const char *tag, char *out, size_t n)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(xml, open), *b = a ? strstr(a, close) : NULL;
    if (!b || (size_t)(b - a - strlen(open)) >= n)
        return false;
    snprintf(out, n, "%.*s", (int)(b - a - strlen(open)), a + strlen(open));
    return true;
}

static char *url_encoded(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;
    for (; out && *s; s++)
        if (isalnum((unsigned char)*s) || strchr("-_.~", *s))
            *o++ = *s;
        else
            o += sprintf(o, "%%%02X", (unsigned char)*s);
    if (out)
        *o = '\0';
    return out;
}

static outcome from_web_identity(xrc_aws_credentials *c, char *why, size_t whylen)
{
    const char *file = getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = getenv("AWS_ROLE_ARN");
    if (!file || !*file || !role || !*role) {
        snprintf(why, whylen, "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not both set");
        return ABSENT;
    }
    snprintf(c->source, sizeof c->source, "web identity (%.200s)", role);
    char token[8192] = "";
    FILE *f = fopen(file, "re");
    size_t got = f ? fread(token, 1, sizeof token - 1, f) : 0;
    if (f)
        fclose(f);
    token[got] = '\0';
    char *t = trim(token);
    if (!*t) {
        snprintf(why, whylen, "%s: the token file %.300s cannot be read or is empty", c->source, file);
        return FAILED;
    }
    const char *session = getenv("AWS_ROLE_SESSION_NAME");
    char url[512], region[64];
    const char *sts = getenv("AWS_ENDPOINT_URL_STS");
    if (sts && *sts)
        snprintf(url, sizeof url, "%s", sts);
    else if (xrc_aws_region(region, sizeof region))
        snprintf(url, sizeof url, "https://sts.%s.amazonaws.com/", region);
    else
        snprintf(url, sizeof url, "https://sts.amazonaws.com/");
    char *r = url_encoded(role), *s = url_encoded(session && *session ? session : "xraycap"),
         *w = url_encoded(t);
    char *body = r && s && w ? malloc(strlen(r) + strlen(s) + strlen(w) + 128) : NULL;
    outcome o = FAILED;
    if (body) {
        sprintf(body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s&RoleSessionName=%s"
                      "&WebIdentityToken=%s", r, s, w);
        struct curl_slist *h = xrc_curl_load() ? xrc_curl.slist_append(
                                   NULL, "Content-Type: application/x-www-form-urlencoded") : NULL;
        xrc_curl_body answer;
        const char *error;
        long status = xrc_curl_request("POST", url, h, body, 5000, &answer, &error);
        if (h)
            xrc_curl.slist_free_all(h);
        char id[200], secret[300], session_token[4096], expires[64];
        if (status != 200)
            snprintf(why, whylen, "%s: STS at %.200s answered %ld%s%s", c->source, url, status,
                     status ? "" : ": ", status ? "" : error);
        else if (!xml_text(answer.p ? answer.p : "", "AccessKeyId", id, sizeof id) ||
                 !xml_text(answer.p, "SecretAccessKey", secret, sizeof secret) ||
                 !xml_text(answer.p, "SessionToken", session_token, sizeof session_token))
            snprintf(why, whylen, "%s: STS's answer holds no credentials", c->source);
        else if (copy_checked(c->key_id, sizeof c->key_id, id, "AccessKeyId", c->source, why, whylen) &&
                 copy_checked(c->secret, sizeof c->secret, secret, "SecretAccessKey", c->source, why, whylen) &&
                 copy_checked(c->token, sizeof c->token, session_token, "SessionToken", c->source, why, whylen)) {
            c->expires = xml_text(answer.p, "Expiration", expires, sizeof expires) ? iso_time(expires) : 0;
            o = FOUND;
        }
        free(answer.p);
    }
    free(r);
    free(s);
    free(w);
    free(body);
    return o;
}

static outcome from_container(xrc_aws_credentials *c, char *why, size_t whylen)
{
    const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    char url[1024];
    if (rel && *rel)
        snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
    else if (full && *full)
        snprintf(url, sizeof url, "%s", full);
    else {
        snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
        return ABSENT;
    }
    snprintf(c->source, sizeof c->source, "container credentials at %.250s", url);
    char token[4096] = "", header[4200];
    const char *token_file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (token_file && *token_file) {
        FILE *f = fopen(token_file, "re");
        size_t got = f ? fread(token, 1, sizeof token - 1, f) : 0;
        if (f)
            fclose(f);
        token[got] = '\0';
    } else if (getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        snprintf(token, sizeof token, "%s", getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    }
    char *t = trim(token);
    struct curl_slist *h = NULL;
    if (*t) {
        if (!clean_value(t)) {
            snprintf(why, whylen, "%s: the authorization token holds spaces or control characters",
                     c->source);
            return FAILED;
        }
        snprintf(header, sizeof header, "Authorization: %s", t);
        h = xrc_curl_load() ? xrc_curl.slist_append(NULL, header) : NULL;
    }
    xrc_curl_body answer;
    const char *error;
    long status = xrc_curl_request("GET", url, h, NULL, 2000, &answer, &error);
    if (h)
        xrc_curl.slist_free_all(h);
    outcome o = FAILED;
    if (status != 200)
        snprintf(why, whylen, "%s answered %ld%s%s", c->source, status, status ? "" : ": ",
                 status ? "" : error);
    else
        o = take_json(c, answer.p ? answer.p : "", why, whylen);
    free(answer.p);
    return o;
}

static outcome from_instance_profile(xrc_aws_credentials *c, char *why, size_t whylen)
{
    const char *off = getenv("AWS_EC2_METADATA_DISABLED"), *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (off && !strcasecmp(off, "true")) {
        snprintf(why, whylen, "AWS_EC2_METADATA_DISABLED=true");
        return ABSENT;
    }
    if (!base || !*base)
        base = "http://169.254.169.254";
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    snprintf(c->source, sizeof c->source, "instance profile (IMDSv2 at %.*s)", (int)(bl < 200 ? bl : 200), base);
    char url[512], token[256], header[300];
    xrc_curl_body answer;
    const char *error;
    struct curl_slist *h = xrc_curl_load() ? xrc_curl.slist_append(
                               NULL, "X-aws-ec2-metadata-token-ttl-seconds: 21600") : NULL;
    snprintf(url, sizeof url, "%.*s/latest/api/token", (int)bl, base);
    long status = xrc_curl_request("PUT", url, h, NULL, 1000, &answer, &error);
    if (h)
        xrc_curl.slist_free_all(h);
    snprintf(token, sizeof token, "%s", status == 200 && answer.p ? answer.p : "");
    free(answer.p);
    if (status != 200 || !clean_value(token)) {
        snprintf(why, whylen, "%s: no session token (%s%ld%s%s); IMDSv1 is not used", c->source,
                 status ? "HTTP " : "", status, status ? "" : ": ", status ? "" : error);
        return status ? FAILED : ABSENT;
    }
    snprintf(header, sizeof header, "X-aws-ec2-metadata-token: %s", token);
    h = xrc_curl.slist_append(NULL, header);
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/", (int)bl, base);
    status = xrc_curl_request("GET", url, h, NULL, 1000, &answer, &error);
    char role[256];
    snprintf(role, sizeof role, "%.*s", answer.p ? (int)strcspn(answer.p, "\r\n") : 0, answer.p ? answer.p : "");
    free(answer.p);
    outcome o = FAILED;
    if (status != 200 || !role[0] || strchr(role, '/'))
        snprintf(why, whylen, "%s: no role attached (HTTP %ld)", c->source, status);
    else {
        snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl, base, role);
        status = xrc_curl_request("GET", url, h, NULL, 1000, &answer, &error);
        if (status != 200)
            snprintf(why, whylen, "%s: the role's credentials: HTTP %ld", c->source, status);
        else
            o = take_json(c, answer.p ? answer.p : "", why, whylen);
        free(answer.p);
    }
    xrc_curl.slist_free_all(h);
    return o;
}

bool xrc_aws_credentials_load(xrc_aws_credentials *c, char *why, size_t whylen)
{
    static const struct {
        const char *name;
        outcome (*get)(xrc_aws_credentials *, char *, size_t);
    } chain[] = {
        {"environment", from_environment}, {"web identity", from_web_identity},
        {"shared credentials file", from_profile}, {"container", from_container},
        {"EC2 instance profile", from_instance_profile},
    };
    size_t used = 0;
    why[0] = '\0';
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
        char reason[600];
        memset(c, 0, sizeof *c);
        outcome o = chain[i].get(c, reason, sizeof reason);
        if (o == FOUND)
            return true;
        int n = snprintf(why + used, whylen - used, "%s%s: %s", used ? "; " : "", chain[i].name, reason);
        if (n > 0 && (size_t)n < whylen - used)
            used += (size_t)n;
        if (o == FAILED) /* set up but broken: an error, as in the SDKs, not a reason to go on */
            break;
    }
    memset(c, 0, sizeof *c);
    return false;
}

bool xrc_aws_credentials_fresh(const xrc_aws_credentials *c)
{
    return !c->expires || (long long)time(NULL) < c->expires - 300;
}

/* us-east-1, eu-west-3, us-gov-west-1, cn-north-1: letters, digits and dashes. */
static bool region_name(const char *r)
{
    size_t n = strlen(r);
    if (n < 4 || n > 40)
        return false;
    for (const char *p = r; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
            return false;
    return true;
}

bool xrc_aws_region(char *out, size_t n)
{
    const char *v = getenv("AWS_REGION");
    if (!v || !*v)
        v = getenv("AWS_DEFAULT_REGION");
    if (v && *v) {
        if (!region_name(v) || strlen(v) >= n)
            return false;
        snprintf(out, n, "%s", v);
        return true;
    }
    char path[1024];
    home_file(path, sizeof path, "AWS_CONFIG_FILE", ".aws/config");
    cred_lines l;
    memset(&l, 0, sizeof l);
    bool found;
    if (!ini_section(path, profile(), true, take_line, &l, &found) || !region_name(l.region) ||
        strlen(l.region) >= n)
        return false;
    snprintf(out, n, "%s", l.region);
    return true;
}
