// REQUIRES: plugin
// liftcomp-raise inside mlir-opt-22 gives the same IR as `liftcomp lift` on corpus kernels.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-raise)' %corpus/blas/gemv.mlir > %t.gemv.plugin
// RUN: liftcomp lift -q %corpus/blas/gemv.mlir | diff %t.gemv.plugin -
// RUN: FileCheck %s --check-prefix=GEMV < %t.gemv.plugin
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-raise)' %corpus/extra_int/div_rem_i32.mlir > %t.divrem.plugin
// RUN: liftcomp lift -q %corpus/extra_int/div_rem_i32.mlir | diff %t.divrem.plugin -
//
// Raise, upstream cleanups, the Gemmini lowering and cleanups again, in one invocation; what it
// prints reads back in mlir-opt-22 and in xDSL.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/all.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(liftcomp-raise, canonicalize, cse, liftcomp-lower-gemmini{form="loop_ws"}, canonicalize, cse)' \
// RUN:   %corpus/extra_linalg/gemm_i8_i32.mlir > %t.gemm
// RUN: FileCheck %s --check-prefix=GEMM < %t.gemm
// RUN: mlir-opt-22 --irdl-file=%repo/dialects/all.irdl.mlir %t.gemm | diff %t.gemm -
// RUN: mlir-opt-22 --irdl-file=%repo/dialects/all.irdl.mlir --mlir-print-op-generic %t.gemm | xdsl-opt > /dev/null
// The same with the explicit form (mvin / preload / compute / mvout), printed back and re-parsed.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --irdl-file=%repo/dialects/all.irdl.mlir \
// RUN:   --pass-pipeline='builtin.module(liftcomp-raise, canonicalize, cse, liftcomp-lower-gemmini{form="explicit"}, canonicalize, cse)' \
// RUN:   %corpus/extra_linalg/gemm_i8_i32.mlir > %t.gemm.explicit
// RUN: FileCheck %s --check-prefix=EXPLICIT < %t.gemm.explicit
// RUN: mlir-opt-22 --irdl-file=%repo/dialects/all.irdl.mlir %t.gemm.explicit | diff %t.gemm.explicit -
// RUN: mlir-opt-22 --irdl-file=%repo/dialects/all.irdl.mlir --mlir-print-op-generic %t.gemm.explicit | xdsl-opt > /dev/null
//
// Option errors fail when the pipeline is parsed, before anything runs: a value of the wrong
// type, a value out of the option's choices.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-raise{bound=many})' %corpus/blas/gemv.mlir 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BOUND --implicit-check-not=Traceback
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-raise{proposer=oracle})' %corpus/blas/gemv.mlir 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PROPOSER --implicit-check-not=Traceback

// GEMV-LABEL: func.func @gemv
// GEMV-NOT: affine.for
// GEMV: linalg.matvec
// GEMV: bufferization.materialize_in_destination
// GEMM-LABEL: func.func @gemm_i8_i32(%arg0: memref<8x16xi8>, %arg1: memref<16x12xi8>, %arg2: memref<8x12xi32>)
// GEMM-NOT: linalg.
// GEMM-NOT: tensor.
// GEMM-NOT: affine.
// GEMM: "gemmini.config_ex"() {dataflow = "WS"}
// GEMM: "gemmini.config_st"
// GEMM-SAME: elem_bits = 32
// GEMM: "gemmini.loop_ws"({{.*}}%arg0, {{.*}}%arg1, {{.*}}%arg2,
// GEMM-NEXT: "gemmini.fence"()
// GEMM-NEXT: return
// EXPLICIT-LABEL: func.func @gemm_i8_i32(
// EXPLICIT-NOT: linalg.
// EXPLICIT-NOT: affine.
// EXPLICIT: "gemmini.config_ex"() {dataflow = "WS"}
// EXPLICIT: "gemmini.mvin"(%arg1,
// EXPLICIT: "gemmini.mvin"(%arg0,
// EXPLICIT: "gemmini.preload"(
// EXPLICIT: "gemmini.compute_preloaded"(
// EXPLICIT: "gemmini.mvout"(%arg2,
// EXPLICIT-NEXT: "gemmini.fence"()
// EXPLICIT-NEXT: return
// BOUND: <unknown>:0: error: liftcomp-raise: invalid options 'bound=many': option 'bound' expects an integer, got 'many'
// BOUND-NEXT: failed to add `liftcomp-raise` with options `bound=many`
// PROPOSER: <unknown>:0: error: liftcomp-raise: invalid options 'proposer=oracle': option 'proposer' must be one of symbolic, llm, got 'oracle'
// PROPOSER-NEXT: failed to add `liftcomp-raise` with options `proposer=oracle`
