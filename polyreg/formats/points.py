"""Input points from files (for ``--plane`` and ``--around``): a JSON list of numbers (decimals stay exact) or a
NumPy ``.npy`` array (binary floats are their exact values; any shape, flattened in C order)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import InputError
from ..exact.rationals import Vec, to_q_vector
from .json_files import MAX_BYTES, read_json, vector_from_json


def load_point(path: str | Path, max_bytes: int = MAX_BYTES) -> Vec:
    """The point in the file ``path`` (at most ``max_bytes``)."""
    return READERS.get(Path(path).suffix.lower(), json_point)(path, max_bytes)


def json_point(path: str | Path, max_bytes: int) -> Vec:
    point = vector_from_json(read_json(path, max_bytes), f"{path}: the point")
    if not point:
        raise InputError(f"{path}: the point has no coordinates")
    return point


def npy_point(path: str | Path, max_bytes: int) -> Vec:
    import numpy as np
    try:
        size = Path(path).stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size} bytes, more than the limit {max_bytes} (raise it with --max-bytes)")
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a NumPy array file ({err})") from None
    if array.dtype.kind not in "iuf" or array.size == 0:
        raise InputError(f"{path}: expected a nonempty array of numbers, got dtype {array.dtype} and shape "
                         f"{list(array.shape)}")
    return to_q_vector(array.reshape(-1), where=f"{path}: the point")


READERS: dict[str, Callable[[str | Path, int], Vec]] = {".npy": npy_point}
