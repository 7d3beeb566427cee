import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinynet import gradcheck, network
from tinynet.network import Network


@st.composite
def small_problems(draw):
    """A random network (random depth and sizes), input, desired output and cost."""
    n_layers = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 5)) for _ in range(n_layers + 1)]
    weight = st.floats(-2.0, 2.0, allow_nan=False)
    w = [
        [[draw(weight) for _ in range(sizes[l])] for _ in range(sizes[l + 1])]
        for l in range(n_layers)
    ]
    b = [[draw(weight) for _ in range(sizes[l + 1])] for l in range(n_layers)]
    x = [draw(st.floats(0.0, 1.0)) for _ in range(sizes[0])]
    y = [draw(st.sampled_from([0.0, 1.0, 0.3])) for _ in range(sizes[-1])]
    kind = draw(st.sampled_from(list(network.COSTS)))
    return Network(sizes, w, b), x, y, kind


@settings(max_examples=60, deadline=None)
@given(small_problems())
def test_every_gradient_equals_a_finite_difference(problem):
    net, x, y, kind = problem
    params = [("b", l, i, None) for l in range(len(net.b)) for i in range(len(net.b[l]))]
    params += [
        ("w", l, i, j)
        for l in range(len(net.w))
        for i in range(len(net.w[l]))
        for j in range(len(net.w[l][i]))
    ]
    for param, l, i, j, analytic, numeric, _rel in gradcheck.compare(net, x, y, kind, params):
        # Relative error below 1e-6. A finite difference itself is only good to ~1e-10 (rounding
        # of C, divided by h), so gradients under 1e-3 are held to an absolute error of 1e-9.
        assert abs(analytic - numeric) <= 1e-6 * max(abs(analytic), abs(numeric), 1e-3), (
            param,
            l,
            i,
            j,
            analytic,
            numeric,
        )


def backprop_with_one_error(param, l, i, j, factor):
    """network.backprop, but with one entry of its ∂C/∂w (or ∂C/∂b) multiplied by `factor`."""

    def wrong(net, x, y, cost):
        dC_db, dC_dw, delta, z, a = network.backprop(net, x, y, cost)
        if param == "w":
            dC_dw[l][i][j] *= factor
        else:
            dC_db[l][i] *= factor
        return dC_db, dC_dw, delta, z, a

    return wrong


def test_a_wrong_gradient_is_caught(monkeypatch):
    """One ∂C/∂w of backprop's result off by 1 %: the check fails there, and only there."""
    net = network.new_network([3, 2, 2], seed=4)
    x, y = [0.2, 0.9, 0.5], [1.0, 0.0]
    params = [("w", 0, 1, 2), ("w", 0, 0, 2), ("w", 1, 1, 0), ("b", 0, 1, None)]
    assert all(row[6] < 1e-7 for row in gradcheck.compare(net, x, y, "quadratic", params))

    assert gradcheck.backprop is network.backprop  # compare() calls backprop by this name
    monkeypatch.setattr(gradcheck, "backprop", backprop_with_one_error("w", 0, 1, 2, 1.01))
    rows = gradcheck.compare(net, x, y, "quadratic", params)
    rel = {row[:4]: row[6] for row in rows}
    assert rel[("w", 0, 1, 2)] > 1e-3 > gradcheck.TOLERANCE
    assert all(r < 1e-7 for p, r in rel.items() if p != ("w", 0, 1, 2))


@settings(max_examples=40, deadline=None)
@given(small_problems(), st.data())
def test_any_wrong_gradient_is_caught(problem, data):
    """Whichever parameter backprop gets wrong, by 0.1 % or more, compare() shows it."""
    net, x, y, kind = problem
    params = [("b", l, i, None) for l in range(len(net.b)) for i in range(len(net.b[l]))]
    params += [
        ("w", l, i, j)
        for l in range(len(net.w))
        for i in range(len(net.w[l]))
        for j in range(len(net.w[l][i]))
    ]
    param = data.draw(st.sampled_from(params))
    ((*_, analytic, numeric, rel),) = gradcheck.compare(net, x, y, kind, [param])
    assume(abs(analytic) > 1e-4)  # a gradient of ~0 times any factor is still ~0
    assert rel < 1e-6
    factor = data.draw(st.sampled_from([0.9, 0.999, 1.001, 1.1, -1.0]))
    wrong = backprop_with_one_error(*param, factor)
    original, gradcheck.backprop = gradcheck.backprop, wrong
    try:
        ((*_, rel),) = gradcheck.compare(net, x, y, kind, [param])
    finally:
        gradcheck.backprop = original
    assert rel > 5e-4


def test_sigmoid_extremes_never_overflow():
    for z in (-1000.0, -745.0, -1e308, 1000.0, 1e308):
        s = network.sigmoid(z)
        assert 0.0 <= s <= 1.0
    assert network.sigmoid(1000.0) == 1.0
    assert network.sigmoid(-1000.0) == 0.0
    assert network.sigmoid(0.0) == 0.5
    assert network.sigmoid_prime(1000.0) == 0.0


@given(st.floats(-50, 50))
def test_sigmoid_is_symmetric(z):
    assert math.isclose(network.sigmoid(z) + network.sigmoid(-z), 1.0, rel_tol=1e-12)


def test_cross_entropy_cost_is_finite_when_saturated():
    c = network.cost([1.0, 0.0], [0.0, 1.0], [800.0, -800.0], "cross-entropy")
    assert math.isfinite(c) and c > 1000


def test_new_network_is_seeded_and_scaled():
    a = network.new_network([784, 16, 16, 10], seed=7)
    b = network.new_network([784, 16, 16, 10], seed=7)
    c = network.new_network([784, 16, 16, 10], seed=8)
    assert a.w == b.w and a.b == b.b and a.w != c.w
    w1 = [v for row in a.w[0] for v in row]
    variance = sum(v * v for v in w1) / len(w1)
    assert 0.8 / 784 < variance < 1.2 / 784  # w ~ N(0, 1/fan_in)


def test_sgd_step_lowers_the_cost_of_its_batch():
    net = network.new_network([4, 3, 2], seed=2)
    batch = [([1, 0, 0, 1], [1.0, 0.0]), ([0, 1, 1, 0], [0.0, 1.0])]
    before = network.sgd_step(net, batch, 0.5, "quadratic")
    after = sum(gradcheck.cost_of(net, x, y, "quadratic") for x, y in batch) / 2
    assert after < before
