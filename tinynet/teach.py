"""Teach the network one drawing: the lesson of the draw page (python -m tinynet.draw).

A drawing arrives as PNG bytes (what a canvas gives). This module reads it the way ``python -m
tinynet.predict`` reads an image file, runs it through the network, and takes one step of
gradient descent on it, with the code of tinynet/network.py itself (``network.backprop`` and
``network.sgd_step``): step into ``teach`` in a debugger and the formulas BP1–BP4 go by. The
draw server (tinynet/draw.py) only adds the page, the locks and the HTTP around these functions.

    >>> from tinynet import network, teach
    >>> from tinynet.images import png
    >>> net = network.new_network(seed=1)           # or weights.load("my-weights.json")
    >>> ink = [255] * (56 * 56)
    >>> for y in range(10, 46): ink[56 * y + 28] = 0   # a black vertical bar on white: a "1"
    >>> result = teach.analyse_png(net, png.encode(56, 56, ink))
    >>> sorted(result)
    ['blank', 'digit', 'digits', 'hidden', 'input', 'number', 'outputs', 'probabilities', 'unsure']
    >>> x = teach.drawing_input(png.encode(56, 56, ink))   # the 784 inputs the page shows
    >>> step = teach.teach(net, x, digit=1, eta=1.0)      # in place: net has learnt a little
    >>> step["cost_before"] > step["cost_after"]
    True

What goes wrong is a DrawingError, whose message says why in one line.
"""

import heapq
import struct

from . import network
from .images import png
from .images.preprocess import NoDigitError, to_mnist
from .network import DEFAULT_COST, feedforward, one_hot
from .reading import (
    probabilities,
    read_number,
    unsure,
    unsure_limits,
)
from .support.http import RequestError
from .weights import out_of_range, weights_input

#: Largest drawing accepted, in pixels per side. The page sends 280×280; the limit keeps a small
#: but hostile PNG (a "decompression bomb") from making the server decode a gigantic image.
MAX_IMAGE_SIDE = 1024
#: Bits per sample a drawing may have: a canvas gives 8-bit RGBA.
MAX_BIT_DEPTH = 8
BLANK_MESSAGE = "Draw a digit: no ink found (the drawing is blank or too faint)."
#: At most this many digits of a drawing are answered in full (segment.MAX_GROUPS bounds them).
MAX_DIGITS = 60

#: Teaching: the learning rate η the page starts with (a few clicks turn a wrong answer right:
#: see benchmarks/teach_speed.py), the largest one accepted, how many connections a step reports
#: per layer, how many MNIST test digits measure forgetting, and how many MNIST training digits
#: join each taught drawing when rehearsing.
DEFAULT_LR = 0.1
MAX_LR = 10.0
CHANGES_PER_LAYER = 8
ACCURACY_DIGITS = 1000
REHEARSE_WITH = 9


class DrawingError(RequestError):
    """A drawing that cannot be read (not a usable PNG, too big) or taught (which digit?).
    Its `status` is 400, what the draw server answers with it (Bad Request)."""

    def __init__(self, message):
        super().__init__(400, message)


class StepRefused(RequestError):
    """A teaching step that would leave weights too large or not finite: refused, the network
    as it was (the draw server answers 422 with the message)."""

    def __init__(self, message):
        super().__init__(422, message)


# ----------------------------------------------------------------------------- reading a drawing


def png_size(data):
    """(width, height) from a PNG's header, read without decoding; None if there is no header.

    A PNG starts with its 8-byte signature, then the IHDR chunk: 4 bytes length, b"IHDR",
    then width and height as 4-byte big-endian numbers, then one byte each for the bit depth and
    the colour type.
    """
    if len(data) >= 24 and data[:8] == png.SIGNATURE and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def decode_drawing(data, max_side=MAX_IMAGE_SIDE):
    """Decode PNG bytes to (width, height, rgba); DrawingError if they are not a usable PNG.

    What a canvas can send is checked from the header before anything is decoded: at most
    max_side × max_side pixels, 8 bits per sample."""
    if not data:
        raise DrawingError("empty request: send the drawing as a PNG")
    if data[:4] != png.SIGNATURE[:4]:
        raise DrawingError(
            "not a PNG image: send the drawing as a PNG (canvas.toBlob(callback, 'image/png'))"
        )
    size = png_size(data)
    if size is not None and (size[0] > max_side or size[1] > max_side):
        raise DrawingError(
            f"image is {size[0]:d}×{size[1]:d} pixels; at most {max_side:d}×{max_side:d} is "
            "accepted",
        )
    if size is not None and len(data) >= 25 and data[24] > MAX_BIT_DEPTH:
        raise DrawingError(
            f"image has {data[24]:d} bits per sample; a drawing is an 8-bit PNG (as a canvas "
            "gives)",
        )
    try:
        return png.decode(data)
    except png.PNGError as e:
        raise DrawingError(f"not a usable PNG: {e}") from None


def drawing_input(data, deskew=False):
    """The 784 inputs (0 = paper … 1 = ink) the network sees for a drawing given as PNG bytes:
    ``png.decode`` → ``preprocess.to_mnist``, as ``python -m tinynet.predict`` reads a file
    (deskewed when the weights file says its network was trained on deskewed digits).
    DrawingError for bytes that are not a usable PNG; NoDigitError for a drawing without
    ink."""
    width, height, rgba = decode_drawing(bytes(data))
    return to_mnist(width, height, rgba, deskew=deskew)


def read_drawing(net, data, deskew=False):
    """``reading.read_number`` for a drawing given as PNG bytes: {"number", "digits", "unsure"},
    the digits left to right, each prepared like one digit (and deskewed when the weights
    file says so). DrawingError for bytes that are not a usable PNG; NoDigitError for a
    drawing without ink. A drawing of one digit gives drawing_input's 784 inputs."""
    width, height, rgba = decode_drawing(bytes(data))
    return read_number(net, width, height, rgba, deskew=deskew)


def pick_digit(net, data, deskew=False, pick=None):
    """One digit of a drawing, for teaching, as read_drawing gives it: {"input", "upright",
    "digit", …} (its "upright" inputs, before deskewing, are what ``reading.unsure`` judges the
    ink's shape on). The whole drawing when it holds one digit, else digit number `pick`
    (0 = leftmost).

    DrawingError when the drawing holds several digits and `pick` does not say which one,
    or `pick` is not one of them; NoDigitError for a drawing without ink. (Which digit the
    network reads does not matter here, so any network will do for the segmentation: the
    inputs do not depend on it: the draw server passes the weights it started with, which
    teaching never changes.)"""
    reading = read_drawing(net, data, deskew)
    digits = reading["digits"]
    if pick is None:
        if len(digits) > 1:
            raise DrawingError(
                f"the drawing holds {len(digits):d} digits: say which one to teach with "
                f'"pick": 0–{len(digits) - 1:d} (0 = leftmost), or clear it and draw one digit',
            )
        pick = 0
    if pick >= len(digits):
        raise DrawingError(
            f'"pick" is {pick:d}, but the drawing holds {len(digits):d} digit'
            f"{'' if len(digits) == 1 else 's'} (0 = leftmost)",
        )
    return digits[pick]


# ---------------------------------------------------------- what the page shows


def _analysis(x, a, upright=None, output="sigmoid"):
    """What the page shows for input x and the activations a of the forward pass; `upright`:
    the digit before deskewing, whose ink's shape says "unsure" (default x: not deskewed);
    `output`: the network's output layer, whose own thresholds say "unsure"."""
    outputs = a[-1]
    return {
        "blank": False,
        "digit": network.argmax(outputs),
        "input": rounded(x),
        "hidden": [rounded(layer) for layer in a[1:-1]],
        "outputs": rounded(outputs),
        "probabilities": rounded(probabilities(outputs)),
        # predict's rule: weak, close, or not handwriting-like -- judged on the ink as drawn
        # (deskewing resamples: its blurred strokes would look faint, see reading.read_number)
        "unsure": unsure(outputs, x if upright is None else upright, output),
    }


def analyse_input(net, x, upright=None):
    """Feed the 784 inputs x to the network; return what the page shows, as a dict.

        {"blank": False,
         "digit": the winning digit (the output with the highest activation),
         "input": x, the 784 values (0 = paper … 1 = ink) of the 28×28 image, row by row,
         "hidden": [a¹, a²], the activations of the hidden layers (16 values each),
         "outputs": a³, the ten output activations,
         "probabilities": the outputs scaled to sum to 1 (reading.probabilities),
         "unsure": reading.unsure(a³, upright or x), True when the network does not really
                   recognise a digit (weak strongest output, two close, or not handwriting-like;
                   the ink's shape judged on `upright`, the digit before deskewing, if given)}

    Numbers are rounded to 4 decimals: plenty for drawing, and a quarter of the bytes.
    """
    z, a = feedforward(net, x)
    return _analysis(x, a, upright, net.output)


BLANK_RESULT = {
    "blank": True,
    "digit": None,
    "message": BLANK_MESSAGE,
    "input": None,
    "hidden": None,
    "outputs": None,
    "probabilities": None,
    "unsure": False,
    "number": None,
    "digits": [],
}


def analyse_reading(net, reading):
    """What the page shows for a reading of reading.read_number: analyse_input's dict for the
    first (leftmost) digit, and

        "number": the digits read, left to right, as a string ("2026"),
        "digits": for each digit, left to right, analyse_input's fields for it (digit, input,
                  hidden, outputs, probabilities, unsure) and "box": [x0, y0, x1, y1), where
                  it is in the drawing's pixels,
        "unsure": True when the network is unsure of any digit (reading.unsure).
    """
    digits = []
    for d in reading["digits"][:MAX_DIGITS]:
        one = analyse_input(net, d["input"], d.get("upright"))
        del one["blank"]
        one["box"] = list(d["box"])
        digits.append(one)
    result = {"blank": False}
    result.update({k: v for k, v in digits[0].items() if k != "box"})
    result["number"] = "".join(str(d["digit"]) for d in digits)
    result["digits"] = digits
    result["unsure"] = any(d["unsure"] for d in digits)
    return result


def analyse_png(net, data, deskew=False):
    """Read a drawing given as PNG bytes and run it through the network.

    The same path as ``python -m tinynet.predict``: ``png.decode`` → ``reading.read_number``
    (the ink cut into digits, each prepared by ``preprocess.prepare_digit``, one digit exactly
    as ``preprocess.to_mnist``) → ``network.feedforward``. Returns analyse_reading's dict (for
    one digit: analyse_input's dict, plus "number", "digits" and "unsure"), or, for a drawing
    without ink,

        {"blank": True, "digit": None, "message": "Draw a digit: …", "input": None,
         "hidden": None, "outputs": None, "probabilities": None, "unsure": False,
         "number": None, "digits": []}

    Raises DrawingError when the bytes are not a usable PNG.
    """
    try:
        reading = read_drawing(net, data, deskew)
    except NoDigitError:
        return dict(BLANK_RESULT, digits=[])
    return analyse_reading(net, reading)


# -------------------------------------------------- one step of backpropagation


def teach(
    net,
    x,
    digit,
    eta=DEFAULT_LR,
    cost=DEFAULT_COST,
    rehearsal=(),
    top=CHANGES_PER_LAYER,
    upright=None,
):
    """One step of gradient descent on the drawing x, which shows `digit`; changes net in place.

    The desired output is y = one_hot(digit). backprop gives, for this one example, the error
    δ of every neuron (BP1 for the output layer, BP2 backwards) and ∂C/∂w = δᵢ · aⱼ (BP4);
    then network.sgd_step takes the step  w ← w − (η/m) Σₓ ∂Cₓ/∂w  (and the same for b) on a
    mini-batch of m examples: the drawing, and the (x, digit) pairs in `rehearsal` (MNIST
    examples that keep the network from forgetting what it knew). Both are the code of
    tinynet/network.py itself, so stepping into this in a debugger shows the formulas.
    `upright`: the drawing before deskewing, on which "unsure" judges the ink (default x).

    Returns a dict:
        "before", "after": analyse_input's dict for x, before and after the step,
        "cost_before", "cost_after": the cost C of x, before and after,
        "cost_drawing_part": C of x after the drawing's own part of the step alone,
            w − (η/m)·∂C_x/∂w: below cost_before while the drawing pulls its cost down,
        "cost_rose": None, or why cost_after > cost_before, measured: "rehearsal" (the
            drawing's part alone lowers C: the rehearsal digits pulled the other way) or "eta"
            (the drawing's part alone raises it too: η is too large, the step overshoots),
        "delta": [δ¹, δ², δ³] before the step, the error of every neuron for this drawing,
        "example": step_example's BP1 → BP2 → BP4 numbers for a weight into output `digit`,
        "changes": for each weight layer l, the `top` weights w[l][i][j] that changed most:
            {"layer": l, "i": i, "j": j, "old": w before, "new": w after,
             "delta_i": δᵢ, "a_j": aⱼ, "grad": δᵢ · aⱼ = ∂C/∂w for the drawing (BP4),
             "batch_grad": Σₓ ∂Cₓ/∂w over the mini-batch, so that new = old − η/m · batch_grad,
             "rehearsal_grad": batch_grad − grad, the rehearsal digits' part of it},
        "m": the mini-batch size, "eta": η.
    """
    y = one_hot(digit, len(net.b[-1]))
    C = network.cost_pair(cost, net.output)[0]
    old = network.copy_network(net)
    batch = [(x, y)] + [(x_k, one_hot(d_k, len(y))) for x_k, d_k in rehearsal]
    m = len(batch)
    _, _, delta, z, a = network.backprop(net, x, y, cost)  # the drawing's δ (BP1, BP2), z, a
    network.sgd_step(net, batch, eta, cost)  # w ← w − (η/m) Σₓ ∂Cₓ/∂w, b likewise
    refuse_unless_in_range(net, old.w, old.b, eta)
    z_after, a_after = network.feedforward(net, x)
    # Only the weights w[l][i][j] with some aⱼ ≠ 0 in the batch can have moved (BP4): in the
    # first layer that leaves the inked pixels; look for the biggest changes among those.
    touched = [sorted({j for x_k, _ in batch for j in range(len(x_k)) if x_k[j] != 0.0})]
    touched += [range(len(w_l[0])) for w_l in net.w[1:]]
    changes = [
        batch_part(dict(change, layer=l), m, eta)
        for l in range(len(net.w))
        for change in largest_changes(old.w[l], net.w[l], touched[l], delta[l], a[l], top)
    ]
    cost_before, cost_after = C(a[-1], y, z[-1]), C(a_after[-1], y, z_after[-1])
    alone = drawing_part_cost(old, x, y, eta / m, cost)
    return {
        "before": _analysis(x, a, upright, net.output),
        "after": _analysis(x, a_after, upright, net.output),
        "cost_before": cost_before,
        "cost_after": cost_after,
        "cost_drawing_part": alone,
        "cost_rose": why_cost_rose(cost_before, cost_after, alone),
        "delta": [rounded(delta_l, 6) for delta_l in delta],
        "example": step_example(old, net, digit, z, a, delta, y, m, eta, cost),
        "changes": changes,
        "m": m,
        "eta": eta,
    }


def batch_part(change, m, eta):
    """A change with its batch gradient Σₓ ∂Cₓ/∂w = (old − new)·m/η and the rehearsal digits'
    part of it (that sum less the drawing's own ∂C/∂w)."""
    change["batch_grad"] = (change["old"] - change["new"]) * m / eta
    change["rehearsal_grad"] = change["batch_grad"] - change["grad"]
    return change


def drawing_part_cost(net, x, y, step, cost=DEFAULT_COST):
    """The cost C of (x, y) after the drawing's own part of a step, w − step·∂C_x/∂w and
    b − step·∂C_x/∂b, taken on a copy of net (net itself is left as it is)."""
    moved = network.copy_network(net)
    network.sgd_step(moved, [(x, y)], step, cost)  # a batch of one: w − step·∂C_x/∂w
    z, a = network.feedforward(moved, x)
    return network.cost_pair(cost, net.output)[0](a[-1], y, z[-1])


def why_cost_rose(cost_before, cost_after, cost_drawing_part):
    """None when the drawing's cost did not rise; else "rehearsal" when the drawing's own part
    of the step lowers it (the other digits of the batch pulled the other way), "eta" when
    even that part raises it (the step is too long: η too large)."""
    if cost_after <= cost_before:
        return None
    return "rehearsal" if cost_drawing_part < cost_before else "eta"


def step_example(old, new, digit, z, a, delta, y, m, eta, cost=DEFAULT_COST):
    """BP1 → BP2 → BP4 and the update, in numbers, for the weight into output `digit` from the
    last hidden neuron j that the drawing pushes hardest (largest |δ · aⱼ|):

        BP1  δᴸ = ∂C/∂a · σ′(z)   "a", "y", "z", "sigma_prime", "dC_da", "delta", "f" (the
             output layer: "sigmoid" or "softmax"), "cost"; for softmax with cross-entropy
             there is no σ′ per neuron: δᴸ = a − y, and "sigma_prime", "dC_da" are None
        BP2  δⱼ = f′(zⱼ) · Σᵢ wᵢⱼ δᵢ   "hidden": {"j", "z", "f" (the hidden activation:
             "sigmoid", "relu" or "tanh"), "f_prime", "sum", "term", "delta"}, "term" being
             output `digit`'s share wᵢⱼ δᵢ of the sum
        BP4  ∂C/∂w = δ · aⱼ        "j", "a_j", "grad"
        and  w ← w − (η/m)·Σₓ ∂Cₓ/∂w   "old", "new", "batch_grad", "rehearsal_grad", "m", "eta"
    (old, new: the network before and after the step; z, a, delta: the drawing's forward
    and backward pass before it, with the cost named `cost`)."""
    L = len(old.w) - 1
    d = delta[L][digit]
    j = max(range(len(a[L])), key=lambda k: abs(d * a[L][k]))
    softmax = old.output == "softmax"
    s_out = None if softmax else network.sigmoid_prime(z[L][digit])
    f_prime = network.activation_pair(old.activation)[1]
    back = sum(old.w[L][i][j] * delta[L][i] for i in range(len(delta[L])))
    change = {"old": old.w[L][digit][j], "new": new.w[L][digit][j], "grad": d * a[L][j]}
    return batch_part(
        dict(
            change,
            layer=L,
            i=digit,
            j=j,
            a=a[L + 1][digit],
            y=y[digit],
            z=z[L][digit],
            f=old.output,
            cost=cost,
            sigma_prime=s_out,
            dC_da=None if softmax else (d / s_out if s_out else 0.0),
            delta=d,
            a_j=a[L][j],
            m=m,
            eta=eta,
            hidden={
                "j": j,
                "z": z[L - 1][j] if L > 0 else None,
                "f": old.activation if L > 0 else None,
                "f_prime": f_prime(z[L - 1][j]) if L > 0 else 1.0,
                "sum": back,
                "term": old.w[L][digit][j] * d,
                "delta": delta[L - 1][j] if L > 0 else None,
            },
        ),
        m,
        eta,
    )


def refuse_unless_in_range(net, old_w, old_b, eta):
    """After a step: if any weight became too large or not finite (weights.out_of_range: what a
    weights file may not hold), put every weight and bias back and raise StepRefused."""
    problem = out_of_range(net.w, net.b)
    if problem is None:
        return
    for w_l, old_w_l in zip(net.w, old_w):
        for row, old_row in zip(w_l, old_w_l):
            row[:] = old_row
    for b_l, old_b_l in zip(net.b, old_b):
        b_l[:] = old_b_l
    raise StepRefused(
        f"step refused, nothing changed: with η = {eta:g} it would leave {problem}; try a smaller η"
    )


def largest_changes(w_old, w_new, columns, delta, a_in, top):
    """The `top` weights of one layer that moved most, among columns j in `columns`, each as
    {"i", "j", "old", "new", "delta_i", "a_j", "grad"}: grad = δᵢ · aⱼ = ∂C/∂w for
    the drawing (BP4), with δ the layer's error and a_in the activations feeding it."""
    moved = heapq.nlargest(
        top,
        (
            (abs(w_new[i][j] - w_old[i][j]), i, j)
            for i in range(len(w_new))
            for j in columns
            if w_new[i][j] != w_old[i][j]
        ),
    )
    return [
        {
            "i": i,
            "j": j,
            "old": w_old[i][j],
            "new": w_new[i][j],
            "delta_i": delta[i],
            "a_j": a_in[j],
            "grad": delta[i] * a_in[j],  # (BP4) ∂C/∂w = δᵢ · aⱼ
        }
        for _, i, j in moved
    ]


# -------------------------------------------------- how the taught network does


def accuracy(net, images, labels, pause=None, every=25):
    """The fraction of MNIST images (bytes of 0–255) the network reads right, with the fast
    engine (same arithmetic as network.feedforward, see tinynet/engines).

    `pause`, if given, is called before every `every` images; if it returns False the
    measurement is abandoned and accuracy returns None (the draw server's background thread
    uses it to let requests go first)."""
    from . import engines

    engine = engines.make_engine(net)
    right = 0
    for k, (guess, label) in enumerate(zip(engines.answers(engine, images), labels)):
        if pause is not None and k % every == 0 and not pause():
            return None
        right += guess == label
    return right / max(1, len(images))


def network_summary(net, info=None):
    """The network as the page draws it, as a dict (the answer to GET /api/network).

        {"sizes": [784, 16, 16, 10],
         "weights": [w², w³, …]  the weight matrices after the first: weights[k][i][j] connects
                                 neuron j of hidden layer k+1 to neuron i of the next layer,
         "biases": [b¹, b², …],
         "first_layer": [[784 numbers] × 16]  each first-layer neuron's weights, as a 28×28
                                 picture of what that neuron looks for,
         "summary": {"parameters": how many weights and biases, "test_accuracy", "epochs",
                     "cost", "command": how it was trained (when the weights file says),
                     "deskew": whether drawings are deskewed first, as its training digits were,
                     "unsure_rule": reading.unsure's output limits, {"min_output", "min_margin"}}}

    `info` is the decoded weights file (weights.load_with_info), for the training record.
    """
    training = (info or {}).get("training") or {}
    summary = {"parameters": sum(len(row) + 1 for w_l in net.w for row in w_l)}
    summary["deskew"] = weights_input(info or {})["deskew"]  # drawings are straightened too
    min_output, min_margin = unsure_limits(net.output)  # (a softmax output has its own)
    summary["unsure_rule"] = {"min_output": min_output, "min_margin": min_margin}
    for key in ("test_accuracy", "epochs", "cost", "command"):
        if key in training:
            summary[key] = training[key]
    return {
        "sizes": list(net.sizes),
        "weights": [[rounded(row) for row in w_l] for w_l in net.w[1:]],
        "biases": [rounded(b_l) for b_l in net.b],
        "first_layer": [rounded(row, 3) for row in net.w[0]],
        "summary": summary,
    }


def rounded(values, places=4):
    """values rounded to `places` decimals: plenty for drawing, and a quarter of the bytes."""
    return [round(v, places) for v in values]
