"""Networks rewritten into other networks, exactly: inputs fixed (``specialize``), inputs on an affine slice
(``on_slice``), outputs selected (``project``)."""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

from ..errors import InputError
from ..exact.rationals import Vec, to_q
from .ir import Dense, Mlp, Network, Transformer


def specialize(net: Network, fixed: Mapping[int, object], free: Sequence[int]) -> Network:
    """``x -> net(z)`` with ``z_i = fixed[i]`` and ``z_{free[k]} = x_k``, exactly: for an MLP folded into the first
    linear layer (or an affine layer put first), for a transformer into the positions (``E`` keeps the free rows).
    The fixed values are read by ``to_q`` (a float is its exact binary value)."""
    if not free:
        raise InputError("specialize: there are no free coordinates; evaluate the network at the point instead")
    fixed = {i: to_q(v, where=f"specialize: fixed[{i}]") for i, v in fixed.items()}
    nonzero = [(i, v) for i, v in fixed.items() if v]      # one-hot symbols: most fixed values are 0
    return SPECIALIZE[type(net)](net, fixed, nonzero, free)


def specialize_transformer(net: Transformer, fixed: Mapping[int, Fraction], nonzero: list[tuple[int, Fraction]],
                           free: Sequence[int]) -> Transformer:
    """The fixed inputs folded into the positions; ``E`` keeps the free rows."""
    positions = tuple(tuple(p + sum((v * E[i][c] for i, v in nonzero if E[i][c]), Fraction(0))
                            for c, p in enumerate(row)) for E, row in zip(net.embed, net.positions))
    return replace(net, input_dim=len(free), embed=tuple(tuple(E[i] for i in free) for E in net.embed),
                   positions=positions)


def specialize_mlp(net: Mlp, fixed: Mapping[int, Fraction], nonzero: list[tuple[int, Fraction]],
                   free: Sequence[int]) -> Mlp:
    """The fixed inputs folded into the first linear layer, or an affine layer put first."""
    first = net.layers[0] if net.layers else None
    if isinstance(first, Dense):
        weight = tuple(tuple(row[i] for i in free) for row in first.weight)
        bias = tuple(c + sum((row[i] * v for i, v in nonzero if row[i]), Fraction(0))
                     for row, c in zip(first.weight, first.bias))
        return Mlp(len(free), (Dense(weight, bias),) + net.layers[1:])
    return Mlp(len(free), (input_layer(net.input_dim, fixed, free),) + net.layers)


def input_layer(n: int, fixed: Mapping[int, Fraction], free: Sequence[int]) -> Dense:
    """The affine map ``x -> z`` with ``z_i = fixed[i]`` and ``z_{free[k]} = x_k``."""
    column = {i: k for k, i in enumerate(free)}
    weight = tuple(tuple(Fraction(int(column.get(i) == k)) for k in range(len(free))) for i in range(n))
    return Dense(weight, tuple(Fraction(fixed.get(i, 0)) for i in range(n)))


def on_slice(net: Network, origin: Vec, directions: Sequence[Vec]) -> Network:
    """``t -> net(origin + sum_j t_j directions[j])``, exactly: for an MLP folded into the first linear layer (or an
    affine layer put first), for a transformer into the embeddings and positions."""
    if len(origin) != net.input_dim or any(len(v) != net.input_dim for v in directions):
        raise InputError(f"the slice lies in Q^{len(origin)} (directions of lengths "
                         f"{sorted({len(v) for v in directions})}), but the network has {net.input_dim} inputs")
    return ON_SLICE[type(net)](net, origin, directions)


def slice_mlp(net: Mlp, origin: Vec, directions: Sequence[Vec]) -> Mlp:
    first, n = net.layers[0] if net.layers else None, net.input_dim
    if isinstance(first, Dense):
        weight = tuple(tuple(sum((w * v[i] for i, w in enumerate(row) if w and v[i]), Fraction(0))
                             for v in directions) for row in first.weight)
        bias = tuple(c + sum((w * origin[i] for i, w in enumerate(row) if w and origin[i]), Fraction(0))
                     for row, c in zip(first.weight, first.bias))
        return Mlp(len(directions), (Dense(weight, bias),) + net.layers[1:])
    plane = Dense(tuple(tuple(v[i] for v in directions) for i in range(n)), tuple(origin))
    return Mlp(len(directions), (plane,) + net.layers)


def slice_transformer(net: Transformer, origin: Vec, directions: Sequence[Vec]) -> Transformer:
    """Token ``t`` starts as ``(origin + V' s) E_t + p_t = s (V E_t) + (origin E_t + p_t)``."""
    def through(vector: Vec, E: tuple) -> Vec:
        return tuple(sum((x * E[i][c] for i, x in enumerate(vector) if x and E[i][c]), Fraction(0))
                     for c in range(net.width))
    embed = tuple(tuple(through(v, E) for v in directions) for E in net.embed)
    positions = tuple(tuple(p + q for p, q in zip(row, through(origin, E))) for E, row in zip(net.embed, net.positions))
    return replace(net, input_dim=len(directions), embed=embed, positions=positions)


def project(net: Network, outputs: Sequence[int]) -> Network:
    """The network with only outputs ``outputs``, in that order (its stages unchanged)."""
    return PROJECT[type(net)](net, outputs)


def project_transformer(net: Transformer, outputs: Sequence[int]) -> Transformer:
    readout = tuple(None if R is None else tuple(tuple(row[o] for o in outputs) for row in R)
                        for R in net.readout)
    return replace(net, readout=readout, readout_bias=tuple(net.readout_bias[o] for o in outputs))


def project_mlp(net: Mlp, outputs: Sequence[int]) -> Mlp:
    last = net.layers[-1] if net.layers else None
    if isinstance(last, Dense):
        return Mlp(net.input_dim, net.layers[:-1] + (Dense(tuple(last.weight[o] for o in outputs),
                                                           tuple(last.bias[o] for o in outputs)),))
    select = tuple(tuple(Fraction(int(c == o)) for c in range(net.output_dim)) for o in outputs)
    return Mlp(net.input_dim, net.layers + (Dense(select, (Fraction(0),) * len(outputs)),))


SPECIALIZE: dict[type, Callable] = {Mlp: specialize_mlp, Transformer: specialize_transformer}
PROJECT: dict[type, Callable] = {Mlp: project_mlp, Transformer: project_transformer}
ON_SLICE: dict[type, Callable[[Any, Vec, Sequence[Vec]], Network]] = {Mlp: slice_mlp, Transformer: slice_transformer}
