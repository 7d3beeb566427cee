"""Peak memory and time of reading the largest and most hostile files the readers accept.

    python3 benchmarks/file_limits.py                 # every case, with this interpreter
    python3 benchmarks/file_limits.py --python pypy3  # the same cases under PyPy
    python3 benchmarks/file_limits.py --python python3 --python pypy3 --only weights
                                                      # weights and checkpoints, under both

Each case makes a file in a temporary folder, then reads it in a fresh process under
`/usr/bin/time -v` (GNU time), and prints its peak resident memory and wall-clock time, and how
the read ended (read, or the one-line error). The goal: at most 300 MB and 5 s for any weights,
checkpoint or IDX file, whatever it holds. With $TINYNET_DATA set, the real MNIST training
images are read too, for comparison.
"""

import argparse
import gzip
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinynet import mnist, network, weights  # noqa: E402
from tinynet.support import memory  # noqa: E402

LIMIT = weights.MAX_BYTES


def header(sizes):
    """The start of a weights file, up to the opening of its "training" record's list."""
    return json.dumps({"format": "tinynet", "version": 1, "sizes": sizes, "activation": "sigmoid"})[
        :-1
    ]


def fill(path, start, item, end, limit=LIMIT):
    """Write start + item repeated + end, as long as the limit allows."""
    n = (limit - len(start) - len(end)) // len(item)
    with open(path, "wb") as f:
        f.write(start)
        f.write(item * n)
        f.write(end)
    return path


def idx_header(dims):
    return bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def gzip_idx(path, dims, payload_size):
    """A gzip IDX file with the given header and payload_size zero bytes (written in pieces)."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(idx_header(dims))
        block = bytes(1 << 20)
        left = payload_size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def largest_weights(path):
    """(path, n): the weights file of the largest 784-n-10 network that fits the limits."""
    n = 1
    while 795 * (n + 1) * 22 < LIMIT and 795 * (n + 1) < weights.MAX_VALUES:  # ~22 B a number
        n += 1
    weights.save(network.new_network([784, n, 10], seed=1), path, "cross-entropy", {"seed": 1})
    while path.stat().st_size > LIMIT or path.read_bytes().count(b",") > weights.MAX_VALUES:
        n -= 10
        weights.save(network.new_network([784, n, 10], seed=1), path, "cross-entropy", {})
    return path, n


def largest_checkpoint(path):
    """The largest checkpoint of a 784-n-10 network, engine lanes (its first layer twice: as
    floats and as whole numbers), that fits the limits; renamed to say n."""
    from tinynet import engines, settings, train

    n = min(weights.MAX_VALUES // (2 * 795), LIMIT // (2 * 795 * 20)) + 20  # 2 numbers a weight
    while True:
        net = network.new_network([784, n, 10], seed=1)
        s = dict(train.DEFAULTS, hidden=str(n), epochs=2, limit=30, engine="lanes")
        record = dict(
            epoch=1, cost=1.5, train_accuracy=0.2, test_accuracy=0.25, seconds=0.1, lr=0.2
        )
        ck = {
            "format": "tinynet-checkpoint",
            "settings": {k: s[k] for k in settings.TRAINING_SETTINGS},
            "epoch": 1,
            "batch": 0,
            "network": weights.to_dict(net),
            "exact": engines.make_engine(net, "lanes").state(),
            "history": [record],
            "stats": None,
            "seconds": 1.0,
        }
        weights.write_json_atomic(path, ck)
        if path.stat().st_size <= LIMIT and path.read_bytes().count(b",") <= weights.MAX_VALUES:
            return path.rename(path.with_name(f"784-{n:d}-10.checkpoint.json"))
        n -= 20


def make_cases(folder):
    """[(name, reader, path)] for every case; reader is one of READERS."""
    folder = Path(folder)
    cases = []

    # -- weights and checkpoints ----------------------------------------------------------------
    path, n = largest_weights(folder / "largest-weights.json")
    cases.append((f"weights 784-{n}-10 ({path.stat().st_size:,d} B)", "weights", path))

    shipped = weights.PRETRAINED
    cases.append((f"shipped weights ({shipped.stat().st_size:,d} B)", "weights", shipped))
    path = largest_checkpoint(folder / "largest.checkpoint.json")
    cases.append((f"checkpoint {path.name} ({path.stat().st_size:,d} B)", "checkpoint", path))

    start = (header([784, 16, 10]) + ', "training": {"x": [').encode()
    most = weights.MAX_VALUES - 100  # values: as many as the commas allow
    few = weights.MAX_CONTAINERS - 100  # lists, objects, strings
    for name, item, count in [
        ("short floats 1e1,", b"1e1,", most),
        ("long floats", b"-1.2345678901234567e-10,", None),
        ("small ints 0,", b"0,", most),
        (f"{weights.MAX_DIGITS:d}-digit ints", b"9" * weights.MAX_DIGITS + b",", None),
        ("40-digit ints", b"9" * 40 + b",", None),
        ("empty lists [],", b"[],", few),
        ("empty objects {},", b"{},", few),
        ("objects with keys", b'{"k":0},', few),
        ("strings of 160 bytes", b'"' + b"a" * 158 + b'",', few),
        ("[[[[ (the most nesting)", b"[", few),
        ("16 MB of 0, (over the count)", b"0,", None),
        ("16 MB of [], (over the count)", b"[],", None),
    ]:
        path = folder / f"hostile-{len(cases)}.json"
        limit = LIMIT if count is None else len(start) + 10 + len(item) * count
        fill(path, start, item, b"0]}}", limit=limit)
        cases.append((f"weights of {name} ({path.stat().st_size:,d} B)", "weights", path))

    path = folder / "over-limit.json"
    with open(path, "wb") as f:
        f.truncate(500 * 1024 * 1024)
    cases.append(("weights file of 500 MB (sparse)", "weights", path))
    cases.append(("weights /dev/zero", "weights", Path("/dev/zero")))

    # -- IDX ------------------------------------------------------------------------------------
    cap = mnist.MAX_IDX_BYTES
    dims = (cap - 8,)
    path = gzip_idx(folder / "idx-largest-flat.gz", dims, cap - 8)
    cases.append((f"IDX {dims[0]:,d} bytes in one piece (gzip)", "idx", path))
    k = 2
    count = cap // (k + 48)
    path = gzip_idx(folder / "idx-largest-split.gz", (count, k), count * k)
    cases.append((f"IDX {count:,d} items of {k} bytes, split (gzip)", "idx-split", path))
    path = gzip_idx(folder / "idx-announced-short.gz", (count, k), count * k - 1)
    cases.append((f"IDX {count:,d}x{k} announced, 1 byte short (gzip)", "idx-split", path))
    path = gzip_idx(folder / "idx-bomb.gz", (2**31, 1), 256 * 1024 * 1024)
    cases.append(("IDX announcing 2 GB, 256 MB of zeros inside (gzip bomb)", "idx-split", path))
    path = folder / "idx-sparse"
    with open(path, "wb") as f:
        f.write(idx_header((60000, 28, 28)))
        f.truncate(3 * 1024**3)
    cases.append(("IDX 3 GB uncompressed (sparse), 47 MB announced", "idx-split", path))

    data = os.environ.get("TINYNET_DATA")
    if data:
        real = Path(data) / "train-images-idx3-ubyte.gz"
        cases.append(("real MNIST training images (for comparison)", "idx-split", real))
    return cases


READERS = {
    "weights": "from tinynet import weights; weights.load_digit_reader(PATH)",
    "checkpoint": "from tinynet.checkpoint import load_checkpoint; load_checkpoint(PATH)",
    "idx": "from tinynet import mnist; mnist.read_idx(PATH)",
    "idx-split": "from tinynet import mnist; mnist.read_idx(PATH, split=True)",
}


def measure(python, reader, path):
    """(peak MB, wall-clock seconds, CPU seconds, outcome) of reading path with reader in a
    fresh process. On a busy machine the CPU time (user + system) is the steadier figure."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); PATH = sys.argv[1]\n"
        "from tinynet.mnist import DataError; from tinynet.weights import WeightsError\n"
        f"try:\n    {READERS[reader]}\n    print('read')\n"
        "except (DataError, WeightsError) as e:\n    print('refused:', str(e)[-90:])\n"
    )
    run = subprocess.run(
        ["/usr/bin/time", "-v", python, "-c", code, str(path), str(ROOT)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYPY_GC_NURSERY=os.environ.get("PYPY_GC_NURSERY", memory.NURSERY)),
    )  # (PyPy's nursery as tinynet's commands set it: support/memory.py)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
    clock = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", run.stderr)
    h, m, s = clock.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    cpu = sum(
        float(t) for t in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", run.stderr)
    )
    outcome = run.stdout.strip() or "CRASHED: " + run.stderr.strip().splitlines()[0]
    return rss / 1024, seconds, cpu, outcome


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--python", action="append", help="interpreter to measure (repeatable; default: this one)"
    )
    parser.add_argument(
        "--only", choices=["weights", "idx"], help="only the weights and checkpoint cases, or IDX"
    )
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cases = make_cases(folder)
        if a.only:
            cases = [
                c for c in cases if (c[1] in ("weights", "checkpoint")) == (a.only == "weights")
            ]
        for python in a.python or [sys.executable]:
            report(python, cases)


def report(python, cases):
    """Print the peak memory and time of every case read by `python`."""
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0], sys.implementation.name)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"{python} ({version}); limits: weights {LIMIT:,d} B, IDX {mnist.MAX_IDX_BYTES:,d} B")
    print("   peak  wall    CPU  case: outcome")
    for name, reader, path in cases:
        peak, seconds, cpu, outcome = measure(python, reader, path)
        print(f"{peak:5.0f} MB {seconds:5.2f} s {cpu:5.2f} s  {name}: {outcome}", flush=True)


if __name__ == "__main__":
    main()
