"""Seconds and peak memory of reading big images, on CPython or PyPy, old code against new.

Makes, in a temporary folder, the big images a person has (a 12-megapixel RGB photo, an
8000 × 8000 grey scan, 64-megapixel images) and the worst cases (every row Paeth-filtered
noise, a PNM header of 32 million comment lines, an 8000 × 8000 plain PBM with no whitespace
in its raster).  Each file is read by `imagefile.read_image_and_scale` in a fresh process (a
script that, like every tinynet command, first keeps PyPy's nursery small: support/memory.py)
of the interpreter given (`--python pypy3`), once for each tinynet source tree given with
`--code` (A/B in one run: e.g. a copy of main's code made with
`git archive main tinynet | tar -x -C /tmp/main`).  Printed for each: seconds (wall), peak
RSS and CPU seconds (user + system: less disturbed than wall time on a busy machine) of that
process (resource.getrusage(RUSAGE_CHILDREN) in a small wrapper),
and what came back ("read W×H /k", or "refused: " and the one-line reason).

The pixel values are random bytes with a chosen filter type on each row: only the filter mix
and the size matter for the work of decoding (the photo's mix, 40 % Paeth, 30 % Up, 20 % Sub
and 10 % Average, is an assumption about what photo encoders choose).  No assertions.

Run:  python3 benchmarks/big_images.py [--python pypy3] [--code DIR ...] [--only NAME ...]
"""

import argparse
import json
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs the reader in a child of the interpreter under test; prints that child's peak memory.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run([sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime  # KiB on Linux
lines = done.stdout.decode("utf-8", "replace").strip().splitlines() or [""]
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kib": peak, "said": lines[-1]}))
"""

# Run as a script file (not -c), so that on PyPy it can start itself again with a small nursery
# as every tinynet command does (support/memory.py; code without it reads with PyPy's own).
READER = """
import sys
sys.path.insert(0, sys.argv[1])
try:
    from tinynet.support.memory import small_nursery_on_pypy
    small_nursery_on_pypy()
except ImportError:
    pass
from tinynet.images import imagefile
try:
    width, height, rgba, k = imagefile.read_image_and_scale(sys.argv[2])
    print(f"read {width}x{height} /{k}")
except imagefile.ImageError as exc:
    print(f"refused: {exc}")
"""

PHOTO_MIX = [4, 2, 1, 4, 2, 3, 4, 1, 4, 2]  # 40 % Paeth, 30 % Up, 20 % Sub, 10 % Average
SCAN_MIX = [1, 2, 0, 2]


def make_png(width, height, channels, filters, bits_used=8, seed=1):
    """A PNG of random bytes (`bits_used` low bits of each), row y filtered with
    filters[y % len(filters)]; fewer bits used compress better (to stay under 64 MB)."""
    colour = {1: 0, 3: 2, 4: 6}[channels]
    row = width * channels
    rng = random.Random(seed)
    noise = rng.randbytes(row * 64).translate(bytes(i & ((1 << bits_used) - 1) for i in range(256)))
    compressor = zlib.compressobj(1)
    parts = []
    for y in range(height):
        start = rng.randrange(0, len(noise) - row)
        parts.append(compressor.compress(bytes([filters[y % len(filters)]])))
        parts.append(compressor.compress(noise[start : start + row]))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def cases():
    """(name, what it is, function making the bytes)."""
    return [
        ("photo-12MP", "4000×3000 RGB, photo mix", lambda: make_png(4000, 3000, 3, PHOTO_MIX, 5)),
        (
            "scan-8000",
            "8000×8000 grey scan, Sub/Up/None",
            lambda: make_png(8000, 8000, 1, SCAN_MIX, 4),
        ),
        ("photo-64MP", "8192×8192 RGB, photo mix", lambda: make_png(8192, 8192, 3, PHOTO_MIX, 1)),
        ("grey-64MP-up", "8192×8192 grey, Up", lambda: make_png(8192, 8192, 1, [2], 4)),
        ("paeth-12MP", "4000×3000 RGB noise, all Paeth", lambda: make_png(4000, 3000, 3, [4])),
        ("paeth-64MP", "8000×8000 grey noise, all Paeth", lambda: make_png(8000, 8000, 1, [4])),
        (
            "mixed-12MP",
            "4000×3000 RGBA, filters 0-4 in turn",
            lambda: make_png(4000, 3000, 4, [0, 1, 2, 3, 4], 3),
        ),
        (
            "paeth-rgba-2048",
            "2048×2047 RGBA noise, all Paeth (within the old limits)",
            lambda: make_png(2048, 2047, 4, [4]),
        ),
        ("avg-12MP", "4000×3000 RGB noise, all Average", lambda: make_png(4000, 3000, 3, [3])),
        (
            "pnm-hash-flood",
            "P5 + 32 M lines '#' + 1×1 (64 MB)",
            lambda: b"P5\n" + b"#\n" * ((64 << 20) // 2 - 8) + b"1 1 255\n\0",
        ),
        (
            "pnm-space-hash",
            "P5 + 21 M lines ' #' + 1×1 (64 MB)",
            lambda: b"P5\n" + b" #\n" * ((64 << 20) // 3 - 8) + b"1 1 255\n\0",
        ),
        (
            "p1-8000",
            "P1 8000×8000, no whitespace in the raster",
            lambda: (
                b"P1\n8000 8000\n" + random.Random(1).randbytes(8000 * 8000).translate(b"01" * 128)
            ),
        ),
        (
            "p5-8000",
            "raw PGM 8000×8000 (64 MB)",
            lambda: b"P5\n8000 8000\n255\n" + random.Random(2).randbytes(8000 * 8000),
        ),
        ("small-300", "examples/seven-ink-on-paper.png (300²)", None),
    ]


def measure(python, reader, code, path):
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, python, str(reader), str(code), str(path)],
        stdout=subprocess.PIPE,
        check=True,
    )
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter to read with")
    parser.add_argument("--code", nargs="*", default=[str(ROOT)], help="tinynet source trees")
    parser.add_argument("--only", nargs="*", help="run only the cases with these names")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tinynet-big-images-"))
    reader = folder / "reader.py"
    reader.write_text(READER)
    print(
        f"reading with {args.python}; code: "
        + ", ".join(f"[{i}] {c}" for i, c in enumerate(args.code))
    )
    print(f"{'case':<15} {'file MB':>7} code {'wall s':>7} {'cpu s':>6} {'peak MB':>8}  result")
    try:
        for name, what, make in cases():
            if args.only and name not in args.only:
                continue
            path = ROOT / "examples" / "seven-ink-on-paper.png" if make is None else folder / name
            if make is not None:
                path.write_bytes(make())
            print(f"{name:<15} {path.stat().st_size / 1e6:>7.1f}       {what}")
            for i, code in enumerate(args.code):
                result = measure(args.python, reader, code, path)
                said = result["said"] if len(result["said"]) <= 110 else result["said"][:109] + "…"
                print(
                    f"{'':<15} {'':>7}  [{i}] {result['seconds']:>7.2f} {result['cpu']:>6.2f} "
                    f"{result['peak_kib'] / 1024:>8.0f}  {said}",
                    flush=True,
                )
            if make is not None:
                path.unlink()
    finally:
        shutil.rmtree(str(folder), ignore_errors=True)


if __name__ == "__main__":
    main()
