"""Read Netpbm images (PBM, PGM, PPM) and write PGM.

Netpbm is the simplest image format there is: a short text header, then the
pixels.  The header is a two-character "magic number", then width, height and
(except for black-and-white PBM) the largest sample value, *maxval*, all as
decimal numbers separated by whitespace; ``#`` starts a comment that runs to
the end of the line.

    magic  kind                     pixels
    P1     PBM, black/white, plain  ASCII 0/1 per pixel, 1 = black
    P2     PGM, grey, plain         ASCII decimal numbers
    P3     PPM, RGB, plain          ASCII decimal numbers, R G B per pixel
    P4     PBM, raw                 8 pixels per byte, high bit first, rows padded to a byte
    P5     PGM, raw                 1 byte per sample, 2 (big-endian) if maxval > 255
    P6     PPM, raw                 like P5 with three samples per pixel

In the raw formats exactly one whitespace character separates the header from
the binary pixels.  Samples are scaled from 0..maxval to 0..255.
"""

import re
import sys
from array import array

from .png import MAX_PIXELS

__all__ = ["PNMError", "decode", "encode_pgm"]

WHITESPACE = b" \t\n\r\v\f"
DIGITS = b"0123456789"
COMMENT = re.compile(rb"#[^\n\r]*")


class PNMError(ValueError):
    """The data is not a Netpbm image we can decode; the message says why."""


def read_header(data, count):
    """Read `count` decimal numbers after the magic, skipping whitespace and comments.

    Returns (numbers, position just after the last digit of the last number).
    """
    numbers = []
    pos = 2
    end = len(data)
    while len(numbers) < count:
        if pos >= end:
            raise PNMError(
                "header is cut short (expected width, height%s)"
                % (", maxval" if count == 3 else "")
            )
        byte = data[pos]
        if byte in WHITESPACE:
            pos += 1
        elif byte == ord("#"):
            while pos < end and data[pos] not in b"\r\n":
                pos += 1
        elif byte in DIGITS:
            start = pos
            while pos < end and data[pos] in DIGITS:
                pos += 1
            if pos - start > 9:
                raise PNMError(
                    "number {}... in the header is far too large".format(
                        data[start : start + 12].decode("ascii")
                    )
                )
            numbers.append(int(data[start:pos]))
        else:
            raise PNMError(f"unexpected character {chr(byte)!r} in the header")
    return numbers, pos


def scale_samples(samples, maxval):
    """Return 8-bit samples (bytes) for 8- or 16-bit raw `samples` with this maxval.

    Each value v becomes round(v * 255 / maxval); values over maxval are refused.
    """
    if maxval < 256:
        if samples and max(samples) > maxval:
            raise PNMError(f"a sample value of {max(samples):d} is above the maxval {maxval:d}")
        if maxval == 255:
            return bytes(samples)
        table = bytes((v * 255 + maxval // 2) // maxval if v <= maxval else 0 for v in range(256))
        return bytes(samples).translate(table)
    values = array("H")
    values.frombytes(bytes(samples))
    if sys.byteorder == "little":
        values.byteswap()  # the file stores the high byte first
    if values and max(values) > maxval:
        raise PNMError(f"a sample value of {max(values):d} is above the maxval {maxval:d}")
    half = maxval // 2
    return bytes([(v * 255 + half) // maxval for v in values])


def plain_samples(data, pos, count, maxval):
    """Parse `count` ASCII decimal samples (P2/P3) after the header; return 8-bit bytes."""
    tokens = COMMENT.sub(b"", data[pos:]).split(None, count)
    if len(tokens) < count:
        raise PNMError(f"image data is cut short: {len(tokens):d} of {count:d} samples")
    values = []
    for token in tokens[:count]:
        if not token.isdigit() or len(token) > 5:
            raise PNMError("{!r} is not a sample value".format(token[:20].decode("latin-1")))
        value = int(token)
        if value > maxval:
            raise PNMError(f"a sample value of {value:d} is above the maxval {maxval:d}")
        values.append(value)
    return bytes([(v * 255 + maxval // 2) // maxval for v in values])


def unpack_bits(packed, width, height):
    """P4: 8 pixels per byte, high bit first, each row padded; 1 = black.

    Returns one byte per pixel: 0 for black, 255 for white.
    """
    row = (width + 7) // 8
    out = bytearray(len(packed) * 8)
    for k in range(8):
        shift = 7 - k
        out[k::8] = packed.translate(bytes(0 if (i >> shift) & 1 else 255 for i in range(256)))
    return b"".join(out[y * row * 8 : y * row * 8 + width] for y in range(height))


def grey_or_rgb_to_rgba(samples, count, channels):
    """Expand 8-bit grey (1 channel) or RGB (3 channels) samples to RGBA bytes."""
    out = bytearray(4 * count)
    for c in range(3):
        out[c::4] = samples if channels == 1 else samples[c::3]
    out[3::4] = b"\xff" * count
    return out


def decode(data):
    """Decode P1-P6 bytes to ``(width, height, rgba)`` like tinynet.images.png.decode.

    `rgba` is a flat row-major list of 8-bit R, G, B, A values (A = 255).
    Raises PNMError on anything wrong.
    """
    data = bytes(data)
    if len(data) < 3 or data[0:1] != b"P" or data[1:2] not in (b"1", b"2", b"3", b"4", b"5", b"6"):
        raise PNMError("not a Netpbm file (it must start with P1 to P6)")
    kind = data[1] - ord("0")
    if data[2] not in WHITESPACE and data[2] != ord("#"):
        raise PNMError(f"not a Netpbm file (P{kind:d} must be followed by whitespace)")
    bitmap = kind in (1, 4)
    fields, pos = read_header(data, 2 if bitmap else 3)
    width, height = fields[0], fields[1]
    maxval = 1 if bitmap else fields[2]
    if width == 0 or height == 0:
        raise PNMError(f"image is {width:d}×{height:d} pixels; width and height must be at least 1")
    if width * height > MAX_PIXELS:
        raise PNMError(f"image is {width:d}×{height:d} pixels, over the {MAX_PIXELS:d}-pixel limit")
    if not 1 <= maxval <= 65535:
        raise PNMError(f"maxval is {maxval:d}; it must be between 1 and 65535")
    channels = 3 if kind in (3, 6) else 1
    count = width * height

    if kind == 1:
        bits = b"".join(COMMENT.sub(b"", data[pos:]).split())[:count]
        if len(bits) < count:
            raise PNMError(f"image data is cut short: {len(bits):d} of {count:d} pixels")
        if bits.translate(None, b"01"):
            raise PNMError("P1 pixels must be the characters 0 and 1")
        grey = bits.translate(bytes(255 if i == ord("0") else 0 for i in range(256)))
    elif kind in (2, 3):
        grey = plain_samples(data, pos, count * channels, maxval)
    else:
        if pos >= len(data) or data[pos] not in WHITESPACE:
            raise PNMError("the header must end with one whitespace character before the pixels")
        pos += 1
        if kind == 4:
            size = (width + 7) // 8 * height
        else:
            size = count * channels * (2 if maxval > 255 else 1)
        raster = data[pos : pos + size]
        if len(raster) < size:
            raise PNMError(f"image data is cut short: {len(raster):d} of {size:d} bytes")
        grey = unpack_bits(raster, width, height) if kind == 4 else scale_samples(raster, maxval)
    return width, height, list(grey_or_rgb_to_rgba(grey, count, channels))


def encode_pgm(width, height, grey):
    """Encode 8-bit grey pixels (flat row-major list or bytes) as a raw P5 PGM."""
    if width < 1 or height < 1:
        raise PNMError("width and height must be at least 1")
    if len(grey) != width * height:
        raise PNMError(
            f"expected {width * height:d} grey values for {width:d}×{height:d}, got {len(grey):d}"
        )
    try:
        pixels = bytes(grey)
    except (ValueError, TypeError) as exc:
        raise PNMError(f"grey values must be integers from 0 to 255 ({exc})") from None
    return b"P5\n%d %d\n255\n" % (width, height) + pixels
