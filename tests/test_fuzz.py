"""Hostile input: mutated certificates, networks and domains, and random bytes, get one of the documented exits
(checker: 0 VERIFIED, 1 NOT VERIFIED, 2 malformed; producer: 0 or 2), never a traceback, an internal error, a signal
or a hang. Each checker run is a separate process with a time limit and a memory limit."""
import copy
import gzip
import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyreg import box, certify_mixed, lower
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Counts, Equivalent
from polyreg.certificates.write import certificate, mixed_certificate
from polyreg.cli.main import main
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.formats.json_files import load_domain_or_mixed, load_network
from polyreg.network.families import random_relu

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SECONDS, MEMORY = 60, 1 << 30


def base_certificates():
    net = random_relu(2, [4, 3], seed=2)
    cpwl = lower(net, box(2, -1, 1))
    maxout = load_network(EXAMPLES / "maxout_2x3x3.json")
    verdict = certify(maxout, compile_transformer(maxout, box(2, -1, 1)), box(2, -1, 1))
    a, b = load_network(EXAMPLES / "selector.json"), load_network(EXAMPLES / "selector_reference.json")
    mixed = load_domain_or_mixed(EXAMPLES / "mixed_domain.json")
    return [certificate(cpwl, Counts.of(cpwl)), certificate(verdict.refinement, Equivalent.of(verdict.refinement)),
            mixed_certificate(certify_mixed(a, b, mixed, split_outputs=True), a, b, mixed)]


BASES = base_certificates()
NASTY = st.sampled_from(["1e999999999", "9" * 5000, "1/0", "-0", "0x1", "", None, True, False, 0, -1, 2 ** 70,
                         [], {}, [[]], {"split": []}, {"leaf": []}, {"prune": [], "empty": True}, "NaN", 1.5])
VALUES = st.recursive(NASTY | st.integers() | st.text(max_size=8),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                  max_size=3), max_leaves=8)


def places(document):
    """Every (container, key or index) of the document, in a fixed order."""
    found, stack = [], [document]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            found.append((node, key))
            stack.append(value)
    return found


def mutated(document, operation, index, value):
    """``document`` with one place replaced by ``value``, removed, or duplicated."""
    document = copy.deepcopy(document)
    container, key = (lambda p: p[index % len(p)])(places(document))
    if operation == "replace":
        container[key] = value
    elif operation == "remove":
        del container[key]
    elif isinstance(container, list):
        container.insert(key, copy.deepcopy(container[key]))
    else:
        container[str(key) + "_"] = copy.deepcopy(container[key])
    return document


def limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def checker_exit(path):
    """The checker's exit code on the file ``path``, run alone, with ``SECONDS`` and ``MEMORY`` to spend; any sign of
    a fault (a traceback, an internal error, a signal, a hang) fails the test."""
    out = subprocess.run([sys.executable, "-m", "polyreg_check", str(path)], capture_output=True, text=True,
                         timeout=SECONDS, preexec_fn=limits)
    assert out.returncode in (0, 1, 2), (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr[-2000:]
    assert out.stdout.startswith("VERIFIED" if out.returncode == 0 else "NOT VERIFIED"), out.stdout
    return out.returncode


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(BASES) - 1), st.sampled_from(["replace", "remove", "duplicate"]), st.integers(0, 10 ** 6),
       VALUES)
def test_a_mutated_certificate_gets_a_documented_exit(tmp_path, base, operation, index, value):
    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(mutated(BASES[base], operation, index, value)))
    checker_exit(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(BASES) - 1), st.integers(0, 10 ** 6), st.binary(max_size=20), st.integers(0, 40),
       st.booleans())
def test_a_certificate_damaged_byte_by_byte_gets_a_documented_exit(tmp_path, base, at, inserted, removed, zipped):
    text = json.dumps(BASES[base]).encode()
    at %= len(text)
    data = text[:at] + inserted + text[at + removed:]
    path = tmp_path / "damaged.json.gz"
    path.write_bytes(gzip.compress(data)[:-removed or None] if zipped else data)
    checker_exit(path)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_are_malformed(tmp_path, data):
    path = tmp_path / "random"
    path.write_bytes(data)
    assert checker_exit(path) == 2


class Hang(Exception):
    pass


def alarm(signum, frame):
    raise Hang()


NETWORK = json.loads((EXAMPLES / "relu_2x8x8.json").read_text())
DOMAIN = json.loads((EXAMPLES / "triangle.json").read_text())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.booleans(), st.sampled_from(["replace", "remove", "duplicate"]), st.integers(0, 10 ** 6), VALUES)
def test_a_mutated_network_or_domain_gets_exit_0_or_2_from_count(tmp_path, capsys, network, operation, index, value):
    files = {"net.json": NETWORK, "domain.json": DOMAIN}
    name = "net.json" if network else "domain.json"
    files[name] = mutated(files[name], operation, index, value)
    for file, document in files.items():
        (tmp_path / file).write_text(json.dumps(document))
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(SECONDS)
    try:
        code = main(["count", str(tmp_path / "net.json"), "--domain", str(tmp_path / "domain.json")])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    err = capsys.readouterr().err
    assert code in (0, 2), err
    first = err.split("\n")[0]     # a shape error lists every problem, one a line, after the first
    assert code == 0 or (first.startswith("polyreg: error: ") and str(tmp_path) in first), err


@pytest.mark.parametrize("data", [b"\x08\x01\x12\x04onnx\xff\xfe", b"\x1f\x8b\x08\x00broken", b"[" * 200_000,
                                  b'{"format": "polyreg.network/1", "input_dim": 1e999999999, "layers": []}',
                                  b"[" + b"9" * 5000 + b"]"])
def test_hostile_network_files_exit_2_with_one_line(tmp_path, capsys, data):
    path = tmp_path / "net.json"
    path.write_bytes(data)
    assert main(["count", str(path), "--box", "-1", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"polyreg: error: {path}: ") and err.count("\n") == 1, err
