/* mysql_prog.c — a MariaDB Connector/C client for the MySQL tracing tests, built the ways
 * pq_prog.c is (-DEXPLICIT: xray_mysql* calls). Inside segment "mysql-test":
 *   mysql_prog PORT        a query, a length-given query, a prepared statement run twice, an
 *                          error
 *   mysql_prog PORT lost   one query, then waits for a line on stdin (the test kills the
 *                          server), then two more: they must fail, not crash
 * and prints the answers, so the test can check that tracing changed nothing. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xray_capture.h>

#ifdef EXPLICIT
#include <xray_capture/mysql.h>
#define M(f) xray_##f
#else
#define M(f) f
#endif

/* Prints a query's outcome: its first row's last column, "ok", or the error number. */
static void show(const char *what, MYSQL *m, int rc)
{
    if (rc) {
        printf("%s: error %u\n", what, mysql_errno(m));
        return;
    }
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    if (row)
        printf("%s: %s\n", what, row[mysql_num_fields(res) - 1] ? row[mysql_num_fields(res) - 1] : "NULL");
    else
        printf("%s: ok\n", what);
    if (res)
        mysql_free_result(res);
}

static void statement(MYSQL *m)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    const char *sql = "SELECT COUNT(*) FROM items WHERE price > 10";
    int rc = M(mysql_stmt_prepare)(st, sql, strlen(sql));
    printf("prepare: %s\n", rc ? "error" : "ok");
    for (int i = 0; i < 2 && !rc; i++) {
        rc = M(mysql_stmt_execute)(st);
        printf("execute: %s\n", rc ? "error" : "ok");
        mysql_stmt_free_result(st);
    }
    M(mysql_stmt_close)(st);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    MYSQL *m = mysql_init(NULL);
    if (!mysql_real_connect(m, "127.0.0.1", "xraycap", "s3cret-pw", "shop", (unsigned)atoi(argv[1]), NULL, 0)) {
        fprintf(stderr, "mysql_prog: %s\n", mysql_error(m));
        return 1;
    }
    mysql_query(m, "DROP TABLE IF EXISTS items"); /* (outside the segment: not traced) */
    mysql_query(m, "DROP TABLE IF EXISTS uniq");
    xray_begin_segment("mysql-test");
    if (argc > 2 && !strcmp(argv[2], "lost")) {
        show("before", m, M(mysql_query)(m, "SELECT 1"));
        printf("ready\n");
        fflush(stdout);
        char line[16];
        if (!fgets(line, sizeof line, stdin))
            return 1;
        show("after", m, M(mysql_query)(m, "SELECT 2"));
        show("again", m, M(mysql_query)(m, "SELECT 3"));
    } else {
        show("plain", m, M(mysql_query)(m, "SELECT 1 + 41, 'secret-literal', \"dq-secret\", 'it\\'s bs-secret', 42"));
        const char *create = "CREATE TABLE items (id INT, price INT)";
        show("create", m, M(mysql_real_query)(m, create, strlen(create)));
        show("insert", m, M(mysql_query)(m, "INSERT INTO items VALUES (1, 12), (2, 5)"));
        statement(m);
        show("missing", m, M(mysql_query)(m, "SELECT * FROM no_such_table"));
        /* errors that quote values back: a duplicate entry, the statement after a syntax error */
        show("create", m, M(mysql_query)(m, "CREATE TABLE uniq (k VARCHAR(40) PRIMARY KEY)"));
        show("insert", m, M(mysql_query)(m, "INSERT INTO uniq VALUES ('dup-secret')"));
        show("duplicate", m, M(mysql_query)(m, "INSERT INTO uniq VALUES ('dup-secret')"));
        show("syntax", m, M(mysql_query)(m, "SELECT * FROM uniq WHERE = 'near-secret'"));
    }
    xray_end_segment();
    mysql_close(m);
    return 0;
}
