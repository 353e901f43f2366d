"""The regions of a handwritten-digit classifier on the plane through three digit images: train a small ReLU
classifier on scikit-learn's digits (8x8 images, shipped with scikit-learn), read it exactly, and draw its cells and
decision boundary on the plane through an image of a 0, a 1 and a 7 (run: python examples/digits.py [OUT.png]).
"""
import sys
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import polyreg

out = sys.argv[1] if len(sys.argv) > 1 else "build/digits_plane.png"
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
