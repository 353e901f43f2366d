"""Single-change mutations of a valid certificate, by kind, each with an independent verdict on
whether the changed claim is still justified (then the checker may accept it).

Run ``python tests/mutations.py`` for the table in the README.
"""
import copy
import importlib.util
import sys
from fractions import Fraction as F
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polyreg import box  # noqa: E402
from polyreg.analysis.equivalence import certify  # noqa: E402
from polyreg.certificates.claims import Equivalent  # noqa: E402
from polyreg.certificates.write import canonical_hash, certificate  # noqa: E402
from polyreg.compiler.maxout_to_transformer import compile_transformer  # noqa: E402
from polyreg.formats.json_files import network_from_json  # noqa: E402
from polyreg_check import Reject, check  # noqa: E402

MALFORMED = (Reject, KeyError, TypeError, ValueError, IndexError, AttributeError)


def preorder(tree, kind):
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if kind in node:
                found.append(node)
            stack.extend(reversed(node.get("split", [])))
    return found


def spelled(q):
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def still_equal(cert):
    """Independently of the checker: does the producer still find the two networks equal?"""
    a, b = (network_from_json(entry["network"]) for entry in cert["networks"])
    d = a.input_dim
    lo, hi = [None] * d, [None] * d
    for b0, *normal in cert["domain"]["rows"]:        # box rows: b0 + a_i x_i >= 0
        i = next(k for k, v in enumerate(normal) if v)
        if normal[i] > 0:
            lo[i] = F(-b0, normal[i])
        else:
            hi[i] = F(b0, -normal[i])
    return certify(a, b, box(d, lo, hi)).word == "EQUIVALENT"


def mutants(cert, per_kind=25):
    """Yield (kind, mutated certificate, justified) with ``justified`` a zero-argument check."""
    never = lambda: False                                                   # noqa: E731
    prunes = preorder(cert["tree"], "prune")
    for i, prune in enumerate(prunes[:per_kind]):
        m = copy.deepcopy(cert)
        preorder(m["tree"], "prune")[i]["prune"][0][1] += 1
        yield "multiplier", m, never
    leaves = preorder(cert["tree"], "leaf")
    for i in range(min(per_kind, len(leaves))):
        m = copy.deepcopy(cert)
        preorder(m["tree"], "leaf")[i]["leaf"] = leaves[(i + 1) % len(leaves)]["leaf"]
        yield "leaf point (another cell's)", m, never
        m = copy.deepcopy(cert)
        point = preorder(m["tree"], "leaf")[i]["leaf"]
        point[0] = spelled(F(point[0]) + F(1, 100))
        yield "leaf point (moved by 1/100)", m, lambda m=m: still_equal(m) and inside_own_cell(m, i)
        m = copy.deepcopy(cert)
        value = F(preorder(m["tree"], "leaf")[i]["leaf"][0])
        preorder(m["tree"], "leaf")[i]["leaf"][0] = f"{2 * value.numerator}/{2 * value.denominator}"
        yield "non-canonical number", m, never
    splits = preorder(cert["tree"], "split")
    for i, split in enumerate(splits[:per_kind]):
        present = [k for k, child in enumerate(split["split"]) if child is not None]
        for kind in ("dropped child", "removed child", "swapped children"):
            m = copy.deepcopy(cert)
            children = preorder(m["tree"], "split")[i]["split"]
            if kind == "dropped child":
                children[present[0]] = None
            elif kind == "removed child":
                del children[present[0]]
            else:
                children[present[0]], children[present[1]] = children[present[1]], children[present[0]]
            yield kind, m, never
    weights = [(li, r, c) for li, layer in enumerate(cert["networks"][0]["network"]["layers"])
               if layer["type"] == "linear" for r, row in enumerate(layer["weight"]) for c in range(len(row))]
    for li, r, c in weights[:per_kind]:
        for fix_hash in (False, True):
            m = copy.deepcopy(cert)
            entry = m["networks"][0]
            row = entry["network"]["layers"][li]["weight"][r]
            row[c] = spelled(F(row[c]) + F(1, 1000))
            if fix_hash:
                entry["sha256"] = canonical_hash(entry["network"])
            yield ("weight, hash fixed" if fix_hash else "weight, hash not fixed"), m, \
                (lambda m=m: still_equal(m)) if fix_hash else never
    for j in range(len(cert["domain"]["rows"])):
        m = copy.deepcopy(cert)
        m["domain"]["rows"][j][0] *= 3
        yield "domain row", m, lambda m=m: still_equal(m)
    for key, value in (("cells", cert["claim"]["cells"] + 1), ("cells", cert["claim"]["cells"] - 1),
                       ("kind", "counts")):
        m = copy.deepcopy(cert)
        m["claim"][key] = value
        yield "claim", m, never


def adjacency_mutants(cert):
    """Changes to a count certificate's facet witnesses (the claim stays true, so accepting them is
    justified; every one should still be rejected) and to its claimed linear regions (never justified)."""
    always, never = (lambda: True), (lambda: False)
    for k, (i, j, point) in enumerate(cert["adjacency"]):
        m = copy.deepcopy(cert)
        del m["adjacency"][k]
        yield "adjacency witness dropped", m, always
        m = copy.deepcopy(cert)
        m["adjacency"][k][1] = next(c for c in range(cert["claim"]["cells"]) if c not in (i, j))
        yield "adjacency witness, another cell", m, always
        m = copy.deepcopy(cert)
        m["adjacency"][k][2][0] = spelled(F(point[0]) + F(1, 100))
        yield "adjacency point moved by 1/100", m, always
    for change in (1, -1):
        m = copy.deepcopy(cert)
        m["claim"]["linear_regions"] += change
        yield "claimed linear regions", m, never


def separation_mutants(cert, per_kind=25):
    """Changes to the separations of a count certificate whose maps repeat (the claim stays true; every one should
    still be rejected) and to its claimed linear regions (never justified)."""
    always, never = (lambda: True), (lambda: False)
    for k, (i, j, proof) in enumerate(cert["separations"][:per_kind]):
        m = copy.deepcopy(cert)
        del m["separations"][k]
        yield "separation dropped", m, always
        m = copy.deepcopy(cert)
        terms = m["separations"][k][2].get("empty") or m["separations"][k][2]["tight"][0]
        terms[0][2] += 1
        yield "separation multiplier + 1", m, always
        m = copy.deepcopy(cert)
        m["separations"][k][1] = next(c for c in range(cert["claim"]["cells"]) if c not in (i, j))
        yield "separation, another cell", m, always
    for change in (1, -1):
        m = copy.deepcopy(cert)
        m["claim"]["linear_regions"] += change
        yield "claimed linear regions (separations)", m, never


def part_mutants(cert):
    """Changes to the parts of a certificate split by outputs. The networks stay equal, so an acceptance is justified;
    only a part that varies too few groups or has the wrong outputs must be rejected."""
    def always():
        return True
    for k, part in enumerate(cert["parts"]):
        m = copy.deepcopy(cert)
        m["parts"][k].update(groups=[], cases=part["cases"][:1])
        yield "part varies no group", m, always
        m = copy.deepcopy(cert)
        other = m["parts"][(k + 1) % len(m["parts"])]
        m["parts"][k]["outputs"], other["outputs"] = other["outputs"], m["parts"][k]["outputs"]
        yield "parts' outputs swapped", m, always
        m = copy.deepcopy(cert)
        m["parts"][k]["cases"].reverse()
        yield "part's cases reversed", m, always


def inside_own_cell(cert, i):
    """The moved point of leaf ``i`` is exactly inside the cell the producer made for it."""
    a, b = (network_from_json(entry["network"]) for entry in cert["networks"])
    verdict = certify(a, b, box(a.input_dim, -1, 1))
    x = [F(v) for v in preorder(cert["tree"], "leaf")[i]["leaf"]]
    return verdict.refinement.cells[i].polyhedron.interior_contains(x)


def outcomes(cert, per_kind=25):
    """Per kind: [mutants, rejected, accepted and justified, accepted without justification]."""
    table = {}
    generated = (part_mutants(cert) if "parts" in cert else separation_mutants(cert, per_kind)
                 if "separations" in cert else adjacency_mutants(cert) if "adjacency" in cert
                 else mutants(cert, per_kind))
    for kind, m, justified in generated:
        row = table.setdefault(kind, [0, 0, 0, 0])
        row[0] += 1
        try:
            check(m)
        except MALFORMED:
            row[1] += 1
            continue
        row[2 if justified() else 3] += 1
    return table


def example_certificate():
    from polyreg.network.families import random_maxout
    net = random_maxout(2, [3, 2], 3, seed=1)
    domain = box(2, -1, 1)
    verdict = certify(net, compile_transformer(net, domain), domain)
    return certificate(verdict.refinement, Equivalent.of(verdict.refinement))


def example_count_certificate():
    """Counts of a 4->8->8 ReLU net on [-1,1]^4, whose linear regions need merges across facets."""
    from polyreg import lower
    from polyreg.certificates.claims import Counts
    from polyreg.network.families import random_relu
    cpwl = lower(random_relu(4, [8, 8], seed=0), box(4, -1, 1))
    return certificate(cpwl, Counts.of(cpwl))


def example_separation_certificate():
    """Counts of the 2-D zigzag of proofs/04-region-growth (h = 1, k = 2, L = 3) on [0, 1]^2: 64 cells with 28
    maps in 64 linear regions, so pairs of cells with one map need separations."""
    from polyreg import lower
    from polyreg.certificates.claims import Counts
    path = ROOT / "proofs" / "04-region-growth" / "zigzag.py"
    spec = importlib.util.spec_from_file_location("mutations_zigzag", path)
    zigzag = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zigzag)
    cpwl = lower(zigzag.zigzag_network(1, 2, 3, 2), box(2, 0, 1))
    return certificate(cpwl, Counts.of(cpwl))


def example_parts_certificate():
    """Three tokens' pointer lookups certified part by part (test_parts.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_parts import parts_certificate
    return parts_certificate(3)[1]


if __name__ == "__main__":
    print("| mutation | mutants | rejected | accepted, still true | accepted, unjustified |")
    print("|---|---:|---:|---:|---:|")
    per_kind = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    for cert in (example_certificate(), example_count_certificate(), example_separation_certificate(),
                 example_parts_certificate()):
        for kind, row in outcomes(cert, per_kind).items():
            print(f"| {kind} | " + " | ".join(map(str, row)) + " |")
