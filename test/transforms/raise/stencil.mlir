// A 3-point stencil over the interior (loop from 1 to n-1) raises to shifted slices of the input
// written into the interior slice of the output; the borders stay as they were.
//
// RUN: liftcomp lift -q %s --report %t.json | FileCheck %s
// RUN: FileCheck %s --input-file=%t.json --check-prefix=REPORT

func.func @stencil(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %q = arith.constant 0.25 : f32
  %h = arith.constant 0.5 : f32
  %hi = arith.subi %n, %c1 : index
  scf.for %i = %c1 to %hi step %c1 {
    %im = arith.subi %i, %c1 : index
    %ip = arith.addi %i, %c1 : index
    %l = memref.load %a[%im] : memref<?xf32>
    %m = memref.load %a[%i] : memref<?xf32>
    %r = memref.load %a[%ip] : memref<?xf32>
    %t0 = arith.mulf %q, %l : f32
    %t1 = arith.mulf %h, %m : f32
    %t2 = arith.mulf %q, %r : f32
    %s0 = arith.addf %t0, %t1 : f32
    %s1 = arith.addf %s0, %t2 : f32
    memref.store %s1, %b[%i] : memref<?xf32>
  }
  return
}

// CHECK-LABEL: func.func @stencil(
// CHECK-NOT:   scf.for
// CHECK-COUNT-3: tensor.extract_slice %{{.*}}[{{.*}}] [{{.*}}] [1]
// CHECK:       linalg.map
// CHECK:       tensor.insert_slice %{{.*}} into %{{.*}}[1]
// REPORT: "proof": "proved"
// REPORT: "program": "b[1:-1 + n] = (((np.float32(0.25) * a[0:-2 + n]) + (np.float32(0.5) * a[1:-1 + n])) + (np.float32(0.25) * a[2:n]))"
