"""What the live view costs training:  python benchmarks/live_overhead.py [--data DIR]

Trains E passes over the first N MNIST training images (batches of 10, cross-entropy, one
engine.train call per batch as train.py makes them) three ways per round:

  A  without the live view;
  B  with it: tinynet.live.start(), an info dict and on_batch after every batch (a snapshot
     once a second), the server running;
  C  as B, plus another process asking for each new snapshot (/api/state?after=N) as the page
     does. That process needs the CPU too; on a laptop the browser does, and on a machine whose
     cores are all busy it takes time from the training.

The rounds alternate A, B and C (then C, B, A) so that a busy machine slows all alike; the best
of each is reported, as `name: value` lines. Make the runs last several seconds (--examples,
--epochs): the view takes a snapshot at the first batch and then once a second. Because
differences of a few percent drown in a busy machine's noise, B also clocks the time spent
inside the view's own calls (on_batch, and the snapshots it takes) as a share of its run time:
in_view_percent, and A and B are also timed in CPU seconds of this process (its server threads
included), which other programs' load hardly touches: B_overhead_cpu_percent. B and C also ask
the view before each batch whether to go on (train.py's gate, which the page's pause, step and
speed use), as `train --live` does.

Then the lab: python -m tinynet.train's train() with the live view paused (the default
784-16-16-10 network, batches of 10, engine as given), and --steps POST /api/control "step"
requests, each answered once the batch is trained and the next one's backpropagation (worked by
network.py) is on the page: step_ms_median and step_ms_max.
"""

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynet import engines, live, mnist, network, train  # noqa: E402

#: The page's part, in a process of its own as a browser would be: GET /api/state?after=N, which
#: the server answers when it has a snapshot newer than N.
POLLER = """
import json, sys, time, urllib.request
shown = -1
while True:
    with urllib.request.urlopen(sys.argv[1] + "api/state?after=%d" % shown, timeout=30) as r:
        shown = json.loads(r.read())["version"]
    time.sleep(0.05)
"""


def run(engine_name, examples, epochs, test_images, test_labels, view):
    engine = engines.make_engine(network.new_network(seed=1), engine_name)
    batches = [examples[k : k + 10] for k in range(0, len(examples), 10)] * epochs
    n = len(examples) * epochs
    got = []
    in_view = 0.0
    t0, cpu0 = time.perf_counter(), time.process_time()
    seen = 0
    settings = {"lr": 0.5, "lr_final": 0.5, "epochs": 1, "cost": "cross-entropy"}
    gate_info = {"engine": engine, "settings": settings, "n_batches": len(batches)}
    before_batch = train.batch_gate([view], gate_info, settings, []) if view else None
    for k, batch in enumerate(batches):
        if before_batch is not None:
            t_call = time.perf_counter()
            before_batch(0, k, batch)
            in_view += time.perf_counter() - t_call
        engine.train([batch], 0.5, "cross-entropy", lambda s, c, r: got.append((s, c)))
        if view is not None:
            seen += len(batch)
            elapsed = time.perf_counter() - t0
            t_call = time.perf_counter()
            view.on_batch(
                {
                    "engine": engine,
                    "epoch": 0,
                    "epochs": 1,
                    "batch": k,
                    "n_batches": len(batches),
                    "eta": 0.5,
                    "batch_cost": got[-1][1] / got[-1][0],
                    "batch_size": 10,
                    "seen": seen,
                    "n": n,
                    "elapsed": elapsed,
                    "examples_per_second": seen / max(elapsed, 1e-9),
                    "seconds_left": (n - seen) / max(seen / max(elapsed, 1e-9), 1e-9),
                    "history": [],
                    "test_images": test_images,
                    "test_labels": test_labels,
                    "settings": {"engine": engine_name},
                    "cost": "cross-entropy",
                }
            )
            in_view += time.perf_counter() - t_call
    total = time.perf_counter() - t0
    return n / total, in_view / total, n / (time.process_time() - cpu0)


def step_times(data, engine, steps):
    """Milliseconds from sending POST /api/control {"action": "step"} to its answer, `steps`
    times, with train() paused on MNIST (the default network and batch size)."""
    view = live.start(paused=True)
    out = Path(tempfile.mkdtemp()) / "lab.json"
    run = dict(data=data, download=False, quiet=True, limit=2000, test_limit=100, epochs=1)
    thread = threading.Thread(
        target=train.train, kwargs=dict(run, engine=engine, out=str(out), watchers=[view]),
        daemon=True,
    )  # fmt: skip
    thread.start()
    while not view.held:
        time.sleep(0.01)
    host, port = view.server.server_address[:2]
    times = []
    for _ in range(steps):
        c = http.client.HTTPConnection(host, port, timeout=30)
        t0 = time.perf_counter()
        c.request(
            "POST", "/api/control", b'{"action": "step"}', {"Content-Type": "application/json"}
        )
        answer = json.loads(c.getresponse().read())
        times.append(1000 * (time.perf_counter() - t0))
        c.close()
        assert answer["held"], answer
    view.close()  # training goes on to the end, unwatched
    thread.join()
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="MNIST folder (default $TINYNET_DATA)")
    p.add_argument("--examples", type=int, default=6000, help="training examples (default 6000)")
    p.add_argument("--engine", choices=engines.ENGINES, default=engines.default_engine())
    p.add_argument("--epochs", type=int, default=1, help="passes over them (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    p.add_argument("--steps", type=int, default=20, help="steps timed (default 20; 0: none)")
    a = p.parse_args()
    images, labels = mnist.load("train", a.data, download=False)
    test_images, test_labels = mnist.load("test", a.data, download=False)
    examples = [
        engines.sparse(im) + (d,) for im, d in zip(images[: a.examples], labels[: a.examples])
    ]
    best = {"A": 0.0, "B": 0.0, "C": 0.0}
    best_cpu = {"A": 0.0, "B": 0.0}
    snapshots, shares = 0, []
    for r in range(a.rounds):
        for way in ("A", "B", "C") if r % 2 == 0 else ("C", "B", "A"):  # neither always first
            view = None if way == "A" else live.start()
            client = None
            if way == "C":
                client = subprocess.Popen([sys.executable, "-c", POLLER, view.url])
            try:
                speed, share, cpu = run(
                    a.engine, examples, a.epochs, test_images, test_labels, view
                )
            finally:
                if client is not None:
                    client.terminate()
                    client.wait()
                if view is not None:
                    snapshots = view.version
                    view.close()
            best[way] = max(best[way], speed)
            if way in best_cpu:
                best_cpu[way] = max(best_cpu[way], cpu)
            if way == "B":
                shares.append(share)
    print(f"engine: {a.engine}")
    print(f"examples: {len(examples) * a.epochs:d}")
    print(f"A_without_live_examples_per_second: {best['A']:.0f}")
    print(f"B_with_live_examples_per_second: {best['B']:.0f}")
    print(f"C_with_live_and_a_client_examples_per_second: {best['C']:.0f}")
    print(f"B_overhead_percent: {100 * (1 - best['B'] / best['A']):.1f}")
    print(f"A_examples_per_cpu_second: {best_cpu['A']:.0f}")
    print(f"B_examples_per_cpu_second: {best_cpu['B']:.0f}")
    print(f"B_overhead_cpu_percent: {100 * (1 - best_cpu['B'] / best_cpu['A']):.1f}")
    print(f"C_overhead_percent: {100 * (1 - best['C'] / best['A']):.1f}")
    print(f"B_in_view_percent: {100 * min(shares):.1f} (best) {100 * max(shares):.1f} (worst)")
    print(f"snapshots_last_run: {snapshots:d}")
    if a.steps:
        times = step_times(a.data, a.engine, a.steps)
        print(f"step_ms_median: {statistics.median(times):.0f}")
        print(f"step_ms_max: {max(times):.0f}")


if __name__ == "__main__":
    main()
