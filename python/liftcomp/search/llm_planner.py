"""An LLM planner in Autocomp's style, through liftcomp.llm (cache, budget, replay).

Plan phase (one request per parent, `n` = plans per candidate samples): the prompt gives what the
target describes (its hardware summary, the current schedule as readable text, the measured cost
and the target's counters, e.g. Gemmini's per-unit busy times and occupancy) and the bound, the steps taken so far, and the rewrite menu with random
dropout (each item is left out with probability `dropout`, never all), sometimes (`off_menu`)
inviting an optimization that is not on the menu. The reply must contain one JSON object
`{"rewrite": NAME, "params": {...}, "reason": "..."}`: the chosen item and a rough intent.

Implement phase (one request per plan, `n` = implementations per plan samples), by mode:
- `menu`: the model gives the item's concrete parameters, `{"params": {...}}`, each sample one
  candidate step (duplicates dropped); the menu's legality checks then decide.
- `freeform`: the model implements the plan (a menu item or an off-menu idea) by editing the
  kernel's target IR, shown in the prompt; each sample's ```mlir block is one candidate, parsed,
  verified, simulated under a step budget and checked on two sets of inputs (search/freeform.py).
- `mixed`: menu items are implemented with parameters; the plan may instead choose `freeform`
  (or an off-menu idea) to edit the IR; children of free-form candidates are edited freely.
Replies are parsed with `json.loads` or xDSL's parser, never executed, and checked strictly:
unknown items, unknown or mistyped parameters, off-menu proposals in menu mode become recorded
refusals.

Randomness (dropout, invitation, request seeds) comes from the search's seeded generator, so a
replayed run sends the same prompts and the response cache answers them.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from liftcomp.diagnostics import LiftcompError
from liftcomp.llm import LLMClient, LLMError
from liftcomp.search.beam import Candidate, Edit, Implementation, Plan, Unusable
from liftcomp.search.freeform import IRSchedule, extract_mlir, no_mlir_reason
from liftcomp.search.problem import SearchProblem
from liftcomp.search.space import Menu, Refused, Step

MODES = ("menu", "freeform", "mixed")

_EXPERT = "You are an expert performance engineer for the accelerator described under '## Hardware'. "

SYSTEM = (
    _EXPERT + "You improve a kernel's schedule one step at a time by choosing ONE rewrite from a menu. Every "
    "rewrite keeps the result exact; a legality check refuses rewrites that do not fit the hardware. Answer with "
    "a short reason and then exactly one JSON object: "
    '{"rewrite": "<menu item>", "params": {<parameters>}, "reason": "<one sentence>"}.'
)
SYSTEM_FREEFORM_PLAN = (
    _EXPERT + "You improve a kernel one step at a time. Choose ONE optimization: a menu item, or an idea of your "
    "own; it will then be implemented by editing the kernel's target IR directly. Answer with a short reason and "
    'then exactly one JSON object: {"rewrite": "<menu item>", "params": {<parameters>}, "reason": "<one sentence>"}.'
)
SYSTEM_PARAMS = (
    _EXPERT + "A plan chose one rewrite of a kernel's schedule; you choose its concrete parameters. The rewrite "
    "keeps the result exact; a legality check refuses parameters that do not fit the hardware. Answer with a "
    'short reason and then exactly one JSON object: {"params": {<parameter>: <value>}, "reason": "<one sentence>"}.'
)
SYSTEM_FREEFORM = (
    _EXPERT + "You optimise a kernel by editing its target IR directly: one MLIR module in the dialects "
    "listed under '## Target IR rules' (no other dialect is accepted). Keep the function's name and "
    "signature; its results must equal the reference's exactly for every input. Your IR is parsed, verified and "
    "simulated with a step limit on random inputs; it is never run as code. Answer with a short reason and then "
    "the whole new module in one ```mlir block."
)

OFF_MENU_NAME = "off_menu"
FREEFORM_NAME = "freeform"  # the plan choice "edit the IR" in mixed mode


def _state_lines(parent: Candidate, problem: SearchProblem) -> list[str]:
    """Hardware, current schedule and its simulated performance: what every prompt starts with."""
    m = parent.metrics
    assert m is not None
    bound = problem.bound()
    steps = ", ".join(str(s) for s in parent.steps) or "none (the target's library schedule)"
    limited = f", limited by {bound.bottleneck}" if bound.bottleneck else ""
    util = f" (utilization {bound.utilization:.1%}{limited})" if bound.utilization is not None else ""
    return [
        "## Hardware",
        problem.isa_summary(),
        "",
        "## Current schedule",
        problem.describe(parent.schedule),
        f"rewrite steps so far: {steps}",
        "",
        f"## Measured performance ({problem.evaluator.name})",
        *problem.space.describe_measurement(m),
        f"roofline bound: {bound.cost} {bound.unit}{util}",
    ]


def _ir_lines(parent: Candidate, problem: SearchProblem) -> list[str]:
    rules = problem.rules()
    dialects = ", ".join(d.name for d in rules.dialects) if rules is not None else "none"
    return ["", "## Target IR rules", f"dialects allowed: {dialects}",
            "", "## Current target IR", "```mlir", problem.target_ir(parent.schedule).rstrip(), "```"]


def build_prompt(parent: Candidate, problem: SearchProblem, rng: random.Random, dropout: float,
                 off_menu: float, mode: str = "menu") -> list[dict[str, str]]:
    """The plan phase's messages."""
    menu = problem.menu_text()
    kept = [item for item in menu if rng.random() >= dropout] or [rng.choice(menu)]
    invite = rng.random() < off_menu
    freeform_parent = isinstance(parent.schedule, IRSchedule)
    lines = _state_lines(parent, problem)
    if freeform_parent:
        lines += _ir_lines(parent, problem)
    lines += ["", "## Menu (name(parameters): effect)", *[f"- {item}" for item in kept]]
    if mode == "mixed":
        lines.append(f"- {FREEFORM_NAME}(idea: text): edit the target IR directly, for anything the menu cannot "
                     "express (checked by simulation)")
    if invite:
        lines += ["", "You may instead propose one optimization that is NOT on the menu, as "
                  f'{{"rewrite": "{OFF_MENU_NAME}", "params": {{"description": "..."}}}}.']
    if mode == "menu":
        lines += ["", "Choose the single rewrite most likely to reduce the cycles. Reply with one JSON object."]
        system = SYSTEM
    else:
        lines += ["", "Choose the single optimization most likely to reduce the cycles (params: the values you "
                  "intend; they are fixed when it is implemented). Reply with one JSON object."]
        system = SYSTEM_FREEFORM_PLAN
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(lines)}]


def _plan_lines(plan: Plan, menu: Menu[Any, Any]) -> list[str]:
    rw = menu.get(plan.rewrite)
    if rw is not None:
        what = rw.describe()
    elif plan.rewrite == OFF_MENU_NAME:
        what = f"off the menu: {plan.params.get('description', '')}"
    else:
        what = f"free-form: {plan.params.get('idea', '')}"
    lines = ["", "## Plan", f"rewrite: {what}"]
    if plan.params and rw is not None:
        lines.append(f"intended parameters: {json.dumps(plan.params, sort_keys=True)}")
    why = plan.reason.removeprefix("llm: ").removeprefix("llm")
    if why:
        lines.append(f"why: {why}")
    return lines


def build_params_prompt(parent: Candidate, problem: SearchProblem, plan: Plan) -> list[dict[str, str]]:
    """The implement phase's messages for a menu item: its concrete parameters."""
    lines = _state_lines(parent, problem) + _plan_lines(plan, problem.space.menu)
    lines += ["", f"Give concrete values for the parameters of {plan.rewrite} (JSON types as listed: integers, "
              'true / false, or one of the quoted choices). Reply with one JSON object {"params": {...}}.']
    return [{"role": "system", "content": SYSTEM_PARAMS}, {"role": "user", "content": "\n".join(lines)}]


def build_freeform_prompt(parent: Candidate, problem: SearchProblem, plan: Plan) -> list[dict[str, str]]:
    """The implement phase's messages for a free-form edit: the target IR to rewrite."""
    lines = _state_lines(parent, problem) + _ir_lines(parent, problem) + _plan_lines(plan, problem.space.menu)
    lines += ["", "Apply this optimization by editing the target IR. Reply with the complete new module in one "
              "```mlir block."]
    return [{"role": "system", "content": SYSTEM_FREEFORM}, {"role": "user", "content": "\n".join(lines)}]


_JSON_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


def _json_object(text: str) -> tuple[dict[str, Any] | None, str]:
    """The reply's JSON object (the last ```json block, else the outermost braces), or why not."""
    candidates = [m.group(1) for m in _JSON_BLOCK.finditer(text)]
    if not candidates:
        start = text.find("{")
        end = text.rfind("}")
        if start >= 0 and end > start:
            candidates = [text[start : end + 1]]
    if not candidates:
        return None, f"(no JSON object): {text[:120]!r}"
    try:
        obj = json.loads(candidates[-1])
    except json.JSONDecodeError as e:
        return None, f"(invalid JSON: {e.msg}): {candidates[-1][:120]!r}"
    if not isinstance(obj, dict):
        return None, f"(not a JSON object): {candidates[-1][:120]!r}"
    return obj, ""


def parse_reply(text: str, mode: str = "menu", freeform_parent: bool = False, *, menu: Menu[Any, Any]) -> Plan:
    """A plan from one reply, or a Plan with `error` saying why the reply is unusable."""
    obj, why = _json_object(text)
    if obj is None:
        return Plan("", error=f"unusable LLM reply {why}")
    if not isinstance(obj.get("rewrite"), str):
        return Plan("", error=f"unusable LLM reply (no 'rewrite' name): {json.dumps(obj)[:120]!r}")
    extra = sorted(set(obj) - {"rewrite", "params", "reason"})
    if extra:
        return Plan("", error=f"unusable LLM reply (unexpected keys {extra})")
    params = obj.get("params", {})
    if not isinstance(params, dict):
        return Plan("", error="unusable LLM reply ('params' is not an object)")
    reason = obj.get("reason", "")
    reason = reason if isinstance(reason, str) else ""
    label = f"llm: {reason}" if reason else "llm"
    name = obj["rewrite"]
    if name == OFF_MENU_NAME:
        desc = params.get("description", "")
        if mode == "menu":
            return Plan(name, params, reason,
                        error=f"off-menu proposal, not applied (only menu rewrites are): {str(desc)[:200]}")
        return Plan(name, params, label, freeform=True)
    if name == FREEFORM_NAME and mode != "menu":
        return Plan(name, params, label, freeform=True)
    if menu.get(name) is None:
        return Plan(name, params, reason, error=f"'{name}' is not on the menu")
    return Plan(name, params, label, freeform=mode == "freeform" or freeform_parent)


def parse_params_reply(text: str, rewrite: str, menu: Menu[Any, Any]) -> Step | Unusable:
    """One implementation of menu item `rewrite` from a reply: its parameters, names and JSON types
    checked against the item's (the menu's legality check judges the values in context)."""
    obj, why = _json_object(text)
    if obj is None:
        return Unusable(f"unusable implementation reply {why}")
    extra = sorted(set(obj) - {"params", "reason"})
    if extra:
        return Unusable(f"unusable implementation reply (unexpected keys {extra})")
    params = obj.get("params")
    if not isinstance(params, dict):
        return Unusable("unusable implementation reply ('params' is missing or not an object)")
    rw = menu.get(rewrite)
    assert rw is not None, "plans name menu items only"
    known = {p.name: p for p in rw.params}
    unknown = sorted(set(params) - set(known))
    if unknown:
        return Unusable(f"{rewrite}: unknown parameter(s) {unknown} (takes {sorted(known)})")
    try:
        checked = {k: known[k].check(rewrite, v) for k, v in params.items()}
    except Refused as e:
        return Unusable(e.message)
    return Step(rewrite, checked)


class LLMPlanner:
    """Plans by asking an LLM (`n` samples per parent); implements by asking it again (`n` samples
    per plan) for the menu item's parameters or, in free-form mode, for edited target IR."""

    name = "llm"

    def __init__(self, client: LLMClient, dropout: float = 0.2, off_menu: float = 0.1, temperature: float = 0.7,
                 mode: str = "menu"):
        if mode not in MODES:
            raise LiftcompError(f"unknown LLM planner mode '{mode}' (known: {', '.join(MODES)})")
        self.client = client
        self.dropout = dropout
        self.off_menu = off_menu
        self.temperature = temperature
        self.mode = mode
        self.prompts: list[list[dict[str, str]]] = []

    def _ask(self, messages: list[dict[str, str]], n: int, rng: random.Random) -> list[str]:
        """`n` samples; raises LLMError."""
        self.prompts.append(messages)
        return self.client.complete(messages, n=n, temperature=self.temperature, seed=rng.randrange(1 << 30))

    def plan(self, parent: Candidate, problem: SearchProblem, n: int, rng: random.Random) -> list[Plan]:
        messages = build_prompt(parent, problem, rng, self.dropout, self.off_menu, self.mode)
        try:
            texts = self._ask(messages, n, rng)
        except LLMError as e:
            return [Plan("", error=f"LLM request failed: {e}")]
        freeform_parent = isinstance(parent.schedule, IRSchedule)
        return [parse_reply(t, self.mode, freeform_parent, menu=problem.space.menu) for t in texts]

    def implement(self, parent: Candidate, plan: Plan, problem: SearchProblem, n: int,
                  rng: random.Random) -> list[Implementation]:
        if plan.freeform:
            return self._implement_freeform(parent, plan, problem, n, rng)
        rw = problem.space.menu.get(plan.rewrite)
        if rw is not None and not rw.params:
            return [Step(plan.rewrite, {})]  # nothing to choose
        try:
            texts = self._ask(build_params_prompt(parent, problem, plan), n, rng)
        except LLMError as e:
            return [Unusable(f"LLM request failed: {e}")]
        return _unique([parse_params_reply(t, plan.rewrite, problem.space.menu) for t in texts])

    def _implement_freeform(self, parent: Candidate, plan: Plan, problem: SearchProblem, n: int,
                            rng: random.Random) -> list[Implementation]:
        blocker = problem.freeform_blocker()
        if blocker:
            return [Unusable(f"free-form edits are not possible for this kernel: {blocker}")]
        try:
            texts = self._ask(build_freeform_prompt(parent, problem, plan), n, rng)
        except LLMError as e:
            return [Unusable(f"LLM request failed: {e}")]
        out: list[Implementation] = []
        for t in texts:
            ir = extract_mlir(t)
            out.append(Unusable(no_mlir_reason(t)) if ir is None else Edit(ir.strip() + "\n"))
        return _unique(out)

    def usage(self) -> dict[str, Any]:
        return self.client.usage.to_dict()


def _unique(items: list[Implementation]) -> list[Implementation]:
    """Samples in order, duplicates dropped (models often repeat themselves)."""
    out: list[Implementation] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
