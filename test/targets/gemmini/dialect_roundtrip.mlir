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

// Every op once more, with the variants the verifiers distinguish: the three mvins, an
// accumulating mvin, a 4-block mvin, mvouts from the scratchpad, the accumulator (int8, up to 4
// blocks) and full int32 rows, preload/compute with GARBAGE (absent) addresses, and loop_ws with
// and without D and C.
// CHECK-LABEL: func.func @every_op
func.func @every_op(%A: memref<32x64xi8>, %B: memref<64x48xi8>, %D: memref<32x48xi32>, %C: memref<32x48xi8>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c48 = arith.constant 48 : index
  %c64 = arith.constant 64 : index
  // CHECK: gemmini.config_ex {dataflow = "OS", a_transpose, sys_shift = 3 : i64}
  gemmini.config_ex {dataflow = "OS", a_transpose, sys_shift = 3 : i64}
  // CHECK-NEXT: gemmini.config_ex{{$}}
  gemmini.config_ex {dataflow = "WS"}
  // CHECK-NEXT: gemmini.config_ld %{{.*}} {id = 2 : i64, elem_bits = 32 : i64}
  gemmini.config_ld %c48 {id = 2 : i64, elem_bits = 32 : i64}
  // CHECK-NEXT: gemmini.config_ld %{{.*}} {shrunk}
  gemmini.config_ld %c64 {shrunk}
  // CHECK-NEXT: gemmini.config_st %{{.*}} {scale = 6.250000e-02 : f32}
  gemmini.config_st %c48 {scale = 0.0625 : f32}
  // CHECK-NEXT: gemmini.mvin %{{.*}}[%{{.*}}] to %{{.*}} rows %{{.*}} cols %{{.*}} {space = "spad"} : memref<32x64xi8>
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c64 {space = "spad"} : memref<32x64xi8>
  // CHECK-NEXT: gemmini.mvin {{.*}} {space = "spad", id = 1 : i64} : memref<64x48xi8>
  gemmini.mvin %B[%c0] to %c64 rows %c16 cols %c48 {space = "spad", id = 1 : i64} : memref<64x48xi8>
  // CHECK-NEXT: gemmini.mvin {{.*}} {space = "acc", id = 2 : i64, accumulate} : memref<32x48xi32>
  gemmini.mvin %D[%c0] to %c0 rows %c16 cols %c16 {space = "acc", id = 2 : i64, accumulate} : memref<32x48xi32>
  // CHECK-NEXT: gemmini.mvin {{.*}} {space = "acc", zeros} : memref<32x48xi32>
  gemmini.mvin %D[%c0] to %c16 rows %c16 cols %c16 {space = "acc", zeros} : memref<32x48xi32>
  // CHECK-NEXT: "gemmini.preload"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{c_space = "acc", operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1>}>
  "gemmini.preload"(%c0, %c16, %c16, %c16, %c16) <{c_space = "acc", operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()
  // CHECK-NEXT: "gemmini.compute_preloaded"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 0, 0, 1, 1, 1, 1>}>
  "gemmini.compute_preloaded"(%c16, %c16, %c16, %c16) <{operandSegmentSizes = array<i32: 0, 0, 1, 1, 1, 1>}> : (index, index, index, index) -> ()
  // CHECK-NEXT: gemmini.mvout {{.*}} {space = "spad"} : memref<32x48xi8>
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c48 {space = "spad"} : memref<32x48xi8>
  // CHECK-NEXT: gemmini.mvout {{.*}} {space = "acc"} : memref<32x48xi8>
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c48 {space = "acc"} : memref<32x48xi8>
  // CHECK-NEXT: "gemmini.loop_ws"({{.*}}) <{activation = "none", operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1>}>
  "gemmini.loop_ws"(%c2, %c3, %c4, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c48, %D, %c0, %c48, %C, %c0, %c48) <{activation = "none", operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index, memref<32x64xi8>, index, index, memref<64x48xi8>, index, index, memref<32x48xi32>, index, index, memref<32x48xi8>, index, index) -> ()
  // CHECK-NEXT: "gemmini.loop_ws"({{.*}}) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}>
  "gemmini.loop_ws"(%c2, %c3, %c4, %c0, %c0, %c0, %A, %c0, %c64, %B, %c0, %c48) <{activation = "none", ex_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}> : (index, index, index, index, index, index, memref<32x64xi8>, index, index, memref<64x48xi8>, index, index) -> ()
  // CHECK-NEXT: gemmini.flush
  gemmini.flush
  // CHECK-NEXT: gemmini.fence
  gemmini.fence
  return
}

// The hardware a module was lowered for (non-default) is an attribute the verifiers read.
// CHECK-LABEL: builtin.module attributes {gemmini.config = {dim = 8 : i64, sp_bank_rows = 8192 : i64}}
// CHECK: gemmini.mvin {{.*}} rows %{{.*}} cols %{{.*}} {space = "spad"} : memref<8x8xi8>
builtin.module attributes {gemmini.config = {dim = 8 : i64, sp_bank_rows = 8192 : i64}} {
  func.func @small_array(%A: memref<8x8xi8>) {
    %c8 = arith.constant 8 : index
    %c32000 = arith.constant 32000 : index
    gemmini.mvin %A[%c8] to %c32000 rows %c8 cols %c8 {space = "spad"} : memref<8x8xi8>
    return
  }
}
