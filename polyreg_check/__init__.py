"""polyreg's trusted certificate checker: standard library only, importable and runnable without polyreg. The
certificate format and the rules it checks are in SPEC.md beside this file."""
from .check import ProgressLine, check
from .cli import main
from .errors import Malformed, Reject
from .load import load
from .records import open_certificate

__all__ = ["check", "load", "open_certificate", "Reject", "Malformed", "ProgressLine", "main"]
