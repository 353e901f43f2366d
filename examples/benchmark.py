"""Benchmark: enumerate a fixed suite of networks and report cells, time, cells/s and peak memory.

Run with ``make bench`` (or ``python examples/benchmark.py [--quick] [NAME ...]``). Each case runs
in a fresh process, so its peak resident memory is its own. ``count`` cases include all three
region definitions (the linear-region merge is part of the time); ``certify`` cases compile a
network into a transformer and certify the pair (cells of the common refinement; the time
includes compiling). Three cases come from proofs/: a 2-D zigzag transformer whose maps repeat (its
linear regions need separations), and two pairs certified part by part (``--split-outputs``): q-sparse
averaging over 15^6 pointer-set assignments and nearest-position retrieval at tau = 6. Every case then
writes its certificate and times the standalone checker on it (``check s``; peak memory includes the
certificate).

A second table (``--models``) times users' models: the conversion of a 1.33M-parameter ONNX MLP to polyreg JSON,
and PyTorch models (an MLP and a small convolutional net on images) imported with ``polyreg.from_torch`` and
counted on the plane through three inputs (the network composed with ``(s, t) -> a + s (b - a) + t (c - a)``), and
the MLP's first 10 cells in a box around an input, in all 784 dimensions.

A third (``--scale``) shows how time and memory grow with the number of cells (about 10^3 to 10^6), and how a
one-input layer of 20,000 units fares: a generic ReLU net counted with a format 2 certificate, its cells streamed as
``count`` does, in one process, in two, and on a local Dask cluster of two worker processes, then checked in as many
processes (``check --jobs 1`` or ``2``); ``main MiB`` is the peak of the process that assembles the result,
``largest worker MiB`` the largest peak among its worker processes, ``check MiB`` the largest peak of one checking
process.
"""
from __future__ import annotations

import importlib
import json
import random
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

from polyreg import box, lower, region_counts
from polyreg.analysis.cases import certify_mixed
from polyreg.analysis.equivalence import certify
from polyreg.certificates.claims import Counts, Equivalent
from polyreg.certificates.write import certificate, mixed_certificate, write_certificate
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.geometry.domains import MixedDomain
from polyreg.network.families import random_maxout, random_relu, sawtooth
from polyreg_check import check

PROOFS = Path(__file__).resolve().parent.parent / "proofs"


def proof_module(folder: str, name: str):
    """A claim folder's construction module (proofs/<folder>/<name>.py)."""
    sys.path.insert(0, str(PROOFS / folder))
    return importlib.import_module(name)


def zigzag_2d():
    zigzag = proof_module("04-region-growth", "zigzag")
    return compile_transformer(zigzag.zigzag_network(1, 2, 4, 2), box(2, 0, 1))


def split_pair(name: str) -> tuple:
    """The two networks and the mixed domain of a part-by-part case."""
    if name.startswith("certify split qsa"):
        sa = proof_module("06-sparse-averaging", "sparse_averaging")
        return sa.qsa_moment(6, 2), sa.qsa_reference(6, 2), sa.mixed_domain(6, 2)
    mr = proof_module("08-memory-retrieval", "memory_retrieval")
    return mr.rank_two_retrieval(6), mr.one_hot_retrieval(6), MixedDomain(6, (), tuple(range(6)), box(6, 0, 1))


def suite() -> dict[str, tuple]:
    cases = {}
    for d in (2, 3, 4):
        for hidden in ([8], [16], [32], [8, 8], [16, 16], [32, 32]):
            name = f"relu {d}->" + "->".join(map(str, hidden))
            cases[name] = (lambda d=d, hidden=hidden: random_relu(d, hidden, seed=0), d, -1, 1)
    cases["maxout 2->8->8 rank 3"] = (lambda: random_maxout(2, [8, 8], 3, seed=0), 2, -1, 1)
    cases["maxout 3->6->6 rank 4"] = (lambda: random_maxout(3, [6, 6], 4, seed=0), 3, -1, 1)
    cases["sawtooth depth 10"] = (lambda: sawtooth(10), 1, 0, 1)
    cases["certify maxout 2->4->4 rank 3"] = (lambda: random_maxout(2, [4, 4], 3, seed=0), 2, -1, 1)
    cases["certify maxout 3->4->4 rank 3"] = (lambda: random_maxout(3, [4, 4], 3, seed=0), 3, -1, 1)
    cases["certify relu 2->16->16->1"] = (lambda: random_relu(2, [16, 16], seed=0), 2, -1, 1)
    cases["certify relu 2->32->32->1"] = (lambda: random_relu(2, [32, 32], seed=0), 2, -1, 1)
    cases["count zigzag transformer 2-D L=4"] = (zigzag_2d, 2, 0, 1)
    cases["certify split qsa N=6 (B1b)"] = (None, 0, 0, 0)
    cases["certify split retrieval tau=6 (A3)"] = (None, 0, 0, 0)
    return cases


def run_case(name: str) -> dict:
    build, d, lo, hi = suite()[name]
    started = time.perf_counter()
    if name.startswith("certify split"):
        a, b, mixed = split_pair(name)
        started = time.perf_counter()
        verdict = certify_mixed(a, b, mixed, split_outputs=True)
        assert verdict.equivalent
        cells, linear = verdict.cells, "-"
        seconds = time.perf_counter() - started
        cert = mixed_certificate(verdict, a, b, mixed)
    elif name.startswith("certify"):
        net, domain = build(), box(d, lo, hi)
        verdict = certify(net, compile_transformer(net, domain), domain)
        assert verdict.word == "EQUIVALENT"
        cells, linear = len(verdict.refinement.cells), "-"
        seconds = time.perf_counter() - started
        cert = certificate(verdict.refinement, Equivalent.of(verdict.refinement))
    else:
        net, domain = build(), box(d, lo, hi)
        started = time.perf_counter()
        cpwl = lower(net, domain)
        counts = region_counts(cpwl)
        cells, linear = counts.cells, counts.linear_regions
        seconds = time.perf_counter() - started
        cert = certificate(cpwl, Counts.of(cpwl, counts))
    per_cell = round(write_certificate(cert, "/tmp/polyreg-bench-cert.json.gz").file_size / cells)
    started = time.perf_counter()
    check(cert)
    check_s = round(time.perf_counter() - started, 2)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"name": name, "cells": cells, "linear_regions": linear, "check_s": check_s, "bytes_per_cell": per_cell,
            "seconds": round(seconds, 2), "cells_per_s": round(cells / seconds),
            "peak_mib": round(peak_mib)}


def onnx_mlp(path: str, sizes: list[int]) -> int:
    """Write a seeded ONNX MLP of Gemm and Relu nodes (float32 weights) to ``path``; its number of parameters."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng, nodes, weights, current = np.random.default_rng(0), [], [], "x"
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        weights += [numpy_helper.from_array(rng.normal(size=(b, a)).astype(np.float32), f"W{i}"),
                    numpy_helper.from_array(rng.normal(size=b).astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Gemm", [current, f"W{i}", f"b{i}"], [f"g{i}"], transB=1))
        current = f"g{i}"
        if i < len(sizes) - 2:
            nodes.append(helper.make_node("Relu", [current], [f"r{i}"]))
            current = f"r{i}"
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", sizes[0]])],
                              [helper.make_tensor_value_info(current, TensorProto.FLOAT, ["N", sizes[-1]])], weights)
    onnx.save(helper.make_model(graph), path)
    return sum(int(np.prod(w.dims)) for w in weights)


def on_plane(net, seed: int):
    """``net`` on the plane through three seeded inputs with entries k/255 (as images are): a 2-input network."""

    from polyreg.network.ir import Dense, Mlp
    rng = random.Random(seed)
    a, b, c = ([Fraction(rng.randint(0, 255), 255) for _ in range(net.input_dim)] for _ in range(3))
    return Mlp(2, (Dense(tuple((q - p, r - p) for p, q, r in zip(a, b, c)), a),) + net.layers)


def first_cells_around(net, wanted: int) -> int:
    """Refine ``net`` on the box of radius 1/100 around a seeded input (entries k/255, clipped to [0, 1]) until
    ``wanted`` cells are found; their number."""
    from polyreg import around
    from polyreg.core.enumerate import refine

    class Enough(Exception):
        pass
    found = []

    def watch(cell) -> None:
        found.append(cell)
        if len(found) >= wanted:
            raise Enough
    rng = random.Random(2)
    x = [Fraction(rng.randint(0, 255), 255) for _ in range(net.input_dim)]
    try:
        refine((net,), around(x, Fraction(1, 100), clip=(0, 1)), watch=watch)
    except Enough:
        pass
    return len(found)


def torch_model(name: str):
    import torch
    from torch import nn
    torch.manual_seed(0)
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)), (784,)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(100, 10)), (1, 12, 12)


def run_model_case(name: str) -> dict:
    import polyreg
    from polyreg.formats.json_files import save_network
    started = time.perf_counter()
    if name.startswith("convert"):
        parameters = onnx_mlp("/tmp/polyreg-bench.onnx", [784, 1024, 512, 10])
        started = time.perf_counter()
        save_network(polyreg.from_onnx("/tmp/polyreg-bench.onnx"), "/tmp/polyreg-bench.json")
        seconds, cells, count_s = time.perf_counter() - started, "-", "-"
        name += f" ({parameters:,} parameters)"
    else:
        module, shape = torch_model("mlp" if "MLP" in name else "conv")
        started = time.perf_counter()
        net = polyreg.from_torch(module.eval(), shape)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        if "around" in name:
            cells = first_cells_around(net, 10)
        else:
            cells = len(lower(on_plane(net, seed=1), box(2, 0, 1) if "MLP" in name else box(2, 0, "1/4")).cells)
        count_s = round(time.perf_counter() - started, 2)
    return {"name": name, "import_s": round(seconds, 2), "cells": cells, "count_s": count_s,
            "cells_per_s": round(cells / count_s) if count_s != "-" else "-",
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


MODEL_CASES = ["convert ONNX MLP 784->1024->512->10 to JSON",
               "torch MLP 784->64->64->10, plane through 3 inputs, [0, 1]^2",
               "same MLP, box of radius 1/100 around an input (784 inputs), first 10 cells",
               "torch conv 1x12x12 (Conv 4@3x3, ReLU, MaxPool 2, Linear 10), plane, [0, 1/4]^2"]


# ReLU nets, seed 0: (inputs, hidden widths, weights' denominator); the wide one-input layer is split at medians
SCALE_NETS = {"3->16->16": (3, [16, 16], 64), "4->20->20": (4, [20, 20], 64), "4->32->32": (4, [32, 32], 64),
              "4->54->54": (4, [54, 54], 64), "1->20000": (1, [20000], 10**6)}
SCALE_WHERE = {"1 job": 1, "2 jobs": 2, "Dask, 2 workers": "dask"}


def scale_cases() -> list[str]:
    return [f"{net} | {where}" for net in SCALE_NETS for where in SCALE_WHERE]


def run_scale_case(name: str) -> dict:
    """``count --certificate`` (format 2, the cells streamed as the command line does) of a generic ReLU net on
    [-1, 1]^d in 1 or 2 processes or on a local Dask cluster, then the checker in a process of its own (and as many
    workers): seconds and peak memory of each."""
    from polyreg import Dask, box
    from polyreg.analysis.streamed import streamed_counts
    from polyreg.certificates.trees import rendered
    net_name, where = name.split(" | ")
    inputs, widths, denominator = SCALE_NETS[net_name]
    net = random_relu(inputs, widths, seed=0, denominator=denominator)
    path = f"/tmp/polyreg-scale-{inputs}-{widths[0]}.jsonl.gz"
    cluster = None
    jobs = SCALE_WHERE[where]
    if jobs == "dask":
        from distributed import LocalCluster
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        jobs = Dask(cluster.scheduler_address)
    started = time.perf_counter()
    with streamed_counts(net, box(inputs, -1, 1), jobs=jobs, render=rendered) as streamed:
        write_certificate(certificate(streamed.skeleton, Counts.counted(streamed.counts), lazy=True), path)
    cells, seconds = streamed.counts.cells, time.perf_counter() - started
    if cluster is not None:
        cluster.close()
    workers = megabytes(resource.RUSAGE_CHILDREN) if where != "1 job" else "-"     # before the checker runs
    checked = json.loads(subprocess.run([sys.executable, "-c", CHECK_CASE, path, str(2 if jobs != 1 else 1)],
                                        capture_output=True, text=True, check=True).stdout)
    return {"net": net_name, "where": where, "cells": cells, "seconds": round(seconds, 1),
            "cells_per_s": round(cells / seconds), "main_mib": megabytes(resource.RUSAGE_SELF),
            "workers_mib": workers, "check_s": checked["seconds"], "check_mib": checked["mib"]}


# The standalone checker on a certificate file in N processes, in a process that imports nothing else: seconds and
# the peak memory of one process (VmHWM, the peak of this program, and the workers' largest; ru_maxrss of this
# program would also count the parent's memory before the exec).
CHECK_CASE = """
import json, re, resource, sys, time
from pathlib import Path
from polyreg_check import check, open_certificate
started = time.perf_counter()
cert, nodes = open_certificate(sys.argv[1], 1 << 34)
check(cert, nodes=nodes, jobs=int(sys.argv[2]))
peak = int(re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text())[1])
peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "mib": round(peak / 1024)}))
"""


def megabytes(who: int) -> int:
    return round(resource.getrusage(who).ru_maxrss / 1024)


SCALE_COLUMNS = {"net": "net", "where": "where", "cells": "cells", "count + certificate s": "seconds",
                 "cells/s": "cells_per_s", "main MiB": "main_mib", "largest worker MiB": "workers_mib",
                 "check s": "check_s", "check MiB": "check_mib"}
SUITE_COLUMNS = {"network": "name", "cells": "cells", "linear regions": "linear_regions", "seconds": "seconds",
                 "cells/s": "cells_per_s", "peak MiB": "peak_mib", "check s": "check_s",
                 "certificate bytes/cell (gzip)": "bytes_per_cell"}
MODEL_COLUMNS = {"model": "name", "import s": "import_s", "cells": "cells", "count s": "count_s",
                 "cells/s": "cells_per_s", "peak MiB": "peak_mib"}


def table(flag: str, names: list[str], columns: dict[str, str]) -> None:
    """A Markdown table with a row per case, each case run in a fresh process (``flag NAME``)."""
    print("| " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * (len(columns) - 1))
    for name in names:
        out = subprocess.run([sys.executable, __file__, flag, name], capture_output=True, text=True)
        if out.returncode:
            print(f"| {name} | failed: {out.stderr.strip().splitlines()[-1]} " + "|" * len(columns), flush=True)
            continue
        r = json.loads(out.stdout)
        print("| " + " | ".join(str(r[key]) for key in columns.values()) + " |", flush=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--case"]:
        print(json.dumps(run_case(argv[1])))
        return
    if argv[:1] == ["--model-case"]:
        print(json.dumps(run_model_case(argv[1])))
        return
    if argv[:1] == ["--models"]:
        table("--model-case", MODEL_CASES, MODEL_COLUMNS)
        return
    if argv[:1] == ["--scale-case"]:
        print(json.dumps(run_scale_case(argv[1])))
        return
    if argv[:1] == ["--scale"]:
        table("--scale-case", scale_cases(), SCALE_COLUMNS)
        return
    names = [a for a in argv if not a.startswith("--")] or list(suite())
    if "--quick" in argv:
        names = [n for n in names if "32->32" not in n and "4->16->16" not in n and "3->4->4" not in n]
    table("--case", names, SUITE_COLUMNS)
    print()
    table("--model-case", MODEL_CASES, MODEL_COLUMNS)
    if "--quick" not in argv:
        print()
        table("--scale-case", scale_cases(), SCALE_COLUMNS)


if __name__ == "__main__":
    main(sys.argv[1:])
