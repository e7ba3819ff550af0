// MLIR 22 prints arith.trunci with an overflowFlags property that stock xDSL 0.74 rejects;
// liftcomp's universe swaps in an op that accepts it, so mlir-opt-22's generic output goes
// through xdsl-opt (generic both ways) and back unchanged.
//
// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt --print-op-generic | FileCheck %s --check-prefix=GENERIC
// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt --print-op-generic | mlir-opt-22 | FileCheck %s

func.func @narrow(%x: i32) -> (i8, i16) {
  %a = arith.trunci %x : i32 to i8
  %b = arith.trunci %x overflow<nsw> : i32 to i16
  return %a, %b : i8, i16
}

// GENERIC: "arith.trunci"(%{{.*}}) <{overflowFlags = #arith.overflow<none>}> : (i32) -> i8
// GENERIC: "arith.trunci"(%{{.*}}) <{overflowFlags = #arith.overflow<nsw>}> : (i32) -> i16
// CHECK-LABEL: func.func @narrow
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: arith.trunci %{{.*}} overflow<nsw> : i32 to i16
