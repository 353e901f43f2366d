"""``check --jobs N``: the subtrees of a format 2 certificate checked in N worker processes (standard library
``concurrent.futures``, forked).

The walk in this process reads a subtree's lines ahead, without parsing them, when it enters one: a split line names
each child subtree ``"subtree"``, so counting those finds where the subtree ends, and its leaf lines are its leaves.
A subtree that ends within ``READ_AHEAD`` lines goes to a worker with the path's context (stage, states, rows,
patterns) and the numbers of its leaves; a longer one, or a line only parsing can judge (an escape, an unexpected
shape), is given back and walked here, where its subtrees are offered in turn; lines given back are paid for by the
lines read (a deep chain of long subtrees would otherwise be read ahead again at each level), so no line is read
ahead more than about twice. Every line is checked by exactly one
walker, in the walk's order within it, by the same code as in one process; the workers' findings are merged in the
walk's order, and the first fault in that order is the one reported, so the verdict and its message are the same
for every N.
"""
from collections import deque

from .errors import Reject
from .records import Lines

READ_AHEAD = 4096          # lines: a subtree that ends within them is checked by a worker
WORKER: dict = {}          # in a worker process: its ``Checker`` (the pool's initializer sets it once)


def shape(line):
    """(child subtrees, leaves) of a well-formed node line, read from its bytes; None when only parsing can tell."""
    if b"\\" in line:
        return None
    if line.startswith(b'{"split":'):
        return line.count(b'"subtree"'), 0
    return (0, 1) if line.startswith(b'{"leaf":') else None


def subtree_lines(records):
    """The lines of the subtree whose root is the next line and its leaves; or the number of lines read and given
    back when it is longer than ``READ_AHEAD`` lines or a line needs parsing."""
    lines, unread, leaves = [], 1, 0
    try:
        while unread and len(lines) < READ_AHEAD:
            line = records.raw()
            kind = shape(line) if line else None
            if kind is None:
                records.unread(lines + [line] if line else lines)
                return len(lines) + 1
            lines.append(line)
            unread, leaves = unread - 1 + kind[0], leaves + kind[1]
    except (Reject, OSError) as err:         # met again where the walk reaches it
        records.unread(lines, err)
        return len(lines)
    if unread:
        records.unread(lines)
        return len(lines)
    return lines, leaves


class Farm:
    """The worker processes of one check and the subtrees sent to them, merged in order into the walk's
    ``Findings``."""

    def __init__(self, checker, jobs):
        import multiprocessing  # here only: importing it registers an alias of ``__main__``
        from concurrent.futures import ProcessPoolExecutor
        self.checker, self.found = checker, checker.found
        self.pool = ProcessPoolExecutor(jobs, multiprocessing.get_context("fork"), started, (checker,))
        self.pending, self.most, self.given_back = deque(), 4 * jobs, 0
        self.bounds = {}                                     # rule 12's bounds by leaf
        for key in self.found.bounds:
            self.bounds.setdefault(key[0], []).append(key)

    def offer(self, where):
        """Send the subtree at the reader's position to a worker, if it is short enough: True when sent. ``where``
        is the path's context for ``Checker.unit_node``."""
        if self.given_back > self.checker.nodes.line + READ_AHEAD:
            return False        # reading ahead is paid for by the lines read: at most about twice each
        read = subtree_lines(self.checker.nodes)
        if isinstance(read, int):
            self.given_back += read
            return False
        lines, leaves = read
        found, first = self.found, self.checker.nodes.line - len(lines)
        offset = found.reserve(leaves)
        kept = [k for k in range(offset, offset + leaves) if k in found.kept]
        bounds = {key: found.bounds.pop(key) for k in range(offset, offset + leaves) for key in self.bounds.get(k, ())}
        task = (self.checker.case, where, first, lines, offset, kept, bounds)
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
