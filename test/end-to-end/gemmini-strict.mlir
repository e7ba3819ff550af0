// REQUIRES: plugin
// liftcomp-lower-gemmini's error path and remarks, through mlir-opt-22 (plugin), xdsl-opt and
// liftcomp-opt. @mm (int8 GEMM) runs on Gemmini; @vmul (an i32 element-wise multiply, which the
// accumulator cannot compute) stays on the host as loops.
//
// Without strict the pass succeeds; remarks=true says where each op went, at its location.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/all.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(liftcomp-lower-gemmini{remarks=true})' %s -o %t.lax 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARKS --implicit-check-not=error
// RUN: FileCheck %s --check-prefix=LAX < %t.lax
//
// strict=true: an error at the op that would stay on the host, and the module as it was.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/all.irdl.mlir \
// RUN:   --mlir-print-op-on-diagnostic=false --mlir-print-ir-after-failure \
// RUN:   --pass-pipeline='builtin.module(liftcomp-lower-gemmini{strict=true})' %s > %t.strict 2>&1
// RUN: FileCheck %s --check-prefix=STRICT --implicit-check-not=Traceback < %t.strict
// RUN: FileCheck %s --check-prefix=UNTOUCHED < %t.strict
//
// xdsl-opt and liftcomp-opt: the same error as file:line:col text, no traceback, no output.
// RUN: mlir-opt-22 --mlir-print-op-generic --mlir-print-debuginfo --mlir-print-local-scope %s \
// RUN:   | not xdsl-opt -p 'liftcomp-lower-gemmini{strict=true}' > %t.xdsl.out 2> %t.xdsl.err
// RUN: FileCheck %s --check-prefix=STRICT --implicit-check-not=Traceback < %t.xdsl.err
// RUN: not test -s %t.xdsl.out
// RUN: not liftcomp-opt -f upstream %s -p 'liftcomp-lower-gemmini{strict=true}' > %t.opt.out 2> %t.opt.err
// RUN: FileCheck %s --check-prefix=STRICT --implicit-check-not=Traceback < %t.opt.err
// RUN: not test -s %t.opt.out

// LAX-LABEL: func.func @mm
// LAX:         "gemmini.mvin"
// LAX:         "gemmini.mvout"
// LAX-LABEL: func.func @vmul
// LAX-NOT:     gemmini
// LAX:         scf.for
// LAX:           arith.muli

// UNTOUCHED: IR Dump After LiftcompLowerGemmini Failed
// UNTOUCHED-LABEL: func.func @mm
// UNTOUCHED-NOT:     gemmini
// UNTOUCHED:         linalg.matmul
// UNTOUCHED-LABEL: func.func @vmul
// UNTOUCHED:         linalg.generic

// REMARKS: gemmini-strict.mlir:[[@LINE+1]]:1: remark: liftcomp-lower-gemmini: @mm: matmul 32x64x48 on Gemmini, explicit tiles 2x3x4 order ijk
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

func.func @vmul(%a: memref<16xi32>, %b: memref<16xi32>, %c: memref<16xi32>) {
  %ta = bufferization.to_tensor %a restrict : memref<16xi32> to tensor<16xi32>
  %tb = bufferization.to_tensor %b restrict : memref<16xi32> to tensor<16xi32>
  %e = tensor.empty() : tensor<16xi32>
  // STRICT: gemmini-strict.mlir:[[@LINE+2]]:8: error: liftcomp-lower-gemmini: @vmul: op stays on the host (strict=true): an element-wise op other than an add Gemmini's accumulator computes exactly
  // REMARKS: gemmini-strict.mlir:[[@LINE+1]]:8: remark: liftcomp-lower-gemmini: @vmul: kept on the host: an element-wise op other than an add Gemmini's accumulator computes exactly
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%ta, %tb : tensor<16xi32>, tensor<16xi32>) outs(%e : tensor<16xi32>) {
  ^bb0(%x: i32, %y: i32, %o: i32):
    %p = arith.muli %x, %y : i32
    linalg.yield %p : i32
  } -> tensor<16xi32>
  bufferization.materialize_in_destination %r in restrict writable %c : (tensor<16xi32>, memref<16xi32>) -> ()
  return
}
