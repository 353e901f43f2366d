"""Mixed domains: a finite set of discrete choices times a polytope, certified case by case.

A mixed domain in ``Q^n`` is ``{z : z_G in V_G for every discrete group G, z_F in P}``: each group ``G`` of input
coordinates takes one of a finite list ``V_G`` of rational vectors (a symbol, e.g. one-hot encoded, so a linear
embedding of the group is a table lookup), and the free coordinates ``F`` range over a bounded, full-dimensional
polytope ``P`` (or there are none). Its *cases* are the assignments of the groups, in product order (the last group
varying fastest). Two networks are equal on the domain iff in every case the networks with the fixed coordinates
substituted (``specialize``) are equal on ``P``; a case without free coordinates is one point, compared by exact
evaluation.

Split by outputs (``certify_mixed(.., split_outputs=True)``), each *part* (outputs with the same relevance, see
``relevance.py``) enumerates only the groups its outputs can depend on, the others at their first value, and decides
only the units that reach its outputs: outputs that read one token's symbol cost that symbol's values, not the
product over all tokens.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import product
from math import prod
from typing import Iterator, Mapping, Optional, Sequence

from .certify import Counterexample, certify, verdict_word
from .cpwl import Cpwl
from .errors import InputError, OracleError
from .exact import Vec, q_to_str
from .ir import Dense, Mlp, Network, Transformer
from .lower import Progress
from .polyhedron import Polyhedron
from .relevance import project, relevance
from .semantics import evaluate

Assignment = tuple[tuple[int, Fraction], ...]   # (input coordinate, value), sorted by coordinate


@dataclass(frozen=True, slots=True)
class DiscreteGroup:
    """The input coordinates ``coordinates`` together take one of the vectors ``values``."""
    coordinates: tuple[int, ...]
    values: tuple[Vec, ...]


@dataclass(frozen=True, slots=True)
class MixedDomain:
    """The product of the groups' values (in order) times ``polytope`` over the ``free`` coordinates (its ``x_k``
    is input ``free[k]``); ``polytope`` is None when there are no free coordinates."""
    input_dim: int
    discrete: tuple[DiscreteGroup, ...]
    free: tuple[int, ...]
    polytope: Optional[Polyhedron]

    @property
    def num_cases(self) -> int:
        return prod(len(group.values) for group in self.discrete)

    def assignments(self, groups: Optional[Sequence[int]] = None) -> Iterator[Assignment]:
        """The cases in product order, the last group varying fastest; only ``groups`` vary when given (the
        others take their first value)."""
        varied = range(len(self.discrete)) if groups is None else set(groups)
        for choice in product(*(g.values if k in varied else g.values[:1] for k, g in enumerate(self.discrete))):
            yield tuple(sorted((i, v) for group, vector in zip(self.discrete, choice)
                               for i, v in zip(group.coordinates, vector)))

    def full_input(self, fixed: Assignment, x: Sequence[Fraction]) -> Vec:
        """The input ``z`` with ``z_i = fixed[i]`` and ``z_{free[k]} = x_k``."""
        z = dict(fixed) | dict(zip(self.free, x))
        return tuple(Fraction(z[i]) for i in range(self.input_dim))


def assignment_text(fixed: Assignment) -> str:
    return ", ".join(f"x_{i} = {q_to_str(v)}" for i, v in fixed)


def specialize(net: Network, fixed: Mapping[int, Fraction], free: Sequence[int]) -> Network:
    """``x -> net(z)`` with ``z_i = fixed[i]`` and ``z_{free[k]} = x_k``, exactly: for an MLP folded into the first
    linear layer (or an affine layer put first), for a transformer into the positions (``E`` keeps the free rows)."""
    if not free:
        raise InputError("specialize: there are no free coordinates; evaluate the network at the point instead")
    nonzero = [(i, v) for i, v in fixed.items() if v]      # one-hot symbols: most fixed values are 0
    if isinstance(net, Transformer):
        positions = tuple(tuple(p + sum((v * E[i][c] for i, v in nonzero if E[i][c]), Fraction(0))
                                for c, p in enumerate(row)) for E, row in zip(net.embed, net.positions))
        return replace(net, input_dim=len(free), embed=tuple(tuple(E[i] for i in free) for E in net.embed),
                       positions=positions)
    first = net.layers[0] if net.layers else None
    if isinstance(first, Dense):
        weight = tuple(tuple(row[i] for i in free) for row in first.weight)
        bias = tuple(c + sum((row[i] * v for i, v in nonzero if row[i]), Fraction(0))
                     for row, c in zip(first.weight, first.bias))
        return Mlp(len(free), (Dense(weight, bias),) + net.layers[1:])
    return Mlp(len(free), (input_layer(net.input_dim, fixed, free),) + net.layers)


def input_layer(n: int, fixed: Mapping[int, Fraction], free: Sequence[int]) -> Dense:
    """The affine map ``x -> z`` with ``z_i = fixed[i]`` and ``z_{free[k]} = x_k``."""
    column = {i: k for k, i in enumerate(free)}
    weight = tuple(tuple(Fraction(int(column.get(i) == k)) for k in range(len(free))) for i in range(n))
    return Dense(weight, tuple(Fraction(fixed.get(i, 0)) for i in range(n)))


@dataclass(frozen=True, slots=True)
class CaseVerdict:
    """One case: its common refinement on the polytope (None without free coordinates: one point, one cell), the
    cells where the maps differ, and a counterexample as a full input (both outputs by direct evaluation)."""
    fixed: Assignment
    refinement: Optional[Cpwl]
    cells: int
    differing_cells: int
    not_tie_safe: tuple[str, ...]
    counterexample: Optional[Counterexample] = None
    distance: Optional[Fraction] = None


@dataclass(frozen=True, slots=True)
class Part:
    """Outputs ``outputs`` compared over the assignments of the discrete groups ``groups`` (the others at their first
    value), one case each."""
    outputs: tuple[int, ...]
    groups: tuple[int, ...]
    cases: tuple[CaseVerdict, ...]


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


def certify_mixed(a: Network, b: Network, domain: MixedDomain, progress: Progress | None = None,
                  split_outputs: bool = False) -> MixedVerdict:
    """``certify`` in every case of ``domain``, in product order (per part with ``split_outputs``); counterexamples
    are full inputs."""
    for name, net in (("A", a), ("B", b)):
        if net.input_dim != domain.input_dim:
            raise InputError(f"network {name} takes {net.input_dim} inputs but the mixed domain has "
                             f"input_dim {domain.input_dim}")
    if a.output_dim != b.output_dim:
        raise InputError(f"the networks have {a.output_dim} and {b.output_dim} outputs; "
                         "only networks with the same output dimension can be compared")
    started, cases, parts = time.perf_counter(), [], []
    everything = (tuple(range(a.output_dim)), tuple(range(len(domain.discrete))))
    for outputs, groups in output_parts(a, b, domain) if split_outputs else [everything]:
        first = len(cases)
        for fixed in domain.assignments(groups):
            done = sum(case.cells for case in cases)
            shifted = None if progress is None else (
                lambda cells, _, done=done: progress(done + cells, time.perf_counter() - started))
            cases.append(certify_case(a, b, domain, fixed, shifted, outputs if split_outputs else None))
        parts.append(Part(outputs, groups, tuple(cases[first:])))
    differing = [case for case in cases if case.differing_cells]
    return MixedVerdict(not differing, not any(case.not_tie_safe for case in cases), tuple(parts),
                        time.perf_counter() - started, differing[0].counterexample if differing else None,
                        max((case.distance for case in differing), default=None), split_outputs)


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


def certify_case(a: Network, b: Network, domain: MixedDomain, fixed: Assignment, progress: Progress | None,
                 outputs: Optional[Sequence[int]] = None) -> CaseVerdict:
    """The verdict of one case on ``outputs`` (None: all, deciding every unit): by exact evaluation without free
    coordinates, else by ``certify`` on the polytope."""
    def selected(values: Vec) -> Vec:
        return values if outputs is None else tuple(values[o] for o in outputs)
    if domain.polytope is None:
        z = domain.full_input(fixed, ())
        witness = Counterexample(z, (evaluate(a, z), evaluate(b, z)))
        if progress is not None:
            progress(1, 0.0)
        differs = selected(witness.outputs[0]) != selected(witness.outputs[1])
        return CaseVerdict(fixed, None, 1, int(differs), (), witness if differs else None,
                           max(abs(p - q) for p, q in zip(*map(selected, witness.outputs))) if differs else None)
    pair = [specialize(net, dict(fixed), domain.free) for net in (a, b)]
    if outputs is not None:
        pair = [project(net, outputs) for net in pair]
    try:
        verdict = certify(*pair, domain.polytope, progress, only_relevant=outputs is not None)
    except InputError as err:
        raise InputError(f"discrete case {assignment_text(fixed)}: {err}") from None
    cpwl, witness = verdict.refinement, None
    if verdict.counterexample is not None:
        z = domain.full_input(fixed, verdict.counterexample.x)
        witness = Counterexample(z, (evaluate(a, z), evaluate(b, z)))
        if tuple(map(selected, witness.outputs)) != verdict.counterexample.outputs:
            raise OracleError(f"discrete case {assignment_text(fixed)}: the specialized networks disagree with the "
                              "original ones at the counterexample")
    return CaseVerdict(fixed, cpwl, len(cpwl.cells), verdict.differing_cells, cpwl.not_tie_safe, witness,
                       verdict.distance)
