"""How fast is tinynet.images.preprocess.to_mnist?

Draws a ring-shaped "0" (anti-aliased) into RGBA images and times
``to_mnist`` on them, printing ``name: value`` lines:

* 300x300, black on white (the usual drawing),
* 300x300, blue ink on cream paper (the colour path),
* 300x300, black strokes on a transparent canvas (the alpha path),
* 300x300, dark ink on paper with a shadow across it (the lighting path),
* 300x300 given as a list of ints rather than bytes,
* 3000x2000 photo-sized, which is first block-averaged down to 512 px.

Run:  python benchmarks/preprocess_speed.py [runs]
No assertions: the budget is <= 30 ms for a 300x300 image on CPython.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tinynet.images.preprocess import to_mnist  # noqa: E402


def ring_coverage(width, height):
    """Coverage 0..1 per pixel of an anti-aliased ring centred in the picture, row by row."""
    cx, cy = width / 2, height / 2
    radius, half_thickness = 0.3 * min(width, height), 0.04 * min(width, height)
    rows = []
    for y in range(height):
        dy2 = (y + 0.5 - cy) ** 2
        rows.append(
            [
                max(
                    0.0,
                    min(
                        1.0, half_thickness + 0.5 - abs(((x + 0.5 - cx) ** 2 + dy2) ** 0.5 - radius)
                    ),
                )
                for x in range(width)
            ]
        )
    return rows


def opaque_rgba(rows, ink, paper):
    """RGBA bytes of ``ink`` on ``paper`` (both RGB triples) with the given coverage."""
    palette = [
        bytes([round(p + (i - p) * k / 255) for p, i in zip(paper, ink)]) + b"\xff"
        for k in range(256)
    ]
    return b"".join(palette[round(255 * c)] for row in rows for c in row)


def shadowed_rgba(rows):
    """RGBA bytes of dark ink on paper lit from the left: the light falls to half on the right."""
    out = bytearray()
    for row in rows:
        width = len(row)
        for x, c in enumerate(row):
            v = round((235 - 200 * c) * (1 - 0.5 * x / width))
            out += bytes([v, v, v, 255])
    return bytes(out)


def transparent_rgba(rows):
    """RGBA bytes of black strokes whose alpha is the coverage, on a transparent canvas."""
    return b"".join(bytes([0, 0, 0, round(255 * c)]) for row in rows for c in row)


def best_ms(width, height, rgba, runs):
    """The fastest of ``runs`` timings of to_mnist, in milliseconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        to_mnist(width, height, rgba)
        best = min(best, time.perf_counter() - start)
    return 1000 * best


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    white, black = (255, 255, 255), (0, 0, 0)
    rows = ring_coverage(300, 300)
    grey = opaque_rgba(rows, black, white)
    print(f"python: {sys.implementation.name} {sys.version.split()[0]}")
    print(f"to_mnist_300x300_ms: {best_ms(300, 300, grey, runs):.1f}")
    print(
        "to_mnist_300x300_colour_ms: "
        f"{best_ms(300, 300, opaque_rgba(rows, (25, 45, 160), (250, 243, 205)), runs):.1f}"
    )
    print(f"to_mnist_300x300_transparent_ms: {best_ms(300, 300, transparent_rgba(rows), runs):.1f}")
    print(f"to_mnist_300x300_shadow_ms: {best_ms(300, 300, shadowed_rgba(rows), runs):.1f}")
    print(f"to_mnist_300x300_list_input_ms: {best_ms(300, 300, list(grey), runs):.1f}")
    # the big one: a 300x200 drawing enlarged x10 by repeating pixels and rows
    small = opaque_rgba(ring_coverage(300, 200), black, white)
    big = b"".join(
        (b"".join(small[i : i + 4] * 10 for i in range(y * 1200, (y + 1) * 1200, 4))) * 10
        for y in range(200)
    )
    print(f"to_mnist_3000x2000_ms: {best_ms(3000, 2000, big, max(1, runs // 5)):.1f}")


if __name__ == "__main__":
    main()
