"""Proposers: `propose(problem, feedback) -> candidates` (TensorSpec texts).

The built-in symbolic proposer translates the analysed nest syntax-directedly: each write record
becomes `buf[view] = expr`, where reads become views of their buffers (slices, transposes,
`None` for broadcasting, `reshape` for flattened `w[i*n + j]` indexing), folds become reductions
(a product of two reads summed over the fold variable becomes `@`), selects become `np.where`,
and integer ops carry their signedness through `.astype` reinterpretations. A few alternative
spellings are enumerated for the cases where the first one may not be provable (reductions with
a peeled init, max/min with an explicit init); counterexamples prune alternatives that already
failed the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from liftcomp.lift import terms as T
from liftcomp.lift.analysis import Record, Summary, identity
from liftcomp.lift.terms import EType, Poly
from liftcomp.lift.verify import dtype_for


@dataclass
class Problem:
    """What a proposer sees: the function, its summary and a readable rendering of the nest."""

    name: str
    summary: Summary
    fn: Any  # the xdsl func.FuncOp (read-only: proposers render it, never change it)
    decls: list[Any]  # tensorspec.ArgDecl per argument: what a program may refer to


@dataclass
class Feedback:
    """Why earlier candidates failed (parse errors, verifier reasons, counterexamples)."""

    failures: list[tuple[str, str]] = field(default_factory=list)  # (candidate text, reason)
    counterexamples: list[Any] = field(default_factory=list)  # verify.Counterexample, for pruning


class Proposer(Protocol):
    name: str

    def propose(self, problem: Problem, feedback: Feedback) -> list[str]: ...


class CannotTranslate(Exception):
    pass


@dataclass(frozen=True)
class Dim:
    var: str
    lb: Poly
    ub: Poly
    step: int

    @property
    def count(self) -> Poly:
        """The trip count as a polynomial (raises CannotTranslate when it is a ceiling)."""
        return _count(self.lb, self.ub, self.step)

    @property
    def exact(self) -> bool:
        try:
            _count(self.lb, self.ub, self.step)
        except CannotTranslate:
            return False
        return True


def _np(dt_name: str) -> str:
    return {"bool": "np.bool_", "f16": "np.float16", "bf16": "np.bfloat16", "f32": "np.float32", "f64": "np.float64",
            "f8e4m3fn": "np.float8_e4m3fn", "f8e5m2": "np.float8_e5m2"}.get(
        dt_name, f"np.{'u' if dt_name[0] == 'u' else ''}int{dt_name[1:]}"
    )


def _count(lb: Poly, ub: Poly, step: int) -> Poly:
    if step == 1:
        return ub - lb
    d = (ub - lb).as_dict()
    if all(c % step == 0 for c in d.values()):
        return Poly._make({m: c // step for m, c in d.items()})  # pyright: ignore[reportPrivateUsage]
    if (ub - lb).is_const:
        return Poly.const(-(-(ub - lb).const_value // step))
    raise CannotTranslate(f"trip count of a step-{step} loop over {ub - lb} elements")


def _nonnegative(p: Poly) -> bool:
    """p >= 0 for all sizes (size symbols are >= 0): every coefficient is."""
    return all(c >= 0 for c in p.as_dict().values())


def _rows_fill_stride(col: Poly, count: Poly, stride: Poly) -> bool:
    """Whether the window col..col+count of each row ends exactly at the row's end (stride):
    then whole rows cover nothing past the last element the loop reads."""
    return _nonnegative(col) and stride - col - count == Poly.const(0)


def _tuple(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _index_only(t: T.Term) -> bool:
    """An i1 term built from comparisons of index expressions only (no data)."""
    if isinstance(t, T.Op) and t.op in ("andi", "ori", "xori") and t.type == T.I1:
        return all(_index_only(a) for a in t.args)
    if isinstance(t, T.Op) and t.op in ("eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"):
        return all(isinstance(a, T.IndexValue) for a in t.args)
    return isinstance(t, T.Const) and t.type == T.I1


def _guard_read(cond: T.Term, t: T.Term) -> T.Term | None:
    """select(cond, t, 0) moved onto the read under t's integer casts (extsi/extui of 0 is 0)."""
    if isinstance(t, T.Read) and t.type.kind == "i":
        return T.Op("select", (cond, t, T.Const(0, t.type)), t.type)
    if isinstance(t, T.Op) and t.op in ("extsi", "extui") and len(t.args) == 1:
        inner = _guard_read(cond, t.args[0])
        return None if inner is None else T.Op(t.op, (inner,), t.type)
    return None


def _const_range(p: Poly, dims: dict[str, Dim]) -> tuple[int, int] | None:
    """(min, max) of a linear index over the loops' ranges, when both are literals."""
    lo = hi = 0
    for v in p.vars():
        d = dims.get(v)
        if d is None or not (d.lb.is_const and d.exact and d.count.is_const) or d.count.const_value < 1:
            return None
        try:
            c = p.coeff(v)
        except ValueError:
            return None
        if not c.is_const:
            return None
        first, last = d.lb.const_value, d.lb.const_value + (d.count.const_value - 1) * d.step
        lo += min(c.const_value * first, c.const_value * last)
        hi += max(c.const_value * first, c.const_value * last)
    rest = p
    for v in p.vars():
        rest = rest.without(v)
    if not rest.is_const:
        return None
    return lo + rest.const_value, hi + rest.const_value


def _p(p: Poly) -> str:
    s = str(p)
    return f"({s})" if (" " in s) else s


class _Tx:
    """Term -> TensorSpec text with its dtype name (signedness tracked for integers)."""

    def __init__(self, summary: Summary, variant: int):
        self.summary = summary
        self.variant = variant
        # Alternative spellings enumerated when the first candidate fails: bit 0 turns off the
        # matmul idiom (plain sums of products), bit 1 keeps peeled reduction inits explicit,
        # bit 2 writes max/min inits with np.maximum instead of initial=.
        self.use_matmul = not variant & 1
        self.extend_peeled = bool(variant & 2)  # np.max(x[0:n]) for `m = x[0]; for i in 1..n`: needs n >= 1
        self.use_initial = not variant & 4
        self.unsigned = {a.name: a.unsigned_hint for a in summary.args}
        self.shapes = {a.name: a.shape for a in summary.args if a.shape is not None}

    # ------------------------------------------------------------ views
    def view(self, buf: str, idx: tuple[Poly, ...], dims: Sequence[Dim]) -> tuple[str, list[str]]:
        """A view of buf whose axes are a subset of dims (returned in the view's axis order)."""
        dvars = {d.var: d for d in dims}
        used = [v for p in idx for v in p.vars() if v in dvars]
        if len(used) != len(set(used)) or any(len([v for v in p.vars() if v in dvars]) > 1 for p in idx):
            flat = (self.flat_view(buf, idx, dims) or self.window_view(buf, idx, dims) or self.diagonal_view(buf, idx, dims)
                    or self.conv_window_view(buf, idx, dims))
            if flat is not None:
                return flat
            raise CannotTranslate(f"access {buf}{[str(p) for p in idx]} uses a loop variable twice")
        parts: list[str] = []
        order: list[str] = []
        for p in idx:
            vs = [v for v in p.vars() if v in dvars]
            if not vs:
                parts.append(str(p))
                continue
            v = vs[0]
            try:
                c = p.coeff(v)
            except ValueError:
                raise CannotTranslate(f"non-linear index {p}") from None
            if not c.is_const or c.const_value <= 0:
                flat = self.flat_view(buf, idx, dims)
                if flat is not None:
                    return flat
                raise CannotTranslate(f"index {p} is not an increasing affine function of {v}")
            d = dvars[v]
            off = p.without(v)
            start = off + d.lb * c.const_value
            step = c.const_value * d.step
            # With a step that need not divide the range, the slice ends just past the last
            # element the loop touches; numpy's a[start:stop:step] then has ceil((ub - lb) / s)
            # elements (none when ub <= lb), as the loop has iterations.
            stop = start + d.count * step if d.exact else off + (d.ub - 1) * c.const_value + 1
            parts.append(f"{start}:{stop}" + (f":{step}" if step != 1 else ""))
            order.append(v)
        return f"{buf}[{', '.join(parts)}]", order

    def window_view(self, buf: str, idx: tuple[Poly, ...], dims: Sequence[Dim]) -> tuple[str, list[str]] | None:
        """x[i + k] with i, k loop variables: a view of np.lib.stride_tricks.sliding_window_view."""
        dvars = {d.var: d for d in dims}
        outer: list[str] = []
        inner: list[str] = []
        offs: list[Poly] = []
        for p in idx:
            vs = [v for v in p.vars() if v in dvars]
            if len(vs) != 2:
                return None
            try:
                if any(p.coeff(v) != Poly.const(1) for v in vs):
                    return None
            except ValueError:
                return None
            a, b = sorted(vs, key=lambda v: [d.var for d in dims].index(v))
            if dvars[a].step != 1 or dvars[b].step != 1:
                return None
            outer.append(a)
            inner.append(b)
            offs.append(p.without(a).without(b) + dvars[a].lb + dvars[b].lb)
        src = f"{buf}[{', '.join(f'{o}:{o + dvars[a].count + dvars[b].count - 1}' for o, a, b in zip(offs, outer, inner, strict=True))}]"
        window = ", ".join(str(dvars[b].count) for b in inner)
        text = f"np.lib.stride_tricks.sliding_window_view({src}, ({window},))"
        return text, outer + inner

    def conv_window_view(self, buf: str, idx: tuple[Poly, ...], dims: Sequence[Dim]) -> tuple[str, list[str]] | None:
        """x[n, s*i + d*k + o, c] (a convolution's input: some axes slide a window, with stride s
        and dilation d, others are plain loop axes or fixed): a sliding_window_view with one
        window size per axis (1 where the axis does not slide), taken with the stride."""
        dvars = {d.var: d for d in dims}
        order_of = [d.var for d in dims]
        src: list[str] = []
        window: list[str] = []
        outer_ix: list[str] = []
        inner_ix: list[str] = []
        outer: list[str] = []
        inner: list[str] = []
        for p in idx:
            vs = sorted((v for v in p.vars() if v in dvars), key=order_of.index)
            try:
                coeffs = [p.coeff(v) for v in vs]
            except ValueError:
                return None
            if any(not c.is_const or c.const_value <= 0 for c in coeffs) or any(dvars[v].step != 1 for v in vs):
                return None
            off = p
            for v in vs:
                off = off.without(v)
            if not vs:
                src.append(f"{off}:{off + 1}")
                window.append("1")
                outer_ix.append("0")
                inner_ix.append("0")
                continue
            if len(vs) == 1:
                d, c = dvars[vs[0]], coeffs[0].const_value
                start = off + d.lb * c
                src.append(f"{start}:{start + (d.count - 1) * c + 1}" + (f":{c}" if c != 1 else ""))
                window.append("1")
                outer_ix.append(f"0:{d.count}")
                inner_ix.append("0")
                outer.append(vs[0])
                continue
            if len(vs) != 2:
                return None
            (a, b), (ca, cb) = vs, (c.const_value for c in coeffs)
            da, db = dvars[a], dvars[b]
            span = (db.count - 1) * cb + 1
            start = off + da.lb * ca + db.lb * cb
            src.append(f"{start}:{start + (da.count - 1) * ca + span}")
            window.append(str(span))
            outer_ix.append(f"0:{(da.count - 1) * ca + 1}" + (f":{ca}" if ca != 1 else ""))
            inner_ix.append(f"0:{span}" + (f":{cb}" if cb != 1 else ""))
            outer.append(a)
            inner.append(b)
        used = outer + inner
        if not inner or len(used) != len(set(used)):
            return None
        shape = self.shapes.get(buf)
        whole = shape is not None and src == [f"0:{e}" for e in shape]
        base = buf if whole else f"{buf}[{', '.join(src)}]"
        text = f"np.lib.stride_tricks.sliding_window_view({base}, {_tuple(window)})[{', '.join(outer_ix + inner_ix)}]"
        return text, used

    def padded_read(self, t: T.Op, dims: Sequence[Dim]) -> tuple[str, str] | None:
        """select(guard, x[idx], 0) where the guard keeps idx inside x and the loops take idx
        outside (a padded convolution's guarded load): a view of x padded with zeros,
        np.pad(x, ((lo, hi), ...)), read at idx + lo. The guard is left to the verifier: the
        padded read is `select(0 <= idx < extent per padded axis, x[idx], 0)`."""
        cond, x, zero = t.args
        if not (isinstance(zero, T.Const) and zero.value == 0 and _index_only(cond)):
            return None
        if isinstance(x, T.Op) and x.op == "muli":
            # `if inb: acc += x * w` on integers: the guard on the product is the guard on the
            # factor that reads x (0 * w = 0 exactly); floats differ (0.0 * inf is NaN).
            pushed = _guard_read(cond, x.args[0])
            if pushed is None:
                return None
            return self.tx(T.Op("muli", (pushed, x.args[1]), x.type), dims)
        if isinstance(x, T.Op) and x.op in ("extsi", "extui"):
            # `if inb { yield extsi(x[...]) } else { yield 0 }`: the guard moves under the
            # extension (ext(0) = 0), the corpus form extsi(select(inb, x[...], 0)).
            pushed = _guard_read(cond, x)
            return None if pushed is None else self.tx(pushed, dims)
        if not isinstance(x, T.Read):
            return None
        shape = self.shapes.get(x.buf)
        ranges = {d.var: d for d in dims}
        if shape is None or not all(e.is_const for e in shape):
            return None
        pads: list[tuple[int, int]] = []
        for p, extent in zip(x.idx, shape, strict=True):
            span = _const_range(p, ranges)
            if span is None:
                return None
            lo, hi = span
            pads.append((max(0, -lo), max(0, hi - (extent.const_value - 1))))
        if not any(lo or hi for lo, hi in pads):
            return None
        padded = f"np.pad({x.buf}, {_tuple([f'({lo}, {hi})' for lo, hi in pads])})"
        self.shapes[padded] = tuple(Poly.const(e.const_value + lo + hi) for e, (lo, hi) in zip(shape, pads, strict=True))
        shifted = tuple(p + Poly.const(lo) for p, (lo, _) in zip(x.idx, pads, strict=True))
        text, order = self.view(padded, shifted, dims)
        return self.arrange(text, order, dims), self.dt(x.type, self.unsigned.get(x.buf, False))

    def diagonal_view(self, buf: str, idx: tuple[Poly, ...], dims: Sequence[Dim]) -> tuple[str, list[str]] | None:
        """x[i + a, i + b] on a 2-D buffer: the diagonal of the square slice that starts at
        (lb + a, lb + b), `diagonal(x[lb+a : ub+a, lb+b : ub+b])`."""
        dvars = {d.var: d for d in dims}
        if len(idx) != 2:
            return None
        vs = [[v for v in p.vars() if v in dvars] for p in idx]
        if len(vs[0]) != 1 or vs[0] != vs[1]:
            return None
        v = vs[0][0]
        d = dvars[v]
        try:
            if any(p.coeff(v) != Poly.const(1) for p in idx) or d.step != 1:
                return None
        except ValueError:
            return None
        starts = [p.without(v) + d.lb for p in idx]
        parts = ", ".join(f"{a}:{a + d.count}" for a in starts)
        return f"diagonal({buf}[{parts}])", [v]

    def flat_view(self, buf: str, idx: tuple[Poly, ...], dims: Sequence[Dim]) -> tuple[str, list[str]] | None:
        """w[x*S + y + off] on a 1-D buffer: w[start:start+cx*S].reshape(cx, S)[:, y-range]."""
        if len(idx) != 1:
            return None
        p = idx[0]
        dvars = {d.var: d for d in dims}
        vs = [v for v in p.vars() if v in dvars]
        if len(vs) != 2:
            return None
        try:
            coeffs = {v: p.coeff(v) for v in vs}
        except ValueError:
            return None
        unit = [v for v in vs if coeffs[v] == Poly.const(1)]
        if len(unit) != 1:
            return None
        y = unit[0]
        x = next(v for v in vs if v != y)
        stride = coeffs[x]
        dx, dy = dvars[x], dvars[y]
        if dx.step != 1 or dy.step != 1:
            return None
        off = p.without(x).without(y)
        start = stride * dx.lb
        col = off + dy.lb
        if not _rows_fill_stride(col, dy.count, stride):
            # The loop reads a window of each row (`key_cache[t*kv_dim + h*hs + i]`, i < hs) and
            # nothing says the window fits the stride or that the last row is read to its end:
            # a reshape of whole rows could read past the buffer where the loop does not. The
            # strided view reads exactly the loop's elements.
            return f"strided({buf}, {start + col}, ({dx.count}, {dy.count}), ({stride}, 1))", [x, y]
        # Rows start at multiples of the stride and the loop reads each row to its end, so the
        # reshaped slice stays inside the buffer whenever the loop's own accesses do.
        text = (f"{buf}[{start}:{start + dx.count * stride}].reshape({dx.count}, {stride})"
                f"[0:{dx.count}, {col}:{col + dy.count}]")
        return text, [x, y]

    def arrange(self, text: str, order: list[str], dims: Sequence[Dim]) -> str:
        """Transpose/broadcast a view whose axes are `order` to the axes of dims."""
        target = [d.var for d in dims if d.var in order]
        if order != target:
            if len(order) == 2:
                text = f"{text}.T"
            else:
                perm = tuple(order.index(v) for v in target)
                text = f"np.transpose({text}, {perm})"
        if len(target) == len(dims):
            return text
        parts = [":" if d.var in order else "None" for d in dims]
        return f"{text}[{', '.join(parts)}]"

    # ------------------------------------------------------------ terms
    def tx(self, t: T.Term, dims: Sequence[Dim]) -> tuple[str, str]:
        if isinstance(t, T.Const):
            dn = self.dt(t.type, False)
            if t.type.kind == "f":
                v = float(t.value)
                if v != v or v in (float("inf"), float("-inf")):
                    raise CannotTranslate("non-finite constant")
                return f"{_np(dn)}({v!r})", dn
            v = int(t.value)
            if v >> (t.type.width - 1) and t.type.width > 1:
                v -= 1 << t.type.width
            return f"{_np(dn)}({v})", dn
        if isinstance(t, T.Scalar):
            if t.name.startswith("__"):
                raise CannotTranslate("unresolved placeholder")
            return t.name, self.dt(t.type, False)
        if isinstance(t, T.Read):
            text, order = self.view(t.buf, t.idx, dims)
            return self.arrange(text, order, dims), self.dt(t.type, self.unsigned.get(t.buf, False))
        if isinstance(t, T.IndexValue):
            if any(v in {d.var for d in dims} for v in t.idx.vars()):
                raise CannotTranslate("loop index used as data")
            dn = self.dt(t.type, False)
            return f"{_np(dn)}({t.idx})", dn
        if isinstance(t, T.Fold):
            return self.fold(t, dims)
        return self.op(t, dims)

    def dt(self, et: EType, unsigned: bool) -> str:
        return dtype_for(et, unsigned).name

    def as_dt(self, x: tuple[str, str], dn: str) -> str:
        text, have = x
        if have == dn:
            return text
        return f"({text}).astype({_np(dn)})"

    def op(self, t: T.Op, dims: Sequence[Dim]) -> tuple[str, str]:
        op = t.op
        if op == "select":
            padded = self.padded_read(t, dims)
            if padded is not None:
                return padded
        args = [self.tx(a, dims) for a in t.args]
        w = t.type.width
        sname = f"i{w}"
        uname = f"u{w}"
        if op == "select":
            dn = args[1][1]
            return f"np.where({args[0][0]}, {args[1][0]}, {self.as_dt(args[2], dn)})", dn
        if op in ("extsi", "extui"):
            iw = t.args[0].type.width
            src = self.as_dt(args[0], f"{'u' if op == 'extui' else 'i'}{iw}") if iw > 1 else args[0][0]
            dn = ("u" if op == "extui" else "i") + str(w)
            return f"({src}).astype({_np(dn)})", dn
        if op == "trunci":
            dn = ("u" if args[0][1].startswith("u") else "i") + str(w)
            return f"({args[0][0]}).astype({_np(dn)})", dn
        if op in ("sitofp", "uitofp"):
            iw = t.args[0].type.width
            src = self.as_dt(args[0], f"{'u' if op == 'uitofp' else 'i'}{iw}")
            dn = str(t.type)
            return f"({src}).astype({_np(dn)})", dn
        if op in ("fptosi", "fptoui"):
            dn = ("u" if op == "fptoui" else "i") + str(w)
            return f"({args[0][0]}).astype({_np(dn)})", dn
        if op in ("extf", "truncf"):
            return f"({args[0][0]}).astype({_np(str(t.type))})", str(t.type)
        cmp = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=", "ult": "<", "ule": "<=", "ugt": ">", "uge": ">=",
               "oeq": "==", "une": "!=", "olt": "<", "ole": "<=", "ogt": ">", "oge": ">="}
        if op in cmp:
            a0 = t.args[0].type
            if a0.kind == "f":
                dn = args[0][1]
            else:
                dn = (("u" if op[0] == "u" else "i") if op not in ("eq", "ne") else args[0][1][0]) + str(a0.width)
                if dn[0] not in "iu":
                    dn = "i" + str(a0.width)
            return f"({self.as_dt(args[0], dn)} {cmp[op]} {self.as_dt(args[1], dn)})", "bool"
        if t.type.kind == "f":
            fdn = str(t.type)
            binf = {"addf": "+", "subf": "-", "mulf": "*", "divf": "/"}
            if op in binf:
                return f"({self.as_dt(args[0], fdn)} {binf[op]} {self.as_dt(args[1], fdn)})", fdn
            fn2 = {"maximumf": "np.maximum", "minimumf": "np.minimum", "powf": "np.power", "maxnumf": "np.fmax", "minnumf": "np.fmin"}
            if op in fn2:
                return f"{fn2[op]}({self.as_dt(args[0], fdn)}, {self.as_dt(args[1], fdn)})", fdn
            if op == "negf":
                return f"(-{args[0][0]})", fdn
            fn1 = {"exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt", "tanh": "np.tanh", "absf": "np.abs", "exp2": "np.exp2",
                   "log2": "np.log2", "log10": "np.log10", "sin": "np.sin", "cos": "np.cos", "floor": "np.floor", "ceil": "np.ceil",
                   "roundeven": "np.rint", "round": "round_away"}
            if op in fn1:
                return f"{fn1[op]}({self.as_dt(args[0], fdn)})", fdn
            raise CannotTranslate(f"no TensorSpec form for {op}")
        if t.type.width == 1 and op in ("andi", "ori", "xori"):
            sym = {"andi": "&", "ori": "|", "xori": "^"}[op]
            return f"({args[0][0]} {sym} {args[1][0]})", "bool"
        signed_ops = {"divsi", "remsi", "shrsi", "maxsi", "minsi", "floordivsi", "modsi", "absi"}
        unsigned_ops = {"divui", "remui", "shrui", "maxui", "minui"}
        if op in signed_ops:
            dn = sname
        elif op in unsigned_ops:
            dn = uname
        else:
            dn = args[0][1] if args[0][1][0] in "iu" else sname
        a = [self.as_dt(x, dn) for x in args]
        binop = {"addi": "+", "subi": "-", "muli": "*", "andi": "&", "ori": "|", "xori": "^", "shli": "<<", "shrsi": ">>", "shrui": ">>",
                 "divui": "//", "remui": "%", "floordivsi": "//", "modsi": "%"}
        if op in binop:
            return f"({a[0]} {binop[op]} {a[1]})", dn
        if op in ("maxsi", "maxui"):
            return f"np.maximum({a[0]}, {a[1]})", dn
        if op in ("minsi", "minui"):
            return f"np.minimum({a[0]}, {a[1]})", dn
        if op == "remsi":
            return f"np.fmod({a[0]}, {a[1]})", dn
        if op == "divsi":
            return f"(({a[0]} - np.fmod({a[0]}, {a[1]})) // {a[1]})", dn
        if op == "absi":
            return f"np.abs({a[0]})", dn
        raise CannotTranslate(f"no TensorSpec form for {op}")

    def fold(self, f: T.Fold, dims: Sequence[Dim]) -> tuple[str, str]:
        if any(v in {d.var for d in dims} for v in f.lb.vars() | f.ub.vars()):
            raise CannotTranslate("reduction bounds depend on an outer loop (triangular nest)")
        if f.op in T.ARG_FOLDS:
            return self.arg_fold(f, dims)
        if f.init == T.acc_var(f.type):
            raise CannotTranslate("a fold that continues an outer accumulator (one float reduction over several loops)")
        fdt = self.dt(f.type, f.op in ("maxui", "minui"))
        lb = f.lb
        init = f.init
        # A peeled init (m = x[lb-step]; fold from lb) becomes a reduction over the longer range.
        before = T.subst_index(f.body, {f.var: f.lb - f.step})
        peeled = self.extend_peeled and init == before and (f.op in T.SELECT_FOLDS or f.op in ("maximumf", "minimumf", "maxnumf", "minnumf",
                                                                    "maxsi", "minsi", "maxui", "minui", "addf", "addi", "mulf", "muli"))
        if peeled:
            lb = f.lb - f.step
        k = Dim(f.var, lb, f.ub, f.step)
        inner = [*dims, k]
        axis = len(dims)
        # A float sum from a per-element init (C[i, j] += ...) is one fold from that init in IEEE:
        # np.sum(..., initial=<array>), never init + (a @ b).
        ident0 = T.Const(T.IDENTITY[f.op], f.type) if f.op in T.IDENTITY else None
        from_init = f.type.kind == "f" and f.op in ("addf", "mulf") and not peeled and init != ident0 and bool(
            T.free_index_vars(init) & {d.var for d in dims})
        red = self._conv(f, dims, fdt) if f.op in ("addf", "addi") and not peeled else None
        if red is not None and from_init:
            # One fold from each output's own start (a bias): the convolution's output operand.
            return f"{red[:-1]}, initial={self.as_dt(self.tx(init, dims), fdt)})", fdt
        if red is None and f.op in ("addf", "addi") and self.use_matmul and not from_init:
            red = self._matmul(f, dims, k)
        if red is None:
            try:
                body = self.as_dt(self.tx(f.body, inner), fdt)
            except CannotTranslate:
                unrolled = self._unrolled(f, dims, fdt)
                if unrolled is None:
                    raise
                return unrolled
            if f.op in ("addf", "addi", "mulf", "muli"):
                name = "sum" if f.op in ("addf", "addi") else "prod"
                if from_init:
                    return f"np.{name}({body}, axis={axis}, dtype={_np(fdt)}, initial={self.as_dt(self.tx(init, dims), fdt)})", fdt
                red = f"np.{name}({body}, axis={axis}, dtype={_np(fdt)})"
            elif f.op in ("selectf_ogt", "selectf_olt") and not dims:
                # The loop's compare-and-select, exactly (np.max differs on NaN and signed zeros).
                red = f"{'seq_max' if f.op == 'selectf_ogt' else 'seq_min'}({body})"
            elif f.op in ("maximumf", "maxnumf", "maxsi", "maxui") or f.op in T.SELECT_MAX:
                red = f"np.max({body}, axis={axis})"
            elif f.op in ("minimumf", "minnumf", "minsi", "minui") or f.op in T.SELECT_MIN:
                red = f"np.min({body}, axis={axis})"
            else:
                raise CannotTranslate(f"no reduction for {f.op}")
        if peeled:
            return red, fdt
        ident = identity(f.op, f.type) if f.type.kind != "f" else (T.Const(T.IDENTITY[f.op], f.type) if f.op in T.IDENTITY else None)
        if ident is not None and init == ident:
            return red, fdt
        dims_free = not (T.free_index_vars(init) & {d.var for d in dims})
        if self.use_initial and dims_free and red.startswith(("np.max(", "np.min(", "np.sum(", "np.prod(", "seq_max(", "seq_min(")):
            # numpy's initial= is exactly a fold that starts from init (also over an empty range).
            c = init.value if isinstance(init, T.Const) else None
            if isinstance(c, float) and c in (float("inf"), float("-inf")):
                lit = "np.inf" if c > 0 else "-np.inf"
            else:
                lit = self.as_dt(self.tx(init, []), fdt)
            return f"{red[:-1]}, initial={lit})", fdt
        init_t = self.as_dt(self.tx(init, dims), fdt)
        comb = {"addf": "+", "addi": "+", "mulf": "*", "muli": "*"}
        if f.op in comb:
            return f"({init_t} {comb[f.op]} {red})", fdt
        fn = "np.maximum" if f.op.startswith("max") else "np.minimum"
        return f"{fn}({init_t}, {red})", fdt

    def arg_fold(self, f: T.Fold, dims: Sequence[Dim]) -> tuple[str, str]:
        """np.argmax / np.argmin for `best = x[0]; bi = 0; for i in 1..n: if x[i] > best: ...`:
        numpy's index counts from the start of the view, so the scan must start at index 0."""
        if dims:
            raise CannotTranslate("argmax/argmin inside an outer loop")
        body = f.body
        if not (isinstance(body, T.Op) and body.op == "pair" and f.step == 1):
            raise CannotTranslate("argmax/argmin fold of an unexpected form")
        value, index = body.args
        if index != T.IndexValue(Poly.var(f.var), T.INDEX):
            raise CannotTranslate("argmax/argmin whose index is not the loop variable")
        start = f.lb - 1
        if start != Poly.const(0) or f.init != T.subst_index(body, {f.var: start}):
            raise CannotTranslate("argmax/argmin that does not start from element 0 with index 0")
        w = value.type.width
        dn = f"{'u' if f.op.endswith('ui') else 'i'}{w}"
        k = Dim(f.var, start, f.ub, 1)
        x = self.as_dt(self.tx(value, [k]), dn)
        return f"np.{f.op[:6]}({x})", "i64"

    def _unrolled(self, f: T.Fold, dims: Sequence[Dim], fdt: str) -> tuple[str, str] | None:
        """A short constant-trip fold (a convolution window) as an explicit chain of combines."""
        if not (f.lb.is_const and f.ub.is_const) or len(range(f.lb.const_value, f.ub.const_value, f.step)) > 16:
            return None
        acc = self.as_dt(self.tx(f.init, dims), fdt)
        return self._unroll_from(f, acc, dims, fdt)

    def _unroll_from(self, f: T.Fold, acc: str, dims: Sequence[Dim], fdt: str) -> tuple[str, str] | None:
        """Unroll f from the accumulator text acc; the inner folds of a threaded fold (terms.ACC)
        continue it, so the chain keeps the loops' order."""
        if not (f.lb.is_const and f.ub.is_const) or len(range(f.lb.const_value, f.ub.const_value, f.step)) > 16:
            return None
        sym = {"addf": "+", "addi": "+", "mulf": "*", "muli": "*"}.get(f.op)
        fn = {"maximumf": "np.maximum", "maxnumf": "np.maximum", "maxsi": "np.maximum", "maxui": "np.maximum",
              "minimumf": "np.minimum", "minnumf": "np.minimum", "minsi": "np.minimum", "minui": "np.minimum"}.get(f.op)
        for kv in range(f.lb.const_value, f.ub.const_value, f.step):
            body = T.subst_index(f.body, {f.var: Poly.const(kv)})
            if T.is_threaded(f):
                if not (isinstance(body, T.Fold) and body.init == T.acc_var(f.type)):
                    return None
                inner = self._unroll_from(body, acc, dims, fdt)
                if inner is None:
                    return None
                acc = inner[0]
                continue
            b = self.as_dt(self.tx(body, dims), fdt)
            acc = f"({acc} {sym} {b})" if sym else f"{fn}({acc}, {b})"
        return acc, fdt

    def _conv(self, f: T.Fold, dims: Sequence[Dim], fdt: str) -> str | None:
        """A sum over several nested loops (a convolution's kh, kw, c) whose product reads a
        sliding window: one np.sum over those axes, in the loops' order (TensorSpec's sum over
        an axis tuple is one left fold in row-major order, so also exact for floats when each
        inner loop continues the outer accumulator)."""
        chain = [Dim(f.var, f.lb, f.ub, f.step)]
        body = f.body
        inner_init = T.acc_var(f.type) if f.type.kind == "f" else T.Const(0, f.type)
        while isinstance(body, T.Fold) and body.op == f.op and body.init == inner_init:
            chain.append(Dim(body.var, body.lb, body.ub, body.step))
            body = body.body
        names = {d.var for d in [*dims, *chain]}
        if len(chain) < 2 or T.is_threaded(T.Fold(f.op, f.init, f.var, f.lb, f.ub, f.step, body, f.type)) or any(
                (d.lb.vars() | d.ub.vars()) & names for d in chain):
            return None
        outer, red = {d.var for d in dims}, {d.var for d in chain}
        windows = [r for r in T.walk(body) if isinstance(r, T.Read)
                   and any(p.vars() & outer and p.vars() & red for p in r.idx)]
        if not windows:
            return None
        inner = [*dims, *chain]
        try:
            text = self.as_dt(self.tx(body, inner), fdt)
        except CannotTranslate:
            return None
        axes = _tuple([str(a) for a in range(len(dims), len(inner))])
        return f"np.sum({text}, axis={axes}, dtype={_np(fdt)})"

    def _matmul(self, f: T.Fold, dims: Sequence[Dim], k: Dim) -> str | None:
        body = f.body
        if not (isinstance(body, T.Op) and body.op in ("mulf", "muli") and len(dims) <= 2):
            return None
        x, y = body.args
        dv = [d.var for d in dims]
        vx = T.free_index_vars(x) & (set(dv) | {k.var})
        vy = T.free_index_vars(y) & (set(dv) | {k.var})
        fdt = self.dt(f.type, False)
        try:
            if len(dims) == 2 and vx == {dv[0], k.var} and vy == {k.var, dv[1]}:
                a = self.as_dt(self.tx(x, [dims[0], k]), fdt)
                b = self.as_dt(self.tx(y, [k, dims[1]]), fdt)
                return f"({a} @ {b})"
            if len(dims) == 1 and vx == {dv[0], k.var} and vy == {k.var}:
                return f"({self.as_dt(self.tx(x, [dims[0], k]), fdt)} @ {self.as_dt(self.tx(y, [k]), fdt)})"
            if len(dims) == 1 and vx == {k.var} and vy == {k.var, dv[0]}:
                return f"({self.as_dt(self.tx(x, [k]), fdt)} @ {self.as_dt(self.tx(y, [k, dims[0]]), fdt)})"
            if not dims and vx == {k.var} and vy == {k.var}:
                return f"np.dot({self.as_dt(self.tx(x, [k]), fdt)}, {self.as_dt(self.tx(y, [k]), fdt)})"
        except CannotTranslate:
            return None
        return None

    # ------------------------------------------------------------ statements
    def record(self, r: Record) -> str:
        dims = [Dim(lv.name, lv.lb, lv.ub, lv.step) for lv in r.domain]
        names = {d.var for d in dims}
        if any((d.lb.vars() | d.ub.vars()) & names for d in dims):
            # A slice cannot name another axis's position (the program would use an unbound
            # loop variable): such nests are lifted row by row, their outer loop kept.
            raise CannotTranslate(f"the write to '{r.buf}' has triangular bounds (a loop bound depends on an outer loop variable)")
        text, order = self.view(r.buf, r.idx, dims)
        if sorted(order) != sorted(d.var for d in dims):
            raise CannotTranslate(f"the write to '{r.buf}' does not use every loop variable")
        view_dims = [next(d for d in dims if d.var == v) for v in order]
        value = self.tx(r.value, view_dims)
        if text.startswith("diagonal("):
            text += f"[0:{view_dims[0].count}]"  # a call is no assignment target in Python; its subscript is
        return f"{text} = {value[0]}"


def _translate(summary: Summary, variant: int) -> str:
    lines: list[str] = []
    tx = _Tx(summary, variant)
    for r in summary.records:
        lines.append(tx.record(r))
    if summary.results:
        rets = [tx.tx(t, [])[0] for t in summary.results]
        lines.append("return " + ", ".join(rets))
    if not lines:
        raise CannotTranslate("the function writes nothing and returns nothing")
    return "\n".join(lines)


VARIANTS = 8


def symbolic_candidates(summary: Summary) -> list[str] | str:
    """Distinct candidate programs (the syntax-directed one first), or why none can be written."""
    out: list[str] = []
    first_error = ""
    for v in range(VARIANTS):
        try:
            text = _translate(summary, v)
        except CannotTranslate as e:
            first_error = first_error or str(e)
            continue
        if text not in out:
            out.append(text)
    return out if out else first_error


class SymbolicProposer:
    """The built-in proposer: syntax-directed translation of the analysed nest."""

    name = "symbolic"

    def __init__(self) -> None:
        self.pruned = 0  # alternatives refuted by a recorded counterexample before verification
        self.calls = 0  # LLM requests (none: the report's llm_calls)

    def propose(self, problem: Problem, feedback: Feedback) -> list[str]:
        """Round 1: the syntax-directed program. Later rounds: the other spellings, minus those a
        recorded counterexample already refutes (checked with numpy, no verifier call)."""
        from liftcomp.lift import tensorspec as TS
        from liftcomp.lift.verify import refuted_by

        cands = symbolic_candidates(problem.summary)
        if isinstance(cands, str):
            return []
        tried = {t for t, _ in feedback.failures}
        fresh = [c for c in cands if c not in tried]
        if not feedback.failures:
            return fresh[:1]
        kept: list[str] = []
        for c in fresh:
            try:
                prog = TS.parse_program(c, problem.decls)
            except TS.SpecError:
                continue
            if any(refuted_by(prog, problem.summary, cx) for cx in feedback.counterexamples):
                self.pruned += 1
                continue
            kept.append(c)
        return kept

    @staticmethod
    def why_not(problem: Problem) -> str:
        cands = symbolic_candidates(problem.summary)
        return cands if isinstance(cands, str) else ""
