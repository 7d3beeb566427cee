#!/usr/bin/env python3
"""One step of training on one example: read it top to bottom, then step through it.

    python examples/step_through.py              # the bundled 7 (pretrained/digit.json),
                                                 #   no MNIST needed
    python examples/step_through.py --break      # stop in the debugger (pdb) at every stage
    python examples/step_through.py --mnist 0    # MNIST test image 0 (from $TINYNET_DATA
                                                 #   or --data DIR)
    python examples/step_through.py --activation relu --output softmax
                                                 # another network: ReLU hidden layers
    python -m pdb examples/step_through.py       # your own breakpoints, from any folder:
                                                 #   b main, c, b network.backprop, c, then
                                                 #   b 308 (BP1, network.py:308) and c

The stages, each marked "STAGE n" below and printed as it runs:

    1  the example: the input x (784 pixels) and the desired output y (one-hot)
    2  forward pass:  z⁽ˡ⁾ = w⁽ˡ⁾a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,  a⁽ˡ⁾ = σ(z⁽ˡ⁾)           network.feedforward
    3  the cost C of this one example                                  network.cost
    4  backward pass: δ⁽ᴸ⁾ (BP1), then each δ⁽ˡ⁾ from δ⁽ˡ⁺¹⁾ (BP2)       network.backprop
    5  gradients:  ∂C/∂b = δ (BP3),  ∂C/∂w = δ·a (BP4)                  network.backprop
    6  the video's formulas: one ∂C/∂w per layer with no δ's, against   tinynet/formulas.py
       backprop; and what recomputing the sums for every weight costs
    7  the update:  w ← w − η ∂C/∂w,  b ← b − η ∂C/∂b                   network.sgd_step
    8  check: the same example's cost after the step

Every number comes from the real code in tinynet/network.py, so stepping into a call (`s` in
pdb, F11 in VS Code) takes you into the very lines the network trains with. The script only
adds printing, and redoes one entry of each equation by hand so you can see the arithmetic.

Python counts layers from 0 (see network.py): w[l], b[l], z[l] and delta[l] belong to layer
l+1, and a[l] is layer l's activation (a[0] = x). So the maths' δ⁽³⁾, the output layer's error,
is delta[2] (= delta[-1]); its entry for the true digit is delta[-1][digit].

The video (3Blue1Brown) writes the weight from neuron k of layer l−1 to neuron j of layer l as
w⁽ˡ⁾ⱼₖ; the code writes it w[l-1][i][j]: the code's i is the video's j (the neuron it feeds),
the code's j is the video's k (the neuron it comes from). The video multiplies the chain rule
from the weight up, ∂C/∂w⁽ᴸ⁾ⱼₖ = a⁽ᴸ⁻¹⁾ₖ · σ′(z⁽ᴸ⁾ⱼ) · 2(a⁽ᴸ⁾ⱼ − yⱼ); the code from the cost
down, δ = 2(a − y)·σ′(z) (BP1), then δ·a (BP4). Stage 5 prints one weight both ways.
"""

import argparse
import bdb
import math
import os
import pdb
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "tinynet" / "network.py").is_file():  # in a clone: run it without installing
    sys.path.insert(0, str(ROOT))  # (a copy from `tinynet examples` uses the installed tinynet)

from tinynet import formulas, mnist, network  # noqa: E402  (after the path is set)
from tinynet.explain import example_digit  # noqa: E402
from tinynet.images.preprocess import ascii_art  # noqa: E402
from tinynet.settings import DEFAULTS  # noqa: E402
from tinynet.weights import WeightsError, load  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Printing helpers (nothing to learn here: skip them with `n`, not `s`)
# ---------------------------------------------------------------------------------------------


def line_of(text):
    """'tinynet/network.py:N' for the first line of network.py containing `text`."""
    path = Path(network.__file__)
    with open(str(path), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return f"tinynet/network.py:{n:d}"
    return "tinynet/network.py"


def numbers(values, fmt="%+.4f", per_line=8, indent="      "):
    """The values in rows of per_line (all on one line if there are at most 10), each with fmt."""
    values = list(values)
    if len(values) <= 10:
        per_line = 10
    rows = [
        " ".join(fmt % v for v in values[k : k + per_line]) for k in range(0, len(values), per_line)
    ]
    return ("\n" + indent).join(rows)


def show(name, values, fmt="%+.4f"):
    print(f"  {name} =\n      {numbers(values, fmt)}")


def stage(n, title, hint):
    print()
    print("=" * 100)
    print(f"STAGE {n:d}  {title}")
    print("=" * 100)
    if BREAK:
        print(f"  [debugger] {hint}\n  [debugger] 'c' goes on to the next stage, 'q' quits.")


SUPERSCRIPT = {1: "¹", 2: "²", 3: "³"}


def pdb_tracing():
    """pdb's trace function, if pdb is tracing (it traces every line run in a file that has a
    breakpoint, which makes those lines many times slower), else None."""
    trace = sys.gettrace()
    return trace if isinstance(getattr(trace, "__self__", None), bdb.Bdb) else None


def vs_code():
    """The debugpy module when VS Code (a debugpy client) debugs this program, else None."""
    debugpy = sys.modules.get("debugpy")
    return debugpy if debugpy is not None and debugpy.is_client_connected() else None


def timed(f, *args):
    """Seconds one call of f(*args) takes: the code's own time, with the debugger's tracing
    paused (pdb's, or VS Code's by debugpy's own switch: it warns when its tracing is changed),
    so that no breakpoint stops it and no tracing slows it."""
    trace, debugpy = pdb_tracing(), vs_code()
    if trace:
        sys.settrace(None)
    if debugpy:
        debugpy.trace_this_thread(False)
    try:
        start = time.perf_counter()
        f(*args)
        return time.perf_counter() - start
    finally:
        if trace:
            sys.settrace(trace)
        if debugpy:
            debugpy.trace_this_thread(True)


def largest_entry(matrix):
    """(value, i, j) of the entry largest in size."""
    return max(
        ((v, i, j) for i, row in enumerate(matrix) for j, v in enumerate(row)),
        key=lambda e: abs(e[0]),
    )


def formulas_stage(net, x, y, kind, z, a, dC_dw):
    """Stage 6: one weight of each layer by the video's formulas and by backprop, then the cost
    of every gradient both ways: multiplications (counted from the code) and time (measured)."""
    for l in (3, 2, 1):  # the maths' layer l is Python's w[l-1]
        g, i, j = largest_entry(dC_dw[l - 1])
        by_formula = formulas.dC_dw(net, x, y, l, i, j, kind, (z, a))  # ← `s` here
        apart = round(abs(by_formula - g) / math.ulp(g)) if g else 0
        call = f"formulas.dC_dw(net, x, y, {l:d}, {i:d}, {j:d})"
        print(
            f"  ∂C/∂w⁽{SUPERSCRIPT[l]}⁾: {call:<37} = {by_formula!r}\n"
            f"  {'':<8}{'backprop: dC_dw[' + f'{l - 1:d}][{i:d}][{j:d}]':<37} = {g!r:<22}  "
            + ("equal" if apart == 0 else f"{apart:d} ulp{'s' if apart > 1 else ''} apart")
        )
    print(
        "  (ulp: unit in the last place. Layer 3 is the very same arithmetic; below it the\n"
        "  formulas add the same products in another order, so the last digit may differ.)"
    )
    counts = formulas.multiplications(net.sizes, kind)
    print(
        f"  Now timing the whole gradient both ways: {counts['formulas']:,d} multiplications by "
        "the formulas\n  (about a second) against backprop's"
        f" {counts['backprop']:,d}"
        + (
            ";\n  the debugger's tracing is paused while it runs (its breakpoints do not stop in"
            "\n  it: traced, the formulas take tens of times longer, 20 s instead of 0.5) ..."
            if pdb_tracing() or vs_code()
            else " ..."
        ),
        flush=True,
    )
    t_backprop = min(timed(network.backprop, net, x, y, kind) for _ in range(5))
    t_formulas = timed(formulas.gradient, net, x, y, kind)
    n_params = sum(len(row) + 1 for w_l in net.w for row in w_l)
    print(
        f"  all {n_params:,d} gradients of this example (not counting the forward pass, the same\n"
        f"  {counts['forward']:,d} multiplications either way):\n"
        f"      by the formulas: {counts['formulas']:>11,d} multiplications, "
        f"{t_formulas * 1000:8.1f} ms   (formulas.gradient)\n"
        f"      by backprop:     {counts['backprop']:>11,d} multiplications, "
        f"{t_backprop * 1000:8.1f} ms   (network.backprop, forward pass included)\n"
        f"  Backprop keeps the δ's because each δ is a sum that the formulas recompute for every "
        f"weight\n  it reaches: {counts['formulas'] / counts['backprop']:,.0f} times the "
        f"multiplications, {t_formulas / t_backprop:,.0f} times the time."
    )


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="python examples/step_through.py",
        description="One step of gradient descent on one example, printed stage by stage: the "
        "forward pass (every z and a), the cost, the backward pass (every δ), the "
        "gradients and the update, all computed by tinynet/network.py. Meant to be "
        "stepped through in a debugger.",
    )
    ap.add_argument(
        "--break",
        dest="breaks",
        action="store_true",
        help="stop in the debugger (breakpoint(), pdb by default) at the start of every stage",
    )
    ap.add_argument(
        "--mnist",
        type=int,
        metavar="INDEX",
        help="use MNIST test image INDEX instead of the bundled example digit",
    )
    ap.add_argument(
        "--data",
        metavar="DIR",
        help="folder with the MNIST files (default: $TINYNET_DATA, else the per-user cache)",
    )
    ap.add_argument(
        "--weights",
        metavar="FILE",
        help="start from these weights (default: a fresh random network, as training does)",
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help="seed of the random network (default: %(default)s)",
    )
    ap.add_argument(
        "--activation",
        choices=tuple(network.ACTIVATIONS),
        default="sigmoid",
        help="the random network's hidden layers: σ (the video's), ReLU or tanh "
        "(default: %(default)s)",
    )
    ap.add_argument(
        "--output",
        choices=network.OUTPUTS,
        default="sigmoid",
        help="the random network's output layer (default: %(default)s; softmax goes with "
        "--cost cross-entropy)",
    )
    ap.add_argument(
        "--cost",
        choices=network.COSTS,
        default=network.DEFAULT_COST,
        help="cost function (default: %(default)s, as training uses)",
    )
    ap.add_argument(
        "--lr",
        type=float,
        default=DEFAULTS["lr"],
        metavar="ETA",
        help="learning rate η (default: %(default)s, training's starting rate)",
    )
    return ap.parse_args(argv)


BREAK = False


# ---------------------------------------------------------------------------------------------
# STAGE 1: the example and the network
# ---------------------------------------------------------------------------------------------


def the_example(args):
    """(x, digit, where): MNIST test image args.mnist, or the bundled example digit."""
    if args.mnist is None:
        x, digit = example_digit()
        where = "the bundled example digit, pretrained/digit.json"
        return x, digit, where + " (from examples/seven-ink-on-paper.png)"
    images, labels = mnist.load("test", args.data, download=False)
    if not 0 <= args.mnist < len(images):
        raise ValueError(f"there is no MNIST test image {args.mnist:d} (0 to {len(images) - 1:d})")
    x = [p / 255.0 for p in images[args.mnist]]  # pixels 0…255 → inputs 0…1
    return x, labels[args.mnist], f"MNIST test image {args.mnist:d}"


def the_network(args):
    """The weights of args.weights, or a fresh random network, as training starts from."""
    if args.weights:
        return load(args.weights)
    return network.new_network([784, 16, 16, 10], args.seed, args.activation, args.output)


F = {"sigmoid": "σ", "relu": "ReLU", "tanh": "tanh", "softmax": "softmax"}  # f's name in print


def stage_1_example(net, x, y, digit, where, args):
    stage(
        1,
        f"the example (a {digit:d}): {where}",
        "look at x (784 numbers, 0 = paper, 1 = ink), y and net.sizes",
    )
    # BREAKPOINT: look at `x`, `y`, `digit`, `net.sizes`, `net.w[0][0][:10]`.
    if BREAK:
        breakpoint()  # noqa: E701
    print(ascii_art(x))
    print(f"  x: {len(x):d} pixels, {sum(1 for v in x if v > 0):d} of them ink (> 0); a[0] = x")
    show(f"y (the output we want: 1 for digit {digit:d})", y, "%.0f")
    start = "weights from " + args.weights if args.weights else f"random (seed {args.seed:d})"
    print(f"  network: sizes {net.sizes}, {start}, cost {args.cost}, η = {args.lr:g}")
    if (net.activation, net.output) != ("sigmoid", "sigmoid"):
        print(f"  hidden layers a = {F[net.activation]}(z), output layer a = {F[net.output]}(z)")


# ---------------------------------------------------------------------------------------------
# STAGE 2: the forward pass
# BREAKPOINT: on the feedforward line below; `s` steps into it. At the line
# `total += w[i][j] * a_prev[j]` watch `total` grow into z[l][i]: `p l, i, j, total`.
# ---------------------------------------------------------------------------------------------


def stage_2_forward(net, x, digit):
    stage(
        2,
        "forward pass: z = w·a + b, a = {}(z)   (network.feedforward, {} and {})".format(
            F[net.activation], line_of("total += w[i][j] * a_prev[j]"), line_of("a.append([f(z_i)")
        ),
        "`s` steps into network.feedforward, `n` runs it; then `p z[-1]`, `p a[-1]`",
    )
    if BREAK:
        breakpoint()  # noqa: E701
    z, a = network.feedforward(net, x)
    L = len(net.w)
    for l in range(L):
        name = "output layer" if l == L - 1 else f"hidden layer {l + 1:d}"
        show(f"z[{l:d}]  ({name}, {len(z[l]):d} neurons)", z[l])
        f = F[net.output if l == L - 1 else net.activation]
        show(f"a[{l + 1:d}] = {f}(z[{l:d}])", a[l + 1], "%.4f ")
    i = 0  # redo one z by hand: the first neuron of hidden layer 1
    by_hand = net.b[0][i] + sum(net.w[0][i][j] * x[j] for j in range(len(x)))
    print(
        f"  by hand: z[0][0] = b[0][0] + Σⱼ w[0][0][j]·x[j] = {net.b[0][i]:+.4f} "
        f"{by_hand - net.b[0][i]:+.4f} = {by_hand:+.4f}  (feedforward: {z[0][i]:+.4f})"
    )
    guess = network.argmax(a[-1])
    print(
        f"  the network says {guess:d} (a[{L:d}][{guess:d}] = {a[-1][guess]:.4f}); the truth is "
        f"{digit:d} (a[{L:d}][{digit:d}] = {a[-1][digit]:.4f})"
    )
    return z, a


# ---------------------------------------------------------------------------------------------
# STAGE 3: the cost
# BREAKPOINT: `s` into network.cost to see the formula for each kind.
# ---------------------------------------------------------------------------------------------


def stage_3_cost(z, a, y, digit, kind, output="sigmoid"):
    stage(
        3,
        "the cost C   (network.cost, {})".format(line_of("def cost(")),
        "`s` steps into network.cost, or `n` runs it; then `p C`",
    )
    if BREAK:
        breakpoint()  # noqa: E701
    C = network.cost(a[-1], y, z[-1], kind, output)
    L = len(z)
    if output == "softmax":
        print(
            f"  C = −Σₖ yₖ ln aₖ = −ln a[{L:d}][{digit:d}] = {C:.6f}  (softmax: outputs sum to 1)"
        )
    elif kind == "quadratic":
        print(
            f"  C = Σₖ (aₖ − yₖ)² = {C:.6f}; the true digit's term (a[{L:d}][{digit:d}] − 1)² = "
            f"{(a[-1][digit] - 1) ** 2:.6f}"
        )
    else:
        print(f"  C = −Σₖ [yₖ ln aₖ + (1 − yₖ) ln(1 − aₖ)] = {C:.6f}")
        print(
            f"  of which −ln a[{L:d}][{digit:d}] (the true digit's output, {a[-1][digit]:.4f}, "
            f"should be 1) = {network.softplus(-z[-1][digit]):.6f}"
        )
    return C


# ---------------------------------------------------------------------------------------------
# STAGE 4: the backward pass, δ = ∂C/∂z for every neuron
# BREAKPOINT: `s` into network.backprop. BP1 is the line marked "# (BP1)": after it,
# `p delta[-1][digit]` (the true digit's δ⁽³⁾) is negative: raising that z would lower C.
# BP2 is the line marked "# (BP2)": `p l, j, back` shows Σᵢ w[l+1][i][j]·δ[l+1][i].
# ---------------------------------------------------------------------------------------------


def stage_4_backward(net, x, y, digit, kind):
    stage(
        4,
        "backward pass: δ = ∂C/∂z   (network.backprop: BP1 at {}, BP2 at {})".format(
            line_of("# (BP1)"), line_of("# (BP2)")
        ),
        "`s` steps into network.backprop (or `b {}`, then `c`, stops at BP2); "
        "`n` runs it, then `p delta[-1][digit]`".format(line_of("# (BP2)")),
    )
    if BREAK:
        breakpoint()  # noqa: E701
    dC_db, dC_dw, delta, z, a = network.backprop(net, x, y, kind)
    L = len(net.w)

    # δ⁽ᴸ⁾, the output layer's error (BP1)
    show(f"delta[{L - 1:d}]  (output layer: BP1)", delta[-1])
    a_true, d_true = a[-1][digit], delta[-1][digit]
    if kind == "quadratic":
        s_true = network.sigmoid_prime(z[-1][digit])
        print(
            f"  by hand, the true digit: δ = 2(a − y)·σ'(z) = 2·({a_true:.4f} − 1)·{s_true:.4f} "
            f"= {2 * (a_true - 1) * s_true:+.6f}  (backprop: {d_true:+.6f})"
        )
    else:
        print(
            f"  by hand, the true digit: δ = a − y = {a_true:.4f} − 1 = "
            f"{a_true - 1:+.6f}  (backprop: {d_true:+.6f})"
        )
    print(
        "  δ < 0 for the true digit: increasing its z would lower the cost, so the step raises it;"
    )
    print("  δ > 0 for the other digits: the step lowers their z.")

    # δ⁽ˡ⁾ of the hidden layers (BP2), from the last hidden layer back to the first
    for l in range(L - 2, -1, -1):
        show(f"delta[{l:d}]  (hidden layer {l + 1:d}: BP2)", delta[l], "%+.2e")
        j = max(range(len(delta[l])), key=lambda k: abs(delta[l][k]))  # the largest, redone by hand
        back = sum(net.w[l + 1][i][j] * delta[l + 1][i] for i in range(len(delta[l + 1])))
        f_prime = network.ACTIVATIONS[net.activation][1]
        print(
            f"  by hand, neuron {j:d}: δ = {F[net.activation]}'(z[{l:d}][{j:d}]) · Σᵢ "
            f"w[{l + 1:d}][i][{j:d}]·δ[{l + 1:d}][i] = {f_prime(z[l][j]):.4f} × "
            f"{back:+.4e} = {f_prime(z[l][j]) * back:+.4e}"
            f"  (backprop: {delta[l][j]:+.4e})"
        )
    return dC_db, dC_dw, delta


# ---------------------------------------------------------------------------------------------
# STAGE 5: the gradients (BP3, BP4). backprop already computed them: dC_db and dC_dw.
# BREAKPOINT: `p dC_dw[2][digit]` — how C changes with each weight into the true digit.
# ---------------------------------------------------------------------------------------------


def stage_5_gradients(a, digit, dC_db, dC_dw, delta):
    stage(
        5,
        "gradients: ∂C/∂b = δ (BP3, {}), ∂C/∂w[l][i][j] = δ[l][i]·a[l][j] (BP4, {})".format(
            line_of("# (BP3)"), line_of("# (BP4)")
        ),
        "look at `dC_db[2]`, `dC_dw[2][digit]`, `dC_dw[0][0][:28*14]`",
    )
    if BREAK:
        breakpoint()  # noqa: E701
    L = len(dC_dw)
    for l in range(L):
        g, i, j = largest_entry(dC_dw[l])
        zeros = sum(1 for row in dC_dw[l] for v in row if v == 0.0)
        print(
            f"  dC_dw[{l:d}]: {len(dC_dw[l]):d}×{len(dC_dw[l][0]):d} numbers, {zeros:d} of them "
            f"exactly 0{(' (every weight from a blank pixel: a = 0)' if l == 0 else '')};\n"
            f"      the largest: ∂C/∂w[{l:d}][{i:d}][{j:d}] = δ[{l:d}][{i:d}]·a[{l:d}][{j:d}] = "
            f"{delta[l][i]:+.4f} × {a[l][j]:.4f} = {g:+.4e}"
        )
    print(f"  dC_db[l] is delta[l] itself (BP3): {all(dC_db[l] == delta[l] for l in range(L))}")
    show(
        f"dC_dw[{L - 1:d}][{digit:d}]  (the weights into the true digit's neuron: "
        f"δ[{L - 1:d}][{digit:d}] times each a[{L - 1:d}][j])",
        dC_dw[-1][digit],
    )


SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def video_notation(z, a, y, digit, kind, dC_dw, output="sigmoid"):
    """Stage 5, continued: the largest gradient into the true digit's neuron in the video's
    notation and factor order beside the code's (see the map at the top of this file)."""
    L = len(dC_dw)
    row = dC_dw[-1][digit]
    k = max(range(len(row)), key=lambda j: abs(row[j]))  # the code's j: the neuron it comes from
    if output == "softmax":  # no σ′ per neuron: with the log-likelihood cost ∂C/∂z = a − y
        up, jk = SUPERSCRIPT[L], f"{digit:d},{k:d}".translate(SUBSCRIPT)
        d = a[-1][digit] - y[digit]
        print(
            f"  The same ∂C/∂w in the video's notation: the code's w[{L - 1:d}][{digit:d}][{k:d}] "
            f"is the video's w⁽{up}⁾{jk} (code i = video j, code j = video k).\n"
            f"      video:  ∂C/∂w⁽{up}⁾{jk} = a⁽{SUPERSCRIPT[L - 1]}⁾ₖ · ∂C/∂z⁽{up}⁾ⱼ = "
            f"{a[-2][k]:.4f} × {d:+.4f} = {a[-2][k] * d:+.4e}\n"
            f"      code:   dC_dw[{L - 1:d}][{digit:d}][{k:d}] = δ · a = {d:+.4f} × "
            f"{a[-2][k]:.4f} = {row[k]:+.4e}  (BP1 for softmax: δ = a − y, then BP4)"
        )
        return
    a_j, a_k, s = a[-1][digit], a[-2][k], network.sigmoid_prime(z[-1][digit])
    dC_da = 2 * (a_j - y[digit]) if kind == "quadratic" else (a_j - y[digit]) / (a_j * (1 - a_j))
    up, jk = SUPERSCRIPT[L], f"{digit:d},{k:d}".translate(SUBSCRIPT)
    print(
        f"  The same ∂C/∂w in the video's notation: the code's w[{L - 1:d}][{digit:d}][{k:d}] "
        f"(w[l][i][j]: from neuron j to neuron i)\n  is the video's w⁽{up}⁾{jk} (w⁽ˡ⁾ⱼₖ: from "
        "neuron k of layer l−1 to neuron j of layer l), so code i = video j, code j = video k.\n"
        f"      video, from the weight up:  ∂C/∂w⁽{up}⁾{jk} = a⁽{SUPERSCRIPT[L - 1]}⁾ₖ · "
        f"σ′(z⁽{up}⁾ⱼ) · ∂C/∂a⁽{up}⁾ⱼ = {a_k:.4f} × {s:.4f} × {dC_da:+.4f} = "
        f"{a_k * s * dC_da:+.4e}\n"
        f"      code, from the cost down:   dC_dw[{L - 1:d}][{digit:d}][{k:d}] = "
        f"∂C/∂a · σ′(z) · a = {dC_da:+.4f} × {s:.4f} × {a_k:.4f} = {row[k]:+.4e}  "
        "(BP1, then BP4)\n"
        "      ∂C/∂a = 2(a − y) for the video's quadratic cost"
        + ("" if kind == "quadratic" else "; here (cross-entropy) (a − y)/(a(1 − a)), so δ = a − y")
    )


# ---------------------------------------------------------------------------------------------
# STAGE 6: the video's formulas (tinynet/formulas.py): the same ∂C/∂w written out with no
# δ's, a sum for each layer the error travels back through. Same numbers, added in another
# order, so the last digit or two may differ; and far more work, because nothing is reused.
# BREAKPOINT: `s` into formulas.dC_dw for the first layer: `p k, h, inner` in its loops.
# ---------------------------------------------------------------------------------------------


def stage_6_formulas(net, x, y, kind, z, a, dC_dw):
    stage(
        6,
        "the video's formulas: ∂C/∂w with the δ's written out (tinynet/formulas.py)",
        "`s` steps into formulas.dC_dw (first layer: the double sum over k and h)",
    )
    if BREAK:
        breakpoint()  # noqa: E701
    if len(net.w) == 3:
        formulas_stage(net, x, y, kind, z, a, dC_dw)
    else:
        print(
            f"  (the formulas are written for three weight layers; this network has {len(net.w):d})"
        )


# ---------------------------------------------------------------------------------------------
# STAGE 7: the update. network.sgd_step recomputes the gradients (a batch of one example)
# and moves every weight and bias a step of η against its gradient.
# BREAKPOINT: `s` into sgd_step; the update lines are marked by "-= eta / m".
# ---------------------------------------------------------------------------------------------


def stage_7_update(net, x, y, digit, kind, eta, dC_db, dC_dw):
    stage(
        7,
        "update: w ← w − η·∂C/∂w, b ← b − η·∂C/∂b, η = {:g}   (network.sgd_step, {})".format(
            eta, line_of("net.w[l][i][j] -= eta")
        ),
        "`s` steps into network.sgd_step; compare `net.w[2][digit]` before and after",
    )
    watched = []  # the weight with the largest gradient in each layer
    for l in range(len(net.w)):
        g, i, j = largest_entry(dC_dw[l])
        watched.append((l, i, j, net.w[l][i][j], g))
    b_before = net.b[-1][digit]
    if BREAK:
        breakpoint()  # noqa: E701
    network.sgd_step(net, [(x, y)], eta, kind)
    for l, i, j, w_before, g in watched:
        print(
            f"  w[{l:d}][{i:d}][{j:d}]: {w_before:+.6f} − {eta:g} × {g:+.4e} = "
            f"{w_before - eta * g:+.6f}   (after sgd_step: {net.w[l][i][j]:+.6f})"
        )
    print(
        f"  b[{len(net.w) - 1:d}][{digit:d}] (true digit's bias): {b_before:+.6f} − {eta:g} × "
        f"{dC_db[-1][digit]:+.4e} = {b_before - eta * dC_db[-1][digit]:+.6f}   (after sgd_step: "
        f"{net.b[-1][digit]:+.6f})"
    )


# ---------------------------------------------------------------------------------------------
# STAGE 8: did it help? The same example, forward again.
# ---------------------------------------------------------------------------------------------


def stage_8_check(net, x, y, digit, kind, C, a):
    stage(8, "check: the cost of the same example after one step", "`n` twice, then `p C, C_after`")
    if BREAK:
        breakpoint()  # noqa: E701
    z_after, a_after = network.feedforward(net, x)
    C_after = network.cost(a_after[-1], y, z_after[-1], kind, net.output)
    print(
        "  C: {:.6f} → {:.6f} ({})".format(
            C, C_after, "lower" if C_after < C else "NOT lower: try a smaller --lr"
        )
    )
    print(
        f"  a[{len(net.w):d}][{digit:d}] (the true digit's output): {a[-1][digit]:.4f} → "
        f"{a_after[-1][digit]:.4f}"
    )
    print(
        "  One example, one small step. Training repeats this for 60,000 examples, 30 times over,"
    )
    print("  averaging the gradients of 10 examples per step (python -m tinynet.train).")


def one_pdb_for_every_stop():
    """With --break and pdb: every stage's breakpoint() stops in the same pdb, on the line after
    it. So the breakpoints you set at one stop still stop you later (Python 3.9's and PyPy's
    breakpoint() starts a new pdb each time, which forgets them), and every Python shows the
    same stops (3.13's breakpoint() would stop on its own line, one above). Left alone under
    another debugger (VS Code, python -m pdb) or with PYTHONBREAKPOINT set."""
    if sys.gettrace() is not None or os.environ.get("PYTHONBREAKPOINT"):
        return
    if sys.breakpointhook is not sys.__breakpointhook__:
        return
    debugger = pdb.Pdb(skip=["bdb"])  # (skip: so it does not stop inside set_step below)

    def stop_in_the_caller():
        sys.settrace(None)  # (a `c` with breakpoints set left pdb tracing: not in set_trace)
        debugger.set_trace(sys._getframe(1))  # the frame that called breakpoint()
        debugger.set_step()  # stop at its next line

    sys.breakpointhook = stop_in_the_caller


def main(argv):
    """The eight stages in order, each a function above: read them top to bottom.

    (argv has no default: Python 3.13.0's pdb fails on `b main` for a def whose first constant
    is a default None.)"""
    global BREAK
    args = parse_args(argv)
    BREAK = args.breaks
    if BREAK:
        one_pdb_for_every_stop()
    kind, eta = args.cost, args.lr
    try:
        x, digit, where = the_example(args)
        net = the_network(args)
        network.cost_pair(kind, net.output)  # softmax with the quadratic cost: refused
    except (mnist.DataError, WeightsError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    y = network.one_hot(digit)

    stage_1_example(net, x, y, digit, where, args)
    z, a = stage_2_forward(net, x, digit)
    C = stage_3_cost(z, a, y, digit, kind, net.output)
    dC_db, dC_dw, delta = stage_4_backward(net, x, y, digit, kind)
    stage_5_gradients(a, digit, dC_db, dC_dw, delta)
    video_notation(z, a, y, digit, kind, dC_dw, net.output)
    stage_6_formulas(net, x, y, kind, z, a, dC_dw)
    stage_7_update(net, x, y, digit, kind, eta, dC_db, dC_dw)
    stage_8_check(net, x, y, digit, kind, C, a)
    return 0


def run(argv):
    """main(argv), but `q` at a --break stop ends the script quietly instead of with a traceback.

    Under a debugger that was already running (python -m pdb, VS Code), that debugger handles
    its own quit as usual."""
    outer_debugger = sys.gettrace() is not None
    try:
        return main(argv)
    except bdb.BdbQuit:
        if outer_debugger:
            raise
        print("\nstopped: you quit the debugger (q)")
        return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
