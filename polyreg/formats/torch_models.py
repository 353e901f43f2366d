"""PyTorch modules read as exact networks: the module is traced with ``torch.fx`` (an ``nn.Sequential``, or any
module whose forward is a graph of the supported layers, skip connections included) and lowered by ``lowering``.

Exactness: a float weight is its exact binary value (a float32 weight is the float32 number itself). Batch
normalization's ``1 / sqrt(var + eps)`` is exact where it is rational, else a float64 value taken exactly, with an
``InexactWarning`` (``strict=True`` refuses).
"""
from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.fx
from torch import nn
from torch.nn import functional

from ..errors import InputError
from ..network.ir import Mlp
from . import lowering as low
from .lowering import Lowering, Tensor, Windows

Handler = Callable[["Trace", Any, Any], None]     # (trace, fx node, module or None)


def from_torch(module: nn.Module, input_shape: Sequence[int], strict: bool = False) -> Mlp:
    """The exact network of ``module`` on inputs of shape ``input_shape`` (one example, without the batch axis:
    ``(784,)`` for an MLP, ``(1, 28, 28)`` for a convolutional net); its input is the example flattened in C
    order, its output the module's output flattened."""
    shape = tuple(int(n) for n in input_shape)
    if not shape or min(shape) < 1:
        raise InputError(f"input_shape {list(input_shape)}: expected the positive sizes of one example")
    training = [name or type(module).__name__ for name, m in module.named_modules()
                if m.training and isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.Dropout))]
    if training:
        raise InputError(f"{training[0]} is in training mode (batch statistics, random dropout): call "
                         "module.eval() first")
    root = nn.Sequential(module) if type(module) in MODULES else module     # a lone layer: fx would trace inside it
    try:
        graph = torch.fx.symbolic_trace(root).graph
    except Exception as err:     # fx refuses data-dependent control flow and the like
        raise InputError(f"{type(module).__name__}: torch.fx cannot trace its forward ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}); polyreg reads modules whose forward is a "
                         "graph of layers") from None
    trace = Trace(root, list(graph.nodes), shape, strict)
    for k, node in enumerate(trace.nodes):
        trace.step, trace.where = k, f"{type(module).__name__}: {node.name} ({described(root, node)})"
        trace.lowering.where = trace.where
        trace.handle(node)
    return trace.network()


def described(module: nn.Module, node: Any) -> str:
    """What an fx node does: a layer's class, a function's or a tensor method's name."""
    if node.op == "call_module":
        return type(module.get_submodule(node.target)).__name__
    return f"{'method ' if node.op == 'call_method' else ''}{getattr(node.target, '__name__', node.target)}"


class Trace:
    """The lowering of the traced graph so far; the last node that reads each value (values read later ride
    through piecewise layers); constants met on the way (sizes)."""

    def __init__(self, module: nn.Module, nodes: list[Any], shape: tuple[int, ...], strict: bool) -> None:
        self.module, self.nodes, self.strict, self.step, self.where = module, nodes, strict, 0, ""
        inputs = [n for n in nodes if n.op == "placeholder"]
        if len(inputs) != 1:
            raise InputError(f"{type(module).__name__}: forward takes {len(inputs)} inputs; polyreg reads modules "
                             "of one input tensor")
        self.lowering = Lowering(inputs[0].name, (1,) + shape)
        self.last_use = {arg.name: k for k, n in enumerate(nodes) for arg in n.all_input_nodes
                         if (n.op, n.target) != ("call_method", "size")}     # a size reads no values
        self.constants: dict[str, Any] = {}
        self.output = ""
        self.overwritten: Any = None      # the input an in-place node overwrites

    def handle(self, node: Any) -> None:
        if node.op == "placeholder":
            return
        if node.op == "output":
            result = node.args[0]
            if not isinstance(result, torch.fx.Node):
                raise InputError(f"{self.where}: forward returns {type(result).__name__}; expected one tensor")
            self.output = result.name
            return
        if node.op == "call_module":
            target = self.module.get_submodule(node.target)
            handler = MODULES.get(type(target))
        else:
            target, handler = None, FUNCTIONS.get(node.target) if node.op == "call_function" else \
                METHODS.get(node.target) if node.op == "call_method" else None
        if handler is None:
            raise InputError(f"{self.where}: not supported; supported layers: "
                             f"{', '.join(sorted(m.__name__ for m in MODULES))}; functions: "
                             f"{', '.join(sorted({f.__name__ for f in FUNCTIONS}))}; tensor methods: "
                             f"{', '.join(sorted(METHODS))}")
        source = argument(node, 0, "input") if in_place(node, target) else None
        self.overwritten = source.name if isinstance(source, torch.fx.Node) else None
        handler(self, node, target)
        if self.overwritten:        # later reads of the input see the result
            self.lowering.tensors[self.overwritten] = self.lowering.tensors[node.name]

    def network(self) -> Mlp:
        if self.output not in self.lowering.tensors:
            raise InputError(f"{type(self.module).__name__}: the output is not computed from the input")
        return self.lowering.network(self.output)

    def tensor(self, arg: Any) -> Tensor:
        if not isinstance(arg, torch.fx.Node) or arg.name not in self.lowering.tensors:
            raise InputError(f"{self.where}: expected a tensor computed from the input, got {arg}")
        return self.lowering.tensors[arg.name]

    def exact(self, parameter: Any) -> np.ndarray:
        """A weight tensor's exact values (float16 and bfloat16 widen exactly to float32)."""
        value = parameter.detach().cpu()
        return low.fractions(value.float().numpy() if value.dtype in (torch.float16, torch.bfloat16) else
                             value.numpy(), self.where)

    def set(self, node: Any, tensor: Tensor) -> None:
        self.lowering.set(node.name, tensor)

    def piecewise(self, node: Any, op: low.Piecewise) -> None:
        keep = [name for name in self.lowering.tensors
                if self.last_use.get(name, -1) > self.step and name != self.overwritten]
        self.lowering.piecewise(node.name, op, keep)


MISSING = object()


def argument(node: Any, i: int, name: str, default: Any = MISSING) -> Any:
    """Argument ``i`` of an fx call, given by position or by keyword ``name`` (else ``default``)."""
    if len(node.args) > i:
        return node.args[i]
    if name in node.kwargs:
        return node.kwargs[name]
    if default is MISSING:
        raise InputError(f"{node.name}: missing argument {name!r}")
    return default


def in_place(node: Any, target: Any) -> bool:
    """Whether the layer or function overwrites its input (``inplace=True``)."""
    if target is not None:
        return bool(getattr(target, "inplace", False))
    position = INPLACE_POSITION.get(node.target)
    return position is not None and bool(argument(node, position, "inplace", False))


def pairs(value: Any, n: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (int(value),) * n


def spatial(trace: Trace, node: Any, axes: int) -> Tensor:
    t = trace.tensor(argument(node, 0, 'input'))
    if len(t.shape) != 2 + axes:
        raise InputError(f"{trace.where}: expected an input [N, C] + {axes} spatial axes, got shape "
                         f"{list(t.shape[1:])} per example")
    return t


# --- layers ---------------------------------------------------------------------------------

def linear(trace: Trace, node: Any, m: nn.Linear) -> None:
    bias = None if m.bias is None else trace.exact(m.bias)
    trace.set(node, low.matmul(trace.tensor(argument(node, 0, 'input')), trace.exact(m.weight).T, bias, trace.where))


def conv(trace: Trace, node: Any, m: Any) -> None:
    """``nn.Conv1d`` / ``nn.Conv2d`` with zero padding (an int, a tuple, 'valid' or 'same')."""
    axes = len(m.kernel_size)
    t = spatial(trace, node, axes)
    if m.padding_mode != "zeros":
        raise InputError(f"{trace.where}: padding_mode {m.padding_mode!r}; polyreg reads zero padding only")
    if m.padding == "same":
        total = [d * (k - 1) for k, d in zip(m.kernel_size, m.dilation)]
        begin, end = tuple(p // 2 for p in total), tuple(p - p // 2 for p in total)
    else:
        begin = end = (0,) * axes if m.padding == "valid" else pairs(m.padding, axes)
    w = Windows(tuple(m.kernel_size), tuple(m.stride), tuple(m.dilation), begin, end)
    bias = None if m.bias is None else trace.exact(m.bias)
    trace.set(node, low.conv(t, trace.exact(m.weight), bias, w, m.groups, trace.where))


def batch_norm(trace: Trace, node: Any, m: Any) -> None:
    if not m.track_running_stats or m.running_var is None:
        raise InputError(f"{trace.where}: batch normalization without running statistics normalizes by the batch")
    channels = m.num_features
    one, zero = np.full(channels, Fraction(1), dtype=object), np.full(channels, Fraction(0), dtype=object)
    scale, bias = (trace.exact(m.weight), trace.exact(m.bias)) if m.affine else (one, zero)
    n = low.Normalization(scale, bias, trace.exact(m.running_mean), trace.exact(m.running_var),
                          low.exact(float(m.eps), trace.where))
    trace.set(node, low.batch_norm(trace.tensor(argument(node, 0, 'input')), n, trace.strict, trace.where))


def pool(maximum: bool) -> Handler:
    """``nn.MaxPool1d/2d`` (``max=True``) or ``nn.AvgPool1d/2d``."""
    def handle(trace: Trace, node: Any, m: Any) -> None:
        axes = 1 if isinstance(m, (nn.MaxPool1d, nn.AvgPool1d)) else 2
        t = spatial(trace, node, axes)
        kernel = pairs(m.kernel_size, axes)
        stride = pairs(m.stride if m.stride not in (None, ()) else kernel, axes)
        pad = pairs(m.padding, axes)
        dilation = pairs(getattr(m, "dilation", 1), axes)
        w = Windows(kernel, stride, dilation, pad, pad, bool(m.ceil_mode))
        if maximum:
            if m.return_indices:
                raise InputError(f"{trace.where}: return_indices is not supported")
            trace.piecewise(node, low.max_pool(t, w, trace.where))
        elif getattr(m, "divisor_override", None):
            raise InputError(f"{trace.where}: divisor_override is not supported")
        else:
            trace.set(node, low.average_pool(t, w, bool(m.count_include_pad), trace.where))
    return handle


def relu(trace: Trace, node: Any, _: Any) -> None:
    trace.piecewise(node, low.relu(trace.tensor(argument(node, 0, 'input'))))


def leaky_relu(trace: Trace, node: Any, m: Any) -> None:
    t = trace.tensor(argument(node, 0, 'input'))
    slope = m.negative_slope if m is not None else argument(node, 1, "negative_slope", 0.01)
    trace.piecewise(node, low.slopes(t, [low.exact(float(slope), trace.where)] * len(t.rows)))


def prelu(trace: Trace, node: Any, m: nn.PReLU) -> None:
    t = trace.tensor(argument(node, 0, 'input'))
    a = trace.exact(m.weight)
    if len(a) > 1:        # one slope per channel (axis 1)
        a = a.reshape((1, len(a)) + (1,) * (len(t.shape) - 2))
    trace.piecewise(node, low.slopes(t, list(low.broadcast(a, t.shape, trace.where))))


def hardtanh(trace: Trace, node: Any, m: nn.Hardtanh) -> None:
    """``nn.Hardtanh`` and ``nn.ReLU6``: clip to ``[min_val, max_val]``."""
    low_, high = (low.exact(float(v), trace.where) for v in (m.min_val, m.max_val))
    trace.piecewise(node, low.clip(trace.tensor(argument(node, 0, 'input')), low_, high))


def flatten(trace: Trace, node: Any, m: Any) -> None:
    """``nn.Flatten`` / ``torch.flatten`` / ``x.flatten``: merge axes start..end (negative counted from the end)."""
    t = trace.tensor(argument(node, 0, 'input'))
    start, end = (m.start_dim, m.end_dim) if m is not None else (
        argument(node, 1, "start_dim", 0), argument(node, 2, "end_dim", -1))
    rank = len(t.shape)
    start, end = start % rank, end % rank
    shape = t.shape[:start] + (math.prod(t.shape[start:end + 1]),) + t.shape[end + 1:]
    trace.set(node, low.reshaped(t, shape, trace.where))


def view(trace: Trace, node: Any, _: Any) -> None:
    """``x.view(...)`` / ``x.reshape(...)``: sizes are ints, ``-1`` or ``x.size(0)`` (the batch, 1 here)."""
    t = trace.tensor(argument(node, 0, 'input'))
    sizes = node.args[1] if len(node.args) == 2 and isinstance(node.args[1], (tuple, list)) else node.args[1:]
    given = [trace.constants.get(s.name) if isinstance(s, torch.fx.Node) else s for s in sizes]
    if not all(isinstance(s, int) for s in given):
        raise InputError(f"{trace.where}: the new shape {sizes} is not made of ints and x.size(0)")
    shape = [int(s) for s in given if s is not None]
    if shape.count(-1) == 1:
        known = math.prod(s for s in shape if s != -1)
        shape[shape.index(-1)] = len(t.rows) // known if known else -1
    trace.set(node, low.reshaped(t, tuple(shape), trace.where))


def size(trace: Trace, node: Any, _: Any) -> None:
    """``x.size(0)``: the batch size, 1 for one example."""
    dim = argument(node, 1, "dim", None)
    if dim != 0:
        raise InputError(f"{trace.where}: only x.size(0), the batch size, is supported")
    trace.constants[node.name] = 1


def passthrough(trace: Trace, node: Any, _: Any) -> None:
    """``nn.Identity`` and ``nn.Dropout`` in eval mode."""
    trace.set(node, trace.tensor(argument(node, 0, 'input')))


def arithmetic(sign: int) -> Handler:
    """``a + b`` / ``a - b`` of two tensors (a skip connection) or of a tensor and a number."""
    def handle(trace: Trace, node: Any, _: Any) -> None:
        a, b = argument(node, 0, "input"), argument(node, 1, "other")
        if node.kwargs.get("alpha", 1) != 1:
            raise InputError(f"{trace.where}: alpha is not supported")
        if all(isinstance(v, torch.fx.Node) for v in (a, b)):
            trace.set(node, low.add(trace.tensor(a), trace.tensor(b), sign, trace.where))
            return
        first = isinstance(a, torch.fx.Node)
        t, c = trace.tensor(a if first else b), b if first else a
        if not isinstance(c, (int, float)):
            raise InputError(f"{trace.where}: expected a tensor and a number, got {type(c).__name__}")
        n = len(t.rows)
        value = low.exact(float(c), trace.where)
        scale = np.full(n, Fraction(1 if first or sign > 0 else -1), dtype=object)
        shift = np.full(n, value if not first or sign > 0 else -value, dtype=object)
        trace.set(node, low.scale_shift(t, scale, shift))
    return handle


MODULES: dict[type, Handler] = {
    nn.Linear: linear, nn.Conv1d: conv, nn.Conv2d: conv, nn.BatchNorm1d: batch_norm, nn.BatchNorm2d: batch_norm,
    nn.ReLU: relu, nn.LeakyReLU: leaky_relu, nn.PReLU: prelu, nn.Hardtanh: hardtanh, nn.ReLU6: hardtanh,
    nn.MaxPool1d: pool(True), nn.MaxPool2d: pool(True), nn.AvgPool1d: pool(False), nn.AvgPool2d: pool(False),
    nn.Flatten: flatten, nn.Dropout: passthrough, nn.Identity: passthrough,
}
FUNCTIONS: dict[Any, Handler] = {
    operator.add: arithmetic(1), operator.sub: arithmetic(-1), torch.add: arithmetic(1), torch.sub: arithmetic(-1),
    torch.relu: relu, functional.relu: relu, functional.leaky_relu: leaky_relu, torch.flatten: flatten,
}
INPLACE_POSITION = {functional.relu: 1, functional.leaky_relu: 2}    # where the inplace flag is passed
METHODS: dict[str, Handler] = {"relu": relu, "flatten": flatten, "view": view, "reshape": view, "size": size,
                               "add": arithmetic(1), "sub": arithmetic(-1)}
