"""Read the digits in an image:  python -m tinynet.predict IMAGE [IMAGE ...]

Each image is read (PNG or PGM/PPM/PBM by tinynet itself; other formats through Pillow when it is
installed), its ink found, cut into digits left to right (see images/segment.py), and every digit
prepared the way MNIST's digits were (see preprocess.py) and fed to the network.

From a REPL:

    >>> from tinynet import predict, weights
    >>> from tinynet.images.imagefile import read_image
    >>> net, info = weights.load_digit_reader()
    >>> predict.read_number(net, *read_image("examples/seven-ink-on-paper.png"))["number"]
    '7'
"""

import argparse
import json
import os
import sys

from .images.imagefile import ImageError, read_image, sniff_format
from .images.preprocess import (
    NoDigitError,
    ascii_art,
    bounding_box,
    crop,
    deskew_input,
    ink_image,
    prepare_digit,
    to_mnist,
)
from .images.segment import components, digit_rows, group_pieces
from .network import argmax, feedforward
from .support.cli import prog, run
from .weights import PRETRAINED, WeightsError, load_digit_reader, weights_input

BLOCKS = " ▁▂▃▄▅▆▇█"
ASCII_BLOCKS = " .:-=+*#@"  # for terminals that cannot show the block characters

# When is the network unsure?  Chosen from measurements (benchmarks/unsure.py; README, "When it
# is unsure").  The outputs are sigmoids, each near 1 for "this is my digit"; their share of the
# sum ("% sure") is high even when every output is low.  And the network answers for anything:
# a texture or a blob is prepared like a digit and gets a confident-looking answer.  So a
# reading is unsure when the strongest output is weak, or two are close, or what the network
# was shown does not look like handwriting -- each limit just outside what MNIST's 10,000 test
# digits show (the figure after each: that limit's MNIST range).
UNSURE_MIN_OUTPUT = 0.4  # a_max below this: no output says "mine"
UNSURE_MIN_MARGIN = 0.05  # a_max − a_second below this: two digits close
UNSURE_MAX_FAINT = 0.55  # share of the ink that is faint (< ½): noise, shading (MNIST ≤ 0.65)
UNSURE_MAX_SOLID = 0.65  # share of the ink inside solid areas: blobs (MNIST q99.5 0.66)
UNSURE_MAX_CROSSINGS = 8  # ink/paper changes along one row or column: patterns (MNIST ≤ 10)
UNSURE_MAX_SPREAD = 0.5  # share of the field's 4×4 cells with ink: all over (MNIST ≤ 0.55)

# Files given on the command line (say by `examples/*`) that are plainly not pictures are
# skipped with a note rather than counted as failures: their name does not end like an image's
# and their first bytes are no image format's either.
IMAGE_EXTENSIONS = {
    ".png", ".pgm", ".ppm", ".pbm", ".pnm", ".jpg", ".jpeg", ".jpe", ".jfif", ".gif", ".bmp",
    ".dib", ".webp", ".tif", ".tiff", ".ico", ".heic", ".heif", ".avif", ".jp2", ".j2k",
}  # fmt: skip


def probabilities(outputs):
    """The ten output activations scaled to sum to 1 (sigmoid outputs do not by themselves)."""
    total = sum(outputs)
    return [a / total for a in outputs] if total > 0 else [0.1] * len(outputs)


def read_digit(path, deskew=False):
    """The 784 inputs (0 = paper, 1 = ink) the network sees for the image file at `path`."""
    width, height, rgba = read_image(path)
    return to_mnist(width, height, rgba, deskew)


def predict(net, x):
    """(digit, probabilities, outputs) for the prepared input x."""
    outputs = feedforward(net, x)[1][-1]
    p = probabilities(outputs)
    return argmax(p), p, outputs


def ink_shape(x):
    """Four numbers saying how much the 28×28 input x looks like a pen stroke.

    faint:     (pixels with 0 < v ≤ ½) / (pixels with v > 0)
    solid:     (inked pixels, v > ½, whose four neighbours are inked too) / (inked pixels)
    crossings: the most ink/paper changes along one row or one column
    spread:    the share of the 49 cells of 4×4 pixels that hold inked pixels
    """
    size = 28
    inked = [v > 0.5 for v in x]
    n = sum(inked)
    touched = sum(1 for v in x if v > 0)
    solid = sum(
        1
        for y in range(1, size - 1)
        for i in range(y * size + 1, y * size + size - 1)
        if inked[i] and inked[i - 1] and inked[i + 1] and inked[i - size] and inked[i + size]
    )
    lines = [inked[y * size : (y + 1) * size] for y in range(size)]
    lines += [inked[c::size] for c in range(size)]
    crossings = max(sum(a != b for a, b in zip(line, line[1:])) for line in lines)
    cells = sum(
        1
        for cy in range(0, size, 4)
        for cx in range(0, size, 4)
        if any(any(inked[(cy + dy) * size + cx : (cy + dy) * size + cx + 4]) for dy in range(4))
    )
    return {
        "faint": (touched - n) / max(1, touched),
        "solid": solid / max(1, n),
        "crossings": crossings,
        "spread": cells / (size // 4) ** 2,
    }


def unsure(outputs, x=None):
    """True when the network does not really recognise a digit in what it was shown.

    Unsure if a_max < UNSURE_MIN_OUTPUT, or a_max − a_second < UNSURE_MIN_MARGIN, or (given the
    input x) its ink is mostly faint, mostly solid, a repeating pattern or spread all over the
    field (see ``ink_shape`` and the constants at the top of this file).
    """
    first, second = sorted(outputs, reverse=True)[:2]
    if first < UNSURE_MIN_OUTPUT or first - second < UNSURE_MIN_MARGIN:
        return True
    if x is None:
        return False
    shape = ink_shape(x)
    return (
        shape["faint"] > UNSURE_MAX_FAINT
        or shape["solid"] > UNSURE_MAX_SOLID
        or shape["crossings"] > UNSURE_MAX_CROSSINGS
        or shape["spread"] > UNSURE_MAX_SPREAD
    )


def read_number(net, width, height, rgba, deskew=False):
    """Read every digit of an RGBA image, left to right.

    Returns ``{"number": "2026", "digits": [...], "unsure": bool}``, each digit a dict with
    "digit", "probabilities", "outputs" (the ten raw activations), "box" ([x0, y0, x1, y1) in
    the image's pixels), "input" (the 784 floats the network saw), "upright" (the same before
    deskewing; the two are equal without it) and "unsure".  An image
    with one digit is prepared exactly as ``to_mnist`` prepares it.  Raises NoDigitError if
    there is no ink, ValueError if ``rgba`` does not hold ``4 * width * height`` values.
    """
    w, h, ink, k = ink_image(width, height, rgba)
    groups = group_pieces(components(w, h, ink))
    if len(groups) <= 1:  # one digit: all the ink, as to_mnist takes it
        box = list(bounding_box(w, h, ink))
        found = [(box, crop(w, ink, box))]
    else:
        found = [(g["box"], digit_rows(w, ink, g)) for g in groups]
    digits = []
    for (x0, y0, x1, y1), rows in found:
        upright = prepare_digit(rows)  # the digit as drawn: its strokes judge the ink's shape
        x = deskew_input(upright) if deskew else upright  # (deskewing resamples: blurrier ink)
        digit, p, outputs = predict(net, x)
        digits.append(
            {
                "digit": digit,
                "probabilities": p,
                "outputs": outputs,
                "box": [k * x0, k * y0, min(width, k * x1), min(height, k * y1)],
                "input": x,
                "upright": upright,
                "unsure": unsure(outputs, upright),
            }
        )
    return {
        "number": "".join(str(d["digit"]) for d in digits),
        "digits": digits,
        "unsure": any(d["unsure"] for d in digits),
    }


def bar(p, blocks=BLOCKS):
    """A compact picture of the ten probabilities: one block per digit, its height the value."""
    return " ".join(f"{d:d}{blocks[min(8, int(round(v * 8)))]}" for d, v in enumerate(p)).rstrip()


def describe(reading, blocks=BLOCKS):
    """The text line for a reading (after "IMAGE: ")."""
    digits = reading["digits"]
    if len(digits) == 1:
        d = digits[0]
        p = d["probabilities"]
        if d["unsure"]:
            return f"looks most like {d['digit']:d}, but unsure  {bar(p, blocks)}"
        return f"{d['digit']:d} ({100 * p[d['digit']]:.0f}% sure)  {bar(p, blocks)}"
    least = min(d["probabilities"][d["digit"]] for d in digits)
    if reading["unsure"]:
        which = ", ".join(str(k + 1) for k, d in enumerate(digits) if d["unsure"])
        return (
            f"looks most like {reading['number']}, but unsure (of digit {which} of {len(digits):d})"
        )
    return f"{reading['number']} (least sure digit {100 * least:.0f}%)"


def as_json(path, reading):
    """The --json object for one image."""
    out = {"file": path, "number": reading["number"]}
    if len(reading["digits"]) == 1:
        d = reading["digits"][0]
        out["digit"] = d["digit"]
        out["probabilities"] = [round(v, 6) for v in d["probabilities"]]
    out["digits"] = [
        {
            "digit": d["digit"],
            "probabilities": [round(v, 6) for v in d["probabilities"]],
            "box": d["box"],
            "unsure": d["unsure"],
        }
        for d in reading["digits"]
    ]
    out["unsure"] = reading["unsure"]
    return out


def plainly_not_an_image(path):
    """True for a file whose name does not end like an image's and whose first bytes are no
    image format's (a .py, .md, .json file picked up by a glob)."""
    extension = os.path.splitext(str(path))[1].lower()
    if not extension or extension in IMAGE_EXTENSIONS or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return bool(head) and sniff_format(head) is None


def _can_print(text):
    try:
        text.encode(sys.stdout.encoding or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=prog("predict"),
        description="Say which digits each image shows, left to right (one digit or a whole "
        "number such as 2026), and how sure the network is; 'unsure' when it does not "
        "really recognise a digit. Any PNG works (dark ink on white paper or white on black, "
        "any size, off-centre, transparent); also PGM/PPM/PBM, and JPEG, GIF, BMP… when "
        "Pillow is installed. Files that are plainly not pictures (a .py or .md given by a "
        "glob) are skipped with a note. Exit status: 0 if every image was read, 2 if any "
        "failed.",
    )
    ap.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    ap.add_argument(
        "--weights",
        metavar="FILE",
        help=f"weights file (default: the shipped pretrained/{PRETRAINED.name})",
    )
    ap.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object per image: {"file", "number", "digits": [{"digit", '
        '"probabilities", "box", "unsure"}, ...], "unsure"}, plus "digit" and '
        '"probabilities" when the image holds one digit (probabilities: the ten outputs '
        "scaled to sum to 1)",
    )
    ap.add_argument(
        "--show",
        action="store_true",
        help="also draw each digit's 28×28 input as the network sees it, as text "
        "(on stderr with --json, so that stdout stays JSON)",
    )
    a = ap.parse_args(argv)
    try:
        net, info = load_digit_reader(a.weights)
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    deskew = weights_input(info)["deskew"]
    blocks = BLOCKS if _can_print(BLOCKS) else ASCII_BLOCKS
    pictures = sys.stderr if a.json else sys.stdout
    failed = False
    for path in a.images:
        if plainly_not_an_image(path):
            print(f"{path}: not an image, skipped", file=sys.stderr)
            continue
        try:
            reading = read_number(net, *read_image(path), deskew=deskew)
        except (ImageError, NoDigitError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            failed = True
            continue
        if a.json:
            print(json.dumps(as_json(str(path), reading)))
        else:
            print(f"{path}: {describe(reading, blocks)}")
        if a.show:
            sys.stdout.flush()
            digits = reading["digits"]
            for k, d in enumerate(digits):
                if len(digits) > 1:
                    print(f"digit {k + 1:d} of {len(digits):d}: {d['digit']:d}", file=pictures)
                print(ascii_art(d["input"]), file=pictures)
            pictures.flush()
        sys.stdout.flush()
    return 2 if failed else 0


if __name__ == "__main__":
    run(main)
