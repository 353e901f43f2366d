"""The runnable examples run, and the Python API reads a float as its exact binary value."""
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from polyreg import InputError, box

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_api_example_runs():
    out = subprocess.run([sys.executable, str(EXAMPLES / "api.py")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "activation regions" in out.stdout


def test_floats_are_their_exact_binary_values():
    # the float 0.1 is 3602879701896397/2^55, not 1/10 (a string "1/10" or a Fraction says 1/10)
    assert box(2, 0.1, 1) == box(2, Fraction(3602879701896397, 2 ** 55), 1)
    assert box(2, 0.1, 1) != box(2, Fraction(1, 10), 1) == box(2, "1/10", 1)
    with pytest.raises(InputError, match=r"box lower\[0\]: got float nan; expected a finite number"):
        box(2, float("nan"), 1)


def test_saved_networks_load_back_identical(tmp_path):
    from polyreg import load_network
    from polyreg.formats.json_files import save_network
    from polyreg.network.families import random_maxout, sawtooth, zigzag
    for net in (sawtooth(3), zigzag([3, 2]), random_maxout(2, [2, 2], 3, seed=1)):
        save_network(net, tmp_path / "net.json")
        assert load_network(tmp_path / "net.json") == net


def test_the_mixed_domain_example_certifies_and_verifies(tmp_path, capsys):
    from test_mixed import selector_mlp, selector_reference

    from polyreg import load_network
    from polyreg.cli.main import main
    assert load_network(EXAMPLES / "selector.json") == selector_mlp()
    assert load_network(EXAMPLES / "selector_reference.json") == selector_reference()
    cert = tmp_path / "mixed.json"
    assert main(["certify", str(EXAMPLES / "selector.json"), str(EXAMPLES / "selector_reference.json"),
                 "--domain", str(EXAMPLES / "mixed_domain.json"), "--certificate", str(cert)]) == 0
    assert main(["check", str(cert)]) == 0
    assert "8 cells in 3 discrete cases" in capsys.readouterr().out


def test_the_torch_example_trains_counts_certifies_and_finds_the_pruned_copy_different(tmp_path):
    out = subprocess.run([sys.executable, str(EXAMPLES / "from_torch.py"), str(tmp_path)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "torch vs its ONNX export: EQUIVALENT" in out.stdout and "torch vs pruned: DIFFERENT" in out.stdout
    check = subprocess.run([sys.executable, "-m", "polyreg_check", str(tmp_path / "export.json.gz")],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.startswith("VERIFIED: the networks are equal everywhere")


def test_the_digits_example_draws_its_plane_and_compares_an_int8_copy(tmp_path):
    """The picture is a PNG; on the plane the int8 copy names another class somewhere (the point is re-evaluated
    inside top_1), within 1/64 of the 0 it names the same classes, and the checker verifies that certificate."""
    cert = tmp_path / "ball.json.gz"
    out = subprocess.run([sys.executable, str(EXAMPLES / "digits.py"), str(tmp_path / "plane.png"), str(cert)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "cells" in out.stdout and (tmp_path / "plane.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "int8 copy on the plane: DIFFERENT CLASS at" in out.stdout
    assert "int8 copy within 1/64 of the 0 (64 inputs): SAME CLASS" in out.stdout
    check = subprocess.run([sys.executable, "-m", "polyreg_check", str(cert)], capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.startswith("VERIFIED: some class is top-scoring for both networks "
                                                             "at every point of the domain")
