"""Claim 6: q-sparse averaging on all pointer-set assignments times a box of data, by one-layer hard-max transformers.

The transformers of seeds.md B1a (one-hot keys) and B1b (moment-curve keys, PWL query lookup) and a reference ReLU
network without attention are built (sparse_averaging.py) and written to build/ as JSON. Every one of them is first
compared with the plain Python definition by exact evaluation at every assignment of pointer sets and a few rational
data points (the independent oracle); then each transformer is certified equal to the reference over the mixed
domain (one discrete group of C(N, q) indicator vectors per token, times [-1, 1]^N over the data), the certificate
is written and re-checked from the file by the standalone checker. The score margin of seeds.md §2.4 is computed
exactly. A one-weight change of a B1a key is the negative control: certified DIFFERENT, and its counterexample is a
real qSA error. For N = 5 a sample of the cases is certified to estimate the time of the whole enumeration.
Writes build/report.md and build/summary.json.
"""
from __future__ import annotations

import json
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

import sparse_averaging as sa                                                        # noqa: E402
from common import finish, progress, rechecked  # noqa: E402
from polyreg import evaluate                                                         # noqa: E402
from polyreg.certificate import mixed_certificate, write_certificate                # noqa: E402
from polyreg.io import save_network                                                  # noqa: E402
from polyreg.ir import Mlp, Network, Transformer                                     # noqa: E402
from polyreg.mixed import certify_mixed                                              # noqa: E402

N, q = 4, 2
SAMPLE_N = 5


@dataclass(frozen=True)
class Instance:
    """A transformer for qSA certified against the reference network; ``expect`` is the verdict it must get."""
    name: str
    construction: str
    transformer: Transformer
    expect: str = "EQUIVALENT"


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


def instances() -> list[Instance]:
    """B1a and B1b against the reference, and the negative control."""
    return [Instance("qsa-one-hot", "B1a one-hot keys, m_key = N", sa.qsa_one_hot(N, q)),
            Instance("qsa-moment", "B1b moment keys, m_key = 2q, FFN query lookup", sa.qsa_moment(N, q)),
            Instance("control-qsa-one-hot", "B1a, key 2 := e_2 + e_0 / 2", sa.one_hot_control(N, q), "DIFFERENT")]


def oracle_errors(net: Network) -> tuple[int, int]:
    """Where ``net`` (exact evaluation) differs from the Python qSA: the number of (assignment, data point) pairs
    and the number of assignments with at least one such point."""
    wrong = [sum(evaluate(net, sa.full_input(p, z)) != sa.qsa(p, z, q) for z in sa.data_points(N))
             for p in sa.all_assignments(N, q)]
    return sum(wrong), sum(w > 0 for w in wrong)


def certified(instance: Instance, reference: Mlp, folder: Path) -> Outcome:
    """Certify the transformer against the reference over the mixed domain, write the certificate, re-check it."""
    domain = sa.mixed_domain(N, q)
    started = time.perf_counter()
    verdict = certify_mixed(instance.transformer, reference, domain)
    certify_s = time.perf_counter() - started
    path = folder / f"{instance.name}.json.gz"
    write_certificate(mixed_certificate(verdict, instance.transformer, reference, domain), path)
    conclusion, check_s = rechecked(path)
    expected = "the networks are equal everywhere" if instance.expect == "EQUIVALENT" else "the networks differ on"
    witness = None
    if verdict.counterexample is not None:
        x = verdict.counterexample.x
        witness = (sa.pointers_of(x, N), sa.data_of(x, N), *verdict.counterexample.outputs)
    return Outcome(instance, len(verdict.cases), verdict.cells, verdict.differing_cases, conclusion,
                   verdict.word == instance.expect and conclusion.startswith(expected), witness, certify_s, check_s)


def real_mismatch(outcome: Outcome) -> bool:
    """The counterexample's transformer output is not qSA(X), and the reference's is."""
    if outcome.counterexample is None:
        return False
    pointers, z, transformer_out, reference_out = outcome.counterexample
    truth = sa.qsa(pointers, z, q)
    return transformer_out != truth and reference_out == truth


def passed(outcome: Outcome, mismatches: dict[str, int], wrong_control: int) -> bool:
    """Certified as expected and oracle agreement (the control: a real error, on as many cases as the oracle sees)."""
    i = outcome.instance
    if i.expect == "DIFFERENT":
        return outcome.certified and real_mismatch(outcome) and wrong_control == outcome.differing_cases
    return outcome.certified and mismatches[i.name] == 0 and mismatches["qsa-reference"] == 0


def short_verdict(outcome: Outcome) -> str:
    if outcome.conclusion.startswith("NOT VERIFIED"):
        return outcome.conclusion
    if outcome.instance.expect == "EQUIVALENT":
        return "VERIFIED EQUIVALENT" if outcome.certified else f"UNEXPECTED: {outcome.conclusion}"
    return f"VERIFIED DIFFERENT ({outcome.differing_cases} of {outcome.cases})" if outcome.certified else \
        f"UNEXPECTED: {outcome.conclusion}"


def row(outcome: Outcome, margins: dict[str, tuple[Fraction, bool]]) -> tuple:
    t = outcome.instance.transformer
    margin = margins.get(outcome.instance.name)
    return (outcome.instance.construction, t.tokens, t.width, " + ".join(map(str, sa.hidden_widths(t))) or "-",
            outcome.cases, outcome.cells, short_verdict(outcome), "-" if margin is None else str(margin[0]),
            f"{outcome.certify_s:.2f}", f"{outcome.check_s:.2f}")


def sample_seconds() -> tuple[int, int, str, float]:
    """Certify B1a against the reference for N = 5 on the cases where tokens 0..2 have pointer set {0, 1} (all
    ``C(5, 2)^2`` choices for tokens 3, 4): the number of cases, of all cases, the verdict and the seconds."""
    n, sets = SAMPLE_N, sa.pointer_sets(SAMPLE_N, q)
    domain = sa.mixed_domain(n, q, [sets[:1]] * 3 + [sets] * (n - 3))
    started = time.perf_counter()
    verdict = certify_mixed(sa.qsa_one_hot(n, q), sa.qsa_reference(n, q), domain)
    return domain.num_cases, comb(n, q) ** n, verdict.word, time.perf_counter() - started


def oracle_text(mismatches: dict[str, int], wrong_control: int, control: Outcome,
                margins: dict[str, tuple[Fraction, bool]], sample: tuple[int, int, str, float]) -> str:
    """The oracle, margin, negative-control and N = 5 paragraphs of the report."""
    points = len(sa.data_points(N))
    total = comb(N, q) ** N
    lines = [f"Oracle (exact evaluation with `polyreg.semantics.evaluate` at all {total} assignments times {points} "
             "rational data points of [-1, 1]^N, compared with the plain Python `qsa` of `sparse_averaging.py`); the "
             f"gate identity `relu(z + 2s - 1) - s = s z` on [-1, 1], s in {{0, 1}}: "
             f"{'holds' if sa.gate_identity_holds() else 'FAILS'}:", ""]
    for name, count in mismatches.items():
        lines.append(f"- `{name}`: {count} of {total * points} evaluations differ from the definition")
    lines += ["", "Score margin (seeds.md §2.4; computed exactly from the transformer's weights at every assignment "
              "and every query token, a computed fact, not a checker claim):", ""]
    for name, (margin, exact) in margins.items():
        lines.append(f"- `{name}`: min (top score - best score off y_i) = {margin}; top-scoring keys exactly y_i with "
                     f"the scores on y_i exactly tied: {exact}")
    if control.counterexample is not None:
        pointers, z, t_out, r_out = control.counterexample
        lines += ["", f"Negative control: the checker verified that the networks differ on {control.differing_cases} "
                  f"of {control.cases} cases (the oracle finds {wrong_control} assignments with a wrong output: "
                  f"those where some token has pointer set {{0, 2}}, {total} - {comb(N, q) - 1}^{N}). "
                  f"Counterexample y = {pointers}, z = ({', '.join(map(str, z))}): transformer "
                  f"({', '.join(map(str, t_out))}), reference ({', '.join(map(str, r_out))}), qSA = "
                  f"({', '.join(map(str, sa.qsa(pointers, z, q)))}); "
                  f"{'a real error' if real_mismatch(control) else 'NOT a real error'} of the transformer."]
    cases, all_cases, word, seconds = sample
    lines += ["", f"N = {SAMPLE_N}, q = {q}: {cases} of the {all_cases:,} cases (tokens 0..2 fixed to pointer set "
              f"{{0, 1}}) certified B1a vs reference {word} in {seconds:.1f} s, so the full enumeration would take "
              f"about {seconds * all_cases / cases / 60:.0f} min; it is not run (see README.md)."]
    return "\n".join(lines)


def write_networks(folder: Path, chosen: list[Instance], reference: Mlp) -> None:
    """The transformers, the reference and the domain as JSON files in ``folder``."""
    for i in chosen:
        save_network(i.transformer, folder / f"{i.name}.json")
    save_network(reference, folder / "qsa-reference.json")
    (folder / "domain.json").write_text(json.dumps(sa.mixed_domain_json(N, q)) + "\n")


def main() -> int:
    started = time.perf_counter()
    folder = HERE / "build"
    folder.mkdir(exist_ok=True)
    chosen, reference = instances(), sa.qsa_reference(N, q)
    write_networks(folder, chosen, reference)
    errors = {i.name: oracle_errors(i.transformer) for i in chosen} | {"qsa-reference": oracle_errors(reference)}
    mismatches, wrong_control = {name: e[0] for name, e in errors.items()}, errors[chosen[-1].name][1]
    progress("oracle: " + ", ".join(f"{name} {count}" for name, count in mismatches.items()))
    margins = {i.name: sa.score_margin(i.transformer, N, q, sa.data_points(N)[-1]) for i in chosen[:2]
               if sa.scores_ignore_data(i.transformer, N)}
    progress("margins: " + ", ".join(f"{name} {m}" for name, m in margins.items()))
    outcomes = []
    for i in chosen:
        outcomes.append(certified(i, reference, folder))
        progress(f"{i.name}: {outcomes[-1].conclusion} ({outcomes[-1].certify_s:.2f} s + check "
                 f"{outcomes[-1].check_s:.2f} s)")
    sample = sample_seconds()
    progress(f"N = {SAMPLE_N} sample: {sample}")
    header = ("construction", "tokens", "width", "FFN width", "cases", "cells", "verdict (checker)", "margin",
              "certify s", "check s")
    intro = (f"Every assignment of pointer sets y_i (q = {q} of N = {N} positions; {comb(N, q)}^{N} = "
             f"{comb(N, q) ** N} cases, one discrete group of indicator vectors 1_(y_i) per token) times every data "
             f"vector z in [-1, 1]^{N}. Each transformer (one attention head, hard-max, ties averaged) is certified "
             "equal to a reference ReLU network without attention by `polyreg.mixed.certify_mixed`; the certificates "
             "(`build/*.json.gz`) are re-checked from the files by the standalone checker (`polyreg/check.py`). Exact "
             "rational arithmetic. The margin column is the computed score margin of seeds.md §2.4 (not part of the "
             "certificate).\n\n" + oracle_text(mismatches, wrong_control, outcomes[-1], margins, sample))
    ok = sa.gate_identity_holds() and all(exact and margin >= 1 for margin, exact in margins.values()) \
        and len(margins) == 2
    return finish(HERE, f"Claim 6: q-sparse averaging on all pointer sets x [-1, 1]^{N} (N = {N}, q = {q})", intro,
                  header, [row(o, margins) for o in outcomes],
                  sum(passed(o, mismatches, wrong_control) for o in outcomes) if ok else 0, started,
                  claim="q-sparse averaging on all pointer sets x a box of data",
                  paper="Sanford-Hsu-Telgarsky 2023, qSA (seeds.md B1)",
                  instances=f"2 transformers (B1a, B1b) x {comb(N, q) ** N} pointer-set assignments of N = {N}, "
                            f"q = {q} x [-1, 1]^{N}; 1 negative control",
                  cells=sum(o.cells for o in outcomes), report="06-sparse-averaging/build/report.md")


if __name__ == "__main__":
    sys.exit(main())
