"""Claim 7: Match2 and Match3 on all of Z_5^4, Z_11^4 and Z_5^7 are computed exactly by small hard-max transformers.

The transformers of seeds.md B3a, B3b (Match2) and B4 (Match3) and reference ReLU networks without attention are
built (match.py) and written to build/ as JSON. Every one of them is first compared with the plain Python definition
by exact evaluation on every input (the independent oracle); then each transformer is certified equal to its
reference over the pure-discrete mixed domain (N one-hot groups of M coordinates), the certificate is written and
re-checked from the file by the standalone checker. Two negative controls: a one-weight change of the B3a
transformer, and B3b with the readout gap of the earlier size table (2/5) on Z_5^7; each is certified DIFFERENT, and
its counterexample is a real error against the Python definition. Writes build/report.md and build/summary.json.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Optional, Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import match  # noqa: E402
from common import finish, progress, rechecked  # noqa: E402

from polyreg import evaluate  # noqa: E402
from polyreg.analysis.cases import certify_mixed  # noqa: E402
from polyreg.certificates.write import mixed_certificate, write_certificate  # noqa: E402
from polyreg.formats.json_files import save_network  # noqa: E402
from polyreg.network.ir import Mlp, Network, Transformer  # noqa: E402

Function = Callable[[Sequence[int], int], tuple[int, ...]]
SIZES = ((4, 5), (4, 11))      # (N, M): B3a, B3b and B4 on Z_M^N
WIDE = (7, 5)                  # B3b alone, and with the earlier gap (the control)
EARLIER_GAP = Fraction(2, 5)   # the earlier size table's gap for N = 7 (2/3 for N of 3 or 4 and M of 5 or 6)


@dataclass(frozen=True)
class Instance:
    """A transformer for ``task`` certified against a reference network; ``expect`` is the verdict it must get."""
    name: str
    task: str
    construction: str
    transformer: Transformer
    reference: Mlp
    function: Function
    tokens: int                 # N
    symbols: int                # M
    expect: str = "EQUIVALENT"

    @property
    def size(self) -> str:
        return f"Z_{self.symbols}^{self.tokens}"


@dataclass(frozen=True)
class Outcome:
    instance: Instance
    cases: int
    cells: int
    differing_cases: int
    conclusion: str             # the checker's, or NOT VERIFIED: reason
    certified: bool             # the checker verified the expected claim
    counterexample: Optional[tuple[tuple[int, ...], tuple, tuple]]   # symbols, transformer and reference outputs
    certify_s: float
    check_s: float


def instances(sizes: Sequence[tuple[int, int]] = SIZES, wide: tuple[int, int] = WIDE,
              earlier: Fraction = EARLIER_GAP) -> list[Instance]:
    """B3a and B3b against the Match2 reference and B4 against the Match3 reference on each of ``sizes``, B3b on
    ``wide`` (Z_5^7 holds the inputs where the earlier gap fails), and the two negative controls: B3a with one
    weight changed on the first size, B3b with the ``earlier`` gap on ``wide``."""
    chosen = []
    for N, M in sizes:
        ref2, ref3 = match.match2_reference(N, M), match.match3_reference(N, M)
        suffix = f"-n{N}-m{M}"
        chosen += [Instance("match2-one-hot" + suffix, "Match2", "B3a one-hot, m = M", match.match2_one_hot(N, M),
                            ref2, match.match2, N, M),
                   Instance("match2-parabola" + suffix, "Match2", "B3b parabola, m_key = 2, g = 2/N",
                            match.match2_parabola(N, M), ref2, match.match2, N, M),
                   Instance("match3-uniform" + suffix, "Match3", "B4 uniform attention + FFN", match.match3_uniform(N, M),
                            ref3, match.match3, N, M)]
    (N, M), (n, m) = wide, sizes[0]
    ref2 = match.match2_reference(N, M)
    return chosen + [
        Instance(f"match2-parabola-n{N}-m{M}", "Match2", "B3b parabola, m_key = 2, g = 2/N",
                 match.match2_parabola(N, M), ref2, match.match2, N, M),
        Instance(f"control-match2-one-hot-n{n}-m{m}", "Match2 (control)", "B3a, score bias (0, 1) set to -1",
                 match.with_score_bias(match.match2_one_hot(n, m), 0, 1, -1), match.match2_reference(n, m),
                 match.match2, n, m, "DIFFERENT"),
        Instance(f"control-match2-parabola-n{N}-m{M}", "Match2 (control)", f"B3b with the earlier gap g = {earlier}",
                 match.match2_parabola(N, M, earlier), ref2, match.match2, N, M, "DIFFERENT")]


def oracle_mismatches(net: Network, function: Function, N: int, M: int) -> int:
    """The number of inputs of Z_M^N where ``net`` (exact evaluation) differs from the Python ``function``, counted
    on all cores in slices of the inputs."""
    inputs = match.all_symbols(N, M)
    slices = [(net, function, M, inputs[k:k + 2000]) for k in range(0, len(inputs), 2000)]
    with multiprocessing.Pool() as pool:
        return sum(pool.map(mismatches_in, slices))


def mismatches_in(job: tuple[Network, Function, int, list[tuple[int, ...]]]) -> int:
    net, function, M, inputs = job
    return sum(evaluate(net, match.one_hot(xs, M)) != function(xs, M) for xs in inputs)


def certified(instance: Instance, folder: Path) -> Outcome:
    """Certify the transformer against the reference over Z_M^N, write the certificate, re-check it from the file."""
    N, M = instance.tokens, instance.symbols
    domain = match.mixed_domain(N, M)
    started = time.perf_counter()
    verdict = certify_mixed(instance.transformer, instance.reference, domain, jobs=os.cpu_count() or 1)
    certify_s = time.perf_counter() - started
    path = folder / f"{instance.name}.json.gz"
    write_certificate(mixed_certificate(verdict, instance.transformer, instance.reference, domain), path)
    conclusion, check_s = rechecked(path)
    expected = "the networks are equal everywhere" if instance.expect == "EQUIVALENT" else "the networks differ on"
    witness = None
    if verdict.counterexample is not None:
        witness = (match.symbols(verdict.counterexample.x, M), *verdict.counterexample.outputs)
    return Outcome(instance, len(verdict.cases), verdict.cells, verdict.differing_cases, conclusion,
                   verdict.word == instance.expect and conclusion.startswith(expected), witness,
                   certify_s, check_s)


def real_mismatch(outcome: Outcome) -> bool:
    """The counterexample's transformer output is not Match(X), and the reference's is."""
    if outcome.counterexample is None:
        return False
    xs, transformer_out, reference_out = outcome.counterexample
    truth = tuple(outcome.instance.function(xs, outcome.instance.symbols))
    return transformer_out != truth and reference_out == truth


def passed(outcome: Outcome, mismatches: dict[str, int]) -> bool:
    """Certified as expected, both networks agree with the oracle (the control's transformer must not)."""
    i = outcome.instance
    if i.expect == "DIFFERENT":
        return outcome.certified and real_mismatch(outcome) and mismatches[i.name] == outcome.differing_cases
    return outcome.certified and mismatches[i.name] == 0 and mismatches[reference_name(i)] == 0


def reference_name(instance: Instance) -> str:
    return f"{instance.task.split()[0].lower()}-reference-n{instance.tokens}-m{instance.symbols}"


def short_verdict(outcome: Outcome) -> str:
    if outcome.conclusion.startswith("NOT VERIFIED"):
        return outcome.conclusion
    if outcome.instance.expect == "EQUIVALENT":
        return "VERIFIED EQUIVALENT" if outcome.certified else f"UNEXPECTED: {outcome.conclusion}"
    return f"VERIFIED DIFFERENT ({outcome.differing_cases} of {outcome.cases})" if outcome.certified else \
        f"UNEXPECTED: {outcome.conclusion}"


def row(outcome: Outcome) -> tuple:
    t = outcome.instance.transformer
    heads = sum(len(b.attention.heads) for b in t.blocks if b.attention is not None)
    return (outcome.instance.task, outcome.instance.construction, outcome.instance.size, heads, t.width,
            " + ".join(map(str, match.hidden_widths(t))), outcome.cases, short_verdict(outcome),
            f"{outcome.certify_s:.2f}", f"{outcome.check_s:.2f}")


def oracle_text(mismatches: dict[str, int], sizes: dict[str, int], controls: list[Outcome]) -> str:
    """The oracle paragraph of the report: mismatches per network and the controls' counterexamples."""
    lines = ["Oracle (exact evaluation with `polyreg.network.semantics.evaluate` on every input, compared with the "
             "plain Python `match2` / `match3` of `match.py`):", ""]
    lines += [f"- `{name}`: {count} of {sizes[name]} inputs differ from the definition"
              for name, count in mismatches.items()]
    for control in controls:
        if control.counterexample is None:
            lines += ["", f"Negative control `{control.instance.name}`: no counterexample (FAILED)."]
            continue
        xs, t_out, r_out = control.counterexample
        truth = match.match2(xs, control.instance.symbols)
        lines += ["", f"Negative control `{control.instance.name}` ({control.instance.construction}): the checker "
                  f"verified that the networks differ on {control.differing_cases} of {control.cases} inputs (the "
                  f"oracle counts {mismatches[control.instance.name]} wrong inputs of the changed transformer). "
                  f"Counterexample X = {xs}: transformer ({', '.join(str(v) for v in t_out)}), reference "
                  f"{tuple(int(v) for v in r_out)}, Match2(X) = {truth}; "
                  f"{'a real error' if real_mismatch(control) else 'NOT a real error'} of the transformer."]
    return "\n".join(lines)


def gap_text() -> str:
    """The readout gap of B3b against the least no-match distance, from the definition, on small sizes."""
    rows = []
    for N, M in ((3, 5), (4, 5), (5, 5), (4, 7), (5, 7), (7, 5)):
        least = match.least_no_match_distance(N, M)
        rows.append(f"Z_{M}^{N}: {least}" + (" (= 2/N)" if least == Fraction(2, N) else ""))
    return ("B3b's readout gap is g = 2/N for every N and M (README, \"The readout gap\": without a match the "
            "distance D is at least 2/N). The least no-match D, from the definition over every input and token: "
            + "; ".join(rows) + ".")


def write_networks(folder: Path, chosen: list[Instance]) -> dict[str, tuple[Mlp, Instance]]:
    """The transformers, the references and the domains as JSON files in ``folder``; the references by name."""
    references = {reference_name(i): (i.reference, i) for i in chosen}
    for i in chosen:
        save_network(i.transformer, folder / f"{i.name}.json")
    for name, (net, _) in references.items():
        save_network(net, folder / f"{name}.json")
    for N, M in {(i.tokens, i.symbols) for i in chosen}:
        (folder / f"domain-n{N}-m{M}.json").write_text(json.dumps(match.mixed_domain_json(N, M)) + "\n")
    return references


def main() -> int:
    started = time.perf_counter()
    folder = HERE / "build"
    folder.mkdir(exist_ok=True)
    chosen = instances()
    references = write_networks(folder, chosen)
    mismatches = {i.name: oracle_mismatches(i.transformer, i.function, i.tokens, i.symbols) for i in chosen}
    mismatches |= {name: oracle_mismatches(net, i.function, i.tokens, i.symbols)
                   for name, (net, i) in references.items()}
    sizes = {i.name: i.symbols ** i.tokens for i in chosen} | \
        {name: i.symbols ** i.tokens for name, (_, i) in references.items()}
    progress("oracle: " + ", ".join(f"{name} {count}" for name, count in mismatches.items()))
    outcomes = []
    for i in chosen:
        outcomes.append(certified(i, folder))
        progress(f"{i.name}: {outcomes[-1].conclusion} ({outcomes[-1].certify_s:.2f} s + check "
                 f"{outcomes[-1].check_s:.2f} s)")
    header = ("task", "construction", "inputs", "heads", "width", "FFN width", "cases", "verdict (checker)",
              "certify s", "check s")
    controls = [o for o in outcomes if o.instance.expect == "DIFFERENT"]
    intro = ("Every input X of Z_M^N (one-hot encoded: N discrete groups of M coordinates, no continuous "
             "coordinates; the inputs column names the set). Each transformer is certified equal to a reference ReLU "
             "network without attention by `polyreg.analysis.cases.certify_mixed`; the certificates "
             "(`build/*.json.gz`) are re-checked from the files by the standalone checker (`polyreg_check`). "
             "Hard-max attention, ties averaged, exact rational arithmetic. FFN width lists the hidden width of each "
             "feed-forward layer.\n\n" + gap_text() + "\n\n" + oracle_text(mismatches, sizes, controls))
    cases = sum(o.cases for o in outcomes if o.instance.expect == "EQUIVALENT")
    return finish(HERE, "Claim 7: Match2 and Match3 by hard-max transformers on Z_5^4, Z_11^4 and Z_5^7", intro,
                  header, [row(o) for o in outcomes], sum(passed(o, mismatches) for o in outcomes), started,
                  claim="Match2 and Match3 by hard-max transformers on all of Z_5^4 and Z_11^4 (B3a, B3b, B4) and "
                        "Z_5^7 (B3b)",
                  paper="Sanford-Hsu-Telgarsky 2023, Match2 / Match3 (seeds.md B3, B4)",
                  instances=f"7 certificates, {cases} cases in all: B3a, B3b, B4 on Z_5^4 and Z_11^4, B3b on Z_5^7; "
                            "2 negative controls",
                  cells=sum(o.cells for o in outcomes), report="07-match/build/report.md")


if __name__ == "__main__":
    sys.exit(main())
