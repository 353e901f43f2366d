"""The checker's two refusals (SPEC.md, exit codes): ``Reject``, the certificate does not prove its claim (exit 1),
and ``Malformed``, the file is not a well-formed certificate (exit 2)."""


class Reject(Exception):
    """The certificate does not prove its claim."""


class Malformed(Reject):
    """The certificate is not well formed (rule 1): a field missing or of the wrong type or shape, or a number not
    spelled canonically. A ``Reject`` too, so a caller that catches ``Reject`` sees every refusal."""


def require(condition, message):
    """Reject unless ``condition``."""
    if not condition:
        raise Reject(message)


def wellformed(condition, message):
    """Malformed unless ``condition``."""
    if not condition:
        raise Malformed(message)
