"""ONNX models read as exact networks (``polyreg.network/1``): the graph's operators on one input tensor, lowered by
``lowering`` to ``Dense`` / ``Relu`` / ``Maxout`` so that the engine and the checker never see ONNX.

Exactness: a float weight is its exact binary value (``Fraction(float)``: a float32 0.1 is 13421773/134217728).
Where an operator's real result is irrational (BatchNormalization's ``1 / sqrt(var + eps)``) polyreg computes it
in float64, takes that float exactly and warns (``InexactWarning``, naming the node); ``strict=True`` refuses.
Operators: see ``OPERATORS``; anything else is refused naming the node, its op type and the supported list.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import InputError
from ..network.ir import Mlp
from . import lowering as low
from .json_files import MAX_BYTES
from .lowering import Lowering, Tensor, Windows

Handler = Callable[["Graph", Any], None]
ONNX_LEAKY_SLOPE = 0.009999999776482582     # LeakyRelu's default alpha, the float32 nearest 0.01, exactly
FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16)


def load_onnx(path: str | Path, max_bytes: int, strict: bool = False) -> Mlp:
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
    return network_from_onnx(model, str(path), strict)


def from_onnx(model: str | Path | onnx.ModelProto, strict: bool = False) -> Mlp:
    """The exact network of an ONNX model, given as a file name or a loaded ``onnx.ModelProto``."""
    if isinstance(model, onnx.ModelProto):
        try:
            onnx.checker.check_model(model)
        except onnx.checker.ValidationError as err:
            raise InputError(f"<onnx>: not a valid ONNX model: {str(err).splitlines()[0]}") from None
        return network_from_onnx(model, "<onnx>", strict)
    return load_onnx(model, MAX_BYTES, strict)


def network_from_onnx(model: onnx.ModelProto, source: str = "<onnx>", strict: bool = False) -> Mlp:
    """The model's graph as an ``Mlp``: one input tensor (``[d]``, or ``[N, ...]`` with a batch axis), one output,
    nodes in order."""
    graph = Graph(source, model.graph, strict)
    needed = needed_nodes(model.graph)
    for k, node in enumerate(model.graph.node):
        if k not in needed:
            continue
        handler = OPERATORS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if handler is None:
            raise InputError(f"{source}: node {k} ({node.name or 'unnamed'}): operator {node.op_type} (domain "
                             f"{node.domain or 'ai.onnx'}) is not supported; supported: {', '.join(sorted(OPERATORS))}")
        graph.where, graph.step = f"{source}: node {k} ({node.name or 'unnamed'}, {node.op_type})", k
        graph.lowering.where = graph.where
        handler(graph, node)
    graph.lowering.where = f"{source}: the output"
    return graph.network()


def needed_nodes(graph: Any) -> set[int]:
    """The nodes the graph's output depends on (others are not lowered)."""
    wanted, needed = {graph.output[0].name} if graph.output else set(), set()
    for k in range(len(graph.node) - 1, -1, -1):
        node = graph.node[k]
        if wanted & set(node.output):
            needed.add(k)
            wanted |= set(node.input)
    return needed


class Graph:
    """The lowering so far, the constant tensors (initializers and Constant nodes), and the last node that reads
    each tensor (tensors read later ride through piecewise layers)."""

    def __init__(self, source: str, graph: Any, strict: bool) -> None:
        self.source, self.where, self.step, self.strict = source, source, 0, strict
        self.constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1 or len(graph.output) != 1:
            raise InputError(f"{source}: expected one input and one output, got {len(inputs)} and "
                             f"{len(graph.output)}")
        self.output = graph.output[0].name
        self.lowering = Lowering(inputs[0].name, input_shape(inputs[0], source))
        self.last_use = {name: k for k, node in enumerate(graph.node) for name in node.input}
        self.last_use[self.output] = len(graph.node)

    def network(self) -> Mlp:
        if self.output not in self.lowering.tensors:
            raise InputError(f"{self.source}: the graph's output {self.output!r} is not computed from its input by "
                             "the supported operators")
        return self.lowering.network(self.output)

    def tensor(self, name: str) -> Tensor:
        """The tensor ``name``, computed from the model's input."""
        if name not in self.lowering.tensors:
            raise InputError(f"{self.where}: expected a tensor computed from the model's input, got {name!r}")
        return self.lowering.tensors[name]

    def constant(self, node: Any, i: int, what: str) -> Optional[np.ndarray]:
        """The node's ``i``-th input as a constant (None if absent); an input computed from the model's input is
        refused."""
        if len(node.input) <= i or not node.input[i]:
            return None
        if node.input[i] not in self.constants:
            raise InputError(f"{self.where}: {what} must be a constant (an initializer or a Constant node)")
        return self.constants[node.input[i]]

    def exact(self, array: Any) -> np.ndarray:
        return low.fractions(np.asarray(array), self.where)

    def set(self, node: Any, tensor: Tensor) -> None:
        self.lowering.set(node.output[0], tensor)

    def piecewise(self, node: Any, op: low.Piecewise) -> None:
        keep = [name for name in self.lowering.tensors if self.last_use.get(name, -1) > self.step]
        self.lowering.piecewise(node.output[0], op, keep)


def input_shape(value_info: Any, source: str) -> tuple[int, ...]:
    """The shape of one example: ``[d]`` as is; ``[N, ...]`` with batch axis ``N`` read as 1."""
    tensor = value_info.type.tensor_type
    if tensor.elem_type not in FLOAT_TYPES:
        raise InputError(f"{source}: input {value_info.name!r}: expected floats (an integer model divides and "
                         "rounds as integers)")
    dims = tensor.shape.dim
    rest = dims[1:] if len(dims) > 1 else dims
    if not dims or not all(d.HasField("dim_value") and d.dim_value > 0 for d in rest):
        raise InputError(f"{source}: input {value_info.name!r}: expected a vector [d] or a batch [N, ...] whose "
                         "other dimensions are fixed")
    return (1,) * (len(dims) > 1) + tuple(int(d.dim_value) for d in rest)


def attribute(node: Any, name: str, default: Any) -> Any:
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


# --- linear operators -----------------------------------------------------------------------

def gemm(g: Graph, node: Any) -> None:
    """``Y = alpha A' B' + beta C`` with ``A`` the running tensor ``[1, k]`` (not transposed), ``B`` and ``C``
    constants."""
    a = g.tensor(node.input[0])
    if attribute(node, "transA", 0) or len(a.shape) != 2:
        raise InputError(f"{g.where}: expected the running tensor as A, of shape [1, k], not transposed")
    B = g.constant(node, 1, "B")
    if B is None or B.ndim != 2:
        raise InputError(f"{g.where}: B must be a constant matrix")
    B = B.T if attribute(node, "transB", 0) else B
    alpha, beta = low.exact(attribute(node, "alpha", 1.0), g.where), low.exact(attribute(node, "beta", 1.0), g.where)
    C = g.constant(node, 2, "C")
    bias = None if C is None else low.broadcast(g.exact(C), (1, B.shape[1]), g.where)
    weight = g.exact(B)
    g.set(node, low.matmul(a, weight if alpha == 1 else weight * alpha,
                           bias if bias is None or beta == 1 else bias * beta, g.where))


def matmul(g: Graph, node: Any) -> None:
    """The running tensor times a constant matrix (along its last axis)."""
    W = g.constant(node, 1, "the second factor")
    if W is None or W.ndim != 2:
        raise InputError(f"{g.where}: expected the running tensor times a constant matrix")
    g.set(node, low.matmul(g.tensor(node.input[0]), g.exact(W), None, g.where))


def elementwise(kind: str) -> Handler:
    """Add, Sub, Mul or Div of the running tensor and a constant; Add and Sub of two tensors of one shape."""
    def handle(g: Graph, node: Any) -> None:
        a, b = node.input[0], node.input[1]
        if a in g.lowering.tensors and b in g.lowering.tensors:
            if kind not in ("Add", "Sub"):
                raise InputError(f"{g.where}: {kind} of two tensors computed from the input is not piecewise linear")
            g.set(node, low.add(g.tensor(a), g.tensor(b), 1 if kind == "Add" else -1, g.where))
            return
        first = a in g.lowering.tensors
        t = g.tensor(a if first else b)
        c = low.broadcast(g.exact(g.constant(node, 1 if first else 0, "the other operand")), t.shape, g.where)
        one, zero = np.full(len(c), low.ONE, dtype=object), np.full(len(c), low.ZERO, dtype=object)
        if kind == "Div" and (not first or any(v == 0 for v in c)):
            raise InputError(f"{g.where}: only division of the running tensor by nonzero constants is linear")
        scale, shift = {"Add": (one, c), "Mul": (c, zero), "Div": (one / c if len(c) else one, zero),
                        "Sub": (one, -c) if first else (-one, c)}[kind]
        g.set(node, low.scale_shift(t, scale, shift))
    return handle


def batch_normalization(g: Graph, node: Any) -> None:
    """Inference: ``scale (x - mean) / sqrt(var + eps) + B`` per channel (axis 1)."""
    if attribute(node, "training_mode", 0) or len([o for o in node.output if o]) > 1:
        raise InputError(f"{g.where}: batch normalization in training mode uses the batch's statistics; export the "
                         "model for inference")
    scale, bias, mean, var = (g.exact(g.constant(node, i, name)) for i, name in
                              enumerate(["scale", "B", "mean", "var"], start=1))
    eps = low.exact(attribute(node, "epsilon", 1e-5), g.where)
    g.set(node, low.batch_norm(g.tensor(node.input[0]), low.Normalization(scale, bias, mean, var, eps), g.strict,
                               g.where))


def windows(g: Graph, node: Any, spatial: tuple[int, ...], kernel: Optional[tuple[int, ...]] = None) -> Windows:
    """The sliding windows of a Conv or pooling node over ``spatial``, from its attributes (auto_pad included)."""
    kernel = tuple(attribute(node, "kernel_shape", kernel or ()))
    n = len(spatial)
    if len(kernel) != n:
        raise InputError(f"{g.where}: kernel_shape {list(kernel)} does not fit the {n} spatial axes")
    strides = tuple(attribute(node, "strides", [1] * n))
    dilations = tuple(attribute(node, "dilations", [1] * n))
    pads = list(attribute(node, "pads", [0] * 2 * n))
    mode = attribute(node, "auto_pad", b"NOTSET")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        total = [max(0, (-(-m // s) - 1) * s + (k - 1) * d + 1 - m) for m, k, s, d in
                 zip(spatial, kernel, strides, dilations)]
        small = [p // 2 for p in total]
        big = [p - q for p, q in zip(total, small)]
        pads = small + big if mode == "SAME_UPPER" else big + small
    elif mode == "VALID":
        pads = [0] * 2 * n
    if len(strides) != n or len(dilations) != n or len(pads) != 2 * n or min(strides + dilations + kernel) < 1:
        raise InputError(f"{g.where}: strides {list(strides)}, dilations {list(dilations)}, pads {pads} do not fit "
                         f"the {n} spatial axes")
    return Windows(kernel, strides, dilations, tuple(pads[:n]), tuple(pads[n:]), bool(attribute(node, "ceil_mode", 0)))


def spatial_tensor(g: Graph, node: Any) -> Tensor:
    t = g.tensor(node.input[0])
    if len(t.shape) < 3 or t.shape[0] != 1:
        raise InputError(f"{g.where}: expected a tensor [N, C, ...] with spatial axes, got shape {list(t.shape)}")
    return t


def conv(g: Graph, node: Any) -> None:
    t = spatial_tensor(g, node)
    W = g.constant(node, 1, "the weight")
    if W is None or W.ndim != len(t.shape):
        raise InputError(f"{g.where}: expected a constant weight [M, C/group, *kernel]")
    bias = g.constant(node, 2, "the bias")
    if bias is not None and np.shape(bias) != (W.shape[0],):
        raise InputError(f"{g.where}: the bias has shape {list(np.shape(bias))}; expected [{W.shape[0]}]")
    if tuple(attribute(node, "kernel_shape", W.shape[2:])) != tuple(W.shape[2:]):
        raise InputError(f"{g.where}: kernel_shape {list(attribute(node, 'kernel_shape', []))} differs from the "
                         f"weight's {list(W.shape[2:])}")
    w = windows(g, node, t.shape[2:], tuple(W.shape[2:]))
    g.set(node, low.conv(t, g.exact(W), None if bias is None else g.exact(bias), w, attribute(node, "group", 1),
                         g.where))


def average_pool(g: Graph, node: Any) -> None:
    t = spatial_tensor(g, node)
    g.set(node, low.average_pool(t, windows(g, node, t.shape[2:]), bool(attribute(node, "count_include_pad", 0)),
                                 g.where))


def global_average_pool(g: Graph, node: Any) -> None:
    g.set(node, low.global_average_pool(spatial_tensor(g, node)))


def flatten(g: Graph, node: Any) -> None:
    t = g.tensor(node.input[0])
    axis = attribute(node, "axis", 1)
    if not -len(t.shape) <= axis <= len(t.shape):
        raise InputError(f"{g.where}: axis {axis} is outside [-{len(t.shape)}, {len(t.shape)}]")
    axis += len(t.shape) if axis < 0 else 0
    g.set(node, low.reshaped(t, (math.prod(t.shape[:axis]), math.prod(t.shape[axis:])), g.where))


def reshape(g: Graph, node: Any) -> None:
    """Reshape to a constant shape (0 copies a dimension unless allowzero, -1 is inferred)."""
    t = g.tensor(node.input[0])
    target = g.constant(node, 1, "the shape")
    if target is None:
        raise InputError(f"{g.where}: expected a constant target shape")
    shape = [int(v) for v in np.asarray(target).reshape(-1)]
    if min(shape, default=0) < -1 or shape.count(-1) > 1:
        raise InputError(f"{g.where}: target shape {shape}: sizes must be >= 0, with at most one -1")
    if not attribute(node, "allowzero", 0):
        shape = [t.shape[i] if v == 0 and i < len(t.shape) else v for i, v in enumerate(shape)]
    if shape.count(-1) == 1:
        known = math.prod(v for v in shape if v != -1)
        shape[shape.index(-1)] = len(t.rows) // known if known else -1
    g.set(node, low.reshaped(t, tuple(shape), g.where))


def transpose(g: Graph, node: Any) -> None:
    t = g.tensor(node.input[0])
    perm = attribute(node, "perm", list(range(len(t.shape)))[::-1])
    if sorted(perm) != list(range(len(t.shape))):
        raise InputError(f"{g.where}: perm {list(perm)} is not a permutation of the {len(t.shape)} axes")
    g.set(node, low.transposed(t, perm))


def squeeze(g: Graph, node: Any) -> None:
    """Squeeze or Unsqueeze (axes from the attribute, or the second input from opset 13)."""
    t = g.tensor(node.input[0])
    given = g.constant(node, 1, "axes")
    axes = attribute(node, "axes", None) if given is None else [int(v) for v in np.asarray(given).reshape(-1)]
    if node.op_type == "Unsqueeze":
        if axes is None:
            raise InputError(f"{g.where}: Unsqueeze needs axes")
        rank = len(t.shape) + len(axes)
        if any(not -rank <= a < rank for a in axes):
            raise InputError(f"{g.where}: axes {list(axes)} outside [-{rank}, {rank})")
        shape = list(t.shape)
        for axis in sorted(a % rank for a in axes):
            shape.insert(axis, 1)
    else:
        if axes is not None and any(not -len(t.shape) <= a < len(t.shape) for a in axes):
            raise InputError(f"{g.where}: axes {list(axes)} outside the {len(t.shape)} axes")
        drop = {a % len(t.shape) for a in axes} if axes is not None else {i for i, n in enumerate(t.shape) if n == 1}
        if any(t.shape[a] != 1 for a in drop):
            raise InputError(f"{g.where}: cannot squeeze axes {sorted(drop)} of shape {list(t.shape)}")
        shape = [n for i, n in enumerate(t.shape) if i not in drop]
    g.set(node, low.reshaped(t, tuple(shape), g.where))


def passthrough(g: Graph, node: Any) -> None:
    """Identity, and Dropout in inference (no mask output)."""
    if node.op_type == "Dropout" and (not inference(g, node) or len([o for o in node.output if o]) > 1):
        raise InputError(f"{g.where}: dropout in training mode is random; export the model for inference")
    g.set(node, g.tensor(node.input[0]))


def inference(g: Graph, node: Any) -> bool:
    """Whether a Dropout node passes its input through: no training_mode input (or a constant false) and no
    is_test = 0 (old opsets)."""
    if attribute(node, "is_test", 1) == 0:
        return False
    if len(node.input) < 3 or not node.input[2]:
        return True
    mode = g.constants.get(node.input[2])
    return mode is not None and not bool(np.asarray(mode).reshape(-1)[0])


def constant(g: Graph, node: Any) -> None:
    value = attribute(node, "value", None)
    if value is None or [a.name for a in node.attribute] != ["value"]:
        raise InputError(f"{g.where}: only Constant nodes with a 'value' tensor are supported")
    g.constants[node.output[0]] = numpy_helper.to_array(value)


# --- piecewise-linear operators -------------------------------------------------------------

def relu(g: Graph, node: Any) -> None:
    g.piecewise(node, low.relu(g.tensor(node.input[0])))


def leaky_relu(g: Graph, node: Any) -> None:
    t = g.tensor(node.input[0])
    a = low.exact(attribute(node, "alpha", ONNX_LEAKY_SLOPE), g.where)       # ONNX's default, a float32
    g.piecewise(node, low.slopes(t, [a] * len(t.rows)))


def prelu(g: Graph, node: Any) -> None:
    t = g.tensor(node.input[0])
    slope = g.constant(node, 1, "the slope")
    if slope is None:
        raise InputError(f"{g.where}: PRelu needs a constant slope")
    g.piecewise(node, low.slopes(t, list(low.broadcast(g.exact(slope), t.shape, g.where))))


def clip(g: Graph, node: Any) -> None:
    """Clip (Relu6 and Hardtanh export as Clip): bounds from inputs 1 and 2, or the attributes of old opsets."""
    t = g.tensor(node.input[0])
    bounds = []
    for i, name in ((1, "min"), (2, "max")):
        value = g.constant(node, i, name)
        if value is not None and np.size(value) != 1:
            raise InputError(f"{g.where}: {name} must be one number, got shape {list(np.shape(value))}")
        value = attribute(node, name, None) if value is None else np.asarray(value).reshape(-1)[0].item()
        bounds.append(None if value is None else low.exact(value, g.where))
    if bounds == [None, None]:
        g.set(node, t)
    else:
        g.piecewise(node, low.clip(t, bounds[0], bounds[1]))


def max_pool(g: Graph, node: Any) -> None:
    t = spatial_tensor(g, node)
    if len([o for o in node.output if o]) > 1 or attribute(node, "storage_order", 0):
        raise InputError(f"{g.where}: MaxPool's Indices output is not supported")
    g.piecewise(node, low.max_pool(t, windows(g, node, t.shape[2:]), g.where))


def global_max_pool(g: Graph, node: Any) -> None:
    t = spatial_tensor(g, node)
    n = len(t.shape) - 2
    whole = Windows(t.shape[2:], (1,) * n, (1,) * n, (0,) * n, (0,) * n)
    g.piecewise(node, low.max_pool(t, whole, g.where))


OPERATORS: dict[str, Handler] = {
    "Gemm": gemm, "MatMul": matmul, "Add": elementwise("Add"), "Sub": elementwise("Sub"),
    "Mul": elementwise("Mul"), "Div": elementwise("Div"), "BatchNormalization": batch_normalization,
    "Conv": conv, "AveragePool": average_pool, "GlobalAveragePool": global_average_pool,
    "Flatten": flatten, "Reshape": reshape, "Transpose": transpose, "Squeeze": squeeze, "Unsqueeze": squeeze,
    "Identity": passthrough, "Dropout": passthrough, "Constant": constant,
    "Relu": relu, "LeakyRelu": leaky_relu, "PRelu": prelu, "Clip": clip, "MaxPool": max_pool,
    "GlobalMaxPool": global_max_pool,
}
