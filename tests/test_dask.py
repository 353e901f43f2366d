"""``--dask``: the same work items as ``--jobs``, finished on the workers of a Dask cluster (here a local one with
two worker processes); cells, certificates and counts are those of one process."""
import gzip
import json

import pytest
from distributed import LocalCluster

from polyreg import Dask, box, lower, region_counts
from polyreg.certificates.claims import Counts
from polyreg.certificates.write import certificate
from polyreg.cli.main import main
from polyreg.core.enumerate import refine
from polyreg.formats.json_files import save_network
from polyreg.network.families import random_relu
from polyreg_check import check, open_certificate


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as running:
        yield running


def test_the_same_certificate_on_a_dask_cluster(cluster):
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    here = refine((net,), domain, jobs=1, split_after=40)
    there = refine((net,), domain, jobs=Dask(cluster.scheduler_address), split_after=40)
    text = json.dumps(certificate(there, Counts.of(there)))
    assert text == json.dumps(certificate(here, Counts.of(here)))
    assert region_counts(there) == region_counts(lower(net, domain)) and len(there.cells) > 200
    assert check(json.loads(text)).startswith(f"cells {len(there.cells)}")


def test_the_dask_option(cluster, tmp_path, capsys):
    path = str(tmp_path / "net.json")
    save_network(random_relu(3, [12, 12], seed=1), path)
    outputs, trees = [], []
    for k, where in enumerate((["--jobs", "1"], ["--dask", cluster.scheduler_address])):
        cert = tmp_path / f"{k}.jsonl.gz"       # streamed: each part packed and rendered where it was finished
        assert main(["count", path, "--box", "-1", "1", "--json", "--certificate", str(cert), *where]) == 0
        outputs.append({k: v for k, v in json.loads(capsys.readouterr().out).items() if k != "seconds"})
        trees.append(gzip.decompress(cert.read_bytes()).split(b"\n", 1)[1])      # the lines after the header
    assert outputs[0] == outputs[1] and outputs[0]["cells"] > 500     # past the first cells: sent to the workers
    assert trees[0] == trees[1]
    cert, nodes = open_certificate(str(tmp_path / "1.jsonl.gz"), 1 << 30)
    assert check(cert, nodes=nodes).startswith(f"cells {outputs[0]['cells']},")


def test_no_scheduler_is_a_clear_error(tmp_path, capsys):
    path = str(tmp_path / "net.json")
    save_network(random_relu(2, [4], seed=0), path)
    assert main(["count", path, "--box", "-1", "1", "--dask", "tcp://127.0.0.1:9"]) == 2
    assert "--dask tcp://127.0.0.1:9: no Dask scheduler answers there" in capsys.readouterr().err


def test_the_classifier_questions_refuse_dask(tmp_path, capsys):
    path = str(tmp_path / "net.json")
    save_network(random_relu(2, [4, 3], seed=0), path)
    assert main(["certify", path, path, "--box", "-1", "1", "--top-1", "--dask", "tcp://127.0.0.1:9"]) == 2
    assert "--dask is not taken with --top-1" in capsys.readouterr().err
