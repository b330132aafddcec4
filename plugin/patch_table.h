/* patch_table.h — the library functions that patch= redirects to xraycap's tracing wrappers,
 * shared by the GCC and the Clang plugin so both patch exactly the same calls. Generated from
 * the one list in include/xray_capture/patched.h. */
#ifndef XRAYCAP_PATCH_TABLE_H
#define XRAYCAP_PATCH_TABLE_H

#include "../include/xray_capture/patched.h"

#include <cstring>
#include <string>

struct patch_lib {
    const char *name;   /* as patch= takes it */
    int bit;
};

#define XRC_PATCH_LIB(lib, bit) {#lib, bit},
static const patch_lib patch_libs[] = {XRAY_PATCHED_LIBRARIES(XRC_PATCH_LIB)};
#undef XRC_PATCH_LIB
#define NPATCH_LIBS (sizeof patch_libs / sizeof patch_libs[0])

/* The bit of library `name`, every library's for "all", 0 for an unknown name. */
static inline int patch_lib_bit(const char *name, size_t len)
{
    int all = 0;
    for (const patch_lib &l : patch_libs) {
        if (strlen(l.name) == len && !strncmp(l.name, name, len))
            return l.bit;
        all |= l.bit;
    }
    return len == 3 && !strncmp(name, "all", 3) ? all : 0;
}

/* "curl, sqlite3, ..., all": for messages. */
static inline std::string patch_lib_names()
{
    std::string s;
    for (const patch_lib &l : patch_libs)
        s += std::string(l.name) + ", ";
    return s + "all";
}

struct patch_entry {
    const char *from, *to;
    int lib;
};

#define XRC_PATCH_BIT(lib, bit) static const int PATCH_BIT_##lib = bit;
XRAY_PATCHED_LIBRARIES(XRC_PATCH_BIT)
#undef XRC_PATCH_BIT
#define XRC_PATCH_ENTRY(lib, shape, ret, name, params, args) {#name, "xray_" #name, PATCH_BIT_##lib},
static const patch_entry patches[] = {XRAY_PATCHED_ALL(XRC_PATCH_ENTRY)};
#undef XRC_PATCH_ENTRY

#define NPATCHES (sizeof patches / sizeof patches[0])

#endif
