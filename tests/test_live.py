"""tinynet/live.py: the live view's snapshots, its throttle and its server.

Until train.py calls it, `drive` below plays train.py's part: a real training loop (any
engine, engine.train) that fills the info dicts of the contract and calls on_batch,
on_epoch and on_end. Without MNIST it trains on small synthetic digits (a bar whose place
depends on the label), which the network learns in a few epochs.
"""

import base64
import functools
import http.client
import json
import operator
import random
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import clients
import pytest
from clients import interruptible
from hypothesis import given, settings
from hypothesis import strategies as st
from test_teach import OUTPUT_COSTS
from training import COMMAND, quiet_run, train_env

from tinynet import engines, live, network, train, weights
from tinynet.engines import evaluate
from tinynet.support.http import loopback_host
from tinynet.visualize import diverging

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------- the driver


def synthetic_digits(count, seed=0):
    """(images, labels): 28×28 bytes, digit d drawn as a bright 3-pixel-wide bar at column
    3 + 2d (rows 4 to 23), with a little noise; learnable in a few epochs."""
    rng = random.Random(seed)
    images, labels = [], []
    for k in range(count):
        d = k % 10
        px = bytearray(784)
        for r in range(4, 24):
            for c in range(3 + 2 * d, 6 + 2 * d):
                px[28 * r + c] = 200 + rng.randrange(56)
        for _ in range(10):
            px[rng.randrange(784)] = rng.randrange(256)
        images.append(bytes(px))
        labels.append(d)
    return images, labels


def drive(
    view,
    engine_name,
    images,
    labels,
    test_images,
    test_labels,
    epochs=2,
    batch_size=10,
    eta=1.0,
    cost="cross-entropy",
    pause=0.0,
    seed=1,
    net=None,
):
    """Train as train.py does, calling view.on_batch / on_epoch / on_end with its info dicts.
    Returns the engine. `pause`: seconds to sleep after each batch (to stretch a run out);
    `net`: the network to train (default network.new_network(seed=seed))."""
    engine = engines.make_engine(net or network.new_network(seed=seed), engine_name)
    examples = [engines.sparse(im) + (d,) for im, d in zip(images, labels)]
    n = len(examples)
    n_batches = (n + batch_size - 1) // batch_size
    settings = {"engine": engine_name, "batch_size": batch_size, "cost": cost, "epochs": epochs}
    settings.update(lr=eta, lr_final=eta)
    history = []
    t0 = time.time()
    done_before = 0
    info = {}
    # before each batch, train.py's gate: the page may hold training there, or change η
    gate_info = dict(engine=engine, settings=settings, n_batches=n_batches, epochs=epochs, n=n,
                     batch_size=batch_size, history=history, test_images=test_images,
                     test_labels=test_labels, cost=cost)  # fmt: skip
    before_batch = train.batch_gate([view], gate_info, settings, [])
    for epoch in range(epochs):
        seen = 0
        for k in range(n_batches):
            batch = examples[k * batch_size : (k + 1) * batch_size]
            before_batch(epoch, k, batch)
            eta = settings["lr"]
            got = []
            engine.train(
                [batch], eta, cost, lambda size, c, correct, got=got: got.append((size, c))
            )
            seen += got[0][0]
            elapsed = time.time() - t0
            rate = (done_before + seen) / max(elapsed, 1e-9)
            info = {
                "engine": engine,
                "epoch": epoch,
                "epochs": epochs,
                "batch": k,
                "n_batches": n_batches,
                "eta": eta,
                "batch_cost": got[0][1] / got[0][0],
                "batch_size": batch_size,
                "seen": seen,
                "n": n,
                "elapsed": elapsed,
                "examples_per_second": rate,
                "seconds_left": (epochs * n - done_before - seen) / rate,
                "history": history,
                "test_images": test_images,
                "test_labels": test_labels,
                "settings": settings,
                "cost": cost,
            }
            view.on_batch(info)
            if pause:
                time.sleep(pause)
        done_before += seen
        correct, _ = evaluate(engine, test_images, test_labels)
        history.append(
            {
                "epoch": epoch + 1,
                "cost": 0.0,
                "train_accuracy": 0.0,
                "test_accuracy": correct / len(test_images),
                "seconds": 0.0,
                "lr": eta,
            }
        )
        view.on_epoch(info)
    view.on_end(info)
    return engine


def get(url, host=None, method="GET"):
    """(status, headers, body) of one request, with an optional Host header."""
    req = urllib.request.Request(url, method=method)
    if host is not None:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def state_of(view):
    status, _, body = get(view.url + "api/state")
    assert status == 200
    return json.loads(body)


@pytest.fixture
def view():
    v = live.start(port=0)
    yield v
    v.close()


# --------------------------------------------------------------------------- the snapshots


@pytest.mark.parametrize("engine_name", engines.ENGINES)
def test_a_run_with_every_engine_shows_its_network(view, engine_name):
    images, labels = synthetic_digits(200)
    test_images, test_labels = synthetic_digits(40, seed=9)
    engine = drive(view, engine_name, images, labels, test_images, test_labels, epochs=2)
    s = state_of(view)
    assert s["done"] is True and s["version"] >= 3  # first batch, two epochs, the end
    assert s["engine"] == engine_name and s["sizes"] == [784, 16, 16, 10]
    assert (s["epoch"], s["batch"], s["n_batches"]) == (1, 19, 20)
    assert [a[0] for a in s["accuracy"]] == [1, 2]
    # the tiles are this engine's final first layer
    net = engine.network()
    expected, scales = live.tiles(net)
    assert base64.b64decode(s["tiles"]) == expected
    assert s["tile_scales"] == [round(x, 4) for x in scales]
    # the row of test digits: one of each digit, with the engine's answers
    assert set(range(10)) <= {d["label"] for d in s["digits"]}
    for d in s["digits"]:
        image = base64.b64decode(d["image"])
        assert image == test_images[d["index"]] and d["label"] == test_labels[d["index"]]
        out = engine.output(image)
        assert d["guess"] == out.index(max(out))
    # the cost curve runs forwards in epochs, ending at the last batch
    xs = [p[0] for p in s["curve"]]
    assert xs == sorted(xs) and xs[-1] == pytest.approx(2.0)


def test_the_network_learns_and_the_page_sees_it(view):
    """Trained on the synthetic digits, the view's answers and accuracy get better."""
    images, labels = synthetic_digits(300)
    test_images, test_labels = synthetic_digits(50, seed=5)
    drive(view, "loops", images, labels, test_images, test_labels, epochs=3)
    s = state_of(view)
    assert s["accuracy"][-1][1] > 0.5
    assert sum(d["guess"] == d["label"] for d in s["digits"]) > len(s["digits"]) // 2
    assert s["curve"][-1][1] < s["curve"][0][1]  # the smoothed cost fell


def test_before_training_the_state_says_waiting(view):
    assert state_of(view) == {"version": 0, "waiting": True}


def tiny_info():
    images, labels = synthetic_digits(20)
    return {
        "engine": engines.make_engine(network.new_network(seed=1), "plain"),
        "epoch": 0,
        "epochs": 1,
        "batch": 0,
        "n_batches": 1,
        "batch_cost": 1.0,
        "test_images": images,
        "test_labels": labels,
    }


def test_asking_for_a_newer_state_waits_for_it(view):
    """GET /api/state?after=N answers as soon as there is a snapshot newer than N."""
    answers = []

    def ask(after):
        t = time.monotonic()
        status, _, body = get(f"{view.url}api/state?after={after:d}")
        answers.append((status, json.loads(body)["version"], time.monotonic() - t))

    waiting = threading.Thread(target=ask, args=(0,))
    waiting.start()
    time.sleep(0.5)
    assert answers == []  # nothing newer than version 0 yet: still waiting
    view.on_epoch(tiny_info())  # version 1
    waiting.join(5)
    assert answers and answers[0][:2] == (200, 1) and answers[0][2] >= 0.5
    ask(0)  # already newer: at once
    assert answers[1][:2] == (200, 1) and answers[1][2] < live.LONG_POLL / 2


def test_close_answers_the_waiting_requests():
    v = live.start()
    answers = []
    waiting = threading.Thread(
        target=lambda: answers.append(get(f"{v.url}api/state?after=5")[0]), daemon=True
    )
    waiting.start()
    time.sleep(0.3)
    t = time.monotonic()
    v.close()
    waiting.join(5)
    assert answers == [200] and time.monotonic() - t < live.LONG_POLL / 2


@pytest.mark.parametrize("query", ["after=x", "after=1.5", "after=%00"])
def test_a_malformed_after_is_400(view, query):
    status, _, body = get(f"{view.url}api/state?{query}")
    assert status == 400 and "after=" in json.loads(body)["error"]


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_snapshots_at_most_once_a_second(monkeypatch, view):
    """on_batch converts the engine (engine.network()) only when REFRESH seconds have gone."""
    clock = FakeClock()
    monkeypatch.setattr(live.time, "monotonic", clock)
    conversions = []
    engine = engines.make_engine(network.new_network(seed=1), "plain")
    real = engine.network
    monkeypatch.setattr(engine, "network", lambda: conversions.append(1) or real())
    info = {
        "engine": engine,
        "epoch": 0,
        "epochs": 1,
        "batch": 0,
        "n_batches": 2000,
        "batch_cost": 1.0,
        "test_images": [],
        "test_labels": [],
    }
    for k in range(2000):  # 2000 batches, 7 ms each: 14 s
        info["batch"] = k
        view.on_batch(info)
        clock.now += 0.007
    assert 14 <= len(conversions) <= 15
    assert state_of(view)["version"] == len(conversions)


@given(st.lists(st.floats(0.0, 50.0), min_size=1, max_size=3000))
def test_cost_curve_is_a_bounded_running_average(costs):
    v = live.Live.__new__(live.Live)  # the averages only, without a server
    live.Live.__init__(v, type("S", (), {"url": "http://127.0.0.1:1/"})(), None)
    v.last = float("inf")  # never publish
    n = len(costs)
    for k, c in enumerate(costs):
        v.on_batch({"batch_cost": c, "epoch": 0, "batch": k, "n_batches": n})
    assert 1 <= len(v.curve) <= live.MAX_POINTS
    xs = [p[0] for p in v.curve]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert all(min(costs) - 1e-9 <= p[1] <= max(costs) + 1e-9 for p in v.curve)
    if n <= live.MAX_POINTS:
        assert len(v.curve) == n  # every batch, until there are too many


@st.composite
def first_layers(draw):
    """1 to 4 neurons' weights, each row of the same length (784 on the page; any length here)."""
    n = draw(st.integers(1, 60))
    weight = st.floats(-5.0, 5.0, allow_nan=False) | st.just(0.0)
    return [draw(st.lists(weight, min_size=n, max_size=n)) for _ in range(draw(st.integers(1, 4)))]


@given(first_layers())
def test_tiles_are_each_neurons_weights_on_its_own_scale(rows):
    n = len(rows[0])
    net = network.Network([n, len(rows), 10], [rows, [[0.0] * len(rows)] * 10], [[], []])
    data, scales = live.tiles(net)
    assert len(data) == n * len(rows) and len(scales) == len(rows)
    for t, w_t in enumerate(rows):
        s = scales[t]
        assert s == (max(abs(w) for w in w_t) or 1.0)
        for j, w in enumerate(w_t):
            k = data[n * t + j]
            assert 0 <= k <= 254
            assert abs((k - 127) / 127 - w / s) <= 0.5 / 127 + 1e-12  # rounded to the nearest
            # the colour the page shows is visualize.diverging's, within one rounding step
            shown = live.PALETTE[k]
            want = diverging(w / s)
            got = tuple(int(shown[i : i + 2], 16) for i in (1, 3, 5))
            assert all(abs(a - b) <= 2 for a, b in zip(got, want))


def test_palette_ends_are_blue_white_red():
    assert live.PALETTE[0] == "#{:02x}{:02x}{:02x}".format(*diverging(-1.0))
    assert live.PALETTE[127] == "#ffffff"
    assert live.PALETTE[254] == "#{:02x}{:02x}{:02x}".format(*diverging(1.0))


@given(st.lists(st.integers(0, 9), max_size=200), st.integers(1, 30))
def test_pick_digits(labels, count):
    chosen = live.pick_digits(labels, count)
    assert chosen == sorted(set(chosen)) and len(chosen) == min(count, len(labels))
    assert all(0 <= i < len(labels) for i in chosen)
    if count >= 10:
        assert {labels[i] for i in chosen} == set(labels)


def test_a_broken_snapshot_never_stops_training(view, capsys):
    broken = {"engine": object(), "epoch": 0, "batch": 0, "n_batches": 1, "batch_cost": 1.0}
    view.on_epoch(broken)  # must not raise
    view.on_epoch(broken)
    err = capsys.readouterr().err
    assert err.count("live view: cannot show this state") == 1  # said once
    assert state_of(view) == {"version": 0, "waiting": True}


# ------------------------------------------------------------------------------- the server


def test_the_page_and_its_security_headers(view):
    status, headers, body = get(view.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body == live.PAGE_FILE.read_bytes()
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert csp.count("'sha256-") == 2  # exactly the page's one script and one style
    assert headers["X-Content-Type-Options"] == "nosniff"
    for external in (b"http://", b"https://", b"//fonts", b"@import", b"src="):
        assert external not in body.replace(b"http://www.w3.org/2000/svg", b"")


def test_url_is_loopback_with_the_real_port(view):
    assert view.url.startswith("http://127.0.0.1:") and view.url.endswith("/")
    port = int(view.url.rsplit(":", 1)[1].rstrip("/"))
    assert port == view.server.server_address[1] and port > 0


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("localhost", True),
        ("localhost:8000", True),
        ("127.0.0.1:1234", True),
        ("127.5.6.7", True),
        ("[::1]:80", True),
        ("evil.example:8000", False),
        ("192.168.1.10", False),
        ("127.0.0.1.evil.example", False),
    ],
)
def test_host_header_check(view, host, allowed):
    assert loopback_host(host) is allowed
    status, _, body = get(view.url + "api/state", host=host)
    assert status == (200 if allowed else 403)
    if not allowed:
        assert "error" in json.loads(body)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD", "OPTIONS"])
def test_get_only(view, method):
    status, headers, _ = get(view.url + "api/state", method=method)
    assert status == 405 and headers["Allow"] == "GET"


def test_other_paths_are_404(view):
    for path in ("favicon.ico", "../tinynet/live.py", "pages/live.html", "api/state/x"):
        assert get(view.url + path)[0] == 404


def test_clients_that_hang_up_cause_no_traceback(view, capfd):
    host, port = view.server.server_address[:2]
    for request in (b"GET /api/st", b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", b""):
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(request)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # with linger 0: a reset, mid-answer
    garbage = socket.create_connection((host, port), timeout=5)
    garbage.sendall(b"\x16\x03\x01 not http\r\n\r\n")
    reply = garbage.recv(1000)
    garbage.close()
    assert reply.startswith(b"HTTP/1.0 400")
    time.sleep(0.3)
    assert get(view.url)[0] == 200  # still serving
    out, err = capfd.readouterr()
    assert "Traceback" not in err and err == "" and out == ""


def test_only_loopback_hosts(monkeypatch):
    for host in ("0.0.0.0", "192.168.1.2", "example.com", "::"):
        with pytest.raises(ValueError, match="127.0.0.1"):
            live.start(host=host)


def test_a_taken_port_says_so():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    try:
        with pytest.raises(OSError, match="cannot listen on 127.0.0.1 port"):
            live.start(port=blocker.getsockname()[1])
    finally:
        blocker.close()


def test_close_frees_the_port_and_may_be_called_twice():
    v = live.start(port=None)  # None: any free port, like 0
    port = v.server.server_address[1]
    v.close()
    v.close()
    v.on_end(tiny_info())  # after close: nothing to do, and no error
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))  # free again
    s.close()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")


def test_wait_serves_until_ctrl_c_then_closes():
    """After training, Live.wait() keeps the page up until Ctrl-C, then frees the port quietly."""
    code = (
        "import sys, threading, time\n"
        "from tinynet import live\n"
        "v = live.start()\n"
        "main = threading.main_thread().ident\n"
        "def in_wait():\n"
        "    f = sys._current_frames().get(main)\n"
        "    while f is not None and f.f_code is not live.Live.wait.__code__:\n"  # (not Event.wait)
        "        f = f.f_back\n"
        "    return f is not None\n"
        "def tell():\n"  # the URL only once the main thread is inside wait(): a Ctrl-C sent
        "    while not in_wait():\n"  # earlier would land before wait() can catch it
        "        time.sleep(0.01)\n"
        "    print(v.url, flush=True)\n"
        "threading.Thread(target=tell, daemon=True).start()\n"
        "v.wait()\n"
        "print('closed', v.server is None, flush=True)\n"
    )
    p = interruptible([sys.executable, "-c", code], cwd=str(ROOT))
    try:
        url = p.stdout.readline().strip()
        assert get(url)[0] == 200  # serving while it waits
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert out.strip() == "closed True" and "Traceback" not in err


# --------------------------------------------------------------------------- the lab


def control(view, body, origin=None, content_type="application/json"):
    """(status, answer) of POST /api/control with `body` (an object, or raw bytes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(view.url + "api/control", data=data, method="POST")
    req.add_header("Content-Type", content_type)
    if origin is not None:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize(
    "body, status, says",
    [
        ({"action": "jump"}, 400, "action must be one of pause, resume, step"),
        ({"action": None}, 400, "action must be"),
        ({}, 400, "give"),
        ([1], 400, "give"),
        ({"action": "pause", "colour": 1}, 400, "give"),
        ({"lr": 0}, 400, "lr must be a number above 0"),
        ({"lr": -1}, 400, "lr must be"),
        ({"lr": 1e5}, 400, "lr must be"),
        ({"lr": "0.1"}, 400, "lr must be"),
        ({"lr": True}, 400, "lr must be"),
        ({"speed": -1}, 400, "speed must be"),
        ({"speed": 5000}, 400, "speed must be"),
        (b"{not json", 400, "must be JSON"),
        (b"\xff\xfe", 400, "must be JSON"),
        (b'{"action": "pause", "pad": "' + b"x" * 2000 + b'"}', 413, "over the limit"),
    ],
)
def test_control_refuses_what_it_cannot_do_in_one_line(view, body, status, says):
    got, answer = control(view, body)
    assert got == status and says in answer["error"] and "\n" not in answer["error"]
    assert view.paused is False and view.new_lr is None and view.speed == 0.0


def test_control_is_same_origin_and_json_only(view):
    got, answer = control(view, {"action": "pause"}, origin="http://evil.example")
    assert got == 403 and "another web page" in answer["error"]
    got, answer = control(view, {"action": "pause"}, content_type="text/plain")
    assert got == 415
    assert view.paused is False
    got, answer = control(view, {"action": "pause"}, origin=view.url.rstrip("/"))
    assert got == 200 and answer["paused"] is True and view.paused is True
    assert get(view.url + "api/control")[0] == 405  # POST only


def test_control_takes_pause_resume_lr_and_speed(view):
    assert control(view, {"action": "pause", "lr": 0.5, "speed": 3})[1]["paused"] is True
    assert (view.paused, view.new_lr, view.speed) == (True, 0.5, 3)
    assert control(view, {"action": "resume", "speed": 0})[1] == {
        "paused": False, "held": False, "speed": 0, "taken": 0, "version": 0,
    }  # fmt: skip


def test_explain_before_any_pause_is_409_and_a_bad_name_400(view):
    assert get(view.url + "api/explain?name=w[0][0][0]")[0] == 409
    view.lesson = live.lesson(network.new_network(), [], 0.1, "quadratic", 0, 0)
    for name in ("w[9][0][0]", "w[0][16][0]", "b[0][0][0]", "q", ""):
        status, _, body = get(view.url + "api/explain?name=" + urllib.parse.quote(name))
        assert status == 400 and "no such parameter" in json.loads(body)["error"]


def wait_until_held(view, seconds=60):
    """Until training waits at a paused batch (a --paused run reaches its first one only once
    the data is loaded), and the page has been told."""
    deadline = time.monotonic() + seconds
    while not (view.held and view.shown_lesson) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert view.held


def lab_run(view, **kw):
    """A synthetic run (drive) in a thread with `view`; returns the thread."""
    images, labels = synthetic_digits(100)
    test_images, test_labels = synthetic_digits(20, seed=9)
    thread = threading.Thread(
        target=drive,
        args=(view, "plain", images, labels, test_images, test_labels),
        kwargs=kw,
        daemon=True,
    )
    thread.start()
    return thread


def test_paused_runs_one_batch_per_step_and_shows_it():
    view = live.start(port=0, paused=True)
    try:
        thread = lab_run(view, epochs=1, eta=0.5)
        wait_until_held(view)
        s = state_of(view)
        assert s["paused"] is True and s["seen"] == 0 and s["batch"] == 0
        lesson = s["lesson"]
        assert (lesson["epoch"], lesson["batch"], lesson["m"], lesson["eta"]) == (0, 0, 10, 0.5)
        assert [e["digit"] for e in lesson["examples"]] == list(range(10))
        assert [len(d) for d in lesson["examples"][0]["delta"]] == [16, 16, 10]
        assert len(base64.b64decode(lesson["dw_tiles"])) == 16 * 784
        for k in range(1, 4):
            status, answer = control(view, {"action": "step"})
            assert status == 200 and answer["taken"] == k and answer["held"] is True
            s = state_of(view)
            assert s["seen"] == 10 * k and s["lesson"]["batch"] == k and s["paused"] is True
        status, answer = control(view, {"action": "resume"})
        thread.join(60)
        assert not thread.is_alive() and state_of(view)["done"] is True
    finally:
        view.close()


def test_a_step_does_what_explain_says_to_the_last_bit():
    """On engine plain (network.sgd_step), the step's new w is explain's "after", bit for bit,
    for a weight of every layer and a bias; and a new η counts from that batch."""
    view = live.start(port=0, paused=True)
    try:
        thread = lab_run(view, epochs=1, eta=0.5)
        wait_until_held(view)
        control(view, {"action": "step"})
        control(view, {"action": "step", "lr": 2.0})  # a step, then η = 2 from the held batch
        names = ["w[0][3][100]", "w[1][5][7]", "w[2][4][15]", "b[2][6]", "b[0][1]"]
        told = {}
        for name in names:
            status, _, body = get(view.url + "api/explain?name=" + name)
            told[name] = json.loads(body)
            assert status == 200 and told[name]["eta"] == 2.0 and told[name]["m"] == 10
        control(view, {"action": "step"})
        net = view.lesson["net"]  # the weights after that step, as the engine has them
        for name in names:
            l, i, j = live.watch.parse(name, net.sizes)
            now = net.b[l][i] if j is None else net.w[l][i][j]
            assert now == told[name]["after"], name
            # added one by one, as sgd_step adds them (sum() rounds otherwise from Python 3.12)
            assert told[name]["sum"] == functools.reduce(
                operator.add, (r["grad"] for r in told[name]["rows"]), 0.0
            )
        control(view, {"action": "resume"})
        thread.join(60)
    finally:
        view.close()


@given(
    st.integers(0, 2), st.integers(0, 9), st.integers(0, 783), st.sampled_from(list(network.COSTS))
)
def test_explain_is_network_backprop_on_each_example(l, i, j, cost):
    images, labels = synthetic_digits(4, seed=l + i)
    net = network.new_network(seed=j)
    examples = [engines.sparse(im) + (d,) for im, d in zip(images, labels)]
    les = live.lesson(net, examples, 0.3, cost, 0, 0)
    j = j % net.sizes[l]
    told = live.explain(les, f"w[{l}][{i}][{j}]")
    for row, (im, d) in zip(told["rows"], zip(images, labels)):
        x = [p / 255 for p in im]
        dC_db, dC_dw, delta, z, a = network.backprop(net, x, network.one_hot(d), cost)
        assert row["grad"] == dC_dw[l][i][j] and row["delta"] == delta[l][i]
        if row["dC_da"] is not None:  # BP1/BP2: δ = ∂C/∂a · σ′(z)
            assert row["dC_da"] * row["sp"] == pytest.approx(row["delta"], rel=1e-9, abs=1e-15)
    copy = network.copy_network(net)
    network.sgd_step(
        copy,
        [([p / 255 for p in im], network.one_hot(d)) for im, d in zip(images, labels)],
        0.3,
        cost,
    )
    assert told["after"] == copy.w[l][i][j]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(network.ACTIVATIONS)),
    st.sampled_from(OUTPUT_COSTS),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.integers(0, 10_000),
    st.data(),
)
def test_explain_uses_each_networks_own_f_prime(activation, output_cost, hidden, seed, data):
    """Issue 17: on a sigmoid, ReLU or tanh network with a sigmoid or softmax output, the lab's
    numbers are that network's: "sp" is the neuron's own f′(z) (σ′, ReLU′, tanh′, as "f" names
    it), δ = ∂C/∂a · f′(z) where that is defined, δ = a − y at a softmax output (no σ′ there),
    BP2's ∂C/∂a = Σ w δ, BP4's ∂C/∂w = δ · a_in, each equal to network.backprop's."""
    output, cost = output_cost
    sizes = (12, *hidden, 10)
    net = network.new_network(sizes, seed=seed, activation=activation, output=output)
    rng = random.Random(seed)
    examples = []
    for _ in range(3):
        p = [rng.choice((0, 0, rng.randrange(256))) for _ in range(sizes[0])]
        nz = [k for k, v in enumerate(p) if v]
        examples.append((nz, [p[k] for k in nz], rng.randrange(10)))
    les = live.lesson(net, examples, 0.3, cost, 0, 0)
    last = len(net.w) - 1
    l = data.draw(st.integers(0, last), label="l")
    i = data.draw(st.integers(0, sizes[l + 1] - 1), label="i")
    j = data.draw(st.one_of(st.none(), st.integers(0, sizes[l] - 1)), label="j")
    name = f"b[{l}][{i}]" if j is None else f"w[{l}][{i}][{j}]"
    told = live.explain(les, name)
    f = output if l == last else activation
    assert told["f"] == f
    assert told["f_next"] == (None if l == last else output if l + 1 == last else activation)
    for row, (nz, p, d) in zip(told["rows"], examples):
        x = live.example_input(nz, p, sizes[0])
        dC_db, dC_dw, delta, z, a = network.backprop(net, x, network.one_hot(d), cost)
        assert row["delta"] == delta[l][i] and row["a"] == a[l + 1][i]
        assert row["grad"] == (dC_db[l][i] if j is None else dC_dw[l][i][j])  # (BP3, BP4)
        assert row["grad"] == row["delta"] * row["a_in"]
        if l == last and output == "softmax":  # (BP1) no σ′ per neuron: δ = a − y
            assert row["sp"] is None and row["dC_da"] is None
            assert row["delta"] == row["a"] - row["y"]
            continue
        assert row["sp"] == network.activation_pair(f)[1](z[l][i])
        if l < last:  # (BP2) ∂C/∂a = Σₖ w δ, the terms listed
            back = sum(net.w[l + 1][k][i] * delta[l + 1][k] for k in range(len(delta[l + 1])))
            assert row["dC_da"] == pytest.approx(back, rel=1e-12, abs=1e-15)
            assert row["terms"] == [[net.w[l + 1][k][i], dk] for k, dk in enumerate(delta[l + 1])]
        if row["dC_da"] is not None:  # δ = ∂C/∂a · f′(z)
            assert row["dC_da"] * row["sp"] == pytest.approx(row["delta"], rel=1e-9, abs=1e-15)
    copy = network.copy_network(net)
    batch = [(live.example_input(nz, p, sizes[0]), network.one_hot(d)) for nz, p, d in examples]
    network.sgd_step(copy, batch, 0.3, cost)
    assert told["after"] == (copy.b[l][i] if j is None else copy.w[l][i][j])
    C = network.cost_pair(cost, output)[0]
    shown = live.lesson_state(les)["examples"]
    for ex, (x, y) in zip(shown, batch):
        z, a = network.feedforward(net, x)
        assert ex["cost"] == C(
            a[-1], y, z[-1]
        )  # the network's own cost (log-likelihood for softmax)


LAB_RUN = dict(limit=300, test_limit=100, epochs=2, batch_size=7, lr=0.5, lr_final=0.1)


def paused_train(mnist_dir, out):
    """train() of LAB_RUN in a thread with a live view started paused, once it is held at the
    first batch: (view, thread, result), result["net"] the network once it ends."""
    view = live.start(port=0, paused=True)
    result = {}

    def run():
        result["net"] = quiet_run(mnist_dir, out, LAB_RUN, watchers=[view])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_until_held(view)
    return view, thread, result


def test_pausing_and_stepping_never_change_the_result(tmp_path, mnist_dir):
    """train() with the live view paused from the start, stepped, resumed, paused again across
    an epoch's end and slowed ends with the same weights, bit for bit, as without the view."""
    plain = quiet_run(mnist_dir, tmp_path / "plain.json", LAB_RUN)
    view, thread, result = paused_train(mnist_dir, tmp_path / "lab.json")
    try:
        assert state_of(view)["seen"] == 0  # at the random network
        for _ in range(3):
            control(view, {"action": "step"})
        control(view, {"action": "resume", "speed": 200})
        time.sleep(0.1)
        control(view, {"action": "pause"})
        while state_of(view)["lesson"]["epoch"] == 0:  # step over the end of the first epoch
            assert control(view, {"action": "step"})[0] == 200
        control(view, {"action": "resume", "speed": 0})
        thread.join(120)
        assert not thread.is_alive()
    finally:
        view.close()
    assert result["net"].w == plain.w and result["net"].b == plain.b


def test_a_new_lr_is_used_from_the_next_batch_and_recorded(tmp_path, mnist_dir):
    view, thread, _ = paused_train(mnist_dir, tmp_path / "lr.json")
    try:
        control(view, {"action": "step"})
        control(view, {"action": "step", "lr": 0.75})  # the 2nd batch is trained with η = 0.75
        assert state_of(view)["lesson"]["eta"] == 0.75  # and so will the 3rd be
        control(view, {"action": "resume"})
        thread.join(120)
    finally:
        view.close()
    change = {"epoch": 1, "batch": 2, "lr": 0.75}
    log = [json.loads(line) for line in (tmp_path / "lr.json.log.jsonl").read_text().splitlines()]
    assert log[0]["lr_changes"] == [change] and "lr_changes" not in log[1]
    assert [r["lr"] for r in log] == [0.75, 0.75]  # constant from there on
    _, info = weights.load_with_info(tmp_path / "lr.json")
    assert info["training"]["history"][0]["lr_changes"] == [change]


def test_train_live_paused_starts_held_and_ctrl_c_saves_a_checkpoint(tmp_path, mnist_dir):
    args = ["--live", "--paused", "--limit", "200", "--test-limit", "50", "--epochs", "1"]
    args += ["--data", str(mnist_dir), "--no-download", "--out", str(tmp_path / "x.json")]
    p = interruptible(COMMAND + args, cwd=str(tmp_path), env=train_env())
    try:
        url = p.stdout.readline().strip().removeprefix("live view: ")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            s = json.loads(get(url + "api/state?after=0")[2])
            if s.get("lesson"):
                break
        assert s["paused"] is True and s["seen"] == 0 and s["lesson"]["batch"] == 0
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert p.returncode == 130 and "Traceback" not in err, err
    assert "interrupted: checkpoint saved" in out
    ck = json.loads((tmp_path / "x.json.checkpoint.json").read_text())
    assert (ck["epoch"], ck["batch"]) == (0, 0)  # nothing trained: held at the first batch


@pytest.mark.parametrize("speed", [0.0, 25.0])
def test_a_speed_slows_training_to_so_many_batches_a_second(speed):
    view = live.start(port=0, speed=speed)
    try:
        images, labels = synthetic_digits(100)  # 10 batches of 10
        t0 = time.monotonic()
        drive(view, "loops", images, labels, images[:20], labels[:20], epochs=1)
        took = time.monotonic() - t0
    finally:
        view.close()
    if speed:
        assert took >= 9 / speed  # the batches came 1/speed s apart at least
    assert view.taken == 10


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"POST /api/control HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 411),
        (
            b"POST /api/control HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 999999999\r\n\r\n",
            413,
        ),
        (
            b"POST /api/control HTTP/1.1\r\nHost: evil.example\r\n"
            b'Content-Type: application/json\r\nContent-Length: 19\r\n\r\n{"action": "pause"}',
            403,
        ),
    ],
)
def test_control_refuses_raw_requests_before_reading_them(view, request_bytes, status):
    answer = clients.exchange(view.server.server_address[:2], request_bytes)
    assert clients.status_of(answer) == status, answer[:300]
    assert view.paused is False
