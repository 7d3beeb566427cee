"""What the fast engines share: an image as its non-zero pixels, σ over a list, and BP1.

About 80% of MNIST's pixels are 0, and both the first layer's sum Σⱼ w⁽¹⁾ᵢⱼ xⱼ and its gradient
∂C/∂w⁽¹⁾ᵢⱼ = δ⁽¹⁾ᵢ xⱼ vanish for them, so the fast engines keep only the others.
"""

import platform
from array import array
from itertools import compress
from math import exp, log1p
from operator import itemgetter

ON_PYPY = platform.python_implementation() == "PyPy"


PIXEL = [p / 255.0 for p in range(256)]  # xⱼ = pⱼ / 255 for a pixel byte pⱼ
INDICES = tuple(range(28 * 28))  # made once, so that compress() hands out these ints, not new ones


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
    if ON_PYPY:  # whose JIT runs the plain loop four times faster than compress()
        nz = array("H", [j for j in range(len(image)) if image[j]])
    else:        # where compress() walks the image in C, twice as fast as the loop
        indices = INDICES if len(image) <= len(INDICES) else range(len(image))
        nz = array("H", compress(indices, image))
    return nz, image.translate(None, b"\0")



def sigmoids(z):
    """[σ(zᵢ) for zᵢ in z], σ(z) = 1 / (1 + e⁻ᶻ); below z = −700 (where e⁻ᶻ would overflow) σ is 0.

    network.sigmoid says the same in a slower, exact way: σ(−700) is 1e-304 there.
    """
    return [1.0 / (1.0 + exp(-z_i)) if z_i > -700.0 else 0.0 for z_i in z]



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
