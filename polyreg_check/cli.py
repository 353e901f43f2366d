"""``python -m polyreg_check CERTIFICATE``: one verdict line on stdout and an exit code (SPEC.md): 0 VERIFIED, 1 NOT
VERIFIED, 2 unreadable or malformed; an internal fault of the checker is no verdict (stderr, exit 1)."""
import sys

from .check import ProgressLine, check
from .errors import Malformed, Reject
from .load import UNREADABLE, load


def verdict(cert):
    """The verdict line about a loaded certificate and its exit code."""
    claim = cert.get("claim") if isinstance(cert, dict) else None
    progress = ProgressLine(claim.get("cells", "?") if isinstance(claim, dict) else "?")
    try:
        return f"VERIFIED: {check(cert, progress=progress)}", 0
    except Malformed as err:
        return f"NOT VERIFIED: malformed certificate: {err}", 2
    except Reject as err:
        return f"NOT VERIFIED: {err}", 1
    finally:
        progress.close()


def main(argv=None):
    """Check the certificate file named by the one argument; print the verdict; return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m polyreg_check CERTIFICATE", file=sys.stderr)
        return 2
    try:
        cert = load(args[0])
    except UNREADABLE as err:
        print(f"NOT VERIFIED: cannot read {args[0]}: {err.strerror or err}")
        return 2
    except Malformed as err:
        print(f"NOT VERIFIED: malformed certificate: {args[0]}: {err}")
        return 2
    try:
        line, code = verdict(cert)
    except Exception as err:        # a fault of the checker, not a verdict about the file
        print(f"polyreg_check: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(line)
    return code
