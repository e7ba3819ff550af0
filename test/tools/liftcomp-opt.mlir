// liftcomp-opt: xdsl-opt with liftcomp's dialects and passes, user errors as diagnostics.
//
// The passes run as in xdsl-opt, with the same output.
// RUN: liftcomp-opt %s -p 'liftcomp-raise' > %t.opt
// RUN: FileCheck %s < %t.opt
// RUN: xdsl-opt %s -p 'liftcomp-raise' | diff %t.opt -
// The gemmini dialect is loaded: the lowered IR prints and reads back.
// RUN: liftcomp-opt %s -p 'liftcomp-raise,liftcomp-lower-gemmini{form=loop_ws}' | liftcomp-opt | FileCheck %s --check-prefix=GEMMINI
//
// -f upstream reads any form mlir-opt-22 reads, with the file's locations (here, for remarks).
// RUN: liftcomp-opt -f upstream %s -p 'liftcomp-raise{remarks=true}' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
//
// User errors: one line (or xDSL's pointer into the text), exit status 1, no traceback.
// RUN: not liftcomp-opt %s -p 'liftcomp-nope' 2>&1 | FileCheck %s --check-prefix=PASS --implicit-check-not=Traceback
// RUN: not liftcomp-opt %s -p 'liftcomp-raise{bound=}' 2>&1 | FileCheck %s --check-prefix=SYNTAX --implicit-check-not=Traceback
// RUN: not liftcomp-opt %s.missing 2>&1 | FileCheck %s --check-prefix=MISSING --implicit-check-not=Traceback
// RUN: echo '"x.y"() : () -> ()' | not liftcomp-opt 2>&1 | FileCheck %s --check-prefix=PARSE --implicit-check-not=Traceback

// CHECK-LABEL: func.func @gemm(
// CHECK-NOT:     affine.for
// CHECK:         linalg.matmul
// GEMMINI:       gemmini.config_ex
// GEMMINI:       "gemmini.loop_ws"
// GEMMINI:       gemmini.fence
// PASS: liftcomp-opt: error: invalid pass pipeline: Unrecognized passes: ['liftcomp-nope']
// SYNTAX: liftcomp-opt: error: invalid pass pipeline: Error parsing pass pipeline specification:
// SYNTAX: Unknown argument value, wrap argument in quotes to pass arbitrary string values
// MISSING: liftcomp-opt: error: {{.*}}liftcomp-opt.mlir.missing: No such file or directory
// PARSE: liftcomp-opt: error: stdin:1:{{[0-9]+}}
// PARSE: Operation x.y is not registered

// REMARK: liftcomp-opt.mlir:[[@LINE+1]]:1: remark: liftcomp-raise: @gemm: lifted (proved
func.func @gemm(%A: memref<8x16xi8>, %B: memref<16x12xi8>, %C: memref<8x12xi32>) {
  %zero = arith.constant 0 : i32
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 12 {
      affine.store %zero, %C[%i, %j] : memref<8x12xi32>
    }
  }
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 12 {
      affine.for %k = 0 to 16 {
        %a = affine.load %A[%i, %k] : memref<8x16xi8>
        %b = affine.load %B[%k, %j] : memref<16x12xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %c = affine.load %C[%i, %j] : memref<8x12xi32>
        %s = arith.addi %c, %p : i32
        affine.store %s, %C[%i, %j] : memref<8x12xi32>
      }
    }
  }
  return
}
