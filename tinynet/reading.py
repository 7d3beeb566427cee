"""Reading digits: from an image's pixels to the network's answer, as plain functions.

The path every command takes (predict, explain, the draw page):

    image pixels → ink → digits cut apart (images/segment.py) → each prepared like MNIST's
    (images/preprocess.py) → feedforward (network.py) → the answer, and whether it is unsure

From a REPL:

    >>> from tinynet import reading, weights
    >>> from tinynet.images.imagefile import read_image
    >>> net, info = weights.load_digit_reader()
    >>> reading.read_number(net, *read_image("examples/seven-ink-on-paper.png"))["number"]
    '7'
"""

from .images.imagefile import read_image, read_image_and_original
from .images.preprocess import (
    bounding_box,
    crop,
    deskew_input,
    ink_image,
    prepare_digit,
    to_mnist,
)
from .images.segment import components, digit_rows, group_pieces
from .network import argmax, feedforward

# When is the network unsure?  Chosen from measurements (benchmarks/unsure.py; the guide's
# docs/reading-digits.md, "When it is unsure").  The outputs are sigmoids, each near 1 for "this
# is my digit"; their share of the sum ("% sure") is high even when every output is low.  And the
# network answers for anything: a texture or a blob is prepared like a digit and gets a
# confident-looking answer.  So a reading is unsure when the strongest output is weak, or two are
# close, or what the network was shown does not look like handwriting -- each limit just outside
# what MNIST's 10,000 test digits show (the figure after each: that limit's MNIST range).
UNSURE_MIN_OUTPUT = 0.4  # a_max below this: no output says "mine"
UNSURE_MIN_MARGIN = 0.05  # a_max − a_second below this: two digits close
# A softmax output's a_max is a probability, rarely low (the ten share 1): with 0.4 the ReLU +
# softmax network flagged 72.1% of non-digits (1.77% of MNIST); with 0.6, 75.8% (2.33%).
UNSURE_MIN_OUTPUT_SOFTMAX = 0.6
UNSURE_MAX_FAINT = 0.55  # share of the ink that is faint (< ½): noise, shading (MNIST ≤ 0.65)
UNSURE_MAX_SOLID = 0.65  # share of the ink inside solid areas: blobs (MNIST q99.5 0.66)
UNSURE_MAX_CROSSINGS = 8  # ink/paper changes along one row or column: patterns (MNIST ≤ 10)
UNSURE_MAX_SPREAD = 0.5  # share of the field's 4×4 cells with ink: all over (MNIST ≤ 0.55)


def probabilities(outputs):
    """The ten output activations scaled to sum to 1 (sigmoid outputs do not by themselves)."""
    total = sum(outputs)
    return [a / total for a in outputs] if total > 0 else [0.1] * len(outputs)


def read_digit(path, deskew=False):
    """The 784 inputs (0 = paper, 1 = ink) the network sees for the image file at `path`."""
    width, height, rgba = read_image(path)
    return to_mnist(width, height, rgba, deskew)


def read_file(net, path, deskew=False):
    """read_number for the image file at `path`, its boxes in the file's own pixels (a big
    image is read reduced: see imagefile.read_image_and_original)."""
    width, height, rgba, original = read_image_and_original(path)
    return read_number(net, width, height, rgba, deskew, original)


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


def unsure_limits(output="sigmoid"):
    """(min_output, min_margin): the output thresholds for a network's output layer."""
    if output == "softmax":
        return UNSURE_MIN_OUTPUT_SOFTMAX, UNSURE_MIN_MARGIN
    return UNSURE_MIN_OUTPUT, UNSURE_MIN_MARGIN


def unsure(outputs, x=None, output="sigmoid"):
    """True when the network does not really recognise a digit in what it was shown.

    Unsure if a_max < UNSURE_MIN_OUTPUT (UNSURE_MIN_OUTPUT_SOFTMAX for a softmax `output`), or
    a_max − a_second < UNSURE_MIN_MARGIN, or (given the input x) its ink is mostly faint, mostly
    solid, a repeating pattern or spread all over the field (see ``ink_shape`` and the constants
    at the top of this file).
    """
    min_output, min_margin = unsure_limits(output)
    first, second = sorted(outputs, reverse=True)[:2]
    if first < min_output or first - second < min_margin:
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


def read_number(net, width, height, rgba, deskew=False, original=None):
    """Read every digit of an RGBA image, left to right.

    Returns ``{"number": "2026", "digits": [...], "unsure": bool}``, each digit a dict with
    "digit", "probabilities", "outputs" (the ten raw activations), "box" ([x0, y0, x1, y1) in
    the image's pixels, or the file's own when `original`, read_image_and_original's (k, full
    width, full height), says the image was reduced k times from it), "input" (the 784 floats
    the network saw), "upright" (the same before deskewing; the two are equal without it) and
    "unsure".  An image with one digit is prepared exactly as ``to_mnist`` prepares it.
    Raises NoDigitError if there is no ink, ValueError if ``rgba`` does not hold
    ``4 * width * height`` values.
    """
    w, h, ink, k = ink_image(width, height, rgba)
    # pixel (x, y) of the ink covers pixels k·x … k·x + k − 1 of the image, each of those
    # `reduced` of the file's: k·reduced of the file's in all
    reduced, full_width, full_height = original or (1, width, height)
    k *= reduced
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
                "box": [k * x0, k * y0, min(full_width, k * x1), min(full_height, k * y1)],
                "input": x,
                "upright": upright,
                "unsure": unsure(outputs, upright, net.output),
            }
        )
    return {
        "number": "".join(str(d["digit"]) for d in digits),
        "digits": digits,
        "unsure": any(d["unsure"] for d in digits),
    }
