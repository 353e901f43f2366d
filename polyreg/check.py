"""Check a polyreg certificate. Standard library only: no LP, no search, no floats.

Rules (a row ``(b, a)`` means ``b + a.x >= 0``; rows are integer vectors):
1. Every number is canonical (a JSON integer or a reduced ``"p/q"`` string); each network's
   SHA-256 over its canonical JSON matches; the stage order lists every stage of every network
   once, each network's stages in their own order.
2. The domain's point is strictly inside every domain row with a nonzero normal (and rows with a
   zero normal hold): the domain is full-dimensional.
3. Walking the tree, the checker replays each network symbolically (affine maps of x) along the
   path and computes each unit's options itself: a ReLU with a constant pre-activation, and a
   max unit with one surviving piece (pieces identical to, or below by a constant, another are
   dropped), are decided here and have no node. Every other unit has a node with one child per
   candidate: null for a dropped piece, else a subtree or a prune. The options cover the node's
   cell, so the full-dimensional leaves cover the domain.
4. A prune's positive integer multipliers over rows of the path and the option (at least one)
   must sum to a zero normal with a constant < 0 (empty), or = 0 with every used row of nonzero
   normal (the option lies in a hyperplane).
5. A leaf's point is strictly inside every row of its path (a full-dimensional cell); there the
   checker computes each network's affine map.
6. Hard-max scores must have affine differences; for each head the checker tests tie-safety
   between options that can tie (live or thin): each row of the value difference must be a
   multiple of the score difference.
7. The claim is recomputed: equal maps on every leaf (``equivalent``); different maps on the
   claimed number of leaves, at least one (``different``: the networks differ on an open set); or
   the number of leaves, distinct patterns and distinct maps (``counts``). Anything else is
   rejected. An ``equivalent`` claim may add a ``margin``: every hard-max unit met scores its keys
   by constants, and the top score exceeds every lower one by at least the margin. The
   ``producer`` section (who made it, when, times) is information and not checked.
8. Linear regions (``counts``) need ``adjacency``: pairs of leaves (numbered depth first) with
   equal maps and a point where every tight row of the first is a positive multiple of one row h
   and every tight row of the second of -h, so the two cells share a facet and join one region.
   The merged groups bound the linear regions from above. Every two leaves with one map in
   different groups need a ``separation``: positive multipliers over their rows summing to a zero
   normal and a negative constant (the closed cells are disjoint), or several combinations each
   summing to zero whose rows' normals span two dimensions (they meet in dimension d - 2 at most).
   Then no facet joins the groups, and the claim must equal their number.
9. A mixed domain (``cases``): the ``discrete`` groups' coordinates and the ``free`` ones partition the
   inputs; case k, for the k-th element of the product of the groups' value lists (last group fastest),
   is checked by rules 1-6 with those values substituted and input ``free[j]`` as ``x_j``. Every case has
   the first case's domain rows; cells and differing cells are summed; counts are not claimed.
10. Parts (``parts`` instead of ``cases``): each part names outputs (the parts partition the outputs), the
   groups it varies and one case per assignment of those (the other groups at their first value). From the
   weights' nonzero pattern the checker finds the inputs and units that can reach the part's outputs (a head
   at query i reads its query, and the keys and values of every key i may attend to): every group holding such
   an input must be varied, other units are switched off (no node: a ReLU inactive, a maxout's first piece, a
   head adds nothing), and leaves compare the part's outputs only.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
import time
from fractions import Fraction
from itertools import combinations, product
from math import gcd, lcm


class Reject(Exception):
    """The certificate does not prove its claim."""


def require(condition, message):
    if not condition:
        raise Reject(message)


def num(v, where="number"):
    """A canonical number: a JSON integer, or a ``"n"`` / reduced ``"p/q"`` string."""
    require(not isinstance(v, bool) and isinstance(v, (int, str)), f"{where}: {v!r} is not a number")
    q = Fraction(v) if isinstance(v, int) else None
    if isinstance(v, str):
        try:
            q = Fraction(v)
        except (ValueError, ZeroDivisionError):
            raise Reject(f"{where}: {v!r} is not a number") from None
        require(v == (str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"),
                f"{where}: {v!r} is not spelled canonically")
    return q


def matrix(m, where):
    require(isinstance(m, list) and m and all(isinstance(r, list) and r for r in m), f"{where}: not a matrix")
    M = [[num(v, where) for v in r] for r in m]
    require(len({len(r) for r in M}) == 1, f"{where}: rows of different lengths")
    return M


# A vector of affine maps of x in Q^d is (den, rows): rows maps an index to an integer row
# (n_0, ..., n_d), meaning the entry (n_0 + n.x) / den; entries not listed are 0. A single map is a
# row (den, nums) in lowest terms, so equal maps have equal rows.
def vector(den, rows):
    """``(den, rows)`` without zero rows and with the common factor of all its numbers divided out."""
    rows = {i: r for i, r in rows.items() if any(r)}
    g = gcd(den, *[n for r in rows.values() for n in r])
    return (den // g, {i: [n // g for n in r] for i, r in rows.items()}) if g > 1 else (den, rows)


def fractions_vector(values):
    """The vector whose entry i has coefficients ``values[i]`` (Fractions, constant first)."""
    den = lcm(1, *(v.denominator for r in values for v in r))
    return vector(den, {i: [int(v * den) for v in r] for i, r in enumerate(values)})


def entry(v, i, d):
    """Entry ``i`` of vector ``v`` as a row in lowest terms."""
    return reduced(v[0], v[1].get(i, [0] * (d + 1)))


def reduced(den, nums):
    g = gcd(den, *nums)
    return (den // g, tuple(n // g for n in nums)) if g > 1 else (den, tuple(nums))


class Layer:
    """``v -> v W + bias`` (``W`` is inputs x outputs, rational) in integers: ``W = D^-1 (nonzero entries
    (output, D w) of each input's row)``, ``bias = D^-1 self.bias``."""

    def __init__(self, W, d, bias=None):
        self.inputs, self.outputs = len(W), len(W[0])
        bias = bias if bias is not None else [Fraction(0)] * self.outputs
        require(len(bias) == self.outputs, "bias length differs from the matrix's outputs")
        self.D = lcm(1, *(w.denominator for r in W for w in r), *(b.denominator for b in bias))
        self.rows = [[(c, int(w * self.D)) for c, w in enumerate(r) if w] for r in W]
        self.used = [a for a, r in enumerate(self.rows) if r]
        self.bias = {c: [int(b * self.D)] + [0] * d for c, b in enumerate(bias) if b}

    def reads(self, wanted):
        """The inputs with a nonzero weight to an output in ``wanted``."""
        return {a for a in self.used if any(c in wanted for c, _ in self.rows[a])}

    def __call__(self, v):
        den, rows = v
        out = {c: [n * den for n in r] for c, r in self.bias.items()}
        inputs = rows.items() if len(rows) < len(self.used) else [(a, rows[a]) for a in self.used if a in rows]
        for a, r in inputs:
            for c, w in self.rows[a]:
                o = out.get(c)
                out[c] = [s + w * n for s, n in zip(o, r)] if o else [w * n for n in r]
        return vector(den * self.D, out)


def total(vectors):
    """The sum of ``vectors``."""
    den = lcm(*(v[0] for v in vectors))
    out = {}
    for vd, rows in vectors:
        f = den // vd
        for i, r in rows.items():
            o = out.get(i)
            out[i] = [s + f * n for s, n in zip(o, r)] if o else [f * n for n in r]
    return vector(den, out)


def canonical(nums):
    """The coprime integer row that is a positive multiple of ``nums``."""
    g = gcd(*nums) or 1
    return tuple(n // g for n in nums)


def difference(r, t):
    """The numerators of ``r - t`` over a positive common denominator."""
    return [a * t[0] - b * r[0] for a, b in zip(r[1], t[1])]


def constant(row):
    return Fraction(row[1][0], row[0])


class Unit:
    """A unit to decide: ``n`` candidates; ``options`` maps each surviving candidate to its rows
    ``(competitor, row)``; ``fixed`` is the choice when only one survives. Hard-max units keep their
    score ``pieces`` and ``value`` (option -> vector) for the tie-safety test."""

    def __init__(self, n, options, fixed, pieces=None, value=None, name=""):
        self.n, self.options, self.fixed = n, options, fixed
        self.pieces, self.value, self.name = pieces, value, name


def max_unit(pieces, value=None, name=""):
    """A max over ``pieces`` (rows; None: not a candidate). Of pieces with equal normals only the one
    with the largest constant (the first among equals) survives."""
    best = {}
    for r, z in enumerate(pieces):
        if z is None:
            continue
        normal = reduced(z[0], z[1][1:])      # the exact normal vector, uniquely spelled
        if normal not in best or constant(z) > constant(pieces[best[normal]]):
            best[normal] = r
    survivors = sorted(best.values())
    rows = {}
    for a, r in enumerate(survivors):
        for t in survivors[a + 1:]:
            rows[r, t] = canonical(difference(pieces[r], pieces[t]))
            rows[t, r] = tuple(-v for v in rows[r, t])
    options = {r: [(t, rows[r, t]) for t in survivors if t != r] for r in survivors}
    return Unit(len(pieces), options, survivors[0] if len(survivors) == 1 else None, pieces, value, name)


def relu_unit(h):
    """ReLU of ``h`` (numerators of a map) as options 0 (``-h >= 0``) and 1 (``h >= 0``); a constant
    is active iff > 0."""
    if not any(h[1:]):
        return Unit(2, {}, int(h[0] > 0))
    row = canonical(h)
    return Unit(2, {0: [(-1, tuple(-v for v in row))], 1: [(-1, row)]}, None)


OFF = Unit(2, {}, 0)    # a ReLU switched off


def inputs(n, free, fixed):
    """The ``n`` inputs as affine maps of x: input ``free[k]`` is ``x_k``, input ``i`` in ``fixed`` is ``fixed[i]``."""
    return fractions_vector([[fixed.get(i, Fraction(0))] + [Fraction(int(i == j)) for j in free] for i in range(n)])


class Mlp:
    def __init__(self, obj, free):
        d, width = len(free), obj["input_dim"]
        self.d, self.free, self.n, self.stages, pending = d, free, width, [], []
        for spec in obj["layers"]:
            kind = spec["type"]
            if kind == "linear":
                W = matrix(spec["weight"], "weight")   # outputs x inputs
                require(len(W[0]) == width, "linear layer shape")
                pending.append(Layer([list(c) for c in zip(*W)], d, [num(v) for v in spec["bias"]]))
                width = len(W)
            else:
                require(kind in ("relu", "maxout"), f"unknown layer type {kind!r}")
                k = spec.get("rank", 1)
                require(kind == "relu" or (isinstance(k, int) and k > 0 and width % k == 0), "maxout rank")
                self.stages.append((pending, kind, k, width))
                pending, width = [], width if kind == "relu" else width // k
        self.tail, self.width = pending, width

    def start(self, fixed):
        return inputs(self.n, self.free, fixed)

    @staticmethod
    def linear(pending, v):
        for lay in pending:
            v = lay(v)
        return v

    def stage(self, i, v, live=None):
        """Stage ``i``'s units on ``v`` (those not in ``live`` switched off) and its map from choices."""
        pending, kind, k, width = self.stages[i]
        den, z = self.linear(pending, v)
        off = [0] * (self.d + 1)
        if kind == "relu":
            units = [relu_unit(z.get(u, off)) if live is None or u in live else OFF for u in range(width)]
            return units, lambda ch: vector(den, {u: z[u] for u, c in enumerate(ch) if c and u in z})
        groups = [[reduced(den, z.get(u + c, off)) for c in range(k)] for u in range(0, width, k)]
        return [max_unit(g) if live is None or u in live else Unit(k, {}, 0) for u, g in enumerate(groups)], \
            lambda ch: vector(den, {u: z.get(u * k + c, off) for u, c in enumerate(ch)})

    def relevance(self, outputs):
        """The inputs, and per stage the units, joined to ``outputs`` by nonzero weights."""
        wanted, live = set(outputs), []
        for lay in reversed(self.tail):
            wanted = lay.reads(wanted)
        for pending, kind, k, _ in reversed(self.stages):
            live.append(wanted)
            wanted = wanted if kind == "relu" else {u * k + c for u in wanted for c in range(k)}
            for lay in reversed(pending):
                wanted = lay.reads(wanted)
        return wanted, live[::-1]

    def output(self, v):
        return self.linear(self.tail, v)


def flag(obj, where):
    """The ``residual`` switch of a sublayer (default true)."""
    value = obj.get("residual", True)
    require(isinstance(value, bool), f"{where}: residual must be true or false")
    return value


class Transformer:
    def __init__(self, obj, free):
        d, N, D = len(free), obj["tokens"], obj["width"]
        self.d, self.free, self.n = d, free, obj["input_dim"]
        emb = obj["embedding"]
        embed = [matrix(E, "E") for E in emb["E_per_token"]] if "E_per_token" in emb else [matrix(emb["E"], "E")] * N
        positions = matrix(emb["positions"], "positions")
        require(len(embed) == N == len(positions), "embedding shape")
        require(all(len(E) == self.n and len(E[0]) == D for E in embed) and len(positions[0]) == D,
                "embedding shape")
        self.first = [Layer(E, d, pos) for E, pos in zip(embed, positions)]   # token t starts as x E_t + p_t
        self.stages = []
        for b, block in enumerate(obj["blocks"]):
            if block.get("attention") is not None:
                heads = [({k: Layer(matrix(h[k], k), d) for k in ("query", "key", "value", "output")},
                          matrix(h["score_bias"], "score_bias") if h.get("score_bias") is not None else None,
                          h.get("mask")) for h in block["attention"]["heads"]]
                for W, bias, mask in heads:
                    q, k, v, o = (W[n] for n in ("query", "key", "value", "output"))
                    require(q.inputs == k.inputs == v.inputs == D == o.outputs and q.outputs == k.outputs
                            and o.inputs == v.outputs, f"block {b}: attention matrix shapes")
                    require(all(m is None or (len(m) == N and all(len(r) == N for r in m)) for m in (bias, mask))
                            and (mask is None or all(v in (0, 1) for r in mask for v in r)),
                            f"block {b}: score_bias and mask must be tokens x tokens, the mask of 0 and 1")
                self.stages.append(("attention", b, heads, flag(block["attention"], f"block {b}: attention")))
            if block.get("feed_forward") is not None:
                f = block["feed_forward"]
                w1 = Layer(matrix(f["w1"], "w1"), d, [num(v) for v in f["b1"]])
                w2 = Layer(matrix(f["w2"], "w2"), d, [num(v) for v in f["b2"]])
                require(w1.inputs == D == w2.outputs and w2.inputs == w1.outputs, f"block {b}: feed-forward shapes")
                self.stages.append(("ffn", b, (w1, w2), flag(f, f"block {b}: feed_forward")))
        r = obj["readout"]
        self.bias = [num(v) for v in r["bias"]]
        self.readout = ([Layer(matrix(r["weight"], "readout"), d) if t == r.get("token", 0) else None
                         for t in range(N)] if "weight" in r else
                        [None if w is None else Layer(matrix(w, "readout"), d) for w in r["weights"]])
        require(len(self.readout) == N and any(self.readout) and all(
            R is None or (R.inputs, R.outputs) == (D, len(self.bias)) for R in self.readout), "readout shapes")
        self.width = len(self.bias)
        self.gap = self.varying = None      # the least score margin of a hard-max unit; a unit whose scores vary

    def start(self, fixed):
        x = inputs(self.n, self.free, fixed)
        return [token(x) for token in self.first]

    def stage(self, i, X, live=None):
        kind, b, data, residual = self.stages[i]
        return self.attention(b, data, residual, X, live) if kind == "attention" else self.ffn(data, residual, X, live)

    def relevance(self, outputs):
        """The inputs, and per stage the units, joined to ``outputs`` by nonzero weights; values are (token, slot)."""
        N, live = len(self.first), []
        wanted = {(t, a) for t, R in enumerate(self.readout) if R is not None for a in R.reads(set(outputs))}
        for kind, _, data, residual in reversed(self.stages):
            units, read = set(), set()
            if kind == "ffn":
                w1, w2 = data
                for t, u in {(t, u) for t in range(N) for u in w2.reads({c for s, c in wanted if s == t})}:
                    units.add(t * w1.outputs + u)
                    read |= {(t, a) for a in w1.reads({u})}
            for h, (W, _, mask) in enumerate(data if kind == "attention" else []):
                written = {c for m in W["output"].used for c, _ in W["output"].rows[m]}
                for i in {t for t, c in wanted if c in written}:
                    units.add(h * N + i)
                    read |= {(i, a) for a in W["query"].used}
                    read |= {(j, a) for j in range(N) if mask is None or mask[i][j]
                             for a in W["key"].used + W["value"].used}
            live.append(units)
            wanted = (wanted if residual else set()) | read
        return {i for t, a in wanted for i in self.first[t].reads({a})}, live[::-1]

    def score_gap(self, pieces, name):
        """Lower ``self.gap`` to the gap between the top score and the next lower one, when no score depends on x;
        else record ``name`` in ``self.varying``."""
        scores = [p for p in pieces if p is not None]
        if any(any(p[1][1:]) for p in scores):
            self.varying = self.varying or name
            return
        top = sorted({constant(p) for p in scores}, reverse=True)[:2]
        if len(top) == 2:
            self.gap = top[0] - top[1] if self.gap is None else min(self.gap, top[0] - top[1])

    def attention(self, b, heads, residual, X, live):
        d, N = self.d, len(X)
        units, outputs = [], []
        for h, (W, bias, mask) in enumerate(heads):
            q = [W["query"](x) for x in X]
            k = [W["key"](x) for x in X]
            values = {}      # key j -> X_j Wv Wo, computed when first needed
            averages = {}    # tied keys -> their average value
            for i in range(N):
                if live is not None and h * N + i not in live:
                    units.append(Unit(N, {}, 0))
                    outputs.append(i)
                    continue
                pieces, quad = [None] * N, None
                qd, qrows = q[i]
                constant = not any(any(qn[1:]) for qn in qrows.values())
                for j in range(N):
                    if mask is not None and not mask[i][j]:
                        continue
                    extra = bias[i][j] if bias is not None else Fraction(0)
                    kd, krows = k[j]
                    pairs = [(qrows[m], krows[m]) for m in qrows if m in krows]
                    if constant:   # the score is affine
                        row = [sum(qn[0] * kn[c] for qn, kn in pairs) * extra.denominator for c in range(d + 1)]
                        row[0] += extra.numerator * qd * kd
                        pieces[j] = reduced(qd * kd * extra.denominator, row)
                        continue
                    # score(x) = q(x).k(x): its quadratic part must be the same for every key
                    f = Fraction(1, qd * kd)
                    qq = [[f * sum(qn[a] * kn[c] + qn[c] * kn[a] for qn, kn in pairs) for c in range(1, d + 1)]
                          for a in range(1, d + 1)]
                    require(quad is None or qq == quad, f"block {b}, head {h}, query {i}: score not affine")
                    quad = qq
                    row = [f * sum(qn[0] * kn[c] + (qn[c] * kn[0] if c else 0) for qn, kn in pairs)
                           for c in range(d + 1)]
                    pieces[j] = entry(fractions_vector([[row[0] + extra] + row[1:]]), 0, d)
                require(any(p is not None for p in pieces), "a query attends to no key")

                def value(r, pieces=pieces, W=W, values=values, averages=averages):
                    tied = tuple(j for j, z in enumerate(pieces) if z == pieces[r])
                    if tied not in averages:
                        for j in tied:
                            if j not in values:
                                values[j] = W["output"](W["value"](X[j]))
                        den, rows = total([values[j] for j in tied])
                        averages[tied] = vector(den * len(tied), rows)
                    return averages[tied]
                units.append(max_unit(pieces, value, f"block {b}, head {h}, query token {i}"))
                outputs.append(i)
                self.score_gap(pieces, units[-1].name)

        def apply(choices):
            added = [[x] if residual else [] for x in X]
            for unit, i, c in zip(units, outputs, choices):
                if unit.value is not None:
                    added[i].append(unit.value(c))
            return [total(terms) if terms else (1, {}) for terms in added]
        return units, apply

    def ffn(self, data, residual, X, live):
        w1, w2 = data
        off, r = [0] * (self.d + 1), w1.outputs
        hidden = [w1(x) for x in X]
        units = [relu_unit(H.get(u, off)) if live is None or t * r + u in live else OFF
                 for t, (_, H) in enumerate(hidden) for u in range(r)]

        def apply(choices):
            out = []
            for t, (x, (den, H)) in enumerate(zip(X, hidden)):
                add = w2((den, {u: h for u, h in H.items() if choices[t * r + u]}))
                out.append(total([x, add]) if residual else add)
            return out
        return units, apply

    def output(self, X):
        bias = fractions_vector([[c] + [Fraction(0)] * self.d for c in self.bias])
        return total([bias] + [R(x) for x, R in zip(X, self.readout) if R is not None])


def homogeneous(x):
    """``(den, den x)`` in integers for a rational point ``x``: its slack on a row is ``dot(row, .) / den``."""
    den = lcm(1, *(v.denominator for v in x))
    return [den] + [int(v * den) for v in x]


def dot(row, point):
    return sum(a * v for a, v in zip(row, point))


def memoized(f):
    memo = {}

    def cached(arg):
        if arg not in memo:
            memo[arg] = f(arg)
        return memo[arg]
    return cached


def network_hash(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


FIELDS = {"format", "claim", "networks", "adjacency", "separations", "producer"}
CASE, MIXED = ("domain", "order", "tree"), ("discrete", "free")


def assignments(groups, varied):
    """The product of the values of the groups ``varied`` (the others at their first value), the last group
    varying fastest: dicts coordinate -> value."""
    values = [[[num(v) for v in vector] for vector in (g["values"] if k in varied else g["values"][:1])]
              for k, g in enumerate(groups)]
    return [{i: v for g, vector in zip(groups, choice) for i, v in zip(g["coordinates"], vector)}
            for choice in product(*values)]


class Checker:
    def __init__(self, cert, record=None, progress=None):
        require(cert.get("format") == "polyreg.certificate/1", "unknown certificate format")
        self.mixed = "cases" in cert or "parts" in cert
        allowed = FIELDS | ({*MIXED, "parts" if "parts" in cert else "cases"} if self.mixed else set(CASE))
        require(set(cert) <= allowed, f"unknown certificate fields {sorted(set(cert) - allowed)}")
        self.claim = cert["claim"]
        groups = cert.get("discrete", [])
        if self.mixed:      # one case per assignment of the discrete coordinates, x = the free coordinates
            require(self.claim.get("kind") != "counts", "counts are not certified over discrete cases")
            require(isinstance(groups, list) and all(
                isinstance(g, dict) and isinstance(g.get("coordinates"), list) and isinstance(g.get("values"), list)
                and g["values"] and all(isinstance(v, list) and len(v) == len(g["coordinates"]) for v in g["values"])
                for g in groups), "discrete groups need coordinates and at least one value vector of their length")
            self.free = cert["free"]
            coordinates = self.free + [i for g in groups for i in g["coordinates"]]
        else:
            self.free = coordinates = list(range(len(cert["domain"]["point"])))
        self.d, n = len(self.free), len(coordinates)
        require(all(type(i) is int for i in coordinates) and sorted(coordinates) == list(range(n)),
                "the discrete and free coordinates must partition the inputs")
        self.nets = []
        for item in cert["networks"]:
            require(network_hash(item["network"]) == item["sha256"], "a network's SHA-256 does not match")
            net = item["network"]
            require(net.get("input_dim") == n, "input dimension differs from the domain's")
            kind = {"polyreg.network/1": Mlp, "polyreg.transformer/1": Transformer}.get(net.get("format"))
            require(kind is not None, "unknown network format")
            self.nets.append(kind(net, self.free))
        if "parts" in cert:
            self.parts = self.split(cert["parts"], groups)
        else:
            everything = range(len(groups))
            fixed, cases = (assignments(groups, everything), cert["cases"]) if self.mixed else \
                ([{}], [{k: cert[k] for k in CASE}])
            require(isinstance(cases, list) and len(cases) == len(fixed),
                    f"expected one case per assignment of the discrete values ({len(fixed)})")
            self.parts = [(None, None, fixed, cases)]
        self.cases, self.groups = [case for part in self.parts for case in part[3]], groups
        self.leaves, self.patterns, self.maps, self.different, self.unsafe = 0, set(), {}, 0, set()
        self.record, self.progress, self.stages = record, progress, {}
        self.adjacency = cert.get("adjacency", [])
        require(isinstance(self.adjacency, list) and all(isinstance(w, list) and len(w) == 3 and type(w[0]) is int
                                                         and type(w[1]) is int for w in self.adjacency),
                "adjacency must be a list of [cell, cell, point]")
        self.separations = cert.get("separations", [])
        require(isinstance(self.separations, list) and all(
            isinstance(w, list) and len(w) == 3 and type(w[0]) is int and type(w[1]) is int for w in self.separations),
            "separations must be a list of [cell, cell, proof]")
        require(not (self.adjacency or self.separations) or "linear_regions" in self.claim,
                "adjacency or separations are given but not used")
        self.kept = {i: None for w in self.adjacency + self.separations for i in w[:2]}   # leaf -> (rows, map)
        self.leaf_maps = [] if "linear_regions" in self.claim else None      # each leaf's map, numbered

    def split(self, parts, groups):
        """Each part as (outputs, each network's live units per stage, its assignments, its cases)."""
        widths = {net.width for net in self.nets}
        require(len(self.nets) == 2 and len(widths) == 1, "parts compare two networks with the same outputs")
        fields = {"outputs", "groups", "cases"}
        require(isinstance(parts, list) and parts and all(isinstance(p, dict) and set(p) == fields for p in parts),
                "each part needs outputs, groups and cases")
        outputs = [o for p in parts for o in p["outputs"]]
        require(all(type(o) is int for o in outputs) and sorted(outputs) == list(range(widths.pop())),
                "the parts' outputs must partition the outputs")
        checked = []
        for p in parts:
            varied = p["groups"]
            require(isinstance(varied, list) and all(type(k) is int for k in varied) and varied == sorted(set(varied))
                    and set(varied) <= set(range(len(groups))), "a part's groups must be increasing group indices")
            relevance = [net.relevance(p["outputs"]) for net in self.nets]
            inputs = relevance[0][0] | relevance[1][0]
            missing = [k for k, g in enumerate(groups) if k not in varied and inputs & set(g["coordinates"])]
            require(not missing, f"outputs {p['outputs']} can depend on discrete groups {missing}, "
                                 "which their part does not vary")
            fixed = assignments(groups, set(varied))
            require(isinstance(p["cases"], list) and len(p["cases"]) == len(fixed),
                    f"a part needs one case per assignment of its groups ({len(fixed)})")
            checked.append((p["outputs"], [r[1] for r in relevance], fixed, p["cases"]))
        return checked

    @staticmethod
    def slack(row, x):
        return row[0] + sum(a * v for a, v in zip(row[1:], x))

    def run(self):
        first = True
        for self.outputs, self.live, fixed_values, cases in self.parts:
            for fixed, case in zip(fixed_values, cases):
                self.order = self.stage_order(case["order"])
                domain = self.domain_rows(case["domain"])
                require(first or domain == self.domain, "every case must have the domain rows of the first")
                self.domain, self.stages, first = domain, {}, False   # the memo of stages holds for one case only
                rows = {(-1, j, -1): r for j, r in enumerate(domain)}
                self.stage_node(case["tree"], 0, [n.start(fixed) for n in self.nets], rows, ((),) * len(self.nets))

    def stage_order(self, order):
        order = [tuple(o) for o in order]
        for p, net in enumerate(self.nets):
            require([i for q, i in order if q == p] == list(range(len(net.stages))), "bad stage order")
        require(len(order) == sum(len(n.stages) for n in self.nets), "bad stage order")
        return order

    def domain_rows(self, dom):
        """The domain's integer rows, once its point is strictly inside them (the domain is full-dimensional)."""
        rows = [tuple(int(num(v)) for v in row) for row in dom["rows"]]
        require(all(len(r) == self.d + 1 and all(isinstance(v, int) for v in r) for r in dom["rows"]),
                "domain rows must be integer rows of length d + 1")
        point = [num(v) for v in dom["point"]]
        require(all(self.slack(r, point) > 0 if any(r[1:]) else r[0] >= 0 for r in rows),
                "the domain's point is not strictly inside")
        return rows

    def stage_node(self, node, s, states, rows, patterns):
        """Check ``node``, the root of stage ``s``'s splits; ``patterns[p]``: network p's choices so far."""
        if s == len(self.order):
            return self.leaf(node, states, rows, patterns)
        p, i = self.order[s]
        units, apply = self.stage(p, i, patterns[p], states[p])
        self.unit_node(node, s, p, states, units, apply, 0, (), rows, patterns)

    def stage(self, p, i, pattern, state):
        """Network p's units at stage i and its map from choices to the next state. Both depend on
        the network's own earlier choices only, so paths that differ in the other network's share them."""
        key = (p, i, pattern)
        if key not in self.stages:
            if len(self.stages) >= 4096:
                del self.stages[next(iter(self.stages))]
            units, apply = self.nets[p].stage(i, state, self.live[p][i] if self.live else None)
            self.stages[key] = units, memoized(apply)
        return self.stages[key]

    def unit_node(self, node, s, p, states, units, apply, u, choices, rows, patterns):
        while u < len(units) and units[u].fixed is not None:
            choices, u = choices + (units[u].fixed,), u + 1
        if u == len(units):
            states = states[:p] + [apply(choices)] + states[p + 1:]
            patterns = patterns[:p] + (patterns[p] + (choices,),) + patterns[p + 1:]
            return self.stage_node(node, s + 1, states, rows, patterns)
        unit = units[u]
        require(isinstance(node, dict) and list(node) == ["split"] and len(node["split"]) == unit.n,
                f"stage {s}, unit {u}: expected a split with {unit.n} children")
        touching = []
        for o, child in enumerate(node["split"]):
            if o not in unit.options:
                require(child is None, f"stage {s}, unit {u}: option {o} is not a candidate")
                continue
            added = {(s, u, c): r for c, r in unit.options[o]}
            rows.update(added)      # the path's rows, with this option's; removed again below
            if isinstance(child, dict) and "prune" in child:
                if not self.prune(child, rows):
                    touching.append(o)
            else:
                touching.append(o)
                self.unit_node(child, s, p, states, units, apply, u + 1, choices + (o,), rows, patterns)
            for key in added:
                del rows[key]
        if unit.value is not None:
            for a, r in enumerate(touching):
                for t in touching[a + 1:]:
                    if not tie_safe(unit, r, t):
                        self.unsafe.add(unit.name)

    def prune(self, child, rows):
        """Check a prune; return whether it proves the option empty (not just thin)."""
        require(set(child) == {"prune", "empty"} and isinstance(child["empty"], bool), "malformed prune")
        empty, total = child["empty"], [0] * (self.d + 1)
        require(child["prune"], "a prune names no rows")
        for name, y in child["prune"]:
            row = rows.get(tuple(name))
            if type(y) is not int or y <= 0 or row is None or not (empty or any(row[1:])):
                require(type(y) is int and y > 0, "multipliers must be positive integers")
                require(row is not None, f"prune uses row {name}, which is not on the path")
                raise Reject("a thin prune uses a row with zero normal")
            total = [t + y * v for t, v in zip(total, row)]
        require(not any(total[1:]), "prune multipliers do not cancel the normals")
        require(total[0] < 0 if empty else total[0] == 0, "prune constant has the wrong sign")
        return empty

    def leaf(self, node, states, rows, patterns):
        require(isinstance(node, dict) and list(node) == ["leaf"], "expected a leaf")
        x = [num(v) for v in node["leaf"]]
        require(len(x) == self.d, "leaf point has the wrong dimension")
        point = homogeneous(x)
        for row in set(rows.values()):
            require(dot(row, point) > 0 if any(row[1:]) else row[0] >= 0, "a leaf point is not strictly inside")
        maps = [tuple(entry(v, i, self.d) for i in self.outputs or range(net.width))
                for v, net in ((net.output(st), net) for net, st in zip(self.nets, states))]
        if self.leaves in self.kept:
            self.kept[self.leaves] = dict(rows), maps[0]
        self.leaves += 1
        self.patterns.add(patterns)
        number = self.maps.setdefault(maps[0], len(self.maps))
        if self.leaf_maps is not None:
            self.leaf_maps.append(number)
        self.different += len(set(maps)) > 1
        if self.record is not None:
            self.record.append((x, list(rows.values()), maps))
        if self.progress:
            self.progress(self.leaves)

    def verdict(self):
        kind = self.claim.get("kind")
        fields = {"different": {"cells", "differing"}, "equivalent": {"cells", "everywhere", "margin"},
                  "counts": {"cells", "activation_regions", "affine_maps", "linear_regions"}}
        require(kind in fields and set(self.claim) - {"kind"} <= fields[kind], "unknown claim")
        require(all(type(v) is int for k, v in self.claim.items() if k not in ("kind", "everywhere", "margin")),
                "claimed numbers must be integers")
        if kind == "different":
            require(len(self.nets) == 2 and self.different > 0, "no cell where the maps differ")
            require(self.claim.get("cells") == self.leaves and self.claim.get("differing") == self.different,
                    f"the claimed cells are wrong: {self.different} of {self.leaves} differ")
            return f"the networks differ on {self.different} of {self.cells()}" + (" (open sets)" if self.d else "")
        if kind == "equivalent":
            require(len(self.nets) == 2 and self.different == 0, f"the maps differ on {self.different} cells")
            everywhere = self.claim.get("everywhere")
            require(isinstance(everywhere, bool) and not (everywhere and self.unsafe),
                    "equality everywhere is claimed, but a head is not tie-safe")
            require(self.claim.get("cells") == self.leaves, "the claimed number of cells is wrong")
            where = "everywhere" if everywhere else "almost everywhere (on every cell's interior" + \
                (f"; not tie-safe: {'; '.join(sorted(self.unsafe))})" if self.unsafe else ")")
            return f"the networks are equal {where} on the domain ({self.cells()})" + self.margin()
        require(len(self.nets) == 1, "counts are certified for one network")
        found = {"cells": self.leaves, "activation_regions": len(self.patterns), "affine_maps": len(self.maps)}
        if "linear_regions" in self.claim:
            found["linear_regions"] = self.merged()
        require(set(self.claim) == {"kind"} | set(found) and all(self.claim[k] == v for k, v in found.items()),
                f"the claimed counts are wrong: {found}")
        return ", ".join(f"{k} {v}" for k, v in found.items())

    def margin(self):
        """With a claimed ``margin``: every hard-max unit met scores its keys by constants on its cell, and the top
        score exceeds every lower one by at least the margin (the gap a softmax approximation needs)."""
        if "margin" not in self.claim:
            return ""
        claimed = num(self.claim["margin"], "margin")
        varying = next((n.varying for n in self.nets if getattr(n, "varying", None)), None)
        require(varying is None, f"a margin is claimed, but the scores of {varying} depend on the input")
        gaps = [n.gap for n in self.nets if getattr(n, "gap", None) is not None]
        require(gaps, "a margin is claimed, but no hard-max unit has a lower score")
        require(min(gaps) >= claimed, f"the claimed margin is wrong: the least score gap is {min(gaps)}")
        return f"; every hard-max score margin is at least {self.claim['margin']}"

    def cells(self):
        where = [f"{len(self.cases)} discrete cases"] if self.groups else []
        where += [f"{len(self.parts)} output parts"] if self.parts[0][0] is not None else []
        if self.mixed and not self.d:      # no continuous coordinates: each case is one point
            return " of ".join(where)
        return f"{self.leaves} cells" + (f" in {' of '.join(where)}" if where else "")

    def merged(self):
        """The number of groups of cells once the adjacency witnesses merge them: an upper bound on the linear
        regions, and the number itself once every two cells with one map in different groups are separated."""
        parent = list(range(self.leaves))

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i
        for i, j, point in self.adjacency:
            require(0 <= i < self.leaves and 0 <= j < self.leaves and i != j, "adjacency names no pair of cells")
            self.facet(self.kept[i], self.kept[j], point)
            parent[root(i)] = root(j)
        separated = {(i, j) for i, j, proof in self.separations if self.separation(i, j, proof)}
        groups = {}
        for leaf, number in enumerate(self.leaf_maps):
            groups.setdefault(number, {}).setdefault(root(leaf), []).append(leaf)
        for by_root in groups.values():
            for a, b in combinations(list(by_root.values()), 2):
                missing = next(((i, j) for i in a for j in b if (i, j) not in separated and (j, i) not in separated),
                               None)
                require(missing is None, f"cells {missing} have one map in different groups but no separation")
        return sum(root(i) == i for i in range(self.leaves))

    def separation(self, i, j, proof):
        """Closed cells ``i`` and ``j`` share no facet: positive multipliers over their rows sum to a zero normal
        and a negative constant (they are disjoint), or to zero in each of several combinations whose rows'
        normals span two dimensions (every row used vanishes on their intersection, of dimension d - 2 at most)."""
        require(0 <= i < self.leaves and 0 <= j < self.leaves and i != j, "a separation names no pair of cells")
        require(isinstance(proof, dict) and (list(proof) == ["empty"] or list(proof) == ["tight"]),
                "a separation is {\"empty\": terms} or {\"tight\": [terms, ...]}")
        cells, normals = (self.kept[i][0], self.kept[j][0]), []
        if "empty" in proof:
            total = self.combined(proof["empty"], cells, normals)
            require(not any(total[1:]) and total[0] < 0, "an empty separation does not sum to a negative constant")
            return True
        require(isinstance(proof["tight"], list) and proof["tight"], "a tight separation has no combination")
        for terms in proof["tight"]:
            require(not any(self.combined(terms, cells, normals)), "a tight separation does not sum to zero")
        first = next((n for n in normals if any(n)), None)
        require(first is not None and any(first[a] * n[b] != first[b] * n[a] for n in normals
                                          for a in range(self.d) for b in range(a)),
                "the rows of a tight separation do not span two dimensions")
        return True

    def combined(self, terms, cells, normals):
        """``sum y row`` over ``terms`` ``[cell 0 or 1, row name, y]``; each row's normal is appended to ``normals``."""
        require(isinstance(terms, list) and terms, "a separation combination is empty")
        total = [0] * (self.d + 1)
        for side, name, y in terms:
            row = cells[side].get(tuple(name)) if side in (0, 1) else None
            require(type(y) is int and y > 0, "separation multipliers must be positive integers")
            require(row is not None, f"a separation uses row {name}, which its cell does not have")
            total = [t + y * v for t, v in zip(total, row)]
            normals.append(row[1:])
        return total

    def facet(self, first, second, x):
        """Two cells with one map meet in a facet at ``x``: every row tight at ``x`` is, in the first
        cell, a positive multiple of one row h and, in the second, a positive multiple of -h."""
        require(first[1] == second[1], "adjacency joins cells with different maps")
        require(isinstance(x, list) and len(x) == self.d, "an adjacency point has the wrong dimension")
        point = homogeneous([num(v) for v in x])
        tight = []
        for sign, (rows, _) in ((1, first), (-1, second)):
            rows = rows.values()
            tight.append({canonical([sign * v for v in row]) for row in rows if any(row[1:]) and dot(row, point) == 0})
            require(all(dot(row, point) >= 0 for row in rows), "an adjacency point is outside its cells")
        require(len(tight[0]) == 1 and tight[0] == tight[1], "an adjacency point is not inside one common facet")


def tie_safe(unit, r, t):
    """Each row of the value difference of options ``r`` and ``t`` is a multiple of their score difference."""
    score = difference(unit.pieces[r], unit.pieces[t])
    pivot = next(c for c, v in enumerate(score) if v)
    (a, R), (b, T) = unit.value(r), unit.value(t)
    off = [0] * len(score)
    for i in R.keys() | T.keys():
        row = [m * b - n * a for m, n in zip(R.get(i, off), T.get(i, off))]
        if any(v * score[pivot] != row[pivot] * s for v, s in zip(row, score)):
            return False
    return True


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100000))    # the tree nests one level per split
    try:
        return json.loads(data, parse_float=lambda s: s)   # a float spelling is then refused by num()
    finally:
        sys.setrecursionlimit(limit)


def check(cert, record=None, progress=None):
    """The checker's conclusion, or raise ``Reject``. With a list ``record``, append each verified
    leaf as (point, its cell's rows ``(b, a)`` meaning ``b + a.x >= 0``, each network's output rows);
    ``progress(cells)`` is called after each leaf."""
    checker = Checker(cert, record, progress)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100000))
    try:
        checker.run()
    finally:
        sys.setrecursionlimit(limit)
    return checker.verdict()


class ProgressLine:
    """After 2 s, ``checked n of N cells`` on stderr every 10 s (every 0.5 s on a terminal)."""

    def __init__(self, total):
        self.total, self.started, self.last, self.tty = total, time.monotonic(), 0.0, sys.stderr.isatty()

    def __call__(self, cells):
        now = time.monotonic() - self.started
        if now > 2 and now - self.last >= (0.5 if self.tty else 10):
            self.last = now
            print(f"polyreg check: {cells} of {self.total} cells, {now:.0f} s", end="\r" if self.tty else "\n",
                  file=sys.stderr, flush=True)

    def close(self):
        if self.last and self.tty:
            print(" " * 60, end="\r", file=sys.stderr, flush=True)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m polyreg.check CERTIFICATE", file=sys.stderr)
        return 2
    try:
        cert = load(args[0])
    except (OSError, ValueError) as err:
        print(f"NOT VERIFIED: malformed certificate: {err}")
        return 2
    claim = cert.get("claim") if isinstance(cert, dict) else None
    progress = ProgressLine(claim.get("cells", "?") if isinstance(claim, dict) else "?")
    try:
        conclusion, code = f"VERIFIED: {check(cert, progress=progress)}", 0
    except Reject as err:
        conclusion, code = f"NOT VERIFIED: {err}", 1
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        conclusion, code = f"NOT VERIFIED: malformed certificate ({type(err).__name__}: {err})", 2
    progress.close()
    print(conclusion)
    return code

if __name__ == "__main__":
    sys.exit(main())
