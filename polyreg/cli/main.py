"""Command line: ``polyreg count | compile | certify | check | report | distance | eval | convert | plot``.

Exit codes: 0 success (``certify``: equivalent, same class, within epsilon), 10 ``certify`` found the networks
different (or a point of different class, or beyond epsilon), 11 ``certify`` proved its claim almost everywhere only
(a hard-max head is not tie-safe), 3 partial (stopped by --max-cells, --timeout or Ctrl-C: nothing claimed),
2 bad input (the message names the file, layer and field), 1 internal error.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any, Sequence

from ..analysis.cases import MixedVerdict, certify_mixed
from ..analysis.equivalence import Counterexample, Verdict, certify, distance
from ..analysis.regions import RegionCounts, region_counts
from ..analysis.streamed import streamed_counts
from ..certificates.claims import Counts, verdict_claim
from ..certificates.write import certificate, mixed_certificate, provenance
from ..compiler.maxout_to_transformer import (
    check_compiled_size,
    compile_transformer,
    maxout_form,
    parameter_counts,
    size_of,
)
from ..core.cpwl import Cpwl
from ..core.enumerate import collector_paused, lower
from ..errors import InputError, PolyregError, Stopped, located
from ..exact.rationals import DECIMAL, RATIONAL, Vec, q_to_str, to_q
from ..formats.json_files import (
    save_network,
)
from ..geometry.domains import MixedDomain, Slice
from ..geometry.polyhedron import Polyhedron
from ..network.ir import Mlp, Network, Transformer
from ..network.semantics import evaluate, evaluate_softmax
from .inputs import (
    NETWORK_FILE,
    add_domain_and_json,
    add_limits,
    add_max_bytes,
    domain_for,
    domain_or_mixed_for,
    network_at,
    no_checkpoint,
    positive_int,
    run_options,
    with_progress,
)
from .output import check_evidence_paths, save_evidence, subtree_rendering, writable_dir, writable_file
from .plot import add_graph_option, add_plot, check_graph_path, save_graph
from .questions import run_question

EXIT_DIFFERENT, EXIT_ALMOST_EVERYWHERE, EXIT_PARTIAL = 10, 11, 3

DEFINITIONS = {
    "activation_regions": "full-dimensional cells with distinct activation patterns",
    "linear_regions": "maximal facet-connected unions of cells with one affine map",
    "affine_maps": "distinct affine maps, connected or not",
}


def compiled(net: Mlp, path: str, domain: Polyhedron | Slice) -> Transformer:
    """``net`` (read from ``path``) compiled to a transformer on ``domain``; a network too large to compile raises
    ``InputError`` naming the file."""
    if isinstance(domain, Slice):
        raise InputError(f"{path}: compiling needs a polytope of the network's inputs (--box, --box-file or a "
                         "polyreg.domain/1 file), not a slice")
    with located(path):
        check_compiled_size(net)
    return compile_transformer(net, domain)


def run_count(args: argparse.Namespace) -> int:
    check_evidence_paths(args)
    check_graph_path(args)
    net = network_at(args.network, args)
    domain, described = domain_for(args, net, args.network)
    started = time.perf_counter()
    with ExitStack() as open_until_written:
        counts, cpwl = counted(args, net, domain, open_until_written)
        seconds = time.perf_counter() - started
        result = {
            "network": args.network, "domain": described, "input_dim": net.input_dim,
            "activation_regions": counts.activation_regions, "linear_regions": counts.linear_regions,
            "affine_maps": counts.affine_maps, "cells": counts.cells, "seconds": round(seconds, 3),
            "not_tie_safe": list(cpwl.not_tie_safe),
        }
        if args.certificate or args.report:
            facts = provenance(args.command_line, [args.network], seconds, domain=described,
                               linear_regions=counts.linear_regions)
            save_evidence(certificate(cpwl, Counts.counted(counts), facts, lazy=True), args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.network} on {described} (input dimension {net.input_dim})")
    for key, meaning in DEFINITIONS.items():
        print(f"  {key.replace('_', ' '):<20}{result[key]:>10}   {meaning}")
    print(f"  {counts.cells} cells in {seconds:.2f} s")
    if cpwl.not_tie_safe:
        print(f"  note: the output may jump where keys tie at {'; '.join(cpwl.not_tie_safe)} "
              "(not tie-safe); regions are counted on cell interiors")
    return 0


def counted(args: argparse.Namespace, net: Network, domain: Polyhedron | Slice,
            open_until_written: ExitStack) -> tuple[RegionCounts, Cpwl]:
    """The counts of ``net`` on ``domain``, and the refinement to certify them with. The cells are streamed, not kept
    (``analysis.streamed``; --cells written as they are counted), unless --graph, --report or a format 1
    --certificate needs them all in memory; the streamed refinement's spill stays open in ``open_until_written``."""
    options = {**run_options(args), **subtree_rendering(args)}
    if args.graph or args.report or (args.certificate and "render" not in options):
        cpwl = with_progress(partial(lower, **options), net, domain, limits=args)
        save_graph(args, cpwl)
        return region_counts(cpwl), cpwl
    streamed = with_progress(lambda progress: open_until_written.enter_context(
        streamed_counts(net, domain, args.cells, progress=progress, **options)), limits=args)
    if args.cells:
        print(f"cells: {args.cells} ({streamed.counts.cells} cells, one JSON line each)", file=sys.stderr)
    return streamed.counts, streamed.skeleton


def load_mlp(path: str, args: argparse.Namespace) -> Mlp:
    net = network_at(path, args)
    if not isinstance(net, Mlp):
        raise InputError(f"{path}: compile takes a polyreg.network/1 file (ReLU or maxout layers), "
                         "not a transformer")
    return net


def size_table(net: Mlp, t: Transformer) -> dict:
    size = size_of(t)
    nonzero, dense = parameter_counts(net)
    layers = maxout_form(net).layers
    return {
        "network": {"nonlinear_layers": len(layers), "rank": len(layers[0].weights) if layers else 1,
                    "widths": list(net.widths), "nonzero_parameters": nonzero, "dense_parameters": dense},
        "transformer": {"blocks": size.blocks, "attention_blocks": size.attention_blocks, "heads": size.heads,
                        "width": size.width, "feed_forward_width": size.feed_forward_width, "tokens": size.tokens,
                        "nonzero_parameters": size.nonzero_parameters, "dense_parameters": size.dense_parameters},
        "ratio_nonzero": round(size.nonzero_parameters / max(dense, 1), 3),
        "ratio_dense": round(size.dense_parameters / max(dense, 1), 3),
    }


def run_compile(args: argparse.Namespace) -> int:
    if args.output:
        writable_file(args.output, "-o")
    net = load_mlp(args.network, args)
    domain, described = domain_for(args, net, args.network)
    t = compiled(net, args.network, domain)
    table = size_table(net, t)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        save_network(t, args.output)
    if args.json:
        print(json.dumps({"network": args.network, "domain": described, "output": args.output, **table}, indent=2))
        return 0
    n, tr = table["network"], table["transformer"]
    print(f"{args.network} compiled for {described}" + (f" -> {args.output}" if args.output else
                                                        " (not written: add -o FILE)"))
    print(f"  {'':<22}{'network':>12}{'transformer':>14}")
    print(f"  {'depth':<22}{n['nonlinear_layers']:>12}{tr['blocks']:>14}   (layers / blocks)")
    print(f"  {'max terms / tokens':<22}{n['rank']:>12}{tr['tokens']:>14}")
    print(f"  {'heads (all blocks)':<22}{'':>12}{tr['heads']:>14}")
    print(f"  {'model width':<22}{'':>12}{tr['width']:>14}")
    print(f"  {'feed-forward width':<22}{'':>12}{tr['feed_forward_width']:>14}")
    print(f"  {'nonzero parameters':<22}{n['nonzero_parameters']:>12}{tr['nonzero_parameters']:>14}"
          f"   ratio {table['ratio_nonzero']}")
    print(f"  {'dense parameters':<22}{n['dense_parameters']:>12}{tr['dense_parameters']:>14}"
          f"   ratio {table['ratio_dense']}")
    return 0


def vector_text(v: Vec) -> str:
    return "(" + ", ".join(q_to_str(c) for c in v) + ")"


def witness_json(w: Counterexample) -> dict:
    return {"x": [q_to_str(c) for c in w.x], "outputs": {"A": [q_to_str(c) for c in w.outputs[0]],
                                                        "B": [q_to_str(c) for c in w.outputs[1]]},
            "difference": q_to_str(w.difference)}


def networks_for(args: argparse.Namespace, mixed: bool = False) -> tuple[Network, Network, str, str, Any, str]:
    """Networks A and B (B compiled from A when one is given), their names, the domain (a mixed one only when
    ``mixed``) and its description."""
    a = network_at(args.networks[0], args)
    domain, described = (domain_or_mixed_for if mixed else domain_for)(args, a, args.networks[0])
    if len(args.networks) == 2:
        return a, network_at(args.networks[1], args), args.networks[0], args.networks[1], domain, described
    if len(args.networks) != 1:
        raise InputError(f"give one network (compiled, then certified) or two networks, not {len(args.networks)}")
    if isinstance(domain, MixedDomain):
        raise InputError(f"{described}: over a mixed domain, certify compares two networks; give A and B")
    if not isinstance(a, Mlp):
        raise InputError(f"{args.networks[0]}: with one network, certify compiles it; give a "
                         "polyreg.network/1 file, or two networks to compare")
    return a, compiled(a, args.networks[0], domain), args.networks[0], "its compiled transformer", domain, described


def run_certify(args: argparse.Namespace) -> int:
    if args.top_1 or args.epsilon is not None:
        return run_question(args)
    check_evidence_paths(args)
    try:
        a, b, name_a, name_b, domain, described = networks_for(args, mixed=True)
        if args.split_outputs and not isinstance(domain, MixedDomain):
            domain = MixedDomain(domain.dim, (), tuple(range(domain.dim)), domain)
        if isinstance(domain, MixedDomain):
            no_checkpoint(args, "over a mixed domain")
            verdict = with_progress(partial(certify_mixed, split_outputs=args.split_outputs,
                                            jobs=run_options(args)["jobs"]), a, b, domain, limits=args)
        else:
            verdict = with_progress(partial(certify, **run_options(args), **subtree_rendering(args)), a, b, domain,
                                    limits=args)
    except PolyregError as err:
        print(json.dumps({"verdict": "ERROR", "error": str(err)}) if args.json else "ERROR")
        raise
    if isinstance(verdict, MixedVerdict):
        return print_mixed_verdict(args, verdict, (a, b), (name_a, name_b), domain, described)
    cpwl = verdict.refinement
    result = verdict_json(verdict, (name_a, name_b), described, cpwl.not_tie_safe, cells=len(cpwl.cells),
                          differing_cells=verdict.differing_cells)
    if args.certificate or args.report:
        facts = certify_provenance(args, verdict, result, described)
        save_evidence(certificate(cpwl, verdict_claim(verdict), facts, lazy=True), args)
    if args.json:
        print(json.dumps(result, indent=2))
        return certify_exit_code(verdict)
    print_verdict(verdict, (name_a, name_b), described, cpwl.not_tie_safe,
                  f"common refinement: {len(cpwl.cells)} cells, {verdict.seconds:.2f} s",
                  f"the maps differ on {verdict.differing_cells} of {len(cpwl.cells)} cells", "")
    return certify_exit_code(verdict)


def print_mixed_verdict(args: argparse.Namespace, verdict: MixedVerdict, networks: tuple[Network, Network],
                        names: tuple[str, str], domain: MixedDomain, described: str) -> int:
    """Print (and with --certificate write the certificate of) a verdict over a mixed domain; the exit code."""
    split = {"output_parts": len(verdict.parts)} if verdict.split else {}
    result = verdict_json(verdict, names, described, verdict.not_tie_safe, **split, discrete_cases=len(verdict.cases),
                          differing_cases=verdict.differing_cases, cells=verdict.cells,
                          differing_cells=verdict.differing_cells)
    if args.certificate or args.report:
        facts = certify_provenance(args, verdict, result, described)
        save_evidence(mixed_certificate(verdict, *networks, domain, facts, lazy=True), args)
    if args.json:
        print(json.dumps(result, indent=2))
        return certify_exit_code(verdict)
    continuous = f"continuous coordinates {list(domain.free)}" if domain.free else "no continuous coordinates"
    parts = f"{len(verdict.parts)} output parts, " if verdict.split else ""
    print_verdict(verdict, names, f"{described} (mixed: discrete groups {len(domain.discrete)}, {continuous})",
                  verdict.not_tie_safe,
                  f"{parts}discrete cases: {len(verdict.cases)}; cells: {verdict.cells} in total, "
                  f"{verdict.seconds:.2f} s",
                  f"the maps differ on {verdict.differing_cells} of {verdict.cells} cells, in "
                  f"{verdict.differing_cases} of {len(verdict.cases)} discrete cases",
                  " (first differing case, full input)")
    return certify_exit_code(verdict)


def verdict_json(verdict: Verdict | MixedVerdict, names: tuple[str, str], described: str,
                 not_tie_safe: Sequence[str], **counts: int) -> dict[str, Any]:
    """The ``--json`` output of certify."""
    result = {"verdict": verdict.word.replace(" ", "_"), "everywhere": verdict.everywhere,
              "not_tie_safe": list(not_tie_safe), "networks": {"A": names[0], "B": names[1]}, "domain": described,
              **counts, "seconds": round(verdict.seconds, 3)}
    if verdict.counterexample is not None:
        assert verdict.distance is not None   # set together with the counterexample
        result["counterexample"] = witness_json(verdict.counterexample)
        result["distance"] = q_to_str(verdict.distance)
    return result


def certify_provenance(args: argparse.Namespace, verdict: Verdict | MixedVerdict, result: dict[str, Any],
                       described: str) -> dict[str, Any]:
    reported = {k: result[k] for k in ("verdict", "networks", "counterexample", "distance") if k in result}
    return provenance(args.command_line, args.networks, verdict.seconds, domain=described, **reported)


def print_verdict(verdict: Verdict | MixedVerdict, names: tuple[str, str], described: str,
                  not_tie_safe: Sequence[str], size: str, differing: str, where: str) -> None:
    """The human-readable output of certify: the verdict word first."""
    print(verdict.word)
    print(f"  A: {names[0]}\n  B: {names[1]}\n  domain: {described}")
    print(f"  {size}")
    if verdict.counterexample is not None:
        assert verdict.distance is not None   # set together with the counterexample
        w = verdict.counterexample
        print(f"  {differing}")
        on = verdict.refinement.slice if isinstance(verdict, Verdict) else None
        if on is not None:
            print(f"  counterexample at the slice's parameters t = {vector_text(w.x)}, the input\n"
                  f"    x = {vector_text(on.point(w.x))}")
        else:
            print(f"  counterexample{where} x = {vector_text(w.x)}")
        print(f"    A(x) = {vector_text(w.outputs[0])}\n    B(x) = {vector_text(w.outputs[1])}"
              "   (direct exact evaluation)")
        print(f"  sup-norm distance on the domain: {q_to_str(verdict.distance)} (about {float(verdict.distance):.6g})")
    if not_tie_safe:
        print(f"  not tie-safe: {'; '.join(not_tie_safe)}: equality is proved on the interior of "
              "every cell, not on the ties between them")


def certify_exit_code(verdict: Verdict | MixedVerdict) -> int:
    if not verdict.equivalent:
        return EXIT_DIFFERENT
    return 0 if verdict.everywhere else EXIT_ALMOST_EVERYWHERE

def run_distance(args: argparse.Namespace) -> int:
    if len(args.networks) != 2:
        raise InputError("distance takes two networks")
    a, b, name_a, name_b, domain, described = networks_for(args)
    result = with_progress(partial(distance, **run_options(args)), a, b, domain, limits=args)
    if args.json:
        print(json.dumps({"distance": q_to_str(result.value), "maximiser": witness_json(result.maximiser),
                          "cells": len(result.refinement.cells), "seconds": round(result.seconds, 3)}, indent=2))
        return 0
    print(f"{q_to_str(result.value)}")
    print(f"  max over {described} of |A(x) - B(x)|_inf (about {float(result.value):.6g}), "
          f"A = {name_a}, B = {name_b}")
    w = result.maximiser
    print(f"  attained at x = {vector_text(w.x)}: A(x) = {vector_text(w.outputs[0])}, "
          f"B(x) = {vector_text(w.outputs[1])}")
    print(f"  {len(result.refinement.cells)} cells, {result.seconds:.2f} s")
    return 0


def run_check(args: argparse.Namespace) -> int:
    import polyreg_check
    return polyreg_check.main(["--max-bytes", str(args.max_bytes), "--jobs", str(args.jobs), args.certificate])


def run_report(args: argparse.Namespace) -> int:
    from ..report.render import REPORT_FILES, report_of_files, write_report
    writable_dir(args.output, "-o", REPORT_FILES)
    report = report_of_files(args.certificates, args.max_bytes)
    written = write_report(report, args.output)
    print(report.first_line)
    for path in written:
        print(f"  {path}")
    return 0 if report.verified else 1


def run_eval(args: argparse.Namespace) -> int:
    net = network_at(args.network, args)
    x = [to_q(v.strip(), where=f"coordinate {i}") for i, v in enumerate(args.point)]
    if len(x) != net.input_dim:
        raise InputError(f"{args.network} takes {net.input_dim} inputs; got {len(x)} coordinates")
    if args.softmax is None:
        print(vector_text(evaluate(net, x)))
        return 0
    if not isinstance(net, Transformer):
        raise InputError("--softmax applies to transformers only")
    scale = float(to_q(args.softmax, where="--softmax"))
    values = evaluate_softmax(net, [float(v) for v in x], scale)
    print("(" + ", ".join(f"{v:.12g}" for v in values) + ")   NUMERIC (float64 softmax), NOT CERTIFIED")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="polyreg", description="Exact linear regions of piecewise-linear networks.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_count, add_compile, add_certify, add_check, add_report, add_distance, add_eval, add_convert,
                add_plot):
        add(commands)
    return top


def add_count(commands: Any) -> None:
    count = commands.add_parser("count", help="exact region counts of a network on a domain",
                                description="Count the exact regions of a network (MLP or hard-max "
                                            "transformer) on a bounded, full-dimensional domain.")
    count.add_argument("network", help=NETWORK_FILE)
    add_domain_and_json(count)
    add_limits(count)
    add_certificate(count)
    add_graph_option(count)
    count.set_defaults(run=run_count)


def add_compile(commands: Any) -> None:
    comp = commands.add_parser("compile", help="compile a maxout/ReLU network into a hard-max transformer",
                               description="Compile a maxout or ReLU network into a hard-max transformer "
                                           "that equals it on the domain, and compare their sizes.")
    comp.add_argument("network", help="a polyreg.network/1 JSON file")
    comp.add_argument("-o", "--output", metavar="FILE", help="write the polyreg.transformer/1 file here")
    add_domain_and_json(comp)
    comp.set_defaults(run=run_compile)


def add_certify(commands: Any) -> None:
    cert = commands.add_parser("certify", help="prove two networks equal on a domain, or find where they differ",
                               description="EQUIVALENT, DIFFERENT (with an exact counterexample and the "
                                           "exact sup-norm distance) or ERROR, on the first line. With one "
                                           "network, it is compiled to a transformer first. Exit codes: 0 "
                                           "equivalent, 10 different, 11 equivalent almost everywhere (not "
                                           "tie-safe), 3 partial (--max-cells, --timeout, Ctrl-C), 2 bad input, 1 "
                                           "internal error.")
    cert.add_argument("networks", nargs="+", metavar="NETWORK", help="one network (compiled), or two")
    cert.add_argument("--split-outputs", action="store_true",
                      help="certify outputs that depend on different inputs or units separately: each part "
                           "enumerates only the discrete groups and decides only the units its outputs can reach "
                           "(for example one output token at a time)")
    question = cert.add_mutually_exclusive_group()
    question.add_argument("--top-1", action="store_true",
                          help="SAME CLASS if at every point some class is top-scoring for both A and B, else "
                               "DIFFERENT CLASS with an exact point where their top classes are disjoint")
    question.add_argument("--epsilon", metavar="E",
                          help="WITHIN EPSILON if |A(x) - B(x)|_inf <= E everywhere, else EXCEEDS EPSILON with an "
                               "exact point, found at the first cell that exceeds E")
    add_domain_and_json(cert)
    add_limits(cert)
    add_certificate(cert)
    cert.set_defaults(run=run_certify)


def add_check(commands: Any) -> None:
    chk = commands.add_parser("check", help="re-verify a certificate (standard library only, no LP)",
                              description="Prints VERIFIED or NOT VERIFIED: reason. Exit codes: 0 verified, "
                                          "1 rejected, 2 malformed.")
    chk.add_argument("certificate",
                     help="a certificate written with --certificate (.json or .jsonl, plain or .gz)")
    add_max_bytes(chk, models=False)
    chk.add_argument("--jobs", metavar="N", type=positive_int, default=1,
                     help="check a format 2 certificate's subtrees in N processes (default 1); the verdict is the "
                          "same for every N")
    chk.set_defaults(run=run_check)


def add_report(commands: Any) -> None:
    rep = commands.add_parser("report", help="check certificates and write an HTML, Markdown and JSON report",
                              description="Runs the checker on each certificate and writes report.html (self-"
                                          "contained), report.md, report.json and PNG figures into DIR; with "
                                          "several count certificates, a table and plot of counts against depth. "
                                          "Prints the report's first line. Exit codes: 0 verified, 1 not "
                                          "verified, 2 unreadable or malformed certificate.")
    rep.add_argument("certificates", nargs="+", metavar="CERT", help="certificates (.json or .json.gz)")
    rep.add_argument("-o", "--output", metavar="DIR", required=True, help="the folder to write the report into")
    add_max_bytes(rep, models=False)
    rep.set_defaults(run=run_report)


def add_distance(commands: Any) -> None:
    dist = commands.add_parser("distance", help="exact sup-norm distance between two networks on a domain")
    dist.add_argument("networks", nargs="+", metavar="NETWORK", help="two networks")
    add_domain_and_json(dist)
    add_limits(dist)
    dist.set_defaults(run=run_distance)


def add_eval(commands: Any) -> None:
    ev = commands.add_parser("eval", help="evaluate a network exactly at one point")
    ev.add_argument("network", help=NETWORK_FILE)
    ev.add_argument("point", nargs="+", help="the input coordinates (exact: -1, 1/3, 0.25)")
    ev.add_argument("--softmax", metavar="LAMBDA", help="use softmax(LAMBDA * score) attention in floating "
                                                        "point instead (numeric, not certified)")
    add_max_bytes(ev)
    ev.set_defaults(run=run_eval)


def add_convert(commands: Any) -> None:
    conv = commands.add_parser("convert", help="write a model (ONNX, or polyreg JSON) as a polyreg.network/1 file",
                               description="Read a model exactly (a float weight is its exact binary value) and "
                                           "write it as polyreg JSON.")
    conv.add_argument("model", help="an .onnx file (or a polyreg JSON network)")
    conv.add_argument("-o", "--output", metavar="FILE", required=True, help="the polyreg JSON file to write")
    add_max_bytes(conv)
    conv.set_defaults(run=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    writable_file(args.output, "-o")
    net = network_at(args.model, args)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    save_network(net, args.output)
    layers = len(net.layers) if isinstance(net, Mlp) else len(net.blocks)
    print(f"{args.model} -> {args.output} (input dimension {net.input_dim}, {net.output_dim} outputs, {layers} "
          f"{'layers' if isinstance(net, Mlp) else 'blocks'})")
    return 0


def add_certificate(command: argparse.ArgumentParser) -> None:
    command.add_argument("--certificate", metavar="FILE", help="write a certificate that `polyreg check` "
                                                               "re-verifies (gzip-compressed if FILE ends in .gz)")
    command.add_argument("--report", metavar="DIR", help="check the certificate and write its report (as "
                                                         "`polyreg report`) into DIR; without --certificate, the "
                                                         "certificate is written to DIR/certificate.json.gz")


NEGATIVE_START = re.compile(r"-\.?[0-9]")


def is_negative_number(arg: str) -> bool:
    """Whether ``arg`` is a negative number spelled as ``to_q`` reads it (-3, -1/3, -0.25, -.5, -5., -1e-3, -2E+1),
    a value rather than an option; its size is checked later, by ``to_q``."""
    return bool(NEGATIVE_START.match(arg) and (RATIONAL.fullmatch(arg) or DECIMAL.fullmatch(arg)))


def print_partial(stop: Stopped, as_json: bool) -> None:
    """A run ended by --max-cells, --timeout or an interrupt: what was done, and that nothing is claimed."""
    if as_json:
        print(json.dumps({"partial": True, "reason": stop.reason, "cells": stop.cells,
                          "seconds": round(stop.seconds, 3)}, indent=2))
        return
    print(f"PARTIAL\n  {stop}; nothing is claimed about the domain (no count, verdict or certificate)")


def main(argv: Sequence[str] | None = None) -> int:
    # argparse would read "-1/3" as an option; a leading space keeps it a value (to_q strips it)
    argv = [" " + a if is_negative_number(a) else a for a in (sys.argv[1:] if argv is None else argv)]
    args = parser().parse_args(argv)
    args.command_line = ["polyreg"] + [a.strip() for a in argv]
    try:
        with collector_paused():        # see there: a command's objects last until it ends
            return int(args.run(args))
    except InputError as err:
        print(f"polyreg: error: {err}", file=sys.stderr)
        return 2
    except Stopped as stop:
        print_partial(stop, args.json)
        return EXIT_PARTIAL
    except BrokenPipeError:  # the reader of stdout (head, a pager) stopped early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:   # a file that could not be read or written after all (the disk is full, ...)
        print(f"polyreg: error: {err.filename}: {err.strerror or err}", file=sys.stderr)
        return 2
    except PolyregError as err:
        print(f"polyreg: internal error: {err}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"polyreg: error: out of memory in `{' '.join(args.command_line)}`: use a smaller network or domain, "
              "or a machine with more memory", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("polyreg: interrupted", file=sys.stderr)
        return 130
    except Exception as err:     # a fault of polyreg itself: one line, no verdict
        print(f"polyreg: internal error: {type(err).__name__}: {err} (please report it with the command line)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
