"""Linear regions from the cells the standalone checker verified, for input dimension 1 or 2.

``polyreg check`` certifies the number of linear regions only when every affine map has one region. When a map
has several (the separable zigzag for ``d = 2``, ``L >= 2``: cells ``(i, j)`` and ``(j, i)`` can carry the same
map), this module recomputes the count from the checker's verified cells in exact rationals: the closed cells
as polygons (intervals for ``d = 1``), two cells with one map joined when their closures meet in a segment of
positive length (a common point for ``d = 1``), and the connected components counted. The cells cover the
domain and have disjoint interiors (the checker's rules 3 and 5), so these are the linear regions of the
README's definition.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import gcd
from typing import Any, Sequence

Row = Sequence[int]                 # (b, a_1, ..., a_d) meaning b + a.x >= 0
Point = tuple[int, int, int]        # (X, Y, W) with W > 0, coprime: the point (X/W, Y/W)


def slack(row: Row, p: Point) -> int:
    """``W (b + a.x)`` at ``x = (X/W, Y/W)``: the sign of the row's slack."""
    return row[0] * p[2] + row[1] * p[0] + row[2] * p[1]


def reduced(X: int, Y: int, W: int) -> Point:
    """The homogeneous point with ``W > 0`` and coprime entries."""
    g = gcd(X, Y, W) * (1 if W > 0 else -1)
    return X // g, Y // g, W // g


def clipped(polygon: list[Point], row: Row) -> list[Point]:
    """The convex polygon ``polygon`` intersected with the half-plane ``b + a.x >= 0`` (Sutherland-Hodgman)."""
    out: list[Point] = []
    for p, q in zip(polygon, polygon[1:] + polygon[:1]):
        sp, sq = slack(row, p), slack(row, q)
        if sp >= 0:
            out.append(p)
        if (sp > 0 > sq) or (sp < 0 < sq):
            out.append(reduced(*(sp * v - sq * u for u, v in zip(p, q))))
    return out


def closed_polygon(rows: Sequence[Row], bound: int) -> list[Point]:
    """The distinct vertices, counter-clockwise, of ``{x in [-bound, bound]^2 : b + a.x >= 0 for every row}``."""
    polygon: list[Point] = [(-bound, -bound, 1), (bound, -bound, 1), (bound, bound, 1), (-bound, bound, 1)]
    for row in set(map(tuple, rows)):
        polygon = clipped(polygon, row)
    return [p for p, q in zip(polygon, polygon[1:] + polygon[:1]) if p != q]


def edge_rows(polygon: Sequence[Point]) -> list[Row]:
    """The half-planes ``b + a.x >= 0`` whose intersection is the counter-clockwise convex polygon: the row of
    the edge ``pq`` is ``det(p, q, x)`` in homogeneous coordinates."""
    return [(X1 * Y2 - Y1 * X2, Y1 * W2 - W1 * Y2, W1 * X2 - X1 * W2)
            for (X1, Y1, W1), (X2, Y2, W2) in zip(polygon, list(polygon[1:]) + list(polygon[:1]))]


def twice_area(polygon: Sequence[Point]) -> Fraction:
    """Twice the signed area of a polygon (shoelace formula)."""
    xy = [(Fraction(X, W), Fraction(Y, W)) for X, Y, W in polygon]
    return sum((p[0] * q[1] - q[0] * p[1] for p, q in zip(xy, xy[1:] + xy[:1])), Fraction(0))


def share_edge(first: list[Point], second: list[Point]) -> bool:
    """Whether two closed convex polygons with disjoint interiors meet in a segment of positive length."""
    def span(polygon: list[Point], c: int) -> tuple[Fraction, Fraction]:
        return min(Fraction(p[c], p[2]) for p in polygon), max(Fraction(p[c], p[2]) for p in polygon)
    for c in (0, 1):
        (lo1, hi1), (lo2, hi2) = span(first, c), span(second, c)
        if hi1 < lo2 or hi2 < lo1:
            return False
    common = first
    for row in edge_rows(second):
        common = clipped(common, row)
    assert twice_area(common) == 0, "two verified cells overlap"
    return len(set(common)) >= 2


def closed_interval(rows: Sequence[Row]) -> tuple[Fraction, Fraction]:
    """``{x : b + a x >= 0 for every row}`` as ``(lower, upper)``."""
    lower = max(Fraction(-b, a) for b, a in rows if a > 0)
    upper = min(Fraction(-b, a) for b, a in rows if a < 0)
    return lower, upper


def components(n: int, edges: Sequence[tuple[int, int]]) -> int:
    """The number of connected components of the graph on ``0..n-1`` with ``edges``."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for i, j in edges:
        parent[root(i)] = root(j)
    return sum(root(i) == i for i in range(n))


def linear_regions(leaves: Sequence[tuple[Any, Any, Any]], d: int, bound: int = 1024) -> int:
    """The linear regions of network 0 from the checker's leaves ``(point, rows, maps)``: components of the graph
    joining cells with equal maps whose closures share a facet; ``bound`` bounds the domain."""
    groups: dict[Any, list[int]] = {}
    for i, (_, _, maps) in enumerate(leaves):
        groups.setdefault(maps[0], []).append(i)
    if d == 1:
        spans = [closed_interval(rows) for _, rows, _ in leaves]
        edges = [(i, j) for members in groups.values() for i, j in combinations(members, 2)
                 if spans[i][1] == spans[j][0] or spans[j][1] == spans[i][0]]
    elif d == 2:
        polygons = [closed_polygon(rows, bound) for _, rows, _ in leaves]
        edges = [(i, j) for members in groups.values() for i, j in combinations(members, 2)
                 if share_edge(polygons[i], polygons[j])]
    else:
        raise ValueError(f"linear regions from cells are computed for d = 1 or 2, not {d}")
    return components(len(leaves), edges)
