/* Trace headers as they arrive: X-Amzn-Trace-Id, traceparent, tracestate, and the headers
 * written back out for a segment continued from them. */
#include "fuzz.h"

#include "core/trace_header.h"

#include <assert.h>
#include <xray_capture.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("XRAYCAP_LOG_LEVEL", "off", 1);
    setenv("AWS_XRAY_EMITTER", "none", 1);
    setenv("XRAYCAP_SAMPLING", "false", 1);
    setenv("XRAYCAP_SAMPLING_REMOTE", "false", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), *rest = text;
    char *first = fuzz_field(&rest, '\n');   /* the header; a second line is a tracestate */
    xrc_trace_header h;
    const char *why = NULL;
    memset(&h, 0, sizeof h);
    if (xrc_trace_header_parse(first, &h, &why)) {
        assert(strlen(h.root) <= XRC_TRACE_ID_LEN && strlen(h.parent) <= 16);
    } else {
        assert(why && *why);
    }
    memset(&h, 0, sizeof h);
    xrc_traceparent_parse(first, &h, &why);
    char state[XRC_TRACESTATE_MAX + 1];
    if (xrc_tracestate_parse(rest, state, &why))
        assert(strlen(state) <= XRC_TRACESTATE_MAX);
    else
        assert(state[0] == '\0');

    /* A segment continued from the header: what goes out must be a header we parse again. */
    xray_entity *seg = xray_begin_segment_from_header("fuzz", first);
    if (seg) {
        xray_outgoing out;
        if (xray_outgoing_headers(seg, &out) == XRAY_OK) {
            if (out.x_amzn_trace_id[0]) {
                memset(&h, 0, sizeof h);
                bool ok = xrc_trace_header_parse(out.x_amzn_trace_id, &h, &why);
                assert(ok);
            }
            if (out.traceparent[0]) {
                memset(&h, 0, sizeof h);
                bool ok = xrc_traceparent_parse(out.traceparent, &h, &why);
                assert(ok);
            }
        }
        xray_end_segment();
    }
    free(text);
    return 0;
}
