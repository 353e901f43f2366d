"""A directory that keeps each finished work item's result, so a run killed at any moment resumes where it stood.

The first cells and the cut into items are recomputed on the rerun: both are deterministic, so the rerun finds the
same items in the same order, loads the results saved for some of them and finishes the others. A result is written
to a temporary file and renamed into place, so a kill leaves either the whole file or none. ``run.key`` holds the
SHA-256 of the run's setting, polyreg's version and its source files: a directory of another run (other networks,
domain, options or code) is refused before any work.
The files are pickles: only point ``--checkpoint`` at a directory you trust, as with any file you load.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from importlib.metadata import version
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError


class Checkpoint:
    """The results saved in ``directory`` for the run whose setting pickles with ``run`` (see the module)."""

    def __init__(self, directory: str | Path, run: Any) -> None:
        self.directory = Path(directory)
        key = hashlib.sha256(pickle.dumps((version("polyreg"), source_digest(), run))).hexdigest()
        marker = self.directory / "run.key"
        if marker.exists():
            if marker.read_text().strip() != key:
                raise InputError(f"--checkpoint {directory}: it holds a checkpoint of another run (other networks, "
                                 "domain, options or polyreg code); use an empty directory")
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            atomic_write(marker, key.encode())

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.directory)!r})"

    def saved(self) -> Iterator[tuple[int, Any]]:
        """The results saved so far, with their item numbers, loaded one at a time."""
        for path in self.directory.glob("item-*.pickle"):
            yield int(path.stem.split("-")[1]), pickle.loads(path.read_bytes())

    def save(self, k: int, result: Any) -> None:
        """Keep item ``k``'s result (whole or not at all)."""
        atomic_write(self.directory / f"item-{k}.pickle", pickle.dumps(result))


def source_digest() -> str:
    """SHA-256 of polyreg's own source files: a checkpoint is only resumed by the code that wrote it (an edited
    checkout keeps its version number)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place, flushed to disk first."""
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
