"""proofs/07-match: the Match2 / Match3 definitions, the transformers of seeds.md B3a, B3b, B4 and the reference
networks, exhaustively on Z_5^3, and the certificates of a small instance."""
import importlib.util
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from polyreg import evaluate
from polyreg.analysis.cases import certify_mixed
from polyreg.certificates.write import mixed_certificate, write_certificate
from polyreg.formats.json_files import network_from_json, network_to_json
from polyreg_check import check, load

FOLDER = Path(__file__).resolve().parent.parent / "proofs" / "07-match"
spec = importlib.util.spec_from_file_location("proof_match", FOLDER / "match.py")
match = importlib.util.module_from_spec(spec)
sys.modules["proof_match"] = match
spec.loader.exec_module(match)

N, M = 3, 5


def test_the_definitions_allow_j_equal_to_i_and_repeated_indices():
    assert match.match2((0, 1, 2), 5) == (1, 0, 0)            # 0 + 0 = 0: token 0 matches itself
    assert match.match2((1, 4, 2, 2), 5) == (1, 1, 0, 0)
    assert match.match3((1, 2), 5) == (1, 1)                  # 1 + 2 + 2 and 2 + 2 + 1
    assert match.match3((1, 1), 5) == (0, 0)                  # sums 3 only
    assert match.match3((3, 1), 5) == (1, 1)                  # 3 + 1 + 1 = 5 and 1 + 1 + 3 = 5
    assert match.symbols(match.one_hot((4, 0, 2), 5), 5) == (4, 0, 2)


@pytest.mark.parametrize("build, function", [("match2_one_hot", "match2"), ("match2_parabola", "match2"),
                                             ("match3_uniform", "match3"), ("match2_reference", "match2"),
                                             ("match3_reference", "match3")])
def test_each_network_computes_its_task_on_every_input(build, function):
    net, f = getattr(match, build)(N, M), getattr(match, function)
    for xs in match.all_symbols(N, M):
        assert evaluate(net, match.one_hot(xs, M)) == tuple(map(Fraction, f(xs, M))), xs


def test_the_transformers_survive_the_json_format():
    for build in (match.match2_one_hot, match.match2_parabola, match.match3_uniform):
        net = build(N, M)
        again = network_from_json(network_to_json(net))
        assert again == net


def test_a_small_instance_is_certified_and_its_certificate_verifies_from_the_file(tmp_path):
    a, b, domain = match.match3_uniform(N, M), match.match3_reference(N, M), match.mixed_domain(N, M)
    verdict = certify_mixed(a, b, domain)
    assert verdict.word == "EQUIVALENT" and verdict.cells == M ** N
    path = tmp_path / "match3.json.gz"
    write_certificate(mixed_certificate(verdict, a, b, domain), path)
    assert check(load(path)) == f"the networks are equal everywhere on the domain ({M ** N} discrete cases)"


def test_the_negative_control_differs_where_the_definition_says_so():
    a, b, domain = match.with_score_bias(match.match2_one_hot(N, M), 0, 1, -1), match.match2_reference(N, M), \
        match.mixed_domain(N, M)
    verdict = certify_mixed(a, b, domain)
    assert verdict.word == "DIFFERENT"
    xs = match.symbols(verdict.counterexample.x, M)
    transformer_out, reference_out = verdict.counterexample.outputs
    assert reference_out == tuple(map(Fraction, match.match2(xs, M))) != transformer_out
    wrong = sum(evaluate(a, match.one_hot(ys, M)) != tuple(map(Fraction, match.match2(ys, M)))
                for ys in match.all_symbols(N, M))
    assert verdict.differing_cases == wrong > 0
    assert check(mixed_certificate(verdict, a, b, domain)).startswith(f"the networks differ on {wrong} of {M ** N}")
