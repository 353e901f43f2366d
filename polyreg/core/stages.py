"""Networks as programs of nonlinear stages acting on affine maps of the input.

On a cell every intermediate value of a network is affine in ``x``. A *state* is a tuple of
``flint.fmpq_mat`` blocks of shape rows x (1 + d), column 0 the constant: one block for an MLP
(its current vector), one per token for a transformer. A *stage* (a ReLU or maxout layer with
the linear layers before it, an attention sublayer, a feed-forward sublayer) names, on a given
state, its units and their options as rows ``0 <= b + a.x``; given one choice per unit it
returns the next state. The enumerator (``enumerate.py``) decides the units and keeps its decisions; this module
knows the networks and holds no state of the enumeration.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Optional, Sequence

import flint

from ..errors import InputError
from ..exact.flint_matrices import Conversions, constant_column, fq, integer_rows, primitive
from ..exact.rationals import Mat, Row
from ..geometry.polyhedron import RowId
from ..network.ir import Attention, Dense, FeedForward, Head, Maxout, Mlp, Network, Relu, Transformer
from ..network.relevance import relevance

Maps = tuple[flint.fmpq_mat, ...]
# The affine maps a program holds are dense (rows) x (1 + input_dim) matrices of exact rationals, at least 16 bytes
# an entry: a network whose maps would hold more entries than this is refused before any work (``check_map_size``).
MAX_MAP_ENTRIES = 50_000_000
# A ReLU layer of at least this many units over one input is split at the median of its breakpoints, each unit
# settled in the first cell it no longer cuts (``enumerate.Enumerator.settled``): O(n log n) nodes, not n^2 / 2.
WIDE = 64
BYTES_PER_ENTRY = 16


class ScoreNotAffine(InputError):
    """An attention score difference is quadratic in the input on some cell."""


@dataclass(frozen=True)
class Unit:
    """One unit's options on a cell: rows per option (``option_rows``), or an option ``fixed`` without geometry.

    Hard-max heads also carry ``averages``: their output per winning option, and the tie-safety test.
    """
    fixed: Optional[int] = None
    option_rows: dict[int, list[tuple[RowId, Row]]] = field(default_factory=dict)
    num_options: int = 2
    name: str = ""
    averages: Optional["Averages"] = None


OFF = Unit(fixed=0)     # a unit switched off: a ReLU inactive, a maxout's first piece, a head adding nothing


@dataclass
class Step:
    """A stage evaluated on one state: its units, and the next state given their choices. For a ReLU layer with a
    linear layer after it, also the next state one choice at a time: ``(base + sum of share(u, choice of u),)``
    (``share`` None for a choice that adds nothing)."""
    units: list[Unit]
    apply: Callable[[list[int]], Maps]
    share: Optional[Callable[[int, int], Optional[flint.fmpq_mat]]] = None
    base: Optional[flint.fmpq_mat] = None


class Stage:
    name: str
    size: int    # the number of units per token
    live: Optional[frozenset[int]] = None   # the units that may reach the outputs (None: all); others are off

    def is_live(self, u: int) -> bool:
        return self.live is None or u in self.live

    def splits_at_medians(self, dim: int) -> bool:
        """Whether ``enumerate`` splits this stage at median breakpoints (``WIDE``)."""
        return False

    def at(self, state: Maps, index: int) -> Step:   # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class Program:
    """A network as ``output(stage_n(... stage_1(start)))``."""
    input_dim: int
    start: Maps
    stages: list[Stage]
    output: Callable[[Maps], flint.fmpq_mat]
    tokens: int = 1


def program_of(net: Network, only_relevant: bool = False, conversions: Optional[Conversions] = None) -> Program:
    """The network's program; with ``only_relevant``, units that cannot reach an output are switched off (fixed
    without a decision: a ReLU inactive, a maxout to its first piece, a head adds nothing). ``conversions`` shares
    FLINT weight matrices between programs of networks that share weights. Raises ``InputError`` when its maps
    would be too large (``check_map_size``)."""
    check_map_size(net)
    build = PROGRAM_BUILDERS[type(net)]
    program = build(net, conversions if conversions is not None else Conversions())
    if only_relevant:
        for stage, live in zip(program.stages, relevance(net, range(net.output_dim)).units):
            stage.live = live
    return program


def map_entries(net: Network) -> int:
    """The most exact entries the program of ``net`` holds in one affine map of the input: the widest layer (MLP) or
    the widest of a token's values, feed-forward units and head projections over all tokens (transformer), times
    ``1 + input_dim``; for a transformer also an attention score's ``(1 + input_dim)^2`` quadratic form."""
    columns = 1 + net.input_dim
    if isinstance(net, Mlp):
        return max((net.input_dim,) + net.widths) * columns
    rows = [net.width] + [len(b.feed_forward.b1) for b in net.blocks if b.feed_forward is not None]
    rows += [len(m[0]) for b in net.blocks if b.attention is not None for h in b.attention.heads
             for m in (h.query, h.value)]
    return max(net.tokens * max(rows) * columns, columns * columns)


def check_map_size(net: Network) -> None:
    """Raise ``InputError`` when the program of ``net`` would hold an affine map of more than ``MAX_MAP_ENTRIES``
    exact entries (``map_entries``)."""
    entries = map_entries(net)
    if entries > MAX_MAP_ENTRIES:
        raise InputError(f"the network's intermediate affine maps of its {net.input_dim} inputs would hold "
                         f"{entries:,} exact rationals, which needs about {entries * BYTES_PER_ENTRY / 1e9:.1f} GB or "
                         f"more; polyreg enumerates networks whose maps hold at most {MAX_MAP_ENTRIES:,} "
                         f"(about {MAX_MAP_ENTRIES * BYTES_PER_ENTRY / 1e9:.1f} GB): use fewer inputs or narrower "
                         "layers")


# --- shared helpers -------------------------------------------------------------------------

def relu_unit(index: int, u: int, h: Row) -> Unit:
    """Options of a ReLU unit with pre-activation ``h``: 0 (``-h >= 0``) and 1 (``h >= 0``);
    a constant pre-activation is decided at once (active iff > 0)."""
    if not any(h[1:]):
        return Unit(fixed=int(h[0] > 0))
    rid, h = (index, u, -1), primitive(h)
    return Unit(option_rows={0: [(rid, tuple(-v for v in h))], 1: [(rid, h)]})


def argmax_unit(index: int, u: int, pieces: Sequence[Optional[Row]], name: str = "",
                averages: Optional["Averages"] = None) -> Unit:
    """Options of a max over ``pieces`` (None: not a candidate): one representative per piece
    not identical to, or below by a constant, another (the smallest index among identical
    pieces); each option's rows say it is maximal. Pieces must share one scale."""
    candidates = {r: z for r, z in enumerate(pieces) if z is not None}
    best: dict[Row, int] = {}
    for r, z in candidates.items():
        if z[1:] not in best or z[0] > candidates[best[z[1:]]][0]:
            best[z[1:]] = r
    survivors = sorted(best.values())
    if len(survivors) == 1:
        return Unit(fixed=survivors[0], num_options=len(pieces), name=name, averages=averages)
    rows = {r: [((index, u, t), primitive(tuple(a - b for a, b in zip(candidates[r], candidates[t]))))
                for t in survivors if t != r] for r in survivors}
    return Unit(option_rows=rows, num_options=len(pieces), name=name, averages=averages)


class ClassStage(Stage):
    """The predicted class: one argmax unit over the network's outputs (option ``k``: output ``k`` is largest; of
    identical outputs the lowest index stands for all). The state is unchanged."""
    name, size = "class (argmax of the outputs)", 1

    def __init__(self, output: Callable[[Maps], flint.fmpq_mat]):
        self.output = output

    def at(self, state: Maps, index: int) -> Step:
        return Step([argmax_unit(index, 0, integer_rows(self.output(state)), "class")], lambda choices: state)


def with_class_stage(program: Program) -> Program:
    """``program`` followed by its ``ClassStage``: refining it also splits every cell by the predicted class."""
    return Program(program.input_dim, program.start, program.stages + [ClassStage(program.output)], program.output,
                   program.tokens)


# --- MLPs -----------------------------------------------------------------------------------

class LayerStage(Stage):
    """A ReLU or maxout layer, with the linear layers before it and the first one after it (``after``, set by
    ``mlp_program``; its state is that layer's output)."""

    def __init__(self, name: str, linear: list[tuple[flint.fmpq_mat, flint.fmpq_mat]], layer: Relu | Maxout,
                 size: int):
        self.name, self.linear, self.layer, self.size = name, linear, layer, size
        self.after: Optional[tuple[flint.fmpq_mat, flint.fmpq_mat]] = None
        self.columns: list[flint.fmpq_mat] = []     # the columns of ``after``'s weight, made on first use
        self.weight: Optional[Scaled] = None        # ``after``'s weight in integers, made on first use

    def at(self, state: Maps, index: int) -> Step:
        z = apply_linear(self.linear, state[0])
        functions = integer_rows(z)
        if isinstance(self.layer, Relu):
            units = [relu_unit(index, u, h) if self.is_live(u) else OFF for u, h in enumerate(functions)]
        else:
            k = self.layer.rank
            units = [argmax_unit(index, u, functions[u * k:(u + 1) * k]) if self.is_live(u) else OFF
                     for u in range(len(functions) // k)]
        after, entries = self.after, Entries(z)
        if after is None:
            return Step(units, lambda choices: (gate(self.layer, choices, entries),))
        W, C = after
        if self.weight is None:
            self.weight = scaled(W)
        weight = self.weight
        step = Step(units, lambda choices: (gate(self.layer, choices, entries, weight) + C,))
        if isinstance(self.layer, Relu):
            step.share, step.base = self.shares(W, z), C
        return step

    def shares(self, W: flint.fmpq_mat, z: flint.fmpq_mat) -> Callable[[int, int], Optional[flint.fmpq_mat]]:
        """Unit u's share of the next state when active: column u of ``W`` (``after``'s weight) times row u of ``z``."""
        cols = z.ncols()
        if not self.columns:
            entries = W.entries()
            self.columns = [flint.fmpq_mat(W.nrows(), 1, entries[u::W.ncols()]) for u in range(W.ncols())]
        entries = z.entries()

        def share(u: int, choice: int) -> Optional[flint.fmpq_mat]:
            return self.columns[u] * flint.fmpq_mat(1, cols, entries[u * cols:(u + 1) * cols]) if choice else None
        return share

    def splits_at_medians(self, dim: int) -> bool:
        """Whether ``enumerate`` splits this layer at median breakpoints (``WIDE``)."""
        return dim == 1 and isinstance(self.layer, Relu) and self.after is not None and self.size >= WIDE


def apply_linear(linear: list[tuple[flint.fmpq_mat, flint.fmpq_mat]], M: flint.fmpq_mat) -> flint.fmpq_mat:
    for W, C in linear:
        M = W * M + C
    return M


Scaled = tuple[flint.fmpz_mat, int]     # a rational matrix as integer numerators over one positive denominator


def scaled(M: flint.fmpq_mat) -> Scaled:
    numer, denominator = M.numer_denom()
    return numer, int(denominator)


class Entries:
    """A rational matrix's integer numerators and their denominator, read out of FLINT once for the many selections
    of its rows (``product``)."""
    __slots__ = ("cols", "values", "denominator")

    def __init__(self, M: flint.fmpq_mat) -> None:
        numer, denominator = M.numer_denom()
        self.cols, self.values, self.denominator = M.ncols(), numer.entries(), int(denominator)


def gate(layer: Relu | Maxout, choices: list[int], M: Entries, W: Optional[Scaled] = None) -> flint.fmpq_mat:
    """``W`` (None: the identity) times the map after the nonlinear layer, given every unit's choice: for ReLU,
    ``M`` with the rows of inactive units zeroed; for maxout, the chosen piece's row of each unit."""
    if isinstance(layer, Relu):
        return product(W, M, [i if choice else None for i, choice in enumerate(choices)])
    return product(W, M, [i * layer.rank + choice for i, choice in enumerate(choices)])


def product(W: Optional[Scaled], M: Entries, rows: Sequence[Optional[int]]) -> flint.fmpq_mat:
    """``W S M`` (``W`` None: the identity) for the 0/1 selection matrix ``S`` whose row ``k`` picks row ``rows[k]``
    of ``M`` (a zero row for None), in time and memory linear in the selection's size (``S`` is never built), and in
    integers: FLINT multiplies integer matrices about 8x faster than rational ones."""
    cols, entries = M.cols, M.values
    out: list = []
    zero = [0] * cols
    for r in rows:
        out.extend(zero if r is None else entries[r * cols:(r + 1) * cols])
    selected = flint.fmpz_mat(len(rows), cols, out)
    if W is None:
        return flint.fmpq_mat(selected) / M.denominator
    return flint.fmpq_mat(W[0] * selected) / (W[1] * M.denominator)


def folded(pending: list[tuple[flint.fmpq_mat, flint.fmpq_mat]],
           layer: tuple[flint.fmpq_mat, flint.fmpq_mat]) -> list[tuple[flint.fmpq_mat, flint.fmpq_mat]]:
    """``pending`` followed by ``layer``, the last two linear layers multiplied into one where that costs fewer
    products per cell (``W2 (W1 M + C1) + C2 = (W2 W1) M + (W2 C1 + C2)``; a 784 -> 2 input plane followed by a
    64 x 784 layer becomes 64 x 2), else appended."""
    if pending:
        (W1, C1), (W2, C2) = pending[-1], layer
        if W2.nrows() * W1.ncols() <= W2.nrows() * W2.ncols() + W1.nrows() * W1.ncols():
            return pending[:-1] + [(W2 * W1, W2 * C1 + C2)]
    return pending + [layer]


def mlp_program(net: Mlp, conversions: Conversions) -> Program:
    d = net.input_dim
    stages: list[LayerStage] = []
    pending: list[tuple[flint.fmpq_mat, flint.fmpq_mat]] = []
    for i, (layer, width) in enumerate(zip(net.layers, net.widths)):
        if isinstance(layer, Dense):
            pending = folded(pending, (conversions.matrix(layer.weight), constant_column(layer.bias, d)))
        else:
            kind = "relu" if isinstance(layer, Relu) else f"maxout rank {layer.rank}"
            stages.append(LayerStage(f"layer {i} ({kind})", pending, layer, width))
            pending = []
    for i, stage in enumerate(stages):       # each stage applies the first linear layer after it
        later = stages[i + 1].linear if i + 1 < len(stages) else pending
        if later:
            stage.after = later.pop(0)
    identity = flint.fmpq_mat(d, d + 1, [int(j == i + 1) for i in range(d) for j in range(d + 1)])
    return Program(d, (identity,), [*stages], lambda state: apply_linear(pending, state[0]))


# --- transformers ---------------------------------------------------------------------------

def transformer_program(t: Transformer, conversions: Conversions) -> Program:
    d = t.input_dim
    start = tuple(constant_column(p, d) + embed_map(E, d) for E, p in zip(t.embed, t.positions))
    stages: list[Stage] = []
    for b, block in enumerate(t.blocks):
        if block.attention is not None:
            stages.append(AttentionStage(b, block.attention, d, conversions))
        if block.feed_forward is not None:
            stages.append(FeedForwardStage(b, block.feed_forward, d, conversions))
    readout = [(conversions.matrix(R, transpose=True), i) for i, R in enumerate(t.readout) if R is not None]
    bias = constant_column(t.readout_bias, d)

    def output(state: Maps) -> flint.fmpq_mat:
        total = bias
        for R, i in readout:
            total = total + R * state[i]
        return total
    return Program(d, start, stages, output, t.tokens)


PROGRAM_BUILDERS: dict[type, Callable[..., Program]] = {Mlp: mlp_program, Transformer: transformer_program}


def embed_map(E: Mat, d: int) -> flint.fmpq_mat:
    """``x -> x E`` as a width x (1 + d) matrix."""
    width = len(E[0])
    return flint.fmpq_mat(width, d + 1, [fq(E[j - 1][c]) if j else 0 for c in range(width) for j in range(d + 1)])


class AttentionStage(Stage):
    """A hard-max attention sublayer: one argmax unit per (head, query token)."""

    def __init__(self, block: int, attention: Attention, d: int, conversions: Conversions):
        self.name, self.block, self.attention, self.d = f"block {block} attention", block, attention, d
        self.size = len(attention.heads)
        self.heads: list[tuple[flint.fmpq_mat, flint.fmpq_mat, flint.fmpq_mat, flint.fmpq_mat, Head]] = [
            (conversions.matrix(h.query, True), conversions.matrix(h.key, True),
             conversions.matrix(h.value, True), conversions.matrix(h.output, True), h)
            for h in attention.heads]   # all transposed

    def at(self, state: Maps, index: int) -> Step:
        N = len(state)
        units: list[Unit] = []
        for h, (Q, K, V, Wo, head) in enumerate(self.heads):
            queries = [Q * X if self.is_live(h * N + i) else None for i, X in enumerate(state)]
            constant = constant_queries(queries)
            value = token_values(Wo, V, state)
            seen: dict[tuple, Unit] = {}    # a unit of an earlier query token that scores the keys alike
            for i in range(N):
                name = f"block {self.block}, head {h}, query token {i}"
                if not self.is_live(len(units)):
                    units.append(Unit(fixed=0, num_options=N))
                    continue
                allowed = [j for j in range(N) if head.mask is None or head.mask[i][j]]
                bias = None if head.score_bias is None else head.score_bias[i]
                key = None
                if constant is not None:
                    query = constant[i]
                    assert query is not None   # query token i is live (checked above)
                    key = (tuple(query.entries()), tuple(allowed), bias)
                twin = seen.get(key) if key is not None else None
                if twin is not None:
                    units.append(renamed(twin, index, len(units), name))
                    continue
                pieces = self.pieces(constant, queries, state, K, head, i, allowed, h)
                unit = argmax_unit(index, len(units), pieces, name, Averages(pieces, value))
                if key is not None:
                    seen[key] = unit
                units.append(unit)

        def apply(choices: list[int]) -> Maps:
            out = [X if self.attention.residual else flint.fmpq_mat(X.nrows(), X.ncols()) for X in state]
            for u, choice in enumerate(choices):
                averages = units[u].averages
                if averages is not None:
                    out[u % N] = out[u % N] + averages(choice)
            return tuple(out)
        return Step(units, apply)

    def pieces(self, constant: Optional[list[Optional[flint.fmpq_mat]]], queries: list, state: Maps,
               K: flint.fmpq_mat, head: Head, i: int, allowed: list[int], h: int) -> list[Optional[Row]]:
        """Each key's score at query ``i`` as an integer row (None: masked)."""
        bias = None if head.score_bias is None else head.score_bias[i]
        if constant is not None:
            query = constant[i]
            assert query is not None   # only live query tokens are scored
            w = query * K       # score_j = q_i . (K X_j) = (q_i K) X_j
            scores = flint.fmpq_mat([list((w * state[j]).entries()) for j in allowed])
            if bias is not None:
                for k, j in enumerate(allowed):
                    scores[k, 0] += fq(bias[j])
        else:
            scores = self.score_rows(queries[i], [K * state[j] for j in allowed], head, i, allowed, h)
        pieces: list[Optional[Row]] = [None] * len(state)
        for j, row in zip(allowed, integer_rows(scores)):
            pieces[j] = row
        return pieces

    def score_rows(self, q: flint.fmpq_mat, keys: list[flint.fmpq_mat], head: Head, i: int,
                   allowed: list[int], h: int) -> flint.fmpq_mat:
        """Each allowed key's score as an affine row in x; raises if the differences are not affine."""
        d = self.d
        qt = q.transpose()
        rows, quadratic = [], None
        for j, k in zip(allowed, keys):
            G = qt * k    # score(x) = (1, x) G (1, x)^T
            quad = [[G[a, b] + G[b, a] for b in range(1, d + 1)] for a in range(1, d + 1)]
            if quadratic is None:
                quadratic, first = quad, j
            elif quad != quadratic:
                raise ScoreNotAffine(
                    f"block {self.block}, head {h}, query token {i}: the score difference between keys "
                    f"{first} and {j} is quadratic in the input (query and key both depend on x); "
                    "polyreg certifies hard-max attention only where score differences are affine")
            bias = fq(head.score_bias[i][j]) if head.score_bias is not None else 0
            rows.append([G[0, 0] + bias] + [G[0, a] + G[a, 0] for a in range(1, d + 1)])
        return flint.fmpq_mat(rows)


def constant_queries(queries: list[Optional[flint.fmpq_mat]]) -> Optional[list[Optional[flint.fmpq_mat]]]:
    """Each query (None: switched off) as a 1 x m row when no query depends on x, else None."""
    rows: list[Optional[flint.fmpq_mat]] = []
    for q in queries:
        if q is None:
            rows.append(None)
            continue
        entries = q.tolist()
        if any(any(row[1:]) for row in entries):
            return None
        rows.append(flint.fmpq_mat(1, len(entries), [row[0] for row in entries]))
    return rows


def renamed(unit: Unit, index: int, u: int, name: str) -> Unit:
    """A unit with the options of ``unit`` (and its averages), its rows named as unit ``u``."""
    rows = {r: [((index, u, rid[2]), row) for rid, row in option] for r, option in unit.option_rows.items()}
    return Unit(unit.fixed, rows, unit.num_options, name, unit.averages)


def token_values(Wo: flint.fmpq_mat, V: flint.fmpq_mat, state: Maps) -> Callable[[int], flint.fmpq_mat]:
    """Key ``j``'s contribution ``(X_j Wv) Wo`` as a map of x, computed when first needed."""
    return lru_cache(maxsize=None)(lambda j: Wo * (V * state[j]))


class Averages:
    """A hard-max unit's output when option ``r`` wins: the average of the values of the keys whose score equals
    ``r``'s; and whether two options agree wherever they tie. Both are remembered here, as the units of query tokens
    that score the keys alike share this object."""

    def __init__(self, pieces: Sequence[Optional[Row]], value: Callable[[int], flint.fmpq_mat]) -> None:
        self.pieces, self.value = pieces, value
        self.averages: dict[int, flint.fmpq_mat] = {}
        self.safe: dict[tuple[int, int], bool] = {}

    def __call__(self, r: int) -> flint.fmpq_mat:
        if r not in self.averages:
            tied = [j for j, z in enumerate(self.pieces) if z is not None and z == self.pieces[r]]
            total = self.value(tied[0])
            for j in tied[1:]:
                total = total + self.value(j)
            self.averages[r] = total * flint.fmpq(1, len(tied)) if len(tied) > 1 else total
        return self.averages[r]

    def tie_safe(self, r: int, t: int) -> bool:
        """Wherever options ``r`` and ``t`` tie their outputs agree: every row of the output difference is a
        multiple of the score difference."""
        if (r, t) not in self.safe:
            self.safe[r, t] = self.proportional_rows(r, t)
        return self.safe[r, t]

    def proportional_rows(self, r: int, t: int) -> bool:
        diff, _ = (self(r) - self(t)).numer_denom()
        zr, zt = self.pieces[r], self.pieces[t]
        assert zr is not None and zt is not None   # options of a unit are candidate keys
        score = [a - b for a, b in zip(zr, zt)]
        pivot = next(c for c, s in enumerate(score) if s)
        for row in diff.tolist():
            if any(row) and any(v * score[pivot] != row[pivot] * s for v, s in zip(row, score)):
                return False
        return True


class FeedForwardStage(Stage):
    """A token-wise ReLU feed-forward sublayer: one ReLU unit per (token, hidden unit)."""

    def __init__(self, block: int, ff: FeedForward, d: int, conversions: Conversions):
        self.name, self.ff, self.size = f"block {block} feed-forward", ff, len(ff.b1)
        self.w1 = conversions.matrix(ff.w1, True)
        self.b1 = constant_column(ff.b1, d)
        self.w2 = scaled(conversions.matrix(ff.w2, True))
        self.b2 = constant_column(ff.b2, d)

    def at(self, state: Maps, index: int) -> Step:
        hidden = [self.w1 * X + self.b1 for X in state]
        r = hidden[0].nrows()
        units = [relu_unit(index, t * r + u, h) if self.is_live(t * r + u) else OFF
                 for t, H in enumerate(hidden) for u, h in enumerate(integer_rows(H))]
        entries = [Entries(H) for H in hidden]

        def apply(choices: list[int]) -> Maps:
            out = []
            for t, (X, H) in enumerate(zip(state, entries)):
                update = product(self.w2, H, [u if choices[t * r + u] else None for u in range(r)]) + self.b2
                out.append(X + update if self.ff.residual else update)
            return tuple(out)
        return Step(units, apply)
