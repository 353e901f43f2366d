"""proofs/07-match: the Match2 / Match3 definitions, the transformers of seeds.md B3a, B3b, B4 and the reference
networks, exhaustively on Z_5^3, the certificates of a small instance, B3b's readout gap against the definition, and
the build's own steps at a reduced size."""
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


def test_without_a_match_the_parabola_distance_is_at_least_2_over_n_and_reaches_it():
    """The readout gap g = 2/N of B3b (README, "The readout gap"), against the definition on every input."""
    for N, M in [(n, m) for n in range(1, 6) for m in range(2, 8)] + [(7, 5)]:
        least = match.least_no_match_distance(N, M)
        assert least is None or least >= Fraction(2, N), (N, M)
    assert [match.least_no_match_distance(N, 5) for N in (3, 5, 7)] == [Fraction(2, 3), Fraction(2, 5), Fraction(2, 7)]


def test_the_earlier_gap_fails_on_z5_7_and_2_over_n_does_not():
    xs = (2, 2, 2, 2, 4, 4, 4)          # token 0: x = 2, b = 3, four tokens at 2 and three at 4, so D = 2/7
    assert match.match2(xs, 5)[0] == 0
    assert evaluate(match.match2_parabola(7, 5, Fraction(2, 5)), match.one_hot(xs, 5))[0] == 1 - Fraction(2, 7) / \
        Fraction(2, 5)
    assert evaluate(match.match2_parabola(7, 5), match.one_hot(xs, 5)) == tuple(map(Fraction, match.match2(xs, 5)))


def load_build():
    spec = importlib.util.spec_from_file_location("proof_match_build", FOLDER / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules["proof_match_build"] = build         # dataclasses look their module up
    spec.loader.exec_module(build)
    return build


def test_the_build_certifies_its_instances_and_controls_at_a_reduced_size(tmp_path):
    """The build's own steps on Z_5^3 and, for B3b and a gap above the least no-match distance (2/3 against 1/2),
    on Z_3^4."""
    build = load_build()
    chosen = build.instances(sizes=((3, 5),), wide=(4, 3), earlier=Fraction(2, 3))
    mismatches = {i.name: build.oracle_mismatches(i.transformer, i.function, i.tokens, i.symbols) for i in chosen}
    references = build.write_networks(tmp_path, chosen)
    mismatches |= {name: build.oracle_mismatches(net, i.function, i.tokens, i.symbols)
                   for name, (net, i) in references.items()}
    outcomes = [build.certified(i, tmp_path) for i in chosen]
    assert [o.instance.expect for o in outcomes] == ["EQUIVALENT"] * 4 + ["DIFFERENT"] * 2
    assert all(build.passed(o, mismatches) for o in outcomes), [o.conclusion for o in outcomes]
    control = outcomes[-1]
    assert control.differing_cases == mismatches[control.instance.name] > 0 and build.real_mismatch(control)
