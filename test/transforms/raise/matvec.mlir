// llama2.c's mat-vec with flattened `w[i*n + j]` indexing raises to a reshape of w and a
// contraction; the report says it was proved for all sizes. The f32 sum was proved in the loop's
// order (no fastmath flags): the contraction records that targets may not reorder it.
//
// RUN: liftcomp lift -q %s --report %t.json | FileCheck %s
// RUN: FileCheck %s --input-file=%t.json --check-prefix=REPORT

func.func @matvec(%xout: memref<?xf32>, %x: memref<?xf32>, %w: memref<?xf32>, %n: index, %d: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %d step %c1 {
    %v = scf.for %j = %c0 to %n step %c1 iter_args(%acc = %z) -> (f32) {
      %r = arith.muli %i, %n : index
      %k = arith.addi %r, %j : index
      %wv = memref.load %w[%k] : memref<?xf32>
      %xv = memref.load %x[%j] : memref<?xf32>
      %p = arith.mulf %wv, %xv : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %v, %xout[%i] : memref<?xf32>
  }
  return
}

// CHECK-LABEL: func.func @matvec(
// CHECK-NOT:   scf.for
// CHECK:       linalg.generic
// CHECK:       linalg.matvec {liftcomp.fastmath = #arith.fastmath<none>} ins(%{{.+}}, %{{.+}} : tensor<?x?xf32>, tensor<?xf32>)
// CHECK:       bufferization.materialize_in_destination
// REPORT: "status": "lifted"
// REPORT: "proof": "proved"
// REPORT: "program": "xout[0:d] = (w[0:d*n].reshape(d, n)[0:d, 0:n] @ x[0:n])"
