"""Network intermediate representation: frozen, exact, shape-checked at construction.

An ``Mlp`` maps ``Q^input_dim`` to ``Q^output_dim`` by applying its layers in order:
``Dense`` is ``y = W x + c``; ``Relu`` is ``y_i = max(x_i, 0)``; ``Maxout(rank=k)`` is
``y_i = max(x_{ik}, ..., x_{ik+k-1})``.

A ``Transformer`` has ``tokens`` rows of width ``width``; its matrices act on row vectors
(token row times matrix, shape in x out), as in the transformer literature. See the class.

Every class takes its numbers by the rule of ``exact.rationals.to_q`` and stores them exact: matrices and vectors
may be lists, tuples or numpy arrays of ints, Fractions, floats (their exact binary values), numpy numbers or strings
such as "1/3", and become tuples (of tuples) of ``Fraction`` at construction; an entry that is not a number is an
``InputError`` naming the class, the field and the entry (``Dense weight[0][1]``). The shapes are checked by ``Mlp``
and ``Transformer``. A ``repr`` is a short summary (``Dense(8 x 2)``), whatever the size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence, Union

from ..errors import InputError
from ..exact.rationals import Mat, Vec, entries, is_numpy_scalar, raise_bad, to_q_matrix, to_q_vector

MAX_LAYER_ENTRIES = 50_000_000     # the largest dense layer a front end builds (about 0.4 GB of references)


@dataclass(frozen=True, slots=True)
class Dense:
    weight: Mat   # out x in
    bias: Vec     # out

    def __post_init__(self) -> None:
        exact_fields(self, "Dense", matrices=("weight",), vectors=("bias",))

    def __repr__(self) -> str:
        return f"Dense({len(self.weight)} x {len(self.weight[0]) if self.weight else 0})"


@dataclass(frozen=True, slots=True)
class Relu:
    pass


@dataclass(frozen=True, slots=True)
class Maxout:
    rank: int     # each unit is the max of `rank` consecutive inputs

    def __post_init__(self) -> None:
        object.__setattr__(self, "rank", plain_int(self.rank))


Layer = Union[Dense, Relu, Maxout]


@dataclass(frozen=True, slots=True)
class Mlp:
    input_dim: int
    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_dim", plain_int(self.input_dim))
        if isinstance(self.layers, list):
            object.__setattr__(self, "layers", tuple(self.layers))
        problems = shape_problems(self.input_dim, self.layers)
        if problems:
            raise InputError(f"network has {len(problems)} shape problem(s):\n  " + "\n  ".join(problems))

    def __repr__(self) -> str:
        return f"Mlp({architecture(self)})"

    @property
    def widths(self) -> tuple[int, ...]:
        """The width after each layer (``widths[-1]`` is the output dimension)."""
        return layer_widths(self.input_dim, self.layers)

    @property
    def output_dim(self) -> int:
        return self.widths[-1] if self.layers else self.input_dim


def architecture(net: Mlp) -> str:
    """The widths in order, each with the nonlinearity after it: ``2 -> 8 relu -> 8 relu -> 1`` (``9 max3 (3)``:
    9 pieces, maxout of rank 3, 3 units); the middle of a deep network elided."""
    steps = [str(net.input_dim)]
    for layer, width in zip(net.layers, net.widths):
        if isinstance(layer, Dense):
            steps.append(str(len(layer.bias)))
        else:
            steps[-1] += " relu" if isinstance(layer, Relu) else f" max{getattr(layer, 'rank', '?')} ({width})"
    if len(steps) > 7:
        steps = steps[:3] + ["..."] + steps[-3:]
        return " -> ".join(steps) + f" ({len(net.layers)} layers)"
    return " -> ".join(steps)


def layer_widths(input_dim: int, layers: tuple[Layer, ...]) -> tuple[int, ...]:
    widths, width = [], input_dim
    for layer in layers:
        if isinstance(layer, Dense):
            width = len(layer.bias)
        elif isinstance(layer, Maxout):
            width //= layer.rank
        widths.append(width)
    return tuple(widths)


def shape_problems(input_dim: int, layers: tuple[Layer, ...]) -> list[str]:
    """Every shape inconsistency of the layer list, each naming its layer."""
    if not isinstance(input_dim, int) or isinstance(input_dim, bool) or input_dim < 1:
        return [f"input_dim: expected a positive integer, got {input_dim!r}"]
    problems, width = [], input_dim
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            if len(layer.weight) != len(layer.bias):
                problems.append(f"layer {i} (linear): weight has {len(layer.weight)} rows "
                                f"but bias has {len(layer.bias)} entries")
            for r, row in enumerate(layer.weight):
                if len(row) != width:
                    problems.append(f"layer {i} (linear): weight[{r}] has {len(row)} entries; "
                                    f"expected {width} (the width of the layer's input)")
                    break
            if not layer.bias:
                problems.append(f"layer {i} (linear): the layer has no outputs")
            width = len(layer.bias)
        elif isinstance(layer, Maxout):
            if not isinstance(layer.rank, int) or isinstance(layer.rank, bool):
                problems.append(f"layer {i} (maxout): rank must be a positive integer, got {layer.rank!r}")
            elif layer.rank < 1:
                problems.append(f"layer {i} (maxout): rank must be a positive integer, got {layer.rank}")
            elif width % layer.rank:
                problems.append(f"layer {i} (maxout): input width {width} is not a multiple of rank {layer.rank}")
            else:
                width //= layer.rank
        elif not isinstance(layer, Relu):
            problems.append(f"layer {i}: unknown layer object {layer!r}")
    return problems


@dataclass(frozen=True, slots=True)
class Head:
    """One hard-max head: query ``i`` scores key ``j`` by ``(X_i Wq).(X_j Wk) + score_bias[i][j]``,
    attends uniformly to the allowed keys of maximal score (ties averaged), and adds
    ``average(X_j Wv) Wo`` to token ``i``."""
    query: Mat                       # width x m
    key: Mat                         # width x m
    value: Mat                       # width x v
    output: Mat                      # v x width
    score_bias: Optional[Mat] = None           # tokens x tokens
    mask: Optional[tuple[tuple[bool, ...], ...]] = None   # tokens x tokens, True = may attend

    def __post_init__(self) -> None:
        exact_fields(self, "Head", matrices=("query", "key", "value", "output"), optional=("score_bias",))
        if self.mask is not None:
            object.__setattr__(self, "mask", bool_matrix(self.mask, "Head mask"))

    def __repr__(self) -> str:
        extras = "".join(f", {name}" for name in ("score_bias", "mask") if getattr(self, name) is not None)
        return f"Head(query {size(self.query)}, value {size(self.value)}{extras})"


@dataclass(frozen=True, slots=True)
class Attention:
    heads: tuple[Head, ...]
    residual: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.heads, list):
            object.__setattr__(self, "heads", tuple(self.heads))

    def __repr__(self) -> str:
        return f"Attention({len(self.heads)} heads{'' if self.residual else ', not residual'})"


@dataclass(frozen=True, slots=True)
class FeedForward:
    """Token-wise ``Z -> Z + relu(Z W1 + b1) W2 + b2`` (without ``Z +`` if not residual)."""
    w1: Mat    # width x hidden
    b1: Vec
    w2: Mat    # hidden x width
    b2: Vec
    residual: bool = True

    def __post_init__(self) -> None:
        exact_fields(self, "FeedForward", matrices=("w1", "w2"), vectors=("b1", "b2"))

    def __repr__(self) -> str:
        width = len(self.b2)
        return f"FeedForward({width} -> {len(self.b1)} -> {width}{'' if self.residual else ', not residual'})"


@dataclass(frozen=True, slots=True)
class Block:
    """Attention (if any), then the feed-forward sublayer (if any)."""
    attention: Optional[Attention]
    feed_forward: Optional[FeedForward]


@dataclass(frozen=True, slots=True)
class Transformer:
    """A hard-max transformer ``Q^input_dim -> Q^output_dim``.

    Token ``t`` starts as ``x E_t + p_t``; the blocks follow in order; the output is
    ``sum_t X_t R_t + c`` over the tokens with a readout matrix ``R_t`` (None: not read).
    """
    input_dim: int
    tokens: int
    width: int
    embed: tuple[Mat, ...]           # per token, input_dim x width
    positions: Mat                   # tokens x width
    blocks: tuple[Block, ...]
    readout: tuple[Optional[Mat], ...]   # per token, width x output_dim
    readout_bias: Vec

    def __post_init__(self) -> None:
        for name in ("input_dim", "tokens", "width"):
            object.__setattr__(self, name, plain_int(getattr(self, name)))
        embed = entries(self.embed, "Transformer embed", "matrices (one per token)")
        object.__setattr__(self, "embed", tuple(to_q_matrix(E, where=f"Transformer embed[{t}]")
                                                for t, E in enumerate(embed)))
        readout = entries(self.readout, "Transformer readout", "matrices or None (one per token)")
        object.__setattr__(self, "readout", tuple(
            None if R is None else to_q_matrix(R, where=f"Transformer readout[{t}]") for t, R in enumerate(readout)))
        exact_fields(self, "Transformer", matrices=("positions",), vectors=("readout_bias",))
        if isinstance(self.blocks, list):
            object.__setattr__(self, "blocks", tuple(self.blocks))
        problems = transformer_problems(self)
        if problems:
            raise InputError(f"transformer has {len(problems)} shape problem(s):\n  " + "\n  ".join(problems))

    @property
    def output_dim(self) -> int:
        return len(self.readout_bias)

    def __repr__(self) -> str:
        heads = sum(len(b.attention.heads) for b in self.blocks if b.attention is not None)
        return (f"Transformer({self.input_dim} -> {self.output_dim}, {self.tokens} tokens, width {self.width}, "
                f"{len(self.blocks)} blocks, {heads} heads)")


Network = Union[Mlp, Transformer]


def exact_fields(obj: Any, kind: str, matrices: Sequence[str] = (), vectors: Sequence[str] = (),
                 optional: Sequence[str] = ()) -> None:
    """Store the named fields of a frozen ``obj`` as exact matrices and vectors (``to_q_matrix``, ``to_q_vector``);
    ``optional`` matrices may be None."""
    for name in (*matrices, *optional):
        value = getattr(obj, name)
        if value is not None or name not in optional:
            object.__setattr__(obj, name, to_q_matrix(value, where=f"{kind} {name}"))
    for name in vectors:
        object.__setattr__(obj, name, to_q_vector(getattr(obj, name), where=f"{kind} {name}"))


def plain_int(value: object) -> Any:
    """A numpy integer as an ``int``; anything else unchanged (the shape checks judge it)."""
    if is_numpy_scalar(value):
        item = value.item()  # type: ignore[attr-defined]
        if isinstance(item, int) and not isinstance(item, bool):
            return item
    return value


def bool_matrix(rows: object, where: str) -> tuple[tuple[bool, ...], ...]:
    """A matrix of booleans (True, False, numpy booleans, or 1 and 0) as a tuple of tuples of ``bool``."""
    def flag(v: object, at: str) -> bool:
        item = v.item() if is_numpy_scalar(v) else v  # type: ignore[attr-defined]
        if isinstance(item, bool) or (isinstance(item, int) and item in (0, 1)):
            return bool(item)
        raise_bad(at, v, "True or False (or 1 or 0)")
    return tuple(tuple(flag(v, f"{where}[{i}][{j}]") for j, v in enumerate(entries(row, f"{where}[{i}]", "booleans")))
                 for i, row in enumerate(entries(rows, where, "rows of booleans")))


def size(matrix: Mat) -> str:
    return f"{len(matrix)} x {len(matrix[0]) if matrix else 0}"


def transformer_problems(t: Transformer) -> list[str]:
    """Every shape inconsistency of a transformer, each naming its block, head and field."""
    for name in ("input_dim", "tokens", "width"):
        value = getattr(t, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return [f"{name}: expected a positive integer, got {value!r}"]
    problems: list[str] = []
    embedding_problems(t, problems)
    for b, block in enumerate(t.blocks):
        if block.attention is not None:
            attention_problems(b, block.attention, t.tokens, t.width, problems)
        if block.feed_forward is not None:
            feed_forward_problems(b, block.feed_forward, t.width, problems)
    readout_problems(t, problems)
    return problems


def shape(problems: list[str], where: str, matrix: Optional[Sequence[Sequence[object]]], rows: int,
          cols: Optional[int]) -> Optional[int]:
    """Check ``matrix`` is rows x cols (any cols if None), adding a problem if not; its column count."""
    if matrix is None or len(matrix) != rows:
        problems.append(f"{where}: expected {rows} rows, got {0 if matrix is None else len(matrix)}")
        return None
    widths = {len(row) for row in matrix}
    if len(widths) != 1 or (cols is not None and widths != {cols}) or 0 in widths:
        expected = f"{cols}" if cols is not None else "the same positive number of"
        problems.append(f"{where}: every row must have {expected} entries, got {sorted(widths)}")
        return None
    return widths.pop()


def embedding_problems(t: Transformer, problems: list[str]) -> None:
    if len(t.embed) != t.tokens:
        problems.append(f"embedding: expected {t.tokens} per-token matrices, got {len(t.embed)}")
    for i, E in enumerate(t.embed):
        shape(problems, f"embedding, token {i}", E, t.input_dim, t.width)
    shape(problems, "positions", t.positions, t.tokens, t.width)


def attention_problems(b: int, attention: Attention, N: int, D: int, problems: list[str]) -> None:
    if not attention.heads:
        problems.append(f"block {b}, attention: has no heads (leave the attention out instead)")
    for h, head in enumerate(attention.heads):
        where = f"block {b}, head {h}"
        m = shape(problems, f"{where}, query", head.query, D, None)
        shape(problems, f"{where}, key", head.key, D, m)
        v = shape(problems, f"{where}, value", head.value, D, None)
        if v is not None:
            shape(problems, f"{where}, output", head.output, v, D)
        if head.score_bias is not None:
            shape(problems, f"{where}, score_bias", head.score_bias, N, N)
        if head.mask is not None and shape(problems, f"{where}, mask", head.mask, N, N) is not None:
            problems.extend(f"{where}, mask: query token {i} may attend to no key"
                            for i, allowed in enumerate(head.mask) if not any(allowed))


def feed_forward_problems(b: int, ff: FeedForward, D: int, problems: list[str]) -> None:
    r = shape(problems, f"block {b}, feed_forward, w1", ff.w1, D, None)
    if r is not None:
        if len(ff.b1) != r:
            problems.append(f"block {b}, feed_forward, b1: expected {r} entries, got {len(ff.b1)}")
        shape(problems, f"block {b}, feed_forward, w2", ff.w2, r, D)
    if len(ff.b2) != D:
        problems.append(f"block {b}, feed_forward, b2: expected {D} entries, got {len(ff.b2)}")


def readout_problems(t: Transformer, problems: list[str]) -> None:
    if len(t.readout) != t.tokens:
        problems.append(f"readout: expected one entry per token ({t.tokens}), got {len(t.readout)}")
    if all(R is None for R in t.readout):
        problems.append("readout: reads no token")
    for i, R in enumerate(t.readout):
        if R is not None:
            shape(problems, f"readout, token {i}", R, t.width, len(t.readout_bias))
    if not t.readout_bias:
        problems.append("readout: the bias is empty (the output needs at least one coordinate)")
