// REQUIRES: plugin
// Every failure of a bridged pass is an error on the module and a pass failure, never a crash.
//
// A user error from the Python pass, located at the op it names.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{fail="kernel not supported"})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FAIL
// FAIL: errors.mlir:[[@LINE+28]]:1: error: liftcomp-test-bridge: kernel not supported
//
// An internal error (a Python exception) comes with its traceback.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{crash=true})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=CRASH
// CRASH: error: liftcomp-test-bridge: internal error in liftcomp pass 'liftcomp-test-bridge':
// CRASH: Traceback
// CRASH: RuntimeError: liftcomp-test-bridge crashed on request
//
// Bad options fail when the pipeline is parsed, with xDSL's message.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{colour=red})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OPTION
// OPTION: error: liftcomp-test-bridge: invalid options 'colour=red': Provided arguments ["colour"] not found
// OPTION: failed to add `liftcomp-test-bridge` with options `colour=red`
//
// IR that mlir-opt cannot read back is refused and the module stays as it was before the
// pass: the first tag is there, the second pass's tag and unknown op are not.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{tag=first}, liftcomp-test-bridge{tag=second unregistered=true})' \
// RUN:   --mlir-print-ir-after-failure %s 2>&1 | FileCheck %s --check-prefix=UNTOUCHED
// UNTOUCHED: error: liftcomp-test-bridge: mlir-opt cannot read back the module the Python pass returned
// UNTOUCHED: operation being parsed with an unregistered dialect
// UNTOUCHED: IR Dump After LiftcompTestBridge Failed
// UNTOUCHED: func.func @f(%arg0: i32) -> i32 attributes {liftcomp.tag = "first"}
// UNTOUCHED-NOT: second
// UNTOUCHED-NOT: test_bridge.unknown
func.func @f(%a: i32) -> i32 {
  return %a : i32
}
