"""High input dimension (boxes around a point): HiGHS suggests, linear algebra proves. Checked against the exact-LP
path, exact evaluation, proofs recomputed here, and the certificate checker."""
import json
import random
from fractions import Fraction as F

import pytest

from polyreg import around, evaluate, lower, region_counts
from polyreg.certificates.claims import Counts
from polyreg.certificates.write import certificate
from polyreg.geometry.oracle import HIGHS_FROM, Interior, NoInterior, RowMemo, boxed_dual, interior_point_or_proof
from polyreg.network.families import random_relu
from polyreg_check import check

D = HIGHS_FROM + 6


def unit_box(d):
    """``[0, 1]^d`` as rows ``x_i >= 0`` and ``1 - x_i >= 0``."""
    rows = []
    for i in range(d):
        rows.append(tuple([0] + [int(k == i) for k in range(d)]))
        rows.append(tuple([1] + [-int(k == i) for k in range(d)]))
    return rows


def cut(d, coordinates, at_least):
    """The row ``sum_{i in coordinates} x_i >= at_least``."""
    return tuple([-at_least] + [int(i in coordinates) for i in range(d)])


def combination(rows, multipliers):
    total = [0] * len(rows[0])
    for j, y in multipliers:
        assert y > 0
        total = [t + y * v for t, v in zip(total, rows[j])]
    return total


@pytest.mark.parametrize("coordinates,at_least,empty", [((0, 1, 2), 4, True), ((0, 5), 2, False),
                                                        ((3, 7, 9, 11), 5, True)])
def test_no_interior_in_high_dimension_comes_with_a_proof(coordinates, at_least, empty):
    """A cut beyond the unit box's corner is empty (a Farkas proof: the multipliers sum to a zero normal and a
    negative constant); a cut through the corner alone is thin (they sum to zero)."""
    rows = unit_box(D) + [cut(D, coordinates, at_least)]
    found = interior_point_or_proof(rows)
    assert isinstance(found, NoInterior) and found.empty == empty
    total = combination(rows, found.multipliers)
    assert not any(total[1:]) and (total[0] < 0 if empty else total[0] == 0)


def test_an_interior_point_in_high_dimension_has_strict_slack():
    half = tuple([-1] + [2 * int(i == 3) for i in range(D)])          # x_3 >= 1/2
    rows = unit_box(D) + [cut(D, (0, 1, 2), 2), half, tuple([4] + [-1] * D)]
    found = interior_point_or_proof(rows)
    assert isinstance(found, Interior)
    point = found.point
    assert all(sum(a * x for a, x in zip(row, point)) > 0 for row in rows)


def test_a_box_around_a_point_in_high_dimension():
    """Around a point in dimension 30: the same cells as with exact LPs only, each cell's map equal to the network
    evaluated exactly at its point, and the certificate verified by the checker."""
    net = random_relu(D, [6, 6], seed=0)
    rng = random.Random(1)
    x = [F(rng.randint(0, 100), 100) for _ in range(D)]
    domain = around(x, F(1, 10), clip=(0, 1))
    suggested, exact = lower(net, domain), lower(net, domain, float_guesses=False)
    assert region_counts(suggested) == region_counts(exact) and len(suggested.cells) > 3
    assert all(cell.affine(cell.point) == evaluate(net, cell.point) for cell in suggested.cells)
    cpwl = suggested
    assert check(json.loads(json.dumps(certificate(cpwl, Counts.of(cpwl))))).startswith(f"cells {len(cpwl.cells)}")


def test_float_multipliers_made_exact_over_the_box():
    """``boxed_dual``: multipliers on the general rows, completed by the box's rows, prove emptiness when the
    combination's largest value over the box is negative (recomputed here), and give nothing when it is not."""
    box = unit_box(D)
    apart = [tuple([-1] + [2 * ((i == 0) - (i == 1)) for i in range(D)]),      # x_0 - x_1 >= 1/2
             tuple([-1] + [2 * ((i == 1) - (i == 0)) for i in range(D)])]      # x_1 - x_0 >= 1/2
    beyond, corner = cut(D, (0, 1), 3), cut(D, (0, 1), 2)
    for general, y, empty in ((apart, [F(1), F(1)], True), ([beyond], [F(1, 3)], True), ([corner], [F(1)], False)):
        rows = box + general
        proof = boxed_dual(rows, {len(box) + k: v for k, v in enumerate(y)}, RowMemo())
        if not empty:
            assert proof is None
            continue
        total = combination(rows, proof.multipliers)
        assert proof.empty and not any(total[1:]) and total[0] < 0
