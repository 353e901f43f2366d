"""Certifying outputs part by part: relevance is sound (checked by exact evaluation), the producer's and the
checker's relevance agree, split certificates verify, and a part that leaves out a group it depends on is refused."""
import copy
import json
import random
from fractions import Fraction as F

import pytest

from polyreg import box, evaluate
from polyreg.analysis.cases import certify_mixed
from polyreg.certificates.write import mixed_certificate
from polyreg.cli.main import main
from polyreg.core.enumerate import refine
from polyreg.formats.json_files import network_to_json, save_network
from polyreg.geometry.domains import DiscreteGroup, MixedDomain
from polyreg.network.families import random_relu
from polyreg.network.ir import Attention, Block, Dense, FeedForward, Head, Mlp, Relu, Transformer
from polyreg.network.relevance import relevance
from polyreg.network.rewrite import project
from polyreg_check import Reject, check, load
from polyreg_check.mlp import Mlp as CheckedMlp
from polyreg_check.transformer import Transformer as CheckedTransformer


def table(rows, cols, entries):
    M = [[F(0)] * cols for _ in range(rows)]
    for r, c, v in entries:
        M[r][c] += F(v)
    return tuple(map(tuple, M))


# Pointer lookup, N tokens: token t holds a one-hot symbol y_t in {0..N-1} (inputs N t .. N t + N - 1) and z_t
# (input N^2 + t); output i is z_{y_i}.

def lookup_transformer(N, leak=0):
    """One head: query 1_{y_i}, key e_j (positional), value z_j. With ``leak``, a second head (attending to token 0
    only) adds ``leak [y_0 = 1]`` to every output: a dependence across tokens."""
    P, K, Z, Y, width = 0, N, 2 * N, 2 * N + 1, 2 * N + 2
    embed = tuple(table(N * N + N, width, [(N * t + j, P + j, 1) for j in range(N)] + [(N * N + t, Z, 1)])
                  for t in range(N))
    heads = (Head(table(width, N, [(P + j, j, 1) for j in range(N)]),
                  table(width, N, [(K + j, j, 1) for j in range(N)]),
                  table(width, 1, [(Z, 0, 1)]), table(1, width, [(0, Y, 1)])),)
    if leak:
        heads += (Head(table(width, 1, []), table(width, 1, []), table(width, 1, [(P + 1, 0, 1)]),
                       table(1, width, [(0, Y, leak)]), mask=tuple(tuple(j == 0 for j in range(N)) for _ in range(N))),)
    positions = table(N, width, [(t, K + t, 1) for t in range(N)])
    readout = tuple(table(width, N, [(Y, t, 1)]) for t in range(N))
    return Transformer(N * N + N, N, width, embed, positions, (Block(Attention(heads), None),), readout, (F(0),) * N)


def lookup_reference(N):
    """``out_i = sum_j relu(z_j + 2 [y_i = j] - 1) - 1`` (= z_{y_i} on [-1, 1])."""
    first = table(N * N, N * N + N, [(N * i + j, N * N + j, 1) for i in range(N) for j in range(N)]
                  + [(N * i + j, N * i + j, 2) for i in range(N) for j in range(N)])
    second = table(N, N * N, [(i, N * i + j, 1) for i in range(N) for j in range(N)])
    return Mlp(N * N + N, (Dense(first, (F(-1),) * (N * N)), Relu(), Dense(second, (F(-1),) * N)))


def lookup_domain(N):
    one_hot = tuple(tuple(F(int(i == k)) for i in range(N)) for k in range(N))
    return MixedDomain(N * N + N, tuple(DiscreteGroup(tuple(range(N * t, N * t + N)), one_hot) for t in range(N)),
                       tuple(range(N * N, N * N + N)), box(N, -1, 1))


def parts_certificate(N=3, leak=0):
    a, b, domain = lookup_transformer(N, leak), lookup_reference(N), lookup_domain(N)
    verdict = certify_mixed(a, b, domain, split_outputs=True)
    return verdict, json.loads(json.dumps(mixed_certificate(verdict, a, b, domain)))


def test_split_certificate_enumerates_each_tokens_symbol_alone_and_verifies():
    verdict, cert = parts_certificate(3)
    assert verdict.word == "EQUIVALENT"
    assert [(p.outputs, p.groups, len(p.cases)) for p in verdict.parts] == [((0,), (0,), 3), ((1,), (1,), 3),
                                                                            ((2,), (2,), 3)]
    assert check(cert).startswith("the networks are equal everywhere on the domain (9 cells in 9 discrete cases "
                                  "of 3 output parts)")
    a, b, domain = lookup_transformer(3), lookup_reference(3), lookup_domain(3)
    with_margin = json.loads(json.dumps(mixed_certificate(verdict, a, b, domain, margin=F(1))))
    assert check(with_margin).endswith("every hard-max score margin is at least 1")   # score 1 on y_i, 0 elsewhere
    # the same pair without splitting: 27 cases, the same verdict
    whole = certify_mixed(lookup_transformer(3), lookup_reference(3), lookup_domain(3))
    assert whole.word == "EQUIVALENT" and len(whole.cases) == 27


def test_the_networks_compute_the_lookup_at_every_assignment():
    rng = random.Random(3)
    for y in [(a, b, c) for a in range(3) for b in range(3) for c in range(3)]:
        z = [F(rng.randint(-8, 8), 8) for _ in range(3)]
        x = tuple(F(int(y[t] == j)) for t in range(3) for j in range(3)) + tuple(z)
        expected = tuple(z[y[i]] for i in range(3))
        assert evaluate(lookup_transformer(3), x) == evaluate(lookup_reference(3), x) == expected


def test_a_dependence_across_tokens_is_found_and_a_part_without_that_group_is_refused():
    verdict, cert = parts_certificate(3, leak=1)
    assert verdict.word == "DIFFERENT"
    assert [p.groups for p in verdict.parts] == [(0,), (0, 1), (0, 2)]     # every output reads y_0 now
    assert check(cert).startswith("the networks differ")
    x = verdict.counterexample
    assert evaluate(lookup_transformer(3, leak=1), x.x) != evaluate(lookup_reference(3), x.x)
    forged = copy.deepcopy(cert)
    part = forged["parts"][1]
    keep = range(3)                          # the cases with y_0 = 0: as if only token 1's symbol mattered
    part["groups"], part["cases"] = [1], [part["cases"][k] for k in keep]
    with pytest.raises(Reject, match=r"outputs \[1\] can depend on discrete groups \[0\]"):
        check(forged)


def test_a_split_on_a_switched_off_unit_or_a_missing_split_is_refused():
    _, cert = parts_certificate(3)
    tree = cert["parts"][0]["cases"][0]["tree"]
    bad = copy.deepcopy(cert)
    bad["parts"][0]["cases"][0]["tree"] = {"split": [tree, None]}    # a split where no unit is undecided
    with pytest.raises(Reject):
        check(bad)
    bad = copy.deepcopy(cert)
    leaf = tree
    while "split" in leaf:
        leaf = next(child for child in leaf["split"] if child is not None and "prune" not in child)
    bad["parts"][0]["cases"][0]["tree"] = leaf                        # the splits of relevant units dropped
    with pytest.raises(Reject):
        check(bad)


def sparse_mlp(rng, n, widths, outputs):
    """A ReLU network whose weights are mostly zero (small integers otherwise)."""
    layers, width = [], n
    for k, w in enumerate(widths + [outputs]):
        weight = tuple(tuple(F(rng.choice([0, 0, 0, 1, -1, 2])) for _ in range(width)) for _ in range(w))
        layers.append(Dense(weight, tuple(F(rng.randint(-2, 2), 2) for _ in range(w))))
        if k < len(widths):
            layers.append(Relu())
        width = w
    return Mlp(n, tuple(layers))


def sparse_transformer(rng, n, N, width):
    """Random sparse hard-max blocks whose queries read positional slots only (so scores stay affine)."""
    def sparse(rows, cols, density=0.3, allowed=None):
        return tuple(tuple(F(rng.choice([1, -1, 2])) if rng.random() < density and (allowed is None or r in allowed)
                           else F(0) for _ in range(cols)) for r in range(rows))
    fixed = {0, 1}                                         # slots that only positions write
    embed = tuple(sparse(n, width, 0.25, allowed=None) for _ in range(N))
    embed = tuple(tuple(tuple(F(0) if c in fixed else v for c, v in enumerate(row)) for row in E) for E in embed)
    positions = tuple(tuple(F(rng.randint(-3, 3)) for _ in range(width)) for _ in range(N))
    blocks = []
    for _ in range(2):
        heads = tuple(Head(sparse(width, 2, 0.6, fixed), sparse(width, 2, 0.5), sparse(width, 1, 0.4),
                           tuple(tuple(F(0) if c in fixed else v for c, v in enumerate(row))
                                 for row in sparse(1, width, 0.4)),
                           mask=tuple(tuple(j <= i or rng.random() < 0.5 for j in range(N)) for i in range(N)))
                      for _ in range(rng.randint(1, 2)))
        w2 = tuple(tuple(F(0) if c in fixed else v for c, v in enumerate(row)) for row in sparse(3, width, 0.3))
        ff = FeedForward(sparse(width, 3, 0.3), tuple(F(rng.randint(-1, 1)) for _ in range(3)), w2, (F(0),) * width)
        blocks.append(Block(Attention(heads), ff))
    readout = tuple(sparse(width, 2, 0.3) if rng.random() < 0.7 else None for _ in range(N))
    if all(R is None for R in readout):
        readout = (sparse(width, 2, 0.5),) + readout[1:]
    return Transformer(n, N, width, embed, positions, tuple(blocks), readout, (F(0), F(0)))


def random_networks():
    rng = random.Random(11)
    nets = [sparse_mlp(rng, 4, [5, 4], 3) for _ in range(6)] + [random_relu(3, [4], seed=2, outputs=2)]
    return nets + [sparse_transformer(rng, 4, 3, 6) for _ in range(10)]


def test_outputs_do_not_change_when_only_irrelevant_inputs_do():
    rng = random.Random(5)
    for net in random_networks():
        for o in range(net.output_dim):
            inputs = relevance(net, [o]).inputs
            for _ in range(6):
                x = [F(rng.randint(-6, 6), 3) for _ in range(net.input_dim)]
                y = [v if i in inputs else F(rng.randint(-6, 6), 3) for i, v in enumerate(x)]
                assert evaluate(net, x)[o] == evaluate(net, y)[o]


def test_producer_and_checker_find_the_same_inputs_and_units():
    for net in random_networks():
        obj = network_to_json(net, dense=True)
        replay = (CheckedTransformer if isinstance(net, Transformer) else CheckedMlp)(obj, list(range(net.input_dim)))
        for outputs in [[o] for o in range(net.output_dim)] + [list(range(net.output_dim))]:
            mine = relevance(net, outputs)
            inputs, units = replay.relevance(outputs)
            assert (set(inputs), [set(u) for u in units]) == (set(mine.inputs), [set(u) for u in mine.units])


def test_switched_off_units_leave_the_maps_of_the_kept_outputs_exact():
    """On every cell of a projection refined with irrelevant units off, the cell's map equals direct evaluation."""
    for net in random_networks():
        for o in range(net.output_dim):
            cpwl = refine((project(net, [o]),), box(net.input_dim, -1, 1), only_relevant=True)
            for cell in cpwl.cells:
                assert cell.affines[0](cell.point) == (evaluate(net, cell.point)[o],)


def test_cli_split_outputs_on_a_box_writes_a_certificate_that_checks(tmp_path, capsys):
    net = random_relu(2, [3, 3], seed=4, outputs=2)
    save_network(net, tmp_path / "a.json")
    save_network(net, tmp_path / "b.json")
    code = main(["certify", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--box", "-1", "1",
                 "--split-outputs", "--certificate", str(tmp_path / "c.json")])
    assert code == 0 and capsys.readouterr().out.startswith("EQUIVALENT")
    assert main(["check", str(tmp_path / "c.json")]) == 0
    assert "output parts" in capsys.readouterr().out
    code = main(["certify", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--box", "-1", "1",
                 "--split-outputs", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["output_parts"] == len(load(tmp_path / "c.json")["parts"])
