"""Polyhedra and domains; the oracle (the only caller of cddlib)."""
