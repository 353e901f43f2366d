"""The certificate checker: valid certificates verify with the closed-form counts, and tampered
ones are rejected."""
import ast
import copy
import hashlib
import json
import random
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest
from mutations import preorder as nodes
from oracles import zaslavsky
from test_closed_forms import general_position_inside_box, one_layer_net

import polyreg_check
from polyreg import Dense, DiscreteGroup, MixedDomain, Mlp, Relu, box, certify_mixed, lower
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Counts, Equivalent
from polyreg.certificates.write import canonical_hash, certificate, mixed_certificate, write_certificate
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.network.families import random_maxout, random_relu, sawtooth, zigzag
from polyreg_check import Reject, check

STDLIB = {"collections", "concurrent", "contextlib", "copy", "fractions", "functools", "gc", "gzip", "hashlib",
          "importlib", "itertools", "json", "math", "multiprocessing", "operator", "os", "re", "reprlib", "sys", "time",
          "zlib"}


def test_the_checker_imports_only_the_standard_library():
    """Every module of polyreg_check imports the standard library (these modules) and its siblings only."""
    for path in (Path(__file__).parent.parent / "polyreg_check").glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.level == 0}
        assert imported <= STDLIB, path.name


def count_certificate(net, domain):
    cpwl = lower(net, domain)
    return certificate(cpwl, Counts.of(cpwl))


@pytest.mark.parametrize("L", [1, 4, 7])
def test_sawtooth_count_certificate_verifies_with_2_to_the_L_cells(L):
    assert check(count_certificate(sawtooth(L), box(1, 0, 1))).startswith(f"cells {2 ** L},")


def test_zigzag_and_arrangement_certificates_verify_the_closed_forms():
    assert check(count_certificate(zigzag([3, 2, 4]), box(1, 0, 1))).startswith("cells 24,")
    rng = random.Random(1)    # 9 lines on the moment curve, in general position in the box (as in test_closed_forms)
    normals = [(F(1), F(t)) for t in range(-4, 5)]
    offsets = [F(rng.randint(-1000, 1000), 10 ** 6) for _ in range(9)]
    assert general_position_inside_box(normals, offsets, 2)
    cert = count_certificate(one_layer_net(normals, offsets), box(2, -1, 1))
    assert check(cert).startswith(f"cells {zaslavsky(9, 2)}, activation_regions {zaslavsky(9, 2)},")


def equivalence_certificate(net, lo=-1, hi=1):
    domain = box(net.input_dim, lo, hi)
    verdict = certify(net, compile_transformer(net, domain), domain)
    return certificate(verdict.refinement, Equivalent.of(verdict.refinement))


@pytest.fixture(scope="module")
def valid():
    return equivalence_certificate(random_maxout(2, [3, 2], 3, seed=1))


def test_compiled_transformer_certificates_verify(valid):
    assert check(valid).startswith("the networks are equal everywhere")
    assert check(equivalence_certificate(random_relu(2, [4, 3], seed=2))).startswith("the networks are equal")


def rejected(cert):
    with pytest.raises((Reject, KeyError, TypeError, ValueError, IndexError)):
        check(cert)
    return True


def test_every_changed_multiplier_is_rejected(valid):
    count = 0
    for i, prune in enumerate(nodes(valid["tree"], "prune")[:40]):
        for k in range(len(prune["prune"])):
            cert = copy.deepcopy(valid)
            nodes(cert["tree"], "prune")[i]["prune"][k][1] += 1
            assert rejected(cert)
            count += 1
    assert count >= 40


def test_leaf_points_of_other_cells_and_non_canonical_numbers_are_rejected(valid):
    leaves = nodes(valid["tree"], "leaf")
    for i in range(len(leaves)):
        cert = copy.deepcopy(valid)
        nodes(cert["tree"], "leaf")[i]["leaf"] = leaves[(i + 1) % len(leaves)]["leaf"]
        assert rejected(cert)
    for spelling in ("2/4", "+1", "1.0", "0x1", 0.5, True):
        cert = copy.deepcopy(valid)
        nodes(cert["tree"], "leaf")[0]["leaf"][0] = spelling
        assert rejected(cert)


def test_dropped_and_reordered_children_are_rejected(valid):
    for i, split in enumerate(nodes(valid["tree"], "split")[:30]):
        present = [k for k, child in enumerate(split["split"]) if child is not None]
        cert = copy.deepcopy(valid)
        nodes(cert["tree"], "split")[i]["split"][present[0]] = None
        assert rejected(cert)
        cert = copy.deepcopy(valid)
        children = nodes(cert["tree"], "split")[i]["split"]
        children[present[0]], children[present[1]] = children[present[1]], children[present[0]]
        assert rejected(cert)
        cert = copy.deepcopy(valid)
        del nodes(cert["tree"], "split")[i]["split"][present[0]]
        assert rejected(cert)


def test_changed_weights_domains_and_claims_are_rejected(valid):
    cert = copy.deepcopy(valid)
    readout = cert["networks"][0]["network"]["layers"][-1]
    readout["bias"][0] = "7/3"
    assert rejected(cert)                                      # the hash no longer matches
    cert["networks"][0]["sha256"] = canonical_hash(cert["networks"][0]["network"])
    assert rejected(cert)                                      # hash fixed: the maps differ
    cert = copy.deepcopy(valid)
    cert["domain"]["rows"][1][0] = 3                           # x_0 <= 3: the gate is too small there
    assert rejected(cert)
    for key, value in (("cells", valid["claim"]["cells"] + 1), ("kind", "counts"), ("everywhere", False)):
        cert = copy.deepcopy(valid)
        cert["claim"][key] = value
        if key == "everywhere":      # claiming less than was proved is allowed
            assert check(cert).startswith("the networks are equal almost everywhere")
        else:
            assert rejected(cert)
    cert = copy.deepcopy(valid)
    cert["order"] = cert["order"][1:] + cert["order"][:1]
    assert rejected(cert)


def test_a_thin_prune_may_not_use_a_row_with_zero_normal():
    cert = count_certificate(random_relu(2, [3], seed=0), box(2, -1, 1))
    cert["domain"]["rows"].append([0, 0, 0])                   # 0 >= 0: true everywhere
    j = len(cert["domain"]["rows"]) - 1
    split = nodes(cert["tree"], "split")[0]
    split["split"][0] = {"prune": [[[-1, j, -1], 1]], "empty": False}
    with pytest.raises(Reject, match="zero normal"):
        check(cert)


def test_cli_check_exit_codes(tmp_path, capsys):
    good = tmp_path / "c.json.gz"
    write_certificate(count_certificate(sawtooth(3), box(1, 0, 1)), good)
    assert main(["check", str(good)]) == 0
    assert capsys.readouterr().out.startswith("VERIFIED: cells 8,")
    bad = copy.deepcopy(count_certificate(sawtooth(3), box(1, 0, 1)))
    bad["claim"]["cells"] = 9
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().out.startswith("NOT VERIFIED: the claimed counts are wrong")
    path.write_text("{not json")
    assert main(["check", str(path)]) == 2


def test_single_mutations_are_rejected_unless_the_claim_still_holds():
    from mutations import example_certificate, outcomes
    table = outcomes(example_certificate(), per_kind=6)
    assert len(table) == 11
    for kind, (total, rejected_count, justified, unjustified) in table.items():
        assert total > 0 and unjustified == 0, kind
        assert rejected_count + justified == total


def test_every_change_to_the_facet_witnesses_or_the_linear_regions_is_rejected():
    from mutations import example_count_certificate, outcomes
    table = outcomes(example_count_certificate())
    assert set(table) == {"adjacency witness dropped", "adjacency witness, another cell",
                          "adjacency point moved by 1/100", "claimed linear regions"}
    assert all(rejected_count == total > 0 for total, rejected_count, _, _ in table.values())


def test_every_change_to_the_separations_or_the_parts_is_rejected():
    from mutations import example_parts_certificate, example_separation_certificate, outcomes
    separations = outcomes(example_separation_certificate(), per_kind=8)
    parts = outcomes(example_parts_certificate())
    assert set(separations) == {"separation dropped", "separation multiplier + 1", "separation, another cell",
                                "claimed linear regions (separations)"}
    assert set(parts) == {"part varies no group", "parts' outputs swapped", "part's cases reversed"}
    assert all(rejected_count == total > 0 for total, rejected_count, _, _ in [*separations.values(), *parts.values()])


def test_semantic_rejections_of_transformer_certificates():
    from test_certify import duplicated_and_dominated
    from test_transformers import max_head_transformer, quadratic_transformer

    from polyreg.formats.json_files import network_to_json
    # a child where the checker finds no candidate (a dominated maxout piece)
    cert = count_certificate(duplicated_and_dominated(), box(2, -1, 1))
    split = next(s for s in nodes(cert["tree"], "split") if None in s["split"])
    split["split"][split["split"].index(None)] = {"prune": [], "empty": True}
    with pytest.raises(Reject, match="is not a candidate"):
        check(cert)
    # scores that are not affine, and a query that may attend to no key
    cert = count_certificate(max_head_transformer(0), box(1, -1, 1))
    for change in ("quadratic", "mask"):
        bad = copy.deepcopy(cert)
        if change == "quadratic":
            net = network_to_json(quadratic_transformer(), dense=True)
        else:
            net = bad["networks"][0]["network"]
            net["blocks"][0]["attention"]["heads"][0]["mask"] = [[0, 0], [1, 1]]
        bad["networks"][0] = {"network": net, "sha256": canonical_hash(net)}
        with pytest.raises(Reject, match="score not affine" if change == "quadratic" else "attends to no key"):
            check(bad)


def test_a_head_that_is_not_tie_safe_cannot_be_claimed_equal_everywhere():
    from test_certify import not_tie_safe_transformer
    step = not_tie_safe_transformer()
    verdict = certify(step, step, box(1, -1, 1))
    cert = certificate(verdict.refinement, Equivalent.of(verdict.refinement))
    assert check(cert).startswith("the networks are equal almost everywhere")
    cert["claim"]["everywhere"] = True
    with pytest.raises(Reject, match="not tie-safe"):
        check(cert)


def test_a_different_certificate_verifies_and_the_producer_section_is_not_read(tmp_path, capsys):
    from evaluator import run
    original = Path(__file__).parent.parent / "examples" / "maxout_2x3x3.json"
    net = json.loads(original.read_text())
    net["layers"][-1]["bias"][0] = str(F(str(net["layers"][-1]["bias"][0])) + F(1, 10))
    perturbed, compiled, cert_path = tmp_path / "a.json", tmp_path / "t.json", tmp_path / "c.json"
    perturbed.write_text(json.dumps(net))
    assert main(["compile", str(original), "--box", "-1", "1", "-o", str(compiled)]) == 0
    assert main(["certify", str(perturbed), str(compiled), "--box", "-1", "1", "--certificate", str(cert_path)]) == 10
    capsys.readouterr()
    cert = json.loads(cert_path.read_text())
    assert check(cert).startswith(f"the networks differ on {cert['claim']['differing']} of {cert['claim']['cells']}")
    witness = cert["producer"]["counterexample"]["x"]
    assert run(net, witness) != run(json.loads(compiled.read_text()), witness)
    assert cert["producer"]["inputs"][0]["sha256"] == hashlib.sha256(perturbed.read_bytes()).hexdigest()
    cert["producer"] = {"seconds": -1, "anything": "unchecked"}
    assert check(cert).startswith("the networks differ")
    for change in ({"differing": cert["claim"]["differing"] + 1}, {"kind": "equivalent", "everywhere": False}):
        bad = copy.deepcopy(cert)
        bad["claim"].update(change)
        assert rejected(bad)
    bad = copy.deepcopy(cert)
    bad["note"] = "an unknown field"
    with pytest.raises(Reject, match="unknown certificate fields"):
        check(bad)


def test_a_different_claim_about_equal_networks_is_rejected(valid):
    cert = copy.deepcopy(valid)
    cert["claim"] = {"kind": "different", "cells": valid["claim"]["cells"], "differing": 0}
    with pytest.raises(Reject, match="no cell where the maps differ"):
        check(cert)


def relu_minus_itself():
    from polyreg import Dense, Mlp, Relu
    return Mlp(1, (Dense(((F(1),), (F(1),)), (F(0), F(0))), Relu(), Dense(((F(1), F(-1)),), (F(0),))))


def test_linear_regions_are_certified_by_facet_witnesses():
    cert = count_certificate(relu_minus_itself(), box(1, -1, 1))     # 0 on two cells: one linear region
    assert check(cert) == "cells 2, activation_regions 2, affine_maps 1, linear_regions 1"
    assert [w[2] for w in cert["adjacency"]] == [["0"]]
    for change in ("drop", "outside", "inside a cell", "self"):
        bad = copy.deepcopy(cert)
        if change == "drop":
            bad["adjacency"] = []
        elif change == "self":
            bad["adjacency"][0][1] = bad["adjacency"][0][0]
        else:
            bad["adjacency"][0][2] = ["2"] if change == "outside" else ["1/2"]
        assert rejected(bad)
    bad = copy.deepcopy(cert)
    del bad["claim"]["linear_regions"]
    with pytest.raises(Reject, match="adjacency or separations are given but not used"):
        check(bad)


def test_merges_in_four_dimensions_verify_and_a_cell_with_another_map_cannot_be_merged():
    cpwl = lower(random_relu(4, [8, 8], seed=0), box(4, -1, 1))
    cert = certificate(cpwl, Counts.of(cpwl))
    assert len(cert["adjacency"]) == len(cpwl.cells) - cert["claim"]["affine_maps"] > 0
    assert check(cert).endswith(f"linear_regions {cert['claim']['affine_maps']}")
    teeth = count_certificate(sawtooth(2), box(1, 0, 1))
    assert check(teeth).endswith("linear_regions 4")
    bad = copy.deepcopy(teeth)
    bad["claim"]["linear_regions"] = 3
    bad["adjacency"] = [[0, 1, ["1/4"]]]                       # the first two teeth meet at 1/4, with other maps
    with pytest.raises(Reject, match="different maps"):
        check(bad)


def test_linear_regions_of_a_map_with_two_regions_are_certified_by_separations():
    """The tent x -> relu(x) - 2 relu(x - 1/3) + relu(x - 2/3) on [-1, 1]^2 is 0 on two strips (4 linear regions,
    3 maps, test_closed_forms): the strips' cells carry a separation; without it, or with a wrong one, the count is
    refused."""
    from polyreg import Dense, Mlp, Relu
    tent = (Dense(((F(1), F(0)), (F(1), F(0)), (F(1), F(0)), (F(0), F(1))), (F(0), F(-1, 3), F(-2, 3), F(0))), Relu())
    cpwl = lower(Mlp(2, tent + (Dense(((F(1), F(-2), F(1), F(0)),), (F(0),)),)), box(2, -1, 1))
    cert = certificate(cpwl, Counts.of(cpwl))
    assert check(copy.deepcopy(cert)).endswith("affine_maps 3, linear_regions 4")
    assert len(cert["separations"]) >= 1
    bad = copy.deepcopy(cert)
    bad["separations"] = []
    with pytest.raises(Reject, match="in different groups but no separation"):
        check(bad)
    bad = copy.deepcopy(cert)
    proof = bad["separations"][0][2]
    terms = proof.get("empty") or proof["tight"][0]
    terms[0][2] += 1                                            # one multiplier changed
    with pytest.raises(Reject, match="does not sum"):
        check(bad)
    bad = copy.deepcopy(cert)
    bad["claim"]["linear_regions"] = 3
    with pytest.raises(Reject, match="claimed counts are wrong"):
        check(bad)


def test_a_quadratic_score_is_refused_even_when_one_key_makes_it_vanish():
    """Query x, keys x and 0: the scores x^2 and 0 tie only at x = 0, so the head is not a fixed average."""
    head = {"query": [[1]], "key": [[1]], "value": [[1]], "output": [[1]]}
    t = {"format": "polyreg.transformer/1", "input_dim": 1, "tokens": 2, "width": 1,
         "embedding": {"E_per_token": [[[1]], [[0]]], "positions": [[0], [0]]},
         "blocks": [{"attention": {"residual": False, "heads": [head]}}],
         "readout": {"token": 0, "weight": [[1]], "bias": [0]}}
    half = {"format": "polyreg.network/1", "input_dim": 1, "layers": [{"type": "linear", "weight": [["1/2"]],
                                                                       "bias": [0]}]}
    cert = {"format": "polyreg.certificate/1", "claim": {"kind": "equivalent", "everywhere": True, "cells": 1},
            "networks": [{"network": n, "sha256": canonical_hash(n)} for n in (t, half)],
            "domain": {"rows": [[1, 1], [1, -1]], "point": ["1/2"]}, "order": [[0, 0]], "tree": {"leaf": ["1/2"]}}
    with pytest.raises(Reject, match="score not affine"):
        check(cert)


def test_a_deeply_nested_certificate_loads(tmp_path, capsys):
    tree = {"leaf": ["1/2"]}
    for _ in range(5000):
        tree = {"split": [tree, None]}
    path = tmp_path / "deep.json"
    write_certificate({"format": "polyreg.certificate/1", "tree": tree}, path)
    assert polyreg_check.main([str(path)]) == 2      # parsed; then it lacks a claim
    assert "malformed certificate: certificate: missing field 'claim'" in capsys.readouterr().out


REFUSE_QUICKLY = """
import json, sys
from polyreg_check import Malformed, check
try:
    check(json.loads(sys.stdin.read()))
except Malformed as err:
    print(err)
"""


def refusal(cert):
    """The checker's refusal of ``cert`` in a fresh process that must end within 60 s (a hang fails the test)."""
    out = subprocess.run([sys.executable, "-c", REFUSE_QUICKLY], input=json.dumps(cert), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_number_with_a_huge_exponent_is_refused_by_its_spelling(valid):
    cert = copy.deepcopy(valid)
    cert["domain"]["point"][0] = "1e999999999"
    assert "'1e999999999' is not a number" in refusal(cert)


def test_forty_two_valued_groups_are_refused_before_their_two_to_the_forty_cases_are_listed():
    """A 41-input net over one group of 40 coordinates (two values) times [0, 1], its certificate then claiming 40
    two-valued groups of one coordinate each."""
    net = Mlp(41, (Dense(((1,) * 41,), (0,)), Relu()))
    domain = MixedDomain(41, (DiscreteGroup(tuple(range(40)), ((0,) * 40, (1,) * 40)),), (40,), box(1, 0, 1))
    cert = mixed_certificate(certify_mixed(net, net, domain), net, net, domain)
    cert["discrete"] = [{"coordinates": [i], "values": [[0], [1]]} for i in range(40)]
    cert["free"] = [40]
    assert "expected one case per assignment of the discrete values (1099511627776)" in refusal(cert)


def test_verified_names_the_networks_by_sha256_and_the_domain_as_checked(tmp_path, capsys):
    """The lines after VERIFIED come from the checked certificate: a box domain as intervals, any other as its
    inequalities, whatever the producer section says."""
    from polyreg.geometry.polyhedron import polyhedron_from_inequalities
    net = random_relu(2, [3], seed=0)
    for domain, text in [(box(2, 0, F(1, 100)), "x_0 in [0, 1/100], x_1 in [0, 1/100]"),
                         (polyhedron_from_inequalities([[-1, 0], [0, -1], [1, 1]], [0, 0, 1]),
                          "3 inequalities in x_0..x_1: 1*x_0 >= 0; 1*x_1 >= 0; -1*x_0 + -1*x_1 >= -1")]:
        cert = count_certificate(net, domain)
        cert["producer"] = {"domain": "[-1, 1]^2"}
        path = tmp_path / "c.json"
        write_certificate(cert, path)
        assert polyreg_check.main([str(path)]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("VERIFIED: cells ")
        assert out[1] == f"  network 0: polyreg.network/1, sha256 {canonical_hash(cert['networks'][0]['network'])[:16]}"
        assert out[2] == f"  domain: {text}"


def test_deep_values_where_numbers_belong_and_odd_limits_get_exit_2_not_an_internal_error(tmp_path, capsys):
    cert = count_certificate(random_relu(2, [3], seed=0), box(2, -1, 1))
    for change in (lambda c: c["networks"][0]["network"].update(input_dim="DEEP"),
                   lambda c: c["domain"]["point"].__setitem__(0, "DEEP")):
        bad = copy.deepcopy(cert)
        change(bad)
        (tmp_path / "c.json").write_text(json.dumps(bad).replace('"DEEP"', "[" * 3000 + "]" * 3000))
        assert polyreg_check.main([str(tmp_path / "c.json")]) == 2
        assert "malformed certificate" in capsys.readouterr().out
    assert polyreg_check.main(["--max-bytes", "\u00b2", str(tmp_path / "c.json")]) == 2
    assert polyreg_check.main(["--max-bytes", "9" * 5000, str(tmp_path / "c.json")]) == 2


def test_a_mixed_certificate_may_leave_out_its_empty_discrete_groups(tmp_path, capsys):
    domain = box(2, -1, 1)
    verdict = certify(random_relu(2, [3], seed=0), random_relu(2, [3], seed=0), domain)
    plain = certificate(verdict.refinement, Equivalent.of(verdict.refinement))
    mixed = {k: plain[k] for k in ("format", "claim", "networks")}
    mixed.update(free=[0, 1], cases=[{k: plain[k] for k in ("domain", "order", "tree")}])
    write_certificate(mixed, tmp_path / "m.json")
    assert polyreg_check.main([str(tmp_path / "m.json")]) == 0
    assert "discrete: none" in capsys.readouterr().out


def test_the_activation_regions_of_a_counts_certificate_are_the_patterns_found_by_trying_every_one():
    """The checker counts a counts certificate's leaves as its activation regions (two leaves of one tree part where
    they take different options of one unit); trying every pattern (each an exact LP) finds as many, and a claim of
    one fewer is refused."""
    from oracles import brute_force_activation_regions
    nets = (random_relu(2, [4, 4], seed=0), random_maxout(2, [2, 2], rank=3, seed=1), random_relu(3, [4, 2], seed=2))
    for net in nets:
        domain = box(net.input_dim, -1, 1)
        cpwl = lower(net, domain)
        cert = certificate(cpwl, Counts.of(cpwl))
        found = brute_force_activation_regions(net, [tuple(r) for r in cert["domain"]["rows"]])
        assert found > 5 and f"activation_regions {found}," in check(copy.deepcopy(cert))
        cert["claim"]["activation_regions"] = found - 1
        with pytest.raises(Reject, match="the claimed counts are wrong"):
            check(cert)
