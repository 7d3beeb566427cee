"""Activations over a list, BP2's f′ and BP1 for one example: what all the engines use as they are.

Each function f of a hidden layer comes with its derivative f′ read from the activation a = f(z)
(so that backpropagation needs no z): σ′(z) = a(1 − a), tanh′(z) = 1 − a², relu′(z) = 1 if a > 0
else 0. network.ACTIVATIONS has the same pairs, written from z.
"""

from math import exp, log, log1p, tanh

from ..network import softmax  # (the network's own: nothing to speed up there)

HIDDEN = ("sigmoid", "relu", "tanh")  # what the fast engines run in the hidden layers
OUTPUT_LAYERS = ("sigmoid", "softmax")  # and in the output layer


def sigmoids(z):
    """[σ(zᵢ) for zᵢ in z], σ(z) = 1 / (1 + e⁻ᶻ); below z = −700 (where e⁻ᶻ would overflow) σ is 0.

    network.sigmoid says the same in a slower, exact way: σ(−700) is 1e-304 there.
    """
    return [1.0 / (1.0 + exp(-z_i)) if z_i > -700.0 else 0.0 for z_i in z]


def relus(z):
    """[relu(zᵢ) for zᵢ in z], relu(z) = max(z, 0)."""
    return [z_i if z_i > 0.0 else 0.0 for z_i in z]


def tanhs(z):
    """[tanh(zᵢ) for zᵢ in z]."""
    return list(map(tanh, z))


LAYER = {"sigmoid": sigmoids, "relu": relus, "tanh": tanhs, "softmax": softmax}


def hidden_delta(activation, a, back):
    """(BP2) δⱼ = f′(zⱼ) · backⱼ, with backⱼ = Σᵢ w⁽ˡ⁺¹⁾ᵢⱼ δ⁽ˡ⁺¹⁾ᵢ and f′ read from aⱼ = f(zⱼ)."""
    if activation == "sigmoid":  # σ′(z) = a(1 − a)
        return [a_j * (1.0 - a_j) * s for a_j, s in zip(a, back)]
    if activation == "tanh":  # tanh′(z) = 1 − a²
        return [(1.0 - a_j * a_j) * s for a_j, s in zip(a, back)]
    return [s if a_j > 0.0 else 0.0 for a_j, s in zip(a, back)]  # relu′(z) = 1 if z > 0 else 0


def output_delta_and_cost(a_L, z_L, digit, cost, output="sigmoid"):
    """(BP1) δ⁽ᴸ⁾ and the cost C for one example whose label is `digit` (see network.py).

    sigmoid output, quadratic:      δᵢ = 2(aᵢ − yᵢ) · aᵢ(1 − aᵢ),   C = Σₖ (aₖ − yₖ)²
    sigmoid output, cross-entropy:  δᵢ = aᵢ − yᵢ,   C = Σₖ yₖ softplus(−zₖ) + (1 − yₖ) softplus(zₖ)
    softmax output, cross-entropy:  δᵢ = aᵢ − yᵢ,   C = −ln a_digit (softmax_delta_and_cost)
    """
    if output == "softmax":
        return softmax_delta_and_cost(a_L, z_L, digit)
    delta, C = [], 0.0
    for k in range(len(a_L)):
        a_k, z_k = a_L[k], z_L[k]
        y_k = 1.0 if k == digit else 0.0
        if cost == "cross-entropy":
            delta.append(a_k - y_k)
            # softplus(t) = ln(1 + eᵗ) = max(t, 0) + ln(1 + e^(−|t|))
            t = -z_k if k == digit else z_k
            C += t + log1p(exp(-t)) if t > 0.0 else log1p(exp(t))
        else:
            delta.append(2.0 * (a_k - y_k) * a_k * (1.0 - a_k))
            C += (a_k - y_k) ** 2
    return delta, C


def softmax_delta_and_cost(a_L, z_L, digit):
    """(BP1) for a softmax output, whose cost is the cross-entropy (log-likelihood; network.py
    refuses the quadratic cost with softmax):  δᵢ = aᵢ − yᵢ,  C = −ln a_digit = ln Σₖ e^zₖ − z_digit
    """
    top = max(z_L)
    C = log(sum(exp(z_k - top) for z_k in z_L)) - (z_L[digit] - top)
    return [a_k - (1.0 if k == digit else 0.0) for k, a_k in enumerate(a_L)], C
