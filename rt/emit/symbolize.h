/* symbolize.h — a code address as an X-Ray stack frame: function, source file and line from
 * the program's own symbol table and debug information (elfutils' libdwfl), else a
 * `module+0xOFFSET` label that stays the same from run to run (unlike the address itself,
 * which address-space randomisation moves), so the console groups the same error together.
 * The emission thread calls it when it writes an exception's stack: a captured call, or the
 * thread that records the error, never does. */
#ifndef XRC_SYMBOLIZE_H
#define XRC_SYMBOLIZE_H

#include "model/entity.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct xrc_frame {
    char label[256];   /* function (demangled), or module+0xOFFSET */
    char path[512];    /* source file, or the module's file when there is no line table */
    int line;          /* 0 when unknown */
} xrc_frame;

/* Describes the code at `pc`. `return_address`: pc is where a call returns to (every frame
 * but the innermost), so the call itself, one byte earlier, is looked up. Thread-safe. */
void xrc_symbolize(const void *pc, bool return_address, xrc_frame *out);

/* Writes e's pending stacks (xrc_stack) into its exceptions as X-Ray frames, adding their
 * source files to cause.paths, and frees them. The emission thread calls it before writing e. */
void xrc_stacks_resolve(xray_entity *e);

/* In a forked child: a new lock, and a new session on first use. */
void xrc_symbolize_after_fork(void);

#endif
