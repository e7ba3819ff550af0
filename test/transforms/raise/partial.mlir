// A function that cannot be lifted as a whole is lifted nest by nest: the vector add becomes
// linalg on tensors, the histogram (data-dependent store address) stays a loop, in its place,
// and the consumer reading both (through memory) is lifted after it. The report says 'partial',
// with one entry per nest and the refused nest's location. The raised function bufferizes and
// lowers back to loops with mlir-opt-22 (generic form checked there).
//
// RUN: liftcomp lift -q %s --report %t.json | FileCheck %s
// RUN: FileCheck %s --input-file=%t.json --check-prefix=REPORT
// RUN: liftcomp lift -q --generic %s | mlir-opt-22 --pass-pipeline="builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, func.func(convert-linalg-to-loops), canonicalize)" | FileCheck %s --check-prefix=LOOPS

func.func @add_hist(%a: memref<?xi32>, %b: memref<?xi32>, %c: memref<?xi32>, %h: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %y = memref.load %b[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    memref.store %s, %c[%i] : memref<?xi32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<?xi32>
    %ix = arith.index_cast %v : i32 to index
    %o = memref.load %h[%ix] : memref<?xi32>
    %s = arith.addi %o, %one : i32
    memref.store %s, %h[%ix] : memref<?xi32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %c[%i] : memref<?xi32>
    %y = memref.load %h[%i] : memref<?xi32>
    %s = arith.muli %x, %y : i32
    memref.store %s, %b[%i] : memref<?xi32>
  }
  return
}

// CHECK-LABEL: func.func @add_hist(
// CHECK-SAME:    %[[A:[a-z0-9]+]]: memref<?xi32>, %[[B:[a-z0-9]+]]: memref<?xi32>, %[[C:[a-z0-9]+]]: memref<?xi32>, %[[H:[a-z0-9]+]]: memref<?xi32>
// CHECK:         bufferization.to_tensor %[[C]] restrict writable
// CHECK:         linalg.elementwise kind=#linalg.elementwise_kind<add>
// CHECK:         bufferization.materialize_in_destination %{{.*}} in restrict writable %[[C]]
// CHECK-NEXT:    scf.for
// CHECK:           arith.index_cast
// CHECK:           memref.store %{{.*}}, %[[H]][
// CHECK:         }
// CHECK:         bufferization.to_tensor %[[H]] restrict
// CHECK:         linalg.elementwise kind=#linalg.elementwise_kind<mul>
// CHECK:         bufferization.materialize_in_destination %{{.*}} in restrict writable %[[B]]
// CHECK-NOT:     scf.for
// CHECK:         return

// REPORT:      "name": "add_hist"
// REPORT-NEXT: "status": "partial"
// REPORT-NEXT: "proof": "proved"
// REPORT:      "reason": "1 of 3 loop nests not lifted: nest 2 at {{.*}}partial.mlir:21:3 ('scf.for'): data-dependent index (index_cast of a computed value)"
// REPORT:      "scope": "nests"
// REPORT:      "nest": 1
// REPORT-NEXT: "location": "{{.*}}partial.mlir:15:3 ('scf.for')"
// REPORT-NEXT: "status": "lifted"
// REPORT-NEXT: "proof": "proved"
// REPORT-NEXT: "program": "c[0:n] = (a[0:n] + b[0:n])"
// REPORT:      "nest": 2
// REPORT-NEXT: "location": "{{.*}}partial.mlir:21:3 ('scf.for')"
// REPORT-NEXT: "status": "unchanged"
// REPORT:      "reason_location": "{{.*}}partial.mlir:23:11 ('arith.index_cast')"
// REPORT:      "nest": 3
// REPORT-NEXT: "location": "{{.*}}partial.mlir:28:3 ('scf.for')"
// REPORT-NEXT: "status": "lifted"
// REPORT-NEXT: "proof": "proved"
// REPORT-NEXT: "program": "b[0:n] = (c[0:n] * h[0:n])"

// LOOPS-LABEL: func.func @add_hist(
// LOOPS-NOT:     linalg.
// LOOPS-NOT:     bufferization.
// LOOPS-NOT:     tensor.
// LOOPS:         scf.for
// LOOPS:           arith.addi
// LOOPS:         scf.for
// LOOPS:           arith.index_cast
// LOOPS:         scf.for
// LOOPS:           arith.muli
// LOOPS:         return
