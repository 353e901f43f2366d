"""A network from a file of any kind polyreg reads, chosen by the file's suffix: ``.onnx`` (``onnx_files``, needs
the ``onnx`` package: ``pip install 'polyreg[onnx]'``), otherwise polyreg's own JSON (``json_files``)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import InputError
from ..network.ir import Network
from .json_files import MAX_BYTES, load_network


def load_model(path: str | Path, max_bytes: int = MAX_BYTES, strict: bool = False) -> Network:
    """The network in the file ``path`` (at most ``max_bytes``); ``strict``: refuse an operator whose real result
    is irrational rather than use its float value (with an ``InexactWarning``)."""
    return LOADERS.get(Path(path).suffix.lower(), json_model)(path, max_bytes, strict)


def json_model(path: str | Path, max_bytes: int, strict: bool) -> Network:
    """polyreg's own JSON: exact decimals and rationals, nothing to approximate."""
    return load_network(path, max_bytes)


def onnx_model(path: str | Path, max_bytes: int, strict: bool) -> Network:
    try:
        from .onnx_files import load_onnx
    except ImportError:
        raise InputError(f"{path}: reading ONNX models needs the onnx package: pip install 'polyreg[onnx]'") from None
    return load_onnx(path, max_bytes, strict)


def pickled_model(path: str | Path, max_bytes: int, strict: bool) -> Network:
    """PyTorch and scikit-learn files are pickles: loading one runs code from the file, so polyreg does not."""
    raise InputError(f"{path}: a pickled model (loading it would run code from the file); from Python use "
                     "polyreg.from_torch(module, input_shape) or polyreg.from_sklearn(model) on the loaded object, or "
                     "export the model to ONNX (torch.onnx.export) and pass the .onnx file")


LOADERS: dict[str, Callable[[str | Path, int, bool], Network]] = {
    ".onnx": onnx_model, ".pt": pickled_model, ".pth": pickled_model, ".pkl": pickled_model,
    ".pickle": pickled_model, ".joblib": pickled_model,
}
