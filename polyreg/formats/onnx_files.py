"""ONNX models read as exact networks (``polyreg.network/1``): a chain of operators on one input vector, lowered to
``Dense`` / ``Relu`` / ``Maxout`` so that the engine and the checker never see ONNX.

Exactness: a float weight is its exact binary value (``Fraction(float)``: a float32 0.1 is 13421773/134217728).
Supported so far: Gemm, MatMul, Add / Sub / Mul / Div by constants, Relu, LeakyRelu (as a max of two pieces),
Flatten / Reshape to a vector, Identity, Dropout (inference) and Constant nodes or initializers; anything else is
refused naming the node, its op type and this list.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import InputError
from ..exact.rationals import Mat, Vec
from ..network.ir import Dense, Layer, Maxout, Mlp, Relu

Handler = Callable[["Chain", Any], None]
ONNX_LEAKY_SLOPE = 0.009999999776482582     # LeakyRelu's default alpha, the float32 nearest 0.01, exactly


def load_onnx(path: str | Path, max_bytes: int) -> Mlp:
    """The network of the ONNX model in the file ``path`` (at most ``max_bytes``)."""
    size = Path(path).stat().st_size
    if size > max_bytes:
        raise InputError(f"{path}: the model has {size} bytes, more than the limit {max_bytes} (raise it with "
                         "--max-bytes)")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as err:      # protobuf's DecodeError and friends: the file is no ONNX model
        raise InputError(f"{path}: not an ONNX model ({type(err).__name__}: {err})") from None
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        raise InputError(f"{path}: the model keeps weights in external files; save it with the weights inside")
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as err:
        raise InputError(f"{path}: not a valid ONNX model: {str(err).splitlines()[0]}") from None
    return network_from_onnx(model, str(path))


def network_from_onnx(model: onnx.ModelProto, source: str = "<onnx>") -> Mlp:
    """The model's graph as an ``Mlp``: one input vector, one output, operators applied in order."""
    graph = model.graph
    chain = Chain(source, graph)
    for k, node in enumerate(graph.node):
        handler = OPERATORS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if handler is None:
            raise InputError(f"{source}: node {k} ({node.name or 'unnamed'}): operator {node.op_type} (domain "
                             f"{node.domain or 'ai.onnx'}) is not supported; supported: {', '.join(sorted(OPERATORS))}")
        chain.where = f"{source}: node {k} ({node.name or 'unnamed'}, {node.op_type})"
        handler(chain, node)
    return chain.network()


class Chain:
    """The layers read so far, the name of the tensor they compute (the *activation*), its width, and the constant
    tensors (initializers and Constant nodes)."""

    def __init__(self, source: str, graph: Any) -> None:
        self.source, self.where = source, source
        self.constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1 or len(graph.output) != 1:
            raise InputError(f"{source}: expected one input and one output, got {len(inputs)} and "
                             f"{len(graph.output)}")
        self.activation, self.width = inputs[0].name, input_width(inputs[0], source)
        self.input_dim, self.output = self.width, graph.output[0].name
        self.layers: list[Layer] = []

    def network(self) -> Mlp:
        if self.activation != self.output:
            raise InputError(f"{self.source}: the graph's output {self.output!r} is not computed from its input by "
                             "the chain of supported operators")
        return Mlp(self.input_dim, tuple(self.layers) or (identity_layer(self.width),))

    def operands(self, node: Any) -> tuple[bool, Any]:
        """For a binary node: whether the activation comes first, and the other operand (a constant)."""
        a, b = node.input[0], node.input[1]
        if a == self.activation and b in self.constants:
            return True, self.constants[b]
        if b == self.activation and a in self.constants:
            return False, self.constants[a]
        raise InputError(f"{self.where}: expected the running vector and a constant, got inputs {a!r} and {b!r}")

    def vector(self, value: Any) -> Vec:
        """A constant that broadcasts along the running vector (one entry, or shape [..., width] with every other
        dimension 1), as exact rationals."""
        array = np.asarray(value)
        if array.ndim > 2 or (array.size != 1 and (array.shape[-1] != self.width or array.size != self.width)):
            raise InputError(f"{self.where}: a constant of shape {list(array.shape)} does not act entry by entry on "
                             f"the running vector of width {self.width}")
        flat = [exact(v) for v in array.reshape(-1).tolist()]
        return tuple(flat * self.width if len(flat) == 1 else flat)

    def running(self, node: Any) -> None:
        """The node's first input must be the running vector."""
        if node.input[0] != self.activation:
            raise InputError(f"{self.where}: expected the running vector as input, got {node.input[0]!r}")

    def add(self, node: Any, layers: list[Layer], width: int) -> None:
        """Append ``layers``; the node's output is the activation, ``width`` wide."""
        self.layers += layers
        self.activation, self.width = node.output[0], width


def input_width(value_info: Any, source: str) -> int:
    """The width of a model input shaped ``[d]`` or ``[batch, d]``."""
    tensor = value_info.type.tensor_type
    if tensor.elem_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16):
        raise InputError(f"{source}: input {value_info.name!r}: expected floats (an integer model divides and "
                         "rounds as integers)")
    dims = tensor.shape.dim
    if len(dims) not in (1, 2) or not dims[-1].HasField("dim_value"):
        raise InputError(f"{source}: input {value_info.name!r}: expected a vector [d] or a batch [N, d] with a fixed "
                         "d")
    return int(dims[-1].dim_value)


def exact(value: object) -> Fraction:
    """An entry's exact value: an integer as itself, a float as its binary value (float16 and float32 entries are
    floats exactly); infinities, NaN and anything else are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if not isinstance(value, float) or value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"a weight is {value!r}; polyreg needs finite numbers")
    return Fraction(value)


def attribute(node: Any, name: str, default: Any) -> Any:
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def identity_layer(width: int) -> Dense:
    return Dense(tuple(tuple(Fraction(int(i == j)) for j in range(width)) for i in range(width)),
                 (Fraction(0),) * width)


def diagonal(values: Vec, bias: Vec) -> Dense:
    n = len(values)
    return Dense(tuple(tuple(values[i] if i == j else Fraction(0) for j in range(n)) for i in range(n)), bias)


def matrix(value: Any) -> Mat:
    return tuple(tuple(exact(v) for v in row) for row in np.asarray(value).tolist())


def gemm(chain: Chain, node: Any) -> None:
    """``Y = alpha A' B' + beta C`` with ``A`` the running vector (not transposed)."""
    if node.input[0] != chain.activation or attribute(node, "transA", 0):
        raise InputError(f"{chain.where}: expected the running vector as A, not transposed")
    B = chain.constants.get(node.input[1])
    if B is None or np.ndim(B) != 2:
        raise InputError(f"{chain.where}: B must be a constant matrix (an initializer)")
    B = B.T if attribute(node, "transB", 0) else B
    alpha, beta = exact(attribute(node, "alpha", 1.0)), exact(attribute(node, "beta", 1.0))
    weight = tuple(tuple(alpha * w for w in row) for row in matrix(B.T))
    if len(weight[0]) != chain.width:
        raise InputError(f"{chain.where}: B has {len(weight[0])} rows; the running vector has {chain.width} entries")
    chain.width = len(weight)
    C = chain.constants.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if C is None and len(node.input) > 2 and node.input[2]:
        raise InputError(f"{chain.where}: C must be a constant (an initializer)")
    bias = tuple(beta * c for c in chain.vector(C)) if C is not None else (Fraction(0),) * len(weight)
    chain.add(node, [Dense(weight, bias)], len(weight))


def matmul(chain: Chain, node: Any) -> None:
    """The running row vector times a constant matrix."""
    first, W = chain.operands(node)
    if not first or np.ndim(W) != 2 or W.shape[0] != chain.width:
        raise InputError(f"{chain.where}: expected the running vector times a {chain.width} x m constant matrix")
    weight = matrix(W.T)
    chain.add(node, [Dense(weight, (Fraction(0),) * len(weight))], len(weight))


def elementwise(kind: str) -> Handler:
    """Add, Sub, Mul or Div of the running vector and a constant, as one ``Dense`` layer."""
    def handle(chain: Chain, node: Any) -> None:
        first, value = chain.operands(node)
        c = chain.vector(value)
        one, zero = (Fraction(1),) * chain.width, (Fraction(0),) * chain.width
        if kind == "Div" and (not first or 0 in c):
            raise InputError(f"{chain.where}: only division of the running vector by nonzero constants is linear")
        scale, shift = {"Add": (one, c), "Mul": (c, zero), "Div": (tuple(1 / v for v in c), zero),
                        "Sub": (one, tuple(-v for v in c)) if first else (tuple(-v for v in one), c)}[kind]
        chain.add(node, [diagonal(scale, shift)], chain.width)
    return handle


def relu(chain: Chain, node: Any) -> None:
    chain.running(node)
    chain.add(node, [Relu()], chain.width)


def leaky_relu(chain: Chain, node: Any) -> None:
    """``max(x, a x)`` for a slope ``a <= 1``, ``-max(-x, -a x)`` for ``a > 1``: a maxout of rank 2."""
    chain.running(node)
    a, n = exact(attribute(node, "alpha", ONNX_LEAKY_SLOPE)), chain.width      # ONNX's default, a float32
    sign = Fraction(1) if a <= 1 else Fraction(-1)
    pieces = tuple(tuple(sign * (a if k % 2 else 1) if j == k // 2 else Fraction(0) for j in range(n))
                   for k in range(2 * n))
    layers: list[Layer] = [Dense(pieces, (Fraction(0),) * (2 * n)), Maxout(2)]
    if sign < 0:
        layers.append(diagonal((Fraction(-1),) * n, (Fraction(0),) * n))
    chain.add(node, layers, n)


def passthrough(chain: Chain, node: Any) -> None:
    """Identity, Dropout (inference), Flatten, and Reshape to a vector: nothing changes."""
    chain.running(node)
    if node.op_type == "Reshape":
        target = chain.constants.get(node.input[1]) if len(node.input) > 1 else None
        if target is None or list(np.asarray(target).reshape(-1)) not in ([chain.width], [1, chain.width], [-1],
                                                                           [1, -1], [-1, chain.width]):
            raise InputError(f"{chain.where}: only a reshape to the vector itself ([{chain.width}] or "
                             f"[1, {chain.width}]) is supported")
    if node.op_type == "Dropout" and not inference(chain, node):
        raise InputError(f"{chain.where}: dropout in training mode is random; export the model for inference")
    chain.activation = node.output[0]


def inference(chain: Chain, node: Any) -> bool:
    """Whether a Dropout node passes its input through: no training_mode input (or a constant false) and no
    is_test = 0 (old opsets)."""
    if attribute(node, "is_test", 1) == 0:
        return False
    if len(node.input) < 3 or not node.input[2]:
        return True
    mode = chain.constants.get(node.input[2])
    return mode is not None and not bool(np.asarray(mode).reshape(-1)[0])


def constant(chain: Chain, node: Any) -> None:
    value = attribute(node, "value", None)
    if value is None or [a.name for a in node.attribute] != ["value"]:
        raise InputError(f"{chain.where}: only Constant nodes with a 'value' tensor are supported")
    chain.constants[node.output[0]] = numpy_helper.to_array(value)


OPERATORS: dict[str, Handler] = {
    "Gemm": gemm, "MatMul": matmul, "Add": elementwise("Add"), "Sub": elementwise("Sub"),
    "Mul": elementwise("Mul"), "Div": elementwise("Div"), "Relu": relu, "LeakyRelu": leaky_relu,
    "Identity": passthrough, "Dropout": passthrough, "Flatten": passthrough, "Reshape": passthrough,
    "Constant": constant,
}
