"""An LLM planner in Autocomp's style, through liftcomp.llm (cache, budget, replay).

The prompt gives the ISA summary, the current schedule as readable text, its simulated cycles,
utilization, per-unit busy times, occupancy and the analytic bound, the steps taken so far, and the
rewrite menu with random dropout (each item is left out with probability `dropout`, never all),
sometimes (`off_menu`) inviting an optimization that is not on the menu. The reply must contain
one JSON object `{"rewrite": NAME, "params": {...}, "reason": "..."}`; it is parsed with
`json.loads`, never executed, and checked strictly: unknown items, unknown or mistyped parameters
and off-menu proposals become recorded refusals. The menu's legality checks then decide.

Randomness (dropout, invitation) comes from the search's seeded generator, so a replayed run sends
the same prompts and the response cache answers them.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from liftcomp.llm import LLMClient, LLMError
from liftcomp.search.beam import Candidate, Plan
from liftcomp.search.problem import SearchProblem
from liftcomp.targets.gemmini.menu import MENU_BY_NAME, Step

SYSTEM = (
    "You are an expert performance engineer for the Gemmini systolic-array accelerator. You improve a "
    "matmul schedule one step at a time by choosing ONE rewrite from a menu. Every rewrite keeps the "
    "result exact; a legality check refuses rewrites that do not fit the hardware. Answer with a short "
    "reason and then exactly one JSON object: "
    '{"rewrite": "<menu item>", "params": {<parameters>}, "reason": "<one sentence>"}.'
)

OFF_MENU_NAME = "off_menu"


def build_prompt(parent: Candidate, problem: SearchProblem, rng: random.Random, dropout: float,
                 off_menu: float) -> list[dict[str, str]]:
    m = parent.metrics
    assert m is not None
    bound = problem.bound()
    menu = problem.menu_text()
    kept = [item for item in menu if rng.random() >= dropout] or [rng.choice(menu)]
    invite = rng.random() < off_menu
    busy = ", ".join(f"{u} {c} ({c / max(1, m.cycles):.0%})" for u, c in m.busy.items())
    steps = ", ".join(str(s) for s in parent.steps) or "none (the library schedule, tiled_matmul_auto)"
    lines = [
        "## Hardware",
        problem.isa_summary(),
        "",
        "## Current schedule",
        problem.describe(parent.schedule),
        f"rewrite steps so far: {steps}",
        "",
        "## Simulated performance",
        f"cycles: {m.cycles}, utilization: {m.utilization:.1%}",
        f"busy cycles per unit: {busy}",
        f"scratchpad occupancy: {m.spad_occupancy:.0%}, accumulator occupancy: {m.acc_occupancy:.0%}",
        f"roofline bound: {bound.cycles} cycles (utilization {bound.utilization:.1%}, limited by {bound.bottleneck})",
        "",
        "## Menu (name(parameters): effect)",
        *[f"- {item}" for item in kept],
    ]
    if invite:
        lines += ["", "You may instead propose one optimization that is NOT on the menu, as "
                  f'{{"rewrite": "{OFF_MENU_NAME}", "params": {{"description": "..."}}}}.']
    lines += ["", "Choose the single rewrite most likely to reduce the cycles. Reply with one JSON object."]
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


_JSON_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


def parse_reply(text: str) -> Plan:
    """A plan from one reply, or a Plan with `error` saying why the reply is unusable."""
    candidates = [m.group(1) for m in _JSON_BLOCK.finditer(text)]
    if not candidates:
        start = text.find("{")
        end = text.rfind("}")
        if start >= 0 and end > start:
            candidates = [text[start : end + 1]]
    if not candidates:
        return Plan("", error=f"unusable LLM reply (no JSON object): {text[:120]!r}")
    try:
        obj = json.loads(candidates[-1])
    except json.JSONDecodeError as e:
        return Plan("", error=f"unusable LLM reply (invalid JSON: {e.msg}): {candidates[-1][:120]!r}")
    if not isinstance(obj, dict) or not isinstance(obj.get("rewrite"), str):
        return Plan("", error=f"unusable LLM reply (no 'rewrite' name): {candidates[-1][:120]!r}")
    extra = sorted(set(obj) - {"rewrite", "params", "reason"})
    if extra:
        return Plan("", error=f"unusable LLM reply (unexpected keys {extra})")
    params = obj.get("params", {})
    if not isinstance(params, dict):
        return Plan("", error="unusable LLM reply ('params' is not an object)")
    reason = obj.get("reason", "")
    reason = reason if isinstance(reason, str) else ""
    name = obj["rewrite"]
    if name == OFF_MENU_NAME:
        desc = params.get("description", "")
        return Plan(name, params, reason, error=f"off-menu proposal, not applied (only menu rewrites are): {str(desc)[:200]}")
    if name not in MENU_BY_NAME:
        return Plan(name, params, reason, error=f"'{name}' is not on the menu")
    return Plan(name, params, f"llm: {reason}" if reason else "llm")


class LLMPlanner:
    """Plans by asking an LLM (`n` samples per parent); implements by applying the named rewrite."""

    name = "llm"

    def __init__(self, client: LLMClient, dropout: float = 0.2, off_menu: float = 0.1, temperature: float = 0.7):
        self.client = client
        self.dropout = dropout
        self.off_menu = off_menu
        self.temperature = temperature
        self.prompts: list[list[dict[str, str]]] = []

    def plan(self, parent: Candidate, problem: SearchProblem, n: int, rng: random.Random) -> list[Plan]:
        messages = build_prompt(parent, problem, rng, self.dropout, self.off_menu)
        self.prompts.append(messages)
        try:
            texts = self.client.complete(messages, n=n, temperature=self.temperature, seed=rng.randrange(1 << 30))
        except LLMError as e:
            return [Plan("", error=f"LLM request failed: {e}")]
        return [parse_reply(t) for t in texts]

    def implement(self, parent: Candidate, plan: Plan, problem: SearchProblem, n: int,
                  rng: random.Random) -> list[Step]:
        return [Step(plan.rewrite, dict(plan.params))]

    def usage(self) -> dict[str, Any]:
        return self.client.usage.to_dict()
