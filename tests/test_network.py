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
    activation = draw(st.sampled_from(list(network.ACTIVATIONS)))
    output = draw(st.sampled_from(network.OUTPUTS))
    if output == "softmax":  # softmax goes with cross-entropy, and y with Σₖ yₖ = 1
        kind, y = "cross-entropy", network.one_hot(draw(st.integers(0, sizes[-1] - 1)), sizes[-1])
    else:
        kind = draw(st.sampled_from(list(network.COSTS)))
        y = [draw(st.sampled_from([0.0, 1.0, 0.3])) for _ in range(sizes[-1])]
    net = Network(sizes, w, b, activation, output)
    # ReLU has a kink at z = 0, where no finite difference agrees with either side's slope
    assume(activation != "relu" or all(abs(z_i) > 1e-3 for z_l in net_z(net, x) for z_i in z_l))
    return net, x, y, kind


def net_z(net, x):
    """The hidden layers' weighted inputs z."""
    return network.feedforward(net, x)[0][:-1]


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


def test_the_default_network_is_the_videos():
    """Defaults unchanged: the same random numbers as before ReLU and softmax came, and σ."""
    net = network.new_network([784, 16, 16, 10], seed=0)
    assert (net.activation, net.output) == ("sigmoid", "sigmoid")
    assert net.w[0][0][0] == 0.03363269302430944 and net.b[0][0] == -0.20595547899986083
    assert net.w[2][9][15] == 0.20196307148078008 and net.b[2][9] == 1.136575472557488
    assert network.output(net, [0.5] * 784)[3] == 0.7953503894386408
    same = network.new_network([784, 16, 16, 10], 0, "sigmoid", "sigmoid")
    assert same.w == net.w and same.b == net.b
    assert repr(network.new_network([4, 3, 2], 1, "relu", "softmax")) == (
        "Network(sizes=[4, 3, 2], activation='relu', output='softmax')"
    )


def test_relu_networks_start_with_he_weights_and_zero_biases():
    net = network.new_network([784, 64, 10], seed=7, activation="relu")
    w1 = [v for row in net.w[0] for v in row]
    variance = sum(v * v for v in w1) / len(w1)
    assert 1.8 / 784 < variance < 2.2 / 784  # w ~ N(0, 2/fan_in)
    assert net.b == [[0.0] * 64, [0.0] * 10]
    tanh = network.new_network([784, 64, 10], seed=7, activation="tanh")
    assert tanh.w == network.new_network([784, 64, 10], seed=7).w  # tanh: N(0, 1/fan_in)


@given(st.lists(st.floats(-800, 800), min_size=1, max_size=12))
def test_softmax_is_positive_and_sums_to_one(z):
    a = network.softmax(z)
    assert all(a_k >= 0.0 for a_k in a) and math.isclose(sum(a), 1.0, rel_tol=1e-12)
    assert a[z.index(max(z))] == max(a)  # the largest z gets the largest output
    c = network.cost(a, network.one_hot(0, len(z)), z, "cross-entropy", "softmax")
    assert math.isfinite(c) and c >= 0.0


@given(st.floats(-30, 30).filter(lambda z: abs(z) > 1e-3), st.sampled_from(["relu", "tanh"]))
def test_each_activation_derivative_is_its_slope(z, activation):
    f, f_prime = network.ACTIVATIONS[activation]
    h = 1e-6
    assert math.isclose((f(z + h) - f(z - h)) / (2 * h), f_prime(z), abs_tol=1e-7)


def test_softmax_with_the_quadratic_cost_is_refused_in_one_line():
    for call in (
        lambda: network.cost_pair("quadratic", "softmax"),
        lambda: network.sgd_step(
            network.new_network([2, 2], output="softmax"), [([0, 1], [1.0, 0.0])], 1.0, "quadratic"
        ),
    ):
        try:
            call()
        except ValueError as e:
            assert str(e) == network.SOFTMAX_QUADRATIC and "\n" not in str(e)
        else:
            raise AssertionError("softmax + quadratic was accepted")
    for bad in (
        lambda: network.new_network([2, 2], activation="elu"),
        lambda: network.new_network([2, 2], output="relu"),
    ):
        try:
            bad()
        except ValueError as e:
            assert "unknown" in str(e)
        else:
            raise AssertionError("an unknown activation was accepted")


def test_an_engine_that_cannot_run_a_network_gives_way_to_plain(monkeypatch):
    from types import SimpleNamespace

    from tinynet import engines

    relu = network.new_network([6, 4, 3], seed=1, activation="relu", output="softmax")
    sigmoid_only = SimpleNamespace(ACTIVATIONS=("sigmoid",), OUTPUTS=("sigmoid",))
    monkeypatch.setitem(engines.MODULES, "lanes", sigmoid_only)
    monkeypatch.setitem(engines.MODULES, "loops", SimpleNamespace())  # no constants: sigmoid
    for name in ("lanes", "loops"):
        chosen, note = engines.engine_for(relu, name)
        assert chosen == "plain" and f"engine {name} has no relu" in note and "\n" not in note
        assert engines.engine_for(network.new_network([6, 4, 3]), name) == (name, None)
        try:
            engines.make_engine(relu, name)
        except ValueError as e:
            assert "--engine plain" in str(e)
        else:
            raise AssertionError(f"engine {name} took a relu network")
    softmax_no_hidden = network.new_network([6, 3], seed=1, activation="relu", output="softmax")
    assert "no softmax output" in engines.engine_for(softmax_no_hidden, "lanes")[1]
    assert engines.engine_for(relu, "plain") == ("plain", None)
    assert type(engines.make_engine(relu, None)).__name__ in ("Plain", "Lanes", "Loops")
