"""The exact CPWL object of a network on a domain: cells, their affine maps, and the decision
tree (with its evidence) that produced them.

A *cell* is a full-dimensional polyhedron on which every unit of the network makes one choice;
there the network is one affine map. The cells cover the domain and their interiors are
pairwise disjoint. The tree records how the domain was refined: each ``Split`` decides one
unit; a child is a subtree, a ``Leaf``, a ``Prune`` (exact multipliers proving the option has
no interior on the node's cell), or ``None`` for a maxout piece that is identical to, or
dominated by a constant over, another piece (the choice then needs no geometry).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Sequence, Union

from .affine import Affine
from .exact import Vec
from .ir import Mlp
from .polyhedron import Polyhedron
from .semantics import Pattern

# A row of a node's cell is named by (layer, unit, competitor): layer -1 are the domain's rows
# (unit = row index); a ReLU unit's row is +z (option 1) or -z (option 0) with competitor -1;
# a maxout unit's row against piece t is z_option - z_t.
RowId = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Prune:
    """``sum y_r row_r`` over the named rows has zero normal and a constant ``< 0`` (``empty``)
    or ``= 0`` (the option lies in a hyperplane): either way it has no interior."""
    multipliers: tuple[tuple[RowId, Fraction], ...]
    empty: bool


@dataclass(frozen=True, slots=True)
class Leaf:
    cell: int   # index into Cpwl.cells


@dataclass(frozen=True, slots=True)
class Split:
    """Unit ``unit`` of layer ``layer`` (index into the network's layers); one child per option
    (ReLU: 0 inactive, 1 active; maxout: the winning piece)."""
    layer: int
    unit: int
    children: tuple[Optional["Node"], ...]


Node = Union[Split, Leaf, Prune]


@dataclass(frozen=True, slots=True)
class Cell:
    polyhedron: Polyhedron
    row_ids: tuple[RowId, ...]   # the name of each row of ``polyhedron``
    point: Vec                   # exact point with strict slack on every row
    pattern: Pattern             # choices of every nonlinear layer on the interior
    affine: Affine               # the network on this cell


@dataclass(frozen=True, slots=True)
class Cpwl:
    network: Mlp
    domain: Polyhedron
    cells: tuple[Cell, ...]
    tree: Node

    def __call__(self, x: Sequence[Fraction | int]) -> Vec:
        """The network's value at ``x``, read off a closed cell that contains ``x``."""
        return self.cell_containing(x).affine(x)

    def cell_containing(self, x: Sequence[Fraction | int]) -> Cell:
        for cell in self.cells:
            if cell.polyhedron.contains(x):
                return cell
        raise ValueError(f"point {tuple(str(v) for v in x)} is not in the domain")
