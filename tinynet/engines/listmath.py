"""σ over a list and BP1 for one example: what all the engines use as they are."""

from math import exp, log1p


def sigmoids(z):
    """[σ(zᵢ) for zᵢ in z], σ(z) = 1 / (1 + e⁻ᶻ); below z = −700 (where e⁻ᶻ would overflow) σ is 0.

    network.sigmoid says the same in a slower, exact way: σ(−700) is 1e-304 there.
    """
    return [1.0 / (1.0 + exp(-z_i)) if z_i > -700.0 else 0.0 for z_i in z]


def output_delta_and_cost(a_L, z_L, digit, cost):
    """(BP1) δ⁽ᴸ⁾ and the cost C for one example whose label is `digit` (see network.py).

    quadratic:      δᵢ = 2(aᵢ − yᵢ) · aᵢ(1 − aᵢ),   C = Σₖ (aₖ − yₖ)²
    cross-entropy:  δᵢ = aᵢ − yᵢ,                  C = Σₖ yₖ softplus(−zₖ) + (1 − yₖ) softplus(zₖ)
    """
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
