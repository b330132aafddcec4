/* samples/manual — the seed's xray_function_sample1: a segment with nested subsegments, an
 * annotation and metadata, traced with the manual recorder API. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <xray_capture.h>

static void xray_function_sample1(void)
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

int main(void)
{
    xray_begin_segment("segment_1");
    xray_function_sample1();
    xray_end_segment(); /* the finished segment is serialized and sent to the daemon */
    xray_recorder_shutdown();
    puts("sample1 done");
    return 0;
}
