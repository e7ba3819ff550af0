# lit configuration for liftcomp's FileCheck tests.
# ruff: noqa: F821  (lit injects `config` and `lit_config`)
import os
import shutil

import lit.formats

config.name = "liftcomp"
config.test_format = lit.formats.ShTest()
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["python", "Inputs", "lit.cfg.py", "kernels.py", "__pycache__"]

repo = os.path.dirname(config.test_source_root)
venv_bin = os.path.join(repo, ".venv", "bin")
llvm_bin = "/usr/lib/llvm-22/bin"
config.environment["PATH"] = os.pathsep.join([venv_bin, llvm_bin, config.environment.get("PATH", os.environ["PATH"])])
config.environment["LIFTCOMP_TEST_PASSES"] = "1"  # liftcomp-test-bridge, hidden from users
for var in ("HOME", "XDG_CACHE_HOME", "LIFTCOMP_LLM_CACHE", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
    if var in os.environ:
        config.environment[var] = os.environ[var]


def tool(name: str, *candidates: str) -> str:
    for c in candidates:
        path = shutil.which(c, path=config.environment["PATH"])
        if path:
            return path
    lit_config.fatal(f"{name} not found; run tools/setup.sh")


config.substitutions.append(("mlir-opt-22", tool("mlir-opt-22", "mlir-opt-22", "mlir-opt")))
config.substitutions.append(("mlir-runner-22", tool("mlir-runner-22", "mlir-runner-22", "mlir-runner")))
config.substitutions.append(("FileCheck", tool("FileCheck", "FileCheck-22", "FileCheck")))
config.substitutions.append(("xdsl-opt", os.path.join(venv_bin, "xdsl-opt")))
config.substitutions.append(("liftcomp-opt", os.path.join(venv_bin, "liftcomp-opt")))
config.substitutions.append(("%python", os.path.join(venv_bin, "python")))
config.substitutions.append(("%corpus", os.path.join(config.test_source_root, "corpus")))
config.substitutions.append(("%repo", repo))
plugin = os.path.join(repo, "build", "passes", "LiftcompPlugin.so")
config.substitutions.append(("%liftcomp_plugin", plugin))
if os.path.exists(plugin):
    config.available_features.add("plugin")
