/* Configuration values: every variable the runtime reads from the environment, through the
 * same function that reads them at start-up, and the parsers behind them.
 *
 * Each input line is one setting: its first byte picks the variable, the rest is the value. */
#include "fuzz.h"

#include "base/settings.h"

#include <dlfcn.h>
#include <netdb.h>

/* The variables of the settings list, and those read beside it. */
static const char *const others[] = {
    "AWS_XRAY_DEBUG_MODE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "LAMBDA_TASK_ROOT",
};
static const char *names[64];
static size_t nnames;

/* Host names are resolved as numbers only: a fuzzer must not wait on DNS. */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (!real)
        real = (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))
            dlsym(RTLD_NEXT, "getaddrinfo");
    struct addrinfo h = hints ? *hints : (struct addrinfo){0};
    h.ai_flags |= AI_NUMERICHOST;
    return real(node, service, &h, res);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    for (size_t i = 0; i < xrc_nsettings; i++)
        if (xrc_settings[i].variable)
            names[nnames++] = xrc_settings[i].variable;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        names[nnames++] = others[i];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), *whole = fuzz_cstr(data, size), *rest = text;
    while (*rest) {
        char *line = fuzz_field(&rest, '\n');
        if (*line)
            setenv(names[(unsigned char)line[0] % nnames], line + 1, 1);
    }
    /* quiet unless the input asks for a log level itself */
    if (!getenv("XRAYCAP_LOG_LEVEL"))
        setenv("XRAYCAP_LOG_LEVEL", "off", 1);
    xrc_config_read();
    for (size_t i = 0; i < nnames; i++)
        unsetenv(names[i]);

    /* the parsers on the whole input, as a value no variable above would have had */
    xrc_addr udp, tcp;
    xrc_emitters emit = {0};
    bool x, w;
    char why[200];
    xrc_parse_daemon_address(whole, &udp, &tcp);
    xrc_parse_emitters(whole, &emit, why, sizeof why);
    xrc_parse_propagators(whole, &x, &w, why, sizeof why);
    free(whole);
    free(text);
    return 0;
}
