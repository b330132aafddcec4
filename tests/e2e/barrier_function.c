/* barrier_function.c — a Lambda custom runtime for the local-api test: its initialization
 * takes a moment, and each invocation records a subsegment of its own ("work"), then waits
 * until BARRIER_COUNT invocations are in flight at once (a file per invocation in BARRIER_DIR),
 * so that a run of concurrent requests needs as many execution environments. With ECHO_BODY
 * set, it answers with the body it was given (base64-encoded bodies as such). */
#define _DEFAULT_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>
#include <xray_capture/lambda.h>

static int in_flight(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int handler(const xray_lambda_invocation *inv, char **response, void *ctx)
{
    (void)ctx;
    const char *dir = getenv("BARRIER_DIR"), *count = getenv("BARRIER_COUNT");
    xray_begin_subsegment("work");
    if (dir && count) {
        char mine[600];
        snprintf(mine, sizeof mine, "%s/%s", dir, inv->request_id);
        FILE *f = fopen(mine, "w");
        if (f)
            fclose(f);
        for (int i = 0; i < 1000 && in_flight(dir) < atoi(count); i++) /* at most 10 s */
            usleep(10000);
    }
    xray_end_subsegment();
    if (getenv("ECHO_BODY")) { /* the request's body back, as the function received it */
        cJSON *event = cJSON_Parse(inv->event), *answer = cJSON_CreateObject();
        cJSON_AddNumberToObject(answer, "statusCode", 200);
        cJSON *body = cJSON_GetObjectItem(event, "body");
        cJSON_AddStringToObject(answer, "body", cJSON_IsString(body) ? body->valuestring : "(none)");
        if (cJSON_IsTrue(cJSON_GetObjectItem(event, "isBase64Encoded"))) /* binary back as binary */
            cJSON_AddTrueToObject(answer, "isBase64Encoded");
        *response = cJSON_PrintUnformatted(answer);
        cJSON_Delete(answer);
        cJSON_Delete(event);
        return 0;
    }
    *response = strdup("{\"statusCode\":200,\"body\":\"done\"}");
    return 0;
}

int main(void)
{
    usleep(50000); /* code outside the handler: Initialization */
    return xray_lambda_run(handler, NULL);
}
