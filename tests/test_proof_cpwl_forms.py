"""proofs/03-cpwl-forms: Wang-Sun and lattice forms, their compiled transformers, and the lattice form of a network."""
import importlib.util
import random
import sys
from fractions import Fraction
from pathlib import Path

from polyreg import box, evaluate
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Different, Equivalent
from polyreg.certificates.write import certificate, write_certificate
from polyreg.compiler.maxout_to_transformer import compile_transformer, size_of
from polyreg.network.families import random_relu
from polyreg_check import check, load

FOLDER = Path(__file__).resolve().parent.parent / "proofs" / "03-cpwl-forms"
spec = importlib.util.spec_from_file_location("cpwl_forms", FOLDER / "forms.py")
forms = importlib.util.module_from_spec(spec)
sys.modules["cpwl_forms"] = forms
spec.loader.exec_module(forms)


def rational_points(d, count, seed, half_width=2):
    rng = random.Random(seed)
    drawn = [tuple(Fraction(rng.randint(-300 * half_width, 300 * half_width), 300) for _ in range(d))
             for _ in range(count)]
    return drawn + [(Fraction(0),) * d, (Fraction(1),) * d, (Fraction(-1),) + (Fraction(0),) * (d - 1)]


def test_wang_sun_forms_equal_their_direct_formulas_and_their_compiled_transformers():
    for wang_sun, direct in ((forms.absolute_value(), forms.absolute_value_direct()), (forms.hat(), forms.hat_direct()),
                             (forms.pyramid(), forms.pyramid_direct())):
        d = wang_sun.dim
        transformer = compile_transformer(forms.wang_sun_network(wang_sun), box(d, -2, 2))
        size = size_of(transformer)
        assert (size.tokens, size.heads, size.blocks, size.attention_blocks) == (d + 1, len(wang_sun.terms), 2, 1)
        for x in rational_points(d, 40, seed=d):
            assert wang_sun(x) == evaluate(direct, x)[0] == evaluate(transformer, x)[0]


def test_lattice_forms_equal_their_compiled_transformers_at_rational_points():
    hat = forms.Lattice(1, (forms.piece([0], 0), forms.piece([1], 1), forms.piece([-1], 1)), ((0,), (1, 2)))
    net = random_relu(2, [4], seed=3)
    for form, d in ((hat, 1), (forms.lattice_of_network(net, box(2, -1, 1)).form, 2)):
        transformer = compile_transformer(forms.lattice_network(form), box(d, -2, 2))
        size = size_of(transformer)
        P = len(form.sets)
        assert (size.tokens, size.heads, size.attention_blocks) == (max(form.largest_set, P), P + 1, 2)
        for x in rational_points(d, 40, seed=10 + d):
            assert form(x) == evaluate(transformer, x)[0]
    assert all(hat(x) == max(0, 1 - abs(x[0])) for x in rational_points(1, 40, seed=7))


def test_the_lattice_form_of_a_relu_network_certifies_equivalent_and_its_certificate_checks(tmp_path):
    net, domain = random_relu(1, [4], seed=2), box(1, -1, 1)
    found = forms.lattice_of_network(net, domain)
    assert found.cells == 5 and len(found.form.pieces) == 5 and len(found.form.sets) == 3
    verdict = certify(net, compile_transformer(forms.lattice_network(found.form), domain), domain)
    assert verdict.word == "EQUIVALENT"
    path = tmp_path / "lattice.json.gz"
    write_certificate(certificate(verdict.refinement, Equivalent.of(verdict.refinement)), path)
    assert "equal everywhere" in check(load(path))


def test_a_lattice_form_without_an_essential_term_certifies_different(tmp_path):
    net, domain = random_relu(1, [4], seed=2), box(1, -1, 1)
    found = forms.lattice_of_network(net, domain)
    wrong = found.form.without(found.essential_term(net))
    verdict = certify(net, compile_transformer(forms.lattice_network(wrong), domain), domain)
    assert verdict.word == "DIFFERENT"
    x = verdict.counterexample.x
    assert wrong(x) == verdict.counterexample.outputs[1][0] != evaluate(net, x)[0]
    path = tmp_path / "wrong.json.gz"
    write_certificate(certificate(verdict.refinement, Different.of(verdict.refinement)), path)
    assert "differ on" in check(load(path))


def test_minimal_sets_merge_duplicates_and_drop_supersets():
    assert forms.minimal_sets([(0, 1), (0, 1, 2), (2,), (0, 1), (1, 3)]) == [(0, 1), (2,), (1, 3)]


def test_the_wang_sun_form_of_a_line_network_equals_it():
    net = random_relu(1, [8, 8], seed=7)
    form = forms.wang_sun_of_line_network(net, -1, 1)
    assert all(len(pieces) <= 2 for _, pieces in form.terms)
    for x in rational_points(1, 60, seed=5, half_width=1):
        assert form(x) == evaluate(net, x)[0]


def test_the_build_certifies_its_forms_and_the_control_at_a_reduced_size(tmp_path):
    """The build's own path on one hand-made function and two random networks: every form VERIFIED with the stated
    sizes, and the control DIFFERENT (the checker evaluates both networks at the differing cells' points)."""
    spec = importlib.util.spec_from_file_location("proof_cpwl_forms_build", FOLDER / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules["proof_cpwl_forms_build"] = build
    spec.loader.exec_module(build)
    verdict, outcomes, control = build.build(build.HAND_MADE[:1], ((1, (4,), 0), (2, (4,), 3)), tmp_path / "build")
    assert verdict == "VERIFIED"
    assert [(o.instance.form, o.instance.d) for o in outcomes] == \
        [("Wang-Sun", 1), ("lattice", 1), ("Wang-Sun", 1), ("lattice", 1), ("lattice", 2)]
    assert all(o.verified and o.conclusion.startswith("the networks are equal everywhere") for o in outcomes)
    assert control.certified and "differ on" in control.conclusion
    assert (tmp_path / "build" / "report.md").exists() and (tmp_path / "build" / "summary.json").exists()
