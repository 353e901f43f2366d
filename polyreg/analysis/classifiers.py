"""The questions a classifier's owner asks of two networks, decided exactly on a domain: do they predict the same
class everywhere (``top_1``), and are their outputs everywhere within ``epsilon`` of each other (``within``)?

Classes and ties: a network's *top classes* at ``x`` are the outputs attaining its maximum there. A and B *agree*
at ``x`` when some class is top for both, and *disagree* when their top classes are disjoint. For continuous
networks (ReLU, maxout, tie-safe hard-max attention) the disagreement set is open: near ``x`` each network's top
classes are among its top classes at ``x``. So it is empty exactly when no cell of the refinement by both networks'
argmax has disjoint top classes inside it, and a disagreement found is one on an open set. Where both networks have
one top class it is then the same class; a fixed tie rule (the lowest index, as numpy's and torch's ``argmax``) can
still name different classes where a network ties, a set of measure zero.

Both questions stop at the first cell that answers no, with an exact point re-evaluated by both networks.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional, Sequence

from ..core.cpwl import Cell, Cpwl
from ..core.enumerate import Progress, refine
from ..errors import InputError, OracleError
from ..exact.rationals import Vec, approx, short_vec, to_q
from ..geometry.domains import Slice
from ..geometry.oracle import maximum
from ..geometry.polyhedron import Polyhedron, RowId
from ..network.ir import Network
from ..network.semantics import evaluate
from .equivalence import check_compatible, difference


def top_classes(outputs: Vec) -> tuple[int, ...]:
    """The indices of the largest outputs."""
    best = max(outputs)
    return tuple(k for k, v in enumerate(outputs) if v == best)


@dataclass(frozen=True, slots=True)
class Witness:
    """A point of the domain (in a slice's parameters) and both networks' outputs there, by direct evaluation."""
    x: Vec
    outputs: tuple[Vec, Vec]

    @property
    def classes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Each network's top classes at ``x``."""
        return top_classes(self.outputs[0]), top_classes(self.outputs[1])

    @property
    def difference(self) -> Fraction:
        """``|A(x) - B(x)|_inf``."""
        return max(abs(a - b) for a, b in zip(*self.outputs))

    def __repr__(self) -> str:
        return f"Witness(x {short_vec(self.x)}, classes {self.classes}, difference about {approx(self.difference)})"


class Found(Exception):
    """The refinement stopped: ``x`` answers the question with no."""

    def __init__(self, x: Vec) -> None:
        super().__init__()
        self.x = x


# ``s (A_k - B_k) <= epsilon`` on cell c: (c, k, s, multipliers y > 0 by row name) with ``epsilon - s (A_k - B_k) -
# sum y row`` a constant >= 0 (the rows are >= 0 on the cell)
Bounded = tuple[int, int, int, tuple[tuple[RowId, Fraction], ...]]


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to a classifier question: ``holds`` on the whole domain (with the complete ``refinement``), or not,
    with a ``witness``, after ``cells`` cells. ``everywhere`` is False when a hard-max head met is not tie-safe:
    the answer yes then holds on the cells' interiors."""
    question: str                     # "top-1" or "epsilon"
    holds: bool
    everywhere: bool
    cells: int
    seconds: float
    networks: tuple[Network, Network]
    domain: Polyhedron | Slice
    refinement: Optional[Cpwl] = None
    witness: Optional[Witness] = None
    epsilon: Optional[Fraction] = None
    bounds: tuple[Bounded, ...] = ()

    @property
    def word(self) -> str:
        """The first line of ``certify --top-1`` or ``--epsilon``."""
        words = {("top-1", True): "SAME CLASS", ("top-1", False): "DIFFERENT CLASS",
                 ("epsilon", True): "WITHIN EPSILON", ("epsilon", False): "EXCEEDS EPSILON"}
        word = words[self.question, self.holds]
        return word + (" ALMOST EVERYWHERE" if self.holds and not self.everywhere else "")

    def __repr__(self) -> str:
        epsilon = "" if self.epsilon is None else f" {self.epsilon}"
        found = "" if self.witness is None else f", at x {short_vec(self.witness.x)}"
        return f"Answer({self.word!r}{epsilon}, {self.cells} cells{found})"


def top_1(a: Network, b: Network, domain: Polyhedron | Slice, progress: Progress | None = None) -> Answer:
    """Whether some class is top-scoring for both ``a`` and ``b`` at every point of ``domain``; else a point where
    their top classes are disjoint (on an open set, for continuous networks)."""
    check_compatible(a, b, domain)
    if a.output_dim < 2:
        raise InputError(f"--top-1 compares the argmax of several outputs, but the networks have {a.output_dim} "
                         "output; for one logit compare signs with --epsilon or certify")

    def watch(cell: Cell) -> None:
        tops = [top_classes(f(cell.point)) for f in cell.affines]
        if not set(tops[0]) & set(tops[1]):
            raise Found(cell.point)
    answer = answered("top-1", (a, b), domain, progress, watch, classes=True)
    if answer.witness is not None and set(answer.witness.classes[0]) & set(answer.witness.classes[1]):
        raise OracleError("a cell's top classes are disjoint, but direct evaluation inside it does not agree")
    return answer


def within(a: Network, b: Network, domain: Polyhedron | Slice, epsilon: object,
           progress: Progress | None = None) -> Answer:
    """Whether ``|a(x) - b(x)|_inf <= epsilon`` for every ``x`` in ``domain``, with the LP multipliers bounding each
    output difference on each cell; else a point where it exceeds ``epsilon``."""
    check_compatible(a, b, domain)
    eps = to_q(epsilon, where="epsilon")
    if eps < 0:
        raise InputError(f"epsilon must be >= 0, got {eps}")
    bounds: list[Bounded] = []
    cells = [0]

    def watch(cell: Cell) -> None:
        gap, number = difference(cell), cells[0]
        cells[0] += 1
        if any(abs(v) > eps for v in gap(cell.point)):
            raise Found(cell.point)
        for k, (coefficients, constant) in enumerate(zip(gap.A, gap.b)):
            if not any(coefficients):
                continue          # a constant difference, within epsilon at the cell's point
            for sign in (1, -1):
                best = maximum(cell.polyhedron.rows, [sign * constant] + [sign * c for c in coefficients])
                if best.value > eps:
                    raise Found(best.point)
                bounds.append((number, k, sign, tuple((cell.row_ids[j], y) for j, y in best.multipliers)))
    answer = answered("epsilon", (a, b), domain, progress, watch, epsilon=eps, bounds=bounds)
    if answer.witness is not None and answer.witness.difference <= eps:
        raise OracleError("a cell's maps exceed epsilon, but direct evaluation there does not")
    return answer


def answered(question: str, networks: tuple[Network, Network], domain: Polyhedron | Slice,
             progress: Progress | None, watch: Callable[[Cell], None], classes: bool = False,
             epsilon: Optional[Fraction] = None, bounds: Sequence[Bounded] = ()) -> Answer:
    """Refine ``networks`` on ``domain`` until ``watch`` finds a cell that answers no (``Found``), or to the end
    (``bounds``: what ``watch`` proved on the cells, complete once the refinement is)."""
    started, seen = time.perf_counter(), [0]

    def counted(cell: Cell) -> None:
        seen[0] += 1
        watch(cell)
    try:
        cpwl = refine(networks, domain, progress, classes=classes, watch=counted)
    except Found as found:
        point = domain.point(found.x) if isinstance(domain, Slice) else found.x
        witness = Witness(found.x, (evaluate(networks[0], point), evaluate(networks[1], point)))
        return Answer(question, False, True, seen[0], time.perf_counter() - started, networks, domain,
                      witness=witness, epsilon=epsilon)
    return Answer(question, True, not cpwl.not_tie_safe, len(cpwl.cells), time.perf_counter() - started, networks,
                  domain, refinement=cpwl, epsilon=epsilon, bounds=tuple(bounds))
