// An int8 -> int32 GEMM loop nest raised by `liftcomp lift`: one mixed-precision `linalg.matmul`
// on the i8 tensors with an i32 accumulator (the body sign-extends each element; no widened
// copies of the operands), accumulating into a zero-filled tensor written to C. Upstream
// lowers it back to loops.
//
// RUN: liftcomp lift -q %s | FileCheck %s
// RUN: liftcomp lift -q --generic %s \
// RUN:   | mlir-opt-22 --pass-pipeline='builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, func.func(convert-linalg-to-loops), cse, canonicalize)' \
// RUN:   | FileCheck %s --check-prefix=LOOPS

// CHECK-LABEL: func.func @gemm_i8_i32(
// CHECK-SAME:    %[[A:[a-z0-9]+]]: memref<16x32xi8>, %[[B:[a-z0-9]+]]: memref<32x8xi8>, %[[C:[a-z0-9]+]]: memref<16x8xi32>)
// CHECK-NOT:   scf.for
// CHECK-DAG:   %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK-DAG:   %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : i32) outs(%{{.+}} : tensor<16x8xi32>) -> tensor<16x8xi32>
// CHECK-DAG:   %[[TA:.+]] = bufferization.to_tensor %[[A]] restrict : memref<16x32xi8> to tensor<16x32xi8>
// CHECK-DAG:   %[[TB:.+]] = bufferization.to_tensor %[[B]] restrict : memref<32x8xi8> to tensor<32x8xi8>
// CHECK-NOT:   linalg.generic
// CHECK:       %[[P:.+]] = linalg.matmul ins(%[[TA]], %[[TB]] : tensor<16x32xi8>, tensor<32x8xi8>) outs(%[[INIT]] : tensor<16x8xi32>) -> tensor<16x8xi32>
// CHECK-NEXT:  bufferization.materialize_in_destination %[[P]] in restrict writable %[[C]] : (tensor<16x8xi32>, memref<16x8xi32>) -> ()
// CHECK-NOT:   scf.for
// CHECK:       return

// The accumulator lives in C itself, the operands are read where they are: no buffer at all.
// LOOPS-LABEL: func.func @gemm_i8_i32(
// LOOPS-NOT:   memref.alloc
// LOOPS:       memref.store %{{.+}}, %arg2
// LOOPS:       scf.for
// LOOPS:       scf.for
// LOOPS:       scf.for
// LOOPS:       arith.extsi
// LOOPS:       arith.extsi
// LOOPS:       arith.muli
// LOOPS:       arith.addi
// LOOPS:       memref.store %{{.+}}, %arg2
// LOOPS-NOT:   memref.copy
// LOOPS:       return

func.func @gemm_i8_i32(%A: memref<16x32xi8>, %B: memref<32x8xi8>, %C: memref<16x8xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %c16 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %acc = scf.for %k = %c0 to %c32 step %c1 iter_args(%s = %zero) -> (i32) {
        %a = memref.load %A[%i, %k] : memref<16x32xi8>
        %b = memref.load %B[%k, %j] : memref<32x8xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %s2 = arith.addi %s, %p : i32
        scf.yield %s2 : i32
      }
      memref.store %acc, %C[%i, %j] : memref<16x8xi32>
    }
  }
  return
}
