// Lifting with answers recorded from a model and replayed from the cache committed beside this
// test (cache/, written by record_cache.py): no key, no network, the same output every time.
// The recorded exchange has two rounds: the first answers are a loop and an import (rejected
// unread), and a sum that wraps in uint8 (the verifier's counterexample goes back to the model);
// the second round's program is proved and lowered to linalg.
//
// RUN: liftcomp lift %s --proposer llm --strategy llm-only --llm-model scripted-loopback \
// RUN:   --llm-cache replay --llm-cache-dir %S/cache --report %t.json -q | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
//
// A second replay gives the same bytes.
// RUN: liftcomp lift %s --proposer llm --strategy llm-only --llm-model scripted-loopback \
// RUN:   --llm-cache replay --llm-cache-dir %S/cache -q -o %t.1.mlir
// RUN: liftcomp lift %s --proposer llm --strategy llm-only --llm-model scripted-loopback \
// RUN:   --llm-cache replay --llm-cache-dir %S/cache -q -o %t.2.mlir
// RUN: cmp %t.1.mlir %t.2.mlir
//
// The liftcomp-raise pass (through xdsl-opt, which keeps the argument names, so the prompts and
// their cache entries are the same) replays the same answers.
// RUN: xdsl-opt %s -p 'liftcomp-raise{proposer=llm strategy=llm-only llm-model=scripted-loopback llm-cache=replay llm-cache-dir="%S/cache" report="%t.pass.json"}' \
// RUN:   | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.pass.json
//
// Without the cache entries, replay is an error naming the missing entry, not a silent fallback.
// RUN: not liftcomp lift %s --proposer llm --strategy llm-only --llm-model scripted-loopback \
// RUN:   --llm-cache replay --llm-cache-dir %t.empty -q 2>&1 | FileCheck %s --check-prefix=MISS

// CHECK-LABEL: func.func @add_sat_u8
// CHECK-NOT:     scf.for
// CHECK:         linalg.map
// CHECK:           arith.extui
// CHECK:           arith.minui
// CHECK-NOT:     scf.for
// CHECK:         return

// REPORT:      "name": "add_sat_u8"
// REPORT-NEXT: "status": "lifted"
// REPORT-NEXT: "proof": "proved"
// REPORT-NEXT: "program": "out[0:n] = np.minimum(a[0:n].astype(np.uint16) + b[0:n], 255)"
// REPORT-NEXT: "proposer": "llm"
// REPORT:      "llm_calls": 0

// MISS: LLM cache miss in replay mode: no entry
// MISS: expected at: {{.*}}.empty

// out[i] = min(a[i] + b[i], 255) on bytes read as unsigned: a saturating add.
func.func @add_sat_u8(%a: memref<?xi8>, %b: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %max = arith.constant 255 : i32
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi8>
    %y = memref.load %b[%i] : memref<?xi8>
    %xw = arith.extui %x : i8 to i32
    %yw = arith.extui %y : i8 to i32
    %s = arith.addi %xw, %yw : i32
    %c = arith.minsi %s, %max : i32
    %t = arith.trunci %c : i32 to i8
    memref.store %t, %out[%i] : memref<?xi8>
  }
  return
}
