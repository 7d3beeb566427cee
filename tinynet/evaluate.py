"""Test-set accuracy and confusion matrix:  python -m tinynet.evaluate [--weights FILE]"""

import argparse
import sys
import time

from . import engines, mnist
from .support.cli import positive_int, run
from .support.debugging import program_args
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


def test_set(data, download=True):
    """(images, labels, kind, record): MNIST's test set (record None), or the images of Kaggle's
    train.csv that training holds out, when --data is Kaggle's (mnist.load_kaggle_split)."""
    kaggle, note = mnist.kaggle_train_file(data)
    if note:
        print(note, file=sys.stderr)
    if kaggle is None:
        return (*mnist.load("test", data, download=download), "test", None)
    *_, images, labels, record = mnist.load_kaggle_split(kaggle)
    return images, labels, "Kaggle validation", record


def held_out_note(info, record):
    """Which images are measured (None: MNIST's test set), and a note when the network may
    have been trained on them: Kaggle's images are taken from MNIST's."""
    training = info.get("training")
    trained = training.get("kaggle") if isinstance(training, dict) else None
    if not isinstance(trained, dict):
        trained = {}  # trained on MNIST (or the file does not say)
    if record is None:
        if not trained:
            return None
        return (
            "note: this network was trained on Kaggle's train.csv, whose images are taken "
            "from MNIST's: it may have seen some of these test images"
        )
    if trained.get("sha256") == record["sha256"]:
        return mnist.split_line(record)
    return (
        f"{mnist.split_line(record)}\nnote: this network was not trained on this train.csv, "
        "so these images were not held out from it (Kaggle's images are taken from MNIST's: "
        "a network trained on MNIST may have seen them)"
    )


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m tinynet.evaluate",
        description="Accuracy of a weights file on the 10,000 MNIST test images (or, when --data "
        "is Kaggle's train.csv or a folder holding it, on the last tenth of its images, the ones "
        "train holds out), with a 10×10 confusion matrix (rows: the true digit; columns: what "
        "the network said).",
    )
    p.add_argument(
        "--weights", metavar="FILE", help=f"weights file (default: the shipped {PRETRAINED.name})"
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        help="folder with the MNIST files, or Kaggle's train.csv (or a folder holding it and no "
        "MNIST files) (default: $TINYNET_DATA, else a per-user cache folder)",
    )
    p.add_argument(
        "--limit", type=positive_int, metavar="N", help="use only the first N test images"
    )
    p.add_argument(
        "--no-download", dest="download", action="store_false", help="never download MNIST"
    )
    a = p.parse_args(program_args(argv))
    try:
        net, info = load_digit_reader(a.weights)
        images, labels, kind, record = test_set(a.data, a.download)
    except (WeightsError, mnist.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    note = held_out_note(info, record)
    if note:
        print(note)
    if a.limit:
        images, labels = images[: a.limit], labels[: a.limit]
    if weights_input(info)["deskew"]:  # the network was trained on deskewed digits
        key = (
            None
            if record is None
            else mnist.kaggle_key(record, record["validation_first"], len(images))
        )
        images = mnist.deskewed_set(kind, images, a.data, key=key)
    what = "test" if record is None else "validation"
    t = time.time()
    correct, confusion = engines.evaluate(engines.make_engine(net), images, labels)
    seconds = time.time() - t
    print(confusion_table(confusion))
    print(
        f"\naccuracy: {100.0 * correct / len(images):.2f}% ({correct:d} of {len(images):d} {what} "
        f"images) in {seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    run(main)
