/*
 * xraycap.so — GCC plugin that turns `__attribute__((xray_capture("name")))` into X-Ray
 * subsegments.
 *
 * What it inserts: for each captured function (the attribute on its declaration or
 * definition, or its name matched by -fplugin-arg-xraycap-functions=REGEX) the body becomes
 *
 *     token = __xraycap_enter (&site);        // site: static const xray_site, one per function
 *     try {
 *         try { <original body> }
 *         catch-cleanup { __xraycap_exit_exception (token, <exception>); }   // C++ only
 *     } finally { __xraycap_exit (token); }
 *
 * exactly as gimplify.cc wraps a body for -finstrument-functions, so every return, goto out
 * of nested scopes and C++ exception leaves through the finally once. The cleanup runs only
 * while an exception unwinds the frame and marks the subsegment as a fault; a second, tiny
 * pass after EH lowering hands it the in-flight exception object so the runtime can name its
 * type.
 *
 * Debugging: -fplugin-arg-xraycap-verbose prints each function instrumented;
 * -fdump-tree-xraycap shows the body after this pass (and -fdump-tree-all everything);
 * inside gdb on cc1, `call debug_gimple_seq (body)` prints a sequence.
 */
#include "gcc-plugin.h"
#include "plugin-version.h"

#include "tree.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "gimple-walk.h"
#include "gimplify.h"
#include "stringpool.h"
#include "attribs.h"
#include "stor-layout.h"
#include "varasm.h"
#include "cgraph.h"
#include "diagnostic.h"
#include "langhooks.h"
#include "cpplib.h"
#include "c-family/c-pragma.h"
#include "toplev.h"
#include "opts.h"

#include "../naming.h"
#include "../patch_table.h"
#include "../../include/xray_capture/version.h"

#include <regex.h>
#include <set>
#include <string>
#include <vector>

int plugin_is_GPL_compatible;

/* lto1 has no preprocessor: these exist only in the C and C++ front ends. */
extern cpp_reader *parse_in __attribute__((weak));
extern void cpp_define(cpp_reader *, const char *) __attribute__((weak));
extern cpp_options *cpp_get_options(cpp_reader *) __attribute__((weak));

namespace {

const char *const ATTR = "xray_capture";
bool cplusplus_marked; /* this unit already defines __xraycap_cplusplus */

struct plugin_info xraycap_info = {
    XRAYCAP_VERSION,
    "Traces functions marked __attribute__((xray_capture(\"name\"))) as AWS X-Ray subsegments.\n"
    "Options (-fplugin-arg-xraycap-OPTION):\n"
    "  disable            accept the attribute, instrument nothing\n"
    "  functions=REGEX    also capture functions whose name matches REGEX (POSIX extended)\n"
    "  exclude=REGEX      never capture functions whose name matches REGEX\n"
    "  verbose            print each function instrumented\n"
    "  warn-undefined     warn of marked declarations this file does not define\n"
    "  patch=LIST         trace library calls: curl, sqlite3, pq, redis, mysql, mhd, civetweb\n"
    "                     or all (comma-separated)",
};



/* Settings from the plugin arguments. */
int opt_patch;
bool opt_disable;
bool opt_verbose;
bool opt_warn_undefined;
bool have_functions, have_exclude;
regex_t re_functions, re_exclude;

/* Trees kept across functions; registered as GGC roots so the collector keeps them. */
tree enter_decl;
tree exit_decl;
tree exit_exception_decl;
tree site_type;
tree site_fields[5];
tree patch_decls[NPATCHES]; /* wrapper declarations, made on first use in a unit */

const struct ggc_root_tab xraycap_roots[] = {
    {&enter_decl, 1, sizeof(enter_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node},
    {&exit_decl, 1, sizeof(exit_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node},
    {&exit_exception_decl, 1, sizeof(exit_exception_decl), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node},
    {&site_type, 1, sizeof(site_type), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node},
    {&site_fields[0], 5, sizeof(site_fields[0]), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node},
    {&patch_decls[0], NPATCHES, sizeof(patch_decls[0]), &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node},
    LAST_GGC_ROOT_TAB,
};

/* ---- the attribute ------------------------------------------------------------------------ */

/* Marked declarations and parsed definitions of this unit, by name (plain strings: a tree of
 * a redeclaration may be merged away and freed), for warn-undefined. */
struct mark {
    std::string name;
    location_t where;
};
std::vector<mark> marks;
std::set<std::string> defined;

tree handle_xray_capture(tree *node, tree name, tree args, int, bool *no_add_attrs)
{
    /* On a C++ lambda the attribute lands on the type of its operator(); keep it there and
     * look for it on the type as well as on the declaration. */
    bool function_type = TREE_CODE(*node) == FUNCTION_TYPE || TREE_CODE(*node) == METHOD_TYPE;
    if (TREE_CODE(*node) != FUNCTION_DECL && !function_type) {
        error_at(DECL_P(*node) ? DECL_SOURCE_LOCATION(*node) : input_location,
                 "%qE attribute applies only to functions", name);
        *no_add_attrs = true;
        return NULL_TREE;
    }
    if (args) {
        tree arg = TREE_VALUE(args);
        if (TREE_CODE(arg) != STRING_CST) {
            error_at(DECL_P(*node) ? DECL_SOURCE_LOCATION(*node) : input_location,
                     "argument of %qE attribute must be a string literal (the subsegment name)",
                     name);
            *no_add_attrs = true;
        } else if (TREE_STRING_LENGTH(arg) <= 1) {
            error_at(DECL_P(*node) ? DECL_SOURCE_LOCATION(*node) : input_location,
                     "%qE attribute: the subsegment name is empty; omit the argument to use the "
                     "name of the function",
                     name);
            *no_add_attrs = true;
        }
    }
    if (!*no_add_attrs && TREE_CODE(*node) == FUNCTION_DECL && DECL_NAME(*node))
        marks.push_back({IDENTIFIER_POINTER(DECL_NAME(*node)), DECL_SOURCE_LOCATION(*node)});
    return NULL_TREE;
}

void note_definition(void *gcc_data, void *)
{
    tree fndecl = (tree)gcc_data;
    if (fndecl && DECL_NAME(fndecl))
        defined.insert(IDENTIFIER_POINTER(DECL_NAME(fndecl)));
}

/* The attribute acts where the definition sees it: a marked prototype whose function is defined
 * in a file that does not include it captures nothing. warn-undefined (and verbose, as a note)
 * names each marked declaration this unit does not define. */
void report_undefined_marks(void *, void *)
{
    std::set<std::string> told;
    for (const mark &m : marks) {
        if (defined.count(m.name) || !told.insert(m.name).second)
            continue;
        const char *fmt = "xraycap: %qs is marked %<xray_capture%> but not defined in this file; "
                          "it is captured only if the file that defines it sees the mark";
        if (opt_warn_undefined)
            warning_at(m.where, 0, fmt, m.name.c_str());
        else
            inform(m.where, fmt, m.name.c_str());
    }
}

const struct attribute_spec xray_capture_spec = {
    ATTR, 0, 1, /*decl_req*/ false, /*type_req*/ false, /*fn_type_req*/ false,
    /*affects_type_identity*/ false, handle_xray_capture, NULL,
};

void register_attributes(void *, void *) { register_attribute(&xray_capture_spec); }

/* The announcing macro, so xray_capture.h expands XRAY_CAPTURE only under the plugin. Defined
 * at PLUGIN_PRAGMAS, which also runs for -E and -save-temps; preprocessed input already has
 * the macro's effect and must not see it twice. */
void define_macro(void *, void *)
{
    if (!parse_in || !cpp_define || !cpp_get_options)
        return;
    if (cpp_get_options(parse_in)->preprocessed)
        return;
    cpp_define(parse_in, "__XRAYCAP__=1");
}

/* ---- runtime declarations, built once per translation unit ---------------------------- */

tree runtime_fn(const char *name, tree type)
{
    tree decl = build_fn_decl(name, type);
    TREE_PUBLIC(decl) = 1;
    DECL_EXTERNAL(decl) = 1;
    DECL_ARTIFICIAL(decl) = 1;
    TREE_NOTHROW(decl) = 1;
    /* Force the assembler name now so LTO streams the same symbol. */
    DECL_ASSEMBLER_NAME(decl);
    return decl;
}

void build_runtime_decls(void *, void *)
{
    cplusplus_marked = false;
    for (size_t i = 0; i < NPATCHES; i++)
        patch_decls[i] = NULL_TREE;
    tree token = long_unsigned_type_node;
    enter_decl = runtime_fn("__xraycap_enter",
                            build_function_type_list(token, const_ptr_type_node, NULL_TREE));
    exit_decl = runtime_fn("__xraycap_exit", build_function_type_list(void_type_node, token, NULL_TREE));
    exit_exception_decl = runtime_fn(
        "__xraycap_exit_exception",
        build_function_type_list(void_type_node, token, ptr_type_node, NULL_TREE));

    /* struct xray_site { const char *name, *function, *file; unsigned line, flags; } */
    tree cstr = build_pointer_type(build_qualified_type(char_type_node, TYPE_QUAL_CONST));
    const char *names[5] = {"name", "function", "file", "line", "flags"};
    site_type = make_node(RECORD_TYPE);
    for (int i = 0; i < 5; i++) {
        site_fields[i] = build_decl(BUILTINS_LOCATION, FIELD_DECL, get_identifier(names[i]),
                                    i < 3 ? cstr : unsigned_type_node);
        if (i) /* finish_builtin_struct takes the fields last-first and reverses them */
            DECL_CHAIN(site_fields[i]) = site_fields[i - 1];
    }
    finish_builtin_struct(site_type, "xray_site", site_fields[4], NULL_TREE);
}

tree string_ptr(const char *s)
{
    return fold_convert(TREE_TYPE(site_fields[0]), build_string_literal(strlen(s) + 1, s));
}

/* A C++ unit with a captured function defines the weak __xraycap_cplusplus = 1, so that the
 * runtime writes service.runtime "C++" (the runtime itself cannot tell). */
void mark_cplusplus()
{
    if (cplusplus_marked || !lang_GNU_CXX())
        return;
    cplusplus_marked = true;
    tree var = build_decl(UNKNOWN_LOCATION, VAR_DECL, get_identifier("__xraycap_cplusplus"),
                          integer_type_node);
    TREE_STATIC(var) = 1;
    TREE_PUBLIC(var) = 1;
    TREE_READONLY(var) = 1;
    TREE_USED(var) = 1;
    DECL_WEAK(var) = 1;
    DECL_ARTIFICIAL(var) = 1;
    DECL_INITIAL(var) = integer_one_node;
    varpool_node::finalize_decl(var);
}

/* A static read-only xray_site for one function. */
tree build_site(tree fndecl, const std::string &name)
{
    mark_cplusplus();
    expanded_location loc = expand_location(DECL_SOURCE_LOCATION(fndecl));
    vec<constructor_elt, va_gc> *elts = NULL;
    CONSTRUCTOR_APPEND_ELT(elts, site_fields[0], string_ptr(name.c_str()));
    CONSTRUCTOR_APPEND_ELT(elts, site_fields[1], string_ptr(lang_hooks.decl_printable_name(fndecl, 2)));
    CONSTRUCTOR_APPEND_ELT(elts, site_fields[2], string_ptr(loc.file ? loc.file : "?"));
    CONSTRUCTOR_APPEND_ELT(elts, site_fields[3], build_int_cst(unsigned_type_node, loc.line));
    CONSTRUCTOR_APPEND_ELT(elts, site_fields[4], build_int_cst(unsigned_type_node, 0));
    tree init = build_constructor(site_type, elts);
    TREE_CONSTANT(init) = 1;
    TREE_STATIC(init) = 1;

    tree var = build_decl(DECL_SOURCE_LOCATION(fndecl), VAR_DECL,
                          create_tmp_var_name("__xraycap_site"),
                          build_qualified_type(site_type, TYPE_QUAL_CONST));
    TREE_STATIC(var) = 1;
    TREE_READONLY(var) = 1;
    TREE_USED(var) = 1;
    DECL_ARTIFICIAL(var) = 1;
    DECL_IGNORED_P(var) = 1;
    DECL_INITIAL(var) = init;
    varpool_node::finalize_decl(var);
    return var;
}

/* ---- which functions, under which name ------------------------------------------------- */

bool regex_matches(const regex_t *re, tree fndecl)
{
    const char *plain = IDENTIFIER_POINTER(DECL_NAME(fndecl));
    const char *full = lang_hooks.decl_printable_name(fndecl, 2);
    return regexec(re, plain, 0, NULL, 0) == 0 || regexec(re, full, 0, NULL, 0) == 0;
}

bool wanted(tree fndecl, std::string *name)
{
    if (!DECL_NAME(fndecl))
        return false;
    if (lookup_attribute("no_instrument_function", DECL_ATTRIBUTES(fndecl)))
        return false;
    tree attr = lookup_attribute(ATTR, DECL_ATTRIBUTES(fndecl));
    if (!attr)
        attr = lookup_attribute(ATTR, TYPE_ATTRIBUTES(TREE_TYPE(fndecl)));
    if (have_exclude && regex_matches(&re_exclude, fndecl))
        return false;
    /* The regex never picks compiler-made functions (thunks, lambdas' helpers, clones). */
    if (!attr && (DECL_ARTIFICIAL(fndecl) || !have_functions || !regex_matches(&re_functions, fndecl)))
        return false;
    tree args = attr ? TREE_VALUE(attr) : NULL_TREE;
    if (args && TREE_CODE(TREE_VALUE(args)) == STRING_CST)
        *name = TREE_STRING_POINTER(TREE_VALUE(args));
    else /* the same rule as the Clang plugin's (naming.h) */
        *name = xraycap::display_name(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl)),
                                      DECL_SOURCE_LINE(fndecl));
    return true;
}

/* ---- patch=: library calls to their tracing wrappers -------------------------------------- */

tree redirect_call(gimple_stmt_iterator *gsi, bool *handled, struct walk_stmt_info *)
{
    *handled = false;
    gcall *call = dyn_cast<gcall *>(gsi_stmt(*gsi));
    tree fn = call ? gimple_call_fndecl(call) : NULL_TREE;
    if (!fn || !DECL_NAME(fn) || !DECL_EXTERNAL(fn))
        return NULL_TREE;
    const char *name = IDENTIFIER_POINTER(DECL_NAME(fn));
    for (size_t i = 0; i < NPATCHES; i++) {
        if (!(opt_patch & patches[i].lib) || strcmp(name, patches[i].from))
            continue;
        if (!patch_decls[i])
            patch_decls[i] = runtime_fn(patches[i].to, TREE_TYPE(fn));
        TREE_NOTHROW(patch_decls[i]) = TREE_NOTHROW(fn);
        gimple_call_set_fndecl(call, patch_decls[i]);
        break;
    }
    return NULL_TREE;
}

void redirect_library_calls(tree fndecl)
{
    struct walk_stmt_info wi;
    memset(&wi, 0, sizeof wi);
    gimple_seq body = gimple_body(fndecl);
    walk_gimple_seq_mod(&body, redirect_call, NULL, &wi);
    gimple_set_body(fndecl, body);
}

/* ---- the instrumentation pass ------------------------------------------------------------ */

const pass_data capture_pass_data = {
    GIMPLE_PASS, "xraycap", OPTGROUP_NONE, TV_NONE, PROP_gimple_any, 0, 0, 0, 0,
};

struct capture_pass : gimple_opt_pass {
    capture_pass(gcc::context *ctx) : gimple_opt_pass(capture_pass_data, ctx) {}

    bool gate(function *) override { return !opt_disable; }

    unsigned int execute(function *fun) override
    {
        tree fndecl = fun->decl;
        std::string name;
        if (opt_patch)
            redirect_library_calls(fndecl);
        if (!wanted(fndecl, &name))
            return 0;
        gimple_seq body = gimple_body(fndecl);
        gimple *first = gimple_seq_first_stmt(body);
        if (!first || gimple_code(first) != GIMPLE_BIND) {
            warning_at(DECL_SOURCE_LOCATION(fndecl), 0,
                       "xraycap: %qD has no body in the expected form; not captured", fndecl);
            return 0;
        }
        gbind *bind = as_a<gbind *>(first);
        location_t loc = DECL_SOURCE_LOCATION(fndecl);

        tree token = create_tmp_var(long_unsigned_type_node, "xraycap_token");
        gcall *enter = gimple_build_call(enter_decl, 1, build_fold_addr_expr(build_site(fndecl, name)));
        gimple_call_set_lhs(enter, token);
        gimple_set_location(enter, loc);

        gimple_seq inner = gimple_bind_body(bind);
        if (flag_exceptions) {
            gimple_seq on_unwind = NULL;
            gcall *mark = gimple_build_call(exit_exception_decl, 2, token, null_pointer_node);
            gimple_set_location(mark, loc);
            gimple_seq_add_stmt(&on_unwind, mark);
            inner = gimple_seq_alloc_with_stmt(gimple_build_try(inner, on_unwind, GIMPLE_TRY_CATCH));
        }
        /* if (token != 0) __xraycap_exit (token): with no segment (or an unsampled one) the
         * token is 0 and the way out costs a compare, not a call. */
        gimple_seq on_exit = NULL;
        gcall *exit_call = gimple_build_call(exit_decl, 1, token);
        gimple_set_location(exit_call, loc);
        tree do_exit = create_artificial_label(loc), done = create_artificial_label(loc);
        gimple_seq_add_stmt(&on_exit, gimple_build_cond(NE_EXPR, token,
                                                        build_int_cst(long_unsigned_type_node, 0),
                                                        do_exit, done));
        gimple_seq_add_stmt(&on_exit, gimple_build_label(do_exit));
        gimple_seq_add_stmt(&on_exit, exit_call);
        gimple_seq_add_stmt(&on_exit, gimple_build_label(done));
        gtry *wrapped = gimple_build_try(inner, on_exit, GIMPLE_TRY_FINALLY);

        gimple_seq new_body = NULL;
        gimple_seq_add_stmt(&new_body, enter);
        gimple_seq_add_stmt(&new_body, wrapped);
        gimple_bind_set_body(bind, new_body);

        if (opt_verbose)
            inform(loc, "xraycap: capturing %qs as subsegment %qs",
                   lang_hooks.decl_printable_name(fndecl, 2), name.c_str());
        return 0;
    }
};

/* After EH lowering each cleanup ends in a RESX naming its region; the exception object of
 * that region is __builtin_eh_pointer (region). Hand it to __xraycap_exit_exception, which
 * until now got a null placeholder (in a cleanup, before lowering, there is no region yet). */
const pass_data eh_pointer_pass_data = {
    GIMPLE_PASS, "xraycap_eh", OPTGROUP_NONE, TV_NONE, PROP_gimple_leh, 0, 0, 0, 0,
};

struct eh_pointer_pass : gimple_opt_pass {
    eh_pointer_pass(gcc::context *ctx) : gimple_opt_pass(eh_pointer_pass_data, ctx) {}

    bool gate(function *) override { return !opt_disable && flag_exceptions; }

    unsigned int execute(function *fun) override
    {
        gimple_seq body = gimple_body(fun->decl);
        for (gimple_stmt_iterator gsi = gsi_start(body); !gsi_end_p(gsi); gsi_next(&gsi)) {
            gcall *call = dyn_cast<gcall *>(gsi_stmt(gsi));
            if (!call || gimple_call_fndecl(call) != exit_exception_decl)
                continue;
            gimple_stmt_iterator next = gsi;
            for (gsi_next(&next); !gsi_end_p(next); gsi_next(&next)) {
                gresx *resx = dyn_cast<gresx *>(gsi_stmt(next));
                if (!resx)
                    continue;
                tree ptr = create_tmp_var(ptr_type_node, "xraycap_exc");
                gcall *get = gimple_build_call(builtin_decl_explicit(BUILT_IN_EH_POINTER), 1,
                                               build_int_cst(integer_type_node, gimple_resx_region(resx)));
                gimple_call_set_lhs(get, ptr);
                gsi_insert_before(&gsi, get, GSI_SAME_STMT);
                gimple_call_set_arg(call, 1, ptr);
                break;
            }
        }
        return 0;
    }
};

/* ---- plugin entry ------------------------------------------------------------------------ */

bool compile_regex(regex_t *re, const char *key, const char *value)
{
    if (!value || !*value) {
        error("xraycap: option %<%s%> needs a value: %<-fplugin-arg-xraycap-%s=REGEX%>", key, key);
        return false;
    }
    int rc = regcomp(re, value, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        char msg[256];
        regerror(rc, re, msg, sizeof msg);
        error("xraycap: %<%s=%s%> is not a valid regular expression: %s", key, value, msg);
        return false;
    }
    return true;
}

bool parse_patch(const char *value)
{
    std::string list = value ? value : "";
    if (list.empty()) {
        error("xraycap: option %<patch%> needs a list of: %s", patch_lib_names().c_str());
        return false;
    }
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        int bit = patch_lib_bit(item.data(), item.size());
        if (!bit) {
            error("xraycap: %<patch=%s%>: unknown library %qs; known: %s", list.c_str(),
                  item.c_str(), patch_lib_names().c_str());
            return false;
        }
        opt_patch |= bit;
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return true;
}

/* GCC mangles a value holding '=' ("functions=a=b" arrives as "a="): the arguments are read
 * again from the command line as given, split at their first '='. Falls back to GCC's reading
 * if the two do not line up. */
std::vector<std::pair<std::string, std::string>> raw_args(const struct plugin_name_args *info)
{
    std::vector<std::pair<std::string, std::string>> out;
    std::string prefix = std::string(info->base_name) + "-";
    for (unsigned i = 0; i < save_decoded_options_count; i++) {
        const cl_decoded_option &o = save_decoded_options[i];
        if (o.opt_index != OPT_fplugin_arg_ || !o.arg || strncmp(o.arg, prefix.c_str(), prefix.size()))
            continue;
        std::string kv = o.arg + prefix.size();
        size_t eq = kv.find('=');
        out.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "\x01" : kv.substr(eq + 1));
    }
    if ((int)out.size() != info->argc)
        return {};
    for (int i = 0; i < info->argc; i++)
        if (out[i].first != info->argv[i].key)
            return {};
    return out;
}

bool parse_args(const struct plugin_name_args *info)
{
    bool ok = true;
    auto raw = raw_args(info);
    for (int i = 0; i < info->argc; i++) {
        const char *key = info->argv[i].key, *value = info->argv[i].value;
        if (!raw.empty())
            value = raw[i].second == "\x01" ? NULL : raw[i].second.c_str();
        if (!strcmp(key, "disable") && !value)
            opt_disable = true;
        else if (!strcmp(key, "verbose") && !value)
            opt_verbose = true;
        else if (!strcmp(key, "warn-undefined") && !value)
            opt_warn_undefined = true;
        else if (!strcmp(key, "functions"))
            ok = (have_functions = compile_regex(&re_functions, key, value)) && ok;
        else if (!strcmp(key, "exclude"))
            ok = (have_exclude = compile_regex(&re_exclude, key, value)) && ok;
        else if (!strcmp(key, "patch"))
            ok = parse_patch(value) && ok;
        else if (!strcmp(key, "disable") || !strcmp(key, "verbose") || !strcmp(key, "warn-undefined")) {
            error("xraycap: option %<%s%> takes no value", key);
            ok = false;
        } else {
            error("xraycap: unknown option %<-fplugin-arg-%s-%s%>; known options: disable, "
                  "functions=REGEX, exclude=REGEX, verbose, warn-undefined, patch=LIST",
                  info->base_name, key);
            ok = false;
        }
    }
    return ok;
}

} // namespace

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
    if (!plugin_default_version_check(version, &gcc_version)) {
        error("xraycap: this plugin was built for GCC %s (%s) and cannot run in GCC %s (%s); "
              "rebuild it with this compiler",
              gcc_version.basever, gcc_version.datestamp, version->basever, version->datestamp);
        return 1;
    }
    if (!parse_args(info))
        return 1;
    const char *name = info->base_name;
    register_callback(name, PLUGIN_INFO, NULL, &xraycap_info);
    register_callback(name, PLUGIN_ATTRIBUTES, register_attributes, NULL);
    register_callback(name, PLUGIN_PRAGMAS, define_macro, NULL);
    register_callback(name, PLUGIN_START_UNIT, build_runtime_decls, NULL);
    register_callback(name, PLUGIN_REGISTER_GGC_ROOTS, NULL, (void *)xraycap_roots);
    if (opt_warn_undefined || opt_verbose) {
        register_callback(name, PLUGIN_FINISH_PARSE_FUNCTION, note_definition, NULL);
        register_callback(name, PLUGIN_FINISH_UNIT, report_undefined_marks, NULL);
    }

    /* Right after *warn_unused_result the body is still high GIMPLE with its outer BIND and
     * structured try/finally: returns and gotos are not yet lowered (lower_cf) nor EH regions
     * built (lower_eh), and no inlining has happened, so inlined copies carry the hooks. */
    struct register_pass_info capture = {new capture_pass(g), "*warn_unused_result", 1,
                                         PASS_POS_INSERT_AFTER};
    register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &capture);
    /* Right after lower_eh, the cleanup's region number exists (see eh_pointer_pass). */
    struct register_pass_info eh = {new eh_pointer_pass(g), "eh", 1, PASS_POS_INSERT_AFTER};
    register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &eh);
    return 0;
}
