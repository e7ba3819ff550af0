// mlir-opt-22 reads, verifies and prints gemmini IR through the generated IRDL, and xDSL reads
// back what it prints: xDSL (custom form) -> generic, properties as attributes -> mlir-opt-22
// -> generic -> xDSL.
// RUN: xdsl-opt %s --print-op-generic --print-no-properties \
// RUN:   | mlir-opt-22 --irdl-file=%repo/dialects/gemmini.irdl.mlir --mlir-print-op-generic \
// RUN:   | tee %t.generic | xdsl-opt | FileCheck %s
// RUN: FileCheck %s --check-prefix=UPSTREAM < %t.generic
//
// IRDL checks what it can: operand types, required properties and their kinds.
// RUN: not mlir-opt-22 --irdl-file=%repo/dialects/gemmini.irdl.mlir --split-input-file \
// RUN:   %S/Inputs/gemmini-invalid.mlir 2>&1 | FileCheck %s --check-prefix=INVALID
// INVALID: gemmini-invalid.mlir:4:3: error: expected base type 'builtin.index' but got 'builtin.integer'
// INVALID: gemmini-invalid.mlir:12:3: error: 'gemmini.mvin' op attribute "space" is expected but not provided
// INVALID: gemmini-invalid.mlir:20:3: error: expected base attribute 'builtin.string' but got 'builtin.integer'

// CHECK-LABEL: func.func @tile
// CHECK:      gemmini.config_ld %[[C16:.*]]
// CHECK-NEXT: gemmini.config_st %[[C16]] {activation = "relu"}
// CHECK:      gemmini.mvin %arg0[%[[C0:.*]]] to %[[C0]] rows %[[C16]] cols %[[C16]] {space = "spad"} : memref<16x16xi8>
// CHECK-NEXT: gemmini.mvout %[[C0]] to %arg1[%[[C0]]] rows %[[C16]] cols %[[C16]] {space = "acc"} : memref<16x16xi8>
// CHECK-NEXT: gemmini.fence
// UPSTREAM: "gemmini.mvin"(%arg0, %0, %0, %1, %1) {{{.*}}space = "spad"{{.*}}} : (memref<16x16xi8>, index, index, index, index) -> ()
func.func @tile(%a: memref<16x16xi8>, %c: memref<16x16xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  gemmini.config_ld %c16
  gemmini.config_st %c16 {activation = "relu"}
  gemmini.config_ex {dataflow = "WS"}
  gemmini.mvin %a[%c0] to %c0 rows %c16 cols %c16 {space = "spad"} : memref<16x16xi8>
  gemmini.mvout %c0 to %c[%c0] rows %c16 cols %c16 {space = "acc"} : memref<16x16xi8>
  gemmini.fence
  func.return
}
