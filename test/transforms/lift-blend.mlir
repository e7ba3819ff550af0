// A u8 blend (saturating add computed in i32) raised by `liftcomp lift`: one linalg.generic
// whose body is the element semantics of the TensorSpec program (widening, signed compare,
// select, truncation), written back through tensor.insert_slice + materialize_in_destination.
// Upstream bufferizes it and lowers it back to loops that compute in the output buffer.
//
// RUN: liftcomp lift -q %s | FileCheck %s
// RUN: liftcomp lift -q --generic %s \
// RUN:   | mlir-opt-22 --pass-pipeline='builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, func.func(convert-linalg-to-loops), cse, canonicalize)' \
// RUN:   | FileCheck %s --check-prefix=LOOPS

// CHECK-LABEL: func.func @lighten_dodge_8(
// CHECK-SAME:    %[[BASE:[a-z0-9]+]]: memref<?x?xi8>, %[[ACT:[a-z0-9]+]]: memref<?x?xi8>, %[[OUT:[a-z0-9]+]]: memref<?x?xi8>)
// CHECK-NOT:   scf.for
// CHECK-DAG:   %[[DEST:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<?x?xi8> to tensor<?x?xi8>
// CHECK-DAG:   %[[B:.+]] = bufferization.to_tensor %[[BASE]] restrict : memref<?x?xi8> to tensor<?x?xi8>
// CHECK-DAG:   %[[A:.+]] = bufferization.to_tensor %[[ACT]] restrict : memref<?x?xi8> to tensor<?x?xi8>
// CHECK-DAG:   %[[C255:.+]] = arith.constant 255 : i32
// CHECK:       %[[R:.+]] = linalg.map ins(%[[B]], %{{.+}} : tensor<?x?xi8>, tensor<?x?xi8>)
// CHECK-NEXT:    (%[[X:.+]]: i8, %[[Y:.+]]: i8, %{{.+}}: i8) {
// CHECK-NEXT:    %[[XW:.+]] = arith.extui %[[X]] : i8 to i32
// CHECK-NEXT:    %[[YW:.+]] = arith.extui %[[Y]] : i8 to i32
// CHECK-NEXT:    %[[S:.+]] = arith.addi %[[XW]], %[[YW]] : i32
// CHECK-NEXT:    %[[GT:.+]] = arith.cmpi sgt, %[[S]], %[[C255]] : i32
// CHECK-NEXT:    %[[SEL:.+]] = arith.select %[[GT]], %[[C255]], %[[S]] : i32
// CHECK-NEXT:    %[[T:.+]] = arith.trunci %[[SEL]] : i32 to i8
// CHECK-NEXT:    linalg.yield %[[T]] : i8
// CHECK:       %[[W:.+]] = tensor.insert_slice %[[R]] into %[[DEST]]
// CHECK-NEXT:  bufferization.materialize_in_destination %[[W]] in restrict writable %[[OUT]]
// CHECK-NOT:   scf.for
// CHECK:       return

// LOOPS-LABEL: func.func @lighten_dodge_8(
// LOOPS-NOT:   memref.alloc
// LOOPS:       %[[DST:.+]] = memref.subview %arg2
// LOOPS:       scf.for
// LOOPS:       scf.for
// LOOPS:       arith.cmpi sgt
// LOOPS:       arith.trunci
// LOOPS:       memref.store %{{.+}}, %[[DST]]
// LOOPS-NOT:   memref.copy
// LOOPS-NOT:   bufferization.
// LOOPS:       return

func.func @lighten_dodge_8(%base: memref<?x?xi8>, %active: memref<?x?xi8>, %out: memref<?x?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : i32
  %m = memref.dim %base, %c0 : memref<?x?xi8>
  %n = memref.dim %base, %c1 : memref<?x?xi8>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %b = memref.load %base[%i, %j] : memref<?x?xi8>
      %a = memref.load %active[%i, %j] : memref<?x?xi8>
      %bw = arith.extui %b : i8 to i32
      %aw = arith.extui %a : i8 to i32
      %s = arith.addi %bw, %aw : i32
      %over = arith.cmpi sgt, %s, %c255 : i32
      %r = arith.select %over, %c255, %s : i32
      %t = arith.trunci %r : i32 to i8
      memref.store %t, %out[%i, %j] : memref<?x?xi8>
    }
  }
  return
}
