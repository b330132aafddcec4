/* samples/capture — the seed's xray_function_sample2 and a small order pipeline, traced by
 * marking functions with XRAY_CAPTURE. Build with the plugin (make) or without tracing
 * (make XRAY=0): the program's output is the same. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xray_capture.h>

XRAY_CAPTURE("xray_function_sample2")
static void xray_function_sample2(void)
{
    XRAY_CAPTURE_BLOCK("subsegment_1") { usleep(100000); }
}

XRAY_CAPTURE() static int parse_quantity(const char *s)
{
    int n = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1; /* an early return still closes the subsegment */
        n = n * 10 + (*s - '0');
    }
    return n;
}

XRAY_CAPTURE("price_order") static double price(int quantity)
{
    XRAY_CAPTURE_SCOPE("lookup_unit_price");
    usleep(2000);
    return quantity * 2.5;
}

XRAY_CAPTURE("handle_order") static int handle_order(const char *quantity)
{
    int q = parse_quantity(quantity);
    if (q < 0) {
        xray_add_error_flag(xray_current_subsegment());
        return -1;
    }
    xray_put_annotation(xray_current_subsegment(), "quantity", q);
    printf("order of %d costs %.2f\n", q, price(q));
    return 0;
}

int main(void)
{
    xray_begin_segment("capture-sample");
    xray_function_sample2();
    handle_order("12");
    if (handle_order("12x") < 0)
        printf("rejected a bad quantity\n");
    xray_end_segment();
    return 0;
}
