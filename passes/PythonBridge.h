//===- PythonBridge.h - the embedded CPython running liftcomp's passes ----===//
//
// One interpreter per process (the project's venv, see LIFTCOMP_PYTHON),
// started on first use. Every call takes the GIL itself; Python exceptions
// come back as messages, never as crashes.
//
//===----------------------------------------------------------------------===//

#ifndef LIFTCOMP_PASSES_PYTHONBRIDGE_H
#define LIFTCOMP_PASSES_PYTHONBRIDGE_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace liftcomp {

/// Either the value a Python call returned (ok) or a readable error message,
/// with the source location it names when it names one (file is then set).
struct BridgeResult {
  bool ok = false;
  std::string text;
  std::string file;
  unsigned line = 0, column = 0;
};

/// Names of liftcomp's passes, from liftcomp.interop.bridge.pass_names().
/// On failure, `error` says why and the list is empty.
std::vector<std::string> bridgePassNames(std::string &error);

/// Checks pass options without running anything: ok, or the error message.
BridgeResult bridgeCheckOptions(llvm::StringRef passName,
                                llvm::StringRef options);

/// Runs one liftcomp pass on a module in generic form: ok with the new module
/// (generic form), or not ok with the diagnostic to report.
BridgeResult bridgeRunPass(llvm::StringRef passName, llvm::StringRef options,
                           llvm::StringRef moduleText);

/// The remarks the last bridgeRunPass on this thread emitted, as a JSON list of
/// {"message", "file", "line", "column"} objects (file empty: no source position).
BridgeResult bridgeTakeRemarks();

} // namespace liftcomp

#endif // LIFTCOMP_PASSES_PYTHONBRIDGE_H
