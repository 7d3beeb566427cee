"""Pictures of the network and its training:
python -m tinynet.visualize weights|curves|mistakes|all

    python -m tinynet.visualize weights  [--weights FILE] [--out weights.png]
    python -m tinynet.visualize curves   LOG [LOG ...] [--out curves.svg]
    python -m tinynet.visualize mistakes [--weights FILE] [--data DIR] [--out mistakes.png]
    python -m tinynet.visualize all      [--weights FILE] [--log LOG] [--data DIR] [--out-dir DIR]

`weights`: the 784 incoming weights of each first-hidden-layer neuron, drawn as a 28×28 tile
(weight w[0][i][j] is the pixel j = 28·row + column of tile i). Blue is negative, white zero,
red positive; each tile has its own symmetric scale, ±(its largest |w|), so that a neuron with
small weights still shows its pattern (--global-scale uses one scale for all tiles instead).
Ink on red pixels pushes that neuron's z up, ink on blue pixels pulls it down.

`curves`: cost and accuracy per epoch from a training log (the FILE.log.jsonl that
python -m tinynet.train writes, one JSON object per epoch), as an SVG chart in two panels. The
log's cost and training accuracy are running figures, gathered while the epoch trained; the
test accuracy is measured after it. Given several logs, it draws their costs and test
accuracies on one chart, a colour per run (benchmarks/why_relu.py's sigmoid vs ReLU).

`mistakes`: test digits the network gets wrong, each labelled "true→predicted" (true digit in
black, the network's answer in red), drawn with a tiny built-in 3×5 bitmap font.

Files go into the current folder unless --out or --out-dir says otherwise (`all` reads every
input, MNIST included, before it writes anything). PNGs are written by tinynet's own encoder
(tinynet/images/png.py); every file is written to a temporary name and then renamed, so an
interrupted run never leaves half a picture. Everything is a plain function you can call from a
REPL:

    >>> from tinynet import network, visualize
    >>> from tinynet.images import png
    >>> canvas = visualize.weights_image(network.new_network(seed=1))
    >>> (canvas.width, canvas.height)
    (752, 848)
    >>> data = png.encode(canvas.width, canvas.height, canvas.pixels, "RGB")
"""

import argparse
import json
import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from . import mnist
from .images import png
from .support.cli import positive_int, run
from .support.debugging import program_args
from .support.files import write_atomic
from .weights import PRETRAINED, WeightsError, load_digit_reader, weights_input

SIZE = 28
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
RED = (178, 24, 43)  # the ends of ColorBrewer's RdBu diverging map
BLUE = (33, 102, 172)
BACKGROUND = (244, 244, 244)
BORDER = (150, 150, 150)


# ---------------------------------------------------------------------------------------------
# A canvas of RGB pixels, and a 3×5 bitmap font
# ---------------------------------------------------------------------------------------------


class Canvas:
    """width × height RGB pixels, row by row: pixels[3·(width·y + x) + channel]."""

    def __init__(self, width, height, colour=WHITE):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(colour) * (width * height))

    def put(self, x, y, colour):
        k = 3 * (self.width * y + x)
        self.pixels[k : k + 3] = bytes(colour)

    def fill(self, x, y, w, h, colour):
        """Fill the rectangle with top-left corner (x, y), w wide and h high."""
        row = bytes(colour) * w
        for yy in range(y, y + h):
            k = 3 * (self.width * yy + x)
            self.pixels[k : k + 3 * w] = row

    def frame(self, x, y, w, h, colour):
        """A one-pixel line just outside the rectangle (x, y, w, h)."""
        self.fill(x - 1, y - 1, w + 2, 1, colour)
        self.fill(x - 1, y + h, w + 2, 1, colour)
        self.fill(x - 1, y, 1, h, colour)
        self.fill(x + w, y, 1, h, colour)

    def text(self, x, y, s, colour, scale=2):
        """Draw s with FONT, top-left corner at (x, y), each font pixel scale × scale; returns the
        end x."""
        for ch in s:
            glyph = FONT[ch]
            for r, bits in enumerate(glyph):
                for c, bit in enumerate(bits):
                    if bit == "#":
                        self.fill(x + c * scale, y + r * scale, scale, scale, colour)
            x += (len(glyph[0]) + 1) * scale
        return x

    def png(self):
        return png.encode(self.width, self.height, bytes(self.pixels), "RGB")


FONT = {  # 3×5 digits, and a few signs; "#" is ink
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "-": ("...", "...", "###", "...", "..."),
    "+": ("...", ".#.", "###", ".#.", "..."),
    " ": ("...", "...", "...", "...", "..."),
    ">": ("..#..", "...#.", "#####", "...#.", "..#.."),  # drawn as an arrow →
}


def text_width(s, scale=2):
    """The width in pixels that Canvas.text takes for s (without the space after the last glyph)."""
    return sum((len(FONT[ch][0]) + 1) * scale for ch in s) - scale


# ---------------------------------------------------------------------------------------------
# weights: the first layer's weights as 28×28 tiles
# ---------------------------------------------------------------------------------------------


def diverging(t):
    """The colour of t in [−1, 1]: blue at −1, white at 0, red at +1 (straight lines between)."""
    t = max(-1.0, min(1.0, t))
    end = RED if t > 0 else BLUE
    s = abs(t)
    return tuple(int(round(255 + (e - 255) * s)) for e in end)


def weights_image(net, scale=6, columns=None, global_scale=False):
    """A mosaic of the first layer: tile i shows w[0][i][j] at pixel j, scaled up `scale` times.

    Colour = diverging(w / s), with s = max |w| of that tile (or of all tiles with global_scale).
    Each tile has the neuron's number above it; a colour key runs along the bottom.
    """
    rows_w = net.w[0]
    n = len(rows_w)
    if len(rows_w[0]) != SIZE * SIZE:
        raise ValueError(f"the first layer has {len(rows_w[0]):d} inputs, not 28×28 = 784")
    columns = columns or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / columns))
    tile, gap, caption, margin = SIZE * scale, 16, 14, 16
    key_h = 40
    width = 2 * margin + columns * tile + (columns - 1) * gap
    height = 2 * margin + rows * (caption + tile) + (rows - 1) * gap + key_h
    canvas = Canvas(width, height, BACKGROUND)
    top = max(abs(w) for row in rows_w for w in row) or 1.0
    for i, w_i in enumerate(rows_w):
        r, c = divmod(i, columns)
        x0 = margin + c * (tile + gap)
        y0 = margin + r * (caption + tile + gap)
        canvas.text(x0, y0, str(i), BLACK)
        y0 += caption
        s = top if global_scale else (max(abs(w) for w in w_i) or 1.0)
        for j, w in enumerate(w_i):
            py, px = divmod(j, SIZE)
            canvas.fill(x0 + px * scale, y0 + py * scale, scale, scale, diverging(w / s))
        canvas.frame(x0, y0, tile, tile, BORDER)
    # the colour key: − … 0 … + across the bottom
    key_w = min(width - 2 * margin - 40, 360)
    kx = (width - key_w) // 2
    ky = height - margin - 12
    for x in range(key_w):
        canvas.fill(kx + x, ky, 1, 12, diverging(2.0 * x / (key_w - 1) - 1.0))
    canvas.frame(kx, ky, key_w, 12, BORDER)
    canvas.text(kx - 14, ky + 1, "-", BLACK)
    canvas.text(kx + key_w + 6, ky + 1, "+", BLACK)
    canvas.text(kx + key_w // 2 - 2, ky - 14, "0", BLACK)
    return canvas


# ---------------------------------------------------------------------------------------------
# curves: cost and accuracy per epoch, as SVG
# ---------------------------------------------------------------------------------------------


def read_log(path):
    """The epoch records of a training log: JSON lines {"epoch", "cost", "train_accuracy", …}.

    A weights file is accepted too: its "training" → "history" holds the same records. When an
    epoch appears twice (a run resumed from an earlier checkpoint), the later record wins.
    Raises ValueError with a one-line message if the file cannot be used.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None
    records = []
    stripped = text.lstrip()
    if stripped.startswith("{") and '"format"' in stripped[:200]:
        try:
            records = json.loads(text)["training"]["history"]
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path}: a weights file without a training history") from None
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    raise ValueError(
                        f"{path}, line {n:d}: not JSON; expected one JSON object per epoch"
                    ) from None
    by_epoch = {}
    for r in records:
        if not isinstance(r, dict) or not isinstance(r.get("epoch"), int):
            raise ValueError(f'{path}: a record without an "epoch" number')
        by_epoch[r["epoch"]] = r
    if not by_epoch:
        raise ValueError(f"{path}: no epochs in the log")
    return [by_epoch[e] for e in sorted(by_epoch)]


def nice_ticks(lo, hi, count=5):
    """About `count` round tick values (steps of 1, 2 or 5 × 10ⁿ) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks, t = [], first
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def tick_label(v, step):
    decimals = max(0, -int(math.floor(math.log10(step) + 1e-9)))
    if step * 10**decimals % 1 > 1e-9:  # 2.5 × 10ⁿ needs one more decimal
        decimals += 1
    return f"{v:.{decimals}f}"


def panel(x0, y0, w, h, epochs, series, y_title, legend_at="top"):
    """SVG elements for one chart: axes, ticks, grid, lines with dots, and a legend.

    series: [(name, colour, dash, [values per epoch])]; None values are skipped.
    """
    values = [v for _, _, _, vs in series for v in vs if v is not None]
    yticks = nice_ticks(min(values), max(values))
    ylo, yhi = yticks[0], yticks[-1]
    xlo, xhi = min(epochs) - 0.5, max(epochs) + 0.5
    xticks = epoch_ticks(epochs, xlo, xhi)

    def X(e):
        return x0 + (e - xlo) / (xhi - xlo) * w

    def Y(v):
        return y0 + h - (v - ylo) / (yhi - ylo) * h

    out = ["<g>"]
    out += y_ticks_svg(x0, w, yticks, Y)
    out += x_ticks_svg(y0 + h, xticks, X)
    out += axes_svg(x0, y0, w, h, y_title)
    out += lines_svg(epochs, series, X, Y)
    out += legend_svg(x0, y0, w, h, series, legend_at)
    out.append("</g>")
    return out


def epoch_ticks(epochs, xlo, xhi):
    """Whole-epoch ticks in [xlo, xhi], the first epoch always among them."""
    xticks = [t for t in nice_ticks(xlo, xhi, 8) if xlo <= t <= xhi and t == int(t)]
    if not xticks or xticks[0] - min(epochs) >= 2:
        xticks.insert(0, min(epochs))  # always label the first epoch
    return xticks


def y_ticks_svg(x0, w, yticks, Y):
    """A grid line, a tick and a label at each y tick."""
    out = []
    step = yticks[1] - yticks[0] if len(yticks) > 1 else 1.0
    for t in yticks:
        out.append(
            f'<line x1="{x0:.1f}" y1="{Y(t):.1f}" x2="{x0 + w:.1f}" y2="{Y(t):.1f}" '
            'stroke="#e4e4e4"/>'
        )
        out.append(
            f'<line x1="{x0 - 5:.1f}" y1="{Y(t):.1f}" x2="{x0:.1f}" y2="{Y(t):.1f}" stroke="#333"/>'
        )
        out.append(
            f'<text x="{x0 - 8:.1f}" y="{Y(t):.1f}" text-anchor="end" '
            f'dominant-baseline="middle">{tick_label(t, step)}</text>'
        )
    return out


def x_ticks_svg(bottom, xticks, X):
    """A tick and an epoch number at each x tick, below the line y = bottom."""
    out = []
    for t in xticks:
        out.append(
            f'<line x1="{X(t):.1f}" y1="{bottom:.1f}" x2="{X(t):.1f}" y2="{bottom + 5:.1f}" '
            'stroke="#333"/>'
        )
        out.append(
            f'<text x="{X(t):.1f}" y="{bottom + 19:.1f}" text-anchor="middle">{int(t)}</text>'
        )
    return out


def axes_svg(x0, y0, w, h, y_title):
    """The left and bottom axis lines, and the y axis's title turned on its side."""
    return [
        f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x0:.1f}" y2="{y0 + h:.1f}" stroke="#333"/>',
        f'<line x1="{x0:.1f}" y1="{y0 + h:.1f}" x2="{x0 + w:.1f}" y2="{y0 + h:.1f}" '
        'stroke="#333"/>',
        f'<text x="{x0 - 50:.1f}" y="{y0 + h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 {x0 - 50:.1f} {y0 + h / 2:.1f})">{escape(y_title)}</text>',
    ]


def dash_attribute(dash):
    return f' stroke-dasharray="{dash}"' if dash else ""


def lines_svg(epochs, series, X, Y):
    """Each series as a line through its values, with a dot at each."""
    out = []
    for _name, colour, dash, vs in series:
        points = [(X(e), Y(v)) for e, v in zip(epochs, vs) if v is not None]
        out.append(
            '<polyline fill="none" stroke="{}" stroke-width="2"{} points="{}"/>'.format(
                colour,
                dash_attribute(dash),
                " ".join("{:.1f},{:.1f}".format(*p) for p in points),
            )
        )
        for px, py in points:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>')
    return out


def legend_svg(x0, y0, w, h, series, legend_at):
    """A legend box in the top or bottom right corner: a stretch of each line and its name."""
    lw, lh = 300, 10 + 20 * len(series)
    lx = x0 + w - lw - 10
    ly = y0 + 10 if legend_at == "top" else y0 + h - lh - 10
    out = [
        f'<rect x="{lx:.1f}" y="{ly:.1f}" width="{lw:d}" height="{lh:d}" fill="white" '
        'stroke="#999"/>'
    ]
    for k, (name, colour, dash, _) in enumerate(series):
        yy = ly + 15 + 20 * k
        out.append(
            f'<line x1="{lx + 10:.1f}" y1="{yy:.1f}" x2="{lx + 40:.1f}" y2="{yy:.1f}" '
            f'stroke="{colour}" stroke-width="2"{dash_attribute(dash)}/>'
        )
        out.append(
            f'<text x="{lx + 48:.1f}" y="{yy:.1f}" dominant-baseline="middle">{escape(name)}</text>'
        )
    return out


def curves_svg(records, width=760, height=600):
    """An SVG chart of a training log: cost per epoch above, accuracy (train and test) below."""
    epochs = [r["epoch"] for r in records]

    def column(key, factor=1.0):
        return [r[key] * factor if isinstance(r.get(key), (int, float)) else None for r in records]

    cost = column("cost")
    train, test = column("train_accuracy", 100.0), column("test_accuracy", 100.0)
    last_test = next((v for v in reversed(test) if v is not None), None)
    title = "Training: cost and accuracy per epoch"
    if last_test is not None:
        title += f" (final test accuracy {last_test:.2f}%)"
    cost_lines = [("training cost (mean C during the epoch)", "#444", None, cost)]
    accuracy_lines = [
        ("training accuracy (during the epoch)", "#2166ac", "6 4", train),
        ("test accuracy (after the epoch)", "#b2182b", None, test),
    ]
    return two_panels_svg(title, epochs, (cost_lines, "cost"), (accuracy_lines, "accuracy (%)"),
                          width, height)  # fmt: skip


def two_panels_svg(title, epochs, above, below, width, height):
    """An SVG chart titled `title`: two panels of lines per epoch, above = (series, y title)
    (left out when it has no values) and below; series as panel() takes them."""
    left, right, top, mid, bottom = 90, 30, 60, 70, 60
    ph = (height - top - mid - bottom) / 2
    pw = width - left - right
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:d}" height="{height:d}" '
        f'viewBox="0 0 {width:d} {height:d}" '
        'font-family="sans-serif" font-size="13" fill="#222">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2:.1f}" y="30" text-anchor="middle" font-size="16" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    if any(v is not None for *_, vs in above[0] for v in vs):
        out += panel(left, top, pw, ph, epochs, above[0], above[1], legend_at="top")
    out += panel(left, top + ph + mid, pw, ph, epochs, below[0], below[1], legend_at="bottom")
    for y in (top + ph, top + 2 * ph + mid):
        out.append(
            f'<text x="{left + pw / 2:.1f}" y="{y + 40:.1f}" text-anchor="middle">epoch</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


RUN_COLOURS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#444444")


def comparison_svg(runs, width=760, height=600):
    """An SVG chart of several training logs, runs = [(name, records)]: the cost of each run
    per epoch above, its test accuracy below, one colour per run."""
    epochs = sorted({r["epoch"] for _, records in runs for r in records})

    def column(records, key, factor=1.0):
        by_epoch = {r["epoch"]: r.get(key) for r in records}
        values = [by_epoch.get(e) for e in epochs]
        return [v * factor if isinstance(v, (int, float)) else None for v in values]

    colours = [RUN_COLOURS[k % len(RUN_COLOURS)] for k in range(len(runs))]
    cost = [(name, c, None, column(rs, "cost")) for (name, rs), c in zip(runs, colours)]
    test = [
        (name, c, None, column(rs, "test_accuracy", 100.0)) for (name, rs), c in zip(runs, colours)
    ]
    title = "Training cost and test accuracy per epoch, " + " vs ".join(n for n, _ in runs)
    return two_panels_svg(title, epochs, (cost, "training cost"), (test, "test accuracy (%)"),
                          width, height)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# mistakes: misclassified test digits
# ---------------------------------------------------------------------------------------------


def find_mistakes(net, images, labels, count=60):
    """[(index, true digit, predicted digit)] for the first `count` images the network gets wrong.

    Uses the fast engine (tinynet.engines) (the same arithmetic as network.feedforward, quicker) to
    classify.
    """
    from . import engines

    engine = engines.make_engine(net)
    found = []
    for k, (guess, digit) in enumerate(zip(engines.answers(engine, images), labels)):
        if guess != digit:
            found.append((k, digit, guess))
            if len(found) >= count:
                break
    return found


def mistakes_image(images, mistakes, columns=10, scale=3):
    """A mosaic of the mistaken digits (dark ink on white), each captioned "true→predicted"."""
    tile, gap, caption, margin = SIZE * scale, 10, 21, 12
    n = max(1, len(mistakes))
    columns = min(columns, n)
    rows = int(math.ceil(n / columns))
    width = 2 * margin + columns * tile + (columns - 1) * gap
    height = 2 * margin + rows * (tile + caption) + (rows - 1) * gap
    canvas = Canvas(width, height, WHITE)
    for m, (k, digit, guess) in enumerate(mistakes):
        r, c = divmod(m, columns)
        x0 = margin + c * (tile + gap)
        y0 = margin + r * (tile + caption + gap)
        image = images[k]
        for p in range(SIZE * SIZE):
            v = 255 - image[p]
            if v != 255:
                py, px = divmod(p, SIZE)
                canvas.fill(x0 + px * scale, y0 + py * scale, scale, scale, (v, v, v))
        canvas.frame(x0, y0, tile, tile, (200, 200, 200))
        label = f"{digit:d}>{guess:d}"
        x = x0 + (tile - text_width(label, 3)) // 2
        y = y0 + tile + 5
        x = canvas.text(x, y, str(digit), BLACK, 3)
        x = canvas.text(x, y, ">", (120, 120, 120), 3)
        canvas.text(x, y, str(guess), RED, 3)
    return canvas


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _load_net(path):
    return load_digit_reader(path)[0]


def test_set(weights_path, data_dir, download=False):
    """MNIST's test images as the network of `weights_path` sees them (deskewed when its file
    says it was trained so), and their labels."""
    images, labels = mnist.load("test", data_dir, download=download)
    if weights_input(load_digit_reader(weights_path)[1])["deskew"]:
        images = mnist.deskewed_set("test", images, data_dir, quiet=True)
    return images, labels


def make_weights(weights_path, out, global_scale=False):
    canvas = weights_image(_load_net(weights_path), global_scale=global_scale)
    write_atomic(out, canvas.png())
    return canvas


def make_curves(log_path, out):
    """curves.svg of one log; given a list of several logs, their comparison_svg."""
    if isinstance(log_path, (list, tuple)) and len(log_path) > 1:
        svg = comparison_svg([(run_name(p), read_log(p)) for p in log_path])
    else:
        one = log_path[0] if isinstance(log_path, (list, tuple)) else log_path
        svg = curves_svg(read_log(one))
    write_atomic(out, svg.encode("utf-8"))
    return svg


def make_all(weights_path, log_path, data_dir, out_dir, download=False):
    """weights.png, curves.svg and mistakes.png in out_dir; returns [(path, note)] written.

    Every input is read, MNIST's test set included, before the first file is written: a missing
    input raises (WeightsError, ValueError, mnist.DataError, OSError) and leaves nothing behind.
    """
    net = _load_net(weights_path)
    records = read_log(log_path or default_log(weights_path))
    images, labels = test_set(weights_path, data_dir, download)
    found = find_mistakes(net, images, labels)
    pictures = [
        ("weights.png", weights_image(net).png(), ""),
        ("curves.svg", curves_svg(records).encode("utf-8"), ""),
        ("mistakes.png", mistakes_image(images, found).png(), f" ({len(found):d} mistakes)"),
    ]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data, note in pictures:
        write_atomic(out_dir / name, data)
        written.append((out_dir / name, note))
    return written


def make_mistakes(weights_path, data_dir, out, count=60, columns=10, download=False):
    net = _load_net(weights_path)
    images, labels = test_set(weights_path, data_dir, download)
    mistakes = find_mistakes(net, images, labels, count)
    canvas = mistakes_image(images, mistakes, columns)
    write_atomic(out, canvas.png())
    return canvas, mistakes


def default_log(weights_path):
    """The training log beside a weights file (FILE.log.jsonl), else the file's own history."""
    path = Path(weights_path) if weights_path else PRETRAINED
    beside = path.with_name(path.name + ".log.jsonl")
    return beside if beside.exists() else path


WEIGHTS_HELP = f"weights file (default: the shipped pretrained/{PRETRAINED.name})"
DATA_HELP = "folder with the MNIST files (default: $TINYNET_DATA, else the per-user cache)"


def parser():
    """The command line: one subcommand per picture, and `all`."""
    ap = argparse.ArgumentParser(
        prog="python -m tinynet.visualize",
        description="Draw pictures of the network: its first-layer weights (PNG), its training "
        "curves (SVG) and the test digits it gets wrong (PNG). Exit status 2 if an "
        "input cannot be read.",
    )
    sub = ap.add_subparsers(dest="what", metavar="weights|curves|mistakes|all")
    sub.required = True
    add_weights_command(sub)
    add_curves_command(sub)
    add_mistakes_command(sub)
    add_all_command(sub)
    return ap


def add_weights_command(sub):
    p = sub.add_parser(
        "weights",
        help="the 16 first-layer neurons' weights as 28×28 tiles (PNG)",
        description="Each first-hidden-layer neuron's 784 incoming weights as a 28×28 "
        "tile, ×6, in a mosaic: blue negative, white zero, red positive, "
        "each tile on its own scale ±max|w| (or one scale with --global-scale).",
    )
    p.add_argument("--weights", metavar="FILE", help=WEIGHTS_HELP)
    p.add_argument(
        "--out", metavar="FILE.png", default="weights.png", help="output (default: %(default)s)"
    )
    p.add_argument("--global-scale", action="store_true", help="one colour scale for all tiles")


def run_name(log_path):
    """A run's name in a comparison: its log's file name less .json.log.jsonl / .log.jsonl."""
    name = Path(log_path).name
    for tail in (".log.jsonl", ".jsonl", ".json"):
        name = name.removesuffix(tail)
    return name


def add_curves_command(sub):
    p = sub.add_parser(
        "curves",
        help="cost and accuracy per epoch from a training log (SVG)",
        description="Cost (top) and training/test accuracy (bottom) per epoch, as SVG.",
    )
    p.add_argument(
        "log",
        metavar="LOG",
        nargs="+",
        help="training log (FILE.log.jsonl from tinynet.train) or a weights file; several: "
        "their costs and test accuracies on one chart, each run named by its file",
    )
    p.add_argument(
        "--out", metavar="FILE.svg", default="curves.svg", help="output (default: %(default)s)"
    )


def add_mistakes_command(sub):
    p = sub.add_parser(
        "mistakes",
        help="misclassified MNIST test digits, labelled true→predicted (PNG)",
        description="The first COUNT test digits the network gets wrong, each labelled "
        "true→predicted (true in black, the network's answer in red). Needs MNIST.",
    )
    p.add_argument("--weights", metavar="FILE", help=WEIGHTS_HELP)
    p.add_argument("--data", metavar="DIR", help=DATA_HELP)
    p.add_argument(
        "--out", metavar="FILE.png", default="mistakes.png", help="output (default: %(default)s)"
    )
    p.add_argument(
        "--count",
        type=positive_int,
        default=60,
        metavar="N",
        help="how many mistakes (default: 60)",
    )
    p.add_argument(
        "--columns", type=positive_int, default=10, metavar="N", help="tiles per row (default: 10)"
    )
    p.add_argument("--download", action="store_true", help="download MNIST if it is missing")


def add_all_command(sub):
    p = sub.add_parser(
        "all",
        help="all three pictures into one folder (weights.png, curves.svg, mistakes.png)",
        description="Draw weights.png, curves.svg and mistakes.png into --out-dir "
        "(default: the current folder) for one weights file. Needs MNIST's test set (for "
        "mistakes.png): without it, nothing is written.",
    )
    p.add_argument("--weights", metavar="FILE", help=WEIGHTS_HELP)
    p.add_argument(
        "--log",
        metavar="LOG",
        help="training log (default: FILE.log.jsonl beside the weights "
        "file if present, else the history inside the weights file)",
    )
    p.add_argument("--data", metavar="DIR", help=DATA_HELP)
    p.add_argument("--download", action="store_true", help="download MNIST if it is missing")
    p.add_argument(
        "--out-dir",
        metavar="DIR",
        default=".",
        help="output folder (default: the current folder; the project's pictures: --out-dir docs)",
    )


def weights_command(a):
    make_weights(a.weights, a.out, a.global_scale)
    return [a.out]


def curves_command(a):
    make_curves(a.log, a.out)
    return [a.out]


def mistakes_command(a):
    _, found = make_mistakes(a.weights, a.data, a.out, a.count, a.columns, a.download)
    return [f"{a.out} ({len(found):d} mistakes)"]


def all_command(a):
    try:
        done = make_all(a.weights, a.log, a.data, a.out_dir, a.download)
    except mnist.DataError as e:
        raise mnist.DataError(
            f"{e}; nothing was written (mistakes.png needs the MNIST test set; "
            "'visualize weights' and 'visualize curves' work without it)"
        ) from None
    return [f"{path}{note}" for path, note in done]


COMMANDS = {
    "weights": weights_command,
    "curves": curves_command,
    "mistakes": mistakes_command,
    "all": all_command,
}


def main(argv=None):
    a = parser().parse_args(program_args(argv))
    try:
        written = COMMANDS[a.what](a)
    except (WeightsError, mnist.DataError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for w in written:
        print(f"wrote {w}")
    return 0


if __name__ == "__main__":
    run(main)
