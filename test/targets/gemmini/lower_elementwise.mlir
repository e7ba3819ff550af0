// RUN: mlir-opt-22 --mlir-print-op-generic %S/Inputs/elementwise_and_matvec.mlir | xdsl-opt -p liftcomp-lower-gemmini | FileCheck %s

// Saturating int8 add: resadd through the accumulator (mvin, mvin accumulate, mvout int8).
// CHECK-LABEL: func.func @add_sat
// CHECK: gemmini.config_ld %{{.*}} {shrunk}
// CHECK: gemmini.mvin %{{.*}} {space = "acc"} : memref<37x21xi8>
// CHECK: gemmini.mvin %{{.*}} {space = "acc", id = 1 : i64, accumulate} : memref<37x21xi8>
// CHECK: gemmini.mvout %{{.*}} {space = "acc"} : memref<37x21xi8>

// Wrapping int8 add: Gemmini saturates, so it stays on the host.
// CHECK-LABEL: func.func @add_wrap
// CHECK-NOT: gemmini.
// CHECK: scf.for
// CHECK: memref.load
// CHECK: arith.addi %{{.*}}, %{{.*}} : i8
// CHECK: memref.store

// CHECK-LABEL: func.func @add_i32
// CHECK: gemmini.mvout {{.*}} {space = "acc", full} : memref<100xi32>

// Mat-vec: a matmul with x as a K x 1 matrix.
// CHECK-LABEL: func.func @matvec
// CHECK: "gemmini.compute_preloaded"
// CHECK: gemmini.mvout %{{.*}} {space = "acc", full} : memref<70xi32>
