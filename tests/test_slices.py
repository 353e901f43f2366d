"""Slices (``polyreg.slice/1``, ``--plane``) and boxes around a point (``--around``): against the network composed
with the slice by hand, the explicit box, exact evaluation, and the checker on tampered slices."""
import json
import random
from fractions import Fraction as F

import numpy as np
import pytest

from polyreg import box, certify, evaluate, lower, region_counts
from polyreg.certificates.claims import Counts
from polyreg.certificates.write import certificate
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.errors import InputError
from polyreg.formats.json_files import save_network
from polyreg.geometry.domains import Slice, plane
from polyreg.network.families import random_maxout, random_relu
from polyreg.network.ir import Dense, Mlp
from polyreg_check import Reject, check

NET = random_relu(5, [8, 8], seed=0)
rng = random.Random(3)
A, B, C = ([F(rng.randint(-8, 8), 4) for _ in range(5)] for _ in range(3))


def by_hand(net, origin, directions):
    """``t -> net(origin + sum_j t_j directions[j])``: an affine layer put in front (the library folds it)."""
    return Mlp(len(directions), (Dense(tuple(tuple(v[i] for v in directions) for i in range(len(origin))),
                                       tuple(origin)),) + net.layers)


def test_a_plane_has_the_counts_of_the_network_composed_with_it_by_hand():
    on = plane(A, B, C)
    sliced = lower(NET, on)
    hand = lower(by_hand(NET, A, on.directions), box(2, F(-1, 4), F(5, 4)))
    assert region_counts(sliced) == region_counts(hand) and len(sliced.cells) > 10
    for t in ([F(1, 3), F(1, 7)], [F(-1, 5), F(6, 5)], [F(1), F(0)]):   # B itself at (1, 0)
        assert sliced(t) == evaluate(NET, on.point(t))
    assert on.point([1, 0]) == tuple(B) and on.point([0, 1]) == tuple(C)


def test_a_slice_certificate_verifies_and_a_changed_slice_is_rejected():
    cpwl = lower(NET, plane(A, B, C))
    cert = certificate(cpwl, Counts.of(cpwl, region_counts(cpwl)))
    assert cert["networks"][0]["network"]["input_dim"] == 5 and len(cert["slice"]["directions"]) == 2
    assert check(cert).startswith(f"cells {len(cpwl.cells)}")
    for change in (lambda s: s["origin"].__setitem__(0, str(F(s["origin"][0]) + 1)),
                   lambda s: s["directions"][1].__setitem__(2, str(F(s["directions"][1][2]) - F(1, 2)))):
        tampered = json.loads(json.dumps(cert))
        change(tampered["slice"])
        with pytest.raises(Reject):
            check(tampered)


def test_a_transformer_on_a_slice_is_the_transformer_at_the_slice_points_and_its_certificate_verifies():
    net = random_maxout(3, [3], 2, seed=4)
    t = compile_transformer(net, box(3, -4, 4))
    on = Slice((F(1, 2), 0, -1), ((1, 1, 0), (0, F(1, 3), 1)), box(2, -1, 1))
    cpwl = lower(t, on)
    for s in ([F(1, 3), F(-1, 2)], [F(-1), F(1, 5)]):
        assert cpwl(s) == evaluate(t, on.point(s)) == evaluate(net, on.point(s))
    assert check(certificate(cpwl, Counts.of(cpwl, region_counts(cpwl)))).startswith("cells")


def test_a_counterexample_on_a_slice_is_a_real_input_where_the_networks_differ():
    other = random_relu(5, [8, 8], seed=1)
    verdict = certify(NET, other, plane(A, B, C))
    assert verdict.word == "DIFFERENT"
    x = plane(A, B, C).point(verdict.counterexample.x)
    assert verdict.counterexample.outputs == (evaluate(NET, x), evaluate(other, x))
    assert evaluate(NET, x) != evaluate(other, x)


def write(path, value):
    path.write_text(json.dumps(value))
    return str(path)


def test_the_cli_reads_slices_from_a_file_and_from_three_points(tmp_path, capsys):
    save_network(NET, tmp_path / "net.json")
    points = [write(tmp_path / f"{n}.json", [str(v) for v in p]) for n, p in zip("abc", (A, B, C))]
    np.save(tmp_path / "c.npy", np.array([float(v) for v in C]))      # quarters: exact in binary
    points_npy = points[:2] + [str(tmp_path / "c.npy")]
    on = plane(A, B, C)
    slice_file = write(tmp_path / "slice.json", {
        "format": "polyreg.slice/1", "origin": [str(v) for v in A],
        "directions": [[str(v) for v in d] for d in on.directions],
        "parameters": {"format": "polyreg.box/1", "lower": ["-1/4", "-1/4"], "upper": ["5/4", "5/4"]}})
    cells = len(lower(NET, on).cells)
    for where in (["--plane", *points], ["--plane", *points_npy], ["--domain", slice_file]):
        assert main(["count", str(tmp_path / "net.json"), *where, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["cells"] == cells
    assert main(["count", str(tmp_path / "net.json"), "--plane", *points, "--certificate",
                 str(tmp_path / "cert.json")]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "cert.json")]) == 0
    assert "slice: the networks' inputs in Q^5 are origin + x_0 v_0 + x_1 v_1" in capsys.readouterr().out


def test_around_is_the_explicit_box_clipped_to_the_valid_inputs(tmp_path, capsys):
    save_network(NET, tmp_path / "net.json")
    x = [F(1, 2), F(0), F(1), F(3, 4), F(1, 10)]
    point = write(tmp_path / "x.json", [str(v) for v in x])
    lows = [max(v - F(1, 5), 0) for v in x]
    highs = [min(v + F(1, 5), 1) for v in x]
    explicit = len(lower(NET, box(5, lows, highs)).cells)
    assert main(["count", str(tmp_path / "net.json"), "--around", point, "--radius", "1/5", "--clip", "0", "1",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == explicit
    assert main(["count", str(tmp_path / "net.json"), "--around", point, "--radius", "0.2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == len(lower(NET, box(5, [v - F(1, 5) for v in x],
                                                                             [v + F(1, 5) for v in x])).cells)


@pytest.mark.parametrize("args, message", [
    (["--around", "{x}"], "--around needs --radius R"),
    (["--around", "{x}", "--radius", "-1"], "--radius must be positive"),
    (["--around", "{x}", "--radius", "1/10", "--clip", "2", "3"], "empty or flat in coordinate 0"),
    (["--plane", "{x}", "{x}", "{short}"], "directions of lengths"),
    (["--plane", "{bad}", "{x}", "{x}"], "not a NumPy array file"),
])
def test_bad_slices_and_boxes_exit_2_naming_the_problem(tmp_path, capsys, args, message):
    save_network(NET, tmp_path / "net.json")
    files = {"x": write(tmp_path / "x.json", [0] * 5), "short": write(tmp_path / "s.json", [0] * 4)}
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    files["bad"] = str(tmp_path / "bad.npy")
    assert main(["count", str(tmp_path / "net.json"), *[a.format(**files) for a in args]]) == 2
    assert message in capsys.readouterr().err


def test_a_slice_of_the_wrong_dimension_and_compiling_on_a_slice_are_refused(tmp_path, capsys):
    save_network(NET, tmp_path / "net.json")
    three = [write(tmp_path / f"{n}.json", [0, 0, k]) for k, n in enumerate("abc")]
    assert main(["count", str(tmp_path / "net.json"), "--plane", *three]) == 2
    assert "the slice lies in Q^3 but" in capsys.readouterr().err
    save_network(random_maxout(3, [2], 2, seed=0), tmp_path / "m.json")
    assert main(["compile", str(tmp_path / "m.json"), "--plane", *three]) == 2
    assert "compiling needs a polytope" in capsys.readouterr().err
    with pytest.raises(InputError, match="2 directions but the parameter domain lies in Q\\^3"):
        Slice((0, 0), ((1, 0), (0, 1)), box(3, 0, 1))
