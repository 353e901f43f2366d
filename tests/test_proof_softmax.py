"""The symbolic proof of Lemma P2 in proofs/05-softmax-bound/build.py: every mechanical step holds for the
claimed constant c_k = min(ln k, (k-1)/e), and the same steps reject a wrong constant."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import sympy as sp

BUILD = Path(__file__).resolve().parent.parent / "proofs" / "05-softmax-bound" / "build.py"


def load_build():
    """proofs/05-softmax-bound/build.py as a module (its numeric part does not run on import)."""
    spec = importlib.util.spec_from_file_location("proof_softmax_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = load_build()


def test_every_mechanical_step_of_lemma_p2_holds():
    steps = build.lemma_p2_steps()
    failed = [s.name for s in steps if s.holds is False]
    assert not failed, failed
    assert build.proof_holds(steps)
    assert sum(s.holds is True for s in steps) >= 15
    assert {s.name for s in steps if s.holds is None} == {"per-token", "combine"}


def test_a_wrong_constant_is_rejected_by_the_same_steps():
    steps = build.lemma_p2_steps(claimed=lambda k: sp.Rational(k - 2) / sp.E)
    failed = {s.name for s in steps if s.holds is False}
    assert not build.proof_holds(steps)
    assert {"claim-values", "claim-covered", "witness"} <= failed


def test_the_constant_switches_from_k_minus_1_over_e_to_ln_k_at_k_6():
    assert [k for k in range(2, 51) if build.proven_constant(k) == sp.Rational(k - 1) / sp.E] == [2, 3, 4, 5]
    for k in range(2, 51):
        lo, hi = build.log_enclosure(k)
        assert lo < hi and hi - lo < sp.Rational(1, 10 ** 20)
        assert sp.Rational(lo.numerator, lo.denominator) < sp.log(k) < sp.Rational(hi.numerator, hi.denominator)
    e_lo, e_hi = build.e_enclosure()
    assert sp.Rational(e_lo.numerator, e_lo.denominator) < sp.E < sp.Rational(e_hi.numerator, e_hi.denominator)
