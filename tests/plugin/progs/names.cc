// names.cc — C++ functions captured without a name of their own: methods, a constructor and a
// destructor, operators, template instances, lambdas, an anonymous namespace and a static
// member. Built by GCC and by Clang, both must give every subsegment the same name.
#include <cstdio>
#include <xray_capture.h>

namespace shop {

struct Cart {
    int items = 3;
    XRAY_CAPTURE() Cart();
    XRAY_CAPTURE() ~Cart();
    XRAY_CAPTURE() int total(int price) const;
    template <class T> XRAY_CAPTURE() T twice(T v) const;
    XRAY_CAPTURE() int operator()(int x) const;
    XRAY_CAPTURE() bool operator<(const Cart &other) const;
    XRAY_CAPTURE() Cart &operator+=(int n);
    XRAY_CAPTURE() static int count();
    XRAY_CAPTURE() int with_lambda(int x) const;
};

Cart::Cart() { std::puts("cart"); }
Cart::~Cart() { std::puts("~cart"); }
int Cart::total(int price) const { return items * price; }
template <class T> T Cart::twice(T v) const { return v * 2; }
int Cart::operator()(int x) const { return x + items; }
bool Cart::operator<(const Cart &other) const { return items < other.items; }
Cart &Cart::operator+=(int n)
{
    items += n;
    return *this;
}
int Cart::count() { return 1; }
int Cart::with_lambda(int x) const
{
    auto add = [this](int y) XRAY_CAPTURE() { return y + items; };
    return add(x);
}

template <class A, class B> XRAY_CAPTURE() B convert(A a) { return static_cast<B>(a); }

} // namespace shop

namespace {
XRAY_CAPTURE() int __attribute__((noinline)) helper(int x) { return x - 1; }
} // namespace

int main(int argc, char **)
{
    xray_begin_segment("names");
    {
        shop::Cart c, d;
        d += 2;
        std::printf("total %d\n", c.total(4));
        std::printf("twice %d %.1f\n", c.twice(argc), c.twice(1.5));
        std::printf("call %d less %d\n", c(1), c < d);
        std::printf("count %d lambda %d\n", shop::Cart::count(), c.with_lambda(2));
        std::printf("convert %ld\n", shop::convert<int, long>(argc));
        std::printf("helper %d\n", helper(argc));
        auto square = [](double v) XRAY_CAPTURE() { return v * v; };
        std::printf("square %.1f\n", square(argc * 3.0));
    }
    xray_end_segment();
    return 0;
}
