"""proofs/: the shared certify-and-recheck step and the index table."""
import importlib.util
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


def test_the_index_labels_every_claim_and_accounts_for_every_seed():
    spec = importlib.util.spec_from_file_location("proofs_build", PROOFS / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules["proofs_build"] = build         # dataclasses look their module up
    spec.loader.exec_module(build)
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
