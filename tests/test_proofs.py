"""proofs/: the shared certify-and-recheck step and the index table."""
import importlib.util
import json
import sys
from pathlib import Path

from polyreg.network.families import random_maxout, random_relu
from polyreg_check import check, load

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
sys.path.insert(0, str(PROOFS))

from common import certified_emulation  # noqa: E402


def test_an_emulation_is_verified_from_its_written_certificate(tmp_path):
    result = certified_emulation("m", random_maxout(2, [3], 3, seed=4), -1, 1, tmp_path)
    assert result.verified and result.tokens == 3 and result.blocks == 2
    assert check(load(result.certificate)) == result.verdict
    relu = certified_emulation("r", random_relu(1, [4, 4], seed=1), -1, 1, tmp_path)
    assert relu.verified and relu.tokens == 2


def build_module(folder: str = ""):
    """proofs/FOLDER/build.py (the index's build.py without a folder) as a module of its own name, registered in
    sys.modules (dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(f"proofs_build{folder[:2]}", PROOFS / folder / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_claims_01_and_02_build_at_a_reduced_size(tmp_path):
    """Each build's own path on a few sizes: every instance verified, with the token counts the claims state (the
    rank k for maxout, 2 for ReLU)."""
    maxout = build_module("01-maxout-emulation")
    assert maxout.build([(1, 2, 1, 2), (2, 3, 2, 4)], tmp_path / "01" / "build") == 0
    relu = build_module("02-relu-two-tokens")
    assert relu.build([(1, (4,)), (2, (4, 4))], tmp_path / "02" / "build") == 0
    for claim, tokens in (("01", (2, 3)), ("02", (2, 2))):
        summary = json.loads((tmp_path / claim / "build" / "summary.json").read_text())
        report = (tmp_path / claim / "build" / "report.md").read_text()
        assert summary["verdict"] == "VERIFIED" and report.count("| VERIFIED |") == 2
        rows = [line.split(" | ") for line in report.splitlines() if line.endswith(" |") and "VERIFIED" in line]
        assert [int(row[4 if claim == "01" else 2]) for row in rows] == list(tokens)


def test_the_index_labels_every_claim_and_accounts_for_every_seed():
    build = build_module()
    folders = build.claims()
    assert [f.name[:2] for f in folders] == sorted(f.name[:2] for f in folders) and len(folders) >= 2
    assert sorted(build.LABELS) == [f.name for f in folders]      # every claim labelled, no stale label
    summary = {"claim": "c", "instances": "i", "verdict": "VERIFIED", "cells": 3, "seconds": 1.0,
               "report": "x/build/report.md"}
    text = build.index([(folders[0], summary)])
    label = build.LABELS[folders[0].name]
    assert (f"| [c]({folders[0].name}/README.md) | {label.source} | {label.certified} | {label.other} | i | "
            f"VERIFIED | 3 | 1.0 | [report](x/build/report.md) |") in text
    named = {part.strip() for seed, *_ in build.SEEDS for part in seed.split(",")}
    wanted = {"B1a", "B1b", "B2", "B3a", "B3b", "B4", "B5"} | {f"A{n}" for n in range(1, 6)} | \
        {f"M{n}" for n in range(1, 5)}
    assert wanted <= named, wanted - named        # every instance of seeds.md has a row
    assert "PROVED" not in text and all(f"| {seed} |" in text for seed, *_ in build.SEEDS)
    reconstructed = [name for name, lab in build.LABELS.items() if "Gu-Yang-Zhou" in lab.source]
    assert reconstructed and all("RECONSTRUCTED" in build.LABELS[n].source for n in reconstructed)


def test_the_index_counts_a_claim_as_passed_only_when_every_check_held():
    build = build_module()
    ok = "HYPOTHESIS CERTIFIED (46 certificates) + SYMBOLIC STEPS HOLD (sympy; 2 PROSE steps) + NUMERIC CHECK PASSED"
    assert build.passed("VERIFIED") and build.passed(ok)
    for bad in ("FAILED on 2", "MISMATCH: h1-k2-d1 L=3", "BUILD FAILED (exit 1)", "NOT BUILT",
                "HYPOTHESIS NOT CERTIFIED + SYMBOLIC STEPS HOLD (sympy; 2 PROSE steps) + NUMERIC CHECK PASSED",
                ok.replace("NUMERIC CHECK PASSED", "NUMERIC CHECK FAILED"), ok.replace("STEPS HOLD", "STEP FAILED")):
        assert not build.passed(bad), bad
