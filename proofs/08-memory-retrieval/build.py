"""Claim 8: fixed and adaptive memory (Wang & E) and nearest-position retrieval, "rank matters" (Jiang & Li), by
hard-max transformers.

The transformers of seeds.md M1, M3 and A3 and reference networks built another way (memory_retrieval.py) are
written to build/ as JSON. Each is first compared with the plain Python definition by exact evaluation (the
independent oracle); then each transformer is certified against its reference (M1 and A3 on a box with
polyreg.certify.certify, M3 on the mixed domain with polyreg.mixed.certify_mixed), the certificate is written and
re-checked from the file by the standalone checker. Negative controls: a one-weight change of M1 and of M3, and an
m_h = 1 network for A3; each is certified DIFFERENT and its counterexample is a real error against the definition.
Writes build/report.md and build/summary.json.
"""
from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import memory_retrieval as mr                                                        # noqa: E402
from common import finish, progress, rechecked  # noqa: E402
from polyreg import box, evaluate                                                    # noqa: E402
from polyreg.certificate import (certificate, different_claim, equivalence_claim,   # noqa: E402
                                 mixed_certificate, write_certificate)
from polyreg.certify import certify                                                  # noqa: E402
from polyreg.io import save_network                                                  # noqa: E402
from polyreg.ir import Network                                                       # noqa: E402
from polyreg.mixed import certify_mixed                                              # noqa: E402

T_FIXED, T_ADAPTIVE, TAU, TAU_FULL = 8, 6, 6, 4
EXPECTED = {"EQUIVALENT": "the networks are equal everywhere", "DIFFERENT": "the networks differ on",
            "EQUIVALENT ALMOST EVERYWHERE": "the networks are equal"}


@dataclass(frozen=True)
class Instance:
    """``network`` certified against ``reference`` on ``domain`` (a box, or a mixed domain when ``mixed``);
    ``truth`` is the plain Python definition on the network's input vector."""
    name: str
    seed: str
    construction: str
    network: Network
    reference: Network
    domain: object
    truth: Callable
    mixed: bool = False
    expect: str = "EQUIVALENT"
    token: Optional[int] = None     # a slice: only output ``token`` is the task's


@dataclass(frozen=True)
class Outcome:
    instance: Instance
    cases: int
    cells: int
    differing: int
    conclusion: str
    certified: bool
    counterexample: Optional[tuple[tuple, tuple, tuple]]
    certify_s: float
    check_s: float


def fixed_truth(z):
    """M1's definition on the input vector."""
    return mr.fixed_memory(z)


def adaptive_truth(z):
    """M3's definition on the input vector (one-hot controls and payloads)."""
    return mr.adaptive_memory(mr.controls_of(z), mr.payloads_of(z))


def instances() -> list[Instance]:
    """M1, M3, A3 (full at tau = 4; per output token at tau = 6) and the negative controls."""
    m1, m1_ref, cube = mr.fixed_memory_transformer(T_FIXED), mr.fixed_memory_reference(T_FIXED), box(T_FIXED, 0, 1)
    m3, m3_ref, mixed = (mr.adaptive_memory_transformer(T_ADAPTIVE), mr.adaptive_memory_reference(T_ADAPTIVE),
                         mr.adaptive_domain(T_ADAPTIVE))
    chosen = [Instance("m1-fixed-memory", "M1", "2 heads, query (2(i - k), -1), key (s, s^2), FFN f", m1, m1_ref,
                       cube, fixed_truth),
              Instance("m3-adaptive-memory", "M3", "1 head, query (2(i - c_i), -1), key (s, s^2)", m3, m3_ref, mixed,
                       adaptive_truth, True),
              Instance(f"a3-rank-two-tau{TAU_FULL}", "A3", f"m_h = 2 vs m_h = tau one-hot keys, tau = {TAU_FULL}",
                       mr.rank_two_retrieval(TAU_FULL), mr.one_hot_retrieval(TAU_FULL), box(TAU_FULL, 0, 1),
                       mr.nearest_retrieval, expect="EQUIVALENT ALMOST EVERYWHERE")]
    chosen += [Instance(f"a3-rank-two-tau{TAU}-token{t}", "A3", f"as above, tau = {TAU}, output token {t} slice",
                        mr.rank_two_retrieval(TAU, t), mr.one_hot_retrieval(TAU, t), box(TAU, 0, 1),
                        mr.nearest_retrieval, expect="EQUIVALENT ALMOST EVERYWHERE", token=t) for t in range(TAU)]
    chosen += [Instance("control-m1", "M1 (control)", "head k = 3: query constant -6 set to -4 (offset 2)",
                        mr.with_query_shift(m1, 1, -4), m1_ref, cube, fixed_truth, expect="DIFFERENT"),
               Instance("control-m3", "M3 (control)", "query weight of c = 3 set from -6 to -4",
                        mr.adaptive_memory_transformer(T_ADAPTIVE, (1, 2, 2)), m3_ref, mixed, adaptive_truth, True,
                        "DIFFERENT"),
               Instance(f"control-a3-rank-one-tau{TAU}-token0", "A3 (m_h = 1)", "query g(x_t), key s: one rank-1 "
                        "network", mr.rank_one_retrieval(TAU, 0), mr.one_hot_retrieval(TAU, 0), box(TAU, 0, 1),
                        mr.nearest_retrieval, expect="DIFFERENT", token=0)]
    return chosen


def fixed_points(rng: random.Random) -> list[tuple[Fraction, ...]]:
    """200 random points of [0, 1]^8 with denominator 100 and the two corners."""
    return [tuple(Fraction(rng.randint(0, 100), 100) for _ in range(T_FIXED)) for _ in range(200)] + \
        [(Fraction(0),) * T_FIXED, (Fraction(1),) * T_FIXED]


def adaptive_points() -> list[tuple[Fraction, ...]]:
    """Every control assignment with the distinct payloads ``v_t = (t + 1)/(T + 2)``."""
    v = [Fraction(t + 1, T_ADAPTIVE + 2) for t in range(T_ADAPTIVE)]
    return [mr.adaptive_input(c, v) for c in mr.all_controls(T_ADAPTIVE)]


def retrieval_points(rng: random.Random, tau: int) -> list[tuple[Fraction, ...]]:
    """300 random points of [0, 1]^tau with denominator 24 (so ``g`` often lands on a half-integer: a tie)."""
    return [tuple(Fraction(rng.randint(0, 24), 24) for _ in range(tau)) for _ in range(300)]


def oracle_wrong(net: Network, truth: Callable, points: list) -> int:
    """The number of ``points`` where ``net`` (exact evaluation) differs from the Python definition."""
    return sum(evaluate(net, z) != truth(z) for z in points)


def oracle(rng: random.Random) -> dict[str, tuple[int, int]]:
    """Wrong points / points, per network, against the plain definitions."""
    fixed, adaptive, ret, ret_full = (fixed_points(rng), adaptive_points(), retrieval_points(rng, TAU),
                                      retrieval_points(rng, TAU_FULL))
    nets = {"m1-fixed-memory": (mr.fixed_memory_transformer(T_FIXED), fixed_truth, fixed),
            "m1-reference (MLP)": (mr.fixed_memory_reference(T_FIXED), fixed_truth, fixed),
            "control-m1": (mr.with_query_shift(mr.fixed_memory_transformer(T_FIXED), 1, -4), fixed_truth, fixed),
            "m3-adaptive-memory": (mr.adaptive_memory_transformer(T_ADAPTIVE), adaptive_truth, adaptive),
            "m3-reference (MLP)": (mr.adaptive_memory_reference(T_ADAPTIVE), adaptive_truth, adaptive),
            "control-m3": (mr.adaptive_memory_transformer(T_ADAPTIVE, (1, 2, 2)), adaptive_truth, adaptive),
            f"a3 rank two, full tau = {TAU}": (mr.rank_two_retrieval(TAU), mr.nearest_retrieval, ret),
            f"a3 one-hot reference, full tau = {TAU}": (mr.one_hot_retrieval(TAU), mr.nearest_retrieval, ret),
            f"a3 rank two, full tau = {TAU_FULL}": (mr.rank_two_retrieval(TAU_FULL), mr.nearest_retrieval, ret_full),
            f"a3 one-hot reference, full tau = {TAU_FULL}": (mr.one_hot_retrieval(TAU_FULL), mr.nearest_retrieval,
                                                             ret_full),
            f"a3 rank one (m_h = 1), full tau = {TAU}": (mr.rank_one_retrieval(TAU), mr.nearest_retrieval, ret)}
    return {name: (oracle_wrong(net, truth, points), len(points)) for name, (net, truth, points) in nets.items()}


def certified(instance: Instance, folder: Path) -> Outcome:
    """Certify, write the certificate, re-check it from the file."""
    a, b, path = instance.network, instance.reference, folder / f"{instance.name}.json.gz"
    started = time.perf_counter()
    if instance.mixed:
        verdict = certify_mixed(a, b, instance.domain)
        certify_s = time.perf_counter() - started
        write_certificate(mixed_certificate(verdict, a, b, instance.domain), path)
        cases, cells, differing = len(verdict.cases), verdict.cells, verdict.differing_cases
    else:
        verdict = certify(a, b, instance.domain)
        certify_s = time.perf_counter() - started
        claim = different_claim if verdict.word == "DIFFERENT" else equivalence_claim
        write_certificate(certificate(verdict.refinement, claim(verdict.refinement)), path)
        cases, cells, differing = 1, len(verdict.refinement.cells), verdict.differing_cells
    conclusion, check_s = rechecked(path)
    ok = verdict.word == instance.expect and conclusion.startswith(EXPECTED[instance.expect]) and \
        (instance.expect != "EQUIVALENT ALMOST EVERYWHERE" or "almost everywhere" in conclusion)
    witness = None if verdict.counterexample is None else (verdict.counterexample.x, *verdict.counterexample.outputs)
    return Outcome(instance, cases, cells, differing, conclusion, ok, witness, certify_s, check_s)


def real_mismatch(outcome: Outcome) -> bool:
    """The counterexample's network output is not the definition's, and the reference's is (for a slice: at its
    output token)."""
    if outcome.counterexample is None:
        return False
    z, net_out, ref_out = outcome.counterexample
    truth, t = outcome.instance.truth(z), outcome.instance.token
    if t is not None:
        net_out, ref_out, truth = net_out[t], ref_out[t], truth[t]
    return net_out != truth and ref_out == truth


def full_network_error(outcome: Outcome) -> bool:
    """For the A3 slice control: the full (unsliced) m_h = 1 network is also wrong at the counterexample."""
    z = outcome.counterexample[0]
    return evaluate(mr.rank_one_retrieval(TAU), z) != mr.nearest_retrieval(z)


def passed(outcome: Outcome, wrong: dict[str, tuple[int, int]]) -> bool:
    """Certified as expected and oracle agreement; a control: a real error (M3: on as many cases as the oracle)."""
    i = outcome.instance
    clean = all(count == 0 for name, (count, _) in wrong.items() if "control" not in name and "rank one" not in name)
    if i.expect != "DIFFERENT":
        return outcome.certified and clean
    if i.name == "control-m3":
        return outcome.certified and real_mismatch(outcome) and wrong["control-m3"][0] == outcome.differing
    if i.name.startswith("control-a3"):
        return outcome.certified and real_mismatch(outcome) and full_network_error(outcome)
    return outcome.certified and real_mismatch(outcome) and wrong[i.name][0] > 0


def short_verdict(outcome: Outcome) -> str:
    """The table's verdict: the checker's conclusion, checked against the expected one."""
    if outcome.conclusion.startswith("NOT VERIFIED") or not outcome.certified:
        return f"UNEXPECTED: {outcome.conclusion}"
    if outcome.instance.expect == "DIFFERENT":
        unit = "cases" if outcome.instance.mixed else "cells"
        return f"VERIFIED DIFFERENT ({outcome.differing} of {outcome.cells if unit == 'cells' else outcome.cases} " \
               f"{unit})"
    return "VERIFIED " + outcome.instance.expect


def row(outcome: Outcome) -> tuple:
    """One line of the report's table."""
    i = outcome.instance
    return (i.seed, i.construction, i.network.tokens, mr.heads_of(i.network), i.network.width,
            " + ".join(map(str, mr.hidden_widths(i.network))) or "-", outcome.cases, outcome.cells,
            short_verdict(outcome), f"{outcome.certify_s:.2f}", f"{outcome.check_s:.2f}")


def text_of(z) -> str:
    """A vector of fractions as ``(a, b, ..)``."""
    return "(" + ", ".join(str(v) for v in z) + ")"


def oracle_text(wrong: dict[str, tuple[int, int]], outcomes: list[Outcome]) -> str:
    """The oracle and negative-control paragraphs of the report."""
    lines = ["Oracle (exact evaluation with `polyreg.semantics.evaluate`, compared with the plain Python definitions "
             "`fixed_memory`, `adaptive_memory`, `nearest_retrieval` of `memory_retrieval.py`; A3 points have "
             "denominator 24, so many sit exactly on a tie of two positions):", ""]
    lines += [f"- `{name}`: {count} of {total} points differ from the definition" for name, (count, total) in
              wrong.items()]
    lines += ["", "Negative controls:", ""]
    for o in outcomes:
        if o.instance.expect != "DIFFERENT" or o.counterexample is None:
            continue
        z, net_out, ref_out = o.counterexample
        lines.append(f"- `{o.instance.name}`: {short_verdict(o)}; counterexample input {text_of(z)}: network "
                     f"{text_of(net_out)}, reference {text_of(ref_out)}, definition {text_of(o.instance.truth(z))}"
                     + ("" if o.instance.token is None else f" (a slice: only output {o.instance.token} is the task's)")
                     + f"; {'a real error' if real_mismatch(o) else 'NOT a real error'}.")
        if o.instance.name.startswith("control-a3"):
            lines.append(f"  The full m_h = 1 network (all tokens) at that input gives "
                         f"{text_of(evaluate(mr.rank_one_retrieval(TAU), z))}, the definition "
                         f"{text_of(mr.nearest_retrieval(z))}.")
    return "\n".join(lines)


def write_networks(folder: Path, chosen: list[Instance]) -> None:
    """Every network, its reference and the M3 domain as JSON files in ``folder``."""
    for i in chosen:
        save_network(i.network, folder / f"{i.name}.json")
        save_network(i.reference, folder / f"{i.name}-reference.json")
    (folder / "m3-domain.json").write_text(json.dumps(mr.adaptive_domain_json(T_ADAPTIVE)) + "\n")


def main() -> int:
    started = time.perf_counter()
    folder = HERE / "build"
    folder.mkdir(exist_ok=True)
    chosen = instances()
    write_networks(folder, chosen)
    wrong = oracle(random.Random(8))
    progress("oracle: " + ", ".join(f"{name} {count}/{total}" for name, (count, total) in wrong.items()))
    outcomes = []
    for i in chosen:
        outcomes.append(certified(i, folder))
        progress(f"{i.name}: {outcomes[-1].conclusion} ({outcomes[-1].certify_s:.2f} s + check "
                 f"{outcomes[-1].check_s:.2f} s)")
    header = ("seed", "construction", "tokens", "heads", "width", "FFN width", "cases", "cells", "verdict (checker)",
              "certify s", "check s")
    intro = (f"M1: all x in [0, 1]^{T_FIXED} (box). M3: 3^{T_ADAPTIVE} = {3 ** T_ADAPTIVE} control assignments times "
             f"payloads in [0, 1]^{T_ADAPTIVE} (mixed domain). A3: all x in [0, 1]^{TAU_FULL} for the whole network, "
             f"and all x in [0, 1]^{TAU} for each output token's slice (see README.md). Each transformer is certified "
             "against a reference built another way (M1, M3: ReLU networks without attention; A3: a transformer with "
             "one-hot positional keys, since the target jumps at ties and no ReLU network can equal it); the "
             "certificates (`build/*.json.gz`) are re-checked from the files by the standalone checker. Hard-max "
             "attention, ties averaged, exact rational arithmetic.\n\n" + oracle_text(wrong, outcomes))
    return finish(HERE, "Claim 8: fixed and adaptive memory, nearest-position retrieval (rank matters)", intro,
                  header, [row(o) for o in outcomes], sum(passed(o, wrong) for o in outcomes), started,
                  claim="Fixed and adaptive sparse memory; nearest-position retrieval needs rank 2",
                  paper="Wang & E 2024 (seeds.md M1, M3); Jiang & Li 2024 (seeds.md A3)",
                  instances=f"M1 T = {T_FIXED} on [0,1]^{T_FIXED}; M3 T = {T_ADAPTIVE}, {3 ** T_ADAPTIVE} control "
                            f"cases x [0,1]^{T_ADAPTIVE}; A3 tau = {TAU_FULL} whole, tau = {TAU} per token; "
                            "3 negative controls",
                  cells=sum(o.cells for o in outcomes), report="08-memory-retrieval/build/report.md")


if __name__ == "__main__":
    sys.exit(main())
