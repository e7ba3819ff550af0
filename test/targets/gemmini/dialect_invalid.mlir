// RUN: xdsl-opt --split-input-file --verify-diagnostics %s 2>&1 | FileCheck %s

func.func @rows(%A: memref<64x64xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c17 = arith.constant 17 : index
  // CHECK: 'gemmini.mvin': rows = 17 is outside [1, 16]
  gemmini.mvin %A[%c0] to %c0 rows %c17 cols %c16 {space = "spad"} : memref<64x64xi8>
  return
}

// -----

func.func @cols(%A: memref<64x128xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c80 = arith.constant 80 : index
  // CHECK: 'gemmini.mvin': cols = 80 is outside [1, 64]
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c80 {space = "spad"} : memref<64x128xi8>
  return
}

// -----

func.func @transpose() {
  // CHECK: 'gemmini.config_ex': WS dataflow cannot transpose both A and B
  gemmini.config_ex {dataflow = "WS", a_transpose, b_transpose}
  return
}

// -----

func.func @acc_range(%C: memref<64x64xi32>) {
  %c16 = arith.constant 16 : index
  %c0 = arith.constant 0 : index
  %c1020 = arith.constant 1020 : index
  // CHECK: 'gemmini.mvout': address acc rows [1020, 1036) exceed the acc (1024 rows)
  gemmini.mvout %c1020 to %C[%c0] rows %c16 cols %c16 {space = "acc", full} : memref<64x64xi32>
  return
}

// -----

func.func @st_two_scales(%s: f32) {
  %c16 = arith.constant 16 : index
  // CHECK: 'gemmini.config_st': give the scale as a property or as an operand, not both
  gemmini.config_st %c16 scale %s {scale = 0.5 : f32}
  return
}
