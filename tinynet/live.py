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

train.py drives it through four calls; from a REPL you can drive it yourself:

    >>> from tinynet import live
    >>> view = live.start(port=0)          # a server in a background thread; port 0: any free
    >>> view.url                           # doctest: +SKIP
    'http://127.0.0.1:40123/'
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
deadlines, connection cap and header caps), on 127.0.0.1 only. It answers
GET / (the page) and GET /api/state (the latest snapshot; with ?after=N it waits until there is
one newer than version N, so the page asks once per snapshot and shows it at once), 405 to any
other method, 404 to any other path, 400 to a malformed after=, and 403 to a Host header that
is not this computer's (a web page elsewhere cannot reach it through a DNS name pointed at
127.0.0.1). The page may only run its own script and style (a Content-Security-Policy with
their SHA-256 hashes) and talk to this server. Nothing is logged; a browser that hangs up
mid-answer is not an error. A long poll holds its connection for up to LONG_POLL seconds, so
at most MAX_CONNECTIONS pages (support/http.py) can watch at once.
"""

import base64
import json
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from . import network
from .support import http
from .visualize import diverging

PAGE_FILE = Path(__file__).resolve().parent / "pages" / "live.html"
REFRESH = 1.0  # seconds between two snapshots of the network, at most one a second
SMOOTHING = 0.02  # the cost curve is a running average: c ← c + SMOOTHING · (batch cost − c)
MAX_POINTS = 1000  # the cost curve keeps at most this many points (thinned by halves)
ROW = 16  # test digits shown
MAX_TILES = 64  # first-layer neurons shown
LONG_POLL = 10  # seconds a GET /api/state?after=N waits for a snapshot newer than N

#: The colour of each tile byte k = 0 … 254, which stands for w / max|w| = (k − 127) / 127: the
#: colour map of docs/weights.png (visualize.diverging), made once here and sent to the page.
PALETTE = ["#{:02x}{:02x}{:02x}".format(*diverging((k - 127) / 127)) for k in range(255)]


# ----------------------------------------------------------------------------- what is shown


def tiles(net):
    """The first layer as bytes, 784 per neuron: byte 127 + round(127 · w⁽¹⁾ᵢⱼ / sᵢ), with
    sᵢ = max_j |w⁽¹⁾ᵢⱼ| (each tile on its own symmetric scale). Returns (bytes, [sᵢ])."""
    out = bytearray()
    scales = []
    for w_i in net.w[0][:MAX_TILES]:
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


def snapshot(info, curve, digits, version, done=False):
    """The state the page shows, as a dict (the answer to GET /api/state is its JSON).

    Reads from `info` (train.py's dict): engine, epoch (0-based), epochs, batch (0-based),
    n_batches, eta, seen, n, elapsed, examples_per_second, seconds_left, history (per-epoch
    dicts with test_accuracy), test_images, test_labels, settings, cost.
    """
    engine = info["engine"]
    net = engine.network()
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


# ----------------------------------------------------------------------------- the view


class Live:
    """The running view: the server, and the running averages fed by train.py."""

    def __init__(self, server, thread):
        self.server, self.thread = server, thread
        self.url = server.url
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
        self.publish(info, done=True)

    def publish(self, info, done=False):
        self.last = time.monotonic()
        if self.server is None:
            return  # closed: nobody to show it to
        try:
            if self.digits is None:
                self.digits = pick_digits(info.get("test_labels") or [])
            self.version += 1
            state = snapshot(info, self.curve, self.digits, self.version, done)
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
        """Stop the server and free the port (safe to call twice)."""
        if self.server is not None:
            self.server.wake_all()
            self.server.shutdown()
            self.server.server_close()
            self.server = None


# ----------------------------------------------------------------------------- the server


WAITING = json.dumps({"version": 0, "waiting": True}).encode("utf-8")


class LiveHandler(http.Handler):
    """GET / and GET /api/state; support/http.py's Handler refuses anything else, in one
    line of JSON."""

    server_version = "tinynet-live"
    GET_ROUTES = {"/": "page", "/index.html": "page", "/api/state": "state"}
    GET_METHODS = "GET"
    do_HEAD = do_OPTIONS = http.Handler.refuse_method

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


def start(port=0, host="127.0.0.1", **limits):
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
    return Live(server, thread)
