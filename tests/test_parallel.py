"""``--jobs``: once the first cells are found, the work left is finished item by item, in this process or in
others; cells, trees and certificates are the same for every number of jobs, their counts those of one
uninterrupted enumeration, and the checker verifies them."""
import gzip
import json
import multiprocessing
import time
import zlib
from contextlib import closing

import pytest

from polyreg import box, certify, lower, region_counts
from polyreg.certificates.claims import Counts, Equivalent
from polyreg.certificates.trees import rendered
from polyreg.certificates.write import certificate, write_certificate
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.core.cpwl import flat_tree
from polyreg.core.enumerate import CUT_INTO, refine
from polyreg.core.workers import finished_unordered
from polyreg.errors import Stopped
from polyreg.formats.json_files import save_network
from polyreg.network.families import random_maxout, random_relu
from polyreg_check import check, open_certificate


def test_cells_and_certificates_are_the_same_for_1_2_and_4_jobs():
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    whole = lower(net, domain)                                      # fewer cells than SPLIT_AFTER: never split
    split = {jobs: refine((net,), domain, jobs=jobs, split_after=40) for jobs in (1, 2, 4)}
    texts = {jobs: json.dumps(certificate(c, Counts.of(c))) for jobs, c in split.items()}
    assert texts[1] == texts[2] == texts[4]
    assert region_counts(split[2]) == region_counts(whole) and len(whole.cells) > 200
    assert [c.point for c in split[4].cells] == [c.point for c in split[1].cells]
    assert check(json.loads(texts[2])).startswith(f"cells {len(whole.cells)}")


def test_a_certified_equivalence_in_two_processes():
    net, domain = random_maxout(2, [4, 4], 2, seed=1), box(2, -1, 1)
    one, two = (refine((net, compile_transformer(net, domain)), domain, jobs=jobs, split_after=10) for jobs in (1, 2))
    assert json.dumps(certificate(one, Equivalent.of(one))) == json.dumps(certificate(two, Equivalent.of(two)))
    assert check(json.loads(json.dumps(certificate(two, Equivalent.of(two))))).startswith(
        "the networks are equal everywhere")
    assert len(two.cells) == len(certify(net, compile_transformer(net, domain), domain).refinement.cells)


def test_the_jobs_option(tmp_path, capsys):
    path = str(tmp_path / "net.json")
    save_network(random_relu(2, [8, 8], seed=0), path)
    counts = []
    for jobs in ("1", "2"):
        assert main(["count", path, "--box", "-1", "1", "--jobs", jobs, "--json"]) == 0
        counts.append({k: v for k, v in json.loads(capsys.readouterr().out).items() if k != "seconds"})
    assert counts[0] == counts[1]


def test_progress_reports_cells_and_the_work_items_open():
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    for jobs in (1, 2):
        reports = []
        cpwl = refine((net,), domain, lambda *report: reports.append(report), jobs=jobs, split_after=40)
        cells = [r[0] for r in reports]
        assert cells == sorted(cells) and cells[-1] == len(cpwl.cells) and all(r[2] >= 0 for r in reports)
        assert max(r[2] for r in reports) >= CUT_INTO - 1 > reports[-1][2]      # the cut's items, one by one
    assert [r[2] for r in reports[-10:]] == list(range(9, -1, -1))   # 2 jobs: the last items arriving


def test_stopping_at_a_finished_item_stops_the_worker_processes_at_once():
    """An exception from ``progress`` as parts arrive (a limit, Ctrl-C) ends the pool before it propagates."""
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)

    def stop_in_the_parallel_phase(cells, seconds, open_items):
        if multiprocessing.active_children():
            raise Stopped(cells, seconds, "a test")
    with pytest.raises(Stopped):
        refine((net,), domain, stop_in_the_parallel_phase, jobs=2, split_after=40)
    assert multiprocessing.active_children() == []


def test_limits_are_checked_every_second_while_items_are_out():
    """Without a result for a second, the workers say so (``None``), so progress, and with it --timeout and
    --max-cells, is checked at least every second; closing the results ends the pool at once."""
    started = time.monotonic()
    with closing(finished_unordered(2, time.sleep, [2.5, 0])) as results:
        seen = list(results)
    assert seen[0] == (1, None) and seen[-1] == (0, None) and None in seen[1:-1]
    assert time.monotonic() - started < 5
    with closing(finished_unordered(2, time.sleep, [30])) as results:
        assert next(results) is None            # a second later
    assert multiprocessing.active_children() == [] and time.monotonic() - started < 10


def gzip_members(data):
    """The number of gzip members in ``data`` (RFC 1952: members follow one another)."""
    count = 0
    while data:
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        member.decompress(data)
        data, count = member.unused_data, count + 1
    return count


def test_parts_rendered_where_they_were_refined_give_the_same_format_2_text(tmp_path):
    """With ``render``, each part finished in another process comes back with its certificate lines, compressed
    there, and the writer copies them in as gzip members of their own: the text is the one written from the whole tree
    in one process, plain or compressed, and the checker verifies it."""
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    one = refine((net,), domain, jobs=1, split_after=40)
    two = refine((net,), domain, jobs=2, split_after=40, render=rendered)
    assert not one.rendered and len(two.rendered) >= 32
    for suffix in (".jsonl.gz", ".jsonl"):
        paths = [tmp_path / f"{jobs}{suffix}" for jobs in (1, 2)]
        for path, cpwl in zip(paths, (one, two)):
            write_certificate(certificate(cpwl, Counts.of(cpwl), lazy=True), path)
        texts = [gzip.decompress(p.read_bytes()) if suffix.endswith(".gz") else p.read_bytes() for p in paths]
        assert texts[0] == texts[1] and texts[0].count(b"\n") > 1000
    assert gzip_members((tmp_path / "1.jsonl.gz").read_bytes()) == 1
    assert gzip_members((tmp_path / "2.jsonl.gz").read_bytes()) > 32
    cert, nodes = open_certificate(str(tmp_path / "2.jsonl.gz"), 1 << 30)
    assert check(cert, nodes=nodes, jobs=2).startswith(f"cells {len(one.cells)}")


def test_count_with_two_jobs_writes_a_format_2_certificate_from_rendered_parts(tmp_path):
    path = str(tmp_path / "net.json")
    save_network(random_relu(3, [16, 16], seed=0), path)          # 1,549 cells: more than SPLIT_AFTER
    for jobs in ("1", "2"):
        assert main(["count", path, "--box", "-1", "1", "--jobs", jobs, "--certificate",
                     str(tmp_path / f"{jobs}.jsonl.gz")]) == 0
    one, two = ((tmp_path / f"{jobs}.jsonl.gz").read_bytes() for jobs in ("1", "2"))
    without_producer = [[line for line in gzip.decompress(data).splitlines()[1:]] for data in (one, two)]
    assert without_producer[0] == without_producer[1] and gzip_members(two) > 1


def test_a_copy_of_a_refinement_writes_its_certificate_without_the_rendered_parts(tmp_path):
    """Rendered parts are found by their subtree's node; an unpickled copy has new nodes, keeps none and walks its
    tree instead, to the same text."""
    import pickle
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    two = refine((net,), domain, jobs=2, split_after=40, render=rendered)
    copy = pickle.loads(pickle.dumps(two))
    assert two.rendered and not copy.rendered and copy.cells == two.cells
    for name, cpwl in (("a", two), ("b", copy)):
        write_certificate(certificate(cpwl, Counts.of(cpwl), lazy=True), tmp_path / f"{name}.jsonl.gz")
    texts = [gzip.decompress((tmp_path / f"{name}.jsonl.gz").read_bytes()) for name in "ab"]
    assert texts[0] == texts[1] and gzip_members((tmp_path / "b.jsonl.gz").read_bytes()) == 1


def test_a_wide_one_input_layer_is_refined_in_two_processes(tmp_path):
    """A 1-input layer of 600 units nests about 600 splits on one path; pickling such a tree node by node exceeds
    Python's recursion limit (three calls a level), so parts and refinements are pickled with their trees flat, and
    two processes give the cells and tree of one."""
    import pickle
    net, domain = random_relu(1, [600], seed=0), box(1, -1, 1)
    one, two = (refine((net,), domain, jobs=jobs, split_after=40) for jobs in (1, 2))
    assert max(len(cell.pattern[0]) for cell in one.cells) == 600 and len(one.cells) > 200
    assert [c.point for c in one.cells] == [c.point for c in two.cells]
    assert flat_tree(one.tree) == flat_tree(two.tree) == flat_tree(pickle.loads(pickle.dumps(one)).tree)
    write_certificate(certificate(two, Counts.of(two), lazy=True), tmp_path / "wide.jsonl.gz")
    cert, nodes = open_certificate(str(tmp_path / "wide.jsonl.gz"), 1 << 30)
    assert check(cert, nodes=nodes).startswith(f"cells {len(one.cells)}")
