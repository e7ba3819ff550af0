// RUN: xdsl-opt %s -p liftcomp-gemmini-cleanup | FileCheck %s

// Straight-line code: a config that repeats the state in place goes, one that changes it stays;
// config_ld is tracked per load id; a fence with no Gemmini work since the previous fence goes.
// CHECK-LABEL: func.func @straight
// CHECK-NEXT:    %c0 = arith.constant 0 : index
// CHECK-NEXT:    %c16 = arith.constant 16 : index
// CHECK-NEXT:    %c16_1 = arith.constant 16 : index
// CHECK-NEXT:    %c64 = arith.constant 64 : index
// CHECK-NEXT:    %v = arith.constant 7 : i32
// CHECK-NEXT:    gemmini.config_ex
// CHECK-NEXT:    gemmini.config_ld %c64
// CHECK-NEXT:    gemmini.config_ld %c16 {id = 1 : i64}
// CHECK-NEXT:    gemmini.config_st %c16 {elem_bits = 32 : i64}
// CHECK-NEXT:    gemmini.mvin
// CHECK-NEXT:    gemmini.fence
// CHECK-NEXT:    memref.store
// CHECK-NEXT:    gemmini.config_ld %c16 {id = 1 : i64, elem_bits = 32 : i64}
// CHECK-NEXT:    gemmini.config_ex {a_transpose}
// CHECK-NEXT:    gemmini.mvin
// CHECK-NEXT:    gemmini.fence
// CHECK-NEXT:    return
func.func @straight(%A: memref<32x64xi8>, %H: memref<4xi32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c16_1 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %v = arith.constant 7 : i32
  gemmini.config_ex {dataflow = "WS"}
  gemmini.config_ld %c64
  gemmini.config_ld %c16 {id = 1 : i64}
  gemmini.config_st %c16 {elem_bits = 32 : i64}
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c64 {space = "spad"} : memref<32x64xi8>
  gemmini.fence
  // Host code between kernels keeps the configuration; nothing is in flight after the fence.
  memref.store %v, %H[%c0] : memref<4xi32>
  gemmini.fence
  gemmini.config_ex {dataflow = "WS"}
  gemmini.config_ld %c64
  // An equal constant is the same stride.
  gemmini.config_ld %c16_1 {id = 1 : i64}
  gemmini.config_ld %c16 {id = 1 : i64, elem_bits = 32 : i64}
  gemmini.config_st %c16_1 {elem_bits = 32 : i64}
  gemmini.config_ex {dataflow = "WS", a_transpose}
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c64 {space = "spad"} : memref<32x64xi8>
  gemmini.fence
  return
}

// Regions: a loop body starts with nothing known (its config stays; its second fence goes), and
// after the loop the state it may set is unknown (the config_ld after it stays); state the loop
// does not touch survives it (the second config_ex goes).
// CHECK-LABEL: func.func @loops
// CHECK:         gemmini.config_ex
// CHECK-NEXT:    gemmini.config_ld
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      gemmini.config_ld
// CHECK-NEXT:      gemmini.mvin
// CHECK-NEXT:      gemmini.fence
// CHECK-NEXT:    }
// CHECK-NEXT:    gemmini.config_ld
// CHECK-NEXT:    gemmini.fence
// CHECK-NEXT:    return
func.func @loops(%A: memref<32x64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  gemmini.config_ex {dataflow = "WS"}
  gemmini.config_ld %c64
  scf.for %i = %c0 to %c16 step %c1 {
    gemmini.config_ld %c64
    gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c64 {space = "spad"} : memref<32x64xi8>
    gemmini.fence
    gemmini.fence
  }
  gemmini.config_ex {dataflow = "WS"}
  gemmini.config_ld %c64
  gemmini.fence
  return
}
