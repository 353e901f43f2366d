"""Refine a domain into the cells of a network, exactly.

The domain is refined layer by layer, unit by unit. On entering a nonlinear layer with a cell
``C`` (and an exact point ``p`` strictly inside it) every unit's pre-activation is an affine
function on ``C``; each option of each unit is classified once on ``C``: options whose region
meets the interior of ``C`` stay *live*, the others get a ``Prune`` proof from the oracle.
Units with a constant pre-activation, and maxout pieces identical to or dominated by another
piece up to a constant, are decided without geometry. Then the cell is split over the live
options unit by unit, each child getting its option's rows and an exact interior point, or a
proof that it has none. Only real splits add rows to a cell.

Maps are carried as ``flint.fmpq_mat`` of shape width x (1 + d), column 0 the constant.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd
from typing import Callable, Optional, Sequence

import flint

from .affine import Affine
from .cpwl import Cell, Cpwl, Leaf, Node, Prune, RowId, Split
from .errors import DomainError, InputError
from .exact import Hom, Row, row_at, vec_from_hom
from .ir import Dense, Maxout, Mlp, Relu
from .oracle import Interior, interior_point_or_proof, unbounded_direction
from .polyhedron import Polyhedron
from .semantics import Pattern

Progress = Callable[[int, float], None]   # (cells so far, seconds so far)


def lower(net: Mlp, domain: Polyhedron, progress: Progress | None = None,
          float_guesses: bool = True) -> Cpwl:
    """The exact CPWL object of ``net`` on ``domain`` (bounded and full-dimensional).

    ``float_guesses`` lets a floating-point LP suggest each answer before it is confirmed
    exactly; the result is the same with it off, only slower.
    """
    if domain.dim != net.input_dim:
        raise InputError(f"the domain has dimension {domain.dim} but the network expects "
                         f"input_dim = {net.input_dim}")
    point = domain_interior_point(domain)
    enumerator = Enumerator(net, domain, progress, float_guesses)
    ids = tuple((-1, j, -1) for j in range(len(domain.rows)))
    start = State(list(domain.rows), list(ids), point)
    identity = flint.fmpq_mat(net.input_dim, net.input_dim + 1,
                              [int(j == i + 1) for i in range(net.input_dim)
                               for j in range(net.input_dim + 1)])
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * sum(net.widths) + 1000))
    try:
        tree = enumerator.layer_node(0, identity, start, ())
    finally:
        sys.setrecursionlimit(limit)
    return Cpwl(net, domain, tuple(enumerator.cells), tree)


def domain_interior_point(domain: Polyhedron) -> Hom:
    """An exact interior point of the domain, after checking it is bounded and full-dimensional."""
    if not domain.rows:
        raise DomainError("the domain has no inequalities, so it is unbounded; give a box or a polytope")
    direction = unbounded_direction(domain.rows)
    if direction is not None:
        i, sign = direction
        raise DomainError(f"the domain is unbounded: x_{i} can go to {'+' if sign > 0 else '-'}infinity; "
                          "add bounds (for example with --box)")
    result = interior_point_or_proof(domain.rows)
    if not isinstance(result, Interior):
        what = "empty" if result.empty else "lower-dimensional (it lies in a hyperplane)"
        used = ", ".join(f"row {j}" for j, _ in result.multipliers)
        raise DomainError(f"the domain is {what}: see its inequalities {used}; "
                          "polyreg needs a full-dimensional domain")
    return result.point


@dataclass
class State:
    """A cell under construction: its rows, their names and an exact interior point."""
    rows: list[Row]
    row_ids: list[RowId]
    point: Hom


@dataclass
class Unit:
    """One unit's options on the entry cell of its layer."""
    fixed: Optional[int] = None                      # decided without geometry
    option_rows: dict[int, list[tuple[RowId, Row]]] = field(default_factory=dict)
    pruned: dict[int, Prune] = field(default_factory=dict)
    witnesses: dict[int, Hom] = field(default_factory=dict)  # interior points found on entry
    num_options: int = 2

    @property
    def live(self) -> list[int]:
        return [o for o in self.option_rows if o not in self.pruned]


class Enumerator:
    def __init__(self, net: Mlp, domain: Polyhedron, progress: Progress | None, float_guesses: bool) -> None:
        self.net = net
        self.float_guesses = float_guesses
        self.dim = net.input_dim
        self.cells: list[Cell] = []
        self.progress = progress
        self.started = time.perf_counter()
        self.dense = {i: dense_to_flint(layer, net.input_dim)
                      for i, layer in enumerate(net.layers) if isinstance(layer, Dense)}

    def layer_node(self, index: int, M: flint.fmpq_mat, state: State, pattern: Pattern) -> Node:
        """The subtree for ``state`` entering layer ``index`` with map ``M``."""
        layers = self.net.layers
        while index < len(layers) and isinstance(layers[index], Dense):
            W, c = self.dense[index]
            M = W * M + c
            index += 1
        if index == len(layers):
            return self.leaf(state, pattern, M)
        units = self.classify(index, M, state)
        return self.unit_node(index, units, 0, M, state, pattern, [])

    def unit_node(self, index: int, units: list[Unit], u: int, M: flint.fmpq_mat,
                  state: State, pattern: Pattern, choices: list[int]) -> Node:
        """The subtree deciding units ``u, u+1, ...`` of layer ``index`` on ``state``."""
        if u == len(units):
            return self.layer_node(index + 1, gate(self.net.layers[index], choices, M),
                                   state, pattern + (tuple(choices),))
        unit = units[u]
        if unit.fixed is not None:
            return self.unit_node(index, units, u + 1, M, state, pattern, choices + [unit.fixed])
        decided = self.options_on(unit, state)
        live = [o for o, d in decided.items() if isinstance(d, State)]
        children: list[Optional[Node]] = []
        for option in range(unit.num_options):
            d = decided.get(option)
            if d is None or isinstance(d, Prune):
                children.append(d)
                continue
            child = state if len(live) == 1 else d   # a sole live option needs no new rows
            children.append(self.unit_node(index, units, u + 1, M, child, pattern, choices + [option]))
        return Split(index, u, tuple(children))

    def options_on(self, unit: Unit, state: State) -> dict[int, State | Prune]:
        """Each option of ``unit`` on ``state``: the child cell, or a proof it has no interior."""
        decided: dict[int, State | Prune] = dict(unit.pruned)
        decided.update(self.decide(unit, state, unit.live))
        return decided

    def decide(self, unit: Unit, state: State, options: list[int]) -> dict[int, State | Prune]:
        """For each option: ``state`` cut by its rows with an exact interior point, or a proof.
        No LP runs when ``state``'s point, or the option's entry witness, is strictly inside."""
        decided: dict[int, State | Prune] = {}
        for option in options:
            new = unit.option_rows[option]
            rows = state.rows + [r for _, r in new]
            ids = state.row_ids + [i for i, _ in new]
            if all(row_at(r, state.point) > 0 for _, r in new):
                decided[option] = State(rows, ids, state.point)
                continue
            result = interior_point_or_proof(rows, (unit.witnesses.get(option),), self.float_guesses)
            if isinstance(result, Interior):
                decided[option] = State(rows, ids, result.point)
            else:
                decided[option] = Prune(tuple((ids[j], y) for j, y in result.multipliers), result.empty)
        return decided

    def classify(self, index: int, M: flint.fmpq_mat, state: State) -> list[Unit]:
        """Every unit of nonlinear layer ``index`` classified on the entry cell ``state``."""
        layer = self.net.layers[index]
        functions = integer_rows(M)
        if isinstance(layer, Relu):
            units = [relu_unit(index, u, h) for u, h in enumerate(functions)]
        else:
            assert isinstance(layer, Maxout)
            k = layer.rank
            units = [maxout_unit(index, u, functions[u * k:(u + 1) * k])
                     for u in range(len(functions) // k)]
        for unit in units:
            if unit.fixed is None:
                self.classify_options(unit, state)
        return units

    def classify_options(self, unit: Unit, state: State) -> None:
        for option, decided in self.decide(unit, state, list(unit.option_rows)).items():
            if isinstance(decided, State):
                unit.witnesses[option] = decided.point
            else:
                unit.pruned[option] = decided

    def leaf(self, state: State, pattern: Pattern, M: flint.fmpq_mat) -> Leaf:
        entries = [[Fraction(int(v.p), int(v.q)) for v in row] for row in M.tolist()]
        affine = Affine(tuple(tuple(row[1:]) for row in entries), tuple(row[0] for row in entries))
        self.cells.append(Cell(Polyhedron(self.dim, tuple(state.rows)), tuple(state.row_ids),
                               vec_from_hom(state.point), pattern, affine))
        if self.progress is not None:
            self.progress(len(self.cells), time.perf_counter() - self.started)
        return Leaf(len(self.cells) - 1)


def dense_to_flint(layer: Dense, dim: int) -> tuple[flint.fmpq_mat, flint.fmpq_mat]:
    """``(W, C)`` such that a map ``M`` (width x (1 + dim)) becomes ``W M + C`` after the layer."""
    def q(v: Fraction) -> flint.fmpq:
        return flint.fmpq(v.numerator, v.denominator)
    W = flint.fmpq_mat(len(layer.weight), len(layer.weight[0]), [q(v) for row in layer.weight for v in row])
    C = flint.fmpq_mat(len(layer.bias), dim + 1, [q(v) if j == 0 else 0 for v in layer.bias for j in range(dim + 1)])
    return W, C


def integer_rows(M: flint.fmpq_mat) -> list[Row]:
    """The rows of ``M`` times one common positive denominator, as integers."""
    numer, _ = M.numer_denom()
    return [tuple(int(v) for v in row) for row in numer.tolist()]


def primitive(row: Row) -> Row:
    g = 0
    for v in row:
        g = gcd(g, v)
    return tuple(v // g for v in row) if g > 1 else row


def relu_unit(index: int, u: int, h: Row) -> Unit:
    """Options of a ReLU unit with pre-activation ``h``: 0 (``-h >= 0``) and 1 (``h >= 0``)."""
    if not any(h[1:]):
        return Unit(fixed=int(h[0] > 0))
    rid, h = (index, u, -1), primitive(h)
    return Unit(option_rows={0: [(rid, tuple(-v for v in h))], 1: [(rid, h)]})


def maxout_unit(index: int, u: int, pieces: Sequence[Row]) -> Unit:
    """Options of a maxout unit: pieces that are not identical to, or below by a constant,
    another piece (the smallest index wins ties); each option's rows say it is maximal.
    ``pieces`` must share one scale (rows of one ``integer_rows`` call)."""
    best: dict[tuple[int, ...], int] = {}
    for r, z in enumerate(pieces):
        key = z[1:]
        if key not in best or z[0] > pieces[best[key]][0]:
            best[key] = r
    survivors = sorted(best.values())
    unit = Unit(num_options=len(pieces))
    if len(survivors) == 1:
        unit.fixed = survivors[0]
        return unit
    for r in survivors:
        unit.option_rows[r] = [((index, u, t), primitive(tuple(a - b for a, b in zip(pieces[r], pieces[t]))))
                               for t in survivors if t != r]
    return unit


def gate(layer: object, choices: list[int], M: flint.fmpq_mat) -> flint.fmpq_mat:
    """The map after the nonlinear layer, given every unit's choice."""
    width = M.nrows()
    if isinstance(layer, Relu):
        select = flint.fmpq_mat(width, width)
        for i, choice in enumerate(choices):
            if choice:
                select[i, i] = 1
    else:
        assert isinstance(layer, Maxout)
        select = flint.fmpq_mat(len(choices), width)
        for i, choice in enumerate(choices):
            select[i, i * layer.rank + choice] = 1
    return select * M
