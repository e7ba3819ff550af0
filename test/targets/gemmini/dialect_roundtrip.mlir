// RUN: xdsl-opt %s | xdsl-opt | FileCheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | FileCheck %s

// CHECK-LABEL: func.func @f
func.func @f(%A: memref<32x64xi8>, %C: memref<32x16xi32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  // CHECK: gemmini.config_ex {a_transpose}
  gemmini.config_ex {dataflow = "WS", a_transpose}
  // CHECK: gemmini.config_ld %{{.*}} {id = 1 : i64, scale = 5.000000e-01 : f32}
  gemmini.config_ld %c64 {id = 1 : i64, scale = 0.5 : f32}
  // CHECK: gemmini.config_st %{{.*}} {activation = "relu", elem_bits = 32 : i64}
  gemmini.config_st %c16 {activation = "relu", elem_bits = 32 : i64}
  // CHECK: gemmini.mvin %{{.*}}[%{{.*}}] to %{{.*}} rows %{{.*}} cols %{{.*}} {space = "spad", id = 1 : i64} : memref<32x64xi8>
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c64 {space = "spad", id = 1 : i64} : memref<32x64xi8>
  // CHECK: "gemmini.preload"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{c_space = "acc", c_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}>
  "gemmini.preload"(%c16, %c0, %c16, %c16, %c16, %c16) <{c_space = "acc", c_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index) -> ()
  // CHECK: "gemmini.compute_preloaded"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}>
  "gemmini.compute_preloaded"(%c0, %c16, %c16, %c16, %c16) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()
  // CHECK: "gemmini.compute_accumulated"
  "gemmini.compute_accumulated"(%c16, %c16, %c16, %c16, %c16) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()
  // CHECK: gemmini.mvout %{{.*}} to %{{.*}}[%{{.*}}] rows %{{.*}} cols %{{.*}} {space = "acc", full} : memref<32x16xi32>
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c16 {space = "acc", full} : memref<32x16xi32>
  // CHECK: gemmini.flush
  gemmini.flush
  // CHECK: gemmini.fence
  gemmini.fence
  return
}

// CHECK-LABEL: func.func @runtime_scale
func.func @runtime_scale(%s: f32) {
  %c16 = arith.constant 16 : index
  // CHECK: gemmini.config_st %{{.*}} scale %{{.*}} {activation = "relu"}
  gemmini.config_st %c16 scale %s {activation = "relu"}
  return
}
