"""Shared steps of the claims in proofs/: certify an instance, write its certificate, re-check the
file with the standalone checker, and write a claim's summary and Markdown table."""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from polyreg import box
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Equivalent
from polyreg.certificates.write import certificate, write_certificate
from polyreg.compiler.maxout_to_transformer import compile_transformer, parameter_counts, size_of
from polyreg.network.ir import Mlp
from polyreg_check import Reject, check, load


@dataclass(frozen=True)
class Emulation:
    """One network, its compiled transformer on [lo, hi]^d, and what the checker verified about the pair."""
    name: str
    verdict: str            # the checker's conclusion, or NOT VERIFIED: reason
    verified: bool
    cells: int
    tokens: int
    heads: int
    blocks: int
    ratio_nonzero: float
    ratio_dense: float
    producer_s: float
    checker_s: float
    certificate: str


def certified_emulation(name: str, net: Mlp, lo: int, hi: int, folder: Path) -> Emulation:
    """Compile ``net`` for ``[lo, hi]^d``, certify the pair, write the certificate to ``folder`` and
    re-check the written file; the verdict is the checker's."""
    domain = box(net.input_dim, lo, hi)
    started = time.perf_counter()
    transformer = compile_transformer(net, domain)
    verdict = certify(net, transformer, domain)
    producer_s = time.perf_counter() - started
    path = folder / f"{name}.json.gz"
    write_certificate(certificate(verdict.refinement, Equivalent.of(verdict.refinement)), path)
    conclusion, checker_s = rechecked(path)
    verified = verdict.word == "EQUIVALENT" and not conclusion.startswith("NOT VERIFIED")
    size = size_of(transformer)
    nonzero, dense = parameter_counts(net)
    return Emulation(name, conclusion, verified and "equal everywhere" in conclusion, len(verdict.refinement.cells),
                     size.tokens, size.heads, size.blocks, size.nonzero_parameters / nonzero,
                     size.dense_parameters / dense, producer_s, checker_s, str(path))


def rechecked(path: Path) -> tuple[str, float]:
    """The standalone checker's conclusion on the certificate file ``path`` (or NOT VERIFIED: reason), and
    its time in seconds."""
    started = time.perf_counter()
    try:
        conclusion = check(load(path))
    except Reject as err:
        conclusion = f"NOT VERIFIED: {err}"
    return conclusion, time.perf_counter() - started


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]) + "\n"


def write_summary(folder: Path, **fields: Any) -> None:
    """``build/summary.json``: claim, paper, instances, verdict, cells, seconds, report (read by proofs/build.py)."""
    expected = {"claim", "paper", "instances", "verdict", "cells", "seconds", "report"}
    assert set(fields) == expected, sorted(set(fields) ^ expected)
    (folder / "build").mkdir(parents=True, exist_ok=True)
    (folder / "build" / "summary.json").write_text(json.dumps(fields, indent=2) + "\n")


def finish(folder: Path, title: str, intro: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
           passed: int, started: float, **summary: Any) -> int:
    """Write ``build/report.md`` (title, intro, table) and ``build/summary.json``; exit code 0 iff
    all ``len(rows)`` instances passed."""
    (folder / "build" / "report.md").write_text(f"# {title}\n\n{intro}\n\n" + markdown_table(header, rows))
    failed = len(rows) - passed
    write_summary(folder, verdict="VERIFIED" if not failed else f"FAILED on {failed}",
                  seconds=round(time.perf_counter() - started, 1), **summary)
    return 0 if not failed else 1


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
