"""What the live view costs training:  python benchmarks/live_overhead.py [--data DIR]

Trains one pass over the first N MNIST training images (batches of 10, cross-entropy, one
engines.train_batches call per batch as train.py makes them) twice per round: A without the
live view, B with it: tinynet.live.start(), an info dict and on_batch after every batch, and
a client asking for /api/state four times a second, as the page does. The rounds alternate
A and B so that a busy machine slows both alike; the best of each is reported, as
`name: value` lines.
"""

import argparse
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynet import engines, live, mnist, network  # noqa: E402


def poll(url, stop, counter):
    while not stop.is_set():
        with urllib.request.urlopen(url + "api/state", timeout=10) as r:
            r.read()
        counter[0] += 1
        stop.wait(0.25)


def run(engine_name, examples, test_images, test_labels, view):
    engine = engines.make_engine(network.new_network(seed=1), engine_name)
    batches = [examples[k : k + 10] for k in range(0, len(examples), 10)]
    n = len(examples)
    got = []
    t0 = time.perf_counter()
    seen = 0
    for k, batch in enumerate(batches):
        engines.train_batches(
            engine, [batch], 0.5, "cross-entropy", lambda s, c, r: got.append((s, c))
        )
        if view is not None:
            seen += len(batch)
            elapsed = time.perf_counter() - t0
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
    return n / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="MNIST folder (default $TINYNET_DATA)")
    p.add_argument("--examples", type=int, default=6000, help="training examples (default 6000)")
    p.add_argument("--engine", choices=engines.ENGINES, default=engines.default_engine())
    p.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    a = p.parse_args()
    images, labels = mnist.load("train", a.data, download=False)
    test_images, test_labels = mnist.load("test", a.data, download=False)
    examples = [
        engines.sparse(im) + (d,) for im, d in zip(images[: a.examples], labels[: a.examples])
    ]
    best_a = best_b = 0.0
    snapshots = polls = 0
    for _ in range(a.rounds):
        best_a = max(best_a, run(a.engine, examples, test_images, test_labels, None))
        view = live.start()
        stop, counter = threading.Event(), [0]
        client = threading.Thread(target=poll, args=(view.url, stop, counter), daemon=True)
        client.start()
        try:
            best_b = max(best_b, run(a.engine, examples, test_images, test_labels, view))
        finally:
            stop.set()
            client.join()
            snapshots, polls = view.version, counter[0]
            view.close()
    print(f"engine: {a.engine}")
    print(f"examples: {len(examples):d}")
    print(f"without_live_examples_per_second: {best_a:.0f}")
    print(f"with_live_examples_per_second: {best_b:.0f}")
    print(f"live_overhead_percent: {100 * (1 - best_b / best_a):.1f}")
    print(f"snapshots_last_round: {snapshots:d}")
    print(f"page_requests_last_round: {polls:d}")


if __name__ == "__main__":
    main()
