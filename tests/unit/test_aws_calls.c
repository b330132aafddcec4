/* test_aws_calls.c — AWS calls named by what the request itself says, as with LocalStack or a
 * VPC endpoint: one loopback stand-in serves DynamoDB, S3, SQS, SNS and Lambda on ONE port,
 * reached through AWS_ENDPOINT_URL alone or AWS_ENDPOINT_URL_<SERVICE> variables that all
 * name it; requests signed by libcurl (CURLOPT_AWS_SIGV4) or by an Authorization header the
 * program computed; unsigned ones named by the registry, the variables, or not at all. */
#include "fake_http.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xray_capture/curl.h>

static fake_http stand_in;
static char endpoint[96]; /* http://127.0.0.1:PORT */

static const char *const endpoint_variables[] = {
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_LAMBDA",
};

/* The stand-in started, and the variables set: all of them at it (per_service), or only
 * AWS_ENDPOINT_URL. */
static void start_stand_in(bool per_service)
{
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&stand_in, fake_aws_answer, NULL), 0);
    snprintf(endpoint, sizeof endpoint, "http://%s", stand_in.address);
    for (size_t i = 0; i < sizeof endpoint_variables / sizeof endpoint_variables[0]; i++)
        if (i == 0 || per_service)
            setenv(endpoint_variables[i], endpoint, 1);
}

static void stop_stand_in(void)
{
    fake_http_stop(&stand_in);
    for (size_t i = 0; i < sizeof endpoint_variables / sizeof endpoint_variables[0]; i++)
        unsetenv(endpoint_variables[i]);
}

/* One request, as an SDK-less C program makes it. `sign` is CURLOPT_AWS_SIGV4's value, or
 * NULL; `headers` extra header lines (NULL-terminated), one of which may be a computed
 * Authorization. */
static void call(const char *path, const char *method, const char *sign, const char *body,
                 const char *const *headers)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", endpoint, path);
    CURL *h = curl_easy_init();
    http_text answer = {.n = 0}; /* kept off stdout */
    struct curl_slist *list = NULL;
    for (int i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    xray_curl_easy_setopt(h, CURLOPT_URL, url);
    xray_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_text_keep);
    xray_curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    if (list)
        xray_curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    if (method)
        xray_curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        xray_curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    if (sign) {
        xray_curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sign);
        xray_curl_easy_setopt(h, CURLOPT_USERPWD, "AKIDEXAMPLE:wJalrXUtnFEMISECRETKEY");
    }
    CU_ASSERT_EQUAL(xray_curl_easy_perform(h), CURLE_OK);
    xray_curl_easy_cleanup(h);
    curl_slist_free_all(list);
}

/* The aws object of the n-th subsegment named `name`, after checking its namespace. */
static cJSON *aws_of(const char *name, int n)
{
    cJSON *c, *found = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(L.docs[0], "subsegments"))
        if (!strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) && n-- == 0)
            found = c;
    if (!found) {
        fprintf(stderr, "\n    no subsegment '%s'\n", name);
        return NULL;
    }
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(found, "namespace")), "aws");
    return cJSON_GetObjectItem(found, "aws");
}

static const char *field(const cJSON *aws, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(aws, k));
    return v ? v : "(none)";
}

/* The n-th subsegment `name` has each "key=value" of `want` (NULL-terminated) in its aws
 * fields; returns its aws object for further checks. */
static cJSON *expect_aws(const char *name, int n, const char *const *want)
{
    cJSON *aws = aws_of(name, n);
    CU_ASSERT_PTR_NOT_NULL(aws);
    for (; aws && *want; want++) {
        const char *eq = strchr(*want, '=');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - *want), *want);
        CU_ASSERT_STRING_EQUAL(field(aws, key), eq + 1);
        if (strcmp(field(aws, key), eq + 1))
            fprintf(stderr, "\n    %s #%d: %s is '%s'\n", name, n, *want, field(aws, key));
    }
    return aws;
}

/* Five services, signed two ways, all at one port: each call is named by its signature. */
static void five_services_on_one_port(void)
{
    xray_begin_segment("shop");
    const char *ddb[] = {"X-Amz-Target: DynamoDB_20120810.PutItem",
                         "Content-Type: application/x-amz-json-1.0", NULL};
    call("/", NULL, "aws:amz:us-east-1:dynamodb", "{\"TableName\":\"users\",\"Item\":{}}", ddb);
    const char *batch[] = {"X-Amz-Target: DynamoDB_20120810.BatchWriteItem",
                           "Content-Type: application/x-amz-json-1.0", NULL};
    call("/", NULL, "aws:amz:us-east-1:dynamodb",
         "{\"RequestItems\":{\"users\":[],\"orders\":[]}}", batch);
    call("/photos/2026/cat.jpg", "PUT", "aws:amz:us-east-1:s3", "meow", NULL);
    /* SQS's JSON protocol, signed by the program itself */
    const char *sqs[] = {"X-Amz-Target: AmazonSQS.SendMessage",
                         "Content-Type: application/x-amz-json-1.0",
                         "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/"
                         "eu-west-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, "
                         "Signature=0123456789abcdef",
                         NULL};
    call("/", NULL, NULL, "{\"QueueUrl\":\"http://sqs.local/000000000000/orders\","
                          "\"MessageBody\":\"hi\"}", sqs);
    const char *batch_sqs[] = {"X-Amz-Target: AmazonSQS.SendMessageBatch",
                               "Content-Type: application/x-amz-json-1.0", NULL};
    call("/", NULL, "aws:amz:eu-west-1:sqs", "{\"QueueUrl\":\"http://sqs.local/000000000000/orders\","
         "\"Entries\":[{\"Id\":\"1\"},{\"Id\":\"2\"},{\"Id\":\"3\"}]}", batch_sqs);
    /* SNS's query protocol */
    call("/", NULL, "aws:amz:us-east-1:sns",
         "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders&Message=hi",
         NULL);
    const char *lambda[] = {"X-Amz-Invocation-Type: Event", NULL};
    call("/2015-03-31/functions/checkout/invocations", "POST", "aws:amz:us-east-1:lambda", "{}",
         lambda);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);

    expect_aws("DynamoDB", 0, (const char *[]){"operation=PutItem", "table_name=users",
                                               "region=us-east-1", "request_id=REQ-1", NULL});
    cJSON *aws = expect_aws("DynamoDB", 1, (const char *[]){"operation=BatchWriteItem", NULL});
    cJSON *names = cJSON_GetObjectItem(aws, "table_names");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(names), 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(names, 1)), "orders");
    expect_aws("S3", 0, (const char *[]){"operation=PutObject", "bucket_name=photos",
                                         "key=2026/cat.jpg", NULL});
    expect_aws("SQS", 0, (const char *[]){"operation=SendMessage", "region=eu-west-1",
                                          "queue_url=http://sqs.local/000000000000/orders", NULL});
    aws = expect_aws("SQS", 1, (const char *[]){"operation=SendMessageBatch", NULL});
    CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(aws, "message_count")), 3);
    expect_aws("SNS", 0, (const char *[]){"operation=Publish",
                                          "topic_arn=arn:aws:sns:us-east-1:000000000000:orders",
                                          NULL});
    expect_aws("Lambda", 0, (const char *[]){"operation=Invoke", "function_name=checkout",
                                             "invocation_type=Event", NULL});
}

static void test_every_service_at_one_endpoint_is_named_by_its_signature(void)
{
    test_reset();
    start_stand_in(true); /* AWS_ENDPOINT_URL_DYNAMODB, _S3, ... all at the same URL */
    five_services_on_one_port();
    stop_stand_in();
    test_reset();
    start_stand_in(false); /* AWS_ENDPOINT_URL alone */
    five_services_on_one_port();
    stop_stand_in();
}

/* Unsigned requests: a target still names the service; otherwise the registry, then a
 * per-service variable that names this endpoint alone; an endpoint shared by several
 * services, or none, leaves the call a plain remote one, named by its host. */
static void test_unsigned_requests_fall_back_to_the_registry_and_the_variables(void)
{
    test_reset();
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&stand_in, fake_aws_answer, NULL), 0);
    snprintf(endpoint, sizeof endpoint, "http://%s", stand_in.address);
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s/registered-stream/", endpoint);
    CU_ASSERT_EQUAL(xray_curl_register_aws_endpoint(prefix, "Kinesis"), XRAY_OK);
    xray_begin_segment("unsigned");
    const char *ddb[] = {"X-Amz-Target: DynamoDB_20120810.GetItem", NULL};
    call("/", NULL, NULL, "{\"TableName\":\"users\"}", ddb);      /* the target names it */
    call("/registered-stream/", NULL, NULL, "{}", NULL);          /* the registry */
    setenv("AWS_ENDPOINT_URL_S3", endpoint, 1);
    call("/photos/dog.jpg", "GET", NULL, NULL, NULL);             /* S3's variable alone */
    setenv("AWS_ENDPOINT_URL_SQS", endpoint, 1);
    call("/photos/dog.jpg", "GET", NULL, NULL, NULL);             /* shared: not named */
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ENDPOINT_URL_SQS");
    call("/", "GET", NULL, NULL, NULL);                           /* nothing names it */
    xray_end_segment();
    fake_http_stop(&stand_in);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    expect_aws("DynamoDB", 0, (const char *[]){"operation=GetItem", "table_name=users", NULL});
    CU_ASSERT_PTR_NOT_NULL(aws_of("Kinesis", 0));
    expect_aws("S3", 0, (const char *[]){"operation=GetObject", "bucket_name=photos", NULL});
    int remote = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(L.docs[0], "subsegments"))
        remote += !strcmp(cJSON_GetObjectItem(c, "name")->valuestring, "127.0.0.1") &&
                  !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "namespace")), "remote");
    CU_ASSERT_EQUAL(remote, 2);
}

/* A request body is the program's bytes: fields are made valid UTF-8 and cut, never trusted. */
static void test_hostile_request_fields_are_sanitized(void)
{
    test_reset();
    start_stand_in(false);
    char body[3000];
    char name[2100];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    name[5] = '\xff'; /* not UTF-8 */
    snprintf(body, sizeof body, "{\"TableName\":\"%s\"}", name);
    xray_begin_segment("hostile");
    const char *ddb[] = {"X-Amz-Target: DynamoDB_20120810.PutItem", NULL};
    call("/", NULL, "aws:amz:us-east-1:dynamodb", body, ddb);
    call("/", NULL, "aws:amz:us-east-1:dynamodb", "{\"TableName\":", ddb); /* cut short */
    call("/", NULL, "aws:amz:us-east-1:sns", "Action=Publish&TopicArn=%zz%4", NULL);
    xray_end_segment();
    stop_stand_in();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *aws = aws_of("DynamoDB", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(aws);
    CU_ASSERT_TRUE(strlen(field(aws, "table_name")) <= 1024 * 4);
    CU_ASSERT_PTR_NULL(strchr(field(aws, "table_name"), '\xff'));
    aws = aws_of("DynamoDB", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(aws);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(aws, "table_name"));
    CU_ASSERT_PTR_NOT_NULL(aws_of("SNS", 0));
}

void register_aws_calls(void)
{
    CU_pSuite s = CU_add_suite("aws", NULL, NULL);
    ADD(s, test_every_service_at_one_endpoint_is_named_by_its_signature);
    ADD(s, test_unsigned_requests_fall_back_to_the_registry_and_the_variables);
    ADD(s, test_hostile_request_fields_are_sanitized);
}
