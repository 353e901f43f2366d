"""polyreg: exact linear regions and equivalence of piecewise-linear networks.

The pipeline, one sub-package a step: ``formats`` (files to the network IR) -> ``network`` (the IR and its exact
meaning) -> ``core`` (stages and the enumerator: the exact CPWL object) -> ``analysis`` (counts, equivalence,
discrete cases) -> ``certificates`` (claims and their evidence) -> ``report`` -> ``cli``. The trusted checker is
the separate package ``polyreg_check``.
"""
from .analysis.cases import MixedVerdict, certify_mixed
from .analysis.classifiers import Answer, top_1, top_classes, within
from .analysis.equivalence import Verdict, certify, distance
from .analysis.graph import region_graph, write_region_graph
from .analysis.regions import (
    RegionCounts,
    count_activation_regions,
    count_affine_maps,
    count_linear_regions,
    region_counts,
)
from .analysis.streamed import streamed_counts
from .compiler.maxout_to_transformer import compile_transformer
from .core.cpwl import Cell, Cpwl, Leaf, Prune, Split
from .core.enumerate import lower
from .core.workers import Dask
from .errors import DomainError, InexactInputError, InexactWarning, InputError, OracleError, PolyregError
from .formats.json_files import load_domain, load_mixed_domain, load_network, network_from_json
from .formats.models import load_model
from .geometry.domains import DiscreteGroup, MixedDomain, Slice, around, plane
from .geometry.polyhedron import Polyhedron, box, polyhedron_from_inequalities
from .network.ir import Attention, Block, Dense, FeedForward, Head, Maxout, Mlp, Relu, Transformer
from .network.rewrite import specialize
from .network.semantics import affine_on_path, choices_at, evaluate
from .report.figures import plot

__version__ = "0.1.0"

FRONT_ENDS = {   # imported on first use: each needs its own optional package (onnx, torch, scikit-learn)
    "from_onnx": "polyreg.formats.onnx_files", "from_torch": "polyreg.formats.torch_models",
    "from_sklearn": "polyreg.formats.sklearn_models",
}


def __getattr__(name: str) -> object:
    """``polyreg.from_onnx``, ``polyreg.from_torch``, ``polyreg.from_sklearn``: read a user's model exactly."""
    if name in FRONT_ENDS:
        import importlib
        return getattr(importlib.import_module(FRONT_ENDS[name]), name)
    raise AttributeError(f"module 'polyreg' has no attribute {name!r}")


__all__ = [
    "Attention", "Block", "FeedForward", "Head", "Transformer", "Verdict", "certify", "compile_transformer",
    "distance", "Cell", "Cpwl", "Dense", "DomainError", "InexactInputError", "InputError", "Leaf", "Maxout",
    "Mlp", "OracleError", "Polyhedron", "PolyregError", "Prune", "RegionCounts", "Relu", "Split",
    "affine_on_path", "box", "choices_at", "count_activation_regions", "count_affine_maps",
    "count_linear_regions", "evaluate", "load_domain", "load_network", "lower",
    "network_from_json", "polyhedron_from_inequalities", "region_counts",
    "DiscreteGroup", "MixedDomain", "MixedVerdict", "certify_mixed", "load_mixed_domain", "specialize",
    "load_model", "from_onnx", "from_torch", "from_sklearn", "InexactWarning", "Slice", "plane", "around",
    "plot", "region_graph", "write_region_graph", "Answer", "top_1", "top_classes", "within", "Dask",
    "streamed_counts",
]
