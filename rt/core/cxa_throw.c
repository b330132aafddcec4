/* cxa_throw.c — counts each thread's C++ throws, so that an exception is known by its throw
 * and not by its address alone, which the allocator hands to the next exception once the
 * first is caught (exception.c compares both).
 *
 * This __cxa_throw stands in front of the C++ runtime's (libstdc++ or libc++abi) and passes
 * every throw on unchanged. It is weak: a program that links its C++ runtime statically keeps
 * the runtime's own, and exceptions are then told apart by address, type and segment only.
 * In the static library it is a member of its own, linked only into programs that throw. */
#include "model/thread.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef void (*throw_fn)(void *obj, void *type, void (*destroy)(void *));

void __cxa_throw(void *obj, void *type, void (*destroy)(void *)) __attribute__((weak, noreturn));

/* The C++ runtime's __cxa_throw: the next definition after this one, or, where the runtime was
 * loaded out of sight of the global scope (dlopen RTLD_LOCAL), looked up in it by name. */
static throw_fn runtime_throw(void)
{
    static _Atomic(throw_fn) cached;
    throw_fn fn = atomic_load_explicit(&cached, memory_order_acquire);
    if (fn)
        return fn;
    fn = (throw_fn)dlsym(RTLD_NEXT, "__cxa_throw");
    static const char *const runtimes[] = {"libstdc++.so.6", "libc++abi.so.1"};
    for (size_t i = 0; (!fn || fn == __cxa_throw) && i < sizeof runtimes / sizeof runtimes[0]; i++) {
        void *h = dlopen(runtimes[i], RTLD_LAZY | RTLD_NOLOAD);
        fn = h ? (throw_fn)dlsym(h, "__cxa_throw") : NULL;
    }
    if (fn == __cxa_throw)
        fn = NULL;
    atomic_store_explicit(&cached, fn, memory_order_release);
    return fn;
}

void __cxa_throw(void *obj, void *type, void (*destroy)(void *))
{
    xrc_tls.throws++;
    throw_fn fn = runtime_throw();
    if (fn)
        fn(obj, type, destroy);
    abort(); /* not reached: a program that throws has a C++ runtime, found above */
}
