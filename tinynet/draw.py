"""Draw a digit in your browser and watch the network read it:  python -m tinynet.draw

    python -m tinynet.draw [--host 127.0.0.1] [--port N] [--weights FILE ...] [--open]

starts a small web server on your own computer (Python's ``http.server``, one thread per
connection), prints its address, and serves one page, ``pages/draw.html`` beside this file.
You draw on the page with a mouse, a finger or a pen; while you draw, the page sends the
drawing to the server as a PNG, the server reads it exactly the way ``python -m
tinynet.predict`` reads an image file, and the page shows what came back: the number read,
each digit's 28×28 input, the activation of every neuron for one digit, the ten outputs, and
"unsure" when the network does not really recognise a digit (``reading.unsure``). The Teach
button takes one step of gradient descent on the drawing. Nothing is fetched from the
internet: the page is one file with its script and style inside.

What the server computes is the lesson of tinynet/teach.py, plain functions you can call from a
REPL (teach.analyse_png, teach.drawing_input, teach.teach). This file holds the page's server:
its routes, and the Teacher, the one network a server teaches (locks, the background thread
that measures its accuracy on MNIST, saving it). What every local server needs (deadlines,
connection and header caps, the Host and Origin checks, the Content-Security-Policy) is
tinynet/support/http.py, shared with the live view of training.

    >>> from tinynet import draw, network
    >>> server = draw.make_server(network.new_network(seed=1), port=0)   # port 0: any free port
    >>> thread = draw.serve_in_thread(server)        # answer requests in the background
    >>> server.url                                   # doctest: +SKIP
    'http://127.0.0.1:40123/'
    >>> server.shutdown(); server.server_close()

A server can hold several networks (the shipped ones in pretrained/ and every --weights FILE):
the page switches between them and shows what each one reads. Every route takes
?network=NAME (or its index in GET /api/networks) to act on that one; without it, the first.

The HTTP interface (all answers are JSON except the page itself):

    GET  /               the page
    GET  /api/networks   the networks this server holds, in order: name, index, sizes, …
    GET  /api/network    the network's shape and the weights the page draws (network_summary)
    GET  /api/state      teaching so far: steps, MNIST accuracy of the taught network, …
    POST /api/predict    body: the drawing as PNG bytes (what canvas.toBlob gives), or JSON
                         {"image": "data:image/png;base64,..."} (what canvas.toDataURL gives);
                         answer: teach.analyse_png's dict (the number, every digit, and the
                         network's activations for the first digit); with several networks,
                         also "readings", what each network reads (every_reading)
    POST /api/teach      JSON {"image": "data:image/png;base64,...", "digit": 7, "lr": 0.5,
                         "rehearse": true, "pick": 0}: one step of gradient descent on that
                         drawing (on its digit number `pick`, 0 = leftmost, when it holds
                         several: without "pick" such a drawing is refused with 400);
                         answer: teach.teach's dict (before, after, delta, changes, steps, …)
    POST /api/reset      JSON {}: back to the weights the server started with
    POST /api/save       JSON {}: save the taught network; answer {"file": "NAME.json"}

Errors answer {"error": "one line saying why"}: 400 for a body that is not a PNG or not valid
JSON (or a garbled request), 403 for a Host header that is not this computer's or a request to
change or compute sent by another web site, 404 for any other path, 405 for the wrong method,
408 for a request that does not arrive in time, 411 without a Content-Length, 413 for a body
over MAX_BODY_BYTES (SMALL_BODY for reset and save), 414 and 431 for a request line or headers
over support/http.py's caps, 415 for a body that is not a PNG or JSON, 501 for a method HTTP
does not know, 503 when too many connections are open. A blank drawing is not an error for
/api/predict: it gets 200 with "blank": true and a message asking for a digit. The routes are a
fixed table and the only file the server reads is the page, so no path can reach any other
file; the only file it writes is a new weights file, in the folder it was started in (or
--save-dir), under a name it chooses itself.
"""

import argparse
import base64
import binascii
import datetime
import errno
import json
import math
import os
import random
import socket
import sys
import threading
import time
import urllib.parse
import webbrowser
from pathlib import Path

from . import network
from .images import png
from .images.deskew import deskew as deskew_image
from .images.preprocess import NoDigitError
from .network import DEFAULT_COST
from .support import http
from .support.cli import positive_int
from .support.debugging import program_args
from .support.http import RequestError, printable
from .teach import (
    ACCURACY_DIGITS,
    BLANK_RESULT,
    DEFAULT_LR,
    MAX_DIGITS,
    MAX_LR,
    REHEARSE_WITH,
    accuracy,
    analyse_reading,
    network_summary,
    pick_digit,
    read_drawing,
    rounded,
    teach,
)
from .weights import (
    PRETRAINED,
    WeightsError,
    check_digit_reader,
    load_digit_reader,
    save,
    weights_input,
)

#: Request bodies larger than this are refused with 413 before being read (a drawing is a PNG of
#: tens of KB); reset and save need no body (the page sends {}): at most SMALL_BODY bytes.
MAX_BODY_BYTES = http.MAX_BODY_BYTES
SMALL_BODY = 64 * 1024
#: Drawings decoded and run at once (each can take tens of MB while it is decoded).
COMPUTE_SLOTS = 2
#: Files POST /api/save writes in one run of the server (each ~300 KB): then 429 until restarted.
MAX_SAVES = 50
DEFAULT_PORT = 8000
#: Networks one server holds at most (every drawing is read by each of them).
MAX_NETWORKS = 8
PAGE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages", "draw.html")


# ----------------------------------------------------------------------------- request bodies


def _json_object(body):
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise RequestError(400, "malformed JSON: {}".format(str(e).split("\n")[0])) from None
    except RecursionError:
        raise RequestError(400, "malformed JSON: nested too deeply") from None
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
        raise RequestError(400, '"image" is not valid base64') from None


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
    return printable(json.dumps(value), 40)


# ----------------------------------------------------------------------------- teaching state


class Teacher:
    """The network a draw server teaches: one per server, in memory, one request at a time.

    `lock` serialises everything that reads or changes the weights. `start` keeps the weights
    the server started with (for reset). With MNIST (`data_dir`), a background thread measures
    the taught network's accuracy on ACCURACY_DIGITS test digits after every change, and
    rehearsal draws REHEARSE_WITH random training digits into each step."""

    def __init__(
        self,
        net,
        info=None,
        source=None,
        save_dir=None,
        data_dir=None,
        seed=0,
        name=None,
        mnist=None,
    ):
        self.name = name or (Path(source).stem if source is not None else "network")
        self.load_mnist = mnist or load_mnist  # shared by a server's networks: loaded once
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
        self.saves = 0  # files written by save() (post_save: MAX_SAVES for all networks)
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

    def teach(self, x, digit, eta=None, rehearse=None, upright=None):
        """One step (teach.teach) on the drawing x (call with the lock held); the answer of
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
        result = teach(self.net, x, digit, eta, self.cost, rehearsal, upright=upright)
        self.steps += 1
        self.rehearsed_steps += bool(rehearse)
        self.version += 1
        self.wake.notify_all()
        result["steps"] = self.steps
        result["rehearsed"] = len(rehearsal)
        result["weights"] = [[rounded(row) for row in w_l] for w_l in self.net.w[1:]]
        result["biases"] = [rounded(b_l) for b_l in self.net.b]
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
        folder = self.save_dir  # (the server's post_save keeps to MAX_SAVES, all networks)
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
            raise RequestError(
                500, f"could not save {name} in {folder}: {e.strerror or e}"
            ) from None
        self.saves += 1
        return name

    # --- the background thread: MNIST accuracy after each change

    def _measure_forever(self):
        from . import mnist

        try:
            test, train = self.load_mnist(self.data_dir)
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
            value = accuracy(snapshot, *self.test, pause=lambda v=version: self._idle(v))
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


def load_mnist(data_dir):
    """(test, train): MNIST's two sets from data_dir, never downloaded (mnist.DataError)."""
    from . import mnist

    return mnist.load("test", data_dir, download=False), mnist.load(
        "train", data_dir, download=False
    )


def shared_loader(load=load_mnist):
    """load_mnist, run once however many Teachers ask (the first call loads, the others wait)."""
    lock, done = threading.Lock(), {}

    def load_once(data_dir):
        with lock:
            if data_dir not in done:
                try:
                    done[data_dir] = (True, load(data_dir))
                except Exception as e:  # every Teacher gets the same one-line error
                    done[data_dir] = (False, e)
            ok, value = done[data_dir]
        if not ok:
            raise value
        return value

    return load_once


def _inside(path, folder):
    """True if path is folder or inside it."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------- the server


class DrawHandler(http.Handler):
    """The draw page's routes; support/http.py's Handler does the rest (checks, caps, errors)."""

    server_version = "tinynet-draw"
    PAGE_NAME = "the draw page"
    GET_ROUTES = {
        "/": "page",
        "/index.html": "page",
        "/api/network": "network",
        "/api/networks": "networks",
        "/api/state": "state",
    }
    POST_ROUTES = {
        "/api/predict": "predict",
        "/api/teach": "teach",
        "/api/reset": "reset",
        "/api/save": "save",
    }
    # Content types each POST route takes (default: JSON only). All of them need a CORS
    # preflight when another web site sends them, which this server never grants.
    POST_TYPES = {"predict": ("image/png", "application/json")}
    BODY_LIMITS = {"reset": SMALL_BODY, "save": SMALL_BODY}

    def get_network(self):
        teacher = self.chosen()
        with teacher.lock:
            body = teacher.summary_json()
        self.send_body(200, body, "application/json")

    def get_networks(self):
        self.send_json(200, self.server.networks())

    def get_state(self):
        teacher = self.chosen()
        with teacher.lock:
            state = teacher.state()
        self.send_json(200, state)

    def chosen(self):
        """The Teacher this request is for: ?network=NAME (or its index) in the query string;
        the first network without it. Only ever one of the server's own networks (never a
        path): RequestError(400) for any other name."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return self.server.pick(query.get("network", [None])[-1])

    def computing(self, teacher=None):
        """At most COMPUTE_SLOTS drawings are decoded at once (each can take tens of MB)."""
        if not self.server.compute.acquire(timeout=http.SOCKET_TIMEOUT):
            raise RequestError(503, "the server is busy: try again in a moment")
        return ComputeSlot(self.server.compute, teacher or self.server.teacher)

    def post_predict(self, body):
        data = parse_predict_body(body, self.headers.get("Content-Type"))
        teacher = self.chosen()
        with self.computing(teacher):
            # Decoded and cut into digits outside the lock (with the starting weights, which
            # never change: analyse_reading runs every digit through the network as it is now).
            try:
                reading = read_drawing(teacher.start, data, teacher.deskew)
            except NoDigitError:
                return 200, dict(BLANK_RESULT, digits=[])
            with teacher.lock:
                result = analyse_reading(teacher.net, reading)
            if len(self.server.teachers) > 1:
                result["readings"] = every_reading(self.server.teachers, data, teacher, reading,
                                                   result)  # fmt: skip
            return 200, result

    def post_teach(self, body):
        data, digit, lr, rehearse, pick = parse_teach_body(body)
        teacher = self.chosen()
        with self.computing(teacher):
            try:
                # teacher.start: the starting weights, never changed; only the inputs matter
                one = pick_digit(teacher.start, data, teacher.deskew, pick)
            except NoDigitError:
                raise RequestError(
                    400, "no ink: the drawing is blank, draw a digit to teach"
                ) from None
            with teacher.lock:
                return 200, teacher.teach(one["input"], digit, lr, rehearse, one["upright"])

    def post_reset(self, body):
        teacher = self.chosen()
        with teacher.lock:
            return 200, teacher.reset()

    def post_save(self, body):
        teacher = self.chosen()
        with self.server.saving, teacher.lock:
            saved = sum(t.saves for t in self.server.teachers)  # MAX_SAVES for all networks
            if saved >= MAX_SAVES:
                raise RequestError(
                    429,
                    f"not saved: this server has saved {MAX_SAVES:d} files in {teacher.save_dir} "
                    "already, the most one run saves (restart it to save more)",
                )
            name = teacher.save()
            if self.server.log is not None:
                self.server.log(f"saved the taught network ({teacher.steps:d} steps) as {name}")
            return 200, {
                "file": name,
                "folder": str(teacher.save_dir),
                "steps": teacher.steps,
                "saves_left": MAX_SAVES - saved - 1,
            }


def every_reading(teachers, data, chosen, reading, result):
    """What each of the server's networks reads in the drawing, in the server's order, for the
    page to show side by side: [{"network", "index", "number", "digits", "shares", "unsure"}]
    ("shares": each digit's winning share of the ten outputs). `reading` is the drawing as the
    chosen network's read_drawing cut it, `result` its analyse_reading, both already computed."""
    # the drawing cut into digits, once per way of preparing it (the cut is the same for any
    # network: only whether it deskews matters)
    readings, cut = [], {chosen.deskew: reading}
    for k, t in enumerate(teachers):
        if t is chosen:
            one = result
        else:
            if t.deskew not in cut:
                cut[t.deskew] = read_drawing(t.start, data, t.deskew)
            with t.lock:
                one = analyse_reading(t.net, cut[t.deskew])
        readings.append(
            {
                "network": t.name,
                "index": k,
                "number": one["number"],
                "digits": [d["digit"] for d in one["digits"]],
                "shares": [d["probabilities"][d["digit"]] for d in one["digits"]],
                "unsure": one["unsure"],
            }
        )
    return readings


class ComputeSlot:
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


class DrawServer(http.Server):
    """support/http.py's Server with the networks (each in its Teacher), the page and its
    policy. `teachers[0]` (also `teacher`) is the default network: the one a request that
    names none is for."""

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
        name=None,
        more=(),
        **limits,
    ):
        networks = [(net, info, source, name)] + [tuple(m) + (None,) * (4 - len(m)) for m in more]
        if len(networks) > MAX_NETWORKS:
            raise ValueError(f"at most {MAX_NETWORKS:d} networks, not {len(networks):d}")
        for net_k, _, source_k, _ in networks:
            check_digit_reader(net_k, "the network" if source_k is None else str(source_k))
        self.compute = threading.BoundedSemaphore(COMPUTE_SLOTS)
        with open(PAGE_FILE, "rb") as f:
            self.page = f.read()
        self.csp = http.content_security_policy(self.page, img_src="'self' data: blob:")
        super().__init__(address, DrawHandler, log=log, max_body=max_body, **limits)
        mnist, self.teachers = shared_loader(), []
        self.saving = threading.Lock()  # one save at a time, counted for every network
        for net_k, info_k, source_k, name_k in networks:
            teacher = Teacher(net_k, info_k, source_k, save_dir, data_dir, name=name_k, mnist=mnist)
            teacher.name = unique_name(teacher.name, [t.name for t in self.teachers])
            self.teachers.append(teacher)

    @property
    def teacher(self):
        return self.teachers[0]

    @property
    def net(self):
        return self.teacher.net

    def pick(self, wanted):
        """The Teacher named `wanted` (a name from networks(), or its index as text); the
        first when None. RequestError(400) for anything else."""
        if wanted is None:
            return self.teachers[0]
        for k, teacher in enumerate(self.teachers):
            if wanted in (teacher.name, str(k)):
                return teacher
        names = ", ".join(t.name for t in self.teachers)
        raise RequestError(
            400,
            f'"network" must be one of this server\'s networks ({names}) or its index 0–'
            f"{len(self.teachers) - 1:d}, not {_short_json(wanted)}",
        )

    def networks(self):
        """GET /api/networks: the networks this server has, in order (the first is the
        default): name, index, sizes, activations, and the test accuracy their file records."""
        listed = []
        for k, t in enumerate(self.teachers):
            training = t.info.get("training") if isinstance(t.info.get("training"), dict) else {}
            listed.append(
                {
                    "name": t.name,
                    "index": k,
                    "sizes": list(t.net.sizes),
                    "activation": t.net.activation,
                    "output": t.net.output,
                    "test_accuracy": training.get("test_accuracy"),
                }
            )
        return {"default": 0, "networks": listed}

    def server_close(self):
        for teacher in self.teachers:
            teacher.stop()
        super().server_close()


def unique_name(name, taken):
    """name, or "name (2)", "name (3)", … when it is taken already."""
    k, unique = 1, name
    while unique in taken:
        k += 1
        unique = f"{name} ({k:d})"
    return unique


class DrawServer6(DrawServer):
    address_family = socket.AF_INET6


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
    name=None,
    more=(),
    **limits,
):
    """Create (not start) the server for `net` on host:port; port 0 picks any free port.

    `info`: the decoded weights file, for the training record the page shows.
    `log`: None for silence, or a function given one line for each refused request and for
    each error (the command line passes a printer to stderr).
    `source`: the weights file `net` came from (never overwritten); `save_dir`: where
    POST /api/save writes (default: the current folder); `data_dir`: an MNIST folder, for the
    taught network's accuracy and for rehearsal (None: without; MNIST is never downloaded).
    `name`: what the page calls `net` (default: its file's name without .json). `more`: other
    networks the page can switch to, each (net, info, source) or (net, info, source, name);
    `net` stays the default (at most MAX_NETWORKS in all).
    `max_body`: the largest drawing's body in bytes. `limits`: max_connections, header_timeout,
    body_timeout (seconds), slow_after (seconds: when all connections are taken, one still
    sending its headers after this long makes way); see support/http.py.
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
        name=name,
        more=more,
        **limits,
    )


def serve_in_thread(server, poll_interval=0.1):
    """Run ``server.serve_forever()`` in a background thread (started, daemon); returns it."""
    return http.serve_in_thread(server, poll_interval, name="tinynet-draw")


# ----------------------------------------------------------------------------- command line


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m tinynet.draw",
        description="Draw a digit in your web browser and watch the network read it: the 28×28 "
        "image it sees, every neuron's activation, the ten outputs; teach it your own "
        "handwriting. Starts a small web server on this computer and prints its address; works "
        "offline. Ctrl-C stops it.",
        epilog=f"Limits (support/http.py): a request's line and headers must arrive within "
        f"{http.HEADER_TIMEOUT:g} s and its body within {http.BODY_TIMEOUT:g} s; at most "
        f"{http.MAX_REQUEST_LINE // 1024:d} KiB of request line, {http.MAX_HEADERS:d} headers "
        f"and {http.MAX_HEADER_BYTES // 1024:d} KiB of headers; a drawing of at most "
        f"{MAX_BODY_BYTES // 2**20:d} MiB; at most {MAX_SAVES:d} saved files per run. Only "
        "requests naming this computer (Host) and POSTs from the page itself (Origin) are "
        "answered; with --host other than 127.0.0.1, POSTs also need the secret ?token= of the "
        "printed address.",
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
        action="append",
        help="a weights file to draw with; repeat it for several. The page switches between "
        "them and the shipped networks of pretrained/, and shows what each one reads. The "
        f"first is the one the page starts with (default: pretrained/{PRETRAINED.name}); at "
        f"most {MAX_NETWORKS:d} networks in all",
    )
    ap.add_argument(
        "--no-shipped",
        action="store_true",
        help="only the --weights networks, not the shipped ones as well",
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
    ap.add_argument(
        "--max-connections",
        type=positive_int,
        default=http.MAX_CONNECTIONS,
        metavar="N",
        help=f"connections answered at once; more are told 503 (default {http.MAX_CONNECTIONS:d})",
    )
    ap.add_argument("--open", action="store_true", help="open the page in your web browser")
    return ap.parse_args(program_args(argv))


def stderr_log():
    """A log function that writes one line to stderr at a time: lines never interleave."""
    log_lock = threading.Lock()

    def log(line):
        with log_lock:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    return log


def shipped_networks():
    """The weights files shipped in pretrained/: PRETRAINED first, then the others by name
    (every *.json there but the example digit's)."""
    folder = PRETRAINED.parent
    others = sorted(p for p in folder.glob("*.json") if p.name != "digit.json" and p != PRETRAINED)
    return [p for p in [PRETRAINED, *others] if p.exists()]


def load_networks(files, shipped=True, note=None):
    """[(net, info, source)] for the draw server: each of `files` (WeightsError if one cannot
    be read), then, with `shipped`, the shipped networks (one that cannot be read is left out,
    with a line given to `note`); at most MAX_NETWORKS, each file once. WeightsError when
    there is none at all (no files and nothing shipped)."""
    loaded, seen = [], set()
    for path in files:
        if Path(path).resolve() not in seen:
            loaded.append((*load_digit_reader(path), Path(path)))
            seen.add(Path(path).resolve())
    if not files and shipped and not PRETRAINED.exists():
        load_digit_reader(None)  # says why, in one line
    for path in shipped_networks() if shipped else []:
        if path.resolve() in seen:
            continue
        try:
            loaded.append((*load_digit_reader(path), path))
        except WeightsError as e:
            if note is not None:
                note(f"note: left out {path.name}: {e}")
        seen.add(path.resolve())
    if not loaded:
        raise WeightsError("no network to draw with: pass a weights file with --weights FILE")
    if len(loaded) > MAX_NETWORKS and note is not None:
        note(f"note: drawing with the first {MAX_NETWORKS:d} of {len(loaded):d} networks")
    return loaded[:MAX_NETWORKS]


def listen(net, host, port, **options):
    """make_server on host:port; when port is None, DEFAULT_PORT or, if taken, any free port."""
    if port is not None:
        return make_server(net, host, port, **options)
    try:
        return make_server(net, host, DEFAULT_PORT, **options)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
        return make_server(net, host, 0, **options)  # taken: let the system choose a free one


def main(argv=None):
    a = parse_args(argv)
    if a.save_dir is not None and not os.path.isdir(a.save_dir):
        print(f"error: --save-dir {a.save_dir}: no such folder", file=sys.stderr)
        return 2
    try:
        loaded = load_networks(a.weights or [], shipped=not a.no_shipped, note=stderr_log())
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        if a.weights is None:
            print(
                "Train a network with 'python -m tinynet.train' and pass it with --weights FILE.",
                file=sys.stderr,
            )
        return 2
    (net, info, source), more = loaded[0], loaded[1:]
    try:
        server = listen(
            net,
            a.host,
            a.port,
            info=info,
            log=stderr_log(),
            source=source,
            more=more,
            save_dir=a.save_dir,
            data_dir=a.data or os.environ.get("TINYNET_DATA") or None,
            max_connections=a.max_connections,
        )
    except OSError as e:
        port = DEFAULT_PORT if a.port is None else a.port
        print(f"error: cannot listen on {a.host} port {port:d}: {e.strerror or e}", file=sys.stderr)
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
