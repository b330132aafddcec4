/* symbolize.c — see symbolize.h. elfutils' libdw is not a dependency of libxraycap: it is
 * loaded (dlopen) the first time a stack is symbolized, on the emission thread, and a program
 * that never records an error never loads it. Without it, frames are named from the dynamic
 * symbol table (dladdr) or as module+0xOFFSET. One libdwfl session for the process, kept (it
 * caches every module it has read); a module loaded later (dlopen) is found by reporting the
 * process's mappings again. libdwfl is not thread-safe: one lock around it, which a forked
 * child makes anew. Separate debug files are looked up by build id on this machine only
 * (dwfl_build_id_find_debuginfo), never through debuginfod: symbolizing must not reach the
 * network from someone else's process (and debuginfod's libcurl would set up a TLS library on
 * the emission thread). */
#include "emit/symbolize.h"
#include "model/attrs.h"

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *__cxa_demangle(const char *, char *, size_t *, int *) __attribute__((weak));

/* The libdw functions used, looked up once in the loaded library. */
typedef struct dw_api {
    __typeof__(&dwfl_begin) begin;
    __typeof__(&dwfl_report_begin) report_begin;
    __typeof__(&dwfl_linux_proc_report) proc_report;
    __typeof__(&dwfl_report_end) report_end;
    __typeof__(&dwfl_addrmodule) addrmodule;
    __typeof__(&dwfl_module_nextcu) nextcu;
    __typeof__(&dwarf_ranges) ranges;
    __typeof__(&dwarf_getsrc_die) getsrc_die;
    __typeof__(&dwarf_linesrc) linesrc;
    __typeof__(&dwarf_lineno) lineno;
    __typeof__(&dwfl_module_info) module_info;
    __typeof__(&dwfl_module_addrname) addrname;
    __typeof__(&dwfl_module_getsrc) getsrc;
    __typeof__(&dwfl_lineinfo) lineinfo;
    __typeof__(&dwfl_linux_proc_find_elf) find_elf;
    __typeof__(&dwfl_build_id_find_debuginfo) find_debuginfo;
} dw_api;

static pthread_mutex_t dwfl_lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static int dw_state;          /* 0: not tried yet, 1: loaded, -1: not available */
static dw_api dw;             /* filled when dw_state is 1 */
static Dwfl *dwfl;            /* this process's modules, NULL until the first lookup */
static pid_t dwfl_owner;      /* the process dwfl describes (a forked child reports again) */
static char *debuginfo_path;  /* libdwfl's search path for separate debug files: the default */
static Dwfl_Callbacks callbacks = {.debuginfo_path = &debuginfo_path};

/* Loads libdw and looks up every function; false (for good) when any is missing. */
static bool dw_load(void)
{
    if (dw_state)
        return dw_state > 0;
    dw_state = -1;
    void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return false;
    void **slot = (void **)&dw;
    static const char *const names[] = {
        "dwfl_begin", "dwfl_report_begin", "dwfl_linux_proc_report", "dwfl_report_end",
        "dwfl_addrmodule", "dwfl_module_nextcu", "dwarf_ranges", "dwarf_getsrc_die",
        "dwarf_linesrc", "dwarf_lineno", "dwfl_module_info", "dwfl_module_addrname",
        "dwfl_module_getsrc", "dwfl_lineinfo", "dwfl_linux_proc_find_elf",
        "dwfl_build_id_find_debuginfo"};
    _Static_assert(sizeof names / sizeof *names == sizeof(dw_api) / sizeof(void *),
                   "one name per function of dw_api");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!(slot[i] = dlsym(h, names[i])))
            return false; /* the library stays loaded: harmless, and dlclose is not */
    callbacks.find_elf = dw.find_elf;
    callbacks.find_debuginfo = dw.find_debuginfo;
    dw_state = 1;
    return true;
}

static bool report(void)
{
    if (!dwfl && !(dwfl = dw.begin(&callbacks)))
        return false;
    dw.report_begin(dwfl);
    int rc = dw.proc_report(dwfl, getpid());
    dw.report_end(dwfl, NULL, NULL);
    dwfl_owner = getpid();
    return rc == 0;
}

static Dwfl_Module *module_at(Dwarf_Addr addr)
{
    if ((!dwfl || dwfl_owner != getpid()) && !report())
        return NULL;
    Dwfl_Module *m = dw.addrmodule(dwfl, addr);
    if (!m && report()) /* loaded since the last report */
        m = dw.addrmodule(dwfl, addr);
    return m;
}

/* The source line of addr by walking the compile units' address ranges: for programs whose
 * compiler writes no .debug_aranges (Clang), where dwfl_module_getsrc finds nothing. */
static const char *line_by_ranges(Dwfl_Module *m, Dwarf_Addr addr, int *line)
{
    Dwarf_Addr bias;
    for (Dwarf_Die *cu = NULL; (cu = dw.nextcu(m, cu, &bias));) {
        Dwarf_Addr base, lo, hi, rel = addr - bias;
        for (ptrdiff_t off = 0; (off = dw.ranges(cu, off, &base, &lo, &hi)) > 0;) {
            if (rel < lo || rel >= hi)
                continue;
            Dwarf_Line *l = dw.getsrc_die(cu, rel);
            const char *src = l ? dw.linesrc(l, NULL, NULL) : NULL;
            if (src && dw.lineno(l, line) == 0)
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

static void base_label(const char *module, Dwarf_Addr offset, char *out, size_t n)
{
    const char *base = module ? strrchr(module, '/') : NULL;
    snprintf(out, n, "%s+0x%llx", base ? base + 1 : module ? module : "?",
             (unsigned long long)offset);
}

/* Without libdw: the dynamic symbol table's name, else module+offset; no source line. */
static void symbolize_plain(Dwarf_Addr addr, xrc_frame *out)
{
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)addr, &info) || !info.dli_fname)
        return;
    if (info.dli_sname)
        demangled(info.dli_sname, out->label, sizeof out->label);
    else
        base_label(info.dli_fname, addr - (uintptr_t)info.dli_fbase, out->label, sizeof out->label);
    snprintf(out->path, sizeof out->path, "%s", info.dli_fname);
}

static void symbolize_dw(Dwfl_Module *m, Dwarf_Addr addr, xrc_frame *out)
{
    Dwarf_Addr start = 0;
    const char *file = NULL;
    const char *modname = dw.module_info(m, NULL, &start, NULL, NULL, NULL, &file, NULL);
    const char *sym = dw.addrname(m, addr);
    if (sym)
        demangled(sym, out->label, sizeof out->label);
    else
        base_label(modname, addr - start, out->label, sizeof out->label);
    snprintf(out->path, sizeof out->path, "%s", file ? file : modname ? modname : "");
    Dwfl_Line *l = dw.getsrc(m, addr);
    int line = 0;
    const char *src = l ? dw.lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
    if (!src)
        src = line_by_ranges(m, addr, &line);
    if (src) {
        snprintf(out->path, sizeof out->path, "%s", src);
        out->line = line;
    }
}

void xrc_symbolize(const void *pc, bool return_address, xrc_frame *out)
{
    Dwarf_Addr addr = (Dwarf_Addr)(uintptr_t)pc - (return_address ? 1 : 0);
    snprintf(out->label, sizeof out->label, "0x%llx", (unsigned long long)addr);
    out->path[0] = '\0';
    out->line = 0;
    pthread_mutex_lock(&dwfl_lock);
    Dwfl_Module *m = dw_load() ? module_at(addr) : NULL;
    if (m)
        symbolize_dw(m, addr, out);
    else
        symbolize_plain(addr, out);
    pthread_mutex_unlock(&dwfl_lock);
}

void xrc_symbolize_after_fork(void)
{
    /* Held: a thread of the parent was inside libdwfl when it forked, and the session may be
     * half changed. The child leaves it as it is (a leak, not a crash) and starts its own. */
    bool busy = pthread_mutex_trylock(&dwfl_lock) != 0;
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&dwfl_lock, &fresh, sizeof fresh);
    if (busy)
        dwfl = NULL;
    /* Otherwise the session is kept: the child reports its own mappings into it at its first
     * lookup (dwfl_owner is the parent's pid). */
}

void xrc_stacks_resolve(xray_entity *e)
{
    cJSON *cause = e->extra ? cJSON_GetObjectItemCaseSensitive(e->extra, "cause") : NULL;
    cJSON *paths = cJSON_IsObject(cause) ? cJSON_GetObjectItemCaseSensitive(cause, "paths") : NULL;
    for (const xrc_stack *st = e->stacks; st; st = st->next) {
        cJSON *stack = cJSON_CreateArray();
        for (int i = 0; stack && i < st->n; i++) {
            xrc_frame fr;
            xrc_symbolize(st->pc[i], true, &fr);
            cJSON *f = cJSON_CreateObject();
            if (!f)
                break;
            cJSON_AddItemToObject(f, "path", xrc_json_string(fr.path, 255));
            cJSON_AddNumberToObject(f, "line", fr.line);
            cJSON_AddItemToObject(f, "label", xrc_json_string(fr.label, 255));
            cJSON_AddItemToArray(stack, f);
            bool known = !fr.path[0];
            const cJSON *p;
            cJSON_ArrayForEach(p, paths) known = known || !strcmp(p->valuestring, fr.path);
            if (!known && paths)
                cJSON_AddItemToArray(paths, cJSON_CreateString(fr.path));
        }
        if (stack)
            cJSON_AddItemToObject(st->exception, "stack", stack);
    }
    xrc_stacks_free(e);
}
