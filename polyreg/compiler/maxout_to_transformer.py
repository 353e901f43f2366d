"""Compile a maxout (or ReLU) network into a hard-max transformer that equals it on a domain.

The construction (Gu, Yang and Zhou, arXiv 2603.03084, as worked out in the project's design
notes): one token per argument of the max; token ``t`` carries the ``t``-th pre-activation of
every unit. In block ``l`` one head per unit, with a constant query and key = value = that
unit's pre-activation, writes the unit's maximum over the tokens into every token. A ReLU
feed-forward layer then writes the next layer's ``t``-th pre-activations into token ``t``:
ReLU gating on the one-hot position code, with a gate constant ``M`` that bounds the
pre-activations over the domain (exact interval bounds), selects a different affine map in
each token. A ReLU unit is a rank-2 maxout unit with second piece 0.

Slots of a token: ``H`` (layer input, then the heads' maxima), ``Y`` (this token's
pre-activations), ``P`` (one-hot position), ``C`` (the constant 1). The readout reads ``H``
of token 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from ..errors import InputError
from ..exact.rationals import Mat, Vec
from ..geometry.oracle import bounding_box
from ..geometry.polyhedron import Polyhedron
from ..network.ir import Attention, Block, Dense, FeedForward, Head, Maxout, Mlp, Network, Relu, Transformer

Interval = tuple[Fraction, Fraction]
ZERO, ONE = Fraction(0), Fraction(1)
# The compiled transformer is dense and grows with the square of the network's width (model width ~ 2 x width,
# feed-forward width ~ rank x width). Each dense parameter takes at least 8 bytes in the IR, 16 more as an exact
# FLINT rational when the transformer is enumerated, and a few in its JSON file: about 24 bytes or more.
MAX_COMPILED_PARAMETERS = 50_000_000
BYTES_PER_PARAMETER = 24


@dataclass(frozen=True, slots=True)
class MaxoutLayer:
    """``h_i = max_j (W_j h + b_j)_i`` with ``rank`` pieces (``W_j``: out x in)."""
    weights: tuple[Mat, ...]
    biases: tuple[Vec, ...]


@dataclass(frozen=True, slots=True)
class MaxoutNet:
    input_dim: int
    layers: tuple[MaxoutLayer, ...]
    readout: Mat      # out x width of the last layer
    readout_bias: Vec


def maxout_form(net: Mlp) -> MaxoutNet:
    """``net`` as linear -> max -> ... -> linear with one rank for all layers: consecutive linear
    layers are composed, ReLU becomes ``max(z, 0)`` and short pieces lists are padded with
    duplicates (which do not change a max)."""
    width = net.input_dim
    W: Mat = identity(width)
    b: Vec = (ZERO,) * width
    raw: list[tuple[list[Mat], list[Vec]]] = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            W = matmul(layer.weight, W)
            b = tuple(c + sum((w * v for w, v in zip(row, b)), ZERO) for row, c in zip(layer.weight, layer.bias))
        elif isinstance(layer, Relu):
            zero = tuple((ZERO,) * len(W[0]) for _ in W)
            raw.append(([W, zero], [b, (ZERO,) * len(b)]))
            W, b = identity(len(W)), (ZERO,) * len(W)
        else:
            assert isinstance(layer, Maxout)
            k, n = layer.rank, len(W) // layer.rank
            raw.append(([tuple(W[i * k + j] for i in range(n)) for j in range(k)],
                        [tuple(b[i * k + j] for i in range(n)) for j in range(k)]))
            W, b = identity(n), (ZERO,) * n
    rank = max([len(ws) for ws, _ in raw] + [1])
    layers = tuple(MaxoutLayer(tuple(ws + [ws[-1]] * (rank - len(ws))), tuple(bs + [bs[-1]] * (rank - len(bs))))
                   for ws, bs in raw)
    return MaxoutNet(net.input_dim, layers, W, b)


def identity(n: int) -> Mat:
    return tuple(tuple(ONE if i == j else ZERO for j in range(n)) for i in range(n))


def matmul(A: Mat, B: Mat) -> Mat:
    return tuple(tuple(sum((a * B[k][j] for k, a in enumerate(row) if a), ZERO) for j in range(len(B[0])))
                 for row in A)


def domain_box(domain: Polyhedron) -> list[Interval]:
    """The exact bounding box of a bounded domain."""
    return [(-low.value, high.value) for low, high in bounding_box(domain.rows)]


def affine_interval(row: Vec, bias: Fraction, inputs: list[Interval]) -> Interval:
    lo = hi = bias
    for w, (a, b) in zip(row, inputs):
        lo += w * (a if w > 0 else b)
        hi += w * (b if w > 0 else a)
    return lo, hi


@dataclass(frozen=True, slots=True)
class Layout:
    d: int
    m: int       # H slots
    n: int       # Y slots
    k: int       # tokens = P slots

    @property
    def width(self) -> int:
        return self.m + self.n + self.k + 1

    def H(self, i: int) -> int:
        return i

    def Y(self, i: int) -> int:
        return self.m + i

    def P(self, j: int) -> int:
        return self.m + self.n + j

    @property
    def C(self) -> int:
        return self.m + self.n + self.k


def compiled_dense_parameters(net: Mlp) -> int:
    """The number of dense parameters (``size_of(...).dense_parameters``) of ``compile_transformer(net, domain)``,
    from the layers' sizes alone (nothing is built)."""
    units = [(w, 2 if isinstance(layer, Relu) else layer.rank)
             for layer, w in zip(net.layers, net.widths) if isinstance(layer, (Relu, Maxout))]
    d, k = net.input_dim, max([rank for _, rank in units] + [1])
    D = max([d] + [n for n, _ in units]) + max([n for n, _ in units] + [1]) + k + 1   # Layout.width
    heads = sum(n for n, _ in units)
    hidden = [n * k + k + h for (n, _), h in zip(units, [d] + [n for n, _ in units])]   # gating_feed_forward
    feed_forward = sum(2 * D * r + r + D for r in hidden)
    return d * D + k * D + net.output_dim * (D + 1) + 4 * D * heads + feed_forward


def check_compiled_size(net: Mlp) -> None:
    """Raise ``InputError`` when the compiled transformer would have more than ``MAX_COMPILED_PARAMETERS`` dense
    parameters (before anything is built)."""
    dense = compiled_dense_parameters(net)
    if dense > MAX_COMPILED_PARAMETERS:
        raise InputError(f"the network (widths {list(net.widths)}) would compile to a transformer with {dense:,} dense "
                         f"parameters, which needs about {dense * BYTES_PER_PARAMETER / 1e9:.1f} GB or more; "
                         f"polyreg compiles at most {MAX_COMPILED_PARAMETERS:,} "
                         f"(about {MAX_COMPILED_PARAMETERS * BYTES_PER_PARAMETER / 1e9:.1f} GB): "
                         "the transformer grows with the square of the width")


def compile_transformer(net: Mlp, domain: Polyhedron) -> Transformer:
    """A hard-max transformer equal to ``net`` on the bounding box of ``domain``; raises ``InputError`` when it
    would be too large (``check_compiled_size``)."""
    check_compiled_size(net)
    mx = maxout_form(net)
    widths = [len(layer.biases[0]) for layer in mx.layers]
    k = len(mx.layers[0].weights) if mx.layers else 1
    L = Layout(mx.input_dim, max([mx.input_dim] + widths), max(widths + [1]), k)
    D = L.width
    embed = tuple(tuple(tuple(ONE if c == L.H(i) else ZERO for c in range(D)) for i in range(L.d)) for _ in range(k))
    positions = tuple(tuple(ONE if c in (L.P(t), L.C) else ZERO for c in range(D)) for t in range(k))
    H: list[Interval] = domain_box(domain)            # contents of the occupied H slots
    Y: list[Interval] = []                            # contents of the occupied Y slots
    blocks: list[Block] = []
    attention: Optional[Attention] = None
    for layer in mx.layers:
        pieces = [[affine_interval(W[i], b[i], H) for W, b in zip(layer.weights, layer.biases)]
                  for i in range(len(layer.biases[0]))]
        blocks.append(Block(attention, gating_feed_forward(L, layer, H, Y, pieces)))
        Y = [(min(lo for lo, _ in p), max(hi for _, hi in p)) for p in pieces] + Y[len(pieces):]
        H = [(max(lo for lo, _ in p), max(hi for _, hi in p)) for p in pieces]
        attention = max_heads(L, len(pieces))
    if attention is not None:
        blocks.append(Block(attention, None))
    last = len(mx.readout[0])    # H slots read: H_a is slot a
    readout = tuple(tuple(row[c] if c < last else ZERO for row in mx.readout) for c in range(D))
    return Transformer(L.d, k, D, embed, positions, tuple(blocks),
                       (readout,) + (None,) * (k - 1), mx.readout_bias)


def max_heads(L: Layout, units: int) -> Attention:
    """One head per unit ``i``: constant query, key = value = ``Y_i``, output into ``H_i``."""
    D = L.width

    def column(slot: int) -> Mat:
        return tuple((ONE if c == slot else ZERO,) for c in range(D))
    return Attention(tuple(Head(column(L.C), column(L.Y(i)), column(L.Y(i)),
                                (tuple(ONE if c == L.H(i) else ZERO for c in range(D)),))
                           for i in range(units)))


def gating_feed_forward(L: Layout, layer: MaxoutLayer, H: list[Interval], Y: list[Interval],
                        pieces: list[list[Interval]]) -> FeedForward:
    """Token ``t`` gets ``Y_i = (W_t H + b_t)_i`` for every unit ``i``, and ``H`` is cleared.

    Units: ``g_ij = relu(u_ij - Y_i + 2M p_j - M)`` (+1 to ``Y_i``), ``q_j = relu(p_j)`` (-M to
    every ``Y_i``) and ``c_a = relu(H_a + B_a)`` (-1 to ``H_a``, with ``+B_a`` in the bias). In
    token ``t`` only ``g_it`` and ``q_t`` are active when ``M >= |u_ij - Y_i|`` on the domain.
    ``M`` and ``B_a`` exceed the exact bounds by 1: the gates and clearing units then keep their
    signs under softmax attention too, as long as its accumulated shortfall from the max is below 1.
    """
    D, n = L.width, len(pieces)
    old = [Y[i] if i < len(Y) else (ZERO, ZERO) for i in range(n)]
    M = ONE + max([ZERO] + [max(hi - y_lo, y_hi - lo) for i in range(n) for lo, hi in pieces[i]
                            for y_lo, y_hi in [old[i]]])
    columns: list[dict[int, Fraction]] = []   # W1 column per hidden unit, as {slot: weight}
    b1: list[Fraction] = []
    outputs: list[dict[int, Fraction]] = []   # W2 row per hidden unit
    for i in range(n):
        for j, (W, b) in enumerate(zip(layer.weights, layer.biases)):
            col = {L.H(a): w for a, w in enumerate(W[i]) if w}
            col[L.Y(i)] = -ONE
            col[L.P(j)] = 2 * M
            columns.append(col)
            b1.append(b[i] - M)
            outputs.append({L.Y(i): ONE})
    for j in range(L.k):
        columns.append({L.P(j): ONE})
        b1.append(ZERO)
        outputs.append({L.Y(i): -M for i in range(n)})
    b2 = [ZERO] * D
    for a, (lo, _) in enumerate(H):
        shift = ONE + max(ZERO, -lo)
        columns.append({L.H(a): ONE})
        b1.append(shift)
        outputs.append({L.H(a): -ONE})
        b2[L.H(a)] = shift
    r = len(columns)
    w1 = tuple(tuple(columns[u].get(c, ZERO) for u in range(r)) for c in range(D))
    w2 = tuple(tuple(outputs[u].get(c, ZERO) for c in range(D)) for u in range(r))
    return FeedForward(w1, tuple(b1), w2, tuple(b2))


@dataclass(frozen=True, slots=True)
class Size:
    blocks: int
    attention_blocks: int
    heads: int
    width: int
    feed_forward_width: int
    tokens: int
    nonzero_parameters: int
    dense_parameters: int


def matrices(net: Network) -> list[Mat | Vec]:
    """Every weight matrix and bias vector of ``net``."""
    if isinstance(net, Mlp):
        return [m for layer in net.layers if isinstance(layer, Dense) for m in (layer.weight, layer.bias)]
    shared = all(E == net.embed[0] for E in net.embed)
    out: list[Mat | Vec] = [*(net.embed[:1] if shared else net.embed), net.positions, net.readout_bias]
    out += [R for R in net.readout if R is not None]
    for block in net.blocks:
        if block.attention is not None:
            for h in block.attention.heads:
                out += [h.query, h.key, h.value, h.output] + ([h.score_bias] if h.score_bias else [])
        if block.feed_forward is not None:
            ff = block.feed_forward
            out += [ff.w1, ff.b1, ff.w2, ff.b2]
    return out


def parameter_counts(net: Network) -> tuple[int, int]:
    """(nonzero, dense) numbers of weights and biases."""
    nonzero = dense = 0
    for m in matrices(net):
        flat = [v for row in m for v in row] if m and isinstance(m[0], tuple) else list(m)
        dense += len(flat)
        nonzero += sum(1 for v in flat if v)
    return nonzero, dense


def size_of(t: Transformer) -> Size:
    nonzero, dense = parameter_counts(t)
    attention = [b.attention for b in t.blocks if b.attention is not None]
    return Size(len(t.blocks), len(attention), sum(len(a.heads) for a in attention), t.width,
                max([len(b.feed_forward.b1) for b in t.blocks if b.feed_forward is not None] + [0]),
                t.tokens, nonzero, dense)
