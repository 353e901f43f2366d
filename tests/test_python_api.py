"""The Python API reads numbers by one rule (``polyreg.exact.rationals.to_q``) everywhere: a binary float (Python
float, numpy float16/32/64 scalar or array entry) is its exact binary value, a numpy integer is an int, strings
such as "1/3" and Decimals are the rationals they spell; NaN, infinities, booleans and None are refused naming the
field and the entry. And every result prints short, whatever its size.

The expected values are written out independently (the float32 0.1 is 13421773/2^27), not read back from the code.
"""
from decimal import Decimal
from fractions import Fraction as F

import numpy as np
import pytest

import polyreg
from polyreg import (
    Attention,
    Block,
    Dense,
    FeedForward,
    Head,
    InputError,
    Leaf,
    Maxout,
    Mlp,
    Prune,
    Relu,
    Split,
    Transformer,
    box,
    certify,
    certify_mixed,
    choices_at,
    evaluate,
    lower,
    polyhedron_from_inequalities,
    region_counts,
    specialize,
)
from polyreg.analysis.equivalence import distance
from polyreg.analysis.regions import linear_regions
from polyreg.geometry.domains import DiscreteGroup, MixedDomain
from polyreg.network.families import random_maxout, random_relu

FLOAT64_TENTH = F(3602879701896397, 2 ** 55)     # the double nearest 0.1
FLOAT32_TENTH = F(13421773, 2 ** 27)             # the single nearest 0.1
FLOAT16_TENTH = F(1638, 2 ** 14)                 # the half nearest 0.1 (0.0999755859375)


def test_the_binary_values_written_here_are_the_floats():
    """The constants above, checked against the floats by integer arithmetic only."""
    assert (0.1).as_integer_ratio() == (FLOAT64_TENTH.numerator, FLOAT64_TENTH.denominator)
    assert np.float32(0.1).as_integer_ratio() == (FLOAT32_TENTH.numerator, FLOAT32_TENTH.denominator)
    assert np.float16(0.1).as_integer_ratio() == (FLOAT16_TENTH.numerator, FLOAT16_TENTH.denominator)


def test_a_float_dense_is_the_dense_of_the_exact_binary_values():
    layer = Dense([[0.5, 0.1]], [0.25])
    assert layer == Dense(((F(1, 2), F(0.1)),), (F(1, 4),))
    assert layer.weight == ((F(1, 2), FLOAT64_TENTH),)
    assert layer.weight[0][1] != F(1, 10)                # the float 0.1 is not 1/10
    assert all(type(v) is F for row in layer.weight for v in row) and all(type(v) is F for v in layer.bias)
    assert type(layer.weight) is tuple and type(layer.weight[0]) is tuple and type(layer.bias) is tuple
    assert hash(layer) == hash(Dense(((F(1, 2), FLOAT64_TENTH),), (F(1, 4),)))


def test_ints_strings_and_decimals_are_the_rationals_they_spell():
    layer = Dense([[1, "1/3", Decimal("0.1")], ["-2.5", F(2, 7), 0]], ["1e-3", -4])
    assert layer.weight == ((F(1), F(1, 3), F(1, 10)), (F(-5, 2), F(2, 7), F(0)))
    assert layer.bias == (F(1, 1000), F(-4))


@pytest.mark.parametrize("dtype, tenth", [(np.float64, FLOAT64_TENTH), (np.float32, FLOAT32_TENTH),
                                          (np.float16, FLOAT16_TENTH)])
def test_numpy_float_arrays_give_the_exact_binary_values(dtype, tenth):
    weight = np.array([[0.1, -0.5], [2.0, 0.1]], dtype=dtype)
    layer = Dense(weight, np.array([0.1, 3.0], dtype=dtype))
    assert layer == Dense(((tenth, F(-1, 2)), (F(2), tenth)), (tenth, F(3)))
    assert layer.weight[0][0] == F(float(dtype(0.1)))
    assert all(type(v) is F for row in layer.weight for v in row)


def test_numpy_integers_are_ints_even_beyond_two_to_the_53():
    big = 2 ** 62 + 1                  # not a double: a float64 cast would round it
    layer = Dense(np.array([[big, -3]], dtype=np.int64), np.array([7], dtype=np.int8))
    assert layer.weight == ((F(big), F(-3)),) and layer.bias == (F(7),)
    assert Dense([[np.int64(big), np.uint8(200)]], [np.int32(-1)]).weight == ((F(big), F(200)),)
    net = Mlp(np.int64(2), [layer])
    assert net.input_dim == 2 and type(net.input_dim) is int and type(net.layers) is tuple
    assert Maxout(np.int64(3)).rank == 3 and type(Maxout(np.int64(3)).rank) is int


def test_numpy_scalars_mixed_into_lists():
    layer = Dense([[np.float32(0.1), np.float64(0.1), np.float16(0.1), 1]], [np.longdouble(0.25)])
    assert layer.weight == ((FLOAT32_TENTH, FLOAT64_TENTH, FLOAT16_TENTH, F(1)),) and layer.bias == (F(1, 4),)


def test_the_exact_fast_path_keeps_the_matrix_itself():
    weight = tuple(tuple(F(i - j, 7) for j in range(300)) for i in range(300))
    bias = tuple(F(i) for i in range(300))
    layer = Dense(weight, bias)
    assert layer.weight is weight and layer.bias is bias
    assert Dense(layer.weight, layer.bias) == layer


@pytest.mark.parametrize("bad, expected", [
    (float("nan"), "a finite number"), (float("inf"), "a finite number"), (-np.inf, "a finite number"),
    (np.float32("nan"), "a finite number"), (True, "not a boolean"), (np.bool_(False), "not a boolean"),
    (None, "a number"), (1 + 2j, "a number"), (np.complex64(1), "a real number")])
def test_entries_that_are_not_numbers_are_refused_naming_the_layer_and_the_entry(bad, expected):
    with pytest.raises(InputError, match=r"^Dense weight\[1\]\[0\]: .*" + expected):
        Dense([[1, 2], [bad, 3]], [0, 0])
    with pytest.raises(InputError, match=r"^Dense bias\[1\]: .*" + expected):
        Dense([[1, 2], [0, 3]], [0, bad])
    with pytest.raises(InputError, match=r"^point\[0\]: .*" + expected):
        evaluate(random_relu(2, [3], seed=0), [bad, 0.5])


def test_shapes_that_are_not_matrices_are_refused_naming_the_field():
    with pytest.raises(InputError, match=r"^Dense weight: got NoneType None; expected a sequence of rows"):
        Dense(None, [0])
    with pytest.raises(InputError, match=r"^Dense weight\[0\]: got float 0\.5; expected a sequence of numbers"):
        Dense([0.5, 0.25], [0])
    with pytest.raises(InputError, match=r"^Dense weight\[0\]: got str '12'; expected a sequence of numbers"):
        Dense(["12"], [0])
    with pytest.raises(InputError, match=r"^Dense bias: got ndarray .*; expected a sequence of numbers"):
        Dense([[1]], np.array(0.5))
    with pytest.raises(InputError, match=r"layer 0 \(linear\): weight\[0\] has 3 entries; expected 2"):
        Mlp(2, [Dense(np.ones((1, 3)), np.zeros(1))])     # the shape checks are the same as before


def selector_transformer(number=F, array=None):
    """Two tokens (x, 1) and (0, 1); one head picks the larger of x and 0 (as in test_transformers)."""
    def m(rows):
        return array(rows) if array else tuple(tuple(number(v) for v in row) for row in rows)
    head = Head(query=m([[0], [1]]), key=m([[1], [0]]), value=m([[1], [0]]), output=m([[1, 0]]))
    ff = FeedForward(m([[0.5], [0]]), m([[-0.1]])[0], m([[2, 0]]), m([[0, 0.1]])[0])
    return Transformer(np.int64(1), 2, 2, [m([[1, 0]]), m([[0, 0]])], m([[0, 1], [0, 1]]),
                       [Block(Attention([head], residual=False), ff)], [m([[1], [0]]), None], m([[0]])[0])


def test_transformer_fields_take_numpy_arrays_and_floats_exactly():
    exact = selector_transformer(lambda v: F(v) if isinstance(v, int) else {0.5: F(1, 2), 0.1: FLOAT64_TENTH,
                                                                             -0.1: -FLOAT64_TENTH}[v])
    assert selector_transformer(float) == exact
    assert selector_transformer(array=np.array) == exact
    t = selector_transformer(array=np.array)
    assert type(t.input_dim) is int and all(type(v) is F for row in t.positions for v in row)
    assert t.blocks[0].feed_forward.b1 == (-FLOAT64_TENTH,)


def test_transformer_entries_are_refused_naming_the_class_field_and_entry():
    with pytest.raises(InputError, match=r"^Head key\[1\]\[0\]: got float nan"):
        Head(query=[[0], [1]], key=[[1], [float("nan")]], value=[[1], [0]], output=[[1, 0]])
    with pytest.raises(InputError, match=r"^FeedForward b2\[1\]: got NoneType None"):
        FeedForward([[1], [0]], [0], [[1, 0]], [0, None])
    with pytest.raises(InputError, match=r"^Transformer positions\[1\]\[0\]: got bool True"):
        Transformer(1, 2, 2, [[[1, 0]], [[0, 0]]], [[0, 1], [True, 1]], [], [[[1], [0]], None], [0])
    with pytest.raises(InputError, match=r"^Transformer embed\[1\]\[0\]\[1\]: got float inf"):
        Transformer(1, 2, 2, [[[1, 0]], [[0, float("inf")]]], [[0, 1], [0, 1]], [], [[[1], [0]], None], [0])
    with pytest.raises(InputError, match=r"^Head mask\[0\]\[1\]: got int 2; expected True or False"):
        Head(query=[[0], [1]], key=[[1], [0]], value=[[1], [0]], output=[[1, 0]], mask=[[1, 2], [1, 1]])
    head = Head(query=[[0], [1]], key=[[1], [0]], value=[[1], [0]], output=[[1, 0]],
                mask=np.array([[True, False], [True, True]]))
    assert head.mask == ((True, False), (True, True)) and all(type(v) is bool for row in head.mask for v in row)


@pytest.mark.parametrize("net", [random_relu(2, [5, 4], seed=3), random_maxout(2, [3], 2, seed=1),
                                 selector_transformer(float)], ids=["relu", "maxout", "transformer"])
def test_evaluate_reads_float_and_numpy_points_as_their_binary_values(net):
    d = net.input_dim
    floats = [0.1, -0.3][:d]
    exact = tuple(F(v.as_integer_ratio()[0], v.as_integer_ratio()[1]) for v in floats)
    assert exact[0] == FLOAT64_TENTH and exact[0] != F(1, 10)
    expected = evaluate(net, exact)
    for point in (floats, tuple(floats), np.array(floats), np.array(floats, dtype=np.float64), iter(floats)):
        assert evaluate(net, point) == expected
    assert choices_at(net, np.array(floats)) == choices_at(net, exact)
    single = tuple(F(*np.float32(v).as_integer_ratio()) for v in floats)
    assert evaluate(net, np.array(floats, dtype=np.float32)) == evaluate(net, single)
    assert all(type(v) is F for v in evaluate(net, np.array(floats)))
    with pytest.raises(InputError, match=f"point has 3 coordinates; the network expects {d}"):
        evaluate(net, np.zeros(3))


def test_the_cpwl_object_and_domains_read_points_and_bounds_by_the_same_rule():
    net = random_relu(2, [5, 4], seed=3)
    cpwl = lower(net, box(2, np.float32(-1), np.array([1.0, 1.0])))
    assert cpwl.domain == box(2, -1, 1)
    x = np.array([0.1, -0.3])
    exact = (FLOAT64_TENTH, F(-0.3))
    assert cpwl(x) == cpwl([0.1, -0.3]) == cpwl(exact) == evaluate(net, exact)
    assert cpwl.domain.contains(x) and cpwl.domain.interior_contains([0.1, -0.3])
    assert not cpwl.domain.contains([1.0000000000000002, 0])     # just outside, seen exactly
    assert box(2, [0.1, -1], np.array([1, 2.5])) == box(2, [FLOAT64_TENTH, -1], [1, F(5, 2)])
    triangle = polyhedron_from_inequalities(np.array([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]]), [0, 0, 0.1])
    assert triangle == polyhedron_from_inequalities([[-1, 0], [0, -1], [1, 1]], [0, 0, FLOAT64_TENTH])
    with pytest.raises(InputError, match=r"^b\[2\]: got float nan"):
        polyhedron_from_inequalities([[-1, 0], [0, -1], [1, 1]], [0, 0, float("nan")])
    fixed = specialize(net, {0: 0.1}, [1])
    assert fixed == specialize(net, {0: FLOAT64_TENTH}, [1])
    assert DiscreteGroup([0], np.array([[0.5], [1]])) == DiscreteGroup((0,), ((F(1, 2),), (F(1),)))


def test_json_decimals_stay_the_decimals_they_spell(tmp_path):
    """The file path is unchanged: 0.1 in a JSON file is 1/10 (a Decimal), not the float 0.1."""
    path = tmp_path / "net.json"
    path.write_text('{"format": "polyreg.network/1", "input_dim": 1, '
                    '"layers": [{"type": "linear", "weight": [[0.1]], "bias": [1e-1]}]}')
    net = polyreg.load_network(path)
    assert net.layers[0] == Dense(((F(1, 10),),), (F(1, 10),))


@pytest.fixture(scope="module")
def big():
    """A CPWL object of a few hundred cells and the verdicts around it."""
    net = random_relu(2, [20, 20], seed=0)
    last = net.layers[-1]
    other = Mlp(2, net.layers[:-1] + (Dense(last.weight, (last.bias[0] + F(1, 3),)),))   # net + 1/3
    domain = box(2, -1, 1)
    cpwl = lower(net, domain)
    mixed_net = Mlp(3, (Dense(tuple(tuple(F(v) for v in row) for row in
                                    [[1, 1, 0], [1, 0, 1], [0, 1, -1]]), (F(0), F(-1, 2), F(1, 3))), Relu(),
                        Dense(((F(1), F(-1), F(2)),), (F(0),))))
    mixed = MixedDomain(3, (DiscreteGroup((0,), ((F(0),), (F(1),), (F(-1),))),), (1, 2), domain)
    return dict(net=net, other=other, domain=domain, cpwl=cpwl, same=certify(net, net, domain),
                different=certify(net, other, domain),
                distance=distance(random_relu(2, [4], seed=0), random_relu(2, [4], seed=1), domain),
                mixed=certify_mixed(mixed_net, mixed_net, mixed), mixed_domain=mixed)


def test_reprs_are_short_and_name_the_cells(big):
    cpwl = big["cpwl"]
    n = len(cpwl.cells)
    assert n > 200
    assert repr(cpwl).startswith(f"Cpwl({n} cells, 1 network: Mlp(2 -> 20 relu -> 20 relu -> 1)")
    counts = region_counts(cpwl)
    regions = linear_regions(cpwl)
    same, different = big["same"], big["different"]
    assert repr(same) == f"Verdict('EQUIVALENT', {n} cells)"
    assert repr(different) == f"Verdict('DIFFERENT', {n} cells, {n} differing, distance about 0.333333)"
    small = big["distance"]
    assert repr(small) == f"Distance(about {float(small.value):.6g}, {len(small.refinement.cells)} cells)"
    assert f"{n} cells" in repr(regions) and f"cells={n}" in repr(counts)
    mixed = big["mixed"]
    assert f"{mixed.cells} cells in 3 cases" in repr(mixed)
    assert f"{mixed.cases[0].cells} cells" in repr(mixed.cases[0])
    prune = next(node for node in nodes(cpwl.tree) if isinstance(node, Prune))
    leaf = next(node for node in nodes(cpwl.tree) if isinstance(node, Leaf))
    assert isinstance(cpwl.tree, Split) and f"{n} cells below" in repr(cpwl.tree)
    hidden = [Dense(np.ones((300, 300)), np.zeros(300)), Relu()] * 30
    deep = Mlp(3, tuple([Dense(np.ones((300, 3)), np.zeros(300)), Relu()] + hidden + [Dense(np.ones((1, 300)), [0])]))
    assert repr(deep.layers[0]) == "Dense(300 x 3)"
    objects = [cpwl, same, different, big["distance"], different.counterexample, mixed, mixed.cases[0],
               mixed.parts[0], big["mixed_domain"], big["mixed_domain"].discrete[0], counts, regions,
               cpwl.cells[0], cpwl.tree, prune, leaf, cpwl.domain, big["net"], deep, deep.layers[2],
               polyreg.compile_transformer(random_maxout(2, [3], 3, seed=1), box(2, -1, 1)),
               selector_transformer(float).blocks[0], selector_transformer(float).blocks[0].attention.heads[0],
               same.refinement, different.refinement]
    for obj in objects:
        assert len(repr(obj)) < 300, (type(obj).__name__, len(repr(obj)))
        assert "Fraction" not in repr(obj)


def test_short_reprs_leave_equality_alone(big):
    net = big["net"]
    assert net == random_relu(2, [20, 20], seed=0) and net != big["other"] and repr(net) == repr(big["other"])
    assert big["cpwl"].cells[0] != big["cpwl"].cells[1]
    assert big["cpwl"].cells[0] == big["cpwl"].cells[0]
    assert Dense([[1, 2]], [0]) != Dense([[1, 3]], [0]) and repr(Dense([[1, 2]], [0])) == repr(Dense([[1, 3]], [0]))


def nodes(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Split):
            stack.extend(child for child in node.children if child is not None)


def test_a_maxout_rank_must_be_an_integer():
    with pytest.raises(InputError, match="rank must be a positive integer, got 2.0"):
        Mlp(2, (Dense([[1, 0], [0, 1]], [0, 0]), Maxout(2.0)))
