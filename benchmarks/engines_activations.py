"""Engine speed for any network:  python benchmarks/engines_activations.py [options]

Trains a network (default 784-16-16-10, sigmoid, cross-entropy, batches of 10, seed 1) on the
first N MNIST training images with the default engine for this Python, and prints
`name: value` lines: the best of --repeat passes, in training examples per CPU second.

    --sizes 784,2048,10 --activation relu --output sigmoid --cost quadratic   the wide network
    --against /work/main    A/B: the same measurement with the tinynet of another checkout
                            (its default sigmoid network), alternating A, B, A, B … in separate
                            processes of this same Python (--rounds times), so that both see
                            the same machine
"""

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="MNIST folder (default $TINYNET_DATA)")
    p.add_argument("--sizes", default="784,16,16,10", help="layer sizes (default 784,16,16,10)")
    p.add_argument("--activation", default="sigmoid", help="hidden activation (default sigmoid)")
    p.add_argument("--output", default="sigmoid", help="output layer (default sigmoid)")
    p.add_argument("--cost", default="cross-entropy", help="cost (default cross-entropy)")
    p.add_argument("--eta", type=float, default=0.5, help="learning rate (default 0.5)")
    p.add_argument("--examples", type=int, default=3000, help="training examples (default 3000)")
    p.add_argument("--repeat", type=int, default=3, help="passes; the best counts (default 3)")
    p.add_argument("--engine", help="engine (default: this Python's)")
    p.add_argument("--against", help="another checkout to A/B against, alternating")
    p.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    p.add_argument("--root", default=str(HERE), help=argparse.SUPPRESS)  # the checkout to time
    return p.parse_args(argv)


def make_network(network, a):
    """The network to train; a checkout from before activations only builds sigmoid ones."""
    sizes = [int(n) for n in a.sizes.split(",")]
    if a.activation == "sigmoid" and a.output == "sigmoid":
        return network.new_network(sizes, seed=1)
    return network.new_network(sizes, seed=1, activation=a.activation, output=a.output)


def time_one_checkout(a):
    """Best examples per CPU second of --repeat passes, with the tinynet found in a.root."""
    sys.path.insert(0, a.root)
    from tinynet import engines, mnist, network

    images, labels = mnist.load("train", a.data, download=False)
    examples = [engines.sparse(im) + (d,) for im, d in zip(images[: a.examples], labels)]
    batches = [examples[k : k + 10] for k in range(0, len(examples), 10)]
    name = a.engine or engines.default_engine()
    best = float("inf")
    for _ in range(a.repeat):
        engine = engines.make_engine(make_network(network, a), name)
        t = time.process_time()  # CPU time: less shaken by the other processes than the clock
        engine.train(batches, a.eta, a.cost)
        best = min(best, time.process_time() - t)
    return name, len(examples) / best


def run_child(root, a):
    """examples/s measured in a fresh process of this Python, timing the checkout `root`."""
    argv = [f"--{k}={v}" for k, v in vars(a).items() if v is not None and k not in CHILD_SKIPS]
    done = subprocess.run(
        [sys.executable, __file__, *argv, "--root", root],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    if done.returncode:
        sys.exit(f"{root}: " + (done.stderr.strip().splitlines() or ["failed"])[-1])
    return float(done.stdout.split("examples_per_cpu_second:")[1].split()[0])


CHILD_SKIPS = ("against", "rounds", "root")


def main():
    a = parse_args()
    print(f"python: {platform.python_implementation()} {platform.python_version()}")
    print(f"network: {a.sizes} {a.activation} hidden, {a.output} output, {a.cost} cost")
    if not a.against:
        name, speed = time_one_checkout(a)
        print(f"engine: {name}")
        print(f"train_examples: {a.examples:d}")
        print(f"examples_per_cpu_second: {speed:.0f}")
        return
    seen = {a.against: [], str(HERE): []}
    for _ in range(a.rounds):
        for root in seen:
            seen[root].append(run_child(root, a))
    for label, root in (("A", a.against), ("B", str(HERE))):
        runs = ", ".join(f"{s:.0f}" for s in seen[root])
        print(f"{label} {root}: examples_per_cpu_second: best {max(seen[root]):.0f} ({runs})")
    print(f"B_over_A_best: {max(seen[str(HERE)]) / max(seen[a.against]):.3f}")
    print(f"B_over_A_mean: {sum(seen[str(HERE)]) / sum(seen[a.against]):.3f}")


if __name__ == "__main__":
    main()
