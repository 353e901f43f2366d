"""``python -m polyreg_check [--max-bytes N] [--jobs N] CERTIFICATE``: the verdict on stdout and an exit code
(SPEC.md): 0 VERIFIED (then what was verified: the networks by SHA-256 and the domain as checked), 1 NOT VERIFIED, 2
unreadable or malformed; an internal fault of the checker is no verdict (stderr, exit 1)."""
import os
import re
import sys
from fractions import Fraction

from .check import ProgressLine, check
from .errors import Malformed, Reject
from .load import MAX_BYTES, UNREADABLE
from .records import open_certificate

USAGE = "usage: python -m polyreg_check [--max-bytes N] [--jobs N] CERTIFICATE"


def verdict(cert, nodes=None, jobs=1):
    """The verdict about a loaded certificate (its lines) and its exit code; ``nodes``: a format 2 file's trees,
    checked in ``jobs`` processes."""
    claim = cert.get("claim") if isinstance(cert, dict) else None
    progress = ProgressLine(claim.get("cells", "?") if isinstance(claim, dict) else "?")
    try:
        return [f"VERIFIED: {check(cert, progress=progress, nodes=nodes, jobs=jobs)}", *verified_inputs(cert)], 0
    except Malformed as err:
        return [f"NOT VERIFIED: malformed certificate: {err}"], 2
    except Reject as err:
        return [f"NOT VERIFIED: {err}"], 1
    finally:
        progress.close()


def verified_inputs(cert):
    """What a verified certificate is about: each network's format and SHA-256 (short), and the domain's rows as
    checked (over the free coordinates ``x_k`` of a mixed domain, with its discrete groups)."""
    lines = [f"  network {'AB'[k] if len(cert['networks']) == 2 else k}: {item['network']['format']}, "
             f"sha256 {item['sha256'][:16]}" for k, item in enumerate(cert["networks"])]
    first = (cert["parts"][0]["cases"] if "parts" in cert else cert.get("cases", [cert]))[0]
    if "free" in cert:
        groups = "; ".join(f"inputs {g['coordinates']} take {len(g['values'])} values"
                           for g in cert.get("discrete", []))
        lines.append(f"  discrete: {groups or 'none'}; free inputs {cert['free']} are x_0.. below")
    if "slice" in cert:
        lines.append(f"  slice: {slice_text(cert['slice'])}")
    return lines + [f"  domain: {domain_text(first['domain']['rows'], len(first['domain']['point']))}"]


def slice_text(plane):
    """The slice of a verified certificate: its inputs as maps of the parameters ``x_k`` of the domain."""
    n, k = len(plane["origin"]), len(plane["directions"])
    return (f"the networks' inputs in Q^{n} are origin + " + " + ".join(f"x_{j} v_{j}" for j in range(k)) +
            f" (origin and v_0..v_{k - 1} in the certificate); the domain below is over x_0..x_{k - 1}")


def domain_text(rows, d):
    """The domain ``b + a.x >= 0`` in ``Q^d`` of integer rows: a box as intervals, else its inequalities (up to 8 of
    them)."""
    if not rows:
        return f"all of Q^{d}" if d else "one point (no free coordinates)"
    bounds = {}
    for b, *a in rows:
        axes = [i for i, v in enumerate(a) if v]
        if len(axes) == 1:
            i = axes[0]
            bounds.setdefault((i, a[i] > 0), []).append(Fraction(-b, a[i]))
    if len(rows) == 2 * d and all(len(bounds.get((i, s), [])) == 1 for i in range(d) for s in (True, False)):
        return ", ".join(f"x_{i} in [{bounds[i, True][0]}, {bounds[i, False][0]}]" for i in range(d))
    shown = [" + ".join(f"{v}*x_{i}" for i, v in enumerate(a) if v) + f" >= {-b}" for b, *a in rows[:8]]
    return f"{len(rows)} inequalities in x_0..x_{d - 1}: " + "; ".join(shown) + ("; ..." if len(rows) > 8 else "")


def arguments(args):
    """The certificate's path, the byte limit and the number of processes, or None for a bad command line."""
    options, args = {"--max-bytes": MAX_BYTES, "--jobs": 1}, list(args)
    while len(args) > 2 and args[0] in options and re.fullmatch("[0-9]{1,20}", args[1]):
        options[args[0]] = int(args[1])
        del args[:2]
    if len(args) != 1 or args[0].startswith("--") or options["--jobs"] < 1:
        return None
    return args[0], options["--max-bytes"], min(options["--jobs"], 256)


def main(argv=None):
    """Check the certificate file named on the command line; print the verdict; return the exit code."""
    parsed = arguments(sys.argv[1:] if argv is None else argv)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    path, max_bytes, jobs = parsed
    try:
        cert, nodes = open_certificate(path, max_bytes)
    except UNREADABLE as err:
        print(f"NOT VERIFIED: cannot read {path}: {err.strerror or err}")
        return 2
    except Malformed as err:
        print(f"NOT VERIFIED: malformed certificate: {path}: {err}")
        return 2
    except MemoryError:
        print(f"NOT VERIFIED: cannot read {path}: its JSON needs more memory than this machine has (lower "
              "--max-bytes to refuse such files at once)")
        return 2
    try:
        if jobs > 1 and nodes is None:
            print("polyreg_check: --jobs: a format 1 certificate is checked in one process (format 2 files, "
                  ".jsonl, are checked in parallel)", file=sys.stderr)
        lines, code = verdict(cert, nodes, jobs)
    except UNREADABLE as err:       # format 2 is read while it is checked
        print(f"NOT VERIFIED: cannot read {path}: {err.strerror or err}")
        return 2
    except MemoryError:
        print(f"NOT VERIFIED: cannot check {path}: it needs more memory than this machine has")
        return 2
    except Exception as err:        # a fault of the checker, not a verdict about the file
        print(f"polyreg_check: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    finally:
        if nodes is not None:
            nodes.close()
    try:
        print("\n".join(lines), flush=True)
    except BrokenPipeError:     # the reader (head, a pager) stopped early: the exit code still says the verdict
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code
