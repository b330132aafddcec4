// exceptions.cc — C++: an exception through two captured frames, member functions, templates
// and lambdas; return values printed for comparison with the untraced build.
#include <cstdio>
#include <stdexcept>
#include <xray_capture.h>

struct PaymentDeclined : std::runtime_error {
    PaymentDeclined() : std::runtime_error("declined") {}
};

XRAY_CAPTURE("charge") static void __attribute__((noinline)) charge(int amount)
{
    if (amount > 100)
        throw PaymentDeclined();
}

XRAY_CAPTURE("checkout") static int __attribute__((noinline)) checkout(int amount)
{
    charge(amount);
    return amount;
}

struct Cart {
    int items = 3;
    XRAY_CAPTURE() int total(int price) const;
};
int Cart::total(int price) const { return items * price; }

template <typename T> XRAY_CAPTURE("scale") T __attribute__((noinline)) scale(T v) { return v * 2; }

int main(int argc, char **)
{
    xray_begin_segment("shop");
    try {
        checkout(500);
        std::puts("not reached");
    } catch (const PaymentDeclined &e) {
        std::printf("caught %s\n", e.what());
    }
    std::printf("checkout %d\n", checkout(50));
    Cart c;
    std::printf("total %d\n", c.total(4));
    std::printf("scale %d %.1f\n", scale(argc), scale(1.5));
    auto add = [](int x) XRAY_CAPTURE("lambda") { std::printf("lambda %d\n", x); return x + 1; };
    std::printf("add %d\n", add(argc));
    xray_end_segment();
    return 0;
}
