"""xDSL plugin registration: `xdsl-opt -p liftcomp-raise` works once the package is installed.

Factories import lazily so that `xdsl-opt --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.universe import Universe

from liftcomp.interop import xdsl_compat

xdsl_compat.apply()


def liftcomp_dialects() -> dict[str, Callable[[], Dialect]]:
    def gemmini() -> Dialect:
        from liftcomp.targets.gemmini.dialect import Gemmini

        return Gemmini

    return {"gemmini": gemmini}


def liftcomp_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    def raise_pass() -> type[ModulePass]:
        from liftcomp.lift.liftcomp_raise import LiftcompRaisePass

        return LiftcompRaisePass

    def lower_gemmini() -> type[ModulePass]:
        from liftcomp.targets.gemmini.liftcomp_lower_gemmini import LiftcompLowerGemminiPass

        return LiftcompLowerGemminiPass

    def gemmini_cleanup() -> type[ModulePass]:
        from liftcomp.targets.gemmini.liftcomp_gemmini_cleanup import LiftcompGemminiCleanupPass

        return LiftcompGemminiCleanupPass

    def test_bridge() -> type[ModulePass]:
        from liftcomp.interop.liftcomp_test_bridge import LiftcompTestBridgePass

        return LiftcompTestBridgePass

    return {
        "liftcomp-raise": raise_pass,
        "liftcomp-lower-gemmini": lower_gemmini,
        "liftcomp-gemmini-cleanup": gemmini_cleanup,
        "liftcomp-test-bridge": test_bridge,
    }


LIFTCOMP_UNIVERSE = Universe(all_dialects=liftcomp_dialects(), all_passes=liftcomp_passes())
