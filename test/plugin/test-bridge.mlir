// REQUIRES: plugin
// Upstream passes before and after a liftcomp pass, in one mlir-opt-22 invocation: the Python
// pass sees canonicalize's result (2 ops left in @add, not 4) and cse runs on what it returned.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(canonicalize, liftcomp-test-bridge{tag="a b" count-ops=true}, cse)' %s \
// RUN:   | FileCheck %s
// The output reads back in mlir-opt-22 and in xDSL (generic form).
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge{tag=x})' --mlir-print-op-generic %s \
// RUN:   | xdsl-opt | FileCheck %s --check-prefix=XDSL
// Without options the pass changes nothing: same output as mlir-opt-22 alone.
// RUN: mlir-opt-22 %s > %t.plain
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(liftcomp-test-bridge)' %s > %t.bridged
// RUN: diff %t.plain %t.bridged

// CHECK-LABEL: func.func @add
// CHECK-SAME: liftcomp.num_ops = 2 : i64, liftcomp.tag = "a b"
// CHECK-NEXT:  %[[S:.*]] = arith.addi %arg0, %arg1 : i32
// CHECK-NEXT:  return %[[S]] : i32
func.func @add(%a: i32, %b: i32) -> i32 {
  %c0 = arith.constant 0 : i32
  %x = arith.addi %a, %c0 : i32
  %y = arith.addi %x, %b : i32
  return %y : i32
}

// cse after the bridge merges the two identical loads the Python pass handed back.
// CHECK-LABEL: func.func @loads
// CHECK-SAME: liftcomp.tag = "a b"
// CHECK: memref.load
// CHECK-NOT: memref.load
// CHECK: arith.addf
func.func @loads(%m: memref<4xf32>, %i: index) -> f32 {
  %0 = memref.load %m[%i] : memref<4xf32>
  %1 = memref.load %m[%i] : memref<4xf32>
  %2 = arith.addf %0, %1 : f32
  return %2 : f32
}

// XDSL: liftcomp.tag = "x"
// XDSL: liftcomp.tag = "x"
