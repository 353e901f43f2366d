"""A refinement's tree as certificate JSON (``polyreg_check/SPEC.md``, "Tree"), three ways: as JSON values
(``tree_json``), or as text written straight from the tree's nodes, nested (format 1, ``nested_text``) or one node
a line (format 2, ``node_lines``), so that a large certificate is written without first building its tree as JSON.
All three walk the tree with an explicit stack: a tree nests one level per split.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

from polyreg_check.schema import SUBTREE

from ..core.cpwl import Cpwl, Leaf, Node, Prune, Split
from ..core.spill import Spill
from ..exact.rationals import q_to_str

GZIP_LEVEL = 6      # about 3x faster than 9 on certificates, and 3% larger
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"    # deflate, no name, mtime 0, unknown OS (RFC 1952)


@dataclass(frozen=True)
class Rendered:
    """A subtree's format 2 lines (newline-terminated UTF-8), compressed where the subtree was refined: a raw
    deflate stream with the CRC-32 and length of the text, so it is written to a gzip file as one member as is."""
    deflated: bytes
    crc: int
    size: int

    def __repr__(self) -> str:
        return f"Rendered({self.size} bytes)"

    def text(self) -> bytes:
        return zlib.decompress(self.deflated, -15)

    def gzip_member(self) -> bytes:
        return GZIP_HEADER + self.deflated + struct.pack("<II", self.crc, self.size & 0xFFFFFFFF)

    def moved(self, spill: Spill) -> "Spilled":
        """The same lines, their bytes moved to ``spill``."""
        return Spilled(spill, spill.put(self.deflated), self.crc, self.size)


@dataclass(frozen=True)
class Spilled:
    """``Rendered`` lines whose bytes were moved to a ``Spill`` (a streamed refinement), read back when written."""
    spill: Spill
    at: tuple[int, int]
    crc: int
    size: int

    def __repr__(self) -> str:
        return f"Spilled({self.size} bytes)"

    def text(self) -> bytes:
        return self.read().text()

    def gzip_member(self) -> bytes:
        return self.read().gzip_member()

    def moved(self, spill: Spill) -> "Spilled":
        return self

    def read(self) -> Rendered:
        return Rendered(self.spill.get(self.at), self.crc, self.size)


Lines = Union[Rendered, Spilled]       # a subtree's lines, rendered where it was refined


def rendered(cpwl: Cpwl) -> Rendered:
    """``cpwl``'s tree as format 2 lines (``node_lines``), compressed (``Rendered``): what a worker process makes of
    its part of a refinement (``core.enumerate.refine``'s ``render``) for a format 2 certificate."""
    compressor, crc, size, chunks = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15), 0, 0, []
    for data in megabytes(node_lines(cpwl)):
        crc, size = zlib.crc32(data, crc), size + len(data)
        chunks.append(compressor.compress(data))
    return Rendered(b"".join(chunks) + compressor.flush(), crc, size)


def megabytes(lines: Iterator[str | Lines]) -> Iterator[bytes]:
    """``lines`` (those already ``Rendered`` decompressed), each ending in a newline, as UTF-8 about a megabyte at a
    time."""
    pieces, size = [], 0
    for line in lines:
        piece = line + "\n" if isinstance(line, str) else line.text().decode()
        pieces.append(piece)
        size += len(piece)
        if size >= 1 << 20:
            yield "".join(pieces).encode()
            pieces, size = [], 0
    yield "".join(pieces).encode()


@dataclass(frozen=True)
class TreeOf:
    """A certificate's ``tree`` left as ``cpwl``'s nodes until it is written (``certificate(.., lazy=True)``)."""
    cpwl: Cpwl

    def __repr__(self) -> str:
        return f"TreeOf({len(self.cpwl.cells)} cells)"


def tree_json(cpwl: Cpwl) -> Any:
    """The refinement's tree as JSON values."""
    root: list[Any] = [None]
    stack: list[tuple[Optional[Node], list[Any], int]] = [(cpwl.tree, root, 0)]
    while stack:
        node, parent, slot = stack.pop()
        if isinstance(node, Split):
            children: list[Any] = [None] * len(node.children)
            parent[slot] = {"split": children, "unit": node.unit} if node.named else {"split": children}
            stack.extend((child, children, k) for k, child in enumerate(node.children))
        elif isinstance(node, Prune):
            parent[slot] = {"prune": [[list(rid), y] for rid, y in node.multipliers], "empty": node.empty}
        elif isinstance(node, Leaf):
            parent[slot] = {"leaf": [q_to_str(v) for v in cpwl.cells[node.cell].point]}
    return root[0]


def nested_text(cpwl: Cpwl) -> Iterator[str]:
    """The compact JSON text of ``tree_json(cpwl)``, in pieces."""
    stack: list[Optional[Node] | str] = [cpwl.tree]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Split):
            pieces: list[Optional[Node] | str] = ['{"split":[']
            for k, child in enumerate(item.children):
                pieces += [","] * (k > 0) + [child if isinstance(child, (Split, Leaf)) else inline_text(child)]
            stack += reversed(pieces + [unit_text(item) + "}"])
        else:
            yield node_text(cpwl, item)


def node_lines(cpwl: Cpwl) -> Iterator[str | Lines]:
    """Format 2: the tree's nodes in preorder, one compact JSON text each, a split's subtrees as ``"subtree"``; a
    subtree rendered where it was refined (``Cpwl.rendered``) as its ``Rendered`` lines."""
    stack: list[Optional[Node]] = [cpwl.tree]
    while stack:
        node = stack.pop()
        done = cpwl.rendered.get(id(node))
        if done is not None:
            yield done
            continue
        yield node_text(cpwl, node)
        if isinstance(node, Split):
            stack += reversed([child for child in node.children if isinstance(child, (Split, Leaf))])


def node_text(cpwl: Cpwl, node: Optional[Node]) -> str:
    """A node's own line in format 2: a split with its children inline but for subtrees, or a leaf."""
    if isinstance(node, Split):
        return '{"split":[' + ",".join(f'"{SUBTREE}"' if isinstance(child, (Split, Leaf)) else inline_text(child)
                                       for child in node.children) + unit_text(node) + "}"
    if isinstance(node, Leaf):
        return '{"leaf":[' + ",".join(f'"{q_to_str(v)}"' for v in cpwl.cells[node.cell].point) + "]}"
    return inline_text(node)


def unit_text(split: Split) -> str:
    """The end of a split's list of children, and the unit it names (``Split.named``)."""
    return f'],"unit":{split.unit}' if split.named else "]"


def inline_text(node: Optional[Node]) -> str:
    """A child that is never a subtree: null or a prune."""
    if node is None:
        return "null"
    assert isinstance(node, Prune)
    terms = ",".join(f"[[{s},{u},{c}],{y}]" for (s, u, c), y in node.multipliers)
    return f'{{"prune":[{terms}],"empty":{"true" if node.empty else "false"}}}'
