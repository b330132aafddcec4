/* lambda_probe.c — a custom runtime `bootstrap` for the Lambda tests: the recorder reads
 * LAMBDA_TASK_ROOT once per process, so Lambda behaviour is tested in a process of its own. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xray_capture.h>
#include <xray_capture/lambda.h>

/* Work handed to another thread inside an invocation. */
static void *worker(void *ctx)
{
    xray_context_set(ctx);
    XRAY_CAPTURE_BLOCK("worker") {}
    xray_context_set(NULL);
    return NULL;
}

static int handler(const xray_lambda_invocation *inv, char **response, void *ctx)
{
    (void)ctx;
    int n = atoi(strstr(inv->event, "\"n\":") ? strstr(inv->event, "\"n\":") + 4 : "0");
    if (xray_begin_segment("not_allowed") != NULL)
        return 2;
    XRAY_CAPTURE_BLOCK("handle") {
        xray_begin_subsegment("inner");
        xray_put_annotation(xray_current_subsegment(), "n", n);
        xray_end_subsegment();
    }
    pthread_t t;
    pthread_create(&t, NULL, worker, xray_context_get());
    pthread_join(t, NULL);
    xray_begin_subsegment("left_open"); /* closed and sent when the invocation ends */
    if (strstr(inv->event, "\"fail\":true")) {
        *response = strdup("boom");
        return 1;
    }
    char out[64];
    snprintf(out, sizeof out, "{\"got\":%d}", n);
    *response = strdup(out);
    return 0;
}

int main(void)
{
    return xray_lambda_run(handler, NULL) == -1 ? 0 : 1;
}
