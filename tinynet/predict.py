"""Read the digit in an image:  python -m tinynet.predict IMAGE [IMAGE ...]

Each image is read (PNG or PGM/PPM/PBM by tinynet itself; other formats through Pillow when it is
installed), prepared the way MNIST's digits were (see preprocess.py), and fed to the network.
"""

import argparse
import json
import sys

from .images.imagefile import ImageError, read_image
from .images.preprocess import NoDigitError, ascii_art, to_mnist
from .network import feedforward
from .support.cli import run
from .weights import PRETRAINED, WeightsError, load_digit_reader

BLOCKS = " ▁▂▃▄▅▆▇█"
ASCII_BLOCKS = " .:-=+*#@"  # for terminals that cannot show the block characters


def probabilities(outputs):
    """The ten output activations scaled to sum to 1 (sigmoid outputs do not by themselves)."""
    total = sum(outputs)
    return [a / total for a in outputs] if total > 0 else [0.1] * len(outputs)


def read_digit(path):
    """The 784 inputs (0 = paper, 1 = ink) the network sees for the image file at `path`."""
    width, height, rgba = read_image(path)
    return to_mnist(width, height, rgba)


def predict(net, x):
    """(digit, probabilities, outputs) for the prepared input x."""
    outputs = feedforward(net, x)[1][-1]
    p = probabilities(outputs)
    return p.index(max(p)), p, outputs


def bar(p, blocks=BLOCKS):
    """A compact picture of the ten probabilities: one block per digit, its height the value."""
    return " ".join(f"{d:d}{blocks[min(8, int(round(v * 8)))]}" for d, v in enumerate(p))


def _can_print(text):
    try:
        text.encode(sys.stdout.encoding or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m tinynet.predict",
        description="Say which digit each image shows, and how sure the network is. Any PNG "
        "works (dark ink on white paper or white on black, any size, off-centre, "
        "transparent); also PGM/PPM/PBM, and JPEG, GIF, BMP… when Pillow is installed. "
        "Exit status: 0 if every image was read, 2 if any failed.",
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
        help='print one JSON object per image: {"file", "digit", "probabilities"} '
        "(the ten outputs scaled to sum to 1)",
    )
    ap.add_argument(
        "--show", action="store_true", help="also draw the 28×28 input the network sees, as text"
    )
    a = ap.parse_args(argv)
    try:
        net = load_digit_reader(a.weights)[0]
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    blocks = BLOCKS if _can_print(BLOCKS) else ASCII_BLOCKS
    failed = False
    for path in a.images:
        try:
            x = read_digit(path)
        except (ImageError, NoDigitError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            failed = True
            continue
        digit, p, _ = predict(net, x)
        if a.json:
            print(
                json.dumps(
                    {"file": path, "digit": digit, "probabilities": [round(v, 6) for v in p]}
                )
            )
        else:
            print(f"{path}: {digit:d} ({100 * p[digit]:.0f}% sure)  {bar(p, blocks)}")
        if a.show:
            print(ascii_art(x))
        sys.stdout.flush()
    return 2 if failed else 0


if __name__ == "__main__":
    run(main)
