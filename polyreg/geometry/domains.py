"""Domains: the one check that a polytope is a usable domain, and mixed domains (discrete groups times a polytope).

A mixed domain in ``Q^n`` is ``{z : z_G in V_G for every discrete group G, z_F in P}``: each group ``G`` of input
coordinates takes one of a finite list ``V_G`` of rational vectors (a symbol, e.g. one-hot encoded), and the free
coordinates ``F`` range over a bounded, full-dimensional polytope ``P`` (or there are none). Its *cases* are the
assignments of the groups, in product order (the last group varying fastest).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from math import prod
from typing import Iterator, Optional, Sequence

from ..errors import DomainError
from ..exact.rationals import Hom, Vec, q_to_str, to_q_matrix
from .oracle import Interior, interior_point_or_proof, unbounded_direction
from .polyhedron import Polyhedron


def domain_interior_point(domain: Polyhedron) -> Hom:
    """An exact interior point of the domain, after checking it is full-dimensional (so not empty), then bounded.

    Emptiness comes first: the boundedness LPs of an empty polyhedron say nothing about its directions."""
    if not domain.rows:
        raise DomainError("the domain has no inequalities, so it is unbounded; give a box or a polytope")
    result = interior_point_or_proof(domain.rows)
    if not isinstance(result, Interior):
        what = "empty" if result.empty else "lower-dimensional (it lies in a hyperplane)"
        used = ", ".join(f"row {j}" for j, _ in result.multipliers)
        raise DomainError(f"the domain is {what}: see its inequalities {used}; "
                          "polyreg needs a full-dimensional domain")
    direction = unbounded_direction(domain.rows)
    if direction is not None:
        i, sign = direction
        raise DomainError(f"the domain is unbounded: x_{i} can go to {'+' if sign > 0 else '-'}infinity; "
                          "add bounds (for example with --box)")
    return result.point


Assignment = tuple[tuple[int, Fraction], ...]   # (input coordinate, value), sorted by coordinate


@dataclass(frozen=True, slots=True)
class DiscreteGroup:
    """The input coordinates ``coordinates`` together take one of the vectors ``values``."""
    coordinates: tuple[int, ...]
    values: tuple[Vec, ...]

    def __post_init__(self) -> None:
        if isinstance(self.coordinates, list):
            object.__setattr__(self, "coordinates", tuple(self.coordinates))
        object.__setattr__(self, "values", to_q_matrix(self.values, where="DiscreteGroup values"))

    def __repr__(self) -> str:
        shown = ", ".join(map(str, self.coordinates[:8])) + (", ..." if len(self.coordinates) > 8 else "")
        n = len(self.values)
        return f"DiscreteGroup(coordinates [{shown}], {n} value{'s' * (n != 1)})"


@dataclass(frozen=True, slots=True)
class MixedDomain:
    """The product of the groups' values (in order) times ``polytope`` over the ``free`` coordinates (its ``x_k``
    is input ``free[k]``); ``polytope`` is None when there are no free coordinates."""
    input_dim: int
    discrete: tuple[DiscreteGroup, ...]
    free: tuple[int, ...]
    polytope: Optional[Polyhedron]

    @property
    def num_cases(self) -> int:
        return prod(len(group.values) for group in self.discrete)

    def __repr__(self) -> str:
        counts = ((len(self.discrete), "discrete group"), (self.num_cases, "case"),
                  (len(self.free), "free coordinate"))
        return f"MixedDomain(Q^{self.input_dim}: " + ", ".join(f"{n} {w}{'s' * (n != 1)}" for n, w in counts) + ")"

    def assignments(self, groups: Optional[Sequence[int]] = None) -> Iterator[Assignment]:
        """The cases in product order, the last group varying fastest; only ``groups`` vary when given (the
        others take their first value)."""
        varied = range(len(self.discrete)) if groups is None else set(groups)
        for choice in product(*(g.values if k in varied else g.values[:1] for k, g in enumerate(self.discrete))):
            yield tuple(sorted((i, v) for group, vector in zip(self.discrete, choice)
                               for i, v in zip(group.coordinates, vector)))

    def full_input(self, fixed: Assignment, x: Sequence[Fraction]) -> Vec:
        """The input ``z`` with ``z_i = fixed[i]`` and ``z_{free[k]} = x_k``."""
        z = dict(fixed) | dict(zip(self.free, x))
        return tuple(Fraction(z[i]) for i in range(self.input_dim))


def assignment_text(fixed: Assignment) -> str:
    return ", ".join(f"x_{i} = {q_to_str(v)}" for i, v in fixed)
