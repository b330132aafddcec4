/*
 * xraycap-clang.so — the Clang 14 counterpart of the GCC plugin: the same xray_capture
 * attribute, the same hooks, the same documents.
 *
 * One shared object plays two roles:
 *   1. a Clang plugin (-fplugin=xraycap-clang.so): accepts __attribute__((xray_capture("n"))),
 *      checks its argument, records it on the function as an `annotate` attribute
 *      ("xray_capture:<name>"), predefines __XRAYCAP__, and adds itself to the code
 *      generator's pass plugins so that -fplugin alone is enough;
 *   2. an LLVM pass plugin (llvmGetPassPluginInfo): at the start of the optimization pipeline
 *      (before inlining, at every -O level) a module pass reads llvm.global.annotations and
 *      instruments each marked function: `tok = __xraycap_enter(&site)` at entry, and at every
 *      way out — each `ret`, and, through llvm::EscapeEnumerator, each `resume` and a cleanup
 *      landing pad it adds around calls that may throw — `__xraycap_exit(tok)` or, when an
 *      exception is unwinding, `__xraycap_exit_exception(tok, exception)`. No exit runs twice:
 *      each escape is one path out.
 *
 * Options (the same as the GCC plugin's): -fplugin-arg-xraycap-OPTION, or
 * -Xclang -plugin-arg-xraycap -Xclang OPTION: disable, functions=REGEX, exclude=REGEX, verbose,
 * patch=LIBS (curl, sqlite3, pq, redis, mysql, mhd, civetweb, all: include/xray_capture/patched.h).
 * Debugging: -mllvm -print-after-all, or -emit-llvm -S to read the instrumented IR.
 */
#include "clang/AST/ASTConsumer.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/DiagnosticSema.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "clang/Sema/SemaDiagnostic.h"

#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/EscapeEnumerator.h"

#include "../naming.h"
#include "../patch_table.h"
#include "../../include/xray_capture/version.h"

#include <dlfcn.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace clang;

namespace {

const char ANNOTATION_PREFIX[] = "xray_capture:";
const char INSTRUMENTED[] = "xraycap-instrumented"; /* function attribute: already done */

/* Settings from the plugin arguments, shared by both roles (one copy of this object). */

struct options {
    int patch = 0;
    bool disable = false;
    bool verbose = false;
    bool warn_undefined = false; /* warn of marked declarations this unit never defines */
    bool cplusplus = false;   /* the front end compiles C++ (unknown without it: C) */
    std::unique_ptr<llvm::Regex> functions, exclude;
} opts;

struct site_info {
    std::string name, file;
    unsigned line = 0;
};

/* Marked constructors and destructors, by symbol: Clang puts no annotation on them, so the
 * attribute handler mangles their complete and base variants itself and the pass looks them
 * up by name. (The deleting destructor calls the complete one: not counted twice.) */
std::map<std::string, site_info> structors;

/* ---- the attribute ------------------------------------------------------------------------ */

struct XrayCaptureAttrInfo : public ParsedAttrInfo {
    XrayCaptureAttrInfo()
    {
        OptArgs = 1;
        static constexpr Spelling S[] = {{ParsedAttr::AS_GNU, "xray_capture"}};
        Spellings = S;
    }

    bool diagAppertainsToDecl(Sema &S, const ParsedAttr &Attr, const Decl *D) const override
    {
        if (!isa<FunctionDecl>(D)) {
            unsigned id = S.Diags.getCustomDiagID(DiagnosticsEngine::Error,
                                                  "%0 attribute applies only to functions");
            S.Diag(Attr.getLoc(), id) << Attr;
            return false;
        }
        return true;
    }

    static void note_structor(Sema &S, FunctionDecl *FD, const std::string &name, SourceLocation at)
    {
        if (FD->isDependentContext())
            return; /* a template's: mangled only once instantiated */
        std::unique_ptr<MangleContext> mc(S.Context.createMangleContext());
        PresumedLoc where = S.getSourceManager().getPresumedLoc(at);
        site_info site;
        site.name = name;
        site.file = where.isValid() ? where.getFilename() : "";
        site.line = where.isValid() ? where.getLine() : 0;
        std::vector<GlobalDecl> variants;
        if (auto *C = dyn_cast<CXXConstructorDecl>(FD))
            variants = {GlobalDecl(C, Ctor_Complete), GlobalDecl(C, Ctor_Base)};
        else if (auto *Dd = dyn_cast<CXXDestructorDecl>(FD))
            variants = {GlobalDecl(Dd, Dtor_Complete), GlobalDecl(Dd, Dtor_Base)};
        for (const GlobalDecl &gd : variants) {
            std::string symbol;
            llvm::raw_string_ostream os(symbol);
            mc->mangleName(gd, os);
            structors[os.str()] = site;
        }
    }

    AttrHandling handleDeclAttribute(Sema &S, Decl *D, const ParsedAttr &Attr) const override
    {
        std::string name;
        if (Attr.getNumArgs() == 1) {
            auto *arg = Attr.isArgExpr(0) ? Attr.getArgAsExpr(0) : nullptr;
            auto *lit = arg ? dyn_cast<StringLiteral>(arg->IgnoreParenCasts()) : nullptr;
            if (!lit) {
                unsigned id = S.Diags.getCustomDiagID(
                    DiagnosticsEngine::Error,
                    "argument of %0 attribute must be a string literal (the subsegment name)");
                S.Diag(Attr.getLoc(), id) << Attr;
                return AttributeNotApplied;
            }
            if (lit->getLength() == 0) {
                unsigned id = S.Diags.getCustomDiagID(
                    DiagnosticsEngine::Error,
                    "%0 attribute: the subsegment name is empty; omit the argument to use the "
                    "name of the function");
                S.Diag(Attr.getLoc(), id) << Attr;
                return AttributeNotApplied;
            }
            name = lit->getString().str();
        }
        /* No name given: "" here, and the pass names it from its symbol as the GCC plugin
         * does (naming.h), once the function is mangled. */
        if (isa<CXXConstructorDecl>(D) || isa<CXXDestructorDecl>(D))
            note_structor(S, cast<FunctionDecl>(D), name, Attr.getLoc());
        D->addAttr(AnnotateAttr::Create(S.Context, ANNOTATION_PREFIX + name, nullptr, 0,
                                        Attr.getRange()));
        return AttributeApplied;
    }
};

ParsedAttrInfoRegistry::Add<XrayCaptureAttrInfo> attr_registration("xray_capture",
                                                                   "X-Ray capture attribute");

/* The path of this shared object, to hand to the code generator as a pass plugin. */
std::string self_path()
{
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&self_path), &info) && info.dli_fname)
        return info.dli_fname;
    return "";
}

bool parse_regex(DiagnosticsEngine &D, const std::string &key, const std::string &value,
                 std::unique_ptr<llvm::Regex> &out)
{
    std::string err;
    auto re = std::make_unique<llvm::Regex>(value, llvm::Regex::NoFlags);
    if (value.empty() || !re->isValid(err)) {
        unsigned id = D.getCustomDiagID(DiagnosticsEngine::Error,
                                        "xraycap: '%0=%1' is not a valid regular expression%2");
        D.Report(id) << key << value << (err.empty() ? "" : ": " + err);
        return false;
    }
    out = std::move(re);
    return true;
}

bool parse_patch(DiagnosticsEngine &D, const std::string &list)
{
    llvm::SmallVector<llvm::StringRef, 4> items;
    llvm::StringRef(list).split(items, ',');
    for (llvm::StringRef item : items) {
        int bit = patch_lib_bit(item.data(), item.size());
        if (!bit) {
            unsigned id = D.getCustomDiagID(DiagnosticsEngine::Error,
                                            "xraycap: 'patch=%0': unknown library '%1'; known: %2");
            D.Report(id) << list << item << patch_lib_names();
            return false;
        }
        opts.patch |= bit;
    }
    return true;
}

/* Custom diagnostics escape -Werror in Clang 14: apply it by hand. */
DiagnosticsEngine::Level warning_level(const DiagnosticsEngine &D)
{
    return D.getWarningsAsErrors() ? DiagnosticsEngine::Error : DiagnosticsEngine::Warning;
}

/* The attribute acts where it is on the definition (or on a declaration the definition sees):
 * a marked prototype whose function is defined in another file, which does not include it,
 * captures nothing. With warn-undefined (and verbose) each marked declaration this unit does not
 * define is named, so a user can check that the defining file sees the mark. */
class UndefinedMarks : public ASTConsumer, public RecursiveASTVisitor<UndefinedMarks> {
public:
    explicit UndefinedMarks(DiagnosticsEngine &D) : D(D) {}

    void HandleTranslationUnit(ASTContext &C) override { TraverseDecl(C.getTranslationUnitDecl()); }

    bool VisitFunctionDecl(FunctionDecl *FD)
    {
        if (!FD->isFirstDecl() || FD->isDefined() || !marked(FD))
            return true;
        unsigned id = D.getCustomDiagID(
            opts.warn_undefined ? warning_level(D) : DiagnosticsEngine::Remark,
            "xraycap: %0 is marked xray_capture but not defined in this file; it is captured "
            "only if the file that defines it sees the mark");
        D.Report(FD->getLocation(), id) << FD;
        return true;
    }

private:
    static bool marked(const FunctionDecl *FD)
    {
        for (const FunctionDecl *R : FD->redecls())
            for (const auto *A : R->specific_attrs<AnnotateAttr>())
                if (A->getAnnotation().startswith(ANNOTATION_PREFIX))
                    return true;
        return false;
    }
    DiagnosticsEngine &D;
};

/* Clang drops -fplugin-arg-NAME-... when no plugin called NAME is loaded, without a word: a
 * misspelled "-fplugin-arg-xraycapp-verbose" would silently do nothing. */
void warn_unclaimed_arguments(const CompilerInstance &CI)
{
    for (const auto &entry : CI.getFrontendOpts().PluginArgs) {
        bool loaded = false;
        for (const auto &plugin : FrontendPluginRegistry::entries())
            loaded = loaded || plugin.getName() == entry.first;
        if (loaded)
            continue;
        DiagnosticsEngine &D = CI.getDiagnostics();
        unsigned id = D.getCustomDiagID(warning_level(D),
                                        "xraycap: '-fplugin-arg-%0-%1' is for a plugin called "
                                        "'%0', which is not loaded; it is ignored%2");
        bool near = llvm::StringRef(entry.first).edit_distance("xraycap") <= 2;
        D.Report(id) << entry.first << (entry.second.empty() ? "" : entry.second.front())
                     << (near ? " (did you mean 'xraycap'?)" : "");
    }
}

/* Runs before the main action: defines the macro and arms the pass. */
class XraycapAction : public PluginASTAction {
protected:
    std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI, llvm::StringRef) override
    {
        opts.cplusplus = CI.getLangOpts().CPlusPlus;
        Preprocessor &PP = CI.getPreprocessor();
        PP.setPredefines(PP.getPredefines() + "#define __XRAYCAP__ 1\n");
        std::string self = self_path();
        auto &plugins = CI.getCodeGenOpts().PassPlugins;
        if (!self.empty() && std::find(plugins.begin(), plugins.end(), self) == plugins.end())
            plugins.push_back(self);
        if (opts.warn_undefined || opts.verbose)
            return std::make_unique<UndefinedMarks>(CI.getDiagnostics());
        return std::make_unique<ASTConsumer>();
    }

    bool ParseArgs(const CompilerInstance &CI, const std::vector<std::string> &args) override
    {
        DiagnosticsEngine &D = CI.getDiagnostics();
        bool ok = true;
        for (const std::string &a : args) {
            std::string key = a.substr(0, a.find('=')),
                        value = a.find('=') == std::string::npos ? "" : a.substr(a.find('=') + 1);
            if (a == "disable")
                opts.disable = true;
            else if (a == "verbose")
                opts.verbose = true;
            else if (a == "warn-undefined")
                opts.warn_undefined = true;
            else if (key == "functions")
                ok = parse_regex(D, key, value, opts.functions) && ok;
            else if (key == "exclude")
                ok = parse_regex(D, key, value, opts.exclude) && ok;
            else if (key == "patch")
                ok = parse_patch(D, value) && ok;
            else {
                unsigned id = D.getCustomDiagID(DiagnosticsEngine::Error,
                                                "xraycap: unknown option '%0'; known options: "
                                                "disable, functions=REGEX, exclude=REGEX, verbose, "
                                                "warn-undefined, patch=LIST");
                D.Report(id) << a;
                ok = false;
            }
        }
        warn_unclaimed_arguments(CI);
        return ok;
    }

    ActionType getActionType() override { return AddBeforeMainAction; }
};

FrontendPluginRegistry::Add<XraycapAction> action_registration("xraycap", "X-Ray capture");

/* ---- the instrumentation pass --------------------------------------------------------- */

/* Marked functions from llvm.global.annotations; our entries are removed from it afterwards
 * so the annotations do not keep otherwise-unused functions alive. */
std::map<llvm::Function *, site_info> marked_functions(llvm::Module &M)
{
    std::map<llvm::Function *, site_info> out;
    llvm::GlobalVariable *GA = M.getNamedGlobal("llvm.global.annotations");
    if (!GA || !GA->hasInitializer())
        return out;
    auto *arr = llvm::dyn_cast<llvm::ConstantArray>(GA->getInitializer());
    if (!arr)
        return out;
    std::vector<llvm::Constant *> keep;
    for (llvm::Use &U : arr->operands()) {
        auto *entry = llvm::dyn_cast<llvm::ConstantStruct>(U.get());
        if (!entry || entry->getNumOperands() < 4)
            continue;
        auto *fn = llvm::dyn_cast<llvm::Function>(entry->getOperand(0)->stripPointerCasts());
        auto *strvar = llvm::dyn_cast<llvm::GlobalVariable>(entry->getOperand(1)->stripPointerCasts());
        auto *filevar = llvm::dyn_cast<llvm::GlobalVariable>(entry->getOperand(2)->stripPointerCasts());
        llvm::StringRef text;
        if (strvar && strvar->hasInitializer())
            if (auto *cda = llvm::dyn_cast<llvm::ConstantDataArray>(strvar->getInitializer()))
                text = cda->getAsCString();
        if (!fn || !text.startswith(ANNOTATION_PREFIX)) {
            keep.push_back(entry);
            continue;
        }
        site_info &s = out[fn];
        s.name = text.drop_front(sizeof ANNOTATION_PREFIX - 1).str();
        if (filevar && filevar->hasInitializer())
            if (auto *cda = llvm::dyn_cast<llvm::ConstantDataArray>(filevar->getInitializer()))
                s.file = cda->getAsCString().str();
        if (auto *line = llvm::dyn_cast<llvm::ConstantInt>(entry->getOperand(3)))
            s.line = (unsigned)line->getZExtValue();
    }
    if (keep.size() != arr->getNumOperands()) {
        if (keep.empty()) {
            GA->eraseFromParent();
        } else {
            auto *type = llvm::ArrayType::get(arr->getType()->getElementType(), keep.size());
            auto *fresh = new llvm::GlobalVariable(M, type, GA->isConstant(), GA->getLinkage(),
                                                   llvm::ConstantArray::get(type, keep), "", GA);
            fresh->setSection(GA->getSection());
            fresh->takeName(GA);
            GA->eraseFromParent();
        }
    }
    return out;
}

std::string printable(const llvm::Function &F)
{
    std::string d = llvm::demangle(F.getName().str());
    return d;
}

/* Name for a function picked by the functions= regex: the demangled name without arguments. */
std::string plain_name(const llvm::Function &F)
{
    std::string d = printable(F);
    size_t paren = d.find('(');
    return paren == std::string::npos ? d : d.substr(0, paren);
}

bool regex_matches(const llvm::Regex &re, const llvm::Function &F)
{
    return re.match(F.getName()) || re.match(plain_name(F));
}

llvm::Constant *cstring(llvm::Module &M, llvm::StringRef s)
{
    llvm::IRBuilder<> B(M.getContext());
    auto *init = llvm::ConstantDataArray::getString(M.getContext(), s);
    auto *gv = new llvm::GlobalVariable(M, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                        init, "__xraycap_str");
    gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return llvm::ConstantExpr::getPointerCast(gv, llvm::Type::getInt8PtrTy(M.getContext()));
}

/* patch=: calls to the library functions go to xraycap's tracing wrappers instead. */
bool redirect_library_calls(llvm::Module &M)
{
    bool changed = false;
    for (const auto &p : patches) {
        llvm::Function *F = M.getFunction(p.from);
        if (!(opts.patch & p.lib) || !F || !F->isDeclaration() || F->use_empty())
            continue;
        llvm::FunctionCallee W = M.getOrInsertFunction(p.to, F->getFunctionType());
        F->replaceAllUsesWith(llvm::ConstantExpr::getPointerCast(
            llvm::cast<llvm::Constant>(W.getCallee()), F->getType()));
        changed = true;
    }
    return changed;
}

/* A C++ unit with a captured function defines the weak __xraycap_cplusplus = 1, so that the
 * runtime writes service.runtime "C++" (the runtime itself cannot tell). */
void mark_cplusplus(llvm::Module &M)
{
    const char *sym = "__xraycap_cplusplus";
    if (!opts.cplusplus || M.getNamedGlobal(sym))
        return;
    llvm::Type *i32 = llvm::Type::getInt32Ty(M.getContext());
    new llvm::GlobalVariable(M, i32, true, llvm::GlobalValue::WeakAnyLinkage,
                             llvm::ConstantInt::get(i32, 1), sym);
}

struct CapturePass : llvm::PassInfoMixin<CapturePass> {
    llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &)
    {
        if (opts.disable)
            return llvm::PreservedAnalyses::all();
        bool patched = redirect_library_calls(M);
        std::map<llvm::Function *, site_info> marked = marked_functions(M);
        llvm::LLVMContext &C = M.getContext();
        llvm::Type *i8p = llvm::Type::getInt8PtrTy(C), *tok = llvm::Type::getInt64Ty(C);
        llvm::Type *i32 = llvm::Type::getInt32Ty(C);
        llvm::StructType *site_type = llvm::StructType::get(C, {i8p, i8p, i8p, i32, i32});
        bool changed = !marked.empty() || patched;
        for (llvm::Function &F : M) {
            if (F.isDeclaration())
                continue;
            auto it = marked.find(&F);
            auto structor = structors.find(F.getName().str());
            site_info site;
            if (it != marked.end() || structor != structors.end()) {
                site = it != marked.end() ? it->second : structor->second;
                if (site.name.empty())
                    site.name = xraycap::display_name(F.getName().str().c_str(), site.line);
            }
            else if (opts.functions && regex_matches(*opts.functions, F))
                site.name = xraycap::display_name(F.getName().str().c_str(), 0);
            else
                continue;
            if (opts.exclude && regex_matches(*opts.exclude, F))
                continue;
            /* Registered twice (-fplugin and -fpass-plugin both given) must not mean twice. */
            if (F.hasFnAttribute(llvm::Attribute::Naked) || F.hasFnAttribute(INSTRUMENTED))
                continue;
            instrument(M, F, site, site_type, i8p, tok);
            changed = true;
            mark_cplusplus(M);
        }
        return changed ? llvm::PreservedAnalyses::none() : llvm::PreservedAnalyses::all();
    }

    void instrument(llvm::Module &M, llvm::Function &F, const site_info &s,
                    llvm::StructType *site_type, llvm::Type *i8p, llvm::Type *tok)
    {
        llvm::LLVMContext &C = M.getContext();
        llvm::Type *i32 = llvm::Type::getInt32Ty(C);
        auto *init = llvm::ConstantStruct::get(
            site_type, {cstring(M, s.name), cstring(M, printable(F)), cstring(M, s.file),
                        llvm::ConstantInt::get(i32, s.line), llvm::ConstantInt::get(i32, 0)});
        auto *site = new llvm::GlobalVariable(M, site_type, true, llvm::GlobalValue::PrivateLinkage,
                                              init, "__xraycap_site");
        llvm::FunctionCallee enter = M.getOrInsertFunction(
            "__xraycap_enter", llvm::FunctionType::get(tok, {i8p}, false));
        llvm::FunctionCallee exit_fn = M.getOrInsertFunction(
            "__xraycap_exit", llvm::FunctionType::get(llvm::Type::getVoidTy(C), {tok}, false));
        llvm::FunctionCallee exit_exc = M.getOrInsertFunction(
            "__xraycap_exit_exception",
            llvm::FunctionType::get(llvm::Type::getVoidTy(C), {tok, i8p}, false));
        for (llvm::FunctionCallee fc : {enter, exit_fn, exit_exc})
            if (auto *decl = llvm::dyn_cast<llvm::Function>(fc.getCallee()))
                decl->addFnAttr(llvm::Attribute::NoUnwind);

        F.addFnAttr(INSTRUMENTED);
        /* The inserted calls get a source location (the function's opening line where the
         * way out has none of its own), so a stack recorded from the unwinding landing pad
         * still names a line of this function. */
        llvm::DebugLoc opening;
        if (llvm::DISubprogram *SP = F.getSubprogram())
            opening = llvm::DILocation::get(C, SP->getScopeLine(), 0, SP);
        llvm::IRBuilder<> B(&*F.getEntryBlock().getFirstInsertionPt());
        B.SetCurrentDebugLocation(opening);
        llvm::Value *token =
            B.CreateCall(enter, {llvm::ConstantExpr::getPointerCast(site, i8p)}, "xraycap_token");

        /* Unwinding is handled only where the function can be unwound at all. */
        llvm::EscapeEnumerator EE(F, "xraycap_cleanup", !F.doesNotThrow());
        while (llvm::IRBuilder<> *AtExit = EE.Next()) {
            llvm::Instruction *at = &*AtExit->GetInsertPoint();
            AtExit->SetCurrentDebugLocation(at->getDebugLoc() ? at->getDebugLoc() : opening);
            if (auto *R = llvm::dyn_cast<llvm::ResumeInst>(at)) {
                llvm::Value *exc = AtExit->CreateExtractValue(R->getValue(), 0);
                AtExit->CreateCall(exit_exc, {token, AtExit->CreatePointerCast(exc, i8p)});
            } else {
                /* if (token != 0) __xraycap_exit(token): no segment (or an unsampled one)
                 * gives 0, and the way out then costs a compare, not a call */
                llvm::Value *some = AtExit->CreateICmpNE(token, llvm::ConstantInt::get(tok, 0));
                llvm::Instruction *then = llvm::SplitBlockAndInsertIfThen(some, at, false);
                llvm::IRBuilder<> T(then);
                T.SetCurrentDebugLocation(AtExit->getCurrentDebugLocation());
                T.CreateCall(exit_fn, {token});
            }
        }
        if (opts.verbose)
            llvm::errs() << "xraycap: capturing '" << printable(F) << "' as subsegment '"
                         << s.name << "'\n";
    }
};

} // namespace

/* The pass plugin entry point, for -fpass-plugin= and for the path the action adds. */
extern "C" LLVM_ATTRIBUTE_WEAK ::llvm::PassPluginLibraryInfo llvmGetPassPluginInfo()
{
    return {LLVM_PLUGIN_API_VERSION, "xraycap", XRAYCAP_VERSION, [](llvm::PassBuilder &PB) {
                /* Pipeline start: before inlining, at -O0 too, once per compilation. */
                PB.registerPipelineStartEPCallback(
                    [](llvm::ModulePassManager &MPM, llvm::OptimizationLevel) {
                        MPM.addPass(CapturePass());
                    });
            }};
}
