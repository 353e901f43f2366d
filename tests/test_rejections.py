"""Every rejection of the certificate checker is exercised: each rejection site of polyreg_check is triggered by a
case.

``CASES`` is a table of (regular expression, builder): the builder copies a valid certificate and changes one
thing, and ``check`` must raise ``Reject`` (``Malformed`` is one) with a message the expression matches (``KeyError``
or ``TypeError`` would be a fault of the checker, and fail the case).

The structural test works by site, not by wording. It parses every module of polyreg_check with ``ast`` and
collects every ``require(condition, message)`` and ``wellformed(condition, message)`` call and every
``Reject(message)`` and ``Malformed(message)`` construction (outside those two helpers); a message is a string or an
f-string, whose formatted parts become ``.*`` in the site's template regex. Each case's refusal is attributed to the
site whose lines contain the raising line of the checker (the innermost traceback frame in polyreg_check outside the
helpers), and its message must fully match that site's template (after the path of a malformed tree node, which the
schema puts in front). Every site must be hit by some case or be listed, with its reason, in ``UNREACHABLE``. Sites
are keyed by (module.function, template, occurrence), so two checks with the same message (e.g. the two "bad stage
order" checks) each need their own case, and moving code does not invalidate the allow-list. A new ``require`` without
a case fails the suite; so does an allow-listed site that a case reaches, or that no longer exists. A last test keeps
the table's expressions specific: an expression may not match a message produced at a site of another template.
"""
import ast
import copy
import gzip
import json
import os
import re
import tempfile
from dataclasses import dataclass, replace
from fractions import Fraction as F
from pathlib import Path

import pytest
from mutations import preorder
from wide import certificate_lines, wide_net
from test_certify import duplicated_and_dominated, not_tie_safe_transformer
from test_mixed import selector_certificate
from test_parts import parts_certificate
from test_transformers import max_head_transformer, quadratic_transformer

import polyreg_check
from polyreg import box, lower
from polyreg.analysis.classifiers import top_1, within
from polyreg.analysis.equivalence import certify, distance
from polyreg.certificates.claims import Counts, Different, Equivalent, SameClass, answer_claim
from polyreg.certificates.flat import nested
from polyreg.certificates.write import canonical_hash, certificate, flat_lines, point_certificate
from polyreg.compiler.maxout_to_transformer import compile_transformer
from polyreg.core.enumerate import refine
from polyreg.formats.json_files import network_to_json
from polyreg.geometry.domains import plane
from polyreg.network.families import random_maxout, random_relu, sawtooth
from polyreg.network.ir import Dense, Mlp, Relu
from polyreg_check import Reject, check
from polyreg_check.load import MAX_BYTES
from polyreg_check.records import open_certificate
from polyreg_check.schema import FORMAT_2

CHECKER = Path(os.path.realpath(polyreg_check.__file__)).parent
HELPERS = {"require", "wellformed"}      # they raise for their caller: a site is a call of one of them
NODE = re.compile(r"^(?:(?:(?:parts\[\d+\]\.)?cases\[\d+\]\.)?tree(?:\.split\[\d+\])*|line \d+): ")  # a node's place

# Rejection sites that no JSON certificate can reach, keyed like ``rejection_sites()``:
# (module.function, message template, occurrence) -> why an earlier check always fires first.
UNREACHABLE = {}


def count_certificate(net, domain):
    cpwl = lower(net, domain)
    return certificate(cpwl, Counts.of(cpwl))


def equivalence_certificate(a, b, domain):
    verdict = certify(a, b, domain)
    return certificate(verdict.refinement, Equivalent.of(verdict.refinement))


def relu_of_the_first_coordinate():
    """``ReLU(x_0)`` on the plane through a second unit ``ReLU(x_1)`` that the readout ignores: its line
    splits the cells without changing the map, so adjacent cells share maps (adjacency witnesses)."""
    return Mlp(2, (Dense(((F(1), F(0)), (F(0), F(1))), (F(0), F(0))), Relu(), Dense(((F(1), F(0)),), (F(0),))))


def corner_net():
    """``relu(x) + relu(y) - relu(x + y)``: 0 on the quadrants x, y >= 0 and x, y <= 0, which meet only at the
    origin (two linear regions of one map: a tight separation)."""
    return Mlp(2, (Dense(((F(1), F(0)), (F(0), F(1)), (F(1), F(1))), (F(0),) * 3), Relu(),
                   Dense(((F(1), F(1), F(-1)),), (F(0),))))


def tent_net():
    """The tent ``relu(x) - 2 relu(x - 1/3) + relu(x - 2/3)``: 0 on two disjoint strips (an empty separation)."""
    return Mlp(2, (Dense(((F(1), F(0)), (F(1), F(0)), (F(1), F(0))), (F(0), F(-1, 3), F(-2, 3))), Relu(),
                   Dense(((F(1), F(-2), F(1)),), (F(0),))))


def different_certificate(net, domain):
    """``net`` with its first readout bias raised by 1/10, against the transformer compiled from ``net``."""
    readout = net.layers[-1]
    bias = (readout.bias[0] + F(1, 10),) + readout.bias[1:]
    perturbed = replace(net, layers=net.layers[:-1] + (replace(readout, bias=bias),))
    verdict = certify(perturbed, compile_transformer(net, domain), domain)
    assert verdict.word == "DIFFERENT"
    return certificate(verdict.refinement, Different.of(verdict.refinement))


def last_layer_changed(net, change):
    """``net`` with row ``k`` of its last layer (weights, then bias) replaced by ``change(k, row)``."""
    W, b = net.layers[-1].weight, net.layers[-1].bias
    rows = [change(k, list(W[k]) + [b[k]]) for k in range(len(W))]
    return replace(net, layers=net.layers[:-1] + (Dense(tuple(tuple(r[:-1]) for r in rows),
                                                        tuple(r[-1] for r in rows)),))


def classifiers():
    """A 2-3-3 ReLU net, its double (the same classes), a copy with outputs 0 and 1 exchanged, and a copy whose
    output 0 is raised by 1/8 (a constant difference) and output 1 doubled."""
    a = random_relu(2, [3], seed=0, outputs=3)
    last = a.layers[-1]
    return (a, last_layer_changed(a, lambda k, r: [2 * v for v in r]),
            last_layer_changed(a, lambda k, r: list(last.weight[[1, 0, 2][k]]) + [last.bias[[1, 0, 2][k]]]),
            last_layer_changed(a, lambda k, r: r[:-1] + [r[-1] + F(1, 8)] if k == 0 else
                               [2 * v for v in r] if k == 1 else r))


def answer_certificate(answer):
    claim = answer_claim(answer)
    if answer.refinement is not None:
        return certificate(answer.refinement, claim)
    return point_certificate(answer.networks, answer.domain, claim)


def disjoint_classes_certificate():
    """A full refinement by both argmaxes of a net and its copy with two outputs exchanged, claimed SAME CLASS."""
    a, _, swapped, _ = classifiers()
    cpwl = refine((a, swapped), box(2, -1, 1), classes=True)
    return certificate(cpwl, SameClass(True, len(cpwl.cells)))


def step_claims(cert, **claim):
    """The step's equivalence certificate claiming ``claim`` (for ``same_class`` with each network's class stage
    in the order)."""
    if claim["kind"] == "same_class":
        cert["order"] += [[0, 1], [1, 1]]
    cert["claim"] = {"cells": cert["claim"]["cells"], "everywhere": True, **claim}


@pytest.fixture(scope="module")
def valid():
    """The valid starting certificates, by name; builders copy them before changing anything."""
    mlp, square = random_maxout(2, [2], 2, seed=1), box(2, -1, 1)
    step = not_tie_safe_transformer()
    return {
        "sawtooth": count_certificate(sawtooth(3), box(1, 0, 1)),
        "relu": count_certificate(random_relu(2, [3], seed=0), square),
        "maxout": count_certificate(random_maxout(2, [2], 3, seed=1), square),
        "dominated": count_certificate(duplicated_and_dominated(), square),
        "adjacent": count_certificate(relu_of_the_first_coordinate(), square),
        "corner": count_certificate(corner_net(), square),
        "strips": count_certificate(tent_net(), square),
        "head": count_certificate(max_head_transformer(0), box(1, -1, 1)),
        "wide": wide_certificate(wide_net(12)),    # splits that name their unit, written by tests/wide.py
        "equivalent": equivalence_certificate(mlp, compile_transformer(mlp, square), square),
        "step": equivalence_certificate(step, step, box(1, -1, 1)),
        "different": different_certificate(mlp, square),
        "mixed": selector_certificate(),      # one one-hot symbol of 3 values times [-1, 1]^2: 3 cases
        "parts": parts_certificate(3)[1],     # 3 tokens' pointer lookups, one part per output: 3 x 3 cases
        "slice": count_certificate(random_relu(3, [4], seed=2), plane([1, 0, 0], [0, 1, 0], [0, 0, 1])),
        **classifier_certificates(square),
    }


def wide_certificate(net):
    """The format 1 spelling of ``wide.certificate_lines(net)``."""
    lines = [json.loads(line) for line in certificate_lines(net)]
    return nested(lines[0], iter(lines[1:]).__next__)


def classifier_certificates(square):
    a, doubled, swapped, shifted = classifiers()
    gap = distance(a, shifted, square).value
    return {"same_class": answer_certificate(top_1(a, doubled, square)),
            "class_differs": answer_certificate(top_1(a, swapped, square)),
            "within": answer_certificate(within(a, shifted, square, gap)),
            "exceeds": answer_certificate(within(a, shifted, square, gap - F(1, 100)))}


@pytest.fixture(scope="module")
def outcomes():
    """Case index -> (message, raising (module, line) of the checker), filled as cases run."""
    return {}


# Builders: each returns a function from the valid certificates to a changed copy of one of them.

def changed(name, change):
    """Certificate ``name`` after ``change(cert)``."""
    def build(valid):
        cert = copy.deepcopy(valid[name])
        change(cert)
        return cert
    return build


def network_changed(name, p, change):
    """Certificate ``name`` with network ``p`` changed by ``change(network)`` and its SHA-256 recomputed."""
    def change_and_rehash(cert):
        entry = cert["networks"][p]
        change(entry["network"])
        entry["sha256"] = canonical_hash(entry["network"])
    return changed(name, change_and_rehash)


def node(cert, kind, k=0, where=lambda n: True):
    """The ``k``-th node of ``kind`` (split, prune, leaf) in preorder that satisfies ``where``."""
    return [n for n in preorder(cert["tree"], kind) if where(n)][k]


def thin(prune):
    return not prune["empty"]


def set_leaf_coordinate(value):
    return lambda cert: node(cert, "leaf")["leaf"].__setitem__(0, value)


def set_first_multiplier(change):
    def set_it(cert):
        pair = node(cert, "prune")["prune"][0]
        pair[1] = change(pair[1])
    return set_it


def leaf_of_another_cell(cert):
    node(cert, "leaf", 0)["leaf"] = list(node(cert, "leaf", 1)["leaf"])


def leaf_replaced_by_split(cert):
    leaf = node(cert, "leaf")
    leaf["split"] = [{"leaf": leaf.pop("leaf")}, None]


def candidate_given_to_a_dropped_piece(cert):
    split = node(cert, "split", where=lambda n: None in n["split"])
    split["split"][split["split"].index(None)] = {"prune": [], "empty": True}


def thin_prune_on_a_zero_row(cert):
    cert["domain"]["rows"].append([0, 0, 0])              # 0 >= 0: true everywhere, with a zero normal
    row = [-1, len(cert["domain"]["rows"]) - 1, -1]
    node(cert, "split")["split"][0] = {"prune": [[row, 1]], "empty": False}


def quadratic_network(cert):
    net = network_to_json(quadratic_transformer(), dense=True)
    cert["networks"][0] = {"network": net, "sha256": canonical_hash(net)}


def claim(**changes):
    return lambda cert: cert["claim"].update(changes)


def new_claim(**fields):
    """The claim replaced by ``fields`` and the old number of cells."""
    return lambda cert: cert.update(claim={"cells": cert["claim"]["cells"], **fields})


def more_cells(cert):
    cert["claim"]["cells"] += 1


def witness(i, j, *point):
    """Replace the adjacency by one witness: leaves ``i`` and ``j`` meet in a facet at ``point``."""
    return lambda cert: cert.update(adjacency=[[i, j, list(point)]])


def fewer_witnesses(cert):
    """Drop a witness and claim the groups that remain: the linear regions are then not pinned down."""
    cert["adjacency"].pop()
    cert["claim"]["linear_regions"] += 1


def add_column(matrix):
    for row in matrix:
        row.append(0)


def head(net):
    return net["blocks"][1]["attention"]["heads"][0]


COUNTS_WRONG = (r"^the claimed counts are wrong: \{'cells': \d+, 'activation_regions': \d+, 'affine_maps': \d+"
                r"(, 'linear_regions': \d+)?\}$")

@dataclass(frozen=True)
class Flat:
    """The bytes of a format 2 file, checked from a file with the byte limit ``max_bytes``."""
    data: bytes
    max_bytes: int = MAX_BYTES


def flat(name, change=lambda lines: None, gz=False, cut=None, max_bytes=MAX_BYTES):
    """Certificate ``name`` in format 2, its lines changed by ``change(lines)``, gzip-compressed with ``gz`` and then
    cut to its first ``cut`` bytes."""
    def build(valid):
        lines = list(flat_lines(copy.deepcopy(valid[name])))
        change(lines)
        data = "".join(line + "\n" for line in lines).encode()
        data = gzip.compress(data) if gz else data
        return Flat(data[:cut], max_bytes)
    return build


def checked(cert, jobs=1):
    """``check`` of a certificate: a dict, or a ``Flat`` file read line by line (its subtrees in ``jobs``
    processes)."""
    if not isinstance(cert, Flat):
        return check(cert)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.jsonl"
        path.write_bytes(cert.data)
        header, nodes = open_certificate(path, cert.max_bytes)
        try:
            return check(header, nodes=nodes, jobs=jobs)
        finally:
            nodes.close()


CASES = [
    # numbers and matrices
    (r"^tree(\.split\[\d+\])*: leaf: True is not a number$", changed("relu", set_leaf_coordinate(True))),
    (r"^tree(\.split\[\d+\])*: leaf: '0x1' is not a number$", changed("relu", set_leaf_coordinate("0x1"))),
    (r"^tree(\.split\[\d+\])*: leaf: '1/0' is not a number$", changed("relu", set_leaf_coordinate("1/0"))),
    (r"^tree(\.split\[\d+\])*: leaf: '2/4' is not spelled canonically$", changed("relu", set_leaf_coordinate("2/4"))),
    (r"^networks\[0\]\.network\.layers\[0\]\.weight: not a matrix$",
     network_changed("equivalent", 0, lambda n: n["layers"][0].update(weight=[]))),
    (r"^networks\[0\]\.network\.layers\[0\]\.weight: rows of different lengths$",
     network_changed("equivalent", 0, lambda n: n["layers"][0]["weight"][0].append(0))),
    # the schema's generic checks: a type, a missing field, a tree node, a prune term, a row name, an order entry
    (r"^claim: expected an object$", changed("relu", lambda c: c.update(claim=[]))),
    (r"^certificate: missing field 'claim'$", changed("relu", lambda c: c.pop("claim"))),
    (r"^tree\.split\[0\]: expected null, a split, a prune or a leaf$",
     changed("relu", lambda c: c["tree"]["split"].__setitem__(0, {"note": 1}))),
    (r"^tree(\.split\[\d+\])*: prune: a term is \[row, multiplier\] with an integer multiplier$",
     changed("relu", set_first_multiplier(lambda y: str(y)))),
    (r"^tree(\.split\[\d+\])*: prune: a row is named by three integers$",
     changed("relu", lambda c: node(c, "prune")["prune"][0].__setitem__(0, [9, 9]))),
    (r"^order: the stage order is a list of \[network, stage\] pairs$",
     changed("relu", lambda c: c["order"].__setitem__(0, [0]))),
    # networks in the polyreg.network/1 format
    (r"^networks\[0\]\.network\.layers\[0\]: linear layer shape$",
     network_changed("equivalent", 0, lambda n: add_column(n["layers"][0]["weight"]))),
    (r"^networks\[0\]\.network\.layers\[0\]\.bias: expected \d+ numbers, got \d+$",
     network_changed("equivalent", 0, lambda n: n["layers"][0]["bias"].append(0))),
    (r"^networks\[0\]\.network\.layers\[1\]: unknown layer type 'tanh'$",
     network_changed("equivalent", 0, lambda n: n["layers"][1].update(type="tanh"))),
    (r"^networks\[0\]\.network\.layers\[1\]: maxout rank$",
     network_changed("maxout", 0, lambda n: n["layers"][1].update(rank=4))),
    # networks in the polyreg.transformer/1 format
    (r"^networks\[0\]\.network\.embedding: embedding shape$",
     network_changed("head", 0, lambda n: n["embedding"]["positions"].pop())),
    (r"^networks\[1\]\.network\.embedding: embedding shape$",
     network_changed("equivalent", 1, lambda n: n.update(width=n["width"] + 1))),
    (r"^networks\[1\]\.network\.blocks\[1\]\.attention\.heads\[0\]: attention matrix shapes$",
     network_changed("equivalent", 1, lambda n: add_column(head(n)["key"]))),
    (r"^networks\[0\]\.network\.blocks\[0\]\.attention\.residual: expected true or false$",
     network_changed("head", 0, lambda n: n["blocks"][0]["attention"].update(residual="false"))),
    (r"^networks\[1\]\.network\.blocks\[1\]\.attention\.heads\[0\]: "
     r"score_bias and mask must be tokens x tokens, the mask of 0 and 1$",
     network_changed("equivalent", 1, lambda n: head(n).update(mask=[[1]]))),
    (r"^networks\[1\]\.network\.blocks\[0\]\.feed_forward: feed-forward shapes$",
     network_changed("equivalent", 1, lambda n: n["blocks"][0]["feed_forward"]["w2"].append([0] * n["width"]))),
    (r"^networks\[1\]\.network\.readout: readout shapes$",
     network_changed("equivalent", 1, lambda n: n["readout"]["weight"].pop())),
    (r"^block 0, head 0, query 0: score not affine$", changed("head", quadratic_network)),
    (r"^a query attends to no key$",
     network_changed("head", 0, lambda n: n["blocks"][0]["attention"]["heads"][0].update(mask=[[0, 0], [1, 1]]))),
    # the certificate's frame: format, fields, hashes, stage order, domain
    (r"^format: unknown certificate format$",
     changed("relu", lambda c: c.update(format="polyreg.certificates.write/2"))),
    (r"^certificate: unknown certificate fields \['comment'\]$", changed("relu", lambda c: c.update(comment="hello"))),
    (r"^a network's SHA-256 does not match$",
     changed("equivalent", lambda c: c["networks"][0]["network"]["layers"][-1]["bias"].__setitem__(0, "7/3"))),
    (r"^networks\[0\]\.network: input dimension differs from the domain's$",
     network_changed("relu", 0, lambda n: n.update(input_dim=3))),
    (r"^networks\[0\]\.network: unknown network format$",
     network_changed("relu", 0, lambda n: n.update(format="polyreg.network/2"))),
    # the fields of network objects: one table (polyreg_check/fields.py) for the checker and the producer's reader
    (r"^networks\[0\]\.network\.blocks\[0\]: expected an object$",
     network_changed("head", 0, lambda n: n["blocks"].__setitem__(0, []))),
    (r"^networks\[0\]\.network\.layers\[0\]: missing field 'bias'$",
     network_changed("relu", 0, lambda n: n["layers"][0].pop("bias"))),
    (r"^networks\[0\]\.network: unknown field 'comment' \(a polyreg\.network/1 has format, input_dim, layers\)$",
     network_changed("relu", 0, lambda n: n.update(comment="hello"))),
    (r"^networks\[1\]\.network\.readout: give exactly one of 'weight' and 'weights'$",
     network_changed("equivalent", 1, lambda n: n["readout"].update(weights=[n["readout"]["weight"]]))),
    (r"^networks\[0\]\.network\.input_dim: got True; expected a positive integer$",
     network_changed("sawtooth", 0, lambda n: n.update(input_dim=True))),
    (r"^networks\[1\]\.network\.readout\.token: got False; expected a token index with 'weight'$",
     network_changed("equivalent", 1, lambda n: n["readout"].update(token=False))),
    (r"^order: bad stage order$", changed("equivalent", lambda c: c.update(order=c["order"][1:] + c["order"][:1]))),
    (r"^order: bad stage order$", changed("equivalent", lambda c: c["order"].append([2, 0]))),
    (r"^domain: domain rows must be integer rows of length d \+ 1$",
     changed("relu", lambda c: c["domain"]["rows"][0].pop())),
    (r"^domain: domain rows must be integer rows of length d \+ 1$",
     changed("relu", lambda c: c["domain"]["rows"][0].__setitem__(0, "1"))),
    (r"^the domain's point is not strictly inside$", changed("relu", lambda c: c["domain"].update(point=["1", "0"]))),
    # the tree: splits, prunes, leaves
    (r"^stage 0, unit 0: expected a split with 2 children$",
     changed("relu", lambda c: c.update(tree=node(c, "leaf")))),
    (r"^stage 0, unit \d+: option \d+ is not a candidate$", changed("dominated", candidate_given_to_a_dropped_piece)),
    (r"^stage 0: a split names unit 0, which is decided already or does not exist$",
     changed("wide", lambda c: node(c, "split", 1).update(unit=0))),
    (r"^stage 0: a split names unit 12, which is decided already or does not exist$",
     changed("wide", lambda c: node(c, "split", 3).update(unit=12))),
    (r"^tree(\.split\[\d+\])*: a split's unit is an integer >= 0$",
     changed("wide", lambda c: node(c, "split", 2).update(unit=-1))),
    (r"^line 3: a split's unit is an integer >= 0$",
     flat("wide", lambda lines: lines.__setitem__(2, re.sub(r'"unit":\d+', '"unit":true', lines[2])))),
    (r"^tree(\.split\[\d+\])*: malformed prune$", changed("relu", lambda c: node(c, "prune").update(why="empty"))),
    (r"^a prune names no rows$", changed("relu", lambda c: node(c, "prune").update(prune=[], empty=False))),
    (r"^multipliers must be positive integers$", changed("relu", set_first_multiplier(lambda y: 0))),
    (r"^prune uses row \[9, 9, 9\], which is not on the path$",
     changed("relu", lambda c: node(c, "prune")["prune"][0].__setitem__(0, [9, 9, 9]))),
    (r"^a thin prune uses a row with zero normal$", changed("relu", thin_prune_on_a_zero_row)),
    (r"^prune multipliers do not cancel the normals$", changed("relu", set_first_multiplier(lambda y: y + 1))),
    (r"^prune constant has the wrong sign$", changed("sawtooth", lambda c: node(c, "prune", where=thin).update(
        empty=True))),
    (r"^prune constant has the wrong sign$", changed("relu", lambda c: node(c, "prune").update(empty=False))),
    (r"^expected a leaf$", changed("relu", leaf_replaced_by_split)),
    (r"^tree(\.split\[\d+\])*: leaf: expected 2 numbers, got 1$",
     changed("relu", lambda c: node(c, "leaf")["leaf"].pop())),
    (r"^line \d+: leaf: expected 2 numbers, got 3$",
     flat("relu", lambda lines: lines.__setitem__(-1, re.sub(r'"leaf":\[', '"leaf":["0",', lines[-1])))),
    (r"^a leaf point is not strictly inside$", changed("relu", leaf_of_another_cell)),
    # the claim
    (r"^no cell where the maps differ$", changed("equivalent", new_claim(kind="different", differing=0))),
    (r"^the claimed cells are wrong: \d+ of \d+ differ$", changed("different", more_cells)),
    (r"^the maps differ on \d+ cells$", changed("different", new_claim(kind="equivalent", everywhere=True))),
    (r"^equality everywhere is claimed, but a head is not tie-safe$", changed("step", claim(everywhere=True))),
    (r"^claim\.everywhere: expected true or false$", changed("equivalent", claim(everywhere="yes"))),
    (r"^the claimed number of cells is wrong$", changed("equivalent", more_cells)),
    (r"^claim: unknown claim$", changed("relu", claim(kind="volume"))),
    (r"^claim: unknown claim$", changed("equivalent", claim(kind="counts"))),
    (r"^claim: unknown claim$", changed("relu", claim(volume=1))),
    (r"^claim: claimed numbers must be integers$", changed("relu", claim(cells=True))),
    (r"^counts are certified for one network$", changed("equivalent", lambda c: c.update(
        claim={"kind": "counts", "cells": 1, "activation_regions": 1, "affine_maps": 1}))),
    (COUNTS_WRONG, changed("relu", more_cells)),
    # linear regions: adjacency witnesses (leaves 0, 1 are x_0 < 0, leaves 2, 3 are x_0 > 0; x_1 < 0 first)
    (r"^adjacency: adjacency must be a list of \[cell, cell, point\]$",
     changed("adjacent", lambda c: c["adjacency"][0].pop())),
    (r"^claim: adjacency or separations are given but not used$",
     changed("adjacent", lambda c: c["claim"].pop("linear_regions"))),
    (r"^cells \(\d+, \d+\) have one map in different groups but no separation$", changed("adjacent", fewer_witnesses)),
    # separations: two cells with one map share no facet
    (r"^separations: separations must be a list of \[cell, cell, proof\]$",
     changed("corner", lambda c: c.update(separations={}))),
    (r"^a separation names no pair of cells$", changed("corner", lambda c: c["separations"][0].__setitem__(1, 0))),
    (r'^separations\[0\]\[2\]: a separation is \{"empty": terms\} or \{"tight": \[terms, \.\.\.\]\}$',
     changed("corner", lambda c: c["separations"][0].__setitem__(2, {"empty": [], "tight": []}))),
    (r"^an empty separation does not sum to a negative constant$",
     changed("strips", lambda c: c["separations"][0][2]["empty"].pop())),
    (r"^a tight separation has no combination$", changed("corner", lambda c: c["separations"][0][2].update(tight=[]))),
    (r"^a tight separation does not sum to zero$",
     changed("corner", lambda c: c["separations"][0][2]["tight"][0][0].__setitem__(2, 2))),
    (r"^the rows of a tight separation do not span two dimensions$",
     changed("corner", lambda c: c["separations"][0][2]["tight"].pop())),
    (r"^a separation combination is empty$",
     changed("corner", lambda c: c["separations"][0][2]["tight"].__setitem__(0, []))),
    (r"^separation multipliers must be positive integers$",
     changed("corner", lambda c: c["separations"][0][2]["tight"][0][0].__setitem__(2, 0))),
    (r"^a separation uses row \[9, 9, 9\], which its cell does not have$",
     changed("corner", lambda c: c["separations"][0][2]["tight"][0][0].__setitem__(1, [9, 9, 9]))),
    (r"^separations\[0\]\[2\]: a term is \[cell 0 or 1, row, multiplier\] with integer cell and multiplier$",
     changed("corner", lambda c: c["separations"][0][2]["tight"][0][0].__setitem__(0, "0"))),
    (r"^adjacency names no pair of cells$", changed("adjacent", witness(0, 4, "-1/2", "0"))),
    (r"^adjacency names no pair of cells$", changed("adjacent", witness(1, 1, "-1/2", "0"))),
    (r"^adjacency joins cells with different maps$", changed("adjacent", witness(1, 3, "0", "1/2"))),
    (r"^adjacency\[0\]\[2\]: expected 2 numbers, got 1$", changed("adjacent", witness(0, 1, "-1/2"))),
    (r"^an adjacency point is outside its cells$", changed("adjacent", witness(0, 1, "-1/2", "1/2"))),
    (r"^an adjacency point is not inside one common facet$", changed("adjacent", witness(0, 1, "0", "0"))),
    # mixed domains: discrete groups, free coordinates, one case per assignment
    (r"^certificate: unknown certificate fields \['tree'\]$", changed("mixed", lambda c: c.update(tree={"leaf": []}))),
    (r"^claim: counts claims are not certified over discrete cases$", changed("mixed", lambda c: c.update(
        claim={"kind": "counts", "cells": 8, "activation_regions": 1, "affine_maps": 1}))),
    (r"^discrete: discrete groups need coordinates and at least one value vector of their length$",
     changed("mixed", lambda c: c["discrete"][0].update(values=[]))),
    (r"^free: the discrete and free coordinates must partition the inputs$",
     changed("mixed", lambda c: c.update(free=[3, 3]))),
    (r"^cases: expected one case per assignment of the discrete values \(3\)$",
     changed("mixed", lambda c: c["cases"].pop())),
    (r"^every case must have the domain rows of the first$",
     changed("mixed", lambda c: c["cases"][1]["domain"]["rows"].append([1, 0, 0]))),
    # parts: outputs certified separately over the groups they can depend on
    (r"^parts: parts compare two networks with the same outputs$", changed("parts", lambda c: c["networks"].pop())),
    (r"^parts: each part needs outputs, groups and cases$", changed("parts", lambda c: c["parts"][0].pop("groups"))),
    (r"^parts: the parts' outputs must partition the outputs$",
     changed("parts", lambda c: c["parts"][0].update(outputs=[1]))),
    (r"^parts\[0\]: a part's groups must be increasing group indices$",
     changed("parts", lambda c: c["parts"][0].update(groups=[5]))),
    (r"^outputs \[0\] can depend on discrete groups \[0\], which their part does not vary$",
     changed("parts", lambda c: c["parts"][0].update(groups=[], cases=c["parts"][0]["cases"][:1]))),
    # a claimed score margin
    (r"^the claimed margin is wrong: the least score gap is 1$",
     changed("parts", lambda c: c["claim"].update(margin="2"))),
    (r"^a margin is claimed, but the scores of block 0, head 0, query token 0 depend on the input$",
     changed("step", lambda c: c["claim"].update(margin="1"))),
    (r"^a margin is claimed, but no hard-max unit has a lower score$",
     changed("mixed", lambda c: c["claim"].update(margin="1"))),
    (r"^parts\[0\]: a part needs one case per assignment of its groups \(3\)$",
     changed("parts", lambda c: c["parts"][0]["cases"].pop())),
    # slices
    (r"^slice: a mixed domain cannot be sliced$",
     changed("mixed", lambda c: c.update(slice={"origin": ["0"] * 5, "directions": [["1"] * 5, ["0"] * 5]}))),
    (r"^slice\.origin: expected at least one number$",
     changed("slice", lambda c: c["slice"].update(origin=[], directions=[[], []]))),
    (r"^slice\.directions: expected 2 directions \(one per domain coordinate\), got 1$",
     changed("slice", lambda c: c["slice"]["directions"].pop())),
    # classifier questions: the class stage (rule 12), bounds (rule 12), claims at a point (rule 13)
    (r"^claim: same_class compares two networks with the same outputs$",
     changed("same_class", lambda c: c["networks"].pop())),
    (r"^the top classes are disjoint on [1-9][0-9]* cells$", lambda valid: disjoint_classes_certificate()),
    (r"^the claim is made everywhere, but a head is not tie-safe$",
     changed("step", lambda c: step_claims(c, kind="same_class"))),
    (r"^the claim is made everywhere, but a head is not tie-safe$",
     changed("step", lambda c: step_claims(c, kind="within", epsilon="0"))),
    (r"^the claimed number of cells is wrong$", changed("same_class", more_cells)),
    (r"^the claimed number of cells is wrong$", changed("within", more_cells)),
    (r"^claim\.epsilon: must be >= 0$", changed("within", claim(epsilon="-1"))),
    (r"^bounds: a bound is \[leaf, output, sign 1 or -1, \[\[row, multiplier\], \.\.\.\]\]$",
     changed("within", lambda c: c["bounds"][0].__setitem__(2, True))),
    (r"^bounds\[0\]: a term is \[row, multiplier\]$", changed("within", lambda c: c["bounds"][0][3].append([1]))),
    (r"^claim: bounds are given but not used$",
     changed("same_class", lambda c: c.update(bounds=[[0, 0, 1, []]]))),
    (r"^bound \[0, 1, 1\] is given twice$", changed("within", lambda c: c["bounds"].append(c["bounds"][0]))),
    (r"^bound \[0, 0, 1\] is not needed: the difference is constant$",
     changed("within", lambda c: c["bounds"].insert(0, [0, 0, 1, []]))),
    (r"^leaf 0, output 0: the difference exceeds epsilon$", changed("within", claim(epsilon="1/9"))),
    (r"^leaf 0, output 1: no bound for sign 1$", changed("within", lambda c: c["bounds"].pop(0))),
    (r"^bound \[0, 1, 1\] uses row \[9, 9, 9\], which its cell does not have$",
     changed("within", lambda c: c["bounds"][0][3][0].__setitem__(0, [9, 9, 9]))),
    (r"^bound multipliers must be positive$", changed("within", lambda c: c["bounds"][0][3][0].__setitem__(1, "-1"))),
    (r"^bound \[0, 1, 1\] does not show the difference at most epsilon$",
     changed("within", lambda c: c["bounds"][0][3][0].__setitem__(1, "7"))),
    (r"^bound \[99, 1, 1\] names no leaf and output that needs one$",
     changed("within", lambda c: c["bounds"].append([99, 1, 1, []]))),
    (r"^the claimed point is not in the domain$", changed("class_differs", claim(point=["2", "0"]))),
    (r"^the networks share a top class at the point: \[1\]$",
     network_changed("class_differs", 1, lambda n: n.update(layers=n["layers"][:-1] + [
         {"type": "linear", "weight": [[0, 0, 0]] * 3, "bias": [0] * 3}]))),
    (r"^\|A\(x\) - B\(x\)\|_inf is 1959/2048 at the point, not above epsilon$",
     changed("exceeds", claim(epsilon="1"))),
    # format 2: a file read line by line (``Flat``)
    (r"^format: a format 2 certificate is read from its file, line by line$",
     changed("relu", lambda c: (c.update(format=FORMAT_2), c.pop("tree")))),
    (r"^cases\[0\]: a format 2 certificate has its trees on the lines after the header$",
     changed("mixed", lambda c: c.update(format=FORMAT_2))),
    (r"^not a readable gzip file \(Compressed file ended", flat("relu", gz=True, cut=20)),
    (r"^not a readable gzip file \(Compressed file ended", flat("relu", gz=True, cut=-30)),
    (r"^the file holds more than 500 bytes of JSON", flat("relu", max_bytes=500)),
    (r"^the file holds more than 300 bytes of JSON", lambda valid: Flat(json.dumps(valid["relu"]).encode(), 300)),
    (r"^on line 2, not valid JSON", flat("relu", lambda lines: lines.__setitem__(1, '{"split": ['))),
    (r"^the file ends at line \d+, before its trees do$", flat("relu", lambda lines: lines.pop())),
    (r"^more lines follow the last tree \(line \d+\)$", flat("relu", lambda lines: lines.append(lines[-1]))),
    (r"^line 2: expected a split or a leaf$", flat("relu", lambda lines: lines.__setitem__(1, "[]"))),
    (r'^line 2: a split\'s child is null, a prune or "subtree"$',
     flat("relu", lambda lines: lines.__setitem__(1, '{"split": [{"leaf": ["0", "0"]}, "subtree"]}'))),
]


def case_id(i):
    return f"{i:02d}-" + re.sub(r"[^a-z0-9]+", "-", CASES[i][0].lower()).strip("-")[:60]


def raising_line(traceback):
    """The (module, line) of the checker that refused: the innermost frame in polyreg_check outside the helpers."""
    line = None
    while traceback is not None:
        code = traceback.tb_frame.f_code
        path = Path(os.path.realpath(code.co_filename))
        if path.parent == CHECKER and code.co_name not in HELPERS:
            line = (path.stem, traceback.tb_lineno)
        traceback = traceback.tb_next
    return line


def rejection(i, valid, outcomes):
    """Run case ``i`` once: ``check`` must raise ``Reject`` matching its expression. Its message and place."""
    if i not in outcomes:
        pattern, build = CASES[i]
        bad = build(valid)
        with pytest.raises(Reject, match=pattern) as excinfo:
            checked(bad)
        outcomes[i] = (str(excinfo.value), raising_line(excinfo.tb))
    return outcomes[i]


def template(message, line):
    """A message argument as a template: f-string parts become ``{}``."""
    if isinstance(message, ast.Constant) and isinstance(message.value, str):
        return message.value
    assert isinstance(message, ast.JoinedStr), f"{line}: a rejection message must be a string or f-string"
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in message.values)


def template_regex(text):
    return ".*".join(re.escape(part) for part in text.split("{}"))


class Sites(ast.NodeVisitor):
    """Collects ``require``/``wellformed(condition, message)`` calls and ``Reject``/``Malformed(message)``
    constructions with their enclosing scope."""

    def __init__(self, module):
        self.module, self.scope, self.found = module, [], []

    def scoped(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = scoped

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in HELPERS | {"Reject", "Malformed"} and not (len(self.scope) == 1 and self.scope[0] in HELPERS):
            args = node.args + [k.value for k in node.keywords if k.arg == "message"]
            assert len(args) == (2 if name in HELPERS else 1), f"{self.module}:{node.lineno}: unexpected {name} call"
            self.found.append((".".join(self.scope), template(args[-1], node.lineno), node.lineno, node.end_lineno))
        self.generic_visit(node)


def rejection_sites(modules=None):
    """(module.function, template, occurrence) -> (module, first line, last line) for every rejection site of the
    checker (of ``modules`` if given; the reader's sites, ``load``, have their own cases in test_reader.py)."""
    sites, seen = {}, {}
    for source in sorted(CHECKER.glob("*.py")):
        if (modules is None and source.stem == "load") or (modules is not None and source.stem not in modules):
            continue
        visitor = Sites(source.stem)
        visitor.visit(ast.parse(source.read_text(), str(source)))
        for function, text, first, last in visitor.found:
            name = f"{source.stem}.{function}"
            k = seen[name, text] = seen.get((name, text), -1) + 1
            sites[name, text, k] = (source.stem, first, last)
    return sites


def site_of(place, sites):
    found = [key for key, (module, first, last) in sites.items() if module == place[0] and first <= place[1] <= last]
    assert len(found) == 1, f"{place} is in {len(found)} rejection sites"
    return found[0]


def test_the_starting_certificates_verify(valid):
    kinds = {"equivalent": "the networks are equal everywhere", "step": "the networks are equal almost everywhere",
             "different": "the networks differ", "mixed": "the networks are equal everywhere",
             "parts": "the networks are equal everywhere", "same_class": "some class is top-scoring for both",
             "class_differs": "the top classes differ at", "within": "|A(x) - B(x)|_inf <= ",
             "exceeds": "|A(x) - B(x)|_inf = "}
    for name, cert in valid.items():
        assert check(copy.deepcopy(cert)).startswith(kinds.get(name, "cells ")), name


@pytest.mark.parametrize("i", range(len(CASES)), ids=case_id)
def test_a_bad_certificate_is_rejected_with_the_intended_message(i, valid, outcomes):
    rejection(i, valid, outcomes)


def test_every_rejection_site_is_reached_by_a_case_or_allow_listed(valid, outcomes):
    sites = rejection_sites()
    assert len(sites) > 30
    hit = {}
    for i in range(len(CASES)):
        message, line = rejection(i, valid, outcomes)
        assert line is not None, f"case {case_id(i)}: no line of the checker raised"
        key = site_of(line, sites)
        assert re.fullmatch(template_regex(key[1]), NODE.sub("", message, count=1)), \
            f"case {case_id(i)}: {message!r} is not {key[1]!r}"
        hit.setdefault(key, []).append(case_id(i))
    stale = [key for key in UNREACHABLE if key not in sites]
    assert not stale, f"allow-listed sites that the checker no longer has: {stale}"
    reached = {key: hit[key] for key in UNREACHABLE if key in hit}
    assert not reached, f"allow-listed sites that cases reach: {reached}"
    missing = [f"{key} at {sites[key][0]}.py:{sites[key][1]}" for key in sites
               if key not in hit and key not in UNREACHABLE]
    assert not missing, "rejection sites without a case:\n" + "\n".join(missing)


def test_each_expression_matches_only_messages_of_its_own_template(valid, outcomes):
    sites = rejection_sites()
    produced = []
    for i in range(len(CASES)):
        message, line = rejection(i, valid, outcomes)
        produced.append((message, site_of(line, sites)[1]))
    for i, (pattern, _) in enumerate(CASES):
        own = produced[i][1]
        others = [message for message, text in produced if text != own and re.search(pattern, message)]
        assert not others, f"case {case_id(i)} also matches {others}"
