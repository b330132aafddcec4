/* emit.h — turning a finished segment into datagrams and sending them. */
#ifndef XRC_EMIT_H
#define XRC_EMIT_H

#include "entity.h"

#include <stdatomic.h>
#include <stddef.h>

/* Largest UDP payload IPv4 can carry; the daemon reads up to 64 KiB, header line included. */
#define XRC_MAX_DATAGRAM 65507
#define XRC_DAEMON_HEADER "{\"format\":\"json\",\"version\":1}\n"

/* Counters behind xray_recorder_stats(). */
typedef struct xrc_counters {
    atomic_ullong documents_sent;
    atomic_ullong documents_dropped;
    atomic_ullong subsegments_dropped;
    atomic_ullong send_errors;
} xrc_counters;

extern xrc_counters xrc_stats;

/* Serializes the (sampled, finished) segment into one or more documents and sends them. */
void xrc_emit_segment(xrc_segment *s);

/* Sends `root` and its subtree as independent subsegment documents (a Lambda facade's child:
 * the facade itself is never sent). Only for entities made by the facade's own thread. */
void xrc_emit_subtree(xrc_segment *s, xray_entity *root);

/* Sends one datagram to the daemon; never blocks. False when it was not sent. */
bool xrc_udp_send(const char *data, size_t len);

/* Closes the socket so the next send opens one for the current address. */
void xrc_emit_reset(void);

/* In a forked child: forget the parent's emitter state. */
void xrc_emit_after_fork(void);

#endif
