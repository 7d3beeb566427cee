"""Test-set accuracy and confusion matrix:  python -m tinynet.evaluate [--weights FILE]"""

import argparse
import sys
import time

from . import engines, mnist
from .support.cli import positive_int, run
from .weights import PRETRAINED, WeightsError, load_digit_reader, weights_input


def confusion_table(confusion):
    """The 10×10 confusion matrix as text: rows are the true digits, columns the predictions."""
    lines = ["true\\predicted" + "".join(f"{d:6d}" for d in range(10)) + "   accuracy"]
    for d, row in enumerate(confusion):
        total = sum(row)
        lines.append(
            f"{d:14d}"
            + "".join(f"{n:6d}" for n in row)
            + f"   {100.0 * row[d] / total if total else 0.0:6.2f}%"
        )
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m tinynet.evaluate",
        description="Accuracy of a weights file on the 10,000 MNIST test images, with a 10×10 "
        "confusion matrix (rows: the true digit; columns: what the network said).",
    )
    p.add_argument(
        "--weights", metavar="FILE", help=f"weights file (default: the shipped {PRETRAINED.name})"
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        help="folder with the MNIST files (default: $TINYNET_DATA, else a per-user cache folder)",
    )
    p.add_argument(
        "--limit", type=positive_int, metavar="N", help="use only the first N test images"
    )
    p.add_argument(
        "--no-download", dest="download", action="store_false", help="never download MNIST"
    )
    a = p.parse_args(argv)
    try:
        net, info = load_digit_reader(a.weights)
        images, labels = mnist.load("test", a.data, download=a.download)
    except (WeightsError, mnist.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if a.limit:
        images, labels = images[: a.limit], labels[: a.limit]
    if weights_input(info)["deskew"]:  # the network was trained on deskewed digits
        images = mnist.deskewed_set("test", images, a.data)
    t = time.time()
    correct, confusion = engines.evaluate(engines.make_engine(net), images, labels)
    seconds = time.time() - t
    print(confusion_table(confusion))
    print(
        f"\naccuracy: {100.0 * correct / len(images):.2f}% ({correct:d} of {len(images):d} test "
        f"images) in {seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    run(main)
