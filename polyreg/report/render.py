"""Reports of certificates: what the checker verified, as Markdown, self-contained HTML and JSON, with figures.

Everything stated as proved comes from ``check.check``, run here on the certificate file (its verdict and the
leaf cells it records: an interior point, the cell's rows ``(b, a)`` meaning ``b + a.x >= 0``, and each
network's output rows ``(den, (n0, n))`` meaning ``(n0 + n.x) / den``). The ``producer`` section is shown as
reported, unchecked. Cells are computed in exact rationals and turned into floats only for drawing; matplotlib
is imported only when a figure is drawn.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby
from pathlib import Path
from typing import Any, Optional, Sequence

import polyreg_check as check
from polyreg_check.cli import domain_text, slice_text
from polyreg_check.load import MAX_BYTES, UNREADABLE
from polyreg_check.records import open_certificate
from polyreg_check.schema import FORMAT, FORMAT_2

from ..certificates.claims import CLAIMS, describe
from ..certificates.flat import nested
from ..errors import InputError
from ..exact.rationals import q_to_str
from ..formats.json_files import network_from_json
from ..geometry.oracle import unbounded_direction
from ..network.ir import Maxout, Mlp, Network, Relu
from ..network.semantics import evaluate
from .figures import cell_polygon, draw_polygons, frame, new_figure, slack
from .figures import polygon_area as polygon_area  # re-exported: the reports' tests measure cells with it

Point = tuple[Fraction, ...]
KIND_WORD = {kind: claim.word for kind, claim in CLAIMS.items()}
FIGURE_PREFIX = "figure-"
REPORT_FILES = ("report.html", "report.md", "report.json")   # written by ``write_report``, with the figures


@dataclass(frozen=True)
class Checked:
    """One certificate file and the checker's conclusion: its verdict (None when rejected) and verified leaves."""
    path: str
    sha256: str
    cert: dict
    verdict: Optional[str]
    reason: str
    leaves: tuple[tuple, ...]     # (point, rows, maps) as recorded by check.check
    seconds: float


@dataclass(frozen=True)
class Block:
    """A piece of the body, rendered alike in Markdown and HTML."""
    kind: str                       # heading, para, items, table or figure
    text: str = ""                  # the heading, the paragraph or the figure's caption
    items: tuple[Any, ...] = ()     # list items, or table rows (the first is the header)
    name: str = ""                  # a figure's PNG file
    png: bytes = b""


@dataclass(frozen=True)
class Report:
    """The first line (what was proved, or NOT VERIFIED), the body, and the facts written to report.json."""
    first_line: str
    verified: bool
    blocks: tuple[Block, ...]
    facts: dict


def checked_certificate(path: str, max_bytes: int = MAX_BYTES) -> Checked:
    """Run the checker on the certificate file ``path`` (at most ``max_bytes`` of JSON); unreadable or malformed
    files raise ``InputError``."""
    with tempfile.TemporaryDirectory() as folder:     # one copy is checked and then read: it cannot change between
        copy = Path(folder) / "certificate"
        try:
            shutil.copyfile(path, copy)
        except UNREADABLE as err:
            raise InputError(f"{path}: cannot read the certificate ({err})") from None
        return checked_copy(path, copy, max_bytes)


def checked_copy(path: str, copy: Path, max_bytes: int) -> Checked:
    """``checked_certificate`` of the file ``path``, read from its ``copy``."""
    nodes = None
    try:
        cert, nodes = open_certificate(copy, max_bytes)
        digest = file_sha256(copy)
        if not isinstance(cert, dict) or cert.get("format") not in (FORMAT, FORMAT_2):
            raise InputError(f"{path}: not a polyreg certificate ({FORMAT} or {FORMAT_2})")
        record: list = []
        started = time.perf_counter()
        claim = cert.get("claim")
        progress = check.ProgressLine(claim.get("cells", "?") if isinstance(claim, dict) else "?")
        try:
            verdict, reason = check.check(cert, record, progress, nodes), ""
        except check.Malformed:
            raise       # an input error, below
        except check.Reject as err:
            verdict, reason = None, str(err)
        finally:
            progress.close()
        if nodes is not None and verdict:      # the report reads the trees: nested again, as in format 1
            nodes.close()
            header, nodes = open_certificate(copy, max_bytes)
            cert = nested(header, nodes.next_node)
    except UNREADABLE as err:
        raise InputError(f"{path}: cannot read the certificate ({err})") from None
    except check.Malformed as err:
        raise InputError(f"{path}: malformed certificate ({err})") from None
    finally:
        if nodes is not None:
            nodes.close()
    return Checked(str(path), digest, cert, verdict, reason,
                   tuple(record) if verdict else (), time.perf_counter() - started)


def cell_interval(rows: Sequence[Sequence[int]]) -> tuple[Point, Point]:
    """The endpoints of the bounded interval where ``b + a x >= 0`` for every row."""
    distinct = set(map(tuple, rows))
    lo = max(Fraction(-b, a) for b, a in distinct if a > 0)
    hi = min(Fraction(-b, a) for b, a in distinct if a < 0)
    return (lo,), (hi,)


def map_value(output_rows: Sequence, x: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """The outputs ``(n0 + n.x) / den`` of one network's affine map at ``x``."""
    return tuple(Fraction(n[0] + sum(c * v for c, v in zip(n[1:], x)), den) for den, n in output_rows)


def cell_vertices(checked: Checked, domain_rows: list) -> list[tuple[Point, ...]]:
    """Each verified cell's exact vertices (interval endpoints in 1-D, polygon vertices in 2-D) in a bounded
    domain."""
    if len(domain_rows[0]) == 2:
        return [cell_interval(rows) for _, rows, _ in checked.leaves]
    domain = cell_polygon(domain_rows)
    return [cell_polygon(rows, domain) for _, rows, _ in checked.leaves]


def breakpoints(checked: Checked, k: int) -> list[Fraction]:
    """The points of a 1-D domain, bounded or not, where network ``k``'s affine map changes (sorted cell
    boundaries: the lower end of each cell whose map differs from the cell before)."""
    cells = sorted(checked.leaves, key=lambda leaf: leaf[0][0])
    ends = [lower_end(rows) for (_, _, m), (_, rows, n) in zip(cells, cells[1:]) if m[k] != n[k]]
    return [b for b in ends if b is not None]


def lower_end(rows: Sequence[Sequence[int]]) -> Optional[Fraction]:
    """The lower end of the interval where ``b + a x >= 0`` for every row (None: unbounded below)."""
    return max((Fraction(-b, a) for b, a in set(map(tuple, rows)) if a > 0), default=None)


def unbounded_reason(rows: Sequence[Sequence[int]]) -> Optional[str]:
    """Why the (nonempty) domain ``b + a.x >= 0`` cannot be drawn: a coordinate that goes to infinity on it; None
    when it is bounded."""
    if not rows:
        return "the domain has no inequalities, so it is unbounded"
    direction = unbounded_direction([tuple(row) for row in rows])
    if direction is None:
        return None
    i, sign = direction
    return f"the domain is unbounded (x{i + 1} goes to {'+' if sign > 0 else '-'}infinity on it)"


def network_facts(entry: Any, name: str) -> tuple[dict, Optional[Network]]:
    """Name, format, dimensions, sizes, depth and SHA-256 of a certificate's network, and the network."""
    obj = entry.get("network") if isinstance(entry, dict) else None
    facts = {"name": name, "format": obj.get("format") if isinstance(obj, dict) else None,
             "sha256": entry.get("sha256") if isinstance(entry, dict) else None}
    try:
        net = network_from_json(obj, name)
    except InputError as err:
        return {**facts, "error": str(err)}, None
    return {**facts, "input_dim": net.input_dim, "output_dim": net.output_dim, "depth": depth(net),
            "sizes": sizes(net)}, net


def depth(net: Network) -> int:
    """The number of nonlinear layers (MLP) or blocks (transformer)."""
    return sum(isinstance(layer, (Relu, Maxout)) for layer in net.layers) if isinstance(net, Mlp) else len(net.blocks)


def sizes(net: Network) -> str:
    if isinstance(net, Mlp):
        units = [f"{w} {'ReLU units' if isinstance(layer, Relu) else f'maxout units of rank {layer.rank}'}"
                 for layer, w in zip(net.layers, net.widths) if isinstance(layer, (Relu, Maxout))]
        runs = [f"{n} layer{'s' * (n > 1)} of {u}" for u, n in ((u, len(list(g))) for u, g in groupby(units))]
        return ", ".join(runs) or "no nonlinear layer"
    heads = [len(b.attention.heads) if b.attention else 0 for b in net.blocks]
    ffn = [len(b.feed_forward.b1) if b.feed_forward else 0 for b in net.blocks]
    return (f"{len(net.blocks)} blocks, {net.tokens} tokens, width {net.width}; heads per block {heads}; "
            f"feed-forward widths {ffn}")


def network_names(cert: dict) -> list[str]:
    producer, n = cert.get("producer") or {}, len(cert.get("networks") or [])
    if n == 2 and isinstance(producer.get("networks"), dict):
        return [str(producer["networks"].get(k, k)) for k in "AB"]
    if n == 1 and producer.get("inputs"):
        return [str(producer["inputs"][0].get("path"))]
    return ["A", "B"] if n == 2 else [f"network {i + 1}" for i in range(n)]


def inequality(row: Sequence[int]) -> str:
    """A row ``(b, a)`` as text: ``b + a1 x1 + ... ≥ 0``."""
    terms = [f"{'-' if a < 0 else '+'} {abs(a) if abs(a) != 1 else ''}x{i}" for i, a in enumerate(row[1:], 1) if a]
    text = " ".join(([str(row[0])] if row[0] or not terms else []) + terms)
    return (text[2:] if text.startswith("+ ") else "-" + text[2:] if text.startswith("- ") else text) + " ≥ 0"


def counterexample_facts(cert: dict, nets: list[Optional[Network]]) -> Optional[dict]:
    """The producer's counterexample re-evaluated exactly on the certificate's networks."""
    w = (cert.get("producer") or {}).get("counterexample")
    if not isinstance(w, dict) or len(nets) != 2 or None in nets:
        return None
    try:
        x = [Fraction(v) for v in w["x"]]
        claimed = [tuple(Fraction(v) for v in w["outputs"][k]) for k in "AB"]
        outputs = [evaluate(net, x) for net in nets if net is not None]   # all present (checked above)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, InputError) as err:
        return {"error": f"the producer's counterexample cannot be evaluated ({err})"}
    gap = max(abs(a - b) for a, b in zip(*outputs))
    return {"x": [q_to_str(v) for v in x], "outputs": {k: [q_to_str(v) for v in o] for k, o in zip("AB", outputs)},
            "difference": q_to_str(gap), "in_domain": in_domain(cert, x),
            "matches_producer": outputs == claimed and str(w.get("difference")) == q_to_str(gap)}


def in_domain(cert: dict, x: Sequence[Fraction]) -> bool:
    """Whether the input ``x`` lies in the certificate's domain (over a mixed domain: each discrete group takes one
    of its values and the free coordinates satisfy the rows)."""
    if "domain" in cert:
        return all(slack(r, x) >= 0 for r in cert["domain"]["rows"])
    groups = cert.get("discrete") or []
    if not all([x[i] for i in g["coordinates"]] in [[Fraction(v) for v in value] for value in g["values"]]
               for g in groups):
        return False
    free = [x[i] for i in cert.get("free") or []]
    return all(slack(r, free) >= 0 for r in domain_of(cert).get("rows") or [])


def mixed_cases(cert: dict) -> list[tuple[Optional[list], list]]:
    """(outputs or None for all, cases) per part of a certificate over a mixed domain."""
    if "parts" in cert:
        return [(p.get("outputs"), p.get("cases") or []) for p in cert["parts"]]
    return [(None, cert.get("cases") or [])]


def domain_of(cert: dict) -> dict:
    """The domain's rows and point: the certificate's, or (mixed) its first case's (the checker requires every case
    to have these rows)."""
    if "domain" in cert:
        return cert["domain"]
    cases = [case for _, part in mixed_cases(cert) for case in part]
    return (cases[0].get("domain") if cases else None) or {}


def leaves_in(tree: Any) -> int:
    stack, count = [tree], 0
    while stack:
        node = stack.pop()
        if isinstance(node, dict) and "leaf" in node:
            count += 1
        elif isinstance(node, dict) and isinstance(node.get("split"), list):
            stack.extend(node["split"])
    return count


def discrete_blocks(cert: dict) -> list[Block]:
    """The discrete groups, the free coordinates, and per part its outputs, varied groups, cases and cells."""
    groups = cert.get("discrete") or []
    varied = {id(p): p.get("groups") for p in cert.get("parts") or []}
    items = tuple(f"group {k}: inputs {g.get('coordinates')}, {len(g.get('values') or [])} values"
                  for k, g in enumerate(groups)) + (f"free (continuous) inputs: {cert.get('free')}",)
    rows = [("outputs", "groups varied (others at their first value)", "cases", "cells")]
    for p, (outputs, cases) in zip(cert.get("parts") or [None], mixed_cases(cert)):
        rows.append(("all" if outputs is None else ", ".join(map(str, outputs)),
                     "all" if p is None else ", ".join(map(str, varied[id(p)])) or "none", str(len(cases)),
                     str(sum(leaves_in(case.get("tree")) for case in cases))))
    return [Block("heading", "Discrete cases"),
            Block("para", "The domain is the product of the discrete groups' values times the polytope above over the "
                          "free inputs; the checker enumerates the cases itself" + (
                              ", part by part: each part's outputs can depend only on the groups it varies, which the "
                              "checker verifies from the weights" if "parts" in cert else "") + "."),
            Block("items", items=items), Block("table", items=tuple(rows))]


def certificate_part(c: Checked, tag: str) -> tuple[list[Block], dict]:
    """The report's blocks and JSON facts for one checked certificate (``tag`` prefixes its figures' names)."""
    cert, producer = c.cert, c.cert.get("producer") or {}
    claim, domain, mixed = cert.get("claim") or {}, domain_of(cert), "domain" not in cert
    pairs = [network_facts(e, n) for e, n in zip(cert.get("networks") or [], network_names(cert))]
    nets, d = [net for _, net in pairs], len(domain.get("point") or [])
    facts: dict[str, Any] = {
        "path": c.path, "sha256": c.sha256, "verified": c.verdict is not None, "verdict": c.verdict,
        "reason": c.reason or None, "claim": claim, "networks": [f for f, _ in pairs], "input_dim": d,
        "domain": {"text": domain_text(domain.get("rows") or [], d), "rows": domain.get("rows")},
        "checker_seconds": round(c.seconds, 3),
        "producer_seconds": producer.get("seconds"), "producer": producer or None}
    blocks = [Block("heading", f"Certificate {c.path}")] + ([Block("para", status(c))] if tag else [])
    described = description(c, claim, producer, pairs, d, domain.get("rows") or [])
    blocks += described[:4] + (discrete_blocks(cert) if mixed else []) + described[4:]   # after the domain
    if c.verdict is None:
        return blocks + [Block("para", "No figures: nothing was verified.")], facts
    if mixed:
        witness = counterexample_facts(cert, nets)
        facts.update(cells=len(c.leaves), differing_cells=sum(len(set(maps)) > 1 for _, _, maps in c.leaves))
        if witness is not None or claim.get("kind") == "different":
            blocks += counterexample_blocks(witness, producer, c, [], [], facts)
        return blocks + [Block("para", "No cell figure: over a mixed domain every discrete case has a refinement of "
                                       "its own.")], facts
    if not c.leaves:
        return blocks + [Block("para", "No cell figure: the claim is about one point, where the checker evaluated "
                                       "both networks; no cells were refined.")], facts
    unbounded = unbounded_reason(domain["rows"]) if d in (1, 2) else None
    vertices = cell_vertices(c, domain["rows"]) if d in (1, 2) and unbounded is None else []
    differing = [len(set(maps)) > 1 for _, _, maps in c.leaves]
    facts.update(cells=len(c.leaves), differing_cells=sum(differing))
    witness = counterexample_facts(cert, nets)
    if witness is not None or claim.get("kind") == "different":
        blocks += counterexample_blocks(witness, producer, c, vertices, differing, facts)
    if d == 1:
        facts["breakpoints"] = [[q_to_str(b) for b in breakpoints(c, k)] for k in range(len(nets))]
    if unbounded is not None:
        return blocks + [Block("para", f"No cell figure: {unbounded}; figures are drawn for bounded domains only.")], \
            facts
    return blocks + figure_blocks(c, d, tag, vertices, differing, [f["name"] for f, _ in pairs], witness, facts), facts


def figure_blocks(c: Checked, d: int, tag: str, vertices: list, differing: list, names: list[str],
                  witness: Optional[dict], facts: dict) -> list[Block]:
    """The figure of a verified certificate on a bounded domain (its outputs in 1-D, its cells in 2-D), or a
    paragraph saying why there is none."""
    if d == 1:
        caption = (f"each network's output on the domain, exact at the ends of the {len(c.leaves)} cells; "
                   f"breakpoints: {', '.join(str(len(b)) for b in facts['breakpoints'])}")
        png = function_png(c, vertices, names, witness)
        return [Block("figure", caption, name=f"{FIGURE_PREFIX}{tag}function.png", png=png)]
    if d == 2:
        caption = f"the {len(c.leaves)} verified cells, coloured by the affine map of {'A' if len(names) == 2 else 'f'}"
        png = cells_png(c, vertices, differing, witness)
        return [Block("figure", caption, name=f"{FIGURE_PREFIX}{tag}cells.png", png=png)]
    return [Block("para", f"No cell figure: the input dimension is {d} (figures are for 1 or 2 inputs).")]


def status(c: Checked) -> str:
    """The verdict line of one certificate."""
    if c.verdict is None:
        return f"NOT VERIFIED: {c.reason}"
    kind = (c.cert.get("claim") or {}).get("kind")
    almost = kind in ("equivalent", "same_class", "within") and not (c.cert.get("claim") or {}).get("everywhere")
    return f"{KIND_WORD.get(kind, 'VERIFIED')}{' ALMOST EVERYWHERE' if almost else ''} — verified: {c.verdict}"


def description(c: Checked, claim: dict, producer: dict, pairs: list, d: int, rows: list) -> list[Block]:
    """The claim in words, the networks, the domain, the assumptions, the times and the provenance."""
    roles = ["A", "B"] if len(pairs) == 2 else [""] * len(pairs)
    table = [("", "name", "format", "in", "out", "depth", "sizes", "SHA-256")] + [
        (r, f["name"], str(f["format"]), str(f.get("input_dim", "?")), str(f.get("output_dim", "?")),
         str(f.get("depth", "?")), f.get("sizes", f.get("error", "")), str(f["sha256"]))
        for r, (f, _) in zip(roles, pairs)]
    shown = tuple(inequality(r) for r in rows[:30]) + ((f"... and {len(rows) - 30} more",) if len(rows) > 30 else ())
    inputs = tuple(f"input {i.get('path')}: SHA-256 {i.get('sha256')}" for i in producer.get("inputs", []))
    return [Block("para", describe(claim, c.verdict is not None)), Block("table", items=tuple(table)),
            Block("para", (f"On a slice: {slice_text(c.cert['slice'])}. " if "slice" in c.cert else "") +
                  f"Domain (as checked): {domain_text(rows, d)}; dimension {d}, the intersection of "
                  f"{len(rows)} half-spaces:"), Block("items", items=shown),
            Block("heading", "Assumptions and times"),
            Block("items", items=assumptions(claim, [net for _, net in pairs]) + (
                f"producer time: {producer.get('seconds', '?')} s (reported by the producer, unchecked)",
                f"checker time: {c.seconds:.3f} s (measured by this report: polyreg_check on {c.path})")),
            Block("heading", "Provenance (the producer section, unchecked)"),
            Block("items", items=tuple(f"{k}: {producer[k]}" for k in ("polyreg", "id", "created", "command")
                                       if k in producer) + inputs + (f"certificate file: SHA-256 {c.sha256}",))]


def assumptions(claim: dict, nets: list) -> tuple[str, ...]:
    kind, attention = claim.get("kind"), any(n is not None and not isinstance(n, Mlp) for n in nets)
    tie = ("every hard-max head is tie-safe, so the claim holds everywhere, ties included" if claim.get("everywhere")
           else "not claimed; the claim holds on the cells' interiors" if kind in ("equivalent", "same_class", "within")
           else "plays no part (" + ("the maps differ on open cells)" if kind == "different"
                                     else "the claim is about one point)" if "point" in claim
                                     else "cells, patterns and maps are counted on cell interiors)"))
    return ("exact rational semantics on the given weights (their SHA-256 above); no floating point",
            "hard-max attention: keys of equal maximal score are averaged" + ("" if attention else " (none here)"),
            f"tie-safety: {tie}", "nothing is claimed outside the domain")


def vector(values: Any) -> str:
    return "(" + ", ".join(str(v) for v in values) + ")" if isinstance(values, (list, tuple)) else str(values)


def counterexample_blocks(witness: Optional[dict], producer: dict, c: Checked, vertices: list,
                          differing: list, facts: dict) -> list[Block]:
    """The producer's counterexample and distance, re-evaluated exactly."""
    w = producer.get("counterexample") or {}
    outputs = w.get("outputs") or {}
    items = [f"producer's counterexample (unchecked): x = {vector(w.get('x'))}, A(x) = {vector(outputs.get('A'))}, "
             f"B(x) = {vector(outputs.get('B'))}, difference {w.get('difference')}",
             f"producer's sup-norm distance on the domain (unchecked): {producer.get('distance', 'not given')}"]
    if witness is not None:
        facts["counterexample_check"] = witness
        items.append(witness.get("error") or (
            f"re-evaluated exactly here on the certificate's networks: A(x) = {vector(witness['outputs']['A'])}, "
            f"B(x) = {vector(witness['outputs']['B'])}, difference {witness['difference']}; x in the domain: "
            f"{'yes' if witness['in_domain'] else 'NO'}; "
            f"{'matches' if witness['matches_producer'] else 'DOES NOT match'} the producer's"))
    if vertices:   # |A - B|_inf is convex on each cell, so its maximum is at a vertex
        gap = max((abs(a - b) for v, (_, _, maps), dif in zip(vertices, c.leaves, differing) if dif for x in v
                   for a, b in zip(map_value(maps[0], x), map_value(maps[1], x))), default=Fraction(0))
        facts["distance_from_vertices"] = q_to_str(gap)
        items.append(f"sup-norm distance recomputed from the verified cells' exact vertices: {q_to_str(gap)} "
                     f"({'equal to' if producer.get('distance') == q_to_str(gap) else 'NOT equal to'} the producer's)")
    return [Block("heading", "Counterexample"), Block("items", items=tuple(items))]


def png_of(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def colours_by_map(maps: Sequence) -> list[tuple[float, float, float]]:
    """One colour per distinct map (golden-ratio hues), so equal maps get equal colours."""
    from matplotlib.colors import hsv_to_rgb
    index = {m: i for i, m in enumerate(dict.fromkeys(maps))}
    return [tuple(hsv_to_rgb(((index[m] * 0.618034) % 1, 0.45, 0.95))) for m in maps]


def cells_png(c: Checked, polygons: list, differing: list, witness: Optional[dict]) -> bytes:
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    fig = new_figure(6.0, 6.4)
    ax = fig.add_subplot()
    colours = colours_by_map([maps[0] for _, _, maps in c.leaves])
    handles: list[Artist] = []
    for flag, edge, hatch in ((False, "#404040", None), (True, "#c00000", "///")):
        chosen = [i for i, dif in enumerate(differing) if dif == flag]
        if chosen:
            draw_polygons(ax, [polygons[i] for i in chosen], [colours[i] for i in chosen], edge=edge,
                          width=1.0 if flag else 0.5, hatch=hatch)
    if any(differing):
        handles.append(Patch(facecolor="white", edgecolor="#c00000", hatch="///",
                             label=f"the maps of A and B differ ({sum(differing)} cells)"))
    if witness and "x" in witness:
        ax.plot(*[float(Fraction(v)) for v in witness["x"]], marker="*", ms=16, mfc="yellow", mec="black", ls="")
        handles.append(Line2D([], [], marker="*", ms=12, mfc="yellow", mec="black", ls="", label="counterexample"))
    maps = f"{len({maps[0] for _, _, maps in c.leaves})} affine maps" + (" of A" if len(c.leaves[0][2]) > 1 else "")
    frame(ax, polygons, ("$x_1$", "$x_2$"))
    ax.set(aspect="equal", title=f"{len(polygons)} verified cells, {maps}\n(one colour per map)")
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    return png_of(fig)


def function_png(c: Checked, intervals: list, names: list[str], witness: Optional[dict]) -> bytes:
    """Each network's outputs against x; with many cells, a second panel shows the first 16 cells."""
    order = sorted(range(len(intervals)), key=lambda i: intervals[i][0])
    views = [order] + ([order[:16]] if len(order) > 64 else [])
    fig = new_figure(7.0, 3.2 * len(views))
    for n, view in enumerate(views):
        ax = fig.add_subplot(len(views), 1, n + 1)
        draw_functions(ax, c, [intervals[i] for i in view], [c.leaves[i][2] for i in view], names, len(view) <= 64)
        if witness and "x" in witness:
            ax.axvline(float(Fraction(witness["x"][0])), color="black", lw=0.8, ls=":", label="counterexample")
        ax.set(xlabel="$x$", ylabel="output", title=f"the first {len(view)} cells, dots: breakpoints" if n else
               f"all {len(view)} verified cells" + (" (zoom below)" if len(views) > 1 else ", dots: breakpoints"))
    fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return png_of(fig)


def draw_functions(ax: Any, c: Checked, intervals: list, maps: list, names: list[str], dots: bool) -> None:
    """Draw each network's outputs on the given cells (exact endpoint values), its breakpoints and differing cells."""
    from matplotlib.collections import LineCollection
    xs = [(float(lo[0]), float(hi[0])) for lo, hi in intervals]
    for k, name in enumerate(names):
        ends = [(map_value(m[k], lo), map_value(m[k], hi)) for (lo, hi), m in zip(intervals, maps)]
        for j in range(len(ends[0][0])):
            label = Path(name).name + (f", output {j + 1}" if len(ends[0][0]) > 1 else "")
            ax.add_collection(LineCollection([[(x0, float(a[j])), (x1, float(b[j]))] for (x0, x1), (a, b) in
                                              zip(xs, ends)], colors=f"C{k + j}", linestyles="--" if k else "-",
                                             linewidths=1.6 if k else 1.0, label=label))
            if dots:   # a breakpoint is a cell's left end where this network's map changes
                marks = [(x0, float(a[j])) for (x0, _), (a, _), m, before in zip(xs[1:], ends[1:], maps[1:], maps)
                         if m[k] != before[k]]
                ax.plot([x for x, _ in marks], [y for _, y in marks], ls="", marker="o", ms=3, color=f"C{k + j}")
    shaded = False
    for (x0, x1), m in zip(xs, maps):
        if len(set(m)) > 1:
            ax.axvspan(x0, x1, color="#c00000", alpha=0.12, lw=0, label=None if shaded else "the maps differ")
            shaded = True
    ax.autoscale()


def family_part(parts: list[dict]) -> tuple[list[Block], list[dict]]:
    """The table and plot of region counts against depth for several verified count certificates."""
    keys = ("name", "depth", "cells", "activation_regions", "affine_maps", "linear_regions")
    rows = sorted(({"name": f["networks"][0]["name"], "depth": f["networks"][0].get("depth"),
                    **{k: f["claim"].get(k) for k in keys[2:]}} for f in parts),
                  key=lambda r: r["depth"] or 0)
    header = ("network", "depth", "cells", "activation regions", "affine maps", "linear regions")
    table = (header,) + tuple(tuple("-" if r[k] is None else str(r[k]) for k in keys) for r in rows)
    fig = new_figure(6.4, 4.2)
    ax = fig.add_subplot()
    for key, style, size in (("cells", "o-", 11), ("activation_regions", "s--", 8), ("affine_maps", "^:", 6),
                             ("linear_regions", "x-.", 6)):
        points = [(r["depth"], r[key]) for r in rows if r[key] is not None and r["depth"] is not None]
        if points:   # markers of decreasing size, so that equal counts stay visible
            ax.plot(*zip(*points), style, ms=size, mfc="none", mew=1.3,
                    label=key.replace("_", " "))
    ax.set_yscale("log", base=2)
    ax.set_xticks(sorted({r["depth"] for r in rows if r["depth"] is not None}))
    ax.set(xlabel="depth (nonlinear layers / blocks)", ylabel="count (log scale)", title="Region counts against depth")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    caption = "verified counts against depth, log scale"
    return [Block("heading", "Region counts against depth"), Block("table", items=table),
            Block("figure", caption, name=f"{FIGURE_PREFIX}depth.png", png=png_of(fig))], rows


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of the file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def report_of_files(paths: Sequence[str], max_bytes: int = MAX_BYTES) -> Report:
    """The report of one certificate, or of several (with a table and plot against depth for count certificates)."""
    checked = [checked_certificate(p, max_bytes) for p in paths]
    blocks: list[Block] = []
    parts = []
    for i, c in enumerate(checked):
        part_blocks, facts = certificate_part(c, f"{i + 1}-" if len(checked) > 1 else "")
        blocks += part_blocks
        parts.append(facts)
    verified = all(c.verdict for c in checked)
    counts = [f for f in parts if f["verified"] and f["claim"].get("kind") == "counts"]
    family: list[dict] = []
    if len(counts) >= 2:
        family_blocks, family = family_part(counts)
        blocks = family_blocks + blocks
    first = first_line(checked, family)
    return Report(first, verified, tuple(blocks), {
        "format": "polyreg.report/1", "verified": verified, "first_line": first, "certificates": parts,
        "family": family, "figures": [b.name for b in blocks if b.kind == "figure"]})


def first_line(checked: list[Checked], family: list[dict]) -> str:
    """What was proved, in one line (or NOT VERIFIED and the first reason)."""
    rejected = [c for c in checked if not c.verdict]
    if len(checked) == 1 or rejected:
        c = (rejected or checked)[0]
        return status(c) if len(checked) == 1 else f"NOT VERIFIED: {len(rejected)} of {len(checked)} certificates; " \
            f"{c.path}: {c.reason}"
    if len(family) == len(checked):
        return (f"COUNTS — verified: {len(checked)} certificates, cells "
                + ", ".join(f"{r['cells']} (depth {r['depth']})" for r in family))
    kinds = [KIND_WORD.get((c.cert.get("claim") or {}).get("kind"), "?") for c in checked]
    return f"VERIFIED — all {len(checked)} certificates: " + ", ".join(f"{kinds.count(k)} {k}" for k in set(kinds))


def markdown(report: Report) -> str:
    def cells(row: Sequence[str]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in row) + " |"
    lines = [f"# {report.first_line}", ""]
    for b in report.blocks:
        if b.kind == "heading":
            lines += [f"## {b.text}", ""]
        elif b.kind == "para":
            lines += [b.text, ""]
        elif b.kind == "items":
            lines += [f"- {item}" for item in b.items] + [""]
        elif b.kind == "table":
            lines += [cells(b.items[0]), "|" + "---|" * len(b.items[0])] + [cells(r) for r in b.items[1:]] + [""]
        else:
            lines += [f"![{b.text}]({b.name})", "", f"*{b.text}*", ""]
    return "\n".join(lines)


STYLE = ("body{font-family:system-ui,sans-serif;max-width:64em;margin:2em auto;padding:0 1em;line-height:1.45;"
         "color:#222}h1{font-size:1.35em}h1.ok{color:#0b6b0b}h1.bad{color:#b00000}h2{font-size:1.1em;margin-top:1.6em}"
         "table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;"
         "overflow-wrap:anywhere}th{background:#f3f3f3}img{max-width:100%}figcaption{font-size:.9em;color:#555}")


def html_page(report: Report) -> str:
    """One self-contained page: inline CSS, figures as data URIs, no scripts, every text escaped."""
    e = html.escape
    out = [f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(report.first_line)}</title>'
           f'<style>{STYLE}</style></head><body>',
           f'<h1 class="{"ok" if report.verified else "bad"}">{e(report.first_line)}</h1>']
    for b in report.blocks:
        if b.kind == "heading":
            out.append(f"<h2>{e(b.text)}</h2>")
        elif b.kind == "para":
            out.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "items":
            out.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in b.items) + "</ul>")
        elif b.kind == "table":
            out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in b.items[0]) + "</tr></thead><tbody>"
                       + "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in r) + "</tr>" for r in b.items[1:])
                       + "</tbody></table>")
        else:
            data = base64.b64encode(b.png).decode()
            out.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(b.text)}">'
                       f"<figcaption>{e(b.text)}</figcaption></figure>")
    return "\n".join(out + ["</body></html>\n"])


def write_report(report: Report, folder: str) -> list[Path]:
    """Write report.html, report.md, report.json and the PNG figures into ``folder`` (replacing old figures)."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob(f"{FIGURE_PREFIX}*.png"):
        old.unlink()
    html_name, markdown_name, json_name = REPORT_FILES
    texts = {root / html_name: html_page(report), root / markdown_name: markdown(report),
             root / json_name: json.dumps(report.facts, indent=2, ensure_ascii=False) + "\n"}
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    figures = [b for b in report.blocks if b.kind == "figure"]
    for f in figures:
        (root / f.name).write_bytes(f.png)
    return list(texts) + [root / f.name for f in figures]
