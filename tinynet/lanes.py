"""Engine "lanes" (the CPython default): big integers as vectors.

Let one big integer carry many numbers side by side. Python integers have no size limit, so a
whole column of a weight matrix, w₀ⱼ … w₁₅ⱼ, can be stored as one integer with each weight in
its own 64- or 128-bit "lane":

    Wⱼ = w₀ⱼ·2⁰ + w₁ⱼ·2⁶⁴ + w₂ⱼ·2¹²⁸ + …      (weights as whole numbers: w · 2⁴⁰, rounded)

Then ONE multiplication aⱼ·Wⱼ, done in C, multiplies all sixteen weights of the column by
aⱼ, and ONE addition adds two columns lane by lane. So

    z = Σⱼ aⱼ Wⱼ            is   zᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ aⱼ  for all sixteen i at once,   and
    Gⱼ += aⱼ · D            is   ∂C/∂wᵢⱼ += δᵢ aⱼ  for all i at once (D packs the δᵢ),

which is ~16 times fewer steps for the interpreter. The numbers are fixed-point (whole
multiples of 2⁻⁴⁰ or finer), which is as precise as floats for these sizes: the tests check
that one step here equals network.sgd_step to within 1e-9.
"""

import struct
from itertools import chain, repeat
from operator import add, lshift, lt, mul, sub, truediv

from .network import Network
from .sparse import gatherer, output_delta_and_cost, sigmoids, sparse

# Layer 1 reads pixel bytes pⱼ = 255·xⱼ (exact); its weights are whole multiples of 2⁻⁴⁰ and
# a lane of 64 bits holds Σⱼ pⱼ·w·2⁴⁰ for |w| up to ~30 even if all 784 pixels were ink.
# Later layers read activations a as whole multiples of 2⁻³⁶, weights as multiples of 2⁻⁷²,
# in lanes of 128 bits.
FIRST = {"bits": 64, "w_scale": 2 ** 40, "a_scale": 255}
LATER = {"bits": 128, "w_scale": 2 ** 72, "a_scale": 2 ** 36}
DELTA_SCALE = 2 ** 40  # δ as a whole multiple of 2⁻⁴⁰ when sent backwards through Wᵀ


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
