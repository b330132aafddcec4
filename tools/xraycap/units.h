/* units.h — the durations and sizes the tool's options take. */
#ifndef XRAYCAP_UNITS_H
#define XRAYCAP_UNITS_H

/* "30s", "15m", "2h", "30d" (a bare number: seconds) → seconds; -1 when malformed. */
double units_duration(const char *s);

/* "4096", "512K", "100M", "2G" (powers of 1024) → bytes; -1 when malformed. */
long long units_size(const char *s);

#endif
