"""Hypothesis strategies: small exact networks that are often degenerate on purpose."""
from fractions import Fraction as F

from hypothesis import strategies as st

from polyreg import Dense, Maxout, Mlp, Relu

# few distinct values, zero included, so coincident and constant units come up often
small = st.sampled_from([F(-1), F(-1, 2), F(0), F(0), F(1, 3), F(1, 2), F(1), F(2)])


@st.composite
def dense(draw, fan_in, fan_out):
    weight = tuple(tuple(draw(small) for _ in range(fan_in)) for _ in range(fan_out))
    if fan_out > 1 and draw(st.booleans()):            # a duplicated row: coincident units
        weight = weight[:-1] + (weight[0],)
    return Dense(weight, tuple(draw(small) for _ in range(fan_out)))


@st.composite
def networks(draw, max_dim=2, max_units=6):
    d = draw(st.integers(1, max_dim))
    layers, width, units = [], d, 0
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            n = draw(st.integers(1, 4))
            layers += [draw(dense(width, n)), Relu()]
        else:
            k, n = draw(st.integers(2, 3)), draw(st.integers(1, 2))
            layers += [draw(dense(width, n * k)), Maxout(k)]
        width, units = n, units + n
        if units >= max_units:
            break
    layers.append(draw(dense(width, draw(st.integers(1, 2)))))
    return Mlp(d, tuple(layers))


points = st.lists(st.fractions(-1, 1, max_denominator=12), min_size=3, max_size=3)
