/* test_hostile.c — the runtime's side of what fuzzing found: inputs that over-read, documents
 * the daemon could not parse, settings with control characters, private files. Each replays
 * the input through the public entry point (or the one internal function that had the bug). */
#include "harness.h"
#include "lib/aws_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A SigV4 call whose body is bytes with no NUL after them (CURLOPT_POSTFIELDSIZE): the query
 * protocol's Action= search stays inside them (ASan catches an over-read). */
static void test_a_body_without_a_terminator_is_read_within_its_length(void)
{
    const char text[] = "Action=Invoke&Version=1";
    char *body = malloc(sizeof text - 1); /* exactly the bytes, no NUL */
    memcpy(body, text, sizeof text - 1);
    xrc_aws_call call;
    xrc_aws_request req = {.url = "https://sqs.eu-west-1.amazonaws.com/", .method = "POST",
                           .sigv4 = "aws:amz:eu-west-1:sqs", .body = body,
                           .body_len = sizeof text - 1};
    CU_ASSERT_TRUE(xrc_aws_recognise(&req, &call));
    CU_ASSERT_STRING_EQUAL(call.operation, "Invoke");
    cJSON_Delete(call.fields);
    free(body);
}

/* Metadata nested deeper than a parser takes is refused, so the document stays readable. */
static void test_metadata_too_deep_or_with_trailing_garbage_is_refused(void)
{
    test_reset();
    xray_entity *seg = xray_begin_segment("hostile");
    char deep[2100] = "";
    for (int i = 0; i < 998; i++)
        strcat(deep, "[");
    for (int i = 0; i < 998; i++)
        strcat(deep, "]");
    CU_ASSERT_EQUAL(xray_put_metadata_json(seg, "deep", deep, NULL), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_metadata_json(seg, "k", "{\"a\":1} garbage", NULL), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_metadata_json(seg, "ok", "{\"a\":[[[1]]]}", NULL), XRAY_OK);
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 1); /* and the daemon's check accepts what was sent */
}

/* Subsegments nested as deep as the runtime nests them (256) are accepted by its daemon. */
static void test_the_deepest_nesting_the_runtime_writes_is_accepted(void)
{
    test_reset();
    xray_begin_segment("deepest");
    for (int i = 0; i < 256; i++)
        xray_begin_subsegment("level");
    for (int i = 0; i < 256; i++)
        xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_TRUE(collect() >= 1); /* every document accepted by the daemon's check */
    CU_ASSERT_EQUAL(L.bad, 0);
    CU_ASSERT_EQUAL(listener_count(&L, "level"), 256);
}

static void test_an_endpoint_with_control_characters_is_refused(void)
{
    test_reset();
    const char *bad[] = {"otlp:http://collector:4318/v1/traces\r\nX-Evil: 1", "otlp:http://a\x01" "b",
                         "otlp:http://a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xray_config c = XRAY_CONFIG_INIT;
        c.emitters = bad[i];
        CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
    }
}

static void test_the_file_emitter_writes_a_private_file(void)
{
    test_reset();
    char path[128], emitters[160];
    snprintf(path, sizeof path, "/tmp/xraycap-private-%d.jsonl", (int)getpid());
    unlink(path);
    snprintf(emitters, sizeof emitters, "file:%s", path);
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = emitters;
    CU_ASSERT_EQUAL_FATAL(xray_recorder_configure(&c), XRAY_OK);
    xray_begin_segment("private");
    xray_end_segment();
    c.emitters = "udp";
    xray_recorder_configure(&c);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    unlink(path);
}

void register_hostile(void)
{
    CU_pSuite s = CU_add_suite("hostile", NULL, NULL);
    ADD(s, test_a_body_without_a_terminator_is_read_within_its_length);
    ADD(s, test_metadata_too_deep_or_with_trailing_garbage_is_refused);
    ADD(s, test_the_deepest_nesting_the_runtime_writes_is_accepted);
    ADD(s, test_an_endpoint_with_control_characters_is_refused);
    ADD(s, test_the_file_emitter_writes_a_private_file);
}
