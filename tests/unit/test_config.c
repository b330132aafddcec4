/* test_config.c — settings from xray_recorder_configure and from the environment. */
#include "harness.h"
#include "base/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef PROBE
#define PROBE "build/tests/env_probe"
#endif

static void test_disabled_recorder_sends_nothing_and_logs_nothing(void)
{
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    c.enabled = XRAY_SWITCH_OFF;
    xray_recorder_configure(&c);
    CU_ASSERT_PTR_NULL(xray_begin_segment("off"));
    CU_ASSERT_PTR_NULL(xray_begin_subsegment("off_sub"));
    XRAY_CAPTURE_BLOCK("off_block") {}
    CU_ASSERT_EQUAL(xray_put_annotation(xray_current_segment(), "k", 1), XRAY_ERR_NO_CONTEXT);
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 0);
    test_reset();
}

static void test_daemon_address_accepts_both_forms(void)
{
    char addr[128];
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    snprintf(addr, sizeof addr, "tcp:127.0.0.1:2000 udp:%s", L.address);
    c.daemon_address = addr;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
    xray_begin_segment("split_form");
    xray_end_segment();
    snprintf(addr, sizeof addr, "udp:%s tcp:localhost:2000", L.address);
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
    xray_begin_segment("reversed_form");
    xray_end_segment();
    snprintf(addr, sizeof addr, "localhost:%d", L.port);
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
    xray_begin_segment("hostname_form");
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 3);
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "split_form"));
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "reversed_form"));
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "hostname_form"));
}

static void test_bad_daemon_addresses_are_refused_and_the_old_one_kept(void)
{
    static const char *bad[] = {
        "", "127.0.0.1", "127.0.0.1:", ":2000", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:20x0", "udp:127.0.0.1:2000", "tcp:127.0.0.1:2000 tcp:127.0.0.1:2001",
        "udp:127.0.0.1:2000 tcp:127.0.0.1:2000 extra", "no.such.host.invalid:2000",
        "udp:127.0.0.1:2000 127.0.0.1:2001",
    };
    test_reset();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xray_config c = XRAY_CONFIG_INIT;
        c.daemon_address = bad[i];
        CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "is not host:port"));
    xray_begin_segment("still_delivered");
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 1);
}

/* Runs the probe with `env` (space-separated assignments) against the test listener. */
static int run_probe(const char *env, const char *arg, char *out, size_t outlen)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "env AWS_XRAY_DAEMON_ADDRESS=%s %s %s %s 2>&1", L.address, env,
             PROBE, arg);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static void test_environment_turns_tracing_off(void)
{
    char out[4096];
    test_reset();
    CU_ASSERT_EQUAL(run_probe("AWS_XRAY_SDK_ENABLED=false", "x", out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "disabled\n");
    CU_ASSERT_EQUAL(collect(), 0);
}

static void test_environment_names_the_service_and_picks_the_strategy(void)
{
    char out[4096];
    test_reset();
    CU_ASSERT_EQUAL(run_probe("AWS_XRAY_TRACING_NAME=from-env AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR",
                              "-", out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "enabled\n"); /* no context-missing line */
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "name")->valuestring, "from-env");
    CU_ASSERT_PTR_NOT_NULL(child_named(L.docs[0], "probe_sub"));
}

static void test_bad_environment_values_are_reported_and_defaults_kept(void)
{
    char out[4096];
    test_reset();
    CU_ASSERT_EQUAL(run_probe("AWS_XRAY_SDK_ENABLED=maybe AWS_XRAY_CONTEXT_MISSING=PANIC "
                              "XRAYCAP_LOG_LEVEL=loud", "named", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "AWS_XRAY_SDK_ENABLED=maybe is neither true nor false"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "AWS_XRAY_CONTEXT_MISSING=PANIC is not"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "XRAYCAP_LOG_LEVEL=loud"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "xray_end_subsegment: no segment is open")); /* LOG_ERROR kept */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "enabled\n"));
    CU_ASSERT_EQUAL(collect(), 1);
}

static void test_bad_daemon_address_in_environment_falls_back_to_default(void)
{
    char out[4096], cmd[512];
    test_reset();
    snprintf(cmd, sizeof cmd, "env AWS_XRAY_DAEMON_ADDRESS=nonsense %s x 2>&1", PROBE);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "AWS_XRAY_DAEMON_ADDRESS=nonsense is not host:port"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "enabled"));
}

/* The settings list (rt/base/settings.h) and xray_config describe the same fields in the same
 * order: each entry's field starts where the one before it ends (padding aside), and the
 * last one ends the struct. A field added to xray_config and not to the list fails here. */
static void test_settings_list_covers_xray_config_field_by_field(void)
{
    size_t end = 0;
    for (size_t i = 0; i < xrc_nsettings; i++) {
        const xrc_setting *s = &xrc_settings[i];
        size_t at = (end + s->align - 1) / s->align * s->align;
        CU_ASSERT_EQUAL(s->offset, at);
        if (s->offset != at)
            fprintf(stderr, "\n    xray_config.%s is at %zu, expected at %zu: a field is "
                            "missing from the settings list before it\n", s->field, s->offset, at);
        end = s->offset + s->size;
    }
    size_t whole = (end + _Alignof(xray_config) - 1) / _Alignof(xray_config) * _Alignof(xray_config);
    CU_ASSERT_EQUAL(whole, sizeof(xray_config));
}

/* The row of the README's settings table that the list makes for s. */
static void settings_row(const xrc_setting *s, char *out, size_t n)
{
    char var[80] = "—";
    if (s->variable)
        snprintf(var, sizeof var, "`%s`", s->variable);
    snprintf(out, n, "| %s | `%s` | %s | %s |", var, s->field, s->shown, s->meaning);
}

static void test_settings_table_in_readme_is_the_list(void)
{
    FILE *f = fopen(ROOT "/README.md", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[1024], want[1024];
    size_t next = 0;
    bool in_table = false;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strcmp(line, "| variable | `xray_config` field | default | meaning |")) {
            in_table = true;
            continue;
        }
        if (!in_table || !strncmp(line, "| ---", 5))
            continue;
        if (line[0] != '|' || next == xrc_nsettings)
            break;
        settings_row(&xrc_settings[next++], want, sizeof want);
        CU_ASSERT_STRING_EQUAL(line, want);
        if (strcmp(line, want))
            fprintf(stderr, "\n    README.md has: %s\n    the list makes: %s\n", line, want);
    }
    fclose(f);
    CU_ASSERT_TRUE(in_table);
    CU_ASSERT_EQUAL(next, xrc_nsettings);
}

/* Each initial value reads as its own setting, and the table shows every setting's default. */
static void test_every_initial_value_is_valid_text_for_its_setting(void)
{
    for (size_t i = 0; i < xrc_nsettings; i++) {
        const xrc_setting *s = &xrc_settings[i];
        xrc_value v;
        char why[300] = "";
        CU_ASSERT_PTR_NOT_NULL(s->shown);
        if (s->initial && xrc_setting_parse(s, s->initial, &v, why, sizeof why) != XRAY_OK) {
            CU_FAIL("an initial value does not parse");
            fprintf(stderr, "\n    %s's initial value '%s' %s\n", s->field, s->initial, why);
        }
    }
}

/* "Off" is -1 wherever it is written: xray_config and the environment agree, and 0, which in
 * xray_config means "leave it", is no value of a count that can be off. */
static void test_off_is_minus_one_in_xray_config_and_in_the_environment(void)
{
    char out[4096];
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    c.fold_after = -1;
    c.min_duration_us = -1;
    c.streaming_threshold = -1;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
    CU_ASSERT_EQUAL(xrc_cfg.fold_after, -1);
    CU_ASSERT_EQUAL(xrc_cfg.min_duration_us, -1);
    CU_ASSERT_EQUAL(xrc_cfg.streaming_threshold, -1);
    c = (xray_config)XRAY_CONFIG_INIT;
    c.fold_after = 0; /* leaves it */
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
    CU_ASSERT_EQUAL(xrc_cfg.fold_after, -1);
    c.fold_after = -2;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "xray_config.fold_after=-2 is not a whole number "
                                            "from 1 to 100000000 or -1 (never); keeping never"));
    CU_ASSERT_EQUAL(run_probe("XRAYCAP_FOLD_AFTER=-1 XRAYCAP_MIN_DURATION_US=-1 "
                              "AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR", "x", out,
                              sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "enabled\n");
    CU_ASSERT_EQUAL(run_probe("XRAYCAP_FOLD_AFTER=0", "x", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "XRAYCAP_FOLD_AFTER=0 is not a whole number from 1 to "
                                       "100000000 or -1 (never); keeping 64"));
    CU_ASSERT_EQUAL(collect(), 2);
    test_reset();
}

/* The environment parser is the list: every variable of it is read, and one that cannot hold
 * the text is refused by name (names and versions take any text; a rules file is opened when
 * sampling first needs it, and the message names the file). */
static void test_every_variable_of_the_list_is_read_from_the_environment(void)
{
    char env[4096] = "", out[8192];
    size_t used = 0;
    for (size_t i = 0; i < xrc_nsettings; i++)
        if (xrc_settings[i].variable)
            used += (size_t)snprintf(env + used, sizeof env - used, "%s=@@ ",
                                     xrc_settings[i].variable);
    test_reset();
    CU_ASSERT_EQUAL(run_probe(env, "x", out, sizeof out), 0);
    for (size_t i = 0; i < xrc_nsettings; i++) {
        const xrc_setting *s = &xrc_settings[i];
        char said[128];
        if (!s->variable || s->kind == XRC_SET_NAME || s->kind == XRC_SET_VERSION)
            continue;
        if (s->kind == XRC_SET_RULES)
            snprintf(said, sizeof said, "rules file '@@'");
        else
            snprintf(said, sizeof said, "%s=@@ ", s->variable);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, said));
        if (!strstr(out, said))
            fprintf(stderr, "\n    %s was not read (or not refused)\n", s->variable);
    }
    collect();
    test_reset();
}

void register_config(void)
{
    CU_pSuite s = CU_add_suite("config", NULL, NULL);
    ADD(s, test_disabled_recorder_sends_nothing_and_logs_nothing);
    ADD(s, test_daemon_address_accepts_both_forms);
    ADD(s, test_bad_daemon_addresses_are_refused_and_the_old_one_kept);
    ADD(s, test_environment_turns_tracing_off);
    ADD(s, test_environment_names_the_service_and_picks_the_strategy);
    ADD(s, test_bad_environment_values_are_reported_and_defaults_kept);
    ADD(s, test_bad_daemon_address_in_environment_falls_back_to_default);
    ADD(s, test_settings_list_covers_xray_config_field_by_field);
    ADD(s, test_settings_table_in_readme_is_the_list);
    ADD(s, test_every_initial_value_is_valid_text_for_its_setting);
    ADD(s, test_off_is_minus_one_in_xray_config_and_in_the_environment);
    ADD(s, test_every_variable_of_the_list_is_read_from_the_environment);
}
