// REQUIRES: plugin
// Every failure of a bridged pass is an error on the module and a pass failure, never a crash.
//
// A user error from the Python pass, located at the op it names.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{fail="kernel not supported"})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FAIL --implicit-check-not=Traceback
//
// An internal error (a Python exception) comes with its traceback.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{crash=true})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=CRASH
// CRASH: error: liftcomp-test-bridge: internal error in liftcomp pass 'liftcomp-test-bridge':
// CRASH: Traceback
// CRASH: RuntimeError: liftcomp-test-bridge crashed on request
//
// Bad options fail when the pipeline is parsed, with a message naming the option.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{colour=red})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OPTION --implicit-check-not=Traceback
// OPTION: <unknown>:0: error: liftcomp-test-bridge: invalid options 'colour=red': unknown option 'colour' (options: tag, count-ops, fail, crash, unregistered, remark)
// OPTION-NEXT: failed to add `liftcomp-test-bridge` with options `colour=red`
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{count-ops=maybe})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OPTTYPE --implicit-check-not=Traceback
// OPTTYPE: <unknown>:0: error: liftcomp-test-bridge: invalid options 'count-ops=maybe': option 'count-ops' expects true or false, got 'maybe'
// A pipeline xDSL cannot parse is reported with xDSL's pointer into the option text.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{tag=})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OPTSYNTAX --implicit-check-not=Traceback
// OPTSYNTAX: <unknown>:0: error: liftcomp-test-bridge: invalid options 'tag=':
// OPTSYNTAX-NEXT: Error parsing pass pipeline specification:
// OPTSYNTAX: Unknown argument value, wrap argument in quotes to pass arbitrary string values
//
// Remarks of a Python pass are MLIR remarks at their locations; the pass still succeeds.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-test-bridge{remark="seen by Python"})' \
// RUN:   %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
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
// The located diagnostics above point at this function:
// FAIL: errors.mlir:[[@LINE+2]]:1: error: liftcomp-test-bridge: kernel not supported
// REMARK: errors.mlir:[[@LINE+1]]:1: remark: seen by Python
func.func @f(%a: i32) -> i32 {
  return %a : i32
}
