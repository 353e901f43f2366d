"""Format 2 certificates (JSON Lines, read line by line): every kind of certificate written in format 2 verifies as
it does in format 1, every tampered format 1 certificate is still refused in format 2, no change of lines crashes
the checker, and the command line writes, checks and reports them."""
import copy
import gzip
import json
import os
import subprocess
import sys

from test_rejections import CASES, Flat, checked, valid  # noqa: F401  (valid: the fixture)

from test_mixed import selector_domain, selector_mlp, selector_reference

import polyreg_check
from polyreg import box, certify, lower, plane, region_counts
from polyreg.analysis.cases import certify_mixed
from polyreg.certificates.claims import Counts, Equivalent
from polyreg.certificates.flat import flat_lines, nested
from polyreg.certificates.write import certificate, mixed_certificate, write_certificate
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.cli.main import main
from polyreg.formats.json_files import save_network
from polyreg.core.stages import WIDE
from polyreg.network.families import random_maxout, random_relu
from polyreg_check import Reject, check, parallel
from polyreg_check.schema import FORMAT


def flat_file(cert):
    return Flat("".join(line + "\n" for line in flat_lines(cert)).encode())


def test_every_kind_of_certificate_verifies_in_format_2_as_in_format_1(valid, tmp_path, capsys):
    for name, cert in valid.items():
        first = check(copy.deepcopy(cert))
        assert checked(flat_file(copy.deepcopy(cert))) == first, name
        path = tmp_path / f"{name}.jsonl.gz"
        write_certificate(copy.deepcopy(cert), path)
        assert polyreg_check.main([str(path)]) == 0 and capsys.readouterr().out.startswith(f"VERIFIED: {first}")
        header, nodes = polyreg_check.open_certificate(path, 1 << 30)
        assert nested(header, nodes.next_node) == {**cert, "format": FORMAT}, name    # nothing lost
        nodes.close()


def test_every_tampered_certificate_is_refused_in_format_2_too(valid):
    refused = 0
    for pattern, build in CASES:
        bad = build(valid)
        if isinstance(bad, Flat) or not isinstance(bad, dict) or bad.get("format") != FORMAT:
            continue        # a change of the format itself, or already a file
        try:
            lines = list(flat_lines(bad))
        except (KeyError, TypeError, AttributeError):
            continue        # so malformed that it has no format 2 spelling
        try:
            checked(Flat("".join(line + "\n" for line in lines).encode()))
        except Reject:
            refused += 1
            continue
        raise AssertionError(f"format 2 accepted the case {pattern}")
    assert refused > 100


def test_no_change_of_lines_crashes_the_checker_or_passes_a_cell_count(valid):
    lines = list(flat_lines(copy.deepcopy(valid["relu"])))
    claimed = json.loads(lines[0])["claim"]["cells"]
    for k in range(1, len(lines)):
        for changed in (lines[:k] + lines[k + 1:], lines[:k] + [lines[k]] + lines[k:],
                        lines[:k - 1] + [lines[k], lines[k - 1]] + lines[k + 1:]):
            try:
                result = checked(Flat("".join(line + "\n" for line in changed).encode()))
            except Reject:
                continue
            assert changed == lines or result.startswith(f"cells {claimed}")    # swapped equal lines


def test_the_command_line_writes_checks_and_reports_format_2(tmp_path, capsys):
    net = tmp_path / "net.json"
    save_network(random_relu(2, [8, 8], seed=0), str(net))
    for name in ("c.json", "c.jsonl", "c.jsonl.gz"):
        assert main(["count", str(net), "--box", "-1", "1", "--certificate", str(tmp_path / name)]) == 0
    capsys.readouterr()
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["format"] == "polyreg.certificate/2" and all("subtree" in ln or "leaf" in ln
                                                                            for ln in lines[1:])
    assert gzip.decompress((tmp_path / "c.jsonl.gz").read_bytes()).decode().splitlines()[1:] == lines[1:]
    results = []
    for name in ("c.json", "c.jsonl", "c.jsonl.gz"):
        assert main(["check", str(tmp_path / name)]) == 0
        results.append(capsys.readouterr().out.splitlines()[0])
    assert results[0] == results[1] == results[2] and results[0].startswith("VERIFIED: cells")
    assert main(["report", str(tmp_path / "c.jsonl.gz"), "-o", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.md").read_text()
    assert text.startswith("# COUNTS — verified: " + results[0].removeprefix("VERIFIED: "))
    assert "figure-cells.png" in text       # drawn from the trees, read back


def test_a_tree_written_from_its_nodes_is_byte_identical_to_one_built_as_json(tmp_path):
    """``certificate(.., lazy=True)`` (what the command line writes) against the tree built as JSON first."""
    square = box(2, -1, 1)
    mlp = random_maxout(2, [3, 3], 3, seed=1)
    verdict = certify(mlp, compile_transformer(mlp, square), square)
    cases = [lower(random_relu(3, [10, 10], seed=4), box(3, -1, 1)),
             lower(random_relu(3, [6], seed=2), plane([1, 0, 0], [0, 1, 0], [0, 0, 1]))]
    made = [lambda lazy, c=c: certificate(c, Counts.of(c), lazy=lazy) for c in cases]
    made.append(lambda lazy: certificate(verdict.refinement, Equivalent.of(verdict.refinement), lazy=lazy))
    a, b, domain = selector_mlp(), selector_reference(), selector_domain()
    mixed = certify_mixed(a, b, domain)
    made.append(lambda lazy: mixed_certificate(mixed, a, b, domain, lazy=lazy))
    for k, make in enumerate(made):
        for suffix in (".json", ".jsonl", ".json.gz", ".jsonl.gz"):
            write_certificate(make(False), tmp_path / f"json{k}{suffix}")
            write_certificate(make(True), tmp_path / f"nodes{k}{suffix}")
            assert (tmp_path / f"json{k}{suffix}").read_bytes() == (tmp_path / f"nodes{k}{suffix}").read_bytes()
        assert polyreg_check.main([str(tmp_path / f"nodes{k}.jsonl.gz")]) == 0


def test_a_null_line_is_not_the_end_and_a_pipe_is_read_once(valid, tmp_path):
    lines = list(flat_lines(copy.deepcopy(valid["relu"])))
    for extra in (["null"], ["null", "not json {"]):
        try:
            checked(Flat("".join(line + "\n" for line in lines + extra).encode()))
        except Reject as err:
            assert str(err).startswith("more lines follow the last tree")
        else:
            raise AssertionError(f"lines after the trees were accepted: {extra}")
    texts = {"c.jsonl": "".join(line + "\n" for line in lines).encode(), "c.json": json.dumps(valid["relu"]).encode()}
    for name, data in [*texts.items(), *((name + ".gz", gzip.compress(data)) for name, data in texts.items())]:
        piped = subprocess.run([sys.executable, "-m", "polyreg_check", "/dev/stdin"], input=data, capture_output=True)
        assert piped.returncode == 0 and piped.stdout.startswith(b"VERIFIED: cells"), (name, piped.stdout)


def sent_counted(monkeypatch):
    """Count the subtrees ``check --jobs`` sends to its workers (``Farm.offer`` runs in this process)."""
    sent = []
    offer = parallel.Farm.offer

    def counted(self, where):
        went = offer(self, where)
        sent.append(went)
        return went
    monkeypatch.setattr(parallel.Farm, "offer", counted)
    return sent


def outcome(cert, jobs):
    """The conclusion, or the message of the refusal, of ``checked``."""
    try:
        return checked(cert, jobs)
    except Reject as err:
        return f"{type(err).__name__}: {err}"


def test_check_jobs_concludes_as_one_process_for_every_kind_of_certificate(valid, monkeypatch):
    big = lower(random_relu(2, [8, 8], seed=3), box(2, -1, 1))
    certificates = {**valid, "linear regions": certificate(big, Counts.of(big, region_counts(big)))}
    sent = sent_counted(monkeypatch)
    for read_ahead in (3, 40, parallel.READ_AHEAD):     # subtrees walked here and sent, in every proportion
        monkeypatch.setattr(parallel, "READ_AHEAD", read_ahead)
        for name, cert in certificates.items():
            assert outcome(flat_file(copy.deepcopy(cert)), 2) == check(copy.deepcopy(cert)), (name, read_ahead)
    assert sum(sent) > 100 and not all(sent)


def test_check_jobs_refuses_every_tampered_certificate_with_the_same_message(valid, monkeypatch):
    monkeypatch.setattr(parallel, "READ_AHEAD", 5)
    sent = sent_counted(monkeypatch)
    compared = 0
    for pattern, build in CASES:
        bad = build(valid)
        if isinstance(bad, dict) and bad.get("format") == FORMAT:
            try:
                bad = flat_file(bad)
            except (KeyError, TypeError, AttributeError):
                continue        # so malformed that it has no format 2 spelling
        if isinstance(bad, Flat):
            one = outcome(bad, 1)
            assert not one.startswith(("cells", "the networks", "some class", "|A")), pattern
            assert outcome(bad, 2) == one, pattern
            compared += 1
    assert compared > 100 and sum(sent) > 100


def test_lines_with_escapes_are_parsed_to_find_their_subtrees_and_a_line_that_is_no_node_is_refused_in_order(
        valid, monkeypatch):
    lines = list(flat_lines(copy.deepcopy(valid["relu"])))
    escaped = [line.replace('"subtree"', '"subtr\\u0065e"').replace('"leaf"', '"le\\u0061f"')
               for line in lines]       # the same JSON values
    assert escaped != lines
    monkeypatch.setattr(parallel, "READ_AHEAD", 5)
    sent = sent_counted(monkeypatch)
    assert checked(Flat("".join(line + "\n" for line in escaped).encode()), 2) == check(copy.deepcopy(valid["relu"]))
    assert any(sent)
    sent.clear()
    odd = lines[:-3] + ["[0]"] + lines[-3:]       # not a node: subtrees before it are sent, then it is refused
    one = outcome(Flat("".join(line + "\n" for line in odd).encode()), 1)
    assert one.startswith(f"Malformed: line {len(lines) - 2}: ") and not sent
    assert outcome(Flat("".join(line + "\n" for line in odd).encode()), 2) == one and any(sent)


def test_check_jobs_on_the_command_lines(tmp_path, capsys):
    net = tmp_path / "net.json"
    save_network(random_relu(3, [8, 8], seed=0), str(net))
    cert = tmp_path / "c.jsonl.gz"
    assert main(["count", str(net), "--box", "-1", "1", "--certificate", str(cert)]) == 0
    capsys.readouterr()
    outputs = []
    for jobs in ("1", "3"):
        assert main(["check", "--jobs", jobs, str(cert)]) == 0
        outputs.append(capsys.readouterr().out)
        assert polyreg_check.main(["--jobs", jobs, "--max-bytes", "100000000", str(cert)]) == 0
        outputs.append(capsys.readouterr().out)
    assert len(set(outputs)) == 1 and outputs[0].startswith("VERIFIED: cells")
    for bad in (["--jobs", "0", str(cert)], ["--jobs", "two", str(cert)], ["--jobs", str(cert)]):
        assert polyreg_check.main(bad) == 2 and capsys.readouterr().err.startswith("usage:")
    plain = tmp_path / "c.json"
    assert main(["count", str(net), "--box", "-1", "1", "--certificate", str(plain)]) == 0
    capsys.readouterr()
    assert polyreg_check.main(["--jobs", "2", str(plain)]) == 0
    assert "format 1 certificate is checked in one process" in capsys.readouterr().err


def dying(task):
    """A worker that dies, as one killed for memory would."""
    os._exit(9)


def test_a_worker_that_dies_ends_the_check_with_no_verdict_and_no_hang(valid, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(parallel, "checked_subtree", dying)
    path = tmp_path / "c.jsonl"
    path.write_bytes(flat_file(copy.deepcopy(valid["relu"])).data)
    assert polyreg_check.main(["--jobs", "2", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "internal error: BrokenProcessPool" in err


def subtree_sizes(values):
    """The number of lines of each node's subtree, in the order of the lines, and the lines that are roots, from the
    parsed nodes."""
    sizes, roots, k = [], set(), 0

    def size():
        nonlocal k
        here, k = len(sizes), k + 1
        sizes.append(1)
        for child in values[here].get("split", ()):
            if child == "subtree":
                sizes[here] += size()
        return sizes[here]
    while k < len(values):
        roots.add(k)
        size()
    return sizes, roots


def test_each_line_is_read_ahead_once_and_this_process_walks_only_the_nodes_above_the_subtrees_it_sends(
        monkeypatch):
    """A one-layer net in one dimension, decided in index order (a chain of long subtrees), and a deeper one in two:
    the reading process walks the trees' roots and the nodes whose subtrees are longer than ``READ_AHEAD``, and
    nothing else, and never holds more than ``READ_AHEAD`` lines ahead."""
    scanned, walked, held = [], [], []
    shape, raw, read = parallel.shape, parallel.Ahead.raw, parallel.Ahead.read
    monkeypatch.setattr(parallel, "shape", lambda line: scanned.append(line) or shape(line))
    monkeypatch.setattr(parallel.Ahead, "raw", lambda self: walked.append(1) or raw(self))
    monkeypatch.setattr(parallel.Ahead, "read", lambda self: held.append(len(self.ahead)) or read(self))
    monkeypatch.setattr(parallel, "READ_AHEAD", 40)
    for d, net in ((1, random_relu(1, [WIDE - 4], seed=5)), (2, random_relu(2, [12, 12], seed=3))):
        cpwl = lower(net, box(d, -1, 1))
        cert = certificate(cpwl, Counts.of(cpwl))
        header, *lines = flat_lines(copy.deepcopy(cert))
        sizes, roots = subtree_sizes([json.loads(line) for line in lines])
        for seen in (scanned, walked, held):
            seen.clear()
        text = "".join(line + "\n" for line in [header, *lines])
        assert checked(Flat(text.encode()), 2) == check(copy.deepcopy(cert))
        assert len(lines) > 5 * 40 and scanned == [line.encode() + b"\n" for line in lines]
        assert len(walked) - 1 == len(roots) + sum(size > 40 for k, size in enumerate(sizes) if k not in roots)
        assert max(held) == 40 - 1       # lines held before reading one more


def test_the_hint_after_writing_names_the_bound_a_large_certificate_needs(tmp_path, monkeypatch, capsys):
    """When a certificate's text is larger than the checker reads by default, the line that says how to check it
    gives ``--max-bytes`` its decompressed size (read back with gzip): the checker verifies it with that bound and
    refuses it with one byte less. Below the default, the hint has no bound."""
    from polyreg.cli import output
    cpwl = lower(random_relu(2, [6], seed=1), box(2, -1, 1))
    path = tmp_path / "c.jsonl.gz"
    output.save_certificate(certificate(cpwl, Counts.of(cpwl)), str(path))
    assert f"check it with: polyreg check {path})" in capsys.readouterr().err
    size = len(gzip.decompress(path.read_bytes()))
    monkeypatch.setattr(output, "MAX_BYTES", size - 1)
    output.save_certificate(certificate(cpwl, Counts.of(cpwl)), str(path))
    assert f"{size} bytes of JSON text; check it with: polyreg check --max-bytes {size} {path})" \
        in capsys.readouterr().err
    assert polyreg_check.main(["--max-bytes", str(size), str(path)]) == 0
    assert polyreg_check.main(["--max-bytes", str(size - 1), str(path)]) == 2
    assert "raise it with --max-bytes" in capsys.readouterr().out


def test_a_report_checks_its_own_certificate_past_the_input_bound(tmp_path, capsys):
    """``--max-bytes`` bounds the files read in; the certificate a run writes is checked for its report whatever its
    size: with a bound between the network file's size and the certificate text's, the report says VERIFIED."""
    net = tmp_path / "net.json"
    save_network(random_relu(2, [6], seed=1), net)
    cert, report = tmp_path / "c.jsonl.gz", tmp_path / "report"
    bound = net.stat().st_size + 1
    assert main(["count", str(net), "--box", "-1", "1", "--max-bytes", str(bound), "--certificate", str(cert),
                 "--report", str(report)]) == 0
    assert len(gzip.decompress(cert.read_bytes())) > bound
    assert "report: " in capsys.readouterr().err
    assert json.loads((report / "report.json").read_text())["verified"] is True
