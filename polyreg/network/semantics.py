"""The meaning of a network, computed directly in exact arithmetic.

This module is the reference every enumeration is tested against. The *activation pattern*
of a point records, per nonlinear layer, each unit's choice: a ReLU unit is 1 (active) when
its pre-activation is > 0 and 0 otherwise; a maxout unit chooses the smallest index among its
maximal pieces. A transformer has one tuple per attention sublayer (for each head, then each
query token: the smallest index among the keys of maximal score) and one per feed-forward
sublayer (for each token, then each hidden unit: 1 when its pre-activation is > 0).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Iterator, Sequence

from ..errors import InputError
from ..exact.affine import Affine
from ..exact.rationals import Vec, dot, to_q_vector
from .ir import Attention, Dense, FeedForward, Maxout, Mlp, Network, Relu, Transformer

Pattern = tuple[Sequence[int], ...]     # each stage's choices: a tuple, or bytes for a layer split at medians


def evaluate(net: Network, x: object) -> Vec:
    """``net(x)`` in exact rational arithmetic (hard-max attention, ties averaged). The coordinates of ``x`` are
    read by ``to_q``: a float is its exact binary value (a list, a tuple or a numpy array)."""
    return forward(net, x)[0]


def choices_at(net: Network, x: object) -> Pattern:
    """The activation pattern of ``x`` (one tuple of choices per nonlinear stage)."""
    return forward(net, x)[1]


def forward(net: Network, x: object) -> tuple[Vec, Pattern]:
    point = to_q_vector(x, where="point")
    if len(point) != net.input_dim:
        raise InputError(f"point has {len(point)} coordinates; the network expects {net.input_dim}")
    return FORWARD[type(net)](net, point)


def forward_mlp(net: Mlp, x: Vec) -> tuple[Vec, Pattern]:
    values, pattern = x, []
    for layer in net.layers:
        values, choices = LAYER_FORWARD[type(layer)](layer, values)
        if choices is not None:
            pattern.append(choices)
    return values, tuple(pattern)


def dense_forward(layer: Dense, values: Vec) -> tuple[Vec, None]:
    return tuple(c + dot(row, values) for row, c in zip(layer.weight, layer.bias)), None


def relu_forward(layer: Relu, values: Vec) -> tuple[Vec, tuple[int, ...]]:
    """Each unit is active (1) iff its input is > 0."""
    return tuple(max(v, Fraction(0)) for v in values), tuple(int(v > 0) for v in values)


def maxout_forward(layer: Maxout, values: Vec) -> tuple[Vec, tuple[int, ...]]:
    """Each unit chooses the smallest index among its maximal pieces."""
    k = layer.rank
    groups = [values[i:i + k] for i in range(0, len(values), k)]
    winners = tuple(g.index(max(g)) for g in groups)
    return tuple(g[w] for g, w in zip(groups, winners)), winners


LAYER_FORWARD: dict[type, Callable] = {Dense: dense_forward, Relu: relu_forward, Maxout: maxout_forward}


def affine_on_path(net: Mlp, pattern: Pattern) -> Affine:
    """The affine map the network computes wherever its activation pattern is ``pattern``."""
    d = net.input_dim
    A = tuple(tuple(Fraction(int(i == j)) for j in range(d)) for i in range(d))
    current = Affine(A, tuple(Fraction(0) for _ in range(d)))
    choices = iter(pattern)
    for layer in net.layers:
        current = LAYER_ON_PATH[type(layer)](layer, current, choices)
    return current


def dense_on_path(layer: Dense, current: Affine, choices: Iterator) -> Affine:
    return current.then(Affine(layer.weight, layer.bias))


def relu_on_path(layer: Relu, current: Affine, choices: Iterator) -> Affine:
    on = next(choices)
    zero = tuple(Fraction(0) for _ in range(current.in_dim))
    return Affine(tuple(row if s else zero for row, s in zip(current.A, on)),
                  tuple(c if s else Fraction(0) for c, s in zip(current.b, on)))


def maxout_on_path(layer: Maxout, current: Affine, choices: Iterator) -> Affine:
    picks = [i * layer.rank + w for i, w in enumerate(next(choices))]
    return Affine(tuple(current.A[p] for p in picks), tuple(current.b[p] for p in picks))


LAYER_ON_PATH: dict[type, Callable] = {Dense: dense_on_path, Relu: relu_on_path, Maxout: maxout_on_path}


def row_times(v: Sequence[Fraction], M: Sequence[Sequence[Fraction]]) -> list[Fraction]:
    """The row vector ``v M`` (zero entries of ``v`` and ``M`` skipped: one-hot inputs and sparse weights are
    common)."""
    out = [Fraction(0)] * len(M[0])
    for vi, row in zip(v, M):
        if vi:
            for j, m in enumerate(row):
                if m:
                    out[j] += vi * m
    return out


def forward_transformer(t: Transformer, x: Vec) -> tuple[Vec, Pattern]:
    X = [[a + p for a, p in zip(row_times(x, E), pos)] for E, pos in zip(t.embed, t.positions)]
    pattern: list[tuple[int, ...]] = []
    for block in t.blocks:
        if block.attention is not None:
            X, choices = attend(block.attention, X)
            pattern.append(choices)
        if block.feed_forward is not None:
            X, choices = feed_forward(block.feed_forward, X)
            pattern.append(choices)
    out = list(t.readout_bias)
    for row, R in zip(X, t.readout):
        if R is not None:
            out = [o + v for o, v in zip(out, row_times(row, R))]
    return tuple(out), tuple(pattern)


def attend(attention: Attention, X: list[list[Fraction]]) -> tuple[list[list[Fraction]], tuple[int, ...]]:
    """One hard-max attention sublayer: each query averages the values of its top-scoring keys."""
    N = len(X)
    Z = [row[:] if attention.residual else [Fraction(0)] * len(row) for row in X]
    choices = []
    for head in attention.heads:
        queries = [row_times(row, head.query) for row in X]
        keys = [row_times(row, head.key) for row in X]
        values = [row_times(row, head.value) for row in X]
        for i in range(N):
            allowed = [j for j in range(N) if head.mask is None or head.mask[i][j]]
            scores = {j: dot(queries[i], keys[j]) + (head.score_bias[i][j] if head.score_bias else 0)
                      for j in allowed}
            top = max(scores.values())
            winners = [j for j in allowed if scores[j] == top]
            choices.append(winners[0])
            average = [sum((values[j][c] for j in winners), Fraction(0)) / len(winners)
                       for c in range(len(values[0]))]
            Z[i] = [z + o for z, o in zip(Z[i], row_times(average, head.output))]
    return Z, tuple(choices)


def feed_forward(ff: FeedForward, X: list[list[Fraction]]) -> tuple[list[list[Fraction]], tuple[int, ...]]:
    """The token-wise ReLU feed-forward sublayer."""
    out: list[list[Fraction]] = []
    choices: list[int] = []
    for row in X:
        hidden = [h + b for h, b in zip(row_times(row, ff.w1), ff.b1)]
        choices.extend(int(h > 0) for h in hidden)
        update = row_times([max(h, Fraction(0)) for h in hidden], ff.w2)
        base = row if ff.residual else [Fraction(0)] * len(row)
        out.append([z + u + b for z, u, b in zip(base, update, ff.b2)])
    return out, tuple(choices)


def evaluate_softmax(t: Transformer, x: Sequence[float], scale: float) -> list[float]:
    """NUMERIC, NOT CERTIFIED: the transformer in floating point with ``softmax(scale * score)``
    attention instead of hard-max. For experiments on how large ``scale`` must be."""
    X = [[sum(xi * E[i][c] for i, xi in enumerate(x)) + float(p) for c, p in enumerate(pos)]
         for E, pos in zip(t.embed, t.positions)]
    for block in t.blocks:
        if block.attention is not None:
            att = block.attention
            Z = [row[:] if att.residual else [0.0] * len(row) for row in X]
            for head in att.heads:
                q = [float_times(row, head.query) for row in X]
                k = [float_times(row, head.key) for row in X]
                v = [float_times(row, head.value) for row in X]
                for i in range(len(X)):
                    allowed = [j for j in range(len(X)) if head.mask is None or head.mask[i][j]]
                    s = {j: scale * (sum(a * b for a, b in zip(q[i], k[j]))
                                     + (float(head.score_bias[i][j]) if head.score_bias else 0.0))
                         for j in allowed}
                    top = max(s.values())
                    w = {j: math.exp(s[j] - top) for j in allowed}
                    total = sum(w.values())
                    avg = [sum(w[j] * v[j][c] for j in allowed) / total for c in range(len(v[0]))]
                    Z[i] = [z + o for z, o in zip(Z[i], float_times(avg, head.output))]
            X = Z
        if block.feed_forward is not None:
            ff = block.feed_forward
            new = []
            for row in X:
                hidden = [max(h + float(b), 0.0) for h, b in zip(float_times(row, ff.w1), ff.b1)]
                base = row if ff.residual else [0.0] * len(row)
                new.append([z + u + float(b) for z, u, b in zip(base, float_times(hidden, ff.w2), ff.b2)])
            X = new
    out = [float(c) for c in t.readout_bias]
    for row, R in zip(X, t.readout):
        if R is not None:
            out = [o + v for o, v in zip(out, float_times(row, R))]
    return out


def float_times(v: Sequence[float], M: Sequence[Sequence[Fraction]]) -> list[float]:
    return [sum(vi * float(row[j]) for vi, row in zip(v, M)) for j in range(len(M[0]))]


FORWARD: dict[type, Callable] = {Mlp: forward_mlp, Transformer: forward_transformer}
