"""The three region counts of a CPWL object, each with its own definition.

* **activation regions**: full-dimensional cells with distinct activation patterns;
* **linear regions**: maximal connected unions of cells on which the network is one affine
  map, where cells connect only through a common facet ((d-1)-dimensional face);
* **affine maps**: the number of distinct affine maps over all cells, connected or not.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import networkx as nx

from .cpwl import Cell, Cpwl
from .errors import OracleError
from .exact import Vec
from .oracle import facet_point


@dataclass(frozen=True, slots=True)
class RegionCounts:
    activation_regions: int
    linear_regions: int
    affine_maps: int
    cells: int


def count_activation_regions(cpwl: Cpwl) -> int:
    return len({cell.pattern for cell in cpwl.cells})


def count_affine_maps(cpwl: Cpwl) -> int:
    return len({cell.affine for cell in cpwl.cells})


def count_linear_regions(cpwl: Cpwl) -> int:
    return nx.number_connected_components(linear_region_graph(cpwl))


def region_counts(cpwl: Cpwl) -> RegionCounts:
    return RegionCounts(count_activation_regions(cpwl), count_linear_regions(cpwl),
                        count_affine_maps(cpwl), len(cpwl.cells))


_last: list[tuple[Cpwl, nx.Graph]] = []    # counting and certifying ask for the same graph


def linear_region_graph(cpwl: Cpwl) -> nx.Graph:
    """Cells as nodes; an edge joins two cells with the same affine map that share a facet, and
    carries a point inside the common facet."""
    if _last and _last[0][0] is cpwl:
        return _last[0][1]
    graph = nx.Graph()
    graph.add_nodes_from(range(len(cpwl.cells)))
    groups: dict[object, list[int]] = defaultdict(list)
    for i, cell in enumerate(cpwl.cells):
        groups[cell.affine].append(i)
    for members in groups.values():
        for i, j in combinations(members, 2):
            point = facet_between(cpwl.cells[i], cpwl.cells[j])
            if point is not None:
                graph.add_edge(i, j, point=point)
    _last[:] = [(cpwl, graph)]
    return graph


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
