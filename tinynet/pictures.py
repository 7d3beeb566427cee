"""Pictures of tinynet's objects for Jupyter, with nothing but the standard library.

A notebook shows an object as a picture when it has a `_repr_png_` or `_repr_svg_` method;
a terminal shows its `repr`, kept to one short line. A digit is a plain list of 784 numbers, so
the pictures are small objects you make from what you have:

    >>> from tinynet import network, pictures
    >>> net = network.new_network(seed=1)
    >>> pictures.layers(net, [0.0] * 784)       # the network with every activation for one input
    layers(sizes=[784, 16, 16, 10], answer=...)
    >>> pictures.digit([0.0] * 784, label=7)    # 28×28 inputs (0 = paper, 1 = ink) or MNIST bytes
    digit(28×28, label 7)

`digit` also takes the (width, height, rgba) that tinynet.images.imagefile.read_image returns;
`tiles(net)` is the first layer's weights as 28×28 tiles (visualize.weights_image), `curve(log)`
a training curve (a log file, its records, or a list of costs). A Network shows itself through
`Network._repr_svg_`, which calls `network_svg` here. PNGs come from tinynet's own encoder
(images/png.py); SVG is text.
"""

import base64
import math
from xml.sax.saxutils import escape

from . import visualize
from .images import png
from .network import argmax, feedforward

SIDE = 28  # a digit is SIDE × SIDE pixels
DIGIT_SIZE = 224  # a digit's picture is scaled up to about this many pixels a side
MOST_CIRCLES = 40  # a layer with more neurons is drawn as a box (with the picture of its input)
COLUMN_GAP, ROW_GAP, RADIUS = 150, 22, 8
POSITIVE, NEGATIVE = "#b2182b", "#2166ac"  # visualize's red and blue: w > 0 and w < 0


# ---------------------------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------------------------


def digit_png(x, scale=8):
    """A 28×28 digit as PNG bytes: ink dark on white paper, each pixel scale × scale.

    x is 784 floats in [0, 1] (the network's input) or 784 bytes 0–255 (MNIST's pixels).
    """
    if len(x) != SIDE * SIDE:
        raise ValueError(f"a digit has {SIDE * SIDE:d} pixels, not {len(x):d}")
    grey = bytes(255 - v for v in x) if isinstance(x, (bytes, bytearray)) else digit_grey(x)
    return grey_png(SIDE, SIDE, grey, scale)


def grey_png(width, height, grey, scale=1):
    """PNG bytes of a grey image (one byte a pixel, row by row), each pixel scale × scale."""
    rows = []
    for r in range(height):
        row = bytes(v for v in grey[r * width : (r + 1) * width] for _ in range(scale))
        rows += [row] * scale
    return png.encode(width * scale, height * scale, b"".join(rows), "L")


def image_png(width, height, rgba):
    """An image tinynet read (read_image's width, height, rgba) as PNG bytes, scaled up by a
    whole number so that a small image is about DIGIT_SIZE pixels a side."""
    scale = max(1, DIGIT_SIZE // max(width, height))
    rows = []
    for r in range(height):
        line = rgba[4 * width * r : 4 * width * (r + 1)]
        row = b"".join(bytes(line[4 * c : 4 * c + 4]) * scale for c in range(width))
        rows += [row] * scale
    return png.encode(width * scale, height * scale, b"".join(rows), "RGBA")


class digit:
    """A digit to look at: 784 inputs or bytes, or read_image's (width, height, rgba)."""

    def __init__(self, x, label=None, scale=8):
        self.x, self.label, self.scale = x, label, scale

    def _repr_png_(self):
        if isinstance(self.x, tuple) and len(self.x) == 3:
            return image_png(*self.x)
        return digit_png(self.x, self.scale)

    def __repr__(self):
        if isinstance(self.x, tuple) and len(self.x) == 3:
            size = f"{self.x[0]:d}×{self.x[1]:d}"
        else:
            size = f"{SIDE:d}×{SIDE:d}"
        return f"digit({size}" + ("" if self.label is None else f", label {self.label:d}") + ")"


# ---------------------------------------------------------------------------------------------
# The network: layers as columns of neurons
# ---------------------------------------------------------------------------------------------


def neuron_positions(sizes):
    """{(layer, i): (x, y)} for every neuron drawn as a circle, and the SVG's (width, height).

    A layer of more than MOST_CIRCLES neurons is a box instead, at key (layer, None).
    """
    tallest = max(n if n <= MOST_CIRCLES else 6 for n in sizes)  # a box is 6 rows high
    height = 60 + tallest * ROW_GAP + 40
    width = 80 + (len(sizes) - 1) * COLUMN_GAP + 80
    places = {}
    for l, n in enumerate(sizes):
        x = 60 + l * COLUMN_GAP
        if n > MOST_CIRCLES:
            places[(l, None)] = (x, height / 2)
            continue
        top = 60 + (tallest - n) * ROW_GAP / 2
        for i in range(n):
            places[(l, i)] = (x, top + i * ROW_GAP)
    return places, width, height


def connection_lines(net, places):
    """SVG lines from every drawn neuron to the neurons it feeds: red w > 0, blue w < 0, the
    larger |w| the more opaque (a box sends one grey line to each neuron it feeds)."""
    out = []
    for l, w_l in enumerate(net.w):
        top = max(abs(w) for row in w_l for w in row) or 1.0
        for i, w_i in enumerate(w_l):
            x2, y2 = places[(l + 1, i)] if (l + 1, i) in places else places[(l + 1, None)]
            if (l, None) in places:
                x1, y1 = places[(l, None)]
                out.append(
                    f'<line x1="{x1 + 40:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    'stroke="#bbb" stroke-width="0.6"/>'
                )
                continue
            for j, w in enumerate(w_i):
                x1, y1 = places[(l, j)]
                colour = POSITIVE if w > 0 else NEGATIVE
                out.append(
                    f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    f'stroke="{colour}" stroke-opacity="{abs(w) / top:.2f}" stroke-width="0.8"/>'
                )
    return out


def input_box(x, y, n, a0):
    """A layer too large for circles: a box saying how many neurons, with the input's picture
    inside when its activations are given and it is a square image."""
    side = math.isqrt(n)
    out = [
        f'<rect x="{x - 40:.1f}" y="{y - 40:.1f}" width="80" height="80" fill="white" '
        'stroke="#666"/>',
        f'<text x="{x:.1f}" y="{y + 58:.1f}" text-anchor="middle">{n:d} inputs</text>',
    ]
    if a0 is not None and side * side == n:
        data = base64.b64encode(grey_png(side, side, digit_grey(a0))).decode("ascii")
        out.append(
            f'<image x="{x - 40:.1f}" y="{y - 40:.1f}" width="80" height="80" '
            f'style="image-rendering:pixelated" href="data:image/png;base64,{data}"/>'
        )
    return out


def digit_grey(a0):
    """Activations in [0, 1] as grey bytes, ink dark on white."""
    return bytes(255 - round(255 * min(1.0, max(0.0, v))) for v in a0)


def neuron_circles(sizes, places, a=None):
    """A circle per neuron, filled dark as its activation a is near 1 (white when not given);
    the output layer is labelled with its digits, and a's value when given."""
    out = []
    last = len(sizes) - 1
    answer = argmax(a[last]) if a is not None and len(a) > last else None
    for (l, i), (x, y) in places.items():
        if i is None:
            out += input_box(x, y, sizes[l], a[0] if a else None)
            continue
        known = a is not None and l < len(a)
        grey = 255 - round(255 * a[l][i]) if known else 255
        stroke = POSITIVE if (l == last and i == answer) else "#333"
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS:d}" fill="rgb({grey},{grey},{grey})" '
            f'stroke="{stroke}" stroke-width="{2.5 if stroke == POSITIVE else 1}"/>'
        )
        if l == last:
            note = f"  {a[l][i]:.2f}" if known else ""
            out.append(f'<text x="{x + 14:.1f}" y="{y + 4:.1f}">{i:d}{escape(note)}</text>')
    return out


def network_svg(net, a=None):
    """The network as SVG text: each layer a column of neurons, the weights as lines.

    With `a` (network.feedforward's activations, a[0] the input … a[L] the output, or only the
    first few layers), neurons are filled by their activation and the answer is circled in red.
    """
    places, width, height = neuron_positions(net.sizes)
    names = ["input"] + [f"hidden {l:d}" for l in range(1, len(net.sizes) - 1)] + ["output"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:d}" height="{height:.0f}" '
        f'viewBox="0 0 {width:d} {height:.0f}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    out += connection_lines(net, places)
    out += neuron_circles(net.sizes, places, a)
    for l, name in enumerate(names):
        x = 60 + l * COLUMN_GAP
        out.append(
            f'<text x="{x:.1f}" y="30" text-anchor="middle">{escape(name)} '
            f"({net.sizes[l]:d})</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


class layers:
    """The network and its activations for the input x, layer by layer: only the layers up to
    `upto` (0 = the input, L = the output; default all) are filled in."""

    def __init__(self, net, x, upto=None):
        self.net, self.x = net, x
        self.a = feedforward(net, x)[1]
        self.upto = len(self.a) - 1 if upto is None else upto

    def _repr_svg_(self):
        return network_svg(self.net, self.a[: self.upto + 1])

    def __repr__(self):
        if self.upto < len(self.a) - 1:
            return f"layers(sizes={self.net.sizes!r}, up to layer {self.upto:d})"
        return f"layers(sizes={self.net.sizes!r}, answer={argmax(self.a[-1]):d})"


# ---------------------------------------------------------------------------------------------
# Weights as tiles, and training curves
# ---------------------------------------------------------------------------------------------


def matrix_png(w_l, scale=12):
    """A weight matrix as PNG: row i, column j is w[i][j], coloured by visualize.diverging
    (blue negative, white zero, red positive) on the scale ±max |w|."""
    top = max(abs(w) for row in w_l for w in row) or 1.0
    rows = []
    for w_i in w_l:
        row = b"".join(bytes(visualize.diverging(w / top)) * scale for w in w_i)
        rows += [row] * scale
    return png.encode(len(w_l[0]) * scale, len(w_l) * scale, b"".join(rows), "RGB")


class tiles:
    """A layer's weights: for layer 0 of a 784-input network one 28×28 tile per neuron
    (visualize.weights_image), for any other layer the matrix w[l] (rows: neurons fed)."""

    def __init__(self, net, layer=0, scale=4):
        self.net, self.layer, self.scale = net, layer, scale

    def _repr_png_(self):
        w_l = self.net.w[self.layer]
        if self.layer == 0 and len(w_l[0]) == SIDE * SIDE:
            return visualize.weights_image(self.net, scale=self.scale).png()
        return matrix_png(w_l, 3 * self.scale)

    def __repr__(self):
        n_out, n_in = len(self.net.w[self.layer]), len(self.net.w[self.layer][0])
        return f"tiles(w[{self.layer:d}]: {n_out:d}×{n_in:d})"


def as_records(log):
    """Training records from a log: a path (visualize.read_log), a list of records (dicts with
    "epoch", "cost", "train_accuracy", "test_accuracy"), or a list of costs, one per epoch."""
    if isinstance(log, (str, bytes)) or hasattr(log, "__fspath__"):
        return visualize.read_log(log)
    log = list(log)
    if log and not isinstance(log[0], dict):
        return [{"epoch": k + 1, "cost": float(c)} for k, c in enumerate(log)]
    return log


def curve_svg(records, width=760, height=320):
    """The curve as SVG: visualize.curves_svg when there are accuracies, else the cost alone."""
    if any(
        isinstance(r.get(k), (int, float))
        for r in records
        for k in ("train_accuracy", "test_accuracy")
    ):
        return visualize.curves_svg(records)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:d}" height="{height:d}" '
        f'viewBox="0 0 {width:d} {height:d}" font-family="sans-serif" font-size="13" '
        'fill="#222"><rect width="100%" height="100%" fill="white"/>'
    )
    if not records:
        return head + '<text x="20" y="40">no epoch finished yet</text></svg>\n'
    epochs = [r["epoch"] for r in records]
    costs = [r.get("cost") for r in records]
    body = visualize.panel(
        90, 30, width - 120, height - 90, epochs, [("cost", "#444", None, costs)], "cost"
    )
    axis = f'<text x="{width / 2:.1f}" y="{height - 15:d}" text-anchor="middle">epoch</text>'
    return head + "\n".join(body) + axis + "</svg>\n"


class curve:
    """A training curve: cost (and accuracy, when the log has it) per epoch."""

    def __init__(self, log):
        self.records = as_records(log)

    def _repr_svg_(self):
        return curve_svg(self.records)

    def __repr__(self):
        if not self.records:
            return "curve(no epochs)"
        last = self.records[-1]
        cost = last.get("cost")
        tail = f", last cost {cost:.4f}" if isinstance(cost, (int, float)) else ""
        return f"curve({len(self.records):d} epochs{tail})"
