"""Engine "lanes" (the CPython default): big integers as vectors, and dot products done in C.

In CPython every arithmetic step costs an interpreter round trip of ~40 ns; this engine makes
each round trip do many multiplications at once, in two ways.

1. The first layer (784 → 16): big integers as vectors. Python integers have no size limit, so a
   whole column of the weight matrix, w₀ⱼ … w₁₅ⱼ (the weights leaving pixel j), can be stored as
   one integer with each weight in its own 64-bit "lane":

       Wⱼ = w₀ⱼ·2⁰ + w₁ⱼ·2⁶⁴ + w₂ⱼ·2¹²⁸ + …      (weights as whole numbers: w · 2⁴⁰, rounded)

   Then ONE multiplication pⱼ·Wⱼ, done in C, multiplies all sixteen weights of the column by
   the pixel, and ONE addition adds two columns lane by lane. So

       Σⱼ pⱼ Wⱼ           is   zᵢ = Σⱼ w⁽¹⁾ᵢⱼ xⱼ  for all sixteen i at once,   and
       Wⱼ −= pⱼ · D        is   w⁽¹⁾ᵢⱼ −= (η/m) δᵢ xⱼ  for all i at once (D packs the (η/m)δᵢ),

   over the non-zero pixels j only. The numbers are fixed-point (whole multiples of 2⁻⁴⁰/255),
   as precise as floats for these sizes. A lane that passed 2⁶³ would carry into the next one,
   silently: guard() raises OverflowError before a batch's steps could take one there.

2. The later layers (16 → 16 → 10): floats, with every dot product u·v done by math.dist, which
   loops in C. It gives the distance |u − v|, and since |u − v|² = |u|² − 2 u·v + |v|²,

       u · v = (|u|² + |v|² − |u − v|²) / 2          (the plain version: Σₖ uₖ vₖ)

   where the squared lengths |u|² of the weight rows and columns are worked out once per batch.
   The error is a few units in the 16th digit of |u|² + |v|².

The activations are listmath's: σ, relu or tanh in the hidden layers, σ or softmax at the output,
each neuron's aᵢ = f(zᵢ) computed from the float zᵢ. For a wide first layer (784 → 2048) the
integers are long, 2048 lanes of 64 bits, but a multiplication is still one call into C.

The tests check that one step here equals network.sgd_step to within 1e-9.
"""

import struct
from itertools import chain, repeat
from math import dist, hypot
from operator import add, lshift, lt, mul, truediv

from ..network import Network, argmax, cost_pair
from .listmath import HIDDEN, LAYER, OUTPUT_LAYERS, hidden_delta, output_delta_and_cost
from .pixels import gatherer, sparse

# Layer 1 reads pixel bytes pⱼ = 255·xⱼ (exact); its weights are whole multiples of 2⁻⁴⁰ and
# a lane of 64 bits holds Σⱼ pⱼ·w·2⁴⁰ for |w| up to ~30 even if all 784 pixels were ink.
BITS = 64
W_SCALE = 2**40
Z_SCALE = 255 * W_SCALE  # Σⱼ pⱼ Wⱼ = z · Z_SCALE

# A lane holds z·Z_SCALE: it must stay within ±2⁶³, or it carries into the next lane and every
# z after it is silently wrong. So a first-layer neuron's reach Σⱼ |wᵢⱼ| + |bᵢ| (its largest
# |z|, pixels being from 0 to 1) must stay below 2⁶³/Z_SCALE ≈ 32,896 (with 1 % kept spare for
# rounding); weights.MAX_WEIGHTED_INPUT, 30,000, refuses files beyond it.
LANE_REACH = 0.99 * 2**63 / Z_SCALE

# The hidden activations and the outputs this engine runs (engines/__init__.py reads them).
ACTIVATIONS, OUTPUTS = HIDDEN, OUTPUT_LAYERS


def pack(values):
    """One integer holding the whole numbers `values` in 64-bit lanes: Σₖ vₖ·2^(64·k).

    More than 64 lanes go through bytes instead (the sum's additions of ever longer integers
    take time n², 3.5 ms for 2048 lanes against 0.14 ms): written as signed 64-bit numbers, each
    negative lane vₖ reads as 2⁶⁴ + vₖ, i.e. it adds 1 to lane k+1, which the second integer takes
    back (the last lane's is the sign of the whole number, read with signed=True).
    """
    n = len(values)
    if n <= 64:
        return sum(map(lshift, values, range(0, BITS * n, BITS)))
    whole = int.from_bytes(struct.pack(f"<{n:d}q", *values), "little", signed=True)
    borrows = struct.pack(f"<{n:d}Q", 0, *map(lt, values[:-1], repeat(0)))
    return whole - int.from_bytes(borrows, "little")


def _unpacker(n):
    """A function giving back the n signed lanes of a packed integer: the inverse of pack().

    Writing the integer in two's complement and reading each lane as a signed number gives
    every lane right except for a borrow: a negative lane k was stored as 2⁶⁴ + vₖ, which
    took 1 from lane k+1. So lane k+1 is what it reads plus 1 when lane k reads negative.
    """
    fmt = struct.Struct(f"<{n:d}q")

    def unpack(v):
        lanes = fmt.unpack(v.to_bytes(8 * n, "little", signed=True))
        # lanes[k] + (lanes[k-1] < 0), every step in C
        return list(map(add, lanes, chain((False,), map(lt, lanes[:-1], repeat(0)))))

    return unpack


def _z_reader(n):
    """A function giving the n lanes of Σⱼ pⱼ Wⱼ + B as the floats zᵢ, to ~1e-14.

    The z become floats anyway, so here exactness is not needed: each lane is read as it
    stands, skipping _unpacker's borrow fix, an error of one unit (2⁻⁴⁰/255) at most.
    """
    fmt = struct.Struct(f"<{n:d}q")
    return lambda v: list(
        map(truediv, fmt.unpack(v.to_bytes(8 * n, "little", signed=True)), repeat(float(Z_SCALE)))
    )


def norm2(v):
    """|v|² = Σₖ vₖ², in C."""
    return hypot(*v) ** 2


def dots(us, us_norm2, v):
    """[u · v for u in us] = [(|u|² + |v|² − |u − v|²) / 2 ...],
    given us_norm2 = [|u|² for u in us].

    Plain version: [sum(u_k * v_k for u_k, v_k in zip(u, v)) for u in us]
    """
    v = tuple(v)  # math.dist reads tuples faster than lists
    v2 = norm2(v)
    if v2 == 0.0:  # v = 0 (say a layer of dead ReLUs): exactly 0, as the plain sum gives, and
        return [0.0] * len(us_norm2)  # not ±1e-17 of rounding, which would flip ReLU′ at z = 0
    return [(u2 + v2 - d * d) * 0.5 for u2, d in zip(us_norm2, map(dist, us, repeat(v)))]


class Lanes:
    """The first layer's weights packed into big integers, the later layers' as floats.

    W1[j] packs column j of w[0], the sixteen weights leaving pixel j (see the module docstring).
    w[l][i][j] for l ≥ 1 and the biases b[l][i] are floats, as in network.py. f[l] computes the
    activations of layer l + 1 from its z: the hidden activation's, then the output's.
    """

    def __init__(self, net, exact=None):
        """`exact`: the first layer's whole-number weights from a checkpoint (engine.state())."""
        self.sizes = list(net.sizes)
        self.activation, self.output_layer = net.activation, net.output
        self.f = [LAYER[net.activation]] * (len(self.sizes) - 2) + [LAYER[net.output]]
        self.b = [list(b_l) for b_l in net.b]
        self.w = [None] + [[list(row) for row in w_l] for w_l in net.w[1:]]
        self.unpack = _unpacker(self.sizes[1])
        self.read_z = _z_reader(self.sizes[1])
        self.set_integer_weights(
            exact[0] if exact else [[round(w_ij * W_SCALE) for w_ij in row] for row in net.w[0]]
        )

    def set_integer_weights(self, W):
        """Pack the first layer's whole-number weights W[i][j] (= w · 2⁴⁰) into the columns."""
        n_out, n_in = len(W), len(W[0])
        self.W1 = [pack([W[i][j] for i in range(n_out)]) for j in range(n_in)]
        self.reach = first_layer_reach(W, self.b[0])  # (see guard)
        self.changed()

    def integer_weights(self):
        """[W]: the first layer's weights as whole numbers W[i][j] = w[0][i][j] · 2⁴⁰ (exact)."""
        columns = [self.unpack(W_j) for W_j in self.W1]
        return [[[col[i] for col in columns] for i in range(self.sizes[1])]]

    def changed(self):
        """Work out again what the forward pass needs from the weights, after they changed:
        the packed first-layer biases (the start of the sum Σⱼ pⱼ Wⱼ), each later layer's rows
        and columns as tuples (for dots(): wᵢ·a and Σᵢ wᵢⱼ δᵢ), and their squared lengths."""
        self.B1 = pack([round(b_i * Z_SCALE) for b_i in self.b[0]])
        self.rows = [None] + [[tuple(r) for r in w_l] for w_l in self.w[1:]]
        self.cols = [None] + [list(zip(*w_l)) for w_l in self.w[1:]]
        self.rows_norm2 = [None] + [[norm2(r) for r in rows] for rows in self.rows[1:]]
        self.cols_norm2 = [None] + [[norm2(c) for c in cols] for cols in self.cols[1:]]

    def network(self):
        """Back to a plain Network of floats (layer 1: w = W / 2⁴⁰, correctly rounded)."""
        w = [[[W_ij / W_SCALE for W_ij in row] for row in self.integer_weights()[0]]]
        w += [[list(row) for row in w_l] for w_l in self.w[1:]]
        b = [list(b_l) for b_l in self.b]
        return Network(self.sizes, w, b, activation=self.activation, output=self.output_layer)

    def scale(self, factor):
        """w ← factor · w for every weight (the shrinking step of weight decay)."""
        self.w = [None] + [[[w_ij * factor for w_ij in row] for row in w_l] for w_l in self.w[1:]]
        self.set_integer_weights(
            [[round(W_ij * factor) for W_ij in row] for row in self.integer_weights()[0]]
        )

    def train(self, batches, eta, cost, on_batch=None):
        """Mini-batch gradient descent over `batches`: see train_lanes."""
        train_lanes(self, batches, eta, cost, on_batch)

    def state(self):
        """What a checkpoint needs beyond network() to go on bit for bit: integer_weights()."""
        return self.integer_weights()

    def weight(self, l, i, j):
        """w[l][i][j] as a float, unpacking only the one column it is in."""
        if l == 0:
            return self.unpack(self.W1[j])[i] / W_SCALE
        return self.w[l][i][j]

    def bias(self, l, i):
        """b[l][i]."""
        return self.b[l][i]

    def forward(self, nz, p):
        """Feedforward for an image given by its non-zero pixels: indices nz, bytes p.

        Returns (z, a) as in network.feedforward, except that a[0] is not built.
        """
        # z⁽¹⁾ᵢ = Σⱼ w⁽¹⁾ᵢⱼ xⱼ + bᵢ over the non-zero pixels only, all i at once:
        z_l = self.read_z(sum(map(mul, p, gatherer(nz)(self.W1)), self.B1))
        z, a = [z_l], [None, self.f[0](z_l)]  # a = f(z)
        for l in range(1, len(self.sizes) - 1):
            # z⁽ˡ⁾ᵢ = wᵢ · a⁽ˡ⁻¹⁾ + bᵢ, each dot product in C
            z_l = list(map(add, dots(self.rows[l], self.rows_norm2[l], a[l]), self.b[l]))
            z.append(z_l)
            a.append(self.f[l](z_l))
        return z, a

    def output(self, image):
        """The output activations a⁽ᴸ⁾ for an image given as bytes (0–255 per pixel)."""
        return self.forward(*sparse(image))[1][-1]


def first_layer_reach(W, b):
    """maxᵢ (Σⱼ |wᵢⱼ| + |bᵢ|): the largest |z| of the first layer, given W = w · 2⁴⁰."""
    return max(sum(map(abs, row)) / W_SCALE + abs(b_i) for row, b_i in zip(W, b))


def guard(lanes, grow):
    """OverflowError if a first-layer lane could carry once the batch's steps are added.

    lanes.reach is an upper bound on maxᵢ (Σⱼ |wᵢⱼ| + |bᵢ|) (exact after set_integer_weights);
    a batch can add at most `grow` to it. Only when the bound passes LANE_REACH are the
    weights unpacked to work out the exact sums again.
    """
    if lanes.reach + grow < LANE_REACH:
        lanes.reach += grow
        return
    lanes.reach = first_layer_reach(lanes.integer_weights()[0], lanes.b[0])
    if not lanes.reach + grow < LANE_REACH:  # (NaN too)
        raise OverflowError(
            f"a first-layer neuron's weighted input could pass ±{LANE_REACH:,.0f}, more than "
            "the lanes engine's 64-bit whole numbers hold"
        )
    lanes.reach += grow


def train_lanes(lanes, batches, eta, cost, on_batch=None):
    """Mini-batch gradient descent over `batches`, in place: the step of network.sgd_step.

    `batches` yields lists of (nz, p, digit). For each example this is network.backprop's
    (BP1)–(BP4); the weights change only when the batch is done, by
        w⁽ˡ⁾ᵢⱼ ← w⁽ˡ⁾ᵢⱼ − (η/m) Σₓ δ⁽ˡ⁾ᵢ a⁽ˡ⁻¹⁾ⱼ      (the sum over the m examples x of the batch)
    For the later layers that sum is itself a dot product, of the δᵢ of the m examples with
    their aⱼ, done by dots(). The first layer's columns are only touched where a pixel was
    non-zero, so for it we keep each example's (nz, p, D) and subtract pⱼ·D from those columns.
    on_batch(m, cost_sum, correct) is called after each batch.
    """
    n_layers = len(lanes.sizes) - 1
    f, output = lanes.activation, lanes.output_layer
    cost_pair(cost, output)  # softmax with the quadratic cost: the clear error of network.py
    guard(lanes, 0.0)  # the weights it starts from (then each batch's, before its steps)
    for batch in batches:
        m = len(batch)
        step = eta / m
        D_scale = step * W_SCALE / 255  # D = (η/m)·δ as whole multiples of 2⁻⁴⁰/255
        first_layer = []  # (nz, p, D) of each example
        a_seen = [[] for _ in range(n_layers)]  # [l]: each example's a[l], what w[l] reads (l ≥ 1)
        delta_seen = [
            [] for _ in range(n_layers)
        ]  # [l]: each example's δ of the neurons w[l] feeds
        cost_sum, correct = 0.0, 0
        for nz, p, digit in batch:
            z, a = lanes.forward(nz, p)
            delta, c = output_delta_and_cost(a[-1], z[-1], digit, cost, output)  # (BP1)
            cost_sum += c
            correct += argmax(a[-1]) == digit
            for l in range(n_layers - 1, 0, -1):
                delta_seen[l].append(delta)  # for (BP3) ∂C/∂bᵢ = δᵢ and (BP4) ∂C/∂wᵢⱼ = δᵢ aⱼ
                a_seen[l].append(a[l])
                # (BP2): δ⁽ˡ⁾ⱼ = f′(z⁽ˡ⁾ⱼ) · Σᵢ w⁽ˡ⁺¹⁾ᵢⱼ δ⁽ˡ⁺¹⁾ᵢ, f′ read from a (σ′(z) = a(1 − a))
                back = dots(lanes.cols[l], lanes.cols_norm2[l], delta)
                delta = hidden_delta(f, a[l], back)
            delta_seen[0].append(delta)
            try:
                D = pack(list(map(round, map(mul, delta, repeat(D_scale)))))
            except (ValueError, struct.error):  # δ NaN, or a lane of D past 64 bits
                guard(lanes, float("inf"))
            first_layer.append((nz, p, D))
        # w ← w − (η/m) Σₓ ∂Cₓ/∂w   and   b ← b − (η/m) Σₓ ∂Cₓ/∂b
        # what the batch can add to a neuron's Σⱼ |wᵢⱼ| + |bᵢ|: Σₓ (η/m) maxᵢ|δᵢ| (Σⱼ xⱼ + 1),
        # at most (η/m) max|δ| (Σₓ (non-zero pixels) + m), in C: checked before the steps
        ink = sum(map(len, (p for _, p, _ in first_layer)))
        guard(lanes, step * max(map(abs, chain.from_iterable(delta_seen[0]))) * (ink + m))
        W1 = lanes.W1
        for nz, p, D in first_layer:
            for j, p_j in zip(nz, p):
                W1[j] -= p_j * D  # (BP4), all sixteen i at once
        for l in range(1, n_layers):
            # (BP4) summed over the batch: Σₓ δₓᵢ aₓⱼ is the dot product of the vectors
            # (δₓᵢ over x) and (aₓⱼ over x)
            deltas_i = list(zip(*delta_seen[l]))
            acts_j = list(zip(*a_seen[l]))
            acts_norm2 = [norm2(a_j) for a_j in acts_j]
            lanes.w[l] = [
                [w_ij - step * s for w_ij, s in zip(row, dots(acts_j, acts_norm2, d_i))]
                for row, d_i in zip(lanes.w[l], deltas_i)
            ]
        for l in range(n_layers):
            lanes.b[l] = [
                b_i - step * sum(d_i) for b_i, d_i in zip(lanes.b[l], zip(*delta_seen[l]))
            ]
        lanes.changed()
        if on_batch is not None:
            on_batch(m, cost_sum, correct)
