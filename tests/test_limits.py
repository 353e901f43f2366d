"""--max-cells, --timeout and Ctrl-C end a run with a partial result: PARTIAL, exit 3, nothing written or claimed;
a run within its limits ends as usual, with the counts of a run without them."""
import json
import signal
import subprocess
import sys
import time

from polyreg import box, lower
from polyreg.cli.main import main
from polyreg.formats.json_files import save_network
from polyreg.network.families import random_relu


def test_max_cells_stops_beyond_n_and_a_run_within_it_ends_as_usual(tmp_path, capsys):
    net = random_relu(2, [8, 8], seed=0)
    path = str(tmp_path / "net.json")
    save_network(net, path)
    total = len(lower(net, box(2, -1, 1)).cells)
    assert main(["count", path, "--box", "-1", "1", "--max-cells", str(total), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == total
    cert = tmp_path / "c.json"
    assert main(["count", path, "--box", "-1", "1", "--max-cells", str(total - 1), "--json",
                 "--certificate", str(cert)]) == 3
    assert json.loads(capsys.readouterr().out) | {"seconds": 0} == {"partial": True, "reason": f"--max-cells {total - 1}",
                                                                   "cells": total, "seconds": 0}
    assert not cert.exists()
    assert main(["certify", path, path, "--box", "-1", "1", "--max-cells", "3"]) == 3
    assert capsys.readouterr().out.startswith("PARTIAL\n  stopped by --max-cells 3 after 4 cells")


def test_timeout_and_bad_limits(tmp_path, capsys):
    path = str(tmp_path / "net.json")
    save_network(random_relu(3, [16, 16], seed=1), path)
    assert main(["count", path, "--box", "-1", "1", "--timeout", "0.01"]) == 3
    assert "stopped by --timeout 0.01 after" in capsys.readouterr().out
    for bad in (["--max-cells", "0"], ["--timeout", "-1"], ["--timeout", "nan"]):
        proc = subprocess.run([sys.executable, "-m", "polyreg", "count", path, "--box", "-1", "1", *bad],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and "expected a positive" in proc.stderr


def test_an_interrupt_ends_the_run_as_partial(tmp_path):
    path = str(tmp_path / "net.json")
    save_network(random_relu(4, [32, 32], seed=0), path)        # tens of thousands of cells: a long run
    # a test run in the background of a shell inherits SIGINT ignored, as would polyreg: give it the default
    proc = subprocess.Popen([sys.executable, "-m", "polyreg", "count", path, "--box", "-1", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = proc.stderr.readline()                               # the first progress line, after 2 s of refining
    assert "cells so far" in line and "work items open" in line
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3 and out.startswith("PARTIAL\n  stopped by an interrupt after"), err
    assert time.monotonic() - started < 30
