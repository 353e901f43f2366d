"""ONNX models read exactly: each operator against onnxruntime (the float oracle) at random points; project
networks exported to ONNX come back as the same network; the CLI takes .onnx files; unsupported operators and
files that are no model exit 2 naming the problem."""
import json
import random
import re
import warnings
from fractions import Fraction

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from polyreg import box, certify, evaluate, lower, region_counts
from polyreg.cli.main import main
from polyreg.formats.json_files import load_network
from polyreg.errors import InexactWarning, InputError
from polyreg.formats.onnx_files import from_onnx, load_onnx, network_from_onnx
from polyreg.network.families import random_relu
from polyreg.network.ir import Dense, Mlp, Relu


def model(nodes, initializers, d, out="y", opset=13):
    """A float32 model of ``nodes`` on an input ``[1, d]`` (or of shape ``d`` if ``d`` is a list)."""
    shape = d if isinstance(d, list) else [1, d]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.asarray(v, dtype=np.float32 if np.asarray(v).dtype.kind == "f"
                                                                  else None), name) for name, v in
                               initializers.items()])
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return onnx.shape_inference.infer_shapes(made) if all(n.domain == "" for n in nodes) else made


def ort_output(onnx_model, x):
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    shape = [d.dim_value for d in onnx_model.graph.input[0].type.tensor_type.shape.dim]
    return session.run(None, {"x": np.asarray(x, dtype=np.float32).reshape(shape)})[0].reshape(-1)


def dyadic_points(d, n, seed):
    """Points whose coordinates float32 holds exactly (k/64 in [-2, 2]), so both sides evaluate the same input."""
    rng = random.Random(seed)
    return [[Fraction(rng.randint(-128, 128), 64) for _ in range(d)] for _ in range(n)]


def agrees_with_onnxruntime(onnx_model, d, points=25):
    net = network_from_onnx(onnx_model)
    d = int(np.prod(d)) if isinstance(d, list) else d
    for x in dyadic_points(d, points, seed=d):
        exact = evaluate(net, x)
        floats = ort_output(onnx_model, [float(v) for v in x])
        assert len(floats) == len(exact)
        for f, e in zip(floats, exact):
            assert abs(float(f) - float(e)) <= 1e-4 * (1 + abs(float(e))), (x, f, e)
    return net


def node(op, inputs, output, **attributes):
    return helper.make_node(op, inputs, [output], **attributes)


rng = np.random.default_rng(0)
W1, B1 = rng.normal(size=(3, 4)), rng.normal(size=4)        # float32 values: inexact as decimals, exact as binary
W2 = rng.normal(size=(4, 2))
W3 = rng.normal(size=(4, 3))
IMAGE = [1, 2, 5, 6]                                        # [N, C, H, W]
K2 = rng.normal(size=(4, 2, 3, 2))                          # 4 output channels, 3 x 2 kernels
BN = {"s": rng.normal(size=3), "b": rng.normal(size=3), "mu": rng.normal(size=3), "v": rng.uniform(0.5, 2, size=3)}
OPERATOR_MODELS = {
    "Gemm+Relu+MatMul": ([node("Gemm", ["x", "W1", "B1"], "h"), node("Relu", ["h"], "r"),
                          node("MatMul", ["r", "W2"], "y")], {"W1": W1, "B1": B1, "W2": W2}, 3),
    "Gemm transB alpha beta": ([node("Gemm", ["x", "Wt", "B1"], "y", transB=1, alpha=0.5, beta=2.0)],
                               {"Wt": W1.T, "B1": B1}, 3),
    "Add Sub Mul Div": ([node("MatMul", ["x", "W1"], "a"), node("Add", ["a", "c"], "b"),
                         node("Sub", ["c", "b"], "s"), node("Mul", ["s", "m"], "t"), node("Div", ["t", "q"], "y")],
                        {"W1": W1, "c": rng.normal(size=4), "m": rng.normal(size=4), "q": [3.0]}, 3),
    "LeakyRelu 0.1": ([node("MatMul", ["x", "W1"], "a"), node("LeakyRelu", ["a"], "y", alpha=0.1)], {"W1": W1}, 3),
    "LeakyRelu default slope": ([node("MatMul", ["x", "W1"], "a"), node("LeakyRelu", ["a"], "y")], {"W1": W1}, 3),
    "LeakyRelu 3": ([node("MatMul", ["x", "W1"], "a"), node("LeakyRelu", ["a"], "y", alpha=3.0)], {"W1": W1}, 3),
    "PRelu per entry": ([node("MatMul", ["x", "W1"], "a"), node("PRelu", ["a", "p"], "y")],
                        {"W1": W1, "p": [0.25, -0.5, 2.0, 1.0]}, 3),
    "Clip both (Relu6, Hardtanh)": ([node("MatMul", ["x", "W1"], "a"), node("Clip", ["a", "lo", "hi"], "y")],
                                    {"W1": W1, "lo": np.float32(-0.5), "hi": np.float32(0.75)}, 3),
    "Clip min only": ([node("MatMul", ["x", "W1"], "a"), node("Clip", ["a", "lo"], "y")],
                      {"W1": W1, "lo": np.float32(0.1)}, 3),
    "Clip max only": ([node("MatMul", ["x", "W1"], "a"), node("Clip", ["a", "", "hi"], "y")],
                      {"W1": W1, "hi": np.float32(0.2)}, 3),
    "Clip empty interval": ([node("Clip", ["x", "lo", "hi"], "y")], {"lo": np.float32(1), "hi": np.float32(-1)}, 3),
    "Clip opset 6 attributes": ([node("Clip", ["x"], "y", min=-1.0, max=0.5)], {}, 3, 6),
    "Flatten Identity Dropout Constant": (
        [node("Flatten", ["x"], "f"), node("Identity", ["f"], "i"),
         node("Constant", [], "k", value=numpy_helper.from_array(np.float32([0.25, -2, 1]))),
         node("Add", ["i", "k"], "p"), node("Dropout", ["p"], "y")], {}, 3),
    "BatchNormalization on features": ([node("BatchNormalization", ["x", "s", "b", "mu", "v"], "y", epsilon=1e-3)],
                                       BN, 3),
    "BatchNormalization on channels": ([node("BatchNormalization", ["x", "s", "b", "mu", "v"], "y")], BN, [1, 3, 2, 2]),
    "Conv 2-D groups strides pads dilation": (
        [node("Conv", ["x", "K", "cb"], "y", group=2, strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2])],
        {"K": rng.normal(size=(4, 1, 2, 2)), "cb": rng.normal(size=4)}, IMAGE),
    "Conv 2-D auto_pad SAME_UPPER then Relu": (
        [node("Conv", ["x", "K"], "c", auto_pad="SAME_UPPER", strides=[2, 2]), node("Relu", ["c"], "y")],
        {"K": K2}, IMAGE),
    "Conv 2-D auto_pad SAME_LOWER": ([node("Conv", ["x", "K"], "y", auto_pad="SAME_LOWER")], {"K": K2}, IMAGE),
    "Conv 2-D VALID": ([node("Conv", ["x", "K"], "y", auto_pad="VALID")], {"K": K2}, IMAGE),
    "Conv 1-D": ([node("Conv", ["x", "K"], "c", strides=[2], pads=[1, 2], dilations=[2]), node("Relu", ["c"], "y")],
                 {"K": rng.normal(size=(3, 2, 3))}, [1, 2, 9]),
    "MaxPool 2-D": ([node("MaxPool", ["x"], "y", kernel_shape=[2, 2], strides=[2, 2])], {}, IMAGE),
    "MaxPool pads ceil dilations": ([node("MaxPool", ["x"], "y", kernel_shape=[2, 3], pads=[1, 1, 0, 1],
                                          strides=[2, 2], ceil_mode=1, dilations=[1, 2])], {}, IMAGE),
    "MaxPool 1-D": ([node("MaxPool", ["x"], "y", kernel_shape=[3], strides=[2])], {}, [1, 2, 7]),
    "AveragePool": ([node("AveragePool", ["x"], "y", kernel_shape=[2, 3], strides=[2, 2], pads=[1, 1, 1, 0])],
                    {}, IMAGE),
    "AveragePool count_include_pad ceil": (
        [node("AveragePool", ["x"], "y", kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1], ceil_mode=1,
              count_include_pad=1)], {}, IMAGE),
    "GlobalAveragePool GlobalMaxPool": ([node("GlobalAveragePool", ["x"], "a"), node("GlobalMaxPool", ["x"], "m"),
                                         node("Sub", ["a", "m"], "y")], {}, IMAGE),
    "Conv MaxPool Flatten Gemm": ([node("Conv", ["x", "K"], "c"), node("Relu", ["c"], "r"),
                                   node("MaxPool", ["r"], "p", kernel_shape=[2, 2], strides=[1, 2]),
                                   node("Flatten", ["p"], "f"), node("Gemm", ["f", "G"], "y", transB=1)],
                                  {"K": K2, "G": rng.normal(size=(2, 4 * 2 * 2))}, IMAGE),
    "Reshape Transpose Squeeze Unsqueeze": (
        [node("Reshape", ["x", "s"], "a"), node("Transpose", ["a"], "t", perm=[0, 2, 1]),
         node("Unsqueeze", ["t", "ax"], "u"), node("Squeeze", ["u", "ax"], "q"), node("Reshape", ["q", "f"], "y")],
        {"s": np.int64([0, 2, -1]), "ax": np.int64([1]), "f": np.int64([1, -1])}, 6),
    "residual Add of two branches": (
        [node("Gemm", ["x", "A", "a"], "h"), node("Relu", ["h"], "r"), node("Gemm", ["r", "B"], "z"),
         node("Add", ["x", "z"], "s"), node("Relu", ["s"], "y")],
        {"A": rng.normal(size=(3, 4)), "a": rng.normal(size=4), "B": rng.normal(size=(4, 3))}, 3),
    "a tensor read before and after its ReLU": (
        [node("Gemm", ["x", "A"], "h"), node("Relu", ["h"], "r"), node("Sub", ["r", "h"], "y")],
        {"A": rng.normal(size=(3, 4))}, 3),
    "a skip over a max pool": (
        [node("MaxPool", ["x"], "p", kernel_shape=[2, 2], strides=[2, 2]), node("GlobalAveragePool", ["x"], "g"),
         node("Add", ["p", "g"], "y")], {}, [1, 2, 4, 4]),
}


@pytest.mark.parametrize("name", OPERATOR_MODELS)
def test_each_operator_agrees_with_onnxruntime_at_random_points(name):
    nodes, initializers, d, *opset = OPERATOR_MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InexactWarning)
        agrees_with_onnxruntime(model(nodes, initializers, d, opset=opset[0] if opset else 13), d)


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
    (None, r"node 1 \(unnamed\): operator Sigmoid \(domain ai.onnx\) is not supported; supported: Add, AveragePool, "),
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
REFUSED = {   # models onnxruntime runs but polyreg cannot read exactly or as piecewise linear: refused, saying why
    "a product of two tensors": ([node("Gemm", ["x", "W", "B"], "h"), node("Mul", ["h", "x"], "y")], TWO,
                                 "Mul of two tensors computed from the input is not piecewise linear"),
    "Gemm C not constant": ([node("Gemm", ["x", "W", "x"], "y")], TWO, "C must be a constant"),
    "a constant that widens the tensor": ([node("Add", ["x", "c"], "y")], {"c": np.float32([[10], [20]])},
                                          r"a constant of shape \[2, 1\] does not act entry by entry"),
    "a reshape that changes the size": ([node("Reshape", ["x", "s"], "y")], {"s": np.int64([3, 1])},
                                        r"cannot reshape \[1, 2\] to \[3, 1\]"),
    "a custom domain": ([helper.make_node("Relu", ["x"], ["y"], domain="custom")], {},
                        r"operator Relu \(domain custom\) is not supported"),
    "dropout in training": ([node("Dropout", ["x", "r", "t"], "y")],
                            {"r": np.float32(0.5), "t": np.bool_(True)}, "dropout in training mode"),
    "a scalar Constant": ([node("Constant", [], "k", value_float=1.0), node("Add", ["x", "k"], "y")],
                          {}, "only Constant nodes with a 'value' tensor"),
    "a vector B": ([node("Gemm", ["x", "b", "B"], "y")], {"b": np.float32([1, 2]), "B": np.float32([1, 1])},
                   "B must be a constant matrix"),
    "a division by the input": ([node("Div", ["c", "x"], "y")], {"c": np.float32([1, 1])},
                                "only division of the running tensor by nonzero constants"),
    "an output not computed from the input": ([node("Relu", ["x"], "r"), node("Identity", ["c"], "y")],
                                              {"c": np.float32([1, 1])}, "expected a tensor computed from the model"),
    "batch normalization in training": ([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                                                          ["y", "rm", "rv"], training_mode=1)],
                                         {k: np.float32([1, 1]) for k in "sbmv"}, "training mode"),
    "a pool window over padding only": ([node("MaxPool", ["x"], "y", kernel_shape=[1], pads=[2, 0])], {},
                                        "covers only padding", [1, 1, 2]),
    "a kernel larger than the input": ([node("Conv", ["x", "K"], "y")], {"K": np.ones((1, 1, 5), np.float32)},
                                       "larger than the padded input", [1, 1, 2]),
    "a pool on a vector": ([node("MaxPool", ["x"], "y", kernel_shape=[1])], {}, "expected a tensor \\[N, C, ...\\]"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_what_polyreg_cannot_read_is_refused_saying_why(name):
    nodes, initializers, message, *shape = REFUSED[name]
    with pytest.raises(InputError, match=message):
        network_from_onnx(model(nodes, initializers, shape[0] if shape else 2))


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


def fractions_of(array):
    return [[Fraction(float(v)) for v in row] for row in np.asarray(array, dtype=np.float32)]


def test_a_skip_connection_adds_no_cells_and_computes_x_plus_the_branch():
    A, a, B = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 3))
    branch = [node("Gemm", ["x", "A", "a"], "h"), node("Relu", ["h"], "r"), node("Gemm", ["r", "B"], "z")]
    skip = agrees_with_onnxruntime(model(branch + [node("Add", ["x", "z"], "y")], {"A": A, "a": a, "B": B}, 3, "y"), 3)
    plain = network_from_onnx(model(branch, {"A": A, "a": a, "B": B}, 3, "z"))
    domain = box(3, -2, 2)
    # one hidden layer: the cells are those of the arrangement of its 4 hyperplanes, with or without the skip
    assert len(lower(skip, domain).cells) == len(lower(plain, domain).cells)
    # the same function built by hand, passing x through the ReLU layer as relu(x) - relu(-x)
    At, Bt, eye = list(zip(*fractions_of(A))), list(zip(*fractions_of(B))), np.eye(3, dtype=int).tolist()
    hand = Mlp(3, (Dense(tuple(At) + tuple(map(tuple, eye)) + tuple(tuple(-v for v in r) for r in eye),
                         tuple(Fraction(float(v)) for v in np.float32(a)) + (Fraction(0),) * 6), Relu(),
                   Dense(tuple(tuple(Bt[i]) + tuple(eye[i]) + tuple(-v for v in eye[i]) for i in range(3)),
                         (Fraction(0),) * 3)))
    assert certify(skip, hand, domain).word == "EQUIVALENT"


BN_EXACT = {"s": [2.0, -1.0], "b": [0.5, 0.0], "mu": [1.0, -0.25], "v": [0.75, 3.75]}   # var + 0.25: 1 and 4


def test_batch_normalization_is_exact_where_the_root_is_rational_and_warns_where_not(tmp_path, capsys):
    exact_bn = model([node("BatchNormalization", ["x", "s", "b", "mu", "v"], "y", epsilon=0.25)], BN_EXACT, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = agrees_with_onnxruntime(exact_bn, 2)
    assert evaluate(net, [Fraction(1), Fraction(1)]) == (Fraction(1, 2), Fraction(-5, 8))  # 2(1-1)/1+.5, -(1.25)/2
    inexact = model([node("BatchNormalization", ["x", "s", "b", "mu", "v"], "y")], BN, 3)
    with pytest.warns(InexactWarning, match=r"node 0 \(unnamed, BatchNormalization\): 1/sqrt\(var \+ eps\) is "
                                            "irrational for 3 of 3 channels"):
        network_from_onnx(inexact)
    with pytest.raises(InputError, match=r"channel 0: sqrt\(var \+ eps\) = sqrt\(.*\) is irrational"):
        network_from_onnx(inexact, strict=True)
    path = tmp_path / "bn.onnx"
    path.write_bytes(inexact.SerializeToString())
    assert main(["eval", str(path), "0", "0", "0"]) == 0
    assert "polyreg: warning: " in capsys.readouterr().err
    assert main(["eval", str(path), "0", "0", "0", "--strict"]) == 2
    assert "is irrational, and strict mode" in capsys.readouterr().err


def test_a_pickled_model_is_refused_with_the_way_to_read_it(tmp_path, capsys):
    path = tmp_path / "model.pt"
    path.write_bytes(b"\x80\x04 pickled")
    assert main(["count", str(path), "--box", "0", "1"]) == 2
    assert "polyreg.from_torch(module, input_shape)" in capsys.readouterr().err


MALFORMED = {   # attributes onnxruntime would refuse or that do not fit: exit 2 naming them, never a traceback
    "a kernel_shape unlike the weight": ([node("Conv", ["x", "K"], "y", kernel_shape=[3, 3])],
                                         {"K": np.ones((1, 1, 2, 2), np.float32)}, "kernel_shape \\[3, 3\\] differs",
                                         [1, 1, 4, 4]),
    "a Conv bias of the wrong length": ([node("Conv", ["x", "K", "b"], "y")],
                                        {"K": np.ones((2, 1, 2, 2), np.float32), "b": np.float32([1])},
                                        "the bias has shape \\[1\\]; expected \\[2\\]", [1, 1, 4, 4]),
    "an empty Clip bound": ([node("Clip", ["x", "lo"], "y")], {"lo": np.zeros((0,), np.float32)},
                            "min must be one number", 2),
    "a reshape to -2": ([node("Reshape", ["x", "s"], "y")], {"s": np.int64([-2, -1])}, "sizes must be >= 0", 2),
    "a Flatten axis past the end": ([node("Flatten", ["x"], "y", axis=5)], {}, "axis 5 is outside", 2),
    "an Unsqueeze axis past the end": ([node("Unsqueeze", ["x", "a"], "y")], {"a": np.int64([7])},
                                       "axes \\[7\\] outside", 2),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_attributes_are_refused_naming_them(name):
    nodes, initializers, message, shape = MALFORMED[name]
    made = model(nodes, initializers, 2) if isinstance(shape, int) else None
    if made is None:
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                                  [numpy_helper.from_array(np.asarray(v), k) for k, v in initializers.items()])
        made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(InputError, match=message):
        network_from_onnx(made)


def test_a_model_too_large_to_lower_is_refused_before_it_is_built():
    graph = helper.make_graph([node("Relu", ["x"], "r"), node("Add", ["r", "x"], "y")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 300, 300])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 300, 300])])
    with pytest.raises(InputError, match="a dense layer of 360,000 x 90,000 = 32,400,000,000 exact entries"):
        network_from_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))


def test_nodes_after_the_output_are_not_read_and_an_invalid_proto_is_an_input_error():
    after = model([node("Relu", ["x"], "y"), node("Sigmoid", ["y"], "unused")], {}, 2)
    assert network_from_onnx(after).layers == (Relu(),)
    bad = model([node("Add", ["x", "c"], "y")], {"c": [1.0]}, 1)
    bad.graph.node[0].input[1] = "nowhere"
    with pytest.raises(InputError, match="not a valid ONNX model"):
        from_onnx(bad)
