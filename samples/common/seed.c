/* seed.c — the seed's first two samples: xray_function_sample1, nested subsegments, an
 * annotation and metadata with the manual recorder API (each call documented in
 * xray_capture.h); xray_function_sample2, a captured function and block. */
#define _DEFAULT_SOURCE
#include "seed.h"

#include <unistd.h>
#include <xray_capture.h>

void xray_function_sample1(void)
{
    xray_begin_subsegment("subsegment_1");
    xray_entity *sub = xray_current_subsegment();
    xray_put_annotation(sub, "annotation1", "annotation test");
    xray_put_metadata_json(sub, "data", "{\"key1\":\"value1\"}", "subsegment_1_metadata");

    xray_begin_subsegment("subsegment_2");
    xray_begin_subsegment("subsegment_3-1");
    usleep(1000);
    xray_end_subsegment();
    xray_begin_subsegment("subsegment_3-2");
    usleep(2000);
    xray_end_subsegment();
    xray_end_subsegment();

    xray_end_subsegment();
}

XRAY_CAPTURE("xray_function_sample2")
void xray_function_sample2(void)
{
    XRAY_CAPTURE_BLOCK("subsegment_1") { usleep(10000); }
}
