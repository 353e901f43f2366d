"""ONNX models read exactly: each operator against onnxruntime (the float oracle) at random points; project
networks exported to ONNX come back as the same network; the CLI takes .onnx files; unsupported operators and
files that are no model exit 2 naming the problem."""
import json
import random
import re
from fractions import Fraction

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from polyreg import box, certify, evaluate, lower, region_counts
from polyreg.cli.main import main
from polyreg.formats.json_files import load_network
from polyreg.errors import InputError
from polyreg.formats.onnx_files import load_onnx, network_from_onnx
from polyreg.network.families import random_relu
from polyreg.network.ir import Dense, Mlp, Relu


def model(nodes, initializers, d, out="y"):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, d])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, "m"])],
                              [numpy_helper.from_array(np.asarray(v, dtype=np.float32), name) for name, v in
                               initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def ort_output(onnx_model, x):
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": np.asarray([x], dtype=np.float32)})[0].reshape(-1)


def dyadic_points(d, n, seed):
    """Points whose coordinates float32 holds exactly (k/64 in [-2, 2]), so both sides evaluate the same input."""
    rng = random.Random(seed)
    return [[Fraction(rng.randint(-128, 128), 64) for _ in range(d)] for _ in range(n)]


def agrees_with_onnxruntime(onnx_model, d):
    net = network_from_onnx(onnx_model)
    for x in dyadic_points(d, 25, seed=d):
        exact = evaluate(net, x)
        floats = ort_output(onnx_model, [float(v) for v in x])
        assert len(floats) == len(exact)
        for f, e in zip(floats, exact):
            assert abs(float(f) - float(e)) <= 1e-5 * (1 + abs(float(e))), (x, f, e)
    return net


rng = np.random.default_rng(0)
W1, B1 = rng.normal(size=(3, 4)), rng.normal(size=4)        # float32 values: inexact as decimals, exact as binary
W2 = rng.normal(size=(4, 2))
OPERATOR_MODELS = {
    "Gemm+Relu+MatMul": ([helper.make_node("Gemm", ["x", "W1", "B1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
                          helper.make_node("MatMul", ["r", "W2"], ["y"])], {"W1": W1, "B1": B1, "W2": W2}),
    "Gemm transB alpha beta": ([helper.make_node("Gemm", ["x", "Wt", "B1"], ["y"], transB=1, alpha=0.5, beta=2.0)],
                               {"Wt": W1.T, "B1": B1}),
    "Add Sub Mul Div": ([helper.make_node("MatMul", ["x", "W1"], ["a"]), helper.make_node("Add", ["a", "c"], ["b"]),
                         helper.make_node("Sub", ["c", "b"], ["s"]), helper.make_node("Mul", ["s", "m"], ["t"]),
                         helper.make_node("Div", ["t", "q"], ["y"])],
                        {"W1": W1, "c": rng.normal(size=4), "m": rng.normal(size=4), "q": [3.0]}),
    "LeakyRelu 0.1": ([helper.make_node("MatMul", ["x", "W1"], ["a"]),
                       helper.make_node("LeakyRelu", ["a"], ["y"], alpha=0.1)], {"W1": W1}),
    "LeakyRelu default slope": ([helper.make_node("MatMul", ["x", "W1"], ["a"]), helper.make_node("LeakyRelu", ["a"], ["y"])],
                                {"W1": W1}),
    "LeakyRelu 3": ([helper.make_node("MatMul", ["x", "W1"], ["a"]),
                     helper.make_node("LeakyRelu", ["a"], ["y"], alpha=3.0)], {"W1": W1}),
    "Flatten Identity Dropout Constant": (
        [helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("Identity", ["f"], ["i"]),
         helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.float32([0.25, -2, 1]))),
         helper.make_node("Add", ["i", "k"], ["p"]), helper.make_node("Dropout", ["p"], ["y"])], {}),
}


@pytest.mark.parametrize("name", OPERATOR_MODELS)
def test_each_operator_agrees_with_onnxruntime_at_random_points(name):
    nodes, initializers = OPERATOR_MODELS[name]
    agrees_with_onnxruntime(model(nodes, initializers, 3), 3)


def test_a_float_weight_is_its_exact_binary_value():
    net = network_from_onnx(model([helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": [[0.1]]}, 1))
    assert net.layers[0].weight == ((Fraction(13421773, 134217728),),)     # float32(0.1), not 1/10


def exported(net: Mlp):
    """``net`` as an ONNX model of Gemm and Relu nodes (float32 weights)."""
    nodes, initializers, current = [], {}, "x"
    for i, layer in enumerate(net.layers):
        out = "y" if i == len(net.layers) - 1 else f"t{i}"
        if isinstance(layer, Dense):
            initializers[f"W{i}"] = [[float(w) for w in row] for row in layer.weight]
            initializers[f"b{i}"] = [float(b) for b in layer.bias]
            nodes.append(helper.make_node("Gemm", [current, f"W{i}", f"b{i}"], [out], transB=1))
        else:
            nodes.append(helper.make_node("Relu", [current], [out]))
        current = out
    return model(nodes, initializers, net.input_dim)


@pytest.mark.parametrize("net", [random_relu(2, [6, 5], seed=4), random_relu(3, [5], seed=1, outputs=2)],
                         ids=["relu 2-6-5", "relu 3-5-2"])
def test_a_project_network_exported_to_onnx_comes_back_the_same(net):
    back = agrees_with_onnxruntime(exported(net), net.input_dim)
    assert back == net              # weights on the 1/64 grid are exact in float32
    domain = box(net.input_dim, -1, 1)
    assert region_counts(lower(back, domain)) == region_counts(lower(net, domain))
    assert certify(back, net, domain).word == "EQUIVALENT"


def test_count_and_convert_take_an_onnx_file(tmp_path, capsys):
    net = random_relu(2, [6], seed=7)
    path = tmp_path / "model.onnx"
    path.write_bytes(exported(net).SerializeToString())
    assert main(["count", str(path), "--box", "-1", "1", "--json"]) == 0
    counted = json.loads(capsys.readouterr().out)
    assert counted["cells"] == len(lower(net, box(2, -1, 1)).cells)
    assert main(["convert", str(path), "-o", str(tmp_path / "net.json")]) == 0
    assert load_network(tmp_path / "net.json") == net


@pytest.mark.parametrize("data, message", [
    (None, r"node 1 \(unnamed\): operator Sigmoid \(domain ai.onnx\) is not supported; supported: Add, Constant"),
    (b"\x00\x01 not a model \xff", r"not an ONNX model"),
])
def test_what_polyreg_cannot_read_exits_2_naming_the_problem(tmp_path, capsys, data, message):
    path = tmp_path / "bad.onnx"
    if data is None:
        data = model([helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Sigmoid", ["h"], ["y"])],
                     {"W": [[1.0]]}, 1).SerializeToString()
    path.write_bytes(data)
    assert main(["count", str(path), "--box", "0", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"polyreg: error: {path}: ") and re.search(message, err), err


TWO = {"W": np.float32([[2, 0], [0, 2]]), "B": np.float32([1, 1])}
REFUSED = {   # models onnxruntime runs but which are not a chain on the running vector: polyreg must refuse them
    "Relu of another tensor": ([helper.make_node("Gemm", ["x", "W", "B"], ["h"]), helper.make_node("Relu", ["x"], ["y"])],
                               TWO, "expected the running vector as input"),
    "Gemm C not constant": ([helper.make_node("Gemm", ["x", "W", "x"], ["y"])], TWO, "C must be a constant"),
    "a column constant": ([helper.make_node("Add", ["x", "c"], ["y"])], {"c": np.float32([[10], [20]])},
                          r"a constant of shape \[2, 1\] does not act entry by entry"),
    "a reshape to a column": ([helper.make_node("Reshape", ["x", "s"], ["y"])], {"s": np.int64([2, 1])},
                              "only a reshape to the vector itself"),
    "a custom domain": ([helper.make_node("Relu", ["x"], ["y"], domain="custom")], {},
                        r"operator Relu \(domain custom\) is not supported"),
    "dropout in training": ([helper.make_node("Dropout", ["x", "r", "t"], ["y"])],
                            {"r": np.float32(0.5), "t": np.bool_(True)}, "dropout in training mode"),
    "a scalar Constant": ([helper.make_node("Constant", [], ["k"], value_float=1.0), helper.make_node("Add", ["x", "k"], ["y"])],
                          {}, "only Constant nodes with a 'value' tensor"),
    "a vector B": ([helper.make_node("Gemm", ["x", "b", "B"], ["y"])], {"b": np.float32([1, 2]), "B": np.float32([1, 1])},
                   "B must be a constant matrix"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_what_is_not_a_chain_on_the_running_vector_is_refused(name):
    nodes, initializers, message = REFUSED[name]
    with pytest.raises(InputError, match=message):
        network_from_onnx(model(nodes, initializers, 2))


def test_integer_inputs_and_external_weights_are_refused(tmp_path):
    graph = helper.make_graph([helper.make_node("Div", ["x", "c"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.INT64, [1, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.INT64, [1, 1])],
                              [numpy_helper.from_array(np.int64([2]), "c")])
    with pytest.raises(InputError, match="expected floats"):
        network_from_onnx(helper.make_model(graph))
    big = model([helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": np.ones((2, 300))}, 2)
    onnx.save_model(big, str(tmp_path / "m.onnx"), save_as_external_data=True, location="w.bin", size_threshold=0)
    with pytest.raises(InputError, match="keeps weights in external files"):
        load_onnx(tmp_path / "m.onnx", 10_000_000)


def test_an_invalid_model_file_is_refused_by_the_onnx_checker(tmp_path, capsys):
    bad = model([helper.make_node("Add", ["x", "c"], ["y"])], {"c": [1.0]}, 1)
    bad.graph.node[0].input[1] = "nowhere"          # an input no node or initializer provides
    (tmp_path / "bad.onnx").write_bytes(bad.SerializeToString())
    assert main(["count", str(tmp_path / "bad.onnx"), "--box", "0", "1"]) == 2
    assert "not a valid ONNX model" in capsys.readouterr().err
