"""The exceptions polyreg raises. Every message says where, what, and how to fix it."""


class PolyregError(Exception):
    """Base class of polyreg's own errors."""


class InputError(PolyregError):
    """A file, a network or a domain given by the user is malformed (CLI exit code 2)."""


class InexactInputError(InputError, TypeError):
    """A float was given where an exact rational is required."""


class DomainError(InputError):
    """The domain is empty, lower-dimensional or unbounded."""


class OracleError(PolyregError):
    """cddlib failed or answered something impossible (an internal error, exit code 1)."""
