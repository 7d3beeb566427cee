"""Read and write PNG images with nothing but the Python standard library.

How a PNG file is built
-----------------------
A PNG file is an 8-byte *signature* followed by a list of *chunks*.  Every chunk
is: a 4-byte big-endian length, a 4-letter type such as ``IHDR``, that many
bytes of data, and a CRC-32 checksum of the type and data.  The case of the
first letter says whether a decoder may ignore the chunk: upper case
("critical": IHDR, PLTE, IDAT, IEND) must be understood, lower case
("ancillary": tEXt, gAMA, ...) may be skipped.

* ``IHDR`` comes first: width, height, bit depth, colour type, interlacing.
  Colour types: 0 grey, 2 RGB, 3 palette (each pixel is an index into PLTE),
  4 grey + alpha, 6 RGBA.  A *sample* is one channel value of one pixel, 1, 2,
  4, 8 or 16 bits wide; samples narrower than a byte are packed, leftmost
  pixel in the high bits, and every row starts on a fresh byte.
* ``PLTE`` holds the palette (required for colour type 3), ``tRNS`` adds
  transparency (an alpha per palette entry, or one grey/RGB colour that means
  "transparent").
* ``IDAT`` chunks, one after another, hold a single zlib stream: the picture.
* ``IEND`` marks the end.

Inflating the zlib stream gives the image row by row, each row preceded by one
*filter type* byte.  Filters turn pixels into small numbers that compress well
by predicting each byte from its neighbours and storing only the difference
(mod 256).  With ``a`` the byte one pixel to the left, ``b`` the byte above
and ``c`` the byte above-left (0 outside the image):

    0 None     Recon(x) = Filt(x)
    1 Sub      Recon(x) = Filt(x) + a
    2 Up       Recon(x) = Filt(x) + b
    3 Average  Recon(x) = Filt(x) + (a + b) // 2
    4 Paeth    Recon(x) = Filt(x) + paeth_predictor(a, b, c)

*Interlaced* images (Adam7) are stored as seven smaller sub-images ("passes")
taking every 8th pixel, then filling the gaps, so a browser can show a coarse
preview early.  Each pass is filtered on its own, as if it were an image.

This module decodes every legal combination to 8-bit RGBA, refuses broken or
hostile files with :class:`PNGError`, and encodes images (every colour type,
bit depth and filter, with or without Adam7) for tests and for saving.

Two ways to decode:

* ``read(data)`` - what tinynet's commands use.  The zlib stream is inflated
  64 KB at a time and unfiltered one row at a time; an image larger than the
  *working size* (longer side WORKING_SIDE = 512) is area-averaged a strip of
  rows at a time while it is decoded, so the full-size picture never exists as
  Python objects and memory stays at about 10 MB whatever the image.
* ``decode(data)`` - every pixel at full size, for images up to 2048 × 2048.

Both refuse at the header anything over the limits (MAX_SIDE, MAX_PIXELS), and stop a
file whose decoding work would pass WORK_BUDGET seconds (see charge()): the size of the
image data is not limited, its work is.  ``image_size(data)`` reads just the header, for
callers with tighter limits.
"""

import functools
import gc
import struct
import sys
import zlib
from array import array
from collections import namedtuple
from itertools import islice
from operator import add

from ..support import ON_PYPY

__all__ = [
    "PNGError",
    "MAX_PIXELS",
    "WORKING_SIDE",
    "decode",
    "encode",
    "encode_raw",
    "image_size",
    "paeth_predictor",
    "read",
    "shrink_factor",
]

#: The working image.  read() area-averages an image larger than this as it decodes, so that
#: its longer side is at most WORKING_SIDE pixels; the full-size picture never exists as Python
#: objects.  The same number as preprocess.MAX_SIDE, so preprocessing does not shrink it again.
WORKING_SIDE = 512

# Limits checked at the IHDR, before any work.  Memory does not grow with the image (rows
# are decoded one at a time), but time does: on CPython every byte of an Average or Paeth
# row is unfiltered by a Python loop (about 0.1 µs a byte), so the work is counted as rows
# are decoded and bounded by WORK_BUDGET (docs/files-and-limits.md).

#: Longest side, in pixels.
MAX_SIDE = 16384
#: Largest image, width × height.
MAX_PIXELS = 64 * 1024 * 1024
#: Most chunks in a file: a 64 MB file of empty chunks would be 5 million of them, seconds of
#: Python work; encoders write a handful, or IDATs of 8 KB and more.
MAX_CHUNKS = 100_000
#: decode() returns every pixel of the full-size image as a Python list (about 40 bytes a
#: pixel): it refuses images over 2048 × 2048, the draw server's canvas limit.
MAX_DECODE_PIXELS = 2048 * 2048

SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Legal bit depths for each colour type (PNG specification, table 11.1).
ALLOWED_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
#: Samples per pixel for each colour type.
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
COLOUR_NAMES = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale+alpha", 6: "RGBA"}

#: Adam7 passes as (first column, first row, column step, row step).
ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)

Header = namedtuple("Header", "width height bit_depth colour_type interlace")


class PNGError(ValueError):
    """The data is not a PNG image we can decode; the message says why."""


# ---------------------------------------------------------------------------
# Chunks and header
# ---------------------------------------------------------------------------


def iter_chunks(data):
    """Yield ``(type, body)`` for each chunk after the signature, CRC checked.

    Stops only by raising PNGError when the data runs out, so the caller must
    stop at IEND.
    """
    pos = len(SIGNATURE)
    end_of_data = len(data)
    view = memoryview(data)  # chunk bodies are views into `data`, not copies of it
    while True:
        if pos == end_of_data:
            raise PNGError("file ends without an IEND chunk (truncated?)")
        if pos + 8 > end_of_data:
            raise PNGError("file is truncated in the middle of a chunk header")
        length, kind = struct.unpack_from(">I4s", data, pos)
        if not kind.isalpha():
            raise PNGError(
                "invalid chunk type {!r} (the file is damaged)".format(kind.decode("latin-1"))
            )
        name = kind.decode("ascii")
        if length > 0x7FFFFFFF:
            raise PNGError(f"{name} chunk claims an impossible length of {length:d} bytes")
        body_end = pos + 8 + length
        if body_end + 4 > end_of_data:
            raise PNGError(f"file is truncated in the middle of the {name} chunk")
        body = view[pos + 8 : body_end]
        (crc,) = struct.unpack_from(">I", data, body_end)
        if zlib.crc32(body, zlib.crc32(kind)) != crc:
            raise PNGError(f"bad CRC in {name} chunk (the file is damaged)")
        yield name, body
        pos = body_end + 4


def parse_header(body):
    """Check an IHDR chunk body and return a Header (refusing oversized images)."""
    if len(body) != 13:
        raise PNGError(f"IHDR chunk has {len(body):d} bytes instead of 13")
    width, height, depth, colour, compression, filter_method, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if width == 0 or height == 0:
        raise PNGError(f"image is {width:d}×{height:d} pixels; width and height must be at least 1")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise PNGError(
            f"image is {width:d}×{height:d} pixels; at most {MAX_SIDE:d} pixels a side are read"
        )
    if width * height > MAX_PIXELS:
        raise PNGError(f"image is {width:d}×{height:d} pixels, over the {MAX_PIXELS:d}-pixel limit")
    if colour not in ALLOWED_DEPTHS:
        raise PNGError(f"unknown colour type {colour:d} (PNG has 0, 2, 3, 4 and 6)")
    if depth not in ALLOWED_DEPTHS[colour]:
        raise PNGError(
            f"bit depth {depth:d} is not allowed for {COLOUR_NAMES[colour]} images (allowed: "
            f"{', '.join(map(str, ALLOWED_DEPTHS[colour]))})"
        )
    if compression != 0:
        raise PNGError(f"unknown compression method {compression:d}")
    if filter_method != 0:
        raise PNGError(f"unknown filter method {filter_method:d}")
    if interlace not in (0, 1):
        raise PNGError(f"unknown interlace method {interlace:d}")
    return Header(width, height, depth, colour, interlace == 1)


def parse_palette(body):
    """Return the PLTE entries as a list of (r, g, b)."""
    if len(body) % 3 or not 3 <= len(body) <= 768:
        raise PNGError(f"PLTE chunk has {len(body):d} bytes; it must hold 1 to 256 RGB triples")
    return [tuple(body[i : i + 3]) for i in range(0, len(body), 3)]


def parse_transparency(body, header, palette):
    """Return tRNS as bytes: palette alphas, or the transparent grey/RGB sample bytes."""
    colour = header.colour_type
    if colour == 3:
        if palette is None:
            raise PNGError("tRNS chunk comes before the PLTE chunk")
        if len(body) > len(palette):
            raise PNGError(
                f"tRNS chunk has {len(body):d} alpha values but the palette has only "
                f"{len(palette):d} entries"
            )
    elif colour in (0, 2):
        need = 2 if colour == 0 else 6
        if len(body) != need:
            raise PNGError(
                f"tRNS chunk of a {COLOUR_NAMES[colour]} image must have {need:d} bytes, not "
                f"{len(body):d}"
            )
    else:
        raise PNGError(
            f"tRNS chunk is not allowed in {COLOUR_NAMES[colour]} images (they already have alpha)"
        )
    if colour != 3 and header.bit_depth < 16:
        # PNG 3rd edition, 11.3.2.1: for bit depths below 16 only the low bit_depth bits of
        # each 2-byte key sample count (the web-platform test png/trns-chunk.html checks it).
        top = (1 << header.bit_depth) - 1
        return bytes(v for i in range(1, len(body), 2) for v in (0, body[i] & top))
    return bytes(body)


# ---------------------------------------------------------------------------
# Sizes, passes and inflating
# ---------------------------------------------------------------------------


def row_bytes(width, header):
    """Bytes in one unfiltered row of `width` pixels."""
    bits = width * CHANNELS[header.colour_type] * header.bit_depth
    return (bits + 7) // 8


def bytes_per_pixel(header):
    """The filter unit: bytes per complete pixel, at least 1."""
    return max(1, CHANNELS[header.colour_type] * header.bit_depth // 8)


def passes(header):
    """List the sub-images as (x0, y0, dx, dy, width, height); one for a plain image.

    Adam7 passes that would be empty for a small image are left out: they
    have no bytes at all in the data.
    """
    if not header.interlace:
        return [(0, 0, 1, 1, header.width, header.height)]
    result = []
    for x0, y0, dx, dy in ADAM7:
        w = (header.width - x0 + dx - 1) // dx
        h = (header.height - y0 + dy - 1) // dy
        if w > 0 and h > 0:
            result.append((x0, y0, dx, dy, w, h))
    return result


def expected_data_size(header):
    """Exact size of the inflated image data: each row is 1 filter byte + pixels."""
    return sum(h * (1 + row_bytes(w, header)) for _, _, _, _, w, h in passes(header))


def inflate_blocks(pieces, expected, block_size=1 << 16):
    """Decompress the IDAT bodies, yielding at most `block_size` bytes at a time.

    Refuses (with PNGError) a stream that gives more than `expected` bytes, so a tiny
    stream that would expand to gigabytes is stopped after one block too many; and one
    that gives fewer.  Bytes after the end of the zlib stream are ignored.
    """
    inflater = zlib.decompressobj()
    size = 0
    try:
        for piece in input_pieces(pieces, block_size):
            while True:
                # max_length caps this call's output; the rest waits in unconsumed_tail.
                block = inflater.decompress(piece, block_size)
                piece = inflater.unconsumed_tail
                if block:
                    size += len(block)
                    collect_garbage_now(size, len(block))
                    if size > expected:
                        raise PNGError(
                            f"too much image data: it inflates to more than the {expected:d} "
                            "bytes the header calls for"
                        )
                    yield block
                if inflater.eof or (not piece and len(block) < block_size):
                    break
            if inflater.eof:
                break  # bytes after the end of the zlib stream are ignored
    except zlib.error as exc:
        raise PNGError(f"image data is corrupt (zlib says: {exc})") from None
    if size < expected:
        why = "" if inflater.eof else "; the compressed stream is cut short"
        raise PNGError(f"too little image data: {size:d} of {expected:d} bytes{why}")


#: PyPy frees memory only at its collections, which its default settings let wait until the
#: heap has grown far; reading a big image calls one every this many inflated bytes.
COLLECT_EVERY = 2 << 20


def collect_garbage_now(size, block):
    """On PyPy, a garbage collection each time the inflated size passes a multiple of
    COLLECT_EVERY (CPython frees each row as soon as it is no longer used)."""
    if size // COLLECT_EVERY != (size - block) // COLLECT_EVERY:
        collect_on_pypy()


def collect_on_pypy():
    """A garbage collection, on PyPy only."""
    if ON_PYPY:
        gc.collect()


def input_pieces(bodies, size):
    """The IDAT bodies cut into views of at most `size` bytes: zlib copies the input it has
    not used yet (unconsumed_tail) at every call, so a big chunk fed whole costs time
    quadratic in its size."""
    for body in bodies:
        view = memoryview(body)
        for start in range(0, len(view), size):
            yield view[start : start + size]


def inflate(pieces, expected):
    """Decompress the IDAT bodies into one bytes object of exactly `expected` bytes."""
    return b"".join(inflate_blocks(pieces, expected))


def stream_reader(blocks):
    """Return read(n): the next n bytes from an iterator of byte blocks (fewer only at the end)."""
    state = [b"", 0]  # the block being read, and the position in it

    def read(n):
        data, pos = state
        while len(data) - pos < n:
            block = next(blocks, None)
            if block is None:
                break
            data, pos = data[pos:] + block, 0
        piece = data[pos : pos + n]
        state[0], state[1] = data, pos + len(piece)
        return piece

    return read


# ---------------------------------------------------------------------------
# Undoing the filters
# ---------------------------------------------------------------------------


def paeth_predictor(a, b, c):
    """The Paeth predictor: whichever of a (left), b (up), c (up-left) is closest to a + b - c."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    if pb <= pc:
        return b
    return c


@functools.cache
def paeth_table():
    """Return T with ``T[b - c][a - c] == (paeth_predictor(a, b, c) - c) % 256``.

    Why that works: with u = b - c and v = a - c the predictor compares
    |u|, |v| and |u + v|, then picks a, b or c; so "predictor - c" is v, u or
    0 and depends on u and v only.  For u >= 0 and v from -255 up to 255:

        v <= -2u           -> a wins, value v
        -2u < v < -(u//2)  -> c wins, value 0
        -(u//2) <= v < u   -> b wins, value u
        v >= u             -> a wins, value v

    and negative u mirror that: f(-u, v) = -f(u, -v).  Rows and entries are
    laid out so that Python's negative indices (T[-3] is the row for u = -3)
    do the wrapping.  Built from slices in about a millisecond; the test
    suite checks every entry against paeth_predictor().
    """
    # ascending[i] == v % 256 for v = i - 255, i.e. the value column "v".
    ascending = bytes(range(1, 256)) + bytes(range(256))
    negate = bytes((-i) % 256 for i in range(256))
    rows = [b""] * 511
    for u in range(256):
        if u == 0:
            line = ascending  # b == c: |b - c| = 0, the left byte always wins
        else:
            first_c = max(-2 * u + 1, -255)  # first v where c wins
            first_b = -(u // 2)  # first v where b wins
            line = (
                ascending[: first_c + 255]
                + bytes(first_b - first_c)
                + bytes([u]) * (u - first_b)
                + ascending[u + 255 :]
            )
        rows[u] = line[255:] + line[:255]  # entry v at index v (negative v at the end)
        if u:
            mirrored = line[::-1].translate(negate)  # f(-u, v) = -f(u, -v)
            rows[-u] = mirrored[255:] + mirrored[:255]
    return rows


def undo_sub(line, bpp):
    """Sub: Recon(x) = Filt(x) + Recon(a), a running sum per channel, mod 256.

    Done on the whole row at once (CPython): a running sum is log2(pixels) steps of "add
    the row shifted by 1, 2, 4, ... pixels to itself", each step a byte-by-byte add
    mod 256 of two big integers (see swar_add), so no Python loop touches a byte.
    """
    n = len(line)
    low7, top1 = swar_masks(n)
    x = int.from_bytes(line, "big")
    shift = 8 * bpp
    while shift < 8 * n:
        x = swar_add(x, x >> shift, low7, top1)
        shift *= 2
    return x.to_bytes(n, "big")


def swar_masks(n):
    """The masks of swar_add for rows of n bytes: 0x7f7f...7f and 0x8080...80."""
    return int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")


def swar_add(x, y, low7, top1):
    """Add two rows held as big integers byte by byte, mod 256, without carries between bytes
    ("SIMD within a register"): the low 7 bits of every byte are added (at most 254, no
    carry out), then the top bit of each byte is fixed up with XOR."""
    return ((x & low7) + (y & low7)) ^ ((x ^ y) & top1)


def undo_up(line, prev):
    """Up: Recon(x) = (Filt(x) + Recon(b)) % 256 for every byte of the row, with swar_add."""
    n = len(line)
    low7, top1 = swar_masks(n)
    total = swar_add(int.from_bytes(line, "big"), int.from_bytes(prev, "big"), low7, top1)
    return total.to_bytes(n, "big")


def undo_average(line, prev, bpp):
    """Average: Recon(x) = Filt(x) + (Recon(a) + Recon(b)) // 2, mod 256."""
    out = bytearray(len(line))
    for k in range(bpp):
        a = 0
        recon = []
        for x, b in zip(line[k::bpp], prev[k::bpp]):
            a = (x + ((a + b) >> 1)) & 255
            recon.append(a)
        out[k::bpp] = bytes(recon)
    return out


def undo_paeth(line, prev, bpp):
    """Paeth: Recon(x) = Filt(x) + paeth_predictor(Recon(a), Recon(b), Recon(c)), mod 256.

    Each channel is a separate sequence (a is the same channel one pixel to
    the left).  The predictor comes from paeth_table() instead of three abs()
    and two comparisons: (c + T[b - c][a - c]) % 256 == paeth_predictor(a, b, c).
    """
    table = paeth_table()
    out = bytearray(len(line))
    for k in range(bpp):
        ups = prev[k::bpp]  # b for each pixel of this channel
        up_lefts = b"\0" + ups[:-1]  # c: the byte above, one pixel to the left
        a = 0
        recon = []
        for x, b, c in zip(line[k::bpp], ups, up_lefts):
            a = (x + c + table[b - c][a - c]) & 255
            recon.append(a)
        out[k::bpp] = bytes(recon)
    return out


# PyPy's JIT compiles plain loops over a bytearray to machine code (1 to 3 ns a byte), but
# its big integers and slices are slower than CPython's: there, each filter is the formula
# itself, a byte at a time, written into the row in place.


def undo_sub_loop(line, bpp):
    """Sub, a byte at a time (for PyPy)."""
    out = bytearray(line)
    for i in range(bpp, len(out)):
        out[i] = (out[i] + out[i - bpp]) & 255
    return bytes(out)  # a bytearray kept as the next row's `prev` costs PyPy memory


def undo_up_loop(line, prev):
    """Up, a byte at a time (for PyPy)."""
    out = bytearray(line)
    for i in range(len(out)):
        out[i] = (out[i] + prev[i]) & 255
    return bytes(out)  # a bytearray kept as the next row's `prev` costs PyPy memory


def undo_average_loop(line, prev, bpp):
    """Average, a byte at a time (for PyPy)."""
    out = bytearray(line)
    for i in range(min(bpp, len(out))):
        out[i] = (out[i] + (prev[i] >> 1)) & 255
    for i in range(bpp, len(out)):
        out[i] = (out[i] + ((out[i - bpp] + prev[i]) >> 1)) & 255
    return bytes(out)  # a bytearray kept as the next row's `prev` costs PyPy memory


@functools.cache
def flat_paeth_table():
    """paeth_table() as one bytes object: entry (u + 255) * 511 + (v + 255) is T[u][v]."""
    table = paeth_table()
    return b"".join(table[u][-255:] + table[u][:256] for u in range(-255, 256))


def undo_paeth_loop(line, prev, bpp):
    """Paeth, a byte at a time (for PyPy), with flat_paeth_table()."""
    table = flat_paeth_table()
    out = bytearray(line)
    for i in range(min(bpp, len(out))):
        out[i] = (out[i] + prev[i]) & 255  # a = c = 0: the predictor is b
    for i in range(bpp, len(out)):
        c = prev[i - bpp]
        out[i] = (out[i] + c + table[(prev[i] - c + 255) * 511 + out[i - bpp] - c + 255]) & 255
    return bytes(out)  # a bytearray kept as the next row's `prev` costs PyPy memory


if ON_PYPY:  # pragma: no cover - the suite runs on CPython
    undo_sub, undo_up, undo_average, undo_paeth = (
        undo_sub_loop,
        undo_up_loop,
        undo_average_loop,
        undo_paeth_loop,
    )


def unfilter_row(kind, line, prev, bpp, y=0):
    """Undo filter `kind` of one row, given the unfiltered row above it (`prev`)."""
    if kind == 0:
        return line
    if kind == 1:
        return undo_sub(line, bpp)
    if kind == 2:
        return undo_up(line, prev)
    if kind == 3:
        return undo_average(line, prev, bpp)
    if kind == 4:
        return undo_paeth(line, prev, bpp)
    raise PNGError(f"row {y:d} has unknown filter type {kind:d} (PNG has 0 to 4)")


def unfiltered_rows(read, width_bytes, height, bpp, work):
    """Yield `height` unfiltered rows, reading each (filter byte + row) with read(n)."""
    prev = bytes(width_bytes)
    for y in range(height):
        line = read(1 + width_bytes)
        if len(line) < 1 + width_bytes:  # inflate_blocks raises first; this is a safety net
            raise PNGError(f"too little image data: row {y:d} is cut short")
        prev = unfilter_row(line[0], line[1:], prev, bpp, y)
        charge(work, line[0], width_bytes)
        yield prev


def unfilter(data, pos, width_bytes, height, bpp, work):
    """Undo the filters of `height` rows starting at data[pos] (all in memory: small images).

    Returns (the unfiltered rows joined, the position after them).
    """
    prev = bytes(width_bytes)
    rows = []
    for y in range(height):
        line = data[pos + 1 : pos + 1 + width_bytes]
        prev = unfilter_row(data[pos], line, prev, bpp, y)
        charge(work, data[pos], width_bytes)
        rows.append(prev)
        pos += 1 + width_bytes
    return b"".join(rows), pos


# ---------------------------------------------------------------------------
# The work budget
# ---------------------------------------------------------------------------

#: Most seconds of estimated work a PNG may take to decode (row_cost() of every row).  The
#: size of an image is not limited beyond MAX_PIXELS: its *work* is.  A file is refused as soon
#: as the work done so far plus the least the rows still to come can cost passes this.
WORK_BUDGET = 3.0

#: Estimated nanoseconds a byte of a row filtered with None, Sub, Up, Average, Paeth,
#: everything included (inflating, unfiltering, unpacking, averaging down), and a row's own
#: cost.  Measured with benchmarks/big_images.py on a shared 2-core machine (the slow
#: filters are undone by a Python loop a byte at a time on CPython; PyPy's JIT makes the
#: loops fast).
BYTE_COST, ROW_COST = {
    "cpython": ((8, 14, 9, 72, 116), 3000),
    "pypy": ((13, 13, 13, 14, 16), 3000),
}.get(sys.implementation.name, ((8, 14, 9, 72, 116), 3000))


def row_cost(kind, width_bytes):
    """Estimated seconds of work to decode one row filtered with `kind`."""
    return (ROW_COST + BYTE_COST[kind] * width_bytes) * 1e-9


def work_plan(header):
    """A work account for the image: seconds spent, the least the rows to come can cost,
    and the number of rows decoded with each filter.  Refuses (with PNGError) an image whose
    rows cannot be decoded within WORK_BUDGET even if all are unfiltered."""
    least = sum(h * row_cost(0, row_bytes(w, header)) for _, _, _, _, w, h in passes(header))
    if least > WORK_BUDGET:
        raise PNGError(
            f"image of {header.width:d}×{header.height:d} pixels would take at least "
            f"{least:.1f} s to decode, over the {WORK_BUDGET:g} s limit"
        )
    return {"spent": 0.0, "least_to_come": least, "rows": [0] * 5}


def charge(work, kind, width_bytes):
    """Count one decoded row against the budget; refuse the file as soon as the work done
    plus the least the remaining rows can cost is over WORK_BUDGET."""
    work["spent"] += row_cost(kind, width_bytes)
    work["least_to_come"] -= row_cost(0, width_bytes)
    work["rows"][kind] += 1
    if work["spent"] + work["least_to_come"] > WORK_BUDGET:
        rows = work["rows"]
        raise PNGError(
            f"image would take too long to decode: {rows[3] + rows[4]:d} of the first "
            f"{sum(rows):d} rows use the Average or Paeth filter, which tinynet undoes a byte "
            f"at a time in Python, so the whole image needs over {WORK_BUDGET:g} s of work "
            "(save it smaller, or with the None, Sub or Up filter)"
        )


# ---------------------------------------------------------------------------
# From samples to RGBA
# ---------------------------------------------------------------------------


@functools.cache
def unpack_table(depth, k):
    """Translation table: byte -> its k-th `depth`-bit sample (k = 0 is the high bits)."""
    shift = 8 - depth * (k + 1)
    mask = (1 << depth) - 1
    return bytes((i >> shift) & mask for i in range(256))


@functools.cache
def grey_table(depth):
    """Translation table: a 1/2/4-bit grey sample -> 8 bits (v * 255 // top)."""
    top = (1 << depth) - 1
    return bytes(i * 255 // top if i <= top else 0 for i in range(256))


def unpack_samples(packed, width, height, depth):
    """Spread 1/2/4-bit samples out to one byte each (values unchanged), dropping row padding.

    Byte i of each output group k is ``(byte >> (8 - depth * (k + 1))) & mask``,
    done with one bytes.translate() per position in the byte.
    """
    if depth >= 8:
        return packed
    per_byte = 8 // depth
    out = bytearray(len(packed) * per_byte)
    for k in range(per_byte):
        out[k::per_byte] = packed.translate(unpack_table(depth, k))
    row = len(out) // height
    if row == width:
        return out
    return b"".join(out[y * row : y * row + width] for y in range(height))


def transparent_key_alpha(samples, key, size):
    """Alpha bytes: 0 where a pixel (`size` bytes of `samples`) equals `key`, else 255.

    For each byte position j, translate() marks matches with 1; the marks are
    ANDed as big integers, so a pixel scores 1 only if all its bytes match.
    """
    matches = -1
    for j in range(size):
        table = bytearray(256)
        table[key[j]] = 1
        matches &= int.from_bytes(samples[j::size].translate(table), "big")
    count = len(samples) // size
    return matches.to_bytes(count, "big").translate(b"\xff\x00" + b"\xff" * 254)


def to_rgba(samples, count, header, palette, trns):
    """Turn `count` pixels of samples (one byte per sample if depth < 8) into RGBA bytes."""
    colour, depth = header.colour_type, header.bit_depth
    out = bytearray(4 * count)
    # 16-bit samples are reduced to their high byte.
    eight = samples[0::2] if depth == 16 else samples
    if colour == 0:
        if depth < 8:
            eight = eight.translate(grey_table(depth))
        out[0::4] = out[1::4] = out[2::4] = eight
        if trns is None:
            out[3::4] = b"\xff" * count
        elif depth == 16:
            out[3::4] = transparent_key_alpha(samples, trns, 2)
        elif trns[0] == 0:
            out[3::4] = transparent_key_alpha(samples, trns[1:], 1)
        else:
            out[3::4] = b"\xff" * count  # a key above 255 matches no 8-bit (or smaller) sample
    elif colour == 2:
        out[0::4] = eight[0::3]
        out[1::4] = eight[1::3]
        out[2::4] = eight[2::3]
        if trns is None:
            out[3::4] = b"\xff" * count
        elif depth == 16:
            out[3::4] = transparent_key_alpha(samples, trns, 6)
        elif trns[0] == trns[2] == trns[4] == 0:
            out[3::4] = transparent_key_alpha(samples, trns[1::2], 3)
        else:
            out[3::4] = b"\xff" * count
    elif colour == 3:
        highest = max(eight)
        if highest >= len(palette):
            raise PNGError(
                f"pixel uses palette index {highest:d} but the palette has only {len(palette):d} "
                "entries"
            )
        padding = [(0, 0, 0)] * (256 - len(palette))
        entries = palette + padding
        for channel in range(3):
            out[channel::4] = eight.translate(bytes(entry[channel] for entry in entries))
        alphas = (trns or b"") + b"\xff" * 256
        out[3::4] = eight.translate(alphas[:256])
    elif colour == 4:
        out[0::4] = out[1::4] = out[2::4] = eight[0::2]
        out[3::4] = eight[1::2]
    else:
        out[:] = eight
    return out


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def read_chunks(data):
    """Check the chunk order and collect (header, palette, trns, IDAT bodies)."""
    header = palette = trns = None
    idat = []
    idat_finished = False
    for count, (name, body) in enumerate(iter_chunks(data)):
        if count == MAX_CHUNKS:
            raise PNGError(
                f"more than {MAX_CHUNKS:d} chunks (each costs Python work; real files have a few)"
            )
        if header is None:
            if name != "IHDR":
                raise PNGError(f"first chunk is {name}, not IHDR")
            header = parse_header(body)
            continue
        if idat and name != "IDAT":
            idat_finished = True
        if name == "IDAT":
            check_image_data(header, palette, idat_finished)
            idat.append(body)
        elif name == "IEND":
            check_end(body, idat)
            return header, palette, trns, idat
        elif name == "IHDR":
            raise PNGError("more than one IHDR chunk")
        elif name == "PLTE":
            palette = palette_chunk(body, header, palette, trns, idat)
        elif name == "tRNS":
            trns = transparency_chunk(body, header, palette, trns, idat)
        elif name[0].isupper():
            raise PNGError(f"unknown critical chunk {name} (a decoder must not guess)")
        # Anything else is an ancillary chunk we do not need: skip it.
    raise AssertionError("unreachable: iter_chunks raises when the data runs out")


def check_image_data(header, palette, idat_finished):
    """An IDAT chunk may come only in one run, and after the palette of a palette image."""
    if idat_finished:
        raise PNGError("IDAT chunks are not consecutive")
    if header.colour_type == 3 and palette is None:
        raise PNGError("palette image has no PLTE chunk before its image data")


def check_end(body, idat):
    """The IEND chunk is empty and comes after some image data."""
    if not idat:
        raise PNGError("no image data (IDAT chunk) before IEND")
    if body:
        raise PNGError("IEND chunk is not empty")


def palette_chunk(body, header, palette, trns, idat):
    """The palette of a PLTE chunk, after checking it may come here (one, before tRNS and the
    image data, and not in a grey image)."""
    if idat:
        raise PNGError("PLTE chunk comes after the image data")
    if palette is not None:
        raise PNGError("more than one PLTE chunk")
    if trns is not None:
        raise PNGError("PLTE chunk comes after the tRNS chunk")
    if header.colour_type in (0, 4):
        raise PNGError(f"{COLOUR_NAMES[header.colour_type]} image must not have a PLTE chunk")
    return parse_palette(body)


def transparency_chunk(body, header, palette, trns, idat):
    """The transparency of a tRNS chunk, after checking it may come here (one, before the
    image data)."""
    if idat:
        raise PNGError("tRNS chunk comes after the image data")
    if trns is not None:
        raise PNGError("more than one tRNS chunk")
    return parse_transparency(body, header, palette)


def read_header(data):
    """The Header of PNG bytes, from the IHDR chunk alone (the first 33 bytes).

    Raises PNGError if the data does not start with a valid IHDR chunk, or if the header
    breaks one of this module's limits.
    """
    data = bytes(data[:33])
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file (the 8-byte PNG signature is missing or damaged)")
    name, body = next(iter_chunks(data))
    if name != "IHDR":
        raise PNGError(f"first chunk is {name}, not IHDR")
    return parse_header(body)


def image_size(data):
    """Return ``(width, height)`` from the IHDR chunk alone, without decoding anything.

    Cheap (reads the first 33 bytes) so a caller can apply limits of its own before
    decoding.  Raises PNGError if the data does not start with a valid IHDR chunk, or if
    the header breaks one of this module's limits.
    """
    header = read_header(data)
    return header.width, header.height


def shrink_factor(width, height, max_side=WORKING_SIDE, interlace=False):
    """k: read() averages k × k blocks of pixels into one, so that the longer side is <= max_side.

    k = ceil(longer side / max_side), or 1 when max_side is None.  For an interlaced (Adam7)
    image a k above 1 is rounded up to a multiple of 8, so that the pixels of every pass fall
    into the blocks in a regular pattern (see read()).
    """
    if max_side is None:
        return 1
    k = -(-max(width, height) // max_side)
    if interlace and k > 1:
        k = -(-k // 8) * 8
    return k


LANE_TYPES = {2: "H", 4: "I", 8: "Q"}


def block_sums(strip, rows, width, kx, channels):
    """Per-channel sums of each `rows` tall, `kx` wide block of a strip of 8-bit samples.

    `strip` holds `rows` rows of `width` pixels of `channels` bytes.  Returns a list: for
    block X = 0, 1, ... the sums of each channel over pixels X*kx ... X*kx + kx - 1 (fewer
    at the right edge) of every row.

    Plain formula:  S[X][c] = sum(strip[channels * (r * width + x) + c]
                                  for r < rows, X*kx <= x < X*kx + kx, x < width)

    Done at C speed with big integers: each row's bytes are spread into big-endian "lanes"
    (2, 4 or 8 bytes, wide enough for the biggest sum) of one integer, so that adding the
    integers adds every column without carries between lanes.  Then the sum of kx
    neighbours is the integer plus itself shifted by 1, 2, ..., kx - 1 pixels (done by
    doubling: log2(kx) shifts), and the lane of every kx-th pixel is a block's sum.
    """
    n = channels * width
    padded = -(-width // kx) * kx  # whole blocks: the missing pixels are zeros
    lane = next(size for size in (2, 4, 8) if 255 * rows * kx < 1 << (8 * size))
    wide = bytearray(lane * channels * padded)
    total = 0
    for r in range(rows):
        wide[lane - 1 : lane * n : lane] = strip[r * n : (r + 1) * n]
        total += int.from_bytes(wide, "big")
    # Window sums: after `sums += power >> (offset pixels)`, each lane holds the sum of the
    # `offset` pixels ending there; `power` holds windows of p pixels, doubled each step.
    pixel_bits = 8 * lane * channels
    sums, offset, power, p, todo = 0, 0, total, 1, kx
    while todo:
        if todo & 1:
            sums += power >> (offset * pixel_bits)
            offset += p
        todo >>= 1
        if todo:
            power += power >> (p * pixel_bits)
            p *= 2
    # Keep the last pixel of every block: its window is the whole block.
    data = sums.to_bytes(len(wide), "big")
    group = lane * channels
    picked = bytearray(group * (padded // kx))
    for b in range(group):
        picked[b::group] = data[(kx - 1) * group + b :: kx * group]
    values = array(LANE_TYPES[lane], bytes(picked))
    if values.itemsize != lane:  # pragma: no cover - an unusual C compiler
        return slow_block_sums(strip, rows, width, kx, channels)
    if sys.byteorder == "little":
        values.byteswap()
    return values.tolist()


def block_sums_loop(strip, rows, width, kx, channels):
    """block_sums() a byte at a time (for PyPy, whose JIT makes this loop fast).

    Byte i of a row adds to sum number block_of[i]; one loop with no branch in it, as a
    branch that goes either way with the data costs PyPy's JIT memory for each new path.
    """
    n = channels * width
    group = channels * kx  # the bytes of one block in one row
    block_of = [i // group * channels + i % channels for i in range(n)]
    sums = [0] * (channels * -(-width // kx))
    for r in range(rows):
        base = r * n
        for i in range(n):
            sums[block_of[i]] += strip[base + i]
    return sums


if ON_PYPY:  # pragma: no cover - the suite runs on CPython
    block_sums = block_sums_loop


def slow_block_sums(strip, rows, width, kx, channels):
    """block_sums() by the plain formula (the reference the tests compare it with)."""
    sums = []
    for x in range(0, width, kx):
        for c in range(channels):
            sums.append(
                sum(
                    strip[channels * (r * width + xx) + c]
                    for r in range(rows)
                    for xx in range(x, min(x + kx, width))
                )
            )
    return sums


def channel_strip(samples, count, header, palette, trns):
    """(bytes, channels): `count` pixels as 8-bit samples, in as few channels as they need.

    Grey without tRNS stays one channel, grey + alpha two, RGB without tRNS three; anything
    else becomes RGBA.  Fewer channels means less work for block_sums().
    """
    colour, depth = header.colour_type, header.bit_depth
    eight = samples[0::2] if depth == 16 else samples
    if colour == 0 and trns is None:
        return (eight.translate(grey_table(depth)) if depth < 8 else eight), 1
    if colour == 4:
        return eight, 2
    if colour == 2 and trns is None:
        return eight, 3
    return to_rgba(samples, count, header, palette, trns), 4


@functools.lru_cache(maxsize=4)
def mean_table(area):
    """mean_table(a)[t] == round(t / a), halves up: the mean of a block of `a` pixels."""
    return [(t + area // 2) // area for t in range(255 * area + 1)]


def to_rgba_means(line, channels, areas):
    """RGBA bytes of the block means: `line` holds each block's channel sums, `areas` the
    number of pixels in each block."""
    means = bytearray(len(line))
    full = areas[0]
    table = mean_table(full)
    for c in range(channels):
        means[c::channels] = bytes(map(table.__getitem__, line[c::channels]))
    for x, a in enumerate(areas):
        if a != full:  # a smaller block at the right edge
            for c in range(channels):
                t = line[channels * x + c]
                means[channels * x + c] = (t + a // 2) // a
    count = len(areas)
    if channels == 4:
        return means
    out = bytearray(4 * count)
    if channels in (1, 2):
        out[0::4] = out[1::4] = out[2::4] = means[0::channels]
    else:
        out[0::4], out[1::4], out[2::4] = means[0::3], means[1::3], means[2::3]
    out[3::4] = means[1::2] if channels == 2 else b"\xff" * count
    return out


def full_image(raw, header, palette, trns, work):
    """Every pixel as RGBA bytes, from the whole inflated data `raw` (a small image)."""
    width, height = header.width, header.height
    bpp = bytes_per_pixel(header)
    if not header.interlace:
        rows, _ = unfilter(raw, 0, row_bytes(width, header), height, bpp, work)
        samples = unpack_samples(rows, width, height, header.bit_depth)
        return to_rgba(samples, width * height, header, palette, trns)
    image = bytearray(4 * width * height)
    pos = 0
    for x0, y0, dx, dy, w, h in passes(header):
        rows, pos = unfilter(raw, pos, row_bytes(w, header), h, bpp, work)
        samples = unpack_samples(rows, w, h, header.bit_depth)
        rgba = to_rgba(samples, w * h, header, palette, trns)
        for j in range(h):
            y = y0 + j * dy
            line = rgba[4 * w * j : 4 * w * (j + 1)]
            start = 4 * (y * width + x0)
            stop = 4 * (y + 1) * width
            for channel in range(4):
                image[start + channel : stop : 4 * dx] = line[channel::4]
    return image


def shrunk_image(read, header, palette, trns, k, work):
    """The image area-averaged by k × k blocks, decoded a strip of rows at a time.

    Pixel (X, Y) of the result is the rounded mean of the pixels (x, y) with x // k == X
    and y // k == Y (blocks at the right and bottom edges are smaller).  Only one strip of
    k rows is ever held at full width.  An interlaced pass (x0, y0, dx, dy) holds the
    pixels x = x0 + i*dx, y = y0 + j*dy; as dx and dy divide k (k is a multiple of 8), pass
    pixel (i, j) lands in block (i // (k/dx), j // (k/dy)): each pass is shrunk like an
    image of its own, and the block sums of the seven passes are added.
    """
    width, height = header.width, header.height
    new_width, new_height = -(-width // k), -(-height // k)
    bpp = bytes_per_pixel(header)
    widths = [min(k, width - x) for x in range(0, width, k)]
    out = bytearray()
    totals = [None] * new_height  # Adam7: each pass adds to the sums of every block
    channels = 4
    for _, _, dx, dy, w, h in passes(header):
        kx, ky = k // dx, k // dy
        rows = unfiltered_rows(read, row_bytes(w, header), h, bpp, work)
        for y_out, j in enumerate(range(0, h, ky)):
            n = min(ky, h - j)
            samples = unpack_samples(b"".join(islice(rows, n)), w, n, header.bit_depth)
            strip, channels = channel_strip(samples, w * n, header, palette, trns)
            sums = block_sums(strip, n, w, kx, channels)
            if not header.interlace:  # the strip is a whole row of blocks: finish it now
                out += to_rgba_means(sums, channels, [n * bw for bw in widths])
                continue
            sums += [0] * (channels * new_width - len(sums))
            line = totals[y_out]
            totals[y_out] = sums if line is None else list(map(add, line, sums))
    if header.interlace:
        for y_out, line in enumerate(totals):
            bh = min(k, height - y_out * k)
            out += to_rgba_means(line, channels, [bh * bw for bw in widths])
    return new_width, new_height, out


def read(data, max_side=WORKING_SIDE):
    """Decode PNG bytes to ``(width, height, rgba)``, area-averaged to at most `max_side` a side.

    An image whose longer side is at most `max_side` comes back exactly as decode() gives it;
    a larger one is shrunk by shrink_factor() while it is decoded, row by row, so memory stays
    small whatever the image size (`width` and `height` are then the shrunk image's).
    `max_side=None` means full size (what decode() does).  `rgba` is a flat row-major list of
    8-bit R, G, B, A values: grey expanded to R = G = B, palette looked up, tRNS applied as
    alpha, 16-bit samples reduced to their high byte, no gamma.  Raises PNGError on anything
    wrong or over the limits (MAX_SIDE, MAX_PIXELS, WORK_BUDGET).
    """
    data = bytes(data)
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file (the 8-byte PNG signature is missing or damaged)")
    header, palette, trns, idat = read_chunks(data)
    if len(data) > COLLECT_EVERY:  # reading the file and checking the CRCs made copies of it
        collect_on_pypy()  # (not for every small file: a full collection each time costs)
    if header.colour_type != 3:
        palette = None  # a suggested palette for an RGB image: not needed
    width, height = header.width, header.height
    k = shrink_factor(width, height, max_side, header.interlace)
    if k == 1 and width * height > MAX_DECODE_PIXELS:
        raise PNGError(
            f"image is {width:d}×{height:d} pixels, too large to decode at full size (at most "
            f"{MAX_DECODE_PIXELS:d} pixels; tinynet's image reading shrinks larger ones)"
        )
    work = work_plan(header)
    if k == 1:  # small enough to hold whole (at most MAX_DECODE_PIXELS)
        raw = inflate(idat, expected_data_size(header))
        return width, height, list(full_image(raw, header, palette, trns, work))
    blocks = inflate_blocks(idat, expected_data_size(header))
    width, height, rgba = shrunk_image(stream_reader(blocks), header, palette, trns, k, work)
    for _ in blocks:
        pass  # the rest of the stream: raises PNGError if there is more data than rows
    return width, height, list(rgba)


def decode(data):
    """Decode PNG bytes to ``(width, height, rgba)`` at full size (read() with no shrinking).

    For images up to MAX_DECODE_PIXELS: the result holds every pixel as Python ints.  To read
    any image within the limits use read(), which shrinks large ones while decoding.
    """
    return read(data, max_side=None)


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------

MODES = {"L": 0, "LA": 4, "RGB": 2, "RGBA": 6}


def chunk(name, body):
    """One chunk: length, type, body, CRC."""
    kind = name.encode("ascii")
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
    )


def pack_row(values, depth):
    """Pack one row of sample values into bytes (high bits first for depth < 8)."""
    if depth == 8:
        return bytes(values)
    if depth == 16:
        return b"".join(v.to_bytes(2, "big") for v in values)
    per_byte = 8 // depth
    padded = list(values) + [0] * (-len(values) % per_byte)
    out = bytearray()
    for i in range(0, len(padded), per_byte):
        byte = 0
        for v in padded[i : i + per_byte]:
            byte = (byte << depth) | v
        out.append(byte)
    return bytes(out)


def filter_row(kind, line, prev, bpp):
    """Apply filter `kind` (0-4) to one row: the inverse of unfilter's formulas."""
    left = bytes(bpp) + line[:-bpp]
    up_left = bytes(bpp) + prev[:-bpp]
    if kind == 0:
        return bytes(line)
    if kind == 1:
        return bytes((x - a) & 255 for x, a in zip(line, left))
    if kind == 2:
        return bytes((x - b) & 255 for x, b in zip(line, prev))
    if kind == 3:
        return bytes((x - ((a + b) >> 1)) & 255 for x, a, b in zip(line, left, prev))
    if kind == 4:
        return bytes(
            (x - paeth_predictor(a, b, c)) & 255 for x, a, b, c in zip(line, left, prev, up_left)
        )
    raise PNGError(f"filter type must be 0 to 4, not {kind!r}")


def choose_filter(line, prev, bpp):
    """Pick the filter libpng's heuristic would: the smallest sum of |signed bytes|."""
    best = None
    for kind in range(5):
        filtered = filter_row(kind, line, prev, bpp)
        score = sum(v if v < 128 else 256 - v for v in filtered)
        if best is None or score < best[0]:
            best = (score, kind, filtered)
    return best[1], best[2]


def scanlines(header, samples, filter_type):
    """The uncompressed image data: each row (of each Adam7 pass) packed, filtered, after its
    filter type byte."""
    width, channels = header.width, CHANNELS[header.colour_type]
    bpp = bytes_per_pixel(header)
    raw = bytearray()
    row_number = 0
    for x0, y0, dx, dy, w, h in passes(header):
        prev = bytes(row_bytes(w, header))
        for j in range(h):
            y = y0 + j * dy
            line = []
            for x in range(x0, width, dx):
                start = (y * width + x) * channels
                line.extend(samples[start : start + channels])
            line = pack_row(line, header.bit_depth)
            if filter_type == "adaptive":
                kind, filtered = choose_filter(line, prev, bpp)
            else:
                if isinstance(filter_type, (list, tuple)):
                    kind = filter_type[row_number % len(filter_type)]
                else:
                    kind = filter_type
                filtered = filter_row(kind, line, prev, bpp)
            raw.append(kind)
            raw += filtered
            prev = line
            row_number += 1
    return bytes(raw)


def encode_raw(
    width,
    height,
    samples,
    colour_type,
    bit_depth,
    palette=None,
    trns=None,
    interlace=False,
    filter_type=0,
    level=6,
):
    """Encode samples to PNG bytes, for any colour type and legal bit depth.

    `samples` is a flat row-major sequence of integer sample values (palette
    indices for colour type 3), CHANNELS[colour_type] per pixel.  `palette` is
    a list of (r, g, b); `trns` is a grey value (type 0), an (r, g, b) tuple
    (type 2) or a list of alphas (type 3).  `filter_type` is 0-4, "adaptive"
    (per-row choice like libpng), or a list of types used row after row in
    turn.  `interlace=True` writes Adam7.
    """
    header = Header(width, height, bit_depth, colour_type, bool(interlace))
    samples = checked_samples(header, samples, palette, trns)
    body = [
        SIGNATURE,
        chunk(
            "IHDR",
            struct.pack(
                ">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, int(bool(interlace))
            ),
        ),
    ]
    if palette is not None:
        body.append(chunk("PLTE", b"".join(bytes(entry) for entry in palette)))
    if trns is not None:
        body.append(chunk("tRNS", transparency_body(trns, colour_type)))
    raw = scanlines(header, samples, filter_type)
    body.append(chunk("IDAT", zlib.compress(raw, level)))
    body.append(chunk("IEND", b""))
    return b"".join(body)


def checked_samples(header, samples, palette, trns):
    """The samples as a list, if encode_raw can write them, the palette and tRNS as a PNG;
    PNGError otherwise."""
    width, height = header.width, header.height
    bit_depth, colour_type = header.bit_depth, header.colour_type
    if colour_type not in ALLOWED_DEPTHS or bit_depth not in ALLOWED_DEPTHS[colour_type]:
        raise PNGError(
            f"colour type {colour_type!r} with bit depth {bit_depth!r} is not a legal PNG "
            "combination"
        )
    if not (1 <= width <= 0x7FFFFFFF and 1 <= height <= 0x7FFFFFFF):
        raise PNGError("width and height must be at least 1")
    channels = CHANNELS[colour_type]
    samples = list(samples)
    if len(samples) != width * height * channels:
        raise PNGError(
            f"expected {width * height * channels:d} samples for {width:d}×{height:d} "
            f"{COLOUR_NAMES[colour_type]}, got {len(samples):d}"
        )
    top = (1 << bit_depth) - 1
    if samples and not 0 <= min(samples) <= max(samples) <= top:
        raise PNGError(f"sample values must be between 0 and {top:d}")
    if colour_type == 3:
        if not palette or len(palette) > min(256, top + 1):
            raise PNGError(f"palette images need 1 to {min(256, top + 1):d} palette entries")
        if samples and max(samples) >= len(palette):
            raise PNGError("a pixel uses a palette index beyond the palette")
    if palette is not None and colour_type not in (2, 3, 6):
        raise PNGError(f"{COLOUR_NAMES[colour_type]} images cannot have a palette")
    if trns is not None and colour_type in (0, 2):
        key = [trns] if colour_type == 0 else list(trns)
        if len(key) != channels or not all(0 <= v <= top for v in key):
            raise PNGError(
                f"the transparent colour must be {channels:d} value(s) from 0 to {top:d}"
            )
    return samples


def transparency_body(trns, colour_type):
    """The bytes of a tRNS chunk: a grey value (type 0), an (r, g, b) (type 2), or one alpha per
    palette entry (type 3)."""
    if colour_type == 0:
        return struct.pack(">H", trns)
    if colour_type == 2:
        return struct.pack(">HHH", *trns)
    if colour_type == 3:
        return bytes(trns)
    raise PNGError("tRNS is only for colour types 0, 2 and 3")


def encode(width, height, pixels, mode="L", filter_type=0):
    """Encode 8-bit pixels to PNG bytes.

    `mode` is "L" (grey), "LA", "RGB" or "RGBA"; `pixels` a flat row-major
    list or bytes of samples for that mode.  See encode_raw for filter_type.
    """
    if mode not in MODES:
        raise PNGError("mode must be one of {}, not {!r}".format(", ".join(MODES), mode))
    return encode_raw(width, height, pixels, MODES[mode], 8, filter_type=filter_type)
