"""Write a refinement's evidence as a certificate that the checker (``polyreg_check``) re-verifies.

The certificate holds the networks (canonical JSON, dense matrices, with their SHA-256), the
domain's rows and an exact interior point, the stage order, the claim (``claims.py``), and the tree: a split
per undecided unit (one child per candidate: null, a subtree or a prune with integer
multipliers over named rows) and a leaf with an exact interior point per cell. Cells, maps and
patterns are not written: the checker recomputes them. Over a mixed domain the domain, order and tree are
written once per discrete case. The ``producer`` section (``provenance``) is not checked.
The format is specified in ``polyreg_check/SPEC.md``.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Optional, Sequence

from ..analysis.cases import CaseVerdict, MixedVerdict
from ..core.cpwl import Cpwl
from ..exact.rationals import q_to_str, vec_from_hom
from ..formats.json_files import network_to_json
from ..geometry.domains import MixedDomain, Slice, domain_interior_point
from ..geometry.polyhedron import Polyhedron
from ..network.ir import Network
from .claims import Claim, verdict_claim
from .flat import compact, flat_lines
from .trees import GZIP_LEVEL, Lines, TreeOf, nested_text, tree_json

FORMAT = "polyreg.certificate/1"


def canonical_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def certificate(cpwl: Cpwl, claim: Claim, producer: Optional[dict[str, Any]] = None,
                lazy: bool = False) -> dict[str, Any]:
    """The certificate of ``claim`` about ``cpwl``'s networks on its domain; ``producer`` is
    unchecked information (see ``provenance``). With ``lazy`` the tree stays ``cpwl``'s nodes (``trees.TreeOf``)
    until ``write_certificate`` writes it."""
    return {"format": FORMAT, "claim": claim.json(), "networks": networks_json(cpwl.originals or cpwl.networks),
            **slice_json(cpwl.slice), **case_json(cpwl, lazy), **claim.evidence(),
            **({"producer": producer} if producer else {})}


def point_certificate(networks: Sequence[Network], domain: Polyhedron | Slice, claim: Claim,
                      producer: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The certificate of a claim about one point of ``domain`` (``claims.AtPoint``): the networks, the domain
    (its rows and an interior point) and the slice; no tree."""
    polytope = domain.parameters if isinstance(domain, Slice) else domain
    inside = [q_to_str(v) for v in vec_from_hom(domain_interior_point(polytope))]
    return {"format": FORMAT, "claim": claim.json(), "networks": networks_json(networks),
            **slice_json(domain if isinstance(domain, Slice) else None),
            "domain": {"rows": [list(r) for r in polytope.rows], "point": inside},
            **({"producer": producer} if producer else {})}


def slice_json(on: Optional[Slice]) -> dict[str, Any]:
    """On a slice: its origin and directions (the domain's coordinates are its parameters); else nothing."""
    if on is None:
        return {}
    return {"slice": {"origin": [q_to_str(v) for v in on.origin],
                      "directions": [[q_to_str(v) for v in d] for d in on.directions]}}


def networks_json(networks: Sequence[Network]) -> list[dict[str, Any]]:
    """Each network as canonical JSON (dense matrices) with its SHA-256."""
    return [{"network": n, "sha256": canonical_hash(n)} for n in (network_to_json(net, dense=True) for net in networks)]


def case_json(cpwl: Cpwl, lazy: bool = False) -> dict[str, Any]:
    """The domain (integer rows and an interior point), the stage order and the tree of a refinement (see
    ``certificate`` for ``lazy``)."""
    return {"domain": {"rows": [list(r) for r in cpwl.domain.rows],
                       "point": [q_to_str(v) for v in cpwl.cells[0].point]},
            "order": [list(o) for o in cpwl.order], "tree": TreeOf(cpwl) if lazy else tree_json(cpwl)}


def case_of(case: CaseVerdict, lazy: bool = False) -> dict[str, Any]:
    """One discrete case: its refinement, or (without free coordinates) no rows and one leaf with an empty point."""
    if case.refinement is not None:
        return case_json(case.refinement, lazy)
    return {"domain": {"rows": [], "point": []}, "order": [list(o) for o in case.order], "tree": {"leaf": []}}


def mixed_certificate(verdict: MixedVerdict, a: Network, b: Network, domain: MixedDomain,
                      producer: Optional[dict[str, Any]] = None, margin: Optional[Fraction] = None,
                      lazy: bool = False) -> dict[str, Any]:
    """The certificate of ``verdict`` over a mixed domain: the discrete groups, the free coordinates and one case
    per assignment in product order; split by outputs, the cases of each part with its outputs and varied groups.
    An equivalence can also claim a ``margin``: every hard-max unit scores its keys by constants, the top one at
    least ``margin`` above every lower one. ``lazy``: see ``certificate``."""
    evidence = ({"parts": [{"outputs": list(p.outputs), "groups": list(p.groups),
                            "cases": [case_of(c, lazy) for c in p.cases]} for p in verdict.parts]} if verdict.split
                else {"cases": [case_of(c, lazy) for c in verdict.parts[0].cases]})
    discrete = [{"coordinates": list(g.coordinates), "values": [[q_to_str(v) for v in vector] for vector in g.values]}
                for g in domain.discrete]
    return {"format": FORMAT, "claim": verdict_claim(verdict, margin).json(), "networks": networks_json((a, b)),
            "discrete": discrete, "free": list(domain.free), **evidence, **({"producer": producer} if producer else {})}


def provenance(command: list[str], inputs: list[str], seconds: float, **facts: Any) -> dict[str, Any]:
    """Who made a certificate, when, from which files (with their SHA-256), and how long it took."""
    return {"polyreg": version("polyreg"), "id": str(uuid.uuid4()),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(command),
            "inputs": [{"path": p, "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest()} for p in inputs],
            "seconds": round(seconds, 3), **facts}


# Values under these keys nest only a few levels: the C encoder writes them whole.
SHALLOW = {"format", "claim", "networks", "producer", "discrete", "free", "adjacency", "separations", "domain", "order",
           "outputs", "groups", "leaf", "prune", "empty"}


def json_chunks(value: Any) -> Iterator[str]:
    """``json.dumps(value, separators=(",", ":"))`` in pieces, without recursion through trees: containers are
    walked with an explicit stack, and a dict whose keys are all in ``SHALLOW`` is written by ``json.dumps``."""
    stack: list[Iterator[tuple[str, Any]]] = [iter((("", value),))]
    closers = [""]
    while stack:
        pair = next(stack[-1], None)
        if pair is None:
            stack.pop()
            yield closers.pop()
            continue
        prefix, item = pair
        if isinstance(item, dict) and not item.keys() <= SHALLOW:
            assert all(isinstance(key, str) for key in item), "certificate keys are strings"
            yield prefix + "{"
            stack.append(((("," if k else "") + json.dumps(key) + ":", Encoded(compact(v)) if key in SHALLOW else v)
                          for k, (key, v) in enumerate(item.items())))
            closers.append("}")
        elif isinstance(item, list):
            yield prefix + "["
            stack.append(((("," if k else ""), v) for k, v in enumerate(item)))
            closers.append("]")
        elif isinstance(item, TreeOf):
            yield prefix
            yield from nested_text(item.cpwl)
        else:
            yield prefix + (item.text if isinstance(item, Encoded) else compact(item))


class Encoded:
    """JSON text already written."""
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass(frozen=True)
class Written:
    """A certificate file as written: its size in bytes, and the size of its JSON text (decompressed), which is what
    a checker's ``--max-bytes`` bounds."""
    file_size: int
    text_size: int


def write_certificate(cert: dict[str, Any], path: str | Path) -> Written:
    """Write ``cert`` (gzip-compressed when ``path`` ends in ``.gz``; in format 2 when it ends in ``.jsonl`` or
    ``.jsonl.gz``, subtrees rendered elsewhere copied in as they are); its sizes."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    flat = str(path).removesuffix(".gz").endswith(".jsonl")
    partial = Path(str(path) + ".partial")      # renamed into place once whole: an interrupted write leaves no file
    with open(partial, "wb") as raw:
        sink = Sink(raw, str(path).endswith(".gz"))
        pieces: list[str] = []
        size = 0
        for piece in (line + "\n" if isinstance(line, str) else line for line in flat_lines(cert)) if flat \
                else json_chunks(cert):
            if not isinstance(piece, str):
                sink.text("".join(pieces).encode())
                sink.rendered(piece)
                pieces, size = [], 0
                continue
            pieces.append(piece)
            size += len(piece)
            if size >= 1 << 20:         # written a megabyte at a time
                sink.text("".join(pieces).encode())
                pieces, size = [], 0
        sink.text("".join(pieces).encode())
        sink.close()
    os.replace(partial, path)
    return Written(Path(path).stat().st_size, sink.text_size)


class Sink:
    """A certificate file being written: plain, or gzip-compressed as a sequence of members (RFC 1952; readers
    concatenate them), each ``Rendered`` subtree a member of its own, copied in without compressing again."""

    def __init__(self, raw: BinaryIO, compressed: bool) -> None:
        self.raw, self.compressed = raw, compressed
        self.member: Optional[gzip.GzipFile] = None
        self.text_size = 0          # bytes of text written, before compression

    def text(self, data: bytes) -> None:
        self.text_size += len(data)
        if not data:
            return
        if not self.compressed:
            self.raw.write(data)
            return
        if self.member is None:
            self.member = gzip.GzipFile("", "wb", compresslevel=GZIP_LEVEL, fileobj=self.raw, mtime=0)
        self.member.write(data)

    def rendered(self, subtree: Lines) -> None:
        self.text_size += subtree.size
        if not self.compressed:
            self.raw.write(subtree.text())
            return
        self.close()
        self.raw.write(subtree.gzip_member())

    def close(self) -> None:
        """End the gzip member being written (the file itself stays open)."""
        if self.member is not None:
            self.member.close()
            self.member = None
