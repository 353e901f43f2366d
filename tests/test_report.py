"""`polyreg report`: reports state what the checker verified, checked against independent facts (closed
forms, exact areas, the checker's own verdict, direct exact evaluation), and render as self-contained HTML."""
import base64
import copy
import json
import subprocess
import sys
from fractions import Fraction as F
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mutations import preorder

from polyreg import box, evaluate, load_network, lower
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Counts, Equivalent
from polyreg.certificates.write import certificate, write_certificate
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.formats.json_files import save_network
from polyreg.network.families import random_relu, sawtooth
from polyreg.report.render import cell_polygon, polygon_area
from polyreg_check import Reject, check, load

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAXOUT = str(EXAMPLES / "maxout_2x3x3.json")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source"}


class Page(HTMLParser):
    """An HTML page's title, text, images and links, and any tag that does not nest properly."""

    def __init__(self, text):
        super().__init__()
        self.open, self.bad, self.title, self.text, self.images, self.links, self.tags = [], [], "", [], [], [], set()
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.images += [attrs.get("src") or ""] if tag == "img" else []
        self.links += [attrs[k] for k in ("href", "src") if k in attrs and tag != "img"]
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.bad.append(tag)

    def handle_data(self, data):
        if self.open and self.open[-1] == "title":
            self.title += data
        self.text.append(data)


def sound_page(folder):
    """Parse report.html and check that it is well formed and self-contained; return the page."""
    page = Page((Path(folder) / "report.html").read_text(encoding="utf-8"))
    assert page.bad == [] and page.open == [], (page.bad, page.open)
    assert page.title.strip() and "script" not in page.tags and page.links == []
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1], validate=True).startswith(PNG_MAGIC)
    return page


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def red_pixels(png_path):
    """The number of strongly red pixels (the colour that marks cells where the maps differ)."""
    from matplotlib.image import imread
    image = imread(png_path)
    return int(((image[..., 0] > 0.6) & (image[..., 1] < 0.15) & (image[..., 2] < 0.15)).sum())


def test_equivalence_report_states_the_checkers_verdict_and_is_self_contained(tmp_path, capsys):
    cert, out = tmp_path / "cert.json", tmp_path / "report"
    code, _, _ = run(capsys, "certify", MAXOUT, "--box", "-1", "1", "--certificate", cert, "--report", out)
    assert code == 0
    expected = "EQUIVALENT — verified: " + check(load(cert))
    page = sound_page(out)
    assert page.title == expected and expected in page.text
    assert (out / "report.md").read_text(encoding="utf-8").splitlines()[0] == f"# {expected}"
    facts = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert facts["verified"] is True and facts["first_line"] == expected
    assert len(page.images) == 1 and (out / "figure-cells.png").read_bytes().startswith(PNG_MAGIC)
    assert red_pixels(out / "figure-cells.png") == 0
    assert {n["sha256"] for n in facts["certificates"][0]["networks"]} == {n["sha256"] for n in load(cert)["networks"]}
    code, printed, _ = run(capsys, "report", cert, "-o", tmp_path / "again")
    assert code == 0 and printed.splitlines()[0] == expected


def test_without_certificate_the_report_folder_gets_one(tmp_path, capsys):
    net = EXAMPLES / "sawtooth_10.json"
    code, out, _ = run(capsys, "count", net, "--box", "0", "1", "--json", "--report", tmp_path)
    assert code == 0 and json.loads(out)["cells"] == 1024                # stdout stays one JSON object
    assert check(load(tmp_path / "certificate.json.gz")).startswith("cells 1024,")



def test_cell_polygons_are_exact():
    triangle = cell_polygon([(0, 1, 0), (0, 0, 1), (1, -1, -1), (1, -1, -1), (5, 1, 1)])   # duplicate, redundant
    assert set(triangle) == {(0, 0), (1, 0), (0, 1)} and polygon_area(triangle) == F(1, 2)
    signed = sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(triangle, triangle[1:] + triangle[:1]))
    assert signed > 0                                                   # counter-clockwise
    assert cell_polygon([(0, 1, 0), (-1, -1, 0), (1, 0, 1), (1, 0, -1)]) == ()   # x >= 0 and x <= -1: empty


def test_the_verified_cells_polygons_tile_the_domain():
    net = load_network(MAXOUT)
    domain = box(2, -1, 1)
    verdict = certify(net, compile_transformer(net, domain), domain)
    record = []
    check(certificate(verdict.refinement, Equivalent.of(verdict.refinement)), record)
    polygons = [cell_polygon(rows) for _, rows, _ in record]
    assert all(polygon_area(p) > 0 for p in polygons)
    assert sum(polygon_area(p) for p in polygons) == 4


@pytest.mark.parametrize("L", [3, 5])
def test_sawtooth_report_has_the_closed_form_breakpoints(tmp_path, capsys, L):
    net = tmp_path / "sawtooth.json"
    save_network(sawtooth(L), net)
    out = tmp_path / "report"
    assert run(capsys, "count", net, "--box", "0", "1", "--certificate", tmp_path / "c.json", "--report", out)[0] == 0
    facts = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert facts["certificates"][0]["breakpoints"] == [[str(F(k, 2 ** L)) for k in range(1, 2 ** L)]]
    assert len(sound_page(out).images) == 1


def test_a_tampered_certificate_gives_a_not_verified_report_without_figures(tmp_path, capsys):
    cpwl = lower(random_relu(2, [4, 3], seed=2), box(2, -1, 1))
    cert = certificate(cpwl, Counts.of(cpwl))
    tampered = copy.deepcopy(cert)
    preorder(tampered["tree"], "prune")[0]["prune"][0][1] += 1
    with pytest.raises(Reject) as rejection:
        check(copy.deepcopy(tampered))
    path, out = tmp_path / "tampered.json", tmp_path / "report"
    write_certificate(tampered, path)
    out.mkdir()
    (out / "figure-cells.png").write_bytes(PNG_MAGIC)                   # a stale figure from an earlier run
    code, printed, _ = run(capsys, "report", path, "-o", out)
    assert code == 1 and printed.splitlines()[0] == f"NOT VERIFIED: {rejection.value}"
    page = sound_page(out)
    assert page.title == f"NOT VERIFIED: {rejection.value}" and page.images == []
    assert list(out.glob("*.png")) == []
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["verified"] is False


def test_a_different_pair_marks_the_differing_cells_and_the_counterexample(tmp_path, capsys):
    obj = json.loads(Path(MAXOUT).read_text())
    obj["layers"][0]["bias"][0] = str(F(obj["layers"][0]["bias"][0]) + F(1, 10))
    perturbed, transformer = tmp_path / "perturbed.json", tmp_path / "transformer.json"
    perturbed.write_text(json.dumps(obj))
    assert run(capsys, "compile", MAXOUT, "--box", "-1", "1", "-o", transformer)[0] == 0
    out = tmp_path / "report"
    code, _, _ = run(capsys, "certify", perturbed, transformer, "--box", "-1", "1", "--json", "--report", out)
    assert code == 10
    a, b = load_network(perturbed), load_network(transformer)
    verdict = certify(a, b, box(2, -1, 1))
    facts = json.loads((out / "report.json").read_text(encoding="utf-8"))["certificates"][0]
    assert facts["differing_cells"] == verdict.differing_cells > 0
    x = [F(v) for v in facts["counterexample_check"]["x"]]
    assert all(-1 <= v <= 1 for v in x) and evaluate(a, x) != evaluate(b, x)
    assert facts["counterexample_check"]["outputs"] == {"A": [str(v) for v in evaluate(a, x)],
                                                         "B": [str(v) for v in evaluate(b, x)]}
    assert facts["counterexample_check"]["matches_producer"]
    assert facts["distance_from_vertices"] == str(verdict.distance)
    page = sound_page(out)
    assert page.title.startswith("DIFFERENT — verified") and any("counterexample" in t.lower() for t in page.text)
    assert red_pixels(out / "figure-cells.png") > 100


def test_a_family_of_count_certificates_gets_a_table_and_a_plot_against_depth(tmp_path, capsys):
    paths = []
    for L in (3, 1, 2, 4):
        net, cert = tmp_path / f"saw{L}.json", tmp_path / f"c{L}.json"
        save_network(sawtooth(L), net)
        assert run(capsys, "count", net, "--box", "0", "1", "--certificate", cert)[0] == 0
        paths.append(cert)
    out = tmp_path / "report"
    code, printed, _ = run(capsys, "report", *paths, "-o", out)
    assert code == 0 and printed.startswith("COUNTS — verified: 4 certificates")
    family = json.loads((out / "report.json").read_text(encoding="utf-8"))["family"]
    assert [(r["depth"], r["cells"], r["activation_regions"], r["affine_maps"]) for r in family] == \
        [(L, 2 ** L, 2 ** L, 2 ** L) for L in (1, 2, 3, 4)]
    assert (out / "figure-depth.png").read_bytes().startswith(PNG_MAGIC)
    assert len(sound_page(out).images) == 5


def test_three_inputs_give_no_cell_figure(tmp_path, capsys):
    cpwl = lower(random_relu(3, [3], seed=1), box(3, -1, 1))
    write_certificate(certificate(cpwl, Counts.of(cpwl)), tmp_path / "c.json.gz")
    assert run(capsys, "report", tmp_path / "c.json.gz", "-o", tmp_path / "r")[0] == 0
    page = sound_page(tmp_path / "r")
    assert page.images == [] and any("No cell figure" in t for t in page.text)


def test_unreadable_or_malformed_certificates_exit_2_naming_the_file(tmp_path, capsys):
    garbage, network = tmp_path / "garbage.json", tmp_path / "network.json"
    garbage.write_text("{not json")
    network.write_text(Path(MAXOUT).read_text())
    cpwl = lower(random_relu(2, [2], seed=0), box(2, -1, 1))
    truncated = certificate(cpwl, Counts.of(cpwl))
    del truncated["tree"]
    write_certificate(truncated, tmp_path / "truncated.json")
    for path in (tmp_path / "missing.json", garbage, network, tmp_path / "truncated.json"):
        code, _, err = run(capsys, "report", path, "-o", tmp_path / "r")
        assert code == 2 and str(path) in err
    assert not (tmp_path / "r" / "report.html").exists()


def test_the_checker_and_the_other_commands_do_not_import_matplotlib():
    code = "import sys, polyreg.cli.main, polyreg_check; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_mixed_domain_reports_part_by_part_and_the_counterexample_is_a_full_input(tmp_path, capsys):
    """Over a mixed domain, split by outputs: the report states the checker's verdict and a table of parts whose cells
    add up to the verified cells; a leaking network's counterexample is re-evaluated on the full input."""
    from test_parts import lookup_domain, lookup_reference, lookup_transformer

    from polyreg.analysis.cases import certify_mixed
    files = {}
    nets = (("a", lookup_transformer(3)), ("leak", lookup_transformer(3, leak=1)), ("b", lookup_reference(3)))
    for name, net in nets:
        files[name] = tmp_path / f"{name}.json"
        save_network(net, files[name])
    domain_file = tmp_path / "domain.json"
    one_hot = [[int(i == k) for i in range(3)] for k in range(3)]
    domain_file.write_text(json.dumps({
        "format": "polyreg.mixed-domain/1", "input_dim": 12,
        "discrete": [{"coordinates": [3 * t, 3 * t + 1, 3 * t + 2], "values": one_hot} for t in range(3)],
        "continuous": {"coordinates": [9, 10, 11], "A": [[s * int(i == j) for j in range(3)] for i in range(3)
                                                          for s in (1, -1)], "b": [1] * 6}}))
    out = tmp_path / "report"
    code, _, _ = run(capsys, "certify", files["a"], files["b"], "--domain", domain_file, "--split-outputs",
                     "--report", out)
    assert code == 0
    expected = "EQUIVALENT — verified: " + check(load(out / "certificate.json.gz"))
    page = sound_page(out)
    assert page.title == expected and page.images == []
    text = (out / "report.md").read_text(encoding="utf-8")
    parts = [line.split("|")[1:5] for line in text.splitlines() if line.startswith("| ") and line.count("|") == 5]
    rows = [[c.strip() for c in p] for p in parts[1:]]
    assert rows == [[str(i), str(i), "3", "3"] for i in range(3)]            # output i varies group i alone
    assert sum(int(r[3]) for r in rows) == certify_mixed(lookup_transformer(3), lookup_reference(3), lookup_domain(3),
                                                         split_outputs=True).cells
    code, _, _ = run(capsys, "certify", files["leak"], files["b"], "--domain", domain_file, "--split-outputs",
                     "--report", tmp_path / "leak")
    assert code == 10
    facts = json.loads((tmp_path / "leak" / "report.json").read_text(encoding="utf-8"))["certificates"][0]
    witness = facts["counterexample_check"]
    x = [F(v) for v in witness["x"]]
    assert len(x) == 12 and witness["in_domain"] and witness["matches_producer"]
    assert evaluate(lookup_transformer(3, leak=1), x) != evaluate(lookup_reference(3), x)


def test_the_report_names_the_domain_from_the_checked_rows_not_from_the_producer(tmp_path, capsys):
    cpwl = lower(random_relu(2, [3], seed=0), box(2, 0, F(1, 100)))
    cert = certificate(cpwl, Counts.of(cpwl))
    cert["producer"] = {"domain": "[-1, 1]^2"}      # relabelled: unchecked, so never shown as the domain
    write_certificate(cert, tmp_path / "c.json")
    assert run(capsys, "report", tmp_path / "c.json", "-o", tmp_path / "r")[0] == 0
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "Domain (as checked): x_0 in [0, 1/100], x_1 in [0, 1/100]" in markdown
    assert "[-1, 1]^2" not in markdown.split("Provenance")[0]
    assert json.loads((tmp_path / "r" / "report.json").read_text())["certificates"][0]["domain"]["text"] == \
        "x_0 in [0, 1/100], x_1 in [0, 1/100]"
