"""Peak memory and time of `python -m tinynet.predict FILE` on hostile and huge image files.

Makes, in a temporary folder, the files a reliability probe found (tiny PNGs that claim
enormous images, a zlib bomb, a 14-byte PGM with a huge number, big PNM files) and the
largest images tinynet's limits accept, of each kind (1-bit, 8-bit grey, RGBA16 with the
Paeth filter on every row, Adam7 interlaced, PNM raw and plain).  Every row of a file is the
same random row, so the files compress well and are made at C speed.

Each file is read by its own `python -m tinynet.predict FILE` (a fresh process); its peak
memory (ru_maxrss of that child, from resource.getrusage(RUSAGE_CHILDREN) in a small wrapper
process), wall time and CPU time (user + system: less disturbed than wall time on a shared,
busy machine) are printed as a table, with the first line predict wrote (a digit,
or the one-line reason the file was refused).  No assertions: this only measures.

Run:  python3 benchmarks/image_limits.py [--only NAME ...] [--keep]
 or:  pypy3 benchmarks/image_limits.py ...   (each predict then runs under PyPy: the wrapper
      and predict use the interpreter that runs this script)
The figures are in docs/files-and-limits.md ("Images").
"""

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinynet.images import png  # noqa: E402

#: The "largest" cases below are the largest images of the old 16 MB limit on inflated PNG
#: data (png now bounds the work instead: benchmarks/big_images.py measures bigger ones).
DATA_BYTES = 2048 * (1 + 4 * 2048)

# Runs predict in a child and reports that child's peak memory and wall time as JSON.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run([sys.executable, "-m", "tinynet.predict", sys.argv[1]],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=sys.argv[2])
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak = usage.ru_maxrss  # KiB on Linux
cpu = usage.ru_utime + usage.ru_stime
out = done.stdout.decode("utf-8", "replace").strip().splitlines()
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kib": peak, "status": done.returncode,
                  "first_line": out[0] if out else "", "lines": len(out)}))
"""


def random_row(size, seed):
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(size))


def make_png(width, height, depth=8, colour=0, filter_type=0, interlace=False, seed=1):
    """A PNG whose rows (of every Adam7 pass) are one random row, filtered with `filter_type`.

    Written straight from the header numbers, so IHDRs over tinynet's limits can be made too;
    the scanlines of such a file are left out (the decoder refuses it at the IHDR).
    """
    header = png.Header(width, height, depth, colour, interlace)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, int(interlace))
    try:
        size = png.expected_data_size(header)
    except (KeyError, ValueError):
        size = None
    if size is None or size > 4 * DATA_BYTES:
        idat = zlib.compress(bytes(1000))  # the header alone is hostile enough
    else:
        widest = png.row_bytes(width, header)
        row = random_row(min(widest, 1 << 14), seed)
        row = (row * (widest // len(row) + 1))[:widest]
        compressor = zlib.compressobj(1)
        parts = []
        for _, _, _, _, w, h in png.passes(header):
            line = bytes([filter_type]) + row[: png.row_bytes(w, header)]
            for _ in range(h):
                parts.append(compressor.compress(line))
        parts.append(compressor.flush())
        idat = b"".join(parts)
    return (
        png.SIGNATURE + png.chunk("IHDR", ihdr) + png.chunk("IDAT", idat) + png.chunk("IEND", b"")
    )


def zlib_bomb(width, height, total):
    """A valid PNG header over a zlib stream of `total` zero bytes (far more than the image)."""
    compressor = zlib.compressobj(9)
    block = 1 << 20
    first = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = (
        first
        + repeat * (total // block - 1)
        + b"\x03\x00"
        + struct.pack(">I", (total % 65521) << 16 | 1)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        png.SIGNATURE + png.chunk("IHDR", ihdr) + png.chunk("IDAT", stream) + png.chunk("IEND", b"")
    )


def raw_pnm(kind, width, height, maxval=255, seed=1):
    channels = 3 if kind == 6 else 1
    row = width * channels * (2 if maxval > 255 else 1) if kind != 4 else (width + 7) // 8
    data = random_row(row, seed)
    if maxval not in (255, 65535, 1):
        data = bytes(v % (maxval + 1) for v in data)
    head = b"P%d\n%d %d\n" % (kind, width, height) + (b"" if kind == 4 else b"%d\n" % maxval)
    return head + data * height


def plain_pnm(kind, width, height, maxval=255, seed=1):
    rng = random.Random(seed)
    channels = 3 if kind == 3 else 1
    if kind == 1:
        row = bytes(rng.choice(b"01") for _ in range(width)) + b"\n"
        return b"P1\n%d %d\n" % (width, height) + row * height
    values = [rng.randint(0, maxval) for _ in range(width * channels)]
    row = b" ".join(b"%d" % v for v in values) + b"\n"
    return b"P%d\n%d %d\n%d\n" % (kind, width, height, maxval) + row * height


def largest_square(depth, colour, interlace):
    """The largest n with an n × n image of this kind within tinynet's PNG limits."""
    lo, hi = 1, png.MAX_SIDE
    while lo < hi:
        n = (lo + hi + 1) // 2
        header = png.Header(n, n, depth, colour, interlace)
        if n * n <= png.MAX_PIXELS and png.expected_data_size(header) <= DATA_BYTES:
            lo = n
        else:
            hi = n - 1
    return lo


def cases():
    """(name, what it is, function making the bytes)."""
    grey8 = largest_square(8, 0, False)
    rgba16 = largest_square(16, 6, False)
    rgba8_adam7 = largest_square(8, 6, True)
    rgb8 = largest_square(8, 2, False)
    plain_side = 2048  # pnm.MAX_SLOW_SAMPLES = 2048²
    return [
        # what the probe found
        ("probe-1bit-9459", "11 KB PNG claiming 9459² 1-bit grey", lambda: make_png(9459, 9459, 1)),
        (
            "probe-rgba16-9459",
            "9459² RGBA16 Paeth (header; refused before inflating)",
            lambda: make_png(9459, 9459, 16, 6, 4),
        ),
        ("probe-1x89M", "1 × 89,478,485 1-bit", lambda: make_png(1, 89478485, 1)),
        ("probe-grey-8000", "8000² 8-bit grey scan", lambda: make_png(8000, 8000, 8, 0, 1)),
        ("probe-photo-12MP", "4000×3000 RGB photo, Paeth", lambda: make_png(4000, 3000, 8, 2, 4)),
        ("zlib-bomb", "100² grey over 1 GiB of zeros", lambda: zlib_bomb(100, 100, 1 << 30)),
        ("pgm-14-bytes", "P5 1111111111\\xff", lambda: b"P5 1111111111\xff"),
        (
            "chunk-flood",
            "1×1 PNG with 5.6 million empty tEXt chunks (64 MB)",
            lambda: make_png(1, 1)[:33] + png.chunk("tEXt", b"") * ((64 << 20) // 12 - 3),
        ),
        (
            "pgm-space-flood",
            "PGM header of 64 MB of spaces",
            lambda: b"P5" + b" " * ((64 << 20) - 20) + b"1 1 255\n\x07",
        ),
        ("p5-8000", "raw PGM 8000² (64 MB)", lambda: raw_pnm(5, 8000, 8000)),
        ("p6-4600", "raw PPM 4600² (63 MB)", lambda: raw_pnm(6, 4600, 4600)),
        ("p5-16bit-64MB", "raw PGM 16-bit 5792²", lambda: raw_pnm(5, 5792, 5792, 65535)),
        ("p2-64MB", "plain PGM 5000² (64 MB)", lambda: plain_pnm(2, 5000, 5000, 15)[: 64 << 20]),
        # the largest images the limits accept
        ("max-1bit", "8192² 1-bit grey, Paeth", lambda: make_png(8192, 8192, 1, 0, 4)),
        (
            "max-grey8-paeth",
            f"{grey8}² 8-bit grey, Paeth",
            lambda: make_png(grey8, grey8, 8, 0, 4),
        ),
        (
            "max-grey8-none",
            f"{grey8}² 8-bit grey, no filter",
            lambda: make_png(grey8, grey8, 8, 0, 0),
        ),
        ("max-rgb8-sub", f"{rgb8}² RGB, Sub", lambda: make_png(rgb8, rgb8, 8, 2, 1)),
        (
            "max-rgba16-paeth",
            f"{rgba16}² RGBA16, Paeth",
            lambda: make_png(rgba16, rgba16, 16, 6, 4),
        ),
        (
            "max-rgba8-adam7",
            f"{rgba8_adam7}² RGBA interlaced, Paeth",
            lambda: make_png(rgba8_adam7, rgba8_adam7, 8, 6, 4, True),
        ),
        (
            "max-1bit-adam7",
            "8192² 1-bit interlaced, Average",
            lambda: make_png(8192, 8192, 1, 0, 3, True),
        ),
        ("max-p4", "raw PBM 8192²", lambda: raw_pnm(4, 8192, 8192, 1)),
        (
            "max-p5-16bit",
            "raw PGM 16-bit 2048² (8 MB, 4 M samples)",
            lambda: raw_pnm(5, 2048, 2048, 65535),
        ),
        (
            "max-p2",
            f"plain PGM {plain_side}² (4 M samples)",
            lambda: plain_pnm(2, plain_side, plain_side, 255),
        ),
        ("max-p1", "plain PBM 5700² (32 MB)", lambda: plain_pnm(1, 5700, 5700)),
        ("normal-300", "examples/seven-ink-on-paper.png (300²)", None),
    ]


def measure(path):
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(path), str(ROOT)],
        stdout=subprocess.PIPE,
        check=True,
    )
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only the cases with these names")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tinynet-image-limits-"))
    print(
        f"python: {sys.version.split()[0]}  limits: side {png.MAX_SIDE}, pixels "
        f"{png.MAX_PIXELS}, work budget {png.WORK_BUDGET:g} s, working side "
        f"{png.WORKING_SIDE}"
    )
    print(
        f"{'case':<18} {'file':>9} {'peak MB':>8} {'wall s':>7} {'cpu s':>6}  what / predict says"
    )
    try:
        for name, what, make in cases():
            if args.only and name not in args.only:
                continue
            if make is None:
                path = ROOT / "examples" / "seven-ink-on-paper.png"
            else:
                path = folder / name
                path.write_bytes(make())
            size = os.path.getsize(path)
            result = measure(path)
            said = result["first_line"].replace(str(path), "FILE")
            said = said if len(said) <= 100 else said[:99] + "…"
            print(
                f"{name:<18} {size / 1024:>7.0f}KB {result['peak_kib'] / 1024:>8.0f} "
                f"{result['seconds']:>7.2f} {result['cpu']:>6.2f}  {what}: {said}"
            )
            if make is not None and not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(str(folder), ignore_errors=True)
        else:
            print(f"files kept in {folder}")


if __name__ == "__main__":
    main()
