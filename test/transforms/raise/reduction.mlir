// A max reduction whose init is the first element (softmax part 1; numpy's initial= keeps n = 0 exact)
// and an i32 sum that wraps:
// both raise to reductions that return scalars.
//
// RUN: liftcomp lift -q %s --report %t.json | FileCheck %s
// RUN: FileCheck %s --input-file=%t.json --check-prefix=REPORT

func.func @max_first(%x: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %x0 = memref.load %x[%c0] : memref<?xf32>
  %m = scf.for %i = %c1 to %n step %c1 iter_args(%acc = %x0) -> (f32) {
    %v = memref.load %x[%i] : memref<?xf32>
    %gt = arith.cmpf ogt, %v, %acc : f32
    %r = arith.select %gt, %v, %acc : f32
    scf.yield %r : f32
  }
  return %m : f32
}

func.func @sum_i32(%a: memref<64xi32>) -> i32 {
  %z = arith.constant 0 : i32
  %s = affine.for %i = 0 to 64 iter_args(%acc = %z) -> (i32) {
    %v = affine.load %a[%i] : memref<64xi32>
    %n = arith.addi %acc, %v : i32
    affine.yield %n : i32
  }
  return %s : i32
}

// CHECK-LABEL: func.func @max_first(
// CHECK-NOT:   scf.for
// CHECK:       linalg.reduce ins(%{{.+}} : tensor<?xf32>) outs(%{{.+}} : tensor<f32>) dimensions = [0]
// CHECK:         arith.cmpf ogt
// CHECK:         arith.select
// CHECK:       tensor.extract
// CHECK-LABEL: func.func @sum_i32(
// CHECK-NOT:   affine.for
// CHECK:       linalg.fill
// CHECK:       linalg.reduce { arith.addi {{.*}}} ins(%{{.+}} : tensor<64xi32>) outs(%{{.+}} : tensor<i32>) dimensions = [0]
// REPORT: "name": "max_first"
// REPORT: "proof": "proved"
// REPORT: "program": "return seq_max(x[1:n], initial=x[0])"
// REPORT: "name": "sum_i32"
// REPORT: "proof": "proved"
// REPORT: "program": "return np.sum(a[0:64], axis=0, dtype=np.int32)"
