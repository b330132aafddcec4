/* test_sampling.c — local sampling rules: files in both versions, matching, reservoir and
 * rate, and every way a rules file can be wrong. Rates of 0 and 1 keep the tests exact. */
#include "harness.h"
#include "sampling/sampling.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char rules_path[64];

static void write_rules(const char *json)
{
    snprintf(rules_path, sizeof rules_path, "/tmp/xraycap-rules-%d.json", (int)getpid());
    FILE *f = fopen(rules_path, "w");
    fputs(json, f);
    fclose(f);
}

static xray_status use_rules(const char *json)
{
    write_rules(json);
    xray_config c = XRAY_CONFIG_INIT;
    c.sampling = XRAY_SWITCH_ON;
    c.sampling_rules = rules_path;
    return xray_recorder_configure(&c);
}

/* Begins and ends one segment for the request; true when it was sampled. */
static int request(const char *host, const char *method, const char *path)
{
    xray_segment_options o = {0};
    o.host = host;
    o.method = method;
    o.path = path;
    xray_begin_segment_ex("svc", &o);
    int sampled = xray_is_sampled();
    xray_end_segment();
    return sampled;
}

static void test_first_matching_rule_decides_in_version_2_files(void)
{
    test_reset();
    CU_ASSERT_EQUAL(use_rules("{\"version\":2,\"default\":{\"fixed_target\":0,\"rate\":1},"
                              "\"rules\":[{\"description\":\"no health checks\",\"host\":\"*\",\"http_method\":\"GET\","
                              "\"url_path\":\"/health\",\"fixed_target\":0,\"rate\":0},"
                              "{\"host\":\"api.*.com\",\"http_method\":\"P?ST\",\"url_path\":\"/users*\","
                              "\"fixed_target\":0,\"rate\":0}]}"), XRAY_OK);
    CU_ASSERT_FALSE(request("x", "GET", "/health"));
    CU_ASSERT_FALSE(request("api.example.com", "post", "/users/7")); /* case-insensitive */
    CU_ASSERT_TRUE(request("api.example.com", "GET", "/users/7"));
    CU_ASSERT_TRUE(request("web.example.com", "POST", "/users"));
    CU_ASSERT_TRUE(request(NULL, NULL, NULL) == 0); /* no request: every rule applies, the first says 0 */
    CU_ASSERT_EQUAL(collect(), 2);
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

static void test_version_1_files_match_the_service_name(void)
{
    test_reset();
    CU_ASSERT_EQUAL(use_rules("{\"version\":1,\"default\":{\"fixed_target\":0,\"rate\":1},"
                              "\"rules\":[{\"service_name\":\"sv?\",\"http_method\":\"*\",\"url_path\":\"*\","
                              "\"fixed_target\":0,\"rate\":0}]}"), XRAY_OK);
    CU_ASSERT_FALSE(request("h", "GET", "/"));
    xray_begin_segment("other");
    CU_ASSERT_TRUE(xray_is_sampled());
    xray_end_segment();
    collect();
}

static void test_reservoir_takes_fixed_target_per_second_then_rate(void)
{
    test_reset();
    CU_ASSERT_EQUAL(use_rules("{\"version\":2,\"default\":{\"fixed_target\":3,\"rate\":0}}"), XRAY_OK);
    int sampled = 0;
    for (int i = 0; i < 20; i++)
        sampled += request("h", "GET", "/");
    /* 3 per second; 20 requests take well under a second, at most crossing into the next */
    CU_ASSERT_TRUE(sampled == 3 || sampled == 6);
    CU_ASSERT_EQUAL((int)collect(), sampled);
}

static void test_incoming_decision_wins_over_the_rules(void)
{
    test_reset();
    use_rules("{\"version\":2,\"default\":{\"fixed_target\":0,\"rate\":0}}");
    xray_begin_segment_from_header("forced", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
    CU_ASSERT_TRUE(xray_is_sampled());
    xray_end_segment();
    xray_begin_segment_from_header("asks", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?");
    CU_ASSERT_FALSE(xray_is_sampled()); /* the rules decide: rate 0 */
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 1);
}

static void test_default_rule_is_one_per_second_then_five_percent(void)
{
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    c.sampling = XRAY_SWITCH_ON;
    xray_recorder_configure(&c);
    CU_ASSERT_EQUAL(xray_recorder_configure(&(xray_config){.sampling = XRAY_SWITCH_ON}), XRAY_OK);
    use_rules("{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":0.05}}");
    int sampled = 0;
    for (int i = 0; i < 2000; i++)
        sampled += request(NULL, NULL, NULL);
    /* 1 (or 2 across a second) + 5% of ~2000: far from 0 and far from all */
    CU_ASSERT_TRUE(sampled >= 40 && sampled <= 200);
    collect();
}

static void test_bad_rules_files_are_reported_and_the_default_kept(void)
{
    static const char *bad[] = {
        "", "not json", "[]", "{}", "{\"version\":3,\"default\":{\"fixed_target\":1,\"rate\":0.1}}",
        "{\"version\":2}", "{\"version\":2,\"default\":{\"rate\":0.1}}",
        "{\"version\":2,\"default\":{\"fixed_target\":-1,\"rate\":0.1}}",
        "{\"version\":2,\"default\":{\"fixed_target\":1.5,\"rate\":0.1}}",
        "{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":1.5}}",
        "{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":\"high\"}}",
        "{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":0.1,\"host\":\"x\"}}",
        "{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":0.1},\"rules\":{}}",
        "{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":0.1},\"rules\":[1]}",
        "{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":0.1},\"rules\":[{\"http_method\":\"*\",\"url_path\":\"*\",\"fixed_target\":1,\"rate\":0.1}]}",
        "{\"version\":1,\"default\":{\"fixed_target\":1,\"rate\":0.1},\"rules\":[{\"host\":\"*\",\"http_method\":\"*\",\"url_path\":\"*\",\"fixed_target\":1,\"rate\":0.1}]}",
        "{\"version\":2,\"default\":{\"fixed_target\":1,\"rate\":0.1},\"rules\":[{\"host\":\"\",\"http_method\":\"*\",\"url_path\":\"*\",\"fixed_target\":1,\"rate\":0.1}]}",
    };
    test_reset();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        log_reset();
        CU_ASSERT_EQUAL(use_rules(bad[i]), XRAY_ERR_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "using the default rule"));
    }
    xray_config c = XRAY_CONFIG_INIT;
    c.sampling_rules = "/nonexistent/rules.json";
    log_reset();
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "cannot open"));
    /* the default rule is in force: the first segment of a second is sampled */
    sleep(1);
    CU_ASSERT_TRUE(request(NULL, NULL, NULL));
    collect();
}

static void test_wildcards_match_like_the_sdks(void)
{
    static const struct {
        const char *pattern, *text;
        bool match;
    } cases[] = {
        {"*", "", true},           {"*", "anything", true},
        {"a*c", "abbbc", true},    {"a?c", "abc", true},
        {"a?c", "ac", false},      {"*.example.com", "API.Example.com", true},
        {"/users", "/users/1", false}, {"/users*", "/users/1", true},
        {"*a*b*", "xxaxxbxx", true},   {"*a*b", "xxaxxbxx", false},
        {"", "", true},            {"", "x", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CU_ASSERT_EQUAL(xrc_wildcard_match(cases[i].pattern, cases[i].text), cases[i].match);
        if (xrc_wildcard_match(cases[i].pattern, cases[i].text) != cases[i].match)
            fprintf(stderr, "\n    '%s' against '%s'\n", cases[i].pattern, cases[i].text);
    }
}

static int teardown(void)
{
    unlink(rules_path);
    xray_config c = XRAY_CONFIG_INIT;
    c.sampling = XRAY_SWITCH_OFF;
    xray_recorder_configure(&c);
    return 0;
}

void register_sampling(void)
{
    CU_pSuite s = CU_add_suite("sampling", NULL, teardown);
    ADD(s, test_first_matching_rule_decides_in_version_2_files);
    ADD(s, test_version_1_files_match_the_service_name);
    ADD(s, test_reservoir_takes_fixed_target_per_second_then_rate);
    ADD(s, test_incoming_decision_wins_over_the_rules);
    ADD(s, test_default_rule_is_one_per_second_then_five_percent);
    ADD(s, test_bad_rules_files_are_reported_and_the_default_kept);
    ADD(s, test_wildcards_match_like_the_sdks);
}
