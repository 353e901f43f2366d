"""Independent reference computations for the tests.

Nothing here uses polyreg's enumerator: brute force over all activation patterns, exact
polytope volumes from vertices, and closed-form counts from the literature.
"""
from __future__ import annotations

from fractions import Fraction
from functools import cmp_to_key
from itertools import product
from math import comb

from polyreg import Dense, Maxout, Mlp, Relu
from polyreg.exact.rationals import primitive_row
from polyreg.geometry.oracle import Interior, interior_point_or_proof, vertices


def zaslavsky(m: int, d: int) -> int:
    """Regions of m hyperplanes in general position in R^d (Zaslavsky 1975)."""
    return sum(comb(m, j) for j in range(d + 1))


def maxout_layer_maximum(n: int, m: int, k: int) -> int:
    """Maximal regions of one maxout layer, n inputs, m units of rank k (Montufar, Ren, Zhang 2022)."""
    return sum(comb(m, j) * (k - 1) ** j for j in range(n + 1))


def brute_force_activation_regions(net: Mlp, domain_rows: list[tuple[int, ...]]) -> int:
    """Count activation patterns whose region has an interior point, by trying every pattern.

    A pattern fixes each unit's choice; the pre-activations are then affine in x. ReLU choice 1
    needs z > 0, choice 0 needs z <= 0; a maxout choice r needs z_r > z_t for t < r and
    z_r >= z_t for t > r. Constant conditions are decided directly; the others become rows.
    """
    d = net.input_dim
    shapes = []
    for layer in net.layers:
        if isinstance(layer, Relu):
            shapes.append([2] * width_before(net, layer))
        elif isinstance(layer, Maxout):
            shapes.append([layer.rank] * (width_before(net, layer) // layer.rank))
    flat = [n for shape in shapes for n in shape]
    count = 0
    for choices in product(*[range(n) for n in flat]):
        rows = pattern_rows(net, choices, d)
        if rows is not None and isinstance(interior_point_or_proof(domain_rows + rows), Interior):
            count += 1
    return count


def width_before(net: Mlp, target: object) -> int:
    width = net.input_dim
    for layer in net.layers:
        if layer is target:
            return width
        if isinstance(layer, Dense):
            width = len(layer.bias)
        elif isinstance(layer, Maxout):
            width //= layer.rank
    raise ValueError("layer not in network")


def pattern_rows(net: Mlp, choices: tuple[int, ...], d: int) -> list[tuple[int, ...]] | None:
    """Rows for one joint pattern, or None when a constant condition fails."""
    # each value is an affine function of x: (constant, coefficients)
    values = [(Fraction(0), tuple(Fraction(int(i == j)) for j in range(d))) for i in range(d)]
    rows, at = [], 0
    for layer in net.layers:
        if isinstance(layer, Dense):
            values = [(c + sum(w * v[0] for w, v in zip(row, values)),
                       tuple(sum(w * v[1][j] for w, v in zip(row, values)) for j in range(d)))
                      for row, c in zip(layer.weight, layer.bias)]
        elif isinstance(layer, Relu):
            out = []
            for v in values:
                on = choices[at]
                at += 1
                sign = 1 if on else -1
                if not add_condition(rows, v, sign, strict=bool(on)):
                    return None
                out.append(v if on else (Fraction(0), tuple(Fraction(0) for _ in range(d))))
            values = out
        elif isinstance(layer, Maxout):
            k, out = layer.rank, []
            for g in range(len(values) // k):
                r = choices[at]
                at += 1
                group = values[g * k:(g + 1) * k]
                for t, other in enumerate(group):
                    if t == r:
                        continue
                    diff = (group[r][0] - other[0], tuple(a - b for a, b in zip(group[r][1], other[1])))
                    if not add_condition(rows, diff, 1, strict=t < r):
                        return None
                out.append(group[r])
            values = out
    return rows


def add_condition(rows: list, value: tuple, sign: int, strict: bool) -> bool:
    """Add ``sign * value >= 0`` (``> 0`` if strict); decide it at once when it is constant."""
    constant, coefficients = value
    if not any(coefficients):
        return sign * constant > 0 if strict else sign * constant >= 0
    rows.append(primitive_row([sign * constant] + [sign * a for a in coefficients]))
    return True


def volume(rows: list[tuple[int, ...]], d: int) -> Fraction:
    """Exact volume of a bounded full-dimensional polytope for d <= 3 (from its vertices)."""
    points = vertices(rows)
    if d == 1:
        return max(p[0] for p in points) - min(p[0] for p in points)
    if d == 2:
        return polygon_area(points)
    centre = tuple(sum(p[i] for p in points) / len(points) for i in range(3))
    total = Fraction(0)
    for row in set(rows):
        face = [p for p in points if row[0] + sum(a * x for a, x in zip(row[1:], p)) == 0]
        if len(face) < 3:
            continue
        k = next(i for i in range(3) if row[i + 1] != 0)
        projected = [tuple(p[i] for i in range(3) if i != k) for p in face]
        height = row[0] + sum(a * x for a, x in zip(row[1:], centre))
        total += height * polygon_area(projected) / abs(row[k + 1]) / 3
    return total


def polygon_area(points: list[tuple[Fraction, ...]]) -> Fraction:
    """Shoelace area of the convex hull of points that are in convex position."""
    points = list(set(points))
    cx = sum(p[0] for p in points) / len(points)
    cy = sum(p[1] for p in points) / len(points)

    def half(p):
        return 0 if (p[1] > cy or (p[1] == cy and p[0] > cx)) else 1

    def compare(p, q):
        if half(p) != half(q):
            return half(p) - half(q)
        cross = (p[0] - cx) * (q[1] - cy) - (p[1] - cy) * (q[0] - cx)
        return -1 if cross > 0 else (1 if cross < 0 else 0)

    ring = sorted(points, key=cmp_to_key(compare))
    twice = sum(ring[i][0] * ring[(i + 1) % len(ring)][1] - ring[(i + 1) % len(ring)][0] * ring[i][1]
                for i in range(len(ring)))
    return abs(twice) / 2
