"""Certify the region growth of Thm P5 (Gu, Yang, Zhou, arXiv 2603.03084, as reconstructed in the design notes):
the hard-max transformer compiled from the zigzag maxout network has exactly ``P(h, k)^{dL}`` linear regions on
``[0, 1]^d``.

For each instance: write the maxout network of ``F(x) = sum_c Z_P^L(x_c)``, compile it (``polyreg compile``),
count the transformer's regions with a certificate (``polyreg count``), re-verify the certificate with the
standalone checker (``polyreg check``), and for the smaller instances certify that the transformer equals the
network (``polyreg certify``, then ``polyreg check``). Then ``polyreg report`` per family, a summary figure,
``build/report.md`` and ``build/summary.json``. Exit code 0 when every verified count equals the formula.

    /work/main/.venv/bin/python proofs/04-region-growth/build.py
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

FOLDER = Path(__file__).resolve().parent
BUILD = Path("build")       # relative to FOLDER, the working directory of main()
sys.path[:0] = [str(FOLDER), str(FOLDER.parent)]

from cells import linear_regions  # noqa: E402
from common import markdown_table, progress, write_summary  # noqa: E402
from prop_p6 import P6_EXAMPLE, p6_bounds  # noqa: E402
from zigzag import decomposition_mismatches, largest_pieces, pieces_formula, serra_bound, write_zigzag_network  # noqa: E402

from polyreg.cli.main import main as polyreg  # noqa: E402
from polyreg.formats.json_files import load_network  # noqa: E402
from polyreg.network.ir import Transformer  # noqa: E402
from polyreg_check import check, load  # noqa: E402

# (h, k, d, deepest L): as deep as an instance stays within about 10 s of producer and checker time together
# ((h, k) = (3, 3) at L = 5 takes 17 s + 14 s, (2, 3) at L = 6 29 s + 33 s)
FAMILIES = [(1, 2, 1, 10), (2, 2, 1, 7), (1, 3, 1, 8), (2, 3, 1, 5), (3, 3, 1, 4),
            (3, 2, 1, 5), (2, 4, 1, 3), (4, 3, 1, 3),
            (1, 2, 2, 4), (2, 2, 2, 2), (2, 3, 2, 2)]
CERTIFY_UP_TO = 729          # certify transformer == network when P^{dL} is at most this


@dataclass(frozen=True)
class Instance:
    """One verified instance: the checker's counts of the compiled transformer, the formula and the bounds."""
    h: int
    k: int
    d: int
    L: int
    tokens: int
    heads: int               # per attention block
    blocks: int
    cells: int
    activation_regions: int
    affine_maps: int
    linear_regions: Optional[int]
    recomputed: Optional[int]    # d = 2: the linear regions recomputed from the verified cells (cells.py)
    formula: int
    serra: int
    p6_stated: int
    p6_sublayers: int
    certify: str
    producer_s: float
    checker_s: float
    certificate: str

    @property
    def family(self) -> str:
        return f"h{self.h}-k{self.k}-d{self.d}"

    @property
    def matches(self) -> bool:
        return self.linear_regions == self.formula and self.certify in ("-", "EQUIVALENT") \
            and self.recomputed in (None, self.linear_regions)


def run(*args: str) -> tuple[int, str, float]:
    """``polyreg ARGS`` in this process: exit code, standard output and wall seconds."""
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = polyreg(list(args))
    if code != 0 and err.getvalue():
        progress(f"polyreg {' '.join(args)}: exit code {code}\n{err.getvalue()}")
    return code, out.getvalue(), time.perf_counter() - started


def verified_fields(line: str) -> dict[str, int]:
    """The counts of the checker's line ``VERIFIED: cells 64, activation_regions 64, ...`` (empty if rejected)."""
    if not line.startswith("VERIFIED: "):
        return {}
    return {key: int(value) for key, value in re.findall(r"(\w+) (\d+)", line)}


def certified_equal(net: Path, transformer: Path, name: str) -> str:
    """``EQUIVALENT`` when ``polyreg certify`` says so and ``polyreg check`` verifies its certificate everywhere."""
    path = BUILD / "certificates" / f"{name}-certify.json.gz"
    code, out, _ = run("certify", str(net), str(transformer), "--box", "0", "1", "--certificate", str(path))
    _, checked, _ = run("check", str(path))
    if code == 0 and checked.startswith("VERIFIED") and "equal everywhere" in checked:
        return "EQUIVALENT"
    return f"NOT VERIFIED: {out.splitlines()[0] if out else ''} / {checked.strip()}"


def counted_instance(h: int, k: int, d: int, L: int) -> Instance:
    """Build, compile, count with a certificate, check, and (when small) certify one instance."""
    name = f"h{h}-k{k}-d{d}-L{L}"
    net = write_zigzag_network(h, k, L, d, BUILD / "networks" / f"{name}.json")
    transformer = BUILD / "transformers" / f"{name}.json"
    code, _, _ = run("compile", str(net), "--box", "0", "1", "-o", str(transformer))
    assert code == 0, f"compile failed for {name}"
    path = BUILD / "certificates" / f"{name}.json.gz"
    code, _, producer_s = run("count", str(transformer), "--box", "0", "1", "--certificate", str(path))
    assert code == 0, f"count failed for {name}"
    _, line, checker_s = run("check", str(path))
    found = verified_fields(line)
    recomputed = None
    if found and d == 2:        # an independent second count: the verified cells as polygons
        record: list = []
        check(load(path), record)
        recomputed = linear_regions(record, d)
    t = load_network(transformer)
    assert isinstance(t, Transformer)
    formula = pieces_formula(h, k) ** (d * L)
    equal = certified_equal(net, transformer, name) if formula <= CERTIFY_UP_TO else "-"
    heads = max(len(b.attention.heads) for b in t.blocks if b.attention)
    return Instance(h, k, d, L, t.tokens, heads, len(t.blocks), found.get("cells", 0),
                    found.get("activation_regions", 0), found.get("affine_maps", 0), found.get("linear_regions"),
                    recomputed, formula, serra_bound(h, k, L, d), *p6_bounds(t), equal, producer_s, checker_s,
                    str(path))


def p6_counterexample() -> dict:
    """Count the one-block transformer ``|x| + relu(|x| - 1/4)`` in token 0 and ``|x| + relu(|x| - 3/4)`` in
    token 1 (output: their sum) on ``[-1, 1]`` with a certificate: more regions than Prop P6 as stated allows."""
    path = BUILD / "p6-counterexample.json"
    path.write_text(json.dumps(P6_EXAMPLE, indent=1) + "\n")
    cert = BUILD / "certificates" / "p6-counterexample.json.gz"
    run("count", str(path), "--box", "-1", "1", "--certificate", str(cert))
    _, line, _ = run("check", str(cert))
    t = load_network(path)
    assert isinstance(t, Transformer)
    stated, sublayers = p6_bounds(t)
    return {"checker": line.strip(), **verified_fields(line), "p6_stated": stated, "p6_sublayers": sublayers,
            "certificate": str(cert)}


def family_reports(instances: Sequence[Instance]) -> dict[str, str]:
    """``polyreg report`` of each family's count certificates: family -> the report's first line."""
    lines = {}
    for family in dict.fromkeys(i.family for i in instances):
        paths = [i.certificate for i in instances if i.family == family]
        _, out, _ = run("report", *paths, "-o", str(BUILD / f"report-{family}"))
        lines[family] = out.splitlines()[0] if out else "no report"
    return lines


def short(n: int) -> str:
    """An integer as text, in scientific notation beyond 10^7."""
    return str(n) if n < 10 ** 7 else f"{n:.2e}"


def summary_figure(instances: Sequence[Instance], path: Path) -> None:
    """Verified linear regions against L (log scale) per family, ``P(h,k)^{dL}`` as lines, Serra's bound dashed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.6), gridspec_kw={"width_ratios": [3, 2]})
    colours, markers = plt.cm.tab10.colors, "osD^vPX*"
    for ax, d in zip(axes, (1, 2)):
        families = list(dict.fromkeys((i.h, i.k) for i in instances if i.d == d))
        for n, (h, k) in enumerate(families):
            rows = [i for i in instances if i.d == d and (i.h, i.k) == (h, k)]
            Ls, c = [i.L for i in rows], colours[n % len(colours)]
            ax.plot(Ls, [i.formula for i in rows], "-", color=c, lw=1.2)
            ax.plot(Ls, [i.serra for i in rows], "--", color=c, lw=1, alpha=0.6)
            ax.plot(Ls, [i.linear_regions for i in rows], markers[n % len(markers)], color=c, mfc="none",
                    ms=8 - n % 2 * 3, mew=1.4, label=f"h={h}, k={k}  (P={pieces_formula(h, k)})")
        ax.plot([], [], "k-", lw=1.2, label="$P(h,k)^{dL}$")
        ax.plot([], [], "k--", lw=1, alpha=0.6, label="Serra et al. 2018 bound")
        values = [v for i in instances if i.d == d for v in (i.formula, i.serra)]
        ax.set_yscale("log")
        ax.set_ylim(min(values) / 1.5, max(values) * 2)
        ax.set_xticks(sorted({i.L for i in instances if i.d == d}))
        ax.set(xlabel="depth L (the transformer has L + 1 blocks)", ylabel="linear regions on $[0,1]^d$",
               title=f"d = {d}: k tokens, {'h' if d == 1 else '2h'} heads per block")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    fig.suptitle("Thm P5: verified linear regions of the compiled hard-max zigzag transformers (markers) "
                 "equal $P(h,k)^{dL}$ (lines)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report_markdown(instances: Sequence[Instance], reports: dict[str, str], p6: dict, seconds: float) -> str:
    """``build/report.md``: the verdict, the table of instances, the figure, the family reports and Prop P6."""
    header = ("family", "L", "tokens", "heads", "blocks", "cells", "activation regions", "linear regions verified",
              "P^{dL}", "upper bound (Serra)", "certify", "producer s", "checker s")
    rows = [(i.family, i.L, i.tokens, i.heads, i.blocks, i.cells, i.activation_regions,
             f"{i.linear_regions}{'' if i.recomputed is None else ' *'}", i.formula, short(i.serra),
             i.certify, f"{i.producer_s:.2f}", f"{i.checker_s:.2f}") for i in instances]
    bad = [i for i in instances if not i.matches]
    lines = [f"# Thm P5 (region growth): {'VERIFIED' if not bad else 'MISMATCH'}", "",
             f"{len(instances)} instances, {sum(i.cells for i in instances)} cells, {seconds:.1f} s. "
             "Every count below is the standalone checker's (`polyreg check`) on the compiled hard-max transformer "
             "over `[0,1]^d`; *: `d = 2`, where some affine map has several regions (cells `(i,j)` and `(j,i)` of "
             "the separable sum): the checker proves the count with separations (two cells with one map in "
             "different regions share no facet), and the count recomputed in exact rationals from the checker's "
             "verified cells (`cells.py`: cells with one map joined across common edges) agrees. "
             "certify: `polyreg certify NET T` "
             "then `polyreg check` (equal everywhere on `[0,1]^d`), run when `P^{dL} <= 729`.", "",
             markdown_table(header, rows), "![verified linear regions against depth](region-growth.png)", "",
             "*Markers: verified linear regions; solid lines: `P(h,k)^{dL}`; dashed: the bound of Serra, "
             "Tjandraatmadja, Ramalingam 2018 for the emulated maxout network (`n_l = dh` units of rank `k`), "
             "which equals `P^{dL}` for `k = 2` in `d = 1` and for `(h,k) = (1,2)` in `d = 2` and hides under the "
             "solid line there.*", "",
             "## Family reports (`polyreg report`)", ""]
    lines += [f"- [{family}](report-{family}/report.md): {line}" for family, line in reports.items()]
    lines += ["", "## Prop P6 (construction.md §5.3) fails once embeddings are per token", "",
              "One block, 2 tokens, one head with a constant query, one feed-forward unit, and a per-token "
              "embedding (token 0 embeds x, token 1 embeds -x): outside the notes' class, whose tokens share one "
              "embedding (x E + p_t), and inside polyreg's transformer format. "
              f"`S = Q H C(N,2) + r N = 1 + 2 = 3`, so Prop P6 as stated allows `{p6['p6_stated']}` activation "
              f"regions on `[-1,1]`; the checker verified `{p6.get('activation_regions')}` activation regions and "
              f"`{p6.get('linear_regions')}` linear regions ({p6['checker']}; `{p6['certificate']}`). "
              "The feed-forward sign changes of a block depend on the same block's attention outcome; restated "
              "as a product over sublayers (P6', an argument in prose, README) the bound is "
              f"`{p6['p6_sublayers']}` here. Whether P6 as stated holds for the notes' shared-embedding class is "
              "not decided here. Values of both for the zigzag instances are in `instances.json` (`p6_stated`, "
              "`p6_sublayers`); neither is violated there.", ""]
    return "\n".join(lines)


def checked_decompositions() -> None:
    """``P(h, k)`` equals the largest representable zigzag (h <= 11, k <= 8), and every family's signed maxes
    equal ``Z_P`` exactly at all breakpoints and midpoints."""
    wrong = [(h, k) for h in range(1, 12) for k in range(2, 9) if largest_pieces(h, k) != pieces_formula(h, k)]
    assert not wrong, f"P(h, k) differs from the largest representable zigzag at {wrong}"
    for h, k, _, _ in FAMILIES:
        P = pieces_formula(h, k)
        assert not decomposition_mismatches(P, h, k), f"the signed maxes differ from Z_{P} for h={h}, k={k}"


def build(families: Sequence[tuple[int, int, int, int]] = FAMILIES, folder: Path = FOLDER
          ) -> tuple[str, list[Instance], dict]:
    """Count, check and (when small) certify every instance of ``families`` and the P6 counterexample, writing
    ``folder``/build: the verdict, the instances and the counterexample's counts."""
    started, here = time.perf_counter(), os.getcwd()
    os.chdir(folder)     # relative paths in the certificates' provenance and the reports
    try:
        shutil.rmtree(BUILD, ignore_errors=True)
        checked_decompositions()
        instances = []
        for h, k, d, deepest in families:
            for L in range(1, deepest + 1):
                instances.append(counted_instance(h, k, d, L))
                i = instances[-1]
                progress(f"{i.family} L={L}: {i.linear_regions} linear regions (cells.py: {i.recomputed}), "
                         f"P^dL = {i.formula}, certify {i.certify}, {i.producer_s:.2f} s + {i.checker_s:.2f} s")
        p6 = p6_counterexample()
        reports = family_reports(instances)
        summary_figure(instances, BUILD / "region-growth.png")
        seconds = time.perf_counter() - started
        (BUILD / "instances.json").write_text(json.dumps([{**i.__dict__, "family": i.family} for i in instances],
                                                         indent=1) + "\n")
        (BUILD / "report.md").write_text(report_markdown(instances, reports, p6, seconds))
        bad = [i for i in instances if not i.matches]
        verdict = "VERIFIED" if not bad else "MISMATCH: " + ", ".join(f"{i.family} L={i.L}" for i in bad)
        write_summary(Path(folder), claim="Linear regions of zigzag hard-max transformers grow as P(h,k)^{dL}",
                      paper="Gu-Yang-Zhou 2026, Thm P5 (reconstructed)",
                      instances=f"{len(instances)} compiled transformers: " + "; ".join(
                          f"d={d}, (h,k) L: " + ", ".join(f"({h},{k}) <= {deepest}" for h, k, e, deepest in families
                                                         if e == d) for d in sorted({f[2] for f in families})),
                      verdict=verdict, cells=sum(i.cells for i in instances), seconds=round(seconds, 1),
                      report="04-region-growth/build/report.md")
        progress(f"{verdict} in {seconds:.1f} s")
        return verdict, instances, p6
    finally:
        os.chdir(here)


def main() -> int:
    return 0 if build()[0] == "VERIFIED" else 1


if __name__ == "__main__":
    sys.exit(main())
