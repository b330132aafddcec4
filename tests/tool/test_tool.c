/* test_tool.c — the xraycap tool: the daemon's parser against every malformed input, the
 * daemon as a process (refusals counted while it keeps serving, updates and streamed
 * subsegments put together), filter expressions, and a load test from 4 processes. */
#include "../common/support.h"
#include "../../tools/xraycap/doccheck.h"
#include "../../tools/xraycap/filter.h"
#include "../../tools/xraycap/hostport.h"
#include "../../tools/xraycap/store.h"
#include "../../tools/xraycap/timeline.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define XRAYCAP ROOT "/build/xraycap"
#define HEADER "{\"format\":\"json\",\"version\":1}\n"
#define TRACE "1-5759e988-bd862e3fe1be46a994272793"
#define HEADER_NUL_DOC "{\"format\":\"json\",\"version\":1}" "\0\n" "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}"

static const char *reject(const char *body)
{
    const char *why = NULL;
    cJSON *doc = doc_from_datagram(body, strlen(body), &why);
    cJSON_Delete(doc);
    return doc ? NULL : why;
}

static void test_parser_refuses_every_malformed_datagram(void)
{
    static const char *cases[][2] = {
        {"{\"name\":\"a\"}", "no header line"},
        {"{\"format\":\"xml\",\"version\":1}\n{}", "bad header"},
        {"{\"format\":\"json\",\"version\":2}\n{}", "bad header"},
        {"format json\n{}", "bad header"},
        {HEADER "{\"name\":\"a\",\"id\":", "not JSON"},
        {HEADER "[1,2]", "not a JSON object"},
        {HEADER "{\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}", "missing name"},
        {HEADER "{\"name\":\"a\",\"id\":7,\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}", "bad id"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}", "bad id"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"1-x\",\"start_time\":1,\"end_time\":2}", "bad trace_id"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":\"1\",\"end_time\":2}", "missing start_time"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":\"2\"}", "end_time is not a number"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1}", "neither end_time nor in_progress"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2,\"type\":\"subsegment\"}", "subsegment without parent_id"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2,\"subsegments\":{}}", "subsegments is not an array"},
        {HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2,\"subsegments\":[{\"name\":\"b\"}]}", "bad id"},
        {HEADER "{\"name\":\"a\xff\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}", "invalid UTF-8"},
        {HEADER "{\"name\":\"a|b\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}", "name has characters the schema does not allow, or over 200"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = reject(cases[i][0]);
        CU_ASSERT_PTR_NOT_NULL(why);
        if (why && strcmp(why, cases[i][1]))
            fprintf(stderr, "\n  case %zu: got '%s', want '%s'\n", i, why, cases[i][1]);
        CU_ASSERT_TRUE(why && !strcmp(why, cases[i][1]));
    }
    /* a URL past the schema's 250 characters */
    char url_doc[1024];
    snprintf(url_doc, sizeof url_doc, HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\""
             TRACE "\",\"start_time\":1,\"end_time\":2,\"http\":{\"request\":{\"url\":\"%0260d\"}}}", 0);
    const char *url_why = reject(url_doc);
    CU_ASSERT_TRUE(url_why && !strcmp(url_why, "http.request field over 250 characters"));
    /* 64 KiB + 1 (it cannot even be sent over loopback UDP, so the parser is asked directly) */
    static char big[65537 + 1];
    memset(big, ' ', sizeof big - 1);
    memcpy(big, HEADER, sizeof HEADER - 1);
    const char *why = NULL;
    CU_ASSERT_PTR_NULL(doc_from_datagram(big, 65537, &why));
    CU_ASSERT_STRING_EQUAL(why, "too large");
    /* subsegments nested deeper than the runtime ever nests them (XRAY_MAX_NESTING, 256), and
     * JSON nested deeper than the parser allows */
    char *deep = malloc(200000);
    strcpy(deep, HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2");
    for (int i = 0; i < 257; i++)
        strcat(deep, ",\"subsegments\":[{\"name\":\"b\",\"id\":\"70de5b6f19ff9a0b\",\"start_time\":1,\"end_time\":2");
    for (int i = 0; i < 257; i++)
        strcat(deep, "}]");
    strcat(deep, "}");
    const char *nested = reject(deep);
    CU_ASSERT_TRUE(nested && !strcmp(nested, "nested too deeply"));
    strcpy(deep, HEADER);
    for (int i = 0; i < 5000; i++)
        strcat(deep, "[");
    CU_ASSERT_STRING_EQUAL(reject(deep), "not JSON");
    free(deep);
    /* and a good one, header written with spaces as the Python SDK writes it */
    CU_ASSERT_PTR_NULL(reject("{\"format\": \"json\", \"version\": 1}\n{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\","
                              "\"trace_id\":\"" TRACE "\",\"start_time\":1,\"in_progress\":true}"));
}

/* ---- the daemon as a process ------------------------------------------------------- */

static char db[128], log_path[128];
static int port;
static pid_t daemon_pid;

static const char *forward_to; /* --forward for the next start_daemon, or NULL */
static const char *import_from; /* --import for the next start_daemon, or NULL */

static void start_daemon(void)
{
    snprintf(db, sizeof db, "/tmp/xraycap-tool-%d.db", (int)getpid());
    snprintf(log_path, sizeof log_path, "/tmp/xraycap-tool-%d.log", (int)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", db, db, db);
    system(cmd);
    port = support_free_port(SOCK_DGRAM);
    daemon_pid = fork();
    if (daemon_pid == 0) {
        char udp[64];
        snprintf(udp, sizeof udp, "127.0.0.1:%d", port);
        freopen(log_path, "w", stderr);
        if (forward_to)
            execl(XRAYCAP, XRAYCAP, "daemon", "--udp", udp, "--db", db, "--forward", forward_to, (char *)NULL);
        if (import_from)
            execl(XRAYCAP, XRAYCAP, "daemon", "--udp", udp, "--db", db, "--import", import_from, (char *)NULL);
        execl(XRAYCAP, XRAYCAP, "daemon", "--udp", udp, "--db", db, (char *)NULL);
        _exit(127);
    }
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Stops the daemon; returns its final statistics line. */
static const char *stop_daemon(void)
{
    static char log[4096];
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    kill(daemon_pid, SIGTERM);
    waitpid(daemon_pid, NULL, 0);
    FILE *f = fopen(log_path, "r");
    size_t n = f ? fread(log, 1, sizeof log - 1, f) : 0;
    log[n] = '\0';
    if (f)
        fclose(f);
    const char *stats = strstr(log, "accepted ");
    return stats ? stats : log;
}

static void send_datagram(int fd, const char *data, size_t len)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sendto(fd, data, len, 0, (struct sockaddr *)&a, sizeof a);
}

static long db_count(const char *where)
{
    sqlite3 *d;
    sqlite3_stmt *q;
    char sql[256];
    long n = -1;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM documents %s", where);
    if (sqlite3_open(db, &d) == SQLITE_OK && sqlite3_prepare_v2(d, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(d);
    return n;
}

static void test_daemon_counts_refusals_and_keeps_serving(void)
{
    start_daemon();
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    const char *bad[] = {"garbage", HEADER "{", HEADER "{\"name\":\"a\"}", "{\"format\":\"json\",\"version\":9}\n{}",
                         HEADER "{\"name\":\"\xc3\x28\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        send_datagram(fd, bad[i], strlen(bad[i]));
    /* the datagram that killed the daemon: a NUL byte before the header line's newline */
    static const char nul[] = HEADER_NUL_DOC;
    send_datagram(fd, nul, sizeof nul - 1);
    const char *good = HEADER "{\"name\":\"after\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE
                              "\",\"start_time\":1795000000,\"end_time\":1795000001}";
    send_datagram(fd, good, strlen(good));
    close(fd);
    const char *stats = stop_daemon();
    CU_ASSERT_PTR_NOT_NULL(strstr(stats, "accepted 1, rejected 6"));
    CU_ASSERT_PTR_NOT_NULL(strstr(stats, "NUL byte: 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(stats, "no header line: 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(stats, "invalid UTF-8: 1"));
    CU_ASSERT_EQUAL(db_count(""), 1);
}

static void test_updates_replace_in_progress_and_streamed_subsegments_join(void)
{
    start_daemon();
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    const char *docs[] = {
        HEADER "{\"name\":\"svc\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1795000000,\"in_progress\":true}",
        HEADER "{\"name\":\"streamed\",\"id\":\"70de5b6f19ff9a0b\",\"trace_id\":\"" TRACE "\",\"type\":\"subsegment\","
               "\"parent_id\":\"70de5b6f19ff9a0a\",\"start_time\":1795000000.1,\"end_time\":1795000000.2}",
        HEADER "{\"name\":\"svc\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1795000000,\"end_time\":1795000001}",
        HEADER "{\"name\":\"svc\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1795000000,\"in_progress\":true}",
    };
    for (size_t i = 0; i < 4; i++) {
        send_datagram(fd, docs[i], strlen(docs[i]));
        struct timespec ts = {0, 20 * 1000 * 1000}; /* in order */
        nanosleep(&ts, NULL);
    }
    close(fd);
    stop_daemon();
    CU_ASSERT_EQUAL(db_count(""), 2);
    CU_ASSERT_EQUAL(db_count("WHERE in_progress = 1"), 0); /* a late in_progress never wins */
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, XRAYCAP " export --db %s " TRACE, db);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    cJSON *x = cJSON_Parse(out);
    cJSON *segs = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(x, "Traces"), 0), "Segments");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(segs), 1);
    cJSON *doc = cJSON_Parse(cJSON_GetObjectItem(cJSON_GetArrayItem(segs, 0), "Document")->valuestring);
    cJSON *sub = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "subsegments"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sub, "name")->valuestring, "streamed");
    CU_ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(doc, "end_time")));
    cJSON_Delete(doc);
    cJSON_Delete(x);
}

static void test_load_from_four_processes_is_stored_once_each(void)
{
    enum { SENDERS = 4, EACH = 25000 };
    start_daemon();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int s = 0; s < SENDERS; s++) {
        if (fork() == 0) {
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            char buf[512];
            for (int i = 0; i < EACH; i++) {
                int n = snprintf(buf, sizeof buf, HEADER "{\"name\":\"load\",\"id\":\"%08x%08x\",\"trace_id\":"
                                 "\"1-6b0b8000-%024x\",\"start_time\":1795000000,\"end_time\":1795000001}",
                                 s, i, s * EACH + i);
                send_datagram(fd, buf, (size_t)n);
                if (i % 25 == 24) { /* about 25,000 documents a second from each: busy services, not a flood */
                    struct timespec ts = {0, 1000 * 1000};
                    nanosleep(&ts, NULL);
                }
            }
            _exit(0);
        }
    }
    for (int s = 0; s < SENDERS; s++)
        wait(NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const char *stats = stop_daemon();
    long accepted = -1;
    sscanf(stats, "accepted %ld", &accepted);
    long stored = db_count("");
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("\n  load: %d sent from %d processes in %.2f s (%.0f documents/s); %ld accepted, %ld stored\n",
           SENDERS * EACH, SENDERS, secs, SENDERS * EACH / secs, accepted, stored);
    CU_ASSERT_TRUE(accepted > 0);
    CU_ASSERT_EQUAL(stored, accepted); /* every accepted document, once */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm %s", db, db, db, log_path);
    system(cmd);
}

static void test_accepted_datagrams_are_relayed_unchanged(void)
{
    int real = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(real, (struct sockaddr *)&a, sizeof a);
    getsockname(real, (struct sockaddr *)&a, &len);
    char to[64];
    snprintf(to, sizeof to, "127.0.0.1:%d", ntohs(a.sin_port));
    forward_to = to;
    start_daemon();
    forward_to = NULL;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    const char *good = "{\"format\": \"json\", \"version\": 1}\n{\"name\":\"relayed\",\"id\":\"70de5b6f19ff9a0a\","
                       "\"trace_id\":\"" TRACE "\",\"start_time\":1795000000,\"end_time\":1795000001}";
    send_datagram(fd, "not a datagram", 14);
    send_datagram(fd, good, strlen(good));
    close(fd);
    stop_daemon();
    char buf[2048];
    struct timeval tv = {1, 0};
    setsockopt(real, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(real, buf, sizeof buf - 1, 0);
    CU_ASSERT_EQUAL_FATAL(n, (ssize_t)strlen(good));
    buf[n] = '\0';
    CU_ASSERT_STRING_EQUAL(buf, good); /* byte for byte, header line included */
    CU_ASSERT_EQUAL(recv(real, buf, sizeof buf, MSG_DONTWAIT), -1); /* the bad one was not */
    close(real);
}

static void test_import_stores_json_lines_and_reports_bad_ones(void)
{
    char file[128], cmd[1024];
    snprintf(file, sizeof file, "/tmp/xraycap-import-%d.jsonl", (int)getpid());
    snprintf(db, sizeof db, "/tmp/xraycap-import-%d.db", (int)getpid());
    FILE *f = fopen(file, "w");
    fprintf(f, "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}\n"
               "{broken\n\n"
               "{\"name\":\"b\",\"id\":\"70de5b6f19ff9a0b\",\"trace_id\":\"" TRACE "\",\"start_time\":1,\"end_time\":2}\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "rm -f %s*; " XRAYCAP " import --db %s %s 2>&1", db, db, file);
    FILE *p = popen(cmd, "r");
    char out[1024];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    CU_ASSERT_NOT_EQUAL(pclose(p), 0); /* one line was refused */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, ":2: not JSON"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "2 document(s) stored, 1 refused"));
    CU_ASSERT_EQUAL(db_count(""), 2);
    unlink(file);
    char path[160];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) { /* the store too: nothing left behind in /tmp */
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        unlink(path);
    }
}

/* Hostile input found by fuzzing, replayed through the real entry points. */
static void test_fuzzing_findings_are_refused_not_crashes(void)
{
    /* a filter that made the parser recurse until the stack overflowed */
    const char *filters[] = {"(@", "(-", "(.", "((#", "NOT NOT NOT (((((", ""};
    char err[512];
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        filter *f = filter_parse(filters[i], err, sizeof err);
        CU_ASSERT_PTR_NULL(f);
        filter_free(f);
    }
    char deep[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "(");
    CU_ASSERT_PTR_NULL(filter_parse(deep, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nested too deeply"));
    FILE *p = popen(XRAYCAP " traces --db /tmp/xraycap-none.db --filter '(@' 2>&1", "r");
    char out[1024];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    CU_ASSERT_EQUAL(WEXITSTATUS(pclose(p)), 2);
    /* a NUL byte in the header line; times no clock can have */
    const char *why = NULL;
    static const char nul[] = HEADER_NUL_DOC;
    CU_ASSERT_PTR_NULL(doc_from_datagram(nul, sizeof nul - 1, &why));
    CU_ASSERT_TRUE(why && !strcmp(why, "NUL byte"));
    CU_ASSERT_STRING_EQUAL(reject(HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE
                                  "\",\"start_time\":1e18,\"end_time\":2}"), "start_time out of range");
    CU_ASSERT_STRING_EQUAL(reject(HEADER "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE
                                  "\",\"start_time\":1,\"end_time\":1e999}"), "end_time out of range");
    /* a store an older daemon filled with such a document: the views go on */
    char path[128], cmd[512];
    snprintf(path, sizeof path, "/tmp/xraycap-old-%d.db", (int)getpid());
    unlink(path);
    store *st = store_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const char *body = "{\"name\":\"old\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE
                       "\",\"start_time\":1e18,\"end_time\":1e18,\"http\":{\"response\":{\"status\":1e30}}}";
    cJSON *doc = cJSON_Parse(body);
    store_begin(st);
    store_put(st, doc, body);
    store_commit(st);
    cJSON_Delete(doc);
    store_close(st);
    const char *views[] = {"traces --since 100000d", "html " TRACE, "show " TRACE, "map --since 100000d"};
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        snprintf(cmd, sizeof cmd, XRAYCAP " %s --db %s >/dev/null 2>&1", views[i], path);
        int rc = system(cmd);
        CU_ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) <= 1);
    }
    unlink(path);
}

/* What a shell command prints (a static buffer). */
static const char *command_output(const char *cmd)
{
    static char text[16384];
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    for (size_t got; p && n + 1 < sizeof text && (got = fread(text + n, 1, sizeof text - 1 - n, p)) > 0;)
        n += got;
    text[n] = '\0';
    if (p)
        pclose(p);
    return text;
}

/* The column where a timeline row's bar begins. */
static int bar_start(const char *out, const char *row_name)
{
    const char *row = strstr(out, row_name), *bar = row ? strchr(row, '|') : NULL;
    return bar ? (int)(strcspn(bar + 1, "#")) : -1;
}

/* A Lambda-like trace in a new store at `path`: segment api (EC2) calls users-call (remote),
 * which reached segment users (Lambda, fault, annotation tier, its own db-query fault with a
 * stack), and quota-svc (remote, throttled). */
static void write_two_segment_trace(const char *path)
{
    char err[256];
    unlink(path);
    store *st = store_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    double t = (double)time(NULL);
    char docs[3][1024];
    snprintf(docs[0], sizeof docs[0], "{\"name\":\"api\",\"id\":\"1000000000000001\",\"trace_id\":\"" TRACE
             "\",\"start_time\":%.3f,\"end_time\":%.3f,\"origin\":\"AWS::EC2::Instance\",\"subsegments\":"
             "[{\"name\":\"users-call\",\"id\":\"2000000000000002\",\"start_time\":%.3f,\"end_time\":%.3f,"
             "\"namespace\":\"remote\"},{\"name\":\"quota-svc\",\"id\":\"5000000000000005\",\"start_time\":%.3f,"
             "\"end_time\":%.3f,\"namespace\":\"remote\",\"throttle\":true,\"error\":true}]}",
             t, t + 0.1, t + 0.05, t + 0.09, t + 0.01, t + 0.02);
    snprintf(docs[1], sizeof docs[1], "{\"name\":\"users\",\"id\":\"3000000000000003\",\"trace_id\":\"" TRACE
             "\",\"parent_id\":\"2000000000000002\",\"start_time\":%.3f,\"end_time\":%.3f,"
             "\"origin\":\"AWS::Lambda::Function\",\"fault\":true,\"annotations\":{\"tier\":\"gold\"},"
             "\"subsegments\":[{\"name\":\"db-query\",\"id\":\"6000000000000006\",\"start_time\":%.3f,"
             "\"end_time\":%.3f,\"fault\":true}],\"cause\":{\"exceptions\":[{\"id\":"
             "\"4000000000000004\",\"type\":\"KeyError\",\"message\":\"no user\",\"stack\":[{\"label\":"
             "\"find_user\",\"path\":\"users.c\",\"line\":42}]}]}}", t + 0.05, t + 0.09, t + 0.06, t + 0.07);
    store_begin(st);
    for (int i = 0; i < 2; i++) {
        cJSON *doc = cJSON_Parse(docs[i]);
        store_put(st, doc, docs[i]);
        cJSON_Delete(doc);
    }
    store_commit(st);
    store_close(st);
}

/* `show` draws a trace's segments on one time axis, grouped and labelled with name and origin
 * (a downstream segment's bar starts under the call that reached it), `-v` shows exceptions
 * with their stacks, and `map` gives each edge's throttle share. */
static void test_show_draws_every_segment_on_one_axis_and_map_counts_throttles(void)
{
    char path[128], cmd[512], err[256];
    snprintf(path, sizeof path, "/tmp/xraycap-axis-%d.db", (int)getpid());
    write_two_segment_trace(path);
    snprintf(cmd, sizeof cmd, XRAYCAP " show --db %s -v " TRACE " 2>&1", path);
    const char *out = command_output(cmd);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "2 segment(s)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n== api (AWS::EC2::Instance)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n== users (AWS::Lambda::Function)\n"));
    /* one axis: the call and the segment it reached begin in the same column, half-way */
    int call = bar_start(out, "  users-call"), reached = bar_start(out, "\nusers ");
    CU_ASSERT_EQUAL(call, 20);
    CU_ASSERT_EQUAL(reached, call);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "exception KeyError: no user"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "at find_user (users.c:42)"));
    snprintf(cmd, sizeof cmd, XRAYCAP " map --db %s --since 1h 2>&1", path);
    out = command_output(cmd);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "throttle"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, " 100.0% ")); /* error share of the throttled call */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  100.0%\n")); /* its throttle share, the last column */
    /* the trace's flags, as the X-Ray API's summaries: fault and error the entry segment's own
     * (a downstream segment's fault is not the trace's), throttle any entity's */
    trace tr;
    store *st = store_open(path, err, sizeof err);
    CU_ASSERT_TRUE_FATAL(st && trace_load(st, TRACE, &tr));
    CU_ASSERT_FALSE(tr.fault);
    CU_ASSERT_FALSE(tr.error);
    CU_ASSERT_TRUE(tr.throttle);
    trace_free(&tr);
    store_close(st);
    unlink(path);
}

/* Each form of the console's filter grammar, through `xraycap traces --filter`. */
static void test_the_consoles_filter_forms_select_through_the_terminal(void)
{
    char path[128], cmd[1024];
    snprintf(path, sizeof path, "/tmp/xraycap-forms-%d.db", (int)getpid());
    write_two_segment_trace(path);
    static const char *yes[] = {
        "service(\"users\") {fault}", "service(\"users\") { fault = true AND responsetime < 1 }",
        "service(id(name: \"users\", type: \"AWS::Lambda::Function\"))", "id(type: \"AWS::Lambda::Function\")",
        "edge(\"api\", \"users\")", "edge(\"api\", \"quota-svc\") {throttle}",
        "rootcause.fault.service { name = \"users\" }", "rootcause.throttle.service { type = \"remote\" }",
        "!fault", "! service(\"nowhere\")", "annotation[users].tier = \"gold\"", "throttle AND NOT error",
    };
    static const char *no[] = {
        "service(\"api\") {fault}", "id(name: \"users\", type: \"AWS::EC2::Instance\")", "edge(\"users\", \"api\")",
        "edge(\"api\", \"users\") {throttle}", "rootcause.fault.service { name = \"api\" }",
        "annotation[api].tier = \"gold\"", "fault",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes + sizeof no / sizeof *no; i++) {
        bool want = i < sizeof yes / sizeof *yes;
        const char *expr = want ? yes[i] : no[i - sizeof yes / sizeof *yes];
        snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --since 1h --filter '%s' 2>&1", path, expr);
        const char *out = command_output(cmd);
        if ((strstr(out, TRACE) != NULL) != want)
            fprintf(stderr, "\n%s: %s\n", expr, out);
        CU_ASSERT_EQUAL(strstr(out, TRACE) != NULL, want);
    }
    static const char *bad[][2] = {
        {"edge(\"a\")", "expected ','"}, {"id()", "id needs name: or type:"},
        {"service(\"x\") {fault", "expected '}'"}, {"annotation[users.tier = 1", "expected ']'"},
        {"service(id(colour: \"red\"))", "id takes name: and type:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[512];
        filter *f = filter_parse(bad[i][0], err, sizeof err);
        CU_ASSERT_PTR_NULL(f);
        if (!strstr(err, bad[i][1]) || !strchr(err, '^'))
            fprintf(stderr, "\n%s: %s\n", bad[i][0], err);
        CU_ASSERT_TRUE(strstr(err, bad[i][1]) && strchr(err, '^'));
        filter_free(f);
    }
    unlink(path);
}

/* A summary of folded calls reads as its name and the calls it stands for. */
static int shell(const char *cmd, char *out, size_t n);

/* The groups a test's filter can name: "faults" = fault, "lambda" = its function's segment,
 * "loop-a" and "loop-b" name each other. */
static bool test_groups(const char *name, char *expr, size_t len, void *ctx)
{
    (void)ctx;
    static const char *const groups[][2] = {
        {"faults", "fault"}, {"lambda", "service(id(type: \"AWS::Lambda::Function\"))"},
        {"loop-a", "group.name = \"loop-b\""}, {"loop-b", "fault OR group.name = \"loop-a\""},
        {"broken", "responsetime >"},
    };
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
        if (!strcmp(name, groups[i][0])) {
            snprintf(expr, len, "%s", groups[i][1]);
            return true;
        }
    return false;
}

/* group.name = "NAME" is the group's expression read in place; a name no group has, a loop, a
 * group whose expression is bad, group.arn and an operator other than = are refused at the
 * name with the caret. */
static void test_group_names_stand_for_their_filter_expressions(void)
{
    char err[1024];
    static const char *const good[] = {"group.name = \"faults\"", "group.name = \"lambda\" AND NOT fault",
                                       "!group.name = \"faults\" OR group.name = \"lambda\""};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        filter *f = filter_parse_groups(good[i], test_groups, NULL, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL(f);
        filter_free(f);
    }
    static const char *const bad[][2] = {
        {"group.name = \"nowhere\"", "no such group"}, {"group.name = \"loop-a\"", "loop"},
        {"group.name = \"broken\"", "the group's filter expression is bad"},
        {"group.arn = \"arn:aws:xray:us-east-1:1:group/faults/X\"", "group.arn"},
        {"group.name != \"faults\"", "group.name takes = \"NAME\""}, {"group.name = faults", "a group's \"name\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        filter *f = filter_parse_groups(bad[i][0], test_groups, NULL, err, sizeof err);
        CU_ASSERT_PTR_NULL(f);
        if (!strstr(err, bad[i][1]) || !strchr(err, '^'))
            fprintf(stderr, "\n%s: %s\n", bad[i][0], err);
        CU_ASSERT_TRUE(strstr(err, bad[i][1]) && strchr(err, '^'));
        filter_free(f);
    }
    /* without a store's groups (filter_parse), a group is unknown */
    CU_ASSERT_PTR_NULL(filter_parse("group.name = \"faults\"", err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no such group"));
}

/* xraycap group: create, update, list and delete, their refusals (bad names and expressions, a
 * name taken, a group missing), and the terminal's traces and map through a group. */
static void test_group_command_keeps_groups_that_traces_and_map_use(void)
{
    char path[128], cmd[1024], out[8192];
    snprintf(path, sizeof path, "/tmp/xraycap-groups-%d.db", (int)getpid());
    write_two_segment_trace(path);
    static const struct { const char *args; int status; const char *says; } steps[] = {
        {"list", 0, "no groups"},
        {"create lambda 'service(id(type: \"AWS::Lambda::Function\"))'", 0, "group lambda:"},
        {"create lambda fault", 1, "exists"},
        {"create healthy 'ok'", 0, "group healthy"},
        {"update healthy '!throttle'", 0, "group healthy: !throttle"},
        {"update nobody fault", 1, "no group 'nobody'"},
        {"create bad 'responsetime >'", 2, "expected a value"},
        {"create Default fault", 2, "not 'Default'"},
        {"create 'a b' fault", 2, "letters, digits"},
        {"create abcdefghijklmnopqrstuvwxyz0123456 fault", 2, "1 to 32"},
        {"create both 'group.name = \"lambda\" AND group.name = \"healthy\"'", 0, "group both"},
        {"list", 0, "lambda "},
        {"delete nobody", 1, "no group 'nobody'"},
        {"delete both", 0, "deleted"},
        {"frobnicate", 2, "usage: xraycap group"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        snprintf(cmd, sizeof cmd, XRAYCAP " group --db %s %s", path, steps[i].args);
        int st = shell(cmd, out, sizeof out);
        if (st != steps[i].status || !strstr(out, steps[i].says))
            fprintf(stderr, "\ngroup %s: %d %s\n", steps[i].args, st, out);
        CU_ASSERT_EQUAL(st, steps[i].status);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, steps[i].says));
    }
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --since 1h --filter 'group.name = \"lambda\"'", path);
    CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, TRACE));
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --since 1h --filter 'group.name = \"healthy\"'", path);
    CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 0); /* a call of the trace was throttled */
    CU_ASSERT_PTR_NULL(strstr(out, TRACE));
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --filter 'group.name = \"gone\"'", path);
    CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no such group"));
    snprintf(cmd, sizeof cmd, XRAYCAP " map --db %s --since 1h --filter 'group.name = \"lambda\"'", path);
    CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "users"));
    snprintf(cmd, sizeof cmd, XRAYCAP " map --db %s --since 1h --filter 'group.name = \"healthy\"'", path);
    CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 0); /* a map of no traces */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no traces"));
    snprintf(cmd, sizeof cmd, "rm -f %s*", path);
    system(cmd);
}

static void test_summaries_are_labelled_with_their_call_count(void)
{
    cJSON *e = cJSON_Parse("{\"name\":\"hot\",\"metadata\":{\"xraycap\":{\"calls\":999936}}}");
    char label[64];
    timeline_label(e, label, sizeof label);
    CU_ASSERT_STRING_EQUAL(label, "hot \u00d7999,936");
    cJSON_Delete(e);
    e = cJSON_Parse("{\"name\":\"plain\"}");
    timeline_label(e, label, sizeof label);
    CU_ASSERT_STRING_EQUAL(label, "plain");
    cJSON_Delete(e);
}

/* Every address option of the tool goes through one reader: IPv4, bracketed IPv6, port range. */
static void test_addresses_are_read_alike_everywhere(void)
{
    struct sockaddr_storage a;
    socklen_t len;
    char why[600];
    CU_ASSERT_TRUE(hostport_resolve("127.0.0.1:2000", SOCK_DGRAM, false, &a, &len, why, sizeof why));
    CU_ASSERT_EQUAL(a.ss_family, AF_INET);
    CU_ASSERT_TRUE(hostport_resolve("[::1]:2000", SOCK_DGRAM, false, &a, &len, why, sizeof why));
    CU_ASSERT_EQUAL(a.ss_family, AF_INET6);
    CU_ASSERT_TRUE(hostport_resolve("127.0.0.1:0", SOCK_DGRAM, true, &a, &len, why, sizeof why));
    const char *bad[] = {"127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:", "127.0.0.1", ":2000",
                         "127.0.0.1:20x0", "127.0.0.1:-1", "::1:2000", "[::1]2000", "[::1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        CU_ASSERT_FALSE(hostport_resolve(bad[i], SOCK_DGRAM, false, &a, &len, why, sizeof why));
        CU_ASSERT_NOT_EQUAL(why[0], '\0');
    }
    /* and through the commands: refused before anything is served */
    FILE *p = popen(XRAYCAP " serve --db /nonexistent/x.db --http 127.0.0.1:99999 2>&1", "r");
    char out[1024];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    CU_ASSERT_EQUAL(WEXITSTATUS(pclose(p)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "the port must be a number from 1 to 65535"));
}

/* Runs a shell command; returns its exit status, with its stdout and stderr in `out`. */
static int shell(const char *cmd, char *out, size_t n)
{
    char full[1024];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    size_t got = p ? fread(out, 1, n - 1, p) : 0;
    out[got] = '\0';
    return p ? WEXITSTATUS(pclose(p)) : -1;
}

/* Every command answers --help and -h with its usage and status 0, without doing anything; the
 * reading commands never create a store; run --json writes the documents to a file, apart from
 * the command's own output. */
static void test_cli_answers_help_and_never_creates_a_store_by_reading(void)
{
    const char *cmds[] = {"daemon", "traces", "show", "map", "serve", "export", "html", "import", "run", "local-api",
                          "group"};
    char out[4096], cmd[512], db[64];
    snprintf(db, sizeof db, "/tmp/xraycap-typo-%d.db", (int)getpid());
    unlink(db);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "usage: xraycap %s", cmds[i]);
        snprintf(cmd, sizeof cmd, XRAYCAP " %s --db %s --help", cmds[i], db);
        CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
        snprintf(cmd, sizeof cmd, XRAYCAP " %s -h", cmds[i]);
        CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    }
    CU_ASSERT_EQUAL(access(db, F_OK), -1); /* import --help imported nothing, created nothing */
    const char *reading[] = {"traces", "map", "show " TRACE, "export " TRACE, "html " TRACE, "group list",
                             "group delete x"};
    for (size_t i = 0; i < sizeof reading / sizeof reading[0]; i++) {
        snprintf(cmd, sizeof cmd, XRAYCAP " %s --db %s", reading[i], db);
        CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "does not exist"));
        CU_ASSERT_EQUAL(access(db, F_OK), -1);
    }
    CU_ASSERT_EQUAL(shell(XRAYCAP " --version", out, sizeof out), 0);
    CU_ASSERT_EQUAL(strncmp(out, "xraycap ", 8), 0);
    /* the program after -- gets its own --help */
    CU_ASSERT_EQUAL(shell(XRAYCAP " run -- sh -c 'echo \"$1\"' sh --help", out, sizeof out), 0);
    CU_ASSERT_EQUAL(strncmp(out, "--help\n", 7), 0);
    char json[64];
    snprintf(json, sizeof json, "/tmp/xraycap-run-%d.json", (int)getpid());
    snprintf(cmd, sizeof cmd, XRAYCAP " run --json %s -- " ROOT "/build/samples/manual", json);
    CU_ASSERT_EQUAL(shell(cmd, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "document(s) received"));
    CU_ASSERT_PTR_NULL(strstr(out, "\"trace_id\""));
    FILE *f = fopen(json, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(json);
    CU_ASSERT_EQUAL(out[0], '[');
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"segment_1\""));
    CU_ASSERT_EQUAL(shell(XRAYCAP " local-api", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--bootstrap is required"));
    CU_ASSERT_EQUAL(shell(XRAYCAP " local-api --bootstrap /bin/true --tracing everything", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "unexpected argument '--tracing'"));
    CU_ASSERT_EQUAL(shell(XRAYCAP " local-api --bootstrap /nonexistent/bootstrap", out, sizeof out), 2);
    CU_ASSERT_EQUAL(shell(XRAYCAP " local-api --bootstrap /bin/true --udp 127.0.0.1:99999", out, sizeof out), 2);
    /* a function that dies is reported, and local-api stops with status 1 */
    CU_ASSERT_EQUAL(shell(XRAYCAP " local-api --bootstrap /bin/false --http 127.0.0.1:0", out, sizeof out), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "the function exited (status 1)"));
    CU_ASSERT_EQUAL(shell(XRAYCAP " run --json /nonexistent/dir/x.json -- true", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent/dir/x.json"));
    CU_ASSERT_EQUAL(shell(XRAYCAP " run --json -- true", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--json takes a file name"));
}

/* The file emitter's output, streamed subsegments included, loads into the daemon's store and
 * joins into one trace. */
static void test_daemon_imports_what_the_file_emitter_wrote(void)
{
    char file[128], cmd[1024], out[8192];
    snprintf(file, sizeof file, "/tmp/xraycap-emitted-%d.jsonl", (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -f %s; AWS_XRAY_EMITTER=file:%s XRAYCAP_STREAMING_THRESHOLD=1 "
                              "XRAYCAP_SAMPLING=false " ROOT "/build/samples/capture >/dev/null",
             file, file);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    long lines = 0;
    char trace[64] = "";
    FILE *f = fopen(file, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    while (fgets(out, sizeof out, f)) {
        lines++;
        char *t = strstr(out, "\"trace_id\":\"");
        if (t && !trace[0])
            snprintf(trace, sizeof trace, "%.35s", t + 12);
    }
    fclose(f);
    CU_ASSERT_TRUE(lines > 2); /* streamed pieces and the segment */
    import_from = file;
    start_daemon();
    const char *stats = stop_daemon();
    import_from = NULL;
    (void)stats;
    char expect[80];
    snprintf(expect, sizeof expect, "imported %ld document(s), 0 refused", lines);
    FILE *l = fopen(log_path, "r");
    size_t n = fread(out, 1, sizeof out - 1, l);
    out[n] = '\0';
    fclose(l);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, expect));
    CU_ASSERT_EQUAL(db_count(""), lines);
    snprintf(cmd, sizeof cmd, XRAYCAP " show --db %s %s 2>&1", db, trace);
    FILE *p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "subsegment_1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "xray_function_sample2"));
    unlink(file);
}

/* ---- filter expressions ------------------------------------------------------------ */

static void test_filter_errors_point_at_the_offending_token(void)
{
    char err[1024];
    static const char *bad[][2] = {
        {"annotation.user =", "expected a value"},
        {"responsetime > \"slow\"", "compares with a number"},
        {"service(users)", "service needs a \"name\""},
        {"fault AND", "expected a condition"},
        {"(fault", "expected ')'"},
        {"colour = \"red\"", "unknown key"},
        {"fault fault", "expected AND, OR or the end"},
        {"http.status ! 5", "'!' must be '!='"},
        {"annotation.x = \"open", "unterminated string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        filter *f = filter_parse(bad[i][0], err, sizeof err);
        CU_ASSERT_PTR_NULL(f);
        filter_free(f);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i][1]));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "^"));
    }
    filter *f = filter_parse("annotation.user =", err, sizeof err);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "position 18"));
}

static void test_filters_select_the_right_traces(void)
{
    trace t = {0};
    cJSON *root = cJSON_Parse("{\"name\":\"users-api\",\"start_time\":1,\"end_time\":1.8,\"http\":{\"request\":"
                              "{\"method\":\"POST\",\"url\":\"http://x/users\"},\"response\":{\"status\":500}},"
                              "\"fault\":true,\"annotations\":{\"user\":\"alice\",\"n\":3,\"vip\":true},"
                              "\"subsegments\":[{\"name\":\"DynamoDB\",\"start_time\":1.1,\"end_time\":1.2}]}");
    t.roots = cJSON_CreateArray();
    cJSON_AddItemToArray(t.roots, root);
    t.root = root;
    t.start = 1;
    t.end = 1.8;
    t.method = "POST";
    t.url = "http://x/users";
    t.status = 500;
    t.fault = true;
    t.annotations = cJSON_GetObjectItem(root, "annotations");
    static const char *yes[] = {"fault", "annotation.user = \"alice\"", "annotation.n >= 3", "annotation.vip = true",
                                "service(\"DynamoDB\")", "responsetime > 0.5", "duration < 1", "http.status = 500",
                                "http.method = \"POST\" AND http.url CONTAINS \"users\"", "NOT error",
                                "(error OR fault) AND NOT throttle", "fault = true", "ok = false"};
    static const char *no[] = {"error", "annotation.user = \"bob\"", "annotation.missing = 1", "service(\"S3\")",
                               "responsetime > 1", "http.status != 500", "ok", "fault AND error"};
    char err[512];
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        filter *f = filter_parse(yes[i], err, sizeof err);
        CU_ASSERT_TRUE(f && filter_match(f, &t));
        filter_free(f);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        filter *f = filter_parse(no[i], err, sizeof err);
        CU_ASSERT_TRUE(f && !filter_match(f, &t));
        filter_free(f);
    }
    cJSON_Delete(t.roots);
}

int main(void)
{
    static const support_test tests[] = {
        SUPPORT_TEST(test_addresses_are_read_alike_everywhere),
        SUPPORT_TEST(test_summaries_are_labelled_with_their_call_count),
        SUPPORT_TEST(test_show_draws_every_segment_on_one_axis_and_map_counts_throttles),
        SUPPORT_TEST(test_the_consoles_filter_forms_select_through_the_terminal),
        SUPPORT_TEST(test_group_names_stand_for_their_filter_expressions),
        SUPPORT_TEST(test_group_command_keeps_groups_that_traces_and_map_use),
        SUPPORT_TEST(test_fuzzing_findings_are_refused_not_crashes),
        SUPPORT_TEST(test_parser_refuses_every_malformed_datagram),
        SUPPORT_TEST(test_daemon_counts_refusals_and_keeps_serving),
        SUPPORT_TEST(test_updates_replace_in_progress_and_streamed_subsegments_join),
        SUPPORT_TEST(test_accepted_datagrams_are_relayed_unchanged),
        SUPPORT_TEST(test_import_stores_json_lines_and_reports_bad_ones),
        SUPPORT_TEST(test_daemon_imports_what_the_file_emitter_wrote),
        SUPPORT_TEST(test_filter_errors_point_at_the_offending_token),
        SUPPORT_TEST(test_filters_select_the_right_traces),
        SUPPORT_TEST(test_cli_answers_help_and_never_creates_a_store_by_reading),
        SUPPORT_TEST(test_load_from_four_processes_is_stored_once_each),
        {NULL, NULL},
    };
    return support_run_suite("xraycap tool", tests);
}
