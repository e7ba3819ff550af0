// Impossible bounds and out-of-bounds accesses are refused with the location; the functions stay
// as written and the command still succeeds.
//
// RUN: liftcomp lift -q %s --report %t.json | FileCheck %s
// RUN: FileCheck %s --input-file=%t.json --check-prefix=REPORT

func.func @empty_loop(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c6 to %c2 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %b[%i] : memref<8xf32>
  }
  return
}

func.func @oob(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c12 = arith.constant 12 : index
  scf.for %i = %c0 to %c12 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %b[%i] : memref<8xf32>
  }
  return
}

// CHECK-LABEL: func.func @empty_loop(
// CHECK:       scf.for
// CHECK-LABEL: func.func @oob(
// CHECK:       scf.for
// REPORT: "name": "empty_loop"
// REPORT: "status": "unchanged"
// REPORT: "reason": "the loop never runs (bounds 6 to 2): nothing to lift"
// REPORT: "location": "{{.*}}bad-bounds.mlir:11:3 ('scf.for')"
// REPORT: "name": "oob"
// REPORT: "reason": "'a' is accessed outside its extent 8: undefined behaviour"
// REPORT: "location": "{{.*}}bad-bounds.mlir:23:10 ('memref.load')"
