"""A separate exact evaluator, written from the JSON formats alone (not from polyreg.network.semantics),
to confirm counterexamples: MLPs, and transformers with hard-max attention (ties averaged)."""
from fractions import Fraction as F


def dense(m):
    if isinstance(m, dict):
        out = [[F(0)] * m["shape"][1] for _ in range(m["shape"][0])]
        for i, j, v in m["nonzeros"]:
            out[i][j] = F(v)
        return out
    return [[F(v) for v in row] for row in m]


def vec_mat(v, m):
    return [sum((a * m[i][j] for i, a in enumerate(v)), F(0)) for j in range(len(m[0]))]


def run(net, x):
    x = [F(v) for v in x]
    if net["format"] == "polyreg.network/1":
        for layer in net["layers"]:
            if layer["type"] == "linear":
                x = [sum((F(w) * v for w, v in zip(row, x)), F(b)) for row, b in zip(layer["weight"], layer["bias"])]
            elif layer["type"] == "relu":
                x = [max(v, F(0)) for v in x]
            else:
                x = [max(x[i:i + layer["rank"]]) for i in range(0, len(x), layer["rank"])]
        return x
    emb, N = net["embedding"], net["tokens"]
    Es = [dense(E) for E in emb["E_per_token"]] if "E_per_token" in emb else [dense(emb["E"])] * N
    X = [[a + p for a, p in zip(vec_mat(x, E), pos)] for E, pos in zip(Es, dense(emb["positions"]))]
    for block in net["blocks"]:
        if block.get("attention"):
            Z = [row[:] if block["attention"].get("residual", True) else [F(0)] * len(row) for row in X]
            for h in block["attention"]["heads"]:
                Wq, Wk, Wv, Wo = (dense(h[k]) for k in ("query", "key", "value", "output"))
                bias, mask = h.get("score_bias"), h.get("mask")
                for i in range(N):
                    keys = [j for j in range(N) if not mask or mask[i][j]]
                    s = {j: sum((a * b for a, b in zip(vec_mat(X[i], Wq), vec_mat(X[j], Wk))), F(0))
                         + (dense(bias)[i][j] if bias else 0) for j in keys}
                    top = [j for j in keys if s[j] == max(s.values())]
                    avg = [sum(c) / len(top) for c in zip(*(vec_mat(X[j], Wv) for j in top))]
                    Z[i] = [z + o for z, o in zip(Z[i], vec_mat(avg, Wo))]
            X = Z
        if block.get("feed_forward"):
            f = block["feed_forward"]
            X = [[(a if f.get("residual", True) else 0) + u + F(c) for a, u, c in
                  zip(row, vec_mat([max(h + F(b), F(0)) for h, b in zip(vec_mat(row, dense(f["w1"])), f["b1"])],
                                   dense(f["w2"])), f["b2"])] for row in X]
    r = net["readout"]
    weights = r["weights"] if "weights" in r else [r["weight"] if t == r.get("token", 0) else None for t in range(N)]
    out = [F(b) for b in r["bias"]]
    for row, w in zip(X, weights):
        if w is not None:
            out = [o + v for o, v in zip(out, vec_mat(row, dense(w)))]
    return out
