"""Pictures (`polyreg plot`, ``polyreg.plot``) and the region graph (``count --graph``, ``polyreg.region_graph``),
against independent references: exact areas (the domain's by hand and from cddlib's vertices), cell polygons from
cddlib's double description, exact evaluation of the network on every drawn segment, crossings of random
segments, closed forms of line and plane arrangements, and a brute force over all pairs of cells."""
import argparse
import gzip
import json
import random
from fractions import Fraction as F
from itertools import combinations
from math import comb
from pathlib import Path

import networkx as nx
import pytest
from oracles import volume

import polyreg
from polyreg import (
    Dense,
    InputError,
    Maxout,
    Mlp,
    Relu,
    affine_on_path,
    box,
    choices_at,
    evaluate,
    lower,
    polyhedron_from_inequalities,
    region_counts,
    region_graph,
    write_region_graph,
)
from polyreg.cli.main import main
from polyreg.cli.plot import add_graph_option, add_plot, check_graph_path, save_graph
from polyreg.formats.json_files import save_network
from polyreg.geometry.domains import plane
from polyreg.geometry.oracle import vertices
from polyreg.network.families import random_maxout, random_relu
from polyreg.report.figures import cell_polygons, decision_boundary, level_sets, level_values, save_figure

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "svg": b"<?xml"}
NET = random_relu(2, [8, 8], seed=0)
# a pentagon and a sliver less: [-1, 1]^2 without the corners x + y > 1 and x - 2y > 2; area 4 - 1/2 - 1/4
POLYTOPE = polyhedron_from_inequalities([[-1, 0], [1, 0], [0, -1], [0, 1], [1, 1], [1, -2]], [1, 1, 1, 1, 1, 2])


# --- independent geometry -----------------------------------------------------------------------------------------

def cross(o, a, b):
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def ring(points):
    """Points in convex position, counter-clockwise (exact angular order around their mean)."""
    points = list(set(points))
    c = tuple(sum(p[i] for p in points) / len(points) for i in range(2))

    def key(p):   # half-plane, then the exact tangent order within it
        upper = p[1] > c[1] or (p[1] == c[1] and p[0] > c[0])
        dx, dy = p[0] - c[0], p[1] - c[1]
        return (0 if upper else 1, -dx / (abs(dx) + abs(dy)) if upper else dx / (abs(dx) + abs(dy)))
    return sorted(points, key=key)


def cdd_polygon(rows):
    """The cell's polygon from cddlib's vertex enumeration (double description, not clipping)."""
    return ring(vertices(rows))


def shoelace(polygon):
    return abs(sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(polygon, polygon[1:] + polygon[:1]))) / 2


def share_an_edge(P, Q):
    """Whether two convex polygons have collinear edges overlapping in a segment of positive length."""
    for a, b in zip(P, P[1:] + P[:1]):
        for c, d in zip(Q, Q[1:] + Q[:1]):
            if cross(a, b, c) == 0 and cross(a, b, d) == 0:
                u = (b[0] - a[0], b[1] - a[1])

                def t(p):
                    return (p[0] - a[0]) * u[0] + (p[1] - a[1]) * u[1]
                if max(min(t(a), t(b)), min(t(c), t(d))) < min(max(t(a), t(b)), max(t(c), t(d))):
                    return True
    return False


def brute_force_neighbours(cpwl):
    """Every pair of cells whose cddlib polygons share an edge, over all pairs (exact bounding boxes first)."""
    polygons = [cdd_polygon(cell.polyhedron.rows) for cell in cpwl.cells]
    boxes = [(min(p[0] for p in P), max(p[0] for p in P), min(p[1] for p in P), max(p[1] for p in P))
             for P in polygons]
    return {(i, j) for i, j in combinations(range(len(polygons)), 2)
            if boxes[i][0] <= boxes[j][1] and boxes[j][0] <= boxes[i][1] and boxes[i][2] <= boxes[j][3]
            and boxes[j][2] <= boxes[i][3] and share_an_edge(polygons[i], polygons[j])}


def segments_meet(a, b, p, q):
    """Whether the closed segments ab and pq have a common point (exact)."""
    o1, o2, o3, o4 = cross(a, b, p), cross(a, b, q), cross(p, q, a), cross(p, q, b)
    if o1 == o2 == 0:   # collinear: overlapping projections
        return all(max(min(s[0][k], s[1][k]) for s in ((a, b), (p, q))) <=
                   min(max(s[0][k], s[1][k]) for s in ((a, b), (p, q))) for k in range(2))
    return o1 * o2 <= 0 and o3 * o4 <= 0


def random_point(rng, lo=-1, hi=1):
    return tuple(F(rng.randint(lo * 997, hi * 997), 997) for _ in range(2))


def midpoint(p, q):
    return tuple((a + b) / 2 for a, b in zip(p, q))


def general_position_inside(normals, offsets):
    """Every d of the hyperplanes a.x = c meet in one point inside the open box (-1, 1)^d that no other one passes
    through (Cramer's rule)."""
    d = len(normals[0])

    def det(M):
        return M[0][0] if len(M) == 1 else sum((-1) ** j * M[0][j] * det([r[:j] + r[j + 1:] for r in M[1:]])
                                               for j in range(len(M)))
    for subset in combinations(range(len(normals)), d):
        A, b = [list(normals[i]) for i in subset], [offsets[i] for i in subset]
        D = det(A)
        if D == 0:
            return False
        x = [det([row[:j] + [bi] + row[j + 1:] for row, bi in zip(A, b)]) / D for j in range(d)]
        if not all(-1 < v < 1 for v in x) or any(sum(a * v for a, v in zip(normals[k], x)) == offsets[k]
                                                for k in range(len(normals)) if k not in subset):
            return False
    return True


def arrangement_net(normals, offsets):
    """ReLU(a_u.x - c_u) summed with weights 1, 2, 3, ...: its cells are the faces of the arrangement."""
    m, d = len(normals), len(normals[0])
    return Mlp(d, (Dense(tuple(tuple(F(a) for a in n) for n in normals), tuple(-F(c) for c in offsets)), Relu(),
                   Dense((tuple(F(i + 1) for i in range(m)),), (F(0),))))


def arrangement(d, m, seed):
    rng = random.Random(seed)
    normals = [tuple(F(t) ** k for k in range(d)) for t in range(-(m // 2), m - m // 2)]   # the moment curve
    offsets = [F(rng.randint(-1000, 1000), 10 ** 6) for _ in range(m)]
    assert general_position_inside(normals, offsets)
    return normals, offsets


def pre_activations(net, x, stage):
    """The inputs of the ``stage``-th nonlinear layer at ``x`` (a plain forward pass in fractions)."""
    v, seen = list(x), 0
    for layer in net.layers:
        if isinstance(layer, Dense):
            v = [b + sum((w * a for w, a in zip(row, v)), F(0)) for row, b in zip(layer.weight, layer.bias)]
        elif seen == stage:
            return v, layer
        else:
            seen += 1
            v = [max(a, F(0)) for a in v] if isinstance(layer, Relu) else \
                [max(v[i:i + layer.rank]) for i in range(0, len(v), layer.rank)]
    raise AssertionError(f"no stage {stage}")


def parse_point(values):
    return tuple(F(v) for v in (values.split() if isinstance(values, str) else values))


# --- pictures -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("domain,area", [(box(2, -1, 1), F(4)), (POLYTOPE, F(13, 4))])
def test_the_drawn_cells_are_the_exact_polygons_and_tile_the_domain(domain, area):
    cpwl = lower(NET, domain)
    assert volume(list(domain.rows), 2) == area          # the hand-computed area, from cddlib's vertices
    polygons = cell_polygons(cpwl)
    assert sum(shoelace(list(polygon)) for polygon in polygons) == area
    for cell, polygon in zip(cpwl.cells, polygons):
        assert set(polygon) == set(cdd_polygon(cell.polyhedron.rows))
        assert shoelace(list(polygon)) > 0 and cross(*polygon[:3]) > 0     # counter-clockwise
    ax = polyreg.plot(cpwl)
    drawn = ax.collections[0]
    assert len(drawn.get_paths()) == len(cpwl.cells)
    for path, polygon in zip(drawn.get_paths(), polygons):
        assert path.vertices[:len(polygon)].ravel().tolist() == pytest.approx([float(v) for p in polygon for v in p])


def test_cells_sharing_an_edge_have_different_colours_and_the_title_has_the_counts():
    cpwl = lower(random_relu(2, [16, 16], seed=0), box(2, -1, 1))
    ax = polyreg.plot(cpwl, labels=("t1", "t2"))
    colours = [tuple(c) for c in ax.collections[0].get_facecolors()]
    neighbours = brute_force_neighbours(cpwl)
    assert len(neighbours) > len(cpwl.cells) and all(colours[i] != colours[j] for i, j in neighbours)
    assert len(set(colours)) > 2                        # more than the two colours that would do
    counts = region_counts(cpwl)
    assert ax.get_title().startswith(f"{counts.cells} cells, {counts.linear_regions} linear regions, "
                                     f"{counts.affine_maps} affine maps")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t1", "t2")
    assert polyreg.plot(cpwl, title="mine").get_title() == "mine"


def test_the_title_counts_linear_regions_with_merged_cells():
    """relu(x1) + 0 relu(x2): 4 cells (the quadrants), 2 linear regions."""
    net = Mlp(2, (Dense(((F(1), F(0)), (F(0), F(1))), (F(0), F(0))), Relu(), Dense(((F(1), F(0)),), (F(0),))))
    cpwl = lower(net, box(2, -1, 1))
    counts = region_counts(cpwl)
    assert (counts.cells, counts.linear_regions) == (4, 2)
    assert polyreg.plot(cpwl).get_title().startswith(f"{counts.cells} cells, {counts.linear_regions} linear regions")


@pytest.mark.parametrize("kind", ["png", "svg", "pdf"])
def test_pictures_are_written_in_the_format_of_their_name(tmp_path, kind):
    ax = polyreg.plot(lower(random_relu(2, [6, 6], seed=1, outputs=2), box(2, -1, 1)), boundary=True, level=1)
    path = save_figure(ax.figure, tmp_path / "sub" / f"cells.{kind}")
    data = path.read_bytes()
    assert data.startswith(MAGIC[kind]) and (kind != "svg" or b"<svg" in data[:2000])


def test_the_decision_boundary_is_exactly_where_the_two_outputs_are_equal():
    net = random_relu(2, [8, 8], seed=6, outputs=2)
    cpwl = lower(net, box(2, -1, 1))
    segments = decision_boundary(cpwl)
    assert len(segments) >= 3
    for p, q in segments:
        for x in (p, q, midpoint(p, q)):
            out = evaluate(net, x)
            assert out[0] == out[1]
    # complete: wherever out0 - out1 changes sign along a segment, a boundary segment crosses it
    rng, crossed = random.Random(0), 0
    for _ in range(60):
        a, b = random_point(rng), random_point(rng)
        da, db = (evaluate(net, x)[0] - evaluate(net, x)[1] for x in (a, b))
        if da * db < 0:
            crossed += 1
            assert any(segments_meet(p, q, a, b) for p, q in segments)
    assert crossed >= 5
    drawn = polyreg.plot(cpwl, boundary=True).collections[-1]
    assert len(drawn.get_segments()) == len(segments)


def test_the_decision_boundary_of_three_classes_and_of_one_logit():
    net = random_relu(2, [8, 8], seed=9, outputs=3)
    segments = decision_boundary(lower(net, box(2, -2, 2)))
    assert segments
    for p, q in segments:
        out = evaluate(net, midpoint(p, q))
        assert sorted(out)[-1] == sorted(out)[-2]            # two classes tie for the maximum
    one = random_relu(2, [8, 8], seed=8)
    segments = decision_boundary(lower(one, box(2, -1, 1)))
    assert segments and all(evaluate(one, x) == (0,) for p, q in segments for x in (p, q, midpoint(p, q)))


def test_the_decision_boundary_along_a_cell_edge():
    """out0 - out1 = relu(x1) - relu(-x1) = x1 is 0 only on x1 = 0, the edge between the two cells: no cell has
    both winners inside it, and the boundary is still drawn."""
    net = Mlp(2, (Dense(((F(1), F(0)), (F(-1), F(0))), (F(0), F(0))), Relu(),
                  Dense(((F(1), F(-1)), (F(0), F(0))), (F(0), F(0)))))
    cpwl = lower(net, box(2, -1, 1))
    assert len(cpwl.cells) == 2
    assert [tuple(sorted(s)) for s in decision_boundary(cpwl)] == [((0, -1), (0, 1))]


def test_level_lines_are_exactly_at_their_level_and_complete():
    net = random_relu(2, [8, 8], seed=4, outputs=2)
    cpwl = lower(net, POLYTOPE)
    values = level_values(cpwl, 1)
    found = level_sets(cpwl, 1)
    assert len(values) == 7 and {v for v, _ in found} == set(values)
    for v, (p, q) in found:
        for x in (p, q, midpoint(p, q)):
            assert evaluate(net, x)[1] == v
    rng, crossed = random.Random(1), 0
    inside = [x for x in (random_point(rng) for _ in range(200)) if POLYTOPE.contains(x)]
    for a, b in zip(inside, inside[1:]):
        for v in values:
            if (evaluate(net, a)[1] - v) * (evaluate(net, b)[1] - v) < 0:
                crossed += 1
                assert any(segments_meet(p, q, a, b) for w, (p, q) in found if w == v)
    assert crossed >= 20
    with pytest.raises(InputError, match="output 2 does not exist"):
        polyreg.plot(cpwl, level=2)


def test_a_domain_that_is_not_2d_is_refused_naming_its_dimension():
    cpwl = lower(random_relu(3, [4], seed=0), box(3, -1, 1))
    with pytest.raises(InputError, match=r"dimension 3.*--plane"):
        polyreg.plot(cpwl)
    with pytest.raises(InputError, match="dimension 3"):
        cell_polygons(cpwl)
    with pytest.raises(InputError, match="two axis labels"):
        polyreg.plot(lower(NET, box(2, -1, 1)), labels=("x",))


# --- the command ---------------------------------------------------------------------------------------------------

def run(*argv):
    """Parse with a parser holding `polyreg plot` only, and run it (as polyreg.cli.main does)."""
    top = argparse.ArgumentParser(prog="polyreg")
    add_plot(top.add_subparsers(dest="command", required=True))
    args = top.parse_args([str(a) for a in argv])
    args.command_line = ["polyreg", *map(str, argv)]
    return args.run(args)


def test_plot_command_writes_the_picture_and_reports_the_counts(tmp_path, capsys):
    net = random_relu(2, [8, 8], seed=6, outputs=2)
    save_network(net, tmp_path / "net.json")
    out = tmp_path / "cells.png"
    assert run("plot", tmp_path / "net.json", "--box", "-1", "1", "-o", out, "--boundary", "--level", "0",
               "--json") == 0
    facts = json.loads(capsys.readouterr().out)
    counts = region_counts(lower(net, box(2, -1, 1)))
    assert (facts["cells"], facts["linear_regions"], facts["affine_maps"]) == \
        (counts.cells, counts.linear_regions, counts.affine_maps)
    assert facts["boundary_segments"] > 0 and facts["level_segments"] > 0
    assert out.read_bytes().startswith(MAGIC["png"])
    (tmp_path / "triangle.json").write_text(json.dumps({"format": "polyreg.domain/1", "A": [[-1, 0], [0, -1], [1, 1]],
                                                        "b": [1, 1, "1/2"]}))
    assert run("plot", tmp_path / "net.json", "--domain", tmp_path / "triangle.json", "-o", tmp_path / "t.svg",
               "--labels", "u", "v") == 0
    assert f"{tmp_path / 't.svg'}: " in capsys.readouterr().out
    assert (tmp_path / "t.svg").read_bytes().startswith(MAGIC["svg"])


def test_plot_command_on_a_plane_through_three_inputs(tmp_path, capsys):
    net = random_relu(5, [8, 8], seed=0)
    save_network(net, tmp_path / "net.json")
    points = [[0, 0, 0, 0, 0], [1, 0, "1/2", 0, 0], [0, 1, 0, "-1/2", 0]]
    for name, point in zip("abc", points):
        (tmp_path / f"{name}.json").write_text(json.dumps(point))
    assert run("plot", tmp_path / "net.json", "--plane", *(tmp_path / f"{n}.json" for n in "abc"),
               "-o", tmp_path / "plane.png", "--json") == 0
    facts = json.loads(capsys.readouterr().out)
    on = plane(*points)
    assert facts["cells"] == len(lower(net, on).cells) > 1
    assert polyreg.plot(lower(net, on)).get_xlabel() == "t1"


def test_plot_command_refuses_bad_input_before_any_work(tmp_path):
    missing = tmp_path / "no-such-network.json"
    with pytest.raises(InputError, match=r"cells\.jpg.*\.png, \.svg, \.pdf"):
        run("plot", missing, "--box", "0", "1", "-o", tmp_path / "cells.jpg")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(InputError, match="-o: is a directory"):
        run("plot", missing, "--box", "0", "1", "-o", tmp_path / "folder.png")
    save_network(random_relu(3, [4], seed=0), tmp_path / "net3.json")
    with pytest.raises(InputError, match=r"dimension 3.*--plane"):
        run("plot", tmp_path / "net3.json", "--box", "0", "1", "-o", tmp_path / "cells.png")
    save_network(NET, tmp_path / "net.json")
    with pytest.raises(InputError, match="output 1 does not exist"):
        run("plot", tmp_path / "net.json", "--box", "0", "1", "-o", tmp_path / "cells.png", "--level", "1")
    assert not (tmp_path / "cells.png").exists()


# --- the region graph ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("net", [NET, random_relu(2, [16, 16], seed=0), random_maxout(2, [4, 3], 3, seed=1)],
                         ids=["relu-8-8", "relu-16-16", "maxout"])
def test_the_region_graph_is_the_brute_force_graph_of_shared_edges(net):
    cpwl = lower(net, box(2, -1, 1))
    graph = region_graph(cpwl)
    assert set(graph.nodes) == set(range(len(cpwl.cells)))
    assert set(graph.edges) == brute_force_neighbours(cpwl)
    assert min(dict(graph.degree).values()) >= 1 and nx.is_connected(graph)
    counts = region_counts(cpwl)
    assert graph.graph["linear_regions"] == counts.linear_regions and graph.graph["cells"] == counts.cells
    for i, j, edge in graph.edges(data=True):
        x = parse_point(edge["point"])
        assert cpwl.cells[i].polyhedron.contains(x) and cpwl.cells[j].polyhedron.contains(x)
        stage, unit = map(int, edge["unit"].removeprefix("stage ").split(" unit "))
        values, layer = pre_activations(net, x, stage)
        if isinstance(layer, Relu):
            assert values[unit] == 0                 # the facet lies on this unit's hyperplane
        else:
            assert isinstance(layer, Maxout)
            pieces = values[unit * layer.rank:(unit + 1) * layer.rank]
            assert pieces.count(max(pieces)) >= 2    # two pieces of this unit tie there
        assert edge["same_map"] == (cpwl.cells[i].affine == cpwl.cells[j].affine)


def test_the_nodes_carry_their_point_pattern_and_map():
    cpwl = lower(NET, box(2, -1, 1))
    graph = region_graph(cpwl)
    maps = {}
    for i, node in graph.nodes(data=True):
        x = parse_point(node["point"])
        assert cpwl.cells[i].polyhedron.interior_contains(x)
        pattern = choices_at(NET, x)                 # recomputed from the network's semantics
        assert node["pattern"] == "|".join(",".join(map(str, stage)) for stage in pattern)
        maps[i] = affine_on_path(NET, pattern)
    first: dict = {}
    assert [graph.nodes[i]["affine_map"] for i in range(len(cpwl.cells))] == \
        [first.setdefault(maps[i], len(first)) for i in range(len(cpwl.cells))]   # numbered by first appearance


@pytest.mark.parametrize("d,m,seed", [(2, 6, 0), (2, 9, 1), (3, 7, 2)])
def test_the_region_graph_of_an_arrangement_has_its_closed_form(d, m, seed):
    """m lines in general position, all crossing inside the box: each is cut into m pieces, m^2 shared edges; m
    planes: each carries an arrangement of m - 1 lines, 1 + (m - 1) + C(m - 1, 2) shared facets."""
    normals, offsets = arrangement(d, m, seed)
    net = arrangement_net(normals, offsets)
    graph = region_graph(lower(net, box(d, -1, 1)))
    assert graph.number_of_nodes() == sum(comb(m, k) for k in range(d + 1))
    assert graph.number_of_edges() == (m * m if d == 2 else m * (1 + (m - 1) + comb(m - 1, 2)))
    for _, _, edge in graph.edges(data=True):
        unit = int(edge["unit"].removeprefix("stage 0 unit "))
        x = parse_point(edge["point"])
        assert sum(a * v for a, v in zip(normals[unit], x)) == offsets[unit]
    if d == 2:
        assert set(graph.edges) == brute_force_neighbours(lower(net, box(d, -1, 1)))


def test_the_region_graph_files_load_in_networkx_with_the_same_nodes_and_edges(tmp_path):
    cpwl = lower(random_maxout(2, [4, 3], 3, seed=1), box(2, -1, 1))
    graph = region_graph(cpwl)
    write_region_graph(graph, tmp_path / "g.graphml")
    write_region_graph(graph, tmp_path / "deeper" / "g.json")
    from_graphml = nx.read_graphml(tmp_path / "g.graphml", node_type=int)
    from_json = nx.node_link_graph(json.loads((tmp_path / "deeper" / "g.json").read_text()))
    for loaded in (from_graphml, from_json):
        assert set(loaded.nodes) == set(graph.nodes) and {tuple(sorted(e)) for e in loaded.edges} == set(graph.edges)
        for i, j, edge in graph.edges(data=True):
            assert loaded.edges[i, j]["unit"] == edge["unit"]
            assert parse_point(loaded.edges[i, j]["point"]) == parse_point(edge["point"])
        for i, node in graph.nodes(data=True):
            assert parse_point(loaded.nodes[i]["point"]) == parse_point(node["point"])
            assert loaded.nodes[i]["pattern"] == node["pattern"]
            assert loaded.nodes[i]["affine_map"] == node["affine_map"]
    assert isinstance(graph.nodes[0]["point"], list)   # writing GraphML left the caller's graph as it was


def test_count_graph_option_checks_its_path_first_and_writes_the_graph(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_graph_option(parser)
    with pytest.raises(InputError, match="--graph: is a directory"):
        check_graph_path(parser.parse_args(["--graph", str(tmp_path)]))
    args = parser.parse_args(["--graph", str(tmp_path / "g.graphml")])
    check_graph_path(args)
    cpwl = lower(NET, box(2, -1, 1))
    save_graph(args, cpwl)
    loaded = nx.read_graphml(tmp_path / "g.graphml", node_type=int)
    assert set(loaded.edges) == brute_force_neighbours(cpwl) and loaded.number_of_nodes() == len(cpwl.cells)
    assert "g.graphml" in capsys.readouterr().err
    save_graph(parser.parse_args([]), cpwl)          # without --graph: nothing


def test_the_cells_file_holds_each_cell_with_its_exact_map_pattern_and_point(tmp_path, capsys):
    """``count --cells``: one line per cell; at each line's point the network, evaluated exactly, equals the line's
    map, its choices are the line's pattern, and the lines' maps count the affine maps."""
    net = random_relu(2, [6, 6], seed=3)
    path = tmp_path / "net.json"
    save_network(net, str(path))
    on_plane = polyreg.plane([0, 0, 1], [1, 0, 0], [0, 1, 0])
    deep = random_relu(3, [5], seed=1)
    save_network(deep, str(tmp_path / "deep.json"))
    corners = []
    for k, corner in enumerate(([0, 0, 1], [1, 0, 0], [0, 1, 0])):
        corners.append(str(tmp_path / f"corner{k}.json"))
        Path(corners[-1]).write_text(json.dumps(corner))
    for network, arguments, name in ((net, ["--box", "-1", "1"], "cells.jsonl.gz"),
                                     (deep, ["--plane", *corners], "plane.jsonl")):
        source = path if network is net else tmp_path / "deep.json"
        assert main(["count", str(source), *arguments, "--cells", str(tmp_path / name), "--json"]) == 0
        counts = json.loads(capsys.readouterr().out)
        opened = gzip.open if name.endswith(".gz") else open
        with opened(tmp_path / name, "rt") as file:
            records = [json.loads(line) for line in file]
        assert [r["cell"] for r in records] == list(range(counts["cells"]))
        assert len({r["affine_map"] for r in records}) == counts["affine_maps"]
        for r in records:
            x = [F(v) for v in (r["input"] if network is deep else r["point"])]
            t = [F(v) for v in r["point"]]
            (f,) = r["maps"]
            assert [sum(F(a) * v for a, v in zip(row, t)) + F(b) for row, b in zip(f["A"], f["b"])] == \
                list(evaluate(network, x))
            assert [tuple(stage) for stage in r["pattern"]] == [tuple(s) for s in choices_at(network, x)]
        if network is deep:
            assert all(list(map(F, r["input"])) == list(on_plane.point(list(map(F, r["point"])))) for r in records)
    assert main(["count", str(path), "--box", "-1", "1", "--cells", str(tmp_path)]) == 2
