"""``--checkpoint DIR``: each finished work item is saved as it is finished; a run killed at any moment (SIGKILL)
and rerun gives the certificate of an uninterrupted run, loading the saved items instead of refining them again."""
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from polyreg import box
from polyreg.certificates.claims import Counts
from polyreg.certificates.write import certificate
from polyreg.cli.main import main
from polyreg.core.enumerate import CUT_INTO, Enumerator, refine
from polyreg.formats.json_files import save_network
from polyreg.network.families import random_relu
from polyreg_check import check, open_certificate


def evidence(path):
    """A certificate file without who made it and when."""
    cert = json.loads(Path(path).read_text())
    cert.pop("producer", None)
    return cert


def count_command(tmp_path):
    """``polyreg count`` of a 3->16->16 ReLU net on [-1, 1]^3 (1,549 cells), as a process's arguments."""
    net = tmp_path / "net.json"
    save_network(random_relu(3, [16, 16], seed=0), str(net))
    return [sys.executable, "-m", "polyreg.cli.main", "count", str(net), "--box", "-1", "1"]


def killed_partway(command, saved):
    """Run ``command``, kill it with SIGKILL once it has saved 3 items in ``saved``; the number of items saved."""
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(saved.glob("item-*.pickle"))) < 3 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    return len(list(saved.glob("item-*.pickle")))


def test_a_killed_run_resumes_to_the_uninterrupted_certificate(tmp_path):
    count, saved = count_command(tmp_path), tmp_path / "saved"
    assert subprocess.run(count + ["--certificate", str(tmp_path / "whole.json"), "--jobs", "1"]).returncode == 0
    resumed = count + ["--certificate", str(tmp_path / "resumed.json"), "--checkpoint", str(saved)]
    items = killed_partway(resumed + ["--jobs", "1"], saved)
    assert 3 <= items < CUT_INTO and not (tmp_path / "resumed.json").exists()      # killed partway through the items
    assert subprocess.run(resumed + ["--jobs", "2"], stdout=subprocess.DEVNULL).returncode == 0
    assert evidence(tmp_path / "resumed.json") == evidence(tmp_path / "whole.json")
    assert check(json.loads((tmp_path / "resumed.json").read_text())).startswith("cells 1549")


def test_a_killed_streamed_count_resumes_to_the_uninterrupted_certificate(tmp_path):
    """``count --certificate FILE.jsonl.gz`` streams its cells (``analysis.streamed``): killed and rerun, the same
    file as a run never killed."""
    count, saved = count_command(tmp_path), tmp_path / "saved"
    whole, resumed = tmp_path / "whole.jsonl.gz", tmp_path / "resumed.jsonl.gz"
    assert subprocess.run(count + ["--certificate", str(whole), "--jobs", "1"]).returncode == 0
    again = count + ["--certificate", str(resumed), "--checkpoint", str(saved)]
    assert 3 <= killed_partway(again + ["--jobs", "2"], saved) < CUT_INTO and not resumed.exists()
    assert subprocess.run(again + ["--jobs", "1"], stdout=subprocess.DEVNULL).returncode == 0
    headers, trees = zip(*(gzip.decompress(path.read_bytes()).split(b"\n", 1) for path in (whole, resumed)))
    assert trees[0] == trees[1] and trees[0].count(b"\n") > 1549
    claims = [{k: v for k, v in json.loads(header).items() if k != "producer"} for header in headers]
    assert claims[0] == claims[1]
    cert, nodes = open_certificate(str(resumed), 1 << 30)
    assert check(cert, nodes=nodes).startswith("cells 1549")


def test_saved_items_are_loaded_not_refined_again(tmp_path, monkeypatch):
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    first = refine((net,), domain, jobs=1, split_after=40, checkpoint=str(tmp_path))
    (tmp_path / "item-5.pickle").unlink()
    refined = []
    finished_here = Enumerator.finished_here
    monkeypatch.setattr(Enumerator, "finished_here",
                        lambda self, setting, item: refined.append(item) or finished_here(self, setting, item))
    again = refine((net,), domain, jobs=1, split_after=40, checkpoint=str(tmp_path))
    assert len(refined) == 1 and (tmp_path / "item-5.pickle").exists()
    assert json.dumps(certificate(again, Counts.of(again))) == json.dumps(certificate(first, Counts.of(first)))


def test_a_checkpoint_of_another_run_and_misplaced_ones_are_refused(tmp_path, capsys):
    for seed in (0, 1):
        save_network(random_relu(2, [12, 12], seed=seed), str(tmp_path / f"net{seed}.json"))
    assert main(["count", str(tmp_path / "net0.json"), "--box", "-1", "1", "--checkpoint", str(tmp_path / "c")]) == 0
    assert main(["count", str(tmp_path / "net1.json"), "--box", "-1", "1", "--checkpoint", str(tmp_path / "c")]) == 2
    assert "holds a checkpoint of another run" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main(["count", str(tmp_path / "net0.json"), "--box", "-1", "1", "--checkpoint", str(tmp_path / "file")]) == 2
    assert "is a file; expected a folder" in capsys.readouterr().err
    assert main(["certify", str(tmp_path / "net0.json"), str(tmp_path / "net1.json"), "--box", "-1", "1", "--top-1",
                 "--checkpoint", str(tmp_path / "d")]) == 2
    assert "--checkpoint is not taken with --top-1" in capsys.readouterr().err
