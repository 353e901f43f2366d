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
from ..exact.rationals import Hom, Vec, hom_from_vec, q_to_str, row_at, to_q, to_q_matrix, to_q_vector
from .oracle import Interior, axis_bounds, interior_point_or_proof, unbounded_direction
from .polyhedron import Polyhedron, box


def domain_interior_point(domain: Polyhedron) -> Hom:
    """An exact interior point of the domain, after checking it is full-dimensional (so not empty), then bounded.

    Emptiness comes first: the boundedness LPs of an empty polyhedron say nothing about its directions."""
    if not domain.rows:
        raise DomainError("the domain has no inequalities, so it is unbounded; give a box or a polytope")
    centre = box_centre(domain)
    if centre is not None:
        return centre
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


@dataclass(frozen=True, slots=True)
class Slice:
    """The affine slice ``{origin + sum_j t_j directions[j] : t in parameters}`` of ``Q^n``: networks are studied as
    functions of the parameters ``t`` (cells, counts, pictures and certificates are in parameter space)."""
    origin: Vec
    directions: tuple[Vec, ...]
    parameters: Polyhedron

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", to_q_vector(self.origin, where="slice origin"))
        object.__setattr__(self, "directions", to_q_matrix(self.directions, where="slice directions"))
        n, k = len(self.origin), len(self.directions)
        if not n or not k or any(len(v) != n for v in self.directions):
            raise DomainError(f"slice: expected an origin in Q^n and directions in Q^n (n >= 1), got an origin of "
                              f"{n} entries and directions of lengths {sorted({len(v) for v in self.directions})}")
        if self.parameters.dim != k:
            raise DomainError(f"slice: {k} directions but the parameter domain lies in Q^{self.parameters.dim}")

    @property
    def input_dim(self) -> int:
        return len(self.origin)

    def point(self, t: Sequence[Fraction]) -> Vec:
        """The input ``origin + sum_j t_j directions[j]``."""
        return tuple(o + sum((tj * v[i] for tj, v in zip(t, self.directions) if tj), Fraction(0))
                     for i, o in enumerate(self.origin))

    def __repr__(self) -> str:
        return f"Slice({len(self.directions)}-D in Q^{len(self.origin)})"


def plane(a: Sequence[object], b: Sequence[object], c: Sequence[object], margin: object = Fraction(1, 4)) -> Slice:
    """The plane through the points ``a``, ``b``, ``c``: ``a + s (b - a) + t (c - a)`` for ``(s, t)`` in
    ``[-margin, 1 + margin]^2`` (the points at (0, 0), (1, 0) and (0, 1))."""
    pa, pb, pc = (to_q_vector(p, where=f"plane point {name}") for p, name in ((a, "a"), (b, "b"), (c, "c")))
    m = to_q(margin, where="plane margin")
    return Slice(pa, (tuple(y - x for x, y in zip(pa, pb)), tuple(y - x for x, y in zip(pa, pc))),
                 box(2, -m, 1 + m))


def around(x: Sequence[object], radius: object, clip: Optional[tuple[object, object]] = None) -> Polyhedron:
    """The box ``{y : |y - x|_inf <= radius}``, intersected with ``[lo, hi]^n`` if ``clip`` is given."""
    center, r = to_q_vector(x, where="--around point"), to_q(radius, where="--radius")
    if r <= 0:
        raise DomainError(f"--radius must be positive, got {r}")
    lo, hi = (to_q(clip[0], where="--clip low"), to_q(clip[1], where="--clip high")) if clip else (None, None)
    lows = [v - r if lo is None else max(v - r, lo) for v in center]
    highs = [v + r if hi is None else min(v + r, hi) for v in center]
    empty = [i for i, (a, b) in enumerate(zip(lows, highs)) if a >= b]
    if empty:
        raise DomainError(f"the box around the point is empty or flat in coordinate {empty[0]} after clipping to "
                          f"[{lo}, {hi}] (the point's entry is {center[empty[0]]})")
    return box(len(center), lows, highs)


def box_centre(domain: Polyhedron) -> Hom | None:
    """When single-coordinate rows bound every coordinate (the domain is bounded) and the centre of the box they
    make lies strictly inside every row: that centre, found without an LP (in high dimension an LP is costly)."""
    bounds = axis_bounds(domain.rows)
    if bounds is None:
        return None
    point = hom_from_vec([(high.value - low.value) / 2 for low, high in bounds])
    inside = all(row_at(r, point) > 0 if any(r[1:]) else r[0] >= 0 for r in domain.rows)
    return point if inside else None


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
