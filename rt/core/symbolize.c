/* symbolize.c — see symbolize.h. One libdwfl session for the process, made at the first
 * exception and kept (it caches what it has read); a module loaded later (dlopen) is found by
 * reporting the process's mappings again. libdwfl is not thread-safe: one lock around it. */
#include "core/symbolize.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *__cxa_demangle(const char *, char *, size_t *, int *) __attribute__((weak));

static pthread_mutex_t dwfl_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the two below */
static Dwfl *dwfl;          /* this process's modules, NULL until the first lookup */
static pid_t dwfl_owner;      /* the process dwfl describes (a forked child reports again) */

static char *debuginfo_path; /* libdwfl's search path for separate debug files: the default */
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

static bool report(void)
{
    if (!dwfl && !(dwfl = dwfl_begin(&callbacks)))
        return false;
    dwfl_report_begin(dwfl);
    int rc = dwfl_linux_proc_report(dwfl, getpid());
    dwfl_report_end(dwfl, NULL, NULL);
    dwfl_owner = getpid();
    return rc == 0;
}

static Dwfl_Module *module_at(Dwarf_Addr addr)
{
    if ((!dwfl || dwfl_owner != getpid()) && !report())
        return NULL;
    Dwfl_Module *m = dwfl_addrmodule(dwfl, addr);
    if (!m && report()) /* loaded since the last report */
        m = dwfl_addrmodule(dwfl, addr);
    return m;
}

/* The source line of addr by walking the compile units' address ranges: for programs whose
 * compiler writes no .debug_aranges (Clang), where dwfl_module_getsrc finds nothing. */
static const char *line_by_ranges(Dwfl_Module *m, Dwarf_Addr addr, int *line)
{
    Dwarf_Addr bias;
    for (Dwarf_Die *cu = NULL; (cu = dwfl_module_nextcu(m, cu, &bias));) {
        Dwarf_Addr base, lo, hi, rel = addr - bias;
        for (ptrdiff_t off = 0; (off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0;) {
            if (rel < lo || rel >= hi)
                continue;
            Dwarf_Line *l = dwarf_getsrc_die(cu, rel);
            const char *src = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
            if (src && dwarf_lineno(l, line) == 0)
                return src;
            return NULL;
        }
    }
    return NULL;
}

static void demangled(const char *name, char *out, size_t n)
{
    int status = -1;
    char *d = __cxa_demangle && name[0] == '_' && name[1] == 'Z'
                  ? __cxa_demangle(name, NULL, NULL, &status) : NULL;
    snprintf(out, n, "%s", status == 0 && d ? d : name);
    free(d);
}

void xrc_symbolize(const void *pc, bool return_address, xrc_frame *out)
{
    Dwarf_Addr addr = (Dwarf_Addr)(uintptr_t)pc - (return_address ? 1 : 0);
    snprintf(out->label, sizeof out->label, "0x%llx", (unsigned long long)addr);
    out->path[0] = '\0';
    out->line = 0;
    pthread_mutex_lock(&dwfl_lock);
    Dwfl_Module *m = module_at(addr);
    if (m) {
        Dwarf_Addr start = 0;
        const char *file = NULL;
        const char *modname = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, &file, NULL);
        const char *sym = dwfl_module_addrname(m, addr);
        if (sym) {
            demangled(sym, out->label, sizeof out->label);
        } else {
            const char *base = modname ? strrchr(modname, '/') : NULL;
            snprintf(out->label, sizeof out->label, "%s+0x%llx",
                     base ? base + 1 : modname ? modname : "?",
                     (unsigned long long)(addr - start));
        }
        snprintf(out->path, sizeof out->path, "%s", file ? file : modname ? modname : "");
        Dwfl_Line *l = dwfl_module_getsrc(m, addr);
        int line = 0;
        const char *src = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
        if (!src)
            src = line_by_ranges(m, addr, &line);
        if (src) {
            snprintf(out->path, sizeof out->path, "%s", src);
            out->line = line;
        }
    }
    pthread_mutex_unlock(&dwfl_lock);
}
