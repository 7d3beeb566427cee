"""Draw a digit in your browser and watch the network read it:  python -m tinynet.draw

    python -m tinynet.draw [--host 127.0.0.1] [--port N] [--weights FILE] [--open]

starts a small web server on your own computer (Python's ``http.server``, one thread per
connection), prints its address, and serves one page, ``pages/draw.html`` beside this file.
You draw on the page with a mouse, a finger or a pen; while you draw, the page sends the
drawing to the server as a PNG, the server reads it exactly the way ``python -m
tinynet.predict`` reads an image file (tinynet's own PNG decoder, then
``predict.read_number``: the ink cut into digits left to right, each prepared like MNIST's
digits, then ``network.feedforward``), and the page shows what came back: the number read,
each digit's 28×28 input, the activation of every neuron for one digit, the ten outputs, and
"unsure" when the network does not really recognise a digit (``predict.unsure``). Nothing
is fetched from the internet: the page is one file with its script and style inside.

Everything the server does is a plain function you can call from a REPL:

    >>> from tinynet import draw, network
    >>> from tinynet.images import png
    >>> net = network.new_network(seed=1)           # or weights.load("my-weights.json")
    >>> ink = [255] * (56 * 56)
    >>> for y in range(10, 46): ink[56 * y + 28] = 0   # a black vertical bar on white: a "1"
    >>> result = draw.analyse_png(net, png.encode(56, 56, ink))
    >>> sorted(result)
    ['blank', 'digit', 'digits', 'hidden', 'input', 'number', 'outputs', 'probabilities', 'unsure']
    >>> server = draw.make_server(net, port=0)       # port 0: any free port
    >>> thread = draw.serve_in_thread(server)        # answer requests in the background
    >>> server.url                                   # doctest: +SKIP
    'http://127.0.0.1:40123/'
    >>> server.shutdown(); server.server_close()

The HTTP interface (all answers are JSON except the page itself):

    GET  /               the page
    GET  /api/network    the network's shape and the weights the page draws (network_summary)
    GET  /api/state      teaching so far: steps, MNIST accuracy of the taught network, …
    POST /api/predict    body: the drawing as PNG bytes (what canvas.toBlob gives), or JSON
                         {"image": "data:image/png;base64,..."} (what canvas.toDataURL gives);
                         answer: analyse_png's dict (the number, every digit, and the
                         network's activations for the first digit)
    POST /api/teach      JSON {"image": "data:image/png;base64,...", "digit": 7, "lr": 0.5,
                         "rehearse": true, "pick": 0}: one step of gradient descent on that
                         drawing (on its digit number `pick`, 0 = leftmost, when it holds
                         several: without "pick" such a drawing is refused with 400);
                         answer: teach's dict (before, after, delta, changes, steps, …)
    POST /api/reset      JSON {}: back to the weights the server started with
    POST /api/save       JSON {}: save the taught network; answer {"file": "NAME.json"}

Errors answer {"error": "one line saying why"}: 400 for a body that is not a PNG or not valid
JSON (or a garbled request), 403 for a Host header that is not this computer's (see
host_allowed) or a request to change or compute sent by another web site (see same_origin),
404 for any other path, 405 for the wrong method, 408 for a request that does not arrive in
time, 411 without a Content-Length, 413 for a body over MAX_BODY_BYTES, 415 for a body that is
not a PNG or JSON, 501 for a method HTTP does not know, 503 when too many connections are open.
A blank drawing is not an error for /api/predict: it gets 200 with "blank": true and a message
asking for a digit. The routes are a fixed table and the only file the server reads is the
page, so no path can reach any other file; the only file it writes is a new weights file, in
the folder it was started in (or --save-dir), under a name it chooses itself.

Teaching (POST /api/teach) is the whole of backpropagation on one example, shown:

    >>> x = draw.drawing_input(png.encode(56, 56, ink))   # the 784 inputs the page shows
    >>> step = draw.teach(net, x, digit=1, eta=1.0)      # in place: net has learnt a little
    >>> step["cost_before"] > step["cost_after"]
    True
"""

import argparse
import base64
import binascii
import datetime
import errno
import heapq
import http.server
import io
import ipaddress
import json
import math
import os
import random
import socket
import struct
import sys
import threading
import time
import traceback
import webbrowser
from pathlib import Path

from . import network
from .images import png
from .images.deskew import deskew as deskew_image
from .images.preprocess import NoDigitError, to_mnist
from .network import (
    DEFAULT_COST,
    feedforward,
    one_hot,
)
from .predict import probabilities, read_number, unsure
from .support.hosts import loopback_host
from .weights import (
    PRETRAINED,
    WeightsError,
    check_digit_reader,
    load_digit_reader,
    save,
    weights_input,
)

#: Request bodies larger than this are refused with 413 before being read.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: Largest drawing accepted, in pixels per side. The page sends 280×280; the limit keeps a small
#: but hostile PNG (a "decompression bomb") from making the server decode a gigantic image.
MAX_IMAGE_SIDE = 1024
#: Bits per sample a drawing may have: a canvas gives 8-bit RGBA.
MAX_BIT_DEPTH = 8
#: Seconds a connection may stay silent before the server gives up on it.
SOCKET_TIMEOUT = 10
#: Seconds a client has to send a whole request line and headers, and then a whole body: one
#: byte at a time ("slowloris") does not keep a connection open longer than this.
HEADER_TIMEOUT = 5.0
BODY_TIMEOUT = 5.0
#: Connections answered at once; more are told 503 and closed.
MAX_CONNECTIONS = 128
#: Drawings decoded and run at once (each can take tens of MB while it is decoded).
COMPUTE_SLOTS = 2
DEFAULT_PORT = 8000
PAGE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages", "draw.html")
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


class RequestError(ValueError):
    """A request the server refuses: `status` is the HTTP status code, the message says why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------------------- the arithmetic


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
    """Decode PNG bytes to (width, height, rgba); RequestError(400) if they are not a usable PNG.

    What a canvas can send is checked from the header before anything is decoded: at most
    max_side × max_side pixels, 8 bits per sample."""
    if not data:
        raise RequestError(400, "empty request: send the drawing as a PNG")
    if data[:4] != png.SIGNATURE[:4]:
        raise RequestError(
            400, "not a PNG image: send the drawing as a PNG (canvas.toBlob(callback, 'image/png'))"
        )
    size = png_size(data)
    if size is not None and (size[0] > max_side or size[1] > max_side):
        raise RequestError(
            400,
            f"image is {size[0]:d}×{size[1]:d} pixels; at most {max_side:d}×{max_side:d} is "
            "accepted",
        )
    if size is not None and len(data) >= 25 and data[24] > MAX_BIT_DEPTH:
        raise RequestError(
            400,
            f"image has {data[24]:d} bits per sample; a drawing is an 8-bit PNG (as a canvas "
            "gives)",
        )
    try:
        return png.decode(data)
    except png.PNGError as e:
        raise RequestError(400, f"not a usable PNG: {e}")


def drawing_input(data, deskew=False):
    """The 784 inputs (0 = paper … 1 = ink) the network sees for a drawing given as PNG bytes:
    ``png.decode`` → ``preprocess.to_mnist``, as ``python -m tinynet.predict`` reads a file
    (deskewed when the weights file says its network was trained on deskewed digits).
    RequestError(400) for bytes that are not a usable PNG; NoDigitError for a drawing without
    ink."""
    width, height, rgba = decode_drawing(bytes(data))
    return to_mnist(width, height, rgba, deskew=deskew)


def read_drawing(net, data, deskew=False):
    """``predict.read_number`` for a drawing given as PNG bytes: {"number", "digits", "unsure"},
    the digits left to right, each prepared like one digit (and deskewed when the weights
    file says so). RequestError(400) for bytes that are not a usable PNG; NoDigitError for a
    drawing without ink. A drawing of one digit gives drawing_input's 784 inputs."""
    width, height, rgba = decode_drawing(bytes(data))
    return read_number(net, width, height, rgba, deskew=deskew)


def digit_input(net, data, deskew=False, pick=None):
    """The 784 inputs of one digit of a drawing (for teaching): the whole drawing when it holds
    one digit (drawing_input), else digit number `pick` (0 = leftmost) of read_drawing.

    RequestError(400) when the drawing holds several digits and `pick` does not say which one,
    or `pick` is not one of them; NoDigitError for a drawing without ink. (Which digit the
    network reads does not matter here, so any network will do for the segmentation: the
    inputs do not depend on it: the draw server passes the weights it started with, which
    teaching never changes.)"""
    reading = read_drawing(net, data, deskew)
    digits = reading["digits"]
    if pick is None:
        if len(digits) > 1:
            raise RequestError(
                400,
                f"the drawing holds {len(digits):d} digits: say which one to teach with "
                f'"pick": 0–{len(digits) - 1:d} (0 = leftmost), or clear it and draw one digit',
            )
        pick = 0
    if pick >= len(digits):
        raise RequestError(
            400,
            f'"pick" is {pick:d}, but the drawing holds {len(digits):d} digit'
            f"{'' if len(digits) == 1 else 's'} (0 = leftmost)",
        )
    return digits[pick]["input"]


def _analysis(x, a):
    """What the page shows for input x and the activations a of the forward pass."""
    outputs = a[-1]
    return {
        "blank": False,
        "digit": network.argmax(outputs),
        "input": _rounded(x),
        "hidden": [_rounded(layer) for layer in a[1:-1]],
        "outputs": _rounded(outputs),
        "probabilities": _rounded(probabilities(outputs)),
        "unsure": unsure(outputs, x),  # predict's rule: weak, close, or not handwriting-like
    }


def analyse_input(net, x):
    """Feed the 784 inputs x to the network; return what the page shows, as a dict.

        {"blank": False,
         "digit": the winning digit (the output with the highest activation),
         "input": x, the 784 values (0 = paper … 1 = ink) of the 28×28 image, row by row,
         "hidden": [a¹, a²], the activations of the hidden layers (16 values each),
         "outputs": a³, the ten output activations,
         "probabilities": the outputs scaled to sum to 1 (predict.probabilities),
         "unsure": predict.unsure(a³, x), True when the network does not really recognise
                   a digit (weak strongest output, two close, or not handwriting-like)}

    Numbers are rounded to 4 decimals: plenty for drawing, and a quarter of the bytes.
    """
    z, a = feedforward(net, x)
    return _analysis(x, a)


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
    """What the page shows for a reading of predict.read_number: analyse_input's dict for the
    first (leftmost) digit, and

        "number": the digits read, left to right, as a string ("2026"),
        "digits": for each digit, left to right, analyse_input's fields for it (digit, input,
                  hidden, outputs, probabilities, unsure) and "box": [x0, y0, x1, y1), where
                  it is in the drawing's pixels,
        "unsure": True when the network is unsure of any digit (predict.unsure).
    """
    digits = []
    for d in reading["digits"][:MAX_DIGITS]:
        one = analyse_input(net, d["input"])
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

    The same path as ``python -m tinynet.predict``: ``png.decode`` → ``predict.read_number``
    (the ink cut into digits, each prepared by ``preprocess.prepare_digit``, one digit exactly
    as ``preprocess.to_mnist``) → ``network.feedforward``. Returns analyse_reading's dict (for
    one digit: analyse_input's dict, plus "number", "digits" and "unsure"), or, for a drawing
    without ink,

        {"blank": True, "digit": None, "message": "Draw a digit: …", "input": None,
         "hidden": None, "outputs": None, "probabilities": None, "unsure": False,
         "number": None, "digits": []}

    Raises RequestError (status 400) when the bytes are not a usable PNG.
    """
    try:
        reading = read_drawing(net, data, deskew)
    except NoDigitError:
        return dict(BLANK_RESULT, digits=[])
    return analyse_reading(net, reading)


def teach(net, x, digit, eta=DEFAULT_LR, cost=DEFAULT_COST, rehearsal=(), top=CHANGES_PER_LAYER):
    """One step of gradient descent on the drawing x, which shows `digit`; changes net in place.

    The desired output is y = one_hot(digit). backprop gives, for this one example, the error
    δ of every neuron (BP1 for the output layer, BP2 backwards) and ∂C/∂w = δᵢ · aⱼ (BP4);
    then network.sgd_step takes the step  w ← w − (η/m) Σₓ ∂Cₓ/∂w  (and the same for b) on a
    mini-batch of m examples: the drawing, and the (x, digit) pairs in `rehearsal` (MNIST
    examples that keep the network from forgetting what it knew). Both are the code of
    tinynet/network.py itself, so stepping into this in a debugger shows the formulas.

    Returns a dict:
        "before", "after": analyse_input's dict for x, before and after the step,
        "cost_before", "cost_after": the cost C of x, before and after,
        "delta": [δ¹, δ², δ³] before the step, the error of every neuron for this drawing,
        "changes": for each weight layer l, the `top` weights w[l][i][j] that changed most:
            {"layer": l, "i": i, "j": j, "old": w before, "new": w after,
             "delta_i": δᵢ, "a_j": aⱼ, "grad": δᵢ · aⱼ = ∂C/∂w for the drawing (BP4),
             "batch_grad": Σₓ ∂Cₓ/∂w over the mini-batch, so that new = old − η/m · batch_grad},
        "m": the mini-batch size, "eta": η.
    """
    y = one_hot(digit, len(net.b[-1]))
    C = network.cost_pair(cost)[0]
    old_w = [[list(row) for row in w_l] for w_l in net.w]
    batch = [(x, y)] + [(x_k, one_hot(d_k, len(y))) for x_k, d_k in rehearsal]
    m = len(batch)
    _, _, delta, z, a = network.backprop(net, x, y, cost)  # the drawing's δ (BP1, BP2), z, a
    network.sgd_step(net, batch, eta, cost)  # w ← w − (η/m) Σₓ ∂Cₓ/∂w, b likewise
    z_after, a_after = network.feedforward(net, x)
    # Only the weights w[l][i][j] with some aⱼ ≠ 0 in the batch can have moved (BP4): in the
    # first layer that leaves the inked pixels; look for the biggest changes among those.
    touched = [sorted({j for x_k, _ in batch for j in range(len(x_k)) if x_k[j] != 0.0})]
    touched += [range(len(w_l[0])) for w_l in net.w[1:]]
    changes = []
    for l, (w_old, w_new) in enumerate(zip(old_w, net.w)):
        moved = heapq.nlargest(
            top,
            (
                (abs(w_new[i][j] - w_old[i][j]), i, j)
                for i in range(len(w_new))
                for j in touched[l]
                if w_new[i][j] != w_old[i][j]
            ),
        )
        for _, i, j in moved:
            old, new = w_old[i][j], w_new[i][j]
            changes.append(
                {
                    "layer": l,
                    "i": i,
                    "j": j,
                    "old": old,
                    "new": new,
                    "delta_i": delta[l][i],
                    "a_j": a[l][j],
                    "grad": delta[l][i] * a[l][j],  # (BP4) ∂C/∂w = δᵢ · aⱼ
                    "batch_grad": (old - new) * m / eta,
                }
            )
    return {
        "before": _analysis(x, a),
        "after": _analysis(x, a_after),
        "cost_before": C(a[-1], y, z[-1]),
        "cost_after": C(a_after[-1], y, z_after[-1]),
        "delta": [_rounded(delta_l, 6) for delta_l in delta],
        "changes": changes,
        "m": m,
        "eta": eta,
    }


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
                     "deskew": whether drawings are deskewed first, as its training digits were}}

    `info` is the decoded weights file (weights.load_with_info), for the training record.
    """
    training = (info or {}).get("training") or {}
    summary = {"parameters": sum(len(row) + 1 for w_l in net.w for row in w_l)}
    summary["deskew"] = weights_input(info or {})["deskew"]  # drawings are straightened too
    for key in ("test_accuracy", "epochs", "cost", "command"):
        if key in training:
            summary[key] = training[key]
    return {
        "sizes": list(net.sizes),
        "weights": [[_rounded(row) for row in w_l] for w_l in net.w[1:]],
        "biases": [_rounded(b_l) for b_l in net.b],
        "first_layer": [_rounded(row, 3) for row in net.w[0]],
        "summary": summary,
    }


def _rounded(values, places=4):
    return [round(v, places) for v in values]


def _json_object(body):
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise RequestError(400, "malformed JSON: {}".format(str(e).split("\n")[0]))
    except RecursionError:
        raise RequestError(400, "malformed JSON: nested too deeply")
    return obj


def _image_field(obj):
    """The PNG bytes of the "image" field of a JSON object: a data: URL or bare base64."""
    if not isinstance(obj, dict) or not isinstance(obj.get("image"), str):
        raise RequestError(400, 'JSON body must be an object {"image": "data:image/png;base64,…"}')
    text = obj["image"].strip()
    if text.startswith("data:"):
        head, comma, text = text.partition(",")
        if not comma or not head.endswith(";base64"):
            raise RequestError(400, '"image" must be a base64 data: URL (data:image/png;base64,…)')
        if not head[5:].startswith("image/png"):
            kind = head[5:].split(";")[0] or "text"
            raise RequestError(400, f'"image" must be a PNG (data:image/png;base64,…), not {kind}')
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise RequestError(400, '"image" is not valid base64')


def parse_predict_body(body, content_type=None):
    """The PNG bytes in a POST /api/predict body: the body itself when it is a PNG, or the
    base64 "image" field of a JSON object (a data: URL as canvas.toDataURL gives, or bare
    base64). The body is JSON when its Content-Type says so or when it starts like JSON.
    RequestError(400) for anything else."""
    if body[:4] == png.SIGNATURE[:4]:
        return body
    is_json = "json" in (content_type or "").lower() or body.lstrip()[:1] in (b"{", b"[", b'"')
    if not is_json:
        return body  # decode_drawing explains that this is not a PNG
    return _image_field(_json_object(body))


def parse_teach_body(body):
    """(png_bytes, digit, lr, rehearse, pick) from a POST /api/teach body,
    {"image": "data:image/png;base64,…", "digit": 0–9, "lr": 0 < η ≤ MAX_LR (optional),
    "rehearse": true/false (optional), "pick": which digit of the drawing, 0 = leftmost
    (optional)}; lr, rehearse and pick are None when not given.
    RequestError(400) naming what is wrong."""
    obj = _json_object(body)
    data = _image_field(obj)
    digit = obj.get("digit")
    if isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit <= 9:
        raise RequestError(400, f'"digit" must be a whole number 0–9, not {_short_json(digit)}')
    lr = obj.get("lr")
    if lr is not None and (
        isinstance(lr, bool)
        or not isinstance(lr, (int, float))
        or not math.isfinite(lr)
        or not 0 < lr <= MAX_LR
    ):
        raise RequestError(
            400,
            f'"lr" (the learning rate η) must be a number > 0 and ≤ {MAX_LR:g}, not '
            f"{_short_json(lr)}",
        )
    rehearse = obj.get("rehearse")
    if rehearse is not None and not isinstance(rehearse, bool):
        raise RequestError(400, f'"rehearse" must be true or false, not {_short_json(rehearse)}')
    pick = obj.get("pick")
    if pick is not None and (
        isinstance(pick, bool) or not isinstance(pick, int) or not 0 <= pick < MAX_DIGITS
    ):
        raise RequestError(
            400,
            f'"pick" (which digit of the drawing, 0 = leftmost) must be a whole number 0–'
            f"{MAX_DIGITS - 1:d}, not {_short_json(pick)}",
        )
    return data, digit, (None if lr is None else float(lr)), rehearse, pick


def _short_json(value):
    return _printable(json.dumps(value), 40)


# ----------------------------------------------------------------------------- teaching state


class Teacher:
    """The network a draw server teaches: one per server, in memory, one request at a time.

    `lock` serialises everything that reads or changes the weights. `start` keeps the weights
    the server started with (for reset). With MNIST (`data_dir`), a background thread measures
    the taught network's accuracy on ACCURACY_DIGITS test digits after every change, and
    rehearsal draws REHEARSE_WITH random training digits into each step."""

    def __init__(self, net, info=None, source=None, save_dir=None, data_dir=None, seed=0):
        self.net = net
        self.info = info or {}
        self.cost = self.info.get("cost") if self.info.get("cost") in network.COSTS else None
        self.cost = self.cost or DEFAULT_COST
        self.deskew = weights_input(self.info)["deskew"]  # prepare drawings as it was trained
        self.start = network.copy_network(net)
        self.source = Path(source).resolve() if source is not None else None
        self.save_dir = Path(save_dir if save_dir is not None else os.getcwd()).resolve()
        self.lock = threading.Lock()
        self.steps = 0
        self.rehearsed_steps = 0
        self.version = 0  # bumped by every change of the weights
        self.summary_cache = (None, None)
        self.rng = random.Random(seed)
        # MNIST, loaded (never downloaded) in the background thread
        self.data_dir = data_dir
        self.test = self.train = None
        self.mnist_error = None if data_dir is not None else "no MNIST folder given (--data DIR)"
        self.accuracy = None  # {"value": fraction right, "steps": steps it was measured at}
        self.start_accuracy = None
        self.measured_version = -1
        self.busy = 0  # requests being answered (predict, teach): the accuracy thread waits
        self.busy_lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.stopping = False
        self.worker = None
        if data_dir is not None:
            self.worker = threading.Thread(
                target=self._measure_forever, name="tinynet-draw-accuracy", daemon=True
            )
            self.worker.start()

    # --- what the page asks

    def state(self):
        """GET /api/state: how far teaching has gone (call with the lock held)."""
        pending = self.data_dir is not None and self.mnist_error is None
        pending = pending and self.measured_version != self.version
        return {
            "steps": self.steps,
            "rehearsed_steps": self.rehearsed_steps,
            "mnist": self.test is not None,
            "mnist_loading": self.data_dir is not None
            and self.mnist_error is None
            and self.test is None,
            "mnist_error": self.mnist_error,
            "rehearse_available": self.train is not None,
            "accuracy": self.accuracy,
            "start_accuracy": self.start_accuracy,
            "accuracy_pending": pending,
            "accuracy_digits": ACCURACY_DIGITS,
            "default_lr": DEFAULT_LR,
            "max_lr": MAX_LR,
            "cost": self.cost,
        }

    def summary_json(self):
        """GET /api/network for the network as it is now (cached until the weights change)."""
        version, body = self.summary_cache
        if version != self.version:
            body = json.dumps(
                network_summary(self.net, self.info), separators=(",", ":"), allow_nan=False
            ).encode("utf-8")
            self.summary_cache = (self.version, body)
        return body

    def teach(self, x, digit, eta=None, rehearse=None):
        """One step (draw.teach) on the drawing x (call with the lock held); the answer of
        POST /api/teach."""
        eta = DEFAULT_LR if eta is None else eta
        if rehearse is None:
            rehearse = self.train is not None
        if rehearse and self.train is None:
            why = "MNIST is still loading" if self.mnist_error is None else self.mnist_error
            raise RequestError(400, f"cannot rehearse: {why}")
        rehearsal = []
        if rehearse:
            images, labels = self.train
            for k in self.rng.sample(range(len(labels)), REHEARSE_WITH):
                image = deskew_image(images[k]) if self.deskew else images[k]
                rehearsal.append(([p / 255.0 for p in image], labels[k]))
        result = teach(self.net, x, digit, eta, self.cost, rehearsal)
        self.steps += 1
        self.rehearsed_steps += bool(rehearse)
        self.version += 1
        self.wake.notify_all()
        result["steps"] = self.steps
        result["rehearsed"] = len(rehearsal)
        result["weights"] = [[_rounded(row) for row in w_l] for w_l in self.net.w[1:]]
        result["biases"] = [_rounded(b_l) for b_l in self.net.b]
        result["state"] = self.state()
        return result

    def reset(self):
        """Back to the weights the server started with (call with the lock held)."""
        for w_l, w_start in zip(self.net.w, self.start.w):
            for row, row_start in zip(w_l, w_start):
                row[:] = row_start
        for b_l, b_start in zip(self.net.b, self.start.b):
            b_l[:] = b_start
        self.steps = self.rehearsed_steps = 0
        self.version += 1
        self.wake.notify_all()
        return self.state()

    def save(self):
        """Write the taught network as a new weights file in save_dir; return its name.

        The name is chosen here (never the loaded file, never under pretrained/, never an
        existing file), and the file is written to a temporary name, then renamed
        (weights.save). Its "training" record says it was taught, how many steps, and from
        which file; the record of the file it started from is kept under "before_teaching".
        """
        folder = self.save_dir
        if _inside(folder, PRETRAINED.parent):
            raise RequestError(
                403,
                f"will not save into {folder} (pretrained/, the shipped weights' folder): start "
                "the server in another folder or with --save-dir DIR",
            )
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        for n in range(1000):
            name = f"taught-{self.steps:d}-steps-{stamp}{'' if n == 0 else '-' + str(n)}.json"
            path = folder / name
            if not path.exists() and path != self.source:
                break
        else:
            raise RequestError(409, f"too many taught files named taught-…-{stamp} in {folder}")
        training = {
            "taught": True,
            "taught_steps": self.steps,
            "rehearsed_steps": self.rehearsed_steps,
            "taught_from": self.source.name if self.source is not None else None,
            "command": "python -m tinynet.draw (taught on the page)",
            "before_teaching": self.info.get("training") or {},
        }
        if self.accuracy is not None and self.accuracy["steps"] == self.steps:
            training["mnist_test_accuracy_1000"] = self.accuracy["value"]
        try:
            save(self.net, path, self.cost, training, deskew=self.deskew)
        except OSError as e:
            raise RequestError(500, f"could not save {name} in {folder}: {e.strerror or e}")
        return name

    # --- the background thread: MNIST accuracy after each change

    def _measure_forever(self):
        from . import mnist

        try:
            test = mnist.load("test", self.data_dir, download=False)
            train = mnist.load("train", self.data_dir, download=False)
        except mnist.DataError as e:
            with self.lock:
                self.mnist_error = str(e)
            return
        with self.lock:
            images = test[0][:ACCURACY_DIGITS]
            if self.deskew:
                images = [deskew_image(image) for image in images]
            self.test = (images, test[1][:ACCURACY_DIGITS])
            self.train = train
        while True:
            with self.lock:
                while self.measured_version == self.version and not self.stopping:
                    self.wake.wait()
                if self.stopping:
                    return
                version, steps, snapshot = self.version, self.steps, network.copy_network(self.net)
            # Outside the lock, and in small pieces that wait while a request is being answered:
            # the page stays responsive. A newer step makes this measurement moot: start again.
            value = accuracy(snapshot, *self.test, pause=lambda: self._idle(version))
            if value is None:
                continue
            with self.lock:
                self.measured_version = version
                self.accuracy = {"value": value, "steps": steps}
                if steps == 0 and self.start_accuracy is None:
                    self.start_accuracy = value

    def _idle(self, version):
        """Wait while requests are being answered; False if the weights changed meanwhile."""
        while self.busy and not self.stopping:
            time.sleep(0.005)
        return self.version == version and not self.stopping

    def stop(self):
        with self.lock:
            self.stopping = True
            self.wake.notify_all()

    def wait_for_accuracy(self, timeout=30.0):
        """Wait until the accuracy of the current weights is measured (for tests and scripts);
        returns state()."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                s = self.state()
            if not s["accuracy_pending"] and not s["mnist_loading"]:
                return s
            time.sleep(0.02)
        raise TimeoutError("the accuracy was not measured in time")


def _inside(path, folder):
    """True if path is folder or inside it."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------- the server


class DeadlineReader(io.RawIOBase):
    """A connection's socket as a file whose reads give up at a deadline (time.monotonic()),
    not only after SOCKET_TIMEOUT of silence: a client sending a byte a second ("slowloris")
    cannot keep a thread busy for longer than HEADER_TIMEOUT or BODY_TIMEOUT."""

    def __init__(self, sock):
        super().__init__()
        self.sock = sock
        self.deadline = None

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("the request took too long to arrive")
            self.sock.settimeout(min(left, SOCKET_TIMEOUT))
        return self.sock.recv_into(buffer)


#: What a client that hangs up or stalls raises: never worth a traceback.
CLIENT_GONE = (ConnectionError, socket.timeout, TimeoutError)


def _client_gone(e):
    return isinstance(e, CLIENT_GONE) or (
        isinstance(e, OSError)
        and e.errno in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EBADF)
    )


class DrawHandler(http.server.BaseHTTPRequestHandler):
    """Answers one connection. Routes are a fixed table: no file is looked up from the URL."""

    server_version = "tinynet-draw"
    # A request line without a version ("GET /") is answered as HTTP/1.0, with a status line and
    # headers, rather than as HTTP/0.9 (a bare body), so that even garbage gets a readable error.
    default_request_version = "HTTP/1.0"
    timeout = SOCKET_TIMEOUT
    error_content_type = "application/json"

    # GET routes: path -> method name. Anything else is 404.
    GET_ROUTES = {
        "/": "page",
        "/index.html": "page",
        "/api/network": "network",
        "/api/state": "state",
    }
    POST_ROUTES = {
        "/api/predict": "predict",
        "/api/teach": "teach",
        "/api/reset": "reset",
        "/api/save": "save",
    }
    # Content types each POST route takes. All of them need a CORS preflight when another web
    # site sends them, which this server never grants (it does not answer OPTIONS).
    POST_TYPES = {"predict": ("image/png", "application/json")}
    JSON_ONLY = ("application/json",)

    def route(self):
        """The request's path without its query string; the routes are compared to it exactly."""
        return self.path.split("?", 1)[0].split("#", 1)[0]

    def setup(self):
        super().setup()
        self.rfile.close()  # the plain socket file: replaced by one whose reads have deadlines
        self.reader = DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self):
        # The request line and headers must arrive within HEADER_TIMEOUT (parse_request lifts
        # the deadline; read_body sets the body's own).
        self.reader.deadline = time.monotonic() + self.server.header_timeout
        self.server.waiting_for_headers(self, True)
        try:
            super().handle_one_request()
        finally:
            self.server.waiting_for_headers(self, False)

    def handle(self):
        try:
            super().handle()
        except Exception as e:
            if not _client_gone(e):
                raise
            self.close_connection = True  # the client hung up or stalled: nothing to answer

    # --- answers

    def send_body(self, status, body, content_type, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self.send_body(status, body, "application/json", extra_headers)

    def send_error(self, code, message=None, explain=None):
        """Every error, including those http.server itself finds (a garbled request line,
        an unknown method), is answered as JSON: {"error": message}."""
        try:
            short, _ = self.responses.get(code, ("Error", ""))
        except Exception:
            short = "Error"
        self.close_connection = True
        extra = [("Connection", "close")]
        if code == 405:
            extra.append(("Allow", self.allowed_methods()))
        try:
            self.send_json(code, {"error": message or short}, extra)
        except (OSError, ValueError):
            pass  # the client has gone; nothing to tell it

    def allowed_methods(self):
        route = self.route()
        if route in self.GET_ROUTES:
            return "GET, HEAD"
        if route in self.POST_ROUTES:
            return "POST"
        return ""

    # --- methods

    def do_GET(self):
        route = self.route()
        if route in self.GET_ROUTES:
            getattr(self, "get_" + self.GET_ROUTES[route])()
        elif route in self.POST_ROUTES:
            self.send_error(405, f"use POST for {route}")
        else:
            self.send_error(404, f"no such page: {_printable(route)}")

    do_HEAD = do_GET

    def do_POST(self):
        route = self.route()
        if route not in self.POST_ROUTES:
            if route in self.GET_ROUTES:
                self.send_error(405, f"use GET for {route}")
            else:
                self.send_error(404, f"no such page: {_printable(route)}")
            return
        name = self.POST_ROUTES[route]
        try:
            self.check_same_origin()
            length = self.body_length()
            self.check_content_type(self.POST_TYPES.get(name, self.JSON_ONLY))
            body = self.read_body(length)
            status, answer = getattr(self, "post_" + name)(body)
        except RequestError as e:
            self.send_error(e.status, str(e))
            return
        except Exception as e:
            if _client_gone(e):
                self.close_connection = True
                return
            # A bug, not the client's fault: answer 500, report it, and keep serving.
            self.server.handle_error(self.request, self.client_address)
            self.send_error(500, f"internal error while answering {route} (see the server's log)")
            return
        self.send_json(status, answer)

    def do_PUT(self):
        self.send_error(405, f"method {_printable(self.command, 20)} not allowed")

    do_DELETE = do_PATCH = do_PUT

    # --- the routes

    def get_page(self):
        self.send_body(
            200,
            self.server.page,
            "text/html; charset=utf-8",
            [
                # The page may load nothing from elsewhere: it works offline, and says so.
                (
                    "Content-Security-Policy",
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                    "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; "
                    "form-action 'none'; "
                    "frame-ancestors 'none'",
                ),
            ],
        )

    def get_network(self):
        teacher = self.server.teacher
        with teacher.lock:
            body = teacher.summary_json()
        self.send_body(200, body, "application/json")

    def get_state(self):
        teacher = self.server.teacher
        with teacher.lock:
            state = teacher.state()
        self.send_json(200, state)

    def computing(self):
        """At most COMPUTE_SLOTS drawings are decoded at once (each can take tens of MB)."""
        if not self.server.compute.acquire(timeout=SOCKET_TIMEOUT):
            raise RequestError(503, "the server is busy: try again in a moment")
        return _Release(self.server.compute, self.server.teacher)

    def post_predict(self, body):
        data = parse_predict_body(body, self.headers.get("Content-Type"))
        teacher = self.server.teacher
        with self.computing():
            # Decoded and cut into digits outside the lock (with the starting weights, which
            # never change: analyse_reading runs every digit through the network as it is now).
            try:
                reading = read_drawing(teacher.start, data, teacher.deskew)
            except NoDigitError:
                return 200, dict(BLANK_RESULT, digits=[])
            with teacher.lock:
                return 200, analyse_reading(teacher.net, reading)

    def post_teach(self, body):
        data, digit, lr, rehearse, pick = parse_teach_body(body)
        teacher = self.server.teacher
        with self.computing():
            try:
                # teacher.start: the starting weights, never changed; only the inputs matter
                x = digit_input(teacher.start, data, teacher.deskew, pick)
            except NoDigitError:
                raise RequestError(400, "no ink: the drawing is blank, draw a digit to teach")
            with teacher.lock:
                return 200, teacher.teach(x, digit, lr, rehearse)

    def post_reset(self, body):
        teacher = self.server.teacher
        with teacher.lock:
            return 200, teacher.reset()

    def post_save(self, body):
        teacher = self.server.teacher
        with teacher.lock:
            name = teacher.save()
            if self.server.log is not None:
                self.server.log(f"saved the taught network ({teacher.steps:d} steps) as {name}")
            return 200, {"file": name, "folder": str(teacher.save_dir), "steps": teacher.steps}

    def body_length(self):
        """The Content-Length, at most MAX_BODY_BYTES; RequestError otherwise."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise RequestError(411, "chunked bodies are not accepted: send a Content-Length")
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(411, "a Content-Length header is required")
        try:
            length = int(length.strip())
            if length < 0:
                raise ValueError
        except ValueError:
            raise RequestError(400, f"bad Content-Length {_printable(length)!r}")
        if length > self.server.max_body:
            self.drain_later = length
            raise RequestError(
                413,
                f"request body of {length:d} bytes is over the limit of {self.server.max_body:d} "
                "bytes",
            )
        return length

    def read_body(self, length):
        """The request body of `length` bytes, arriving within BODY_TIMEOUT; RequestError
        otherwise."""
        self.reader.deadline = time.monotonic() + self.server.body_timeout
        try:
            body = self.rfile.read(length)
        except socket.timeout:
            raise RequestError(
                408,
                f"the request body did not arrive within {self.server.body_timeout:g} s "
                f"(Content-Length said {length:d} bytes)",
            )
        finally:
            self.reader.deadline = None
        if len(body) < length:
            raise RequestError(400, f"request body ended after {len(body):d} of {length:d} bytes")
        return body

    drain_later = 0

    def finish(self):
        # After refusing a large body, read (and drop) what the client is still sending, for a
        # short while: closing a socket with unread data makes the system reset the connection,
        # and the client could lose our 413 answer.
        try:
            super().finish()
            if self.drain_later:
                deadline = time.monotonic() + 2.0
                left = min(self.drain_later, 4 * self.server.max_body)
                while left > 0 and time.monotonic() < deadline:
                    self.connection.settimeout(max(0.01, min(1.0, deadline - time.monotonic())))
                    chunk = self.connection.recv(min(left, 65536))
                    if not chunk:
                        break
                    left -= len(chunk)
        except OSError:
            pass

    # --- the checks every request passes

    def parse_request(self):
        if not super().parse_request():
            return False
        self.reader.deadline = None  # the headers are in
        self.server.waiting_for_headers(self, False)
        if not self.host_allowed():
            self.send_error(
                403,
                "this server answers only to its own address (Host {!r} refused)".format(
                    _printable(self.headers.get("Host", ""))
                ),
            )
            return False
        return True

    def host_allowed(self):
        """When bound to a loopback address, accept only loopback Host names (localhost,
        127.x.x.x, [::1]): a web page elsewhere then cannot reach the server through a DNS
        name that it points at 127.0.0.1 ("DNS rebinding")."""
        if not self.server.loopback_only:
            return True
        return loopback_host(self.headers.get("Host"))

    def check_same_origin(self):
        """RequestError(403) unless a POST comes from the page itself.

        A browser adds an Origin header to a POST; when there is one, it must be this server's
        own origin (the scheme and the Host the request was sent to), so a page on another web
        site cannot make the server compute or change anything."""
        origin = self.headers.get("Origin")
        if origin is not None:
            host = (self.headers.get("Host") or "").strip().lower()
            if not host or origin.strip().lower() != "http://" + host:
                raise RequestError(
                    403,
                    f"refused: this request came from another web page ({_printable(origin, 80)}); "
                    "only the draw page itself may send it",
                )

    def check_content_type(self, content_types):
        """RequestError(415) unless the body's Content-Type is one of `content_types`: none of
        them can be sent from another web site without a CORS preflight (OPTIONS), which this
        server does not grant."""
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind not in content_types:
            raise RequestError(
                415,
                "Content-Type must be {}, not {}".format(
                    " or ".join(content_types), _printable(kind, 60) or "missing"
                ),
            )

    # --- logging

    def log_message(self, format, *args):
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def log_error(self, format, *args):
        # http.server reports a request that timed out this way: a client that connected and
        # said nothing (or too little, too slowly) is not news; it is dropped quietly.
        if format.startswith("Request timed out"):
            return
        self.log_message(format, *args)

    def log_request(self, code="-", size="-"):
        # Log refused requests only: the page asks for a prediction many times a second.
        try:
            refused = int(code) >= 400
        except (TypeError, ValueError):
            refused = False
        if refused:
            self.log_message('"%s" %d', _printable(self.requestline), int(code))


class _Release:
    """Holds a compute slot (acquired), and counts the request as busy for the Teacher."""

    def __init__(self, semaphore, teacher):
        self.semaphore = semaphore
        self.teacher = teacher

    def __enter__(self):
        with self.teacher.busy_lock:
            self.teacher.busy += 1
        return self

    def __exit__(self, *exc):
        with self.teacher.busy_lock:
            self.teacher.busy -= 1
        self.semaphore.release()


def _printable(text, limit=200):
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[:limit] + "…"


BUSY_ANSWER = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: 61\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    b'{"error":"too many open connections: try again in a moment"}\n'
)


class DrawServer(http.server.ThreadingHTTPServer):
    """A ThreadingHTTPServer that holds the network (in its Teacher), the page, its settings,
    and at most max_connections connections at once."""

    daemon_threads = True  # a hanging connection never keeps Python from exiting
    request_queue_size = 64

    def __init__(
        self,
        address,
        net,
        info=None,
        max_body=MAX_BODY_BYTES,
        log=None,
        source=None,
        save_dir=None,
        data_dir=None,
        max_connections=MAX_CONNECTIONS,
        header_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
        slow_after=1.0,
    ):
        check_digit_reader(net, "the network")
        self.slow_after = slow_after
        self.max_body = max_body
        self.log = log
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_connections = _fit_descriptor_limit(max_connections)
        self.slots = threading.BoundedSemaphore(self.max_connections)
        self.waiting = {}  # connections still sending their headers: id → (since, socket)
        self.waiting_lock = threading.Lock()
        self.compute = threading.BoundedSemaphore(COMPUTE_SLOTS)
        with open(PAGE_FILE, "rb") as f:
            self.page = f.read()
        super().__init__(address, DrawHandler)
        self.loopback_only = _is_loopback(self.server_address[0])
        self.teacher = Teacher(net, info, source=source, save_dir=save_dir, data_dir=data_dir)

    @property
    def net(self):
        return self.teacher.net

    @property
    def url(self):
        """The address to open in a browser, e.g. 'http://127.0.0.1:8000/'."""
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port:d}/"

    def waiting_for_headers(self, handler, waiting):
        """Note (or forget) a connection that is still sending its request line and headers."""
        with self.waiting_lock:
            if waiting:
                self.waiting[id(handler)] = (time.monotonic(), handler.connection)
            else:
                self.waiting.pop(id(handler), None)

    def drop_slowest(self):
        """Hang up on the connection that has been sending its headers longest, if for more than
        `slow_after` seconds (a browser sends them at once): when all the places are taken by
        slow clients, a new one takes the place of the slowest. True if one was dropped."""
        with self.waiting_lock:
            if not self.waiting:
                return False
            key = min(self.waiting, key=lambda k: self.waiting[k][0])
            since, sock = self.waiting[key]
            if time.monotonic() - since < self.slow_after:
                return False
            del self.waiting[key]
        try:
            sock.shutdown(socket.SHUT_RDWR)  # its thread's read returns at once, and it ends
        except OSError:
            pass
        return True

    def process_request(self, request, client_address):
        # Beyond max_connections, the slowest client sending headers makes way; if there is
        # none, a short 503 and the door shut, instead of one more thread.
        if not self.slots.acquire(blocking=False) and not (
            self.drop_slowest() and self.slots.acquire(timeout=1.0)
        ):
            try:
                request.settimeout(0.5)
                request.sendall(BUSY_ANSWER)
                request.shutdown(socket.SHUT_WR)
                # Read what the client sent: closing a socket with unread data resets the
                # connection, and the client may then lose the answer before reading it.
                request.settimeout(0.05)
                request.recv(65536)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address):
        # A client that hung up is not an error. A bug while answering: say so and go on.
        e = sys.exc_info()[1]
        if e is None or _client_gone(e):
            return
        if self.log is not None:
            self.log(f"error while answering {client_address[0]}:\n{traceback.format_exc()}")

    def server_close(self):
        self.teacher.stop()
        super().server_close()


def _fit_descriptor_limit(max_connections, spare=32):
    """max_connections, lowered if this process may not open that many files (sockets) and
    `spare` more: past the limit, the server could not even accept a connection to refuse it."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return max_connections  # no such limit here (Windows)
    if soft == resource.RLIM_INFINITY:
        return max_connections
    return min(max_connections, max(4, soft - spare))


class DrawServer6(DrawServer):
    address_family = socket.AF_INET6


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(
    net,
    host="127.0.0.1",
    port=DEFAULT_PORT,
    info=None,
    max_body=MAX_BODY_BYTES,
    log=None,
    source=None,
    save_dir=None,
    data_dir=None,
    **limits,
):
    """Create (not start) the server for `net` on host:port; port 0 picks any free port.

    `info`: the decoded weights file, for the training record the page shows.
    `log`: None for silence, or a function given one line for each refused request and for
    each error (the command line passes a printer to stderr).
    `source`: the weights file `net` came from (never overwritten); `save_dir`: where
    POST /api/save writes (default: the current folder); `data_dir`: an MNIST folder, for the
    taught network's accuracy and for rehearsal (None: without; MNIST is never downloaded).
    `limits`: max_connections, header_timeout, body_timeout (seconds), slow_after (seconds: when
    all connections are taken, one still sending its headers after this long makes way).
    Call ``server.serve_forever()`` (or ``serve_in_thread(server)``) to answer requests,
    ``server.shutdown()`` to stop, ``server.server_close()`` to free the port.
    """
    cls = DrawServer6 if ":" in host else DrawServer
    return cls(
        (host, port),
        net,
        info=info,
        max_body=max_body,
        log=log,
        source=source,
        save_dir=save_dir,
        data_dir=data_dir,
        **limits,
    )


def serve_in_thread(server, poll_interval=0.1):
    """Run ``server.serve_forever()`` in a background thread (started, daemon); returns it.

    `poll_interval`: how often, in seconds, the loop checks whether ``server.shutdown()`` was
    called (so shutdown takes at most about this long)."""
    thread = threading.Thread(
        target=server.serve_forever, args=(poll_interval,), name="tinynet-draw", daemon=True
    )
    thread.start()
    return thread


# ----------------------------------------------------------------------------- command line


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m tinynet.draw",
        description="Draw a digit in your web browser and watch the network read it: the 28×28 "
        "image it sees, every neuron's activation, the ten outputs. Starts a small "
        "web server on this computer and prints its address; works offline. Ctrl-C "
        "stops it.",
    )
    ap.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; "
        "0.0.0.0 lets other devices on your network, such as a phone, connect)",
    )
    ap.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default {DEFAULT_PORT:d}, or any free port if that one is taken; "
        "0 = any free port)",
    )
    ap.add_argument(
        "--weights",
        metavar="FILE",
        help=f"weights file (default: the shipped pretrained/{PRETRAINED.name})",
    )
    ap.add_argument(
        "--save-dir",
        metavar="DIR",
        help="folder where the page's Save button writes the taught network (default: the "
        "folder you start the server in; never the shipped pretrained/ folder)",
    )
    ap.add_argument(
        "--data",
        metavar="DIR",
        help="MNIST folder (default: $TINYNET_DATA): with it the page shows the taught "
        f"network's accuracy on {ACCURACY_DIGITS:,d} test digits and can rehearse; never "
        "downloads",
    )
    ap.add_argument("--open", action="store_true", help="open the page in your web browser")
    a = ap.parse_args(argv)
    data_dir = a.data or os.environ.get("TINYNET_DATA") or None
    if a.save_dir is not None and not os.path.isdir(a.save_dir):
        print(f"error: --save-dir {a.save_dir}: no such folder", file=sys.stderr)
        return 2

    try:
        net, info = load_digit_reader(a.weights)
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        if a.weights is None:
            print(
                "Train a network with 'python -m tinynet.train' and pass it with --weights FILE.",
                file=sys.stderr,
            )
        return 2

    log_lock = threading.Lock()

    def log(line):
        # One write per line, one thread at a time: lines from threads never interleave.
        with log_lock:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    port = DEFAULT_PORT if a.port is None else a.port
    options = dict(
        info=info,
        log=log,
        source=a.weights or PRETRAINED,
        save_dir=a.save_dir,
        data_dir=data_dir,
    )
    try:
        try:
            server = make_server(net, a.host, port, **options)
        except OSError as e:
            if a.port is not None or e.errno != errno.EADDRINUSE:
                raise
            port = 0  # the default port is taken: let the system choose a free one
            server = make_server(net, a.host, port, **options)
    except OSError as e:
        print(
            f"error: cannot listen on {a.host} port {port:d}: {e.strerror or e}",
            file=sys.stderr,
        )
        return 2
    print(f"tinynet draw: open {server.url} in your browser (Ctrl-C stops the server)")
    if not server.loopback_only:
        print(f"note: listening on {a.host}, so other computers on your network can use it too")
    sys.stdout.flush()
    if a.open:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
