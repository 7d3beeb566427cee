"""Watch it learn: a web page that shows the network while it trains.

    python -m tinynet.train --live [--port N]      # prints "live view: http://127.0.0.1:PORT/"

While training runs, the page (pages/live.html, one file, nothing fetched from elsewhere)
shows, refreshed every second:

  - the first layer's weights w⁽¹⁾ᵢⱼ as one 28×28 tile per hidden neuron i, pixel j coloured
    like docs/weights.png (visualize.diverging: red positive, white zero, blue negative), each
    tile on its own symmetric scale ±max|w⁽¹⁾ᵢ|: what each neuron has learnt to look for;
  - the cost of each mini-batch, smoothed, and the test accuracy after each epoch, as curves;
  - η, examples per second and the time left;
  - a row of test digits with the network's current answers, right ones and wrong ones marked.

And it is a lab: the page can pause training, step one mini-batch at a time, slow it down and
change η (POST /api/control; `train --live --paused` starts paused). train.py asks the view
before each mini-batch (before_batch), and while paused the view holds it there and shows that
batch's backpropagation, worked by network.py itself (lesson, explain): every neuron's δ, the
first layer's Δw, and for one weight or bias, BP1 → BP2 → BP4 and its update in numbers.

train.py drives it through five calls; from a REPL you can drive it yourself:

    >>> from tinynet import live
    >>> view = live.start(port=0)          # a server in a background thread; port 0: any free
    >>> view.url                           # doctest: +SKIP
    'http://127.0.0.1:40123/'
    >>> view.before_batch(info)            # before each: True to train it (False: paused)
    >>> view.on_batch(info)                # after every mini-batch (cheap: a running average)
    >>> view.on_epoch(info)                # after each epoch's test evaluation
    >>> view.on_end(info)                  # when training ends: the page keeps the final state
    >>> view.close()

`info` is a dict that train.py fills (see the keys in `snapshot`). on_batch takes a new
snapshot of the network at most once a second (REFRESH): turning the engine's weights into a
plain Network (engine.network()) is not free on the lanes engine, so it is throttled by
the clock. The snapshot is JSON, built once in the training thread and kept as bytes; the
server only hands those bytes out.

The server: support/http.py's (Python's http.server, one thread per connection, with its
deadlines, connection cap and header caps), on 127.0.0.1 only. It answers GET / (the page) and
GET /api/state (the latest snapshot; with ?after=N it waits until there is one newer than
version N, so the page asks once per snapshot and shows it at once), GET
/api/explain?name=w[l][i][j] (one parameter's update in the paused batch) and POST /api/control
(same-origin JSON of at most CONTROL_BODY bytes: see control_request), 405 to any other method,
404 to any other path, 400 to a malformed after=, and 403 to a Host header that is not this
computer's (a web page elsewhere cannot reach it through a DNS name pointed at 127.0.0.1) or to
a POST from another page (Origin). The page may only run its own script and style (a
Content-Security-Policy with their SHA-256 hashes) and talk to this server. Nothing is logged; a
browser that hangs up mid-answer is not an error. A long poll holds its connection for up to
LONG_POLL seconds, so at most MAX_CONNECTIONS pages (support/http.py) can watch at once.
"""

import base64
import json
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from . import network, watch
from .engines.pixels import PIXEL
from .settings import MAX_SPEED, SETTING_RULES
from .support import http
from .support.text import is_real, short
from .visualize import diverging

PAGE_FILE = Path(__file__).resolve().parent / "pages" / "live.html"
REFRESH = 1.0  # seconds between two snapshots of the network, at most one a second
SMOOTHING = 0.02  # the cost curve is a running average: c ← c + SMOOTHING · (batch cost − c)
MAX_POINTS = 1000  # the cost curve keeps at most this many points (thinned by halves)
ROW = 16  # test digits shown
MAX_TILES = 64  # first-layer neurons shown
LONG_POLL = 10  # seconds a GET /api/state?after=N waits for a snapshot newer than N
STEP_WAIT = 10  # seconds a POST /api/control "step" or "pause" waits for training to be held
CONTROL_BODY = 1024  # bytes: the largest POST /api/control body

#: The colour of each tile byte k = 0 … 254, which stands for w / max|w| = (k − 127) / 127: the
#: colour map of docs/weights.png (visualize.diverging), made once here and sent to the page.
PALETTE = ["#{:02x}{:02x}{:02x}".format(*diverging((k - 127) / 127)) for k in range(255)]


# ----------------------------------------------------------------------------- what is shown


def tiles(net):
    """The first layer as bytes, 784 per neuron: byte 127 + round(127 · w⁽¹⁾ᵢⱼ / sᵢ), with
    sᵢ = max_j |w⁽¹⁾ᵢⱼ| (each tile on its own symmetric scale). Returns (bytes, [sᵢ])."""
    return tile_bytes(net.w[0][:MAX_TILES])


def tile_bytes(rows):
    """Rows of 784 numbers as tile bytes, each row on its own scale ±max|row|: (bytes, [sᵢ])."""
    out = bytearray()
    scales = []
    for w_i in rows:
        s = max(abs(w) for w in w_i) or 1.0
        out += bytes([127 + int(round(127.0 * (w / s))) for w in w_i])  # w / s: never overflows
        scales.append(s)
    return bytes(out), scales


def pick_digits(labels, count=ROW):
    """Indices of the test digits to show: the first of each digit 0–9, then the next ones in
    order, up to `count`, in index order."""
    chosen, seen = [], set()
    for i, d in enumerate(labels):
        if d not in seen:
            seen.add(d)
            chosen.append(i)
        if len(seen) == 10:
            break
    for i in range(len(labels)):
        if len(chosen) >= count:
            break
        if i not in chosen:
            chosen.append(i)
    return sorted(chosen[:count])


def snapshot(info, curve, digits, version, done=False, net=None):
    """The state the page shows, as a dict (the answer to GET /api/state is its JSON).

    Reads from `info` (train.py's dict): engine, epoch (0-based), epochs, batch (0-based),
    n_batches, eta, seen, n, elapsed, examples_per_second, seconds_left, history (per-epoch
    dicts with test_accuracy), test_images, test_labels, settings, cost.
    """
    engine = info["engine"]
    net = net or engine.network()  # (a paused batch's lesson has it already)
    tile_bytes, scales = tiles(net)
    images, labels = info.get("test_images") or [], info.get("test_labels") or []
    row = []
    for i in digits:
        out = engine.output(images[i])
        row.append(
            {
                "index": i,
                "label": labels[i],
                "guess": network.argmax(out),
                "image": base64.b64encode(bytes(images[i])).decode("ascii"),
            }
        )
    history = info.get("history") or []
    settings = info.get("settings") or {}
    return {
        "version": version,
        "done": done,
        "time": time.time(),
        "sizes": list(net.sizes),
        "cost_name": info.get("cost", settings.get("cost", "")),
        "engine": settings.get("engine", ""),
        "epoch": info.get("epoch", 0),
        "epochs": info.get("epochs", 0),
        "batch": info.get("batch", 0),
        "n_batches": info.get("n_batches", 0),
        "batch_size": info.get("batch_size", settings.get("batch_size")),
        "seen": info.get("seen", 0),
        "n": info.get("n", 0),
        "eta": info.get("eta"),
        "elapsed": info.get("elapsed"),
        "examples_per_second": info.get("examples_per_second"),
        "seconds_left": 0.0 if done else info.get("seconds_left"),
        "curve": curve,
        "accuracy": [
            [r["epoch"], r["test_accuracy"]] for r in history if r.get("test_accuracy") is not None
        ],
        "test_images": len(images),
        "tiles": base64.b64encode(tile_bytes).decode("ascii"),
        "tile_scales": [round(s, 4) for s in scales],
        "palette": PALETTE,
        "digits": row,
    }


# ----------------------------------------------------------------------------- the paused batch


def example_input(nz, p, n_in=784):
    """The input x (floats, xⱼ = pⱼ / 255) of an example as the engines take it, (nz, p)."""
    x = [0.0] * n_in
    for j, p_j in zip(nz, p):
        x[j] = PIXEL[p_j]
    return x


def lesson(net, examples, eta, cost, epoch, batch):
    """One mini-batch's backpropagation, worked by network.py itself: network.backprop on each
    example (nz, p, digit) with the weights `net` (the engine's, before the step). A dict with
    "net", "eta", "cost", "epoch", "batch" and "rows": per example x, y, digit, delta, z, a
    (as backprop returns them)."""
    rows = []
    for nz, p, digit in examples:
        x = example_input(nz, p, net.sizes[0])
        y = network.one_hot(digit, net.sizes[-1])
        _, _, delta, z, a = network.backprop(net, x, y, cost)
        rows.append({"x": x, "y": y, "digit": digit, "delta": delta, "z": z, "a": a,
                     "image": bytes(int(round(255 * v)) for v in x)})  # fmt: skip
    return {"net": net, "eta": eta, "cost": cost, "epoch": epoch, "batch": batch, "rows": rows}


def first_layer_step(les):
    """Δw⁽¹⁾ᵢⱼ = −(η/m) Σₓ δ⁽¹⁾ᵢ xⱼ: what this batch's step will do to the first layer."""
    rows, sizes = les["rows"], les["net"].sizes
    total = [[0.0] * sizes[0] for _ in range(min(sizes[1], MAX_TILES))]
    for r in rows:
        nz = [j for j, v in enumerate(r["x"]) if v]
        for i, row in enumerate(total):
            d = r["delta"][0][i]
            for j in nz:
                row[j] += d * r["x"][j]
    f = -les["eta"] / len(rows)
    return [[f * v for v in row] for row in total]


def lesson_state(les):
    """What the page shows of the paused batch (part of GET /api/state): its m digits with their
    outputs and costs, every neuron's δ for each, and the first layer's Δw as tiles."""
    C = network.cost_pair(les["cost"], les["net"].output)[0]
    examples = [
        {
            "image": base64.b64encode(r["image"]).decode("ascii"),
            "digit": r["digit"],
            "output": r["a"][-1],
            "guess": network.argmax(r["a"][-1]),
            "cost": C(r["a"][-1], r["y"], r["z"][-1]),
            "delta": r["delta"],
        }
        for r in les["rows"]
    ]
    dw, scales = tile_bytes(first_layer_step(les))
    return {
        "epoch": les["epoch"],
        "batch": les["batch"],
        "eta": les["eta"],
        "m": len(les["rows"]),
        "cost": les["cost"],
        "examples": examples,
        "dw_tiles": base64.b64encode(dw).decode("ascii"),
        "dw_scales": scales,
    }


def dC_da(les, r, l, i):
    """∂Cₓ/∂a of neuron i of layer l+1 for example row r: at a sigmoid output 2(a − y)
    (quadratic) or (a − y)/(a(1 − a)) (cross-entropy; None where a rounds to 0 or 1); None at a
    softmax output, whose BP1 is δ = a − y with no σ′ per neuron; inside, Σₖ w δ (BP2)."""
    net = les["net"]
    if l == len(net.w) - 1:
        a, y = r["a"][-1][i], r["y"][i]
        if net.output == "softmax":
            return None
        if les["cost"] == "quadratic":
            return 2.0 * (a - y)
        return (a - y) / (a * (1.0 - a)) if 0.0 < a < 1.0 else None
    w_next, d_next = net.w[l + 1], r["delta"][l + 1]
    return sum(w_next[k][i] * d_next[k] for k in range(len(d_next)))


def layer_activation(net, l):
    """The activation of the neurons fed by weight layer l: net.output for the last one
    ("sigmoid" or "softmax"), else net.activation ("sigmoid", "relu" or "tanh")."""
    return net.output if l == len(net.w) - 1 else net.activation


def explain(les, name):
    """Every number of one parameter's update, w ← w − (η/m) Σₓ ∂Cₓ/∂w, for the paused batch:
    `name` is "w[l][i][j]" or "b[l][i]" (as in network.py). Per example x: the neuron's a, its
    f′(z) ("sp": σ′, ReLU′ or tanh′ as "f" names it; None at a softmax output, where δ = a − y),
    ∂Cₓ/∂a (BP1 at the output, BP2's sum inside, with its terms w·δ), δ, the input a[l][j] and
    the product ∂Cₓ/∂w = δ · a (BP4; BP3 for a bias). "f_next" names the next layer's
    activation (None at the output). ValueError for a bad name."""
    net = les["net"]
    l, i, j = watch.parse(name, net.sizes)
    out_layer = l == len(net.w) - 1
    f = layer_activation(net, l)
    f_prime = None if f == "softmax" else network.activation_pair(f)[1]
    rows = []
    for r in les["rows"]:
        a_in = 1.0 if j is None else r["a"][l][j]
        row = {
            "digit": r["digit"],
            "a": r["a"][l + 1][i],
            "sp": f_prime(r["z"][l][i]) if f_prime else None,
            "dC_da": dC_da(les, r, l, i),
            "delta": r["delta"][l][i],
            "a_in": a_in,
            "grad": r["delta"][l][i] * a_in,
        }
        if out_layer:
            row["y"] = r["y"][i]
        else:
            row["terms"] = [[net.w[l + 1][k][i], d] for k, d in enumerate(r["delta"][l + 1])]
        rows.append(row)
    total = 0.0
    for row in rows:  # in the order network.sgd_step adds them, so the sum is the same float
        total += row["grad"]
    value = net.b[l][i] if j is None else net.w[l][i][j]
    eta, m = les["eta"], len(rows)
    return {
        "name": name.replace(" ", ""),
        "kind": "b" if j is None else "w",
        "l": l, "i": i, "j": j,
        "layers": len(net.w),
        "output_layer": out_layer,
        "f": f,
        "f_next": None if out_layer else layer_activation(net, l + 1),
        "cost": les["cost"],
        "eta": eta, "m": m,
        "value": value,
        "rows": rows,
        "sum": total,
        "after": value - eta / m * total,
    }  # fmt: skip


# ----------------------------------------------------------------------------- the view


class Live:
    """The running view: the server, and the running averages fed by train.py."""

    def __init__(self, server, thread, paused=False, speed=0.0):
        self.server, self.thread = server, thread
        self.url = server.url
        # The lab: the page's controls (POST /api/control), read by before_batch.
        self.control = threading.Condition()
        self.paused, self.speed = paused, speed  # speed: at most so many batches a second, 0: all
        self.steps_left = 0  # batches to let through while paused ("step")
        self.new_lr = None  # η the page asked for, from the next batch on
        self.taken = 0  # batches let through so far
        self.held = False  # True while training waits at a batch whose backpropagation is shown
        self.training = self.ended = False  # a batch has been asked about; training has ended
        self.last_go = float("-inf")  # time.monotonic() when the last batch was let through
        self.lesson = None  # the paused batch (lesson()), for GET /api/explain
        self.shown_lesson = None  # (epoch, batch, η) of the lesson on the page
        self.smooth = None  # the running average of the batch cost
        self.curve = []  # [epoch + fraction done, smoothed cost], at most MAX_POINTS
        self.stride, self.steps = 1, 0
        self.last = float("-inf")  # time.monotonic() of the last snapshot
        self.version = 0
        self.digits = None
        self.warned = False

    def on_batch(self, info):
        """After every mini-batch: update the running average; a snapshot once a second."""
        c = info["batch_cost"]
        self.smooth = c if self.smooth is None else self.smooth + SMOOTHING * (c - self.smooth)
        self.steps += 1
        if self.steps % self.stride == 0:
            x = info["epoch"] + (info["batch"] + 1) / max(1, info["n_batches"])
            self.curve.append([round(x, 5), self.smooth])
            if len(self.curve) > MAX_POINTS:
                self.curve = self.curve[1::2]
                self.stride *= 2
        if time.monotonic() - self.last >= REFRESH:
            self.publish(info)

    def on_epoch(self, info):
        """After each epoch's test evaluation: a snapshot now, with the new accuracy."""
        self.publish(info)

    def on_end(self, info):
        """Training is over: the final snapshot, which the page keeps showing."""
        with self.control:
            self.ended, self.held = True, False
            self.control.notify_all()
        self.publish(info, done=True)

    # --- the lab: pause, step, speed and η, from the page

    def before_batch(self, info):
        """train.py asks before each mini-batch (info["next"]): True to train it now. While
        paused, the batch's backpropagation is shown (once) and this waits up to ¼ s for a
        resume or a step; with a speed, until the batch is due. A new η goes in info["set_lr"]."""
        nxt = info["next"]
        with self.control:
            self.training = True
            if self.new_lr is not None:
                info["set_lr"], self.new_lr = self.new_lr, None
            hold = self.paused and not self.steps_left and self.server is not None
        if hold:
            self.show_lesson(info, nxt)
        with self.control:
            if self.paused and not self.steps_left and self.server is not None:
                self.held = True
                self.control.notify_all()
                self.control.wait(0.25)
                return False
            due = self.last_go + 1.0 / self.speed - time.monotonic() if self.speed else 0.0
            if due > 0 and not self.steps_left:
                self.control.wait(min(due, 0.25))
                return False
            self.steps_left = max(0, self.steps_left - 1)
            self.taken += 1
            self.held, self.last_go = False, time.monotonic()
            return True

    def show_lesson(self, info, nxt):
        """Work out the paused batch's backpropagation with network.py and publish it (once per
        batch and η)."""
        s = info["settings"]
        eta = info.get("set_lr") or nxt["eta"]  # η set on the page, or the schedule's (train.py)
        key = (nxt["epoch"], nxt["batch"], eta)
        if key == self.shown_lesson:
            return
        net = info["engine"].network()
        self.lesson = lesson(net, nxt["examples"], eta, s["cost"], nxt["epoch"], nxt["batch"])
        self.publish(dict(info, epoch=nxt["epoch"], batch=nxt["batch"], eta=eta), held=True)
        with self.control:
            self.shown_lesson = key

    def apply(self, request):
        """A checked request of POST /api/control: pause, resume, step, η, speed. A step (or a
        pause) waits until training is held at the next batch, or has ended (≤ STEP_WAIT s)."""
        with self.control:
            if "lr" in request:
                self.new_lr = request["lr"]
                self.shown_lesson = None  # the paused batch's update, worked again with it
            if "speed" in request:
                self.speed = request["speed"]
            action = request.get("action")
            target = self.taken + (action == "step")
            if action in ("pause", "step"):
                self.paused = True
                self.steps_left += action == "step"
            elif action == "resume":
                self.paused, self.steps_left, self.held = False, 0, False
            self.control.notify_all()
            waiting = action in ("pause", "step") or ("lr" in request and self.paused)
            if waiting and self.training:  # (before the first batch, nothing to wait for)
                self.control.wait_for(
                    lambda: self.ended or (self.held and self.taken >= target and
                                           self.shown_lesson is not None), STEP_WAIT)  # fmt: skip
            return {"paused": self.paused, "held": self.held, "speed": self.speed,
                    "taken": self.taken, "version": self.version}  # fmt: skip

    def publish(self, info, done=False, held=False):
        self.last = time.monotonic()
        if self.server is None:
            return  # closed: nobody to show it to
        try:
            if self.digits is None:
                self.digits = pick_digits(info.get("test_labels") or [])
            self.version += 1
            net = self.lesson["net"] if held else None
            state = snapshot(info, self.curve, self.digits, self.version, done, net)
            n, m = info.get("n", 0), state["batch_size"] or 0
            seen = info.get("epoch", 0) * n + (
                info.get("batch", 0) * m if held else info.get("seen", 0)
            )
            state.update(paused=self.paused and not done, speed=self.speed, seen=seen,
                         lesson=lesson_state(self.lesson) if held else None)  # fmt: skip
            self.server.publish(
                json.dumps(state, separators=(",", ":")).encode("utf-8"), self.version
            )
        except Exception as e:  # the view must never stop the training: say so once, go on
            if not self.warned:
                self.warned = True
                print(
                    f"live view: cannot show this state ({type(e).__name__}: {e})", file=sys.stderr
                )

    def wait(self):
        """Keep serving the final state until Ctrl-C (KeyboardInterrupt), then close."""
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self):
        """Stop the server and free the port (safe to call twice); training, if held, goes on."""
        with self.control:
            self.paused, self.held = False, False
            self.control.notify_all()
        if self.server is not None:
            self.server.wake_all()
            self.server.shutdown()
            self.server.server_close()
            self.server = None


# ----------------------------------------------------------------------------- the server


WAITING = json.dumps({"version": 0, "waiting": True}).encode("utf-8")
ACTIONS = ("pause", "resume", "step")


def control_request(body):
    """The checked JSON body of POST /api/control: {"action": "pause" | "resume" | "step"},
    "lr": η (by --lr's rule) and "speed": batches a second (by --speed's), each optional but
    one at least. RequestError(400) saying what is wrong."""
    try:
        request = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise http.RequestError(400, 'the body must be JSON, e.g. {"action": "pause"}') from None
    if not isinstance(request, dict) or not request or set(request) - {"action", "lr", "speed"}:
        raise http.RequestError(400, 'give {"action": "pause" | "resume" | "step"}, '
                                     '"lr": η and/or "speed": batches a second')  # fmt: skip
    if "action" in request and request["action"] not in ACTIONS:
        raise http.RequestError(400, f"action must be one of {', '.join(ACTIONS)}, "
                                     f"not {http.printable(request['action'], 40)}")  # fmt: skip
    lr_ok, lr_rule = SETTING_RULES["lr"]
    if "lr" in request and (isinstance(request["lr"], bool) or not lr_ok(request["lr"])):
        raise http.RequestError(400, f"lr must be {lr_rule} (it is {short(request['lr'], 40)})")
    speed = request.get("speed", 0)
    if isinstance(speed, bool) or not is_real(speed, 0.0, MAX_SPEED):
        raise http.RequestError(400, f"speed must be a number of batches a second from 0 to "
                                     f"{MAX_SPEED:g} (it is {short(speed, 40)})")  # fmt: skip
    if "lr" in request:
        request["lr"] = float(request["lr"])
    return request


class LiveHandler(http.Handler):
    """GET /, /api/state and /api/explain, POST /api/control; support/http.py's Handler
    refuses anything else, in one line of JSON."""

    server_version = "tinynet-live"
    PAGE_NAME = "the live page"
    GET_ROUTES = {"/": "page", "/index.html": "page", "/api/state": "state",
                  "/api/explain": "explain"}  # fmt: skip
    GET_METHODS = "GET"
    POST_ROUTES = {"/api/control": "control"}
    BODY_LIMITS = {"control": CONTROL_BODY}
    do_HEAD = do_OPTIONS = http.Handler.refuse_method

    def post_control(self, body):
        view = self.server.view
        if view is None:
            raise http.RequestError(503, "the live view is starting: try again in a moment")
        return 200, view.apply(control_request(body))

    def get_explain(self):
        """?name=w[l][i][j] or b[l][i]: every number of its update in the paused batch."""
        name = urllib.parse.parse_qs(self.path.partition("?")[2]).get("name", [""])[0]
        les = self.server.view.lesson if self.server.view is not None else None
        if les is None:
            self.send_error(409, "no paused batch: pause training first")
            return
        try:
            self.send_json(200, explain(les, name))
        except ValueError as e:
            self.send_error(400, str(e))

    def get_state(self):
        after = urllib.parse.parse_qs(self.path.partition("?")[2]).get("after", [""])[0]
        try:
            after = int(after) if after else -1
        except ValueError:
            self.send_error(400, "after= must be a whole number (the version the page shows)")
            return
        self.send_body(200, self.server.state_after(after), "application/json")


class LiveServer(http.Server):
    """support/http.py's Server (quiet: training prints its own progress) with the latest
    snapshot, and the requests waiting for a newer one."""

    def __init__(self, address, **limits):
        self.page = PAGE_FILE.read_bytes()
        self.csp = http.content_security_policy(self.page)
        self.state, self.version = WAITING, 0
        self.changed = threading.Condition()
        self.closing = False
        self.view = None  # the Live that owns this server (its controls), set by start()
        super().__init__(address, LiveHandler, **limits)

    def publish(self, state, version):
        """A new snapshot (JSON bytes): keep it and wake the requests waiting for one."""
        with self.changed:
            self.state, self.version = state, version
            self.changed.notify_all()

    def state_after(self, after):
        """The latest snapshot, once its version is above `after` (or LONG_POLL seconds have
        gone, or the server is closing): the page asks with the version it shows and is answered
        as soon as there is something new to show. One request per snapshot, none wasted."""
        with self.changed:
            self.changed.wait_for(lambda: self.version > after or self.closing, LONG_POLL)
            return self.state

    def wake_all(self):
        with self.changed:
            self.closing = True
            self.changed.notify_all()


def start(port=0, host="127.0.0.1", paused=False, speed=0.0, **limits):
    """Start the live view's server in a background (daemon) thread; returns a Live with .url.

    host must be a loopback address (the view is for this computer only). Raises ValueError
    for any other host and OSError (with the reason) when the port cannot be used. `limits`:
    max_connections, header_timeout, slow_after, as support/http.py's Server takes them.
    """
    if not http.is_loopback_address(host) or ":" in host:
        raise ValueError(f"the live view listens on this computer only (127.0.0.1), not {host!r}")
    port = 0 if port is None else port
    try:
        server = LiveServer((host, port), **limits)
    except OSError as e:
        raise OSError(f"cannot listen on {host} port {port:d}: {e.strerror or e}") from None
    thread = http.serve_in_thread(server, 0.2, name="tinynet-live")
    view = Live(server, thread, paused=paused, speed=speed)
    server.view = view
    return view
