//===- PythonBridge.cpp - the embedded CPython running liftcomp's passes --===//
//
// The interpreter is the project's venv: its executable (LIFTCOMP_PYTHON, set
// at build time) is given as program_name so that Python's own path logic finds
// pyvenv.cfg and the venv's site-packages, exactly as `.venv/bin/python` does.
// The config is isolated: PYTHON* variables of the user's shell cannot point
// the plugin at another installation, and Python installs no signal handlers
// in mlir-opt's process.
//
//===----------------------------------------------------------------------===//

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "PythonBridge.h"

#include "llvm/ADT/SmallVector.h"

#include <dlfcn.h>
#include <mutex>

using namespace liftcomp;

namespace {

constexpr const char *kBridgeModule = "liftcomp.interop.bridge";

std::once_flag initOnce;
std::string initError;    // set once, by initialize()
PyObject *bridge = nullptr; // liftcomp.interop.bridge, owned forever

/// Extension modules (numpy, z3, ...) resolve CPython's symbols globally, but
/// the plugin's own dependencies may have been loaded RTLD_LOCAL: promote
/// libpython to the global scope before any extension is imported.
void makeLibpythonGlobal() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&Py_InitializeFromConfig), &info) ||
      !info.dli_fname)
    return;
  dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

/// The pending Python exception as text (with its traceback); clears it.
std::string takePythonError() {
  PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
  PyErr_Fetch(&type, &value, &tb);
  if (!type)
    return "unknown Python error";
  PyErr_NormalizeException(&type, &value, &tb);
  std::string message = "Python error";
  PyObject *traceback = PyImport_ImportModule("traceback");
  PyObject *lines =
      traceback ? PyObject_CallMethod(traceback, "format_exception", "OOO",
                                      type, value ? value : Py_None,
                                      tb ? tb : Py_None)
                : nullptr;
  PyObject *empty = PyUnicode_FromString("");
  PyObject *joined = lines && empty ? PyUnicode_Join(empty, lines) : nullptr;
  if (const char *utf8 = joined ? PyUnicode_AsUTF8(joined) : nullptr)
    message = utf8;
  PyErr_Clear(); // formatting itself may have failed: keep the generic text
  Py_XDECREF(joined);
  Py_XDECREF(empty);
  Py_XDECREF(lines);
  Py_XDECREF(traceback);
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  return message;
}

void initialize() {
  if (Py_IsInitialized()) {
    // Someone else in this process embeds Python already: share it.
    PyGILState_STATE gil = PyGILState_Ensure();
    bridge = PyImport_ImportModule(kBridgeModule);
    if (!bridge)
      initError = takePythonError();
    PyGILState_Release(gil);
    return;
  }
  makeLibpythonGlobal();

  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  PyStatus status =
      PyConfig_SetBytesString(&config, &config.program_name, LIFTCOMP_PYTHON);
  if (!PyStatus_Exception(status))
    status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    initError = std::string("cannot start the embedded Python (") +
                LIFTCOMP_PYTHON + "): " +
                (status.err_msg ? status.err_msg : "unknown error");
    return;
  }
  bridge = PyImport_ImportModule(kBridgeModule);
  if (!bridge)
    initError = "cannot import " + std::string(kBridgeModule) + " with " +
                LIFTCOMP_PYTHON + " (is liftcomp installed in that venv?):\n" +
                takePythonError();
  // Release the GIL taken by initialisation: every call below re-acquires it,
  // from whichever thread mlir-opt runs the pass on.
  PyEval_SaveThread();
}

/// Calls bridge.<function>(*args) on string arguments; the function returns
/// (ok: bool, text: str) or, for an error at a source location,
/// (False, message: str, file: str, line: int, column: int).
BridgeResult callBridge(const char *function,
                        std::initializer_list<llvm::StringRef> args) {
  std::call_once(initOnce, initialize);
  if (!initError.empty())
    return {false, initError};

  PyGILState_STATE gil = PyGILState_Ensure();
  BridgeResult result;
  PyObject *tuple = PyTuple_New(static_cast<Py_ssize_t>(args.size()));
  Py_ssize_t i = 0;
  for (llvm::StringRef arg : args) {
    PyObject *str = PyUnicode_DecodeUTF8(arg.data(), arg.size(), "strict");
    if (!str)
      break;
    PyTuple_SET_ITEM(tuple, i++, str); // steals the reference
  }
  PyObject *fn = PyErr_Occurred() ? nullptr
                                  : PyObject_GetAttrString(bridge, function);
  PyObject *ret = fn ? PyObject_CallObject(fn, tuple) : nullptr;
  const char *text = nullptr, *file = nullptr;
  Py_ssize_t textSize = 0;
  int ok = 0;
  unsigned line = 0, column = 0;
  if (!ret) {
    result = {false, takePythonError()};
  } else if (!PyArg_ParseTuple(ret, "ps#|sII", &ok, &text, &textSize, &file,
                               &line, &column)) {
    PyErr_Clear();
    result = {false, std::string(kBridgeModule) + "." + function +
                         " must return (bool, str[, str, int, int])"};
  } else {
    result = {ok != 0, std::string(text, static_cast<size_t>(textSize)),
              file ? file : "", line, column};
  }
  Py_XDECREF(ret);
  Py_XDECREF(fn);
  Py_XDECREF(tuple);
  PyGILState_Release(gil);
  return result;
}

} // namespace

std::vector<std::string> liftcomp::bridgePassNames(std::string &error) {
  // bridge.pass_names_text() joins the names with newlines: one call shape.
  BridgeResult r = callBridge("pass_names_text", {});
  if (!r.ok) {
    error = r.text;
    return {};
  }
  std::vector<std::string> names;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(r.text).split(parts, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef part : parts)
    names.push_back(part.str());
  return names;
}

BridgeResult liftcomp::bridgeCheckOptions(llvm::StringRef passName,
                                          llvm::StringRef options) {
  return callBridge("check_options", {passName, options});
}

BridgeResult liftcomp::bridgeRunPass(llvm::StringRef passName,
                                     llvm::StringRef options,
                                     llvm::StringRef moduleText) {
  return callBridge("run_pass", {passName, options, moduleText});
}

BridgeResult liftcomp::bridgeTakeRemarks() {
  return callBridge("take_remarks", {});
}
