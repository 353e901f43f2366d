"""Rules 7, 8, 12 and 13 of SPEC.md: the claim, recomputed from what the tree walk (or the evaluation at a point)
found. One function per claim kind, dispatched by ``RULES``; the margin (rule 7) and the linear regions (rule 8) are
helpers of the rules."""
import copy
from fractions import Fraction
from itertools import combinations

from .affine import canonical, dot, homogeneous
from .errors import Reject, require
from .schema import num


class Findings:
    """What the walk established about the leaves (full-dimensional cells): their number and distinct maps, the
    leaves where the networks' maps differ, the heads not tie-safe, and the rows and map of each
    leaf a witness names."""

    def __init__(self, nets, d, cert, where, mixed):
        self.nets, self.d, self.where, self.mixed = nets, d, where, mixed
        self.adjacency, self.separations = cert.get("adjacency", []), cert.get("separations", [])
        self.leaves, self.maps, self.different, self.unsafe = 0, {}, 0, set()
        self.classes, self.disjoint = cert["claim"]["kind"] == "same_class", 0    # rule 12
        self.epsilon = num(cert["claim"]["epsilon"]) if cert["claim"]["kind"] == "within" else None
        self.bounds = {}
        for leaf, output, sign, terms in cert.get("bounds", []):
            require((leaf, output, sign) not in self.bounds, f"bound [{leaf}, {output}, {sign}] is given twice")
            self.bounds[leaf, output, sign] = terms
        self.kept = {i: None for w in self.adjacency + self.separations for i in w[:2]}   # leaf -> (rows, map)
        self.leaf_maps = [] if "linear_regions" in cert["claim"] else None      # each leaf's map, numbered

    def leaf(self, rows, maps, pattern):
        """Count a verified leaf: its cell's ``rows``, each network's map there, its activation ``pattern`` (each
        network's choices by stage; its last stage is the class of rule 12)."""
        if self.leaves in self.kept:
            self.kept[self.leaves] = dict(rows), maps[0]
        self.leaves += 1
        number = self.maps.setdefault(repr(maps[0]), len(self.maps))    # its text: the same equality, less memory
        if self.leaf_maps is not None:
            self.leaf_maps.append(number)
        self.different += len(set(maps)) > 1
        if self.classes:
            tops = [{k for k, f in enumerate(m) if f == m[p[-1][0]]} for m, p in zip(maps, pattern)]
            self.disjoint += not tops[0] & tops[1]
        if self.epsilon is not None:
            self.bounded(rows, maps)

    def reserve(self, leaves):
        """Number the next ``leaves`` leaves, checked in a worker (``parallel``); the first number."""
        first = self.leaves
        self.leaves += leaves
        if self.leaf_maps is not None:
            self.leaf_maps.extend([None] * leaves)
        return first

    def fresh(self, offset, kept, bounds):
        """Empty findings for a subtree whose leaves are numbered from ``offset``; ``kept``: the leaves among them a
        witness names, ``bounds``: theirs."""
        new = copy.copy(self)
        new.leaves, new.maps, new.different, new.unsafe, new.disjoint = offset, {}, 0, set(), 0
        new.kept, new.bounds = dict.fromkeys(kept), bounds
        new.leaf_maps = None if self.leaf_maps is None else []
        return new

    def summary(self, offset):
        """What ``merge`` takes from findings made by ``fresh(offset, ...)``."""
        return (self.leaves - offset, list(self.maps), self.leaf_maps, self.different, self.disjoint,
                self.unsafe, self.kept, self.bounds)

    def merge(self, offset, leaves, summary):
        """Add a subtree's findings (``summary``) for the ``leaves`` leaves reserved from ``offset``."""
        walked, maps, leaf_maps, different, disjoint, unsafe, kept, bounds = summary
        if walked != leaves:
            raise RuntimeError(f"a subtree has {walked} leaves where its lines have {leaves}")
        numbers = [self.maps.setdefault(m, len(self.maps)) for m in maps]
        if self.leaf_maps is not None:
            self.leaf_maps[offset:offset + leaves] = [numbers[n] for n in leaf_maps]
        self.different, self.disjoint, self.unsafe = self.different + different, self.disjoint + disjoint, \
            self.unsafe | unsafe
        self.kept.update(kept)
        self.bounds.update(bounds)

    def bounded(self, rows, maps):
        """Rule 12: on the closed cell of this leaf, ``s (A_k - B_k) <= epsilon`` for every output ``k`` and sign
        ``s``: a constant difference directly, else by its bound, multipliers ``y > 0`` over the cell's rows with
        ``epsilon - s (A_k - B_k) - sum y row`` a constant ``>= 0`` (the rows are ``>= 0`` on the cell)."""
        leaf = self.leaves - 1
        for k, (a, b) in enumerate(zip(*maps)):
            gap = [Fraction(u, a[0]) - Fraction(v, b[0]) for u, v in zip(a[1], b[1])]
            for sign in (1, -1):
                terms = self.bounds.pop((leaf, k, sign), None)
                if not any(gap[1:]):
                    require(terms is None, f"bound [{leaf}, {k}, {sign}] is not needed: the difference is constant")
                    require(sign * gap[0] <= self.epsilon, f"leaf {leaf}, output {k}: the difference exceeds epsilon")
                    continue
                require(terms is not None, f"leaf {leaf}, output {k}: no bound for sign {sign}")
                total = [self.epsilon - sign * gap[0]] + [-sign * g for g in gap[1:]]
                for name, y in terms:
                    row, y = rows.get(tuple(name)), num(y)
                    require(row is not None, f"bound [{leaf}, {k}, {sign}] uses row {name}, which its cell does "
                                             "not have")
                    require(y > 0, "bound multipliers must be positive")
                    total = [t - y * v for t, v in zip(total, row)]
                require(not any(total[1:]) and total[0] >= 0,
                        f"bound [{leaf}, {k}, {sign}] does not show the difference at most epsilon")

    def cells(self):
        """The cells checked, as the conclusion names them."""
        if self.mixed and not self.d:      # no continuous coordinates: each case is one point
            return " of ".join(self.where)
        return f"{self.leaves} cells" + (f" in {' of '.join(self.where)}" if self.where else "")


def verdict(claim, found):
    """The conclusion about a well-formed ``claim``, or Reject."""
    return RULES[claim["kind"]](claim, found)


def different(claim, found):
    """The two networks' maps differ on the claimed number of leaves, at least one: on an open set."""
    require(len(found.nets) == 2 and found.different > 0, "no cell where the maps differ")
    require(claim["cells"] == found.leaves and claim["differing"] == found.different,
            f"the claimed cells are wrong: {found.different} of {found.leaves} differ")
    return f"the networks differ on {found.different} of {found.cells()}" + (" (open sets)" if found.d else "")


def equivalent(claim, found):
    """The two networks' maps are equal on every leaf, and the leaves cover the domain (rule 3): equal everywhere when
    every head met is tie-safe (rule 6), else on every cell's interior."""
    require(len(found.nets) == 2 and found.different == 0, f"the maps differ on {found.different} cells")
    require(not (claim["everywhere"] and found.unsafe), "equality everywhere is claimed, but a head is not tie-safe")
    require(claim["cells"] == found.leaves, "the claimed number of cells is wrong")
    where = "everywhere" if claim["everywhere"] else "almost everywhere (on every cell's interior" + \
        (f"; not tie-safe: {'; '.join(sorted(found.unsafe))})" if found.unsafe else ")")
    return f"the networks are equal {where} on the domain ({found.cells()})" + margin(claim, found)


def counts(claim, found):
    """One network's cells, activation regions (distinct patterns) and affine maps, and with ``linear_regions`` the
    groups of cells rule 8 merges. Counts have one tree (rule 1 refuses them over cases): two of its leaves part at a
    split, where they take different options of one unit, so their patterns differ and the activation regions are
    the leaves."""
    require(len(found.nets) == 1, "counts are certified for one network")
    counted = {"cells": found.leaves, "activation_regions": found.leaves, "affine_maps": len(found.maps)}
    if "linear_regions" in claim:
        counted["linear_regions"] = linear_regions(found)
    require(all(claim[k] == v for k, v in counted.items()), f"the claimed counts are wrong: {counted}")
    return ", ".join(f"{k} {v}" for k, v in counted.items())


def same_class(claim, found):
    """Rule 12: on every leaf, split by both networks' argmax, some class is top for both on the leaf's interior.
    The set where the top classes are disjoint is open for continuous networks, so it is empty."""
    require(found.disjoint == 0, f"the top classes are disjoint on {found.disjoint} cells")
    require(not (claim["everywhere"] and found.unsafe), "the claim is made everywhere, but a head is not tie-safe")
    require(claim["cells"] == found.leaves, "the claimed number of cells is wrong")
    where = "at every point of the domain" if claim["everywhere"] else "on every cell's interior"
    return f"some class is top-scoring for both networks {where} ({found.cells()})"


def within(claim, found):
    """Rule 12: every leaf's bounds hold, and none is left over."""
    left = min(found.bounds, default=None)
    require(left is None, f"bound {list(left or ())} names no leaf and output that needs one")
    require(not (claim["everywhere"] and found.unsafe), "the claim is made everywhere, but a head is not tie-safe")
    require(claim["cells"] == found.leaves, "the claimed number of cells is wrong")
    where = "for every x in the domain" if claim["everywhere"] else "on every cell's interior"
    return f"|A(x) - B(x)|_inf <= {claim['epsilon']} {where} ({found.cells()})"


def class_differs(claim, found):
    """Rule 13: the networks' top classes at the point are disjoint."""
    tops = [{k for k, v in enumerate(out) if v == max(out)} for out in found.outputs]
    require(not tops[0] & tops[1], f"the networks share a top class at the point: {sorted(tops[0] & tops[1])}")
    return (f"the top classes differ at x = {point_text(found.x)}: A {sorted(tops[0])}, B {sorted(tops[1])}" +
            (" (and on an open set around it: ReLU and maxout networks are continuous)" if found.continuous else ""))


def exceeds(claim, found):
    """Rule 13: ``|A(x) - B(x)|_inf > epsilon`` at the point."""
    gap = max(abs(a - b) for a, b in zip(*found.outputs))
    require(gap > num(claim["epsilon"]), f"|A(x) - B(x)|_inf is {number_text(gap)} at the point, not above epsilon")
    return (f"|A(x) - B(x)|_inf = {number_text(gap)} > {claim['epsilon']} at x = {point_text(found.x)}" +
            (" (and on an open set around it)" if found.continuous else ""))


def point_text(x):
    return "(" + ", ".join(number_text(v) for v in x) + ")"


RULES = {"different": different, "equivalent": equivalent, "counts": counts, "same_class": same_class,
         "within": within, "class_differs": class_differs, "exceeds": exceeds}


def margin(claim, found):
    """With a claimed ``margin``: every hard-max unit met scores its keys by constants on its cell, and the top score
    exceeds every lower one by at least the margin (the gap a softmax approximation needs)."""
    if "margin" not in claim:
        return ""
    varying = next((n.varying for n in found.nets if n.varying), None)
    require(varying is None, f"a margin is claimed, but the scores of {varying} depend on the input")
    gaps = [n.gap for n in found.nets if n.gap is not None]
    require(gaps, "a margin is claimed, but no hard-max unit has a lower score")
    if min(gaps) < num(claim["margin"]):
        raise Reject(f"the claimed margin is wrong: the least score gap is {number_text(min(gaps))}")
    return f"; every hard-max score margin is at least {claim['margin']}"


def merged(found):
    """Each leaf's group once every adjacency witness (its facet checked) joins its two cells: leaf -> root."""
    parent = list(range(found.leaves))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for i, j, point in found.adjacency:
        require(0 <= i < found.leaves and 0 <= j < found.leaves and i != j, "adjacency names no pair of cells")
        facet(found.kept[i], found.kept[j], point)
        parent[root(i)] = root(j)
    return [root(i) for i in range(found.leaves)]


def linear_regions(found):
    """Rule 8: the merged groups bound the linear regions from above, and are them once every two leaves with one map
    in different groups are separated (no facet joins the groups)."""
    roots = merged(found)
    separated = {(i, j) for i, j, proof in found.separations if separation(found, i, j, proof)}
    groups = {}
    for leaf, number in enumerate(found.leaf_maps):
        groups.setdefault(number, {}).setdefault(roots[leaf], []).append(leaf)
    for by_root in groups.values():
        for a, b in combinations(list(by_root.values()), 2):
            missing = next(((i, j) for i in a for j in b if (i, j) not in separated and (j, i) not in separated),
                           None)
            require(missing is None, f"cells {missing} have one map in different groups but no separation")
    return len(set(roots))


def facet(first, second, x):
    """Two cells with one map meet in a facet at ``x``: every row tight at ``x`` is, in the first cell, a positive
    multiple of one row h and, in the second, a positive multiple of -h."""
    require(first[1] == second[1], "adjacency joins cells with different maps")
    point = homogeneous([num(v) for v in x])
    tight = []
    for sign, (rows, _) in ((1, first), (-1, second)):
        rows = rows.values()
        tight.append({canonical([sign * v for v in row]) for row in rows if any(row[1:]) and dot(row, point) == 0})
        require(all(dot(row, point) >= 0 for row in rows), "an adjacency point is outside its cells")
    require(len(tight[0]) == 1 and tight[0] == tight[1], "an adjacency point is not inside one common facet")


def separation(found, i, j, proof):
    """Closed cells ``i`` and ``j`` share no facet: positive multipliers over their rows sum to a zero normal and a
    negative constant (Farkas: they are disjoint), or to zero in each of several combinations whose rows' normals
    span two dimensions (every row used vanishes on their intersection, of dimension d - 2 at most)."""
    require(0 <= i < found.leaves and 0 <= j < found.leaves and i != j, "a separation names no pair of cells")
    cells, normals, d = (found.kept[i][0], found.kept[j][0]), [], found.d
    if "empty" in proof:
        total = combined(proof["empty"], cells, normals, d)
        require(not any(total[1:]) and total[0] < 0, "an empty separation does not sum to a negative constant")
        return True
    require(proof["tight"], "a tight separation has no combination")
    for terms in proof["tight"]:
        require(not any(combined(terms, cells, normals, d)), "a tight separation does not sum to zero")
    first = next((n for n in normals if any(n)), None)
    require(first is not None and any(first[a] * n[b] != first[b] * n[a] for n in normals
                                      for a in range(d) for b in range(a)),
            "the rows of a tight separation do not span two dimensions")
    return True


def combined(terms, cells, normals, d):
    """``sum y row`` over ``terms`` ``[cell 0 or 1, row name, y]``; each row's normal is appended to ``normals``."""
    require(terms, "a separation combination is empty")
    total = [0] * (d + 1)
    for side, name, y in terms:
        row = cells[side].get(tuple(name)) if side in (0, 1) else None
        require(type(y) is int and y > 0, "separation multipliers must be positive integers")
        require(row is not None, f"a separation uses row {name}, which its cell does not have")
        total = [t + y * v for t, v in zip(total, row)]
        normals.append(row[1:])
    return total


def number_text(q):
    """``q`` as text, or a note when it has more digits than Python turns into text."""
    try:
        return str(q)
    except ValueError:
        return "a number of more than 4300 digits"
