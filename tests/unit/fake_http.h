/* fake_http.h — a tiny HTTP/1.1 server on loopback for tests: plays the Lambda Runtime API and
 * the daemon's sampling proxy. One connection at a time, on its own thread. */
#ifndef TEST_FAKE_HTTP_H
#define TEST_FAKE_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct http_request {
    char method[16];
    char path[512];
    char headers[4096];   /* raw header lines */
    char body[65536];
    size_t body_len;
} http_request;

typedef struct http_response {
    int status;               /* 0: close the connection without answering */
    char headers[1024];       /* extra header lines, each ending in \r\n */
    char body[65536];
    int delay_ms;             /* wait before answering */
    int raw;                  /* body is sent as is, without a status line (garbage) */
} http_response;

typedef void (*http_handler)(const http_request *req, http_response *resp, void *ctx);

typedef struct fake_http {
    int fd, port;
    char address[64];         /* "127.0.0.1:PORT" */
    pthread_t thread;
    http_handler handler;
    void *ctx;
    atomic_int stop;
    atomic_int requests;      /* served so far */
} fake_http;

int fake_http_start(fake_http *s, http_handler handler, void *ctx);
void fake_http_stop(fake_http *s);

/* A loopback TCP port nobody listens on (bound, read, closed): connections are refused. */
int fake_http_free_port(void);

/* What a libcurl client of the tests collects: a response body or its headers, cut to fit. */
typedef struct http_text {
    char s[8192];
    size_t n;
} http_text;
/* A CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION appending to the http_text given as data. */
size_t http_text_keep(char *data, size_t size, size_t n, void *text);

/* An AWS service's answer to anything: 200, x-amzn-RequestId: REQ-1, "{}" (an http_handler). */
void fake_aws_answer(const http_request *req, http_response *resp, void *ctx);

/* A DynamoDB PutItem into `table` at http://ADDRESS/, as a C program without an AWS SDK makes
 * it: through the traced libcurl (xray_curl_*), signed with CURLOPT_AWS_SIGV4 and test keys. */
int fake_aws_put_item(const char *address, const char *table);

#endif
