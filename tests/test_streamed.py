"""Streamed counts (``analysis.streamed``): a part's cells go to a spill file as it arrives and are counted in order.
The counts, certificates and cell files are those of the same refinement held in memory, the checker verifies the
certificates, and ``count`` streams unless --graph, --report or a format 1 certificate needs every cell."""
import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from polyreg import box, plane, region_counts
from polyreg.analysis.graph import write_cells
from polyreg.analysis.streamed import Packed, streamed_counts
from polyreg.certificates.claims import Counts
from polyreg.certificates.trees import rendered
from polyreg.certificates.write import certificate, write_certificate
from polyreg.cli.main import main
from polyreg.core.enumerate import refine
from polyreg.formats.json_files import save_network
from polyreg.network.families import random_maxout, random_relu
from polyreg_check import check, open_certificate

ROOT = Path(__file__).resolve().parent.parent


def zigzag():
    """The 2-D zigzag of proofs/04-region-growth (h = 1, k = 2, L = 3): 64 cells, 28 maps, 64 linear regions, so
    cells of one map in different regions need separations."""
    spec = importlib.util.spec_from_file_location("streamed_zigzag", ROOT / "proofs" / "04-region-growth" / "zigzag.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.zigzag_network(1, 2, 3, 2), box(2, 0, 1)


NETS = {
    "relu 4->8->8 (regions merge across facets)": lambda: (random_relu(4, [8, 8], seed=0), box(4, -1, 1)),
    "zigzag (separations)": zigzag,
    "maxout 2->5->5 rank 3": lambda: (random_maxout(2, [5, 5], 3, seed=3), box(2, -1, 1)),
    "relu 3->10->10 on a plane": lambda: (random_relu(3, [10, 10], seed=4),
                                          plane((0, 0, 0), (1, 0, 1), (0, 1, -1), 1)),
}


def text(path):
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


@pytest.mark.parametrize("name", NETS)
def test_streamed_counts_certificates_and_cells_are_those_of_the_refinement_in_memory(name, tmp_path, monkeypatch):
    monkeypatch.setattr("polyreg.analysis.streamed.CHUNK", 3)     # parts of several chunks, read back by chunk
    net, domain = NETS[name]()
    kept = refine((net,), domain, split_after=20)
    counts = region_counts(kept)
    write_certificate(certificate(kept, Counts.of(kept, counts), lazy=True), tmp_path / "kept.jsonl")
    write_cells(kept, tmp_path / "kept-cells.jsonl")
    for jobs in (1, 2):
        cells = tmp_path / f"cells-{jobs}.jsonl.gz"
        with streamed_counts(net, domain, cells, jobs=jobs, split_after=20, render=rendered) as streamed:
            assert len(streamed.skeleton.cells) < streamed.counts.cells      # the parts' cells were not kept
            write_certificate(certificate(streamed.skeleton, Counts.counted(streamed.counts), lazy=True),
                              tmp_path / f"streamed-{jobs}.jsonl.gz")
        assert streamed.counts == counts
        assert text(tmp_path / f"streamed-{jobs}.jsonl.gz") == text(tmp_path / "kept.jsonl")
        assert text(cells) == text(tmp_path / "kept-cells.jsonl")
    cert, nodes = open_certificate(str(tmp_path / "streamed-2.jsonl.gz"), 1 << 30)
    assert check(cert, nodes=nodes) == (f"cells {counts.cells}, activation_regions {counts.activation_regions}, "
                                        f"affine_maps {counts.affine_maps}, linear_regions {counts.linear_regions}")


def test_the_examples_exercise_merges_and_separations():
    """The nets above reach both ways a map's cells are counted: merged across facets, and proved apart."""
    net, domain = NETS["relu 4->8->8 (regions merge across facets)"]()
    merging = region_counts(refine((net,), domain))
    assert merging.linear_regions < merging.cells
    net, domain = zigzag()
    separated = region_counts(refine((net,), domain))
    assert (separated.cells, separated.affine_maps, separated.linear_regions) == (64, 28, 64)


def test_a_part_is_packed_where_it_was_finished_and_its_blob_moved_to_the_spill(tmp_path, monkeypatch):
    """What the assembling process holds of a part that arrived: keys, and a place in the spill, not cells."""
    from polyreg.analysis import streamed as module
    held = []
    kept = module.Tally.kept
    monkeypatch.setattr(module.Tally, "kept", lambda self, part: held.append(kept(self, part)) or held[-1])
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    with streamed_counts(net, domain, jobs=2, split_after=40, render=rendered) as streamed:
        assert streamed.counts == region_counts(refine((net,), domain))
    assert len(held) >= 32
    assert all(isinstance(part.cells, Packed) and not part.cells.blobs and part.cells.at for part in held)


def test_count_streams_unless_every_cell_is_needed_and_prints_the_same(tmp_path, capsys):
    path = str(tmp_path / "net.json")
    save_network(random_relu(3, [12, 12], seed=1), path)
    runs = {}
    for name, extra in {"streamed": ["--certificate", str(tmp_path / "s.jsonl.gz"), "--cells",
                                     str(tmp_path / "s-cells.jsonl")],
                        "in memory": ["--certificate", str(tmp_path / "m.json.gz"), "--graph",
                                      str(tmp_path / "g.json"), "--cells", str(tmp_path / "m-cells.jsonl")]}.items():
        assert main(["count", path, "--box", "-1", "1", "--jobs", "2", "--json", *extra]) == 0
        result = json.loads(capsys.readouterr().out)
        result.pop("seconds")
        runs[name] = result
    assert runs["streamed"] == runs["in memory"] and runs["streamed"]["cells"] > 500
    assert (tmp_path / "s-cells.jsonl").read_text() == (tmp_path / "m-cells.jsonl").read_text()
    cert, nodes = open_certificate(str(tmp_path / "s.jsonl.gz"), 1 << 30)
    verdict = check(cert, nodes=nodes)
    assert verdict.startswith(f"cells {runs['streamed']['cells']},")
    assert check(json.loads(gzip.decompress((tmp_path / "m.json.gz").read_bytes()))) == verdict


def test_a_streamed_run_resumes_from_its_checkpoint(tmp_path):
    net, domain = random_relu(3, [10, 10], seed=4), box(3, -1, 1)
    texts = []
    for run in range(2):
        with streamed_counts(net, domain, jobs=2, split_after=40, render=rendered,
                             checkpoint=str(tmp_path / "saved")) as streamed:
            write_certificate(certificate(streamed.skeleton, Counts.counted(streamed.counts), lazy=True),
                              tmp_path / f"{run}.jsonl")
        texts.append((tmp_path / f"{run}.jsonl").read_bytes())
        if run == 0:
            saved = sorted((tmp_path / "saved").glob("item-*.pickle"))
            assert len(saved) >= 32
            saved[3].unlink()
    assert texts[0] == texts[1]
