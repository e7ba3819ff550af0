// REQUIRES: plugin
// A kernel raised by liftcomp-raise inside mlir-opt-22, then bufferized and lowered to loops and
// LLVM by upstream passes in the same invocation, and run with mlir-runner-22: it prints what the
// original loop nest prints.
//
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(canonicalize, liftcomp-raise)' %s | FileCheck %s --check-prefix=RAISED
//
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(canonicalize, liftcomp-raise, one-shot-bufferize{bufferize-function-boundaries}, func.func(convert-linalg-to-loops), lower-affine, convert-scf-to-cf, expand-strided-metadata, finalize-memref-to-llvm, convert-arith-to-llvm, convert-cf-to-llvm, convert-func-to-llvm, reconcile-unrealized-casts)' %s \
// RUN:   | mlir-runner-22 -e main -entry-point-result=void \
// RUN:       -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so > %t.raised
// RUN: mlir-opt-22 \
// RUN:   --pass-pipeline='builtin.module(one-shot-bufferize{bufferize-function-boundaries}, func.func(convert-linalg-to-loops), lower-affine, convert-scf-to-cf, expand-strided-metadata, finalize-memref-to-llvm, convert-arith-to-llvm, convert-cf-to-llvm, convert-func-to-llvm, reconcile-unrealized-casts)' %s \
// RUN:   | mlir-runner-22 -e main -entry-point-result=void \
// RUN:       -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so > %t.original
// RUN: FileCheck %s --check-prefix=OUT < %t.original
// RUN: FileCheck %s --check-prefix=OUT < %t.raised
// RUN: grep -v base@ %t.original > %t.original.data
// RUN: grep -v base@ %t.raised | diff %t.original.data -

// RAISED-LABEL: func.func @gemv_i32
// RAISED-NOT: scf.for
// RAISED: linalg.
// RAISED-NOT: scf.for
// RAISED-LABEL: func.func @main

// y = A x with i32 wrap-around, by hand: row 0: 3 + 2 + 12 + 2 * 2147483647 = 4294967311 = 15 (mod 2^32);
// row 1: 15 - 6 - 28 + 16 = -3; row 2: 0 - 10 + 44 - 24 = 10.
// OUT: [15,  -3,  10]
func.func @gemv_i32(%A: memref<?x?xi32>, %x: memref<?xi32>, %y: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %m = memref.dim %A, %c0 : memref<?x?xi32>
  %n = memref.dim %A, %c1 : memref<?x?xi32>
  scf.for %i = %c0 to %m step %c1 {
    %row = scf.for %j = %c0 to %n step %c1 iter_args(%acc = %zero) -> (i32) {
      %a = memref.load %A[%i, %j] : memref<?x?xi32>
      %b = memref.load %x[%j] : memref<?xi32>
      %p = arith.muli %a, %b : i32
      %s = arith.addi %acc, %p : i32
      scf.yield %s : i32
    }
    memref.store %row, %y[%i] : memref<?xi32>
  }
  return
}

memref.global "private" constant @A : memref<3x4xi32> = dense<[[1, -2, 3, 2147483647], [5, 6, -7, 8], [0, 10, 11, -12]]>
memref.global "private" constant @X : memref<4xi32> = dense<[3, -1, 4, 2]>
func.func private @printMemrefI32(memref<*xi32>)
func.func @main() {
  %a = memref.get_global @A : memref<3x4xi32>
  %x = memref.get_global @X : memref<4xi32>
  %y = memref.alloc() : memref<3xi32>
  %ad = memref.cast %a : memref<3x4xi32> to memref<?x?xi32>
  %xd = memref.cast %x : memref<4xi32> to memref<?xi32>
  %yd = memref.cast %y : memref<3xi32> to memref<?xi32>
  call @gemv_i32(%ad, %xd, %yd) : (memref<?x?xi32>, memref<?xi32>, memref<?xi32>) -> ()
  %u = memref.cast %y : memref<3xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  memref.dealloc %y : memref<3xi32>
  return
}
