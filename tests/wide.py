"""An independent certificate for a wide one-layer ReLU net of one input on [-1, 1], written from interval arithmetic
(not by polyreg's enumeration): each cell is split at the median breakpoint of the units still cutting it, and a
unit is settled, by a split that names it with one option pruned, in the first cell its breakpoint leaves. So the
file has O(n log n) lines, where deciding the units in index order takes about n^2 / 2."""
import hashlib
import json
import random
from fractions import Fraction as F
from math import gcd

FORMAT_2 = "polyreg.certificate/2"
DOMAIN = {"rows": [[1, 1], [1, -1]], "point": [0]}        # 1 + x >= 0, 1 - x >= 0
LOW, HIGH = ([-1, 0, -1], [1, 1]), ([-1, 1, -1], [1, -1])   # (row name, row) of x >= -1 and x <= 1


def wide_net(n, seed=0):
    """``f(x) = sum_u c_u relu(w_u x + b_u) + c_0`` as ``polyreg.network/1``: integer weights, distinct breakpoints
    ``-b_u / w_u``, most inside (-1, 1), two on its ends; one unit of weight 0 (a constant, decided without a
    split)."""
    rng, units, seen = random.Random(seed), [(1, 1), (-2, 2)], {F(-1), F(1)}     # two on the domain's ends
    while len(units) < n - 1:
        w = rng.choice((-1, 1)) * rng.randint(1, 10**6)
        b = rng.randint(-(9 * abs(w)) // 8, (9 * abs(w)) // 8)
        if F(-b, w) not in seen:
            seen.add(F(-b, w))
            units.append((w, b))
    units.insert(n // 2, (0, 3))
    return {"format": "polyreg.network/1", "input_dim": 1, "layers": [
        {"type": "linear", "weight": [[w] for w, _ in units], "bias": [b for _, b in units]}, {"type": "relu"},
        {"type": "linear", "weight": [[rng.choice([v for v in range(-5, 6) if v]) for _ in units]], "bias": [1]}]}


def units_of(net):
    """The units' (w, b) and the readout's weights c and bias."""
    first, last = net["layers"][0], net["layers"][2]
    return [(r[0], b) for r, b in zip(first["weight"], first["bias"])], last["weight"][0], last["bias"][0]


def breakpoint_(w, b):
    return F(-b, w)


def active_row(w, b):
    """The checker's row of option 1 (``w x + b >= 0``) in lowest terms."""
    g = gcd(w, b)
    return [b // g, w // g]


def option_row(unit, option):
    row = active_row(*unit)
    return row if option else [-v for v in row]


def cells(net):
    """The cells (lo, hi) between consecutive breakpoints inside (-1, 1), and the number of distinct affine maps on
    them: the map of the first cell evaluated exactly at its midpoint, then changed by the unit each breakpoint
    turns on or off."""
    units, c, c0 = units_of(net)
    cuts = sorted((breakpoint_(w, b), u) for u, (w, b) in enumerate(units) if w and -1 < breakpoint_(w, b) < 1)
    ends = [F(-1)] + [t for t, _ in cuts] + [F(1)]
    mid = (ends[0] + ends[1]) / 2
    active = [(w, b, cu) for (w, b), cu in zip(units, c) if w * mid + b > 0]
    slope, constant = sum(cu * w for w, _, cu in active), sum(cu * b for _, b, cu in active) + c0
    maps = {(slope, constant)}
    for _, u in cuts:           # crossing rightwards: a unit of positive w turns on, of negative w off
        (w, b), sign = units[u], 1 if units[u][0] > 0 else -1
        slope, constant = slope + sign * c[u] * w, constant + sign * c[u] * b
        maps.add((slope, constant))
    return list(zip(ends, ends[1:])), len(maps)


def settle(units, u, low, high):
    """The split line that settles unit ``u`` on the cell between the rows ``low`` (x >= lo) and ``high``
    (x <= hi): the option on the cell's side is the next line, the other is pruned by a Farkas (or, with the
    breakpoint on the cell's end, thin) combination with the row of that end."""
    unit = units[u]
    lo, hi = F(-low[1][0], low[1][1]), F(-high[1][0], high[1][1])
    mid = (lo + hi) / 2
    dead = 0 if unit[0] * mid + unit[1] > 0 else 1
    a, b = option_row(unit, dead)
    end_name, (a2, b2) = high if b > 0 else low        # the dead option's row and the end its side lies beyond
    g = gcd(b, b2)
    y1, y2 = abs(b2) // g, abs(b) // g
    constant = y1 * a + y2 * a2
    assert y1 * b + y2 * b2 == 0 and constant <= 0
    children = ["subtree", "subtree"]
    children[dead] = {"prune": [[[0, u, -1], y1], [end_name, y2]], "empty": constant < 0}
    return {"split": children, "unit": u}


def tree_lines(net):
    """The tree's nodes in preorder, one per line (format 2)."""
    units, _, _ = units_of(net)
    varying = [u for u, (w, _) in enumerate(units) if w]
    live = sorted((u for u in varying if -1 < breakpoint_(*units[u]) < 1), key=lambda u: breakpoint_(*units[u]))
    stack = [(LOW, HIGH, [u for u in varying if u not in live], live)]
    while stack:
        low, high, settled, live = stack.pop()
        for u in sorted(settled):
            yield settle(units, u, low, high)
        if not live:
            lo, hi = F(-low[1][0], low[1][1]), F(-high[1][0], high[1][1])
            yield {"leaf": [str((lo + hi) / 2)]}
            continue
        k = len(live) // 2
        m, left, right = live[k], live[:k], live[k + 1:]
        yield {"split": ["subtree", "subtree"], "unit": m}
        name = [0, m, -1]
        sides = []
        for option in (0, 1):
            row = option_row(units[m], option)
            if row[1] > 0:      # x >= the breakpoint: the right side
                sides.append(((name, row), high, right, left))
            else:
                sides.append((low, (name, row), left, right))
        for low_, high_, inner, outer in reversed(sides):
            stack.append((low_, high_, outer, inner))


def certificate_lines(net):
    """The format 2 certificate of ``counts`` of ``net`` on [-1, 1], as JSON lines."""
    pieces, maps = cells(net)
    header = {"format": FORMAT_2,
              "claim": {"kind": "counts", "cells": len(pieces), "activation_regions": len(pieces),
                        "affine_maps": maps},
              "networks": [{"network": net, "sha256": hashlib.sha256(json.dumps(
                  net, sort_keys=True, separators=(",", ":")).encode()).hexdigest()}],
              "domain": DOMAIN, "order": [[0, 0]]}
    yield json.dumps(header, separators=(",", ":"))
    for node in tree_lines(net):
        yield json.dumps(node, separators=(",", ":"))
