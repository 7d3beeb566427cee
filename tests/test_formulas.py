"""tinynet/formulas.py: the video's per-weight formulas give backprop's gradient.

The formulas and backprop multiply the same numbers but add them in a different order (the
formulas sum over k inside, backprop sums over k first into δ⁽²⁾ and then over h). Rounding
each of N additions and m multiplications costs at most one unit in the last place (u = 2⁻⁵³)
relative to the size of what is being added, so the two results differ by at most about
(N + m) · u · Σ|terms| each, where Σ|terms| is the same sum with every factor replaced by its
absolute value (what the rounding errors are relative to; the result itself can be far
smaller when the terms cancel), plus, for results so close to 0 that floats are subnormal, one
smallest float per operation. The tests allow twice that: the sum of both methods' bounds.
"""

import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynet import formulas, network
from tinynet.explain import example_digit

STEP_THROUGH = Path(__file__).resolve().parent.parent / "examples" / "step_through.py"
U = 2.0**-53  # the unit roundoff of a float
TINY = math.ulp(0.0)  # the absolute error a rounding can add near 0, where floats are subnormal
COSTS = ("quadratic", "cross-entropy")


def error_factors(net, z, a, y, cost):
    """|δ⁽³⁾ₖ| for every output k."""
    if cost == "quadratic":
        return [
            abs(2.0 * (a[3][k] - y[k]) * network.sigmoid_prime(z[2][k]))
            for k in range(net.sizes[3])
        ]
    return [abs(a[3][k] - y[k]) for k in range(net.sizes[3])]


def magnitude(net, z, a, y, layer, i, j, cost):
    """Σ|terms| and the number of terms N of the formula for ∂C/∂w⁽ˡᵃʸᵉʳ⁾ᵢⱼ (j None: ∂C/∂b)."""
    e = error_factors(net, z, a, y, cost)
    a_j = 1.0 if j is None else abs(a[layer - 1][j])
    n2, n3 = net.sizes[2], net.sizes[3]
    if layer == 3:
        return e[i] * a_j, 1
    f_prime = network.ACTIVATIONS[net.activation][1]
    if layer == 2:
        s = sum(e[k] * abs(net.w[2][k][i]) for k in range(n3))
        return f_prime(z[1][i]) * a_j * s, n3
    s = sum(
        e[k] * abs(net.w[2][k][h]) * f_prime(z[1][h]) * abs(net.w[1][h][i])
        for k in range(n3)
        for h in range(n2)
    )
    return f_prime(z[0][i]) * a_j * s, n3 * n2 + n3


def tolerance(net, z, a, y, layer, i, j, cost):
    size, n = magnitude(net, z, a, y, layer, i, j, cost)
    return 2 * (n + 8) * (U * size + TINY)


@st.composite
def cases(draw):
    """A random network with three weight layers of small random sizes, any activation and
    output, an input and a y."""
    sizes = [draw(st.integers(1, 6)) for _ in range(4)]
    weight = st.floats(-4.0, 4.0, allow_nan=False)
    w = [[[draw(weight) for _ in range(sizes[l])] for _ in range(sizes[l + 1])] for l in range(3)]
    b = [[draw(weight) for _ in range(sizes[l + 1])] for l in range(3)]
    x = [draw(st.floats(0.0, 1.0)) for _ in range(sizes[0])]
    y = network.one_hot(draw(st.integers(0, sizes[3] - 1)), sizes[3])
    activation = draw(st.sampled_from(list(network.ACTIVATIONS)))
    output = draw(st.sampled_from(network.OUTPUTS))
    return network.Network(sizes, w, b, activation, output), x, y


@given(cases(), st.sampled_from(COSTS))
def test_every_gradient_equals_backprop(case, cost):
    net, x, y = case
    if net.output == "softmax":
        cost = "cross-entropy"  # softmax goes with cross-entropy only
    dC_db, dC_dw = network.backprop(net, x, y, cost)[:2]
    z, a = network.feedforward(net, x)
    for layer in (1, 2, 3):
        for i in range(net.sizes[layer]):
            tol = tolerance(net, z, a, y, layer, i, None, cost)
            got = formulas.dC_db(net, x, y, layer, i, cost)
            assert abs(got - dC_db[layer - 1][i]) <= tol, (layer, i)
            for j in range(net.sizes[layer - 1]):
                tol = tolerance(net, z, a, y, layer, i, j, cost)
                got = formulas.dC_dw(net, x, y, layer, i, j, cost)
                assert abs(got - dC_dw[layer - 1][i][j]) <= tol, (layer, i, j)


@given(st.integers(0, 2**32 - 1), st.sampled_from(COSTS))
def test_full_size_network_sampled_weights(seed, cost):
    """784-16-16-10 with random weights and the bundled digit: a sample of weights per layer."""
    net = network.new_network(seed=seed)
    x, digit = example_digit()
    y = network.one_hot(digit)
    rng = random.Random(seed)
    dC_db, dC_dw = network.backprop(net, x, y, cost)[:2]
    forward = network.feedforward(net, x)
    z, a = forward
    ink = [j for j, v in enumerate(x) if v > 0]
    for layer in (1, 2, 3):
        for _ in range(4):
            i = rng.randrange(net.sizes[layer])
            j = rng.choice(ink) if layer == 1 else rng.randrange(net.sizes[layer - 1])
            got = formulas.dC_dw(net, x, y, layer, i, j, cost, forward)
            assert got != 0.0
            assert abs(got - dC_dw[layer - 1][i][j]) <= tolerance(net, z, a, y, layer, i, j, cost)
            got = formulas.dC_db(net, x, y, layer, i, cost, forward)
            assert abs(got - dC_db[layer - 1][i]) <= tolerance(net, z, a, y, layer, i, None, cost)


def test_the_output_layer_is_the_same_arithmetic_bit_for_bit():
    """w⁽³⁾ and b⁽³⁾ multiply the same numbers in the same order as backprop: no tolerance."""
    net = network.new_network([5, 4, 3, 6], seed=3)
    x, y = [0.1, 0.9, 0.0, 0.3, 1.0], network.one_hot(2, 6)
    for cost in COSTS:
        dC_db, dC_dw = network.backprop(net, x, y, cost)[:2]
        for i in range(6):
            assert formulas.dC_db(net, x, y, 3, i, cost) == dC_db[2][i]
            for j in range(3):
                assert formulas.dC_dw(net, x, y, 3, i, j, cost) == dC_dw[2][i][j]


def test_gradient_has_backprops_shape_and_values():
    net = network.new_network([6, 5, 4, 3], seed=7)
    x, y = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], network.one_hot(1, 3)
    by_formulas = formulas.gradient(net, x, y)
    by_backprop = network.backprop(net, x, y, "quadratic")[:2]
    assert [len(b) for b in by_formulas[0]] == [5, 4, 3]
    assert [[len(r) for r in w] for w in by_formulas[1]] == [[6] * 5, [5] * 4, [4] * 3]
    for f, b in zip(by_formulas[0], by_backprop[0]):
        assert all(math.isclose(p, q, rel_tol=1e-12, abs_tol=1e-300) for p, q in zip(f, b))


def test_a_cost_change_changes_the_answer():
    """The cost argument is used: the two costs give different gradients for the same example."""
    net = network.new_network([4, 3, 3, 2], seed=2)
    x, y = [0.5, 0.5, 1.0, 0.0], [1.0, 0.0]
    q = formulas.dC_dw(net, x, y, 1, 0, 0, "quadratic")
    c = formulas.dC_dw(net, x, y, 1, 0, 0, "cross-entropy")
    assert q != c


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda net, x, y: formulas.dC_dw(net, x, y, 0, 0, 0), "layer is 1, 2 or 3"),
        (lambda net, x, y: formulas.dC_dw(net, x, y, 4, 0, 0), "layer is 1, 2 or 3"),
        (lambda net, x, y: formulas.dC_dw(net, x, y, 2, 3, 0), "neurons i = 0 … 2"),
        (lambda net, x, y: formulas.dC_dw(net, x, y, 1, 0, -1), "inputs j = 0 … 3"),
        (lambda net, x, y: formulas.dC_db(net, x, y, 3, 2), "neurons i = 0 … 1"),
        (lambda net, x, y: formulas.dC_db(net, x, y, 3, 0, "squared"), "unknown cost"),
    ],
)
def test_bad_arguments_say_what_is_allowed(call, message):
    net = network.new_network([4, 3, 3, 2], seed=2)
    with pytest.raises(ValueError, match=message):
        call(net, [0.0] * 4, [1.0, 0.0])


def test_only_three_weight_layers():
    net = network.new_network([4, 3, 2], seed=2)
    with pytest.raises(ValueError, match="three weight layers"):
        formulas.dC_db(net, [0.0] * 4, [1.0, 0.0], 1, 0)


# --- the multiplication counts: counted on the real code, with floats that count


class Counter:
    n = 0


class Counted(float):
    """A float that counts every multiplication it takes part in, and passes that on."""

    def __mul__(self, other):
        Counter.n += 1
        return Counted(float(self) * float(other))

    __rmul__ = __mul__

    def __add__(self, other):
        return Counted(float(self) + float(other))

    __radd__ = __add__

    def __sub__(self, other):
        return Counted(float(self) - float(other))

    def __rsub__(self, other):
        return Counted(float(other) - float(self))


@pytest.mark.parametrize("sizes", [(5, 4, 3, 2), (3, 2, 6, 4), (1, 1, 1, 1)])
@pytest.mark.parametrize("cost", COSTS)
def test_multiplication_counts_are_what_the_code_does(monkeypatch, sizes, cost):
    plain_sigmoid = network.sigmoid
    monkeypatch.setattr(network, "sigmoid", lambda z: Counted(plain_sigmoid(z)))
    net = network.new_network(sizes, seed=4)
    net.w = [[[Counted(w) for w in row] for row in w_l] for w_l in net.w]
    net.b = [[Counted(b) for b in b_l] for b_l in net.b]
    x = [Counted(0.3 + 0.1 * j) for j in range(sizes[0])]
    y = network.one_hot(0, sizes[3])
    expected = formulas.multiplications(sizes, cost)

    Counter.n = 0
    forward = network.feedforward(net, x)
    assert Counter.n == expected["forward"]

    Counter.n = 0
    for layer in (1, 2, 3):
        for i in range(sizes[layer]):
            formulas.dC_db(net, x, y, layer, i, cost, forward)
            for j in range(sizes[layer - 1]):
                formulas.dC_dw(net, x, y, layer, i, j, cost, forward)
    assert Counter.n == expected["formulas"]

    Counter.n = 0
    network.backprop(net, x, y, cost)
    assert Counter.n == expected["backprop"] + expected["forward"]


# --- examples/step_through.py: the formulas stage, and quitting the debugger


def run_step_through(args, stdin=None):
    return subprocess.run(
        [sys.executable, str(STEP_THROUGH), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.mark.parametrize("cost", COSTS)
def test_step_through_shows_formulas_next_to_backprop(cost):
    r = run_step_through(["--cost", cost, "--seed", "2"])
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "STAGE 6  the video's formulas" in out and "STAGE 8" in out
    net = network.new_network(seed=2)
    x, digit = example_digit()
    y = network.one_hot(digit)
    dC_dw = network.backprop(net, x, y, cost)[1]
    for l in (1, 2, 3):  # the weight with the largest gradient of each layer, both ways
        g, i, j = max(
            ((v, i, j) for i, row in enumerate(dC_dw[l - 1]) for j, v in enumerate(row)),
            key=lambda e: abs(e[0]),
        )
        by_formula = formulas.dC_dw(net, x, y, l, i, j, cost)
        assert f"formulas.dC_dw(net, x, y, {l:d}, {i:d}, {j:d})" in out
        assert f"= {by_formula!r}\n" in out
        assert f"backprop: dC_dw[{l - 1:d}][{i:d}][{j:d}]" in out and f"= {g!r} " in out
    counts = formulas.multiplications(net.sizes, cost)
    assert f"by the formulas: {counts['formulas']:>11,d} multiplications" in out
    assert f"by backprop:     {counts['backprop']:>11,d} multiplications" in out


@pytest.mark.parametrize("quit_at", [1, 4])
def test_step_through_q_at_a_break_stop_ends_quietly(quit_at):
    """Issue #9: `q` at a --break stop used to end with a bdb.BdbQuit traceback."""
    r = run_step_through(["--break"], stdin="c\n" * (quit_at - 1) + "q\n")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "BdbQuit" not in r.stderr
    assert "stopped: you quit the debugger (q)" in r.stdout
    assert f"STAGE {quit_at:d}" in r.stdout and f"STAGE {quit_at + 1:d}" not in r.stdout


def test_the_hidden_layers_activation_is_used():
    """The same weights with σ, ReLU and tanh hidden layers: three different ∂C/∂w⁽¹⁾, each
    backprop's; softmax with the quadratic cost is refused, as network.py refuses it."""
    base = network.new_network([4, 3, 3, 2], seed=2)
    x, y = [0.5, 0.5, 1.0, 0.0], [1.0, 0.0]
    seen = set()
    for activation in network.ACTIVATIONS:
        net = network.Network(base.sizes, base.w, base.b, activation, "softmax")
        got = formulas.dC_dw(net, x, y, 1, 0, 0, "cross-entropy")
        assert math.isclose(got, network.backprop(net, x, y)[1][0][0][0], rel_tol=1e-12)
        seen.add(got)
    assert len(seen) == 3
    with pytest.raises(ValueError, match="softmax"):
        formulas.dC_db(net, x, y, 1, 0, "quadratic")
