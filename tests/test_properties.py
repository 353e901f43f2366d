"""Properties of the CPWL object of random small networks, each against an independent oracle."""
from fractions import Fraction as F
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import brute_force_activation_regions, volume
from strategies import networks, points

from polyreg import affine_on_path, box, choices_at, evaluate, lower
from polyreg.geometry.oracle import Interior, interior_point_or_proof


@given(networks(max_dim=3), st.lists(points, min_size=1, max_size=8))
def test_cpwl_equals_direct_evaluation_at_random_points_and_cell_points(net, xs):
    cpwl = lower(net, box(net.input_dim, -1, 1))
    for x in xs:
        x = x[:net.input_dim]
        assert cpwl(x) == evaluate(net, x)
    for cell in cpwl.cells:
        assert cell.polyhedron.interior_contains(cell.point)
        assert cell.affine(cell.point) == evaluate(net, cell.point)
        assert choices_at(net, cell.point) == cell.pattern
        assert affine_on_path(net, cell.pattern) == cell.affine


@given(networks(max_dim=2))
def test_cell_interiors_are_pairwise_disjoint(net):
    cells = lower(net, box(net.input_dim, -1, 1)).cells
    for a, b in combinations(cells, 2):
        both = list(a.polyhedron.rows + b.polyhedron.rows)
        assert not isinstance(interior_point_or_proof(both), Interior)


@settings(max_examples=25)
@given(networks(max_dim=3))
def test_cell_volumes_sum_to_the_domain_volume(net):
    d = net.input_dim
    cells = lower(net, box(d, -1, 1)).cells
    assert sum(volume(list(c.polyhedron.rows), d) for c in cells) == F(2) ** d


@settings(max_examples=30)
@given(networks(max_dim=2, max_units=6))
def test_activation_regions_match_brute_force_over_all_patterns(net):
    domain = box(net.input_dim, -1, 1)
    cpwl = lower(net, domain)
    assert len(cpwl.cells) == brute_force_activation_regions(net, list(domain.rows))


@settings(max_examples=25)
@given(networks(max_dim=3))
def test_float_guesses_do_not_change_the_result(net):
    domain = box(net.input_dim, -1, 1)
    def summary(cpwl):
        return sorted((c.pattern, c.polyhedron.rows, c.affine) for c in cpwl.cells)
    assert summary(lower(net, domain, float_guesses=True)) == summary(lower(net, domain, float_guesses=False))


def test_float_guesses_do_not_change_the_result_on_a_larger_network():
    from polyreg import region_counts
    from polyreg.network.families import random_relu
    net = random_relu(2, [12, 10], seed=11)
    guessed, exact = (lower(net, box(2, -1, 1), float_guesses=g) for g in (True, False))
    assert sorted((c.pattern, c.affine) for c in guessed.cells) == sorted((c.pattern, c.affine) for c in exact.cells)
    assert region_counts(guessed) == region_counts(exact)


@settings(max_examples=20)
@given(networks(max_dim=3))
def test_redundancy_removal_keeps_each_cell_and_leaves_only_needed_rows(net):
    """Same vertices after removal; without any kept row the rest admit points violating it."""
    from polyreg.geometry.oracle import irredundant_rows, vertices
    for cell in lower(net, box(net.input_dim, -1, 1)).cells[:4]:
        rows = list(cell.polyhedron.rows)
        kept = [rows[i] for i in irredundant_rows(rows)]
        assert sorted(vertices(kept)) == sorted(vertices(rows))
        for i, row in enumerate(kept):
            violated = kept[:i] + kept[i + 1:] + [tuple(-v for v in row)]
            assert isinstance(interior_point_or_proof(violated), Interior)
