"""scikit-learn MLPs read exactly: the exact network against scikit-learn's own float64 outputs (``predict``,
``predict_proba``) at dyadic points; float weights are their binary values; the network survives a JSON round trip
with the same regions; other estimators, activations, unfitted models and NaN weights are refused by name."""
import copy
import math
import random
import re
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from polyreg import box, evaluate, lower, region_counts
from polyreg.errors import InputError
from polyreg.formats.json_files import load_network, save_network
from polyreg.formats.sklearn_models import from_sklearn
from polyreg.network.ir import Dense, Relu

HIDDEN = (6, 5)


def fitted(model, targets):
    """``model`` fitted on 200 points of [-1, 1]^2 with ``targets(X)``, convergence warnings silenced."""
    X = np.random.default_rng(0).uniform(-1, 1, size=(200, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, targets(X))


def regressor(activation="relu", outputs=1):
    y = (lambda X: np.abs(X[:, 0]) - X[:, 1]) if outputs == 1 else (lambda X: np.stack([X[:, 0] * X[:, 1], X[:, 0]], 1))
    return fitted(MLPRegressor(hidden_layer_sizes=HIDDEN, activation=activation, max_iter=60, random_state=1), y)


def classifier(classes):
    return fitted(MLPClassifier(hidden_layer_sizes=HIDDEN, max_iter=60, random_state=2),
                  lambda X: (np.floor((X[:, 0] + 1) * classes / 2).clip(0, classes - 1)).astype(int))


def dyadic_points(n=20, seed=0):
    """``n`` points of [-1, 1]^2 with coordinates k/64 (float64 holds them exactly), as Fractions and as floats."""
    rng = random.Random(seed)
    exact = [tuple(Fraction(rng.randint(-64, 64), 64) for _ in range(2)) for _ in range(n)]
    return exact, np.array([[float(v) for v in x] for x in exact])


def softmax(z):
    top = max(z)
    e = [math.exp(v - top) for v in z]
    return [v / sum(e) for v in e]


def expected_layers(n_dense, hidden):
    kinds = [Dense]
    for _ in range(n_dense - 1):
        kinds += hidden + [Dense]
    return kinds


@pytest.mark.parametrize("activation, outputs, hidden", [("relu", 1, [Relu]), ("identity", 2, [])])
def test_regressor_equals_predict(activation, outputs, hidden):
    model = regressor(activation, outputs)
    net = from_sklearn(model)
    assert [type(layer) for layer in net.layers] == expected_layers(len(HIDDEN) + 1, hidden)
    assert (net.input_dim, net.output_dim) == (2, outputs)
    exact, floats = dyadic_points()
    predicted = model.predict(floats).reshape(len(exact), -1)
    for x, want in zip(exact, predicted):
        got = evaluate(net, x)
        assert all(isinstance(v, Fraction) for v in got)
        assert [float(v) for v in got] == pytest.approx(list(want), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("classes", [3, 2])
def test_classifier_logits_match_predict_proba_and_predict(classes):
    model = classifier(classes)
    net = from_sklearn(model)
    assert list(model.classes_) == list(range(classes))
    assert net.output_dim == (1 if classes == 2 else classes)      # binary: one logit, of classes_[1]
    exact, floats = dyadic_points(seed=classes)
    probabilities, predictions = model.predict_proba(floats), model.predict(floats)
    checked = 0
    for x, proba, label in zip(exact, probabilities, predictions):
        logits = list(evaluate(net, x))
        logits = [Fraction(0)] + logits if classes == 2 else logits    # logistic(z) = softmax(0, z)[1]
        assert softmax([float(v) for v in logits]) == pytest.approx(list(proba), abs=1e-9)
        ranked = sorted(logits, reverse=True)
        if ranked[0] - ranked[1] > Fraction(1, 10**9):
            assert model.classes_[logits.index(ranked[0])] == label
            checked += 1
    assert checked >= 15


def test_float_weight_is_its_binary_value():
    model = copy.deepcopy(regressor())
    model.coefs_[0][1, 3] = 0.1                       # input 1 -> hidden unit 3
    model.intercepts_[2][0] = -2.5
    net = from_sklearn(model)
    first, last = net.layers[0], net.layers[-1]
    assert first.weight[3][1] == Fraction(0.1) == Fraction(3602879701896397, 36028797018963968)
    assert first.weight[3][1] != Fraction(1, 10)
    assert last.bias == (Fraction(-5, 2),)
    for layer in (first, last):
        assert isinstance(layer.weight, tuple) and all(isinstance(row, tuple) for row in layer.weight)
        assert all(type(v) is Fraction for row in layer.weight for v in row)
        assert isinstance(layer.bias, tuple) and all(type(v) is Fraction for v in layer.bias)
    for i, layer in enumerate(net.layers[::2]):
        assert layer.weight == tuple(tuple(Fraction(float(v)) for v in col) for col in model.coefs_[i].T)
        assert layer.bias == tuple(Fraction(float(v)) for v in model.intercepts_[i])


def test_json_round_trip_keeps_network_and_regions(tmp_path):
    net = from_sklearn(regressor())
    path = tmp_path / "sklearn.json"
    save_network(net, path)
    again = load_network(path)
    assert again == net
    domain = box(2, -1, 1)
    counts, counts_again = region_counts(lower(net, domain)), region_counts(lower(again, domain))
    assert counts == counts_again
    assert counts.cells >= 1


def test_refuses_tanh_activation():
    with pytest.raises(InputError, match=r"MLPRegressor: activation='tanh' is not supported; supported: 'relu', "
                                         r"'identity'"):
        from_sklearn(regressor("tanh"))


def test_refuses_logistic_classifier():
    model = fitted(MLPClassifier(hidden_layer_sizes=(3,), activation="logistic", max_iter=5, random_state=0),
                   lambda X: X[:, 0] > 0)
    with pytest.raises(InputError, match=r"MLPClassifier: activation='logistic' is not supported.*'relu'"):
        from_sklearn(model)


def test_refuses_unfitted_model():
    with pytest.raises(InputError, match=r"MLPClassifier: the model is not fitted .*coefs_.*supported: a fitted"):
        from_sklearn(MLPClassifier(hidden_layer_sizes=HIDDEN))


def test_refuses_poisson_regressor():
    model = fitted(MLPRegressor(hidden_layer_sizes=(3,), loss="poisson", max_iter=5, random_state=0),
                   lambda X: np.abs(X[:, 0]))
    with pytest.raises(InputError, match=r"MLPRegressor: out_activation_='exp' \(loss='poisson'\) is "
                                         r"not supported; supported: 'identity'"):
        from_sklearn(model)


def test_refuses_other_estimators():
    model = LinearRegression().fit(np.eye(2), [0.0, 1.0])
    with pytest.raises(InputError, match=r"LinearRegression: .*not supported; supported: MLPRegressor, MLPClassifier"):
        from_sklearn(model)


@pytest.mark.parametrize("bad, where", [(math.nan, r"layer 1, coefs_[1][2, 0]"),
                                        (math.inf, r"layer 1, intercepts_[1][4]")])
def test_refuses_non_finite_weights(bad, where):
    model = copy.deepcopy(regressor())
    if "coefs_" in where:
        model.coefs_[1][2, 0] = bad
    else:
        model.intercepts_[1][4] = bad
    with pytest.raises(InputError, match=re.escape(f"MLPRegressor: {where}: the weight is {bad!r}") + ".*finite"):
        from_sklearn(model)


def test_polyreg_imports_without_scikit_learn():
    blocked = ("import sys; sys.modules['sklearn'] = None; import polyreg, polyreg.formats.sklearn_models as m; "
               "assert 'sklearn' not in [k for k, v in sys.modules.items() if v is not None]; print(m.from_sklearn)")
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
