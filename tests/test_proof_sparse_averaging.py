"""proofs/06-sparse-averaging: the qSA definition, the transformers of seeds.md B1a, B1b and the reference network
against it at every pointer-set assignment of N = 3, q = 2, a certificate of that instance, the score margin and the
negative control."""
import importlib.util
import sys
from fractions import Fraction
from math import comb
from pathlib import Path

import pytest

from polyreg import evaluate
from polyreg.analysis.cases import certify_mixed
from polyreg.certificates.write import mixed_certificate, write_certificate
from polyreg.formats.json_files import network_from_json, network_to_json
from polyreg_check import check, load

FOLDER = Path(__file__).resolve().parent.parent / "proofs" / "06-sparse-averaging"
spec = importlib.util.spec_from_file_location("proof_sparse_averaging", FOLDER / "sparse_averaging.py")
sa = importlib.util.module_from_spec(spec)
sys.modules["proof_sparse_averaging"] = sa
spec.loader.exec_module(sa)

N, q = 3, 2
CASES = comb(N, q) ** N


def test_the_definition_and_the_encoding():
    z = (Fraction(1, 2), Fraction(-1), Fraction(1, 3))
    assert sa.qsa(((0, 1), (1, 2), (0, 2)), z, 2) == (Fraction(-1, 4), Fraction(-1, 3), Fraction(5, 12))
    x = sa.full_input(((0, 1), (1, 2), (0, 2)), z)
    assert sa.pointers_of(x, N) == ((0, 1), (1, 2), (0, 2)) and sa.data_of(x, N) == z
    assert len(sa.all_assignments(N, q)) == CASES == sa.mixed_domain(N, q).num_cases


def test_the_gate_identity_and_the_moment_query():
    assert sa.gate_identity_holds()
    assert all(sa.gate(Fraction(k, 7), Fraction(s)) == s * Fraction(k, 7) for k in range(-7, 8) for s in (0, 1))
    assert sa.moment_query((0, 1), 2) == (12, -13, 6, -1)            # -(t-1)^2 (t-2)^2 = -4 + 12t - 13t^2 + ...
    for S in sa.pointer_sets(5, 2):
        w = sa.moment_query(S, 2)
        scores = [sum(a * b for a, b in zip(w, sa.moment_key(j, 2))) for j in range(5)]
        top = max(scores)
        assert {j for j in range(5) if scores[j] == top} == set(S)


@pytest.mark.parametrize("build", ["qsa_one_hot", "qsa_moment", "qsa_reference"])
def test_each_network_computes_qsa_at_every_assignment(build):
    net = getattr(sa, build)(N, q)
    for pointers in sa.all_assignments(N, q):
        for z in sa.data_points(N):
            assert evaluate(net, sa.full_input(pointers, z)) == sa.qsa(pointers, z, q), (pointers, z)


def test_the_transformers_survive_the_json_format():
    for build in (sa.qsa_one_hot, sa.qsa_moment, sa.one_hot_control):
        net = build(N, q)
        assert network_from_json(network_to_json(net)) == net


@pytest.mark.parametrize("build", ["qsa_one_hot", "qsa_moment"])
def test_the_instance_is_certified_and_its_certificate_verifies_from_the_file(build, tmp_path):
    a, b, domain = getattr(sa, build)(N, q), sa.qsa_reference(N, q), sa.mixed_domain(N, q)
    verdict = certify_mixed(a, b, domain)
    assert verdict.word == "EQUIVALENT" and len(verdict.cases) == CASES
    path = tmp_path / "qsa.json.gz"
    write_certificate(mixed_certificate(verdict, a, b, domain), path)
    assert check(load(path)).startswith("the networks are equal everywhere on the domain")


@pytest.mark.parametrize("build", ["qsa_one_hot", "qsa_moment"])
def test_the_score_margin_is_one_and_the_selection_exact(build):
    t = getattr(sa, build)(N, q)
    assert sa.scores_ignore_data(t, N)
    assert sa.score_margin(t, N, q, sa.data_points(N)[1]) == (1, True)


def test_the_negative_control_differs_where_qsa_says_so():
    a, b, domain = sa.one_hot_control(N, q), sa.qsa_reference(N, q), sa.mixed_domain(N, q)
    verdict = certify_mixed(a, b, domain)
    assert verdict.word == "DIFFERENT"
    assert verdict.differing_cases == CASES - (comb(N, q) - 1) ** N                # some token has pointer set {0, 2}
    x = verdict.counterexample.x
    pointers, z = sa.pointers_of(x, N), sa.data_of(x, N)
    transformer_out, reference_out = verdict.counterexample.outputs
    assert reference_out == sa.qsa(pointers, z, q) != transformer_out
    assert check(mixed_certificate(verdict, a, b, domain)).startswith(
        f"the networks differ on {verdict.differing_cases} of {CASES}")


@pytest.mark.parametrize("build", ["qsa_one_hot", "qsa_moment", "one_hot_control"])
def test_split_by_output_tokens_gives_the_verdict_of_the_whole_enumeration(build, tmp_path):
    """Split, output i is certified over y_i alone (C(N, q) cases per token, not C(N, q)^N); the checker accepts the
    parts and the verdict agrees with the whole enumeration (the control: wrong exactly where y_i = {0, 2})."""
    a, b, domain = getattr(sa, build)(N, q), sa.qsa_reference(N, q), sa.mixed_domain(N, q)
    split, whole = certify_mixed(a, b, domain, split_outputs=True), certify_mixed(a, b, domain)
    assert split.word == whole.word
    assert [(p.outputs, p.groups, len(p.cases)) for p in split.parts] == [((i,), (i,), comb(N, q)) for i in range(N)]
    path = tmp_path / "split.json.gz"
    write_certificate(mixed_certificate(split, a, b, domain), path)
    conclusion = check(load(path))
    if split.word == "DIFFERENT":
        assert split.differing_cases == N and conclusion.startswith(f"the networks differ on {N} of")
        x = split.counterexample.x
        assert split.counterexample.outputs[1] == sa.qsa(sa.pointers_of(x, N), sa.data_of(x, N), q)
    else:
        assert conclusion.startswith("the networks are equal everywhere")


def test_the_build_certifies_its_instances_and_controls_at_a_reduced_size(tmp_path):
    """The build's own steps at N = 3 (every assignment) and N = 4 (by output token), margins claimed."""
    spec = importlib.util.spec_from_file_location("proof_sparse_averaging_build", FOLDER / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules["proof_sparse_averaging_build"] = build         # dataclasses look their module up
    spec.loader.exec_module(build)
    chosen = build.instances(whole=3, split=(4,), b2=(5, 3))
    errors = {i.name: build.oracle_errors(i.transformer, i.n, 3, i.q)[0] for i in chosen}
    errors |= {build.reference_name(n, k): build.oracle_errors(sa.qsa_reference(n, k), n, 3, k)[0]
               for n, k in {(i.n, i.q) for i in chosen}}
    outcomes = []
    for i in chosen:
        margin = sa.score_margin(i.transformer, i.n, i.q, sa.data_points(i.n)[-1],
                                 build.oracle_assignments(i.n, 3, i.q)) if i.expect == "EQUIVALENT" else None
        assert margin is None or (margin[1] and margin[0] >= 1)
        outcomes.append(build.certified(i, tmp_path, None if margin is None else margin[0]))
    assert [(o.instance.n, o.instance.split, o.instance.expect) for o in outcomes] == \
        [(3, False, "EQUIVALENT")] * 2 + [(3, False, "DIFFERENT")] + [(4, True, "EQUIVALENT")] * 2 + \
        [(4, True, "DIFFERENT")] + [(5, True, "EQUIVALENT")]
    assert all(build.passed(o, errors) for o in outcomes), [o.conclusion for o in outcomes]
    assert [o.cases for o in outcomes] == [comb(3, q) ** 3] * 3 + [4 * comb(4, q)] * 3 + [5 * comb(5, 3)]
    # q = 3: off S the moment polynomial -prod (t - s)^2 is at most -(1 * 1 * 2^2) = -4 (two members adjacent to t,
    # the third at distance 2 at least), and 4 is attained at N = 5 (S = {0, 2, 3}, t = 1)
    assert outcomes[-1].conclusion.endswith("every hard-max score margin is at least 4")
