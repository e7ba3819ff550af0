"""lit test format for the corpus (importable, so lit can pickle it for its worker processes).

Every corpus kernel is a lit test: mlir-opt-22 parses it, its generic form goes through xdsl-opt
(generic in, generic out) and back into mlir-opt-22, and the result must be identical.
"""
# ruff: noqa: N802, N803 (lit's method and argument names)

import os
import subprocess

import lit.formats
import lit.Test


class CorpusRoundTrip(lit.formats.TestFormat):
    def getTestsInDirectory(self, testSuite, path_in_suite, litConfig, localConfig):
        source_path = testSuite.getSourcePath(path_in_suite)
        for name in sorted(os.listdir(source_path)):
            full = os.path.join(source_path, name)
            if os.path.isdir(full) and not name.startswith(("_", ".")):
                yield from self.getTestsInDirectory(testSuite, path_in_suite + (name,), litConfig, localConfig)
            elif name.endswith(".mlir"):
                yield lit.Test.Test(testSuite, path_in_suite + (name,), localConfig)

    def execute(self, test, litConfig):
        env = dict(os.environ, PATH=test.config.environment["PATH"])
        path = test.getSourcePath()

        def run(cmd, stdin=None):
            p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=120)
            if p.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr}")
            return p.stdout

        try:
            direct = run(["mlir-opt-22", path])
            generic = run(["mlir-opt-22", "--mlir-print-op-generic", "--mlir-print-local-scope", path])
            through_xdsl = run(["xdsl-opt", "--print-op-generic"], generic)
            back = run(["mlir-opt-22", "-"], through_xdsl)
        except RuntimeError as e:
            return lit.Test.FAIL, str(e)
        if back != direct:
            return lit.Test.FAIL, f"round trip changed the IR:\n--- direct\n{direct}\n--- via xdsl-opt\n{back}"
        return lit.Test.PASS, ""


