"""Command line: ``polyreg count NETWORK (--box LO HI | --box-file F | --domain F) [--json]``.

Exit codes: 0 success, 2 bad input (the message names the file, layer and field), 1 internal error.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Sequence

from .errors import InputError, PolyregError
from .exact import q_to_str, to_q
from .io import load_domain, load_network
from .lower import lower
from .polyhedron import Polyhedron, box
from .regions import region_counts

DEFINITIONS = {
    "activation_regions": "full-dimensional cells with distinct activation patterns",
    "linear_regions": "maximal facet-connected unions of cells with one affine map",
    "affine_maps": "distinct affine maps, connected or not",
}


class ProgressLine:
    """Reports progress on stderr once a run has taken more than ``after`` seconds."""

    def __init__(self, after: float = 2.0) -> None:
        self.after, self.last, self.shown = after, 0.0, False
        self.tty = sys.stderr.isatty()

    def __call__(self, cells: int, seconds: float) -> None:
        every = 0.5 if self.tty else 10.0
        if seconds < self.after or seconds - self.last < every:
            return
        self.last, self.shown = seconds, True
        end = "\r" if self.tty else "\n"
        print(f"polyreg: {cells} cells so far, {seconds:.0f} s, {cells / seconds:.0f} cells/s",
              end=end, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.shown and self.tty:
            print(" " * 70, end="\r", file=sys.stderr, flush=True)


def domain_from_args(args: argparse.Namespace, input_dim: int) -> tuple[Polyhedron, str]:
    if args.box is not None:
        lo = to_q(args.box[0], where="--box LO")
        hi = to_q(args.box[1], where="--box HI")
        return box(input_dim, lo, hi), f"[{q_to_str(lo)}, {q_to_str(hi)}]^{input_dim}"
    if args.box_file is not None:
        return load_domain(args.box_file), args.box_file
    if args.domain is not None:
        return load_domain(args.domain), args.domain
    raise InputError("no domain given: add --box LO HI, --box-file FILE or --domain FILE")


def run_count(args: argparse.Namespace) -> int:
    net = load_network(args.network)
    domain, described = domain_from_args(args, net.input_dim)
    if domain.dim != net.input_dim:
        raise InputError(f"{described}: the domain has dimension {domain.dim} but {args.network} "
                         f"has input_dim {net.input_dim}")
    started = time.perf_counter()
    progress = ProgressLine()
    try:
        cpwl = lower(net, domain, progress)
        counts = region_counts(cpwl)
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    result = {
        "network": args.network, "domain": described, "input_dim": net.input_dim,
        "activation_regions": counts.activation_regions, "linear_regions": counts.linear_regions,
        "affine_maps": counts.affine_maps, "cells": counts.cells, "seconds": round(seconds, 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.network} on {described} (input dimension {net.input_dim})")
    for key, meaning in DEFINITIONS.items():
        print(f"  {key.replace('_', ' '):<20}{result[key]:>10}   {meaning}")
    print(f"  {len(cpwl.cells)} cells in {seconds:.2f} s")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="polyreg", description="Exact linear regions of piecewise-linear networks.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    count = commands.add_parser("count", help="exact region counts of a network on a domain",
                                description="Count the exact regions of a network on a bounded, "
                                            "full-dimensional domain.")
    count.add_argument("network", help="a polyreg.network/1 JSON file")
    where = count.add_mutually_exclusive_group()
    where.add_argument("--box", nargs=2, metavar=("LO", "HI"), help="the box [LO, HI]^d (exact: -1, 1/2, 0.25)")
    where.add_argument("--box-file", metavar="FILE", help="a polyreg.box/1 file with per-coordinate bounds")
    where.add_argument("--domain", metavar="FILE", help="a polyreg.domain/1 file: {A, b} meaning A x <= b")
    count.add_argument("--json", action="store_true", help="print one JSON object")
    count.set_defaults(run=run_count)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except InputError as err:
        print(f"polyreg: error: {err}", file=sys.stderr)
        return 2
    except PolyregError as err:
        print(f"polyreg: internal error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("polyreg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
