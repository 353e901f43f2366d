"""Reading networks and domains from JSON, exactly.

JSON decimals are parsed as ``Decimal`` and turned into the rational they spell; strings
``"p/q"`` are rationals; anything else where a number belongs is an error naming the file,
the layer, the field and the index.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import InputError
from .exact import Mat, Vec, q_to_str, to_q
from .ir import Dense, Layer, Maxout, Mlp, Relu
from .polyhedron import Polyhedron, box, polyhedron_from_inequalities

NETWORK_FORMAT = "polyreg.network/1"
DOMAIN_FORMAT = "polyreg.domain/1"
BOX_FORMAT = "polyreg.box/1"


def read_json(path: str | Path) -> Any:
    """Parse a JSON file with exact decimals; refuse NaN and Infinity."""
    def refuse_constant(name: str) -> None:
        raise InputError(f"{path}: {name} is not a number polyreg accepts")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read the file ({err.strerror})") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=refuse_constant)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None


def load_network(path: str | Path) -> Mlp:
    """Read a ``polyreg.network/1`` file."""
    return network_from_json(read_json(path), source=str(path))


def network_from_json(obj: Any, source: str = "<network>") -> Mlp:
    """Build an ``Mlp`` from parsed ``polyreg.network/1`` JSON."""
    if not isinstance(obj, dict):
        raise InputError(f"{source}: expected a JSON object with keys format, input_dim, layers")
    if obj.get("format") != NETWORK_FORMAT:
        raise InputError(f"{source}: field 'format' is {obj.get('format')!r}; expected {NETWORK_FORMAT!r}")
    input_dim = obj.get("input_dim")
    if not isinstance(input_dim, int) or isinstance(input_dim, bool) or input_dim < 1:
        raise InputError(f"{source}: field 'input_dim' is {input_dim!r}; expected a positive integer")
    layers = obj.get("layers")
    if not isinstance(layers, list) or not layers:
        raise InputError(f"{source}: field 'layers' must be a non-empty list of layer objects")
    parsed = tuple(layer_from_json(layer, f"{source}: layer {i}") for i, layer in enumerate(layers))
    try:
        return Mlp(input_dim, parsed)
    except InputError as err:
        raise InputError(f"{source}: {err}") from None


def layer_from_json(obj: Any, where: str) -> Layer:
    if not isinstance(obj, dict) or "type" not in obj:
        raise InputError(f"{where}: expected an object with a 'type' field (linear, relu or maxout)")
    kind = obj["type"]
    if kind == "linear":
        weight = matrix_from_json(obj.get("weight"), f"{where} (linear), field 'weight'")
        bias = vector_from_json(obj.get("bias"), f"{where} (linear), field 'bias'")
        return Dense(weight, bias)
    if kind == "relu":
        return Relu()
    if kind == "maxout":
        rank = obj.get("rank")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            raise InputError(f"{where} (maxout): field 'rank' is {rank!r}; expected a positive integer")
        return Maxout(rank)
    raise InputError(f"{where}: unknown layer type {kind!r}; expected 'linear', 'relu' or 'maxout'")


def vector_from_json(obj: Any, where: str) -> Vec:
    if not isinstance(obj, list):
        raise InputError(f"{where}: expected a list of numbers, got {type(obj).__name__}")
    return tuple(to_q(v, where=f"{where}[{i}]") for i, v in enumerate(obj))


def matrix_from_json(obj: Any, where: str) -> Mat:
    if not isinstance(obj, list) or not obj:
        raise InputError(f"{where}: expected a non-empty list of rows")
    return tuple(vector_from_json(row, f"{where}[{i}]") for i, row in enumerate(obj))


def load_domain(path: str | Path) -> Polyhedron:
    """Read a ``polyreg.domain/1`` file (``A x <= b``) or a ``polyreg.box/1`` file."""
    obj = read_json(path)
    fmt = obj.get("format") if isinstance(obj, dict) else None
    if fmt == BOX_FORMAT:
        lower = vector_from_json(obj.get("lower"), f"{path}: field 'lower'")
        upper = vector_from_json(obj.get("upper"), f"{path}: field 'upper'")
        if len(lower) != len(upper) or not lower:
            raise InputError(f"{path}: 'lower' and 'upper' must be non-empty and of equal length "
                             f"(got {len(lower)} and {len(upper)})")
        return box(len(lower), list(lower), list(upper))
    if fmt == DOMAIN_FORMAT:
        A = matrix_from_json(obj.get("A"), f"{path}: field 'A'")
        b = vector_from_json(obj.get("b"), f"{path}: field 'b'")
        if len(A) != len(b):
            raise InputError(f"{path}: 'A' has {len(A)} rows but 'b' has {len(b)} entries")
        widths = {len(row) for row in A}
        if len(widths) != 1 or 0 in widths:
            raise InputError(f"{path}: the rows of 'A' must all have the same, positive length")
        return polyhedron_from_inequalities(A, b)
    raise InputError(f"{path}: field 'format' is {fmt!r}; expected {DOMAIN_FORMAT!r} or {BOX_FORMAT!r}")


def network_to_json(net: Mlp) -> dict[str, Any]:
    """The ``polyreg.network/1`` object of ``net``; integers stay integers, other rationals
    are written as ``"p/q"`` strings."""
    def number(q: Any) -> Any:
        return int(q) if q.denominator == 1 else q_to_str(q)
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


def save_network(net: Mlp, path: str | Path) -> None:
    """Write ``net`` as a ``polyreg.network/1`` file (one layer per line)."""
    obj = network_to_json(net)
    layers = ",\n    ".join(json.dumps(layer) for layer in obj["layers"])
    Path(path).write_text(f'{{"format": "{NETWORK_FORMAT}", "input_dim": {net.input_dim}, '
                          f'"layers": [\n    {layers}\n]}}\n', encoding="utf-8")
