/* listener.h — a loopback UDP socket that plays the X-Ray daemon for the tests: it receives
 * the datagrams the runtime sends, checks the header line and size, and parses documents. */
#ifndef TEST_LISTENER_H
#define TEST_LISTENER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define LISTENER_MAX_DOCS 20000

typedef struct listener {
    int fd;
    int port;
    char address[64];                 /* "127.0.0.1:PORT" */
    cJSON *docs[LISTENER_MAX_DOCS];   /* parsed documents, in arrival order */
    size_t ndocs;
    size_t bad;                       /* datagrams the daemon's check refuses */
    char last_problem[200];           /* why the last one was refused, and its start */
    size_t largest;                   /* largest datagram seen, in bytes */
} listener;

/* Opens the socket and points the recorder at it (xray_recorder_configure). */
void listener_open(listener *l);
/* Receives until `quiet_ms` pass without a datagram; returns the number of new documents. */
size_t listener_collect(listener *l, int quiet_ms);
/* Frees documents and closes. */
void listener_close(listener *l);
/* Forgets collected documents. */
void listener_clear(listener *l);

/* The first document (or nested entity, searching recursively) named `name`, or NULL. */
cJSON *find_entity(cJSON *root, const char *name);
cJSON *listener_find(listener *l, const char *name);
/* Entities named `name` in all documents, counted recursively. */
size_t listener_count(listener *l, const char *name);
/* Number of entities in a tree (root included). */
size_t count_tree(const cJSON *root);
/* The direct child subsegment of `e` named `name`, or NULL. */
cJSON *child_named(const cJSON *e, const char *name);
/* True when every entity in the tree has valid id/time fields (asserted inside). */
int entity_valid(const cJSON *e, int top);

#endif
