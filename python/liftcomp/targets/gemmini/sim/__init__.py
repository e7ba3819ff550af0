"""Gemmini simulator: functional (bit-exact) and timing (instruction-level model, not RTL)."""

from liftcomp.targets.gemmini.sim.machine import Machine, SimError
from liftcomp.targets.gemmini.sim.simulate import SimResult, simulate

__all__ = ["Machine", "SimError", "SimResult", "simulate"]
