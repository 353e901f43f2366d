"""The one FLINT facade: the IR's rational tuples as exact FLINT matrices (``flint.fmpq_mat``) and back.

A map of ``x in Q^d`` into ``Q^m`` is an m x (1 + d) matrix, column 0 the constant. FLINT matrices cannot be
pickled; ``plain`` and ``from_plain`` spell one as integers for a work item sent to another process.
"""
from __future__ import annotations

from fractions import Fraction
from math import gcd

import flint

from .affine import Affine
from .rationals import Mat, Row, Vec

Plain = tuple[int, int, tuple[tuple[int, int], ...]]    # rows, columns, (numerator, denominator) row by row


def fq(v: Fraction) -> flint.fmpq:
    return flint.fmpq(v.numerator, v.denominator)


class Conversions:
    """Weight matrices converted to FLINT once per matrix object while this object lives (the specialized networks
    of a mixed domain share their weight matrices), at most ``limit`` of them (then forgotten and started again). It
    keeps each matrix it converted, so the matrix's ``id`` stays unique; callers only multiply the results, never
    change them."""

    def __init__(self, limit: int = 4096) -> None:
        self.converted: dict[tuple[int, bool], tuple[Mat, flint.fmpq_mat]] = {}
        self.limit = limit

    def matrix(self, M: Mat, transpose: bool = False) -> flint.fmpq_mat:
        """``M`` (or its transpose) as a FLINT matrix."""
        hit = self.converted.get((id(M), transpose))
        if hit is not None and hit[0] is M:
            return hit[1]
        rows, cols = len(M), len(M[0])
        if transpose:
            converted = flint.fmpq_mat(cols, rows, [fq(M[i][j]) for j in range(cols) for i in range(rows)])
        else:
            converted = flint.fmpq_mat(rows, cols, [fq(v) for row in M for v in row])
        if len(self.converted) >= self.limit:
            self.converted.clear()
        self.converted[id(M), transpose] = (M, converted)
        return converted


def constant_column(v: Vec, dim: int) -> flint.fmpq_mat:
    """The map ``x -> v`` as a len(v) x (1 + dim) matrix."""
    return flint.fmpq_mat(len(v), dim + 1, [fq(c) if j == 0 else 0 for c in v for j in range(dim + 1)])


def integer_rows(M: flint.fmpq_mat) -> list[Row]:
    """The rows of ``M`` times one common positive denominator, as integers."""
    numer, _ = M.numer_denom()
    return [tuple(map(int, row)) for row in numer.tolist()]


def primitive(row: Row) -> Row:
    """``row`` divided by the gcd of its entries."""
    g = gcd(*row)
    return tuple(v // g for v in row) if g > 1 else row


def affine_from_flint(M: flint.fmpq_mat) -> Affine:
    """The map ``x -> A x + b`` of the matrix ``[b | A]``."""
    entries = [[Fraction(int(v.p), int(v.q)) for v in row] for row in M.tolist()]
    return Affine(tuple(tuple(row[1:]) for row in entries), tuple(row[0] for row in entries))


def plain(M: flint.fmpq_mat) -> Plain:
    return M.nrows(), M.ncols(), tuple((int(v.p), int(v.q)) for v in M.entries())


def from_plain(value: Plain) -> flint.fmpq_mat:
    rows, cols, entries = value
    return flint.fmpq_mat(rows, cols, [flint.fmpq(p, q) for p, q in entries])
