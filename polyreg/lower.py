"""Refine a domain into the cells of one or more networks (their common refinement), exactly.

The networks' stages (``stages.py``) are decided in one merged order that keeps each network's
own order (``interleaved``). On entering a stage with a cell ``C`` (and an exact point strictly
inside it) every unit's options are classified once on ``C``: options whose region meets the
interior of ``C`` stay *live*, the others get a ``Prune`` proof from the oracle. Then the cell
is split over the live options unit by unit, each child getting its option's rows and an exact
interior point, or a proof that it has none. Only real splits add rows to a cell. Proofs
come from a row opposite to one the cell already has (thin), from the cell's certified
bounding box, or from an exact LP, in that order.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Callable, Optional, Sequence

import flint

from .affine import Affine
from .cpwl import Cell, Cpwl, Leaf, Node, Prune, Split
from .errors import DomainError, InputError
from .exact import Hom, Row, q_to_str, row_at, vec_from_hom
from .ir import Network
from .oracle import Interior, bounding_box, interior_point_or_proof, unbounded_direction
from .polyhedron import Polyhedron
from .semantics import Pattern
from .stages import Program, RowId, ScoreNotAffine, Step, Unit, program_of, tie_safe

Progress = Callable[[int, float], None]   # (cells so far, seconds so far)


def lower(net: Network, domain: Polyhedron, progress: Progress | None = None,
          float_guesses: bool = True) -> Cpwl:
    """The exact CPWL object of ``net`` on ``domain`` (bounded and full-dimensional).

    ``float_guesses`` lets a floating-point LP suggest each answer before it is confirmed
    exactly; the result is the same with it off, only slower.
    """
    return refine((net,), domain, progress, float_guesses)


def refine(networks: Sequence[Network], domain: Polyhedron, progress: Progress | None = None,
           float_guesses: bool = True, only_relevant: bool = False) -> Cpwl:
    """The common refinement of ``networks`` on ``domain``: cells on which every network is affine; with
    ``only_relevant``, units that reach no output are not decided (``stages.program_of``)."""
    for net in networks:
        if domain.dim != net.input_dim:
            raise InputError(f"the domain has dimension {domain.dim} but a network expects "
                             f"input_dim = {net.input_dim}")
    point = domain_interior_point(domain)
    programs = [program_of(net, only_relevant) for net in networks]
    enumerator = Enumerator(programs, domain.dim, progress, float_guesses)
    ids = tuple((-1, j, -1) for j in range(len(domain.rows)))
    start = State(list(domain.rows), list(ids), point)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * enumerator.depth + 1000))
    try:
        tree = enumerator.stage_node(0, enumerator.start, start, ())
    finally:
        sys.setrecursionlimit(limit)
    return Cpwl(tuple(networks), domain, tuple(enumerator.cells), tree,
                tuple(stage.name if len(networks) == 1 else f"network {p}: {stage.name}"
                      for p, stage in enumerator.stages),
                tuple(sorted(enumerator.not_tie_safe)), tuple(enumerator.order))


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
    """A cell under construction: its rows, their names, an exact interior point and (once
    computed, for this cell or an ancestor) a certified bounding box."""
    rows: list[Row]
    row_ids: list[RowId]
    point: Hom
    box: Optional["Box"] = None
    own_box: bool = False
    index: Optional[dict[Row, int]] = None   # row -> position, built on first use

    def opposite_proof(self, new: list[tuple[RowId, Row]]) -> Prune | None:
        """If a new row is the negation of a row of the cell, the option lies in that hyperplane."""
        if self.index is None:
            self.index = {row: i for i, row in enumerate(self.rows)}
        for rid, row in new:
            j = self.index.get(tuple(-v for v in row))
            if j is not None and any(row[1:]):
                return Prune(((self.row_ids[j], 1), (rid, 1)), empty=False)
        return None


class Enumerator:
    def __init__(self, programs: list[Program], dim: int, progress: Progress | None, float_guesses: bool) -> None:
        self.programs = programs
        self.order = interleaved(programs)
        self.stages = [(p, programs[p].stages[i]) for p, i in self.order]
        self.start = tuple(program.start for program in programs)
        self.depth = sum(program.tokens * stage.size + 1 for program in programs for stage in program.stages)
        self.float_guesses = float_guesses
        self.dim = dim
        self.cells: list[Cell] = []
        self.not_tie_safe: set[str] = set()
        self.own_boxes = self.box_proofs = 0
        self.progress = progress
        self.started = time.perf_counter()

    def stage_node(self, s: int, states: tuple, cell: State, pattern: Pattern) -> Node:
        """The subtree for ``cell`` entering stage ``s`` with the networks' states ``states``."""
        if s == len(self.stages):
            return self.leaf(cell, pattern, states)
        p, stage = self.stages[s]
        try:
            step = stage.at(states[p], s)
        except ScoreNotAffine as err:
            x = ", ".join(q_to_str(v) for v in vec_from_hom(cell.point))
            raise ScoreNotAffine(f"{err}; for example on the cell around x = ({x})") from None
        for unit in step.units:
            if unit.fixed is None:
                self.classify_options(unit, cell)
        return self.unit_node(s, step, 0, states, cell, pattern, [])

    def unit_node(self, s: int, step: Step, u: int, states: tuple, cell: State,
                  pattern: Pattern, choices: list[int]) -> Node:
        """The subtree deciding units ``u, u+1, ...`` of stage ``s`` on ``cell``."""
        if u == len(step.units):
            p = self.stages[s][0]
            after = states[:p] + (step.apply(choices),) + states[p + 1:]
            return self.stage_node(s + 1, after, cell, pattern + (tuple(choices),))
        unit = step.units[u]
        if unit.fixed is not None:
            return self.unit_node(s, step, u + 1, states, cell, pattern, choices + [unit.fixed])
        if unit.sole is not None:   # alone live on the entry cell, so on every sub-cell (options cover it)
            children = [unit.pruned.get(o) for o in range(unit.num_options)]
            children[unit.sole] = self.unit_node(s, step, u + 1, states, cell, pattern, choices + [unit.sole])
            return Split(s, u, tuple(children))
        decided = self.options_on(unit, cell)
        live = [o for o, d in decided.items() if not isinstance(d, Prune)]
        children: list[Optional[Node]] = []
        for option in range(unit.num_options):
            d = decided.get(option)
            if d is None or isinstance(d, Prune):
                children.append(d)
                continue
            child = cell if len(live) == 1 else d   # a sole live option needs no new rows
            children.append(self.unit_node(s, step, u + 1, states, child, pattern, choices + [option]))
        return Split(s, u, tuple(children))

    def options_on(self, unit: Unit, cell: State) -> dict[int, State | Prune]:
        """Each option of ``unit`` on ``cell``: its child cell, or a proof it has no interior."""
        decided: dict[int, State | Prune] = dict(unit.pruned)
        for option in unit.live:
            new = unit.option_rows[option]
            result = self.decide(cell, new, unit.witnesses.get(option))
            decided[option] = result if isinstance(result, Prune) else State(
                cell.rows + [r for _, r in new], cell.row_ids + [i for i, _ in new], result, cell.box)
        return decided

    def decide(self, cell: State, new: list[tuple[RowId, Row]], hint: Hom | None) -> Hom | Prune:
        """An exact point strictly inside ``cell`` cut by the rows ``new``, or a proof that there
        is none. No LP runs when the cell's point or ``hint`` is strictly inside, or when a
        row opposite to a new one, or the cell's bounding box, gives the proof."""
        if all(row_at(r, cell.point) > 0 for _, r in new):
            return cell.point
        if hint is not None and all(row_at(r, hint) > 0 for _, r in new) \
                and all(row_at(r, hint) > 0 for r in cell.rows):
            return hint
        proof = cell.opposite_proof(new) or self.box_proof(cell, new)
        if proof is not None:
            return proof
        result = interior_point_or_proof(cell.rows + [r for _, r in new], (), self.float_guesses)
        if isinstance(result, Interior):
            return result.point
        ids = cell.row_ids + [i for i, _ in new]
        return Prune(tuple((ids[j], y) for j, y in result.multipliers), result.empty)

    def box_proof(self, state: State, new: list[tuple[RowId, Row]]) -> Prune | None:
        """A proof that an option has no interior because one of its rows is <= 0 on the
        cell's bounding box. When an inherited box fails, the cell's own box is computed,
        as long as own boxes have paid for themselves (``2 d`` LPs each) so far."""
        if state.box is not None:
            proof = state.box.prune(new)
            if proof is not None:
                if state.own_box:
                    self.box_proofs += 1
                return proof
            if state.own_box:
                return None
        if self.own_boxes >= 20 and self.box_proofs < 2 * self.dim * self.own_boxes:
            return None
        state.box, state.own_box = Box(state), True
        self.own_boxes += 1
        return self.box_proof(state, new)

    def classify_options(self, unit: Unit, cell: State) -> None:
        """Decide every option of ``unit`` on the stage's entry cell; for a hard-max head,
        check tie-safety between options that can tie on the closed cell."""
        for option, new in unit.option_rows.items():
            result = self.decide(cell, new, None)
            if isinstance(result, Prune):
                unit.pruned[option] = result
            else:
                unit.witnesses[option] = result
        if len(unit.witnesses) == 1:
            unit.sole = next(iter(unit.witnesses))
        if unit.value_of is not None and unit.name not in self.not_tie_safe:
            touching = [o for o in unit.option_rows if o not in unit.pruned or not unit.pruned[o].empty]
            if any(not tie_safe(unit, r, t) for i, r in enumerate(touching) for t in touching[i + 1:]):
                self.not_tie_safe.add(unit.name)

    def leaf(self, state: State, pattern: Pattern, states: tuple) -> Leaf:
        affines = tuple(affine_from_flint(program.output(st)) for program, st in zip(self.programs, states))
        self.cells.append(Cell(Polyhedron(self.dim, tuple(state.rows)), tuple(state.row_ids),
                               vec_from_hom(state.point), pattern, affines))
        if self.progress is not None:
            self.progress(len(self.cells), time.perf_counter() - self.started)
        return Leaf(len(self.cells) - 1)


def interleaved(programs: list[Program]) -> list[tuple[int, int]]:
    """All stages as (program, index), each program's in its order, merged by relative depth:
    stage ``i`` of ``n`` goes at ``(i + 1) / n``, earlier programs first on ties. A stage that
    comes early in its network is then decided on larger cells, once for many later splits."""
    keyed = [(Fraction(i + 1, len(program.stages)), p, i)
             for p, program in enumerate(programs) for i in range(len(program.stages))]
    return [(p, i) for _, p, i in sorted(keyed)]


def affine_from_flint(M: flint.fmpq_mat) -> Affine:
    entries = [[Fraction(int(v.p), int(v.q)) for v in row] for row in M.tolist()]
    return Affine(tuple(tuple(row[1:]) for row in entries), tuple(row[0] for row in entries))


class Box:
    """A certified bounding box of a cell: ``-x_i <= low_i`` and ``x_i <= high_i`` from
    nonnegative combinations of the cell's rows (with nonzero normals). Bounds are kept as
    integers over one denominator, so testing a row against the box needs no fractions."""

    def __init__(self, state: State) -> None:
        bounds = bounding_box(state.rows)
        self.denominator = 1
        for low, high in bounds:
            for m in (low, high):
                self.denominator = lcm(self.denominator, m.value.denominator)
        self.scaled = [(int(low.value * self.denominator), int(high.value * self.denominator))
                       for low, high in bounds]
        scale = 1
        for pair in bounds:
            for m in pair:
                for _, y in m.multipliers:
                    scale = lcm(scale, y.denominator)
        self.scale = scale
        self.proofs = [tuple([(state.row_ids[j], int(y * scale)) for j, y in m.multipliers] for m in pair)
                       for pair in bounds]

    def prune(self, new: list[tuple[RowId, Row]]) -> Prune | None:
        """If some row is <= 0 on the box: ``row + sum_i |a_i| (bound_i)`` is the constant
        ``max of row over the box``, a proof that the option is empty (< 0) or thin (= 0)."""
        for rid, row in new:
            total = row[0] * self.denominator
            for a, (low, high) in zip(row[1:], self.scaled):
                total += a * high if a > 0 else -a * low
            if total <= 0:
                weights: dict[RowId, int] = {rid: self.scale}
                for i, a in enumerate(row[1:]):
                    if a:
                        for r, y in self.proofs[i][a > 0]:
                            weights[r] = weights.get(r, 0) + abs(a) * y
                return Prune(tuple(weights.items()), empty=total < 0)
        return None
