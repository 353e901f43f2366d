"""The zigzag construction of Thm P5 (construction.md §5.2): maxout networks computing
``F(x) = sum_c Z_P^L(x_c)`` on ``[0, 1]^d`` with ``h`` signed maxes of ``k`` pieces per coordinate and layer.

``Z_P`` is the zigzag with ``P`` pieces on the grid ``r/P``, slopes ``+P, -P, +P, ...`` and ``Z_P(0) = 0``:

    Z_P(y) = P y + sum_{r=1}^{P-1} (-1)^r 2P ReLU(y - r/P).

Its kinks at even ``r`` are convex and at odd ``r`` concave. A max of ``k`` affine pieces is convex with at most
``k - 1`` kinks, so ``Z_P = sum_g s_g max_j (a_gj y + b_gj)`` needs the convex kinks in the ``+`` maxes and the
concave ones in the ``-`` maxes, at most ``k - 1`` per max. The largest ``P`` that ``h`` maxes allow is
``P(h, k)`` below (Gu, Yang, Zhou, arXiv 2603.03084, as reconstructed in the design notes).
"""
from __future__ import annotations

from fractions import Fraction
from math import comb
from pathlib import Path
from typing import Sequence

from polyreg.formats.json_files import save_network
from polyreg.network.ir import Dense, Layer, Maxout, Mlp

Piece = tuple[Fraction, Fraction]          # y -> slope * y + intercept
SignedMax = tuple[int, tuple[Piece, ...]]  # s * max_j (slope_j y + intercept_j)


def pieces_formula(h: int, k: int) -> int:
    """``P(h, k)`` of construction.md §5.2: ``h(k-1) + 1`` if ``h`` is even or ``k = 2``, else ``(h-1)(k-1) + 2``."""
    return h * (k - 1) + 1 if h % 2 == 0 or k == 2 else (h - 1) * (k - 1) + 2


def kinks(P: int) -> tuple[list[int], list[int]]:
    """The convex kinks ``r`` (even) and the concave kinks ``r`` (odd) of ``Z_P`` at ``r/P``, ``0 < r < P``."""
    return [r for r in range(2, P, 2)], [r for r in range(1, P, 2)]


def splits_into(P: int, h: int, k: int) -> bool:
    """Whether ``Z_P`` is a signed sum of ``h`` maxes of at most ``k`` pieces: some ``h+ + h- = h`` holds the
    convex kinks in ``h+ (k-1)`` places and the concave ones in ``h- (k-1)``."""
    convex, concave = (len(c) for c in kinks(P))
    return any(convex <= plus * (k - 1) and concave <= (h - plus) * (k - 1) for plus in range(h + 1))


def largest_pieces(h: int, k: int) -> int:
    """The largest ``P`` for which ``Z_P`` is a signed sum of ``h`` maxes of at most ``k`` pieces (by search)."""
    P = 1
    while splits_into(P + 1, h, k):
        P += 1
    return P


def zigzag_value(P: int, y: Fraction) -> Fraction:
    """``Z_P(y)`` by the closed form ``P y + sum_r (-1)^r 2P ReLU(y - r/P)``."""
    return P * y + sum((Fraction((-1) ** r * 2 * P) * max(y - Fraction(r, P), Fraction(0)) for r in range(1, P)),
                       Fraction(0))


def chunks(items: Sequence[int], size: int, count: int) -> list[list[int]]:
    """``items`` cut into ``count`` runs of consecutive entries, each of length at most ``size`` (some empty)."""
    runs = [list(items[i:i + size]) for i in range(0, len(items), size)]
    if len(runs) > count:
        raise ValueError(f"{len(items)} kinks do not fit into {count} maxes of {size} kinks each")
    return runs + [[] for _ in range(count - len(runs))]


def ramp_max(P: int, run: Sequence[int], k: int) -> tuple[Piece, ...]:
    """``sum_{r in run} 2P ReLU(y - r/P)`` (``run`` increasing) as ``max_j`` of ``k`` pieces: the partial sums
    ``sum_{i <= j} 2P (y - r_i/P)``, ``j = 0..len(run)``, the last one repeated up to ``k`` pieces."""
    pieces, slope, intercept = [(Fraction(0), Fraction(0))], Fraction(0), Fraction(0)
    for r in run:
        slope, intercept = slope + 2 * P, intercept - 2 * r
        pieces.append((slope, intercept))
    return tuple(pieces + [pieces[-1]] * (k - len(pieces)))


def signed_maxes(P: int, h: int, k: int) -> list[SignedMax]:
    """``Z_P`` as ``sum_g s_g max_j (a_gj y + b_gj)``: ``h // 2`` maxes with ``s = +1`` for the convex kinks, the
    other ``h - h // 2`` with ``s = -1`` for the concave kinks, each exactly ``k`` pieces; the linear term
    ``P y`` is added to every piece of the first max (``s_1 P y`` with its sign)."""
    convex, concave = kinks(P)
    plus = h // 2
    maxes = [(1, ramp_max(P, run, k)) for run in chunks(convex, k - 1, plus)]
    maxes += [(-1, ramp_max(P, run, k)) for run in chunks(concave, k - 1, h - plus)]
    sign, first = maxes[0]
    maxes[0] = (sign, tuple((a + sign * P, b) for a, b in first))
    return maxes


def signed_maxes_value(maxes: Sequence[SignedMax], y: Fraction) -> Fraction:
    """``sum_g s_g max_j (a_gj y + b_gj)``."""
    return sum((s * max(a * y + b for a, b in pieces) for s, pieces in maxes), Fraction(0))


def decomposition_mismatches(P: int, h: int, k: int) -> list[Fraction]:
    """The points ``r/P`` and ``(2r+1)/(2P)`` of ``[0, 1]`` where the signed maxes differ from the closed form
    (empty: they agree; both are piecewise linear with kinks only at ``r/P``, so they agree on ``[0, 1]``)."""
    maxes = signed_maxes(P, h, k)
    assert len(maxes) == h and all(len(pieces) == k for _, pieces in maxes)
    points = [Fraction(r, P) for r in range(P + 1)] + [Fraction(2 * r + 1, 2 * P) for r in range(P)]
    return [y for y in points if signed_maxes_value(maxes, y) != zigzag_value(P, y)]


def zigzag_network(h: int, k: int, L: int, d: int) -> Mlp:
    """The maxout network of ``F(x) = sum_{c=1}^d Z_P^L(x_c)``, ``P = P(h, k)``: per layer a linear layer to the
    ``d h k`` pieces (coordinate-major, then max, then piece), a rank-``k`` maxout layer, and the signed sum
    ``y_c = sum_g s_g m_cg``; finally ``F = sum_c y_c``."""
    maxes = signed_maxes(pieces_formula(h, k), h, k)
    zero = Fraction(0)
    pieces = [piece for _, ps in maxes for piece in ps]
    pre = Dense(tuple(tuple(a if i == c else zero for i in range(d)) for c in range(d) for a, _ in pieces),
                tuple(b for _ in range(d) for _, b in pieces))
    signs = [Fraction(s) for s, _ in maxes]
    signed_sum = Dense(tuple(tuple(signs[i % h] if i // h == c else zero for i in range(d * h)) for c in range(d)),
                       (zero,) * d)
    layers: list[Layer] = []
    for _ in range(L):
        layers += [pre, Maxout(k), signed_sum]
    layers.append(Dense(((Fraction(1),) * d,), (zero,)))
    return Mlp(d, tuple(layers))


def zigzag_function(h: int, k: int, L: int, x: Sequence[Fraction]) -> Fraction:
    """``F(x) = sum_c Z_P^L(x_c)`` by the closed form."""
    P, total = pieces_formula(h, k), Fraction(0)
    for y in x:
        for _ in range(L):
            y = zigzag_value(P, y)
        total += y
    return total


def write_zigzag_network(h: int, k: int, L: int, d: int, path: str | Path) -> Path:
    """Write ``zigzag_network(h, k, L, d)`` as a ``polyreg.network/1`` file; return its path."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_network(zigzag_network(h, k, L, d), path)
    return Path(path)


def serra_bound(h: int, k: int, L: int, d: int) -> int:
    """Serra, Tjandraatmadja, Ramalingam 2018, maxout bound for ``L`` layers of ``n_l = d h`` rank-``k`` units:
    ``prod_l sum_{j <= d_l} C(k(k-1)/2 n_l, j)``, ``d_l = min(d, n_1, ..., n_l)``."""
    n = d * h
    return sum(comb(k * (k - 1) // 2 * n, j) for j in range(min(d, n) + 1)) ** L
