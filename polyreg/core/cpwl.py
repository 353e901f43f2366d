"""The exact CPWL object of a network (or the common refinement of several) on a domain: cells,
their affine maps, and the decision tree (with its evidence) that produced them.

A *cell* is a full-dimensional polyhedron on which every unit of the networks makes one choice;
there each network is one affine map. The cells cover the domain and their interiors are
pairwise disjoint. The tree records how the domain was refined: each ``Split`` decides one
unit; a child is a subtree, a ``Leaf``, a ``Prune`` (exact multipliers proving the option has
no interior on the node's cell), or ``None`` for a maxout piece that is identical to, or
dominated by a constant over, another piece (the choice then needs no geometry).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

from ..exact.affine import Affine
from ..exact.rationals import Vec, short_vec, to_q_vector
from ..geometry.domains import Slice
from ..geometry.polyhedron import Polyhedron, RowId
from ..network.ir import Network
from ..network.semantics import Pattern


@dataclass(frozen=True, slots=True)
class Prune:
    """``sum y_r row_r`` over the named rows (``y_r`` positive integers) has zero normal and a
    constant ``< 0`` (``empty``) or ``= 0`` (the option lies in a hyperplane, and every named
    row has a nonzero normal): either way the option has no interior."""
    multipliers: tuple[tuple[RowId, int], ...]
    empty: bool

    def __repr__(self) -> str:
        return f"Prune({'empty' if self.empty else 'in a hyperplane'}, {len(self.multipliers)} multipliers)"


@dataclass(frozen=True, slots=True)
class Leaf:
    cell: int   # index into Cpwl.cells


@dataclass(frozen=True, slots=True)
class Split:
    """Unit ``unit`` of stage ``stage`` (``Cpwl.stage_names``); one child per option (ReLU: 0
    inactive, 1 active; maxout and hard-max: the winning piece or key). A ``named`` split is not the
    stage's undecided unit of smallest index: its certificate node names the unit."""
    stage: int
    unit: int
    children: tuple[Optional["Node"], ...]
    named: bool = False

    def __repr__(self) -> str:
        return (f"Split(stage {self.stage}, unit {self.unit}, {len(self.children)} options, "
                f"{leaves_below(self)} cells below)")


def leaves_below(node: Optional["Node"]) -> int:
    """The number of ``Leaf`` nodes in the subtree (without recursion: trees can be deep)."""
    count, stack = 0, [node]
    while stack:
        top = stack.pop()
        if isinstance(top, Leaf):
            count += 1
        elif isinstance(top, Split):
            stack.extend(top.children)
    return count


Node = Union[Split, Leaf, Prune]
FlatNode = Union[tuple[int, int, int, bool], int, Prune, None]   # a split's (stage, unit, children, named), ...


def cpwl_of(networks: tuple[Network, ...], domain: Polyhedron, cells: tuple[Cell, ...], tree: list[FlatNode],
            *rest: Any) -> Cpwl:
    """A pickled ``Cpwl`` again."""
    node = tree_of(tree)
    assert node is not None
    return Cpwl(networks, domain, cells, node, *rest)


def flat_tree(tree: Optional[Node]) -> list[FlatNode]:
    """``tree`` in preorder, one item a node: a split as ``(stage, unit, number of children, named)`` followed by its
    children, a leaf as its cell number, a prune or an absent child as itself. Pickling a tree as nodes recurses once
    per level, and a tree nests one level per split (a wide layer nests thousands)."""
    items: list[FlatNode] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Split):
            items.append((node.stage, node.unit, len(node.children), node.named))
            stack.extend(reversed(node.children))
        else:
            items.append(node.cell if isinstance(node, Leaf) else node)
    return items


def tree_of(items: list[FlatNode], offset: int = 0) -> Optional[Node]:
    """The tree ``flat_tree`` made ``items`` of (without recursion), its leaves' cell numbers raised by ``offset``."""
    open_splits: list[tuple[int, int, list[Optional[Node]], int, bool]] = []
    for item in items:
        if isinstance(item, tuple):
            open_splits.append((item[0], item[1], [], item[2], item[3]))
            continue
        node: Optional[Node] = Leaf(item + offset) if isinstance(item, int) else item
        while open_splits:
            stage, unit, children, count, named = open_splits[-1]
            children.append(node)
            if len(children) < count:
                break
            open_splits.pop()
            node = Split(stage, unit, tuple(children), named)
        if not open_splits:
            return node
    raise ValueError("a flat tree ends inside a split")


@dataclass(frozen=True, slots=True)
class Cell:
    polyhedron: Polyhedron
    row_ids: tuple[RowId, ...]   # the name of each row of ``polyhedron``
    point: Vec                   # exact point with strict slack on every row
    pattern: Pattern             # choices of every stage (all networks, in order) on the interior
    affines: tuple[Affine, ...]  # each network on this cell

    @property
    def affine(self) -> Affine:
        """The (first) network on this cell."""
        return self.affines[0]

    def __repr__(self) -> str:
        maps = len(self.affines)
        return (f"Cell({len(self.polyhedron.rows)} inequalities in Q^{self.polyhedron.dim}, "
                f"point {short_vec(self.point)}, {maps} map{'s' * (maps != 1)})")


@dataclass(frozen=True, slots=True)
class Cpwl:
    networks: tuple[Network, ...]
    domain: Polyhedron
    cells: tuple[Cell, ...]
    tree: Node
    stage_names: tuple[str, ...]
    not_tie_safe: tuple[str, ...] = ()   # hard-max heads whose ties may make the output jump
    order: tuple[tuple[int, int], ...] = ()   # stage s is stage order[s][1] of network order[s][0]
    slice: Optional[Slice] = None             # the networks are ``originals`` on this slice, in its parameters
    originals: tuple[Network, ...] = ()
    # subtrees already written out where they were refined: id of the subtree's root -> what ``refine``'s ``render``
    # made of it; the certificate writer uses it instead of walking the subtree (a copy has new nodes: it has none)
    rendered: Mapping[int, Any] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple:
        """Pickled with its tree flat (``flat_tree``: a deep tree would exceed the recursion limit), without
        ``rendered``."""
        return cpwl_of, (self.networks, self.domain, self.cells, flat_tree(self.tree), self.stage_names,
                         self.not_tie_safe, self.order, self.slice, self.originals)

    @property
    def network(self) -> Network:
        return self.networks[0]

    def __call__(self, x: object) -> Vec:
        """The network's value at ``x`` (coordinates read by ``to_q``), read off a closed cell that contains ``x``."""
        point = to_q_vector(x, where="point")
        return self.cell_containing(point).affine(point)

    def cell_containing(self, x: object) -> Cell:
        point = to_q_vector(x, where="point")
        for cell in self.cells:
            if cell.polyhedron.contains(point):
                return cell
        raise ValueError(f"point {short_vec(point)} is not in the domain")

    def __repr__(self) -> str:
        n = len(self.networks)
        nets = ", ".join(map(repr, self.networks)) if n <= 2 else ""
        nets = f": {nets}" if len(nets) <= 120 else ""
        return (f"Cpwl({len(self.cells)} cells, {n} network{'s' * (n != 1)}{nets}, "
                f"domain in Q^{self.domain.dim}{' (slice parameters)' if self.slice else ''})")
