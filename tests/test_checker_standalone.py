"""The checker stands alone: a copy of only the polyreg_check folder, run by an interpreter without site-packages
(``-I -S``), verifies a certificate written by the producer and loads no module outside the standard library. Its
exit codes: 0 VERIFIED, 1 NOT VERIFIED (a tampered certificate), 2 unreadable or malformed, and 1 with an "internal
error" line, never a verdict, when the checker itself fails."""
import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from polyreg_check import claims, main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "polyreg_check"

# Run by ``python -I -S -c``: import the copy from the folder given first, check the file given second, then list the
# loaded modules that are neither the standard library's nor the checker's.
LOADED = """import sys
sys.path.insert(0, sys.argv[1])
from polyreg_check import main
code = main(sys.argv[2:])
print("FROM", sys.modules["polyreg_check"].__file__)
print("LOADED", sorted(m for m in sys.modules if m != "__main__" and m.split(".")[0] != "polyreg_check"
                       and m.split(".")[0] not in sys.stdlib_module_names))
sys.exit(code)
"""


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """The producer's equivalence certificate (``polyreg certify``) for the maxout example and its compiled
    transformer on [-1, 1]^2, as JSON."""
    path = tmp_path_factory.mktemp("producer") / "certificate.json"
    subprocess.run([sys.executable, "-m", "polyreg", "certify", str(ROOT / "examples" / "maxout_2x3x3.json"),
                    "--box", "-1", "1", "--certificate", str(path)], cwd=ROOT, check=True, capture_output=True)
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """An empty folder holding a copy of the polyreg_check folder and nothing else."""
    folder = tmp_path_factory.mktemp("alone")
    shutil.copytree(PACKAGE, folder / "polyreg_check", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def isolated(folder, *args):
    """Run ``python -I -S *args`` in ``folder``: no site-packages, no PYTHON* variables, nothing from the cwd."""
    return subprocess.run([sys.executable, "-I", "-S", *args], cwd=folder, capture_output=True, text=True)


def checked(folder, cert, name="c.json"):
    """Run the copied folder as a script on ``cert`` (a dict, or text written as is)."""
    path = folder / name
    path.write_text(cert if isinstance(cert, str) else json.dumps(cert))
    return isolated(folder, str(folder / "polyreg_check"), str(path))


def test_a_copy_of_the_folder_verifies_a_certificate_with_the_standard_library_only(alone, certificate):
    path = alone / "valid.json"
    path.write_text(json.dumps(certificate))
    result = isolated(alone, "-c", LOADED, str(alone), str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    verdict, source, loaded = lines[0], lines[-2], lines[-1]
    assert verdict.startswith("VERIFIED: the networks are equal everywhere on the domain (")
    assert lines[1].startswith("  network A: ") and lines[-3].startswith("  domain: ")
    assert source == f"FROM {alone / 'polyreg_check' / '__init__.py'}"
    assert loaded == "LOADED []"


def test_the_copied_folder_runs_as_a_script_and_not_as_a_module_of_the_cwd(alone, certificate):
    result = checked(alone, certificate)
    assert result.returncode == 0 and result.stdout.startswith("VERIFIED: "), result.stderr
    result = isolated(alone, "-m", "polyreg_check", str(alone / "c.json"))     # -I: the cwd is not on sys.path
    assert result.returncode == 1 and "No module named polyreg_check" in result.stderr


def test_the_copied_folder_checks_a_format_2_file_in_several_processes(alone, certificate):
    from polyreg.certificates.flat import flat_lines
    path = alone / "c.jsonl"
    path.write_text("".join(line + "\n" for line in flat_lines(copy.deepcopy(certificate))))
    results = [isolated(alone, str(alone / "polyreg_check"), "--jobs", jobs, str(path)) for jobs in ("1", "2")]
    assert results[0].returncode == results[1].returncode == 0, results[1].stderr
    assert results[0].stdout == results[1].stdout and results[1].stdout.startswith("VERIFIED: ")


def test_no_module_of_the_checker_shadows_a_standard_module():
    assert not {p.stem for p in PACKAGE.glob("*.py")} & sys.stdlib_module_names


def test_a_tampered_certificate_is_not_verified_with_exit_1(alone, certificate):
    for tamper in ("claim", "weight"):
        cert = copy.deepcopy(certificate)
        if tamper == "claim":
            cert["claim"]["cells"] += 1
        else:
            cert["networks"][0]["network"]["layers"][0]["weight"][0][0] = "7/3"
        result = checked(alone, cert)
        assert result.returncode == 1 and result.stdout.startswith("NOT VERIFIED: "), tamper
        assert "malformed" not in result.stdout and result.stderr == ""


def test_a_malformed_or_unreadable_certificate_exits_2_naming_the_field(alone, certificate):
    wrong_type, no_claim = copy.deepcopy(certificate), copy.deepcopy(certificate)
    wrong_type["networks"][0]["network"]["layers"] = "linear, relu"
    del no_claim["claim"]
    for cert, message in ((wrong_type, "networks[0].network.layers: expected a list"),
                          (no_claim, "certificate: missing field 'claim'"),
                          ("{not json", "Expecting property name")):
        result = checked(alone, cert)
        assert result.returncode == 2, message
        assert result.stdout.startswith("NOT VERIFIED: malformed certificate: ") and message in result.stdout


def test_a_fault_of_the_checker_is_an_internal_error_and_no_verdict(tmp_path, certificate, monkeypatch, capsys):
    def fault(claim, found):
        return 1 // 0
    path = tmp_path / "c.json"
    path.write_text(json.dumps(certificate))
    monkeypatch.setitem(claims.RULES, certificate["claim"]["kind"], fault)
    assert main([str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("polyreg_check: internal error: ZeroDivisionError: ")
