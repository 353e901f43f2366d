"""A temporary file that a streamed refinement moves bytes to, to keep memory bounded, and reads back by place."""
from __future__ import annotations

import os
import tempfile
from typing import IO, Any


class Spill:
    """A temporary file (deleted when closed) that bytes are moved to, and read back from by offset."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(prefix="polyreg-")
        self.size = 0

    def __enter__(self) -> "Spill":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.file.close()

    def put(self, data: bytes) -> tuple[int, int]:
        self.file.seek(0, os.SEEK_END)
        self.file.write(data)
        at = (self.size, len(data))
        self.size += len(data)
        return at

    def get(self, at: tuple[int, int]) -> bytes:
        self.file.seek(at[0])
        return self.file.read(at[1])
