"""Equivalence over mixed domains (``geometry.domains.MixedDomain``), certified case by case.

Two networks are equal on the domain iff in every case the networks with the fixed coordinates
substituted (``specialize``) are equal on ``P``; a case without free coordinates is one point, compared by exact
evaluation.

Split by outputs (``certify_mixed(.., split_outputs=True)``), each *part* (outputs with the same relevance, see
``relevance.py``) enumerates only the groups its outputs can depend on, the others at their first value, and decides
only the units that reach its outputs: outputs that read one token's symbol cost that symbol's values, not the
product over all tokens.
"""
from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Sequence

from ..core.cpwl import Cpwl
from ..core.enumerate import Progress, stage_order
from ..core.workers import Jobs, finished_unordered, parallel
from ..errors import InputError, OracleError
from ..exact.flint_matrices import Conversions
from ..exact.rationals import Vec
from ..geometry.domains import Assignment, MixedDomain, assignment_text
from ..network.ir import Network
from ..network.relevance import relevance
from ..network.rewrite import project, specialize
from ..network.semantics import evaluate
from .equivalence import Counterexample, certify, difference_text, verdict_word


@dataclass(frozen=True, slots=True)
class CaseVerdict:
    """One case: its common refinement on the polytope (None without free coordinates: one point, one cell), the
    cells where the maps differ, and a counterexample as a full input (both outputs by direct evaluation)."""
    fixed: Assignment
    order: tuple[tuple[int, int], ...]      # the stage order (the refinement's, or the networks' for a point)
    refinement: Optional[Cpwl]
    cells: int
    differing_cells: int
    not_tie_safe: tuple[str, ...]
    counterexample: Optional[Counterexample] = None
    distance: Optional[Fraction] = None

    def __repr__(self) -> str:
        fixed = assignment_text(self.fixed) or "no fixed inputs"
        if len(fixed) > 80:
            fixed = fixed[:80] + " ..."
        return f"CaseVerdict({fixed}: {self.cells} cells, {self.differing_cells} differing)"


@dataclass(frozen=True, slots=True)
class Part:
    """Outputs ``outputs`` compared over the assignments of the discrete groups ``groups`` (the others at their first
    value), one case each."""
    outputs: tuple[int, ...]
    groups: tuple[int, ...]
    cases: tuple[CaseVerdict, ...]

    def __repr__(self) -> str:
        counts = ((len(self.outputs), "output"), (len(self.groups), "group"), (len(self.cases), "case"))
        return "Part(" + ", ".join(f"{n} {word}{'s' * (n != 1)}" for n, word in counts) + ")"


@dataclass(frozen=True, slots=True)
class MixedVerdict:
    """Equal in every case (everywhere, or almost everywhere if a case is), or DIFFERENT with the first differing
    case's counterexample and the exact sup-norm distance over all cases. ``split``: the parts were split by
    outputs (else one part: all outputs, all groups, every unit decided)."""
    equivalent: bool
    everywhere: bool
    parts: tuple[Part, ...]
    seconds: float
    counterexample: Optional[Counterexample] = None
    distance: Optional[Fraction] = None
    split: bool = False

    @property
    def cases(self) -> tuple[CaseVerdict, ...]:
        return tuple(case for part in self.parts for case in part.cases)

    @property
    def word(self) -> str:
        return verdict_word(self.equivalent, self.everywhere)

    @property
    def cells(self) -> int:
        return sum(case.cells for case in self.cases)

    @property
    def differing_cells(self) -> int:
        return sum(case.differing_cells for case in self.cases)

    @property
    def differing_cases(self) -> int:
        return sum(case.differing_cells > 0 for case in self.cases)

    @property
    def not_tie_safe(self) -> tuple[str, ...]:
        return tuple(sorted({name for case in self.cases for name in case.not_tie_safe}))

    def __repr__(self) -> str:
        cases, parts = len(self.cases), len(self.parts)
        return (f"MixedVerdict({self.word!r}, {self.cells} cells in {cases} case{'s' * (cases != 1)}, "
                f"{parts} part{'s' * (parts != 1)}{difference_text(self)})")


def certify_mixed(a: Network, b: Network, domain: MixedDomain, progress: Progress | None = None,
                  split_outputs: bool = False, jobs: Jobs = 1) -> MixedVerdict:
    """``certify`` in every case of ``domain``, in product order (per part with ``split_outputs``); counterexamples
    are full inputs. With ``jobs`` (see ``core.enumerate.refine``) several cases are certified at once, or one case's
    refinement is finished in parallel; the verdict is the same."""
    for name, net in (("A", a), ("B", b)):
        if net.input_dim != domain.input_dim:
            raise InputError(f"network {name} takes {net.input_dim} inputs but the mixed domain has "
                             f"input_dim {domain.input_dim}")
    if a.output_dim != b.output_dim:
        raise InputError(f"the networks have {a.output_dim} and {b.output_dim} outputs; "
                         "only networks with the same output dimension can be compared")
    started = time.perf_counter()
    setting = CaseSetting(a, b, domain, stage_order((a, b)) if domain.polytope is None else (), Conversions())
    everything = (tuple(range(a.output_dim)), tuple(range(len(domain.discrete))))
    groupings = output_parts(a, b, domain) if split_outputs else [everything]
    work_of = [[(setting, fixed, outputs if split_outputs else None) for fixed in domain.assignments(groups)]
               for outputs, groups in groupings]
    work = [job for part_work in work_of for job in part_work]
    cases = (cases_in_parallel(work, jobs, progress, started) if parallel(jobs) and len(work) > 1
             else cases_here(work, jobs, progress, started))
    parts, first = [], 0
    for (outputs, groups), part_work in zip(groupings, work_of):
        parts.append(Part(outputs, groups, tuple(cases[first:first + len(part_work)])))
        first += len(part_work)
    differing = [case for case in cases if case.differing_cells]
    return MixedVerdict(not differing, not any(case.not_tie_safe for case in cases), tuple(parts),
                        time.perf_counter() - started, differing[0].counterexample if differing else None,
                        max((case.distance for case in differing if case.distance is not None), default=None),
                        split_outputs)


CaseJob = tuple["CaseSetting", Assignment, Optional[tuple[int, ...]]]


def cases_here(work: list[CaseJob], jobs: Jobs, progress: Progress | None, started: float) -> list[CaseVerdict]:
    """The verdicts of ``work``'s cases one after another, each refinement finished on ``jobs``."""
    cases: list[CaseVerdict] = []
    for setting, fixed, outputs in work:
        done, left = sum(case.cells for case in cases), len(work) - len(cases) - 1
        shifted = None if progress is None else (lambda cells, _, open_items, done=done, left=left: progress(
            done + cells, time.perf_counter() - started, open_items + left))
        cases.append(certify_case(setting, fixed, shifted, outputs, jobs))
    return cases


BATCHES = 64        # the cases are sent to the processes in about this many batches, each with its setting once


def cases_in_parallel(work: list[CaseJob], jobs: Jobs, progress: Progress | None,
                      started: float) -> list[CaseVerdict]:
    """The verdicts of ``work``'s cases certified on ``jobs``, a batch of consecutive cases in one process (the
    setting, networks included, is sent once per batch), put in order."""
    size = -(-len(work) // BATCHES)
    batches = [(work[0][0], [(fixed, outputs) for _, fixed, outputs in work[k:k + size]])
               for k in range(0, len(work), size)]
    done: dict[int, list[CaseVerdict]] = {}
    with closing(finished_unordered(jobs, certified_batch, batches)) as results:
        for result in results:          # None after a second without a batch: the limits are checked
            if result is not None:
                done[result[0]] = result[1]
            if progress is not None:
                progress(sum(c.cells for cases in done.values() for c in cases), time.perf_counter() - started,
                         len(work) - sum(map(len, done.values())))
    return [case for k in range(len(batches)) for case in done[k]]


def certified_batch(batch: tuple[CaseSetting, list[tuple[Assignment, Optional[tuple[int, ...]]]]]) \
        -> list[CaseVerdict]:
    """``certify_case`` of each job of a batch, in a worker process."""
    setting, jobs = batch
    return [certify_case(setting, fixed, None, outputs) for fixed, outputs in jobs]


def output_parts(a: Network, b: Network, domain: MixedDomain) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The outputs grouped by what they depend on in ``a`` and ``b`` (relevant inputs and units), each group with the
    discrete groups holding a relevant input."""
    by_relevance: dict[tuple, list[int]] = {}
    for o in range(a.output_dim):
        by_relevance.setdefault((relevance(a, [o]), relevance(b, [o])), []).append(o)
    parts = []
    for (ra, rb), outputs in by_relevance.items():
        inputs = ra.inputs | rb.inputs
        groups = tuple(k for k, g in enumerate(domain.discrete) if inputs & set(g.coordinates))
        parts.append((tuple(outputs), groups))
    return parts


@dataclass(frozen=True)
class CaseSetting:
    """What every case of one run shares: the networks, the domain, the stage order of a case without free
    coordinates, and the FLINT conversions of the weights the specialized networks share."""
    a: Network
    b: Network
    domain: MixedDomain
    point_order: tuple[tuple[int, int], ...]
    conversions: Conversions


def certify_case(setting: CaseSetting, fixed: Assignment, progress: Progress | None,
                 outputs: Optional[Sequence[int]] = None, jobs: Jobs = 1) -> CaseVerdict:
    """The verdict of one case on ``outputs`` (None: all, deciding every unit): by exact evaluation without free
    coordinates, else by ``certify`` on the polytope."""
    a, b, domain = setting.a, setting.b, setting.domain
    witness: Optional[Counterexample]
    def selected(values: Vec) -> Vec:
        return values if outputs is None else tuple(values[o] for o in outputs)
    if domain.polytope is None:
        z = domain.full_input(fixed, ())
        witness = Counterexample(z, (evaluate(a, z), evaluate(b, z)))
        if progress is not None:
            progress(1, 0.0, 0)
        differs = selected(witness.outputs[0]) != selected(witness.outputs[1])
        return CaseVerdict(fixed, setting.point_order, None, 1, int(differs), (), witness if differs else None,
                           max(abs(p - q) for p, q in zip(*map(selected, witness.outputs))) if differs else None)
    pair = [specialize(net, dict(fixed), domain.free) for net in (a, b)]
    if outputs is not None:
        pair = [project(net, outputs) for net in pair]
    try:
        verdict = certify(pair[0], pair[1], domain.polytope, progress, only_relevant=outputs is not None,
                          conversions=setting.conversions, jobs=jobs)
    except InputError as err:
        raise InputError(f"discrete case {assignment_text(fixed)}: {err}") from None
    cpwl, witness = verdict.refinement, None
    if verdict.counterexample is not None:
        z = domain.full_input(fixed, verdict.counterexample.x)
        witness = Counterexample(z, (evaluate(a, z), evaluate(b, z)))
        if tuple(map(selected, witness.outputs)) != verdict.counterexample.outputs:
            raise OracleError(f"discrete case {assignment_text(fixed)}: the specialized networks disagree with the "
                              "original ones at the counterexample")
    return CaseVerdict(fixed, cpwl.order, cpwl, len(cpwl.cells), verdict.differing_cells, cpwl.not_tie_safe, witness,
                       verdict.distance)
