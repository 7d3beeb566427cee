"""Forgetting, measured: teach the draw server's network 20 drawings of your own, with and
without rehearsal, and see what happens to its accuracy on MNIST.

    python benchmarks/teach_forgetting.py --data DIR [--steps 3] [--lr 0.5 0.2 0.1]

The 20 drawings are MNIST-unlike on purpose: the ten digits of a seven-segment display, drawn
here as strokes, solid and then dotted and leaning (the shipped network reads 6 of them wrong);
or, with --drawings examples, the images in examples/ (pencil, chalk, a red pen, white on
black, a scan, …, labelled by their file names) and six stroke digits in styles MNIST has few
of (all of which it reads right). Each drawing is taught its right
digit `--steps` times (clicks), one after the other, through draw.Teacher, the object behind
POST /api/teach. Printed for each learning rate, without and with rehearsal (each step's
mini-batch = the drawing + 9 random MNIST training digits): the accuracy on the first 1,000
MNIST test digits before and after, and how many of the 20 drawings are read right before and
after. Deterministic: rehearsal draws its MNIST digits with a fixed seed.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import drawing  # noqa: E402

from tinynet import draw, network, teach, weights  # noqa: E402
from tinynet.network import classify  # noqa: E402
from tinynet.reading import read_digit  # noqa: E402

NAMES = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}

# Strokes in 0..1 coordinates of the drawing, in styles MNIST has few of.
STROKES = [
    ("boxy 4", 4, [[(0.3, 0.15), (0.3, 0.55), (0.72, 0.55)], [(0.72, 0.15), (0.72, 0.88)]]),
    (
        "1 with flag and base",
        1,
        [[(0.35, 0.3), (0.52, 0.15), (0.52, 0.85)], [(0.33, 0.85), (0.71, 0.85)]],
    ),
    ("crossed 7", 7, [[(0.25, 0.18), (0.75, 0.18), (0.42, 0.88)], [(0.4, 0.52), (0.7, 0.52)]]),
    (
        "circle-and-stem 9",
        9,
        [
            [(0.66, 0.32), (0.58, 0.18), (0.44, 0.16), (0.33, 0.26), (0.34, 0.42), (0.48, 0.5)]
            + [(0.62, 0.45), (0.66, 0.32)],
            [(0.66, 0.3), (0.66, 0.88)],
        ],
    ),
    ("Z-like 2", 2, [[(0.28, 0.2), (0.72, 0.2), (0.28, 0.82), (0.75, 0.82)]]),
    (
        "angular 5",
        5,
        [[(0.7, 0.16), (0.32, 0.16), (0.3, 0.48), (0.68, 0.5), (0.68, 0.82), (0.28, 0.84)]],
    ),
]


# Seven-segment digits, as on a clock radio: segments a (top), b, c (right, top to bottom),
# d (bottom), e, f (left, bottom to top), g (middle).
SEGMENTS = {
    "a": [(0.3, 0.15), (0.7, 0.15)],
    "b": [(0.7, 0.15), (0.7, 0.5)],
    "c": [(0.7, 0.5), (0.7, 0.85)],
    "d": [(0.3, 0.85), (0.7, 0.85)],
    "e": [(0.3, 0.5), (0.3, 0.85)],
    "f": [(0.3, 0.15), (0.3, 0.5)],
    "g": [(0.3, 0.5), (0.7, 0.5)],
}
LIT = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afedcg", "abc", "abcdefg", "abcdfg"]


def stroke_png(strokes):
    """Dark strokes (polylines, 0..1 coordinates) on white paper, as PNG bytes: solid ink, 140
    pixels a side, 12 wide (tests/drawing.py)."""
    return drawing.stroke_png(strokes, size=140, width=12, soft=False)


def own_drawings(kind="segments"):
    """[(name, x, digit)]: 20 drawings, each with its right digit. "segments": the ten digits of
    a seven-segment display, solid, then dotted and leaning (6 of them the shipped network reads
    wrong); "examples": the images in examples/ and the STROKES (all read right)."""
    drawings = []
    if kind == "segments":
        return segment_drawings()
    for path in sorted((ROOT / "examples").iterdir()):
        if path.suffix in (".png", ".pgm") and path.stem.split("-")[0] in NAMES:
            drawings.append((path.name, read_digit(str(path)), NAMES[path.stem.split("-")[0]]))
    for name, digit, strokes in STROKES:
        drawings.append((name, teach.drawing_input(stroke_png(strokes)), digit))
    return drawings


def segment_drawings():
    drawings = []
    for digit, lit in enumerate(LIT):
        strokes = [SEGMENTS[segment] for segment in lit]
        drawings.append((f"seven-segment {digit}", teach.drawing_input(stroke_png(strokes)), digit))
    for digit, lit in enumerate(LIT):
        strokes = [dots(italic(SEGMENTS[segment])) for segment in lit]
        strokes = [dot for segment in strokes for dot in segment]
        drawings.append((f"dotted italic {digit}", teach.drawing_input(stroke_png(strokes)), digit))
    return drawings


def italic(line, slant=0.25):
    """The line leaning right: x moves by slant × the height above the middle."""
    return [(x + slant * (0.5 - y), y) for x, y in line]


def dots(line, n=4):
    """A straight line as n short dashes."""
    (x0, y0), (x1, y1) = line
    return [
        [
            (x0 + (x1 - x0) * (k + 0.2) / n, y0 + (y1 - y0) * (k + 0.2) / n),
            (x0 + (x1 - x0) * (k + 0.6) / n, y0 + (y1 - y0) * (k + 0.6) / n),
        ]
        for k in range(n)
    ]


def run(net, info, drawings, data, lr, steps, rehearse):
    teacher = draw.Teacher(network.copy_network(net), info, data_dir=data, seed=1)
    start = teacher.wait_for_accuracy()["accuracy"]["value"]
    right_before = sum(classify(teacher.net, x) == d for _, x, d in drawings)
    t = time.perf_counter()
    for _, x, digit in drawings:
        for _ in range(steps):
            with teacher.lock:
                teacher.teach(x, digit, lr, rehearse)
    seconds = time.perf_counter() - t
    end = teacher.wait_for_accuracy()["accuracy"]
    right_after = sum(classify(teacher.net, x) == d for _, x, d in drawings)
    teacher.stop()
    return start, end["value"], right_before, right_after, seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("TINYNET_DATA"), help="MNIST folder")
    ap.add_argument("--steps", type=int, default=3, help="clicks per drawing (default 3)")
    ap.add_argument(
        "--lr", type=float, nargs="+", default=[teach.DEFAULT_LR], help="learning rates to try"
    )
    ap.add_argument(
        "--drawings",
        choices=("segments", "examples"),
        default="segments",
        help="segments: seven-segment digits, solid and dotted-italic (default); examples: "
        "examples/*.png and a few stroke digits",
    )
    a = ap.parse_args(argv)
    if not a.data:
        print("error: needs MNIST: --data DIR (or $TINYNET_DATA)", file=sys.stderr)
        return 2
    net, info = weights.load_with_info()
    drawings = own_drawings(a.drawings)
    print(
        f"{len(drawings)} drawings, {a.steps} steps each; MNIST accuracy on the first "
        f"{teach.ACCURACY_DIGITS:,d} test digits"
    )
    print("    η   rehearse   MNIST before → after   (change)   own drawings right before → after")
    for lr in a.lr:
        for rehearse in (False, True):
            start, end, rb, ra, seconds = run(net, info, drawings, a.data, lr, a.steps, rehearse)
            print(
                f"{lr:5.2f}   {'yes' if rehearse else 'no ':3s}        {100 * start:5.1f}% → "
                f"{100 * end:5.1f}%     ({100 * (end - start):+5.1f})     {rb:2d} → {ra:2d} of "
                f"{len(drawings)}   ({seconds:.1f} s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
