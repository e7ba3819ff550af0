//===- LiftcompPlugin.cpp - liftcomp's passes inside mlir-opt -------------===//
//
// mlir-opt-22 --load-pass-plugin=build/passes/LiftcompPlugin.so \
//   --pass-pipeline='builtin.module(canonicalize, liftcomp-raise{opt=v})'
//
// One mlir-opt pass per pass of liftcomp's xDSL universe (names asked from
// Python when the plugin loads). Each runs on a builtin.module: the module is
// printed in generic form, handed to liftcomp.interop.bridge.run_pass in the
// embedded interpreter, and the returned module (generic form) is parsed,
// verified and swapped in. Options are kept as text and parsed by xDSL, so they
// are exactly the Python pass's options. Any failure (bad options, a Python
// error, IR that does not parse back) is an error diagnostic on the module (or
// at the source location the Python error names) and a pass failure, with the
// module left untouched. Remarks the Python pass emits become MLIR remarks.
//
//===----------------------------------------------------------------------===//

#include "PythonBridge.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <deque>
#include <iterator>

using namespace mlir;

namespace {

/// What distinguishes one bridged pass from another. Lives as long as the
/// process (passes keep a reference).
struct BridgedPassInfo {
  std::string argument;    // e.g. "liftcomp-raise", the xDSL pass name
  std::string className;   // for timing/statistics output
  std::string description;
  TypeID typeID;
  bool nestable;           // also runs on func.func, one function at a time
};

/// Anchored on builtin.module, or (nestable passes) on func.func: the function is
/// then handed to Python alone, in a module of its own, and its result swapped in.
class BridgePass : public OperationPass<> {
public:
  explicit BridgePass(const BridgedPassInfo &info)
      : OperationPass<>(info.typeID), info(info) {}
  BridgePass(const BridgePass &other)
      : OperationPass<>(other), info(other.info),
        optionsText(other.optionsText) {}

  bool canScheduleOn(RegisteredOperationName opName) const override {
    return opName.getStringRef() == ModuleOp::getOperationName() ||
           (info.nestable &&
            opName.getStringRef() == func::FuncOp::getOperationName());
  }

  StringRef getName() const override { return info.className; }
  StringRef getArgument() const override { return info.argument; }
  StringRef getDescription() const override { return info.description; }

  /// Keep the option text for xDSL; ask Python now so that a bad option fails
  /// when the pipeline is parsed, before anything runs.
  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    optionsText = options.trim().str();
    liftcomp::BridgeResult check =
        liftcomp::bridgeCheckOptions(info.argument, optionsText);
    if (!check.ok)
      return errorHandler(info.argument + ": " + check.text);
    return success();
  }

  /// Everything liftcomp's passes may create must be loaded before the pass
  /// manager goes multi-threaded.
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<affine::AffineDialect, arith::ArithDialect,
                    bufferization::BufferizationDialect, func::FuncDialect,
                    linalg::LinalgDialect, math::MathDialect,
                    memref::MemRefDialect, scf::SCFDialect,
                    tensor::TensorDialect>();
  }

  std::unique_ptr<Pass> clonePass() const override {
    return std::make_unique<BridgePass>(*this);
  }

  void runOnOperation() override {
    Operation *op = getOperation();
    auto fn = dyn_cast<func::FuncOp>(op);
    std::string input;
    {
      llvm::raw_string_ostream os(input);
      if (fn)
        os << "\"builtin.module\"() ({\n";
      op->print(os, OpPrintingFlags()
                        .printGenericOpForm()
                        .useLocalScope()
                        .enableDebugInfo(/*enable=*/true,
                                         /*prettyForm=*/false));
      if (fn)
        os << "\n}) : () -> ()\n";
    }
    liftcomp::BridgeResult result =
        liftcomp::bridgeRunPass(info.argument, optionsText, input);
    emitRemarks(op);
    if (!result.ok) {
      Location where = op->getLoc();
      if (!result.file.empty())
        where = FileLineColLoc::get(&getContext(), result.file, result.line,
                                    result.column);
      emitError(where) << info.argument << ": " << result.text;
      return signalPassFailure();
    }

    // Parse (and verify) the result in our context before touching the module.
    std::string parseErrors;
    OwningOpRef<ModuleOp> output;
    {
      ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &diag) {
        llvm::raw_string_ostream os(parseErrors);
        os << "\n" << diag.getLocation() << ": " << diag;
        for (Diagnostic &note : diag.getNotes())
          os << "\n  note: " << note;
        return success();
      });
      ParserConfig config(&getContext());
      output = parseSourceString<ModuleOp>(result.text, config,
                                           info.argument + "-output");
    }
    if (!output) {
      op->emitError()
          << info.argument
          << ": mlir-opt cannot read back the module the Python pass returned "
             "(for liftcomp's own dialects, add --irdl-file=dialects/all.irdl.mlir, "
             "see liftcomp plugin-path --irdl):"
          << parseErrors;
      return signalPassFailure();
    }
    if (!fn) {
      op->setAttrs(output->getOperation()->getAttrDictionary());
      op->getRegion(0).takeBody(output->getBodyRegion());
      return;
    }
    // The function alone: the result must be one function of the same name.
    auto funcs = output->getOps<func::FuncOp>();
    if (std::distance(funcs.begin(), funcs.end()) != 1 ||
        (*funcs.begin()).getSymName() != fn.getSymName()) {
      fn.emitError() << info.argument
                     << ": the Python pass did not return the function alone";
      return signalPassFailure();
    }
    func::FuncOp newFn = *funcs.begin();
    fn->setAttrs(newFn->getAttrDictionary());
    fn.getBody().takeBody(newFn.getBody());
  }

private:
  /// The pass's remarks (remarks=true), as MLIR remarks at their source locations.
  void emitRemarks(Operation *op) {
    liftcomp::BridgeResult remarks = liftcomp::bridgeTakeRemarks();
    if (!remarks.ok) {
      emitWarning(op->getLoc())
          << info.argument << ": lost the pass's remarks: " << remarks.text;
      return;
    }
    llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(remarks.text);
    if (!parsed) {
      emitWarning(op->getLoc())
          << info.argument << ": lost the pass's remarks: "
          << llvm::toString(parsed.takeError());
      return;
    }
    const llvm::json::Array *list = parsed->getAsArray();
    if (!list)
      return;
    for (const llvm::json::Value &item : *list) {
      const llvm::json::Object *remark = item.getAsObject();
      if (!remark)
        continue;
      Location where = op->getLoc();
      std::optional<StringRef> file = remark->getString("file");
      if (file && !file->empty())
        where = FileLineColLoc::get(
            &getContext(), *file,
            static_cast<unsigned>(remark->getInteger("line").value_or(0)),
            static_cast<unsigned>(remark->getInteger("column").value_or(0)));
      emitRemark(where) << remark->getString("message").value_or("");
    }
  }

  const BridgedPassInfo &info;
  std::string optionsText;
};

std::string classNameFor(StringRef argument) {
  // liftcomp-lower-gemmini -> LiftcompLowerGemmini (as --mlir-timing prints)
  std::string name;
  bool upper = true;
  for (char c : argument) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(toupper(c)) : c;
    upper = false;
  }
  return name;
}

void registerBridgedPasses() {
  static TypeIDAllocator typeIDs;
  static std::deque<BridgedPassInfo> infos; // stable addresses
  std::string error;
  std::vector<std::string> names = liftcomp::bridgePassNames(error);
  if (!error.empty()) {
    llvm::errs() << "LiftcompPlugin: no liftcomp pass is available: " << error
                 << "\n";
    return;
  }
  for (const std::string &row : names) {
    // "name<TAB>nestable"
    auto [name, nestable] = StringRef(row).split('\t');
    std::string usage =
        "--pass-pipeline='builtin.module(" + name.str() + "{options})'";
    if (nestable == "1")
      usage += " or 'builtin.module(func.func(" + name.str() + "))'";
    infos.push_back({name.str(), classNameFor(name),
                     "liftcomp pass, run it with " + usage +
                         " (plugin passes have no bare --flag)",
                     typeIDs.allocate(), nestable == "1"});
    const BridgedPassInfo &info = infos.back();
    registerPass([&info] { return std::make_unique<BridgePass>(info); });
  }
}

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "LiftcompPlugin", LLVM_VERSION_STRING,
          registerBridgedPasses};
}
