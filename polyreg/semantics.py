"""The meaning of a network, computed directly in exact arithmetic.

This module is the reference every enumeration is tested against. The *activation pattern*
of a point records, per nonlinear layer, each unit's choice: a ReLU unit is 1 (active) when
its pre-activation is > 0 and 0 otherwise; a maxout unit chooses the smallest index among its
maximal pieces.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from .affine import Affine
from .errors import InputError
from .exact import Vec, dot
from .ir import Dense, Maxout, Mlp, Relu

Pattern = tuple[tuple[int, ...], ...]


def evaluate(net: Mlp, x: Sequence[Fraction | int]) -> Vec:
    """``net(x)`` in exact rational arithmetic."""
    return forward(net, x)[0]


def choices_at(net: Mlp, x: Sequence[Fraction | int]) -> Pattern:
    """The activation pattern of ``x`` (one tuple of choices per nonlinear layer)."""
    return forward(net, x)[1]


def forward(net: Mlp, x: Sequence[Fraction | int]) -> tuple[Vec, Pattern]:
    if len(x) != net.input_dim:
        raise InputError(f"point has {len(x)} coordinates; the network expects {net.input_dim}")
    values = tuple(Fraction(v) for v in x)
    pattern = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            values = tuple(c + dot(row, values) for row, c in zip(layer.weight, layer.bias))
        elif isinstance(layer, Relu):
            pattern.append(tuple(int(v > 0) for v in values))
            values = tuple(max(v, Fraction(0)) for v in values)
        elif isinstance(layer, Maxout):
            k = layer.rank
            groups = [values[i:i + k] for i in range(0, len(values), k)]
            winners = tuple(g.index(max(g)) for g in groups)
            pattern.append(winners)
            values = tuple(g[w] for g, w in zip(groups, winners))
    return values, tuple(pattern)


def affine_on_path(net: Mlp, pattern: Pattern) -> Affine:
    """The affine map the network computes wherever its activation pattern is ``pattern``."""
    d = net.input_dim
    A = tuple(tuple(Fraction(int(i == j)) for j in range(d)) for i in range(d))
    current = Affine(A, tuple(Fraction(0) for _ in range(d)))
    choices = iter(pattern)
    for layer in net.layers:
        if isinstance(layer, Dense):
            current = current.then(Affine(layer.weight, layer.bias))
        elif isinstance(layer, Relu):
            on = next(choices)
            zero = tuple(Fraction(0) for _ in range(d))
            current = Affine(tuple(row if s else zero for row, s in zip(current.A, on)),
                             tuple(c if s else Fraction(0) for c, s in zip(current.b, on)))
        elif isinstance(layer, Maxout):
            picks = [i * layer.rank + w for i, w in enumerate(next(choices))]
            current = Affine(tuple(current.A[p] for p in picks), tuple(current.b[p] for p in picks))
    return current
