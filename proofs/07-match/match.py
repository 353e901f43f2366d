"""Match2 and Match3 (Sanford, Hsu, Telgarsky 2023) on Z_M^N: the plain definitions, the one-hot mixed domain, the
hard-max transformers of seeds.md B3a, B3b and B4, and reference ReLU networks that use no attention.

Inputs are one-hot: token ``t``'s symbol ``x_t`` in ``{0, .., M-1}`` is input coordinate ``M t + x_t``, so every
per-token embedding ``E_t`` is an exact lookup table. Output ``i`` is the bit of token ``i``.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from itertools import product
from typing import Callable, Iterable, Optional, Sequence

from polyreg.geometry.domains import DiscreteGroup, MixedDomain
from polyreg.network.ir import Attention, Block, Dense, FeedForward, Head, Mlp, Relu, Transformer

Entry = tuple[int, int, Fraction | int]
Matrix = tuple[tuple[Fraction, ...], ...]
Terms = Sequence[tuple[int, Fraction | int]]          # (slot or input, weight) pairs of a linear form


def match2(xs: Sequence[int], M: int) -> tuple[int, ...]:
    """``Match2(X)_i = [exists j: x_i + x_j = 0 mod M]``, ``j = i`` allowed (seeds.md §2.2: unrestricted)."""
    return tuple(int(any((a + b) % M == 0 for b in xs)) for a in xs)


def match3(xs: Sequence[int], M: int) -> tuple[int, ...]:
    """``Match3(X)_i = [exists j1, j2: x_i + x_j1 + x_j2 = 0 mod M]``, ``j1, j2`` unrestricted (seeds.md B4)."""
    return tuple(int(any((a + b + c) % M == 0 for b in xs for c in xs)) for a in xs)


def one_hot(xs: Sequence[int], M: int) -> tuple[Fraction, ...]:
    """The input vector of the symbols ``xs``: coordinate ``M t + a`` is ``[x_t = a]``."""
    return tuple(Fraction(int(x == a)) for x in xs for a in range(M))


def symbols(z: Sequence[Fraction], M: int) -> tuple[int, ...]:
    """The symbols of a one-hot input vector (inverse of ``one_hot``)."""
    return tuple(z[M * t: M * t + M].index(1) for t in range(len(z) // M))


def all_symbols(N: int, M: int) -> list[tuple[int, ...]]:
    """All of ``Z_M^N``, in the product order of ``mixed_domain`` (the last token varying fastest)."""
    return list(product(range(M), repeat=N))


def mixed_domain(N: int, M: int) -> MixedDomain:
    """``N`` discrete groups of ``M`` one-hot coordinates and no continuous ones: ``M^N`` cases."""
    values = tuple(tuple(Fraction(int(a == k)) for k in range(M)) for a in range(M))
    return MixedDomain(N * M, tuple(DiscreteGroup(tuple(range(M * t, M * t + M)), values) for t in range(N)), (), None)


def mixed_domain_json(N: int, M: int) -> dict:
    """``mixed_domain`` as a ``polyreg.mixed-domain/1`` file, for ``polyreg certify A B --domain``."""
    values = [[int(a == k) for k in range(M)] for a in range(M)]
    return {"format": "polyreg.mixed-domain/1", "input_dim": N * M,
            "discrete": [{"coordinates": list(range(M * t, M * t + M)), "values": values} for t in range(N)]}


def matrix(rows: int, cols: int, entries: Iterable[Entry]) -> Matrix:
    """The ``rows x cols`` matrix, zero but for the given entries (repeated positions add up)."""
    table = [[Fraction(0)] * cols for _ in range(rows)]
    for r, c, v in entries:
        table[r][c] += Fraction(v)
    return tuple(map(tuple, table))


def lookup_embedding(N: int, M: int, width: int, table: Callable[[int], Terms]) -> tuple[Matrix, ...]:
    """Per-token ``E_t``: the one-hot coordinate ``M t + a`` writes ``table(a)`` (pairs (slot, value)) into token t."""
    return tuple(matrix(N * M, width, [(M * t + a, slot, v) for a in range(M) for slot, v in table(a)])
                 for t in range(N))


def bit_readout(N: int, width: int, slot: int) -> tuple[Matrix, ...]:
    """Output ``i`` is slot ``slot`` of token ``i``."""
    return tuple(matrix(width, N, [(slot, t, 1)]) for t in range(N))


def feed_forward(width: int, units: Sequence[tuple[Terms, Fraction | int, Terms]]) -> FeedForward:
    """Residual ``Z + sum_u relu(<w_u, Z> + c_u) o_u`` for units ``(w_u, c_u, o_u)`` given as (slot, weight) lists."""
    w1 = matrix(width, len(units), [(slot, u, v) for u, (w, _, _) in enumerate(units) for slot, v in w])
    w2 = matrix(len(units), width, [(u, slot, v) for u, (_, _, o) in enumerate(units) for slot, v in o])
    return FeedForward(w1, tuple(Fraction(c) for _, c, _ in units), w2, (Fraction(0),) * width)


def match2_one_hot(N: int, M: int) -> Transformer:
    """seeds.md B3a: query ``e_b`` (``b = -x_i mod M``), key = value = ``e_{x_j}``, so ``att_i = e_b`` if some
    ``x_j = b``, else the histogram / N (no mass at ``b``); the FFN reads ``y_i = sum_k min(att_k, b_k)`` as
    ``relu(att_k) - relu(att_k - b_k)``."""
    S, B, A, Y = 0, M, 2 * M, 3 * M           # slots: symbol, target, attention output, output bit
    width = 3 * M + 1
    embed = lookup_embedding(N, M, width, lambda a: [(S + a, 1), (B + (-a) % M, 1)])
    head = Head(query=matrix(width, M, [(B + k, k, 1) for k in range(M)]),
                key=matrix(width, M, [(S + k, k, 1) for k in range(M)]),
                value=matrix(width, M, [(S + k, k, 1) for k in range(M)]),
                output=matrix(M, width, [(k, A + k, 1) for k in range(M)]))
    units = [([(A + k, 1)], 0, [(Y, 1)]) for k in range(M)] + [([(A + k, 1), (B + k, -1)], 0, [(Y, -1)])
                                                                for k in range(M)]
    return Transformer(N * M, N, width, embed, matrix(N, width, []),
                       (Block(Attention((head,)), feed_forward(width, units)),), bit_readout(N, width, Y),
                       (Fraction(0),) * N)


def parabola_gap(N: int) -> Fraction:
    """The readout scale ``g = 2/N`` of seeds.md B3b, for every M: without a match, ``D >= 2/N`` (README,
    "The readout gap"), so ``relu(1 - D / g)`` is 0 there and 1 at a match (``D = 0``)."""
    return Fraction(2, N)


def match2_parabola(N: int, M: int, g: Optional[Fraction] = None) -> Transformer:
    """seeds.md B3b: query ``(2b, -1)``, key = value = ``(x_j, x_j^2)``, score ``b^2 - (x_j - b)^2``; attention output
    ``mu``; ``y_i = max(0, 1 - (|mu_1 - b| + |mu_2 - b^2|) / g)`` in two feed-forward layers, ``g = parabola_gap(N)``
    unless given."""
    X1, X2, B1, B2, C, U1, U2, D, Y = range(9)   # slots: (x, x^2), (b, b^2), 1, mu, distance, output bit
    width, g = 9, parabola_gap(N) if g is None else g
    embed = lookup_embedding(N, M, width, lambda a: [(X1, a), (X2, a * a), (B1, (-a) % M), (B2, ((-a) % M) ** 2)])
    pair = matrix(width, 2, [(X1, 0, 1), (X2, 1, 1)])
    head = Head(query=matrix(width, 2, [(B1, 0, 2), (C, 1, -1)]), key=pair, value=pair,
                output=matrix(2, width, [(0, U1, 1), (1, U2, 1)]))
    distance = [([(U, s), (T, -s)], 0, [(D, 1)]) for U, T in ((U1, B1), (U2, B2)) for s in (1, -1)]
    readout = [([(D, -1 / g)], 1, [(Y, 1)])]
    return Transformer(N * M, N, width, embed, matrix(N, width, [(t, C, 1) for t in range(N)]),
                       (Block(Attention((head,)), feed_forward(width, distance)),
                        Block(None, feed_forward(width, readout))), bit_readout(N, width, Y), (Fraction(0),) * N)


def match3_uniform(N: int, M: int) -> Transformer:
    """seeds.md B4: a head with zero scores averages ``e_{x_j}`` to ``h = counts / N``; then ``ind_a = min(1, N h_a)``,
    ``z_i = sum_a [c_i = c] min(ind_a, ind_{c-a})`` (``c_i = -x_i mod M``; each term ``relu(ind_a + ind_{c-a} + C_c
    - 2)``) and ``y_i = min(1, z_i) = max_a min(ind_a, ind_{c_i - a})``."""
    S, T, H, P, Z, Y = 0, M, 2 * M, 3 * M, 4 * M, 4 * M + 1   # symbol, target c, average, present, z, bit
    width = 4 * M + 2
    embed = lookup_embedding(N, M, width, lambda a: [(S + a, 1), (T + (-a) % M, 1)])
    zero = matrix(width, 1, [])
    head = Head(query=zero, key=zero, value=matrix(width, M, [(S + k, k, 1) for k in range(M)]),
                output=matrix(M, width, [(k, H + k, 1) for k in range(M)]))
    indicator = [([(H + a, N)], shift, [(P + a, sign)]) for a in range(M) for shift, sign in ((0, 1), (-1, -1))]
    pairs = [([(P + a, 1), (P + (c - a) % M, 1), (T + c, 1)], -2, [(Z, 1)]) for c in range(M) for a in range(M)]
    clip = [([(Z, 1)], 0, [(Y, 1)]), ([(Z, 1)], -1, [(Y, -1)])]
    return Transformer(N * M, N, width, embed, matrix(N, width, []),
                       (Block(Attention((head,)), feed_forward(width, indicator)),
                        Block(None, feed_forward(width, pairs)), Block(None, feed_forward(width, clip))),
                       bit_readout(N, width, Y), (Fraction(0),) * N)


def dense(rows: Sequence[tuple[Terms, Fraction | int]], inputs: int) -> Dense:
    """The linear layer whose output ``r`` is ``sum w x + c`` for ``rows[r] = ((input, w) pairs, c)``."""
    weight = matrix(len(rows), inputs, [(r, i, v) for r, (w, _) in enumerate(rows) for i, v in w])
    return Dense(weight, tuple(Fraction(c) for _, c in rows))


def match2_reference(N: int, M: int) -> Mlp:
    """Match2 without attention: ``m_a = sum_j [x_j = -a]``, ``y_i = sum_a relu([x_i = a] + min(1, m_a) - 1)`` with
    ``min(1, m) = relu(m) - relu(m - 1)``; the one-hot inputs pass the first ReLU unchanged."""
    x = [[(M * t + a, 1) for a in range(M)] for t in range(N)]
    matches = [[(M * t + (-a) % M, 1) for t in range(N)] for a in range(M)]
    first = [(m, 0) for m in matches] + [(m, -1) for m in matches] + [([x[t][a]], 0) for t in range(N)
                                                                      for a in range(M)]
    second = [([(2 * M + M * t + a, 1), (a, 1), (M + a, -1)], -1) for t in range(N) for a in range(M)]
    out = [([(M * t + a, 1) for a in range(M)], 0) for t in range(N)]
    return Mlp(N * M, (dense(first, N * M), Relu(), dense(second, 2 * M + N * M), Relu(), dense(out, N * M)))


def match3_reference(N: int, M: int) -> Mlp:
    """Match3 without attention: ``p_a = min(1, n_a)`` (residue ``a`` present), ``q_c = min(1, sum_a relu(p_a +
    p_{c-a} - 1))`` (``c`` is a sum of two present residues), ``y_i = sum_r relu([x_i = r] + q_{-r} - 1)``."""
    NM = N * M
    counts = [[(M * t + a, 1) for t in range(N)] for a in range(M)]

    def carried(offset: int) -> list:
        """The one-hot inputs passed on (they are >= 0, so a ReLU leaves them unchanged) from position ``offset``."""
        return [([(offset + k, 1)], 0) for k in range(NM)]
    first = [(n, 0) for n in counts] + [(n, -1) for n in counts] + carried(0)
    second = [([(a, 1), (M + a, -1), ((c - a) % M, 1), (M + (c - a) % M, -1)], -1) for c in range(M)
              for a in range(M)] + carried(2 * M)
    sums = [[(M * c + a, 1) for a in range(M)] for c in range(M)]
    third = [(s, 0) for s in sums] + [(s, -1) for s in sums] + carried(M * M)
    fourth = [([(2 * M + M * t + r, 1), ((-r) % M, 1), (M + (-r) % M, -1)], -1) for t in range(N) for r in range(M)]
    out = [([(M * t + r, 1) for r in range(M)], 0) for t in range(N)]
    return Mlp(NM, (dense(first, NM), Relu(), dense(second, 2 * M + NM), Relu(), dense(third, M * M + NM), Relu(),
                    dense(fourth, 2 * M + NM), Relu(), dense(out, NM)))


def with_score_bias(t: Transformer, query: int, key: int, value: Fraction | int) -> Transformer:
    """``t`` with entry (query, key) of the first head's score bias set to ``value`` (a one-weight change)."""
    block = t.blocks[0]
    head = block.attention.heads[0]
    bias = [list(row) for row in (head.score_bias or matrix(t.tokens, t.tokens, []))]
    bias[query][key] = Fraction(value)
    changed = replace(head, score_bias=tuple(map(tuple, bias)))
    return replace(t, blocks=(replace(block, attention=replace(block.attention, heads=(changed,))),) + t.blocks[1:])


def hidden_widths(t: Transformer) -> tuple[int, ...]:
    """The hidden width of each feed-forward layer, in order."""
    return tuple(len(b.feed_forward.b1) for b in t.blocks if b.feed_forward is not None)


def least_no_match_distance(N: int, M: int) -> Optional[Fraction]:
    """The least ``D = |mu_1 - b_i| + |mu_2 - b_i^2|`` of B3b over the inputs of ``Z_M^N`` and tokens without a match,
    computed from the definition (hard max, ties averaged over tokens); None when every token has a match."""
    least = None
    for xs in all_symbols(N, M):
        for x in xs:
            b = (-x) % M
            if b in xs:
                continue
            delta = min(abs(y - b) for y in xs)
            tied = [y for y in xs if abs(y - b) == delta]
            mu = (Fraction(sum(tied), len(tied)), Fraction(sum(y * y for y in tied), len(tied)))
            distance = abs(mu[0] - b) + abs(mu[1] - b * b)
            least = distance if least is None else min(least, distance)
    return least
