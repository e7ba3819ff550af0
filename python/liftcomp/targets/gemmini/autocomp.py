"""Autocomp's GEMM problem and its public FireSim measurements, as programs our simulator runs.

Autocomp (ucb-bar/autocomp) times int8 A x int8 B -> int8 C (requantised by the accumulator's
mvout scale, no bias) on a Rocket + Lean Gemmini FireSim image, from `gemmini_flush(0); fence`
to the final fence. Its library baseline is gemmini.h's `tiled_matmul_auto(..., WS)`, which issues
one `loop_ws` per tile. This module writes:

- `requant_matmul_text`: that problem as the tensor-level input `liftcomp compile` lowers (the
  library baseline is its lowering with `library_schedule`, form `loop_ws`);
- `autocomp_example_text`: the two hand-written 12544x64x256 programs of Autocomp's prompt
  `autocomp/agents/gemmini/prompts/if_example_matmul.py` (3,435,455 and 1,519,076 cycles on
  FireSim), instruction for instruction as gemmini dialect ops in scf loops;
- `ws_perf_text`: gemmini-rocc-tests' `tiled_matmul_ws_perf` (bias D in int32, int8 C, identity
  scales), whose 128x256x256 run measured 39,815 cycles on a Gemmini FireSim image.

`MEASURED` lists those points; tools/calibrate_gemmini.py fits `firesim-lean` against them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeasuredPoint:
    name: str
    shape: tuple[int, int, int]
    """I x K x J."""
    cycles: int
    source: str


MEASURED = (
    MeasuredPoint("autocomp_unoptimised", (12544, 64, 256), 3_435_455,
                  "ucb-bar/autocomp autocomp/agents/gemmini/prompts/if_example_matmul.py (orig_code)"),
    MeasuredPoint("autocomp_reuse", (12544, 64, 256), 1_519_076,
                  "ucb-bar/autocomp autocomp/agents/gemmini/prompts/if_example_matmul.py (new_code)"),
    MeasuredPoint("tiled_matmul_ws_perf", (128, 256, 256), 39_815,
                  "gemmini-rocc-tests bareMetalC/tiled_matmul_ws_perf.c, third-party FireSim run (82%)"),
)

AUTOCOMP_GEMM_SHAPES = ((512, 512, 512), (12544, 64, 256), (12544, 256, 64), (3136, 128, 512), (3136, 512, 128),
                        (784, 256, 1024))
"""Autocomp's six GEMM shapes, I x K x J."""

AUTOCOMP_CONV_SHAPES = ((4, 56, 64), (4, 28, 128), (4, 14, 256))
"""Autocomp's three conv shapes (harnesses/exo-conv/test0-2.c): batch, output rows = cols, channels in
= out; 3x3 kernel, stride 1. Its harness passes the input pre-padded (58x58 for 56x56: padding 0 in
the tiled_conv_auto call), an int32 bias, scale 1 and no activation."""


def conv_requant_text(n: int, h: int, w: int, c: int, f: int, k: int = 3, pad: int = 1, stride: int = 1,
                      scale: float = 0.01, relu: bool = False, requant: bool = True, generic: bool = False,
                      name: str = "conv", layout: str = "nhwc", bias: bool = False) -> str:
    """Y = requant(conv(pad(X), W)) at the tensor level (what the raising pass makes of a padded conv
    loop nest with guarded loads): NHWC x HWCF (`layout` "nchw": NCHW x FCHW), k x k kernel, zero padding `pad` (0: no tensor.pad,
    Autocomp's pre-padded input), requantisation clamp(roundeven(f32(acc) * scale)) to int8 (ReLU:
    from 0); `generic`: the conv as the linalg.generic it generalises to; `requant` off: the int32
    conv itself; `bias`: an int32 bias per output channel (argument %B) added before the
    requantisation, written as the raising pass writes a sum that starts from bias[f] (NHWC only)."""
    if bias and (layout != "nhwc" or not requant):
        raise ValueError("the bias form is written for requantised NHWC convs")
    hp, wp = h + 2 * pad, w + 2 * pad
    oh, ow = (hp - k) // stride + 1, (wp - k) // stride + 1
    nchw = layout == "nchw"

    def shape(*dims: int) -> str:
        return "x".join(map(str, dims))

    xs, xps = (shape(n, c, h, w), shape(n, c, hp, wp)) if nchw else (shape(n, h, w, c), shape(n, hp, wp, c))
    ws = shape(f, c, k, k) if nchw else shape(k, k, c, f)
    ys = shape(n, f, oh, ow) if nchw else shape(n, oh, ow, f)
    xt, wt, yt = f"tensor<{xps}xi8>", f"tensor<{ws}xi8>", f"tensor<{ys}xi32>"
    if generic and nchw:
        raise ValueError("the generic form is written for NHWC only")
    if generic:
        conv = (f"linalg.generic {{indexing_maps = [affine_map<(n, y, x, f, i, j, c) -> (n, y * {stride} + i, "
                f"x * {stride} + j, c)>, affine_map<(n, y, x, f, i, j, c) -> (i, j, c, f)>, "
                "affine_map<(n, y, x, f, i, j, c) -> (n, y, x, f)>], iterator_types = [\"parallel\", \"parallel\", "
                "\"parallel\", \"parallel\", \"reduction\", \"reduction\", \"reduction\"]} "
                f"ins(%p, %w : {xt}, {wt}) outs(%fl : {yt}) {{\n"
                "  ^bb0(%a: i8, %b: i8, %acc: i32):\n    %aw = arith.extsi %a : i8 to i32\n"
                "    %bw = arith.extsi %b : i8 to i32\n    %m = arith.muli %aw, %bw : i32\n"
                "    %s2 = arith.addi %acc, %m : i32\n    linalg.yield %s2 : i32\n"
                f"  }} -> {yt}")
    else:
        conv = (f"linalg.conv_2d_{'nchw_fchw' if nchw else 'nhwc_hwcf'} {{dilations = dense<1> : tensor<2xi64>, "
                f"strides = dense<{stride}> : tensor<2xi64>}} ins(%p, %w : {xt}, {wt}) outs(%fl : {yt}) -> {yt}")
    out_t = f"{ys}x{'i8' if requant else 'i32'}"
    lows = f"[0, 0, {pad}, {pad}]" if nchw else f"[0, {pad}, {pad}, 0]"
    pad_lines = [
        "  %c0 = arith.constant 0 : i8",
        f"  %p = tensor.pad %x low{lows} high{lows} {{",
        "  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):",
        "    tensor.yield %c0 : i8",
        f"  }} : tensor<{xs}xi8> to {xt}",
    ] if pad else [f"  %p = bufferization.to_tensor %X restrict : memref<{xs}xi8> to {xt}"]
    lines = [
        f"func.func @{name}(%X: memref<{xs}xi8>, %W: memref<{ws}xi8>, %Y: memref<{out_t}>"
        f"{f', %B: memref<{f}xi32>' if bias else ''}) {{",
        *([f"  %x = bufferization.to_tensor %X restrict : memref<{xs}xi8> to tensor<{xs}xi8>"] if pad else []),
        f"  %w = bufferization.to_tensor %W restrict : memref<{ws}xi8> to {wt}",
        *pad_lines,
        "  %z = arith.constant 0 : i32",
        f"  %e = tensor.empty() : {yt}",
        f"  %fl = linalg.fill ins(%z : i32) outs(%e : {yt}) -> {yt}",
        f"  %r = {conv}",
    ]
    if not requant:
        lines.append(f"  bufferization.materialize_in_destination %r in restrict writable %Y : ({yt}, memref<{out_t}>) -> ()")
    else:
        y8 = f"tensor<{ys}xi8>"
        ident = "affine_map<(a, b, c, d) -> (a, b, c, d)>"
        par4 = "iterator_types = [\"parallel\", \"parallel\", \"parallel\", \"parallel\"]"
        if bias:
            head = [
                f"  %bt = bufferization.to_tensor %B restrict : memref<{f}xi32> to tensor<{f}xi32>",
                f"  %bx = tensor.expand_shape %bt [[0, 1, 2, 3]] output_shape [1, 1, 1, {f}] : tensor<{f}xi32> into "
                f"tensor<1x1x1x{f}xi32>",
                f"  %e8 = tensor.empty() : {y8}",
                f"  %q = linalg.generic {{indexing_maps = [affine_map<(a, b, c, d) -> (0, 0, 0, d)>, {ident}, {ident}], "
                f"{par4}}} ins(%bx, %r : tensor<1x1x1x{f}xi32>, {yt}) outs(%e8 : {y8}) {{",
                "  ^bb0(%bv: i32, %cv: i32, %out: i8):",
                "    %in = arith.addi %bv, %cv : i32",
            ]
        else:
            head = [
                f"  %e8 = tensor.empty() : {y8}",
                f"  %q = linalg.generic {{indexing_maps = [{ident}, {ident}], {par4}}} ins(%r : {yt}) outs(%e8 : {y8}) {{",
                "  ^bb0(%in: i32, %out: i8):",
            ]
        lines += [
            f"  %s = arith.constant {scale!r} : f32",
            f"  %lo = arith.constant {'0.0' if relu else '-128.0'} : f32",
            "  %hi = arith.constant 127.0 : f32",
            *head,
            "    %xf = arith.sitofp %in : i32 to f32",
            "    %y = arith.mulf %xf, %s : f32",
            "    %t = math.roundeven %y : f32",
            "    %c1 = arith.maximumf %t, %lo : f32",
            "    %c2 = arith.minimumf %c1, %hi : f32",
            "    %o = arith.fptosi %c2 : f32 to i8",
            "    linalg.yield %o : i8",
            f"  }} -> {y8}",
            f"  bufferization.materialize_in_destination %q in restrict writable %Y : ({y8}, memref<{out_t}>) -> ()",
        ]
    return "\n".join([*lines, "  return", "}", ""])


_REQUANT_BODY = """    %x = arith.sitofp %in : i32 to f32
    %y = arith.mulf %x, %s : f32
    %t = math.roundeven %y : f32
    %c1 = arith.maximumf %t, %lo : f32
    %c2 = arith.minimumf %c1, %hi : f32
    %q = arith.fptosi %c2 : f32 to i8"""


def requant_matmul_text(m: int, k: int, n: int, bias: bool = False, name: str = "gemm") -> str:
    """C[i8] = sat8(roundeven(f32(D + A @ B) * s)) with s a run-time f32 argument (Autocomp's
    harness sets the scale at run time); D (int32, m x n) only when `bias`."""
    d_arg = f", %D: memref<{m}x{n}xi32>" if bias else ""
    if bias:
        init = f"%f = bufferization.to_tensor %D restrict : memref<{m}x{n}xi32> to tensor<{m}x{n}xi32>"
    else:
        init = (f"%z = arith.constant 0 : i32\n  %e = tensor.empty() : tensor<{m}x{n}xi32>\n"
                f"  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>")
    return f"""#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @{name}(%A: memref<{m}x{k}xi8>, %B: memref<{k}x{n}xi8>{d_arg}, %C: memref<{m}x{n}xi8>, %s: f32) {{
  %a = bufferization.to_tensor %A restrict : memref<{m}x{k}xi8> to tensor<{m}x{k}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{k}x{n}xi8> to tensor<{k}x{n}xi8>
  {init}
  %mm = linalg.matmul ins(%a, %b : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %lo = arith.constant -128.0 : f32
  %hi = arith.constant 127.0 : f32
  %e8 = tensor.empty() : tensor<{m}x{n}xi8>
  %r = linalg.generic {{indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}} ins(%mm : tensor<{m}x{n}xi32>) outs(%e8 : tensor<{m}x{n}xi8>) {{
  ^bb0(%in: i32, %out: i8):
{_REQUANT_BODY}
    linalg.yield %q : i8
  }} -> tensor<{m}x{n}xi8>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{m}x{n}xi8>, memref<{m}x{n}xi8>) -> ()
  return
}}
"""


def ws_perf_text(m: int = 128, k: int = 256, n: int = 256) -> str:
    """tiled_matmul_ws_perf: NO_BIAS 0 (a full m x n int32 D), int8 C, identity scales."""
    return requant_matmul_text(m, k, n, bias=True, name="tiled_matmul_ws_perf")


def autocomp_example_text(reuse: bool, i_blocks: int = 784) -> str:
    """Autocomp's 12544x64x256 example (I = 16 * i_blocks), unoptimised or with reuse.

    Per (i, j) with j over 4 groups of 64 columns: zero the 4 accumulator blocks, mvin2 A (16 x
    64), mvin3 the 4 B blocks (16 x 64 each), 16 preload + compute_preloaded pairs (every compute
    preloads its weights), 4 int8 mvouts. The reuse version loads A only when j == 0 (into
    spad row (i / 4) * 64, as the original does) and B only when i == 0, and keeps one
    accumulator region per j. The zeroing mvins (DRAM address 0: Gemmini's ZeroWriter, no DRAM
    traffic) are `gemmini.mvin {zeros}`; as in the original, the unoptimised version's first
    preload overwrites anyway and every preload of the reuse version accumulates."""
    m = 16 * i_blocks
    a_base = 0
    b_base = 12544 if reuse else 1024
    lines = [
        f"func.func @autocomp_{'reuse' if reuse else 'unoptimised'}(%A: memref<{m}x64xi8>, %B: memref<64x256xi8>, "
        f"%C: memref<{m}x256xi8>) {{"]
    consts = {0, 1, 4, 16, 64, 256, 1024, 4096, i_blocks, a_base, b_base}
    lines += [f"  %c{c} = arith.constant {c} : index" for c in sorted(consts)]
    lines += [
        "  gemmini.config_ex",
        "  gemmini.config_st %c256",
        "  gemmini.config_ld %c64 {id = 1 : i64}",
        "  gemmini.config_ld %c256 {id = 2 : i64}",
        f"  scf.for %i = %c0 to %c{i_blocks} step %c1 {{",
        "    %aoff = arith.muli %i, %c1024 : index",
        "    %coff_i = arith.muli %i, %c4096 : index",
    ]
    if reuse:
        lines += [
            "    %i4 = arith.divui %i, %c4 : index",
            "    %i4r = arith.muli %i4, %c64 : index",
            "    %i0 = arith.cmpi eq, %i, %c0 : index",
        ]
    lines += [
        "    scf.for %j = %c0 to %c4 step %c1 {",
        "      %j64 = arith.muli %j, %c64 : index",
        "      %coff_j = arith.addi %coff_i, %j64 : index",
    ]
    if reuse:
        lines.append("      %jb = arith.muli %j, %c256 : index")
    res_base = "%j64" if reuse else "%c0"
    lines += [
        "      scf.for %jz = %c0 to %c4 step %c1 {",
        "        %jz16 = arith.muli %jz, %c16 : index",
        f"        %zaddr = arith.addi {res_base}, %jz16 : index",
        "        gemmini.mvin %C[%c0] to %zaddr rows %c16 cols %c16 {space = \"acc\", zeros} : "
        f"memref<{m}x256xi8>",
        "      }",
    ]
    if reuse:
        lines += [
            "      %j0 = arith.cmpi eq, %j, %c0 : index",
            "      %res = arith.addi %c0, %j64 : index",
            "      %aaddr = arith.addi %i4r, %c0 : index",
            "      scf.if %j0 {",
            "        gemmini.mvin %A[%aoff] to %aaddr rows %c16 cols %c64 {space = \"spad\", id = 1 : i64} : "
            f"memref<{m}x64xi8>",
            "      }",
            "      scf.if %i0 {",
            *_b_loads(m, "        ", b_base),
            "      }",
        ]
    else:
        lines += [
            "      %res = arith.addi %c0, %c0 : index",
            "      %aaddr = arith.addi %c0, %c0 : index",
            "      gemmini.mvin %A[%aoff] to %aaddr rows %c16 cols %c64 {space = \"spad\", id = 1 : i64} : "
            f"memref<{m}x64xi8>",
            *_b_loads(m, "      ", b_base),
        ]
    bj = "%jb" if reuse else "%c0"
    for k in range(4):
        acc = "c_accumulate, " if k or reuse else ""
        lines += [
            "      scf.for %jj = %c0 to %c4 step %c1 {",
            "        %jj16 = arith.muli %jj, %c16 : index",
            f"        %bk = arith.addi %c{b_base}, {bj} : index",
            f"        %bk2 = arith.addi %bk, %c{k * 64} : index" if k * 64 in consts else
            f"        %kk = arith.constant {k * 64} : index\n        %bk2 = arith.addi %bk, %kk : index",
            "        %baddr = arith.addi %bk2, %jj16 : index",
            "        %caddr = arith.addi %res, %jj16 : index",
            "        \"gemmini.preload\"(%baddr, %caddr, %c16, %c16, %c16, %c16) <{c_space = \"acc\", "
            f"{acc}operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}}> : (index, index, index, index, index, index) -> ()",
            f"        %ka = arith.constant {k * 16} : index",
            "        %a_k = arith.addi %aaddr, %ka : index",
            "        \"gemmini.compute_preloaded\"(%a_k, %c16, %c16, %c16, %c16) <{operandSegmentSizes = "
            "array<i32: 1, 0, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()",
            "      }",
        ]
    lines += [
        "      scf.for %jj = %c0 to %c4 step %c1 {",
        "        %jj16 = arith.muli %jj, %c16 : index",
        "        %caddr = arith.addi %res, %jj16 : index",
        "        %coff = arith.addi %coff_j, %jj16 : index",
        f"        gemmini.mvout %caddr to %C[%coff] rows %c16 cols %c16 {{space = \"acc\"}} : memref<{m}x256xi8>",
        "      }",
        "    }",
        "  }",
        "  gemmini.fence",
        "  return",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _b_loads(m: int, ind: str, b_base: int) -> list[str]:
    del m
    return [
        f"{ind}scf.for %k = %c0 to %c4 step %c1 {{",
        f"{ind}  %kr = arith.muli %k, %c4096 : index",
        f"{ind}  %boff = arith.addi %kr, %j64 : index",
        f"{ind}  %k64 = arith.muli %k, %c64 : index",
        f"{ind}  %bj = arith.addi %c{b_base}, %jb : index" if b_base == 12544 else f"{ind}  %bj = arith.addi %c{b_base}, %c0 : index",
        f"{ind}  %baddr = arith.addi %bj, %k64 : index",
        f"{ind}  gemmini.mvin %B[%boff] to %baddr rows %c16 cols %c64 {{space = \"spad\", id = 2 : i64}} : memref<64x256xi8>",
        f"{ind}}}",
    ]
