"""The shape of the house: work items finish in another process, certificates are those recorded (the claims since
the version before the restructure), imports follow the pipeline, and no module keeps hidden state."""
import ast
import hashlib
import importlib.util
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import polyreg_check
from polyreg import box, lower
from polyreg.analysis.cases import certify_mixed
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Counts, Equivalent
from polyreg.certificates.write import certificate, json_chunks, mixed_certificate, write_certificate
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.core.enumerate import Enumerator
from polyreg.formats.json_files import load_domain_or_mixed, load_network
from polyreg.network.families import random_relu

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PIPELINE = ["errors", "exact", "geometry", "network", "formats", "compiler", "core", "analysis", "certificates",
            "report", "cli"]


def cells_of(enumerator):
    return [(c.point, c.pattern, c.affines, c.polyhedron.rows) for c in enumerator.cells]


FINISH_ELSEWHERE = """
import pickle, sys
from polyreg.core.enumerate import Enumerator
networks, domain, items = pickle.load(open(sys.argv[1], "rb"))
enumerator = Enumerator(networks, domain)
enumerator.run(items)
cells = [(c.point, c.pattern, c.affines, c.polyhedron.rows) for c in enumerator.cells]
pickle.dump((cells, len(enumerator.roots)), open(sys.argv[2], "wb"))
"""


@pytest.mark.parametrize("networks", [
    lambda: (random_relu(2, [6, 6], seed=3),),
    lambda: (lambda net: (net, compile_transformer(net, box(2, -1, 1))))(load_network(EXAMPLES / "maxout_2x3x3.json")),
], ids=["relu", "maxout-and-its-transformer"])
def test_work_items_pickled_mid_run_finish_in_a_fresh_process_with_the_same_cells(networks, tmp_path):
    networks = networks()
    domain = box(2, -1, 1)
    whole = Enumerator(networks, domain)
    whole.run([whole.first_item()])
    here = Enumerator(networks, domain)
    stack = [here.first_item()]
    while len(stack) < 3 or len(here.cells) < 2:        # some cells found, several items pending
        stack.extend(reversed(here.process(stack.pop())))
    sent = list(reversed(stack))
    before = len(here.cells)
    (tmp_path / "items").write_bytes(pickle.dumps((networks, domain, sent)))
    out = subprocess.run([sys.executable, "-c", FINISH_ELSEWHERE, str(tmp_path / "items"), str(tmp_path / "cells")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    elsewhere, roots = pickle.loads((tmp_path / "cells").read_bytes())
    assert roots == len(sent)
    assert cells_of(here)[:before] + elsewhere == cells_of(whole)
    assert sum(c.polyhedron.contains(c.point) for c in whole.cells) == len(whole.cells)


def zigzag_transformer():
    spec = importlib.util.spec_from_file_location("arch_zigzag", ROOT / "proofs" / "04-region-growth" / "zigzag.py")
    zigzag = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zigzag)
    return compile_transformer(zigzag.zigzag_network(1, 2, 4, 2), box(2, 0, 1))


def certificates_now():
    """The recorded certificates, produced by today's code (the same inputs as when they were recorded)."""
    count = {name: (load_network(EXAMPLES / file), box(d, lo, hi)) for name, file, d, lo, hi in [
        ("count_relu", "relu_2x8x8.json", 2, -1, 1), ("count_saw", "sawtooth_10.json", 1, 0, 1),
        ("count_t1d", "transformer_1d.json", 1, -1, 1)]}
    count["zigzag"] = (zigzag_transformer(), box(2, 0, 1))
    for name, (net, domain) in count.items():
        cpwl = lower(net, domain)
        yield name, certificate(cpwl, Counts.of(cpwl))
    maxout = load_network(EXAMPLES / "maxout_2x3x3.json")
    verdict = certify(maxout, compile_transformer(maxout, box(2, -1, 1)), box(2, -1, 1))
    yield "certify_maxout", certificate(verdict.refinement, Equivalent.of(verdict.refinement))
    a, b = load_network(EXAMPLES / "selector.json"), load_network(EXAMPLES / "selector_reference.json")
    mixed = load_domain_or_mixed(EXAMPLES / "mixed_domain.json")
    yield "mixed", mixed_certificate(certify_mixed(a, b, mixed), a, b, mixed)
    yield "split", mixed_certificate(certify_mixed(a, b, mixed, split_outputs=True), a, b, mixed)


def test_certificates_are_those_recorded():
    recorded = json.loads((ROOT / "tests" / "data" / "recorded_certificates.json").read_text())["certificates"]
    produced = dict(certificates_now())
    assert produced.keys() == recorded.keys()
    for name, cert in produced.items():
        assert cert["claim"] == recorded[name]["claim"], name
        digest = hashlib.sha256(json.dumps(cert, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        assert digest == recorded[name]["sha256"], name


def test_the_writer_spells_certificates_as_json_dumps_does_and_writes_deep_trees(tmp_path):
    for name, cert in certificates_now():
        cert["producer"] = {"seconds": 0.125, "note": "caf\u00e9", "nothing": None, "ratio": float("inf")}
        assert "".join(json_chunks(cert)) == json.dumps(cert, separators=(",", ":")), name
    tree = {"leaf": ["1/2"]}
    for _ in range(5000):       # far deeper than the interpreter's recursion limit
        tree = {"split": [None, tree]}
    write_certificate({"format": "polyreg.certificate/1", "tree": tree}, tmp_path / "deep.json.gz")
    loaded = polyreg_check.load(tmp_path / "deep.json.gz")
    for _ in range(5000):
        loaded = loaded["tree"] if "tree" in loaded else loaded["split"][1]
    assert loaded == {"split": [None, {"leaf": ["1/2"]}]}


def package_modules():
    for path in sorted((ROOT / "polyreg").rglob("*.py")):
        yield path, ast.parse(path.read_text())


def imported_packages(path, tree):
    """The polyreg sub-packages (or top modules) that ``path`` imports."""
    here = path.relative_to(ROOT / "polyreg").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here[:-1])[:len(here) - node.level] if node.level > 1 else list(here[:-1])
            target = base + (node.module.split(".") if node.module else [])
            if target:
                yield target[0]


def test_imports_run_down_the_pipeline():
    backwards = []
    for path, tree in package_modules():
        own = path.relative_to(ROOT / "polyreg").parts[0].removesuffix(".py")
        if own not in PIPELINE:
            continue
        for target in imported_packages(path, tree):
            if target in PIPELINE and PIPELINE.index(target) > PIPELINE.index(own):
                backwards.append(f"{path.relative_to(ROOT)} imports {target}")
    assert backwards == []


def assigned_name(node):
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    return target.id if isinstance(target, ast.Name) else ""


def test_no_module_keeps_hidden_state():
    """No recursion limit changed, no attribute stored on a function, no module-level mutable container but
    constant tables (UPPER_CASE) and ``__all__``, no module-level memoized function."""
    found = []
    for path, tree in package_modules():
        where = path.relative_to(ROOT)
        functions = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "setrecursionlimit":
                found.append(f"{where}: setrecursionlimit")
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                                                    and t.value.id in functions for t in node.targets):
                found.append(f"{where}:{node.lineno}: an attribute stored on a function")
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, (ast.List, ast.Dict, ast.Set)):
                name = assigned_name(node)
                if not (name.isupper() or name == "__all__"):
                    found.append(f"{where}:{node.lineno}: module-level container {name}")
            if isinstance(node, ast.FunctionDef) and any("cache" in ast.unparse(d) for d in node.decorator_list):
                found.append(f"{where}:{node.lineno}: module-level cache on {node.name}")
    assert found == []
