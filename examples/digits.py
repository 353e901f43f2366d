"""The regions of a handwritten-digit classifier on the plane through three digit images, and whether a copy with
8-bit weights predicts the same digits: train a small ReLU classifier on scikit-learn's digits (8x8 images, shipped
with scikit-learn), read it exactly, draw its cells and decision boundary on the plane through an image of a 0, a 1
and a 7, and compare its top class with an int8 copy's, on that plane and on a small box around the 0 (run: python
examples/digits.py [OUT.png [CERTIFICATE]]).
"""
import sys
import warnings
from fractions import Fraction

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import polyreg
from polyreg.analysis.classifiers import top_1
from polyreg.certificates.claims import answer_claim
from polyreg.certificates.write import certificate, write_certificate


def int8_copy(net: polyreg.Mlp) -> polyreg.Mlp:
    """``net`` with each layer's weights rounded to 8-bit integers times one scale (symmetric: the largest weight
    becomes 127); biases kept, as int8 inference keeps them in 32 bits."""
    layers = []
    for layer in net.layers:
        if isinstance(layer, polyreg.Dense):
            scale = max(abs(w) for row in layer.weight for w in row) / 127
            layer = polyreg.Dense(tuple(tuple(round(w / scale) * scale for w in row) for row in layer.weight),
                                  layer.bias)
        layers.append(layer)
    return polyreg.Mlp(net.input_dim, tuple(layers))


out = sys.argv[1] if len(sys.argv) > 1 else "build/digits_plane.png"
cert_path = sys.argv[2] if len(sys.argv) > 2 else "build/digits_int8_ball.json.gz"
digits = load_digits()
x, y = digits.data / 16, digits.target            # pixels in [0, 1], multiples of 1/16: exact in binary
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0).fit(x, y)
print(f"trained: accuracy {model.score(x, y):.3f} on the training images")

net = polyreg.from_sklearn(model)                 # 64 -> 16 relu -> 10 logits, the float64 weights exactly
a, b, c = (x[list(y).index(k)] for k in (0, 1, 7))
on = polyreg.plane(a, b, c)                       # a + s (b - a) + t (c - a), (s, t) in [-1/4, 5/4]^2
cpwl = polyreg.lower(net, on)
counts = polyreg.region_counts(cpwl)
print(f"{net} on the plane through a 0, a 1 and a 7: {counts.cells} cells, {counts.linear_regions} linear regions")
classes = [max(range(10), key=lambda k: polyreg.evaluate(net, on.point(t))[k]) for t in ([0, 0], [1, 0], [0, 1])]
print(f"predicted classes at the three images: {classes}")

ax = polyreg.plot(cpwl, boundary=True, labels=("s (0 -> 1)", "t (0 -> 7)"),
                  title=f"digits MLP 64-16-10 on the plane through a 0, a 1 and a 7: {counts.cells} cells")
for (s, t), label in zip(([0, 0], [1, 0], [0, 1]), ("0", "1", "7")):
    ax.plot([s], [t], "k*", markersize=12)
    ax.annotate(f"image of a {label}", (s, t), textcoords="offset points", xytext=(6, 6), fontsize=9)
ax.figure.savefig(out, dpi=110, bbox_inches="tight")
print(f"picture: {out}")

quantized = int8_copy(net)
on_plane = top_1(net, quantized, on)
w = on_plane.witness
print(f"int8 copy on the plane: {on_plane.word}" + ("" if w is None else
      f" at (s, t) = ({float(w.x[0]):.4f}, {float(w.x[1]):.4f}) (exact: {w.x[0]}, {w.x[1]}): the original's top "
      f"class {', '.join(map(str, w.classes[0]))}, the copy's {', '.join(map(str, w.classes[1]))}"))
ball = polyreg.around(a, Fraction(1, 64), clip=(0, 1))        # every pixel of the 0 moved by at most 1/64
in_ball = top_1(net, quantized, ball)
print(f"int8 copy within 1/64 of the 0 (64 inputs): {in_ball.word}, {in_ball.cells} cells, {in_ball.seconds:.1f} s")
if in_ball.refinement is not None:
    size = write_certificate(certificate(in_ball.refinement, answer_claim(in_ball)), cert_path).file_size
    print(f"certificate: {cert_path} ({size} bytes; check it with: polyreg check {cert_path})")
