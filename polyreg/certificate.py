"""Write a refinement's evidence as a certificate that ``polyreg check`` (``check.py``) re-verifies.

The certificate holds the networks (canonical JSON, dense matrices, with their SHA-256), the
domain's rows and an exact interior point, the stage order, the claim, and the tree: a split
per undecided unit (one child per candidate: null, a subtree or a prune with integer
multipliers over named rows) and a leaf with an exact interior point per cell. Cells, maps and
patterns are not written: the checker recomputes them. Count certificates add facet witnesses
(``adjacency``) for their linear regions; over a mixed domain the domain, order and tree are
written once per discrete case. The ``producer`` section (``provenance``) is not checked.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
import uuid
from datetime import datetime, timezone
from fractions import Fraction
from importlib.metadata import version
from pathlib import Path
from typing import Any, Optional, Sequence

import networkx as nx

from .cpwl import Cpwl, Leaf, Node, Prune, Split
from .exact import q_to_str
from .io import network_to_json
from .ir import Network
from .lower import interleaved
from .mixed import MixedDomain, MixedVerdict, Part
from .regions import (count_activation_regions, count_affine_maps, count_linear_regions, linear_region_graph,
                      separated_pairs, separation)
from .stages import program_of

FORMAT = "polyreg.certificate/1"


def canonical_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def tree_to_json(node: Optional[Node], cpwl: Cpwl) -> Any:
    if node is None:
        return None
    if isinstance(node, Prune):
        return {"prune": [[list(rid), y] for rid, y in node.multipliers], "empty": node.empty}
    if isinstance(node, Leaf):
        return {"leaf": [q_to_str(v) for v in cpwl.cells[node.cell].point]}
    assert isinstance(node, Split)
    return {"split": [tree_to_json(child, cpwl) for child in node.children]}


def certificate(cpwl: Cpwl, claim: dict[str, Any], producer: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The certificate of ``claim`` about ``cpwl``'s networks on its domain; ``producer`` is
    unchecked information (see ``provenance``)."""
    return {"format": FORMAT, "claim": claim, "networks": networks_json(cpwl.networks), **case_json(cpwl),
            **({"adjacency": adjacency(cpwl)} if "linear_regions" in claim else {}),
            **({"separations": separations_json(cpwl)} if claim.get("linear_regions", 0) > claim.get("affine_maps", 0)
               else {}),
            **({"producer": producer} if producer else {})}


def networks_json(networks: Sequence[Network]) -> list[dict[str, Any]]:
    """Each network as canonical JSON (dense matrices) with its SHA-256."""
    return [{"network": n, "sha256": canonical_hash(n)} for n in (network_to_json(net, dense=True) for net in networks)]


def case_json(cpwl: Cpwl) -> dict[str, Any]:
    """The domain (integer rows and an interior point), the stage order and the tree of a refinement."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100000))
    try:
        tree = tree_to_json(cpwl.tree, cpwl)
    finally:
        sys.setrecursionlimit(limit)
    return {"domain": {"rows": [list(r) for r in cpwl.domain.rows],
                       "point": [q_to_str(v) for v in cpwl.cells[0].point]},
            "order": [list(o) for o in cpwl.order], "tree": tree}


def mixed_certificate(verdict: MixedVerdict, a: Network, b: Network, domain: MixedDomain,
                      producer: Optional[dict[str, Any]] = None, margin: Optional[Fraction] = None) -> dict[str, Any]:
    """The certificate of ``verdict`` over a mixed domain: the discrete groups, the free coordinates and one case
    per assignment in product order (without free coordinates: no rows, and one leaf with an empty point); split by
    outputs, the cases of each part with its outputs and varied groups. An equivalence can also claim a ``margin``:
    every hard-max unit scores its keys by constants, the top one at least ``margin`` above every lower one."""
    point_order = [list(o) for o in interleaved([program_of(a), program_of(b)])]

    def cases(part: Part) -> list[dict[str, Any]]:
        return [case_json(case.refinement) if case.refinement is not None else
                {"domain": {"rows": [], "point": []}, "order": point_order, "tree": {"leaf": []}}
                for case in part.cases]
    evidence = ({"parts": [{"outputs": list(p.outputs), "groups": list(p.groups), "cases": cases(p)}
                           for p in verdict.parts]} if verdict.split else {"cases": cases(verdict.parts[0])})
    claim = ({"kind": "equivalent", "everywhere": verdict.everywhere, "cells": verdict.cells} if verdict.equivalent
             else {"kind": "different", "cells": verdict.cells, "differing": verdict.differing_cells})
    if margin is not None and verdict.equivalent:
        claim["margin"] = q_to_str(margin)
    discrete = [{"coordinates": list(g.coordinates), "values": [[q_to_str(v) for v in vector] for vector in g.values]}
                for g in domain.discrete]
    return {"format": FORMAT, "claim": claim, "networks": networks_json((a, b)), "discrete": discrete,
            "free": list(domain.free), **evidence, **({"producer": producer} if producer else {})}


def provenance(command: list[str], inputs: list[str], seconds: float, **facts: Any) -> dict[str, Any]:
    """Who made a certificate, when, from which files (with their SHA-256), and how long it took."""
    return {"polyreg": version("polyreg"), "id": str(uuid.uuid4()),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(command),
            "inputs": [{"path": p, "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest()} for p in inputs],
            "seconds": round(seconds, 3), **facts}


def equivalence_claim(cpwl: Cpwl) -> dict[str, Any]:
    return {"kind": "equivalent", "everywhere": not cpwl.not_tie_safe, "cells": len(cpwl.cells)}


def different_claim(cpwl: Cpwl) -> dict[str, Any]:
    differing = sum(cell.affines[0] != cell.affines[1] for cell in cpwl.cells)
    return {"kind": "different", "cells": len(cpwl.cells), "differing": differing}


SEPARATIONS = 100_000     # at most this many pairs of cells proved apart; beyond, linear regions are not claimed


def count_claim(cpwl: Cpwl) -> dict[str, Any]:
    """The counts, with the linear regions unless more than ``SEPARATIONS`` pairs of cells with one map lie in
    different regions (merges along shared facets, ``adjacency``, bound them from above; the number of maps, or
    ``separations`` where a map has several regions, from below)."""
    claim = {"kind": "counts", "cells": len(cpwl.cells), "activation_regions": count_activation_regions(cpwl),
             "affine_maps": count_affine_maps(cpwl)}
    if len(separated_pairs(cpwl)) <= SEPARATIONS:
        claim["linear_regions"] = count_linear_regions(cpwl)
    return claim


def adjacency(cpwl: Cpwl) -> list[list[Any]]:
    """For each edge of a spanning forest of the linear-region graph, the two cells (by their
    leaves' order in the tree) and an exact point inside their common facet."""
    graph = linear_region_graph(cpwl)
    position = {cell: k for k, cell in enumerate(leaves_in_order(cpwl.tree))}
    return [[position[i], position[j], [q_to_str(v) for v in graph.edges[i, j]["point"]]]
            for i, j in nx.dfs_edges(graph)]


def separations_json(cpwl: Cpwl) -> list[list[Any]]:
    """For each pair of cells with one map in different linear regions (by their leaves' order in the tree), the
    multipliers showing that they share no facet."""
    position = {cell: k for k, cell in enumerate(leaves_in_order(cpwl.tree))}
    found = []
    for i, j in separated_pairs(cpwl):
        proof = separation(cpwl.cells[i], cpwl.cells[j])
        terms = [[[side, list(rid), y] for side, rid, y in c] for c in proof.combinations]
        found.append([position[i], position[j], {"empty": terms[0]} if proof.empty else {"tight": terms}])
    return found


def leaves_in_order(tree: Optional[Node]) -> list[int]:
    """The cell of each leaf, depth first with children in order (the order the checker meets them)."""
    order, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Leaf):
            order.append(node.cell)
        elif isinstance(node, Split):
            stack.extend(reversed(node.children))
    return order


def write_certificate(cert: dict[str, Any], path: str | Path) -> int:
    """Write ``cert`` (gzip-compressed when ``path`` ends in ``.gz``); return its size in bytes."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100000))
    try:
        data = json.dumps(cert, separators=(",", ":")).encode()
    finally:
        sys.setrecursionlimit(limit)
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)
    return len(data)
