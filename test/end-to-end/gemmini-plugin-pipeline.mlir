// REQUIRES: plugin
// The Gemmini lowering inside an mlir-opt-22 pipeline, between upstream passes:
// canonicalize folds the fill into the matmul's init first, cse merges the lowering's
// constants afterwards.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/gemmini.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(canonicalize, liftcomp-lower-gemmini{form="loop_ws"}, canonicalize, cse)' %s \
// RUN:   | tee %t.pipeline | FileCheck %s
// What it prints reads back in mlir-opt-22 (same text) and in xDSL (which verifies gemmini ops).
// RUN: mlir-opt-22 --irdl-file=%repo/dialects/gemmini.irdl.mlir %t.pipeline | diff %t.pipeline -
// RUN: mlir-opt-22 --irdl-file=%repo/dialects/gemmini.irdl.mlir --mlir-print-op-generic %t.pipeline | xdsl-opt > /dev/null
//
// The pass alone in mlir-opt-22 gives the same IR as the pass run by xdsl-opt.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/gemmini.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(liftcomp-lower-gemmini{form="explicit"})' %s > %t.plugin
// RUN: mlir-opt-22 --mlir-print-op-generic %s | xdsl-opt -p 'liftcomp-lower-gemmini{form="explicit"}' \
// RUN:   --print-op-generic --print-no-properties | mlir-opt-22 --irdl-file=%repo/dialects/gemmini.irdl.mlir > %t.xdsl
// RUN: diff %t.plugin %t.xdsl
// RUN: FileCheck %s --check-prefix=EXPLICIT < %t.plugin
//
// A bad option value is the pass's own error, reported by mlir-opt-22 when the pipeline is parsed.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/gemmini.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(liftcomp-lower-gemmini{form="diagonal"})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BADFORM --implicit-check-not=Traceback

// CHECK-LABEL: func.func @mm
// CHECK-NOT: linalg.
// CHECK: "gemmini.config_ex"() {dataflow = "WS"}
// CHECK: "gemmini.loop_ws"({{.*}}%arg0{{.*}}%arg1{{.*}}%arg2
// CHECK: "gemmini.fence"
// CHECK-NEXT: return
// EXPLICIT: "gemmini.mvin"
// EXPLICIT: "gemmini.preload"
// EXPLICIT: "gemmini.compute_
// EXPLICIT: "gemmini.mvout"
// BADFORM: <unknown>:0: error: liftcomp-lower-gemmini: invalid options 'form="diagonal"': option 'form' must be one of explicit, loop_ws, got 'diagonal'
// BADFORM-NEXT: failed to add `liftcomp-lower-gemmini` with options `form="diagonal"`
func.func @mm(%a: memref<32x64xi8>, %b: memref<64x48xi8>, %c: memref<32x48xi32>) {
  %ta = bufferization.to_tensor %a restrict : memref<32x64xi8> to tensor<32x64xi8>
  %tb = bufferization.to_tensor %b restrict : memref<64x48xi8> to tensor<64x48xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<32x48xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<32x48xi32>) -> tensor<32x48xi32>
  %r = linalg.matmul ins(%ta, %tb : tensor<32x64xi8>, tensor<64x48xi8>) outs(%init : tensor<32x48xi32>) -> tensor<32x48xi32>
  bufferization.materialize_in_destination %r in restrict writable %c : (tensor<32x48xi32>, memref<32x48xi32>) -> ()
  return
}
