/* cmd_group.c — `xraycap group`: named filter expressions kept in the store, as X-Ray's groups
 * (CreateGroup, UpdateGroup, DeleteGroup, GetGroups). A filter names one with
 * group.name = "NAME"; serve offers them above the list and the map. */
#include "commands.h"
#include "view.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define USAGE "xraycap group [--db FILE] create NAME EXPR | update NAME EXPR | delete NAME | list"
#define GROUP_NAME_MAX 32     /* X-Ray's limit on a group's name */
#define GROUP_FILTER_MAX 2000 /* what a filter reading a group takes in */

/* X-Ray's rules for a name: 1 to 32 characters; here letters, digits, '-' and '_', so that a
 * name reads the same in a URL, a shell and a filter; "Default" is X-Ray's own group. */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > GROUP_NAME_MAX || !strcmp(name, "Default")) {
        fprintf(stderr, "xraycap group: a group's name has 1 to %d characters and is not 'Default'\n",
                GROUP_NAME_MAX);
        return false;
    }
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') {
            fprintf(stderr, "xraycap group: '%s': a group's name has letters, digits, '-' and '_' only\n", name);
            return false;
        }
    return true;
}

static void print_group(const char *name, const char *filter, void *ctx)
{
    (void)ctx;
    printf("%-32s  %s\n", name, filter);
}

/* create and update: the expression is read (with the groups already kept) before it is kept. */
static int put(store *s, const char *name, const char *expr, bool replace)
{
    char err[1024];
    if (strlen(expr) > GROUP_FILTER_MAX) {
        fprintf(stderr, "xraycap group: a group's filter expression has at most %d characters\n", GROUP_FILTER_MAX);
        return 2;
    }
    filter *f = view_filter(s, expr, err, sizeof err);
    if (!f) {
        fprintf(stderr, "xraycap group: %s\n", err);
        return 2;
    }
    filter_free(f);
    char old[GROUP_FILTER_MAX + 48];
    if (replace && store_group_get(s, name, old, sizeof old) != 1) {
        fprintf(stderr, "xraycap group: no group '%s' to update (create makes one)\n", name);
        return 1;
    }
    store_status st = store_group_put(s, name, expr, replace);
    if (st == STORE_EXISTS) {
        fprintf(stderr, "xraycap group: a group '%s' exists (update changes its expression)\n", name);
        return 1;
    }
    if (st != STORE_OK) {
        fprintf(stderr, "xraycap group: could not keep '%s': %s\n", name, store_status_text(st));
        return 1;
    }
    printf("group %s: %s\n", name, expr);
    return 0;
}

int cmd_group(int argc, char **argv)
{
    char db[4096];
    store_default_path(db, sizeof db);
    const char *arg[4] = {""}; /* the verb and its arguments, --db FILE taken from anywhere */
    int args = 0;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--db") && k + 1 < argc)
            snprintf(db, sizeof db, "%s", argv[++k]);
        else if (args < 4)
            arg[args++] = argv[k];
        else
            args++;
    }
    const char *verb = arg[0];
    args--;
    bool writes = !strcmp(verb, "create") || !strcmp(verb, "update");
    if (!((writes && args == 2) || (!strcmp(verb, "delete") && args == 1) || (!strcmp(verb, "list") && !args))) {
        fprintf(stderr, "usage: " USAGE "\n");
        return 2;
    }
    if (args && !name_ok(arg[1]))
        return 2;
    char err[4200];
    store *s;
    if (writes) {
        s = store_open(db, err, sizeof err); /* as import does: the first group may come first */
        if (!s)
            fprintf(stderr, "xraycap group: %s\n", err);
    } else {
        options o = {0};
        snprintf(o.db, sizeof o.db, "%s", db);
        s = view_open_store(&o);
    }
    if (!s)
        return 1;
    int rc = 0;
    if (writes) {
        rc = put(s, arg[1], arg[2], !strcmp(verb, "update"));
    } else if (!strcmp(verb, "delete")) {
        int gone = store_group_delete(s, arg[1]);
        if (gone != 1)
            fprintf(stderr, "xraycap group: %s '%s'\n", gone ? "could not delete" : "no group", arg[1]);
        else
            printf("group %s deleted\n", arg[1]);
        rc = gone == 1 ? 0 : 1;
    } else {
        int n = store_groups(s, print_group, NULL);
        if (n < 0)
            fprintf(stderr, "xraycap group: could not read the groups of %s\n", db);
        else if (n == 0)
            printf("no groups (xraycap group create NAME EXPR makes one)\n");
        rc = n < 0 ? 1 : 0;
    }
    store_close(s);
    return rc;
}
