"""Tensor programs (the graphs of ONNX, PyTorch and scikit-learn models) lowered exactly to ``Dense`` / ``Relu`` /
``Maxout`` layers, so that the engine and the checker never see a convolution or a pooling window.

A tensor is an array (C order) of affine functions of the *running vector* ``r``, the output of the last layer
emitted (at first the network's input); each function is a sparse row ``{column: coefficient, CONST: constant}``.
Linear operators (Gemm, Conv, average pooling, batch normalization, reshapes, the sum of two branches) compose rows
and emit nothing. A piecewise-linear operator is a list of *units*, each the maximum of some affine pieces (ReLU:
``max(t, 0)``; LeakyReLU: ``max(x, a x)``; MaxPool: the max over a window), and output rows that combine the units
linearly; it emits one ``Dense`` layer of all pieces, then ``Relu`` if every unit is ``max(t, 0)`` and no other
tensor is still needed, else ``Maxout``. A tensor still needed later (a skip connection) rides through a maxout layer
as units of identical pieces ``max(v, ..., v) = v``, which the engine decides without geometry: a skip connection
adds no cells (``relu(v) - relu(-v)`` would split every cell along ``v = 0``).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Iterable, Optional, Sequence

import numpy as np

from ..errors import InexactWarning, InputError
from ..network.ir import MAX_LAYER_ENTRIES, Dense, Layer, Maxout, Mlp, Relu

CONST = -1
ZERO, ONE = Fraction(0), Fraction(1)
SparseRow = dict[int, Fraction]


@dataclass
class Tensor:
    """``prod(shape)`` affine functions of the running vector, in C order."""
    shape: tuple[int, ...]
    rows: list[SparseRow]

    def __post_init__(self) -> None:
        if math.prod(self.shape) != len(self.rows):
            raise InputError(f"internal shape mismatch: shape {list(self.shape)} but {len(self.rows)} entries")

    def indices(self) -> np.ndarray:
        """The position of each entry, as an integer array of the tensor's shape."""
        return np.arange(len(self.rows)).reshape(self.shape)


@dataclass(frozen=True)
class Piecewise:
    """Units (each the max of its pieces, rows over ``r``) and the output rows over the units' values."""
    shape: tuple[int, ...]
    units: list[list[SparseRow]]
    outputs: list[SparseRow]


def combine(terms: Iterable[tuple[Fraction, SparseRow]], const: Fraction = ZERO) -> SparseRow:
    """``const + sum a * row`` over the terms, without zero entries."""
    out: SparseRow = {CONST: const} if const else {}
    for a, row in terms:
        if not a:
            continue
        for j, v in row.items():
            term = v if a == 1 else a if v == 1 else a * v
            out[j] = out[j] + term if j in out else term
    return {j: v for j, v in out.items() if v}


def unit_row(column: int) -> SparseRow:
    return {column: ONE}


# --- the lowering ---------------------------------------------------------------------------

class Lowering:
    """The layers emitted so far and the tensors that are affine in their output (named as in the model)."""

    def __init__(self, input_name: str, input_shape: Sequence[int]):
        self.where = input_name       # the node being lowered, for messages (set by the front end)
        self.input_dim = self.width = math.prod(input_shape)
        if self.input_dim < 1:
            raise InputError(f"input {input_name!r} has shape {list(input_shape)}: no entries")
        self.layers: list[Layer] = []
        self.tensors: dict[str, Tensor] = {input_name: Tensor(tuple(input_shape),
                                                              [unit_row(j) for j in range(self.input_dim)])}

    def set(self, name: str, tensor: Tensor) -> None:
        self.tensors[name] = tensor

    def piecewise(self, name: str, op: Piecewise, keep: Iterable[str]) -> None:
        """Emit the layer of ``op`` (its output named ``name``), carrying the tensors in ``keep`` through it."""
        carried = [n for n in dict.fromkeys(keep) if n in self.tensors and n != name]
        rank = max((len(u) for u in op.units), default=1)
        if rank == 1:      # every unit is one piece: the operator is affine here
            self.tensors[name] = Tensor(op.shape, [combine(((a, op.units[j][0]) for j, a in row.items() if j != CONST),
                                                           row.get(CONST, ZERO)) for row in op.outputs])
            return
        relu = not carried and all(len(u) == 2 and not u[1] for u in op.units)
        pieces = [u[0] for u in op.units] if relu else [p for u in op.units for p in padded(u, rank)]
        for n in carried:
            pieces += [row for row in self.tensors[n].rows for _ in range(rank)]
        self.emit(pieces)
        self.layers.append(Relu() if relu else Maxout(rank))
        self.width = len(pieces) if relu else len(pieces) // rank
        column, tensors = len(op.units), {}
        for n in carried:
            size = len(self.tensors[n].rows)
            tensors[n] = Tensor(self.tensors[n].shape, [unit_row(column + j) for j in range(size)])
            column += size
        tensors[name] = Tensor(op.shape, [dict(row) for row in op.outputs])
        self.tensors = tensors

    def emit(self, rows: list[SparseRow]) -> None:
        """A ``Dense`` layer computing ``rows`` from ``r`` (nothing if they are ``r`` itself)."""
        if len(rows) == self.width and all(row == {j: ONE} for j, row in enumerate(rows)):
            return
        if len(rows) * self.width > MAX_LAYER_ENTRIES:
            raise InputError(f"{self.where}: lowered, this operator is a dense layer of {len(rows):,} x "
                             f"{self.width:,} = {len(rows) * self.width:,} exact entries, more than polyreg holds "
                             f"({MAX_LAYER_ENTRIES:,}); use smaller inputs or fewer channels")
        weight = []
        for row in rows:
            dense = [ZERO] * self.width
            for j, v in row.items():
                if j != CONST:
                    dense[j] = v
            weight.append(tuple(dense))
        self.layers.append(Dense(tuple(weight), tuple(row.get(CONST, ZERO) for row in rows)))
        self.width = len(rows)

    def network(self, output: str) -> Mlp:
        self.emit(self.tensors[output].rows)
        if not self.layers:
            self.layers.append(Dense(tuple(tuple(Fraction(int(i == j)) for j in range(self.width))
                                           for i in range(self.width)), (ZERO,) * self.width))
        return Mlp(self.input_dim, tuple(self.layers))


def padded(unit: list[SparseRow], rank: int) -> list[SparseRow]:
    """The unit's pieces, its first repeated up to ``rank`` (the max is unchanged)."""
    return unit + [unit[0]] * (rank - len(unit))


# --- linear operators -----------------------------------------------------------------------

def fractions(array: np.ndarray, where: str) -> np.ndarray:
    """An object array of exact values of the same shape: integers as themselves, floats as their binary value."""
    flat = [exact(v, where) for v in np.asarray(array).reshape(-1).tolist()]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(np.shape(array))


def exact(value: object, where: str) -> Fraction:
    """An entry's exact value: an integer as itself, a float as its binary value (float16 and float32 entries are
    floats exactly); infinities, NaN and anything else are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if not isinstance(value, float) or not math.isfinite(value):
        raise InputError(f"{where}: a weight is {value!r}; polyreg needs finite numbers")
    return Fraction(value)


def matmul(t: Tensor, weight: np.ndarray, bias: Optional[np.ndarray], where: str) -> Tensor:
    """``t @ weight (+ bias)`` along the last axis of ``t`` (``weight`` k x m, exact entries)."""
    k, m = weight.shape
    if not t.shape or t.shape[-1] != k:
        raise InputError(f"{where}: the running tensor has shape {list(t.shape)}; expected its last axis to have {k}"
                         " entries")
    columns = [list(weight[:, j]) for j in range(m)]
    b = [ZERO] * m if bias is None else list(bias)
    rows = []
    for start in range(0, len(t.rows), k):
        block = t.rows[start:start + k]
        rows += [combine(zip(columns[j], block), b[j]) for j in range(m)]
    return Tensor(t.shape[:-1] + (m,), rows)


def broadcast(value: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    """A constant broadcast to ``shape`` (the tensor's); a constant that would widen the tensor is refused."""
    try:
        if np.broadcast_shapes(np.shape(value), shape) != shape:
            raise ValueError
        return np.broadcast_to(value, shape).reshape(-1)
    except ValueError:
        raise InputError(f"{where}: a constant of shape {list(np.shape(value))} does not act entry by entry on the "
                         f"running tensor of shape {list(shape)}") from None


def scale_shift(t: Tensor, scale: np.ndarray, shift: np.ndarray) -> Tensor:
    """``scale * t + shift`` entry by entry (flat exact arrays of t's size)."""
    return Tensor(t.shape, [combine([(a, row)], b) for row, a, b in zip(t.rows, scale, shift)])


def add(t: Tensor, u: Tensor, sign: int, where: str) -> Tensor:
    """``t + sign * u`` for two tensors (the join of two branches), broadcast as numpy does."""
    try:
        shape = np.broadcast_shapes(t.shape, u.shape)
    except ValueError:
        raise InputError(f"{where}: the two branches have shapes {list(t.shape)} and {list(u.shape)}, which do not "
                         "broadcast") from None
    left, right = (np.broadcast_to(v.indices(), shape).reshape(-1) for v in (t, u))
    return Tensor(tuple(shape), [combine([(ONE, t.rows[i]), (Fraction(sign), u.rows[j])]) for i, j in zip(left, right)])


def reshaped(t: Tensor, shape: tuple[int, ...], where: str) -> Tensor:
    if math.prod(shape) != len(t.rows):
        raise InputError(f"{where}: cannot reshape {list(t.shape)} to {list(shape)}")
    return Tensor(shape, t.rows)


def transposed(t: Tensor, perm: Sequence[int]) -> Tensor:
    order = t.indices().transpose(perm)
    return Tensor(order.shape, [t.rows[i] for i in order.reshape(-1)])


@dataclass(frozen=True)
class Windows:
    """Sliding windows over the spatial axes: kernel, strides, dilations, and padding at the start and the end."""
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    begin: tuple[int, ...]
    end: tuple[int, ...]
    ceil: bool = False

    def output_shape(self, spatial: tuple[int, ...]) -> tuple[int, ...]:
        out = []
        for n, k, s, d, b, e in zip(spatial, self.kernel, self.strides, self.dilations, self.begin, self.end):
            span = n + b + e - d * (k - 1) - 1
            size = (-(-span // s) if self.ceil else span // s) + 1
            if self.ceil and (size - 1) * s >= n + b:     # a last window starting in the end padding is dropped
                size -= 1
            out.append(size)
        if min(out, default=1) < 1:
            raise ValueError(f"the window is larger than the padded input {list(spatial)}")
        return tuple(out)

    def positions(self, spatial: tuple[int, ...]) -> list[tuple[tuple[int, ...], list[Optional[tuple[int, ...]]]]]:
        """For each output position (C order), the input position under each kernel offset (None: padding or past
        the end)."""
        result = []
        for o in product(*(range(n) for n in self.output_shape(spatial))):
            cells: list[Optional[tuple[int, ...]]] = []
            for kk in product(*(range(k) for k in self.kernel)):
                p = tuple(oi * s - b + ki * d for oi, s, b, ki, d in zip(o, self.strides, self.begin, kk,
                                                                          self.dilations))
                cells.append(p if all(0 <= pi < n for pi, n in zip(p, spatial)) else None)
            result.append((o, cells))
        return result


def conv(t: Tensor, weight: np.ndarray, bias: Optional[np.ndarray], windows: Windows, groups: int,
         where: str) -> Tensor:
    """ONNX / PyTorch convolution (cross-correlation) of ``t`` (shape ``[1, C, *spatial]``) with ``weight``
    (``[M, C / groups, *kernel]``)."""
    channels, spatial = t.shape[1], t.shape[2:]
    m, per_group = weight.shape[0], weight.shape[1]
    if per_group * groups != channels or m % groups:
        raise InputError(f"{where}: weight {list(weight.shape)} with {groups} group(s) does not fit {channels} input "
                         "channels")
    index = t.indices()[0]
    try:
        positions = windows.positions(spatial)
    except ValueError as err:
        raise InputError(f"{where}: {err}") from None
    b = [ZERO] * m if bias is None else list(bias)
    rows: list[SparseRow] = []
    for out_channel in range(m):
        g = out_channel // (m // groups)
        kernel = weight[out_channel].reshape(per_group, -1)
        for _, cells in positions:
            terms = [(kernel[c, k], t.rows[index[(g * per_group + c,) + p]])
                     for c in range(per_group) for k, p in enumerate(cells) if p is not None]
            rows.append(combine(terms, b[out_channel]))
    return Tensor((1, m) + windows.output_shape(spatial), rows)


def average_pool(t: Tensor, windows: Windows, include_padding: bool, where: str) -> Tensor:
    """The mean over each window of each channel (padding counted as zeros if ``include_padding``)."""
    index, spatial = t.indices(), t.shape[2:]
    try:
        positions = windows.positions(spatial)
    except ValueError as err:
        raise InputError(f"{where}: {err}") from None
    extent = tuple(n + b + e for n, b, e in zip(spatial, windows.begin, windows.end))
    rows = []
    for c in range(t.shape[1]):
        for o, cells in positions:
            valid = [p for p in cells if p is not None]
            count = len(valid)
            if include_padding:   # the window clipped to the padded input, in padded coordinates
                count = math.prod((min(oi * s + (k - 1) * d, n - 1) - oi * s) // d + 1 for oi, s, k, d, n in
                                  zip(o, windows.strides, windows.kernel, windows.dilations, extent))
            if not valid:
                raise InputError(f"{where}: a window at {list(o)} covers only padding")
            rows.append(combine((Fraction(1, count), t.rows[index[(0, c) + p]]) for p in valid))
    return Tensor((1, t.shape[1]) + windows.output_shape(spatial), rows)


def global_average_pool(t: Tensor) -> Tensor:
    """The mean of each channel over all spatial positions: shape ``[1, C, 1, ..., 1]``."""
    channels, size = t.shape[1], math.prod(t.shape[2:])
    rows = [combine((Fraction(1, size), row) for row in t.rows[c * size:(c + 1) * size]) for c in range(channels)]
    return Tensor((1, channels) + (1,) * (len(t.shape) - 2), rows)


def square_root(q: Fraction) -> Optional[Fraction]:
    """The rational square root of ``q >= 0``, or None if it is irrational."""
    a, b = math.isqrt(q.numerator), math.isqrt(q.denominator)
    return Fraction(a, b) if a * a == q.numerator and b * b == q.denominator else None


@dataclass(frozen=True)
class Normalization:
    """Batch normalization's per-channel parameters (exact): ``scale (x - mean) / sqrt(var + eps) + bias``."""
    scale: np.ndarray
    bias: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: Fraction


def batch_norm(t: Tensor, n: Normalization, strict: bool, where: str) -> Tensor:
    """Batch normalization in inference along axis 1 of ``t``. The factor ``1 / sqrt(var + eps)`` is exact where
    ``var + eps`` is a rational square; elsewhere it is irrational: ``strict`` refuses, otherwise it is computed in
    float64, taken exactly, and an ``InexactWarning`` names the node."""
    channels = len(n.var)
    if len(t.shape) < 2 or t.shape[1] != channels:
        raise InputError(f"{where}: {channels} channels, but the running tensor has shape {list(t.shape)}")
    factors, inexact = [], 0
    for c, v in enumerate(n.var):
        if v + n.eps <= 0:
            raise InputError(f"{where}: channel {c}: var + eps is {v + n.eps}, not positive")
        root = square_root(v + n.eps)
        if root is None and strict:
            raise InputError(f"{where}: channel {c}: sqrt(var + eps) = sqrt({float(v + n.eps)!r}) is irrational, and "
                             "strict mode computes no square roots in float")
        if root is None:
            root, inexact = Fraction(math.sqrt(float(v + n.eps))), inexact + 1
        factors.append(n.scale[c] / root)
    if inexact:
        warnings.warn(InexactWarning(
            f"{where}: 1/sqrt(var + eps) is irrational for {inexact} of {channels} channels; polyreg took sqrt in "
            "float64 exactly as computed (use --strict to refuse)"), stacklevel=3)
    per_channel = (1, channels) + (1,) * (len(t.shape) - 2)
    f = np.array(factors, dtype=object)
    return scale_shift(t, broadcast(f.reshape(per_channel), t.shape, where),
                       broadcast((n.bias - f * n.mean).reshape(per_channel), t.shape, where))


# --- piecewise-linear operators -------------------------------------------------------------

def relu(t: Tensor) -> Piecewise:
    return Piecewise(t.shape, [[row, {}] for row in t.rows], [unit_row(j) for j in range(len(t.rows))])


def slopes(t: Tensor, a: Sequence[Fraction]) -> Piecewise:
    """``x if x >= 0 else a x`` entry by entry (LeakyReLU, PReLU): ``max(x, a x)`` for ``a <= 1``, else
    ``-max(-x, -a x)``."""
    units, outputs = [], []
    for j, (row, slope) in enumerate(zip(t.rows, a)):
        sign = ONE if slope <= 1 else -ONE
        units.append([combine([(sign, row)]), combine([(sign * slope, row)])])
        outputs.append({j: sign})
    return Piecewise(t.shape, units, outputs)


def clip(t: Tensor, low: Optional[Fraction], high: Optional[Fraction]) -> Piecewise:
    """``min(max(x, low), high)`` as ``low + relu(x - low) - relu(x - high)``; ``max(x, low)`` as
    ``low + relu(x - low)``; ``min(x, high)`` as ``high - relu(high - x)``; with ``low >= high``, ``high``."""
    units: list[list[SparseRow]] = []
    outputs: list[SparseRow] = []
    for row in t.rows:
        if low is not None and high is not None and low >= high:
            outputs.append({CONST: high} if high else {})
            continue
        if low is None:         # min(x, high) = high - relu(high - x)
            assert high is not None, "a clip with no bounds is the identity"
            units.append([combine([(-ONE, row)], high), {}])
            out = {len(units) - 1: -ONE, CONST: high}
        else:
            units.append([combine([(ONE, row)], -low), {}])
            out = {len(units) - 1: ONE, CONST: low}
            if high is not None:
                units.append([combine([(ONE, row)], -high), {}])
                out[len(units) - 1] = -ONE
        outputs.append({j: v for j, v in out.items() if v})
    return Piecewise(t.shape, units, outputs)


def max_pool(t: Tensor, windows: Windows, where: str) -> Piecewise:
    """The max over each window of each channel (padding never wins)."""
    index, spatial = t.indices(), t.shape[2:]
    try:
        positions = windows.positions(spatial)
    except ValueError as err:
        raise InputError(f"{where}: {err}") from None
    units = []
    for c in range(t.shape[1]):
        for o, cells in positions:
            pieces = [t.rows[index[(0, c) + p]] for p in cells if p is not None]
            if not pieces:
                raise InputError(f"{where}: a window at {list(o)} covers only padding")
            units.append(pieces)
    shape = (1, t.shape[1]) + windows.output_shape(spatial)
    return Piecewise(shape, units, [unit_row(j) for j in range(len(units))])
