"""The checker's two refusals (SPEC.md, exit codes): ``Reject``, the certificate does not prove its claim (exit 1),
and ``Malformed``, the file is not a well-formed certificate (exit 2)."""


import reprlib


class Reject(Exception):
    """The certificate does not prove its claim."""


class Malformed(Reject):
    """The certificate is not well formed (rule 1): a field missing or of the wrong type or shape, or a number not
    spelled canonically. A ``Reject`` too, so a caller that catches ``Reject`` sees every refusal."""


SHOWN = reprlib.Repr()
SHOWN.maxlevel, SHOWN.maxstring, SHOWN.maxother, SHOWN.maxlong = 3, 40, 40, 40


def shown(value):
    """A short ``repr`` of a value from the file, however long or deeply nested (for messages)."""
    return SHOWN.repr(value)


def require(condition, message):
    """Reject unless ``condition``."""
    if not condition:
        raise Reject(message)


def wellformed(condition, message):
    """Malformed unless ``condition``."""
    if not condition:
        raise Malformed(message)
