"""Tests for tinynet.images.pnm: PBM/PGM/PPM in plain and raw form, bad headers, fuzzing."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet.images import pnm
from tinynet.images.pnm import PNMError


def grey(*values):
    """RGBA list for these grey values (opaque)."""
    out = []
    for v in values:
        out += [v, v, v, 255]
    return out


def rgb(*pixels):
    """RGBA list for these (r, g, b) pixels (opaque)."""
    out = []
    for pixel in pixels:
        out += list(pixel) + [255]
    return out


GOOD = [
    ("P1 plain", b"P1\n# a comment\n3 2\n0 1 0\n1 0 1\n", (3, 2, grey(255, 0, 255, 0, 255, 0))),
    ("P1 digits run together", b"P1 4 1 0110", (4, 1, grey(255, 0, 0, 255))),
    ("P1 comment in data", b"P1 2 1\n1 # black\n0\n", (2, 1, grey(0, 255))),
    ("P2 plain", b"P2\n2 2\n255\n0 64\n128 255\n", (2, 2, grey(0, 64, 128, 255))),
    ("P2 maxval 15", b"P2 # comment\n 3 # width\n 1\n15\n0 7 15", (3, 1, grey(0, 119, 255))),
    ("P2 16-bit", b"P2 2 1 65535 0 65535", (2, 1, grey(0, 255))),
    ("P2 maxval 1000", b"P2 2 1 1000\n500 1000", (2, 1, grey(128, 255))),
    ("P3 plain", b"P3\n2 1\n255\n255 0 0  0 0 255\n", (2, 1, rgb((255, 0, 0), (0, 0, 255)))),
    ("P3 maxval 1", b"P3 1 1 1 1 0 1", (1, 1, rgb((255, 0, 255)))),
    (
        "P4 raw",
        b"P4\n10 2\n" + bytes([0b10000000, 0b01000000, 0b11111111, 0b11000000]),
        (10, 2, grey(0, 255, 255, 255, 255, 255, 255, 255, 255, 0) + grey(*[0] * 10)),
    ),
    (
        "P5 raw",
        b"P5\n# made by hand\n2 2\n255\n" + bytes([0, 1, 254, 255]),
        (2, 2, grey(0, 1, 254, 255)),
    ),
    ("P5 maxval 3", b"P5 4 1 3\n" + bytes([0, 1, 2, 3]), (4, 1, grey(0, 85, 170, 255))),
    ("P5 16-bit", b"P5 2 1 65535\n" + bytes([0x00, 0x00, 0xFF, 0xFF]), (2, 1, grey(0, 255))),
    ("P5 maxval 1023", b"P5 3 1 1023\n" + bytes([0, 0, 2, 0, 3, 255]), (3, 1, grey(0, 128, 255))),
    ("P6 raw", b"P6 2 1 255\n" + bytes([1, 2, 3, 4, 5, 6]), (2, 1, rgb((1, 2, 3), (4, 5, 6)))),
    (
        "P6 16-bit",
        b"P6 1 1 65535\n" + bytes([0xFF, 0xFF, 0, 0, 0x80, 0]),
        (1, 1, rgb((255, 0, 128))),
    ),
    ("P5 comment after magic", b"P5#c\n1 1 255\n\x07", (1, 1, grey(7))),
    ("P5 extra data ignored", b"P5 1 1 255\n\x07more", (1, 1, grey(7))),
    # Netpbm: a comment may sit in the middle of a number, and is ignored: "2#..\n8" is 28.
    ("comment inside a number", b"P5 3 1#c\n0 255\n" + bytes(30), (3, 10, grey(*[0] * 30))),
    ("comment before the delimiter", b"P5 1 1 255#c\n \x07", (1, 1, grey(7))),
    ("comment inside maxval", b"P2 2 1 2#c\n55 0 255", (2, 1, grey(0, 255))),
]


@pytest.mark.parametrize(
    "data, expected", [case[1:] for case in GOOD], ids=[case[0] for case in GOOD]
)
def test_decodes_netpbm_samples(data, expected):
    assert pnm.decode(data) == expected


BAD = [
    ("not netpbm", b"GIF89a", "P1 to P6"),
    ("P7", b"P7 1 1 255\n\x00", "P1 to P6"),
    ("no space after magic", b"P51 1 255\n\x00", "whitespace"),
    ("no maxval", b"P5\n2 2\n", "cut short"),
    ("letters", b"P5 2 x 255\n", "unexpected character"),
    ("maxval 0", b"P5 1 1 0\n\x00", "maxval is 0"),
    ("maxval too big", b"P5 1 1 70000\n\x00\x00", "maxval is 70000"),
    ("zero width", b"P5 0 1 255\n", "at least 1"),
    ("over the side limit", b"P5 30000 30000 255\n\x00", "at most 16384 pixels a side"),
    ("over the pixel limit", b"P5 9000 9000 255\n\x00", "over the 67108864-pixel limit"),
    (
        "a long number of bytes",
        b"P5 1111111111\xff",
        "1111111111... in the header is far too large",
    ),
    ("comment, then no delimiter", b"P5 1 1 255#c\n\x07", "one whitespace"),
    ("raw size checked first", b"P5 100 100 255\n" + bytes(10), "cut short: 10 of 10000 bytes"),
    ("plain file far too short", b"P2 100 100 255\n1 2 3", "cut short: 6 bytes cannot hold"),
    ("absurd number", b"P5 123456789012 1 255\n", "far too large"),
    ("raw cut short", b"P5 2 2 255\n\x00\x00\x00", "cut short: 3 of 4 bytes"),
    ("P6 cut short", b"P6 1 1 255\n\x00\x00", "cut short"),
    ("P4 cut short", b"P4 9 2\n\x00\x00\x00", "cut short"),
    ("no raster", b"P5 1 1 255", "one whitespace"),
    ("sample over maxval", b"P5 1 1 100\n\xc8", "above the maxval 100"),
    ("16-bit sample over maxval", b"P5 1 1 1000\n\xff\xff", "above the maxval 1000"),
    ("plain sample over maxval", b"P2 2 1 15 0 16", "above the maxval 15"),
    ("plain too few", b"P2 2 2 255 1 2 3     ", "cut short: 3 of 4 samples"),
    ("plain not a number", b"P3 1 1 255 1 2 x", "not a sample value"),
    ("P1 bad character", b"P1 2 1 02", "characters 0 and 1"),
    ("P1 too few", b"P1 3 1 01", "cut short"),
    ("empty", b"", "P1 to P6"),
]


@pytest.mark.parametrize("data, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_refuses_bad_netpbm(data, message):
    with pytest.raises(PNMError, match=message):
        pnm.decode(data)


def test_pnm_error_is_a_value_error():
    assert issubclass(PNMError, ValueError)


@settings(max_examples=100, deadline=None)
@given(width=st.integers(1, 30), height=st.integers(1, 30), data=st.data())
def test_encode_pgm_round_trip(width, height, data):
    values = data.draw(
        st.lists(st.integers(0, 255), min_size=width * height, max_size=width * height)
    )
    encoded = pnm.encode_pgm(width, height, values)
    assert encoded.startswith(b"P5\n%d %d\n255\n" % (width, height))
    assert pnm.decode(encoded) == (width, height, grey(*values))


@pytest.mark.parametrize(
    "args, message",
    [((2, 2, [0, 0, 0]), "expected 4"), ((1, 1, [300]), "0 to 255"), ((0, 1, []), "at least 1")],
)
def test_encode_pgm_refuses_bad_arguments(args, message):
    with pytest.raises(PNMError, match=message):
        pnm.encode_pgm(*args)


SEEDS = [case[1] for case in GOOD]


@st.composite
def mutated(draw):
    """A valid sample with random byte changes, insertions, deletions or a truncation."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        if action == "set" and data:
            data[pos] = draw(st.sampled_from(b"0123456789 #\nP\xff\x00x"))
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=6))
        elif action == "delete":
            del data[pos : pos + 3]
        else:
            del data[pos:]
    return bytes(data)


def check_decode(data):
    try:
        width, height, rgba = pnm.decode(data)
    except PNMError as exc:
        assert str(exc)
        return
    assert len(rgba) == width * height * 4
    bytes(rgba)


@settings(max_examples=200, deadline=None)
@given(mutated())
def test_fuzz_mutated_netpbm(data):
    check_decode(data)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([b"P1", b"P2", b"P3", b"P4", b"P5", b"P6"]), st.binary(max_size=60))
def test_fuzz_random_bytes_after_magic(magic, rest):
    check_decode(magic + rest)


def test_a_28_by_28_pgm_with_a_comment_inside_the_height_is_28_by_28():
    data = b"P5\n28 2# the rest of the height follows\n8\n255\n" + bytes(range(28)) * 28
    width, height, rgba = pnm.decode(data)
    assert (width, height) == (28, 28)
    assert rgba[:8] == grey(0, 1)


def test_image_size_reads_only_the_header():
    assert pnm.image_size(b"P5 640 480 255\n") == (640, 480)
    assert pnm.image_size(b"P5 640" + b"\n# a long comment" * 1000 + b"\n480 255\n") == (640, 480)
    with pytest.raises(PNMError, match="P1 to P6"):
        pnm.image_size(b"GIF89a")


def area_average(width, height, rgba, k):
    """The plain reference for read()'s shrinking: mean of each k × k block, halves up."""
    out = []
    for y_out in range(-(-height // k)):
        for x_out in range(-(-width // k)):
            block = [
                4 * (y * width + x)
                for y in range(y_out * k, min(y_out * k + k, height))
                for x in range(x_out * k, min(x_out * k + k, width))
            ]
            for c in range(4):
                total = sum(rgba[i + c] for i in block)
                out.append((total + len(block) // 2) // len(block))
    return -(-width // k), -(-height // k), out


@st.composite
def netpbm_images(draw):
    """Any kind P1-P6 of a random image up to 30 × 30, encoded by hand."""
    kind = draw(st.integers(1, 6))
    width, height = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    channels = 3 if kind in (3, 6) else 1
    maxval = 1 if kind in (1, 4) else draw(st.sampled_from([1, 15, 255, 1000, 65535]))
    n = width * height * channels
    values = draw(st.lists(st.integers(0, maxval), min_size=n, max_size=n))
    head = b"P%d\n%d %d\n" % (kind, width, height) + (b"" if kind in (1, 4) else b"%d\n" % maxval)
    if kind in (1, 2, 3):
        body = b" ".join(b"%d" % v for v in values)
    elif kind == 4:
        rows = []
        for y in range(height):
            bits = values[y * width : (y + 1) * width] + [0] * (-width % 8)
            rows.append(
                bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))
            )
        body = b"".join(rows)
    else:
        body = b"".join(v.to_bytes(2 if maxval > 255 else 1, "big") for v in values)
    return head + body


@settings(max_examples=150, deadline=None)
@given(netpbm_images(), st.integers(1, 8))
def test_read_shrinks_by_averaging_blocks_exactly_like_the_plain_formula(data, max_side):
    width, height, rgba = pnm.decode(data)
    assert pnm.read(data) == (width, height, rgba)  # small: exactly decode()
    k = -(-max(width, height) // max_side)
    assert pnm.read(data, max_side=max_side) == area_average(width, height, rgba, k)


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=300).map(
        lambda b: b.translate(bytes(b" \n#0123456789x\r"[i % 15] for i in range(256)))
    ),
    st.integers(1, 20),
)
def test_plain_tokens_in_windows_are_the_tokens_of_the_whole(text, window):
    whole = pnm.COMMENT.sub(b" ", text).split()
    pieces = [t for block in pnm.plain_tokens(text, 0, window=window) for t in block]
    assert pieces == whole


def test_a_large_raw_image_is_shrunk_while_reading():
    data = b"P5 3000 2000 255\n" + (bytes([0, 255]) * 1500) * 2000
    width, height, rgba = pnm.read(data)
    assert (width, height) == (500, 334)  # k = ceil(3000 / 512) = 6
    assert set(rgba[0::4]) == {128} and set(rgba[3::4]) == {255}


def test_a_large_plain_file_over_the_sample_limit_is_refused_before_parsing():
    data = b"P2 3000 3000 255\n" + b"0 " * (3000 * 3000)
    with pytest.raises(PNMError, match="sample limit for plain files"):
        pnm.read(data)


def test_a_large_16_bit_file_over_the_sample_limit_is_refused_before_converting():
    data = b"P5 3000 3000 65535\n" + bytes(2 * 3000 * 3000)
    with pytest.raises(PNMError, match="sample limit for 16-bit files"):
        pnm.read(data)


def test_megabytes_of_whitespace_or_comments_in_the_header_are_skipped_at_c_speed():
    # A hostile header: 16 MB of spaces, then 16 MB of one-line comments (a Python loop over
    # each byte would take seconds; the header is read with regular expressions instead).
    data = b"P5 " + b" " * (16 << 20) + b"#" * (16 << 20) + b"\n1 1 255\n\x07"
    assert pnm.decode(data) == (1, 1, grey(7))


@pytest.mark.parametrize("line", [b"#\n", b" #\n", b"#comment\r"])
def test_a_flood_of_comments_in_the_header_is_refused_after_a_bounded_number_of_steps(line):
    # 64 MB of such lines took 12 to 18 s; the steps are counted, whatever the flood's length
    data = b"P5\n" + line * 1_000_000 + b"1 1 255\n\x07"
    with pytest.raises(PNMError, match=r"^header has over 10000 comments and runs of whitespace"):
        pnm.read(data)
    assert pnm.read(b"P5\n" + line * 3000 + b"1 1 255\n\x07") == (1, 1, grey(7))


def reference_tokens(data):
    """The plain raster's tokens, from the whole text at once."""
    return pnm.COMMENT.sub(b" ", data).split()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"0",
                b"1",
                b"7",
                b"255",
                b"65535",
                b" ",
                b"\n",
                b"\r",
                b"\t",
                b"#c",
                b"#",
                b"# 1 2\n",
                b"#" + b"x" * 30,
            ]
        ),
        max_size=60,
    ),
    st.integers(1, 12),
)
def test_plain_windows_give_the_tokens_of_the_whole_text(parts, window):
    data = b"".join(parts)
    tokens = [t for block in pnm.plain_tokens(data, 0, window) for t in block]
    assert tokens == reference_tokens(data)


def test_a_plain_bitmap_without_whitespace_is_read_a_window_at_a_time():
    width, height = 6000, 1000
    bits = random.Random(5).randbytes(width * height).translate(b"01" * 128)
    rows = b"\n".join(bits[i : i + width] for i in range(0, len(bits), width))
    result, peak = traced_peak(lambda: pnm.read(b"P1\n6000 1000\n" + bits))
    assert result == pnm.read(b"P1\n6000 1000\n" + rows)
    # the file itself (6 MB) is copied once; the raster was copied several times before
    if peak is not None:  # (PyPy has no tracemalloc: benchmarks/big_images.py measures it there)
        assert peak < 2 * len(bits)


def traced_peak(f):
    """(f(), the peak memory Python allocated while it ran, in bytes), or (f(), None) where
    there is no tracemalloc (PyPy)."""
    try:
        import tracemalloc
    except ImportError:
        return f(), None
    tracemalloc.start()
    try:
        return f(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
