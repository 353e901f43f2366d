"""Network intermediate representation: frozen, exact, shape-checked at construction.

An ``Mlp`` maps ``Q^input_dim`` to ``Q^output_dim`` by applying its layers in order:
``Dense`` is ``y = W x + c``; ``Relu`` is ``y_i = max(x_i, 0)``; ``Maxout(rank=k)`` is
``y_i = max(x_{ik}, ..., x_{ik+k-1})``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .errors import InputError
from .exact import Mat, Vec


@dataclass(frozen=True, slots=True)
class Dense:
    weight: Mat   # out x in
    bias: Vec     # out


@dataclass(frozen=True, slots=True)
class Relu:
    pass


@dataclass(frozen=True, slots=True)
class Maxout:
    rank: int     # each unit is the max of `rank` consecutive inputs


Layer = Union[Dense, Relu, Maxout]


@dataclass(frozen=True, slots=True)
class Mlp:
    input_dim: int
    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        problems = shape_problems(self.input_dim, self.layers)
        if problems:
            raise InputError(f"network has {len(problems)} shape problem(s):\n  " + "\n  ".join(problems))

    @property
    def widths(self) -> tuple[int, ...]:
        """The width after each layer (``widths[-1]`` is the output dimension)."""
        return layer_widths(self.input_dim, self.layers)

    @property
    def output_dim(self) -> int:
        return self.widths[-1] if self.layers else self.input_dim


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
            if layer.rank < 1:
                problems.append(f"layer {i} (maxout): rank must be a positive integer, got {layer.rank}")
            elif width % layer.rank:
                problems.append(f"layer {i} (maxout): input width {width} is not a multiple of rank {layer.rank}")
            else:
                width //= layer.rank
        elif not isinstance(layer, Relu):
            problems.append(f"layer {i}: unknown layer object {layer!r}")
    return problems
