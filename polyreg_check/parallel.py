"""``check --jobs N``: the subtrees of a format 2 certificate checked in N worker processes (standard library
``concurrent.futures``, forked).

This process reads the trees' lines ahead of its walk (``Ahead``), each line once, and finds from their bytes where
every node's subtree ends: a split line names each child subtree ``"subtree"``, a leaf line has none. When the walk
enters a subtree that ends within ``READ_AHEAD`` lines, its lines go to a worker with the path's context (stage,
states, rows, patterns) and the numbers of its leaves; a longer one is walked here, so this process walks only the
nodes above the subtrees it sends. A line whose bytes do not tell (an escape, an unexpected beginning) is parsed; one
that is not a node ends the finding, and the walk goes on here from there. Every line is checked by exactly one
walker, in the walk's order within it, by the same code as in one process; the workers' findings are merged in the
walk's order, and the first fault in that order is the one reported (a fault met while reading ahead where the walk
reaches its line), so the verdict and its message are the same for every N.
"""
from collections import deque

from .errors import Malformed, Reject
from .load import parse, text_of
from .records import Lines, Nodes
from .schema import SUBTREE

READ_AHEAD = 4096          # lines: a subtree that ends within them is checked by a worker
WORKER: dict = {}          # in a worker process: its ``Checker`` (the pool's initializer sets it once)


def shape(line):
    """(child subtrees, leaves) of a node line: read from the bytes the producer writes, else parsed; None when it is
    not a node."""
    if b"\\" not in line:
        if line.startswith(b'{"split":'):
            return line.count(b'"subtree"'), 0
        if line.startswith(b'{"leaf":'):
            return 0, 1
    try:
        value = parse(text_of(line), str)
    except Malformed:
        return None
    if isinstance(value, dict) and set(value) in ({"split"}, {"split", "unit"}) and isinstance(value["split"], list):
        return sum(child == SUBTREE for child in value["split"]), 0
    return (0, 1) if isinstance(value, dict) and list(value) == ["leaf"] else None


class Read:
    """A line read ahead: its bytes (None once taken), the leaves read before it, and once its subtree has ended,
    the subtree's last line and the leaves read up to it."""
    __slots__ = ("bytes", "before", "end", "through")

    def __init__(self, line, before):
        self.bytes, self.before, self.end, self.through = line, before, None, None


class Ahead(Nodes):
    """The trees' lines of ``records``, read ahead of the walk, each once, with where each node's subtree ends and
    how many leaves it holds: ``subtree`` takes a short one whole."""

    def __init__(self, records):
        self.records, self.line, self.parse_float = records, records.line, records.parse_float
        self.ahead = deque()    # the ``Read`` lines not yet taken, at most ``READ_AHEAD``
        self.open = []          # [Read, children not yet ended] of the nodes whose subtrees go on; None: not known
        self.leaves, self.fault, self.ended = 0, None, False

    def read(self):
        """Read one more line ahead: False at the end of the file, or at a fault (raised where the walk meets it)."""
        if self.ended or self.fault is not None:
            return False
        try:
            line = self.records.raw()
        except (Reject, OSError) as err:
            self.fault = err
            return False
        self.ended = not line
        if line:
            read = Read(line, self.leaves)
            self.ahead.append(read)
            kind = shape(line) if self.open is not None else None
            if kind is None:
                self.open = None        # the walk finds what it is; no subtree that is open now or later is sent
            else:
                self.leaves += kind[1]
                self.open.append([read, kind[0]])
                while self.open and self.open[-1][1] == 0:
                    done = self.open.pop()[0]
                    done.end, done.through = self.line + len(self.ahead), self.leaves
                    if self.open:
                        self.open[-1][1] -= 1
        return bool(line)

    def raw(self):
        if not self.ahead and not self.read():
            if self.fault is not None:
                raise self.fault
            return b""
        self.line += 1
        return self.taken()

    def taken(self):
        """The next line's bytes, taken from the lines read ahead (an open node keeps only its numbers)."""
        read = self.ahead.popleft()
        line, read.bytes = read.bytes, None
        return line

    def subtree(self):
        """The lines of the subtree whose root is the next line and its number of leaves, taken, when it ends within
        ``READ_AHEAD`` lines; else None (the walk reads it here)."""
        while (not self.ahead or self.ahead[0].end is None) and self.open is not None and \
                len(self.ahead) < READ_AHEAD and self.read():
            pass
        if not self.ahead or self.ahead[0].end is None:
            return None
        root = self.ahead[0]
        lines = [self.taken() for _ in range(root.end - self.line)]
        self.line = root.end
        return lines, root.through - root.before

    def close(self):
        self.records.close()


class Farm:
    """The worker processes of one check and the subtrees sent to them, merged in order into the walk's
    ``Findings``."""

    def __init__(self, checker, jobs):
        import multiprocessing  # here only: importing it registers an alias of ``__main__``
        from concurrent.futures import ProcessPoolExecutor
        self.checker, self.found = checker, checker.found
        self.pool = ProcessPoolExecutor(jobs, multiprocessing.get_context("fork"), started, (checker,))
        self.pending, self.most = deque(), 4 * jobs
        checker.nodes = Ahead(checker.nodes)
        self.bounds = {}                                     # rule 12's bounds by leaf
        for key in self.found.bounds:
            self.bounds.setdefault(key[0], []).append(key)

    def offer(self, where):
        """Send the subtree at the reader's position to a worker, if it is short enough: True when sent. ``where()``
        is the path's context for ``Checker.unit_node``, copied only for a subtree sent."""
        read = self.checker.nodes.subtree()
        if read is None:
            return False
        lines, leaves = read
        found, first = self.found, self.checker.nodes.line - len(lines)
        offset = found.reserve(leaves)
        kept = [k for k in range(offset, offset + leaves) if k in found.kept]
        bounds = {key: found.bounds.pop(key) for k in range(offset, offset + leaves) for key in self.bounds.get(k, ())}
        task = (self.checker.case, where(), first, lines, offset, kept, bounds)
        self.pending.append((offset, leaves, self.pool.submit(checked_subtree, task)))
        self.checker.waiting += leaves
        while len(self.pending) > self.most:
            self.merge_oldest()
        return True

    def merge_oldest(self):
        """Wait for the oldest subtree sent and merge its findings; raise its fault."""
        offset, leaves, result = self.pending.popleft()
        fault, findings = result.result()     # a worker that died raises here (BrokenProcessPool)
        self.checker.waiting -= leaves
        if fault is not None:
            raise fault
        self.found.merge(offset, leaves, findings)
        if self.checker.progress:
            self.checker.progress(self.found.leaves - self.checker.waiting)

    def drain(self, fault=None):
        """Merge every subtree sent; the first fault in the walk's order is raised: theirs (sent earlier), then
        ``fault``, the walk's own."""
        while self.pending:
            self.merge_oldest()
        if fault is not None:
            raise fault

    def close(self):
        self.pool.shutdown(cancel_futures=True)


def started(checker):
    """A worker's initializer: its copy of the checker (forked when the first subtree is sent), walking subtrees
    only."""
    checker.farm = checker.progress = checker.record = None
    WORKER["checker"] = checker


def checked_subtree(task):
    """(fault or None, the findings of the subtree's leaves) for a task of ``Farm.offer``."""
    case, where, first, lines, offset, kept, bounds = task
    checker = WORKER["checker"]
    try:
        checker.nodes = Lines(lines, first)
        findings = checker.subtree(case, where, offset, kept, bounds)
        checker.nodes.finished()
        return None, findings
    except Reject as err:
        return err, None
