/* emit.h — a finished segment to documents (split.c) and each document to the emitters
 * configured (emit.c and one emit_*.c per transport). */
#ifndef XRC_EMIT_H
#define XRC_EMIT_H

#include "model/entity.h"
#include "model/sanitize.h"

#include <stdatomic.h>
#include <stddef.h>

/* The largest datagram sent, header line included. IPv4 could carry 65,507 bytes and the
 * daemon reads 64 KiB, but the X-Ray API limits a document to "64 kB" (the Java SDK splits at
 * 63 KiB): 64,000 bytes is under every one of these. */
#define XRC_MAX_DATAGRAM XRAY_MAX_DOCUMENT_BYTES
#define XRC_DAEMON_HEADER "{\"format\":\"json\",\"version\":1}\n"

/* Counters behind xray_recorder_stats(). */
typedef struct xrc_counters {
    atomic_ullong documents_sent;
    atomic_ullong documents_dropped;
    atomic_ullong subsegments_dropped;
    atomic_ullong send_errors;
} xrc_counters;

extern xrc_counters xrc_stats;

/* Hands a sampled, finished segment to the emission thread (handoff.c), which serializes and
 * sends it, then frees it. O(1) for the caller; a full queue drops it (counted, and reported in
 * the next segment's metadata as xraycap.dropped_segments). With the emitter "none" the
 * segment is freed at once, never serialized. */
void xrc_emit_handoff(xrc_segment *s);

/* Starts the emission thread (when the recorder starts), if it is not running. */
void xrc_emit_start(void);

/* Waits until every segment handed off before the call is sent (at most timeout_ms). False
 * when some were still waiting, or when the emission thread itself asks. */
bool xrc_emit_drain(long timeout_ms);

/* In a forked child: no emission thread, an empty queue. */
void xrc_handoff_after_fork(void);

/* True when no emitter is configured (AWS_XRAY_EMITTER=none): nothing is serialized. */
bool xrc_emit_none(void);

/* Serializes the (sampled, finished) segment into one or more documents and sends them. For
 * a Lambda facade, which is never sent, only what it still holds goes out (subsegments of
 * threads it was handed to, or recorded after the fact), as subsegment documents. */
void xrc_emit_segment(xrc_segment *s);

/* Sends `root` with its linked subtree (first_child/next_sibling): one document when it fits,
 * else split into several. `root` other than the segment goes as a subsegment document. */
void xrc_emit_tree(xrc_segment *s, xray_entity *root);

/* Frees the calling thread's serialization buffers (thread exit). */
void xrc_emit_thread_exit(void);

/* What the OTLP emitter needs beside a document, the same for every document of a segment:
 * "service\0trace\0" — the segment's name, cleaned (xrc_name_clean), for the one service.name
 * of all its spans, streamed parts included; and the W3C trace id it continues, or "" (the
 * X-Ray trace id then gives the OTLP one). */
typedef struct xrc_otlp_tag {
    char text[XRC_NAME_BYTES + 34];
    size_t len;
} xrc_otlp_tag;

void xrc_otlp_tag_make(const xrc_segment *s, xrc_otlp_tag *tag);

/* True when the OTLP emitter is on (the tag is needed only then). */
bool xrc_emit_wants_otlp(void);

/* Hands one document to every configured emitter. `framed` is XRC_DAEMON_HEADER followed by
 * the document (`header` bytes, then the JSON): the daemon gets both, the others the JSON. */
void xrc_emit_doc(const char *framed, size_t len, size_t header, const xrc_otlp_tag *tag);

/* A segment's documents are all out: emitters that buffer write what they hold. */
void xrc_emit_segment_done(void);

/* Switches to another set of emitters (xray_recorder_configure), flushing those turned off. */
struct xrc_emitters;
void xrc_emit_configure(const struct xrc_emitters *e);

/* Flushes and stops every emitter within the flush deadline (shutdown, process exit). */
void xrc_emit_stop_all(void);

/* Sends one datagram to the daemon; never blocks. False when it was not sent. */
bool xrc_udp_send(const char *data, size_t len);

/* Closes the socket so the next send opens one for the current address. */
void xrc_emit_reset(void);

/* In a forked child: forget the parent's emitter state (sockets, buffers, queues, threads). */
void xrc_emit_after_fork(void);
void xrc_udp_after_fork(void);

/* The file emitter (emit_file.c); it counts its documents when they are written. */
void xrc_file_write(const char *doc, size_t len);
void xrc_file_flush(void);
void xrc_file_set(const char *path); /* "" closes it */
void xrc_file_after_fork(void);

/* The HTTP emitters (emit_xray_api.c, emit_otlp.c), each on its own queue and thread
 * (http_queue.h): these replace their settings, flushing what was queued. */
void xrc_xray_api_set(bool on);
void xrc_otlp_set(const char *url); /* "" stops it */

#endif
