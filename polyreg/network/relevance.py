"""What some outputs of a network can depend on, read off the weights' nonzero pattern.

Walking back from outputs ``O``, a value is *relevant* if a nonzero weight carries it towards ``O``; a hard-max
head's output at query token ``i`` is relevant with everything its argmax and average read (the query of ``i``, the
keys and values of every key ``i`` may attend to). Outputs ``O`` are then a function of the relevant input
coordinates only, and the decisions of irrelevant units never reach them: certifying ``O`` needs neither.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..exact.rationals import Mat
from .ir import Dense, Maxout, Mlp, Network, Relu, Transformer


@dataclass(frozen=True, slots=True)
class Relevance:
    """The input coordinates outputs ``O`` may depend on, and per stage (as in ``stages.program_of``) the units
    whose choice may reach ``O``."""
    inputs: frozenset[int]
    units: tuple[frozenset[int], ...]


def relevance(net: Network, outputs: Iterable[int]) -> Relevance:
    outputs = set(outputs)
    return RELEVANCE[type(net)](net, outputs)


def read_by(W: Mat, wanted: set[int]) -> set[int]:
    """The inputs ``a`` of ``y = W x`` with ``W[c][a] != 0`` for some wanted output ``c``."""
    return {a for c in wanted for a, w in enumerate(W[c]) if w}


def mlp_relevance(net: Mlp, outputs: set[int]) -> Relevance:
    wanted, units = outputs, []
    for layer in reversed(net.layers):
        if isinstance(layer, Dense):
            wanted = read_by(layer.weight, wanted)
        elif isinstance(layer, Relu):
            units.append(frozenset(wanted))
        else:
            assert isinstance(layer, Maxout)
            units.append(frozenset(wanted))
            wanted = {u * layer.rank + c for u in wanted for c in range(layer.rank)}
    return Relevance(frozenset(wanted), tuple(reversed(units)))


def rows_used(M: Mat) -> set[int]:
    return {a for a, row in enumerate(M) if any(row)}


def columns_used(M: Mat) -> set[int]:
    return {c for row in M for c, w in enumerate(row) if w}


def transformer_relevance(t: Transformer, outputs: set[int]) -> Relevance:
    """Relevant values are (token, slot) pairs of the residual stream."""
    wanted = {(i, a) for i, R in enumerate(t.readout) if R is not None
              for a, row in enumerate(R) if any(row[o] for o in outputs)}
    units: list[frozenset[int]] = []
    N = t.tokens
    for block in reversed(t.blocks):
        ff = block.feed_forward
        if ff is not None:
            r = len(ff.b1)
            hidden = {(i, u) for i, c in wanted for u in range(r) if ff.w2[u][c]}
            units.append(frozenset(i * r + u for i, u in hidden))
            wanted = (wanted if ff.residual else set()) | {(i, a) for i, u in hidden for a in range(t.width)
                                                            if ff.w1[a][u]}
        if block.attention is not None:
            live, read = set(), set()
            for h, head in enumerate(block.attention.heads):
                written = columns_used(head.output)
                keys, values, queries = rows_used(head.key), rows_used(head.value), rows_used(head.query)
                for i in sorted({i for i, c in wanted if c in written}):
                    live.add(h * N + i)
                    read |= {(i, a) for a in queries}
                    for j in range(N):
                        if head.mask is None or head.mask[i][j]:
                            read |= {(j, a) for a in keys | values}
            units.append(frozenset(live))
            wanted = (wanted if block.attention.residual else set()) | read
    inputs = {k for i, a in wanted for k, row in enumerate(t.embed[i]) if row[a]}
    return Relevance(frozenset(inputs), tuple(reversed(units)))


RELEVANCE: dict[type, Callable[..., Relevance]] = {Mlp: mlp_relevance, Transformer: transformer_relevance}
