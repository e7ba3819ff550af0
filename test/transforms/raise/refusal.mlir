// Nests with no tensor form stay exactly as they were, with the reason and location in the
// report: a prefix sum (loop-carried dependence through memory) and a histogram
// (data-dependent store address).
//
// RUN: liftcomp lift -q %s --report %t.json | FileCheck %s
// RUN: FileCheck %s --input-file=%t.json --check-prefix=REPORT
// RUN: mlir-opt-22 %s | FileCheck %s

func.func @scan(%a: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %n step %c1 {
    %im = arith.subi %i, %c1 : index
    %p = memref.load %a[%im] : memref<?xi32>
    %v = memref.load %a[%i] : memref<?xi32>
    %s = arith.addi %p, %v : i32
    memref.store %s, %a[%i] : memref<?xi32>
  }
  return
}

func.func @hist(%a: memref<?xi32>, %h: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<?xi32>
    %ix = arith.index_cast %v : i32 to index
    %o = memref.load %h[%ix] : memref<?xi32>
    %s = arith.addi %o, %one : i32
    memref.store %s, %h[%ix] : memref<?xi32>
  }
  return
}

// CHECK-LABEL: func.func @scan(
// CHECK:       scf.for
// CHECK:       memref.store
// CHECK-LABEL: func.func @hist(
// CHECK:       scf.for
// CHECK:       arith.index_cast
// CHECK:       memref.store
// REPORT: "name": "scan"
// REPORT: "status": "unchanged"
// REPORT: "reason": "loop-carried dependence through memory on 'a' (e.g. a scan or recurrence)"
// REPORT: "location": "{{.*}}refusal.mlir:11:3 ('scf.for')"
// REPORT: "name": "hist"
// REPORT: "status": "unchanged"
// REPORT: "reason": "data-dependent index (index_cast of a computed value)"
// REPORT: "location": "{{.*}}refusal.mlir:27:11 ('arith.index_cast')"
