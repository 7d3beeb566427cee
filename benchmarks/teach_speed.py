"""How fast one teaching step of the draw page is, and how many clicks turn a wrong answer right.

    python benchmarks/teach_speed.py [--data DIR] [--repeat 20]

1. Time of POST /api/teach's work (draw.Teacher.teach: backprop and the update of
   network.sgd_step, the before and after analyses, the biggest
   changes), on examples/seven-ink-on-paper.png with the shipped
   weights, alone and with rehearsal (9 MNIST training digits in the mini-batch). The background
   accuracy measurement is not included (it runs in its own thread); its time is printed too.
   Also the whole HTTP round trip of POST /api/teach against a server on a free port.
2. With MNIST (--data DIR or $TINYNET_DATA): for each learning rate η, the MNIST test digits
   (of the first 1,000) the shipped network reads wrong are taught their right digit, one click
   (step) at a time, from the shipped weights each time, without rehearsal; printed: how many
   clicks it took (median, and how many were right within 3 clicks).
"""

import argparse
import base64
import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinynet import draw, network, teach, weights  # noqa: E402
from tinynet.engines import PIXEL  # noqa: E402
from tinynet.network import classify  # noqa: E402


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, max(times) * 1000


def clicks_until(net, x, digit, eta, max_clicks):
    """Teach a copy of net that x is `digit`, one click (teach.teach) at a time: the clicks
    until it reads x as that digit, or None if not within max_clicks."""
    trial = network.copy_network(net)
    for step in range(1, max_clicks + 1):
        teach.teach(trial, x, digit, eta)
        if classify(trial, x) == digit:
            return step
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("TINYNET_DATA"), help="MNIST folder")
    ap.add_argument("--repeat", type=int, default=20, help="steps timed (default 20)")
    ap.add_argument("--max-clicks", type=int, default=20)
    a = ap.parse_args(argv)

    net, info = weights.load_with_info()
    png_bytes = (ROOT / "examples" / "seven-ink-on-paper.png").read_bytes()
    x = teach.drawing_input(png_bytes)
    print(f"Python {sys.version.split()[0]} ({sys.implementation.name})")

    teacher = draw.Teacher(network.copy_network(net), info, data_dir=a.data)
    if a.data:
        teacher.wait_for_accuracy()
    with teacher.lock:
        ms, worst = timed(lambda: teacher.teach(x, 1, 1.0, rehearse=False), a.repeat)
    print(f"teach step, 1 example:               median {ms:6.1f} ms, worst {worst:6.1f} ms")
    if teacher.train is not None:
        with teacher.lock:
            ms, worst = timed(lambda: teacher.teach(x, 1, 1.0, rehearse=True), a.repeat)
        print(f"teach step, rehearsing (1 + 9 MNIST): median {ms:6.1f} ms, worst {worst:6.1f} ms")
        t = time.perf_counter()
        teach.accuracy(teacher.net, *teacher.test)
        print(
            f"background accuracy on {len(teacher.test[1]):,d} test digits: "
            f"{1000 * (time.perf_counter() - t):.0f} ms (not part of the step)"
        )
    teacher.stop()

    # The HTTP round trip, as the page makes it (JSON with a data: URL), with a fresh server.
    server = draw.make_server(network.copy_network(net), port=0, info=info, data_dir=a.data)
    draw.serve_in_thread(server)
    if a.data:
        server.teacher.wait_for_accuracy()
    how = "rehearsing (1 + 9 MNIST)" if a.data else "1 example"
    body = json.dumps(
        {
            "image": "data:image/png;base64," + base64.b64encode(png_bytes).decode(),
            "digit": 1,
            "lr": 1.0,
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)

    def round_trip():
        conn.request("POST", "/api/teach", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        assert r.status == 200, r.status
        conn.close()

    ms, worst = timed(round_trip, a.repeat)
    print(
        f"POST /api/teach over HTTP (PNG decoding and preprocessing included), {how}: median "
        f"{ms:.1f} ms, worst {worst:.1f} ms"
    )
    server.shutdown()
    server.server_close()

    # A confident reading taught otherwise: the example seven (read as 7), taught each other
    # digit in turn, from the shipped weights each time.
    print("\nexamples/seven-ink-on-paper.png (read as 7) taught as each other digit, one click at")
    print("a time from the shipped weights: clicks until it reads that digit")
    print("   η    clicks for 0 1 2 3 4 5 6 8 9")
    for eta in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0):
        clicks = [
            str(clicks_until(net, x, digit, eta, a.max_clicks) or "-")
            for digit in (0, 1, 2, 3, 4, 5, 6, 8, 9)
        ]
        print(f"{eta:5.2f}   {' '.join(clicks)}")

    if not a.data:
        print("(no --data DIR: clicks to turn wrong MNIST answers right not measured)")
        return 0
    from tinynet import mnist

    images, labels = mnist.load("test", a.data, download=False)
    images = images[:1000]
    if weights.weights_input(info)["deskew"]:  # shown as the network was trained
        from tinynet.images.deskew import deskew_all

        images = deskew_all(images)
    wrong = []
    for k in range(1000):
        xk = [PIXEL[p] for p in images[k]]
        if classify(net, xk) != labels[k]:
            wrong.append((xk, labels[k]))
    print(f"\n{len(wrong)} of the first 1,000 MNIST test digits are read wrong; each is taught its")
    print("right digit from the shipped weights, one click at a time (no rehearsal):")
    print("   η    median clicks   right within 1 / 3 / 5 clicks   never (in 20)")
    for eta in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0):
        clicks = [clicks_until(net, xk, digit, eta, a.max_clicks) for xk, digit in wrong]
        done = [c for c in clicks if c is not None]
        within = [sum(1 for c in done if c <= k) for k in (1, 3, 5)]
        median = statistics.median(done) if done else float("nan")
        print(
            f"{eta:5.2f}   {median:8.1f}        {within[0]:4d} / {within[1]:4d} / {within[2]:4d} "
            f"of {len(clicks):d}      {len(clicks) - len(done):4d}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
