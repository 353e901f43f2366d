"""Symbolic replay of a ``polyreg.transformer/1`` (rules 3, 6, 7's margin and 10): average-hard attention, whose
heads are hard-max units over the keys, and token-wise ReLU feed-forward sublayers."""
from fractions import Fraction
from functools import partial

from .affine import (
    OFF,
    Layer,
    Unit,
    entry,
    fractions_vector,
    inputs,
    max_unit,
    reduced,
    relu_unit,
    total,
    vector,
    whole,
)
from .errors import require
from .schema import matrix, num


def sublayers(blocks, d):
    """The stages of well-formed ``blocks``: ("attention", block, heads, residual) or ("ffn", block, (w1, w2),
    residual), a head being (its four layers, score_bias or None, mask or None)."""
    stages = []
    for b, block in enumerate(blocks):
        if block.get("attention") is not None:
            heads = [({k: Layer(matrix(h[k], k), d) for k in ("query", "key", "value", "output")},
                      matrix(h["score_bias"], "score_bias") if h.get("score_bias") is not None else None,
                      h.get("mask")) for h in block["attention"]["heads"]]
            stages.append(("attention", b, heads, block["attention"].get("residual", True)))
        if block.get("feed_forward") is not None:
            f = block["feed_forward"]
            w1 = Layer(matrix(f["w1"], "w1"), d, [num(v) for v in f["b1"]])
            w2 = Layer(matrix(f["w2"], "w2"), d, [num(v) for v in f["b2"]])
            stages.append(("ffn", b, (w1, w2), f.get("residual", True)))
    return stages


def averager(W, X):
    """``value(pieces, r)``: the average of ``X_j Wv Wo`` over the keys j whose score row equals key r's (tied keys
    are averaged), memoized for one head."""
    values, averages = {}, {}

    def value(pieces, r):
        tied = tuple(j for j, z in enumerate(pieces) if z == pieces[r])
        if tied not in averages:
            for j in tied:
                if j not in values:
                    values[j] = W["output"](W["value"](X[j]))
            den, rows = total([values[j] for j in tied])
            averages[tied] = vector(den * len(tied), rows)
        return averages[tied]
    return value


class Transformer:
    """A well-formed ``polyreg.transformer/1`` over the inputs ``free``; token t starts as ``x E_t + p_t``."""

    def __init__(self, obj, free, plane=None):
        d, N = len(free), obj["tokens"]
        self.d, self.free, self.plane, self.n = d, free, plane, obj["input_dim"]
        emb = obj["embedding"]
        embed = [matrix(E, "E") for E in emb["E_per_token"]] if "E_per_token" in emb else [matrix(emb["E"], "E")] * N
        self.first = [Layer(E, d, pos) for E, pos in zip(embed, matrix(emb["positions"], "positions"))]
        self.stages = sublayers(obj["blocks"], d)
        r = obj["readout"]
        self.bias = [num(v) for v in r["bias"]]
        self.readout = ([Layer(matrix(r["weight"], "readout"), d) if t == r.get("token", 0) else None
                         for t in range(N)] if "weight" in r else
                        [None if w is None else Layer(matrix(w, "readout"), d) for w in r["weights"]])
        self.width = len(self.bias)
        self.gap = self.varying = None      # the least score margin of a hard-max unit; a unit whose scores vary

    def start(self, fixed):
        """Each token's row as maps of x, the discrete inputs at ``fixed``."""
        x = inputs(self.n, self.free, fixed, self.plane)
        return [token(x) for token in self.first]

    def stage(self, i, X, live=None):
        """Stage ``i``'s units on the token rows ``X`` (those not in ``live`` switched off) and its map from choices."""
        kind, b, data, residual = self.stages[i]
        return self.attention(b, data, residual, X, live) if kind == "attention" else self.ffn(data, residual, X, live)

    def relevance(self, outputs):
        """Rule 10: the inputs, and per stage the units, joined to ``outputs`` by nonzero weights; a head at query i
        reads its query and the keys and values it may attend to. Values are (token, slot)."""
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
        """Rule 7's margin: lower ``self.gap`` to the gap between the top score and the next lower one when no score
        depends on x; else record ``name`` in ``self.varying``."""
        scores = [p for p in pieces if p is not None]
        if any(any(p[1][1:]) for p in scores):
            self.varying = self.varying or name
            return
        top = sorted({Fraction(p[1][0], p[0]) for p in scores}, reverse=True)[:2]   # constants
        if len(top) == 2:
            self.gap = top[0] - top[1] if self.gap is None else min(self.gap, top[0] - top[1])

    def attention(self, b, heads, residual, X, live):
        """Rule 6: per head and query token a hard-max unit over the keys; the stage adds each head's chosen average."""
        N, units, outputs = len(X), [], []
        for h, (W, bias, mask) in enumerate(heads):
            q, k, value = [W["query"](x) for x in X], [W["key"](x) for x in X], averager(W, X)
            for i in range(N):
                outputs.append(i)
                if live is not None and h * N + i not in live:
                    units.append(Unit(N, {}, 0))
                    continue
                pieces = self.scores(q[i], k, bias, mask, i, f"block {b}, head {h}, query {i}")
                units.append(max_unit(pieces, partial(value, pieces), f"block {b}, head {h}, query token {i}"))
                self.score_gap(pieces, units[-1].name)

        def apply(choices):
            added = [[x] if residual else [] for x in X]
            for unit, i, c in zip(units, outputs, choices):
                if unit.value is not None:
                    added[i].append(unit.value(c))
            return [total(terms) if terms else (1, {}) for terms in added]
        return units, whole(apply)

    def scores(self, q, keys, bias, mask, i, name):
        """Query ``i``'s score row for each key it may attend to (None where masked). A query that depends on x makes
        the scores quadratic: they must share one quadratic part, which cancels in every comparison."""
        steady, pieces, quad = not any(any(qn[1:]) for qn in q[1].values()), [None] * len(keys), None
        for j, k in enumerate(keys):
            if mask is not None and not mask[i][j]:
                continue
            extra = bias[i][j] if bias is not None else Fraction(0)
            pairs = [(q[1][m], k[1][m]) for m in q[1] if m in k[1]]
            if steady:
                pieces[j] = self.affine_score(q[0] * k[0], pairs, extra)
                continue
            qq, pieces[j] = self.quadratic_score(q[0] * k[0], pairs, extra)
            require(quad is None or qq == quad, f"{name}: score not affine")
            quad = qq
        require(any(p is not None for p in pieces), "a query attends to no key")
        return pieces

    def affine_score(self, den, pairs, extra):
        """The score ``q.k + extra`` of a constant query, ``pairs`` holding the numerators over ``den``."""
        row = [sum(qn[0] * kn[c] for qn, kn in pairs) * extra.denominator for c in range(self.d + 1)]
        row[0] += extra.numerator * den
        return reduced(den * extra.denominator, row)

    def quadratic_score(self, den, pairs, extra):
        """The quadratic part of ``q.k`` (a d x d matrix), and the rest plus ``extra`` as a map."""
        f, d = Fraction(1, den), self.d
        quad = [[f * sum(qn[a] * kn[c] + qn[c] * kn[a] for qn, kn in pairs) for c in range(1, d + 1)]
                for a in range(1, d + 1)]
        row = [f * sum(qn[0] * kn[c] + (qn[c] * kn[0] if c else 0) for qn, kn in pairs) for c in range(d + 1)]
        return quad, entry(fractions_vector([[row[0] + extra] + row[1:]]), 0, d)

    def ffn(self, data, residual, X, live):
        """Rule 3: a token-wise ReLU feed-forward stage, one ReLU unit per token and hidden slot."""
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
        return units, whole(apply)

    def output(self, X):
        """The outputs as maps of x: the readout of the token rows plus the bias."""
        bias = fractions_vector([[c] + [Fraction(0)] * self.d for c in self.bias])
        return total([bias] + [R(x) for x, R in zip(X, self.readout) if R is not None])
