"""Options of liftcomp's passes: every option of every pass is checked when the pass is constructed
(xdsl-opt / liftcomp-opt pipeline parsing, the mlir-opt plugin's check_options), with a message
naming the option; strict modes leave the module untouched; the LLM options of liftcomp-raise
reach the client (a loopback OpenAI-compatible server)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop import bridge
from liftcomp.interop.mlir_tool import default_context, parse_mlir, parse_xdsl, print_generic
from liftcomp.lift.liftcomp_raise import LiftcompRaisePass
from liftcomp.llm.testing import Delay, LoopbackLLMServer, Reply
from liftcomp.pass_support import LiftcompPass, PassOptionError, collect_remarks
from liftcomp.universe import liftcomp_passes
from xdsl.passes import PassPipeline

HERE = Path(__file__).resolve()
NO_FILE = "/nonexistent/liftcomp/file.json"

# (pass, option text, the message after "<pass>: "). Every option of every pass has at least one.
BAD = [
    ("liftcomp-raise", "proposer=oracle", "option 'proposer' must be one of symbolic, llm, got 'oracle'"),
    ("liftcomp-raise", "require=tested", "option 'require' must be one of bounded, proved, got 'tested'"),
    ("liftcomp-raise", "float-model=exact", "option 'float-model' must be ieee, fast, or fast-math flags joined by '+' "
     "(nnan+ninf+nsz+reassoc+contract), got 'exact'"),
    ("liftcomp-raise", "bound=0", "option 'bound' must be >= 1, got 0"),
    ("liftcomp-raise", "bound=many", "option 'bound' expects an integer, got 'many'"),
    ("liftcomp-raise", "query-timeout-ms=0", "option 'query-timeout-ms' must be >= 1, got 0"),
    ("liftcomp-raise", "kernel-timeout-s=0", "option 'kernel-timeout-s' must be > 0, got 0"),
    ("liftcomp-raise", "kernel-timeout-s=nan", "option 'kernel-timeout-s' expects a number, got 'nan'"),
    ("liftcomp-raise", f'report="{NO_FILE}"', f"option 'report': no such directory for {NO_FILE}"),
    ("liftcomp-raise", "remarks=2", "option 'remarks' expects true or false, got 2"),
    ("liftcomp-raise", "strict=yes", "option 'strict' expects true or false, got 'yes'"),
    ("liftcomp-raise", "strategy=random", "option 'strategy' must be one of symbolic-first, llm-first, llm-only, got 'random'"),
    ("liftcomp-raise", "llm-samples=0", "option 'llm-samples' must be >= 1, got 0"),
    ("liftcomp-raise", "llm-temperature=3.5", "option 'llm-temperature' must be between 0 and 2, got 3.5"),
    ("liftcomp-raise", "llm-model=3", "option 'llm-model' expects a string, got 3 (quote text with spaces or special characters)"),
    ("liftcomp-raise", f'llm-config="{NO_FILE}"', f"option 'llm-config': no such file: {NO_FILE}"),
    ("liftcomp-raise", "llm-cache=sometimes", "option 'llm-cache' must be one of use, record, replay, off, got 'sometimes'"),
    ("liftcomp-raise", "llm-cache-dir=true", "option 'llm-cache-dir' expects a string, got true (quote text with spaces or special characters)"),
    ("liftcomp-raise", "llm-timeout=0", "option 'llm-timeout' must be > 0, got 0"),
    ("liftcomp-raise", "llm-max-calls=-1", "option 'llm-max-calls' must be >= 0, got -1"),
    ("liftcomp-raise", "llm-max-tokens=1.5", "option 'llm-max-tokens' expects an integer, got 1.5"),
    ("liftcomp-raise", "llm-max-seconds=-2", "option 'llm-max-seconds' must be >= 0, got -2"),
    ("liftcomp-raise", "colour=red", "unknown option 'colour' (options: proposer, require, float-model, bound, "
     "query-timeout-ms, kernel-timeout-s, report, remarks, strict, strategy, llm-samples, llm-temperature, "
     "llm-model, llm-config, llm-cache, llm-cache-dir, llm-timeout, llm-max-calls, llm-max-tokens, llm-max-seconds)"),
    ("liftcomp-lower-gemmini", "form=diagonal", "option 'form' must be one of explicit, loop_ws, got 'diagonal'"),
    ("liftcomp-lower-gemmini", "search=exhaustive", "option 'search' must be one of none, beam, got 'exhaustive'"),
    ("liftcomp-lower-gemmini", "search=beam budget=-1", "option 'budget' must be >= 0, got -1"),
    ("liftcomp-lower-gemmini", "budget=5", "option 'budget' needs search=beam"),
    ("liftcomp-lower-gemmini", "search=beam planner=oracle", "option 'planner' must be one of builtin, llm, got 'oracle'"),
    ("liftcomp-lower-gemmini", "planner=llm", "option 'planner' needs search=beam"),
    ("liftcomp-lower-gemmini", f'schedule="{NO_FILE}"', f"option 'schedule': no such file: {NO_FILE}"),
    ("liftcomp-lower-gemmini", f'search=beam schedule="{HERE}"',
     "options 'search' and 'schedule' exclude each other (a schedule file replays a search)"),
    ("liftcomp-lower-gemmini", 'search-report="r.json"', "option 'search-report' needs search=beam, schedule=FILE or database=FILE"),
    ("liftcomp-lower-gemmini", f'search=beam search-report="{NO_FILE}"', f"option 'search-report': no such directory for {NO_FILE}"),
    ("liftcomp-lower-gemmini", f'database="{NO_FILE}/records.jsonl"',
     f"option 'database': no such directory for {NO_FILE}/records.jsonl"),
    ("liftcomp-lower-gemmini", f'schedule="{HERE}" database="r.jsonl"',
     "options 'schedule' and 'database' exclude each other (both replay records)"),
    ("liftcomp-lower-gemmini", "seed=x", "option 'seed' expects an integer, got 'x'"),
    ("liftcomp-lower-gemmini", "seed=-1", "option 'seed' must be >= 0, got -1"),
    ("liftcomp-lower-gemmini", "dram-latency=-1", "option 'dram-latency' must be >= 0, got -1"),
    ("liftcomp-lower-gemmini", "dyn-size=0", "option 'dyn-size' must be >= 1, got 0"),
    ("liftcomp-lower-gemmini", "strict=1", "option 'strict' expects true or false, got 1"),
    ("liftcomp-lower-gemmini", "remarks=on", "option 'remarks' expects true or false, got 'on'"),
    ("liftcomp-gemmini-cleanup", "aggressive=true", "unknown option 'aggressive' (options: none)"),
    ("liftcomp-lower-cuda", "arch=sm_75", "option 'arch' must be one of sm_90a, sm_80, got 'sm_75'"),
    ("liftcomp-lower-cuda", f'records="{NO_FILE}"', f"option 'records': no such file: {NO_FILE}"),
    ("liftcomp-lower-cuda", "fuse-epilogue=yes", "option 'fuse-epilogue' expects true or false, got 'yes'"),
    ("liftcomp-lower-cuda", "remarks=on", "option 'remarks' expects true or false, got 'on'"),
    ("liftcomp-lower-nki", "chip=trn3", "option 'chip' must be one of trn2, trn1, got 'trn3'"),
    ("liftcomp-lower-nki", "dyn-size=0", "option 'dyn-size' must be >= 1, got 0"),
    ("liftcomp-lower-nki", "strict=1", "option 'strict' expects true or false, got 1"),
    ("liftcomp-lower-nki", "remarks=on", "option 'remarks' expects true or false, got 'on'"),
    ("liftcomp-test-bridge", "tag=1", "option 'tag' expects a string, got 1 (quote text with spaces or special characters)"),
    ("liftcomp-test-bridge", "count-ops=maybe", "option 'count-ops' expects true or false, got 'maybe'"),
    ("liftcomp-test-bridge", "fail=true", "option 'fail' expects a string, got true (quote text with spaces or special characters)"),
    ("liftcomp-test-bridge", "crash=1", "option 'crash' expects true or false, got 1"),
    ("liftcomp-test-bridge", "unregistered=no", "option 'unregistered' expects true or false, got 'no'"),
    ("liftcomp-test-bridge", "remark=1,2", "option 'remark' expects a string, got 1,2 (quote text with spaces or special characters)"),
]


def pass_classes() -> dict[str, type]:
    return {name: factory() for name, factory in liftcomp_passes().items()}


@pytest.mark.parametrize(("name", "options", "detail"), BAD, ids=[f"{n}:{o}" for n, o, _ in BAD])
def test_bad_option_fails_at_construction_with_its_message(name: str, options: str, detail: str) -> None:
    # xdsl-opt and liftcomp-opt: parsing the pipeline constructs the pass.
    with pytest.raises(PassOptionError) as info:
        PassPipeline.parse_spec(liftcomp_passes(), f"{name}{{{options}}}")
    assert info.value.detail == detail
    assert str(info.value) == f"error: {name}: {detail}"
    # mlir-opt: the plugin asks check_options while it parses --pass-pipeline.
    assert bridge.check_options(name, options) == (False, f"invalid options '{options}': {detail}")


def test_every_option_of_every_pass_has_a_bad_value_case() -> None:
    covered = {(name, opt.split("=")[0].replace("-", "_")) for name, text, _ in BAD for opt in text.split()}
    for name, cls in pass_classes().items():
        assert issubclass(cls, LiftcompPass), f"{name} does not check its options"
        assert any(n == name for n, _, _ in BAD), f"{name} has no bad-option case"
        for f in dataclasses.fields(cls):
            assert (name, f.name) in covered, f"{name}: option '{f.name}' has no bad-value case"


@pytest.mark.parametrize("name", sorted(liftcomp_passes()))
def test_defaults_are_valid_and_a_printed_spec_parses_back(name: str) -> None:
    p = bridge.make_pass(name, "")
    spec = str(p.pipeline_pass_spec(include_default=True))
    (again,) = PassPipeline.parse_spec(liftcomp_passes(), spec).passes
    assert again == p


def test_good_options_are_converted() -> None:
    p = bridge.make_pass("liftcomp-raise", 'kernel-timeout-s=2 llm-temperature=0 llm-max-calls=3 llm-model="a,b"')
    assert isinstance(p, LiftcompRaisePass)
    assert (p.kernel_timeout_s, p.llm_temperature, p.llm_max_calls, p.llm_model) == (2.0, 0.0, 3, "a,b")
    assert isinstance(p.kernel_timeout_s, float) and p.llm_max_tokens is None


# --- strict modes leave the module as it was ------------------------------------------------------

SCAN = """\
func.func @scan(%a: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %n step %c1 {
    %im = arith.subi %i, %c1 : index
    %p = memref.load %a[%im] : memref<?xi32>
    %v = memref.load %a[%i] : memref<?xi32>
    %s = arith.addi %p, %v : i32
    memref.store %s, %a[%i] : memref<?xi32>
  }
  return
}
"""
VADD = """\
func.func @vadd(%a: memref<?xi32>, %b: memref<?xi32>, %c: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %y = memref.load %b[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    memref.store %s, %c[%i] : memref<?xi32>
  }
  return
}
"""


def test_raise_strict_fails_at_the_refused_loop_and_changes_nothing(tmp_path: Path) -> None:
    module = parse_mlir(VADD + SCAN, "k.mlir")
    before = print_generic(module)
    report = tmp_path / "r.json"
    with pytest.raises(LiftcompError) as info:
        bridge.make_pass("liftcomp-raise", f'strict=true report="{report}"').apply(default_context(), module)
    assert info.value.location is not None and info.value.location.startswith("k.mlir:14:3")
    assert "@scan: loop nest not lifted (strict=true): loop-carried dependence" in info.value.message
    assert print_generic(module) == before  # @vadd, which lifts, was not swapped in either
    assert not report.exists()  # nothing written for a failed run
    # Without strict the same pass lifts @vadd.
    bridge.make_pass("liftcomp-raise", "").apply(default_context(), module)
    assert "linalg.elementwise" in print_generic(module)


def test_raise_remarks_are_located_and_collectable() -> None:
    module = parse_mlir(VADD + SCAN, "k.mlir")
    with collect_remarks() as remarks:
        bridge.make_pass("liftcomp-raise", "remarks=true").apply(default_context(), module)
    assert [(r.file_line_col(), r.message.split(":")[1].strip()) for r in remarks] == [
        (("k.mlir", 1, 1), "@vadd"),
        (("k.mlir", 14, 3), "@scan"),
    ]
    assert "left unchanged: loop-carried dependence" in remarks[1].message
    assert str(remarks[1]).startswith("k.mlir:14:3: remark: liftcomp-raise: @scan: left unchanged")


def test_bridge_hands_remarks_to_mlir_opt_once() -> None:
    ok, _ = bridge.run_pass("liftcomp-raise", "remarks=true", bridge.print_for_mlir(parse_mlir(SCAN, "s.mlir")))[:2]
    assert ok
    ok, text = bridge.take_remarks()
    assert ok and '"file": "s.mlir", "line": 3, "column": 3' in text and "@scan: left unchanged" in text
    assert bridge.take_remarks() == (True, "[]")


HOST_KEPT = """\
func.func @vmul(%a: memref<16xi32>, %b: memref<16xi32>, %c: memref<16xi32>) {
  %ta = bufferization.to_tensor %a restrict : memref<16xi32> to tensor<16xi32>
  %tb = bufferization.to_tensor %b restrict : memref<16xi32> to tensor<16xi32>
  %e = tensor.empty() : tensor<16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%ta, %tb : tensor<16xi32>, tensor<16xi32>) outs(%e : tensor<16xi32>) {
  ^bb0(%x: i32, %y: i32, %o: i32):
    %p = arith.muli %x, %y : i32
    linalg.yield %p : i32
  } -> tensor<16xi32>
  bufferization.materialize_in_destination %r in restrict writable %c : (tensor<16xi32>, memref<16xi32>) -> ()
  return
}
"""


def test_lower_strict_fails_at_the_host_op_and_changes_nothing() -> None:
    module = parse_mlir(HOST_KEPT, "v.mlir")
    before = print_generic(module)
    with pytest.raises(LiftcompError) as info:
        bridge.make_pass("liftcomp-lower-gemmini", "strict=true").apply(default_context(), module)
    assert info.value.location is not None and info.value.location.startswith("v.mlir:5:8")
    assert "@vmul: op stays on the host (strict=true)" in info.value.message
    assert print_generic(module) == before
    bridge.make_pass("liftcomp-lower-gemmini", "").apply(default_context(), module)
    assert "scf.for" in print_generic(module)


# --- liftcomp-raise's LLM options reach the client -----------------------------------------------

# The relu kernel and the scripted answers of the `liftcomp lift` LLM tests.
from test_lift_llm_cli import KERNEL as RELU  # noqa: E402
from test_lift_llm_cli import RIGHT, WRONG  # noqa: E402


@pytest.fixture
def llm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No LLM settings of the person running the tests; a config file with fast retries and a
    model name only it gives. Returns the config file."""
    for key in list(os.environ):
        if key.startswith(("OPENAI_", "LIFTCOMP_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    config = tmp_path / "llm.toml"
    config.write_text('[llm]\nmodels = ["model-from-file"]\nmax_retries = 0\nbackoff_initial_s = 0.001\n'
                      'cache_mode = "use"\n')
    return config


def raise_with(options: str, server: LoopbackLLMServer, report: Path) -> str:
    os.environ["OPENAI_BASE_URL"] = server.base_url
    module = parse_xdsl(RELU)  # keeps the argument names the answers use
    bridge.make_pass("liftcomp-raise", f'proposer=llm strategy=llm-only report="{report}" {options}').apply(
        default_context(), module)
    return print_generic(module)


def test_samples_temperature_model_config_and_cache_reach_the_client(llm_env: Path, tmp_path: Path) -> None:
    cache = tmp_path / "responses"
    with LoopbackLLMServer() as server:
        server.script(Reply([WRONG, RIGHT, WRONG]))
        out = raise_with(f'llm-samples=3 llm-temperature=0.25 llm-config="{llm_env}" llm-cache=record '
                         f'llm-cache-dir="{cache}"', server, tmp_path / "r.json")
        body = server.requests[0].body
    assert len(server.requests) == 1 and not server.unscripted
    assert (body["n"], body["temperature"], body["model"]) == (3, 0.25, "model-from-file")
    assert "linalg.map" in out and "scf.for" not in out
    assert len(list(cache.rglob("*.json"))) == 1  # llm-cache=record wrote the answer there
    # llm-model overrides the file's model.
    with LoopbackLLMServer() as server:
        server.script(Reply([RIGHT]))
        raise_with(f'llm-samples=1 llm-config="{llm_env}" llm-model=other-model llm-cache=off', server, tmp_path / "r.json")
        assert server.requests[0].body["model"] == "other-model"


def test_timeout_reaches_the_client(llm_env: Path, tmp_path: Path) -> None:
    with LoopbackLLMServer() as server:
        # Answered after 1.5 s: in time for the default 60 s timeout, not for llm-timeout=0.3.
        server.script(Delay(1.5, Reply([RIGHT])))
        out = raise_with(f'llm-samples=1 llm-timeout=0.3 llm-config="{llm_env}" llm-cache=off', server,
                         tmp_path / "r.json")
    assert "scf.for" in out  # not lifted: the only request timed out (max_retries = 0 in the file)
    assert "timed out" in (tmp_path / "r.json").read_text()


@pytest.mark.parametrize(("budget", "requests"), [("", 3), ("llm-max-calls=1", 1), ("llm-max-tokens=10", 1),
                                                  ("llm-max-seconds=0.3", 1)])
def test_budgets_reach_the_client(llm_env: Path, tmp_path: Path, budget: str, requests: int) -> None:
    with LoopbackLLMServer() as server:
        # Wrong answers only: the proposer asks again with the counterexample (3 rounds) until the
        # budget ends its turn. The first answer takes 0.5 s, more than llm-max-seconds allows.
        server.script(Delay(0.5, Reply([WRONG])), Reply([WRONG]), Reply([WRONG]))
        out = raise_with(f'llm-samples=1 {budget} llm-config="{llm_env}" llm-cache=off', server, tmp_path / "r.json")
        assert len(server.requests) == requests
    assert "scf.for" in out and '"status": "unchanged"' in (tmp_path / "r.json").read_text()


# --- `liftcomp compile`'s flags are these options: one definition, one set of checks --------------

U8_SUM = next((HERE.parents[1] / "corpus").glob("*/u8_sum_i32.mlir"))
# (flags, the error after "liftcomp compile: error: "). Every compile flag made from a pass option has one.
COMPILE_BAD = [
    (["--search", "exhaustive"], "argument --search: invalid choice: 'exhaustive'"),
    (["--search", "beam", "--budget", "-1"], "argument --budget: must be >= 0, got -1"),
    (["--budget", "5"], "argument --budget: needs search=beam"),
    (["--planner", "llm"], "argument --planner: needs search=beam"),
    (["--schedule", NO_FILE], f"argument --schedule: no such file: {NO_FILE}"),
    (["--database", f"{NO_FILE}/r.jsonl"], f"argument --database: no such directory for {NO_FILE}/r.jsonl"),
    (["--seed", "-1"], "argument --seed: must be >= 0, got -1"),
    (["--dyn-size", "0"], "argument --dyn-size: must be >= 1, got 0"),
    (["--form", "diagonal"], "argument --form: invalid choice: 'diagonal'"),
    (["--dram-latency", "-1"], "argument --dram-latency: must be >= 0, got -1"),
    (["--target", "cuda", "--cuda-arch", "sm_75"], "argument --cuda-arch: invalid choice: 'sm_75'"),
    (["--target", "cuda", "--cuda-records", NO_FILE], f"argument --cuda-records: no such file: {NO_FILE}"),
    (["--target", "nki", "--nki-chip", "trn3"], "argument --nki-chip: invalid choice: 'trn3'"),
    (["--float-model", "exact"], "argument --float-model: must be ieee, fast, or fast-math flags joined by '+'"),
    (["--float-model", "small:nnan"], "argument --float-model: must be ieee, fast, or fast-math flags joined by '+'"),
    (["--float-model", ""], "argument --float-model: must be ieee, fast, or fast-math flags joined by '+'"),
    (["--kernel-timeout", "0"], "argument --kernel-timeout: must be > 0, got 0"),
    (["--llm-model", "a", "--llm-config", NO_FILE], f"argument --llm-config: no such file: {NO_FILE}"),
    (["--llm-cache", "sometimes"], "argument --llm-cache: invalid choice: 'sometimes'"),
    (["--llm-cache-dir"], "argument --llm-cache-dir: expected one argument"),
    (["--llm-model"], "argument --llm-model: expected one argument"),
    (["--llm-timeout", "0"], "argument --llm-timeout: must be > 0, got 0"),
    (["--llm-max-calls", "-1"], "argument --llm-max-calls: must be >= 0, got -1"),
    (["--llm-max-tokens", "1.5"], "argument --llm-max-tokens: invalid int value: '1.5'"),
    (["--llm-max-seconds", "-2"], "argument --llm-max-seconds: must be >= 0, got -2"),
]


def test_every_compile_flag_from_a_pass_option_has_a_bad_value_case() -> None:
    from liftcomp.lift.cli import CLI_FLAGS as LIFT_FLAGS
    from liftcomp.lift.liftcomp_raise import LiftcompRaisePass
    from liftcomp.targets.cli import LIFT_ONLY_OPTIONS
    from liftcomp.targets.cuda.liftcomp_lower_cuda import LiftcompLowerCudaPass
    from liftcomp.targets.cuda.target import CLI_FLAGS as CUDA_FLAGS
    from liftcomp.targets.gemmini.liftcomp_lower_gemmini import LiftcompLowerGemminiPass
    from liftcomp.targets.nki.liftcomp_lower_nki import LiftcompLowerNkiPass

    def cli_fields(cls: type) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.metadata.get("cli")]

    flags = {f"--{f.replace('_', '-')}" for f in cli_fields(LiftcompLowerGemminiPass)}
    flags |= {f"--{LIFT_FLAGS.get(f, f.replace('_', '-'))}" for f in cli_fields(LiftcompRaisePass) if f not in LIFT_ONLY_OPTIONS}
    flags |= {f"--{CUDA_FLAGS.get(f, f)}" for f in cli_fields(LiftcompLowerCudaPass)}
    flags |= {"--nki-chip", *(f"--{f.replace('_', '-')}" for f in cli_fields(LiftcompLowerNkiPass) if f != "chip")}
    covered = {message.split(":")[0].removeprefix("argument ") for _, message in COMPILE_BAD}
    assert flags <= covered, f"compile flags without a bad-value case: {sorted(flags - covered)}"


@pytest.mark.parametrize(("flags", "message"), COMPILE_BAD, ids=[" ".join(f) for f, _ in COMPILE_BAD])
def test_compile_flags_are_checked_as_the_pass_options_are(flags: list[str], message: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from liftcomp.cli import main

    try:
        rc = main(["compile", str(U8_SUM), "-o", str(tmp_path / "out"), *flags])
    except SystemExit as e:  # argparse's own usage errors
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2 and f"liftcomp compile: error: {message}" in err, err
    assert not (tmp_path / "out").exists()
