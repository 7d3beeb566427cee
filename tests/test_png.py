"""Tests for tinynet.images.png: conformance images, round trips, broken and hostile files."""

import json
import os
import random
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinynet.images import png
from tinynet.images.png import PNGError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------
# Helpers shared by these tests (and imported by test_imagefile.py)
# ---------------------------------------------------------------------------


def find_pngsuite():
    """The shared PngSuite folder ($TINYNET_PNGSUITE or ../shared/pngsuite), or None."""
    folder = Path(
        os.environ.get("TINYNET_PNGSUITE")
        or Path(__file__).resolve().parent.parent.parent / "shared" / "pngsuite"
    )
    return folder if (folder / "expected_rgba.json").is_file() else None


PNGSUITE = find_pngsuite()
NO_SUITE = (
    "PngSuite not found: set TINYNET_PNGSUITE to the folder holding expected_rgba.json (see the "
    "README's Tests section)"
)
EXPECTED = json.loads((PNGSUITE / "expected_rgba.json").read_text()) if PNGSUITE else {}
INVALID = sorted((PNGSUITE / "invalid").glob("*.png")) if PNGSUITE else []


def build(*chunks):
    """A PNG file made of the signature and these (name, body) chunks, with correct CRCs."""
    return png.SIGNATURE + b"".join(png.chunk(name, body) for name, body in chunks)


def ihdr(width, height, depth=8, colour=0, interlace=0, compression=0, filter_method=0):
    """An IHDR chunk as a (name, body) pair."""
    return (
        "IHDR",
        struct.pack(
            ">IIBBBBB", width, height, depth, colour, compression, filter_method, interlace
        ),
    )


def idat(raw):
    """An IDAT chunk holding `raw` (filter bytes + rows) compressed."""
    return ("IDAT", zlib.compress(raw))


IEND = ("IEND", b"")
# A 2×2 8-bit grey image: rows [1, 2] and [3, 4], filter type 0.
GREY_2X2_RAW = b"\x00\x01\x02\x00\x03\x04"
GREY_2X2 = build(ihdr(2, 2), idat(GREY_2X2_RAW), IEND)


def split_chunks(data):
    """The (name, body) chunks of a valid PNG, up to and including IEND."""
    result = []
    for name, body in png.iter_chunks(data):
        result.append((name, body))
        if name == "IEND":
            return result


def expected_rgba(width, height, samples, colour, depth, palette=None, trns=None):
    """What decode() must return for encode_raw(...) of these samples: a plain per-pixel
    reference."""
    top = (1 << depth) - 1
    channels = png.CHANNELS[colour]

    def to8(v):
        return v >> 8 if depth == 16 else v * 255 // top

    out = []
    for i in range(width * height):
        pixel = samples[i * channels : (i + 1) * channels]
        if colour == 0:
            grey = to8(pixel[0])
            out += [grey, grey, grey, 0 if trns is not None and pixel[0] == trns else 255]
        elif colour == 2:
            alpha = 0 if trns is not None and tuple(pixel) == tuple(trns) else 255
            out += [to8(v) for v in pixel] + [alpha]
        elif colour == 3:
            alpha = trns[pixel[0]] if trns is not None and pixel[0] < len(trns) else 255
            out += list(palette[pixel[0]]) + [alpha]
        elif colour == 4:
            grey = to8(pixel[0])
            out += [grey, grey, grey, to8(pixel[1])]
        else:
            out += [to8(v) for v in pixel]
    return out


def assert_well_formed(result):
    """A successful decode returns (w, h, list of w*h*4 ints in 0..255)."""
    width, height, rgba = result
    assert isinstance(rgba, list)
    assert len(rgba) == width * height * 4
    bytes(rgba)  # raises if any value is outside 0..255


# ---------------------------------------------------------------------------
# PngSuite
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", sorted(EXPECTED) or [pytest.param(None, marks=pytest.mark.skip(reason=NO_SUITE))]
)
def test_pngsuite_image_decodes_to_expected_rgba(name):
    expected = EXPECTED[name]
    width, height, rgba = png.decode((PNGSUITE / name).read_bytes())
    assert (width, height) == (expected["width"], expected["height"])
    assert len(rgba) == len(expected["rgba"])
    worst = max(abs(got - want) for got, want in zip(rgba, expected["rgba"]))
    assert worst <= 1, f"{name}: a value is off by {worst:d}"


def ihdr_contradicts_name(path):
    """Why a file in invalid/ named 'bad-bitdepthN-...' is in fact a legal PNG, or None.

    shared/pngsuite/invalid/bad-bitdepth3-grey.png says bit depth 4 in its IHDR
    (legal for grey) with an sBIT chunk of 3 significant bits (also legal):
    every correct decoder, Pillow included, accepts it.  The real depth-3 case
    is tested below with test_grey_bit_depth_3_is_refused.
    """
    data = path.read_bytes()
    if "bitdepth" not in path.name or len(data) < 33 or data[12:16] != b"IHDR":
        return None
    depth, colour = data[24], data[25]
    claimed = path.name.split("bitdepth")[1].split("-")[0]
    if claimed.isdigit() and int(claimed) != depth and depth in png.ALLOWED_DEPTHS.get(colour, ()):
        return (
            f"{path.name}: IHDR says the legal bit depth {depth:d}, not {claimed}, so the file "
            "is valid PNG"
        )
    return None


@pytest.mark.parametrize(
    "path",
    INVALID or [pytest.param(None, marks=pytest.mark.skip(reason=NO_SUITE))],
    ids=lambda p: getattr(p, "name", "none"),
)
def test_pngsuite_invalid_file_is_refused(path):
    reason = ihdr_contradicts_name(path)
    if reason:
        pytest.skip(reason)
    with pytest.raises(PNGError):
        png.decode(path.read_bytes())


def test_grey_bit_depth_3_is_refused():
    data = build(ihdr(4, 4, depth=3, colour=0), idat(b"\x00\x00\x00" * 4), IEND)
    with pytest.raises(PNGError, match="bit depth 3 is not allowed for greyscale"):
        png.decode(data)


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------

BYTE = st.integers(0, 255)
FILTERS = st.one_of(
    st.integers(0, 4), st.just("adaptive"), st.lists(st.integers(0, 4), min_size=1, max_size=8)
)


@st.composite
def raw_images(draw, most=12):
    """Keyword arguments for encode_raw: any colour type, legal depth, palette/tRNS, interlace,
    filters; width and height up to `most`."""
    colour = draw(st.sampled_from(sorted(png.ALLOWED_DEPTHS)))
    depth = draw(st.sampled_from(png.ALLOWED_DEPTHS[colour]))
    width = draw(st.integers(1, most))
    height = draw(st.integers(1, most))
    count = width * height * png.CHANNELS[colour]
    top = (1 << depth) - 1
    palette = trns = None
    if colour == 3:
        entries = draw(st.integers(1, top + 1))
        palette = draw(st.lists(st.tuples(BYTE, BYTE, BYTE), min_size=entries, max_size=entries))
        samples = draw(st.lists(st.integers(0, entries - 1), min_size=count, max_size=count))
        if draw(st.booleans()):
            trns = draw(st.lists(BYTE, min_size=1, max_size=entries))
    else:
        samples = draw(st.lists(st.integers(0, top), min_size=count, max_size=count))
        if colour in (0, 2) and draw(st.booleans()):
            channels = png.CHANNELS[colour]
            # Usually a colour that occurs in the image, so some pixels become transparent.
            pixel = draw(st.integers(0, width * height - 1))
            key = samples[pixel * channels : (pixel + 1) * channels]
            if draw(st.booleans()):
                key = draw(st.lists(st.integers(0, top), min_size=channels, max_size=channels))
            trns = key[0] if colour == 0 else tuple(key)
    return dict(
        width=width,
        height=height,
        samples=samples,
        colour_type=colour,
        bit_depth=depth,
        palette=palette,
        trns=trns,
        interlace=draw(st.booleans()),
        filter_type=draw(FILTERS),
    )


@ROUND_TRIP
@given(raw_images())
def test_encode_raw_then_decode_gives_expected_rgba(args):
    data = png.encode_raw(**args)
    width, height, rgba = png.decode(data)
    assert (width, height) == (args["width"], args["height"])
    assert rgba == expected_rgba(
        args["width"],
        args["height"],
        args["samples"],
        args["colour_type"],
        args["bit_depth"],
        args["palette"],
        args["trns"],
    )


# ---------------------------------------------------------------------------
# read(): the bounded reader (row by row, shrinking large images while decoding)
# ---------------------------------------------------------------------------


def area_average(width, height, rgba, k):
    """The plain reference for read()'s shrinking: mean of each k × k block, halves up."""
    new_width, new_height = -(-width // k), -(-height // k)
    out = []
    for y_out in range(new_height):
        for x_out in range(new_width):
            block = [
                (x, y)
                for y in range(y_out * k, min(y_out * k + k, height))
                for x in range(x_out * k, min(x_out * k + k, width))
            ]
            for c in range(4):
                total = sum(rgba[4 * (y * width + x) + c] for x, y in block)
                out.append((total + len(block) // 2) // len(block))
    return new_width, new_height, out


@ROUND_TRIP
@given(raw_images())
def test_read_of_an_image_within_the_working_size_is_exactly_decode(args):
    data = png.encode_raw(**args)
    assert png.read(data) == png.decode(data)
    assert png.read(data, max_side=max(args["width"], args["height"])) == png.decode(data)


@ROUND_TRIP
@given(raw_images(most=40), st.integers(1, 8))
def test_read_shrinks_by_averaging_blocks_exactly_like_the_plain_formula(args, max_side):
    data = png.encode_raw(**args)
    width, height, rgba = png.decode(data)
    k = png.shrink_factor(width, height, max_side, args["interlace"])
    assert png.read(data, max_side=max_side) == area_average(width, height, rgba, k)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # each example patches inside monkeypatch.context(), undone at its end
@given(raw_images(most=24), st.integers(1, 8))
def test_the_plain_loops_pypy_uses_read_the_same_pixels(monkeypatch, args, max_side):
    data = png.encode_raw(**args)
    expected = png.read(data, max_side=max_side)
    with monkeypatch.context() as patch:
        for name in ("undo_sub", "undo_up", "undo_average", "undo_paeth", "block_sums"):
            patch.setattr(png, name, getattr(png, name + "_loop"))
        assert png.read(data, max_side=max_side) == expected


def test_shrink_factor_rounds_up_and_to_a_multiple_of_8_for_adam7():
    assert png.shrink_factor(512, 100) == 1
    assert png.shrink_factor(513, 100) == 2
    assert png.shrink_factor(100, 5000) == 10
    assert png.shrink_factor(5000, 100, interlace=True) == 16
    assert png.shrink_factor(600, 100, interlace=True) == 8
    assert png.shrink_factor(512, 512, interlace=True) == 1
    assert png.shrink_factor(10**6, 1, max_side=None) == 1


@settings(max_examples=200, deadline=None)
@given(
    channels=st.integers(1, 4),
    width=st.integers(1, 30),
    rows=st.integers(1, 300),
    kx=st.integers(1, 40),
    data=st.data(),
)
def test_block_sums_matches_the_plain_formula(channels, width, rows, kx, data):
    size = channels * width * rows
    # Mostly 255s, so the biggest sums (and the widest lanes) are reached.
    strip = data.draw(st.one_of(st.binary(min_size=size, max_size=size), st.just(b"\xff" * size)))
    expected = png.slow_block_sums(strip, rows, width, kx, channels)
    assert png.block_sums(strip, rows, width, kx, channels) == expected
    assert png.block_sums_loop(strip, rows, width, kx, channels) == expected  # PyPy's


def fast_png(width, height, row, depth=8, colour=0, filter_type=0, interlace=False):
    """A PNG whose every row (of every Adam7 pass) is `row`, cut to the pass width: made at C
    speed, for images too big for encode_raw."""
    header = png.Header(width, height, depth, colour, interlace)
    raw = b"".join(
        (bytes([filter_type]) + row[: png.row_bytes(w, header)]) * h
        for _, _, _, _, w, h in png.passes(header)
    )
    ihdr_body = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, int(interlace))
    return build(("IHDR", ihdr_body), ("IDAT", zlib.compress(raw, 1)), IEND)


@pytest.mark.parametrize("interlace", [False, True])
def test_a_large_image_is_shrunk_while_decoding(interlace):
    # 6000 × 1000 1-bit grey, columns alternating black and white: every block averages to
    # 127.5, rounded to 128.  Full size it would be 24 million Python ints.
    data = fast_png(6000, 1000, b"\x55" * 750, depth=1, interlace=interlace)
    width, height, rgba = png.read(data)
    k = png.shrink_factor(6000, 1000, interlace=interlace)
    assert (width, height) == (-(-6000 // k), -(-1000 // k))
    assert max(width, height) <= png.WORKING_SIDE
    assert set(rgba[0::4]) == {128} and set(rgba[3::4]) == {255}


def test_a_large_image_with_a_bad_row_is_refused_with_the_row_number():
    header_row = b"\x00" * 3000
    data = fast_png(3000, 2000, header_row)
    chunks = split_chunks(data)
    raw = bytearray(zlib.decompress(chunks[1][1]))
    raw[1500 * 3001] = 7  # the filter byte of row 1500
    data = build(chunks[0], ("IDAT", zlib.compress(bytes(raw))), IEND)
    with pytest.raises(PNGError, match="row 1500 has unknown filter type 7"):
        png.read(data)


def test_image_size_reads_only_the_header():
    data = png.encode(7, 3, bytes(21))
    assert png.image_size(data) == (7, 3)
    assert png.image_size(data[:33]) == (7, 3)  # nothing after the IHDR is needed
    with pytest.raises(PNGError, match="signature"):
        png.image_size(b"GIF89a" + data[6:])
    with pytest.raises(PNGError, match="truncated"):
        png.image_size(data[:20])
    with pytest.raises(PNGError, match="pixels a side"):
        png.image_size(build(ihdr(png.MAX_SIDE + 1, 1)))


def test_decode_refuses_what_it_cannot_hold_but_read_shrinks_it():
    data = fast_png(2049, 2049, bytes(2049))
    with pytest.raises(PNGError, match="too large to decode at full size"):
        png.decode(data)
    assert png.read(data)[:2] == (410, 410)  # k = ceil(2049 / 512) = 5


@pytest.mark.parametrize("colour", sorted(png.ALLOWED_DEPTHS))
@pytest.mark.parametrize("interlace", [False, True])
def test_every_depth_and_filter_on_a_gradient(colour, interlace):
    """A deterministic sweep: every legal depth, every filter, odd sizes that leave Adam7 passes
    empty."""
    for depth in png.ALLOWED_DEPTHS[colour]:
        for width, height in ((1, 1), (3, 2), (9, 7), (17, 5)):
            top = (1 << depth) - 1
            channels = png.CHANNELS[colour]
            count = width * height * channels
            palette = None
            if colour == 3:
                palette = [(i, 255 - i, (i * 7) % 256) for i in range(min(256, top + 1))]
                samples = [(i * 5) % len(palette) for i in range(count)]
            else:
                samples = [(i * 2654435761) % (top + 1) for i in range(count)]
            for filter_type in range(5):
                data = png.encode_raw(
                    width, height, samples, colour, depth, palette, None, interlace, filter_type
                )
                assert png.decode(data)[2] == expected_rgba(
                    width, height, samples, colour, depth, palette
                )


@settings(max_examples=60, deadline=None)
@given(
    mode=st.sampled_from(sorted(png.MODES)),
    width=st.integers(1, 20),
    height=st.integers(1, 20),
    seed=st.binary(min_size=1, max_size=64),
    filter_type=st.one_of(st.integers(0, 4), st.just("adaptive")),
)
def test_encode_modes_round_trip(mode, width, height, seed, filter_type):
    channels = len(mode)
    pixels = (seed * (width * height * channels // len(seed) + 1))[: width * height * channels]
    width_out, height_out, rgba = png.decode(
        png.encode(width, height, pixels, mode, filter_type=filter_type)
    )
    assert (width_out, height_out) == (width, height)
    assert rgba == expected_rgba(width, height, list(pixels), png.MODES[mode], 8)


def test_encode_defaults_to_grey_and_accepts_bytes():
    data = png.encode(2, 1, bytes([0, 255]))
    assert png.decode(data) == (2, 1, [0, 0, 0, 255, 255, 255, 255, 255])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: png.encode(2, 2, [0] * 3), "expected 4 samples"),
        (lambda: png.encode(1, 1, [256]), "between 0 and 255"),
        (lambda: png.encode(1, 1, [0], mode="CMYK"), "mode must be"),
        (lambda: png.encode(0, 1, []), "at least 1"),
        (lambda: png.encode_raw(1, 1, [0], 0, 3), "not a legal PNG combination"),
        (lambda: png.encode_raw(1, 1, [0], 3, 8), "palette entries"),
        (lambda: png.encode_raw(1, 1, [2], 3, 8, palette=[(0, 0, 0)]), "beyond the palette"),
        (lambda: png.encode_raw(1, 1, [0], 0, 8, filter_type=5), "filter type must be"),
        (lambda: png.encode_raw(1, 1, [0], 0, 8, palette=[(0, 0, 0)]), "cannot have a palette"),
        (lambda: png.encode_raw(1, 1, [0], 0, 4, trns=16), "transparent colour"),
        (lambda: png.encode_raw(1, 1, [0, 0, 0], 2, 8, trns=(1, 2)), "transparent colour"),
        (lambda: png.encode_raw(1, 1, [0, 0], 4, 8, trns=0), "only for colour types"),
    ],
)
def test_encode_refuses_bad_arguments(call, message):
    with pytest.raises(PNGError, match=message):
        call()


# ---------------------------------------------------------------------------
# The filter tricks against the plain formulas
# ---------------------------------------------------------------------------


def test_paeth_table_matches_the_predictor_everywhere():
    table = png.paeth_table()
    for u in range(-255, 256):
        row = table[u]
        # c = 0, b = u, a = v: the predictor is algebraic, so negative values are fine here.
        assert [row[v] for v in range(-255, 256)] == [
            png.paeth_predictor(v, u, 0) % 256 for v in range(-255, 256)
        ]


def reference_unfilter(kind, line, prev, bpp):
    """Undo one filter with the specification's per-byte formulas."""
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, png.paeth_predictor(a, b, c)][kind]
        out[i] = (out[i] + predictor) % 256
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(bpp=st.sampled_from([1, 2, 3, 4, 6, 8]), pixels=st.integers(1, 40), data=st.data())
def test_unfilter_tricks_match_reference_formulas(bpp, pixels, data):
    size = bpp * pixels
    prev = data.draw(st.binary(min_size=size, max_size=size))
    line = data.draw(st.binary(min_size=size, max_size=size))
    assert bytes(png.undo_sub(line, bpp)) == reference_unfilter(1, line, prev, bpp)
    assert bytes(png.undo_up(line, prev)) == reference_unfilter(2, line, prev, bpp)
    assert bytes(png.undo_average(line, prev, bpp)) == reference_unfilter(3, line, prev, bpp)
    assert bytes(png.undo_paeth(line, prev, bpp)) == reference_unfilter(4, line, prev, bpp)
    # the plain loops PyPy uses instead
    assert bytes(png.undo_sub_loop(line, bpp)) == reference_unfilter(1, line, prev, bpp)
    assert bytes(png.undo_up_loop(line, prev)) == reference_unfilter(2, line, prev, bpp)
    assert bytes(png.undo_average_loop(line, prev, bpp)) == reference_unfilter(3, line, prev, bpp)
    assert bytes(png.undo_paeth_loop(line, prev, bpp)) == reference_unfilter(4, line, prev, bpp)


# ---------------------------------------------------------------------------
# Chunk order and structure
# ---------------------------------------------------------------------------

PALETTE = ("PLTE", b"\x00\x00\x00\xff\xff\xff")
RGB_2X1_RAW = b"\x00" + bytes(6)
INDEX_2X1_RAW = b"\x00\x00\x01"

BROKEN = [
    ("signature", b"GIF89a" + GREY_2X2[6:], "signature"),
    (
        "IHDR not first",
        build(("gAMA", b"\x00\x00\xb1\x8f"), ihdr(2, 2), idat(GREY_2X2_RAW), IEND),
        "first chunk is gAMA",
    ),
    ("two IHDR", build(ihdr(2, 2), ihdr(2, 2), idat(GREY_2X2_RAW), IEND), "more than one IHDR"),
    ("IHDR size", build(("IHDR", b"\x00" * 12), idat(GREY_2X2_RAW), IEND), "13"),
    ("zero width", build(ihdr(0, 2), idat(GREY_2X2_RAW), IEND), "at least 1"),
    ("colour type 1", build(ihdr(2, 2, colour=1), idat(GREY_2X2_RAW), IEND), "colour type 1"),
    (
        "palette depth 16",
        build(ihdr(2, 2, depth=16, colour=3), PALETTE, idat(GREY_2X2_RAW), IEND),
        "bit depth 16",
    ),
    ("RGB depth 4", build(ihdr(2, 2, depth=4, colour=2), idat(GREY_2X2_RAW), IEND), "bit depth 4"),
    (
        "compression 1",
        build(ihdr(2, 2, compression=1), idat(GREY_2X2_RAW), IEND),
        "compression method",
    ),
    (
        "filter method 1",
        build(ihdr(2, 2, filter_method=1), idat(GREY_2X2_RAW), IEND),
        "filter method",
    ),
    ("interlace 2", build(ihdr(2, 2, interlace=2), idat(GREY_2X2_RAW), IEND), "interlace method"),
    ("no PLTE", build(ihdr(2, 1, colour=3), idat(INDEX_2X1_RAW), IEND), "no PLTE"),
    ("PLTE in grey", build(ihdr(2, 2), PALETTE, idat(GREY_2X2_RAW), IEND), "must not have a PLTE"),
    (
        "PLTE after IDAT",
        build(ihdr(2, 1, colour=2), idat(RGB_2X1_RAW), PALETTE, IEND),
        "PLTE chunk comes after the image",
    ),
    (
        "PLTE after tRNS",
        build(ihdr(2, 1, colour=2), ("tRNS", bytes(6)), PALETTE, idat(RGB_2X1_RAW), IEND),
        "after the tRNS",
    ),
    (
        "two PLTE",
        build(ihdr(2, 1, colour=3), PALETTE, PALETTE, idat(INDEX_2X1_RAW), IEND),
        "more than one PLTE",
    ),
    (
        "PLTE length",
        build(ihdr(2, 1, colour=3), ("PLTE", b"\x00" * 4), idat(INDEX_2X1_RAW), IEND),
        "RGB triples",
    ),
    (
        "empty PLTE",
        build(ihdr(2, 1, colour=3), ("PLTE", b""), idat(INDEX_2X1_RAW), IEND),
        "RGB triples",
    ),
    (
        "tRNS before PLTE",
        build(ihdr(2, 1, colour=3), ("tRNS", b"\x00"), PALETTE, idat(INDEX_2X1_RAW), IEND),
        "before the PLTE",
    ),
    (
        "tRNS too long",
        build(ihdr(2, 1, colour=3), PALETTE, ("tRNS", b"\x00" * 3), idat(INDEX_2X1_RAW), IEND),
        "only 2 entries",
    ),
    (
        "tRNS in RGBA",
        build(ihdr(1, 1, colour=6), ("tRNS", bytes(6)), idat(bytes(5)), IEND),
        "not allowed in RGBA",
    ),
    (
        "tRNS grey size",
        build(ihdr(2, 2), ("tRNS", b"\x00"), idat(GREY_2X2_RAW), IEND),
        "must have 2 bytes",
    ),
    (
        "tRNS after IDAT",
        build(ihdr(2, 2), idat(GREY_2X2_RAW), ("tRNS", b"\x00\x00"), IEND),
        "tRNS chunk comes after",
    ),
    (
        "two tRNS",
        build(ihdr(2, 2), ("tRNS", b"\x00\x00"), ("tRNS", b"\x00\x00"), idat(GREY_2X2_RAW), IEND),
        "more than one tRNS",
    ),
    (
        "IDATs apart",
        build(
            ihdr(2, 2),
            ("IDAT", zlib.compress(GREY_2X2_RAW)[:5]),
            ("tEXt", b"a\x00b"),
            ("IDAT", zlib.compress(GREY_2X2_RAW)[5:]),
            IEND,
        ),
        "not consecutive",
    ),
    ("no IDAT", build(ihdr(2, 2), IEND), "no image data"),
    ("no IEND", build(ihdr(2, 2), idat(GREY_2X2_RAW)), "without an IEND"),
    (
        "IEND not empty",
        build(ihdr(2, 2), idat(GREY_2X2_RAW), ("IEND", b"x")),
        "IEND chunk is not empty",
    ),
    (
        "critical chunk",
        build(ihdr(2, 2), ("QuUx", b"??"), idat(GREY_2X2_RAW), IEND),
        "unknown critical chunk QuUx",
    ),
    (
        "chunk type",
        build(ihdr(2, 2), ("I D!", b""), idat(GREY_2X2_RAW), IEND),
        "invalid chunk type",
    ),
    (
        "bad CRC",
        GREY_2X2[:-20] + bytes([GREY_2X2[-20] ^ 1]) + GREY_2X2[-19:],
        "bad CRC in IDAT chunk",
    ),
    ("truncated", GREY_2X2[:40], "truncated"),
    ("huge length", GREY_2X2[:33] + b"\xff\xff\xff\xf0IDAT", "impossible length"),
    (
        "filter type 5",
        build(ihdr(2, 2), idat(b"\x05\x01\x02\x00\x03\x04"), IEND),
        "unknown filter type 5",
    ),
    ("too little data", build(ihdr(2, 2), idat(GREY_2X2_RAW[:-1]), IEND), "too little image data"),
    (
        "cut zlib stream",
        build(ihdr(2, 2), ("IDAT", zlib.compress(GREY_2X2_RAW)[:6]), IEND),
        "too little image data",
    ),
    ("too much data", build(ihdr(2, 2), idat(GREY_2X2_RAW + b"\x00"), IEND), "too much image data"),
    ("garbage zlib", build(ihdr(2, 2), ("IDAT", b"\x78\x9c\xff\xff\xff\xff"), IEND), "corrupt"),
    (
        "palette index",
        build(ihdr(2, 1, colour=3), PALETTE, idat(b"\x00\x00\x02"), IEND),
        "palette index 2",
    ),
]


@pytest.mark.parametrize(
    "data, message", [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_png_is_refused_with_a_clear_message(data, message):
    with pytest.raises(PNGError, match=message):
        png.decode(data)


def test_png_error_is_a_value_error():
    assert issubclass(PNGError, ValueError)


def test_unknown_ancillary_chunks_are_skipped_and_idat_may_be_split():
    stream = zlib.compress(GREY_2X2_RAW)
    data = build(
        ihdr(2, 2),
        ("quUx", b"anything"),
        ("IDAT", stream[:3]),
        ("IDAT", b""),
        ("IDAT", stream[3:]),
        ("tEXt", b"Comment\x00after the data"),
        IEND,
    )
    assert png.decode(data) == (2, 2, [1, 1, 1, 255, 2, 2, 2, 255, 3, 3, 3, 255, 4, 4, 4, 255])


def test_bytes_after_iend_and_after_the_zlib_stream_are_ignored():
    data = build(ihdr(2, 2), ("IDAT", zlib.compress(GREY_2X2_RAW) + b"junk"), IEND) + b"trailing"
    assert png.decode(data)[2][:4] == [1, 1, 1, 255]


def test_decode_accepts_bytearray_and_memoryview():
    assert (
        png.decode(bytearray(GREY_2X2)) == png.decode(memoryview(GREY_2X2)) == png.decode(GREY_2X2)
    )


def test_palette_for_rgb_image_is_ignored_and_transparency_keys_apply():
    data = png.encode_raw(2, 1, [1, 2, 3, 4, 5, 6], 2, 8, palette=[(9, 9, 9)], trns=(4, 5, 6))
    assert png.decode(data)[2] == [1, 2, 3, 255, 4, 5, 6, 0]


@pytest.mark.parametrize(
    "colour, depth, samples, key, alphas",
    [
        (0, 16, [0x1234, 0x1235, 0x0034], 0x1234, [0, 255, 255]),
        (0, 2, [3, 2, 3], 3, [0, 255, 0]),
        (2, 16, [1, 2, 3, 1, 2, 4, 1, 2, 3], (1, 2, 3), [0, 255, 0]),
    ],
)
def test_transparent_colour_keys(colour, depth, samples, key, alphas):
    data = png.encode_raw(3, 1, samples, colour, depth, trns=key)
    assert png.decode(data)[2][3::4] == alphas


@pytest.mark.parametrize(
    "colour, depth, trns, raw, alphas",
    [
        # 8-bit grey, key 0x0100: only the low 8 bits count, so the key is 0.
        (0, 8, b"\x01\x00", b"\x00\x00\xff", [0, 255]),
        # 2-bit grey, key 0x00ff: the low 2 bits are 3.  Pixels 3, 0, 3, 1 (one byte).
        (0, 2, b"\x00\xff", b"\x00\xcd", [0, 255, 0, 255]),
        # 1-bit grey, key 0xfffe: the low bit is 0.  Pixels 1, 0.
        (0, 1, b"\xff\xfe", b"\x00\x80", [255, 0]),
        # 8-bit RGB, key (0x0100, 0x0000, 0x0000): the key is black.
        (2, 8, b"\x01\x00\x00\x00\x00\x00", b"\x00" + bytes(3) + b"\x00\x00\x01", [0, 255]),
    ],
)
def test_transparent_key_high_bits_are_ignored_below_16_bits(colour, depth, trns, raw, alphas):
    # PNG 3rd edition, tRNS: for bit depths below 16 the key is compared modulo 2^depth (the
    # web-platform test png/trns-chunk.html, "ignored high bits on lower bit depth tRNS").
    width = len(alphas)
    data = build(ihdr(width, 1, depth=depth, colour=colour), ("tRNS", trns), idat(raw), IEND)
    assert png.decode(data)[2][3::4] == alphas


def test_transparent_key_uses_all_16_bits_at_depth_16():
    data = png.encode_raw(2, 1, [0x0100, 0x0000], 0, 16, trns=0x0100)
    assert png.decode(data)[2][3::4] == [0, 255]


# ---------------------------------------------------------------------------
# Hostile files
# ---------------------------------------------------------------------------


def test_the_size_of_the_image_data_is_not_limited():
    # a 12-megapixel RGB photo and an 8000 × 8000 scan were refused by a 16 MB data limit
    for width, height, depth, colour in [(4000, 3000, 8, 2), (8000, 8000, 8, 0)]:
        assert png.image_size(build(ihdr(width, height, depth, colour), IEND)) == (width, height)


def test_an_image_too_slow_even_unfiltered_is_refused_before_inflating(monkeypatch):
    def no_inflating(*args, **kwargs):
        raise AssertionError("decoder started inflating")

    monkeypatch.setattr(png.zlib, "decompressobj", no_inflating)
    monkeypatch.setattr(png, "WORK_BUDGET", 0.001)
    data = build(ihdr(3000, 3000, 8, 2), idat(b"\x00" * 100), IEND)
    with pytest.raises(PNGError, match=r"^image of 3000×3000 pixels would take at least [0-9.]+ "):
        png.read(data)


def rows_png(width, height, kinds):
    """An 8-bit grey PNG of random rows, row y filtered (its filter byte) with kinds[y]."""
    noise = random.Random(height).randbytes(width * height)
    raw = b"".join(bytes([kinds[y]]) + noise[y * width : (y + 1) * width] for y in range(height))
    return build(ihdr(width, height), idat(raw), IEND)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # each example patches inside monkeypatch.context(), undone at its end
@given(st.lists(st.sampled_from(range(5)), min_size=8, max_size=64), st.booleans())
def test_the_work_budget_follows_the_filter_mix(monkeypatch, kinds, shrink):
    # Budget: exactly what this image costs.  Then the image is read; with a little less it
    # is refused, as soon as the rows decoded plus the least the rest can cost pass it.
    width, height = 600 if shrink else 40, len(kinds)
    data = rows_png(width, height, kinds)
    cost = sum(png.row_cost(kind, width) for kind in kinds)
    with monkeypatch.context() as patch:
        patch.setattr(png, "WORK_BUDGET", cost * (1 + 1e-9))
        size = (300, -(-height // 2)) if shrink else (40, height)  # 600 wide: k = 2
        assert png.read(data)[:2] == size
    calls = []
    real_undo = png.unfilter_row
    budget = cost * (1 - 1e-6)
    least = [png.row_cost(0, width)] * height
    at_header = sum(least) > budget  # every row unfiltered: already too slow
    why = r"^image of .* would take at least" if at_header else r"^image would take too long"
    with monkeypatch.context() as patch:
        patch.setattr(png, "WORK_BUDGET", budget)
        patch.setattr(png, "unfilter_row", lambda *args: calls.append(1) or real_undo(*args))
        with pytest.raises(PNGError, match=why):
            png.read(data)
    stop = (
        -1
        if at_header
        else next(
            y
            for y in range(height)
            if sum(png.row_cost(kind, width) for kind in kinds[: y + 1]) + sum(least[y + 1 :])
            > budget
        )
    )
    assert len(calls) == stop + 1  # refused at the first row that made the budget impossible


@pytest.mark.parametrize(
    "width, height, depth, colour, message",
    [
        (30000, 30000, 8, 6, r"30000×30000 pixels; at most 16384 pixels a side"),
        (1, 89478485, 1, 0, r"at most 16384 pixels a side"),
        (9459, 9459, 1, 0, r"9459×9459 pixels, over the 67108864-pixel limit"),
    ],
)
def test_huge_images_are_refused_before_inflating(
    monkeypatch, width, height, depth, colour, message
):
    def no_inflating(*args, **kwargs):
        raise AssertionError("decoder started inflating an oversized image")

    monkeypatch.setattr(png.zlib, "decompressobj", no_inflating)
    data = build(ihdr(width, height, depth, colour), idat(b"\x00" * 100), IEND)
    with pytest.raises(PNGError, match=message):
        png.read(data)
    with pytest.raises(PNGError, match=message):
        png.image_size(data)


def test_limit_is_checked_at_the_header_even_without_more_chunks():
    with pytest.raises(PNGError, match="at most 16384 pixels a side"):
        png.decode(build(ihdr(0x7FFFFFFF, 0x7FFFFFFF)))


def test_a_file_of_millions_of_tiny_chunks_is_refused_after_max_chunks():
    tiny = png.chunk("tEXt", b"")
    data = build(ihdr(1, 1)) + tiny * (png.MAX_CHUNKS + 10) + png.chunk("IEND", b"")
    with pytest.raises(PNGError, match="more than 100000 chunks"):
        png.read(data)


def test_large_but_allowed_claim_with_little_data_fails_fast():
    # 1400×1400 RGBA at 16 bits would be 15 MB of raw data; only a few bytes are there.
    data = build(ihdr(1400, 1400, depth=16, colour=6), idat(bytes(1000)), IEND)
    with pytest.raises(PNGError, match="too little image data"):
        png.read(data)


def zlib_stream_of_zeros(total, block=1 << 20):
    """A valid zlib stream that inflates to `total` zero bytes (a multiple of `block`), built
    cheaply.

    After a full flush the compressor forgets its history, so compressing one
    more block of zeros always gives the same bytes: compress two blocks and
    repeat the second.  The stream ends with an empty final block and the
    Adler-32 of `total` zeros, which is (total mod 65521) << 16 | 1.
    """
    compressor = zlib.compressobj(9)
    first = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    final_empty_block = b"\x03\x00"
    return (
        first
        + repeat * (total // block - 1)
        + final_empty_block
        + struct.pack(">I", (total % 65521) << 16 | 1)
    )


def test_zeros_stream_builder_is_a_real_zlib_stream():
    total = 16 << 20
    inflater = zlib.decompressobj()
    pending = zlib_stream_of_zeros(total)
    size = 0
    while pending:
        out = inflater.decompress(pending, 1 << 22)
        assert not out.strip(b"\x00")
        size += len(out)
        pending = inflater.unconsumed_tail
    assert size == total and inflater.eof and not inflater.unused_data


def test_gigabyte_of_zeros_is_refused():
    stream = zlib_stream_of_zeros(1 << 30)
    assert len(stream) < 2 << 20
    data = build(ihdr(100, 100), ("IDAT", stream), IEND)
    with pytest.raises(PNGError, match="too much image data"):
        png.decode(data)


# ---------------------------------------------------------------------------
# Fuzzing: decode succeeds or raises PNGError, nothing else
# ---------------------------------------------------------------------------


def seed_pngs():
    """Small valid PNGs covering the colour types, depths, tRNS and Adam7."""
    seeds = [
        GREY_2X2,
        png.encode_raw(
            7, 5, [i % 2 for i in range(35)], 0, 1, interlace=True, filter_type=[0, 1, 2, 3, 4]
        ),
        png.encode_raw(
            5,
            3,
            [i % 3 for i in range(15)],
            3,
            4,
            palette=[(1, 2, 3), (4, 5, 6), (7, 8, 9)],
            trns=[0, 128],
        ),
        png.encode_raw(4, 4, [i * 1000 for i in range(64)], 6, 16, filter_type="adaptive"),
        png.encode_raw(
            6,
            6,
            [(i * 37) % 256 for i in range(108)],
            2,
            8,
            trns=(0, 37, 74),
            interlace=True,
            filter_type=4,
        ),
        png.encode_raw(
            3, 9, [(i * 91) % 65536 for i in range(54)], 4, 16, interlace=True, filter_type=3
        ),
    ]
    if PNGSUITE:
        seeds += [
            (PNGSUITE / name).read_bytes()
            for name in ("basi0g04.png", "tbrn2c08.png", "basn3p04.png")
        ]
    return seeds


SEEDS = seed_pngs()


def check_decode(data):
    try:
        result = png.decode(data)
    except PNGError as exc:
        assert str(exc)
        return
    assert_well_formed(result)


@st.composite
def byte_mutations(draw, seeds):
    """A seed PNG with a few random byte flips, insertions, deletions or a truncation."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[pos] = draw(BYTE)
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            del data[pos:]
    return bytes(data)


@st.composite
def chunk_mutations(draw, seeds):
    """A seed PNG whose chunks are edited (bodies, order, types), then given correct CRCs.

    Correct CRCs let the damage reach the header checks, the palette, zlib
    and the filters instead of stopping at the first checksum.
    """
    chunks = split_chunks(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(chunks) - 1))
        name, body = chunks[i]
        action = draw(
            st.sampled_from(["body", "drop", "duplicate", "swap", "insert", "rename", "raw"])
        )
        if action == "body" and body:
            body = bytearray(body)
            for _ in range(draw(st.integers(1, 3))):
                body[draw(st.integers(0, len(body) - 1))] = draw(BYTE)
            chunks[i] = (name, bytes(body))
        elif action == "drop":
            del chunks[i]
        elif action == "duplicate":
            chunks.insert(i, chunks[i])
        elif action == "swap":
            j = draw(st.integers(0, len(chunks) - 1))
            chunks[i], chunks[j] = chunks[j], chunks[i]
        elif action == "insert":
            new_name = draw(
                st.sampled_from(["IHDR", "PLTE", "tRNS", "IDAT", "IEND", "gAMA", "QuUx", "quUx"])
            )
            chunks.insert(i, (new_name, draw(st.binary(max_size=16))))
        elif action == "rename":
            chunks[i] = (
                draw(st.sampled_from(["IHDR", "PLTE", "tRNS", "IDAT", "IEND", "ZzZz", "zzzz"])),
                body,
            )
        elif action == "raw" and name == "IDAT":
            # Damage the inflated scanlines themselves (filter bytes, length) and recompress.
            try:
                raw = bytearray(zlib.decompress(body))
            except zlib.error:
                continue  # the seed's data was split over several IDATs
            if raw:
                raw[draw(st.integers(0, len(raw) - 1))] = draw(BYTE)
            cut = draw(st.integers(-3, 3))
            raw = raw[:cut] if cut < 0 else raw + bytes(cut)
            chunks[i] = (name, zlib.compress(bytes(raw)))
        if not chunks:
            break
    return build(*chunks)


@FUZZ
@given(byte_mutations(SEEDS))
def test_fuzz_byte_mutations(data):
    check_decode(data)


@FUZZ
@given(chunk_mutations(SEEDS))
def test_fuzz_chunk_mutations_with_valid_crcs(data):
    check_decode(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_fuzz_random_bytes(data, with_signature):
    check_decode(png.SIGNATURE + data if with_signature else data)
