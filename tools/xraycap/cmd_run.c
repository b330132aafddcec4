/* cmd_run.c — `xraycap run`: a private daemon port for one command, so a developer sees what
 * the command traced without running a daemon or having an AWS account. */
#include "commands.h"
#include "hostport.h"
#include "timeline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUIET_MS 300 /* wait this long after the command exits for late datagrams */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int open_socket(const char *spec, char *addr, size_t addrlen)
{
    char why[600];
    int fd = hostport_bind(spec ? spec : "127.0.0.1:0", SOCK_DGRAM, true, addr, addrlen, why, sizeof why);
    if (fd < 0) {
        fprintf(stderr, "xraycap run: --udp %s\n", why);
        return -1;
    }
    int size = 16 * 1024 * 1024; /* bursts of documents must not overflow the default buffer */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return fd;
}

/* Parses one datagram; returns the document or NULL with a reason. */
static cJSON *parse_datagram(char *buf, size_t n, const char **why)
{
    char *nl = memchr(buf, '\n', n);
    if (!nl)
        return *why = "no header line", NULL;
    cJSON *head = cJSON_ParseWithLength(buf, (size_t)(nl - buf));
    cJSON *fmt = cJSON_GetObjectItem(head, "format"), *ver = cJSON_GetObjectItem(head, "version");
    int ok = cJSON_IsString(fmt) && !strcasecmp(fmt->valuestring, "json") && cJSON_IsNumber(ver) &&
             ver->valueint == 1;
    cJSON_Delete(head);
    if (!ok)
        return *why = "bad header line", NULL;
    cJSON *doc = cJSON_ParseWithLength(nl + 1, n - (size_t)(nl + 1 - buf));
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return *why = "body is not a JSON object", NULL;
    }
    return doc;
}

int cmd_run(int argc, char **argv)
{
    int keep_sampling = 0, i = 1;
    const char *udp = NULL, *json = NULL;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--sampling"))
            keep_sampling = 1;
        else if (!strcmp(argv[i], "--udp") && i + 1 < argc)
            udp = argv[++i];
        else
            break;
    }
    if (i < argc && !strcmp(argv[i], "--"))
        i++;
    if (i >= argc) {
        fprintf(stderr, "usage: xraycap run [--json FILE] [--sampling] [--udp HOST:PORT] -- COMMAND [ARGS...]\n");
        return 2;
    }
    /* Opened before the command starts: a bad path is reported before anything runs, and the
     * documents never mix with the command's own output. */
    FILE *json_out = NULL;
    if (json && !strncmp(json, "--", 2)) { /* the old `run --json -- CMD`: no file named "--" */
        fprintf(stderr, "xraycap run: --json takes a file name (--json FILE); got '%s'\n", json);
        return 2;
    }
    if (json && !(json_out = fopen(json, "w"))) {
        fprintf(stderr, "xraycap run: --json %s: %s\n", json, strerror(errno));
        return 2;
    }
    char addr[96];
    int fd = open_socket(udp, addr, sizeof addr);
    if (fd < 0)
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        if (json_out)
            fclose(json_out);
        setenv("AWS_XRAY_DAEMON_ADDRESS", addr, 1);
        if (!keep_sampling) /* show every segment, unless asked to keep the sampling rules */
            setenv("XRAYCAP_SAMPLING", "false", 0);
        execvp(argv[i], argv + i);
        fprintf(stderr, "xraycap run: cannot run '%s': %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    static char buf[70000];
    cJSON *docs = cJSON_CreateArray();
    int status = 0, rejected = 0;
    long long exited_at = -1;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            const char *why = NULL;
            cJSON *doc = n > 0 ? parse_datagram(buf, (size_t)n, &why) : NULL;
            if (doc)
                cJSON_AddItemToArray(docs, doc);
            else if (n > 0 && ++rejected)
                fprintf(stderr, "xraycap run: rejected a %zd-byte datagram: %s\n", n, why);
            continue;
        }
        if (exited_at < 0 && waitpid(pid, &status, WNOHANG) == pid)
            exited_at = now_ms();
        if (exited_at >= 0 && now_ms() - exited_at >= QUIET_MS)
            break;
    }
    close(fd);
    int ndocs = cJSON_GetArraySize(docs);
    if (json_out) {
        char *text = cJSON_Print(docs);
        fprintf(json_out, "%s\n", text ? text : "[]");
        cJSON_free(text);
        if (fclose(json_out))
            fprintf(stderr, "xraycap run: --json %s: %s\n", json, strerror(errno));
    }
    cJSON *roots = timeline_assemble(docs), *r; /* (takes the documents) */
    cJSON_ArrayForEach(r, roots) timeline_print(stdout, r, 40, 0);
    printf("%d document(s) received", ndocs);
    if (rejected)
        printf(", %d rejected", rejected);
    printf("\n");
    cJSON_Delete(roots);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
