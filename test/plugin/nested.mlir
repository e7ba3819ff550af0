// REQUIRES: plugin
// liftcomp-raise also runs nested on func.func, one function at a time (in parallel threads),
// with the same result and remarks as on the module; passes that need the whole module refuse
// to nest; --help says how to call plugin passes; the test-only pass is hidden from users.
//
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(liftcomp-raise{remarks=true}))' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --input-file=%t.err --check-prefix=REMARK
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(liftcomp-lower-gemmini))' %s 2>&1 | FileCheck %s --check-prefix=NONEST
// RUN: env -u LIFTCOMP_TEST_PASSES mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --help \
// RUN:   | FileCheck %s --check-prefix=HELP --implicit-check-not=liftcomp-test-bridge
//
// CHECK-LABEL: func.func @scale
// CHECK: linalg.map
// CHECK-NOT: scf.for
// CHECK-LABEL: func.func @prefix
// CHECK: scf.for
// REMARK-DAG: nested.mlir:24:1: remark: liftcomp-raise: @scale: lifted
// REMARK-DAG: remark: liftcomp-raise: @prefix: left unchanged
// NONEST: unable to schedule pass 'LiftcompLowerGemmini' on a PassManager intended to run on 'func.func'
// HELP: --liftcomp-raise {{.*}}run it with --pass-pipeline='builtin.module(liftcomp-raise{options})' or 'builtin.module(func.func(liftcomp-raise))'

func.func @scale(%x: memref<?xf32>, %y: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %y[%i] : memref<?xf32>
  }
  return
}

func.func @prefix(%x: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %n step %c1 {
    %im1 = arith.subi %i, %c1 : index
    %a = memref.load %x[%im1] : memref<?xf32>
    %b = memref.load %x[%i] : memref<?xf32>
    %s = arith.addf %a, %b : f32
    memref.store %s, %x[%i] : memref<?xf32>
  }
  return
}
