"""Rule 1 of SPEC.md: the certificate's structure, checked before any replay. A problem raises ``Malformed`` naming
the field's path. Once ``certificate`` returns, the replays, the walk and the claim rules may index, unpack and
iterate any field without a key or type error: what they still find wrong is evidence, and a ``Reject``."""
import re
from collections import namedtuple
from fractions import Fraction
from itertools import product
from math import gcd, lcm, prod

from .errors import Malformed, shown, wellformed
from .fields import known_fields, positive_integer

FORMAT = "polyreg.certificate/1"
FORMAT_2 = "polyreg.certificate/2"     # JSON Lines: the header, then the trees' nodes one per line (records.py)
SUBTREE = "subtree"                    # in format 2, a split's child that is the next line
FIELDS = {"format", "claim", "networks", "adjacency", "separations", "bounds", "slice", "producer"}
CASE, MIXED = ("domain", "order", "tree"), ("discrete", "free")
CLAIMS = {"different": ({"cells", "differing"}, set()), "equivalent": ({"cells", "everywhere"}, {"margin"}),
          "counts": ({"cells", "activation_regions", "affine_maps"}, {"linear_regions"}),
          "same_class": ({"cells", "everywhere"}, set()), "within": ({"cells", "everywhere", "epsilon"}, set()),
          "class_differs": ({"point"}, set()), "exceeds": ({"point", "epsilon"}, set())}   # required, optional
AT_POINT = {"class_differs", "exceeds"}      # claims about one point: a domain, no order and no tree (rule 13)
CLASSIFIER = AT_POINT | {"same_class", "within"}     # claims about two networks' classes or outputs (rules 12, 13)
NOT_INTEGERS = {"kind", "everywhere", "margin", "epsilon", "point"}
KINDS = {"an object": lambda v: isinstance(v, dict), "a list": lambda v: isinstance(v, list),
         "a nonempty list": lambda v: isinstance(v, list) and len(v) > 0, "a string": lambda v: isinstance(v, str),
         "a positive integer": lambda v: type(v) is int and v > 0, "true or false": lambda v: isinstance(v, bool)}

# free coordinates, discrete groups, each network's (outputs, stages), parts: (outputs or None, varied groups or
# None, assignments of the discrete coordinates, cases), whether the domain is mixed, and the slice (origin,
# directions) whose parameters the domain's coordinates are, or None
Frame = namedtuple("Frame", "free groups parts mixed plane")


def typed(value, kind, path):
    """``value``, once it is ``kind`` (a key of ``KINDS``)."""
    if not KINDS[kind](value):
        raise Malformed(f"{path}: expected {kind}")
    return value


def join(path, key):
    """The path of field ``key`` of the object at ``path`` ("" for the certificate itself)."""
    return f"{path}.{key}" if path else key


def field(obj, key, path, kind=None):
    """Field ``key`` of the object at ``path`` (of ``kind`` if given)."""
    typed(obj, "an object", path or "certificate")
    wellformed(key in obj, f"{path or 'certificate'}: missing field {shown(key)}")
    return obj[key] if kind is None else typed(obj[key], kind, join(path, key))


def entries(value, path):
    """The list at ``path`` as (element, its path) pairs."""
    return [(v, f"{path}[{k}]") for k, v in enumerate(typed(value, "a list", path))]


def num(v, where="number"):
    """A canonical number: a JSON integer, or a ``"n"`` / reduced ``"p/q"`` string."""
    if type(v) is int:
        return Fraction(v)
    return Fraction(*rational(v, where))


def rational(v, where="number"):
    """A canonical number as its numerator and positive denominator in lowest terms (``num`` without a Fraction)."""
    if type(v) is int:
        return v, 1
    if not isinstance(v, str) or SPELLING.fullmatch(v) is None:
        raise Malformed(f"{where}: {shown(v)} is not a number")
    top, _, bottom = v.partition("/")
    try:
        n, d = int(top), int(bottom or 1)
    except ValueError:      # more digits than an int takes from text
        n = d = 0
    if d == 0:
        raise Malformed(f"{where}: {shown(v)} is not a number")
    if str(n) != top or bottom and (d == 1 or str(d) != bottom or gcd(n, d) != 1):
        raise Malformed(f"{where}: {shown(v)} is not spelled canonically")
    return n, d


def point(value, path, d):
    """A point of ``d`` canonical numbers ``x`` as homogeneous integers ``(den, den x)`` (``affine.homogeneous``)."""
    pairs = [rational(v, path) for v in typed(value, "a list", path)]
    if len(pairs) != d:
        raise Malformed(f"{path}: expected {d} numbers, got {len(pairs)}")
    den = lcm(1, *(q for _, q in pairs))
    return [den] + [p * (den // q) for p, q in pairs]


SPELLING = re.compile(r"-?[0-9]+(/[0-9]+)?")     # checked before any arithmetic: "1e999999999" would hang Fraction


def numbers(value, path, length=None):
    """A list of canonical numbers (``length`` of them if given)."""
    values = [num(v, path) for v in typed(value, "a list", path)]
    if length is not None and len(values) != length:
        raise Malformed(f"{path}: expected {length} numbers, got {len(values)}")
    return values


def matrix(m, where):
    """A nonempty list of nonempty rows of canonical numbers, all of one length."""
    wellformed(isinstance(m, list) and m and all(isinstance(r, list) and r for r in m), f"{where}: not a matrix")
    M = [[num(v, where) for v in r] for r in m]
    wellformed(len({len(r) for r in M}) == 1, f"{where}: rows of different lengths")
    return M


def flag(obj, path):
    """A sublayer's ``residual`` switch: true or false, true when absent."""
    return typed(obj.get("residual", True), "true or false", f"{path}.residual")


def row_name(name, path):
    """A row's name: three integers, ``(stage, unit, competitor)`` or ``(-1, j, -1)`` for domain row j."""
    wellformed(type(name) is list and len(name) == 3 and type(name[0]) is type(name[1]) is type(name[2]) is int,
               f"{path}: a row is named by three integers")


def certificate(cert):
    """The frame of a well-formed certificate: every field but the producer's is checked here."""
    typed(cert, "an object", "certificate")
    wellformed(cert.get("format") in (FORMAT, FORMAT_2), "format: unknown certificate format")
    flat = cert["format"] == FORMAT_2
    mixed = "cases" in cert or "parts" in cert
    kind = claim(field(cert, "claim", ""))
    allowed = FIELDS | ({*MIXED, "parts" if "parts" in cert else "cases"} if mixed else
                        {"domain"} if kind in AT_POINT else set(CASE[:2] if flat else CASE))
    wellformed(set(cert) <= allowed, f"certificate: unknown certificate fields {sorted(set(cert) - allowed)}")
    wellformed(not (mixed and kind not in ("equivalent", "different")),
               f"claim: {kind} claims are not certified over discrete cases")
    groups = discrete(cert.get("discrete", [])) if mixed else []
    free = cert.get("free") if mixed else list(range(len(field(field(cert, "domain", ""), "point", "domain",
                                                                  "a list"))))
    plane = affine_slice(cert["slice"], len(free)) if "slice" in cert else None
    wellformed(not (mixed and plane), "slice: a mixed domain cannot be sliced")
    coordinates = (free if isinstance(free, list) else [None]) + [i for g in groups for i in g["coordinates"]]
    wellformed(all(type(i) is int for i in coordinates) and sorted(coordinates) == list(range(len(coordinates))),
               "free: the discrete and free coordinates must partition the inputs")
    inputs = len(plane[0]) if plane else len(coordinates)
    shapes = [network(item, inputs, where)
              for item, where in entries(field(cert, "networks", "", "a nonempty list"), "networks")]
    witnesses(cert, len(free), "linear_regions" in cert["claim"])
    bounds(cert.get("bounds", []), kind == "within")
    wellformed(kind not in CLASSIFIER or (len(shapes) == 2 and shapes[0][0] == shapes[1][0]),
               f"claim: {kind} compares two networks with the same outputs")
    if kind in AT_POINT:
        numbers(cert["claim"]["point"], "claim.point", len(free))
        domain(field(cert, "domain", "", "an object"), len(free), "domain")
        return Frame(free, groups, [], mixed, plane)
    if kind == "same_class":     # rule 12: each network's class stage comes after its own stages
        shapes = [(outputs, stages + 1) for outputs, stages in shapes]
    return Frame(free, groups, every_case(cert, groups, shapes, len(free), flat), mixed, plane)


def affine_slice(obj, k):
    """Rule 11: the slice ``x = origin + sum_j t_j directions[j]`` whose ``k`` parameters ``t`` are the domain's
    coordinates: an origin in ``Q^n`` and ``k`` directions in ``Q^n``."""
    known_fields(obj, "slice", "slice")
    origin = numbers(field(obj, "origin", "slice"), "slice.origin")
    wellformed(len(origin) > 0, "slice.origin: expected at least one number")
    directions = [numbers(v, where, len(origin)) for v, where in entries(field(obj, "directions", "slice"),
                                                                         "slice.directions")]
    wellformed(len(directions) == k, f"slice.directions: expected {k} directions (one per domain coordinate), "
                                     f"got {len(directions)}")
    return origin, directions


def every_case(cert, groups, shapes, d, flat):
    """The parts, each (outputs or None, varied groups or None, assignments, cases), with every case checked: one
    case (the certificate itself), one per assignment of the discrete groups (rule 9), or per part (rule 10)."""
    mixed, stages = "cases" in cert or "parts" in cert, [s for _, s in shapes]
    if "parts" in cert:
        checked = parts(cert["parts"], groups, shapes)
    else:
        cases = cert["cases"] if mixed else [{k: cert[k] for k in CASE if k in cert}]     # "tree" refused above
        fixed = assignments(groups, range(len(groups)), cases,
                            "cases: expected one case per assignment of the discrete values") if mixed else [{}]
        checked = [(None, None, fixed, cases)]
    for p, (_, _, _, cases) in enumerate(checked):
        for c, where in entries(cases, f"parts[{p}].cases" if "parts" in cert else "cases"):
            case(c, d, stages, where if mixed else "", flat)
    return checked


def claim(c, path="claim"):
    """Rule 7's claim: a known kind with its fields, numbers as integers, a canonical margin and epsilon >= 0; its
    kind."""
    kind = field(c, "kind", path)
    required, optional = CLAIMS.get(kind, (None, None)) if isinstance(kind, str) else (None, None)
    wellformed(required is not None and set(c) - {"kind"} <= required | optional, f"{path}: unknown claim")
    for key in sorted(required):
        field(c, key, path)
    wellformed(all(type(v) is int for k, v in c.items() if k not in NOT_INTEGERS),
               f"{path}: claimed numbers must be integers")
    if "everywhere" in c:
        typed(c["everywhere"], "true or false", f"{path}.everywhere")
    if "margin" in c:
        num(c["margin"], f"{path}.margin")
    if "epsilon" in c:
        wellformed(num(c["epsilon"], f"{path}.epsilon") >= 0, f"{path}.epsilon: must be >= 0")
    return kind


def discrete(groups, path="discrete"):
    """Rule 9's groups: coordinates and at least one vector of canonical values of their length."""
    wellformed(isinstance(groups, list) and all(
        isinstance(g, dict) and isinstance(g.get("coordinates"), list) and isinstance(g.get("values"), list)
        and g["values"] and all(isinstance(v, list) and len(v) == len(g["coordinates"]) for v in g["values"])
        for g in groups), f"{path}: discrete groups need coordinates and at least one value vector of their length")
    for g, where in entries(groups, path):
        for v in g["values"]:
            numbers(v, f"{where}.values")
    return groups


def assignments(groups, varied, cases, expected):
    """The product of the values of the groups ``varied`` (the others at their first value), the last group varying
    fastest: dicts coordinate -> value; one per case in ``cases``, whose number is compared with the product's size
    before the product is listed (``expected`` says what was expected)."""
    size = prod(len(g["values"]) for k, g in enumerate(groups) if k in varied)
    wellformed(isinstance(cases, list) and len(cases) == size, f"{expected} ({size})")
    values = [[[num(v) for v in vector] for vector in (g["values"] if k in varied else g["values"][:1])]
              for k, g in enumerate(groups)]
    return [{i: v for g, vector in zip(groups, choice) for i, v in zip(g["coordinates"], vector)}
            for choice in product(*values)]


def parts(value, groups, shapes, path="parts"):
    """Rule 10's parts: outputs partitioning the two networks' outputs, increasing groups, one case per assignment."""
    wellformed(len(shapes) == 2 and shapes[0][0] == shapes[1][0],
               f"{path}: parts compare two networks with the same outputs")
    fields = {"outputs", "groups", "cases"}
    wellformed(isinstance(value, list) and value and all(isinstance(p, dict) and set(p) == fields for p in value),
               f"{path}: each part needs outputs, groups and cases")
    outputs = [o for p in value for o in (p["outputs"] if isinstance(p["outputs"], list) else [None])]
    wellformed(all(type(o) is int for o in outputs) and sorted(outputs) == list(range(shapes[0][0])),
               f"{path}: the parts' outputs must partition the outputs")
    checked = []
    for p, where in entries(value, path):
        varied = p["groups"]
        wellformed(isinstance(varied, list) and all(type(k) is int for k in varied) and varied == sorted(set(varied))
                   and set(varied) <= set(range(len(groups))),
                   f"{where}: a part's groups must be increasing group indices")
        fixed = assignments(groups, set(varied), p["cases"],
                            f"{where}: a part needs one case per assignment of its groups")
        checked.append((p["outputs"], set(varied), fixed, p["cases"]))
    return checked


def case(c, d, stages, path, flat):
    """One case: its domain (rule 2's rows and point), its stage order and its tree (in format 2, no tree: its nodes
    are lines of the file, each checked as it is read by ``flat_node``)."""
    domain(field(c, "domain", path, "an object"), d, join(path, "domain"))
    order(field(c, "order", path, "a list"), stages, join(path, "order"))
    if flat:
        wellformed("tree" not in c, f"{path or 'certificate'}: a format 2 certificate has its trees on the lines "
                                    "after the header")
    else:
        tree(field(c, "tree", path), d, join(path, "tree"))


def domain(dom, d, at):
    """Rule 2's domain: integer rows of length d + 1 and a point of d numbers."""
    rows = field(dom, "rows", at, "a list")
    wellformed(all(isinstance(r, list) and len(r) == d + 1 and all(type(v) is int for v in r) for r in rows),
               f"{at}: domain rows must be integer rows of length d + 1")
    numbers(field(dom, "point", at), f"{at}.point", d)


def order(value, stages, path):
    """Rule 1's stage order: every stage of every network once, each network's stages in their own order."""
    wellformed(all(isinstance(o, list) and len(o) == 2 and all(type(v) is int for v in o) for o in value),
               f"{path}: the stage order is a list of [network, stage] pairs")
    for p, count in enumerate(stages):
        wellformed([i for q, i in value if q == p] == list(range(count)), f"{path}: bad stage order")
    wellformed(len(value) == sum(stages), f"{path}: bad stage order")


def tree(root, d, path):
    """Every node of the tree is well formed; a malformed node is named by its path (``tree.split[1].split[0]``)."""
    stack = [(root, None)]            # (node, (parent's place, child index) or None at the root)
    while stack:
        value, place = stack.pop()
        try:
            stack.extend((child, (place, k)) for k, child in enumerate(node(value, d)))
        except Malformed as err:
            steps = []
            while place is not None:
                place, k = place
                steps.append(f".split[{k}]")
            err.args = (f"{path}{''.join(reversed(steps))}: {err}",)
            raise


def node(value, d):
    """The children of a node: null, a split (a list of children, and the unit it decides if it names one), a prune
    or a leaf (a point of d numbers)."""
    if value is None:
        return []
    prune = isinstance(value, dict) and "prune" in value
    split = isinstance(value, dict) and not prune and "split" in value and (
        len(value) == 1 or len(value) == 2 and "unit" in value)
    wellformed(prune or split or isinstance(value, dict) and len(value) == 1 and "leaf" in value,
               "expected null, a split, a prune or a leaf")
    if split:
        unit = value.get("unit", 0)
        wellformed(type(unit) is int and unit >= 0, "a split's unit is an integer >= 0")
        return typed(value["split"], "a list", "split")
    if not prune:
        numbers(value["leaf"], "leaf", d)
        return []
    wellformed(len(value) == 2 and isinstance(value.get("empty"), bool) and isinstance(value["prune"], list),
               "malformed prune")
    for term in value["prune"]:
        if not (type(term) is list and len(term) == 2 and type(term[1]) is int and type(name := term[0]) is list
                and len(name) == 3 and type(name[0]) is type(name[1]) is type(name[2]) is int):
            wellformed(type(term) is list and len(term) == 2 and type(term[1]) is int,
                       "prune: a term is [row, multiplier] with an integer multiplier")
            row_name(term[0], "prune")
    return []


def flat_node(value, d, line):
    """A node on line ``line`` of a format 2 certificate: a leaf, or a split whose children are null, a prune,
    or ``"subtree"`` (the subtree is on the next lines). Returns it, a leaf with its point in homogeneous integers
    (``point``)."""
    try:
        wellformed(type(value) is dict and ("leaf" in value and len(value) == 1 or "split" in value and (
            len(value) == 1 or len(value) == 2 and "unit" in value)), "expected a split or a leaf")
        if "leaf" in value:
            return {"leaf": point(value["leaf"], "leaf", d)}
        for child in node(value, d):
            if child is not None and child != SUBTREE:
                wellformed(type(child) is dict and "prune" in child, 'a split\'s child is null, a prune or "subtree"')
                node(child, d)
        return value
    except Malformed as err:
        err.args = (f"line {line}: {err}",)
        raise


def witnesses(cert, d, linear):
    """Rule 8's evidence: adjacency ``[cell, cell, point]`` and separations ``[cell, cell, proof]``, given only
    with a ``linear_regions`` claim."""
    adjacency, separations = cert.get("adjacency", []), cert.get("separations", [])
    wellformed(isinstance(adjacency, list) and all(isinstance(w, list) and len(w) == 3 and type(w[0]) is int
                                                   and type(w[1]) is int for w in adjacency),
               "adjacency: adjacency must be a list of [cell, cell, point]")
    for w, where in entries(adjacency, "adjacency"):
        numbers(w[2], f"{where}[2]", d)
    wellformed(isinstance(separations, list) and all(
        isinstance(w, list) and len(w) == 3 and type(w[0]) is int and type(w[1]) is int for w in separations),
        "separations: separations must be a list of [cell, cell, proof]")
    for w, where in entries(separations, "separations"):
        separation(w[2], f"{where}[2]")
    wellformed(not (adjacency or separations) or linear, "claim: adjacency or separations are given but not used")


def bounds(value, within):
    """Rule 12's evidence for a ``within`` claim: ``[leaf, output, sign 1 or -1, [[row, y], ...]]``, each multiplier
    a canonical number."""
    wellformed(isinstance(value, list) and all(
        isinstance(b, list) and len(b) == 4 and type(b[0]) is int and type(b[1]) is int and b[2] in (1, -1)
        and type(b[2]) is int and isinstance(b[3], list) for b in value),
        "bounds: a bound is [leaf, output, sign 1 or -1, [[row, multiplier], ...]]")
    for b, where in entries(value, "bounds"):
        for term in b[3]:
            wellformed(isinstance(term, list) and len(term) == 2, f"{where}: a term is [row, multiplier]")
            row_name(term[0], where)
            num(term[1], where)
    wellformed(not value or within, "claim: bounds are given but not used")


def separation(proof, path):
    """A separation's proof: ``{"empty": terms}`` or ``{"tight": [terms, ...]}``, a term ``[side, row, y]``."""
    wellformed(isinstance(proof, dict) and (list(proof) == ["empty"] or list(proof) == ["tight"]),
               f'{path}: a separation is {{"empty": terms}} or {{"tight": [terms, ...]}}')
    for terms in [proof["empty"]] if "empty" in proof else typed(proof["tight"], "a list", f"{path}.tight"):
        for term in typed(terms, "a list", path):
            wellformed(isinstance(term, list) and len(term) == 3 and type(term[0]) is int and type(term[2]) is int,
                       f"{path}: a term is [cell 0 or 1, row, multiplier] with integer cell and multiplier")
            row_name(term[1], path)


def network(item, n, path):
    """A network entry ``{"network", "sha256"}`` of input dimension ``n``: the network's (outputs, stages)."""
    net = field(item, "network", path, "an object")
    field(item, "sha256", path, "a string")
    path += ".network"
    kind = field(net, "format", path, "a string")
    shapes = {"polyreg.network/1": mlp, "polyreg.transformer/1": transformer}.get(kind)
    wellformed(shapes is not None, f"{path}: unknown network format")
    known_fields(net, kind, path)
    wellformed(positive_integer(net["input_dim"], f"{path}.input_dim") == n,
               f"{path}: input dimension differs from the domain's")
    return shapes(net, n, path)


def mlp(net, width, path):
    """A ``polyreg.network/1``: linear layers (weight outputs x inputs, bias) whose shapes chain; relu; maxout of a
    rank dividing the width."""
    stages = 0
    for spec, where in entries(field(net, "layers", path), f"{path}.layers"):
        kind = field(spec, "type", where)
        wellformed(kind in ("linear", "relu", "maxout"), f"{where}: unknown layer type {shown(kind)}")
        known_fields(spec, kind, where)
        if kind == "linear":
            W = matrix(field(spec, "weight", where), f"{where}.weight")
            wellformed(len(W[0]) == width, f"{where}: linear layer shape")
            numbers(field(spec, "bias", where), f"{where}.bias", len(W))
            width = len(W)
            continue
        k = positive_integer(spec["rank"], f"{where}.rank") if kind == "maxout" else 1
        wellformed(width % k == 0, f"{where}: maxout rank")
        width, stages = width if kind == "relu" else width // k, stages + 1
    return width, stages


def transformer(net, n, path):
    """A ``polyreg.transformer/1``: embedding, blocks of attention and feed-forward sublayers, readout."""
    N, D = field(net, "tokens", path, "a positive integer"), field(net, "width", path, "a positive integer")
    emb, where = known_fields(net["embedding"], "embedding", f"{path}.embedding"), f"{path}.embedding"
    embed = [matrix(E, f"{where}.E_per_token") for E in field(emb, "E_per_token", where, "a list")] \
        if "E_per_token" in emb else [matrix(field(emb, "E", where), f"{where}.E")] * N
    positions = matrix(field(emb, "positions", where), f"{where}.positions")
    wellformed(len(embed) == N == len(positions) and all(len(E) == n and len(E[0]) == D for E in embed)
               and len(positions[0]) == D, f"{where}: embedding shape")
    stages = 0
    for block, where in entries(field(net, "blocks", path), f"{path}.blocks"):
        known_fields(block, "block", where)
        if block.get("attention") is not None:
            stages += attention(block["attention"], N, D, f"{where}.attention")
        if block.get("feed_forward") is not None:
            stages += feed_forward(block["feed_forward"], D, f"{where}.feed_forward")
    return readout(field(net, "readout", path, "an object"), N, D, f"{path}.readout"), stages


def attention(att, N, D, path):
    """Heads: query, key, value read the width, output writes it; score_bias and mask are tokens x tokens."""
    known_fields(att, "attention", path)
    for h, where in entries(field(att, "heads", path), f"{path}.heads"):
        known_fields(h, "head", where)
        q, k, v, o = (matrix(field(h, name, where), f"{where}.{name}") for name in ("query", "key", "value", "output"))
        wellformed(len(q) == len(k) == len(v) == D == len(o[0]) and len(q[0]) == len(k[0]) and len(o) == len(v[0]),
                   f"{where}: attention matrix shapes")
        bias = matrix(h["score_bias"], f"{where}.score_bias") if h.get("score_bias") is not None else None
        mask = h.get("mask")
        wellformed(all(m is None or (isinstance(m, list) and len(m) == N and all(isinstance(r, list) and len(r) == N
                                                                                 for r in m)) for m in (bias, mask))
                   and (mask is None or all(v in (0, 1) for r in mask for v in r)),
                   f"{where}: score_bias and mask must be tokens x tokens, the mask of 0 and 1")
    flag(att, path)
    return 1


def feed_forward(f, D, path):
    """Token-wise ``relu(x w1 + b1) w2 + b2``, from the width back to it."""
    known_fields(f, "feed_forward", path)
    w1, w2 = (matrix(field(f, name, path), f"{path}.{name}") for name in ("w1", "w2"))
    numbers(field(f, "b1", path), f"{path}.b1", len(w1[0]))
    numbers(field(f, "b2", path), f"{path}.b2", len(w2[0]))
    wellformed(len(w1) == D == len(w2[0]) and len(w2) == len(w1[0]), f"{path}: feed-forward shapes")
    flag(f, path)
    return 1


def readout(r, N, D, path):
    """Readout weights (width x outputs) of one token (``weight`` at ``token``, default 0) or per token
    (``weights``, null for none), and a bias: the number of outputs."""
    known_fields(r, "readout", path)
    bias = numbers(field(r, "bias", path), f"{path}.bias")
    token = r.get("token", 0)
    wellformed(type(token) is int and 0 <= token < N and ("token" not in r or "weight" in r),
               f"{path}.token: got {shown(token)}; expected a token index with 'weight'")
    weights = [matrix(r["weight"], f"{path}.weight") if t == token else None for t in range(N)] \
        if "weight" in r else [None if w is None else matrix(w, f"{path}.weights")
                               for w in field(r, "weights", path, "a list")]
    wellformed(len(weights) == N and any(w is not None for w in weights) and all(
        w is None or (len(w), len(w[0])) == (D, len(bias)) for w in weights), f"{path}: readout shapes")
    return len(bias)
