// REQUIRES: plugin
// Schedule search inside an mlir-opt-22 pipeline: raise the loop nest, lower it to Gemmini with
// the beam search choosing the schedule (scored by the simulator), and write the chosen rewrite
// steps; replaying them (schedule=FILE) gives the same IR without searching.
//
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/all.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(liftcomp-raise, canonicalize, cse, liftcomp-lower-gemmini{search=beam budget=16 search-report="%t.steps.json" remarks=true}, canonicalize, cse)' \
// RUN:   %s -o %t.search 2> %t.remarks
// RUN: FileCheck %s < %t.search
// RUN: FileCheck %s --check-prefix=STEPS < %t.steps.json
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/all.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(liftcomp-raise, canonicalize, cse, liftcomp-lower-gemmini{schedule="%t.steps.json"}, canonicalize, cse)' \
// RUN:   %s -o %t.replay
// RUN: diff %t.search %t.replay
// What the pipeline prints reads back in mlir-opt-22 (same text).
// RUN: mlir-opt-22 --irdl-file=%repo/dialects/all.irdl.mlir %t.search | diff %t.search -
//
// Search options are checked when the pipeline is parsed.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-lower-gemmini{search=beam schedule="%s"})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=EXCLUSIVE --implicit-check-not=Traceback
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-lower-gemmini{search=exhaustive})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SEARCH --implicit-check-not=Traceback

// CHECK-LABEL: func.func @gemm(%arg0: memref<32x16xi8>, %arg1: memref<16x32xi8>, %arg2: memref<32x32xi32>)
// CHECK-NOT:     linalg.
// CHECK-NOT:     affine.
// CHECK:         "gemmini.config_ex"() {dataflow = "WS"}
// CHECK:         "gemmini.{{loop_ws|compute_preloaded}}"
// CHECK:         "gemmini.fence"()
// CHECK-NEXT:    return

// STEPS:      "kernels": [
// STEPS:        "name": "gemm",
// STEPS-NEXT:   "steps": [
// STEPS-NEXT:     {
// STEPS-NEXT:       "rewrite":

// EXCLUSIVE: error: liftcomp-lower-gemmini: invalid options 'search=beam schedule="{{.*}}"': options 'search' and 'schedule' exclude each other (a schedule file replays a search)
// SEARCH: error: liftcomp-lower-gemmini: invalid options 'search=exhaustive': option 'search' must be one of none, beam, got 'exhaustive'

// C[32x32] = A[32x16] @ B[16x32], int8 operands summed in int32.
// REMARK: search-plugin.mlir:[[@LINE+1]]:1: remark: liftcomp-lower-gemmini: @gemm: matmul 32x16x32 on Gemmini, {{.*}} ({{[1-9][0-9]*}} rewrite steps from the search)
func.func @gemm(%A: memref<32x16xi8>, %B: memref<16x32xi8>, %C: memref<32x32xi32>) {
  %zero = arith.constant 0 : i32
  affine.for %i = 0 to 32 {
    affine.for %j = 0 to 32 {
      affine.store %zero, %C[%i, %j] : memref<32x32xi32>
    }
  }
  affine.for %i = 0 to 32 {
    affine.for %j = 0 to 32 {
      affine.for %k = 0 to 16 {
        %a = affine.load %A[%i, %k] : memref<32x16xi8>
        %b = affine.load %B[%k, %j] : memref<16x32xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %c = affine.load %C[%i, %j] : memref<32x32xi32>
        %s = arith.addi %c, %p : i32
        affine.store %s, %C[%i, %j] : memref<32x32xi32>
      }
    }
  }
  return
}
