"""Region counts of a refinement whose cells are streamed, not kept: memory grows by a few hundred bytes a cell.

Where a part of the refinement is finished, its cells are packed (``packed``): each cell's activation pattern and
affine maps as compact exact keys, and the cells themselves pickled and compressed. As parts arrive the packed cells
go to a temporary file (``Spill``; so do the parts' certificate lines), and in order the keys are counted
(``Tally``): distinct patterns, distinct maps and, for each map that more than one cell has, its cells. Only those
cells are read back, at the end, to find the linear regions (``regions.regions_of``); every other cell is a linear
region of its own.
"""
from __future__ import annotations

import json
import pickle
import zlib
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Iterator, Optional

from ..core.cpwl import Cell, Cpwl
from ..core.enumerate import Part, collector_paused, refine
from ..core.spill import Spill
from ..geometry.domains import Slice
from ..geometry.polyhedron import Polyhedron
from ..network.ir import Network
from ..network.semantics import Pattern
from .graph import cell_record, lines_file
from .regions import RegionCounts, regions_of


def pattern_key(pattern: Pattern) -> tuple:
    """An activation pattern, each stage's choices as bytes where they fit (a tuple of small ints is 8 bytes a
    choice, bytes one); the 0/1 bytes of a layer split at medians (thousands of ReLU units) eight to a byte."""
    return tuple((int(stage.translate(BITS), 2).to_bytes((len(stage) + 7) // 8, "big")
                  if stage and not stage.translate(None, b"\0\1") else stage) if isinstance(stage, bytes) else
                 bytes(stage) if max(stage, default=0) < 256 else tuple(stage) for stage in pattern)


BITS = bytes.maketrans(b"\0\1", b"01")


def map_key(cell: Cell) -> bytes:
    """Every network's affine map on a cell, exactly, as text: each coefficient ``p/q`` in lowest terms."""
    return "|".join(";".join(",".join(f"{v.numerator}/{v.denominator}" for v in row) for row in (*f.A, f.b))
                    for f in cell.affines).encode()


@dataclass(frozen=True)
class Packed:
    """A part's cells as a streamed count keeps them: each cell's pattern and map keys, and the cells pickled and
    compressed ``chunk`` at a time (``blobs``), or where a ``Spill`` put those blobs (``at``: offset and length
    each), so that reading a few cells back never unpacks a whole part."""
    patterns: tuple[tuple, ...]
    maps: tuple[bytes, ...]
    chunk: int
    blobs: tuple[bytes, ...] = ()
    at: tuple[tuple[int, int], ...] = ()

    def __len__(self) -> int:
        return len(self.maps)

    def __repr__(self) -> str:
        return f"Packed({len(self)} cells)"


CHUNK = 256


def packed(cells: tuple[Cell, ...]) -> Packed:
    """``cells`` packed (``Stream.pack``; run where the part was finished)."""
    return Packed(tuple(pattern_key(c.pattern) for c in cells), tuple(map_key(c) for c in cells), CHUNK,
                  tuple(zlib.compress(pickle.dumps(cells[k:k + CHUNK], protocol=pickle.HIGHEST_PROTOCOL), 1)
                        for k in range(0, len(cells), CHUNK)))


class Tally:
    """The ``Stream`` of a streamed count (``core.enumerate.refine``): the parts' packed cells and certificate lines
    moved to ``spill`` as they arrive, and counted in order; with ``cells_to`` every cell written there as a JSON
    line (``graph.cell_record``) as it is counted."""
    @staticmethod
    def pack(cells: tuple[Cell, ...]) -> Packed:
        return packed(cells)

    def __init__(self, spill: Spill, cells_to: Optional[IO[str]] = None, on: Optional[Slice] = None) -> None:
        self.spill, self.cells_to, self.on = spill, cells_to, on
        self.patterns: set[tuple] = set()
        self.maps: dict[bytes, int] = {}            # map key -> its index, in order of first appearance
        self.first: list[int] = []                  # map index -> its first cell
        self.shared: dict[bytes, list[int]] = {}    # map key -> its cells, for maps of more than one cell
        self.starts: list[int] = []                 # each chunk's first cell
        self.chunks: list[tuple[int, int]] = []     # where each chunk is in the spill
        self.cells = 0

    def __repr__(self) -> str:
        return f"Tally({self.cells} cells, {len(self.maps)} affine maps, {len(self.shared)} shared)"

    def kept(self, part: Part) -> Part:
        """``part`` with its packed cells and its lines moved to the spill."""
        cells, lines = part.cells, part.rendered
        if isinstance(cells, Packed) and cells.blobs:
            cells = replace(cells, blobs=(), at=tuple(self.spill.put(blob) for blob in cells.blobs))
        if lines is not None:
            lines = lines.moved(self.spill)     # ``certificates.trees.Rendered``
        return replace(part, cells=cells, rendered=lines)

    def adopted(self, first: int, cells: Packed) -> None:
        """Count ``cells``, numbered from ``first`` (parts come in order: ``first`` is the number counted so far)."""
        assert first == self.cells, "parts are adopted in order"
        chunks = cells.at + tuple(self.spill.put(blob) for blob in cells.blobs)
        self.chunks.extend(chunks)
        self.starts.extend(range(first, first + len(cells), cells.chunk))
        self.patterns.update(cells.patterns)
        for k, key in enumerate(cells.maps, start=first):
            index = self.maps.setdefault(key, len(self.maps))
            if index == len(self.first):
                self.first.append(k)
            else:
                self.shared.setdefault(key, [self.first[index]]).append(k)
        if self.cells_to is not None:
            for c, at in enumerate(chunks):
                for k, cell in enumerate(self.unpacked(at), start=first + c * cells.chunk):
                    record = cell_record(k, cell, self.maps[cells.maps[k - first]], self.on)
                    self.cells_to.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.cells += len(cells)

    def unpacked(self, at: tuple[int, int]) -> tuple[Cell, ...]:
        return pickle.loads(zlib.decompress(self.spill.get(at)))

    def cells_numbered(self, wanted: set[int]) -> dict[int, Cell]:
        """The cells numbered in ``wanted``, read back from the spill (only the chunks that hold one)."""
        by_chunk: dict[int, list[int]] = {}
        for k in wanted:
            by_chunk.setdefault(bisect_right(self.starts, k) - 1, []).append(k)
        found: dict[int, Cell] = {}
        for chunk, numbers in sorted(by_chunk.items()):
            cells = self.unpacked(self.chunks[chunk])
            found.update((k, cells[k - self.starts[chunk]]) for k in numbers)
        return found

    @collector_paused()     # the cells read back would make the collector walk every key counted
    def region_counts(self) -> RegionCounts:
        """The counts of every cell counted: the linear regions from the cells of shared maps alone."""
        cells = self.cells_numbered({k for members in self.shared.values() for k in members})
        in_order = dict(sorted(self.shared.items(), key=lambda kv: kv[1][0]))      # by first appearance, as in memory
        structure = regions_of(in_order, cells, len(self.maps) - len(self.shared))
        return RegionCounts(len(self.patterns), structure.count, len(self.maps), self.cells, structure)


@dataclass(frozen=True)
class Streamed:
    """A refinement counted as it streamed: its counts, and ``skeleton``, the refinement as ``refine`` returns it with
    a stream (the cells found before the work was cut, a stand-in leaf for each part): what the certificate writer
    walks, while the spill it reads the parts' lines from is open."""
    counts: RegionCounts
    skeleton: Cpwl


@contextmanager
def streamed_counts(net: Network, domain: Polyhedron | Slice, cells: Optional[str | Path] = None,
                    **options: Any) -> Iterator[Streamed]:
    """The region counts of ``net`` on ``domain`` (``refine``'s ``options``: progress, jobs, checkpoint, render)
    with the cells streamed, each written to ``cells`` as a JSON line when a path is given; the spill (in the
    system's temporary folder: ``TMPDIR``) stays open until the block ends, for the certificate writer."""
    with Spill() as spill, lines_file(cells) as out:
        tally = Tally(spill, out, domain if isinstance(domain, Slice) else None)
        skeleton = refine((net,), domain, stream=tally, **options)
        yield Streamed(tally.region_counts(), skeleton)
