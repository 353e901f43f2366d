"""Refine a domain into the cells of one or more networks (their common refinement), exactly.

The networks' stages (``stages.py``) are decided in one merged order that keeps each network's
own order (``interleaved``). On entering a stage with a cell ``C`` (and an exact point strictly
inside it) every unit's options are classified once on ``C``: options whose region meets the
interior of ``C`` stay *live*, the others get a ``Prune`` proof from the oracle. Then the cell
is split over the live options unit by unit, each child getting its option's rows and an exact
interior point, or a proof that it has none. Only real splits add rows to a cell. Proofs
come from a row opposite to one the cell already has (thin), from the cell's certified
bounding box, or from an exact LP, in that order.

The refinement works on an explicit stack of work items (``work.py``), depth first with children in order, so
cells, tree and certificates come out in one fixed order; an item can be finished in another process.
"""
from __future__ import annotations

import gc
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import gcd
from typing import Any, Callable, Iterator, Optional, Protocol, Sequence, cast

from ..errors import InputError
from ..exact.flint_matrices import Conversions, affine_from_flint
from ..exact.rationals import Hom, Row, q_to_str, row_at, vec_from_hom
from ..geometry.domains import Slice, domain_interior_point
from ..geometry.oracle import HIGHS_FROM, Interior, RowMemo, axis_bounds, interior_point_or_proof
from ..geometry.polyhedron import Polyhedron, RowId
from ..network.ir import Network
from ..network.rewrite import on_slice
from .checkpoint import Checkpoint
from .cpwl import Cell, Cpwl, FlatNode, Leaf, Node, Prune, Split, flat_tree, tree_of
from .stages import Program, ScoreNotAffine, Step, Unit, program_of, with_class_stage
from .work import Box, CellState, StageEntry, UnitDecision, Wide, WorkItem
from .workers import Jobs, finished_unordered, parallel

Progress = Callable[[int, float, int], None]   # (cells so far, seconds so far, work items open: the frontier)
SPLIT_AFTER = 500      # cells found in one enumerator before the work left is cut into items (for any jobs)
CUT_INTO = 256         # the work left is cut into at least this many items, the shallowest first (with 64, one
                       # part of a 4->32->32 net held 22% of its cells, and a process that finishes it all its memory)
CUT_WIDE_INTO = 64     # with a layer split at medians: each item recomputes the layer's units (20,000 in the benchmark)


def lower(net: Network, domain: Polyhedron | Slice, progress: Progress | None = None,
          float_guesses: bool = True, jobs: Jobs = 1, checkpoint: Optional[str] = None,
          render: Optional[Callable[[Cpwl], Any]] = None, stream: Optional["Stream"] = None) -> Cpwl:
    """The exact CPWL object of ``net`` on ``domain`` (bounded and full-dimensional).

    ``float_guesses`` lets a floating-point LP suggest each answer before it is confirmed
    exactly; the result is the same with it off, only slower. ``jobs``, ``checkpoint``, ``render``, ``stream``: see
    ``refine``.
    """
    return refine((net,), domain, progress, float_guesses, jobs=jobs, checkpoint=checkpoint, render=render,
                  stream=stream)


def refine(networks: Sequence[Network], domain: Polyhedron | Slice, progress: Progress | None = None,
           float_guesses: bool = True, only_relevant: bool = False,
           conversions: Optional[Conversions] = None, classes: bool = False,
           watch: Optional[Callable[[Cell], None]] = None, jobs: Jobs = 1, split_after: int = SPLIT_AFTER,
           checkpoint: Optional[str] = None, render: Optional[Callable[[Cpwl], Any]] = None,
           stream: Optional["Stream"] = None) -> Cpwl:
    """The common refinement of ``networks`` on ``domain``: cells on which every network is affine; with
    ``only_relevant``, units that reach no output are not decided (``stages.program_of``); with ``classes``, each
    network's predicted class is one more stage (``stages.ClassStage``). ``watch`` sees each cell as it is found
    (an exception it raises ends the refinement). On a ``Slice`` the networks composed with it are refined on its
    parameter polytope.

    Once ``split_after`` cells are found, the work left is cut into items (``Enumerator.cut``), each finished by an
    enumerator of its own, on ``jobs``: a number of processes (this one for 1, and always so with a ``watch``) or a
    ``workers.Dask`` cluster; the same cells, tree and certificate for every choice. With a ``checkpoint`` directory
    (not with a ``watch``) each item's part is saved there as it is finished, and a rerun loads the parts saved.
    ``render`` (a module-level function, for other processes) is applied to each part finished elsewhere, there; the
    result keeps what it made (``Cpwl.rendered``): the certificate writer renders subtrees in parallel that way.
    With a ``stream`` (not with a ``watch``) the cells go there (see ``Stream``) and the result keeps only those found
    before the work was cut, each part's subtree replaced by ``Leaf(-1)``, rendered when ``render`` is given."""
    with collector_paused():
        return refined(networks, domain, progress, float_guesses, only_relevant, conversions, classes, watch, jobs,
                       split_after, checkpoint, render, stream)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, and resumed as it was. A refinement makes millions of lasting objects
    and no reference cycles (none found to collect after refinements of every kind), and the collector's passes over
    them cost a fifth of the time (17k cells: 21.6 s with it, 17.1 s without, the same peak memory)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def refined(networks: Sequence[Network], domain: Polyhedron | Slice, progress: Progress | None, float_guesses: bool,
            only_relevant: bool, conversions: Optional[Conversions], classes: bool,
            watch: Optional[Callable[[Cell], None]], jobs: Jobs, split_after: int, checkpoint: Optional[str],
            render: Optional[Callable[[Cpwl], Any]], stream: Optional["Stream"]) -> Cpwl:
    """``refine``, with the collector paused."""
    if isinstance(domain, Slice):
        composed = [on_slice(net, domain.origin, domain.directions) for net in networks]
        sliced = refine(composed, domain.parameters, progress, float_guesses, only_relevant, conversions, classes,
                        watch, jobs, split_after, checkpoint, render, stream)
        return replace(sliced, slice=domain, originals=tuple(networks))
    assert stream is None or watch is None, "a streamed refinement has no watch"
    reused = Reused(conversions if conversions is not None else Conversions())
    setting = Setting(tuple(networks), domain, float_guesses, only_relevant, classes, render,
                      None if stream is None else stream.pack, reused)
    kept = None if checkpoint is None or watch is not None else Checkpoint(checkpoint, (replace(setting, render=None),
                                                                                        split_after))
    enumerator = Enumerator(networks, domain, progress, float_guesses, only_relevant, reused, classes, watch)
    enumerator.stream, enumerator.render = stream, render
    left = enumerator.run_until([enumerator.first_item()], split_after)
    if stream is not None:
        stream.adopted(0, stream.pack(tuple(enumerator.cells)))
    if left:
        # cut only for other processes: cells found while cutting would meet ``watch`` out of order
        wanted = CUT_WIDE_INTO if enumerator.at_medians else CUT_INTO
        pieces = enumerator.cut(left, wanted) if watch is None else [(item, None) for item in left]
        items = [item for item, part in pieces if part is None]
        enumerator.arrived(sum(len(part.cells) for _, part in pieces if part is not None))   # leaves of the cut
        parts = enumerator.finished(setting, items, jobs, kept)
        for item, part in pieces:
            if part is not None:
                enumerator.elsewhere -= len(part.cells)
            enumerator.adopt(item, part if part is not None else next(parts))
    return enumerator.result()


@dataclass
class Reused:
    """What the enumerators of a refinement's items reuse in one process: the weight matrices converted to FLINT and
    the oracle's row memo (each item's enumerator made them again), safe to share between a Dask worker's threads.
    Sent to another process empty."""
    conversions: Conversions = field(default_factory=Conversions)
    rows: RowMemo = field(default_factory=RowMemo)

    def __reduce__(self) -> tuple:
        return Reused, ()


@dataclass(frozen=True)
class Setting:
    """What an enumerator of one work item needs besides the item (sent to another process with it, once)."""
    networks: tuple[Network, ...]
    domain: Polyhedron
    float_guesses: bool
    only_relevant: bool
    classes: bool
    render: Optional[Callable[[Cpwl], Any]] = None
    pack: Optional[Callable[[tuple[Cell, ...]], Any]] = None     # ``Stream.pack``
    reused: Reused = field(default_factory=Reused, compare=False, repr=False)


@dataclass(frozen=True, eq=False)
class Part:
    """A work item's subtree, finished by an enumerator of its own: its cells (or, ``packed``, what ``Stream.pack``
    made of them), its tree (leaves numbering the cells from ``first_leaf``), the heads it found not tie-safe, and what
    ``Setting.render`` made of it (where it was finished elsewhere). The tree is given either built (``tree``) or as
    ``cpwl.flat_tree`` made it (``flat``: a part finished in a worker or loaded from a checkpoint), to be built once in
    its place (``numbered_from``)."""
    cells: Any      # tuple[Cell, ...], or with ``packed`` what ``Stream.pack`` made of them (it has a length)
    tree: Optional[Node]
    not_tie_safe: tuple[str, ...]
    rendered: Any = None
    first_leaf: int = 0
    flat: Optional[list[FlatNode]] = None
    packed: bool = False

    def __reduce__(self) -> tuple:
        """Pickled with its tree flat (``cpwl.flat_tree``): a deep tree would exceed the recursion limit."""
        return Part, (self.cells, None, self.not_tie_safe, self.rendered, self.first_leaf,
                      self.flat if self.flat is not None else flat_tree(self.tree), self.packed)

    def __post_init__(self) -> None:
        assert (self.tree is None) != (self.flat is None), "a part's tree is given built or flat, not both"

    def numbered_from(self, first: int) -> Node:
        """Its tree with the leaves numbering its cells from ``first``."""
        offset = first - self.first_leaf
        if self.flat is not None:
            built = tree_of(self.flat, offset)
            assert built is not None
            return built
        assert self.tree is not None
        return shifted(self.tree, offset) if offset else self.tree


def finished_part(setting: Setting, item: WorkItem) -> Part:
    """The ``Part`` of an item (in a worker process: the item came pickled, without its place in the tree)."""
    enumerator = Enumerator(setting.networks, setting.domain, None, setting.float_guesses, setting.only_relevant,
                            setting.reused, setting.classes)
    with collector_paused():        # paused also while the part is rendered and flattened
        enumerator.run([item])
        part = enumerator.result()
        rendered = None if setting.render is None else setting.render(part)
        if setting.pack is None:
            return Part(part.cells, None, part.not_tie_safe, rendered, flat=flat_tree(part.tree))
        # no tree: a stand-in takes the place of a streamed part's subtree
        return Part(setting.pack(part.cells), None, part.not_tie_safe, rendered, flat=[], packed=True)


class Stream(Protocol):
    """Where a streamed refinement's cells go instead of ``Cpwl.cells`` (``refine``): ``pack`` (a module-level
    function, for other processes) makes a part's cells into what is kept of them, where the part was finished;
    ``kept`` sees each part as it arrives, in any order (to move what it keeps out of memory) and gives back what to
    hold; ``adopted`` gets what was kept in order, numbered from ``first``: every cell exactly once."""
    @staticmethod
    def pack(cells: tuple[Cell, ...]) -> Any: ...

    def kept(self, part: Part) -> Part: ...

    def adopted(self, first: int, cells: Any) -> None: ...


def finished_parts(setting: Setting, items: dict[int, WorkItem], jobs: Jobs,
                   arrived: Callable[[int, Optional[Part]], Optional[Part]]) -> dict[int, Part]:
    """The parts of ``items`` (by number), finished on ``jobs`` (``workers.finished_unordered``), each told to
    ``arrived`` as it comes (and ``None`` after each second without one), which gives back what to keep. The last
    items are sent first: they lie deepest in the stack, nearest the root, and hold the largest subtrees. The work
    stops at once when the caller stops."""
    numbers = sorted(items, reverse=True)
    done: dict[int, Part] = {}
    with closing(finished_unordered(jobs, finished_part, [items[n] for n in numbers], setting)) as results:
        for result in results:
            if result is None:
                arrived(-1, None)
                continue
            k, part = result
            done[numbers[k]] = cast(Part, arrived(numbers[k], part))
    return done


def shifted(tree: Node, offset: int) -> Node:
    """``tree`` with every leaf's cell number raised by ``offset`` (rebuilt children first, without recursion)."""
    order, stack = [], [tree]
    while stack:
        node = stack.pop()
        order.append(node)
        if isinstance(node, Split):
            stack.extend(child for child in node.children if child is not None)
    new: dict[int, Node] = {}
    for node in reversed(order):
        if isinstance(node, Leaf):
            new[id(node)] = Leaf(node.cell + offset)
        elif isinstance(node, Split):
            new[id(node)] = Split(node.stage, node.unit,
                                  tuple(None if child is None else new[id(child)] for child in node.children),
                                  node.named)
        else:
            new[id(node)] = node
    return new[id(tree)]


def stage_order(networks: Sequence[Network]) -> tuple[tuple[int, int], ...]:
    """The merged stage order of ``networks`` (``interleaved``) as (network, stage) pairs."""
    return tuple(interleaved([program_of(net) for net in networks]))


class SplitBuilder:
    """A split whose children are still being filled in (a child is a node, or another builder)."""
    __slots__ = ("stage", "unit", "children", "named")

    def __init__(self, stage: int, unit: int, num_options: int, named: bool = False) -> None:
        self.stage, self.unit, self.named = stage, unit, named
        self.children: list[Optional[Node | SplitBuilder]] = [None] * num_options


class Enumerator:
    """The refinement of ``networks`` on ``domain``: ``run`` processes work items depth first; ``result`` is the
    CPWL object of the cells found. Every choice of this object's (box proofs, tie-safety) is kept here."""

    def __init__(self, networks: Sequence[Network], domain: Polyhedron, progress: Progress | None = None,
                 float_guesses: bool = True, only_relevant: bool = False,
                 reused: Optional[Reused] = None, classes: bool = False,
                 watch: Optional[Callable[[Cell], None]] = None) -> None:
        for net in networks:
            if domain.dim != net.input_dim:
                raise InputError(f"the domain has dimension {domain.dim} but a network expects "
                                 f"input_dim = {net.input_dim}")
        reused = reused if reused is not None else Reused()
        self.networks, self.domain = tuple(networks), domain
        self.programs: list[Program] = [program_of(net, only_relevant, reused.conversions) for net in networks]
        if classes:
            self.programs = [with_class_stage(program) for program in self.programs]
        self.order = interleaved(self.programs)
        self.stages = [(p, self.programs[p].stages[i]) for p, i in self.order]
        self.at_medians = {s for s, (_, stage) in enumerate(self.stages) if stage.splits_at_medians(domain.dim)}
        self.float_guesses, self.dim = float_guesses, domain.dim
        self.cells: list[Cell] = []
        self.roots: list[Node | SplitBuilder] = []
        self.splits: list[SplitBuilder] = []
        self.rendered: dict[int, Any] = {}      # see ``Cpwl.rendered``
        self.first_leaf = 0                      # the number of this enumerator's first cell in its leaves
        self.not_tie_safe: set[str] = set()
        self.own_boxes = self.box_proofs = 0
        self.rows = reused.rows
        self.progress, self.started, self.watch = progress, time.perf_counter(), watch
        self.elsewhere = 0          # cells found in other processes and not yet adopted
        self.stack: list[WorkItem] = []     # the items open in ``run_until``
        self.waiting = 0            # items to finish besides those (``finished``)
        self.stream: Optional[Stream] = None    # see ``refine``
        self.render: Optional[Callable[[Cpwl], Any]] = None
        self.streamed = 0           # cells adopted into the stream

    def found(self) -> int:
        """The number of cells adopted so far."""
        return len(self.cells) + self.streamed

    def first_item(self) -> WorkItem:
        """The whole domain, before the first stage."""
        point = domain_interior_point(self.domain)
        ids = [(-1, j, -1) for j in range(len(self.domain.rows))]
        cell = CellState(list(self.domain.rows), ids, point)
        return WorkItem(cell, 0, tuple(program.start for program in self.programs))

    def run(self, items: Sequence[WorkItem]) -> None:
        """Refine ``items`` and everything below them, depth first, children in order."""
        self.run_until(items, None)

    def run_until(self, items: Sequence[WorkItem], cells: Optional[int]) -> list[WorkItem]:
        """``run``, stopped once ``cells`` cells are found (None: never); the items left, in order."""
        self.stack = stack = list(reversed(items))
        while stack and (cells is None or len(self.cells) < cells):
            stack.extend(reversed(self.process(stack.pop())))
        return stack[::-1]

    def cut(self, items: list[WorkItem], wanted: int) -> list[tuple[WorkItem, Optional[Part]]]:
        """``items`` (in order) cut until ``wanted`` are left: the shallowest item is replaced by its children, in
        its place, or by the part it is when it turns out a cell (numbered later, in order, by ``adopt``). The cut
        depends on the items only, never on the number of processes."""
        pieces: list[tuple[WorkItem, Optional[Part]]] = [(item, None) for item in items]
        while 0 < sum(part is None for _, part in pieces) < wanted:
            k = min((i for i, (_, part) in enumerate(pieces) if part is None), key=lambda i: depth(pieces[i][0]))
            item = pieces[k][0]
            kept, self.cells, progress, self.progress = self.cells, [], self.progress, None    # counted when adopted
            children = self.process(item)
            found, self.cells, self.progress = self.cells, kept, progress
            if found:       # the leaf, below the splits that settled a wide layer's units on the way
                placed = self.roots[-1] if item.parent is None else item.parent[item.slot]
                pieces[k:k + 1] = [(item, Part(tuple(found), built(placed), (), first_leaf=self.first_leaf))]
            else:
                pieces[k:k + 1] = [(c, None) for c in children]
        return pieces

    def finished(self, setting: Setting, items: list[WorkItem], jobs: Jobs,
                 kept: Optional[Checkpoint]) -> Iterator[Part]:
        """The parts of ``items``, in order: those saved in ``kept`` loaded, the others finished on ``jobs`` (in this
        process with a watch) and saved in ``kept`` as each arrives."""
        saved = {} if kept is None else {k: self.holding(part) for k, part in kept.saved()}
        self.waiting = len(items) - len(saved)
        for part in saved.values():
            self.arrived(len(part.cells))
        def arrived(k: int, part: Optional[Part]) -> Optional[Part]:
            if part is None:            # a second without a part: progress, and the limits, are checked
                self.arrived(0)
                return None
            if kept is not None:
                kept.save(k, part)
            self.waiting -= 1
            self.arrived(len(part.cells))
            return self.holding(part)
        left = {k: item for k, item in enumerate(items) if k not in saved}
        if parallel(jobs) and self.watch is None:
            saved |= finished_parts(setting, left, jobs, arrived)
        for k in range(len(items)):
            if k not in saved:
                self.waiting -= 1
                part = self.finished_here(setting, items[k])
                if kept is not None:
                    kept.save(k, part)
            else:
                part = saved.pop(k)
                self.elsewhere -= len(part.cells)       # adopted next
            yield part

    def holding(self, part: Part) -> Part:
        """What to hold of a part that arrived (a stream may move it out of memory)."""
        return part if self.stream is None else self.stream.kept(part)

    def finished_here(self, setting: Setting, item: WorkItem) -> Part:
        """``finished_part`` in this process (the item's place kept for ``adopt``), with this run's progress."""
        offset, started, waiting = self.found() + self.elsewhere, self.started, self.waiting
        progress = self.progress
        enumerator = Enumerator(setting.networks, setting.domain, None if progress is None else (
            lambda cells, _, open_items: progress(offset + cells, time.perf_counter() - started, open_items + waiting)),
            setting.float_guesses, setting.only_relevant, setting.reused, setting.classes, self.watch)
        enumerator.first_leaf = self.found()      # its place: every part before it is adopted already
        enumerator.run([replace(item, parent=None, slot=0)])
        part = enumerator.result()
        return Part(part.cells, part.tree, part.not_tie_safe, first_leaf=enumerator.first_leaf)

    def adopt(self, item: WorkItem, part: Part) -> None:
        """Put a finished item's subtree in its place: its cells after the ones found so far."""
        if self.stream is not None:
            self.adopt_streamed(item, part, self.stream)
            return
        node = part.numbered_from(len(self.cells))
        if part.rendered is not None:
            self.rendered[id(node)] = part.rendered
        self.cells.extend(part.cells)
        self.not_tie_safe |= set(part.not_tie_safe)
        self.place(item, node)

    def adopt_streamed(self, item: WorkItem, part: Part, stream: Stream) -> None:
        """``adopt`` into a stream: the part's cells go there, packed, and a ``Leaf(-1)`` stands in for its subtree,
        with the subtree's lines when a certificate is written (``render``)."""
        if not part.packed or (part.rendered is None and self.render is not None):
            rendered = part.rendered
            if rendered is None and self.render is not None:
                rendered = self.render(Cpwl(self.networks, self.domain, part.cells, part.numbered_from(0), ()))
            part = stream.kept(replace(part, cells=part.cells if part.packed else stream.pack(part.cells),
                                       rendered=rendered, packed=True))
        stream.adopted(self.found(), part.cells)
        self.streamed += len(part.cells)
        node = Leaf(-1)
        if part.rendered is not None:
            self.rendered[id(node)] = part.rendered
        self.not_tie_safe |= set(part.not_tie_safe)
        self.place(item, node)

    def arrived(self, cells: int) -> None:
        """Progress while parts arrive from other processes: ``cells`` more found (not yet adopted)."""
        self.elsewhere += cells
        if self.progress is not None:
            self.progress(self.found() + self.elsewhere, time.perf_counter() - self.started, self.waiting)

    def result(self) -> Cpwl:
        """The CPWL object of the cells found (the tree of the first root)."""
        for builder in reversed(self.splits):       # children were made after their parents
            builder.children = [frozen(child) for child in builder.children]
        tree = frozen(self.roots[0])
        assert tree is not None   # a root is always placed
        return Cpwl(self.networks, self.domain, tuple(self.cells), tree,
                    tuple(stage.name if len(self.networks) == 1 else f"network {p}: {stage.name}"
                          for p, stage in self.stages),
                    tuple(sorted(self.not_tie_safe)), tuple(self.order), rendered=self.rendered)

    def process(self, item: WorkItem) -> list[WorkItem]:
        """Advance ``item`` through fixed units and stage ends until it splits or is a leaf; its children's items."""
        while True:
            if item.entry is None:
                if item.stage == len(self.stages):
                    self.leaf(item)
                    return []
                item.entry = self.enter(item)
                if item.wide is None:
                    item = self.settled_at_entry(item)
            if item.wide is not None:
                item = self.settled(item)
                if item.wide is not None:
                    return self.median_split(item)
                continue
            assert item.entry is not None
            step, decisions = self.step(item), item.entry.decisions
            u, choices = item.unit, item.choices
            while u < len(step.units):
                fixed = step.units[u].fixed
                if fixed is None:
                    fixed = cast(UnitDecision, decisions[u]).sole    # decided at the stage's entry, or None
                    if fixed is None:
                        break
                choices, u = choices + (fixed,), u + 1
            if u < len(step.units):
                return self.split(item, step.units[u], u, choices)
            p = self.stages[item.stage][0]
            states = item.states[:p] + (step.apply(list(choices)),) + item.states[p + 1:]
            item = WorkItem(item.cell, item.stage + 1, states, item.pattern + (choices,),
                            parent=item.parent, slot=item.slot)

    def step(self, item: WorkItem) -> Step:
        """The units of the item's stage on its entry state (recomputed for an item that came from elsewhere)."""
        assert item.entry is not None
        if item.entry.step is None:
            item.entry.step = self.units_of(item)
        return item.entry.step

    def units_of(self, item: WorkItem) -> Step:
        p, stage = self.stages[item.stage]
        try:
            return stage.at(item.states[p], item.stage)
        except ScoreNotAffine as err:
            x = ", ".join(q_to_str(v) for v in vec_from_hom(item.cell.point))
            raise ScoreNotAffine(f"{err}; for example on the cell around x = ({x})") from None

    def enter(self, item: WorkItem) -> StageEntry:
        """Stage ``item.stage`` entered on the item's cell: every undecided unit's options classified there; a layer
        split at medians (``stages.WIDE``) starts its ``Wide`` instead."""
        step = self.units_of(item)
        if item.stage in self.at_medians:
            item.wide = self.wide_start(item, step)
            return StageEntry((), step)
        decisions = tuple(None if unit.fixed is not None else self.classify(unit, item.cell) for unit in step.units)
        return StageEntry(decisions, step)

    def settled_at_entry(self, item: WorkItem) -> WorkItem:
        """Each unit alone live on the stage's entry cell (``UnitDecision.sole``), decided there for the whole stage:
        a split that names it (``Split.named``), its other options pruned, once, where deciding units in index order
        would repeat it below every earlier split. The item below those splits."""
        assert item.entry is not None
        step, parent, slot = self.step(item), item.parent, item.slot
        for u, decision in enumerate(item.entry.decisions):
            if decision is None or decision.sole is None:
                continue
            node = SplitBuilder(item.stage, u, step.units[u].num_options, named=True)
            node.children = [decision.pruned.get(o) for o in range(len(node.children))]
            self.splits.append(node)
            self.put(parent, slot, node)
            parent, slot = node.children, decision.sole
        return replace(item, parent=parent, slot=slot)

    def wide_start(self, item: WorkItem, step: Step) -> Wide:
        """A layer split at medians, entered: its undecided units by breakpoint, the fixed units' choices and
        shares, and the cell's bounding box (the children's boxes are tightened from it)."""
        assert step.share is not None and step.base is not None
        choices, total = bytearray(len(step.units)), step.base
        for u, unit in enumerate(step.units):
            if unit.fixed is not None:
                choices[u] = unit.fixed
                share = step.share(u, unit.fixed)
                total = total if share is None else total + share
        live = sorted((u for u, unit in enumerate(step.units) if unit.fixed is None),
                      key=lambda u: breakpoint_of(step.units[u]))
        if item.cell.box is None:
            item.cell.box = Box(item.cell)
        return Wide(live, choices, total)

    def settled(self, item: WorkItem) -> WorkItem:
        """Each unit of a layer split at medians that no longer cuts the item's cell, decided: a split that names it
        (``Split.named``), its other option pruned by the cell's box or an opposite row. The item below those splits,
        with the units that may still cut the cell; with none left, the item after the stage."""
        step, wide, cell = self.step(item), item.wide, item.cell
        assert wide is not None and cell.box is not None
        live = []
        for u in wide.live:
            unit = step.units[u]
            options = {o: cell.point if all(row_at(r, cell.point) > 0 for _, r in rows)
                       else cell.opposite_proof(rows) or lowest(cell.box.prune(rows))
                       for o, rows in unit.option_rows.items()}
            if sum(not isinstance(result, Prune) for result in options.values()) == 1:
                item = self.settle(item, u, options)
            else:
                live.append(u)
        wide = item.wide
        assert wide is not None
        if live:
            return replace(item, wide=Wide(live, wide.choices, wide.total))
        p = self.stages[item.stage][0]
        states = item.states[:p] + ((wide.total,),) + item.states[p + 1:]
        return WorkItem(cell, item.stage + 1, states, item.pattern + (bytes(wide.choices),), parent=item.parent,
                        slot=item.slot)

    def settle(self, item: WorkItem, u: int, options: dict[int, Any]) -> WorkItem:
        """The split deciding unit ``u`` of a layer split at medians, its one option without a proof in ``options``
        the next node; the item in that place, with the choice and its share."""
        step, wide = self.step(item), item.wide
        assert wide is not None and step.share is not None
        alive = next(o for o, result in options.items() if not isinstance(result, Prune))
        node = SplitBuilder(item.stage, u, step.units[u].num_options, named=True)
        node.children = [options.get(o) if o != alive else None for o in range(step.units[u].num_options)]
        self.splits.append(node)
        self.place(item, node)
        wide.choices[u] = alive
        share = step.share(u, alive)
        return replace(item, parent=node.children, slot=alive,
                       wide=Wide(wide.live, wide.choices, wide.total if share is None else wide.total + share))

    @staticmethod
    def centered(cell: CellState, new: list[tuple[RowId, Row]], box: Box) -> Hom | None:
        """The center of ``box`` when it is strictly inside ``cell`` cut by the rows ``new`` (always in one dimension,
        where the tightened box is the cell): a point of small denominator."""
        point = box.center()
        return point if all(row_at(r, point) > 0 for r in cell.rows) and all(row_at(r, point) > 0 for _, r in new) \
            else None

    def on_box(self, cell: CellState, new: list[tuple[RowId, Row]]) -> Hom | Prune:
        """``decide`` on a cell with a bounding box, trying the box's proof and a step toward its corner before an
        LP."""
        assert cell.box is not None
        if all(row_at(r, cell.point) > 0 for _, r in new):
            return cell.point
        return cell.opposite_proof(new) or lowest(cell.box.prune(new)) or toward_corner(cell, new, self.rows) or \
            self.decide(cell, new, None)

    def median_split(self, item: WorkItem) -> list[WorkItem]:
        """A split on the unit whose breakpoint is the median of those that may cut the item's cell: its children's
        items, each with its option's rows, interior point, tightened box, choice and share, and the other units
        (``settled`` decides those its cell no longer meets). When the unit turns out not to cut the cell, it is
        settled here instead (the one item below)."""
        step, wide, cell = self.step(item), item.wide, item.cell
        assert wide is not None and step.share is not None and cell.box is not None
        m = wide.live[len(wide.live) // 2]
        unit, others = step.units[m], [u for u in wide.live if u != m]
        boxes = {o: cell.box.tightened(rows) for o, rows in unit.option_rows.items()}
        options = {o: self.centered(cell, rows, boxes[o]) or self.on_box(cell, rows)
                   for o, rows in unit.option_rows.items()}
        if any(isinstance(result, Prune) for result in options.values()):
            below = self.settle(item, m, options)
            assert below.wide is not None
            return [replace(below, wide=Wide(others, below.wide.choices, below.wide.total))]
        node = SplitBuilder(item.stage, m, unit.num_options, named=True)
        self.splits.append(node)
        self.place(item, node)
        children = []
        for o, rows in unit.option_rows.items():
            child = CellState(cell.rows + [r for _, r in rows], cell.row_ids + [i for i, _ in rows],
                              cast(Hom, options[o]), boxes[o], own_box=True)
            choices = bytearray(wide.choices)
            choices[m] = o
            share = step.share(m, o)
            children.append(WorkItem(child, item.stage, item.states, item.pattern, entry=item.entry,
                                     parent=node.children, slot=o,
                                     wide=Wide(others, choices, wide.total if share is None else wide.total + share)))
        return children

    def split(self, item: WorkItem, unit: Unit, u: int, choices: tuple[int, ...]) -> list[WorkItem]:
        """A split on unit ``u`` in the item's place: children proved empty or thin, and items for the others."""
        assert item.entry is not None
        decision = item.entry.decisions[u]
        assert decision is not None
        node = SplitBuilder(item.stage, u, unit.num_options)
        self.splits.append(node)
        self.place(item, node)
        options = self.options_on(unit, decision, item.cell)
        live = [o for o, d in options.items() if isinstance(d, CellState)]
        children = []
        for option in range(unit.num_options):
            d = options.get(option)
            if not isinstance(d, CellState):
                node.children[option] = d
                continue
            cell = item.cell if len(live) == 1 else d   # a sole live option needs no new rows
            children.append(WorkItem(cell, item.stage, item.states, item.pattern, u + 1, choices + (option,),
                                     item.entry, node.children, option))
        return children

    def place(self, item: WorkItem, node: Node | SplitBuilder) -> None:
        self.put(item.parent, item.slot, node)

    def put(self, parent: Optional[list], slot: int, node: Node | SplitBuilder) -> None:
        """``node`` in a split's ``slot`` (a root without a ``parent``)."""
        if parent is None:
            self.roots.append(node)
        else:
            parent[slot] = node

    def options_on(self, unit: Unit, decision: UnitDecision, cell: CellState) -> dict[int, CellState | Prune]:
        """Each option of ``unit`` on ``cell``: its child cell, or a proof it has no interior."""
        decided: dict[int, CellState | Prune] = dict(decision.pruned)
        for option, new in unit.option_rows.items():
            if option in decision.pruned:
                continue
            result = self.decide(cell, new, decision.witnesses.get(option))
            decided[option] = result if isinstance(result, Prune) else CellState(
                cell.rows + [r for _, r in new], cell.row_ids + [i for i, _ in new], result, cell.box)
        return decided

    def decide(self, cell: CellState, new: list[tuple[RowId, Row]], hint: Hom | None) -> Hom | Prune:
        """An exact point strictly inside ``cell`` cut by the rows ``new``, or a proof that there
        is none. No LP runs when the cell's point or ``hint`` is strictly inside, or when a
        row opposite to a new one, or the cell's bounding box, gives the proof."""
        if all(row_at(r, cell.point) > 0 for _, r in new):
            return cell.point
        if hint is not None and all(row_at(r, hint) > 0 for _, r in new) \
                and all(row_at(r, hint) > 0 for r in reversed(cell.rows)):   # the newest rows cut most often
            return hint
        proof = cell.opposite_proof(new) or self.box_proof(cell, new)
        if proof is not None:
            return proof
        stepped = toward_corner(cell, new, self.rows) if self.dim >= HIGHS_FROM else None
        if stepped is not None:
            return stepped
        result = interior_point_or_proof(cell.rows + [r for _, r in new], (), self.float_guesses, self.rows)
        if isinstance(result, Interior):
            return result.point
        ids = cell.row_ids + [i for i, _ in new]
        return Prune(tuple((ids[j], y) for j, y in result.multipliers), result.empty)

    def box_proof(self, cell: CellState, new: list[tuple[RowId, Row]]) -> Prune | None:
        """A proof that an option has no interior because one of its rows is <= 0 on the
        cell's bounding box. When an inherited box fails, the cell's own box is computed,
        while exploring (the first 8 boxes, at most 200 LPs in all) or as long as own boxes have paid for themselves
        (``2 d`` LPs each) so far; the domain's box is read off its rows when it is a box."""
        if cell.box is not None:
            proof = cell.box.prune(new)
            if proof is not None:
                if cell.own_box:
                    self.box_proofs += 1
                return proof
            if cell.own_box:
                return None
        root = len(cell.rows) == len(self.domain.rows)        # the domain's own box needs no LP when it is a box
        bounds = axis_bounds(cell.rows) if root else None
        exploring = self.own_boxes < 8 and 2 * self.dim * (self.own_boxes + 1) <= 200   # at most 200 LPs
        if bounds is None and not exploring and self.box_proofs < 2 * self.dim * max(self.own_boxes, 1):
            return None
        cell.box, cell.own_box = Box(cell, bounds), True
        self.own_boxes += 1
        return self.box_proof(cell, new)

    def classify(self, unit: Unit, cell: CellState) -> UnitDecision:
        """Decide every option of ``unit`` on the stage's entry cell; for a hard-max head,
        check tie-safety between options that can tie on the closed cell."""
        pruned: dict[int, Prune] = {}
        witnesses: dict[int, Hom] = {}
        for option, new in unit.option_rows.items():
            result = self.decide(cell, new, None)
            if isinstance(result, Prune):
                pruned[option] = result
            else:
                witnesses[option] = result
        if unit.averages is not None and unit.name not in self.not_tie_safe:
            touching = [o for o in unit.option_rows if o not in pruned or not pruned[o].empty]
            if any(not unit.averages.tie_safe(r, t) for i, r in enumerate(touching) for t in touching[i + 1:]):
                self.not_tie_safe.add(unit.name)
        return UnitDecision(pruned, witnesses, next(iter(witnesses)) if len(witnesses) == 1 else None)

    def leaf(self, item: WorkItem) -> None:
        affines = tuple(affine_from_flint(program.output(state)) for program, state in zip(self.programs, item.states))
        cell = item.cell
        self.cells.append(Cell(Polyhedron(self.dim, tuple(cell.rows)), tuple(cell.row_ids),
                               vec_from_hom(cell.point), item.pattern, affines))
        self.place(item, Leaf(self.first_leaf + len(self.cells) - 1))
        if self.watch is not None:
            self.watch(self.cells[-1])
        if self.progress is not None:
            self.progress(len(self.cells), time.perf_counter() - self.started, len(self.stack) + self.waiting)


def lowest(proof: Optional[Prune]) -> Optional[Prune]:
    """``proof`` with its multipliers divided by their greatest common divisor (a box's proofs on a deep cell carry
    the least common multiple of every bound's scale)."""
    if proof is None:
        return None
    g = gcd(*(y for _, y in proof.multipliers))
    return Prune(tuple((r, y // g) for r, y in proof.multipliers), proof.empty)


def depth(item: WorkItem) -> tuple[int, int, int]:
    """How deep ``item`` lies in the tree, roughly: its stage, its unit, and in a layer split at medians the
    fewer units left the deeper."""
    return len(item.pattern), item.unit, -len(item.wide.live) if item.wide is not None else 0


def breakpoint_of(unit: Unit) -> Fraction:
    """Where a ReLU unit over one input changes: ``x = -b / a`` for its row ``b + a x``."""
    (_, (b, a)), = unit.option_rows[1]
    return Fraction(-b, a)


def toward_corner(cell: CellState, new: list[tuple[RowId, Row]], memo: RowMemo) -> Hom | None:
    """A point strictly inside ``cell`` and a single new row, found without an LP: on the segment from the cell's
    point to the corner of its bounding box where the row is largest, just past where the row turns positive; None
    when the few points tried cross another row of the cell."""
    if cell.box is None or len(new) != 1:
        return None
    row, p = new[0][1], cell.point
    v = cell.box.corner(row, p)
    at_p, at_v = row_at(row, p) * v[0], row_at(row, v) * p[0]          # over the common denominator p0 v0
    if at_v <= 0 or at_p > 0:
        return None
    for k in (1, 2, 4, 8):                 # lambda = lambda0 + (1 - lambda0) / 2^k, lambda0 where the row is 0
        P, Q = -at_p * (1 << k) + (at_v - at_p) - -at_p, (at_v - at_p) * (1 << k)
        q = (Q * v[0], *((Q - P) * pi * (v[0] // p[0]) + P * vi for pi, vi in zip(p[1:], v[1:])))
        if row_at(row, q) > 0 and all(sum(v * q[k] for k, v in memo.nonzero(r)) > 0 for r in reversed(cell.rows)):
            return q     # the rows summed over their nonzero entries: most rows of a box in high dimension have two
    return None


def built(root: Node | SplitBuilder) -> Node:
    """The finished subtree at ``root``, its builders frozen (children first)."""
    builders: list[SplitBuilder] = []
    stack: list[Optional[Node | SplitBuilder]] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, SplitBuilder):
            builders.append(node)
            stack.extend(node.children)
    for builder in reversed(builders):
        builder.children = [frozen(child) for child in builder.children]
    tree = frozen(root)
    assert tree is not None
    return tree


def frozen(child: Optional[Node | SplitBuilder]) -> Optional[Node]:
    """A finished child as a node (a builder whose children are all nodes becomes a ``Split``)."""
    if isinstance(child, SplitBuilder):
        # result() freezes every builder's children before the builder, so none is a builder here
        return Split(child.stage, child.unit, tuple(cast("list[Optional[Node]]", child.children)), child.named)
    return child


def interleaved(programs: list[Program]) -> list[tuple[int, int]]:
    """All stages as (program, index), each program's in its order, merged by relative depth:
    stage ``i`` of ``n`` goes at ``(i + 1) / n``, earlier programs first on ties. A stage that
    comes early in its network is then decided on larger cells, once for many later splits."""
    keyed = [(Fraction(i + 1, len(program.stages)), p, i)
             for p, program in enumerate(programs) for i in range(len(program.stages))]
    return [(p, i) for _, p, i in sorted(keyed)]
