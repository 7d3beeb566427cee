"""How often predict says "unsure": on pictures that are not digits, and on MNIST's test digits.

    python benchmarks/unsure.py --data DIR [--out FOLDER] [--count N] [--weights FILE] [--grid]

Builds (seeded, the same every run) a set of non-digit pictures -- noise, stripes,
checkerboards, blobs, hatching and handwritten-looking letters -- as PNG files in FOLDER
(default: a temporary folder), reads each with `reading.read_number` exactly as
`python -m tinynet.predict` does, and prints the share flagged unsure, per kind and in all.
Then the share of the 10,000 MNIST test digits (in DIR) flagged unsure, and the test accuracy
on the digits that are not flagged; and how many of 14 clean digits drawn as on the draw page
(tests/drawing.py's PAD_DIGITS, read the page's way: teach.analyse_png) are flagged.  The rule
and its thresholds are the constants at the top of tinynet/reading.py (see reading.unsure);
--grid also prints both shares for other output thresholds, to choose them.
"""

import argparse
import math
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "tests"))

from tinynet import mnist, reading, teach, weights  # noqa: E402
from tinynet.images import png  # noqa: E402
from tinynet.images.imagefile import read_image  # noqa: E402
from tinynet.images.preprocess import NoDigitError  # noqa: E402

PAD_STROKE = 18  # the page's pen: 19 pixels on a 300-pixel pad, sent 280 pixels high
SIDE = 96  # the non-digit pictures are SIDE x SIDE grey images, dark on white

# Letters as pen strokes in a unit box (x right, y down), drawn like examples/make_examples.py
# draws digits.  Letters that are digit look-alikes (O, I, l, S, Z, B, G, q) are left out.
LETTERS = {
    "A": [[(0.1, 1.0), (0.5, 0.0), (0.9, 1.0)], [(0.27, 0.6), (0.73, 0.6)]],
    "E": [[(0.85, 0.0), (0.2, 0.0), (0.2, 1.0), (0.85, 1.0)], [(0.2, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0.0), (0.2, 0.0), (0.2, 1.0)], [(0.2, 0.5), (0.7, 0.5)]],
    "H": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.85, 1.0)], [(0.15, 0.5), (0.85, 0.5)]],
    "K": [[(0.2, 0.0), (0.2, 1.0)], [(0.85, 0.0), (0.2, 0.6)], [(0.4, 0.45), (0.85, 1.0)]],
    "M": [[(0.05, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (0.95, 1.0)]],
    "N": [[(0.15, 1.0), (0.15, 0.0), (0.85, 1.0), (0.85, 0.0)]],
    "R": [
        [(0.2, 1.0), (0.2, 0.0), (0.6, 0.0), (0.8, 0.12), (0.8, 0.38), (0.6, 0.5), (0.2, 0.5)],
        [(0.5, 0.5), (0.85, 1.0)],
    ],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.1, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.1, 1.0)]],
    "Y": [[(0.1, 0.0), (0.5, 0.5), (0.9, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    "T": [[(0.05, 0.0), (0.95, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "V": [[(0.1, 0.0), (0.5, 1.0), (0.9, 0.0)]],
    "e": [[(0.15, 0.55), (0.85, 0.55), (0.8, 0.3), (0.5, 0.15), (0.2, 0.35), (0.2, 0.8),
           (0.5, 1.0), (0.85, 0.85)]],
    "h": [[(0.2, 0.0), (0.2, 1.0)], [(0.2, 0.55), (0.5, 0.35), (0.8, 0.5), (0.8, 1.0)]],
    "k": [[(0.2, 0.0), (0.2, 1.0)], [(0.8, 0.35), (0.2, 0.75)], [(0.4, 0.6), (0.85, 1.0)]],
    "m": [[(0.05, 1.0), (0.05, 0.4), (0.25, 0.3), (0.45, 0.45), (0.5, 1.0)],
          [(0.5, 0.45), (0.7, 0.3), (0.9, 0.45), (0.95, 1.0)]],
    "w": [[(0.0, 0.3), (0.25, 1.0), (0.5, 0.5), (0.75, 1.0), (1.0, 0.3)]],
    "x": [[(0.15, 0.3), (0.85, 1.0)], [(0.85, 0.3), (0.15, 1.0)]],
}  # fmt: skip


def pixels_from(cover):
    """Grey levels (255 = paper, 0 = ink) from ink coverage 0..1."""
    return [255 - int(255 * min(1.0, max(0.0, c)) + 0.5) for c in cover]


def noise(rng):
    """Grey noise: every pixel its own random level, or salt and pepper."""
    if rng.random() < 0.5:
        return [rng.randrange(256) for _ in range(SIDE * SIDE)]
    density = rng.uniform(0.05, 0.4)
    return [0 if rng.random() < density else 255 for _ in range(SIDE * SIDE)]


def stripes(rng):
    """Parallel dark bands at a random angle and period."""
    angle, period = rng.uniform(0, math.pi), rng.uniform(6, 30)
    c, s = math.cos(angle), math.sin(angle)
    return pixels_from(
        [
            0.5 + 0.5 * math.sin(2 * math.pi * (x * c + y * s) / period)
            for y in range(SIDE)
            for x in range(SIDE)
        ]
    )


def checkerboard(rng):
    """Black and white squares of a random size, maybe turned."""
    cell, angle = rng.uniform(6, 32), rng.choice([0.0, rng.uniform(0, math.pi / 2)])
    c, s = math.cos(angle), math.sin(angle)
    return pixels_from(
        [
            float((int((x * c + y * s) // cell) + int((y * c - x * s) // cell)) % 2)
            for y in range(SIDE)
            for x in range(SIDE)
        ]
    )


def blobs(rng):
    """A few filled ellipses."""
    shapes = [
        (rng.uniform(10, 86), rng.uniform(10, 86), rng.uniform(5, 30), rng.uniform(5, 30))
        for _ in range(rng.randint(1, 5))
    ]
    return pixels_from(
        [
            float(
                any(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 for cx, cy, rx, ry in shapes)
            )
            for y in range(SIDE)
            for x in range(SIDE)
        ]
    )


def hatching(rng):
    """Thin parallel pen lines at a random angle in a patch, sometimes crossed."""
    import make_examples as mk  # the pen of examples/make_examples.py

    x0, y0 = rng.uniform(5, 30), rng.uniform(5, 30)
    x1, y1 = rng.uniform(60, 91), rng.uniform(60, 91)
    strokes = []
    for angle in [rng.uniform(0, math.pi)] * 1 + (
        [rng.uniform(0, math.pi)] if rng.random() < 0.5 else []
    ):
        c, s = math.cos(angle), math.sin(angle)
        spacing = rng.uniform(5, 12)
        for k in range(-20, 21):
            # the line through the patch's middle, moved k spacings sideways, clipped to it
            mx, my = (x0 + x1) / 2 - k * spacing * s, (y0 + y1) / 2 + k * spacing * c
            points = [(mx + t * c, my + t * s) for t in range(-100, 101, 4)]
            inside = [(x, y, 1.0) for x, y in points if x0 <= x <= x1 and y0 <= y <= y1]
            if len(inside) >= 2:
                strokes.append(inside)
    return pixels_from(mk.render(strokes, SIDE, SIDE))


def letter(rng):
    """A handwritten-looking letter: pen strokes, slanted and wobbled a little."""
    import make_examples as mk

    name = rng.choice(sorted(LETTERS))
    height = rng.uniform(40, 80)
    slant = rng.uniform(-0.1, 0.3)
    cx, cy = rng.uniform(35, 61), rng.uniform(35, 61)
    radius = rng.uniform(0.04, 0.06) * height
    strokes = []
    for stroke in LETTERS[name]:
        points = mk.resample([(u + rng.uniform(-0.03, 0.03), v) for u, v in stroke], 0.02)
        path = []
        for u, v in points:
            y = (v - 0.5) * height
            x = (u - 0.5) * height * 0.8 - slant * y
            path.append((cx + x, cy + y, radius))
        strokes.append(path)
    return pixels_from(mk.render(strokes, SIDE, SIDE))


KINDS = {
    "noise": noise,
    "stripes": stripes,
    "checkerboard": checkerboard,
    "blobs": blobs,
    "hatching": hatching,
    "letters": letter,
}


def build_non_digits(folder, count, seed=1):
    """Write `count` pictures of each kind as PNG files in `folder`; return {kind: [paths]}."""
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for kind, make in KINDS.items():
        made[kind] = []
        for k in range(count):
            path = folder / f"{kind}-{k:03d}.png"
            path.write_bytes(png.encode(SIDE, SIDE, make(rng), "L"))
            made[kind].append(path)
    return made


def readings(net, paths, deskew):
    """The read_number result of each file (None where no ink was found at all)."""
    out = []
    for path in paths:
        try:
            out.append(read_number_outputs(net, path, deskew))
        except NoDigitError:
            out.append(None)
    return out


def read_number_outputs(net, path, deskew):
    """Each digit's (raw outputs, whether its input's shape alone makes it unsure)."""
    answer = reading.read_number(net, *read_image(path), deskew=deskew)
    return [(d["outputs"], shape_unsure(d["upright"])) for d in answer["digits"]]


def shape_unsure(x):
    """The input-shape part of reading.unsure alone (outputs that are sure in every way)."""
    return reading.unsure([1.0, 0.0], x)


def unsure_with(outputs, by_shape, min_output, min_margin):
    """reading.unsure with other output thresholds (the input-shape limits as they are)."""
    first, second = sorted(outputs, reverse=True)[:2]
    return first < min_output or first - second < min_margin or by_shape


def pad_drawings(net, deskew):
    """[(name, digit read, unsure)] for the clean digits of tests/drawing.py's PAD_DIGITS,
    rendered as the page's canvas sends them and read as the draw page reads them."""
    from drawing import PAD_DIGITS, stroke_png

    answers = []
    for name, _, strokes in PAD_DIGITS:
        answer = teach.analyse_png(net, stroke_png(strokes, width=PAD_STROKE), deskew=deskew)
        answers.append((name, answer["digit"], answer["unsure"]))
    return answers


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder with the MNIST .gz files (default: $TINYNET_DATA)")
    p.add_argument("--out", help="write the non-digit pictures here (default: a temp folder)")
    p.add_argument("--count", type=int, default=40, help="pictures of each kind (default 40)")
    p.add_argument("--weights", help="weights file (default: the pretrained one)")
    p.add_argument("--grid", action="store_true", help="also try other thresholds")
    a = p.parse_args()
    net, info = weights.load_digit_reader(a.weights)
    deskew = weights.weights_input(info)["deskew"]
    with tempfile.TemporaryDirectory() as tmp:
        made = build_non_digits(a.out or tmp, a.count)
        non_digits = {kind: readings(net, paths, deskew) for kind, paths in made.items()}
    images, labels = mnist.load("test", data_dir=a.data, download=False)
    upright = [[v / 255 for v in image] for image in images]  # the ink's shape is judged here
    if deskew:  # and the network is shown what it was trained on
        from tinynet.images.deskew import deskew_all

        images = deskew_all(images)
    inputs = [[v / 255 for v in image] for image in images]
    digits = [reading.predict(net, x) + (shape_unsure(u),) for x, u in zip(inputs, upright)]

    def figures(min_output, min_margin):
        """(share of non-digits flagged, by kind; share of MNIST flagged; accuracy unflagged)."""
        by_kind = {}
        for kind, results in non_digits.items():
            # no ink at all is an error line, not a reading: it is not a false digit either
            flagged = [
                r is None or any(unsure_with(o, x, min_output, min_margin) for o, x in r)
                for r in results
            ]
            by_kind[kind] = sum(flagged) / len(flagged)
        flags = [unsure_with(o, x, min_output, min_margin) for _, _, o, x in digits]
        kept = [(d, y) for (d, _, _, _), y, f in zip(digits, labels, flags) if not f]
        accuracy = sum(d == y for d, y in kept) / max(1, len(kept))
        return by_kind, sum(flags) / len(flags), accuracy

    min_output, min_margin = reading.unsure_limits(net.output)
    by_kind, mnist_share, accuracy = figures(min_output, min_margin)
    print(f"weights: {a.weights or weights.PRETRAINED.name}  (deskew: {deskew})")
    print(
        f"rule: unsure if a_max < {min_output} "
        f"or a_max - a_second < {min_margin} or the input's ink is faint > "
        f"{reading.UNSURE_MAX_FAINT}, solid > {reading.UNSURE_MAX_SOLID}, crossings > "
        f"{reading.UNSURE_MAX_CROSSINGS} or spread > {reading.UNSURE_MAX_SPREAD}"
    )
    for kind, share in by_kind.items():
        print(f"non_digits_flagged_{kind}: {100 * share:.0f}%")
    total = sum(by_kind.values()) / len(by_kind)
    print(
        f"non_digits_flagged: {100 * total:.1f}%  ({a.count:d} of each of {len(by_kind):d} kinds)"
    )
    print(f"mnist_test_flagged: {100 * mnist_share:.2f}%  (of {len(digits):d})")
    print(
        "mnist_test_accuracy_all: "
        f"{sum(d == y for (d, _, _, _), y in zip(digits, labels)) / len(digits):.4f}"
    )
    print(f"mnist_test_accuracy_not_flagged: {accuracy:.4f}")
    pad = pad_drawings(net, deskew)
    flagged = [name for name, _, unsure in pad if unsure]
    print(
        f"pad_drawings_flagged: {len(flagged):d} of {len(pad):d}"
        + (f"  ({', '.join(flagged)})" if flagged else "")
    )
    if a.grid:
        print("min_output min_margin non_digits_flagged mnist_flagged")
        for min_output in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            for min_margin in (0.0, 0.05, 0.1, 0.2):
                kinds, share, _ = figures(min_output, min_margin)
                print(
                    f"{min_output:10.2f} {min_margin:10.2f} "
                    f"{100 * sum(kinds.values()) / len(kinds):17.1f}% {100 * share:12.2f}%"
                )


if __name__ == "__main__":
    main()
