"""Decide exactly whether two networks are the same function on a domain.

Both networks are refined together (``core.enumerate.refine``): on every cell of their common refinement
each is one affine map, and the maps are compared coefficient by coefficient. Equal maps on
every full-dimensional cell give equality on the whole domain when both networks are
continuous; ReLU, maxout and tie-safe hard-max attention are. Where a hard-max head is not
tie-safe, equality is proved on the cells' interiors only, and the verdict says so.

For different networks the exact sup-norm distance ``max_x |A(x) - B(x)|_inf`` is one exact LP
per (cell, output, sign) over the cells with different maps; its maximiser is re-evaluated by
direct exact evaluation of both networks.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..core.cpwl import Cell, Cpwl
from ..core.enumerate import Progress, refine
from ..core.workers import Jobs
from ..errors import InputError, OracleError
from ..exact.affine import Affine
from ..exact.flint_matrices import Conversions
from ..exact.rationals import Vec, approx, row_value, short_vec
from ..geometry.domains import Slice
from ..geometry.oracle import maximum
from ..geometry.polyhedron import Polyhedron
from ..network.ir import Network
from ..network.semantics import evaluate

if TYPE_CHECKING:
    from .cases import MixedVerdict


@dataclass(frozen=True, slots=True)
class Counterexample:
    """A point of the domain with both networks' outputs, computed by direct evaluation."""
    x: Vec
    outputs: tuple[Vec, Vec]

    @property
    def difference(self) -> Fraction:
        return max(abs(a - b) for a, b in zip(*self.outputs))

    def __repr__(self) -> str:
        return f"Counterexample(x {short_vec(self.x)}, difference about {approx(self.difference)})"


@dataclass(frozen=True, slots=True)
class Verdict:
    equivalent: bool
    everywhere: bool                  # False: equal on cell interiors only (not tie-safe)
    refinement: Cpwl
    differing_cells: int
    seconds: float
    counterexample: Optional[Counterexample] = None
    distance: Optional[Fraction] = None

    @property
    def word(self) -> str:
        return verdict_word(self.equivalent, self.everywhere)

    @property
    def cells(self) -> int:
        return len(self.refinement.cells)

    def __repr__(self) -> str:
        return f"Verdict({self.word!r}, {self.cells} cells{difference_text(self)})"


def difference_text(verdict: "Verdict | MixedVerdict") -> str:
    """``, 95 differing cells, distance about 2.20841`` for a ``DIFFERENT`` verdict (empty otherwise)."""
    if verdict.equivalent:
        return ""
    distance = "" if verdict.distance is None else f", distance about {approx(verdict.distance)}"
    return f", {verdict.differing_cells} differing{distance}"


def verdict_word(equivalent: bool, everywhere: bool) -> str:
    """The first line of ``certify``."""
    if not equivalent:
        return "DIFFERENT"
    return "EQUIVALENT" if everywhere else "EQUIVALENT ALMOST EVERYWHERE"


def check_compatible(a: Network, b: Network, domain: Polyhedron | Slice) -> None:
    if a.input_dim != b.input_dim:
        raise InputError(f"the networks have input dimensions {a.input_dim} and {b.input_dim}")
    if a.output_dim != b.output_dim:
        raise InputError(f"the networks have {a.output_dim} and {b.output_dim} outputs; "
                         "only networks with the same output dimension can be compared")
    if domain.input_dim != a.input_dim:
        raise InputError(f"the domain lies in Q^{domain.input_dim} but the networks take {a.input_dim} inputs")


def certify(a: Network, b: Network, domain: Polyhedron | Slice, progress: Progress | None = None,
            only_relevant: bool = False, conversions: Optional[Conversions] = None, jobs: Jobs = 1,
            checkpoint: Optional[str] = None, render: Optional[Callable[[Cpwl], Any]] = None) -> Verdict:
    """``EQUIVALENT`` (on every point of ``domain``, or almost everywhere) or ``DIFFERENT`` with a
    counterexample and the exact distance (``only_relevant``, ``jobs``, ``checkpoint``, ``render``: see
    ``core.enumerate.refine``)."""
    check_compatible(a, b, domain)
    started = time.perf_counter()
    cpwl = refine((a, b), domain, progress, only_relevant=only_relevant, conversions=conversions, jobs=jobs,
                  checkpoint=checkpoint, render=render)
    differing = [cell for cell in cpwl.cells if cell.affines[0] != cell.affines[1]]
    if not differing:
        return Verdict(True, not cpwl.not_tie_safe, cpwl, 0, time.perf_counter() - started)
    value, x = farthest_point(differing)
    a, b = cpwl.networks          # on a slice: composed with it, so that x is in its parameters
    witness = Counterexample(x, (evaluate(a, x), evaluate(b, x)))
    if witness.difference != value:   # the maximiser lies on a jump of a head that is not tie-safe
        x = interior_point_where_different(differing[0])
        witness = Counterexample(x, (evaluate(a, x), evaluate(b, x)))
        if witness.difference == 0:
            raise OracleError("a cell's maps differ, but direct evaluation inside it does not")
    return Verdict(False, not cpwl.not_tie_safe, cpwl, len(differing), time.perf_counter() - started,
                   witness, value)


@dataclass(frozen=True, slots=True)
class Distance:
    value: Fraction
    maximiser: Counterexample
    refinement: Cpwl
    seconds: float

    def __repr__(self) -> str:
        return f"Distance(about {approx(self.value)}, {len(self.refinement.cells)} cells)"


def distance(a: Network, b: Network, domain: Polyhedron | Slice, progress: Progress | None = None,
             jobs: Jobs = 1, checkpoint: Optional[str] = None) -> Distance:
    """The exact ``max over the domain of |a(x) - b(x)|_inf``, with a maximiser (``jobs``, ``checkpoint``: see
    ``core.enumerate.refine``)."""
    check_compatible(a, b, domain)
    started = time.perf_counter()
    cpwl = refine((a, b), domain, progress, jobs=jobs, checkpoint=checkpoint)
    differing = [cell for cell in cpwl.cells if cell.affines[0] != cell.affines[1]]
    value, x = farthest_point(differing) if differing else (Fraction(0), cpwl.cells[0].point)
    a, b = cpwl.networks          # on a slice: composed with it, so that x is in its parameters
    return Distance(value, Counterexample(x, (evaluate(a, x), evaluate(b, x))), cpwl,
                    time.perf_counter() - started)


def farthest_point(cells: list[Cell]) -> tuple[Fraction, Vec]:
    """The maximum of ``|A(x) - B(x)|_inf`` over the closed cells, and a point attaining it."""
    best: tuple[Fraction, Vec] = (Fraction(-1), ())
    for cell in cells:
        gap = difference(cell)
        for coefficients, constant in zip(gap.A, gap.b):
            for sign in (1, -1):
                objective = [sign * constant] + [sign * c for c in coefficients]
                found = maximum(cell.polyhedron.rows, objective)
                if found.value > best[0]:
                    best = (found.value, found.point)
    return best


def difference(cell: Cell) -> Affine:
    a, b = cell.affines
    return Affine(tuple(tuple(x - y for x, y in zip(ra, rb)) for ra, rb in zip(a.A, b.A)),
                  tuple(x - y for x, y in zip(a.b, b.b)))


def interior_point_where_different(cell: Cell) -> Vec:
    """A point strictly inside ``cell`` where its two maps differ: the cell's own point, or a
    step from it along the gradient of a nonzero coordinate of their difference."""
    gap = difference(cell)
    p = cell.point
    if any(v != 0 for v in gap(p)):
        return p
    direction = next(row for row in gap.A if any(row))
    steps = [row_value(r, p) / -sum((a * e for a, e in zip(r[1:], direction)), Fraction(0))
             for r in cell.polyhedron.rows if sum((a * e for a, e in zip(r[1:], direction)), Fraction(0)) < 0]
    step = min([Fraction(1)] + steps) / 2
    return tuple(x + step * e for x, e in zip(p, direction))
