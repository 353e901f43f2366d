"""polyreg: exact linear regions and equivalence of piecewise-linear networks."""
from .certify import Verdict, certify, distance
from .compiler import compile_transformer
from .cpwl import Cell, Cpwl, Leaf, Prune, Split
from .errors import DomainError, InexactInputError, InputError, OracleError, PolyregError
from .io import load_domain, load_mixed_domain, load_network, network_from_json
from .ir import Attention, Block, Dense, FeedForward, Head, Maxout, Mlp, Relu, Transformer
from .lower import lower
from .mixed import DiscreteGroup, MixedDomain, MixedVerdict, certify_mixed, specialize
from .polyhedron import Polyhedron, box, polyhedron_from_inequalities
from .regions import (RegionCounts, count_activation_regions, count_affine_maps,
                      count_linear_regions, region_counts)
from .semantics import affine_on_path, choices_at, evaluate

__version__ = "0.1.0"
__all__ = [
    "Attention", "Block", "FeedForward", "Head", "Transformer", "Verdict", "certify", "compile_transformer",
    "distance", "Cell", "Cpwl", "Dense", "DomainError", "InexactInputError", "InputError", "Leaf", "Maxout",
    "Mlp", "OracleError", "Polyhedron", "PolyregError", "Prune", "RegionCounts", "Relu", "Split",
    "affine_on_path", "box", "choices_at", "count_activation_regions", "count_affine_maps",
    "count_linear_regions", "evaluate", "load_domain", "load_network", "lower",
    "network_from_json", "polyhedron_from_inequalities", "region_counts",
    "DiscreteGroup", "MixedDomain", "MixedVerdict", "certify_mixed", "load_mixed_domain", "specialize",
]
