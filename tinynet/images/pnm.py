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

read() decodes a strip of rows at a time and area-averages large images to the working size
(like png.read), so memory stays small; decode() returns every pixel of small images.
"""

import re
import sys
from array import array
from functools import lru_cache

from . import png

__all__ = [
    "PNMError",
    "MAX_PIXELS",
    "MAX_SLOW_SAMPLES",
    "decode",
    "encode_pgm",
    "image_size",
    "read",
]

WHITESPACE = b" \t\n\r\v\f"
DIGITS = b"0123456789"
COMMENT = re.compile(rb"#[^\n\r]*")
SPACE = re.compile(rb"[ \t\n\r\v\f]")
SPACES = re.compile(rb"[ \t\n\r\v\f]+")
NEWLINE = re.compile(rb"[\n\r]")
#: Where a window of a plain raster may end: after whitespace, or before a comment.
BREAK = re.compile(rb"[ \t\n\r\v\f#]")

#: Largest image (width × height), and largest side: as for PNG (png.MAX_PIXELS and
#: png.MAX_SIDE).  Raw files are also bounded by the file size limit of imagefile.
MAX_PIXELS = png.MAX_PIXELS
MAX_SIDE = png.MAX_SIDE
#: Plain (ASCII) PGM/PPM samples and 16-bit raw samples are converted one by one by Python
#: (int() of each number, a table look-up of each 16-bit value: 0.1 to 0.5 µs a sample):
#: at most this many samples (4 M: 2048 × 2048 grey), so that they take a few seconds at most.
MAX_SLOW_SAMPLES = 4 * 1024 * 1024
#: Most steps in a header: a step reads a number, or skips a comment or a run of whitespace
#: at C speed, whatever its length.  Real headers take a few steps; 64 MB of "#\n" lines
#: (33 million comments: 12 s of Python steps) is refused after 10,000 of them.
MAX_HEADER_STEPS = 10_000


class PNMError(ValueError):
    """The data is not a Netpbm image we can decode; the message says why."""


def read_header(data, count):
    """Read `count` decimal numbers after the magic, skipping whitespace and comments.

    Netpbm: "any characters from a '#' through the next carriage return or newline
    character is a comment and is ignored ... a comment can actually be in the middle of
    what you might consider a token"; so "2#note\n8" is the number 28 (as Pillow reads it),
    and the newline that ends a comment does not end a number or delimit the raster.

    Returns (numbers, position of the character just after the last number).
    """
    numbers = []
    digits = bytearray()
    pos = 2
    end = len(data)
    for _ in range(MAX_HEADER_STEPS):
        byte = data[pos] if pos < end else None
        if byte is not None and byte == ord("#"):
            newline = NEWLINE.search(data, pos)
            pos = newline.end() if newline else end
            continue
        if byte is not None and byte in DIGITS:
            digits.append(byte)
            pos += 1
            if len(digits) > 9:
                raise PNMError(f"number {digits.decode('ascii')}... in the header is far too large")
            continue
        if digits:
            numbers.append(int(digits))
            digits = bytearray()
            if len(numbers) == count:
                return numbers, pos
        if byte is None:
            raise PNMError(
                "header is cut short (expected width, height{})".format(
                    ", maxval" if count == 3 else ""
                )
            )
        if byte not in WHITESPACE:
            raise PNMError(f"unexpected character {chr(byte)!r} in the header")
        pos = SPACES.match(data, pos).end()  # a whole run of whitespace at C speed
    raise PNMError(
        f"header has over {MAX_HEADER_STEPS:d} comments and runs of whitespace (real headers "
        "have a few lines)"
    )


def parse_header(data):
    """Check the magic and header; return (kind, width, height, maxval, channels, pos)."""
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
    if width > MAX_SIDE or height > MAX_SIDE:
        raise PNMError(
            f"image is {width:d}×{height:d} pixels; at most {MAX_SIDE:d} pixels a side are read"
        )
    if width * height > MAX_PIXELS:
        raise PNMError(f"image is {width:d}×{height:d} pixels, over the {MAX_PIXELS:d}-pixel limit")
    if not 1 <= maxval <= 65535:
        raise PNMError(f"maxval is {maxval:d}; it must be between 1 and 65535")
    channels = 3 if kind in (3, 6) else 1
    return kind, width, height, maxval, channels, pos


def image_size(data):
    """Return ``(width, height)`` from the header alone (raises PNMError like read())."""
    _, width, height, _, _, _ = parse_header(bytes(data))
    return width, height


@lru_cache(maxsize=8)
def scale_table(maxval):
    """scale_table(maxval)[v] == round(v * 255 / maxval), halves up: a sample to 8 bits."""
    return [(v * 255 + maxval // 2) // maxval for v in range(maxval + 1)]


def scale_samples(samples, maxval):
    """Return 8-bit samples (bytes) for 8- or 16-bit raw `samples` with this maxval.

    Each value v becomes round(v * 255 / maxval); values over maxval are refused.
    """
    if maxval < 256:
        if samples and max(samples) > maxval:
            raise PNMError(f"a sample value of {max(samples):d} is above the maxval {maxval:d}")
        if maxval == 255:
            return bytes(samples)
        table = bytes(scale_table(maxval)) + bytes(255 - maxval)
        return bytes(samples).translate(table)
    values = array("H")
    values.frombytes(bytes(samples))
    if sys.byteorder == "little":
        values.byteswap()  # the file stores the high byte first
    if values and max(values) > maxval:
        raise PNMError(f"a sample value of {max(values):d} is above the maxval {maxval:d}")
    return bytes(map(scale_table(maxval).__getitem__, values))


def plain_tokens(data, pos, window=1 << 18):
    """Yield the whitespace-separated tokens after data[pos] in lists, `window` bytes at a time.

    Comments ("#" to the end of the line) are dropped.  Windows end just after a whitespace
    character or just before a "#", so no token is cut in two; a comment still open at the end
    of a window goes on into the next one.  A run of over 4 KB with neither is cut anyway, so
    memory stays bounded: a P1 raster needs no whitespace, and in P2/P3 such a run is a
    sample far too long, refused all the same.
    """
    end = len(data)
    in_comment = False
    while pos < end:
        start = min(pos + window, end)
        cut = BREAK.search(data, start, start + 4096)
        stop = (cut.start() if cut[0] == b"#" else cut.end()) if cut else start + 4096
        stop = max(min(stop, end), pos + 1)
        piece = data[pos:stop]
        pos = stop
        if in_comment:
            newline = NEWLINE.search(piece)
            if newline is None:
                continue
            piece = piece[newline.end() :]
        last_line = piece[max(piece.rfind(b"\n"), piece.rfind(b"\r")) + 1 :]
        in_comment = b"#" in last_line
        yield COMMENT.sub(b" ", piece).split()


def plain_sample_blocks(data, pos, maxval):
    """Yield 8-bit samples (bytes) from P2/P3 ASCII numbers, a window at a time."""
    for tokens in plain_tokens(data, pos):
        if not tokens:
            continue
        joined = b"".join(tokens)
        if joined.translate(None, DIGITS) or max(map(len, tokens)) > 5:
            bad = next(t for t in tokens if not t.isdigit() or len(t) > 5)
            raise PNMError("{!r} is not a sample value".format(bad[:20].decode("latin-1")))
        values = list(map(int, tokens))
        highest = max(values)
        if highest > maxval:
            raise PNMError(f"a sample value of {highest:d} is above the maxval {maxval:d}")
        yield bytes(map(scale_table(maxval).__getitem__, values))


def plain_bit_blocks(data, pos):
    """Yield P1 pixels as 8-bit grey (0 black for "1", 255 white for "0"), a window at a time."""
    for tokens in plain_tokens(data, pos):
        bits = b"".join(tokens)
        if bits.translate(None, b"01"):
            raise PNMError("P1 pixels must be the characters 0 and 1")
        yield bits.translate(P1_GREY)


P1_GREY = bytes(255 if i == ord("0") else 0 for i in range(256))


@lru_cache(maxsize=8)
def bit_table(k):
    """Translation table: byte -> its k-th bit (k = 0 the high bit) as grey: 1 -> 0, 0 -> 255."""
    return bytes(0 if (i >> (7 - k)) & 1 else 255 for i in range(256))


def unpack_bits(packed, width, height):
    """P4: 8 pixels per byte, high bit first, each row padded; 1 = black.

    Returns one byte per pixel: 0 for black, 255 for white.
    """
    row = (width + 7) // 8
    out = bytearray(len(packed) * 8)
    for k in range(8):
        out[k::8] = packed.translate(bit_table(k))
    if row * 8 == width:
        return bytes(out)
    return b"".join(out[y * row * 8 : y * row * 8 + width] for y in range(height))


def grey_or_rgb_to_rgba(samples, count, channels):
    """Expand 8-bit grey (1 channel) or RGB (3 channels) samples to RGBA bytes."""
    out = bytearray(4 * count)
    for c in range(3):
        out[c::4] = samples if channels == 1 else samples[c::3]
    out[3::4] = b"\xff" * count
    return out


def sample_rows(data, kind, width, height, maxval, channels, pos):
    """Return read(rows): the next `rows` rows as 8-bit samples (`channels` a pixel)."""
    count = width * height
    if kind in (1, 2, 3):
        if len(data) - pos < (count * channels if kind == 1 else 2 * count * channels - 1):
            # Each sample takes at least one character (P1) or a digit and a space.
            have = len(data) - pos
            raise PNMError(
                f"image data is cut short: {have:d} bytes cannot hold {count * channels:d} samples"
            )
        if kind != 1 and count * channels > MAX_SLOW_SAMPLES:
            raise PNMError(
                f"plain (ASCII) image of {count * channels:d} samples is over the "
                f"{MAX_SLOW_SAMPLES:d}-sample limit for plain files (save it as raw P5/P6)"
            )
        blocks = (
            plain_bit_blocks(data, pos) if kind == 1 else plain_sample_blocks(data, pos, maxval)
        )
        read = png.stream_reader(blocks)
        row = width * channels
        done = [0]

        def read_rows(rows):
            got = read(rows * row)
            done[0] += len(got)
            if len(got) < rows * row:
                unit = "pixels" if kind == 1 else "samples"
                raise PNMError(
                    f"image data is cut short: {done[0]:d} of {count * channels:d} {unit}"
                )
            return got

        return read_rows
    if pos >= len(data) or data[pos] not in WHITESPACE:
        raise PNMError("the header must end with one whitespace character before the pixels")
    pos += 1
    row = (width + 7) // 8 if kind == 4 else width * channels * (2 if maxval > 255 else 1)
    if maxval > 255 and count * channels > MAX_SLOW_SAMPLES:
        raise PNMError(
            f"16-bit image of {count * channels:d} samples is over the {MAX_SLOW_SAMPLES:d}-sample "
            "limit for 16-bit files (save it with 8-bit samples)"
        )
    size = row * height
    if len(data) - pos < size:  # checked before any pixel is read
        raise PNMError(f"image data is cut short: {len(data) - pos:d} of {size:d} bytes")
    state = [pos]

    def read_rows(rows):
        start = state[0]
        state[0] = start + rows * row
        raster = data[start : state[0]]
        if kind == 4:
            return unpack_bits(raster, width, rows)
        return scale_samples(raster, maxval)

    return read_rows


def read(data, max_side=png.WORKING_SIDE):
    """Decode P1-P6 bytes to ``(width, height, rgba)``, area-averaged to at most `max_side`.

    Like png.read: an image whose longer side is at most `max_side` comes back exactly as
    decode() gives it; a larger one is shrunk (by png.shrink_factor) a strip of rows at a
    time.  `rgba` is a flat row-major list of 8-bit R, G, B, A values (A = 255).  Raises
    PNMError on anything wrong.
    """
    data = bytes(data)
    if len(data) > png.COLLECT_EVERY:
        png.collect_on_pypy()  # reading the file made a copy of it
    kind, width, height, maxval, channels, pos = parse_header(data)
    k = png.shrink_factor(width, height, max_side)
    if k == 1 and width * height > png.MAX_DECODE_PIXELS:
        raise PNMError(
            f"image is {width:d}×{height:d} pixels, too large to decode at full size (at most "
            f"{png.MAX_DECODE_PIXELS:d} pixels; tinynet's image reading shrinks larger ones)"
        )
    read_rows = sample_rows(data, kind, width, height, maxval, channels, pos)
    if k == 1:
        return width, height, list(grey_or_rgb_to_rgba(read_rows(height), width * height, channels))
    widths = [min(k, width - x) for x in range(0, width, k)]
    out = bytearray()
    for y in range(0, height, k):
        n = min(k, height - y)
        png.collect_garbage_now((y + n) * width * channels, n * width * channels)
        sums = png.block_sums(read_rows(n), n, width, k, channels)
        out += png.to_rgba_means(sums, channels, [n * w for w in widths])
    return -(-width // k), -(-height // k), list(out)


def decode(data):
    """Decode P1-P6 bytes to ``(width, height, rgba)`` at full size (read() without shrinking).

    `rgba` is a flat row-major list of 8-bit R, G, B, A values (A = 255).
    Raises PNMError on anything wrong.
    """
    return read(data, max_side=None)


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
