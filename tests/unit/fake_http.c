/* fake_http.c — see fake_http.h. */
#include "fake_http.h"

#include <xray_capture/curl.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int read_request(int c, http_request *r)
{
    static char buf[sizeof r->body + 8192];
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        struct pollfd p = {.fd = c, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0 || len >= sizeof buf - 1)
            return -1;
        ssize_t n = recv(c, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    *end = '\0';
    sscanf(buf, "%15s %511s", r->method, r->path);
    char *nl = strstr(buf, "\r\n");
    snprintf(r->headers, sizeof r->headers, "%s", nl ? nl + 2 : "");
    size_t want = 0;
    for (char *h = r->headers; h && *h; h = strstr(h, "\r\n") ? strstr(h, "\r\n") + 2 : NULL)
        if (!strncasecmp(h, "Content-Length:", 15))
            want = strtoul(h + 15, NULL, 10);
    size_t have = len - (size_t)(end + 4 - buf);
    if (want > sizeof r->body - 1)
        return -1;
    memcpy(r->body, end + 4, have);
    while (have < want) {
        ssize_t n = recv(c, r->body + have, want - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    r->body[have] = '\0';
    r->body_len = have;
    return 0;
}

static void *serve(void *arg)
{
    fake_http *s = arg;
    static http_request req;
    static http_response resp;
    while (!s->stop) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        memset(&req, 0, sizeof req);
        memset(&resp, 0, sizeof resp);
        if (read_request(c, &req) == 0) {
            resp.status = 200;
            s->handler(&req, &resp, s->ctx);
            s->requests++;
            if (resp.delay_ms) {
                struct timespec ts = {resp.delay_ms / 1000, (resp.delay_ms % 1000) * 1000000L};
                nanosleep(&ts, NULL);
            }
            char head[2048];
            if (resp.raw) {
                send(c, resp.body, strlen(resp.body), MSG_NOSIGNAL);
            } else if (resp.status) {
                int n = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
                                 "Connection: close\r\n%s\r\n", resp.status, strlen(resp.body), resp.headers);
                send(c, head, (size_t)n, MSG_NOSIGNAL);
                send(c, resp.body, strlen(resp.body), MSG_NOSIGNAL);
            }
        }
        close(c);
    }
    return NULL;
}

int fake_http_start(fake_http *s, http_handler handler, void *ctx)
{
    memset(s, 0, sizeof *s);
    atomic_init(&s->stop, 0);
    atomic_init(&s->requests, 0);
    s->handler = handler;
    s->ctx = ctx;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 16) ||
        getsockname(s->fd, (struct sockaddr *)&a, &len))
        return -1;
    s->port = ntohs(a.sin_port);
    snprintf(s->address, sizeof s->address, "127.0.0.1:%d", s->port);
    return pthread_create(&s->thread, NULL, serve, s);
}

void fake_http_stop(fake_http *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
}

int fake_http_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

size_t http_text_keep(char *data, size_t size, size_t n, void *text)
{
    http_text *t = text;
    size_t add = size * n, room = sizeof t->s - 1 - t->n;
    memcpy(t->s + t->n, data, add < room ? add : room);
    t->n += add < room ? add : room;
    t->s[t->n] = '\0';
    return add;
}

void fake_aws_answer(const http_request *req, http_response *resp, void *ctx)
{
    (void)req, (void)ctx;
    resp->status = 200;
    snprintf(resp->headers, sizeof resp->headers, "x-amzn-RequestId: REQ-1\r\n");
    snprintf(resp->body, sizeof resp->body, "{}");
}

int fake_aws_put_item(const char *address, const char *table)
{
    char url[128], body[256];
    snprintf(url, sizeof url, "http://%s/", address);
    snprintf(body, sizeof body, "{\"TableName\":\"%s\",\"Item\":{}}", table);
    CURL *h = curl_easy_init();
    http_text answer = {.n = 0};
    struct curl_slist *hd = curl_slist_append(NULL, "X-Amz-Target: DynamoDB_20120810.PutItem");
    hd = curl_slist_append(hd, "Content-Type: application/x-amz-json-1.0");
    xray_curl_easy_setopt(h, CURLOPT_URL, url);
    xray_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    xray_curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:dynamodb");
    xray_curl_easy_setopt(h, CURLOPT_USERPWD, "AKIDEXAMPLE:wJalrXUtnFEMISECRETKEY");
    xray_curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    xray_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_text_keep);
    xray_curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    CURLcode rc = xray_curl_easy_perform(h);
    xray_curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    return (int)rc;
}
