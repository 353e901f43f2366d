"""``make proofs``: rebuild every claim (instances, certificates, independent checks, reports) and
write the index proofs/README.md from each claim's build/summary.json and the labels below.
``python proofs/build.py 05 08`` rebuilds those claims only and writes the index from every summary there is."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
GYZ = "Gu-Yang-Zhou 2026 (arXiv 2603.03084)"


@dataclass(frozen=True)
class Label:
    """What a claim rests on: where its statement comes from, what the standalone checker verified, and every
    other part with its kind (SYMBOLIC, NUMERIC, PROSE)."""
    source: str
    certified: str
    other: str


LABELS = {
    "01-maxout-emulation": Label(
        f"{GYZ}, Thm P1 + Table 1: RECONSTRUCTED from the abstract (the only part read)",
        "each maxout net equals its compiled transformer EVERYWHERE on [-1, 1]^d",
        "size ratios: MEASURED on these nets, no bound claimed; all nets and sizes: not checked"),
    "02-relu-two-tokens": Label(
        f"{GYZ}, Cor P3: RECONSTRUCTED from the abstract",
        "each ReLU net equals its 2-token transformer EVERYWHERE on [-1, 1]^d",
        "approximation rates: cited, not checked"),
    "03-cpwl-forms": Label(
        f"{GYZ}, Thm P4: RECONSTRUCTED from the abstract",
        "each form equals its transformer EVERYWHERE on [-2, 2]^d; the control DIFFERENT",
        "that every CPWL function has such a form: PROSE (cited theorems)"),
    "04-region-growth": Label(
        f"{GYZ}, Thm P5: RECONSTRUCTED from the abstract",
        "each transformer's cells, activation regions, affine maps and linear regions (the checker's counts); "
        "transformer = network EVERYWHERE where P^{dL} <= 729; Prop P6 as stated broken by a certified count "
        "(per-token embeddings)",
        "all L, h, k, d: PROSE; the restated bound P6': PROSE; optimality: not claimed"),
    "05-softmax-bound": Label(
        f"{GYZ}, Lemma P2 / Thm P2: RECONSTRUCTED from the abstract",
        "Thm P2's hypothesis for 16 networks EVERYWHERE on [-1, 1]^d: hard-max transformer = f, every gate and "
        "clearing bound; lambda_0 exact from them (no certificate covers T_lambda: softmax weights are irrational)",
        "Lemma P2: SYMBOLIC (sympy identities, some for k = 2..6 only) + exact rational enclosures + 2 PROSE "
        "steps; from the hypothesis to sup|T_lambda - f| <= K/lambda: PROSE; the error itself: NUMERIC (float64, "
        "200 points per network)"),
    "06-sparse-averaging": Label(
        "Sanford-Hsu-Telgarsky 2023 (arXiv 2306.02896), qSA, through seeds.md B1 (second-hand)",
        "B1a and B1b equal the reference EVERYWHERE on every pointer set x [-1, 1]^N (N = 4 whole, N = 6 and 16 "
        "by output token), every score margin >= 1; B2's moment keys at N = 8, q = 3: argmax set = S, margin 4",
        "softmax within eps for large beta: PROSE (closed form of seeds.md 2.4)"),
    "07-match": Label(
        "Sanford-Hsu-Telgarsky 2023 (arXiv 2306.02896), Match2 / Match3, through seeds.md B3, B4 (second-hand)",
        "B3a, B3b, B4 equal the references EVERYWHERE on Z_5^4 and Z_11^4, B3b on Z_5^7; 2 controls DIFFERENT",
        "B3b's readout gap 2/N for all N, M: PROSE (derivation in the claim README), the least gap computed on "
        "small sizes"),
    "08-memory-retrieval": Label(
        "Wang-E 2024 (M1, M3) and Jiang-Li 2024 (A1, A3), through seeds.md; the constructions are the "
        "project's own",
        "M1, M3 EVERYWHERE; A3, A1 ALMOST EVERYWHERE (on every cell's interior; the heads are not tie-safe)",
        "the tie points: exact evaluation at sampled points only; rank 1 cannot retrieve: PROSE, with one "
        "m_h = 1 network certified DIFFERENT"),
}

# Every instance of seeds.md: where it is certified, or why it is not.
SEEDS = [
    ("B1a, B1b", "qSA, N = 6, q = 2", "certified", "claim 06: N = 4 whole, N = 6 and N = 16 by output token; "
     "margin 1"),
    ("B2", "key-set neighborliness (argmax set = S, rational margin)", "moment keys certified; +-1 keys not done",
     "claim 06: N = 8, q = 3, every subset, margin 4; the +-1 key matrix (margin 4/7) must first be built by an LP"),
    ("B3a, B3b", "Match2", "certified", "claim 07: Z_5^4 and Z_11^4; B3b also Z_5^7"),
    ("B4", "Match3, uniform attention", "certified", "claim 07: Z_5^4 and Z_11^4"),
    ("B5", "Match3, third-order attention", "not certifiable here",
     "tensor (third-order) attention is not in polyreg's network format"),
    ("A1", "nearest point to a set", "certified at reduced sizes, almost everywhere",
     "claim 08: tau = 2 on the 5x5 grid, tau = 4 on a 2x2 grid; tau = 4 on the 5x5 grid not done (25^4 "
     "assignments per output part, about 1.5 hours each)"),
    ("A2", "weighted average by selection", "certifiable, not done",
     "3 hard-max heads with positional keys and a mixed domain of index grids; no claim folder yet"),
    ("A3", "rank matters", "positive part certified almost everywhere; negative part PROSE",
     "claim 08; one m_h = 1 network certified DIFFERENT, the impossibility for every m_h = 1 network argued"),
    ("A4", "permutation property", "certifiable, not done",
     "a certify of N_p(x o p) against N(x) for a network with a positional table; no claim folder yet"),
    ("A5", "heads vs D-retrieval", "upper bound certifiable, not done; lower bound not certifiable here",
     "the 2-head network against max x - min x is a certify on [0, 1]^6; the h = 1 lower bound is a theorem "
     "about all networks of a size"),
    ("M1", "fixed sparse memory", "certified", "claim 08, everywhere"),
    ("M2", "T5 bucketing", "certifiable, not done",
     "the bucket table must first be checked against an implementation (seeds.md marks it unverified)"),
    ("M3", "adaptive memory", "certified (discrete controls)", "claim 08; the continuous variant is not done"),
    ("M4", "Alibi limitation", "certifiable per lambda, not done",
     "one certificate fixes lambda; 'for every lambda > 0' would need a parametric argument (PROSE)"),
    ("-", "lower bounds (Match3 Thm 7, qSA dimension floors, A5 with h = 1)", "not certifiable here",
     "theorems about all transformers of a size, not about instances"),
]


def claims() -> list[Path]:
    return sorted(p.parent for p in HERE.glob("[0-9][0-9]-*/build.py"))


def run(claim: Path) -> dict:
    """Run one claim's build and return its summary (or a failure row)."""
    print(f"== {claim.name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    code = subprocess.run([sys.executable, str(claim / "build.py")]).returncode
    summary = summary_of(claim)
    if summary is None:
        return failed_row(claim, f"BUILD FAILED (exit {code})", round(time.perf_counter() - started, 1))
    if code != 0 and "FAIL" not in summary["verdict"] and "MISMATCH" not in summary["verdict"]:
        summary["verdict"] += f" (exit {code})"
    return summary


def summary_of(claim: Path) -> dict | None:
    path = claim / "build" / "summary.json"
    return json.loads(path.read_text()) if path.exists() else None


def failed_row(claim: Path, verdict: str, seconds: object = "-") -> dict:
    return {"claim": claim.name, "instances": "-", "verdict": verdict, "cells": "-", "seconds": seconds,
            "report": None}


LEGEND = [
    "Kinds of evidence, as each row labels them:", "",
    "- **EVERYWHERE** / **ALMOST EVERYWHERE**: a certificate re-verified by the standalone checker "
    "(`polyreg_check`); almost everywhere means on every cell's interior, where a hard-max head is not tie-safe.",
    "- **SYMBOLIC**: identities checked by sympy, a computer algebra system; neither the checker nor a proof "
    "assistant.",
    "- **NUMERIC**: floating-point evaluation at sampled points: evidence, not proof.",
    "- **PROSE**: a human argument in the claim's README.",
    "- **RECONSTRUCTED**: the statement is the project's reconstruction, not quoted from the paper.",
]


def index(rows: list[tuple[Path, dict]]) -> str:
    lines = ["# proofs/: the papers' claims, what is certified, and what is not", "",
             "Each folder states one claim (README.md: the statement, the instances, what is certified and",
             "what is not), builds its instances, certifies them with polyreg, re-checks every certificate",
             "with the standalone checker, and writes a report. `make proofs` rebuilds all of them and this",
             "index; generated files (certificates, reports: the links below) go to each folder's `build/`",
             "and are not committed.", "", *LEGEND, "",
             "| claim | source of the statement | certified by the checker | other parts | instances | verdict | "
             "cells | time (s) | report |",
             "|---|---|---|---|---|---|---:|---:|---|"]
    for folder, s in rows:
        label = LABELS.get(folder.name, Label("-", "-", "-"))
        report = f"[report]({s['report']})" if s.get("report") else "-"
        lines.append(f"| [{s['claim']}]({folder.name}/README.md) | {label.source} | {label.certified} | "
                     f"{label.other} | {s['instances']} | {s['verdict']} | {s['cells']} | {s['seconds']} | "
                     f"{report} |")
    lines += ["", "## Every instance of the design notes (`seeds.md`)", "",
              "| seed | task | status | where, or why not |", "|---|---|---|---|"]
    lines += [f"| {seed} | {task} | {status} | {why} |" for seed, task, status, why in SEEDS]
    return "\n".join(lines) + "\n"


def passed(verdict: str) -> bool:
    """A claim's verdict says everything it checks held (claim 05's verdict names three kinds of check)."""
    return verdict.startswith(("VERIFIED", "HYPOTHESIS CERTIFIED", "SYMBOLIC STEPS HOLD")) and "FAIL" not in verdict


def main(argv: list[str]) -> int:
    chosen = [c for c in claims() if not argv or c.name[:2] in argv]
    built = {claim: run(claim) for claim in chosen}
    rows = [(c, built.get(c) or summary_of(c) or failed_row(c, "NOT BUILT")) for c in claims()]
    (HERE / "README.md").write_text(index(rows))
    failed = [folder.name for folder, s in rows if not passed(s["verdict"])]
    print("proofs/README.md written" + (f"; not verified: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
