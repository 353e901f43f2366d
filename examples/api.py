"""Count the regions of a network from Python, look at one cell, and certify a compiled
transformer (run: python examples/api.py)."""
from fractions import Fraction
from pathlib import Path

import polyreg

here = Path(__file__).parent
net = polyreg.load_network(here / "relu_2x8x8.json")
cpwl = polyreg.lower(net, polyreg.box(net.input_dim, -1, 1))    # exact cells on [-1, 1]^2
counts = polyreg.region_counts(cpwl)
print(f"activation regions {counts.activation_regions}, linear regions {counts.linear_regions}, "
      f"affine maps {counts.affine_maps}")

cell = cpwl.cells[0]
print("a cell:", len(cell.polyhedron.rows), "inequalities, interior point", [str(v) for v in cell.point])
print("pattern", cell.pattern, "map", cell.affine)

x = (Fraction(1, 3), Fraction(-1, 7))
assert cpwl(x) == polyreg.evaluate(net, x)      # the CPWL object agrees with direct evaluation
print("f(1/3, -1/7) =", polyreg.evaluate(net, x)[0])

# compile a maxout network into a hard-max transformer and certify the two equal on [-1, 1]^2
maxout = polyreg.load_network(here / "maxout_2x3x3.json")
domain = polyreg.box(2, -1, 1)
verdict = polyreg.certify(maxout, polyreg.compile_transformer(maxout, domain), domain)
print(verdict.word, "on", len(verdict.refinement.cells), "cells of the common refinement")
