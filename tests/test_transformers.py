"""Hard-max transformers: exact semantics against hand computation, the compiler against direct
evaluation of the network it compiles, region invariants, and the scope checks."""
import random
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from strategies import networks

from polyreg import InputError, box, evaluate, lower, region_counts
from polyreg.compiler.maxout_to_transformer import compile_transformer, maxout_form, size_of
from polyreg.core.stages import ScoreNotAffine
from polyreg.formats.json_files import network_from_json, network_to_json
from polyreg.network.families import random_maxout, random_relu
from polyreg.network.ir import Attention, Block, Dense, FeedForward, Head, Maxout, Mlp, Relu, Transformer
from polyreg.network.semantics import choices_at, evaluate_softmax


def column(*entries):
    return tuple((F(v),) for v in entries)


def selector(width=2):
    """Two tokens ``(x, 1)`` and ``(0, 1)`` (slots: value, constant); one head with a constant
    query and key = slot 0 picks the larger of x and 0; its value is ``value`` of the token."""
    return dict(input_dim=1, tokens=2, width=width, embed=(((F(1), F(0)),), ((F(0), F(0)),)),
                positions=((F(0), F(1)), (F(0), F(1))))


def max_head_transformer(value_slot):
    head = Head(query=column(0, 1), key=column(1, 0), value=column(*(int(i == value_slot) for i in range(2))),
                output=((F(1), F(0)),))
    return Transformer(**selector(), blocks=(Block(Attention((head,), residual=False), None),),
                       readout=(((F(1),), (F(0),)), None), readout_bias=(F(0),))


def test_hard_max_head_with_value_equal_to_key_computes_relu():
    t = max_head_transformer(value_slot=0)
    for x in (F(-3, 2), F(-1, 7), F(0), F(2, 5), F(9)):
        assert evaluate(t, [x]) == (max(x, F(0)),)


def test_ties_are_averaged_exactly():
    """Value = the constant slot of token 0 only (1 there, 0 in token 1) via a per-token value."""
    head = Head(query=column(0, 1), key=column(1, 0), value=column(0, 1), output=((F(1), F(0)),))
    t = Transformer(input_dim=1, tokens=2, width=2, embed=(((F(1), F(0)),), ((F(0), F(0)),)),
                    positions=((F(0), F(1)), (F(0), F(0))),
                    blocks=(Block(Attention((head,), residual=False), None),),
                    readout=(((F(1),), (F(0),)), None), readout_bias=(F(0),))
    # score of token 0 is x, of token 1 is 0; value 1 and 0: a step at x = 0 with the average there
    assert evaluate(t, [F(1, 3)]) == (F(1),)
    assert evaluate(t, [F(-1, 3)]) == (F(0),)
    assert evaluate(t, [F(0)]) == (F(1, 2),)


def test_feed_forward_and_residual_follow_the_definition():
    ff = FeedForward(w1=((F(1),), (F(0),)), b1=(F(-1),), w2=((F(2), F(0)),), b2=(F(0), F(3)))
    t = Transformer(**selector(), blocks=(Block(None, ff),), readout=(((F(1),), (F(1),)), None),
                    readout_bias=(F(0),))
    # token 0 = (x, 1) -> (x + 2 relu(x - 1), 1 + 3); output is the sum of its slots
    for x in (F(-2), F(1), F(5, 2)):
        assert evaluate(t, [x]) == (x + 2 * max(x - 1, F(0)) + 4,)


def test_softmax_evaluation_approaches_hard_max_and_is_only_numeric():
    t = max_head_transformer(value_slot=0)
    assert abs(evaluate_softmax(t, [0.5], 1000.0)[0] - 0.5) < 1e-6
    assert abs(evaluate_softmax(t, [0.5], 1.0)[0] - 0.5) > 1e-3


def test_transformer_json_round_trip_and_sparse_matrices():
    t = compile_transformer(random_maxout(2, [3, 2], 3, seed=4), box(2, -1, 1))
    obj = network_to_json(t)
    assert any(isinstance(m, dict) for m in obj["blocks"][1]["attention"]["heads"][0].values())
    assert network_from_json(obj) == t


@pytest.mark.parametrize("seed", range(6))
def test_compiled_transformer_equals_the_network_at_random_and_tie_points(seed):
    rng = random.Random(seed)
    d, k = rng.randint(1, 3), rng.randint(2, 4)
    net = random_maxout(d, [rng.randint(1, 4) for _ in range(rng.randint(1, 3))], k, seed=seed)
    t = compile_transformer(net, box(d, -1, 1))
    points = [[F(rng.randint(-60, 60), 60) for _ in range(d)] for _ in range(40)]
    first = net.layers[0]          # points where two pieces of the first unit tie
    for _ in range(10):
        x = [F(rng.randint(-30, 30), 60) for _ in range(d)]
        w = [a - b for a, b in zip(first.weight[0], first.weight[1])]
        c = first.bias[0] - first.bias[1] + sum(a * v for a, v in zip(w[1:], x[1:]))
        if w[0]:
            x[0] = -c / w[0]
            if abs(x[0]) <= 1:
                points.append(x)
    for x in points:
        assert evaluate(t, x) == evaluate(net, x)


@settings(max_examples=25, deadline=None)
@given(networks(max_dim=2, max_units=5))
def test_compiled_degenerate_networks_agree_at_cell_points(net):
    """Duplicated units, zero rows and constant pieces: the compiled transformer agrees with the
    network at an interior point of every cell of the network."""
    domain = box(net.input_dim, -1, 1)
    t = compile_transformer(net, domain)
    for cell in lower(net, domain).cells:
        assert evaluate(t, cell.point) == evaluate(net, cell.point)


def test_size_follows_the_construction():
    """L + 1 blocks, one head per maxout unit, k tokens, width max(d, n) + max n + k + 1."""
    net = random_maxout(3, [4, 2, 3], 3, seed=1)
    size = size_of(compile_transformer(net, box(3, -1, 1)))
    assert (size.blocks, size.attention_blocks, size.heads, size.tokens) == (4, 3, 4 + 2 + 3, 3)
    assert size.width == 4 + 4 + 3 + 1


def test_relu_network_compiles_to_two_tokens_and_pads_ranks():
    net = random_relu(2, [3], seed=0)
    assert compile_transformer(net, box(2, -1, 1)).tokens == 2
    mixed = Mlp(1, (Dense(((F(1),), (F(-1),)), (F(0), F(0))), Relu(),
                    Dense(((F(1), F(0)), (F(0), F(1)), (F(1), F(1))), (F(0),) * 3), Maxout(3),
                    Dense(((F(1),),), (F(0),))))
    assert all(len(layer.weights) == 3 for layer in maxout_form(mixed).layers)
    t = compile_transformer(mixed, box(1, -2, 2))
    for x in (F(-2), F(-1, 3), F(0), F(3, 2)):
        assert evaluate(t, [x]) == evaluate(mixed, [x])


@pytest.mark.parametrize("d, hidden, k, seed", [(1, [3, 2], 3, 0), (2, [3, 3], 2, 1), (2, [2, 2], 4, 2)])
def test_transformer_has_the_linear_regions_and_maps_of_the_network_it_emulates(d, hidden, k, seed):
    net = random_maxout(d, hidden, k, seed=seed)
    domain = box(d, -1, 1)
    ours, theirs = region_counts(lower(net, domain)), region_counts(lower(compile_transformer(net, domain), domain))
    assert (ours.linear_regions, ours.affine_maps) == (theirs.linear_regions, theirs.affine_maps)
    assert theirs.activation_regions >= theirs.linear_regions


def quadratic_transformer():
    """Token t's key is (t + 1) x and every query is x: score differences are quadratic."""
    head = Head(query=column(1), key=column(1), value=column(1), output=((F(1),),))
    return Transformer(input_dim=1, tokens=2, width=1, embed=(((F(1),),), ((F(2),),)),
                       positions=((F(0),), (F(0),)), blocks=(Block(Attention((head,)), None),),
                       readout=(((F(1),),), None), readout_bias=(F(0),))


def test_quadratic_scores_are_refused_with_block_head_query_and_a_point():
    with pytest.raises(ScoreNotAffine, match=r"block 0, head 0, query token 0.*x = \("):
        lower(quadratic_transformer(), box(1, -1, 1))


def test_shape_errors_name_block_head_and_field():
    good = max_head_transformer(0)
    bad_head = Head(query=column(0, 1), key=column(1, 0, 0), value=column(1, 0), output=((F(1), F(0)),))
    with pytest.raises(InputError, match=r"block 0, head 0, key: expected 2 rows"):
        Transformer(**selector(), blocks=(Block(Attention((bad_head,)), None),), readout=good.readout,
                    readout_bias=good.readout_bias)
    masked = Head(query=column(0, 1), key=column(1, 0), value=column(1, 0), output=((F(1), F(0)),),
                  mask=((True, False), (False, False)))
    with pytest.raises(InputError, match="query token 1 may attend to no key"):
        Transformer(**selector(), blocks=(Block(Attention((masked,)), None),), readout=good.readout,
                    readout_bias=good.readout_bias)


def test_mask_and_score_bias_change_the_winner():
    head = Head(query=column(0, 1), key=column(1, 0), value=column(1, 0), output=((F(1), F(0)),),
                score_bias=((F(0), F(5)), (F(0), F(0))), mask=((True, True), (False, True)))
    t = Transformer(**selector(), blocks=(Block(Attention((head,), residual=False), None),),
                    readout=(((F(1),), (F(0),)), ((F(10),), (F(0),))), readout_bias=(F(0),))
    # query 0: scores x and 0 + 5 -> token 1 wins for x < 5 (value 0); query 1 sees only token 1
    assert evaluate(t, [F(1)]) == (F(0),)
    assert evaluate(t, [F(6)]) == (F(6),)
    assert choices_at(t, [F(1)]) == ((1, 1),)


@pytest.mark.parametrize("change, message", [
    (lambda o: o["blocks"][0]["attention"]["heads"][0].update(key=[["x"], [0]]),
     r"block 0, head 0, field 'key'\[0\]\[0\]"),
    (lambda o: o["blocks"][0]["attention"]["heads"][0].update(mask=[[1, 2], [1, 1]]),
     r"field 'mask'\[0\]\[1\]"),
    (lambda o: o["blocks"][0]["feed_forward"].update(b1=[0, 1]), r"feed_forward, b1: expected 1 entries, got 2"),
    (lambda o: o.update(readout={"token": 5, "weight": [[1], [0]], "bias": [0]}), r"readout, field 'token'"),
    (lambda o: o["embedding"].update(positions=[[0, 1]]), r"positions: expected 2 rows"),
    (lambda o: o["blocks"][0]["attention"].update(residual="yes"), r"field 'residual'"),
])
def test_malformed_transformer_files_name_the_place(change, message):
    import json
    from pathlib import Path
    obj = json.loads((Path(__file__).parent.parent / "examples" / "transformer_1d.json").read_text())
    change(obj)
    with pytest.raises(InputError, match=message):
        network_from_json(obj, source="t.json")
