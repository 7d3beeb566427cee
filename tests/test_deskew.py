"""Deskewing (tinynet/images/deskew.py): properties of the shear, and the cache."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from tinynet.images import deskew as dk

SIZE = 28
C = SIZE / 2


def upright_shape(half_widths, top, alpha=0.0, level=255):
    """A shape symmetric about the column x = 14 (so μ₁₁ = 0), sheared by α if given.

    Row top + r holds ink where |x + ½ − 14 − α·(y − yc)| < half_widths[r] (yc = the middle
    row of the shape); ink is drawn as the fraction of each pixel the row's span covers, so the
    shape is anti-aliased like MNIST's digits.
    """
    image = bytearray(SIZE * SIZE)
    yc = top + (len(half_widths) - 1) / 2
    for r, h in enumerate(half_widths):
        y = top + r
        middle = C + alpha * (y - yc)
        for x in range(SIZE):
            cover = max(0.0, min(x + 1, middle + h) - max(x, middle - h))
            image[y * SIZE + x] = round(level * min(1.0, cover))
    return bytes(image)


shapes = st.builds(
    upright_shape,
    half_widths=st.lists(st.floats(1.0, 4.0), min_size=10, max_size=18),
    top=st.integers(4, 6),
)


@given(
    st.lists(st.floats(1.0, 4.0), min_size=10, max_size=18),
    st.integers(4, 6),
    st.floats(-0.6, 0.6),
)
def test_a_sheared_upright_digit_comes_back_upright(half_widths, top, alpha):
    upright = upright_shape(half_widths, top)
    sheared = upright_shape(half_widths, top, alpha)
    assert abs(dk.skew(upright)) < 0.02
    if abs(alpha) > 0.1:
        assert abs(dk.skew(sheared)) > 0.05  # the shear is there to be undone
    straightened = dk.deskew(sheared)
    assert abs(dk.skew(straightened)) < 0.03
    # and it looks like the upright shape again: most ink where the upright one has it
    diff = sum(abs(a - b) for a, b in zip(straightened, dk.deskew(upright)))
    assert diff <= 0.35 * sum(upright), (diff, sum(upright))


@given(
    st.lists(st.integers(0, 255), min_size=7, max_size=7),
    st.integers(1, 255),
    st.lists(st.integers(0, 255), min_size=7, max_size=7),
    st.integers(0, 255),
)
def test_an_upright_symmetric_digit_centred_in_the_field_is_unchanged(half_a, mid_a, half_b, mid_b):
    """Mirror-symmetric left-right about column 14 and top-bottom about row 14: α = 0 and the
    centre of mass is already in the middle (14, 14), so there is nothing to move."""
    row_a = bytes(half_a + [mid_a] + half_a[::-1])  # 15 pixels, columns 7..21
    row_b = bytes(half_b + [mid_b] + half_b[::-1])
    image = bytearray(SIZE * SIZE)
    for y, row in ((13, row_a), (14, row_b), (15, row_a)):
        image[y * SIZE + 7 : y * SIZE + 22] = row
    m = dk.moments(bytes(image))
    assert m[1] == m[2] == C and m[3] == 0  # x̄ = ȳ = 14, μ₁₁ = 0
    assert dk.deskew(bytes(image)) == bytes(image)


@given(st.binary(min_size=SIZE * SIZE, max_size=SIZE * SIZE))
def test_any_image_stays_in_range_and_size(image):
    out = dk.deskew(image)
    assert isinstance(out, bytes) and len(out) == SIZE * SIZE  # bytes hold 0..255 only


@given(shapes, st.floats(-0.5, 0.5))
def test_mass_is_kept_within_rounding(image, alpha):
    """Interpolation weights sum to 1: mass changes only by rounding (≤ ½ a level per pixel),
    as long as no ink is sheared off the field."""
    out = dk.deskew(image)
    inked = sum(1 for v in out if v)
    assert abs(sum(out) - sum(image)) <= 0.5 * (inked + 2 * SIZE)
    assert abs(sum(out) - sum(image)) <= 0.02 * sum(image) + SIZE


@given(shapes)
def test_the_centre_of_mass_ends_in_the_middle(image):
    M, x_bar, y_bar, _, _ = dk.moments(dk.deskew(image))
    # the middle: x̄ = ȳ = c = 14 in pixel indices, as in MNIST and preprocess.py
    assert abs(x_bar - C) < 0.15 and abs(y_bar - C) < 0.15


def test_a_blank_image_is_unchanged_and_a_wrong_size_refused():
    assert dk.deskew(bytes(784)) == bytes(784)
    try:
        dk.deskew(bytes(100))
    except ValueError as e:
        assert "784" in str(e)
    else:
        raise AssertionError("a 100-pixel image was accepted")


def test_shifted_row_is_the_plain_formula():
    row = [0.0, 10.0, 20.0, 0.0]
    assert dk.shifted_row(row, 0.5, 4) == [5.0, 15.0, 10.0, 0.0]
    assert dk.shifted_row(row, -1, 4) == [0.0, 0.0, 10.0, 20.0]


def test_deskew_all_reports_progress():
    images = [upright_shape([2.0] * 12, 5, a) for a in (-0.3, 0.0, 0.3)]
    calls = []
    out = dk.deskew_all(images, progress=lambda done, total: calls.append((done, total)))
    assert out == [dk.deskew(im) for im in images] and calls == [(3, 3)]


# ---------------------------------------------------------------- the cache


def test_the_cache_is_written_read_back_and_never_trusted_when_damaged(tmp_path, monkeypatch):
    images = [upright_shape([2.0 + r % 3 for r in range(14)], 6, a) for a in (-0.4, 0.2, 0.5)]
    key = hashlib.sha256(b"".join(images)).hexdigest()
    expected = [dk.deskew(im) for im in images]
    assert dk.deskewed(images, key, tmp_path) == expected
    path = dk.cache_path(key, tmp_path)
    assert path.exists() and [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file

    computed = []
    real = dk.deskew_all
    monkeypatch.setattr(dk, "deskew_all", lambda *a: computed.append(1) or real(*a))
    assert dk.deskewed(images, key, tmp_path) == expected and computed == []  # read back

    data = path.read_bytes()
    damages = {
        "flipped pixel": data[:40] + bytes([data[40] ^ 1]) + data[41:],
        "truncated": data[:-10],
        "longer": data + b"x",
        "other format": b"junk" + data[4:],
        "empty": b"",
    }
    for name, bad in damages.items():
        path.write_bytes(bad)
        computed.clear()
        assert dk.deskewed(images, key, tmp_path) == expected, name
        assert computed == [1], name  # recomputed ...
        assert path.read_bytes() == data, name  # ... and the cache repaired

    # a cache for another number of images is not taken for this one
    assert dk.deskewed(images[:2], key, tmp_path) == expected[:2]


def test_an_unwritable_cache_folder_still_gives_the_result(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    images = [upright_shape([2.0] * 12, 5, 0.3)]
    assert dk.deskewed(images, "ab" * 32, blocker / "cache") == [dk.deskew(images[0])]


def test_a_key_that_is_not_a_digest_is_refused(tmp_path):
    try:
        dk.deskewed([], "../../etc", tmp_path)
    except ValueError:
        pass
    else:
        raise AssertionError("a path-like key was accepted")
