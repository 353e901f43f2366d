"""Exact rational scalars and vectors.

Every number polyreg decides with is a ``fractions.Fraction`` or an ``int``. Floats are refused:
a JSON decimal such as ``0.1`` is read as the decimal it spells (1/10), never as a binary float.
"""
from __future__ import annotations

import re
import reprlib
from decimal import Decimal
from fractions import Fraction
from math import gcd
from operator import mul
from typing import NoReturn, Sequence

from ..errors import InexactInputError, InputError

Vec = tuple[Fraction, ...]
Mat = tuple[Vec, ...]
Row = tuple[int, ...]


def to_q(value: object, *, where: str) -> Fraction:
    """Return ``value`` as an exact rational, or raise an error naming ``where``.

    Accepted: ``int``, ``Fraction``, ``Decimal`` (exact JSON decimals), and strings such as
    ``"-3"``, ``"1/3"`` or ``"0.25"``.
    """
    if isinstance(value, bool):
        raise_bad(where, value, "a number, not a boolean")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise_bad(where, value, "a finite number")
        spelled = value.as_tuple()
        if len(spelled.digits) > MAX_DIGITS or abs(int(spelled.exponent)) > MAX_EXPONENT + MAX_DIGITS:
            raise_bad(where, value, f"a number of at most {MAX_DIGITS} digits and exponent {MAX_EXPONENT}")
        return Fraction(value)
    if isinstance(value, str):
        if not well_spelled(value.strip()):
            raise_bad(where, value, f'an exact rational such as 3, -0.25, 1e-3 or "1/3" (at most {MAX_DIGITS} '
                                    f'digits, exponents up to {MAX_EXPONENT})')
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise_bad(where, value, 'an exact rational such as 3, -0.25 or "1/3"')
    if isinstance(value, float):
        raise InexactInputError(
            f"{where}: got the float {value!r}; polyreg needs exact rationals "
            f"(write it as a string such as \"1/10\", or convert it yourself with Fraction(x))")
    raise_bad(where, value, 'a number or a string such as "1/3"')


MAX_DIGITS, MAX_EXPONENT = 4300, 1000     # the bounds of polyreg_check.load, for numbers written as text
RATIONAL = re.compile(r"[+-]?([0-9]+)/([0-9]+)")
DECIMAL = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,6}))?")


def well_spelled(text: str) -> bool:
    """Whether ``text`` spells a rational ``p/q`` or a decimal (with an exponent) within the bounds, checked before
    any arithmetic: ``Fraction("1e999999999")`` would not finish."""
    m = RATIONAL.fullmatch(text)
    if m:
        return len(m[1]) + len(m[2]) <= MAX_DIGITS
    m = DECIMAL.fullmatch(text)
    return bool(m and (m[1] or m[2]) and len(m[1]) + len(m[2] or "") <= MAX_DIGITS
                and (m[3] is None or abs(int(m[3])) <= MAX_EXPONENT))


def raise_bad(where: str, value: object, expected: str) -> NoReturn:
    raise InputError(f"{where}: got {type(value).__name__} {reprlib.repr(value)}; expected {expected}")


def q_to_str(q: Fraction | int) -> str:
    """Canonical text of a rational: ``"n"`` or ``"p/q"`` in lowest terms with ``q > 0``."""
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def primitive_row(values: Sequence[Fraction | int]) -> Row:
    """The positive multiple of ``values`` whose entries are coprime integers (zero stays zero).

    Scaling an inequality ``0 <= b + a.x`` by a positive number keeps its halfspace, so this is
    the canonical form of a row.
    """
    fracs = [Fraction(v) for v in values]
    lcm = 1
    for f in fracs:
        lcm = lcm * f.denominator // gcd(lcm, f.denominator)
    ints = [int(f * lcm) for f in fracs]
    g = 0
    for i in ints:
        g = gcd(g, i)
    return tuple(i // g for i in ints) if g > 1 else tuple(ints)


def dot(a: Sequence[Fraction | int], x: Sequence[Fraction | int]) -> Fraction:
    """The exact inner product of two vectors of equal length."""
    return sum((Fraction(ai) * xi for ai, xi in zip(a, x) if ai), Fraction(0))


def row_value(row: Row, x: Sequence[Fraction | int]) -> Fraction:
    """``b + a.x`` for a row ``(b, a_1, ..., a_d)``."""
    return row[0] + dot(row[1:], x)


# A point in homogeneous integer coordinates: (D, n_1, ..., n_d) with D > 0 stands for
# (n_1/D, ..., n_d/D). Then the slack of a row (b, a) is row_at(row, point) / D: its sign
# comes from one integer inner product.
Hom = tuple[int, ...]


def hom_from_vec(x: Sequence[Fraction | int]) -> Hom:
    fracs = [Fraction(v) for v in x]
    denominator = 1
    for f in fracs:
        denominator = denominator * f.denominator // gcd(denominator, f.denominator)
    return (denominator, *(int(f * denominator) for f in fracs))


def vec_from_hom(point: Hom) -> Vec:
    return tuple(Fraction(n, point[0]) for n in point[1:])


def row_at(row: Row, point: Hom) -> int:
    """``D * (b + a.x)`` for the point ``x`` with homogeneous coordinates ``point``."""
    return sum(map(mul, row, point))
