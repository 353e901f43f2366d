"""Exact numbers: rationals, affine maps, and the one FLINT matrix facade."""
