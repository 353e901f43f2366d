"""Where the work items of a refinement are finished: ``jobs`` local processes, or the workers of a Dask cluster.

Both take the same numbered jobs and give back ``(number, result)`` pairs as they finish; the enumerator puts
them in order, so the result never depends on where they ran.
"""
from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import Any, Callable, Generator, Optional, Sequence, TypeVar, Union

from ..errors import InputError

Job = TypeVar("Job")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Dask:
    """The workers of a running ``dask.distributed`` scheduler at ``address`` (e.g. ``"tcp://10.0.0.1:8786"``).
    Each worker needs polyreg installed, the same version as here."""
    address: str

    def __repr__(self) -> str:
        return f"Dask({self.address!r})"


Jobs = Union[int, Dask]     # a number of local processes, or a Dask cluster
# (k, the result of job k) as each finishes, and None after each HEARTBEAT seconds without one (to check limits)
Finished = Generator[Optional[tuple[int, Result]], None, None]
HEARTBEAT = 1.0
SHARED: dict = {}       # in a local pool's worker process: what every job shares (``kept`` sets it once)


def parallel(jobs: Jobs) -> bool:
    """Whether ``jobs`` sends work to other processes (a Dask cluster always does)."""
    return isinstance(jobs, Dask) or jobs > 1


def finished_unordered(jobs: Jobs, task: Callable[..., Result], work: Sequence[Job], shared: Any = None) -> Finished:
    """``(k, task(work[k]))`` for every k, in the order they finish, on ``jobs``, and ``None`` after each second
    without a result, so the caller can check its limits; closing the iterator (a limit reached, an interrupt: use
    ``contextlib.closing``) stops the work still running at once. With ``shared``, job k is ``task(shared,
    work[k])``, and ``shared`` goes to each process once (forked into a local pool's, scattered to Dask's workers),
    not with every job."""
    return RUNNERS[type(jobs)](jobs, task, work, shared)


def in_processes(jobs: int, task: Callable[..., Result], work: Sequence[Job], shared: Any) -> Finished:
    """``finished_unordered`` on a pool of ``jobs`` local processes."""
    with multiprocessing.Pool(jobs, kept, (shared,)) as pool:
        results = pool.imap_unordered(numbered, [(k, task, job) for k, job in enumerate(work)])
        while True:
            try:
                yield results.next(timeout=HEARTBEAT)
            except multiprocessing.TimeoutError:
                yield None
            except StopIteration:
                return


def kept(shared: Any) -> None:
    """A local pool's initializer: what every job of the pool shares."""
    SHARED["shared"] = shared


def numbered(job: tuple[int, Callable[..., Result], Job]) -> tuple[int, Result]:
    """``(k, task(job))``, or ``(k, task(shared, job))``."""
    k, task, work = job
    shared = SHARED.get("shared")
    return k, task(work) if shared is None else task(shared, work)


def on_dask(cluster: Dask, task: Callable[..., Result], work: Sequence[Job], shared: Any) -> Finished:
    """``finished_unordered`` on the workers of a Dask scheduler."""
    distributed = dask_distributed()
    with distributed.Client(cluster.address, timeout="20s") as client:
        if shared is None:
            futures = client.map(task, list(work), pure=False)
        else:
            once = client.scatter(shared, broadcast=True)
            futures = client.map(task, [once] * len(work), list(work), pure=False)
        number = {future.key: k for k, future in enumerate(futures)}
        pending = set(futures)
        try:
            while pending:
                try:
                    finished = distributed.wait(pending, timeout=HEARTBEAT, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    yield None
                    continue
                pending = set(finished.not_done)
                for future in finished.done:
                    yield number[future.key], future.result()
        finally:
            client.cancel(futures)


def dask_distributed():  # type: ignore[no-untyped-def]
    """The ``distributed`` module, or a clear error without it."""
    try:
        import distributed
    except ImportError:
        raise InputError("--dask needs dask.distributed: pip install 'polyreg[dask]'") from None
    return distributed


def reachable(cluster: Dask) -> None:
    """Raise ``InputError`` unless the scheduler at ``cluster.address`` answers (checked before long work)."""
    distributed = dask_distributed()
    try:
        with distributed.Client(cluster.address, timeout="5s"):
            pass
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"--dask {cluster.address}: no Dask scheduler answers there ({error})") from None


RUNNERS: dict[type, Callable] = {int: in_processes, Dask: on_dask}
