"""The three region counts of a CPWL object, each with its own definition.

* **activation regions**: full-dimensional cells with distinct activation patterns;
* **linear regions**: maximal connected unions of cells on which the network is one affine
  map, where cells connect only through a common facet ((d-1)-dimensional face);
* **affine maps**: the number of distinct affine maps over all cells, connected or not.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from math import lcm
from typing import Any, Mapping, Sequence

import networkx as nx

from ..core.cpwl import Cell, Cpwl
from ..core.enumerate import collector_paused
from ..errors import OracleError
from ..exact.rationals import Vec
from ..geometry.oracle import Interior, facet_point, interior_point_or_proof, maximum
from ..geometry.polyhedron import RowId


@dataclass(frozen=True)
class LinearRegions:
    """The linear-region graph of a CPWL object: cells as nodes, an edge (with a point inside the common facet)
    joining two cells with one affine map that share a facet; the linear regions are its components. Counted while
    streaming (``analysis.streamed``), the graph holds only the cells whose map another cell has too, and ``alone``
    counts the others, each a linear region of its own."""
    graph: nx.Graph
    component: dict[int, int]     # cell -> its component's number
    by_map: dict[object, list[int]] = field(compare=False)   # the cells of each affine map (of the graph's cells)
    cells: Mapping[int, Cell] | Sequence[Cell] = field(compare=False, repr=False)   # at least the graph's cells
    alone: int = 0

    @property
    def count(self) -> int:
        return len(set(self.component.values())) + self.alone

    def __repr__(self) -> str:
        return (f"LinearRegions({self.count} linear regions over {self.graph.number_of_nodes()} cells, "
                f"{self.graph.number_of_edges()} facets joining cells)")


@dataclass(frozen=True, slots=True)
class RegionCounts:
    activation_regions: int
    linear_regions: int
    affine_maps: int
    cells: int
    structure: LinearRegions = field(compare=False, repr=False)   # what the linear regions were counted from


def count_activation_regions(cpwl: Cpwl) -> int:
    return len({cell.pattern for cell in cpwl.cells})


def count_affine_maps(cpwl: Cpwl) -> int:
    return len({cell.affine for cell in cpwl.cells})


def count_linear_regions(cpwl: Cpwl) -> int:
    return linear_regions(cpwl).count


def region_counts(cpwl: Cpwl) -> RegionCounts:
    structure = linear_regions(cpwl)
    return RegionCounts(count_activation_regions(cpwl), structure.count, len(structure.by_map), len(cpwl.cells),
                        structure)


def linear_regions(cpwl: Cpwl) -> LinearRegions:
    """The linear-region graph of ``cpwl`` and its components."""
    return regions_of(cells_by_map(cpwl), cpwl.cells)


@collector_paused()     # its graph makes a dict per cell, and the collector's passes would walk every cell's objects
def regions_of(by_map: dict[Any, list[int]], cells: Mapping[int, Cell] | Sequence[Cell],
               alone: int = 0) -> LinearRegions:
    """The linear-region graph of the cells of ``by_map`` (cell numbers by affine map; ``cells`` by number), with
    ``alone`` more cells whose maps are theirs alone."""
    graph = nx.Graph()
    graph.add_nodes_from(i for members in by_map.values() for i in members)
    for members in by_map.values():
        for i, j in combinations(members, 2):
            point = facet_between(cells[i], cells[j])
            if point is not None:
                graph.add_edge(i, j, point=point)
    component = {n: k for k, nodes in enumerate(nx.connected_components(graph)) for n in nodes}
    return LinearRegions(graph, component, by_map, cells, alone)


def cells_by_map(cpwl: Cpwl) -> dict[object, list[int]]:
    """The cells of each affine map, in order."""
    groups: dict[object, list[int]] = defaultdict(list)
    for i, cell in enumerate(cpwl.cells):
        groups[cell.affine].append(i)
    return dict(groups)


def facet_between(first: Cell, second: Cell) -> Vec | None:
    """A point inside the (d-1)-dimensional face where two cells with disjoint interiors meet,
    or None when they meet in less than that.

    They were separated by some split whose two rows are negations of each other; their
    intersection lies in that row's hyperplane.
    """
    theirs = set(second.polyhedron.rows)
    for row in first.polyhedron.rows:
        if tuple(-v for v in row) in theirs:
            return facet_point(row, first.polyhedron.rows + second.polyhedron.rows)
    raise OracleError("two cells share no separating hyperplane; the refinement is inconsistent")


@dataclass(frozen=True, slots=True)
class Separation:
    """Why two closed cells share no facet: positive integer multipliers over their rows, each term ``(cell 0 or 1,
    row id, y)``. ``empty``: one combination with zero normal and a negative constant (they do not meet);
    otherwise combinations with zero normal and zero constant (every row used vanishes where they meet), whose rows'
    normals span at least two dimensions (they meet in dimension d - 2 or less)."""
    empty: bool
    combinations: tuple[tuple[tuple[int, RowId, int], ...], ...]


def separated_pairs(regions: LinearRegions) -> list[tuple[int, int]]:
    """The pairs of cells with one affine map in different linear regions: each needs a ``separation`` for the
    linear regions to be exactly the components of the linear-region graph."""
    component = regions.component
    return [(i, j) for members in regions.by_map.values() for i, j in combinations(members, 2)
            if component[i] != component[j]]


def separation(first: Cell, second: Cell) -> Separation:
    """The proof that two cells with disjoint interiors share no facet (``OracleError`` if they do)."""
    rows = first.polyhedron.rows + second.polyhedron.rows
    names = [(0, rid) for rid in first.row_ids] + [(1, rid) for rid in second.row_ids]
    proof = interior_point_or_proof(rows)
    if isinstance(proof, Interior):
        raise OracleError("two cells of the refinement have a common interior point")
    found = [proof.multipliers]
    normals = [rows[k][1:] for k, _ in proof.multipliers if any(rows[k][1:])]
    if not proof.empty and not spans_two(normals):
        h = normals[0]
        for k, row in enumerate(rows):
            if spans_two([h, row[1:]]):
                best = maximum(rows, row)
                if best.value == 0:      # the row vanishes on the intersection, which lies in h = 0 too
                    found.append(integer_weights({k: Fraction(1)}, best.multipliers))
                    break
        else:
            raise OracleError("two cells with one map in different linear regions share a facet")
    return Separation(proof.empty, tuple(tuple((*names[k], y) for k, y in c) for c in found))


def spans_two(normals: list) -> bool:
    """Whether the vectors span a space of dimension at least 2 (some 2 x 2 minor of two of them is nonzero)."""
    first = next((n for n in normals if any(n)), None)
    return first is not None and any(first[a] * n[b] != first[b] * n[a]
                                     for n in normals for a in range(len(n)) for b in range(a))


def integer_weights(start: dict[int, Fraction], more: tuple[tuple[int, Fraction], ...]) -> tuple[tuple[int, int], ...]:
    """``start`` plus ``more`` (row index -> weight), scaled to positive integers."""
    weights = dict(start)
    for k, y in more:
        weights[k] = weights.get(k, Fraction(0)) + y
    scale = lcm(*(w.denominator for w in weights.values()))
    return tuple(sorted((k, int(w * scale)) for k, w in weights.items() if w))
