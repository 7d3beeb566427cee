"""The video's formulas for ∂C/∂w and ∂C/∂b, typed in literally: one weight at a time, no δ's.

3Blue1Brown's chapter on backpropagation calculus writes the gradient of the quadratic cost of
one example, C = Σₖ (aₖ⁽³⁾ − yₖ)², for the network (in) → (1) → (2) → (3) weight by weight:

    ∂C/∂w⁽³⁾ᵢⱼ = 2(aᵢ⁽³⁾ − yᵢ) · σ'(zᵢ⁽³⁾) · aⱼ⁽²⁾
    ∂C/∂b⁽³⁾ᵢ  = 2(aᵢ⁽³⁾ − yᵢ) · σ'(zᵢ⁽³⁾)
    ∂C/∂w⁽²⁾ᵢⱼ = f'(zᵢ⁽²⁾) · aⱼ⁽¹⁾ · Σₖ 2(aₖ⁽³⁾ − yₖ) · σ'(zₖ⁽³⁾) · w⁽³⁾ₖᵢ
    ∂C/∂b⁽²⁾ᵢ  = f'(zᵢ⁽²⁾) · Σₖ 2(aₖ⁽³⁾ − yₖ) · σ'(zₖ⁽³⁾) · w⁽³⁾ₖᵢ
    ∂C/∂w⁽¹⁾ᵢⱼ = f'(zᵢ⁽¹⁾) · aⱼ⁽ⁱⁿ⁾ · Σₖ 2(aₖ⁽³⁾ − yₖ) · σ'(zₖ⁽³⁾) · Σₕ w⁽³⁾ₖₕ · f'(zₕ⁽²⁾) · w⁽²⁾ₕᵢ
    ∂C/∂b⁽¹⁾ᵢ  = f'(zᵢ⁽¹⁾) · Σₖ 2(aₖ⁽³⁾ − yₖ) · σ'(zₖ⁽³⁾) · Σₕ w⁽³⁾ₖₕ · f'(zₕ⁽²⁾) · w⁽²⁾ₕᵢ

with k over the n₃ outputs, h over the n₂ neurons of layer 2 (the hidden layer next to the
outputs), and f the hidden layers' activation: σ in the video (f' = σ'), or ReLU or tanh
(net.activation, network.ACTIVATIONS); the outputs are sigmoids, whence σ'(zₖ⁽³⁾).
This module is those six lines and nothing else: dC_dw and dC_db, every sum an explicit loop,
for a network of three weight layers of any sizes. With cost="cross-entropy" the factor
2(aₖ − yₖ) · σ'(zₖ⁽³⁾) is (aₖ − yₖ) (network.cross_entropy_delta says why), and with a softmax
output too (network.log_likelihood_delta); the rest is the same.

Symbols → code (`net` from network.new_network; z, a = network.feedforward(net, x)):

    maths         code              note
    layer 1, 2, 3 layer=1, 2, 3     the maths' numbering l; Python's lists count from 0:
    w⁽ˡ⁾ᵢⱼ         net.w[l-1][i][j]  so w⁽³⁾ₖᵢ is net.w[2][k][i]
    b⁽ˡ⁾ᵢ          net.b[l-1][i]
    z⁽ˡ⁾ᵢ          z[l-1][i]
    a⁽ˡ⁾ᵢ          a[l][i]           a[0] is the input a⁽ⁱⁿ⁾ = x, a[3] the output a⁽³⁾
    yₖ             y[k]              the one-hot list: 1.0 for the true digit
    σ'(z)         sigmoid_prime(z)  the output layer's: network.sigmoid_prime
    f'(z)         f_prime(z)        the hidden layers': network.ACTIVATIONS[net.activation][1]
    n₂, n₃         net.sizes[2], net.sizes[3]
    i, j, k, h    i, j, k, h        0-based, as Python indexes lists: i a neuron of the layer
                                    asked for, j one of its inputs, k an output, h a neuron of
                                    layer 2 (l is only ever a layer)

Why these are backpropagation, unrolled. Name the repeated factor δ⁽³⁾ₖ = 2(aₖ⁽³⁾ − yₖ) σ'(zₖ⁽³⁾):
that is BP1 (network.output_delta). Then the third line is f'(zᵢ⁽²⁾) Σₖ w⁽³⁾ₖᵢ δ⁽³⁾ₖ = δ⁽²⁾ᵢ, BP2.
In the fifth line, swap the two sums (Σₖ Σₕ = Σₕ Σₖ) and take out the factors that do not
depend on k:

    Σₖ δ⁽³⁾ₖ Σₕ w⁽³⁾ₖₕ f'(zₕ⁽²⁾) w⁽²⁾ₕᵢ = Σₕ w⁽²⁾ₕᵢ · f'(zₕ⁽²⁾) Σₖ w⁽³⁾ₖₕ δ⁽³⁾ₖ = Σₕ w⁽²⁾ₕᵢ δ⁽²⁾ₕ

so f'(zᵢ⁽¹⁾) times it is δ⁽¹⁾ᵢ, BP2 once more. Every line is then δ⁽ˡ⁾ᵢ · aⱼ⁽ˡ⁻¹⁾ (BP4) or
δ⁽ˡ⁾ᵢ (BP3): the same products, added in a different order, so the results agree with
network.backprop to the last few bits (tests/test_formulas.py checks it for any weights).

The difference is the work. backprop computes the 10 + 16 + 16 numbers δ once and reuses them;
these formulas recompute the whole double sum for every single weight: each of the first
layer's 12,544 weights costs n₃(3n₂ + 4) + 3 = 523 multiplications (quadratic cost, σ' and f'
counted as one) where backprop's BP4 needs one. `multiplications` counts both ways for the whole
gradient (6,581,214 against 13,470); examples/step_through.py prints the counts and times them.
"""

from .network import ACTIVATIONS, cost_pair, feedforward, sigmoid_prime


def _check(net, layer, i, j=None, cost="quadratic"):
    cost_pair(cost, net.output)  # an unknown cost, or softmax with quadratic: a clear error
    if len(net.w) != 3:
        raise ValueError(
            f"the formulas are for three weight layers (in → 1 → 2 → 3); this network has "
            f"{len(net.w):d}"
        )
    if layer not in (1, 2, 3):
        raise ValueError(f"layer is 1, 2 or 3 (the maths' numbering), not {layer!r}")
    n_out, n_in = net.sizes[layer], net.sizes[layer - 1]
    if not 0 <= i < n_out:
        raise ValueError(f"layer {layer:d} has neurons i = 0 … {n_out - 1:d}, not {i!r}")
    if j is not None and not 0 <= j < n_in:
        raise ValueError(f"layer {layer:d} has inputs j = 0 … {n_in - 1:d}, not {j!r}")


def _error_factor(a3_k, y_k, z3_k, cost):
    """2(aₖ⁽³⁾ − yₖ) · σ'(zₖ⁽³⁾) for the quadratic cost; (aₖ⁽³⁾ − yₖ) for cross-entropy, with a
    sigmoid or a softmax output."""
    if cost == "quadratic":
        return 2.0 * (a3_k - y_k) * sigmoid_prime(z3_k)
    return a3_k - y_k


def _sum_from_layer_2(net, z, a, y, i, cost):
    """Σₖ 2(aₖ⁽³⁾ − yₖ) · σ'(zₖ⁽³⁾) · w⁽³⁾ₖᵢ   (k over the n₃ outputs)."""
    w3 = net.w[2]
    total = 0.0
    for k in range(net.sizes[3]):
        total += _error_factor(a[3][k], y[k], z[2][k], cost) * w3[k][i]
    return total


def _sum_from_layer_1(net, z, a, y, i, cost):
    """Σₖ 2(aₖ⁽³⁾ − yₖ) · σ'(zₖ⁽³⁾) · Σₕ w⁽³⁾ₖₕ · f'(zₕ⁽²⁾) · w⁽²⁾ₕᵢ   (k over n₃, h over n₂)."""
    w3, w2 = net.w[2], net.w[1]
    f_prime = ACTIVATIONS[net.activation][1]
    total = 0.0
    for k in range(net.sizes[3]):
        inner = 0.0
        for h in range(net.sizes[2]):
            inner += w3[k][h] * f_prime(z[1][h]) * w2[h][i]
        total += _error_factor(a[3][k], y[k], z[2][k], cost) * inner
    return total


def dC_dw(net, x, y, layer, i, j, cost="quadratic", forward=None):
    """∂C/∂w⁽ˡᵃʸᵉʳ⁾ᵢⱼ for one example (x, y), straight from the video's formulas.

    `layer` is 1, 2 or 3 as in the maths (w⁽³⁾ is net.w[2]); i, j count from 0. `forward` may be
    network.feedforward(net, x), to share one forward pass between many calls.

        >>> from tinynet import network, formulas
        >>> net = network.new_network([4, 3, 3, 2], seed=1)
        >>> x, y = [0.0, 0.5, 1.0, 0.25], [0.0, 1.0]
        >>> g = network.backprop(net, x, y, "quadratic")[1]
        >>> abs(formulas.dC_dw(net, x, y, 1, 2, 3) - g[0][2][3]) < 1e-15
        True
    """
    _check(net, layer, i, j, cost)
    z, a = forward or feedforward(net, x)
    f_prime = ACTIVATIONS[net.activation][1]  # f' of the hidden layers; σ' in the video
    if layer == 3:
        return _error_factor(a[3][i], y[i], z[2][i], cost) * a[2][j]
    if layer == 2:
        return f_prime(z[1][i]) * a[1][j] * _sum_from_layer_2(net, z, a, y, i, cost)
    return f_prime(z[0][i]) * a[0][j] * _sum_from_layer_1(net, z, a, y, i, cost)


def dC_db(net, x, y, layer, i, cost="quadratic", forward=None):
    """∂C/∂b⁽ˡᵃʸᵉʳ⁾ᵢ for one example (x, y), straight from the video's formulas (see dC_dw)."""
    _check(net, layer, i, None, cost)
    z, a = forward or feedforward(net, x)
    f_prime = ACTIVATIONS[net.activation][1]
    if layer == 3:
        return _error_factor(a[3][i], y[i], z[2][i], cost)
    if layer == 2:
        return f_prime(z[1][i]) * _sum_from_layer_2(net, z, a, y, i, cost)
    return f_prime(z[0][i]) * _sum_from_layer_1(net, z, a, y, i, cost)


def gradient(net, x, y, cost="quadratic"):
    """Every ∂C/∂b and ∂C/∂w by the formulas, one at a time: (dC_db, dC_dw), shaped like
    network.backprop's first two results (dC_dw[l-1][i][j] = ∂C/∂w⁽ˡ⁾ᵢⱼ)."""
    forward = feedforward(net, x)
    dC_db_all = [
        [dC_db(net, x, y, layer, i, cost, forward) for i in range(net.sizes[layer])]
        for layer in (1, 2, 3)
    ]
    dC_dw_all = [
        [
            [dC_dw(net, x, y, layer, i, j, cost, forward) for j in range(net.sizes[layer - 1])]
            for i in range(net.sizes[layer])
        ]
        for layer in (1, 2, 3)
    ]
    return dC_db_all, dC_dw_all


def multiplications(sizes, cost="quadratic"):
    """How many multiplications one example's whole gradient takes: {"formulas": …, "backprop":
    …, "forward": …}.

    Counted from the code (tests/test_formulas.py checks the counts by counting the real
    multiplications): σ'(z) = σ(z)(1 − σ(z)) and f'(z) count as one; the forward pass z, a
    ("forward", network.feedforward) is the same both ways and is left out of the other two.
    With n₀ … n₃ the layer sizes and e the multiplications in one δ⁽³⁾ₖ (3 for 2(a−y)σ'(z), 0
    for cross-entropy's a − y):

        formulas, each w⁽³⁾ᵢⱼ: e + 1            each b⁽³⁾ᵢ: e
                  each w⁽²⁾ᵢⱼ: n₃(e + 1) + 3     each b⁽²⁾ᵢ: n₃(e + 1) + 2
                  each w⁽¹⁾ᵢⱼ: n₃(e + 1 + 3n₂) + 3   each b⁽¹⁾ᵢ: n₃(e + 1 + 3n₂) + 2
        backprop: BP1 e·n₃, BP2 n₂(n₃ + 2) + n₁(n₂ + 2), BP3 none, BP4 n₀n₁ + n₁n₂ + n₂n₃
    """
    n0, n1, n2, n3 = sizes
    e = 3 if cost == "quadratic" else 0
    by_formulas = (
        n3 * n2 * (e + 1)
        + n3 * e
        + n2 * n1 * (n3 * (e + 1) + 3)
        + n2 * (n3 * (e + 1) + 2)
        + n1 * n0 * (n3 * (e + 1 + 3 * n2) + 3)
        + n1 * (n3 * (e + 1 + 3 * n2) + 2)
    )
    by_backprop = e * n3 + n2 * (n3 + 2) + n1 * (n2 + 2) + n0 * n1 + n1 * n2 + n2 * n3
    return {
        "formulas": by_formulas,
        "backprop": by_backprop,
        "forward": n0 * n1 + n1 * n2 + n2 * n3,
    }
