"""Symbolic replay of a ``polyreg.network/1`` (rule 3): the first linear layer after a ReLU or maxout stage folds
into it, the others into the next stage."""
from .affine import OFF, Layer, Unit, inputs, max_unit, reduced, relu_unit, summed
from .schema import matrix, num


class Mlp:
    """A well-formed ``polyreg.network/1`` over the inputs ``free`` (the others fixed per case), or over the parameters
    of the slice ``plane``."""
    gap = varying = None        # no hard-max unit, so no score margin (rule 7)

    def __init__(self, obj, free, plane=None):
        d, width = len(free), obj["input_dim"]
        self.d, self.free, self.plane, self.n, self.stages, pending = d, free, plane, width, [], []
        for spec in obj["layers"]:
            kind = spec["type"]
            if kind == "linear":
                W = matrix(spec["weight"], "weight")   # outputs x inputs
                pending.append(Layer([list(c) for c in zip(*W)], d, [num(v) for v in spec["bias"]]))
                width = len(W)
            else:
                k = spec.get("rank", 1)
                self.stages.append((pending, kind, k, width))
                pending, width = [], width if kind == "relu" else width // k
        self.tail, self.width = pending, width
        # the first linear layer after a stage is applied by the stage's ``Step``, one choice at a time
        self.after = []
        for i in range(len(self.stages)):
            later = self.stages[i + 1][0] if i + 1 < len(self.stages) else self.tail
            self.after.append(later.pop(0) if later else None)

    def start(self, fixed):
        """The inputs as maps of x, the discrete ones at ``fixed`` (on a slice: of its parameters)."""
        return inputs(self.n, self.free, fixed, self.plane)

    @staticmethod
    def linear(pending, v):
        """``v`` through the linear layers ``pending``."""
        for lay in pending:
            v = lay(v)
        return v

    def stage(self, i, v, live=None):
        """Stage ``i``'s units on ``v`` (those not in ``live`` switched off) and its ``Step`` to the next state (the
        stage's outputs through the linear layer after it)."""
        pending, kind, k, width = self.stages[i]
        den, z = self.linear(pending, v)
        off = [0] * (self.d + 1)
        if kind == "relu":
            units = [relu_unit(z.get(u, off)) if live is None or u in live else OFF for u in range(width)]
            return units, summed(den, lambda u, o: z.get(u) if o else None, units, self.after[i])
        groups = [[reduced(den, z.get(u + c, off)) for c in range(k)] for u in range(0, width, k)]
        units = [max_unit(g) if live is None or u in live else Unit(k, {}, 0) for u, g in enumerate(groups)]
        return units, summed(den, lambda u, o: z.get(u * k + o), units, self.after[i])

    def relevance(self, outputs):
        """Rule 10: the inputs, and per stage the units, joined to ``outputs`` by nonzero weights."""
        wanted, live = set(outputs), []
        for lay in reversed(self.tail):
            wanted = lay.reads(wanted)
        for (pending, kind, k, _), after in zip(reversed(self.stages), reversed(self.after)):
            wanted = after.reads(wanted) if after is not None else wanted
            live.append(wanted)
            wanted = wanted if kind == "relu" else {u * k + c for u in wanted for c in range(k)}
            for lay in reversed(pending):
                wanted = lay.reads(wanted)
        return wanted, live[::-1]

    def output(self, v):
        """The outputs as maps of x, after the last stage."""
        return self.linear(self.tail, v)
