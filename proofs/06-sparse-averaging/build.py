"""Claim 6: q-sparse averaging on all pointer-set assignments times a box of data, by one-layer hard-max transformers.

The transformers of seeds.md B1a (one-hot keys) and B1b (moment-curve keys, PWL query lookup) and a reference ReLU
network without attention are built (sparse_averaging.py) and written to build/ as JSON. Every one of them is first
compared with the plain Python definition by exact evaluation at assignments of pointer sets and a few rational
data points (the independent oracle); then each transformer is certified equal to the reference over the mixed
domain (one discrete group of C(N, q) indicator vectors per token, times [-1, 1]^N over the data), the certificate
is written and re-checked from the file by the standalone checker. The score margin of seeds.md §2.4 is computed
exactly at the oracle's assignments and claimed in each certificate; the checker verifies it in every case. A
one-weight change of a B1a key is the negative control: certified DIFFERENT, and its counterexample is a real qSA
error. N = 4 enumerates every assignment of all tokens; N = 6 (seeds.md B1) and N = 16 split the certificate by
output tokens (polyreg certify --split-outputs), each part enumerating only the pointer sets its output can depend on.
Writes build/report.md and build/summary.json.
"""
from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from math import comb
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import sparse_averaging as sa  # noqa: E402
from common import finish, progress, rechecked  # noqa: E402

from polyreg import evaluate  # noqa: E402
from polyreg.analysis.cases import certify_mixed  # noqa: E402
from polyreg.certificates.write import mixed_certificate, write_certificate  # noqa: E402
from polyreg.formats.json_files import save_network  # noqa: E402
from polyreg.network.ir import Network, Transformer  # noqa: E402

N, q = 4, 2
SPLIT = (6, 16)      # certified output token by output token: the instance of seeds.md B1, and N = 16
SAMPLE = 300         # random assignments at which the oracle compares the SPLIT networks with qSA
B2 = (8, 3)          # seeds.md B2: B1b's moment keys at N = 8, q = 3, by output token, with their margin


@dataclass(frozen=True)
class Instance:
    """A transformer for qSA certified against the reference network; ``expect`` is the verdict it must get."""
    name: str
    construction: str
    transformer: Transformer
    expect: str = "EQUIVALENT"
    n: int = N
    split: bool = False
    q: int = q


@dataclass(frozen=True)
class Outcome:
    instance: Instance
    cases: int
    cells: int
    differing_cases: int
    conclusion: str             # the checker's, or NOT VERIFIED: reason
    certified: bool             # the checker verified the expected claim
    counterexample: Optional[tuple[tuple, tuple, tuple, tuple]]   # pointer sets, data, transformer, reference outputs
    certify_s: float
    check_s: float


def instances(whole: int = N, split: tuple[int, ...] = SPLIT, b2: tuple[int, int] = B2) -> list[Instance]:
    """B1a, B1b and the negative control at ``whole`` (every assignment) and at each of ``split`` (by output
    tokens); B1b at ``b2`` (N, q) by output tokens."""
    (n, subset) = b2
    return [Instance(f"{name}-n{n}", construction, build(n, q), expect, n, n != whole)
            for n in (whole, *split) for name, construction, build, expect in (
                ("qsa-one-hot", "B1a one-hot keys, m_key = N", sa.qsa_one_hot, "EQUIVALENT"),
                ("qsa-moment", "B1b moment keys, m_key = 2q, FFN query lookup", sa.qsa_moment, "EQUIVALENT"),
                ("control-qsa-one-hot", "B1a, key 2 := e_2 + e_0 / 2", sa.one_hot_control, "DIFFERENT"))] + \
        [Instance(f"qsa-moment-n{n}-q{subset}", f"B2: B1b moment keys, q = {subset}, m_key = {2 * subset}",
                  sa.qsa_moment(n, subset), "EQUIVALENT", n, True, subset)]


def reference_name(n: int, subset: int) -> str:
    return f"qsa-reference-n{n}" + ("" if subset == q else f"-q{subset}")


def oracle_assignments(n: int, whole: int = N, subset: int = q) -> list[tuple]:
    """Every assignment for ``whole``; for the others the C(n, q) with one pointer set for all tokens and SAMPLE
    seeded random ones (q = ``subset``)."""
    if n == whole:
        return sa.all_assignments(n, subset)
    sets, rng = sa.pointer_sets(n, subset), random.Random(6)
    return [(S,) * n for S in sets] + [tuple(rng.choice(sets) for _ in range(n)) for _ in range(SAMPLE)]


def oracle_errors(net: Network, n: int, whole: int = N, subset: int = q) -> tuple[int, int]:
    """Where ``net`` (exact evaluation) differs from the Python qSA at ``oracle_assignments(n, whole, subset)``: the
    number of (assignment, data point) pairs and the number of assignments with at least one such point."""
    wrong = [sum(evaluate(net, sa.full_input(p, z)) != sa.qsa(p, z, subset) for z in sa.data_points(n))
             for p in oracle_assignments(n, whole, subset)]
    return sum(wrong), sum(w > 0 for w in wrong)


def certified(instance: Instance, folder: Path, margin: Optional[Fraction]) -> Outcome:
    """Certify the transformer against the reference over the mixed domain, write the certificate (claiming the
    score ``margin`` when given), re-check it."""
    domain, reference = sa.mixed_domain(instance.n, instance.q), sa.qsa_reference(instance.n, instance.q)
    started = time.perf_counter()
    verdict = certify_mixed(instance.transformer, reference, domain, split_outputs=instance.split)
    certify_s = time.perf_counter() - started
    path = folder / f"{instance.name}.json.gz"
    write_certificate(mixed_certificate(verdict, instance.transformer, reference, domain, margin=margin), path)
    conclusion, check_s = rechecked(path)
    expected = "the networks are equal everywhere" if instance.expect == "EQUIVALENT" else "the networks differ on"
    if margin is not None and not conclusion.endswith(f"every hard-max score margin is at least {margin}"):
        expected = "a verified margin"
    witness = None
    if verdict.counterexample is not None:
        x = verdict.counterexample.x
        witness = (sa.pointers_of(x, instance.n), sa.data_of(x, instance.n), *verdict.counterexample.outputs)
    return Outcome(instance, len(verdict.cases), verdict.cells, verdict.differing_cases, conclusion,
                   verdict.word == instance.expect and conclusion.startswith(expected), witness, certify_s, check_s)


def real_mismatch(outcome: Outcome) -> bool:
    """The counterexample's transformer output is not qSA(X), and the reference's is."""
    if outcome.counterexample is None:
        return False
    pointers, z, transformer_out, reference_out = outcome.counterexample
    truth = sa.qsa(pointers, z, outcome.instance.q)
    return transformer_out != truth and reference_out == truth


def control_cases(n: int, split: bool) -> int:
    """The cases where the control is wrong: with every token enumerated, the assignments where some token points
    to {0, 2}; split by output tokens, the one case per part where that token does."""
    return n if split else comb(n, q) ** n - (comb(n, q) - 1) ** n


def passed(outcome: Outcome, mismatches: dict[str, int]) -> bool:
    """Certified as expected and oracle agreement (the control: a real error, on the expected number of cases)."""
    i = outcome.instance
    if i.expect == "DIFFERENT":
        return outcome.certified and real_mismatch(outcome) and outcome.differing_cases == control_cases(i.n, i.split)
    return outcome.certified and mismatches[i.name] == 0 and mismatches[reference_name(i.n, i.q)] == 0


def short_verdict(outcome: Outcome) -> str:
    if outcome.conclusion.startswith("NOT VERIFIED"):
        return outcome.conclusion
    if outcome.instance.expect == "EQUIVALENT":
        return "VERIFIED EQUIVALENT" if outcome.certified else f"UNEXPECTED: {outcome.conclusion}"
    return f"VERIFIED DIFFERENT ({outcome.differing_cases} of {outcome.cases})" if outcome.certified else \
        f"UNEXPECTED: {outcome.conclusion}"


def row(outcome: Outcome, margins: dict[str, tuple[Fraction, bool]]) -> tuple:
    i, t = outcome.instance, outcome.instance.transformer
    margin = margins.get(i.name)
    return (i.construction, t.tokens, t.width, " + ".join(map(str, sa.hidden_widths(t))) or "-",
            "by output token" if i.split else "all tokens", outcome.cases, outcome.cells, short_verdict(outcome),
            "-" if margin is None else str(margin[0]), f"{outcome.certify_s:.2f}", f"{outcome.check_s:.2f}")


def oracle_text(mismatches: dict[str, int], wrong: dict[str, int], outcomes: list[Outcome],
                margins: dict[str, tuple[Fraction, bool]]) -> str:
    """The oracle, margin and negative-control paragraphs of the report."""
    points = len(sa.data_points(N))
    lines = [f"Oracle (exact evaluation with `polyreg.network.semantics.evaluate`, compared with the plain Python `qsa` of "
             f"`sparse_averaging.py`, at {points} rational data points of [-1, 1]^N times, for N = {N}, all "
             f"{comb(N, q) ** N} assignments and, for N = "
             + " and ".join(f"{n}, {len(oracle_assignments(n))}" for n in SPLIT) +
             f" assignments: the C(N, q) with one pointer set for every token and {SAMPLE} seeded random ones); the gate "
             "identity `relu(z + 2s - 1) - s = s z` on [-1, 1], s in {0, 1}: "
             f"{'holds' if sa.gate_identity_holds() else 'FAILS'}:", ""]
    for name, count in mismatches.items():
        lines.append(f"- `{name}`: {count} evaluations differ from the definition")
    lines += ["", "Score margin (seeds.md §2.4; computed exactly from the transformer's weights at every oracle "
              "assignment and every query token, then claimed in the certificate: the checker verifies at every case "
              "that each hard-max unit scores its keys by constants with the top one at least this far above every "
              "other):", ""]
    for name, (margin, exact) in margins.items():
        lines.append(f"- `{name}`: min (top score - best score off y_i) = {margin}; top-scoring keys exactly y_i with "
                     f"the scores on y_i exactly tied: {exact}")
    for control in (o for o in outcomes if o.instance.expect == "DIFFERENT" and o.counterexample is not None):
        i = control.instance
        pointers, z, t_out, r_out = control.counterexample
        expected = control_cases(i.n, i.split)
        where = ("one case per output token, the one where that token points to {0, 2}" if i.split else
                 f"the assignments where some token points to {{0, 2}}, {comb(i.n, q)}^{i.n} - "
                 f"{comb(i.n, q) - 1}^{i.n}; the oracle finds {wrong[i.name]} wrong assignments")
        lines += ["", f"Negative control, N = {i.n}: the checker verified that the networks differ on "
                  f"{control.differing_cases} of {control.cases} cases (expected {expected}: {where}). "
                  f"Counterexample y = {pointers}, z = ({', '.join(map(str, z))}): transformer "
                  f"({', '.join(map(str, t_out))}), reference ({', '.join(map(str, r_out))}), qSA = "
                  f"({', '.join(map(str, sa.qsa(pointers, z, q)))}); "
                  f"{'a real error' if real_mismatch(control) else 'NOT a real error'} of the transformer."]
    return "\n".join(lines)


def b2_text(outcomes: list[Outcome], margins: dict[str, tuple[Fraction, bool]]) -> str:
    """What the B2 instance certifies: every subset is exactly the argmax set of its query, with the margin."""
    outcome = next(o for o in outcomes if o.instance.q != q)
    n, subset = outcome.instance.n, outcome.instance.q
    margin = margins.get(outcome.instance.name, ("-", False))[0]
    return (f"B2 (seeds.md, key-set neighborliness, moment keys): at N = {n}, q = {subset} the certificate shows the "
            f"transformer equal to qSA for every z in [-1, 1]^{n} and each of the {comb(n, subset)} subsets S, so the "
            f"keys attaining the top score of query w_S are exactly S (an average over another set differs for some "
            f"z); the checker verifies in every case that every other key scores at least {margin} lower: "
            f"{short_verdict(outcome)}.")


def write_networks(folder: Path, chosen: list[Instance]) -> None:
    """The transformers, the references and the domains as JSON files in ``folder``."""
    for i in chosen:
        save_network(i.transformer, folder / f"{i.name}.json")
    for n, subset in sorted({(i.n, i.q) for i in chosen}):
        name = reference_name(n, subset)
        save_network(sa.qsa_reference(n, subset), folder / f"{name}.json")
        (folder / f"domain{name.removeprefix('qsa-reference')}.json").write_text(
            json.dumps(sa.mixed_domain_json(n, subset)) + "\n")


def main() -> int:
    started = time.perf_counter()
    folder = HERE / "build"
    folder.mkdir(exist_ok=True)
    chosen = instances()
    write_networks(folder, chosen)
    errors = {i.name: oracle_errors(i.transformer, i.n, subset=i.q) for i in chosen}
    errors |= {reference_name(n, subset): oracle_errors(sa.qsa_reference(n, subset), n, subset=subset)
               for n, subset in sorted({(i.n, i.q) for i in chosen})}
    mismatches, wrong = {name: e[0] for name, e in errors.items()}, {name: e[1] for name, e in errors.items()}
    progress("oracle: " + ", ".join(f"{name} {count}" for name, count in mismatches.items()))
    margins = {i.name: sa.score_margin(i.transformer, i.n, i.q, sa.data_points(i.n)[-1],
                                       oracle_assignments(i.n, subset=i.q))
               for i in chosen if i.expect == "EQUIVALENT" and sa.scores_ignore_data(i.transformer, i.n)}
    progress("margins: " + ", ".join(f"{name} {m}" for name, m in margins.items()))
    outcomes = []
    for i in chosen:
        outcomes.append(certified(i, folder, margins[i.name][0] if i.name in margins else None))
        progress(f"{i.name}: {outcomes[-1].conclusion} ({outcomes[-1].certify_s:.2f} s + check "
                 f"{outcomes[-1].check_s:.2f} s)")
    header = ("construction", "tokens", "width", "FFN width", "enumerated", "cases", "cells", "verdict (checker)",
              "margin", "certify s", "check s")
    intro = (f"Every assignment of pointer sets y_i (q = {q} of N positions; one discrete group of indicator vectors "
             f"1_(y_i) per token: {comb(N, q)}^{N} = {comb(N, q) ** N} assignments for N = {N}, "
             + ", ".join(f"{comb(n, q)}^{n} = {comb(n, q) ** n:.3g} for N = {n}" for n in SPLIT) + ") times every data "
             "vector z in [-1, 1]^N. Each transformer (one attention head, hard-max, ties averaged) is certified "
             "equal to a reference ReLU network without attention by `polyreg.analysis.cases.certify_mixed`: for N = "
             f"{N} case by case over all assignments; for N = {' and '.join(map(str, SPLIT))} split by output tokens "
             "(`--split-outputs`): the checker finds from the weights that output i can depend only on y_i and z, so "
             "each part enumerates the C(N, q) values of y_i (the other pointer sets at their first value) and its leaves "
             "compare output i. The certificates (`build/*.json.gz`) are re-checked from the files by the standalone "
             "checker (`polyreg_check`). Exact rational arithmetic. The margin column is the score margin of "
             "seeds.md §2.4, claimed in the certificate and verified by the checker.\n\n" + b2_text(outcomes, margins)
             + "\n\n" + oracle_text(mismatches, wrong, outcomes, margins))
    ok = sa.gate_identity_holds() and all(exact and margin >= 1 for margin, exact in margins.values()) \
        and len(margins) == sum(i.expect == "EQUIVALENT" for i in chosen)
    sizes = ", ".join(map(str, (N, *SPLIT)))
    return finish(HERE, f"Claim 6: q-sparse averaging on all pointer sets x [-1, 1]^N (N = {sizes}, q = {q}; B2)",
                  intro, header, [row(o, margins) for o in outcomes],
                  sum(passed(o, mismatches) for o in outcomes) if ok else 0, started,
                  claim="q-sparse averaging on all pointer sets x a box of data",
                  paper="Sanford-Hsu-Telgarsky 2023, qSA (seeds.md B1)",
                  instances=f"2 transformers (B1a, B1b) x all pointer-set assignments x [-1, 1]^N for N = {N}, "
                            f"q = {q} ({comb(N, q) ** N} cases) and N = "
                            + " and ".join(f"{n} ({comb(n, q) ** n:.3g} assignments, {n * comb(n, q)} cases)"
                                           for n in SPLIT) + f" by output token; B2: B1b at N = {B2[0]}, "
                            f"q = {B2[1]} by output token, margin verified; 3 negative controls",
                  cells=sum(o.cells for o in outcomes), report="06-sparse-averaging/build/report.md")


if __name__ == "__main__":
    sys.exit(main())
