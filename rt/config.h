/* config.h — the recorder's settings, read once from the environment and overridden by
 * xray_recorder_configure(). */
#ifndef XRC_CONFIG_H
#define XRC_CONFIG_H

#include "xray_capture.h"

#include <stdbool.h>
#include <sys/socket.h>

typedef struct xrc_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[160];              /* as the user wrote it, for messages */
} xrc_addr;

typedef struct xrc_config {
    bool enabled;                          /* AWS_XRAY_SDK_ENABLED */
    xray_context_missing context_missing;  /* AWS_XRAY_CONTEXT_MISSING */
    char service_name[256];                /* default segment name */
    xrc_addr udp;                          /* where segment documents go */
    xrc_addr tcp;                          /* the daemon's sampling proxy */
    bool sampling;                         /* apply sampling rules (else record everything) */
    bool lambda;                           /* LAMBDA_TASK_ROOT is set: work under facades */
    bool sampling_remote;                  /* ask the daemon for centralized rules */
} xrc_config;

extern xrc_config xrc_cfg;

/* Reads the environment the first time it is called; cheap afterwards. */
void xrc_init(void);

/* Parses "host:port" (both protocols) or "tcp:host:port udp:host:port" in either order.
 * Leaves udp/tcp untouched and returns XRAY_ERR_INVALID when the text is not of that form. */
xray_status xrc_parse_daemon_address(const char *text, xrc_addr *udp, xrc_addr *tcp);

#endif
