"""proofs/08-memory-retrieval: the definitions, the transformers of seeds.md M1, M3, A3, A1 and their references
against the definitions, small certificates re-checked from the file, and the negative controls."""
import importlib.util
import random
import sys
from fractions import Fraction
from pathlib import Path

from polyreg import box, evaluate
from polyreg.analysis.cases import certify_mixed
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Equivalent
from polyreg.certificates.write import certificate, mixed_certificate, write_certificate
from polyreg.formats.json_files import mixed_domain_from_json, network_from_json, network_to_json
from polyreg.geometry.domains import MixedDomain
from polyreg_check import check, load

FOLDER = Path(__file__).resolve().parent.parent / "proofs" / "08-memory-retrieval"
spec = importlib.util.spec_from_file_location("proof_memory_retrieval", FOLDER / "memory_retrieval.py")
mr = importlib.util.module_from_spec(spec)
sys.modules["proof_memory_retrieval"] = mr
spec.loader.exec_module(mr)


def points(rng, n, count, denominator):
    return [tuple(Fraction(rng.randint(0, denominator), denominator) for _ in range(n)) for _ in range(count)]


def test_the_definitions_on_small_inputs():
    assert mr.memory_f(Fraction(1), Fraction(1, 2)) == Fraction(3, 4)
    assert mr.fixed_memory((1, 0, 0, 1)) == (0, 1, 0, 1)                 # f(x_{t-1}, x_{t-3}), zero padding
    assert mr.adaptive_memory((1, 2, 1), (Fraction(1, 2), 1, 0)) == (0, 0, 1)
    assert mr.nearest_retrieval((Fraction(1, 4), 0, 0, 0, 0, 1)) == (Fraction(1, 8),) + (Fraction(1, 4),) * 4 + (1,)
    half = Fraction(1, 2)
    assert mr.nearest_point([(half, half), (2, 2)], [(0, 0), (1, 1)]) == (half, half, 1, 1)      # a tie, then (1, 1)
    assert mr.nearest_point([(1, 1)], [(0, 0)]) == (0, 0)
    assert mr.nearest_point([(1, 1)] * 3, [(0, 0), (2, 0), (0, 2)]) == (Fraction(2, 3),) * 6     # a triple tie
    assert mr.nearest_point([(1, 0)] * 3, [(0, 0), (2, 0), (2, 0)]) == (Fraction(4, 3), 0) * 3   # ties count tokens


def test_m1_and_its_reference_compute_fixed_memory():
    rng = random.Random(3)
    for T in (4, 8):
        a, b = mr.fixed_memory_transformer(T), mr.fixed_memory_reference(T)
        for x in points(rng, T, 30, 100):
            assert evaluate(a, x) == evaluate(b, x) == mr.fixed_memory(x), x


def test_m3_and_its_reference_compute_adaptive_memory_for_every_control():
    T, v = 4, (Fraction(1, 3), Fraction(2, 5), Fraction(5, 7), 1)
    a, b = mr.adaptive_memory_transformer(T), mr.adaptive_memory_reference(T)
    for c in mr.all_controls(T):
        z = mr.adaptive_input(c, v)
        assert mr.controls_of(z) == c and mr.payloads_of(z) == v
        assert evaluate(a, z) == evaluate(b, z) == mr.adaptive_memory(c, v), c


def test_a3_networks_retrieve_the_nearest_position_ties_included():
    rng = random.Random(5)
    nets = (mr.rank_two_retrieval(6), mr.one_hot_retrieval(6))
    for x in points(rng, 6, 40, 12) + [tuple(Fraction(2 * k + 1, 12) for k in range(6))]:
        for net in nets:
            assert evaluate(net, x) == mr.nearest_retrieval(x), x


def test_m1_is_certified_and_its_certificate_verifies_from_the_file(tmp_path):
    T = 5
    a, b = mr.fixed_memory_transformer(T), mr.fixed_memory_reference(T)
    verdict = certify(a, b, box(T, 0, 1))
    assert verdict.word == "EQUIVALENT"
    path = tmp_path / "m1.json.gz"
    write_certificate(certificate(verdict.refinement, Equivalent.of(verdict.refinement)), path)
    assert check(load(path)).startswith("the networks are equal everywhere on the domain")
    assert network_from_json(network_to_json(a)) == a


def test_m3_is_certified_on_the_mixed_domain(tmp_path):
    T = 3
    a, b, domain = mr.adaptive_memory_transformer(T), mr.adaptive_memory_reference(T), mr.adaptive_domain(T)
    verdict = certify_mixed(a, b, domain)
    assert verdict.word == "EQUIVALENT" and len(verdict.cases) == 27
    path = tmp_path / "m3.json.gz"
    write_certificate(mixed_certificate(verdict, a, b, domain), path)
    assert check(load(path)).startswith("the networks are equal everywhere on the domain")


def test_a3_at_tau_6_is_equal_almost_everywhere_by_output_tokens_and_rank_one_fails():
    """Split by output tokens, each part decides only its own query's units: 11 cells per token, not 11^6."""
    domain = MixedDomain(6, (), tuple(range(6)), box(6, 0, 1))
    a, b = mr.rank_two_retrieval(6), mr.one_hot_retrieval(6)
    verdict = certify_mixed(a, b, domain, split_outputs=True)
    assert verdict.word == "EQUIVALENT ALMOST EVERYWHERE" and [len(p.outputs) for p in verdict.parts] == [1] * 6
    assert check(mixed_certificate(verdict, a, b, domain)).startswith("the networks are equal almost everywhere")
    wrong = certify_mixed(mr.rank_one_retrieval(6), b, domain, split_outputs=True)
    assert wrong.word == "DIFFERENT"
    z = wrong.counterexample.x
    assert evaluate(mr.rank_one_retrieval(6), z) != mr.nearest_retrieval(z)


def test_the_controls_are_real_errors():
    T = 4
    control = certify_mixed(mr.adaptive_memory_transformer(T, (1, 2, 2)), mr.adaptive_memory_reference(T),
                            mr.adaptive_domain(T))
    assert control.word == "DIFFERENT"
    z = control.counterexample.x
    network_out, reference_out = control.counterexample.outputs
    truth = mr.adaptive_memory(mr.controls_of(z), mr.payloads_of(z))
    assert reference_out == truth != network_out
    shifted = mr.with_query_shift(mr.fixed_memory_transformer(4), 1, -4)
    x = (Fraction(1), 0, 0, 0)
    assert evaluate(shifted, x) != mr.fixed_memory(x)


def test_the_m3_domain_file_describes_the_same_domain():
    domain = mixed_domain_from_json(mr.adaptive_domain_json(3), "m3")
    expected = mr.adaptive_domain(3)
    assert domain.num_cases == expected.num_cases == 27 and domain.free == expected.free
    assert domain.discrete == expected.discrete


def nearest_cases(rng, tau, side, count):
    """Random A1 inputs (``u`` of denominator 2), then tie points: ``u_t`` the midpoint of ``v_t`` and ``v_{t+1}``."""
    def stored():
        return [(rng.randrange(side), rng.randrange(side)) for _ in range(tau)]
    cases = [([(Fraction(rng.randint(0, 2 * side - 2), 2), Fraction(rng.randint(0, 2 * side - 2), 2))
               for _ in range(tau)], stored()) for _ in range(count)]
    for _ in range(count):
        v = stored()
        cases.append(([tuple(Fraction(a + b, 2) for a, b in zip(v[t], v[(t + 1) % tau])) for t in range(tau)], v))
    return cases


def test_a1_networks_find_the_nearest_point_ties_included():
    rng = random.Random(7)
    triple = ([(1, 1), (1, 0), (Fraction(1, 2), 2)], [(0, 0), (2, 0), (0, 2)])   # (1, 1) is equidistant from all three
    for tau, side, extra in ((3, 3, [triple]), (2, 5, [])):
        nets = (mr.nearest_point_transformer(tau, side), mr.nearest_point_reference(tau, side))
        for u, v in nearest_cases(rng, tau, side, 15) + extra:
            z = mr.nearest_input(u, v, side)
            assert mr.nearest_parts(z, side) == (u, v)
            for net in nets:
                assert evaluate(net, z) == mr.nearest_truth(z, side) == mr.nearest_point(u, v), (u, v)
    assert mr.nearest_point(*triple)[:2] == (Fraction(2, 3), Fraction(2, 3))


def test_a1_is_certified_almost_everywhere_and_its_certificate_verifies(tmp_path):
    tau, side = 2, 2
    a, b, domain = mr.nearest_point_transformer(tau, side), mr.nearest_point_reference(tau, side), \
        mr.nearest_domain(tau, side)
    verdict = certify_mixed(a, b, domain)
    assert verdict.word == "EQUIVALENT ALMOST EVERYWHERE" and len(verdict.cases) == 16
    path = tmp_path / "a1.json.gz"
    write_certificate(mixed_certificate(verdict, a, b, domain), path)
    assert check(load(path)).startswith("the networks are equal almost everywhere")
    parsed = mixed_domain_from_json(mr.nearest_domain_json(tau, side), "a1")
    assert parsed.discrete == domain.discrete and parsed.free == domain.free


def test_the_a1_controls_are_real_errors():
    tau, side = 2, 2
    reference, domain = mr.nearest_point_reference(tau, side), mr.nearest_domain(tau, side)
    for control in (mr.nearest_point_control(tau, side, (1, 1)), mr.nearest_point_transformer(tau, side, 0)):
        verdict = certify_mixed(control, reference, domain)      # one lookup weight; the rank-2 score 2 u.v
        assert verdict.word == "DIFFERENT"
        z = verdict.counterexample.x
        network_out, reference_out = verdict.counterexample.outputs
        assert reference_out == mr.nearest_truth(z, side) != network_out


def test_the_build_passes_every_instance_and_control_at_a_reduced_size(tmp_path):
    """The build's own path at T = 4 and 3, tau = 3 and 4, A1 on 3x3 and 2x2 grids: every instance agrees with the
    definitions (oracle) and is verified as expected; every control is a real error on the predicted cases."""
    spec = importlib.util.spec_from_file_location("proof_memory_retrieval_build", FOLDER / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build
    spec.loader.exec_module(build)
    sizes = build.Sizes(fixed=4, adaptive=3, tau=4, tau_full=3, a1=((2, 3), (3, 2)))
    assert build.build(sizes, tmp_path / "build") == 0
    report = (tmp_path / "build" / "report.md").read_text()
    assert report.count("| VERIFIED EQUIVALENT") == 6 and report.count("| VERIFIED DIFFERENT") == 4
    assert "UNEXPECTED" not in report and "NOT a real error" not in report
    assert "`control-a1`: VERIFIED DIFFERENT (8 of 81 cases)" in report      # (3^2 - 1)^(2 - 1): v_0 alone at (1, 2)
