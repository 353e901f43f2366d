"""The region graph of a CPWL object: one node per cell, one edge per pair of cells that share a facet (a common
face of dimension d - 1), each decided exactly.

Two cells share a facet only if one has a row whose negation is a row of the other (they were separated by that
split, and their intersection lies in its hyperplane), and only if that row is a facet of both (irredundant: one
cddlib redundancy removal per cell). So the facets of all cells are grouped by hyperplane, and the facets of its
two sides are paired: all pairs when there are few, else those whose ranges of one coordinate (two exact LPs per
facet) overlap in an open interval, a necessary condition found by a sweep (in 2-D already sufficient). Each
candidate pair is decided by one exact LP on the two cells' irredundant rows (``facet_point``: a point of the
hyperplane with strict slack on every other row), never all n^2 pairs.
"""
from __future__ import annotations

import gzip
import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Iterator, Optional, Sequence, TypeVar

import networkx as nx

from ..core.cpwl import Cell, Cpwl
from ..exact.affine import Affine
from ..exact.rationals import Row, Vec, q_to_str
from ..geometry.domains import Slice
from ..geometry.oracle import facet_point, irredundant_rows, maximum
from ..geometry.polyhedron import RowId
from ..network.semantics import Pattern

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Facet:
    """Cell ``cell``'s facet on the hyperplane of its row number ``index``."""
    cell: int
    index: int


@dataclass(frozen=True, slots=True)
class Adjacency:
    """Cells ``first < second`` share a facet on the hyperplane of ``first``'s row named ``name``; ``point`` lies in
    the facet's relative interior."""
    first: int
    second: int
    name: RowId
    point: Vec


def region_graph(cpwl: Cpwl) -> nx.Graph:
    """The region graph of ``cpwl``: node ``i`` is cell ``i``, with ``point`` (its exact interior point, one
    ``"p/q"`` string per coordinate), ``pattern`` (its activation pattern: each stage's choices joined by ``,``, the
    stages by ``|``) and ``affine_map`` (the index of its affine map among the distinct maps, in order of first
    appearance). An edge joins two cells sharing a facet, with ``unit`` (the split whose hyperplane the facet lies
    on: ``"stage s unit u"``), ``stage``, ``stage_name``, ``point`` (an exact point in the facet's relative
    interior) and ``same_map`` (the two cells have the same affine map: the linear regions are the components of
    these edges). The graph's attributes: ``input_dim``, ``cells``, ``facets``, ``affine_maps``,
    ``linear_regions``."""
    maps = map_ids(cell.affines for cell in cpwl.cells)
    graph = nx.Graph()
    for i, cell in enumerate(cpwl.cells):
        graph.add_node(i, point=[q_to_str(v) for v in cell.point], pattern=pattern_text(cell.pattern),
                       affine_map=maps[i])
    for edge in adjacencies(cpwl):
        stage = edge.name[0]
        graph.add_edge(edge.first, edge.second, unit=unit_text(edge.name), stage=stage,
                       stage_name=cpwl.stage_names[stage] if 0 <= stage < len(cpwl.stage_names) else "domain",
                       point=[q_to_str(v) for v in edge.point], same_map=maps[edge.first] == maps[edge.second])
    graph.graph.update(input_dim=cpwl.domain.dim, cells=len(cpwl.cells), facets=graph.number_of_edges(),
                       affine_maps=len(set(maps)), linear_regions=linear_region_count(graph))
    return graph


def linear_region_count(graph: nx.Graph) -> int:
    """The number of linear regions: components of the cells joined by the edges with ``same_map``."""
    joined = nx.Graph()
    joined.add_nodes_from(graph)
    joined.add_edges_from((i, j) for i, j, same in graph.edges(data="same_map") if same)
    return nx.number_connected_components(joined)


def map_ids(affines: Iterator[tuple[Affine, ...]]) -> list[int]:
    """Each cell's affine map (all networks') as the index of its first appearance among the distinct maps."""
    index: dict[tuple[Affine, ...], int] = {}
    return [index.setdefault(maps, len(index)) for maps in affines]


def pattern_text(pattern: Pattern) -> str:
    return "|".join(",".join(map(str, stage)) for stage in pattern)


def unit_text(name: RowId) -> str:
    stage, unit, _ = name
    return f"domain row {unit}" if stage < 0 else f"stage {stage} unit {unit}"


def adjacencies(cpwl: Cpwl) -> list[Adjacency]:
    """Every pair of cells sharing a facet, decided exactly, sorted."""
    found = []
    kept = [tuple(cell.polyhedron.rows[k] for k in irredundant_rows(cell.polyhedron.rows)) for cell in cpwl.cells]
    on = facets_by_hyperplane(cpwl, kept)
    for row, plus in on.items():
        negated = tuple(-v for v in row)
        if row > negated or negated not in on:   # each hyperplane once, from its lexicographically smaller row
            continue
        for a, b in candidate_pairs(kept, row, plus, on[negated]):
            # the irredundant rows describe the same cells: a point with strict slack on them (but the row) lies in
            # the relative interior of both facets
            point = facet_point(row, kept[a.cell] + kept[b.cell])
            if point is not None:
                first, second = (a, b) if a.cell < b.cell else (b, a)
                found.append(Adjacency(first.cell, second.cell, cpwl.cells[first.cell].row_ids[first.index], point))
    return sorted(found, key=lambda e: (e.first, e.second))


def facets_by_hyperplane(cpwl: Cpwl, kept: Sequence[tuple[Row, ...]]) -> dict[Row, list[Facet]]:
    """The facets of every cell (its irredundant rows ``kept`` with a nonzero normal), by row."""
    on: dict[Row, list[Facet]] = defaultdict(list)
    for i, cell in enumerate(cpwl.cells):
        facets = set(kept[i])
        for k, row in enumerate(cell.polyhedron.rows):
            if row in facets and any(row[1:]):
                facets.discard(row)   # a row given twice is one facet
                on[row].append(Facet(i, k))
    return on


def candidate_pairs(kept: Sequence[tuple[Row, ...]], row: Row, plus: Sequence[Facet], minus: Sequence[Facet]
                    ) -> Iterator[tuple[Facet, Facet]]:
    """The pairs of facets on the hyperplane of ``row`` (``plus`` on its side, ``minus`` on the other) that may
    share a (d-1)-dimensional piece: all of them when that is cheaper than ranging every facet, else those whose
    ranges of one coordinate (not normal to the hyperplane) overlap in an open interval."""
    dim = len(row) - 1
    if dim == 1 or len(plus) * len(minus) <= 4 * (len(plus) + len(minus)):
        yield from ((a, b) for a in plus for b in minus)
        return
    normal = row[1:]
    alone = [i for i, a in enumerate(normal) if a]
    axis = 0 if len(alone) > 1 else (alone[0] + 1) % dim   # e_axis is not normal to the hyperplane
    yield from overlapping([(*facet_range(kept[f.cell], row, axis), side, f)
                            for side, facets in enumerate((plus, minus)) for f in facets])


def overlapping(ranged: Sequence[tuple[Fraction, Fraction, int, T]]) -> Iterator[tuple[T, T]]:
    """The pairs ``(a, b)`` of items ``(low, high, side, item)`` of side 0 and side 1 whose open intervals
    ``(low, high)`` meet (a sweep: sorted by ``low``, each item meets those of the other side still open)."""
    active: tuple[list, list] = ([], [])
    for low, high, side, item in sorted(ranged, key=lambda t: (t[0], t[2])):
        if high <= low:   # an empty open interval meets nothing
            continue
        other = active[1 - side]
        other[:] = [(h, f) for h, f in other if h > low]   # those still open after `low`
        yield from (((item, f) if side == 0 else (f, item)) for _, f in other)
        active[side].append((high, item))


def facet_range(cell_rows: tuple[Row, ...], row: Row, axis: int) -> tuple[Fraction, Fraction]:
    """The exact minimum and maximum of ``x_axis`` over the facet on the hyperplane of ``row`` of the cell
    ``cell_rows``."""
    negated = tuple(-v for v in row)
    rows = cell_rows + (negated,)
    objective = [0] * len(row)
    objective[axis + 1] = 1
    high = maximum(rows, objective).value
    objective[axis + 1] = -1
    return -maximum(rows, objective).value, high


def write_region_graph(graph: nx.Graph, path: str | Path) -> Path:
    """Write the graph to ``path``: GraphML if it ends in ``.graphml`` (list attributes, the points, become strings
    of space-separated numbers, as GraphML holds no lists), else node-link JSON (``nx.node_link_graph`` reads it;
    the edges under ``"edges"``). Missing folders are created."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".graphml":
        flat = graph.copy()   # new attribute dictionaries, so the caller's graph keeps its lists
        for attributes in [a for _, a in flat.nodes(data=True)] + [a for _, _, a in flat.edges(data=True)]:
            for key, value in list(attributes.items()):
                if isinstance(value, list):
                    attributes[key] = " ".join(map(str, value))
        nx.write_graphml(flat, target)
    else:
        try:
            data = nx.node_link_data(graph, edges="edges")
        except TypeError:   # networkx before 3.4 names the keyword `link`
            data = nx.node_link_data(graph, link="edges")
        target.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return target


def cell_records(cpwl: Cpwl) -> Iterator[dict]:
    """One JSON-ready record per cell, in order: ``cell`` (its number), ``point`` (an exact interior point, ``"p/q"``
    strings, in the domain's coordinates: a slice's parameters), ``input`` (on a slice: the networks' input there),
    ``pattern`` (each stage's choices), ``affine_map`` (as in ``region_graph``) and ``maps``: each network's map
    ``x -> A x + b`` on the cell (of the slice's parameters on a slice)."""
    ids = map_ids(cell.affines for cell in cpwl.cells)
    for k, cell in enumerate(cpwl.cells):
        yield cell_record(k, cell, ids[k], cpwl.slice)


def cell_record(k: int, cell: Cell, map_id: int, on: Optional[Slice]) -> dict:
    """Cell ``k``'s record (``cell_records``); ``map_id``: its map's index among the distinct maps."""
    record: dict = {"cell": k, "point": [q_to_str(v) for v in cell.point]}
    if on is not None:
        record["input"] = [q_to_str(v) for v in on.point(cell.point)]
    return record | {"pattern": [list(stage) for stage in cell.pattern], "affine_map": map_id,
                     "maps": [{"A": [[q_to_str(v) for v in row] for row in f.A], "b": [q_to_str(v) for v in f.b]}
                              for f in cell.affines]}


def write_cells(cpwl: Cpwl, path: str | Path) -> int:
    """Write ``cell_records`` as JSON Lines (gzip-compressed if ``path`` ends in ``.gz``); the number written."""
    written = 0
    with lines_file(path) as file:
        assert file is not None
        for record in cell_records(cpwl):
            file.write(json.dumps(record, separators=(",", ":")) + "\n")
            written += 1
    return written


@contextmanager
def lines_file(path: Optional[str | Path]) -> Iterator[Optional[IO[str]]]:
    """The file at ``path`` opened for text, gzip-compressed if it ends in ``.gz``, its folder made; None without a
    path."""
    if path is None:
        yield None
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (gzip.open(target, "wt", encoding="utf-8") if target.suffix == ".gz" else
          open(target, "w", encoding="utf-8")) as file:
        yield file
