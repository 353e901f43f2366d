"""Check a polyreg certificate. Standard library only: no LP, no search, no floats.

Rules (a row ``(b, a)`` means ``b + a.x >= 0``; rows are coprime integer vectors):
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
4. A prune's positive integer multipliers over rows of the path and the option must sum to a
   zero normal with a constant < 0 (empty), or = 0 with every used row of nonzero normal (the
   option lies in a hyperplane).
5. A leaf's point is strictly inside every row of its path (a full-dimensional cell); there the
   checker computes each network's affine map.
6. Hard-max scores must have affine differences; for each head the checker tests tie-safety
   between options that can tie (live or thin): each row of the value difference must be a
   multiple of the score difference.
7. The claim is recomputed: equal maps on every leaf (``equivalent``), or the number of leaves,
   distinct patterns and distinct maps (``counts``). Anything else is rejected.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
from fractions import Fraction
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
    return [[num(v, where) for v in r] for r in m]


def columns(m, where):
    """A matrix (in x out) as its columns' nonzero entries: ``[[(row, value), ...] per column]``."""
    M = matrix(m, where)
    require(len({len(r) for r in M}) == 1, f"{where}: rows of different lengths")
    return [[(a, M[a][c]) for a in range(len(M)) if M[a][c]] for c in range(len(M[0]))]


# An affine map of x in Q^d is a row (den, (n_0, ..., n_d)) meaning (n_0 + n.x) / den, in lowest
# terms with den > 0, so equal maps have equal rows; a vector of maps is a list of rows.
def make(values):
    """The row of the affine map with coefficients ``values`` (Fractions, constant first)."""
    den = 1
    for v in values:
        den = lcm(den, v.denominator)
    return reduced(den, [int(v * den) for v in values])


def reduced(den, nums):
    g = gcd(den, *nums)
    return (den // g, tuple(n // g for n in nums)) if g > 1 else (den, tuple(nums))


def combine(terms, width):
    """``sum w * row`` over ``terms`` of (Fraction w, row)."""
    terms = [(w, row) for w, row in terms if w and any(row[1])]
    den = 1
    for w, (d, _) in terms:
        den = lcm(den, w.denominator * d)
    out = [0] * width
    for w, (d, nums) in terms:
        f = w.numerator * (den // (w.denominator * d))
        out = [o + f * n for o, n in zip(out, nums)]
    return reduced(den, out)


def times(X, W, d):
    """The row vector ``X W`` of affine maps (``W`` given by ``columns``)."""
    require(all(a < len(X) for col in W for a, _ in col), "matrix shape does not fit")
    return [combine([(w, X[a]) for a, w in col], d + 1) for col in W]


def const(v, d):
    return make([v] + [Fraction(0)] * d)


def zero(d):
    return (1, (0,) * (d + 1))


def canonical(nums):
    """The coprime integer row that is a positive multiple of ``nums``."""
    g = gcd(*nums) or 1
    return tuple(n // g for n in nums)


def difference(r, t):
    """The numerators of ``r - t`` over a positive common denominator."""
    return [a * t[0] - b * r[0] for a, b in zip(r[1], t[1])]


def coefficient(row, c):
    return Fraction(row[1][c], row[0])


def is_constant(row):
    return not any(row[1][1:])


class Unit:
    def __init__(self, pieces, value=None, name=""):
        """A max over ``pieces`` (rows; None: not a candidate)."""
        self.value, self.name, self.n, self.pieces = value, name, len(pieces), pieces
        best = {}
        for r, z in enumerate(pieces):
            if z is None:
                continue
            normal = reduced(z[0], z[1][1:])      # the exact normal vector, uniquely spelled
            if normal not in best or coefficient(z, 0) > coefficient(pieces[best[normal]], 0):
                best[normal] = r
        self.survivors = sorted(best.values())
        self.fixed = self.survivors[0] if len(self.survivors) == 1 else None
        self.options = {r: [(t, canonical(difference(pieces[r], pieces[t]))) for t in self.survivors if t != r]
                        for r in self.survivors}


def relu_unit(h):
    """ReLU as options 0 (``-h >= 0``) and 1 (``h >= 0``); a constant is active iff > 0."""
    unit = Unit([zero(len(h[1]) - 1), h])
    if is_constant(h):
        unit.fixed = int(h[1][0] > 0)
    else:
        unit.options = {0: [(-1, canonical([-v for v in h[1]]))], 1: [(-1, canonical(h[1]))]}
    return unit


class Mlp:
    def __init__(self, obj, d):
        self.d, self.stages, pending = d, [], []
        for layer in obj["layers"]:
            kind = layer["type"]
            if kind == "linear":
                pending.append((matrix(layer["weight"], "weight"), [num(v) for v in layer["bias"]]))
            else:
                require(kind in ("relu", "maxout"), f"unknown layer type {kind!r}")
                self.stages.append((pending, kind, layer.get("rank")))
                pending = []
        self.tail = pending

    def start(self):
        return [(1, tuple(int(j == i + 1) for j in range(self.d + 1))) for i in range(self.d)]

    def linear(self, pending, x):
        one = const(Fraction(1), self.d)
        for W, b in pending:
            require(all(len(r) == len(x) for r in W) and len(b) == len(W), "linear layer shape")
            x = [combine([(c, one)] + list(zip(row, x)), self.d + 1) for row, c in zip(W, b)]
        return x

    def stage(self, i, x):
        pending, kind, k = self.stages[i]
        z = self.linear(pending, x)
        if kind == "relu":
            return [relu_unit(h) for h in z], lambda ch: [h if c else zero(self.d) for h, c in zip(z, ch)]
        require(isinstance(k, int) and k > 0 and len(z) % k == 0, "maxout rank")
        groups = [z[u:u + k] for u in range(0, len(z), k)]
        return [Unit(g) for g in groups], lambda ch: [g[c] for g, c in zip(groups, ch)]

    def output(self, x):
        return self.linear(self.tail, x)


class Transformer:
    def __init__(self, obj, d):
        self.d, N, D = d, obj["tokens"], obj["width"]
        emb = obj["embedding"]
        self.embed = ([matrix(E, "E") for E in emb["E_per_token"]] if "E_per_token" in emb
                      else [matrix(emb["E"], "E")] * N)
        self.positions = matrix(emb["positions"], "positions")
        require(len(self.embed) == N == len(self.positions), "embedding shape")
        require(all(len(E) == d and all(len(r) == D for r in E) for E in self.embed)
                and all(len(r) == D for r in self.positions), "embedding shape")
        self.stages = []
        for b, block in enumerate(obj["blocks"]):
            if block.get("attention") is not None:
                heads = [({k: columns(h[k], k) for k in ("query", "key", "value", "output")},
                          matrix(h["score_bias"], "score_bias") if h.get("score_bias") is not None else None,
                          h.get("mask")) for h in block["attention"]["heads"]]
                self.stages.append(("attention", b, heads, block["attention"].get("residual", True)))
            if block.get("feed_forward") is not None:
                f = block["feed_forward"]
                self.stages.append(("ffn", b, (columns(f["w1"], "w1"), [num(v) for v in f["b1"]],
                                               columns(f["w2"], "w2"), [num(v) for v in f["b2"]]),
                                    f.get("residual", True)))
        r = obj["readout"]
        self.bias = [num(v) for v in r["bias"]]
        self.readout = ([columns(r["weight"], "readout") if t == r.get("token", 0) else None for t in range(N)]
                        if "weight" in r else [None if w is None else columns(w, "readout") for w in r["weights"]])

    def start(self):
        d = self.d
        return [[make([p] + [E[i][c] for i in range(d)]) for c, p in enumerate(pos)]
                for E, pos in zip(self.embed, self.positions)]

    def stage(self, i, X):
        kind, b, data, residual = self.stages[i]
        return self.attention(b, data, residual, X) if kind == "attention" else self.ffn(data, residual, X)

    def attention(self, b, heads, residual, X):
        d, N = self.d, len(X)
        units, outputs = [], []
        for h, (W, bias, mask) in enumerate(heads):
            q = [times(x, W["query"], d) for x in X]
            k = [times(x, W["key"], d) for x in X]
            values = {}      # key j -> (X_j Wv) Wo, computed when first needed
            averages = {}    # tied keys -> their average value
            one = const(Fraction(1), d)
            for i in range(N):
                pieces, quad = [None] * N, None
                constant = all(not any(qn[1:]) for _, qn in q[i])
                for j in range(N):
                    if mask is not None and not mask[i][j]:
                        continue
                    extra = bias[i][j] if bias is not None else Fraction(0)
                    if constant:   # score = sum_m q_m k_m(x) is affine
                        terms = [(Fraction(qn[0], qd), km) for (qd, qn), km in zip(q[i], k[j])]
                        pieces[j] = combine(terms + [(extra, one)], d + 1)
                        continue
                    # score(x) = sum_m q_m(x) k_m(x): its quadratic part must be the same for every key
                    pairs = [(Fraction(1, qd * kd), qn, kn) for (qd, qn), (kd, kn) in zip(q[i], k[j])]
                    qq = [[sum((f * (qn[a] * kn[c] + qn[c] * kn[a]) for f, qn, kn in pairs), Fraction(0))
                           for c in range(1, d + 1)] for a in range(1, d + 1)]
                    require(quad is None or qq == quad, f"block {b}, head {h}, query {i}: score not affine")
                    quad = qq
                    row = [sum((f * (qn[0] * kn[c] + (qn[c] * kn[0] if c else 0)) for f, qn, kn in pairs),
                               Fraction(0)) for c in range(d + 1)]
                    pieces[j] = make([row[0] + extra] + row[1:])
                require(any(p is not None for p in pieces), "a query attends to no key")

                def value(r, pieces=pieces, W=W, values=values, averages=averages):
                    tied = tuple(j for j, z in enumerate(pieces) if z == pieces[r])
                    if tied not in averages:
                        for j in tied:
                            if j not in values:
                                values[j] = times(times(X[j], W["value"], d), W["output"], d)
                        averages[tied] = [combine([(Fraction(1, len(tied)), values[j][c]) for j in tied], d + 1)
                                          for c in range(len(values[tied[0]]))] if len(tied) > 1 else values[tied[0]]
                    return averages[tied]
                units.append(Unit(pieces, value, f"block {b}, head {h}, query token {i}"))
                outputs.append(i)

        def apply(choices):
            out = [[row if residual else zero(d) for row in x] for x in X]
            for unit, i, c in zip(units, outputs, choices):
                out[i] = [combine([(1, row), (1, add)], d + 1) if any(add[1]) else row
                          for row, add in zip(out[i], unit.value(c))]
            return out
        return units, apply

    def ffn(self, data, residual, X):
        w1, b1, w2, b2 = data
        d, r = self.d, len(b1)
        one = const(Fraction(1), d)
        hidden = [[combine([(1, h), (c, one)], d + 1) for h, c in zip(times(x, w1, d), b1)] for x in X]
        units = [relu_unit(h) for H in hidden for h in H]

        def apply(choices):
            out = []
            for t, (x, H) in enumerate(zip(X, hidden)):
                active = [h if choices[t * r + u] else zero(d) for u, h in enumerate(H)]
                add = times(active, w2, d)
                out.append([(row if residual else zero(d)) if not c and not any(new[1]) else
                            combine([(Fraction(int(residual)), row), (1, new), (c, one)], d + 1)
                            for row, new, c in zip(x, add, b2)])
            return out
        return units, apply

    def output(self, X):
        total = [const(c, self.d) for c in self.bias]
        for x, R in zip(X, self.readout):
            if R is not None:
                total = [combine([(1, t), (1, n)], self.d + 1) for t, n in zip(total, times(x, R, self.d))]
        return total


def network_hash(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class Checker:
    def __init__(self, cert):
        require(cert.get("format") == "polyreg.certificate/1", "unknown certificate format")
        self.claim = cert["claim"]
        dom = cert["domain"]
        self.d = len(dom["point"])
        self.nets = []
        for entry in cert["networks"]:
            require(network_hash(entry["network"]) == entry["sha256"], "a network's SHA-256 does not match")
            net = entry["network"]
            require(net.get("input_dim") == self.d, "input dimension differs from the domain's")
            kind = {"polyreg.network/1": Mlp, "polyreg.transformer/1": Transformer}.get(net.get("format"))
            require(kind is not None, "unknown network format")
            self.nets.append(kind(net, self.d))
        self.order = [tuple(o) for o in cert["order"]]
        for p, net in enumerate(self.nets):
            require([i for q, i in self.order if q == p] == list(range(len(net.stages))), "bad stage order")
        require(len(self.order) == sum(len(n.stages) for n in self.nets), "bad stage order")
        self.domain = [tuple(int(num(v)) for v in row) for row in dom["rows"]]
        require(all(len(r) == self.d + 1 and all(isinstance(v, int) for v in r) for r in dom["rows"]),
                "domain rows must be integer rows of length d + 1")
        point = [num(v) for v in dom["point"]]
        require(all(self.slack(r, point) > 0 if any(r[1:]) else r[0] >= 0 for r in self.domain),
                "the domain's point is not strictly inside")
        self.leaves, self.patterns, self.maps, self.different, self.unsafe = 0, set(), set(), 0, set()

    @staticmethod
    def slack(row, x):
        return row[0] + sum(a * v for a, v in zip(row[1:], x))

    def run(self, tree):
        rows = {(-1, j, -1): r for j, r in enumerate(self.domain)}
        self.stage_node(tree, 0, [n.start() for n in self.nets], rows, ())

    def stage_node(self, node, s, states, rows, pattern):
        if s == len(self.order):
            return self.leaf(node, states, rows, pattern)
        p, i = self.order[s]
        units, apply = self.nets[p].stage(i, states[p])
        self.unit_node(node, s, p, states, units, apply, 0, (), rows, pattern)

    def unit_node(self, node, s, p, states, units, apply, u, choices, rows, pattern):
        while u < len(units) and units[u].fixed is not None:
            choices, u = choices + (units[u].fixed,), u + 1
        if u == len(units):
            states = states[:p] + [apply(choices)] + states[p + 1:]
            return self.stage_node(node, s + 1, states, rows, pattern + (choices,))
        unit = units[u]
        require(isinstance(node, dict) and list(node) == ["split"] and len(node["split"]) == unit.n,
                f"stage {s}, unit {u}: expected a split with {unit.n} children")
        touching = []
        for o, child in enumerate(node["split"]):
            if o not in unit.options:
                require(child is None, f"stage {s}, unit {u}: option {o} is not a candidate")
                continue
            here = dict(rows)
            here.update({(s, u, c): r for c, r in unit.options[o]})
            if isinstance(child, dict) and "prune" in child:
                if not self.prune(child, here):
                    touching.append(o)
            else:
                touching.append(o)
                self.unit_node(child, s, p, states, units, apply, u + 1, choices + (o,), here, pattern)
        if unit.value is not None:
            for a, r in enumerate(touching):
                for t in touching[a + 1:]:
                    if not tie_safe(unit, r, t):
                        self.unsafe.add(unit.name)

    def prune(self, child, rows):
        """Check a prune; return whether it proves the option empty (not just thin)."""
        require(set(child) == {"prune", "empty"} and isinstance(child["empty"], bool), "malformed prune")
        total = [0] * (self.d + 1)
        for name, y in child["prune"]:
            require(isinstance(y, int) and not isinstance(y, bool) and y > 0, "multipliers must be positive integers")
            row = rows.get(tuple(name))
            require(row is not None, f"prune uses row {name}, which is not on the path")
            require(child["empty"] or any(row[1:]), "a thin prune uses a row with zero normal")
            total = [t + y * v for t, v in zip(total, row)]
        require(not any(total[1:]), "prune multipliers do not cancel the normals")
        require(total[0] < 0 if child["empty"] else total[0] == 0, "prune constant has the wrong sign")
        return child["empty"]

    def leaf(self, node, states, rows, pattern):
        require(isinstance(node, dict) and list(node) == ["leaf"], "expected a leaf")
        x = [num(v) for v in node["leaf"]]
        require(len(x) == self.d, "leaf point has the wrong dimension")
        den = 1
        for v in x:
            den = lcm(den, v.denominator)
        point = [den] + [int(v * den) for v in x]      # den * slack is an integer inner product
        for row in rows.values():
            require(sum(a * v for a, v in zip(row, point)) > 0 if any(row[1:]) else row[0] >= 0,
                    "a leaf point is not strictly inside")
        maps = [tuple(net.output(st)) for net, st in zip(self.nets, states)]
        self.leaves += 1
        self.patterns.add(pattern)
        self.maps.add(maps[0])
        self.different += len(set(maps)) > 1

    def verdict(self):
        kind = self.claim.get("kind")
        if kind == "equivalent":
            require(len(self.nets) == 2 and self.different == 0, f"the maps differ on {self.different} cells")
            everywhere = self.claim.get("everywhere")
            require(isinstance(everywhere, bool) and not (everywhere and self.unsafe),
                    "equality everywhere is claimed, but a head is not tie-safe")
            require(self.claim.get("cells") == self.leaves, "the claimed number of cells is wrong")
            where = "everywhere" if everywhere else "almost everywhere (on every cell's interior" + \
                (f"; not tie-safe: {'; '.join(sorted(self.unsafe))})" if self.unsafe else ")")
            return f"the networks are equal {where} on the domain ({self.leaves} cells)"
        require(kind == "counts" and len(self.nets) == 1, "unknown claim")
        found = {"cells": self.leaves, "activation_regions": len(self.patterns), "affine_maps": len(self.maps)}
        require(all(self.claim.get(k) == v for k, v in found.items()), f"the claimed counts are wrong: {found}")
        return ", ".join(f"{k} {v}" for k, v in found.items())


def tie_safe(unit, r, t):
    """Each row of the value difference of options ``r`` and ``t`` is a multiple of their score difference."""
    score = difference(unit.pieces[r], unit.pieces[t])
    pivot = next(c for c, v in enumerate(score) if v)
    return all(v * score[pivot] == row[pivot] * s for row in
               (difference(x, y) for x, y in zip(unit.value(r), unit.value(t))) for v, s in zip(row, score))


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data, parse_float=lambda s: s)   # a float spelling is then refused by num()


def check(cert):
    """The checker's conclusion, or raise ``Reject``."""
    checker = Checker(cert)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100000))
    try:
        checker.run(cert["tree"])
    finally:
        sys.setrecursionlimit(limit)
    return checker.verdict()


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
    try:
        print(f"VERIFIED: {check(cert)}")
        return 0
    except Reject as err:
        print(f"NOT VERIFIED: {err}")
        return 1
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        print(f"NOT VERIFIED: malformed certificate ({type(err).__name__}: {err})")
        return 2


if __name__ == "__main__":
    sys.exit(main())
