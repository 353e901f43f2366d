"""Region counts against closed forms from the literature (independent of the enumerator)."""
import random
from fractions import Fraction as F
from itertools import combinations

import pytest
from oracles import maxout_layer_maximum, zaslavsky

from polyreg import Dense, Maxout, Mlp, Relu, box, lower, region_counts
from polyreg.network.families import sawtooth, zigzag


def solve(A, b):
    """Exact solution of a square linear system by Cramer's rule (None if singular)."""
    def det(M):
        if len(M) == 1:
            return M[0][0]
        return sum((-1) ** j * M[0][j] * det([row[:j] + row[j + 1:] for row in M[1:]]) for j in range(len(M)))
    D = det(A)
    if D == 0:
        return None
    return tuple(det([row[:j] + [bi] + row[j + 1:] for row, bi in zip(A, b)]) / D for j in range(len(A)))


def general_position_inside_box(normals, offsets, d, families=None):
    """Every d hyperplanes (of distinct families, if given) meet in one point inside the open
    box (-1, 1)^d, and no other hyperplane passes through that point."""
    families = families or list(range(len(normals)))
    for subset in combinations(range(len(normals)), d):
        if len({families[i] for i in subset}) < d:
            continue
        x = solve([list(normals[i]) for i in subset], [offsets[i] for i in subset])
        if x is None or not all(-1 < xi < 1 for xi in x):
            return False
        for other in set(range(len(normals))) - set(subset):
            if sum(a * xi for a, xi in zip(normals[other], x)) == offsets[other]:
                return False
    return True


def one_layer_net(normals, offsets):
    """ReLU(a_i.x - c_i) for each hyperplane, summed with weights 1, 2, 3, ..."""
    m, d = len(normals), len(normals[0])
    return Mlp(d, (Dense(tuple(tuple(F(a) for a in n) for n in normals), tuple(-F(c) for c in offsets)),
                   Relu(), Dense((tuple(F(i + 1) for i in range(m)),), (F(0),))))


@pytest.mark.parametrize("d,m,seed", [(2, 5, 0), (2, 9, 1), (3, 6, 2), (3, 8, 3)])
def test_one_layer_in_general_position_has_zaslavsky_many_cells(d, m, seed):
    rng = random.Random(seed)
    normals = [tuple(F(t) ** p for p in range(d)) for t in range(-(m // 2), m - m // 2)]  # moment curve
    offsets = [F(rng.randint(-1000, 1000), 10 ** 6) for _ in range(m)]
    assert general_position_inside_box(normals, offsets, d)
    counts = region_counts(lower(one_layer_net(normals, offsets), box(d, -1, 1)))
    assert counts.activation_regions == zaslavsky(m, d)
    # all output weights are nonzero, so every facet separates different maps
    assert counts.linear_regions == zaslavsky(m, d)


@pytest.mark.parametrize("depth", range(1, 11))
def test_sawtooth_of_depth_L_has_2_to_the_L_linear_regions_on_unit_interval(depth):
    counts = region_counts(lower(sawtooth(depth), box(1, 0, 1)))
    assert counts.linear_regions == 2 ** depth
    assert counts.activation_regions == 2 ** depth


def test_zigzag_with_widths_3_2_4_has_24_regions_on_unit_interval():
    counts = region_counts(lower(zigzag([3, 2, 4]), box(1, 0, 1)))
    assert counts.linear_regions == counts.activation_regions == 24


@pytest.mark.parametrize("n,m,k", [(1, 3, 3), (2, 2, 3), (2, 3, 3), (2, 3, 4), (2, 2, 5), (2, 4, 2), (3, 3, 3)])
def test_constructed_maxout_layer_reaches_the_single_layer_maximum(n, m, k):
    """Unit i is max_r (r w_i.x - c_ir) with convex c: k-1 parallel hyperplanes w_i.x = tau_ir.
    With the families in general position the layer has sum_j C(m,j)(k-1)^j regions."""
    normals = [tuple(F(t) ** p for p in range(n)) for t in range(-(m // 2), m - m // 2)]
    rng = random.Random(100 * n + 10 * m + k)
    taus = [sorted(F(rng.randint(-1000, 1000), 10 ** 6) + F(j, 10 ** 4) for j in range(k - 1)) for _ in range(m)]
    hyperplanes = [(normals[i], tau, i) for i in range(m) for tau in taus[i]]
    assert general_position_inside_box([h[0] for h in hyperplanes], [h[1] for h in hyperplanes], n,
                                       [h[2] for h in hyperplanes])
    weight, bias = [], []
    for i in range(m):
        constant = F(0)
        for r in range(k):
            constant += taus[i][r - 1] if r else 0
            weight.append(tuple(r * a for a in normals[i]))
            bias.append(-constant)
    net = Mlp(n, (Dense(tuple(weight), tuple(bias)), Maxout(k), Dense((tuple(F(1) for _ in range(m)),), (F(0),))))
    counts = region_counts(lower(net, box(n, -1, 1)))
    assert counts.activation_regions == maxout_layer_maximum(n, m, k)


def test_separating_example_has_5_cells_5_linear_regions_4_affine_maps():
    """f(x) = ReLU(x) - ReLU(x-1) - ReLU(x-2) + ReLU(x-3) is 0, x, 1, 3-x, 0 on [-1, 4]."""
    net = Mlp(1, (Dense(((F(1),),) * 4, (F(0), F(-1), F(-2), F(-3))), Relu(),
                  Dense(((F(1), F(-1), F(-1), F(1)),), (F(0),))))
    counts = region_counts(lower(net, box(1, -1, 4)))
    assert (counts.activation_regions, counts.linear_regions, counts.affine_maps) == (5, 5, 4)


def test_relu_minus_itself_has_2_cells_and_1_linear_region():
    net = Mlp(1, (Dense(((F(1),), (F(1),)), (F(0), F(0))), Relu(), Dense(((F(1), F(-1)),), (F(0),))))
    counts = region_counts(lower(net, box(1, -1, 1)))
    assert (counts.activation_regions, counts.linear_regions, counts.affine_maps) == (2, 1, 1)


def test_unit_with_zero_outgoing_weight_adds_cells_but_no_linear_regions():
    """A tent in x1 (0, x1, 2/3 - x1, 0 on four strips of [-1,1]^2) plus 0 * ReLU(x2)."""
    tent = (Dense(((F(1), F(0)), (F(1), F(0)), (F(1), F(0)), (F(0), F(1))),
                  (F(0), F(-1, 3), F(-2, 3), F(0))), Relu())
    plain = Mlp(2, tent + (Dense(((F(1), F(-2), F(1), F(0)),), (F(0),)),))
    assert (lambda c: (c.activation_regions, c.linear_regions, c.affine_maps))(
        region_counts(lower(plain, box(2, -1, 1)))) == (8, 4, 3)
