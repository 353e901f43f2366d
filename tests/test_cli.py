"""The command line: results, JSON output, and one test per kind of bad input (exit code 2)."""
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from polyreg import evaluate, load_network
from polyreg.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NET = str(EXAMPLES / "relu_2x8x8.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_count_json_has_the_documented_keys_and_matches_the_text_output(capsys):
    code, out, _ = run(capsys, "count", NET, "--box", "-1", "1", "--json")
    result = json.loads(out)
    assert code == 0
    assert {"activation_regions", "linear_regions", "affine_maps", "input_dim", "cells", "seconds"} <= set(result)
    code, text, _ = run(capsys, "count", NET, "--box", "-1", "1")
    assert code == 0 and f"activation regions{result['activation_regions']:>12}" in text


def test_python_dash_m_and_the_console_script_agree():
    args = ["count", NET, "--box", "-1", "1", "--json"]
    as_module = subprocess.run([sys.executable, "-m", "polyreg", *args], capture_output=True, text=True)
    script = Path(sys.executable).with_name("polyreg")
    as_script = subprocess.run([str(script), *args], capture_output=True, text=True)
    assert as_module.returncode == as_script.returncode == 0
    def strip(text):
        return {k: v for k, v in json.loads(text).items() if k != "seconds"}
    assert strip(as_module.stdout) == strip(as_script.stdout)


def test_json_decimals_are_read_exactly(tmp_path):
    path = tmp_path / "net.json"
    path.write_text('{"format": "polyreg.network/1", "input_dim": 1, "layers": ['
                    '{"type": "linear", "weight": [[0.1]], "bias": ["1/3"]}]}')
    assert evaluate(load_network(path), [Fraction(1)]) == (Fraction(1, 10) + Fraction(1, 3),)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def network_text(layers, input_dim=2):
    return json.dumps({"format": "polyreg.network/1", "input_dim": input_dim, "layers": layers})


GOOD_LINEAR = {"type": "linear", "weight": [[1, 2], [3, 4]], "bias": [0, 0]}
BAD_NETWORKS = {
    "not json": ("{oops", "not valid JSON"),
    "wrong format": (json.dumps({"format": "onnx", "input_dim": 2, "layers": []}), "field 'format'"),
    "no layers": (network_text([]), "field 'layers'"),
    "bad input_dim": (network_text([GOOD_LINEAR], input_dim=0), "field 'input_dim'"),
    "string that is not a number": (network_text([{"type": "linear", "weight": [[1, "x"]], "bias": [0]}]),
                                    "layer 0 (linear), field 'weight'[0][1]"),
    "boolean weight": (network_text([{"type": "linear", "weight": [[1, True]], "bias": [0]}]),
                       "field 'weight'[0][1]: got bool"),
    "null bias": (network_text([{"type": "linear", "weight": [[1, 1]], "bias": [None]}]), "field 'bias'[0]"),
    "NaN": ('{"format": "polyreg.network/1", "input_dim": 1, "layers": '
            '[{"type": "linear", "weight": [[NaN]], "bias": [0]}]}', "NaN is not a JSON number"),
    "weight row too short": (network_text([{"type": "linear", "weight": [[1]], "bias": [0]}]),
                             "layer 0 (linear): weight[0] has 1 entries; expected 2"),
    "bias length": (network_text([{"type": "linear", "weight": [[1, 1]], "bias": [0, 1]}]),
                    "weight has 1 rows but bias has 2"),
    "maxout rank does not divide": (network_text([GOOD_LINEAR, {"type": "maxout", "rank": 3}]),
                                    "layer 1 (maxout): input width 2 is not a multiple of rank 3"),
    "maxout rank missing": (network_text([GOOD_LINEAR, {"type": "maxout"}]), "field 'rank'"),
    "unknown layer": (network_text([{"type": "softmax"}]), "unknown layer type 'softmax'"),
}


@pytest.mark.parametrize("case", BAD_NETWORKS)
def test_bad_network_file_exits_2_naming_the_problem(tmp_path, capsys, case):
    text, expected = BAD_NETWORKS[case]
    path = write(tmp_path, "net.json", text)
    code, out, err = run(capsys, "count", path, "--box", "-1", "1")
    assert code == 2 and out == ""
    assert path in err and expected in err


def domain_text(A, b):
    return json.dumps({"format": "polyreg.domain/1", "A": A, "b": b})


BAD_DOMAINS = {
    "unbounded": (domain_text([[1, 0], [0, 1]], [1, 1]), "unbounded: x_0 can go to -infinity"),
    "lower-dimensional": (domain_text([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 1, 1]), "lower-dimensional"),
    "empty": (domain_text([[1, 0], [-1, 0], [0, 1], [0, -1]], [-1, -1, 1, 1]), "is empty"),
    "wrong dimension": (domain_text([[1], [-1]], [1, 1]), "dimension 1 but"),
    "A and b differ": (domain_text([[1, 0]], [1, 2]), "'A' has 1 rows but 'b' has 2"),
    "unknown format": (json.dumps({"format": "polyreg.ball/1"}), "expected 'polyreg.domain/1'"),
}


@pytest.mark.parametrize("case", BAD_DOMAINS)
def test_bad_domain_exits_2_with_its_own_message(tmp_path, capsys, case):
    text, expected = BAD_DOMAINS[case]
    code, out, err = run(capsys, "count", NET, "--domain", write(tmp_path, "dom.json", text))
    assert code == 2 and out == "" and expected in err


@pytest.mark.parametrize("argv,expected", [
    (["--box", "1", "-1"], "lower bound 1 is not below upper bound -1"),
    (["--box", "-1", "one"], "--box HI: got str 'one'"),
    ([], "no domain given"),
])
def test_bad_box_arguments_exit_2(capsys, argv, expected):
    code, out, err = run(capsys, "count", NET, *argv)
    assert code == 2 and expected in err


def test_missing_network_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "count", str(tmp_path / "nope.json"), "--box", "0", "1")
    assert code == 2 and "nope.json: cannot read the file" in err


def test_bad_box_file_exits_2(capsys, tmp_path):
    path = write(tmp_path, "box.json", json.dumps({"format": "polyreg.box/1", "lower": [0], "upper": [1, 2]}))
    code, _, err = run(capsys, "count", NET, "--box-file", path)
    assert code == 2 and "equal length" in err
