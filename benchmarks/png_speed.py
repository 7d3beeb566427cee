"""How fast does tinynet.images.png decode a 300×300 photo-like image?

Draws a handwritten-looking "7" with anti-aliased edges on slightly uneven
paper, adds camera-like noise, encodes it as RGB and as RGBA with every
filter type (and libpng's per-row "adaptive" choice, which is what real
encoders write), then decodes each many times and prints lines such as

    decode_300x300_rgba_paeth_ms: 12.3

(the best of the runs, in milliseconds).  When Pillow is installed, the
picture as Pillow writes it is timed too.  No assertions: this only measures.

Run:  python3 benchmarks/png_speed.py [--repeat N]
"""

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynet import png  # noqa: E402

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="decodes per image (default 10)")
    args = parser.parse_args()

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
            milliseconds = best_time_ms(lambda: png.decode(data), args.repeat)
            print(f"decode_{SIZE:d}x{SIZE:d}_{mode}_{name}_ms: {milliseconds:.1f}")
            print(f"size_{SIZE:d}x{SIZE:d}_{mode}_{name}_bytes: {len(data):d}")
        pillow_png = encode_with_pillow(samples, mode.upper())
        if pillow_png:
            milliseconds = best_time_ms(lambda: png.decode(pillow_png), args.repeat)
            print(f"decode_{SIZE:d}x{SIZE:d}_{mode}_pillow_encoded_ms: {milliseconds:.1f}")


if __name__ == "__main__":
    main()
