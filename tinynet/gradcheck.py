"""Check backpropagation against the definition of a derivative.

    ∂C/∂w ≈ (C(w + h) − C(w − h)) / 2h          (a central finite difference)

If the hand-written formulas in network.backprop are right, the two agree to many digits.
"""

from .network import backprop, cost, feedforward


def cost_of(net, x, y, kind):
    z, a = feedforward(net, x)
    return cost(a[-1], y, z[-1], kind)


def numeric_derivative(net, x, y, kind, param, l, i, j=None, h=1e-5):
    """∂C/∂w[l][i][j] (param "w") or ∂C/∂b[l][i] (param "b") by central differences.

    Uses Richardson extrapolation, (4·D(h/2) − D(h)) / 3, which cancels the h² error term of
    the central difference, so the estimate is good to ~1e-10 rather than ~1e-7.
    """
    holder = net.w[l][i] if param == "w" else net.b[l]
    k = j if param == "w" else i
    original = holder[k]

    def central(step):
        holder[k] = original + step
        c_plus = cost_of(net, x, y, kind)
        holder[k] = original - step
        c_minus = cost_of(net, x, y, kind)
        holder[k] = original
        return (c_plus - c_minus) / (2 * step)

    try:
        return (4 * central(h / 2) - central(h)) / 3
    finally:
        holder[k] = original


def relative_error(analytic, numeric, floor=1e-8):
    """|analytic − numeric| / max(|analytic|, |numeric|, floor).

    The floor keeps gradients that are both practically zero from counting as a large error.
    """
    return abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor)


def compare(net, x, y, kind, params):
    """Rows (param, l, i, j, analytic, numeric, relative error) for the listed parameters."""
    dC_db, dC_dw = backprop(net, x, y, kind)[:2]
    rows = []
    for param, l, i, j in params:
        analytic = dC_dw[l][i][j] if param == "w" else dC_db[l][i]
        numeric = numeric_derivative(net, x, y, kind, param, l, i, j)
        rows.append((param, l, i, j, analytic, numeric, relative_error(analytic, numeric)))
    return rows
