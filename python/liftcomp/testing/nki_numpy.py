"""A numpy implementation of the NKI subset liftcomp emits, to run the emitted .py files themselves.

AWS's NKI packages are not installable here (the PyPI names are placeholders) and AWS's own CPU
simulator checks neither timing nor on-chip capacity. This module provides `nki`, `nki.language`
and `nki.isa` (the API of targets/nki/api.py) with the documented semantics:
- tensors live in HBM, SBUF or PSUM; on-chip tensors have the partition dimension first (<= 128);
- every ISA instruction writes its `dst=` (destination passing); engines compute in fp32 and
  round to dst's dtype (bf16 / fp8 through ml_dtypes, round to nearest even);
- nc_matmul: dst[M, N] = stationary[K, M]^T @ moving[K, N] in fp32 PSUM, `accumulate=True` adds;
  activation: op(data * scale + bias) with optional sum reduction into reduce_res;
  tensor_scalar: (data op0 operand0) op1 operand1 with [P, 1] or immediate operands;
  tensor_reduce over free axes; DMA does not convert types and cannot read PSUM;
- capacity at run time: a tile allocated in a loop body lives for one iteration (the scope of
  nl.affine_range / nl.sequential_range); live SBUF bytes per partition and PSUM banks are
  checked against the chip at every allocation (NkiCapacityError), PSUM tiles against one bank.

It lives in the test support: emitted code imports the real `nki`; `installed()` puts this one
in its place while a test runs a file (`run_file`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

from liftcomp.targets.nki.config import CHIPS, DEFAULT_CHIP, NkiChip


class NkiError(Exception):
    """An NKI program broke a documented rule (shape, memory, engine limit)."""


class NkiCapacityError(NkiError):
    """SBUF or PSUM over capacity at run time."""


# ------------------------------------------------------------------------------ memory --
class _Tracker:
    def __init__(self, chip: NkiChip):
        self.chip = chip
        self.sbuf = 0
        self.banks = 0
        self.peak_sbuf = 0
        self.peak_banks = 0
        self.scopes: list[list[_Storage]] = [[]]
        self.instructions = 0

    def allocate(self, st: _Storage) -> None:
        chip = self.chip
        if st.buffer == "sbuf":
            self.sbuf += st.bytes_pp
            if self.sbuf > chip.sbuf_bytes_per_partition:
                raise NkiCapacityError(f"SBUF over capacity allocating '{st.name}': {self.sbuf} bytes per partition "
                                       f"live > {chip.sbuf_bytes_per_partition} ({chip.name})")
            self.peak_sbuf = max(self.peak_sbuf, self.sbuf)
        elif st.buffer == "psum":
            if st.bytes_pp > chip.psum_bank_bytes:
                raise NkiCapacityError(f"PSUM tile '{st.name}' of {st.bytes_pp} bytes per partition > one bank "
                                       f"({chip.psum_bank_bytes})")
            self.banks += 1
            if self.banks > chip.psum_banks:
                raise NkiCapacityError(f"PSUM over capacity allocating '{st.name}': {self.banks} banks live > "
                                       f"{chip.psum_banks}")
            self.peak_banks = max(self.peak_banks, self.banks)
        self.scopes[-1].append(st)

    def release_scope(self) -> None:
        for st in self.scopes.pop():
            st.alive = False
            if st.buffer == "sbuf":
                self.sbuf -= st.bytes_pp
            elif st.buffer == "psum":
                self.banks -= 1


_TRACKER: _Tracker | None = None


def _tracker() -> _Tracker:
    if _TRACKER is None:
        raise NkiError("NKI calls outside a @nki.jit kernel")
    return _TRACKER


class _Storage:
    def __init__(self, array: np.ndarray[Any, Any], buffer: str, name: str):
        self.array = array
        self.buffer = buffer
        self.name = name
        self.alive = True
        per = 1
        for d in array.shape[1:]:
            per *= d
        self.bytes_pp = per * array.dtype.itemsize


class Tensor:
    """An NKI tensor (or a view of one): numpy data plus the buffer it lives in."""

    def __init__(self, storage: _Storage, view: np.ndarray[Any, Any]):
        self._storage = storage
        self.data = view

    @property
    def buffer(self) -> str:
        return self._storage.buffer

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    def _check_alive(self) -> None:
        if not self._storage.alive:
            raise NkiError(f"tile '{self._storage.name}' used after the loop iteration that allocated it")

    def __getitem__(self, idx: Any) -> Tensor:
        self._check_alive()
        view = self.data[idx]
        if self.buffer in ("sbuf", "psum") and view.ndim >= 1 and not _keeps_partition(idx):
            raise NkiError("on-chip views must keep the partition dimension first")
        return Tensor(self._storage, view)

    def broadcast(self, dim: int, size: int) -> Tensor:
        if self.data.shape[dim] != 1:
            raise NkiError(f"broadcast needs size 1 on dim {dim}, got {self.data.shape[dim]}")
        shape = list(self.data.shape)
        shape[dim] = size
        return Tensor(self._storage, np.broadcast_to(self.data, shape))

    def reshape(self, shape: tuple[int, ...]) -> Tensor:
        return Tensor(self._storage, self.data.reshape(shape))


def _keeps_partition(idx: Any) -> bool:
    first = idx[0] if isinstance(idx, tuple) else idx
    return isinstance(first, slice) or first is Ellipsis


def _hbm(a: np.ndarray[Any, Any], name: str) -> Tensor:
    return Tensor(_Storage(a, "hbm", name), a)


# ------------------------------------------------------------------------------ language --
class _Fn:
    """An NKI operator constant (nl.add, nl.exp, ...): a name and its fp32 numpy function."""

    def __init__(self, name: str, fn: Callable[..., Any]):
        self.name = name
        self.fn = fn

    def __repr__(self) -> str:
        return f"nl.{self.name}"


def _erf(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    import math

    return np.vectorize(math.erf, otypes=[np.float32])(x)


def _gelu(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return (0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))).astype(np.float32)


_UNARY = {
    "copy": lambda x: x, "exp": np.exp, "log": np.log, "tanh": np.tanh, "sqrt": np.sqrt,
    "rsqrt": lambda x: np.float32(1) / np.sqrt(x), "relu": lambda x: np.maximum(x, np.float32(0)),
    "sigmoid": lambda x: np.float32(1) / (np.float32(1) + np.exp(-x)), "gelu": _gelu,
    "silu": lambda x: x / (np.float32(1) + np.exp(-x)), "square": np.square, "abs": np.abs, "sin": np.sin,
    "cos": np.cos, "erf": _erf, "reciprocal": lambda x: np.float32(1) / x, "sign": np.sign,
}
_BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide, "maximum": np.maximum,
    "minimum": np.minimum, "power": np.power,
    "equal": lambda a, b: (a == b).astype(np.float32), "not_equal": lambda a, b: (a != b).astype(np.float32),
    "greater": lambda a, b: (a > b).astype(np.float32), "greater_equal": lambda a, b: (a >= b).astype(np.float32),
    "less": lambda a, b: (a < b).astype(np.float32), "less_equal": lambda a, b: (a <= b).astype(np.float32),
    "logical_and": lambda a, b: ((a != 0) & (b != 0)).astype(np.float32),
    "logical_or": lambda a, b: ((a != 0) | (b != 0)).astype(np.float32),
}


def _ndarray(shape: tuple[int, ...], dtype: Any, buffer: str = "sbuf", name: str = "") -> Tensor:
    shape = tuple(int(s) for s in shape)
    buf = buffer if isinstance(buffer, str) else str(buffer)
    if buf in ("hbm", "shared_hbm"):
        return _hbm(np.zeros(shape, dtype=dtype), name)
    if buf not in ("sbuf", "psum"):
        raise NkiError(f"unknown buffer {buffer!r}")
    chip = _tracker().chip
    if not shape or not 1 <= shape[0] <= chip.partitions:
        raise NkiError(f"on-chip tensor '{name}' of shape {list(shape)}: partition dim must be 1..{chip.partitions}")
    # Uninitialised memory: NaN for floats catches reads before writes.
    fill = np.nan if np.dtype(dtype).kind == "f" or dtype in _ML_FLOATS else 0
    st = _Storage(np.full(shape, fill, dtype=dtype), buf, name or "tile")
    _tracker().allocate(st)
    return Tensor(st, st.array)


_ML_FLOATS = (ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2)


def _range(n: int) -> Iterator[int]:
    tr = _tracker()
    for i in range(int(n)):
        tr.scopes.append([])
        yield i
        tr.release_scope()


def _make_language() -> types.ModuleType:
    nl = types.ModuleType("nki.language")
    nl.sbuf, nl.psum, nl.hbm, nl.shared_hbm = "sbuf", "psum", "hbm", "shared_hbm"  # type: ignore[attr-defined]
    nl.float32 = np.float32  # type: ignore[attr-defined]
    nl.float16 = np.float16  # type: ignore[attr-defined]
    nl.bfloat16 = ml_dtypes.bfloat16  # type: ignore[attr-defined]
    nl.float8_e4m3 = ml_dtypes.float8_e4m3fn  # type: ignore[attr-defined]
    nl.float8_e5m2 = ml_dtypes.float8_e5m2  # type: ignore[attr-defined]
    nl.int32 = np.int32  # type: ignore[attr-defined]
    nl.ndarray = _ndarray  # type: ignore[attr-defined]
    nl.affine_range = _range  # type: ignore[attr-defined]
    nl.sequential_range = _range  # type: ignore[attr-defined]
    for name, fn in {**_UNARY, **_BINARY}.items():
        setattr(nl, name, _Fn(name, fn))
    return nl


# ------------------------------------------------------------------------------ isa --
def _f32(x: Tensor | float) -> Any:
    if isinstance(x, Tensor):
        x._check_alive()
        return x.data.astype(np.float32)
    return np.float32(x)


def _write(dst: Tensor, value: np.ndarray[Any, Any]) -> None:
    dst._check_alive()
    if tuple(value.shape) != dst.shape:
        raise NkiError(f"result of shape {list(value.shape)} written to dst of shape {list(dst.shape)}")
    dst.data[...] = np.asarray(value).astype(dst.dtype)
    _tracker().instructions += 1


def _onchip(what: str, t: Tensor, allowed: tuple[str, ...] = ("sbuf", "psum")) -> None:
    if t.buffer not in allowed:
        raise NkiError(f"{what} must be in {' or '.join(allowed)}, got {t.buffer}")
    if t.data.ndim < 2:
        raise NkiError(f"{what} must have a partition and a free dimension")


def _free_elems(t: Tensor) -> int:
    return int(np.prod(t.shape[1:]))


def _per_partition(what: str, x: Tensor | float, p: int) -> Any:
    if not isinstance(x, Tensor):
        return np.float32(x)
    if x.shape[0] != p or _free_elems(x) != 1:
        raise NkiError(f"{what} must be a [{p}, 1] tile or an immediate, got {list(x.shape)}")
    return _f32(x).reshape(p, *([1] * 1))


def dma_copy(dst: Tensor, src: Tensor, **_: Any) -> None:
    if src.buffer == "psum" or dst.buffer == "psum":
        raise NkiError("dma_copy cannot access PSUM (copy to SBUF first)")
    if src.dtype != dst.dtype:
        raise NkiError(f"dma_copy does not convert: {src.dtype} -> {dst.dtype}")
    if src.shape != dst.shape:
        raise NkiError(f"dma_copy shapes differ: {list(src.shape)} -> {list(dst.shape)}")
    src._check_alive()
    _write(dst, src.data)


def dma_transpose(dst: Tensor, src: Tensor, **_: Any) -> None:
    if src.dtype != dst.dtype or src.data.ndim != 2:
        raise NkiError("dma_transpose takes a 2-D source of dst's dtype")
    _write(dst, src.data.T)


def nc_matmul(dst: Tensor, stationary: Tensor, moving: Tensor, accumulate: bool = False, **_: Any) -> None:
    chip = _tracker().chip
    _onchip("stationary", stationary, ("sbuf",))
    _onchip("moving", moving, ("sbuf",))
    _onchip("dst", dst, ("psum",))
    k, m = stationary.shape
    k2, n = moving.shape
    if k != k2 or k > chip.partitions or m > chip.gemm_stationary_fmax or n > chip.gemm_moving_fmax:
        raise NkiError(f"nc_matmul tile limits: stationary {list(stationary.shape)}, moving {list(moving.shape)}")
    if dst.dtype != np.float32:
        raise NkiError("nc_matmul writes fp32 PSUM")
    res = _f32(stationary).T.astype(np.float32) @ _f32(moving)
    _write(dst, (dst.data + res) if accumulate else res)


def nc_transpose(dst: Tensor, data: Tensor, **_: Any) -> None:
    _onchip("data", data, ("sbuf",))
    _onchip("dst", dst, ("psum",))
    _write(dst, data.data.T)


def activation(dst: Tensor, op: _Fn, data: Tensor, bias: Tensor | float | None = None, scale: Tensor | float = 1.0,
               reduce_op: _Fn | None = None, reduce_res: Tensor | None = None, **_: Any) -> None:
    _onchip("data", data)
    p = data.shape[0]
    x = _f32(data) * _per_partition("scale", scale, p)
    if bias is not None:
        x = x + _per_partition("bias", bias, p)
    y = np.asarray(op.fn(x.astype(np.float32)), dtype=np.float32)
    if reduce_res is not None:
        if reduce_op is None or reduce_op.name != "add":
            raise NkiError("activation reduces with nl.add only")
        rounded = y.astype(dst.dtype).astype(np.float32)
        _write(reduce_res, rounded.reshape(p, -1).sum(axis=1, dtype=np.float32).reshape(reduce_res.shape))
    _write(dst, y)


def tensor_tensor(dst: Tensor, data1: Tensor, data2: Tensor, op: _Fn, **_: Any) -> None:
    if data1.buffer == "psum" and data2.buffer == "psum":
        raise NkiError("tensor_tensor inputs cannot both be in PSUM")
    _write(dst, op.fn(_f32(data1), _f32(data2)))


def tensor_scalar(dst: Tensor, data: Tensor, op0: _Fn, operand0: Tensor | float, reverse0: bool = False,
                  op1: _Fn | None = None, operand1: Tensor | float | None = None, reverse1: bool = False,
                  **_: Any) -> None:
    p = data.shape[0]
    x = _f32(data)
    o0 = _per_partition("operand0", operand0, p)
    x = op0.fn(o0, x) if reverse0 else op0.fn(x, o0)
    if op1 is not None:
        assert operand1 is not None
        o1 = _per_partition("operand1", operand1, p)
        x = op1.fn(o1, x) if reverse1 else op1.fn(x, o1)
    _write(dst, np.asarray(x, dtype=np.float32))


def tensor_reduce(dst: Tensor, op: _Fn, data: Tensor, axis: Any, negate: bool = False, keepdims: bool = False,
                  **_: Any) -> None:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if 0 in axes:
        raise NkiError("tensor_reduce cannot reduce the partition axis")
    ufunc = {"add": np.add, "maximum": np.maximum, "minimum": np.minimum, "multiply": np.multiply}.get(op.name)
    if ufunc is None:
        raise NkiError(f"tensor_reduce: unsupported op {op.name}")
    r = ufunc.reduce(_f32(data), axis=axes, keepdims=keepdims)
    _write(dst, (-r if negate else r).reshape(dst.shape))


def tensor_copy(dst: Tensor, src: Tensor, **_: Any) -> None:
    _write(dst, src.data if src.dtype == dst.dtype else _f32(src))


def tensor_copy_predicated(dst: Tensor, src: Tensor, predicate: Tensor, **_: Any) -> None:
    _write(dst, np.where(_f32(predicate) != 0, src.data.astype(dst.dtype), dst.data))


def memset(dst: Tensor, value: float, **_: Any) -> None:
    _write(dst, np.full(dst.shape, value, dtype=np.float32))


def iota(dst: Tensor, pattern: list[list[int]], offset: int = 0, channel_multiplier: int = 0, **_: Any) -> None:
    p, f = dst.shape
    step = pattern[0][0]
    vals = offset + np.arange(p)[:, None] * channel_multiplier + np.arange(f)[None, :] * step
    _write(dst, vals.astype(np.float32))


def _make_isa() -> types.ModuleType:
    nisa = types.ModuleType("nki.isa")
    for fn in (dma_copy, dma_transpose, nc_matmul, nc_transpose, activation, tensor_tensor, tensor_scalar,
               tensor_reduce, tensor_copy, tensor_copy_predicated, memset, iota):
        setattr(nisa, fn.__name__, fn)
    nisa.engine = types.SimpleNamespace(vector="vector", scalar="scalar", gpsimd="gpsimd", unknown="unknown")  # type: ignore[attr-defined]
    return nisa


# ------------------------------------------------------------------------------ nki --
class KernelRun:
    """What the last kernel run used (for tests): peak SBUF bytes per partition, PSUM banks."""

    peak_sbuf = 0
    peak_banks = 0
    instructions = 0


LAST_RUN = KernelRun()


def _jit(fn: Callable[..., Any] | None = None, *, platform_target: str = "trn2", **_: Any) -> Any:
    def wrap(kernel: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            global _TRACKER
            chip = CHIPS.get(platform_target, DEFAULT_CHIP)
            prev = _TRACKER
            _TRACKER = _Tracker(chip)
            try:
                tensors = [_hbm(np.ascontiguousarray(a), f"arg{i}") if isinstance(a, np.ndarray) else a
                           for i, a in enumerate(args)]
                out = kernel(*tensors)
                LAST_RUN.peak_sbuf = _TRACKER.peak_sbuf
                LAST_RUN.peak_banks = _TRACKER.peak_banks
                LAST_RUN.instructions = _TRACKER.instructions
            finally:
                _TRACKER = prev
            if isinstance(out, tuple):
                return tuple(o.data for o in out)
            return out.data if isinstance(out, Tensor) else out

        run.__wrapped__ = kernel  # type: ignore[attr-defined]
        return run

    return wrap(fn) if fn is not None else wrap


def _make_nki() -> tuple[types.ModuleType, types.ModuleType, types.ModuleType]:
    nki = types.ModuleType("nki")
    nl = _make_language()
    nisa = _make_isa()
    nki.jit = _jit  # type: ignore[attr-defined]
    nki.language = nl  # type: ignore[attr-defined]
    nki.isa = nisa  # type: ignore[attr-defined]
    return nki, nl, nisa


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """This implementation as `nki`, `nki.language`, `nki.isa` in sys.modules while inside."""
    names = ("nki", "nki.language", "nki.isa")
    saved = {n: sys.modules.get(n) for n in names}
    for n, m in zip(names, _make_nki(), strict=True):
        sys.modules[n] = m
    try:
        yield
    finally:
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m


def run_file(path: Path, func_name: str, args: list[Any]) -> Any:
    """Import the emitted file `path` against this implementation and call its host function
    `func_name` on `args` (numpy arrays are updated in place, as memref arguments are)."""
    with installed():
        spec = importlib.util.spec_from_file_location(f"liftcomp_nki_emitted_{abs(hash(str(path)))}", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return getattr(mod, func_name)(*args)
