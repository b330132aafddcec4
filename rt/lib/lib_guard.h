/* lib_guard.h — set while a thread is inside the wrapper of a traced library (defined in
 * lib_span.c): the calls the wrapper itself makes, which -Wl,--wrap or the interposition
 * library would route back to the wrappers, then go straight through. */
#ifndef XRC_LIB_GUARD_H
#define XRC_LIB_GUARD_H

extern __thread int __xraycap_lib_inside;

#endif
