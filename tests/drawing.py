"""Drawings for the tests and benchmarks of the draw page: strokes rendered to PNG bytes as the
page's canvas sends them, and PNG headers that lie about their size.

Benchmarks import this by putting tests/ on sys.path."""

import math
import random
import struct
import zlib

from tinynet.images import png


def stroke_png(strokes, size=280, width=20, wide=1, soft=True):
    """A PNG like the page sends: dark strokes (polylines, in 0..1 coordinates of the height) on
    white; `wide` pads side by side (the page's wide pad is 2), x from 0 to `wide`. `soft`:
    anti-aliased edges, as a canvas draws them; else solid ink (grey 20) within width / 2."""
    columns = wide * size
    grey = bytearray([255]) * (columns * size)
    r = width / 2.0
    for line in strokes:
        pts = [(x * size, y * size) for x, y in line]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy or 1e-9
            for py in range(max(0, int(min(y0, y1) - r - 1)), min(size, int(max(y0, y1) + r + 2))):
                for px in range(
                    max(0, int(min(x0, x1) - r - 1)), min(columns, int(max(x0, x1) + r + 2))
                ):
                    t = max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / length2))
                    d = ((px - x0 - t * dx) ** 2 + (py - y0 - t * dy) ** 2) ** 0.5
                    level = _ink(d, r, soft)
                    if level is not None:
                        grey[py * columns + px] = min(grey[py * columns + px], level)
    return png.encode(columns, size, bytes(grey))


def _ink(d, r, soft):
    """The grey level of a pixel at distance d from a stroke of radius r, None for paper."""
    if soft:
        return int(20 + 235 * max(0.0, min(1.0, d - r + 0.5))) if d < r + 1 else None
    return 20 if d < r else None


def side_by_side(*digits):
    """Strokes of several digits, each in its own square, left to right (for stroke_png)."""
    return [[(x + k, y) for x, y in line] for k, strokes in enumerate(digits) for line in strokes]


def scribble(seed, n=40):
    """Noise: n random straight strokes criss-crossing the whole pad."""
    rng = random.Random(seed)
    return [[(rng.random(), rng.random()) for _ in range(3)] for _ in range(n)]


def blank_png(size=280, transparent=False):
    if transparent:
        return png.encode(size, size, bytes(4 * size * size), "RGBA")
    return png.encode(size, size, bytes([255]) * (size * size))


def png_header(width, height, depth=8, colour_type=0, filler=10):
    """A PNG whose header claims width × height (depth bits, colour type), with a tiny (wrong)
    image stream of `filler` zero bytes."""

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        png.SIGNATURE
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * filler))
        + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------- digits drawn on the pad
# Clean digits as a learner draws them with the mouse on the page's pad: strokes in fractions of
# the pad (x right, y down), for the unsure rule's tests (tests/test_draw_browser.py draws them
# through the page; stroke_png renders them without a browser).


def arc(cx, cy, rx, ry, start, end, n=24):
    """Points along an ellipse from angle `start` to `end` (degrees, 0 = right, 90 = up)."""
    return [
        (
            cx + rx * math.cos(math.radians(start + (end - start) * k / n)),
            cy - ry * math.sin(math.radians(start + (end - start) * k / n)),
        )
        for k in range(n + 1)
    ]


def pad_two(scale=1.0, cx=0.5, cy=0.5):
    """A two in one stroke: an arc over the top, a sweep down to the left, a base line."""
    top = arc(0.5, 0.34, 0.2, 0.19, 200, -30, 25)
    x0, y0 = top[-1]
    sweep = [
        (x0 + (0.28 - x0) * t, y0 + (0.8 - y0) * t + 0.03 * math.sin(math.pi * t))
        for t in (k / 14 for k in range(1, 15))
    ]
    base = [
        (0.28 + 0.48 * t, 0.8 - 0.015 * math.sin(math.pi * t) + 0.01 * t)
        for t in (k / 11 for k in range(1, 12))
    ]
    return [[(cx + scale * (x - 0.5), cy + scale * (y - 0.5)) for x, y in top + sweep + base]]


SEVEN_STROKE = [(0.24, 0.2), (0.5, 0.19), (0.76, 0.2), (0.62, 0.45), (0.5, 0.65), (0.43, 0.84)]
NINE_LOOP = arc(0.5, 0.33, 0.18, 0.17, 0, 360, 30)

#: (name, digit, strokes): every digit, a plain 1, a crossed 7, a straight-tailed 9, a small 2.
PAD_DIGITS = [
    ("0", 0, [arc(0.5, 0.5, 0.2, 0.33, 90, 450, 36)]),
    ("1", 1, [[(0.42, 0.24), (0.53, 0.15), (0.52, 0.5), (0.5, 0.86)]]),
    ("2", 2, pad_two()),
    (
        "3",
        3,
        [arc(0.47, 0.32, 0.19, 0.16, 160, -90, 20) + arc(0.47, 0.66, 0.21, 0.18, 90, -160, 24)],
    ),
    ("4", 4, [[(0.58, 0.15), (0.26, 0.6), (0.76, 0.6)], [(0.62, 0.35), (0.6, 0.86)]]),
    (
        "5",
        5,
        [[(0.72, 0.16), (0.36, 0.16), (0.33, 0.46)] + arc(0.5, 0.62, 0.22, 0.2, 140, -150, 22)],
    ),
    ("6", 6, [[(0.66, 0.16), (0.45, 0.3)] + arc(0.5, 0.64, 0.2, 0.2, 150, -210, 28)]),
    ("7", 7, [SEVEN_STROKE]),
    ("8", 8, [arc(0.5, 0.3, 0.16, 0.15, -90, 270, 28) + arc(0.5, 0.66, 0.2, 0.2, 90, -270, 30)]),
    ("9", 9, [NINE_LOOP + [(0.68, 0.4), (0.63, 0.62), (0.55, 0.86)]]),
    ("plain 1", 1, [[(0.52, 0.15), (0.5, 0.5), (0.48, 0.86)]]),
    ("crossed 7", 7, [SEVEN_STROKE, [(0.45, 0.52), (0.72, 0.5)]]),
    ("straight-tailed 9", 9, [NINE_LOOP, [(0.68, 0.3), (0.68, 0.86)]]),
    ("small 2", 2, pad_two(scale=0.45)),
]
