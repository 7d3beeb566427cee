"""Training and evaluation speed:  python benchmarks/train_speed.py [--data DIR] [--examples N]

Trains the 784-16-16-10 network on the first N MNIST training images (one pass, batches of
10, cross-entropy) with the default engine for this Python, then evaluates the 10,000 test
images, and prints `name: value` lines. Also reports the peak memory of the process.

With --watcher it times instead the whole of tinynet.train.train (N images, one epoch, 1,000
test images) with and without a watcher that does nothing, alternating, and prints what the
watcher hook costs.
"""

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynet import engines, mnist, network, train  # noqa: E402
from tinynet.engines import evaluate  # noqa: E402
from tinynet.support.cli import positive_int  # noqa: E402


def peak_memory_mb():
    try:
        import resource
    except ImportError:
        return float("nan")
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="MNIST folder (default $TINYNET_DATA)")
    p.add_argument(
        "--examples",
        type=positive_int,
        default=12000,
        help="training examples to time (default 12000)",
    )
    p.add_argument("--engine", choices=engines.ENGINES, default=engines.default_engine())
    p.add_argument(
        "--repeat",
        type=positive_int,
        default=3,
        help="timing runs; the best is reported (default 3)",
    )
    p.add_argument(
        "--watcher", action="store_true", help="time the watcher hook of train.train instead"
    )
    a = p.parse_args()
    if a.watcher:
        return time_watcher(a)
    images, labels = mnist.load("train", a.data, download=False)
    test_images, test_labels = mnist.load("test", a.data, download=False)
    examples = [
        engines.sparse(im) + (d,) for im, d in zip(images[: a.examples], labels[: a.examples])
    ]
    batches = [examples[k : k + 10] for k in range(0, len(examples), 10)]
    best_train, best_eval = float("inf"), float("inf")
    for _ in range(a.repeat):
        engine = engines.make_engine(network.new_network(seed=1), a.engine)
        t = time.perf_counter()
        engine.train(batches, 0.5, "cross-entropy")
        best_train = min(best_train, time.perf_counter() - t)
        t = time.perf_counter()
        correct, _ = evaluate(engine, test_images, test_labels)
        best_eval = min(best_eval, time.perf_counter() - t)
    print(f"python: {platform.python_implementation()} {platform.python_version()}")
    print(f"engine: {a.engine}")
    print(f"train_examples: {len(examples):d}")
    print("train_examples_per_second: %.0f" % (len(examples) / best_train))
    print(f"evaluate_images: {len(test_images):d}")
    print(f"evaluate_seconds: {best_eval:.3f}")
    print("test_accuracy_after_one_pass: %.4f" % (correct / len(test_images)))
    print(f"peak_memory_mb: {peak_memory_mb():.0f}")


class DoNothing:
    def on_batch(self, info):
        pass


def time_watcher(a):
    kw = dict(data=a.data, limit=a.examples, epochs=1, test_limit=1000, quiet=True)
    kw.update(engine=a.engine, out=str(Path(tempfile.mkdtemp()) / "w.json"), download=False)
    best = {"without": float("inf"), "with": float("inf")}
    for _ in range(a.repeat):
        for name, watchers in (("without", []), ("with", [DoNothing()])):
            t = time.process_time()  # CPU time: less shaken by other processes than the clock
            train.train(watchers=watchers, **kw)
            best[name] = min(best[name], time.process_time() - t)
    print(f"python: {platform.python_implementation()} {platform.python_version()}")
    print(f"engine: {a.engine}")
    print(f"train_cpu_seconds_without_watcher: {best['without']:.3f}")
    print(f"train_cpu_seconds_with_do_nothing_watcher: {best['with']:.3f}")
    print(f"watcher_cost_percent: {100 * (best['with'] / best['without'] - 1):.2f}")


if __name__ == "__main__":
    main()
