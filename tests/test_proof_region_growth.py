"""proofs/04-region-growth: the zigzag construction of Thm P5 (Gu, Yang, Zhou, arXiv 2603.03084, as reconstructed
in the design notes). Its signed maxes equal the closed form of Z_P exactly, and the compiled hard-max
transformers have certified linear-region counts P(h,k)^L."""
import importlib.util
import random
from fractions import Fraction as F
from pathlib import Path

import pytest

from polyreg import box, evaluate, lower
from polyreg.certificates.claims import Counts
from polyreg.certificates.write import certificate
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.formats.json_files import load_network, network_from_json
from polyreg_check import check

FOLDER = Path(__file__).resolve().parent.parent / "proofs" / "04-region-growth"


def proof_module(name):
    """A module of the proof folder, under a name of its own (every proof folder has its own helpers)."""
    spec = importlib.util.spec_from_file_location(f"region_growth_{name}", FOLDER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


zigzag = proof_module("zigzag")
cells = proof_module("cells")
prop_p6 = proof_module("prop_p6")


def test_pieces_formula_is_the_largest_zigzag_that_h_maxes_of_k_pieces_can_write():
    assert [zigzag.pieces_formula(h, k) for h, k in [(1, 2), (2, 2), (1, 3), (2, 3), (3, 3), (3, 2)]] == \
        [2, 3, 2, 5, 6, 4]
    assert all(zigzag.largest_pieces(h, k) == zigzag.pieces_formula(h, k) for h in range(1, 9) for k in range(2, 7))


@pytest.mark.parametrize("h,k", [(1, 2), (2, 2), (1, 3), (2, 3), (3, 3), (3, 2), (2, 4), (4, 3), (5, 4)])
def test_signed_maxes_equal_the_closed_form_of_the_zigzag(h, k):
    P = zigzag.pieces_formula(h, k)
    maxes = zigzag.signed_maxes(P, h, k)
    assert len(maxes) == h and all(len(pieces) == k for _, pieces in maxes)
    assert zigzag.decomposition_mismatches(P, h, k) == []
    assert zigzag.zigzag_value(P, F(1, P)) == 1 and zigzag.zigzag_value(P, F(2, P)) == 0


def test_a_wrong_piece_is_caught_by_the_exact_comparison():
    P, h, k = 5, 2, 3
    sign, pieces = zigzag.signed_maxes(P, h, k)[1]
    wrong = [zigzag.signed_maxes(P, h, k)[0], (sign, pieces[:-1] + ((pieces[-1][0], pieces[-1][1] + F(1, 7)),))]
    points = [F(r, 2 * P) for r in range(2 * P + 1)]
    assert any(zigzag.signed_maxes_value(wrong, y) != zigzag.zigzag_value(P, y) for y in points)


@pytest.mark.parametrize("h,k,L,d", [(1, 2, 3, 1), (2, 3, 2, 2), (3, 3, 2, 1)])
def test_the_network_computes_the_separable_zigzag(h, k, L, d):
    net = zigzag.zigzag_network(h, k, L, d)
    rng = random.Random(h * 100 + k * 10 + L)
    for _ in range(10):
        x = [F(rng.randint(0, 997), 997) for _ in range(d)]
        assert evaluate(net, x) == (zigzag.zigzag_function(h, k, L, x),)


@pytest.mark.parametrize("h,k,L", [(1, 2, 1), (1, 2, 2), (1, 2, 3), (2, 3, 1), (2, 3, 2)])
def test_the_compiled_transformer_has_certified_linear_regions_P_to_the_L(tmp_path, h, k, L):
    path = zigzag.write_zigzag_network(h, k, L, 1, tmp_path / "net.json")
    domain = box(1, 0, 1)
    transformer = compile_transformer(load_network(path), domain)
    assert transformer.tokens == k and len(transformer.blocks) == L + 1
    cpwl = lower(transformer, domain)
    P = zigzag.pieces_formula(h, k)
    assert check(certificate(cpwl, Counts.of(cpwl))).endswith(f"linear_regions {P ** L}")


def test_two_dimensional_linear_regions_are_certified_and_agree_with_the_cells():
    """Maps repeat (12 maps, 16 regions): the checker certifies the count with separations, and the count recomputed
    from its verified cells as polygons (cells.py) agrees."""
    domain = box(2, 0, 1)
    cpwl = lower(compile_transformer(zigzag.zigzag_network(1, 2, 2, 2), domain), domain)
    record = []
    verdict = check(certificate(cpwl, Counts.of(cpwl)), record)
    assert verdict == "cells 16, activation_regions 16, affine_maps 12, linear_regions 16"
    assert cells.linear_regions(record, 2) == 16


def square(x0, y0, x1, y1):
    """The rows of ``[x0, x1] x [y0, y1]`` (integers), ``b + a.x >= 0``."""
    return [(-x0, 1, 0), (x1, -1, 0), (-y0, 0, 1), (y1, 0, -1)]


def test_cells_with_one_map_join_across_an_edge_and_not_across_a_corner():
    quadrants = [square(0, 0, 1, 1), square(1, 0, 2, 1), square(0, 1, 1, 2), square(1, 1, 2, 2)]
    checkerboard = [(None, rows, (m,)) for rows, m in zip(quadrants, "ABBA")]
    stripes = [(None, rows, (m,)) for rows, m in zip(quadrants, "AABB")]
    assert cells.linear_regions(checkerboard, 2) == 4
    assert cells.linear_regions(stripes, 2) == 2
    intervals = [(None, [(-a, 1), (a + 1, -1)], (m,)) for a, m in enumerate("AABA")]
    assert cells.linear_regions(intervals, 1) == 3


def test_prop_p6_as_stated_is_exceeded_and_the_sublayer_product_is_not():
    t = network_from_json(prop_p6.P6_EXAMPLE)
    cpwl = lower(t, box(1, -1, 1))
    assert check(certificate(cpwl, Counts.of(cpwl))) == \
        "cells 6, activation_regions 6, affine_maps 6, linear_regions 6"
    assert prop_p6.p6_bounds(t) == (4, 6)


def test_the_build_counts_and_certifies_two_families_at_a_reduced_size(tmp_path):
    """The build's own path (polyreg compile, count --certificate, check, certify, report) on two small families:
    the checker's linear regions equal the closed form P(h,k)^{dL}, the d = 2 counts equal the polygons' count,
    and the P6 counterexample exceeds P6 as stated."""
    import sys
    spec = importlib.util.spec_from_file_location("region_growth_build", FOLDER / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build
    spec.loader.exec_module(build)
    verdict, instances, p6 = build.build([(1, 2, 1, 3), (1, 2, 2, 2)], tmp_path)
    assert verdict == "VERIFIED"
    assert [(i.d, i.L, i.linear_regions) for i in instances] == \
        [(1, L, zigzag.pieces_formula(1, 2) ** L) for L in (1, 2, 3)] + \
        [(2, L, zigzag.pieces_formula(1, 2) ** (2 * L)) for L in (1, 2)]
    assert all(i.recomputed == i.linear_regions for i in instances if i.d == 2)
    assert all(i.certify == "EQUIVALENT" for i in instances)
    assert p6["linear_regions"] > p6["p6_stated"]
    assert (tmp_path / "build" / "report.md").exists() and (tmp_path / "build" / "summary.json").exists()
