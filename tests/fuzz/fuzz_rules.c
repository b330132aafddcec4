/* Local sampling rules (AWS_XRAY_SAMPLING_RULES, versions 1 and 2), then decisions with them. */
#include "fuzz.h"

#include "sampling/sampling.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("XRAYCAP_LOG_LEVEL", "off", 1);
    setenv("AWS_XRAY_EMITTER", "none", 1);
    setenv("XRAYCAP_SAMPLING_REMOTE", "false", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char rule[65];
    xrc_sampling_load_text(text, "fuzz");
    xrc_sampling_decide("svc", "example.com", "GET", "/api/users", rule);
    xrc_sampling_decide(NULL, NULL, NULL, NULL, rule);
    xrc_sampling_decide("", "", "", "", rule);
    /* the input's own text as the request, so its patterns meet what they could match */
    xrc_sampling_decide(text, text, text, text, rule);
    xrc_wildcard_match(text, "a-much-longer-text-than-most-patterns-with-*-and-?-inside");
    free(text);
    return 0;
}
