"""Explain one prediction, neuron by neuron:  python -m tinynet.explain IMAGE [--label DIGIT]

The forward pass, layer by layer: every neuron's weighted input z and activation a = f(z), with
a small bar; for each neuron of the first hidden layer, the part of the 28×28 picture it looks
for (where its positive weights are); for the later layers, which neuron below pushed it most.
With --label, also the backward pass: the cost C, every error δ = ∂C/∂z, the largest ∂C/∂w and
∂C/∂b of each layer, and what one step of gradient descent on this image alone would change.

Every part is a plain function you can call from a REPL:

    >>> from tinynet import explain, network
    >>> net = network.new_network(seed=1)
    >>> x, digit = explain.example_digit()            # the bundled 7 (pretrained/digit.json)
    >>> layers = explain.forward_pass(net, x)         # layers[l][i] is a Neuron
    >>> layers[-1][7].a == network.feedforward(net, x)[1][-1][7]
    True
    >>> print(explain.report(net, x, label=digit))    # doctest: +SKIP

Indices follow network.py: layer l+1's neurons get their input through w[l] and b[l], so
`layers[l][i]` holds z[l][i] and a[l+1][i]; δ[l][i] is the error of that same neuron.
"""

import argparse
import json
import sys
from collections import namedtuple
from pathlib import Path

from . import network
from .images.imagefile import ImageError
from .images.preprocess import ASCII_RAMP, NoDigitError, ascii_art
from .reading import probabilities, read_digit
from .settings import DEFAULTS
from .support.cli import positive_int, prog, run
from .support.debugging import program_args
from .weights import PRETRAINED, WeightsError, load_digit_reader, shipped_file, weights_input

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = shipped_file("digit.json")  # pretrained/digit.json, shipped inside the package too
EXAMPLE_IMAGE = ROOT / "examples" / "seven-ink-on-paper.png"  # in a clone only
SIZE = 28  # the input is SIZE × SIZE pixels
BLOCK = 4  # receptive-field maps sum BLOCK × BLOCK pixels: 28×28 → 7×7
WINDOW = 10  # strongest_region looks for the best WINDOW × WINDOW square
EIGHTHS = " ▏▎▍▌▋▊▉█"  # 0/8 … 8/8 of a character cell
DEFAULT_ETA = DEFAULTS["lr"]  # η for "one step of training": training's starting rate

Neuron = namedtuple("Neuron", "l i z a b excitation inhibition")
Neuron.__doc__ = """One neuron's forward pass: z = b + excitation + inhibition and a = f(z)
(f the hidden layers' activation; in the output layer σ(z), or softmax(z) of the whole layer).

excitation = Σ of the positive terms w[l][i][j]·a[l][j], inhibition = Σ of the negative ones:
how much the layer below pushed z up and pulled it down."""


# ---------------------------------------------------------------------------------------------
# The bundled example digit
# ---------------------------------------------------------------------------------------------


def example_digit(path=EXAMPLE):
    """(x, digit): the bundled example's 784 inputs (0 = paper, 1 = ink) and the digit it shows.

    pretrained/digit.json was made from examples/seven-ink-on-paper.png by make_example_digit,
    i.e. by reading.read_digit, so it is exactly what the network sees for that image.
    """
    try:
        with open(str(path), encoding="utf-8") as f:
            d = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: no such file (the bundled example digit, shipped in pretrained/ with "
            "tinynet: reinstall tinynet or restore that folder)"
        ) from None
    x = [float(v) for row in d["pixels"] for v in row]
    if len(x) != SIZE * SIZE:
        raise ValueError(f"{path}: {len(x):d} pixels, expected {SIZE * SIZE:d}")
    return x, int(d["label"])


def make_example_digit(image=EXAMPLE_IMAGE, label=7, path=EXAMPLE):
    """Write the example file: read_digit(image) as 28 rows of 28 numbers, plus its label."""
    x = read_digit(image)
    rows = [x[r * SIZE : (r + 1) * SIZE] for r in range(SIZE)]
    try:
        source = str(Path(image).resolve().relative_to(ROOT))
    except ValueError:
        source = Path(image).name
    head = {
        "about": "the 28×28 input the network sees for {}: 0 = paper, 1 = ink, row by row "
        "(made by tinynet.explain.make_example_digit, i.e. tinynet.reading.read_digit; "
        "not from MNIST)".format(source.replace("\\", "/")),
        "source": source.replace("\\", "/"),
        "label": label,
    }
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]  # drop the closing "\n}"
    text += ',\n "pixels": [\n' + ",\n".join("  " + json.dumps(row) for row in rows) + "\n ]\n}\n"
    from .support.files import write_atomic

    write_atomic(path, text.encode("utf-8"))
    return x


# ---------------------------------------------------------------------------------------------
# Forward pass
# ---------------------------------------------------------------------------------------------


def neuron(net, a_prev, l, i):
    """Neuron i of layer l+1: z = b[l][i] + Σⱼ w[l][i][j]·a_prev[j] and a = f(z) (σ(z) in the
    output layer; forward_pass makes that softmax for a softmax output, which needs every z).

    The sum is taken in the same order as network.feedforward, so z is the very same number;
    along the way the positive and negative terms are also added up separately.
    """
    w_i, b_i = net.w[l][i], net.b[l][i]
    z = b_i
    excitation = inhibition = 0.0
    for j in range(len(a_prev)):
        term = w_i[j] * a_prev[j]
        z += term
        if term > 0:
            excitation += term
        else:
            inhibition += term
    f = network.sigmoid if l == len(net.w) - 1 else network.ACTIVATIONS[net.activation][0]
    return Neuron(l, i, z, f(z), b_i, excitation, inhibition)


def forward_pass(net, x):
    """Every neuron of every layer: layers[l][i] = neuron(net, a⁽ˡ⁾, l, i), for l = 0 … L−1."""
    layers, a_prev = [], list(x)
    for l in range(len(net.w)):
        layer = [neuron(net, a_prev, l, i) for i in range(len(net.w[l]))]
        if l == len(net.w) - 1:  # the output layer: σ(z) or softmax(z), as network.py has it
            a_L = network.output_layer([n.z for n in layer], net.output)
            layer = [n._replace(a=a_k) for n, a_k in zip(layer, a_L)]
        layers.append(layer)
        a_prev = [n.a for n in layer]
    return layers


def strongest_inputs(net, a_prev, l, i, k=2):
    """The k terms w[l][i][j]·a_prev[j] largest in size: [(j, term)], biggest first."""
    terms = [(j, net.w[l][i][j] * a_prev[j]) for j in range(len(a_prev))]
    terms.sort(key=lambda t: -abs(t[1]))
    return terms[:k]


# ---------------------------------------------------------------------------------------------
# What a first-layer neuron looks for
# ---------------------------------------------------------------------------------------------


def receptive_field(w_i, size=SIZE, block=BLOCK):
    """Its positive weights, summed over block × block squares: a (size/block)² map, rows of lists.

    Ink on a square with a large sum pushes the neuron's z up; that is what it "looks for".
    """
    n = size // block
    field = [[0.0] * n for _ in range(n)]
    for j, w in enumerate(w_i):
        if w > 0:
            r, c = divmod(j, size)
            field[min(n - 1, r // block)][min(n - 1, c // block)] += w
    return field


def strongest_region(w_i, size=SIZE, window=WINDOW):
    """(top, bottom, left, right, name): the window × window square of pixels where its positive
    weights add up to the most: where ink excites this neuron most.

    Rows and columns are counted 0 … 27; the name ("upper left", "centre", …) says where the
    square's middle is. None if the neuron has no positive weight at all.
    """
    if not any(w > 0 for w in w_i):
        return None
    # S[r][c] = Σ of the positive weights above and left of pixel (r, c): an "integral image",
    # so that any square's sum takes four look-ups instead of window² additions.
    S = [[0.0] * (size + 1) for _ in range(size + 1)]
    for r in range(size):
        for c in range(size):
            w = w_i[r * size + c]
            S[r + 1][c + 1] = (w if w > 0 else 0.0) + S[r][c + 1] + S[r + 1][c] - S[r][c]
    best = None
    for r in range(size - window + 1):
        for c in range(size - window + 1):
            total = S[r + window][c + window] - S[r][c + window] - S[r + window][c] + S[r][c]
            if best is None or total > best[0]:
                best = (total, r, c)
    _, r, c = best
    middle = (window - 1) / 2
    return r, r + window - 1, c, c + window - 1, place_name(r + middle, c + middle, size)


def place_name(row, col, size=SIZE):
    """'upper left', 'top', …, 'centre', …, 'lower right' for a point of a size × size square."""
    third = size / 3
    v = ("upper", "middle", "lower")[min(2, int(row // third))]
    h = ("left", "middle", "right")[min(2, int(col // third))]
    if v == h == "middle":
        return "centre"
    if v == "middle":
        return "middle " + h
    if h == "middle":
        return {"upper": "top", "lower": "bottom"}[v] + " middle"
    return v + " " + h


def field_lines(field):
    """A receptive field as text: one line per row, two characters per square, darkest = most."""
    top = max(max(row) for row in field) or 1.0
    steps = len(ASCII_RAMP) - 1
    return [
        "".join(2 * ASCII_RAMP[min(steps, int(v / top * steps + 0.5))] for v in row)
        for row in field
    ]


# ---------------------------------------------------------------------------------------------
# Backward pass: what one step of training would change
# ---------------------------------------------------------------------------------------------


def largest(matrix_or_vector, k=3):
    """The k entries largest in size: [(value, i)] for a vector, [(value, i, j)] for a matrix."""
    if matrix_or_vector and isinstance(matrix_or_vector[0], list):
        entries = [(v, i, j) for i, row in enumerate(matrix_or_vector) for j, v in enumerate(row)]
    else:
        entries = [(v, i) for i, v in enumerate(matrix_or_vector)]
    entries.sort(key=lambda e: -abs(e[0]))
    return entries[:k]


def step_effect(net, x, digit, cost, eta):
    """(cost before, cost after, a⁽ᴸ⁾ after): one step w ← w − η ∂C/∂w, b ← b − η ∂C/∂b on a
    copy."""
    y = network.one_hot(digit, len(net.b[-1]))
    z, a = network.feedforward(net, x)
    before = network.cost(a[-1], y, z[-1], cost, net.output)
    copy = network.copy_network(net)
    network.sgd_step(copy, [(x, y)], eta, cost)
    z, a = network.feedforward(copy, x)
    return before, network.cost(a[-1], y, z[-1], cost, net.output), a[-1]


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


def bar(v, width=10):
    """A bar of `width` characters for v in [0, 1], in eighths of a character."""
    eighths = int(round(max(0.0, min(1.0, v)) * width * 8))
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


def signed_bar(v, scale, width=8):
    """v as a bar left (negative) or right (positive) of a '|', `width` cells each way for
    |v| = scale."""
    n = int(round(min(1.0, abs(v) / scale) * width)) if scale > 0 else 0
    if v < 0:
        return (" " * (width - n) + "■" * n + "|").ljust(2 * width + 1)
    return (" " * width + "|" + "■" * n).ljust(2 * width + 1)


def layer_name(l, n_layers):
    """How the report calls the layer fed by w[l]: 'hidden layer 1', …, 'output layer'."""
    return "the output layer" if l == n_layers - 1 else f"hidden layer {l + 1:d}"


def pixel(j):
    row, col = divmod(j, SIZE)
    return f"pixel (row {row:d}, col {col:d})"


def source_name(l, j, n_layers):
    """What neuron j of layer l is called: a pixel, 'h1 #3', or a digit."""
    if l == 0:
        return pixel(j)
    return f"h{l:d} #{j:d}"


def report(net, x, label=None, cost=network.DEFAULT_COST, eta=DEFAULT_ETA, top=3):
    """The whole explanation as text (what python -m tinynet.explain prints): the input, the
    forward pass, and with a label the backward pass and what one step of training would do."""
    layers = forward_pass(net, x)
    a = [list(x)] + [[n.a for n in layer] for layer in layers]
    out = ["The input, as the network sees it (28×28, blank = paper, @ = ink):", ascii_art(x)]
    out += forward_lines(net, layers, a, label)
    if label is None:
        out += [
            "",
            "(Give --label DIGIT to also see the backward pass: the cost, every δ and the "
            "gradients.)",
        ]
        return "\n".join(out)
    y = network.one_hot(label, len(net.b[-1]))
    gradients = network.backprop(net, x, y, cost)  # ∂C/∂b, ∂C/∂w, δ, z, a
    out += backward_lines(net, y, label, cost, gradients)
    out += step_lines(net, x, a, label, cost, eta, top, gradients)
    return "\n".join(out)


def forward_lines(net, layers, a, label):
    """The forward pass, layer by layer: a table of every neuron's z, a, b and pushes."""
    L = len(net.w)
    out = [
        "",
        "FORWARD PASS:  z = b + Σⱼ w·a (from the layer below),  " + ACTIVATION_TEXT[net.activation],
        "(z = b + pushed up + pulled down: the sums of the positive and negative terms w·a)",
    ]
    for l, layer in enumerate(layers):
        title = "Output layer" if l == L - 1 else f"Hidden layer {l + 1:d}"
        out += ["", f"{title} ({len(layer):d} neurons; w[{l:d}], b[{l:d}]):"]
        if l == L - 1:
            if net.output == "softmax" or net.activation != "sigmoid":
                out.append(f"  (the output layer: {ACTIVATION_TEXT[net.output + ' output']})")
            out.append(
                "  digit        z        a               b    pushed up  pulled down  share (a / "
                "Σa)"
            )
            out += output_neuron_lines(layer, a, label)
            continue
        out.append(
            "  neuron       z        a               b    pushed up  pulled down  %s"
            % (
                "likes ink most in (10×10 square with most positive weight)"
                if l == 0
                else "pushed most by"
            )
        )
        out += [neuron_line(n) + hidden_neuron_note(net, a, l, n) for n in layer]
        if l == 0 and len(net.w[0][0]) == SIZE * SIZE:
            out += receptive_field_lines(net, len(layer))
    return out


ACTIVATION_TEXT = {
    "sigmoid": "a = σ(z) = 1/(1 + e⁻ᶻ)",
    "relu": "a = ReLU(z) = max(0, z)",
    "tanh": "a = tanh(z)",
    "sigmoid output": "a = σ(z) = 1/(1 + e⁻ᶻ)",
    "softmax output": "a = softmax(z): aₖ = e^zₖ / Σⱼ e^zⱼ, which sum to 1",
}


def neuron_line(n):
    """The columns every neuron has: its index, z, a (and a bar), b, and the pushes."""
    return (
        f"  {n.i:5d}  {n.z:+7.3f}  {n.a:7.4f} {bar(n.a)} {n.b:+6.2f}  "
        f"{n.excitation:+9.3f}  {n.inhibition:+10.3f}"
    )


def output_neuron_lines(layer, a, label):
    """The output layer's rows: each digit's share of the activations, the answer, the label."""
    p = probabilities(a[-1])
    guess = network.argmax(p)
    lines = []
    for n in layer:
        line = neuron_line(n) + "  %4.0f%%" % (100 * p[n.i])
        if n.i == guess:
            line += "  ← the network's answer"
        if n.i == label:
            line += "  ← the label"
        lines.append(line)
    return lines


def hidden_neuron_note(net, a, l, n):
    """What a hidden neuron responds to: the square of pixels it likes most (first hidden
    layer), or the neurons below that push it most."""
    if l > 0:
        return "  " + ", ".join(
            f"{source_name(l, j, len(net.w))} ({t:+.2f})"
            for j, t in strongest_inputs(net, a[l], l, n.i)
        )
    region = strongest_region(net.w[0][n.i])
    if not region:
        return ""
    top_row, bottom_row, left_col, right_col, name = region
    return f"  rows {top_row:d}–{bottom_row:d}, cols {left_col:d}–{right_col:d} ({name})"


def receptive_field_lines(net, n_neurons):
    """Where each neuron of hidden layer 1 looks: small maps of its positive weights."""
    out = [
        "",
        "  Where each neuron of hidden layer 1 looks: its positive weights summed over 4×4-pixel",
        "  squares (28×28 → 7×7; darker = ink there pushes z up more; each map scaled to its own",
        "  largest square). Ink where a map is dark pushes that neuron towards firing.",
    ]
    maps = [field_lines(receptive_field(net.w[0][i])) for i in range(n_neurons)]
    for start in range(0, len(maps), 6):
        group = list(range(start, min(start + 6, len(maps))))
        out.append("  " + "  ".join((f"#{i:d}").center(16) for i in group).rstrip())
        for r in range(len(maps[0])):
            out.append("  " + "  ".join(f"|{maps[i][r]}|" for i in group))
    return out


PRIME = {"sigmoid": "σ'(zⱼ)", "relu": "ReLU'(zⱼ)", "tanh": "tanh'(zⱼ)"}


def backward_lines(net, y, label, cost, gradients):
    """The backward pass for the label: the cost, then every layer's δ (BP1, then BP2)."""
    L = len(net.w)
    _, _, delta, z, a = gradients
    C = network.cost(a[-1], y, z[-1], cost, net.output)
    out = ["", f"BACKWARD PASS for the label {label:d} ({cost} cost):"]
    if net.output == "softmax":
        out.append(
            f"  C = −Σₖ yₖ ln aₖ = {C:.6f}      (y = 1 for digit {label:d}, 0 for the others)"
        )
    elif cost == "quadratic":
        out.append(
            f"  C = Σₖ (aₖ − yₖ)² = {C:.6f}      (y = 1 for digit {label:d}, 0 for the others)"
        )
    else:
        out.append(
            f"  C = −Σₖ [yₖ ln aₖ + (1 − yₖ) ln(1 − aₖ)] = {C:.6f}      (y = 1 for digit "
            f"{label:d}, 0 for the others)"
        )
    for l in range(L - 1, -1, -1):
        if l == L - 1:
            eq = "(BP1) δᵢ = 2(aᵢ − yᵢ)·σ'(zᵢ)" if cost == "quadratic" else "(BP1) δᵢ = aᵢ − yᵢ"
        else:
            eq = f"(BP2) δⱼ = {PRIME[net.activation]} · Σᵢ w[{l + 1:d}][i][j]·δ[{l + 1:d}][i]"
        out += ["", f"  δ[{l:d}], the error ∂C/∂z of {layer_name(l, L)}: {eq}"]
        scale = max(abs(d) for d in delta[l]) or 1.0
        out += [
            f"  {('digit' if l == L - 1 else 'neuron')!s:>5} {i:2d}  δ = {d:+.3e}  "
            f"{signed_bar(d, scale)}"
            for i, d in enumerate(delta[l])
        ]
    return out


def step_lines(net, x, a, label, cost, eta, top, gradients):
    """One step of training on this image: the largest gradients (BP3, BP4), the changes they
    make, and whether the cost would go down."""
    L = len(net.w)
    dC_db, dC_dw, _, _, _ = gradients
    out = [
        "",
        f"WHAT ONE STEP OF TRAINING ON THIS IMAGE WOULD CHANGE (η = {eta:g}):",
        "  (BP3) ∂C/∂b = δ,  (BP4) ∂C/∂w[l][i][j] = δ[l][i]·a[l][j];  then w ← w − η·∂C/∂w, b ← "
        "b − η·∂C/∂b",
    ]
    for l in range(L):
        out += [
            "",
            f"  w[{l:d}] (into {layer_name(l, L)}), the {top:d} largest of "
            f"{len(dC_dw[l]):d}×{len(dC_dw[l][0]):d} gradients ∂C/∂w:",
        ]
        for g, i, j in largest(dC_dw[l], top):
            to = (f"digit {i:d}") if l == L - 1 else (f"h{l + 1:d} #{i:d}")
            w = net.w[l][i][j]
            out.append(
                f"    w[{l:d}][{i:d}][{j:d}] ({source_name(l, j, L)} → {to}): w = {w:+.4f}, "
                f"∂C/∂w = {g:+.3e}, change −η·∂C/∂w = {-eta * g:+.3e} → {w - eta * g:+.4f}"
            )
        g, i = largest(dC_db[l], 1)[0]
        b = net.b[l][i]
        out.append(
            f"    largest ∂C/∂b: b[{l:d}][{i:d}] = {b:+.4f}, ∂C/∂b = {g:+.3e}, change "
            f"{-eta * g:+.3e} → {b - eta * g:+.4f}"
        )
    before, after, a_after = step_effect(net, x, label, cost, eta)
    out += [
        "",
        f"  After that one step the cost would go from {before:.6f} to {after:.6f} "
        f"({('lower: the step helps' if after < before else 'not lower: η is too big here')}), "
        f"and a[{L:d}] for digit {label:d}",
        f"  from {a[-1][label]:.6f} to {a_after[label]:.6f}.",
    ]
    return out


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=prog("explain"),
        description="Explain how the network reads one image: the forward pass layer by layer "
        "(every neuron's z and a, what each first-layer neuron looks for), and with "
        "--label the backward pass (the cost, every δ, the largest gradients, and what "
        "one step of training would change). Exit status 2 if the image or the weights "
        "cannot be read.",
        epilog="Example: python -m tinynet.explain examples/seven-ink-on-paper.png --label 7",
    )
    ap.add_argument(
        "image", metavar="IMAGE", help="an image file (PNG, PGM/PPM/PBM; others with Pillow)"
    )
    ap.add_argument(
        "--label",
        type=int,
        choices=range(10),
        metavar="DIGIT",
        help="the digit the image really shows: also show the backward pass",
    )
    ap.add_argument(
        "--weights",
        metavar="FILE",
        help=f"weights file (default: the shipped pretrained/{PRETRAINED.name})",
    )
    ap.add_argument(
        "--cost",
        choices=network.COSTS,
        help="cost function for the backward pass (default: the one the weights were trained with)",
    )
    ap.add_argument(
        "--lr",
        type=float,
        default=DEFAULT_ETA,
        metavar="ETA",
        help="learning rate η for the 'one step of training' (default: %(default)s, "
        "training's starting rate)",
    )
    ap.add_argument(
        "--top",
        type=positive_int,
        default=3,
        metavar="K",
        help="gradients shown per layer (default: 3)",
    )
    a = ap.parse_args(program_args(argv))
    try:
        net, info = load_digit_reader(a.weights)
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        x = read_digit(a.image, deskew=weights_input(info)["deskew"])
    except (ImageError, NoDigitError) as e:
        print(f"error: {a.image}: {e}", file=sys.stderr)
        return 2
    cost = a.cost or info.get("cost", network.DEFAULT_COST)
    if net.output == "softmax" and cost == "quadratic":
        print(f"error: --cost quadratic: {network.SOFTMAX_QUADRATIC}", file=sys.stderr)
        return 2
    print(report(net, x, a.label, cost, a.lr, a.top))
    return 0


if __name__ == "__main__":
    run(main)
