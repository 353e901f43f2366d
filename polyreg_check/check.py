"""The tree walk (rules 2-6, 9, 10, and 12's class stage of SPEC.md), the evaluation at a point (rule 13), and
``check``, the checker's one entry point."""
import gc
import hashlib
import json
import sys
import time
from fractions import Fraction
from operator import mul

from .affine import Step, constant, dot, entry, homogeneous, inside, max_unit, tie_safe, whole
from .claims import Findings, verdict
from .errors import Reject, require, wellformed
from .mlp import Mlp
from .parallel import Farm
from .schema import AT_POINT, FORMAT_2, SUBTREE, certificate, flat_node, num
from .transformer import Transformer

REPLAYS = {"polyreg.network/1": Mlp, "polyreg.transformer/1": Transformer}


def network_hash(obj):
    """SHA-256 of the canonical JSON of ``obj`` (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def memoized(step):
    """``step`` with each next state computed once per choices (they determine it)."""
    memo = {}

    def end(acc, choices):
        if choices not in memo:
            memo[choices] = step.end(acc, choices)
        return memo[choices]
    return Step(step.start, step.add, end)


def check(cert, record=None, progress=None, nodes=None, jobs=1):
    """The checker's conclusion, or raise ``Reject`` (``Malformed`` if the certificate is not well formed). With a
    list ``record``, append each verified leaf as (point, its cell's rows ``(b, a)`` meaning ``b + a.x >= 0``, each
    network's output rows); ``progress(cells)`` is called after each leaf. A format 2 certificate is its header
    ``cert`` and the ``nodes`` of its trees (``records.Records``); its subtrees are checked in ``jobs`` processes
    (``parallel``; not with a ``record``), with the same conclusion for every number."""
    enabled = gc.isenabled()
    gc.disable()        # the walk makes no reference cycles; the collector's passes would cost an eighth of the time
    try:
        return checked(cert, record, progress, nodes, jobs)
    finally:
        if enabled:
            gc.enable()


def checked(cert, record, progress, nodes, jobs):
    """``check``, with the cyclic garbage collector paused."""
    frame = certificate(cert)
    wellformed((nodes is not None) == (cert["format"] == FORMAT_2),
               "format: a format 2 certificate is read from its file, line by line")
    if cert["claim"]["kind"] in AT_POINT:
        if nodes is not None:
            nodes.finished()        # no tree
        return verdict(cert["claim"], Evaluation(cert, frame))
    checker = Checker(cert, frame, record, progress, nodes)
    if jobs > 1 and nodes is not None and record is None:
        checker.farm = Farm(checker, jobs)
    try:
        checker.run()
    finally:
        if checker.farm is not None:
            checker.farm.close()
    return verdict(cert["claim"], checker.found)


def hashes_match(cert):
    """Rule 1: each network's SHA-256 matches."""
    for item in cert["networks"]:
        require(network_hash(item["network"]) == item["sha256"], "a network's SHA-256 does not match")


class Evaluation:
    """Rule 13: a claim about one point ``x`` of the domain (closed: on or inside every row), where both networks are
    evaluated exactly (on a slice, at the input the point's parameters name)."""

    def __init__(self, cert, frame):
        hashes_match(cert)
        rows = Checker.domain_rows(cert["domain"])
        self.x = [num(v) for v in cert["claim"]["point"]]
        require(all(dot(row, homogeneous(self.x)) >= 0 for row in rows), "the claimed point is not in the domain")
        if frame.plane is not None:
            origin, directions = frame.plane
            point = [o + sum((t * v[i] for t, v in zip(self.x, directions)), 0) for i, o in enumerate(origin)]
        else:
            point = self.x
        self.outputs = [value_at(REPLAYS[item["network"]["format"]](item["network"], [], (point, [])))
                        for item in cert["networks"]]
        self.continuous = all(item["network"]["format"] == "polyreg.network/1" for item in cert["networks"])


def value_at(net):
    """The outputs of a replay over no free coordinates (every unit is decided by rule 3: its pieces are constants)."""
    v = net.start({})
    for i in range(len(net.stages)):
        units, step = net.stage(i, v)
        v = step.end(step.start, tuple(unit.fixed for unit in units))
    out = net.output(v)
    return [constant(entry(out, k, 0)) for k in range(net.width)]


def walk(steps):
    """Run the generator ``steps`` and every generator it yields, depth first: a recursion without the Python stack
    (a tree nests one level per split)."""
    stack = [steps]
    while stack:
        step = next(stack[-1], None)        # the steps yield generators, never None
        if step is None:
            stack.pop()
        else:
            stack.append(step)


def class_stage(net, state, d):
    """Rule 12: after a network's last stage, its class: one max unit over its outputs; the state is unchanged."""
    out = net.output(state)
    return [max_unit([entry(out, k, d) for k in range(net.width)], name="class")], whole(lambda choices: state)


class Checker:
    """Replays the networks down the tree of every case and collects the ``Findings`` the claim rules compare."""

    def __init__(self, cert, frame, record=None, progress=None, nodes=None):
        hashes_match(cert)
        self.d = len(frame.free)
        self.nets = [REPLAYS[item["network"]["format"]](item["network"], frame.free, frame.plane)
                     for item in cert["networks"]]
        self.parts = [self.relevant(part, frame.groups) for part in frame.parts]
        where = [f"{sum(len(p[3]) for p in self.parts)} discrete cases"] if frame.groups else []
        where += [f"{len(self.parts)} output parts"] if self.parts[0][0] is not None else []
        self.found = Findings(self.nets, self.d, cert, where, frame.mixed)
        self.record, self.progress, self.stages, self.nodes = record, progress, {}, nodes
        self.case, self.farm, self.waiting = None, None, 0     # ``waiting``: leaves sent to workers, not yet merged

    def relevant(self, part, groups):
        """Rule 10: a part's outputs read no discrete group it does not vary; its live units per network and stage."""
        outputs, varied, fixed, cases = part
        if outputs is None:
            return part
        relevance = [net.relevance(outputs) for net in self.nets]
        inputs = relevance[0][0] | relevance[1][0]
        missing = [k for k, g in enumerate(groups) if k not in varied and inputs & set(g["coordinates"])]
        require(not missing, f"outputs {outputs} can depend on discrete groups {missing}, "
                             "which their part does not vary")
        return outputs, [r[1] for r in relevance], fixed, cases

    def run(self):
        """Rule 9: walk the tree of every case, each with its discrete values fixed and the first case's domain."""
        first = None
        try:
            for k, (_, _, fixed_values, cases) in enumerate(self.parts):
                for c, (fixed, case) in enumerate(zip(fixed_values, cases)):
                    self.enter(k, c)
                    domain = self.domain_rows(case["domain"])
                    require(first is None or domain == first, "every case must have the domain rows of the first")
                    first, rows = domain, {(-1, j, -1): r for j, r in enumerate(domain)}
                    walk(self.stage_node(case["tree"] if self.nodes is None else self.next_node(), 0,
                                         [n.start(fixed) for n in self.nets], rows, dict(rows), ((),) * len(self.nets)))
        except Reject as fault:
            if self.farm is not None:
                self.farm.drain(fault)       # a fault in a subtree sent earlier comes first
            raise
        if self.farm is not None:
            self.farm.drain()
        if self.nodes is not None:
            self.nodes.finished()

    def enter(self, k, c):
        """Case ``c`` of part ``k``: its outputs, live units and stage order (the memo of stages holds for one case)."""
        if self.case != (k, c):
            self.outputs, self.live, _, cases = self.parts[k]
            self.order = [tuple(o) for o in cases[c]["order"]]
            self.case, self.stages = (k, c), {}

    def subtree(self, case, where, offset, kept, bounds):
        """In a worker (``parallel``): check the subtree on ``self.nodes``, entered at ``where``, the context of a
        ``unit_node``; the findings of its leaves, numbered from ``offset`` (``kept``, ``bounds``: theirs)."""
        self.enter(*case)
        s, p, states, at, rows, strict, patterns = where
        units, step, _, _ = self.stage(p, self.order[s][1], patterns[p], states[p])
        self.found = self.found.fresh(offset, kept, bounds)
        walk(self.unit_node(self.next_node(), s, p, states, units, step, at, rows, strict, patterns))
        return self.found.summary(offset)

    def next_node(self):
        """Format 2: the next line's node, checked to be well formed."""
        return flat_node(self.nodes.next_node(), self.d, self.nodes.line)

    @staticmethod
    def domain_rows(dom):
        """Rule 2: the domain's rows, once its point is strictly inside every row with a nonzero normal (and rows with
        a zero normal hold): the domain is full-dimensional."""
        rows = [tuple(r) for r in dom["rows"]]
        point = homogeneous([num(v) for v in dom["point"]])
        require(inside(rows, point), "the domain's point is not strictly inside")
        return rows

    def stage_node(self, node, s, states, rows, strict, patterns):
        """Check ``node``, the root of stage ``s``'s splits; ``patterns[p]``: network p's choices so far. A generator
        of the checks below it (``walk``)."""
        if s == len(self.order):
            self.leaf(node, states, rows, strict, patterns)
            return
        p, i = self.order[s]
        units, step, fixed, left = self.stage(p, i, patterns[p], states[p])
        yield self.unit_node(node, s, p, states, units, step, (0, list(fixed), left, step.start), rows, strict,
                             patterns)

    def stage(self, p, i, pattern, state):
        """Network p's units at stage i, its ``Step`` from choices to the next state, the fixed units' choices (None
        where undecided) and the number undecided. They depend on the network's own earlier choices only, so paths
        that differ in the other network's share them."""
        key = (p, i, pattern)
        if key not in self.stages:
            if len(self.stages) >= 4096:
                del self.stages[next(iter(self.stages))]
            if i == len(self.nets[p].stages):
                units, step = class_stage(self.nets[p], state, self.d)
            else:
                units, step = self.nets[p].stage(i, state, self.live[p][i] if self.live else None)
            fixed = [unit.fixed for unit in units]
            # one network: a stage ends once on each path, so its states would never be asked for again
            self.stages[key] = units, memoized(step) if len(self.nets) > 1 else step, fixed, fixed.count(None)
        return self.stages[key]

    def unit_node(self, node, s, p, states, units, step, at, rows, strict, patterns):
        """Rule 3, cover by construction: each split decides an undecided unit of the stage, the one it names or else
        the one of smallest index, with one child per candidate (null for a dropped one); its options cover the
        node's cell. Rule 6: options that can tie must be tie-safe. ``at``: the smallest index that may be undecided,
        every unit's choice so far (None: undecided; set and restored here), how many are undecided, and ``step``'s
        sum. ``strict``: the rows a leaf's point is tested on (rule 5). A generator of the checks below it
        (``walk``)."""
        u, choices, left, acc = at
        if not left:
            chosen = tuple(choices)
            states = states[:p] + [step.end(acc, chosen)] + states[p + 1:]
            patterns = patterns[:p] + (patterns[p] + (chosen,),) + patterns[p + 1:]
            if s + 1 == len(self.order):
                self.leaf(node, states, rows, strict, patterns)
            else:
                yield self.stage_node(node, s + 1, states, rows, strict, patterns)
            return
        named = node.get("unit") if type(node) is dict else None
        if named is None:
            while choices[u] is not None:
                u += 1
            w = u
        elif named >= len(units) or choices[named] is not None:
            shown = named if named < 1 << 64 else "beyond 2^64"      # str() refuses huge numbers (API callers)
            raise Reject(f"stage {s}: a split names unit {shown}, which is decided already or does not exist")
        else:
            w = named
        unit = units[w]
        if not (type(node) is dict and len(node.get("split", ())) == unit.n):
            raise Reject(f"stage {s}, unit {w}: expected a split with {unit.n} children")
        children, touching = node["split"], []
        # rule 5: beside a pruned option of a two-option unit, the other option's row is strictly positive wherever
        # the rows its prune used are, so a leaf's point is not tested on it
        implied = len(unit.options) == 2 and sum(isinstance(children[c], dict) and "prune" in children[c]
                                                 for c in unit.options) == 1
        for o, child in enumerate(children):
            if o not in unit.options:
                require(child is None, f"stage {s}, unit {w}: option {o} is not a candidate")
                continue
            added = {(s, w, c): r for c, r in unit.options[o]}
            rows.update(added)      # the path's rows, with this option's; removed again below
            if isinstance(child, dict) and "prune" in child:
                if not self.prune(child, rows):
                    touching.append(o)      # thin: it can still tie with the options that touch
                for key in added:
                    del rows[key]
                continue
            touching.append(o)
            if not implied:
                strict.update(added)
            choices[w] = o
            below = (u, choices, left - 1, step.add(acc, w, o))
            sent = child == SUBTREE and self.farm is not None and self.farm.offer(
                lambda: (s, p, states, (u, list(choices), left - 1, below[3]), dict(rows), dict(strict), patterns))
            if not sent:
                yield self.unit_node(self.next_node() if child == SUBTREE else child, s, p, states, units, step,
                                     below, rows, strict, patterns)
            choices[w] = None
            for key in added:
                del rows[key]
                if not implied:
                    del strict[key]
        if unit.value is not None:
            self.found.unsafe |= {unit.name for a, r in enumerate(touching) for t in touching[a + 1:]
                                  if not tie_safe(unit, r, t)}

    def prune(self, child, rows):
        """Rule 4: positive integer multipliers over rows of the path sum to a zero normal and a constant < 0 (Farkas:
        the option is empty), or = 0 using only rows of nonzero normal (Motzkin: it lies in a hyperplane). Returns
        whether it is empty."""
        empty, terms = child["empty"], child["prune"]
        require(terms, "a prune names no rows")
        used = [rows.get(tuple(name)) for name, _ in terms]
        ys = [y for _, y in terms]
        if None in used or set(map(type, ys)) != {int} or min(ys) <= 0 or \
                not empty and not all(any(row[1:]) for row in used):
            for (name, y), row in zip(terms, used):       # the first fault in their order
                require(type(y) is int and y > 0, "multipliers must be positive integers")
                require(row is not None, f"prune uses row {name}, which is not on the path")
                require(empty or any(row[1:]), "a thin prune uses a row with zero normal")
        total = [sum(map(mul, column, ys)) for column in zip(*used)]
        require(not any(total[1:]), "prune multipliers do not cancel the normals")
        require(total[0] < 0 if empty else total[0] == 0, "prune constant has the wrong sign")
        return empty

    def leaf(self, node, states, rows, strict, patterns):
        """Rule 5: the leaf's point is strictly inside every row of its path (the cell is full-dimensional), tested on
        the rows in ``strict`` (the others follow); there each network's affine map is computed."""
        require(isinstance(node, dict) and len(node) == 1 and "leaf" in node, "expected a leaf")
        # format 2: every node comes from ``next_node``, which reads a leaf's point in homogeneous integers
        point = node["leaf"] if self.nodes is not None else homogeneous([num(v) for v in node["leaf"]])
        require(inside(strict.values(), point), "a leaf point is not strictly inside")
        maps = [tuple(entry(v, i, self.d) for i in self.outputs or range(net.width))
                for v, net in ((net.output(st), net) for net, st in zip(self.nets, states))]
        self.found.leaf(rows, maps, patterns)
        if self.record is not None:
            self.record.append(([Fraction(v, point[0]) for v in point[1:]], list(rows.values()), maps))
        if self.progress:
            self.progress(self.found.leaves - self.waiting)


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
        """Clear the line on a terminal."""
        if self.last and self.tty:
            print(" " * 60, end="\r", file=sys.stderr, flush=True)
