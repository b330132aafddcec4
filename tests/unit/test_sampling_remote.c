/* test_sampling_remote.c — centralized sampling against a fake daemon proxy: rules, quotas,
 * borrowing, statistics, and the daemon being down, slow or answering garbage (the local rules
 * decide then). Local rules sample everything and remote ones nothing unless said otherwise,
 * so every decision shows which side made it. */
#include "fake_http.h"
#include "harness.h"
#include "sampling/sampling_remote.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct proxy {
    const char *mode;          /* "rules", "slow", "garbage", "badjson", "badrules" */
    long quota;                /* ReservoirQuota for Default, -1 for none */
    atomic_int rules_calls, targets_calls;
    pthread_mutex_t lock;      /* guards last_targets (written by the server thread) */
    char last_targets[4096];
} proxy;

/* A copy of the last SamplingTargets body, taken under the proxy's lock. */
static const char *last_targets(proxy *p)
{
    static char copy[4096];
    pthread_mutex_lock(&p->lock);
    memcpy(copy, p->last_targets, sizeof copy);
    pthread_mutex_unlock(&p->lock);
    return copy;
}

static const char *RULES =
    "{\"SamplingRuleRecords\":["
    "{\"SamplingRule\":{\"RuleName\":\"Default\",\"Priority\":10000,\"FixedRate\":0,\"ReservoirSize\":0,"
    "\"ServiceName\":\"*\",\"ServiceType\":\"*\",\"Host\":\"*\",\"HTTPMethod\":\"*\",\"URLPath\":\"*\","
    "\"ResourceARN\":\"*\",\"Attributes\":{},\"Version\":1}},"
    "{\"SamplingRule\":{\"RuleName\":\"Orders\",\"Priority\":1,\"FixedRate\":1,\"ReservoirSize\":0,"
    "\"ServiceName\":\"*\",\"ServiceType\":\"*\",\"Host\":\"*\",\"HTTPMethod\":\"POST\",\"URLPath\":\"/orders*\","
    "\"ResourceARN\":\"*\",\"Attributes\":{},\"Version\":1}},"
    "{\"SamplingRule\":{\"RuleName\":\"Borrow\",\"Priority\":2,\"FixedRate\":0,\"ReservoirSize\":5,"
    "\"ServiceName\":\"*\",\"ServiceType\":\"*\",\"Host\":\"*\",\"HTTPMethod\":\"PUT\",\"URLPath\":\"*\","
    "\"ResourceARN\":\"*\",\"Attributes\":{},\"Version\":1}},"
    "{\"SamplingRule\":{\"RuleName\":\"WithAttributes\",\"Priority\":0,\"FixedRate\":1,\"ReservoirSize\":0,"
    "\"ServiceName\":\"*\",\"ServiceType\":\"*\",\"Host\":\"*\",\"HTTPMethod\":\"*\",\"URLPath\":\"*\","
    "\"ResourceARN\":\"*\",\"Attributes\":{\"a\":\"b\"},\"Version\":1}}"
    "]}";

static void proxy_handler(const http_request *req, http_response *resp, void *ctx)
{
    proxy *p = ctx;
    int rules = !strcmp(req->path, "/GetSamplingRules");
    if (rules)
        p->rules_calls++;
    else {
        p->targets_calls++;
        pthread_mutex_lock(&p->lock);
        snprintf(p->last_targets, sizeof p->last_targets, "%.4000s", req->body);
        pthread_mutex_unlock(&p->lock);
    }
    if (strcmp(req->method, "POST")) {
        resp->status = 405;
        return;
    }
    if (!strcmp(p->mode, "slow")) {
        resp->delay_ms = 3000; /* past the 2 s timeout */
        snprintf(resp->body, sizeof resp->body, "%s", RULES);
    } else if (!strcmp(p->mode, "garbage")) {
        resp->raw = 1;
        snprintf(resp->body, sizeof resp->body, "\x01\x02 not http at all\r\n\r\n");
    } else if (!strcmp(p->mode, "badjson")) {
        snprintf(resp->body, sizeof resp->body, "{\"SamplingRuleRecords\":[{");
    } else if (!strcmp(p->mode, "badrules")) {
        snprintf(resp->body, sizeof resp->body,
                 "{\"SamplingRuleRecords\":[{\"SamplingRule\":{\"RuleName\":\"x\",\"Priority\":\"high\"}},"
                 "{\"SamplingRule\":{\"RuleName\":\"v2\",\"Priority\":1,\"FixedRate\":1,\"ReservoirSize\":0,"
                 "\"ServiceName\":\"*\",\"ServiceType\":\"*\",\"Host\":\"*\",\"HTTPMethod\":\"*\",\"URLPath\":\"*\","
                 "\"ResourceARN\":\"*\",\"Version\":2}}, 7, null]}");
    } else if (!strcmp(p->mode, "status500")) {
        resp->status = 500;
    } else if (rules) {
        snprintf(resp->body, sizeof resp->body, "%s", RULES);
    } else {
        double ttl = (double)time(NULL) + 60;
        if (p->quota >= 0)
            snprintf(resp->body, sizeof resp->body,
                     "{\"SamplingTargetDocuments\":[{\"RuleName\":\"Default\",\"FixedRate\":0,"
                     "\"ReservoirQuota\":%ld,\"ReservoirQuotaTTL\":%.0f,\"Interval\":10}],"
                     "\"UnprocessedStatistics\":[]}", p->quota, ttl);
        else
            snprintf(resp->body, sizeof resp->body, "{\"SamplingTargetDocuments\":[]}");
    }
}

static fake_http server;
static proxy px;

static void start(const char *mode, long quota)
{
    test_reset();
    xrc_remote_reset();
    memset(&px, 0, sizeof px);
    pthread_mutex_init(&px.lock, NULL);
    px.mode = mode;
    px.quota = quota;
    fake_http_start(&server, proxy_handler, &px);
    char addr[200];
    snprintf(addr, sizeof addr, "tcp:%.64s udp:%.64s", server.address, L.address);
    static char rules_path[64];
    snprintf(rules_path, sizeof rules_path, "/tmp/xraycap-local-%d.json", (int)getpid());
    FILE *f = fopen(rules_path, "w");
    fputs("{\"version\":2,\"default\":{\"fixed_target\":0,\"rate\":1}}", f); /* local: everything */
    fclose(f);
    xray_config c = XRAY_CONFIG_INIT;
    c.daemon_address = addr;
    c.sampling = XRAY_SWITCH_ON;
    c.sampling_remote = XRAY_SWITCH_ON;
    c.sampling_rules = rules_path;
    xray_recorder_configure(&c);
}

static void stop(void)
{
    xrc_remote_stop();
    fake_http_stop(&server);
    xrc_remote_reset();
    char rules_path[64];
    snprintf(rules_path, sizeof rules_path, "/tmp/xraycap-local-%d.json", (int)getpid());
    unlink(rules_path);
    test_reset();
}

static int decide(const char *method, const char *path)
{
    xray_segment_options o = {.host = "shop.example.com", .method = method, .path = path};
    xray_begin_segment_ex("shop", &o);
    int sampled = xray_is_sampled();
    xray_end_segment();
    return sampled;
}

static void test_centralized_rules_decide_once_fetched(void)
{
    start("rules", -1);
    CU_ASSERT_TRUE(xrc_remote_poll_now());
    CU_ASSERT_TRUE(px.rules_calls >= 1);
    CU_ASSERT_TRUE(decide("POST", "/orders/1"));   /* Orders: rate 1 */
    CU_ASSERT_FALSE(decide("GET", "/"));           /* Default: rate 0, no reservoir */
    CU_ASSERT_FALSE(decide("GET", "/orders/1"));   /* Orders wants POST */
    /* the rule with attributes (priority 0, rate 1) is skipped as the SDKs do */
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    /* the segment names the rule that sampled it, as the Python SDK writes it */
    cJSON *xr = cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "aws"), "xray");
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(xr, "sampling_rule_name")), "Orders");
    stop();
}

static void test_statistics_are_reported_and_quotas_applied(void)
{
    start("rules", 2);
    CU_ASSERT_TRUE(xrc_remote_poll_now());
    for (int i = 0; i < 5; i++)
        decide("GET", "/");
    decide("POST", "/orders");
    CU_ASSERT_TRUE(xrc_remote_poll_now()); /* reports the counts, receives Default's quota of 2 */
    CU_ASSERT_PTR_NOT_NULL(strstr(last_targets(&px), "\"RuleName\":\"Default\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(last_targets(&px), "\"RequestCount\":5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(last_targets(&px), "\"ClientID\":\""));
    collect();
    listener_clear(&L);
    int sampled = 0;
    for (int i = 0; i < 10; i++)
        sampled += decide("GET", "/");
    CU_ASSERT_TRUE(sampled == 2 || sampled == 4); /* 2 a second; a second boundary may pass */
    stop();
}

static void test_rule_without_quota_borrows_one_a_second(void)
{
    start("rules", -1);
    CU_ASSERT_TRUE(xrc_remote_poll_now());
    int sampled = 0;
    for (int i = 0; i < 10; i++)
        sampled += decide("PUT", "/item");
    CU_ASSERT_TRUE(sampled == 1 || sampled == 2);
    xrc_remote_poll_now();
    CU_ASSERT_PTR_NOT_NULL(strstr(last_targets(&px), "\"RuleName\":\"Borrow\""));
    CU_ASSERT_TRUE(strstr(last_targets(&px), "\"BorrowCount\":1") || strstr(last_targets(&px), "\"BorrowCount\":2"));
    stop();
}

static void check_falls_back(const char *mode)
{
    start(mode, -1);
    CU_ASSERT_FALSE(xrc_remote_poll_now());
    CU_ASSERT_TRUE(decide("GET", "/"));  /* local rules: everything */
    CU_ASSERT_TRUE(decide("GET", "/"));
    CU_ASSERT_EQUAL(collect(), 2);
    stop();
}

static void test_daemon_slow_garbage_or_failing_means_local_rules(void)
{
    check_falls_back("slow");
    check_falls_back("garbage");
    check_falls_back("badjson");
    check_falls_back("status500");
}

static void test_malformed_and_unsupported_rules_are_skipped(void)
{
    start("badrules", -1);
    CU_ASSERT_TRUE(xrc_remote_poll_now()); /* the answer parses, but holds no usable rule */
    CU_ASSERT_TRUE(decide("GET", "/"));    /* so the local rules decide */
    collect();
    stop();
}

static void test_daemon_down_means_local_rules_and_shutdown_is_prompt(void)
{
    test_reset();
    xrc_remote_reset();
    xray_config c = XRAY_CONFIG_INIT;
    char addr[128];
    snprintf(addr, sizeof addr, "tcp:127.0.0.1:9 udp:%s", L.address); /* nothing on port 9 */
    c.daemon_address = addr;
    c.sampling = XRAY_SWITCH_ON;
    c.sampling_remote = XRAY_SWITCH_ON;
    xray_recorder_configure(&c);
    CU_ASSERT_FALSE(xrc_remote_poll_now());
    decide("GET", "/"); /* starts the background poller */
    xray_recorder_shutdown(); /* joins it */
    test_reset();
    collect();
}

void register_sampling_remote(void)
{
    CU_pSuite s = CU_add_suite("sampling_remote", NULL, NULL);
    ADD(s, test_centralized_rules_decide_once_fetched);
    ADD(s, test_statistics_are_reported_and_quotas_applied);
    ADD(s, test_rule_without_quota_borrows_one_a_second);
    ADD(s, test_daemon_slow_garbage_or_failing_means_local_rules);
    ADD(s, test_malformed_and_unsupported_rules_are_skipped);
    ADD(s, test_daemon_down_means_local_rules_and_shutdown_is_prompt);
}
