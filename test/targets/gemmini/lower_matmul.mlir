// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt -p liftcomp-lower-gemmini | FileCheck %s
// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt -p 'liftcomp-lower-gemmini{form="loop_ws"}' | FileCheck %s --check-prefix=FSM

// The library schedule as explicit instructions: configs, tile loops, mvins of B and A,
// preload + compute, mvout of full int32 rows, fence; no tensor ops left.
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.
// CHECK-NOT: bufferization.
// CHECK: gemmini.config_ex
// CHECK: gemmini.config_st %{{.*}} {elem_bits = 32 : i64}
// CHECK: gemmini.config_ld
// CHECK: scf.for
// CHECK: gemmini.mvin %arg1
// CHECK: gemmini.mvin %arg0
// CHECK: "gemmini.preload"
// CHECK: "gemmini.compute_preloaded"
// CHECK: "gemmini.compute_accumulated"
// CHECK: gemmini.mvout %{{.*}} to %arg2{{.*}} {space = "acc", full}
// CHECK: gemmini.fence

// FSM-LABEL: func.func @matmul
// FSM: "gemmini.loop_ws"
// FSM-SAME: full_c
// FSM-NOT: gemmini.mvin
// FSM: gemmini.fence
func.func @matmul(%A: memref<100x70xi8>, %B: memref<70x130xi8>, %C: memref<100x130xi32>) {
  %a = bufferization.to_tensor %A restrict : memref<100x70xi8> to tensor<100x70xi8>
  %b = bufferization.to_tensor %B restrict : memref<70x130xi8> to tensor<70x130xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<100x130xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<100x130xi32>) -> tensor<100x130xi32>
  %r = linalg.matmul ins(%a, %b : tensor<100x70xi8>, tensor<70x130xi8>) outs(%f : tensor<100x130xi32>) -> tensor<100x130xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<100x130xi32>, memref<100x130xi32>) -> ()
  return
}
