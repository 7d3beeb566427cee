"""Read the digits in an image:  python -m tinynet.predict IMAGE [IMAGE ...]

Each image is read (PNG or PGM/PPM/PBM by tinynet itself; other formats through Pillow when it is
installed), its ink found, cut into digits left to right (see images/segment.py), and every digit
prepared the way MNIST's digits were (see preprocess.py) and fed to the network.

The reading itself (ink, digits, the network's answer, when it is unsure) is in reading.py,
whose docstring shows it from a REPL; this file is the command around it.
"""

import argparse
import json
import os
import sys
import time

from . import engines, mnist
from .images.imagefile import ImageError, sniff_format
from .images.preprocess import NoDigitError, ascii_art
from .reading import read_file, read_number  # noqa: F401  (read_number: also predict.read_number)
from .support.cli import prog, run
from .support.debugging import program_args
from .support.files import write_atomic
from .support.progress import Progress
from .weights import PRETRAINED, WeightsError, load_digit_reader, weights_input

BLOCKS = " ▁▂▃▄▅▆▇█"
ASCII_BLOCKS = " .:-=+*#@"  # for terminals that cannot show the block characters

# Files given on the command line (say by `examples/*`) that are plainly not pictures are
# skipped with a note rather than counted as failures: their name does not end like an image's
# and their first bytes are no image format's either.
IMAGE_EXTENSIONS = {
    ".png", ".pgm", ".ppm", ".pbm", ".pnm", ".jpg", ".jpeg", ".jpe", ".jfif", ".gif", ".bmp",
    ".dib", ".webp", ".tif", ".tiff", ".ico", ".heic", ".heif", ".avif", ".jp2", ".j2k",
}  # fmt: skip


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


def submission_lines(net, images, deskew=False, quiet=False):
    """The lines (bytes) of a Kaggle submission: the header ImageId,Label, then for each image
    in order its number (from 1) and the digit the network reads, with progress on stderr.

    Kaggle's images are MNIST's already (28×28, 0-255, ink high), so each is fed as MNIST's
    are, x = pixel/255, deskewed first if the network was trained on deskewed digits."""
    if deskew:
        images = mnist.deskewed_set("Kaggle test", images, None, quiet)
    bar = Progress(len(images), "reading the digits", quiet=quiet)
    yield b"ImageId,Label\n"
    for i, digit in enumerate(engines.answers(engines.make_engine(net), images), start=1):
        yield f"{i:d},{digit:d}\n".encode()
        if i % 100 == 0 or i == len(images):
            bar.update(i)
    bar.close()


def kaggle_submission(net, deskew, csv_path, out=None):
    """predict --kaggle: the submission for Kaggle's test.csv, to stdout or (atomically) out."""
    t = time.time()
    try:
        images, labels = mnist.read_kaggle_csv(csv_path)
    except mnist.DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not images:
        print(f"error: {csv_path}: no images after the header", file=sys.stderr)
        return 2
    print(f"{csv_path}: {len(images):,d} images ({time.time() - t:.1f} s)", file=sys.stderr)
    if labels is not None:
        print(f"{csv_path}: has labels (train.csv?); they are not used", file=sys.stderr)
    lines = submission_lines(net, images, deskew)
    if out:
        write_atomic(out, lines)
        print(f"wrote {out}: {len(images):d} rows", file=sys.stderr)
    else:
        for line in lines:
            sys.stdout.write(line.decode())
    return 0


def parser():
    """predict's command line."""
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
    ap.add_argument("images", nargs="*", metavar="IMAGE", help="image files")
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
    ap.add_argument(
        "--kaggle",
        metavar="CSV",
        help="instead of images, read Kaggle's test.csv (pixel0,...,pixel783, one digit a row, "
        "already 28×28 as MNIST's) and write the submission: ImageId,Label, one row per image "
        "in order (ImageId from 1)",
    )
    ap.add_argument(
        "--out", metavar="FILE", help="with --kaggle: write the submission to FILE, not stdout"
    )
    return ap


def show_inputs(reading, pictures):
    """--show: each digit's 28×28 input as text, as the network sees it."""
    sys.stdout.flush()
    digits = reading["digits"]
    for k, d in enumerate(digits):
        if len(digits) > 1:
            print(f"digit {k + 1:d} of {len(digits):d}: {d['digit']:d}", file=pictures)
        print(ascii_art(d["input"]), file=pictures)
    pictures.flush()


def read_images(net, paths, deskew, as_json_lines=False, show=False):
    """Read and print each image's number; True if every image was read."""
    blocks = BLOCKS if _can_print(BLOCKS) else ASCII_BLOCKS
    pictures = sys.stderr if as_json_lines else sys.stdout
    failed = False
    for path in paths:
        if plainly_not_an_image(path):
            print(f"{path}: not an image, skipped", file=sys.stderr)
            continue
        try:
            reading = read_file(net, path, deskew=deskew)
        except (ImageError, NoDigitError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            failed = True
            continue
        if as_json_lines:
            print(json.dumps(as_json(str(path), reading)))
        else:
            print(f"{path}: {describe(reading, blocks)}")
        if show:
            show_inputs(reading, pictures)
        sys.stdout.flush()
    return not failed


def main(argv=None):
    ap = parser()
    a = ap.parse_args(program_args(argv))
    if bool(a.images) == bool(a.kaggle) or (a.out and not a.kaggle):
        ap.error("give IMAGE files, or --kaggle CSV [--out FILE]")
    if a.kaggle and (a.json or a.show):
        ap.error("--json and --show are for IMAGE files; --kaggle writes the submission CSV")
    try:
        net, info = load_digit_reader(a.weights)
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    deskew = weights_input(info)["deskew"]
    if a.kaggle:
        return kaggle_submission(net, deskew, a.kaggle, a.out)
    return 0 if read_images(net, a.images, deskew, a.json, a.show) else 2


if __name__ == "__main__":
    run(main)
