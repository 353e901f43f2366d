"""Splits that name their unit (SPEC rule 3): certificates of wide one-layer nets written by ``wide.py`` (median
splits, each unit settled where its breakpoint leaves the cell) verify with the counts of a sweep over the
breakpoints and of polyreg's own enumeration, in one process and in two; moving a leaf's point out of its cell, or
pruning the live option of a settled unit, is refused. polyreg splits a wide layer over one input the same way
(``stages.WIDE``): its certificates verify, with those counts, in O(n log n) lines, the same for one job and two."""
import json
import math
from fractions import Fraction as F

import pytest
from wide import cells, certificate_lines, wide_net

from polyreg import box, lower, region_counts, streamed_counts
from polyreg.certificates.claims import Counts
from polyreg.certificates.write import certificate, flat_lines
from polyreg.core.stages import WIDE
from polyreg.formats.json_files import network_from_json
from polyreg_check import Reject, check, open_certificate


def checked(lines, tmp_path, jobs=1):
    path = tmp_path / "wide.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    header, nodes = open_certificate(path, 1 << 30)
    try:
        return check(header, nodes=nodes, jobs=jobs)
    finally:
        nodes.close()


@pytest.mark.parametrize("n, seed", [(8, 0), (40, 1), (150, 2)])
def test_median_splits_verify_with_the_counts_of_a_sweep_and_of_the_enumeration(n, seed, tmp_path):
    net = wide_net(n, seed)
    pieces, maps = cells(net)
    counts = region_counts(lower(network_from_json(net), box(1, -1, 1)))
    assert (counts.cells, counts.affine_maps) == (len(pieces), maps)
    expected = f"cells {len(pieces)}, activation_regions {len(pieces)}, affine_maps {maps}"
    lines = list(certificate_lines(net))
    assert expected in checked(lines, tmp_path)
    assert checked(lines, tmp_path, jobs=2) == checked(lines, tmp_path)


def leaf_lines(lines):
    return [k for k, line in enumerate(lines) if line.startswith('{"leaf"')]


def test_a_leaf_point_just_outside_its_cell_is_refused(tmp_path):
    net = wide_net(30, 3)
    pieces, _ = cells(net)
    lines = list(certificate_lines(net))
    assert len(leaf_lines(lines)) == len(pieces)
    for k, (lo, hi) in zip(leaf_lines(lines), pieces):
        for outside in (lo - F(1, 10**9), hi + F(1, 10**9)):
            bad = lines[:k] + [json.dumps({"leaf": [str(outside)]})] + lines[k + 1:]
            with pytest.raises(Reject, match="^a leaf point is not strictly inside$"):
                checked(bad, tmp_path)


def test_a_settled_unit_with_its_live_option_pruned_is_refused(tmp_path):
    lines = list(certificate_lines(wide_net(30, 4)))
    settles = [k for k, line in enumerate(lines)
               if line.startswith('{"split"') and '"prune"' in line]
    assert len(settles) > 30
    for k in settles[::7]:
        node = json.loads(lines[k])
        node["split"].reverse()        # the proof now stands for the option that lives
        bad = lines[:k] + [json.dumps(node)] + lines[k + 1:]
        with pytest.raises(Reject, match="^prune (constant has the wrong sign|multipliers do not cancel)"):
            checked(bad, tmp_path)


@pytest.mark.parametrize("n, seed", [(WIDE, 5), (300, 6), (1000, 7)])
def test_polyreg_splits_a_wide_layer_at_medians_and_its_certificate_verifies(n, seed, tmp_path):
    net = wide_net(n, seed)
    pieces, maps = cells(net)
    lines = {}
    for jobs in (1, 2):
        cpwl = lower(network_from_json(net), box(1, -1, 1), jobs=jobs)
        counts = region_counts(cpwl)
        assert (counts.cells, counts.activation_regions, counts.affine_maps) == (len(pieces), len(pieces), maps)
        lines[jobs] = [str(line) for line in flat_lines(certificate(cpwl, Counts.of(cpwl, counts)))]
    assert lines[1][1:] == lines[2][1:]             # the trees; the headers differ in the producer's timings
    with streamed_counts(network_from_json(net), box(1, -1, 1), jobs=2, split_after=20) as streamed:
        assert len(streamed.skeleton.cells) < len(pieces)      # streamed: patterns counted by their packed keys
    assert (streamed.counts.cells, streamed.counts.activation_regions, streamed.counts.affine_maps) == \
        (len(pieces), len(pieces), maps)
    expected = f"cells {len(pieces)}, activation_regions {len(pieces)}, affine_maps {maps}"
    assert checked(lines[1], tmp_path).startswith(expected)
    named = [json.loads(line) for line in lines[1][1:] if line.startswith('{"split"')]
    assert named and all("unit" in node for node in named)
    assert len(lines[1]) - 1 <= n * (math.log2(n) + 3)        # deciding units in index order takes about n^2 / 2
