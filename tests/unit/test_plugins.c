/* test_plugins.c — where the program runs, as the SDKs' plugins report it, from loopback
 * stand-ins: an IMDSv2 instance identity document, an ECS task metadata endpoint (v4) and an
 * Elastic Beanstalk environment file; written into segments (origin, aws.*) and into the OTLP
 * resource (cloud.*, host.*, aws.ecs.*). */
#include "emit_sink.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void imds(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    if (!strcmp(req->method, "PUT") && !strcmp(req->path, "/latest/api/token")) {
        resp->status = 200;
        snprintf(resp->body, sizeof resp->body, "plugin-token");
    } else if (!strstr(req->headers, "X-aws-ec2-metadata-token: plugin-token")) {
        resp->status = 401;
    } else if (!strcmp(req->path, "/latest/dynamic/instance-identity/document")) {
        resp->status = 200;
        snprintf(resp->body, sizeof resp->body,
                 "{\"instanceId\":\"i-0abc\",\"availabilityZone\":\"us-east-1b\",\"instanceType\":"
                 "\"m5.large\",\"imageId\":\"ami-0123\",\"region\":\"us-east-1\",\"accountId\":\"123456789012\"}");
    } else {
        resp->status = 404;
    }
}

static void ecs(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    resp->status = 200;
    if (!strcmp(req->path, "/v4/abc/task"))
        snprintf(resp->body, sizeof resp->body,
                 "{\"TaskARN\":\"arn:aws:ecs:us-east-1:123456789012:task/prod/1\",\"Cluster\":"
                 "\"arn:aws:ecs:us-east-1:123456789012:cluster/prod\",\"LaunchType\":\"FARGATE\","
                 "\"Family\":\"orders\",\"AvailabilityZone\":\"us-east-1b\"}");
    else if (!strcmp(req->path, "/v4/abc"))
        snprintf(resp->body, sizeof resp->body, "{\"DockerId\":\"d0c\",\"ContainerARN\":\"arn:c\"}");
    else
        resp->status = 404;
}

static const char *field(const cJSON *doc, const char *outer, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "aws"), outer), key));
    return v ? v : "(none)";
}

static const char *resource_attribute(const char *key)
{
    cJSON *body = cJSON_GetArrayItem(the_sink.bodies, 0), *a;
    cJSON *res = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(body, "resourceSpans"), 0), "resource");
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(res, "attributes"))
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "key")), key))
            return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "value"), "stringValue"));
    return "(none)";
}

static void set_plugins(const char *plugins, xray_status want)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.plugins = plugins;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), want);
}

static void test_platforms_are_reported_on_segments_and_in_otlp(void)
{
    fake_http md, task;
    char url[128], file[] = "/tmp/xraycap-eb-XXXXXX";
    int fd = mkstemp(file);
    const char eb[] = "{\"deployment_id\":23,\"version_label\":\"v7\",\"environment_name\":\"orders-prod\"}";
    CU_ASSERT_TRUE_FATAL(fd >= 0 && write(fd, eb, sizeof eb - 1) == (ssize_t)(sizeof eb - 1));
    close(fd);
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&md, imds, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&task, ecs, NULL), 0);
    snprintf(url, sizeof url, "http://%s", md.address);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    snprintf(url, sizeof url, "http://%s/v4/abc", task.address);
    setenv("ECS_CONTAINER_METADATA_URI_V4", url, 1);
    setenv("XRAYCAP_ELASTIC_BEANSTALK_FILE", file, 1);
    test_reset();
    use_otlp_sink("udp,");
    set_plugins("ec2, ecs,elastic_beanstalk", XRAY_OK);
    xray_begin_segment("orders");
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    sink_stop();
    cJSON *doc = L.docs[0];
    /* the most specific platform gives the origin; each plugin its fields */
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "origin")),
                           "AWS::ElasticBeanstalk::Environment");
    CU_ASSERT_STRING_EQUAL(field(doc, "ec2", "instance_id"), "i-0abc");
    CU_ASSERT_STRING_EQUAL(field(doc, "ec2", "availability_zone"), "us-east-1b");
    CU_ASSERT_STRING_EQUAL(field(doc, "ecs", "task_arn"), "arn:aws:ecs:us-east-1:123456789012:task/prod/1");
    CU_ASSERT_STRING_EQUAL(field(doc, "ecs", "container_id"), "d0c");
    CU_ASSERT_STRING_EQUAL(field(doc, "elastic_beanstalk", "environment_name"), "orders-prod");
    CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "aws"),
                                                                                 "elastic_beanstalk"), "deployment_id")), 23);
    CU_ASSERT_STRING_EQUAL(resource_attribute("cloud.provider"), "aws");
    CU_ASSERT_STRING_EQUAL(resource_attribute("cloud.platform"), "aws_elastic_beanstalk");
    CU_ASSERT_STRING_EQUAL(resource_attribute("host.id"), "i-0abc");
    CU_ASSERT_STRING_EQUAL(resource_attribute("host.type"), "m5.large");
    CU_ASSERT_STRING_EQUAL(resource_attribute("aws.ecs.launchtype"), "fargate");
    CU_ASSERT_STRING_EQUAL(resource_attribute("aws.ecs.cluster.arn"), "arn:aws:ecs:us-east-1:123456789012:cluster/prod");
    sink_free();
    /* ECS alone on Fargate */
    test_reset();
    set_plugins("ecs", XRAY_OK);
    xray_begin_segment("orders");
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(L.docs[0], "origin")), "AWS::ECS::Fargate");
    set_plugins("none", XRAY_OK);
    fake_http_stop(&md);
    fake_http_stop(&task);
    unlink(file);
    unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    unsetenv("ECS_CONTAINER_METADATA_URI_V4");
    unsetenv("XRAYCAP_ELASTIC_BEANSTALK_FILE");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    restore_emitters();
    test_reset();
}

/* Nothing answers where the instance metadata should be: no origin, and the segment arrives. */
static void test_a_platform_not_found_leaves_segments_as_they_were(void)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fake_http_free_port());
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    test_reset();
    set_plugins("ec2", XRAY_OK);
    xray_begin_segment("elsewhere");
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[0], "origin"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "aws"), "ec2"));
    set_plugins("none", XRAY_OK);
    unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    /* an unknown plugin is refused with the list of known ones */
    set_plugins("ec2,lambda", XRAY_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "xray_config.plugins=ec2,lambda names 'lambda'"));
    test_reset();
}

void register_plugins(void)
{
    CU_pSuite s = CU_add_suite("plugins", NULL, NULL);
    ADD(s, test_platforms_are_reported_on_segments_and_in_otlp);
    ADD(s, test_a_platform_not_found_leaves_segments_as_they_were);
}
