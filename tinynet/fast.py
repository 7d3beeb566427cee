"""Fast training and evaluation: the arithmetic of network.py, rearranged for speed.

network.py computes z⁽ˡ⁾ᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ a⁽ˡ⁻¹⁾ⱼ + b⁽ˡ⁾ᵢ one multiplication at a time. In CPython each
of those costs ~40 ns, and one MNIST example needs about 25,000 of them forwards and as many
backwards: ~800 examples a second. Two ideas make training a coffee break instead:

1. Skip the zero pixels. About 80% of MNIST's pixels are 0, and both the first layer's sum
   Σⱼ w⁽¹⁾ᵢⱼ xⱼ and its gradient ∂C/∂w⁽¹⁾ᵢⱼ = δ⁽¹⁾ᵢ xⱼ vanish for them. (Both engines do this.)

2. (engine "lanes", the CPython default) Let one big integer carry many numbers side by side.
   Python integers have no size limit, so a whole column of a weight matrix, w₀ⱼ … w₁₅ⱼ, can be
   stored as one integer with each weight in its own 64- or 128-bit "lane":

       Wⱼ = w₀ⱼ·2⁰ + w₁ⱼ·2⁶⁴ + w₂ⱼ·2¹²⁸ + …      (weights as whole numbers: w · 2⁴⁰, rounded)

   Then ONE multiplication aⱼ·Wⱼ, done in C, multiplies all sixteen weights of the column by
   aⱼ, and ONE addition adds two columns lane by lane. So

       z = Σⱼ aⱼ Wⱼ            is   zᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ aⱼ  for all sixteen i at once,   and
       Gⱼ += aⱼ · D            is   ∂C/∂wᵢⱼ += δᵢ aⱼ  for all i at once (D packs the δᵢ),

   which is ~16 times fewer steps for the interpreter. The numbers are fixed-point (whole
   multiples of 2⁻⁴⁰ or finer), which is as precise as floats for these sizes: the tests check
   that one step here equals network.sgd_step to within 1e-9.

   (engine "loops", the PyPy default) Plain loops over flat lists of floats, which PyPy's JIT
   compiles to machine code; big integers would only slow it down.

Both engines are deterministic: the same weights, examples and settings give the same result,
bit for bit, every time. Their results differ from each other in the last digits.
"""

from math import exp, log1p
import platform
from array import array
from functools import lru_cache
import struct
from itertools import chain, compress, repeat
from operator import add, itemgetter, lshift, lt, mul, sub, truediv

from .network import Network

ENGINES = ("lanes", "loops", "plain")


def default_engine():
    """'loops' on PyPy (its JIT loves plain loops), 'lanes' on CPython."""
    return "loops" if platform.python_implementation() == "PyPy" else "lanes"


# ---------------------------------------------------------------------------------------------
# Sparse input: the non-zero pixels of each image, found once.
# ---------------------------------------------------------------------------------------------

PIXEL = [p / 255.0 for p in range(256)]  # xⱼ = pⱼ / 255 for a pixel byte pⱼ


def gatherer(nz):
    """A function taking seq to the tuple of its items at the indices nz, in C:
    gatherer(nz)(seq) == tuple(seq[j] for j in nz)."""
    if len(nz) > 1:
        return itemgetter(*nz)
    return lambda seq: tuple(seq[j] for j in nz)


def sparse(image):
    """(nz, p): the indices and the byte values of the non-zero pixels of an image (bytes).

    Plain version: nz = [j for j in range(784) if image[j] != 0]; p = [image[j] for j in nz]
    """
    return array("H", compress(range(len(image)), image)), image.translate(None, b"\0")


# ---------------------------------------------------------------------------------------------
# Engine "lanes": big integers as vectors.
# ---------------------------------------------------------------------------------------------

# Layer 1 reads pixel bytes pⱼ = 255·xⱼ (exact); its weights are whole multiples of 2⁻⁴⁰ and
# a lane of 64 bits holds Σⱼ pⱼ·w·2⁴⁰ for |w| up to ~30 even if all 784 pixels were ink.
# Later layers read activations a as whole multiples of 2⁻³⁶, weights as multiples of 2⁻⁷²,
# in lanes of 128 bits.
FIRST = {"bits": 64, "w_scale": 2 ** 40, "a_scale": 255}
LATER = {"bits": 128, "w_scale": 2 ** 72, "a_scale": 2 ** 36}
DELTA_SCALE = 2 ** 40  # δ as a whole multiple of 2⁻⁴⁰ when sent backwards through Wᵀ


def sigmoids(z):
    """[σ(zᵢ) for zᵢ in z], σ(z) = 1 / (1 + e⁻ᶻ); below z = −700 (where e⁻ᶻ would overflow) σ is 0.

    network.sigmoid says the same in a slower, exact way: σ(−700) is 1e-304 there.
    """
    return [1.0 / (1.0 + exp(-z_i)) if z_i > -700.0 else 0.0 for z_i in z]


def layer_format(l):
    return FIRST if l == 0 else LATER


def pack(values, bits):
    """One integer holding the whole numbers `values` in lanes of `bits` bits: Σₖ vₖ·2^(bits·k)."""
    return sum(map(lshift, values, range(0, bits * len(values), bits)))


def _unpacker(n, bits):
    """A function giving back the n signed lanes of a packed integer: the inverse of pack().

    Writing the integer in two's complement and reading each lane as a signed number gives
    every lane right except for a borrow: a negative lane k was stored as 2^bits + vₖ, which
    took 1 from lane k+1. So lane k+1 is what it reads plus 1 when lane k reads negative.
    """
    if bits == 64:
        fmt = struct.Struct("<%dq" % n)

        def read(v):
            return fmt.unpack(v.to_bytes(8 * n, "little", signed=True))
    else:
        fmt = struct.Struct("<" + "Qq" * n)  # each 128-bit lane: low 64 bits unsigned, high signed

        def read(v):
            halves = fmt.unpack(v.to_bytes(16 * n, "little", signed=True))
            return list(map(add, halves[0::2], map(lshift, halves[1::2], repeat(64))))

    def unpack(v):
        lanes = read(v)
        # lanes[k] + (lanes[k-1] < 0), every step in C
        return list(map(add, lanes, chain((False,), map(lt, lanes[:-1], repeat(0)))))
    return unpack


def _float_reader(n, bits, scale):
    """A function giving the n lanes of a packed integer as floats, lane / scale, to ~1e-13.

    The sums z and Σᵢ wᵢⱼδᵢ become floats anyway, so here exactness is not needed: each
    64-bit lane is read as it stands (or, of a 128-bit lane, only its high 64 bits), skipping
    _unpacker's borrow fix. The error is at most two units of the last bit read: 2⁻⁴⁰/255 for
    the first layer, 2⁶⁴/scale ≤ 2⁻⁴⁴ for the others — far below what matters for σ(z).
    """
    if bits == 64:
        fmt = struct.Struct("<%dq" % n)
        return lambda v: list(map(truediv, fmt.unpack(v.to_bytes(8 * n, "little", signed=True)),
                                  repeat(float(scale))))
    fmt = struct.Struct("<" + "8xq" * n)  # skip the low 8 bytes of each lane, read the high 8
    unit = 2.0 ** 64 / scale
    return lambda v: list(map(mul, fmt.unpack(v.to_bytes(16 * n, "little", signed=True)), repeat(unit)))


class Lanes:
    """The network's weights packed into big integers, plus the float biases.

    cols[l][j] packs column j of w[l] (the weights leaving neuron j of layer l);
    rows[l][i] packs row i of w[l] (for l ≥ 1; used to send δ backwards: Σᵢ wᵢⱼ δᵢ).
    """

    def __init__(self, net, exact=None):
        self.sizes = list(net.sizes)
        self.b = [list(b_l) for b_l in net.b]
        self.unpack_out, self.read_z, self.read_back = [], [], []
        for l in range(len(net.w)):
            f = layer_format(l)
            self.unpack_out.append(_unpacker(self.sizes[l + 1], f["bits"]))
            self.read_z.append(_float_reader(self.sizes[l + 1], f["bits"], f["w_scale"] * f["a_scale"]))
            self.read_back.append(_float_reader(self.sizes[l], f["bits"], DELTA_SCALE * f["w_scale"]))
        if exact is None:
            exact = [[[round(w_ij * layer_format(l)["w_scale"]) for w_ij in row] for row in w_l]
                     for l, w_l in enumerate(net.w)]
        self.set_integer_weights(exact)

    def set_integer_weights(self, W):
        """Pack whole-number weights W[l][i][j] (= w · scale) into the columns and rows."""
        self.cols, self.rows = [], []
        for l, W_l in enumerate(W):
            bits = layer_format(l)["bits"]
            n_out, n_in = len(W_l), len(W_l[0])
            self.cols.append([pack([W_l[i][j] for i in range(n_out)], bits) for j in range(n_in)])
            self.rows.append(None if l == 0 else [pack(W_l[i], bits) for i in range(n_out)])

    def integer_weights(self):
        """The weights as whole numbers W[l][i][j] = w[l][i][j] · scale (exact, for checkpoints)."""
        out = []
        for l, cols in enumerate(self.cols):
            unpack = self.unpack_out[l]
            columns = [unpack(c) for c in cols]
            out.append([[col[i] for col in columns] for i in range(self.sizes[l + 1])])
        return out

    def network(self):
        """Back to a plain Network of floats (w = W / scale, correctly rounded)."""
        w = [[[W_ij / layer_format(l)["w_scale"] for W_ij in row] for row in W_l]
             for l, W_l in enumerate(self.integer_weights())]
        return Network(self.sizes, w, [list(b_l) for b_l in self.b])

    def forward(self, nz, p, gather=None):
        """Feedforward for an image given by its non-zero pixels: indices nz, bytes p.

        Returns (z, a, A): z[l] and a[l+1] as in network.feedforward (a[0] is not built),
        and A[l], the activations of layer l as whole numbers (A[0] = p).
        `gather` is gatherer(nz), if the caller has made it already.
        """
        z, a, A = [], [None], [p]
        # z⁽¹⁾ᵢ = Σⱼ w⁽¹⁾ᵢⱼ xⱼ + bᵢ over the non-zero pixels only, all i at once:
        packed = sum(map(mul, p, (gather or gatherer(nz))(self.cols[0])))
        z_l = list(map(add, self.read_z[0](packed), self.b[0]))
        for l in range(len(self.cols)):
            if l > 0:
                # z⁽ˡ⁾ᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ a⁽ˡ⁻¹⁾ⱼ + bᵢ, all i at once
                packed = sum(map(mul, A[l], self.cols[l]))
                z_l = list(map(add, self.read_z[l](packed), self.b[l]))
            a_l = sigmoids(z_l)
            z.append(z_l)
            a.append(a_l)
            if l + 1 < len(self.cols):  # the next layer reads a as whole numbers
                A.append(list(map(round, map(mul, a_l, repeat(float(LATER["a_scale"]))))))
        return z, a, A

    def output(self, image):
        """The output activations a⁽ᴸ⁾ for an image given as bytes (0–255 per pixel)."""
        return self.forward(*sparse(image))[1][-1]


def output_delta_and_cost(a_L, z_L, digit, kind):
    """(BP1) δ⁽ᴸ⁾ and the cost C for one example whose label is `digit` (see network.py).

    quadratic:      δᵢ = 2(aᵢ − yᵢ) · aᵢ(1 − aᵢ),   C = Σₖ (aₖ − yₖ)²
    cross-entropy:  δᵢ = aᵢ − yᵢ,                  C = Σₖ yₖ softplus(−zₖ) + (1 − yₖ) softplus(zₖ)
    """
    delta, cost = [], 0.0
    for k in range(len(a_L)):
        a_k, z_k = a_L[k], z_L[k]
        y_k = 1.0 if k == digit else 0.0
        if kind == "cross-entropy":
            delta.append(a_k - y_k)
            t = -z_k if k == digit else z_k  # softplus(t) = ln(1 + eᵗ) = max(t, 0) + ln(1 + e^(−|t|))
            cost += t + log1p(exp(-t)) if t > 0.0 else log1p(exp(t))
        else:
            delta.append(2.0 * (a_k - y_k) * a_k * (1.0 - a_k))
            cost += (a_k - y_k) ** 2
    return delta, cost


def train_lanes(lanes, batches, eta, kind, on_batch=None):
    """Mini-batch gradient descent over `batches`, in place: the step of network.sgd_step.

    `batches` yields lists of (nz, p, digit). For each example this is network.backprop's
    (BP1)–(BP4), with the sums of the gradients kept packed:
        G[l][j] += A⁽ˡ⁾ⱼ · Dˡ     with Dˡ packing (η/m)·δ⁽ˡ⁺¹⁾ᵢ for all i,
    which is Σₓ (η/m) ∂C/∂w[l][i][j] for all i at once, and after the batch  w ← w − G.
    The first layer's columns are only touched where a pixel was non-zero, so for it we keep
    the list of (nz, p, D) and subtract them from the weights when the batch is done.
    on_batch(m, cost_sum, correct) is called after each batch.
    """
    n_layers = len(lanes.cols)
    n_out = lanes.sizes[1:]
    shifts = [list(range(0, layer_format(l)["bits"] * n_out[l], layer_format(l)["bits"]))
              for l in range(n_layers)]
    in_shifts = [None] + [list(range(0, LATER["bits"] * lanes.sizes[l], LATER["bits"]))
                          for l in range(1, n_layers)]
    for batch in batches:
        m = len(batch)
        first_layer_updates = []
        G_cols = [None] + [[0] * len(c) for c in lanes.cols[1:]]
        G_rows = [None] + [[0] * len(r) for r in lanes.rows[1:]]
        sum_delta = [[0.0] * n for n in n_out]
        cost_sum, correct = 0.0, 0
        for nz, p, digit in batch:
            gather = gatherer(nz)
            z, a, A = lanes.forward(nz, p, gather)
            delta, c = output_delta_and_cost(a[-1], z[-1], digit, kind)  # (BP1)
            cost_sum += c
            correct += a[-1].index(max(a[-1])) == digit
            for l in range(n_layers - 1, -1, -1):
                f = layer_format(l)
                sum_delta[l] = list(map(add, sum_delta[l], delta))  # (BP3): ∂C/∂bᵢ = δᵢ
                # (BP4): ∂C/∂wᵢⱼ = δᵢ · aⱼ, times η/m, δ packed over i (and A = a · scale):
                D = list(map(round, map(mul, delta, repeat(eta / m * f["w_scale"] / f["a_scale"]))))
                D_packed = sum(map(lshift, D, shifts[l]))
                if l == 0:
                    first_layer_updates.append((nz, p, gather, D_packed))
                    break
                G_cols[l] = list(map(add, G_cols[l], map(mul, A[l], repeat(D_packed))))
                A_packed = sum(map(lshift, A[l], in_shifts[l]))
                G_rows[l] = list(map(add, G_rows[l], map(mul, D, repeat(A_packed))))
                # (BP2): δ⁽ˡ⁾ⱼ = σ'(z⁽ˡ⁾ⱼ) · Σᵢ w⁽ˡ⁺¹⁾ᵢⱼ δ⁽ˡ⁺¹⁾ᵢ, with σ'(z) = a(1 − a)
                delta_int = map(round, map(mul, delta, repeat(float(DELTA_SCALE))))
                back = lanes.read_back[l](sum(map(mul, delta_int, lanes.rows[l])))
                delta = [a_j * (1.0 - a_j) * s for a_j, s in zip(a[l], back)]
        # w ← w − (η/m) Σₓ ∂Cₓ/∂w   and   b ← b − (η/m) Σₓ ∂Cₓ/∂b
        cols0 = lanes.cols[0]
        for nz, p, gather, D_packed in first_layer_updates:
            # for j in nz: cols0[j] -= p[j] * D_packed
            list(map(cols0.__setitem__, nz, map(sub, gather(cols0), map(mul, p, repeat(D_packed)))))
        for l in range(1, n_layers):
            lanes.cols[l] = list(map(sub, lanes.cols[l], G_cols[l]))
            lanes.rows[l] = list(map(sub, lanes.rows[l], G_rows[l]))
        for l in range(n_layers):
            lanes.b[l] = [b_i - eta / m * s for b_i, s in zip(lanes.b[l], sum_delta[l])]
        if on_batch is not None:
            on_batch(m, cost_sum, correct)


# ---------------------------------------------------------------------------------------------
# Engine "loops": flat lists of floats and plain loops, for PyPy's JIT.
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# One interface over the engines, for train.py and evaluate.py.
# ---------------------------------------------------------------------------------------------


def make_engine(net, name=None, exact=None):
    """The network in the form the engine `name` trains: Lanes, Loops, or the Network itself.

    `exact` is an engine_state() from a checkpoint, to continue bit for bit.
    """
    name = name or default_engine()
    if name == "lanes":
        return Lanes(net, exact=exact)
    if name == "loops":
        return Loops(net)
    if name == "plain":
        return Network(net.sizes, [[list(r) for r in w_l] for w_l in net.w], [list(b) for b in net.b])
    raise ValueError("unknown engine %r (choose from %s)" % (name, ", ".join(ENGINES)))


def to_network(engine):
    """The engine's current weights as a plain Network of floats."""
    return engine if isinstance(engine, Network) else engine.network()


def engine_state(engine):
    """What a checkpoint must hold to continue exactly: the integer weights for lanes, else None."""
    return engine.integer_weights() if isinstance(engine, Lanes) else None


def scale_weights(engine, factor):
    """w ← factor · w for every weight, biases untouched: the shrinking step of weight decay."""
    if isinstance(engine, Lanes):
        engine.set_integer_weights([[[round(W_ij * factor) for W_ij in row] for row in W_l]
                                    for W_l in engine.integer_weights()])
    elif isinstance(engine, Loops):
        engine.w0[:] = [w * factor for w in engine.w0]
        for w_l in engine.w[1:]:
            w_l[:] = [w * factor for w in w_l]
    else:
        for w_l in engine.w:
            for row in w_l:
                row[:] = [w * factor for w in row]


def train_batches(engine, batches, eta, kind, on_batch=None):
    """Run gradient descent on `batches` (lists of (nz, p, digit)) with whichever engine."""
    if isinstance(engine, Lanes):
        return train_lanes(engine, batches, eta, kind, on_batch)
    if isinstance(engine, Loops):
        return train_loops(engine, batches, eta, kind, on_batch)
    return _train_plain(engine, batches, eta, kind, on_batch)


def _train_plain(net, batches, eta, kind, on_batch):
    from .network import feedforward, one_hot, sgd_step
    n_in = net.sizes[0]
    for batch in batches:
        examples = []
        correct = 0
        for nz, p, digit in batch:
            x = [0.0] * n_in
            for j, p_j in zip(nz, p):
                x[j] = PIXEL[p_j]
            examples.append((x, one_hot(digit, net.sizes[-1])))
            out = feedforward(net, x)[1][-1]
            correct += out.index(max(out)) == digit
        mean_cost = sgd_step(net, examples, eta, kind)
        if on_batch is not None:
            on_batch(len(batch), mean_cost * len(batch), correct)


def output(engine, image):
    """The output activations for an image (bytes of 0–255), with any engine."""
    if isinstance(engine, Network):
        from .network import output as plain_output
        return plain_output(engine, [PIXEL[p] for p in image])
    return engine.output(image)
