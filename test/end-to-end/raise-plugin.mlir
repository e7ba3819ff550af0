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
//
// Option errors: a value of the wrong type fails when the pipeline is parsed; a value the pass
// refuses fails when it runs, as an error on the module.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-raise{bound=many})' %corpus/blas/gemv.mlir 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BOUND
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-raise{proposer=oracle})' %corpus/blas/gemv.mlir 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PROPOSER

// GEMV-LABEL: func.func @gemv
// GEMV-NOT: affine.for
// GEMV: linalg.generic
// GEMV: bufferization.materialize_in_destination
// GEMM-LABEL: func.func @gemm_i8_i32
// GEMM-NOT: linalg.
// GEMM-NOT: tensor.
// GEMM: return
// BOUND: error: liftcomp-raise: invalid options 'bound=many'
// BOUND: failed to add `liftcomp-raise` with options `bound=many`
// PROPOSER: gemv.mlir:0:0: error: liftcomp-raise: {{.*}}unknown proposer 'oracle'
