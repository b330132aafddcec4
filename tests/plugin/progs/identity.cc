// identity.cc — C++: every throw recorded as itself. A second exception of another type after
// a first one was caught (the allocator hands the second the first one's address), the same
// function throwing in a loop, one exception rethrown through a second captured frame
// (recorded once, referenced), std::rethrow_exception, a nested exception, one thrown and
// caught inside a captured frame, and two threads throwing at once.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <xray_capture.h>

XRAY_CAPTURE("first") static void __attribute__((noinline)) first()
{
    throw std::runtime_error("first failed");
}

XRAY_CAPTURE("second") static void __attribute__((noinline)) second()
{
    throw std::logic_error("second failed");
}

XRAY_CAPTURE("again") static void __attribute__((noinline)) again(int i)
{
    throw std::out_of_range("again " + std::to_string(i));
}

XRAY_CAPTURE("inner") static void __attribute__((noinline)) inner()
{
    throw std::invalid_argument("inner failed");
}

XRAY_CAPTURE("relay") static void __attribute__((noinline)) relay()
{
    try {
        inner();
    } catch (...) {
        throw; // the same exception, on its way again
    }
}

XRAY_CAPTURE("keep") static std::exception_ptr __attribute__((noinline)) keep()
{
    try {
        throw std::domain_error("kept");
    } catch (...) {
        return std::current_exception(); // caught where it was thrown: no fault here
    }
}

XRAY_CAPTURE("replay") static void __attribute__((noinline)) replay(std::exception_ptr p)
{
    std::rethrow_exception(p);
}

XRAY_CAPTURE("wrap") static void __attribute__((noinline)) wrap()
{
    try {
        inner();
    } catch (...) {
        std::throw_with_nested(std::runtime_error("wrapped"));
    }
}

XRAY_CAPTURE("worker") static void __attribute__((noinline)) worker(int n)
{
    throw std::length_error("worker " + std::to_string(n));
}

static void say(const std::exception &e) { std::printf("caught %s\n", e.what()); }

static void in_thread(xray_entity *seg, int n)
{
    xray_context_set(seg);
    for (int i = 0; i < 5; i++) {
        try {
            worker(n);
        } catch (const std::exception &) {
        }
    }
    xray_context_set(NULL);
}

int main()
{
    xray_begin_segment("identity");
    try { first(); } catch (const std::exception &e) { say(e); }
    try { second(); } catch (const std::exception &e) { say(e); }
    for (int i = 0; i < 3; i++)
        try { again(i); } catch (const std::exception &e) { say(e); }
    try { relay(); } catch (const std::exception &e) { say(e); }
    std::exception_ptr p = keep();
    try { replay(p); } catch (const std::exception &e) { say(e); }
    try { wrap(); } catch (const std::exception &e) { say(e); }
    xray_entity *seg = xray_current_segment();
    std::thread a(in_thread, seg, 1), b(in_thread, seg, 2);
    a.join();
    b.join();
    xray_end_segment();
    return 0;
}
