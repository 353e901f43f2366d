"""The symbolic proof of Lemma P2 in proofs/05-softmax-bound/build.py: every mechanical step holds for the
claimed constant c_k = min(ln k, (k-1)/e), and the same steps reject a wrong constant."""
from __future__ import annotations

import importlib.util
import random
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from polyreg import box
from polyreg.network.families import random_maxout
from polyreg.network.semantics import evaluate
from polyreg_check import Reject, check, load

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


def test_the_build_certifies_the_hypothesis_at_a_reduced_size(tmp_path):
    """The build's own path on two networks (one with a gate block), 2 lambdas, 6 points: every certificate the
    checker verified bounds what exact evaluation finds at random points, and lambda_0 is the least lambda."""
    verdict, ok = build.build(networks=((1, (2,), 2), (2, (2, 2), 2)), lambdas=(10, 1000), points=6,
                              folder=tmp_path / "build")
    assert ok and verdict.startswith("HYPOTHESIS CERTIFIED (4 certificates)"), verdict
    assert "NUMERIC CHECK PASSED" in verdict and (tmp_path / "build" / "report.md").exists()
    net = random_maxout(2, [2, 2], 2, seed=1)
    mx, t = build.maxout_form(net), build.compile_transformer(net, box(2, -1, 1))
    (slack,) = [build.gate_slack(net, mx, t, 1)]
    rng = random.Random(5)
    for name, a, b, epsilon in build.bound_claims(net, mx, t, slack):
        points = [(Fraction(rng.randint(-64, 64), 64), Fraction(rng.randint(-64, 64), 64)) for _ in range(300)]
        worst = max(abs(u - v) for x in points for u, v in zip(evaluate(a, x), evaluate(b, x)))
        assert worst <= epsilon, name
    rho = build.layer_norms(mx)
    threshold = build.certified_hypothesis("n", net, mx, t, [slack], rho, tmp_path / "again").threshold
    c_upper = build.softmax_constant_upper(2)
    assert threshold > 0
    assert build.margin_holds([slack], rho, build.softmax_errors(rho, c_upper / threshold))
    assert not build.margin_holds([slack], rho, build.softmax_errors(rho, c_upper / (threshold * Fraction(999, 1000))))


def test_a_bound_claimed_below_its_maximum_is_refused_by_the_checker(tmp_path):
    """The gate bound's certificate, its epsilon lowered by 1/1000: the checker refuses the file."""
    net = random_maxout(2, [2, 2], 2, seed=6)
    mx, t = build.maxout_form(net), build.compile_transformer(net, box(2, -1, 1))
    slack = build.gate_slack(net, mx, t, 1)
    name, a, b, epsilon = build.bound_claims(net, mx, t, slack)[0]
    path = tmp_path / "gates.json.gz"
    assert "for every x in the domain" in build.certified_bound(name, a, b, epsilon, path)
    cert = load(path)
    cert["claim"]["epsilon"] = str(epsilon - Fraction(1, 1000))
    with pytest.raises(Reject, match="bound"):
        check(cert)
    assert build.certified_bound(name, a, b, epsilon - Fraction(1, 1000), tmp_path / "x.json.gz").startswith(
        "NOT VERIFIED")
