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


def test_the_index_lists_every_claim_folder_and_what_is_not_certified():
    spec = importlib.util.spec_from_file_location("proofs_build", PROOFS / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    folders = build.claims()
    assert [f.name[:2] for f in folders] == sorted(f.name[:2] for f in folders) and len(folders) >= 2
    summary = {"claim": "c", "paper": "p", "instances": "i", "verdict": "VERIFIED", "cells": 3, "seconds": 1.0,
               "report": "x/build/report.md"}
    text = build.index([(folders[0], summary)])
    assert f"| [c]({folders[0].name}/README.md) | p | i | VERIFIED | 3 | 1.0 | [report](x/build/report.md) |" in text
    assert all(f"- claim {n}: {what}: {why}" in text for n, what, why in build.NOT_YET)
