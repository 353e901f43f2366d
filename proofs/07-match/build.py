"""Claim 7: Match2 and Match3 on all of Z_5^4 are computed exactly by small hard-max transformers.

The transformers of seeds.md B3a, B3b (Match2) and B4 (Match3) and reference ReLU networks without attention are
built (match.py) and written to build/ as JSON. Every one of them is first compared with the plain Python definition
by exact evaluation on all 625 inputs (the independent oracle); then each transformer is certified equal to its
reference over the pure-discrete mixed domain (4 one-hot groups of 5 coordinates), the certificate is written and
re-checked from the file by the standalone checker. A one-weight change of the B3a transformer is the negative
control: certified DIFFERENT, and its counterexample is a real error against the Python definition.
Writes build/report.md and build/summary.json.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
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

N, M = 4, 5
Function = Callable[[Sequence[int], int], tuple[int, ...]]


@dataclass(frozen=True)
class Instance:
    """A transformer for ``task`` certified against a reference network; ``expect`` is the verdict it must get."""
    name: str
    task: str
    construction: str
    transformer: Transformer
    reference: Mlp
    function: Function
    expect: str = "EQUIVALENT"


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


def instances() -> list[Instance]:
    """B3a and B3b against the Match2 reference, B4 against the Match3 reference, and the negative control."""
    ref2, ref3 = match.match2_reference(N, M), match.match3_reference(N, M)
    one_hot = match.match2_one_hot(N, M)
    return [Instance("match2-one-hot", "Match2", "B3a one-hot, m = M", one_hot, ref2, match.match2),
            Instance("match2-parabola", "Match2", "B3b parabola, m_key = 2", match.match2_parabola(N, M), ref2,
                     match.match2),
            Instance("match3-uniform", "Match3", "B4 uniform attention + FFN", match.match3_uniform(N, M), ref3,
                     match.match3),
            Instance("control-match2-one-hot", "Match2 (control)", "B3a, score bias (0, 1) set to -1",
                     match.with_score_bias(one_hot, 0, 1, -1), ref2, match.match2, "DIFFERENT")]


def oracle_mismatches(net: Network, function: Function) -> int:
    """The number of inputs of Z_M^N where ``net`` (exact evaluation) differs from the Python ``function``."""
    return sum(evaluate(net, match.one_hot(xs, M)) != function(xs, M) for xs in match.all_symbols(N, M))


def certified(instance: Instance, folder: Path) -> Outcome:
    """Certify the transformer against the reference over Z_M^N, write the certificate, re-check it from the file."""
    domain = match.mixed_domain(N, M)
    started = time.perf_counter()
    verdict = certify_mixed(instance.transformer, instance.reference, domain)
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
    truth = tuple(outcome.instance.function(xs, M))
    return transformer_out != truth and reference_out == truth


def passed(outcome: Outcome, mismatches: dict[str, int]) -> bool:
    """Certified as expected, both networks agree with the oracle (the control's transformer must not)."""
    i = outcome.instance
    if i.expect == "DIFFERENT":
        return outcome.certified and real_mismatch(outcome) and mismatches[i.name] == outcome.differing_cases
    return outcome.certified and mismatches[i.name] == 0 and mismatches[reference_name(i)] == 0


def reference_name(instance: Instance) -> str:
    return f"{instance.task.split()[0].lower()}-reference"


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
    return (outcome.instance.task, outcome.instance.construction, t.tokens, heads, t.width,
            " + ".join(map(str, match.hidden_widths(t))), outcome.cases, short_verdict(outcome),
            f"{outcome.certify_s:.2f}", f"{outcome.check_s:.2f}")


def oracle_text(mismatches: dict[str, int], references: dict[str, Mlp], control: Outcome) -> str:
    """The oracle paragraph of the report: mismatches per network and the control's counterexample."""
    lines = ["Oracle (exact evaluation with `polyreg.network.semantics.evaluate` on all 625 inputs, compared with the plain "
             "Python `match2` / `match3` of `match.py`):", ""]
    for name, count in mismatches.items():
        lines.append(f"- `{name}`: {count} of 625 inputs differ from the definition")
    ones2 = sum(sum(match.match2(xs, M)) for xs in match.all_symbols(N, M))
    ones3 = sum(sum(match.match3(xs, M)) for xs in match.all_symbols(N, M))
    lines.append(f"- output bits equal to 1: Match2 {ones2} of {N * 625}, Match3 {ones3} of {N * 625}")
    for name, net in references.items():
        lines.append(f"- `{name}` (no attention): ReLU layer widths {', '.join(map(str, net.widths[:-1:2]))}")
    if control.counterexample is not None:
        xs, t_out, r_out = control.counterexample
        text = ", ".join(str(v) for v in t_out)
        lines += ["", f"Negative control: the checker verified that the networks differ on {control.differing_cases} "
                  f"of {control.cases} inputs (the oracle counts {mismatches[control.instance.name]} wrong inputs of "
                  f"the changed transformer). Counterexample X = {xs}: transformer ({text}), reference "
                  f"{tuple(int(v) for v in r_out)}, Match2(X) = {match.match2(xs, M)}; "
                  f"{'a real error' if real_mismatch(control) else 'NOT a real error'} of the transformer."]
    return "\n".join(lines)


def write_networks(folder: Path, chosen: list[Instance]) -> dict[str, Mlp]:
    """The transformers, the references and the domain as JSON files in ``folder``; returns the references."""
    references = {reference_name(i): i.reference for i in chosen}
    for i in chosen:
        save_network(i.transformer, folder / f"{i.name}.json")
    for name, net in references.items():
        save_network(net, folder / f"{name}.json")
    (folder / "domain.json").write_text(json.dumps(match.mixed_domain_json(N, M)) + "\n")
    return references


def main() -> int:
    started = time.perf_counter()
    folder = HERE / "build"
    folder.mkdir(exist_ok=True)
    chosen = instances()
    references = write_networks(folder, chosen)
    mismatches = {i.name: oracle_mismatches(i.transformer, i.function) for i in chosen}
    mismatches |= {name: oracle_mismatches(net, match.match2 if name.startswith("match2") else match.match3)
                   for name, net in references.items()}
    progress("oracle: " + ", ".join(f"{name} {count}" for name, count in mismatches.items()))
    outcomes = []
    for i in chosen:
        outcomes.append(certified(i, folder))
        progress(f"{i.name}: {outcomes[-1].conclusion} ({outcomes[-1].certify_s:.2f} s + check "
                 f"{outcomes[-1].check_s:.2f} s)")
    header = ("task", "construction", "tokens", "heads", "width", "FFN width", "cases", "verdict (checker)",
              "certify s", "check s")
    intro = (f"Every input X of Z_{M}^{N} ({M ** N} cases, one-hot encoded: 4 discrete groups of 5 coordinates, no "
             "continuous coordinates). Each transformer is certified equal to a reference ReLU network without "
             "attention by `polyreg.analysis.cases.certify_mixed`; the certificates (`build/*.json.gz`) are re-checked from "
             "the files by the standalone checker (`polyreg_check`). Hard-max attention, ties averaged, exact "
             "rational arithmetic. FFN width lists the hidden width of each feed-forward layer.\n\n"
             + oracle_text(mismatches, references, outcomes[-1]))
    return finish(HERE, f"Claim 7: Match2 and Match3 on all of Z_{M}^{N} by hard-max transformers", intro, header,
                  [row(o) for o in outcomes], sum(passed(o, mismatches) for o in outcomes), started,
                  claim="Match2 and Match3 on all of Z_5^4 by hard-max transformers",
                  paper="Sanford-Hsu-Telgarsky 2023, Match2 / Match3 (seeds.md B3, B4)",
                  instances="3 transformers (B3a, B3b, B4) x 625 inputs of Z_5^4; 1 negative control",
                  cells=sum(o.cells for o in outcomes), report="07-match/build/report.md")


if __name__ == "__main__":
    sys.exit(main())
