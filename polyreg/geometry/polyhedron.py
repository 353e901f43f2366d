"""Polyhedra in H-representation with exact integer rows.

A row ``(b, a_1, ..., a_d)`` stands for the closed halfspace ``0 <= b + a.x`` (cddlib's
convention). Rows are stored as coprime integers (a positive multiple of the row given), so each
halfspace has one spelling. *Interior* always means the topological interior in R^d.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from ..errors import InputError
from ..exact.rationals import Row, primitive_row, row_value, to_q

# A row of a cell is named by (stage, unit, competitor): stage -1 are the domain's rows (unit = row index); a ReLU
# unit's row is +z (option 1) or -z (option 0) with competitor -1; an argmax unit's row against candidate t is
# z_option - z_t.
RowId = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Polyhedron:
    """``{x in Q^dim : 0 <= b + a.x for every row}``. No redundancy removal is implied."""

    dim: int
    rows: tuple[Row, ...]

    def contains(self, x: Sequence[Fraction | int]) -> bool:
        return all(row_value(r, x) >= 0 for r in self.rows)

    def interior_contains(self, x: Sequence[Fraction | int]) -> bool:
        """True when ``x`` has strict slack on every row with a nonzero normal (and the
        constant rows hold), so a neighbourhood of ``x`` lies in the polyhedron."""
        return all(row_value(r, x) > 0 if any(r[1:]) else r[0] >= 0 for r in self.rows)


def polyhedron_from_rows(dim: int, rows: Sequence[Sequence[Fraction | int]]) -> Polyhedron:
    """The polyhedron ``{x : 0 <= b + a.x}`` of rows ``(b, a_1, ..., a_d)``."""
    return Polyhedron(dim, tuple(primitive_row(r) for r in rows))


def box(dim: int, lower: object, upper: object) -> Polyhedron:
    """The box ``[lower, upper]^dim``; bounds may be numbers or per-coordinate sequences."""
    lows = lower if isinstance(lower, (list, tuple)) else [lower] * dim
    highs = upper if isinstance(upper, (list, tuple)) else [upper] * dim
    if len(lows) != dim or len(highs) != dim:
        raise InputError(f"box: expected {dim} lower and upper bounds, got {len(lows)} and {len(highs)}")
    rows = []
    for i, (lo, hi) in enumerate(zip(lows, highs)):
        lo_q, hi_q = to_q(lo, where=f"box lower[{i}]"), to_q(hi, where=f"box upper[{i}]")
        if not lo_q < hi_q:
            raise InputError(f"box coordinate {i}: lower bound {lo_q} is not below upper bound {hi_q}; "
                             "the domain must be full-dimensional")
        unit = [0] * dim
        unit[i] = 1
        rows.append([-lo_q] + unit)              # x_i - lo >= 0
        rows.append([hi_q] + [-u for u in unit])  # hi - x_i >= 0
    return polyhedron_from_rows(dim, rows)


def polyhedron_from_inequalities(A: Sequence[Sequence[Fraction | int]],
                                 b: Sequence[Fraction | int]) -> Polyhedron:
    """The polyhedron ``{x : A x <= b}``."""
    dim = len(A[0]) if A else 0
    return polyhedron_from_rows(dim, [[bi] + [-a for a in row] for row, bi in zip(A, b)])
