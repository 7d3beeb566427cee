"""The fast engines compute the same step as network.py, and training is deterministic."""

import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tinynet import engines as fast
from tinynet import network
from tinynet.engines import lanes, loops


def random_images(seed, n, size=784, ink=0.2):
    rng = random.Random(seed)
    return [
        bytes(rng.randrange(1, 256) if rng.random() < ink else 0 for _ in range(size))
        for _ in range(n)
    ]


def max_difference(a, b):
    dw = max(
        abs(x - y) for wa, wb in zip(a.w, b.w) for ra, rb in zip(wa, wb) for x, y in zip(ra, rb)
    )
    db = max(abs(x - y) for ba, bb in zip(a.b, b.b) for x, y in zip(ba, bb))
    return max(dw, db)


@settings(max_examples=25, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 12), min_size=1, max_size=2),
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(list(network.COSTS)),
    engine=st.sampled_from(["lanes", "loops"]),
    m=st.integers(1, 6),
    eta=st.sampled_from([0.1, 0.5, 3.0]),
)
def test_one_batch_equals_network_sgd_step(hidden, seed, kind, engine, m, eta):
    sizes = [30] + hidden + [10]
    net = network.new_network(sizes, seed=seed)
    images = random_images(seed, m, size=30, ink=0.5)
    labels = [random.Random(seed + k).randrange(10) for k in range(m)]
    reference = network.copy_network(net)
    ref_cost = network.sgd_step(
        reference,
        [([p / 255 for p in im], network.one_hot(d)) for im, d in zip(images, labels)],
        eta,
        kind,
    )
    e = fast.make_engine(net, engine)
    seen = []
    e.train(
        [[fast.sparse(im) + (d,) for im, d in zip(images, labels)]],
        eta,
        kind,
        lambda n, c, k: seen.append((n, c)),
    )
    assert max_difference(e.network(), reference) < 1e-9
    assert seen[0][0] == m and abs(seen[0][1] / m - ref_cost) < 1e-9


# Every output layer with every cost network.py trains it with (softmax: cross-entropy only).
OUTPUTS_AND_COSTS = [
    (o, c)
    for o in network.OUTPUTS
    for c in network.COSTS
    if o == "sigmoid" or c in network.SOFTMAX_COSTS
]


# Any depth (0–4 hidden layers) and width up to 80: loops writes out layers of at most
# loops.WRITTEN_OUT = 64 neurons and keeps the loops of wider ones. At most 6 examples: lanes
# rounds each example's first-layer step to whole units (of 2⁻⁴⁰/255) before multiplying it by
# a pixel byte, an error of at most 6 · ½ · 255 · 2⁻⁴⁰/255 ≈ 7e-10 per weight.
@settings(max_examples=60, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 80), min_size=0, max_size=4),
    activation=st.sampled_from(sorted(network.ACTIVATIONS)),
    output_and_cost=st.sampled_from(OUTPUTS_AND_COSTS),
    engine=st.sampled_from(["lanes", "loops"]),
    m=st.integers(1, 6),
    eta=st.sampled_from([0.1, 0.5, 3.0]),
    seed=st.integers(0, 10**6),
)
@example(  # a whole ReLU layer dead for one example: later z are exactly b = 0, and ReLU′(0) = 0
    hidden=[3, 32, 53, 4],
    activation="relu",
    output_and_cost=("sigmoid", "quadratic"),
    engine="lanes",
    m=5,
    eta=0.1,
    seed=204,
)
def test_every_activation_output_and_cost_at_any_depth_equals_network_py(
    hidden, activation, output_and_cost, engine, m, eta, seed
):
    output, cost = output_and_cost
    sizes = [30] + hidden + [10]
    net = network.new_network(sizes, seed=seed, activation=activation, output=output)
    images = random_images(seed, m, size=30, ink=0.5)
    labels = [random.Random(seed + k).randrange(10) for k in range(m)]
    e = fast.make_engine(net, engine)
    for image in images:  # the outputs: network.feedforward
        expected = network.output(net, [p / 255 for p in image])
        assert max(abs(x - y) for x, y in zip(e.output(image), expected)) < 1e-9
    reference = network.copy_network(net)  # one training step: network.sgd_step
    examples = [([p / 255 for p in im], network.one_hot(d)) for im, d in zip(images, labels)]
    ref_cost = network.sgd_step(reference, examples, eta, cost)
    seen = []
    batch = [fast.sparse(im) + (d,) for im, d in zip(images, labels)]
    e.train([batch], eta, cost, lambda n, c, k: seen.append(c / n))
    got = e.network()
    assert (got.activation, got.output) == (activation, output)
    assert max_difference(got, reference) < 1e-9
    assert abs(seen[0] - ref_cost) < 1e-9


def test_the_fast_engines_run_every_activation_and_output():
    for engine in (lanes, loops):
        assert set(engine.ACTIVATIONS) == set(network.ACTIVATIONS)
        assert set(engine.OUTPUTS) == set(network.OUTPUTS) == {"sigmoid", "softmax"}
    net = network.new_network([30, 5, 10], seed=1, activation="relu", output="softmax")
    assert fast.engine_for(net) == (fast.default_engine(), None)


@pytest.mark.parametrize("engine", ["lanes", "loops"])
def test_softmax_with_the_quadratic_cost_is_refused_as_network_py_does(engine):
    net = network.new_network([30, 5, 10], seed=1, output="softmax")
    batch = [fast.sparse(im) + (3,) for im in random_images(1, 2, size=30)]
    with pytest.raises(ValueError, match=network.SOFTMAX_QUADRATIC):
        fast.make_engine(net, engine).train([batch], 0.5, "quadratic")


@pytest.mark.parametrize("engine", ["lanes", "loops", "plain"])
def test_output_equals_network_output(engine):
    net = network.new_network([784, 16, 16, 10], seed=3)
    e = fast.make_engine(net, engine)
    for image in random_images(1, 5) + [bytes(784), bytes([255]) + bytes(783)]:
        expected = network.output(net, [p / 255 for p in image])
        got = e.output(image)
        assert max(abs(x - y) for x, y in zip(got, expected)) < 1e-9


@pytest.mark.parametrize("engine", ["lanes", "loops"])
def test_same_start_same_batches_same_weights_bit_for_bit(engine):
    images = random_images(5, 40)
    data = [fast.sparse(im) + (k % 10,) for k, im in enumerate(images)]
    results = []
    for _ in range(2):
        e = fast.make_engine(network.new_network(seed=9), engine)
        e.train([data[k : k + 10] for k in range(0, 40, 10)], 0.5, "cross-entropy")
        results.append(e.network())
    assert results[0].w == results[1].w and results[0].b == results[1].b


def test_lanes_state_round_trips_exactly():
    net = network.new_network(seed=11)
    e = fast.make_engine(net, "lanes")
    data = [fast.sparse(im) + (3,) for im in random_images(2, 10)]
    e.train([data], 0.5, "quadratic")
    again = fast.make_engine(e.network(), "lanes", exact=e.state())
    assert again.W1 == e.W1 and again.w == e.w and again.b == e.b


@given(st.lists(st.integers(-(2**62), 2**62 - 1), min_size=1, max_size=20))
def test_pack_then_unpack_gives_back_every_64_bit_lane(values):
    assert list(lanes._unpacker(len(values))(lanes.pack(values))) == values


@pytest.mark.parametrize("engine", ["lanes", "loops", "plain"])
def test_scale_weights_multiplies_every_weight_and_no_bias(engine):
    net = network.new_network([784, 16, 16, 10], seed=12)
    e = fast.make_engine(net, engine)
    e.scale(0.75)
    got = e.network()
    expected = network.Network(
        net.sizes, [[[0.75 * w for w in row] for row in w_l] for w_l in net.w], net.b
    )
    assert max_difference(got, expected) < 1e-12
    assert got.b == net.b


@given(
    st.integers(1, 20).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.floats(-50, 50), min_size=n, max_size=n), min_size=1, max_size=5),
            st.lists(st.floats(-50, 50), min_size=n, max_size=n),
        )
    )
)
def test_dots_by_distances_equal_plain_dot_products(us_and_v):
    us, v = us_and_v
    got = lanes.dots([tuple(u) for u in us], [lanes.norm2(u) for u in us], v)
    for u, g in zip(us, got):
        plain = sum(u_k * v_k for u_k, v_k in zip(u, v))
        scale = sum(u_k * u_k for u_k in u) + sum(v_k * v_k for v_k in v)
        assert abs(g - plain) <= 1e-14 * scale + 1e-300


@given(st.binary(min_size=0, max_size=900))
def test_sparse_keeps_exactly_the_non_zero_pixels(image):
    nz, p = fast.sparse(image)
    assert list(nz) == [j for j in range(len(image)) if image[j] != 0]
    assert bytes(p) == bytes(image[j] for j in nz)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    hidden=st.sampled_from([3, 70]),  # packed by shifts, and through struct (over 64 lanes)
    log_eta=st.floats(0, 12),
    m=st.integers(1, 3),
)
@example(seed=1, hidden=3, log_eta=7.5, m=2)  # silently wrong before the guard
@example(seed=1, hidden=70, log_eta=12.0, m=2)
def test_lanes_raise_overflow_error_rather_than_carry_into_the_next_lane(seed, hidden, log_eta, m):
    # A huge step (an enormous η) takes a first-layer lane past 2⁶³: the engine must say so
    # (train.py turns it into "training diverged"), never hand back corrupted weights.
    eta = 10**log_eta
    net = network.new_network([30, hidden, 10], seed=seed)
    images = random_images(seed, m, size=30, ink=0.5)
    labels = [random.Random(seed + k).randrange(10) for k in range(m)]
    reference = network.copy_network(net)
    batch = [([p / 255 for p in im], network.one_hot(d)) for im, d in zip(images, labels)]
    network.sgd_step(reference, batch, eta, "cross-entropy")
    reach = max(sum(map(abs, row)) + abs(b) for row, b in zip(reference.w[0], reference.b[0]))
    e = fast.make_engine(net, "lanes")
    examples = [fast.sparse(im) + (d,) for im, d in zip(images, labels)]
    for _ in range(2):  # the second batch's forward pass reads the first one's weights
        try:
            e.train([examples], eta, "cross-entropy")
        except OverflowError as error:
            assert "64-bit" in str(error)
            return
        if _ == 0:
            got = e.network()
            # no error: every weight is network.py's (to fixed-point rounding), within the lanes
            assert reach < lanes.LANE_REACH
            for l in range(2):
                for row, ref_row in zip(got.w[l], reference.w[l]):
                    for w, ref in zip(row, ref_row):
                        assert abs(w - ref) <= 1e-9 * max(1.0, abs(ref))
