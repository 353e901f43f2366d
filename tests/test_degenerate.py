"""Degenerate networks: exact counts against brute force over every activation pattern."""
from fractions import Fraction as F

import pytest
from oracles import brute_force_activation_regions

from polyreg import Dense, Maxout, Mlp, Prune, Relu, box, evaluate, lower, polyhedron_from_inequalities

ONE, ZERO = F(1), F(0)


def relu_net(weight, bias, d=2):
    m = len(bias)
    return Mlp(d, (Dense(tuple(tuple(F(v) for v in row) for row in weight), tuple(F(v) for v in bias)),
                   Relu(), Dense((tuple(F(i + 1) for i in range(m)),), (ZERO,))))


CASES = {
    "coincident hyperplanes": relu_net([[1, 1], [2, 2], [1, 1]], [0, 0, 0]),
    "opposite hyperplanes": relu_net([[1, -1], [-1, 1]], [F(1, 2), F(-1, 2)]),
    "hyperplanes through a box vertex": relu_net([[1, 1], [1, -1], [1, 2]], [2, 0, 3]),
    "hyperplane on the boundary": relu_net([[1, 0], [0, 1]], [1, -1]),
    "zero rows and constants": relu_net([[0, 0], [0, 0], [0, 0], [1, 0]], [0, 1, -1, 0]),
    "outside the domain": relu_net([[1, 0], [0, 1]], [5, -7]),
    "three lines through one point": relu_net([[1, 0], [0, 1], [1, 1]], [0, 0, 0]),
    "duplicate maxout pieces": Mlp(2, (Dense(((ONE, ZERO), (ONE, ZERO), (ZERO, ONE), (ZERO, ONE)),
                                             (ZERO, ZERO, ZERO, F(1, 2))), Maxout(2),
                                       Dense(((ONE, ONE),), (ZERO,)))),
    "dominated and identical pieces": Mlp(2, (Dense(((ONE, ONE), (ONE, ONE), (ONE, -ONE), (ONE, ONE)),
                                                    (ZERO, F(-1), ZERO, ZERO)), Maxout(4),
                                              Dense(((ONE,),), (ZERO,)))),
    "second layer repeats the first": Mlp(1, (Dense(((ONE,),), (ZERO,)), Relu(),
                                              Dense(((ONE,), (-ONE,)), (ZERO, ZERO)), Relu(),
                                              Dense(((ONE, ONE),), (ZERO,)))),
    "dead second layer": Mlp(2, (Dense(((ONE, ZERO), (ZERO, ONE)), (ZERO, ZERO)), Relu(),
                                 Dense(((-ONE, -ONE), (ZERO, ZERO)), (F(-1), ZERO)), Relu(),
                                 Dense(((ONE, ONE),), (ZERO,)))),
}


@pytest.mark.parametrize("name", CASES)
def test_degenerate_network_matches_brute_force(name):
    net = CASES[name]
    domain = box(net.input_dim, -1, 1)
    cpwl = lower(net, domain)
    assert len(cpwl.cells) == brute_force_activation_regions(net, list(domain.rows))
    for cell in cpwl.cells:
        assert cell.affine(cell.point) == evaluate(net, cell.point)


def test_counts_on_a_triangle_domain_match_brute_force():
    net = CASES["three lines through one point"]
    triangle = polyhedron_from_inequalities([[-1, 0], [0, -1], [1, 1]], [1, 1, F(1, 2)])
    cpwl = lower(net, triangle)
    assert len(cpwl.cells) == brute_force_activation_regions(net, list(triangle.rows))


def test_every_prune_in_the_tree_combines_to_a_valid_proof():
    """Replay the tree with the network's own semantics and check each Prune's multipliers."""
    from replay import replay_prunes
    for name, net in CASES.items():
        cpwl = lower(net, box(net.input_dim, -1, 1))
        assert replay_prunes(cpwl) >= 0, name


def test_prunes_of_random_networks_replay():
    from replay import replay_prunes

    from polyreg.network.families import random_maxout, random_relu
    for net in (random_relu(2, [6, 5], seed=3), random_maxout(2, [3, 2], 3, seed=4)):
        assert replay_prunes(lower(net, box(2, -1, 1))) > 10


def test_replay_rejects_a_prune_with_a_changed_multiplier():
    """The replay is a real check: scaling one multiplier of one proof breaks it."""
    from dataclasses import replace

    from replay import check_prune

    from polyreg.network.families import random_relu
    cpwl = lower(random_relu(2, [6, 5], seed=3), box(2, -1, 1))
    cell = cpwl.cells[0]
    node = cpwl.tree
    while True:
        option = next((o for o, c in enumerate(node.children) if isinstance(c, Prune)), None)
        if option is not None and len(node.children[option].multipliers) > 1:
            break
        node = node.children[cell.pattern[node.stage][node.unit]]
    prune = node.children[option]
    check_prune(cpwl, cell.pattern, node, option, prune)
    (rid, y), *rest = prune.multipliers
    with pytest.raises(AssertionError):
        check_prune(cpwl, cell.pattern, node, option, replace(prune, multipliers=((rid, 2 * y), *rest)))
