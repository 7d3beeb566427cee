"""The network: layers of neurons, feedforward, backpropagation, gradient descent.

Everything here is lists of floats and explicit loops, so that you can watch it work.
Notation (3Blue1Brown's and Nielsen's), with L the number of weight layers:

    a⁽⁰⁾ = x                          the input: 784 pixels, 0 = paper, 1 = ink
    z⁽ˡ⁾ᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ a⁽ˡ⁻¹⁾ⱼ + b⁽ˡ⁾ᵢ   weighted input of neuron i in layer l
    a⁽ˡ⁾ᵢ = f(z⁽ˡ⁾ᵢ)                   its activation: f is σ, ReLU or tanh (net.activation)
    a⁽ᴸ⁾                               the output: ten numbers, one per digit, σ(z⁽ᴸ⁾) or
                                       softmax(z⁽ᴸ⁾) (net.output)

The video's network is all sigmoids: f = σ and a σ output, the defaults.

Python counts from 0, so the list `w[l]` holds the matrix the maths calls w⁽ˡ⁺¹⁾:
`w[l][i][j]` is the weight from neuron j of layer l to neuron i of layer l+1, and `b[l][i]`
is the bias of neuron i of layer l+1. In the same way `z[l]` and `delta[l]` belong to layer
l+1, while `a[l]` is layer l's activation (so `a[0]` is the input and `a[L]` the output).

Backpropagation is Nielsen's four equations (chapter 2), with ⊙ the element-wise product:

    (BP1)  δ⁽ᴸ⁾ᵢ = ∂C/∂a⁽ᴸ⁾ᵢ · σ'(z⁽ᴸ⁾ᵢ)       (softmax with cross-entropy: δ⁽ᴸ⁾ᵢ = a⁽ᴸ⁾ᵢ − yᵢ)
    (BP2)  δ⁽ˡ⁾ⱼ = f'(z⁽ˡ⁾ⱼ) · Σᵢ w⁽ˡ⁺¹⁾ᵢⱼ δ⁽ˡ⁺¹⁾ᵢ
    (BP3)  ∂C/∂b⁽ˡ⁾ᵢ = δ⁽ˡ⁾ᵢ
    (BP4)  ∂C/∂w⁽ˡ⁾ᵢⱼ = δ⁽ˡ⁾ᵢ · a⁽ˡ⁻¹⁾ⱼ

This module is the reference: slow and plain. `tinynet/engines/` does the same arithmetic
faster for training, and the tests check that the two agree.
"""

import math
import random


class Network:
    """Layer sizes, weights w[l][i][j] and biases b[l][i], the hidden layers' activation f
    ("sigmoid", "relu" or "tanh") and the output layer's ("sigmoid" or "softmax"); in Jupyter
    it draws itself."""

    def __init__(self, sizes, w, b, activation="sigmoid", output="sigmoid"):
        self.sizes = list(sizes)
        self.w = w
        self.b = b
        self.activation = activation
        self.output = output

    def __repr__(self):
        kind = ""
        if (self.activation, self.output) != ("sigmoid", "sigmoid"):
            kind = f", activation={self.activation!r}, output={self.output!r}"
        return f"Network(sizes={self.sizes!r}{kind})"

    def _repr_svg_(self):
        """How Jupyter draws a network: as a picture (tinynet/pictures.py)."""
        from .pictures import network_svg

        return network_svg(self)


def new_network(sizes=(784, 16, 16, 10), seed=0, activation="sigmoid", output="sigmoid"):
    """A network with random weights, drawn to suit its activation f:

    sigmoid, tanh:  w ~ N(0, 1/fan_in), b ~ N(0, 1)
    relu:           w ~ N(0, 2/fan_in), b = 0   (He initialisation)

    Dividing by the number of inputs of a neuron (its fan-in) keeps z = Σ w·a + b near ±1
    at the start, where σ is steep and learning is fast (Nielsen, chapter 3). A ReLU passes
    on only its positive half, so He doubles the variance to keep z as large layer after layer,
    and b = 0 starts no neuron dead (z < 0 for every input, so f'(z) = 0 and it never learns).
    The same seed always gives the same network.
    """
    activation_pair(activation)
    output_layer([0.0], output)  # a clear error for an unknown activation or output
    rng = random.Random(seed)
    w, b = [], []
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        spread = math.sqrt(2.0 / n_in) if activation == "relu" else 1.0 / math.sqrt(n_in)
        w.append([[rng.gauss(0.0, spread) for j in range(n_in)] for i in range(n_out)])
        if activation == "relu":
            b.append([0.0] * n_out)
        else:
            b.append([rng.gauss(0.0, 1.0) for i in range(n_out)])
    return Network(sizes, w, b, activation, output)


def sigmoid(z):
    """σ(z) = 1 / (1 + e⁻ᶻ), written so that e never overflows: for z < 0 use eᶻ / (1 + eᶻ)."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid_prime(z):
    """σ'(z) = σ(z) · (1 − σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z):
    """ReLU(z) = max(0, z): the rectified linear unit."""
    return z if z > 0.0 else 0.0


def relu_prime(z):
    """ReLU'(z) = 1 for z > 0, else 0 (at the kink z = 0 we take 0)."""
    return 1.0 if z > 0.0 else 0.0


def tanh(z):
    """tanh(z) = (eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ) = 2σ(2z) − 1: a sigmoid from −1 to 1."""
    return math.tanh(z)


def tanh_prime(z):
    """tanh'(z) = 1 − tanh(z)²."""
    t = math.tanh(z)
    return 1.0 - t * t


# Each activation f of the hidden layers is a pair: f itself (feedforward) and f' (BP2).
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "relu": (relu, relu_prime),
    "tanh": (tanh, tanh_prime),
}
OUTPUTS = ("sigmoid", "softmax")  # the output layer's activation


def activation_pair(activation):
    """(f, f') for the activation named `activation`, or a clear error."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r} (choose sigmoid, relu or tanh)")
    return ACTIVATIONS[activation]


def softmax(z_L):
    """softmax(z)ₖ = e^zₖ / Σⱼ e^zⱼ: outputs that are positive and sum to 1.

    Computed as e^(zₖ − max z) / Σⱼ e^(zⱼ − max z), the same value, so that e never overflows.
    """
    top = max(z_L)
    e = [math.exp(z_k - top) for z_k in z_L]
    total = sum(e)
    return [e_k / total for e_k in e]


def output_layer(z_L, output="sigmoid"):
    """The output activations a⁽ᴸ⁾: σ(zₖ) for each neuron, or softmax(z⁽ᴸ⁾)."""
    if output == "softmax":
        return softmax(z_L)
    if output == "sigmoid":
        return [sigmoid(z_k) for z_k in z_L]
    raise ValueError(f"unknown output {output!r} (choose sigmoid or softmax)")


def feedforward(net, x):
    """Run the input through the network, keeping every z and a.

    z⁽ˡ⁾ᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ a⁽ˡ⁻¹⁾ⱼ + b⁽ˡ⁾ᵢ  and  a⁽ˡ⁾ᵢ = f(z⁽ˡ⁾ᵢ), the output layer σ or softmax.
    Returns (z, a): z[l] is the list of weighted inputs of layer l+1, a[l] the activations of
    layer l (a[0] is x, a[-1] the ten outputs).
    """
    f = activation_pair(net.activation)[0]
    z, a = [], [list(x)]
    for l in range(len(net.w)):
        w, b, a_prev = net.w[l], net.b[l], a[l]
        z_l = []
        for i in range(len(w)):
            total = b[i]
            for j in range(len(a_prev)):
                total += w[i][j] * a_prev[j]
            z_l.append(total)
        z.append(z_l)
        if l < len(net.w) - 1:
            a.append([f(z_i) for z_i in z_l])
        else:
            a.append(output_layer(z_l, net.output))
    return z, a


def output(net, x):
    """The ten output activations a⁽ᴸ⁾ for input x."""
    return feedforward(net, x)[1][-1]


def argmax(values):
    """The index of the largest value: for the ten outputs, the digit the network says."""
    return values.index(max(values))


def classify(net, x):
    """The digit whose output neuron is most active."""
    return argmax(output(net, x))


def copy_network(net):
    """A separate Network with the same weights and biases (changing one leaves the other)."""
    w = [[list(r) for r in w_l] for w_l in net.w]
    return Network(net.sizes, w, [list(b) for b in net.b], net.activation, net.output)


def one_hot(digit, n=10):
    """The desired output y for a digit: 1 for that digit's neuron, 0 for the others."""
    y = [0.0] * n
    y[digit] = 1.0
    return y


def softplus(t):
    """ln(1 + eᵗ), computed without overflow."""
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


# Each cost is a pair: its value C for one example, and (BP1) its output error δ⁽ᴸ⁾ᵢ = ∂C/∂z⁽ᴸ⁾ᵢ:
# ∂C/∂a⁽ᴸ⁾ᵢ · σ'(z⁽ᴸ⁾ᵢ) in COSTS (a sigmoid output layer), a⁽ᴸ⁾ᵢ − yᵢ in SOFTMAX_COSTS (softmax).
# Both take the output a⁽ᴸ⁾, the wanted output y and z⁽ᴸ⁾.


def quadratic_cost(a_L, y, z_L):
    """C = Σₖ (aₖ − yₖ)²  (3Blue1Brown's cost)."""
    return sum((a_k - y_k) ** 2 for a_k, y_k in zip(a_L, y))


def quadratic_delta(a_L, y, z_L):
    """(BP1) ∂C/∂aᵢ = 2(aᵢ − yᵢ), so δᵢ = 2(aᵢ − yᵢ) · σ'(zᵢ)."""
    return [2.0 * (a_i - y_i) * sigmoid_prime(z_i) for a_i, y_i, z_i in zip(a_L, y, z_L)]


def cross_entropy_cost(a_L, y, z_L):
    """C = −Σₖ [yₖ ln aₖ + (1 − yₖ) ln(1 − aₖ)]  (Nielsen, chapter 3).

    Computed from z, since ln σ(z) = −softplus(−z) and ln(1 − σ(z)) = −softplus(z): that stays
    finite even when a rounds to exactly 0 or 1.
    """
    return sum(y_k * softplus(-z_k) + (1.0 - y_k) * softplus(z_k) for z_k, y_k in zip(z_L, y))


def cross_entropy_delta(a_L, y, z_L):
    """(BP1) ∂C/∂aᵢ = (aᵢ − yᵢ) / (aᵢ(1 − aᵢ)) and σ'(zᵢ) = aᵢ(1 − aᵢ), so δᵢ = aᵢ − yᵢ."""
    return [a_i - y_i for a_i, y_i in zip(a_L, y)]


def log_likelihood_cost(a_L, y, z_L):
    """C = −Σₖ yₖ ln aₖ, the cross-entropy of a softmax output (Nielsen's log-likelihood).

    Computed from z, since ln softmax(z)ₖ = zₖ − max z − ln Σⱼ e^(zⱼ − max z): that stays
    finite even when a rounds to exactly 0.
    """
    top = max(z_L)
    log_total = math.log(sum(math.exp(z_j - top) for z_j in z_L))
    return -sum(y_k * (z_k - top - log_total) for z_k, y_k in zip(z_L, y))


def log_likelihood_delta(a_L, y, z_L):
    """(BP1) δᵢ = ∂C/∂zᵢ = aᵢ − yᵢ, for a softmax output and y that sums to 1 (a one-hot)."""
    # Each aₖ depends on every zᵢ: ∂aₖ/∂zᵢ = aₖ(1ₖ₌ᵢ − aᵢ), and ∂C/∂aₖ = −yₖ/aₖ, so
    # δᵢ = Σₖ −yₖ(1ₖ₌ᵢ − aᵢ) = −yᵢ + aᵢ Σₖ yₖ = aᵢ − yᵢ: the aₖ cancel, as σ' did for σ.
    return [a_i - y_i for a_i, y_i in zip(a_L, y)]


COSTS = {
    "quadratic": (quadratic_cost, quadratic_delta),
    "cross-entropy": (cross_entropy_cost, cross_entropy_delta),
}
SOFTMAX_COSTS = {"cross-entropy": (log_likelihood_cost, log_likelihood_delta)}
DEFAULT_COST = "cross-entropy"  # what every command trains with; --cost quadratic for the video's
SOFTMAX_QUADRATIC = "the softmax output goes with the cross-entropy cost, not quadratic"


def cost_pair(cost, output="sigmoid"):
    """(C, BP1) for the cost named `cost` on an output layer `output`, or a clear error.

    Softmax is only paired with cross-entropy (log-likelihood), whose δ = a − y is simple; with
    the quadratic cost its BP1 would need softmax's whole Jacobian, and it learns slowly.
    """
    if cost not in COSTS:
        raise ValueError(f"unknown cost {cost!r} (choose quadratic or cross-entropy)")
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r} (choose sigmoid or softmax)")
    if output == "softmax" and cost not in SOFTMAX_COSTS:
        raise ValueError(SOFTMAX_QUADRATIC)
    return SOFTMAX_COSTS[cost] if output == "softmax" else COSTS[cost]


def cost(a_L, y, z_L, cost=DEFAULT_COST, output="sigmoid"):
    """The cost C of one example: quadratic_cost, cross_entropy_cost or log_likelihood_cost."""
    return cost_pair(cost, output)[0](a_L, y, z_L)


def output_delta(a_L, y, z_L, cost=DEFAULT_COST, output="sigmoid"):
    """(BP1) δ⁽ᴸ⁾ᵢ = ∂C/∂a⁽ᴸ⁾ᵢ · σ'(z⁽ᴸ⁾ᵢ): quadratic_delta or cross_entropy_delta; for a
    softmax output log_likelihood_delta, δ⁽ᴸ⁾ᵢ = a⁽ᴸ⁾ᵢ − yᵢ."""
    return cost_pair(cost, output)[1](a_L, y, z_L)


def backprop(net, x, y, cost=DEFAULT_COST):
    """The gradient of the cost of one example (x, y): returns (dC_db, dC_dw, delta, z, a).

    dC_db[l][i] = ∂C/∂b[l][i] and dC_dw[l][i][j] = ∂C/∂w[l][i][j], shaped like b and w;
    delta[l] is the error δ of layer l+1. z and a are the forward pass (see feedforward).
    """
    f_prime = activation_pair(net.activation)[1]
    z, a = feedforward(net, x)
    n_layers = len(net.w)
    delta = [None] * n_layers

    delta[-1] = output_delta(a[-1], y, z[-1], cost, net.output)  # (BP1)

    for l in range(n_layers - 2, -1, -1):  # from the last hidden layer back to the first
        w_next, delta_next = net.w[l + 1], delta[l + 1]
        delta_l = []
        for j in range(len(z[l])):
            back = 0.0
            for i in range(len(delta_next)):
                back += w_next[i][j] * delta_next[i]
            delta_l.append(f_prime(z[l][j]) * back)  # (BP2)
        delta[l] = delta_l

    dC_db = [list(delta_l) for delta_l in delta]  # (BP3)
    dC_dw = []
    for l in range(n_layers):
        a_prev = a[l]
        dC_dw.append(
            [
                [delta[l][i] * a_prev[j] for j in range(len(a_prev))]  # (BP4)
                for i in range(len(delta[l]))
            ]
        )
    return dC_db, dC_dw, delta, z, a


def sgd_step(net, batch, eta, cost=DEFAULT_COST):
    """One step of mini-batch gradient descent, in place.

    For a mini-batch of m examples (x, y):
        w ← w − (η/m) Σₓ ∂Cₓ/∂w        b ← b − (η/m) Σₓ ∂Cₓ/∂b
    Returns the mean cost of the batch (computed before the step).
    """
    m = len(batch)
    C = cost_pair(cost, net.output)[0]
    sum_db = [[0.0] * len(b_l) for b_l in net.b]
    sum_dw = [[[0.0] * len(row) for row in w_l] for w_l in net.w]
    total_cost = 0.0
    for x, y in batch:
        dC_db, dC_dw, _, z, a = backprop(net, x, y, cost)
        total_cost += C(a[-1], y, z[-1])
        for l in range(len(net.w)):
            for i in range(len(net.b[l])):
                sum_db[l][i] += dC_db[l][i]
                for j in range(len(net.w[l][i])):
                    sum_dw[l][i][j] += dC_dw[l][i][j]
    for l in range(len(net.w)):
        for i in range(len(net.b[l])):
            net.b[l][i] -= eta / m * sum_db[l][i]
            for j in range(len(net.w[l][i])):
                net.w[l][i][j] -= eta / m * sum_dw[l][i][j]
    return total_cost / m
