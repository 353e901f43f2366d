"""Hostile input to the producer commands: exit code 2 and one line on stderr naming the file and what was expected,
never a traceback, a signal or memory exhausted (issue 12: output paths, negative exponents, empty domains,
reports of unbounded domains, very wide layers)."""
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from polyreg import load_network
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer, compiled_dense_parameters, size_of
from polyreg.geometry.polyhedron import box
from polyreg.network.ir import Mlp

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NET = str(EXAMPLES / "relu_2x8x8.json")
UNCREATABLE = "/proc/polyreg-test/out"    # /proc refuses new files, even to root (the tests run as root)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err):
    """The error message, after checking it is one line in the documented form."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polyreg: error: ") and "Traceback" not in err
    return lines[0]


def wide_network(path, units):
    """x -> sum_k relu(x - k/(units + 1)): ``units`` distinct breakpoints in (0, 1), so units + 1 cells on [0, 1]."""
    path.write_text(json.dumps({"format": "polyreg.network/1", "input_dim": 1, "layers": [
        {"type": "linear", "weight": [[1]] * units, "bias": [f"-{k + 1}/{units + 1}" for k in range(units)]},
        {"type": "relu"},
        {"type": "linear", "weight": [[1] * units], "bias": [0]}]}))
    return str(path)


# --- 1. output paths are checked before any work ---------------------------------------------------------------

@pytest.fixture
def places(tmp_path):
    """A regular file and a directory that exist."""
    (tmp_path / "a_file").write_text("keep me")
    (tmp_path / "a_dir").mkdir()
    return tmp_path


def bad_outputs(p):
    """(command line, expected message) for each output that cannot be written."""
    box = ["--box", "-1", "1"]
    return [
        (["count", NET, *box, "--certificate", p / "a_file" / "c.json"],
         f"{p / 'a_file' / 'c.json'}: --certificate: cannot be created: {p / 'a_file'} is a file, not a folder"),
        (["certify", NET, NET, *box, "--certificate", p / "a_file" / "c.json"],
         f"{p / 'a_file' / 'c.json'}: --certificate: cannot be created: {p / 'a_file'} is a file, not a folder"),
        (["certify", NET, NET, *box, "--certificate", p / "a_dir"],
         f"{p / 'a_dir'}: --certificate: is a directory; expected the name of a file to write"),
        (["count", NET, *box, "--certificate", UNCREATABLE],
         f"{UNCREATABLE}: --certificate: cannot be created: /proc does not allow writing"),
        (["count", NET, *box, "--report", p / "a_file"],
         f"{p / 'a_file'}: --report: is a file; expected a folder to write into"),
        (["certify", NET, *box, "--report", p / "a_file" / "r"],
         f"{p / 'a_file' / 'r'}: --report: cannot be created: {p / 'a_file'} is a file, not a folder"),
        (["certify", NET, NET, *box, "--report", UNCREATABLE],
         f"{UNCREATABLE}: --report: cannot be created: /proc does not allow writing"),
        (["compile", NET, *box, "-o", p / "a_dir"],
         f"{p / 'a_dir'}: -o: is a directory; expected the name of a file to write"),
        (["compile", NET, *box, "-o", p / "a_file" / "t.json"],
         f"{p / 'a_file' / 't.json'}: -o: cannot be created: {p / 'a_file'} is a file, not a folder"),
        (["compile", NET, *box, "-o", UNCREATABLE],
         f"{UNCREATABLE}: -o: cannot be created: /proc does not allow writing"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_an_output_that_cannot_be_written_is_refused_before_any_work(places, capsys, case):
    argv, expected = bad_outputs(places)[case]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""      # certify used to print EQUIVALENT, then crash
    assert one_error_line(err) == f"polyreg: error: {expected}"
    assert (places / "a_file").read_text() == "keep me" and not any((places / "a_dir").iterdir())


def test_a_report_folder_whose_report_file_is_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "r" / "report.html").mkdir(parents=True)
    code, out, err = run(capsys, "count", NET, "--box", "-1", "1", "--report", tmp_path / "r")
    assert code == 2 and out == ""
    assert one_error_line(err) == (f"polyreg: error: {tmp_path / 'r' / 'report.html'}: --report: is a directory; "
                                   "expected the name of a file to write")


def test_polyreg_report_refuses_an_output_folder_that_is_a_file(tmp_path, capsys):
    cert = tmp_path / "c.json"
    assert run(capsys, "count", NET, "--box", "-1", "1", "--certificate", cert)[0] == 0
    (tmp_path / "a_file").write_text("")
    code, out, err = run(capsys, "report", cert, "-o", tmp_path / "a_file")
    assert code == 2 and out == ""
    assert one_error_line(err) == f"polyreg: error: {tmp_path / 'a_file'}: -o: is a file; expected a folder to write into"


def test_outputs_in_folders_still_to_be_made_are_written(tmp_path, capsys):
    cert, report = tmp_path / "new" / "deeper" / "c.json.gz", tmp_path / "also" / "new"
    code, out, _ = run(capsys, "certify", NET, NET, "--box", "-1", "1", "--certificate", cert, "--report", report)
    assert code == 0 and out.startswith("EQUIVALENT")
    assert json.loads(gzip.decompress(cert.read_bytes()))["claim"]["kind"] == "equivalent"
    assert (report / "report.html").is_file()


# --- 2. negative numbers with exponents are values, not options ------------------------------------------------

def test_box_with_a_negative_exponent_gives_the_same_counts_as_the_fraction(capsys):
    code, out, err = run(capsys, "count", NET, "--box", "-1e-3", "1", "--json")
    assert code == 0, err
    code, reference, _ = run(capsys, "count", NET, "--box", "-1/1000", "1", "--json")
    assert code == 0
    keys = ("activation_regions", "linear_regions", "affine_maps", "cells", "domain")
    assert {k: json.loads(out)[k] for k in keys} == {k: json.loads(reference)[k] for k in keys}
    assert json.loads(out)["domain"] == "[-1/1000, 1]^2"


@pytest.mark.parametrize("spelled,exact", [("-2E+1", "-20"), ("-.5", "-1/2"), ("-5.", "-5"), ("-1000e-3", "-1")])
def test_every_negative_spelling_of_a_rational_is_a_value(capsys, spelled, exact):
    code, out, err = run(capsys, "eval", NET, spelled, "-1e-3")
    assert code == 0, err
    assert out == run(capsys, "eval", NET, exact, "-1/1000")[1]


def test_a_negative_number_too_large_to_read_names_the_option(capsys):
    code, out, err = run(capsys, "count", NET, "--box", "-1e999999", "1")
    assert code == 2 and out == ""
    assert "--box LO: got str '-1e999999'; expected an exact rational" in one_error_line(err)


# --- 3. an empty domain with an unbounded direction is empty ----------------------------------------------------

def domain_file(tmp_path, A, b):
    path = tmp_path / "domain.json"
    path.write_text(json.dumps({"format": "polyreg.domain/1", "A": A, "b": b}))
    return str(path)


@pytest.mark.parametrize("command", [["count", NET], ["certify", NET, NET], ["compile", NET]])
def test_an_empty_and_unbounded_domain_is_reported_empty(tmp_path, capsys, command):
    path = domain_file(tmp_path, [[1, 0], [-1, 0]], [-1, -1])    # x <= -1 and x >= 1, y free
    code, out, err = run(capsys, *command, "--domain", path)
    assert code == 2
    assert one_error_line(err) == (f"polyreg: error: {path}: the domain is empty: see its inequalities row 0, row 1; "
                                   "polyreg needs a full-dimensional domain")


def test_a_nonempty_unbounded_domain_is_still_reported_unbounded(tmp_path, capsys):
    path = domain_file(tmp_path, [[1, 0], [-1, 0], [0, -1]], [1, 1, 0])    # |x| <= 1, y >= 0
    code, out, err = run(capsys, "count", NET, "--domain", path)
    assert code == 2 and out == ""
    assert one_error_line(err) == (f"polyreg: error: {path}: the domain is unbounded: x_1 can go to +infinity; "
                                   "add bounds (for example with --box)")


# --- 4. the report of a certificate over an unbounded domain ---------------------------------------------------

def unbounded_certificate(tmp_path, capsys, rows):
    """A verified 1-D count certificate (cells x <= 0, 0 <= x <= 1, x >= 1 of relu(x) - 2 relu(x - 1)) whose domain
    rows are replaced by ``rows`` (the checker accepts any domain its point is strictly inside)."""
    net = tmp_path / "net.json"
    net.write_text(json.dumps({"format": "polyreg.network/1", "input_dim": 1, "layers": [
        {"type": "linear", "weight": [[1], [1]], "bias": [0, -1]}, {"type": "relu"},
        {"type": "linear", "weight": [[1, -2]], "bias": [0]}]}))
    cert = tmp_path / "bounded.json"
    assert run(capsys, "count", net, "--box", "-2", "3", "--certificate", cert)[0] == 0
    data = json.loads(cert.read_text())
    data["domain"]["rows"] = rows
    cert = tmp_path / "unbounded.json"
    cert.write_text(json.dumps(data))
    assert run(capsys, "check", cert)[0] == 0
    return cert


@pytest.mark.parametrize("rows,reason", [
    ([[2, 1]], "the domain is unbounded (x1 goes to +infinity on it)"),
    ([], "the domain has no inequalities, so it is unbounded"),
])
def test_report_of_an_unbounded_1d_domain_has_no_figure_and_says_why(tmp_path, capsys, rows, reason):
    cert = unbounded_certificate(tmp_path, capsys, rows)
    code, out, err = run(capsys, "report", cert, "-o", tmp_path / "report")
    assert code == 0 and "Traceback" not in err
    assert out.startswith("COUNTS — verified: cells 3")
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert f"No cell figure: {reason}; figures are drawn for bounded domains only." in markdown
    facts = json.loads((tmp_path / "report" / "report.json").read_text())
    assert facts["certificates"][0]["breakpoints"] == [["0", "1"]] and facts["figures"] == []
    assert not list((tmp_path / "report").glob("*.png"))


# --- 5. very wide layers ---------------------------------------------------------------------------------------

GATE_AT_40000 = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))   # a dense 40,000 x 40,000 selection needs 25.6 GB
import flint
from polyreg.core.stages import Entries, FeedForwardStage, gate
from polyreg.exact.flint_matrices import Conversions
from polyreg.network.ir import FeedForward, Maxout, Relu
n = 40000
M = flint.fmpq_mat(n, 2, [v for i in range(n) for v in (i, flint.fmpq(1, i + 1))])
relu = gate(Relu(), [i % 2 for i in range(n)], Entries(M))
assert relu.nrows() == n and relu[3, 1] == flint.fmpq(1, 4) and relu[2, 0] == 0 and relu[2, 1] == 0
pairs = gate(Maxout(2), [1] * (n // 2), Entries(M))
assert pairs.nrows() == n // 2 and pairs[0, 0] == 1 and pairs[n // 2 - 1, 0] == n - 1
ff = FeedForward(((1,) * n,), tuple(-k for k in range(n)), tuple((1,) for _ in range(n)), (0,), residual=False)
stage = FeedForwardStage(0, ff, 1, Conversions())
x = flint.fmpq_mat(1, 2, [0, 1])
step = stage.at((x,), 0)
out = step.apply([int(k < 10) for k in range(n)])   # relu(x - k) for k < 10, summed: 10 x - 45
assert out[0].tolist() == [[-45, 10]], out[0]
print("ok")
"""


def test_gates_of_40000_units_select_rows_without_a_dense_selection_matrix():
    done = subprocess.run([sys.executable, "-c", GATE_AT_40000], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr[-2000:]


def test_a_wide_layer_on_a_line_counts_one_cell_more_than_units(tmp_path, capsys):
    code, out, err = run(capsys, "count", wide_network(tmp_path / "wide.json", 500), "--box", "0", "1", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["cells"], result["activation_regions"], result["linear_regions"]) == (501, 501, 501)


@pytest.mark.parametrize("command", ["compile", "certify"])
def test_compiling_40000_units_is_refused_before_building_the_transformer(tmp_path, capsys, command):
    path = wide_network(tmp_path / "wide.json", 40000)
    code, _, err = run(capsys, command, path, "--box", "0", "1")
    assert code == 2
    assert one_error_line(err) == (
        f"polyreg: error: {path}: the network (widths [40000, 40000, 1]) would compile to a transformer with "
        "25,601,920,037 dense parameters, which needs about 614.4 GB or more; polyreg compiles at most 50,000,000 "
        "(about 1.2 GB): the transformer grows with the square of the width")


def test_maps_of_many_inputs_through_a_wide_layer_are_refused_before_the_work(tmp_path, capsys):
    n = 20000     # 20,000 inputs -> 1 -> 20,000 units: the 80,000 weights make maps of 20,000 x 20,001 entries
    path = tmp_path / "many_inputs.json"
    path.write_text(json.dumps({"format": "polyreg.network/1", "input_dim": n, "layers": [
        {"type": "linear", "weight": [[1] * n], "bias": [0]},
        {"type": "linear", "weight": [[1]] * n, "bias": [0] * n}, {"type": "relu"}]}))
    code, out, err = run(capsys, "count", path, "--box", "0", "1")
    assert code == 2 and out == ""
    assert one_error_line(err) == (
        f"polyreg: error: {path}: the network's intermediate affine maps of its 20000 inputs would hold 400,020,000 "
        "exact rationals, which needs about 6.4 GB or more; polyreg enumerates networks whose maps hold at most "
        "50,000,000 (about 0.8 GB): use fewer inputs or narrower layers")


@pytest.mark.parametrize("name", ["relu_2x8x8.json", "maxout_2x3x3.json", "sawtooth_10.json", "selector.json"])
def test_the_compiled_size_is_predicted_exactly(name):
    net = load_network(EXAMPLES / name)
    assert isinstance(net, Mlp)
    predicted = compiled_dense_parameters(net)
    assert predicted == size_of(compile_transformer(net, box(net.input_dim, -1, 1))).dense_parameters


def test_max_bytes_bounds_every_input_file_and_can_be_raised(tmp_path, capsys):
    net = str(EXAMPLES / "relu_2x8x8.json")
    size = Path(net).stat().st_size
    assert main(["count", net, "--box", "-1", "1", "--max-bytes", str(size - 1), "--certificate",
                 str(tmp_path / "c.json")]) == 2
    assert f"more than {size - 1} bytes of JSON" in capsys.readouterr().err
    assert main(["count", net, "--box", "-1", "1", "--max-bytes", str(size), "--certificate",
                 str(tmp_path / "c.json")]) == 0
    cert = (tmp_path / "c.json").stat().st_size
    capsys.readouterr()
    assert main(["check", str(tmp_path / "c.json"), "--max-bytes", str(cert - 1)]) == 2
    assert main(["check", str(tmp_path / "c.json"), "--max-bytes", str(cert)]) == 0
    assert main(["report", str(tmp_path / "c.json"), "-o", str(tmp_path / "r"), "--max-bytes", str(cert - 1)]) == 2


def test_a_box_file_with_crossed_bounds_is_named_in_the_error(tmp_path, capsys):
    path = tmp_path / "box.json"
    path.write_text('{"format": "polyreg.box/1", "lower": [1, 0], "upper": [0, 1]}')
    assert main(["count", str(EXAMPLES / "relu_2x8x8.json"), "--box-file", str(path)]) == 2
    assert capsys.readouterr().err == (f"polyreg: error: {path}: box coordinate 0: lower bound 1 is not below upper "
                                       "bound 0; the domain must be full-dimensional\n")
