"""Network families from the literature and random networks, built with exact weights.

References: the sawtooth of Telgarsky (2016, "Benefits of depth in neural networks"); the
zig-zag fold of Montufar, Pascanu, Cho and Bengio (2014, "On the number of linear regions of
deep neural networks").
"""
from __future__ import annotations

import random
from fractions import Fraction
from typing import Sequence

from .ir import Dense, Layer, Maxout, Mlp, Relu


def zigzag(widths: Sequence[int]) -> Mlp:
    """The composition of folds ``g_p(y) = p [ReLU(y) - 2 ReLU(y - 1/p) + ... ± 2 ReLU(y - (p-1)/p)]``,
    one per entry of ``widths`` (a map R -> R); ``g_p`` maps each ``[k/p, (k+1)/p]`` onto ``[0, 1]``."""
    layers: list[Layer] = []
    previous: tuple[Fraction, ...] = (Fraction(1),)   # how the previous ReLU outputs combine
    for p in widths:
        weight = tuple(previous for _ in range(p))
        bias = tuple(Fraction(-k, p) for k in range(p))
        layers += [Dense(weight, bias), Relu()]
        previous = tuple(Fraction(p * (1 if k == 0 else 2 * (-1) ** k)) for k in range(p))
    layers.append(Dense((previous,), (Fraction(0),)))
    return Mlp(1, tuple(layers))


def sawtooth(depth: int) -> Mlp:
    """Telgarsky's sawtooth: the tent ``t(y) = 2 ReLU(y) - 4 ReLU(y - 1/2)`` composed ``depth`` times."""
    return zigzag([2] * depth)


def random_relu(input_dim: int, hidden: Sequence[int], seed: int, outputs: int = 1,
                denominator: int = 64) -> Mlp:
    """A ReLU network with weights and biases drawn uniformly from ``[-1, 1]`` on the grid
    ``1/denominator`` (seeded, so the same arguments give the same network)."""
    rng = random.Random(seed)
    sizes = [input_dim, *hidden, outputs]
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(random_dense(rng, fan_in, fan_out, denominator))
        if i < len(hidden):
            layers.append(Relu())
    return Mlp(input_dim, tuple(layers))


def random_maxout(input_dim: int, hidden: Sequence[int], rank: int, seed: int, outputs: int = 1,
                  denominator: int = 64) -> Mlp:
    """A maxout network: each hidden layer has ``hidden[i]`` units of rank ``rank``."""
    rng = random.Random(seed)
    layers: list[Layer] = []
    width = input_dim
    for units in hidden:
        layers += [random_dense(rng, width, units * rank, denominator), Maxout(rank)]
        width = units
    layers.append(random_dense(rng, width, outputs, denominator))
    return Mlp(input_dim, tuple(layers))


def random_dense(rng: random.Random, fan_in: int, fan_out: int, denominator: int) -> Dense:
    def draw() -> Fraction:
        return Fraction(rng.randint(-denominator, denominator), denominator)
    return Dense(tuple(tuple(draw() for _ in range(fan_in)) for _ in range(fan_out)),
                 tuple(draw() for _ in range(fan_out)))
