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
from ..exact.rationals import Row, entries, primitive_row, row_value, to_q, to_q_matrix, to_q_vector

# A row of a cell is named by (stage, unit, competitor): stage -1 are the domain's rows (unit = row index); a ReLU
# unit's row is +z (option 1) or -z (option 0) with competitor -1; an argmax unit's row against candidate t is
# z_option - z_t.
RowId = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Polyhedron:
    """``{x in Q^dim : 0 <= b + a.x for every row}``. No redundancy removal is implied."""

    dim: int
    rows: tuple[Row, ...]

    def contains(self, x: object) -> bool:
        """Whether ``x`` (coordinates read by ``to_q``: a float is its exact binary value) lies in the polyhedron."""
        point = to_q_vector(x, where="point")
        return all(row_value(r, point) >= 0 for r in self.rows)

    def interior_contains(self, x: object) -> bool:
        """True when ``x`` has strict slack on every row with a nonzero normal (and the
        constant rows hold), so a neighbourhood of ``x`` lies in the polyhedron."""
        point = to_q_vector(x, where="point")
        return all(row_value(r, point) > 0 if any(r[1:]) else r[0] >= 0 for r in self.rows)

    def __repr__(self) -> str:
        return f"Polyhedron({len(self.rows)} inequalities in Q^{self.dim})"

    @property
    def input_dim(self) -> int:
        """The dimension of the inputs it is a domain of (a ``Slice`` has the same property)."""
        return self.dim


def polyhedron_from_rows(dim: int, rows: Sequence[Sequence[Fraction | int]]) -> Polyhedron:
    """The polyhedron ``{x : 0 <= b + a.x}`` of rows ``(b, a_1, ..., a_d)``."""
    return Polyhedron(dim, tuple(primitive_row(r) for r in rows))


def box(dim: int, lower: object, upper: object) -> Polyhedron:
    """The box ``[lower, upper]^dim``; bounds may be numbers (read by ``to_q``: a float is its exact binary value)
    or per-coordinate sequences (lists, tuples, numpy arrays)."""
    lows = bounds(lower, dim, "box lower")
    highs = bounds(upper, dim, "box upper")
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


def bounds(value: object, dim: int, where: str) -> list:
    """A box bound: one number for every coordinate, or a sequence of them (``to_q`` reads each later)."""
    if isinstance(value, (list, tuple)) or (hasattr(value, "__len__") and getattr(value, "ndim", 1) != 0
                                            and not isinstance(value, (str, bytes))):
        return list(entries(value, where, "numbers"))
    return [value] * dim


def polyhedron_from_inequalities(A: object, b: object) -> Polyhedron:
    """The polyhedron ``{x : A x <= b}`` (entries read by ``to_q``: lists, tuples or numpy arrays)."""
    A_q, b_q = to_q_matrix(A, where="A"), to_q_vector(b, where="b")
    if len(A_q) != len(b_q):
        raise InputError(f"A has {len(A_q)} rows but b has {len(b_q)} entries")
    dim = len(A_q[0]) if A_q else 0
    if any(len(row) != dim for row in A_q):
        raise InputError(f"every row of A must have {dim} entries, got {sorted({len(row) for row in A_q})}")
    return polyhedron_from_rows(dim, [[bi] + [-a for a in row] for row, bi in zip(A_q, b_q)])
