/* test_mysql.c — MySQL/MariaDB tracing against a real server: tests/db/mariadb_server.sh starts
 * one of our own (mariadb-install-db into a temporary directory, loopback, a password user),
 * tests/db/mysql_prog.c built the ways pq_prog.c is runs its statements, and the documents are
 * checked: names, sql.*, literals in single and double quotes sanitized, a prepared statement's
 * executions carrying its SQL, an error with its number and SQLSTATE, no password anywhere, and
 * a server killed mid-test. Skipped, saying so, without mariadb-server. */
#include "../unit/listener.h"
#include "db_harness.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define B ROOT "/build/tests"

static listener L;
static char dir[64], port[32], url[64];

static void check_variant(const char *exe)
{
    const cJSON *subs = db_traced_run(exe, port, "", &L, dir,
                                      "plain: 42\ncreate: ok\ninsert: ok\nprepare: ok\nexecute: ok\nexecute: ok\n"
                                      "missing: error 1146\ncreate: ok\ninsert: ok\nduplicate: error 1062\n"
                                      "syntax: error 1064\n", "mysql-test", 11);
    if (!subs)
        return;
    static const struct { const char *preparation, *query; } want[11] = {
        {"call", "SELECT ? + ?, ?, ?, ?, ?"},
        {"call", "CREATE TABLE items (id INT, price INT)"},
        {"call", "INSERT INTO items VALUES (?, ?), (?, ?)"},
        {"statement", "SELECT COUNT(*) FROM items WHERE price > ?"}, /* prepare */
        {"statement", "SELECT COUNT(*) FROM items WHERE price > ?"}, /* execute: its SQL */
        {"statement", "SELECT COUNT(*) FROM items WHERE price > ?"},
        {"call", "SELECT * FROM no_such_table"},
        {"call", "CREATE TABLE uniq (k VARCHAR(?) PRIMARY KEY)"},
        {"call", "INSERT INTO uniq VALUES (?)"},
        {"call", "INSERT INTO uniq VALUES (?)"},
        {"call", "SELECT * FROM uniq WHERE = ?"},
    };
    for (int i = 0; i < 11; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        CU_ASSERT_STRING_EQUAL(db_str(s, "name", NULL), "shop@127.0.0.1");
        CU_ASSERT_STRING_EQUAL(db_str(s, "namespace", NULL), "remote");
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "url"), url);
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "database_type"), "MySQL");
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "user"), "xraycap");
        CU_ASSERT_PTR_NOT_NULL(strstr(db_str(s, "sql", "database_version"), "MariaDB"));
        CU_ASSERT_EQUAL(strncmp(db_str(s, "sql", "driver_version"), "MariaDB Connector/C ", 20), 0);
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "preparation"), want[i].preparation);
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "sanitized_query"), want[i].query);
        CU_ASSERT_EQUAL(cJSON_IsTrue(db_at(s, "fault", NULL)), i == 6 || i >= 9);
        CU_ASSERT_TRUE(entity_valid(s, 0));
    }
    CU_ASSERT_STRING_EQUAL(db_exception_type(cJSON_GetArrayItem(subs, 6)), "MySQL error 1146 (42S02)");
    CU_ASSERT_STRING_EQUAL(db_exception_type(cJSON_GetArrayItem(subs, 9)), "MySQL error 1062 (23000)");
    /* the server's messages, without the values they quote back; names the query holds kept */
    static const char *messages[] = {"Table 'shop.no_such_table' doesn't exist",
                                     "Duplicate entry ? for key ?", "You have an error in your SQL syntax"};
    static const int at[] = {6, 9, 10};
    for (int i = 0; i < 3; i++)
        db_expect_message(cJSON_GetArrayItem(subs, at[i]), messages[i]);
    CU_ASSERT_PTR_NOT_NULL(strstr(db_exception_message(cJSON_GetArrayItem(subs, 10)), "near ? at line 1"));
    /* no literal, quoted-back value or password in any document or log line: db_traced_run's
     * secrets check (every marker here holds "secret", the password "s3cret") */
}


/* Calls made inside a shared library built without xraycap (tests/db/vendor.c) are traced
 * through libxraycap-patch.so, and the program's own call once, whichever ways are on. */
static void check_interposed(const char *exe)
{
    const cJSON *subs = db_traced_run(exe, port, "mysql", &L, dir, "vendor query: 42\nown query: 7\n", "interpose-test", 2);
    for (int i = 0; subs && i < 2; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        CU_ASSERT_STRING_EQUAL(db_str(s, "name", NULL), "shop@127.0.0.1");
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "sanitized_query"), i == 0 ? "SELECT ? + ?" : "SELECT ?");
    }
}

/* The server vanishes between two queries: the next ones are faults, the program goes on. */
static void lost(void)
{
    char out[2048];
    listener_clear(&L);
    CU_ASSERT_EQUAL(db_run_lost(B "/mysql-gcc", port, L.address, "mariadb_server.sh", dir, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "before: 1\nready\nafter: error 20"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "again: error 20"));
    listener_collect(&L, 300);
    db_expect_faults_after_the_first(db_subsegments(&L, "mysql-test"), "MySQL error 20");
}

static void started(const char *p)
{
    snprintf(port, sizeof port, "%s", p);
    snprintf(url, sizeof url, "mysql://127.0.0.1:%s/shop", port);
}

int main(void)
{
    const db_suite suite = {"mysql", "mysql", "mariadb_server.sh", "test -x /usr/sbin/mariadbd", started, check_variant,
                            check_interposed, lost};
    return db_test_main(&suite, &L, dir, sizeof dir);
}
