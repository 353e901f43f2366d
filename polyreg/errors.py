"""The exceptions polyreg raises. Every message says where, what, and how to fix it."""
from collections.abc import Iterator
from contextlib import contextmanager


class PolyregError(Exception):
    """Base class of polyreg's own errors."""


class Stopped(Exception):
    """A run ended before its answer: ``cells`` cells after ``seconds`` s, for ``reason`` (``--max-cells N``,
    ``--timeout S``, or an interrupt). Nothing is claimed about the rest of the domain."""

    def __init__(self, cells: int, seconds: float, reason: str) -> None:
        super().__init__(f"stopped by {reason} after {cells} cells, {seconds:.1f} s")
        self.cells, self.seconds, self.reason = cells, seconds, reason


class InputError(PolyregError):
    """A file, a network or a domain given by the user is malformed (CLI exit code 2)."""


class InexactInputError(InputError, TypeError):
    """No longer raised; kept so that code catching it still imports.

    polyreg used to refuse floats with it. Now a float (or a numpy float) is read as its exact binary value
    (``Fraction(float(v))``, see ``polyreg.exact.rationals.to_q``), and NaN, infinities and booleans are refused
    with a plain ``InputError``."""


class DomainError(InputError):
    """The domain is empty, lower-dimensional or unbounded."""


class OracleError(PolyregError):
    """cddlib failed or answered something impossible (an internal error, exit code 1)."""


@contextmanager
def located(where: str) -> Iterator[None]:
    """Input errors raised inside the block, of the same class, with ``where`` (a file, a layer) before them."""
    try:
        yield
    except InputError as err:
        raise type(err)(f"{where}: {err}") from None


class InexactWarning(UserWarning):
    """An operator's real result is irrational and polyreg used a float for it (say which, where)."""
