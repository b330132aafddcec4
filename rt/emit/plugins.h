/* plugins.h — the platform the program runs on, as the AWS X-Ray SDKs' plugins report it
 * (plugins.c). */
#ifndef XRC_PLUGINS_H
#define XRC_PLUGINS_H

struct cJSON;

typedef struct xrc_platform {
    char origin[64];             /* "AWS::EC2::Instance", ...; "" when none was detected */
    struct cJSON *aws;           /* (while detecting) */
    char *aws_text;              /* "ec2":{...},... for the segment's aws object, or NULL */
    struct cJSON *resource;      /* OTLP resource attributes, names to strings, or NULL */
} xrc_platform;

/* Detects the platforms xrc_cfg.plugins asks for, unless that set was detected already. Each
 * metadata call gives up after a second: call it on the emission thread, never the caller's. */
void xrc_plugins_detect(void);

/* Calls fn with what was detected (the platform stays valid during the call only). */
void xrc_platform_with(void (*fn)(const xrc_platform *p, void *ctx), void *ctx);

#endif
