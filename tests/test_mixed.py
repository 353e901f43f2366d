"""Mixed domains (discrete symbols times a polytope): loading, specialization, certify per case, the certificate
and its checker, and one message per kind of bad domain file."""
import copy
import json
import random
import re
from fractions import Fraction as F
from itertools import product

import pytest
from evaluator import run

from polyreg import evaluate
from polyreg.analysis.cases import certify_mixed
from polyreg.certificates.write import mixed_certificate
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.formats.json_files import load_domain, load_mixed_domain, network_to_json, save_network
from polyreg.geometry.domains import DiscreteGroup, MixedDomain
from polyreg.geometry.polyhedron import box
from polyreg.network.ir import Attention, Block, Dense, Head, Maxout, Mlp, Relu, Transformer
from polyreg.network.rewrite import specialize
from polyreg_check import Reject, check

ONE_HOT = tuple(tuple(F(int(i == k)) for i in range(3)) for k in range(3))


def matrix(rows):
    return tuple(tuple(F(v) for v in row) for row in rows)


def vector(values):
    return tuple(F(v) for v in values)


# Pure discrete: 3 tokens, each a symbol of Z_3 one-hot encoded in coordinates 3t, 3t+1, 3t+2.

def match_transformer():
    """``[s_0 in {s_1, s_2}]``: token 0 scores key j by ``<s_0, s_j>`` (minus 1/2 for itself) and reads the flag
    "not token 0" of the winners. Renaming the symbols does not change the output."""
    width = 5                                   # slots: symbol (3), flag "not token 0", output
    embed = tuple(matrix([[int(i == 3 * t + c) for c in range(3)] + [0, 0] for i in range(9)]) for t in range(3))
    positions = matrix([[0, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 1, 0]])
    symbol = matrix([[int(r == c) for c in range(3)] for r in range(width)])
    head = Head(query=symbol, key=symbol, value=matrix([[int(r == 3)] for r in range(width)]),
                output=matrix([[0, 0, 0, 0, 1]]), score_bias=matrix([[-F(1, 2), 0, 0], [0, 0, 0], [0, 0, 0]]))
    return Transformer(9, 3, width, embed, positions, (Block(Attention((head,)), None),),
                       (matrix([[0], [0], [0], [0], [1]]), None, None), vector([0]))


def match_mlp(second=2):
    """``[s_0 in {s_1, s_second}]`` on one-hot symbols: per symbol k, with ``t = 2 s_0k + s_1k + s_2k``,
    ``relu(t - 2) - relu(t - 3)`` is 1 iff token 0 has symbol k and another token does too."""
    weight = []
    for offset in (-2, -3):
        for k in range(3):
            row = [0] * 9
            row[k], row[3 + k] = 2, 1
            row[3 * second + k] += 1
            weight.append(row)
    return Mlp(9, (Dense(matrix(weight), vector([-2] * 3 + [-3] * 3)), Relu(),
                   Dense(matrix([[1, 1, 1, -1, -1, -1]]), vector([0]))))


def symbols_domain():
    return MixedDomain(9, tuple(DiscreteGroup((3 * t, 3 * t + 1, 3 * t + 2), ONE_HOT) for t in range(3)), (), None)


# Mixed: one symbol in coordinates 0..2 selects the output, x_3 and x_4 range over [-1, 1]^2.

def selector_mlp(scale=2, last=1):
    """``x_3`` for symbol 0, ``x_4`` for symbol 1, ``max(x_3, x_4)`` for symbol 2, by ReLU gates ``relu(+-x + M s - M)``
    (``M = scale``); ``last`` scales the term ``relu(x_3 - x_4)`` of symbol 2."""
    M, gates = scale, []
    for sign, coordinate, symbols in ((1, 3, (0,)), (-1, 3, (0,)), (1, 4, (1, 2)), (-1, 4, (1, 2))):
        row = [0] * 5
        row[coordinate] = sign
        for s in symbols:
            row[s] = M
        gates.append((row, -M))
    gates.append(([0, 0, 2 * M, 1, -1], -2 * M))
    weight, bias = matrix([row for row, _ in gates]), vector([c for _, c in gates])
    return Mlp(5, (Dense(weight, bias), Relu(), Dense(matrix([[1, -1, 1, -1, last]]), vector([0]))))


def selector_reference():
    """The same function written per symbol, with other gate constants and one gate per (sign, symbol)."""
    gates = []
    for coordinate, s in ((3, 0), (4, 1), (4, 2)):
        for sign in (1, -1):
            row = [0] * 5
            row[coordinate], row[s] = sign, 3
            gates.append((row, -3))
    gates.append(([0, 0, 3, 1, -1], -3))
    weight, bias = matrix([row for row, _ in gates]), vector([c for _, c in gates])
    readout = Dense(matrix([[1, -1, 1, -1, 1, -1, 1]]), vector([0]))
    return Mlp(5, (Maxout(1), Dense(weight, bias), Relu(), readout))   # Maxout(1) is the identity


def selector_domain():
    return MixedDomain(5, (DiscreteGroup((0, 1, 2), ONE_HOT),), (3, 4), box(2, -1, 1))


def selector_domain_json():
    return {"format": "polyreg.mixed-domain/1", "input_dim": 5,
            "discrete": [{"coordinates": [0, 1, 2], "values": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}],
            "continuous": {"coordinates": [3, 4], "A": [[-1, 0], [1, 0], [0, -1], [0, 1]], "b": [1, 1, 1, "1.0"]}}


def selector_certificate():
    a, b, domain = selector_mlp(), selector_reference(), selector_domain()
    return mixed_certificate(certify_mixed(a, b, domain), a, b, domain)


@pytest.fixture(scope="module")
def selector_cert():
    return selector_certificate()


def test_the_match_transformer_and_the_mlp_compute_membership_on_every_symbol_triple():
    t, m = match_transformer(), match_mlp()
    for s in product(range(3), repeat=3):
        z = [c for k in s for c in ONE_HOT[k]]
        assert evaluate(t, z) == evaluate(m, z) == (F(int(s[0] in s[1:])),)


def test_pure_discrete_pair_is_equivalent_and_its_certificate_verifies():
    t, m, domain = match_transformer(), match_mlp(), symbols_domain()
    verdict = certify_mixed(t, m, domain)
    assert verdict.word == "EQUIVALENT" and len(verdict.cases) == 27 and verdict.cells == 27
    cert = mixed_certificate(verdict, t, m, domain)
    assert cert["cases"][0] == {"domain": {"rows": [], "point": []}, "order": cert["cases"][0]["order"],
                                "tree": {"leaf": []}}
    assert check(cert) == "the networks are equal everywhere on the domain (27 discrete cases)"


def test_pure_discrete_difference_is_confirmed_by_the_separate_evaluator():
    t, m, domain = match_transformer(), match_mlp(second=1), symbols_domain()   # m: [s_0 == s_1] only
    verdict = certify_mixed(t, m, domain)
    assert verdict.word == "DIFFERENT" and verdict.differing_cells == 6   # s_0 = s_2 != s_1
    w = verdict.counterexample
    assert [run(network_to_json(net), w.x) for net in (t, m)] == list(map(list, w.outputs))
    assert w.outputs[0] != w.outputs[1] and w.x == (1, 0, 0, 0, 1, 0, 1, 0, 0)   # first differing case in order
    assert check(mixed_certificate(verdict, t, m, domain)) == "the networks differ on 6 of 27 discrete cases"


def test_mixed_pair_is_equivalent_and_its_certificate_verifies(selector_cert):
    verdict = certify_mixed(selector_mlp(), selector_reference(), selector_domain())
    assert verdict.word == "EQUIVALENT" and len(verdict.cases) == 3
    assert all(case.cells >= 1 and case.differing_cells == 0 for case in verdict.cases) and verdict.cells > 3
    assert check(copy.deepcopy(selector_cert)) == (f"the networks are equal everywhere on the domain "
                                                   f"({verdict.cells} cells in 3 discrete cases)")


def test_a_perturbed_pair_differs_at_a_full_input_confirmed_on_the_original_networks():
    a, b, domain = selector_mlp(last=F(1, 2)), selector_reference(), selector_domain()
    verdict = certify_mixed(a, b, domain)
    assert verdict.word == "DIFFERENT" and verdict.differing_cases == 1
    w = verdict.counterexample
    assert len(w.x) == 5 and w.x[:3] == (0, 0, 1) and all(-1 <= v <= 1 for v in w.x[3:])
    assert [run(network_to_json(net), w.x) for net in (a, b)] == list(map(list, w.outputs))
    assert w.outputs[0] != w.outputs[1] and verdict.distance == w.difference == F(1)
    assert check(mixed_certificate(verdict, a, b, domain)).startswith(
        f"the networks differ on {verdict.differing_cells} of {verdict.cells} cells in 3 discrete cases")


def test_specialize_substitutes_the_fixed_coordinates_exactly():
    rng = random.Random(3)
    first_not_linear = Mlp(3, (Relu(), Dense(matrix([[1, -2, 3], [0, 1, 1]]), vector([1, 0]))))
    networks = [(first_not_linear, {1: F(-1, 3)}, (0, 2)), (selector_mlp(), {0: 0, 1: 1, 2: 0}, (3, 4)),
                (match_transformer(), dict(zip(range(3), ONE_HOT[2])), tuple(range(3, 9)))]
    for net, fixed, free in networks:
        special = specialize(net, fixed, free)
        assert special.input_dim == len(free)
        for _ in range(5):
            x = [F(rng.randint(-9, 9), rng.randint(1, 5)) for _ in free]
            z = [fixed[i] if i in fixed else x[free.index(i)] for i in range(net.input_dim)]
            assert evaluate(special, x) == evaluate(net, z)


def rejected(cert):
    with pytest.raises(Reject) as info:
        check(cert)
    return str(info.value)


def test_a_missing_case_is_rejected(selector_cert):
    cert = copy.deepcopy(selector_cert)
    cert["cases"].pop()
    assert rejected(cert) == "cases: expected one case per assignment of the discrete values (3)"


def test_swapped_cases_are_rejected(selector_cert):
    for i, j in ((0, 1), (1, 2), (0, 2)):
        cert = copy.deepcopy(selector_cert)
        cert["cases"][i], cert["cases"][j] = cert["cases"][j], cert["cases"][i]
        assert rejected(cert)


def test_a_changed_assignment_list_is_rejected(selector_cert):
    values = selector_cert["discrete"][0]["values"]
    for changed in (values[:2], [values[1], values[0], values[2]], [values[0], values[1], ["1", "1", "0"]]):
        cert = copy.deepcopy(selector_cert)
        cert["discrete"][0]["values"] = changed
        assert rejected(cert)
    cert = copy.deepcopy(selector_cert)
    cert["free"] = [4, 3]                               # the free coordinates exchanged
    assert rejected(cert)


def test_counts_are_not_claimed_over_a_mixed_domain(selector_cert):
    cert = copy.deepcopy(selector_cert)
    cert["claim"] = {"kind": "counts", "cells": cert["claim"]["cells"], "activation_regions": 1, "affine_maps": 1}
    assert rejected(cert) == "claim: counts claims are not certified over discrete cases"


def write(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


@pytest.fixture
def selector_files(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_network(selector_mlp(), a)
    save_network(selector_reference(), b)
    return str(a), str(b)


def test_cli_certifies_over_a_mixed_domain_and_the_certificate_checks(tmp_path, selector_files, capsys):
    domain, cert = write(tmp_path / "mixed.json", selector_domain_json()), str(tmp_path / "cert.json.gz")
    assert main(["certify", *selector_files, "--domain", domain, "--certificate", cert]) == 0
    out = capsys.readouterr().out
    assert out.startswith("EQUIVALENT\n") and "discrete cases: 3; cells: " in out
    assert main(["check", cert]) == 0 and "VERIFIED: the networks are equal everywhere" in capsys.readouterr().out
    assert load_mixed_domain(domain) == selector_domain()
    assert main(["count", selector_files[0], "--domain", domain]) == 2
    assert "is taken by `polyreg certify A B` only" in capsys.readouterr().err
    assert main(["certify", selector_files[0], "--domain", domain]) == 2
    assert "over a mixed domain, certify compares two networks; give A and B" in capsys.readouterr().err


def test_cli_reports_a_difference_with_the_full_input(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_network(selector_mlp(last=F(1, 2)), a)
    save_network(selector_reference(), b)
    domain = write(tmp_path / "mixed.json", selector_domain_json())
    assert main(["certify", str(a), str(b), "--domain", domain, "--json"]) == 10
    result = json.loads(capsys.readouterr().out)
    assert result["discrete_cases"] == 3 and result["differing_cases"] == 1
    x = [F(v) for v in result["counterexample"]["x"]]
    assert len(x) == 5 and run(json.loads(a.read_text()), x) != run(json.loads(b.read_text()), x)


def broken(change):
    obj = selector_domain_json()
    change(obj)
    return obj


BAD_DOMAINS = [
    (r"field 'input_dim' is 0; expected a positive integer", lambda d: d.update(input_dim=0)),
    (r"field 'discrete' must be a list", lambda d: d.update(discrete={})),
    (r"discrete\[0\]: expected an object$", lambda d: d["discrete"].__setitem__(0, 1)),
    (r"discrete\[0\]: unknown field 'weights' \(a discrete group has coordinates, values\)",
     lambda d: d["discrete"][0].update(weights=[1])),
    (r"continuous: missing field 'b'", lambda d: d["continuous"].pop("b")),
    (r"discrete\[0\], field 'coordinates': got \[0, 1, 5\]; expected a non-empty list of input coordinates",
     lambda d: d["discrete"][0].update(coordinates=[0, 1, 5])),
    (r"discrete\[0\], field 'coordinates': \[1\] listed more than once",
     lambda d: d["discrete"][0].update(coordinates=[0, 1, 1])),
    (r"discrete\[0\], field 'values': expected a non-empty list of value vectors, got \[\]",
     lambda d: d["discrete"][0].update(values=[])),
    (r"discrete\[0\], values\[1\]: has 2 entries; expected 3, one per coordinate of the group",
     lambda d: d["discrete"][0]["values"].__setitem__(1, [0, 1])),
    (r"discrete\[0\], values\[2\]\[0\]: got bool True", lambda d: d["discrete"][0]["values"][2].__setitem__(0, True)),
    (r"coordinate 2 is in both discrete\[0\] and continuous",
     lambda d: d["continuous"].update(coordinates=[2, 4])),
    (r"input coordinates \[4\] are in no discrete group and not in 'continuous'",
     lambda d: d.pop("continuous") and d["discrete"].append({"coordinates": [3], "values": [[0]]})),
    (r"continuous: expected an object", lambda d: d.update(continuous=[3, 4])),
    (r"continuous: 'A' has 4 rows but 'b' has 3 entries", lambda d: d["continuous"]["b"].pop()),
    (r"continuous, field 'A': every row must have 2 entries", lambda d: d["continuous"]["A"][0].append(0)),
    (r"field 'continuous' \(x_k is its k-th coordinate\): the domain is unbounded",
     lambda d: d["continuous"].update(A=[[1, 0], [-1, 0], [0, 1]], b=[1, 1, 1])),
    (r"field 'continuous' \(x_k is its k-th coordinate\): the domain is lower-dimensional",
     lambda d: d["continuous"].update(b=[0, 0, 1, 1])),
    (r"field 'format' is 'polyreg.mixed-domain/2'", lambda d: d.update(format="polyreg.mixed-domain/2")),
]


def test_each_domain_file_error_has_its_own_message_and_exit_code_2(tmp_path, selector_files, capsys):
    messages = []
    for k, (pattern, change) in enumerate(BAD_DOMAINS):
        path = write(tmp_path / f"bad{k}.json", broken(change))
        assert main(["certify", *selector_files, "--domain", path]) == 2, pattern
        err = capsys.readouterr().err
        assert re.search(pattern, err) and path in err, (pattern, err)
        messages.append(err)
    assert len(set(messages)) == len(messages)


def test_load_domain_refuses_a_mixed_domain_with_a_pointer_to_certify(tmp_path):
    path = write(tmp_path / "mixed.json", selector_domain_json())
    with pytest.raises(Exception, match="is taken by certify only"):
        load_domain(path)


def test_a_compiled_transformer_is_certified_against_the_reference_over_the_mixed_domain():
    """Transformer cases go through ``specialize`` (positions) in the producer and ``start(fixed)`` in the checker."""
    hull = box(5, [0, 0, 0, -1, -1], [1, 1, 1, 1, 1])
    t, b, domain = compile_transformer(selector_mlp(), hull), selector_reference(), selector_domain()
    verdict = certify_mixed(t, b, domain)
    assert verdict.word == "EQUIVALENT"
    assert check(mixed_certificate(verdict, t, b, domain)).startswith("the networks are equal everywhere")


def test_cases_certified_in_two_processes_give_the_same_certificate():
    """With ``jobs`` the cases are certified in worker processes and put back in product order."""
    for a in (selector_mlp(), selector_mlp(last=F(1, 2))):
        b, domain = selector_reference(), selector_domain()
        one, two = (certify_mixed(a, b, domain, jobs=jobs) for jobs in (1, 2))
        assert json.dumps(mixed_certificate(one, a, b, domain)) == json.dumps(mixed_certificate(two, a, b, domain))
        assert two.counterexample == one.counterexample and two.distance == one.distance
        assert check(mixed_certificate(two, a, b, domain)) == check(mixed_certificate(one, a, b, domain))
    t, m = match_transformer(), match_mlp()
    domain = MixedDomain(9, tuple(DiscreteGroup(tuple(range(3 * k, 3 * k + 3)), ONE_HOT) for k in range(3)), (), None)
    one, two = (certify_mixed(t, m, domain, split_outputs=True, jobs=jobs) for jobs in (1, 2))
    assert json.dumps(mixed_certificate(one, t, m, domain)) == json.dumps(mixed_certificate(two, t, m, domain))
