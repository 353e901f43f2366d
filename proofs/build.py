"""``make proofs``: rebuild every claim (instances, certificates, independent checks, reports) and
write the index table proofs/README.md from each claim's build/summary.json."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_YET = [   # (claim, what the design notes ask for beyond the certified instances, why not)
    ("8", "nearest point to a set (A1) at the notes' full size, tau = 4 on the 5x5 grid",
     "25^4 = 390,625 assignments of the stored points in every output part, about 14 ms each"),
]


def claims() -> list[Path]:
    return sorted(p.parent for p in HERE.glob("[0-9][0-9]-*/build.py"))


def run(claim: Path) -> dict:
    """Run one claim's build and return its summary (or a failure row)."""
    print(f"== {claim.name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    code = subprocess.run([sys.executable, str(claim / "build.py")]).returncode
    summary_path = claim / "build" / "summary.json"
    if not summary_path.exists():
        return {"claim": claim.name, "paper": "-", "instances": "-", "verdict": f"BUILD FAILED (exit {code})",
                "cells": "-", "seconds": round(time.perf_counter() - started, 1), "report": None}
    summary = json.loads(summary_path.read_text())
    if code != 0 and "FAIL" not in summary["verdict"] and "MISMATCH" not in summary["verdict"]:
        summary["verdict"] += f" (exit {code})"
    return summary


def index(rows: list[tuple[Path, dict]]) -> str:
    lines = ["# proofs/: the papers' claims, certified and re-checked", "",
             "Each folder states one claim (README.md: the statement, the instances, what is certified and",
             "what is not), builds its instances, certifies them with polyreg, re-checks every certificate",
             "with the standalone checker, and writes a report. `make proofs` rebuilds all of them and this",
             "table; generated files (certificates, reports: the links below) go to each folder's `build/`",
             "and are not committed.", "",
             "| claim | paper and statement | instances | verdict | cells | time (s) | report |",
             "|---|---|---|---|---:|---:|---|"]
    for folder, s in rows:
        report = f"[report]({s['report']})" if s.get("report") else "-"
        lines.append(f"| [{s['claim']}]({folder.name}/README.md) | {s['paper']} | {s['instances']} | "
                     f"{s['verdict']} | {s['cells']} | {s['seconds']} | {report} |")
    lines += ["", "Not certified (see each claim's README for everything it leaves out):", ""]
    lines += [f"- claim {n}: {what}: {why}" for n, what, why in NOT_YET]
    return "\n".join(lines) + "\n"


def main() -> int:
    rows = [(claim, run(claim)) for claim in claims()]
    (HERE / "README.md").write_text(index(rows))
    failed = [folder.name for folder, s in rows if not s["verdict"].startswith(("VERIFIED", "PROVED"))]
    print("proofs/README.md written" + (f"; not verified: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
