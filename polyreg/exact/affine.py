"""Exact affine maps ``x -> A x + b`` over the rationals."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from .rationals import Mat, Vec, dot


@dataclass(frozen=True, slots=True)
class Affine:
    """The map ``x -> A x + b``; ``A`` is out_dim x in_dim, stored as row tuples of Fractions."""

    A: Mat
    b: Vec

    @property
    def in_dim(self) -> int:
        return len(self.A[0]) if self.A else 0

    def __call__(self, x: Sequence[Fraction | int]) -> Vec:
        return tuple(bi + dot(row, x) for row, bi in zip(self.A, self.b))

    def then(self, outer: "Affine") -> "Affine":
        """``outer o self``: apply ``self`` first."""
        A = tuple(tuple(sum((o[k] * self.A[k][j] for k in range(len(o))), Fraction(0))
                        for j in range(self.in_dim)) for o in outer.A)
        b = tuple(bo + dot(o, self.b) for o, bo in zip(outer.A, outer.b))
        return Affine(A, b)
