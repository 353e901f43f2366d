"""Memory and retrieval by hard-max attention (seeds.md §5 A1, A3, §6 M1, M3): the plain definitions, the
transformers, reference networks built another way, and the domains.

Positions enter only through the positional rows ``p_i = (i, i^2, 1)``; every score is ``2 q s - s^2 = q^2 - (s - q)^2``
for a query target ``q``, so the nearest position to ``q`` wins with margin at least 1 when ``q`` is an integer.
A1 uses the same identity in the plane with a stored point ``v_s`` in place of the position:
``2 u.v - |v|^2 = |u|^2 - |u - v|^2``.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from itertools import product
from typing import Iterable, Sequence

from polyreg import box
from polyreg.geometry.domains import DiscreteGroup, MixedDomain
from polyreg.network.ir import Attention, Block, Dense, FeedForward, Head, Mlp, Relu, Transformer

Entry = tuple[int, int, Fraction | int]
Matrix = tuple[tuple[Fraction, ...], ...]
Terms = Sequence[tuple[int, Fraction | int]]
PAD = 3
OFFSETS = (1, 3)
HALF = Fraction(1, 2)


def matrix(rows: int, cols: int, entries: Iterable[Entry]) -> Matrix:
    """The ``rows x cols`` matrix, zero but for the given entries (repeated positions add up)."""
    table = [[Fraction(0)] * cols for _ in range(rows)]
    for r, c, v in entries:
        table[r][c] += Fraction(v)
    return tuple(map(tuple, table))


def feed_forward(width: int, units: Sequence[tuple[Terms, Fraction | int, Terms]], shift: Terms = ()) -> FeedForward:
    """Residual ``Z + sum_u relu(<w_u, Z> + c_u) o_u + shift`` for units ``(w_u, c_u, o_u)`` as (slot, weight) lists."""
    w1 = matrix(width, len(units), [(slot, u, v) for u, (w, _, _) in enumerate(units) for slot, v in w])
    w2 = matrix(len(units), width, [(u, slot, v) for u, (_, _, o) in enumerate(units) for slot, v in o])
    b2 = [Fraction(0)] * width
    for slot, v in shift:
        b2[slot] += Fraction(v)
    return FeedForward(w1, tuple(Fraction(c) for _, c, _ in units), w2, tuple(b2))


def dense(rows: Sequence[tuple[Terms, Fraction | int]], inputs: int) -> Dense:
    """The linear layer whose output ``r`` is ``sum w x + c`` for ``rows[r] = ((input, w) pairs, c)``."""
    weight = matrix(len(rows), inputs, [(r, i, v) for r, (w, _) in enumerate(rows) for i, v in w])
    return Dense(weight, tuple(Fraction(c) for _, c in rows))


def positions(tokens: int, width: int, first: int, P: int, P2: int, C: int) -> Matrix:
    """Token ``i`` has position ``first + i`` in slot ``P``, its square in ``P2`` and 1 in ``C``."""
    return matrix(tokens, width, [e for i in range(tokens)
                                  for e in ((i, P, first + i), (i, P2, (first + i) ** 2), (i, C, 1))])


def position_key(width: int, P: int, P2: int) -> Matrix:
    """The key ``(s, s^2)`` of the token at position ``s``."""
    return matrix(width, 2, [(P, 0, 1), (P2, 1, 1)])


def readout(tokens: int, width: int, slot: int, skip: int) -> tuple[Matrix | None, ...]:
    """Output ``t`` is slot ``slot`` of token ``skip + t``; the first ``skip`` tokens are not read."""
    return tuple(None if i < skip else matrix(width, tokens - skip, [(slot, i - skip, 1)]) for i in range(tokens))


# M1: fixed sparse memory

def memory_f(a: Fraction, b: Fraction) -> Fraction:
    """``f(a, b) = max(a, b) - min(a, b) / 2``."""
    return max(a, b) - min(a, b) / 2


def fixed_memory(x: Sequence[Fraction], offsets: Sequence[int] = OFFSETS) -> tuple[Fraction, ...]:
    """``y_t = f(x_{t - k1}, x_{t - k2})`` with ``x_s = 0`` for ``s < 0`` (zero padding)."""
    def at(s: int) -> Fraction:
        return Fraction(x[s]) if s >= 0 else Fraction(0)
    return tuple(memory_f(at(t - offsets[0]), at(t - offsets[1])) for t in range(len(x)))


def fixed_memory_transformer(T: int, offsets: Sequence[int] = OFFSETS) -> Transformer:
    """seeds.md M1: ``PAD`` zero tokens then ``x_0 .. x_{T-1}``; head ``k`` has query ``(2(i - k), -1)``, key
    ``(s, s^2)``, value ``x_s``, so it copies ``x`` from exactly ``k`` positions back into ``A_k``; the FFN writes
    ``f(a, b) = b - a/2 + (3/2) relu(a - b)`` into ``Y`` (``a, b >= 0``, so ``a = relu(a)``)."""
    X, P, P2, C, A, B, Y = range(7)
    width, tokens = 7, T + PAD
    embed = tuple(matrix(T, width, [] if i < PAD else [(i - PAD, X, 1)]) for i in range(tokens))
    heads = tuple(Head(query=matrix(width, 2, [(P, 0, 2), (C, 0, -2 * k), (C, 1, -1)]), key=position_key(width, P, P2),
                       value=matrix(width, 1, [(X, 0, 1)]), output=matrix(1, width, [(0, slot, 1)]))
                  for k, slot in zip(offsets, (A, B)))
    units = [([(A, 1), (B, -1)], 0, [(Y, Fraction(3, 2))]), ([(A, 1)], 0, [(Y, -HALF)]), ([(B, 1)], 0, [(Y, 1)])]
    return Transformer(T, tokens, width, embed, positions(tokens, width, 0, P, P2, C),
                       (Block(Attention(heads), feed_forward(width, units)),), readout(tokens, width, Y, PAD),
                       (Fraction(0),) * T)


def fixed_memory_reference(T: int, offsets: Sequence[int] = OFFSETS) -> Mlp:
    """Without attention: ``f(a, b) = (a + b)/4 + (3/4) |a - b|`` with ``|a - b| = relu(a - b) + relu(b - a)`` and
    ``a = relu(a)``, ``b = relu(b)``; an input before position 0 is left out (zero padding)."""
    def terms(t: int, sign: int) -> list[tuple[int, int]]:
        return [(t - k, sign * s) for k, s in zip(offsets, (1, -1)) if t - k >= 0]
    hidden = []
    for t in range(T):
        hidden += [(terms(t, 1), 0), (terms(t, -1), 0)] + [([(t - k, 1)] if t - k >= 0 else [], 0) for k in offsets]
    out = [([(4 * t, Fraction(3, 4)), (4 * t + 1, Fraction(3, 4)), (4 * t + 2, Fraction(1, 4)),
             (4 * t + 3, Fraction(1, 4))], 0) for t in range(T)]
    return Mlp(T, (dense(hidden, T), Relu(), dense(out, 4 * T)))


def with_query_shift(t: Transformer, head: int, value: Fraction | int) -> Transformer:
    """The M1 transformer ``t`` with the constant term (slot 3) of head ``head``'s first query coordinate set to
    ``value``: one weight."""
    block = t.blocks[0]
    heads = list(block.attention.heads)
    query = [list(row) for row in heads[head].query]
    query[3][0] = Fraction(value)
    heads[head] = replace(heads[head], query=tuple(map(tuple, query)))
    return replace(t, blocks=(replace(block, attention=replace(block.attention, heads=tuple(heads))),) + t.blocks[1:])


# M3: adaptive memory

def adaptive_memory(c: Sequence[int], v: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """``y_t = v_{t - c_t}``, zero before position 0."""
    return tuple(Fraction(v[t - ct]) if t - ct >= 0 else Fraction(0) for t, ct in enumerate(c))


def adaptive_input(c: Sequence[int], v: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """Token ``t`` is input coordinates ``4t .. 4t+2`` (one-hot of ``c_t`` in {1, 2, 3}) and ``4t + 3`` (``v_t``)."""
    return tuple(Fraction(x) for ct, vt in zip(c, v) for x in [int(ct == k) for k in (1, 2, 3)] + [vt])


def controls_of(z: Sequence[Fraction]) -> tuple[int, ...]:
    """The controls ``c`` of an input vector (inverse of ``adaptive_input``)."""
    return tuple(1 + list(z[4 * t: 4 * t + 3]).index(1) for t in range(len(z) // 4))


def payloads_of(z: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """The payloads ``v`` of an input vector."""
    return tuple(z[4 * t + 3] for t in range(len(z) // 4))


def all_controls(T: int) -> list[tuple[int, ...]]:
    """``{1, 2, 3}^T`` in the product order of ``adaptive_domain``."""
    return list(product((1, 2, 3), repeat=T))


def adaptive_domain(T: int) -> MixedDomain:
    """One discrete group of three one-hot vectors per token times ``[0, 1]^T`` over the payloads."""
    values = tuple(tuple(Fraction(int(a == k)) for k in range(3)) for a in range(3))
    groups = tuple(DiscreteGroup((4 * t, 4 * t + 1, 4 * t + 2), values) for t in range(T))
    return MixedDomain(4 * T, groups, tuple(4 * t + 3 for t in range(T)), box(T, 0, 1))


def adaptive_domain_json(T: int) -> dict:
    """``adaptive_domain`` as a ``polyreg.mixed-domain/1`` file."""
    return {"format": "polyreg.mixed-domain/1", "input_dim": 4 * T,
            "discrete": [{"coordinates": [4 * t, 4 * t + 1, 4 * t + 2],
                          "values": [[int(a == k) for k in range(3)] for a in range(3)]} for t in range(T)],
            "continuous": {"coordinates": [4 * t + 3 for t in range(T)],
                           "A": [[sign * int(i == j) for j in range(T)] for i in range(T) for sign in (1, -1)],
                           "b": [b for _ in range(T) for b in (1, 0)]}}


def adaptive_memory_transformer(T: int, weights: Sequence[int] = (1, 2, 3)) -> Transformer:
    """seeds.md M3: ``PAD`` zero tokens then ``(c_t, v_t)``; one head with query ``(2(i - c_i), -1)``, linear in the
    one-hot of ``c_i`` (``c_i = sum_k weights[k] [c_i = k + 1]``), key ``(s, s^2)``, value ``v_s``; no FFN."""
    H, V, P, P2, C, Y = 0, 3, 4, 5, 6, 7
    width, tokens = 8, T + PAD
    embed = tuple(matrix(4 * T, width, [] if i < PAD else [(4 * (i - PAD) + k, H + k, 1) for k in range(3)]
                         + [(4 * (i - PAD) + 3, V, 1)]) for i in range(tokens))
    query = matrix(width, 2, [(P, 0, 2), (C, 1, -1)] + [(H + k, 0, -2 * w) for k, w in enumerate(weights)])
    head = Head(query=query, key=position_key(width, P, P2), value=matrix(width, 1, [(V, 0, 1)]),
                output=matrix(1, width, [(0, Y, 1)]))
    return Transformer(4 * T, tokens, width, embed, positions(tokens, width, 0, P, P2, C),
                       (Block(Attention((head,)), None),), readout(tokens, width, Y, PAD), (Fraction(0),) * T)


def adaptive_memory_reference(T: int) -> Mlp:
    """Without attention: ``y_t = sum_k relu(v_{t-k} + [c_t = k] - 1)``, which is ``[c_t = k] v_{t-k}`` for ``v`` in
    [0, 1]; offsets before position 0 are left out (zero padding)."""
    hidden = [([(4 * (t - k) + 3, 1), (4 * t + k - 1, 1)], -1) for t in range(T) for k in (1, 2, 3) if t - k >= 0]
    owner = [t for t in range(T) for k in (1, 2, 3) if t - k >= 0]
    out = [([(u, 1) for u, o in enumerate(owner) if o == t], 0) for t in range(T)]
    if not hidden:
        hidden, out = [([], 0)], [([], 0) for _ in range(T)]
    return Mlp(4 * T, (dense(hidden, 4 * T), Relu(), dense(out, len(hidden))))


# A3: rank matters

def clip_g(u: Fraction, tau: int) -> Fraction:
    """``g(u) = clip(tau u, 1, tau)``."""
    return min(max(tau * Fraction(u), Fraction(1)), Fraction(tau))


def nearest_retrieval(x: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """``y_t = avg {x_s : s in argmin_s |s - g(x_t)|}``, positions ``s = 1 .. tau`` (token ``s - 1``)."""
    tau, out = len(x), []
    for u in x:
        g = clip_g(u, tau)
        best = min(abs(s - g) for s in range(1, tau + 1))
        chosen = [Fraction(x[s - 1]) for s in range(1, tau + 1) if abs(s - g) == best]
        out.append(sum(chosen) / len(chosen))
    return tuple(out)


def retrieval_embedding(tau: int, width: int, X: int, U: int) -> tuple[Matrix, ...]:
    """Token ``i`` holds ``x_i`` in the value slot ``X`` and in the query input ``U``."""
    return tuple(matrix(tau, width, [(i, X, 1), (i, U, 1)]) for i in range(tau))


def g_units(U: int, G: int, tau: int) -> list[tuple[Terms, int, Terms]]:
    """``G = 1 + relu(tau u - 1) - relu(tau u - tau)`` (with a shift of 1 into ``G``)."""
    return [([(U, tau)], -1, [(G, 1)]), ([(U, tau)], -tau, [(G, -1)])]


def rank_two_retrieval(tau: int) -> Transformer:
    """seeds.md A3 (``m_h = 2``): an FFN computes ``g(x_t)``; the head has query ``(2 g, -1)``, key ``(s, s^2)`` and
    value ``x_s``, so the score ``g^2 - (s - g)^2`` picks the positions nearest to ``g``, ties averaged."""
    X, G, P, P2, C, Y, U = range(7)
    width = 7
    embed = retrieval_embedding(tau, width, X, U)
    head = Head(query=matrix(width, 2, [(G, 0, 2), (C, 1, -1)]), key=position_key(width, P, P2),
                value=matrix(width, 1, [(X, 0, 1)]), output=matrix(1, width, [(0, Y, 1)]))
    return Transformer(tau, tau, width, embed, positions(tau, width, 1, P, P2, C),
                       (Block(None, feed_forward(width, g_units(U, G, tau), [(G, 1)])),
                        Block(Attention((head,)), None)), readout(tau, width, Y, 0), (Fraction(0),) * tau)


def one_hot_retrieval(tau: int) -> Transformer:
    """The same task built another way (``m_h = tau``): an FFN computes ``D_s = -|g(x_t) - s|`` for every position
    ``s`` by ReLU pairs; the head has query ``D``, one-hot positional key ``e_s``, value ``x_s``."""
    X, G, Y, U, D, E = 0, 1, 2, 3, 4, 4 + tau
    width = 4 + 2 * tau
    embed = retrieval_embedding(tau, width, X, U)
    distance = [([(G, sign)], -sign * s, [(D + s - 1, -1)]) for s in range(1, tau + 1) for sign in (1, -1)]
    head = Head(query=matrix(width, tau, [(D + s, s, 1) for s in range(tau)]),
                key=matrix(width, tau, [(E + s, s, 1) for s in range(tau)]),
                value=matrix(width, 1, [(X, 0, 1)]), output=matrix(1, width, [(0, Y, 1)]))
    return Transformer(tau, tau, width, embed, matrix(tau, width, [(i, E + i, 1) for i in range(tau)]),
                       (Block(None, feed_forward(width, g_units(U, G, tau), [(G, 1)])),
                        Block(None, feed_forward(width, distance)), Block(Attention((head,)), None)),
                       readout(tau, width, Y, 0), (Fraction(0),) * tau)


def rank_one_retrieval(tau: int) -> Transformer:
    """An ``m_h = 1`` attempt of the family of seeds.md A3: query ``g(x_t)``, key ``s``, value ``x_s``; the score
    ``g s`` is largest at ``s = tau`` for every ``g >= 1``, so only the last position is ever retrieved."""
    X, G, P, C, Y, U = range(6)
    width = 6
    embed = retrieval_embedding(tau, width, X, U)
    head = Head(query=matrix(width, 1, [(G, 0, 1)]), key=matrix(width, 1, [(P, 0, 1)]),
                value=matrix(width, 1, [(X, 0, 1)]), output=matrix(1, width, [(0, Y, 1)]))
    pos = matrix(tau, width, [e for i in range(tau) for e in ((i, P, i + 1), (i, C, 1))])
    return Transformer(tau, tau, width, embed, pos,
                       (Block(None, feed_forward(width, g_units(U, G, tau), [(G, 1)])),
                        Block(Attention((head,)), None)), readout(tau, width, Y, 0), (Fraction(0),) * tau)


# A1: nearest point to a set

def grid(side: int) -> list[tuple[int, int]]:
    """The grid points ``{0 .. side-1}^2`` in row-major order (the order of every one-hot symbol)."""
    return list(product(range(side), repeat=2))


def nearest_point(u: Sequence[Sequence[Fraction]], v: Sequence[Sequence[int]]) -> tuple[Fraction, ...]:
    """``y_t = avg {v_s : s in argmin_s |u_t - v_s|}`` for every token ``t`` (squared Euclidean distances, exact; ties
    averaged), flattened as ``(y_0[0], y_0[1], y_1[0], ..)``."""
    out = []
    for ut in u:
        distance = [sum((Fraction(a) - b) ** 2 for a, b in zip(ut, vs)) for vs in v]
        chosen = [vs for vs, d in zip(v, distance) if d == min(distance)]
        out += [Fraction(sum(vs[k] for vs in chosen), len(chosen)) for k in range(2)]
    return tuple(out)


def nearest_stride(side: int) -> int:
    """Input coordinates per token: ``u_t`` (2) and the one-hot of ``v_t`` over the ``side^2`` grid points."""
    return 2 + side * side


def nearest_input(u: Sequence[Sequence[Fraction]], v: Sequence[Sequence[int]], side: int) -> tuple[Fraction, ...]:
    """Token ``t`` is input coordinates ``k t, k t + 1`` (``u_t``) and ``k t + 2 ..`` (one-hot of ``v_t``), with
    ``k = nearest_stride(side)``."""
    points = grid(side)
    return tuple(Fraction(x) for ut, vt in zip(u, v)
                 for x in list(ut) + [int(g == tuple(vt)) for g in points])


def nearest_parts(z: Sequence[Fraction], side: int) -> tuple[list[tuple[Fraction, ...]], list[tuple[int, int]]]:
    """The points ``u`` and the grid points ``v`` of an input vector (inverse of ``nearest_input``)."""
    k, points = nearest_stride(side), grid(side)
    tokens = range(len(z) // k)
    return ([tuple(z[k * t: k * t + 2]) for t in tokens],
            [points[list(z[k * t + 2: k * t + k]).index(1)] for t in tokens])


def nearest_truth(z: Sequence[Fraction], side: int) -> tuple[Fraction, ...]:
    """A1's definition on the input vector."""
    return nearest_point(*nearest_parts(z, side))


def nearest_domain(tau: int, side: int) -> MixedDomain:
    """One discrete group per token (the ``side^2`` one-hot symbols of ``v_t``) times ``[0, side-1]^{2 tau}`` over the
    points ``u``: ``side^{2 tau}`` cases."""
    k, n = nearest_stride(side), side * side
    values = tuple(tuple(Fraction(int(a == g)) for g in range(n)) for a in range(n))
    groups = tuple(DiscreteGroup(tuple(range(k * t + 2, k * t + k)), values) for t in range(tau))
    return MixedDomain(k * tau, groups, tuple(k * t + j for t in range(tau) for j in range(2)),
                       box(2 * tau, 0, side - 1))


def nearest_domain_json(tau: int, side: int) -> dict:
    """``nearest_domain`` as a ``polyreg.mixed-domain/1`` file."""
    k, n = nearest_stride(side), side * side
    return {"format": "polyreg.mixed-domain/1", "input_dim": k * tau,
            "discrete": [{"coordinates": list(range(k * t + 2, k * t + k)),
                          "values": [[int(a == g) for g in range(n)] for a in range(n)]} for t in range(tau)],
            "continuous": {"coordinates": [k * t + j for t in range(tau) for j in range(2)],
                           "A": [[sign * int(i == j) for j in range(2 * tau)] for i in range(2 * tau)
                                 for sign in (1, -1)],
                           "b": [b for _ in range(2 * tau) for b in (side - 1, 0)]}}


def nearest_readout(tau: int, width: int, Y: int) -> tuple[Matrix, ...]:
    """Outputs ``2t, 2t + 1`` are slots ``Y, Y + 1`` of token ``t``."""
    return tuple(matrix(width, 2 * tau, [(Y, 2 * i, 1), (Y + 1, 2 * i + 1, 1)]) for i in range(tau))


def nearest_point_transformer(tau: int, side: int, norm_weight: Fraction | int = -1) -> Transformer:
    """seeds.md A1 (``m_h = 3``): the embedding looks the symbol ``v_t`` up as ``(v_t, |v_t|^2)``; one head with query
    ``(2 u_t, norm_weight)`` (``-1``: the task), key ``(v_s, |v_s|^2)``, value ``v_s``, so the score
    ``2 u_t.v_s - |v_s|^2 = |u_t|^2 - |u_t - v_s|^2`` picks the stored points nearest to ``u_t``, ties averaged. No
    feed-forward layer."""
    U, V, N, C, Y = 0, 2, 4, 5, 6
    width, k = 8, nearest_stride(side)
    lookup = [(2 + a, slot, value) for a, g in enumerate(grid(side))
              for slot, value in ((V, g[0]), (V + 1, g[1]), (N, g[0] ** 2 + g[1] ** 2))]
    embed = tuple(matrix(k * tau, width, [(k * i, U, 1), (k * i + 1, U + 1, 1)] + [(k * i + r, c, w)
                                                                                  for r, c, w in lookup])
                  for i in range(tau))
    head = Head(query=matrix(width, 3, [(U, 0, 2), (U + 1, 1, 2), (C, 2, norm_weight)]),
                key=matrix(width, 3, [(V, 0, 1), (V + 1, 1, 1), (N, 2, 1)]),
                value=matrix(width, 2, [(V, 0, 1), (V + 1, 1, 1)]), output=matrix(2, width, [(0, Y, 1), (1, Y + 1, 1)]))
    return Transformer(k * tau, tau, width, embed, matrix(tau, width, [(i, C, 1) for i in range(tau)]),
                       (Block(Attention((head,)), None),), nearest_readout(tau, width, Y), (Fraction(0),) * (2 * tau))


def nearest_point_reference(tau: int, side: int) -> Transformer:
    """The same task built another way (``m_h = side^2``): the one-hot of ``v_s`` itself is the key and the value;
    the query is the ``side^2`` affine functions ``2 u_t.g - |g|^2`` of ``u_t``, one per grid point ``g``; the head
    averages the one-hots of the winning tokens and the output matrix maps the one-hot of ``g`` to ``g``."""
    points = grid(side)
    n, k = len(points), nearest_stride(side)
    U, C, Y, H = 0, 2, 3, 5
    width = 5 + n
    embed = tuple(matrix(k * tau, width, [(k * i, U, 1), (k * i + 1, U + 1, 1)] + [(k * i + 2 + a, H + a, 1)
                                                                                  for a in range(n)])
                  for i in range(tau))
    query = matrix(width, n, [e for a, g in enumerate(points)
                              for e in ((U, a, 2 * g[0]), (U + 1, a, 2 * g[1]), (C, a, -g[0] ** 2 - g[1] ** 2))])
    one_hot = matrix(width, n, [(H + a, a, 1) for a in range(n)])
    head = Head(query=query, key=one_hot, value=one_hot,
                output=matrix(n, width, [e for a, g in enumerate(points) for e in ((a, Y, g[0]), (a, Y + 1, g[1]))]))
    return Transformer(k * tau, tau, width, embed, matrix(tau, width, [(i, C, 1) for i in range(tau)]),
                       (Block(Attention((head,)), None),), nearest_readout(tau, width, Y), (Fraction(0),) * (2 * tau))


def with_embed_entry(t: Transformer, token: int, row: int, column: int, value: Fraction | int) -> Transformer:
    """``t`` with entry (``row``, ``column``) of token ``token``'s embedding matrix set to ``value``: one weight."""
    embed = [list(map(list, E)) for E in t.embed]
    embed[token][row][column] = Fraction(value)
    return replace(t, embed=tuple(tuple(map(tuple, E)) for E in embed))


def nearest_point_control(tau: int, side: int, point: tuple[int, int] = (1, 2)) -> Transformer:
    """A1 with one weight changed: token 0 looks the symbol ``point`` up with ``|point|^2 + 1`` in the norm slot, so
    when ``v_0 = point`` every query scores token 0 one less than it should and the boundary between ``v_0`` and
    another stored point moves away from ``v_0``."""
    norm = 4                                    # the slot N of ``nearest_point_transformer``
    return with_embed_entry(nearest_point_transformer(tau, side), 0, 2 + grid(side).index(point), norm,
                            point[0] ** 2 + point[1] ** 2 + 1)


def hidden_widths(t: Transformer) -> tuple[int, ...]:
    """The hidden width of each feed-forward layer, in order."""
    return tuple(len(b.feed_forward.b1) for b in t.blocks if b.feed_forward is not None)


def heads_of(t: Transformer) -> int:
    """The number of attention heads over all blocks."""
    return sum(len(b.attention.heads) for b in t.blocks if b.attention is not None)
