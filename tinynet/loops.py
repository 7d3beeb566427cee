"""Engine "loops" (the PyPy default): plain loops over flat lists of floats, for PyPy's JIT.

PyPy compiles these loops to machine code; big integers (engine "lanes") would only slow it down.
"""

from functools import lru_cache

from .network import Network
from .sparse import PIXEL, output_delta_and_cost, sigmoids, sparse


@lru_cache(maxsize=None)  # one pair per size: the same code objects, so PyPy compiles them once
def first_layer_kernels(n):
    """Two functions for the first layer with n neurons, their loop over i written out.

    PyPy compiles a loop over the pixels fastest when the short loop over the n neurons inside
    it is unrolled into n separate lines, with each zᵢ in its own local variable. Since n is only
    known at run time, the source is generated here. The pixels come as two lists: `bases`, the
    position of each non-zero pixel's weights in w0 (j · n), and `xs`, its value xⱼ. For n = 2:

        def forward(w0, b, bases, xs):                  # z⁽¹⁾ᵢ = Σⱼ w⁽¹⁾ᵢⱼ xⱼ + b⁽¹⁾ᵢ
            z0 = b[0]; z1 = b[1]
            for k in range(len(bases)):
                x = xs[k]; base = bases[k]
                z0 += w0[base + 0] * x; z1 += w0[base + 1] * x
            return [z0, z1]

        def gradient(g0, delta, bases, xs):              # (BP4): ∂C/∂w⁽¹⁾ᵢⱼ += δᵢ xⱼ
            d0 = delta[0]; d1 = delta[1]
            for k in range(len(bases)):
                x = xs[k]; base = bases[k]
                g0[base + 0] += d0 * x; g0[base + 1] += d1 * x

    which is Loops.forward's and train_loops's plain double loops, only faster.
    """
    ids = range(n)
    src = "\n".join([
        "def forward(w0, b, bases, xs):",
        "    " + "; ".join("z%d = b[%d]" % (i, i) for i in ids),
        "    for k in range(len(bases)):",
        "        x = xs[k]; base = bases[k]",
        "        " + "; ".join("z%d += w0[base + %d] * x" % (i, i) for i in ids),
        "    return [%s]" % ", ".join("z%d" % i for i in ids),
        "",
        "def gradient(g0, delta, bases, xs):",
        "    " + "; ".join("d%d = delta[%d]" % (i, i) for i in ids),
        "    for k in range(len(bases)):",
        "        x = xs[k]; base = bases[k]",
        "        " + "; ".join("g0[base + %d] += d%d * x" % (i, i) for i in ids),
    ])
    namespace = {}
    exec(compile(src, "<first layer, %d neurons>" % n, "exec"), namespace)
    return namespace["forward"], namespace["gradient"]


@lru_cache(maxsize=None)
def dense_kernels(n_in):
    """Two functions for a layer with n_in inputs, their loop over j written out (for PyPy).

    forward(w, b, a) is  [b[i] + Σⱼ w[i·n_in + j] · a[j] for each i]         z = w·a + b
    backward(w, g, gb, delta, a) does, for each i and j,
        gb[i] += δᵢ                     (BP3)
        g[i·n_in + j] += δᵢ · aⱼ        (BP4)
    and returns back[j] = Σᵢ w[i·n_in + j] · δᵢ, the sum in (BP2).
    These are the plain double loops of network.py with the inner loop unrolled, so that
    each aⱼ and backⱼ lives in a local variable; see first_layer_kernels for why.
    """
    ids = range(n_in)
    src = "\n".join([
        "def forward(w, b, a):",
        "    " + "; ".join("a%d = a[%d]" % (j, j) for j in ids),
        "    z = []",
        "    for i in range(len(b)):",
        "        r = i * %d" % n_in,
        "        z.append(b[i] + " + " + ".join("w[r + %d] * a%d" % (j, j) for j in ids) + ")",
        "    return z",
        "",
        "def backward(w, g, gb, delta, a):",
        "    " + "; ".join("a%d = a[%d]" % (j, j) for j in ids),
        "    " + "; ".join("s%d = 0.0" % j for j in ids),
        "    for i in range(len(delta)):",
        "        d = delta[i]; gb[i] += d; r = i * %d" % n_in,
        "        " + "; ".join("g[r + %d] += d * a%d" % (j, j) for j in ids),
        "        " + "; ".join("s%d += w[r + %d] * d" % (j, j) for j in ids),
        "    return [%s]" % ", ".join("s%d" % j for j in ids),
    ])
    namespace = {}
    exec(compile(src, "<dense layer, %d inputs>" % n_in, "exec"), namespace)
    return namespace["forward"], namespace["backward"]


class Loops:
    """The weights as flat lists of floats: w[l][i * n_in + j] = w[l][i][j] of network.py.

    The first layer is stored column by column instead, w0[j * n_out + i], so that the weights
    leaving one pixel sit side by side and the zero pixels can be skipped.
    """

    def __init__(self, net):
        self.sizes = list(net.sizes)
        self.b = [list(b_l) for b_l in net.b]
        w0 = net.w[0]
        self.w0 = [w0[i][j] for j in range(len(w0[0])) for i in range(len(w0))]
        self.w = [None] + [[w_ij for row in w_l for w_ij in row] for w_l in net.w[1:]]
        self.first_forward, self.first_gradient = first_layer_kernels(self.sizes[1])
        self.kernels = [None] + [dense_kernels(n_in) for n_in in self.sizes[1:-1]]

    def network(self):
        n_in, n_out = self.sizes[0], self.sizes[1]
        w = [[[self.w0[j * n_out + i] for j in range(n_in)] for i in range(n_out)]]
        for l in range(1, len(self.sizes) - 1):
            n_in, n_out = self.sizes[l], self.sizes[l + 1]
            w.append([self.w[l][i * n_in:(i + 1) * n_in] for i in range(n_out)])
        return Network(self.sizes, w, [list(b_l) for b_l in self.b])

    def pixels(self, nz, p):
        """(bases, xs) for the kernels: where each non-zero pixel's weights start in w0, its xⱼ."""
        n1 = self.sizes[1]
        return [j * n1 for j in nz], [PIXEL[p_j] for p_j in p]

    def forward(self, nz, p):
        """(z, a) as in network.feedforward, for the image with non-zero pixels nz, bytes p."""
        return self.forward_pixels(*self.pixels(nz, p))

    def forward_pixels(self, bases, xs):
        # z⁽¹⁾ᵢ = Σⱼ w⁽¹⁾ᵢⱼ xⱼ + b⁽¹⁾ᵢ over the non-zero pixels, i.e. (unrolled over i):
        #     for k in range(len(bases)):
        #         for i in range(n1): z[i] += w0[bases[k] + i] * xs[k]
        z_l = self.first_forward(self.w0, self.b[0], bases, xs)
        z, a = [z_l], [None, sigmoids(z_l)]
        for l in range(1, len(self.sizes) - 1):
            # z⁽ˡ⁾ᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ a⁽ˡ⁻¹⁾ⱼ + b⁽ˡ⁾ᵢ, i.e. (unrolled over j):
            #     for i in range(n_out): z[i] = b[i] + sum(w[i * n_in + j] * a[j] for j in range(n_in))
            z_l = self.kernels[l][0](self.w[l], self.b[l], a[l])
            z.append(z_l)
            a.append(sigmoids(z_l))
        return z, a

    def output(self, image):
        return self.forward(*sparse(image))[1][-1]


def train_loops(loops, batches, eta, kind, on_batch=None):
    """Mini-batch gradient descent, in place: the step of network.sgd_step with flat lists."""
    sizes = loops.sizes
    n_layers = len(sizes) - 1
    n1 = sizes[1]
    for batch in batches:
        m = len(batch)
        first_layer = []  # (nz, p, δ⁽¹⁾) of each example: its first-layer gradient, for later
        gw = [None] + [[0.0] * len(loops.w[l]) for l in range(1, n_layers)]
        gb = [[0.0] * sizes[l + 1] for l in range(n_layers)]
        cost_sum, correct = 0.0, 0
        for nz, p, digit in batch:
            bases, xs = loops.pixels(nz, p)
            z, a = loops.forward_pixels(bases, xs)
            delta, c = output_delta_and_cost(a[-1], z[-1], digit, kind)  # (BP1)
            cost_sum += c
            correct += a[-1].index(max(a[-1])) == digit
            for l in range(n_layers - 1, 0, -1):
                # (BP3) gb[i] += δᵢ; (BP4) g[i·n_in + j] += δᵢ aⱼ; back[j] = Σᵢ wᵢⱼ δᵢ (unrolled over j)
                back = loops.kernels[l][1](loops.w[l], gw[l], gb[l], delta, a[l])
                # (BP2): δ⁽ˡ⁾ⱼ = σ'(z⁽ˡ⁾ⱼ) · Σᵢ w⁽ˡ⁺¹⁾ᵢⱼ δ⁽ˡ⁺¹⁾ᵢ, with σ'(z) = a(1 − a)
                delta = [a_j * (1.0 - a_j) * s for a_j, s in zip(a[l], back)]
            gb0 = gb[0]
            for i in range(n1):
                gb0[i] += delta[i]  # (BP3)
            first_layer.append((bases, xs, delta))
        step = eta / m
        # w⁽¹⁾ ← w⁽¹⁾ − (η/m) Σₓ δᵢ xⱼ (BP4), example by example and only where xⱼ ≠ 0:
        #     for k in range(len(bases)):
        #         for i in range(n1): w0[bases[k] + i] += (−η/m · δᵢ) * xs[k]
        for bases, xs, delta in first_layer:
            loops.first_gradient(loops.w0, [-step * d for d in delta], bases, xs)
        for l in range(1, n_layers):
            w, g = loops.w[l], gw[l]
            for k in range(len(w)):
                w[k] -= step * g[k]
        for l in range(n_layers):
            b, g = loops.b[l], gb[l]
            for i in range(len(b)):
                b[i] -= step * g[i]
        if on_batch is not None:
            on_batch(m, cost_sum, correct)
