"""Why ReLU: sigmoid vs ReLU hidden layers on a deep stack, test accuracy after each epoch.

    python benchmarks/why_relu.py [--data DIR] [--epochs 10] [--limit 5000] [--hidden 64,32,16]
                                  [--out docs/why-relu.svg] [--test-limit N]

Trains the network 784-64-32-16-10 twice, on the first 5,000 training images, with the same
settings (tinynet.train's defaults: cross-entropy cost, sigmoid output, η 0.2 → 0.01, λ = 5,
deskewing, seed 1), once with sigmoid hidden layers and once with ReLU ones, and prints the
test accuracy (all 10,000 test images) of each after every epoch;
first it prints the mean |∂C/∂b| of each layer at the start (backprop on the first 100
training images): with sigmoids, each layer back multiplies δ by σ′(z) ≤ ¼, so the first
layers hear almost nothing. The chart of both runs (visualize.comparison_svg) goes to --out.
Epochs of 5,000 images show the first epoch of a full run (60,000: --limit 60000) in slow
motion; there the sigmoid stack catches up within an epoch. pypy3 runs it in about 30 s.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynet import mnist, network, train, visualize  # noqa: E402
from tinynet.support.files import write_atomic  # noqa: E402

ACTIVATIONS = ("sigmoid", "relu")
NAMES = {"sigmoid": "sigmoid hidden layers", "relu": "ReLU hidden layers"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="MNIST folder (default $TINYNET_DATA)")
    p.add_argument("--epochs", type=int, default=10, help="epochs of each run (default 10)")
    p.add_argument("--hidden", default="64,32,16", help="hidden layers (default 64,32,16)")
    p.add_argument("--out", default="why-relu.svg", help="the chart (default why-relu.svg)")
    p.add_argument(
        "--limit", type=int, default=5000, help="train on the first N images (default 5000)"
    )
    p.add_argument("--test-limit", type=int, help="evaluate on the first N test images")
    return p.parse_args(argv)


def start_gradients(sizes, activation, images, labels):
    """Mean |∂C/∂b| of each layer, over the examples, for the seed-1 network before training."""
    net = network.new_network(sizes, seed=1, activation=activation)
    totals = [0.0] * (len(sizes) - 1)
    for image, digit in zip(images, labels):
        x = [p / 255.0 for p in image]  # pixels 0…255 → inputs 0…1, as training has them
        dC_db = network.backprop(net, x, network.one_hot(digit))[0]
        for l, layer in enumerate(dC_db):
            totals[l] += sum(abs(d) for d in layer) / len(layer)
    return [t / len(images) for t in totals]


def run(activation, a, folder):
    """Train one network; returns its log's records (one per epoch)."""
    out = Path(folder) / f"{activation}.json"
    train.train(quiet=True, data=a.data, epochs=a.epochs, hidden=a.hidden, activation=activation,
                limit=a.limit, test_limit=a.test_limit, out=str(out), download=False)  # fmt: skip
    return visualize.read_log(Path(f"{out}.log.jsonl"))


def table(runs):
    """The test accuracy of each run after every epoch, as lines of text."""
    lines = ["epoch  " + "  ".join(f"{NAMES[act]:>22}" for act, _ in runs)]
    for k in range(len(runs[0][1])):
        cells = [f"{records[k]['test_accuracy'] * 100:21.2f}%" for _, records in runs]
        lines.append(f"{runs[0][1][k]['epoch']:5d}  " + "  ".join(cells))
    return lines


def main(argv=None):
    a = parse_args(argv)
    sizes = [784] + [int(h) for h in a.hidden.split(",")] + [10]
    images, labels = mnist.load("train", a.data, download=False)
    print(f"network {'-'.join(map(str, sizes))}: mean |∂C/∂b| of each layer at the start")
    for activation in ACTIVATIONS:
        means = start_gradients(sizes, activation, images[:100], labels[:100])
        print(f"  {activation:8}" + "".join(f"{m:11.2e}" for m in means))
    with tempfile.TemporaryDirectory() as folder:
        runs = [(act, run(act, a, folder)) for act in ACTIVATIONS]
    print("test accuracy after each epoch:")
    for line in table(runs):
        print("  " + line)
    svg = visualize.comparison_svg([(NAMES[act], records) for act, records in runs])
    write_atomic(a.out, svg.encode("utf-8"))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
