/* sql_prepared.c — the SQL of prepared statements, kept for the executions that name them:
 * libpq executes a statement by its name on a connection, MySQL's connector by its handle, and
 * neither hands the SQL back. */
#include "lib/sql_text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct prepared {
    const void *owner;
    char *name, *sql;
    struct prepared *next;
} prepared;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards `statements` */
static prepared *statements;

static void drop(prepared **at)
{
    prepared *old = *at;
    *at = old->next;
    free(old->name);
    free(old->sql);
    free(old);
}

void xrc_sql_remember(const void *owner, const char *name, const char *sql, size_t len)
{
    prepared *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(name ? name : "")) || !(p->sql = strndup(sql ? sql : "", len))) {
        if (p)
            free(p->name);
        free(p);
        return;
    }
    p->owner = owner;
    pthread_mutex_lock(&lock);
    for (prepared **q = &statements; *q; q = &(*q)->next)
        if ((*q)->owner == owner && !strcmp((*q)->name, p->name)) { /* prepared again */
            drop(q);
            break;
        }
    p->next = statements;
    statements = p;
    pthread_mutex_unlock(&lock);
}

void xrc_sql_recall(const void *owner, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    pthread_mutex_lock(&lock);
    for (prepared *p = statements; p; p = p->next)
        if (p->owner == owner && !strcmp(p->name, name ? name : "")) {
            snprintf(out, len, "%s", p->sql);
            break;
        }
    pthread_mutex_unlock(&lock);
}

void xrc_sql_forget(const void *owner)
{
    pthread_mutex_lock(&lock);
    for (prepared **q = &statements; *q;) {
        if ((*q)->owner == owner)
            drop(q);
        else
            q = &(*q)->next;
    }
    pthread_mutex_unlock(&lock);
}
