/* patch_table.h — the library functions that patch= redirects to xraycap's tracing wrappers,
 * shared by the GCC and the Clang plugin so both patch exactly the same calls. */
#ifndef XRAYCAP_PATCH_TABLE_H
#define XRAYCAP_PATCH_TABLE_H

enum { PATCH_CURL = 1, PATCH_SQLITE = 2 };

struct patch_entry {
    const char *from, *to;
    int lib;
};

static const patch_entry patches[] = {
    {"curl_easy_perform", "xray_curl_easy_perform", PATCH_CURL},
    {"curl_easy_setopt", "xray_curl_easy_setopt", PATCH_CURL},
    {"curl_easy_cleanup", "xray_curl_easy_cleanup", PATCH_CURL},
    {"curl_easy_reset", "xray_curl_easy_reset", PATCH_CURL},
    {"curl_easy_duphandle", "xray_curl_easy_duphandle", PATCH_CURL},
    {"curl_multi_add_handle", "xray_curl_multi_add_handle", PATCH_CURL},
    {"curl_multi_remove_handle", "xray_curl_multi_remove_handle", PATCH_CURL},
    {"curl_multi_info_read", "xray_curl_multi_info_read", PATCH_CURL},
    {"sqlite3_exec", "xray_sqlite3_exec", PATCH_SQLITE},
    {"sqlite3_prepare_v2", "xray_sqlite3_prepare_v2", PATCH_SQLITE},
    {"sqlite3_step", "xray_sqlite3_step", PATCH_SQLITE},
    {"sqlite3_reset", "xray_sqlite3_reset", PATCH_SQLITE},
    {"sqlite3_finalize", "xray_sqlite3_finalize", PATCH_SQLITE},
};

#define NPATCHES (sizeof patches / sizeof patches[0])

#endif
