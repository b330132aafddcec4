/* aws_credentials.c — reads AWS credentials and the region from the environment or the
 * shared INI files. Values are checked before use: they end up in HTTP headers, so a stray
 * newline or control character would let a file inject a header. */
#include "emit/aws_credentials.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool xrc_aws_credentials_load(xrc_aws_credentials *c, char *why, size_t whylen)
{
    memset(c, 0, sizeof *c);
    const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (id && *id) {
        if (!secret || !*secret) {
            snprintf(why, whylen, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
            return false;
        }
        const char *token = getenv("AWS_SESSION_TOKEN");
        snprintf(c->source, sizeof c->source, "environment variables");
        return copy_checked(c->key_id, sizeof c->key_id, id, "AWS_ACCESS_KEY_ID", c->source, why,
                            whylen) &&
               copy_checked(c->secret, sizeof c->secret, secret, "AWS_SECRET_ACCESS_KEY",
                            c->source, why, whylen) &&
               (!token || !*token || copy_checked(c->token, sizeof c->token, token,
                                                  "AWS_SESSION_TOKEN", c->source, why, whylen));
    }
    char path[1024];
    home_file(path, sizeof path, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    cred_lines l;
    memset(&l, 0, sizeof l);
    bool found;
    if (!ini_section(path, profile(), false, take_line, &l, &found)) {
        snprintf(why, whylen, "no AWS_ACCESS_KEY_ID in the environment and no credentials file "
                              "at %.900s", path);
        return false;
    }
    snprintf(c->source, sizeof c->source, "profile [%.100s] of %.200s", profile(), path);
    if (!found) {
        snprintf(why, whylen, "%s: no such profile", c->source);
        return false;
    }
    if (!l.key_id[0] || !l.secret[0]) {
        snprintf(why, whylen, "%s lacks aws_access_key_id or aws_secret_access_key", c->source);
        return false;
    }
    return copy_checked(c->key_id, sizeof c->key_id, l.key_id, "aws_access_key_id", c->source,
                        why, whylen) &&
           copy_checked(c->secret, sizeof c->secret, l.secret, "aws_secret_access_key",
                        c->source, why, whylen) &&
           (!l.token[0] || copy_checked(c->token, sizeof c->token, l.token, "aws_session_token",
                                        c->source, why, whylen));
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
