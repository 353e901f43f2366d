"""``certify --top-1`` and ``--epsilon``: answers against closed forms, a brute force over a rational grid, exact
evaluation of every point reported, ``distance``, the network composed with a slice by hand, and the checker."""
import copy
import itertools
import json
from fractions import Fraction as F

import numpy as np
import pytest

from polyreg import box, evaluate
from polyreg.analysis.classifiers import top_1, top_classes, within
from polyreg.analysis.equivalence import distance
from polyreg.certificates.claims import answer_claim
from polyreg.certificates.write import certificate, point_certificate
from polyreg.core.enumerate import SPLIT_AFTER
from polyreg.cli.main import main
from polyreg.errors import InputError
from polyreg.formats.json_files import save_network
from polyreg.geometry.domains import plane
from polyreg.network.families import random_relu
from polyreg.network.ir import Dense, Mlp, Relu
from polyreg_check import Reject, check

SQUARE = box(2, -1, 1)


def rounded(net, denominator):
    """``net`` with every weight and bias rounded to the nearest multiple of ``1 / denominator``."""
    def near(v):
        return F(round(v * denominator), denominator)
    return Mlp(net.input_dim, tuple(Dense(tuple(tuple(near(v) for v in row) for row in layer.weight),
                                          tuple(near(v) for v in layer.bias)) if isinstance(layer, Dense) else layer
                                    for layer in net.layers))


def line(*rows):
    """The 1-input network ``x -> (a_k x + b_k)_k`` of ``rows`` ``(a_k, b_k)``."""
    return Mlp(1, (Dense(tuple((F(a),) for a, _ in rows), tuple(F(b) for _, b in rows)),))


def verified(answer):
    """The checker's conclusion about the answer's certificate (read back from JSON)."""
    claim = answer_claim(answer)
    cert = (certificate(answer.refinement, claim) if answer.refinement is not None
            else point_certificate(answer.networks, answer.domain, claim))
    return check(json.loads(json.dumps(cert)))


def grid(n, lo=-1, hi=1):
    steps = [F(lo) + F(hi - lo) * k / n for k in range(n + 1)]
    return list(itertools.product(steps, steps))


def test_closed_forms_on_a_line():
    """A = (x, 0) against a shifted copy: their classes differ on (0, 1/2), exactly where x and x - 1/2 disagree in
    sign; against a scaled copy (2x, 0) the classes agree everywhere (both tie at 0 only)."""
    segment = box(1, -1, 1)
    a, shifted, scaled = line((1, 0), (0, 0)), line((1, F(-1, 2)), (0, 0)), line((2, 0), (0, 0))
    answer = top_1(a, shifted, segment)
    assert answer.word == "DIFFERENT CLASS" and 0 < answer.witness.x[0] < F(1, 2)
    assert answer.witness.classes == ((0,), (1,))
    assert top_1(a, scaled, segment).word == "SAME CLASS"
    assert within(a, scaled, segment, 1).holds and not within(a, scaled, segment, F(99, 100)).holds


def test_ties_count_as_agreement_when_a_top_class_is_shared():
    """A = (-|x|, 0) ties at x = 0 (top classes {0, 1}); B = (-1, 0) names 1 everywhere. Some class is top for
    both at every x, so the answer is SAME CLASS, although the lowest-index rule (numpy's argmax) names 0 for A
    at x = 0: the measure-zero difference the README describes."""
    a = Mlp(1, (Dense(((F(1),), (F(-1),)), (F(0), F(0))), Relu(),
                Dense(((F(-1), F(-1)), (F(0), F(0))), (F(0), F(0)))))
    b = line((0, -1), (0, 0))
    assert top_1(a, b, box(1, -1, 1)).word == "SAME CLASS"
    assert evaluate(a, [0]) == (0, 0) and np.argmax([float(v) for v in evaluate(a, [0])]) == 0
    assert top_classes(evaluate(b, [0])) == (1,)


def last_layer(net, change):
    """``net`` with its last layer's rows (weights and bias) ``r_k`` replaced by ``change(k, r)``."""
    last = net.layers[-1]
    rows = [change(k, list(last.weight[k]) + [last.bias[k]]) for k in range(len(last.bias))]
    return Mlp(net.input_dim, net.layers[:-1] + (Dense(tuple(tuple(r[:-1]) for r in rows),
                                                       tuple(r[-1] for r in rows)),))


def doubled_plus_one(net):
    """``2 net(x) + 1``: the same top classes everywhere."""
    return last_layer(net, lambda k, r: [2 * v for v in r[:-1]] + [2 * r[-1] + 1])


@pytest.mark.parametrize("seed,copy,same", [(1, lambda n: rounded(n, 4), False), (3, lambda n: rounded(n, 8), False),
                                            (1, doubled_plus_one, True), (5, doubled_plus_one, True)])
def test_top_1_against_a_grid_and_exact_evaluation(seed, copy, same):
    """Nets whose top class changes over the square (seeds 1, 3, 5), against rounded copies (their classes
    differ) and against ``2 net + 1`` (the same classes). SAME CLASS: no point of a 41 x 41 rational grid has
    disjoint top classes (exact evaluation of both networks). DIFFERENT CLASS: the point reported lies in the
    square and has disjoint top classes when both networks are evaluated directly. The checker verifies both."""
    a = random_relu(2, [6, 6], seed=seed, outputs=3)
    b = copy(a)
    assert len({top_classes(evaluate(a, x)) for x in grid(20)}) > 1
    answer = top_1(a, b, SQUARE)
    assert answer.holds == same
    if same:
        assert all(set(top_classes(evaluate(a, x))) & set(top_classes(evaluate(b, x))) for x in grid(40))
        assert verified(answer).startswith("some class is top-scoring for both networks at every point")
    else:
        x = answer.witness.x
        assert all(-1 <= v <= 1 for v in x)
        assert not set(top_classes(evaluate(a, x))) & set(top_classes(evaluate(b, x)))
        assert verified(answer).startswith("the top classes differ at x")


@pytest.mark.parametrize("seed", range(3))
def test_epsilon_agrees_with_distance(seed):
    """``--epsilon E`` holds exactly for E >= the exact distance: at E = distance it is verified with bounds, just
    below it the point reported exceeds E on direct evaluation."""
    a = random_relu(2, [5, 5], seed=seed, outputs=2)
    b = rounded(a, 8)
    exact = distance(a, b, SQUARE).value
    assert exact > 0
    answer = within(a, b, SQUARE, exact)
    assert answer.holds and answer.bounds and verified(answer).startswith(f"|A(x) - B(x)|_inf <= {exact}")
    below = within(a, b, SQUARE, exact - F(1, 10**6))
    w = below.witness
    assert not below.holds and w.difference > exact - F(1, 10**6)
    assert max(abs(u - v) for u, v in zip(evaluate(a, w.x), evaluate(b, w.x))) == w.difference
    assert verified(below).startswith("|A(x) - B(x)|_inf = ")


def test_epsilon_stops_at_the_first_cell_that_exceeds():
    a = random_relu(2, [8, 8], seed=1, outputs=2)
    far = last_layer(a, lambda k, r: r[:-1] + [r[-1] + 10])
    answer = within(a, far, SQUARE, 1)
    assert not answer.holds and answer.cells == 1 and answer.witness.difference == 10


def test_on_a_plane_the_answers_are_those_of_the_composed_networks():
    """On the plane through three points the answers (and cell counts) are those of the networks with the plane
    put in front by hand, on the parameter square; the certificates verify with the slice."""
    a = random_relu(4, [6], seed=2, outputs=3)
    b = rounded(a, 4)
    on = plane([0, 0, 0, 0], [1, 0, 1, 0], [0, 1, 0, -1])
    hand = [Mlp(2, (Dense(tuple(tuple(d[i] for d in on.directions) for i in range(4)), on.origin),) + n.layers)
            for n in (a, b)]
    for ask in (lambda x, y, dom: top_1(x, y, dom), lambda x, y, dom: within(x, y, dom, F(1, 20))):
        sliced, by_hand = ask(a, b, on), ask(*hand, on.parameters)
        assert (sliced.holds, sliced.cells) == (by_hand.holds, by_hand.cells)
        assert sliced.witness is None or sliced.witness.outputs == by_hand.witness.outputs
        verified(sliced)


def test_a_changed_point_or_epsilon_is_rejected():
    a = random_relu(2, [6], seed=3, outputs=2)
    b = rounded(a, 2)
    answer = within(a, b, SQUARE, 0)
    assert not answer.holds
    claim = answer_claim(answer)
    cert = json.loads(json.dumps(point_certificate(answer.networks, answer.domain, claim)))
    raised = copy.deepcopy(cert)
    raised["claim"]["epsilon"] = str(answer.witness.difference)   # not above: equal
    with pytest.raises(Reject):
        check(raised)


def test_bad_questions_are_refused():
    one = random_relu(2, [3], seed=0)
    with pytest.raises(InputError, match="1 output"):
        top_1(one, one, SQUARE)
    with pytest.raises(InputError, match="epsilon must be >= 0"):
        within(one, one, SQUARE, -1)


def test_cli_exit_codes_json_and_certificates(tmp_path, capsys):
    a = random_relu(2, [6, 6], seed=1, outputs=3)
    swapped = last_layer(a, lambda k, r: list(a.layers[-1].weight[1 - k]) + [a.layers[-1].bias[1 - k]] if k < 2
                         else r)
    for name, net in (("a", a), ("s", swapped), ("one", random_relu(2, [3], seed=0))):
        save_network(net, tmp_path / f"{name}.json")
    A, S, ONE = (str(tmp_path / f"{n}.json") for n in ("a", "s", "one"))
    cert = str(tmp_path / "c.json")
    assert main(["certify", A, A, "--box", "-1", "1", "--top-1"]) == 0
    assert capsys.readouterr().out.startswith("SAME CLASS\n")
    assert main(["certify", A, S, "--box", "-1", "1", "--top-1", "--json", "--certificate", cert]) == 10
    out = json.loads(capsys.readouterr().out)
    x = [F(v) for v in out["witness"]["x"]]
    assert out["verdict"] == "DIFFERENT_CLASS"
    assert not set(top_classes(evaluate(a, x))) & set(top_classes(evaluate(swapped, x)))
    assert main(["check", cert]) == 0 and "VERIFIED: the top classes differ" in capsys.readouterr().out
    exact = distance(a, swapped, SQUARE).value
    assert main(["certify", A, S, "--box", "-1", "1", "--epsilon", str(exact), "--certificate", cert]) == 0
    assert capsys.readouterr().out.startswith(f"WITHIN EPSILON {exact}")
    assert main(["check", cert]) == 0
    assert main(["certify", A, S, "--box", "-1", "1", "--epsilon", "1/1000"]) == 10
    assert main(["certify", ONE, ONE, "--box", "-1", "1", "--top-1"]) == 2
    assert main(["certify", A, "--box", "-1", "1", "--top-1"]) == 2
    with pytest.raises(SystemExit, match="2"):
        main(["certify", A, S, "--box", "-1", "1", "--top-1", "--epsilon", "1"])
    err = capsys.readouterr().err
    assert "1 output" in err and "compares two networks" in err and "not allowed with argument" in err


def test_epsilon_bounds_name_the_right_cells_beyond_the_first_500():
    """731 cells: past the first 500 the work is finished item by item, and each bound still names its own leaf
    (the checker recomputes every one)."""
    a = random_relu(2, [16, 16], seed=3, outputs=2)
    b = rounded(a, 16)
    exact = distance(a, b, SQUARE)
    assert len(exact.refinement.cells) > SPLIT_AFTER
    answer = within(a, b, SQUARE, exact.value)
    assert answer.holds and verified(answer).startswith(f"|A(x) - B(x)|_inf <= {exact.value}")
