/* lib_guard.h — set while a thread is inside a library wrapper (libcurl, SQLite): the calls the
 * wrapper itself makes, which -Wl,--wrap links back to the wrappers, then go straight through. */
#ifndef XRC_LIB_GUARD_H
#define XRC_LIB_GUARD_H

extern __thread int xrc_lib_inside;

#endif
