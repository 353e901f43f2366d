"""Pictures of CPWL objects on 2-D domains, and the exact polygon code they and the reports share.

Every cell is drawn as its exact polygon: the domain's polygon clipped by the cell's rows (``cell_polygon``). Cells
sharing an edge (a segment of positive length: in the plane, a facet) get different colours. On a cell the network
is one affine map, so the overlays are exact too. Decision boundary: each cell is cut into the pieces where one
class is the argmax (the cell clipped by ``out_i - out_k >= 0`` for every other class ``k``), and the boundary is
where pieces of different classes share an edge, inside a cell or along the edge between two cells. Level line of
an output: within each cell, the segment where its affine map takes the level.

The geometry is integer arithmetic: points in homogeneous integer coordinates ``(w, X, Y)`` standing for
``(X/w, Y/w)`` with ``w > 0`` and coprime entries (one spelling per point), rows as integer vectors, so a slack's sign
is one integer inner product. Points become ``Fraction`` pairs at the public functions, and floats only when drawn.
matplotlib (Agg backend) is imported only inside the functions that draw.
"""
from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

import networkx as nx

from ..analysis.graph import linear_region_count, map_ids, overlapping
from ..core.cpwl import Cpwl
from ..errors import InputError
from ..exact.affine import Affine
from ..exact.rationals import Hom, Row, hom_from_vec, primitive_row, row_at, vec_from_hom

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Point = tuple[Fraction, ...]
Segment = tuple[Point, Point]
FIGURE_FORMATS = ("png", "svg", "pdf")
LEVELS = 7   # level lines drawn by ``plot(..., level=k)``, evenly spaced strictly between the output's extremes
# qualitative pastel colours for cells (neighbours never share one); the dark lines stay visible on all of them
PALETTE = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#d9d9d9",
           "#bc80bd", "#ccebc5", "#ffed6f")


# --- exact polygons -----------------------------------------------------------------------------------------------

def cell_polygon(rows: Sequence[Sequence[Any]], start: Optional[Sequence[Point]] = None) -> tuple[Point, ...]:
    """The exact vertices, counter-clockwise, of the bounded polygon where ``b + a1 x1 + a2 x2 >= 0`` for every
    row (integers or fractions); ``start`` is a convex polygon containing it (default: a square bounding every
    vertex by Cramer's rule). ``()`` when the rows leave at most a point; a segment keeps its two ends."""
    polygon = hom_polygon(rows, None if start is None else [hom_from_vec(p) for p in start])
    return tuple(vec_from_hom(p) for p in polygon)


def hom_polygon(rows: Sequence[Sequence[Any]], start: Optional[list[Hom]] = None) -> list[Hom]:
    """``cell_polygon`` in homogeneous coordinates."""
    integer = [row if all(type(v) is int for v in row) else primitive_row(row)
               for row in dict.fromkeys(tuple(row) for row in rows)]
    if start is None:   # a vertex is a ratio of 2 x 2 determinants of integer entries; the denominator is >= 1
        r = 2 * max((abs(v) for row in integer for v in row), default=1) ** 2 + 1
        start = [(1, -r, -r), (1, r, -r), (1, r, r), (1, -r, r)]
    return clip(start, integer)


def clip(polygon: list[Hom], rows: Sequence[Row]) -> list[Hom]:
    """The convex polygon (homogeneous vertices) clipped by each integer row in turn (Sutherland-Hodgman)."""
    for row in rows:
        values = [row_at(row, p) for p in polygon]
        if all(v >= 0 for v in values):
            continue
        out: list[Hom] = []
        for k, p in enumerate(polygon):
            sp, sq = values[k], values[k - len(polygon) + 1]
            if sp >= 0:
                out.append(p)
            if (sp > 0 > sq) or (sp < 0 < sq):
                out.append(crossing(p, polygon[k - len(polygon) + 1], sp, sq))
        polygon = [p for i, p in enumerate(out) if p != out[i - 1]]
    return polygon


def crossing(p: Hom, q: Hom, sp: int, sq: int) -> Hom:
    """The point of the segment ``pq`` where a row with values ``sp`` at ``p`` and ``sq`` at ``q`` (of opposite
    signs) vanishes: ``sp q - sq p``, with a positive first entry and coprime entries."""
    point = [sp * v - sq * u for u, v in zip(p, q)]
    g = gcd(*point) * (1 if point[0] > 0 else -1)
    return tuple(c // g for c in point)


def slack(row: Sequence[Any], x: Sequence[Fraction]) -> Fraction:
    return row[0] + sum((a * v for a, v in zip(row[1:], x)), Fraction(0))


def polygon_area(polygon: Sequence[Point]) -> Fraction:
    """The exact area (shoelace formula)."""
    return abs(sum((p[0] * q[1] - q[0] * p[1] for p, q in zip(polygon, list(polygon[1:]) + list(polygon[:1]))),
                   Fraction(0))) / 2


def chord(polygon: Sequence[Hom], row: Row) -> Optional[tuple[Hom, Hom]]:
    """The segment where the line ``b + a.x = 0`` meets the convex polygon (homogeneous vertices), or None when
    they meet in at most one point (or the row's normal is zero)."""
    if not any(row[1:]) or not polygon:
        return None
    points = []
    values = [row_at(row, p) for p in polygon]
    for k, p in enumerate(polygon):
        sp, sq = values[k], values[k - len(polygon) + 1]
        if sp == 0:
            points.append(p)
        elif (sp > 0 > sq) or (sp < 0 < sq):
            points.append(crossing(p, polygon[k - len(polygon) + 1], sp, sq))
    if len(set(points)) < 2:
        return None
    along = [Fraction(-row[2] * p[1] + row[1] * p[2], p[0]) for p in points]   # along the direction (-a2, a1)
    return points[along.index(min(along))], points[along.index(max(along))]


def require_plane(dim: int) -> None:
    """Raise ``InputError`` unless the domain is 2-D (the pictures are of the plane)."""
    if dim != 2:
        raise InputError(f"plot draws networks on a 2-D domain, but this domain has dimension {dim}: "
                         "plot a 2-D slice of the input instead (--plane)")


def hom_polygons(cpwl: Cpwl) -> list[list[Hom]]:
    """Each cell's polygon in homogeneous coordinates."""
    require_plane(cpwl.domain.dim)
    domain = hom_polygon(cpwl.domain.rows)
    return [hom_polygon(cell.polyhedron.rows, domain) for cell in cpwl.cells]


def cell_polygons(cpwl: Cpwl) -> list[tuple[Point, ...]]:
    """Each cell's exact polygon (counter-clockwise vertices): the domain's polygon clipped by the cell's rows. A
    domain that is not 2-D raises ``InputError``."""
    return [tuple(vec_from_hom(p) for p in polygon) for polygon in hom_polygons(cpwl)]


# --- exact overlays -----------------------------------------------------------------------------------------------

def integer_map(f: Affine) -> list[Row]:
    """The outputs of ``f`` as integer rows ``(n0, n1, n2)`` with one common positive denominator ``m``: output
    ``i`` at ``x`` is ``(n0 + n.x) / m``, so at a homogeneous point the outputs compare as ``row_at`` does."""
    m = lcm(*(v.denominator for v in f.b), *(v.denominator for row in f.A for v in row))
    return [(int(b * m), *(int(a * m) for a in row)) for b, row in zip(f.b, f.A)]


def difference(n: Sequence[Row], i: int, j: int) -> Row:
    return tuple(a - b for a, b in zip(n[i], n[j]))


def winner_pieces(cpwl: Cpwl, polygons: Sequence[list[Hom]]) -> list[tuple[int, list[Hom]]]:
    """The pieces of the cells where one class is the argmax, with an area, as ``(class, polygon)``: within a cell,
    the cell clipped by ``out_i - out_k >= 0`` for every other class ``k`` (a class whose map equals a smaller one's
    on the cell is that one: ties go to the smallest index). One output counts as two classes, ``out`` against 0."""
    pieces = []
    for cell, polygon in zip(cpwl.cells, polygons):
        n = integer_map(cell.affine) + ([(0, 0, 0)] if cpwl.network.output_dim == 1 else [])
        classes = [i for i in range(len(n)) if n[i] not in n[:i]]
        at = [[row_at(n[i], p) for i in classes] for p in polygon]
        alone = [i for k, i in enumerate(classes) if all(v[k] == max(v) for v in at)]
        if alone:   # maximal at every vertex, hence on the whole cell (the differences are affine)
            pieces.append((alone[0], polygon))
            continue
        for i in classes:
            region = clip(polygon, [difference(n, i, k) for k in classes if k != i])
            if len(region) >= 3:   # a convex polygon clipped to a segment or a point keeps at most 2 points
                pieces.append((i, region))
    return pieces


def boundary_chords(cpwl: Cpwl, polygons: Sequence[list[Hom]]) -> list[tuple[Hom, Hom]]:
    """``decision_boundary`` in homogeneous coordinates: where pieces of different classes share an edge."""
    pieces = winner_pieces(cpwl, polygons)
    return [(start, end) for i, j, start, end in shared_edges([polygon for _, polygon in pieces])
            if pieces[i][0] != pieces[j][0]]


def decision_boundary(cpwl: Cpwl) -> list[Segment]:
    """The exact segments where the argmax of the outputs changes (ties go to the smallest index): where a region
    of one class meets a region of another along a segment, inside a cell (where the two tie for the maximum) or on
    the edge between two cells. With one output, where it changes sign (a one-logit classifier)."""
    return [(vec_from_hom(p), vec_from_hom(q)) for p, q in boundary_chords(cpwl, hom_polygons(cpwl))]


def output_values(cpwl: Cpwl, output: int, polygons: Sequence[list[Hom]]) -> list[list[Fraction]]:
    """The output at each vertex of each cell."""
    return [[Fraction(row_at(row, p), m * p[0]) for p in polygon]
            for cell, polygon in zip(cpwl.cells, polygons)
            for m, row in [scaled_output(cell.affine, output)]]


def scaled_output(f: Affine, output: int) -> tuple[int, Row]:
    """``(m, row)``: output ``output`` of ``f`` is ``row_at(row, x) / m`` (integer row, ``m > 0``)."""
    coefficients = (f.b[output], *f.A[output])
    m = lcm(*(v.denominator for v in coefficients))
    return m, tuple(int(v * m) for v in coefficients)


def level_values(cpwl: Cpwl, output: int, count: int = LEVELS) -> list[Fraction]:
    """``count`` exact values evenly spaced strictly between the minimum and the maximum of the output over the
    domain (attained at cell vertices: the output is affine on each cell); none when the output is constant."""
    check_output(cpwl.network.output_dim, output)
    return spaced([v for vs in output_values(cpwl, output, hom_polygons(cpwl)) for v in vs], count)


def spaced(values: Sequence[Fraction], count: int) -> list[Fraction]:
    low, high = min(values), max(values)
    return [low + (high - low) * k / (count + 1) for k in range(1, count + 1)] if low < high else []


def level_chords(cpwl: Cpwl, output: int, values: Sequence[Fraction], polygons: Sequence[list[Hom]]
                 ) -> list[tuple[Fraction, tuple[Hom, Hom]]]:
    """``level_sets`` in homogeneous coordinates."""
    found = []
    for cell, polygon, at in zip(cpwl.cells, polygons, output_values(cpwl, output, polygons)):
        m, row = scaled_output(cell.affine, output)
        for v in values:
            if min(at) <= v <= max(at):   # output - v = (row - m v) / m
                c = chord(polygon, primitive_row((Fraction(row[0]) - m * v, *row[1:])))
                if c is not None:
                    found.append((v, c))
    return found


def level_sets(cpwl: Cpwl, output: int, values: Optional[Sequence[Fraction]] = None
               ) -> list[tuple[Fraction, Segment]]:
    """The exact segments where output ``output`` (0-based) takes each value (default ``level_values``), each with
    its value: within each cell, the segment where the cell's affine map takes it. A cell where the output is
    constant contributes nothing."""
    check_output(cpwl.network.output_dim, output)
    polygons = hom_polygons(cpwl)
    if values is None:
        values = spaced([v for vs in output_values(cpwl, output, polygons) for v in vs], LEVELS)
    return [(v, (vec_from_hom(p), vec_from_hom(q))) for v, (p, q) in level_chords(cpwl, output, values, polygons)]


def check_output(n: int, output: int) -> None:
    """``InputError`` unless ``output`` numbers one of ``n`` outputs (from 0)."""
    if not 0 <= output < n:
        raise InputError(f"output {output} does not exist: the network has {n} output{'s' * (n != 1)}, "
                         f"numbered 0 to {n - 1}")


# --- neighbours and colours ---------------------------------------------------------------------------------------

def shared_edges(polygons: Sequence[list[Hom]]) -> Iterator[tuple[int, int, Hom, Hom]]:
    """``(i, j, start, end)`` for every two convex polygons with disjoint interiors (``i < j``, each with at least
    3 vertices) whose edges overlap in the segment from ``start`` to ``end`` of positive length: each edge is keyed
    by its line, oriented towards its polygon's interior, and edges on the two sides of one line are paired where
    their ranges along the line overlap."""
    sides: dict[Row, list[tuple[Fraction, Fraction, int, Hom, Hom]]] = {}
    for i, polygon in enumerate(polygons):
        inside = hom_from_vec([sum((Fraction(p[c], p[0]) for p in polygon), Fraction(0)) / len(polygon)
                               for c in (1, 2)])   # the mean of the vertices, strictly inside
        for k, p in enumerate(polygon):
            q = polygon[k - len(polygon) + 1]
            cross = (p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0])   # p x q
            g = gcd(*cross) * (1 if row_at(cross, inside) > 0 else -1)
            line: Row = tuple(c // g for c in cross)
            (low, a), (high, b) = sorted(((Fraction(-line[2] * r[1] + line[1] * r[2], r[0]), r) for r in (p, q)),
                                         key=lambda t: t[0])   # positions along the line's direction (-a2, a1)
            sides.setdefault(line, []).append((low, high, i, a, b))
    for line, here in sides.items():
        negated = tuple(-c for c in line)
        if line < negated and negated in sides:   # the negated line's direction is the reverse
            across = [(-high, -low, j, b, a) for low, high, j, a, b in sides[negated]]
            for e, f in overlapping([(e[0], e[1], 0, e) for e in here] + [(f[0], f[1], 1, f) for f in across]):
                start = e[3] if e[0] >= f[0] else f[3]
                end = e[4] if e[1] <= f[1] else f[4]
                yield min(e[2], f[2]), max(e[2], f[2]), start, end


def polygon_graph(cpwl: Cpwl, polygons: Sequence[list[Hom]]) -> nx.Graph:
    """The cells as nodes (with ``affine_map``), joined (with ``same_map``) when their exact polygons share an edge
    of positive length: in the plane, a facet."""
    graph = nx.Graph()
    graph.add_nodes_from((i, {"affine_map": m}) for i, m in enumerate(map_ids(cell.affines for cell in cpwl.cells)))
    for i, j, _, _ in shared_edges(polygons):
        graph.add_edge(i, j, same_map=graph.nodes[i]["affine_map"] == graph.nodes[j]["affine_map"])
    return graph


def cell_colours(graph: nx.Graph) -> list[int]:
    """A colour index per cell (node), different for cells joined by an edge: greedy, largest degree first, each
    cell taking the least used colour that none of its coloured neighbours has (so colours vary across the picture
    even where two would do)."""
    colour: dict[int, int] = {}
    used: list[int] = []
    for node in sorted(graph, key=lambda n: (-graph.degree(n), n)):
        taken = {colour[m] for m in graph[node] if m in colour}
        free = [c for c in range(len(PALETTE)) if c not in taken]
        if free:
            choice = min(free, key=lambda c: (used[c] if c < len(used) else 0, c))
        else:
            choice = next(c for c in range(len(PALETTE), len(PALETTE) + len(taken) + 1) if c not in taken)
        used += [0] * (choice + 1 - len(used))
        used[choice] += 1
        colour[node] = choice
    return [colour[i] for i in range(graph.number_of_nodes())]


def palette(colours: Sequence[int]) -> list[Any]:
    """The colour of each index: ``PALETTE``, then golden-ratio hues should more be needed."""
    from matplotlib.colors import hsv_to_rgb
    return [PALETTE[c] if c < len(PALETTE) else tuple(hsv_to_rgb(((c * 0.618034) % 1, 0.35, 0.95)))
            for c in colours]


# --- drawing ------------------------------------------------------------------------------------------------------

def new_figure(width: float, height: float) -> Figure:
    """A matplotlib figure on the Agg backend (no window, no pyplot state)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure as MplFigure
    return MplFigure(figsize=(width, height), layout="constrained")


def floats(points: Sequence[Sequence[Fraction]]) -> list[tuple[float, float]]:
    return [(float(p[0]), float(p[1])) for p in points]


def draw_polygons(ax: Axes, polygons: Sequence[Sequence[Point]], colours: Sequence[Any], edge: str = "#404040",
                  width: float = 0.5, hatch: Optional[str] = None) -> None:
    """Fill exact polygons (drawn in floats) with their colours and outline them."""
    from matplotlib.collections import PolyCollection
    ax.add_collection(PolyCollection([floats(p) for p in polygons], facecolors=list(colours), edgecolors=edge,
                                     linewidths=width, hatch=hatch))


def frame(ax: Axes, polygons: Sequence[Sequence[Point]], labels: Sequence[str]) -> None:
    """Limits around the polygons with a small margin, the axis labels, and equal scales unless the picture would
    be more than 5 times as long as wide."""
    xs = [float(p[0]) for poly in polygons for p in poly]
    ys = [float(p[1]) for poly in polygons for p in poly]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    pad = 0.03 * max(w, h)
    ax.set(xlim=(min(xs) - pad, max(xs) + pad), ylim=(min(ys) - pad, max(ys) + pad), xlabel=labels[0],
           ylabel=labels[1], aspect="equal" if max(w, h) <= 5 * min(w, h) else "auto")


def plot(cpwl: Cpwl, ax: Optional[Axes] = None, boundary: bool = False, level: Optional[int] = None,
         labels: Optional[Sequence[str]] = None, title: Optional[str] = None) -> Axes:
    """Draw the cells of a CPWL object on a 2-D domain, each as its exact polygon, cells sharing an edge in
    different colours; with ``boundary``, the decision boundary (black: where the argmax of the outputs changes, or
    with one output where it changes sign); with ``level=k``, level lines of output ``k`` (0-based) at ``LEVELS``
    values, with a colour bar. ``labels`` name the two axes (default x1, x2; t1, t2 on a slice); ``title``
    replaces the default one, which counts the cells, linear regions and affine maps. Returns the Axes (a new
    figure's when ``ax`` is None: save it with ``save_figure(ax.figure, path)``). A domain that is not 2-D, an
    output that does not exist or labels that are not two raise ``InputError``."""
    return draw(cpwl, ax, boundary, level, labels, title)[0]


def draw(cpwl: Cpwl, ax: Optional[Axes] = None, boundary: bool = False, level: Optional[int] = None,
         labels: Optional[Sequence[str]] = None, title: Optional[str] = None) -> tuple[Axes, dict[str, int]]:
    """``plot``, and the counts it drew: cells, linear_regions, affine_maps, boundary_segments, level_segments."""
    require_plane(cpwl.domain.dim)
    if level is not None:
        check_output(cpwl.network.output_dim, level)
    if labels is None:
        labels = ("t1", "t2") if getattr(cpwl, "slice", None) is not None else ("x1", "x2")
    if len(labels) != 2:
        raise InputError(f"plot: expected two axis labels, got {len(labels)}")
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    if ax is None:
        ax = new_figure(7.2 if level is not None else 6.0, 6.4).add_subplot()
    homs = hom_polygons(cpwl)
    polygons = [[vec_from_hom(p) for p in polygon] for polygon in homs]
    graph = polygon_graph(cpwl, homs)
    draw_polygons(ax, polygons, palette(cell_colours(graph)), width=0.4)
    counts = {"cells": len(cpwl.cells), "linear_regions": linear_region_count(graph),
              "affine_maps": len({cell.affines for cell in cpwl.cells})}
    handles = []
    if level is not None:
        values = spaced([v for vs in output_values(cpwl, level, homs) for v in vs], LEVELS)
        found = level_chords(cpwl, level, values, homs)
        counts["level_segments"] = len(found)
        if found:
            lines = LineCollection([floats([vec_from_hom(p), vec_from_hom(q)]) for _, (p, q) in found],
                                   cmap="viridis", linewidths=1.4, linestyles="--")
            lines.set_array([float(v) for v, _ in found])
            lines.set_clim(float(values[0]), float(values[-1]))
            ax.add_collection(lines)
            ax.figure.colorbar(lines, ax=ax, label=f"output {level} (level lines)", ticks=[float(v) for v in values],
                               shrink=0.8)
    if boundary:
        segments = [floats([vec_from_hom(p), vec_from_hom(q)]) for p, q in boundary_chords(cpwl, homs)]
        counts["boundary_segments"] = len(segments)
        ax.add_collection(LineCollection(segments, colors="black", linewidths=2.0, label="decision boundary"))
        handles.append(Line2D([], [], color="black", lw=2.0, label="decision boundary"))
    frame(ax, polygons, labels)
    if title is None:
        title = (f"{counts['cells']} cells, {counts['linear_regions']} linear regions, {counts['affine_maps']} "
                 "affine maps\n(cells sharing an edge in different colours)")
    ax.set_title(title)
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=8, frameon=False)
    return ax, counts


def figure_format(path: str | Path) -> str:
    """The format of a picture file by its suffix (png, svg or pdf); ``InputError`` otherwise."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise InputError(f"{path}: cannot tell the picture's format from its name: end it in "
                         f"{', '.join('.' + f for f in FIGURE_FORMATS)}")
    return suffix


def save_figure(figure: Any, path: str | Path) -> Path:
    """Write the figure to ``path`` in the format its suffix names (missing folders are created)."""
    kind = figure_format(path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, format=kind, dpi=150)
    return target
