/* Centralized sampling: the daemon's GetSamplingRules and SamplingTargets answers. The input is
 * a rules answer, and optionally, after a line holding only "--", a targets answer. */
#include "fuzz.h"

#include "sampling/sampling_remote.h"

#include <cjson/cJSON.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("XRAYCAP_LOG_LEVEL", "off", 1);
    setenv("AWS_XRAY_EMITTER", "none", 1);
    /* the poller that deciding starts asks a port where nothing listens */
    setenv("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:9", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char *targets = strstr(text, "\n--\n");
    if (targets) {
        *targets = '\0';
        targets += 4;
    }
    xrc_remote_reset();
    cJSON *rules = cJSON_Parse(text);
    if (rules)
        xrc_remote_take_rules(rules);
    cJSON_Delete(rules);
    bool sampled, refetch;
    char rule[XRC_RULE_NAME_MAX];
    xrc_remote_decide("svc", "example.com", "GET", "/api", &sampled, rule);
    cJSON *answer = targets ? cJSON_Parse(targets) : NULL;
    if (answer)
        xrc_remote_take_targets(answer, 0, &refetch);
    cJSON_Delete(answer);
    for (int i = 0; i < 3; i++)
        xrc_remote_decide("svc", NULL, "POST", "/", &sampled, rule);
    free(text);
    return 0;
}
