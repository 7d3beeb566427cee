"""What the live view costs training:  python benchmarks/live_overhead.py [--data DIR]

Trains E passes over the first N MNIST training images (batches of 10, cross-entropy, one
engine.train call per batch as train.py makes them) three ways per round:

  A  without the live view;
  B  with it: tinynet.live.start(), an info dict and on_batch after every batch (a snapshot
     once a second), the server running;
  C  as B, plus another process asking for each new snapshot (/api/state?after=N) as the page
     does. That process needs the CPU too; on a laptop the browser does, and on a machine whose
     cores are all busy it takes time from the training.

The rounds alternate A, B and C so that a busy machine slows all alike; the best of each is
reported, as `name: value` lines. Make the runs last several seconds (--examples, --epochs):
the view takes a snapshot at the first batch and then once a second. Because differences of a
few percent drown in a busy machine's noise, B also clocks the time spent inside the view's
own calls (on_batch, and the snapshots it takes) as a share of its run time: in_view_percent.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynet import engines, live, mnist, network  # noqa: E402

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
    t0 = time.perf_counter()
    seen = 0
    for k, batch in enumerate(batches):
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
    return n / total, in_view / total


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="MNIST folder (default $TINYNET_DATA)")
    p.add_argument("--examples", type=int, default=6000, help="training examples (default 6000)")
    p.add_argument("--engine", choices=engines.ENGINES, default=engines.default_engine())
    p.add_argument("--epochs", type=int, default=1, help="passes over them (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    a = p.parse_args()
    images, labels = mnist.load("train", a.data, download=False)
    test_images, test_labels = mnist.load("test", a.data, download=False)
    examples = [
        engines.sparse(im) + (d,) for im, d in zip(images[: a.examples], labels[: a.examples])
    ]
    best = {"A": 0.0, "B": 0.0, "C": 0.0}
    snapshots, shares = 0, []
    for _ in range(a.rounds):
        for way in ("A", "B", "C"):
            view = None if way == "A" else live.start()
            client = None
            if way == "C":
                client = subprocess.Popen([sys.executable, "-c", POLLER, view.url])
            try:
                speed, share = run(a.engine, examples, a.epochs, test_images, test_labels, view)
            finally:
                if client is not None:
                    client.terminate()
                    client.wait()
                if view is not None:
                    snapshots = view.version
                    view.close()
            best[way] = max(best[way], speed)
            if way == "B":
                shares.append(share)
    print(f"engine: {a.engine}")
    print(f"examples: {len(examples) * a.epochs:d}")
    print(f"A_without_live_examples_per_second: {best['A']:.0f}")
    print(f"B_with_live_examples_per_second: {best['B']:.0f}")
    print(f"C_with_live_and_a_client_examples_per_second: {best['C']:.0f}")
    print(f"B_overhead_percent: {100 * (1 - best['B'] / best['A']):.1f}")
    print(f"C_overhead_percent: {100 * (1 - best['C'] / best['A']):.1f}")
    print(f"B_in_view_percent: {100 * min(shares):.1f} (best) {100 * max(shares):.1f} (worst)")
    print(f"snapshots_last_run: {snapshots:d}")


if __name__ == "__main__":
    main()
