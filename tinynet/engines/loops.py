"""Engine "loops" (the PyPy default): plain loops over flat lists of floats, for PyPy's JIT.

PyPy compiles these loops to machine code; big integers (engine "lanes") would only slow it down.

A mini-batch goes through the network one layer at a time, all of its examples together: each
step (the first layer's sums, σ, a later layer's sums, BP2, the update) is a small function, a
"kernel", with one loop over the examples of the batch, which PyPy compiles once as one piece of
machine code. Inside a kernel the innermost loop, over the neurons of a layer, is written out
line by line, with every zᵢ, aⱼ and δᵢ in a local variable of its own: PyPy compiles that best.
Since the sizes are only known at run time, the kernels' source is generated (and cached) per
size; each generator's docstring shows what it generates for a small size, and the plain loop
it stands for. (Writing out more than that, a whole layer or the whole network, measured
slower: PyPy compiles at most a few thousand steps in one piece, and cuts longer code into
pieces that take long to warm up.) A layer wider than WRITTEN_OUT neurons keeps its loops
(784 → 2048 → 10: 2048 locals would be too much): the same sums in the same order.

The activation f of the hidden layers is a parameter of the generated source: its formula,
f(z), and f′ read from a = f(z) for BP2, are written out in place (FORMULAS). A softmax output is
network.softmax, one example at a time.
"""

import linecache
import types
from functools import cache
from math import exp, tanh

from ..network import Network, argmax, cost_pair, softmax
from .listmath import HIDDEN, OUTPUT_LAYERS, output_delta_and_cost
from .pixels import PIXEL

# The hidden activations and the outputs this engine runs (engines/__init__.py reads them).
ACTIVATIONS, OUTPUTS = HIDDEN, OUTPUT_LAYERS

# σ(z) = 1 / (1 + e⁻ᶻ), and 0 below z = −700 where e⁻ᶻ would overflow (as in listmath.sigmoids).
# The kernels write it out in place (shown as σ(z) in the docstrings below).
SIGMA = "(1.0 / (1.0 + exp(-{z})) if {z} > -700.0 else 0.0)"

# Each hidden activation as (f(z), f′(z) written with a = f(z)), the source written out in place:
# σ′(z) = a(1 − a), relu′(z) = 1 if z > 0 else 0, tanh′(z) = 1 − a² (as in listmath.hidden_delta).
FORMULAS = {
    "sigmoid": (SIGMA, "{a} * (1.0 - {a})"),
    "relu": ("({z} if {z} > 0.0 else 0.0)", "(1.0 if {a} > 0.0 else 0.0)"),
    "tanh": ("tanh({z})", "(1.0 - {a} * {a})"),
}

# A layer of at most this many neurons is written out, one σ(zᵢ) or one term after the other;
# PyPy compiles at most a few thousand steps in one piece, so wider layers keep a loop.
WRITTEN_OUT = 64


def _compile(lines, name):
    """The functions defined by the source `lines`, as a dict.

    Their globals are a module's: PyPy looks a module's globals (PIXEL, exp) up once when it
    compiles a loop, but those of a plain dict every time. The source is put in linecache under
    the name "<tinynet.loops NAME>", so that tracebacks, pdb's `l` and inspect.getsource show
    the generated lines.
    """
    src = "\n".join(lines) + "\n"
    filename = f"<tinynet.loops {name}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = types.ModuleType(name).__dict__
    namespace.update(PIXEL=PIXEL, exp=exp, tanh=tanh)
    exec(compile(src, filename, "exec"), namespace)
    return namespace


def _each(fmt, n, sep="; "):
    """fmt once for each i in range(n), joined:
    _each("z{i} = b[{i}]", 2) is "z0 = b[0]; z1 = b[1]"."""
    return sep.join(fmt.format(i=i) for i in range(n))


def _unpack(name, n, source):
    """'a0, a1 = a[x]': the n numbers of a list in local variables."""
    return _each(name + "{i}", n, ", ") + ("," if n == 1 else "") + " = " + source


def activations_source(n, f="sigmoid"):
    """The source of activations(z) = [[f(z₀), f(z₁), …] for each example's z], for n neurons.

    For n = 2 and f = σ (written out as SIGMA; FORMULAS has the others):

        def activations(z):
            a = [None] * len(z)
            for x in range(len(z)):
                z0, z1 = z[x]
                a[x] = [σ(z0), σ(z1)]
            return a

    More than WRITTEN_OUT neurons keep the loop: a[x] = [σ(z_i) for z_i in z[x]].
    """
    f_z = FORMULAS[f][0]
    if n > WRITTEN_OUT:
        body = ["        a[x] = [{} for z_i in z[x]]".format(f_z.format(z="z_i"))]
    else:
        body = [
            "        " + _unpack("z", n, "z[x]"),
            "        a[x] = [{}]".format(_each(f_z.format(z="z{i}"), n, ", ")),
        ]
    return (
        ["def activations(z):", "    a = [None] * len(z)", "    for x in range(len(z)):"]
        + body
        + ["    return a"]
    )


@cache  # one per size: the same code objects, so PyPy compiles them once
def activations_kernel(n, f="sigmoid"):
    return _compile(activations_source(n, f), f"{f} {n:d}")["activations"]


def softmaxes(z):
    """[softmax(z[x]) for each example x]: the output layer's activations when it is a softmax."""
    return [softmax(z_x) for z_x in z]


def first_layer_source(n):
    """The source of forward, forward_image and update for the first layer, of n neurons.

    The examples come as sparse() gives them, (nz, p, digit): nz[k] is the index j of the k-th
    non-zero pixel and p[k] its byte, so xⱼ = PIXEL[p[k]]; the n weights leaving pixel j are
    w0[j·n] … w0[j·n + n − 1]. For n = 2:

        def forward(w0, b0, batch):
            z = [None] * len(batch)
            for x in range(len(batch)):
                nz, p, digit = batch[x]
                z0 = b0[0]; z1 = b0[1]
                for k in range(len(nz)):
                    x_j = PIXEL[p[k]]; col = nz[k] * 2
                    z0 += w0[col + 0] * x_j; z1 += w0[col + 1] * x_j
                z[x] = [z0, z1]
            return z

        def forward_image(w0, b0, image):
            z0 = b0[0]; z1 = b0[1]
            for j in range(len(image)):
                if image[j]:
                    x_j = PIXEL[image[j]]; col = j * 2
                    z0 += w0[col + 0] * x_j; z1 += w0[col + 1] * x_j
            return [z0, z1]

        def update(w0, b0, step, delta, batch):
            for x in range(len(batch)):
                nz, p, digit = batch[x]
                d0, d1 = delta[x]
                u0 = step * d0; u1 = step * d1
                b0[0] -= u0; b0[1] -= u1
                for k in range(len(nz)):
                    x_j = PIXEL[p[k]]; col = nz[k] * 2
                    w0[col + 0] -= u0 * x_j; w0[col + 1] -= u1 * x_j

    forward is z⁽¹⁾ᵢ = Σⱼ w⁽¹⁾ᵢⱼ xⱼ + b⁽¹⁾ᵢ over the non-zero pixels of each example, forward_image
    the same for one image of bytes, and update is w⁽¹⁾ᵢⱼ −= step·δᵢ·xⱼ (BP4), b⁽¹⁾ᵢ −= step·δᵢ
    (BP3). Their lines inside the loop over the pixels k are the plain loops over the neurons i

        for i in range(n): z[i] += w0[nz[k] * n + i] * PIXEL[p[k]]
        for i in range(n): w0[nz[k] * n + i] -= step * delta[x][i] * PIXEL[p[k]]

    written out, because PyPy compiles the loop over the pixels fastest with each zᵢ in a local.
    """
    z = _each("z{i}", n, ", ")
    sums = _each("z{i} += w0[col + {i}] * x_j", n)
    return [
        "def forward(w0, b0, batch):",
        "    z = [None] * len(batch)",
        "    for x in range(len(batch)):",
        "        nz, p, digit = batch[x]",
        "        " + _each("z{i} = b0[{i}]", n),
        "        for k in range(len(nz)):",
        f"            x_j = PIXEL[p[k]]; col = nz[k] * {n:d}",
        "            " + sums,
        f"        z[x] = [{z}]",
        "    return z",
        "",
        "def forward_image(w0, b0, image):",
        "    " + _each("z{i} = b0[{i}]", n),
        "    for j in range(len(image)):",
        "        if image[j]:",
        f"            x_j = PIXEL[image[j]]; col = j * {n:d}",
        "            " + sums,
        f"    return [{z}]",
        "",
        "def update(w0, b0, step, delta, batch):",
        "    for x in range(len(batch)):",
        "        nz, p, digit = batch[x]",
        "        " + _unpack("d", n, "delta[x]"),
        "        " + _each("u{i} = step * d{i}", n),
        "        " + _each("b0[{i}] -= u{i}", n),
        "        for k in range(len(nz)):",
        f"            x_j = PIXEL[p[k]]; col = nz[k] * {n:d}",
        "            " + _each("w0[col + {i}] -= u{i} * x_j", n),
    ]


def wide_first_layer_source(n):
    """first_layer_source for more than WRITTEN_OUT neurons: the loop over the neurons i kept,
    with z, u as lists. The same sums in the same order, so the same numbers bit for bit."""
    sums = [f"            for i in range({n:d}):", "                z[i] += w0[col + i] * x_j"]
    return [
        "def forward(w0, b0, batch):",
        "    out = [None] * len(batch)",
        "    for x in range(len(batch)):",
        "        nz, p, digit = batch[x]",
        "        z = list(b0)",
        "        for k in range(len(nz)):",
        f"            x_j = PIXEL[p[k]]; col = nz[k] * {n:d}",
        *sums,
        "        out[x] = z",
        "    return out",
        "",
        "def forward_image(w0, b0, image):",
        "    z = list(b0)",
        "    for j in range(len(image)):",
        "        if image[j]:",
        f"            x_j = PIXEL[image[j]]; col = j * {n:d}",
        *sums,
        "    return z",
        "",
        "def update(w0, b0, step, delta, batch):",
        "    for x in range(len(batch)):",
        "        nz, p, digit = batch[x]",
        "        u = [step * d_i for d_i in delta[x]]",
        f"        for i in range({n:d}):",
        "            b0[i] -= u[i]",
        "        for k in range(len(nz)):",
        f"            x_j = PIXEL[p[k]]; col = nz[k] * {n:d}",
        f"            for i in range({n:d}):",
        "                w0[col + i] -= u[i] * x_j",
    ]


@cache
def first_layer_kernels(n):
    source = first_layer_source(n) if n <= WRITTEN_OUT else wide_first_layer_source(n)
    return _compile(source, f"first layer, {n:d} neurons")


# The lines from the end of forward to the loop over the examples in backward, in both
# dense_source and wide_dense_source.
_BETWEEN_FORWARD_AND_BACKWARD = [
    "        z[x] = z_x",
    "    return z",
    "",
    "def backward(w, delta, a):",
    "    back = [None] * len(a)",
    "    for x in range(len(a)):",
]


def dense_source(n_in, n_out, f="sigmoid"):
    """The source of forward, backward and update for a layer after the first.

    The layer has n_in inputs and n_out neurons; its weights are w[i·n_in + j] = w⁽ˡ⁾ᵢⱼ. For
    example x of the batch, a[x] is the activation of the layer before, a⁽ˡ⁻¹⁾, and delta[x]
    this layer's δ⁽ˡ⁾:

        forward(w, b, a)               z[x]       zᵢ = Σⱼ w[i·n_in + j] aⱼ + bᵢ
        backward(w, delta, a)          δ⁽ˡ⁻¹⁾[x]   (BP2) δ⁽ˡ⁻¹⁾ⱼ = f′(zⱼ) Σᵢ w[i·n_in + j] δᵢ
        update(w, b, step, delta, a)              (BP4) w[i·n_in + j] −= step δᵢ aⱼ,
                                                  (BP3) bᵢ −= step δᵢ

    where f is the activation of the layer before. BP2 needs no z, since f′ can be read from a:
    σ′(z) = σ(z)(1 − σ(z)) = a(1 − a) here (FORMULAS has relu′ and tanh′). For n_in = 2, n_out = 3:

        def forward(w, b, a):
            z = [None] * len(a)
            for x in range(len(a)):
                a0, a1 = a[x]
                z_x = []
                for i in range(3):
                    z_x.append(b[i] + w[i * 2 + 0] * a0 + w[i * 2 + 1] * a1)
                z[x] = z_x
            return z

        def backward(w, delta, a):
            back = [None] * len(a)
            for x in range(len(a)):
                d0, d1, d2 = delta[x]
                a_x = a[x]; back_x = []
                for j in range(2):
                    a_j = a_x[j]
                    back_x.append(a_j * (1.0 - a_j) * (w[0 + j] * d0 + w[2 + j] * d1 + w[4 + j] * d2))
                back[x] = back_x
            return back

        def update(w, b, step, delta, a):
            for x in range(len(a)):
                a0, a1 = a[x]; d = delta[x]
                for i in range(3):
                    u = step * d[i]; b[i] -= u
                    w[i * 2 + 0] -= u * a0; w[i * 2 + 1] -= u * a1

    They are the plain double loops over i and j

        for i in range(n_out):                                     # forward
            z_x.append(b[i] + sum(w[i * n_in + j] * a[x][j] for j in range(n_in)))
        for j in range(n_in):                                      # backward
            back_x.append(
                a_j * (1.0 - a_j) * sum(w[i * n_in + j] * delta[x][i] for i in range(n_out))
            )
        for i in range(n_out):                                     # update
            for j in range(n_in): w[i * n_in + j] -= step * delta[x][i] * a[x][j]

    with the inner one written out, so that each aⱼ or δᵢ lives in a local variable (as in
    first_layer_source). Wider layers keep the inner loop too (wide_dense_source).
    """  # noqa: E501 (the example must match the generated source line for line)
    return (
        dense_forward_source(n_in, n_out)
        + _BETWEEN_FORWARD_AND_BACKWARD
        + dense_backward_source(n_in, n_out, f)
        + dense_update_source(n_in, n_out)
    )


def dense_forward_source(n_in, n_out):
    """forward's lines up to its loop's end: zᵢ = bᵢ + Σⱼ w[i·n_in + j] aⱼ, written out in j."""
    return [
        "def forward(w, b, a):",
        "    z = [None] * len(a)",
        "    for x in range(len(a)):",
        "        " + _unpack("a", n_in, "a[x]"),
        "        z_x = []",
        f"        for i in range({n_out:d}):",
        "            z_x.append(b[i] + {})".format(
            " + ".join(f"w[i * {n_in:d} + {j:d}] * a{j:d}" for j in range(n_in))
        ),
    ]


def dense_backward_source(n_in, n_out, f="sigmoid"):
    """backward's loop body (BP2): δ⁽ˡ⁻¹⁾ⱼ = f′(zⱼ) Σᵢ w[i·n_in + j] δᵢ, written out in i."""
    f_prime = FORMULAS[f][1].format(a="a_j")
    return [
        "        " + _unpack("d", n_out, "delta[x]"),
        "        a_x = a[x]; back_x = []",
        f"        for j in range({n_in:d}):",
        "            a_j = a_x[j]",
        "            back_x.append({} * ({}))".format(
            f_prime, " + ".join(f"w[{i * n_in:d} + j] * d{i:d}" for i in range(n_out))
        ),
        "        back[x] = back_x",
        "    return back",
        "",
    ]


def dense_update_source(n_in, n_out):
    """update (BP3, BP4): bᵢ −= step δᵢ and w[i·n_in + j] −= step δᵢ aⱼ, written out in j."""
    return [
        "def update(w, b, step, delta, a):",
        "    for x in range(len(a)):",
        "        " + _unpack("a", n_in, "a[x]") + "; d = delta[x]",
        f"        for i in range({n_out:d}):",
        "            u = step * d[i]; b[i] -= u",
        "            " + "; ".join(f"w[i * {n_in:d} + {j:d}] -= u * a{j:d}" for j in range(n_in)),
    ]


def wide_dense_source(n_in, n_out, f="sigmoid"):
    """dense_source for layers with more than WRITTEN_OUT inputs or neurons: the plain double
    loops of dense_source's docstring, the same sums in the same order."""
    return [
        "def forward(w, b, a):",
        "    z = [None] * len(a)",
        "    for x in range(len(a)):",
        "        a_x = a[x]; z_x = []",
        f"        for i in range({n_out:d}):",
        f"            total = b[i]; row = i * {n_in:d}",
        f"            for j in range({n_in:d}):",
        "                total += w[row + j] * a_x[j]",
        "            z_x.append(total)",
        *_BETWEEN_FORWARD_AND_BACKWARD,
        "        d = delta[x]; a_x = a[x]; back_x = []",
        f"        for j in range({n_in:d}):",
        "            a_j = a_x[j]; total = 0.0",
        f"            for i in range({n_out:d}):",
        f"                total += w[i * {n_in:d} + j] * d[i]",
        "            back_x.append({} * total)".format(FORMULAS[f][1].format(a="a_j")),
        "        back[x] = back_x",
        "    return back",
        "",
        "def update(w, b, step, delta, a):",
        "    for x in range(len(a)):",
        "        a_x = a[x]; d = delta[x]",
        f"        for i in range({n_out:d}):",
        f"            u = step * d[i]; b[i] -= u; row = i * {n_in:d}",
        f"            for j in range({n_in:d}):",
        "                w[row + j] -= u * a_x[j]",
    ]


@cache
def dense_kernels(n_in, n_out, f="sigmoid"):
    """The kernels of a layer after the first, whose inputs come from neurons of activation f."""
    wide = max(n_in, n_out) > WRITTEN_OUT
    source = (wide_dense_source if wide else dense_source)(n_in, n_out, f)
    return _compile(source, f"dense {n_in:d}→{n_out:d} after {f}")


class Loops:
    """The weights as flat lists of floats: w[l][i * n_in + j] = w[l][i][j] of network.py.

    The first layer is stored column by column instead, w0[j * n_out + i], so that the weights
    leaving one pixel sit side by side and the zero pixels can be skipped. b holds the biases
    b[l][i] as in network.py. f[l] computes the activations a[l] of layer l from its z: the
    hidden activation's kernel, then the output's.
    """

    def __init__(self, net):
        self.sizes = list(net.sizes)
        self.activation, self.output_layer = net.activation, net.output
        self.b = [list(b_l) for b_l in net.b]
        w0 = net.w[0]
        self.w0 = [w0[i][j] for j in range(len(w0[0])) for i in range(len(w0))]
        self.w = [None] + [[w_ij for row in w_l for w_ij in row] for w_l in net.w[1:]]
        self.first = first_layer_kernels(self.sizes[1])
        f = net.activation
        self.f = [None] + [activations_kernel(n, f) for n in self.sizes[1:-1]]
        self.f.append(softmaxes if net.output == "softmax" else activations_kernel(self.sizes[-1]))
        self.kernels = [None] + [
            dense_kernels(n_in, n_out, f) for n_in, n_out in zip(self.sizes[1:-1], self.sizes[2:])
        ]

    def network(self):
        """Back to a plain Network: w[l][i][j] is w[l][i·n_in + j], w0[j·n_out + i] for l = 0."""
        n_in, n_out = self.sizes[0], self.sizes[1]
        w = [[[self.w0[j * n_out + i] for j in range(n_in)] for i in range(n_out)]]
        for l in range(1, len(self.sizes) - 1):
            n_in, n_out = self.sizes[l], self.sizes[l + 1]
            w.append([self.w[l][i * n_in : (i + 1) * n_in] for i in range(n_out)])
        b = [list(b_l) for b_l in self.b]
        return Network(self.sizes, w, b, activation=self.activation, output=self.output_layer)

    def train(self, batches, eta, cost, on_batch=None):
        """Mini-batch gradient descent over `batches`: see train_loops."""
        train_loops(self, batches, eta, cost, on_batch)

    def scale(self, factor):
        """w ← factor · w for every weight, biases untouched (the shrinking of weight decay)."""
        self.w0[:] = [w * factor for w in self.w0]
        for w_l in self.w[1:]:
            w_l[:] = [w * factor for w in w_l]

    def state(self):
        """Nothing beyond network(): its floats are the whole state."""
        return None

    def weight(self, l, i, j):
        """w[l][i][j] (the first layer is stored column by column: w0[j · n_out + i])."""
        if l == 0:
            return self.w0[j * self.sizes[1] + i]
        return self.w[l][i * self.sizes[l] + j]

    def bias(self, l, i):
        """b[l][i]."""
        return self.b[l][i]

    def forward(self, batch):
        """(z, a) as in network.feedforward, for a batch of (nz, p, digit) from sparse():
        z[l][x] and a[l][x] belong to example x (a[0] is not kept)."""
        return self.forward_from(self.first["forward"](self.w0, self.b[0], batch))

    def forward_from(self, z_1):
        """(z, a) for a batch whose first layer's weighted inputs z⁽¹⁾ are z_1[x]."""
        z_l, a_l = z_1, self.f[1](z_1)  # a = f(z)
        z, a = [z_l], [None, a_l]
        for l in range(1, len(self.sizes) - 1):
            z_l = self.kernels[l]["forward"](
                self.w[l], self.b[l], a_l
            )  # z = w·a + b, see dense_source
            a_l = self.f[l + 1](z_l)
            z.append(z_l)
            a.append(a_l)
        return z, a

    def output(self, image):
        """The output activations a⁽ᴸ⁾ for an image (bytes of 0–255)."""
        z_1 = self.first["forward_image"](self.w0, self.b[0], image)
        return self.forward_from([z_1])[1][-1][0]


def train_loops(loops, batches, eta, cost, on_batch=None):
    """Mini-batch gradient descent, in place: the step of network.sgd_step with flat lists.

    The weights stay fixed while the batch is backpropagated; then each example's share of the
    step, −(η/m) ∂Cₓ/∂w, is taken in turn.
    """
    L = len(loops.sizes) - 1
    w0, w, b = loops.w0, loops.w, loops.b
    first, kernels, output = loops.first, loops.kernels, loops.output_layer
    cost_pair(cost, output)  # softmax with the quadratic cost: the clear error of network.py
    for batch in batches:
        m = len(batch)
        z, a = loops.forward(batch)
        # (BP1) for each example, its cost, and whether the network got it right.
        delta_L = [None] * m
        cost_sum, correct = 0.0, 0
        for x in range(m):
            a_x = a[L][x]
            digit = batch[x][2]
            delta_L[x], c = output_delta_and_cost(a_x, z[L - 1][x], digit, cost, output)
            cost_sum += c
            correct += argmax(a_x) == digit
        # (BP2) back through the layers: delta[l][x] is the δ of layer l + 1 for example x.
        delta = [None] * L
        delta[L - 1] = delta_L
        for l in range(L - 1, 0, -1):
            delta[l - 1] = kernels[l]["backward"](w[l], delta[l], a[l])  # (BP2), see dense_source
        # The step, w ← w − (η/m) Σₓ δₓ aₓᵀ (BP4) and b ← b − (η/m) Σₓ δₓ (BP3), one example at a
        # time.
        step = eta / m
        first["update"](w0, b[0], step, delta[0], batch)
        for l in range(1, L):
            kernels[l]["update"](w[l], b[l], step, delta[l], a[l])
        if on_batch is not None:
            on_batch(m, cost_sum, correct)
