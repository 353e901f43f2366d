"""Exact rational scalars and vectors.

Every number polyreg decides with is a ``fractions.Fraction`` or an ``int``. ``to_q`` is the one rule by which
numbers enter (networks, points, domains): a binary float (a Python ``float``, a numpy float16/32/64 scalar or array
entry) is its exact binary value ``Fraction(float(v))`` (``0.1`` is 3602879701896397/36028797018963968, not 1/10); a
numpy integer is an ``int``; NaN, infinities and booleans are refused. A JSON decimal such as ``0.1`` is read as the
decimal it spells (1/10, a ``Decimal``), never as a binary float; a string such as ``"1/3"`` is that rational.
"""
from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable, Mapping, Set
from decimal import Decimal
from fractions import Fraction
from math import gcd, isfinite
from operator import mul
from typing import Any, NoReturn, Sequence

from ..errors import InputError

Vec = tuple[Fraction, ...]
Mat = tuple[Vec, ...]
Row = tuple[int, ...]


def to_q(value: object, *, where: str) -> Fraction:
    """Return ``value`` as an exact rational, or raise an ``InputError`` naming ``where``.

    Accepted: ``int``, ``Fraction``, ``Decimal`` (exact JSON decimals), strings such as ``"-3"``, ``"1/3"`` or
    ``"0.25"``, binary floats (Python ``float``, numpy floating scalars: their exact binary value,
    ``Fraction(float(v))``) and numpy integers. Refused: NaN, infinities, booleans (numpy's too), anything else.
    """
    if type(value) is Fraction:
        return value
    if isinstance(value, bool):
        raise_bad(where, value, "a number, not a boolean")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, float):            # numpy.float64 is a float
        if not isfinite(value):
            raise_bad(where, value, "a finite number")
        return Fraction(float(value))
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
    if is_numpy_scalar(value):
        return numpy_to_q(value, where)
    raise_bad(where, value, 'a number or a string such as "1/3"')


def is_numpy_scalar(value: object) -> bool:
    """Whether ``value`` is a numpy scalar or 0-d array, told without importing numpy (polyreg does not need it)."""
    return type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 0) == 0


def numpy_to_q(value: Any, where: str) -> Fraction:
    """A numpy scalar by the rule of ``to_q``: ``item()`` gives the Python bool, int or float (float16 and float32
    widen to float exactly); a longdouble keeps its own exact binary value."""
    item = value.item()
    if type(item).__module__ != "numpy":
        if isinstance(item, (bool, int, float)):
            return to_q(item, where=where)
        raise_bad(where, value, "a real number")
    if hasattr(value, "as_integer_ratio"):     # numpy.longdouble: item() keeps it
        if not (value == value and value - value == 0):
            raise_bad(where, value, "a finite number")
        numerator, denominator = value.as_integer_ratio()
        return Fraction(int(numerator), int(denominator))
    raise_bad(where, value, 'a number or a string such as "1/3"')


def to_q_vector(values: object, *, where: str) -> Vec:
    """``values`` (a list, a tuple, a 1-d numpy array, any finite iterable) as a tuple of exact rationals by
    ``to_q``, each entry named ``where[i]`` in errors. A tuple of ``Fraction`` is returned as it is (no copy)."""
    if type(values) is tuple and FRACTION.issuperset(map(type, values)):
        return values
    out = []
    for i, v in enumerate(entries(values, where, "numbers")):
        kind = type(v)      # the common cases first, without building the name ``where[i]``
        if kind is Fraction:
            out.append(v)
        elif kind is int or (kind is float and isfinite(v)):
            out.append(Fraction(v))
        else:
            out.append(to_q(v, where=f"{where}[{i}]"))
    return tuple(out)


def to_q_matrix(rows: object, *, where: str) -> Mat:
    """``rows`` (a sequence of rows, a 2-d numpy array) as a tuple of ``to_q_vector`` rows; a tuple of tuples of
    ``Fraction`` is returned as it is (no copy: a 1000 x 1000 matrix passes in milliseconds)."""
    if type(rows) is tuple and all(type(row) is tuple and FRACTION.issuperset(map(type, row)) for row in rows):
        return rows
    return tuple(to_q_vector(row, where=f"{where}[{i}]")
                 for i, row in enumerate(entries(rows, where, "rows (sequences of numbers)")))


FRACTION = frozenset({Fraction})


def entries(values: object, where: str, what: str) -> Iterable[Any]:
    """The entries of a list, a tuple, a numpy array (as Python numbers, by ``tolist``) or another iterable; an
    ``InputError`` naming ``where`` for a number, a string, a mapping, a set (no order), None or a 0-d array."""
    if type(values).__module__ == "numpy" and hasattr(values, "tolist"):
        if getattr(values, "ndim", 1) == 0:
            raise_bad(where, values, f"a sequence of {what}")
        return values.tolist()     # numpy floats become Python floats exactly, numpy integers ints
    if isinstance(values, (list, tuple)):
        return values
    if isinstance(values, (str, bytes, Mapping, Set)) or not isinstance(values, Iterable):
        raise_bad(where, values, f"a sequence of {what}")
    return list(values)


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


def short_vec(values: Sequence[Fraction | int], limit: int = 60) -> str:
    """``(1/3, -1/7)``, cut to about ``limit`` characters (for short reprs and messages); a number of more than 60
    digits is shown as about its value (``~1.23457e+99``)."""
    text, shown = "(", 0
    for v in values:
        q = Fraction(v)
        part = q_to_str(q) if max(q.numerator.bit_length(), q.denominator.bit_length()) < 200 else f"~{approx(q)}"
        if len(text) + len(part) > limit:
            return f"{text}... {len(values) - shown} more)"
        text += part + ", "
        shown += 1
    return text.removesuffix(", ") + ")"


def approx(q: Fraction | int) -> str:
    """A rational to 6 significant digits, for reading (``about 2.20841``); never raises."""
    try:
        return f"{float(q):.6g}"
    except OverflowError:
        return "-huge" if q < 0 else "huge"


def primitive_row(values: Sequence[Fraction | int]) -> Row:
    """The positive multiple of ``values`` whose entries are coprime integers (zero stays zero).

    Scaling an inequality ``0 <= b + a.x`` by a positive number keeps its halfspace, so this is
    the canonical form of a row.
    """
    nonzero = [(k, v if type(v) is int else Fraction(v)) for k, v in enumerate(values) if v]   # rows are sparse
    lcm = 1
    for _, f in nonzero:
        lcm = lcm * f.denominator // gcd(lcm, f.denominator)
    g = gcd(*(int(f * lcm) for _, f in nonzero))
    ints = [0] * len(values)
    for k, f in nonzero:
        ints[k] = int(f * lcm) // g if g > 1 else int(f * lcm)
    return tuple(ints)


def dot(a: Sequence[Fraction | int], x: Sequence[Fraction | int]) -> Fraction:
    """The exact inner product of two vectors of equal length."""
    total = Fraction(0)
    for ai, xi in zip(a, x):
        if ai and xi:
            total += ai * xi
    return total


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
