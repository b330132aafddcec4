/* fuzz.h — what every libFuzzer target in tests/fuzz shares. */
#ifndef XRAYCAP_FUZZ_H
#define XRAYCAP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a C string (its NUL bytes end it early, as they would for a C caller). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Splits the input at the first byte `sep`: *rest points past it (or at the end). */
static inline char *fuzz_field(char **rest, char sep)
{
    char *s = *rest, *p = strchr(s, sep);
    if (p) {
        *p = '\0';
        *rest = p + 1;
    } else {
        *rest = s + strlen(s);
    }
    return s;
}

#endif
