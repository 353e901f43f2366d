"""certify and distance: verdicts checked by direct exact evaluation and by vertex enumeration."""
import json
from dataclasses import replace
from fractions import Fraction as F

import pytest
from evaluator import run
from test_transformers import max_head_transformer

from polyreg import box, choices_at, evaluate, lower
from polyreg.analysis.equivalence import certify, distance
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.formats.json_files import network_to_json, save_network
from polyreg.geometry.oracle import vertices
from polyreg.network.families import random_maxout, random_relu
from polyreg.network.ir import Dense, Maxout, Mlp

MAXOUT_CASES = [  # (d, widths, rank, seed): d <= 3, rank <= 4, depth <= 3, widths <= 4
    (1, [4, 4, 4], 4, 0), (2, [3, 3], 3, 1), (2, [4], 4, 2), (2, [2, 2, 2], 2, 3),
    (3, [3, 2], 3, 4), (3, [2], 4, 5), (2, [4, 3], 2, 6), (1, [2, 3], 3, 7),
]


@pytest.mark.parametrize("d, widths, k, seed", MAXOUT_CASES)
def test_compiled_maxout_network_is_certified_equivalent(d, widths, k, seed):
    net = random_maxout(d, widths, k, seed=seed)
    domain = box(d, -1, 1)
    verdict = certify(net, compile_transformer(net, domain), domain)
    assert verdict.word == "EQUIVALENT" and verdict.differing_cells == 0


@pytest.mark.parametrize("d, hidden, seed", [(1, [4, 4], 0), (2, [5, 3], 1), (3, [3], 2)])
def test_compiled_relu_network_is_certified_equivalent(d, hidden, seed):
    net = random_relu(d, hidden, seed=seed)
    domain = box(d, -1, 1)
    assert certify(net, compile_transformer(net, domain), domain).word == "EQUIVALENT"


def duplicated_and_dominated():
    """Unit 0 has two identical pieces; unit 1 has a piece below another by a constant."""
    pieces = ((F(1), F(-1)), (F(1), F(-1)), (F(-1), F(0)),
              (F(1, 2), F(1)), (F(1, 2), F(1)), (F(0), F(2)))
    return Mlp(2, (Dense(pieces, (F(0), F(0), F(1, 3), F(0), F(-1), F(0))), Maxout(3),
                   Dense(((F(1), F(-2)),), (F(0),))))


def test_ties_everywhere_are_still_exact():
    net = duplicated_and_dominated()
    domain = box(2, -1, 1)
    verdict = certify(net, compile_transformer(net, domain), domain)
    assert verdict.word == "EQUIVALENT"
    for cell in verdict.refinement.cells:
        assert evaluate(net, cell.point) == cell.affines[0](cell.point) == cell.affines[1](cell.point)


def perturbed(t, where, winner):
    """``t`` with one weight changed by 1/1000: a readout weight, or the bias of the first
    FFN's gate unit that writes piece ``winner`` of unit 0 (a piece that wins somewhere)."""
    if where == "readout":
        R = [list(row) for row in t.readout[0]]
        R[0][0] += F(1, 1000)
        return replace(t, readout=(tuple(map(tuple, R)),) + t.readout[1:])
    ff = t.blocks[0].feed_forward
    b1 = list(ff.b1)
    b1[winner] += F(1, 1000)      # gate units are ordered (unit, piece)
    return replace(t, blocks=(replace(t.blocks[0], feed_forward=replace(ff, b1=tuple(b1))),) + t.blocks[1:])


@pytest.mark.parametrize("where", ["readout", "gate"])
@pytest.mark.parametrize("d, widths, k, seed", MAXOUT_CASES[1:4])
def test_one_weight_changed_by_a_thousandth_is_different_with_a_confirmed_counterexample(where, d, widths, k, seed):
    net = random_maxout(d, widths, k, seed=seed)
    domain = box(d, -1, 1)
    winner = choices_at(net, lower(net, domain).cells[0].point)[0][0]
    verdict = certify(net, perturbed(compile_transformer(net, domain), where, winner), domain)
    assert verdict.word == "DIFFERENT"
    w = verdict.counterexample
    assert domain.contains(w.x)
    assert w.outputs == (evaluate(net, w.x), evaluate(verdict.refinement.networks[1], w.x))
    assert w.outputs[0] != w.outputs[1]
    separate = [run(network_to_json(n), w.x) for n in verdict.refinement.networks]   # tests/evaluator.py
    assert separate == [list(o) for o in w.outputs]
    assert 0 < w.difference <= verdict.distance


def test_gate_constant_too_small_outside_the_compiled_domain():
    net = random_maxout(2, [3, 3], 3, seed=1)
    t = compile_transformer(net, box(2, -1, 1))
    verdict = certify(net, t, box(2, -3, 3))
    assert verdict.word == "DIFFERENT"
    x = verdict.counterexample.x
    assert any(abs(v) > 1 for v in x)
    assert evaluate(net, x) != evaluate(t, x)
    assert run(network_to_json(net), x) != run(network_to_json(t), x)
    assert [run(network_to_json(n), x) for n in (net, t)] == [list(o) for o in verdict.counterexample.outputs]


def not_tie_safe_transformer():
    """max_head_transformer with value = the constant slot, 1 in token 0 and 0 in token 1: a step."""
    t = replace(max_head_transformer(0), positions=((F(0), F(1)), (F(0), F(0))))
    return replace(t, blocks=(replace(t.blocks[0], attention=replace(
        t.blocks[0].attention, heads=(replace(t.blocks[0].attention.heads[0], value=((F(0),), (F(1),))),))),))


def test_head_that_is_not_tie_safe_is_reported():
    step = not_tie_safe_transformer()
    assert evaluate(step, [F(0)]) == (F(1, 2),)       # the jump at the tie
    verdict = certify(step, step, box(1, -1, 1))
    assert verdict.word == "EQUIVALENT ALMOST EVERYWHERE"
    assert verdict.refinement.not_tie_safe == ("block 0, head 0, query token 0",)
    assert certify(max_head_transformer(0), max_head_transformer(0), box(1, -1, 1)).word == "EQUIVALENT"


@pytest.mark.parametrize("seed", range(3))
def test_distance_equals_the_maximum_over_cell_vertices(seed):
    """|A - B| is affine on each cell of the common refinement, so its maximum is at a vertex."""
    a, b = random_relu(2, [3], seed=seed), random_maxout(2, [2], 2, seed=seed)
    domain = box(2, -1, 1)
    result = distance(a, b, domain)
    best = max(max(abs(u - v) for u, v in zip(cell.affines[0](p), cell.affines[1](p)))
               for cell in result.refinement.cells for p in vertices(cell.polyhedron.rows))
    assert result.value == best
    assert result.maximiser.difference == best
    assert result.maximiser.outputs == (evaluate(a, result.maximiser.x), evaluate(b, result.maximiser.x))


def test_cli_certify_compiles_and_prints_the_verdict_first(tmp_path, capsys):
    net = random_maxout(2, [3, 3], 3, seed=1)
    path = tmp_path / "net.json"
    save_network(net, path)
    assert main(["certify", str(path), "--box", "-1", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "EQUIVALENT"
    out = tmp_path / "build" / "t.json"
    assert main(["compile", str(path), "--box", "-1", "1", "-o", str(out)]) == 0
    assert "nonzero parameters" in capsys.readouterr().out
    assert main(["certify", str(path), str(out), "--box", "-3", "3", "--json"]) == 10
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "DIFFERENT"
    assert {"verdict", "cells", "seconds", "counterexample", "distance"} <= set(result)
    x = [F(v) for v in result["counterexample"]["x"]]
    assert [F(v) for v in result["counterexample"]["outputs"]["A"]] == list(evaluate(net, x))
    assert main(["count", str(out), "--box", "-1", "1"]) == 0
    capsys.readouterr()
    assert main(["distance", str(path), str(out), "--box", "-1", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "0"


def test_cli_certify_bad_input_prints_error_first_and_exits_2(tmp_path, capsys):
    a = tmp_path / "a.json"
    save_network(random_relu(2, [3], seed=0), a)
    b = tmp_path / "b.json"
    save_network(random_relu(3, [3], seed=0), b)
    assert main(["certify", str(a), str(b), "--box", "-1", "1"]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "ERROR" and "input dimension" in err
    transformer = tmp_path / "t.json"
    save_network(max_head_transformer(0), transformer)
    assert main(["compile", str(transformer), "--box", "-1", "1"]) == 2
    assert "not a transformer" in capsys.readouterr().err


def test_cli_quadratic_scores_and_eval(tmp_path, capsys):
    from test_transformers import quadratic_transformer
    path = tmp_path / "q.json"
    save_network(quadratic_transformer(), path)
    assert main(["count", str(path), "--box", "-1", "1"]) == 2
    err = capsys.readouterr().err
    assert "block 0, head 0, query token 0" in err and "quadratic" in err and "x = (" in err
    step = tmp_path / "relu.json"
    save_network(max_head_transformer(0), step)
    assert main(["eval", str(step), "-1/3"]) == 0
    assert capsys.readouterr().out.strip() == "(0)"
    assert main(["eval", str(step), "2/3"]) == 0
    assert capsys.readouterr().out.strip() == "(2/3)"
