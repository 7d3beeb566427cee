"""How long deskewing MNIST's 70,000 images takes, and what it does to them.

    python benchmarks/deskew_speed.py --data DIR [--limit N]
    pypy3 benchmarks/deskew_speed.py --data DIR

Prints `name: value` lines: seconds to deskew all images (train + test) on this interpreter,
microseconds per image, the seconds to read them back from the cache (tinynet.images.deskew.
deskewed), the mean |α| (slant) before and after, and the largest change of an image's mass.
"""

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynet import mnist  # noqa: E402
from tinynet.images import deskew as dk  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder with the MNIST .gz files (default: $TINYNET_DATA)")
    p.add_argument("--limit", type=int, help="only the first N images")
    a = p.parse_args()
    train, _ = mnist.load("train", data_dir=a.data, download=False)
    test, _ = mnist.load("test", data_dir=a.data, download=False)
    images = (train + test)[: a.limit]
    t = time.perf_counter()
    out = dk.deskew_all(images)
    seconds = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as folder:
        key = hashlib.sha256(b"".join(images)).hexdigest()
        dk.deskewed(images, key, folder)  # computes and writes the cache
        t = time.perf_counter()
        cached = dk.deskewed(images, key, folder)
        read_seconds = time.perf_counter() - t
    assert cached == out
    before = sum(abs(dk.skew(im)) for im in images) / len(images)
    after = sum(abs(dk.skew(im)) for im in out) / len(out)
    worst = max(abs(sum(o) - sum(i)) / sum(i) for i, o in zip(images, out) if sum(i))
    capped = sum(1 for im in images if abs(dk.skew(im)) > dk.MAX_SHEAR)
    print(f"python: {sys.implementation.name} {sys.version.split()[0]}")
    print(f"images: {len(images):d}")
    print(f"deskew_seconds: {seconds:.1f}")
    print(f"deskew_us_per_image: {1e6 * seconds / len(images):.0f}")
    print(f"cache_read_seconds: {read_seconds:.2f}")
    print(f"mean_abs_slant_before: {before:.4f}")
    print(f"mean_abs_slant_after: {after:.4f}")
    print(f"largest_relative_mass_change: {worst:.5f}")
    print(f"shears_capped_at_45_degrees: {capped:d}")


if __name__ == "__main__":
    main()
