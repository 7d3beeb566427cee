"""Tests for tinynet.images.pnm: PBM/PGM/PPM in plain and raw form, bad headers, fuzzing."""

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
    ("over the pixel limit", b"P5 30000 30000 255\n\x00", "over the 89478485-pixel limit"),
    ("absurd number", b"P5 123456789012 1 255\n", "far too large"),
    ("raw cut short", b"P5 2 2 255\n\x00\x00\x00", "cut short: 3 of 4 bytes"),
    ("P6 cut short", b"P6 1 1 255\n\x00\x00", "cut short"),
    ("P4 cut short", b"P4 9 2\n\x00\x00\x00", "cut short"),
    ("no raster", b"P5 1 1 255", "one whitespace"),
    ("sample over maxval", b"P5 1 1 100\n\xc8", "above the maxval 100"),
    ("16-bit sample over maxval", b"P5 1 1 1000\n\xff\xff", "above the maxval 1000"),
    ("plain sample over maxval", b"P2 2 1 15 0 16", "above the maxval 15"),
    ("plain too few", b"P2 2 2 255 1 2 3", "cut short: 3 of 4"),
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
