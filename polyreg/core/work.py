"""The enumerator's work items: small values that say what is left to refine, and can go to another process.

A *work item* is a cell still to refine (its rows with their names, an exact interior point, and a certified
bounding box once one was computed), where the refinement stands on it (the stage, the unit within the stage, the
choices made so far in the stage, every stage's choices before, the networks' states on entering the stage), the
decisions taken on the stage's entry cell (shared by every item below that entry), and where its subtree goes
(``parent``, ``slot``: a split's list of children in this process; an item sent elsewhere becomes a root there).
FLINT matrices cannot be pickled, so states travel as integers (``flint_matrices.plain``).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm
from typing import Any, Optional

from ..exact.flint_matrices import from_plain, plain
from ..exact.rationals import Hom, Row
from ..geometry.oracle import Bound, bounding_box
from ..geometry.polyhedron import RowId
from ..network.semantics import Pattern
from .cpwl import Prune
from .stages import Maps, Step

States = tuple[Maps, ...]      # one state per network


@dataclass
class CellState:
    """A cell under construction: its rows, their names, an exact interior point and (once computed, for this cell
    or an ancestor) a certified bounding box. Items that continue on the same cell share this object."""
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


@dataclass(frozen=True)
class UnitDecision:
    """One undecided unit's options on a stage's entry cell: a proof for each option without interior there
    (``pruned``), an interior point of each other option (``witnesses``, hints for the sub-cells), and the option
    that is alone live (``sole``; the options cover the cell, so it is alone live on every sub-cell too)."""
    pruned: dict[int, Prune]
    witnesses: dict[int, Hom]
    sole: Optional[int]


@dataclass
class StageEntry:
    """The decisions on a stage's entry cell, one per unit (None: fixed without geometry), and the stage's units on
    the entry state (``step``; not sent to another process, which recomputes it from the item's states)."""
    decisions: tuple[Optional[UnitDecision], ...]
    step: Optional[Step] = None

    def __getstate__(self) -> Any:
        return self.decisions

    def __setstate__(self, decisions: Any) -> None:
        self.decisions, self.step = decisions, None


@dataclass
class Wide:
    """Where a layer split at medians stands on an item (``Enumerator.settled``): its units that may still cut the
    cell, by breakpoint, every unit's choice so far (others: 0), and the next state's sum so far (``Step.share``)."""
    live: list[int]
    choices: bytearray
    total: Any      # flint.fmpq_mat

    def __getstate__(self) -> Any:
        return self.live, bytes(self.choices), plain(self.total)

    def __setstate__(self, value: Any) -> None:
        live, choices, total = value
        self.live, self.choices, self.total = live, bytearray(choices), from_plain(total)


@dataclass
class WorkItem:
    """A cell still to refine, and where the refinement stands on it (see the module's docstring)."""
    cell: CellState
    stage: int
    states: States
    pattern: Pattern = ()
    unit: int = 0
    choices: tuple[int, ...] = ()
    entry: Optional[StageEntry] = None
    parent: Optional[list] = field(default=None, repr=False)
    slot: int = 0
    wide: Optional[Wide] = None

    def __getstate__(self) -> Any:
        states = tuple(tuple(plain(M) for M in state) for state in self.states)
        return (self.cell, self.stage, states, self.pattern, self.unit, self.choices, self.entry, self.wide)

    def __setstate__(self, value: Any) -> None:
        self.cell, self.stage, states, self.pattern, self.unit, self.choices, self.entry, self.wide = value
        self.states = tuple(tuple(from_plain(M) for M in state) for state in states)
        self.parent, self.slot = None, 0


class Box:
    """A certified bounding box of a cell: ``-x_i <= low_i`` and ``x_i <= high_i`` from
    nonnegative combinations of the cell's rows (with nonzero normals). Bounds are kept as
    integers over one denominator, so testing a row against the box needs no fractions."""

    def __init__(self, state: CellState, bounds: Optional[list[tuple[Bound, Bound]]] = None) -> None:
        bounds = bounds if bounds is not None else bounding_box(state.rows)
        self.denominator = lcm(*(m.value.denominator for pair in bounds for m in pair))
        self.scaled = [(low.value.numerator * (self.denominator // low.value.denominator),
                        high.value.numerator * (self.denominator // high.value.denominator)) for low, high in bounds]
        self.scale = lcm(*(y.denominator for pair in bounds for m in pair for _, y in m.multipliers))
        self.proofs = [tuple([(state.row_ids[j], y.numerator * (self.scale // y.denominator)) for j, y in m.multipliers]
                             for m in pair) for pair in bounds]

    def tightened(self, new: list[tuple[RowId, Row]]) -> "Box":
        """The box with each bound that a new row with one nonzero normal entry ``a_i`` tightens replaced: ``row /
        |a_i|`` is ``x_i``'s new bound minus ``x_i`` (``a_i < 0``), or ``-x_i``'s (``a_i > 0``)."""
        box = self
        for rid, row in new:
            axes = [i for i, a in enumerate(row[1:]) if a]
            if len(axes) != 1:
                continue
            i, a = axes[0], row[axes[0] + 1]
            side, bound = int(a < 0), Fraction(row[0], abs(a))
            if bound * box.denominator >= box.scaled[i][side]:
                continue
            box = copy.copy(box)
            grow, more = lcm(box.denominator, bound.denominator) // box.denominator, lcm(box.scale, abs(a)) // box.scale
            box.denominator, box.scale = box.denominator * grow, box.scale * more
            box.scaled = [(low * grow, high * grow) for low, high in box.scaled]
            box.proofs = [tuple([(r, y * more) for r, y in proof] for proof in pair) for pair in box.proofs]
            low, high = box.scaled[i]
            value, proof = int(bound * box.denominator), [(rid, box.scale // abs(a))]
            box.scaled[i] = (value, high) if side == 0 else (low, value)
            box.proofs[i] = (proof, box.proofs[i][1]) if side == 0 else (box.proofs[i][0], proof)
        return box

    def center(self) -> Hom:
        """The box's center."""
        return (2 * self.denominator, *(high - low for low, high in self.scaled))

    def corner(self, row: Row, point: Hom) -> Hom:
        """The point of the box where ``row`` is largest, with ``point``'s coordinates where ``row`` has none."""
        den = self.denominator * point[0]
        return (den, *(point[i + 1] * self.denominator if not a else (high if a > 0 else -low) * point[0]
                       for i, (a, (low, high)) in enumerate(zip(row[1:], self.scaled))))

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
