/* exception.c — `cause` data: xray_add_exception with the calling thread's stack, and the
 * exit hook for frames that a C++ exception unwinds through. */
#include "model/attrs.h"
#include "core/context.h"
#include "core/exception.h"
#include "base/log.h"
#include "model/sanitize.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FRAMES 50 /* as the Python SDK's default stack size */

static cJSON *string_or_null(const char *s, size_t max)
{
    char *clean = s ? xrc_utf8_dup(s, max) : NULL;
    cJSON *v = clean ? cJSON_CreateString(clean) : cJSON_CreateNull();
    cJSON_free(clean);
    return v;
}

/* Takes the calling thread's return addresses from `from` (the address in the program that
 * called the runtime) outwards, for the emission thread to symbolize (emit/symbolize.c): no
 * debug information is read here. The runtime's own frames, however many inlining left, are
 * those before `from`. */
static void capture_stack(xray_entity *e, cJSON *exception, const void *from)
{
    void *frames[MAX_FRAMES + 8];
    int total = backtrace(frames, MAX_FRAMES + 8), skip = 0;
    while (skip < total && frames[skip] != from)
        skip++;
    if (skip == total) /* not found (a frame without unwind information): keep them all */
        skip = 0;
    int n = total - skip;
    if (n <= 0)
        return;
    if (n > MAX_FRAMES)
        n = MAX_FRAMES;
    xrc_stack *st = malloc(sizeof *st + (size_t)n * sizeof st->pc[0]);
    if (!st)
        return; /* the exception is recorded without its stack */
    st->exception = exception;
    st->n = n;
    memcpy(st->pc, frames + skip, (size_t)n * sizeof st->pc[0]);
    st->next = e->stacks;
    e->stacks = st;
}

static xray_status add_exception(xray_entity *e, const char *type, const char *message,
                                 bool remote, const void *from, uint64_t *id_out, uint32_t mark)
{
    cJSON *cause = xrc_extra_object(e, "cause");
    if (!cause)
        return XRAY_ERR_NO_MEMORY;
    if (!cJSON_GetObjectItemCaseSensitive(cause, "working_directory")) {
        char cwd[1024];
        cJSON_AddItemToObject(cause, "working_directory",
                              string_or_null(getcwd(cwd, sizeof cwd) ? cwd : "", 1023));
        cJSON_AddArrayToObject(cause, "paths");
        cJSON_AddArrayToObject(cause, "exceptions");
    }
    cJSON *list = cJSON_GetObjectItemCaseSensitive(cause, "exceptions");
    cJSON *x = cJSON_CreateObject();
    if (!x || !list)
        return cJSON_Delete(x), XRAY_ERR_NO_MEMORY;
    char id[17];
    uint64_t id_value = xrc_rand64();
    if (id_out)
        *id_out = id_value;
    xrc_hex16(id, id_value);
    id[16] = '\0';
    cJSON_AddStringToObject(x, "id", id);
    cJSON_AddItemToObject(x, "message", string_or_null(message ? message : "", 4096));
    cJSON_AddItemToObject(x, "type", string_or_null(type ? type : "error", 256));
    cJSON_AddBoolToObject(x, "remote", remote);
    cJSON_AddItemToArray(list, x);
    capture_stack(e, x, from);
    e->marks |= mark;
    return XRAY_OK;
}

/* A recorded cause that marks e with `mark`; its stack starts at `from`. */
static xray_status add_cause(xray_entity *e, const char *type, const char *message, bool remote,
                             uint32_t mark, const void *from)
{
    int saved = errno;
    xray_status st;
    if (xrc_edit_begin(e, "xray_add_exception", &st)) {
        st = add_exception(e, type, message, remote, from, NULL, mark);
        xrc_edit_end(e);
    }
    errno = saved;
    return st;
}

xray_status xray_add_exception(xray_entity *e, const char *type, const char *message,
                               bool remote)
{
    return add_cause(e, type, message, remote, XRC_F_FAULT, __builtin_return_address(0));
}

xray_status xrc_add_error_cause(xray_entity *e, const char *type, const char *message, bool remote)
{
    return add_cause(e, type, message, remote, XRC_F_ERROR, __builtin_return_address(0));
}

/*
 * The type of an in-flight C++ exception, from the Itanium C++ ABI layout that GCC and Clang
 * share: the _Unwind_Exception sits at the end of a __cxa_exception whose first field is the
 * std::type_info. Only objects whose exception class says "GNUCC++" are read.
 */
struct type_info_layout { const void *vtable; const char *name; };
struct unwind_layout { unsigned long long exception_class; void *cleanup; unsigned long p1, p2; };
#define CXA_HEADER_BEFORE_UNWIND 80 /* bytes from exceptionType to unwindHeader on LP64 */

char *__cxa_demangle(const char *, char *, size_t *, int *) __attribute__((weak));

static void exception_type(void *exc, char *out, size_t n)
{
    snprintf(out, n, "C++ exception");
    if (!exc || sizeof(void *) != 8)
        return;
    const struct unwind_layout *ue = exc;
    unsigned long long cls = ue->exception_class;
    const unsigned long long gnu_cpp = 0x474e5543432b2b00ULL; /* "GNUCC++\0" */
    const struct type_info_layout *ti;
    if (cls == gnu_cpp) {
        ti = *(const struct type_info_layout *const *)((const char *)exc - CXA_HEADER_BEFORE_UNWIND);
    } else if (cls == gnu_cpp + 1) { /* dependent exception (std::rethrow_exception) */
        const char *primary = *(const char *const *)((const char *)exc - CXA_HEADER_BEFORE_UNWIND);
        ti = *(const struct type_info_layout *const *)(primary - CXA_HEADER_BEFORE_UNWIND -
                                                       sizeof(struct unwind_layout));
    } else {
        return;
    }
    if (!ti || !ti->name)
        return;
    const char *mangled = ti->name[0] == '*' ? ti->name + 1 : ti->name;
    int status = -1;
    char *demangled = __cxa_demangle ? __cxa_demangle(mangled, NULL, NULL, &status) : NULL;
    snprintf(out, n, "%s", status == 0 && demangled ? demangled : mangled);
    free(demangled);
}

/* Defined by libstdc++ when the program is C++: the type_info of std::exception. */
extern const struct type_info_layout _ZTISt9exception __attribute__((weak));

/* type_info's virtual bool __do_catch(const type_info *thrown, void **obj, unsigned outer),
 * the fifth entry of its vtable in the Itanium ABI (after two destructors, __is_pointer_p and
 * __is_function_p): what `catch (std::exception &)` asks. */
typedef bool (*do_catch_fn)(const void *self, const void *thrown, void **obj, unsigned outer);
/* std::exception's virtual const char *what(), the third entry after two destructors. */
typedef const char *(*what_fn)(const void *self);

/* The thrown object and its type, for an exception thrown by GCC's or Clang's C++ runtime. */
static bool thrown_object(void *exc, void **obj, const struct type_info_layout **ti)
{
    const struct unwind_layout *ue = exc;
    const unsigned long long gnu_cpp = 0x474e5543432b2b00ULL; /* "GNUCC++\0" */
    if (!exc || sizeof(void *) != 8)
        return false;
    if (ue->exception_class == gnu_cpp) {
        *obj = (char *)exc + sizeof(struct unwind_layout);
    } else if (ue->exception_class == gnu_cpp + 1) { /* dependent: points at the primary */
        *obj = *(void *const *)((const char *)exc - CXA_HEADER_BEFORE_UNWIND);
    } else {
        return false;
    }
    *ti = *(const struct type_info_layout *const *)((const char *)*obj -
                                                    sizeof(struct unwind_layout) -
                                                    CXA_HEADER_BEFORE_UNWIND);
    return *ti != NULL;
}

/* what() of an exception derived from std::exception, copied into out; false for any other
 * thrown type (int, a pointer, a class of its own) or when the program is not C++. */
static bool exception_what(void *exc, char *out, size_t n)
{
    void *obj;
    const struct type_info_layout *ti;
    if (!&_ZTISt9exception || !thrown_object(exc, &obj, &ti))
        return false;
    const void *const *catch_vtable = _ZTISt9exception.vtable;
    do_catch_fn do_catch = (do_catch_fn)catch_vtable[4];
    if (!do_catch(&_ZTISt9exception, ti, &obj, 1)) /* adjusts obj to the std::exception */
        return false;
    what_fn what = (what_fn)(*(const void *const *const *)obj)[2];
    const char *msg = what(obj);
    snprintf(out, n, "%s", msg ? msg : "");
    return true;
}

void __xraycap_exit_exception(xray_token token, void *exception)
{
    if (!token)
        return;
    int saved = errno;
    xrc_thread *t = &xrc_tls;
    unsigned idx;
    if (xrc_token_index(t, token, &idx)) {
        xray_entity *e = t->foreign ? t->stack[idx] : xrc_fold_materialize(t, idx);
        pthread_mutex_lock(&e->seg->lock);
        /* The same exception, recorded in a frame it already left, when it is the one at the
         * same address, no throw came since (another exception may have taken its memory)
         * and the record is in this segment: point at that record, as X-Ray's `cause`
         * allows, instead of copying the stack again. A rethrow (`throw;`) is the same. */
        bool same = exception && exception == t->unwinding && t->throws == t->unwinding_throw &&
                    e->seg == t->unwinding_seg;
        if (same && !cJSON_HasObjectItem(e->extra, "cause")) {
            char id[17];
            xrc_hex16(id, t->unwinding_id);
            id[16] = '\0';
            if (e->extra || (e->extra = cJSON_CreateObject()))
                cJSON_AddStringToObject(e->extra, "cause", id);
        } else if (!cJSON_HasObjectItem(e->extra, "cause")) {
            char type[256], what[1024];
            exception_type(exception, type, sizeof type);
            if (!exception_what(exception, what, sizeof what))
                snprintf(what, sizeof what, "exception thrown through this function");
            add_exception(e, type, what, false, __builtin_return_address(0), &t->unwinding_id,
                          XRC_F_FAULT);
            t->unwinding = exception;
            t->unwinding_throw = t->throws;
            t->unwinding_seg = e->seg;
        }
        e->marks |= XRC_F_FAULT;
        pthread_mutex_unlock(&e->seg->lock);
        xrc_close_from(t, idx);
    }
    errno = saved;
}
