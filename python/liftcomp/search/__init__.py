"""Schedule search, generic over targets: a target's kernel space (menu of rewrites over its own
schedule type), beam search with plan / implement phases, planners (the target's own built-in one,
the generic model planner, an LLM), evaluation on a local pool or Ray, tuning records, reports.

- `space`: Step, Param, Rewrite, Menu, Refused; `measure`: Measurement, Evaluator; `cost_model`.
- `problem`: Problem (a KernelSpace + Evaluator + reference inputs); `executor`: local pool / Ray.
- `beam`: beam_search(problem, planner, SearchOptions) -> SearchResult; `database`: tuning records.
- `model_planner`: ModelPlanner; `llm_planner`: LLMPlanner (modes menu / freeform / mixed).
- `freeform`: checks for LLM-edited target IR (restricted parse, signature, step-budgeted run).
- `driver`: schedule choice for `liftcomp compile` and the lowering passes.
- `report`: JSON trace, PNG plot, terminal table, progress bar.
"""
