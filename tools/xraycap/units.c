/* units.c — see units.h. */
#include "units.h"

#include <math.h>
#include <stdlib.h>

double units_duration(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0) || isinf(v))
        return -1;
    double unit = *end == 's' || !*end ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : -1;
    if (unit < 0 || (*end && end[1]))
        return -1;
    return v * unit;
}

long long units_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0) || v > 1e18)
        return -1;
    double unit = !*end ? 1 : *end == 'K' || *end == 'k' ? 1024.0 : *end == 'M' ? 1048576.0 : *end == 'G' ? 1073741824.0 : -1;
    if (unit < 0 || (*end && end[1]) || v * unit > 9e18)
        return -1;
    return (long long)(v * unit);
}
