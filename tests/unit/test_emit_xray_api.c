/* test_emit_xray_api.c — the X-Ray API emitter: batched, SigV4-signed PutTraceSegments,
 * retried on server errors; region and credentials from the environment and the shared files. */
#include "emit_sink.h"
#include "harness.h"
#include "emit/aws_credentials.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static size_t count_occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strcasestr(p, needle)); p++)
        n++;
    return n;
}

static void test_xray_api_batches_signed_documents(void)
{
    test_reset();
    sink_start(OK);
    xray_api_env();
    use_emitters("xray-api", 5000);
    stats_mark();
    send_segments(120, 1);
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 120);
    CU_ASSERT_EQUAL(delta_dropped, 0);
    CU_ASSERT_TRUE(sink_requests() >= 3);
    CU_ASSERT_STRING_EQUAL(the_sink.last_path, "/TraceSegments");
    size_t docs = 0;
    cJSON *body;
    cJSON_ArrayForEach(body, the_sink.bodies) {
        cJSON *list = cJSON_GetObjectItem(body, "TraceSegmentDocuments"), *d;
        CU_ASSERT_TRUE(cJSON_IsArray(list));
        CU_ASSERT_TRUE(cJSON_GetArraySize(list) <= 50);
        cJSON_ArrayForEach(d, list) {
            CU_ASSERT_TRUE_FATAL(cJSON_IsString(d));
            cJSON *doc = cJSON_Parse(d->valuestring);
            CU_ASSERT_TRUE(doc && entity_valid(doc, 1));
            CU_ASSERT_PTR_NOT_NULL(find_entity(doc, "work"));
            cJSON_Delete(doc);
            docs++;
        }
    }
    CU_ASSERT_EQUAL(docs, 120);
    const char *h = the_sink.last_headers;
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDXRAYCAPTEST/"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "/eu-west-3/xray/aws4_request"));
    CU_ASSERT_EQUAL(count_occurrences(h, "X-Amz-Date:"), 1);
    CU_ASSERT_PTR_NULL(strstr(h, "c2VjcmV0LXRlc3Qta2V5")); /* the secret never travels */
    restore_emitters();
}

static void test_xray_api_retries_server_errors_then_delivers(void)
{
    test_reset();
    sink_start(FAIL_TWICE);
    xray_api_env();
    use_emitters("xray-api", 5000);
    stats_mark();
    send_segments(3, 0);
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 3);
    CU_ASSERT_EQUAL(delta_dropped, 0);
    CU_ASSERT_TRUE(sink_requests() >= 3);
    CU_ASSERT_EQUAL(delta_errors, 2);
    restore_emitters();
}


static void test_xray_api_without_region_or_credentials_says_why(void)
{
    test_reset();
    sink_start(OK);
    xray_api_env();
    unsetenv("AWS_REGION");
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    use_emitters("xray-api", 1000);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "no valid region"));
    stats_mark();
    send_segments(2, 0);
    xray_recorder_shutdown();
    stats_delta();
    CU_ASSERT_EQUAL(delta_dropped, 2);
    CU_ASSERT_EQUAL(sink_requests(), 0);

    setenv("AWS_REGION", "us-east-1", 1);
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    log_reset();
    use_emitters("xray-api", 1000);
    send_segments(1, 0);
    xray_recorder_shutdown();
    sink_stop();
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "no AWS credentials"));
    CU_ASSERT_EQUAL(sink_requests(), 0);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    restore_emitters();
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_credentials_come_from_the_environment_then_the_shared_file(void)
{
    char path[] = "/tmp/xraycap-creds-XXXXXX", why[600];
    close(mkstemp(path));
    write_file(path, "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\n"
                     "aws_secret_access_key=secretdefault\n\n[ci]\n"
                     "aws_access_key_id=AKIDCI\naws_secret_access_key = secretci\n"
                     "aws_session_token = tokenci\n[broken]\naws_access_key_id=AKIDX\n"
                     "[spaced]\naws_access_key_id=AKID SPACE\naws_secret_access_key=s\n");
    xrc_aws_credentials c;
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    CU_ASSERT_TRUE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(c.key_id, "AKIDENV");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "AWS_SECRET_ACCESS_KEY is not"));
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_PROFILE");
    CU_ASSERT_TRUE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(c.key_id, "AKIDDEFAULT");
    CU_ASSERT_STRING_EQUAL(c.secret, "secretdefault");
    CU_ASSERT_STRING_EQUAL(c.token, "");
    setenv("AWS_PROFILE", "ci", 1);
    CU_ASSERT_TRUE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(c.key_id, "AKIDCI");
    CU_ASSERT_STRING_EQUAL(c.token, "tokenci");
    setenv("AWS_PROFILE", "broken", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "lacks aws_access_key_id or aws_secret_access_key"));
    setenv("AWS_PROFILE", "spaced", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "spaces or control characters"));
    setenv("AWS_PROFILE", "absent", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "no such profile"));
    unsetenv("AWS_PROFILE");
    /* A header-injection attempt through the environment is refused. */
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    setenv("AWS_SESSION_TOKEN", "tok\r\nX-Evil: 1", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unlink(path);
}

static void test_region_comes_from_the_environment_then_the_config_file(void)
{
    char path[] = "/tmp/xraycap-config-XXXXXX", region[64];
    close(mkstemp(path));
    write_file(path, "[default]\nregion = ap-south-1\n[profile ci]\nregion=eu-north-1\n");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    setenv("AWS_CONFIG_FILE", path, 1);
    CU_ASSERT_TRUE(xrc_aws_region(region, sizeof region));
    CU_ASSERT_STRING_EQUAL(region, "ap-south-1");
    setenv("AWS_PROFILE", "ci", 1);
    CU_ASSERT_TRUE(xrc_aws_region(region, sizeof region));
    CU_ASSERT_STRING_EQUAL(region, "eu-north-1");
    unsetenv("AWS_PROFILE");
    setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
    CU_ASSERT_TRUE(xrc_aws_region(region, sizeof region));
    CU_ASSERT_STRING_EQUAL(region, "us-west-1");
    setenv("AWS_REGION", "../../etc", 1);
    CU_ASSERT_FALSE(xrc_aws_region(region, sizeof region));
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_CONFIG_FILE");
    unlink(path);
}

void add_emit_xray_api_tests(CU_pSuite s)
{
    ADD(s, test_xray_api_batches_signed_documents);
    ADD(s, test_xray_api_retries_server_errors_then_delivers);
    ADD(s, test_xray_api_without_region_or_credentials_says_why);
    ADD(s, test_credentials_come_from_the_environment_then_the_shared_file);
    ADD(s, test_region_comes_from_the_environment_then_the_config_file);
}
