/* plugins.c — where the program runs, as the AWS X-Ray SDKs' plugins say it (EC2Plugin,
 * ECSPlugin, ElasticBeanstalkPlugin, and EKS): detected once, on the emission thread (never
 * the caller's), with a short timeout for each metadata call, then written into every segment
 * document (`origin`, `aws.ec2` / `aws.ecs` / `aws.eks` / `aws.elastic_beanstalk`) and into the
 * OTLP resource (cloud.*, host.*, aws.ecs.*, k8s.*, container.id). */
#include "emit/plugins.h"
#include "base/config.h"
#include "base/curl_api.h"
#include "base/log.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards the three below */
static unsigned detected_for = ~0u;  /* the plugin set `found` was detected for */
static xrc_platform found;

/* A GET (or the IMDSv2 token PUT) within `timeout_ms`; the body (malloc'd) on 200, else NULL. */
static char *fetch(const char *method, const char *url, const char *header, long timeout_ms)
{
    if (!xrc_curl_load())
        return NULL;
    struct curl_slist *hd = header ? xrc_curl.slist_append(NULL, header) : NULL;
    xrc_curl_body body;
    const char *error;
    long status = xrc_curl_request(method, url, hd, NULL, timeout_ms, &body, &error);
    if (hd)
        xrc_curl.slist_free_all(hd);
    if (status != 200) {
        free(body.p);
        return NULL;
    }
    return body.p ? body.p : strdup("");
}

static const char *text(const cJSON *o, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return v ? v : "";
}

/* Adds key: value to the document fields and the OTLP attributes (either key may be NULL). */
static void put(xrc_platform *p, cJSON *fields, const char *field, const char *attribute, const char *value)
{
    if (!value || !*value)
        return;
    if (field)
        cJSON_AddStringToObject(fields, field, value);
    if (attribute && !cJSON_HasObjectItem(p->resource, attribute))
        cJSON_AddStringToObject(p->resource, attribute, value);
}

/* EC2: the instance identity document, over IMDSv2 (a token first; IMDSv1 is not used). */
static bool detect_ec2(xrc_platform *p)
{
    const char *off = getenv("AWS_EC2_METADATA_DISABLED"), *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (off && !strcasecmp(off, "true"))
        return false;
    char url[512], header[300];
    snprintf(url, sizeof url, "%s/latest/api/token", base && *base ? base : "http://169.254.169.254");
    char *token = fetch("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: 60", 1000);
    if (!token)
        return false;
    snprintf(header, sizeof header, "X-aws-ec2-metadata-token: %.250s", token);
    free(token);
    snprintf(url, sizeof url, "%s/latest/dynamic/instance-identity/document",
             base && *base ? base : "http://169.254.169.254");
    char *doc = fetch("GET", url, header, 1000);
    cJSON *j = doc ? cJSON_Parse(doc) : NULL;
    free(doc);
    if (!j)
        return false;
    cJSON *ec2 = cJSON_AddObjectToObject(p->aws, "ec2");
    put(p, ec2, "instance_id", "host.id", text(j, "instanceId"));
    put(p, ec2, "availability_zone", "cloud.availability_zone", text(j, "availabilityZone"));
    put(p, ec2, "instance_size", "host.type", text(j, "instanceType"));
    put(p, ec2, "ami_id", "host.image.id", text(j, "imageId"));
    put(p, ec2, NULL, "cloud.region", text(j, "region"));
    put(p, ec2, NULL, "cloud.account.id", text(j, "accountId"));
    cJSON_Delete(j);
    snprintf(p->origin, sizeof p->origin, "AWS::EC2::Instance");
    cJSON_AddStringToObject(p->resource, "cloud.platform", "aws_ec2");
    return true;
}

/* ECS: the task metadata endpoint v4 (ECS_CONTAINER_METADATA_URI_V4, set by ECS). */
static bool detect_ecs(xrc_platform *p)
{
    const char *uri = getenv("ECS_CONTAINER_METADATA_URI_V4");
    if (!uri || !*uri)
        return false;
    char url[600];
    char *container = fetch("GET", uri, NULL, 1000);
    snprintf(url, sizeof url, "%s/task", uri);
    char *task = fetch("GET", url, NULL, 1000);
    cJSON *c = container ? cJSON_Parse(container) : NULL, *t = task ? cJSON_Parse(task) : NULL;
    free(container);
    free(task);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    cJSON *ecs = cJSON_AddObjectToObject(p->aws, "ecs");
    put(p, ecs, "container", NULL, host);
    put(p, ecs, "container_id", "container.id", text(c, "DockerId"));
    put(p, ecs, "container_arn", "aws.ecs.container.arn", text(c, "ContainerARN"));
    put(p, ecs, "task_arn", "aws.ecs.task.arn", text(t, "TaskARN"));
    put(p, ecs, "task_family", "aws.ecs.task.family", text(t, "Family"));
    put(p, ecs, "cluster_arn", "aws.ecs.cluster.arn", text(t, "Cluster"));
    const char *launch = text(t, "LaunchType");
    put(p, ecs, "launch_type", NULL, launch);
    cJSON_AddStringToObject(p->resource, "aws.ecs.launchtype", strcasecmp(launch, "FARGATE") ? "ec2" : "fargate");
    put(p, ecs, NULL, "cloud.availability_zone", text(t, "AvailabilityZone"));
    bool fargate = !strcasecmp(launch, "FARGATE");
    snprintf(p->origin, sizeof p->origin, fargate ? "AWS::ECS::Fargate" : "AWS::ECS::Container");
    cJSON_DeleteItemFromObject(p->resource, "cloud.platform");
    cJSON_AddStringToObject(p->resource, "cloud.platform", "aws_ecs");
    cJSON_Delete(c);
    cJSON_Delete(t);
    return true;
}

/* The container id from the cgroup file (the last 64 hex digits of a line). */
static void container_id(char *out, size_t n)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[1024];
    out[0] = '\0';
    while (f && fgets(line, sizeof line, f)) {
        size_t run = 0;
        for (char *c = line; *c; c++) {
            run = strchr("0123456789abcdef", *c) && *c ? run + 1 : 0;
            if (run == 64 && n > 64)
                snprintf(out, n, "%.64s", c - 63);
        }
    }
    if (f)
        fclose(f);
}

/* EKS: a pod of a Kubernetes service account (the service account's token is mounted); the
 * cluster name from XRAYCAP_EKS_CLUSTER_NAME when the deployment passes it down. */
static bool detect_eks(xrc_platform *p)
{
    const char *token = getenv("XRAYCAP_K8S_TOKEN_FILE");
    if (access(token && *token ? token : "/var/run/secrets/kubernetes.io/serviceaccount/token", R_OK))
        return false;
    char host[256] = "", id[80];
    gethostname(host, sizeof host - 1);
    container_id(id, sizeof id);
    cJSON *eks = cJSON_AddObjectToObject(p->aws, "eks");
    put(p, eks, "pod", "k8s.pod.name", host);
    put(p, eks, "container_id", "container.id", id);
    put(p, eks, "cluster_name", "k8s.cluster.name", getenv("XRAYCAP_EKS_CLUSTER_NAME"));
    snprintf(p->origin, sizeof p->origin, "AWS::EKS::Container");
    cJSON_DeleteItemFromObject(p->resource, "cloud.platform");
    cJSON_AddStringToObject(p->resource, "cloud.platform", "aws_eks");
    return true;
}

/* Elastic Beanstalk: the environment file the platform writes for the X-Ray daemon. */
static bool detect_beanstalk(xrc_platform *p)
{
    const char *path = getenv("XRAYCAP_ELASTIC_BEANSTALK_FILE");
    FILE *f = fopen(path && *path ? path : "/var/elasticbeanstalk/xray/environment.conf", "re");
    if (!f)
        return false;
    char text_[4096];
    size_t got = fread(text_, 1, sizeof text_ - 1, f);
    fclose(f);
    text_[got] = '\0';
    cJSON *j = cJSON_Parse(text_);
    if (!j)
        return false;
    cJSON *eb = cJSON_AddObjectToObject(p->aws, "elastic_beanstalk");
    put(p, eb, "environment_name", "deployment.environment", text(j, "environment_name"));
    put(p, eb, "version_label", "service.version", text(j, "version_label"));
    const cJSON *dep = cJSON_GetObjectItemCaseSensitive(j, "deployment_id");
    if (cJSON_IsNumber(dep))
        cJSON_AddNumberToObject(eb, "deployment_id", dep->valuedouble);
    cJSON_Delete(j);
    snprintf(p->origin, sizeof p->origin, "AWS::ElasticBeanstalk::Environment");
    cJSON_DeleteItemFromObject(p->resource, "cloud.platform");
    cJSON_AddStringToObject(p->resource, "cloud.platform", "aws_elastic_beanstalk");
    return true;
}

void xrc_plugins_detect(void)
{
    unsigned want = xrc_cfg.plugins;
    pthread_mutex_lock(&lock);
    bool done = detected_for == want;
    pthread_mutex_unlock(&lock);
    if (done)
        return;
    xrc_platform p = {.aws = cJSON_CreateObject(), .resource = cJSON_CreateObject()};
    if (p.aws && p.resource && want) {
        cJSON_AddStringToObject(p.resource, "cloud.provider", "aws");
        /* the most specific last, as the SDKs order them: its origin wins */
        if (want & XRC_PLUGIN_EC2)
            detect_ec2(&p);
        if (want & XRC_PLUGIN_ECS)
            detect_ecs(&p);
        if (want & XRC_PLUGIN_EKS)
            detect_eks(&p);
        if (want & XRC_PLUGIN_ELASTIC_BEANSTALK)
            detect_beanstalk(&p);
        if (!p.origin[0])
            xrc_log(XRAY_LOG_INFO, "plugins: none of the platforms asked for was detected");
    }
    char *aws = p.aws && p.aws->child ? cJSON_PrintUnformatted(p.aws) : NULL;
    if (aws) { /* kept as the text the serializer copies: "ec2":{...},... without the braces */
        size_t n = strlen(aws);
        memmove(aws, aws + 1, n - 2);
        aws[n - 2] = '\0';
    }
    cJSON_Delete(p.aws);
    pthread_mutex_lock(&lock);
    free(found.aws_text);
    cJSON_Delete(found.resource);
    found = p;
    found.aws = NULL;
    found.aws_text = aws;
    detected_for = want;
    pthread_mutex_unlock(&lock);
}

void xrc_platform_with(void (*fn)(const xrc_platform *p, void *ctx), void *ctx)
{
    pthread_mutex_lock(&lock);
    fn(&found, ctx);
    pthread_mutex_unlock(&lock);
}
