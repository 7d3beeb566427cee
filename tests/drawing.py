"""Drawings for the tests and benchmarks of the draw page: strokes rendered to PNG bytes as the
page's canvas sends them, and PNG headers that lie about their size.

Benchmarks import this by putting tests/ on sys.path."""

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
