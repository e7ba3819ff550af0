// REQUIRES: plugin
// liftcomp-raise's error path and remarks, through mlir-opt-22 (plugin), xdsl-opt and liftcomp-opt.
// @vadd lifts; @scan (a prefix sum: loop-carried dependence through memory) cannot.
//
// Without strict, the pass succeeds and @scan stays a loop; with remarks=true each function
// gets a remark at its location (the refused loop for @scan) saying what happened.
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-raise{remarks=true})' %s \
// RUN:   -o %t.lax 2>&1 | FileCheck %s --check-prefix=REMARKS --implicit-check-not=error
// RUN: FileCheck %s --check-prefix=LAX < %t.lax
//
// strict=true: an error at the refused loop saying why, the pass fails, and the module is the
// input as it was (the dump after the failure still has @vadd's loop: nothing was swapped in).
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --mlir-print-op-on-diagnostic=false \
// RUN:   --pass-pipeline='builtin.module(liftcomp-raise{strict=true})' --mlir-print-ir-after-failure %s > %t.strict 2>&1
// RUN: FileCheck %s --check-prefix=STRICT --implicit-check-not=Traceback < %t.strict
// RUN: FileCheck %s --check-prefix=UNTOUCHED < %t.strict
//
// xdsl-opt (locations from mlir-opt-22's generic form) and liftcomp-opt (-f upstream reads the file
// through mlir-opt-22): the same diagnostics, as file:line:col text, no traceback, no output.
// RUN: mlir-opt-22 --mlir-print-op-generic --mlir-print-debuginfo --mlir-print-local-scope %s \
// RUN:   | not xdsl-opt -p 'liftcomp-raise{strict=true remarks=true}' > %t.xdsl.out 2> %t.xdsl.err
// RUN: FileCheck %s --check-prefix=STRICT --implicit-check-not=Traceback < %t.xdsl.err
// RUN: FileCheck %s --check-prefix=REMARKS < %t.xdsl.err
// RUN: not test -s %t.xdsl.out
// RUN: not liftcomp-opt -f upstream %s -p 'liftcomp-raise{strict=true}' > %t.opt.out 2> %t.opt.err
// RUN: FileCheck %s --check-prefix=STRICT --implicit-check-not=Traceback < %t.opt.err
// RUN: not test -s %t.opt.out
// RUN: liftcomp-opt -f upstream %s -p 'liftcomp-raise{remarks=true}' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARKS

// LAX-LABEL: func.func @vadd
// LAX-NOT:     scf.for
// LAX:         linalg.elementwise kind=#linalg.elementwise_kind<add>
// LAX-LABEL: func.func @scan
// LAX:         scf.for

// UNTOUCHED: IR Dump After LiftcompRaise Failed
// UNTOUCHED-LABEL: func.func @vadd
// UNTOUCHED:         scf.for
// UNTOUCHED-NOT:     linalg
// UNTOUCHED-LABEL: func.func @scan
// UNTOUCHED:         scf.for

// REMARKS-DAG: strict.mlir:[[@LINE+2]]:1: remark: liftcomp-raise: @vadd: lifted (proved, proposed by symbolic): c[0:n] = (a[0:n] + b[0:n])
// (the remark names the function, at the function)
func.func @vadd(%a: memref<?xi32>, %b: memref<?xi32>, %c: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %y = memref.load %b[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    memref.store %s, %c[%i] : memref<?xi32>
  }
  return
}

func.func @scan(%a: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  // STRICT: strict.mlir:[[@LINE+2]]:3: error: liftcomp-raise: @scan: loop nest not lifted (strict=true): loop-carried dependence through memory on 'a'
  // REMARKS-DAG: strict.mlir:[[@LINE+1]]:3: remark: liftcomp-raise: @scan: left unchanged: loop-carried dependence through memory on 'a'
  scf.for %i = %c1 to %n step %c1 {
    %im = arith.subi %i, %c1 : index
    %p = memref.load %a[%im] : memref<?xi32>
    %v = memref.load %a[%i] : memref<?xi32>
    %s = arith.addi %p, %v : i32
    memref.store %s, %a[%i] : memref<?xi32>
  }
  return
}
