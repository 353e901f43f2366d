"""Reading networks and domains from JSON, exactly.

JSON decimals are parsed as ``Decimal`` and turned into the rational they spell; strings
``"p/q"`` are rationals; anything else where a number belongs is an error naming the file,
the layer, the field and the index.
"""
from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from polyreg_check.errors import Malformed, shown
from polyreg_check.fields import FIELDS, known_fields
from polyreg_check.load import MAX_BYTES, load

from ..errors import DomainError, InputError, located
from ..exact.rationals import Mat, Vec, q_to_str, to_q
from ..geometry.domains import DiscreteGroup, MixedDomain, Slice, domain_interior_point
from ..geometry.polyhedron import Polyhedron, box, polyhedron_from_inequalities
from ..network.ir import Attention, Block, Dense, FeedForward, Head, Layer, Maxout, Mlp, Network, Relu, Transformer

NETWORK_FORMAT = "polyreg.network/1"
TRANSFORMER_FORMAT = "polyreg.transformer/1"
DOMAIN_FORMAT = "polyreg.domain/1"
BOX_FORMAT = "polyreg.box/1"
MIXED_DOMAIN_FORMAT = "polyreg.mixed-domain/1"
SLICE_FORMAT = "polyreg.slice/1"
DOMAIN_FIELDS = {   # as polyreg_check.fields.FIELDS: (required, optional, pairs of which exactly one is given)
    BOX_FORMAT: ({"format", "lower", "upper"}, set(), ()),
    DOMAIN_FORMAT: ({"format", "A", "b"}, set(), ()),
    MIXED_DOMAIN_FORMAT: ({"format", "input_dim", "discrete"}, {"continuous"}, ()),
    SLICE_FORMAT: ({"format", "origin", "directions", "parameters"}, set(), ()),
    "discrete group": ({"coordinates", "values"}, set(), ()),
    "continuous part": ({"coordinates", "A", "b"}, set(), ()),
}


def read_json(path: str | Path, max_bytes: int = MAX_BYTES) -> Any:
    """Parse a JSON file (gzip-compressed or plain) by the checker's strict reader (``polyreg_check.load``: bounded
    size, depth and numbers, no key twice), with JSON decimals as exact ``Decimal``."""
    try:
        return load(path, max_bytes, parse_float=Decimal)
    except OSError as err:
        raise InputError(f"{path}: cannot read the file ({err.strerror or err})") from None
    except Malformed as err:
        raise InputError(f"{path}: {err}") from None


def fields(obj: Any, kind: str, where: str, table: dict = FIELDS) -> dict:
    """``obj``, once it has the fields of ``kind`` (``polyreg_check.fields``: the checker's rules) and no others."""
    try:
        return known_fields(obj, kind, where, table)
    except Malformed as err:
        raise InputError(str(err)) from None


def load_network(path: str | Path, max_bytes: int = MAX_BYTES) -> Network:
    """Read a ``polyreg.network/1`` or ``polyreg.transformer/1`` file."""
    return network_from_json(read_json(path, max_bytes), source=str(path))


def network_from_json(obj: Any, source: str = "<network>") -> Network:
    """Build an ``Mlp`` or a ``Transformer`` from parsed JSON, by its ``format`` field."""
    if not isinstance(obj, dict):
        raise InputError(f"{source}: expected a JSON object with keys format, input_dim, ...")
    if obj.get("format") not in (NETWORK_FORMAT, TRANSFORMER_FORMAT):
        raise InputError(f"{source}: field 'format' is {shown(obj.get('format'))}; "
                         f"expected {NETWORK_FORMAT!r} or {TRANSFORMER_FORMAT!r}")
    fields(obj, obj["format"], source)
    if obj["format"] == TRANSFORMER_FORMAT:
        return transformer_from_json(obj, source)
    input_dim = obj.get("input_dim")
    if not isinstance(input_dim, int) or isinstance(input_dim, bool) or input_dim < 1:
        raise InputError(f"{source}: field 'input_dim' is {shown(input_dim)}; expected a positive integer")
    layers = obj.get("layers")
    if not isinstance(layers, list) or not layers:
        raise InputError(f"{source}: field 'layers' must be a non-empty list of layer objects")
    parsed = tuple(layer_from_json(layer, f"{source}: layer {i}") for i, layer in enumerate(layers))
    with located(source):
        return Mlp(input_dim, parsed)


def layer_from_json(obj: Any, where: str) -> Layer:
    if not isinstance(obj, dict) or "type" not in obj:
        raise InputError(f"{where}: expected an object with a 'type' field (linear, relu or maxout)")
    kind = obj["type"]
    if kind in ("linear", "relu", "maxout"):
        fields(obj, kind, where)
    if kind == "linear":
        weight = matrix_from_json(obj.get("weight"), f"{where} (linear), field 'weight'")
        bias = vector_from_json(obj.get("bias"), f"{where} (linear), field 'bias'")
        return Dense(weight, bias)
    if kind == "relu":
        return Relu()
    if kind == "maxout":
        rank = obj.get("rank")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            raise InputError(f"{where} (maxout): field 'rank' is {shown(rank)}; expected a positive integer")
        return Maxout(rank)
    raise InputError(f"{where}: unknown layer type {shown(kind)}; expected 'linear', 'relu' or 'maxout'")


def vector_from_json(obj: Any, where: str) -> Vec:
    if not isinstance(obj, list):
        raise InputError(f"{where}: expected a list of numbers, got {type(obj).__name__}")
    return tuple(to_q(v, where=f"{where}[{i}]") for i, v in enumerate(obj))


def matrix_from_json(obj: Any, where: str) -> Mat:
    """A matrix given as a list of rows, or sparsely as ``{"shape": [r, c], "nonzeros": [[i, j, v], ...]}``."""
    if isinstance(obj, dict):
        return sparse_from_json(obj, where)
    if not isinstance(obj, list) or not obj:
        raise InputError(f"{where}: expected a non-empty list of rows, "
                         "or {\"shape\": [rows, cols], \"nonzeros\": [...]}")
    return tuple(vector_from_json(row, f"{where}[{i}]") for i, row in enumerate(obj))


def sparse_from_json(obj: dict, where: str) -> Mat:
    fields(obj, "sparse matrix", where)
    shape, nonzeros = obj.get("shape"), obj.get("nonzeros", [])
    if (not isinstance(shape, list) or len(shape) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
        raise InputError(f"{where}: field 'shape' must be [rows, cols] with positive integers, got {shown(shape)}")
    rows, cols = shape
    dense = [[Fraction(0)] * cols for _ in range(rows)]
    if not isinstance(nonzeros, list):
        raise InputError(f"{where}: field 'nonzeros' must be a list of [row, col, value] triples")
    for n, entry in enumerate(nonzeros):
        if (not isinstance(entry, list) or len(entry) != 3
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in entry[:2])
                or not (0 <= entry[0] < rows and 0 <= entry[1] < cols)):
            raise InputError(f"{where}: nonzeros[{n}] must be [row, col, value] with 0 <= row < {rows} "
                             f"and 0 <= col < {cols}, got {shown(entry)}")
        dense[entry[0]][entry[1]] = to_q(entry[2], where=f"{where}: nonzeros[{n}]")
    return tuple(tuple(row) for row in dense)


def transformer_from_json(obj: dict, source: str) -> Transformer:
    """Build a ``Transformer`` from parsed ``polyreg.transformer/1`` JSON (format in the README)."""
    def positive(name: str) -> int:
        value = obj.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError(f"{source}: field '{name}' is {shown(value)}; expected a positive integer")
        return value
    d, N = positive("input_dim"), positive("tokens")
    positive("width")
    embedding = fields(obj.get("embedding"), "embedding", f"{source}: embedding")
    if "E_per_token" in embedding:
        per_token = embedding["E_per_token"]
        if not isinstance(per_token, list):
            raise InputError(f"{source}: embedding, field 'E_per_token' must be a list of {N} matrices")
        embed = tuple(matrix_from_json(E, f"{source}: embedding, E_per_token[{t}]")
                      for t, E in enumerate(per_token))
    else:
        embed = (matrix_from_json(embedding.get("E"), f"{source}: embedding, field 'E'"),) * N
    positions = matrix_from_json(embedding.get("positions"), f"{source}: embedding, field 'positions'")
    blocks = obj.get("blocks")
    if not isinstance(blocks, list):
        raise InputError(f"{source}: field 'blocks' must be a list of block objects")
    parsed = tuple(block_from_json(b, f"{source}: block {i}") for i, b in enumerate(blocks))
    readout, bias = readout_from_json(obj.get("readout"), N, f"{source}: readout")
    with located(source):
        return Transformer(d, N, obj["width"], embed, positions, parsed, readout, bias)


def block_from_json(obj: Any, where: str) -> Block:
    if not isinstance(obj, dict) or not obj:
        raise InputError(f"{where}: expected an object with 'attention' and/or 'feed_forward'")
    fields(obj, "block", where)
    attention = obj.get("attention")
    if attention is not None:
        fields(attention, "attention", f"{where}, attention")
        if not isinstance(attention["heads"], list):
            raise InputError(f"{where}, attention: expected an object with a list 'heads'")
        heads = tuple(head_from_json(h, f"{where}, head {i}") for i, h in enumerate(attention["heads"]))
        attention = Attention(heads, flag(attention, "residual", where + ", attention"))
    ff = obj.get("feed_forward")
    if ff is not None:
        w = f"{where}, feed_forward"
        fields(ff, "feed_forward", w)
        ff = FeedForward(matrix_from_json(ff.get("w1"), f"{w}, field 'w1'"),
                         vector_from_json(ff.get("b1"), f"{w}, field 'b1'"),
                         matrix_from_json(ff.get("w2"), f"{w}, field 'w2'"),
                         vector_from_json(ff.get("b2"), f"{w}, field 'b2'"), flag(ff, "residual", w))
    return Block(attention, ff)


def head_from_json(obj: Any, where: str) -> Head:
    fields(obj, "head", where)
    query, key, value, output = [matrix_from_json(obj.get(name), f"{where}, field '{name}'")
                                 for name in ("query", "key", "value", "output")]
    bias = obj.get("score_bias")
    bias = None if bias is None else matrix_from_json(bias, f"{where}, field 'score_bias'")
    mask = obj.get("mask")
    if mask is not None:
        if not isinstance(mask, list) or not all(isinstance(row, list) for row in mask):
            raise InputError(f"{where}, field 'mask': expected a tokens x tokens list of true/false (or 1/0)")
        for i, row in enumerate(mask):
            for j, v in enumerate(row):
                if v not in (True, False, 0, 1) or isinstance(v, Decimal):
                    raise InputError(f"{where}, field 'mask'[{i}][{j}]: got {shown(v)}; expected true/false or 1/0")
        mask = tuple(tuple(bool(v) for v in row) for row in mask)
    return Head(query, key, value, output, score_bias=bias, mask=mask)


def flag(obj: dict, name: str, where: str) -> bool:
    value = obj.get(name, True)
    if not isinstance(value, bool):
        raise InputError(f"{where}, field '{name}': got {shown(value)}; expected true or false")
    return value


def readout_from_json(obj: Any, tokens: int, where: str) -> tuple[tuple[Mat | None, ...], Vec]:
    """``{"token": t, "weight": M, "bias": c}`` reads one token; ``{"weights": [M or null per
    token], "bias": c}`` reads several."""
    fields(obj, "readout", where)
    if "token" in obj and "weight" not in obj:
        raise InputError(f"{where}, field 'token': goes with 'weight' (one token read); with 'weights' leave it out")
    bias = vector_from_json(obj["bias"], f"{where}, field 'bias'")
    if "weight" in obj:
        token = obj.get("token", 0)
        if not isinstance(token, int) or isinstance(token, bool) or not 0 <= token < tokens:
            raise InputError(f"{where}, field 'token': got {shown(token)}; expected an integer in [0, {tokens})")
        weights: list[Mat | None] = [None] * tokens
        weights[token] = matrix_from_json(obj["weight"], f"{where}, field 'weight'")
        return tuple(weights), bias
    if not isinstance(obj["weights"], list):
        raise InputError(f"{where}, field 'weights': expected a list with one matrix (or null) per token")
    return tuple(None if w is None else matrix_from_json(w, f"{where}, weights[{t}]")
                 for t, w in enumerate(obj["weights"])), bias


def load_domain(path: str | Path, max_bytes: int = MAX_BYTES) -> Polyhedron | Slice:
    """Read a ``polyreg.domain/1`` file (``A x <= b``), a ``polyreg.box/1`` file or a ``polyreg.slice/1`` file."""
    domain = load_domain_or_mixed(path, max_bytes)
    if isinstance(domain, MixedDomain):
        raise InputError(f"{path}: a {MIXED_DOMAIN_FORMAT} file is taken by certify only (polyreg certify A B "
                         "--domain FILE, or polyreg.load_mixed_domain); here give a polytope")
    return domain


def load_mixed_domain(path: str | Path, max_bytes: int = MAX_BYTES) -> MixedDomain:
    """Read a ``polyreg.mixed-domain/1`` file: discrete groups of coordinates times a polytope (README)."""
    obj = read_json(path, max_bytes)
    return mixed_domain_from_json(obj if isinstance(obj, dict) else {}, str(path))


def load_domain_or_mixed(path: str | Path, max_bytes: int = MAX_BYTES) -> Polyhedron | MixedDomain | Slice:
    """Read a polytope (``polyreg.domain/1``, ``polyreg.box/1``), a slice (``polyreg.slice/1``) or a mixed domain
    (``polyreg.mixed-domain/1``)."""
    obj = read_json(path, max_bytes)
    fmt = obj.get("format") if isinstance(obj, dict) else None
    if fmt == MIXED_DOMAIN_FORMAT:
        return mixed_domain_from_json(obj, str(path))
    if fmt == SLICE_FORMAT:
        return slice_from_json(obj, str(path))
    return polytope_from_json(obj, str(path))


def slice_from_json(obj: dict, source: str) -> Slice:
    """``x = origin + sum_j t_j directions[j]`` for ``t`` in the parameter polytope (a box or domain object)."""
    fields(obj, SLICE_FORMAT, source, DOMAIN_FIELDS)
    origin = vector_from_json(obj["origin"], f"{source}: field 'origin'")
    directions = matrix_from_json(obj["directions"], f"{source}: field 'directions'")
    parameters = polytope_from_json(obj["parameters"], f"{source}: parameters")
    with located(source):
        return Slice(origin, directions, parameters)


def polytope_from_json(obj: Any, source: str) -> Polyhedron:
    """A ``polyreg.box/1`` or ``polyreg.domain/1`` object."""
    fmt = obj.get("format") if isinstance(obj, dict) else None
    if isinstance(fmt, str) and fmt in (BOX_FORMAT, DOMAIN_FORMAT):
        fields(obj, fmt, source, DOMAIN_FIELDS)
    if fmt == BOX_FORMAT:
        lower = vector_from_json(obj.get("lower"), f"{source}: field 'lower'")
        upper = vector_from_json(obj.get("upper"), f"{source}: field 'upper'")
        if len(lower) != len(upper) or not lower:
            raise InputError(f"{source}: 'lower' and 'upper' must be non-empty and of equal length "
                             f"(got {len(lower)} and {len(upper)})")
        with located(source):
            return box(len(lower), list(lower), list(upper))
    if fmt == DOMAIN_FORMAT:
        A = matrix_from_json(obj.get("A"), f"{source}: field 'A'")
        b = vector_from_json(obj.get("b"), f"{source}: field 'b'")
        if len(A) != len(b):
            raise InputError(f"{source}: 'A' has {len(A)} rows but 'b' has {len(b)} entries")
        widths = {len(row) for row in A}
        if len(widths) != 1 or 0 in widths:
            raise InputError(f"{source}: the rows of 'A' must all have the same, positive length")
        return polyhedron_from_inequalities(A, b)
    raise InputError(f"{source}: field 'format' is {shown(fmt)}; expected {DOMAIN_FORMAT!r}, {BOX_FORMAT!r}, "
                     f"{SLICE_FORMAT!r} or {MIXED_DOMAIN_FORMAT!r}")


def mixed_domain_from_json(obj: dict, source: str) -> MixedDomain:
    """A ``MixedDomain`` from parsed ``polyreg.mixed-domain/1`` JSON, after checking that the groups' and the
    continuous part's coordinates partition the inputs and that the polytope is bounded and full-dimensional."""
    if obj.get("format") != MIXED_DOMAIN_FORMAT:
        raise InputError(f"{source}: field 'format' is {shown(obj.get('format'))}; expected {MIXED_DOMAIN_FORMAT!r}")
    fields(obj, MIXED_DOMAIN_FORMAT, source, DOMAIN_FIELDS)
    n = obj.get("input_dim")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InputError(f"{source}: field 'input_dim' is {shown(n)}; expected a positive integer")
    groups = obj.get("discrete")
    if not isinstance(groups, list):
        raise InputError(f"{source}: field 'discrete' must be a list of {{\"coordinates\": [...], "
                         "\"values\": [[...], ...]}} objects (it may be empty)")
    discrete = tuple(discrete_group_from_json(g, n, f"{source}: discrete[{k}]") for k, g in enumerate(groups))
    continuous = obj.get("continuous")
    free: tuple[int, ...] = ()
    if continuous is not None:
        fields(continuous, "continuous part", f"{source}: continuous", DOMAIN_FIELDS)
        free = coordinates_from_json(continuous.get("coordinates"), n, f"{source}: continuous")
    owner: dict[int, str] = {}
    for where, coordinates in [(f"discrete[{k}]", g.coordinates) for k, g in enumerate(discrete)] + [
            ("continuous", free)]:
        for i in coordinates:
            if i in owner:
                raise InputError(f"{source}: coordinate {i} is in both {owner[i]} and {where}; every input "
                                 "coordinate must belong to exactly one group or to the continuous part")
            owner[i] = where
    missing = [i for i in range(n) if i not in owner]
    if missing:
        raise InputError(f"{source}: input coordinates {missing} are in no discrete group and not in 'continuous'; "
                         f"the groups and the continuous part must partition 0..{n - 1}")
    polytope = None if continuous is None else continuous_polytope(continuous, len(free), source)
    return MixedDomain(n, discrete, free, polytope)


def coordinates_from_json(obj: Any, n: int, where: str) -> tuple[int, ...]:
    if not isinstance(obj, list) or not obj or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n for i in obj):
        raise InputError(f"{where}, field 'coordinates': got {shown(obj)}; expected a non-empty list of input "
                         f"coordinates (integers from 0 to {n - 1})")
    repeated = sorted({i for i in obj if obj.count(i) > 1})
    if repeated:
        raise InputError(f"{where}, field 'coordinates': {repeated} listed more than once; list each coordinate once")
    return tuple(obj)


def discrete_group_from_json(obj: Any, n: int, where: str) -> DiscreteGroup:
    fields(obj, "discrete group", where, DOMAIN_FIELDS)
    coordinates = coordinates_from_json(obj.get("coordinates"), n, where)
    values = obj.get("values")
    if not isinstance(values, list) or not values:
        raise InputError(f"{where}, field 'values': expected a non-empty list of value vectors, got {shown(values)}")
    vectors = tuple(vector_from_json(v, f"{where}, values[{k}]") for k, v in enumerate(values))
    for k, vector in enumerate(vectors):
        if len(vector) != len(coordinates):
            raise InputError(f"{where}, values[{k}]: has {len(vector)} entries; expected {len(coordinates)}, "
                             "one per coordinate of the group")
    return DiscreteGroup(coordinates, vectors)


def continuous_polytope(obj: dict, dim: int, source: str) -> Polyhedron:
    """``{x : A x <= b}`` over the continuous coordinates, checked bounded and full-dimensional."""
    A = matrix_from_json(obj.get("A"), f"{source}: continuous, field 'A'")
    b = vector_from_json(obj.get("b"), f"{source}: continuous, field 'b'")
    if len(A) != len(b):
        raise InputError(f"{source}: continuous: 'A' has {len(A)} rows but 'b' has {len(b)} entries")
    if any(len(row) != dim for row in A):
        raise InputError(f"{source}: continuous, field 'A': every row must have {dim} entries, one per "
                         "continuous coordinate")
    polytope = polyhedron_from_inequalities(A, b)
    try:
        domain_interior_point(polytope)
    except DomainError as err:
        raise DomainError(f"{source}: field 'continuous' (x_k is its k-th coordinate): {err}") from None
    return polytope


def number(q: Fraction) -> int | str:
    """JSON spelling of a rational: an integer, or a ``"p/q"`` string."""
    return int(q) if q.denominator == 1 else q_to_str(q)


def dense_or_sparse(M: Mat, dense: bool = False) -> Any:
    """Rows, or the sparse form when at most a third of the entries are nonzero (unless ``dense``)."""
    nonzeros = [[i, j, number(v)] for i, row in enumerate(M) for j, v in enumerate(row) if v]
    if dense or 3 * len(nonzeros) > len(M) * len(M[0]):
        return [[number(v) for v in row] for row in M]
    return {"shape": [len(M), len(M[0])], "nonzeros": nonzeros}


def network_to_json(net: Network, dense: bool = False) -> dict[str, Any]:
    """The ``polyreg.network/1`` or ``polyreg.transformer/1`` object of ``net`` (transformer
    matrices as rows when ``dense``, else sparse where that is shorter)."""
    return TO_JSON[type(net)](net, dense)


def mlp_to_json(net: Mlp, dense: bool = False) -> dict[str, Any]:
    layers: list[dict[str, Any]] = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            layers.append({"type": "linear", "weight": [[number(v) for v in row] for row in layer.weight],
                           "bias": [number(v) for v in layer.bias]})
        elif isinstance(layer, Relu):
            layers.append({"type": "relu"})
        else:
            layers.append({"type": "maxout", "rank": layer.rank})
    return {"format": NETWORK_FORMAT, "input_dim": net.input_dim, "layers": layers}


def transformer_to_json(t: Transformer, dense: bool = False) -> dict[str, Any]:
    def matrix_to_json(M: Mat) -> Any:
        return dense_or_sparse(M, dense)

    def head(h: Head) -> dict[str, Any]:
        out = {name: matrix_to_json(getattr(h, name)) for name in ("query", "key", "value", "output")}
        if h.score_bias is not None:
            out["score_bias"] = matrix_to_json(h.score_bias)
        if h.mask is not None:
            out["mask"] = [[int(v) for v in row] for row in h.mask]
        return out

    def block(b: Block) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if b.attention is not None:
            out["attention"] = {"residual": b.attention.residual, "heads": [head(h) for h in b.attention.heads]}
        if b.feed_forward is not None:
            ff = b.feed_forward
            out["feed_forward"] = {"w1": matrix_to_json(ff.w1), "b1": [number(v) for v in ff.b1],
                                   "w2": matrix_to_json(ff.w2), "b2": [number(v) for v in ff.b2],
                                   "residual": ff.residual}
        return out

    shared = all(E == t.embed[0] for E in t.embed)
    embedding = ({"E": matrix_to_json(t.embed[0])} if shared
                 else {"E_per_token": [matrix_to_json(E) for E in t.embed]})
    embedding["positions"] = matrix_to_json(t.positions)
    read = [(i, R) for i, R in enumerate(t.readout) if R is not None]
    bias = [number(v) for v in t.readout_bias]
    readout = ({"token": read[0][0], "weight": matrix_to_json(read[0][1]), "bias": bias} if len(read) == 1
               else {"weights": [None if R is None else matrix_to_json(R) for R in t.readout], "bias": bias})
    return {"format": TRANSFORMER_FORMAT, "input_dim": t.input_dim, "tokens": t.tokens, "width": t.width,
            "embedding": embedding, "blocks": [block(b) for b in t.blocks], "readout": readout}


TO_JSON: dict[type, Any] = {Mlp: mlp_to_json, Transformer: transformer_to_json}


def save_network(net: Network, path: str | Path) -> None:
    """Write ``net`` as a ``polyreg.network/1`` file (one layer per line) or a
    ``polyreg.transformer/1`` file (one block per line)."""
    obj = network_to_json(net)
    listed = "blocks" if obj["format"] == TRANSFORMER_FORMAT else "layers"
    items = ",\n    ".join(json.dumps(item) for item in obj.pop(listed))
    head = json.dumps(obj)[:-1]
    Path(path).write_text(f'{head}, "{listed}": [\n    {items}\n]}}\n', encoding="utf-8")
