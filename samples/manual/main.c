/* samples/manual — the seed's xray_function_sample1 (samples/common/seed.c: a segment with
 * nested subsegments, an annotation and metadata), traced with the manual recorder API. */
#include "../common/seed.h"

#include <stdio.h>
#include <xray_capture.h>

int main(void)
{
    xray_begin_segment("segment_1");
    xray_function_sample1();
    xray_end_segment(); /* the finished segment is serialized and sent to the daemon */
    xray_recorder_shutdown();
    puts("sample1 done");
    return 0;
}
