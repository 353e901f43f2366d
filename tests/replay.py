"""An independent replay of a CPWL tree's evidence, from the network's own semantics.

For every leaf, walk its path from the root. At each split on (stage, unit) -- stage ``s`` is
the network's ``s``-th ReLU or maxout layer -- the unit's
pre-activations follow from the leaf's choices in earlier layers (``affine_on_path`` on the
truncated network). Every pruned sibling's multipliers must then combine the named rows (the
domain's, those of units decided earlier on the path, and the pruned option's own) into a
zero normal with a constant < 0 (empty) or = 0 (thin, rows with nonzero normals only).
"""
from fractions import Fraction

from polyreg import Leaf, Mlp, Prune, Split, affine_on_path
from polyreg.exact.rationals import primitive_row


def unit_functions(net, pattern, layer):
    """Pre-activations of nonlinear layer ``layer`` as rows (b, a), given earlier choices."""
    head = Mlp(net.input_dim, net.layers[:layer])
    earlier = sum(1 for x in net.layers[:layer] if type(x).__name__ in ("Relu", "Maxout"))
    f = affine_on_path(head, pattern[:earlier])
    return [(b,) + a for a, b in zip(f.A, f.b)]


def option_row(net, pattern, layer, unit, option, competitor):
    z = unit_functions(net, pattern, layer)
    if competitor == -1:
        sign = 1 if option == 1 else -1
        return primitive_row([sign * v for v in z[unit]])
    k = net.layers[layer].rank
    return primitive_row([a - b for a, b in zip(z[unit * k + option], z[unit * k + competitor])])


def layer_of_stage(net, stage):
    return [i for i, x in enumerate(net.layers) if type(x).__name__ in ("Relu", "Maxout")][stage]


def check_prune(cpwl, pattern, node, option, prune):
    net = cpwl.network
    total = [Fraction(0)] * (net.input_dim + 1)
    for (stage, unit, competitor), y in prune.multipliers:
        assert y > 0
        if stage == -1:
            row = cpwl.domain.rows[unit]
            total = [t + y * r for t, r in zip(total, row)]
            continue
        layer = layer_of_stage(net, stage)
        if (stage, unit) == (node.stage, node.unit):
            row = option_row(net, pattern, layer, unit, option, competitor)
        else:
            assert (stage, unit) < (node.stage, node.unit), "uses a unit decided later"
            chosen = pattern[stage][unit]
            row = option_row(net, pattern, layer, unit, chosen, competitor)
        assert any(row[1:]), "uses a row with zero normal"
        total = [t + y * r for t, r in zip(total, row)]
    assert not any(total[1:])
    assert total[0] < 0 if prune.empty else total[0] == 0


def replay_prunes(cpwl) -> int:
    """Check every Prune reachable on a leaf's path; return how many were checked."""
    checked = set()
    for index, cell in enumerate(cpwl.cells):
        node = cpwl.tree
        while isinstance(node, Split):
            for option, child in enumerate(node.children):
                if isinstance(child, Prune) and (id(node), option) not in checked:
                    check_prune(cpwl, cell.pattern, node, option, child)
                    checked.add((id(node), option))
            node = node.children[cell.pattern[node.stage][node.unit]]
        assert node == Leaf(index)
    return len(checked)
