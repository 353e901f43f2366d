"""Claim kinds, one class each: what a certificate claims (its ``claim`` object), the evidence it adds beyond the
tree, and how a report words it. The checker has one rule per kind (``polyreg_check.claims``); a new kind is a class
here, an entry in ``CLAIMS`` and a rule there.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Optional, Protocol

import networkx as nx

from ..analysis.regions import RegionCounts, region_counts, separated_pairs, separation
from ..core.cpwl import Cpwl, Leaf, Node, Split
from ..exact.rationals import q_to_str

SEPARATIONS = 100_000     # at most this many pairs of cells proved apart; beyond, linear regions are not claimed


class Claim(Protocol):
    kind: ClassVar[str]
    word: ClassVar[str]       # the report's headline word

    def json(self) -> dict[str, Any]: ...

    def evidence(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Equivalent:
    """``A(x) = B(x)`` on every cell (everywhere when every hard-max head is tie-safe, else on the cells'
    interiors); optionally every hard-max unit's top score at least ``margin`` above every lower one."""
    kind: ClassVar[str] = "equivalent"
    word: ClassVar[str] = "EQUIVALENT"
    everywhere: bool
    cells: int
    margin: Optional[Fraction] = None

    @classmethod
    def of(cls, cpwl: Cpwl) -> "Equivalent":
        return cls(not cpwl.not_tie_safe, len(cpwl.cells))

    def json(self) -> dict[str, Any]:
        margin = {} if self.margin is None else {"margin": q_to_str(self.margin)}
        return {"kind": self.kind, "everywhere": self.everywhere, "cells": self.cells, **margin}

    def evidence(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def describe(claim: dict, how: str) -> str:
        margin = (f" Every hard-max unit scores its keys by constants, the top score at least {claim['margin']} "
                  "above every lower one." if "margin" in claim else "")
        if claim.get("everywhere"):
            return f"{how}: A(x) = B(x) exactly for every x in the domain ({claim.get('cells')} cells).{margin}"
        return f"{how}: A(x) = B(x) exactly on the interior of each of the {claim.get('cells')} cells.{margin}"


@dataclass(frozen=True)
class Different:
    """The affine maps of A and B differ on ``differing`` of the ``cells`` cells: they differ on an open set."""
    kind: ClassVar[str] = "different"
    word: ClassVar[str] = "DIFFERENT"
    cells: int
    differing: int

    @classmethod
    def of(cls, cpwl: Cpwl) -> "Different":
        return cls(len(cpwl.cells), sum(cell.affines[0] != cell.affines[1] for cell in cpwl.cells))

    def json(self) -> dict[str, Any]:
        return {"kind": self.kind, "cells": self.cells, "differing": self.differing}

    def evidence(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def describe(claim: dict, how: str) -> str:
        return (f"{how}: A and B differ on an open set; their affine maps differ on {claim.get('differing')} "
                f"of the {claim.get('cells')} cells of their common refinement.")


@dataclass(frozen=True)
class Counts:
    """Cells, activation regions and affine maps of one network, and its linear regions unless more than
    ``SEPARATIONS`` pairs of cells with one map lie in different regions. Merges along shared facets
    (``adjacency``) bound the linear regions from above; the number of maps, or ``separations`` where a map has
    several regions, from below."""
    kind: ClassVar[str] = "counts"
    word: ClassVar[str] = "COUNTS"
    counts: RegionCounts
    separated: list[tuple[int, int]]     # the pairs of cells with one map in different linear regions

    @classmethod
    def of(cls, cpwl: Cpwl, counts: Optional[RegionCounts] = None) -> "Counts":
        return cls.counted(counts if counts is not None else region_counts(cpwl))

    @classmethod
    def counted(cls, counts: RegionCounts) -> "Counts":
        """The claim of ``counts`` (of a refinement's cells, numbered in the order of their leaves in the tree, as
        the enumerator numbers them)."""
        return cls(counts, separated_pairs(counts.structure))

    @property
    def claims_linear_regions(self) -> bool:
        return len(self.separated) <= SEPARATIONS

    def json(self) -> dict[str, Any]:
        c = self.counts
        claim = {"kind": self.kind, "cells": c.cells, "activation_regions": c.activation_regions,
                 "affine_maps": c.affine_maps}
        return {**claim, "linear_regions": c.linear_regions} if self.claims_linear_regions else claim

    def evidence(self) -> dict[str, Any]:
        if not self.claims_linear_regions:
            return {}
        out: dict[str, Any] = {"adjacency": self.adjacency()}
        if self.counts.linear_regions > self.counts.affine_maps:
            out["separations"] = self.separations()
        return out

    def adjacency(self) -> list[list[Any]]:
        """For each edge of a spanning forest of the linear-region graph, the two cells (by their leaves' order in
        the tree) and an exact point inside their common facet."""
        graph = self.counts.structure.graph
        return [[i, j, [q_to_str(v) for v in graph.edges[i, j]["point"]]] for i, j in nx.dfs_edges(graph)]

    def separations(self) -> list[list[Any]]:
        """For each pair of cells with one map in different linear regions (by their leaves' order in the tree),
        the multipliers showing that they share no facet."""
        cells, found = self.counts.structure.cells, []
        for i, j in self.separated:
            proof = separation(cells[i], cells[j])
            terms = [[[side, list(rid), y] for side, rid, y in c] for c in proof.combinations]
            found.append([i, j, {"empty": terms[0]} if proof.empty else {"tight": terms}])
        return found

    @staticmethod
    def describe(claim: dict, how: str) -> str:
        linear = (f", and {claim['linear_regions']} linear regions (cells merged across shared facets)"
                  if "linear_regions" in claim else ". Linear regions are not part of the claim")
        return (f"{how}: on the domain the network has exactly {claim.get('cells')} cells, "
                f"{claim.get('activation_regions')} activation regions (distinct activation patterns with an "
                f"interior point) and {claim.get('affine_maps')} distinct affine maps{linear}.")


@dataclass(frozen=True)
class SameClass:
    """At every point of the domain some class is top-scoring for both networks (on the cells' interiors only
    unless ``everywhere``); the tree also splits each cell by each network's argmax."""
    kind: ClassVar[str] = "same_class"
    word: ClassVar[str] = "SAME CLASS"
    everywhere: bool
    cells: int

    def json(self) -> dict[str, Any]:
        return {"kind": self.kind, "everywhere": self.everywhere, "cells": self.cells}

    def evidence(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def describe(claim: dict, how: str) -> str:
        where = "at every point of the domain" if claim.get("everywhere") else "on the interior of every cell"
        return (f"{how}: {where} some class is top-scoring for both A and B ({claim.get('cells')} cells split by "
                "both networks' argmax); where each has one top class, it is the same.")


@dataclass(frozen=True)
class Within:
    """``|A(x) - B(x)|_inf <= epsilon`` on every cell (on their interiors only unless ``everywhere``), with the
    multipliers that bound each output difference on each cell where the maps differ."""
    kind: ClassVar[str] = "within"
    word: ClassVar[str] = "WITHIN EPSILON"
    epsilon: Fraction
    everywhere: bool
    cells: int
    cpwl: Cpwl
    bounds: tuple

    def json(self) -> dict[str, Any]:
        return {"kind": self.kind, "epsilon": q_to_str(self.epsilon), "everywhere": self.everywhere,
                "cells": self.cells}

    def evidence(self) -> dict[str, Any]:
        position = leaf_positions(self.cpwl.tree)
        return {"bounds": [[position[cell], k, sign, [[list(rid), q_to_str(y)] for rid, y in multipliers]]
                           for cell, k, sign, multipliers in self.bounds]}

    @staticmethod
    def describe(claim: dict, how: str) -> str:
        where = "for every x in the domain" if claim.get("everywhere") else "on the interior of every cell"
        return f"{how}: |A(x) - B(x)|_inf <= {claim.get('epsilon')} {where} ({claim.get('cells')} cells)."


@dataclass(frozen=True)
class ClassDiffers:
    """At ``point`` the networks' top classes are disjoint (checked by evaluating both there; no tree)."""
    kind: ClassVar[str] = "class_differs"
    word: ClassVar[str] = "DIFFERENT CLASS"
    point: tuple[Fraction, ...]

    def json(self) -> dict[str, Any]:
        return {"kind": self.kind, "point": [q_to_str(v) for v in self.point]}

    def evidence(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def describe(claim: dict, how: str) -> str:
        return f"{how}: the top classes of A and B are disjoint at x = {point_text(claim)}."


@dataclass(frozen=True)
class Exceeds:
    """At ``point``, ``|A(x) - B(x)|_inf > epsilon`` (checked by evaluating both there; no tree)."""
    kind: ClassVar[str] = "exceeds"
    word: ClassVar[str] = "EXCEEDS EPSILON"
    epsilon: Fraction
    point: tuple[Fraction, ...]

    def json(self) -> dict[str, Any]:
        return {"kind": self.kind, "epsilon": q_to_str(self.epsilon), "point": [q_to_str(v) for v in self.point]}

    def evidence(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def describe(claim: dict, how: str) -> str:
        return f"{how}: |A(x) - B(x)|_inf > {claim.get('epsilon')} at x = {point_text(claim)}."


def point_text(claim: dict) -> str:
    return "(" + ", ".join(map(str, claim.get("point", []))) + ")"


def answer_claim(answer: Any) -> Claim:
    """The claim of a classifier question's answer (``analysis.classifiers.Answer``)."""
    if not answer.holds:
        x = answer.witness.x
        return ClassDiffers(x) if answer.question == "top-1" else Exceeds(answer.epsilon, x)
    if answer.question == "top-1":
        return SameClass(answer.everywhere, answer.cells)
    return Within(answer.epsilon, answer.everywhere, answer.cells, answer.refinement, answer.bounds)


# keyed by kind; Optional, as it is looked up with a certificate's "kind", which may be missing
CLAIMS: dict[Optional[str], Any] = {kind.kind: kind for kind in (Equivalent, Different, Counts, SameClass, Within,
                                                                 ClassDiffers, Exceeds)}


def verdict_claim(verdict: Any, margin: Optional[Fraction] = None) -> Equivalent | Different:
    """The claim of an equivalence verdict (on a polytope or a mixed domain)."""
    if verdict.equivalent:
        return Equivalent(verdict.everywhere, verdict.cells, margin)
    return Different(verdict.cells, verdict.differing_cells)


def describe(claim: dict, verified: bool) -> str:
    """A report's sentence for ``claim``."""
    how = "Proved" if verified else "Claimed (not verified)"
    kind = CLAIMS.get(claim.get("kind"), Counts)
    return kind.describe(claim, how)


def leaf_positions(tree: Optional[Node]) -> dict[int, int]:
    """Each cell's leaf position, depth first with children in order (the order the checker meets them)."""
    order, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Leaf):
            order.append(node.cell)
        elif isinstance(node, Split):
            stack.extend(reversed(node.children))
    return {cell: k for k, cell in enumerate(order)}
