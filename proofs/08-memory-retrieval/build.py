"""Claim 8: fixed and adaptive memory (Wang & E), nearest-position retrieval, "rank matters", and nearest point to a
set (Jiang & Li), by hard-max transformers.

The transformers of seeds.md M1, M3, A3 and A1 and reference networks built another way (memory_retrieval.py) are
written to build/ as JSON. Each is first compared with the plain Python definition by exact evaluation (the
independent oracle); then each transformer is certified against its reference (M1 and A3 on a box with
polyreg.analysis.equivalence.certify, M3 and A1 on mixed domains with polyreg.analysis.cases.certify_mixed), the certificate is written and
re-checked from the file by the standalone checker. Negative controls: a one-weight change of M1, of M3 and of A1, and
an m_h = 1 network for A3; each is certified DIFFERENT and its counterexample is a real error against the definition.
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

import memory_retrieval as mr  # noqa: E402
from common import finish, progress, rechecked  # noqa: E402

from polyreg import box, evaluate  # noqa: E402
from polyreg.analysis.cases import certify_mixed  # noqa: E402
from polyreg.analysis.equivalence import certify  # noqa: E402
from polyreg.certificates.claims import Different, Equivalent  # noqa: E402
from polyreg.certificates.write import certificate, mixed_certificate, write_certificate  # noqa: E402
from polyreg.formats.json_files import save_network  # noqa: E402
from polyreg.geometry.domains import MixedDomain  # noqa: E402
from polyreg.network.ir import Network  # noqa: E402



@dataclass(frozen=True)
class Sizes:
    """M1's and M3's T; A3's tau (by output tokens) and tau_full (whole); A1's (tau, grid side) pairs, side^(2 tau)
    discrete cases each, the first whole (and its control), the others by output tokens."""
    fixed: int = 8
    adaptive: int = 6
    tau: int = 6
    tau_full: int = 4
    a1: tuple[tuple[int, int], ...] = ((2, 5), (4, 2))


SIZES = Sizes()
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
    split: bool = False             # certified part by part (output tokens), polyreg certify --split-outputs


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


def nearest_truth(side: int) -> Callable:
    """A1's definition on the input vector (points ``u_t`` and one-hot points ``v_t`` of the grid of ``side``)."""
    return lambda z: mr.nearest_truth(z, side)


def instances(s: Sizes = SIZES) -> list[Instance]:
    """M1, M3, A3 (tau = 4 whole; tau = 6 by output tokens), A1 and the negative controls."""
    m1, m1_ref, cube = mr.fixed_memory_transformer(s.fixed), mr.fixed_memory_reference(s.fixed), box(s.fixed, 0, 1)
    m3, m3_ref, mixed = (mr.adaptive_memory_transformer(s.adaptive), mr.adaptive_memory_reference(s.adaptive),
                         mr.adaptive_domain(s.adaptive))
    chosen = [Instance("m1-fixed-memory", "M1", "2 heads, query (2(i - k), -1), key (s, s^2), FFN f", m1, m1_ref,
                       cube, fixed_truth),
              Instance("m3-adaptive-memory", "M3", "1 head, query (2(i - c_i), -1), key (s, s^2)", m3, m3_ref, mixed,
                       adaptive_truth, True),
              Instance(f"a3-rank-two-tau{s.tau_full}", "A3", f"m_h = 2 vs m_h = tau one-hot keys, tau = {s.tau_full}",
                       mr.rank_two_retrieval(s.tau_full), mr.one_hot_retrieval(s.tau_full), box(s.tau_full, 0, 1),
                       mr.nearest_retrieval, expect="EQUIVALENT ALMOST EVERYWHERE")]
    chosen += [Instance(f"a3-rank-two-tau{s.tau}", "A3", f"as above, tau = {s.tau}, by output tokens",
                        mr.rank_two_retrieval(s.tau), mr.one_hot_retrieval(s.tau), box(s.tau, 0, 1),
                        mr.nearest_retrieval, expect="EQUIVALENT ALMOST EVERYWHERE", split=True)]
    chosen += [Instance(f"a1-nearest-point-tau{tau}-grid{side}", "A1", f"m_h = 3 vs m_h = {side ** 2} one-hot keys, "
                        f"tau = {tau}, {side}x{side} grid" + (", by output tokens" if k else ""),
                        mr.nearest_point_transformer(tau, side), mr.nearest_point_reference(tau, side),
                        mr.nearest_domain(tau, side), nearest_truth(side), True, "EQUIVALENT ALMOST EVERYWHERE",
                        split=k > 0) for k, (tau, side) in enumerate(s.a1)]
    chosen += [Instance("control-m1", "M1 (control)", "head k = 3: query constant -6 set to -4 (offset 2)",
                        mr.with_query_shift(m1, 1, -4), m1_ref, cube, fixed_truth, expect="DIFFERENT"),
               Instance("control-m3", "M3 (control)", "query weight of c = 3 set from -6 to -4",
                        mr.adaptive_memory_transformer(s.adaptive, (1, 2, 2)), m3_ref, mixed, adaptive_truth, True,
                        "DIFFERENT"),
               Instance(f"control-a3-rank-one-tau{s.tau}", "A3 (m_h = 1)", "query g(x_t), key s: one rank-1 "
                        "network, by output tokens", mr.rank_one_retrieval(s.tau), mr.one_hot_retrieval(s.tau),
                        box(s.tau, 0, 1), mr.nearest_retrieval, expect="DIFFERENT", split=True),
               Instance("control-a1", "A1 (control)", "token 0's lookup of the squared norm of (1, 2) set from 5 to 6",
                        mr.nearest_point_control(*s.a1[0]), mr.nearest_point_reference(*s.a1[0]),
                        mr.nearest_domain(*s.a1[0]), nearest_truth(s.a1[0][1]), True, "DIFFERENT")]
    return chosen


def fixed_points(rng: random.Random, t: int) -> list[tuple[Fraction, ...]]:
    """200 random points of [0, 1]^t with denominator 100 and the two corners."""
    return [tuple(Fraction(rng.randint(0, 100), 100) for _ in range(t)) for _ in range(200)] + \
        [(Fraction(0),) * t, (Fraction(1),) * t]


def adaptive_points(T: int) -> list[tuple[Fraction, ...]]:
    """Every control assignment with the distinct payloads ``v_t = (t + 1)/(T + 2)``."""
    v = [Fraction(t + 1, T + 2) for t in range(T)]
    return [mr.adaptive_input(c, v) for c in mr.all_controls(T)]


def retrieval_points(rng: random.Random, tau: int) -> list[tuple[Fraction, ...]]:
    """300 random points of [0, 1]^tau with denominator 24 (so ``g`` often lands on a half-integer: a tie)."""
    return [tuple(Fraction(rng.randint(0, 24), 24) for _ in range(tau)) for _ in range(300)]


def nearest_points(rng: random.Random, count: int, tau: int, side: int) -> list[tuple[Fraction, ...]]:
    """``count`` random A1 inputs with ``u`` of denominator 4 (so often on a tie), then ``count`` tie points: random
    stored points ``v`` with ``u_t`` the midpoint of ``v_t`` and ``v_{t+1}`` (indices mod tau), on the boundary of
    the two points' Voronoi cells unless a third stored point is nearer."""
    def stored() -> list[tuple[int, int]]:
        return [(rng.randrange(side), rng.randrange(side)) for _ in range(tau)]
    points = []
    for _ in range(count):
        u = [(Fraction(rng.randint(0, 4 * side - 4), 4), Fraction(rng.randint(0, 4 * side - 4), 4))
             for _ in range(tau)]
        points.append(mr.nearest_input(u, stored(), side))
    for _ in range(count):
        v = stored()
        u = [tuple(Fraction(a + b, 2) for a, b in zip(v[t], v[(t + 1) % tau])) for t in range(tau)]
        points.append(mr.nearest_input(u, v, side))
    return points


def oracle_wrong(net: Network, truth: Callable, points: list) -> int:
    """The number of ``points`` where ``net`` (exact evaluation) differs from the Python definition."""
    return sum(evaluate(net, z) != truth(z) for z in points)


def oracle(rng: random.Random, s: Sizes = SIZES) -> dict[str, tuple[int, int]]:
    """Wrong points / points, per network, against the plain definitions."""
    fixed, adaptive, ret, ret_full = (fixed_points(rng, s.fixed), adaptive_points(s.adaptive), retrieval_points(rng, s.tau),
                                      retrieval_points(rng, s.tau_full))
    near = {size: nearest_points(rng, 150, *size) for size in s.a1}
    nets = {"m1-fixed-memory": (mr.fixed_memory_transformer(s.fixed), fixed_truth, fixed),
            "m1-reference (MLP)": (mr.fixed_memory_reference(s.fixed), fixed_truth, fixed),
            "control-m1": (mr.with_query_shift(mr.fixed_memory_transformer(s.fixed), 1, -4), fixed_truth, fixed),
            "m3-adaptive-memory": (mr.adaptive_memory_transformer(s.adaptive), adaptive_truth, adaptive),
            "m3-reference (MLP)": (mr.adaptive_memory_reference(s.adaptive), adaptive_truth, adaptive),
            "control-m3": (mr.adaptive_memory_transformer(s.adaptive, (1, 2, 2)), adaptive_truth, adaptive),
            f"a3 rank two, full tau = {s.tau}": (mr.rank_two_retrieval(s.tau), mr.nearest_retrieval, ret),
            f"a3 one-hot reference, full tau = {s.tau}": (mr.one_hot_retrieval(s.tau), mr.nearest_retrieval, ret),
            f"a3 rank two, full tau = {s.tau_full}": (mr.rank_two_retrieval(s.tau_full), mr.nearest_retrieval, ret_full),
            f"a3 one-hot reference, full tau = {s.tau_full}": (mr.one_hot_retrieval(s.tau_full), mr.nearest_retrieval,
                                                             ret_full),
            f"a3 rank one (m_h = 1), full tau = {s.tau}": (mr.rank_one_retrieval(s.tau), mr.nearest_retrieval, ret),
            "control-a1": (mr.nearest_point_control(*s.a1[0]), nearest_truth(s.a1[0][1]), near[s.a1[0]])}
    for tau, side in s.a1:
        name = f"a1-nearest-point-tau{tau}-grid{side}"
        nets[name] = (mr.nearest_point_transformer(tau, side), nearest_truth(side), near[tau, side])
        nets[f"{name}-reference (one-hot keys)"] = (mr.nearest_point_reference(tau, side), nearest_truth(side),
                                                    near[tau, side])
    return {name: (oracle_wrong(net, truth, points), len(points)) for name, (net, truth, points) in nets.items()}


def certified(instance: Instance, folder: Path) -> Outcome:
    """Certify, write the certificate, re-check it from the file."""
    a, b, path = instance.network, instance.reference, folder / f"{instance.name}.json.gz"
    started = time.perf_counter()
    if instance.mixed or instance.split:
        domain = instance.domain if instance.mixed else MixedDomain(a.input_dim, (), tuple(range(a.input_dim)),
                                                                    instance.domain)
        verdict = certify_mixed(a, b, domain, split_outputs=instance.split)
        certify_s = time.perf_counter() - started
        write_certificate(mixed_certificate(verdict, a, b, domain), path)
        cases, cells, differing = len(verdict.cases), verdict.cells, verdict.differing_cases
    else:
        verdict = certify(a, b, instance.domain)
        certify_s = time.perf_counter() - started
        claim = Different.of if verdict.word == "DIFFERENT" else Equivalent.of
        write_certificate(certificate(verdict.refinement, claim(verdict.refinement)), path)
        cases, cells, differing = 1, len(verdict.refinement.cells), verdict.differing_cells
    conclusion, check_s = rechecked(path)
    ok = verdict.word == instance.expect and conclusion.startswith(EXPECTED[instance.expect]) and \
        (instance.expect != "EQUIVALENT ALMOST EVERYWHERE" or "almost everywhere" in conclusion)
    witness = None if verdict.counterexample is None else (verdict.counterexample.x, *verdict.counterexample.outputs)
    return Outcome(instance, cases, cells, differing, conclusion, ok, witness, certify_s, check_s)


def real_mismatch(outcome: Outcome) -> bool:
    """The counterexample's network output is not the definition's, and the reference's is."""
    if outcome.counterexample is None:
        return False
    z, net_out, ref_out = outcome.counterexample
    truth = outcome.instance.truth(z)
    return net_out != truth and ref_out == truth


def a1_control_cases(s: Sizes = SIZES) -> int:
    """The cases where A1's control differs from the task: ``v_0 = (1, 2)`` and no other stored point is ``(1, 2)``
    (then the bisector between ``v_0`` and a neighbouring stored point moves; with a second copy of ``(1, 2)`` that
    copy wins where ``v_0`` should, with the same value), ``(side^2 - 1)^(tau - 1)`` of them."""
    tau, side = s.a1[0]
    return (side ** 2 - 1) ** (tau - 1)


def passed(outcome: Outcome, wrong: dict[str, tuple[int, int]], s: Sizes = SIZES) -> bool:
    """Certified as expected and oracle agreement; a control: a real error (M3: on as many cases as the oracle; A1:
    on the predicted cases)."""
    i = outcome.instance
    clean = all(count == 0 for name, (count, _) in wrong.items() if "control" not in name and "rank one" not in name)
    if i.expect != "DIFFERENT":
        return outcome.certified and clean
    if i.name == "control-m3":
        return outcome.certified and real_mismatch(outcome) and wrong["control-m3"][0] == outcome.differing
    if i.name == "control-a1":
        return outcome.certified and real_mismatch(outcome) and wrong[i.name][0] > 0 and \
            outcome.differing == a1_control_cases(s)
    if i.name.startswith("control-a3"):
        return outcome.certified and real_mismatch(outcome) and wrong[f"a3 rank one (m_h = 1), full tau = {s.tau}"][0] > 0
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


def nearest_text(z, side: int) -> str:
    """An A1 input as points: the query points ``u_t``, the stored points ``v_s`` and every squared distance."""
    u, v = mr.nearest_parts(z, side)
    distances = "; ".join(f"u_{t} to " + ", ".join(f"{text_of(vs)}: {sum((a - b) ** 2 for a, b in zip(ut, vs))}"
                                                   for vs in v) for t, ut in enumerate(u))
    return (f"As points: u = {text_of(map(text_of, u))}, stored v = {text_of(map(text_of, v))}; squared distances "
            f"{distances}.")


def oracle_text(wrong: dict[str, tuple[int, int]], outcomes: list[Outcome], side: int) -> str:
    """The oracle and negative-control paragraphs of the report."""
    lines = ["Oracle (exact evaluation with `polyreg.network.semantics.evaluate`, compared with the plain Python definitions "
             "`fixed_memory`, `adaptive_memory`, `nearest_retrieval`, `nearest_point` of `memory_retrieval.py`; A3 "
             "points have denominator 24, so many sit exactly on a tie of two positions; of the A1 points half have "
             "denominator 4 and half put every `u_t` at the midpoint of two stored points, a tie unless a third "
             "stored point is nearer):", ""]
    lines += [f"- `{name}`: {count} of {total} points differ from the definition" for name, (count, total) in
              wrong.items()]
    lines += ["", "Negative controls:", ""]
    for o in outcomes:
        if o.instance.expect != "DIFFERENT" or o.counterexample is None:
            continue
        z, net_out, ref_out = o.counterexample
        lines.append(f"- `{o.instance.name}`: {short_verdict(o)}; counterexample input {text_of(z)}: network "
                     f"{text_of(net_out)}, reference {text_of(ref_out)}, definition {text_of(o.instance.truth(z))}"
                     + f"; {'a real error' if real_mismatch(o) else 'NOT a real error'}.")
        if o.instance.name == "control-a1":
            lines.append("  " + nearest_text(z, side))
    return "\n".join(lines)


def write_networks(folder: Path, chosen: list[Instance], s: Sizes) -> None:
    """Every network, its reference and the M3 and A1 domains as JSON files in ``folder``."""
    for i in chosen:
        save_network(i.network, folder / f"{i.name}.json")
        save_network(i.reference, folder / f"{i.name}-reference.json")
    (folder / "m3-domain.json").write_text(json.dumps(mr.adaptive_domain_json(s.adaptive)) + "\n")
    for tau, side in s.a1:
        (folder / f"a1-domain-tau{tau}-grid{side}.json").write_text(json.dumps(mr.nearest_domain_json(tau, side))
                                                                     + "\n")


def build(s: Sizes = SIZES, folder: Path = HERE / "build") -> int:
    """Every instance and control of ``s``: networks, oracle, certificates re-checked, report and summary in
    ``folder``; 0 when all passed."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    chosen = instances(s)
    write_networks(folder, chosen, s)
    wrong = oracle(random.Random(8), s)
    progress("oracle: " + ", ".join(f"{name} {count}/{total}" for name, (count, total) in wrong.items()))
    outcomes = []
    for i in chosen:
        outcomes.append(certified(i, folder))
        progress(f"{i.name}: {outcomes[-1].conclusion} ({outcomes[-1].certify_s:.2f} s + check "
                 f"{outcomes[-1].check_s:.2f} s)")
    header = ("seed", "construction", "tokens", "heads", "width", "FFN width", "cases", "cells", "verdict (checker)",
              "certify s", "check s")
    intro = (f"M1: all x in [0, 1]^{s.fixed} (box). M3: 3^{s.adaptive} = {3 ** s.adaptive} control assignments times "
             f"payloads in [0, 1]^{s.adaptive} (mixed domain). A3: all x in [0, 1]^{s.tau_full} and all x in "
             f"[0, 1]^{s.tau}, the latter by output tokens (`--split-outputs`: each part decides only the units its "
             "output can reach, found by the checker from the weights). A1: "
             + "; ".join(f"tau = {tau} tokens, each stored point v_t one of the {side ** 2} points of the grid "
                         f"{{0 .. {side - 1}}}^2 (one-hot symbol; {side ** (2 * tau)} cases), each query point u_t "
                         f"in [0, {side - 1}]^2" for tau, side in s.a1) +
             " (mixed domains; the second by output tokens). Each transformer is certified against a reference "
             "built another way (M1, M3: ReLU networks without attention; A3, A1: transformers with one-hot keys, "
             "since the targets jump at ties and no ReLU network can equal them); the certificates "
             "(`build/*.json.gz`) are re-checked from the files by the standalone checker. Hard-max "
             "attention, ties averaged, exact rational arithmetic.\n\n" + oracle_text(wrong, outcomes, s.a1[0][1]))
    return finish(folder.parent, "Claim 8: fixed and adaptive memory, nearest-position retrieval (rank matters)", intro,
                  header, [row(o) for o in outcomes], sum(passed(o, wrong, s) for o in outcomes), started,
                  claim="Fixed and adaptive sparse memory; nearest-position retrieval by a rank-2 head; nearest "
                        "point to a set with m_h = d + 1",
                  paper="Wang & E 2024 (seeds.md M1, M3); Jiang & Li 2024 (seeds.md A3, A1)",
                  instances=f"M1 T = {s.fixed} on [0,1]^{s.fixed}; M3 T = {s.adaptive}, {3 ** s.adaptive} control "
                            f"cases x [0,1]^{s.adaptive}; A3 tau = {s.tau_full} and {s.tau} on [0,1]^tau; A1 "
                            + ", ".join(f"tau = {tau} on a {side}x{side} grid ({side ** (2 * tau)} cases)"
                                        for tau, side in s.a1) + "; 4 negative controls",
                  cells=sum(o.cells for o in outcomes), report="08-memory-retrieval/build/report.md")


def main() -> int:
    return build()


if __name__ == "__main__":
    sys.exit(main())
