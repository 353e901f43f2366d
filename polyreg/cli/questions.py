"""``certify A B --top-1`` and ``certify A B --epsilon E``: the classifier questions (``analysis.classifiers``).

Exit codes as for ``certify``: 0 yes, 10 no (with an exact point), 11 yes on the cells' interiors only (a hard-max
head is not tie-safe), 2 bad input.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..analysis.classifiers import Answer, Witness, top_1, within
from ..certificates.claims import answer_claim
from ..certificates.write import certificate, point_certificate, provenance
from ..errors import InputError
from ..exact.rationals import q_to_str, to_q
from ..geometry.domains import MixedDomain, Slice
from .inputs import domain_or_mixed_for, network_at, no_checkpoint, with_progress
from .output import check_evidence_paths, save_evidence

EXIT_NO, EXIT_ALMOST_EVERYWHERE = 10, 11


def run_question(args: argparse.Namespace) -> int:
    """Answer --top-1 or --epsilon for the two networks on the command line; print it; the exit code."""
    if len(args.networks) != 2 or args.split_outputs:
        raise InputError(f"--{'top-1' if args.top_1 else 'epsilon'} compares two networks A and B on a box, "
                         "polytope or slice (without --split-outputs)")
    check_evidence_paths(args)
    a, b = (network_at(path, args) for path in args.networks)
    domain, described = domain_or_mixed_for(args, a, args.networks[0])
    if isinstance(domain, MixedDomain):
        raise InputError(f"{described}: --top-1 and --epsilon take a box, a polytope or a slice, not a mixed domain")
    no_checkpoint(args, "with --top-1 or --epsilon (they stop at the first answer, in one process)")
    if args.dask is not None:
        raise InputError("--dask is not taken with --top-1 or --epsilon: they stop at the first answer, in one "
                         "process")
    if args.top_1:
        answer = with_progress(top_1, a, b, domain, limits=args)
    else:
        answer = with_progress(within, a, b, domain, to_q(args.epsilon, where="--epsilon"), limits=args)
    result = answer_json(answer, args.networks, described)
    if args.certificate or args.report:
        facts = provenance(args.command_line, args.networks, answer.seconds, domain=described,
                           **{k: result[k] for k in ("verdict", "witness") if k in result})
        claim = answer_claim(answer)
        cert = (certificate(answer.refinement, claim, facts, lazy=True) if answer.refinement is not None
                else point_certificate(answer.networks, answer.domain, claim, facts))
        save_evidence(cert, args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_answer(answer, args.networks, described)
    return 0 if answer.holds and answer.everywhere else EXIT_ALMOST_EVERYWHERE if answer.holds else EXIT_NO


def answer_json(answer: Answer, names: list[str], described: str) -> dict[str, Any]:
    """The ``--json`` output."""
    result: dict[str, Any] = {"verdict": answer.word.replace(" ", "_"), "everywhere": answer.everywhere,
                              "networks": {"A": names[0], "B": names[1]}, "domain": described,
                              "cells": answer.cells, "seconds": round(answer.seconds, 3)}
    if answer.epsilon is not None:
        result["epsilon"] = q_to_str(answer.epsilon)
    if answer.witness is not None:
        result["witness"] = witness_json(answer.witness, answer.domain)
    return result


def witness_json(w: Witness, domain: Any) -> dict[str, Any]:
    on_slice = {"input": [q_to_str(v) for v in domain.point(w.x)]} if isinstance(domain, Slice) else {}
    return {"x": [q_to_str(v) for v in w.x], **on_slice,
            "outputs": {"A": [q_to_str(v) for v in w.outputs[0]], "B": [q_to_str(v) for v in w.outputs[1]]},
            "top_classes": {"A": list(w.classes[0]), "B": list(w.classes[1])}, "difference": q_to_str(w.difference)}


def print_answer(answer: Answer, names: list[str], described: str) -> None:
    """The human-readable answer: its word first."""
    print(answer.word + ("" if answer.epsilon is None else f" {q_to_str(answer.epsilon)}"))
    print(f"  A: {names[0]}\n  B: {names[1]}\n  domain: {described}")
    w = answer.witness
    if w is None:
        what = ("some class is top-scoring for both networks" if answer.question == "top-1"
                else f"|A(x) - B(x)|_inf <= {q_to_str(answer.epsilon or 0)}")
        where = "at every point of the domain" if answer.everywhere else "on the interior of every cell"
        print(f"  {what} {where} ({answer.cells} cells, {answer.seconds:.2f} s)")
        if answer.question == "top-1":
            print("  where each network has one top class it is the same; see README, 'Classes and ties'")
        return
    print(f"  found in cell {answer.cells}, {answer.seconds:.2f} s")
    x = "(" + ", ".join(map(q_to_str, w.x)) + ")"
    if isinstance(answer.domain, Slice):
        print(f"  at the slice's parameters t = {x}, the input\n"
              f"    x = ({', '.join(map(q_to_str, answer.domain.point(w.x)))})")
    else:
        print(f"  at x = {x}")
    for name, out, tops in zip("AB", w.outputs, w.classes):
        print(f"    {name}(x) = ({', '.join(map(q_to_str, out))})   top class {', '.join(map(str, tops))}")
    print(f"  |A(x) - B(x)|_inf = {q_to_str(w.difference)} (about {float(w.difference):.6g}), by direct exact "
          "evaluation")
