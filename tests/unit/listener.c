/* listener.c — see listener.h. */
#include "listener.h"
#include "../../tools/xraycap/doccheck.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xray_capture.h>

void listener_open(listener *l)
{
    memset(l, 0, sizeof *l);
    l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = 32 * 1024 * 1024;
    /* Bursts of thousands of documents must not overflow the default buffer; FORCE passes
     * net.core.rmem_max when running as root (CI does). */
    if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
        setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(l->fd, (struct sockaddr *)&a, sizeof a) || getsockname(l->fd, (struct sockaddr *)&a, &len)) {
        perror("listener");
        abort();
    }
    l->port = ntohs(a.sin_port);
    snprintf(l->address, sizeof l->address, "127.0.0.1:%d", l->port);
    xray_config c = XRAY_CONFIG_INIT;
    c.daemon_address = l->address;
    xray_recorder_configure(&c);
}

size_t listener_collect(listener *l, int quiet_ms)
{
    static char buf[70000];
    size_t before = l->ndocs;
    struct pollfd p = {.fd = l->fd, .events = POLLIN};
    while (poll(&p, 1, quiet_ms) > 0) {
        ssize_t n = recv(l->fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            break;
        buf[n] = '\0';
        if ((size_t)n > l->largest)
            l->largest = (size_t)n;
        /* The daemon's own check, with the schema's limits: a document it would refuse is a
         * test failure (harness.c asserts bad == 0 after every collect). */
        const char *why = NULL;
        cJSON *doc = doc_from_datagram(buf, (size_t)n, &why);
        if (!doc || l->ndocs == LISTENER_MAX_DOCS) {
            l->bad++;
            snprintf(l->last_problem, sizeof l->last_problem, "%s: %.160s", why ? why : "too many",
                     strchr(buf, '\n') ? strchr(buf, '\n') + 1 : buf);
            cJSON_Delete(doc);
            continue;
        }
        l->docs[l->ndocs++] = doc;
    }
    return l->ndocs - before;
}

void listener_clear(listener *l)
{
    for (size_t i = 0; i < l->ndocs; i++)
        cJSON_Delete(l->docs[i]);
    l->ndocs = 0;
    l->bad = 0;
    l->largest = 0;
}

void listener_close(listener *l)
{
    listener_clear(l);
    close(l->fd);
}

cJSON *find_entity(cJSON *root, const char *name)
{
    cJSON *n = cJSON_GetObjectItem(root, "name");
    if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
        return root;
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "subsegments")) {
        cJSON *found = find_entity(c, name);
        if (found)
            return found;
    }
    return NULL;
}

cJSON *listener_find(listener *l, const char *name)
{
    for (size_t i = 0; i < l->ndocs; i++) {
        cJSON *e = find_entity(l->docs[i], name);
        if (e)
            return e;
    }
    return NULL;
}

static size_t count_named(const cJSON *e, const char *name)
{
    const cJSON *n = cJSON_GetObjectItem(e, "name");
    size_t k = cJSON_IsString(n) && !strcmp(n->valuestring, name);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) k += count_named(c, name);
    return k;
}

size_t listener_count(listener *l, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < l->ndocs; i++)
        k += count_named(l->docs[i], name);
    return k;
}

size_t count_tree(const cJSON *e)
{
    size_t k = 1;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) k += count_tree(c);
    return k;
}

cJSON *child_named(const cJSON *e, const char *name)
{
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) {
        cJSON *n = cJSON_GetObjectItem(c, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return c;
    }
    return NULL;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return s[n] == '\0';
}

int entity_valid(const cJSON *e, int top)
{
    const cJSON *id = cJSON_GetObjectItem(e, "id"), *name = cJSON_GetObjectItem(e, "name");
    const cJSON *st = cJSON_GetObjectItem(e, "start_time"), *et = cJSON_GetObjectItem(e, "end_time");
    if (!cJSON_IsString(id) || strlen(id->valuestring) != 16 || !is_hex(id->valuestring, 16))
        return 0;
    if (!cJSON_IsString(name) || !*name->valuestring || strlen(name->valuestring) > 800)
        return 0;
    if (!cJSON_IsNumber(st) || st->valuedouble < 1.6e9)
        return 0;
    if (cJSON_IsNumber(et)) {
        if (et->valuedouble + 1e-6 < st->valuedouble)
            return 0;
    } else if (!cJSON_IsTrue(cJSON_GetObjectItem(e, "in_progress"))) {
        return 0;
    }
    if (top) {
        const cJSON *t = cJSON_GetObjectItem(e, "trace_id");
        if (!cJSON_IsString(t) || strlen(t->valuestring) != 35 || strncmp(t->valuestring, "1-", 2) ||
            t->valuestring[10] != '-')
            return 0;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) if (!entity_valid(c, 0)) return 0;
    return 1;
}
