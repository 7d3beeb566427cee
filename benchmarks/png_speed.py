"""How fast does tinynet.images.png decode a 300×300 photo-like image?

Draws a handwritten-looking "7" with anti-aliased edges on slightly uneven
paper, adds camera-like noise, encodes it as RGB and as RGBA with every
filter type (and libpng's per-row "adaptive" choice, which is what real
encoders write), then decodes each many times and prints lines such as

    decode_300x300_rgba_paeth_ms: 12.3

(the best of the runs, in milliseconds).  When Pillow is installed, the
picture as Pillow writes it is timed too.  No assertions: this only measures.

With --against REV the png.py of that git revision (default: main) is timed in the same run,
old and new decodes taking turns, and lines such as

    ab_300x300_rgba_paeth: old 12.3 ms, new 12.1 ms, new/old 0.98

are printed: a fair A/B on a noisy machine.

Run:  python3 benchmarks/png_speed.py [--repeat N] [--against REV]
"""

import argparse
import math
import random
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinynet.images import png  # noqa: E402

SIZE = 300
FILTERS = {"none": 0, "sub": 1, "up": 2, "average": 3, "paeth": 4, "adaptive": "adaptive"}
# The strokes of a "7", in pixel coordinates: (x1, y1, x2, y2).
STROKES = ((60, 60, 240, 70), (240, 70, 130, 250), (110, 160, 200, 150))
HALF_WIDTH = 14.0


def distance_to_segment(px, py, x1, y1, x2, y2):
    """Distance from point (px, py) to the segment (x1, y1)-(x2, y2)."""
    dx, dy = x2 - x1, y2 - y1
    t = ((px - x1) * dx + (py - y1) * dy) / float(dx * dx + dy * dy)
    t = min(1.0, max(0.0, t))
    return math.hypot(px - (x1 + t * dx), py - (y1 + t * dy))


def make_image(alpha):
    """Return flat 8-bit RGB or RGBA samples of the test picture."""
    rng = random.Random(7)
    samples = []
    for y in range(SIZE):
        for x in range(SIZE):
            distance = min(distance_to_segment(x, y, *s) for s in STROKES)
            ink = min(1.0, max(0.0, HALF_WIDTH + 0.5 - distance))  # anti-aliased edge
            paper = 235 - 20 * (x + y) / (2 * SIZE)  # uneven lighting
            for base, ink_level in ((paper, 30), (paper - 5, 40), (paper - 12, 90)):
                value = base * (1 - ink) + ink_level * ink + rng.gauss(0, 3)
                samples.append(min(255, max(0, int(round(value)))))
            if alpha:
                samples.append(255 if ink < 0.5 else 200 + int(55 * (1 - ink)))
    return samples


def encode_with_pillow(samples, mode):
    """The same picture as Pillow (libpng-style adaptive filters) writes it, or None without
    Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    import io

    buffer = io.BytesIO()
    Image.frombytes(mode, (SIZE, SIZE), bytes(samples)).save(buffer, "PNG")
    return buffer.getvalue()


def best_time_ms(function, repeat):
    """Run `function` `repeat` times and return the fastest run in ms."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def old_png_module(revision):
    """tinynet/images/png.py as it was at a git revision, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{revision}:tinynet/images/png.py"],
        cwd=str(ROOT),
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    module = types.ModuleType("old_png")
    exec(compile(source, f"{revision}:png.py", "exec"), module.__dict__)
    return module


def a_b(old, new, data, repeat):
    """Best times (ms) of old.decode(data) and new.decode(data), taking turns."""
    best_old = best_new = float("inf")
    for _ in range(repeat):
        for module in (old, new):
            start = time.perf_counter()
            module.decode(data)
            took = time.perf_counter() - start
            if module is old:
                best_old = min(best_old, took)
            else:
                best_new = min(best_new, took)
    return best_old * 1000, best_new * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="decodes per image (default 10)")
    parser.add_argument("--against", metavar="REV", help="also time png.py of this git revision")
    args = parser.parse_args()
    if args.against:
        old = old_png_module(args.against)
        ratios = []
        for mode in ("rgb", "rgba"):
            samples = make_image(alpha=(mode == "rgba"))
            for name, filter_type in FILTERS.items():
                data = png.encode(SIZE, SIZE, samples, mode.upper(), filter_type=filter_type)
                if old.decode(data) != png.decode(data):
                    print(f"ab_{mode}_{name}_results_differ: 1")
                t_old, t_new = a_b(old, png, data, args.repeat)
                ratios.append(t_new / t_old)
                print(
                    f"ab_{SIZE:d}x{SIZE:d}_{mode}_{name}: old {t_old:.1f} ms, new {t_new:.1f} ms, "
                    f"new/old {t_new / t_old:.2f}"
                )
        print(f"ab_mean_new_over_old: {sum(ratios) / len(ratios):.2f}")
        return

    start = time.perf_counter()
    png.paeth_table.cache_clear()
    png.paeth_table()
    print("paeth_table_build_ms: %.2f" % ((time.perf_counter() - start) * 1000))

    for mode in ("rgb", "rgba"):
        samples = make_image(alpha=(mode == "rgba"))
        for name, filter_type in FILTERS.items():
            data = png.encode(SIZE, SIZE, samples, mode.upper(), filter_type=filter_type)
            if mode == "rgba" and png.decode(data)[2] != samples:
                print(f"round_trip_failed_{mode}_{name}: 1")
            milliseconds = best_time_ms(lambda data=data: png.decode(data), args.repeat)
            print(f"decode_{SIZE:d}x{SIZE:d}_{mode}_{name}_ms: {milliseconds:.1f}")
            print(f"size_{SIZE:d}x{SIZE:d}_{mode}_{name}_bytes: {len(data):d}")
        pillow_png = encode_with_pillow(samples, mode.upper())
        if pillow_png:
            milliseconds = best_time_ms(
                lambda pillow_png=pillow_png: png.decode(pillow_png), args.repeat
            )
            print(f"decode_{SIZE:d}x{SIZE:d}_{mode}_pillow_encoded_ms: {milliseconds:.1f}")


if __name__ == "__main__":
    main()
