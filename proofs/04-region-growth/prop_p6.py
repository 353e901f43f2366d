"""Prop P6 of construction.md §5.3, an upper bound on the activation regions of hard-max transformers whose
queries do not depend on ``x``, as stated and corrected, and a transformer on which the stated bound fails.

Within a cell of the earlier blocks, a block's score ties are hyperplanes (at most ``Q H C(N, 2)``), and so are
its feed-forward sign changes (at most ``r N``) -- but the latter only within a cell of the same block's
attention outcome: the feed-forward input depends on which key won. Prop P6 puts both into one arrangement per
block, ``prod_l sum_{j<=d} C(S_l, j)`` with ``S_l = Q_l H_l C(N, 2) + r_l N``; the product must run over
sublayers instead (Zaslavsky's count for each arrangement, multiplied along the refinement).
"""
from __future__ import annotations

from math import comb
from typing import Sequence

from polyreg.network.ir import Transformer


def arrangement_bound(S: int, d: int) -> int:
    """``sum_{j <= d} C(S, j)``: the regions of ``S`` hyperplanes in general position in ``R^d`` (Zaslavsky)."""
    return sum(comb(S, j) for j in range(d + 1))


def written_slots(t: Transformer) -> set[int]:
    """The slots that can depend on ``x``: filled by the embedding or written by a head or a feed-forward layer."""
    slots = {c for E in t.embed for row in E for c, v in enumerate(row) if v}
    for block in t.blocks:
        for head in block.attention.heads if block.attention else ():
            slots |= {c for row in head.output for c, v in enumerate(row) if v}
        if block.feed_forward:
            ff = block.feed_forward
            slots |= {c for row in ff.w2 for c, v in enumerate(row) if v} | {c for c, v in enumerate(ff.b2) if v}
    return slots


def distinct_queries(t: Transformer, query: Sequence[Sequence[object]]) -> int:
    """``Q``: the number of distinct query vectors ``p_t W_Q`` over the tokens, for a query that reads only
    slots no layer writes (so it does not depend on ``x``)."""
    assert not any(any(query[c]) for c in written_slots(t)), "a query depends on x: Prop P6 does not apply"
    return len({tuple(sum(p[c] * query[c][j] for c in range(t.width)) for j in range(len(query[0])))
                for p in t.positions})


def sublayer_hyperplanes(t: Transformer) -> list[tuple[int, int]]:
    """Per block, ``(sum_heads Q C(N, 2), r N)``: the score ties of its heads and the sign changes of its
    feed-forward units, as in Prop P6 of construction.md §5.3."""
    out = []
    for block in t.blocks:
        heads = block.attention.heads if block.attention else ()
        r = len(block.feed_forward.b1) if block.feed_forward else 0
        out.append((sum(distinct_queries(t, h.query) for h in heads) * comb(t.tokens, 2), r * t.tokens))
    return out


def p6_bounds(t: Transformer) -> tuple[int, int]:
    """Prop P6 as stated, ``prod_l sum_{j<=d} C(S_l, j)`` with ``S_l`` the block's ties plus sign changes, and
    corrected: the same product over sublayers (attention, then feed-forward), whose switching sets differ."""
    stated = sublayers = 1
    for ties, signs in sublayer_hyperplanes(t):
        stated *= arrangement_bound(ties + signs, t.input_dim)
        sublayers *= arrangement_bound(ties, t.input_dim) * arrangement_bound(signs, t.input_dim)
    return stated, sublayers


# One block, 2 tokens: the head (constant query, key = value = +-x per token) writes |x| into slot 0 of both
# tokens; the feed-forward unit adds relu(|x| - 1/4) in token 0 and relu(|x| - 3/4) in token 1; the output is
# the sum of both tokens' slot 0. S = 1 C(2, 2) + 1 * 2 = 3, so Prop P6 as stated allows 4 regions on [-1, 1];
# there are 6 (breakpoints -3/4, -1/4, 0, 1/4, 3/4).
P6_EXAMPLE = {
    "format": "polyreg.transformer/1", "input_dim": 1, "tokens": 2, "width": 4,
    "embedding": {"E_per_token": [[[0, 1, 0, 0]], [[0, -1, 0, 0]]], "positions": [[0, 0, 1, 1], [0, 0, 1, 0]]},
    "blocks": [{"attention": {"heads": [{"query": [[0], [0], [1], [0]], "key": [[0], [1], [0], [0]],
                                         "value": [[0], [1], [0], [0]], "output": [[1, 0, 0, 0]]}]},
                "feed_forward": {"w1": [[1], [0], ["-3/4"], ["1/2"]], "b1": [0], "w2": [[1, 0, 0, 0]],
                                 "b2": [0, 0, 0, 0]}}],
    "readout": {"weights": [[[1], [0], [0], [0]], [[1], [0], [0], [0]]], "bias": [0]},
}
