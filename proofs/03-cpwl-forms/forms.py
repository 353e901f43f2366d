"""Two normal forms of continuous piecewise-linear (CPWL) functions R^d -> R, in exact arithmetic, and their
maxout networks (polyreg IR), which ``polyreg.compiler.maxout_to_transformer.compile_transformer`` turns into hard-max transformers.

* Wang-Sun form (Wang and Sun 2005, generalised hinging hyperplanes): ``f = sum_q s_q max{l_q1, ..., l_q,d+1}``
  with ``s_q`` in {+1, -1}.
* Lattice (max-min) form (Tarela and Martinez 1999; Ovchinnikov 2002): ``f = max_{i <= P} min_{j in S_i} l_j``
  over the ``Q'`` distinct affine components ``l_j`` of ``f``.

Also: the lattice form of a ReLU network read off its exact cells, and hand-made Wang-Sun forms.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations, product
from typing import Sequence

from polyreg import box, evaluate, lower
from polyreg.core.cpwl import Cell
from polyreg.geometry.oracle import vertices
from polyreg.geometry.polyhedron import Polyhedron
from polyreg.network.ir import Dense, Maxout, Mlp, Relu

Vec = tuple[Fraction, ...]
ZERO, ONE = Fraction(0), Fraction(1)


@dataclass(frozen=True, slots=True)
class Piece:
    """The affine function ``x -> slope . x + offset``."""
    slope: Vec
    offset: Fraction

    def __call__(self, x: Sequence[Fraction | int]) -> Fraction:
        return self.offset + sum((a * v for a, v in zip(self.slope, x)), ZERO)

    def negated(self) -> "Piece":
        return Piece(tuple(-a for a in self.slope), -self.offset)


def piece(slope: Sequence[Fraction | int], offset: Fraction | int) -> Piece:
    return Piece(tuple(Fraction(a) for a in slope), Fraction(offset))


@dataclass(frozen=True, slots=True)
class WangSun:
    """``f(x) = sum_q s_q max_j l_qj(x)``; every term has at most ``d + 1`` pieces."""
    dim: int
    terms: tuple[tuple[int, tuple[Piece, ...]], ...]

    def __post_init__(self) -> None:
        assert all(s in (1, -1) and 1 <= len(ps) <= self.dim + 1 for s, ps in self.terms), "not a Wang-Sun form"

    def __call__(self, x: Sequence[Fraction | int]) -> Fraction:
        return sum((s * max(p(x) for p in ps) for s, ps in self.terms), ZERO)


@dataclass(frozen=True, slots=True)
class Lattice:
    """``f(x) = max_i min_{j in sets[i]} pieces[j](x)``."""
    dim: int
    pieces: tuple[Piece, ...]
    sets: tuple[tuple[int, ...], ...]

    def __call__(self, x: Sequence[Fraction | int]) -> Fraction:
        values = [p(x) for p in self.pieces]
        return max(min(values[j] for j in S) for S in self.sets)

    @property
    def largest_set(self) -> int:
        return max(len(S) for S in self.sets)

    def without(self, i: int) -> "Lattice":
        """The same form with the term ``i`` left out."""
        return Lattice(self.dim, self.pieces, self.sets[:i] + self.sets[i + 1:])


def padded(items: Sequence, length: int) -> list:
    """``items`` extended to ``length`` by repeating its last element (a max or min is unchanged)."""
    return list(items) + [items[-1]] * (length - len(items))


def dense(pieces: Sequence[Piece]) -> Dense:
    """The linear layer whose outputs are the given affine functions."""
    return Dense(tuple(p.slope for p in pieces), tuple(p.offset for p in pieces))


def wang_sun_network(form: WangSun) -> Mlp:
    """One maxout layer of ``Q`` units of rank ``d + 1`` (terms padded with duplicates), readout weights ``s``."""
    rank = form.dim + 1
    rows = [p for _, ps in form.terms for p in padded(ps, rank)]
    readout = Dense(((tuple(Fraction(s) for s, _ in form.terms)),), (ZERO,))
    return Mlp(form.dim, (dense(rows), Maxout(rank), readout))


def lattice_network(form: Lattice) -> Mlp:
    """``max_i -max_{j in S_i} (-l_j)``: a maxout layer of ``P`` units of rank ``max |S_i|`` on the negated pieces,
    a linear layer negating, and one maxout unit of rank ``P``."""
    rank, P = form.largest_set, len(form.sets)
    rows = [form.pieces[j].negated() for S in form.sets for j in padded(S, rank)]
    negate = Dense(tuple(tuple(-ONE if a == b else ZERO for b in range(P)) for a in range(P)), (ZERO,) * P)
    return Mlp(form.dim, (dense(rows), Maxout(rank), negate, Maxout(P)))


@dataclass(frozen=True, slots=True)
class LatticeFromCells:
    """The lattice form of a network read off its cells, the number of distinct ``S_R`` before dropping supersets,
    and an exact interior point of every cell."""
    form: Lattice
    distinct_sets: int
    points: tuple[Vec, ...]

    @property
    def cells(self) -> int:
        return len(self.points)

    def essential_term(self, net: Mlp) -> int:
        """The first term whose removal changes the form at some cell's interior point (exact evaluation)."""
        values = [evaluate(net, x)[0] for x in self.points]
        return next(i for i in range(len(self.form.sets))
                    if any(self.form.without(i)(x) != v for x, v in zip(self.points, values)))


def lattice_of_network(net: Mlp, domain: Polyhedron) -> LatticeFromCells:
    """``f = max_R min_{j in S_R} l_j`` on ``domain``: ``l_1..l_Q'`` the distinct affine maps of the cells of ``f``,
    ``S_R = {j : l_j >= l_R on R}`` (decided at the vertices of the closed cell ``R``), identical sets merged and
    sets containing another set dropped (their minimum never exceeds the smaller set's)."""
    cells = lower(net, domain).cells
    pieces = distinct_pieces(cells)
    index = {p: j for j, p in enumerate(pieces)}
    sets = [above_on_cell(pieces, index[cell_piece(cell)], cell.polyhedron) for cell in cells]
    distinct = sorted(set(sets))
    return LatticeFromCells(Lattice(net.input_dim, tuple(pieces), tuple(minimal_sets(distinct))), len(distinct),
                            tuple(cell.point for cell in cells))


def cell_piece(cell: Cell) -> Piece:
    """The network's affine map on ``cell`` (one output) as a ``Piece``."""
    return Piece(tuple(cell.affine.A[0]), cell.affine.b[0])


def distinct_pieces(cells: Sequence[Cell]) -> list[Piece]:
    """The distinct affine maps over all cells, in order of first appearance."""
    return list(dict.fromkeys(cell_piece(cell) for cell in cells))


def above_on_cell(pieces: Sequence[Piece], i: int, cell: Polyhedron) -> tuple[int, ...]:
    """``{j : l_j >= l_i on the closed cell}``: a bounded polytope, so its vertices decide it exactly."""
    corners = vertices(cell.rows)
    return tuple(j for j, p in enumerate(pieces) if all(p(v) >= pieces[i](v) for v in corners))


def minimal_sets(sets: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """The distinct sets of the list that contain no other set of the list."""
    unique = list(dict.fromkeys(sets))
    as_sets = [frozenset(S) for S in unique]
    return [S for S, A in zip(unique, as_sets) if not any(B < A for B in as_sets)]


def wang_sun_of_line_network(net: Mlp, lo: Fraction | int, hi: Fraction | int) -> WangSun:
    """A CPWL ``f`` on ``[lo, hi]`` (d = 1) as ``l_0 + sum_k sign(c_k) max(0, |c_k| (x - t_k))``: ``l_0`` the map of
    the leftmost cell, ``t_k`` the breakpoints and ``c_k`` the slope jumps (at most 2 = d + 1 pieces a term)."""
    cells = sorted(lower(net, box(1, lo, hi)).cells, key=lambda c: c.point[0])
    first = cell_piece(cells[0])
    terms: list[tuple[int, tuple[Piece, ...]]] = [(1, (first,))]
    for left, right in zip(cells, cells[1:]):
        a, b = cell_piece(left), cell_piece(right)
        jump = b.slope[0] - a.slope[0]
        if jump:
            t = (a.offset - b.offset) / jump
            terms.append((1 if jump > 0 else -1, (piece([0], 0), piece([abs(jump)], -abs(jump) * t))))
    return WangSun(1, tuple(terms))


def absolute_value() -> WangSun:
    """``|x| = max(x, -x)``: Q = 1."""
    return WangSun(1, ((1, (piece([1], 0), piece([-1], 0))),))


def hat() -> WangSun:
    """The tent ``max(0, 1 - |x|) = max(0, x + 1) - max(0, 2x) + max(0, x - 1)``: Q = 3."""
    return WangSun(1, ((1, (piece([0], 0), piece([1], 1))), (-1, (piece([0], 0), piece([2], 0))),
                       (1, (piece([0], 0), piece([1], -1)))))


def pyramid() -> WangSun:
    """``max(0, 1 - |x1| - |x2|) = max(0, min_c a_c)``, ``a_c = 1 + c.x`` for ``c`` in {-1, 1}^2, is
    ``min_c max(0, a_c) = sum_{T nonempty} (-1)^{|T|+1} max({0} u T)`` (max-min identity). If ``T`` holds opposite
    planes, ``a_c + a_-c = 2`` so ``max T >= 1`` and the 0 is dropped; this leaves at most 3 = d + 1 arguments except
    for ``T`` = all four, ``max T = 1 + |x1| + |x2| = max(1 + x1, 1 - x1) + max(x2, -x2)``. Q = 16."""
    signs = list(product((1, -1), repeat=2))
    planes = {c: piece(c, 1) for c in signs}
    terms: list[tuple[int, tuple[Piece, ...]]] = []
    for size in (1, 2, 3):
        for T in combinations(signs, size):
            opposite = any((-c[0], -c[1]) in T for c in T)
            args = tuple(planes[c] for c in T) if opposite else (piece([0, 0], 0),) + tuple(planes[c] for c in T)
            terms.append(((-1) ** (size + 1), args))
    terms += [(-1, (piece([1, 0], 1), piece([-1, 0], 1))), (-1, (piece([0, 1], 0), piece([0, -1], 0)))]
    return WangSun(2, tuple(terms))


def relu_net(input_dim: int, layers: Sequence[tuple[Sequence[Sequence[int]], Sequence[int]]]) -> Mlp:
    """Dense layers ``(weight, bias)`` with a ReLU between consecutive ones."""
    out: list = []
    for n, (weight, bias) in enumerate(layers):
        out.append(Dense(tuple(tuple(Fraction(w) for w in row) for row in weight), tuple(Fraction(b) for b in bias)))
        if n < len(layers) - 1:
            out.append(Relu())
    return Mlp(input_dim, tuple(out))


def absolute_value_direct() -> Mlp:
    """``|x| = relu(x) + relu(-x)``."""
    return relu_net(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])


def hat_direct() -> Mlp:
    """``max(0, 1 - |x|) = relu(1 - relu(x) - relu(-x))``."""
    return relu_net(1, [([[1], [-1]], [0, 0]), ([[-1, -1]], [1]), ([[1]], [0])])


def pyramid_direct() -> Mlp:
    """``max(0, 1 - |x1| - |x2|) = relu(1 - relu(x1) - relu(-x1) - relu(x2) - relu(-x2))``."""
    return relu_net(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0] * 4), ([[-1] * 4], [1]), ([[1]], [0])])
