// REQUIRES: plugin
// Bad pass options fail when the pipeline is parsed, before any pass runs, with a message naming
// the option, in every driver: mlir-opt-22 (plugin), xdsl-opt and liftcomp-opt. Never a traceback.
// (test/python/test_pass_options.py checks every option of every pass.)
//
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(canonicalize, liftcomp-lower-gemmini{form=diagonal})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MLIR-FORM --implicit-check-not=Traceback
// MLIR-FORM: <unknown>:0: error: liftcomp-lower-gemmini: invalid options 'form=diagonal': option 'form' must be one of explicit, loop_ws, got 'diagonal'
// MLIR-FORM-NEXT: failed to add `liftcomp-lower-gemmini` with options `form=diagonal`
// RUN: not xdsl-opt -p 'liftcomp-lower-gemmini{form=diagonal}' %s 2>&1 | FileCheck %s --check-prefix=FORM --implicit-check-not=Traceback
// RUN: not liftcomp-opt -p 'liftcomp-lower-gemmini{form=diagonal}' %s 2>&1 | FileCheck %s --check-prefix=FORM --implicit-check-not=Traceback
// FORM: {{^(liftcomp-opt: )?}}error: liftcomp-lower-gemmini: option 'form' must be one of explicit, loop_ws, got 'diagonal'
//
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-raise{llm-temperature=3.5})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MLIR-TEMP --implicit-check-not=Traceback
// MLIR-TEMP: <unknown>:0: error: liftcomp-raise: invalid options 'llm-temperature=3.5': option 'llm-temperature' must be between 0 and 2, got 3.5
// RUN: not xdsl-opt -p 'liftcomp-raise{llm-temperature=3.5}' %s 2>&1 | FileCheck %s --check-prefix=TEMP --implicit-check-not=Traceback
// RUN: not liftcomp-opt -p 'liftcomp-raise{llm-temperature=3.5}' %s 2>&1 | FileCheck %s --check-prefix=TEMP --implicit-check-not=Traceback
// TEMP: {{^(liftcomp-opt: )?}}error: liftcomp-raise: option 'llm-temperature' must be between 0 and 2, got 3.5
//
// A value of the wrong type, and an option the pass does not have.
// RUN: not xdsl-opt -p 'liftcomp-raise{bound=many}' %s 2>&1 | FileCheck %s --check-prefix=TYPE --implicit-check-not=Traceback
// RUN: not liftcomp-opt -p 'liftcomp-raise{bound=many}' %s 2>&1 | FileCheck %s --check-prefix=TYPE --implicit-check-not=Traceback
// TYPE: {{^(liftcomp-opt: )?}}error: liftcomp-raise: option 'bound' expects an integer, got 'many'
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-lower-gemmini{serach=beam})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MLIR-UNKNOWN --implicit-check-not=Traceback
// MLIR-UNKNOWN: <unknown>:0: error: liftcomp-lower-gemmini: invalid options 'serach=beam': unknown option 'serach' (options: search, budget, planner, schedule, database, seed, dyn-size, form, dram-latency, search-report, strict, remarks)
// RUN: not xdsl-opt -p 'liftcomp-lower-gemmini{serach=beam}' %s 2>&1 | FileCheck %s --check-prefix=UNKNOWN --implicit-check-not=Traceback
// UNKNOWN: {{^(liftcomp-opt: )?}}error: liftcomp-lower-gemmini: unknown option 'serach' (options: search, budget, planner, schedule, database, seed, dyn-size, form, dram-latency, search-report, strict, remarks)
//
// Options that only make sense together.
// RUN: not mlir-opt-22 --load-pass-plugin=%liftcomp_plugin --pass-pipeline='builtin.module(liftcomp-lower-gemmini{budget=10})' %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BUDGET --implicit-check-not=Traceback
// BUDGET: <unknown>:0: error: liftcomp-lower-gemmini: invalid options 'budget=10': option 'budget' needs search=beam

func.func @f(%a: i32) -> i32 {
  return %a : i32
}
