"""``polyreg plot``: a picture of a network's exact cells on a 2-D domain; and ``count --graph FILE``: the region graph.

Registered in ``main.py``: ``add_plot`` with the other commands, ``add_graph_option`` / ``check_graph_path`` /
``save_graph`` in ``count``. matplotlib is imported only when a picture is drawn.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from typing import Any

from ..analysis.graph import region_graph, write_cells, write_region_graph
from ..core.cpwl import Cpwl
from ..core.enumerate import lower
from ..geometry.domains import Slice
from ..report.figures import FIGURE_FORMATS, check_output, draw, figure_format, require_plane, save_figure
from .inputs import NETWORK_FILE, add_domain_and_json, add_limits, domain_for, network_at, run_options, with_progress
from .output import writable_file


def add_plot(commands: Any) -> None:
    plot = commands.add_parser(
        "plot", help="draw a network's exact cells on a 2-D domain (PNG, SVG or PDF)",
        description="Draw every cell of a 2-input network (or of a --plane slice) as its exact polygon, cells "
                    "sharing an edge in different colours, with the counts in the title; optionally the decision "
                    "boundary and level lines of one output, exact within each cell. Exit codes: 0 written, 2 bad "
                    "input (a domain that is not 2-D, an unknown picture format, a path that cannot be written), "
                    "1 internal error.")
    plot.add_argument("network", help=NETWORK_FILE)
    plot.add_argument("-o", "--output", metavar="FILE", required=True,
                      help=f"the picture to write; its format by its suffix ({', '.join(FIGURE_FORMATS)})")
    plot.add_argument("--boundary", action="store_true",
                      help="draw the decision boundary: where the argmax of the outputs changes (one output: where "
                           "it changes sign)")
    plot.add_argument("--level", metavar="OUTPUT", type=int,
                      help="draw level lines of this output (numbered from 0), with a colour bar")
    plot.add_argument("--labels", nargs=2, metavar=("X", "Y"), help="the axis labels (default x1 x2; t1 t2 on a "
                                                                     "--plane slice)")
    plot.add_argument("--title", help="the title (default: the numbers of cells, linear regions and affine maps)")
    add_domain_and_json(plot)
    add_limits(plot)
    plot.set_defaults(run=run_plot)


def run_plot(args: argparse.Namespace) -> int:
    figure_format(args.output)   # before any work: the picture's format and the path
    writable_file(args.output, "-o")
    net = network_at(args.network, args)
    domain, described = domain_for(args, net, args.network)
    require_plane(len(domain.directions) if isinstance(domain, Slice) else domain.dim)
    if args.level is not None:
        check_output(net.output_dim, args.level)
    started = time.perf_counter()
    cpwl = with_progress(partial(lower, **run_options(args)), net, domain, limits=args)
    ax, counts = draw(cpwl, boundary=args.boundary, level=args.level, labels=args.labels, title=args.title)
    save_figure(ax.figure, args.output)
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({"network": args.network, "domain": described, "output": args.output, **counts,
                          "seconds": round(seconds, 3)}, indent=2))
        return 0
    extra = "".join(f", {counts[k]} {k.replace('_', ' ')}" for k in ("boundary_segments", "level_segments")
                    if k in counts)
    print(f"{args.output}: {counts['cells']} cells, {counts['linear_regions']} linear regions, "
          f"{counts['affine_maps']} affine maps{extra}")
    print(f"  {args.network} on {described}, {seconds:.2f} s")
    return 0


def add_graph_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--graph", metavar="FILE",
                         help="also write the region graph (a node per cell, an edge per shared facet): GraphML if "
                              "FILE ends in .graphml, else node-link JSON; both load in networkx")
    command.add_argument("--cells", metavar="FILE",
                         help="also write every cell as one JSON line (gzip if FILE ends in .gz): its number, an exact "
                              "interior point, its activation pattern and each network's exact affine map")


def check_graph_path(args: argparse.Namespace) -> None:
    """Before any work: ``InputError`` unless the files of ``--graph`` and ``--cells`` can be written."""
    for option in ("graph", "cells"):
        if getattr(args, option, None):
            writable_file(getattr(args, option), f"--{option}")


def save_graph(args: argparse.Namespace, cpwl: Cpwl) -> None:
    """With ``--cells FILE``, write the cells of ``cpwl`` there; with ``--graph FILE``, its region graph; and say so
    on stderr."""
    if getattr(args, "cells", None):
        written = write_cells(cpwl, args.cells)
        print(f"cells: {args.cells} ({written} cells, one JSON line each)", file=sys.stderr)
    if not getattr(args, "graph", None):
        return
    graph = region_graph(cpwl)
    write_region_graph(graph, args.graph)
    print(f"graph: {args.graph} ({graph.number_of_nodes()} cells, {graph.number_of_edges()} shared facets)",
          file=sys.stderr)
