"""The loops engine's generated kernels compute exactly what the plain loops they stand for do."""

import inspect
import linecache
import random
import re
import textwrap
import traceback

from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import engines as fast
from tinynet import network
from tinynet.engines import listmath, loops, pixels


def random_floats(rng, n, scale=1.0):
    return [rng.gauss(0.0, scale) for _ in range(n)]


def random_image(rng, size, ink=0.4):
    return bytes(rng.randrange(1, 256) if rng.random() < ink else 0 for _ in range(size))


# Up to 80 neurons: more than loops.WRITTEN_OUT (64) keep their loops (wide_dense_source).
@settings(max_examples=40, deadline=None)
@given(
    n_in=st.integers(1, 80),
    n_out=st.integers(1, 80),
    m=st.integers(1, 4),
    seed=st.integers(0, 10**6),
)
def test_dense_kernels_equal_the_plain_double_loops(n_in, n_out, m, seed):
    rng = random.Random(seed)
    k = loops.dense_kernels(n_in, n_out)
    w, b = random_floats(rng, n_in * n_out), random_floats(rng, n_out)
    a = [[rng.random() for j in range(n_in)] for x in range(m)]
    delta = [random_floats(rng, n_out) for x in range(m)]

    z = []
    for a_x in a:  # zᵢ = bᵢ + Σⱼ wᵢⱼ aⱼ
        z_x = []
        for i in range(n_out):
            total = b[i]
            for j in range(n_in):
                total += w[i * n_in + j] * a_x[j]
            z_x.append(total)
        z.append(z_x)
    assert k["forward"](w, b, a) == z

    back = []
    for d, a_x in zip(delta, a):  # (BP2) aⱼ(1 − aⱼ) Σᵢ wᵢⱼ δᵢ
        back_x = []
        for j in range(n_in):
            s = 0.0
            for i in range(n_out):
                s += w[i * n_in + j] * d[i]
            back_x.append(a_x[j] * (1.0 - a_x[j]) * s)
        back.append(back_x)
    assert k["backward"](w, delta, a) == back

    step = 0.01
    w_plain, b_plain = list(w), list(b)
    for d, a_x in zip(delta, a):  # (BP4), (BP3)
        for i in range(n_out):
            b_plain[i] -= step * d[i]
            for j in range(n_in):
                w_plain[i * n_in + j] -= step * d[i] * a_x[j]
    k["update"](w, b, step, delta, a)
    assert w == w_plain and b == b_plain


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 80), size=st.integers(1, 40), m=st.integers(1, 4), seed=st.integers(0, 10**6)
)
def test_first_layer_kernels_equal_the_plain_loops_over_the_non_zero_pixels(n, size, m, seed):
    rng = random.Random(seed)
    k = loops.first_layer_kernels(n)
    w0, b0 = random_floats(rng, size * n), random_floats(rng, n)  # w0[j * n + i] = w⁽¹⁾ᵢⱼ
    images = [random_image(rng, size) for x in range(m)]
    batch = [pixels.sparse(image) + (None,) for image in images]

    z = []
    for image in images:  # z⁽¹⁾ᵢ = b⁽¹⁾ᵢ + Σⱼ w⁽¹⁾ᵢⱼ xⱼ over the pixels that are not 0
        z_x = list(b0)
        for j in range(size):
            if image[j]:
                for i in range(n):
                    z_x[i] += w0[j * n + i] * pixels.PIXEL[image[j]]
        z.append(z_x)
    assert k["forward"](w0, b0, batch) == z
    assert [k["forward_image"](w0, b0, image) for image in images] == z

    step, delta = 0.01, [random_floats(rng, n) for x in range(m)]
    w_plain, b_plain = list(w0), list(b0)
    for image, d in zip(images, delta):
        for i in range(n):
            b_plain[i] -= step * d[i]
            for j in range(size):
                if image[j]:
                    w_plain[j * n + i] -= step * d[i] * pixels.PIXEL[image[j]]
    k["update"](w0, b0, step, delta, batch)
    assert w0 == w_plain and b0 == b_plain


@given(n=st.integers(1, 80), seed=st.integers(0, 10**6), f=st.sampled_from(listmath.HIDDEN))
def test_activations_kernel_equals_listmath_bit_for_bit(n, seed, f):
    rng = random.Random(seed)
    z = [
        random_floats(rng, n, 10.0),
        [rng.choice([-800.0, -700.0, -699.0, 0.0, -0.0, 700.0, 800.0]) for i in range(n)],
    ]
    assert loops.activations_kernel(n, f)(z) == [listmath.LAYER[f](z_x) for z_x in z]


@settings(max_examples=40, deadline=None)
@given(
    n_in=st.integers(1, 80),
    n_out=st.integers(1, 80),
    seed=st.integers(0, 10**6),
    f=st.sampled_from(listmath.HIDDEN),
)
def test_dense_backward_is_bp2_with_the_derivative_of_network_py(n_in, n_out, seed, f):
    rng = random.Random(seed)
    f_z, f_prime = network.ACTIVATIONS[f]
    w, d = random_floats(rng, n_in * n_out), random_floats(rng, n_out)
    z = [0.0] + random_floats(rng, n_in - 1, 3.0)  # and z = 0, where relu′ is 0 in both
    [got] = loops.dense_kernels(n_in, n_out, f)["backward"](w, [d], [[f_z(z_j) for z_j in z]])
    for j in range(n_in):  # (BP2) δⱼ = f′(zⱼ) Σᵢ wᵢⱼ δᵢ
        expected = f_prime(z[j]) * sum(w[i * n_in + j] * d[i] for i in range(n_out))
        assert abs(got[j] - expected) <= 1e-12 * (1.0 + abs(expected))


def test_output_is_the_last_activation_of_forward_bit_for_bit():
    rng = random.Random(4)
    e = loops.Loops(network.new_network([784, 16, 16, 10], seed=4))
    images = [random_image(rng, 784, ink=0.2) for x in range(3)] + [bytes(784)]
    z, a = e.forward([pixels.sparse(image) + (None,) for image in images])
    assert [e.output(image) for image in images] == a[-1]


def copy(net):
    return network.Network(
        net.sizes, [[list(r) for r in w] for w in net.w], [list(b) for b in net.b]
    )


@settings(max_examples=12, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 80), min_size=0, max_size=2),
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(list(network.COSTS)),
    m=st.integers(1, 5),
)
def test_one_batch_equals_network_sgd_step_also_for_wide_or_no_hidden_layers(hidden, seed, kind, m):
    sizes = [30] + hidden + [10]  # σ of more than 64 neurons keeps its loop
    net = network.new_network(sizes, seed=seed)
    rng = random.Random(seed)
    images = [random_image(rng, 30, ink=0.5) for x in range(m)]
    labels = [rng.randrange(10) for x in range(m)]
    reference = copy(net)
    ref_cost = network.sgd_step(
        reference,
        [([p / 255 for p in image], network.one_hot(d)) for image, d in zip(images, labels)],
        0.5,
        kind,
    )
    e = loops.Loops(net)
    seen = []
    loops.train_loops(
        e,
        [[pixels.sparse(image) + (d,) for image, d in zip(images, labels)]],
        0.5,
        kind,
        lambda n, c, k: seen.append((n, c)),
    )
    got = e.network()
    for l in range(len(sizes) - 1):
        assert (
            max(abs(x - y) for r, s in zip(got.w[l], reference.w[l]) for x, y in zip(r, s)) < 1e-9
        )
        assert max(abs(x - y) for x, y in zip(got.b[l], reference.b[l])) < 1e-9
    assert seen[0][0] == m and abs(seen[0][1] / m - ref_cost) < 1e-9


def test_the_engine_is_the_one_fast_uses():
    assert (
        fast.make_engine(network.new_network([5, 3, 2], seed=0), "loops").__class__ is loops.Loops
    )


def code_blocks(doc):
    """The example sources in a docstring: each a run of lines indented by 4 spaces or more (or
    blank) after inspect.cleandoc, that starts with 'def '.

    cleandoc first, because Python 3.13 strips the docstring's common indentation when it
    compiles it and older versions do not: cleandoc gives the same text from either."""
    blocks, block = [], None
    for line in inspect.cleandoc(doc).splitlines() + ["end"]:
        if block is None and line.startswith("    def "):
            block = [line]
        elif block is not None and (not line.strip() or line.startswith("    ")):
            block.append(line)
        elif block is not None:
            blocks.append(textwrap.dedent("\n".join(block)).strip())
            block = None
    return blocks


def sigma_written_out(src):
    return re.sub(r"σ\((\w+)\)", lambda m: loops.SIGMA.format(z=m.group(1)), src)


def test_the_docstrings_show_the_source_that_is_generated():
    for source, doc in [
        (loops.activations_source(2), loops.activations_source.__doc__),
        (loops.first_layer_source(2), loops.first_layer_source.__doc__),
        (loops.dense_source(2, 3), loops.dense_source.__doc__),
    ]:
        blocks = code_blocks(doc)
        assert blocks
        for block in blocks:
            assert sigma_written_out(block) in "\n".join(source)


def test_the_generated_kernels_show_their_source_in_tracebacks_and_to_inspect():
    kernels = loops.dense_kernels(3, 2)
    source = "\n".join(loops.dense_source(3, 2)) + "\n"
    code = kernels["forward"].__code__
    assert code.co_filename == "<tinynet.loops dense 3→2 after sigmoid>"
    assert linecache.getline(code.co_filename, code.co_firstlineno) == "def forward(w, b, a):\n"
    assert inspect.getsource(kernels["forward"]) in source
    assert inspect.getsource(kernels["forward"]).startswith("def forward(w, b, a):")
    try:
        kernels["forward"]([1.0] * 6, [0.0, 0.0], [[1.0, 2.0]])  # a has 2 values, not 3
    except ValueError:
        shown = traceback.format_exc()
    else:
        raise AssertionError("a wrong-sized a[x] should not unpack")
    assert '"<tinynet.loops dense 3→2 after sigmoid>", line 4, in forward' in shown
    assert "a0, a1, a2 = a[x]" in shown  # the generated line itself, as pdb's `l` shows it
