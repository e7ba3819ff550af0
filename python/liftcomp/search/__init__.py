"""Schedule search: a target's rewrite menu, beam search with plan / implement phases, planners
(built-in policy, LLM), simulator feedback, and reports (trace, plot, table).

- `problem`: SearchProblem (what a target supplies) and GemminiProblem.
- `beam`: beam_search(problem, planner, SearchOptions) -> SearchResult.
- `gemmini_policy`: BuiltinPlanner; `llm_planner`: LLMPlanner (modes menu / freeform / mixed).
- `freeform`: checks for LLM-edited target IR (restricted parse, signature, step-budgeted simulation).
- `driver`: schedule choice for `liftcomp compile --search beam` / `--schedule FILE`.
- `report`: JSON trace, PNG plot, terminal table, progress bar.
"""
