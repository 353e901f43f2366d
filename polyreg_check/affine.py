"""Exact affine maps of x in Q^d, the layers that act on them, and the units a replay decides (rules 3 and 6).

A vector of affine maps is ``(den, rows)``: ``rows`` maps an index to an integer row ``(n_0, ..., n_d)``, meaning
the entry ``(n_0 + n.x) / den``; entries not listed are 0. A single map is a row ``(den, nums)`` in lowest terms, so
equal maps have equal rows. A constraint row ``(b, a)`` means ``b + a.x >= 0``."""
from fractions import Fraction
from math import gcd, lcm
from operator import mul


def vector(den, rows):
    """``(den, rows)`` without zero rows and with the common factor of all its numbers divided out."""
    rows = {i: r for i, r in rows.items() if any(r)}
    g = gcd(den, *[n for r in rows.values() for n in r])
    return (den // g, {i: [n // g for n in r] for i, r in rows.items()}) if g > 1 else (den, rows)


def fractions_vector(values):
    """The vector whose entry i has coefficients ``values[i]`` (Fractions, constant first)."""
    den = lcm(1, *(v.denominator for r in values for v in r))
    return vector(den, {i: [int(v * den) for v in r] for i, r in enumerate(values)})


def inputs(n, free, fixed, plane=None):
    """The ``n`` inputs as maps of x: input ``free[k]`` is ``x_k``, input ``i`` in ``fixed`` is ``fixed[i]``; on a
    slice ``(origin, directions)``, input ``i`` is ``origin[i] + sum_k x_k directions[k][i]``."""
    if plane is not None:
        origin, directions = plane
        return fractions_vector([[origin[i]] + [v[i] for v in directions] for i in range(n)])
    return fractions_vector([[fixed.get(i, Fraction(0))] + [Fraction(int(i == j)) for j in free] for i in range(n)])


def entry(v, i, d):
    """Entry ``i`` of vector ``v`` as a row in lowest terms."""
    return reduced(v[0], v[1].get(i, [0] * (d + 1)))


def reduced(den, nums):
    """The map ``nums / den`` in lowest terms."""
    g = gcd(den, *nums)
    return (den // g, tuple(n // g for n in nums)) if g > 1 else (den, tuple(nums))


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
    """The constant term of a map."""
    return Fraction(row[1][0], row[0])


def homogeneous(x):
    """``(den, den x)`` in integers for a rational point ``x``: its slack on a row is ``dot(row, .) / den``."""
    den = lcm(1, *(v.denominator for v in x))
    return [den] + [int(v * den) for v in x]


def dot(row, point):
    """The dot product of two integer rows."""
    return sum(map(mul, row, point))


def inside(rows, point):
    """Whether the homogeneous ``point`` is strictly inside every row of nonzero normal and satisfies the others
    (rules 2 and 5)."""
    for row in rows:
        slack = sum(map(mul, row, point))
        if slack < 0 or slack == 0 and any(row[1:]):
            return False
    return True


class Layer:
    """``v -> v W + bias`` (``W`` inputs x outputs, rational) in integers: ``W = D^-1 (nonzero entries (output, D w)
    of each input's row)``, ``bias = D^-1 self.bias``."""

    def __init__(self, W, d, bias=None):
        self.inputs, self.outputs = len(W), len(W[0])
        bias = bias if bias is not None else [Fraction(0)] * self.outputs
        self.D = lcm(1, *(w.denominator for r in W for w in r), *(b.denominator for b in bias))
        self.rows = [[(c, int(w * self.D)) for c, w in enumerate(r) if w] for r in W]
        self.used = [a for a, r in enumerate(self.rows) if r]
        self.bias = {c: [int(b * self.D)] + [0] * d for c, b in enumerate(bias) if b}

    def reads(self, wanted):
        """The inputs with a nonzero weight to an output in ``wanted`` (rule 10)."""
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


class Step:
    """A stage's map from its units' choices to the next state, built one choice at a time (rule 3): ``start`` holds
    the fixed units' choices, ``add(acc, u, o)`` adds unit ``u``'s option ``o`` (units in any order, ``acc`` left
    unchanged), and ``end(acc, choices)`` is the next state, ``choices`` being every unit's in order."""
    __slots__ = ("start", "add", "end")

    def __init__(self, start, add, end):
        self.start, self.add, self.end = start, add, end


def whole(apply):
    """The ``Step`` of ``apply``, a map from all of a stage's choices at once."""
    return Step(None, lambda acc, u, o: acc, lambda acc, choices: apply(choices))


def summed(den, pick, units, layer):
    """The ``Step`` of a ReLU or maxout stage: unit ``u`` with option ``o`` outputs the row ``pick(u, o)`` over
    ``den`` (None: 0), and the linear ``layer`` after the stage (None: none) maps the outputs; each choice adds its
    output's share, so a path through a wide layer never sums all its units again."""
    if layer is None:
        def put(acc, u, r):
            acc[u] = r
        start, D = {}, 1
    else:
        def put(acc, u, r):
            for c, w in layer.rows[u]:
                o = acc.get(c)
                acc[c] = [s + w * n for s, n in zip(o, r)] if o else [w * n for n in r]
        start, D = {c: [n * den for n in r] for c, r in layer.bias.items()}, layer.D
    for u, unit in enumerate(units):
        r = pick(u, unit.fixed) if unit.fixed is not None else None
        if r:
            put(start, u, r)

    def add(acc, u, o):
        r = pick(u, o)
        if not r:
            return acc
        acc = dict(acc)     # ``put`` replaces rows, never changes one, so the copy may share them
        put(acc, u, r)
        return acc
    return Step(start, add, lambda acc, choices: vector(den * D, acc))


class Unit:
    """A unit to decide: ``n`` candidates; ``options`` maps each surviving candidate to its rows ``(competitor,
    row)``; ``fixed`` is the choice when only one survives. Hard-max units keep their score ``pieces`` and
    ``value`` (option -> vector) for the tie-safety test."""

    def __init__(self, n, options, fixed, pieces=None, value=None, name=""):
        self.n, self.options, self.fixed = n, options, fixed
        self.pieces, self.value, self.name = pieces, value, name


def max_unit(pieces, value=None, name=""):
    """Rule 3: a max over ``pieces`` (rows; None: not a candidate). Of pieces with equal normals only the one with the
    largest constant (the first among equals) survives; options ``r`` have rows ``piece_r - piece_t >= 0``."""
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
    """Rule 3: ReLU of ``h`` (numerators of a map) as options 0 (``-h >= 0``) and 1 (``h >= 0``); a constant is
    active iff > 0."""
    if not any(h[1:]):
        return Unit(2, {}, int(h[0] > 0))
    row = canonical(h)
    return Unit(2, {0: [(-1, tuple(-v for v in row))], 1: [(-1, row)]}, None)


OFF = Unit(2, {}, 0)    # a ReLU switched off (rule 10)


def tie_safe(unit, r, t):
    """Rule 6: each row of the value difference of options ``r`` and ``t`` is a multiple of their score difference,
    so the values agree where the scores tie and the hard max is continuous there."""
    score = difference(unit.pieces[r], unit.pieces[t])
    pivot = next(c for c, v in enumerate(score) if v)
    (a, R), (b, T) = unit.value(r), unit.value(t)
    off = [0] * len(score)
    for i in R.keys() | T.keys():
        row = [m * b - n * a for m, n in zip(R.get(i, off), T.get(i, off))]
        if any(v * score[pivot] != row[pivot] * s for v, s in zip(row, score)):
            return False
    return True
