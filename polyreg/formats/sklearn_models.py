"""scikit-learn multilayer perceptrons read exactly: ``MLPRegressor`` and ``MLPClassifier`` with ReLU (or identity)
hidden activations become an ``Mlp`` of ``Dense`` and ``Relu`` layers whose weights are the exact binary values of
the fitted float weights.

scikit-learn is not imported here: the model is recognised by its class name and read through its fitted
attributes (``activation``, ``coefs_``, ``intercepts_``), so polyreg imports without scikit-learn installed.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from ..errors import InputError
from ..exact.rationals import Mat, Vec
from ..network.ir import Dense, Layer, Mlp, Relu

# The estimators read, each with the output activations read (``out_activation_``) and what the network computes.
OUTPUTS: dict[str, dict[str, str]] = {
    "MLPRegressor": {"identity": "the prediction"},
    "MLPClassifier": {"softmax": "the logits before softmax", "logistic": "the logit(s) before the logistic"},
}

# The hidden activations read, each with the layers placed between two linear layers.
ACTIVATIONS: dict[str, tuple[Layer, ...]] = {"relu": (Relu(),), "identity": ()}


def from_sklearn(model: Any) -> Mlp:
    """The network of a fitted ``MLPRegressor`` or ``MLPClassifier`` (activation ``relu`` or ``identity``), exactly.

    Layer ``i`` is ``x -> coefs_[i].T x + intercepts_[i]``, with ``Relu`` between hidden layers (none for
    ``identity``). A regressor's network is its prediction; a classifier's is its logits before softmax, and for
    binary classification (one output unit in scikit-learn) the single logit of the positive class
    (``classes_[1]``) before the logistic (multilabel: one logit per label). A Poisson regressor (output
    ``exp``) is refused. Each float weight is its exact binary value ``Fraction(float(w))``.
    Anything else (another estimator, another activation, an unfitted model, a NaN or infinite weight) raises
    ``InputError``.
    """
    name = type(model).__name__
    hidden = supported_activation(model, name)
    coefs, intercepts = fitted_parameters(model, name)
    supported_output(model, name)
    dense = [dense_layer(W, b, i, name) for i, (W, b) in enumerate(zip(coefs, intercepts))]
    layers: list[Layer] = [dense[0]]
    for layer in dense[1:]:
        layers.extend(hidden)
        layers.append(layer)
    return Mlp(len(coefs[0]), tuple(layers))


def supported_activation(model: Any, name: str) -> tuple[Layer, ...]:
    """The layers between two linear layers of ``model``, or ``InputError`` if it is not a supported MLP."""
    if name not in OUTPUTS:
        raise InputError(f"{name}: this scikit-learn estimator is not supported; supported: "
                         f"{', '.join(OUTPUTS)} (with activation {' or '.join(map(repr, ACTIVATIONS))})")
    activation = getattr(model, "activation", None)
    if activation not in ACTIVATIONS:
        raise InputError(f"{name}: activation={activation!r} is not supported; supported: "
                         f"{', '.join(map(repr, ACTIVATIONS))} (piecewise-linear activations only)")
    return ACTIVATIONS[activation]


def fitted_parameters(model: Any, name: str) -> tuple[list[Any], list[Any]]:
    """``model.coefs_`` and ``model.intercepts_``, or ``InputError`` if the model is not fitted."""
    coefs, intercepts = getattr(model, "coefs_", None), getattr(model, "intercepts_", None)
    if coefs is None or intercepts is None:
        raise InputError(f"{name}: the model is not fitted (it has no attribute coefs_ / intercepts_); supported: "
                         "a fitted model (call fit first)")
    if not coefs or len(coefs) != len(intercepts):
        raise InputError(f"{name}: coefs_ has {len(coefs)} and intercepts_ {len(intercepts)} entries; expected the "
                         "same positive number (one per layer)")
    return list(coefs), list(intercepts)


def supported_output(model: Any, name: str) -> None:
    """``InputError`` unless ``model.out_activation_`` is one whose pre-activation polyreg reports."""
    output = getattr(model, "out_activation_", None)
    if output not in OUTPUTS[name]:
        raise InputError(f"{name}: out_activation_={output!r} (loss={getattr(model, 'loss', None)!r}) is not "
                         f"supported; supported: {', '.join(map(repr, OUTPUTS[name]))}")


def dense_layer(coef: Any, intercept: Any, i: int, name: str) -> Dense:
    """``Dense(coefs_[i].T, intercepts_[i])`` in exact rationals; ``coef`` is in x out, as scikit-learn stores it."""
    columns = tuple(zip(*coef.tolist()))        # coef is in x out: its columns are the weight's rows
    weight: Mat = tuple(tuple(exact(v, f"{name}: layer {i}, coefs_[{i}][{c}, {r}]") for c, v in enumerate(column))
                        for r, column in enumerate(columns))
    bias: Vec = tuple(exact(v, f"{name}: layer {i}, intercepts_[{i}][{r}]") for r, v in enumerate(intercept.tolist()))
    return Dense(weight, bias)


def exact(value: Any, where: str) -> Fraction:
    """The exact binary value of the float ``value``; NaN and infinities raise ``InputError`` naming ``where``."""
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{where}: the weight is {v!r}; supported: finite numbers")
    return Fraction(v)
