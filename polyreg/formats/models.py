"""A network from a file of any kind polyreg reads, chosen by the file's suffix: ``.onnx`` (``onnx_files``, needs
the ``onnx`` package: ``pip install 'polyreg[onnx]'``), otherwise polyreg's own JSON (``json_files``)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import InputError
from ..network.ir import Network
from .json_files import MAX_BYTES, load_network


def load_model(path: str | Path, max_bytes: int = MAX_BYTES) -> Network:
    """The network in the file ``path`` (at most ``max_bytes``)."""
    return LOADERS.get(Path(path).suffix.lower(), load_network)(path, max_bytes)


def onnx_model(path: str | Path, max_bytes: int) -> Network:
    try:
        from .onnx_files import load_onnx
    except ImportError:
        raise InputError(f"{path}: reading ONNX models needs the onnx package: pip install 'polyreg[onnx]'") from None
    return load_onnx(path, max_bytes)


LOADERS: dict[str, Callable[[str | Path, int], Network]] = {".onnx": onnx_model}
