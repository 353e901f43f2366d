"""Claim 3: CPWL functions in Wang-Sun form and in lattice (max-min) form are hard-max transformers, exactly.

Each instance is a CPWL function ``f`` given by a ReLU network (a direct formula, or a seeded random network) and
a form of ``f`` built here: Wang-Sun forms by hand (and from the breakpoints of 1-D networks), lattice forms from
the exact cells of the network. The form becomes a maxout network (forms.py), which is compiled into a transformer;
the transformer is certified equal to the network ``f`` on the box, the certificate written and re-checked from the
file by the standalone checker, and the transformer's sizes compared with the stated ones. A lattice form with one
essential term left out is the negative control (certified DIFFERENT). Writes build/report.md and build/summary.json.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import forms  # noqa: E402
from common import markdown_table, progress, rechecked, write_summary  # noqa: E402

from polyreg import box  # noqa: E402
from polyreg.analysis.equivalence import certify  # noqa: E402
from polyreg.certificates.claims import Different, Equivalent  # noqa: E402
from polyreg.certificates.write import certificate, write_certificate  # noqa: E402
from polyreg.compiler.maxout_to_transformer import compile_transformer, size_of  # noqa: E402
from polyreg.network.families import random_relu  # noqa: E402
from polyreg.network.ir import Mlp  # noqa: E402

HAND_MADE = (("|x|", forms.absolute_value, forms.absolute_value_direct),
             ("hat max(0, 1 - |x|)", forms.hat, forms.hat_direct),
             ("pyramid max(0, 1 - |x1| - |x2|)", forms.pyramid, forms.pyramid_direct))
HAND_MADE_BOX = 2
# (d, hidden widths, seed) of the random ReLU networks on [-1, 1]^d; the d = 1 ones also get a Wang-Sun form.
RANDOM_NETS = ((1, (4,), 0), (1, (8,), 1), (1, (4, 4), 2), (1, (8, 8), 7), (1, (16, 16), 8),
               (2, (4,), 3), (2, (6,), 15), (2, (8,), 4), (2, (10,), 13), (2, (4, 4), 17), (2, (5, 5), 16),
               (2, (4, 4, 4), 12))
CONTROL_NET = (2, (8,), 4)


@dataclass(frozen=True)
class Instance:
    """A function ``f`` (the network ``reference`` on ``[-box, box]^d``), one form of it as a maxout network, the
    stated transformer sizes, and the expected verdict."""
    function: str
    form: str
    d: int
    box: int
    terms: str
    reference: Mlp
    form_net: Mlp
    stated_tokens: int
    stated_heads: int
    stated_attention_blocks: int
    exact_tokens: bool          # False: the stated token count is an upper bound
    expect: str = "EQUIVALENT"


@dataclass(frozen=True)
class Outcome:
    instance: Instance
    tokens: int
    heads: int
    blocks: int
    attention_blocks: int
    cells: int
    conclusion: str             # the checker's, or NOT VERIFIED: reason
    certified: bool             # the checker verified the expected claim
    certify_s: float
    check_s: float

    @property
    def sizes_as_stated(self) -> bool:
        i = self.instance
        tokens_ok = self.tokens == i.stated_tokens if i.exact_tokens else self.tokens <= i.stated_tokens
        return tokens_ok and self.heads == i.stated_heads and self.attention_blocks == i.stated_attention_blocks

    @property
    def verified(self) -> bool:
        return self.certified and self.sizes_as_stated


def wang_sun_instance(function: str, form: forms.WangSun, reference: Mlp, half_width: int) -> Instance:
    """Stated: ``N = d + 1`` tokens, one attention block with ``Q`` heads (2 blocks in total)."""
    Q = len(form.terms)
    return Instance(function, "Wang-Sun", form.dim, half_width, f"Q = {Q}", reference, forms.wang_sun_network(form),
                    form.dim + 1, Q, 1, True)


def lattice_instance(function: str, reference: Mlp, half_width: int) -> tuple[Instance, forms.LatticeFromCells]:
    """Stated: ``N = max(Q', P)`` tokens, two attention blocks with ``P`` heads and then 1 head."""
    found = forms.lattice_of_network(reference, box(reference.input_dim, -half_width, half_width))
    P, Q = len(found.form.sets), len(found.form.pieces)
    terms = f"P = {P}, Q' = {Q} ({found.cells} cells, {found.distinct_sets} distinct S_R)"
    return (Instance(function, "lattice", reference.input_dim, half_width, terms, reference,
                     forms.lattice_network(found.form), max(Q, P), P + 1, 2, False), found)


def random_name(d: int, hidden: tuple[int, ...], seed: int) -> str:
    return "relu " + "->".join(map(str, (d,) + hidden + (1,))) + f" (seed {seed})"


def instances(hand_made: Sequence[tuple] = HAND_MADE, random_nets: Sequence[tuple] = RANDOM_NETS) -> list[Instance]:
    """Hand-made functions in both forms, random networks in lattice form (and d = 1 ones in Wang-Sun form)."""
    out: list[Instance] = []
    for function, wang_sun, direct in hand_made:
        out.append(wang_sun_instance(function, wang_sun(), direct(), HAND_MADE_BOX))
        out.append(lattice_instance(function, direct(), HAND_MADE_BOX)[0])
    for d, hidden, seed in random_nets:
        net = random_relu(d, list(hidden), seed=seed)
        if d == 1:
            out.append(wang_sun_instance(random_name(d, hidden, seed), forms.wang_sun_of_line_network(net, -1, 1),
                                         net, 1))
        out.append(lattice_instance(random_name(d, hidden, seed), net, 1)[0])
    return out


def control_instance() -> Instance:
    """The lattice form of ``CONTROL_NET`` with its first essential term left out: must be DIFFERENT."""
    d, hidden, seed = CONTROL_NET
    net = random_relu(d, list(hidden), seed=seed)
    full, found = lattice_instance(random_name(d, hidden, seed), net, 1)
    left_out = found.essential_term(net)
    wrong = found.form.without(left_out)
    P = len(wrong.sets)
    return Instance(full.function, f"lattice, term {left_out} left out", d, 1,
                    f"P = {P}, Q' = {len(wrong.pieces)}", net, forms.lattice_network(wrong),
                    max(len(wrong.pieces), P), P + 1, 2, False, "DIFFERENT")


def slug(instance: Instance, n: int) -> str:
    return f"{n:02d}-{instance.form.split(',')[0].lower()}-d{instance.d}"


def certified(instance: Instance, path: Path) -> Outcome:
    """Compile the form for the box, certify it against the reference network, write the certificate to ``path``
    and re-check the written file; the conclusion is the checker's."""
    domain = box(instance.d, -instance.box, instance.box)
    started = time.perf_counter()
    transformer = compile_transformer(instance.form_net, domain)
    verdict = certify(instance.reference, transformer, domain)
    certify_s = time.perf_counter() - started
    claim = Equivalent.of if instance.expect == "EQUIVALENT" else Different.of
    write_certificate(certificate(verdict.refinement, claim(verdict.refinement)), path)
    conclusion, check_s = rechecked(path)
    expected = "equal everywhere" if instance.expect == "EQUIVALENT" else "differ on"
    size = size_of(transformer)
    return Outcome(instance, size.tokens, size.heads, size.blocks, size.attention_blocks,
                   len(verdict.refinement.cells), conclusion,
                   verdict.word == instance.expect and expected in conclusion, certify_s, check_s)


def table_row(o: Outcome) -> tuple:
    i = o.instance
    checker = ("VERIFIED " + ("EQUIVALENT" if i.expect == "EQUIVALENT" else "DIFFERENT")) if o.certified \
        else o.conclusion
    tokens = f"{o.tokens} / {i.stated_tokens}" + ("" if o.sizes_as_stated else " MISMATCH")
    blocks = f"{o.blocks} ({o.attention_blocks} attn) / " + ("2 (1 attn)" if i.form == "Wang-Sun" else "2 attn")
    return (i.function.replace("|", "\\|"), i.form, i.d, f"[-{i.box}, {i.box}]^{i.d}", i.terms, tokens,
            f"{o.heads} / {i.stated_heads}", blocks,
            o.cells, checker, f"{o.certify_s:.2f}", f"{o.check_s:.2f}")


HEADER = ("function", "form", "d", "domain", "Q or (P, Q')", "tokens (compiled / stated)", "heads (compiled / stated)",
          "blocks (compiled / stated)", "cells", "checker", "certify s", "check s")


def report(outcomes: list[Outcome], control: Outcome) -> str:
    verified = sum(o.verified for o in outcomes)
    fewer = sum(o.tokens < o.instance.stated_tokens for o in outcomes)
    return ("# Claim 3: CPWL functions in Wang-Sun and lattice form as hard-max transformers\n\n"
            f"{verified} of {len(outcomes)} forms compiled to transformers VERIFIED equal everywhere on the box to the "
            "network they were built from, by the standalone checker (`polyreg_check`) from the written "
            "certificates (`build/*.json.gz`), with heads and attention blocks as stated. Negative control (a lattice "
            f"form with one essential term left out): {table_row(control)[9]}.\n\n"
            "Forms. Wang-Sun forms of the hand-made functions are built by hand (forms.py) and certified against a "
            "ReLU network of the direct formula on [-2, 2]^d; those of the 1-D random networks come from their "
            "breakpoints and slope jumps. Lattice forms come from the exact cells `R` of the network: `l_1..l_Q'` its "
            "distinct affine maps, `S_R = {j : l_j >= l_R on R}` decided at the vertices of `R`; identical `S_R` are "
            "merged and sets containing another set are dropped (their minimum never exceeds the smaller set's), "
            "leaving `P` terms.\n\n"
            "Sizes. Wang-Sun: tokens `d + 1`, `Q` heads and 2 blocks, as stated. Lattice: `P` heads then 1 head in "
            "2 attention blocks, as stated, but construction A' adds a first block (feed-forward only) that writes "
            "the first layer's pre-activations, so 3 blocks in total; and the compiled transformer needs only "
            f"`N = max(max_i |S_i|, P)` tokens, at most the stated `max(Q', P)` (fewer on {fewer} of the "
            f"{sum(o.instance.form == 'lattice' for o in outcomes)} lattice forms).\n\n"
            + markdown_table(HEADER, [table_row(o) for o in outcomes + [control]]))


def build(hand_made: Sequence[tuple] = HAND_MADE, random_nets: Sequence[tuple] = RANDOM_NETS,
          folder: Path = HERE / "build") -> tuple[str, list[Outcome], Outcome]:
    """Certify every form of ``hand_made`` and ``random_nets`` and the control, certificates and report in
    ``folder``: the verdict, the outcomes and the control's."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for n, instance in enumerate(instances(hand_made, random_nets)):
        outcome = certified(instance, folder / f"{slug(instance, n)}.json.gz")
        progress(f"{instance.function}, {instance.form}: {outcome.conclusion} "
                 f"({outcome.certify_s:.2f} s + check {outcome.check_s:.2f} s)")
        outcomes.append(outcome)
    control = certified(control_instance(), folder / "control-lattice-term-left-out.json.gz")
    progress(f"control: {control.conclusion}")
    (folder / "report.md").write_text(report(outcomes, control))
    failed = sum(not o.verified for o in outcomes) + (not control.certified)
    verdict = "VERIFIED" if not failed else f"FAILED on {failed}"
    write_summary(folder.parent, claim="CPWL functions in Wang-Sun and lattice (max-min) form are hard-max transformers",
                  paper="Gu-Yang-Zhou 2026, Thm P4 (reconstructed)",
                  instances=f"{len(outcomes)} forms of {len(hand_made) + len(random_nets)} functions, d 1-2; "
                            "1 negative control",
                  verdict=verdict, cells=sum(o.cells for o in outcomes + [control]),
                  seconds=round(time.perf_counter() - started, 1), report="03-cpwl-forms/build/report.md")
    return verdict, outcomes, control


def main() -> int:
    return 0 if build()[0] == "VERIFIED" else 1


if __name__ == "__main__":
    sys.exit(main())
