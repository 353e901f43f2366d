"""The fields each object of a network file may have: one table for the checker and the producer's reader alike, so
that a network the producer refuses is refused by the checker too (and the reverse)."""
from .errors import shown, wellformed

FIELDS = {   # object -> (required, optional, pairs of which exactly one is given)
    "polyreg.network/1": ({"format", "input_dim", "layers"}, set(), ()),
    "polyreg.transformer/1": ({"format", "input_dim", "tokens", "width", "embedding", "blocks", "readout"}, set(), ()),
    "linear": ({"type", "weight", "bias"}, set(), ()),
    "relu": ({"type"}, set(), ()),
    "maxout": ({"type", "rank"}, set(), ()),
    "embedding": ({"positions"}, {"E", "E_per_token"}, (("E", "E_per_token"),)),
    "block": (set(), {"attention", "feed_forward"}, ()),
    "attention": ({"heads"}, {"residual"}, ()),
    "head": ({"query", "key", "value", "output"}, {"score_bias", "mask"}, ()),
    "feed_forward": ({"w1", "b1", "w2", "b2"}, {"residual"}, ()),
    "readout": ({"bias"}, {"token", "weight", "weights"}, (("weight", "weights"),)),
    "sparse matrix": ({"shape"}, {"nonzeros"}, ()),
    "slice": ({"origin", "directions"}, set(), ()),
}


def known_fields(obj, kind, path, table=FIELDS):
    """``obj`` is an object with every required field of ``kind`` (in ``table``), no unknown one, and exactly one of
    each pair."""
    wellformed(isinstance(obj, dict), f"{path}: expected an object")
    required, optional, pairs = table[kind]
    missing, unknown = sorted(required - set(obj)), sorted(set(obj) - required - optional)
    wellformed(not missing, f"{path}: missing field {', '.join(map(repr, missing))}")
    wellformed(not unknown, f"{path}: unknown field {', '.join(map(repr, unknown))} (a {kind} has "
                            f"{', '.join(sorted(required | optional))})")
    for a, b in pairs:
        wellformed((a in obj) != (b in obj), f"{path}: give exactly one of {shown(a)} and {shown(b)}")
    return obj


def positive_integer(value, path):
    """``value`` is a JSON integer >= 1 (not ``true``)."""
    wellformed(type(value) is int and value >= 1, f"{path}: got {shown(value)}; expected a positive integer")
    return value
