"""q-sparse averaging (Sanford, Hsu, Telgarsky 2023) with d' = 1: the plain definition, the mixed domain (pointer sets
times a box of data), the hard-max transformers of seeds.md B1a and B1b, and a reference ReLU network without attention.

Input layout for ``N`` tokens: coordinates ``N t .. N t + N - 1`` are the indicator vector ``1_{y_t}`` of token ``t``'s
pointer set (a discrete group whose values are the ``C(N, q)`` indicators), coordinate ``N^2 + j`` is the datum ``z_j``
(continuous, in ``[-1, 1]``). Output ``i`` is ``qSA(X)_i``.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from itertools import combinations, product
from typing import Iterable, Sequence

from polyreg import box
from polyreg.geometry.domains import DiscreteGroup, MixedDomain
from polyreg.network.ir import Attention, Block, Dense, FeedForward, Head, Mlp, Relu, Transformer
from polyreg.network.semantics import feed_forward, row_times

Entry = tuple[int, int, Fraction | int]
Matrix = tuple[tuple[Fraction, ...], ...]
PointerSet = tuple[int, ...]


def qsa(pointers: Sequence[PointerSet], z: Sequence[Fraction], q: int) -> tuple[Fraction, ...]:
    """``qSA(X)_i = (1/q) sum_{j in y_i} z_j``, the plain definition (d' = 1)."""
    return tuple(sum((Fraction(z[j]) for j in y), Fraction(0)) / q for y in pointers)


def pointer_sets(N: int, q: int) -> list[PointerSet]:
    """The q-subsets of ``{0, .., N-1}`` in lexicographic order (the value order of every discrete group)."""
    return list(combinations(range(N), q))


def indicator(y: PointerSet, N: int) -> tuple[Fraction, ...]:
    """``1_y`` in ``{0, 1}^N``."""
    return tuple(Fraction(int(j in y)) for j in range(N))


def all_assignments(N: int, q: int) -> list[tuple[PointerSet, ...]]:
    """Every assignment of pointer sets to the ``N`` tokens, in the product order of ``mixed_domain``."""
    return list(product(pointer_sets(N, q), repeat=N))


def full_input(pointers: Sequence[PointerSet], z: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """The input vector: the indicators of the pointer sets, then the data."""
    N = len(pointers)
    return tuple(v for y in pointers for v in indicator(y, N)) + tuple(Fraction(v) for v in z)


def pointers_of(x: Sequence[Fraction], N: int) -> tuple[PointerSet, ...]:
    """The pointer sets of an input vector (inverse of ``full_input`` on the indicator part)."""
    return tuple(tuple(j for j in range(N) if x[N * t + j] == 1) for t in range(N))


def data_of(x: Sequence[Fraction], N: int) -> tuple[Fraction, ...]:
    """The data ``z`` of an input vector."""
    return tuple(x[N * N:])


def data_points(N: int) -> list[tuple[Fraction, ...]]:
    """Three rational points of ``[-1, 1]^N`` for the oracle: the alternating corner and two generic points (all
    coordinates distinct)."""
    return [tuple(Fraction((-1) ** j) for j in range(N)),
            tuple(Fraction((-1) ** j * (j + 1), N + 1) for j in range(N)),
            tuple(Fraction(3 * j * j + 1, 3 * N * N) - Fraction(1, 2) for j in range(N))]


def mixed_domain(N: int, q: int, groups: Sequence[Sequence[PointerSet]] | None = None) -> MixedDomain:
    """One discrete group per token (the indicators of ``groups[t]``, by default all q-subsets) times ``[-1, 1]^N``
    over the data coordinates: ``C(N, q)^N`` cases."""
    groups = groups or [pointer_sets(N, q)] * N
    discrete = tuple(DiscreteGroup(tuple(range(N * t, N * t + N)), tuple(indicator(y, N) for y in groups[t]))
                     for t in range(N))
    return MixedDomain(N * N + N, discrete, tuple(range(N * N, N * N + N)), box(N, -1, 1))


def mixed_domain_json(N: int, q: int) -> dict:
    """``mixed_domain`` as a ``polyreg.mixed-domain/1`` file, for ``polyreg certify A B --domain``."""
    values = [[int(v) for v in indicator(y, N)] for y in pointer_sets(N, q)]
    A = [[(1 if k == j else 0) * s for k in range(N)] for j in range(N) for s in (-1, 1)]
    return {"format": "polyreg.mixed-domain/1", "input_dim": N * N + N,
            "discrete": [{"coordinates": list(range(N * t, N * t + N)), "values": values} for t in range(N)],
            "continuous": {"coordinates": list(range(N * N, N * N + N)), "A": A, "b": [1] * (2 * N)}}


def matrix(rows: int, cols: int, entries: Iterable[Entry]) -> Matrix:
    """The ``rows x cols`` matrix, zero but for the given entries (repeated positions add up)."""
    table = [[Fraction(0)] * cols for _ in range(rows)]
    for r, c, v in entries:
        table[r][c] += Fraction(v)
    return tuple(map(tuple, table))


def token_embedding(N: int, width: int, pointer_slot: int, data_slot: int) -> tuple[Matrix, ...]:
    """Per-token ``E_t``: ``1_{y_t}`` into slots ``pointer_slot ..`` and ``z_t`` into ``data_slot`` of token ``t``."""
    return tuple(matrix(N * N + N, width, [(N * t + j, pointer_slot + j, 1) for j in range(N)]
                        + [(N * N + t, data_slot, 1)]) for t in range(N))


def output_readout(N: int, width: int, slot: int) -> tuple[Matrix, ...]:
    """Output ``i`` is slot ``slot`` of token ``i``."""
    return tuple(matrix(width, N, [(slot, t, 1)]) for t in range(N))


def qsa_one_hot(N: int, q: int) -> Transformer:
    """seeds.md B1a: query ``1_{y_i}``, key ``e_j`` (positional), value ``z_j``; the score ``[j in y_i]`` is 1 exactly
    on ``y_i`` and 0 elsewhere, so the tie average is ``(1/q) sum_{j in y_i} z_j``. No feed-forward layer."""
    P, K, Z, Y = 0, N, 2 * N, 2 * N + 1        # slots: pointer indicator, position one-hot, datum, output
    width = 2 * N + 2
    head = Head(query=matrix(width, N, [(P + j, j, 1) for j in range(N)]),
                key=matrix(width, N, [(K + j, j, 1) for j in range(N)]),
                value=matrix(width, 1, [(Z, 0, 1)]), output=matrix(1, width, [(0, Y, 1)]))
    positions = matrix(N, width, [(t, K + t, 1) for t in range(N)])
    return Transformer(N * N + N, N, width, token_embedding(N, width, P, Z), positions,
                       (Block(Attention((head,)), None),), output_readout(N, width, Y), (Fraction(0),) * N)


def moment_query(S: PointerSet, q: int) -> tuple[int, ...]:
    """The coefficients of ``t, .., t^{2q}`` in ``P_S(t) = -prod_{s in S} (t - (s+1))^2`` (key points are 1 .. N)."""
    poly = [-1]                                     # coefficients, constant first
    for s in S:
        for root in (s + 1, s + 1):
            poly = [(poly[k - 1] if k else 0) - root * (poly[k] if k < len(poly) else 0) for k in range(len(poly) + 1)]
    return tuple(poly[1:])


def moment_key(j: int, q: int) -> tuple[int, ...]:
    """The key of position ``j``: ``(p, p^2, .., p^{2q})`` with ``p = j + 1``."""
    return tuple((j + 1) ** k for k in range(1, 2 * q + 1))


def qsa_moment(N: int, q: int) -> Transformer:
    """seeds.md B1b: a feed-forward lookup writes the query ``w_{y_i} = sum_T w_T relu(<1_{y_i}, 1_T> - (q-1))``
    (exact: the inner product is q iff ``T = y_i``, else at most q-1); keys ``(p, .., p^{2q})``; the score
    ``P_{y_i}(p) - P_{y_i}(0)`` is maximal exactly on ``y_i`` (``P_S = 0`` on S, ``<= -1`` off S)."""
    m = 2 * q
    P, K, W, Z, Y = 0, N, N + m, N + 2 * m, N + 2 * m + 1   # slots: pointers, key, query, datum, output
    width = N + 2 * m + 2
    sets = pointer_sets(N, q)
    w1 = matrix(width, len(sets), [(P + j, u, 1) for u, T in enumerate(sets) for j in T])
    w2 = matrix(len(sets), width, [(u, W + k, c) for u, T in enumerate(sets) for k, c in enumerate(moment_query(T, q))])
    lookup = FeedForward(w1, (Fraction(1 - q),) * len(sets), w2, (Fraction(0),) * width)
    head = Head(query=matrix(width, m, [(W + k, k, 1) for k in range(m)]),
                key=matrix(width, m, [(K + k, k, 1) for k in range(m)]),
                value=matrix(width, 1, [(Z, 0, 1)]), output=matrix(1, width, [(0, Y, 1)]))
    positions = matrix(N, width, [(t, K + k, v) for t in range(N) for k, v in enumerate(moment_key(t, q))])
    return Transformer(N * N + N, N, width, token_embedding(N, width, P, Z), positions,
                       (Block(None, lookup), Block(Attention((head,)), None)), output_readout(N, width, Y),
                       (Fraction(0),) * N)


def gate(z: Fraction, s: Fraction) -> Fraction:
    """``relu(z + 2s - 1) - s``: equals ``z`` for ``s = 1`` and 0 for ``s = 0``, for every ``z`` in ``[-1, 1]``."""
    return max(z + 2 * s - 1, Fraction(0)) - s


def gate_identity_holds() -> bool:
    """The gate identity, exactly: for each ``s`` in {0, 1} the ReLU argument ``z + 2s - 1`` has one sign on
    ``[-1, 1]`` (>= 0 for s = 1, <= 0 for s = 0; checked at both ends, it is affine), and the gate is ``s z`` at
    both ends, hence on the whole interval."""
    ends = (Fraction(-1), Fraction(1))
    one_sign = all(z + 1 >= 0 for z in ends) and all(z - 1 <= 0 for z in ends)
    return one_sign and all(gate(z, Fraction(s)) == s * z for z in ends for s in (0, 1))


def qsa_reference(N: int, q: int) -> Mlp:
    """qSA without attention: ``out_i = (1/q) sum_j relu(z_j + 2 [j in y_i] - 1) - 1``, i.e. ``(1/q) sum_j
    gate(z_j, [j in y_i])`` using ``sum_j [j in y_i] = q`` (hidden width ``N^2``)."""
    first = matrix(N * N, N * N + N, [(N * i + j, N * N + j, 1) for i in range(N) for j in range(N)]
                   + [(N * i + j, N * i + j, 2) for i in range(N) for j in range(N)])
    second = matrix(N, N * N, [(i, N * i + j, Fraction(1, q)) for i in range(N) for j in range(N)])
    return Mlp(N * N + N, (Dense(first, (Fraction(-1),) * (N * N)), Relu(), Dense(second, (Fraction(-1),) * N)))


def with_key_entry(t: Transformer, row: int, column: int, value: Fraction | int) -> Transformer:
    """``t`` with entry (row, column) of the first attention head's key matrix set to ``value`` (one weight)."""
    index = next(b for b, block in enumerate(t.blocks) if block.attention is not None)
    block = t.blocks[index]
    head = block.attention.heads[0]
    key = [list(r) for r in head.key]
    key[row][column] = Fraction(value)
    changed = replace(head, key=tuple(map(tuple, key)))
    blocks = list(t.blocks)
    blocks[index] = replace(block, attention=replace(block.attention, heads=(changed,)))
    return replace(t, blocks=tuple(blocks))


def one_hot_control(N: int, q: int) -> Transformer:
    """B1a with key entry (position slot 2, query dimension 0) set to 1/2: key 2 becomes ``e_2 + e_0 / 2``, so only
    the pointer set {0, 2} is mis-selected (score 3/2 at j = 2 beats 1 at j = 0)."""
    return with_key_entry(qsa_one_hot(N, q), N + 2, 0, Fraction(1, 2))


def scores(t: Transformer, x: Sequence[Fraction]) -> list[list[Fraction]]:
    """The scores ``s_ij`` of the first attention head at input ``x`` (the blocks before it are feed-forward only)."""
    X = [[a + p for a, p in zip(row_times(x, E), pos)] for E, pos in zip(t.embed, t.positions)]
    for block in t.blocks:
        if block.attention is not None:
            head = block.attention.heads[0]
            queries = [row_times(row, head.query) for row in X]
            keys = [row_times(row, head.key) for row in X]
            return [[sum((a * b for a, b in zip(qi, kj)), Fraction(0)) for kj in keys] for qi in queries]
        X = feed_forward(block.feed_forward, X)[0]
    raise ValueError("the transformer has no attention")


def score_margin(t: Transformer, N: int, q: int, z: Sequence[Fraction],
                 assignments: Iterable[Sequence[PointerSet]] | None = None) -> tuple[Fraction, bool]:
    """``min`` over the assignments (by default all) and query tokens ``i`` of (top score - best score off ``y_i``)
    at data ``z``, and whether the top-scoring keys are exactly ``y_i`` with the scores on ``y_i`` exactly tied,
    everywhere."""
    margin, exact = None, True
    for pointers in all_assignments(N, q) if assignments is None else assignments:
        for i, row in enumerate(scores(t, full_input(pointers, z))):
            top = max(row)
            exact &= {j for j in range(N) if row[j] == top} == set(pointers[i])
            gap = top - max(row[j] for j in range(N) if j not in pointers[i])
            margin = gap if margin is None else min(margin, gap)
    return margin, exact


def scores_ignore_data(t: Transformer, N: int) -> bool:
    """The data coordinates reach no query, key or feed-forward input: every embedding row of ``z_t`` writes only
    slots that the query, key and every ``w1`` read with weight 0, so the scores do not depend on ``z``."""
    written = {c for E in t.embed for i in range(N * N, N * N + N) for c, v in enumerate(E[i]) if v}
    read = [head.query for b in t.blocks if b.attention for head in b.attention.heads]
    read += [head.key for b in t.blocks if b.attention for head in b.attention.heads]
    read += [b.feed_forward.w1 for b in t.blocks if b.feed_forward]
    return all(not any(m[c]) for m in read for c in written)


def hidden_widths(t: Transformer) -> tuple[int, ...]:
    """The hidden width of each feed-forward layer, in order."""
    return tuple(len(b.feed_forward.b1) for b in t.blocks if b.feed_forward is not None)
