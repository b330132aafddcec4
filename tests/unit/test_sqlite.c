/* test_sqlite.c — SQLite statement executions as subsegments: one per execution, named after
 * the database, with the query's literals replaced. */
#include "harness.h"
#include "lib/error_text.h"
#include "lib/sql_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xray_capture/sqlite3.h>

static char path[64];

static sqlite3 *open_db(void)
{
    snprintf(path, sizeof path, "/tmp/xraycap-test-%d.db", (int)getpid());
    unlink(path);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    return db;
}

static cJSON *sql_of(cJSON *e) { return cJSON_GetObjectItem(e, "sql"); }

static void test_each_statement_execution_is_one_subsegment(void)
{
    test_reset();
    sqlite3 *db = open_db();
    xray_begin_segment("app");
    CU_ASSERT_EQUAL(xray_sqlite3_exec(db, "CREATE TABLE users(id INTEGER, name TEXT)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *ins;
    xray_sqlite3_prepare_v2(db, "INSERT INTO users VALUES(?, ?)", -1, &ins, NULL);
    for (int i = 0; i < 3; i++) {
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_text(ins, 2, "bob", -1, SQLITE_STATIC);
        CU_ASSERT_EQUAL(xray_sqlite3_step(ins), SQLITE_DONE);
        xray_sqlite3_reset(ins);
    }
    xray_sqlite3_finalize(ins);
    sqlite3_stmt *sel;
    xray_sqlite3_prepare_v2(db, "SELECT name FROM users WHERE id >= 1 AND name = 'bob'", -1, &sel, NULL);
    int rows = 0;
    while (xray_sqlite3_step(sel) == SQLITE_ROW)
        rows++;
    xray_sqlite3_finalize(sel);
    xray_end_segment();
    sqlite3_close(db);
    unlink(path);
    CU_ASSERT_EQUAL(rows, 2); /* ids 1 and 2 */
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    char name[64];
    snprintf(name, sizeof name, "%s", strrchr(path, '/') + 1);
    CU_ASSERT_EQUAL(listener_count(&L, name), 1 + 3 + 1); /* create, 3 inserts, 1 select */
    cJSON *c, *select = NULL, *create = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(L.docs[0], "subsegments")) {
        const char *q = cJSON_GetObjectItem(sql_of(c), "sanitized_query")->valuestring;
        if (!strncmp(q, "SELECT", 6))
            select = c;
        if (!strncmp(q, "CREATE", 6))
            create = c;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(select);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sql_of(select), "sanitized_query")->valuestring,
                           "SELECT name FROM users WHERE id >= ? AND name = ?");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sql_of(select), "database_type")->valuestring, "sqlite3");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sql_of(select), "database_version")->valuestring, sqlite3_libversion());
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sql_of(select), "url")->valuestring, path);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sql_of(select), "preparation")->valuestring, "statement");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sql_of(create), "preparation")->valuestring, "call");
    CU_ASSERT_TRUE(entity_valid(L.docs[0], 1));
}

/* Statements recorded when they finish count toward streaming like any subsegment: a long
 * loop of them leaves the segment in pieces, each carrying its SQL, none lost. */
static void test_many_statements_stream_with_their_sql(void)
{
    test_reset();
    sqlite3 *db = open_db();
    xray_begin_segment("batch-job");
    xray_sqlite3_exec(db, "CREATE TABLE t(a)", NULL, NULL, NULL);
    sqlite3_stmt *ins;
    xray_sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?)", -1, &ins, NULL);
    for (int i = 0; i < 200; i++) {
        sqlite3_bind_int(ins, 1, i);
        xray_sqlite3_step(ins);
        xray_sqlite3_reset(ins);
    }
    xray_sqlite3_finalize(ins);
    xray_end_segment();
    sqlite3_close(db);
    unlink(path);
    collect();
    char name[64];
    snprintf(name, sizeof name, "%s", strrchr(path, '/') + 1);
    CU_ASSERT_EQUAL(listener_count(&L, name), 201);
    CU_ASSERT_TRUE(L.ndocs > 100); /* streamed ahead, not held to the end */
    size_t with_sql = 0;
    for (size_t i = 0; i < L.ndocs; i++)
        if (cJSON_GetObjectItem(L.docs[i], "type"))
            with_sql += cJSON_GetObjectItem(sql_of(L.docs[i]), "sanitized_query") != NULL;
    CU_ASSERT_EQUAL(with_sql, L.ndocs - 1);
}

static void test_errors_are_faults_with_sqlites_message(void)
{
    test_reset();
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    xray_begin_segment("app");
    char *err = NULL;
    CU_ASSERT_NOT_EQUAL(xray_sqlite3_exec(db, "SELECT * FROM missing_table", NULL, NULL, &err), SQLITE_OK);
    sqlite3_free(err);
    xray_end_segment();
    sqlite3_close(db);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *e = child_named(L.docs[0], "memory");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(e, "fault")));
    cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "cause"), "exceptions"), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(x, "message")->valuestring, "no such table: missing_table"));
}

/* An error that quotes a literal back ("near "'…'": syntax error") records it as `?`. */
static void test_errors_quoting_a_literal_back_record_no_value(void)
{
    test_reset();
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    xray_begin_segment("app");
    CU_ASSERT_NOT_EQUAL(xray_sqlite3_exec(db, "SELECT 1 WHERE 1 = 1 'lit-secret'", NULL, NULL, NULL), SQLITE_OK);
    xray_end_segment();
    sqlite3_close(db);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *e = child_named(L.docs[0], "memory");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "cause"), "exceptions"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x, "message")->valuestring, "near ?: syntax error");
    char *text = cJSON_PrintUnformatted(L.docs[0]);
    CU_ASSERT_PTR_NULL(strstr(text, "lit-secret"));
    free(text);
}

/* What each database's messages become: values out, the names the statement holds kept. */
static void test_error_messages_keep_names_and_drop_values(void)
{
    static const char *cases[][3] = {
        {"relation \"users\" does not exist", "SELECT * FROM users", "relation \"users\" does not exist"},
        {"invalid input syntax for type integer: \"hunter2\"", "SELECT ?::int", "invalid input syntax for type integer: ?"},
        {"invalid input syntax for type integer: \"hun\"ter2\"", "SELECT ?::int", "invalid input syntax for type integer: ?"},
        {"Table 'shop.items' doesn't exist", "SELECT * FROM items", "Table 'shop.items' doesn't exist"},
        {"Duplicate entry 'a@b.c' for key 'email'", "INSERT INTO u (email) VALUES (?)", "Duplicate entry ? for key 'email'"},
        {"You have an error in your SQL syntax; check the manual near '= 'x' AND y = 'it''s'' at line 1",
         "SELECT * FROM t WHERE = ?", "You have an error in your SQL syntax; check the manual near ? at line 1"},
        {"ERR unknown command 'FOO', with args beginning with: 'k' 'v' ", "FOO",
         "ERR unknown command 'FOO', with args beginning with: ? ? "},
        {"first line\nDETAIL:  Key (id)=(7) already exists.", "", "first line"},
        {"unterminated 'secret", "", "unterminated ?"},
        {"value 'users' is a word of the statement only as a name", "SELECT users FROM t",
         "value 'users' is a word of the statement only as a name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        xrc_error_text(cases[i][0], cases[i][1], out, sizeof out);
        if (strcmp(out, cases[i][2]))
            fprintf(stderr, "\n%s\n -> %s\n", cases[i][0], out);
        CU_ASSERT_STRING_EQUAL(out, cases[i][2]);
    }
    for (size_t len = 1; len < 40; len++) { /* any room: ends, NUL-terminated, within it */
        char out[64];
        memset(out, 'Z', sizeof out);
        xrc_error_text(cases[4][0], cases[4][1], out, len);
        CU_ASSERT_TRUE(strlen(out) < len && out[len] == 'Z');
    }
}

static void test_sanitizing_replaces_every_kind_of_literal(void)
{
    static const char *cases[][2] = {
        {"SELECT * FROM t WHERE a = 'it''s' AND b = 42", "SELECT * FROM t WHERE a = ? AND b = ?"},
        {"INSERT INTO t VALUES(3.14, -7, 1e-5, 0x1F, X'CAFE')", "INSERT INTO t VALUES(?, -?, ?, ?, ?)"},
        {"SELECT \"col 1\", [col2], `col3` FROM t2 WHERE c3 = 'x'", "SELECT \"col 1\", [col2], `col3` FROM t2 WHERE c3 = ?"},
        {"SELECT a1, b_2 FROM t3 LIMIT 10", "SELECT a1, b_2 FROM t3 LIMIT ?"},
        {"SELECT 'unterminated", "SELECT ?"},
        {"", ""},
    };
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xray_sql_sanitize(cases[i][0], out, sizeof out);
        CU_ASSERT_STRING_EQUAL(out, cases[i][1]);
    }
    xray_sql_sanitize("SELECT 1234567890", out, 8); /* cut, never overrun */
    CU_ASSERT_EQUAL(strlen(out), 7);
}

/* A quoted identifier that reaches the end of the output buffer used to spin for ever: the
 * input advanced only while there was room. Every buffer size, both dialects. */
static void test_sanitizer_stops_at_any_buffer_size(void)
{
    const char *sql = "INSERT INTO \"orders\" (`id`, [total]) VALUES (42, 'secret')";
    char out[80];
    for (size_t n = 0; n <= sizeof out; n++) {
        memset(out, 'x', sizeof out);
        xray_sql_sanitize(sql, out, n);
        if (n)
            CU_ASSERT_TRUE(strlen(out) < n);
    }
    xray_sql_sanitize("\"ab", out, 2);
    CU_ASSERT_STRING_EQUAL(out, "\"");
    xray_sql_sanitize(sql, out, sizeof out);
    CU_ASSERT_STRING_EQUAL(out, "INSERT INTO \"orders\" (`id`, [total]) VALUES (?, ?)");
}

/* Each dialect's literals, at every buffer size: PostgreSQL's dollar quotes, E'' strings with
 * backslash escapes, [ as a subscript; MySQL's "" strings; numbers with underscores. No secret
 * survives, and the sanitizer always returns. */
/* Finding 1 through a real call: a quoted identifier that reaches the end of the recorded
 * query (wide ORM statements quote every column) once made the sanitizer spin for ever. */
static void test_a_quoted_identifier_longer_than_the_recorded_query_ends(void)
{
    test_reset();
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    static char sql[4300];
    int n = snprintf(sql, sizeof sql, "CREATE TABLE \"");
    memset(sql + n, 'a', 4200);
    snprintf(sql + n + 4200, sizeof sql - (size_t)n - 4200, "\" (x)");
    xray_begin_segment("app");
    CU_ASSERT_EQUAL(xray_sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    xray_end_segment();
    sqlite3_close(db);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *e = child_named(L.docs[0], "memory");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    const char *q = cJSON_GetObjectItem(sql_of(e), "sanitized_query")->valuestring;
    CU_ASSERT_EQUAL(strncmp(q, "CREATE TABLE \"aaaa", 17), 0);
    CU_ASSERT_TRUE(strlen(q) < strlen(sql));
}

static void test_every_dialects_literals_are_replaced_at_any_buffer_size(void)
{
    static const struct { xrc_sql_dialect dialect; const char *sql, *want; } cases[] = {
        {XRC_SQL_POSTGRES, "SELECT $$hunter2$$, $t$hunter2 $x$ 'q'$t$, E'it\\'s hunter2', "
                           "ARRAY['hunter2'], data['hunter2'], 1_000, $1, \"hunter\"",
         "SELECT ?, ?, ?, ARRAY[?], data[?], ?, $1, \"hunter\""},
        {XRC_SQL_MYSQL, "SELECT \"hunter2\", 'it\\'s hunter2', `hunter`", "SELECT ?, ?, `hunter`"},
        {XRC_SQL_SQLITE, "SELECT 1_000, x'4142', [hunter]", "SELECT ?, ?, [hunter]"},
        {XRC_SQL_POSTGRES, "SELECT $$hunter2", "SELECT ?"}, /* unterminated: to the end */
    };
    char out[128];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t n = 1; n <= sizeof out; n++) {
            xrc_sql_sanitize(cases[c].sql, out, n, cases[c].dialect);
            CU_ASSERT_TRUE(strlen(out) < n);
            CU_ASSERT_PTR_NULL(strstr(out, "hunter2"));
        }
        CU_ASSERT_STRING_EQUAL(out, cases[c].want);
    }
}

static void test_raw_queries_when_sanitizing_is_off(void)
{
    test_reset();
    xray_sqlite3_sanitize(false);
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    xray_begin_segment("app");
    xray_sqlite3_exec(db, "SELECT 'visible'", NULL, NULL, NULL);
    xray_end_segment();
    sqlite3_close(db);
    xray_sqlite3_sanitize(true);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sql_of(child_named(L.docs[0], "memory")), "sanitized_query")->valuestring,
                           "SELECT 'visible'");
}

static void test_no_segment_means_plain_sqlite(void)
{
    test_reset();
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    CU_ASSERT_EQUAL(xray_sqlite3_exec(db, "CREATE TABLE t(a)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    xray_sqlite3_prepare_v2(db, "SELECT 1", -1, &s, NULL);
    CU_ASSERT_EQUAL(xray_sqlite3_step(s), SQLITE_ROW);
    xray_sqlite3_finalize(s);
    sqlite3_close(db);
    CU_ASSERT_EQUAL(collect(), 0);
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

void register_sqlite(void)
{
    CU_pSuite s = CU_add_suite("sqlite", NULL, NULL);
    ADD(s, test_each_statement_execution_is_one_subsegment);
    ADD(s, test_many_statements_stream_with_their_sql);
    ADD(s, test_errors_are_faults_with_sqlites_message);
    ADD(s, test_errors_quoting_a_literal_back_record_no_value);
    ADD(s, test_error_messages_keep_names_and_drop_values);
    ADD(s, test_sanitizing_replaces_every_kind_of_literal);
    ADD(s, test_raw_queries_when_sanitizing_is_off);
    ADD(s, test_sanitizer_stops_at_any_buffer_size);
    ADD(s, test_every_dialects_literals_are_replaced_at_any_buffer_size);
    ADD(s, test_a_quoted_identifier_longer_than_the_recorded_query_ends);
    ADD(s, test_no_segment_means_plain_sqlite);
}
