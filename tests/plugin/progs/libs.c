/* libs.c — ordinary libcurl and SQLite code, with no xraycap call inside: traced only by
 * patching (compile time with the plugin, or link time with --wrap). */
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <xray_capture.h>

static size_t sink(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }

int main(void)
{
    const char *url = getenv("TARGET_URL");
    xray_begin_segment("libs");
    CURL *h = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "X-Mine: 1");
    curl_easy_setopt(h, CURLOPT_URL, url ? url : "http://127.0.0.1:9/");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    printf("curl %d status %ld headers-untouched %d\n", (int)rc, status, headers->next == NULL);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);

    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_stmt *s;
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES(42)", -1, &s, NULL);
    printf("step %d\n", sqlite3_step(s));
    sqlite3_finalize(s);
    sqlite3_close(db);
    xray_end_segment();
    return 0;
}
