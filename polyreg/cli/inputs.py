"""What every command reads: the network (``network_at``), the domain (``domain_for``, from --box, --box-file,
--domain, --plane or --around), their options, and the progress line of long runs."""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any, Callable, Optional

from ..core.stages import check_map_size
from ..core.workers import Dask, Jobs, reachable
from ..errors import DomainError, InexactWarning, InputError, Stopped, located
from ..exact.rationals import q_to_str, to_q
from ..formats.json_files import MAX_BYTES, MIXED_DOMAIN_FORMAT, load_domain, load_domain_or_mixed
from ..formats.models import load_model
from ..formats.points import load_point
from ..geometry.domains import MixedDomain, Slice, around, domain_interior_point, plane
from ..geometry.polyhedron import Polyhedron, box
from ..network.ir import Network
from .output import writable_dir


class ProgressLine:
    """Reports progress on stderr once a run has taken more than ``after`` seconds, and ends it (``Stopped``) at a
    cell beyond ``max_cells`` or after ``timeout`` seconds."""

    def __init__(self, after: float = 2.0, max_cells: Optional[int] = None, timeout: Optional[float] = None) -> None:
        self.after, self.last, self.shown, self.cells, self.seconds = after, 0.0, False, 0, 0.0
        self.max_cells, self.timeout = max_cells, timeout
        self.tty = sys.stderr.isatty()

    def __call__(self, cells: int, seconds: float, open_items: int = 0) -> None:
        self.cells, self.seconds = cells, seconds
        if self.max_cells is not None and cells > self.max_cells:
            raise Stopped(cells, seconds, f"--max-cells {self.max_cells}")
        if self.timeout is not None and seconds >= self.timeout:
            raise Stopped(cells, seconds, f"--timeout {self.timeout:g}")
        every = 0.5 if self.tty else 10.0
        if seconds < self.after or seconds - self.last < every:
            return
        self.last, self.shown = seconds, True
        end = "\r" if self.tty else "\n"
        print(f"polyreg: {cells} cells so far, {seconds:.0f} s, {cells / seconds:.0f} cells/s, "
              f"{open_items} work item{'s' * (open_items != 1)} open",
              end=end, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.shown and self.tty:
            print(" " * 90, end="\r", file=sys.stderr, flush=True)


def with_progress(work: Callable, *args: object, limits: Optional[argparse.Namespace] = None) -> Any:
    """``work(*args, progress)`` with a progress line on stderr for long runs; with ``limits`` (the command line),
    ended by its --max-cells and --timeout, and by an interrupt (Ctrl-C), as ``Stopped``."""
    progress = ProgressLine(max_cells=getattr(limits, "max_cells", None), timeout=getattr(limits, "timeout", None))
    try:
        return work(*args, progress)
    except KeyboardInterrupt:
        raise Stopped(progress.cells, progress.seconds, "an interrupt") from None
    finally:
        progress.close()


def add_limits(command: argparse.ArgumentParser) -> None:
    """--max-cells and --timeout: a run that reaches either ends with a partial result (exit 3), as on Ctrl-C; and
    --jobs or --dask, where the work left after the first cells is finished, and --checkpoint (``run_options``)."""
    command.add_argument("--jobs", metavar="N", type=positive_int, default=os.cpu_count() or 1,
                         help="finish the refinement in N processes once 500 cells are found (default: all "
                              f"cores, here {os.cpu_count() or 1}); cells, counts, verdicts and certificates are "
                              "the same for every N")
    command.add_argument("--dask", metavar="ADDRESS",
                         help="finish it on the workers of the Dask scheduler at ADDRESS (e.g. tcp://host:8786; "
                              "needs polyreg[dask] here and polyreg on every worker) instead of --jobs processes")
    command.add_argument("--checkpoint", metavar="DIR",
                         help="save each finished work item in DIR; rerun the same command after a crash or kill "
                              "to resume (the same result; DIR must hold this run or nothing)")
    command.add_argument("--max-cells", metavar="N", type=positive_int,
                         help="stop at a cell beyond the N-th: a partial result, marked PARTIAL (exit 3), claims "
                              "nothing (a run with at most N cells ends as usual)")
    command.add_argument("--timeout", metavar="S", type=positive_float,
                         help="stop after S seconds of refinement, the same way")


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """Where the command line sends the work left (``jobs``: a Dask scheduler, checked to answer now, or --jobs
    processes) and the ``checkpoint`` folder (checked to be writable now)."""
    jobs: Jobs = int(args.jobs)
    if args.dask is not None:
        jobs = Dask(args.dask)
        reachable(jobs)
    if args.checkpoint is not None:
        writable_dir(args.checkpoint, "--checkpoint")
    return {"jobs": jobs, "checkpoint": args.checkpoint}


def no_checkpoint(args: argparse.Namespace, why: str) -> None:
    """Refuse --checkpoint where it does not apply (``why``: the reason)."""
    if args.checkpoint is not None:
        raise InputError(f"--checkpoint is not taken {why}")


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def domain_from_args(args: argparse.Namespace, input_dim: int) -> tuple[Polyhedron | MixedDomain | Slice, str]:
    if args.box is not None:
        lo = to_q(args.box[0].strip(), where="--box LO")   # strip the space main() put before a negative number
        hi = to_q(args.box[1].strip(), where="--box HI")
        return box(input_dim, lo, hi), f"[{q_to_str(lo)}, {q_to_str(hi)}]^{input_dim}"
    if args.box_file is not None:
        return load_domain(args.box_file, args.max_bytes), args.box_file
    if args.domain is not None:
        return load_domain_or_mixed(args.domain, args.max_bytes), args.domain
    if args.plane is not None:
        a, b, c = (load_point(path, args.max_bytes) for path in args.plane)
        with located("--plane"):
            return plane(a, b, c), (f"the plane through {', '.join(args.plane)}: a + s (b - a) + t (c - a), "
                                    "(s, t) in [-1/4, 5/4]^2")
    if args.around is not None:
        return around_from_args(args)
    raise InputError("no domain given: add --box LO HI, --box-file FILE, --domain FILE, --plane A B C or --around X "
                     "--radius R")


def around_from_args(args: argparse.Namespace) -> tuple[Polyhedron, str]:
    """The box ``|y - x|_inf <= R`` around the point of ``--around``, clipped to ``--clip LO HI`` if given."""
    if args.radius is None:
        raise InputError("--around needs --radius R (the half-width of the box around the point)")
    x = load_point(args.around, args.max_bytes)
    clip = (args.clip[0].strip(), args.clip[1].strip()) if args.clip else None
    domain = around(x, args.radius.strip(), clip)
    return domain, (f"the box of radius {args.radius.strip()} around {args.around}" +
                    (f", clipped to [{clip[0]}, {clip[1]}]" if clip else ""))


def domain_for(args: argparse.Namespace, net: Network, name: str) -> tuple[Polyhedron | Slice, str]:
    domain, described = domain_or_mixed_for(args, net, name)
    if isinstance(domain, MixedDomain):
        raise InputError(f"{described}: a {MIXED_DOMAIN_FORMAT} domain is taken by `polyreg certify A B` only; "
                         "give a polytope here")
    return domain, described


def domain_or_mixed_for(args: argparse.Namespace, net: Network,
                        name: str) -> tuple[Polyhedron | MixedDomain | Slice, str]:
    domain, described = domain_from_args(args, net.input_dim)
    if isinstance(domain, MixedDomain):
        if domain.input_dim != net.input_dim:
            raise InputError(f"{described}: the mixed domain has input_dim {domain.input_dim} but {name} "
                             f"has input_dim {net.input_dim}")
        return domain, described
    if isinstance(domain, Slice):
        if domain.input_dim != net.input_dim:
            raise InputError(f"{described}: the slice lies in Q^{domain.input_dim} but {name} has input_dim "
                             f"{net.input_dim}")
        check_interior(domain.parameters, described + " (parameters)")
        return domain, f"{described} (counts and cells in the slice's parameters)"
    if domain.dim != net.input_dim:
        raise InputError(f"{described}: the domain has dimension {domain.dim} but {name} "
                         f"has input_dim {net.input_dim}")
    if args.domain is not None:   # a polytope file may be empty, flat or unbounded (boxes are checked as read)
        check_interior(domain, described)
    return domain, described


def check_interior(domain: Polyhedron, described: str) -> None:
    """A ``DomainError`` naming ``described`` unless ``domain`` is bounded and full-dimensional."""
    try:
        domain_interior_point(domain)
    except DomainError as err:
        raise DomainError(f"{described}: {err}") from None


def network_at(path: str, args: argparse.Namespace) -> Network:
    """The network in the file ``path`` (at most ``--max-bytes``; ``--strict``: no float for an irrational result),
    after checking that polyreg can hold its affine maps (``InputError`` naming the file otherwise). Warnings of
    inexact operators are printed on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InexactWarning)
        net = load_model(path, args.max_bytes, args.strict)
    for warning in caught:
        print(f"polyreg: warning: {warning.message}", file=sys.stderr)
    with located(path):
        check_map_size(net)
    return net


NETWORK_FILE = "a polyreg.network/1 or polyreg.transformer/1 JSON file, or an ONNX model (.onnx)"


def add_max_bytes(command: argparse.ArgumentParser, models: bool = True) -> None:
    command.add_argument("--max-bytes", metavar="N", type=int, default=MAX_BYTES,
                         help=f"read at most N bytes of JSON from each input file, counted after decompression "
                              f"(default {MAX_BYTES}, 1 GiB)")
    if models:
        command.add_argument("--strict", action="store_true",
                             help="refuse a model with an operator whose real result is irrational (batch "
                                  "normalization's 1/sqrt(var + eps)) instead of using its float64 value")


def add_domain_and_json(command: argparse.ArgumentParser) -> None:
    where = command.add_mutually_exclusive_group()
    where.add_argument("--box", nargs=2, metavar=("LO", "HI"), help="the box [LO, HI]^d (exact: -1, 1/2, 0.25)")
    where.add_argument("--box-file", metavar="FILE", help="a polyreg.box/1 file with per-coordinate bounds")
    where.add_argument("--domain", metavar="FILE", help="a polyreg.domain/1 file: {A, b} meaning A x <= b; certify "
                                                        "also takes a polyreg.mixed-domain/1 file (discrete groups "
                                                        "times a polytope)")
    where.add_argument("--plane", nargs=3, metavar=("A", "B", "C"),
                       help="the plane through three input points (.json lists or .npy arrays): a + s (b - a) + "
                            "t (c - a) for (s, t) in [-1/4, 5/4]^2, so A, B, C sit at (0, 0), (1, 0), (0, 1); "
                            "counts, cells and certificates are in (s, t)")
    where.add_argument("--around", metavar="X", help="the box |y - X|_inf <= R around the point X (.json or .npy), "
                                                     "with --radius R")
    command.add_argument("--radius", metavar="R", help="the half-width of the box of --around (exact: 1/100, 0.01)")
    command.add_argument("--clip", nargs=2, metavar=("LO", "HI"), help="with --around: intersect the box with "
                                                                      "[LO, HI]^d, the valid inputs (pixels: 0 1)")
    command.add_argument("--json", action="store_true", help="print one JSON object")
    add_max_bytes(command)
