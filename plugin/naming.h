// naming.h — the subsegment name of a function captured without a name of its own, the same
// from both plugins. GCC and Clang mangle C++ names alike (the Itanium C++ ABI), so the name is
// made from the mangled name, demangled by the C++ runtime's own demangler in both, then
// written in the characters X-Ray accepts (docs/capture.md, "C++ names"):
//   shop::Cart::total               a method (return type, parameters and qualifiers dropped)
//   shop::Cart::Cart                a constructor
//   shop::Cart::destructor          ~Cart
//   shop::Cart::twice@int           a template instance: '<' and ',' become '@', '>' goes
//   shop::Cart::operator lt         an operator, its symbols outside X-Ray's set spelled
//   main::lambda@42                 a lambda: the enclosing function and the lambda's line
//                                   (the compilers number lambdas differently)
//   (anonymous namespace)::helper   the parentheses are then dropped by the runtime
// A name that is not mangled (C, extern "C") is used as it is.
#ifndef XRAYCAP_NAMING_H
#define XRAYCAP_NAMING_H

#include <cxxabi.h>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

namespace xraycap {

// Where "operator" starts as a keyword in s (after "::", a space or at the start, and not
// followed by an identifier character), or npos.
inline size_t operator_keyword(const std::string &s, size_t from = 0)
{
    for (size_t at = s.find("operator", from); at != std::string::npos;
         at = s.find("operator", at + 1)) {
        bool starts = at == 0 || s[at - 1] == ':' || s[at - 1] == ' ';
        char next = at + 8 < s.size() ? s[at + 8] : '\0';
        if (starts && !(isalnum((unsigned char)next) || next == '_'))
            return at;
    }
    return std::string::npos;
}

// Past a parameter list and the qualifiers after it: where the next top-level "::" starts
// (or the end).
inline size_t next_scope(const std::string &d, size_t i)
{
    for (int depth = 0; i < d.size(); i++) {
        if (d[i] == '(' || d[i] == '<' || d[i] == '{')
            depth++;
        else if ((d[i] == ')' || d[i] == '>' || d[i] == '}') && depth > 0)
            depth--;
        else if (depth == 0 && !d.compare(i, 2, "::"))
            break;
    }
    return i;
}

// The scope components of a demangled function signature ("int a::B::f(int) const" ->
// a, B, f), without the return type, parameter lists and qualifiers, also those of an
// enclosing function ("f(int) const::{lambda(int)#1}::operator()(int) const" -> f,
// {lambda(int)#1}, operator()).
inline std::vector<std::string> scope_components(const std::string &d)
{
    // The return type ends at the last top-level space that does not follow a parameter list
    // (the spaces of "(int) const" do), before the first operator keyword.
    size_t limit = std::min(operator_keyword(d), d.size());
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < limit; i++) {
        char c = d[i];
        if (c == '<' || c == '(' || c == '{' || c == '[')
            depth++;
        else if ((c == '>' || c == ')' || c == '}' || c == ']') && depth > 0)
            depth--;
        else if (c == ' ' && depth == 0 && i > 0 && d[i - 1] != ')' &&
                 d.compare(i + 1, 5, "const") && d.compare(i + 1, 8, "volatile") &&
                 d[i + 1] != '&')
            start = i + 1;
    }
    std::vector<std::string> out;
    std::string cur;
    depth = 0;
    for (size_t i = start; i < d.size(); i++) {
        char c = d[i];
        if (depth == 0 && cur.empty() && !d.compare(i, 8, "operator") && operator_keyword(d, i) == i) {
            // "operator" + its symbols, up to the parameter list ("operator()" keeps its "()")
            size_t j = i + 8;
            if (!d.compare(j, 2, "()"))
                j += 2;
            while (j < d.size() && d[j] != '(')
                j++;
            out.push_back(d.substr(i, j - i));
            i = next_scope(d, j);
            if (i < d.size())
                i++; // at the second ':'
            continue;
        }
        if (depth == 0 && !d.compare(i, 2, "::")) {
            out.push_back(cur);
            cur.clear();
            i++;
            continue;
        }
        if (depth == 0 && c == '(' && !cur.empty()) {
            // a parameter list: skip it and the qualifiers after it, up to "::" or the end
            i = next_scope(d, i) - 1; // the loop's i++ lands on "::"
            continue;
        }
        if (c == '<' || c == '(' || c == '{' || c == '[')
            depth++;
        else if ((c == '>' || c == ')' || c == '}' || c == ']') && depth > 0)
            depth--;
        cur += c;
    }
    if (!cur.empty())
        out.push_back(cur);
    return out;
}

// An operator's symbols, spelled where X-Ray does not take them.
inline std::string spell_operator(const std::string &symbols)
{
    static const struct { const char *text, *words; } spelled[] = {
        {"()", "call"}, {"[]", "index"}, {"<", "lt"}, {">", "gt"}, {"*", "star"}, {"!", "not"},
        {"~", "compl"}, {"^", "xor"}, {"|", "or"}, {",", "comma"},
    };
    std::string out;
    for (size_t i = 0; i < symbols.size();) {
        bool done = false;
        for (const auto &s : spelled) {
            size_t n = strlen(s.text);
            if (!symbols.compare(i, n, s.text)) {
                out += out.empty() || out.back() == ' ' ? "" : " ";
                out += s.words;
                i += n;
                done = true;
                break;
            }
        }
        if (!done)
            out += symbols[i++];
    }
    return out;
}

// Template arguments written with '@': "twice<int>" -> "twice@int", "pair<int, long>" ->
// "pair@int@long".
inline std::string template_marks(const std::string &s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (c == '<')
            out += '@';
        else if (c == ',') {
            out += '@';
            while (i + 1 < s.size() && s[i + 1] == ' ')
                i++;
        } else if (c == '>') {
            while (!out.empty() && out.back() == ' ')
                out.pop_back();
        } else if (!(c == ' ' && !out.empty() && out.back() == ' '))
            out += c;
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

// The name for a function whose symbol is `mangled`, declared at `line`.
inline std::string display_name(const char *mangled, unsigned line)
{
    int status = -1;
    char *d = mangled[0] == '_' && mangled[1] == 'Z'
                  ? abi::__cxa_demangle(mangled, nullptr, nullptr, &status) : nullptr;
    if (!d || status != 0) {
        free(d);
        return mangled;
    }
    std::vector<std::string> parts = scope_components(d);
    free(d);
    // a lambda's operator(): "{lambda(int)#1}" (GCC, and Clang where the ABI fixes it) or
    // "$_0" (Clang, in a function with internal linkage) before "operator()"
    size_t n = parts.size();
    if (n >= 2 && parts[n - 1] == "operator()" &&
        (!parts[n - 2].compare(0, 8, "{lambda(") || !parts[n - 2].compare(0, 2, "$_"))) {
        parts.resize(n - 2);
        parts.push_back("lambda@" + std::to_string(line));
    }
    std::string out;
    for (size_t i = 0; i < parts.size(); i++) {
        std::string p = parts[i];
        if (!p.compare(0, 8, "operator") && (p.size() == 8 || p[8] == ' ' || !isalnum((unsigned char)p[8]))) {
            std::string symbols = p.substr(8);
            size_t word = symbols.find_first_not_of(' ');
            p = word != std::string::npos && word > 0 ? "operator " + template_marks(symbols.substr(word))
                                                      : "operator " + spell_operator(symbols);
        } else if (!p.empty() && p[0] == '~') {
            p = "destructor";
        } else {
            p = template_marks(p);
        }
        out += (i ? "::" : "") + p;
    }
    return out;
}

} // namespace xraycap

#endif
