"""Deskewing: stand a slanted digit upright before the network sees it.

People slant their digits, and so did MNIST's writers.  A small network spends much of its
capacity on slant; straightening every image first (training and reading alike) is the biggest
preprocessing win for simple classifiers in LeCun's MNIST table.

The slant is measured from the image's moments.  With ink v(x, y) (x = column, y = row):

    M   = Σ v                                   (mass)
    x̄   = Σ x·v / M,   ȳ = Σ y·v / M            (centre of mass)
    μ₁₁ = Σ (x − x̄)(y − ȳ)·v                    (how x grows with y)
    μ₀₂ = Σ (y − ȳ)²·v                          (how tall the ink is)
    α   = μ₁₁ / μ₀₂                             (the slope of the principal axis: x per row)

A shear that moves each row sideways by α·(its distance from ȳ),

    x' = x − α·(y − ȳ),

makes μ₁₁ zero: the digit's principal axis becomes vertical.  The result is also moved so that
its centre of mass sits in the middle of the field, at (c, c) with c = size / 2 (14 for 28×28).
Every output pixel (x', y') takes its value from the input at

    y = y' + (ȳ − c),       x = x' + (x̄ − c) + α·(y − ȳ)

by bilinear interpolation between the four pixels around that point (outside the image is
paper).  Both source coordinates move by the same amount along a whole output row, so each row
is one blend of two input rows shifted sideways by one amount; ``deskew`` computes it that way.

Mass: interpolation weights sum to 1, so the ink's mass is kept except for ink sheared past
the edge of the field (none for MNIST's 20×20-box digits unless α is extreme) and rounding to
whole grey levels (at most ½ per pixel).  Measured on MNIST's 70,000 images with
``benchmarks/deskew_speed.py``: every image keeps its mass within 2.3%; on the 10,000 test
images the median change is 0.011% and 99% change by under 0.05%.

Steep shears are capped at |α| ≤ ``MAX_SHEAR`` (45°): no handwritten digit slants more, and a
near-horizontal stroke (μ₀₂ tiny) would otherwise be smeared across the field.
"""

import contextlib
from operator import mul
from pathlib import Path

from ..support.files import write_atomic

MAX_SHEAR = 1.0  # |α| at most 1: 45 degrees
CACHE_MAGIC = b"tinynet-deskewed-v1\n"  # first bytes of a cache file


def moments(image, size=28):
    """``(M, x̄, ȳ, μ₁₁, μ₀₂)`` of a size×size grey image (bytes or list, 0 = paper).

    Returns None for an image without ink (M = 0).
    """
    xs = range(size)
    row_mass = []  # R_y = Σ_x v
    row_x = []  # X_y = Σ_x x·v
    for y in range(size):
        row = image[y * size : (y + 1) * size]
        R = sum(row)
        row_mass.append(R)
        # X_y = Σ_x x·v; map(mul, ...) multiplies pairwise in C
        row_x.append(sum(map(mul, xs, row)) if R else 0)
    M = sum(row_mass)
    if M == 0:
        return None
    x_bar = sum(row_x) / M
    y_bar = sum(y * R for y, R in enumerate(row_mass)) / M
    # μ₁₁ = Σ_y (y − ȳ)·Σ_x (x − x̄)·v = Σ_y (y − ȳ)·(X_y − x̄·R_y)
    mu11 = sum((y - y_bar) * (X - x_bar * R) for y, (X, R) in enumerate(zip(row_x, row_mass)))
    mu02 = sum((y - y_bar) ** 2 * R for y, R in enumerate(row_mass))
    return M, x_bar, y_bar, mu11, mu02


def skew(image, size=28):
    """α = μ₁₁ / μ₀₂ of an image: 0 for an upright digit, > 0 when its top leans left."""
    m = moments(image, size)
    if m is None or m[4] == 0:
        return 0.0
    return m[3] / m[4]


def shifted_row(row, shift, size):
    """``row`` (size floats) moved left by ``shift`` pixels, linearly interpolated.

    out[x'] = (1 − f)·row[x' + k] + f·row[x' + k + 1], with k = ⌊shift⌋ and f = shift − k;
    pixels from outside the row are paper (0).  (The plain one-dimensional version of what
    ``deskew`` does to every row; kept for reading and for the tests.)
    """
    k = int(shift // 1)
    f = shift - k

    def at(i):
        return row[i] if 0 <= i < size else 0.0

    return [(1 - f) * at(x + k) + f * at(x + k + 1) for x in range(size)]


def deskew(image, size=28):
    """The size×size grey image (bytes, 0 = paper … 255 = ink) sheared upright, as bytes.

    See the module docstring for the formulas.  An image without ink comes back unchanged.
    """
    if len(image) != size * size:
        raise ValueError(f"expected {size * size:d} pixels for a {size:d}×{size:d} image")
    m = moments(image, size)
    if m is None:
        return bytes(image)
    M, x_bar, y_bar, mu11, mu02 = m
    alpha = mu11 / mu02 if mu02 > 0 else 0.0
    alpha = max(-MAX_SHEAR, min(MAX_SHEAR, alpha))
    c = size / 2
    # Every row padded with paper on both sides, so that a shifted slice never runs out.
    pad = size + 2
    paper = bytes(pad)
    blank = bytes(size + 2 * pad)
    rows = []
    for y in range(size):
        row = bytes(image[y * size : (y + 1) * size])
        rows.append(paper + row + paper if row.strip(b"\0") else blank)
    out = bytearray()
    for y_out in range(size):
        y = y_out + (y_bar - c)  # the source row (fractional)
        y0 = int(y // 1)
        fy = y - y0
        upper = rows[y0] if 0 <= y0 < size else blank
        lower = rows[y0 + 1] if 0 <= y0 + 1 < size else blank
        # x = x' + (x̄ − c) + α·(y − ȳ): the same shift for the whole row
        shift = (x_bar - c) + alpha * (y - y_bar)
        k = int(shift // 1)
        fx = shift - k
        start = pad + k
        if (upper is blank and lower is blank) or not -size - 1 <= k <= size:
            out += bytes(size)
            continue
        # Bilinear interpolation between the four pixels around (x, y):
        #   v = (1−fy)(1−fx)·I[y0][x0] + (1−fy)·fx·I[y0][x0+1]
        #     + fy·(1−fx)·I[y0+1][x0] + fy·fx·I[y0+1][x0+1]
        w00, w01 = (1 - fy) * (1 - fx), (1 - fy) * fx
        w10, w11 = fy * (1 - fx), fy * fx
        # The weights sum to 1, so v stays within 0..255; + 0.5 rounds to the nearest level.
        out += bytes(
            [
                int(w00 * a + w01 * b + w10 * p + w11 * q + 0.5)
                for a, b, p, q in zip(
                    upper[start : start + size],
                    upper[start + 1 : start + size + 1],
                    lower[start : start + size],
                    lower[start + 1 : start + size + 1],
                )
            ]
        )
    return bytes(out)


def deskew_all(images, progress=None, size=28):
    """``[deskew(image) for image in images]``, calling ``progress(done, total)`` now and then."""
    total = len(images)
    out = []
    for k, image in enumerate(images):
        out.append(deskew(image, size))
        if progress is not None and (k + 1) % 1000 == 0:
            progress(k + 1, total)
    if progress is not None and total % 1000:
        progress(total, total)
    return out


# ---------------------------------------------------------------- the cache


def cache_path(key, cache_dir):
    """The cache file for data whose SHA-256 is ``key`` (hex)."""
    return Path(cache_dir) / f"deskewed-{key}.bin"


def read_cache(path, count, size=28):
    """The images stored at ``path``, or None if the file is missing, damaged or the wrong size.

    Format: CACHE_MAGIC, the image count as 4 bytes (big-endian), the image side as 1 byte,
    then count·size² pixel bytes, then the SHA-256 of everything before it (32 bytes).
    """
    try:
        with open(path, "rb") as f:
            data = f.read(len(CACHE_MAGIC) + 5 + count * size * size + 32 + 1)
    except OSError:
        return None
    pixels = count * size * size
    head = CACHE_MAGIC + count.to_bytes(4, "big") + bytes([size])
    if len(data) != len(head) + pixels + 32 or not data.startswith(head):
        return None
    body, digest = data[:-32], data[-32:]
    import hashlib  # here, not at the top: on PyPy it loads OpenSSL (33 MB for every predict)

    if hashlib.sha256(body).digest() != digest:
        return None
    n = size * size
    start = len(head)
    return [body[start + k * n : start + (k + 1) * n] for k in range(count)]


def write_cache(path, images, size=28):
    """Store the deskewed images at ``path`` (atomically: a temporary file, then renamed)."""
    body = CACHE_MAGIC + len(images).to_bytes(4, "big") + bytes([size]) + b"".join(images)
    import hashlib  # (see read_cache)

    write_atomic(path, body + hashlib.sha256(body).digest())


def deskewed(images, key, cache_dir, progress=None, size=28):
    """``deskew_all(images)``, kept in ``cache_dir`` under ``key`` (the data's SHA-256, hex).

    A cache file that is missing, of the wrong length or format, or whose checksum does not
    match is ignored and rewritten: it is never trusted.  A cache folder that cannot be written
    (read-only, full disk) only costs the recomputation next time.
    """
    if not key or not all(ch in "0123456789abcdefABCDEF" for ch in key):
        raise ValueError(f"cache key must be a hex digest, not {key!r}")
    path = cache_path(key, cache_dir)
    cached = read_cache(path, len(images), size)
    if cached is not None:
        return cached
    result = deskew_all(images, progress, size)
    with contextlib.suppress(OSError):  # then no cache this time; the result is still right
        write_cache(path, result, size)
    return result


__all__ = ["deskew", "deskew_all", "deskewed", "moments", "skew", "MAX_SHEAR"]
