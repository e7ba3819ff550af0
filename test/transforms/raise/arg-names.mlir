// Diagnostics name arguments as the user wrote them: `%in` (a Python keyword, `in_` inside
// TensorSpec programs) is 'in', also through mlir-opt-22, which drops SSA names (the pass reads
// them back from the file the function's location names).
//
// RUN: liftcomp lift -q %s --report %t.json -o %t.out.mlir
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// RUN: mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-raise{remarks=true})' %s \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK

// REPORT: "reason": "{{.*}}loop-carried dependence through memory on 'in' (e.g. a scan or recurrence)"
// REMARK: arg-names.mlir:[[@LINE+4]]:3: remark: liftcomp-raise: @scan: left unchanged: loop-carried dependence through memory on 'in' (e.g. a scan or recurrence)
// REMARK-NOT: arg0
func.func @scan(%in: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %n step %c1 {
    %j = arith.subi %i, %c1 : index
    %a = memref.load %in[%j] : memref<?xi32>
    %b = memref.load %in[%i] : memref<?xi32>
    %s = arith.addi %a, %b : i32
    memref.store %s, %in[%i] : memref<?xi32>
  }
  return
}
