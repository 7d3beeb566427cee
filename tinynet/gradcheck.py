"""Check backpropagation against the definition of a derivative.

    ∂C/∂w ≈ (C(w + h) − C(w − h)) / 2h          (a central finite difference)

If the hand-written formulas in network.backprop are right, the two agree to many digits.

From the command line,

    python -m tinynet.gradcheck [--cost quadratic|cross-entropy] [--seed N] [--weights FILE]
                                [--hidden N,N] [--activation sigmoid|relu|tanh]
                                [--output sigmoid|softmax]

checks every bias and a sample of the weights of every layer on one example (an MNIST test
image when MNIST is present, else the bundled example digit), prints a table and exits with
status 1 if the worst relative error exceeds 1e-5. From a REPL:

    >>> from tinynet import gradcheck, network
    >>> net = network.new_network(seed=1)
    >>> x, y = [0.5] * 784, network.one_hot(3)
    >>> rows = gradcheck.compare(net, x, y, "cross-entropy", [("b", 2, 3, None), ("w", 0, 1, 400)])
    >>> [r[6] < 1e-5 for r in rows]                     # relative errors
    [True, True]
"""

import argparse
import random
import sys

from . import mnist, network
from .network import (
    ACTIVATIONS,
    COSTS,
    DEFAULT_COST,
    OUTPUTS,
    backprop,
    feedforward,
    new_network,
    one_hot,
)
from .support.cli import non_negative_int, run
from .support.debugging import program_args


def cost_of(net, x, y, cost):
    """C(x, y) at the network's current weights: feedforward, then the cost of the output."""
    z, a = feedforward(net, x)
    return network.cost(a[-1], y, z[-1], cost, net.output)


def numeric_derivative(net, x, y, cost, param, l, i, j=None, h=1e-5):
    """∂C/∂w[l][i][j] (param "w") or ∂C/∂b[l][i] (param "b") by central differences.

    Uses Richardson extrapolation, (4·D(h/2) − D(h)) / 3, which cancels the h² error term of
    the central difference, so the estimate is good to ~1e-10 rather than ~1e-7.
    """
    holder = net.w[l][i] if param == "w" else net.b[l]
    k = j if param == "w" else i
    original = holder[k]

    def central(step):
        holder[k] = original + step
        c_plus = cost_of(net, x, y, cost)
        holder[k] = original - step
        c_minus = cost_of(net, x, y, cost)
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


def compare(net, x, y, cost, params, h=1e-5, floor=1e-8):
    """Rows (param, l, i, j, analytic, numeric, relative error) for the listed parameters.

    `params` lists ("w", l, i, j) and ("b", l, i, None); h is the finite-difference step and
    floor the floor of relative_error.
    """
    dC_db, dC_dw = backprop(net, x, y, cost)[:2]
    rows = []
    for param, l, i, j in params:
        analytic = dC_dw[l][i][j] if param == "w" else dC_db[l][i]
        numeric = numeric_derivative(net, x, y, cost, param, l, i, j, h=h)
        rows.append((param, l, i, j, analytic, numeric, relative_error(analytic, numeric, floor)))
    return rows


# ---------------------------------------------------------------------------------------------
# The command line: one example, every bias, a sample of the weights
# ---------------------------------------------------------------------------------------------

TOLERANCE = 1e-5  # the worst relative error allowed
STEP = 1e-3  # h for the command line (see FLOOR_REASON)
# ReLU has a kink at z = 0: where some z lies within about h of it, C(θ ± h) straddle the kink
# and the difference quotient is not the derivative. A smaller h meets a kink less often.
RELU_STEP = 1e-5
FLOOR = 1e-5  # relative_error's floor for the command line

FLOOR_REASON = """\
relative error = |analytic − numeric| / max(|analytic|, |numeric|, floor), floor = {floor:g}.
  Why a floor: every float sum rounds at about the 16th significant digit, so z and C carry
  rounding errors of ~1e-16 times their size, and the difference quotient divides those by 2h:
  a numeric derivative has an absolute noise of roughly 1e-13 to 1e-11 (the largest we
  measured, over 120 checks of random and trained networks: 7e-12).
  For a true gradient of 1e-12 that noise alone would make a relative error near 1, however
  right backprop is. With the floor, gradients smaller than {floor:g} must instead agree to an
  absolute {abs_tol:.0e} (= tolerance × floor), still 10 times above the noise; a gradient that
  small moves its weight by less than η·{floor:g} per step anyway.
  Why h = {h:g}: with Richardson's (4·D(h/2) − D(h))/3 the error of the formula itself shrinks
  like h⁴ (~1e-12 at h = 1e-3), while the rounding noise grows like 1/h."""


def sample_params(net, x, n=10, seed=0):
    """Every bias, and n weights from each layer, chosen at random (the same for the same seed).

    In the first layer, n weights come from inputs that are not zero (ink) and n // 2 from
    inputs that are zero (paper), whose gradient δ·0 must come out exactly 0.
    """
    rng = random.Random(seed)
    params = [("b", l, i, None) for l in range(len(net.b)) for i in range(len(net.b[l]))]
    for l in range(len(net.w)):
        n_out, n_in = len(net.w[l]), len(net.w[l][0])
        pairs = [(i, j) for i in range(n_out) for j in range(n_in)]
        if l == 0:
            ink = [(i, j) for i, j in pairs if x[j] != 0]
            paper = [(i, j) for i, j in pairs if x[j] == 0]
            chosen = rng.sample(ink, min(n, len(ink))) + rng.sample(paper, min(n // 2, len(paper)))
        else:
            chosen = rng.sample(pairs, min(n, len(pairs)))
        params += [("w", l, i, j) for i, j in chosen]
    return params


def parameter_name(param, l, i, j):
    return f"w[{l:d}][{i:d}][{j:d}]" if param == "w" else f"b[{l:d}][{i:d}]"


def table(rows, x):
    """The rows of compare as text, one parameter a line, with the input a weight multiplies."""
    lines = [
        f"  {'parameter'!s:<13} {'input it multiplies'!s:<24} {'analytic'!s:>15} "
        f"{'numeric'!s:>15} {'rel. error'!s:>11}"
    ]
    layer = None
    for param, l, i, j, analytic, numeric, rel in rows:
        if (param, l) != layer:
            layer = (param, l)
            what = f"biases b[{l:d}]" if param == "b" else f"weights w[{l:d}]"
            lines.append(f"  -- {what} of layer {l + 1:d} --")
        where = ""
        if param == "w" and l == 0 and len(x) == 784:
            where = f"pixel ({j // 28:2d}, {j % 28:2d}) = {x[j]:.3f}"
        elif param == "w":
            where = f"a[{l:d}][{j:d}]"
        lines.append(
            f"  {parameter_name(param, l, i, j)!s:<13} {where!s:<24} {analytic:+15.6e} "
            f"{numeric:+15.6e} {rel:11.1e}"
        )
    return "\n".join(lines)


def example(data_dir=None, index=0, bundled=False):
    """(x, digit, description): MNIST test image `index` if MNIST is found, else the bundled digit.

    With data_dir given, MNIST must be there (DataError otherwise).
    """
    note = ""
    if not bundled:
        try:
            images, labels = mnist.load("test", data_dir, download=False)
        except mnist.DataError:
            if data_dir is not None:
                raise
            images = None
            note = (
                "; MNIST was not found (give --data DIR or set $TINYNET_DATA to use a test image)"
            )
        if images is not None:
            if not 0 <= index < len(images):
                raise ValueError(
                    f"there is no MNIST test image {index:d} (they are numbered 0 to "
                    f"{len(images) - 1:d})"
                )
            return (
                [p / 255.0 for p in images[index]],
                labels[index],
                f"MNIST test image {index:d} (a {labels[index]:d})",
            )
    from .explain import example_digit

    x, digit = example_digit()
    return x, digit, f"the bundled example digit (a {digit:d}; pretrained/digit.json){note}"


def parser():
    """The argument parser of python -m tinynet.gradcheck."""
    ap = argparse.ArgumentParser(
        prog="python -m tinynet.gradcheck",
        description="Check backpropagation: compare the hand-written gradients ∂C/∂w and ∂C/∂b "
        "(network.backprop, equations BP1–BP4) with central finite differences "
        "(C(θ + h) − C(θ − h)) / 2h, on one example: every bias and a sample of the "
        "weights of every layer. Exit status 0 if the worst relative error is at most "
        "the tolerance, 1 if it is larger, 2 if the weights or data cannot be read.",
    )
    ap.add_argument(
        "--cost",
        choices=COSTS,
        default=DEFAULT_COST,
        help="cost function (default: %(default)s)",
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help="seed of the random network (when no --weights) and of the sample of "
        "weights checked (default: %(default)s)",
    )
    ap.add_argument(
        "--weights",
        metavar="FILE",
        help="check at these weights (default: a fresh random network, new_network(seed=N))",
    )
    ap.add_argument(
        "--hidden",
        default="16,16",
        metavar="N,N",
        help="the random network's hidden layer sizes (default: %(default)s)",
    )
    ap.add_argument(
        "--activation",
        choices=tuple(ACTIVATIONS),
        default="sigmoid",
        help="the random network's hidden layers (default: %(default)s)",
    )
    ap.add_argument(
        "--output",
        choices=OUTPUTS,
        default="sigmoid",
        help="the random network's output layer (default: %(default)s)",
    )
    ap.add_argument(
        "--data",
        metavar="DIR",
        help="folder with the MNIST files (default: $TINYNET_DATA, else the per-user cache; "
        "if MNIST is not found there, the bundled example digit is used)",
    )
    ap.add_argument(
        "--index", type=int, default=0, metavar="K", help="which MNIST test image (default: 0)"
    )
    ap.add_argument(
        "--example",
        action="store_true",
        help="use the bundled example digit (pretrained/digit.json) even when MNIST is there",
    )
    ap.add_argument(
        "--samples",
        type=non_negative_int,
        default=10,
        metavar="N",
        help="weights checked per layer (default: %(default)s; in the first layer N on "
        "ink pixels and N/2 on blank ones)",
    )
    add_precision_options(ap)
    return ap


def add_precision_options(ap):
    """Add --tolerance, --step and --floor: what counts as agreeing, and the step h."""
    ap.add_argument(
        "--tolerance",
        type=float,
        default=TOLERANCE,
        metavar="T",
        help="largest acceptable relative error (default: %(default)g)",
    )
    ap.add_argument(
        "--step",
        type=float,
        metavar="H",
        help=f"finite-difference step h (default: {STEP:g}, for ReLU networks {RELU_STEP:g})",
    )
    ap.add_argument(
        "--floor",
        type=float,
        default=FLOOR,
        metavar="F",
        help="floor of the relative error's denominator (default: %(default)g)",
    )


def network_to_check(weights_file=None, seed=1, hidden="16,16", activation="sigmoid",
                     output="sigmoid"):  # fmt: skip
    """(net, description): the network in weights_file, else a random one, new_network(seed)
    with those hidden layers (sizes "16,16"), activation and output."""
    from .settings import layer_sizes
    from .weights import load_digit_reader

    if weights_file:
        return load_digit_reader(weights_file)[0], f"the weights in {weights_file}"
    try:
        sizes = layer_sizes({"hidden": hidden})
    except ValueError:
        raise ValueError(f"--hidden must be sizes like 16,16, not {hidden!r}") from None
    if min(sizes) < 1:
        raise ValueError(f"--hidden must be sizes of at least 1, not {hidden!r}")
    net = new_network(sizes, seed, activation, output)
    kind = "" if (activation, output) == ("sigmoid", "sigmoid") else f", {activation!r}, {output!r}"
    return net, f"a random network, new_network({sizes}, seed={seed:d}{kind})"


def print_setup(net, what, described, x, y, cost, params):
    """The lines above the table, part 1: what is checked, and on what."""
    print("Gradient check: backprop's ∂C/∂w and ∂C/∂b against central finite differences")
    print(
        f"  network:  {what}, sizes {net.sizes}, {net.activation} hidden layers, "
        f"{net.output} output"
    )
    print(f"  example:  {described}")
    print(f"  cost:     {cost}, C = {cost_of(net, x, y, cost):.6g}")
    print(
        f"  checked:  all {sum(p == 'b' for p, *_ in params):d} biases and "
        f"{sum(p == 'w' for p, *_ in params):d} weights"
    )


def print_method(h, floor, tolerance):
    """The lines above the table, part 2: how the numeric side is computed and compared."""
    print(
        f"  numeric:  ∂C/∂θ ≈ (C(θ + h) − C(θ − h)) / 2h, h = {h:g}, refined by Richardson "
        "extrapolation"
    )
    print("  " + FLOOR_REASON.format(floor=floor, h=h, abs_tol=tolerance * floor))


def print_verdict(rows, tolerance, h, floor, relu=False):
    """The worst row and PASS or FAIL (with a hint on stderr); True if it passed."""
    worst = max(rows, key=lambda r: r[6])
    ok = worst[6] <= tolerance
    print(
        f"worst relative error: {worst[6]:.2e} at {parameter_name(*worst[:4])} (analytic "
        f"{worst[4]:+.6e}, numeric {worst[5]:+.6e})"
    )
    print(
        "{}: {} the tolerance {:g}".format(
            "PASS" if ok else "FAIL", "within" if ok else "above", tolerance
        )
    )
    if ok:
        return True
    if floor < FLOOR or h not in (STEP, RELU_STEP):
        print(
            f"backprop disagrees with the finite differences; with --floor {floor:g} and "
            f"--step {h:g} "
            "that may be the rounding noise of the finite differences (see above)",
            file=sys.stderr,
        )
    else:
        print(
            "backprop disagrees with the finite differences: a formula in network.backprop "
            "(BP1–BP4) or network.output_delta is wrong",
            file=sys.stderr,
        )
    if relu:
        print(
            "(with ReLU, a z within h of its kink at 0 makes the finite difference disagree "
            "too: try a smaller --step)",
            file=sys.stderr,
        )
    return False


def main(argv=None):
    """Read the options, choose the network and the example, compare, print; the exit status."""
    a = parser().parse_args(program_args(argv))

    from .weights import WeightsError

    try:
        net, what = network_to_check(a.weights, a.seed, a.hidden, a.activation, a.output)
        x, digit, described = example(a.data, a.index, a.example)
        network.cost_pair(a.cost, net.output)  # softmax with quadratic: refused
    except (WeightsError, mnist.DataError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    y = one_hot(digit)
    params = sample_params(net, x, a.samples, a.seed)

    print_setup(net, what, described, x, y, a.cost, params)
    relu = net.activation == "relu" and len(net.sizes) > 2
    if a.step is None:
        a.step = RELU_STEP if relu else STEP
    print_method(a.step, a.floor, a.tolerance)
    if relu and a.step == RELU_STEP:
        print(f"  ReLU: h = {RELU_STEP:g}, so that fewer z lie within h of ReLU's kink at z = 0")
    print()
    rows = compare(net, x, y, a.cost, params, h=a.step, floor=a.floor)
    print(table(rows, x))
    print()
    ok = print_verdict(rows, a.tolerance, a.step, a.floor, relu)
    return 0 if ok else 1


if __name__ == "__main__":
    run(main)
