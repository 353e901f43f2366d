"""The only module that calls cddlib (pycddlib's exact GMP backend, ``cdd.gmp``) and the float LP solvers.

Every answer is checked in exact arithmetic before it is returned: an interior point must
have strict slack on every row, and a proof of "no interior" must be a valid multiplier
vector. cddlib is the search engine; these checks are what polyreg relies on. Float LPs only
suggest: cddlib's dense float simplex in up to ``HIGHS_FROM`` - 1 variables, HiGHS (through scipy, sparse) from
``HIGHS_FROM`` on, where a box around a point in dimension 784 brings 1,568 rows of one nonzero each.

Rows follow cddlib's convention: ``(b, a_1, ..., a_d)`` means ``0 <= b + a.x``.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Any, Callable, Sequence

import cdd
import cdd.gmp
import flint

from ..errors import OracleError
from ..exact.rationals import Hom, Row, Vec, hom_from_vec, row_at

MAX = cdd.LPObjType.MAX
MISSING = object()


@dataclass(frozen=True, slots=True)
class Interior:
    """A point with strict slack on every row: the polyhedron is full-dimensional."""
    point: Hom   # homogeneous integer coordinates (exact.Hom)


@dataclass(frozen=True, slots=True)
class NoInterior:
    """Multipliers ``y > 0`` (sparse, by row index; integers, as scaling keeps a proof valid)
    with ``sum y_j a_j = 0``, all on rows with ``a_j != 0``: if ``sum y_j b_j < 0`` the polyhedron
    is empty (Farkas), if it is ``= 0`` every used row is tight on the whole polyhedron, which
    therefore lies in a hyperplane (Motzkin)."""
    multipliers: tuple[tuple[int, int], ...]
    empty: bool


def solve_lp(array: Sequence[Sequence[int | Fraction]], sense: cdd.LPObjType) -> cdd.gmp.LinProg:
    """Solve ``array`` (constraint rows, then the objective row last) exactly."""
    try:
        lp = cdd.gmp.linprog_from_array(array, sense)
        cdd.gmp.linprog_solve(lp)
    except (RuntimeError, ValueError) as err:
        raise OracleError(f"cddlib LP failed on a {len(array) - 1}x{len(array[0]) - 1} problem: {err}") from None
    return lp


def interior_point_or_proof(rows: Sequence[Row], hints: Sequence[Hom | None] = (),
                            float_guess: bool = True, memo: RowMemo | None = None) -> Interior | NoInterior:
    """Decide exactly whether ``{x : 0 <= b_j + a_j.x}`` has an interior point.

    Solves ``max t`` subject to ``b_j + a_j.x >= t |a_j|_1`` and ``t <= 1``: a positive optimum
    gives a point with strict slack, a non-positive one gives its dual as the proof.
    ``hints`` are points to try first: one with strict slack is returned without an LP.
    With ``float_guess`` a floating-point LP first suggests the answer; it is used only once
    confirmed exactly (the point's slacks, or an exact LP on the suggested rows only). ``memo`` remembers what is
    derived from each row across calls.
    """
    dim = len(rows[0]) - 1
    memo = memo if memo is not None else RowMemo()
    augmented = list(map(memo, rows))
    for j, row in enumerate(rows):
        if augmented[j] is None and row[0] < 0:
            return NoInterior(((j, 1),), empty=True)
    live = [j for j, a in enumerate(augmented) if a is not None]
    for hint in hints:
        if hint is not None and all(row_at(rows[j], hint) > 0 for j in live):
            return Interior(hint)
    array = [a for a in augmented if a is not None]   # the rows of `live`, in order
    array.append([1] + [0] * dim + [-1])
    array.append([0] * (dim + 1) + [1])
    if float_guess:
        guessed = confirmed_guess(rows, live, array, memo)
        if guessed is not None:
            return guessed
    lp = solve_lp(array, MAX)
    if lp.status != cdd.LPStatusType.OPTIMAL:
        raise OracleError(f"interior LP on {len(live)} rows in dimension {dim} ended with status {lp.status!r}")
    if lp.obj_value > 0:
        return Interior(rounded_interior_point(rows, live, lp.primal_solution[:dim]))
    y = {live[i]: Fraction(v) for i, v in lp.dual_solution if i < len(live) and v != 0}
    return checked_proof(rows, y)


def lp_row(row: Row) -> list[int] | None:
    """``row`` followed by ``-|a|_1`` (the interior LP's row), or ``None`` for a zero normal."""
    weight = sum(abs(a) for a in row[1:])
    return [*row, -weight] if weight else None


class RowMemo:
    """What the oracle derives from a row, remembered for one enumeration, whose cells share most of their rows: its
    LP row (``lp_row``), its nonzero entries, and the float row HiGHS reads. At most ``limit`` rows each; then
    forgotten and started again."""

    def __init__(self, limit: int = 1 << 16) -> None:
        self.limit = limit
        self.lp: dict[Row, list[int] | None] = {}
        self.entries: dict[Row, tuple[tuple[int, int], ...]] = {}
        self.floats: dict[tuple, tuple[float, tuple[tuple[int, float], ...]]] = {}

    def __call__(self, row: Row) -> list[int] | None:
        """``lp_row(row)``."""
        return remembered(self.lp, row, lp_row, self.limit)

    def nonzero(self, row: Row) -> tuple[tuple[int, int], ...]:
        """The ``(k, row[k])`` with ``row[k] != 0``, the constant at ``k = 0``."""
        return remembered(self.entries, row, lambda r: tuple((k, v) for k, v in enumerate(r) if v), self.limit)

    def normal(self, row: Row) -> list[tuple[int, int]]:
        """The nonzero ``(i, a_i)`` of the row's normal ``a`` (``i`` from 0)."""
        return [(k - 1, v) for k, v in self.nonzero(row) if k]

    def floated(self, row: Sequence[int | float]) -> tuple[float, tuple[tuple[int, float], ...]]:
        """The LP row ``0 <= b + a.x`` as HiGHS reads it, ``-a.x <= b`` divided by its largest entry ``top``:
        ``b / top`` and the nonzero ``(k, -a_k / top)``."""
        def made(r: tuple) -> tuple[float, tuple[tuple[int, float], ...]]:
            top = max(map(abs, r)) or 1
            return r[0] / top, tuple((k, -v / top) for k, v in enumerate(r[1:]) if v)
        return remembered(self.floats, tuple(row), made, self.limit)


def remembered(memo: dict, key: Any, make: Callable[[Any], Any], limit: int) -> Any:
    """``memo[key]``, made by ``make(key)`` the first time (the memo is emptied once it holds ``limit`` keys). One
    lookup, so threads sharing a memo (a Dask worker's) at worst make a value twice."""
    made = memo.get(key, MISSING)
    if made is not MISSING:
        return made
    if len(memo) >= limit:
        memo.clear()
    made = memo[key] = make(key)
    return made


def slack(row: Row, x: Sequence[Fraction]) -> Fraction:
    return row[0] + sum((a * xi for a, xi in zip(row[1:], x) if a), Fraction(0))


def confirmed_guess(rows: Sequence[Row], live: list[int], array: list[list[int]],
                    memo: RowMemo) -> Interior | NoInterior | None:
    """The float LP's answer to the interior LP ``array``, once confirmed exactly; else ``None``.

    A suggested point is rounded to a dyadic point and kept only if its slacks are exactly
    positive. A suggested "no interior" names the rows carrying the float dual; the exact LP on
    those rows alone must then have a non-positive optimum, and its dual is a proof for all rows.
    """
    dim = len(array[0]) - 2
    lp = float_lp(array, memo) or float_lp(scaled(array))
    if lp is None:
        return None
    if lp.obj_value > 1e-9:
        point = dyadic_point(rows, live, lp.primal_solution[:dim])
        return None if point is None else Interior(point)
    support = [i for i, v in positive_duals(lp) if i < len(live)]
    if not support:
        return None
    solved = simplex_dual(rows, [live[i] for i in support], memo)
    if solved is not None:
        return solved
    if isinstance(lp, FloatSolution):     # HiGHS, in high dimension: more linear algebra before an exact LP
        y = {live[i]: Fraction(v).limit_denominator(1 << 40) for i, v in positive_duals(lp) if i < len(live)}
        solved = dual_on_support(rows, [live[i] for i in support], memo) or boxed_dual(rows, y, memo)
        if solved is not None:
            return solved
    exact = solve_lp([array[i] for i in support] + array[-2:], MAX)
    if exact.status != cdd.LPStatusType.OPTIMAL or exact.obj_value > 0:
        return None
    y = {live[support[i]]: Fraction(v) for i, v in exact.dual_solution if i < len(support) and v != 0}
    return checked_proof(rows, y)


HIGHS_FROM = 24     # LPs in this many variables or more go to HiGHS


@dataclass(frozen=True, slots=True)
class FloatSolution:
    """An optimal float LP solution, read like cddlib's: the optimum, a maximiser and the nonzero dual values by
    row (each > 0 for a row ``0 <= b + a.x`` of a maximisation; exact quotients, as rows of huge integers were
    divided by their largest entry for the solver)."""
    obj_value: float
    primal_solution: Sequence[float]
    dual_solution: Sequence[tuple[int, Fraction]]


def positive_duals(lp: Any) -> list[tuple[int, float | Fraction]]:
    """The rows a float LP's dual uses, with their values: above 1e-12 (HiGHS: already so for the rows scaled to
    unit size, whose values are given back unscaled and may then be tiny)."""
    if isinstance(lp, FloatSolution):
        return [(i, v) for i, v in lp.dual_solution if v > 0]
    return [(i, v) for i, v in lp.dual_solution if v > 1e-12]


def simplex_dual(rows: Sequence[Row], support: Sequence[int], memo: RowMemo) -> NoInterior | None:
    """A proof of "no interior" on ``d + 1`` rows ``support`` whose normals have one positive dependency, or None.

    The normals' null space (FLINT, exact) is then one ray; when its entries have one sign they are the multipliers,
    and the constant they give must be ``<= 0``. This is the float LP's usual support in low dimension, and solving
    it so costs about a fifth of the exact LP on the same rows."""
    d = len(rows[0]) - 1
    if len(support) != d + 1:
        return None
    basis, nullity = flint.fmpz_mat(d, d + 1, [rows[j][i + 1] for i in range(d) for j in support]).nullspace()
    if nullity != 1:
        return None
    ray = [int(basis[k, 0]) for k in range(d + 1)]
    if ray[0] < 0:
        ray = [-v for v in ray]
    if not all(v > 0 for v in ray):
        return None
    g = gcd(*ray)
    return integer_proof(rows, {j: v // g for j, v in zip(support, ray)}, memo)


def dual_on_support(rows: Sequence[Row], support: Sequence[int], memo: RowMemo) -> NoInterior | None:
    """A proof of "no interior" on the rows ``support`` found by linear algebra instead of an LP, or None.

    Rows with one nonzero coefficient (a box's) are set aside: for multipliers ``y`` on the others, each coordinate
    they leave nonzero is cancelled by such a row of the opposite sign, if the support has one. The coordinates the
    support has no such row for give the equations ``sum y_g a_g,i = 0``; when their solutions form one ray with
    positive entries and the constant comes out ``<= 0``, that is the proof (``checked_proof`` verifies it)."""
    general = [j for j in support if len(memo.normal(rows[j])) > 1]
    axis: dict[tuple[int, int], int] = {}        # (coordinate, sign) -> the support's tightest row
    for j in support:
        if j not in general:
            i = memo.normal(rows[j])[0][0]
            key, a = (i, 1 if rows[j][i + 1] > 0 else -1), abs(rows[j][i + 1])
            if key not in axis or Fraction(rows[j][0], a) < Fraction(rows[axis[key]][0], abs(rows[axis[key]][i + 1])):
                axis[key] = j
    if not general:
        return None
    covered = {i for i, _ in axis}
    equations = [[rows[g][i + 1] for g in general] for i in range(len(rows[0]) - 1)
                 if i not in covered and any(rows[g][i + 1] for g in general)]
    if equations:
        basis, nullity = flint.fmpz_mat(equations).nullspace()
        if nullity != 1:
            return None
        ray = [int(basis[k, 0]) for k in range(len(general))]
    else:
        ray = [1] if len(general) == 1 else []
    if not ray or not (all(v > 0 for v in ray) or all(v < 0 for v in ray)):
        return None
    y = {g: Fraction(abs(v)) for g, v in zip(general, ray)}
    for i in covered | {i for g in general for i, _ in memo.normal(rows[g])}:
        total = sum(y[g] * rows[g][i + 1] for g in general)
        if total and i in covered:
            opposite = axis.get((i, -1 if total > 0 else 1))
            if opposite is None:
                return None
            y[opposite] = y.get(opposite, Fraction(0)) + abs(total) / abs(rows[opposite][i + 1])
        elif total:
            return None
    constant = sum(v * rows[j][0] for j, v in y.items())
    return checked_proof(rows, y, memo) if constant <= 0 else None


def boxed_dual(rows: Sequence[Row], y: dict[int, Fraction], memo: RowMemo) -> NoInterior | None:
    """A proof of emptiness from the float LP's multipliers ``y`` on the rows with several nonzero coefficients:
    their combination's largest value over the box of the rows with one nonzero coefficient (the tightest of each
    sign per coordinate, in the combination), when it is negative; else None. The float answer made exact without
    an LP, when rounding ``y`` keeps the value negative."""
    general = {j: w for j, w in y.items() if len(memo.normal(rows[j])) > 1}
    if not general:
        return None
    tightest: dict[tuple[int, int], int] = {}
    for j, row in enumerate(rows):
        entries = memo.normal(row)
        if len(entries) == 1:
            (i, a), = entries
            key = (i, 1 if a > 0 else -1)
            if key not in tightest or Fraction(row[0], abs(a)) < Fraction(rows[tightest[key]][0],
                                                                          abs(rows[tightest[key]][i + 1])):
                tightest[key] = j
    combined = dict(general)
    for i in {i for g in general for i, _ in memo.normal(rows[g])}:
        total = sum(w * rows[g][i + 1] for g, w in general.items())
        if total:
            opposite = tightest.get((i, -1 if total > 0 else 1))
            if opposite is None:
                return None
            combined[opposite] = combined.get(opposite, Fraction(0)) + abs(total) / abs(rows[opposite][i + 1])
    constant = sum(w * rows[j][0] for j, w in combined.items())
    return checked_proof(rows, combined, memo) if constant < 0 else None


def float_lp(array: Sequence[Sequence[int | float]], memo: RowMemo | None = None) -> Any:
    """The float LP ``max c0 + c.x`` over the rows of ``array`` (the objective last) solved to optimality, or None
    (cddlib fails on huge or badly scaled entries; HiGHS when it finds no optimum)."""
    if len(array[0]) - 1 >= HIGHS_FROM:
        return highs_lp(array, memo if memo is not None else RowMemo())
    try:
        lp = cdd.linprog_from_array(array, MAX)
        cdd.linprog_solve(lp)
    except (RuntimeError, ValueError, OverflowError):
        return None
    return lp if lp.status == cdd.LPStatusType.OPTIMAL else None


def highs_lp(array: Sequence[Sequence[int | float]], memo: RowMemo) -> FloatSolution | None:
    """``float_lp`` by HiGHS on a sparse matrix, each row divided by its largest entry (floats of any integer size;
    the duals are given back for the rows as they were)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_array
    dim, data, columns, starts, bounds, tops = len(array[0]) - 1, [], [], [0], [], []
    for row in array[:-1]:
        top = max(map(abs, row)) or 1
        bound, entries = memo.floated(row)
        for k, v in entries:
            data.append(v)
            columns.append(k)
        starts.append(len(data))
        bounds.append(bound)
        tops.append(top)
    matrix = csr_array((data, columns, starts), shape=(len(array) - 1, dim))
    objective = array[-1]
    try:
        found = linprog([-float(v) for v in objective[1:]], A_ub=matrix, b_ub=bounds, bounds=(None, None),
                        method="highs")
    except OverflowError:             # an objective beyond float range: ``float_lp(scaled(...))`` is tried next
        return None
    if found.status != 0:
        return None
    dual = [(i, Fraction(-m) / Fraction(top)) for i, (m, top) in enumerate(zip(found.ineqlin.marginals, tops))
            if m < -1e-12]
    return FloatSolution(float(objective[0]) - found.fun, list(found.x), dual)


def scaled(array: list[list[int]]) -> list[list[float]]:
    """Each row divided by its largest entry in absolute value, in floats: the same LP, without the overflows and
    the poor conditioning of rows with huge integers (only the float LP sees it; tried when the plain one fails)."""
    out = []
    for row in array:
        top = max(map(abs, row)) or 1
        out.append([v / top for v in row])
    return out


def dyadic_point(rows: Sequence[Row], live: list[int], x: Sequence[Fraction | float]) -> Hom | None:
    """A point with denominator 2^4, 2^10, 2^20 or 2^40 near ``x`` with exactly positive slack
    on the ``live`` rows, or ``None``."""
    for bits in (4, 10, 20, 40):
        scale = 1 << bits
        point = (scale, *(round(xi * scale) for xi in x))
        if all(row_at(rows[j], point) > 0 for j in live):
            return point
    return None


def rounded_interior_point(rows: Sequence[Row], live: list[int], x: Sequence[Fraction]) -> Hom:
    """A point with small denominators near the exact interior point ``x`` (``x`` itself if none)."""
    rounded = dyadic_point(rows, live, x)
    if rounded is not None:
        return rounded
    point = hom_from_vec(x)
    if not all(row_at(rows[j], point) > 0 for j in live):
        raise OracleError("cddlib's interior point does not have strict slack")
    return point


def checked_proof(rows: Sequence[Row], y: dict[int, Fraction], memo: RowMemo | None = None) -> NoInterior:
    """Verify the multipliers ``y`` exactly and package them, or raise ``OracleError``."""
    scale = 1
    for value in y.values():
        scale = scale * value.denominator // gcd(scale, value.denominator)
    proof = integer_proof(rows, {j: int(value * scale) for j, value in y.items() if value}, memo or RowMemo())
    if proof is None:
        raise OracleError(f"cddlib's dual solution is not a valid certificate (y={y})")
    return proof


def integer_proof(rows: Sequence[Row], weights: dict[int, int], memo: RowMemo) -> NoInterior | None:
    """The proof the positive integer ``weights`` give, once their rows have nonzero normals and their combination
    has a zero normal and a constant ``<= 0``; else None."""
    if not weights or any(w <= 0 or not any(rows[j][1:]) for j, w in weights.items()):
        return None
    combined = [0] * len(rows[0])
    for j, w in weights.items():
        for i, v in memo.nonzero(rows[j]):
            combined[i] += w * v
    if any(combined[1:]) or combined[0] > 0:
        return None
    return NoInterior(tuple(sorted(weights.items())), empty=combined[0] < 0)


def unbounded_direction(rows: Sequence[Row]) -> tuple[int, int] | None:
    """``(i, +1)`` or ``(i, -1)`` when ``x_i`` is unbounded above or below on the polyhedron, ``None`` when it is
    bounded (decided by 2d exact LPs). The polyhedron must be nonempty: then an LP whose dual is inconsistent,
    numerically or structurally, is unbounded."""
    dim = len(rows[0]) - 1
    for i in range(dim):
        for sign in (1, -1):
            objective = [0] * (dim + 1)
            objective[i + 1] = sign
            lp = solve_lp([list(r) for r in rows] + [objective], MAX)
            if lp.status in (cdd.LPStatusType.DUAL_INCONSISTENT, cdd.LPStatusType.STRUC_DUAL_INCONSISTENT):
                return i, sign
            if lp.status not in (cdd.LPStatusType.OPTIMAL, cdd.LPStatusType.INCONSISTENT):
                raise OracleError(f"boundedness LP for x_{i} ended with status {lp.status!r}")
    return None


def vertices(rows: Sequence[Row]) -> list[Vec]:
    """The vertices of a bounded polyhedron (exact, via cddlib's double description)."""
    mat = cdd.gmp.matrix_from_array([list(r) for r in rows], rep_type=cdd.RepType.INEQUALITY)
    try:
        gens = cdd.gmp.copy_generators(cdd.gmp.polyhedron_from_matrix(mat))
    except RuntimeError as err:
        raise OracleError(f"cddlib vertex enumeration failed: {err}") from None
    if gens.lin_set or any(g[0] == 0 for g in gens.array):
        raise OracleError("vertices() needs a bounded polyhedron; cddlib found a ray or a line")
    return [tuple(Fraction(v) for v in g[1:]) for g in gens.array]


def facet_point(hyperplane: Row, rows: Sequence[Row]) -> Vec | None:
    """A point ``x`` with ``hyperplane(x) = 0`` and strict slack on every other row, or ``None``
    when there is none, i.e. when the polyhedron meets the hyperplane in less than a facet.
    Rows equal to ``hyperplane`` or to its negation are skipped (they vanish on it)."""
    dim = len(hyperplane) - 1
    negated = tuple(-v for v in hyperplane)
    others = [r for r in rows if r != hyperplane and r != negated]
    array: list[list[int]] = [list(hyperplane) + [0], list(negated) + [0]]
    array += [lp_row(r) or [*r, 0] for r in others]
    array += [[1] + [0] * dim + [-1], [0] * (dim + 1) + [1]]
    lp = solve_lp(array, MAX)
    if lp.status == cdd.LPStatusType.INCONSISTENT or (lp.status == cdd.LPStatusType.OPTIMAL and lp.obj_value <= 0):
        return None
    if lp.status != cdd.LPStatusType.OPTIMAL:
        raise OracleError(f"facet LP ended with status {lp.status!r}")
    point = tuple(Fraction(v) for v in lp.primal_solution[:dim])
    if slack(hyperplane, point) != 0 or not all(slack(r, point) > 0 for r in others):
        raise OracleError("cddlib's facet point is not on the facet's relative interior")
    return point


def irredundant_rows(rows: Sequence[Row]) -> list[int]:
    """Indices of the rows that remain after removing redundant ones (cddlib, exact) from a
    full-dimensional polyhedron: the same set, described by its facets only."""
    mat = cdd.gmp.matrix_from_array([list(r) for r in rows], rep_type=cdd.RepType.INEQUALITY)
    try:   # matrix_canonicalize changes its argument: `mat` is a fresh copy made above
        linearities, _, positions = cdd.gmp.matrix_canonicalize(mat)
    except RuntimeError as err:
        raise OracleError(f"cddlib redundancy removal failed: {err}") from None
    if linearities:
        raise OracleError("irredundant_rows() needs a full-dimensional polyhedron; cddlib found equalities")
    return [i for i, position in enumerate(positions) if position is not None]


@dataclass(frozen=True, slots=True)
class Maximum:
    """``c0 + c.x <= value`` on the polyhedron, attained at ``point``; the multipliers
    ``y >= 0`` (by row index) satisfy ``c + sum y_j a_j = 0`` and ``c0 + sum y_j b_j = value``."""
    value: Fraction
    point: Vec
    multipliers: tuple[tuple[int, Fraction], ...]


def maximum(rows: Sequence[Row], objective: Sequence[Fraction | int]) -> Maximum:
    """The exact maximum of ``c0 + c.x`` over the bounded, nonempty polyhedron ``rows``, with a
    maximiser. Checked by duality: the dual multipliers must combine the rows into the bound."""
    lp = solve_lp([list(r) for r in rows] + [list(objective)], MAX)
    if lp.status != cdd.LPStatusType.OPTIMAL:
        raise OracleError(f"maximisation LP ended with status {lp.status!r}")
    point = tuple(Fraction(v) for v in lp.primal_solution)
    value = objective[0] + sum((c * xi for c, xi in zip(objective[1:], point)), Fraction(0))
    y = [(j, Fraction(v)) for j, v in lp.dual_solution]
    bound = [Fraction(objective[0])] + [Fraction(c) for c in objective[1:]]
    for j, w in y:
        bound = [b + w * r for b, r in zip(bound, rows[j])]
    if (any(w < 0 for _, w in y) or any(bound[1:]) or bound[0] != value
            or not all(slack(r, point) >= 0 for r in rows)):
        raise OracleError("cddlib's maximum is not certified by its dual solution")
    return Maximum(value, point, tuple((j, w) for j, w in y if w))


@dataclass(frozen=True, slots=True)
class Bound:
    """``c0 + c.x <= value`` on the polyhedron, because ``c + sum y_j a_j = 0`` and
    ``c0 + sum y_j b_j = value`` with ``y >= 0`` (``multipliers``, by row index)."""
    value: Fraction
    multipliers: tuple[tuple[int, Fraction], ...]


def axis_bounds(rows: Sequence[Row]) -> list[tuple[Bound, Bound]] | None:
    """For each coordinate, the tightest bounds of ``-x_i`` and ``x_i`` given by single rows ``b + a x_i >= 0`` (no
    LP: the row divided by ``|a|`` is the certificate); None unless every coordinate has both. On a box domain this
    is the domain itself."""
    dim = len(rows[0]) - 1
    best: list[list[Bound | None]] = [[None, None] for _ in range(dim)]
    for j, row in enumerate(rows):
        axes = [i for i in range(dim) if row[i + 1]]
        if len(axes) != 1:
            continue
        i, a = axes[0], row[axes[0] + 1]
        bound = Bound(Fraction(row[0], abs(a)), ((j, Fraction(1, abs(a))),))
        side = 0 if a > 0 else 1          # a > 0: -x_i <= b / a; a < 0: x_i <= b / |a|
        if best[i][side] is None or bound.value < best[i][side].value:  # type: ignore[union-attr]
            best[i][side] = bound
    if any(b is None for pair in best for b in pair):
        return None
    return [(low, high) for low, high in best]  # type: ignore[misc]


def bounding_box(rows: Sequence[Row]) -> list[tuple[Bound, Bound]]:
    """For each coordinate, certified upper bounds of ``-x_i`` and of ``x_i`` on a bounded
    polyhedron (the float LP's optimal basis, solved exactly; an exact LP when that fails)."""
    dim = len(rows[0]) - 1
    array = [list(r) for r in rows]
    box = []
    for i in range(dim):
        pair = []
        for sign in (-1, 1):
            objective = [0] * (dim + 1)
            objective[i + 1] = sign
            bound = guessed_bound(rows, objective, array)
            if bound is None:   # rows with a zero normal (b >= 0) only loosen the bound: drop them
                exact = maximum(rows, objective)
                used = tuple((j, y) for j, y in exact.multipliers if any(rows[j][1:]))
                bound = Bound(sum((y * rows[j][0] for j, y in used), Fraction(objective[0])), used)
            pair.append(bound)
        box.append((pair[0], pair[1]))
    return box


def guessed_bound(rows: Sequence[Row], objective: list[int], array: list[list[int]]) -> Bound | None:
    """A certified bound of ``c0 + c.x`` from the rows carrying the float LP's dual (``array``: the rows as lists):
    ``sum y_j a_j = -c`` with ``y >= 0`` on those rows, read off the integer null space of ``[a_j ... c]`` when it is
    one ray whose last entry is nonzero (not always the tightest bound); else None."""
    lp = float_lp(array + [objective])
    if lp is None:
        return None
    support = [j for j, _ in positive_duals(lp)]
    dim = len(objective) - 1
    if not support or len(support) > dim:
        return None
    columns = [*support, None]
    basis, nullity = flint.fmpz_mat(dim, len(columns), [objective[c + 1] if j is None else rows[j][c + 1]
                                                        for c in range(dim) for j in columns]).nullspace()
    if nullity != 1:
        return None
    ray = [int(basis[k, 0]) for k in range(len(columns))]
    if ray[-1] < 0:
        ray = [-v for v in ray]
    if ray[-1] == 0 or any(v < 0 for v in ray):
        return None
    scale = ray.pop()
    value = Fraction(objective[0] * scale + sum(v * rows[j][0] for j, v in zip(support, ray)), scale)
    return Bound(value, tuple((j, Fraction(v, scale)) for j, v in zip(support, ray) if v))
