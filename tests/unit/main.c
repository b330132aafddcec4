/* main.c — runs the CUnit suites: all of them, or those named on the command line. */
#include "harness.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

listener L;
char test_log[1 << 16];
int test_log_lines;

void capture_log(xray_log_level level, const char *message, void *ctx)
{
    (void)level;
    (void)ctx;
    size_t used = strlen(test_log);
    snprintf(test_log + used, sizeof test_log - used, "%s\n", message);
    test_log_lines++;
}

void log_reset(void)
{
    test_log[0] = '\0';
    test_log_lines = 0;
}

void test_reset(void)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.enabled = XRAY_SWITCH_ON;
    c.context_missing = XRAY_CONTEXT_MISSING_LOG_ERROR;
    c.log_level = XRAY_LOG_WARN;
    c.log_fn = capture_log;
    c.daemon_address = L.address;
    c.service_name = "unit-tests";
    c.sampling = XRAY_SWITCH_OFF; /* record every segment; the sampling suites turn it on */
    c.sampling_remote = XRAY_SWITCH_OFF;
    c.sampling_rules = NULL;
    c.streaming_threshold = 30;
    c.max_subsegments = 10000;
    c.emitters = "udp";
    xray_config quiet = XRAY_CONFIG_INIT;
    quiet.context_missing = XRAY_CONTEXT_MISSING_IGNORE_ERROR;
    xray_recorder_configure(&quiet);
    while (xray_current_segment())
        xray_end_segment();
    xray_recorder_configure(&c);
    listener_collect(&L, 20);
    listener_clear(&L);
    log_reset();
}

size_t collect(void)
{
    /* The segments ended so far are written by the emission thread (symbolizing a first
     * stack can take longer than the listener's quiet time): wait for it first. */
    xray_recorder_flush();
    size_t n = listener_collect(&L, 100);
    /* Every document the runtime sends must pass the daemon's check (the schema's limits). */
    CU_ASSERT_EQUAL(L.bad, 0);
    if (L.bad)
        fprintf(stderr, "\n    refused by the daemon's check: %s\n", L.last_problem);
    return n;
}

static const struct {
    const char *name;
    void (*reg)(void);
} suites[] = {
    {"documents", register_documents}, {"data", register_data}, {"misuse", register_misuse},
    {"limits", register_limits},       {"macros", register_macros}, {"threads", register_threads},
    {"config", register_config},       {"process", register_process},
    {"headers", register_headers},     {"sampling", register_sampling},
    {"lambda", register_lambda},       {"sampling_remote", register_sampling_remote},
    {"curl", register_curl},           {"sqlite", register_sqlite},
    {"stream", register_stream},       {"emitters", register_emitters},
    {"interop", register_interop},     {"tracecontext", register_tracecontext},
    {"fold", register_fold},           {"hostile", register_hostile},
    {"crash", register_crash},         {"middleware", register_middleware},
    {"aws", register_aws_calls},       {"credentials", register_credentials},
    {"plugins", register_plugins},
};

int main(int argc, char **argv)
{
    /* The OTLP bodies the unit tests read are JSON; protobuf (the default) is decoded by an
     * independent implementation in tests/e2e/otlp_aws.c. */
    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
    /* No test may reach a real instance metadata service (CI may run on EC2): the credential
     * chain's tests point AWS_EC2_METADATA_SERVICE_ENDPOINT at a stand-in themselves. */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    listener_open(&L);
    test_reset();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        int wanted = argc < 2;
        for (int a = 1; a < argc; a++)
            wanted |= !strcmp(argv[a], suites[i].name);
        if (wanted)
            suites[i].reg();
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    listener_close(&L);
    xray_recorder_shutdown();
    return failed ? 1 : 0;
}
